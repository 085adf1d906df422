/* kern_conv.c: convolution kernels (im2col + cblas_sgemm, direct depthwise, naive reference).
 *
 * The im2col path lowers one group and one block of output pixels at a time into a workspace
 * whose size is bounded by SR_CONV_COL_BLOCK columns (fewer when K is large), so the lowered
 * matrix stays in cache while sgemm packs it; the output block is written in place through
 * sgemm's ldc (beta = 0). 1x1 stride-1 unpadded convolutions skip im2col and multiply the input
 * directly (one sgemm, or column blocks sized for OpenBLAS's direct kernel, see pw_block). 3x3
 * stride-1 convolutions with large output planes run as nine shifted 1x1 products over blocks of
 * output rows (conv_shift3): three column-shifted copies of the input rows instead of nine im2col
 * rows. After each block's sgemm the output pass adds the bias and runs the
 * fused steps (sr_conv_post: batch norm, residual add, activation) on the block while it is still in
 * cache: y = (sum of products) + bias.
 *
 * On AVX-512 machines 3x3 depthwise layers with column dilation 1 and column stride 1 or 2 run
 * conv_dw3_avx512, see there. Elsewhere,
 * depthwise 3x3 layers with small planes (the padded window fits SR_DW_PAD_FLOATS) copy each channel
 * into a zero-padded plane on the stack and run branch-free row loops (stride 1: one loop over the
 * whole plane at the padded pitch). Otherwise the depthwise kernel computes one output row at a
 * time; for 3x3 windows (stride 1 or 2, any row
 * dilation, column dilation 1) the columns whose taps are all inside the input are computed with
 * all nine taps in registers, in a loop over contiguous output columns that GCC vectorises. Every
 * output sums bias then taps in (ky, kx) order, skipping taps that fall into padding (the padded-plane
 * path adds them as w*0 instead: the same sums except for the sign of an exact zero).
 * The 3x3 row loops also have an AVX2 clone (GCC target_clones, picked once at load time; same
 * operations in the same order, so the same bits as the SSE2 version).
 *
 * Compiled at -O3 (models/dnn/CMakeLists.txt) with -ffp-contract=off: no reassociation, no FMA
 * contraction, so results are bit-identical run to run and between the fused and unfused paths. */

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "sr_kernels.h"

/* AVX2 clones of the hottest element-wise loops (GCC target_clones, resolved once at load time; no
 * FMA, so the same bits as the baseline SSE2 version). Not under the sanitizers. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(SR_SANITIZE)
#define SR_DW3_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SR_DW3_CLONES
#endif

/* Depthwise filters up to this height use the direct kernel (rows are gathered on the stack). */
#define SR_DW_MAX_KH 64

/* Upper bound of workspace floats per column block: K x cols <= this (cols >= 64). */
#define SR_CONV_COL_FLOATS (1u << 20)

void sr_kernels_set_blas_threads(int n)
{
    openblas_set_num_threads(n < 1 ? 1 : n);
}

static int is_pointwise(const sr_win2d *p)
{
    return p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
           p->pad_left == 0 && p->in_h == p->out_h && p->in_w == p->out_w;
}

static int is_depthwise(const sr_win2d *p, int groups)
{
    return groups > 1 && groups == p->in_c && groups == p->out_c;
}

/* Output pixels per sgemm call that keep a product of m output rows and reduction k on OpenBLAS's
 * "direct" kernel, or 0 when that does not apply. On AVX-512 machines OpenBLAS (0.3.21, measured on
 * AMD Zen 4 with bench/kernels) runs row-major beta = 0 products with m*n*k below about a million
 * through an unpacked kernel that writes C once (no clearing pass, no packing); for small m*k, column
 * blocks of m*k*cols <= SR_CONV_DIRECT_MNK then run 10-30 % faster than larger calls, and leave each
 * block in cache for the output pass. */
#define SR_CONV_DIRECT_MNK 884736
static int64_t direct_cols(int64_t m, int64_t k)
{
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
    /* no cached flag: libgcc sets up the CPU model at load time, the test is a load and a mask */
    if (__builtin_cpu_supports("avx512f") && m * k > 0) {
        int64_t cols = SR_CONV_DIRECT_MNK / (m * k) / 16 * 16;
        cols = cols > 1024 ? 1024 : cols;
        return cols >= 64 ? cols : 0;
    }
#else
    (void)m, (void)k;
#endif
    return 0;
}

/* Output pixels per sgemm call of a 1x1 stride-1 convolution with m output rows and reduction k:
 * one sgemm over all pixels beats column blocks for every ResNet-50 / MobileNetV2 shape (blocks
 * re-pack the weights, clear C with beta = 0 block by block and run at lower efficiency), except
 * where direct-kernel blocks apply. */
static int64_t pw_block(int64_t m, int64_t k, int64_t hw)
{
    const int64_t cols = direct_cols(m, k);
    return cols > 0 && cols < hw ? cols : hw;
}

/* Output pixels per im2col block for reduction length k with `groups` groups (direct-kernel blocks
 * where they apply: ResNet-50's 7x7/2 stem 1.15 -> 0.99 of its GEMM). */
static int64_t col_block(const sr_win2d *p, int groups, int64_t k)
{
    int64_t hw = (int64_t)p->out_h * p->out_w;
    int64_t cols = (int64_t)SR_CONV_COL_FLOATS / (k > 0 ? k : 1);
    if (cols > SR_CONV_COL_BLOCK) cols = SR_CONV_COL_BLOCK;
    const int64_t dc = direct_cols(p->out_c / (groups > 0 ? groups : 1), k);
    if (dc > 0 && dc < cols) cols = dc;
    if (cols < 64) cols = 64;
    return cols < hw ? cols : hw;
}

size_t sr_conv2d_im2col_workspace_floats(const sr_win2d *p, int groups)
{
    int64_t k = (int64_t)(p->in_c / groups) * p->k_h * p->k_w;
    return (size_t)(k * col_block(p, groups, k));
}

size_t sr_conv2d_workspace_floats(const sr_win2d *p, int groups)
{
    if ((is_depthwise(p, groups) && p->k_h <= SR_DW_MAX_KH) || is_pointwise(p)) return 0;
    return sr_conv2d_im2col_workspace_floats(p, groups);
}

/* Lowers channels [c_first, c_first+cg) of one image into col[(c*kh+ky)*kw+kx][q], q = pixel - p0,
 * for output pixels [p0, p1). For each filter column kx the range of output columns whose input
 * column is inside the image is computed once; each output row then costs a zero prefix, one
 * contiguous (stride 1) or strided copy and a zero suffix. */
static void im2col_block(const sr_win2d *p, const float *img, int c_first, int cg, int64_t p0, int64_t p1,
                         float *col)
{
    const int64_t pn = p1 - p0;
    const int64_t plane = (int64_t)p->in_h * p->in_w;
    const int ow = p->out_w, s = p->stride_w;
    const int oy_first = (int)(p0 / ow), oy_last = (int)((p1 - 1) / ow);
    for (int c = 0; c < cg; c++) {
        const float *src = img + (int64_t)(c_first + c) * plane;
        for (int ky = 0; ky < p->k_h; ky++) {
            for (int kx = 0; kx < p->k_w; kx++) {
                float *restrict d = col + ((int64_t)(c * p->k_h + ky) * p->k_w + kx) * pn;
                const int xoff = kx * p->dil_w - p->pad_left;
                /* valid ox: 0 <= ox*s + xoff < in_w */
                int vlo = xoff >= 0 ? 0 : (-xoff + s - 1) / s;
                int vhi = p->in_w - xoff <= 0 ? 0 : (p->in_w - xoff + s - 1) / s;
                vhi = vhi > ow ? ow : vhi;
                vlo = vlo > vhi ? vhi : vlo;
                for (int oy = oy_first; oy <= oy_last; oy++) {
                    const int64_t row0 = (int64_t)oy * ow;
                    const int ox0 = oy == oy_first ? (int)(p0 - row0) : 0;
                    const int ox1 = oy == oy_last ? (int)(p1 - row0) : ow;
                    const int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        for (int ox = ox0; ox < ox1; ox++)
                            *d++ = 0.0f;
                        continue;
                    }
                    const int lo = vlo < ox0 ? ox0 : vlo > ox1 ? ox1 : vlo;
                    const int hi = vhi > ox1 ? ox1 : vhi < lo ? lo : vhi;
                    for (int ox = ox0; ox < lo; ox++)
                        *d++ = 0.0f;
                    const float *restrict sp = src + (int64_t)iy * p->in_w + xoff;
                    if (s == 1) {
                        for (int ox = lo; ox < hi; ox++)
                            *d++ = sp[ox];
                    } else if (s == 2) { /* constant stride: vectorised as two loads and a shuffle */
                        for (int ox = lo; ox < hi; ox++)
                            *d++ = sp[2 * (int64_t)ox];
                    } else {
                        for (int ox = lo; ox < hi; ox++)
                            *d++ = sp[(int64_t)ox * s];
                    }
                    for (int ox = hi; ox < ox1; ox++)
                        *d++ = 0.0f;
                }
            }
        }
    }
}

/* One loop of the output pass for activation ACT: v + bias (has_b), then a*v + s (has_bn), then + r[i]
 * (r != NULL), then the activation; one load and one store per value. The flags are loop-invariant,
 * so GCC unswitches them and vectorises each version. */
#define SR_OUT_LOOP(ACT_EXPR)                                                                                \
    for (int64_t i = 0; i < len; i++) {                                                                      \
        float v = o[i];                                                                                      \
        if (has_b) v = v + b;                                                                                \
        if (has_bn) v = a * v + s;                                                                           \
        if (r) v = v + r[i];                                                                                 \
        ACT_EXPR;                                                                                            \
        o[i] = v;                                                                                            \
    }

/* Output pass over one run of channel c (full index) after sgemm: bias (may be NULL), then the
 * fused steps of post (may be NULL; residual run r may be NULL), each with the expression of its
 * stand-alone kernel. */
SR_DW3_CLONES static void out_run(const float *bias, const sr_conv_post *post, int c, float *restrict o,
                                  const float *restrict r, int64_t len)
{
    const int has_b = bias != NULL, has_bn = post && post->bn_scale;
    const float b = has_b ? bias[c] : 0.0f;
    float a = 1.0f, s = 0.0f;
    if (has_bn) {
        /* The expressions of sr_batchnorm. */
        a = post->bn_scale[c] / sqrtf(post->bn_var[c] + post->bn_eps);
        s = post->bn_shift[c] - a * post->bn_mean[c];
    }
    if (!post) r = NULL;
    switch (post ? post->act : SR_ACT_NONE) {
    case SR_ACT_NONE:
        SR_OUT_LOOP((void)0)
        break;
    case SR_ACT_RELU:
        SR_OUT_LOOP(v = v > 0.0f ? v : 0.0f)
        break;
    case SR_ACT_RELU6:
        SR_OUT_LOOP(v = v > 0.0f ? v : 0.0f; v = v < 6.0f ? v : 6.0f)
        break;
    case SR_ACT_LEAKY: {
        const float alpha = post->alpha;
        SR_OUT_LOOP(const float m = alpha * v; v = v > 0.0f ? v : m)
        break;
    }
    case SR_ACT_CLIP: {
        const float lo = post->lo, hi = post->hi;
        SR_OUT_LOOP(v = v < lo ? lo : v; v = v > hi ? hi : v)
        break;
    }
    }
}
#undef SR_OUT_LOOP

/* out_run over rows [0, rows) of a block whose row i is channel c0 + i, at C + i*ld (residual at
 * R + i*ld, R may be NULL), columns [0, len). */
static void out_block(const float *bias, const sr_conv_post *post, int c0, int rows, float *C, const float *R,
                      int64_t ld, int64_t len)
{
    for (int i = 0; i < rows; i++)
        out_run(bias, post, c0 + i, C + (int64_t)i * ld, R ? R + (int64_t)i * ld : NULL, len);
}

static void conv_im2col(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                        int oc0, int oc1, float *out, float *ws, const sr_conv_post *post)
{
    assert(groups >= 1 && p->in_c % groups == 0 && p->out_c % groups == 0);
    assert(0 <= oc0 && oc0 <= oc1 && oc1 <= p->out_c);
    const int icg = p->in_c / groups, ocg = p->out_c / groups;
    const int64_t k = (int64_t)icg * p->k_h * p->k_w;
    const int64_t hw = (int64_t)p->out_h * p->out_w;
    const int64_t in_img = (int64_t)p->in_c * p->in_h * p->in_w;
    const int64_t out_img = (int64_t)(oc1 - oc0) * hw;
    const int direct = is_pointwise(p);
    if (hw == 0 || oc1 == oc0) return;
    for (int b = 0; b < p->n; b++) {
        const float *img = in + b * in_img;
        float *o = out + b * out_img;
        const float *res = post && post->residual ? post->residual + b * out_img : NULL;
        for (int g = 0; g < groups; g++) {
            int lo = g * ocg > oc0 ? g * ocg : oc0;
            int hi = (g + 1) * ocg < oc1 ? (g + 1) * ocg : oc1;
            if (lo >= hi) continue;
            const float *A = W + (int64_t)lo * k;
            float *C = o + (int64_t)(lo - oc0) * hw;
            const float *R = res ? res + (int64_t)(lo - oc0) * hw : NULL;
            const int64_t blk = direct ? pw_block(hi - lo, k, hw) : col_block(p, groups, k);
            for (int64_t p0 = 0; p0 < hw; p0 += blk) {
                int64_t p1 = p0 + blk < hw ? p0 + blk : hw;
                if (direct) {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, (int)(p1 - p0), (int)k,
                                1.0f, A, (int)k, img + (int64_t)g * icg * hw + p0, (int)hw, 0.0f, C + p0,
                                (int)hw);
                } else {
                    im2col_block(p, img, g * icg, icg, p0, p1, ws);
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, (int)(p1 - p0), (int)k,
                                1.0f, A, (int)k, ws, (int)(p1 - p0), 0.0f, C + p0, (int)hw);
                }
                if (bias || post) out_block(bias, post, lo, hi - lo, C + p0, R ? R + p0 : NULL, hw, p1 - p0);
            }
        }
    }
}

/* ---- 3x3 stride-1 convolutions as nine shifted 1x1 products ----
 *
 * out[m][oy][ox] = sum over taps (ky, kx) of sum over c of W[m][c][ky][kx] * in[c][oy-pt+ky][ox-pl+kx].
 * For a block of R output rows, S_kx[c][r][x] = in[c][y0+r-pt][x-pl+kx] (zero outside the input),
 * r in [0, R+2), x in [0, out_w), is one copy of the block's input rows per filter column kx; tap
 * (ky, kx) then reads S_kx + ky*out_w as a K = C by N = R*out_w matrix with row stride (R+2)*out_w,
 * contiguous in N, and the nine products accumulate into the output block in place (beta = 0 for the
 * first tap, 1 after). The workspace holds the weights regrouped by tap (9 x M x C) and the three
 * copies, 3 x C x (R+2) x out_w floats, against 9 x C x R x out_w for im2col. Summation order: tap by
 * tap (ky, kx), within a tap as sgemm sums; then the bias and the output pass, as on the im2col path. */
/* Output pixels per block (whole rows), and the smallest output plane that takes this path. Measured
 * (3x3, C = M, BN + ReLU fused, against the raw sgemm): 56x56x64 1.16 -> 1.03, 28x28x128 1.09 -> 1.05,
 * 112x112x64 0.99 -> 0.88; at 14x14x256 both paths 1.09 (the weight regrouping costs what it saves). */
#define SR_SHIFT_COLS 2048
#define SR_SHIFT_MIN_HW 512
/* Fewer input channels make each tap's product too thin (VGG's first layer, C = 3, stays on im2col). */
#define SR_SHIFT_MIN_C 16

/* Output rows per block of the shifted path for m output channels, or 0 when the path does not
 * apply or would need more workspace than im2col. */
static int shift_rows(const sr_win2d *p, int groups, int64_t m)
{
    if (groups != 1 || p->k_h != 3 || p->k_w != 3 || p->stride_h != 1 || p->stride_w != 1 || p->dil_h != 1 ||
        p->dil_w != 1 || p->out_w <= 0 || p->out_h <= 0 || (int64_t)p->out_h * p->out_w < SR_SHIFT_MIN_HW ||
        p->in_c < SR_SHIFT_MIN_C)
        return 0;
    const int64_t c = p->in_c, budget = (int64_t)sr_conv2d_im2col_workspace_floats(p, groups);
    int64_t rows = SR_SHIFT_COLS / p->out_w;
    rows = rows < 1 ? 1 : rows > p->out_h ? p->out_h : rows;
    const int64_t fixed = 9 * m * c, per_row = 3 * c * p->out_w;
    if (fixed + per_row * (rows + 2) > budget) rows = (budget - fixed) / per_row - 2;
    return rows >= 1 ? (int)rows : 0;
}

static void conv_shift3(const sr_win2d *p, int rows, const float *in, const float *W, const float *bias,
                        int oc0, int oc1, float *out, float *ws, const sr_conv_post *post)
{
    const int m = oc1 - oc0, c = p->in_c, ow = p->out_w, iw = p->in_w;
    const int64_t hw = (int64_t)p->out_h * ow, plane = (int64_t)p->in_h * iw;
    const int64_t ld = (int64_t)(rows + 2) * ow; /* channel stride of a copy */
    float *wt = ws, *copy = ws + (int64_t)9 * m * c;
    for (int t = 0; t < 9; t++)
        for (int i = 0; i < m; i++) {
            const float *src = W + (int64_t)(oc0 + i) * c * 9 + t;
            float *restrict d = wt + ((int64_t)t * m + i) * c;
            for (int j = 0; j < c; j++)
                d[j] = src[(int64_t)j * 9];
        }
    for (int b = 0; b < p->n; b++) {
        const float *img = in + (int64_t)b * c * plane;
        float *o = out + (int64_t)b * m * hw;
        const float *res = post && post->residual ? post->residual + (int64_t)b * m * hw : NULL;
        for (int y0 = 0; y0 < p->out_h; y0 += rows) {
            const int r = y0 + rows <= p->out_h ? rows : p->out_h - y0;
            /* the three copies */
            for (int kx = 0; kx < 3; kx++) {
                const int xoff = kx - p->pad_left; /* input column of output column x: x + xoff */
                int lo = xoff < 0 ? -xoff : 0, hi = iw - xoff < ow ? iw - xoff : ow;
                lo = lo > ow ? ow : lo;
                hi = hi < lo ? lo : hi;
                for (int ci = 0; ci < c; ci++) {
                    float *d = copy + ((int64_t)kx * c + ci) * ld;
                    for (int rr = 0; rr < r + 2; rr++, d += ow) {
                        const int iy = y0 + rr - p->pad_top;
                        if (iy < 0 || iy >= p->in_h) {
                            memset(d, 0, sizeof(float) * (size_t)ow);
                            continue;
                        }
                        if (lo > 0) memset(d, 0, sizeof(float) * (size_t)lo);
                        if (hi > lo)
                            memcpy(d + lo, img + ci * plane + (int64_t)iy * iw + lo + xoff,
                                   sizeof(float) * (size_t)(hi - lo));
                        if (hi < ow) memset(d + hi, 0, sizeof(float) * (size_t)(ow - hi));
                    }
                }
            }
            float *C = o + (int64_t)y0 * ow;
            for (int t = 0; t < 9; t++) {
                const int ky = t / 3, kx = t % 3;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, r * ow, c, 1.0f,
                            wt + (int64_t)t * m * c, c, copy + (int64_t)kx * c * ld + (int64_t)ky * ow,
                            (int)ld, t ? 1.0f : 0.0f, C, (int)hw);
            }
            if (bias || post)
                out_block(bias, post, oc0, m, C, res ? res + (int64_t)y0 * ow : NULL, hw, (int64_t)r * ow);
        }
    }
}

void sr_conv2d_im2col(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                      int oc0, int oc1, float *out, float *ws)
{
    conv_im2col(p, groups, in, W, bias, oc0, oc1, out, ws, NULL);
}

/* Depthwise taps of output columns [x0, x1) of one output row: rows[j] is the input row of filter
 * row wk[j] (k_w taps each), j < nr; taps outside [0, in_w) are skipped. o already holds the bias. */
static void dw_taps(const sr_win2d *p, float *o, int x0, int x1, const float *const *rows,
                    const float *const *wk, int nr)
{
    const int s = p->stride_w;
    for (int j = 0; j < nr; j++) {
        const float *row = rows[j];
        for (int kx = 0; kx < p->k_w; kx++) {
            const float wv = wk[j][kx];
            const int xoff = kx * p->dil_w - p->pad_left;
            /* valid ox: 0 <= ox*s + xoff < in_w */
            int lo = xoff >= 0 ? 0 : (-xoff + s - 1) / s;
            int hi = p->in_w - xoff <= 0 ? 0 : (p->in_w - xoff + s - 1) / s;
            lo = lo < x0 ? x0 : lo;
            hi = hi > x1 ? x1 : hi;
            if (s == 1)
                for (int ox = lo; ox < hi; ox++)
                    o[ox] += wv * row[ox + xoff];
            else
                for (int ox = lo; ox < hi; ox++)
                    o[ox] += wv * row[ox * s + xoff];
        }
    }
}

/* 3x3 taps of output columns [x0, x1) whose nine taps are all inside the input: q0..q2 are the three
 * input rows, pl the left padding, w the 9 weights. Written for stride S (1 or 2) so that
 * GCC vectorises the loop over contiguous output columns. */
#define SR_DW3_ROW(NAME, S)                                                                                  \
    SR_DW3_CLONES static void NAME(float *restrict o, const float *restrict q0, const float *restrict q1,    \
                                   const float *restrict q2, const float *restrict w, float bv, int pl,      \
                                   int x0, int x1)                                                           \
    {                                                                                                        \
        const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7],  \
                    w8 = w[8];                                                                               \
        for (int ox = x0; ox < x1; ox++) {                                                                   \
            const int ix = ox * (S)-pl;                                                                      \
            float acc = bv;                                                                                  \
            acc += w0 * q0[ix];                                                                              \
            acc += w1 * q0[ix + 1];                                                                          \
            acc += w2 * q0[ix + 2];                                                                          \
            acc += w3 * q1[ix];                                                                              \
            acc += w4 * q1[ix + 1];                                                                          \
            acc += w5 * q1[ix + 2];                                                                          \
            acc += w6 * q2[ix];                                                                              \
            acc += w7 * q2[ix + 1];                                                                          \
            acc += w8 * q2[ix + 2];                                                                          \
            o[ox] = acc;                                                                                     \
        }                                                                                                    \
    }
SR_DW3_ROW(dw3_row_s1, 1)
SR_DW3_ROW(dw3_row_s2, 2)
#undef SR_DW3_ROW

/* One output column of a 3x3 depthwise row (three valid input rows) that has taps in the padding. */
static float dw3_edge(const sr_win2d *p, const float *const *rows, const float *w, float acc, int ox)
{
    const int x0 = ox * p->stride_w - p->pad_left;
    for (int j = 0; j < 3; j++)
        for (int kx = 0; kx < 3; kx++) {
            const int ix = x0 + kx;
            if (ix >= 0 && ix < p->in_w) acc += w[j * 3 + kx] * rows[j][ix];
        }
    return acc;
}

/* Padded 3x3 depthwise. For a strip of R output rows, each channel's input window is copied into
 * a zero-padded plane on the stack, so that every output is bias plus all nine taps in (ky, kx)
 * order with no bounds checks (a tap in the padding adds w*0, which leaves the sum unchanged except
 * for the sign of an exact zero). Stride 1: output (oy, ox) at flat index i = oy*pw + ox of a plane
 * of pitch pw = out_w + 2 reads tap (ky, kx) at i + ky*dil_h*pw + kx, so a strip is one vector loop
 * at the padded pitch (the two extra columns per row are computed and dropped when the rows are
 * packed); R is the most rows whose plane fits SR_DW_PAD_FLOATS floats. Other strides: whole planes
 * only (up to 57x57 padded at stride 2), one loop per output row. The output pass runs once per
 * strip. Measured (BN + ReLU6 fused): 14x14 stride 1 from 3 to 10 GMAC/s (the general row path's
 * per-row edge handling dominated), 112x112 stride 1 14 -> 18, 28x28 stride 2 3.6 -> 5; stride-2
 * strips of large planes, and four planes split by row and column parity so that a stride-2 strip
 * is one contiguous loop, were 5-10 % slower than the row path (the copies cost what the loops
 * saved). */
#define SR_DW_PAD_FLOATS 4096

/* Padded width, and floats of the padded plane for a strip of r output rows. */
static int64_t dw_pad_pitch(const sr_win2d *p)
{
    return (int64_t)(p->out_w - 1) * p->stride_w + 3;
}

static int64_t dw_pad_floats(const sr_win2d *p, int64_t r)
{
    return ((r - 1) * p->stride_h + 2 * (int64_t)p->dil_h + 1) * dw_pad_pitch(p);
}

/* Output rows per strip, or 0 when the padded path does not apply. */
static int dw3_strip_rows(const sr_win2d *p)
{
    if (!(p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 && (p->stride_w == 1 || p->stride_w == 2) &&
          p->stride_h >= 1 && p->dil_h >= 1 && p->out_h > 0 && p->out_w > 0))
        return 0;
    if (dw_pad_floats(p, 1) > SR_DW_PAD_FLOATS) return 0;
    if (p->stride_h != 1 || p->stride_w != 1) /* whole planes only */
        return dw_pad_floats(p, p->out_h) <= SR_DW_PAD_FLOATS ? p->out_h : 0;
    int64_t lo = 1, hi = p->out_h; /* largest r with dw_pad_floats(r) <= SR_DW_PAD_FLOATS */
    while (lo < hi) {
        const int64_t mid = (lo + hi + 1) / 2;
        if (dw_pad_floats(p, mid) <= SR_DW_PAD_FLOATS)
            lo = mid;
        else
            hi = mid - 1;
    }
    return (int)lo;
}

static void conv_depthwise_padded(const sr_win2d *p, int rows, const float *in, const float *W,
                                  const float *bias, int oc0, int oc1, float *out, const sr_conv_post *post)
{
    float pad[SR_DW_PAD_FLOATS], tmp[SR_DW_PAD_FLOATS];
    const int64_t pitch = dw_pad_pitch(p), hw = (int64_t)p->out_h * p->out_w;
    const int64_t plane = (int64_t)p->in_h * p->in_w;
    const int ow = p->out_w, sh = p->stride_h, multi = rows < p->out_h;
    /* padded column x is input column x - pad_left; columns [xlo, xhi) are inside the input, the
     * others stay zero (set once); so do rows outside the input when there is a single strip */
    int64_t xlo = p->pad_left > 0 ? p->pad_left : 0, xhi = (int64_t)p->in_w + p->pad_left;
    xhi = xhi > pitch ? pitch : xhi;
    xlo = xlo > xhi ? xhi : xlo;
    memset(pad, 0, sizeof(float) * (size_t)dw_pad_floats(p, rows));
    for (int b = 0; b < p->n; b++)
        for (int c = oc0; c < oc1; c++) {
            const float *src = in + ((int64_t)b * p->in_c + c) * plane + (xlo - p->pad_left);
            const float *w = W + (int64_t)c * 9;
            const float bv = bias ? bias[c] : 0.0f;
            const int64_t off = ((int64_t)b * (oc1 - oc0) + (c - oc0)) * hw;
            const float *res = post && post->residual ? post->residual + off : NULL;
            for (int oy0 = 0; oy0 < p->out_h; oy0 += rows) {
                const int nr = oy0 + rows <= p->out_h ? rows : p->out_h - oy0;
                const int ph = (nr - 1) * sh + 2 * p->dil_h + 1;
                /* padded row r of this strip is input row oy0*sh - pad_top + r */
                for (int r = 0; r < ph; r++) {
                    const int iy = oy0 * sh - p->pad_top + r;
                    const int inside = iy >= 0 && iy < p->in_h;
                    if (!inside && !multi) continue;
                    float *restrict d = pad + (int64_t)r * pitch + xlo;
                    if (inside) {
                        const float *restrict sp = src + (int64_t)iy * p->in_w;
                        for (int64_t x = 0; x < xhi - xlo; x++)
                            d[x] = sp[x];
                    } else {
                        for (int64_t x = 0; x < xhi - xlo; x++)
                            d[x] = 0.0f;
                    }
                }
                float *o = out + off + (int64_t)oy0 * ow;
                const float *ro = res ? res + (int64_t)oy0 * ow : NULL;
                if (sh != 1 || p->stride_w != 1) {
                    for (int oy = 0; oy < nr; oy++) {
                        const float *q0 = pad + (int64_t)oy * sh * pitch;
                        const float *q1 = q0 + (int64_t)p->dil_h * pitch,
                                    *q2 = q1 + (int64_t)p->dil_h * pitch;
                        if (p->stride_w == 1)
                            dw3_row_s1(o + (int64_t)oy * ow, q0, q1, q2, w, bv, 0, 0, ow);
                        else
                            dw3_row_s2(o + (int64_t)oy * ow, q0, q1, q2, w, bv, 0, 0, ow);
                    }
                    if (post) out_run(NULL, post, c, o, ro, (int64_t)nr * ow);
                    continue;
                }
                /* one loop over the strip at the padded pitch, the output pass there when there is
                 * no residual, then the rows are packed */
                const int64_t len = (int64_t)(nr - 1) * pitch + ow;
                const float *q1 = pad + (int64_t)p->dil_h * pitch, *q2 = q1 + (int64_t)p->dil_h * pitch;
                dw3_row_s1(tmp, pad, q1, q2, w, bv, 0, 0, (int)len);
                if (post && !ro) out_run(NULL, post, c, tmp, NULL, len);
                for (int oy = 0; oy < nr; oy++) {
                    float *restrict d = o + (int64_t)oy * ow;
                    const float *restrict t = tmp + (int64_t)oy * pitch;
                    for (int x = 0; x < ow; x++)
                        d[x] = t[x];
                }
                if (post && ro) out_run(NULL, post, c, o, ro, (int64_t)nr * ow);
            }
        }
}

/* Direct depthwise convolution (one filter per channel), channels [oc0, oc1), with the fused output
 * pass post (may be NULL) applied to each output row. */
static void conv_depthwise(const sr_win2d *p, const float *in, const float *W, const float *bias, int oc0,
                           int oc1, float *out, const sr_conv_post *post)
{
    const int64_t hw = (int64_t)p->out_h * p->out_w;
    const int64_t plane = (int64_t)p->in_h * p->in_w;
    const int kk = p->k_h * p->k_w;
    const int fast = p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 && (p->stride_w == 1 || p->stride_w == 2);
    /* Output columns whose taps are all inside [0, in_w): ox*s - pad_left >= 0 and
     * ox*s - pad_left + 2 < in_w. */
    int xa = 0, xb = 0;
    if (fast) {
        const int s = p->stride_w, pl = p->pad_left;
        xa = pl > 0 ? (pl + s - 1) / s : 0;
        xb = p->in_w - 3 + pl < 0 ? 0 : (p->in_w - 3 + pl) / s + 1;
        xa = xa > p->out_w ? p->out_w : xa;
        xb = xb > p->out_w ? p->out_w : xb < xa ? xa : xb;
    }
    const float *rows[SR_DW_MAX_KH];
    const float *wk[SR_DW_MAX_KH];
    for (int b = 0; b < p->n; b++) {
        for (int c = oc0; c < oc1; c++) {
            const float *src = in + ((int64_t)b * p->in_c + c) * plane;
            const float *w = W + (int64_t)c * kk;
            const int64_t off = ((int64_t)b * (oc1 - oc0) + (c - oc0)) * hw;
            float *o = out + off;
            const float *res = post && post->residual ? post->residual + off : NULL;
            const float bv = bias ? bias[c] : 0.0f;
            for (int oy = 0; oy < p->out_h; oy++) {
                float *orow = o + (int64_t)oy * p->out_w;
                int nr = 0;
                for (int ky = 0; ky < p->k_h; ky++) {
                    int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) continue;
                    rows[nr] = src + (int64_t)iy * p->in_w;
                    wk[nr] = w + ky * p->k_w;
                    nr++;
                }
                if (fast && nr == 3 && xb > xa) {
                    for (int ox = 0; ox < xa; ox++)
                        orow[ox] = dw3_edge(p, rows, w, bv, ox);
                    for (int ox = xb; ox < p->out_w; ox++)
                        orow[ox] = dw3_edge(p, rows, w, bv, ox);
                    if (p->stride_w == 1)
                        dw3_row_s1(orow, rows[0], rows[1], rows[2], w, bv, p->pad_left, xa, xb);
                    else
                        dw3_row_s2(orow, rows[0], rows[1], rows[2], w, bv, p->pad_left, xa, xb);
                } else {
                    for (int ox = 0; ox < p->out_w; ox++)
                        orow[ox] = bv;
                    dw_taps(p, orow, 0, p->out_w, rows, wk, nr);
                }
                if (post) out_run(NULL, post, c, orow, res ? res + (int64_t)oy * p->out_w : NULL, p->out_w);
            }
        }
    }
}

/* ---- 3x3 depthwise with AVX-512 masked loads ----
 *
 * On AVX-512 machines every 3x3 depthwise layer with column dilation 1 and stride 1 or 2 per axis
 * runs here: 16 output columns per vector, each of the nine taps one masked load (lanes whose input
 * column is outside the plane, and whole rows outside it, load zeros), so there is no padded copy, no
 * edge code and no packing; stride-2 columns are two masked loads and an even-lane permute. Every
 * output is bias, then all nine taps in (ky, kx) order (a tap in the padding adds w*0, as on the
 * padded-plane path), then the fused output pass in registers for no / ReLU / ReLU6 activations (the
 * expressions of out_run in its order: a*v + s, + residual, max then min with their operand order, so
 * the same bits as the stand-alone kernels), else out_run on the channel's plane. Measured on
 * MobileNetV2 (bench/kernels --forward --detail, 17 depthwise layers): 2.21 ms on the padded-plane and
 * row paths, 1.93 ms with this kernel, 1.45 ms once every per-layer value was a local and interior rows
 * ran branch-free (isolated, BN + ReLU6 fused: 384x14x14 stride 1 65 -> 39 us, 96x112x112 stride 2
 * 303 -> 251 us). Per-chunk column masks are
 * computed once per layer, for up to SR_DW512_MAX_CHUNKS chunks (wider planes take the other paths). */
#define SR_DW512_MAX_CHUNKS 64

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define SR_HAVE_DW512 1
#include <immintrin.h>
#include <stdint.h>

/* Stands for input rows outside the plane: only lanes inside [0, in_w) are loaded, so it must hold
 * in_w floats. */
#define SR_DW512_MAX_IN_W (32 * SR_DW512_MAX_CHUNKS + 64)
static const float dw512_zeros[SR_DW512_MAX_IN_W];

/* Bits [lo, hi) of a 32-bit mask (clamped to [0, 32]). */
static uint32_t bit_range32(int64_t lo, int64_t hi)
{
    lo = lo < 0 ? 0 : lo > 32 ? 32 : lo;
    hi = hi < 0 ? 0 : hi > 32 ? 32 : hi;
    if (hi <= lo) return 0;
    const uint32_t up = hi >= 32 ? 0xffffffffu : (1u << hi) - 1u;
    return up & ~((1u << lo) - 1u);
}

static int dw512_applies(const sr_win2d *p)
{
    return p->k_h == 3 && p->k_w == 3 && p->dil_w == 1 && p->dil_h >= 1 &&
           (p->stride_w == 1 || p->stride_w == 2) && p->stride_h >= 1 && p->out_h > 0 && p->out_w > 0 &&
           (p->out_w + 15) / 16 <= SR_DW512_MAX_CHUNKS && p->in_w <= SR_DW512_MAX_IN_W &&
           __builtin_cpu_supports("avx512f");
}

/* One tap's 16 input values for output columns starting at r (stride S = 1 or 2, lanes outside the
 * mask m read as 0): stride 1 is one masked load; stride 2 two masked loads and an even-lane permute. */
__attribute__((target("avx512f"), always_inline)) static inline __m512 dw512_tap(const int S, uint32_t m,
                                                                                 const float *r)
{
    if (S == 1) return _mm512_maskz_loadu_ps((__mmask16)m, r);
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    return _mm512_permutex2var_ps(_mm512_maskz_loadu_ps((__mmask16)(m & 0xffffu), r), even,
                                  _mm512_maskz_loadu_ps((__mmask16)(m >> 16), r + 16));
}

/* The kernel for column stride S (1 or 2, a constant after inlining), any row stride and row
 * dilation: every per-layer value in a local, a branch-free interior-row loop (rows whose three input
 * rows are all inside the plane) and the column masks of planes of one chunk (out_w <= 16) hoisted
 * out of it. */
__attribute__((target("avx512f"), always_inline)) static inline void
dw3_avx512_body(const int S, const sr_win2d *p, const float *in, const float *W, const float *bias, int oc0,
                int oc1, float *out, const sr_conv_post *post)
{
    const int ow = p->out_w, oh = p->out_h, iw = p->in_w, ih = p->in_h, pt = p->pad_top, pl = p->pad_left;
    const int sh = p->stride_h, dh = p->dil_h;
    const int nch = (ow + 15) / 16;
    const int64_t hw = (int64_t)oh * ow, plane = (int64_t)ih * iw;
    uint32_t cm[SR_DW512_MAX_CHUNKS][3];
    __mmask16 om[SR_DW512_MAX_CHUNKS];
    for (int ch = 0; ch < nch; ch++) {
        const int64_t x0 = (int64_t)ch * 16;
        om[ch] = (__mmask16)bit_range32(0, ow - x0);
        for (int kx = 0; kx < 3; kx++) {
            const int64_t t = S * x0 - pl + kx; /* window start column */
            cm[ch][kx] = bit_range32(-t, iw - t) & (S == 1 ? 0xffffu : 0xffffffffu);
        }
    }
    const int inline_act =
        !post || post->act == SR_ACT_NONE || post->act == SR_ACT_RELU || post->act == SR_ACT_RELU6;
    const int has_bn = post && post->bn_scale && inline_act;
    const int relu = post && inline_act && post->act != SR_ACT_NONE;
    const int relu6 = post && inline_act && post->act == SR_ACT_RELU6;
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
    /* output rows [ya, yb) have all three input rows (sh*oy - pt + {0, dh, 2dh}) inside the plane */
    const int last = ih - 1 - 2 * dh + pt; /* the largest sh*oy allowed */
    int ya = pt > 0 ? (pt + sh - 1) / sh : 0, yb = last < 0 ? 0 : last / sh + 1;
    yb = yb > oh ? oh : yb;
    ya = ya > oh ? oh : ya;
    yb = yb < ya ? ya : yb;
    for (int b = 0; b < p->n; b++)
        for (int c = oc0; c < oc1; c++) {
            const float *src = in + ((int64_t)b * p->in_c + c) * plane;
            const float *wc = W + (int64_t)c * 9;
            const int64_t off = ((int64_t)b * (oc1 - oc0) + (c - oc0)) * hw;
            float *o = out + off;
            const float *res = post && inline_act && post->residual ? post->residual + off : NULL;
            const __m512 w0 = _mm512_set1_ps(wc[0]), w1 = _mm512_set1_ps(wc[1]), w2 = _mm512_set1_ps(wc[2]),
                         w3 = _mm512_set1_ps(wc[3]), w4 = _mm512_set1_ps(wc[4]), w5 = _mm512_set1_ps(wc[5]),
                         w6 = _mm512_set1_ps(wc[6]), w7 = _mm512_set1_ps(wc[7]), w8 = _mm512_set1_ps(wc[8]);
            const __m512 bv = _mm512_set1_ps(bias ? bias[c] : 0.0f);
            float a = 1.0f, s = 0.0f;
            if (has_bn) { /* the expressions of sr_batchnorm / out_run */
                a = post->bn_scale[c] / sqrtf(post->bn_var[c] + post->bn_eps);
                s = post->bn_shift[c] - a * post->bn_mean[c];
            }
            const __m512 av = _mm512_set1_ps(a), sv = _mm512_set1_ps(s);
#define SR_DW512_VEC(R0, R1, R2, T, M0, M1, M2, OROW, RROW, OM)                                              \
    do {                                                                                                     \
        __m512 acc = _mm512_add_ps(bv, _mm512_mul_ps(w0, dw512_tap(S, M0, (R0) + (T))));                     \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w1, dw512_tap(S, M1, (R0) + (T) + 1)));                       \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w2, dw512_tap(S, M2, (R0) + (T) + 2)));                       \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w3, dw512_tap(S, M0, (R1) + (T))));                           \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w4, dw512_tap(S, M1, (R1) + (T) + 1)));                       \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w5, dw512_tap(S, M2, (R1) + (T) + 2)));                       \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w6, dw512_tap(S, M0, (R2) + (T))));                           \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w7, dw512_tap(S, M1, (R2) + (T) + 1)));                       \
        acc = _mm512_add_ps(acc, _mm512_mul_ps(w8, dw512_tap(S, M2, (R2) + (T) + 2)));                       \
        if (has_bn) acc = _mm512_add_ps(_mm512_mul_ps(av, acc), sv);                                         \
        if (RROW) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(OM, RROW));                                 \
        if (relu) acc = _mm512_max_ps(acc, zero); /* v > 0 ? v : 0 */                                        \
        if (relu6) acc = _mm512_min_ps(acc, six); /* v < 6 ? v : 6 */                                        \
        _mm512_mask_storeu_ps(OROW, OM, acc);                                                                \
    } while (0)
            /* edge rows (some input row outside the plane: zeros) and planes wider than one chunk */
            for (int oy = 0; oy < oh; oy++) {
                if (nch == 1 && oy == ya && yb > ya) {
                    /* interior rows of a one-chunk plane: masks hoisted, pointers step by S rows */
                    const uint32_t m0 = cm[0][0], m1 = cm[0][1], m2 = cm[0][2];
                    const __mmask16 m = om[0];
                    const float *r0 = src + (int64_t)(sh * ya - pt) * iw - pl;
                    const int64_t d1 = (int64_t)dh * iw, d2 = 2 * d1;
                    float *orow = o + (int64_t)ya * ow;
                    const float *rrow = res ? res + (int64_t)ya * ow : NULL;
                    for (int y = ya; y < yb; y++) {
                        SR_DW512_VEC(r0, r0 + d1, r0 + d2, 0, m0, m1, m2, orow, rrow, m);
                        r0 += (int64_t)sh * iw, orow += ow;
                        if (rrow) rrow += ow;
                    }
                    oy = yb - 1;
                    continue;
                }
                const int iy = sh * oy - pt, iy1 = iy + dh, iy2 = iy1 + dh;
                const float *r0 = iy >= 0 && iy < ih ? src + (int64_t)iy * iw : dw512_zeros;
                const float *r1 = iy1 >= 0 && iy1 < ih ? src + (int64_t)iy1 * iw : dw512_zeros;
                const float *r2 = iy2 >= 0 && iy2 < ih ? src + (int64_t)iy2 * iw : dw512_zeros;
                float *orow = o + (int64_t)oy * ow;
                const float *rrow = res ? res + (int64_t)oy * ow : NULL;
                for (int ch = 0; ch < nch; ch++) {
                    const int64_t t = (int64_t)ch * 16 * S - pl;
                    const float *rr = rrow ? rrow + (int64_t)ch * 16 : NULL;
                    SR_DW512_VEC(r0, r1, r2, t, cm[ch][0], cm[ch][1], cm[ch][2], orow + (int64_t)ch * 16, rr,
                                 om[ch]);
                }
            }
#undef SR_DW512_VEC
            if (post && !inline_act)
                out_run(NULL, post, c, o, post->residual ? post->residual + off : NULL, hw);
        }
}

__attribute__((target("avx512f"))) static void conv_dw3_avx512(const sr_win2d *p, const float *in,
                                                               const float *W, const float *bias, int oc0,
                                                               int oc1, float *out, const sr_conv_post *post)
{
    if (p->stride_w == 1)
        dw3_avx512_body(1, p, in, W, bias, oc0, oc1, out, post);
    else
        dw3_avx512_body(2, p, in, W, bias, oc0, oc1, out, post);
}
#else
static int dw512_applies(const sr_win2d *p)
{
    (void)p;
    return 0;
}
static void conv_dw3_avx512(const sr_win2d *p, const float *in, const float *W, const float *bias, int oc0,
                            int oc1, float *out, const sr_conv_post *post)
{
    (void)p, (void)in, (void)W, (void)bias, (void)oc0, (void)oc1, (void)out, (void)post;
    assert(0);
}
#endif

void sr_conv2d_post(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                    int oc0, int oc1, float *out, float *ws, const sr_conv_post *post)
{
    if (is_depthwise(p, groups) && p->k_h <= SR_DW_MAX_KH) {
        /* every 3x3 layer with column dilation 1 and column stride 1 or 2 (MobileNet's layers:
         * bench/kernels --forward, 17 layers 1.88 -> 1.45 ms with the interior-row loop) */
        if (dw512_applies(p)) {
            conv_dw3_avx512(p, in, W, bias, oc0, oc1, out, post);
            return;
        }
        const int rows = dw3_strip_rows(p);
        if (rows > 0)
            conv_depthwise_padded(p, rows, in, W, bias, oc0, oc1, out, post);
        else
            conv_depthwise(p, in, W, bias, oc0, oc1, out, post);
        return;
    }
    const int rows = oc1 > oc0 ? shift_rows(p, groups, oc1 - oc0) : 0;
    if (rows > 0) {
        conv_shift3(p, rows, in, W, bias, oc0, oc1, out, ws, post);
        return;
    }
    conv_im2col(p, groups, in, W, bias, oc0, oc1, out, ws, post);
}

void sr_conv2d(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias, int oc0,
               int oc1, float *out, float *ws)
{
    sr_conv2d_post(p, groups, in, W, bias, oc0, oc1, out, ws, NULL);
}

void sr_conv2d_ref(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                   float *out)
{
    const int icg = p->in_c / groups, ocg = p->out_c / groups;
    for (int b = 0; b < p->n; b++)
        for (int oc = 0; oc < p->out_c; oc++) {
            int g = oc / ocg;
            for (int oy = 0; oy < p->out_h; oy++)
                for (int ox = 0; ox < p->out_w; ox++) {
                    double acc = bias ? bias[oc] : 0.0;
                    for (int ic = 0; ic < icg; ic++)
                        for (int ky = 0; ky < p->k_h; ky++)
                            for (int kx = 0; kx < p->k_w; kx++) {
                                int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                                int ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue;
                                double x =
                                    in[(((int64_t)b * p->in_c + g * icg + ic) * p->in_h + iy) * p->in_w + ix];
                                double w = W[(((int64_t)oc * icg + ic) * p->k_h + ky) * p->k_w + kx];
                                acc += x * w;
                            }
                    out[(((int64_t)b * p->out_c + oc) * p->out_h + oy) * p->out_w + ox] = (float)acc;
                }
        }
}
