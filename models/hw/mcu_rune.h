/* mcu_rune.h: runtime-overhead model of running a TinyML model inside a Rune container (a WebAssembly
 * sandbox on an MCU) instead of natively, after Lootus et al., "A VM/Containerized Approach for Scaling
 * TinyML Applications" (Rune/Hammer), Section 4 "Experiments", eq. (1) and Figure 3.
 *
 * Model, for n inferences of a model whose native time per inference is t_native:
 *   t_rune(n)  = startup + n * ( t_native * (1 + sandbox_factor)                 (compute in the VM)
 *                                + 2 * ser_fixed_s + (in + out bytes) * ser_per_byte_s ) (one input and
 *                                                                     one output message (de)serialized)
 *   overhead(n) = (t_rune(n) - n t_native) / (n t_native)                    (the paper's eq. 1)
 *
 * The paper reports only the total overhead: "varies from 28% to 45%, and is around 40% at 100k to 1
 * million iterations" (Sec. 4, Fig. 3, sine model on an Arduino Portenta H7), and that ProtoBuf
 * "introduced a slight increase in computation time". It does not split the overhead between the VM
 * and the data layer; sr_mcu_rune_paper_params() takes that split as an explicit argument. The engine
 * prices a device's `runtime:` with the overheads simrun calibrate measures on a real WebAssembly rune
 * (models/rune, calibration/sr_profile_rune.h) instead of these paper defaults. */
#ifndef SR_MCU_RUNE_H
#define SR_MCU_RUNE_H

#include <stdint.h>

#include "sr_status.h"

/* How the model runs: natively, or in a Rune with one of the two serialization layers of the paper. */
typedef enum { SR_RUNE_NATIVE, SR_RUNE_RUST, SR_RUNE_PROTOBUF, SR_RUNE_MODE_COUNT } sr_rune_mode;
/* "native", "rune-rust", "rune-protobuf"; "?" outside the enum. */
const char *sr_rune_mode_name(sr_rune_mode m);
sr_status sr_rune_mode_parse(const char *s, sr_rune_mode *out);

typedef struct sr_mcu_rune_params {
    double sandbox_factor; /* relative slowdown of the model's compute inside the VM (>= 0) */
    double ser_fixed_s;    /* fixed (de)serialization cost per message, seconds (>= 0) */
    double ser_per_byte_s; /* (de)serialization cost per payload byte, seconds (>= 0) */
    double startup_s;      /* one-off container start per run, seconds (>= 0; the paper: not reported) */
} sr_mcu_rune_params;

/* Paper-reported total overhead of a mode: 0 (native), 0.40 (Rust serialization: "around 40% at 100k
 * to 1 million iterations"), 0.45 (ProtoBuf: "a slight increase"; we place it at the top of the
 * reported 28-45% range — our reading, not a number the paper prints per configuration). */
double sr_mcu_rune_paper_overhead(sr_rune_mode m);

/* Parameters reproducing the paper's overhead for mode m: a fraction data_layer_share in [0, 1] of the
 * overhead is (de)serialization (split evenly between the input and the output message, as a fixed
 * per-message cost), the rest is the VM's sandbox_factor; startup_s = 0. The paper suspects the data
 * layer ("the most likely culprit") but gives no split. t_native_inf_s > 0. */
sr_status sr_mcu_rune_paper_params(sr_rune_mode m, double t_native_inf_s, double data_layer_share,
                                   sr_mcu_rune_params *out);

/* Total time of n_inferences (>= 1) with the given parameters (all inputs validated; SR_ERR_INVALID). */
sr_status sr_mcu_rune_time(const sr_mcu_rune_params *p, double t_native_inf_s, int64_t in_bytes,
                           int64_t out_bytes, int64_t n_inferences, double *total_s);
/* Eq. (1) of the paper: (t_rune - t_native) / t_native over n_inferences. */
sr_status sr_mcu_rune_overhead(const sr_mcu_rune_params *p, double t_native_inf_s, int64_t in_bytes,
                               int64_t out_bytes, int64_t n_inferences, double *overhead);

/* The paper's benchmark model: TensorFlow Lite Micro's "hello world" sine regressor, a 1-16-16-1 MLP
 * (input x, output sin x, one float each). */
#define SR_RUNE_SINE_IN_BYTES 4
#define SR_RUNE_SINE_OUT_BYTES 4
#define SR_RUNE_SINE_MACS (1 * 16 + 16 * 16 + 16 * 1)

#endif
