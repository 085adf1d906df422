/* cmd_insitu_hw.c: `simrun insitu-hw`: In-situ AI's node figures from the hardware models (models/hw/insitu_figs.h):
 * Fig. 21 (GPU batching speedup under latency bounds on the Jetson TX1, AlexNet and VGG-16), Fig. 22 (NWS / WS /
 * WSS co-running conv time, AlexNet, sharing the first 0 / 3 / 5 conv layers) and Fig. 23 (the WSS-NWS pipeline's
 * throughput under latency bounds). Text tables on stdout; docs/papers/insitu.md has them beside the paper's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insitu_figs.h"
#include "sr_cmd.h"
#include "sr_graph.h"
#include "sr_hw_graph.h"
#include "sr_zoo.h"

#define MAX_LAYERS 64 /* layer sets of the zoo's AlexNet and VGG-16 fit */
#define PATCHES 9
#define MULTIPLIERS 2628 /* "all the architectures are implemented with the same number of PEs (2628)" */

static int layers_of(const char *model, int c, int h, int w, sr_hw_layer *out, int *n, char *err, size_t es)
{
    sr_graph *g = NULL;
    sr_status st = sr_zoo_build_err(model, c, h, w, &g, err, es);
    if (st == SR_OK) st = sr_graph_infer(g, err, es);
    if (st == SR_OK) st = sr_hw_layers_from_graph(g, out, MAX_LAYERS, n, err, es);
    sr_graph_free(g);
    return st == SR_OK ? 0 : -1;
}

int sr_cmd_insitu_hw(int argc, char **argv)
{
    if (argc > 1) {
        int help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fprintf(help ? stdout : stderr,
                "usage: simrun insitu-hw\n  In-situ AI's Fig. 21, 22 and 23 from the GPU time model and the FPGA "
                "engines (docs/papers/insitu.md)\n");
        return help ? 0 : 2;
    }
    char err[512] = "";
    sr_hw_layer alex[MAX_LAYERS], vgg[MAX_LAYERS], patch[MAX_LAYERS];
    int n_alex = 0, n_vgg = 0;
    if (layers_of("alexnet", 3, 227, 227, alex, &n_alex, err, sizeof err) ||
        layers_of("vgg16", 3, 224, 224, vgg, &n_vgg, err, sizeof err)) {
        fprintf(stderr, "insitu-hw: %s\n", err);
        return 1;
    }
    if (sr_insitu_patch_layers(alex, n_alex, 115, PATCHES, patch) != SR_OK) return 1;

    sr_gpu_insitu_params tx1;
    sr_gpu_insitu_preset("jetson-tx1", &tx1);
    printf("Fig. 21: batching under a latency bound on the Jetson TX1 (GPU time + memory model)\n");
    printf("%-8s %9s %6s %11s %11s %8s\n", "model", "bound_ms", "batch", "latency_ms", "batch1_ms", "speedup");
    const double bounds[] = {0.033, 0.05, 0.1, 0.2, 0.4};
    for (int m = 0; m < 2; m++)
        for (int b = 0; b < 5; b++) {
            sr_insitu_batching r;
            sr_status st = sr_insitu_fig21(&tx1, m ? vgg : alex, m ? n_vgg : n_alex, bounds[b], 256, &r);
            if (st == SR_OK)
                printf("%-8s %9.0f %6d %11.2f %11.2f %8.2f\n", m ? "vgg16" : "alexnet", 1e3 * bounds[b], r.batch,
                       1e3 * r.latency_s, 1e3 * r.t1_s, r.speedup);
            else
                printf("%-8s %9.0f %6s %11s %11.2f %8s\n", m ? "vgg16" : "alexnet", 1e3 * bounds[b], "-", "misses",
                       1e3 * r.t1_s, "-");
        }

    sr_fpga_params fp;
    sr_fpga_preset("vx690t", &fp);
    sr_insitu_archs a;
    if (sr_insitu_archs_make(&fp, alex, n_alex, PATCHES, MULTIPLIERS, &a) != SR_OK) {
        fprintf(stderr, "insitu-hw: no architecture fits %d multipliers\n", MULTIPLIERS);
        return 1;
    }
    printf("\nFig. 22: AlexNet conv layers, inference (227x227) + diagnosis (9 patches of 115x115) co-running on a "
           "VX690T at %.0f MHz, %.1f GB/s\n",
           fp.freq_hz / 1e6, fp.mem_bw_Bps / 1e9);
    printf("architectures: WSS %d x (14x14 + 9 x 7x7) = %lld multipliers; WS 10 x (%d x %d) = %lld; NWS %d x %d = %lld\n",
           a.wss.group, (long long)a.mult_wss, a.ws_engine.tm, a.ws_engine.tn, (long long)a.mult_ws, a.nws.tm,
           a.nws.tn, (long long)a.mult_nws);
    printf("%-7s %-5s %11s %10s %6s\n", "sharing", "arch", "compute_ms", "access_ms", "idle");
    const int shares[] = {0, 3, 5};
    const sr_fpga_arch archs[] = {SR_FPGA_ARCH_NWS, SR_FPGA_ARCH_WS, SR_FPGA_ARCH_WSS};
    const char *names[] = {"NWS", "WS", "WSS"};
    for (int s = 0; s < 3; s++)
        for (int k = 0; k < 3; k++) {
            sr_insitu_corun r;
            if (sr_insitu_fig22(&fp, &a, archs[k], alex, patch, n_alex, shares[s], &r) != SR_OK) return 1;
            printf("CONV-%d  %-5s %11.3f %10.3f %6.3f\n", shares[s], names[k], 1e3 * r.compute_s, 1e3 * r.access_s,
                   r.idle_fraction);
        }

    /* Fig. 23. Eq. 10 bounds the whole design by DSP_total (3600 on the VX690T; Fig. 22's 2628 PEs are the conv
     * engines). The paper states the WSS geometry and eq. 10 but not its Group_size nor its NWS Tm x Tn, so every
     * split is swept: G WSS copies and, from the DSPs left, the FC NWS sr_fpga_search_nws picks; per bound the
     * split with the highest throughput is the one eq. 14 leads to. */
    const double b23[] = {0.05, 0.1, 0.2, 0.4, 0.8};
    enum { NB = 5, MAX_G = 8 };
    sr_insitu_archs ag[MAX_G + 1];
    sr_fpga_nws fcg[MAX_G + 1];
    int64_t dspg[MAX_G + 1];
    int n_g = 0;
    for (int g = 1; g <= MAX_G; g++) {
        ag[g] = a;
        if (sr_insitu_split(&fp, &a.wss, g, alex, n_alex, &ag[g].wss, &fcg[g], &dspg[g]) != SR_OK) break;
        n_g = g;
    }
    printf("\nFig. 23: throughput under a latency bound, AlexNet inference + diagnosis (9 patches), VX690T (%d DSPs, "
           "eq. 10)\n",
           fp.dsp_total);
    printf("WSS-NWS splits (eq. 10: G x %lld + Tm x Tn <= %d), largest batch by eq. 14, throughput in images/s:\n",
           (long long)sr_fpga_wss_dsp(&a.wss, &fp), fp.dsp_total);
    printf("%3s %5s %9s %9s", "G", "DSPs", "FC NWS", "conv_ms");
    for (int b = 0; b < NB; b++) printf("  %4.0fms b/thr", 1e3 * b23[b]);
    printf("\n");
    int best_g[NB] = {0};
    double best_thr[NB] = {0};
    for (int g = 1; g <= n_g; g++) {
        sr_insitu_corun c;
        if (sr_insitu_fig22(&fp, &ag[g], SR_FPGA_ARCH_WSS, alex, patch, n_alex, 5, &c) != SR_OK) return 1;
        char fcname[16];
        snprintf(fcname, sizeof fcname, "%dx%d", fcg[g].tm, fcg[g].tn);
        printf("%3d %5lld %9s %9.2f", g, (long long)dspg[g], fcname, 1e3 * c.compute_s);
        for (int b = 0; b < NB; b++) {
            sr_insitu_point pt;
            if (sr_insitu_fig23_arch(&fp, &ag[g], SR_FPGA_ARCH_WSS, alex, patch, n_alex, &fcg[g], 1, 1, b23[b], 4096,
                                     &pt) != SR_OK)
                return 1;
            if (pt.batch)
                printf("  %4d/%7.1f", pt.batch, pt.throughput_per_s);
            else
                printf("  %12s", "misses");
            if (pt.throughput_per_s > best_thr[b]) best_thr[b] = pt.throughput_per_s, best_g[b] = g;
        }
        printf("\n");
    }
    /* the other architectures: WS with its FC NWS from the DSPs its 10 engines leave; NWS one engine for both */
    sr_insitu_archs aws = a;
    sr_fpga_wss ws_dummy;
    sr_fpga_nws ws_fc;
    int64_t ws_dsp = 0;
    {
        sr_fpga_params left = fp;
        left.dsp_total = fp.dsp_total - (int)a.mult_ws + (int)sr_fpga_wss_dsp(&a.wss, &fp);
        if (sr_insitu_split(&left, &a.wss, 1, alex, n_alex, &ws_dummy, &ws_fc, &ws_dsp) != SR_OK) return 1;
    }
    printf("per architecture (WSS-NWS: the best split above; WS: 10 x %dx%d + FC NWS %dx%d; NWS: one %dx%d engine "
           "for conv and FC, not pipelined):\n",
           a.ws_engine.tm, a.ws_engine.tn, ws_fc.tm, ws_fc.tn, a.nws.tm, a.nws.tn);
    printf("%9s %16s %16s %16s %20s\n", "bound_ms", "NWS b/thr", "NWS-batch b/thr", "WS b/thr", "WSS-NWS G b/thr");
    for (int b = 0; b < NB; b++) {
        sr_insitu_point pn, pnb, pw;
        if (sr_insitu_fig23_arch(&fp, &a, SR_FPGA_ARCH_NWS, alex, patch, n_alex, &a.nws, 0, 0, b23[b], 4096, &pn) ||
            sr_insitu_fig23_arch(&fp, &a, SR_FPGA_ARCH_NWS, alex, patch, n_alex, &a.nws, 1, 0, b23[b], 4096, &pnb) ||
            sr_insitu_fig23_arch(&fp, &aws, SR_FPGA_ARCH_WS, alex, patch, n_alex, &ws_fc, 1, 1, b23[b], 4096, &pw))
            return 1;
        const sr_insitu_point *pts[3] = {&pn, &pnb, &pw};
        printf("%9.0f", 1e3 * b23[b]);
        for (int k = 0; k < 3; k++) {
            if (pts[k]->batch)
                printf(" %7d/%8.1f", pts[k]->batch, pts[k]->throughput_per_s);
            else
                printf(" %16s", "misses");
        }
        printf("   G=%d %13.1f\n", best_g[b], best_thr[b]);
    }
    return 0;
}
