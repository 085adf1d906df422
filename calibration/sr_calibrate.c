/* sr_calibrate.c: the measurement harness behind `simrun calibrate` (see sr_calibrate.h and
 * docs/calibration.md): layer grids and zoo layers timed with the real executor, per-class fits with
 * cross-validated form selection, hold-out validation on models left out of the fit, and the
 * micro-benchmarks (sgemm, memcpy, codecs, raw vs protobuf-c serialization, Rune data-layer overhead). */
#include "sr_calibrate.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_codec.h"
#include "sr_cost_fitted.h"
#include "sr_exec.h"
#include "sr_kernels.h"
#include "sr_profile_file.h"
#include "sr_corun.h"
#include "sr_idle.h"
#include "sr_profile_rune.h"
#include "sr_stats.h"
#include "sr_tensor.pb-c.h"
#include "sr_weights.h"
#include "sr_zoo.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void logf_(const sr_calib_options *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
#include <stdarg.h>
static void logf_(const sr_calib_options *o, const char *fmt, ...)
{
    if (!o->log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(o->log, fmt, ap);
    va_end(ap);
    fflush(o->log);
}

/* ---------------------------------------------------------------------------------------------------
 * Single-layer graphs */

sr_status sr_calib_layer_graph(const sr_calib_layer *l, sr_graph **g, int *node)
{
    if (!l || !g || !node || l->c < 1 || l->h < 1 || l->w < 1) return SR_ERR_INVALID;
    sr_graph *gr = NULL;
    sr_status st = sr_graph_create("calib-layer", &gr);
    if (st != SR_OK) return st;
    int in = sr_graph_add_input(gr, "x", sr_shape_nchw(1, l->c, l->h, l->w));
    int id = in;
    sr_node_attr a = sr_node_attr_default();
    /* Ops the executor runs in place (activations, batch norm) do so on the output of the layer before
     * them; a cheap 1x1 max pool gives them such a buffer here too, so they are timed as in a model. */
    if (in >= 0 && (l->op == SR_OP_RELU || l->op == SR_OP_RELU6 || l->op == SR_OP_LEAKY_RELU ||
                    l->op == SR_OP_CLIP || l->op == SR_OP_SIGMOID || l->op == SR_OP_BATCHNORM))
        in = sr_graph_pool(gr, SR_OP_MAXPOOL, "producer", in, 1, 1, 0);
    switch (l->op) {
    case SR_OP_CONV:
        /* conv -> bn -> relu: the executor fuses the two into the conv (as in the zoo's models), so the
         * conv node's time includes that epilogue and the followers report 0 */
        id = sr_graph_conv(gr, "layer", in, l->out_c, l->k, l->stride, l->pad, l->groups > 0 ? l->groups : 1,
                           1);
        if (id >= 0) {
            int bn = sr_graph_unary(gr, SR_OP_BATCHNORM, "bn", id);
            /* odd output-channel counts end in a leaky relu (darknet's chain), the others in a relu */
            sr_node_attr la = sr_node_attr_default();
            la.alpha = 0.1f;
            int act = bn < 0 ? bn
                             : sr_graph_add(gr, l->out_c % 32 == 16 ? SR_OP_LEAKY_RELU : SR_OP_RELU, "act",
                                            &bn, 1, &la);
            if (act < 0) id = act;
        }
        break;
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
    case SR_OP_GLOBAL_AVGPOOL:
        id = sr_graph_pool(gr, l->op, "layer", in, l->k, l->stride, l->pad);
        break;
    case SR_OP_FC:
        id = sr_graph_fc(gr, "layer", in, l->out_c, 1);
        break;
    case SR_OP_CLIP:
        a.clip_min = 0.0f, a.clip_max = 6.0f;
        id = sr_graph_add(gr, l->op, "layer", &in, 1, &a);
        break;
    case SR_OP_LEAKY_RELU:
        a.alpha = 0.1f;
        id = sr_graph_add(gr, l->op, "layer", &in, 1, &a);
        break;
    case SR_OP_REORG:
        a.stride_h = a.stride_w = 2;
        id = sr_graph_add(gr, l->op, "layer", &in, 1, &a);
        break;
    case SR_OP_BATCHNORM:
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_SIGMOID:
    case SR_OP_SOFTMAX:
    case SR_OP_FLATTEN:
    case SR_OP_DROPOUT:
        id = sr_graph_add(gr, l->op, "layer", &in, 1, &a);
        break;
    case SR_OP_ADD:
    case SR_OP_CONCAT: {
        int ins[2] = {in, sr_graph_add_input(gr, "x2", sr_shape_nchw(1, l->c, l->h, l->w))};
        id = ins[1] < 0 ? ins[1] : sr_graph_add(gr, l->op, "layer", ins, 2, &a);
        break;
    }
    case SR_OP_INPUT:
    case SR_OP_CONST:
    case SR_OP_MATMUL:
    case SR_OP_RESHAPE:
    case SR_OP_COUNT:
        id = SR_ERR_UNSUPPORTED;
        break;
    }
    if (in < 0 || id < 0) {
        sr_graph_free(gr);
        return in < 0 ? (sr_status)in : (sr_status)id;
    }
    st = sr_graph_infer(gr, NULL, 0);
    if (st != SR_OK) {
        sr_graph_free(gr);
        return st;
    }
    *g = gr;
    *node = id;
    return SR_OK;
}

/* ---------------------------------------------------------------------------------------------------
 * Timing a graph with the executor */

/* Runs g (1 warm-up + reps runs) and writes the median seconds of each node into node_s (n nodes). */
static sr_status time_graph(const sr_graph *g, uint64_t seed, int reps, double *node_s, char *err,
                            size_t err_size)
{
    int n = sr_graph_node_count(g);
    sr_weights *w = NULL;
    sr_exec *e = NULL;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double *t = malloc((size_t)n * (size_t)reps * sizeof *t);
    double *col = malloc((size_t)reps * sizeof *col);
    sr_status st = SR_ERR_NOMEM;
    if (!r || !t || !col) goto cleanup;
    gsl_rng_set(r, (unsigned long)seed);
    if ((st = sr_weights_create(g, &w)) != SR_OK) goto cleanup;
    sr_weights_init_he(w, seed);
    if ((st = sr_exec_create(g, w, 0, &e, err, err_size)) != SR_OK) goto cleanup;
    for (int id = 0; id < n; id++) {
        float *x = sr_exec_input(e, id);
        if (!x) continue;
        int64_t m = sr_shape_numel(&sr_graph_node(g, id)->out);
        for (int64_t i = 0; i < m; i++)
            x[i] = (float)gsl_ran_gaussian_ziggurat(r, 1.0);
    }
    for (int rep = -1; rep < reps; rep++) {
        if ((st = sr_exec_run(e)) != SR_OK) goto cleanup;
        if (rep < 0) continue;
        for (int id = 0; id < n; id++)
            t[(size_t)rep * n + id] = sr_exec_node_seconds(e, id);
    }
    for (int id = 0; id < n; id++) {
        for (int rep = 0; rep < reps; rep++)
            col[rep] = t[(size_t)rep * n + id];
        node_s[id] = sr_median(col, reps);
    }
    st = SR_OK;
cleanup:
    sr_exec_free(e);
    sr_weights_free(w);
    gsl_rng_free(r);
    free(t);
    free(col);
    return st;
}

/* ---------------------------------------------------------------------------------------------------
 * Samples */

typedef struct samples {
    sr_calib_sample *v;
    int n, cap;
} samples;

static sr_calib_sample *push_sample(samples *s)
{
    if (s->n == s->cap) {
        int ncap = s->cap ? 2 * s->cap : 256;
        sr_calib_sample *nv = realloc(s->v, (size_t)ncap * sizeof *nv);
        if (!nv) return NULL;
        s->v = nv, s->cap = ncap;
    }
    sr_calib_sample *x = &s->v[s->n++];
    memset(x, 0, sizeof *x);
    return x;
}

typedef struct grid {
    sr_calib_layer *v;
    int n, cap;
    double max_macs, max_elems;
} grid;

static void grid_add(grid *gr, sr_calib_layer l)
{
    /* output size (conv/pool), to filter impossible or too large shapes */
    if (l.op == SR_OP_CONV || l.op == SR_OP_MAXPOOL || l.op == SR_OP_AVGPOOL) {
        int oh = (l.h + 2 * l.pad - l.k) / l.stride + 1, ow = (l.w + 2 * l.pad - l.k) / l.stride + 1;
        if (l.h + 2 * l.pad < l.k || oh < 1 || ow < 1) return;
        if (l.op == SR_OP_CONV) {
            double macs =
                (double)l.out_c * oh * ow * (double)(l.c / (l.groups > 0 ? l.groups : 1)) * l.k * l.k;
            if (macs > gr->max_macs) return;
            if ((double)l.out_c * oh * ow > gr->max_elems) return;
        }
    }
    if (l.op == SR_OP_FC && (double)l.c * l.out_c > gr->max_macs) return;
    if ((double)l.c * l.h * l.w > gr->max_elems) return;
    if (gr->n == gr->cap) {
        int ncap = gr->cap ? 2 * gr->cap : 256;
        sr_calib_layer *nv = realloc(gr->v, (size_t)ncap * sizeof *nv);
        if (!nv) return; /* grid shrinks on OOM; the caller checks n */
        gr->v = nv, gr->cap = ncap;
    }
    gr->v[gr->n++] = l;
}

static sr_calib_layer L(sr_op op, int c, int h, int w, int out_c, int k, int stride, int pad, int groups)
{
    sr_calib_layer l = {op, c, h, w, out_c, k, stride, pad, groups};
    return l;
}

#define COUNT_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void build_grid(sr_calib_level lvl, grid *gr)
{
    static const int cin_full[] = {3, 16, 64, 128, 256, 512}, cout_full[] = {16, 48, 64, 128, 256, 512};
    static const int hw_full[] = {7, 14, 28, 56, 112, 224};
    static const int cin_quick[] = {3, 32, 128}, cout_quick[] = {32, 128}, hw_quick[] = {7, 14, 28, 56};
    static const int cin_tiny[] = {4, 16}, cout_tiny[] = {8, 32}, hw_tiny[] = {8, 16};
    const int *cin, *cout, *hw;
    int ncin, ncout, nhw;
    if (lvl == SR_CALIB_FULL) {
        cin = cin_full, ncin = COUNT_OF(cin_full), cout = cout_full, ncout = COUNT_OF(cout_full);
        hw = hw_full, nhw = COUNT_OF(hw_full);
        gr->max_macs = 3e8, gr->max_elems = 4e6;
    } else if (lvl == SR_CALIB_QUICK) {
        cin = cin_quick, ncin = COUNT_OF(cin_quick), cout = cout_quick, ncout = COUNT_OF(cout_quick);
        hw = hw_quick, nhw = COUNT_OF(hw_quick);
        gr->max_macs = 6e7, gr->max_elems = 1e6;
    } else {
        cin = cin_tiny, ncin = COUNT_OF(cin_tiny), cout = cout_tiny, ncout = COUNT_OF(cout_tiny);
        hw = hw_tiny, nhw = COUNT_OF(hw_tiny);
        gr->max_macs = 2e6, gr->max_elems = 1e5;
    }
    int tiny = lvl == SR_CALIB_TINY;
    /* convolutions */
    for (int a = 0; a < ncin; a++)
        for (int b = 0; b < ncout; b++)
            for (int d = 0; d < nhw; d++)
                for (int s = 1; s <= 2; s++) {
                    grid_add(gr, L(SR_OP_CONV, cin[a], hw[d], hw[d], cout[b], 3, s, 1, 1));
                    grid_add(gr, L(SR_OP_CONV, cin[a], hw[d], hw[d], cout[b], 1, s, 0, 1));
                }
    static const int klarge[] = {5, 7, 11};
    for (int ki = 0; ki < (tiny ? 1 : 3); ki++)
        for (int a = 0; a < ncin && cin[a] <= 128; a++)
            for (int b = 0; b < ncout && cout[b] <= 128; b++)
                for (int d = 0; d < nhw; d++)
                    for (int s = 1; s <= 4; s *= 2) {
                        int h = hw[d] * 2 + 1;
                        grid_add(gr, L(SR_OP_CONV, cin[a], h, h, cout[b], klarge[ki], s, klarge[ki] / 2, 1));
                    }
    static const int dw_full[] = {16, 32, 64, 96, 144, 192, 384, 576, 960}, dw_quick[] = {16, 96, 384},
                     dw_tiny[] = {8, 32};
    const int *dw = lvl == SR_CALIB_FULL ? dw_full : lvl == SR_CALIB_QUICK ? dw_quick : dw_tiny;
    int ndw = lvl == SR_CALIB_FULL    ? COUNT_OF(dw_full)
              : lvl == SR_CALIB_QUICK ? COUNT_OF(dw_quick)
                                      : COUNT_OF(dw_tiny);
    for (int a = 0; a < ndw; a++)
        for (int d = 0; d < nhw; d++)
            for (int s = 1; s <= 2; s++) {
                grid_add(gr, L(SR_OP_CONV, dw[a], hw[d], hw[d], dw[a], 3, s, 1, dw[a]));
                if (!tiny && hw[d] >= 14)
                    grid_add(gr, L(SR_OP_CONV, dw[a], hw[d] * 2, hw[d] * 2, dw[a], 3, s, 1, dw[a]));
            }
    /* fully connected */
    static const int fin_full[] = {64, 256, 1024, 4096, 9216}, fout_full[] = {10, 100, 1000, 4096};
    static const int fin_q[] = {64, 512, 4096}, fout_q[] = {10, 256, 1000}, fin_t[] = {32, 256},
                     fout_t[] = {16, 64};
    const int *fin = lvl == SR_CALIB_FULL ? fin_full : lvl == SR_CALIB_QUICK ? fin_q : fin_t;
    const int *fout = lvl == SR_CALIB_FULL ? fout_full : lvl == SR_CALIB_QUICK ? fout_q : fout_t;
    int nfin = lvl == SR_CALIB_FULL    ? COUNT_OF(fin_full)
               : lvl == SR_CALIB_QUICK ? COUNT_OF(fin_q)
                                       : COUNT_OF(fin_t);
    int nfout = lvl == SR_CALIB_FULL    ? COUNT_OF(fout_full)
                : lvl == SR_CALIB_QUICK ? COUNT_OF(fout_q)
                                        : COUNT_OF(fout_t);
    for (int a = 0; a < nfin; a++)
        for (int b = 0; b < nfout; b++) {
            grid_add(gr, L(SR_OP_FC, fin[a], 1, 1, fout[b], 0, 1, 0, 1));
            if (!tiny && fin[a] >= 256) grid_add(gr, L(SR_OP_FC, fin[a] / 4, 2, 2, fout[b], 0, 1, 0, 1));
        }
    /* pooling and element-wise layers over c x hw x hw */
    static const int ce_full[] = {16, 64, 256}, ce_q[] = {16, 128}, ce_t[] = {4, 16};
    const int *ce = lvl == SR_CALIB_FULL ? ce_full : lvl == SR_CALIB_QUICK ? ce_q : ce_t;
    int nce = lvl == SR_CALIB_FULL    ? COUNT_OF(ce_full)
              : lvl == SR_CALIB_QUICK ? COUNT_OF(ce_q)
                                      : COUNT_OF(ce_t);
    static const sr_op acts[] = {SR_OP_RELU, SR_OP_RELU6, SR_OP_CLIP};
    int rot = 0;
    for (int a = 0; a < nce; a++)
        for (int d = 0; d < nhw; d++) {
            int c = ce[a], h = hw[d];
            for (int k = 2; k <= 3; k++)
                for (int s = 1; s <= 2; s++) {
                    grid_add(gr, L(SR_OP_MAXPOOL, c, h, h, c, k, s, k == 3 && s == 2 ? 1 : 0, 1));
                    grid_add(gr, L(SR_OP_AVGPOOL, c, h, h, c, k, s, 0, 1));
                }
            grid_add(gr, L(SR_OP_GLOBAL_AVGPOOL, c * 4, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_BATCHNORM, c, h, h, c, 0, 1, 0, 1));
            for (int i = 0; i < (tiny ? 1 : 2); i++)
                grid_add(gr, L(acts[rot++ % 3], c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_LEAKY_RELU, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_SIGMOID, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_ADD, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_CONCAT, c, h, h, c, 0, 1, 0, 1));
            if (h % 2 == 0) grid_add(gr, L(SR_OP_REORG, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_SOFTMAX, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_FLATTEN, c, h, h, c, 0, 1, 0, 1));
            grid_add(gr, L(SR_OP_DROPOUT, c, h, h, c, 0, 1, 0, 1));
        }
}

/* ---------------------------------------------------------------------------------------------------
 * Fitting */

static void fit_class(const samples *s, sr_layer_class c, sr_profile_class_fit *cf)
{
    memset(cf, 0, sizeof *cf);
    cf->cv_median_rel_err = NAN;
    sr_feature feats[SR_FIT_MAX_COEF];
    int k = sr_layer_class_features(c, feats);
    double *X = malloc((size_t)s->n * (size_t)k * sizeof *X), *y = malloc((size_t)s->n * sizeof *y);
    int n = 0;
    if (!X || !y) goto cleanup;
    for (int i = 0; i < s->n; i++) {
        const sr_calib_sample *p = &s->v[i];
        if (!p->train || p->cls != c || !(p->measured_s > 0)) continue;
        memcpy(X + (size_t)n * k, p->x, (size_t)k * sizeof *X);
        y[n++] = p->measured_s;
    }
    if (n < k + 1) goto cleanup;
    double cv[SR_FIT_FORM_COUNT];
    int best = SR_FIT_LINEAR;
    for (int f = 0; f < SR_FIT_FORM_COUNT; f++) {
        cv[f] = sr_fit_cv_median_rel_err((sr_fit_form)f, X, y, n, k, 5);
        if (isnan(cv[best]) || (!isnan(cv[f]) && cv[f] < cv[best])) best = f;
    }
    if (isnan(cv[best])) {
        /* too few points for cross-validation: pick by training error */
        double err[SR_FIT_FORM_COUNT];
        for (int f = 0; f < SR_FIT_FORM_COUNT; f++) {
            double coef[SR_FIT_MAX_COEF];
            err[f] = INFINITY;
            if (sr_fit((sr_fit_form)f, X, y, n, k, coef, NULL) != SR_OK) continue;
            double *re = malloc((size_t)n * sizeof *re);
            if (!re) continue;
            for (int i = 0; i < n; i++)
                re[i] =
                    fabs(fmax(sr_fit_predict((sr_fit_form)f, coef, X + (size_t)i * k, k), 0) - y[i]) / y[i];
            err[f] = sr_fit_quantile(re, n, 0.5);
            free(re);
        }
        best = err[SR_FIT_LOGLINEAR] < err[SR_FIT_LINEAR] ? SR_FIT_LOGLINEAR : SR_FIT_LINEAR;
    }
    if (sr_fit((sr_fit_form)best, X, y, n, k, cf->coef, &cf->r2) != SR_OK) goto cleanup;
    cf->fitted = 1;
    cf->form = (sr_fit_form)best;
    cf->n_coef = k;
    cf->n_points = n;
    cf->cv_median_rel_err = cv[best];
cleanup:
    free(X);
    free(y);
}

/* ---------------------------------------------------------------------------------------------------
 * Micro-benchmarks */

static double measure_sgemm_flops(int n, int reps)
{
    float *A = malloc((size_t)n * n * sizeof *A), *B = malloc((size_t)n * n * sizeof *B);
    float *C = malloc((size_t)n * n * sizeof *C);
    double best = 0.0;
    if (A && B && C) {
        for (size_t i = 0; i < (size_t)n * n; i++)
            A[i] = (float)(i % 7) * 0.1f, B[i] = (float)(i % 5) * 0.2f;
        sr_kernels_set_blas_threads(1);
        for (int r = -1; r < reps; r++) {
            double t0 = now_s();
            sr_matmul(n, n, n, A, B, C); /* cblas_sgemm, as the conv and fc kernels use */
            double dt = now_s() - t0;
            if (r >= 0 && dt > 0) best = fmax(best, 2.0 * n * (double)n * n / dt);
        }
    }
    free(A);
    free(B);
    free(C);
    return best;
}

/* Median bytes copied per second by memcpy of `bytes`. */
static double measure_memcpy_Bps(size_t bytes, int reps)
{
    char *a = malloc(bytes), *b = malloc(bytes);
    double *t = malloc((size_t)reps * sizeof *t);
    double r = 0.0;
    if (a && b && t) {
        memset(a, 1, bytes);
        memset(b, 2, bytes);
        for (int i = -1; i < reps; i++) {
            double t0 = now_s();
            memcpy(i % 2 ? a : b, i % 2 ? b : a, bytes);
            double dt = now_s() - t0;
            if (i >= 0) t[i] = dt;
        }
        double med = sr_median(t, reps);
        if (med > 0) r = (double)bytes / med;
    }
    free(a);
    free(b);
    free(t);
    return r;
}

static void relu_gaussian(gsl_rng *r, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v = gsl_ran_gaussian_ziggurat(r, 1.0);
        x[i] = v > 0 ? (float)v : 0.0f;
    }
}

static void measure_codecs(const sr_calib_options *o, sr_profile_fit *fit, int c, int h, int w, int reps)
{
    static const char *const pipes[] = {"quant8", "quant8+huffman", "quant8+rans", "quant4+rans"};
    size_t n = (size_t)c * h * w;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    double *te = malloc((size_t)reps * sizeof *te), *td = malloc((size_t)reps * sizeof *td);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!x || !y || !te || !td || !r) goto cleanup;
    gsl_rng_set(r, (unsigned long)(o->seed ^ 0xC0DEC));
    relu_gaussian(r, x, n);
    for (int p = 0; p < COUNT_OF(pipes) && fit->n_codecs < SR_PROFILE_MAX_CODECS; p++) {
        sr_codec *cd = NULL;
        char err[256];
        if (sr_codec_create(pipes[p], c, h, w, &cd, err, sizeof err) != SR_OK) {
            logf_(o, "  codec %-16s unavailable: %s\n", pipes[p], err);
            continue;
        }
        size_t nb = 0;
        int ok = 1;
        for (int i = -1; i < reps && ok; i++) {
            uint8_t *bytes = NULL;
            double t0 = now_s();
            ok = sr_codec_encode(cd, x, &bytes, &nb) == SR_OK;
            double t1 = now_s();
            ok = ok && sr_codec_decode(cd, bytes, nb, y) == SR_OK;
            double t2 = now_s();
            free(bytes);
            if (i >= 0) te[i] = t1 - t0, td[i] = t2 - t1;
        }
        sr_codec_free(cd);
        if (!ok) continue;
        sr_profile_codec_cost *cc = &fit->codecs[fit->n_codecs++];
        snprintf(cc->pipeline, sizeof cc->pipeline, "%s", pipes[p]);
        cc->encode_s_per_elem = sr_median(te, reps) / (double)n;
        cc->decode_s_per_elem = sr_median(td, reps) / (double)n;
        cc->bytes_per_elem = (double)nb / (double)n;
        logf_(o, "  codec %-16s encode %6.2f ns/elem  decode %6.2f ns/elem  %.3f bytes/elem\n", cc->pipeline,
              1e9 * cc->encode_s_per_elem, 1e9 * cc->decode_s_per_elem, cc->bytes_per_elem);
    }
cleanup:
    free(x);
    free(y);
    free(te);
    free(td);
    gsl_rng_free(r);
}

/* Seconds per call of protobuf-c pack (enc) and unpack (dec) of a tensor of n floats; the loop runs
 * until ~min_s has passed, repeated `reps` times, median. */
static int time_protobuf(size_t n, int reps, double min_s, double *enc, double *dec, size_t *packed)
{
    float *data = malloc((n ? n : 1) * sizeof *data);
    int64_t dims[2] = {1, (int64_t)n};
    double *te = malloc((size_t)reps * sizeof *te), *td = malloc((size_t)reps * sizeof *td);
    uint8_t *buf = NULL;
    int ok = 0;
    if (!data || !te || !td) goto cleanup;
    for (size_t i = 0; i < n; i++)
        data[i] = (float)i * 0.5f;
    Simrun__Tensor msg;
    simrun__tensor__init(&msg);
    msg.n_dims = 2, msg.dims = dims;
    msg.n_data = n, msg.data = data;
    size_t sz = simrun__tensor__get_packed_size(&msg);
    buf = malloc(sz ? sz : 1);
    if (!buf) goto cleanup;
    for (int r = 0; r < reps; r++) {
        long iters = 0;
        double t0 = now_s(), t;
        do {
            simrun__tensor__pack(&msg, buf);
            iters++;
        } while ((t = now_s() - t0) < min_s);
        te[r] = t / (double)iters;
        iters = 0;
        t0 = now_s();
        do {
            Simrun__Tensor *u = simrun__tensor__unpack(NULL, sz, buf);
            if (!u || u->n_data != n) goto cleanup;
            simrun__tensor__free_unpacked(u, NULL);
            iters++;
        } while ((t = now_s() - t0) < min_s);
        td[r] = t / (double)iters;
    }
    *enc = sr_median(te, reps);
    *dec = sr_median(td, reps);
    *packed = sz;
    ok = 1;
cleanup:
    free(data);
    free(te);
    free(td);
    free(buf);
    return ok;
}

static void measure_serialization(const sr_calib_options *o, sr_profile_fit *fit, int reps, double min_s,
                                  size_t max_elems)
{
    /* raw: floats copied into a byte buffer behind a small header */
    size_t n = max_elems;
    float *x = malloc(n * sizeof *x);
    uint8_t *buf = malloc(n * sizeof *x + 64);
    double *t = malloc((size_t)reps * sizeof *t);
    if (x && buf && t) {
        for (size_t i = 0; i < n; i++)
            x[i] = (float)i;
        for (int r = -1; r < reps; r++) {
            double t0 = now_s();
            int64_t hdr[4] = {1, (int64_t)n, 1, 1};
            memcpy(buf, hdr, sizeof hdr);
            memcpy(buf + sizeof hdr, x, n * sizeof *x);
            double dt = now_s() - t0;
            if (r >= 0) t[r] = dt;
        }
        fit->ser_raw_s_per_byte = sr_median(t, reps) / (double)(n * sizeof *x);
    }
    free(x);
    free(buf);
    free(t);
    /* protobuf-c: fixed + per-byte cost fitted over message sizes */
    double X[16 * 2], ye[16], yd[16];
    int m = 0;
    for (size_t e = 1; e <= max_elems && m < 16; e *= 8) {
        double enc, dec;
        size_t sz;
        if (!time_protobuf(e, reps, min_s, &enc, &dec, &sz)) continue;
        X[2 * m] = 1.0, X[2 * m + 1] = (double)sz;
        ye[m] = enc, yd[m] = dec;
        m++;
    }
    double ce[2], cdd[2];
    if (m >= 3 && sr_fit(SR_FIT_LINEAR, X, ye, m, 2, ce, NULL) == SR_OK &&
        sr_fit(SR_FIT_LINEAR, X, yd, m, 2, cdd, NULL) == SR_OK) {
        fit->pb_encode_fixed_s = fmax(ce[0], 0), fit->pb_encode_s_per_byte = fmax(ce[1], 0);
        fit->pb_decode_fixed_s = fmax(cdd[0], 0), fit->pb_decode_s_per_byte = fmax(cdd[1], 0);
    }
    logf_(o,
          "  serialization: raw %.3g ns/byte; protobuf-c pack %.3g us + %.3g ns/byte, unpack %.3g us + %.3g "
          "ns/byte (%d sizes)\n",
          1e9 * fit->ser_raw_s_per_byte, 1e6 * fit->pb_encode_fixed_s, 1e9 * fit->pb_encode_s_per_byte,
          1e6 * fit->pb_decode_fixed_s, 1e9 * fit->pb_decode_s_per_byte, m);
}

/* Rune container overhead (models/rune/sr_rune_host.h): the sine MLP called natively and through a real
 * WebAssembly rune (wasm2c) with bincode-like and protobuf-c boundary messages; 0 when not built. */
static int measure_rune(const sr_calib_options *o, sr_rune_measurement *m, long iters, int reps)
{
    if (!sr_rune_host_available()) {
        logf_(o, "  rune: not measured (built without the WebAssembly rune: SR_WITH_WASM, scripts/bootstrap.sh)\n");
        return 0;
    }
    sr_status st = sr_rune_measure(iters, reps, o->seed, m);
    if (st != SR_OK) {
        logf_(o, "  rune: measurement failed: %s\n", sr_status_message(st));
        return 0;
    }
    double tn = m->inference_s[SR_RUNE_NATIVE];
    logf_(o,
          "  rune (sine MLP, %ld inferences x %d): native %.3f us, rune-rust %.3f us (+%.1f%%, %.0f B), "
          "rune-protobuf %.3f us (+%.1f%%, %.0f B) (paper, Portenta H7: 28-45%%)\n",
          iters, reps, 1e6 * tn, 1e6 * m->inference_s[SR_RUNE_RUST],
          100 * (m->inference_s[SR_RUNE_RUST] - tn) / tn, m->bytes_per_inference[SR_RUNE_RUST],
          1e6 * m->inference_s[SR_RUNE_PROTOBUF], 100 * (m->inference_s[SR_RUNE_PROTOBUF] - tn) / tn,
          m->bytes_per_inference[SR_RUNE_PROTOBUF]);
    return 1;
}

static long rune_iters(sr_calib_level lvl)
{
    return lvl == SR_CALIB_FULL ? 100000 : lvl == SR_CALIB_QUICK ? 20000 : 500;
}

sr_status sr_calib_rune_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                               size_t err_size)
{
    if (!o || !in || !in->fit || !out) return SR_ERR_INVALID;
    *out = NULL;
    sr_rune_measurement m;
    if (!measure_rune(o, &m, rune_iters(o->level), 5)) {
        if (err && err_size) snprintf(err, err_size, "calibrate: the rune could not be measured (see the log)");
        return SR_ERR_UNSUPPORTED;
    }
    sr_profile_fit fit = *in->fit;
    sr_status st = sr_profile_rune_store(in, &m, &fit);
    if (st == SR_OK) st = sr_profile_clone(in, &fit, out);
    if (st != SR_OK && err && err_size) snprintf(err, err_size, "calibrate: rune: %s", sr_status_message(st));
    return st;
}

/* Co-running interference (sr_corun.h) into fit; 0 when it could not be measured (logged). */
static int measure_corun(const sr_calib_options *o, sr_profile_fit *fit)
{
    const int reps = o->level == SR_CALIB_FULL ? 40 : o->level == SR_CALIB_QUICK ? 20 : 4;
    sr_corun_result r;
    char err[256] = "";
    sr_status st = sr_corun_measure(reps, o->seed, &r, err, sizeof err);
    if (st != SR_OK) {
        logf_(o, "  co-running: not measured: %s\n", err[0] ? err : sr_status_message(st));
        return 0;
    }
    /* a co-runner cannot speed a task up: a ratio below 1 is noise around no interference */
    fit->corun_interference = r.interference > 1.0 ? r.interference : 1.0;
    fit->corun_alone_cpu_s = r.alone_cpu_s;
    fit->corun_with_cpu_s = r.with_cpu_s;
    fit->corun_wall_ratio = r.wall_ratio;
    logf_(o,
          "  co-running (core %d, %d inferences each): AlexNet conv layers %.3f ms CPU alone, %.3f ms beside LeNet-5 "
          "training (%lld batches): interference %.4f, wall x %.3f\n",
          r.cpu, r.reps, 1e3 * r.alone_cpu_s, 1e3 * r.with_cpu_s, (long long)r.training_steps, r.interference,
          r.wall_ratio);
    return 1;
}

sr_status sr_calib_corun_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                                size_t err_size)
{
    if (!o || !in || !in->fit || !out) return SR_ERR_INVALID;
    *out = NULL;
    sr_profile_fit fit = *in->fit;
    if (!measure_corun(o, &fit)) {
        if (err && err_size) snprintf(err, err_size, "calibrate: co-running could not be measured (see the log)");
        return SR_ERR_UNSUPPORTED;
    }
    sr_status st = sr_profile_clone(in, &fit, out);
    if (st != SR_OK && err && err_size) snprintf(err, err_size, "calibrate: co-running: %s", sr_status_message(st));
    return st;
}

/* Compute after idle (sr_idle.h) into fit: MobileNetV2 (the shipped experiments' model) after each gap of a
 * ladder from 3 ms to 1 s against warm forwards; 0 when it could not be measured (logged). */
static int measure_idle(const sr_calib_options *o, sr_profile_fit *fit)
{
    static const double ladder[] = {0.003, 0.01, 0.03, 0.1, 0.3, 1.0}, tiny[] = {0.01, 0.1};
    const int is_tiny = o->level == SR_CALIB_TINY;
    const int rounds = o->level == SR_CALIB_FULL ? 12 : o->level == SR_CALIB_QUICK ? 4 : 1;
    const char *model = "mobilenetv2";
    sr_idle_result r;
    char err[256] = "";
    sr_status st = sr_idle_measure(model, is_tiny ? tiny : ladder, is_tiny ? 2 : 6, rounds, o->seed, &r, err,
                                   sizeof err);
    if (st != SR_OK) {
        logf_(o, "  after idle: not measured: %s\n", err[0] ? err : sr_status_message(st));
        return 0;
    }
    fit->idle = r.curve;
    snprintf(fit->idle_model, sizeof fit->idle_model, "%s", model);
    fit->idle_warm_s = r.warm_s;
    fit->idle_rounds = r.rounds;
    fit->idle_sigma = r.sigma;
    logf_(o, "  after idle (%s, %d rounds): warm %.3f ms;", model, r.rounds, 1e3 * r.warm_s);
    for (int i = 0; i < r.curve.n; i++)
        logf_(o, " %g s: %.3f ms (x %.3f)", r.curve.gap_s[i], 1e3 * r.spaced_s[i], r.curve.factor[i]);
    logf_(o, "; spread sigma %.3f\n", r.sigma);
    return 1;
}

sr_status sr_calib_idle_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                               size_t err_size)
{
    if (!o || !in || !in->fit || !out) return SR_ERR_INVALID;
    *out = NULL;
    sr_profile_fit fit = *in->fit;
    if (!measure_idle(o, &fit)) {
        if (err && err_size) snprintf(err, err_size, "calibrate: compute after idle could not be measured (see the log)");
        return SR_ERR_UNSUPPORTED;
    }
    sr_status st = sr_profile_clone(in, &fit, out);
    if (st != SR_OK && err && err_size) snprintf(err, err_size, "calibrate: after idle: %s", sr_status_message(st));
    return st;
}

/* ---------------------------------------------------------------------------------------------------
 * The run */

void sr_calib_result_free(sr_calib_result *r)
{
    if (!r) return;
    sr_profile_file_free(r->profile);
    free(r->samples);
    free(r);
}

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "model name", 10) != 0) continue;
        char *p = strchr(line, ':');
        if (!p) continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "\n")] = '\0';
        snprintf(buf, size, "%s", p);
        break;
    }
    fclose(f);
}

/* Times zoo model `name` and appends one sample per priced node. */
static sr_status add_model_samples(const sr_calib_options *o, samples *s, const char *name, int train,
                                   int reps, char *err, size_t err_size)
{
    sr_graph *g = NULL;
    sr_status st = sr_zoo_build_err(name, 0, 0, 0, &g, err, err_size);
    if (st != SR_OK) return st;
    int n = sr_graph_node_count(g);
    double *t = malloc((size_t)n * sizeof *t);
    if (!t) {
        sr_graph_free(g);
        return SR_ERR_NOMEM;
    }
    int *fused = malloc((size_t)n * sizeof *fused);
    if (!fused || sr_layer_fusion(g, fused) != SR_OK) {
        free(t);
        free(fused);
        sr_graph_free(g);
        return SR_ERR_NOMEM;
    }
    double t0 = now_s();
    st = time_graph(g, o->seed, reps, t, err, err_size);
    double total = 0.0;
    for (int id = 0; id < n && st == SR_OK; id++) {
        int c = sr_layer_class_of(g, id);
        total += t[id];
        /* followers fused into a conv report ~0 s (their time is in the conv's): not a sample */
        if (c < 0 || fused[id] >= 0) continue;
        sr_calib_sample *p = push_sample(s);
        if (!p) {
            st = SR_ERR_NOMEM;
            break;
        }
        snprintf(p->model, sizeof p->model, "%s", name);
        p->node = id;
        p->cls = (sr_layer_class)c;
        sr_layer_features(g, id, (sr_layer_class)c, 1, p->x);
        p->measured_s = t[id];
        p->train = train;
    }
    if (st == SR_OK)
        logf_(o, "  %-12s %-5s %4d layers, %8.1f ms per forward (sum of layer medians), %.1f s\n", name,
              train ? "fit" : "test", n, 1e3 * total, now_s() - t0);
    free(t);
    free(fused);
    sr_graph_free(g);
    return st;
}

/* Hold-out validation: per-layer and whole-model relative errors of the fitted model on the test
 * models' layers. */
static void holdout(const sr_calib_options *o, samples *s, const sr_profile *prof, sr_profile_fit *fit)
{
    sr_cost_model *m = NULL;
    if (sr_cost_fitted_create(fit, &m) != SR_OK) return;
    sr_cost_device dev = sr_profile_device(prof);
    double *lay = malloc((size_t)s->n * sizeof *lay);
    double modl[16];
    int nl = 0, nm = 0;
    char names[SR_PROFILE_TEXT_MAX] = "";
    if (!lay) goto cleanup;
    for (int i = 0; i < s->n;) {
        const sr_calib_sample *p = &s->v[i];
        if (p->train || !p->model[0]) {
            i++;
            continue;
        }
        /* one model: samples i..j-1 */
        int j = i;
        while (j < s->n && strcmp(s->v[j].model, p->model) == 0)
            j++;
        sr_graph *g = NULL;
        if (sr_zoo_build(p->model, 0, 0, 0, &g) == SR_OK) {
            double pred = 0.0, meas = 0.0;
            for (int q = i; q < j; q++) {
                const sr_calib_sample *a = &s->v[q];
                int used = 0;
                double tp = sr_cost_fitted_node(m, &dev, g, a->node, SR_PREC_FP32, 1, &used);
                s->v[q].pred_s = tp;
                pred += tp, meas += a->measured_s;
                if (a->cls != SR_LC_ALIAS && a->measured_s > 0)
                    lay[nl++] = fabs(tp - a->measured_s) / a->measured_s;
            }
            /* nodes without a class (inputs) are priced 0 by both */
            if (nm < 16 && meas > 0) modl[nm++] = fabs(pred - meas) / meas;
            logf_(o, "  held out %-12s measured %8.2f ms  predicted %8.2f ms  error %+6.1f%%\n", p->model,
                  1e3 * meas, 1e3 * pred, 100 * (pred - meas) / meas);
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "", p->model);
            sr_graph_free(g);
        }
        i = j;
    }
    /* per class: where the whole-model error comes from */
    for (int c = 0; c < SR_LC_COUNT; c++) {
        double pm = 0, mm = 0;
        int cnt = 0;
        for (int i = 0; i < s->n; i++) {
            const sr_calib_sample *a = &s->v[i];
            if (a->train || !a->model[0] || a->cls != (sr_layer_class)c) continue;
            mm += a->measured_s, pm += a->pred_s, cnt++;
        }
        if (cnt)
            logf_(o, "    class %-11s %4d layers  measured %8.2f ms  predicted %8.2f ms  (%+.1f%%)\n",
                  sr_layer_class_name((sr_layer_class)c), cnt, 1e3 * mm, 1e3 * pm,
                  mm > 0 ? 100 * (pm - mm) / mm : 0.0);
    }
    if (nl > 0) {
        snprintf(fit->holdout_models, sizeof fit->holdout_models, "%s", names);
        fit->holdout_layers = nl;
        fit->holdout_layer_median = sr_fit_quantile(lay, nl, 0.5);
        fit->holdout_layer_p90 = sr_fit_quantile(lay, nl, 0.9);
        fit->holdout_model_median = sr_fit_quantile(modl, nm, 0.5);
        fit->holdout_model_p90 = sr_fit_quantile(modl, nm, 0.9);
        logf_(o,
              "  held-out layers: %d, relative error median %.1f%%, p90 %.1f%%; whole models: median %.1f%%, "
              "p90 %.1f%%\n",
              nl, 100 * fit->holdout_layer_median, 100 * fit->holdout_layer_p90,
              100 * fit->holdout_model_median, 100 * fit->holdout_model_p90);
    }
cleanup:
    free(lay);
    sr_cost_model_free(m);
}

sr_status sr_calibrate_run(const sr_calib_options *o, sr_calib_result **out, char *err, size_t err_size)
{
    if (!o || !out || o->level < SR_CALIB_TINY || o->level > SR_CALIB_FULL) return SR_ERR_INVALID;
    double t_start = now_s();
    sr_calib_level lvl = o->level;
    int reps = lvl == SR_CALIB_FULL ? 7 : 3;
    sr_status st = SR_OK;
    samples s = {0};
    grid gr = {0};
    sr_calib_result *res = calloc(1, sizeof *res);
    sr_profile_fit *fit = malloc(sizeof *fit);
    if (!res || !fit) {
        st = SR_ERR_NOMEM;
        goto fail;
    }
    sr_profile_fit_init(fit);
    sr_kernels_set_blas_threads(1);

    /* roofline numbers of this machine */
    int gemm_n = lvl == SR_CALIB_FULL ? 1024 : lvl == SR_CALIB_QUICK ? 512 : 128;
    double flops = measure_sgemm_flops(gemm_n, lvl == SR_CALIB_TINY ? 3 : 5);
    size_t cp_bytes = lvl == SR_CALIB_FULL ? (64u << 20) : lvl == SR_CALIB_QUICK ? (16u << 20) : (1u << 20);
    double cp = measure_memcpy_Bps(cp_bytes, lvl == SR_CALIB_TINY ? 3 : 7);
    if (!(flops > 0) || !(cp > 0)) {
        if (err) snprintf(err, err_size, "calibrate: sgemm or memcpy measurement failed");
        st = SR_ERR_SIM;
        goto fail;
    }
    fit->memcpy_Bps = cp;
    fit->ref_flops = flops;
    fit->ref_mem_bw_Bps = 2.0 * cp; /* read + write traffic, the roofline's byte count */
    snprintf(fit->scaling, sizeof fit->scaling, "measured on this machine (single-threaded OpenBLAS, fp32)");
    logf_(o,
          "roofline: sgemm %dx%d %.2f GFLOP/s (best of repeats, 1 thread); memcpy %.2f GB/s (%.2f GB/s "
          "traffic)\n",
          gemm_n, gemm_n, flops / 1e9, cp / 1e9, 2 * cp / 1e9);

    /* grid of single layers */
    build_grid(lvl, &gr);
    logf_(o, "layer grid: %d single-layer graphs, %d repeats each (medians)\n", gr.n, reps);
    double t0 = now_s();
    for (int i = 0; i < gr.n; i++) {
        sr_graph *g = NULL;
        int node = -1;
        st = sr_calib_layer_graph(&gr.v[i], &g, &node);
        if (st != SR_OK) {
            if (err)
                snprintf(err, err_size, "calibrate: grid layer %d (%s): %s", i, sr_op_name(gr.v[i].op),
                         sr_status_message(st));
            goto fail;
        }
        double tn[8];
        st = time_graph(g, o->seed + (uint64_t)i, reps, tn, err, err_size);
        int c = sr_layer_class_of(g, node);
        if (st == SR_OK && c >= 0) {
            sr_calib_sample *p = push_sample(&s);
            if (!p)
                st = SR_ERR_NOMEM;
            else {
                p->layer = gr.v[i];
                p->node = node;
                p->cls = (sr_layer_class)c;
                sr_layer_features(g, node, (sr_layer_class)c, 1, p->x);
                p->measured_s = tn[node];
                p->train = 1;
            }
        }
        sr_graph_free(g);
        if (st != SR_OK) goto fail;
    }
    logf_(o, "  grid timed in %.1f s\n", now_s() - t0);

    /* zoo layers: training models and held-out models */
    static const char *const train_full[] = {"vgg16", "alexnet", "resnet50"};
    static const char *const test_full[] = {"mobilenetv2", "resnet152", "tiny-yolov2"};
    static const char *const train_quick[] = {"alexnet"};
    static const char *const test_quick[] = {"mobilenetv2", "tiny-yolov2"};
    if (lvl != SR_CALIB_TINY) {
        int full = lvl == SR_CALIB_FULL;
        int zreps = full ? 7 : 2;
        logf_(o, "zoo layers (%d repeats, medians per layer):\n", zreps);
        for (int i = 0; i < (full ? COUNT_OF(train_full) : COUNT_OF(train_quick)) && st == SR_OK; i++)
            st = add_model_samples(o, &s, full ? train_full[i] : train_quick[i], 1, zreps, err, err_size);
        for (int i = 0; i < (full ? COUNT_OF(test_full) : COUNT_OF(test_quick)) && st == SR_OK; i++)
            st = add_model_samples(o, &s, full ? test_full[i] : test_quick[i], 0, zreps, err, err_size);
        if (st != SR_OK) goto fail;
    }

    /* fits */
    logf_(o, "fits (form chosen by 5-fold cross-validated median relative error):\n");
    logf_(o, "  %-11s %-9s %6s %8s %6s\n", "class", "form", "R2", "cv-err", "points");
    for (int c = 0; c < SR_LC_COUNT; c++) {
        fit_class(&s, (sr_layer_class)c, &fit->cls[c]);
        const sr_profile_class_fit *cf = &fit->cls[c];
        if (cf->fitted) {
            char cv[16] = "     n/a"; /* fewer than 5 folds' worth of points */
            if (!isnan(cf->cv_median_rel_err))
                snprintf(cv, sizeof cv, "%7.1f%%", 100 * cf->cv_median_rel_err);
            logf_(o, "  %-11s %-9s %6.3f %8s %6d\n", sr_layer_class_name((sr_layer_class)c),
                  sr_fit_form_name(cf->form), cf->r2, cv, cf->n_points);
        } else
            logf_(o, "  %-11s (too few points: roofline)\n", sr_layer_class_name((sr_layer_class)c));
    }

    /* the profile */
    char cpu[160], date[32], desc[320], src[SR_PROFILE_TEXT_MAX * 2];
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    struct tm tmv;
    strftime(date, sizeof date, "%Y-%m-%d", gmtime_r(&now, &tmv));
    snprintf(desc, sizeof desc, "this host: %s, one core (single-threaded OpenBLAS, as the executor runs)",
             cpu);
    snprintf(
        src, sizeof src,
        "fitted on %s, simrun calibrate (%s), %s; peak = measured single-thread sgemm, memory bandwidth = "
        "2 x measured memcpy rate (read + write traffic); power unknown for this host: assumed 10 W idle, "
        "25 W busy for one core's share of a server socket",
        cpu,
        lvl == SR_CALIB_FULL    ? "full"
        : lvl == SR_CALIB_QUICK ? "quick"
                                : "tiny",
        date);
    sr_profile base = {
        o->name ? o->name : "host", "edge", desc, flops, 1, 1.0, 2.0 * cp, 10.0, 25.0, src, NULL, NULL, NULL, NULL};
    /* extra measurements */
    logf_(o, "codecs, serialization, rune:\n");
    int cch = lvl == SR_CALIB_FULL ? 64 : lvl == SR_CALIB_QUICK ? 32 : 8;
    measure_codecs(o, fit, cch, 28, 28, lvl == SR_CALIB_FULL ? 7 : 3);
    measure_serialization(o, fit, 3,
                          lvl == SR_CALIB_FULL    ? 0.02
                          : lvl == SR_CALIB_QUICK ? 0.005
                                                  : 0.001,
                          lvl == SR_CALIB_TINY ? 4096 : 262144);
    sr_rune_measurement rune;
    int have_rune = measure_rune(o, &rune, rune_iters(lvl), 5);
    measure_corun(o, fit);
    measure_idle(o, fit);

    holdout(o, &s, &base, fit);
    if (have_rune && (st = sr_profile_rune_store(&base, &rune, fit)) != SR_OK) goto fail;
    st = sr_profile_clone(&base, fit, &res->profile);
    if (st != SR_OK) goto fail;
    res->samples = s.v;
    res->n_samples = s.n;
    res->elapsed_s = now_s() - t_start;
    logf_(o, "calibration took %.1f s\n", res->elapsed_s);
    free(gr.v);
    free(fit);
    *out = res;
    return SR_OK;
fail:
    if (err && err_size && !err[0]) snprintf(err, err_size, "calibrate: %s", sr_status_message(st));
    free(gr.v);
    free(s.v);
    free(fit);
    sr_calib_result_free(res);
    return st;
}
