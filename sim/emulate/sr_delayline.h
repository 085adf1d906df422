/* sr_delayline.h: the user-space delay line of an emulated link (sr_testbed.h).
 *
 * Reads IP packets from two TUN devices, holds each one for its direction's one-way delay and writes it
 * into the other device: a -> b after delay_ab_s, b -> a after delay_ba_s. Packets leave in the order they
 * came (the delay is constant per direction). Up to SR_DELAYLINE_MAX_QUEUED packets wait per direction;
 * more are dropped (as a full router queue would). Runs until SIGTERM or until a device goes away. */
#ifndef SR_DELAYLINE_H
#define SR_DELAYLINE_H

#include "sr_status.h"

#define SR_DELAYLINE_MAX_QUEUED 8192

/* fa, fb: TUN file descriptors (borrowed; the caller closes them after the return). */
sr_status sr_delayline_run(int fa, int fb, double delay_ab_s, double delay_ba_s);

#endif
