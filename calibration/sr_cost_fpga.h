/* sr_cost_fpga.h: In-situ AI's FPGA engines (models/hw/fpga_design.h: NWS, WS, WSS; Song et al. HPCA'18,
 * eqs. 4, 10-14) behind the cost-model interface (sr_cost.h), so a device profile that names a design
 * (`fpga_model: vx690t-wss`) has its layers priced by the engines' closed forms.
 *
 * Per node, at batch B = graph batch x `batch` samples, on the engine dev->engine names (0 inference, 1 the
 * diagnosis engines; the task's executor, see sr_price.c):
 *   conv   sr_fpga_design_conv_s: eq. 11 x B on a WSS group's inference arrays, B x eq. 11 of one patch on
 *          its diagnosis arrays (a diagnosis model describes one patch; an image's 9 patches run at once);
 *          the NWS loop nest's cycles on NWS / WS engines.
 *   fc     sr_fpga_design_fc_s: eq. 12 on the design's FC engine at batch B (Fig. 13's batch loop where the
 *          design has it).
 *   other  (pools, activations, add, concat, softmax, ...): the paper's FPGA model has no term for them;
 *          they are priced memory-bound at the board's bandwidth, (B x (input + output bytes) + weight
 *          bytes) / MBW, or compute-bound at the DSPs' peak (DSP_total x 2 x Frequency) if slower, as
 *          sr_cost_insitu does for the GPU.
 * Precision changes only the "other" nodes' bytes (the engines are 16-bit fixed point). The device's roofline
 * numbers are not used. For WS and WSS the model prices engines, not the whole device (ops per_engine = 1):
 * an executor of the device runs a task in the seconds priced. An NWS design is one engine, priced as the
 * whole device (per_engine = 0): two executors each run at half of it, sharing the engine. */
#ifndef SR_COST_FPGA_H
#define SR_COST_FPGA_H

#include "fpga_design.h"
#include "sr_cost.h"

/* Creates the model for design d (copied; SR_ERR_INVALID for a bad design). */
sr_status sr_cost_fpga_create(const sr_fpga_design *d, sr_cost_model **out);

/* Time of one node on engine `engine` (exposed for tests and tables); 0 for inputs and constants, -1 on a
 * node the model cannot price (bad shapes). Every conv shape is priced: cycles depend on the output size,
 * kernel and channels only. */
double sr_cost_fpga_node(const sr_fpga_design *d, const sr_graph *g, int id, sr_precision prec, int batch,
                         int engine);

#endif
