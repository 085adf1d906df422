/* fpga_engines.c: functional NWS / WSS convolution engines with cycle and traffic counters, their
 * closed forms, the co-running comparison (NWS / WS / WSS), the WSS-group + NWS pipeline (eqs. 10-14)
 * and the DSP-budgeted configuration search of In-situ AI (Song et al., HPCA'18). See fpga_engines.h. */
#include "fpga_engines.h"

#include <stddef.h>
#include <string.h>

static const sr_fpga_params k_fpga_presets[] = {
    {
        .name = "vx690t",
        .dsp_total = SR_VX690T_DSP, /* sources of the three SR_VX690T_ numbers: fpga_engines.h */
        .dsp_per_mult = 1,    /* eq. 10: DSP_WSS = Tr x Tc, DSP_NWS = Tm x Tn, i.e. one DSP per 16-bit MAC */
        .freq_hz = SR_VX690T_FREQ_HZ,
        .mem_bw_Bps = SR_VX690T_MEM_BW_BPS,
        .bytes_per_word = 2,  /* int16 fixed point */
        .source = "Xilinx 7 Series / VC709 data; DSP accounting from the paper's eq. 10; clock assumed",
    },
};

sr_status sr_fpga_preset(const char *name, sr_fpga_params *out)
{
    if (name == NULL || out == NULL) return SR_ERR_INVALID;
    for (size_t i = 0; i < sizeof k_fpga_presets / sizeof k_fpga_presets[0]; i++) {
        if (strcmp(k_fpga_presets[i].name, name) == 0) {
            *out = k_fpga_presets[i];
            return SR_OK;
        }
    }
    return SR_ERR_NOT_FOUND;
}

sr_status sr_fpga_check(const sr_fpga_params *p)
{
    if (p == NULL || p->dsp_total <= 0 || p->dsp_per_mult <= 0 || !(p->freq_hz > 0) || !(p->mem_bw_Bps > 0) ||
        p->bytes_per_word <= 0)
        return SR_ERR_INVALID;
    return SR_OK;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

static int nws_ok(const sr_fpga_nws *e)
{
    return e != NULL && e->tm > 0 && e->tn > 0 && e->tr > 0 && e->tc > 0;
}

/* Sum over the output tiles along one axis of the input rows each tile needs:
 * sum_i ((t_i - 1) stride + k) with sum_i t_i = out. */
static int64_t tiled_input_extent(int64_t out, int64_t tile, int64_t stride, int64_t k)
{
    int64_t nt = ceil_div(out, tile);
    return stride * (out - nt) + nt * k;
}

static void count_zero(sr_fpga_count *c)
{
    memset(c, 0, sizeof *c);
}

/* ---- NWS ---- */

sr_status sr_fpga_nws_conv(const sr_fpga_nws *e, const sr_hw_conv *l, const int16_t *in, const int16_t *w,
                           int64_t *out, sr_fpga_count *cnt)
{
    int oh, ow;
    if (!nws_ok(e) || sr_hw_conv_out(l, &oh, &ow) != SR_OK || in == NULL || w == NULL || out == NULL)
        return SR_ERR_INVALID;
    sr_fpga_count c;
    count_zero(&c);
    const int S = l->stride, P = l->pad, N = l->c, M = l->m, H = l->h, W = l->w;
    const int64_t in_plane = (int64_t)H * W, out_plane = (int64_t)oh * ow;
    memset(out, 0, sizeof *out * (size_t)((int64_t)l->n * M * out_plane));
    for (int b = 0; b < l->n; b++) {
        const int16_t *inb = in + (int64_t)b * N * in_plane;
        int64_t *ob = out + (int64_t)b * M * out_plane;
        for (int row = 0; row < oh; row += e->tr) {
            int trows = imin(e->tr, oh - row);
            for (int col = 0; col < ow; col += e->tc) {
                int tcols = imin(e->tc, ow - col);
                for (int to = 0; to < M; to += e->tm) {
                    int tm = imin(e->tm, M - to);
                    for (int ti = 0; ti < N; ti += e->tn) {
                        int tn = imin(e->tn, N - ti);
                        c.weight_words += (int64_t)tm * tn * l->r * l->s;
                        c.input_words += (int64_t)tn * ((int64_t)(trows - 1) * S + l->r) *
                                         ((int64_t)(tcols - 1) * S + l->s);
                        for (int i = 0; i < l->r; i++)
                            for (int j = 0; j < l->s; j++)
                                for (int trr = 0; trr < trows; trr++)
                                    for (int tcc = 0; tcc < tcols; tcc++) {
                                        /* one cycle: Tm x Tn multipliers fire */
                                        c.cycles++;
                                        int iy = (row + trr) * S + i - P, ix = (col + tcc) * S + j - P;
                                        int inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
                                        for (int too = 0; too < tm; too++) {
                                            int64_t acc = 0;
                                            for (int tii = 0; tii < tn; tii++) {
                                                int64_t v =
                                                    inside ? inb[(ti + tii) * in_plane + (int64_t)iy * W + ix]
                                                           : 0;
                                                int64_t wv =
                                                    w[(((int64_t)(to + too) * N + ti + tii) * l->r + i) *
                                                          l->s +
                                                      j];
                                                acc += wv * v;
                                            }
                                            c.macs += tn;
                                            ob[(to + too) * out_plane + (int64_t)(row + trr) * ow + col +
                                               tcc] += acc;
                                        }
                                    }
                    }
                    c.output_words += (int64_t)tm * trows * tcols;
                }
            }
        }
    }
    c.mult_slots = c.cycles * e->tm * e->tn;
    if (cnt != NULL) *cnt = c;
    return SR_OK;
}

sr_status sr_fpga_nws_conv_model(const sr_fpga_nws *e, const sr_hw_conv *l, sr_fpga_count *cnt)
{
    int oh, ow;
    if (!nws_ok(e) || sr_hw_conv_out(l, &oh, &ow) != SR_OK || cnt == NULL) return SR_ERR_INVALID;
    const int64_t n = l->n, M = l->m, N = l->c, k2 = (int64_t)l->r * l->s, rc = (int64_t)oh * ow;
    count_zero(cnt);
    cnt->cycles = n * ceil_div(M, e->tm) * ceil_div(N, e->tn) * rc * k2;
    cnt->macs = n * M * N * k2 * rc;
    cnt->mult_slots = cnt->cycles * e->tm * e->tn;
    cnt->weight_words = n * ceil_div(oh, e->tr) * ceil_div(ow, e->tc) * M * N * k2;
    cnt->input_words = n * ceil_div(M, e->tm) * N * tiled_input_extent(oh, e->tr, l->stride, l->r) *
                       tiled_input_extent(ow, e->tc, l->stride, l->s);
    cnt->output_words = n * M * rc;
    return SR_OK;
}

double sr_fpga_util_eq4(const sr_fpga_nws *e, int n_in, int m_out)
{
    if (!nws_ok(e) || n_in <= 0 || m_out <= 0) return 0.0;
    return (double)n_in * m_out /
           ((double)e->tn * e->tm * (double)ceil_div(n_in, e->tn) * (double)ceil_div(m_out, e->tm));
}

/* One cycle of the Tm x Tn engine on an FC layer: outputs [to, to+tm) of sample b get the dot products
 * over inputs [ti, ti+tn). */
static void fc_cycle(const sr_hw_fc *l, const int16_t *in, const int16_t *w, int64_t *out, int b, int to,
                     int tm, int ti, int tn, sr_fpga_count *c)
{
    c->cycles++;
    for (int too = 0; too < tm; too++) {
        int64_t acc = 0;
        for (int tii = 0; tii < tn; tii++)
            acc += (int64_t)w[(int64_t)(to + too) * l->in + ti + tii] * in[(int64_t)b * l->in + ti + tii];
        out[(int64_t)b * l->out + to + too] += acc;
        c->macs += tn;
    }
}

sr_status sr_fpga_nws_fc(const sr_fpga_nws *e, const sr_hw_fc *l, int batched, const int16_t *in,
                         const int16_t *w, int64_t *out, sr_fpga_count *cnt)
{
    if (!nws_ok(e) || sr_hw_fc_check(l) != SR_OK || in == NULL || w == NULL || out == NULL)
        return SR_ERR_INVALID;
    sr_fpga_count c;
    count_zero(&c);
    memset(out, 0, sizeof *out * (size_t)((int64_t)l->n * l->out));
    c.input_words = (int64_t)l->n * l->in; /* each sample's input vector is buffered on chip once */
    if (batched) {
        /* Fig. 13: the batch loop is inside the weight-tile loops. */
        for (int to = 0; to < l->out; to += e->tm) {
            int tm = imin(e->tm, l->out - to);
            for (int ti = 0; ti < l->in; ti += e->tn) {
                int tn = imin(e->tn, l->in - ti);
                c.weight_words += (int64_t)tm * tn;
                for (int b = 0; b < l->n; b++)
                    fc_cycle(l, in, w, out, b, to, tm, ti, tn, &c);
            }
        }
    } else {
        for (int b = 0; b < l->n; b++)
            for (int to = 0; to < l->out; to += e->tm) {
                int tm = imin(e->tm, l->out - to);
                for (int ti = 0; ti < l->in; ti += e->tn) {
                    int tn = imin(e->tn, l->in - ti);
                    c.weight_words += (int64_t)tm * tn;
                    fc_cycle(l, in, w, out, b, to, tm, ti, tn, &c);
                }
            }
    }
    c.output_words = (int64_t)l->n * l->out;
    c.mult_slots = c.cycles * e->tm * e->tn;
    if (cnt != NULL) *cnt = c;
    return SR_OK;
}

sr_status sr_fpga_nws_fc_model(const sr_fpga_nws *e, const sr_hw_fc *l, int batched, sr_fpga_count *cnt)
{
    if (!nws_ok(e) || sr_hw_fc_check(l) != SR_OK || cnt == NULL) return SR_ERR_INVALID;
    const int64_t B = l->n, N = l->in, M = l->out;
    count_zero(cnt);
    cnt->cycles = ceil_div(N, e->tn) * ceil_div(M, e->tm) * B;
    cnt->macs = M * N * B;
    cnt->mult_slots = cnt->cycles * e->tm * e->tn;
    cnt->weight_words = batched ? M * N : M * N * B;
    cnt->input_words = N * B;
    cnt->output_words = M * B;
    return SR_OK;
}

double sr_fpga_fc_time_s(const sr_fpga_params *p, const sr_fpga_count *cnt)
{
    double t_comp = (double)cnt->cycles / p->freq_hz;
    double words = (double)(cnt->weight_words + cnt->input_words + cnt->output_words);
    double t_mem = words * p->bytes_per_word / p->mem_bw_Bps;
    return t_comp > t_mem ? t_comp : t_mem;
}

/* ---- WSS ---- */

int64_t sr_fpga_wss_dsp(const sr_fpga_wss *e, const sr_fpga_params *p)
{
    return ((int64_t)e->tr * e->tc + (int64_t)e->diag_engines * e->diag_tr * e->diag_tc) * p->dsp_per_mult;
}

int64_t sr_fpga_nws_dsp(const sr_fpga_nws *e, const sr_fpga_params *p)
{
    return (int64_t)e->tm * e->tn * p->dsp_per_mult;
}

sr_status sr_fpga_wss_conv(int tr, int tc, int group, const sr_hw_conv *l, const int16_t *in,
                           const int16_t *w, int64_t *out, sr_fpga_count *cnt)
{
    int oh, ow;
    if (tr <= 0 || tc <= 0 || group <= 0 || sr_hw_conv_out(l, &oh, &ow) != SR_OK || in == NULL || w == NULL ||
        out == NULL)
        return SR_ERR_INVALID;
    sr_fpga_count c;
    count_zero(&c);
    const int S = l->stride, P = l->pad, N = l->c, M = l->m, H = l->h, W = l->w;
    const int64_t in_plane = (int64_t)H * W, out_plane = (int64_t)oh * ow;
    memset(out, 0, sizeof *out * (size_t)((int64_t)l->n * M * out_plane));
    for (int b = 0; b < l->n; b++) {
        const int16_t *inb = in + (int64_t)b * N * in_plane;
        int64_t *ob = out + (int64_t)b * M * out_plane;
        c.weight_words += (int64_t)M * N * l->r * l->s;
        for (int pass = 0; pass < M; pass += group) {
            int g_act = imin(group, M - pass);
            for (int row = 0; row < oh; row += tr) {
                int trows = imin(tr, oh - row);
                for (int col = 0; col < ow; col += tc) {
                    int tcols = imin(tc, ow - col);
                    c.input_words +=
                        (int64_t)N * ((int64_t)(trows - 1) * S + l->r) * ((int64_t)(tcols - 1) * S + l->s);
                    for (int ci = 0; ci < N; ci++)
                        for (int i = 0; i < l->r; i++)
                            for (int j = 0; j < l->s; j++) {
                                /* one cycle: each array gets its own broadcast weight; all arrays see the
                                 * same shifted input neurons; every PE keeps its own output neuron. */
                                c.cycles++;
                                for (int g = 0; g < g_act; g++) {
                                    int m = pass + g;
                                    int64_t wv = w[(((int64_t)m * N + ci) * l->r + i) * l->s + j];
                                    for (int trr = 0; trr < trows; trr++) {
                                        int iy = (row + trr) * S + i - P;
                                        for (int tcc = 0; tcc < tcols; tcc++) {
                                            int ix = (col + tcc) * S + j - P;
                                            int64_t v = (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                                            ? inb[ci * in_plane + (int64_t)iy * W + ix]
                                                            : 0;
                                            ob[m * out_plane + (int64_t)(row + trr) * ow + col + tcc] +=
                                                wv * v;
                                        }
                                    }
                                    c.macs += (int64_t)trows * tcols;
                                }
                            }
                }
            }
        }
        c.output_words += (int64_t)M * out_plane;
    }
    c.mult_slots = c.cycles * group * tr * tc;
    if (cnt != NULL) *cnt = c;
    return SR_OK;
}

sr_status sr_fpga_wss_conv_model(int tr, int tc, int group, const sr_hw_conv *l, sr_fpga_count *cnt)
{
    int oh, ow;
    if (tr <= 0 || tc <= 0 || group <= 0 || sr_hw_conv_out(l, &oh, &ow) != SR_OK || cnt == NULL)
        return SR_ERR_INVALID;
    const int64_t n = l->n, M = l->m, N = l->c, k2 = (int64_t)l->r * l->s;
    const int64_t passes = ceil_div(M, group);
    count_zero(cnt);
    cnt->cycles = n * passes * N * k2 * ceil_div(oh, tr) * ceil_div(ow, tc);
    cnt->macs = n * M * N * k2 * oh * ow;
    cnt->mult_slots = cnt->cycles * group * tr * tc;
    cnt->weight_words = n * M * N * k2;
    cnt->input_words = n * passes * N * tiled_input_extent(oh, tr, l->stride, l->r) *
                       tiled_input_extent(ow, tc, l->stride, l->s);
    cnt->output_words = n * M * (int64_t)oh * ow;
    return SR_OK;
}

sr_status sr_fpga_conv_time_eq11(const sr_fpga_params *p, const sr_fpga_wss *e, const sr_hw_conv *l,
                                 double *time_s)
{
    if (sr_fpga_check(p) != SR_OK || e == NULL || time_s == NULL) return SR_ERR_INVALID;
    sr_hw_conv one = *l;
    one.n = 1;
    sr_fpga_count c;
    sr_status st = sr_fpga_wss_conv_model(e->tr, e->tc, e->group, &one, &c);
    if (st != SR_OK) return st;
    *time_s = (double)c.cycles / p->freq_hz;
    return SR_OK;
}

/* ---- Co-running ---- */

sr_status sr_fpga_corun_conv(sr_fpga_arch arch, const sr_fpga_nws *nws, const sr_fpga_wss *wss,
                             const sr_hw_conv *inf, const sr_hw_conv *diag, int shared,
                             sr_fpga_corun_result *out)
{
    if (inf == NULL || diag == NULL || out == NULL || inf->n != 1 || inf->c != diag->c || inf->m != diag->m ||
        inf->r != diag->r || inf->s != diag->s)
        return SR_ERR_INVALID;
    sr_fpga_count ci, cd;
    sr_status st;
    const int64_t layer_weights = (int64_t)inf->m * inf->c * inf->r * inf->s;
    int64_t diag_mults = 0;
    memset(out, 0, sizeof *out);
    switch (arch) {
    case SR_FPGA_ARCH_NWS:
        if ((st = sr_fpga_nws_conv_model(nws, inf, &ci)) != SR_OK ||
            (st = sr_fpga_nws_conv_model(nws, diag, &cd)) != SR_OK)
            return st;
        out->cycles = ci.cycles + cd.cycles; /* one engine, the tasks one after the other */
        out->weight_words = 2 * layer_weights;
        out->multipliers = (int64_t)nws->tm * nws->tn;
        break;
    case SR_FPGA_ARCH_WS: {
        sr_hw_conv one = *diag;
        one.n = 1;
        if ((st = sr_fpga_nws_conv_model(nws, inf, &ci)) != SR_OK ||
            (st = sr_fpga_nws_conv_model(nws, &one, &cd)) != SR_OK)
            return st;
        /* one engine per patch, all patches at once */
        out->cycles = ci.cycles > cd.cycles ? ci.cycles : cd.cycles;
        cd.macs *= diag->n;
        diag_mults = (int64_t)diag->n * nws->tm * nws->tn;
        out->multipliers = (int64_t)nws->tm * nws->tn + diag_mults;
        out->weight_words = (shared ? 1 : 2) * layer_weights;
        break;
    }
    case SR_FPGA_ARCH_WSS: {
        if (wss == NULL || wss->diag_engines <= 0) return SR_ERR_INVALID;
        sr_hw_conv one = *diag;
        one.n = 1;
        if ((st = sr_fpga_wss_conv_model(wss->tr, wss->tc, wss->group, inf, &ci)) != SR_OK ||
            (st = sr_fpga_wss_conv_model(wss->diag_tr, wss->diag_tc, wss->group, &one, &cd)) != SR_OK)
            return st;
        int64_t diag_cycles = ceil_div(diag->n, wss->diag_engines) * cd.cycles;
        out->cycles = ci.cycles > diag_cycles ? ci.cycles : diag_cycles;
        cd.macs *= diag->n;
        diag_mults = (int64_t)wss->group * wss->diag_engines * wss->diag_tr * wss->diag_tc;
        out->multipliers = (int64_t)wss->group * wss->tr * wss->tc + diag_mults;
        out->weight_words = (shared ? 1 : 2) * layer_weights;
        break;
    }
    default:
        return SR_ERR_INVALID;
    }
    out->idle_fraction = 1.0 - (double)(ci.macs + cd.macs) / ((double)out->multipliers * (double)out->cycles);
    out->diag_idle_fraction = diag_mults > 0
                                  ? 1.0 - (double)cd.macs / ((double)diag_mults * (double)out->cycles)
                                  : out->idle_fraction;
    return SR_OK;
}

/* ---- Pipeline (eqs. 10, 13, 14) ---- */

sr_status sr_fpga_pipeline_time(const sr_fpga_params *p, const sr_fpga_wss *wss, const sr_fpga_nws *nws,
                                const sr_hw_layer *layers, int n_layers, int batch,
                                sr_fpga_pipeline_result *out)
{
    if (sr_fpga_check(p) != SR_OK || wss == NULL || wss->tr <= 0 || wss->tc <= 0 || wss->group <= 0 ||
        wss->diag_engines < 0 || !nws_ok(nws) || layers == NULL || n_layers <= 0 || batch <= 0 || out == NULL)
        return SR_ERR_INVALID;
    memset(out, 0, sizeof *out);
    out->dsp_used = wss->group * sr_fpga_wss_dsp(wss, p) + sr_fpga_nws_dsp(nws, p);
    if (out->dsp_used > p->dsp_total) return SR_ERR_RANGE;
    for (int i = 0; i < n_layers; i++) {
        sr_status st;
        switch (layers[i].kind) {
        case SR_HW_CONV: {
            double t;
            if ((st = sr_fpga_conv_time_eq11(p, wss, &layers[i].u.conv, &t)) != SR_OK) return st;
            out->t_all_conv_s += t;
            break;
        }
        case SR_HW_FC: {
            sr_hw_fc f = layers[i].u.fc;
            f.n = batch;
            sr_fpga_count c;
            if ((st = sr_fpga_nws_fc_model(nws, &f, 1, &c)) != SR_OK) return st;
            out->t_all_fc_s += sr_fpga_fc_time_s(p, &c);
            break;
        }
        }
    }
    double conv_stage = out->t_all_conv_s * batch;
    double stage = conv_stage > out->t_all_fc_s ? conv_stage : out->t_all_fc_s;
    out->latency_s = 2.0 * stage;
    out->throughput_per_s = stage > 0 ? batch / stage : 0.0;
    return SR_OK;
}

sr_status sr_fpga_pipeline_select_batch(const sr_fpga_params *p, const sr_fpga_wss *wss,
                                        const sr_fpga_nws *nws, const sr_hw_layer *layers, int n_layers,
                                        double t_user_s, int b_cap, int *batch)
{
    if (b_cap <= 0 || batch == NULL || !(t_user_s > 0)) return SR_ERR_INVALID;
    sr_fpga_pipeline_result r;
    sr_status st = sr_fpga_pipeline_time(p, wss, nws, layers, n_layers, 1, &r);
    if (st != SR_OK) return st;
    if (r.latency_s > t_user_s) return SR_ERR_NOT_FOUND;
    int lo = 1, hi = b_cap; /* lo meets the bound */
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if ((st = sr_fpga_pipeline_time(p, wss, nws, layers, n_layers, mid, &r)) != SR_OK) return st;
        if (r.latency_s <= t_user_s)
            lo = mid;
        else
            hi = mid - 1;
    }
    *batch = lo;
    return SR_OK;
}

/* ---- Configuration search ---- */

sr_status sr_fpga_nws_set_cycles(const sr_fpga_nws *e, const sr_hw_layer *layers, int n_layers, int batch,
                                 int64_t *cycles)
{
    if (!nws_ok(e) || layers == NULL || n_layers <= 0 || batch <= 0 || cycles == NULL) return SR_ERR_INVALID;
    int64_t sum = 0;
    for (int i = 0; i < n_layers; i++) {
        sr_fpga_count c;
        sr_status st = SR_ERR_INVALID;
        switch (layers[i].kind) {
        case SR_HW_CONV: {
            sr_hw_conv l = layers[i].u.conv;
            l.n = batch;
            st = sr_fpga_nws_conv_model(e, &l, &c);
            break;
        }
        case SR_HW_FC: {
            sr_hw_fc l = layers[i].u.fc;
            l.n = batch;
            st = sr_fpga_nws_fc_model(e, &l, 1, &c);
            break;
        }
        }
        if (st != SR_OK) return st;
        sum += c.cycles;
    }
    *cycles = sum;
    return SR_OK;
}

sr_status sr_fpga_wss_set_cycles(int tr, int tc, int group, const sr_hw_layer *layers, int n_layers,
                                 int64_t *cycles)
{
    if (layers == NULL || n_layers <= 0 || cycles == NULL) return SR_ERR_INVALID;
    int64_t sum = 0;
    for (int i = 0; i < n_layers; i++) {
        if (layers[i].kind != SR_HW_CONV) continue;
        sr_hw_conv l = layers[i].u.conv;
        l.n = 1;
        sr_fpga_count c;
        sr_status st = sr_fpga_wss_conv_model(tr, tc, group, &l, &c);
        if (st != SR_OK) return st;
        sum += c.cycles;
    }
    *cycles = sum;
    return SR_OK;
}

/* Largest input / output channel counts and output sizes over a set (what tiling can exploit). */
static sr_status set_extents(const sr_hw_layer *layers, int n_layers, int *max_m, int *max_n, int *max_r,
                             int *max_c, int *n_conv)
{
    *max_m = *max_n = *max_r = *max_c = 1;
    *n_conv = 0;
    for (int i = 0; i < n_layers; i++) {
        int m, n;
        switch (layers[i].kind) {
        case SR_HW_CONV: {
            int oh, ow;
            sr_hw_conv l = layers[i].u.conv;
            l.n = 1;
            if (sr_hw_conv_out(&l, &oh, &ow) != SR_OK) return SR_ERR_INVALID;
            m = l.m;
            n = l.c;
            if (oh > *max_r) *max_r = oh;
            if (ow > *max_c) *max_c = ow;
            (*n_conv)++;
            break;
        }
        case SR_HW_FC: {
            sr_hw_fc l = layers[i].u.fc;
            l.n = 1;
            if (sr_hw_fc_check(&l) != SR_OK) return SR_ERR_INVALID;
            m = l.out;
            n = l.in;
            break;
        }
        default:
            return SR_ERR_INVALID;
        }
        if (m > *max_m) *max_m = m;
        if (n > *max_n) *max_n = n;
    }
    return SR_OK;
}

/* (cycles, dsp, a, b, c) lexicographic "less than". */
static int cand_better(int64_t cy, int64_t dsp, const int *k, int64_t bcy, int64_t bdsp, const int *bk,
                       int nk)
{
    if (cy != bcy) return cy < bcy;
    if (dsp != bdsp) return dsp < bdsp;
    for (int i = 0; i < nk; i++)
        if (k[i] != bk[i]) return k[i] < bk[i];
    return 0;
}

sr_status sr_fpga_search_nws(const sr_fpga_params *p, int dsp_budget, const sr_hw_layer *layers, int n_layers,
                             int batch, sr_fpga_nws *best, int64_t *best_cycles)
{
    int max_m, max_n, max_r, max_c, n_conv;
    if (sr_fpga_check(p) != SR_OK || dsp_budget <= 0 || layers == NULL || n_layers <= 0 || batch <= 0 ||
        best == NULL || best_cycles == NULL)
        return SR_ERR_INVALID;
    if (set_extents(layers, n_layers, &max_m, &max_n, &max_r, &max_c, &n_conv) != SR_OK)
        return SR_ERR_INVALID;
    int mults = dsp_budget / p->dsp_per_mult;
    if (mults < 1) return SR_ERR_NOT_FOUND;
    int found = 0, bk[2] = {0, 0};
    int64_t bcy = 0, bdsp = 0;
    for (int tm = 1; tm <= imin(max_m, mults); tm++) {
        int tn_hi = imin(mults / tm, max_n);
        sr_fpga_nws e = {.tm = tm, .tn = tn_hi, .tr = 1, .tc = 1};
        int64_t target;
        sr_status st = sr_fpga_nws_set_cycles(&e, layers, n_layers, batch, &target);
        if (st != SR_OK) return st;
        /* smallest tn reaching the same cycles (cycles are non-increasing in tn) */
        int lo = 1, hi = tn_hi;
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            int64_t cy;
            e.tn = mid;
            if ((st = sr_fpga_nws_set_cycles(&e, layers, n_layers, batch, &cy)) != SR_OK) return st;
            if (cy == target)
                hi = mid;
            else
                lo = mid + 1;
        }
        int k[2] = {tm, lo};
        int64_t dsp = (int64_t)tm * lo * p->dsp_per_mult;
        if (!found || cand_better(target, dsp, k, bcy, bdsp, bk, 2)) {
            found = 1;
            bcy = target;
            bdsp = dsp;
            bk[0] = k[0];
            bk[1] = k[1];
        }
    }
    best->tm = bk[0];
    best->tn = bk[1];
    best->tr = best->tc = 1;
    *best_cycles = bcy;
    return SR_OK;
}

sr_status sr_fpga_search_wss(const sr_fpga_params *p, int dsp_budget, const sr_hw_layer *layers, int n_layers,
                             sr_fpga_wss *best, int64_t *best_cycles)
{
    int max_m, max_n, max_r, max_c, n_conv;
    if (sr_fpga_check(p) != SR_OK || dsp_budget <= 0 || layers == NULL || n_layers <= 0 || best == NULL ||
        best_cycles == NULL)
        return SR_ERR_INVALID;
    if (set_extents(layers, n_layers, &max_m, &max_n, &max_r, &max_c, &n_conv) != SR_OK)
        return SR_ERR_INVALID;
    if (n_conv == 0) return SR_ERR_INVALID;
    int mults = dsp_budget / p->dsp_per_mult;
    int found = 0, bk[3] = {0, 0, 0};
    int64_t bcy = 0, bdsp = 0;
    for (int tr = 1; tr <= imin(max_r, mults); tr++) {
        for (int tc = 1; tc <= max_c && (int64_t)tr * tc <= mults; tc++) {
            int g_hi = imin((int)(mults / ((int64_t)tr * tc)), max_m);
            int64_t target;
            sr_status st = sr_fpga_wss_set_cycles(tr, tc, g_hi, layers, n_layers, &target);
            if (st != SR_OK) return st;
            int lo = 1, hi = g_hi;
            while (lo < hi) {
                int mid = lo + (hi - lo) / 2;
                int64_t cy;
                if ((st = sr_fpga_wss_set_cycles(tr, tc, mid, layers, n_layers, &cy)) != SR_OK) return st;
                if (cy == target)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            int k[3] = {tr, tc, lo};
            int64_t dsp = (int64_t)lo * tr * tc * p->dsp_per_mult;
            if (!found || cand_better(target, dsp, k, bcy, bdsp, bk, 3)) {
                found = 1;
                bcy = target;
                bdsp = dsp;
                memcpy(bk, k, sizeof bk);
            }
        }
    }
    if (!found) return SR_ERR_NOT_FOUND;
    memset(best, 0, sizeof *best);
    best->tr = bk[0];
    best->tc = bk[1];
    best->group = bk[2];
    *best_cycles = bcy;
    return SR_OK;
}
