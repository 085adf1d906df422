/* sr_train_kernels.h: the backward (gradient) kernels and the optimiser step simrun trains with.
 *
 * Each backward kernel takes the gradient of a scalar loss L with respect to a layer's output (dout)
 * and returns the gradients with respect to its input and parameters. Layouts are those of the
 * forward kernels (sr_kernels.h): NCHW, batch-major, weights W[out_c][in_c][k_h][k_w] for convolutions
 * and W[out][in] for dense layers. Parameter gradients (dW, db) are ACCUMULATED (+=), so a caller
 * zeroes them once per mini-batch; input gradients (din, dx) are OVERWRITTEN. Convolutions and dense
 * layers go through cblas_sgemm like the forward pass (deterministic with OpenBLAS single-threaded);
 * tests/kernels/test_train.c checks every kernel against central-difference gradients.
 * All pointers are borrowed. */
#ifndef SR_TRAIN_KERNELS_H
#define SR_TRAIN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "sr_kernels.h"

/* Floats of workspace sr_conv2d_bwd needs for geometry p (groups = 1, dilation 1):
 * 2 * in_c*k_h*k_w * out_h*out_w (one image's column matrix and its gradient). */
size_t sr_conv2d_bwd_workspace_floats(const sr_win2d *p);

/* Backward of an ungrouped, undilated convolution (p->dil_h = p->dil_w = 1; pads >= 0) over p->n images.
 * in: n x in_c x in_h x in_w (the forward input); W: out_c x in_c x k_h x k_w; dout: n x out_c x out_h x out_w.
 * dW (out_c*in_c*k_h*k_w) and db (out_c, may be NULL) are accumulated; din (like in, may be NULL when
 * the input gradient is not needed, e.g. a first or frozen layer) is overwritten.
 * ws: sr_conv2d_bwd_workspace_floats(p) floats. */
void sr_conv2d_bwd(const sr_win2d *p, const float *in, const float *W, const float *dout, float *dW, float *db,
                   float *din, float *ws);

/* Backward of sr_fc over all out_features: x [n][in], W [out][in], dy [n][out].
 * dW [out][in] and db [out] (may be NULL) accumulated; dx [n][in] (may be NULL) overwritten. */
void sr_fc_bwd(int n, int in_features, int out_features, const float *x, const float *W, const float *dy,
               float *dW, float *db, float *dx);

/* Backward of sr_maxpool2d: each output gradient goes to the input element its window selected, found
 * with the forward kernel's scan (row-major, the first of equal maxima wins); padding is never selected.
 * in: the forward input; dout: n x c x out_h x out_w; din (like in) overwritten. */
void sr_maxpool2d_bwd(const sr_win2d *p, const float *in, const float *dout, float *din);

/* Backward of sr_relu from its OUTPUT y: dx = y > 0 ? dy : 0 (dx may equal dy). */
void sr_relu_bwd(int64_t count, const float *y, const float *dy, float *dx);

/* Softmax cross-entropy over n rows of k logits with integer labels in [0, k): returns the mean loss
 * -1/n sum log softmax(z)[label] (accumulated in double, max-subtracted). prob [n][k] (may be NULL)
 * gets the softmax; dlogits [n][k] (may be NULL) gets the gradient of the mean loss, (p - onehot)/n. */
double sr_softmax_xent(int n, int k, const float *logits, const int *labels, float *prob, float *dlogits);

/* One SGD step with momentum and L2 weight decay over count parameters (Caffe's rule):
 * v = momentum*v - lr*(g + decay*w); w = w + v. */
void sr_sgd_momentum(int64_t count, float lr, float momentum, float decay, float *w, const float *g, float *v);

#endif
