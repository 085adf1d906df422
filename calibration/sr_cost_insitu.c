/* sr_cost_insitu.c: the In-situ AI GPU time model as a cost model (see sr_cost_insitu.h). */
#include "sr_cost_insitu.h"

#include <stdlib.h>

double sr_cost_insitu_node(const sr_gpu_insitu_params *p, const sr_graph *g, int id, sr_precision prec,
                           int batch)
{
    const sr_node *nd = sr_graph_node(g, id);
    if (!nd || nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST) return 0.0;
    const int64_t b = nd->out.d[0] * (int64_t)batch; /* frames in this run of the layer */
    if (nd->op == SR_OP_CONV && nd->out.rank == 4 && nd->attr.groups >= 1 && b > 0) {
        const int groups = nd->attr.groups;
        const int64_t m = nd->out.d[1], cols = nd->out.d[2] * nd->out.d[3] * b;
        if (m % groups != 0 || cols <= 0) return -1.0;
        const int64_t grid = groups * sr_gpu_insitu_grid_size(p, m / groups, cols);
        const double util = sr_gpu_insitu_util(p, grid);
        const double ops = 2.0 * (double)nd->macs * (double)batch; /* eq. 1 over the groups */
        return ops / (sr_gpu_insitu_max_ops(p, 1.0) * util);
    }
    if (nd->op == SR_OP_FC && nd->n_inputs >= 1 && b > 0) {
        const sr_shape *is = &sr_graph_node(g, nd->inputs[0])->out;
        const int64_t in = is->d[0] > 0 ? sr_shape_numel(is) / is->d[0] : 0;
        if (in <= 0 || in > INT32_MAX || b > INT32_MAX) return -1.0;
        sr_hw_fc f = {(int)b, (int)in, nd->attr.out_channels};
        sr_gpu_insitu_fc_result r;
        return sr_gpu_insitu_fc_time(p, &f, &r) == SR_OK ? r.time_s : -1.0;
    }
    const sr_cost_device dev = {p->name, sr_gpu_insitu_max_ops(p, 1.0), 1, 1.0, p->mem_bw_Bps, 0};
    return sr_cost_roofline_node(&dev, g, id, prec, batch);
}

static sr_status insitu_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g,
                               int first, int last, sr_precision prec, int batch, double *seconds)
{
    (void)dev;
    const sr_gpu_insitu_params *p = m->state;
    if (!g || !seconds || batch < 1) return SR_ERR_INVALID;
    if (first > last || first < 0 || last >= sr_graph_node_count(g)) return SR_ERR_RANGE;
    double t = 0.0;
    for (int id = first; id <= last; id++) {
        const double s = sr_cost_insitu_node(p, g, id, prec, batch);
        if (s < 0) return SR_ERR_INVALID;
        t += s;
    }
    *seconds = t;
    return SR_OK;
}

static const sr_cost_model_ops insitu_ops = {"insitu-gpu", insitu_layers, free, 0};

sr_status sr_cost_insitu_create(const sr_gpu_insitu_params *p, sr_cost_model **out)
{
    if (!p || !out || sr_gpu_insitu_check(p) != SR_OK) return SR_ERR_INVALID;
    sr_gpu_insitu_params *s = malloc(sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    *s = *p;
    sr_status st = sr_cost_model_create(&insitu_ops, s, out);
    if (st != SR_OK) free(s);
    return st;
}
