/* test_config_units.c: sr_parse_quantity for every unit family, bare numbers and malformed input. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_config.h"
#include "sr_config_internal.h"

/* Relative tolerance for values that go through a decimal multiplication. */
static void assert_qty(const char *text, sr_unit_kind k, double expected)
{
    double v = -12345.0;
    sr_status st = sr_parse_quantity(text, k, &v);
    if (st != SR_OK) fail_msg("'%s' did not parse (%d)", text, st);
    double tol = 1e-12 * (expected < 0 ? -expected : expected);
    if (v < expected - tol || v > expected + tol)
        fail_msg("'%s' -> %.17g, expected %.17g", text, v, expected);
}

static void assert_bad(const char *text, sr_unit_kind k)
{
    double v = 7.0;
    assert_int_equal(sr_parse_quantity(text, k, &v), SR_ERR_INVALID);
    assert_true(v == 7.0); /* untouched on error */
}

static void test_time(void **state)
{
    (void)state;
    assert_qty("10ms", SR_UNIT_TIME, 0.01);
    assert_qty("1s", SR_UNIT_TIME, 1.0);
    assert_qty("250us", SR_UNIT_TIME, 250e-6);
    assert_qty("7ns", SR_UNIT_TIME, 7e-9);
    assert_qty("2min", SR_UNIT_TIME, 120.0);
    assert_qty("1.5h", SR_UNIT_TIME, 5400.0);
    assert_qty("0s", SR_UNIT_TIME, 0.0);
    assert_qty("-3s", SR_UNIT_TIME, -3.0); /* sign is the table's business (range) */
    assert_qty("1e-3s", SR_UNIT_TIME, 1e-3);
    assert_qty("20 ms", SR_UNIT_TIME, 0.02);
    assert_bad("10", SR_UNIT_TIME);   /* a unit is needed */
    assert_bad("10m", SR_UNIT_TIME);  /* minutes are "min" */
    assert_bad("10Ms", SR_UNIT_TIME); /* case matters */
}

static void test_rate(void **state)
{
    (void)state;
    assert_qty("5.85Mbps", SR_UNIT_RATE, 5.85e6);
    assert_qty("1bps", SR_UNIT_RATE, 1.0);
    assert_qty("100Kbps", SR_UNIT_RATE, 1e5);
    assert_qty("100kbps", SR_UNIT_RATE, 1e5);
    assert_qty("1Gbps", SR_UNIT_RATE, 1e9);
    assert_qty("2Tbps", SR_UNIT_RATE, 2e12);
    assert_qty("1Bps", SR_UNIT_RATE, 8.0);
    assert_qty("1KBps", SR_UNIT_RATE, 8e3);
    assert_qty("2MBps", SR_UNIT_RATE, 16e6);
    assert_qty("25.6GBps", SR_UNIT_RATE, 204.8e9);
    assert_bad("5Mbs", SR_UNIT_RATE);
    assert_bad("5mbps", SR_UNIT_RATE);
    assert_bad("5MiB", SR_UNIT_RATE); /* a size is not a rate */
}

static void test_size(void **state)
{
    (void)state;
    assert_qty("1.5MiB", SR_UNIT_SIZE, 1572864.0);
    assert_qty("60KiB", SR_UNIT_SIZE, 61440.0);
    assert_qty("1GiB", SR_UNIT_SIZE, 1073741824.0);
    assert_qty("3B", SR_UNIT_SIZE, 3.0);
    assert_qty("2KB", SR_UNIT_SIZE, 2000.0);
    assert_qty("4MB", SR_UNIT_SIZE, 4e6);
    assert_qty("1GB", SR_UNIT_SIZE, 1e9);
    assert_bad("4Mb", SR_UNIT_SIZE);
    assert_bad("4 KIB", SR_UNIT_SIZE);
}

static void test_other_families(void **state)
{
    (void)state;
    assert_qty("15Hz", SR_UNIT_FREQ, 15.0);
    assert_qty("2kHz", SR_UNIT_FREQ, 2000.0);
    assert_qty("1.2MHz", SR_UNIT_FREQ, 1.2e6);
    assert_qty("500mW", SR_UNIT_POWER, 0.5);
    assert_qty("2.5W", SR_UNIT_POWER, 2.5);
    assert_qty("1.1kW", SR_UNIT_POWER, 1100.0);
    assert_qty("3J", SR_UNIT_ENERGY, 3.0);
    assert_qty("2kJ", SR_UNIT_ENERGY, 2000.0);
    assert_qty("5mJ", SR_UNIT_ENERGY, 5e-3);
    assert_qty("1Wh", SR_UNIT_ENERGY, 3600.0);
    assert_qty("10Gf", SR_UNIT_FLOPS, 1e10);
    assert_qty("1.5Tf", SR_UNIT_FLOPS, 1.5e12);
    assert_qty("3Mf", SR_UNIT_FLOPS, 3e6);
    assert_qty("4kf", SR_UNIT_FLOPS, 4e3);
    assert_qty("7f", SR_UNIT_FLOPS, 7.0);
    assert_qty("2Gflops", SR_UNIT_FLOPS, 2e9);
    assert_bad("15fps", SR_UNIT_FREQ);
    assert_bad("2w", SR_UNIT_POWER);
    assert_bad("1Ws", SR_UNIT_ENERGY);
    assert_bad("10GF", SR_UNIT_FLOPS);
}

static void test_bare_and_malformed(void **state)
{
    (void)state;
    assert_qty("42", SR_UNIT_NONE, 42.0);
    assert_qty("-0.25", SR_UNIT_NONE, -0.25);
    assert_qty("+3e2", SR_UNIT_NONE, 300.0);
    assert_bad("42s", SR_UNIT_NONE);
    assert_bad("", SR_UNIT_TIME);
    assert_bad("ms", SR_UNIT_TIME);
    assert_bad(".s", SR_UNIT_TIME);
    assert_bad("nan", SR_UNIT_NONE);
    assert_bad("inf", SR_UNIT_NONE);
    assert_bad("0x10", SR_UNIT_NONE);
    assert_bad("1..2s", SR_UNIT_TIME);
    assert_bad("1e999s", SR_UNIT_TIME); /* overflows to infinity */
    assert_bad("5", SR_UNIT_COUNT);     /* not a unit kind */
    double v;
    assert_int_equal(sr_parse_quantity(NULL, SR_UNIT_TIME, &v), SR_ERR_INVALID);
    assert_int_equal(sr_parse_quantity("1s", SR_UNIT_TIME, NULL), SR_ERR_INVALID);
}

/* The kind is found from the unit: one sample per family, and the bare number. */
static void test_any_kind(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sr_unit_kind kind;
        double si;
    } cases[] = {
        {"1.1Mbps", SR_UNIT_RATE, 1.1e6}, {"2MBps", SR_UNIT_RATE, 16e6},  {"20ms", SR_UNIT_TIME, 0.02},
        {"2min", SR_UNIT_TIME, 120},      {"60KiB", SR_UNIT_SIZE, 61440}, {"3MB", SR_UNIT_SIZE, 3e6},
        {"2.4GHz", SR_UNIT_FREQ, 2.4e9},  {"250mW", SR_UNIT_POWER, 0.25}, {"1Wh", SR_UNIT_ENERGY, 3600},
        {"1.5Tf", SR_UNIT_FLOPS, 1.5e12}, {"5", SR_UNIT_NONE, 5},         {"-0.5", SR_UNIT_NONE, -0.5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double v = 0;
        sr_unit_kind k = SR_UNIT_COUNT;
        assert_int_equal(sr_parse_quantity_any(cases[i].text, &v, &k), SR_OK);
        assert_int_equal(k, cases[i].kind);
        assert_true(fabs(v - cases[i].si) <= 1e-12 * fabs(cases[i].si));
    }
    double v = 7;
    sr_unit_kind k = SR_UNIT_TIME;
    assert_int_equal(sr_parse_quantity_any("5 apples", &v, &k), SR_ERR_INVALID);
    assert_int_equal(sr_parse_quantity_any("cloud_only", &v, &k), SR_ERR_INVALID);
    assert_int_equal(sr_parse_quantity_any(NULL, &v, &k), SR_ERR_INVALID);
    assert_true(v == 7 && k == SR_UNIT_TIME); /* untouched on error */
    assert_string_equal(sr_unit_kind_base(SR_UNIT_RATE), "bit/s");
    assert_string_equal(sr_unit_kind_base(SR_UNIT_NONE), "");
}

/* The diagnostics collector keeps a message once however often it is reported (a mistake seen from every point
 * of a 1000 x 1000 sweep), in constant time per report, while its count says how many reports came in. */
static void test_diag_dedup(void **state)
{
    (void)state;
    const char *text = "a: 1\nb: 2\n";
    sr_diag *d = sr_diag_create("x.yaml", text);
    assert_non_null(d);
    for (int i = 0; i < 200000; i++) {
        sr_diag_error(d, 2, 4, "bad value %d", 2);
        sr_diag_error(d, 1, 4, "first");
    }
    sr_diag_error(d, 1, 4, "another at the same place");
    assert_int_equal(sr_diag_count(d), 400001);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    sr_diag_print(d, f);
    fclose(f);
    assert_string_equal(out, "x.yaml:1:4: error: first\n    a: 1\n       ^\n"
                             "x.yaml:1:4: error: another at the same place\n    a: 1\n       ^\n"
                             "x.yaml:2:4: error: bad value 2\n    b: 2\n       ^\n");
    free(out);
    sr_diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_dedup),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_rate),
        cmocka_unit_test(test_size),
        cmocka_unit_test(test_other_families),
        cmocka_unit_test(test_bare_and_malformed),
        cmocka_unit_test(test_any_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
