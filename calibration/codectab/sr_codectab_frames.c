/* sr_codectab_frames.c: the cloud-only baselines of a video alone (sr_codectab_frame_sizes): the mean JPEG
 * and H.264 frame sizes of the synthetic video, coded exactly as `simrun codec-table` codes it (same video
 * for the same seed, resolution and frame rate; JPEG 4:2:0 at the quality; x264 preset medium, tune
 * zerolatency, keyint 250, one encoder for the whole sequence, even-sized top-left part), so that a run's
 * amplification against these baselines and a codec table's ratio_jpeg / ratio_h264 use one denominator. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_codectab.h"
#include "sr_framecodec.h"
#include "video.h"

sr_status sr_codectab_h264_open(int width, int height, int fps_num, int fps_den, double crf, sr_h264 **out,
                                char *err, size_t err_size)
{
    char msg[256] = "";
    sr_h264_params hp;
    memset(&hp, 0, sizeof hp);
    hp.width = width;
    hp.height = height;
    hp.fps_num = fps_num;
    hp.fps_den = fps_den;
    hp.crf = crf;
    hp.gop = 250;
    hp.preset = "medium";
    hp.tune = "zerolatency";
    sr_status st = sr_h264_create(&hp, out, msg, sizeof msg);
    if (st != SR_OK) sr_errf(err, err_size, "H.264 encoder at %dx%d: %s", width, height, msg);
    return st;
}

sr_status sr_codectab_frame_sizes(int width, int height, double fps, int frames, int jpeg_quality, double h264_crf,
                                  uint64_t seed, double *jpeg_bytes, double *h264_bytes, char *err,
                                  size_t err_size)
{
    if (width < 16 || height < 16 || !(fps > 0) || frames < 1 || jpeg_quality < 1 || jpeg_quality > 100 ||
        !(h264_crf >= 0 && h264_crf <= 51)) {
        sr_errf(err, err_size,
                "frame baselines: need a video of at least 16x16 at fps > 0, frames >= 1, JPEG quality 1..100 "
                "and CRF 0..51 (got %dx%d, %g fps, %d frames, q%d, crf %g)",
                width, height, fps, frames, jpeg_quality, h264_crf);
        return SR_ERR_INVALID;
    }
    sr_video *video = NULL;
    sr_h264 *h264 = NULL;
    uint8_t *rgb = NULL, *crop = NULL, *yuv = NULL;
    sr_video_params vp = sr_video_default_params(width, height, seed);
    vp.fps_num = (int)lround(fps * 1000.0);
    vp.fps_den = 1000;
    if (vp.fps_num < 1) vp.fps_num = 1;
    sr_status st = sr_video_create(&vp, &video);
    if (st != SR_OK) {
        sr_errf(err, err_size, "synthetic video %dx%d at %g fps: %s", width, height, fps, sr_status_message(st));
        goto done;
    }
    const int ew = width & ~1, eh = height & ~1;
    if ((st = sr_codectab_h264_open(ew, eh, vp.fps_num, vp.fps_den, h264_crf, &h264, err, err_size)) != SR_OK) goto done;
    st = SR_ERR_NOMEM;
    rgb = malloc((size_t)width * height * 3);
    crop = malloc((size_t)ew * eh * 3);
    yuv = malloc((size_t)ew * eh + 2 * (size_t)(ew / 2) * (eh / 2));
    if (!rgb || !crop || !yuv) goto done;
    double jpeg_total = 0, h264_total = 0;
    st = SR_OK;
    for (int f = 0; f < frames && st == SR_OK; f++) {
        if ((st = sr_video_next_rgb(video, rgb)) != SR_OK) break;
        uint8_t *b = NULL;
        size_t nb = 0;
        if ((st = sr_jpeg_encode(rgb, width, height, jpeg_quality, &b, &nb)) != SR_OK) break;
        free(b);
        jpeg_total += (double)nb;
        for (int y = 0; y < eh; y++)
            memcpy(crop + (size_t)y * ew * 3, rgb + (size_t)y * width * 3, (size_t)ew * 3);
        uint8_t *yp = yuv, *up = yuv + (size_t)ew * eh, *vpl = up + (size_t)(ew / 2) * (eh / 2);
        sr_rgb_to_yuv420(crop, ew, eh, yp, up, vpl);
        int key = 0;
        b = NULL;
        nb = 0;
        if ((st = sr_h264_encode(h264, yp, up, vpl, &b, &nb, &key)) != SR_OK) break;
        free(b);
        h264_total += (double)nb;
    }
    for (size_t nb = 1; st == SR_OK && nb > 0;) { /* frames the encoder still holds */
        uint8_t *b = NULL;
        int key = 0;
        st = sr_h264_flush(h264, &b, &nb, &key);
        free(b);
        h264_total += (double)nb;
    }
    if (st != SR_OK) {
        sr_errf(err, err_size, "frame baselines at %dx%d: %s", width, height, sr_status_message(st));
        goto done;
    }
    *jpeg_bytes = jpeg_total / frames;
    *h264_bytes = h264_total / frames;
done:
    sr_video_free(video);
    sr_h264_free(h264);
    free(rgb), free(crop), free(yuv);
    return st;
}
