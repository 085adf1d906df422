/* arrival.c: periodic, Poisson and trace arrival processes (arrival.h). */
#include "arrival.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

struct sr_arrival_gen {
    sr_arrival_process kind;
    double rate_hz, start_s, phase_s;
    int64_t k;     /* arrivals returned so far */
    double last_s; /* Poisson: previous arrival */
    gsl_rng *rng;  /* Poisson only */
    const double *times_s; /* trace: borrowed */
    int n_times;
};

uint64_t sr_arrival_seed(uint64_t run_seed, uint64_t stream)
{
    uint64_t x = run_seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 2; i++) { /* two splitmix64 rounds */
        x += 0x9E3779B97F4A7C15ULL;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        x = z ^ (z >> 31);
    }
    return x;
}

double sr_arrival_phase(int instance, double rate_hz)
{
    if (instance <= 0 || !(rate_hz > 0)) return 0.0;
    double f = fmod((double)instance * 0.6180339887498949, 1.0);
    return f / rate_hz;
}

sr_status sr_arrival_create(sr_arrival_process kind, double rate_hz, double start_s, double phase_s,
                            uint64_t seed, sr_arrival_gen **out)
{
    if (!out || kind < 0 || kind >= SR_ARRIVAL_PROC_COUNT || !isfinite(rate_hz) || rate_hz <= 0 ||
        !isfinite(start_s) || start_s < 0 || !isfinite(phase_s) || phase_s < 0)
        return SR_ERR_INVALID;
    sr_arrival_gen *g = calloc(1, sizeof *g);
    if (!g) return SR_ERR_NOMEM;
    g->kind = kind;
    g->rate_hz = rate_hz;
    g->start_s = start_s;
    g->phase_s = phase_s;
    g->last_s = start_s;
    if (kind == SR_ARRIVAL_PROC_POISSON) {
        g->rng = gsl_rng_alloc(gsl_rng_mt19937);
        if (!g->rng) {
            free(g);
            return SR_ERR_NOMEM;
        }
        /* mt19937 takes an unsigned long seed; fold the 64 bits so both halves matter. */
        gsl_rng_set(g->rng, (unsigned long)(seed ^ (seed >> 32)));
    }
    *out = g;
    return SR_OK;
}

void sr_arrival_free(sr_arrival_gen *g)
{
    if (!g) return;
    if (g->rng) gsl_rng_free(g->rng);
    free(g);
}

double sr_arrival_next(sr_arrival_gen *g)
{
    double t;
    switch (g->kind) {
    case SR_ARRIVAL_PROC_PERIODIC:
        t = g->start_s + g->phase_s + (double)g->k / g->rate_hz;
        break;
    case SR_ARRIVAL_PROC_POISSON:
        t = g->last_s + gsl_ran_exponential(g->rng, 1.0 / g->rate_hz);
        g->last_s = t;
        break;
    case SR_ARRIVAL_PROC_TRACE:
        t = g->k < g->n_times ? g->times_s[g->k] : INFINITY;
        break;
    case SR_ARRIVAL_PROC_COUNT:
    default:
        t = NAN;
        break;
    }
    g->k++;
    return t;
}

int64_t sr_arrival_count(const sr_arrival_gen *g)
{
    return g->k;
}

sr_status sr_arrival_create_trace(const double *times_s, int n, sr_arrival_gen **out)
{
    if (!out || (!times_s && n > 0) || n < 0) return SR_ERR_INVALID;
    for (int i = 0; i < n; i++)
        if (!isfinite(times_s[i]) || times_s[i] < 0 || (i > 0 && times_s[i] < times_s[i - 1])) return SR_ERR_INVALID;
    sr_arrival_gen *g = calloc(1, sizeof *g);
    if (!g) return SR_ERR_NOMEM;
    g->kind = SR_ARRIVAL_PROC_TRACE;
    g->times_s = times_s;
    g->n_times = n;
    *out = g;
    return SR_OK;
}
