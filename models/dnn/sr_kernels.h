/* sr_kernels.h: the fp32 compute kernels of simrun's executor (NCHW, batch-major).
 *
 * Kernels work on raw arrays with explicit geometry, not on graph nodes, so the same code runs whole
 * layers (sr_exec) and tiles of layers (sr_region). All kernels are deterministic: convolutions and
 * matrix products go through cblas_sgemm with a fixed blocking, and the executor keeps OpenBLAS
 * single-threaded (sr_kernels_set_blas_threads), so the summation order never changes between runs.
 *
 * Spatial geometry (sr_win2d): output pixel (oy, ox) reads input rows oy*stride_h - pad_top + ky*dil_h
 * (columns likewise). Reads outside [0, in_h) x [0, in_w) are padding (zero for conv, ignored for
 * max pooling). pad_top / pad_left may be negative: the kernel then starts inside the given data,
 * which is how a tile reads a larger input rectangle than it needs. Bottom/right padding is implied
 * by out_h / out_w. */
#ifndef SR_KERNELS_H
#define SR_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct sr_win2d {
    int n;                   /* batch */
    int in_c, in_h, in_w;    /* input tensor actually given */
    int out_c, out_h, out_w; /* output tensor to compute */
    int k_h, k_w;
    int stride_h, stride_w;
    int dil_h, dil_w;      /* conv only; pools use 1 */
    int pad_top, pad_left; /* may be negative (see above) */
} sr_win2d;

/* Sets OpenBLAS's thread count (default used by sr_exec: 1, for bit-identical results and because
 * simulations run many processes side by side). */
void sr_kernels_set_blas_threads(int n);

/* SR_OK when the cblas_sgemm this process calls is OpenBLAS's, the library whose thread count
 * sr_kernels_set_blas_threads sets. Otherwise (another CBLAS, e.g. GSL's libgslcblas, came first on the
 * link line: other summation order, so other results) SR_ERR_UNSUPPORTED with both library paths in err
 * (may be NULL). sr_exec_create runs it. */
sr_status sr_kernels_blas_check(char *err, size_t err_size);

/* Makes sure OpenBLAS has its working buffer for the calling thread before a product needs it. OpenBLAS
 * (0.3.21) takes a 128 MiB buffer (malloc of 134221824 bytes) at a thread's first product and, when that
 * allocation fails, retries it for ever: under an address-space limit (RLIMIT_AS: `ulimit -v`, `simrun run
 * --point-memory`) that leaves less room, the process would spin instead of failing. Under a finite limit
 * this checks once per process that the room is there (one malloc of the buffer's size, freed) and then runs a
 * small product so that OpenBLAS takes its buffer now; without one it does nothing. SR_ERR_NOMEM with the
 * reason in err (may be NULL) when the room is not there. sr_exec_create runs it. */
sr_status sr_kernels_blas_reserve(char *err, size_t err_size);

/* One line for benchmark headers: the object that holds this process's cblas_sgemm, whether it is
 * OpenBLAS, and OpenBLAS's build configuration (openblas_get_config). Always NUL-terminates buf. */
void sr_kernels_blas_describe(char *buf, size_t size);

/* ---- convolution ---- */

/* Floats of im2col workspace sr_conv2d needs for geometry p with `groups` groups (0 when it needs
 * none, e.g. 1x1 stride-1 unpadded convolutions and depthwise convolutions). The workspace holds a
 * column block of at most SR_CONV_COL_BLOCK output pixels, so it stays cache-sized. */
#define SR_CONV_COL_BLOCK 1024
size_t sr_conv2d_workspace_floats(const sr_win2d *p, int groups);

/* Grouped, dilated, strided convolution; computes output channels [oc0, oc1) of a layer whose full
 * weight tensor is W [full_out_c][in_c/groups][k_h][k_w] (full_out_c = p->out_c; bias [full_out_c] or
 * NULL). out gets n x (oc1-oc0) x out_h x out_w. p->in_c is the full input channel count.
 * Depthwise (groups == in_c == out_c) uses a direct kernel; 1x1 stride-1 unpadded convolutions multiply
 * the input with cblas_sgemm; 3x3 stride-1 convolutions with >= 512 output pixels and >= 16 input channels
 * run as nine shifted 1x1 products (within the same workspace bound); the others im2col + cblas_sgemm.
 * The path and the sgemm blocking depend only on the geometry, the channel range [oc0, oc1) and whether
 * the CPU has AVX-512, never on the data.
 * ws: workspace of sr_conv2d_workspace_floats(p, groups) floats (borrowed; may be NULL when 0). */
void sr_conv2d(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias, int oc0,
               int oc1, float *out, float *ws);
/* Element-wise work fused into a convolution's output pass, applied in this order to every output
 * value y (each step exactly the expression of the stand-alone kernel, so a fused conv is
 * bit-identical to sr_conv2d followed by sr_batchnorm, sr_add_broadcast and the activation):
 *   1. batch norm (bn_scale != NULL): a = bn_scale[c] / sqrtf(bn_var[c] + bn_eps),
 *      s = bn_shift[c] - a * bn_mean[c], y = a * y + s; parameters indexed by the layer's full output
 *      channel c (like the bias);
 *   2. residual (residual != NULL): y = y + r, r from a tensor laid out like `out`
 *      (n x (oc1-oc0) x out_h x out_w);
 *   3. activation act: SR_ACT_RELU, SR_ACT_RELU6, SR_ACT_LEAKY (alpha), SR_ACT_CLIP (lo, hi).
 * The output block is still in cache when this runs, so it costs far less than separate passes.
 * All pointers borrowed. */
typedef enum { SR_ACT_NONE, SR_ACT_RELU, SR_ACT_RELU6, SR_ACT_LEAKY, SR_ACT_CLIP } sr_act;
typedef struct sr_conv_post {
    const float *bn_scale, *bn_shift, *bn_mean, *bn_var;
    float bn_eps;
    const float *residual;
    sr_act act;
    float alpha;  /* SR_ACT_LEAKY */
    float lo, hi; /* SR_ACT_CLIP */
} sr_conv_post;

/* sr_conv2d followed by the fused output pass `post` (NULL: none, same as sr_conv2d). out must not
 * overlap in, W or post->residual. */
void sr_conv2d_post(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                    int oc0, int oc1, float *out, float *ws, const sr_conv_post *post);

/* The naive 7-loop reference of sr_conv2d (all channels), for tests. */
void sr_conv2d_ref(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                   float *out);
/* Forces the im2col path for depthwise layers (tests compare it with the direct kernel).
 * ws must hold sr_conv2d_im2col_workspace_floats(p, groups). */
size_t sr_conv2d_im2col_workspace_floats(const sr_win2d *p, int groups);
void sr_conv2d_im2col(const sr_win2d *p, int groups, const float *in, const float *W, const float *bias,
                      int oc0, int oc1, float *out, float *ws);

/* ---- pooling ---- */

/* pad_end_h / pad_end_w: coordinate (in the given input's frame) where the padded input ends, i.e. the
 * true input height + bottom padding; an average window is clipped there before its divisor is taken
 * (PyTorch/Caffe/ONNX semantics; ceil-mode windows that run past it count only the part inside).
 * count_include_pad = 0 divides by the number of real input elements in the window. Channels: in_c ==
 * out_c. A max window with no real element yields 0 (cannot happen with valid geometry). */
void sr_maxpool2d(const sr_win2d *p, const float *in, float *out);
void sr_avgpool2d(const sr_win2d *p, int pad_end_h, int pad_end_w, int count_include_pad, const float *in,
                  float *out);
/* Mean over h x w for each of n*c planes: out [n][c]. */
void sr_global_avgpool(int n, int c, int hw, const float *in, float *out);

/* ---- dense ---- */

/* y[n][out] = x[n][in] . W[out][in] + b (b may be NULL). Computes rows [o0, o1) of the output features:
 * y gets n x (o1-o0). */
void sr_fc(int n, int in_features, int out_features, const float *x, const float *W, const float *b, int o0,
           int o1, float *y);
/* Row-major C[m][n] = A[m][k] . B[k][n]. */
void sr_matmul(int m, int n, int k, const float *A, const float *B, float *C);

/* ---- element-wise (out may equal in) ---- */

/* Inference batch norm over channel planes: y = scale*(x-mean)/sqrt(var+eps) + shift. */
void sr_batchnorm(int n, int c, int64_t hw, const float *in, const float *scale, const float *shift,
                  const float *mean, const float *var, float eps, float *out);
void sr_relu(int64_t count, const float *in, float *out);
void sr_relu6(int64_t count, const float *in, float *out);
void sr_leaky_relu(int64_t count, float alpha, const float *in, float *out);
void sr_clip(int64_t count, float lo, float hi, const float *in, float *out);
void sr_sigmoid(int64_t count, const float *in, float *out);

/* Element-wise sum with numpy broadcasting. Shapes are right-aligned (rank <= 6 each); out has the
 * broadcast shape out_d[0..out_rank). SR_ERR_SHAPE when they do not broadcast. */
sr_status sr_add_broadcast(const float *a, int a_rank, const int64_t *a_d, const float *b, int b_rank,
                           const int64_t *b_d, float *out, int out_rank, const int64_t *out_d);

/* Concatenation of n_in tensors of equal rank along axis (0 <= axis < rank); shapes must agree
 * elsewhere. dims[i] points at input i's rank dims. */
void sr_concat(int n_in, const float *const *in, const int64_t *const *dims, int rank, int axis, float *out);

/* Softmax along `axis` (0 <= axis < rank) of a tensor with dims d (ONNX opset 13), max-subtracted. */
void sr_softmax(const float *in, int rank, const int64_t *d, int axis, float *out);

/* Darknet reorg, forward=0 path of the original darknet (pjreddie) reorg_cpu as YOLOv2 runs it:
 * the input n x c x h x w is read as if it were n x (c/s^2) x (h*s) x (w*s) and
 * out[k][j][i] (in the input's c x h x w indexing) = x[k % (c/s^2)][j*s + (k/(c/s^2))/s][i*s +
 * (k/(c/s^2))%s]; the result is then seen as n x (c*s*s) x (h/s) x (w/s). This is NOT the textbook
 * space-to-depth; it is what pretrained YOLOv2 weights expect. Needs c % (s*s) == 0. */
void sr_reorg_darknet(int n, int c, int h, int w, int s, const float *in, float *out);

#endif
