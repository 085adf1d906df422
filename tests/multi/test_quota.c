/* test_quota.c: a device's CPU quota (`cpu`, Kubernetes millicores) and container overhead through the
 * engine.
 *
 * The tiny model (two fc layers) under the unit cost model costs 1e9 flop per layer at speed x cores, so one
 * frame of device_only on a 1 Gflop/s single core takes 2 s. A quota of q cores multiplies every compute time
 * by cores / q; the container overhead adds a fixed time per compute task. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_policy.h"

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

/* One frame on `cam` (device_only): its latency. */
static double one_frame(int cores, double cpu, double overhead_s)
{
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    e->devices[0].cores = cores;
    e->devices[0].cpu_cores = cpu;
    e->devices[0].container_overhead_s = overhead_s;
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "device_only", NULL, NULL, 0);
    int act = 100;
    sr_engine_opts o = fx_opts(&act);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    assert_int_equal(out.n_frames, 1);
    double lat = out.frames[0].latency_s;
    sr_run_output_clear(&out);
    fx_free(e);
    return lat;
}

/* Time scales by cores / cpu exactly: 1 core at 1000m, 500m, 125m; 4 cores at all of them (4 x 0.5 s) and
 * at 500m (8 x 0.5 s). */
static void test_quota_scales_time(void **state)
{
    (void)state;
    assert_rel(one_frame(1, 0, 0), 2.0, 1e-12);
    assert_rel(one_frame(1, 1.0, 0), 2.0, 1e-12);
    assert_rel(one_frame(1, 0.5, 0), 4.0, 1e-12);
    assert_rel(one_frame(1, 0.125, 0), 16.0, 1e-12);
    assert_rel(one_frame(4, 0, 0), 0.5, 1e-12);
    assert_rel(one_frame(4, 0.5, 0), 4.0, 1e-12);
}

/* The container overhead is added once per compute task (device_only has one), after the quota's scaling. */
static void test_container_overhead(void **state)
{
    (void)state;
    assert_rel(one_frame(1, 0, 0.25), 2.25, 1e-12);
    assert_rel(one_frame(1, 0.5, 0.25), 4.25, 1e-12);
}

/* The pricing pass itself: a fixed-seconds task keeps its time under a quota (it is not CPU work), a flop
 * task scales. */
static void test_price_factor(void **state)
{
    (void)state;
    sr_device_spec d = {0};
    d.cores = 2;
    assert_rel(sr_price_quota_factor(&d), 1.0, 0);
    d.cpu_cores = 0.5;
    assert_rel(sr_price_quota_factor(&d), 4.0, 0);
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    e->devices[0].cpu_cores = 0.5;
    sr_policy_env env = {.exp = e};
    sr_plan_task t = {
        .kind = SR_TASK_COMPUTE, .dev = {SR_ROLE_SOURCE, 0, 0}, .work = SR_WORK_SECONDS, .amount = 3};
    double s = 0;
    assert_int_equal(sr_price_task(&env, &t, 1, &s, NULL, 0), SR_OK);
    assert_rel(s, 3.0, 0);
    t.work = SR_WORK_FLOPS;
    t.amount = 1e9;
    assert_int_equal(sr_price_task(&env, &t, 1, &s, NULL, 0), SR_OK);
    assert_rel(s, 2.0, 1e-15);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_quota_scales_time),
        cmocka_unit_test(test_container_overhead),
        cmocka_unit_test(test_price_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
