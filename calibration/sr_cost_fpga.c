/* sr_cost_fpga.c: the In-situ AI FPGA engines as a cost model (see sr_cost_fpga.h). */
#include "sr_cost_fpga.h"

#include <stdint.h>
#include <stdlib.h>

/* The engines' cycle counts depend on a conv's output size, kernel and channel counts only (not on stride,
 * padding or dilation, which change which inputs are read): the node as an unpadded stride-1 conv with the
 * same output, so every conv shape is priced. */
static int conv_of_node(const sr_graph *g, const sr_node *nd, int64_t samples, sr_hw_conv *out)
{
    if (nd->n_inputs < 1 || nd->out.rank != 4) return -1;
    const sr_shape *in = &sr_graph_node(g, nd->inputs[0])->out;
    const int64_t oh = nd->out.d[2], ow = nd->out.d[3], kh = nd->attr.kernel_h, kw = nd->attr.kernel_w;
    if (in->rank != 4 || oh < 1 || ow < 1 || kh < 1 || kw < 1 || samples < 1 || samples > INT32_MAX ||
        oh + kh > INT32_MAX || ow + kw > INT32_MAX)
        return -1;
    *out = (sr_hw_conv){.n = (int)samples,
                        .c = (int)in->d[1],
                        .h = (int)(oh + kh - 1),
                        .w = (int)(ow + kw - 1),
                        .m = (int)nd->out.d[1],
                        .r = (int)kh,
                        .s = (int)kw,
                        .stride = 1,
                        .pad = 0};
    return 0;
}

double sr_cost_fpga_node(const sr_fpga_design *d, const sr_graph *g, int id, sr_precision prec, int batch,
                         int engine)
{
    const sr_node *nd = sr_graph_node(g, id);
    if (!nd || nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST) return 0.0;
    const int64_t samples = nd->out.d[0] * (int64_t)batch;
    double s = -1.0;
    if (nd->op == SR_OP_CONV) {
        sr_hw_conv c;
        if (conv_of_node(g, nd, samples, &c) != 0 ||
            sr_fpga_design_conv_s(d, engine, &c, nd->attr.groups, &s) != SR_OK)
            return -1.0;
        return s;
    }
    if (nd->op == SR_OP_FC && nd->n_inputs >= 1) {
        const sr_shape *is = &sr_graph_node(g, nd->inputs[0])->out;
        const int64_t in = is->d[0] > 0 ? sr_shape_numel(is) / is->d[0] : 0;
        if (in <= 0 || in > INT32_MAX || samples < 1 || samples > INT32_MAX) return -1.0;
        sr_hw_fc f = {(int)samples, (int)in, nd->attr.out_channels};
        return sr_fpga_design_fc_s(d, &f, &s) == SR_OK ? s : -1.0;
    }
    const sr_cost_device dev = {d->name,
                                (double)d->fpga.dsp_total / d->fpga.dsp_per_mult * 2.0 * d->fpga.freq_hz,
                                1,
                                1.0,
                                d->fpga.mem_bw_Bps,
                                0};
    return sr_cost_roofline_node(&dev, g, id, prec, batch);
}

static sr_status fpga_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                             int last, sr_precision prec, int batch, double *seconds)
{
    const sr_fpga_design *d = m->state;
    if (!g || !seconds || !dev || batch < 1) return SR_ERR_INVALID;
    if (first > last || first < 0 || last >= sr_graph_node_count(g)) return SR_ERR_RANGE;
    double t = 0.0;
    for (int id = first; id <= last; id++) {
        const double s = sr_cost_fpga_node(d, g, id, prec, batch, dev->engine);
        if (s < 0) return SR_ERR_INVALID;
        t += s;
    }
    *seconds = t;
    return SR_OK;
}

/* WS and WSS have dedicated engines, priced one by one; an NWS design is one engine that the tasks share,
 * priced as the whole device (two executors each get half of it). */
static const sr_cost_model_ops fpga_engine_ops = {"insitu-fpga", fpga_layers, free, 1};
static const sr_cost_model_ops fpga_device_ops = {"insitu-fpga", fpga_layers, free, 0};

sr_status sr_cost_fpga_create(const sr_fpga_design *d, sr_cost_model **out)
{
    if (!d || !out || sr_fpga_design_dsp(d) <= 0) return SR_ERR_INVALID;
    sr_fpga_design *s = malloc(sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    *s = *d;
    sr_status st =
        sr_cost_model_create(d->arch == SR_FPGA_ARCH_NWS ? &fpga_device_ops : &fpga_engine_ops, s, out);
    if (st != SR_OK) free(s);
    return st;
}
