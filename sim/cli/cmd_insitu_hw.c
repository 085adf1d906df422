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

    /* Fig. 23: the pipeline of the WSS group (conv) and an NWS for the FC layers from the remaining multipliers. */
    sr_fpga_nws fc_nws;
    int64_t cy;
    sr_hw_layer fcs[MAX_LAYERS];
    int n_fc = 0;
    for (int i = 0; i < n_alex; i++)
        if (alex[i].kind == SR_HW_FC) fcs[n_fc++] = alex[i];
    int left = MULTIPLIERS - (int)a.mult_wss;
    if (sr_fpga_search_nws(&fp, left, fcs, n_fc, 1, &fc_nws, &cy) != SR_OK) return 1;
    printf("\nFig. 23: WSS-NWS pipeline (conv on the WSS group, FC on a %d x %d NWS), AlexNet, largest batch under "
           "the bound (eq. 14)\n",
           fc_nws.tm, fc_nws.tn);
    printf("batch-1 latency (eq. 13) of each co-running architecture, CONV-5 sharing, FC on the same NWS:\n");
    for (int k = 0; k < 3; k++) {
        double lat = 0;
        if (sr_insitu_corun_latency(&fp, &a, archs[k], alex, patch, n_alex, 5, &fc_nws, 1, &lat) != SR_OK) return 1;
        printf("  %-4s %8.2f ms  %s 50 ms\n", names[k], 1e3 * lat, lat <= 0.05 ? "meets" : "misses");
    }
    printf("%9s %6s %11s %14s\n", "bound_ms", "batch", "latency_ms", "throughput/s");
    const double b23[] = {0.05, 0.1, 0.2, 0.4, 0.8};
    for (int b = 0; b < 5; b++) {
        int batch = 0;
        sr_fpga_pipeline_result r;
        if (sr_fpga_pipeline_select_batch(&fp, &a.wss, &fc_nws, alex, n_alex, b23[b], 4096, &batch) == SR_OK &&
            sr_fpga_pipeline_time(&fp, &a.wss, &fc_nws, alex, n_alex, batch, &r) == SR_OK)
            printf("%9.0f %6d %11.2f %14.1f\n", 1e3 * b23[b], batch, 1e3 * r.latency_s, r.throughput_per_s);
        else
            printf("%9.0f %6s %11s %14s\n", 1e3 * b23[b], "-", "misses", "-");
    }
    return 0;
}
