/* arrival.h: job arrival processes of a source instance (periodic, Poisson, a timestamp trace), seeded and
 * reproducible.
 *
 * One generator per source instance. Periodic: t_k = start + phase + k / rate (computed from k, so no
 * drift accumulates). Poisson: exponential inter-arrivals of mean 1 / rate from the generator's own GSL
 * stream (mt19937), the first arrival at start + Exp(rate). The stream's seed comes from the run seed and
 * the instance index through sr_arrival_seed(), so instances are independent and a run is reproducible. */
#ifndef SR_ARRIVAL_H
#define SR_ARRIVAL_H

#include <stdint.h>

#include "sr_status.h"

typedef enum {
    SR_ARRIVAL_PROC_PERIODIC,
    SR_ARRIVAL_PROC_POISSON,
    SR_ARRIVAL_PROC_TRACE,
    SR_ARRIVAL_PROC_COUNT
} sr_arrival_process;

typedef struct sr_arrival_gen sr_arrival_gen;

/* Creates a generator of arrivals at rate_hz (> 0) starting at start_s (>= 0). phase_s (>= 0) shifts
 * periodic arrivals and is ignored by Poisson. seed feeds the Poisson stream (see sr_arrival_seed).
 * Caller frees with sr_arrival_free. */
sr_status sr_arrival_create(sr_arrival_process kind, double rate_hz, double start_s, double phase_s,
                            uint64_t seed, sr_arrival_gen **out);
void sr_arrival_free(sr_arrival_gen *g); /* NULL is a no-op */

/* A generator replaying n timestamps (seconds, non-decreasing, >= 0, e.g. from sr_trace_parse_times; borrowed:
 * they must outlive it); after the last one it returns INFINITY. */
sr_status sr_arrival_create_trace(const double *times_s, int n, sr_arrival_gen **out);

/* Time of the next arrival (strictly increasing for Poisson, start + phase + k/rate for periodic). */
double sr_arrival_next(sr_arrival_gen *g);
/* Number of arrivals returned so far. */
int64_t sr_arrival_count(const sr_arrival_gen *g);

/* Seed of instance `stream` of a run seeded with `run_seed` (splitmix64 mix of both): distinct streams
 * get unrelated seeds. */
uint64_t sr_arrival_seed(uint64_t run_seed, uint64_t stream);

/* Deterministic phase of periodic instance i at rate_hz: frac(i * golden ratio) / rate_hz, so instance
 * 0 has phase 0 and instances spread over one period without clustering. */
double sr_arrival_phase(int instance, double rate_hz);

#endif
