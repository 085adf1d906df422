/* kern_conv.c: convolution kernels (im2col + cblas_sgemm, direct depthwise, naive reference).
 *
 * The im2col path lowers one group and one block of output pixels at a time into a workspace
 * whose size is bounded by SR_CONV_COL_BLOCK columns (fewer when K is large), so the lowered
 * matrix stays in cache while sgemm packs it; the output block is written in place through
 * sgemm's ldc. 1x1 stride-1 unpadded convolutions skip im2col and multiply the input directly. */
/* These loops must vectorize to be memory-bound rather than branch-bound (10x on ReLU at -O2 vs -O3
 * with GCC 12, whose -O2 cost model refuses loops needing an alias check). O3 keeps IEEE semantics:
 * no reassociation, so reductions keep their order and results stay bit-identical. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include <assert.h>
#include <cblas.h>
#include <string.h>

#include "sr_kernels.h"

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

/* Output pixels per im2col block for reduction length k. */
static int64_t col_block(const sr_win2d *p, int64_t k)
{
    int64_t hw = (int64_t)p->out_h * p->out_w;
    int64_t cols = (int64_t)SR_CONV_COL_FLOATS / (k > 0 ? k : 1);
    if (cols > SR_CONV_COL_BLOCK)
        cols = SR_CONV_COL_BLOCK;
    if (cols < 64)
        cols = 64;
    return cols < hw ? cols : hw;
}

size_t sr_conv2d_im2col_workspace_floats(const sr_win2d *p, int groups)
{
    int64_t k = (int64_t)(p->in_c / groups) * p->k_h * p->k_w;
    return (size_t)(k * col_block(p, k));
}

size_t sr_conv2d_workspace_floats(const sr_win2d *p, int groups)
{
    if (is_depthwise(p, groups) || is_pointwise(p))
        return 0;
    return sr_conv2d_im2col_workspace_floats(p, groups);
}

/* Lowers channels [c_first, c_first+cg) of one image into col[(c*kh+ky)*kw+kx][q], q = pixel - p0,
 * for output pixels [p0, p1). */
static void im2col_block(const sr_win2d *p, const float *img, int c_first, int cg, int64_t p0, int64_t p1,
                         float *col)
{
    const int64_t pn = p1 - p0;
    const int64_t plane = (int64_t)p->in_h * p->in_w;
    for (int c = 0; c < cg; c++) {
        const float *src = img + (int64_t)(c_first + c) * plane;
        for (int ky = 0; ky < p->k_h; ky++) {
            for (int kx = 0; kx < p->k_w; kx++) {
                float *dst = col + ((int64_t)(c * p->k_h + ky) * p->k_w + kx) * pn;
                int64_t q = 0;
                int64_t pix = p0;
                while (pix < p1) {
                    int oy = (int)(pix / p->out_w);
                    int ox0 = (int)(pix % p->out_w);
                    int ox1 = p->out_w;
                    if ((int64_t)oy * p->out_w + ox1 > p1)
                        ox1 = (int)(p1 - (int64_t)oy * p->out_w);
                    int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h) {
                        memset(dst + q, 0, sizeof(float) * (size_t)(ox1 - ox0));
                    } else {
                        const float *row = src + (int64_t)iy * p->in_w;
                        int xoff = kx * p->dil_w - p->pad_left;
                        if (p->stride_w == 1) {
                            /* valid ox: 0 <= ox + xoff < in_w */
                            int lo = -xoff > ox0 ? -xoff : ox0;
                            int hi = p->in_w - xoff < ox1 ? p->in_w - xoff : ox1;
                            if (hi < lo)
                                hi = lo = ox1 < lo ? ox1 : lo;
                            float *d = dst + q;
                            for (int ox = ox0; ox < lo; ox++)
                                *d++ = 0.0f;
                            if (hi > lo) {
                                memcpy(d, row + lo + xoff, sizeof(float) * (size_t)(hi - lo));
                                d += hi - lo;
                            }
                            for (int ox = hi > lo ? hi : lo; ox < ox1; ox++)
                                *d++ = 0.0f;
                        } else {
                            /* valid ox: 0 <= ox*s + xoff < in_w */
                            const int s = p->stride_w;
                            int lo = xoff >= 0 ? 0 : (-xoff + s - 1) / s;
                            int hi = p->in_w - xoff <= 0 ? 0 : (p->in_w - xoff + s - 1) / s;
                            lo = lo < ox0 ? ox0 : lo > ox1 ? ox1 : lo;
                            hi = hi > ox1 ? ox1 : hi < lo ? lo : hi;
                            float *d = dst + q;
                            for (int ox = ox0; ox < lo; ox++)
                                *d++ = 0.0f;
                            const float *sp = row + (int64_t)lo * s + xoff;
                            for (int ox = lo; ox < hi; ox++, sp += s)
                                *d++ = *sp;
                            for (int ox = hi; ox < ox1; ox++)
                                *d++ = 0.0f;
                        }
                    }
                    q += ox1 - ox0;
                    pix += ox1 - ox0;
                }
            }
        }
    }
}

static void fill_bias(float *out, int channels, int64_t hw, const float *bias, int oc0)
{
    for (int c = 0; c < channels; c++) {
        float b = bias ? bias[oc0 + c] : 0.0f;
        float *o = out + (int64_t)c * hw;
        for (int64_t i = 0; i < hw; i++)
            o[i] = b;
    }
}

void sr_conv2d_im2col(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                      int oc0, int oc1, float *out, float *ws)
{
    assert(groups >= 1 && p->in_c % groups == 0 && p->out_c % groups == 0);
    assert(0 <= oc0 && oc0 <= oc1 && oc1 <= p->out_c);
    const int icg = p->in_c / groups, ocg = p->out_c / groups;
    const int64_t k = (int64_t)icg * p->k_h * p->k_w;
    const int64_t hw = (int64_t)p->out_h * p->out_w;
    const int64_t in_img = (int64_t)p->in_c * p->in_h * p->in_w;
    const int64_t out_img = (int64_t)(oc1 - oc0) * hw;
    const int64_t blk = col_block(p, k);
    const int direct = is_pointwise(p);
    if (hw == 0 || oc1 == oc0)
        return;
    for (int b = 0; b < p->n; b++) {
        const float *img = in + b * in_img;
        float *o = out + b * out_img;
        fill_bias(o, oc1 - oc0, hw, bias, oc0);
        for (int g = 0; g < groups; g++) {
            int lo = g * ocg > oc0 ? g * ocg : oc0;
            int hi = (g + 1) * ocg < oc1 ? (g + 1) * ocg : oc1;
            if (lo >= hi)
                continue;
            const float *A = W + (int64_t)lo * k;
            float *C = o + (int64_t)(lo - oc0) * hw;
            if (direct) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, (int)hw, (int)k, 1.0f, A,
                            (int)k, img + (int64_t)g * icg * hw, (int)hw, 1.0f, C, (int)hw);
                continue;
            }
            for (int64_t p0 = 0; p0 < hw; p0 += blk) {
                int64_t p1 = p0 + blk < hw ? p0 + blk : hw;
                im2col_block(p, img, g * icg, icg, p0, p1, ws);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, (int)(p1 - p0), (int)k, 1.0f,
                            A, (int)k, ws, (int)(p1 - p0), 1.0f, C + p0, (int)hw);
            }
        }
    }
}

/* Direct depthwise convolution (one filter per channel), channels [oc0, oc1). Each output sums its
 * taps in (ky, kx) order after the bias. */
static void conv_depthwise(const sr_win2d *p, const float *in, const float *W, const float *bias, int oc0,
                           int oc1, float *out)
{
    const int64_t hw = (int64_t)p->out_h * p->out_w;
    const int64_t plane = (int64_t)p->in_h * p->in_w;
    const int kk = p->k_h * p->k_w;
    for (int b = 0; b < p->n; b++) {
        for (int c = oc0; c < oc1; c++) {
            const float *src = in + ((int64_t)b * p->in_c + c) * plane;
            const float *w = W + (int64_t)c * kk;
            float *o = out + ((int64_t)b * (oc1 - oc0) + (c - oc0)) * hw;
            float bv = bias ? bias[c] : 0.0f;
            for (int64_t i = 0; i < hw; i++)
                o[i] = bv;
            for (int oy = 0; oy < p->out_h; oy++) {
                float *orow = o + (int64_t)oy * p->out_w;
                for (int ky = 0; ky < p->k_h; ky++) {
                    int iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
                    if (iy < 0 || iy >= p->in_h)
                        continue;
                    const float *row = src + (int64_t)iy * p->in_w;
                    for (int kx = 0; kx < p->k_w; kx++) {
                        float wv = w[ky * p->k_w + kx];
                        int xoff = kx * p->dil_w - p->pad_left;
                        /* valid ox: 0 <= ox*s + xoff < in_w */
                        int s = p->stride_w;
                        int lo = xoff >= 0 ? 0 : (-xoff + s - 1) / s;
                        int hi = p->in_w - xoff <= 0 ? 0 : (p->in_w - xoff + s - 1) / s;
                        if (hi > p->out_w)
                            hi = p->out_w;
                        if (s == 1) {
                            for (int ox = lo; ox < hi; ox++)
                                orow[ox] += wv * row[ox + xoff];
                        } else {
                            for (int ox = lo; ox < hi; ox++)
                                orow[ox] += wv * row[ox * s + xoff];
                        }
                    }
                }
            }
        }
    }
}

void sr_conv2d(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias, int oc0,
               int oc1, float *out, float *ws)
{
    if (is_depthwise(p, groups)) {
        conv_depthwise(p, in, W, bias, oc0, oc1, out);
        return;
    }
    sr_conv2d_im2col(p, groups, in, W, bias, oc0, oc1, out, ws);
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
                                if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w)
                                    continue;
                                double x = in[(((int64_t)b * p->in_c + g * icg + ic) * p->in_h + iy) * p->in_w +
                                              ix];
                                double w = W[(((int64_t)oc * icg + ic) * p->k_h + ky) * p->k_w + kx];
                                acc += x * w;
                            }
                    out[(((int64_t)b * p->out_c + oc) * p->out_h + oy) * p->out_w + ox] = (float)acc;
                }
        }
}
