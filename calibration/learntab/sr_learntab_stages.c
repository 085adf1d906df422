/* sr_learntab_stages.c: In-situ AI's incremental stages with per-image diagnosis (sr_learn_stages).
 *
 * One initial model, then three model chains: (a) fine-tunes on every new image, (b)/(c) on the images the
 * diagnosis marks unrecognised (softmax confidence below the threshold), (d) on its own unrecognised
 * images with the layers below transfer_from frozen. Systems (b) and (c) train the same images (the
 * diagnosis runs in the cloud for (b), on the node for (c)), so they share a chain; they differ in what
 * they upload. Every update is a new fine-tuning job: momentum starts at zero. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_kernels.h"
#include "sr_learntab.h"

sr_stage_params sr_stage_default_params(void)
{
    sr_stage_params s = {.n_stages = 5,
                         .acquired = {5000, 10000, 20000, 40000, 60000},
                         .init_epochs = 10,
                         .update_epochs = 3,
                         .threshold = 0.9,
                         .transfer_from = 3};
    return s;
}

const char *sr_insitu_system_name(sr_insitu_system s)
{
    static const char *const names[SR_INSITU_N] = {"a", "b", "c", "d"};
    return (int)s >= 0 && s < SR_INSITU_N ? names[s] : "?";
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { CH_A, CH_BC, CH_D, N_CHAINS };

typedef struct diag {
    int64_t unrec, wrong, both;
    int64_t *unrec_idx; /* indices into the training set */
} diag;

/* Diagnoses images idx[0..n) of ds with net: fills d (d->unrec_idx must hold n). xb: n * in_sz floats;
 * pred, conf: n each. */
static void diagnose(sr_tnet *net, const sr_dataset *ds, const int64_t *idx, int64_t n, double threshold,
                     float *xb, int *pred, float *conf, diag *d)
{
    const int64_t in_sz = sr_tnet_input_floats(net);
    for (int64_t i = 0; i < n; i++)
        memcpy(xb + i * in_sz, ds->x + idx[i] * in_sz, sizeof(float) * (size_t)in_sz);
    sr_tnet_predict(net, xb, n, pred, conf);
    d->unrec = d->wrong = d->both = 0;
    for (int64_t i = 0; i < n; i++) {
        const int wr = pred[i] != ds->y[idx[i]];
        const int un = threshold > 0 ? conf[i] < threshold : wr; /* threshold 0: the error criterion */
        if (un)
            d->unrec_idx[d->unrec++] = idx[i];
        d->wrong += wr;
        d->both += un && wr;
    }
}

/* update_epochs passes over idx[0..n) in fresh shuffles (order: n entries of scratch). */
static sr_status fine_tune(sr_tnet *net, const sr_dataset *ds, const int64_t *idx, int64_t n, int epochs,
                           const sr_learn_params *p, gsl_rng *r, int64_t *order)
{
    memcpy(order, idx, sizeof(int64_t) * (size_t)n);
    for (int e = 0; e < epochs && n > 0; e++) {
        gsl_ran_shuffle(r, order, (size_t)n, sizeof(int64_t));
        sr_status st = sr_tnet_train_epoch(net, ds->x, ds->y, order, n, p->batch, &p->sgd, NULL);
        if (st != SR_OK)
            return st;
    }
    return SR_OK;
}

static sr_status check(const sr_learn_params *p, const sr_stage_params *sp, const sr_dataset *train, int n_layers,
                       char *err, size_t err_size)
{
    if (sp->n_stages < 1 || sp->n_stages > SR_LEARN_MAX_STAGES) {
        sr_errf(err, err_size, "stages: 1 to %d stages, got %d", SR_LEARN_MAX_STAGES, sp->n_stages);
        return SR_ERR_INVALID;
    }
    for (int k = 0; k < sp->n_stages; k++)
        if (sp->acquired[k] < 1 || (k > 0 && sp->acquired[k] <= sp->acquired[k - 1]) ||
            sp->acquired[k] > train->count) {
            sr_errf(err, err_size,
                    "stages: images acquired must increase from >= 1 up to the %lld training images (stage %d: %lld)",
                    (long long)train->count, k, (long long)sp->acquired[k]);
            return SR_ERR_INVALID;
        }
    if (!(sp->threshold >= 0 && sp->threshold <= 1)) {
        sr_errf(err, err_size, "stages: the diagnosis threshold must be in (0, 1] (0: the error criterion), got %g",
                sp->threshold);
        return SR_ERR_INVALID;
    }
    if (sp->transfer_from < 0 || sp->transfer_from >= n_layers) {
        sr_errf(err, err_size, "stages: transfer_from must name a layer of %s (0..%d), got %d", p->net, n_layers - 1,
                sp->transfer_from);
        return SR_ERR_INVALID;
    }
    if (sp->init_epochs < 1 || sp->update_epochs < 0 || p->batch < 1) {
        sr_errf(err, err_size, "stages: need init_epochs >= 1, update_epochs >= 0 and a batch >= 1");
        return SR_ERR_INVALID;
    }
    return SR_OK;
}

static void fill_common(sr_stage_row *r, const sr_learn_params *p, const sr_stage_params *sp, int k, int64_t acquired,
                        int64_t fresh, sr_insitu_system s)
{
    memset(r, 0, sizeof *r);
    snprintf(r->net, sizeof r->net, "%s", p->net);
    snprintf(r->dataset, sizeof r->dataset, "fashion-mnist");
    snprintf(r->system, sizeof r->system, "%s", sr_insitu_system_name(s));
    r->seed = p->seed;
    r->threshold = sp->threshold;
    r->stage = k;
    r->acquired = acquired;
    r->new_images = fresh;
}

sr_status sr_learn_stages(const sr_learn_params *p, const sr_stage_params *sp, const sr_dataset *train,
                          const sr_dataset *test, sr_stage_row **rows_out, int *n_rows_out, FILE *progress,
                          char *err, size_t err_size)
{
    const sr_tl_spec *spec;
    int n_layers;
    *rows_out = NULL;
    *n_rows_out = 0;
    if (sr_tnet_preset(p->net, &spec, &n_layers) != SR_OK) {
        sr_errf(err, err_size, "unknown net '%s' (known: lenet5)", p->net);
        return SR_ERR_NOT_FOUND;
    }
    sr_status st = check(p, sp, train, n_layers, err, err_size);
    if (st != SR_OK)
        return st;
    sr_kernels_set_blas_threads(1);
    sr_tnet *chain[N_CHAINS] = {NULL, NULL, NULL};
    gsl_rng *r = NULL;
    int64_t *arrival = NULL, *order = NULL, *unrec[N_CHAINS] = {NULL, NULL, NULL};
    float *xb = NULL, *conf = NULL;
    int *pred = NULL;
    sr_stage_row *rows = NULL;
    for (int c = 0; c < N_CHAINS; c++) {
        st = sr_tnet_create(spec, n_layers, train->c, train->h, train->w, p->batch, &chain[c], err, err_size);
        if (st != SR_OK)
            goto cleanup;
    }
    st = SR_ERR_NOMEM;
    const int64_t in_sz = sr_tnet_input_floats(chain[0]);
    int64_t max_new = sp->acquired[0];
    for (int k = 1; k < sp->n_stages; k++)
        max_new = sp->acquired[k] - sp->acquired[k - 1] > max_new ? sp->acquired[k] - sp->acquired[k - 1] : max_new;
    r = gsl_rng_alloc(gsl_rng_mt19937);
    arrival = malloc(sizeof(int64_t) * (size_t)train->count);
    order = malloc(sizeof(int64_t) * (size_t)max_new);
    xb = malloc(sizeof(float) * (size_t)(max_new * in_sz));
    conf = malloc(sizeof(float) * (size_t)max_new);
    pred = malloc(sizeof(int) * (size_t)max_new);
    rows = calloc((size_t)sp->n_stages * SR_INSITU_N, sizeof *rows);
    for (int c = 0; c < N_CHAINS; c++)
        unrec[c] = malloc(sizeof(int64_t) * (size_t)max_new);
    if (!r || !arrival || !order || !xb || !conf || !pred || !rows || !unrec[0] || !unrec[1] || !unrec[2])
        goto cleanup;
    /* The arrival order of the images: one seeded shuffle of the training set. */
    gsl_rng_set(r, (unsigned long)p->seed ^ 0xa771ULL);
    for (int64_t i = 0; i < train->count; i++)
        arrival[i] = i;
    gsl_ran_shuffle(r, arrival, (size_t)train->count, sizeof(int64_t));

    /* Stage 0: the initial model, trained from scratch on everything acquired so far, uploaded by all. */
    sr_tnet_init(chain[0], (unsigned long)p->seed);
    double t0 = now_s();
    st = fine_tune(chain[0], train, arrival, sp->acquired[0], sp->init_epochs, p, r, order);
    if (st != SR_OK)
        goto cleanup;
    const double init_s = now_s() - t0;
    const double acc0 = sr_tnet_accuracy(chain[0], test->x, test->y, test->count, NULL);
    for (int c = 1; c < N_CHAINS; c++)
        sr_tnet_copy_weights(chain[c], chain[0]);
    sr_tnet_freeze_below(chain[CH_D], sp->transfer_from);
    const int64_t all_params = sr_tnet_param_count(chain[0], 0);
    const int64_t infer_macs = sr_tnet_train_macs(chain[0], n_layers); /* nothing trainable: forward only */
    for (int s = 0; s < SR_INSITU_N; s++) {
        sr_stage_row *row = &rows[s];
        fill_common(row, p, sp, 0, sp->acquired[0], sp->acquired[0], (sr_insitu_system)s);
        row->uploaded = row->unrecognised = row->misclassified = row->unrec_and_wrong = sp->acquired[0];
        row->upload_fraction = 1.0;
        row->train_images = sp->acquired[0];
        row->epochs = sp->init_epochs;
        row->trainable_from = 0;
        row->train_macs_per_image = sr_tnet_train_macs(chain[0], 0);
        row->infer_macs_per_image = infer_macs;
        row->push_bytes = all_params * (int64_t)sizeof(float);
        row->test_accuracy = acc0;
        row->train_wall_s = init_s;
    }
    if (progress)
        fprintf(progress, "stage 0: %lld images, initial model: test accuracy %.4f (%.1f s)\n",
                (long long)sp->acquired[0], acc0, init_s);

    for (int k = 1; k < sp->n_stages; k++) {
        const int64_t *fresh = arrival + sp->acquired[k - 1];
        const int64_t n_new = sp->acquired[k] - sp->acquired[k - 1];
        diag d[N_CHAINS];
        double acc[N_CHAINS], wall[N_CHAINS];
        for (int c = 0; c < N_CHAINS; c++) {
            d[c].unrec_idx = unrec[c];
            diagnose(chain[c], train, fresh, n_new, sp->threshold, xb, pred, conf, &d[c]);
            const int64_t *set = c == CH_A ? fresh : d[c].unrec_idx;
            const int64_t n_set = c == CH_A ? n_new : d[c].unrec;
            sr_tnet_zero_momentum(chain[c]);
            t0 = now_s();
            st = fine_tune(chain[c], train, set, n_set, sp->update_epochs, p, r, order);
            if (st != SR_OK)
                goto cleanup;
            wall[c] = now_s() - t0;
            acc[c] = sr_tnet_accuracy(chain[c], test->x, test->y, test->count, NULL);
        }
        for (int s = 0; s < SR_INSITU_N; s++) {
            const int c = s == SR_INSITU_A ? CH_A : s == SR_INSITU_D ? CH_D : CH_BC;
            const int from = c == CH_D ? sp->transfer_from : 0;
            sr_stage_row *row = &rows[k * SR_INSITU_N + s];
            fill_common(row, p, sp, k, sp->acquired[k], n_new, (sr_insitu_system)s);
            row->unrecognised = d[c].unrec;
            row->misclassified = d[c].wrong;
            row->unrec_and_wrong = d[c].both;
            row->uploaded = (s == SR_INSITU_A || s == SR_INSITU_B) ? n_new : d[c].unrec;
            row->upload_fraction = (double)row->uploaded / (double)n_new;
            row->diagnosed_cloud = s == SR_INSITU_B ? n_new : 0;
            row->train_images = c == CH_A ? n_new : d[c].unrec;
            row->epochs = sp->update_epochs;
            row->trainable_from = from;
            row->train_macs_per_image = sr_tnet_train_macs(chain[c], from);
            row->infer_macs_per_image = infer_macs;
            row->push_bytes = sr_tnet_param_count(chain[c], from) * (int64_t)sizeof(float);
            row->test_accuracy = acc[c];
            row->train_wall_s = wall[c];
        }
        if (progress)
            fprintf(progress,
                    "stage %d: %lld images (+%lld): unrecognised (b/c) %.3f, (d) %.3f; test accuracy a %.4f, b/c %.4f, "
                    "d %.4f\n",
                    k, (long long)sp->acquired[k], (long long)n_new, (double)d[CH_BC].unrec / (double)n_new,
                    (double)d[CH_D].unrec / (double)n_new, acc[CH_A], acc[CH_BC], acc[CH_D]);
    }
    *rows_out = rows;
    *n_rows_out = sp->n_stages * SR_INSITU_N;
    rows = NULL;
    st = SR_OK;
cleanup:
    free(rows);
    for (int c = 0; c < N_CHAINS; c++) {
        free(unrec[c]);
        sr_tnet_free(chain[c]);
    }
    free(pred);
    free(conf);
    free(xb);
    free(order);
    free(arrival);
    gsl_rng_free(r);
    return st;
}
