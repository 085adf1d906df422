/* sr_framecodec.h: whole-frame image/video codecs used as the cloud-only baseline: JPEG through
 * libjpeg-turbo and H.264 through libx264.
 *
 * Both report real encoded sizes. H.264 is encode-only (simrun needs sizes and encode cost; decoding
 * is not implemented). The x264 encoder runs single-threaded and deterministic, so the same frames and
 * parameters give the same bytes. */
#ifndef SR_FRAMECODEC_H
#define SR_FRAMECODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

/* Encodes an RGB24 image (w*h*3 bytes, row-major, borrowed) at quality 1..100 with 4:2:0 chroma.
 * *bytes is malloc'ed: caller frees with free(). */
sr_status sr_jpeg_encode(const uint8_t *rgb, int w, int h, int quality, uint8_t **bytes, size_t *n_bytes);
/* Decodes a JPEG into RGB24; *rgb is malloc'ed (caller frees). SR_ERR_CORRUPT on a damaged stream. */
sr_status sr_jpeg_decode(const uint8_t *bytes, size_t n_bytes, uint8_t **rgb, int *w, int *h);

typedef struct sr_h264 sr_h264;

typedef struct {
    int width, height;      /* even */
    int fps_num, fps_den;   /* frame rate fps_num / fps_den */
    double crf;             /* constant rate factor (0..51), used when bitrate_kbps == 0 */
    int bitrate_kbps;       /* > 0: ABR at this bitrate instead of CRF */
    int gop;                /* maximum distance between IDR frames (keyint) */
    const char *preset;     /* x264 preset: "ultrafast" .. "placebo" (NULL: "medium") */
    const char *tune;       /* x264 tune, e.g. "zerolatency" (one output per input); NULL: none */
} sr_h264_params;

/* SR_ERR_INVALID with a reason in err for bad parameters. Caller frees with sr_h264_free(). */
sr_status sr_h264_create(const sr_h264_params *p, sr_h264 **out, char *err, size_t err_size);
void sr_h264_free(sr_h264 *e); /* NULL is a no-op */

/* Encodes one I420 frame (planes borrowed: y w*h, u and v (w/2)*(h/2)). *bytes (malloc'ed, caller frees)
 * holds the NAL units produced by this call, possibly none (*n_bytes 0) while the encoder buffers
 * look-ahead frames; *is_key is 1 when they form an IDR frame. */
sr_status sr_h264_encode(sr_h264 *e, const uint8_t *y, const uint8_t *u, const uint8_t *v, uint8_t **bytes,
                         size_t *n_bytes, int *is_key);
/* Drains one delayed frame; *n_bytes is 0 when nothing is left. */
sr_status sr_h264_flush(sr_h264 *e, uint8_t **bytes, size_t *n_bytes, int *is_key);

#endif
