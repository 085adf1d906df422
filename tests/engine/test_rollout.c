/* test_rollout.c: the rollout policy (policies/rollout.c, Hammer's cast of a new rune to a fleet) against closed
 * forms. Platform: gw (one gateway) -> ble (1 Mbit/s, 10 ms, CM02 without factors: a transfer of b bytes alone
 * takes 0.01 + 8 b / 1e6 s) -> mcu0..mcu3; a 10 000 B image, flash written at 1e5 B/s (0.1 s), 0.5 s reboot:
 * one deployment takes D = 0.01 + 0.08 + 0.1 + 0.5 = 0.69 s. One source on the gateway at a negligible rate
 * keeps the run a normal one (its jobs run on the gateway's CPU, not on the radio). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "failures.h"
#include "sr_policy.h"

#define D_S (0.01 + 10000.0 * 8 / 1e6 + 10000.0 / 1e5 + 0.5)
static const char *const BLE[] = {"ble", NULL};

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

static sr_experiment *fleet(int n_mcu, int parallel, int max_retries)
{
    sr_experiment *e = fx_new(20.0, SR_NET_CM02);
    fx_device(e, "gw", 1, 1e10, 0, 0);
    fx_device(e, "mcu", n_mcu, 1e9, 0, 0);
    fx_link(e, "ble", 1e6, 0.01, SR_SHARING_SHARED, "mcu", n_mcu);
    fx_route(e, "gw", "mcu", 1, BLE);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "gw", "m", 0.01, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "rollout", NULL, NULL, 0);
    const sr_section *sec = e->policy.params_sec;
    void *p = e->policy.params;
    assert_int_equal(sr_params_set_str(sec, p, "gateway", "gw"), 0);
    assert_int_equal(sr_params_set_str(sec, p, "targets", "mcu"), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "image_size", 10000), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "flash_write", 1e5), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "reboot", 0.5), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "start", 0), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "retry_after", 1.0), 0);
    assert_int_equal(sr_params_set_int(sec, p, "parallel", parallel), 0);
    assert_int_equal(sr_params_set_int(sec, p, "max_retries", max_retries), 0);
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    static int act = 100;
    sr_engine_opts o = fx_opts(&act);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    assert_int_equal(sr_run_output_metric(o, name, &v), SR_OK);
    return v;
}

/* One gateway casting to 4 targets one at a time: they end at D, 2D, 3D, 4D; two at a time (each target has
 * its own BLE link): 2D. */
static void test_one_gateway_closed_form(void **state)
{
    (void)state;
    for (int parallel = 1; parallel <= 2; parallel++) {
        sr_experiment *e = fleet(4, parallel, 3);
        sr_run_output out = run(e);
        assert_rel(metric(&out, "rollout_done"), 4, 0);
        assert_rel(metric(&out, "rollout_failed"), 0, 0);
        assert_rel(metric(&out, "rollout_pending"), 0, 0);
        assert_rel(metric(&out, "rollout_attempts"), 4, 0);
        assert_rel(metric(&out, "rollout_retries"), 0, 0);
        assert_rel(metric(&out, "rollout_completion_s"), (4 / parallel) * D_S, 1e-9);
        sr_run_output_clear(&out);
        fx_free(e);
    }
}

/* Every BLE link (the failure schedule of a per-device link applies to each instance) is down during
 * [0.05, 0.06): mcu0's cast (0 .. 0.09) is cut at 0.05, and the gateway's next casts, started at 0.05 on links
 * that are down, fail at once. Without retries all four fail at 0.05. With one retry each rejoins the queue at
 * 0.05 + 1 s and they run one after the other: the last ends at 1.05 + 4 D, after 8 attempts. */
static void test_link_failure_retry(void **state)
{
    (void)state;
    for (int max_retries = 0; max_retries <= 1; max_retries++) {
        sr_experiment *e = fleet(4, 1, max_retries);
        sr_outage *o = malloc(sizeof *o);
        o->at_s = 0.05;
        o->for_s = 0.01;
        e->links[0].failures.n = 1;
        e->links[0].failures.list = o;
        sr_run_output out = run(e);
        assert_rel(metric(&out, "rollout_done"), max_retries ? 4 : 0, 0);
        assert_rel(metric(&out, "rollout_failed"), max_retries ? 0 : 4, 0);
        assert_rel(metric(&out, "rollout_pending"), 0, 0);
        assert_rel(metric(&out, "rollout_attempts"), max_retries ? 8 : 4, 0);
        assert_rel(metric(&out, "rollout_retries"), max_retries ? 4 : 0, 0);
        assert_rel(metric(&out, "rollout_completion_s"), max_retries ? 0.05 + 1.0 + 4 * D_S : 0.05, 1e-9);
        sr_run_output_clear(&out);
        fx_free(e);
    }
}

/* A retry due after the end of the run is not made: the deployment stays pending. */
static void test_retry_after_end_pending(void **state)
{
    (void)state;
    sr_experiment *e = fleet(2, 1, 3);
    e->duration_s = 0.5;
    assert_int_equal(sr_params_set_dbl(e->policy.params_sec, e->policy.params, "retry_after", 10.0), 0);
    sr_outage *o = malloc(sizeof *o);
    o->at_s = 0.05;
    o->for_s = 0.01;
    e->links[0].failures.n = 1;
    e->links[0].failures.list = o;
    sr_run_output out = run(e);
    assert_rel(metric(&out, "rollout_done"), 0, 0);
    assert_rel(metric(&out, "rollout_pending"), 2, 0);
    assert_rel(metric(&out, "rollout_attempts"), 2, 0);
    sr_run_output_clear(&out);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_gateway_closed_form),
        cmocka_unit_test(test_link_failure_retry),
        cmocka_unit_test(test_retry_after_end_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
