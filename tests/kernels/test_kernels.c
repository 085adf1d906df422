/* test_kernels.c: the fp32 kernels against naive references and hand-checked small cases.
 *
 * Tolerance for accumulated results: max |got - ref| <= 1e-4 * max(1, max |ref|). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_kernels.h"

static float *rand_buf(gsl_rng *r, size_t n)
{
    float *x = malloc(sizeof(float) * (n ? n : 1));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_gaussian(r, 1.0);
    return x;
}

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m) m = fabs(x[i]);
    return m;
}

static void assert_close(const float *got, const float *ref, size_t n)
{
    double scale = max_abs(ref, n);
    double tol = 1e-4 * (scale > 1 ? scale : 1);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (!(d <= worst)) worst = d;
    }
    if (!(worst <= tol)) fail_msg("max abs diff %g > tol %g over %zu values", worst, tol, n);
}

typedef struct conv_case {
    int n, ic, ih, iw, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
} conv_case;

static sr_win2d conv_geom(const conv_case *c)
{
    sr_win2d p = {0};
    p.n = c->n;
    p.in_c = c->ic;
    p.in_h = c->ih;
    p.in_w = c->iw;
    p.out_c = c->oc;
    p.k_h = c->kh;
    p.k_w = c->kw;
    p.stride_h = c->sh;
    p.stride_w = c->sw;
    p.dil_h = c->dh;
    p.dil_w = c->dw;
    p.pad_top = c->pt;
    p.pad_left = c->pl;
    p.out_h = (c->ih + c->pt + c->pb - c->dh * (c->kh - 1) - 1) / c->sh + 1;
    p.out_w = (c->iw + c->pl + c->pr - c->dw * (c->kw - 1) - 1) / c->sw + 1;
    return p;
}

static const conv_case conv_cases[] = {
    /* n ic ih iw oc kh kw sh sw dh dw pt pl pb pr g */
    {1, 3, 17, 19, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* plain 3x3 same */
    {2, 4, 13, 11, 6, 3, 5, 2, 1, 1, 1, 0, 2, 1, 2, 2}, /* batch 2, groups 2, rect kernel, stride 2x1 */
    {1, 6, 15, 15, 9, 3, 3, 1, 2, 2, 3, 2, 0, 1, 3, 3}, /* dilation 2x3, asym pad, groups 3 */
    {1, 8, 9, 10, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, /* pointwise (direct sgemm path) */
    {1, 8, 9, 10, 16, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 4}, /* strided 1x1 grouped */
    {1, 5, 90, 80, 7, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1}, /* strided, > 1024 output pixels: im2col blocks */
    /* 3x3 stride 1 with >= 512 output pixels: nine shifted products over row blocks */
    {2, 6, 100, 26, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* batch 2, two row blocks, short last block */
    {1, 4, 40, 30, 6, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},    /* no padding: in_w != out_w */
    {1, 4, 30, 40, 6, 3, 3, 1, 1, 1, 1, -1, -2, 2, 3, 1},  /* negative top/left pad (a tile), asym */
    {1, 16, 6, 1000, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* rows limited by the im2col-sized workspace */
    {1, 16, 3, 2000, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* too wide for it: falls back to im2col */
    {1, 3, 20, 20, 4, 7, 7, 2, 2, 1, 1, 3, 2, 2, 3, 1},    /* 7x7/2 asym */
    {1, 12, 12, 12, 12, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, 12}, /* depthwise (direct kernel) asym pad */
    {1, 12, 12, 12, 12, 5, 5, 1, 1, 2, 2, 4, 4, 4, 4, 12}, /* depthwise dilated */
    {1, 4, 10, 10, 4, 3, 3, 1, 1, 1, 1, -1, -2, 1, 1, 1},  /* negative pad: starts inside the data */
    /* 3x3 depthwise fast path: border columns, row dilation, tiny and negative-pad inputs */
    {2, 6, 9, 13, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},    /* s1 pad 1 */
    {1, 5, 11, 12, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 5},   /* s2 pad 1, even width */
    {1, 5, 11, 11, 5, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 5},   /* s2 pad 2 */
    {1, 4, 12, 12, 4, 3, 3, 1, 1, 2, 1, 2, 0, 2, 0, 4},   /* row dilation, no column padding */
    {1, 3, 5, 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},     /* width 2: no interior column */
    {1, 4, 10, 10, 4, 3, 3, 1, 2, 1, 1, -1, -2, 1, 1, 4}, /* negative pad (a tile) */
    /* planes past the padded-plane limit: row-by-row path with edge columns */
    {1, 3, 70, 66, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},   /* s1 */
    {2, 2, 131, 130, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2}, /* s2, batch 2 */
    {1, 2, 70, 66, 2, 3, 3, 1, 1, 1, 1, -1, 0, 2, 3, 2},  /* s1, negative top pad, asym */
    /* AVX-512 path (where the CPU has it): one partial vector per row, several vectors, stride 2 */
    {1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},      /* 7x7 s1 */
    {1, 5, 14, 14, 5, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 5},    /* 14x14 s2, padding at the end only */
    {1, 2, 20, 300, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},   /* 19 vectors per row, s1 */
    {1, 2, 9, 301, 2, 3, 3, 2, 2, 2, 1, 2, 1, 2, 1, 2},    /* s2 odd width, row dilation */
    {1, 2, 4, 1100, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},   /* too wide for its masks: other paths */
};

static void test_conv_vs_reference(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    for (size_t t = 0; t < sizeof(conv_cases) / sizeof(conv_cases[0]); t++) {
        const conv_case *c = &conv_cases[t];
        sr_win2d p = conv_geom(c);
        size_t in_n = (size_t)c->n * c->ic * c->ih * c->iw;
        size_t w_n = (size_t)c->oc * (c->ic / c->groups) * c->kh * c->kw;
        size_t out_n = (size_t)c->n * c->oc * p.out_h * p.out_w;
        float *x = rand_buf(r, in_n), *w = rand_buf(r, w_n), *b = rand_buf(r, (size_t)c->oc);
        float *ref = calloc(out_n, sizeof(float)), *got = calloc(out_n, sizeof(float));
        size_t wsn = sr_conv2d_workspace_floats(&p, c->groups);
        float *ws = malloc(sizeof(float) * (wsn ? wsn : 1));
        sr_conv2d_ref(&p, c->groups, x, w, b, ref);
        sr_conv2d(&p, c->groups, x, w, b, 0, c->oc, got, ws);
        assert_close(got, ref, out_n);
        /* A channel subset that crosses a group boundary equals the slice of the full output. */
        int oc0 = c->oc / 3, oc1 = c->oc - 1;
        size_t hw = (size_t)p.out_h * p.out_w;
        float *sub = calloc((size_t)c->n * (oc1 - oc0) * hw, sizeof(float));
        sr_conv2d(&p, c->groups, x, w, b, oc0, oc1, sub, ws);
        for (int bb = 0; bb < c->n; bb++)
            assert_close(sub + (size_t)bb * (oc1 - oc0) * hw, ref + ((size_t)bb * c->oc + oc0) * hw,
                         (size_t)(oc1 - oc0) * hw);
        free(sub);
        free(x), free(w), free(b), free(ref), free(got), free(ws);
    }
    gsl_rng_free(r);
}

static void test_depthwise_direct_vs_im2col(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const conv_case cases[] = {
        {1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 32},
        {2, 16, 15, 17, 16, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 16},
        {1, 8, 20, 20, 8, 5, 3, 2, 1, 2, 1, 3, 1, 2, 1, 8},
    };
    for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
        const conv_case *c = &cases[t];
        sr_win2d p = conv_geom(c);
        size_t in_n = (size_t)c->n * c->ic * c->ih * c->iw;
        size_t out_n = (size_t)c->n * c->oc * p.out_h * p.out_w;
        float *x = rand_buf(r, in_n), *w = rand_buf(r, (size_t)c->oc * c->kh * c->kw), *b = rand_buf(r, 32);
        float *d = calloc(out_n, sizeof(float)), *g = calloc(out_n, sizeof(float));
        assert_int_equal(sr_conv2d_workspace_floats(&p, c->groups), 0);
        size_t wsn = sr_conv2d_im2col_workspace_floats(&p, c->groups);
        float *ws = malloc(sizeof(float) * wsn);
        sr_conv2d(&p, c->groups, x, w, b, 0, c->oc, d, NULL);
        sr_conv2d_im2col(&p, c->groups, x, w, b, 0, c->oc, g, ws);
        assert_close(d, g, out_n);
        free(x), free(w), free(b), free(d), free(g), free(ws);
    }
    gsl_rng_free(r);
}

/* Stand-alone reference of the fused output pass: batch norm, residual add, activation, each with
 * its own kernel. */
static void post_separately(const sr_win2d *p, int oc0, int oc1, const sr_conv_post *post, float *y)
{
    const int nc = oc1 - oc0;
    const int64_t hw = (int64_t)p->out_h * p->out_w, cnt = (int64_t)p->n * nc * hw;
    if (post->bn_scale)
        sr_batchnorm(p->n, nc, hw, y, post->bn_scale + oc0, post->bn_shift + oc0, post->bn_mean + oc0,
                     post->bn_var + oc0, post->bn_eps, y);
    if (post->residual) {
        const int64_t d[1] = {cnt};
        assert_int_equal(sr_add_broadcast(y, 1, d, post->residual, 1, d, y, 1, d), SR_OK);
    }
    switch (post->act) {
    case SR_ACT_NONE:
        break;
    case SR_ACT_RELU:
        sr_relu(cnt, y, y);
        break;
    case SR_ACT_RELU6:
        sr_relu6(cnt, y, y);
        break;
    case SR_ACT_LEAKY:
        sr_leaky_relu(cnt, post->alpha, y, y);
        break;
    case SR_ACT_CLIP:
        sr_clip(cnt, post->lo, post->hi, y, y);
        break;
    }
}

/* sr_conv2d_post is bit-identical to sr_conv2d followed by the stand-alone kernels, on every conv path
 * (im2col, 3x3 shifted products, pointwise in several column blocks, grouped, depthwise fast and generic),
 * with channel subsets, and its output differs from the plain conv (the post really runs). */
static void test_conv_post_matches_separate_ops(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    const conv_case cases[] = {
        {1, 5, 13, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* im2col */
        {1, 6, 40, 30, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* 3x3 s1 shifted products */
        {1, 8, 20, 20, 512, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, /* pointwise, 2 column blocks */
        {2, 6, 9, 9, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3},     /* grouped strided, batch 2 */
        {1, 8, 14, 14, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},   /* depthwise s1 (padded plane) */
        {1, 8, 15, 15, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8},   /* depthwise s2 (padded plane) */
        {1, 3, 70, 66, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},   /* depthwise s1, large plane */
        {1, 2, 131, 130, 2, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2}, /* depthwise s2, large plane */
        {1, 8, 12, 12, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},   /* depthwise 5x5 (generic) */
        {2, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},     /* depthwise 7x7 s1 (AVX-512 path) */
        {1, 5, 14, 14, 5, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 5},   /* depthwise 14x14 s2 (AVX-512 path) */
        {1, 2, 20, 300, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},  /* depthwise wide s1 (AVX-512 path) */
    };
    const sr_act acts[] = {SR_ACT_NONE, SR_ACT_RELU, SR_ACT_RELU6, SR_ACT_LEAKY, SR_ACT_CLIP};
    for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
        const conv_case *c = &cases[t];
        sr_win2d p = conv_geom(c);
        size_t in_n = (size_t)c->n * c->ic * c->ih * c->iw;
        size_t w_n = (size_t)c->oc * (c->ic / c->groups) * c->kh * c->kw;
        size_t out_n = (size_t)c->n * c->oc * p.out_h * p.out_w;
        float *x = rand_buf(r, in_n), *w = rand_buf(r, w_n), *b = rand_buf(r, (size_t)c->oc);
        float *sc = rand_buf(r, (size_t)c->oc), *sh = rand_buf(r, (size_t)c->oc),
              *mu = rand_buf(r, (size_t)c->oc);
        float *var = rand_buf(r, (size_t)c->oc), *res = rand_buf(r, out_n);
        for (int i = 0; i < c->oc; i++)
            var[i] = var[i] * var[i] + 0.1f;
        float *want = malloc(sizeof(float) * out_n), *got = malloc(sizeof(float) * out_n);
        size_t wsn = sr_conv2d_workspace_floats(&p, c->groups);
        float *ws = malloc(sizeof(float) * (wsn ? wsn : 1));
        for (size_t a = 0; a < sizeof(acts) / sizeof(acts[0]); a++)
            for (int variant = 0; variant < 4; variant++) {
                /* variant bit 0: batch norm, bit 1: residual; channel subset on odd a */
                sr_conv_post post = {0};
                if (variant & 1) {
                    post.bn_scale = sc, post.bn_shift = sh, post.bn_mean = mu, post.bn_var = var;
                    post.bn_eps = 1e-5f;
                }
                post.act = acts[a];
                post.alpha = 0.1f;
                post.lo = -0.25f, post.hi = 0.5f;
                int oc0 = a % 2 ? c->oc / 3 : 0, oc1 = a % 2 ? c->oc - 1 : c->oc;
                post.residual = variant & 2 ? res : NULL;
                const float *bias = variant == 2 ? NULL : b;
                sr_conv2d(&p, c->groups, x, w, bias, oc0, oc1, want, ws);
                size_t sub_n = (size_t)c->n * (oc1 - oc0) * p.out_h * p.out_w;
                memcpy(got, want, sizeof(float) * sub_n);
                post_separately(&p, oc0, oc1, &post, want);
                if (variant || acts[a] != SR_ACT_NONE)
                    assert_true(memcmp(got, want, sizeof(float) * sub_n) != 0);
                memset(got, 0, sizeof(float) * sub_n);
                sr_conv2d_post(&p, c->groups, x, w, bias, oc0, oc1, got, ws, &post);
                assert_memory_equal(got, want, sizeof(float) * sub_n);
            }
        free(x), free(w), free(b), free(sc), free(sh), free(mu), free(var), free(res);
        free(want), free(got), free(ws);
    }
    gsl_rng_free(r);
}

static sr_win2d pool_geom(int h, int w, int k, int s, int pt, int pl, int oh, int ow)
{
    sr_win2d p = {0};
    p.n = 1;
    p.in_c = p.out_c = 1;
    p.in_h = h;
    p.in_w = w;
    p.out_h = oh;
    p.out_w = ow;
    p.k_h = p.k_w = k;
    p.stride_h = p.stride_w = s;
    p.dil_h = p.dil_w = 1;
    p.pad_top = pt;
    p.pad_left = pl;
    return p;
}

/* Max pooling equals a per-window scan (first value, then v > m replaces m) bit for bit, on the
 * vectorised inner columns and the clipped edges: strides 1, 2, 3, padding, negative padding (a tile),
 * ceil-mode windows past the input, and values with NaNs and signed zeros. */
static void test_maxpool_vs_scan(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    /* h w k s pad_top pad_left out_h out_w */
    const int cases[][8] = {
        {112, 112, 3, 2, 1, 1, 56, 56}, {13, 17, 3, 1, 1, 1, 13, 17}, {15, 15, 2, 2, 0, 0, 8, 8},
        {20, 22, 5, 3, 2, 1, 7, 8},     {12, 12, 3, 2, -1, -2, 5, 4}, {4, 40, 3, 2, 0, 0, 2, 20},
    };
    for (size_t t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
        const int *c = cases[t];
        sr_win2d p = pool_geom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
        p.n = 2;
        p.in_c = p.out_c = 3;
        const size_t in_n = (size_t)6 * c[0] * c[1], out_n = (size_t)6 * c[6] * c[7];
        float *x = rand_buf(r, in_n), *got = malloc(sizeof(float) * out_n),
              *want = malloc(sizeof(float) * out_n);
        for (size_t i = 0; i < in_n; i++) {
            double u = gsl_rng_uniform(r);
            if (u < 0.02)
                x[i] = NAN;
            else if (u < 0.2)
                x[i] = u < 0.11 ? 0.0f : -0.0f;
            else if (u < 0.3)
                x[i] = 0.5f; /* ties */
        }
        for (int pl = 0; pl < 6; pl++)
            for (int oy = 0; oy < c[6]; oy++)
                for (int ox = 0; ox < c[7]; ox++) {
                    float m = 0.0f;
                    int any = 0;
                    for (int y = oy * c[3] - c[4]; y < oy * c[3] - c[4] + c[2]; y++)
                        for (int xx = ox * c[3] - c[5]; xx < ox * c[3] - c[5] + c[2]; xx++) {
                            if (y < 0 || y >= c[0] || xx < 0 || xx >= c[1]) continue;
                            float v = x[((size_t)pl * c[0] + y) * c[1] + xx];
                            if (!any || v > m) m = v;
                            any = 1;
                        }
                    want[((size_t)pl * c[6] + oy) * c[7] + ox] = m;
                }
        sr_maxpool2d(&p, x, got);
        assert_memory_equal(got, want, sizeof(float) * out_n);
        free(x), free(got), free(want);
    }
    gsl_rng_free(r);
}

/* 4x4 input 0..15, hand-computed PyTorch results. */
static void test_pool_hand_checked(void **state)
{
    (void)state;
    float x[16], out[4];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    /* max 3x3/2, floor: 1x1 -> 10; ceil: 2x2 -> 10 11 14 15 */
    sr_win2d p = pool_geom(4, 4, 3, 2, 0, 0, 1, 1);
    sr_maxpool2d(&p, x, out);
    assert_true(out[0] == 10.0f);
    p = pool_geom(4, 4, 3, 2, 0, 0, 2, 2);
    sr_maxpool2d(&p, x, out);
    assert_true(out[0] == 10.0f && out[1] == 11.0f && out[2] == 14.0f && out[3] == 15.0f);
    /* avg 3x3/2 ceil, no pad: last window clipped at the input end (pad_end 4) -> divisor 4 */
    sr_avgpool2d(&p, 4, 4, 1, x, out);
    assert_float_equal(out[0], 45.0f / 9.0f, 1e-6);
    assert_float_equal(out[1], (2 + 3 + 6 + 7 + 10 + 11) / 6.0f, 1e-6);
    assert_float_equal(out[3], (10 + 11 + 14 + 15) / 4.0f, 1e-6);
    /* avg 3x3/2 pad 1 floor: 2x2; window (0,0) covers 0 1 4 5 */
    p = pool_geom(4, 4, 3, 2, 1, 1, 2, 2);
    sr_avgpool2d(&p, 5, 5, 1, x, out);
    assert_float_equal(out[0], 10.0f / 9.0f, 1e-6);
    assert_float_equal(out[3], (5 + 6 + 7 + 9 + 10 + 11 + 13 + 14 + 15) / 9.0f, 1e-6);
    sr_avgpool2d(&p, 5, 5, 0, x, out);
    assert_float_equal(out[0], 10.0f / 4.0f, 1e-6);
    assert_float_equal(out[1], (1 + 2 + 3 + 5 + 6 + 7) / 6.0f, 1e-6);
    /* darknet maxpool size 2 stride 1 (pad bottom/right 1): 4x4 -> 4x4, last row/col see one extra */
    float o16[16];
    p = pool_geom(4, 4, 2, 1, 0, 0, 4, 4);
    sr_maxpool2d(&p, x, o16);
    assert_true(o16[0] == 5.0f && o16[3] == 7.0f && o16[12] == 13.0f && o16[15] == 15.0f);
    /* global average */
    float g[1];
    sr_global_avgpool(1, 1, 16, x, g);
    assert_float_equal(g[0], 7.5f, 1e-6);
}

static void test_batchnorm_and_activations(void **state)
{
    (void)state;
    float x[2 * 2 * 3] = {1, -2, 3, 0.5f, 4, -6, 2, 2, 2, -1, 7, 0};
    float scale[2] = {2, 0.5f}, shift[2] = {1, -1}, mean[2] = {0.5f, 1}, var[2] = {3, 0.25f};
    float y[12];
    sr_batchnorm(2, 2, 3, x, scale, shift, mean, var, 1e-5f, y);
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 3; i++) {
                int k = (b * 2 + c) * 3 + i;
                double want = scale[c] * (x[k] - mean[c]) / sqrt(var[c] + 1e-5) + shift[c];
                assert_float_equal(y[k], want, 1e-5);
            }
    float a[5] = {-3, -0.5f, 0, 2, 9}, o[5];
    sr_relu(5, a, o);
    assert_true(o[0] == 0 && o[1] == 0 && o[3] == 2 && o[4] == 9);
    sr_relu6(5, a, o);
    assert_true(o[0] == 0 && o[3] == 2 && o[4] == 6);
    sr_leaky_relu(5, 0.1f, a, o);
    assert_float_equal(o[0], -0.3f, 1e-7);
    assert_true(o[4] == 9);
    sr_clip(5, -1, 1, a, o);
    assert_true(o[0] == -1 && o[1] == -0.5f && o[4] == 1);
    sr_sigmoid(5, a, o);
    assert_float_equal(o[2], 0.5f, 1e-7);
    assert_float_equal(o[3], 1.0 / (1.0 + exp(-2.0)), 1e-6);
    sr_relu(5, a, a); /* in place */
    assert_true(a[0] == 0 && a[4] == 9);
}

static void test_softmax_axis(void **state)
{
    (void)state;
    const int64_t d[3] = {2, 3, 4};
    float x[24], y[24];
    for (int i = 0; i < 24; i++)
        x[i] = (float)((i * 7) % 11) - 5.0f;
    for (int axis = 0; axis < 3; axis++) {
        sr_softmax(x, 3, d, axis, y);
        int64_t st = axis == 0 ? 12 : axis == 1 ? 4 : 1;
        for (int i = 0; i < 24; i++) {
            int64_t pos = (i / st) % d[axis];
            int64_t base = i - pos * st;
            double s = 0;
            for (int64_t a = 0; a < d[axis]; a++)
                s += exp(x[base + a * st]);
            assert_float_equal(y[i], exp(x[i]) / s, 1e-6);
        }
    }
}

static void test_add_broadcast(void **state)
{
    (void)state;
    float a[24], b[3], s[1] = {100}, o[24];
    for (int i = 0; i < 24; i++)
        a[i] = (float)i;
    for (int i = 0; i < 3; i++)
        b[i] = (float)(10 * (i + 1));
    const int64_t ad[3] = {2, 3, 4}, bd[2] = {3, 1}, sd[1] = {1};
    assert_int_equal(sr_add_broadcast(a, 3, ad, b, 2, bd, o, 3, ad), SR_OK);
    for (int i = 0; i < 24; i++)
        assert_true(o[i] == a[i] + b[(i / 4) % 3]);
    assert_int_equal(sr_add_broadcast(s, 1, sd, a, 3, ad, o, 3, ad), SR_OK);
    for (int i = 0; i < 24; i++)
        assert_true(o[i] == a[i] + 100);
    /* [2,1,4] + [3,1] -> [2,3,4] */
    const int64_t cd[3] = {2, 1, 4};
    assert_int_equal(sr_add_broadcast(a, 3, cd, b, 2, bd, o, 3, ad), SR_OK);
    for (int i = 0; i < 24; i++) {
        int n = i / 12, c = (i / 4) % 3, w = i % 4;
        assert_true(o[i] == a[n * 4 + w] + b[c]);
    }
    const int64_t bad[1] = {3};
    assert_int_equal(sr_add_broadcast(a, 3, ad, b, 1, bad, o, 3, ad), SR_ERR_SHAPE);
}

static void test_concat(void **state)
{
    (void)state;
    float a[2 * 2 * 3], b[2 * 1 * 3], o[2 * 3 * 3];
    for (int i = 0; i < 12; i++)
        a[i] = (float)i;
    for (int i = 0; i < 6; i++)
        b[i] = (float)(100 + i);
    const int64_t ad[3] = {2, 2, 3}, bd[3] = {2, 1, 3};
    const float *ins[2] = {a, b};
    const int64_t *dims[2] = {ad, bd};
    sr_concat(2, ins, dims, 3, 1, o);
    const float want[18] = {0, 1, 2, 3, 4, 5, 100, 101, 102, 6, 7, 8, 9, 10, 11, 103, 104, 105};
    for (int i = 0; i < 18; i++)
        assert_true(o[i] == want[i]);
    /* last axis */
    const int64_t cd[2] = {2, 2}, ed[2] = {2, 1};
    float c[4] = {1, 2, 3, 4}, e[2] = {9, 8}, o2[6];
    const float *ins2[2] = {c, e};
    const int64_t *dims2[2] = {cd, ed};
    sr_concat(2, ins2, dims2, 2, 1, o2);
    const float want2[6] = {1, 2, 9, 3, 4, 8};
    for (int i = 0; i < 6; i++)
        assert_true(o2[i] == want2[i]);
}

static void test_reorg_hand_checked(void **state)
{
    (void)state;
    /* c=4, h=w=2, s=2: the input is read as 1x4x4; worked out by hand from darknet's loop. */
    float x[16], y[16];
    for (int i = 0; i < 16; i++)
        x[i] = (float)i;
    sr_reorg_darknet(1, 4, 2, 2, 2, x, y);
    const float want[16] = {0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15};
    for (int i = 0; i < 16; i++)
        assert_true(y[i] == want[i]);
    /* c=8, h=1, w=2, s=2: read as 2 x 2 x 4; out_c=2, k -> (c2=k%2, off=k/2) */
    float x2[16], y2[16];
    for (int i = 0; i < 16; i++)
        x2[i] = (float)i;
    sr_reorg_darknet(1, 8, 1, 2, 2, x2, y2);
    /* k=0: c2=0 off=0 -> x[c0][row0][0,2] = 0,2; k=1: c2=1 off=0 -> x[1][0][0,2] = 8,10;
     * k=2: c2=0 off=1 -> cols 1,3 = 1,3; k=3: 9,11; k=4: off=2 row1 -> 4,6; k=5: 12,14;
     * k=6: off=3 row1 cols 1,3 -> 5,7; k=7: 13,15 */
    const float want2[16] = {0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15};
    for (int i = 0; i < 16; i++)
        assert_true(y2[i] == want2[i]);
}

static void test_fc_and_matmul(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 3);
    const int n = 3, in = 37, of = 11;
    float *x = rand_buf(r, n * in), *w = rand_buf(r, of * in), *b = rand_buf(r, of);
    float y[3 * 11], ref[3 * 11], ys[3 * 5];
    for (int i = 0; i < n; i++)
        for (int o = 0; o < of; o++) {
            double s = b[o];
            for (int k = 0; k < in; k++)
                s += (double)x[i * in + k] * w[o * in + k];
            ref[i * of + o] = (float)s;
        }
    sr_fc(n, in, of, x, w, b, 0, of, y);
    assert_close(y, ref, n * of);
    sr_fc(n, in, of, x, w, b, 4, 9, ys);
    for (int i = 0; i < n; i++)
        assert_close(ys + i * 5, ref + i * of + 4, 5);
    const float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {7, 8, 9, 10, 11, 12};
    float C[4];
    sr_matmul(2, 2, 3, A, B, C);
    assert_true(C[0] == 58 && C[1] == 64 && C[2] == 139 && C[3] == 154);
    free(x), free(w), free(b);
    gsl_rng_free(r);
}

int main(void)
{
    sr_kernels_set_blas_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_vs_reference),
        cmocka_unit_test(test_depthwise_direct_vs_im2col),
        cmocka_unit_test(test_conv_post_matches_separate_ops),
        cmocka_unit_test(test_pool_hand_checked),
        cmocka_unit_test(test_maxpool_vs_scan),
        cmocka_unit_test(test_batchnorm_and_activations),
        cmocka_unit_test(test_softmax_axis),
        cmocka_unit_test(test_add_broadcast),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_reorg_hand_checked),
        cmocka_unit_test(test_fc_and_matmul),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
