/* test_train.c: the backward kernels and the training net against central-difference gradients.
 *
 * Each kernel check builds a scalar loss L = sum(g * f(...)) with a fixed random g, so dL/dout = g, and
 * compares the kernel's gradients with (L(v + e) - L(v - e)) / 2e for every input and parameter.
 * Convolution and dense layers are linear in each argument, so the difference quotient is exact for
 * any e up to rounding: tolerance 1e-3 * max(1, max |grad|). Max pooling and ReLU are piecewise
 * linear: their inputs are built at least 0.05 away from ties and from 0, with e = 0.01, so no kink
 * is crossed and the same tolerance holds. Softmax cross-entropy and the whole net are smooth (away
 * from kinks): softmax e = 1e-2, tolerance 2e-4 absolute + 2 % relative; the whole net e = 2e-4 (small
 * enough that no ReLU or pooling decision flips for this seed; at 1e-3 one does), 2e-3 + 1 %. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_kernels.h"
#include "sr_train.h"
#include "sr_train_kernels.h"

static float *rand_buf(gsl_rng *r, size_t n)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_gaussian(r, 1.0);
    return x;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

static void assert_grad(const char *what, const float *got, const double *num, size_t n, double rel, double abs_tol)
{
    double scale = 1;
    for (size_t i = 0; i < n; i++)
        scale = fabs(num[i]) > scale ? fabs(num[i]) : scale;
    for (size_t i = 0; i < n; i++) {
        double tol = abs_tol > 0 ? abs_tol + rel * fabs(num[i]) : rel * scale;
        if (!(fabs(got[i] - num[i]) <= tol))
            fail_msg("%s[%zu]: analytic %.6g, numerical %.6g (tol %.3g)", what, i, got[i], num[i], tol);
    }
}

/* ---- convolution ---- */

typedef struct conv_fix {
    sr_win2d p;
    float *x, *W, *b, *g, *out, *ws;
    size_t nx, nW, nout;
} conv_fix;

static double conv_loss(conv_fix *f)
{
    sr_conv2d_ref(&f->p, 1, f->x, f->W, f->b, f->out);
    return dot(f->g, f->out, f->nout);
}

static void numeric(conv_fix *f, float *v, size_t n, double e, double *num)
{
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + (float)e;
        double lp = conv_loss(f);
        v[i] = keep - (float)e;
        double lm = conv_loss(f);
        v[i] = keep;
        num[i] = (lp - lm) / (2 * e);
    }
}

static void check_conv(int n, int ic, int ih, int iw, int oc, int k, int s, int pad)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    conv_fix f = {0};
    f.p = (sr_win2d){.n = n, .in_c = ic, .in_h = ih, .in_w = iw, .out_c = oc, .k_h = k, .k_w = k, .stride_h = s,
                     .stride_w = s, .dil_h = 1, .dil_w = 1, .pad_top = pad, .pad_left = pad};
    f.p.out_h = (ih + 2 * pad - k) / s + 1;
    f.p.out_w = (iw + 2 * pad - k) / s + 1;
    f.nx = (size_t)n * ic * ih * iw;
    f.nW = (size_t)oc * ic * k * k;
    f.nout = (size_t)n * oc * f.p.out_h * f.p.out_w;
    f.x = rand_buf(r, f.nx);
    f.W = rand_buf(r, f.nW);
    f.b = rand_buf(r, (size_t)oc);
    f.g = rand_buf(r, f.nout);
    f.out = rand_buf(r, f.nout);
    f.ws = malloc(sizeof(float) * sr_conv2d_bwd_workspace_floats(&f.p));
    float *dW = calloc(f.nW, sizeof(float)), *db = calloc((size_t)oc, sizeof(float));
    float *dx = malloc(sizeof(float) * f.nx);
    double *num = malloc(sizeof(double) * f.nx > sizeof(double) * f.nW ? sizeof(double) * f.nx : sizeof(double) * f.nW);
    assert_true(f.ws && dW && db && dx && num);

    sr_conv2d_bwd(&f.p, f.x, f.W, f.g, dW, db, dx, f.ws);
    numeric(&f, f.x, f.nx, 0.5, num);
    assert_grad("conv dx", dx, num, f.nx, 1e-3, 0);
    numeric(&f, f.W, f.nW, 0.5, num);
    assert_grad("conv dW", dW, num, f.nW, 1e-3, 0);
    numeric(&f, f.b, (size_t)oc, 0.5, num);
    assert_grad("conv db", db, num, (size_t)oc, 1e-3, 0);

    /* Parameter gradients accumulate: a second call doubles them; din may be NULL. */
    float *dW2 = malloc(sizeof(float) * f.nW);
    assert_non_null(dW2);
    memcpy(dW2, dW, sizeof(float) * f.nW);
    sr_conv2d_bwd(&f.p, f.x, f.W, f.g, dW, db, NULL, f.ws);
    for (size_t i = 0; i < f.nW; i++)
        assert_true(fabsf(dW[i] - 2 * dW2[i]) <= 1e-5f * (1 + fabsf(dW[i])));

    free(dW2);
    free(num);
    free(dx);
    free(db);
    free(dW);
    free(f.ws);
    free(f.out);
    free(f.g);
    free(f.b);
    free(f.W);
    free(f.x);
    gsl_rng_free(r);
}

static void test_conv_bwd(void **state)
{
    (void)state;
    check_conv(2, 3, 7, 6, 4, 3, 1, 1); /* padded, non-square */
    check_conv(1, 2, 9, 9, 3, 3, 2, 0); /* strided */
    check_conv(2, 1, 8, 8, 2, 5, 1, 2); /* LeNet's first layer shape, small */
}

/* ---- dense ---- */

static void test_fc_bwd(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const int n = 3, in = 7, out = 5;
    float *x = rand_buf(r, (size_t)n * in), *W = rand_buf(r, (size_t)out * in), *b = rand_buf(r, (size_t)out);
    float *g = rand_buf(r, (size_t)n * out), *y = rand_buf(r, (size_t)n * out);
    float *dW = calloc((size_t)out * in, sizeof(float)), *db = calloc((size_t)out, sizeof(float));
    float *dx = malloc(sizeof(float) * (size_t)n * in);
    double num[64];
    assert_true(dW && db && dx);
    sr_fc_bwd(n, in, out, x, W, g, dW, db, dx);
    float *vs[3] = {x, W, b};
    const float *gs[3] = {dx, dW, db};
    const size_t ns[3] = {(size_t)n * in, (size_t)out * in, (size_t)out};
    const char *names[3] = {"fc dx", "fc dW", "fc db"};
    for (int a = 0; a < 3; a++) {
        for (size_t i = 0; i < ns[a]; i++) {
            float keep = vs[a][i];
            vs[a][i] = keep + 0.5f;
            sr_fc(n, in, out, x, W, b, 0, out, y);
            double lp = dot(g, y, (size_t)n * out);
            vs[a][i] = keep - 0.5f;
            sr_fc(n, in, out, x, W, b, 0, out, y);
            double lm = dot(g, y, (size_t)n * out);
            vs[a][i] = keep;
            num[i] = lp - lm;
        }
        assert_grad(names[a], gs[a], num, ns[a], 1e-3, 0);
    }
    free(dx);
    free(db);
    free(dW);
    free(y);
    free(g);
    free(b);
    free(W);
    free(x);
    gsl_rng_free(r);
}

/* ---- max pooling and ReLU ---- */

static void test_maxpool_bwd(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 13);
    /* 3x3 windows, stride 2, overlapping: an input can win two windows, so its gradient is a sum. */
    sr_win2d p = {.n = 2, .in_c = 2, .in_h = 7, .in_w = 7, .out_c = 2, .out_h = 3, .out_w = 3, .k_h = 3, .k_w = 3,
                  .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1};
    const size_t nx = 2 * 2 * 7 * 7, no = 2 * 2 * 3 * 3;
    float x[2 * 2 * 7 * 7], dx[2 * 2 * 7 * 7], y[2 * 2 * 3 * 3];
    double num[2 * 2 * 7 * 7];
    size_t perm[2 * 2 * 7 * 7];
    for (size_t i = 0; i < nx; i++)
        perm[i] = i;
    gsl_ran_shuffle(r, perm, nx, sizeof(size_t));
    for (size_t i = 0; i < nx; i++)
        x[i] = 0.1f * (float)perm[i] - 5.0f; /* distinct, 0.1 apart */
    float *g = rand_buf(r, no);
    sr_maxpool2d_bwd(&p, x, g, dx);
    for (size_t i = 0; i < nx; i++) {
        float keep = x[i];
        x[i] = keep + 0.01f;
        sr_maxpool2d(&p, x, y);
        double lp = dot(g, y, no);
        x[i] = keep - 0.01f;
        sr_maxpool2d(&p, x, y);
        double lm = dot(g, y, no);
        x[i] = keep;
        num[i] = (lp - lm) / 0.02;
    }
    assert_grad("maxpool dx", dx, num, nx, 1e-3, 0);
    /* Ties: the first maximum in scan order takes the whole gradient, like the forward kernel picks it. */
    sr_win2d q = {.n = 1, .in_c = 1, .in_h = 2, .in_w = 2, .out_c = 1, .out_h = 1, .out_w = 1, .k_h = 2, .k_w = 2,
                  .stride_h = 2, .stride_w = 2, .dil_h = 1, .dil_w = 1};
    float t[4] = {1, 3, 3, 2}, gt[1] = {5}, dt[4];
    sr_maxpool2d_bwd(&q, t, gt, dt);
    assert_true(dt[0] == 0 && dt[1] == 5 && dt[2] == 0 && dt[3] == 0);
    free(g);
    gsl_rng_free(r);
}

static void test_relu_bwd(void **state)
{
    (void)state;
    float y[6] = {0, 2, 0, 0.5f, 3, 0}, dy[6] = {1, 2, 3, 4, 5, 6}, dx[6];
    sr_relu_bwd(6, y, dy, dx);
    const float want[6] = {0, 2, 0, 4, 5, 0};
    for (int i = 0; i < 6; i++)
        assert_true(dx[i] == want[i]);
    sr_relu_bwd(6, y, dy, dy); /* in place */
    for (int i = 0; i < 6; i++)
        assert_true(dy[i] == want[i]);
}

/* ---- softmax cross-entropy and SGD ---- */

static void test_softmax_xent(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    const int n = 4, k = 6;
    float *z = rand_buf(r, (size_t)n * k), prob[24], dz[24];
    int labels[4] = {0, 5, 2, 2};
    double num[24];
    double loss = sr_softmax_xent(n, k, z, labels, prob, dz);
    /* Closed form for row 0: -log p[label]. */
    double l0 = 0;
    for (int rr = 0; rr < n; rr++)
        l0 += -log(prob[rr * k + labels[rr]]);
    assert_true(fabs(loss - l0 / n) < 1e-6);
    for (int rr = 0; rr < n; rr++) {
        double s = 0;
        for (int j = 0; j < k; j++)
            s += prob[rr * k + j];
        assert_true(fabs(s - 1) < 1e-6);
    }
    for (int i = 0; i < n * k; i++) {
        float keep = z[i];
        z[i] = keep + 1e-2f;
        double lp = sr_softmax_xent(n, k, z, labels, NULL, NULL);
        z[i] = keep - 1e-2f;
        double lm = sr_softmax_xent(n, k, z, labels, NULL, NULL);
        z[i] = keep;
        num[i] = (lp - lm) / 2e-2;
    }
    assert_grad("xent dz", dz, num, (size_t)n * k, 2e-2, 2e-4);
    /* Uniform logits: loss log k. */
    float u[6] = {3, 3, 3, 3, 3, 3};
    int l1 = 4;
    assert_true(fabs(sr_softmax_xent(1, 6, u, &l1, NULL, NULL) - log(6.0)) < 1e-9);
    free(z);
    gsl_rng_free(r);
}

static void test_sgd_momentum(void **state)
{
    (void)state;
    /* Two steps by hand: v1 = -lr(g + d w0), w1 = w0 + v1; v2 = m v1 - lr(g + d w1), w2 = w1 + v2. */
    float w[1] = {1.0f}, v[1] = {0.0f}, g[1] = {0.5f};
    const float lr = 0.1f, m = 0.9f, d = 0.01f;
    sr_sgd_momentum(1, lr, m, d, w, g, v);
    float v1 = -lr * (0.5f + d * 1.0f), w1 = 1.0f + v1;
    assert_true(v[0] == v1 && w[0] == w1);
    sr_sgd_momentum(1, lr, m, d, w, g, v);
    float v2 = m * v1 - lr * (0.5f + d * w1), w2 = w1 + v2;
    assert_true(v[0] == v2 && w[0] == w2);
}

/* ---- the whole net ---- */

static const sr_tl_spec small_net[] = {
    {SR_TL_CONV, 3, 3, 1, 1}, {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_MAXPOOL, 0, 2, 2, 0},
    {SR_TL_CONV, 4, 3, 1, 0}, {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_FC, 6, 0, 0, 0},
    {SR_TL_RELU, 0, 0, 0, 0}, {SR_TL_FC, 5, 0, 0, 0},
};
#define SMALL_LAYERS ((int)(sizeof small_net / sizeof small_net[0]))

static double net_loss(sr_tnet *net, const float *x, const int *y, int n)
{
    const float *z = sr_tnet_forward(net, x, n);
    return sr_softmax_xent(n, sr_tnet_classes(net), z, y, NULL, NULL);
}

static void test_net_gradients(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 19);
    sr_tnet *net = NULL;
    char err[256];
    assert_int_equal(sr_tnet_create(small_net, SMALL_LAYERS, 2, 8, 8, 4, &net, err, sizeof err), SR_OK);
    sr_tnet_init(net, 3);
    const int n = 3;
    float *x = rand_buf(r, (size_t)n * 2 * 8 * 8);
    int y[3] = {1, 4, 0};
    sr_tnet_gradients(net, x, y, n);
    int checked = 0;
    for (int li = 0; li < SMALL_LAYERS; li++) {
        float *W, *b, *dW, *db;
        int64_t nW, nb;
        sr_tnet_layer_params(net, li, &W, &b, &dW, &db, &nW, &nb);
        if (!nW)
            continue;
        /* The analytic gradients are overwritten by forward passes only, not by the loss evaluation. */
        float *gw = malloc(sizeof(float) * (size_t)(nW + nb));
        double *num = malloc(sizeof(double) * (size_t)(nW + nb));
        assert_true(gw && num);
        memcpy(gw, dW, sizeof(float) * (size_t)nW);
        memcpy(gw + nW, db, sizeof(float) * (size_t)nb);
        for (int64_t i = 0; i < nW + nb; i++) {
            float *v = i < nW ? &W[i] : &b[i - nW];
            float keep = *v;
            *v = keep + 2e-4f;
            double lp = net_loss(net, x, y, n);
            *v = keep - 2e-4f;
            double lm = net_loss(net, x, y, n);
            *v = keep;
            num[i] = (lp - lm) / 4e-4;
        }
        assert_grad("net dparam", gw, num, (size_t)(nW + nb), 1e-2, 2e-3);
        checked += (int)(nW + nb);
        free(num);
        free(gw);
    }
    assert_int_equal(checked, (int)sr_tnet_param_count(net, 0));
    assert_int_equal(checked, 3 * 2 * 9 + 3 + 4 * 3 * 9 + 4 + 6 * 4 * 2 * 2 + 6 + 5 * 6 + 5);
    sr_tnet_free(net);
    free(x);
    gsl_rng_free(r);
}

/* Frozen layers keep their weights; the trainable ones move; repeated steps on one batch fit it. */
static void test_freeze_and_fit(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 23);
    sr_tnet *net = NULL;
    assert_int_equal(sr_tnet_create(small_net, SMALL_LAYERS, 2, 8, 8, 4, &net, NULL, 0), SR_OK);
    sr_tnet_init(net, 5);
    float *x = rand_buf(r, (size_t)4 * 2 * 8 * 8);
    int y[4] = {0, 1, 2, 3};
    float *W0, *b0, *dW0, *db0, *W5, *b5, *dW5, *db5;
    int64_t nW0, nb0, nW5, nb5;
    sr_tnet_layer_params(net, 0, &W0, &b0, &dW0, &db0, &nW0, &nb0);
    sr_tnet_layer_params(net, 5, &W5, &b5, &dW5, &db5, &nW5, &nb5);
    float *keep0 = malloc(sizeof(float) * (size_t)nW0);
    assert_non_null(keep0);
    memcpy(keep0, W0, sizeof(float) * (size_t)nW0);
    float *keep5 = malloc(sizeof(float) * (size_t)nW5);
    assert_non_null(keep5);
    memcpy(keep5, W5, sizeof(float) * (size_t)nW5);
    sr_tnet_freeze_below(net, 5);
    sr_sgd_params opt = {0.05f, 0.9f, 0.0f};
    double first = sr_tnet_train_step(net, x, y, 4, &opt), last = first;
    for (int i = 0; i < 60; i++)
        last = sr_tnet_train_step(net, x, y, 4, &opt);
    assert_memory_equal(W0, keep0, sizeof(float) * (size_t)nW0);
    free(keep0);
    int moved = 0;
    for (int64_t i = 0; i < nW5; i++)
        moved += W5[i] != keep5[i];
    assert_true(moved > 0); /* weights fed by an input that is 0 for all four images keep still */
    free(keep5);
    assert_true(last < 0.5 * first);
    assert_int_equal(sr_tnet_param_count(net, 5), nW5 + nb5 + 5 * 6 + 5);
    /* Copying weights makes two nets agree bit for bit. */
    sr_tnet *twin = NULL;
    assert_int_equal(sr_tnet_create(small_net, SMALL_LAYERS, 2, 8, 8, 4, &twin, NULL, 0), SR_OK);
    assert_int_equal(sr_tnet_copy_weights(twin, net), SR_OK);
    const float *za = sr_tnet_forward(net, x, 4);
    float keep[20];
    memcpy(keep, za, sizeof keep);
    const float *zb = sr_tnet_forward(twin, x, 4);
    assert_memory_equal(keep, zb, sizeof keep);
    sr_tnet_free(twin);
    sr_tnet_free(net);
    free(x);
    gsl_rng_free(r);
}

static void test_create_errors(void **state)
{
    (void)state;
    sr_tnet *net = NULL;
    char err[256] = "";
    const sr_tl_spec too_big[] = {{SR_TL_CONV, 2, 9, 1, 0}, {SR_TL_FC, 2, 0, 0, 0}};
    assert_int_equal(sr_tnet_create(too_big, 2, 1, 8, 8, 2, &net, err, sizeof err), SR_ERR_SHAPE);
    assert_null(net);
    assert_non_null(strstr(err, "layer 0"));
    const sr_tl_spec no_fc[] = {{SR_TL_CONV, 2, 3, 1, 0}};
    assert_int_equal(sr_tnet_create(no_fc, 1, 1, 8, 8, 2, &net, err, sizeof err), SR_ERR_INVALID);
    const sr_tl_spec *spec;
    int nl;
    assert_int_equal(sr_tnet_preset("lenet5", &spec, &nl), SR_OK);
    assert_int_equal(sr_tnet_create(spec, nl, 1, 28, 28, 2, &net, err, sizeof err), SR_OK);
    /* LeNet-5 on 28x28: 156 + 2416 + 48120 + 10164 + 850 parameters. */
    assert_int_equal(sr_tnet_param_count(net, 0), 61706);
    sr_tnet_free(net);
    assert_int_equal(sr_tnet_preset("resnet", &spec, &nl), SR_ERR_NOT_FOUND);
}

int main(void)
{
    sr_kernels_set_blas_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_bwd),         cmocka_unit_test(test_fc_bwd),
        cmocka_unit_test(test_maxpool_bwd),      cmocka_unit_test(test_relu_bwd),
        cmocka_unit_test(test_softmax_xent),     cmocka_unit_test(test_sgd_momentum),
        cmocka_unit_test(test_net_gradients),    cmocka_unit_test(test_freeze_and_fit),
        cmocka_unit_test(test_create_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
