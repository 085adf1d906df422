/* fpga_design.h: whole FPGA designs built from the In-situ AI engines (fpga_engines.h), as a device
 * profile selects them (`fpga_model`, calibration/sr_cost_fpga.h): which engines run the conv layers, which
 * run the FC layers, and the closed-form time of one layer on a design's engine.
 *
 * A design has up to two engines, numbered as the device's executors (policies/insitu.c, `engines:
 * dedicated`):
 *   engine 0  the inference engine (also the whole device when one executor runs everything);
 *   engine 1  the diagnosis engine(s) (WS: n_diag NWS engines, one patch each; WSS: the group's diagnosis
 *             arrays). A sample on engine 1 is one image's diagnosis: its layers describe ONE patch, and the
 *             image's n_diag (WS) or diag_engines (WSS) patches run on as many engines at once (the paper's
 *             9 patches, Fig. 17/18).
 * NWS designs have one engine: both numbers name it (the tasks share it); on "engine 1" a diagnosis
 * sample's n_diag patches run one after another. FC layers run on the design's FC engine whichever task
 * they belong to (the paper's Fig. 19: one NWS takes its input from the inference or the diagnosis buffer).
 *
 * Times (Frequency and MBW of the VX690T, fpga_engines.h; one VX690T parameter set everywhere):
 *   conv, WSS engine 0:  eq. 11 x n:  n ceil(M/G) N K^2 ceil(R/Tr) ceil(C/Tc) / Frequency
 *   conv, WSS engine 1:  n x eq. 11 of one patch on a group of G diag_tr x diag_tc arrays (patches at once)
 *   conv, NWS / WS 0:    n ceil(M/Tm) ceil(N/Tn) R C K^2 / Frequency   (Zhang et al. FPGA'15, Fig. 9)
 *   conv, NWS engine 1:  n_diag x the same (the patches in turn on the one engine)
 *   conv, WS engine 1:   n x the same for one patch (each patch on its own engine)
 *   FC (every design):   eq. 12 on the FC NWS at batch n: max(ceil(N/Tn) ceil(M/Tm) n / Frequency,
 *                        words x 2 bytes / MBW), words = M N (batched, Fig. 13) or M N n, + N n inputs
 *                        + M n outputs
 * A grouped conv of g groups is g convs of N/g -> M/g maps, one after another. Like eq. 11 the conv times
 * hold no memory term (the paper's pipeline, eq. 13, is compute-bound in its conv stage). */
#ifndef SR_FPGA_DESIGN_H
#define SR_FPGA_DESIGN_H

#include "fpga_engines.h"

typedef struct sr_fpga_design {
    const char *name; /* "vx690t-wss"; static string */
    sr_fpga_params fpga;
    sr_fpga_arch arch;  /* what runs the conv layers */
    sr_fpga_nws conv;   /* NWS: the engine; WS: each of its 1 + n_diag engines (tr, tc unused) */
    int n_diag;         /* WS: engines for the diagnosis patches; NWS: patches per diagnosis, run in turn */
    sr_fpga_wss wss;    /* WSS: the group (G arrays of tr x tc + diag_engines of diag_tr x diag_tc each) */
    sr_fpga_nws fc;     /* the engine of the FC layers */
    int fc_batched;     /* 1: Fig. 13's batch loop (weights loaded once per batch); 0: per sample */
    const char *source; /* static string: how the numbers were chosen */
} sr_fpga_design;

/* Presets (all on the VX690T, fpga_engines.h):
 *   vx690t-wss        the paper's In-situ AI architecture (Fig. 19): a WSS group of 4 x (14x14 + 9 x 7x7)
 *                     = 2548 multipliers for the conv layers (the most whole WSS that fit in the paper's
 *                     2628 PEs of Fig. 22) and an NWS for the FC layers from the DSPs eq. 10 leaves
 *                     (3600 - 2548 = 1052): 50 x 21, the Tm x Tn sr_fpga_search_nws picks for the zoo's
 *                     AlexNet FC layers in that budget; batched.
 *   vx690t-ws         Fig. 17: 10 NWS engines of 64 x 4 (= 2560 of the 2628 PEs; the Tm x Tn the search
 *                     picks for AlexNet's conv layers in 2628 / 10), inference on one, the 9 diagnosis
 *                     patches on the others; FC on an NWS from the DSPs eq. 10 leaves (3600 - 2560 = 1040):
 *                     20 x 52, the search's pick; batched ("WS and WSS-NWS allow inputs in the same batch to
 *                     share kernel weights").
 *   vx690t-nws        one 64 x 39 NWS (2496 of the 2628 PEs, the search's pick for AlexNet's conv layers)
 *                     for conv and, as Zhang et al.'s engine, the FC layers too, without the batch loop
 *                     (weights per sample); a diagnosis's 9 patches run in turn.
 *   vx690t-nws-batch  the same with Fig. 13's batch loop for the FC layers.
 * tests/calibration/test_cost_fpga.c checks the times by hand. SR_ERR_NOT_FOUND otherwise. */
sr_status sr_fpga_design_preset(const char *name, sr_fpga_design *out);
/* Preset i (0-based) or NULL past the last: for listings and error messages. */
const char *sr_fpga_design_name(int i);

/* Multipliers the design instantiates (conv engines + FC engine when it is a separate one); eq. 10's left
 * side with one DSP per multiplier. */
int64_t sr_fpga_design_dsp(const sr_fpga_design *d);

/* Seconds of conv layer l (l->n samples) on engine `engine` (0 inference, 1 diagnosis; others as 0).
 * SR_ERR_INVALID for a bad layer or design. */
sr_status sr_fpga_design_conv_s(const sr_fpga_design *d, int engine, const sr_hw_conv *l, int groups,
                                double *seconds);
/* Seconds of FC layer l (l->n samples) on the design's FC engine (eq. 12). */
sr_status sr_fpga_design_fc_s(const sr_fpga_design *d, const sr_hw_fc *l, double *seconds);

#endif
