/* video.h: deterministic synthetic video for codec and split-inference experiments.
 *
 * Frames show a textured background (sums of oriented colour gratings), moving objects of several sizes
 * (textured rectangles and ellipses bouncing off the borders), a slow global lighting drift and
 * per-pixel Gaussian sensor noise. Everything random comes from one gsl_rng (mt19937) seeded with
 * params.seed: the same parameters give byte-identical frames. Any resolution and frame rate; object
 * sizes and speeds scale with the resolution. Also: RGB -> YUV (BT.601 full range, as JPEG/C420jpeg)
 * and RGB -> normalised CHW floats (DNN input). */
#ifndef SR_VIDEO_H
#define SR_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct {
    int width, height;      /* pixels, >= 16 */
    int fps_num, fps_den;   /* frame rate */
    uint64_t seed;
    int n_objects;          /* 0..64 */
    double noise_sigma;     /* sensor noise, in 8-bit levels (0 = none) */
    double drift_amplitude; /* lighting gain varies as 1 + a sin(2 pi t / period) */
    double drift_period_s;
    double speed_scale;     /* 1 = default object speeds; 0 = static scene */
} sr_video_params;

typedef struct sr_video sr_video;

/* Defaults: 30 fps, 6 objects, noise 2 levels, drift 5 % over 10 s, speed 1. */
sr_video_params sr_video_default_params(int width, int height, uint64_t seed);
/* SR_ERR_INVALID for out-of-range parameters. Caller frees with sr_video_free(). */
sr_status sr_video_create(const sr_video_params *p, sr_video **out);
void sr_video_free(sr_video *v); /* NULL is a no-op */
/* Renders the next frame into rgb (width*height*3 bytes, caller-provided). */
sr_status sr_video_next_rgb(sr_video *v, uint8_t *rgb);
/* Index of the next frame to be rendered (starts at 0). */
long sr_video_frame_index(const sr_video *v);

/* BT.601 full-range conversion. 4:2:0 planes are ceil(w/2) x ceil(h/2) (2x2 averages); 4:4:4 planes are
 * w x h. Outputs caller-provided. */
void sr_rgb_to_yuv420(const uint8_t *rgb, int w, int h, uint8_t *y, uint8_t *u, uint8_t *v);
void sr_rgb_to_yuv444(const uint8_t *rgb, int w, int h, uint8_t *y, uint8_t *u, uint8_t *v);
/* RGB24 -> 3 x h x w floats normalised with the ImageNet mean/std (torchvision convention). */
void sr_rgb_to_chw_imagenet(const uint8_t *rgb, int w, int h, float *out);

#endif
