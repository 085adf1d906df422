/* test_zoo.c: the model zoo (models/dnn/sr_zoo.c) against published totals.
 *
 * Parameter and MAC counts at the default resolutions must equal the numbers torchvision / ptflops
 * publish (conventions in sr_graph.h); darknet models are checked against darknet's own "BFLOPs"
 * print-outs and the sizes of the released .weights files; plus shapes at other resolutions, stable
 * layer names and errors for unknown models and too-small inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sr_zoo.h"

static sr_graph *build(const char *name, int c, int h, int w)
{
    sr_graph *g = NULL;
    char err[256];
    sr_status st = sr_zoo_build_err(name, c, h, w, &g, err, sizeof err);
    if (st != SR_OK) fail_msg("building %s failed (%d): %s", name, st, err);
    assert_non_null(g);
    return g;
}

static void totals(const char *name, int64_t *params, int64_t *macs)
{
    sr_graph *g = build(name, 0, 0, 0);
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    *params = t.params;
    *macs = t.macs;
    sr_graph_free(g);
}

static void assert_out_shape(const sr_graph *g, const char *node, const char *expect)
{
    int id = node ? sr_graph_find(g, node) : sr_graph_output(g);
    if (id < 0) fail_msg("no node '%s' in %s", node ? node : "(output)", sr_graph_name(g));
    char buf[64];
    sr_shape_format(&sr_graph_node(g, id)->out, buf, sizeof buf);
    assert_string_equal(buf, expect);
}

static int count_op(const sr_graph *g, sr_op op)
{
    int n = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        n += sr_graph_node(g, i)->op == op;
    return n;
}

/* Sum of sr_node_flops over the nodes of the given ops. */
static double flops_of(const sr_graph *g, sr_op op1, sr_op op2)
{
    double f = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++) {
        sr_op op = sr_graph_node(g, i)->op;
        if (op == op1 || op == op2) f += sr_node_flops(g, i);
    }
    return f;
}

/* ---------------------------------------------------------------------------------------------- */

static void test_catalogue(void **state)
{
    (void)state;
    const char *expect[] = {"vgg16",       "alexnet", "resnet50",    "resnet152",
                            "mobilenetv2", "yolov2",  "tiny-yolov2", "sine"};
    assert_int_equal(sr_zoo_count(), 8);
    for (int i = 0; i < sr_zoo_count(); i++) {
        assert_string_equal(sr_zoo_name(i), expect[i]);
        const char *d = sr_zoo_description(i);
        assert_non_null(d);
        assert_true(strstr(d, "torchvision") || strstr(d, "darknet") || strstr(d, "TinyML"));
    }
    assert_null(sr_zoo_name(8));
    assert_null(sr_zoo_description(-1));
    int c, h, w;
    sr_zoo_default_input(5, &c, &h, &w);
    assert_int_equal(c, 3);
    assert_int_equal(h, 416);
    assert_int_equal(w, 416);
    sr_zoo_default_input(7, &c, &h, &w);
    assert_int_equal(c * h * w, 1);
    sr_zoo_default_input(99, &c, &h, &w);
    assert_int_equal(c + h + w, 0);
}

static void test_errors(void **state)
{
    (void)state;
    sr_graph *g = (sr_graph *)&g; /* must be reset to NULL on failure */
    char err[256];
    assert_int_equal(sr_zoo_build("vgg17", 0, 0, 0, &g), SR_ERR_NOT_FOUND);
    assert_null(g);
    assert_int_equal(sr_zoo_build_err("vgg17", 0, 0, 0, &g, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "unknown model 'vgg17'"));
    assert_non_null(strstr(err, "mobilenetv2"));
    assert_int_equal(sr_zoo_build(NULL, 0, 0, 0, &g), SR_ERR_INVALID);
    assert_int_equal(sr_zoo_build("vgg16", 0, 0, 0, NULL), SR_ERR_INVALID);
    assert_int_equal(sr_zoo_build_err("vgg16", 3, -1, 224, &g, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(sr_zoo_build("vgg16", 3, 224, 1000000, &g), SR_ERR_INVALID);
    /* too small: VGG-16's adaptive pool would have to upsample a 1x1 map */
    assert_int_equal(sr_zoo_build_err("vgg16", 3, 32, 32, &g, err, sizeof err), SR_ERR_SHAPE);
    assert_null(g);
    assert_non_null(strstr(err, "'avgpool'"));
    /* AlexNet at 32x32: the last 3x3 maxpool meets a 1x1 map and the message names it */
    assert_int_equal(sr_zoo_build_err("alexnet", 3, 32, 32, &g, err, sizeof err), SR_ERR_SHAPE);
    assert_non_null(strstr(err, "'features.12' (maxpool): window 3x3 larger than padded input 1x1"));
    /* YOLOv2 needs a multiple of 32: at 400 the passthrough reorg gets a 25x25 map */
    assert_int_equal(sr_zoo_build_err("yolov2", 3, 400, 400, &g, err, sizeof err), SR_ERR_SHAPE);
    assert_non_null(strstr(err, "'reorg27'"));
    assert_non_null(strstr(err, "25x25 not divisible by stride 2"));
    /* NULL err buffer */
    assert_int_equal(sr_zoo_build_err("yolov2", 3, 400, 400, &g, NULL, 0), SR_ERR_SHAPE);
}

/* torchvision / ptflops totals at 3x224x224 (DESIGN.md "Must reproduce"). */
static void test_vgg16_resnet50_mobilenetv2(void **state)
{
    (void)state;
    int64_t p, m;
    totals("vgg16", &p, &m);
    assert_int_equal(p, 138357544);
    assert_int_equal(m, 15470264320);
    totals("resnet50", &p, &m);
    assert_int_equal(p, 25557032);
    assert_int_equal(m, 4089184256);
    totals("mobilenetv2", &p, &m);
    assert_int_equal(p, 3504872);
    assert_int_equal(m, 300774272);
}

static void test_alexnet(void **state)
{
    (void)state;
    int64_t p, m;
    totals("alexnet", &p, &m);
    assert_int_equal(p, 61100840); /* torchvision's published parameter count */
    /* First conv by hand: 224 padded by 2 on each side, 11x11 stride 4 -> floor((228 - 11)/4) + 1 = 55;
     * MACs = 64 out channels * 55*55 positions * 3*11*11 = 64 * 3025 * 363 = 70,276,800.
     * Whole net: 714,188,480 MACs; torchvision lists AlexNet at 0.71 GFLOPS (its "FLOPS" are MACs). */
    sr_graph *g = build("alexnet", 0, 0, 0);
    int c1 = sr_graph_find(g, "features.0");
    assert_true(c1 > 0);
    assert_int_equal(sr_graph_node(g, c1)->macs, 70276800);
    assert_out_shape(g, "features.0", "1x64x55x55");
    assert_out_shape(g, "features.12", "1x256x6x6");
    assert_int_equal(sr_graph_find(g, "avgpool"), -1); /* adaptive pool is the identity at 224 */
    assert_int_equal(m, 714188480);
    assert_true(fabs((double)m / 1e9 - 0.71) < 0.005);
    sr_graph_free(g);
}

static void test_resnet152(void **state)
{
    (void)state;
    int64_t p, m;
    totals("resnet152", &p, &m);
    assert_int_equal(p, 60192808); /* torchvision */
    assert_int_equal(m, 11513626624);
    /* torchvision lists 11.51 GFLOPS (MACs): our count rounds to it */
    assert_true(round((double)m / 1e7) / 100.0 == 11.51);
    sr_graph *g = build("resnet152", 0, 0, 0);
    assert_int_equal(count_op(g, SR_OP_CONV), 155); /* 1 + 50 blocks * 3 + 4 downsample */
    assert_int_equal(count_op(g, SR_OP_ADD), 50);
    sr_graph_free(g);
}

/* Emmons et al. (HotEdgeVideo'19): ResNet-152's first conv at 720p holds 21x the bytes of the raw frame. */
static void test_resnet152_720p_amplification(void **state)
{
    (void)state;
    sr_graph *g = build("resnet152", 3, 720, 1280);
    assert_out_shape(g, "conv1", "1x64x360x640");
    int c1 = sr_graph_find(g, "conv1");
    double act = (double)sr_node_output_bytes(g, c1, SR_PREC_FP32);
    double raw = 720.0 * 1280 * 3; /* one byte per RGB sample */
    /* 64*360*640*4 / (720*1280*3) = 58,982,400 / 2,764,800 = 21.33 */
    assert_true(fabs(act / raw - 64.0 * 4 / 12) < 1e-12);
    assert_true(fabs(act / raw - 21.33) < 0.01);
    /* params do not depend on the resolution (global average pooling before fc) */
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.params, 60192808);
    assert_out_shape(g, NULL, "1x1000");
    sr_graph_free(g);
}

/* darknet prints per conv layer "BFLOPs" = 2 * MACs / 1e9 (its conv MACs: out_h*out_w*size*size*c*n).
 *   yolov2.cfg at 416: convs sum to 29.464 BFLOPs; at 608 to 62.94 (the "62.94 Bn" darknet publishes for
 *   YOLOv2 608x608). AlexeyAB's fork prints "Total BFLOPS 29.475" at 416: it also charges each maxpool
 *   out_h*out_w*c*size*size, which is what sr_node_flops charges a pool; conv + maxpool gives 29.475.
 *   yolov2-tiny.cfg (COCO, 425 filters) at 416: 5.406 BFLOPs, darknet's published "5.41 Bn". The often
 *   quoted 6.97 BFLOPs is yolov2-tiny-voc.cfg (VOC head of 125 filters and a 1024-filter 3x3 conv where
 *   the COCO cfg has 512), not this model.
 * Parameters are cross-checked against the released weight files: darknet stores per BN conv the biases
 * (BN shift), scales, rolling means and rolling variances, then the weights; so the file holds
 * params + 2 * (BN channels) floats after its header. yolov2.weights is 203,934,260 bytes with a 16-byte
 * header (major, minor, revision, 32-bit seen), yolov2-tiny.weights 44,948,600 bytes with a 20-byte one
 * (64-bit seen) -- sizes as served by pjreddie.com and quoted in darkflow's loader errors. */
static int64_t bn_channels(const sr_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        if (sr_graph_node(g, i)->op == SR_OP_BATCHNORM) n += sr_graph_node(g, i)->out.d[1];
    return n;
}

static void test_yolov2(void **state)
{
    (void)state;
    sr_graph *g = build("yolov2", 0, 0, 0);
    assert_out_shape(g, NULL, "1x425x13x13");
    assert_string_equal(sr_graph_node(g, sr_graph_output(g))->name, "conv30");
    assert_int_equal(count_op(g, SR_OP_CONV), 23);
    assert_int_equal(count_op(g, SR_OP_MAXPOOL), 5);
    /* passthrough: layer 16 (26x26x512) -> 1x1 conv to 64 -> reorg 2 -> concat with layer 24 */
    assert_out_shape(g, "leaky16", "1x512x26x26");
    assert_out_shape(g, "conv26", "1x64x26x26");
    assert_int_equal(sr_graph_node(g, sr_graph_find(g, "conv26"))->inputs[0], sr_graph_find(g, "leaky16"));
    assert_out_shape(g, "reorg27", "1x256x13x13");
    assert_out_shape(g, "route28", "1x1280x13x13");
    assert_out_shape(g, "maxpool1", "1x32x208x208");
    assert_int_equal(sr_graph_find(g, "conv1"), -1);   /* layer 1 is a maxpool */
    assert_int_equal(sr_graph_find(g, "route25"), -1); /* a one-layer route is only a reference */
    /* BN convs have no bias, the head has one */
    assert_int_equal(sr_graph_node(g, sr_graph_find(g, "conv0"))->params, 32 * 27);
    assert_int_equal(sr_graph_node(g, sr_graph_find(g, "conv30"))->params, 425 * 1024 + 425);

    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.macs, 14732084224);
    assert_int_equal(t.params, 50962889);
    assert_int_equal((t.params + 2 * bn_channels(g)) * 4 + 16, 203934260);
    double conv_bflops = flops_of(g, SR_OP_CONV, SR_OP_CONV) / 1e9;
    assert_true(conv_bflops == 2.0 * (double)t.macs / 1e9); /* all MACs are conv MACs */
    assert_true(fabs(conv_bflops - 29.464) < 0.0005);
    assert_true(fabs(flops_of(g, SR_OP_CONV, SR_OP_MAXPOOL) / 1e9 - 29.475) < 0.0005);
    sr_graph_free(g);

    g = build("yolov2", 3, 608, 608);
    assert_out_shape(g, NULL, "1x425x19x19");
    assert_true(fabs(flops_of(g, SR_OP_CONV, SR_OP_CONV) / 1e9 - 62.94) < 0.005);
    sr_graph_free(g);
}

static void test_tiny_yolov2(void **state)
{
    (void)state;
    sr_graph *g = build("tiny-yolov2", 0, 0, 0);
    assert_out_shape(g, NULL, "1x425x13x13");
    assert_string_equal(sr_graph_node(g, sr_graph_output(g))->name, "conv14");
    /* last maxpool: size 2 stride 1 with darknet's bottom/right padding keeps 13x13 */
    assert_out_shape(g, "maxpool9", "1x256x13x13");
    assert_out_shape(g, "maxpool11", "1x512x13x13");
    assert_int_equal(count_op(g, SR_OP_CONV), 9);
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.macs, 2703221248);
    assert_int_equal(t.params, 11232057);
    assert_int_equal((t.params + 2 * bn_channels(g)) * 4 + 20, 44948600);
    assert_true(fabs(2.0 * (double)t.macs / 1e9 - 5.41) < 0.005);
    sr_graph_free(g);
}

/* TensorFlow Lite Micro hello_world: 1->16->16->1, params (1+1)*16 + (16+1)*16 + (16+1)*1 = 321,
 * MACs 16 + 256 + 16 = 288. */
static void test_sine(void **state)
{
    (void)state;
    int64_t p, m;
    totals("sine", &p, &m);
    assert_int_equal(p, 321);
    assert_int_equal(m, 288);
    sr_graph *g = build("sine", 0, 0, 0);
    assert_out_shape(g, NULL, "1x1");
    assert_out_shape(g, "input", "1x1x1x1");
    assert_int_equal(sr_graph_node_count(g), 6);
    sr_graph_free(g);
}

/* Names users split at, and structural counts. */
static void test_names_and_structure(void **state)
{
    (void)state;
    sr_graph *g = build("vgg16", 0, 0, 0);
    const char *vgg[] = {"input", "conv1_1", "relu1_1", "conv1_2", "pool1", "conv3_3", "conv5_3", "relu5_3",
                         "pool5", "fc6",     "relu6",   "drop6",   "fc7",   "relu7",   "drop7",   "fc8"};
    for (size_t i = 0; i < sizeof vgg / sizeof vgg[0]; i++)
        if (sr_graph_find(g, vgg[i]) < 0) fail_msg("vgg16 lacks %s", vgg[i]);
    assert_int_equal(count_op(g, SR_OP_CONV), 13);
    assert_out_shape(g, "pool5", "1x512x7x7");
    assert_string_equal(sr_graph_node(g, sr_graph_output(g))->name, "fc8");
    sr_graph_free(g);

    g = build("resnet50", 0, 0, 0);
    const char *rn[] = {"conv1",          "bn1",
                        "relu",           "maxpool",
                        "layer1.0.conv1", "layer1.0.downsample.0",
                        "layer1.0.add",   "layer1.0.relu",
                        "layer2.0.conv2", "layer4.2.relu",
                        "avgpool",        "fc"};
    for (size_t i = 0; i < sizeof rn / sizeof rn[0]; i++)
        if (sr_graph_find(g, rn[i]) < 0) fail_msg("resnet50 lacks %s", rn[i]);
    assert_int_equal(sr_graph_find(g, "layer1.1.downsample.0"), -1);
    assert_int_equal(count_op(g, SR_OP_ADD), 16);
    /* v1.5: the stride-2 is in conv2, not conv1 */
    assert_out_shape(g, "layer2.0.conv1", "1x128x56x56");
    assert_out_shape(g, "layer2.0.conv2", "1x128x28x28");
    assert_out_shape(g, "layer4.2.relu", "1x2048x7x7");
    assert_out_shape(g, "avgpool", "1x2048x1x1");
    sr_graph_free(g);

    g = build("mobilenetv2", 0, 0, 0);
    const char *mb[] = {
        "features.0.0",        "features.1.conv.0.0", "features.1.conv.1", "features.2.conv.0.0",
        "features.2.conv.1.0", "features.2.conv.2",   "features.2.conv.3", "features.3.add",
        "features.17.conv.3",  "features.18.2",       "avgpool",           "classifier.1"};
    for (size_t i = 0; i < sizeof mb / sizeof mb[0]; i++)
        if (sr_graph_find(g, mb[i]) < 0) fail_msg("mobilenetv2 lacks %s", mb[i]);
    assert_int_equal(count_op(g, SR_OP_ADD), 10);
    assert_int_equal(sr_graph_node(g, sr_graph_find(g, "features.2.conv.1.0"))->attr.groups, 96);
    assert_out_shape(g, "features.18.2", "1x1280x7x7");
    sr_graph_free(g);
}

/* Other resolutions: spatial sizes follow the input, FC input stays fixed via the adaptive pool. */
static void test_other_resolutions(void **state)
{
    (void)state;
    /* 448: pool5 is 14x14, the adaptive pool becomes a 2x2/2 average pool, params unchanged */
    sr_graph *g = build("vgg16", 3, 448, 448);
    assert_out_shape(g, "pool5", "1x512x14x14");
    assert_out_shape(g, "avgpool", "1x512x7x7");
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.params, 138357544);
    sr_graph_free(g);
    /* 300: pool5 is 9x9 -> stride 1, kernel 3 */
    g = build("vgg16", 3, 300, 300);
    assert_out_shape(g, "pool5", "1x512x9x9");
    assert_out_shape(g, "avgpool", "1x512x7x7");
    assert_int_equal(sr_graph_node(g, sr_graph_find(g, "avgpool"))->attr.kernel_h, 3);
    sr_graph_free(g);
    /* non-square */
    g = build("mobilenetv2", 3, 160, 320);
    assert_out_shape(g, "features.18.2", "1x1280x5x10");
    assert_out_shape(g, NULL, "1x1000");
    sr_graph_free(g);
    g = build("tiny-yolov2", 3, 320, 640);
    assert_out_shape(g, NULL, "1x425x10x20");
    sr_graph_free(g);
    /* grayscale input changes only the first layer */
    g = build("alexnet", 1, 0, 0);
    sr_graph_totals_get(g, &t);
    assert_int_equal(t.params, 61100840 - 2 * 64 * 11 * 11);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalogue),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_vgg16_resnet50_mobilenetv2),
        cmocka_unit_test(test_alexnet),
        cmocka_unit_test(test_resnet152),
        cmocka_unit_test(test_resnet152_720p_amplification),
        cmocka_unit_test(test_yolov2),
        cmocka_unit_test(test_tiny_yolov2),
        cmocka_unit_test(test_sine),
        cmocka_unit_test(test_names_and_structure),
        cmocka_unit_test(test_other_resolutions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
