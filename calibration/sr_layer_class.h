/* sr_layer_class.h: the layer types a fitted cost model distinguishes, and the features it regresses on.
 *
 * A node of the graph IR maps to one class (convolutions are split by kernel size and depthwise-ness,
 * because im2col + sgemm and the direct depthwise kernel scale differently). Each class has a fixed
 * list of features (the first is always the intercept "one"), computed from the node at the graph's
 * batch times `batch`. Each class is also marked compute- or memory-bound: that decides how a fit
 * measured on one machine is scaled to another (peak-flop ratio or memory-bandwidth ratio). */
#ifndef SR_LAYER_CLASS_H
#define SR_LAYER_CLASS_H

#include "sr_fit.h"
#include "sr_graph.h"

/* X(id, name, bound): bound 1 = compute-bound (scaled by peak flop/s), 0 = memory-bound (by bandwidth). */
#define SR_LCLASS_MAP(X)                                                                               \
    X(SR_LC_CONV1X1, "conv1x1", 1)     /* 1x1 convolutions (not depthwise) */                          \
    X(SR_LC_CONV3X3, "conv3x3", 1)     /* 3x3 convolutions (not depthwise) */                          \
    X(SR_LC_CONV_LARGE, "conv_large", 1) /* other kernel sizes (5x5, 7x7, 11x11, ...) */               \
    X(SR_LC_CONV_DW, "conv_dw", 0)     /* depthwise convolutions, direct kernel */                     \
    X(SR_LC_FC, "fc", 0)               /* fully connected: matrix-vector at batch 1, weight traffic */ \
    X(SR_LC_MAXPOOL, "maxpool", 0)                                                                     \
    X(SR_LC_AVGPOOL, "avgpool", 0)     /* average and global average pooling */                        \
    X(SR_LC_BN, "bn", 0)                                                                               \
    X(SR_LC_ACT, "act", 0)             /* relu, relu6, clip */                                         \
    X(SR_LC_LEAKY, "leaky", 0)         /* leaky relu (branchy when run in place: its own class) */     \
    X(SR_LC_SIGMOID, "sigmoid", 0)                                                                     \
    X(SR_LC_ADD, "add", 0)                                                                             \
    X(SR_LC_COPY, "copy", 0)           /* concat, reorg */                                             \
    X(SR_LC_SOFTMAX, "softmax", 0)                                                                     \
    X(SR_LC_ALIAS, "alias", 0)         /* flatten, reshape, dropout: no data moved by the executor */

typedef enum {
#define SR_LC_ENUM(id, name, bound) id,
    SR_LCLASS_MAP(SR_LC_ENUM)
#undef SR_LC_ENUM
        SR_LC_COUNT
} sr_layer_class;

/* Features. */
#define SR_FEAT_MAP(X)                                                                                 \
    X(SR_FEAT_ONE, "one")         /* intercept */                                                      \
    X(SR_FEAT_MACS, "macs")       /* multiply-accumulates */                                           \
    X(SR_FEAT_IN, "in")           /* input elements (all inputs) */                                    \
    X(SR_FEAT_OUT, "out")         /* output elements */                                                \
    X(SR_FEAT_WEIGHTS, "weights") /* parameter elements */                                             \
    X(SR_FEAT_COL, "col")         /* conv: im2col matrix elements, (in_c/groups) kh kw oh ow groups */ \
    X(SR_FEAT_WIN, "win")         /* pools: window reads, out * kh * kw (global: in) */

typedef enum {
#define SR_FEAT_ENUM(id, name) id,
    SR_FEAT_MAP(SR_FEAT_ENUM)
#undef SR_FEAT_ENUM
        SR_FEAT_COUNT
} sr_feature;

const char *sr_layer_class_name(sr_layer_class c); /* "conv3x3"; "?" outside the enum */
sr_status sr_layer_class_parse(const char *s, sr_layer_class *out); /* SR_ERR_INVALID when unknown */
int sr_layer_class_compute_bound(sr_layer_class c);                /* 1 compute, 0 memory */
const char *sr_feature_name(sr_feature f);                          /* "macs" */

/* Class of node id; -1 for nodes that cost nothing (input, const) or have no class (matmul): those
 * are priced by the roofline. */
int sr_layer_class_of(const sr_graph *g, int id);

/* The executor's conv fusion (sr_exec.c): a convolution followed by a chain of [batch norm] [add of a
 * same-shape tensor computed before the conv] [relu / relu6 / leaky relu / clip], each node the only
 * consumer of the previous one and the chain ending at the graph output at the latest, runs as one
 * node; the followers report 0 s and their time is in the conv's. fused (n = node count entries) gets
 * for every node the id of the conv it is fused into, or -1. SR_ERR_NOMEM on allocation failure. */
sr_status sr_layer_fusion(const sr_graph *g, int *fused);

/* The features class c regresses on: writes up to SR_FIT_MAX_COEF ids into feats and returns the count. */
int sr_layer_class_features(sr_layer_class c, sr_feature *feats);

/* Feature vector of node id (of class c) at `batch` frames (>= 1): x gets sr_layer_class_features(c)
 * values. */
void sr_layer_features(const sr_graph *g, int id, sr_layer_class c, int batch, double *x);

#endif
