/* insitu_figs.h: In-situ AI's node figures computed from the hardware models (Song et al., HPCA'18):
 * Fig. 21 (GPU batching speedup under latency bounds, gpu_insitu_time.h) and Fig. 22 / 23 (co-running on the
 * FPGA: NWS / WS / WSS conv compute and weight-access time, and the WSS-NWS pipeline's throughput under latency
 * bounds, fpga_engines.h). `simrun insitu-hw` prints them; docs/papers/insitu.md puts them beside the paper's.
 *
 * Networks are layer sets (sr_hw_layer). Co-running: the inference task runs one image, the diagnosis task
 * n_patches patches of it through the same layer shapes (their own input size); inference and diagnosis have
 * the same filters (paper Sec. IV-B2). */
#ifndef SR_INSITU_FIGS_H
#define SR_INSITU_FIGS_H

#include "fpga_engines.h"
#include "gpu_insitu_time.h"
#include "sr_hw_layer.h"
#include "sr_status.h"

/* The diagnosis task's layer set: the conv layers of inf run on `patches` patches of patch_hw x patch_hw; where
 * the inference set's input shrinks between two convs more than the first one's output (a pooling layer), the
 * patch chain is pooled 3x3 with stride 2 (AlexNet's pools). FC layers are copied unchanged (not co-run).
 * out has n_layers entries. SR_ERR_INVALID when a patch becomes too small for a kernel. */
sr_status sr_insitu_patch_layers(const sr_hw_layer *inf, int n_layers, int patch_hw, int patches, sr_hw_layer *out);

/* Fig. 21: the largest batch whose latency meets bound_s (time and memory models, b <= b_cap) and its
 * throughput gain over batch 1: speedup = b T(1) / T(b). SR_ERR_NOT_FOUND when even batch 1 misses. */
typedef struct sr_insitu_batching {
    int batch;
    double latency_s, t1_s, speedup;
} sr_insitu_batching;
sr_status sr_insitu_fig21(const sr_gpu_insitu_params *gpu, const sr_hw_layer *layers, int n_layers, double bound_s,
                          int b_cap, sr_insitu_batching *out);

/* The three co-running architectures of Fig. 22 with about the same multipliers: WSS groups of one 14x14
 * inference array and n_patches 7x7 diagnosis arrays (the paper's Fig. 18), as many as fit in `multipliers`;
 * WS: 1 + n_patches NWS engines of Tm x Tn, and NWS: one engine, both with Tm x Tn chosen by
 * sr_fpga_search_nws for the inference conv layers within their share of `multipliers`. */
typedef struct sr_insitu_archs {
    sr_fpga_wss wss;
    sr_fpga_nws ws_engine;  /* each of the 1 + n_patches WS engines */
    sr_fpga_nws nws;        /* the single NWS engine */
    int64_t mult_wss, mult_ws, mult_nws;
} sr_insitu_archs;
sr_status sr_insitu_archs_make(const sr_fpga_params *p, const sr_hw_layer *inf, int n_layers, int n_patches,
                               int multipliers, sr_insitu_archs *out);

/* Fig. 22: all conv layers of inference (inf) and diagnosis (diag, n = patches) co-running on one architecture,
 * the first `shared` conv layers sharing their weights (CONV-0 / 3 / 5). compute_s = cycles / clock;
 * access_s = off-chip weight words x bytes per word / bandwidth. */
typedef struct sr_insitu_corun {
    int64_t cycles, weight_words;
    double compute_s, access_s, idle_fraction;
} sr_insitu_corun;
sr_status sr_insitu_fig22(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                          const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, int shared,
                          sr_insitu_corun *out);

/* Eq. 13 for a co-running architecture at batch b: 2 max(T_conv b, T_fc(b)), T_conv its Fig. 22 compute time
 * (inference + diagnosis, the first `shared` conv layers sharing weights) and T_fc the FC layers of inf on
 * fc_nws (eq. 12 with Fig. 13's batching). */
sr_status sr_insitu_corun_latency(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                                  const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, int shared,
                                  const sr_fpga_nws *fc_nws, int batch, double *latency_s);

/* Fig. 23 for one architecture: the largest batch b <= b_cap whose latency meets bound_s, and the throughput.
 * T_conv(b) = b x the architecture's Fig. 22 compute time (inference + diagnosis conv layers, CONV-5 sharing),
 * T_fc(b) = eq. 12 summed over the FC layers of inf on fc (batched: Fig. 13's batch loop).
 *   pipelined = 1 (conv and FC engines are separate, Fig. 20): latency eq. 13 = 2 max(T_conv, T_fc),
 *                throughput = b / max(T_conv, T_fc);
 *   pipelined = 0 (one engine does both, NWS): latency = T_conv + T_fc, throughput = b / latency.
 * batch 0 (and SR_OK) when even b = 1 misses the bound. */
typedef struct sr_insitu_point {
    int batch;
    double latency_s, throughput_per_s;
} sr_insitu_point;
sr_status sr_insitu_fig23_arch(const sr_fpga_params *p, const sr_insitu_archs *a, sr_fpga_arch arch,
                               const sr_hw_layer *inf, const sr_hw_layer *diag, int n_layers, const sr_fpga_nws *fc,
                               int fc_batched, int pipelined, double bound_s, int b_cap, sr_insitu_point *out);

/* The WSS-NWS split of eq. 10 with the whole device (DSP_total): a WSS group of `group` copies of wss (its group
 * field is overwritten) and, from the DSPs left, the FC NWS sr_fpga_search_nws picks for the FC layers of inf.
 * SR_ERR_RANGE when the group leaves no DSP. dsp = eq. 10's left side. */
sr_status sr_insitu_split(const sr_fpga_params *p, const sr_fpga_wss *wss, int group, const sr_hw_layer *inf,
                          int n_layers, sr_fpga_wss *wss_out, sr_fpga_nws *fc_out, int64_t *dsp);

#endif
