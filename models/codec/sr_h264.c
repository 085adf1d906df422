/* sr_h264.c: H.264 encoding through libx264 (see sr_framecodec.h). Encode only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x264.h>

#include "sr_framecodec.h"

struct sr_h264 {
    x264_t *enc;
    x264_picture_t pic;
    int width, height;
    int64_t pts;
};

static void set_err(char *err, size_t n, const char *msg)
{
    if (err && n)
        snprintf(err, n, "h264: %s", msg);
}

sr_status sr_h264_create(const sr_h264_params *p, sr_h264 **out, char *err, size_t err_size)
{
    *out = NULL;
    if (!p || p->width < 2 || p->height < 2 || p->width % 2 || p->height % 2 || p->width > 16384 ||
        p->height > 16384) {
        set_err(err, err_size, "width and height must be even, 2..16384");
        return SR_ERR_INVALID;
    }
    if (p->fps_num < 1 || p->fps_den < 1 || p->gop < 1 || p->bitrate_kbps < 0 ||
        (p->bitrate_kbps == 0 && !(p->crf >= 0 && p->crf <= 51))) {
        set_err(err, err_size, "need fps > 0, gop >= 1 and crf in [0, 51] or bitrate_kbps > 0");
        return SR_ERR_INVALID;
    }
    x264_param_t par;
    if (x264_param_default_preset(&par, p->preset ? p->preset : "medium", p->tune) < 0) {
        set_err(err, err_size, "unknown preset or tune");
        return SR_ERR_INVALID;
    }
    par.i_width = p->width;
    par.i_height = p->height;
    par.i_csp = X264_CSP_I420;
    par.i_fps_num = (uint32_t)p->fps_num;
    par.i_fps_den = (uint32_t)p->fps_den;
    par.i_keyint_max = p->gop;
    par.i_keyint_min = p->gop < 25 ? p->gop : 25;
    par.i_threads = 1;
    par.i_lookahead_threads = 1;
    par.b_deterministic = 1;
    par.i_log_level = X264_LOG_NONE;
    if (p->bitrate_kbps > 0) {
        par.rc.i_rc_method = X264_RC_ABR;
        par.rc.i_bitrate = p->bitrate_kbps;
    } else {
        par.rc.i_rc_method = X264_RC_CRF;
        par.rc.f_rf_constant = (float)p->crf;
    }
    if (x264_param_apply_profile(&par, "high") < 0) {
        set_err(err, err_size, "profile");
        return SR_ERR_INVALID;
    }
    sr_h264 *e = calloc(1, sizeof *e);
    if (!e)
        return SR_ERR_NOMEM;
    e->enc = x264_encoder_open(&par);
    if (!e->enc) {
        free(e);
        set_err(err, err_size, "x264_encoder_open failed");
        return SR_ERR_INVALID;
    }
    x264_picture_init(&e->pic);
    e->pic.img.i_csp = X264_CSP_I420;
    e->pic.img.i_plane = 3;
    e->width = p->width;
    e->height = p->height;
    *out = e;
    return SR_OK;
}

void sr_h264_free(sr_h264 *e)
{
    if (!e)
        return;
    x264_encoder_close(e->enc);
    free(e);
}

static sr_status collect(x264_nal_t *nal, int n_nal, int size, const x264_picture_t *po, uint8_t **bytes,
                         size_t *n_bytes, int *is_key)
{
    *bytes = NULL;
    *n_bytes = 0;
    if (is_key)
        *is_key = 0;
    if (size < 0)
        return SR_ERR_INVALID;
    if (size == 0)
        return SR_OK;
    uint8_t *b = malloc((size_t)size);
    if (!b)
        return SR_ERR_NOMEM;
    size_t o = 0;
    for (int i = 0; i < n_nal; i++) { /* payloads are contiguous, but copy per NAL to be safe */
        memcpy(b + o, nal[i].p_payload, (size_t)nal[i].i_payload);
        o += (size_t)nal[i].i_payload;
    }
    *bytes = b;
    *n_bytes = o;
    if (is_key)
        *is_key = po->b_keyframe ? 1 : 0;
    return SR_OK;
}

sr_status sr_h264_encode(sr_h264 *e, const uint8_t *y, const uint8_t *u, const uint8_t *v, uint8_t **bytes,
                         size_t *n_bytes, int *is_key)
{
    if (!y || !u || !v)
        return SR_ERR_INVALID;
    e->pic.img.plane[0] = (uint8_t *)(uintptr_t)y; /* x264 does not write to input planes */
    e->pic.img.plane[1] = (uint8_t *)(uintptr_t)u;
    e->pic.img.plane[2] = (uint8_t *)(uintptr_t)v;
    e->pic.img.i_stride[0] = e->width;
    e->pic.img.i_stride[1] = e->pic.img.i_stride[2] = e->width / 2;
    e->pic.i_pts = e->pts++;
    x264_nal_t *nal;
    int n_nal;
    x264_picture_t po;
    int size = x264_encoder_encode(e->enc, &nal, &n_nal, &e->pic, &po);
    return collect(nal, n_nal, size, &po, bytes, n_bytes, is_key);
}

sr_status sr_h264_flush(sr_h264 *e, uint8_t **bytes, size_t *n_bytes, int *is_key)
{
    *bytes = NULL;
    *n_bytes = 0;
    if (x264_encoder_delayed_frames(e->enc) <= 0)
        return SR_OK;
    x264_nal_t *nal;
    int n_nal;
    x264_picture_t po;
    int size = x264_encoder_encode(e->enc, &nal, &n_nal, NULL, &po);
    return collect(nal, n_nal, size, &po, bytes, n_bytes, is_key);
}
