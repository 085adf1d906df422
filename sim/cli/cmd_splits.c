/* cmd_splits.c: `simrun show model M --splits [--profile P] [--target T] [--link L] [--bandwidth B]`: the
 * clean single-tensor cuts of a model between a device and a target with what each costs (device time, bytes
 * sent, predicted latency of a frame alone), the number of valid cuts of the DAG, and the best cut of all
 * (minimum s-t cut, sr_cut.h), priced as best_split prices them (sr_cut_price.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_config.h"
#include "sr_cut.h"
#include "sr_cut_price.h"
#include "sr_linkclass.h"
#include "sr_profile.h"

static const sr_profile *profile_or_complain(const char *name)
{
    char why[512] = "";
    const sr_profile *p = sr_profile_find_err(name, why, sizeof why);
    if (!p)
        fprintf(stderr, "simrun show model --splits: %s\n",
                why[0] ? why : "unknown profile (see `simrun list devices`)");
    if (!p && !why[0]) fprintf(stderr, "  (profile '%s')\n", name);
    return p;
}

int sr_show_splits(const sr_graph *g, int act_precision, const char *dev_name, const char *tgt_name,
                   const char *link_name, const char *bandwidth)
{
    sr_precision act_prec = (sr_precision)act_precision;
    const sr_profile *dp = profile_or_complain(dev_name), *tp = dp ? profile_or_complain(tgt_name) : NULL;
    const sr_link_class *lc = sr_link_class_find(link_name);
    if (!dp || !tp) return 2;
    if (!lc) {
        fprintf(stderr, "simrun show model --splits: unknown link class '%s' (see `simrun list links`)\n",
                link_name);
        return 2;
    }
    double bw = lc->bw_bps;
    if (bandwidth) {
        if (sr_parse_quantity(bandwidth, SR_UNIT_RATE, &bw) != SR_OK || !(bw > 0)) {
            fprintf(stderr,
                    "simrun show model --splits: --bandwidth wants a rate such as 5.85Mbps, got '%s'\n",
                    bandwidth);
            return 2;
        }
    }
    double lat = lc->latency_s;
    sr_cost_model *dm = NULL, *tm = NULL;
    char err[1024] = "";
    int rc = 1;
    sr_cut_terms t;
    memset(&t, 0, sizeof t);
    unsigned char *cut = NULL;
    if (sr_profile_cost_model_err(dp, &dm, err, sizeof err) != SR_OK ||
        sr_profile_cost_model_err(tp, &tm, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun show model --splits: %s\n", err);
        goto cleanup;
    }
    const sr_node *in = sr_graph_node(g, 0);
    double frame = (double)sr_shape_numel(&in->out); /* the input as an 8-bit image */
    sr_cut_sides sides = {
        dm, tm, sr_profile_device(dp), sr_profile_device(tp), SR_PREC_FP32, act_prec, frame, dp->power_busy_w,
        0.0};
    if (sr_cut_terms_price(g, &sides, &t, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun show model --splits: %s\n", err);
        goto cleanup;
    }
    int n = sr_graph_node_count(g);
    cut = malloc((size_t)n);
    if (!cut) goto cleanup;
    sr_cut_weights w;
    sr_cut_terms_weights(&t, SR_CUT_OBJ_LATENCY, 1, 0, bw, lat, &w);
    long n_cuts = 0;
    double v;
    sr_status st = sr_cut_exhaustive(g, &w, 1000000L, cut, &v, &n_cuts);
    printf("cuts of %s: device %s, target %s, link %s at %.4g Mbit/s and %.0f ms; frame %.0f B (the input, "
           "8-bit); "
           "tensors at %s\n",
           sr_graph_name(g), dp->name, tp->name, lc->name, bw / 1e6, lat * 1e3, frame,
           sr_precision_name(act_prec));
    if (st == SR_OK)
        printf("valid cuts (device parts closed under predecessors): %ld\n", n_cuts);
    else
        printf("valid cuts (device parts closed under predecessors): more than 1000000\n");
    printf("clean single-tensor cuts (split_at values):\n");
    printf("%5s  %-28s %12s %10s %14s %14s\n", "id", "last layer on the device", "device ms", "tensors",
           "bytes sent", "predicted ms");
    for (int k = 0; k < n; k++) {
        if (!sr_cut_prefix_clean(g, k)) continue;
        sr_cut_prefix(g, k, cut);
        sr_cut_prediction pr;
        sr_cut_predict(&t, g, cut, bw, lat, &pr);
        char name[80];
        snprintf(name, sizeof name, "%s%s", sr_graph_node(g, k)->name,
                 k == 0       ? " (cloud-only)"
                 : k == n - 1 ? " (device-only)"
                              : "");
        printf("%5d  %-28s %12.3f %10d %14.0f %14.3f\n", k, name, pr.device_s * 1e3, pr.tensors, pr.bytes,
               pr.latency_s * 1e3);
    }
    if (sr_cut_mincut(g, &w, cut, &v) == SR_OK) {
        sr_cut_prediction pr;
        sr_cut_predict(&t, g, cut, bw, lat, &pr);
        printf("best cut (minimum s-t cut over every valid cut): %d layers on the device, the last '%s'; %d "
               "tensor%s, "
               "%.0f bytes sent, device %.3f ms, predicted %.3f ms\n",
               pr.device_nodes, pr.last_device >= 0 ? sr_graph_node(g, pr.last_device)->name : "-",
               pr.tensors, pr.tensors == 1 ? "" : "s", pr.bytes, pr.device_s * 1e3, pr.latency_s * 1e3);
    }
    rc = 0;
cleanup:
    free(cut);
    sr_cut_terms_free(&t);
    sr_cost_model_free(dm);
    sr_cost_model_free(tm);
    return rc;
}
