/* sr_cost_roofline.c: the roofline cost model (first implementation of sr_cost.h).
 *
 * Per layer: t = max(batch * flops / (speed_flops * cores * efficiency), bytes / mem_bw), with
 * flops = sr_node_flops() and bytes = batch * (input + output bytes) + weight bytes at the precision.
 * A range costs the sum of its layers (layers run one after another, no overlap between layers).
 * Inputs and constants cost nothing (the frame is already in memory; constants are weights).
 * The efficiency is the profile's assumed fraction of peak (sr_profile.h says where it comes from);
 * issue 5's fitted per-layer model replaces this file through the same vtable. */
#include "sr_cost.h"

#include <stddef.h>

double sr_cost_roofline_node(const sr_cost_device *dev, const sr_graph *g, int id, sr_precision p, int batch)
{
    const sr_node *nd = sr_graph_node(g, id);
    if (!nd || nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST) return 0.0;
    double peak = dev->speed_flops * (double)dev->cores * dev->efficiency;
    double t_compute = (double)batch * sr_node_flops(g, id) / peak;
    double bytes = (double)batch * (double)(sr_node_input_bytes(g, id, p) + sr_node_output_bytes(g, id, p)) +
                   (double)sr_node_weight_bytes(g, id, p);
    double t_mem = dev->mem_bw_Bps > 0 ? bytes / dev->mem_bw_Bps : 0.0;
    return t_compute > t_mem ? t_compute : t_mem;
}

static sr_status roofline_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g,
                                 int first, int last, sr_precision p, int batch, double *seconds)
{
    (void)m;
    double t = 0.0;
    for (int id = first; id <= last; id++)
        t += sr_cost_roofline_node(dev, g, id, p, batch);
    *seconds = t;
    return SR_OK;
}

static const sr_cost_model_ops roofline_ops = {"roofline", roofline_layers, NULL, 0};

sr_status sr_cost_roofline_create(sr_cost_model **out)
{
    return sr_cost_model_create(&roofline_ops, NULL, out);
}
