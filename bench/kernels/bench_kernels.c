/* bench_kernels.c: performance of simrun's fp32 kernels against anchors measured in the same run.
 *
 *  1. Every conv layer of VGG-16 and ResNet-50 at 3x224x224: GFLOP/s of sr_conv2d and its ratio to a
 *     raw cblas_sgemm of the same M, N, K (per group), each the best of R runs (target >= 0.9 on
 *     large layers, i.e. >= 0.5 GFLOP).
 *  2. Whole-model forward (sr_exec_run) of VGG-16, ResNet-50, MobileNetV2 at batch 1 against the sum
 *     of raw sgemm times of its conv/FC layers, measured two ways in the same run: (a) each GEMM alone,
 *     repeated, best of R, so its weights and operands are hot in L2 (a bound no forward can reach
 *     once the model's weights exceed L2: MobileNetV2's 14 MB of weights, ResNet-50's 100 MB); (b) the
 *     target anchor (<= 1.15): the model's raw GEMMs run back to back as the forward runs them, each
 *     with its own weights, each reading the previous product's output, best of R total, so weights
 *     and activations are exactly as warm as in the forward and the ratio measures the kernels' own
 *     overhead (im2col, output pass, depthwise code), not cache state.
 *     Depthwise layers have no GEMM; MobileNetV2 is reported several ways: against the GEMMs alone
 *     (depthwise time counted as overhead) and against GEMMs + a streaming anchor for each
 *     depthwise layer = best-of-R time of a memcpy of (its input + output bytes) / 2, i.e. moving its
 *     activations once at this machine's copy bandwidth. It is a lower bound (the layer also does 9
 *     MACs per output; on this machine's hot-cache copy bandwidth the depthwise layers are far from
 *     it), reported so the depthwise share of the forward is visible; a third line takes the
 *     depthwise layers' own time (sum of their per-node minima) out of the forward and compares the
 *     rest with the GEMMs. A fourth line is the like-for-like anchor of the definition ("the
 *     sum of their raw GEMMs"): a depthwise layer lowered by im2col is `channels` GEMMs of M=1, K=9,
 *     N=OH*OW, timed with hot operands (a lower bound of that lowering); in sequence (b) the depthwise
 *     layers run that lowering too, and a last line compares the forward without its depthwise layers
 *     with the sequence without them. The per-op line splits the forward's time by
 *     operator (per-node minima over the runs; batch norm / add / activations fused into a conv
 *     report 0 and are inside "conv"). `--detail` lists every conv/fc node against its anchor.
 *  3. Peak memory of a VGG-16 forward (VmHWM growth of this process and the executor's planned
 *     bytes) against weights + two largest activations + im2col workspace.
 * All single-threaded BLAS (as simulations run it). `--quick`: one run per measurement, fewer layers;
 * `--forward`: part 2 only. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_exec.h"
#include "sr_graph.h"
#include "sr_kernels.h"
#include "sr_weights.h"
#include "sr_zoo.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static float *filled(size_t n)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    if (!x) {
        fprintf(stderr, "bench_kernels: out of memory\n");
        abort();
    }
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
    return x;
}

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld", &v) == 1) break;
    if (f) fclose(f);
    return v;
}

static sr_win2d conv_win(const sr_graph *g, const sr_node *nd)
{
    const sr_shape *is = &sr_graph_node(g, nd->inputs[0])->out;
    sr_win2d p = {0};
    p.n = (int)is->d[0], p.in_c = (int)is->d[1], p.in_h = (int)is->d[2], p.in_w = (int)is->d[3];
    p.out_c = (int)nd->out.d[1], p.out_h = (int)nd->out.d[2], p.out_w = (int)nd->out.d[3];
    p.k_h = nd->attr.kernel_h, p.k_w = nd->attr.kernel_w;
    p.stride_h = nd->attr.stride_h, p.stride_w = nd->attr.stride_w;
    p.dil_h = nd->attr.dilation_h, p.dil_w = nd->attr.dilation_w;
    p.pad_top = nd->attr.pad_top, p.pad_left = nd->attr.pad_left;
    return p;
}

/* GEMM shape(s) of a conv/fc node: *groups products of m x n x k (depthwise: its im2col lowering,
 * out_c products of 1 x OH*OW x 9). Returns 0 for other nodes. */
static int node_gemm_shape(const sr_graph *g, const sr_node *nd, int *m, int *n, int *k, int *groups)
{
    *groups = 1;
    if (nd->op == SR_OP_CONV) {
        sr_win2d p = conv_win(g, nd);
        *groups = nd->attr.groups;
        *m = p.out_c / *groups, *n = p.out_h * p.out_w, *k = p.in_c / *groups * p.k_h * p.k_w;
        return 1;
    }
    if (nd->op == SR_OP_FC) {
        const sr_shape *is = &sr_graph_node(g, nd->inputs[0])->out;
        *m = (int)is->d[0], *n = nd->attr.out_channels, *k = (int)(sr_shape_numel(is) / is->d[0]);
        return 1;
    }
    return 0;
}

/* Best-of-reps seconds of the raw GEMMs a conv/fc node lowers to. A depthwise conv has no GEMM worth the
 * name: with include_dw its im2col lowering's per-channel products (groups x sgemm M=1, N=OH*OW, K=KH*KW,
 * the same operand buffers reused for every channel, so hot in cache: a lower bound on that lowering's
 * time) are timed; without, it counts 0. */
static double raw_gemm_s(const sr_graph *g, const sr_node *nd, int reps, int include_dw)
{
    int m, n, k, groups;
    if (!node_gemm_shape(g, nd, &m, &n, &k, &groups)) return 0.0;
    if (nd->op == SR_OP_CONV && groups > 1 && groups == nd->out.d[1] && !include_dw)
        return 0.0; /* depthwise */
    float *A = filled((size_t)m * k), *B = filled((size_t)k * n), *C = filled((size_t)m * n);
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (int gi = 0; gi < groups; gi++)
            if (nd->op == SR_OP_FC)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, A, k, B, k, 1.0f, C, n);
            else
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, k, B, n, 1.0f, C, n);
        double t = now_s() - t0;
        if (t < best) best = t;
    }
    free(A), free(B), free(C);
    return best;
}

/* Anchor of a depthwise conv node (it has no GEMM): best-of-reps time of a memcpy of
 * (input bytes + output bytes) / 2, i.e. of reading the layer's input and writing its output once at
 * the copy bandwidth of this machine, from buffers as hot as in a repeated measurement. 0 for other
 * nodes. *bytes gets the bytes that memcpy moves (read + written). */
static double dw_stream_s(const sr_graph *g, const sr_node *nd, int reps, double *bytes)
{
    *bytes = 0;
    if (nd->op != SR_OP_CONV) return 0.0;
    sr_win2d p = conv_win(g, nd);
    if (!(nd->attr.groups > 1 && nd->attr.groups == p.in_c && nd->attr.groups == p.out_c)) return 0.0;
    size_t half = ((size_t)p.n * p.in_c * p.in_h * p.in_w + (size_t)p.n * p.out_c * p.out_h * p.out_w) / 2;
    float *a = filled(half), *b = filled(half);
    double best = INFINITY;
    for (int r = 0; r < reps + 1; r++) { /* one extra: the first copy pages b in */
        double t0 = now_s();
        memcpy(b, a, sizeof(float) * half);
        double t = now_s() - t0;
        if (r > 0 && t < best) best = t;
    }
    volatile float sink = b[half / 2];
    (void)sink;
    free(a), free(b);
    *bytes = 2.0 * sizeof(float) * (double)half;
    return best;
}

/* The model's raw GEMMs run back to back as a forward would run them, best of reps: every node has
 * its own weight matrix (so, as in the forward, weights come from wherever the previous products
 * left them, not hot from a repeat of the same product), and each product reads the previous one's
 * output buffer (ping-pong), so activations are as warm as in the forward. Depthwise nodes run their
 * im2col lowering (out_c products of M = 1) when include_dw, else nothing. */
static double gemm_sequence_s(const sr_graph *g, int reps, int include_dw)
{
    const int nn = sr_graph_node_count(g);
    float **A = calloc((size_t)nn, sizeof *A);
    size_t big = 0;
    for (int id = 0; id < nn; id++) {
        int m, n, k, groups;
        if (!node_gemm_shape(g, sr_graph_node(g, id), &m, &n, &k, &groups)) continue;
        const sr_node *nd = sr_graph_node(g, id);
        /* B: k x n per group (FC: the m x k input), C: m x n per group; A: weights (FC: n x k) */
        size_t kn = (size_t)k * n * groups, mn = (size_t)m * n * groups;
        big = kn > big ? kn : big;
        big = mn > big ? mn : big;
        A[id] = filled(nd->op == SR_OP_FC ? (size_t)n * k : (size_t)m * k * groups);
    }
    float *buf[2] = {filled(big), filled(big)};
    double best = INFINITY;
    for (int r = 0; r < reps + 1; r++) { /* one extra: the first pass pages the buffers in */
        int cur = 0;
        double t0 = now_s();
        for (int id = 0; id < nn; id++) {
            const sr_node *nd = sr_graph_node(g, id);
            int m, n, k, groups;
            if (!A[id] || !node_gemm_shape(g, nd, &m, &n, &k, &groups)) continue;
            const int dw = nd->op == SR_OP_CONV && groups > 1 && groups == nd->out.d[1];
            if (dw && !include_dw) continue;
            const float *B = buf[cur];
            float *C = buf[cur ^ 1];
            for (int gi = 0; gi < groups; gi++) {
                const float *Ag = A[id] + (size_t)gi * m * k;
                float *Cg = C + (size_t)gi * m * n;
                if (nd->op == SR_OP_FC)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, B, k, Ag, k, 0.0f, Cg,
                                n);
                else
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, Ag, k,
                                B + (dw ? (size_t)gi * k * n : 0), n, 0.0f, Cg, n);
            }
            cur ^= 1;
        }
        double t = now_s() - t0;
        if (r > 0 && t < best) best = t;
    }
    for (int id = 0; id < nn; id++)
        free(A[id]);
    free(A), free(buf[0]), free(buf[1]);
    return best;
}

static void bench_convs(const char *model, int reps, int quick, double *ratio_sum, int *ratio_n)
{
    sr_graph *g = NULL;
    if (sr_zoo_build(model, 0, 0, 0, &g) != SR_OK) {
        fprintf(stderr, "bench_kernels: cannot build %s\n", model);
        return;
    }
    printf("\n%s conv layers at 224 (best of %d)\n", model, reps);
    printf("%-26s %5s %7s %7s %8s %9s %9s %7s\n", "layer", "M", "N", "K", "GFLOP", "sr GF/s", "gemm GF/s",
           "ratio");
    int done = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        const sr_node *nd = sr_graph_node(g, id);
        if (nd->op != SR_OP_CONV) continue;
        if (quick && done >= 8) break;
        done++;
        sr_win2d p = conv_win(g, nd);
        int groups = nd->attr.groups;
        size_t in_n = (size_t)p.in_c * p.in_h * p.in_w, out_n = (size_t)p.out_c * p.out_h * p.out_w;
        size_t w_n = (size_t)p.out_c * (p.in_c / groups) * p.k_h * p.k_w;
        size_t ws_n = sr_conv2d_workspace_floats(&p, groups);
        float *x = filled(in_n), *w = filled(w_n), *y = filled(out_n), *ws = filled(ws_n),
              *b = filled((size_t)p.out_c);
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            sr_conv2d(&p, groups, x, w, b, 0, p.out_c, y, ws);
            double t = now_s() - t0;
            if (t < best) best = t;
        }
        double gemm = raw_gemm_s(g, nd, reps, 0);
        double gflop = 2.0 * (double)nd->macs / 1e9;
        int64_t m = p.out_c / groups, n = (int64_t)p.out_h * p.out_w,
                k = (int64_t)p.in_c / groups * p.k_h * p.k_w;
        double ratio = gemm > 0 ? gemm / best : 0;
        printf("%-26s %5lld %7lld %7lld %8.3f %9.2f %9.2f %7.3f%s\n", nd->name, (long long)m, (long long)n,
               (long long)k, gflop, gflop / best, gemm > 0 ? gflop / gemm : 0.0, ratio,
               gflop >= 0.5 ? " *" : "");
        if (gflop >= 0.5) {
            *ratio_sum += ratio;
            (*ratio_n)++;
        }
        free(x), free(w), free(y), free(ws), free(b);
    }
    sr_graph_free(g);
}

/* Whole-model forward: best-of-reps total, per-node minimum over the same runs, and each conv/fc
 * node's raw-GEMM anchor. detail != 0 lists every conv/fc node. */
static void bench_forward(const char *model, int reps, int detail)
{
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_exec *e = NULL;
    double *node_best = NULL, *node_gemm = NULL;
    char err[256];
    if (sr_zoo_build(model, 0, 0, 0, &g) != SR_OK || sr_weights_create(g, &w) != SR_OK) {
        fprintf(stderr, "bench_kernels: cannot build %s\n", model);
        goto done;
    }
    sr_weights_init_he(w, 1);
    if (sr_exec_create(g, w, 0, &e, err, sizeof err) != SR_OK) {
        fprintf(stderr, "bench_kernels: %s\n", err);
        goto done;
    }
    const int nn = sr_graph_node_count(g);
    node_best = malloc(sizeof(double) * (size_t)nn);
    node_gemm = malloc(sizeof(double) * (size_t)nn);
    if (!node_best || !node_gemm) goto done;
    float *x = sr_exec_input(e, 0);
    int64_t n = sr_shape_numel(&sr_graph_node(g, 0)->out);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    sr_exec_run(e); /* warm-up: page in the arena */
    double best = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        sr_exec_run(e);
        double t = now_s() - t0;
        if (t < best) best = t;
        for (int id = 0; id < nn; id++) {
            double s = sr_exec_node_seconds(e, id);
            if (r == 0 || s < node_best[id]) node_best[id] = s;
        }
    }
    double gemm = 0, dw = 0, dw_bytes = 0, dw_run = 0, dw_gemm = 0;
    int n_dw = 0;
    for (int id = 0; id < nn; id++) {
        double bytes;
        double d = dw_stream_s(g, sr_graph_node(g, id), reps, &bytes);
        node_gemm[id] = raw_gemm_s(g, sr_graph_node(g, id), reps, 0);
        gemm += node_gemm[id];
        if (bytes > 0) {
            dw_gemm += raw_gemm_s(g, sr_graph_node(g, id), reps, 1);
            dw += d, dw_bytes += bytes, dw_run += node_best[id];
            n_dw++;
            node_gemm[id] = d;
        }
    }
    double per_op[SR_OP_COUNT] = {0}, per_op_gemm[SR_OP_COUNT] = {0};
    for (int id = 0; id < nn; id++) {
        per_op[sr_graph_node(g, id)->op] += node_best[id];
        per_op_gemm[sr_graph_node(g, id)->op] += node_gemm[id];
    }
    if (detail)
        for (int id = 0; id < nn; id++) {
            const sr_node *nd = sr_graph_node(g, id);
            if (nd->op == SR_OP_CONV || nd->op == SR_OP_FC)
                printf("  %-28s %-5s %8.3f ms  %s %8.3f ms  ratio %6.3f\n", nd->name, sr_op_name(nd->op),
                       node_best[id] * 1e3,
                       nd->attr.groups > 1 && nd->attr.groups == nd->out.d[1] ? "strm" : "gemm",
                       node_gemm[id] * 1e3, node_gemm[id] > 0 ? node_best[id] / node_gemm[id] : 0.0);
        }
    printf("%-12s per op (sum of per-node minima):", model);
    for (int op = 0; op < SR_OP_COUNT; op++)
        if (per_op[op] >= 5e-6) printf(" %s %.2f", sr_op_name((sr_op)op), per_op[op] * 1e3);
    printf(" ms; conv anchors %.2f ms\n", per_op_gemm[SR_OP_CONV] * 1e3);
    const double seq = gemm_sequence_s(g, reps, 1);
    if (n_dw == 0) {
        printf(
            "%-12s forward %9.2f ms   sum of raw GEMMs %9.2f ms   ratio %.3f (each GEMM hot, best of %d)\n",
            model, best * 1e3, gemm * 1e3, best / gemm, reps);
        printf("%-12s forward %9.2f ms   raw GEMMs run in sequence %9.2f ms   ratio %.3f (target <= 1.15)\n",
               model, best * 1e3, seq * 1e3, best / seq);
    } else {
        printf("%-12s %d depthwise convs: %.2f ms in the forward; stream anchor %.2f ms = memcpy of their "
               "%.1f MiB in+out at %.1f GB/s (measured here)\n",
               model, n_dw, dw_run * 1e3, dw * 1e3, dw_bytes / 2 / (1024.0 * 1024.0), dw_bytes / dw / 1e9);
        printf("%-12s forward %9.2f ms   sum of raw GEMMs %9.2f ms   ratio %.3f (GEMMs only, depthwise as "
               "overhead)\n",
               model, best * 1e3, gemm * 1e3, best / gemm);
        printf(
            "%-12s forward %9.2f ms   GEMMs + depthwise stream anchor %9.2f ms   ratio %.3f (a lower-bound "
            "anchor)\n",
            model, best * 1e3, (gemm + dw) * 1e3, best / (gemm + dw));
        printf(
            "%-12s forward without its depthwise layers %9.2f ms   sum of raw GEMMs %9.2f ms   ratio %.3f\n",
            model, (best - dw_run) * 1e3, gemm * 1e3, (best - dw_run) / gemm);
        const double seq_nodw = gemm_sequence_s(g, reps, 0);
        printf("%-12s forward without its depthwise layers %9.2f ms   raw GEMMs without depthwise run in "
               "sequence "
               "%9.2f ms   ratio %.3f\n",
               model, (best - dw_run) * 1e3, seq_nodw * 1e3, (best - dw_run) / seq_nodw);
        printf("%-12s forward %9.2f ms   GEMMs + depthwise per-channel GEMMs (im2col lowering, hot operands) "
               "%9.2f ms   ratio %.3f\n",
               model, best * 1e3, (gemm + dw_gemm) * 1e3, best / (gemm + dw_gemm));
        printf("%-12s forward %9.2f ms   raw GEMMs (depthwise: per-channel GEMMs) run in sequence %9.2f ms   "
               "ratio %.3f (target <= 1.15)\n",
               model, best * 1e3, seq * 1e3, best / seq);
    }
done:
    free(node_best);
    free(node_gemm);
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void bench_memory(void)
{
    long base_kib = vm_hwm_kib();
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_exec *e = NULL;
    if (sr_zoo_build("vgg16", 0, 0, 0, &g) != SR_OK || sr_weights_create(g, &w) != SR_OK ||
        sr_exec_create(g, w, 0, &e, NULL, 0) != SR_OK) {
        fprintf(stderr, "bench_kernels: cannot build vgg16\n");
        goto done;
    }
    sr_weights_init_he(w, 1);
    float *x = sr_exec_input(e, 0);
    for (int64_t i = 0; i < 3 * 224 * 224; i++)
        x[i] = 0.5f;
    sr_exec_run(e);
    long peak_kib = vm_hwm_kib();
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    int64_t a1 = 0, a2 = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        int64_t b = sr_node_output_bytes(g, id, SR_PREC_FP32);
        if (b > a1)
            a2 = a1, a1 = b;
        else if (b > a2)
            a2 = b;
    }
    double mib = 1024.0 * 1024.0;
    double bound = (double)t.weight_bytes_fp32 + (double)a1 + (double)a2 + (double)sr_exec_workspace_bytes(e);
    double planned = (double)t.weight_bytes_fp32 + (double)sr_exec_arena_bytes(e);
    printf("\nVGG-16 forward memory: weights %.1f MiB, two largest activations %.1f MiB, im2col workspace "
           "%.1f MiB\n",
           (double)t.weight_bytes_fp32 / mib, (double)(a1 + a2) / mib,
           (double)sr_exec_workspace_bytes(e) / mib);
    printf("  reference (weights + 2 largest activations + workspace): %8.1f MiB\n", bound / mib);
    printf("  planned by the executor (weights + arena + workspace + input): %8.1f MiB (ratio %.3f)\n",
           planned / mib, planned / bound);
    printf("  measured VmHWM growth of the process:                  %8.1f MiB (ratio %.3f)\n",
           (double)(peak_kib - base_kib) / 1024.0, (double)(peak_kib - base_kib) * 1024.0 / bound);
done:
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
}

int main(int argc, char **argv)
{
    int quick = 0, forward_only = 0, detail = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = 1;
        else if (strcmp(argv[i], "--forward") == 0)
            forward_only = 1;
        else if (strcmp(argv[i], "--detail") == 0)
            detail = 1;
        else {
            fprintf(stderr, "usage: bench_kernels [--quick] [--forward] [--detail]\n");
            return 2;
        }
    }
    int reps = quick ? 1 : 3;
    sr_kernels_set_blas_threads(1);
    if (!forward_only) {
        bench_memory(); /* first, so the high-water mark is this forward's */
        double rs = 0;
        int rn = 0;
        bench_convs("vgg16", reps, quick, &rs, &rn);
        bench_convs("resnet50", reps, quick, &rs, &rn);
        if (rn)
            printf(
                "\nmean sr/gemm speed ratio over %d large conv layers (>= 0.5 GFLOP): %.3f (target >= 0.9)\n",
                rn, rs / rn);
    }
    printf("\nwhole-model forward at batch 1 (best of %d)\n", reps);
    bench_forward("vgg16", reps, detail);
    bench_forward("resnet50", reps, detail);
    bench_forward("mobilenetv2", reps, detail);
    return 0;
}
