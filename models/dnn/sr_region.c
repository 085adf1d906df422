/* sr_region.c: back-projection of output rectangles through a fused block of spatial layers, tile
 * execution with virtual padding, channel-subset execution, redundant-MAC accounting and grid
 * splitting (see sr_region.h for the contract).
 *
 * Tile execution gives every node of the block a local tensor covering exactly the rectangle it must
 * produce. A conv/pool reads its input's local tensor through sr_win2d with a local pad_top/pad_left
 * (positive only at true borders, negative when the input rectangle is larger than this consumer
 * needs), so the same kernels as the whole-layer path run on tiles. Element-wise nodes crop their
 * inputs to their own rectangle first. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_kernels.h"
#include "sr_region.h"

struct sr_region {
    const sr_graph *g;
    int first, last, in_id, count;
};

static int or1(int v)
{
    return v > 0 ? v : 1;
}

static int rect_empty(sr_rect r)
{
    return r.y1 <= r.y0 || r.x1 <= r.x0;
}

static sr_rect rect_union(sr_rect a, sr_rect b)
{
    if (rect_empty(a))
        return b;
    if (rect_empty(b))
        return a;
    sr_rect u = {a.y0 < b.y0 ? a.y0 : b.y0, a.y1 > b.y1 ? a.y1 : b.y1, a.x0 < b.x0 ? a.x0 : b.x0,
                 a.x1 > b.x1 ? a.x1 : b.x1};
    return u;
}

static sr_rect rect_clamp(sr_rect r, int h, int w)
{
    if (r.y0 < 0)
        r.y0 = 0;
    if (r.x0 < 0)
        r.x0 = 0;
    if (r.y1 > h)
        r.y1 = h;
    if (r.x1 > w)
        r.x1 = w;
    if (rect_empty(r))
        r = (sr_rect){0, 0, 0, 0};
    return r;
}

static int is_window_op(sr_op op)
{
    return op == SR_OP_CONV || op == SR_OP_MAXPOOL || op == SR_OP_AVGPOOL;
}

static int is_pointwise_op(sr_op op)
{
    return op == SR_OP_BATCHNORM || op == SR_OP_RELU || op == SR_OP_RELU6 || op == SR_OP_LEAKY_RELU ||
           op == SR_OP_CLIP || op == SR_OP_SIGMOID || op == SR_OP_DROPOUT;
}

static const sr_shape *shape_of(const sr_graph *g, int id)
{
    return &sr_graph_node(g, id)->out;
}

sr_status sr_region_create(const sr_graph *g, int first, int last, sr_region **out, char *err,
                           size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (!g || !out || first < 1 || last < first || last >= sr_graph_node_count(g))
        return SR_ERR_INVALID;
    *out = NULL;
    int in_id = -1;
    for (int id = first; id <= last; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        const char *why = NULL;
        int ax = nd->attr.axis < 0 ? nd->attr.axis + nd->out.rank : nd->attr.axis;
        if (nd->out.rank != 4)
            why = "output is not NCHW";
        else if (!is_window_op(nd->op) && !is_pointwise_op(nd->op) && nd->op != SR_OP_ADD &&
                 !(nd->op == SR_OP_CONCAT && ax == 1))
            why = "operator is not spatial";
        for (int k = 0; k < nd->n_inputs && !why; k++) {
            int p = nd->inputs[k];
            const sr_shape *ps = shape_of(g, p);
            if (ps->rank != 4)
                why = "input is not NCHW";
            else if (!is_window_op(nd->op) && (ps->d[2] != nd->out.d[2] || ps->d[3] != nd->out.d[3]))
                why = "element-wise input of a different spatial size";
            else if (p < first) {
                if (in_id >= 0 && in_id != p)
                    why = "block reads two tensors from outside";
                in_id = p;
            }
        }
        if (why) {
            if (err && err_size)
                snprintf(err, err_size, "node %d '%s' (op %s): %s", id, nd->name, sr_op_name(nd->op), why);
            return SR_ERR_UNSUPPORTED;
        }
    }
    if (in_id < 0) {
        if (err && err_size)
            snprintf(err, err_size, "block %d..%d has no input from outside", first, last);
        return SR_ERR_UNSUPPORTED;
    }
    sr_region *r = calloc(1, sizeof(*r));
    if (!r)
        return SR_ERR_NOMEM;
    r->g = g;
    r->first = first;
    r->last = last;
    r->in_id = in_id;
    r->count = last - first + 1;
    *out = r;
    return SR_OK;
}

void sr_region_free(sr_region *r)
{
    free(r);
}

int sr_region_input_id(const sr_region *r)
{
    return r ? r->in_id : -1;
}

int sr_region_node_count(const sr_region *r)
{
    return r ? r->count : 0;
}

/* Input rectangle (clamped) node nd reads from input k to produce o. */
static sr_rect back_rect(const sr_graph *g, const sr_node *nd, int k, sr_rect o)
{
    const sr_shape *is = shape_of(g, nd->inputs[k]);
    int h = (int)is->d[2], w = (int)is->d[3];
    if (rect_empty(o))
        return (sr_rect){0, 0, 0, 0};
    if (!is_window_op(nd->op))
        return rect_clamp(o, h, w);
    int sh = or1(nd->attr.stride_h), sw = or1(nd->attr.stride_w);
    int dh = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_h) : 1;
    int dw = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_w) : 1;
    sr_rect r = {o.y0 * sh - nd->attr.pad_top, (o.y1 - 1) * sh - nd->attr.pad_top + (nd->attr.kernel_h - 1) * dh + 1,
                 o.x0 * sw - nd->attr.pad_left,
                 (o.x1 - 1) * sw - nd->attr.pad_left + (nd->attr.kernel_w - 1) * dw + 1};
    return rect_clamp(r, h, w);
}

static int64_t rect_macs(const sr_graph *g, const sr_node *nd, sr_rect o)
{
    if (nd->op != SR_OP_CONV || rect_empty(o))
        return 0;
    const sr_shape *is = shape_of(g, nd->inputs[0]);
    return nd->out.d[0] * (int64_t)(o.y1 - o.y0) * (o.x1 - o.x0) * nd->out.d[1] * (is->d[1] / or1(nd->attr.groups)) *
           nd->attr.kernel_h * nd->attr.kernel_w;
}

/* Fills need[k] (rectangle node first+k produces) and *in_need. */
static void backproject(const sr_region *r, sr_rect out_rect, sr_rect *need, sr_rect *in_need)
{
    const sr_shape *os = shape_of(r->g, r->last);
    for (int k = 0; k < r->count; k++)
        need[k] = (sr_rect){0, 0, 0, 0};
    *in_need = (sr_rect){0, 0, 0, 0};
    need[r->count - 1] = rect_clamp(out_rect, (int)os->d[2], (int)os->d[3]);
    for (int k = r->count - 1; k >= 0; k--) {
        const sr_node *nd = sr_graph_node(r->g, r->first + k);
        if (rect_empty(need[k]))
            continue;
        for (int j = 0; j < nd->n_inputs; j++) {
            int p = nd->inputs[j];
            sr_rect b = back_rect(r->g, nd, j, need[k]);
            if (p == r->in_id)
                *in_need = rect_union(*in_need, b);
            else
                need[p - r->first] = rect_union(need[p - r->first], b);
        }
    }
}

sr_status sr_region_backproject(const sr_region *r, sr_rect out_rect, sr_tile_layer *layers,
                                sr_rect *input_rect)
{
    if (!r)
        return SR_ERR_INVALID;
    sr_rect *need = malloc(sizeof(sr_rect) * (size_t)r->count);
    if (!need)
        return SR_ERR_NOMEM;
    sr_rect in_need;
    backproject(r, out_rect, need, &in_need);
    if (input_rect)
        *input_rect = in_need;
    for (int k = 0; layers && k < r->count; k++) {
        const sr_node *nd = sr_graph_node(r->g, r->first + k);
        sr_tile_layer *L = &layers[k];
        memset(L, 0, sizeof(*L));
        L->id = r->first + k;
        L->out = need[k];
        L->in = back_rect(r->g, nd, 0, need[k]);
        L->macs = rect_macs(r->g, nd, need[k]);
        if (is_window_op(nd->op) && !rect_empty(need[k])) {
            const sr_shape *is = shape_of(r->g, nd->inputs[0]);
            int sh = or1(nd->attr.stride_h), sw = or1(nd->attr.stride_w);
            int dh = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_h) : 1;
            int dw = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_w) : 1;
            int ys = need[k].y0 * sh - nd->attr.pad_top, xs = need[k].x0 * sw - nd->attr.pad_left;
            int ye = (need[k].y1 - 1) * sh - nd->attr.pad_top + (nd->attr.kernel_h - 1) * dh + 1;
            int xe = (need[k].x1 - 1) * sw - nd->attr.pad_left + (nd->attr.kernel_w - 1) * dw + 1;
            L->vpad.top = ys < 0 ? -ys : 0;
            L->vpad.left = xs < 0 ? -xs : 0;
            L->vpad.bottom = ye > is->d[2] ? (int)(ye - is->d[2]) : 0;
            L->vpad.right = xe > is->d[3] ? (int)(xe - is->d[3]) : 0;
        }
    }
    free(need);
    return SR_OK;
}

static int64_t tile_macs(const sr_region *r, sr_rect out_rect, sr_rect *need)
{
    sr_rect in_need;
    backproject(r, out_rect, need, &in_need);
    int64_t m = 0;
    for (int k = 0; k < r->count; k++)
        m += rect_macs(r->g, sr_graph_node(r->g, r->first + k), need[k]);
    return m;
}

int64_t sr_region_full_macs(const sr_region *r)
{
    if (!r)
        return 0;
    sr_rect *need = malloc(sizeof(sr_rect) * (size_t)r->count);
    if (!need)
        return -1;
    const sr_shape *os = shape_of(r->g, r->last);
    int64_t m = tile_macs(r, (sr_rect){0, (int)os->d[2], 0, (int)os->d[3]}, need);
    free(need);
    return m;
}

int64_t sr_region_redundant_macs(const sr_region *r, const sr_rect *tiles, int n_tiles)
{
    if (!r || (!tiles && n_tiles > 0))
        return 0;
    sr_rect *need = malloc(sizeof(sr_rect) * (size_t)r->count);
    if (!need)
        return -1;
    int64_t sum = 0;
    for (int t = 0; t < n_tiles; t++)
        sum += tile_macs(r, tiles[t], need);
    free(need);
    return sum - sr_region_full_macs(r);
}

static int rect_contains(sr_rect outer, sr_rect inner)
{
    return rect_empty(inner) ||
           (inner.y0 >= outer.y0 && inner.y1 <= outer.y1 && inner.x0 >= outer.x0 && inner.x1 <= outer.x1);
}

/* Copies sub-rectangle dst_r of tensor (n x c over src_r) into dst. */
static void crop(const float *src, sr_rect src_r, int n, int c, sr_rect dst_r, float *dst)
{
    int sw = src_r.x1 - src_r.x0, sh = src_r.y1 - src_r.y0;
    int dw = dst_r.x1 - dst_r.x0, dh = dst_r.y1 - dst_r.y0;
    for (int64_t pl = 0; pl < (int64_t)n * c; pl++)
        for (int y = 0; y < dh; y++)
            memcpy(dst + (pl * dh + y) * dw,
                   src + (pl * sh + (y + dst_r.y0 - src_r.y0)) * sw + (dst_r.x0 - src_r.x0),
                   sizeof(float) * (size_t)dw);
}

static int64_t rect_area(sr_rect r)
{
    return rect_empty(r) ? 0 : (int64_t)(r.y1 - r.y0) * (r.x1 - r.x0);
}

sr_status sr_region_run_tile(const sr_region *r, const sr_weights *w, const float *in, sr_rect in_rect,
                             sr_rect out_rect, float *out)
{
    if (!r || !w || !in || !out)
        return SR_ERR_INVALID;
    const sr_graph *g = r->g;
    sr_status st = SR_ERR_NOMEM;
    sr_rect in_need;
    sr_rect *need = malloc(sizeof(sr_rect) * (size_t)r->count);
    float **buf = calloc((size_t)r->count, sizeof(float *));
    float *ws = NULL, *tmp[SR_MAX_INPUTS] = {0};
    if (!need || !buf)
        goto cleanup;
    backproject(r, out_rect, need, &in_need);
    st = SR_ERR_RANGE;
    if (!rect_contains(in_rect, in_need))
        goto cleanup;
    st = SR_OK;
    if (rect_empty(need[r->count - 1]))
        goto cleanup;
    st = SR_ERR_NOMEM;
    size_t ws_floats = 0;
    for (int k = 0; k < r->count; k++) {
        const sr_node *nd = sr_graph_node(g, r->first + k);
        if (rect_empty(need[k]))
            continue;
        buf[k] = malloc(sizeof(float) * (size_t)(nd->out.d[0] * nd->out.d[1] * rect_area(need[k])));
        if (!buf[k])
            goto cleanup;
        if (nd->op == SR_OP_CONV) {
            const sr_shape *is = shape_of(g, nd->inputs[0]);
            sr_win2d p = {0};
            p.in_c = (int)is->d[1];
            p.out_c = (int)nd->out.d[1];
            p.in_h = p.in_w = 2; /* stride 2: never the pointwise path, so this is the im2col bound */
            p.out_h = need[k].y1 - need[k].y0;
            p.out_w = need[k].x1 - need[k].x0;
            p.k_h = nd->attr.kernel_h;
            p.k_w = nd->attr.kernel_w;
            p.stride_h = 2;
            size_t f = sr_conv2d_im2col_workspace_floats(&p, or1(nd->attr.groups));
            if (f > ws_floats)
                ws_floats = f;
        }
    }
    if (ws_floats && !(ws = malloc(sizeof(float) * ws_floats)))
        goto cleanup;
    for (int k = 0; k < r->count; k++) {
        const sr_node *nd = sr_graph_node(g, r->first + k);
        sr_rect o = need[k];
        if (rect_empty(o))
            continue;
        const int n = (int)nd->out.d[0], oh = o.y1 - o.y0, ow = o.x1 - o.x0;
        const float *src[SR_MAX_INPUTS];
        sr_rect srect[SR_MAX_INPUTS];
        for (int j = 0; j < nd->n_inputs; j++) {
            int p = nd->inputs[j];
            src[j] = p == r->in_id ? in : buf[p - r->first];
            srect[j] = p == r->in_id ? in_rect : need[p - r->first];
            /* element-wise ops read exactly their own rectangle */
            if (!is_window_op(nd->op) && (srect[j].y0 != o.y0 || srect[j].y1 != o.y1 || srect[j].x0 != o.x0 ||
                                          srect[j].x1 != o.x1)) {
                int c = (int)shape_of(g, p)->d[1];
                tmp[j] = malloc(sizeof(float) * (size_t)(n * (int64_t)c * oh * ow));
                if (!tmp[j])
                    goto cleanup;
                crop(src[j], srect[j], n, c, o, tmp[j]);
                src[j] = tmp[j];
                srect[j] = o;
            }
        }
        const float *x = src[0];
        const sr_shape *xs = shape_of(g, nd->inputs[0]);
        const int64_t cnt = (int64_t)n * nd->out.d[1] * oh * ow;
        if (is_window_op(nd->op)) {
            sr_win2d p = {0};
            p.n = n;
            p.in_c = (int)xs->d[1];
            p.in_h = srect[0].y1 - srect[0].y0;
            p.in_w = srect[0].x1 - srect[0].x0;
            p.out_c = (int)nd->out.d[1];
            p.out_h = oh;
            p.out_w = ow;
            p.k_h = nd->attr.kernel_h;
            p.k_w = nd->attr.kernel_w;
            p.stride_h = or1(nd->attr.stride_h);
            p.stride_w = or1(nd->attr.stride_w);
            p.dil_h = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_h) : 1;
            p.dil_w = nd->op == SR_OP_CONV ? or1(nd->attr.dilation_w) : 1;
            /* local input row of output row 0 = o.y0*s - pad_top - srect.y0 */
            p.pad_top = srect[0].y0 + nd->attr.pad_top - o.y0 * p.stride_h;
            p.pad_left = srect[0].x0 + nd->attr.pad_left - o.x0 * p.stride_w;
            if (nd->op == SR_OP_CONV)
                sr_conv2d(&p, or1(nd->attr.groups), x, sr_weights_get_const(w, r->first + k, SR_PARAM_WEIGHT, NULL),
                          sr_weights_get_const(w, r->first + k, SR_PARAM_BIAS, NULL), 0, p.out_c, buf[k], ws);
            else if (nd->op == SR_OP_MAXPOOL)
                sr_maxpool2d(&p, x, buf[k]);
            else
                sr_avgpool2d(&p, (int)xs->d[2] + nd->attr.pad_bottom - srect[0].y0,
                             (int)xs->d[3] + nd->attr.pad_right - srect[0].x0, nd->attr.count_include_pad, x, buf[k]);
        } else {
            switch (nd->op) {
            case SR_OP_BATCHNORM:
                sr_batchnorm(n, (int)nd->out.d[1], (int64_t)oh * ow, x,
                             sr_weights_get_const(w, r->first + k, SR_PARAM_BN_SCALE, NULL),
                             sr_weights_get_const(w, r->first + k, SR_PARAM_BN_SHIFT, NULL),
                             sr_weights_get_const(w, r->first + k, SR_PARAM_BN_MEAN, NULL),
                             sr_weights_get_const(w, r->first + k, SR_PARAM_BN_VAR, NULL), nd->attr.eps, buf[k]);
                break;
            case SR_OP_RELU:
                sr_relu(cnt, x, buf[k]);
                break;
            case SR_OP_RELU6:
                sr_relu6(cnt, x, buf[k]);
                break;
            case SR_OP_LEAKY_RELU:
                sr_leaky_relu(cnt, nd->attr.alpha, x, buf[k]);
                break;
            case SR_OP_CLIP:
                sr_clip(cnt, nd->attr.clip_min, nd->attr.clip_max, x, buf[k]);
                break;
            case SR_OP_SIGMOID:
                sr_sigmoid(cnt, x, buf[k]);
                break;
            case SR_OP_DROPOUT:
                memcpy(buf[k], x, sizeof(float) * (size_t)cnt);
                break;
            case SR_OP_ADD: {
                int64_t ad[4], bd[4], od[4] = {n, nd->out.d[1], oh, ow};
                const sr_shape *bs = shape_of(g, nd->inputs[1]);
                for (int d = 0; d < 2; d++) {
                    ad[d] = xs->d[d];
                    bd[d] = bs->d[d];
                }
                ad[2] = bd[2] = oh;
                ad[3] = bd[3] = ow;
                if ((st = sr_add_broadcast(x, 4, ad, src[1], 4, bd, buf[k], 4, od)) != SR_OK)
                    goto cleanup;
                st = SR_ERR_NOMEM;
                break;
            }
            case SR_OP_CONCAT: {
                int64_t dims[SR_MAX_INPUTS][4];
                const int64_t *dp[SR_MAX_INPUTS];
                for (int j = 0; j < nd->n_inputs; j++) {
                    const sr_shape *s = shape_of(g, nd->inputs[j]);
                    dims[j][0] = n;
                    dims[j][1] = s->d[1];
                    dims[j][2] = oh;
                    dims[j][3] = ow;
                    dp[j] = dims[j];
                }
                sr_concat(nd->n_inputs, src, dp, 4, 1, buf[k]);
                break;
            }
            default:
                assert(0 && "checked in sr_region_create");
                break;
            }
        }
        for (int j = 0; j < SR_MAX_INPUTS; j++) {
            free(tmp[j]);
            tmp[j] = NULL;
        }
    }
    memcpy(out, buf[r->count - 1],
           sizeof(float) * (size_t)(shape_of(g, r->last)->d[0] * shape_of(g, r->last)->d[1] *
                                    rect_area(need[r->count - 1])));
    st = SR_OK;
cleanup:
    for (int j = 0; j < SR_MAX_INPUTS; j++)
        free(tmp[j]);
    if (buf)
        for (int k = 0; k < r->count; k++)
            free(buf[k]);
    free(buf);
    free(need);
    free(ws);
    return st;
}

sr_status sr_region_run_channels(const sr_graph *g, const sr_weights *w, int id, const float *in, int c0,
                                 int c1, float *out)
{
    const sr_node *nd = g ? sr_graph_node(g, id) : NULL;
    if (!nd || !w || !in || !out || nd->n_inputs < 1)
        return SR_ERR_INVALID;
    const sr_shape *xs = shape_of(g, nd->inputs[0]);
    const float *W = sr_weights_get_const(w, id, SR_PARAM_WEIGHT, NULL);
    const float *B = sr_weights_get_const(w, id, SR_PARAM_BIAS, NULL);
    if (nd->op == SR_OP_FC) {
        int of = nd->attr.out_channels;
        if (c0 < 0 || c1 > of || c0 > c1 || !W)
            return SR_ERR_RANGE;
        int nb = (int)xs->d[0];
        sr_fc(nb, (int)(sr_shape_numel(xs) / nb), of, in, W, B, c0, c1, out);
        return SR_OK;
    }
    if (nd->op != SR_OP_CONV || xs->rank != 4 || !W)
        return SR_ERR_UNSUPPORTED;
    if (c0 < 0 || c1 > nd->out.d[1] || c0 > c1)
        return SR_ERR_RANGE;
    sr_win2d p = {0};
    p.n = (int)xs->d[0];
    p.in_c = (int)xs->d[1];
    p.in_h = (int)xs->d[2];
    p.in_w = (int)xs->d[3];
    p.out_c = (int)nd->out.d[1];
    p.out_h = (int)nd->out.d[2];
    p.out_w = (int)nd->out.d[3];
    p.k_h = nd->attr.kernel_h;
    p.k_w = nd->attr.kernel_w;
    p.stride_h = or1(nd->attr.stride_h);
    p.stride_w = or1(nd->attr.stride_w);
    p.dil_h = or1(nd->attr.dilation_h);
    p.dil_w = or1(nd->attr.dilation_w);
    p.pad_top = nd->attr.pad_top;
    p.pad_left = nd->attr.pad_left;
    size_t wsf = sr_conv2d_workspace_floats(&p, or1(nd->attr.groups));
    float *ws = wsf ? malloc(sizeof(float) * wsf) : NULL;
    if (wsf && !ws)
        return SR_ERR_NOMEM;
    sr_conv2d(&p, or1(nd->attr.groups), in, W, B, c0, c1, out, ws);
    free(ws);
    return SR_OK;
}

sr_status sr_split_extent(int extent, int n, const double *weights, int *bounds)
{
    if (n < 1 || extent < 0 || !bounds)
        return SR_ERR_INVALID;
    double total = 0;
    for (int i = 0; i < n; i++) {
        double wi = weights ? weights[i] : 1.0;
        if (!(wi >= 0) || !isfinite(wi))
            return SR_ERR_INVALID;
        total += wi;
    }
    if (!(total > 0))
        return SR_ERR_INVALID;
    double cum = 0;
    bounds[0] = 0;
    for (int i = 1; i < n; i++) {
        cum += weights ? weights[i - 1] : 1.0;
        int b = (int)llround((double)extent * cum / total);
        bounds[i] = b < bounds[i - 1] ? bounds[i - 1] : b > extent ? extent : b;
    }
    bounds[n] = extent;
    return SR_OK;
}

sr_status sr_grid_rects(int h, int w, int rows, int cols, const double *row_w, const double *col_w,
                        sr_rect *tiles)
{
    if (rows < 1 || cols < 1 || !tiles)
        return SR_ERR_INVALID;
    int *rb = malloc(sizeof(int) * (size_t)(rows + 1)), *cb = malloc(sizeof(int) * (size_t)(cols + 1));
    sr_status st = SR_ERR_NOMEM;
    if (rb && cb && (st = sr_split_extent(h, rows, row_w, rb)) == SR_OK &&
        (st = sr_split_extent(w, cols, col_w, cb)) == SR_OK)
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                tiles[i * cols + j] = (sr_rect){rb[i], rb[i + 1], cb[j], cb[j + 1]};
    free(rb);
    free(cb);
    return st;
}
