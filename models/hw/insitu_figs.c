/* insitu_figs.c: Fig. 21, 22 and the architectures compared in them (insitu_figs.h). */
#include "insitu_figs.h"

#include <string.h>

#define MAX_CONV 256

sr_status sr_insitu_fig21(const sr_gpu_insitu_params *gpu, const sr_hw_layer *layers, int n_layers, double bound_s,
                          int b_cap, sr_insitu_batching *out)
{
    memset(out, 0, sizeof *out);
    sr_status st = sr_gpu_insitu_net_time(gpu, layers, n_layers, 1, &out->t1_s);
    if (st != SR_OK) return st;
    st = sr_gpu_insitu_select_batch(gpu, layers, n_layers, bound_s, b_cap, &out->batch, &out->latency_s);
    if (st != SR_OK) return st;
    out->speedup = out->batch * out->t1_s / out->latency_s;
    return SR_OK;
}

sr_status sr_insitu_patch_layers(const sr_hw_layer *inf, int n_layers, int patch_hw, int patches, sr_hw_layer *out)
{
    int prev_h = 0, prev_w = 0, prev_ph = 0, prev_pw = 0, first = 1;
    for (int i = 0; i < n_layers; i++) {
        out[i] = inf[i];
        if (inf[i].kind != SR_HW_CONV) continue;
        sr_hw_conv *c = &out[i].u.conv;
        c->n = patches;
        if (first) {
            c->h = c->w = patch_hw;
        } else {
            const int pooled = inf[i].u.conv.h != prev_h || inf[i].u.conv.w != prev_w;
            c->h = pooled ? (prev_ph - 3) / 2 + 1 : prev_ph;
            c->w = pooled ? (prev_pw - 3) / 2 + 1 : prev_pw;
        }
        first = 0;
        if (sr_hw_conv_out(&inf[i].u.conv, &prev_h, &prev_w) != SR_OK || sr_hw_conv_out(c, &prev_ph, &prev_pw) != SR_OK)
            return SR_ERR_INVALID;
    }
    return SR_OK;
}

/* The conv layers of a set, in order, into conv[cap]; their count, or -1 when there are more than cap. */
static int conv_layers(const sr_hw_layer *layers, int n, sr_hw_layer *conv, int cap)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (layers[i].kind == SR_HW_CONV) {
            if (k == cap) return -1;
            conv[k++] = layers[i];
        }
    return k;
}

sr_status sr_insitu_archs_make(const sr_fpga_params *p, const sr_hw_layer *inf, int n_layers, int n_patches,
                               int multipliers, sr_insitu_archs *out)
{
    memset(out, 0, sizeof *out);
    sr_hw_layer conv[MAX_CONV];
    int nc = conv_layers(inf, n_layers, conv, MAX_CONV);
    const int per_wss = 14 * 14 + n_patches * 7 * 7;
    if (nc <= 0 || n_patches < 1 || multipliers < per_wss) return SR_ERR_INVALID;
    out->wss = (sr_fpga_wss){.tr = 14, .tc = 14, .group = multipliers / per_wss, .diag_engines = n_patches,
                             .diag_tr = 7, .diag_tc = 7};
    out->mult_wss = (int64_t)out->wss.group * per_wss;
    int64_t cy;
    sr_status st = sr_fpga_search_nws(p, multipliers / (1 + n_patches), conv, nc, 1, &out->ws_engine, &cy);
    if (st != SR_OK) return st;
    out->mult_ws = (int64_t)(1 + n_patches) * out->ws_engine.tm * out->ws_engine.tn;
    st = sr_fpga_search_nws(p, multipliers, conv, nc, 1, &out->nws, &cy);
    if (st != SR_OK) return st;
    out->mult_nws = (int64_t)out->nws.tm * out->nws.tn;
    return SR_OK;
}

sr_status sr_insitu_fig22(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                          const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, int shared,
                          sr_insitu_corun *out)
{
    memset(out, 0, sizeof *out);
    double macs = 0, slots = 0;
    int ci = 0;
    for (int i = 0; i < n_layers; i++) {
        if (inf[i].kind != SR_HW_CONV) continue;
        if (diag[i].kind != SR_HW_CONV) return SR_ERR_INVALID;
        sr_fpga_corun_result r;
        sr_fpga_nws e = arch == SR_FPGA_ARCH_WS ? a->ws_engine : a->nws;
        /* one output tile per layer: its weights are loaded once ("the weights of each layer are loaded from
         * off-chip first and then the computation is performed", Sec. V-A2) */
        sr_status st = sr_hw_conv_out(&inf[i].u.conv, &e.tr, &e.tc);
        if (st != SR_OK) return st;
        st = sr_fpga_corun_conv(arch, &e, &a->wss, &inf[i].u.conv, &diag[i].u.conv, ci < shared, &r);
        if (st != SR_OK) return st;
        out->cycles += r.cycles;
        out->weight_words += r.weight_words;
        macs += (double)sr_hw_conv_macs(&inf[i].u.conv) + (double)sr_hw_conv_macs(&diag[i].u.conv);
        slots += (double)r.multipliers * (double)r.cycles;
        ci++;
    }
    out->compute_s = (double)out->cycles / p->freq_hz;
    out->access_s = (double)out->weight_words * p->bytes_per_word / p->mem_bw_Bps;
    out->idle_fraction = slots > 0 ? 1.0 - macs / slots : 0;
    return SR_OK;
}

sr_status sr_insitu_corun_latency(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                                  const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, int shared,
                                  const sr_fpga_nws *fc_nws, int batch, double *latency_s)
{
    sr_insitu_corun c;
    sr_status st = sr_insitu_fig22(p, a, arch, inf, diag, n_layers, shared, &c);
    if (st != SR_OK) return st;
    sr_fpga_pipeline_result r;
    st = sr_fpga_pipeline_time(p, &a->wss, fc_nws, inf, n_layers, batch, &r);
    if (st != SR_OK) return st;
    const double conv = c.compute_s * batch;
    *latency_s = 2.0 * (conv > r.t_all_fc_s ? conv : r.t_all_fc_s);
    return SR_OK;
}

/* Sum of eq. 12 over the FC layers of a set at batch b on fc. */
static sr_status fc_sum(const sr_fpga_params *p, const sr_hw_layer *inf, int n, const sr_fpga_nws *fc, int batched,
                        int b, double *t)
{
    *t = 0;
    for (int i = 0; i < n; i++) {
        if (inf[i].kind != SR_HW_FC) continue;
        sr_hw_fc f = inf[i].u.fc;
        f.n = b;
        sr_fpga_count c;
        sr_status st = sr_fpga_nws_fc_model(fc, &f, batched, &c);
        if (st != SR_OK) return st;
        *t += sr_fpga_fc_time_s(p, &c);
    }
    return SR_OK;
}

static void arch_point(double conv1, double fc, int b, int pipelined, sr_insitu_point *pt)
{
    const double conv = conv1 * b;
    pt->batch = b;
    if (pipelined) {
        const double stage = conv > fc ? conv : fc;
        pt->latency_s = 2.0 * stage;
        pt->throughput_per_s = b / stage;
    } else {
        pt->latency_s = conv + fc;
        pt->throughput_per_s = b / pt->latency_s;
    }
}

sr_status sr_insitu_fig23_arch(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                               const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, const sr_fpga_nws *fc,
                               int fc_batched, int pipelined, double bound_s, int b_cap, sr_insitu_point *out)
{
    if (!out || !fc || b_cap < 1 || !(bound_s > 0)) return SR_ERR_INVALID;
    memset(out, 0, sizeof *out);
    sr_insitu_corun c;
    sr_status st = sr_insitu_fig22(p, a, arch, inf, diag, n_layers, 5, &c);
    if (st != SR_OK) return st;
    /* latency grows with b (both terms do), so the largest b that meets the bound is found by bisection */
    int lo = 0, hi = b_cap;
    while (lo < hi) {
        const int mid = lo + (hi - lo + 1) / 2;
        double fcs = 0;
        if ((st = fc_sum(p, inf, n_layers, fc, fc_batched, mid, &fcs)) != SR_OK) return st;
        sr_insitu_point pt;
        arch_point(c.compute_s, fcs, mid, pipelined, &pt);
        if (pt.latency_s <= bound_s)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (lo == 0) return SR_OK;
    double fcs = 0;
    if ((st = fc_sum(p, inf, n_layers, fc, fc_batched, lo, &fcs)) != SR_OK) return st;
    arch_point(c.compute_s, fcs, lo, pipelined, out);
    return SR_OK;
}

sr_status sr_insitu_split(const sr_fpga_params *p, const sr_fpga_wss *wss, int group, const sr_hw_layer *inf,
                          int n_layers, sr_fpga_wss *wss_out, sr_fpga_nws *fc_out, int64_t *dsp)
{
    if (!p || !wss || group < 1 || !inf || !wss_out || !fc_out || !dsp) return SR_ERR_INVALID;
    sr_hw_layer fcs[MAX_CONV];
    int nf = 0;
    for (int i = 0; i < n_layers; i++)
        if (inf[i].kind == SR_HW_FC) {
            if (nf == MAX_CONV) return SR_ERR_RANGE;
            fcs[nf++] = inf[i];
        }
    if (nf == 0) return SR_ERR_INVALID;
    *wss_out = *wss;
    wss_out->group = group;
    const int64_t left = p->dsp_total - (int64_t)group * sr_fpga_wss_dsp(wss_out, p);
    if (left < p->dsp_per_mult) return SR_ERR_RANGE;
    int64_t cy;
    sr_status st = sr_fpga_search_nws(p, (int)left, fcs, nf, 1, fc_out, &cy);
    if (st != SR_OK) return st;
    *dsp = (int64_t)group * sr_fpga_wss_dsp(wss_out, p) + sr_fpga_nws_dsp(fc_out, p);
    return SR_OK;
}
