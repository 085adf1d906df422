/* test_pipeline.c: the pipeline policy against the closed form of a two-device pipeline on an idle network.
 *
 * Platform: cam -> wan (80 Mbit/s, 10 ms) -> pod0, pod0 -> lan (800 Mbit/s, 1 ms) -> pod1; CM02 without
 * factors, so b bytes alone take latency + 8 b / bandwidth. Model "tiny" (in -> fc1 (100) -> fc2 (10)), cut
 * after fc1. Cost model: a layer costs its flop / (speed x cores), so stage times are fc1's and fc2's flop
 * over the pods' speed. Alone, a frame takes the sum of its transfers and stages; a stream faster than the
 * slowest stage completes one frame every slowest-stage time. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_policy.h"

#define WAN_BPS 8e7
#define WAN_LAT 0.01
#define LAN_BPS 8e8
#define LAN_LAT 0.001
static const char *const WAN[] = {"wan", NULL};
static const char *const LAN[] = {"lan", NULL};

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

static sr_status flop_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                             int last, sr_precision p, int batch, double *seconds)
{
    (void)m, (void)p;
    double t = 0;
    for (int id = first; id <= last; id++)
        t += batch * sr_node_flops(g, id) / (dev->speed_flops * dev->cores);
    *seconds = t;
    return SR_OK;
}
static const sr_cost_model_ops flop_ops = {"flop", flop_layers, NULL, 0};
static const sr_cost_model flop_cost = {&flop_ops, NULL};

static sr_status tiny(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    return fx_tiny_graph(100, out);
}

static sr_experiment *two_stage(double duration_s, double fps, double pod_speed)
{
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    fx_device(e, "pod", 2, pod_speed, 0, 0);
    fx_link(e, "wan", WAN_BPS, WAN_LAT, SR_SHARING_SHARED, NULL, 1);
    fx_link(e, "lan", LAN_BPS, LAN_LAT, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "pod", 1, WAN);
    fx_route(e, "pod", "pod", 0, LAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "pipeline", NULL, NULL, 1e5);
    const sr_policy_ops *ops = sr_policy_find("pipeline");
    assert_non_null(ops);
    assert_int_equal(sr_params_set_str(ops->params, e->policy.params, "stages", "pod"), 0);
    assert_int_equal(sr_params_set_str(ops->params, e->policy.params, "cuts", "fc1"), 0);
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_engine_opts o = {&flop_cost, tiny, NULL};
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    return out;
}

static void test_two_stage_closed_form(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(100, &g), SR_OK);
    const double speed = 1e5;
    double t1 = sr_node_flops(g, 1) / speed, t2 = sr_node_flops(g, 2) / speed;
    double act_bytes = (double)sr_node_output_bytes(g, 1, SR_PREC_FP32);
    sr_graph_free(g);
    double frame = WAN_LAT + 1e5 * 8 / WAN_BPS, act = LAN_LAT + act_bytes * 8 / LAN_BPS;
    assert_true(t1 > t2 && t1 > frame); /* stage 0 is the bottleneck */

    /* one frame alone: latency = sum */
    sr_experiment *e = two_stage(0.5, 1.0, speed);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_string_equal(o.frames[0].outcome, "completed");
    assert_rel(o.frames[0].latency_s, frame + t1 + act + t2, 1e-9);
    assert_int_equal(o.frames[0].bytes_sent, (int64_t)(1e5 + act_bytes));
    sr_run_output_clear(&o);
    fx_free(e);

    /* 10 frames 0.1 s apart: frame k completes at frame + (k + 1) t1 + act + t2: one per t1 */
    e = two_stage(1.0, 10.0, speed);
    o = run(e);
    assert_int_equal(o.n_frames, 10);
    for (size_t i = 0; i < o.n_frames; i++) {
        const sr_frame_record *r = &o.frames[i];
        assert_rel(r->complete_s, frame + (double)(r->frame + 1) * t1 + act + t2, 1e-9);
    }
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_stage_closed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
