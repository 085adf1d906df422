/* sr_train.h: a small sequential network that simrun trains for real (conv, ReLU, max pool, dense,
 * softmax cross-entropy; mini-batch SGD with momentum).
 *
 * This is the learning side of In-situ AI: the inference model that a node runs is trained from
 * scratch, updated stage by stage as data arrives, and partly frozen for transfer learning
 * (sr_tnet_freeze_below). It is deliberately separate from sr_graph (which describes inference
 * graphs of any size for pricing): a training net owns its weights, gradients, momentum and
 * activation buffers, sized once for a maximum batch at creation, so a training step allocates
 * nothing. All arithmetic is fp32 on the kernels of sr_kernels.h / sr_train_kernels.h; with OpenBLAS
 * single-threaded the same seed gives the same weights bit for bit. */
#ifndef SR_TRAIN_H
#define SR_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef enum { SR_TL_CONV, SR_TL_RELU, SR_TL_MAXPOOL, SR_TL_FC } sr_tl_kind;

/* One layer. conv: out = output channels, k x k kernel, stride, zero padding pad (all sides);
 * maxpool: k x k window, stride, no padding; fc: out = output features (the input is flattened);
 * relu: no fields. The last layer must be fc: its outputs are the class logits. */
typedef struct sr_tl_spec {
    sr_tl_kind kind;
    int out, k, stride, pad;
} sr_tl_spec;

typedef struct sr_sgd_params {
    float lr, momentum, decay;
} sr_sgd_params;

typedef struct sr_tnet sr_tnet;

/* Named architectures: "lenet5" (conv 6@5x5 pad 2, ReLU, pool 2, conv 16@5x5, ReLU, pool 2, fc 120,
 * ReLU, fc 84, ReLU, fc 10; LeCun et al. 1998 with ReLU and max pooling) for 1 x 28 x 28 inputs.
 * *spec points at a static table. SR_ERR_NOT_FOUND for other names. */
sr_status sr_tnet_preset(const char *name, const sr_tl_spec **spec, int *n_layers);

/* Builds a net for inputs in_c x in_h x in_w and batches of at most max_batch, checks the shapes
 * (SR_ERR_SHAPE with the layer in err when a window does not fit), weights zero until sr_tnet_init.
 * *out: caller frees with sr_tnet_free. spec is copied. */
sr_status sr_tnet_create(const sr_tl_spec *spec, int n_layers, int in_c, int in_h, int in_w, int max_batch,
                         sr_tnet **out, char *err, size_t err_size);
void sr_tnet_free(sr_tnet *net);

/* He-normal weights (std sqrt(2 / fan_in)) from a GSL mt19937 stream seeded with seed, zero biases,
 * zero momentum; every layer trainable again. */
void sr_tnet_init(sr_tnet *net, unsigned long seed);
/* Zeroes the momentum of every layer (a new fine-tuning job starts from rest). */
void sr_tnet_zero_momentum(sr_tnet *net);
/* Copies weights (not momentum) from src, which must have the same layers and input (SR_ERR_SHAPE). */
sr_status sr_tnet_copy_weights(sr_tnet *dst, const sr_tnet *src);

int sr_tnet_n_layers(const sr_tnet *net);
int sr_tnet_classes(const sr_tnet *net);
int64_t sr_tnet_input_floats(const sr_tnet *net); /* per image */
/* Parameters (weights + biases) of layers [first, n_layers). */
int64_t sr_tnet_param_count(const sr_tnet *net, int first);
/* Forward multiply-accumulates of layer i for one image (conv and fc; 0 for relu and pool). */
int64_t sr_tnet_layer_macs(const sr_tnet *net, int i);
/* Multiply-accumulates of one training image (forward, loss and backward) with layers below first frozen:
 * the forward MACs of every layer, plus for each trainable conv/fc layer its forward MACs again for the
 * weight gradient and once more for the input gradient unless it is the first trainable layer (nothing
 * below needs it). */
int64_t sr_tnet_train_macs(const sr_tnet *net, int first);
/* Layer i's weights and biases and their gradients (from the last sr_tnet_gradients), borrowed;
 * counts 0 and pointers NULL for relu and pool layers. For tests and checkpoints. */
void sr_tnet_layer_params(sr_tnet *net, int i, float **W, float **b, float **dW, float **db, int64_t *nW,
                          int64_t *nb);

/* Layers below first_trainable keep their weights in sr_tnet_train_step and get no gradients (the
 * backward pass stops at first_trainable): transfer learning of the last layers. 0 trains all. */
void sr_tnet_freeze_below(sr_tnet *net, int first_trainable);

/* Forward pass of n <= max_batch images x [n][input_floats]; returns the logits [n][classes], borrowed
 * until the next call on net. */
const float *sr_tnet_forward(sr_tnet *net, const float *x, int n);
/* Forward, loss (mean softmax cross-entropy, returned) and backward: fills the gradients of the
 * trainable layers. labels in [0, classes). */
double sr_tnet_gradients(sr_tnet *net, const float *x, const int *labels, int n);
/* sr_tnet_gradients followed by one SGD-with-momentum step of the trainable layers; returns the loss. */
double sr_tnet_train_step(sr_tnet *net, const float *x, const int *labels, int n, const sr_sgd_params *opt);

/* Class and softmax confidence (its largest probability) of n images (any n; run in batches). pred
 * and conf (may be NULL) have n entries. */
void sr_tnet_predict(sr_tnet *net, const float *x, int64_t n, int *pred, float *conf);

/* One pass over the images order[0..count) (indices into x / labels) in mini-batches of batch
 * (<= max_batch; the last one may be smaller). *mean_loss (may be NULL): the mean of the batch losses
 * weighted by batch size. SR_ERR_NOMEM when its staging buffer cannot be had (weights untouched). */
sr_status sr_tnet_train_epoch(sr_tnet *net, const float *x, const int *labels, const int64_t *order,
                              int64_t count, int batch, const sr_sgd_params *opt, double *mean_loss);

/* Fraction of images [0, count) classified as their label; *mean_loss (may be NULL) their mean loss. */
double sr_tnet_accuracy(sr_tnet *net, const float *x, const int *labels, int64_t count, double *mean_loss);

#endif
