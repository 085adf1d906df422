/* kern_pool.c: max, average and global average pooling kernels.
 *
 * Windows follow sr_win2d (sr_kernels.h). Max pooling ignores padding (PyTorch, Caffe and darknet
 * agree: darknet's maxpool pads with -inf through its offset). Average pooling takes its divisor
 * from the window clipped to the padded input (count_include_pad) or to the real input. */
/* Compiled at -O3 -ffp-contract=off (models/dnn/CMakeLists.txt): the loops vectorise, results stay
 * bit-identical run to run (no reassociation, no FMA contraction). */

#include <float.h>

#include "sr_kernels.h"

void sr_maxpool2d(const sr_win2d *p, const float *in, float *out)
{
    const int64_t in_plane = (int64_t)p->in_h * p->in_w;
    const int64_t out_plane = (int64_t)p->out_h * p->out_w;
    for (int64_t pl = 0; pl < (int64_t)p->n * p->in_c; pl++) {
        const float *src = in + pl * in_plane;
        float *dst = out + pl * out_plane;
        for (int oy = 0; oy < p->out_h; oy++) {
            int y0 = oy * p->stride_h - p->pad_top;
            int y1 = y0 + p->k_h;
            if (y0 < 0)
                y0 = 0;
            if (y1 > p->in_h)
                y1 = p->in_h;
            for (int ox = 0; ox < p->out_w; ox++) {
                int x0 = ox * p->stride_w - p->pad_left;
                int x1 = x0 + p->k_w;
                if (x0 < 0)
                    x0 = 0;
                if (x1 > p->in_w)
                    x1 = p->in_w;
                float m = -FLT_MAX;
                int any = 0;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++) {
                        float v = src[(int64_t)y * p->in_w + x];
                        if (!any || v > m)
                            m = v;
                        any = 1;
                    }
                dst[(int64_t)oy * p->out_w + ox] = any ? m : 0.0f;
            }
        }
    }
}

void sr_avgpool2d(const sr_win2d *p, int pad_end_h, int pad_end_w, int count_include_pad, const float *in,
                  float *out)
{
    const int64_t in_plane = (int64_t)p->in_h * p->in_w;
    const int64_t out_plane = (int64_t)p->out_h * p->out_w;
    for (int64_t pl = 0; pl < (int64_t)p->n * p->in_c; pl++) {
        const float *src = in + pl * in_plane;
        float *dst = out + pl * out_plane;
        for (int oy = 0; oy < p->out_h; oy++) {
            int y0 = oy * p->stride_h - p->pad_top;
            int y1 = y0 + p->k_h;
            if (y1 > pad_end_h)
                y1 = pad_end_h;
            int wy = y1 - y0;
            if (y0 < 0)
                y0 = 0;
            if (y1 > p->in_h)
                y1 = p->in_h;
            for (int ox = 0; ox < p->out_w; ox++) {
                int x0 = ox * p->stride_w - p->pad_left;
                int x1 = x0 + p->k_w;
                if (x1 > pad_end_w)
                    x1 = pad_end_w;
                int wx = x1 - x0;
                if (x0 < 0)
                    x0 = 0;
                if (x1 > p->in_w)
                    x1 = p->in_w;
                float s = 0.0f;
                for (int y = y0; y < y1; y++)
                    for (int x = x0; x < x1; x++)
                        s += src[(int64_t)y * p->in_w + x];
                int cnt = count_include_pad ? wy * wx : (y1 - y0) * (x1 - x0);
                dst[(int64_t)oy * p->out_w + ox] = cnt > 0 ? s / (float)cnt : 0.0f;
            }
        }
    }
}

void sr_global_avgpool(int n, int c, int hw, const float *in, float *out)
{
    for (int64_t pl = 0; pl < (int64_t)n * c; pl++) {
        const float *src = in + pl * hw;
        float s = 0.0f;
        for (int i = 0; i < hw; i++)
            s += src[i];
        out[pl] = hw > 0 ? s / (float)hw : 0.0f;
    }
}
