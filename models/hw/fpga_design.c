/* fpga_design.c: FPGA design presets and their per-layer closed-form times (see fpga_design.h). */
#include "fpga_design.h"

#include <stddef.h>
#include <string.h>

#define WSS_PAPER                                                                                            \
    {                                                                                                        \
        .tr = 14, .tc = 14, .group = 4, .diag_engines = 9, .diag_tr = 7, .diag_tc = 7                        \
    }

static const struct {
    const char *name;
    sr_fpga_arch arch;
    sr_fpga_nws conv;
    int n_diag;
    sr_fpga_wss wss;
    sr_fpga_nws fc;
    int fc_batched;
    const char *source;
} k_designs[] = {
    {"vx690t-wss",
     SR_FPGA_ARCH_WSS,
     {0, 0, 0, 0},
     0,
     WSS_PAPER,
     {.tm = 50, .tn = 21, .tr = 1, .tc = 1},
     1,
     "In-situ AI Fig. 18/19: WSS group 4 x (14x14 + 9 x 7x7) = 2548 multipliers (of Fig. 22's 2628 PEs) for "
     "conv, "
     "FC on a 50 x 21 NWS from the 1052 DSPs eq. 10 leaves of 3600 (Tm x Tn by sr_fpga_search_nws on "
     "AlexNet's FC "
     "layers), batched (Fig. 13)"},
    {"vx690t-ws",
     SR_FPGA_ARCH_WS,
     {.tm = 64, .tn = 4, .tr = 1, .tc = 1},
     9,
     {0, 0, 0, 0, 0, 0},
     {.tm = 20, .tn = 52, .tr = 1, .tc = 1},
     1,
     "In-situ AI Fig. 17: 10 NWS engines of 64 x 4 (2560 of Fig. 22's 2628 PEs; Tm x Tn by "
     "sr_fpga_search_nws on "
     "AlexNet's conv layers in 2628 / 10), one for inference, 9 for the diagnosis patches; FC on a 20 x 52 "
     "NWS from "
     "the 1040 DSPs eq. 10 leaves, batched"},
    {"vx690t-nws",
     SR_FPGA_ARCH_NWS,
     {.tm = 64, .tn = 39, .tr = 1, .tc = 1},
     9,
     {0, 0, 0, 0, 0, 0},
     {.tm = 64, .tn = 39, .tr = 1, .tc = 1},
     0,
     "Zhang et al. FPGA'15 engine (In-situ AI Fig. 9/10): one 64 x 39 NWS (2496 of Fig. 22's 2628 PEs; Tm x "
     "Tn by "
     "sr_fpga_search_nws on AlexNet's conv layers) for conv and FC, FC weights loaded per sample"},
    {"vx690t-nws-batch",
     SR_FPGA_ARCH_NWS,
     {.tm = 64, .tn = 39, .tr = 1, .tc = 1},
     9,
     {0, 0, 0, 0, 0, 0},
     {.tm = 64, .tn = 39, .tr = 1, .tc = 1},
     1,
     "as vx690t-nws with In-situ AI's batch loop for the FC layers (Fig. 13)"},
};
#define N_DESIGNS ((int)(sizeof k_designs / sizeof k_designs[0]))

sr_status sr_fpga_design_preset(const char *name, sr_fpga_design *out)
{
    if (name == NULL || out == NULL) return SR_ERR_INVALID;
    for (int i = 0; i < N_DESIGNS; i++) {
        if (strcmp(k_designs[i].name, name) != 0) continue;
        memset(out, 0, sizeof *out);
        out->name = k_designs[i].name;
        sr_status st = sr_fpga_preset("vx690t", &out->fpga);
        if (st != SR_OK) return st;
        out->arch = k_designs[i].arch;
        out->conv = k_designs[i].conv;
        out->n_diag = k_designs[i].n_diag;
        out->wss = k_designs[i].wss;
        out->fc = k_designs[i].fc;
        out->fc_batched = k_designs[i].fc_batched;
        out->source = k_designs[i].source;
        return SR_OK;
    }
    return SR_ERR_NOT_FOUND;
}

const char *sr_fpga_design_name(int i)
{
    return i >= 0 && i < N_DESIGNS ? k_designs[i].name : NULL;
}

static int nws_valid(const sr_fpga_nws *e)
{
    return e->tm > 0 && e->tn > 0;
}

static int design_valid(const sr_fpga_design *d)
{
    if (d == NULL || sr_fpga_check(&d->fpga) != SR_OK || !nws_valid(&d->fc)) return 0;
    switch (d->arch) {
    case SR_FPGA_ARCH_NWS:
        return nws_valid(&d->conv) && d->n_diag > 0;
    case SR_FPGA_ARCH_WS:
        return nws_valid(&d->conv) && d->n_diag > 0;
    case SR_FPGA_ARCH_WSS:
        return d->wss.tr > 0 && d->wss.tc > 0 && d->wss.group > 0 && d->wss.diag_engines > 0 &&
               d->wss.diag_tr > 0 && d->wss.diag_tc > 0;
    }
    return 0;
}

int64_t sr_fpga_design_dsp(const sr_fpga_design *d)
{
    if (!design_valid(d)) return 0;
    const int64_t fc = (int64_t)d->fc.tm * d->fc.tn;
    switch (d->arch) {
    case SR_FPGA_ARCH_NWS: /* one engine for both when the FC engine is the conv engine */
        return (int64_t)d->conv.tm * d->conv.tn +
               ((d->fc.tm == d->conv.tm && d->fc.tn == d->conv.tn) ? 0 : fc);
    case SR_FPGA_ARCH_WS:
        return (int64_t)(1 + d->n_diag) * d->conv.tm * d->conv.tn + fc;
    case SR_FPGA_ARCH_WSS:
        return d->wss.group * sr_fpga_wss_dsp(&d->wss, &d->fpga) + fc;
    }
    return 0;
}

/* Compute cycles of one group's conv (l->n samples) on engine `engine`. */
static sr_status conv_cycles(const sr_fpga_design *d, int engine, const sr_hw_conv *l, int64_t *cycles)
{
    sr_fpga_count c;
    sr_hw_conv one = *l;
    one.n = 1;
    sr_status st = SR_ERR_INVALID;
    switch (d->arch) {
    case SR_FPGA_ARCH_NWS: /* one engine: a diagnosis sample's n_diag patches one after another */
        st = sr_fpga_nws_conv_model(&d->conv, l, &c);
        *cycles = (engine == 1 ? d->n_diag : 1) * c.cycles;
        break;
    case SR_FPGA_ARCH_WS:
        if (engine == 1) { /* a sample's n_diag patches on the n_diag engines at once */
            st = sr_fpga_nws_conv_model(&d->conv, &one, &c);
            *cycles = l->n * c.cycles;
        } else {
            st = sr_fpga_nws_conv_model(&d->conv, l, &c);
            *cycles = c.cycles;
        }
        break;
    case SR_FPGA_ARCH_WSS:
        if (engine == 1) { /* a sample's diag_engines patches on the group's diagnosis arrays at once */
            st = sr_fpga_wss_conv_model(d->wss.diag_tr, d->wss.diag_tc, d->wss.group, &one, &c);
            *cycles = l->n * c.cycles;
        } else {
            st = sr_fpga_wss_conv_model(d->wss.tr, d->wss.tc, d->wss.group, l, &c);
            *cycles = c.cycles;
        }
        break;
    }
    return st;
}

sr_status sr_fpga_design_conv_s(const sr_fpga_design *d, int engine, const sr_hw_conv *l, int groups,
                                double *seconds)
{
    if (!design_valid(d) || l == NULL || seconds == NULL || groups < 1 || l->c % groups || l->m % groups)
        return SR_ERR_INVALID;
    sr_hw_conv g = *l;
    g.c /= groups;
    g.m /= groups;
    int64_t cycles = 0;
    sr_status st = conv_cycles(d, engine, &g, &cycles);
    if (st != SR_OK) return st;
    *seconds = (double)groups * (double)cycles / d->fpga.freq_hz;
    return SR_OK;
}

sr_status sr_fpga_design_fc_s(const sr_fpga_design *d, const sr_hw_fc *l, double *seconds)
{
    if (!design_valid(d) || l == NULL || seconds == NULL) return SR_ERR_INVALID;
    sr_fpga_count c;
    sr_status st = sr_fpga_nws_fc_model(&d->fc, l, d->fc_batched, &c);
    if (st != SR_OK) return st;
    *seconds = sr_fpga_fc_time_s(&d->fpga, &c);
    return SR_OK;
}
