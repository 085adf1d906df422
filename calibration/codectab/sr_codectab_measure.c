/* sr_codectab_measure.c: the measurement behind `simrun codec-table`.
 *
 * For every frame of the synthetic video: the frame is JPEG- and H.264-coded (the cloud-only baselines),
 * resized to the model input when the video has another resolution, run through the whole model (the
 * uncompressed path, whose final output is the reference), and then, for each split layer and codec
 * pipeline, the split activation is encoded, decoded and pushed through the rest of the network (a tail
 * graph, sr_codectab_tail.c) to see how far the final output drifts. Frames are visited in order and every
 * (split, pipeline) has its own codec object, so inter-frame pipelines see a real stream.
 *
 * Everything that can be wrong with the parameters (model, layers, cut, pipelines, numbers) is checked
 * before the first frame is computed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_exec.h"
#include "sr_framecodec.h"
#include "sr_model_source.h"
#include "video.h"
#include "sr_stats.h"

sr_codectab_params sr_codectab_default_params(void)
{
    sr_codectab_params p;
    memset(&p, 0, sizeof p);
    p.frames = 5;
    p.fps = 30.0;
    p.jpeg_quality = 90;
    p.h264_crf = 23.0;
    p.seed = 1;
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Index of the largest element (the first one on ties). */
static int64_t argmax(const float *x, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

/* Bilinear RGB24 resize with pixel centres aligned (as OpenCV's INTER_LINEAR). */
static void resize_rgb(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh)
{
    const double sx = (double)sw / dw, sy = (double)sh / dh;
    for (int y = 0; y < dh; y++) {
        double fy = (y + 0.5) * sy - 0.5;
        if (fy < 0) fy = 0;
        int y0 = (int)fy;
        if (y0 > sh - 1) y0 = sh - 1;
        int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
        double wy = fy - y0;
        for (int x = 0; x < dw; x++) {
            double fx = (x + 0.5) * sx - 0.5;
            if (fx < 0) fx = 0;
            int x0 = (int)fx;
            if (x0 > sw - 1) x0 = sw - 1;
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

/* Per split layer. */
typedef struct split_ctx {
    int id;
    int c, h, w;
    int64_t elements;
    sr_graph *tg; /* tail graph (NULL when the split is the last layer) */
    sr_weights *tw;
    sr_exec *te;
    float *decoded; /* decoded activation */
} split_ctx;

/* Per (split, pipeline): the codec and the running sums. */
typedef struct combo_ctx {
    sr_codec *codec;
    double bytes_total;
    double *enc_s, *dec_s; /* per frame, seconds per element */
    double sig2, err2, max_abs;
    double rel_l2_sum;
    int top1_same;
} combo_ctx;

static sr_status check_params(const sr_codectab_params *p, char *err, size_t n)
{
    if (!p->model || !p->model[0]) {
        sr_errf(err, n, "no model given");
        return SR_ERR_INVALID;
    }
    if (strlen(p->model) >= SR_CODECTAB_TEXT_MAX) {
        sr_errf(err, n, "model source is longer than %d characters", SR_CODECTAB_TEXT_MAX - 1);
        return SR_ERR_INVALID;
    }
    if (p->n_splits < 1 || !p->splits) {
        sr_errf(err, n, "no split layer given");
        return SR_ERR_INVALID;
    }
    if (p->n_pipelines < 1 || !p->pipelines) {
        sr_errf(err, n, "no codec pipeline given");
        return SR_ERR_INVALID;
    }
    for (int i = 0; i < p->n_pipelines; i++)
        if (!p->pipelines[i] || !p->pipelines[i][0] || strlen(p->pipelines[i]) >= SR_CODECTAB_TEXT_MAX) {
            sr_errf(err, n, "codec pipeline %d is empty or longer than %d characters", i + 1,
                    SR_CODECTAB_TEXT_MAX - 1);
            return SR_ERR_INVALID;
        }
    for (int i = 0; i < p->n_splits; i++)
        if (!p->splits[i] || !p->splits[i][0]) {
            sr_errf(err, n, "split layer %d is empty", i + 1);
            return SR_ERR_INVALID;
        }
    if (p->in_c < 0 || p->in_h < 0 || p->in_w < 0) {
        sr_errf(err, n, "input size must be positive (or 0 for the model's default)");
        return SR_ERR_INVALID;
    }
    if (p->frames < 1 || p->frames > 100000) {
        sr_errf(err, n, "frames must be 1..100000 (got %d)", p->frames);
        return SR_ERR_RANGE;
    }
    if ((p->width == 0) != (p->height == 0) || (p->width && (p->width < 16 || p->height < 16)) ||
        p->width > 16384 || p->height > 16384) {
        sr_errf(err, n, "resolution must be at least 16x16 and at most 16384x16384 (got %dx%d)", p->width,
                p->height);
        return SR_ERR_RANGE;
    }
    if (!(p->fps > 0 && p->fps <= 1000)) {
        sr_errf(err, n, "fps must be in (0, 1000] (got %g)", p->fps);
        return SR_ERR_RANGE;
    }
    if (p->jpeg_quality < 1 || p->jpeg_quality > 100) {
        sr_errf(err, n, "JPEG quality must be 1..100 (got %d)", p->jpeg_quality);
        return SR_ERR_RANGE;
    }
    if (!(p->h264_crf >= 0 && p->h264_crf <= 51)) {
        sr_errf(err, n, "H.264 CRF must be 0..51 (got %g)", p->h264_crf);
        return SR_ERR_RANGE;
    }
    return SR_OK;
}

sr_status sr_codectab_measure(const sr_codectab_params *p, sr_codectab_row **rows_out, int *n_rows_out,
                              FILE *progress, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!p || !rows_out || !n_rows_out) return SR_ERR_INVALID;
    *rows_out = NULL;
    *n_rows_out = 0;
    sr_status st = check_params(p, err, err_size);
    if (st != SR_OK) return st;

    const int ns = p->n_splits, np = p->n_pipelines, nf = p->frames;
    sr_graph *g = NULL;
    sr_weights *wts = NULL;
    sr_exec *ex = NULL;
    split_ctx *sp = NULL;
    combo_ctx *cb = NULL;
    sr_video *video = NULL;
    sr_h264 *h264 = NULL;
    uint8_t *rgb = NULL, *rgb_model = NULL, *yuv = NULL;
    sr_codectab_row *rows = NULL;
    char msg[512];

    st = sr_model_load(p->model, p->in_c, p->in_h, p->in_w, p->seed, &g, &wts, msg, sizeof msg);
    if (st != SR_OK) {
        sr_errf(err, err_size, "%s", msg);
        goto done;
    }
    const sr_node *in0 = sr_graph_node(g, 0);
    int n_inputs = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        n_inputs += sr_graph_node(g, i)->op == SR_OP_INPUT;
    if (!in0 || in0->op != SR_OP_INPUT || n_inputs != 1 || in0->out.rank != 4 || in0->out.d[0] != 1 ||
        (in0->out.d[1] != 3 && in0->out.d[1] != 1)) {
        sr_errf(err, err_size, "model '%s' does not take one 1xCxHxW image (C = 1 or 3) as input", p->model);
        st = SR_ERR_UNSUPPORTED;
        goto done;
    }
    const int mc = (int)in0->out.d[1], mh = (int)in0->out.d[2], mw = (int)in0->out.d[3];
    const int vw = p->width ? p->width : mw, vh = p->height ? p->height : mh;
    if (vw < 16 || vh < 16) {
        sr_errf(err, err_size,
                "video resolution %dx%d (the model input) is below the 16x16 minimum; give "
                "--resolution",
                vw, vh);
        st = SR_ERR_RANGE;
        goto done;
    }

    sp = calloc((size_t)ns, sizeof *sp);
    cb = calloc((size_t)ns * (size_t)np, sizeof *cb);
    st = SR_ERR_NOMEM;
    if (!sp || !cb) goto done;
    const int last = sr_graph_output(g);
    for (int s = 0; s < ns; s++) {
        split_ctx *x = &sp[s];
        x->id = sr_graph_find(g, p->splits[s]);
        if (x->id < 0) {
            sr_errf(err, err_size, "model '%s' has no layer '%s' (`simrun show model %s` lists them)",
                    p->model, p->splits[s], p->model);
            st = SR_ERR_NOT_FOUND;
            goto done;
        }
        const sr_node *nd = sr_graph_node(g, x->id);
        if (nd->op == SR_OP_CONST || sr_codectab_act_geometry(&nd->out, &x->c, &x->h, &x->w) != 0) {
            sr_errf(err, err_size, "layer '%s' of '%s' has no batch-1 activation to code", p->splits[s],
                    p->model);
            st = SR_ERR_UNSUPPORTED;
            goto done;
        }
        x->elements = sr_shape_numel(&nd->out);
        if (x->id != last) {
            st = sr_codectab_tail_create(g, wts, x->id, &x->tg, &x->tw, err, err_size);
            if (st != SR_OK) goto done;
            st = sr_exec_create(x->tg, x->tw, 0, &x->te, msg, sizeof msg);
            if (st != SR_OK) {
                sr_errf(err, err_size, "model '%s' after layer '%s': %s", p->model, p->splits[s], msg);
                goto done;
            }
        }
        st = SR_ERR_NOMEM;
        x->decoded = malloc(sizeof(float) * (size_t)x->elements);
        if (!x->decoded) goto done;
        for (int q = 0; q < np; q++) {
            combo_ctx *c = &cb[s * np + q];
            st = sr_codec_create(p->pipelines[q], x->c, x->h, x->w, &c->codec, msg, sizeof msg);
            if (st != SR_OK) {
                sr_errf(err, err_size, "codec pipeline '%s' for layer '%s' (%dx%dx%d): %s", p->pipelines[q],
                        p->splits[s], x->c, x->h, x->w, msg);
                goto done;
            }
            if (strlen(sr_codec_name(c->codec)) >= SR_CODECTAB_TEXT_MAX) {
                sr_errf(err, err_size, "codec pipeline '%s' has a canonical name too long to store",
                        p->pipelines[q]);
                st = SR_ERR_INVALID;
                goto done;
            }
            c->enc_s = calloc((size_t)nf, sizeof(double));
            c->dec_s = calloc((size_t)nf, sizeof(double));
            st = SR_ERR_NOMEM;
            if (!c->enc_s || !c->dec_s) goto done;
        }
    }
    st = sr_exec_create(g, wts, 0, &ex, msg, sizeof msg);
    if (st != SR_OK) {
        sr_errf(err, err_size, "model '%s': %s", p->model, msg);
        goto done;
    }
    for (int s = 0; s < ns; s++)
        if ((st = sr_exec_keep(ex, sp[s].id)) != SR_OK) goto done;

    /* Video source and the frame-codec baselines. */
    sr_video_params vp = sr_video_default_params(vw, vh, p->seed);
    vp.fps_num = (int)lround(p->fps * 1000.0);
    vp.fps_den = 1000;
    if (vp.fps_num < 1) vp.fps_num = 1;
    if ((st = sr_video_create(&vp, &video)) != SR_OK) {
        sr_errf(err, err_size, "synthetic video %dx%d at %g fps: %s", vw, vh, p->fps, sr_status_message(st));
        goto done;
    }
    const int ew = vw & ~1, eh = vh & ~1; /* H.264 codes the even-sized top-left part */
    if ((st = sr_codectab_h264_open(ew, eh, vp.fps_num, vp.fps_den, p->h264_crf, &h264, err, err_size)) != SR_OK) goto done;
    st = SR_ERR_NOMEM;
    rgb = malloc((size_t)vw * vh * 3);
    rgb_model = malloc((size_t)mw * mh * 3);
    size_t yuv_n = (size_t)ew * eh + 2 * (size_t)(ew / 2) * (eh / 2);
    size_t yuv_model = 3 * (size_t)mw * mh; /* also the 4:4:4 planes of 1-channel models */
    yuv = malloc(yuv_n > yuv_model ? yuv_n : yuv_model);
    uint8_t *crop = malloc((size_t)ew * eh * 3);
    if (!rgb || !rgb_model || !yuv || !crop) {
        free(crop);
        goto done;
    }

    double jpeg_total = 0, h264_total = 0;
    float *xin = sr_exec_input(ex, 0);
    const int64_t out_n = sr_shape_numel(&sr_graph_node(g, last)->out);
    for (int f = 0; f < nf; f++) {
        if ((st = sr_video_next_rgb(video, rgb)) != SR_OK) break;
        uint8_t *jb = NULL;
        size_t jn = 0;
        if ((st = sr_jpeg_encode(rgb, vw, vh, p->jpeg_quality, &jb, &jn)) != SR_OK) break;
        free(jb);
        jpeg_total += (double)jn;
        for (int y = 0; y < eh; y++)
            memcpy(crop + (size_t)y * ew * 3, rgb + (size_t)y * vw * 3, (size_t)ew * 3);
        uint8_t *yp = yuv, *up = yuv + (size_t)ew * eh, *vpl = up + (size_t)(ew / 2) * (eh / 2);
        sr_rgb_to_yuv420(crop, ew, eh, yp, up, vpl);
        uint8_t *hb = NULL;
        size_t hn = 0;
        int key = 0;
        if ((st = sr_h264_encode(h264, yp, up, vpl, &hb, &hn, &key)) != SR_OK) break;
        free(hb);
        h264_total += (double)hn;

        const uint8_t *src = rgb;
        if (vw != mw || vh != mh) {
            resize_rgb(rgb, vw, vh, rgb_model, mw, mh);
            src = rgb_model;
        }
        if (mc == 3) {
            sr_rgb_to_chw_imagenet(src, mw, mh, xin);
        } else {
            uint8_t *yy = yuv, *uu = yuv + (size_t)mw * mh, *vv = uu + (size_t)mw * mh;
            sr_rgb_to_yuv444(src, mw, mh, yy, uu, vv);
            for (size_t i = 0; i < (size_t)mw * mh; i++)
                xin[i] = (float)yy[i] / 255.0f;
        }
        if ((st = sr_exec_run(ex)) != SR_OK) break;
        const float *ref = sr_exec_output(ex, last);
        const int64_t ref_top = argmax(ref, out_n);
        for (int s = 0; s < ns && st == SR_OK; s++) {
            split_ctx *x = &sp[s];
            const float *act = sr_exec_output(ex, x->id);
            for (int q = 0; q < np; q++) {
                combo_ctx *c = &cb[s * np + q];
                uint8_t *bytes = NULL;
                size_t nb = 0;
                double t0 = now_s();
                st = sr_codec_encode(c->codec, act, &bytes, &nb);
                double t1 = now_s();
                if (st == SR_OK) st = sr_codec_decode(c->codec, bytes, nb, x->decoded);
                double t2 = now_s();
                free(bytes);
                if (st != SR_OK) {
                    sr_errf(err, err_size, "frame %d, layer '%s', pipeline '%s': %s", f, p->splits[s],
                            p->pipelines[q], sr_status_message(st));
                    goto frames_done;
                }
                c->bytes_total += (double)nb;
                c->enc_s[f] = (t1 - t0) / (double)x->elements;
                c->dec_s[f] = (t2 - t1) / (double)x->elements;
                for (int64_t i = 0; i < x->elements; i++) {
                    double a = act[i], d = a - x->decoded[i];
                    c->sig2 += a * a;
                    c->err2 += d * d;
                    if (fabs(d) > c->max_abs) c->max_abs = fabs(d);
                }
                const float *out = x->decoded;
                if (x->te) {
                    memcpy(sr_exec_input(x->te, 0), x->decoded, sizeof(float) * (size_t)x->elements);
                    if ((st = sr_exec_run(x->te)) != SR_OK) goto frames_done;
                    out = sr_exec_output(x->te, sr_graph_output(x->tg));
                }
                c->rel_l2_sum += sr_metric_rel_l2(ref, out, (size_t)out_n);
                c->top1_same += argmax(out, out_n) == ref_top;
            }
        }
        if (progress) fprintf(progress, "codec-table: frame %d/%d done\n", f + 1, nf);
    }
frames_done:
    free(crop);
    if (st != SR_OK) {
        if (err && err_size && !err[0])
            sr_errf(err, err_size, "measurement failed: %s", sr_status_message(st));
        goto done;
    }
    for (;;) {
        uint8_t *hb = NULL;
        size_t hn = 0;
        int key = 0;
        if ((st = sr_h264_flush(h264, &hb, &hn, &key)) != SR_OK) goto done;
        free(hb);
        if (hn == 0) break;
        h264_total += (double)hn;
    }

    st = SR_ERR_NOMEM;
    rows = calloc((size_t)ns * (size_t)np, sizeof *rows);
    if (!rows) goto done;
    for (int s = 0; s < ns; s++) {
        for (int q = 0; q < np; q++) {
            combo_ctx *c = &cb[s * np + q];
            sr_codectab_row *r = &rows[s * np + q];
            const double mean_bytes = c->bytes_total / nf;
            snprintf(r->model, sizeof r->model, "%s", p->model);
            snprintf(r->input, sizeof r->input, "%dx%dx%d", mc, mh, mw);
            snprintf(r->split_layer, sizeof r->split_layer, "%s", sr_graph_node(g, sp[s].id)->name);
            snprintf(r->pipeline, sizeof r->pipeline, "%s", sr_codec_name(c->codec));
            r->frames = nf;
            snprintf(r->resolution, sizeof r->resolution, "%dx%d", vw, vh);
            r->elements = sp[s].elements;
            r->bits_per_element = 8.0 * mean_bytes / (double)sp[s].elements;
            r->ratio_raw_fp32 = mean_bytes / (4.0 * (double)sp[s].elements);
            r->ratio_jpeg = mean_bytes / (jpeg_total / nf);
            r->ratio_h264 = h264_total > 0 ? mean_bytes / (h264_total / nf) : INFINITY;
            r->encode_s_per_element = sr_median(c->enc_s, nf);
            r->decode_s_per_element = sr_median(c->dec_s, nf);
            r->snr_db = c->err2 == 0 ? INFINITY : 10.0 * log10(c->sig2 / c->err2);
            r->max_abs_err = c->max_abs;
            r->output_rel_l2 = c->rel_l2_sum / nf;
            r->top1_agreement = (double)c->top1_same / nf;
            r->seed = p->seed;
        }
    }
    *rows_out = rows;
    *n_rows_out = ns * np;
    rows = NULL;
    st = SR_OK;
done:
    free(rows);
    free(rgb);
    free(rgb_model);
    free(yuv);
    sr_h264_free(h264);
    sr_video_free(video);
    if (cb)
        for (int i = 0; i < ns * np; i++) {
            sr_codec_free(cb[i].codec);
            free(cb[i].enc_s);
            free(cb[i].dec_s);
        }
    free(cb);
    if (sp)
        for (int s = 0; s < ns; s++) {
            sr_exec_free(sp[s].te);
            sr_weights_free(sp[s].tw);
            sr_graph_free(sp[s].tg);
            free(sp[s].decoded);
        }
    free(sp);
    sr_exec_free(ex);
    sr_weights_free(wts);
    sr_graph_free(g);
    return st;
}

int sr_codectab_act_geometry(const sr_shape *s, int *c, int *h, int *w)
{
    if (s->rank < 1 || s->d[0] != 1) return -1;
    int64_t rest = 1;
    for (int i = 1; i < s->rank; i++)
        rest *= s->d[i];
    if (rest <= 0 || rest > INT32_MAX) return -1;
    *c = s->rank >= 3 ? (int)s->d[1] : 1;
    *h = s->rank >= 4 ? (int)s->d[2] : 1;
    *w = (int)(rest / ((int64_t)*c * *h));
    return 0;
}
