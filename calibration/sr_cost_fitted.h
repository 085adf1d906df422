/* sr_cost_fitted.h: the fitted per-layer cost model (an implementation of sr_cost.h).
 *
 * Per node of class c (sr_layer_class.h) with a fit in the profile:
 *     t = max(0, predict(form_c, coef_c, features(node, batch))) * scale_c(dev) * prec_c(p)
 *     scale_c = fit->ref_flops / (dev speed_flops x cores x efficiency)   compute-bound classes
 *             = fit->ref_mem_bw_Bps / dev mem_bw_Bps                      memory-bound classes
 *     prec_c  = bytes(p) / 4 for memory-bound classes, 1 otherwise (the fit is measured in fp32)
 * Nodes whose class has no fit (and matmul) cost the roofline time (sr_cost_roofline_node); inputs and
 * constants cost 0. Nodes the executor fuses into a convolution (sr_layer_fusion: batch norm, residual
 * add, activation after a conv) cost 0: the conv classes are timed as conv -> bn -> relu chains, so their
 * fits include that epilogue, as the executor's conv time does. A range costs the sum of its nodes. */
#ifndef SR_COST_FITTED_H
#define SR_COST_FITTED_H

#include "sr_cost.h"
#include "sr_profile.h"

/* Creates the fitted model from fit (copied; the caller keeps ownership of fit). fit->ref_flops and
 * fit->ref_mem_bw_Bps must be > 0 (SR_ERR_INVALID). Caller frees *out with sr_cost_model_free. */
sr_status sr_cost_fitted_create(const sr_profile_fit *fit, sr_cost_model **out);

/* Time of one node under the fitted model (0 for inputs/constants and fused followers); *used_fit (may
 * be NULL) gets 1 when the fit priced it (or it is fused), 0 when the roofline did. m must come from sr_cost_fitted_create. */
double sr_cost_fitted_node(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int id,
                           sr_precision p, int batch, int *used_fit);

#endif
