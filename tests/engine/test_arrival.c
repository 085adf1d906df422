/* test_arrival.c: periodic and Poisson arrival processes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "arrival.h"

static void test_periodic(void **state)
{
    (void)state;
    sr_arrival_gen *g = NULL;
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_PERIODIC, 30.0, 0.5, 0.01, 7, &g), SR_OK);
    for (int k = 0; k < 1000; k++)
        assert_float_equal(sr_arrival_next(g), 0.5 + 0.01 + k / 30.0, 1e-12);
    assert_int_equal(sr_arrival_count(g), 1000);
    sr_arrival_free(g);
    assert_float_equal(sr_arrival_phase(0, 10.0), 0.0, 0);
    for (int i = 1; i < 50; i++) {
        double p = sr_arrival_phase(i, 10.0);
        assert_true(p >= 0 && p < 0.1);
        assert_true(p != sr_arrival_phase(i - 1, 10.0));
    }
}

static void test_poisson(void **state)
{
    (void)state;
    sr_arrival_gen *a = NULL, *b = NULL, *c = NULL;
    uint64_t s0 = sr_arrival_seed(42, 0), s1 = sr_arrival_seed(42, 1);
    assert_true(s0 != s1);
    assert_true(sr_arrival_seed(42, 0) == s0);
    assert_true(sr_arrival_seed(43, 0) != s0);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_POISSON, 20.0, 1.0, 0, s0, &a), SR_OK);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_POISSON, 20.0, 1.0, 0, s0, &b), SR_OK);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_POISSON, 20.0, 1.0, 0, s1, &c), SR_OK);
    int n = 20000, same_c = 0;
    double prev = 1.0, t = 0, sum = 0, sum2 = 0;
    for (int k = 0; k < n; k++) {
        t = sr_arrival_next(a);
        assert_true(t > prev);
        double gap = t - prev;
        sum += gap;
        sum2 += gap * gap;
        prev = t;
        assert_true(t == sr_arrival_next(b));
        same_c += t == sr_arrival_next(c);
    }
    assert_int_equal(same_c, 0);
    /* exponential(mean 0.05): sample mean within 3 % (std error 0.7 %), variance mean^2 within 10 % */
    double mean = sum / n, var = sum2 / n - mean * mean;
    assert_float_equal(mean, 0.05, 0.05 * 0.03);
    assert_float_equal(var, 0.0025, 0.0025 * 0.1);
    sr_arrival_free(a);
    sr_arrival_free(b);
    sr_arrival_free(c);
    sr_arrival_free(NULL);
}

static void test_invalid(void **state)
{
    (void)state;
    sr_arrival_gen *g = NULL;
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_PERIODIC, 0, 0, 0, 1, &g), SR_ERR_INVALID);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_PERIODIC, NAN, 0, 0, 1, &g), SR_ERR_INVALID);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_POISSON, 1, -1, 0, 1, &g), SR_ERR_INVALID);
    assert_int_equal(sr_arrival_create(SR_ARRIVAL_PROC_COUNT, 1, 0, 0, 1, &g), SR_ERR_INVALID);
    assert_null(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
