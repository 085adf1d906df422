/* failures.c: explicit and MTBF/MTTR failure schedules and their state traces (see failures.h). */
#include "failures.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

sr_status sr_failures_check(const sr_outage *o, int n, int *bad, char *err, size_t err_size)
{
    for (int i = 0; i < n; i++) {
        *bad = i;
        if (!isfinite(o[i].at_s) || o[i].at_s < 0) {
            sr_errf(err, err_size, "a failure starts at %g s: it must be >= 0", o[i].at_s);
            return SR_ERR_RANGE;
        }
        if (!isfinite(o[i].for_s) || !(o[i].for_s > 0)) {
            sr_errf(err, err_size, "a failure lasts %g s: it must last > 0", o[i].for_s);
            return SR_ERR_RANGE;
        }
        if (i > 0 && !(o[i].at_s > o[i - 1].at_s + o[i - 1].for_s)) {
            sr_errf(err, err_size,
                    "the failure at %g s starts before the previous one (at %g s for %g s) is over: list "
                    "failures "
                    "in time order, without overlap",
                    o[i].at_s, o[i - 1].at_s, o[i - 1].for_s);
            return SR_ERR_RANGE;
        }
    }
    *bad = -1;
    return SR_OK;
}

uint64_t sr_failures_seed(uint64_t run_seed, const char *name)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a of the name */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    uint64_t x = run_seed ^ h ^ 0x6661696C75726573ULL; /* "failures": another stream family than arrivals */
    x += 0x9E3779B97F4A7C15ULL;                        /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

sr_status sr_failures_draw(double mtbf_s, double mttr_s, double horizon_s, uint64_t seed, int max_outages,
                           sr_outage **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (!(mtbf_s > 0) || !(mttr_s > 0) || !isfinite(mtbf_s) || !isfinite(mttr_s) || !(horizon_s >= 0) ||
        max_outages < 0)
        return SR_ERR_INVALID;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return SR_ERR_NOMEM;
    gsl_rng_set(rng, (unsigned long)(seed ^ (seed >> 32)));
    sr_outage *v = NULL;
    int cap = 0, k = 0;
    sr_status st = SR_OK;
    double t = 0.0;
    for (;;) {
        t += gsl_ran_exponential(rng, mtbf_s);
        if (!(t < horizon_s)) break;
        double d = gsl_ran_exponential(rng, mttr_s);
        if (!(d > 0)) d = 1e-9; /* a zero draw would be no outage at all */
        if (k == max_outages) {
            st = SR_ERR_RANGE;
            break;
        }
        if (k == cap) {
            int nc = cap ? cap * 2 : 16;
            sr_outage *nv = realloc(v, (size_t)nc * sizeof *nv);
            if (!nv) {
                st = SR_ERR_NOMEM;
                break;
            }
            v = nv;
            cap = nc;
        }
        v[k++] = (sr_outage){t, d};
        t += d;
    }
    gsl_rng_free(rng);
    if (st != SR_OK) {
        free(v);
        return st;
    }
    *out = v;
    *n = k;
    return SR_OK;
}

sr_status sr_failures_merge(const sr_outage *a, int na, const sr_outage *b, int nb, sr_outage **out, int *n)
{
    *out = NULL;
    *n = 0;
    if (na + nb == 0) return SR_OK;
    sr_outage *v = malloc((size_t)(na + nb) * sizeof *v);
    if (!v) return SR_ERR_NOMEM;
    int i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        sr_outage o = (j >= nb || (i < na && a[i].at_s <= b[j].at_s)) ? a[i++] : b[j++];
        if (k > 0 && o.at_s <= v[k - 1].at_s + v[k - 1].for_s) {
            double end = fmax(v[k - 1].at_s + v[k - 1].for_s, o.at_s + o.for_s);
            v[k - 1].for_s = end - v[k - 1].at_s;
        } else {
            v[k++] = o;
        }
    }
    *out = v;
    *n = k;
    return SR_OK;
}

sr_status sr_failures_to_state(const sr_outage *o, int n, sr_trace **out)
{
    *out = NULL;
    if (n <= 0) return SR_ERR_INVALID;
    sr_trace *t = calloc(1, sizeof *t);
    if (!t) return SR_ERR_NOMEM;
    t->kind = SR_TRACE_STATE;
    t->n = 2 * n;
    t->times_s = malloc((size_t)t->n * sizeof *t->times_s);
    t->values = malloc((size_t)t->n * sizeof *t->values);
    if (!t->times_s || !t->values) {
        sr_trace_free(t);
        return SR_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        t->times_s[2 * i] = o[i].at_s;
        t->values[2 * i] = 0.0;
        t->times_s[2 * i + 1] = o[i].at_s + o[i].for_s;
        t->values[2 * i + 1] = 1.0;
    }
    *out = t;
    return SR_OK;
}
