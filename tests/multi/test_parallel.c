/* test_parallel.c: the parallel policy against closed forms.
 *
 * - Two tiles of a fused block on an idle network: model "convs" (in 1x1x8x8 -> conv1 3x3 pad 1 (4) -> relu
 * -> conv2 3x3 pad 1 (4)) cut into two strips of 4 rows. A strip of conv2's output needs rows [0, 5) of
 * conv1's output and rows [0, 6) of the input (by hand: 3x3 kernels, padding 1, stride 1), so a tile does 5/8
 * of conv1's and relu's work and 1/2 of conv2's, receives 6 x 8 input floats and returns 4 x 8 x 4 output
 * floats. Each pod has its own link (80 Mbit/s, 10 ms; CM02 without factors): a transfer of b bytes takes
 * 0.01 + 8 b / 8e7.
 * - Adaptive shares: four workers, one at 125 millicores and three at 500; with strips proportional to speed
 *   the parts end within one layer's time of each other, with even strips the busy one ends far later.
 * - Channel slices and layer-wise tiles cover the work exactly once (sum of the parts' times = the whole).
 * Cost model: a layer costs its flop / (speed x cores). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_policy.h"

#define BW 8e7
#define LAT 0.01

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

/* in (1 x cin x hw x hw) -> conv1 (ch) -> relu1 -> conv2 (ch) [-> relu2 -> fc (10)] */
static sr_status convs_graph(int cin, int hw, int ch, int with_fc, sr_graph **out)
{
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("convs", &g);
    if (st != SR_OK) return st;
    int x = sr_graph_add_input(g, "in", sr_shape_nchw(1, cin, hw, hw));
    x = sr_graph_conv(g, "conv1", x, ch, 3, 1, 1, 1, 1);
    x = sr_graph_unary(g, SR_OP_RELU, "relu1", x);
    x = sr_graph_conv(g, "conv2", x, ch, 3, 1, 1, 1, 1);
    if (with_fc) {
        x = sr_graph_unary(g, SR_OP_RELU, "relu2", x);
        x = sr_graph_fc(g, "fc", x, 10, 1);
    }
    if (x < 0 || sr_graph_infer(g, NULL, 0) != SR_OK) {
        sr_graph_free(g);
        return SR_ERR_INVALID;
    }
    *out = g;
    return SR_OK;
}

typedef struct gspec {
    int cin, hw, ch, with_fc;
} gspec;

static sr_status load(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)err, (void)n;
    const gspec *s = user;
    return convs_graph(s->cin, s->hw, s->ch, s->with_fc, out);
}

static void set(sr_experiment *e, const char *k, const char *v)
{
    assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, k, v), 0);
}

static sr_run_output run(const sr_experiment *e, gspec *gs)
{
    sr_engine_opts o = {&flop_cost, load, gs};
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

/* cam (the hub) and `groups` of workers, each instance with its own link to cam. */
static sr_experiment *platform(const char *const *groups, const int *counts, const double *cpu, int n_groups)
{
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    for (int i = 0; i < n_groups; i++) {
        int g = fx_device(e, groups[i], counts[i], 1e6, 0, 0);
        e->devices[g].cpu_cores = cpu[i];
        char lname[32];
        snprintf(lname, sizeof lname, "l%s", groups[i]);
        fx_link(e, lname, BW, LAT, SR_SHARING_SHARED, groups[i], counts[i]);
        const char *links[] = {lname, NULL};
        fx_route(e, "cam", groups[i], 1, links);
    }
    fx_model(e, "m", "convs");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "parallel", NULL, NULL, 0);
    return e;
}

static void test_two_tile_fused_closed_form(void **state)
{
    (void)state;
    gspec gs = {1, 8, 4, 0};
    sr_graph *g = NULL;
    assert_int_equal(convs_graph(1, 8, 4, 0, &g), SR_OK);
    const double speed = 1e6;
    double t_tile =
        (sr_node_flops(g, 1) * 5.0 / 8 + sr_node_flops(g, 2) * 5.0 / 8 + sr_node_flops(g, 3) / 2) / speed;
    double t_whole = (sr_node_flops(g, 1) + sr_node_flops(g, 2) + sr_node_flops(g, 3)) / speed;
    double macs_conv1 = 8.0 * 8 * 4 * 9, macs_conv2 = 8.0 * 8 * 4 * 4 * 9;
    sr_graph_free(g);
    double scatter = LAT + 6 * 8 * 1 * 4 * 8 / BW, gather = LAT + 4 * 8 * 4 * 4 * 8 / BW;

    const char *const groups[] = {"pod"};
    const int counts[] = {2};
    const double cpu[] = {0};
    sr_experiment *e = platform(groups, counts, cpu, 1);
    set(e, "workers", "pod");
    sr_run_output o = run(e, &gs);
    assert_int_equal(o.n_frames, 1);
    assert_string_equal(o.frames[0].outcome, "completed");
    assert_rel(o.frames[0].latency_s, scatter + t_tile + gather, 1e-9);
    assert_int_equal(o.frames[0].bytes_sent, 2 * (6 * 8 * 4 + 4 * 8 * 4 * 4));
    /* halo: conv1 computes rows [0,5) and [3,8): 2 of its 8 rows twice */
    assert_rel(metric(&o, "redundant_macs"), macs_conv1 * 2 / 8, 0);
    assert_rel(metric(&o, "redundant_macs_fraction"), (macs_conv1 * 2 / 8) / (macs_conv1 + macs_conv2),
               1e-12);
    /* peak memory of a pod: weights + the largest in + out rectangle of a layer: relu's 4 ch x 5 rows in and
     * out (conv1: 1 x 6 rows in, 4 x 5 out; conv2: 4 x 5 in, 4 x 4 out) */
    double weights = (4 * 9 + 4 + 4 * 4 * 9 + 4) * 4.0, relu_io = (4.0 * 5 * 8 * 2) * 4;
    assert_rel(metric(&o, "peak_memory_bytes.pod0"), weights + relu_io, 0);
    assert_rel(metric(&o, "peak_memory_worker_max_bytes"), weights + relu_io, 0);
    sr_run_output_clear(&o);

    /* the same block on one worker: scatter the whole input, the whole block, gather the whole output */
    set(e, "grid", "1x1");
    o = run(e, &gs);
    assert_rel(o.frames[0].latency_s, (LAT + 8 * 8 * 4 * 8 / BW) + t_whole + (LAT + 4 * 8 * 8 * 4 * 8 / BW),
               1e-9);
    assert_rel(metric(&o, "redundant_macs"), 0, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* End times of the compute parts of the frame (label "part*"), their spread. */
static double part_spread(const sr_run_output *o, int *n)
{
    double lo = INFINITY, hi = -INFINITY;
    *n = 0;
    for (size_t k = 0; k < o->n_tasks; k++)
        if (strncmp(o->tasks[k].label, "part", 4) == 0) {
            lo = fmin(lo, o->tasks[k].end_s), hi = fmax(hi, o->tasks[k].end_s);
            (*n)++;
        }
    return hi - lo;
}

static void test_adaptive_shares_finish_together(void **state)
{
    (void)state;
    gspec gs = {3, 64, 16, 0};
    sr_graph *g = NULL;
    assert_int_equal(convs_graph(3, 64, 16, 0, &g), SR_OK);
    /* one layer's time: the costliest layer of the block over a quarter of the output on a 500m worker */
    double layer = fmax(sr_node_flops(g, 1), sr_node_flops(g, 3)) / 4 / (1e6 * 0.5);
    sr_graph_free(g);
    const char *const groups[] = {"pod", "busy"};
    const int counts[] = {3, 1};
    const double cpu[] = {0.5, 0.125};
    sr_experiment *e = platform(groups, counts, cpu, 2);
    set(e, "workers", "pod,busy");
    assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, "shares", 1),
                     0); /* adaptive */
    sr_run_output o = run(e, &gs);
    int n = 0;
    double adaptive = part_spread(&o, &n);
    assert_int_equal(n, 4);
    double lat_adaptive = o.frames[0].latency_s;
    sr_run_output_clear(&o);
    assert_true(adaptive <= layer);

    assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, "shares", 0), 0); /* even */
    o = run(e, &gs);
    double even = part_spread(&o, &n);
    assert_int_equal(n, 4);
    double lat_even = o.frames[0].latency_s;
    sr_run_output_clear(&o);
    assert_true(even > 3 * layer); /* the busy worker is 4x slower on the same share */
    assert_true(lat_adaptive < 0.6 * lat_even);
    fx_free(e);
}

/* Channel slices (conv1, conv2, fc), layer-wise tiles and local blocks split each layer's work exactly: the
 * parts' compute times add up to the whole model's on one device (spatial tiles of single layers recompute
 * nothing). */
static void test_parts_cover_the_work(void **state)
{
    (void)state;
    gspec gs = {3, 16, 8, 1};
    sr_graph *g = NULL;
    assert_int_equal(convs_graph(3, 16, 8, 1, &g), SR_OK);
    double whole = 0;
    for (int id = 1; id < sr_graph_node_count(g); id++)
        whole += sr_node_flops(g, id) / 1e6;
    sr_graph_free(g);
    const char *const groups[] = {"pod"};
    const int counts[] = {3};
    const double cpu[] = {0};
    const char *const schemes[][2] = {{"relu1,relu2", "spatial,channel,channel"},
                                      {"relu1,relu2", "channel,channel,local"},
                                      {"relu2", "spatial,channel"}};
    for (size_t c = 0; c < sizeof schemes / sizeof schemes[0]; c++) {
        sr_experiment *e = platform(groups, counts, cpu, 1);
        e->devices[0].speed_flops = 1e6; /* the hub runs local blocks at the workers' speed */
        set(e, "workers", "pod");
        set(e, "blocks", schemes[c][0]);
        set(e, "schemes", schemes[c][1]);
        sr_run_output o = run(e, &gs);
        assert_string_equal(o.frames[0].outcome, "completed");
        double sum = 0;
        for (size_t k = 0; k < o.n_tasks; k++)
            if (strcmp(o.tasks[k].kind, "compute") == 0) sum += o.tasks[k].end_s - o.tasks[k].start_s;
        assert_rel(sum, whole, 1e-9);
        assert_rel(metric(&o, "redundant_macs"), 0, 0);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_tile_fused_closed_form),
        cmocka_unit_test(test_adaptive_shares_finish_together),
        cmocka_unit_test(test_parts_cover_the_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
