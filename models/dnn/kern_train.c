/* kern_train.c: backward kernels (conv, dense, max pool, ReLU, softmax cross-entropy) and SGD with momentum.
 *
 * Convolution gradients work one image at a time on its column matrix (im2col, K = in_c*k_h*k_w rows,
 * P = out_h*out_w columns): dW += dout_n . col^T and dcol = W^T . dout_n by cblas_sgemm, then col2im
 * adds dcol back onto the input positions it was read from. Contracts in sr_train_kernels.h. */
/* Compiled at -O3 -ffp-contract=off (models/dnn/CMakeLists.txt): the loops vectorise, results stay
 * bit-identical run to run (no reassociation, no FMA contraction). */

#include <assert.h>
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "sr_train_kernels.h"

size_t sr_conv2d_bwd_workspace_floats(const sr_win2d *p)
{
    return 2u * (size_t)p->in_c * (size_t)p->k_h * (size_t)p->k_w * (size_t)p->out_h * (size_t)p->out_w;
}

/* col[(c*k_h + ky)*k_w + kx][oy*out_w + ox] = x[c][oy*s - pt + ky][ox*s - pl + kx], 0 outside. */
static void im2col(const sr_win2d *p, const float *x, float *col)
{
    const int64_t P = (int64_t)p->out_h * p->out_w;
    for (int c = 0; c < p->in_c; c++)
        for (int ky = 0; ky < p->k_h; ky++)
            for (int kx = 0; kx < p->k_w; kx++) {
                float *row = col + (((int64_t)c * p->k_h + ky) * p->k_w + kx) * P;
                for (int oy = 0; oy < p->out_h; oy++) {
                    const int y = oy * p->stride_h - p->pad_top + ky;
                    float *dst = row + (int64_t)oy * p->out_w;
                    if (y < 0 || y >= p->in_h) {
                        memset(dst, 0, sizeof(float) * (size_t)p->out_w);
                        continue;
                    }
                    const float *src = x + ((int64_t)c * p->in_h + y) * p->in_w;
                    for (int ox = 0; ox < p->out_w; ox++) {
                        const int xx = ox * p->stride_w - p->pad_left + kx;
                        dst[ox] = (xx >= 0 && xx < p->in_w) ? src[xx] : 0.0f;
                    }
                }
            }
}

/* The adjoint of im2col: dx (zeroed here) gets the sum of every column entry read from each position. */
static void col2im(const sr_win2d *p, const float *col, float *dx)
{
    const int64_t P = (int64_t)p->out_h * p->out_w;
    memset(dx, 0, sizeof(float) * (size_t)p->in_c * (size_t)p->in_h * (size_t)p->in_w);
    for (int c = 0; c < p->in_c; c++)
        for (int ky = 0; ky < p->k_h; ky++)
            for (int kx = 0; kx < p->k_w; kx++) {
                const float *row = col + (((int64_t)c * p->k_h + ky) * p->k_w + kx) * P;
                for (int oy = 0; oy < p->out_h; oy++) {
                    const int y = oy * p->stride_h - p->pad_top + ky;
                    if (y < 0 || y >= p->in_h)
                        continue;
                    const float *src = row + (int64_t)oy * p->out_w;
                    float *dst = dx + ((int64_t)c * p->in_h + y) * p->in_w;
                    for (int ox = 0; ox < p->out_w; ox++) {
                        const int xx = ox * p->stride_w - p->pad_left + kx;
                        if (xx >= 0 && xx < p->in_w)
                            dst[xx] += src[ox];
                    }
                }
            }
}

void sr_conv2d_bwd(const sr_win2d *p, const float *in, const float *W, const float *dout, float *dW, float *db,
                   float *din, float *ws)
{
    assert(p->dil_h == 1 && p->dil_w == 1 && p->pad_top >= 0 && p->pad_left >= 0);
    const int M = p->out_c;
    const int K = p->in_c * p->k_h * p->k_w;
    const int P = p->out_h * p->out_w;
    const int64_t in_sz = (int64_t)p->in_c * p->in_h * p->in_w, out_sz = (int64_t)M * P;
    float *col = ws, *dcol = ws + (size_t)K * (size_t)P;
    for (int b = 0; b < p->n; b++) {
        const float *x = in + b * in_sz, *g = dout + b * out_sz;
        if (db)
            for (int m = 0; m < M; m++) {
                double s = 0.0;
                for (int i = 0; i < P; i++)
                    s += g[(int64_t)m * P + i];
                db[m] += (float)s;
            }
        im2col(p, x, col);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, K, P, 1.0f, g, P, col, P, 1.0f, dW, K);
        if (din) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, M, 1.0f, W, K, g, P, 0.0f, dcol, P);
            col2im(p, dcol, din + b * in_sz);
        }
    }
}

void sr_fc_bwd(int n, int in_features, int out_features, const float *x, const float *W, const float *dy,
               float *dW, float *db, float *dx)
{
    if (n == 0)
        return;
    if (db)
        for (int o = 0; o < out_features; o++) {
            double s = 0.0;
            for (int r = 0; r < n; r++)
                s += dy[(int64_t)r * out_features + o];
            db[o] += (float)s;
        }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out_features, in_features, n, 1.0f, dy, out_features, x,
                in_features, 1.0f, dW, in_features);
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in_features, out_features, 1.0f, dy,
                    out_features, W, in_features, 0.0f, dx, in_features);
}

void sr_maxpool2d_bwd(const sr_win2d *p, const float *in, const float *dout, float *din)
{
    const int64_t plane_in = (int64_t)p->in_h * p->in_w, plane_out = (int64_t)p->out_h * p->out_w;
    memset(din, 0, sizeof(float) * (size_t)((int64_t)p->n * p->in_c * plane_in));
    for (int64_t pl = 0; pl < (int64_t)p->n * p->in_c; pl++) {
        const float *src = in + pl * plane_in;
        float *dst = din + pl * plane_in;
        const float *g = dout + pl * plane_out;
        for (int oy = 0; oy < p->out_h; oy++)
            for (int ox = 0; ox < p->out_w; ox++) {
                int y0 = oy * p->stride_h - p->pad_top, y1 = y0 + p->k_h;
                int x0 = ox * p->stride_w - p->pad_left, x1 = x0 + p->k_w;
                y0 = y0 < 0 ? 0 : y0;
                y1 = y1 > p->in_h ? p->in_h : y1;
                x0 = x0 < 0 ? 0 : x0;
                x1 = x1 > p->in_w ? p->in_w : x1;
                int64_t arg = -1;
                float m = -FLT_MAX;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) {
                        const int64_t i = (int64_t)y * p->in_w + x;
                        if (arg < 0 || src[i] > m) {
                            m = src[i];
                            arg = i;
                        }
                    }
                if (arg >= 0)
                    dst[arg] += g[(int64_t)oy * p->out_w + ox];
            }
    }
}

void sr_relu_bwd(int64_t count, const float *y, const float *dy, float *dx)
{
    for (int64_t i = 0; i < count; i++)
        dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

double sr_softmax_xent(int n, int k, const float *logits, const int *labels, float *prob, float *dlogits)
{
    double loss = 0.0;
    for (int r = 0; r < n; r++) {
        const float *z = logits + (int64_t)r * k;
        double mx = z[0];
        for (int j = 1; j < k; j++)
            mx = z[j] > mx ? z[j] : mx;
        double sum = 0.0;
        for (int j = 0; j < k; j++)
            sum += exp((double)z[j] - mx);
        const double lse = mx + log(sum);
        assert(labels[r] >= 0 && labels[r] < k);
        loss += lse - (double)z[labels[r]];
        for (int j = 0; j < k; j++) {
            const double pj = exp((double)z[j] - lse);
            if (prob)
                prob[(int64_t)r * k + j] = (float)pj;
            if (dlogits)
                dlogits[(int64_t)r * k + j] = (float)((pj - (j == labels[r] ? 1.0 : 0.0)) / n);
        }
    }
    return n > 0 ? loss / n : 0.0;
}

void sr_sgd_momentum(int64_t count, float lr, float momentum, float decay, float *w, const float *g, float *v)
{
    for (int64_t i = 0; i < count; i++) {
        const float step = g[i] + decay * w[i];
        v[i] = momentum * v[i] - lr * step;
        w[i] = w[i] + v[i];
    }
}
