/* kern_pool.c: max, average and global average pooling kernels.
 *
 * Windows follow sr_win2d (sr_kernels.h). Max pooling ignores padding (PyTorch, Caffe and darknet
 * agree: darknet's maxpool pads with -inf through its offset). Average pooling takes its divisor
 * from the window clipped to the padded input (count_include_pad) or to the real input. Max pooling
 * runs the columns whose windows lie inside the input as vector loops over output columns (one tap
 * at a time, in the scan order of a single window, so the result is the same bits as the per-window
 * scan used at the edges: ResNet-50's 3x3/2 pool 0.9 -> 0.4 ms). */
/* Compiled at -O3 -ffp-contract=off (models/dnn/CMakeLists.txt): the loops vectorise, results stay
 * bit-identical run to run (no reassociation, no FMA contraction). */

#include <float.h>

#include "sr_kernels.h"

/* One max window, scanned in (y, x) order: the first value, then each later value v replaces the
 * running maximum m when v > m (so a NaN counts only as the first value, and of equal values the
 * first one wins). */
static float max_window(const sr_win2d *p, const float *src, int oy, int ox)
{
    int y0 = oy * p->stride_h - p->pad_top, y1 = y0 + p->k_h;
    int x0 = ox * p->stride_w - p->pad_left, x1 = x0 + p->k_w;
    y0 = y0 < 0 ? 0 : y0;
    y1 = y1 > p->in_h ? p->in_h : y1;
    x0 = x0 < 0 ? 0 : x0;
    x1 = x1 > p->in_w ? p->in_w : x1;
    float m = -FLT_MAX;
    int any = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            float v = src[(int64_t)y * p->in_w + x];
            if (!any || v > m) m = v;
            any = 1;
        }
    return any ? m : 0.0f;
}

/* Output columns [xa, xb) of one output row whose windows lie inside the input (rows too): the same
 * scan as max_window, for all columns at once so that the loops over ox vectorise (v > m ? v : m is
 * exactly maxps). row0 points at input row y0 of the window, column 0. */
static void max_row_inner(const sr_win2d *p, const float *row0, float *restrict d, int xa, int xb)
{
    const int s = p->stride_w, pl = p->pad_left;
    for (int ox = xa; ox < xb; ox++)
        d[ox] = row0[(int64_t)ox * s - pl];
    for (int ky = 0; ky < p->k_h; ky++) {
        const float *restrict r = row0 + (int64_t)ky * p->in_w - pl;
        for (int kx = ky == 0 ? 1 : 0; kx < p->k_w; kx++) {
            if (s == 1)
                for (int ox = xa; ox < xb; ox++) {
                    const float v = r[ox + kx], m = d[ox];
                    d[ox] = v > m ? v : m;
                }
            else if (s == 2)
                for (int ox = xa; ox < xb; ox++) {
                    const float v = r[2 * (int64_t)ox + kx], m = d[ox];
                    d[ox] = v > m ? v : m;
                }
            else
                for (int ox = xa; ox < xb; ox++) {
                    const float v = r[(int64_t)ox * s + kx], m = d[ox];
                    d[ox] = v > m ? v : m;
                }
        }
    }
}

void sr_maxpool2d(const sr_win2d *p, const float *in, float *out)
{
    const int64_t in_plane = (int64_t)p->in_h * p->in_w;
    const int64_t out_plane = (int64_t)p->out_h * p->out_w;
    /* output columns whose windows are inside [0, in_w): ox*s - pl >= 0 and ox*s - pl + k_w <= in_w */
    const int s = p->stride_w, pl = p->pad_left;
    int xa = pl > 0 ? (pl + s - 1) / s : 0;
    int xb = p->in_w - p->k_w + pl < 0 ? 0 : (p->in_w - p->k_w + pl) / s + 1;
    xa = xa > p->out_w ? p->out_w : xa;
    xb = xb > p->out_w ? p->out_w : xb < xa ? xa : xb;
    for (int64_t pl_i = 0; pl_i < (int64_t)p->n * p->in_c; pl_i++) {
        const float *src = in + pl_i * in_plane;
        float *dst = out + pl_i * out_plane;
        for (int oy = 0; oy < p->out_h; oy++) {
            float *d = dst + (int64_t)oy * p->out_w;
            const int y0 = oy * p->stride_h - p->pad_top;
            if (y0 < 0 || y0 + p->k_h > p->in_h || xb <= xa) {
                for (int ox = 0; ox < p->out_w; ox++)
                    d[ox] = max_window(p, src, oy, ox);
                continue;
            }
            for (int ox = 0; ox < xa; ox++)
                d[ox] = max_window(p, src, oy, ox);
            max_row_inner(p, src + (int64_t)y0 * p->in_w, d, xa, xb);
            for (int ox = xb; ox < p->out_w; ox++)
                d[ox] = max_window(p, src, oy, ox);
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
            if (y1 > pad_end_h) y1 = pad_end_h;
            int wy = y1 - y0;
            if (y0 < 0) y0 = 0;
            if (y1 > p->in_h) y1 = p->in_h;
            for (int ox = 0; ox < p->out_w; ox++) {
                int x0 = ox * p->stride_w - p->pad_left;
                int x1 = x0 + p->k_w;
                if (x1 > pad_end_w) x1 = pad_end_w;
                int wx = x1 - x0;
                if (x0 < 0) x0 = 0;
                if (x1 > p->in_w) x1 = p->in_w;
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
