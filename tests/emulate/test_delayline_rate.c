/* test_delayline_rate.c: a traced direction's serialization (sr_delayline_finish_s, sr_delayline.h) against
 * closed forms, without root: a packet's payload-equivalent bits (wire bytes x 8 x 1448 / 1500) cross at the
 * trace's rate at the time, segment by segment, looping traces wrapping, the rate before the origin and before
 * the trace's first time being before_bps, rates below SR_DELAYLINE_MIN_BPS raised to it; and a latency-traced
 * direction's latency at a time (sr_delayline_latency_s): the link's own before the origin and the first time, the
 * trace's value after, wrapping when it loops. */
#include <math.h>
#include <stdio.h>

#include "sr_delayline.h"

static int failures;

static void near(const char *what, double got, double want)
{
    if (!(fabs(got - want) <= 1e-9)) {
        printf("FAIL %s: %.12f, expected %.12f\n", what, got, want);
        failures++;
    } else {
        printf("ok %s: %.9f\n", what, got);
    }
}

/* wire bytes whose payload-equivalent is `bits` */
static double wire(double bits)
{
    return bits / 8.0 * 1500.0 / 1448.0;
}

int main(void)
{
    volatile double origin = 0;
    /* a step: 8 Mbit/s, then 2 Mbit/s from 0.15 s on (the last value holds: no loop) */
    double t1[2] = {0, 0.15}, v1[2] = {8e6, 2e6};
    sr_trace step = {SR_TRACE_BANDWIDTH, 2, t1, v1, 0};
    sr_dl_shape sh = {.trace = &step, .before_bps = 5e6, .origin = &origin};
    near("no origin yet: the rate before", sr_delayline_finish_s(&sh, 3.0, wire(5e6)), 4.0);
    origin = 100.0;
    near("before the origin, then the trace", sr_delayline_finish_s(&sh, 99.9, wire(5e6 * 0.1 + 8e6 * 0.05)),
         100.05);
    near("within the first segment", sr_delayline_finish_s(&sh, 100.01, wire(8e6 * 0.1)), 100.11);
    near("across the step: 30 ms at 8 Mbit/s, the rest at 2", sr_delayline_finish_s(&sh, 100.12, wire(480000)),
         100.12 + 0.03 + (480000 - 240000) / 2e6);
    near("after the step, for ever", sr_delayline_finish_s(&sh, 150.0, wire(2e6)), 151.0);
    /* a looping trace with an outage: 1 Mbit/s on [0, 0.5), 0 (raised to the minimum) on [0.5, 1), period 1 */
    double t2[2] = {0, 0.5}, v2[2] = {1e6, 0};
    sr_trace loop = {SR_TRACE_BANDWIDTH, 2, t2, v2, 1.0};
    sr_dl_shape sl = {.trace = &loop, .before_bps = 1e6, .origin = &origin};
    double outage_bits = 0.5 * SR_DELAYLINE_MIN_BPS;
    near("waits out the outage, goes on in the next period",
         sr_delayline_finish_s(&sl, 100.4, wire(200000)), 101.0 + (200000 - 100000 - outage_bits) / 1e6);
    near("a later period wraps the same way", sr_delayline_finish_s(&sl, 107.4, wire(200000)),
         108.0 + (200000 - 100000 - outage_bits) / 1e6);
    /* a looping trace whose first time is not 0: before_bps until it, every period */
    double t3[1] = {0.2}, v3[1] = {4e6};
    sr_trace late = {SR_TRACE_BANDWIDTH, 1, t3, v3, 1.0};
    sr_dl_shape sla = {.trace = &late, .before_bps = 1e6, .origin = &origin};
    near("before the first time of each period", sr_delayline_finish_s(&sla, 102.1, wire(1e6 * 0.1 + 4e6 * 0.05)),
         102.25);
    /* a latency trace: 20 ms from 1 s, 120 ms from 2 s (the link's own latency, 50 ms, before); and a loop */
    origin = 0;
    double t4[2] = {1.0, 2.0}, v4[2] = {0.020, 0.120};
    sr_trace lat = {SR_TRACE_LATENCY, 2, t4, v4, 0};
    sr_dl_shape sd = {.origin = &origin, .lat = &lat, .lat_before_s = 0.050};
    near("latency: no origin yet", sr_delayline_latency_s(&sd, 5.0), 0.050);
    origin = 100.0;
    near("latency: before the origin", sr_delayline_latency_s(&sd, 99.0), 0.050);
    near("latency: before the trace's first time", sr_delayline_latency_s(&sd, 100.5), 0.050);
    near("latency: first segment", sr_delayline_latency_s(&sd, 101.5), 0.020);
    near("latency: after the step, for ever", sr_delayline_latency_s(&sd, 150.0), 0.120);
    lat.period_s = 3.0;
    near("latency: a looping trace wraps", sr_delayline_latency_s(&sd, 100.0 + 3 * 7 + 1.5), 0.020);
    near("latency: ... to before its first time", sr_delayline_latency_s(&sd, 100.0 + 3 * 7 + 0.5), 0.050);
    return failures ? 1 : 0;
}
