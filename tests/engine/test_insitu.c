/* test_insitu.c: the insitu policy (policies/insitu.c) through the engine, against closed forms.
 *
 * The stage table is written by the test with round fractions, so every time and byte is known (the table
 * a real model measures is tested in tests/learntab). Platform: cam (1 Gflop/s) -> wan (10 MB/s, 10 ms) ->
 * cloud (10 Gflop/s); model "tiny" (input 1000 -> fc1 100 -> fc2 10); each layer costs 1e9 flop per image
 * (fx_unit_cost, linear in the batch): inference or diagnosis 2 s on the cam, 0.2 s per image forward in the
 * cloud. Frames of 1 MB every 5 s. Stages end after 4, 8 and 16 jobs.
 *
 * Training MACs per image (policies/insitu.c): fc1 100,000 and fc2 1,000 MACs forward; trained from layer 0,
 * both layers add 2x (weight and input gradient) -> 3 x 101,000; system d trains from fc2 (transfer_from), which
 * adds only its weight gradient -> 102,000. Cloud time of an update = that ratio x epochs x images x 0.2 s
 * (batches of 256: one partial batch here). Pushes: fp32 weights, fc1 + fc2 = 404,440 bytes, fc2 alone 4,040. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "gpu_insitu_time.h"
#include "sr_hw_graph.h"
#include "sr_learntab.h"
#include "sr_policy.h"

#define BW_BPS 8e7
#define LAT_S 0.01
#define FRAME 1e6
static const char *const WAN[] = {"wan", NULL};
static char g_db[64];

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

static sr_status tiny(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    return fx_tiny_graph(100, out);
}

/* Stage rows: acquired 4, 8, 16; c and d upload 1, 1/2, 1/4; a and b everything; c and d train their uploads,
 * a all new images, b the same as c. */
static int setup(void **state)
{
    (void)state;
    snprintf(g_db, sizeof g_db, "/tmp/simrun-insitu-XXXXXX");
    int fd = mkstemp(g_db);
    if (fd < 0) return -1;
    close(fd);
    unlink(g_db);
    sr_stage_row rows[12];
    const int64_t acq[3] = {4, 8, 16}, fresh[3] = {4, 4, 8};
    const double frac[3] = {1.0, 0.5, 0.25};
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < 4; s++) {
            sr_stage_row *r = &rows[k * 4 + s];
            memset(r, 0, sizeof *r);
            snprintf(r->net, sizeof r->net, "lenet5");
            snprintf(r->dataset, sizeof r->dataset, "test");
            snprintf(r->system, sizeof r->system, "%c", 'a' + s);
            r->stage = k;
            r->acquired = acq[k];
            r->new_images = fresh[k];
            const int all = s < 2 || k == 0;
            r->upload_fraction = all ? 1.0 : frac[k];
            r->uploaded = (int64_t)(r->upload_fraction * (double)fresh[k]);
            r->train_images = (s == 0 || k == 0) ? fresh[k] : (int64_t)(frac[k] * (double)fresh[k]);
            r->epochs = 1;
        }
    char err[256];
    return sr_learntab_store(g_db, rows, 12, "test", err, sizeof err) == SR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_db);
    return 0;
}

static sr_experiment *base(int sys)
{
    sr_experiment *e = fx_new(80.0, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "wan", BW_BPS, LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s0", "cam", "m", 0.2, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "insitu", NULL, NULL, 0);
    const sr_section *sec = e->policy.params_sec;
    void *p = e->policy.params;
    assert_int_equal(sr_params_set_int(sec, p, "system", sys), 0);
    assert_int_equal(sr_params_set_str(sec, p, "cloud", "cloud"), 0);
    assert_int_equal(sr_params_set_str(sec, p, "stages_db", g_db), 0);
    assert_int_equal(sr_params_set_str(sec, p, "net", "lenet5"), 0);
    assert_int_equal(sr_params_set_str(sec, p, "transfer_from", "fc2"), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "frame_size", FRAME), 0);
    assert_int_equal(sr_params_set_int(sec, p, "train_batch", 256), 0);
    assert_int_equal(sr_params_set_dbl(sec, p, "stage_scale", 1.0), 0);
    assert_int_equal(sr_params_set_int(sec, p, "diagnosis_batch", 1), 0);
    return e;
}

static sr_run_output run(const sr_experiment *e)
{
    sr_engine_opts o = {fx_unit_cost(), tiny, NULL};
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    return out;
}

static const sr_frame_record *rec(const sr_run_output *o, int source, int frame)
{
    for (size_t i = 0; i < o->n_frames; i++)
        if (o->frames[i].source == source && o->frames[i].frame == frame) return &o->frames[i];
    fail_msg("no record of source %d frame %d", source, frame);
    return NULL;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    if (sr_run_output_metric(o, name, &v) != SR_OK) fail_msg("no metric %s", name);
    return v;
}

/* System c: before the first model every frame goes up (0.01 + 1e6 / 1e7 = 0.11 s). Jobs 0-3 end at 15.11 s:
 * the cloud trains the initial model on 4 images (3 x 4 x 0.2 = 2.4 s) and pushes 404,440 bytes to the cam,
 * which has model 1 at 17.51 + 0.01 + 0.040444 s. Job 4 (captured at 20 s) runs inference and diagnosis
 * (2 + 2 s) and uploads half a frame (0.06 s). Job 7 ends at 39.06 s: update 1 trains 2 images (1.2 s), model
 * 2 arrives at 40.31 s, after job 8 was captured (it keeps its plan: half a frame); job 9 on upload a quarter.
 * Uploads per stage (in the stage a job ended in): 4 frames, 4 halves, then 1 half + 7 quarters. */
static void test_system_c(void **state)
{
    (void)state;
    sr_experiment *e = base(2);
    sr_run_output o = run(e);
    const double push_s = LAT_S + 404440 * 8 / BW_BPS;
    assert_int_equal(rec(&o, 0, 0)->bytes_sent, (int64_t)FRAME);
    assert_rel(rec(&o, 0, 0)->latency_s, 0.11, 1e-9);
    const sr_frame_record *up0 = rec(&o, -1, 0);
    assert_rel(up0->capture_s, 15.11, 1e-9);
    assert_rel(up0->complete_s, 15.11 + 2.4 + push_s, 1e-9);
    assert_int_equal(up0->bytes_sent, 404440);
    assert_int_equal(rec(&o, 0, 4)->bytes_sent, 500000);
    assert_rel(rec(&o, 0, 4)->latency_s, 4.0 + 0.06, 1e-9);
    const sr_frame_record *up1 = rec(&o, -1, 1);
    assert_rel(up1->capture_s, 35 + 4.06, 1e-9);
    assert_rel(up1->complete_s, 39.06 + 1.2 + push_s, 1e-9);
    assert_int_equal(rec(&o, 0, 7)->bytes_sent, 500000);
    assert_int_equal(rec(&o, 0, 8)->bytes_sent, 500000);
    assert_int_equal(rec(&o, 0, 9)->bytes_sent, 250000);
    assert_int_equal(rec(&o, 0, 15)->bytes_sent, 250000);
    assert_rel(metric(&o, "insitu_model_version"), 3, 0);
    assert_rel(metric(&o, "insitu_stages_ended"), 3, 0);
    assert_rel(metric(&o, "insitu_upload_bytes_stage0"), 4 * FRAME, 1e-12);
    assert_rel(metric(&o, "insitu_upload_bytes_stage1"), 4 * FRAME / 2, 1e-12);
    assert_rel(metric(&o, "insitu_upload_bytes_stage2"), FRAME / 2 + 7 * FRAME / 4, 1e-12);
    assert_rel(metric(&o, "insitu_update_time_s_stage1"), 1.2 + push_s, 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* System d retrains from fc2 only: update 1 takes (102,000 / 101,000) x 2 x 0.2 s in the cloud and pushes fc2's
 * 4,040 bytes; the initial model (stage 0) is still trained and pushed whole. */
static void test_system_d(void **state)
{
    (void)state;
    sr_experiment *e = base(3);
    sr_run_output o = run(e);
    assert_rel(metric(&o, "insitu_train_s_stage0"), 2.4, 1e-12);
    assert_rel(metric(&o, "insitu_push_bytes_stage0"), 404440, 0);
    assert_rel(metric(&o, "insitu_train_s_stage1"), 102000.0 / 101000.0 * 0.4, 1e-12);
    assert_rel(metric(&o, "insitu_push_bytes_stage1"), 4040, 0);
    assert_rel(metric(&o, "insitu_update_time_s_stage1"), 102000.0 / 101000.0 * 0.4 + LAT_S + 4040 * 8 / BW_BPS,
               1e-9);
    assert_int_equal(rec(&o, 0, 8)->bytes_sent, 250000);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Systems a and b upload every frame; a trains on all new images (update 2: 8 images, 3 x 8 x 0.2 s); b diagnoses each
 * uploaded frame in the cloud (0.2 s after its upload, in parallel with the 2 s inference on the cam). */
static void test_systems_a_b(void **state)
{
    (void)state;
    sr_experiment *e = base(0);
    sr_run_output o = run(e);
    for (int k = 0; k < 16; k++) assert_int_equal(rec(&o, 0, k)->bytes_sent, (int64_t)FRAME);
    assert_rel(rec(&o, 0, 4)->latency_s, 2.0, 1e-9);
    assert_rel(metric(&o, "insitu_upload_bytes_stage2"), 8 * FRAME, 1e-12);
    assert_rel(metric(&o, "insitu_train_s_stage2"), 4.8, 1e-12);
    sr_run_output_clear(&o);
    fx_free(e);
    e = base(1);
    o = run(e);
    assert_int_equal(rec(&o, 0, 4)->bytes_sent, (int64_t)FRAME);
    assert_rel(rec(&o, 0, 4)->latency_s, 2.0, 1e-9);
    int diag = 0;
    for (size_t k = 0; k < o.n_tasks; k++)
        if (strcmp(o.tasks[k].label, "diagnosis") == 0) {
            assert_string_equal(o.tasks[k].device, "cloud");
            diag++;
        }
    assert_int_equal(diag, 12); /* jobs 4-15: the cam has a model from job 4 on */
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Working modes on the node, job 4 of system c (the first with a model: inference and diagnosis, 2 s each alone,
 * then half a frame up, 0.06 s):
 *   single-running (concurrency 1): they take turns, 2 + 2 s -> latency 4.06 s;
 *   co-running on a GPU (concurrency 2, interference 1.5): both start at once and share the cam; the diagnosis,
 *     started beside an inference, does 1.5 x its work (3 s); at half speed each, the inference ends at 4 s,
 *     the diagnosis's last second runs alone -> 5 s, latency 5.06 s; with interference 1: 4.06 s;
 *   dedicated engines (2 executors of half speed, interference 3): 4 s each, side by side -> 4.06 s: the
 *     interference never crosses executors. */
static void test_working_modes(void **state)
{
    (void)state;
    const struct {
        int executors, concurrency, dedicated;
        double interference, latency;
    } cases[] = {{1, 1, 0, 1.5, 4.06}, {1, 2, 0, 1.5, 5.06}, {1, 2, 0, 1.0, 4.06}, {2, 1, 1, 3.0, 4.06}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sr_experiment *e = base(2);
        e->devices[0].executors = cases[c].executors;
        e->devices[0].concurrency = cases[c].concurrency;
        e->devices[0].interference = cases[c].interference;
        assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, "engines", cases[c].dedicated), 0);
        sr_run_output o = run(e);
        assert_rel(rec(&o, 0, 4)->latency_s, cases[c].latency, 1e-9);
        const sr_frame_record *j4 = rec(&o, 0, 4);
        double inf_end = -1, diag_end = -1;
        for (size_t k = 0; k < o.n_tasks; k++)
            if (o.tasks[k].source == 0 && o.tasks[k].frame == 4) {
                if (strcmp(o.tasks[k].label, "inference") == 0) inf_end = o.tasks[k].end_s;
                if (strcmp(o.tasks[k].label, "diagnosis") == 0) diag_end = o.tasks[k].end_s;
            }
        /* the inference ends after 2 s alone (taking turns), 4 s when it shares the cam or half of it */
        assert_rel(inf_end - j4->capture_s, cases[c].concurrency == 1 && !cases[c].dedicated ? 2.0 : 4.0, 1e-9);
        assert_rel(diag_end - j4->capture_s, cases[c].latency - 0.06, 1e-9);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

/* Node batches from the In-situ AI GPU model when the cam's profile has one (jetson-tx1): the inference batch is
 * the largest whose time fits inference_bound (sr_gpu_insitu_select_batch), the diagnosis batch the largest the
 * memory holds (eq. 9); without a gpu_model the run point is refused. */
static void test_model_batches(void **state)
{
    (void)state;
    sr_experiment *e = base(2);
    free(e->devices[0].profile);
    e->devices[0].profile = strdup("jetson-tx1");
    assert_int_equal(sr_params_set_dbl(e->policy.params_sec, e->policy.params, "inference_bound", 2e-4), 0);
    assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, "diagnosis_batch", 0), 0);
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(100, &g), SR_OK);
    sr_hw_layer layers[8];
    int n = 0, b_inf = 0, b_mem = 0;
    double t = 0;
    assert_int_equal(sr_hw_layers_from_graph(g, layers, 8, &n, NULL, 0), SR_OK);
    sr_gpu_insitu_params tx1;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &tx1), SR_OK);
    assert_int_equal(sr_gpu_insitu_select_batch(&tx1, layers, n, 2e-4, 4096, &b_inf, &t), SR_OK);
    assert_int_equal(sr_gpu_insitu_max_batch_memory(&tx1, layers, n, 4096, &b_mem), SR_OK);
    assert_true(b_inf > 1);
    sr_run_output o = run(e);
    assert_rel(metric(&o, "insitu_inference_batch"), b_inf, 0);
    assert_rel(metric(&o, "insitu_diagnosis_batch"), b_mem, 0);
    sr_run_output_clear(&o);
    free(e->devices[0].profile);
    e->devices[0].profile = strdup("rpi4"); /* no gpu_model */
    sr_engine_opts opts = {fx_unit_cost(), tiny, NULL};
    sr_run_output_init(&o);
    char err[512] = "";
    assert_int_not_equal(fx_run_forked(e, 1, &opts, &o, err, sizeof err), SR_OK);
    assert_non_null(strstr(err, "gpu_model"));
    sr_run_output_clear(&o);
    sr_graph_free(g);
    fx_free(e);
}

/* The shipped stage table (experiments/insitu/stages.db: LeNet-5 on Fashion-MNIST, `simrun train --stages`) at
 * 1/100 of its size (600 jobs): the paper's orderings hold on it. d moves the least data and a (with b) the most;
 * the cloud trains least for d and most for a. */
static void test_shipped_table_orderings(void **state)
{
    (void)state;
    double up[4], train[4];
    for (int sys = 0; sys < 4; sys++) {
        sr_experiment *e = base(sys);
        e->duration_s = 600 * 5.0;
        assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, "stages_db",
                                           SR_SOURCE_DIR "/experiments/insitu/stages.db"), 0);
        assert_int_equal(sr_params_set_dbl(e->policy.params_sec, e->policy.params, "stage_scale", 0.01), 0);
        assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, "transfer_from", "fc2"), 0);
        sr_run_output o = run(e);
        assert_rel(metric(&o, "insitu_stages_ended"), 5, 0);
        up[sys] = train[sys] = 0;
        char name[64];
        for (int k = 0; k < 5; k++) {
            snprintf(name, sizeof name, "insitu_upload_bytes_stage%d", k);
            up[sys] += metric(&o, name);
            snprintf(name, sizeof name, "insitu_train_s_stage%d", k);
            train[sys] += metric(&o, name);
        }
        sr_run_output_clear(&o);
        fx_free(e);
    }
    assert_true(up[3] < up[2] && up[2] < up[0]);
    assert_rel(up[1], up[0], 1e-12);
    assert_true(up[2] < 0.75 * up[0]); /* the diagnosis keeps a quarter of the data or more on the node */
    assert_true(train[3] < train[2] && train[2] < train[0]);
    assert_rel(train[1], train[2], 1e-12); /* b and c train the same images */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_c),
        cmocka_unit_test(test_system_d),
        cmocka_unit_test(test_systems_a_b),
        cmocka_unit_test(test_shipped_table_orderings),
        cmocka_unit_test(test_working_modes),
        cmocka_unit_test(test_model_batches),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
