/* sr_graph.h: the DNN graph IR of simrun.
 *
 * A graph is a list of nodes in topological order (a node's inputs always have smaller ids).
 * Tensors are laid out NCHW; shapes carry the batch dimension (the zoo builds graphs at batch 1).
 * sr_graph_infer() fills each node's output shape, multiply-accumulates and parameter count.
 *
 * Counting conventions follow torchvision / ptflops as the papers quote them:
 *   - MACs: multiply-accumulates of convolutions (incl. depthwise/grouped) and fully-connected layers only
 *     (bias, BN, activations, pooling, add count 0);
 *   - params: conv/FC weights + biases, BN scale + shift (running mean/var are buffers, not params).
 * With these, VGG-16 = 138,357,544 params / 15,470,264,320 MACs at 3x224x224.
 *
 * The graph knows no weights: per-node parameter tensors live in sr_weights (sr_weights.h). */
#ifndef SR_GRAPH_H
#define SR_GRAPH_H

#include <stdint.h>
#include <stdio.h>

#include "sr_status.h"

#define SR_MAX_RANK 6
#define SR_MAX_INPUTS 8
#define SR_NAME_MAX 64

/* Operators. Adding one: append here, add its name in sr_graph.c's table (a static_assert checks the
 * count), and handle it in the switches (-Wswitch points at every one). */
#define SR_OP_MAP(X)                                                                                   \
    X(SR_OP_INPUT, "input")                                                                            \
    X(SR_OP_CONST, "const")        /* constant tensor; values in sr_weights (SR_PARAM_WEIGHT) */        \
    X(SR_OP_CONV, "conv")          /* groups==in_channels==out_channels is depthwise */               \
    X(SR_OP_MAXPOOL, "maxpool")                                                                        \
    X(SR_OP_AVGPOOL, "avgpool")                                                                        \
    X(SR_OP_GLOBAL_AVGPOOL, "gavgpool")                                                                \
    X(SR_OP_FC, "fc")              /* y = x W^T + b over the flattened input (Gemm, transB=1) */      \
    X(SR_OP_MATMUL, "matmul")      /* numpy-style matmul of two tensors (ONNX MatMul) */               \
    X(SR_OP_BATCHNORM, "bn")                                                                           \
    X(SR_OP_RELU, "relu")                                                                              \
    X(SR_OP_RELU6, "relu6")                                                                            \
    X(SR_OP_LEAKY_RELU, "leaky")                                                                       \
    X(SR_OP_CLIP, "clip")                                                                              \
    X(SR_OP_SIGMOID, "sigmoid")                                                                        \
    X(SR_OP_ADD, "add")            /* element-wise, numpy broadcasting */                              \
    X(SR_OP_CONCAT, "concat")                                                                          \
    X(SR_OP_FLATTEN, "flatten")                                                                        \
    X(SR_OP_RESHAPE, "reshape")                                                                        \
    X(SR_OP_SOFTMAX, "softmax")                                                                        \
    X(SR_OP_DROPOUT, "dropout")    /* identity at inference */                                        \
    X(SR_OP_REORG, "reorg")        /* darknet space-to-depth (YOLOv2 passthrough) */

typedef enum {
#define SR_OP_ENUM(id, name) id,
    SR_OP_MAP(SR_OP_ENUM)
#undef SR_OP_ENUM
        SR_OP_COUNT
} sr_op;

/* Short lower-case name of an operator ("conv"). */
const char *sr_op_name(sr_op op);

/* Numeric precision of weights/activations, for byte counts. */
typedef enum { SR_PREC_FP32, SR_PREC_FP16, SR_PREC_INT8, SR_PREC_COUNT } sr_precision;
const char *sr_precision_name(sr_precision p);      /* "fp32", "fp16", "int8" */
int sr_precision_bytes(sr_precision p);              /* 4, 2, 1 */
/* Parses "fp32"/"fp16"/"int8"; SR_ERR_INVALID otherwise. */
sr_status sr_precision_parse(const char *s, sr_precision *out);

typedef struct sr_shape {
    int rank;
    int64_t d[SR_MAX_RANK];
} sr_shape;

int64_t sr_shape_numel(const sr_shape *s);
/* Writes "1x3x224x224" into buf (always NUL-terminated). */
void sr_shape_format(const sr_shape *s, char *buf, size_t size);
sr_shape sr_shape_nchw(int64_t n, int64_t c, int64_t h, int64_t w);

/* Operator attributes. Unused fields stay zero; sr_node_attr_default() gives 1 for strides,
 * dilations and groups. Padding is asymmetric (top/left/bottom/right), as ONNX allows. */
typedef struct sr_node_attr {
    int out_channels;            /* conv: output channels; fc: output features */
    int kernel_h, kernel_w;      /* conv, pools */
    int stride_h, stride_w;      /* conv, pools, reorg (stride_h) */
    int dilation_h, dilation_w;  /* conv */
    int pad_top, pad_left, pad_bottom, pad_right;
    int groups;                  /* conv */
    int has_bias;                /* conv, fc */
    int ceil_mode;               /* pools: ceil instead of floor for the output size */
    int count_include_pad;       /* avgpool: divide by the full window, padding included */
    int axis;                    /* concat, softmax, flatten (ONNX semantics, may be negative) */
    float alpha;                 /* leaky relu slope */
    float clip_min, clip_max;    /* clip */
    float eps;                   /* batch norm */
    int reshape_rank;            /* reshape: target shape (0 = copy, -1 = infer, ONNX rules) */
    int64_t reshape[SR_MAX_RANK];
} sr_node_attr;

sr_node_attr sr_node_attr_default(void);

typedef struct sr_node {
    sr_op op;
    char name[SR_NAME_MAX];
    int n_inputs;
    int inputs[SR_MAX_INPUTS]; /* ids of earlier nodes */
    sr_node_attr attr;
    /* filled by sr_graph_infer(): */
    sr_shape out;
    int64_t macs;   /* multiply-accumulates at the graph's batch */
    int64_t params; /* trainable parameters */
} sr_node;

typedef struct sr_graph sr_graph;

/* Creates an empty graph called name (copied). Caller frees with sr_graph_free. */
sr_status sr_graph_create(const char *name, sr_graph **out);
void sr_graph_free(sr_graph *g); /* NULL is a no-op */

/* Adds an input node of the given shape; returns its id (>= 0) or a negative sr_status. */
int sr_graph_add_input(sr_graph *g, const char *name, sr_shape shape);
/* Adds a constant tensor node of the given shape (values live in sr_weights as its SR_PARAM_WEIGHT;
 * not counted as trainable params). Returns its id or a negative sr_status. */
int sr_graph_add_const(sr_graph *g, const char *name, sr_shape shape);
/* Adds a node; inputs must be existing ids; name must be unique (NULL: "<op><id>").
 * attr NULL means sr_node_attr_default(). Returns the id (>= 0) or a negative sr_status. */
int sr_graph_add(sr_graph *g, sr_op op, const char *name, const int *inputs, int n_inputs,
                 const sr_node_attr *attr);

/* Convenience builders used by the zoo and importers (return id or negative status). */
int sr_graph_conv(sr_graph *g, const char *name, int in, int out_ch, int k, int stride, int pad, int groups,
                  int bias);
int sr_graph_pool(sr_graph *g, sr_op op, const char *name, int in, int k, int stride, int pad);
int sr_graph_fc(sr_graph *g, const char *name, int in, int out_features, int bias);
int sr_graph_unary(sr_graph *g, sr_op op, const char *name, int in);

/* Infers shapes, MACs and params of every node. On a mismatch returns SR_ERR_SHAPE and, if err is
 * not NULL, writes a message naming the node into err. Idempotent. */
sr_status sr_graph_infer(sr_graph *g, char *err, size_t err_size);

const char *sr_graph_name(const sr_graph *g);
int sr_graph_node_count(const sr_graph *g);
const sr_node *sr_graph_node(const sr_graph *g, int id); /* NULL when out of range; borrowed */
int sr_graph_find(const sr_graph *g, const char *name);  /* id, or -1 */
int sr_graph_output(const sr_graph *g);                  /* id of the last node */

/* Byte counts of node id at precision p (batch included). Input bytes sum every input tensor. */
int64_t sr_node_output_bytes(const sr_graph *g, int id, sr_precision p);
int64_t sr_node_input_bytes(const sr_graph *g, int id, sr_precision p);
int64_t sr_node_weight_bytes(const sr_graph *g, int id, sr_precision p);
/* FLOPs executed by the node (2*MACs for conv/fc, element counts for the others): what the roofline
 * cost model charges. */
double sr_node_flops(const sr_graph *g, int id);

typedef struct sr_graph_totals {
    int64_t macs, params;
    int64_t weight_bytes_fp32;
    int64_t max_activation_bytes_fp32;
} sr_graph_totals;
void sr_graph_totals_get(const sr_graph *g, sr_graph_totals *out);

/* Prints the per-layer table (id, name, op, output shape, MACs, params, in/out/weight bytes at p)
 * and the totals to f. */
void sr_graph_print(const sr_graph *g, sr_precision p, FILE *f);

#endif
