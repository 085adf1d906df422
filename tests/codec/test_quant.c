/* test_quant.c: quantizer error bounds (uniform: |x - y| <= step/2 for 1..16 bits, per tensor and per
 * channel, and inside a clipped range), exact zeros, symbol ranges, Lloyd-Max beating uniform on peaked
 * data, mu-law favouring small values, and corrupted side info. */
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

#include "sr_quant.h"

#define C 4
#define M 2000

static float *laplace_data(unsigned long seed, int relu)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    float *x = malloc(C * M * sizeof *x);
    for (int c = 0; c < C; c++)
        for (int i = 0; i < M; i++) {
            double v = gsl_ran_laplace(r, 0.5 + c) + 0.3 * c;
            x[c * M + i] = (float)(relu && v < 0 ? 0 : v);
        }
    gsl_rng_free(r);
    return x;
}

static void run(const sr_quant_params *p, const float *x, float *y, uint32_t *sym)
{
    sr_wbuf side;
    sr_wbuf_init(&side);
    assert_int_equal(sr_quant_encode(p, x, C, M, sym, &side, NULL), SR_OK);
    sr_rbuf r;
    sr_rbuf_init(&r, side.data, side.len);
    assert_int_equal(sr_quant_decode(p, &r, sym, C, M, y), SR_OK);
    assert_int_equal(sr_rbuf_left(&r), 0);
    sr_wbuf_free(&side);
}

static void minmax(const float *x, size_t n, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        *lo = fmin(*lo, x[i]), *hi = fmax(*hi, x[i]);
}

static void test_uniform_bound(void **state)
{
    (void)state;
    float *x = laplace_data(1, 0), *y = malloc(C * M * sizeof *y);
    uint32_t *sym = malloc(C * M * sizeof *sym);
    for (int pc = 0; pc <= 1; pc++)
        for (int b = 1; b <= 16; b++) {
            sr_quant_params p = {.kind = SR_QUANT_UNIFORM, .bits = b, .per_channel = pc};
            run(&p, x, y, sym);
            int groups = pc ? C : 1;
            size_t gn = pc ? M : (size_t)C * M;
            for (int g = 0; g < groups; g++) {
                double lo, hi;
                minmax(x + g * gn, gn, &lo, &hi);
                double step = (hi - lo) / ((1 << b) - 1);
                for (size_t i = 0; i < gn; i++) {
                    assert_true(sym[g * gn + i] < (1u << b));
                    double e = fabs((double)x[g * gn + i] - y[g * gn + i]);
                    assert_true(e <= step / 2 * (1 + 1e-4) + 1e-6 * fabs(x[g * gn + i]));
                }
            }
        }
    free(x), free(y), free(sym);
}

static void test_clip_and_zero(void **state)
{
    (void)state;
    float *x = laplace_data(2, 1), *y = malloc(C * M * sizeof *y);
    uint32_t *sym = malloc(C * M * sizeof *sym);
    /* post-ReLU: zeros come back exactly 0 and are symbol 0 */
    sr_quant_params p = {.kind = SR_QUANT_UNIFORM, .bits = 4};
    run(&p, x, y, sym);
    for (size_t i = 0; i < C * M; i++)
        if (x[i] == 0) {
            assert_true(y[i] == 0.0f);
            assert_int_equal(sym[i], 0);
        }
    /* signed data with zero inside the range: 0 is a level too */
    float *s = laplace_data(3, 0);
    s[5] = 0;
    run(&p, s, y, sym);
    assert_true(y[5] == 0.0f);
    assert_int_equal(sym[5], 0);
    /* clipping: values inside the 99th-percentile range keep the step/2 bound of the narrower range */
    sr_quant_params pc = {.kind = SR_QUANT_UNIFORM, .bits = 6, .clip_pct = 99.0};
    run(&pc, s, y, sym);
    double lo, hi;
    minmax(y, C * M, &lo, &hi);
    double full_lo, full_hi;
    minmax(s, C * M, &full_lo, &full_hi);
    assert_true(hi - lo < 0.8 * (full_hi - full_lo)); /* the range really was clipped */
    double step = (hi - lo) / 63;
    size_t inside = 0;
    for (size_t i = 0; i < C * M; i++)
        if (s[i] >= lo && s[i] <= hi) {
            inside++;
            assert_true(fabs((double)s[i] - y[i]) <= step / 2 * (1 + 1e-4) + 1e-6);
        }
    assert_true(inside >= (size_t)(0.97 * C * M));
    free(x), free(s), free(y), free(sym);
}

static double mse(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return s / (double)n;
}

static void test_lloyd_mulaw(void **state)
{
    (void)state;
    float *x = laplace_data(4, 0), *y = malloc(C * M * sizeof *y);
    uint32_t *sym = malloc(C * M * sizeof *sym);
    sr_quant_params u = {.kind = SR_QUANT_UNIFORM, .bits = 3};
    run(&u, x, y, sym);
    double mse_u = mse(x, y, C * M);
    sr_quant_params l = {.kind = SR_QUANT_LLOYD, .bits = 3, .lloyd_iters = 30};
    run(&l, x, y, sym);
    double mse_l = mse(x, y, C * M);
    for (size_t i = 0; i < C * M; i++)
        assert_true(sym[i] < 8);
    assert_true(mse_l < 0.6 * mse_u); /* Laplacian data: Lloyd-Max is much better at 3 bits */
    /* mu-law: small values (|x| < 0.2) are reconstructed better than by uniform at the same bits */
    sr_quant_params mu = {.kind = SR_QUANT_MULAW, .bits = 5, .mu = 255};
    sr_quant_params u5 = {.kind = SR_QUANT_UNIFORM, .bits = 5};
    float *y2 = malloc(C * M * sizeof *y2);
    run(&mu, x, y, sym);
    run(&u5, x, y2, sym);
    double e_mu = 0, e_u = 0;
    for (size_t i = 0; i < C * M; i++)
        if (fabs(x[i]) < 0.2) {
            e_mu += fabs((double)x[i] - y[i]);
            e_u += fabs((double)x[i] - y2[i]);
        }
    assert_true(e_mu < 0.5 * e_u);
    free(x), free(y), free(y2), free(sym);
}

static void test_bad_input(void **state)
{
    (void)state;
    float x[C * 4] = {0};
    uint32_t sym[C * 4];
    float y[C * 4];
    sr_wbuf side;
    sr_wbuf_init(&side);
    sr_quant_params bad = {.kind = SR_QUANT_UNIFORM, .bits = 17};
    assert_int_equal(sr_quant_encode(&bad, x, C, 4, sym, &side, NULL), SR_ERR_INVALID);
    sr_quant_params p = {.kind = SR_QUANT_UNIFORM, .bits = 8};
    x[3] = NAN;
    assert_int_equal(sr_quant_encode(&p, x, C, 4, sym, &side, NULL), SR_ERR_INVALID);
    x[3] = 1;
    sr_wbuf_free(&side);
    sr_wbuf_init(&side);
    assert_int_equal(sr_quant_encode(&p, x, C, 4, sym, &side, NULL), SR_OK);
    /* symbol out of range, truncated side info */
    sym[0] = 256;
    sr_rbuf r;
    sr_rbuf_init(&r, side.data, side.len);
    assert_int_equal(sr_quant_decode(&p, &r, sym, C, 4, y), SR_ERR_CORRUPT);
    sym[0] = 0;
    sr_rbuf_init(&r, side.data, side.len - 1);
    assert_int_equal(sr_quant_decode(&p, &r, sym, C, 4, y), SR_ERR_CORRUPT);
    sr_wbuf_free(&side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_bound),
        cmocka_unit_test(test_clip_and_zero),
        cmocka_unit_test(test_lloyd_mulaw),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
