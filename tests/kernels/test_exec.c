/* test_exec.c: the executor against a layer-by-layer reference, determinism, buffer reuse, errors.
 *
 * The reference walks the same graph with one freshly allocated buffer per node and the naive
 * convolution loop (sr_conv2d_ref); tolerance 1e-4 * max(1, max |ref|). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_exec.h"
#include "sr_kernels.h"

static void assert_close(const float *got, const float *ref, size_t n)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(ref[i]) > scale)
            scale = fabs(ref[i]);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        if (!(d <= worst))
            worst = d;
    }
    double tol = 1e-4 * (scale > 1 ? scale : 1);
    if (!(worst <= tol))
        fail_msg("max abs diff %g > tol %g", worst, tol);
}

static int add_node(sr_graph *g, sr_op op, const char *name, int a, int b, const sr_node_attr *attr)
{
    int ins[2] = {a, b};
    int id = sr_graph_add(g, op, name, ins, b >= 0 ? 2 : 1, attr);
    assert_true(id >= 0);
    return id;
}

/* A small graph touching every operator. */
static sr_graph *build_graph(void)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("mini", &g), SR_OK);
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 3, 18, 18));
    int c1 = sr_graph_conv(g, "c1", x, 8, 3, 1, 1, 1, 1);
    int b1 = add_node(g, SR_OP_BATCHNORM, "b1", c1, -1, NULL);
    int r1 = sr_graph_unary(g, SR_OP_RELU, "r1", b1);
    int dw = sr_graph_conv(g, "dw", r1, 8, 3, 1, 1, 8, 0);
    int r6 = sr_graph_unary(g, SR_OP_RELU6, "r6", dw);
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = 8;
    a.kernel_h = a.kernel_w = 3;
    a.dilation_h = a.dilation_w = 2;
    a.pad_top = 1, a.pad_left = 3, a.pad_bottom = 3, a.pad_right = 1;
    a.groups = 2;
    int cd = add_node(g, SR_OP_CONV, "cdil", r1, -1, &a);
    int ad = add_node(g, SR_OP_ADD, "add", r6, cd, NULL);
    a = sr_node_attr_default();
    a.axis = 1;
    int cat = add_node(g, SR_OP_CONCAT, "cat", ad, r1, &a);
    a = sr_node_attr_default();
    a.alpha = 0.1f;
    int lk = add_node(g, SR_OP_LEAKY_RELU, "leaky", cat, -1, &a);
    a = sr_node_attr_default();
    a.kernel_h = a.kernel_w = 3;
    a.stride_h = a.stride_w = 2;
    a.ceil_mode = 1;
    int mp = add_node(g, SR_OP_MAXPOOL, "mp", lk, -1, &a); /* 18 -> 9 (ceil) */
    a = sr_node_attr_default();
    a.kernel_h = a.kernel_w = 3;
    a.stride_h = a.stride_w = 1;
    a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = 1;
    a.count_include_pad = 0;
    int ap = add_node(g, SR_OP_AVGPOOL, "ap", mp, -1, &a);
    int pw = sr_graph_conv(g, "pw", ap, 16, 1, 1, 0, 1, 1);
    a = sr_node_attr_default();
    a.clip_min = -0.5f, a.clip_max = 0.5f;
    int cl = add_node(g, SR_OP_CLIP, "clip", pw, -1, &a);
    int sg = sr_graph_unary(g, SR_OP_SIGMOID, "sig", cl);
    /* 16 x 9 x 9 is not reorg-friendly; take a 2x2-strided conv to 16 x 4 x 4 first */
    int c4 = sr_graph_conv(g, "c4", sg, 16, 3, 2, 0, 1, 1);
    a = sr_node_attr_default();
    a.stride_h = a.stride_w = 2;
    int ro = add_node(g, SR_OP_REORG, "reorg", c4, -1, &a); /* 64 x 2 x 2 */
    int gp = sr_graph_pool(g, SR_OP_GLOBAL_AVGPOOL, "gap", ro, 0, 0, 0);
    a = sr_node_attr_default();
    a.axis = 1;
    int fl = add_node(g, SR_OP_FLATTEN, "flat", gp, -1, &a);
    int dr = sr_graph_unary(g, SR_OP_DROPOUT, "drop", fl);
    int fc = sr_graph_fc(g, "fc", dr, 12, 1);
    a = sr_node_attr_default();
    a.reshape_rank = 3;
    a.reshape[0] = 1, a.reshape[1] = 3, a.reshape[2] = 4;
    int rs = add_node(g, SR_OP_RESHAPE, "rs", fc, -1, &a);
    int k = sr_graph_add_const(g, "k", (sr_shape){.rank = 2, .d = {4, 5}});
    int mm = add_node(g, SR_OP_MATMUL, "mm", rs, k, NULL); /* 1 x 3 x 5 */
    a = sr_node_attr_default();
    a.axis = -1;
    int sm = add_node(g, SR_OP_SOFTMAX, "sm", mm, -1, &a);
    assert_true(sm >= 0);
    char err[256];
    sr_status st = sr_graph_infer(g, err, sizeof(err));
    if (st != SR_OK)
        fail_msg("infer: %s", err);
    return g;
}

/* Layer-by-layer reference with one buffer per node. Caller frees each buffer and the array. */
static float **reference(const sr_graph *g, const sr_weights *w, const float *input)
{
    int n = sr_graph_node_count(g);
    float **buf = calloc((size_t)n, sizeof(float *));
    for (int i = 0; i < n; i++) {
        const sr_node *nd = sr_graph_node(g, i);
        int64_t cnt = sr_shape_numel(&nd->out);
        buf[i] = calloc((size_t)cnt, sizeof(float));
        const sr_shape *xs = nd->n_inputs ? &sr_graph_node(g, nd->inputs[0])->out : NULL;
        const float *x = nd->n_inputs ? buf[nd->inputs[0]] : NULL;
        sr_win2d p = {0};
        if (nd->op == SR_OP_CONV || nd->op == SR_OP_MAXPOOL || nd->op == SR_OP_AVGPOOL) {
            p.n = (int)xs->d[0], p.in_c = (int)xs->d[1], p.in_h = (int)xs->d[2], p.in_w = (int)xs->d[3];
            p.out_c = (int)nd->out.d[1], p.out_h = (int)nd->out.d[2], p.out_w = (int)nd->out.d[3];
            p.k_h = nd->attr.kernel_h, p.k_w = nd->attr.kernel_w;
            p.stride_h = nd->attr.stride_h, p.stride_w = nd->attr.stride_w;
            p.dil_h = nd->op == SR_OP_CONV ? nd->attr.dilation_h : 1;
            p.dil_w = nd->op == SR_OP_CONV ? nd->attr.dilation_w : 1;
            p.pad_top = nd->attr.pad_top, p.pad_left = nd->attr.pad_left;
        }
        switch (nd->op) {
        case SR_OP_INPUT:
            memcpy(buf[i], input, sizeof(float) * (size_t)cnt);
            break;
        case SR_OP_CONST:
            memcpy(buf[i], sr_weights_get_const(w, i, SR_PARAM_WEIGHT, NULL), sizeof(float) * (size_t)cnt);
            break;
        case SR_OP_CONV:
            sr_conv2d_ref(&p, nd->attr.groups, x, sr_weights_get_const(w, i, SR_PARAM_WEIGHT, NULL),
                          sr_weights_get_const(w, i, SR_PARAM_BIAS, NULL), buf[i]);
            break;
        case SR_OP_MAXPOOL:
            sr_maxpool2d(&p, x, buf[i]);
            break;
        case SR_OP_AVGPOOL:
            sr_avgpool2d(&p, p.in_h + nd->attr.pad_bottom, p.in_w + nd->attr.pad_right, nd->attr.count_include_pad,
                         x, buf[i]);
            break;
        case SR_OP_GLOBAL_AVGPOOL:
            sr_global_avgpool((int)xs->d[0], (int)xs->d[1], (int)(xs->d[2] * xs->d[3]), x, buf[i]);
            break;
        case SR_OP_FC: {
            int in_f = (int)(sr_shape_numel(xs) / xs->d[0]);
            const float *W = sr_weights_get_const(w, i, SR_PARAM_WEIGHT, NULL);
            const float *B = sr_weights_get_const(w, i, SR_PARAM_BIAS, NULL);
            for (int r = 0; r < xs->d[0]; r++)
                for (int o = 0; o < nd->attr.out_channels; o++) {
                    double s = B[o];
                    for (int k = 0; k < in_f; k++)
                        s += (double)x[r * in_f + k] * W[o * in_f + k];
                    buf[i][r * nd->attr.out_channels + o] = (float)s;
                }
            break;
        }
        case SR_OP_MATMUL: { /* [1, m, k] x [k, n] */
            const sr_shape *bs = &sr_graph_node(g, nd->inputs[1])->out;
            int m = (int)xs->d[xs->rank - 2], k = (int)xs->d[xs->rank - 1], nn = (int)bs->d[1];
            const float *B = buf[nd->inputs[1]];
            for (int r = 0; r < m; r++)
                for (int c = 0; c < nn; c++) {
                    double s = 0;
                    for (int t = 0; t < k; t++)
                        s += (double)x[r * k + t] * B[t * nn + c];
                    buf[i][r * nn + c] = (float)s;
                }
            break;
        }
        case SR_OP_BATCHNORM:
            sr_batchnorm((int)xs->d[0], (int)xs->d[1], xs->d[2] * xs->d[3], x,
                         sr_weights_get_const(w, i, SR_PARAM_BN_SCALE, NULL),
                         sr_weights_get_const(w, i, SR_PARAM_BN_SHIFT, NULL),
                         sr_weights_get_const(w, i, SR_PARAM_BN_MEAN, NULL),
                         sr_weights_get_const(w, i, SR_PARAM_BN_VAR, NULL), nd->attr.eps, buf[i]);
            break;
        case SR_OP_RELU:
            sr_relu(cnt, x, buf[i]);
            break;
        case SR_OP_RELU6:
            sr_relu6(cnt, x, buf[i]);
            break;
        case SR_OP_LEAKY_RELU:
            sr_leaky_relu(cnt, nd->attr.alpha, x, buf[i]);
            break;
        case SR_OP_CLIP:
            sr_clip(cnt, nd->attr.clip_min, nd->attr.clip_max, x, buf[i]);
            break;
        case SR_OP_SIGMOID:
            sr_sigmoid(cnt, x, buf[i]);
            break;
        case SR_OP_ADD: /* same shapes here */
            for (int64_t t = 0; t < cnt; t++)
                buf[i][t] = x[t] + buf[nd->inputs[1]][t];
            break;
        case SR_OP_CONCAT: { /* channel axis of NCHW, batch 1 */
            int64_t off = 0;
            for (int k = 0; k < nd->n_inputs; k++) {
                int64_t c = sr_shape_numel(&sr_graph_node(g, nd->inputs[k])->out);
                memcpy(buf[i] + off, buf[nd->inputs[k]], sizeof(float) * (size_t)c);
                off += c;
            }
            break;
        }
        case SR_OP_FLATTEN:
        case SR_OP_RESHAPE:
        case SR_OP_DROPOUT:
            memcpy(buf[i], x, sizeof(float) * (size_t)cnt);
            break;
        case SR_OP_SOFTMAX:
            sr_softmax(x, nd->out.rank, nd->out.d, nd->out.rank - 1, buf[i]);
            break;
        case SR_OP_REORG:
            sr_reorg_darknet((int)xs->d[0], (int)xs->d[1], (int)xs->d[2], (int)xs->d[3], nd->attr.stride_h, x,
                             buf[i]);
            break;
        case SR_OP_COUNT:
            fail();
        }
    }
    return buf;
}

static void fill_input(float *x, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(((i * 2654435761u + seed) % 1000) / 500.0 - 1.0);
}

static void test_forward_matches_reference(void **state)
{
    (void)state;
    sr_graph *g = build_graph();
    sr_weights *w = NULL;
    assert_int_equal(sr_weights_create(g, &w), SR_OK);
    sr_weights_init_he(w, 11);
    int n = sr_graph_node_count(g);
    int64_t in_n = sr_shape_numel(&sr_graph_node(g, 0)->out);
    float *input = malloc(sizeof(float) * (size_t)in_n);
    fill_input(input, in_n, 5);
    float **ref = reference(g, w, input);

    for (int keep_all = 0; keep_all <= 1; keep_all++) {
        sr_exec *e = NULL;
        char err[256];
        assert_int_equal(sr_exec_create(g, w, keep_all, &e, err, sizeof(err)), SR_OK);
        int c1 = sr_graph_find(g, "c1");
        if (!keep_all)
            assert_int_equal(sr_exec_keep(e, c1), SR_OK);
        memcpy(sr_exec_input(e, 0), input, sizeof(float) * (size_t)in_n);
        assert_int_equal(sr_exec_run(e), SR_OK);
        int out = sr_graph_output(g);
        assert_close(sr_exec_output(e, out), ref[out], (size_t)sr_shape_numel(&sr_graph_node(g, out)->out));
        assert_close(sr_exec_output(e, c1), ref[c1], (size_t)sr_shape_numel(&sr_graph_node(g, c1)->out));
        if (keep_all)
            for (int i = 0; i < n; i++)
                assert_close(sr_exec_output(e, i), ref[i], (size_t)sr_shape_numel(&sr_graph_node(g, i)->out));
        else
            assert_null(sr_exec_output(e, sr_graph_find(g, "cat")));
        sr_exec_free(e);
    }
    for (int i = 0; i < n; i++)
        free(ref[i]);
    free(ref);
    free(input);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_deterministic_and_reuse_safe(void **state)
{
    (void)state;
    sr_graph *g = build_graph();
    sr_weights *w = NULL, *w2 = NULL;
    assert_int_equal(sr_weights_create(g, &w), SR_OK);
    assert_int_equal(sr_weights_create(g, &w2), SR_OK);
    sr_weights_init_he(w, 99);
    sr_weights_init_he(w2, 99);
    int64_t cnt;
    const float *a = sr_weights_get_const(w, 1, SR_PARAM_WEIGHT, &cnt);
    assert_int_equal(cnt, 8 * 3 * 3 * 3);
    assert_memory_equal(a, sr_weights_get_const(w2, 1, SR_PARAM_WEIGHT, NULL), sizeof(float) * (size_t)cnt);
    int64_t in_n = sr_shape_numel(&sr_graph_node(g, 0)->out);
    int out = sr_graph_output(g);
    size_t out_n = (size_t)sr_shape_numel(&sr_graph_node(g, out)->out);

    sr_exec *planned = NULL, *all = NULL;
    assert_int_equal(sr_exec_create(g, w, 0, &planned, NULL, 0), SR_OK);
    assert_int_equal(sr_exec_create(g, w, 1, &all, NULL, 0), SR_OK);
    /* Reuse really happens: the planned arena is smaller than one buffer per node. */
    assert_true(sr_exec_arena_bytes(planned) < sr_exec_arena_bytes(all));
    fill_input(sr_exec_input(planned, 0), in_n, 1);
    fill_input(sr_exec_input(all, 0), in_n, 1);
    assert_int_equal(sr_exec_run(planned), SR_OK);
    float *first = malloc(sizeof(float) * out_n);
    memcpy(first, sr_exec_output(planned, out), sizeof(float) * out_n);
    assert_int_equal(sr_exec_run(planned), SR_OK); /* same input buffer, run again */
    assert_memory_equal(first, sr_exec_output(planned, out), sizeof(float) * out_n);
    assert_int_equal(sr_exec_run(all), SR_OK);
    assert_memory_equal(first, sr_exec_output(all, out), sizeof(float) * out_n);
    /* A different input changes the output (the comparison above is not vacuous). */
    fill_input(sr_exec_input(planned, 0), in_n, 2);
    assert_int_equal(sr_exec_run(planned), SR_OK);
    assert_true(memcmp(first, sr_exec_output(planned, out), sizeof(float) * out_n) != 0);
    assert_true(sr_exec_node_seconds(planned, 1) > 0.0);
    free(first);
    sr_exec_free(planned);
    sr_exec_free(all);
    sr_weights_free(w);
    sr_weights_free(w2);
    sr_graph_free(g);
}

/* ResNet / MobileNet-like chains that the executor fuses into their convs. Returns the graph; *bn_mid
 * gets a batch norm node inside a fusable chain. */
static sr_graph *build_fusion_graph(int *bn_mid)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("fuse", &g), SR_OK);
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 8, 12, 12));
    /* conv -> bn -> relu */
    int c1 = sr_graph_conv(g, "c1", x, 8, 3, 1, 1, 1, 0);
    int b1 = add_node(g, SR_OP_BATCHNORM, "b1", c1, -1, NULL);
    int r1 = sr_graph_unary(g, SR_OP_RELU, "r1", b1);
    /* conv -> bn -> add(identity) -> relu, identity computed before the conv */
    int c2 = sr_graph_conv(g, "c2", r1, 8, 1, 1, 0, 1, 0);
    int b2 = add_node(g, SR_OP_BATCHNORM, "b2", c2, -1, NULL);
    int a2 = add_node(g, SR_OP_ADD, "a2", b2, x, NULL);
    int r2 = sr_graph_unary(g, SR_OP_RELU, "r2", a2);
    /* downsample pattern: the main branch's bn is computed before the shortcut conv */
    int c3 = sr_graph_conv(g, "c3", r2, 16, 3, 2, 1, 1, 0);
    int b3 = add_node(g, SR_OP_BATCHNORM, "b3", c3, -1, NULL);
    int d3 = sr_graph_conv(g, "d3", r2, 16, 1, 2, 0, 1, 0);
    int e3 = add_node(g, SR_OP_BATCHNORM, "e3", d3, -1, NULL);
    int a3 = add_node(g, SR_OP_ADD, "a3", b3, e3, NULL);
    int r3 = sr_graph_unary(g, SR_OP_RELU, "r3", a3);
    /* depthwise stride 2 -> bn -> relu6 */
    int dw = sr_graph_conv(g, "dw", r3, 16, 3, 2, 1, 16, 0);
    int b4 = add_node(g, SR_OP_BATCHNORM, "b4", dw, -1, NULL);
    int r4 = sr_graph_unary(g, SR_OP_RELU6, "r4", b4);
    /* conv read twice: not fused */
    int c5 = sr_graph_conv(g, "c5", r4, 16, 1, 1, 0, 1, 1);
    int r5 = sr_graph_unary(g, SR_OP_RELU, "r5", c5);
    int a5 = add_node(g, SR_OP_ADD, "a5", r5, c5, NULL);
    /* conv (bias) -> leaky; conv -> clip, the graph output */
    sr_node_attr a = sr_node_attr_default();
    a.alpha = 0.1f;
    int c6 = sr_graph_conv(g, "c6", a5, 16, 3, 1, 1, 1, 1);
    int l6 = add_node(g, SR_OP_LEAKY_RELU, "l6", c6, -1, &a);
    int c7 = sr_graph_conv(g, "c7", l6, 4, 3, 1, 1, 1, 1);
    a = sr_node_attr_default();
    a.clip_min = -0.3f, a.clip_max = 0.4f;
    add_node(g, SR_OP_CLIP, "clip", c7, -1, &a);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    *bn_mid = b2;
    return g;
}

/* Fused chains give outputs bit-identical to the unfused executor (keep_all) and close to the
 * reference; fused nodes report no time of their own and keep no buffer; keeping a node inside a
 * chain stops the fusion there. */
static void test_fusion(void **state)
{
    (void)state;
    int bn_mid;
    sr_graph *g = build_fusion_graph(&bn_mid);
    sr_weights *w = NULL;
    assert_int_equal(sr_weights_create(g, &w), SR_OK);
    sr_weights_init_he(w, 5);
    /* He init leaves BN near identity; make it matter. */
    for (int i = 0; i < sr_graph_node_count(g); i++) {
        int64_t cnt;
        float *sc = sr_weights_get(w, i, SR_PARAM_BN_SCALE, &cnt);
        float *mu = sr_weights_get(w, i, SR_PARAM_BN_MEAN, NULL);
        for (int64_t k = 0; sc && k < cnt; k++)
            sc[k] = 0.5f + 0.1f * (float)k, mu[k] = 0.05f * (float)(k % 3);
    }
    int64_t in_n = sr_shape_numel(&sr_graph_node(g, 0)->out);
    float *input = malloc(sizeof(float) * (size_t)in_n);
    fill_input(input, in_n, 9);
    float **ref = reference(g, w, input);
    int out = sr_graph_output(g);
    size_t out_n = (size_t)sr_shape_numel(&sr_graph_node(g, out)->out);
    size_t mid_n = (size_t)sr_shape_numel(&sr_graph_node(g, bn_mid)->out);

    sr_exec *fused = NULL, *all = NULL, *kept = NULL;
    assert_int_equal(sr_exec_create(g, w, 0, &fused, NULL, 0), SR_OK);
    assert_int_equal(sr_exec_create(g, w, 1, &all, NULL, 0), SR_OK);
    assert_int_equal(sr_exec_create(g, w, 0, &kept, NULL, 0), SR_OK);
    assert_int_equal(sr_exec_keep(kept, bn_mid), SR_OK);
    memcpy(sr_exec_input(fused, 0), input, sizeof(float) * (size_t)in_n);
    memcpy(sr_exec_input(all, 0), input, sizeof(float) * (size_t)in_n);
    memcpy(sr_exec_input(kept, 0), input, sizeof(float) * (size_t)in_n);
    assert_int_equal(sr_exec_run(fused), SR_OK);
    assert_int_equal(sr_exec_run(all), SR_OK);
    assert_int_equal(sr_exec_run(kept), SR_OK);
    assert_close(sr_exec_output(all, out), ref[out], out_n);
    assert_memory_equal(sr_exec_output(fused, out), sr_exec_output(all, out), sizeof(float) * out_n);
    assert_memory_equal(sr_exec_output(kept, out), sr_exec_output(all, out), sizeof(float) * out_n);
    assert_memory_equal(sr_exec_output(kept, bn_mid), sr_exec_output(all, bn_mid), sizeof(float) * mid_n);
    /* Which nodes ran inside their conv: they report exactly 0 s. */
    static const char *const in_conv[] = {"b1", "r1", "b2", "a2", "r2", "b3", "e3", "a3", "r3", "b4", "r4", "l6", "clip"};
    static const char *const own[] = {"c1", "c2", "c3", "d3", "dw", "c5", "r5", "a5", "c6", "c7"};
    for (size_t i = 0; i < sizeof(in_conv) / sizeof(in_conv[0]); i++) {
        int id = sr_graph_find(g, in_conv[i]);
        assert_true(id >= 0);
        if (sr_exec_node_seconds(fused, id) != 0.0)
            fail_msg("%s was not fused", in_conv[i]);
        assert_true(sr_exec_node_seconds(all, id) > 0.0);
    }
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (!(sr_exec_node_seconds(fused, sr_graph_find(g, own[i])) > 0.0))
            fail_msg("%s did not run on its own", own[i]);
    /* Keeping b2 stops its chain at b2: a2 then runs on its own. */
    assert_true(sr_exec_node_seconds(kept, sr_graph_find(g, "a2")) > 0.0);
    assert_null(sr_exec_output(fused, bn_mid));
    /* Fusion saves the intermediate buffers. */
    assert_true(sr_exec_arena_bytes(fused) <= sr_exec_arena_bytes(kept));
    sr_exec_free(fused);
    sr_exec_free(all);
    sr_exec_free(kept);
    for (int i = 0; i < sr_graph_node_count(g); i++)
        free(ref[i]);
    free(ref);
    free(input);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_errors(void **state)
{
    (void)state;
    sr_graph *small = NULL, *g = NULL;
    assert_int_equal(sr_graph_create("s", &small), SR_OK);
    sr_graph_add_input(small, "x", sr_shape_nchw(1, 2, 4, 4));
    assert_int_equal(sr_graph_infer(small, NULL, 0), SR_OK);
    assert_int_equal(sr_graph_create("g", &g), SR_OK);
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 2, 4, 4));
    sr_graph_conv(g, "convA", x, 4, 3, 1, 1, 1, 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    sr_weights *w = NULL;
    assert_int_equal(sr_weights_create(small, &w), SR_OK); /* weights of another graph: conv has none */
    sr_exec *e = NULL;
    char err[256];
    assert_int_equal(sr_exec_create(g, w, 0, &e, err, sizeof(err)), SR_ERR_UNSUPPORTED);
    assert_null(e);
    assert_non_null(strstr(err, "convA"));
    assert_non_null(strstr(err, "conv"));
    assert_int_equal(sr_exec_create(NULL, w, 0, &e, err, sizeof(err)), SR_ERR_INVALID);
    sr_exec_free(NULL);
    sr_weights_free(NULL);
    sr_weights_free(w);
    sr_graph_free(small);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_matches_reference),
        cmocka_unit_test(test_deterministic_and_reuse_safe),
        cmocka_unit_test(test_fusion),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
