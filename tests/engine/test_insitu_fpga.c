/* test_insitu_fpga.c: an FPGA node whose layers the In-situ AI engines price (profile fpga_model,
 * calibration/sr_cost_fpga.h) running the insitu policy through the engine (real SimGrid runs).
 *
 * The node runs AlexNet inference on executor 0 and the diagnosis (experiments/insitu/jigsaw-patch.cfg, one
 * 115x115 patch per the 9 of an image) on executor 1 (`engines: dedicated`); both start when a frame is
 * captured, so they overlap. Every inference task then lasts exactly the engines' closed form of AlexNet on
 * engine 0 and every diagnosis that of the patch net on engine 1 (sr_cost_fpga_node summed; the closed forms
 * themselves are checked by hand in tests/calibration/test_cost_fpga.c): the dedicated engines of WSS and WS
 * do not slow each other. The NWS design is one engine: its two executors each have half of it, so both tasks
 * take twice their price. System c of the shipped stage table at stage_scale 0.001 (stage 0: 5 images,
 * uploaded). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_cost_fpga.h"
#include "sr_model_source.h"
#include "sr_policy.h"
#include "sr_profile.h"

#define PATCH SR_SOURCE_DIR "/experiments/insitu/jigsaw-patch.cfg"
static const char *const LINK[] = {"lan", NULL};

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1e-3, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

/* The design's closed form of a whole model on one engine (fp32 model, batch 1). */
static double priced(const char *design, const char *source, int engine)
{
    sr_fpga_design d;
    assert_int_equal(sr_fpga_design_preset(design, &d), SR_OK);
    sr_graph *g = NULL;
    char err[256] = "";
    assert_int_equal(sr_model_load(source, 0, 0, 0, 0, &g, NULL, err, sizeof err), SR_OK);
    double t = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        double s = sr_cost_fpga_node(&d, g, id, SR_PREC_FP32, 1, engine);
        assert_true(s >= 0);
        t += s;
    }
    sr_graph_free(g);
    return t;
}

static sr_run_output run_node(const char *profile)
{
    sr_experiment *e = fx_new(20.0, SR_NET_CM02);
    int node = fx_device(e, "node", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e14, 0, 0);
    free(e->devices[node].profile);
    e->devices[node].profile = strdup(profile);
    e->devices[node].executors = 2;
    fx_link(e, "lan", 1e11, 1e-4, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "node", "cloud", 1, LINK);
    fx_model(e, "net", "alexnet");
    fx_model(e, "patch", PATCH);
    fx_source(e, "s0", "node", "net", 10, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "insitu", NULL, NULL, 0);
    const sr_section *sec = e->policy.params_sec;
    void *p = e->policy.params;
    assert_int_equal(sr_params_set_int(sec, p, "system", 2), 0);
    assert_int_equal(sr_params_set_str(sec, p, "cloud", "cloud"), 0);
    assert_int_equal(sr_params_set_str(sec, p, "stages_db", SR_SOURCE_DIR "/experiments/insitu/stages.db"),
                     0);
    assert_int_equal(sr_params_set_str(sec, p, "net", "lenet5"), 0);
    assert_int_equal(sr_params_set_str(sec, p, "diagnosis_model", "patch"), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "frame_size", 1e5), 0);
    assert_int_equal(sr_params_set_int(sec, p, "train_batch", 256), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "stage_scale", 0.001), 0);
    assert_int_equal(sr_params_set_int(sec, p, "diagnosis_batch", 1), 0);
    assert_int_equal(sr_params_set_int(sec, p, "engines", 1), 0);
    sr_engine_opts o = {NULL, NULL, NULL}; /* profiles price the devices; models from the zoo and the .cfg */
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    fx_free(e);
    return out;
}

/* Checks every inference and diagnosis task of a run: duration = factor x the closed form; returns how many
 * frames had both, and how many of those overlapped in time. */
static int check_tasks(const sr_run_output *o, double inf_s, double diag_s, double factor, int *overlapped)
{
    int both = 0;
    *overlapped = 0;
    for (int f = 0; f < 400; f++) {
        const sr_task_record *ti = NULL, *td = NULL;
        for (size_t k = 0; k < o->n_tasks; k++)
            if (o->tasks[k].source == 0 && o->tasks[k].frame == f) {
                if (strcmp(o->tasks[k].label, "inference") == 0) ti = &o->tasks[k];
                if (strcmp(o->tasks[k].label, "diagnosis") == 0) td = &o->tasks[k];
            }
        if (!ti || !td) continue;
        assert_rel(ti->end_s - ti->start_s, factor * inf_s, 1e-9);
        assert_rel(td->end_s - td->start_s, factor * diag_s, 1e-9);
        both++;
        *overlapped += ti->start_s < td->end_s && td->start_s < ti->end_s;
    }
    return both;
}

static void test_dedicated_engines_at_their_closed_form(void **state)
{
    (void)state;
    const struct {
        const char *profile, *design;
        double factor;
    } cases[] = {
        {"vx690t", "vx690t-wss", 1.0}, {"vx690t-ws", "vx690t-ws", 1.0}, {"vx690t-nws", "vx690t-nws", 2.0}};
    double both_done[3];
    for (int c = 0; c < 3; c++) {
        const double inf = priced(cases[c].design, "alexnet", 0), diag = priced(cases[c].design, PATCH, 1);
        both_done[c] = cases[c].factor * fmax(inf, diag);
        sr_run_output o = run_node(cases[c].profile);
        int overlapped = 0;
        const int both = check_tasks(&o, inf, diag, cases[c].factor, &overlapped);
        assert_true(both >= 100); /* 200 frames in 20 s, minus stage 0 and the first model's trip */
        assert_int_equal(overlapped, both);
        sr_run_output_clear(&o);
    }
    /* an image's inference and diagnosis are both done soonest on WSS, latest on WS (the paper's Fig. 22
     * order) */
    assert_true(both_done[0] < both_done[2] && both_done[2] < both_done[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedicated_engines_at_their_closed_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
