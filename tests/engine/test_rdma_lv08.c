/* test_rdma_lv08.c: under LV08, a lone transfer over an RDMA link takes exactly latency + size / bandwidth (RDMA
 * does not run TCP: LV08's latency x13.01 and bandwidth x0.97 do not apply), while the same link typed ethernet
 * keeps the factors. Platform: a -> l (100 Gbit/s, 1 us, FATPIPE) -> b; cloud_only sends one 1.25 GB frame. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"

static const char *const L[] = {"l", NULL};

static double transfer_s(sr_link_type type, sr_net_model net)
{
    sr_experiment *e = fx_new(0.5, net);
    fx_device(e, "a", 1, 1e9, 0, 0);
    fx_device(e, "b", 1, 1e12, 0, 0);
    fx_link(e, "l", 1e11, 1e-6, SR_SHARING_FATPIPE, NULL, 1);
    e->links[0].type = type;
    fx_route(e, "a", "b", 1, L);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "a", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "b", NULL, 1.25e9);
    static int act = 100;
    sr_engine_opts o = fx_opts(&act);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    assert_int_equal(out.n_frames, 1);
    double t = out.frames[0].transfer_s;
    sr_run_output_clear(&out);
    fx_free(e);
    return t;
}

static void test_rdma_exempt_under_lv08(void **state)
{
    (void)state;
    double want = 1e-6 + 1.25e9 * 8 / 1e11;
    double rdma = transfer_s(SR_LINK_RDMA, SR_NET_LV08);
    double eth = transfer_s(SR_LINK_ETHERNET, SR_NET_LV08);
    double cm02 = transfer_s(SR_LINK_RDMA, SR_NET_CM02);
    fprintf(stderr, "1.25 GB over 100 Gbit/s, 1 us: rdma/lv08 %.9f, ethernet/lv08 %.9f, rdma/cm02 %.9f, want %.9f\n",
            rdma, eth, cm02, want);
    assert_true(fabs(rdma - want) <= 1e-9 * want);
    assert_true(fabs(cm02 - want) <= 1e-9 * want);
    /* the TCP corrections stay on the non-RDMA link: at least the bandwidth factor 0.97 */
    assert_true(eth >= 1e-6 * 13.01 + 1.25e9 * 8 / (0.97 * 1e11) - 1e-9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rdma_exempt_under_lv08),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
