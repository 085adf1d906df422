/* sr_corun.c: co-running interference of two real kernels on one core (see sr_corun.h). */
#define _GNU_SOURCE
#include "sr_corun.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_rng.h>

#include "sr_exec.h"
#include "sr_stats.h"
#include "sr_graph.h"
#include "sr_train.h"
#include "sr_weights.h"

#define TRAIN_BATCH 64

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int pin(pthread_t th, int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(th, sizeof set, &set);
}

/* The zoo AlexNet's conv trunk (torchvision features) on 1 x 3 x 227 x 227. */
static sr_status alexnet_trunk(sr_graph **out)
{
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("alexnet-conv", &g);
    if (st != SR_OK) return st;
    int x = sr_graph_add_input(g, "in", sr_shape_nchw(1, 3, 227, 227));
    const struct {
        int out, k, stride, pad, pool;
    } convs[5] = {
        {64, 11, 4, 2, 1}, {192, 5, 1, 2, 1}, {384, 3, 1, 1, 0}, {256, 3, 1, 1, 0}, {256, 3, 1, 1, 1}};
    for (int i = 0; i < 5 && x >= 0; i++) {
        x = sr_graph_conv(g, NULL, x, convs[i].out, convs[i].k, convs[i].stride, convs[i].pad, 1, 1);
        if (x >= 0) x = sr_graph_add(g, SR_OP_RELU, NULL, &x, 1, NULL);
        if (x >= 0 && convs[i].pool) x = sr_graph_pool(g, SR_OP_MAXPOOL, NULL, x, 3, 2, 0);
    }
    if (x < 0) {
        sr_graph_free(g);
        return (sr_status)x;
    }
    if ((st = sr_graph_infer(g, NULL, 0)) != SR_OK) {
        sr_graph_free(g);
        return st;
    }
    *out = g;
    return SR_OK;
}

typedef struct trainer {
    sr_tnet *net;
    float *x;
    int *labels;
    volatile int stop, started;
    volatile int64_t steps;
} trainer;

static void *train_main(void *arg)
{
    trainer *t = arg;
    t->started = 1;
    while (!t->stop) {
        sr_tnet_gradients(t->net, t->x, t->labels, TRAIN_BATCH);
        t->steps++;
    }
    return NULL;
}

/* One inference: thread CPU and wall seconds. */
static sr_status infer(sr_exec *ex, double *cpu_s, double *wall_s)
{
    const double c0 = clock_s(CLOCK_THREAD_CPUTIME_ID), w0 = clock_s(CLOCK_MONOTONIC);
    sr_status st = sr_exec_run(ex);
    *cpu_s = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    *wall_s = clock_s(CLOCK_MONOTONIC) - w0;
    return st;
}

sr_status sr_corun_measure(int reps, uint64_t seed, sr_corun_result *out, char *err, size_t err_size)
{
    if (reps < 2 || reps % 2 || !out) return SR_ERR_INVALID;
    memset(out, 0, sizeof *out);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_exec *ex = NULL;
    trainer tr = {0};
    gsl_rng *r = NULL;
    double *ac = NULL, *aw = NULL, *wc = NULL, *ww = NULL;
    const sr_tl_spec *spec = NULL;
    int n_layers = 0, pinned_self = 0, na = 0, nw = 0;
    cpu_set_t saved;
    sr_status st = alexnet_trunk(&g);
    if (st == SR_OK) st = sr_weights_create(g, &w);
    if (st == SR_OK) st = sr_exec_create(g, w, 0, &ex, err, err_size);
    if (st == SR_OK) st = sr_tnet_preset("lenet5", &spec, &n_layers);
    if (st == SR_OK) st = sr_tnet_create(spec, n_layers, 1, 28, 28, TRAIN_BATCH, &tr.net, err, err_size);
    if (st != SR_OK) goto cleanup;
    sr_tnet_init(tr.net, (unsigned long)seed);
    const int64_t in_sz = sr_tnet_input_floats(tr.net);
    tr.x = malloc(sizeof *tr.x * (size_t)(in_sz * TRAIN_BATCH));
    tr.labels = malloc(sizeof *tr.labels * TRAIN_BATCH);
    ac = calloc((size_t)reps, sizeof *ac), aw = calloc((size_t)reps, sizeof *aw);
    wc = calloc((size_t)reps, sizeof *wc), ww = calloc((size_t)reps, sizeof *ww);
    r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!tr.x || !tr.labels || !ac || !aw || !wc || !ww || !r) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    gsl_rng_set(r, (unsigned long)seed);
    for (int64_t i = 0; i < in_sz * TRAIN_BATCH; i++)
        tr.x[i] = (float)gsl_rng_uniform(r);
    for (int i = 0; i < TRAIN_BATCH; i++)
        tr.labels[i] = (int)gsl_rng_uniform_int(r, 10);
    float *in = sr_exec_input(ex, 0);
    for (int64_t i = 0; i < 3 * 227 * 227; i++)
        in[i] = (float)gsl_rng_uniform(r);
    /* both threads on the core this one runs on */
    out->cpu = sched_getcpu();
    if (out->cpu < 0 || pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) != 0 ||
        pin(pthread_self(), out->cpu) != 0) {
        if (err && err_size)
            snprintf(err, err_size, "co-running: cannot pin the measuring thread to one core");
        st = SR_ERR_UNSUPPORTED;
        goto cleanup;
    }
    pinned_self = 1;
    double cs, ws;
    if ((st = infer(ex, &cs, &ws)) != SR_OK) goto cleanup; /* warm-up: buffers, caches */
    for (int block = 0; block < 4; block++) {
        const int with = block % 2, n = reps / 2;
        pthread_t th;
        if (with) {
            tr.stop = 0;
            tr.started = 0;
            if (pthread_create(&th, NULL, train_main, &tr) != 0) {
                if (err && err_size) snprintf(err, err_size, "co-running: cannot start the training thread");
                st = SR_ERR_UNSUPPORTED;
                goto cleanup;
            }
            if (pin(th, out->cpu) != 0) {
                tr.stop = 1;
                pthread_join(th, NULL);
                if (err && err_size)
                    snprintf(err, err_size, "co-running: cannot pin the training thread to one core");
                st = SR_ERR_UNSUPPORTED;
                goto cleanup;
            }
            while (!tr.started)
                sched_yield();
        }
        for (int i = 0; i < n && st == SR_OK; i++) {
            st = infer(ex, &cs, &ws);
            if (with)
                wc[nw] = cs, ww[nw++] = ws;
            else
                ac[na] = cs, aw[na++] = ws;
        }
        if (with) {
            while (tr.steps == 0)
                sched_yield(); /* the training has run at least once beside the inferences */
            tr.stop = 1;
            pthread_join(th, NULL);
        }
        if (st != SR_OK) goto cleanup;
    }
    out->reps = reps;
    out->training_steps = tr.steps;
    out->alone_cpu_s = sr_median(ac, na);
    out->alone_wall_s = sr_median(aw, na);
    out->with_cpu_s = sr_median(wc, nw);
    out->with_wall_s = sr_median(ww, nw);
    out->interference = out->with_cpu_s / out->alone_cpu_s;
    out->wall_ratio = out->with_wall_s / out->alone_wall_s;
cleanup:
    if (pinned_self) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    gsl_rng_free(r);
    free(ac), free(aw), free(wc), free(ww);
    free(tr.x);
    free(tr.labels);
    sr_tnet_free(tr.net);
    sr_exec_free(ex);
    sr_weights_free(w);
    sr_graph_free(g);
    return st;
}
