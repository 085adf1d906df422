/* arrival.c: periodic, Poisson and trace arrival processes, and the timestamp-trace reader (arrival.h). */
#include "arrival.h"

#include <ctype.h>
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define TRACE_MAX_ARRIVALS (1 << 24)

/* Is the line starting at `pos` the first line with content (a header may only be there)? */
static int line_is_first_data(int line, const char *text, size_t pos)
{
    (void)line;
    for (size_t i = 0; i < pos; i++) {
        if (text[i] == '#') { /* skip the comment line */
            while (i < pos && text[i] != '\n') i++;
            continue;
        }
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n') return 0;
    }
    return 1;
}

sr_status sr_arrival_trace_parse(const char *name, const char *text, size_t len, double **times_s, int *n,
                                 char *err, size_t err_size)
{
    *times_s = NULL;
    *n = 0;
    double *t = NULL;
    int cap = 0, count = 0, line = 0;
    sr_status st = SR_OK;
    size_t pos = 0;
    while (pos < len && st == SR_OK) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        line++;
        /* the first field of the line */
        size_t a = pos;
        while (a < end && (text[a] == ' ' || text[a] == '\t' || text[a] == '\r')) a++;
        size_t b = a;
        while (b < end && text[b] != ',' && text[b] != ' ' && text[b] != '\t' && text[b] != '\r' && text[b] != '#')
            b++;
        int col = (int)(a - pos) + 1;
        size_t next = end < len ? end + 1 : end;
        if (a == end || text[a] == '#' || text[a] == '\r') { /* blank or comment */
            pos = next;
            continue;
        }
        char field[64];
        size_t fl = b - a;
        int numeric = fl > 0 && fl < sizeof field;
        double v = 0;
        if (numeric) {
            memcpy(field, text + a, fl);
            field[fl] = '\0';
            char *stop = NULL;
            errno = 0;
            v = strtod(field, &stop);
            numeric = stop && *stop == '\0' && errno == 0 && (isdigit((unsigned char)field[0]) || field[0] == '.' ||
                                                               field[0] == '-' || field[0] == '+');
        }
        if (!numeric) {
            if (count == 0 && line_is_first_data(line, text, pos)) { /* a header */
                pos = next;
                continue;
            }
            snprintf(err, err_size, "%s:%d:%d: expected a time in seconds, got '%.*s'", name, line, col,
                     (int)(fl > 40 ? 40 : fl), text + a);
            st = SR_ERR_PARSE;
            break;
        }
        if (!isfinite(v) || v < 0) {
            snprintf(err, err_size, "%s:%d:%d: time %s is not a finite number >= 0", name, line, col, field);
            st = SR_ERR_RANGE;
            break;
        }
        if (count > 0 && v < t[count - 1]) {
            snprintf(err, err_size, "%s:%d:%d: time %s is before the previous arrival (%.9g): times must not decrease",
                     name, line, col, field, t[count - 1]);
            st = SR_ERR_RANGE;
            break;
        }
        if (count == TRACE_MAX_ARRIVALS) {
            snprintf(err, err_size, "%s:%d:%d: more than %d arrivals", name, line, col, TRACE_MAX_ARRIVALS);
            st = SR_ERR_RANGE;
            break;
        }
        if (count == cap) {
            int nc = cap ? 2 * cap : 256;
            double *nt = realloc(t, (size_t)nc * sizeof *nt);
            if (!nt) {
                st = SR_ERR_NOMEM;
                break;
            }
            t = nt;
            cap = nc;
        }
        t[count++] = v;
        pos = next;
    }
    if (st == SR_OK && count == 0) {
        snprintf(err, err_size, "%s:%d:1: no arrival time in the file", name, line > 0 ? line : 1);
        st = SR_ERR_INVALID;
    }
    if (st != SR_OK) {
        free(t);
        return st;
    }
    *times_s = t;
    *n = count;
    return SR_OK;
}
