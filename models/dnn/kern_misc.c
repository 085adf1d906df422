/* kern_misc.c: dense, element-wise, broadcasting, concat, softmax and darknet reorg kernels. */
/* Compiled at -O3 -ffp-contract=off (models/dnn/CMakeLists.txt): the loops vectorise, results stay
 * bit-identical run to run (no reassociation, no FMA contraction). */

#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "sr_kernels.h"

void sr_fc(int n, int in_features, int out_features, const float *x, const float *W, const float *b, int o0,
           int o1, float *y)
{
    assert(0 <= o0 && o0 <= o1 && o1 <= out_features);
    (void)out_features;
    const int m = o1 - o0;
    if (m == 0 || n == 0)
        return;
    for (int r = 0; r < n; r++)
        for (int o = 0; o < m; o++)
            y[(int64_t)r * m + o] = b ? b[o0 + o] : 0.0f;
    if (in_features == 0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, in_features, 1.0f, x, in_features,
                W + (int64_t)o0 * in_features, in_features, 1.0f, y, m);
}

void sr_matmul(int m, int n, int k, const float *A, const float *B, float *C)
{
    if (m == 0 || n == 0)
        return;
    if (k == 0) {
        memset(C, 0, sizeof(float) * (size_t)m * (size_t)n);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, A, k, B, n, 0.0f, C, n);
}

void sr_batchnorm(int n, int c, int64_t hw, const float *in, const float *scale, const float *shift,
                  const float *mean, const float *var, float eps, float *out)
{
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++) {
            float a = scale[ch] / sqrtf(var[ch] + eps);
            float s = shift[ch] - a * mean[ch];
            const float *src = in + ((int64_t)b * c + ch) * hw;
            float *dst = out + ((int64_t)b * c + ch) * hw;
            for (int64_t i = 0; i < hw; i++)
                dst[i] = a * src[i] + s;
        }
}

void sr_relu(int64_t count, const float *in, float *out)
{
    for (int64_t i = 0; i < count; i++)
        out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}

void sr_relu6(int64_t count, const float *in, float *out)
{
    for (int64_t i = 0; i < count; i++) {
        float v = in[i] > 0.0f ? in[i] : 0.0f;
        out[i] = v < 6.0f ? v : 6.0f;
    }
}

void sr_leaky_relu(int64_t count, float alpha, const float *in, float *out)
{
    for (int64_t i = 0; i < count; i++) {
        const float v = in[i], m = alpha * v; /* unconditional, so the loop vectorises */
        out[i] = v > 0.0f ? v : m;
    }
}

void sr_clip(int64_t count, float lo, float hi, const float *in, float *out)
{
    for (int64_t i = 0; i < count; i++) {
        float v = in[i] < lo ? lo : in[i];
        out[i] = v > hi ? hi : v;
    }
}

void sr_sigmoid(int64_t count, const float *in, float *out)
{
    for (int64_t i = 0; i < count; i++)
        out[i] = 1.0f / (1.0f + expf(-in[i]));
}

sr_status sr_add_broadcast(const float *a, int a_rank, const int64_t *a_d, const float *b, int b_rank,
                           const int64_t *b_d, float *out, int out_rank, const int64_t *out_d)
{
    enum { R = 6 };
    int64_t od[R], as[R], bs[R];
    if (a_rank > R || b_rank > R || out_rank > R || out_rank < a_rank || out_rank < b_rank)
        return SR_ERR_SHAPE;
    /* Right-align into R dims; strides of broadcast dims are 0. */
    int64_t sa = 1, sb = 1;
    for (int i = R - 1; i >= 0; i--) {
        int oi = i - (R - out_rank), ai = i - (R - a_rank), bi = i - (R - b_rank);
        od[i] = oi >= 0 ? out_d[oi] : 1;
        int64_t ad = ai >= 0 ? a_d[ai] : 1, bd = bi >= 0 ? b_d[bi] : 1;
        if ((ad != od[i] && ad != 1) || (bd != od[i] && bd != 1))
            return SR_ERR_SHAPE;
        as[i] = ad == 1 ? 0 : sa;
        bs[i] = bd == 1 ? 0 : sb;
        sa *= ad;
        sb *= bd;
    }
    int64_t total = 1;
    for (int i = 0; i < R; i++)
        total *= od[i];
    if (total == 0)
        return SR_OK;
    const int64_t inner = od[R - 1], ia = as[R - 1], ib = bs[R - 1];
    int64_t idx[R] = {0};
    int64_t pos = 0;
    while (pos < total) {
        int64_t offa = 0, offb = 0;
        for (int i = 0; i < R - 1; i++) {
            offa += idx[i] * as[i];
            offb += idx[i] * bs[i];
        }
        const float *pa = a + offa, *pb = b + offb;
        float *po = out + pos;
        if (ia == 1 && ib == 1)
            for (int64_t j = 0; j < inner; j++)
                po[j] = pa[j] + pb[j];
        else
            for (int64_t j = 0; j < inner; j++)
                po[j] = pa[j * ia] + pb[j * ib];
        pos += inner;
        for (int i = R - 2; i >= 0; i--) {
            if (++idx[i] < od[i])
                break;
            idx[i] = 0;
        }
    }
    return SR_OK;
}

void sr_concat(int n_in, const float *const *in, const int64_t *const *dims, int rank, int axis, float *out)
{
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= dims[0][i];
    for (int i = axis + 1; i < rank; i++)
        inner *= dims[0][i];
    float *dst = out;
    for (int64_t o = 0; o < outer; o++)
        for (int t = 0; t < n_in; t++) {
            int64_t blk = dims[t][axis] * inner;
            memcpy(dst, in[t] + o * blk, sizeof(float) * (size_t)blk);
            dst += blk;
        }
}

void sr_softmax(const float *in, int rank, const int64_t *d, int axis, float *out)
{
    int64_t outer = 1, inner = 1, len = d[axis];
    for (int i = 0; i < axis; i++)
        outer *= d[i];
    for (int i = axis + 1; i < rank; i++)
        inner *= d[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *src = in + o * len * inner + j;
            float *dst = out + o * len * inner + j;
            float m = -INFINITY;
            for (int64_t a = 0; a < len; a++)
                if (src[a * inner] > m)
                    m = src[a * inner];
            float s = 0.0f;
            for (int64_t a = 0; a < len; a++) {
                float e = expf(src[a * inner] - m);
                dst[a * inner] = e;
                s += e;
            }
            for (int64_t a = 0; a < len; a++)
                dst[a * inner] /= s;
        }
}

void sr_reorg_darknet(int n, int c, int h, int w, int s, const float *in, float *out)
{
    assert(s >= 1 && c % (s * s) == 0);
    const int out_c = c / (s * s);
    const int64_t img = (int64_t)c * h * w;
    for (int b = 0; b < n; b++) {
        const float *x = in + b * img;
        float *y = out + b * img;
        for (int k = 0; k < c; k++) {
            int c2 = k % out_c, off = k / out_c;
            for (int j = 0; j < h; j++) {
                int h2 = j * s + off / s;
                for (int i = 0; i < w; i++) {
                    int w2 = i * s + off % s;
                    y[((int64_t)k * h + j) * w + i] = x[((int64_t)c2 * h * s + h2) * w * s + w2];
                }
            }
        }
    }
}
