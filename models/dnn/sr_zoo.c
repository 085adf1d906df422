/* sr_zoo.c: the built-in models, built in code at any input resolution (sr_zoo.h).
 *
 * Each model follows a published definition layer by layer, so that its parameter and MAC totals
 * reproduce the published numbers (see tests/graph/test_zoo.c). Graphs are built at batch 1; the
 * input node is always called "input".
 *
 * Layer names (users pick split points by name, e.g. `split_at: conv5`; these names are stable):
 *   vgg16      Caffe/paper style: conv1_1..conv5_3 with relu1_1..relu5_3, pool1..pool5, fc6 relu6 drop6
 *              fc7 relu7 drop7 fc8. torchvision's AdaptiveAvgPool2d((7,7)) is the identity at 224x224 and
 *              is then omitted; at other resolutions it is a node "avgpool" (see adaptive_avgpool()).
 *   alexnet    torchvision module paths: features.0 (conv1) .. features.12 (pool), "avgpool" (only when
 *              not the identity), classifier.0 (dropout) .. classifier.6 (fc).
 *   resnet50, resnet152  torchvision module paths: conv1 bn1 relu maxpool; per bottleneck
 *              layerS.B.{conv1,bn1,relu1,conv2,bn2,relu2,conv3,bn3}, layerS.B.downsample.{0,1} on the
 *              first block of a stage, layerS.B.add (residual sum) and layerS.B.relu (the block output);
 *              avgpool, fc.
 *   mobilenetv2  torchvision module paths: features.0.{0,1,2} (conv, bn, relu6); inverted residual N:
 *              features.N.conv.0.{0,1,2} (1x1 expand, absent when t=1), then the 3x3 depthwise
 *              features.N.conv.K.{0,1,2}, the 1x1 projection features.N.conv.K+1 and its bn
 *              features.N.conv.K+2; features.N.add when the block is residual; features.18.{0,1,2};
 *              avgpool, classifier.0 (dropout), classifier.1 (fc).
 *   yolov2, tiny-yolov2  darknet layer indices as darknet prints them: convL (the convolution of cfg
 *              layer L), bnL and leakyL after it, maxpoolL, reorgL, routeL (a route of two layers = a
 *              concat). A route of one layer (yolov2's layer 25) is only a reference and has no node; the
 *              final [region] layer is decoding, not part of the graph: the output is the last conv.
 *   sine       dense1 relu1 dense2 relu2 dense3. */
#include "sr_zoo.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Builder state: the first error sticks, so model code reads as a plain list of layers (a failed add
 * returns a negative id, which makes every later add that uses it fail too). */
typedef struct zb {
    sr_graph *g;
    sr_status st;
    char *err;
    size_t err_size;
} zb;

static int chk(zb *b, int id, const char *name)
{
    if (id < 0 && b->st == SR_OK) {
        b->st = (sr_status)id;
        if (b->err && b->err_size)
            snprintf(b->err, b->err_size, "cannot add node '%s': %s", name, sr_status_message(id));
    }
    return id;
}

#if defined(__GNUC__)
static const char *nm(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
static const char *nm(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

static int conv(zb *b, const char *name, int in, int oc, int k, int stride, int pad, int groups, int bias)
{
    return chk(b, sr_graph_conv(b->g, name, in, oc, k, stride, pad, groups, bias), name);
}

static int unary(zb *b, sr_op op, const char *name, int in)
{
    return chk(b, sr_graph_unary(b->g, op, name, in), name);
}

static int bn(zb *b, const char *name, int in, float eps)
{
    sr_node_attr a = sr_node_attr_default();
    a.eps = eps;
    return chk(b, sr_graph_add(b->g, SR_OP_BATCHNORM, name, &in, 1, &a), name);
}

static int relu6(zb *b, const char *name, int in)
{
    sr_node_attr a = sr_node_attr_default();
    a.clip_min = 0.0f;
    a.clip_max = 6.0f;
    return chk(b, sr_graph_add(b->g, SR_OP_RELU6, name, &in, 1, &a), name);
}

static int pool(zb *b, sr_op op, const char *name, int in, int k, int stride, int pad)
{
    return chk(b, sr_graph_pool(b->g, op, name, in, k, stride, pad), name);
}

static int fc(zb *b, const char *name, int in, int out_features)
{
    return chk(b, sr_graph_fc(b->g, name, in, out_features, 1), name);
}

static int add2(zb *b, const char *name, int x, int y)
{
    int ins[2] = {x, y};
    return chk(b, sr_graph_add(b->g, SR_OP_ADD, name, ins, 2, NULL), name);
}

/* Shape of node id, inferring the graph built so far; NULL after an error (recorded in b). */
static const sr_shape *shape_of(zb *b, int id)
{
    if (b->st != SR_OK) return NULL;
    sr_status st = sr_graph_infer(b->g, b->err, b->err_size);
    if (st != SR_OK) {
        b->st = st;
        return NULL;
    }
    return &sr_graph_node(b->g, id)->out;
}

/* torchvision's AdaptiveAvgPool2d((t, t)). Identity (no node) when the map is already t x t. Otherwise
 * an average pool with stride s = floor(H/t) and kernel H - (t-1)*s, which gives exactly t outputs: its
 * windows equal PyTorch's adaptive bins when H is a multiple of t and approximate them (same shape, same
 * work to within a window) otherwise. A map smaller than t x t would be upsampled by PyTorch; that is not
 * modelled and gives SR_ERR_SHAPE. */
static int adaptive_avgpool(zb *b, const char *name, int in, int t)
{
    const sr_shape *s = shape_of(b, in);
    if (!s) return -1;
    int64_t h = s->d[2], w = s->d[3];
    if (h == t && w == t) return in;
    if (h < t || w < t) {
        if (b->err && b->err_size)
            snprintf(b->err, b->err_size,
                     "%s: the feature map before '%s' is %" PRId64 "x%" PRId64
                     ", smaller than the %dx%d adaptive pool output (input resolution too small)",
                     sr_graph_name(b->g), name, h, w, t, t);
        b->st = SR_ERR_SHAPE;
        return -1;
    }
    sr_node_attr a = sr_node_attr_default();
    a.stride_h = (int)(h / t);
    a.stride_w = (int)(w / t);
    a.kernel_h = (int)(h - (int64_t)(t - 1) * a.stride_h);
    a.kernel_w = (int)(w - (int64_t)(t - 1) * a.stride_w);
    return chk(b, sr_graph_add(b->g, SR_OP_AVGPOOL, name, &in, 1, &a), name);
}

/* ---------------------------------------------------------------------------------------------- */
/* torchvision models                                                                             */

#define TV_BN_EPS 1e-5f

/* torchvision vgg16 (configuration "D" of Simonyan & Zisserman), without batch norm. */
static void build_vgg16(zb *b, int x)
{
    static const int convs[5] = {2, 2, 3, 3, 3};
    static const int chans[5] = {64, 128, 256, 512, 512};
    char n[SR_NAME_MAX];
    for (int blk = 0; blk < 5; blk++) {
        for (int i = 0; i < convs[blk]; i++) {
            x = conv(b, nm(n, sizeof n, "conv%d_%d", blk + 1, i + 1), x, chans[blk], 3, 1, 1, 1, 1);
            x = unary(b, SR_OP_RELU, nm(n, sizeof n, "relu%d_%d", blk + 1, i + 1), x);
        }
        x = pool(b, SR_OP_MAXPOOL, nm(n, sizeof n, "pool%d", blk + 1), x, 2, 2, 0);
    }
    x = adaptive_avgpool(b, "avgpool", x, 7);
    x = fc(b, "fc6", x, 4096);
    x = unary(b, SR_OP_RELU, "relu6", x);
    x = unary(b, SR_OP_DROPOUT, "drop6", x);
    x = fc(b, "fc7", x, 4096);
    x = unary(b, SR_OP_RELU, "relu7", x);
    x = unary(b, SR_OP_DROPOUT, "drop7", x);
    fc(b, "fc8", x, 1000);
}

/* torchvision alexnet (the one-GPU variant of Krizhevsky's "one weird trick" paper: 64/192/384/256/256). */
static void build_alexnet(zb *b, int x)
{
    x = conv(b, "features.0", x, 64, 11, 4, 2, 1, 1);
    x = unary(b, SR_OP_RELU, "features.1", x);
    x = pool(b, SR_OP_MAXPOOL, "features.2", x, 3, 2, 0);
    x = conv(b, "features.3", x, 192, 5, 1, 2, 1, 1);
    x = unary(b, SR_OP_RELU, "features.4", x);
    x = pool(b, SR_OP_MAXPOOL, "features.5", x, 3, 2, 0);
    x = conv(b, "features.6", x, 384, 3, 1, 1, 1, 1);
    x = unary(b, SR_OP_RELU, "features.7", x);
    x = conv(b, "features.8", x, 256, 3, 1, 1, 1, 1);
    x = unary(b, SR_OP_RELU, "features.9", x);
    x = conv(b, "features.10", x, 256, 3, 1, 1, 1, 1);
    x = unary(b, SR_OP_RELU, "features.11", x);
    x = pool(b, SR_OP_MAXPOOL, "features.12", x, 3, 2, 0);
    x = adaptive_avgpool(b, "avgpool", x, 6);
    x = unary(b, SR_OP_DROPOUT, "classifier.0", x);
    x = fc(b, "classifier.1", x, 4096);
    x = unary(b, SR_OP_RELU, "classifier.2", x);
    x = unary(b, SR_OP_DROPOUT, "classifier.3", x);
    x = fc(b, "classifier.4", x, 4096);
    x = unary(b, SR_OP_RELU, "classifier.5", x);
    fc(b, "classifier.6", x, 1000);
}

/* torchvision Bottleneck (ResNet v1.5: the stride sits in the 3x3 conv). */
static int bottleneck(zb *b, const char *p, int x, int planes, int stride, int downsample)
{
    char n[SR_NAME_MAX];
    int y = conv(b, nm(n, sizeof n, "%s.conv1", p), x, planes, 1, 1, 0, 1, 0);
    y = bn(b, nm(n, sizeof n, "%s.bn1", p), y, TV_BN_EPS);
    y = unary(b, SR_OP_RELU, nm(n, sizeof n, "%s.relu1", p), y);
    y = conv(b, nm(n, sizeof n, "%s.conv2", p), y, planes, 3, stride, 1, 1, 0);
    y = bn(b, nm(n, sizeof n, "%s.bn2", p), y, TV_BN_EPS);
    y = unary(b, SR_OP_RELU, nm(n, sizeof n, "%s.relu2", p), y);
    y = conv(b, nm(n, sizeof n, "%s.conv3", p), y, planes * 4, 1, 1, 0, 1, 0);
    y = bn(b, nm(n, sizeof n, "%s.bn3", p), y, TV_BN_EPS);
    int id = x;
    if (downsample) {
        id = conv(b, nm(n, sizeof n, "%s.downsample.0", p), x, planes * 4, 1, stride, 0, 1, 0);
        id = bn(b, nm(n, sizeof n, "%s.downsample.1", p), id, TV_BN_EPS);
    }
    y = add2(b, nm(n, sizeof n, "%s.add", p), y, id);
    return unary(b, SR_OP_RELU, nm(n, sizeof n, "%s.relu", p), y);
}

static void build_resnet(zb *b, int x, const int blocks[4])
{
    char p[SR_NAME_MAX];
    x = conv(b, "conv1", x, 64, 7, 2, 3, 1, 0);
    x = bn(b, "bn1", x, TV_BN_EPS);
    x = unary(b, SR_OP_RELU, "relu", x);
    x = pool(b, SR_OP_MAXPOOL, "maxpool", x, 3, 2, 1);
    int inplanes = 64;
    for (int s = 0; s < 4; s++) {
        int planes = 64 << s;
        int stride = s == 0 ? 1 : 2;
        for (int i = 0; i < blocks[s]; i++) {
            int st = i == 0 ? stride : 1;
            int ds = i == 0 && (stride != 1 || inplanes != planes * 4);
            x = bottleneck(b, nm(p, sizeof p, "layer%d.%d", s + 1, i), x, planes, st, ds);
            inplanes = planes * 4;
        }
    }
    x = pool(b, SR_OP_GLOBAL_AVGPOOL, "avgpool", x, 0, 0, 0);
    fc(b, "fc", x, 1000);
}

static void build_resnet50(zb *b, int x)
{
    static const int blocks[4] = {3, 4, 6, 3};
    build_resnet(b, x, blocks);
}

static void build_resnet152(zb *b, int x)
{
    static const int blocks[4] = {3, 8, 36, 3};
    build_resnet(b, x, blocks);
}

/* Conv + BN + ReLU6 (torchvision Conv2dNormActivation) named p.0, p.1, p.2. */
static int conv_bn_relu6(zb *b, const char *p, int x, int oc, int k, int stride, int groups)
{
    char n[SR_NAME_MAX];
    x = conv(b, nm(n, sizeof n, "%s.0", p), x, oc, k, stride, (k - 1) / 2, groups, 0);
    x = bn(b, nm(n, sizeof n, "%s.1", p), x, TV_BN_EPS);
    return relu6(b, nm(n, sizeof n, "%s.2", p), x);
}

/* torchvision mobilenet_v2 at width 1.0 (every channel count is already a multiple of 8). */
static void build_mobilenetv2(zb *b, int x)
{
    static const int cfg[7][4] = {/* t, c, n, s */
                                  {1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                  {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    char p[SR_NAME_MAX], n[SR_NAME_MAX];
    x = conv_bn_relu6(b, "features.0", x, 32, 3, 2, 1);
    int inp = 32, idx = 1;
    for (int r = 0; r < 7; r++) {
        int t = cfg[r][0], c = cfg[r][1];
        for (int i = 0; i < cfg[r][2]; i++, idx++) {
            int stride = i == 0 ? cfg[r][3] : 1;
            int hidden = inp * t, k = 0, y = x;
            if (t != 1)
                y = conv_bn_relu6(b, nm(p, sizeof p, "features.%d.conv.%d", idx, k++), y, hidden, 1, 1, 1);
            y = conv_bn_relu6(b, nm(p, sizeof p, "features.%d.conv.%d", idx, k++), y, hidden, 3, stride,
                              hidden);
            y = conv(b, nm(n, sizeof n, "features.%d.conv.%d", idx, k++), y, c, 1, 1, 0, 1, 0);
            y = bn(b, nm(n, sizeof n, "features.%d.conv.%d", idx, k++), y, TV_BN_EPS);
            if (stride == 1 && inp == c) y = add2(b, nm(n, sizeof n, "features.%d.add", idx), x, y);
            x = y;
            inp = c;
        }
    }
    x = conv_bn_relu6(b, nm(p, sizeof p, "features.%d", idx), x, 1280, 1, 1, 1);
    x = pool(b, SR_OP_GLOBAL_AVGPOOL, "avgpool", x, 0, 0, 0);
    x = unary(b, SR_OP_DROPOUT, "classifier.0", x);
    fc(b, "classifier.1", x, 1000);
}

/* ---------------------------------------------------------------------------------------------- */
/* darknet models                                                                                 */

#define DK_BN_EPS 1e-6f     /* darknet's normalisation epsilon */
#define DK_LEAKY_ALPHA 0.1f /* darknet's "leaky" activation */

/* [convolutional] with pad=1 (padding size/2). With batch_normalize=1 darknet has no conv bias (the BN
 * shift plays its part) and the activation is leaky; the detection head has a bias and is linear. */
static int dk_conv(zb *b, int layer, int x, int filters, int size, int stride, int batch_normalize)
{
    char n[SR_NAME_MAX];
    x = conv(b, nm(n, sizeof n, "conv%d", layer), x, filters, size, stride, size / 2, 1, !batch_normalize);
    if (!batch_normalize) return x;
    x = bn(b, nm(n, sizeof n, "bn%d", layer), x, DK_BN_EPS);
    sr_node_attr a = sr_node_attr_default();
    a.alpha = DK_LEAKY_ALPHA;
    nm(n, sizeof n, "leaky%d", layer);
    return chk(b, sr_graph_add(b->g, SR_OP_LEAKY_RELU, n, &x, 1, &a), n);
}

/* [maxpool]: darknet pads size-1 in total, offset -pad/2, i.e. pad/2 on top/left and the rest on
 * bottom/right (for size 2: one row/column at the bottom/right), output (in + pad - size)/stride + 1. */
static int dk_maxpool(zb *b, int layer, int x, int size, int stride)
{
    char n[SR_NAME_MAX];
    sr_node_attr a = sr_node_attr_default();
    int pad = size - 1;
    a.kernel_h = a.kernel_w = size;
    a.stride_h = a.stride_w = stride;
    a.pad_top = a.pad_left = pad / 2;
    a.pad_bottom = a.pad_right = pad - pad / 2;
    nm(n, sizeof n, "maxpool%d", layer);
    return chk(b, sr_graph_add(b->g, SR_OP_MAXPOOL, n, &x, 1, &a), n);
}

/* darknet cfg/yolov2.cfg (YOLOv2 on COCO: 80 classes x 5 anchors -> 425 output channels). */
static void build_yolov2(zb *b, int x)
{
    /* cfg layers 0..24: 'M' is a 2x2/2 maxpool, otherwise filters and size of a BN+leaky conv. */
    static const int backbone[25][2] = {
        {32, 3},   {0, 0},   {64, 3},   {0, 0},   {128, 3},  {64, 1},   {128, 3}, {0, 0},   {256, 3},
        {128, 1},  {256, 3}, {0, 0},    {512, 3}, {256, 1},  {512, 3},  {256, 1}, {512, 3}, {0, 0},
        {1024, 3}, {512, 1}, {1024, 3}, {512, 1}, {1024, 3}, {1024, 3}, {1024, 3}};
    int out[25];
    for (int l = 0; l < 25; l++) {
        if (backbone[l][0] == 0)
            x = dk_maxpool(b, l, x, 2, 2);
        else
            x = dk_conv(b, l, x, backbone[l][0], backbone[l][1], 1, 1);
        out[l] = x;
    }
    /* 25: [route] layers=-9 -> layer 16 (no node). 26: 1x1 conv to 64, 27: [reorg] stride=2. */
    int y = dk_conv(b, 26, out[16], 64, 1, 1, 1);
    sr_node_attr a = sr_node_attr_default();
    a.stride_h = a.stride_w = 2;
    y = chk(b, sr_graph_add(b->g, SR_OP_REORG, "reorg27", &y, 1, &a), "reorg27");
    /* 28: [route] layers=-1,-4 -> concat(layer 27, layer 24) on channels. */
    int ins[2] = {y, out[24]};
    a = sr_node_attr_default();
    a.axis = 1;
    x = chk(b, sr_graph_add(b->g, SR_OP_CONCAT, "route28", ins, 2, &a), "route28");
    x = dk_conv(b, 29, x, 1024, 3, 1, 1);
    dk_conv(b, 30, x, 425, 1, 1, 0);
}

/* darknet cfg/yolov2-tiny.cfg (COCO; 425 output channels). */
static void build_tiny_yolov2(zb *b, int x)
{
    static const int filters[6] = {16, 32, 64, 128, 256, 512};
    int l = 0;
    for (int i = 0; i < 6; i++) {
        x = dk_conv(b, l++, x, filters[i], 3, 1, 1);
        x = dk_maxpool(b, l++, x, 2, i < 5 ? 2 : 1);
    }
    x = dk_conv(b, l++, x, 1024, 3, 1, 1);
    x = dk_conv(b, l++, x, 512, 3, 1, 1);
    dk_conv(b, l, x, 425, 1, 1, 0);
}

/* ---------------------------------------------------------------------------------------------- */
/* TinyML                                                                                         */

/* The TensorFlow Lite Micro "hello_world" sine model: Dense(16, relu) -> Dense(16, relu) -> Dense(1). */
static void build_sine(zb *b, int x)
{
    x = fc(b, "dense1", x, 16);
    x = unary(b, SR_OP_RELU, "relu1", x);
    x = fc(b, "dense2", x, 16);
    x = unary(b, SR_OP_RELU, "relu2", x);
    fc(b, "dense3", x, 1);
}

/* ---------------------------------------------------------------------------------------------- */
/* Catalogue                                                                                      */

typedef struct zoo_entry {
    const char *name;
    int c, h, w;
    void (*build)(zb *b, int input);
    const char *description;
} zoo_entry;

static const zoo_entry zoo[] = {
    {"vgg16", 3, 224, 224, build_vgg16,
     "VGG-16 as torchvision.models.vgg16 (13 conv + 3 FC, no BN; adaptive avgpool to 7x7); 3x224x224"},
    {"alexnet", 3, 224, 224, build_alexnet,
     "AlexNet as torchvision.models.alexnet (5 conv + 3 FC, 64/192/384/256/256 channels); 3x224x224"},
    {"resnet50", 3, 224, 224, build_resnet50,
     "ResNet-50 v1.5 as torchvision.models.resnet50 (bottlenecks 3/4/6/3, stride in the 3x3 conv); "
     "3x224x224"},
    {"resnet152", 3, 224, 224, build_resnet152,
     "ResNet-152 v1.5 as torchvision.models.resnet152 (bottlenecks 3/8/36/3); 3x224x224"},
    {"mobilenetv2", 3, 224, 224, build_mobilenetv2,
     "MobileNetV2 as torchvision.models.mobilenet_v2 (width 1.0, ReLU6, inverted residuals); 3x224x224"},
    {"yolov2", 3, 416, 416, build_yolov2,
     "YOLOv2 (COCO) from darknet cfg/yolov2.cfg: Darknet-19 trunk, passthrough reorg, 425-channel head; "
     "3x416x416"},
    {"tiny-yolov2", 3, 416, 416, build_tiny_yolov2,
     "Tiny YOLOv2 (COCO) from darknet cfg/yolov2-tiny.cfg: 9 conv, 6 maxpool, 425-channel head; 3x416x416"},
    {"sine", 1, 1, 1, build_sine,
     "Sine regressor of the TensorFlow Lite Micro hello_world example (TinyML): 1->16->16->1 MLP, ReLU"},
};

#define ZOO_COUNT ((int)(sizeof zoo / sizeof zoo[0]))
#define ZOO_MAX_DIM 65536

int sr_zoo_count(void)
{
    return ZOO_COUNT;
}

const char *sr_zoo_name(int i)
{
    return (i >= 0 && i < ZOO_COUNT) ? zoo[i].name : NULL;
}

void sr_zoo_default_input(int i, int *c, int *h, int *w)
{
    int ok = i >= 0 && i < ZOO_COUNT;
    if (c) *c = ok ? zoo[i].c : 0;
    if (h) *h = ok ? zoo[i].h : 0;
    if (w) *w = ok ? zoo[i].w : 0;
}

const char *sr_zoo_description(int i)
{
    return (i >= 0 && i < ZOO_COUNT) ? zoo[i].description : NULL;
}

sr_status sr_zoo_build_err(const char *name, int c, int h, int w, sr_graph **out, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!out) return SR_ERR_INVALID;
    *out = NULL;
    if (!name) return SR_ERR_INVALID;
    const zoo_entry *e = NULL;
    for (int i = 0; i < ZOO_COUNT; i++) {
        if (strcmp(zoo[i].name, name) == 0) e = &zoo[i];
    }
    if (!e) {
        if (err && err_size) {
            int n = snprintf(err, err_size, "unknown model '%s' (known:", name);
            for (int i = 0; i < ZOO_COUNT && n >= 0 && (size_t)n < err_size; i++)
                n += snprintf(err + n, err_size - (size_t)n, " %s", zoo[i].name);
            if (n >= 0 && (size_t)n < err_size) snprintf(err + n, err_size - (size_t)n, ")");
        }
        return SR_ERR_NOT_FOUND;
    }
    if (c < 0 || h < 0 || w < 0 || c > ZOO_MAX_DIM || h > ZOO_MAX_DIM || w > ZOO_MAX_DIM) {
        if (err && err_size)
            snprintf(err, err_size, "%s: input %dx%dx%d out of range (each dimension 0..%d, 0 = default)",
                     name, c, h, w, ZOO_MAX_DIM);
        return SR_ERR_INVALID;
    }
    if (c == 0) c = e->c;
    if (h == 0) h = e->h;
    if (w == 0) w = e->w;

    zb b = {.err = err, .err_size = err_size};
    sr_status st = sr_graph_create(name, &b.g);
    if (st) return st;
    int x = chk(&b, sr_graph_add_input(b.g, "input", sr_shape_nchw(1, c, h, w)), "input");
    e->build(&b, x);
    st = b.st;
    if (st == SR_OK) st = sr_graph_infer(b.g, err, err_size);
    if (st != SR_OK) {
        sr_graph_free(b.g);
        return st;
    }
    *out = b.g;
    return SR_OK;
}

sr_status sr_zoo_build(const char *name, int c, int h, int w, sr_graph **out)
{
    return sr_zoo_build_err(name, c, h, w, out, NULL, 0);
}
