/* bench_codecs.c: codec benchmarks, every number a ratio to an anchor measured in the same run.
 *
 * 1. Entropy coders on a large skewed source and on quantized activations: rANS bits/symbol against the
 *    order-0 Shannon bound H, Huffman against Gallager's bound H + p_max + 0.086.
 * 2. Throughput (encode and decode MB/s of 8-bit symbols) of Huffman, rANS and zero-run+rANS as a ratio
 *    to libzstd level 1 on the same buffer (half zeros, and 82 % zeros where zero-run coding takes over),
 * timed in thread CPU time (CLOCK_THREAD_CPUTIME_ID: on a shared machine wall time counts the other jobs'
 * slices), best of 10, each coder's runs interleaved with the anchor's. Targets: encode >= 1.0 x zstd, decode
 * >= 0.5 x zstd, size within 1 % of the order-0 bound.
 * 3. Split-brain: MobileNetV2 and ResNet-50 at 3x720x1280 run by the simrun executor on a synthetic video
 *    frame, activations kept at candidate split layers, compressed by several pipelines; size against
 *    raw fp32 and against the JPEG-compressed input frame, with SNR. Weights are seeded He-initialised
 *    (no pretrained weights ship with simrun), so activation statistics are those of an untrained net.
 * The header names the BLAS that runs cblas_sgemm (the split-brain forward passes).
 * Usage: bench_codecs [--quick | --coders] (quick: 360p and fewer layers; coders: parts 1 and 2 only). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_codec.h"
#include "sr_entropy.h"
#include "sr_rans_core.h"
#include "sr_exec.h"
#include "sr_framecodec.h"
#include "sr_graph.h"
#include "sr_kernels.h"
#include "sr_weights.h"
#include "sr_zoo.h"
#include "video.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void entropy_report(const char *label, const uint32_t *s, size_t n)
{
    double h, pmax;
    sr_entropy_order0(s, n, &h, &pmax);
    sr_wbuf w;
    sr_wbuf_init(&w);
    sr_rans_encode(s, n, &w);
    double rb = 8.0 * (double)w.len / (double)n;
    sr_wbuf_free(&w);
    sr_wbuf_init(&w);
    sr_huff_encode(s, n, &w);
    double hb = 8.0 * (double)w.len / (double)n;
    sr_wbuf_free(&w);
    printf("%-34s n=%9zu H=%.4f p_max=%.3f | rans %.4f b/s = %.4f x H | huffman %.4f b/s, bound %.4f (%s)\n",
           label, n, h, pmax, rb, rb / h, hb, h + pmax + 0.086, hb <= h + pmax + 0.086 ? "within" : "ABOVE");
}

typedef struct {
    double enc_s, dec_s;
    size_t bytes;
    int ok; /* every run decoded to the input */
} timing;

/* which: 0 zstd, 1 Huffman, 2 rANS, 3 zero-run + rANS; 4 and 5 are 2 and 3 decoded by rANS's scalar loop
 * (what a CPU without AVX2 runs) */
static timing time_coder(int which, const uint32_t *s, const uint8_t *s8, size_t n, int reps)
{
    timing t = {1e30, 1e30, 0, 1};
    int was = sr_rans_core_scalar_only(which >= 4);
    if (which >= 4) which -= 2;
    uint32_t *d = malloc(n * sizeof *d);
    uint8_t *d8 = malloc(n);
    for (int r = 0; r < reps; r++) {
        sr_wbuf w;
        sr_wbuf_init(&w);
        double t0 = cpu_s();
        if (which == 0) {
            size_t cap = ZSTD_compressBound(n);
            uint8_t *p = sr_wbuf_reserve(&w, cap);
            w.len = ZSTD_compress(p, cap, s8, n, 1);
        } else if (which == 1) {
            sr_huff_encode(s, n, &w);
        } else if (which == 2) {
            sr_rans_encode(s, n, &w);
        } else {
            sr_zrans_encode(s, n, &w);
        }
        double t1 = cpu_s();
        sr_rbuf rb;
        sr_rbuf_init(&rb, w.data, w.len);
        size_t got;
        if (which == 0) {
            ZSTD_decompress(d8, n, w.data, w.len);
        } else if (which == 1) {
            sr_huff_decode(&rb, d, n, &got);
        } else if (which == 2) {
            sr_rans_decode(&rb, d, n, &got);
        } else {
            sr_zrans_decode(&rb, d, n, &got);
        }
        double t2 = cpu_s();
        if (which == 0 ? memcmp(d8, s8, n) != 0 : memcmp(d, s, n * sizeof *s) != 0)
            t.ok = 0;
        t.enc_s = fmin(t.enc_s, t1 - t0);
        t.dec_s = fmin(t.dec_s, t2 - t1);
        t.bytes = w.len;
        sr_wbuf_free(&w);
    }
    free(d), free(d8);
    sr_rans_core_scalar_only(was);
    return t;
}

static void throughput_report(const char *label, const uint32_t *s, size_t n)
{
    uint8_t *s8 = malloc(n);
    for (size_t i = 0; i < n; i++)
        s8[i] = (uint8_t)s[i];
    double h, pmax;
    sr_entropy_order0(s, n, &h, &pmax);
    const char *names[] = {"zstd -1 (anchor)", "huffman",           "rans",
                           "zrle+rans",        "rans, scalar loop", "zrle+rans, scalar loop"};
    enum { N_ROWS = 6 };
    timing t[N_ROWS];
    /* each coder against its own anchor runs, taken right before it, so that a change of machine load
     * between coders does not move the ratios */
    timing z[N_ROWS];
    for (int k = 0; k < N_ROWS; k++) {
        z[k] = time_coder(0, s, s8, n, 10);
        t[k] = k ? time_coder(k, s, s8, n, 10) : z[k];
    }
    printf("throughput on %s (%zu 8-bit symbols, H = %.4f b/s, thread CPU time, best of 10):\n", label, n, h);
    for (int k = 0; k < N_ROWS; k++) {
        double mb = (double)n / 1e6, enc = z[k].enc_s / t[k].enc_s, dec = z[k].dec_s / t[k].dec_s;
        double bits = 8.0 * (double)t[k].bytes / (double)n;
        printf("  %-22s size %9zu B (%.3f x zstd, %.4f x H)  enc %7.1f MB/s (%.2f x zstd)  dec %7.1f MB/s "
               "(%.2f x zstd)%s\n",
               names[k], t[k].bytes, (double)t[k].bytes / (double)z[k].bytes, bits / h, mb / t[k].enc_s, enc,
               mb / t[k].dec_s, dec,
               !t[k].ok ? "  ROUND TRIP FAILED"
               : k == 0 ? ""
               : enc >= 1.0 && dec >= 0.5 && bits <= 1.01 * h
                   ? "  [targets met]"
                   : "  [below target: enc >= 1, dec >= 0.5, size <= 1.01 H]");
    }
    free(s8);
}

static int find_node(const sr_graph *g, const char *name)
{
    int id = sr_graph_find(g, name);
    if (id < 0)
        fprintf(stderr, "bench_codecs: node %s not found\n", name);
    return id;
}

static void split_brain(const char *model, const char *const *layers, int n_layers, int w, int h,
                        const uint8_t *rgb0, const uint8_t *rgb1, size_t jpeg90, size_t jpeg75)
{
    sr_graph *g;
    if (sr_zoo_build(model, 3, h, w, &g) != SR_OK) {
        printf("%s: cannot build\n", model);
        return;
    }
    sr_weights *wt;
    sr_weights_create(g, &wt);
    sr_weights_init_he(wt, 1);
    sr_exec *e;
    char err[256];
    if (sr_exec_create(g, wt, 0, &e, err, sizeof err) != SR_OK) {
        printf("%s: executor: %s\n", model, err);
        sr_weights_free(wt);
        sr_graph_free(g);
        return;
    }
    int ids[16];
    for (int i = 0; i < n_layers; i++) {
        ids[i] = find_node(g, layers[i]);
        if (ids[i] >= 0)
            sr_exec_keep(e, ids[i]);
    }
    int in_id = -1;
    for (int i = 0; i < sr_graph_node_count(g) && in_id < 0; i++)
        if (sr_graph_node(g, i)->op == SR_OP_INPUT)
            in_id = i;
    /* two consecutive frames, for inter-frame coding */
    float *acts[2][16] = {{0}};
    for (int f = 0; f < 2; f++) {
        sr_rgb_to_chw_imagenet(f ? rgb1 : rgb0, w, h, sr_exec_input(e, in_id));
        double t0 = now_s(), c0 = cpu_s();
        sr_exec_run(e);
        /* CPU time too: on a loaded machine the wall time counts other jobs (OpenBLAS runs one thread here) */
        printf("%s frame %d forward pass: %.2f s wall, %.2f s thread CPU\n", model, f, now_s() - t0, cpu_s() - c0);
        for (int i = 0; i < n_layers; i++) {
            if (ids[i] < 0)
                continue;
            size_t n = (size_t)sr_shape_numel(&sr_graph_node(g, ids[i])->out);
            acts[f][i] = malloc(n * sizeof(float));
            memcpy(acts[f][i], sr_exec_output(e, ids[i]), n * sizeof(float));
        }
    }
    const char *pipes[] = {"quant8", "quant8+zrle+rans", "quant4+zrle+rans", "quant2.clip99.9+zrle+rans",
                           "dct8+quant6+huffman", "klt16+quant6+zrle+rans", "inter(quant4+zrle+rans,key=10)"};
    size_t raw_in = (size_t)w * h * 3;
    printf("%s at %dx%d: input RGB %zu B, JPEG q90 %zu B, q75 %zu B\n", model, w, h, raw_in, jpeg90, jpeg75);
    printf("  %-16s %-20s %12s %-32s %11s %10s %10s %9s %8s\n", "layer", "shape", "raw fp32 B", "pipeline",
           "bytes", "raw/bytes", "bytes/jpg90", "SNR dB", "enc s");
    for (int i = 0; i < n_layers; i++) {
        if (ids[i] < 0)
            continue;
        const sr_shape *s = &sr_graph_node(g, ids[i])->out;
        int c = (int)s->d[1], hh = (int)s->d[2], ww = (int)s->d[3];
        size_t n = (size_t)c * hh * ww;
        double zeros = 0;
        for (size_t k = 0; k < n; k++)
            zeros += acts[0][i][k] == 0;
        char shp[64];
        snprintf(shp, sizeof shp, "%dx%dx%d z%.0f%%", c, hh, ww, 100 * zeros / n);
        float *y = malloc(n * sizeof *y);
        for (size_t p = 0; p < sizeof pipes / sizeof pipes[0]; p++) {
            sr_codec *cd;
            if (sr_codec_create(pipes[p], c, hh, ww, &cd, err, sizeof err) != SR_OK) {
                printf("  %s\n", err);
                continue;
            }
            int inter = strncmp(pipes[p], "inter", 5) == 0;
            uint8_t *b = NULL;
            size_t nb = 0;
            double t0 = now_s(), enc_s = 0;
            sr_status st = SR_OK;
            for (int f = 0; f <= inter && st == SR_OK; f++) { /* inter: report the P frame */
                free(b);
                t0 = now_s();
                st = sr_codec_encode(cd, acts[f][i], &b, &nb);
                enc_s = now_s() - t0;
                if (st == SR_OK)
                    st = sr_codec_decode(cd, b, nb, y);
            }
            if (st != SR_OK) {
                printf("  %-16s %s: %s\n", layers[i], pipes[p], sr_status_message(st));
                free(b);
                sr_codec_free(cd);
                continue;
            }
            printf("  %-16s %-20s %12zu %-32s %11zu %10.1f %10.3f %9.2f %8.3f\n", layers[i], shp, n * 4,
                   pipes[p], nb, (double)(n * 4) / (double)nb, (double)nb / (double)jpeg90,
                   sr_metric_snr_db(acts[inter][i], y, n), enc_s);
            free(b);
            sr_codec_free(cd);
        }
        free(y);
        fflush(stdout);
    }
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < n_layers; i++)
            free(acts[f][i]);
    sr_exec_free(e);
    sr_weights_free(wt);
    sr_graph_free(g);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int coders_only = argc > 1 && strcmp(argv[1], "--coders") == 0;
    char blas[512];
    sr_kernels_blas_describe(blas, sizeof blas);
    printf("BLAS: %s\n", blas);
    printf("== entropy coders vs bounds ==\n");
    size_t n = 4000000;
    uint32_t *s = malloc(n * sizeof *s);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned v = gsl_ran_geometric(r, 0.15) - 1;
        s[i] = v > 255 ? 255 : v;
    }
    entropy_report("geometric p=0.15 (255 max)", s, n);
    for (size_t i = 0; i < n; i++) {
        double v = gsl_ran_laplace(r, 1.0);
        s[i] = v <= 0 ? 0 : (uint32_t)fmin(255, v * 20); /* post-ReLU-like: half zeros */
    }
    entropy_report("ReLU(laplace) 8-bit, 50% zeros", s, n);
    throughput_report("ReLU(laplace) 8-bit", s, n);
    /* sparser maps (deeper post-ReLU layers): 82 % zeros, where zero-run + rANS codes (run, value) groups */
    for (size_t i = 0; i < n; i++) {
        double v = gsl_ran_laplace(r, 1.0) - 1.0;
        s[i] = v <= 0 ? 0 : (uint32_t)fmin(255, v * 20);
    }
    entropy_report("ReLU(laplace - 1) 8-bit, 82% zeros", s, n);
    throughput_report("ReLU(laplace - 1) 8-bit", s, n);
    gsl_rng_free(r);
    free(s);
    if (coders_only)
        return 0;

    printf("\n== split-brain: activations at candidate split layers (He-init weights, untrained) ==\n");
    int w = quick ? 640 : 1280, h = quick ? 360 : 720;
    sr_video_params vp = sr_video_default_params(w, h, 3);
    sr_video *v;
    sr_video_create(&vp, &v);
    uint8_t *rgb0 = malloc((size_t)w * h * 3), *rgb1 = malloc((size_t)w * h * 3);
    sr_video_next_rgb(v, rgb0);
    sr_video_next_rgb(v, rgb1);
    uint8_t *jb;
    size_t j90, j75;
    sr_jpeg_encode(rgb0, w, h, 90, &jb, &j90);
    free(jb);
    sr_jpeg_encode(rgb0, w, h, 75, &jb, &j75);
    free(jb);
    const char *mb[] = {"features.1.conv.0.2", "features.3.add", "features.6.add", "features.13.add"};
    const char *rn[] = {"relu", "layer1.2.relu", "layer2.3.relu", "layer3.5.relu"};
    split_brain("mobilenetv2", mb, quick ? 2 : 4, w, h, rgb0, rgb1, j90, j75);
    split_brain("resnet50", rn, quick ? 2 : 4, w, h, rgb0, rgb1, j90, j75);
    free(rgb0), free(rgb1);
    sr_video_free(v);
    return 0;
}
