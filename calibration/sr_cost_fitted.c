/* sr_cost_fitted.c: the fitted per-layer cost model: regression coefficients measured by
 * `simrun calibrate`, scaled to the device by roofline ratios, roofline fallback for unfitted layer
 * types (see sr_cost_fitted.h). */
#include "sr_cost_fitted.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fitted_destroy(void *state)
{
    free(state);
}

static sr_status fitted_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                               int last, sr_precision p, int batch, double *seconds);

static const sr_cost_model_ops fitted_ops = {"fitted", fitted_layers, fitted_destroy, 0};

static double node_cost(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int id,
                        sr_precision p, int batch, int *used_fit)
{
    const sr_profile_fit *fit = m->state;
    if (used_fit) *used_fit = 0;
    int c = sr_layer_class_of(g, id);
    if (c < 0 || !fit->cls[c].fitted) return sr_cost_roofline_node(dev, g, id, p, batch);
    const sr_profile_class_fit *cf = &fit->cls[c];
    double x[SR_FIT_MAX_COEF];
    sr_layer_features(g, id, (sr_layer_class)c, batch, x);
    double t = sr_fit_predict(cf->form, cf->coef, x, cf->n_coef);
    if (!(t > 0)) t = 0.0;
    double scale;
    if (sr_layer_class_compute_bound((sr_layer_class)c)) {
        scale = fit->ref_flops / (dev->speed_flops * (double)dev->cores * dev->efficiency);
    } else {
        scale = dev->mem_bw_Bps > 0 ? fit->ref_mem_bw_Bps / dev->mem_bw_Bps
                                    : fit->ref_flops / (dev->speed_flops * (double)dev->cores * dev->efficiency);
        scale *= (double)sr_precision_bytes(p) / 4.0;
    }
    if (used_fit) *used_fit = 1;
    return t * scale;
}

static sr_status fitted_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                               int last, sr_precision p, int batch, double *seconds)
{
    int n = sr_graph_node_count(g);
    int *fused = malloc((size_t)n * sizeof *fused);
    if (!fused) return SR_ERR_NOMEM;
    sr_status st = sr_layer_fusion(g, fused);
    double t = 0.0;
    for (int id = first; id <= last && st == SR_OK; id++)
        if (fused[id] < 0) t += node_cost(m, dev, g, id, p, batch, NULL);
    free(fused);
    *seconds = t;
    return st;
}

double sr_cost_fitted_node(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int id,
                           sr_precision p, int batch, int *used_fit)
{
    assert(m && m->ops == &fitted_ops);
    int n = sr_graph_node_count(g);
    int *fused = malloc((size_t)(n ? n : 1) * sizeof *fused);
    int is_fused = fused && sr_layer_fusion(g, fused) == SR_OK && id >= 0 && id < n && fused[id] >= 0;
    free(fused);
    if (is_fused) {
        if (used_fit) *used_fit = 1;
        return 0.0;
    }
    return node_cost(m, dev, g, id, p, batch, used_fit);
}

sr_status sr_cost_fitted_create(const sr_profile_fit *fit, sr_cost_model **out)
{
    if (!fit || !out || !(fit->ref_flops > 0) || !(fit->ref_mem_bw_Bps > 0) || !isfinite(fit->ref_flops) ||
        !isfinite(fit->ref_mem_bw_Bps))
        return SR_ERR_INVALID;
    for (int c = 0; c < SR_LC_COUNT; c++) {
        sr_feature f[SR_FIT_MAX_COEF];
        if (fit->cls[c].fitted && fit->cls[c].n_coef != sr_layer_class_features((sr_layer_class)c, f))
            return SR_ERR_INVALID;
    }
    sr_profile_fit *state = malloc(sizeof *state);
    if (!state) return SR_ERR_NOMEM;
    memcpy(state, fit, sizeof *state);
    sr_status st = sr_cost_model_create(&fitted_ops, state, out);
    if (st != SR_OK) free(state);
    return st;
}
