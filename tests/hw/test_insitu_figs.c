/* test_insitu_figs.c: In-situ AI's node figures from the hardware models (models/hw/insitu_figs.h) on the zoo's
 * AlexNet and VGG-16: the patch layer set by hand, Fig. 21's speedup as b T(1) / T(b) of the GPU time model, and
 * the paper's orderings: WSS < NWS < WS in co-running compute time (Fig. 22), weight access falling with sharing
 * for WS and WSS but not NWS, and WS missing a 50 ms latency bound that NWS and WSS meet (Fig. 23). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "insitu_figs.h"
#include "sr_graph.h"
#include "sr_hw_graph.h"
#include "sr_zoo.h"

#define MAXL 64

static int layers(const char *model, int hw, sr_hw_layer *out)
{
    sr_graph *g = NULL;
    int n = 0;
    assert_int_equal(sr_zoo_build(model, 3, hw, hw, &g), SR_OK);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    assert_int_equal(sr_hw_layers_from_graph(g, out, MAXL, &n, NULL, 0), SR_OK);
    sr_graph_free(g);
    return n;
}

/* AlexNet (torchvision): conv1 11x11/4 pad 2 on 115x115 -> 28x28, pool 3/2 -> 13x13 into conv2 (5x5 pad 2),
 * pool -> 6x6 into conv3, conv4 and conv5 (3x3 pad 1). */
static void test_patch_layers(void **state)
{
    (void)state;
    sr_hw_layer inf[MAXL], patch[MAXL];
    int n = layers("alexnet", 227, inf);
    assert_int_equal(sr_insitu_patch_layers(inf, n, 115, 9, patch), SR_OK);
    const int want[5] = {115, 13, 6, 6, 6};
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (patch[i].kind != SR_HW_CONV) continue;
        assert_int_equal(patch[i].u.conv.h, want[k]);
        assert_int_equal(patch[i].u.conv.w, want[k]);
        assert_int_equal(patch[i].u.conv.n, 9);
        assert_int_equal(patch[i].u.conv.m, inf[i].u.conv.m);
        k++;
    }
    assert_int_equal(k, 5);
    assert_int_equal(sr_insitu_patch_layers(inf, n, 8, 9, patch), SR_ERR_INVALID); /* too small for 11x11 */
}

static void test_fig21(void **state)
{
    (void)state;
    sr_hw_layer alex[MAXL], vgg[MAXL];
    int na = layers("alexnet", 227, alex), nv = layers("vgg16", 224, vgg);
    sr_gpu_insitu_params tx1;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &tx1), SR_OK);
    const double bounds[] = {0.2, 0.4};
    for (int b = 0; b < 2; b++) {
        sr_insitu_batching ra, rv;
        assert_int_equal(sr_insitu_fig21(&tx1, alex, na, bounds[b], 256, &ra), SR_OK);
        assert_int_equal(sr_insitu_fig21(&tx1, vgg, nv, bounds[b], 256, &rv), SR_OK);
        double t1, tb;
        assert_int_equal(sr_gpu_insitu_net_time(&tx1, alex, na, 1, &t1), SR_OK);
        assert_int_equal(sr_gpu_insitu_net_time(&tx1, alex, na, ra.batch, &tb), SR_OK);
        assert_true(fabs(ra.speedup - ra.batch * t1 / tb) < 1e-12);
        assert_true(tb <= bounds[b]);
        /* AlexNet gains most from batching (the paper: "especially high for the AlexNet based inference") */
        assert_true(ra.speedup > 3.0);
        assert_true(ra.speedup > rv.speedup);
    }
    sr_insitu_batching r;
    assert_int_equal(sr_insitu_fig21(&tx1, vgg, nv, 0.033, 256, &r), SR_ERR_NOT_FOUND); /* VGG-16 > 33 ms */
}

static void test_fig22_23_orderings(void **state)
{
    (void)state;
    sr_hw_layer inf[MAXL], patch[MAXL], fcs[MAXL];
    int n = layers("alexnet", 227, inf), n_fc = 0;
    assert_int_equal(sr_insitu_patch_layers(inf, n, 115, 9, patch), SR_OK);
    sr_fpga_params p;
    assert_int_equal(sr_fpga_preset("vx690t", &p), SR_OK);
    sr_insitu_archs a;
    assert_int_equal(sr_insitu_archs_make(&p, inf, n, 9, 2628, &a), SR_OK);
    assert_int_equal(a.mult_wss, 4 * 637);
    assert_true(a.mult_ws <= 2628 && a.mult_nws <= 2628);
    assert_true(a.mult_ws > 0.9 * 2628 && a.mult_nws > 0.9 * 2628);
    double access_nws0 = 0, access_wss_prev = INFINITY, access_ws_prev = INFINITY;
    const int shares[3] = {0, 3, 5};
    for (int s = 0; s < 3; s++) {
        sr_insitu_corun nws, ws, wss;
        assert_int_equal(sr_insitu_fig22(&p, &a, SR_FPGA_ARCH_NWS, inf, patch, n, shares[s], &nws), SR_OK);
        assert_int_equal(sr_insitu_fig22(&p, &a, SR_FPGA_ARCH_WS, inf, patch, n, shares[s], &ws), SR_OK);
        assert_int_equal(sr_insitu_fig22(&p, &a, SR_FPGA_ARCH_WSS, inf, patch, n, shares[s], &wss), SR_OK);
        assert_true(wss.compute_s < nws.compute_s && nws.compute_s < ws.compute_s);
        assert_true(wss.idle_fraction < nws.idle_fraction && nws.idle_fraction < ws.idle_fraction);
        if (s == 0) access_nws0 = nws.access_s;
        assert_true(nws.access_s == access_nws0); /* NWS cannot share weights */
        if (s > 0) {
            assert_true(wss.access_s < access_wss_prev);
            assert_true(ws.access_s < access_ws_prev);
            assert_true(wss.access_s < nws.access_s);
        }
        access_wss_prev = wss.access_s;
        access_ws_prev = ws.access_s;
        assert_true(fabs(wss.compute_s - (double)wss.cycles / 100e6) < 1e-15);
    }
    for (int i = 0; i < n; i++)
        if (inf[i].kind == SR_HW_FC) fcs[n_fc++] = inf[i];
    sr_fpga_nws fc;
    int64_t cy;
    assert_int_equal(sr_fpga_search_nws(&p, 2628 - (int)a.mult_wss, fcs, n_fc, 1, &fc, &cy), SR_OK);
    double l_nws, l_ws, l_wss;
    assert_int_equal(sr_insitu_corun_latency(&p, &a, SR_FPGA_ARCH_NWS, inf, patch, n, 5, &fc, 1, &l_nws), SR_OK);
    assert_int_equal(sr_insitu_corun_latency(&p, &a, SR_FPGA_ARCH_WS, inf, patch, n, 5, &fc, 1, &l_ws), SR_OK);
    assert_int_equal(sr_insitu_corun_latency(&p, &a, SR_FPGA_ARCH_WSS, inf, patch, n, 5, &fc, 1, &l_wss), SR_OK);
    assert_true(l_ws > 0.05);  /* WS misses 50 ms */
    assert_true(l_nws <= 0.05 && l_wss <= 0.05);
    assert_true(l_wss < l_nws);
}

/* Fig. 23 over eq. 10's splits of the VX690T's 3600 DSPs: G WSS copies of 637 multipliers and the FC NWS the search
 * picks from the rest. Eq. 14's batch meets each bound; the split with the highest throughput is the most WSS copies
 * that fit (G = 5) at every bound, because the conv stage binds (T_conv(1) > T_fc(1) for every G: the FC weights,
 * 117 MB at 29.9 GB/s, take 3.9 ms). The paper's qualitative orderings: NWS (no batch loop) is flat; NWS-batch
 * rises with the bound and then stops (its FC layers become compute-bound); WS misses 50 ms and is below NWS-batch;
 * WSS-NWS at 50 ms beats NWS-batch at 800 ms. */
static void test_fig23_splits(void **state)
{
    (void)state;
    sr_hw_layer inf[MAXL], patch[MAXL];
    int n = layers("alexnet", 227, inf);
    assert_int_equal(sr_insitu_patch_layers(inf, n, 115, 9, patch), SR_OK);
    sr_fpga_params p;
    assert_int_equal(sr_fpga_preset("vx690t", &p), SR_OK);
    sr_insitu_archs a;
    assert_int_equal(sr_insitu_archs_make(&p, inf, n, 9, 2628, &a), SR_OK);
    const double bounds[5] = {0.05, 0.1, 0.2, 0.4, 0.8};
    double best[5] = {0}, nwsb_prev = 0;
    int best_g[5] = {0}, n_g = 0;
    for (int g = 1; g <= 8; g++) {
        sr_insitu_archs ag = a;
        sr_fpga_nws fc;
        int64_t dsp = 0;
        sr_status st = sr_insitu_split(&p, &a.wss, g, inf, n, &ag.wss, &fc, &dsp);
        if (st == SR_ERR_RANGE) break;
        assert_int_equal(st, SR_OK);
        assert_true(dsp <= 3600 && dsp == g * 637 + fc.tm * fc.tn);
        n_g = g;
        for (int b = 0; b < 5; b++) {
            sr_insitu_point pt;
            assert_int_equal(sr_insitu_fig23_arch(&p, &ag, SR_FPGA_ARCH_WSS, inf, patch, n, &fc, 1, 1, bounds[b],
                                                  4096, &pt),
                             SR_OK);
            if (!pt.batch) continue;
            assert_true(pt.latency_s <= bounds[b]);
            if (pt.throughput_per_s > best[b]) best[b] = pt.throughput_per_s, best_g[b] = g;
        }
    }
    assert_int_equal(n_g, 5); /* 6 x 637 > 3600 */
    for (int b = 0; b < 5; b++) assert_int_equal(best_g[b], 5);
    for (int b = 0; b < 5; b++) {
        sr_insitu_point pn, pnb, pw;
        assert_int_equal(sr_insitu_fig23_arch(&p, &a, SR_FPGA_ARCH_NWS, inf, patch, n, &a.nws, 0, 0, bounds[b], 4096, &pn),
                         SR_OK);
        assert_int_equal(
            sr_insitu_fig23_arch(&p, &a, SR_FPGA_ARCH_NWS, inf, patch, n, &a.nws, 1, 0, bounds[b], 4096, &pnb), SR_OK);
        sr_fpga_nws wsfc = {.tm = 20, .tn = 52, .tr = 1, .tc = 1};
        assert_int_equal(sr_insitu_fig23_arch(&p, &a, SR_FPGA_ARCH_WS, inf, patch, n, &wsfc, 1, 1, bounds[b], 4096, &pw),
                         SR_OK);
        if (b == 0) assert_int_equal(pw.batch, 0); /* WS misses 50 ms */
        if (b > 0) assert_true(pw.batch > 0 && pw.throughput_per_s < pnb.throughput_per_s);
        assert_true(pnb.throughput_per_s >= nwsb_prev);
        nwsb_prev = pnb.throughput_per_s;
        if (b > 0) {
            sr_insitu_point p0;
            assert_int_equal(
                sr_insitu_fig23_arch(&p, &a, SR_FPGA_ARCH_NWS, inf, patch, n, &a.nws, 0, 0, bounds[0], 4096, &p0), SR_OK);
            assert_true(fabs(pn.throughput_per_s - p0.throughput_per_s) < 1e-9 * p0.throughput_per_s); /* flat */
        }
        assert_true(pnb.throughput_per_s < best[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_patch_layers),
        cmocka_unit_test(test_fig21),
        cmocka_unit_test(test_fig22_23_orderings),
        cmocka_unit_test(test_fig23_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
