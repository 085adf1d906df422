/* sr_learntab_train.c: training from scratch, epoch by epoch (sr_learn_train). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_kernels.h"
#include "sr_learntab.h"

sr_learn_params sr_learn_default_params(void)
{
    sr_learn_params p = {.net = "lenet5",
                         .data_dir = NULL,
                         .epochs = 10,
                         .batch = 64,
                         .sgd = {0.01f, 0.9f, 5e-4f},
                         .seed = 1,
                         .train_limit = 0,
                         .test_limit = 0};
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sr_status sr_learn_train(const sr_learn_params *p, const sr_dataset *train, const sr_dataset *test,
                         sr_learn_epoch *ep, sr_tnet **net_out, FILE *progress, char *err, size_t err_size)
{
    const sr_tl_spec *spec;
    int n_layers;
    sr_tnet *net = NULL;
    gsl_rng *r = NULL;
    int64_t *order = NULL;
    if (net_out)
        *net_out = NULL;
    if (sr_tnet_preset(p->net, &spec, &n_layers) != SR_OK) {
        sr_errf(err, err_size, "unknown net '%s' (known: lenet5)", p->net);
        return SR_ERR_NOT_FOUND;
    }
    if (p->epochs < 1 || p->batch < 1 || !(p->sgd.lr > 0) || train->count < 1 || test->count < 1) {
        sr_errf(err, err_size, "training needs epochs >= 1, batch >= 1, lr > 0 and images (got %d, %d, %g, %lld)",
                p->epochs, p->batch, (double)p->sgd.lr, (long long)train->count);
        return SR_ERR_INVALID;
    }
    sr_kernels_set_blas_threads(1);
    sr_status st = sr_tnet_create(spec, n_layers, train->c, train->h, train->w, p->batch, &net, err, err_size);
    if (st != SR_OK)
        return st;
    st = SR_ERR_NOMEM;
    r = gsl_rng_alloc(gsl_rng_mt19937);
    order = malloc(sizeof(int64_t) * (size_t)train->count);
    if (!r || !order)
        goto cleanup;
    sr_tnet_init(net, (unsigned long)p->seed);
    gsl_rng_set(r, (unsigned long)p->seed ^ 0x5eedULL);
    for (int64_t i = 0; i < train->count; i++)
        order[i] = i;
    for (int e = 0; e < p->epochs; e++) {
        gsl_ran_shuffle(r, order, (size_t)train->count, sizeof(int64_t));
        const double t0 = now_s();
        double loss = 0;
        st = sr_tnet_train_epoch(net, train->x, train->y, order, train->count, p->batch, &p->sgd, &loss);
        if (st != SR_OK)
            goto cleanup;
        ep[e].epoch = e + 1;
        ep[e].train_loss = loss;
        ep[e].wall_s = now_s() - t0;
        ep[e].test_accuracy = sr_tnet_accuracy(net, test->x, test->y, test->count, &ep[e].test_loss);
        if (progress)
            fprintf(progress, "epoch %d: train loss %.4f, test loss %.4f, test accuracy %.4f (%.1f s)\n", e + 1,
                    loss, ep[e].test_loss, ep[e].test_accuracy, ep[e].wall_s);
    }
    if (net_out) {
        *net_out = net;
        net = NULL;
    }
    st = SR_OK;
cleanup:
    free(order);
    gsl_rng_free(r);
    sr_tnet_free(net);
    return st;
}
