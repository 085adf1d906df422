/* sr_delayline.h: the user-space delay line of an emulated link (sr_testbed.h).
 *
 * Reads IP packets from two TUN devices, holds each one for its direction's one-way delay and writes it
 * into the other device: a -> b after delay_ab_s, b -> a after delay_ba_s. Packets leave in the order they
 * came (the delay is constant per direction, or follows a latency trace: sr_dl_shape). Up to SR_DELAYLINE_MAX_QUEUED packets wait per direction;
 * more are dropped (as a full router queue would). Runs until SIGTERM or until a device goes away. */
#ifndef SR_DELAYLINE_H
#define SR_DELAYLINE_H

#include "sr_status.h"
#include "sr_trace.h"

#define SR_DELAYLINE_MAX_QUEUED 8192
/* Rates of a traced direction below this are raised to it (as the simulation's profiles raise theirs). */
#define SR_DELAYLINE_MIN_BPS 8.0

/* A direction shaped here rather than by tbf: its rate follows a bandwidth trace. Packets are serialized one
 * after the other, a packet of L bytes taking the time in which the trace's rate moves L x 1448 / 1500 bytes
 * (the rate is a payload rate, as tbf's, see sr_testbed.h), then held for the delay. The queue is unbounded
 * (up to SR_DELAYLINE_MAX_QUEUED packets), as mm-link's default; capacity unused while the queue is empty is
 * lost, as mahimahi's delivery opportunities. */
typedef struct sr_dl_shape {
    const sr_trace *trace;         /* bandwidth, payload bit/s (borrowed); NULL: the rate is tbf's */
    double before_bps;             /* before the trace's origin and before its first time */
    const volatile double *origin; /* monotonic seconds of the trace's time 0; <= 0: not yet set */
    /* A direction whose route has a link with a latency trace: a packet read at time t is held for the delay
     * run's constant part plus the trace's latency at t (lat_before_s before the origin and the trace's first
     * time, the link's own latency), never leaving before the packet ahead of it (a wire keeps its order: a
     * latency that drops makes packets bunch, as when a queue drains). */
    const sr_trace *lat;           /* latency (s) over time (borrowed); NULL: none */
    double lat_before_s;
} sr_dl_shape;

/* The traced latency at monotonic time t_s (sh->lat must be set; see above). */
double sr_delayline_latency_s(const sr_dl_shape *sh, double t_s);

/* When the direction finishes serializing `bytes` that start at start_s (monotonic seconds). */
double sr_delayline_finish_s(const sr_dl_shape *sh, double start_s, double bytes);

/* fa, fb: TUN file descriptors (borrowed; the caller closes them after the return). shape_ab, shape_ba:
 * NULL, or the direction's trace (borrowed). */
sr_status sr_delayline_run(int fa, int fb, double delay_ab_s, double delay_ba_s, const sr_dl_shape *shape_ab,
                           const sr_dl_shape *shape_ba);

#endif
