/* sr_engine.h: runs one simulated run point on SimGrid.
 *
 * sr_engine_run() builds the platform from the experiment (sr_platform.h), plans every source
 * instance's frames with the experiment's policy (sr_policy.h), then simulates: one actor per source
 * instance emits frames (periodic with a per-instance phase, or Poisson from a per-instance GSL stream
 * seeded from `seed`) during [0, duration); each frame runs through its plan, with compute tasks waiting
 * FIFO for their device (one task at a time per device; a frame that finds max_queue frames already
 * waiting is dropped) and transfers moving through the routed links (concurrent flows share links
 * max-min). It fills `out` with per-frame records (sorted by source, frame), per-link and per-host
 * statistics, the summary metrics (sr_run_output_summarize with the experiment's warmup) and
 * energy_total_j / bytes_total.
 *
 * SimGrid cannot be initialised twice: call the engine at most once per process (fork a process per
 * run point). Network model: cm02 = CM02 without cross-traffic or TCP window (latency + size / bw),
 * lv08 = SimGrid's defaults. Logs are silenced unless the SR_LOG environment variable holds an XBT log
 * setting (e.g. SR_LOG=root.thres:info). Deterministic: same experiment + seed -> identical output. */
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
