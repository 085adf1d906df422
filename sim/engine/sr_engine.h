/* sr_engine.h: runs one simulated run point on SimGrid.
 *
 * sr_engine_run() builds the platform from the experiment (sr_platform.h), plans every source
 * instance's frames with the experiment's policy (sr_policy.h), then simulates: every source instance
 * emits frames (periodic with a per-instance phase, or Poisson from a per-instance GSL stream seeded from
 * `seed`) during [0, duration); each frame runs through its plan, with compute tasks waiting
 * FIFO for their device (one task at a time per device; a frame that finds max_queue frames already
 * waiting is dropped) and transfers moving through the routed links (concurrent flows share links
 * max-min). It fills `out` with per-frame records (sorted by source, frame), per-link and per-host
 * statistics, the summary metrics (sr_run_output_summarize with the experiment's warmup) and
 * energy_total_j / bytes_total. The simulation uses no SimGrid actors (timers and activities driven from
 * SimGrid's kernel, see sr_engine.c), so its memory grows with devices and in-flight frames, not with
 * actors, and overload (frames piling up at a device) does not hit SimGrid's actor limits.
 *
 * SimGrid cannot be initialised twice: call the engine at most once per process (fork a process per
 * run point). Network model: cm02 = CM02 without cross-traffic or TCP window (latency + size / bw),
 * lv08 = SimGrid's defaults. Logs are silenced unless the SR_LOG environment variable holds an XBT log
 * setting (e.g. SR_LOG=root.thres:info). Deterministic: same experiment + seed -> identical output.
 *
 * Pricing: a device group whose `profile` is a known profile is priced by that profile's cost model
 * (sr_profile_cost_model: fitted when the profile has a fit, else its roofline); other groups, and all groups
 * when opts->cost is given, by the roofline (or opts->cost). A split with a codec adds "encode" / "decode"
 * tasks priced from the codec table row of (model, split layer, pipeline) (sr_codectab_lookup), and sends
 * ceil(elements x bits_per_element / 8) bytes.
 *
 * Exact mode (e->mode == SR_MODE_EXACT, sr_exact.h): the plan and the simulated times are exactly those of
 * model mode (times still come from the cost model and the codec table; without a table, encode/decode cost
 * 0 s), but at every frame's capture the engine also really runs it: the instance's synthetic video frame
 * (seeded per source instance from `seed`), the model's kernels (weights seeded with e->seed; the load_graph
 * hook is not used), and the codec, whose real output size replaces the planned bytes of the "activation"
 * transfer. Metrics added: exact_frames, output_rel_l2_mean, top1_agreement, activation_snr_db (with a
 * codec) and exact_kernel_wall_s (wall-clock seconds of the kernels and codecs: the only value that
 * differs between two runs of the same point). Runs above SR_EXACT_MAX_FRAMES expected frames are refused.
 * Model mode with a codec table adds the table's activation_snr_db, output_rel_l2 and top1_agreement. */
#ifndef SR_ENGINE_H
#define SR_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_cost.h"
#include "sr_experiment.h"
#include "sr_run_output.h"

/* Optional overrides (tests, future callers). Zero-initialised means defaults. */
typedef struct sr_engine_opts {
    const sr_cost_model *cost; /* NULL: the roofline model; borrowed */
    /* NULL: models come from sr_model_load (zoo name, .onnx or darknet .cfg). Otherwise returns the
     * inferred graph of model spec m in *out (caller of the hook frees it). */
    sr_status (*load_graph)(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t err_size);
    void *user;
} sr_engine_opts;

/* Runs the experiment e with run seed `seed`; results are appended to out (initialised by the caller).
 * Errors (bad platform, unknown model, missing route, ...) return a negative status with a message in err
 * before SimGrid starts. */
sr_status sr_engine_run(const sr_experiment *e, uint64_t seed, sr_run_output *out, char *err,
                        size_t err_size);
sr_status sr_engine_run_opts(const sr_experiment *e, uint64_t seed, const sr_engine_opts *opts,
                             sr_run_output *out, char *err, size_t err_size);

#endif
