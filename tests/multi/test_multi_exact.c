/* test_multi_exact.c: exact mode runs the parts of partitioned plans (tiles, channel slices) with the real
 * kernels and stitches them; the stitched output must equal the plain forward within SR_EXACT_STITCH_TOL of
 * max |out| for every scheme and grid, and the run records it (stitched_frames, stitch_max_err_rel,
 * stitch_equal).
 *
 * Model: tiny-yolov2 at 3x64x64 (zoo weights: conv, batch norm, leaky ReLU, max pooling, one stride-1 pool),
 * on four workers with a camera as hub; 2 frames per run. AlexNet's fully-connected layers as channel slices.
 * Then the pipeline policy's chains with two uncoded cuts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_exact.h"
#include "sr_model_source.h"
#include "sr_policy.h"

static const char *const LAN[] = {"lan", NULL};

static sr_experiment *base(const char *policy, const char *model, int c, int hw)
{
    sr_experiment *e = fx_new(0.15, SR_NET_CM02);
    e->mode = SR_MODE_EXACT;
    e->seed = 3;
    fx_device(e, "cam", 1, 1e9, 0, 0);
    fx_device(e, "pod", 4, 1e9, 0, 0);
    fx_link(e, "lan", 1e9, 1e-4, SR_SHARING_SHARED, "pod", 4);
    fx_route(e, "cam", "pod", 1, LAN);
    int m = fx_model(e, "m", model);
    e->models[m].input_c = c;
    e->models[m].input_h = e->models[m].input_w = hw;
    int s = fx_source(e, "s", "cam", "m", 10.0, SR_ARRIVAL_PERIODIC, 0.0);
    e->sources[s].width = 80;
    e->sources[s].height = 72;
    fx_policy(e, policy, NULL, NULL, 0);
    return e;
}

static void set(sr_experiment *e, const char *k, const char *v)
{
    assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, k, v), 0);
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    if (sr_run_output_metric(o, name, &v) != SR_OK) fail_msg("no metric %s", name);
    return v;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_engine_opts o = {NULL, NULL, NULL};
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    return out;
}

static void test_every_scheme_stitches_exactly(void **state)
{
    (void)state;
    static const struct {
        const char *blocks, *schemes, *grid, *shares;
    } cases[] = {
        {"leaky4,leaky10", "fused", NULL, NULL}, /* 4 strips through 3 fused blocks */
        {"leaky4,leaky10", "fused", "2x2", NULL},
        {"maxpool5", "fused,local", "5x5", NULL}, /* DeepThings' grid over 12 fused layers */
        {NULL, "spatial", "3x1", NULL},           /* layer-wise tiles, every layer */
        {NULL, "channel", NULL, NULL},            /* layer-wise channel slices, every layer */
        {"maxpool5,leaky10", "fused,channel,local", NULL, NULL},
        {"maxpool5,leaky10", "spatial,fused,channel", "2x1", NULL},
        {"leaky4", "fused,channel", NULL, "adaptive"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sr_experiment *e = base("parallel", "tiny-yolov2", 3, 64);
        if (c == 7) e->devices[1].cpu_cores = 0.25; /* adaptive: strips of unequal height */
        set(e, "workers", "pod");
        if (cases[c].blocks) set(e, "blocks", cases[c].blocks);
        set(e, "schemes", cases[c].schemes);
        if (cases[c].grid) set(e, "grid", cases[c].grid);
        if (cases[c].shares)
            assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, "shares", 1), 0);
        sr_run_output o = run(e);
        assert_int_equal(o.n_frames, 2);
        double err = metric(&o, "stitch_max_err_rel");
        if (!(err <= SR_EXACT_STITCH_TOL))
            fail_msg("case %zu (%s / %s): stitched output off by %g of max |out|", c, cases[c].schemes,
                     cases[c].grid ? cases[c].grid : "-", err);
        if (getenv("SR_TEST_VERBOSE")) fprintf(stderr, "case %zu: stitch_max_err_rel %.3g\n", c, err);
        assert_true(metric(&o, "stitch_equal") == 1.0);
        assert_true(metric(&o, "stitched_frames") == 2.0);
        assert_true(metric(&o, "top1_agreement") == 1.0);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

/* The check can fail: a plan whose tile misses part of the output leaves zeros there. */
static void test_stitch_detects_a_gap(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512] = "";
    assert_int_equal(sr_model_load("tiny-yolov2", 3, 64, 64, 3, &g, &w, err, sizeof err), SR_OK);
    sr_exact *x = NULL;
    assert_int_equal(sr_exact_create(g, w, -1, NULL, 64, 64, 1, &x, err, sizeof err), SR_OK);
    sr_plan *p = NULL;
    assert_int_equal(sr_plan_create(&p), SR_OK);
    sr_plan_dev d = {SR_ROLE_OTHER, 0, 0};
    int last = sr_graph_node_count(g) - 1;
    int a = sr_plan_add_layers(p, d, 0, 1, last, "top");
    assert_int_equal(sr_plan_set_part(p, a, (sr_plan_part){0, 1, 0, 2, 0, 0}), SR_OK); /* row 0 of 2 only */
    sr_exact_result r;
    assert_int_equal(sr_exact_run_frame_plan(x, p, &r, err, sizeof err), SR_OK);
    assert_int_equal(r.partitioned, 1);
    assert_true(r.stitch_err_rel > 1e-2);
    /* the whole output as one tile is exact */
    sr_plan_task_mut(p, a)->part = (sr_plan_part){0, 2, 0, 2, 0, 0};
    assert_int_equal(sr_exact_run_frame_plan(x, p, &r, err, sizeof err), SR_OK);
    assert_true(r.stitch_err_rel <= SR_EXACT_STITCH_TOL);
    sr_plan_free(p);
    sr_exact_free(x);
    sr_weights_free(w);
    sr_graph_free(g);
}

/* Fully-connected layers sliced by output neurons (Zhou's Parallel FC blocks): AlexNet at 224x224, its conv
 * blocks as fused tiles and layer-wise tiles, its classifier as channel slices of fc6, fc7 and fc8. */
static void test_fc_slices_stitch_exactly(void **state)
{
    (void)state;
    sr_experiment *e = base("parallel", "alexnet", 3, 224);
    set(e, "workers", "pod");
    set(e, "blocks", "features.5,features.12");
    set(e, "schemes", "fused,spatial,channel");
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 2);
    double err = metric(&o, "stitch_max_err_rel");
    if (!(err <= SR_EXACT_STITCH_TOL)) fail_msg("stitched output off by %g of max |out|", err);
    assert_true(metric(&o, "stitch_equal") == 1.0);
    assert_true(metric(&o, "top1_agreement") == 1.0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* A pipeline of three stages (two uncoded cuts) runs in exact mode as a chain: its output is the plain
 * forward's. */
static void test_pipeline_chain(void **state)
{
    (void)state;
    sr_experiment *e = base("pipeline", "tiny-yolov2", 3, 64);
    fx_route(e, "pod", "pod", 0, LAN);
    set(e, "stages", "pod");
    set(e, "cuts", "leaky4,leaky10");
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 2);
    assert_true(metric(&o, "exact_frames") == 2.0);
    assert_true(metric(&o, "output_rel_l2_mean") == 0.0);
    assert_true(metric(&o, "top1_agreement") == 1.0);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_scheme_stitches_exactly),
        cmocka_unit_test(test_stitch_detects_a_gap),
        cmocka_unit_test(test_fc_slices_stitch_exactly),
        cmocka_unit_test(test_pipeline_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
