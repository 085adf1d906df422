/* test_arrival.c: periodic and Poisson arrival processes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "arrival.h"
#include "sr_trace.h"

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

/* Timestamp traces: a header, comments, blank lines, CRLF and extra fields are accepted; the generator replays the
 * times and then returns infinity; bad input names file, line and column. */
static void test_trace(void **state)
{
    (void)state;
    const char good[] = "time_s,sensor\r\n# warm-up\n\n0.5, a\n0.5 b\n  1.25\t7\n3e0\n";
    double *t = NULL;
    int n = 0;
    char err[256] = "";
    assert_int_equal(sr_trace_parse_times("a.csv", good, strlen(good), &t, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, 4);
    assert_true(t[0] == 0.5 && t[1] == 0.5 && t[2] == 1.25 && t[3] == 3.0);
    sr_arrival_gen *g = NULL;
    assert_int_equal(sr_arrival_create_trace(t, n, &g), SR_OK);
    for (int i = 0; i < 4; i++) assert_true(sr_arrival_next(g) == t[i]);
    assert_true(isinf(sr_arrival_next(g)));
    assert_int_equal(sr_arrival_count(g), 5);
    sr_arrival_free(g);
    free(t);
    struct {
        const char *text;
        sr_status st;
        const char *msg;
    } bad[] = {
        {"1\n2\n1.5\n", SR_ERR_RANGE, "a.csv:3:1: time 1.5 is before the previous arrival (2)"},
        {"0\n -1\n", SR_ERR_RANGE, "a.csv:2:2: time -1 is not a finite number >= 0"},
        {"0\n1\nx2\n", SR_ERR_PARSE, "a.csv:3:1: expected a time in seconds, got 'x2'"},
        {"# nothing\n\n", SR_ERR_INVALID, "no arrival time"},
        {"time\nnan\n", SR_ERR_PARSE, "a.csv:2:1: expected a time in seconds, got 'nan'"},
        {"1\ninf\n", SR_ERR_PARSE, "a.csv:2:1: expected a time in seconds, got 'inf'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        t = (double *)1;
        assert_int_equal(sr_trace_parse_times("a.csv", bad[i].text, strlen(bad[i].text), &t, &n, err, sizeof err),
                         bad[i].st);
        assert_null(t);
        if (!strstr(err, bad[i].msg)) fail_msg("case %zu: got '%s'", i, err);
    }
    /* the parser never reads past len: a text cut in the middle of a number */
    assert_int_equal(sr_trace_parse_times("a.csv", "1\n2.5", 3, &t, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, 2);
    assert_true(t[1] == 2.0);
    free(t);
    double dec[2] = {1, 0};
    assert_int_equal(sr_arrival_create_trace(dec, 2, &g), SR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
