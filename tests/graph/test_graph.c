/* test_graph.c: unit tests of the graph IR (models/dnn/sr_graph.c): storage and naming, shape inference
 * of every op family with hand-computed expectations, MAC/param/byte/FLOP counts, error messages that
 * name the failing node, and the printed table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_graph.h"

/* ---------------------------------------------------------------------------------------------- */
/* helpers                                                                                        */

static sr_graph *new_graph(void)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("t", &g), SR_OK);
    assert_non_null(g);
    return g;
}

static sr_shape shp(int rank, ...)
{
    sr_shape s = {.rank = rank};
    va_list ap;
    va_start(ap, rank);
    for (int i = 0; i < rank; i++)
        s.d[i] = va_arg(ap, int);
    va_end(ap);
    return s;
}

static void assert_shape(const sr_graph *g, int id, const char *expect)
{
    char buf[128];
    const sr_node *nd = sr_graph_node(g, id);
    assert_non_null(nd);
    sr_shape_format(&nd->out, buf, sizeof buf);
    assert_string_equal(buf, expect);
}

static void infer_ok(sr_graph *g)
{
    char err[256];
    sr_status st = sr_graph_infer(g, err, sizeof err);
    if (st != SR_OK) fail_msg("infer failed: %s", err);
}

/* Asserts inference fails with SR_ERR_SHAPE and the message names `node` and contains `why`. */
static void infer_fails(sr_graph *g, const char *node, const char *why)
{
    char err[256];
    assert_int_equal(sr_graph_infer(g, err, sizeof err), SR_ERR_SHAPE);
    char quoted[SR_NAME_MAX + 2];
    snprintf(quoted, sizeof quoted, "'%s'", node);
    if (!strstr(err, quoted)) fail_msg("message does not name %s: %s", quoted, err);
    if (!strstr(err, why)) fail_msg("message lacks \"%s\": %s", why, err);
}

/* ---------------------------------------------------------------------------------------------- */
/* tables and small helpers                                                                       */

static void test_op_and_precision_names(void **state)
{
    (void)state;
    assert_string_equal(sr_op_name(SR_OP_CONV), "conv");
    assert_string_equal(sr_op_name(SR_OP_REORG), "reorg");
    assert_string_equal(sr_op_name(SR_OP_GLOBAL_AVGPOOL), "gavgpool");
    assert_string_equal(sr_op_name(SR_OP_COUNT), "?");
    /* every op has a distinct non-empty name */
    for (int i = 0; i < SR_OP_COUNT; i++) {
        assert_true(strlen(sr_op_name((sr_op)i)) > 0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(sr_op_name((sr_op)i), sr_op_name((sr_op)j));
    }
    assert_int_equal(sr_precision_bytes(SR_PREC_FP32), 4);
    assert_int_equal(sr_precision_bytes(SR_PREC_FP16), 2);
    assert_int_equal(sr_precision_bytes(SR_PREC_INT8), 1);
    assert_string_equal(sr_precision_name(SR_PREC_FP16), "fp16");
    sr_precision p = SR_PREC_FP32;
    assert_int_equal(sr_precision_parse("int8", &p), SR_OK);
    assert_int_equal(p, SR_PREC_INT8);
    assert_int_equal(sr_precision_parse("FP16", &p), SR_OK);
    assert_int_equal(p, SR_PREC_FP16);
    assert_int_equal(sr_precision_parse("fp64", &p), SR_ERR_INVALID);
    assert_int_equal(sr_precision_parse(NULL, &p), SR_ERR_INVALID);
    assert_int_equal(p, SR_PREC_FP16); /* untouched on error */
}

static void test_shape_helpers(void **state)
{
    (void)state;
    sr_shape s = sr_shape_nchw(1, 3, 224, 224);
    assert_int_equal(s.rank, 4);
    assert_int_equal(sr_shape_numel(&s), 150528);
    char buf[32];
    sr_shape_format(&s, buf, sizeof buf);
    assert_string_equal(buf, "1x3x224x224");
    char small[6];
    sr_shape_format(&s, small, sizeof small); /* truncated, still terminated */
    assert_string_equal(small, "1x3x2");
    sr_shape scalar = {.rank = 0};
    assert_int_equal(sr_shape_numel(&scalar), 1);
    sr_node_attr a = sr_node_attr_default();
    assert_int_equal(a.stride_h, 1);
    assert_int_equal(a.dilation_w, 1);
    assert_int_equal(a.groups, 1);
    assert_int_equal(a.pad_top, 0);
    assert_int_equal(a.axis, 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* storage                                                                                        */

static void test_storage_and_names(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    assert_string_equal(sr_graph_name(g), "t");
    assert_int_equal(sr_graph_output(g), -1);
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 8, 8));
    assert_int_equal(x, 0);
    int r = sr_graph_unary(g, SR_OP_RELU, NULL, x); /* auto name "<op><id>" */
    assert_int_equal(r, 1);
    assert_string_equal(sr_graph_node(g, r)->name, "relu1");
    assert_int_equal(sr_graph_find(g, "relu1"), 1);
    assert_int_equal(sr_graph_find(g, "nope"), -1);
    /* duplicate names, unknown or future inputs, wrong arity: rejected, graph unchanged */
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "relu1", x), SR_ERR_INVALID);
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "a", 7), SR_ERR_INVALID);
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "a", -1), SR_ERR_INVALID);
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "a", 2), SR_ERR_INVALID);
    int two[2] = {0, 1};
    assert_int_equal(sr_graph_add(g, SR_OP_RELU, "a", two, 2, NULL), SR_ERR_INVALID);
    assert_int_equal(sr_graph_add(g, SR_OP_ADD, "a", two, 1, NULL), SR_ERR_INVALID);
    assert_int_equal(sr_graph_add(g, SR_OP_INPUT, "a", NULL, 0, NULL), SR_ERR_INVALID);
    assert_int_equal(sr_graph_pool(g, SR_OP_RELU, "a", x, 2, 2, 0), SR_ERR_INVALID);
    char longname[SR_NAME_MAX + 1];
    memset(longname, 'n', SR_NAME_MAX);
    longname[SR_NAME_MAX] = '\0';
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, longname, x), SR_ERR_INVALID);
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "", x), SR_ERR_INVALID);
    /* a user name that collides with a later automatic name: the automatic one gets a suffix */
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, "relu3", r), 2);
    assert_int_equal(sr_graph_unary(g, SR_OP_RELU, NULL, 2), 3);
    assert_string_equal(sr_graph_node(g, 3)->name, "relu3_1");
    assert_int_equal(sr_graph_node_count(g), 4);
    assert_int_equal(sr_graph_output(g), 3);
    assert_null(sr_graph_node(g, 4));
    assert_null(sr_graph_node(g, -1));
    /* invalid input shapes */
    assert_int_equal(sr_graph_add_input(g, "bad", shp(2, 1, 0)), SR_ERR_INVALID);
    assert_int_equal(sr_graph_add_input(g, "bad", shp(0)), SR_ERR_INVALID);
    assert_int_equal(sr_graph_add_input(g, "bad", shp(2, 1, -3)), SR_ERR_INVALID);
    sr_graph_free(g);
    sr_graph_free(NULL);
}

/* Growing past the initial capacity keeps every node and its name. */
static void test_many_nodes(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 2, 3, 3));
    for (int i = 0; i < 1000; i++)
        x = sr_graph_unary(g, SR_OP_RELU, NULL, x);
    assert_int_equal(x, 1000);
    infer_ok(g);
    assert_int_equal(sr_graph_find(g, "relu777"), 777);
    assert_shape(g, 1000, "1x2x3x3");
    sr_graph_free(g);
}

/* ---------------------------------------------------------------------------------------------- */
/* shape inference                                                                                */

static void test_conv_shapes_and_costs(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(2, 8, 15, 15));
    /* stride 2, dilation 2, groups 4, asymmetric padding t1 l0 b2 r1:
     *   OH = floor((15 + 1 + 2 - 2*(3-1) - 1)/2) + 1 = floor(13/2) + 1 = 7
     *   OW = floor((15 + 0 + 1 - 4 - 1)/2) + 1 = floor(11/2) + 1 = 6 */
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = 16;
    a.kernel_h = a.kernel_w = 3;
    a.stride_h = a.stride_w = 2;
    a.dilation_h = a.dilation_w = 2;
    a.pad_top = 1, a.pad_left = 0, a.pad_bottom = 2, a.pad_right = 1;
    a.groups = 4;
    a.has_bias = 1;
    int c = sr_graph_add(g, SR_OP_CONV, "c", &x, 1, &a);
    /* depthwise 3x3 stride 1 pad 1 */
    int dw = sr_graph_conv(g, "dw", c, 16, 3, 1, 1, 16, 0);
    /* 1x1 pointwise stride 2 on a 7x6 map: ceil sizes 4x3 */
    int pw = sr_graph_conv(g, "pw", dw, 32, 1, 2, 0, 1, 0);
    /* rectangular kernel 1x3 */
    a = sr_node_attr_default();
    a.out_channels = 4;
    a.kernel_h = 1;
    a.kernel_w = 3;
    int rect = sr_graph_add(g, SR_OP_CONV, "rect", &pw, 1, &a);
    infer_ok(g);
    assert_shape(g, c, "2x16x7x6");
    /* MACs = N*OC*OH*OW*(IC/groups)*KH*KW = 2*16*7*6*2*9 = 24192; params = 16*2*9 + 16 = 304 */
    assert_int_equal(sr_graph_node(g, c)->macs, 24192);
    assert_int_equal(sr_graph_node(g, c)->params, 304);
    assert_shape(g, dw, "2x16x7x6");
    assert_int_equal(sr_graph_node(g, dw)->macs, 2 * 16 * 7 * 6 * 1 * 9);
    assert_int_equal(sr_graph_node(g, dw)->params, 16 * 9);
    assert_shape(g, pw, "2x32x4x3");
    assert_int_equal(sr_graph_node(g, pw)->macs, 2 * 32 * 4 * 3 * 16);
    assert_shape(g, rect, "2x4x4x1");
    assert_int_equal(sr_graph_node(g, rect)->params, 4 * 32 * 3);
    /* FLOPs: 2 per MAC */
    assert_true(sr_node_flops(g, c) == 2.0 * 24192);
    /* idempotent */
    infer_ok(g);
    assert_int_equal(sr_graph_node(g, c)->macs, 24192);
    sr_graph_free(g);
}

static void test_conv_errors(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 6, 5, 5));
    sr_graph_conv(g, "grouped", x, 8, 3, 1, 1, 4, 0);
    infer_fails(g, "grouped", "not divisible by groups 4");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 5, 5));
    sr_graph_conv(g, "big", x, 8, 7, 1, 0, 1, 0);
    infer_fails(g, "big", "larger than padded input 5x5");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "input", shp(2, 1, 10));
    sr_graph_conv(g, "flat", x, 8, 1, 1, 0, 1, 0);
    infer_fails(g, "flat", "rank 4");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 5, 5));
    sr_graph_conv(g, "s0", x, 8, 1, 0, 0, 1, 0);
    infer_fails(g, "s0", "stride");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 5, 5));
    sr_graph_conv(g, "oc0", x, 0, 1, 1, 0, 1, 0);
    infer_fails(g, "oc0", "out_channels");
    sr_graph_free(g);
}

static int add_pool(sr_graph *g, sr_op op, const char *name, int in, int k, int s, int pt, int pl, int pb,
                    int pr, int ceil_mode)
{
    sr_node_attr a = sr_node_attr_default();
    a.kernel_h = a.kernel_w = k;
    a.stride_h = a.stride_w = s;
    a.pad_top = pt, a.pad_left = pl, a.pad_bottom = pb, a.pad_right = pr;
    a.ceil_mode = ceil_mode;
    return sr_graph_add(g, op, name, &in, 1, &a);
}

static void test_pool_shapes(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x6 = sr_graph_add_input(g, "x6", sr_shape_nchw(1, 4, 6, 6));
    int x5 = sr_graph_add_input(g, "x5", sr_shape_nchw(1, 4, 5, 5));
    int x13 = sr_graph_add_input(g, "x13", sr_shape_nchw(1, 4, 13, 13));
    int x112 = sr_graph_add_input(g, "x112", sr_shape_nchw(1, 4, 112, 112));
    /* 6, k3 s2: floor (6-3)/2+1 = 2, ceil: ceil(3/2)+1 = 3 (last window starts at 4 < 6: kept) */
    int f = add_pool(g, SR_OP_MAXPOOL, "floor", x6, 3, 2, 0, 0, 0, 0, 0);
    int c = add_pool(g, SR_OP_MAXPOOL, "ceil", x6, 3, 2, 0, 0, 0, 0, 1);
    /* 5, k2 s2 pad 1: floor (5+2-2)/2+1 = 3; ceil would give 4 but the 4th window would start at
     * 6 >= 5 + 1 (entirely in the right padding): PyTorch drops it -> 3 */
    int cp = add_pool(g, SR_OP_AVGPOOL, "ceil_pad", x5, 2, 2, 1, 1, 1, 1, 1);
    /* darknet's 2x2/1 maxpool with one row/column of padding at the bottom/right keeps 13x13 */
    int dk = add_pool(g, SR_OP_MAXPOOL, "darknet", x13, 2, 1, 0, 0, 1, 1, 0);
    /* asymmetric: 5 with pad bottom 1 only, k2 s2 -> (5+1-2)/2+1 = 3 rows; width unpadded -> 2 */
    int as = add_pool(g, SR_OP_MAXPOOL, "asym", x5, 2, 2, 0, 0, 1, 0, 0);
    /* ResNet stem: 112, k3 s2 p1 -> 56 */
    int rs = sr_graph_pool(g, SR_OP_MAXPOOL, "stem", x112, 3, 2, 1);
    int gp = sr_graph_pool(g, SR_OP_GLOBAL_AVGPOOL, "gap", x112, 0, 0, 0);
    infer_ok(g);
    assert_shape(g, f, "1x4x2x2");
    assert_shape(g, c, "1x4x3x3");
    assert_shape(g, cp, "1x4x3x3");
    assert_shape(g, dk, "1x4x13x13");
    assert_shape(g, as, "1x4x3x2");
    assert_shape(g, rs, "1x4x56x56");
    assert_shape(g, gp, "1x4x1x1");
    /* pools have no MACs or params; FLOPs are window reads */
    assert_int_equal(sr_graph_node(g, rs)->macs, 0);
    assert_int_equal(sr_graph_node(g, rs)->params, 0);
    assert_true(sr_node_flops(g, rs) == 4.0 * 56 * 56 * 9);
    assert_true(sr_node_flops(g, gp) == 4.0 * 112 * 112);
    sr_graph_free(g);

    g = new_graph();
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 4, 2, 2));
    sr_graph_pool(g, SR_OP_MAXPOOL, "toobig", x, 3, 1, 0);
    infer_fails(g, "toobig", "larger than padded input");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 4, 2, 2));
    sr_graph_pool(g, SR_OP_AVGPOOL, "k0", x, 0, 1, 0);
    infer_fails(g, "k0", "kernel");
    sr_graph_free(g);
}

static void test_fc_matmul(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 512, 7, 7));
    int f = sr_graph_fc(g, "fc", x, 4096, 1);
    int a = sr_graph_add_input(g, "a", shp(3, 2, 3, 4));
    int b = sr_graph_add_const(g, "b", shp(2, 4, 5));
    int v = sr_graph_add_input(g, "v", shp(1, 5));
    int m = sr_graph_add_input(g, "m", shp(2, 5, 7));
    int ba = sr_graph_add_input(g, "ba", shp(4, 3, 1, 2, 4));
    int bb = sr_graph_add_input(g, "bb", shp(3, 5, 4, 6));
    int ins[2] = {a, b};
    int mm1 = sr_graph_add(g, SR_OP_MATMUL, "mm1", ins, 2, NULL);
    ins[0] = v, ins[1] = m;
    int mm2 = sr_graph_add(g, SR_OP_MATMUL, "mm2", ins, 2, NULL);
    ins[0] = m, ins[1] = sr_graph_add_input(g, "v7", shp(1, 7));
    int mm3 = sr_graph_add(g, SR_OP_MATMUL, "mm3", ins, 2, NULL);
    ins[0] = ba, ins[1] = bb;
    int mm4 = sr_graph_add(g, SR_OP_MATMUL, "mm4", ins, 2, NULL);
    infer_ok(g);
    /* FC flattens 512*7*7 = 25088 features: MACs 25088*4096, params + 4096 biases */
    assert_shape(g, f, "1x4096");
    assert_int_equal(sr_graph_node(g, f)->macs, 102760448);
    assert_int_equal(sr_graph_node(g, f)->params, 102764544);
    assert_shape(g, mm1, "2x3x5");
    assert_int_equal(sr_graph_node(g, mm1)->macs, 2 * 3 * 4 * 5);
    assert_shape(g, mm2, "7"); /* vector x matrix */
    assert_int_equal(sr_graph_node(g, mm2)->macs, 35);
    assert_shape(g, mm3, "5"); /* matrix x vector */
    assert_int_equal(sr_graph_node(g, mm3)->macs, 35);
    assert_shape(g, mm4, "3x5x2x6"); /* batch dims (3,1) and (5) broadcast to (3,5) */
    assert_int_equal(sr_graph_node(g, mm4)->macs, 3 * 5 * 2 * 4 * 6);
    assert_int_equal(sr_graph_node(g, mm4)->params, 0);
    /* a constant is not a trainable parameter, but its data is stored */
    assert_int_equal(sr_graph_node(g, b)->params, 0);
    assert_int_equal(sr_node_weight_bytes(g, b, SR_PREC_FP32), 80);
    assert_true(sr_node_flops(g, mm4) == 2.0 * 720);
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", shp(2, 3, 4));
    b = sr_graph_add_input(g, "b", shp(2, 5, 6));
    ins[0] = a, ins[1] = b;
    sr_graph_add(g, SR_OP_MATMUL, "mm_bad", ins, 2, NULL);
    infer_fails(g, "mm_bad", "inner dimensions differ: 4 vs 5");
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", shp(1, 3));
    sr_graph_fc(g, "fc_rank1", a, 2, 0);
    infer_fails(g, "fc_rank1", "rank 1");
    sr_graph_free(g);
}

static void test_add_broadcast(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int a = sr_graph_add_input(g, "a", sr_shape_nchw(1, 3, 4, 5));
    int b = sr_graph_add_const(g, "b", shp(3, 3, 1, 1));
    int c = sr_graph_add_input(g, "c", shp(3, 2, 1, 5));
    int d = sr_graph_add_input(g, "d", shp(2, 4, 1));
    int ins[3] = {a, b};
    int ab = sr_graph_add(g, SR_OP_ADD, "ab", ins, 2, NULL);
    ins[0] = c, ins[1] = d;
    int cd = sr_graph_add(g, SR_OP_ADD, "cd", ins, 2, NULL);
    ins[0] = a, ins[1] = a, ins[2] = b;
    int three = sr_graph_add(g, SR_OP_ADD, "three", ins, 3, NULL);
    infer_ok(g);
    assert_shape(g, ab, "1x3x4x5");
    assert_shape(g, cd, "2x4x5");
    assert_shape(g, three, "1x3x4x5");
    assert_int_equal(sr_graph_node(g, ab)->macs, 0);
    assert_true(sr_node_flops(g, three) == 2.0 * 60);
    /* input bytes sum every input tensor: 60 + 60 + 3 elements */
    assert_int_equal(sr_node_input_bytes(g, three, SR_PREC_FP16), 2 * 123);
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", shp(2, 3, 4));
    b = sr_graph_add_input(g, "b", shp(2, 5, 4));
    ins[0] = a, ins[1] = b;
    sr_graph_add(g, SR_OP_ADD, "add_bad", ins, 2, NULL);
    infer_fails(g, "add_bad", "3x4 and 5x4");
    sr_graph_free(g);
}

static void test_concat(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int a = sr_graph_add_input(g, "a", sr_shape_nchw(1, 2, 4, 4));
    int b = sr_graph_add_input(g, "b", sr_shape_nchw(1, 3, 4, 4));
    int c = sr_graph_add_input(g, "c", sr_shape_nchw(1, 3, 4, 2));
    sr_node_attr at = sr_node_attr_default();
    at.axis = -3;
    int ins[3] = {a, b, a};
    int neg = sr_graph_add(g, SR_OP_CONCAT, "neg", ins, 3, &at);
    at.axis = 3;
    ins[0] = b, ins[1] = c;
    int last = sr_graph_add(g, SR_OP_CONCAT, "last", ins, 2, &at);
    at.axis = -1;
    int last2 = sr_graph_add(g, SR_OP_CONCAT, "last2", ins, 2, &at);
    int single = sr_graph_add(g, SR_OP_CONCAT, "single", &a, 1, NULL);
    infer_ok(g);
    assert_shape(g, neg, "1x7x4x4");
    assert_shape(g, last, "1x3x4x6");
    assert_shape(g, last2, "1x3x4x6");
    assert_shape(g, single, "1x2x4x4");
    assert_true(sr_node_flops(g, neg) == 0.0);
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", sr_shape_nchw(1, 2, 4, 4));
    b = sr_graph_add_input(g, "odd", sr_shape_nchw(1, 3, 5, 4));
    ins[0] = a, ins[1] = b;
    sr_graph_add(g, SR_OP_CONCAT, "cat_bad", ins, 2, NULL);
    infer_fails(g, "cat_bad", "input 1 ('odd') has size 5 on dimension 2");
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", sr_shape_nchw(1, 2, 4, 4));
    at.axis = 4;
    sr_graph_add(g, SR_OP_CONCAT, "cat_axis", &a, 1, &at);
    infer_fails(g, "cat_axis", "axis 4 out of range");
    sr_graph_free(g);

    g = new_graph();
    a = sr_graph_add_input(g, "a", sr_shape_nchw(1, 2, 4, 4));
    b = sr_graph_add_input(g, "b", shp(3, 2, 4, 4));
    ins[0] = a, ins[1] = b;
    sr_graph_add(g, SR_OP_CONCAT, "cat_rank", ins, 2, NULL);
    infer_fails(g, "cat_rank", "rank 3");
    sr_graph_free(g);
}

static void test_flatten_reshape(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(2, 3, 4, 5));
    int axes[5] = {1, 0, -1, 4, 2};
    const char *expect[5] = {"2x60", "1x120", "24x5", "120x1", "6x20"};
    int ids[5];
    for (int i = 0; i < 5; i++) {
        sr_node_attr a = sr_node_attr_default();
        a.axis = axes[i];
        char name[16];
        snprintf(name, sizeof name, "flat%d", i);
        ids[i] = sr_graph_add(g, SR_OP_FLATTEN, name, &x, 1, &a);
    }
    int dflt = sr_graph_unary(g, SR_OP_FLATTEN, "flat_default", x); /* ONNX default axis 1 */

    sr_node_attr r = sr_node_attr_default();
    r.reshape_rank = 2;
    r.reshape[0] = 0, r.reshape[1] = -1;
    int r1 = sr_graph_add(g, SR_OP_RESHAPE, "r1", &x, 1, &r);
    r.reshape_rank = 4;
    r.reshape[0] = 0, r.reshape[1] = 0, r.reshape[2] = -1, r.reshape[3] = 10;
    int r2 = sr_graph_add(g, SR_OP_RESHAPE, "r2", &x, 1, &r);
    r.reshape_rank = 1;
    r.reshape[0] = 120;
    int r3 = sr_graph_add(g, SR_OP_RESHAPE, "r3", &x, 1, &r);
    infer_ok(g);
    for (int i = 0; i < 5; i++)
        assert_shape(g, ids[i], expect[i]);
    assert_shape(g, dflt, "2x60");
    assert_shape(g, r1, "2x60");
    assert_shape(g, r2, "2x3x2x10");
    assert_shape(g, r3, "120");
    assert_true(sr_node_flops(g, r1) == 0.0);
    sr_graph_free(g);

    struct {
        int rank;
        int64_t d[3];
        const char *why;
    } bad[] = {
        {2, {7, -1}, "cannot infer the -1 dimension: 120 elements do not divide by 7"},
        {2, {0, 10}, "the target shape 20"},
        {2, {-1, -1}, "more than one -1"},
        {2, {4, -5}, "target dimension 1 is -5"},
        {0, {0}, "target rank 0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = new_graph();
        x = sr_graph_add_input(g, "x", sr_shape_nchw(2, 3, 4, 5));
        r = sr_node_attr_default();
        r.reshape_rank = bad[i].rank;
        for (int k = 0; k < bad[i].rank; k++)
            r.reshape[k] = bad[i].d[k];
        sr_graph_add(g, SR_OP_RESHAPE, "reshape_bad", &x, 1, &r);
        infer_fails(g, "reshape_bad", bad[i].why);
        sr_graph_free(g);
    }

    g = new_graph();
    x = sr_graph_add_input(g, "x", shp(2, 3, 4));
    r = sr_node_attr_default();
    r.reshape_rank = 3;
    r.reshape[0] = 0, r.reshape[1] = 0, r.reshape[2] = 0;
    sr_graph_add(g, SR_OP_RESHAPE, "copy_past_rank", &x, 1, &r);
    infer_fails(g, "copy_past_rank", "0 (copy) but the input has rank 2");
    sr_graph_free(g);
}

static void test_elementwise_bn_reorg(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 64, 26, 26));
    sr_op same[] = {SR_OP_RELU, SR_OP_RELU6, SR_OP_LEAKY_RELU, SR_OP_CLIP, SR_OP_SIGMOID, SR_OP_DROPOUT};
    int ids[6];
    for (int i = 0; i < 6; i++)
        ids[i] = sr_graph_unary(g, same[i], NULL, x);
    int b = sr_graph_unary(g, SR_OP_BATCHNORM, "bn", x);
    int sm = sr_graph_unary(g, SR_OP_SOFTMAX, "softmax", x);
    sr_node_attr a = sr_node_attr_default();
    a.stride_h = a.stride_w = 2;
    int ro = sr_graph_add(g, SR_OP_REORG, "reorg", &x, 1, &a);
    infer_ok(g);
    for (int i = 0; i < 6; i++) {
        assert_shape(g, ids[i], "1x64x26x26");
        assert_int_equal(sr_graph_node(g, ids[i])->params, 0);
    }
    assert_shape(g, b, "1x64x26x26");
    assert_int_equal(sr_graph_node(g, b)->params, 128); /* scale + shift */
    assert_int_equal(sr_graph_node(g, b)->macs, 0);
    assert_shape(g, sm, "1x64x26x26");
    assert_shape(g, ro, "1x256x13x13");
    double n = 64.0 * 26 * 26;
    assert_true(sr_node_flops(g, ids[0]) == n);
    assert_true(sr_node_flops(g, ids[5]) == 0.0); /* dropout is the identity */
    assert_true(sr_node_flops(g, b) == 2.0 * n);
    assert_true(sr_node_flops(g, sm) == 3.0 * n);
    assert_true(sr_node_flops(g, ro) == 0.0);
    assert_true(sr_node_flops(g, x) == 0.0);
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 64, 25, 25));
    sr_graph_add(g, SR_OP_REORG, "reorg_odd", &x, 1, &a);
    infer_fails(g, "reorg_odd", "25x25 not divisible by stride 2");
    sr_graph_free(g);

    g = new_graph();
    x = sr_graph_add_input(g, "x", shp(2, 1, 10));
    a = sr_node_attr_default();
    a.axis = 2;
    sr_graph_add(g, SR_OP_SOFTMAX, "sm_axis", &x, 1, &a);
    infer_fails(g, "sm_axis", "axis 2 out of range for rank 2");
    sr_graph_free(g);
}

/* An error in an early node stops inference there and names that node, not a later one. */
static void test_error_names_first_bad_node(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 4, 4));
    x = sr_graph_conv(g, "ok", x, 8, 3, 1, 1, 1, 0);
    x = sr_graph_pool(g, SR_OP_MAXPOOL, "shrink", x, 4, 4, 0);
    x = sr_graph_conv(g, "too_big", x, 8, 3, 1, 0, 1, 0);
    sr_graph_conv(g, "after", x, 8, 3, 1, 0, 1, 0);
    infer_fails(g, "too_big", "node 3 'too_big' (conv): kernel 3x3");
    /* NULL error buffer is fine */
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_ERR_SHAPE);
    sr_graph_free(g);
}

/* Sizes that would overflow int64 are shape errors, not undefined behaviour. */
static void test_overflow(void **state)
{
    (void)state;
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 1, 3037000499, 3037000499)); /* ~2^63 elements */
    int f = sr_graph_fc(g, "huge_fc", x, 1 << 30, 0);
    assert_true(f > 0);
    infer_fails(g, "huge_fc", "overflow");
    sr_graph_free(g);
    g = new_graph();
    assert_int_equal(sr_graph_add_input(g, "x", sr_shape_nchw(1 << 30, 1 << 30, 1 << 30, 1 << 30)),
                     SR_ERR_INVALID);
    sr_graph_free(g);
}

/* ---------------------------------------------------------------------------------------------- */
/* bytes, totals, printing                                                                        */

/* VGG-16's first layer, built by hand: 3x224x224 -> conv 3x3 64 with bias. */
static sr_graph *vgg_conv1(void)
{
    sr_graph *g = new_graph();
    int x = sr_graph_add_input(g, "input", sr_shape_nchw(1, 3, 224, 224));
    x = sr_graph_conv(g, "conv1_1", x, 64, 3, 1, 1, 1, 1);
    sr_graph_unary(g, SR_OP_RELU, "relu1_1", x);
    infer_ok(g);
    return g;
}

static void test_bytes(void **state)
{
    (void)state;
    sr_graph *g = vgg_conv1();
    int c = sr_graph_find(g, "conv1_1");
    /* input 3*224*224 = 150,528 elements; output 64*224*224 = 3,211,264; params 64*3*9 + 64 = 1,792 */
    assert_int_equal(sr_graph_node(g, c)->params, 1792);
    assert_int_equal(sr_graph_node(g, c)->macs, 86704128); /* 3,211,264 * 27 */
    const int64_t in_b[3] = {602112, 301056, 150528};
    const int64_t out_b[3] = {12845056, 6422528, 3211264};
    const int64_t w_b[3] = {7168, 3584, 1792};
    for (int p = 0; p < SR_PREC_COUNT; p++) {
        assert_int_equal(sr_node_input_bytes(g, c, (sr_precision)p), in_b[p]);
        assert_int_equal(sr_node_output_bytes(g, c, (sr_precision)p), out_b[p]);
        assert_int_equal(sr_node_weight_bytes(g, c, (sr_precision)p), w_b[p]);
    }
    assert_int_equal(sr_node_input_bytes(g, 0, SR_PREC_FP32), 0);
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.macs, 86704128);
    assert_int_equal(t.params, 1792);
    assert_int_equal(t.weight_bytes_fp32, 7168);
    assert_int_equal(t.max_activation_bytes_fp32, 12845056);
    sr_graph_free(g);
}

static void test_print(void **state)
{
    (void)state;
    sr_graph *g = vgg_conv1();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    sr_graph_print(g, SR_PREC_FP16, f);
    fclose(f);
    /* header, one row per node, totals; thousands separators; bytes at fp16 */
    assert_non_null(strstr(buf, "fp16"));
    assert_non_null(strstr(buf, "conv1_1"));
    assert_non_null(strstr(buf, "1x64x224x224"));
    assert_non_null(strstr(buf, "86,704,128"));
    assert_non_null(strstr(buf, "1,792"));
    assert_non_null(strstr(buf, "6,422,528"));
    assert_non_null(strstr(buf, "3,584"));
    assert_non_null(strstr(buf, "MACs 86,704,128, params 1,792"));
    int lines = 0;
    for (char *p = buf; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 1 + 1 + 3 + 1);
    /* aligned: every row has the same length */
    char *row = strchr(buf, '\n') + 1;
    size_t row_len = (size_t)(strchr(row, '\n') - row);
    for (int i = 0; i < 3; i++) {
        row = strchr(row, '\n') + 1;
        assert_int_equal((size_t)(strchr(row, '\n') - row), row_len);
    }
    free(buf);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_op_and_precision_names),
        cmocka_unit_test(test_shape_helpers),
        cmocka_unit_test(test_storage_and_names),
        cmocka_unit_test(test_many_nodes),
        cmocka_unit_test(test_conv_shapes_and_costs),
        cmocka_unit_test(test_conv_errors),
        cmocka_unit_test(test_pool_shapes),
        cmocka_unit_test(test_fc_matmul),
        cmocka_unit_test(test_add_broadcast),
        cmocka_unit_test(test_concat),
        cmocka_unit_test(test_flatten_reshape),
        cmocka_unit_test(test_elementwise_bn_reorg),
        cmocka_unit_test(test_error_names_first_bad_node),
        cmocka_unit_test(test_overflow),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
