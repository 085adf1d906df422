/* failures.h: failure/recovery schedules of devices and links (pure C, no SimGrid).
 *
 * An outage is {at_s, for_s}: the element is down during [at_s, at_s + for_s). Schedules come from an
 * explicit list (the experiment file) or are drawn from MTBF/MTTR: up-times ~ Exp(mean mtbf), down-times
 * ~ Exp(mean mttr), alternating from an up state at t = 0, from a GSL mt19937 stream seeded with
 * sr_failures_seed(run seed, element name): the same seed and name give the same schedule, different
 * elements get unrelated ones. sr_failures_to_state() turns a schedule into an on/off state trace for
 * SimGrid's state profiles (sim/engine/sr_profiles.c).
 *
 * It lives in workloads/ because, like arrivals, it is a seeded process the engine replays; it serves
 * devices and links alike, so it is not in models/net. */
#ifndef SR_FAILURES_H
#define SR_FAILURES_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"
#include "sr_trace.h"

typedef struct sr_outage {
    double at_s;  /* start of the outage, >= 0 */
    double for_s; /* duration, > 0 */
} sr_outage;

/* Checks an explicit schedule: finite values, at >= 0, for > 0, in increasing order of `at`, and each
 * outage ending before the next one starts. On a problem returns SR_ERR_RANGE, *bad = index of the
 * offending outage and a message (without a location) in err. */
sr_status sr_failures_check(const sr_outage *o, int n, int *bad, char *err, size_t err_size);

/* Seed of the failure stream of element `name` in a run seeded with run_seed. */
uint64_t sr_failures_seed(uint64_t run_seed, const char *name);

/* Draws the outages that start in [0, horizon_s) (mtbf_s, mttr_s > 0; the last one may end after the
 * horizon). *out is a new array (caller frees; NULL when *n == 0). SR_ERR_INVALID on bad parameters,
 * SR_ERR_RANGE when more than max_outages would be drawn (mtbf far below the horizon). */
sr_status sr_failures_draw(double mtbf_s, double mttr_s, double horizon_s, uint64_t seed, int max_outages,
                           sr_outage **out, int *n);

/* Union of two checked schedules (overlapping or touching outages become one). *out is new (caller frees;
 * NULL when *n == 0). */
sr_status sr_failures_merge(const sr_outage *a, int na, const sr_outage *b, int nb, sr_outage **out, int *n);

/* The on/off state trace of a checked, non-empty schedule: 0 at each start, 1 at each end (no loop).
 * Caller frees with sr_trace_free. SR_ERR_INVALID when n == 0. */
sr_status sr_failures_to_state(const sr_outage *o, int n, sr_trace **out);

#endif
