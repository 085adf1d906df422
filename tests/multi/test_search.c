/* test_search.c: the partition search (Zhou et al.'s eq. 1 and 2).
 *
 * - The dynamic program equals the exhaustive search over every grouping, on random cost tables (with layers
 * that cannot be fused) of 1..12 layers, and on the tables of the models below and of VGG-16 (16 layers; the
 * policy records both optima).
 * - On a model (in 3x32x32 -> conv1 (16) -> relu -> conv2 (16) -> relu -> fc (10)) with the hub and four
 * workers at the same speed: on a slow network it keeps everything on the hub (one device; the latency is the
 * model's time there), on a fast one it spreads the work, is faster than one device and its predicted latency
 * is what the simulation gives.
 * - One worker fails mid-run: jobs in flight that need it fail, the search runs again over the three left,
 * the frames after run with the new plan and complete (a little slower). Cost model: a layer costs its flop /
 * (speed x cores); CM02 without factors; each worker has its own link. */
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
#include "sr_search.h"

static double rnd(unsigned long long *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0;
}

static double grouping_cost(int n, const double *tl, const double *tf, const int *last, int nb)
{
    double c = 0;
    for (int b = 0, i = 0; b < nb; i = last[b] + 1, b++)
        c += last[b] == i ? tl[i] : tf[i * n + last[b]];
    return c;
}

static void test_dp_equals_exhaustive(void **state)
{
    (void)state;
    unsigned long long seed = 42;
    double tl[12], tf[144];
    int a[12], b[12], na, nb;
    for (int trial = 0; trial < 300; trial++) {
        int n = 1 + trial % 12;
        for (int i = 0; i < n; i++) {
            tl[i] = 0.1 + rnd(&seed);
            for (int j = 0; j < n; j++)
                tf[i * n + j] = j <= i             ? NAN
                                : rnd(&seed) < 0.2 ? INFINITY
                                                   : (j - i + 1) * (0.05 + 0.9 * rnd(&seed));
        }
        double dp = sr_search_dp(n, tl, tf, a, &na), ex = sr_search_exhaustive(n, tl, tf, b, &nb);
        if (!(fabs(dp - ex) <= 1e-12 * ex))
            fail_msg("n %d trial %d: dp %.17g exhaustive %.17g", n, trial, dp, ex);
        assert_true(na >= 1 && a[na - 1] == n - 1);
        assert_true(fabs(grouping_cost(n, tl, tf, a, na) - dp) <= 1e-12 * dp);
    }
    /* fusing everything is best when fused blocks cost nothing extra: one block */
    for (int i = 0; i < 6; i++) {
        tl[i] = 1.0;
        for (int j = 0; j < 6; j++)
            tf[i * 6 + j] = 0.5;
    }
    assert_true(sr_search_dp(6, tl, tf, a, &na) == 0.5);
    assert_int_equal(na, 1);
    assert_int_equal(a[0], 5);
    assert_true(isinf(sr_search_dp(0, tl, tf, a, &na)));
}

/* ---- through the engine ---- */

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

static sr_status convs(sr_graph **out)
{
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("convs", &g);
    if (st != SR_OK) return st;
    int x = sr_graph_add_input(g, "in", sr_shape_nchw(1, 3, 32, 32));
    x = sr_graph_conv(g, "conv1", x, 16, 3, 1, 1, 1, 1);
    x = sr_graph_unary(g, SR_OP_RELU, "relu1", x);
    x = sr_graph_conv(g, "conv2", x, 16, 3, 1, 1, 1, 1);
    x = sr_graph_unary(g, SR_OP_RELU, "relu2", x);
    x = sr_graph_fc(g, "fc", x, 10, 1);
    if (x < 0 || sr_graph_infer(g, NULL, 0) != SR_OK) {
        sr_graph_free(g);
        return SR_ERR_INVALID;
    }
    *out = g;
    return SR_OK;
}

static sr_status load(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    return convs(out);
}

#define SPEED 1e7

/* cam (hub) and workers: `pod` (count 3) and `pod3` (1), each instance with its own link of bw_bps, 1 ms. */
static sr_experiment *platform(double bw_bps, double duration_s, double fps)
{
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", 1, SPEED, 0, 0);
    const char *groups[] = {"pod", "pod3"};
    int counts[] = {3, 1};
    for (int i = 0; i < 2; i++) {
        fx_device(e, groups[i], counts[i], SPEED, 0, 0);
        char lname[16];
        snprintf(lname, sizeof lname, "l%s", groups[i]);
        fx_link(e, lname, bw_bps, 1e-3, SR_SHARING_SHARED, groups[i], counts[i]);
        const char *links[] = {lname, NULL};
        fx_route(e, "cam", groups[i], 1, links);
    }
    fx_model(e, "m", "convs");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "partition_search", NULL, NULL, 0);
    assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, "workers", "pod,pod3"), 0);
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_engine_opts o = {&flop_cost, load, NULL};
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
    if (sr_run_output_metric(o, name, &v) != SR_OK) fail_msg("no metric %s", name);
    return v;
}

static double model_seconds(void)
{
    sr_graph *g = NULL;
    assert_int_equal(convs(&g), SR_OK);
    double t = 0;
    for (int id = 1; id < sr_graph_node_count(g); id++)
        t += sr_node_flops(g, id) / SPEED;
    sr_graph_free(g);
    return t;
}

static void test_slow_network_one_device(void **state)
{
    (void)state;
    sr_experiment *e = platform(1e5, 0.05, 10.0);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_true(metric(&o, "search_devices") == 1.0);
    assert_true(metric(&o, "search_blocks") == 3.0); /* conv1, conv2, fc: each local */
    assert_true(fabs(o.frames[0].latency_s - model_seconds()) <= 1e-9);
    if (!(fabs(metric(&o, "search_predicted_latency_s") - model_seconds()) <= 1e-9))
        fail_msg("predicted %.12g, model %.12g", metric(&o, "search_predicted_latency_s"), model_seconds());
    assert_int_equal(o.frames[0].bytes_sent, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

static void test_fast_network_spreads(void **state)
{
    (void)state;
    sr_experiment *e = platform(1e10, 0.05, 10.0);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_true(metric(&o, "search_devices") > 1.0);
    double lat = o.frames[0].latency_s, pred = metric(&o, "search_predicted_latency_s");
    assert_true(lat < 0.5 * model_seconds());
    /* the DP's optimum is the exhaustive search's on the same tables */
    assert_true(fabs(pred - metric(&o, "search_exhaustive_latency_s")) <= 1e-12 * pred);
    if (!(fabs(lat - pred) <= 0.01 * pred)) fail_msg("simulated %.9g s, predicted %.9g s", lat, pred);
    sr_run_output_clear(&o);
    fx_free(e);
}

static void test_replaced_after_failure(void **state)
{
    (void)state;
    sr_experiment *e = platform(1e10, 1.0, 10.0);
    sr_outage *o1 = calloc(1, sizeof *o1);
    o1->at_s = 0.32;
    o1->for_s = 100.0;
    e->devices[2].failures.n = 1; /* pod3 */
    e->devices[2].failures.list = o1;
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 10);
    int failed = 0, after = 0;
    double before_lat = 0, after_lat = 0;
    for (size_t i = 0; i < o.n_frames; i++) {
        const sr_frame_record *r = &o.frames[i];
        if (strcmp(r->outcome, "failed") == 0) {
            failed++;
            assert_true(r->capture_s < 0.32);
        } else {
            assert_string_equal(r->outcome, "completed");
            if (r->capture_s < 0.3) before_lat = r->latency_s;
            if (r->capture_s > 0.32) after_lat = r->latency_s, after++;
        }
    }
    assert_true(failed >= 1);
    assert_int_equal(after, 6); /* frames captured at 0.4 .. 0.9 */
    assert_true(after_lat > before_lat);
    assert_true(metric(&o, "search_replans") >= 1.0);
    assert_true(metric(&o, "frames_failed") == failed);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dp_equals_exhaustive),
        cmocka_unit_test(test_slow_network_one_device),
        cmocka_unit_test(test_fast_network_spreads),
        cmocka_unit_test(test_replaced_after_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
