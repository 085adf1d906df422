/* sr_cost_insitu.h: the In-situ AI GPU time model (models/hw/gpu_insitu_time.h, Song et al. HPCA'18,
 * eqs. 1-3, 5-8) behind the cost-model interface (sr_cost.h), so the engine prices a GPU the way the
 * paper does.
 *
 * Per node, at batch B = graph batch x `batch`:
 *   conv   t = 2 MACs B / (2 Freq nCUDACore x Util), Util from eq. 3 with
 *          Grid = groups x ceil((M / groups) / m) x ceil(R C B / n)   (eq. 2; one GEMM per group,
 *          all groups' thread blocks in one launch). For groups = 1 this is sr_gpu_insitu_conv_time
 *          exactly; grouped and depthwise convs are the paper's GEMM per group (the paper has none).
 *   fc     eqs. 6-8 (sr_gpu_insitu_fc_time): ops / min(maxOPS x Util, CTM x MBW).
 *   other  (pools, batch norm, activations, add, concat, softmax, matmul, ...): the paper's model has no
 *          term for them; they are priced memory-bound at the preset's bandwidth,
 *          (B x (input + output bytes) + weight bytes) / MBW, or compute-bound at its peak if slower.
 * The device's roofline numbers (sr_cost_device: a profile's speed, cores, efficiency, or a device's
 * overrides in the experiment) are not used: the preset's clock, cores, tiling and bandwidth are the
 * model. Precision changes only the byte terms of the "other" nodes (the paper's model is fp32). */
#ifndef SR_COST_INSITU_H
#define SR_COST_INSITU_H

#include "gpu_insitu_time.h"
#include "sr_cost.h"

/* Creates the model for GPU p (copied; sr_gpu_insitu_check must pass, else SR_ERR_INVALID). */
sr_status sr_cost_insitu_create(const sr_gpu_insitu_params *p, sr_cost_model **out);

/* Time of one node (exposed for tests and tables); 0 for inputs and constants, -1 on a node the model
 * cannot price (bad shapes). */
double sr_cost_insitu_node(const sr_gpu_insitu_params *p, const sr_graph *g, int id, sr_precision prec,
                           int batch);

#endif
