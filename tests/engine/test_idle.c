/* test_idle.c: compute after idle (calibration/sr_idle.h) — the curve's interpolation and checks, and the engine
 * pricing a task that starts on an idle executor at factor(gap) x its work (real SimGrid runs).
 *
 * The engine runs: cam at 1e10 flop/s runs the tiny graph device_only, 2 x 1e9 flop = 0.2 s per frame warm,
 * with the curve gaps (0.1 s, 1 s) -> factors (1.5, 2.0), i.e. f(g) = 1 + 5 g below 0.1 s, 1.5 + 0.5 log10(g / 0.1)
 * between, 2 beyond 1 s and for the first task. Expected completion times are computed here from that closed
 * form, not by the engine's function. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_idle.h"

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("got %.15g want %.15g (abs err %.3g > %.3g)\n", got, want, fabs(got - want), tol);
        fail();
    }
}

static double closed_form(double g)
{
    if (!(g > 0)) return 1.0;
    if (g <= 0.1) return 1.0 + 5.0 * g;
    if (g <= 1.0) return 1.5 + 0.5 * log10(g / 0.1);
    return 2.0;
}

static const sr_idle_curve CURVE = {2, {0.1, 1.0}, {1.5, 2.0}};

static void test_factor(void **state)
{
    (void)state;
    const double gaps[] = {0, -1, 0.01, 0.05, 0.1, 0.2, 0.5, 0.99, 1.0, 3.0, INFINITY};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        assert_close(sr_idle_factor(&CURVE, gaps[i]), closed_form(gaps[i]), 1e-12);
    sr_idle_curve none = {0, {0}, {0}};
    assert_close(sr_idle_factor(&none, 5.0), 1.0, 0);
    assert_close(sr_idle_factor(NULL, 5.0), 1.0, 0);
    /* three points: log-linear on each segment */
    sr_idle_curve three = {3, {0.01, 0.1, 1.0}, {1.1, 1.3, 1.4}};
    assert_close(sr_idle_factor(&three, sqrt(0.01 * 0.1)), 1.2, 1e-12);
    assert_close(sr_idle_factor(&three, sqrt(0.1)), 1.35, 1e-12);
    assert_close(sr_idle_factor(&three, 0.005), 1.05, 1e-12);

    /* measured ratios to factors: the monotone least-squares fit, then >= 1 */
    const double ratio[6] = {0.98, 1.2, 1.1, 1.3, 1.5, 1.4}, want[6] = {1.0, 1.15, 1.15, 1.3, 1.45, 1.45};
    double got[6];
    sr_idle_monotone(ratio, 6, got);
    for (int i = 0; i < 6; i++)
        assert_close(got[i], want[i], 1e-12);
    const double dip[3] = {1.4, 1.2, 1.0}; /* all one block: their mean */
    sr_idle_monotone(dip, 3, got);
    for (int i = 0; i < 3; i++)
        assert_close(got[i], 1.2, 1e-12);

    char why[160];
    assert_int_equal(sr_idle_curve_check(&CURVE, why, sizeof why), 0);
    sr_idle_curve bad = {2, {0.1, 0.1}, {1.5, 2.0}};
    assert_int_equal(sr_idle_curve_check(&bad, why, sizeof why), -1);
    assert_non_null(strstr(why, "gaps must increase"));
    bad = (sr_idle_curve){2, {0.1, 1.0}, {0.9, 2.0}};
    assert_int_equal(sr_idle_curve_check(&bad, why, sizeof why), -1);
    assert_non_null(strstr(why, "factor must be >= 1"));
    bad = (sr_idle_curve){1, {0.0}, {1.5}};
    assert_int_equal(sr_idle_curve_check(&bad, why, sizeof why), -1);
    assert_non_null(strstr(why, "gap_s must be > 0"));
    bad.n = SR_IDLE_MAX_POINTS + 1;
    assert_int_equal(sr_idle_curve_check(&bad, why, sizeof why), -1);
}

static sr_experiment *cam(double duration_s, double fps, int idle);

/* The spread: 1.4826 x the median |log(x / median)|, the deviations handed back. */
static void test_log_spread(void **state)
{
    (void)state;
    const double x[5] = {1.0, exp(0.1), exp(-0.1), exp(0.2), exp(-0.2)};
    double dev[5];
    int n = 0;
    assert_close(sr_idle_log_spread(x, 5, dev, &n), 1.4826 * 0.1, 1e-12);
    assert_int_equal(n, 5);
    assert_close(dev[3], 0.2, 1e-12);
    assert_close(sr_idle_log_spread(x, 1, NULL, NULL), 0.0, 0);
    /* the 95th percentile of 0.00, 0.01, ..., 0.20 (21 values, position 19) is 0.19 */
    double d[21];
    for (int i = 0; i < 21; i++)
        d[20 - i] = 0.01 * i;
    assert_close(sr_idle_sigma_q95(d, 21), 0.19 / 1.6448536269514722, 1e-12);
    double neg[3] = {-0.3, -0.2, -0.1};
    assert_close(sr_idle_sigma_q95(neg, 3), 0.0, 0);
}

static sr_experiment *cam(double duration_s, double fps, int idle)
{
    static const char *const WAN[] = {"wan", NULL};
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e10, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "wan", 1e8, 0.01, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "device_only", NULL, NULL, 0);
    sr_device_spec *d = &e->devices[0];
    d->idle_slowdown = idle;
    d->idle_n = CURVE.n;
    for (int i = 0; i < CURVE.n; i++)
        d->idle_gap_s[i] = CURVE.gap_s[i], d->idle_factor[i] = CURVE.factor[i];
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_run_output out;
    assert_int_equal(fx_run_tiny(e, 1, 100, &out), SR_OK);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    const double v = fx_metric(o, name);
    assert_false(isnan(v));
    return v;
}

/* Frames every `period` s, each 0.2 s warm: the completion times the closed form gives (a frame that arrives
 * while the executor is busy starts warm when it frees). Returns how many started after idle with factor > 1. */
static int expected_ends(double period, int n, double *end)
{
    double free_at = -INFINITY;
    int slowed = 0;
    for (int k = 0; k < n; k++) {
        const double arrive = period * k;
        double start, f;
        if (arrive >= free_at) {
            start = arrive;
            f = k == 0 ? 2.0 : closed_form(arrive - free_at);
            slowed += f > 1.0;
        } else {
            start = free_at, f = 1.0;
        }
        free_at = end[k] = start + 0.2 * f;
    }
    return slowed;
}

static void check_run(double period, int n, double duration_s)
{
    sr_experiment *e = cam(duration_s, 1.0 / period, 1);
    sr_run_output o = run(e);
    double end[16];
    assert_true(n <= 16);
    const int slowed = expected_ends(period, n, end);
    assert_int_equal(o.n_frames, n);
    for (int k = 0; k < n; k++)
        assert_close(o.frames[k].complete_s, end[k], 1e-9);
    assert_close(metric(&o, "idle_slowed_tasks"), slowed, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* One frame a second: every forward starts after 0.6-0.8 s of idle (factor 1.89 to 1.9), the first at 2. */
static void test_spaced_frames(void **state)
{
    (void)state;
    check_run(1.0, 4, 3.5);
}

/* A frame every 0.45 s: gaps of 0.05 s (below the first point: linear from 1), then 0.2 s, 0.12 s, ... */
static void test_short_gaps(void **state)
{
    (void)state;
    check_run(0.45, 6, 2.5);
}

/* A frame every 0.05 s: the first is cold (0.4 s), every other one queued behind it and starts warm (0.2 s). */
static void test_queued_frames_are_warm(void **state)
{
    (void)state;
    double end[5];
    assert_int_equal(expected_ends(0.05, 5, end), 1);
    assert_close(end[0], 0.4, 1e-12);
    assert_close(end[4], 1.2, 1e-12);
    check_run(0.05, 5, 0.24);
}

/* compute_jitter: each task's time is 0.2 s x exp(sigma z); over 400 frames alone (no idle curve) the median of
 * log(time / 0.2) is about 0 and 1.4826 x its median absolute value about sigma; the same seed draws the same
 * times, another seed others; compute_jitter false (or sigma 0) gives 0.2 s exactly. */
static void test_jitter(void **state)
{
    (void)state;
    sr_experiment *e = cam(400.0, 1.0, 0);
    e->devices[0].idle_n = 0;
    e->devices[0].compute_jitter = 1;
    e->devices[0].jitter_sigma = 0.1;
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 400);
    double x[400];
    for (int k = 0; k < 400; k++)
        x[k] = o.frames[k].complete_s - k; /* alone: latency = compute */
    int n = 0;
    double dev[400];
    const double sigma = sr_idle_log_spread(x, 400, dev, &n);
    print_message("jitter: sigma 0.1 drawn, %.4f measured over 400 tasks\n", sigma);
    assert_true(fabs(sigma - 0.1) < 0.012); /* the MAD estimate's standard error at n = 400 is about 0.006 */
    double lx[400];
    for (int k = 0; k < 400; k++)
        lx[k] = log(x[k] / 0.2);
    double below = 0;
    for (int k = 0; k < 400; k++)
        below += lx[k] < 0;
    assert_true(below > 160 && below < 240); /* the median is the price: about half below it */
    sr_run_output again = run(e);
    for (int k = 0; k < 400; k++)
        assert_close(again.frames[k].complete_s, o.frames[k].complete_s, 0);
    sr_run_output_clear(&again);
    sr_run_output other;
    assert_int_equal(fx_run_tiny(e, 2, 100, &other), SR_OK);
    int differ = 0;
    for (int k = 0; k < 400; k++)
        differ += other.frames[k].complete_s != o.frames[k].complete_s;
    assert_true(differ > 390);
    sr_run_output_clear(&other);
    sr_run_output_clear(&o);
    e->devices[0].compute_jitter = 0;
    o = run(e);
    for (int k = 0; k < 400; k++)
        assert_close(o.frames[k].complete_s, k + 0.2, 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* idle_slowdown false: every frame 0.2 s after its arrival, and no idle metrics. */
static void test_off(void **state)
{
    (void)state;
    sr_experiment *e = cam(3.5, 1.0, 0);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 4);
    for (int k = 0; k < 4; k++)
        assert_close(o.frames[k].complete_s, k + 0.2, 1e-9);
    double v;
    assert_int_not_equal(sr_run_output_metric(&o, "idle_slowed_tasks", &v), SR_OK);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_factor),
        cmocka_unit_test(test_spaced_frames),
        cmocka_unit_test(test_short_gaps),
        cmocka_unit_test(test_queued_frames_are_warm),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_log_spread),
        cmocka_unit_test(test_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
