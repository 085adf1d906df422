/* sr_onnx.h: imports an ONNX model (protobuf, parsed with protobuf-c) into an sr_graph + sr_weights.
 *
 * Operators (default domain): Conv (2-D), MaxPool, AveragePool, GlobalAveragePool, Gemm, MatMul, Relu,
 * Clip, LeakyRelu, Sigmoid, BatchNormalization (inference), Add, Concat, Flatten, Reshape, Softmax,
 * Dropout (inference), Identity, Constant; attributes auto_pad (NOTSET/SAME_UPPER/SAME_LOWER/VALID),
 * pads, strides, dilations (conv), group, ceil_mode, count_include_pad. Gemm with a constant B becomes an
 * fc node with alpha folded into the weights, B transposed to [out][in] when transB=0, and beta*C as
 * its bias (or a separate add of a constant when C is not a per-output vector). Tensors: float32 (raw_data
 * or float_data); int64 for shapes. Initializers used as data (e.g. an Add operand) become const nodes.
 *
 * Each sr node is named after the ONNX tensor it produces (cut to SR_NAME_MAX-1 characters and made
 * unique with a "~k" suffix when needed); helper nodes an operator expands into get "<name>/<what>".
 * An unsupported operator, attribute or data type gives SR_ERR_UNSUPPORTED and a malformed file
 * SR_ERR_PARSE / SR_ERR_CORRUPT, with a message such as
 *   "model.onnx: node 'conv_3' (op ConvTranspose): unsupported operator". */
#ifndef SR_ONNX_H
#define SR_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "sr_graph.h"
#include "sr_weights.h"

#define SR_ONNX_MAX_IO 16
#define SR_ONNX_IO_NAME_MAX 128
/* Largest .onnx file read: protobuf's own limit for one message (2 GiB); refused from its size. */
#define SR_ONNX_MAX_BYTES ((uint64_t)2 << 30)

/* A named float32 (or int64) tensor, e.g. an ONNX TensorProto file such as the backend tests'
 * input_0.pb. Exactly one of data / data_i64 is set. int64 tensors can only be fed where the graph
 * needs a constant (a Reshape shape). */
typedef struct sr_onnx_tensor {
    char name[SR_ONNX_IO_NAME_MAX];
    sr_shape shape;     /* rank 0 for a scalar */
    float *data;        /* sr_shape_numel(&shape) floats; owned, released by sr_onnx_tensor_clear */
    int64_t *data_i64;  /* or int64 values; owned likewise */
} sr_onnx_tensor;

/* Reads a serialized TensorProto of type float32 or int64 from path into *out (caller clears it with
 * sr_onnx_tensor_clear). SR_ERR_UNSUPPORTED for other element types. */
sr_status sr_onnx_tensor_read(const char *path, sr_onnx_tensor *out, char *err, size_t err_size);
void sr_onnx_tensor_clear(sr_onnx_tensor *t); /* NULL or an already cleared tensor is a no-op */

typedef struct sr_onnx_options {
    /* Values for graph inputs known at import time (borrowed; matched by name). A fed input that the
     * graph needs as a constant (conv/fc weights, biases, batch-norm statistics, Gemm C, Reshape shape,
     * Clip bounds, Dropout ratio) is folded into the graph like an initializer; a fed input used as data
     * becomes an input node whose shape is the feed's. Lets ONNX's node tests, whose weights are graph
     * inputs, run on graphs whose weights must be constants. */
    const sr_onnx_tensor *feeds;
    int n_feeds;
} sr_onnx_options;

/* Where the ONNX graph's inputs and outputs ended up in the sr_graph. */
typedef struct sr_onnx_io {
    int n_inputs; /* input nodes created (graph inputs that are not initializers / not folded feeds) */
    int input_ids[SR_ONNX_MAX_IO];
    char input_names[SR_ONNX_MAX_IO][SR_ONNX_IO_NAME_MAX];
    int n_outputs;
    int output_ids[SR_ONNX_MAX_IO]; /* node holding each graph output */
    char output_names[SR_ONNX_MAX_IO][SR_ONNX_IO_NAME_MAX];
} sr_onnx_io;

/* Loads the ONNX model at path into a new inferred graph *g and weights *w (caller frees both:
 * sr_weights_free(*w) before sr_graph_free(*g), the weights borrow the graph). The graph output
 * (sr_graph_output) is the model's first output. On error *g and *w stay NULL and err (may be NULL)
 * gets a message naming the file, and the node and operator where relevant. */
sr_status sr_onnx_load(const char *path, sr_graph **g, sr_weights **w, char *err, size_t err_size);

/* sr_onnx_load with options (NULL: none) and the input/output map written to *io (may be NULL). */
sr_status sr_onnx_load_ex(const char *path, const sr_onnx_options *opt, sr_graph **g, sr_weights **w,
                          sr_onnx_io *io, char *err, size_t err_size);

#endif
