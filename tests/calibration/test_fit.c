/* test_fit.c: the regressions of sr_fit.h: exact recovery of known coefficients (linear and
 * log-linear), recovery within tolerance under seeded noise, R^2 and quantiles on hand examples,
 * cross-validated form selection, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>

#include "sr_fit.h"

#define N 60
#define K 3

/* Deterministic features spanning several decades, like MACs and element counts. */
static void make_features(double *X)
{
    for (int i = 0; i < N; i++) {
        X[i * K + 0] = 1.0;
        X[i * K + 1] = 1e3 * pow(10.0, 4.0 * (i % 12) / 11.0);   /* 1e3 .. 1e7 */
        X[i * K + 2] = 1e2 * pow(10.0, 4.0 * (i % 5) / 4.0) + i; /* 1e2 .. 1e6 */
    }
}

static void test_linear_noiseless_exact(void **state)
{
    (void)state;
    double X[N * K], y[N], coef[K], r2 = 0;
    const double truth[K] = {2e-6, 3e-9, 5e-10};
    make_features(X);
    for (int i = 0; i < N; i++)
        y[i] = truth[0] + truth[1] * X[i * K + 1] + truth[2] * X[i * K + 2];
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, N, K, coef, &r2), SR_OK);
    for (int j = 0; j < K; j++)
        assert_true(fabs(coef[j] - truth[j]) <= 1e-9 * fabs(truth[j]));
    assert_true(fabs(r2 - 1.0) <= 1e-12);
    for (int i = 0; i < N; i++)
        assert_true(fabs(sr_fit_predict(SR_FIT_LINEAR, coef, X + i * K, K) - y[i]) <= 1e-9 * y[i]);
}

static void test_loglinear_power_law_exact(void **state)
{
    (void)state;
    double X[N * K], y[N], coef[K], r2 = 0;
    make_features(X);
    for (int i = 0; i < N; i++)
        y[i] = 3e-9 * pow(X[i * K + 1], 0.9) * pow(X[i * K + 2], 0.2);
    assert_int_equal(sr_fit(SR_FIT_LOGLINEAR, X, y, N, K, coef, &r2), SR_OK);
    assert_true(fabs(coef[0] - log(3e-9)) <= 1e-9 * fabs(log(3e-9)));
    assert_true(fabs(coef[1] - 0.9) <= 1e-9);
    assert_true(fabs(coef[2] - 0.2) <= 1e-9);
    assert_true(fabs(r2 - 1.0) <= 1e-9);
    /* on a power law the log-linear form cross-validates better than the linear one */
    double cv_log = sr_fit_cv_median_rel_err(SR_FIT_LOGLINEAR, X, y, N, K, 5);
    double cv_lin = sr_fit_cv_median_rel_err(SR_FIT_LINEAR, X, y, N, K, 5);
    assert_true(cv_log < 1e-9);
    assert_true(cv_lin > 0.01);
    /* and on linear data the linear form wins */
    for (int i = 0; i < N; i++)
        y[i] = 1e-5 + 2e-9 * X[i * K + 1] + 4e-8 * X[i * K + 2];
    cv_log = sr_fit_cv_median_rel_err(SR_FIT_LOGLINEAR, X, y, N, K, 5);
    cv_lin = sr_fit_cv_median_rel_err(SR_FIT_LINEAR, X, y, N, K, 5);
    assert_true(cv_lin < 1e-9);
    assert_true(cv_log > cv_lin);
}

static void test_noisy_within_tolerance(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    double X[N * K], y[N], coef[K], r2 = 0;
    const double truth[K] = {2e-6, 3e-9, 5e-10};
    make_features(X);
    for (int i = 0; i < N; i++) /* 2 % multiplicative noise, like repeated timings */
        y[i] = (truth[0] + truth[1] * X[i * K + 1] + truth[2] * X[i * K + 2]) *
               (1.0 + gsl_ran_gaussian(r, 0.02));
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, N, K, coef, &r2), SR_OK);
    for (int j = 0; j < K; j++)
        assert_true(fabs(coef[j] - truth[j]) <= 0.05 * fabs(truth[j]));
    assert_true(r2 > 0.99 && r2 <= 1.0);
    for (int i = 0; i < N; i++)
        y[i] = 3e-9 * pow(X[i * K + 1], 0.9) * pow(X[i * K + 2], 0.2) * exp(gsl_ran_gaussian(r, 0.02));
    assert_int_equal(sr_fit(SR_FIT_LOGLINEAR, X, y, N, K, coef, &r2), SR_OK);
    assert_true(fabs(coef[1] - 0.9) <= 0.02);
    assert_true(fabs(coef[2] - 0.2) <= 0.02);
    assert_true(r2 > 0.99);
    gsl_rng_free(r);
}

/* Exactly collinear features, as a depthwise 3x3 layer's (MACs = 9 x outputs, next to its input and
 * output sizes), with timing noise: the fit must not trade huge cancelling coefficients (host.yaml once
 * had +12322 s/MAC and -110896 s/output), so that a point off the training line (a 5x5 layer: 25 MACs
 * per output) gets a sane price. Without the truncated SVD, 3 of these 200 seeded data sets fit
 * |coef| > 1000. */
static void test_collinear_features_stay_sane(void **state)
{
    (void)state;
    enum { NP = 146, KP = 4 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    double X[NP * KP], y[NP], coef[KP], r2 = 0;
    const double fixed = 2e-6, per_in = 3e-10, per_out = 1e-9; /* truth, in seconds */
    for (unsigned long seed = 1; seed <= 200; seed++) {
        gsl_rng_set(r, seed);
        for (int i = 0; i < NP; i++) {
            const double c = 16 << gsl_rng_uniform_int(r, 6), h = 7 << gsl_rng_uniform_int(r, 5);
            const double s = 1 + (double)gsl_rng_uniform_int(r, 2), outs = c * floor(h / s) * floor(h / s);
            X[i * KP + 0] = 1.0, X[i * KP + 1] = 9.0 * outs, X[i * KP + 2] = c * h * h, X[i * KP + 3] = outs;
            y[i] = (fixed + per_in * c * h * h + per_out * outs) * (1.0 + gsl_ran_flat(r, -0.05, 0.05));
        }
        assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, NP, KP, coef, &r2), SR_OK);
        assert_true(r2 > 0.99);
        /* the collinear pair shares the per-output cost with coefficients of its own size */
        assert_true(fabs(9.0 * coef[1] + coef[3] - per_out) <= 0.1 * per_out);
        assert_true(fabs(coef[1]) <= per_out && fabs(coef[3]) <= per_out);
        /* off the line: 25 MACs per output costs at least the 9-MAC price and at most 25/9 of it */
        const double outs = 1e5, x5[KP] = {1.0, 25.0 * outs, outs, outs},
                     x3[KP] = {1.0, 9.0 * outs, outs, outs};
        const double t5 = sr_fit_predict(SR_FIT_LINEAR, coef, x5, KP);
        const double t3 = sr_fit_predict(SR_FIT_LINEAR, coef, x3, KP);
        assert_true(t5 >= t3 && t5 <= 25.0 / 9.0 * t3);
    }
    gsl_rng_free(r);
}

static void test_r2_hand_example(void **state)
{
    (void)state;
    const double y[4] = {1, 2, 3, 4}, yhat[4] = {1.1, 1.9, 3.2, 3.8};
    /* mean 2.5: SS_tot = 5, SS_res = 0.01 + 0.01 + 0.04 + 0.04 = 0.1 -> 1 - 0.1 / 5 = 0.98 */
    assert_true(fabs(sr_fit_r2(y, yhat, 4) - 0.98) < 1e-12);
    assert_true(fabs(sr_fit_r2(y, y, 4) - 1.0) < 1e-15);
    const double flat[3] = {2, 2, 2}, off[3] = {2, 2, 3};
    assert_true(sr_fit_r2(flat, flat, 3) == 1.0);
    assert_true(isinf(sr_fit_r2(flat, off, 3)) && sr_fit_r2(flat, off, 3) < 0);
    /* predicting the mean everywhere gives 0 */
    const double mean[4] = {2.5, 2.5, 2.5, 2.5};
    assert_true(fabs(sr_fit_r2(y, mean, 4)) < 1e-15);
}

static void test_quantiles(void **state)
{
    (void)state;
    const double v[4] = {3, 1, 2, 4};
    assert_true(sr_fit_quantile(v, 4, 0.5) == 2.5);
    assert_true(v[0] == 3 && v[1] == 1); /* not modified */
    double w[10];
    for (int i = 0; i < 10; i++)
        w[i] = 10 - i;
    assert_true(fabs(sr_fit_quantile(w, 10, 0.9) - 9.1) < 1e-12);
    assert_true(sr_fit_quantile(w, 10, 0.0) == 1.0);
    assert_true(sr_fit_quantile(w, 10, 1.0) == 10.0);
    assert_true(isnan(sr_fit_quantile(w, 0, 0.5)));
}

static void test_bad_input(void **state)
{
    (void)state;
    double X[4 * 2] = {1, 1, 1, 2, 1, 3, 1, 4}, y[4] = {1, 2, 3, 0}, coef[2];
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, 4, 2, coef, NULL), SR_ERR_INVALID); /* y = 0 */
    y[3] = 4;
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, 1, 2, coef, NULL), SR_ERR_RANGE); /* n < k */
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, 4, SR_FIT_MAX_COEF + 1, coef, NULL), SR_ERR_RANGE);
    assert_int_equal(sr_fit(SR_FIT_LINEAR, NULL, y, 4, 2, coef, NULL), SR_ERR_INVALID);
    X[3] = NAN;
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, 4, 2, coef, NULL), SR_ERR_INVALID);
    X[3] = 2;
    assert_int_equal(sr_fit(SR_FIT_LINEAR, X, y, 4, 2, coef, NULL), SR_OK);
    assert_true(fabs(coef[0]) < 1e-12 && fabs(coef[1] - 1.0) < 1e-12);
    assert_true(isnan(sr_fit_cv_median_rel_err(SR_FIT_LINEAR, X, y, 4, 2, 5))); /* too few points */
    sr_fit_form f;
    assert_int_equal(sr_fit_form_parse("loglinear", &f), SR_OK);
    assert_int_equal(f, SR_FIT_LOGLINEAR);
    assert_string_equal(sr_fit_form_name(SR_FIT_LINEAR), "linear");
    assert_int_equal(sr_fit_form_parse("cubic", &f), SR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_noiseless_exact),
        cmocka_unit_test(test_loglinear_power_law_exact),
        cmocka_unit_test(test_noisy_within_tolerance),
        cmocka_unit_test(test_collinear_features_stay_sane),
        cmocka_unit_test(test_r2_hand_example),
        cmocka_unit_test(test_quantiles),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
