/* sr_idle.c: the slowdown of compute after idle (sr_idle.h): the curve's interpolation, its check, and its
 * measurement with the real kernels. */
#include "sr_idle.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_exec.h"
#include "sr_stats.h"
#include "sr_graph.h"
#include "sr_weights.h"
#include "sr_zoo.h"

double sr_idle_factor(const sr_idle_curve *c, double gap_s)
{
    if (!c || c->n <= 0 || !(gap_s > 0)) return 1.0;
    if (gap_s <= c->gap_s[0]) return 1.0 + (c->factor[0] - 1.0) * gap_s / c->gap_s[0];
    for (int i = 1; i < c->n; i++)
        if (gap_s <= c->gap_s[i]) {
            const double u = log(gap_s / c->gap_s[i - 1]) / log(c->gap_s[i] / c->gap_s[i - 1]);
            return c->factor[i - 1] + u * (c->factor[i] - c->factor[i - 1]);
        }
    return c->factor[c->n - 1];
}

int sr_idle_curve_check(const sr_idle_curve *c, char *why, size_t why_size)
{
    if (c->n < 0 || c->n > SR_IDLE_MAX_POINTS) {
        snprintf(why, why_size, "at most %d points, got %d", SR_IDLE_MAX_POINTS, c->n);
        return -1;
    }
    for (int i = 0; i < c->n; i++) {
        if (!(isfinite(c->gap_s[i]) && c->gap_s[i] > 0)) {
            snprintf(why, why_size, "point %d: gap_s must be > 0, got %g", i + 1, c->gap_s[i]);
            return -1;
        }
        if (i && !(c->gap_s[i] > c->gap_s[i - 1])) {
            snprintf(why, why_size, "point %d: gaps must increase (%g after %g)", i + 1, c->gap_s[i], c->gap_s[i - 1]);
            return -1;
        }
        if (!(isfinite(c->factor[i]) && c->factor[i] >= 1.0)) {
            snprintf(why, why_size, "point %d: factor must be >= 1 (idling cannot speed work up), got %g", i + 1,
                     c->factor[i]);
            return -1;
        }
    }
    return 0;
}

void sr_idle_monotone(const double *ratio, int n, double *factor)
{
    /* pool adjacent violators: blocks of equal level, merged while a block is above the next */
    double level[SR_IDLE_MAX_POINTS];
    int width[SR_IDLE_MAX_POINTS], blocks = 0;
    for (int i = 0; i < n && i < SR_IDLE_MAX_POINTS; i++) {
        level[blocks] = ratio[i], width[blocks] = 1, blocks++;
        while (blocks > 1 && level[blocks - 2] > level[blocks - 1]) {
            const int wsum = width[blocks - 2] + width[blocks - 1];
            level[blocks - 2] = (level[blocks - 2] * width[blocks - 2] + level[blocks - 1] * width[blocks - 1]) / wsum;
            width[blocks - 2] = wsum;
            blocks--;
        }
    }
    for (int b = 0, i = 0; b < blocks; b++)
        for (int k = 0; k < width[b]; k++, i++)
            factor[i] = level[b] > 1.0 ? level[b] : 1.0;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

double sr_idle_log_spread(const double *x, int n, double *dev, int *n_dev)
{
    if (n < 2) return 0.0;
    double *c = malloc(sizeof *c * (size_t)n);
    if (!c) return 0.0;
    memcpy(c, x, sizeof *c * (size_t)n);
    const double m = sr_median(c, n);
    for (int i = 0; i < n; i++) {
        c[i] = log(x[i] / m);
        if (dev) dev[(*n_dev)++] = c[i];
        c[i] = fabs(c[i]);
    }
    const double s = 1.4826 * sr_median(c, n);
    free(c);
    return s;
}

double sr_idle_sigma_q95(double *dev, int n)
{
    if (n < 2) return 0.0;
    qsort(dev, (size_t)n, sizeof *dev, sr_cmp_double);
    const double pos = 0.95 * (double)(n - 1);
    const int i = (int)floor(pos);
    const double q = i + 1 < n ? dev[i] + (pos - i) * (dev[i + 1] - dev[i]) : dev[n - 1];
    return q > 0 ? q / 1.6448536269514722 : 0.0;
}

static sr_status timed_forward(sr_exec *ex, double *s)
{
    const double t0 = mono_s();
    sr_status st = sr_exec_run(ex);
    *s = mono_s() - t0;
    return st;
}

sr_status sr_idle_measure(const char *model, const double *gaps_s, int n, int rounds, uint64_t seed,
                          sr_idle_result *out, char *err, size_t err_size)
{
    if (!model || !gaps_s || !out || n < 1 || n > SR_IDLE_MAX_POINTS || rounds < 1) return SR_ERR_INVALID;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++)
        if (!(isfinite(gaps_s[i]) && gaps_s[i] > 0 && gaps_s[i] <= 60) || (i && !(gaps_s[i] > gaps_s[i - 1]))) {
            if (err && err_size) snprintf(err, err_size, "idle gaps must increase within (0, 60] s");
            return SR_ERR_INVALID;
        }
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_exec *ex = NULL;
    double *spaced = calloc((size_t)n * (size_t)rounds, sizeof *spaced);
    double *warm = calloc((size_t)n * (size_t)rounds, sizeof *warm);
    sr_status st = spaced && warm ? SR_OK : SR_ERR_NOMEM;
    if (st == SR_OK) st = sr_zoo_build_err(model, 0, 0, 0, &g, err, err_size);
    if (st == SR_OK) st = sr_weights_create(g, &w);
    if (st == SR_OK) {
        sr_weights_init_he(w, seed);
        st = sr_exec_create(g, w, 0, &ex, err, err_size);
    }
    if (st != SR_OK) goto cleanup;
    for (int i = 0; i < sr_graph_node_count(g); i++) { /* a fixed, finite input (no denormals, no NaN) */
        float *x = sr_exec_input(ex, i);
        if (!x) continue;
        int64_t m = sr_shape_numel(&sr_graph_node(g, i)->out);
        for (int64_t k = 0; k < m; k++)
            x[k] = (float)((k % 17) - 8) / 8.0f;
    }
    double t;
    int n_warm = 0;
    for (int k = 0; k < 3 && st == SR_OK; k++) /* first touches: page faults, OpenBLAS buffers */
        st = timed_forward(ex, &t);
    for (int r = 0; r < rounds && st == SR_OK; r++) {
        for (int i = 0; i < n && st == SR_OK; i++) {
            sleep_s(gaps_s[i]);
            st = timed_forward(ex, &spaced[(size_t)i * (size_t)rounds + (size_t)r]);
        }
        /* the round's warm forwards: back to back, as the fitted costs were timed; the first one, right after
         * the last sleep, is not counted */
        for (int k = 0; k <= n && st == SR_OK; k++) {
            st = timed_forward(ex, &t);
            if (k) warm[n_warm++] = t;
        }
    }
    if (st != SR_OK) {
        if (err && err_size) snprintf(err, err_size, "forward failed: %s", sr_status_message(st));
        goto cleanup;
    }
    out->rounds = rounds;
    /* the spread, pooled over the groups (each gap's forwards and the warm ones) around their own medians */
    double *dev = calloc((size_t)(n * rounds + n_warm), sizeof *dev);
    if (!dev) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    int n_dev = 0;
    for (int i = 0; i < n; i++)
        sr_idle_log_spread(&spaced[(size_t)i * (size_t)rounds], rounds, dev, &n_dev);
    sr_idle_log_spread(warm, n_warm, dev, &n_dev);
    out->sigma = sr_idle_sigma_q95(dev, n_dev);
    free(dev);
    out->warm_s = sr_median(warm, n_warm);
    out->curve.n = n;
    double f[SR_IDLE_MAX_POINTS];
    for (int i = 0; i < n; i++) {
        out->spaced_s[i] = sr_median(&spaced[(size_t)i * (size_t)rounds], rounds);
        out->curve.gap_s[i] = gaps_s[i];
        f[i] = out->spaced_s[i] / out->warm_s;
    }
    sr_idle_monotone(f, n, out->curve.factor);
cleanup:
    free(spaced);
    free(warm);
    sr_exec_free(ex);
    sr_weights_free(w);
    sr_graph_free(g);
    return st;
}
