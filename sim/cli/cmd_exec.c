/* cmd_exec.c: `simrun exec MODEL [--input CxHxW] [--seed N] [--repeat N] [--gap S]`.
 *
 * Builds the zoo model, fills He-initialised weights and a seeded N(0,1) input, runs the real fp32
 * kernels forward (single-threaded BLAS) and prints each layer's time, the output shape and the output
 * statistics. With --repeat N each layer's time is the minimum over the N runs and the total is the
 * fastest whole run; --gap S sleeps S seconds before each run (forwards spaced as a device running one
 * per frame runs them, caches cooling in between). Exit codes: 0 ok, 1 the run failed, 2 unknown model or bad arguments. */
#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_cmd.h"
#include "sr_model_source.h"
#include "sr_exec.h"
#include "sr_graph.h"
#include "sr_weights.h"
#include "sr_zoo.h"

static void exec_usage(FILE *f)
{
    fprintf(f, "usage: simrun exec MODEL|FILE.onnx|FILE.cfg [--input CxHxW] [--seed N] [--repeat N] [--gap S] [--stats]\n"
               "  --stats   keep every layer's output and print its min/max/mean/std (disables buffer reuse and\n"
               "            conv fusion, so per-layer times are those of the unfused layers)\n"
               "  --gap S   sleep S seconds (0 to 60) before each run: forwards spaced as one per frame\n"
               "  Runs MODEL's real fp32 kernels forward on He-initialised weights and a seeded random\n"
               "  input; prints per-layer time (ms), output shape, output min/max/mean/std and total.\n"
               "  MODEL: one of");
    for (int i = 0; i < sr_zoo_count(); i++)
        fprintf(f, " %s", sr_zoo_name(i));
    fprintf(f, "\n");
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_chw(const char *s, int *c, int *h, int *w)
{
    long v[3];
    char buf[64];
    if (strlen(s) >= sizeof(buf))
        return -1;
    strcpy(buf, s);
    char *save = NULL, *tok = strtok_r(buf, "x", &save);
    for (int i = 0; i < 3; i++) {
        if (!tok || parse_long(tok, 1, 65536, &v[i]))
            return -1;
        tok = strtok_r(NULL, "x", &save);
    }
    if (tok)
        return -1;
    *c = (int)v[0], *h = (int)v[1], *w = (int)v[2];
    return 0;
}

typedef struct tensor_stats {
    double min, max, mean, std;
} tensor_stats;

/* Min, max, mean and (population) standard deviation of x[0..n). */
static void stats_of(const float *x, int64_t n, tensor_stats *s)
{
    double mn = INFINITY, mx = -INFINITY, sum = 0, sq = 0;
    for (int64_t k = 0; k < n; k++) {
        mn = x[k] < mn ? x[k] : mn;
        mx = x[k] > mx ? x[k] : mx;
        sum += x[k];
    }
    double mean = n ? sum / (double)n : 0;
    for (int64_t k = 0; k < n; k++)
        sq += (x[k] - mean) * (x[k] - mean);
    s->min = mn, s->max = mx, s->mean = mean, s->std = n ? sqrt(sq / (double)n) : 0.0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int sr_cmd_exec(int argc, char **argv)
{
    const char *model = NULL;
    int c = 0, h = 0, w = 0;
    long seed = 1, repeat = 1;
    double gap = 0;
    int stats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            exec_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--stats")) {
            stats = 1;
        } else if (!strcmp(a, "--gap")) {
            char *end = NULL;
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (v) gap = strtod(v, &end);
            if (!v || end == v || *end != '\0' || !(gap >= 0 && gap <= 60)) {
                fprintf(stderr, "simrun exec: --gap needs a number of seconds from 0 to 60\n");
                return 2;
            }
        } else if (!strcmp(a, "--input") || !strcmp(a, "--seed") || !strcmp(a, "--repeat")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "simrun exec: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            int bad = !strcmp(a, "--input")  ? parse_chw(v, &c, &h, &w)
                      : !strcmp(a, "--seed") ? parse_long(v, 0, 2147483647L, &seed)
                                             : parse_long(v, 1, 100000, &repeat);
            if (bad) {
                fprintf(stderr, "simrun exec: bad value '%s' for %s (%s)\n", v, a,
                        !strcmp(a, "--input") ? "expected CxHxW, e.g. 3x224x224"
                        : !strcmp(a, "--seed") ? "expected an integer >= 0"
                                               : "expected an integer >= 1");
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "simrun exec: unknown option '%s'\n", a);
            exec_usage(stderr);
            return 2;
        } else if (!model) {
            model = a;
        } else {
            fprintf(stderr, "simrun exec: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!model) {
        fprintf(stderr, "simrun exec: missing MODEL\n");
        exec_usage(stderr);
        return 2;
    }
    sr_graph *g = NULL;
    sr_weights *wt = NULL;
    sr_exec *e = NULL;
    gsl_rng *rng = NULL;
    double *best = NULL;
    int rc = 1;
    char err[1024];
    sr_status st = sr_model_load(model, c, h, w, (uint64_t)seed, &g, &wt, err, sizeof err);
    if (st != SR_OK) {
        fprintf(stderr, "simrun exec: %s\n", err);
        if (st == SR_ERR_NOT_FOUND) exec_usage(stderr);
        return 2;
    }
    if ((st = sr_exec_create(g, wt, stats, &e, err, sizeof(err))) != SR_OK) {
        fprintf(stderr, "simrun exec: %s: %s\n", sr_status_message(st), err);
        rc = st == SR_ERR_UNSUPPORTED ? 2 : 1;
        goto cleanup;
    }
    rng = gsl_rng_alloc(gsl_rng_mt19937);
    best = calloc((size_t)sr_graph_node_count(g), sizeof(double));
    if (!rng || !best)
        goto cleanup;
    gsl_rng_set(rng, (unsigned long)seed + 0x9e3779b9UL);
    for (int i = 0; i < sr_graph_node_count(g); i++) {
        float *x = sr_exec_input(e, i);
        if (!x)
            continue;
        int64_t n = sr_shape_numel(&sr_graph_node(g, i)->out);
        for (int64_t k = 0; k < n; k++)
            x[k] = (float)gsl_ran_gaussian_ziggurat(rng, 1.0);
    }
    double best_total = INFINITY, sum_total = 0;
    for (long r = 0; r < repeat; r++) {
        if (gap > 0) {
            struct timespec ts = {(time_t)gap, (long)((gap - floor(gap)) * 1e9)};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        }
        double t0 = now_s();
        if ((st = sr_exec_run(e)) != SR_OK) {
            fprintf(stderr, "simrun exec: run failed: %s\n", sr_status_message(st));
            goto cleanup;
        }
        double t = now_s() - t0;
        sum_total += t;
        if (t < best_total)
            best_total = t;
        for (int i = 0; i < sr_graph_node_count(g); i++) {
            double s = sr_exec_node_seconds(e, i);
            if (r == 0 || s < best[i])
                best[i] = s;
        }
    }
    printf("%s: forward on fp32 kernels, seed %ld, %ld run(s)", sr_graph_name(g), seed, repeat);
    if (gap > 0) printf(" %g s apart", gap);
    printf("; per-layer time is the minimum over runs\n");
    printf("%4s %-28s %-8s %-18s %14s %10s", "id", "layer", "op", "output", "MACs", "time_ms");
    if (stats) printf(" %11s %11s %11s %11s", "min", "max", "mean", "std");
    printf("\n");
    for (int i = 0; i < sr_graph_node_count(g); i++) {
        const sr_node *nd = sr_graph_node(g, i);
        char shp[64];
        sr_shape_format(&nd->out, shp, sizeof(shp));
        printf("%4d %-28s %-8s %-18s %14lld %10.3f", i, nd->name, sr_op_name(nd->op), shp, (long long)nd->macs,
               best[i] * 1e3);
        const float *yi = stats ? sr_exec_output(e, i) : NULL;
        if (yi) {
            tensor_stats st_i;
            stats_of(yi, sr_shape_numel(&nd->out), &st_i);
            printf(" %11.4g %11.4g %11.4g %11.4g", st_i.min, st_i.max, st_i.mean, st_i.std);
        }
        printf("\n");
    }
    int out_id = sr_graph_output(g);
    tensor_stats so;
    stats_of(sr_exec_output(e, out_id), sr_shape_numel(&sr_graph_node(g, out_id)->out), &so);
    double mn = so.min, mx = so.max, mean = so.mean;
    char shp[64];
    sr_shape_format(&sr_graph_node(g, out_id)->out, shp, sizeof(shp));
    sr_graph_totals tot;
    sr_graph_totals_get(g, &tot);
    printf("output %s: min %.6g max %.6g mean %.6g std %.6g\n", shp, mn, mx, mean, so.std);
    printf("total: %.3f ms (fastest run), %.3f ms (mean), %.3f GMAC, %.2f GFLOP/s; activation arena %.1f MiB\n",
           best_total * 1e3, sum_total / (double)repeat * 1e3, (double)tot.macs / 1e9,
           2.0 * (double)tot.macs / best_total / 1e9, (double)sr_exec_arena_bytes(e) / (1024.0 * 1024.0));
    rc = 0;
cleanup:
    free(best);
    if (rng)
        gsl_rng_free(rng);
    sr_exec_free(e);
    sr_weights_free(wt);
    sr_graph_free(g);
    return rc;
}
