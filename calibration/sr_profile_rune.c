/* sr_profile_rune.c: the Rune section of a profile; see sr_profile_rune.h. */
#include "sr_profile_rune.h"

#include <math.h>

#include "sr_cost.h"
#include "sr_graph.h"
#include "sr_zoo.h"

sr_status sr_profile_rune_price(const sr_profile *p, const sr_profile_fit *fit, double *native_s)
{
    if (p == NULL || native_s == NULL) return SR_ERR_INVALID;
    sr_profile q = *p;
    if (fit) q.fit = fit, q.fit_file = NULL;
    sr_graph *g = NULL;
    sr_cost_model *m = NULL;
    sr_status st = sr_zoo_build("sine", 0, 0, 0, &g);
    if (st == SR_OK) st = sr_profile_cost_model(&q, &m);
    if (st == SR_OK) {
        sr_cost_device dev = sr_profile_device(&q);
        st = sr_cost_layers(m, &dev, g, 0, sr_graph_output(g), SR_PREC_FP32, 1, native_s);
    }
    sr_cost_model_free(m);
    sr_graph_free(g);
    return st;
}

sr_status sr_profile_rune_store(const sr_profile *p, const sr_rune_measurement *m, sr_profile_fit *fit)
{
    if (p == NULL || m == NULL || fit == NULL) return SR_ERR_INVALID;
    double tn = m->inference_s[SR_RUNE_NATIVE];
    if (!(tn > 0) || !isfinite(m->inference_s[SR_RUNE_RUST]) || !isfinite(m->inference_s[SR_RUNE_PROTOBUF]))
        return SR_ERR_INVALID;
    fit->rune_measured_native_s = tn;
    fit->rune_overhead_rust = (m->inference_s[SR_RUNE_RUST] - tn) / tn;
    fit->rune_overhead_protobuf = (m->inference_s[SR_RUNE_PROTOBUF] - tn) / tn;
    fit->rune_bytes_rust = m->bytes_per_inference[SR_RUNE_RUST];
    fit->rune_bytes_protobuf = m->bytes_per_inference[SR_RUNE_PROTOBUF];
    return sr_profile_rune_price(p, fit, &fit->rune_native_inf_s);
}

sr_status sr_profile_rune_factor(const sr_profile_fit *fit, sr_rune_mode m, double *factor)
{
    if (factor == NULL || (unsigned)m >= SR_RUNE_MODE_COUNT) return SR_ERR_INVALID;
    *factor = 1.0;
    if (m == SR_RUNE_NATIVE) return SR_OK;
    if (fit == NULL || !(fit->rune_native_inf_s > 0)) return SR_ERR_NOT_FOUND;
    double ov = m == SR_RUNE_RUST ? fit->rune_overhead_rust : fit->rune_overhead_protobuf;
    if (!isfinite(ov) || ov <= -1.0) return SR_ERR_INVALID;
    *factor = 1.0 + ov;
    return SR_OK;
}
