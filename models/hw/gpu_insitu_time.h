/* gpu_insitu_time.h: the analytic GPU time and memory model of Song et al., "In-situ AI" (HPCA'18),
 * Section IV-A/IV-B1, equations 1-3 and 5-9, plus the batch-size selection of the Single-running mode.
 *
 * A conv layer is run as the GEMM F_m (M x N K^2) x D_m (N K^2 x R C B) after im2col (Fig. 8). The
 * output matrix (M x R C B) is cut into m x n sub-matrices, one thread block each (Volkov & Demmel);
 * the GPU runs at most maxBlocks blocks at once, so the last "wave" of blocks may leave it partly idle.
 * That utilisation (eq. 3) scales the peak rate (eq. 7) to give the layer time (eq. 5). FC layers are
 * the same GEMM with K = R = C = 1 but are also bounded by memory bandwidth through their
 * computation-to-memory ratio (eqs. 6, 8). The memory model (eq. 9) bounds the batch of a layer by
 * the device RAM.
 *
 * Units: ops count a multiply-accumulate as 2 (eq. 1); data sizes are element counts (eq. 8) times
 * bytes_per_elem, so CTM is in ops/byte and mem_bw_Bps in bytes/s. Layer shapes: sr_hw_layer.h
 * (paper N = c, M = m, K = r = s, R x C = output size, B_size = n). */
#ifndef SR_GPU_INSITU_TIME_H
#define SR_GPU_INSITU_TIME_H

#include <stdint.h>

#include "sr_hw_layer.h"
#include "sr_status.h"

/* A GPU as the model sees it. Every field is documented with its source in the presets (.c) and in
 * docs/hw-models.md. */
typedef struct sr_gpu_insitu_params {
    const char *name;   /* static string */
    double freq_hz;     /* Freq of eq. 7 */
    int n_cuda_cores;   /* nCUDACore of eq. 7 */
    int n_sm;           /* streaming multiprocessors */
    int blocks_per_sm;  /* resident thread blocks per SM; maxBlocks = n_sm * blocks_per_sm */
    int tile_m, tile_n; /* m x n output sub-matrix per thread block (eq. 2) */
    double mem_bw_Bps;  /* MBW of eq. 6, bytes/s */
    double ram_bytes;   /* RAM_capacity of eq. 9 */
    int bytes_per_elem; /* element size for eqs. 6, 8, 9 (4 = fp32) */
    const char *source; /* where the numbers come from (static string) */
} sr_gpu_insitu_params;

/* Fills *out with a named preset: "jetson-tx1" (the paper's in-situ GPU), "titan-x-maxwell",
 * "titan-x-pascal" (the paper's cloud GPU, generation not stated). SR_ERR_NOT_FOUND for other names. */
sr_status sr_gpu_insitu_preset(const char *name, sr_gpu_insitu_params *out);
/* SR_OK when every field is usable (positive), SR_ERR_INVALID otherwise. */
sr_status sr_gpu_insitu_check(const sr_gpu_insitu_params *p);

/* maxBlocks = n_sm * blocks_per_sm. */
int64_t sr_gpu_insitu_max_blocks(const sr_gpu_insitu_params *p);

/* Eq. 1: CONV_ops = 2 M N K^2 R C (times the batch n). 0 for an invalid layer. */
double sr_gpu_insitu_conv_ops(const sr_hw_conv *l);

/* Eq. 2: Grid_size = ceil(M / m) * ceil(cols / n) where cols = R C B (the columns of D_m). */
int64_t sr_gpu_insitu_grid_size(const sr_gpu_insitu_params *p, int64_t rows_m, int64_t cols);

/* Eq. 3: Util_GPU = Grid / (maxBlocks * ceil(Grid / maxBlocks)), in (0, 1]. */
double sr_gpu_insitu_util(const sr_gpu_insitu_params *p, int64_t grid_size);

/* Eq. 7: maxOPS_GPU = 2 Freq nCUDACore Util (ops/s). util = 1 gives the peak. */
double sr_gpu_insitu_max_ops(const sr_gpu_insitu_params *p, double util);

/* Eq. 5: T_CONV_GPU = CONV_ops / (maxOPS * Util), with maxOPS the peak 2 Freq nCUDACore and Util
 * from eqs. 2-3 at the layer's batch. util_out may be NULL. */
sr_status sr_gpu_insitu_conv_time(const sr_gpu_insitu_params *p, const sr_hw_conv *l, double *time_s,
                                  double *util_out);

/* Result of the FC roofline (eqs. 6-8). */
typedef struct sr_gpu_insitu_fc_result {
    double time_s;
    double ops;              /* 2 M N B */
    double util;             /* eq. 3 */
    double ctm_ops_per_byte; /* eq. 8 */
    double perf_ops_s;       /* eq. 6: min(maxOPS_GPU, CTM * MBW) */
    int memory_bound;        /* 1 when CTM * MBW < maxOPS_GPU */
} sr_gpu_insitu_fc_result;

/* Eqs. 6-8 for an FC layer at its batch: time = ops / min(maxOPS_GPU, CTM * MBW). */
sr_status sr_gpu_insitu_fc_time(const sr_gpu_insitu_params *p, const sr_hw_fc *l,
                                sr_gpu_insitu_fc_result *out);

/* Eq. 8's data terms in elements: D_in = N K^2 R C B (the im2col matrix), D_w = M N K^2,
 * D_out = M R C B (K = R = C = 1 for FC). bytes = elements * bytes_per_elem. */
typedef struct sr_gpu_insitu_data {
    int64_t d_in, d_w, d_out; /* elements */
} sr_gpu_insitu_data;
sr_status sr_gpu_insitu_conv_data(const sr_hw_conv *l, sr_gpu_insitu_data *out);
sr_status sr_gpu_insitu_fc_data(const sr_hw_fc *l, sr_gpu_insitu_data *out);

/* Time of a whole layer set at batch b (each layer's own n ignored): sum of eq. 5 (conv) and
 * eqs. 6-8 (FC). */
sr_status sr_gpu_insitu_net_time(const sr_gpu_insitu_params *p, const sr_hw_layer *layers, int n_layers,
                                 int batch, double *time_s);

/* Eq. 9: largest batch b in [1, b_cap] with (D_in + D_w + D_out) * bytes_per_elem <= RAM for every
 * layer (each layer's working set must fit on its own). SR_ERR_NOT_FOUND if even b = 1 does not fit. */
sr_status sr_gpu_insitu_max_batch_memory(const sr_gpu_insitu_params *p, const sr_hw_layer *layers,
                                         int n_layers, int b_cap, int *batch);

/* Single-running inference (Sec. IV-A2a / IV-B1): the largest batch b in [1, b_cap] whose batch
 * latency (net_time at b) is <= latency_bound_s and that fits in RAM (eq. 9). The model's time is not
 * monotone in b (eq. 3's waves), so every b is evaluated. time_s (may be NULL) gets that batch's
 * latency. SR_ERR_NOT_FOUND when no b qualifies. */
sr_status sr_gpu_insitu_select_batch(const sr_gpu_insitu_params *p, const sr_hw_layer *layers, int n_layers,
                                     double latency_bound_s, int b_cap, int *batch, double *time_s);

#endif
