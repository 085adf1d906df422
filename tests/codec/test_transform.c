/* test_transform.c: DCT-II (8x8 blocks, odd sizes with partial blocks, whole map) is orthonormal
 * (inverse within 1e-5, energy preserved) and matches the closed form for a constant block; the KLT
 * with all components reconstructs within 1e-4 and decorrelates channels. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_transform.h"

static float *randn(size_t n, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_gaussian(r, 1.0);
    gsl_rng_free(r);
    return x;
}

static void test_dct(void **state)
{
    (void)state;
    const int shapes[][4] = {{3, 16, 24, 8}, {2, 13, 21, 8}, {2, 9, 17, 0}, {1, 5, 3, 4}};
    for (size_t s = 0; s < 4; s++) {
        int c = shapes[s][0], h = shapes[s][1], w = shapes[s][2], b = shapes[s][3];
        size_t n = (size_t)c * h * w;
        float *x = randn(n, 10 + s), *y = malloc(n * sizeof *y), *z = malloc(n * sizeof *z);
        assert_int_equal(sr_dct2d(x, c, h, w, b, 0, y), SR_OK);
        assert_int_equal(sr_dct2d(y, c, h, w, b, 1, z), SR_OK);
        double ex = 0, ey = 0, maxe = 0;
        for (size_t i = 0; i < n; i++) {
            ex += (double)x[i] * x[i];
            ey += (double)y[i] * y[i];
            maxe = fmax(maxe, fabs((double)x[i] - z[i]));
        }
        assert_true(maxe <= 1e-5);
        assert_true(fabs(ex - ey) <= 1e-5 * ex);
        free(x), free(y), free(z);
    }
    /* constant 8x8 block: all energy in DC = 8 * value */
    float cst[64], out[64];
    for (int i = 0; i < 64; i++)
        cst[i] = 2.0f;
    assert_int_equal(sr_dct2d(cst, 1, 8, 8, 8, 0, out), SR_OK);
    assert_float_equal(out[0], 16.0f, 1e-5);
    for (int i = 1; i < 64; i++)
        assert_float_equal(out[i], 0.0f, 1e-5);
    assert_int_equal(sr_dct2d(cst, 0, 8, 8, 8, 0, out), SR_ERR_INVALID);
}

static void test_klt(void **state)
{
    (void)state;
    int c = 6;
    size_t m = 3000;
    /* correlated channels: mixtures of 2 sources plus small noise */
    float *src = randn(3 * m, 20), *x = malloc((size_t)c * m * sizeof *x);
    for (int i = 0; i < c; i++)
        for (size_t p = 0; p < m; p++)
            x[i * m + p] = (float)((i + 1) * src[p] + (c - i) * 0.5 * src[m + p] + 0.01 * src[2 * m + p] + i);
    float mean[6], basis[36], *y = malloc((size_t)c * m * sizeof *y), *z = malloc((size_t)c * m * sizeof *z);
    assert_int_equal(sr_klt_fit(x, c, m, c, mean, basis), SR_OK);
    sr_klt_forward(x, c, m, mean, basis, c, y);
    sr_klt_inverse(y, c, m, mean, basis, c, z);
    for (size_t i = 0; i < (size_t)c * m; i++)
        assert_true(fabs((double)x[i] - z[i]) <= 1e-4 * (1 + fabs(x[i])));
    /* outputs are decorrelated and sorted by variance; two components carry almost everything */
    double var[6] = {0}, cov01 = 0;
    for (int j = 0; j < c; j++)
        for (size_t p = 0; p < m; p++)
            var[j] += (double)y[j * m + p] * y[j * m + p] / (double)m;
    for (size_t p = 0; p < m; p++)
        cov01 += (double)y[p] * y[m + p] / (double)m;
    assert_true(fabs(cov01) <= 1e-3 * sqrt(var[0] * var[1]));
    for (int j = 1; j < c; j++)
        assert_true(var[j] <= var[j - 1] * (1 + 1e-6));
    assert_true(var[2] < 1e-3 * var[0]);
    /* keeping 2 components still reconstructs closely */
    float basis2[12];
    assert_int_equal(sr_klt_fit(x, c, m, 2, mean, basis2), SR_OK);
    sr_klt_forward(x, c, m, mean, basis2, 2, y);
    sr_klt_inverse(y, c, m, mean, basis2, 2, z);
    for (size_t i = 0; i < (size_t)c * m; i++)
        assert_true(fabs((double)x[i] - z[i]) <= 0.1);
    assert_int_equal(sr_klt_fit(x, c, m, 7, mean, basis), SR_ERR_INVALID);
    free(src), free(x), free(y), free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dct), cmocka_unit_test(test_klt)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
