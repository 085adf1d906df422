/* sr_exact.c: exact mode's per-frame computation (sr_exact.h): video frame -> model input -> full forward
 * (reference and split activation) -> codec encode/decode -> tail forward -> output comparison. */
#include "sr_exact.h"

#include "sr_plan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_exec.h"
#include "sr_region.h"
#include "video.h"

struct sr_exact {
    const sr_graph *g;
    int split, last;
    int mc, mh, mw;   /* model input */
    int fw, fh;       /* frame */
    sr_exec *full;    /* whole model, keeps the split activation */
    sr_graph *tail_g; /* nodes after the split (NULL when no split or the split is the last node) */
    sr_weights *tail_w;
    sr_exec *tail;
    int shared;      /* the executors and tail belong to another object (sr_exact_clone) */
    int ac, ah, aw;  /* codec geometry of the split activation */
    char *pipeline;  /* owned copy, or NULL */
    sr_codec *codec; /* NULL: the activation crosses as it is */
    int64_t act_n, out_n;
    float *decoded; /* decoded activation (act_n) */
    sr_video *video;
    uint8_t *rgb, *rgb_model, *planes;
    const sr_weights *w; /* borrowed */
    float **pbuf;        /* partitioned plans: stitched tensor per node (allocated when first written), owned */
    int64_t *filled;     /* partitioned plans: channels of a sliced node stitched so far */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Bilinear RGB24 resize, pixel centres aligned. */
static void resize_rgb(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh)
{
    const double sx = (double)sw / dw, sy = (double)sh / dh;
    for (int y = 0; y < dh; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy < sh - 1 ? (int)fy : sh - 1;
        int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        double wy = fy - y0;
        for (int x = 0; x < dw; x++) {
            double fx = (x + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx < sw - 1 ? (int)fx : sw - 1;
            int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
            double wx = fx - x0;
            for (int k = 0; k < 3; k++) {
                double a = src[((size_t)y0 * sw + x0) * 3 + k], b = src[((size_t)y0 * sw + x1) * 3 + k];
                double c = src[((size_t)y1 * sw + x0) * 3 + k], d = src[((size_t)y1 * sw + x1) * 3 + k];
                double v = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * c + wx * d);
                dst[((size_t)y * dw + x) * 3 + k] = (uint8_t)(v + 0.5);
            }
        }
    }
}

static int64_t argmax(const float *x, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

void sr_exact_free(sr_exact *x)
{
    if (!x) return;
    if (!x->shared) {
        sr_exec_free(x->full);
        sr_exec_free(x->tail);
        sr_graph_free(x->tail_g);
        sr_weights_free(x->tail_w);
    }
    free(x->pipeline);
    sr_codec_free(x->codec);
    sr_video_free(x->video);
    free(x->decoded);
    free(x->rgb);
    free(x->rgb_model);
    free(x->planes);
    for (int i = 0; x->pbuf && i < sr_graph_node_count(x->g); i++)
        free(x->pbuf[i]);
    free(x->pbuf);
    free(x->filled);
    free(x);
}

/* The per-stream part: codec state, video and buffers. */
static sr_status stream_init(sr_exact *x, int frame_w, int frame_h, uint64_t video_seed, char *err,
                             size_t err_size)
{
    char msg[512];
    sr_status st;
    x->fw = frame_w;
    x->fh = frame_h;
    if (x->split >= 0) {
        if (x->pipeline) {
            st = sr_codec_create(x->pipeline, x->ac, x->ah, x->aw, &x->codec, msg, sizeof msg);
            if (st != SR_OK) {
                sr_errf(err, err_size, "exact mode: codec pipeline '%s' for layer '%s' (%dx%dx%d): %s",
                        x->pipeline, sr_graph_node(x->g, x->split)->name, x->ac, x->ah, x->aw, msg);
                return st;
            }
        }
        x->decoded = malloc(sizeof(float) * (size_t)x->act_n);
        if (!x->decoded) return SR_ERR_NOMEM;
    }
    sr_video_params vp = sr_video_default_params(frame_w, frame_h, video_seed);
    if ((st = sr_video_create(&vp, &x->video)) != SR_OK) {
        sr_errf(err, err_size, "exact mode: synthetic video %dx%d: %s", frame_w, frame_h,
                sr_status_message(st));
        return st;
    }
    x->rgb = malloc((size_t)frame_w * frame_h * 3);
    x->rgb_model = malloc((size_t)x->mw * x->mh * 3);
    x->planes = malloc((size_t)x->mw * x->mh * 3);
    if (!x->rgb || !x->rgb_model || !x->planes) return SR_ERR_NOMEM;
    return SR_OK;
}

sr_status sr_exact_clone(const sr_exact *proto, int frame_w, int frame_h, uint64_t video_seed, sr_exact **out,
                         char *err, size_t err_size)
{
    if (!proto || !out || frame_w < 16 || frame_h < 16) {
        sr_errf(err, err_size, "exact mode: bad arguments (frames must be at least 16x16)");
        return SR_ERR_INVALID;
    }
    *out = NULL;
    sr_exact *x = calloc(1, sizeof *x);
    if (!x) return SR_ERR_NOMEM;
    *x = *proto;
    x->shared = 1;
    x->pipeline = NULL;
    x->codec = NULL;
    x->decoded = NULL;
    x->video = NULL;
    x->rgb = x->rgb_model = x->planes = NULL;
    x->pbuf = NULL;
    x->filled = NULL;
    sr_status st = SR_OK;
    if (proto->pipeline && !(x->pipeline = strdup(proto->pipeline))) st = SR_ERR_NOMEM;
    if (st == SR_OK) st = stream_init(x, frame_w, frame_h, video_seed, err, err_size);
    if (st != SR_OK) {
        sr_exact_free(x);
        return st;
    }
    *out = x;
    return SR_OK;
}

sr_status sr_exact_create(const sr_graph *g, const sr_weights *w, int split, const char *pipeline,
                          int frame_w, int frame_h, uint64_t video_seed, sr_exact **out, char *err,
                          size_t err_size)
{
    if (!g || !w || !out || frame_w < 16 || frame_h < 16 || split >= sr_graph_node_count(g)) {
        sr_errf(err, err_size, "exact mode: bad arguments (frames must be at least 16x16)");
        return SR_ERR_INVALID;
    }
    *out = NULL;
    const sr_node *in0 = sr_graph_node(g, 0);
    int n_inputs = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        n_inputs += sr_graph_node(g, i)->op == SR_OP_INPUT;
    if (!in0 || in0->op != SR_OP_INPUT || n_inputs != 1 || in0->out.rank != 4 || in0->out.d[0] != 1 ||
        (in0->out.d[1] != 3 && in0->out.d[1] != 1)) {
        sr_errf(err, err_size, "exact mode: model '%s' does not take one 1xCxHxW image (C = 1 or 3)",
                sr_graph_name(g));
        return SR_ERR_UNSUPPORTED;
    }
    sr_exact *x = calloc(1, sizeof *x);
    if (!x) return SR_ERR_NOMEM;
    x->g = g;
    x->w = w;
    x->split = split;
    x->last = sr_graph_output(g);
    x->mc = (int)in0->out.d[1];
    x->mh = (int)in0->out.d[2];
    x->mw = (int)in0->out.d[3];
    x->out_n = sr_shape_numel(&sr_graph_node(g, x->last)->out);
    char msg[512];
    sr_status st = sr_exec_create(g, w, 0, &x->full, msg, sizeof msg);
    if (st != SR_OK) {
        sr_errf(err, err_size, "exact mode: model '%s' at input %dx%dx%d: %s", sr_graph_name(g), x->mc, x->mh,
                x->mw, msg[0] ? msg : sr_status_message(st));
        goto fail;
    }
    if (split >= 0) {
        const sr_node *nd = sr_graph_node(g, split);
        int c, h, ww;
        if (nd->op == SR_OP_CONST || sr_codectab_act_geometry(&nd->out, &c, &h, &ww) != 0) {
            sr_errf(err, err_size, "exact mode: layer '%s' has no batch-1 activation", nd->name);
            st = SR_ERR_UNSUPPORTED;
            goto fail;
        }
        x->act_n = sr_shape_numel(&nd->out);
        if ((st = sr_exec_keep(x->full, split)) != SR_OK) goto fail;
        if (split != x->last) {
            st = sr_codectab_tail_create(g, w, split, &x->tail_g, &x->tail_w, err, err_size);
            if (st != SR_OK) goto fail;
            st = sr_exec_create(x->tail_g, x->tail_w, 0, &x->tail, msg, sizeof msg);
            if (st != SR_OK) {
                sr_errf(err, err_size, "exact mode: model '%s' after layer '%s': %s", sr_graph_name(g),
                        nd->name, msg[0] ? msg : sr_status_message(st));
                goto fail;
            }
            if (!sr_exec_input(x->tail, 0)) {
                sr_errf(err, err_size, "exact mode: the tail graph after '%s' has no input node 0", nd->name);
                st = SR_ERR_INVALID;
                goto fail;
            }
        }
        x->ac = c, x->ah = h, x->aw = ww;
    }
    st = SR_ERR_NOMEM;
    if (pipeline && x->split >= 0 && !(x->pipeline = strdup(pipeline))) goto fail;
    if ((st = stream_init(x, frame_w, frame_h, video_seed, err, err_size)) != SR_OK) goto fail;
    *out = x;
    return SR_OK;
fail:
    sr_exact_free(x);
    return st;
}

sr_status sr_exact_video_input(sr_video *video, int frame_w, int frame_h, int c, int h, int w, uint8_t *rgb,
                               uint8_t *rgb_model, uint8_t *planes, float *xin)
{
    sr_status st = sr_video_next_rgb(video, rgb);
    if (st != SR_OK) return st;
    const uint8_t *src = rgb;
    if (frame_w != w || frame_h != h) {
        resize_rgb(rgb, frame_w, frame_h, rgb_model, w, h);
        src = rgb_model;
    }
    if (c == 3) {
        sr_rgb_to_chw_imagenet(src, w, h, xin);
        return SR_OK;
    }
    size_t n = (size_t)w * h;
    uint8_t *yy = planes, *uu = yy + n, *vv = uu + n;
    sr_rgb_to_yuv444(src, w, h, yy, uu, vv);
    for (size_t i = 0; i < n; i++)
        xin[i] = (float)yy[i] / 255.0f;
    return SR_OK;
}

/* Renders the next video frame into the full executor's input. */
static sr_status next_input(sr_exact *x, char *err, size_t err_size)
{
    sr_status st = sr_exact_video_input(x->video, x->fw, x->fh, x->mc, x->mh, x->mw, x->rgb, x->rgb_model,
                                        x->planes, sr_exec_input(x->full, 0));
    if (st != SR_OK) sr_errf(err, err_size, "exact mode: video frame: %s", sr_status_message(st));
    return st;
}

sr_status sr_exact_run_frame(sr_exact *x, sr_exact_result *r, char *err, size_t err_size)
{
    if (!x || !r) return SR_ERR_INVALID;
    memset(r, 0, sizeof *r);
    r->coded_bytes = -1;
    sr_status st = next_input(x, err, err_size);
    if (st != SR_OK) return st;
    double t0 = now_s();
    if ((st = sr_exec_run(x->full)) != SR_OK) {
        sr_errf(err, err_size, "exact mode: running '%s': %s", sr_graph_name(x->g), sr_status_message(st));
        return st;
    }
    const float *ref = sr_exec_output(x->full, x->last);
    r->top1_same = 1;
    if (x->split < 0) {
        r->wall_s = now_s() - t0;
        return SR_OK;
    }
    const float *act = sr_exec_output(x->full, x->split);
    const float *recv = act;
    if (x->codec) {
        uint8_t *bytes = NULL;
        size_t nb = 0;
        if ((st = sr_codec_encode(x->codec, act, &bytes, &nb)) != SR_OK) {
            sr_errf(err, err_size, "exact mode: encoding the activation: %s", sr_status_message(st));
            return st;
        }
        st = sr_codec_decode(x->codec, bytes, nb, x->decoded);
        free(bytes);
        if (st != SR_OK) {
            sr_errf(err, err_size, "exact mode: decoding the activation: %s", sr_status_message(st));
            return st;
        }
        r->coded_bytes = (double)nb;
        for (int64_t i = 0; i < x->act_n; i++) {
            double a = act[i], d = (double)act[i] - (double)x->decoded[i];
            r->act_sig2 += a * a;
            r->act_err2 += d * d;
        }
        recv = x->decoded;
    }
    const float *y = recv; /* the split is the last node: what arrives is the output */
    if (x->tail) {
        memcpy(sr_exec_input(x->tail, 0), recv, sizeof(float) * (size_t)x->act_n);
        if ((st = sr_exec_run(x->tail)) != SR_OK) {
            sr_errf(err, err_size, "exact mode: running the tail of '%s': %s", sr_graph_name(x->g),
                    sr_status_message(st));
            return st;
        }
        y = sr_exec_output(x->tail, sr_graph_output(x->tail_g));
    }
    r->wall_s = now_s() - t0;
    r->out_rel_l2 = sr_metric_rel_l2(ref, y, (size_t)x->out_n);
    r->top1_same = argmax(ref, x->out_n) == argmax(y, x->out_n);
    return SR_OK;
}

sr_status sr_exact_plan_shape(const sr_plan *p, int n_nodes, int *cut, const char **pipeline, char *err,
                              size_t err_size)
{
    *cut = -1;
    *pipeline = NULL;
    int n = sr_plan_task_count(p), n_enc = 0, n_dec = 0, enc_node = -1, dec_node = -1;
    char *covered = calloc((size_t)(n_nodes > 0 ? n_nodes : 1), 1);
    char *ends = calloc((size_t)(n_nodes > 0 ? n_nodes : 1), 1);
    sr_status st = covered && ends ? SR_OK : SR_ERR_NOMEM;
    for (int i = 0; i < n && st == SR_OK; i++) {
        const sr_plan_task *t = sr_plan_task_at(p, i);
        if (t->kind == SR_TASK_TRANSFER && t->payload == SR_PAYLOAD_ACTIVATION) *cut = t->node;
        if (t->kind != SR_TASK_COMPUTE) continue;
        switch (t->work) {
        case SR_WORK_LAYERS:
            if (t->first_layer < 0 || t->last_layer >= n_nodes || t->first_layer > t->last_layer) {
                sr_errf(err, err_size, "exact mode: task '%s' names layers %d..%d of a %d-node model", t->label,
                        t->first_layer, t->last_layer, n_nodes);
                st = SR_ERR_UNSUPPORTED;
                break;
            }
            for (int k = t->first_layer; k <= t->last_layer && st == SR_OK; k++) {
                if (covered[k]) {
                    sr_errf(err, err_size, "exact mode: layer %d is computed twice in the plan (task '%s'); it runs "
                                           "chains of layer ranges, not replicated or tiled work yet",
                            k, t->label);
                    st = SR_ERR_UNSUPPORTED;
                }
                covered[k] = 1;
            }
            ends[t->last_layer] = 1;
            break;
        case SR_WORK_ENCODE:
            n_enc++;
            enc_node = t->node;
            if (t->codec) *pipeline = t->codec->pipeline;
            break;
        case SR_WORK_DECODE:
            n_dec++;
            dec_node = t->node;
            break;
        case SR_WORK_SECONDS:
        case SR_WORK_FLOPS:
        case SR_WORK_KIND_COUNT:
            break;
        }
    }
    for (int k = 0; k < n_nodes && st == SR_OK; k++)
        if (!covered[k] && k > 0) { /* node 0, the input (exact mode takes one, first), is the frame: a plan that
                                      * sends the frame (a cut policy's cloud-only) computes it nowhere */
            sr_errf(err, err_size, "exact mode: layer %d is computed by no task of the plan", k);
            st = SR_ERR_UNSUPPORTED;
        }
    if (st == SR_OK && (n_enc > 1 || n_dec > 1 || n_enc != n_dec || enc_node != dec_node ||
                        (n_enc && (enc_node != *cut || enc_node < 0 || enc_node >= n_nodes || !ends[enc_node])))) {
        sr_errf(err, err_size, "exact mode: the plan codes activations it does not cut at (or more than one); it runs "
                               "one encode and decode of the activation a transfer carries, at the end of a layer "
                               "range");
        st = SR_ERR_UNSUPPORTED;
    }
    if (st == SR_OK && *cut >= 0 && (*cut >= n_nodes || !ends[*cut])) {
        sr_errf(err, err_size, "exact mode: the activation of node %d is sent where no layer range ends", *cut);
        st = SR_ERR_UNSUPPORTED;
    }
    free(covered);
    free(ends);
    return st;
}

/* ---- partitioned plans ---- */

int sr_exact_plan_partitioned(const sr_plan *p)
{
    for (int i = 0; i < sr_plan_task_count(p); i++) {
        const sr_plan_task *t = sr_plan_task_at(p, i);
        if (t->kind == SR_TASK_COMPUTE && t->work == SR_WORK_LAYERS &&
            (sr_plan_part_is_tile(&t->part) || sr_plan_part_is_slice(&t->part)))
            return 1;
    }
    return 0;
}

static int64_t node_numel(const sr_exact *x, int id)
{
    return sr_shape_numel(&sr_graph_node(x->g, id)->out);
}

/* The stitched tensor of node id, allocated (zeroed) when first asked for with `make`; NULL otherwise. */
static float *pbuf(sr_exact *x, int id, int make)
{
    if (!x->pbuf[id] && make) x->pbuf[id] = calloc((size_t)node_numel(x, id), sizeof(float));
    return x->pbuf[id];
}

/* The stitched input tensor of node id (its first input), or NULL with err. */
static const float *input_of(sr_exact *x, int id, const char *task, char *err, size_t err_size)
{
    const sr_node *nd = sr_graph_node(x->g, id);
    const float *in = nd->n_inputs > 0 ? x->pbuf[nd->inputs[0]] : NULL;
    if (!in)
        sr_errf(err, err_size, "exact mode: task '%s' computes layer '%s', whose input no task before it produced",
                task, nd->name);
    return in;
}

static int elementwise(sr_op op)
{
    return op == SR_OP_RELU || op == SR_OP_RELU6 || op == SR_OP_SIGMOID || op == SR_OP_DROPOUT ||
           op == SR_OP_FLATTEN || op == SR_OP_RESHAPE;
}

/* Layers a..b computed whole, in segments: the longest run from a that sr_region accepts (conv, pooling, batch
 * norm, activations: rank-4 spatial work) as one full-size tile, an fc node as all its channels, element-wise
 * nodes (and flatten / reshape, a copy) by hand. */
static sr_status run_whole(sr_exact *x, int a, int b, const char *task, char *err, size_t err_size)
{
    const sr_graph *g = x->g;
    while (a <= b) {
        const sr_node *nd = sr_graph_node(g, a);
        if (nd->op == SR_OP_INPUT) {
            a++;
            continue;
        }
        const float *in = input_of(x, a, task, err, err_size);
        if (!in) return SR_ERR_UNSUPPORTED;
        if (nd->op == SR_OP_FC) {
            float *out = pbuf(x, a, 1);
            if (!out) return SR_ERR_NOMEM;
            sr_status st = sr_region_run_channels(g, x->w, a, in, 0, (int)nd->out.d[1], out);
            if (st != SR_OK) return st;
            a++;
            continue;
        }
        if (elementwise(nd->op) && sr_shape_numel(&sr_graph_node(g, nd->inputs[0])->out) == node_numel(x, a)) {
            float *out = pbuf(x, a, 1);
            if (!out) return SR_ERR_NOMEM;
            int64_t n = node_numel(x, a);
            for (int64_t i = 0; i < n; i++) {
                float v = in[i];
                switch (nd->op) {
                case SR_OP_RELU:
                    v = v > 0 ? v : 0;
                    break;
                case SR_OP_RELU6:
                    v = v > 0 ? (v < 6 ? v : 6) : 0;
                    break;
                case SR_OP_SIGMOID:
                    v = (float)(1.0 / (1.0 + exp(-(double)v)));
                    break;
                default:
                    break;
                }
                out[i] = v;
            }
            a++;
            continue;
        }
        int end = -1;
        sr_region *r = NULL;
        for (int j = b; j >= a && end < 0; j--) {
            if (sr_region_create(g, a, j, &r, NULL, 0) == SR_OK) end = j;
            else r = NULL;
        }
        if (end < 0) {
            sr_errf(err, err_size, "exact mode: task '%s': layer '%s' (%s) has no region execution", task, nd->name,
                    sr_op_name(nd->op));
            return SR_ERR_UNSUPPORTED;
        }
        const sr_shape *is = &sr_graph_node(g, sr_region_input_id(r))->out, *os = &sr_graph_node(g, end)->out;
        const float *rin = x->pbuf[sr_region_input_id(r)];
        float *out = pbuf(x, end, 1);
        sr_status st = !rin ? SR_ERR_UNSUPPORTED : !out ? SR_ERR_NOMEM : SR_OK;
        if (st == SR_OK)
            st = sr_region_run_tile(r, x->w, rin, (sr_rect){0, (int)is->d[2], 0, (int)is->d[3]},
                                    (sr_rect){0, (int)os->d[2], 0, (int)os->d[3]}, out);
        sr_region_free(r);
        if (st != SR_OK) {
            if (!rin)
                sr_errf(err, err_size, "exact mode: task '%s': the input of '%s' was not produced", task, nd->name);
            return st;
        }
        a = end + 1;
    }
    return SR_OK;
}

/* A tile of layers first..last: computed from the stitched input's halo rectangle, written into last's tensor. */
static sr_status run_tile_task(sr_exact *x, const sr_plan_task *t, int first, char *err, size_t err_size)
{
    const sr_graph *g = x->g;
    sr_region *r = NULL;
    char msg[512] = "";
    sr_status st = sr_region_create(g, first, t->last_layer, &r, msg, sizeof msg);
    if (st != SR_OK) {
        sr_errf(err, err_size, "exact mode: task '%s' tiles layers that cannot be tiled: %s", t->label, msg);
        return st;
    }
    int in_id = sr_region_input_id(r);
    const sr_shape *is = &sr_graph_node(g, in_id)->out, *os = &sr_graph_node(g, t->last_layer)->out;
    const float *in = x->pbuf[in_id];
    float *out = pbuf(x, t->last_layer, 1);
    sr_rect tile = {t->part.y0, t->part.y1, t->part.x0, t->part.x1};
    int C = (int)os->d[1], H = (int)os->d[2], W = (int)os->d[3], th = tile.y1 - tile.y0, tw = tile.x1 - tile.x0;
    float *tmp = malloc(sizeof(float) * (size_t)C * (size_t)(th > 0 ? th : 1) * (size_t)(tw > 0 ? tw : 1));
    if (!in) {
        sr_errf(err, err_size, "exact mode: task '%s' reads '%s', which no task before it produced", t->label,
                sr_graph_node(g, in_id)->name);
        st = SR_ERR_UNSUPPORTED;
    } else if (!out || !tmp) {
        st = SR_ERR_NOMEM;
    } else if (tile.y1 > H || tile.x1 > W || th <= 0 || tw <= 0) {
        sr_errf(err, err_size, "exact mode: task '%s' has a tile outside the %dx%d output", t->label, H, W);
        st = SR_ERR_UNSUPPORTED;
    } else {
        st = sr_region_run_tile(r, x->w, in, (sr_rect){0, (int)is->d[2], 0, (int)is->d[3]}, tile, tmp);
        for (int c = 0; c < C && st == SR_OK; c++)
            for (int y = 0; y < th; y++)
                memcpy(out + ((size_t)c * H + (size_t)(tile.y0 + y)) * W + tile.x0, tmp + ((size_t)c * th + y) * tw,
                       sizeof(float) * (size_t)tw);
    }
    free(tmp);
    sr_region_free(r);
    return st;
}

/* A channel slice of the conv/fc node of layers first..last: its channels written into the node's tensor; once
 * every channel is there, the per-channel nodes after it run whole. */
static sr_status run_slice_task(sr_exact *x, const sr_plan_task *t, int first, char *err, size_t err_size)
{
    const sr_graph *g = x->g;
    int head = first;
    while (head <= t->last_layer && sr_graph_node(g, head)->op != SR_OP_CONV && sr_graph_node(g, head)->op != SR_OP_FC)
        head++;
    if (head > t->last_layer || head != first) {
        sr_errf(err, err_size, "exact mode: task '%s' slices channels of layers that do not start with a conv or fc",
                t->label);
        return SR_ERR_UNSUPPORTED;
    }
    const sr_shape *os = &sr_graph_node(g, head)->out;
    int C = (int)os->d[1];
    int64_t per = node_numel(x, head) / C; /* batch 1: the channels are contiguous blocks */
    int c0 = t->part.c0, c1 = t->part.c1;
    if (os->d[0] != 1 || c1 > C) {
        sr_errf(err, err_size, "exact mode: task '%s' slices channels [%d,%d) of a %d-channel output", t->label, c0,
                c1, C);
        return SR_ERR_UNSUPPORTED;
    }
    const float *in = input_of(x, head, t->label, err, err_size);
    float *out = pbuf(x, head, 1);
    if (!in) return SR_ERR_UNSUPPORTED;
    if (!out) return SR_ERR_NOMEM;
    sr_status st = sr_region_run_channels(g, x->w, head, in, c0, c1, out + (size_t)c0 * (size_t)per);
    if (st != SR_OK) return st;
    x->filled[head] += c1 - c0;
    if (x->filled[head] < C) return SR_OK;
    x->filled[head] = 0;
    return head < t->last_layer ? run_whole(x, head + 1, t->last_layer, t->label, err, err_size) : SR_OK;
}

sr_status sr_exact_run_frame_plan(sr_exact *x, const sr_plan *p, sr_exact_result *r, char *err, size_t err_size)
{
    if (!p || !sr_exact_plan_partitioned(p)) return sr_exact_run_frame(x, r, err, err_size);
    if (!x || !r || x->split >= 0) return SR_ERR_INVALID;
    memset(r, 0, sizeof *r);
    r->coded_bytes = -1;
    r->partitioned = 1;
    int n = sr_graph_node_count(x->g);
    if (!x->pbuf) {
        x->pbuf = calloc((size_t)n, sizeof *x->pbuf);
        x->filled = calloc((size_t)n, sizeof *x->filled);
        if (!x->pbuf || !x->filled) return SR_ERR_NOMEM;
    }
    sr_status st = next_input(x, err, err_size);
    if (st != SR_OK) return st;
    for (int i = 0; i < n; i++) {
        x->filled[i] = 0;
        if (x->pbuf[i]) memset(x->pbuf[i], 0, sizeof(float) * (size_t)node_numel(x, i));
    }
    float *in0 = pbuf(x, 0, 1);
    if (!in0) return SR_ERR_NOMEM;
    memcpy(in0, sr_exec_input(x->full, 0), sizeof(float) * (size_t)node_numel(x, 0));
    double t0 = now_s();
    if ((st = sr_exec_run(x->full)) != SR_OK) {
        sr_errf(err, err_size, "exact mode: running '%s': %s", sr_graph_name(x->g), sr_status_message(st));
        return st;
    }
    for (int i = 0; i < sr_plan_task_count(p) && st == SR_OK; i++) {
        const sr_plan_task *t = sr_plan_task_at(p, i);
        if (t->kind != SR_TASK_COMPUTE || t->work != SR_WORK_LAYERS) continue;
        int first = t->first_layer;
        while (first <= t->last_layer && sr_graph_node(x->g, first)->op == SR_OP_INPUT)
            first++;
        if (first > t->last_layer) continue;
        if (sr_plan_part_is_tile(&t->part))
            st = run_tile_task(x, t, first, err, err_size);
        else if (sr_plan_part_is_slice(&t->part))
            st = run_slice_task(x, t, first, err, err_size);
        else
            st = run_whole(x, first, t->last_layer, t->label, err, err_size);
    }
    if (st != SR_OK) return st;
    const float *y = x->pbuf[x->last], *ref = sr_exec_output(x->full, x->last);
    if (!y) {
        sr_errf(err, err_size, "exact mode: no task of the plan computes the output layer '%s'",
                sr_graph_node(x->g, x->last)->name);
        return SR_ERR_UNSUPPORTED;
    }
    r->wall_s = now_s() - t0;
    double maxref = 0, maxdiff = 0;
    for (int64_t i = 0; i < x->out_n; i++) {
        maxref = fmax(maxref, fabs((double)ref[i]));
        maxdiff = fmax(maxdiff, fabs((double)y[i] - (double)ref[i]));
    }
    r->stitch_err_rel = maxref > 0 ? maxdiff / maxref : maxdiff;
    r->out_rel_l2 = sr_metric_rel_l2(ref, y, (size_t)x->out_n);
    r->top1_same = argmax(ref, x->out_n) == argmax(y, x->out_n);
    return SR_OK;
}
