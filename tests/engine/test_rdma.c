/* test_rdma.c: RDMA links under SimGrid's LV08 TCP model (real SimGrid runs, each in a forked child).
 *
 * LV08 multiplies a route's latency by 13.01 and its bandwidth by 0.97 and adds 5 % of every flow to its
 * reverse route (cross-traffic), corrections fitted to TCP (Velho & Legrand 2009). RDMA is no TCP: a transfer
 * whose route is made of rdma links only takes latency + size / bandwidth under LV08 too (eng_sg.c,
 * sr_sg_shim.h); a route with any other link is a TCP path and keeps all of LV08. Each case derives its
 * closed form from the link's numbers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"

#define RDMA_BPS (16e9 * 8) /* 16 GB/s: Birman et al.'s RDMA rate on 100 Gb Mellanox switches */
#define RDMA_LAT_S 1.5e-6
#define ETH_BPS 10e9
#define ETH_LAT_S 50e-6
#define FRAME_BYTES 8e6

static void assert_rel(double got, double want, double tol)
{
    double d = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1.0);
    if (!(d <= tol)) {
        print_error("got %.15g want %.15g (rel err %.3g > %.3g)\n", got, want, d, tol);
        fail();
    }
}

static sr_run_output run(const sr_experiment *e)
{
    int act = 100;
    sr_engine_opts o = fx_opts(&act);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024];
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) print_error("engine failed: %s (%s)\n", sr_status_name(st), err);
    assert_int_equal(st, SR_OK);
    return out;
}

/* n sensors cam0.. (one device group each, one frame each at t = 0) -> gpu, each over `links`; link "fabric"
 * is rdma when rdma is set. */
static sr_experiment *platform_sharing(sr_net_model net, int n, int rdma, const char *const *links, sr_sharing sh)
{
    sr_experiment *e = fx_new(0.5, net);
    fx_device(e, "gpu", 1, 1e12, 0, 0);
    int f = fx_link(e, "fabric", RDMA_BPS, RDMA_LAT_S, sh, NULL, 1);
    if (rdma) e->links[f].type = SR_LINK_RDMA;
    fx_link(e, "eth", ETH_BPS, ETH_LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_model(e, "m", "tiny");
    for (int i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof name, "cam%d", i);
        fx_device(e, name, 1, 1e9, 0, 0);
        fx_route(e, name, "gpu", 1, links);
        fx_source(e, name, name, "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    }
    fx_policy(e, "cloud_only", "gpu", NULL, FRAME_BYTES);
    return e;
}

static sr_experiment *platform(sr_net_model net, int n, int rdma, const char *const *links)
{
    return platform_sharing(net, n, rdma, links, SR_SHARING_SHARED);
}

static const char *const FABRIC[] = {"fabric", NULL};
static const char *const MIXED[] = {"eth", "fabric", NULL};

/* (1) One 8 MB transfer over an rdma link under LV08: latency + size / bandwidth, as under CM02. */
static void test_rdma_lv08_closed_form(void **state)
{
    (void)state;
    double want = RDMA_LAT_S + FRAME_BYTES / (RDMA_BPS / 8);
    for (int net = 0; net < 2; net++) {
        sr_experiment *e = platform(net ? SR_NET_LV08 : SR_NET_CM02, 1, 1, FABRIC);
        sr_run_output o = run(e);
        assert_int_equal(o.n_frames, 1);
        assert_rel(o.frames[0].transfer_s, want, 1e-9);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

/* (1b) The rdma link class's default sharing is FATPIPE (every flow gets the whole bandwidth): one and three
 * transfers each take latency + size / bandwidth under LV08. */
static void test_rdma_lv08_fatpipe(void **state)
{
    (void)state;
    for (int n = 1; n <= 3; n += 2) {
        sr_experiment *e = platform_sharing(SR_NET_LV08, n, 1, FABRIC, SR_SHARING_FATPIPE);
        sr_run_output o = run(e);
        assert_int_equal(o.n_frames, n);
        for (int k = 0; k < n; k++)
            assert_rel(o.frames[k].transfer_s, RDMA_LAT_S + FRAME_BYTES / (RDMA_BPS / 8), 1e-9);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

/* (2) The same link typed ethernet keeps LV08's corrections: latency x 13.01; the flow's own 5 % on the
 * reverse route (the same SHARED link) and the bandwidth factor give 0.97 bw / 1.05. The TCP window
 * 4 MiB / (2 x 1.5 us) is far above 16 GB/s. */
static void test_tcp_lv08_keeps_factors(void **state)
{
    (void)state;
    sr_experiment *e = platform(SR_NET_LV08, 1, 0, FABRIC);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_rel(o.frames[0].transfer_s, 13.01 * RDMA_LAT_S + FRAME_BYTES / (0.97 * RDMA_BPS / 8 / 1.05), 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (3) A route through an ethernet link and the rdma link is a TCP path: LV08 applies to all of it (latencies
 * summed then x 13.01; the slowest link, 10 Gb/s, x 0.97 / 1.05). */
static void test_mixed_route_is_tcp(void **state)
{
    (void)state;
    sr_experiment *e = platform(SR_NET_LV08, 1, 1, MIXED);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 1);
    assert_rel(o.frames[0].transfer_s, 13.01 * (RDMA_LAT_S + ETH_LAT_S) + FRAME_BYTES / (0.97 * ETH_BPS / 8 / 1.05),
               1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (4) Three rdma transfers start together on the shared rdma link: each gets a third of the bandwidth,
 * as without cross-traffic: latency + 3 size / bandwidth. */
static void test_rdma_lv08_sharing(void **state)
{
    (void)state;
    sr_experiment *e = platform(SR_NET_LV08, 3, 1, FABRIC);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 3);
    for (int k = 0; k < 3; k++)
        assert_rel(o.frames[k].transfer_s, RDMA_LAT_S + 3 * FRAME_BYTES / (RDMA_BPS / 8), 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdma_lv08_closed_form),
        cmocka_unit_test(test_rdma_lv08_fatpipe),
        cmocka_unit_test(test_tcp_lv08_keeps_factors),
        cmocka_unit_test(test_mixed_route_is_tcp),
        cmocka_unit_test(test_rdma_lv08_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
