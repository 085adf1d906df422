/* test_steal.c: work stealing and speeds that change at run time in the parallel policy, against closed forms.
 *
 * Model "rows": in (1 x 4 x 6 x 8) -> conv1 1x1 (8 channels) -> relu: a 1x1 kernel has no halo, so the 6 row
 * tiles of a 6x1 grid are equal: each does 1/6 of the block's flop, receives 4 x 8 input floats (128 B) and
 * returns 8 x 8 output floats (256 B). The hub is the camera; each worker has its own link (1 Gbit/s, 1 ms; CM02
 * without factors): a transfer of b bytes takes 0.001 + 8 b / 1e9. Cost model: a layer costs its flop / (speed x
 * cores), times cores / cpu (the CPU quota).
 *
 * - Stealing, two workers, `fast` and `slow` (cpu 500m: twice slower), 6 tiles dealt fast 0,2,4 / slow 1,3,5,
 *   one tile per worker at a time: a tile's cycle is s + c + g on fast (F) and s + 2c + g on slow (S), with
 *   s + g < c. Fast ends its own three at 3F < 2S, when slow has started its second and still queues tile 5:
 *   fast steals it and ends at 4F > 2S. Latency 4F = 4 (s + c + g), one tile stolen, 4 tiles on fast and 2 on
 *   slow. Even shares (no stealing) keep three tiles on slow, whose scatters start together (the fixture's devices
 *   open a flow per transfer) and share its link, arriving at s3 = 0.001 + 3 x 128 x 8 / 1e9: latency s3 + 6c + g.
 * - Observed speeds: declared speeds equal, slow's real speed half (a speed change at t = 0): the first frame
 *   runs on even strips (3 and 3 rows), its parts measure the speeds, and the frames after it run 4 and 2 rows
 *   (shares 2:1), both parts ending together, at a lower latency.
 * - Declared speed changes: the adaptive shares re-size when the change happens. */
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

#define BW 1e9
#define LAT 0.001
#define SPEED 1e4

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}


static sr_status rows_graph(sr_graph **out)
{
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("rows", &g);
    if (st != SR_OK) return st;
    int x = sr_graph_add_input(g, "in", sr_shape_nchw(1, 4, 6, 8));
    x = sr_graph_conv(g, "conv1", x, 8, 1, 1, 0, 1, 1);
    x = sr_graph_unary(g, SR_OP_RELU, "relu1", x);
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
    return rows_graph(out);
}

static void set(sr_experiment *e, const char *k, const char *v)
{
    assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, k, v), 0);
}

static void set_int(sr_experiment *e, const char *k, int v)
{
    assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, k, v), 0);
}

static sr_run_output run(const sr_experiment *e)
{
    sr_engine_opts o = {fx_flop_cost(), load, NULL};
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

/* cam (the hub) and the worker groups fast and slow, one instance each, each with its own link to cam. */
static sr_experiment *platform(double duration_s, double fps, double slow_cpu)
{
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    const char *groups[] = {"fast", "slow"};
    for (int i = 0; i < 2; i++) {
        int g = fx_device(e, groups[i], 1, SPEED, 0, 0);
        if (i == 1) e->devices[g].cpu_cores = slow_cpu;
        char lname[32];
        snprintf(lname, sizeof lname, "l%s", groups[i]);
        fx_link(e, lname, BW, LAT, SR_SHARING_SHARED, groups[i], 1);
        const char *links[] = {lname, NULL};
        fx_route(e, "cam", groups[i], 1, links);
    }
    fx_model(e, "m", "rows");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "parallel", NULL, NULL, 0);
    set(e, "workers", "fast,slow");
    return e;
}

/* Compute tasks labelled part* of frame `frame` on `device`, and the latest end among them. */
static int parts_on(const sr_run_output *o, int64_t frame, const char *device, double *last_end)
{
    int n = 0;
    *last_end = -1;
    for (size_t k = 0; k < o->n_tasks; k++)
        if (o->tasks[k].frame == frame && strncmp(o->tasks[k].label, "part", 4) == 0 &&
            strcmp(o->tasks[k].device, device) == 0) {
            n++;
            *last_end = fmax(*last_end, o->tasks[k].end_s);
        }
    return n;
}

static double block_flop(void)
{
    sr_graph *g = NULL;
    assert_int_equal(rows_graph(&g), SR_OK);
    double f = sr_node_flops(g, 1) + sr_node_flops(g, 2);
    sr_graph_free(g);
    return f;
}

static void test_steal_closed_form(void **state)
{
    (void)state;
    const double c = block_flop() / 6 / SPEED; /* one tile on fast */
    const double s = LAT + 128 * 8 / BW, g = LAT + 256 * 8 / BW;
    const double F = s + c + g, S = s + 2 * c + g;
    assert_true(s + g < c); /* the premise of the schedule above */
    assert_true(3 * F < 2 * S && 4 * F > 2 * S);

    sr_experiment *e = platform(0.5, 1.0, 0.5);
    set(e, "grid", "6x1");
    set_int(e, "steal", 1);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_string_equal(o.frames[0].outcome, "completed");
    if (getenv("STEAL_DEBUG"))
        for (size_t k = 0; k < o.n_tasks; k++)
            fprintf(stderr, "%d %s %s %s %.9f %.9f %.9f\n", o.tasks[k].task, o.tasks[k].label, o.tasks[k].device,
                    o.tasks[k].dst, o.tasks[k].ready_s, o.tasks[k].start_s, o.tasks[k].end_s);
    assert_rel(o.frames[0].latency_s, 4 * F, 1e-9);
    double end_fast, end_slow;
    assert_int_equal(parts_on(&o, 0, "fast", &end_fast), 4);
    assert_int_equal(parts_on(&o, 0, "slow", &end_slow), 2);
    assert_rel(end_slow, 2 * S - g, 1e-9);
    assert_rel(metric(&o, "tiles_dispatched"), 6, 0);
    assert_rel(metric(&o, "tiles_stolen"), 1, 0);
    assert_rel(metric(&o, "tiles_retried"), 0, 0);
    /* every tile crossed twice: the frame's bytes are the tiles' */
    assert_int_equal(o.frames[0].bytes_sent, 6 * (128 + 256));
    double steal = o.frames[0].latency_s;
    sr_run_output_clear(&o);

    set_int(e, "steal", 0);
    o = run(e);
    assert_string_equal(o.frames[0].outcome, "completed");
    if (getenv("STEAL_DEBUG"))
        for (size_t k = 0; k < o.n_tasks; k++)
            fprintf(stderr, "%d %s %s %s %.9f %.9f %.9f\n", o.tasks[k].task, o.tasks[k].label, o.tasks[k].device,
                    o.tasks[k].dst, o.tasks[k].ready_s, o.tasks[k].start_s, o.tasks[k].end_s);
    /* the three scatters to a worker start together as flows sharing its link: all arrive at s3 */
    const double s3 = LAT + 3 * 128 * 8 / BW;
    assert_rel(o.frames[0].latency_s, s3 + 6 * c + g, 1e-9);
    assert_int_equal(parts_on(&o, 0, "fast", &end_fast), 3);
    assert_int_equal(parts_on(&o, 0, "slow", &end_slow), 3);
    assert_true(steal < 0.75 * o.frames[0].latency_s);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Fast fails during its first tile: the part fails, its tile goes back to fast's queue, and slow, alone, runs
 * its own three tiles and then steals fast's three: six cycles S, three steals, one retry; the frame completes. */
static void test_steal_after_failure(void **state)
{
    (void)state;
    const double c = block_flop() / 6 / SPEED;
    const double s = LAT + 128 * 8 / BW, g = LAT + 256 * 8 / BW, S = s + 2 * c + g;
    sr_experiment *e = platform(0.5, 1.0, 0.5);
    set(e, "grid", "6x1");
    set_int(e, "steal", 1);
    sr_outage *o1 = malloc(sizeof *o1);
    assert_non_null(o1);
    *o1 = (sr_outage){0.03, 10.0};
    int fast = sr_policy_device_index(e, "fast");
    e->devices[fast].failures.n = 1;
    e->devices[fast].failures.list = o1;
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_string_equal(o.frames[0].outcome, "completed");
    assert_rel(o.frames[0].latency_s, 6 * S, 1e-9);
    double end_slow;
    assert_int_equal(parts_on(&o, 0, "slow", &end_slow), 6);
    assert_rel(metric(&o, "tiles_dispatched"), 7, 0);
    assert_rel(metric(&o, "tiles_stolen"), 3, 0);
    assert_rel(metric(&o, "tiles_retried"), 1, 0);
    sr_run_output_clear(&o);

    /* without stealing the frame fails with its plan */
    set_int(e, "steal", 0);
    o = run(e);
    assert_string_equal(o.frames[0].outcome, "failed");
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Gives group `name` the speed changes (at_s[i], factor[i]). */
static void speed_changes(sr_experiment *e, const char *name, const double *at_s, const double *factor, int n)
{
    int g = sr_policy_device_index(e, name);
    assert_true(g >= 0);
    sr_speed_change *c = calloc((size_t)n, sizeof *c);
    assert_non_null(c);
    for (int i = 0; i < n; i++)
        c[i] = (sr_speed_change){at_s[i], factor[i]};
    e->devices[g].speed_changes = c;
    e->devices[g].n_speed_changes = n;
}

/* The latency of a frame cut into strips of `fast_rows` rows on fast and the rest on slow, the fast strip
 * ending last (c: one row on fast). */
static double strips_latency(int fast_rows, double fast_row_s)
{
    return (LAT + fast_rows * 128 * 8 / BW) + fast_rows * fast_row_s + (LAT + fast_rows * 256 * 8 / BW);
}

static void test_observed_speeds(void **state)
{
    (void)state;
    const double c = block_flop() / 6 / SPEED;
    sr_experiment *e = platform(3.0, 1.0, 0); /* declared speeds equal */
    const double at0 = 0, half = 0.5;
    speed_changes(e, "slow", &at0, &half, 1); /* its real speed: half */
    set_int(e, "shares", 1);                  /* adaptive */
    set_int(e, "speeds", 1);                  /* observed */
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 3);
    /* frame 0: even strips (3 + 3 rows), slow's three rows take 6c and end last */
    double end_fast, end_slow;
    assert_int_equal(parts_on(&o, 0, "slow", &end_slow), 1);
    assert_rel(o.frames[0].latency_s, (LAT + 3 * 128 * 8 / BW) + 6 * c + (LAT + 3 * 256 * 8 / BW), 1e-9);
    /* then 4 rows on fast and 2 on slow: both strips compute 4c, fast's bigger transfers end last */
    for (int f = 1; f < 3; f++) {
        assert_rel(o.frames[f].latency_s, strips_latency(4, c), 1e-9);
        assert_int_equal(parts_on(&o, f, "fast", &end_fast), 1);
        assert_int_equal(parts_on(&o, f, "slow", &end_slow), 1);
        assert_rel(end_fast - o.frames[f].capture_s, LAT + 4 * 128 * 8 / BW + 4 * c, 1e-9);
        assert_rel(end_slow - o.frames[f].capture_s, LAT + 2 * 128 * 8 / BW + 4 * c, 1e-9);
    }
    assert_true(o.frames[2].latency_s < 0.7 * o.frames[0].latency_s);
    assert_rel(metric(&o, "share.fast"), 2.0 / 3, 1e-9);
    assert_rel(metric(&o, "share.slow"), 1.0 / 3, 1e-9);
    assert_rel(metric(&o, "plan_versions"), 2, 0); /* re-sized once, then the speeds hold */
    sr_run_output_clear(&o);
    fx_free(e);
}

static void test_declared_speed_change(void **state)
{
    (void)state;
    const double c = block_flop() / 6 / SPEED;
    sr_experiment *e = platform(3.5, 1.0, 0);
    const double at[] = {1.5, 2.5}, factor[] = {0.5, 1.0}; /* slow runs at half speed during [1.5, 2.5) */
    speed_changes(e, "slow", at, factor, 2);
    set_int(e, "shares", 1); /* adaptive, declared speeds */
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 4);
    assert_rel(o.frames[0].latency_s, strips_latency(3, c), 1e-9);
    assert_rel(o.frames[1].latency_s, strips_latency(3, c), 1e-9);
    assert_rel(o.frames[2].latency_s, strips_latency(4, c), 1e-9); /* re-sized at 1.5 s: 4 + 2 rows */
    assert_rel(o.frames[3].latency_s, strips_latency(3, c), 1e-9); /* and back at 2.5 s */
    assert_rel(metric(&o, "plan_versions"), 3, 0);
    sr_run_output_clear(&o);

    /* even shares keep 3 rows on slow: SimGrid's speed profile makes them take 6c at 2 s */
    set_int(e, "shares", 0);
    o = run(e);
    assert_rel(o.frames[1].latency_s, strips_latency(3, c), 1e-9);
    assert_rel(o.frames[2].latency_s, (LAT + 3 * 128 * 8 / BW) + 6 * c + (LAT + 3 * 256 * 8 / BW), 1e-9);
    assert_rel(o.frames[3].latency_s, strips_latency(3, c), 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steal_closed_form),
        cmocka_unit_test(test_steal_after_failure),
        cmocka_unit_test(test_observed_speeds),
        cmocka_unit_test(test_declared_speed_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
