/* sr_emulate.h: one run point executed for real on an emulated testbed (`simrun emulate`,
 * docs/validation.md).
 *
 * The point is prepared as the engine prepares it (sr_engine_view.h: the same policy, the same priced plans,
 * the same arrival times, the same synthetic video frames and weights as exact mode). Every device instance
 * that a plan names becomes a process in its own network namespace with a CPU quota (sr_testbed.h); every
 * pair of devices that a plan's transfers join becomes one shaped link: the route's bottleneck bandwidth
 * and summed latency, per direction. Where the routes of several pairs share platform links, each chain of
 * shared links is one shaped link between router namespaces instead, shared per pair max-min, and each
 * pair's private links one link to it (sr_emulate_route.c; what it refuses is listed there). A route through a link with a bandwidth trace follows the trace over time (capped by
 * its other links), time 0 at the first capture's origin t0; mahimahi traces at 1 ms (one MTU per delivery
 * opportunity), not at the simulation's bins. A route through a link with a latency trace has that link's part
 * of the delay follow it (one per route and direction; sr_delayline.h). The device processes then run the
 * plans for real, with wall-clock time as the clock:
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
#include "sr_profile.h"
#include "sr_run_output.h"
#include "sr_status.h"

typedef struct sr_emulate_opts {
    int frames; /* frames per source instance; 0: every arrival before the experiment's duration */
    const sr_profile *host_profile; /* this host's calibrated profile (borrowed): the devices' CPU quotas come
                                       from it (sr_emulate_quotas); NULL: no quotas */
    double grace_s; /* after the last capture, how long to wait for frames to finish (0: 30 s) */
    FILE *log;      /* progress and warnings (may be NULL) */
    int cold_tcp;   /* 1: TCP as Linux's defaults (slow start on every idle connection, initial window
                       10); 0: warm connections (SR_TB_TCP_WARM, sr_testbed.h). Both use cubic. */
} sr_emulate_opts;

/* Runs point e (seed: the point's) on a testbed built for it and torn down before the return. out gets
 * the frame and task records, per-host and per-link statistics and the summary metrics (warmup: the
 * experiment's) plus emulated_frames and emulated_wall_s. Needs root (SR_ERR_UNSUPPORTED with the reason
 * otherwise); SR_ERR_UNSUPPORTED also for a plan or platform it cannot emulate (two traces of a kind on a route, shared links
 * it cannot route, tiled plans), with the reason. A pending SIGINT / SIGTERM (sr_emulate_stop) ends the run early with
 * SR_ERR_CHILD. */
sr_status sr_emulate_run(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *opts,
                         sr_run_output *out, char *err, size_t err_size);

/* What sr_emulate_run checks before it builds anything (no root needed): SR_OK when point e can be emulated;
 * SR_ERR_UNSUPPORTED / SR_ERR_RANGE with the reason otherwise (traced links, shared links it cannot route, event
 * sources, plans exact mode cannot run, too many frames, a CPU quota below what a cfs period can grant). */
sr_status sr_emulate_check(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *opts, char *err,
                           size_t err_size);

/* How a device's CPU quota was found (sr_emulate_quotas). */
typedef enum {
    SR_EMU_QUOTA_NONE,   /* no host profile given: no quota */
    SR_EMU_QUOTA_PRICED, /* host_s / device_s */
    SR_EMU_QUOTA_PEAK,   /* the plans give the device no priced compute: (speed x cores x efficiency of the
                            device) / (speed x efficiency of the host profile) */
    SR_EMU_QUOTA_RULE_COUNT
} sr_emulate_quota_rule;

const char *sr_emulate_quota_rule_name(sr_emulate_quota_rule r); /* "none", "priced", "peak" */

/* One emulated device's CPU quota. The device's processes run the host's real kernels, which the host profile
 * prices (it was calibrated on this host); throttled to host_s / device_s cores they take about the device's
 * priced time. host_s and device_s sum, over the compute tasks the device runs in the point's plans (one
 * frame of each source instance's plan), the task priced by the host profile (its cost model and roofline
 * numbers for layer ranges at the model's precision and batch 1; a codec's measured per-element times scaled
 * to the host's single core as the engine scales them to a device's) and the plan's own seconds (the engine's
 * price on the device: its profile's cost model, CPU quota `cpu`, container overhead, runtime factor). Fixed
 * work (seconds, flop) is left out of both: the emulation runs it as a busy loop of its priced wall time,
 * which a quota does not stretch. */
typedef struct sr_emulate_quota {
    int host;           /* topology host index of the device instance */
    const char *device; /* its instance name (borrowed from e) */
    sr_emulate_quota_rule rule;
    double host_s, device_s;  /* the two sums (seconds; 0 under the peak rule when nothing was priced) */
    double ratio;             /* the rule's quota in cores (host_s / device_s, or the peak ratio; 0: none) */
    double cores;             /* the quota set: ratio, or 0 (none) without a host profile or when ratio >= 1 (a
                                 device computes on one thread: a core or more limits nothing, and the cgroup
                                 alone slows its wake-ups beside other work) */
    long quota_us, period_us; /* the cfs quota and period of `cores` (sr_testbed_quota_period); 0 when none */
} sr_emulate_quota;

/* The CPU quota of every device of point e (seed: the point's), in the testbed's order (devices as the plans
 * first name them); no root needed. q gets min(n, *n_out) entries (q may be NULL when n is 0); *n_out the
 * number of devices. Errors as sr_emulate_check's: a quota the cfs period cannot grant (below 0.002 cores,
 * sr_testbed.h) is SR_ERR_UNSUPPORTED naming the device and both sums; a host profile whose cost model cannot
 * be built (its fit file unreadable) is its status with the reason. */
sr_status sr_emulate_quotas(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *opts,
                            sr_emulate_quota *q, int n, int *n_out, char *err, size_t err_size);

/* Asks a run in progress to stop (async-signal-safe: for a signal handler). */
void sr_emulate_stop(void);

#endif
