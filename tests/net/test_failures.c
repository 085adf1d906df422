/* test_failures.c: failure schedules: checks of explicit lists, MTBF/MTTR draws (same seed -> same
 * schedule, other seeds or names -> other schedules, sample means of up and down times within 3% of MTBF
 * and MTTR over ~9 000 outages), merging and the on/off state trace. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "failures.h"

static void test_check(void **state)
{
    (void)state;
    int bad = 7;
    char err[256] = "";
    sr_outage ok[] = {{0, 1}, {2, 0.5}, {10, 3}};
    assert_int_equal(sr_failures_check(ok, 3, &bad, err, sizeof err), SR_OK);
    assert_int_equal(bad, -1);
    sr_outage neg[] = {{1, 1}, {-1, 1}};
    assert_int_equal(sr_failures_check(neg, 2, &bad, err, sizeof err), SR_ERR_RANGE);
    assert_int_equal(bad, 1);
    assert_string_equal(err, "a failure starts at -1 s: it must be >= 0");
    sr_outage zero[] = {{1, 0}};
    assert_int_equal(sr_failures_check(zero, 1, &bad, err, sizeof err), SR_ERR_RANGE);
    assert_string_equal(err, "a failure lasts 0 s: it must last > 0");
    sr_outage overlap[] = {{10, 2}, {11, 1}};
    assert_int_equal(sr_failures_check(overlap, 2, &bad, err, sizeof err), SR_ERR_RANGE);
    assert_int_equal(bad, 1);
    assert_string_equal(err,
                        "the failure at 11 s starts before the previous one (at 10 s for 2 s) is over: list "
                        "failures in time order, without overlap");
    sr_outage touch[] = {{10, 2}, {12, 1}};
    assert_int_equal(sr_failures_check(touch, 2, &bad, err, sizeof err), SR_ERR_RANGE);
    sr_outage nan_at[] = {{NAN, 1}};
    assert_int_equal(sr_failures_check(nan_at, 1, &bad, err, sizeof err), SR_ERR_RANGE);
}

static void test_draw_reproducible(void **state)
{
    (void)state;
    uint64_t s1 = sr_failures_seed(42, "edge0"), s2 = sr_failures_seed(42, "edge1"),
             s3 = sr_failures_seed(43, "edge0");
    assert_true(s1 != s2 && s1 != s3 && s2 != s3);
    assert_true(sr_failures_seed(42, "edge0") == s1);
    sr_outage *a = NULL, *b = NULL, *c = NULL;
    int na = 0, nb = 0, nc = 0;
    assert_int_equal(sr_failures_draw(10, 2, 1000, s1, 100000, &a, &na), SR_OK);
    assert_int_equal(sr_failures_draw(10, 2, 1000, s1, 100000, &b, &nb), SR_OK);
    assert_int_equal(sr_failures_draw(10, 2, 1000, s2, 100000, &c, &nc), SR_OK);
    assert_true(na > 50);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_true(nc != na || memcmp(a, c, (size_t)na * sizeof *a) != 0);
    int bad;
    char err[256];
    assert_int_equal(sr_failures_check(a, na, &bad, err, sizeof err), SR_OK); /* ordered, no overlap */
    assert_true(a[na - 1].at_s < 1000);
    free(a), free(b), free(c);
    /* too many outages for the cap */
    assert_int_equal(sr_failures_draw(1, 1, 1000, s1, 10, &a, &na), SR_ERR_RANGE);
    assert_null(a);
    assert_int_equal(sr_failures_draw(0, 1, 1000, s1, 10, &a, &na), SR_ERR_INVALID);
    assert_int_equal(sr_failures_draw(1, 1, 0, s1, 10, &a, &na), SR_OK);
    assert_int_equal(na, 0);
}

static void test_draw_means(void **state)
{
    (void)state;
    const double mtbf = 100, mttr = 10, horizon = 1e6;
    sr_outage *o = NULL;
    int n = 0;
    assert_int_equal(sr_failures_draw(mtbf, mttr, horizon, sr_failures_seed(1, "x"), 1000000, &o, &n), SR_OK);
    /* about horizon / (mtbf + mttr) = 9091 outages */
    assert_true(n > 8500 && n < 9700);
    double up = o[0].at_s, down = 0;
    for (int i = 0; i < n; i++) {
        down += o[i].for_s;
        if (i > 0) up += o[i].at_s - (o[i - 1].at_s + o[i - 1].for_s);
    }
    double mean_up = up / n, mean_down = down / n;
    assert_true(fabs(mean_up - mtbf) < 0.03 * mtbf);
    assert_true(fabs(mean_down - mttr) < 0.03 * mttr);
    free(o);
}

static void test_merge_and_state(void **state)
{
    (void)state;
    sr_outage a[] = {{1, 1}, {10, 5}};
    sr_outage b[] = {{0.5, 1}, {3, 1}, {12, 10}};
    sr_outage *m = NULL;
    int n = 0;
    assert_int_equal(sr_failures_merge(a, 2, b, 3, &m, &n), SR_OK);
    assert_int_equal(n, 3); /* [0.5,2) [3,4) [10,22) */
    assert_true(m[0].at_s == 0.5 && m[0].for_s == 1.5);
    assert_true(m[1].at_s == 3 && m[1].for_s == 1);
    assert_true(m[2].at_s == 10 && m[2].for_s == 12);
    sr_trace *t = NULL;
    assert_int_equal(sr_failures_to_state(m, n, &t), SR_OK);
    assert_int_equal(t->kind, SR_TRACE_STATE);
    assert_int_equal(t->n, 6);
    const double times[] = {0.5, 2, 3, 4, 10, 22}, vals[] = {0, 1, 0, 1, 0, 1};
    for (int i = 0; i < 6; i++)
        assert_true(t->times_s[i] == times[i] && t->values[i] == vals[i]);
    assert_true(sr_trace_value_at(t, 0.1, 1) == 1 && sr_trace_value_at(t, 1.9, 1) == 0);
    assert_true(sr_trace_value_at(t, 21.9, 1) == 0 && sr_trace_value_at(t, 22, 1) == 1);
    sr_trace_free(t);
    free(m);
    assert_int_equal(sr_failures_to_state(a, 0, &t), SR_ERR_INVALID);
    assert_int_equal(sr_failures_merge(a, 0, b, 0, &m, &n), SR_OK);
    assert_int_equal(n, 0);
    assert_null(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_draw_reproducible),
        cmocka_unit_test(test_draw_means),
        cmocka_unit_test(test_merge_and_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
