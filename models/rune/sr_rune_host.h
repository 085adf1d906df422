/* sr_rune_host.h: a real rune on this host, to measure what the container boundary costs (Lootus et al.,
 * "A VM/Containerized Approach for Scaling TinyML Applications", Sec. 4).
 *
 * The rune's guest (rune_guest.c) is compiled to wasm32 by clang and translated back to C by wabt's wasm2c,
 * which this library links with wabt's runtime built with explicit bounds checks on every linear-memory
 * access (WASM_RT_MEMCHECK_SIGNAL_HANDLER=0: no guard pages, as on an MCU without an MMU). The host runs the
 * zoo's sine MLP (sr_exec, weights He-initialised from a seed) for the guest, as Rune's host runtime runs the
 * TensorFlow Lite model; per inference four messages cross the boundary (sensor sample in, model input out,
 * model output in, rune output out), each encoded on one side and decoded on the other:
 *   rune-rust      a bincode-like fixed layout (u64 LE length prefixes, f32 elements; sr_rune_wire.h)
 *   rune-protobuf  simrun.rune.Tensor (sr_rune_tensor.proto): protobuf-c on the host, the guest's own encoder
 * native runs the same sensor -> model -> output steps as direct host calls.
 *
 * Built only when the wasm tools are found (CMake option SR_WITH_WASM, docs/papers/rune.md); otherwise every
 * function here returns SR_ERR_UNSUPPORTED and sr_rune_host_available() is 0. */
#ifndef SR_RUNE_HOST_H
#define SR_RUNE_HOST_H

#include <stdint.h>

#include "mcu_rune.h"
#include "sr_status.h"

/* 1 when the wasm guest is linked into this build. */
int sr_rune_host_available(void);

typedef struct sr_rune_host sr_rune_host;

/* The sine MLP with weights from seed, and one instance of the guest. Caller frees. Only one host may exist
 * at a time in a process (wabt's runtime keeps its trap state in globals): SR_ERR_INVALID on a second. */
sr_status sr_rune_host_create(uint64_t seed, sr_rune_host **out);
void sr_rune_host_free(sr_rune_host *h); /* NULL is a no-op */

/* One inference of sample x in mode m; *y is what reached the rune's output (bit-identical across modes:
 * float32 round-trips exactly through both formats). SR_ERR_CORRUPT when the guest traps or rejects a
 * message. */
sr_status sr_rune_host_infer(sr_rune_host *h, sr_rune_mode m, float x, float *y);

/* Counters since create, per mode: inferences, messages that crossed the boundary, and their bytes. */
typedef struct sr_rune_counts {
    int64_t inferences, messages, bytes;
} sr_rune_counts;
sr_status sr_rune_host_counts(const sr_rune_host *h, sr_rune_mode m, sr_rune_counts *out);

/* Measured seconds per inference of each mode: reps (>= 1) alternating rounds of iters (>= 1) inferences of
 * each mode, the median round per mode. bytes_per_inference from the counters. */
typedef struct sr_rune_measurement {
    long iters;
    int reps;
    double inference_s[SR_RUNE_MODE_COUNT];      /* native, rune-rust, rune-protobuf */
    double bytes_per_inference[SR_RUNE_MODE_COUNT]; /* 0 for native */
} sr_rune_measurement;
sr_status sr_rune_measure(long iters, int reps, uint64_t seed, sr_rune_measurement *out);

#endif
