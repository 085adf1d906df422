/* test_scale.c: the engine under overload, where the first engine (one SimGrid actor per task of every
 * in-flight frame) ran out of actors, and its tie rule at a device (each run in a forked child).
 *
 * Platform: "cam" (1 Gflop/s) and "cloud" (10 Gflop/s) joined by "wan" (100 Mb/s, 10 ms); the fixture's
 * tiny graph priced by the unit cost model (1e9 flop per layer, two layers): a frame costs 2 s on cam. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"

static void assert_abs(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("got %.15g want %.15g (abs err %.3g > %.3g)\n", got, want, fabs(got - want), tol);
        fail();
    }
}

static const char *const WAN[] = {"wan", NULL};

static sr_experiment *base(double duration_s, double fps)
{
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0.0, 0.0);
    fx_device(e, "cloud", 1, 1e10, 0.0, 0.0);
    fx_link(e, "wan", 100e6, 0.01, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "device_only", NULL, NULL, 0);
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_run_output out;
    assert_int_equal(fx_run_tiny(e, 1, 100, &out), SR_OK);
    return out;
}

/* 40 000 frames arrive within 1 s at a device that needs 2 s per frame (unbounded queue): all of them wait
 * at once, more than SimGrid's ~32k-actor limit under default contexts (the first engine aborted here).
 * FIFO service: frame k (captured at k / fps) starts at 2k and completes at 2 (k + 1). */
static void test_overload_queue(void **state)
{
    (void)state;
    const int n = 40000;
    const double fps = n;
    sr_experiment *e = base(1.0, fps);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, n);
    for (int k = 0; k < n; k++) {
        const sr_frame_record *r = &o.frames[k];
        assert_int_equal(r->frame, k);
        assert_false(r->dropped);
        assert_abs(r->capture_s, k / fps, 1e-9);
        assert_abs(r->complete_s, 2.0 * (k + 1), 1e-6);
        assert_abs(r->queue_s, 2.0 * k - k / fps, 1e-6);
        assert_abs(r->compute_s, 2.0, 1e-9);
    }
    assert_int_equal(o.hosts[0].tasks, n);
    assert_abs(o.hosts[0].busy_s, 2.0 * n, 1e-6);
    assert_abs(o.end_s, 2.0 * n, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Same overload with max_queue 3: frame 0 is served, frames 1..3 wait, and every later frame (all captured
 * before frame 0 ends at 2 s) finds 3 waiting and is dropped. Dropped frames run nothing. */
static void test_overload_drops(void **state)
{
    (void)state;
    const int n = 40000;
    sr_experiment *e = base(1.0, n);
    e->devices[0].max_queue = 3;
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, n);
    for (int k = 0; k < n; k++) {
        assert_int_equal(o.frames[k].dropped, k > 3);
        if (k <= 3)
            assert_abs(o.frames[k].complete_s, 2.0 * (k + 1), 1e-6);
        else
            assert_true(o.frames[k].complete_s < 0 && o.frames[k].compute_s == 0);
    }
    assert_int_equal(o.hosts[0].tasks, 4);
    assert_abs(o.end_s, 8.0, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Arrivals every 1 s, 2 s per frame, max_queue 1, so arrivals at even times coincide with a completion.
 * A completion at the instant of an arrival is handled first (departures before arrivals): the arriving
 * frame finds only the next frame being served and waits. f0 [0,2]; f1 waits, [2,4]; f2 (t=2) waits,
 * [4,6]; f3 (t=3) dropped; f4 (t=4) waits, [6,8]; f5 dropped; f6 (t=6) [8,10]; f7 dropped. */
static void test_departures_before_arrivals(void **state)
{
    (void)state;
    sr_experiment *e = base(7.5, 1.0);
    e->devices[0].max_queue = 1;
    e->metrics.frames = 1;
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 8);
    const int dropped[8] = {0, 0, 0, 1, 0, 1, 0, 1};
    const double done[8] = {2, 4, 6, -1, 8, -1, 10, -1};
    for (int k = 0; k < 8; k++) {
        assert_int_equal(o.frames[k].dropped, dropped[k]);
        if (dropped[k])
            assert_true(o.frames[k].complete_s < 0);
        else
            assert_abs(o.frames[k].complete_s, done[k], 1e-9);
    }
    assert_int_equal(o.hosts[0].tasks, 5);
    /* one task record per frame that ran: ready at capture, started when the previous one ended */
    assert_int_equal(o.n_tasks, 5);
    const int ran[5] = {0, 1, 2, 4, 6};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(o.tasks[i].frame, ran[i]);
        assert_abs(o.tasks[i].ready_s, ran[i], 1e-9);
        assert_abs(o.tasks[i].start_s, 2.0 * i, 1e-9);
        assert_abs(o.tasks[i].end_s, 2.0 * i + 2.0, 1e-9);
    }
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overload_queue),
        cmocka_unit_test(test_overload_drops),
        cmocka_unit_test(test_departures_before_arrivals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
