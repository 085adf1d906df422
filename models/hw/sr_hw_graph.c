/* sr_hw_graph.c: graph IR -> plain layer sets for the analytic device models (see sr_hw_graph.h). */
#include "sr_hw_graph.h"

#include <stdio.h>

static sr_status fail(sr_status st, char *err, size_t err_size, const sr_node *nd, const char *why)
{
    if (err != NULL && err_size > 0)
        snprintf(err, err_size, "node '%s' (%s): %s", nd->name, sr_op_name(nd->op), why);
    return st;
}

sr_status sr_hw_layers_from_graph(const sr_graph *g, sr_hw_layer *out, int cap, int *n_out, char *err,
                                  size_t err_size)
{
    if (g == NULL || n_out == NULL || cap < 0 || (out == NULL && cap > 0)) return SR_ERR_INVALID;
    int n = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        const sr_node *nd = sr_graph_node(g, id);
        if (nd->op != SR_OP_CONV && nd->op != SR_OP_FC) continue;
        if (nd->n_inputs < 1) return fail(SR_ERR_INVALID, err, err_size, nd, "no input");
        const sr_shape *in = &sr_graph_node(g, nd->inputs[0])->out;
        const sr_node_attr *a = &nd->attr;
        sr_hw_layer l;
        if (nd->op == SR_OP_CONV) {
            if (in->rank != 4) return fail(SR_ERR_SHAPE, err, err_size, nd, "input is not NCHW");
            if (a->groups != 1)
                return fail(SR_ERR_UNSUPPORTED, err, err_size, nd, "grouped/depthwise conv not modelled");
            if (a->dilation_h != 1 || a->dilation_w != 1)
                return fail(SR_ERR_UNSUPPORTED, err, err_size, nd, "dilated conv not modelled");
            if (a->pad_top != a->pad_bottom || a->pad_top != a->pad_left || a->pad_top != a->pad_right ||
                a->stride_h != a->stride_w)
                return fail(SR_ERR_UNSUPPORTED, err, err_size, nd,
                            "asymmetric padding or stride not modelled");
            l.kind = SR_HW_CONV;
            l.u.conv = (sr_hw_conv){.n = (int)in->d[0],
                                    .c = (int)in->d[1],
                                    .h = (int)in->d[2],
                                    .w = (int)in->d[3],
                                    .m = a->out_channels,
                                    .r = a->kernel_h,
                                    .s = a->kernel_w,
                                    .stride = a->stride_h,
                                    .pad = a->pad_top};
            if (sr_hw_conv_out(&l.u.conv, NULL, NULL) != SR_OK)
                return fail(SR_ERR_SHAPE, err, err_size, nd, "invalid conv shape");
        } else {
            if (in->rank < 1 || in->d[0] <= 0)
                return fail(SR_ERR_SHAPE, err, err_size, nd, "input has no batch dimension");
            l.kind = SR_HW_FC;
            l.u.fc = (sr_hw_fc){
                .n = (int)in->d[0], .in = (int)(sr_shape_numel(in) / in->d[0]), .out = a->out_channels};
            if (sr_hw_fc_check(&l.u.fc) != SR_OK)
                return fail(SR_ERR_SHAPE, err, err_size, nd, "invalid fc shape");
        }
        if (n < cap) out[n] = l;
        n++;
    }
    *n_out = n;
    return n <= cap ? SR_OK : SR_ERR_RANGE;
}
