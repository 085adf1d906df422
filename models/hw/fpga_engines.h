/* fpga_engines.h: the FPGA convolution engines of Song et al., "In-situ AI" (HPCA'18), Sec. IV-A1b
 * and IV-B2, as functional models with cycle counters, their closed-form time model (eqs. 4, 10-14),
 * and a DSP-budgeted configuration search.
 *
 * Engines (paper symbols: N = c input maps, M = m output maps, K = r = s, R x C output size):
 *   NWS  "no weight sharing" (Fig. 9/10, after Zhang et al. FPGA'15): Tm dot-product units of width Tn,
 *        Tm*Tn multipliers. Loop order row-tile, col-tile, to, ti, then i, j, trr, tcc per cycle with
 *        the to/ti loops unrolled. FC layers use it with the batch loop of Fig. 13 (weights reused
 *        across the batch) or without it.
 *   WSS  "weight-share-share" (Fig. 18): a Tr x Tc output-stationary PE array; each cycle one kernel
 *        weight is broadcast to all PEs and every PE multiplies it by its own input neuron (level 1
 *        sharing). A WSS group of G arrays shares the input and computes G output maps at once.
 *        Level 2 sharing: the inference and diagnosis engines of one WSS take the same weight source
 *        for shared layers, so those weights are loaded once.
 *   WS   (Fig. 17): 1 + n_patches NWS engines of the same Tm x Tn, inference + diagnosis, weight sharing.
 *
 * Arithmetic: int16 activations and weights (16-bit fixed point, one DSP48 multiplier each), products
 * accumulated in int64 (standing for the DSP48's 48-bit accumulator; callers keep values in range).
 * Tensors are NCHW, weights [m][c][r][s] (FC: [out][in]), outputs [n][m][oh][ow], no bias.
 *
 * Counting: one cycle per unrolled iteration (pipelined, initiation interval 1). Off-chip traffic is
 * counted in words: a weight tile when it is loaded, an input tile when it is loaded (zero padding
 * counted as loaded), an output tile when it is stored. Each functional engine has a closed-form twin
 * (_model) that gives the same counts without data; tests check they agree. */
#ifndef SR_FPGA_ENGINES_H
#define SR_FPGA_ENGINES_H

#include <stdint.h>

#include "sr_hw_layer.h"
#include "sr_status.h"

/* An FPGA device as the model sees it. */
typedef struct sr_fpga_params {
    const char *name;   /* static string */
    int dsp_total;      /* DSP_total of eq. 10 */
    int dsp_per_mult;   /* DSP slices per multiplier (1: 16-bit fixed point, as eq. 10 counts) */
    double freq_hz;     /* Frequency of eqs. 11-12 */
    double mem_bw_Bps;  /* MBW of eq. 12, bytes/s */
    int bytes_per_word; /* 2 for int16 */
    const char *source; /* static string */
} sr_fpga_params;

/* The VX690T numbers, one set for the engine preset below and the vx690t device profile
 * (calibration/sr_profile.c), so the engines and the profile's roofline cannot disagree:
 *  - 3600 DSP48E1 slices: Xilinx 7 Series product table (XC7VX690T);
 *  - clock 100 MHz: In-situ AI gives none; its NWS engine (Fig. 9/10) is Zhang et al. FPGA'15 (the paper's
 *    ref. [29]), whose Virtex-7 design runs at 100 MHz;
 *  - memory 29.9 GB/s: the VC709 board (the paper's ref. [21]), two 64-bit DDR3-1866 SODIMMs, vendor peak. */
#define SR_VX690T_DSP 3600
#define SR_VX690T_FREQ_HZ 100e6
#define SR_VX690T_MEM_BW_BPS 29.9e9

/* "vx690t": Xilinx Virtex-7 VX690T on the VC709 board (the paper's FPGA). SR_ERR_NOT_FOUND otherwise. */
sr_status sr_fpga_preset(const char *name, sr_fpga_params *out);
sr_status sr_fpga_check(const sr_fpga_params *p);

/* Counters of one engine run (whole batch). */
typedef struct sr_fpga_count {
    int64_t cycles;       /* compute cycles */
    int64_t macs;         /* useful multiply-accumulates */
    int64_t mult_slots;   /* multipliers x cycles (capacity); macs / mult_slots is the utilisation */
    int64_t weight_words; /* off-chip words loaded */
    int64_t input_words;
    int64_t output_words;
} sr_fpga_count;

/* ---- NWS ---- */
typedef struct sr_fpga_nws {
    int tm, tn; /* unrolled output / input maps: Tm * Tn multipliers */
    int tr, tc; /* on-chip output tile (rows, cols) of the loop tiling; memory traffic only */
} sr_fpga_nws;

/* Functional conv on NWS. in: n*c*h*w, w: m*c*r*s, out: n*m*oh*ow (overwritten); all borrowed.
 * cnt may be NULL. SR_ERR_INVALID for a bad engine or layer. */
sr_status sr_fpga_nws_conv(const sr_fpga_nws *e, const sr_hw_conv *l, const int16_t *in, const int16_t *w,
                           int64_t *out, sr_fpga_count *cnt);
/* Closed form of the same counts (exact for every shape):
 *   cycles  = n ceil(M/Tm) ceil(N/Tn) R C K^2
 *   weights = n ceil(R/Tr) ceil(C/Tc) M N K^2     (weights reloaded per output tile)
 *   inputs  = n ceil(M/Tm) N (S(R - nR) + nR K) (S(C - nC) + nC K), nR = ceil(R/Tr), nC = ceil(C/Tc)
 *   outputs = n M R C */
sr_status sr_fpga_nws_conv_model(const sr_fpga_nws *e, const sr_hw_conv *l, sr_fpga_count *cnt);

/* Eq. 4: Util_FPGA = N M / (Tn Tm ceil(N/Tn) ceil(M/Tm)). */
double sr_fpga_util_eq4(const sr_fpga_nws *e, int n_in, int m_out);

/* Functional FC on NWS. in: n*in, w: out*in, out: n*out. batched = 1 uses the batch loop of Fig. 13
 * (each weight tile loaded once per batch); 0 reloads the weights for every sample. */
sr_status sr_fpga_nws_fc(const sr_fpga_nws *e, const sr_hw_fc *l, int batched, const int16_t *in,
                         const int16_t *w, int64_t *out, sr_fpga_count *cnt);
/* Closed form: cycles = ceil(N/Tn) ceil(M/Tm) B (eq. 12's T_FCN_Comp x Frequency);
 * weights = M N (batched) or M N B; inputs = N B; outputs = M B. */
sr_status sr_fpga_nws_fc_model(const sr_fpga_nws *e, const sr_hw_fc *l, int batched, sr_fpga_count *cnt);

/* Eq. 12: T_FCN_FPGA = max(cycles / Frequency, words * bytes_per_word / MBW). */
double sr_fpga_fc_time_s(const sr_fpga_params *p, const sr_fpga_count *cnt);

/* ---- WSS ---- */
typedef struct sr_fpga_wss {
    int tr, tc;           /* inference PE array (paper: 14 x 14) */
    int group;            /* WSS Group_size: arrays working on different output maps */
    int diag_engines;     /* diagnosis arrays per WSS (paper: 9, one per patch); 0 = inference only */
    int diag_tr, diag_tc; /* diagnosis PE array (paper: 7 x 7) */
} sr_fpga_wss;

/* DSP_WSS of eq. 10: (Tr Tc + diag_engines diag_tr diag_tc) * dsp_per_mult, for one WSS. */
int64_t sr_fpga_wss_dsp(const sr_fpga_wss *e, const sr_fpga_params *p);
/* DSP_NWS of eq. 10: Tm Tn * dsp_per_mult. */
int64_t sr_fpga_nws_dsp(const sr_fpga_nws *e, const sr_fpga_params *p);

/* Functional conv on one WSS group of G arrays of tr x tc PEs (samples one after another).
 * Same buffers and ownership as sr_fpga_nws_conv. */
sr_status sr_fpga_wss_conv(int tr, int tc, int group, const sr_hw_conv *l, const int16_t *in,
                           const int16_t *w, int64_t *out, sr_fpga_count *cnt);
/* Closed form (exact for every shape); the cycles are eq. 11 times Frequency:
 *   cycles  = n ceil(M/G) N K^2 ceil(R/Tr) ceil(C/Tc)
 *   weights = n M N K^2 (each layer's weights loaded once per sample)
 *   inputs  = n ceil(M/G) N (S(R - nR) + nR K)(S(C - nC) + nC K)   (input tile reloaded per pass)
 *   outputs = n M R C */
sr_status sr_fpga_wss_conv_model(int tr, int tc, int group, const sr_hw_conv *l, sr_fpga_count *cnt);

/* Eq. 11: T_CONV_FPGA of one sample on a WSS group, seconds. */
sr_status sr_fpga_conv_time_eq11(const sr_fpga_params *p, const sr_fpga_wss *e, const sr_hw_conv *l,
                                 double *time_s);

/* ---- Co-running: one conv layer of the inference task and the same layer of the diagnosis task ---- */
typedef enum { SR_FPGA_ARCH_NWS, SR_FPGA_ARCH_WS, SR_FPGA_ARCH_WSS } sr_fpga_arch;

typedef struct sr_fpga_corun_result {
    int64_t cycles;            /* both tasks done */
    int64_t weight_words;      /* off-chip weight words of both tasks */
    double idle_fraction;      /* 1 - useful MACs / (all multipliers x cycles) */
    double diag_idle_fraction; /* the same over the diagnosis multipliers only (WS, WSS; NWS: = idle) */
    int64_t multipliers;       /* multipliers the architecture instantiates */
} sr_fpga_corun_result;

/* Closed-form co-running of one layer (batch 1 inference image; diag->n patches):
 *   NWS: one Tm x Tn engine, the inference image then the patches, weights loaded per task;
 *   WS:  one Tm x Tn engine for inference and one per patch (diag->n), run side by side;
 *   WSS: a WSS group (e->group arrays, each tr x tc for inference + diag_engines of diag_tr x diag_tc)
 *        with the patches spread over the diagnosis arrays.
 * shared = 1: the layer's weights are shared (loaded once) where the architecture allows it (WS, WSS). */
sr_status sr_fpga_corun_conv(sr_fpga_arch arch, const sr_fpga_nws *nws, const sr_fpga_wss *wss,
                             const sr_hw_conv *inf, const sr_hw_conv *diag, int shared,
                             sr_fpga_corun_result *out);

/* ---- Pipeline WSS group (CONV) + NWS (FC), eqs. 10, 13, 14 ---- */
typedef struct sr_fpga_pipeline_result {
    double t_all_conv_s;     /* sum of eq. 11 over conv layers, one sample */
    double t_all_fc_s;       /* sum of eq. 12 over FC layers at the batch (Fig. 13 batching) */
    double latency_s;        /* eq. 13: 2 max(T_all_conv B, T_all_fc) */
    double throughput_per_s; /* B / max(T_all_conv B, T_all_fc) */
    int64_t dsp_used;        /* left side of eq. 10 */
} sr_fpga_pipeline_result;

/* Eq. 13 at batch b for a layer set (conv layers on the WSS group, FC layers on NWS; each layer's n is
 * ignored). SR_ERR_RANGE when the configuration breaks eq. 10 (DSPs). */
sr_status sr_fpga_pipeline_time(const sr_fpga_params *p, const sr_fpga_wss *wss, const sr_fpga_nws *nws,
                                const sr_hw_layer *layers, int n_layers, int batch,
                                sr_fpga_pipeline_result *out);
/* Eq. 14: the largest b in [1, b_cap] with eq. 13 <= t_user_s (eq. 13 is non-decreasing in b, so a
 * binary search). SR_ERR_NOT_FOUND when b = 1 is already too slow. */
sr_status sr_fpga_pipeline_select_batch(const sr_fpga_params *p, const sr_fpga_wss *wss,
                                        const sr_fpga_nws *nws, const sr_hw_layer *layers, int n_layers,
                                        double t_user_s, int b_cap, int *batch);

/* ---- Configuration search ---- */
/* Total NWS compute cycles of a layer set at batch b: conv layers by sr_fpga_nws_conv_model, FC by
 * sr_fpga_nws_fc_model (batched). */
sr_status sr_fpga_nws_set_cycles(const sr_fpga_nws *e, const sr_hw_layer *layers, int n_layers, int batch,
                                 int64_t *cycles);
/* Total WSS-group cycles (eq. 11 x Frequency) of the conv layers of a set (FC layers ignored), one sample. */
sr_status sr_fpga_wss_set_cycles(int tr, int tc, int group, const sr_hw_layer *layers, int n_layers,
                                 int64_t *cycles);

/* Picks Tm, Tn with Tm Tn dsp_per_mult <= dsp_budget minimising sr_fpga_nws_set_cycles; ties go to
 * fewer DSPs, then smaller Tm. tr/tc of *best are set to 1 (they do not change cycles).
 * Cycles are non-increasing in Tm and Tn, so for each Tm only the smallest Tn that reaches the cycles
 * of the widest feasible Tn is a candidate. */
sr_status sr_fpga_search_nws(const sr_fpga_params *p, int dsp_budget, const sr_hw_layer *layers, int n_layers,
                             int batch, sr_fpga_nws *best, int64_t *best_cycles);
/* Picks Tr, Tc, G (inference only: diag_engines = 0) with G Tr Tc dsp_per_mult <= dsp_budget
 * minimising sr_fpga_wss_set_cycles; ties go to fewer DSPs, then smaller Tr, then smaller Tc. */
sr_status sr_fpga_search_wss(const sr_fpga_params *p, int dsp_budget, const sr_hw_layer *layers, int n_layers,
                             sr_fpga_wss *best, int64_t *best_cycles);

#endif
