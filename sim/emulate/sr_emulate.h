/* sr_emulate.h: one run point executed for real on an emulated testbed (`simrun emulate`,
 * docs/validation.md).
 *
 * The point is prepared as the engine prepares it (sr_engine_view.h: the same policy, the same priced plans,
 * the same arrival times, the same synthetic video frames and weights as exact mode). Every device instance
 * that a plan names becomes a process in its own network namespace with a CPU quota (sr_testbed.h); every
 * pair of devices that a plan's transfers join becomes one shaped link: the route's bottleneck bandwidth
 * and summed latency, per direction (a platform link on the routes of two pairs is refused: each pair would
 * get the whole link). A route through a link with a bandwidth trace follows the trace over time (capped by
 * its other links), time 0 at the first capture's origin t0; mahimahi traces at 1 ms (one MTU per delivery
 * opportunity), not at the simulation's bins. Latency traces are refused. The device processes then run the plans for real, with wall-clock time as the clock:
 * - at each frame's capture time (its arrival time after the start) the source's tasks become ready;
 * - compute tasks run one at a time per device, FIFO, on one thread: a layer range with the real kernels
 *   (the model's prefix up to a cut, the rest after it, or all of it), encode / decode with the real codec,
 *   fixed work (seconds, flops) as a busy loop of the priced seconds;
 * - transfers cross real TCP connections (one per device pair and direction, FIFO): a frame or opaque bytes
 *   as that many bytes, an activation as the codec's real output, or (no codec) the tensor at the plan's
 * bytes per element (fp32 when the plan has 4 bytes per element or more, int8 with a per-tensor scale
 * otherwise). A sender whose device has max_in_flight 1 (the default: an upload client that waits for each
 * request) waits for a one-byte acknowledgment of each transfer before it sends the next one; the engine
 * starts the next transfer when the previous one arrives, a real client learns of it one latency later. With
 * any other max_in_flight the transfers follow each other on the stream without waiting;
 * - delays sleep; a task waiting on a task of another device without a transfer gets a notification over
 *   the connection;
 * - a frame that finds max_queue compute tasks waiting at its source device is dropped.
 * Each task's ready, start and end times (seconds since the start, on this host's monotonic clock, shared by
 * every namespace) come back to the caller as the engine's records (frames, frame tasks), so the results
 * database takes them unchanged. Plans are the ones exact mode runs (sr_exact_plan_shape): chains of layer
 * ranges with at most one coded cut. Batching, several executors per device and re-planning are not
 * emulated (a device runs one task at a time; the first plan is kept). */
#ifndef SR_EMULATE_H
#define SR_EMULATE_H

#include <stdint.h>
#include <stdio.h>

#include "sr_experiment.h"
#include "sr_run_output.h"
#include "sr_status.h"

typedef struct sr_emulate_opts {
    int frames;        /* frames per source instance; 0: every arrival before the experiment's duration */
    double host_flops; /* this host's single-core compute rate (speed x efficiency of its calibrated profile):
                          a device's quota is (speed x cores x efficiency) / host_flops cores; 0: no quotas */
    int host_cores;    /* quotas at or above this many cores are not set (0: the online CPUs) */
    double grace_s;    /* after the last capture, how long to wait for frames to finish (0: 30 s) */
    FILE *log;         /* progress and warnings (may be NULL) */
    int cold_tcp;      /* 1: TCP as Linux's defaults (slow start on every idle connection, initial window
                          10); 0: warm connections (SR_TB_TCP_WARM, sr_testbed.h). Both use cubic. */
} sr_emulate_opts;

/* Runs point e (seed: the point's) on a testbed built for it and torn down before the return. out gets
 * the frame and task records, per-host and per-link statistics and the summary metrics (warmup: the
 * experiment's) plus emulated_frames and emulated_wall_s. Needs root (SR_ERR_UNSUPPORTED with the reason
 * otherwise); SR_ERR_UNSUPPORTED also for a plan or platform it cannot emulate (latency traces, shared links,
 * tiled plans), with the reason. A pending SIGINT / SIGTERM (sr_emulate_stop) ends the run early with SR_ERR_CHILD. */
sr_status sr_emulate_run(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *opts,
                         sr_run_output *out, char *err, size_t err_size);

/* What sr_emulate_run checks before it builds anything (no root needed): SR_OK when point e can be emulated;
 * SR_ERR_UNSUPPORTED / SR_ERR_RANGE with the reason otherwise (traced links, shared links, event sources,
 * plans exact mode cannot run, too many frames). */
sr_status sr_emulate_check(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *opts, char *err,
                           size_t err_size);

/* Asks a run in progress to stop (async-signal-safe: for a signal handler). */
void sr_emulate_stop(void);

#endif
