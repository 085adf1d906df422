/* test_flow_pool.c: flow aggregation (sim/engine/sr_sg_pool.hpp) gives SimGrid's results.
 *
 * Each case runs the same experiment twice in forked children, with `flow_aggregation: auto` (the pool solves
 * the shared link) and `off` (every flow in SimGrid's max-min), and compares every frame: completion, latency,
 * transfer and queue times within 1e-9 relative, the same drops. The cases make the pool's parts work: an
 * overloaded WAN behind per-camera uplinks (W saturated, every group below its cap), groups with different
 * latencies (CM02's sharing penalty: rates ∝ 1 / route latency) and slow uplinks that saturate before the WAN
 * does (the level walk), several flows of one camera sharing its uplink (a group's own link at c / n), and
 * connections with one transfer in flight (a transfer starting at another's end), every camera on one shared
 * link (a single group); under cm02 and lv08 (its latency and bandwidth factors, weight-S and cross-traffic).
 * Where the structure does not
 * allow it (the cameras' uplinks also reach an edge server without the WAN; a failure schedule), nothing is
 * pooled and the metric flow_pool_links is absent. */
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

static const char *const UP_WAN[] = {"up", "wan", NULL};

static sr_status tiny(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    return fx_tiny_graph(100, out);
}

static sr_engine_opts opts(void)
{
    sr_engine_opts o = {0};
    o.cost = fx_unit_cost();
    o.load_graph = tiny;
    return o;
}

static int run(sr_experiment *e, sr_flow_agg agg, sr_run_output *out)
{
    e->flow_aggregation = agg;
    sr_run_output_init(out);
    char err[512] = "";
    sr_engine_opts o = opts();
    sr_status st = fx_run_forked(e, 7, &o, out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine: %s", err);
    double v;
    return sr_run_output_metric(out, "flow_pool_links", &v) == SR_OK ? (int)v : 0;
}

static void assert_close(double a, double b, const char *what, size_t i)
{
    if (!(fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)))) fail_msg("frame %zu %s: pooled %.15g, SimGrid %.15g", i, what, a, b);
}

/* Runs e pooled and not; asserts the pool took `want_pooled` links and that both give the same frames.
 * Returns the mean transfer time (SimGrid's run) for the caller's contention check. */
static double same_frames(sr_experiment *e, int want_pooled)
{
    sr_run_output pooled, plain;
    int n_pooled = run(e, SR_FLOW_AGG_AUTO, &pooled);
    int n_plain  = run(e, SR_FLOW_AGG_OFF, &plain);
    assert_int_equal(n_pooled, want_pooled);
    assert_int_equal(n_plain, 0);
    assert_int_equal(pooled.n_frames, plain.n_frames);
    assert_true(plain.n_frames > 20);
    double transfer_sum = 0;
    size_t n_done = 0;
    for (size_t i = 0; i < plain.n_frames; i++) {
        const sr_frame_record *a = &pooled.frames[i], *b = &plain.frames[i];
        assert_int_equal(a->source, b->source);
        assert_int_equal(a->frame, b->frame);
        assert_int_equal(a->dropped, b->dropped);
        assert_string_equal(a->outcome, b->outcome);
        assert_close(a->capture_s, b->capture_s, "capture", i);
        assert_close(a->complete_s, b->complete_s, "complete", i);
        assert_close(a->latency_s, b->latency_s, "latency", i);
        assert_close(a->transfer_s, b->transfer_s, "transfer", i);
        assert_close(a->queue_s, b->queue_s, "queue", i);
        if (!b->dropped) {
            transfer_sum += b->transfer_s;
            n_done++;
        }
    }
    for (size_t i = 0; i < plain.n_links; i++)
        assert_true(pooled.links[i].bytes == plain.links[i].bytes);
    sr_run_output_clear(&pooled);
    sr_run_output_clear(&plain);
    return n_done ? transfer_sum / (double)n_done : 0.0;
}

/* n cameras with their own uplink (bw, latency) behind a shared WAN to one cloud; cloud_only frames. */
static sr_experiment *city(sr_net_model net, int cams, double up_bps, double up_lat_s, double wan_bps, double fps,
                           int in_flight)
{
    sr_experiment *e = fx_new(4.0, net);
    int d = fx_device(e, "cam", cams, 1e9, 0, 0);
    e->devices[d].max_in_flight = in_flight;
    fx_device(e, "cloud", 1, 1e12, 0, 0);
    fx_link(e, "up", up_bps, up_lat_s, SR_SHARING_SHARED, "cam", cams);
    fx_link(e, "wan", wan_bps, 0.01, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, UP_WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "v", "cam", "m", fps, SR_ARRIVAL_POISSON, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 31.0 * 1024);
    return e;
}

/* 30 cameras x 1 fps x 31 KiB over a 2 Mbit/s WAN (3.8x overloaded), one transfer in flight per camera. */
static void test_overloaded_wan(void **state)
{
    (void)state;
    for (int net = 0; net < SR_NET_MODEL_COUNT; net++) {
        sr_experiment *e = city((sr_net_model)net, 30, 5.85e6, 0.02, 2e6, 1.0, 1);
        double mean = same_frames(e, 1);
        /* alone a frame takes 0.03 + 253952 / 2e6 = 0.157 s on the wire (CM02): the WAN was shared */
        assert_true(mean > 1.0);
        fx_free(e);
    }
}

/* Two camera groups: slow far uplinks (0.4 Mbit/s, 80 ms) that saturate before the WAN, fast near ones
 * (50 Mbit/s, 2 ms); every frame its own flow, so a camera's frames share its uplink. */
static void mixed_groups(sr_net_model net)
{
    sr_experiment *e = fx_new(4.0, net);
    fx_device(e, "far", 8, 1e9, 0, 0);
    fx_device(e, "near", 8, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e12, 0, 0);
    fx_link(e, "upf", 0.4e6, 0.08, SR_SHARING_SHARED, "far", 8);
    fx_link(e, "upn", 50e6, 0.002, SR_SHARING_SHARED, "near", 8);
    fx_link(e, "wan", 6e6, 0.01, SR_SHARING_SHARED, NULL, 1);
    static const char *const F[] = {"upf", "wan", NULL}, *const N[] = {"upn", "wan", NULL};
    fx_route(e, "far", "cloud", 1, F);
    fx_route(e, "near", "cloud", 1, N);
    fx_model(e, "m", "tiny");
    fx_source(e, "vf", "far", "m", 2.0, SR_ARRIVAL_POISSON, 0.0);
    fx_source(e, "vn", "near", "m", 4.0, SR_ARRIVAL_POISSON, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 20.0 * 1024);
    double mean = same_frames(e, 1);
    assert_true(mean > 0.5);
    fx_free(e);
}

static void test_mixed_groups(void **state)
{
    (void)state;
    mixed_groups(SR_NET_CM02);
    mixed_groups(SR_NET_LV08); /* latency x 13.01, progress x 0.97, weight-S in the penalty, cross-traffic 1.05 */
}

/* Every camera straight on one shared 3 Mbit/s link (one group: the same route links for all). */
static void one_shared_link(sr_net_model net)
{
    sr_experiment *e = fx_new(4.0, net);
    int d = fx_device(e, "cam", 25, 1e9, 0, 0);
    e->devices[d].max_in_flight = 1;
    fx_device(e, "cloud", 1, 1e12, 0, 0);
    fx_link(e, "lte", 3e6, 0.03, SR_SHARING_SHARED, NULL, 1);
    static const char *const L[] = {"lte", NULL};
    fx_route(e, "cam", "cloud", 1, L);
    fx_model(e, "m", "tiny");
    fx_source(e, "v", "cam", "m", 1.0, SR_ARRIVAL_POISSON, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 31.0 * 1024);
    assert_true(same_frames(e, 1) > 1.0);
    fx_free(e);
}

static void test_one_shared_link(void **state)
{
    (void)state;
    one_shared_link(SR_NET_CM02);
    one_shared_link(SR_NET_LV08);
}

/* The cameras' uplinks also reach an edge server without the WAN: a flow to the edge would meet the pool's
 * flows on an uplink, so the WAN is not pooled (and the frames are SimGrid's, trivially the same). */
static void test_not_pooled(void **state)
{
    (void)state;
    sr_experiment *e = city(SR_NET_CM02, 10, 5.85e6, 0.02, 2e6, 1.0, 1);
    fx_device(e, "edge", 1, 1e12, 0, 0);
    static const char *const UP[] = {"up", NULL};
    fx_route(e, "cam", "edge", 1, UP);
    same_frames(e, 0);
    fx_free(e);
    /* a failure schedule changes links during the run: nothing pooled */
    e = city(SR_NET_CM02, 10, 5.85e6, 0.02, 2e6, 1.0, 1);
    e->links[1].failures.mtbf_s = 50;
    e->links[1].failures.mttr_s = 1;
    same_frames(e, 0);
    fx_free(e);
    /* lv08 with one-way routes: cross-traffic would load back routes the pool does not see */
    e = city(SR_NET_LV08, 10, 5.85e6, 0.02, 2e6, 1.0, 1);
    e->routes[0].symmetric = 0;
    static const char *const BACK[] = {"wan", NULL};
    fx_route(e, "cloud", "cam", 0, BACK);
    same_frames(e, 0);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overloaded_wan),
        cmocka_unit_test(test_mixed_groups),
        cmocka_unit_test(test_one_shared_link),
        cmocka_unit_test(test_not_pooled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
