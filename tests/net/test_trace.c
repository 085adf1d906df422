/* test_trace.c: the mahimahi and CSV trace readers: exact bins and values, lossless mahimahi binning (the
 * bytes of a period equal lines x 1500 for several bin widths, including ones that do not divide the
 * period), looping, CSV headers and comments, and every error with its file:line:col. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_trace.h"

static sr_trace *mm(const char *text, int64_t bin_ms)
{
    sr_trace *t = NULL;
    char err[256] = "";
    sr_status st = sr_trace_parse_mahimahi("mm", text, strlen(text), bin_ms, &t, err, sizeof err);
    if (st != SR_OK) fprintf(stderr, "unexpected: %s\n", err);
    assert_int_equal(st, SR_OK);
    return t;
}

static void expect_err(sr_status st_want, const char *err_want, sr_status st, const char *err, sr_trace *t)
{
    assert_int_equal(st, st_want);
    assert_null(t);
    assert_string_equal(err, err_want);
}

static void mm_err(const char *text, sr_status st_want, const char *err_want)
{
    sr_trace *t = (sr_trace *)(void *)1;
    char err[256] = "";
    sr_status st = sr_trace_parse_mahimahi("x.trace", text, strlen(text), 100, &t, err, sizeof err);
    expect_err(st_want, err_want, st, err, t);
}

static void csv_err(const char *text, sr_trace_kind kind, sr_status st_want, const char *err_want)
{
    sr_trace *t = (sr_trace *)(void *)1;
    char err[256] = "";
    sr_status st = sr_trace_parse_csv("x.csv", text, strlen(text), kind, &t, err, sizeof err);
    expect_err(st_want, err_want, st, err, t);
}

/* "1\n2\n...\nP\n": one opportunity per ms = 12 Mbit/s everywhere. */
static char *constant_trace(int period_ms)
{
    char *s = malloc((size_t)period_ms * 8 + 1);
    size_t k = 0;
    for (int i = 1; i <= period_ms; i++)
        k += (size_t)sprintf(s + k, "%d\n", i);
    return s;
}

static void test_mahimahi_constant(void **state)
{
    (void)state;
    char *text = constant_trace(1000);
    sr_trace *t = mm(text, 100);
    assert_int_equal(t->kind, SR_TRACE_BANDWIDTH);
    assert_int_equal(t->n, 10);
    assert_true(t->period_s == 1.0);
    for (int i = 0; i < 10; i++) {
        assert_true(fabs(t->times_s[i] - 0.1 * i) < 1e-12);
        assert_true(t->values[i] == 12e6); /* 100 opportunities x 12000 bit / 0.1 s */
    }
    sr_trace_free(t);
    free(text);
}

static void test_mahimahi_bins(void **state)
{
    (void)state;
    /* period 250 ms; bins of 100 ms: [0,100) holds 0,0,50 and the one at 250 = 0 of the next period (4),
     * [100,200) holds 150 (1), [200,250) holds 210 (1) */
    sr_trace *t = mm("0\n0\n50\n150\n210\n250\n", 100);
    assert_int_equal(t->n, 3);
    assert_true(t->period_s == 0.25);
    assert_true(t->values[0] == 4 * 12000 / 0.1);
    assert_true(t->values[1] == 1 * 12000 / 0.1);
    assert_true(fabs(t->values[2] - 1 * 12000 / 0.05) < 1e-6);
    assert_true(fabs(t->times_s[2] - 0.2) < 1e-12);
    /* value_at wraps: 0.26 s is 0.01 s into the second period */
    assert_true(sr_trace_value_at(t, 0.26, -1) == t->values[0]);
    assert_true(sr_trace_value_at(t, 0.49, -1) == t->values[2]);
    sr_trace_free(t);
}

/* Lossless: the bits of one period equal lines x 12000 for bins that divide the period or not. */
static void test_mahimahi_lossless(void **state)
{
    (void)state;
    /* an irregular schedule: bursts, gaps and repeats */
    char text[8192];
    size_t k = 0;
    int lines = 0;
    unsigned x = 12345;
    int ts = 0;
    for (int i = 0; i < 600; i++) {
        x = x * 1103515245u + 12345u;
        ts += (int)((x >> 16) % 7); /* steps of 0..6 ms */
        k += (size_t)sprintf(text + k, "%d\n", ts);
        lines++;
    }
    const int64_t bins[] = {1, 7, 10, 33, 100, 250, 1000, 100000};
    for (size_t b = 0; b < sizeof bins / sizeof bins[0]; b++) {
        sr_trace *t = mm(text, bins[b]);
        assert_true(t->period_s == ts / 1000.0);
        double bits = sr_trace_integral(t, 0.0, t->period_s);
        assert_true(fabs(bits - lines * 12000.0) <= 1e-9 * lines * 12000.0);
        /* three periods carry three times the bytes */
        double bits3 = sr_trace_integral(t, 0.0, 3 * t->period_s);
        assert_true(fabs(bits3 - 3 * lines * 12000.0) <= 1e-9 * 3 * lines * 12000.0);
        sr_trace_free(t);
    }
}

static void test_mahimahi_errors(void **state)
{
    (void)state;
    mm_err("", SR_ERR_INVALID, "x.trace:1:1: empty trace: no delivery timestamps");
    mm_err("\n\n  \n", SR_ERR_INVALID, "x.trace:3:1: empty trace: no delivery timestamps");
    mm_err("0\n0\n", SR_ERR_INVALID,
           "x.trace:2:1: the last timestamp is 0 ms: a mahimahi trace repeats with the period of its last "
           "timestamp, which must be > 0");
    mm_err("1\n5\n3\n", SR_ERR_RANGE,
           "x.trace:3:1: timestamp 3 ms is before the previous one (5 ms, line 2): mahimahi timestamps never "
           "decrease");
    mm_err("1\n  2x\n", SR_ERR_PARSE,
           "x.trace:2:3: expected a delivery time in milliseconds (a non-negative integer), got '2x'");
    mm_err("1\n-2\n", SR_ERR_PARSE,
           "x.trace:2:1: expected a delivery time in milliseconds (a non-negative integer), got '-2'");
    mm_err("1.5\n", SR_ERR_PARSE,
           "x.trace:1:1: expected a delivery time in milliseconds (a non-negative integer), got '1.5'");
    mm_err("99999999999999999999\n", SR_ERR_PARSE,
           "x.trace:1:1: timestamp '99999999999999999999' is too large (at most 2^53 ms)");
    /* bytes past a NUL are still read (no C-string assumption) */
    sr_trace *t = (sr_trace *)(void *)1;
    char err[256];
    assert_int_equal(sr_trace_parse_mahimahi("x.trace", "1\n\0002\n", 5, 100, &t, err, sizeof err),
                     SR_ERR_PARSE);
    assert_string_equal(
        err, "x.trace:2:1: expected a delivery time in milliseconds (a non-negative integer), got '?2'");
    assert_int_equal(sr_trace_parse_mahimahi("x.trace", "1\n", 2, 0, &t, err, sizeof err), SR_ERR_INVALID);
}

static void test_csv(void **state)
{
    (void)state;
    const char *text = "# a step\ntime_s, bandwidth_bps\n0, 8e6   # start\n\n1.0,4000000\n 2.5 , 16e6\r\n";
    sr_trace *t = NULL;
    char err[256] = "";
    assert_int_equal(sr_trace_parse_csv("x.csv", text, strlen(text), SR_TRACE_BANDWIDTH, &t, err, sizeof err),
                     SR_OK);
    assert_int_equal(t->n, 3);
    assert_true(t->period_s == 0);
    assert_true(t->times_s[0] == 0 && t->times_s[1] == 1.0 && t->times_s[2] == 2.5);
    assert_true(t->values[0] == 8e6 && t->values[1] == 4e6 && t->values[2] == 16e6);
    assert_true(sr_trace_value_at(t, 0.5, -1) == 8e6);
    assert_true(sr_trace_value_at(t, 100, -1) == 16e6);
    assert_true(sr_trace_integral(t, 0.5, 3.0) == 0.5 * 8e6 + 1.5 * 4e6 + 0.5 * 16e6);
    sr_trace_free(t);
    /* a first time > 0: before it the caller's value applies */
    assert_int_equal(sr_trace_parse_csv("x.csv", "2,1\n3,0\n", 8, SR_TRACE_STATE, &t, err, sizeof err),
                     SR_OK);
    assert_true(sr_trace_value_at(t, 1.0, 7) == 7);
    assert_true(sr_trace_value_at(t, 2.0, 7) == 1);
    assert_true(sr_trace_value_at(t, 3.5, 7) == 0);
    sr_trace_free(t);
}

static void test_csv_errors(void **state)
{
    (void)state;
    csv_err("", SR_TRACE_BANDWIDTH, SR_ERR_INVALID, "x.csv:1:1: empty trace: no 'time, value' rows");
    csv_err("time,bw\n# nothing\n", SR_TRACE_BANDWIDTH, SR_ERR_INVALID,
            "x.csv:2:1: empty trace: no 'time, value' rows");
    csv_err("0,1\n2,1\n1.5,3\n", SR_TRACE_BANDWIDTH, SR_ERR_RANGE,
            "x.csv:3:1: time 1.5 s is not after the previous one (2 s, line 2): times must increase");
    csv_err("0,1\n0,2\n", SR_TRACE_LATENCY, SR_ERR_RANGE,
            "x.csv:2:1: time 0 s is not after the previous one (0 s, line 1): times must increase");
    csv_err("-1,5\n", SR_TRACE_BANDWIDTH, SR_ERR_RANGE,
            "x.csv:1:1: negative time -1 s (times start at 0 or later)");
    csv_err("0, -5\n", SR_TRACE_BANDWIDTH, SR_ERR_RANGE,
            "x.csv:1:4: negative bandwidth -5 (bit/s must be >= 0)");
    csv_err("0, 0.01\n1, -0.5\n", SR_TRACE_LATENCY, SR_ERR_RANGE,
            "x.csv:2:4: negative latency -0.5 (seconds must be >= 0)");
    csv_err("0,1\n1,0.5\n", SR_TRACE_STATE, SR_ERR_RANGE, "x.csv:2:3: a state is 0 (off) or 1 (on), got 0.5");
    csv_err("0,1\n1,fast\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:2:3: expected a bandwidth value in bit/s, got 'fast'");
    csv_err("0,1\n1,nan\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:2:3: expected a bandwidth value in bit/s, got 'nan'");
    csv_err("0,1\n1,1e999\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:2:3: expected a bandwidth value in bit/s, got '1e999'");
    csv_err("0,1\nsoon,2\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:2:1: expected a time in seconds, got 'soon'");
    csv_err("0,1\n  1 2\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:2:3: expected 'time, value' (two fields separated by a comma), got '1 2'");
    csv_err("0,1,2\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:1:4: unexpected third field (a line is 'time, value')");
    csv_err("0,\n", SR_TRACE_BANDWIDTH, SR_ERR_PARSE,
            "x.csv:1:3: expected a bandwidth value in bit/s, got ''");
}

static void test_read_files(void **state)
{
    (void)state;
    char path[] = "/tmp/sr-test-trace-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "10\n20\n20\n40\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    sr_trace *t = NULL;
    char err[512] = "";
    assert_int_equal(sr_trace_read(path, SR_TRACE_MAHIMAHI, SR_TRACE_BANDWIDTH, 20, &t, err, sizeof err),
                     SR_OK);
    assert_int_equal(t->n, 2); /* [0,20): 10 and 40 (= 0 of the next period); [20,40): 20, 20 */
    assert_true(t->values[0] == 2 * 12000 / 0.02 && t->values[1] == 2 * 12000 / 0.02);
    sr_trace_free(t);
    assert_int_equal(sr_trace_read(path, SR_TRACE_MAHIMAHI, SR_TRACE_LATENCY, 20, &t, err, sizeof err),
                     SR_ERR_INVALID);
    unlink(path);
    assert_int_equal(sr_trace_read(path, SR_TRACE_CSV, SR_TRACE_LATENCY, 20, &t, err, sizeof err), SR_ERR_IO);
    assert_null(t);
    char want[512];
    snprintf(want, sizeof want, "%s: cannot read: No such file or directory", path);
    assert_string_equal(err, want);
}

/* The documented trace length limit (SR_TRACE_MAX_POINTS rows; docs/user-guide.md "Limits"): one row more
 * is refused with the line where the limit is crossed, for a CSV trace and an arrival-times trace alike. The
 * input is generated here (33 MiB), not committed. */
static void test_trace_length_limit(void **state)
{
    (void)state;
    size_t rows = (size_t)SR_TRACE_MAX_POINTS + 1;
    char *text = malloc(rows * 2 + 1);
    assert_non_null(text);
    for (size_t i = 0; i < rows; i++)
        text[2 * i] = '0', text[2 * i + 1] = '\n';
    text[rows * 2] = '\0';
    char err[256] = "", expect[96];
    double *times = NULL;
    int n = 0;
    assert_int_not_equal(sr_trace_parse_times("a.txt", text, rows * 2, &times, &n, err, sizeof err), SR_OK);
    assert_null(times);
    snprintf(expect, sizeof expect, "a.txt:%d:1: more than %d arrivals", SR_TRACE_MAX_POINTS + 1,
             SR_TRACE_MAX_POINTS);
    assert_string_equal(err, expect);
    /* exactly at the limit it loads */
    assert_int_equal(sr_trace_parse_times("a.txt", text, rows * 2 - 2, &times, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, SR_TRACE_MAX_POINTS);
    free(times);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mahimahi_constant),
        cmocka_unit_test(test_mahimahi_bins),
        cmocka_unit_test(test_mahimahi_lossless),
        cmocka_unit_test(test_mahimahi_errors),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_read_files),
        cmocka_unit_test(test_trace_length_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
