/* video.c: synthetic video generator and colour conversions (see video.h). */
#include "video.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_GRATINGS 6
#define MAX_OBJECTS 64

typedef struct {
    double x, y, vx, vy; /* centre and velocity, pixels and pixels per frame */
    double rx, ry;       /* half sizes */
    int ellipse;
    double col[3], col2[3];
    double stripe_freq, stripe_angle;
} object;

struct sr_video {
    sr_video_params p;
    gsl_rng *rng;
    float *bg; /* w*h*3 background, 0..255 */
    object obj[MAX_OBJECTS];
    long frame;
};

sr_video_params sr_video_default_params(int width, int height, uint64_t seed)
{
    return (sr_video_params){.width = width,
                             .height = height,
                             .fps_num = 30,
                             .fps_den = 1,
                             .seed = seed,
                             .n_objects = 6,
                             .noise_sigma = 2.0,
                             .drift_amplitude = 0.05,
                             .drift_period_s = 10.0,
                             .speed_scale = 1.0};
}

static double clamp255(double v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

sr_status sr_video_create(const sr_video_params *p, sr_video **out)
{
    *out = NULL;
    if (!p || p->width < 16 || p->height < 16 || p->width > 16384 || p->height > 16384 || p->fps_num < 1 ||
        p->fps_den < 1 || p->n_objects < 0 || p->n_objects > MAX_OBJECTS || !(p->noise_sigma >= 0) ||
        !(p->drift_amplitude >= 0 && p->drift_amplitude < 1) || !(p->drift_period_s > 0) ||
        !(p->speed_scale >= 0 && p->speed_scale < 1e3))
        return SR_ERR_INVALID;
    sr_video *v = calloc(1, sizeof *v);
    if (!v)
        return SR_ERR_NOMEM;
    v->p = *p;
    v->rng = gsl_rng_alloc(gsl_rng_mt19937);
    v->bg = malloc((size_t)p->width * (size_t)p->height * 3 * sizeof *v->bg);
    if (!v->rng || !v->bg) {
        sr_video_free(v);
        return SR_ERR_NOMEM;
    }
    gsl_rng_set(v->rng, (unsigned long)p->seed);
    int w = p->width, h = p->height;
    double scale = fmin(w, h);
    /* background: oriented colour gratings with wavelengths from 1/3 of the frame down to ~6 px */
    double gf[N_GRATINGS], ga[N_GRATINGS], gph[N_GRATINGS], gc[N_GRATINGS][3], base[3];
    for (int k = 0; k < N_GRATINGS; k++) {
        double wavelength = scale / 3.0 * pow(0.5, k * 0.9);
        wavelength = wavelength < 6 ? 6 : wavelength;
        gf[k] = 2 * M_PI / wavelength;
        ga[k] = gsl_rng_uniform(v->rng) * M_PI;
        gph[k] = gsl_rng_uniform(v->rng) * 2 * M_PI;
        for (int c = 0; c < 3; c++)
            gc[k][c] = (10 + 20 * gsl_rng_uniform(v->rng)) / (1 + 0.3 * k);
    }
    for (int c = 0; c < 3; c++)
        base[c] = 80 + 60 * gsl_rng_uniform(v->rng);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *px = v->bg + ((size_t)y * (size_t)w + (size_t)x) * 3;
            for (int c = 0; c < 3; c++)
                px[c] = (float)(base[c] + 30.0 * y / h);
            for (int k = 0; k < N_GRATINGS; k++) {
                double s = sin(gf[k] * (x * cos(ga[k]) + y * sin(ga[k])) + gph[k]);
                for (int c = 0; c < 3; c++)
                    px[c] += (float)(gc[k][c] * s);
            }
        }
    /* objects: sizes spread log-uniformly from 2 % to 25 % of the smaller side */
    double fps = (double)p->fps_num / p->fps_den;
    for (int i = 0; i < p->n_objects; i++) {
        object *o = &v->obj[i];
        double frac = p->n_objects > 1 ? (double)i / (p->n_objects - 1) : 0.5;
        double size = scale * 0.02 * pow(12.5, frac);
        o->rx = size * (0.6 + 0.8 * gsl_rng_uniform(v->rng));
        o->ry = size * (0.6 + 0.8 * gsl_rng_uniform(v->rng));
        o->x = o->rx + gsl_rng_uniform(v->rng) * fmax(1, w - 2 * o->rx);
        o->y = o->ry + gsl_rng_uniform(v->rng) * fmax(1, h - 2 * o->ry);
        double speed = scale * (0.05 + 0.25 * gsl_rng_uniform(v->rng)) / fps * p->speed_scale; /* px/frame */
        double dir = gsl_rng_uniform(v->rng) * 2 * M_PI;
        o->vx = speed * cos(dir);
        o->vy = speed * sin(dir);
        o->ellipse = gsl_rng_uniform(v->rng) < 0.5;
        for (int c = 0; c < 3; c++) {
            o->col[c] = 255 * gsl_rng_uniform(v->rng);
            o->col2[c] = 255 * gsl_rng_uniform(v->rng);
        }
        o->stripe_freq = 2 * M_PI / fmax(3, size * (0.1 + 0.3 * gsl_rng_uniform(v->rng)));
        o->stripe_angle = gsl_rng_uniform(v->rng) * M_PI;
    }
    *out = v;
    return SR_OK;
}

void sr_video_free(sr_video *v)
{
    if (!v)
        return;
    gsl_rng_free(v->rng);
    free(v->bg);
    free(v);
}

long sr_video_frame_index(const sr_video *v) { return v->frame; }

static void move(object *o, int w, int h)
{
    o->x += o->vx;
    o->y += o->vy;
    if (o->x < o->rx)
        o->x = 2 * o->rx - o->x, o->vx = fabs(o->vx);
    if (o->x > w - o->rx)
        o->x = 2 * (w - o->rx) - o->x, o->vx = -fabs(o->vx);
    if (o->y < o->ry)
        o->y = 2 * o->ry - o->y, o->vy = fabs(o->vy);
    if (o->y > h - o->ry)
        o->y = 2 * (h - o->ry) - o->y, o->vy = -fabs(o->vy);
}

sr_status sr_video_next_rgb(sr_video *v, uint8_t *rgb)
{
    if (!rgb)
        return SR_ERR_INVALID;
    int w = v->p.width, h = v->p.height;
    double fps = (double)v->p.fps_num / v->p.fps_den;
    double t_s = v->frame / fps;
    double gain = 1 + v->p.drift_amplitude * sin(2 * M_PI * t_s / v->p.drift_period_s);
    size_t npx = (size_t)w * (size_t)h;
    float *f = malloc(npx * 3 * sizeof *f);
    if (!f)
        return SR_ERR_NOMEM;
    memcpy(f, v->bg, npx * 3 * sizeof *f);
    for (int i = 0; i < v->p.n_objects; i++) {
        const object *o = &v->obj[i];
        int x0 = (int)floor(o->x - o->rx), x1 = (int)ceil(o->x + o->rx);
        int y0 = (int)floor(o->y - o->ry), y1 = (int)ceil(o->y + o->ry);
        x0 = x0 < 0 ? 0 : x0, y0 = y0 < 0 ? 0 : y0;
        x1 = x1 > w ? w : x1, y1 = y1 > h ? h : y1;
        double ca = cos(o->stripe_angle), sa = sin(o->stripe_angle);
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++) {
                double dx = (x + 0.5 - o->x) / o->rx, dy = (y + 0.5 - o->y) / o->ry;
                if (o->ellipse ? dx * dx + dy * dy > 1 : fabs(dx) > 1 || fabs(dy) > 1)
                    continue;
                /* texture moves with the object */
                double u = (x - o->x) * ca + (y - o->y) * sa;
                double s = 0.5 + 0.5 * sin(o->stripe_freq * u);
                float *px = f + ((size_t)y * (size_t)w + (size_t)x) * 3;
                for (int c = 0; c < 3; c++)
                    px[c] = (float)(o->col[c] * s + o->col2[c] * (1 - s));
            }
    }
    for (size_t i = 0; i < npx * 3; i++) {
        double val = f[i] * gain;
        if (v->p.noise_sigma > 0)
            val += gsl_ran_gaussian_ziggurat(v->rng, v->p.noise_sigma);
        rgb[i] = (uint8_t)lrint(clamp255(val));
    }
    free(f);
    for (int i = 0; i < v->p.n_objects; i++)
        move(&v->obj[i], w, h);
    v->frame++;
    return SR_OK;
}

static void px_yuv(const uint8_t *p, double *y, double *u, double *v)
{
    double r = p[0], g = p[1], b = p[2];
    *y = 0.299 * r + 0.587 * g + 0.114 * b;
    *u = -0.168736 * r - 0.331264 * g + 0.5 * b + 128;
    *v = 0.5 * r - 0.418688 * g - 0.081312 * b + 128;
}

void sr_rgb_to_yuv444(const uint8_t *rgb, int w, int h, uint8_t *y, uint8_t *u, uint8_t *v)
{
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        double yy, uu, vv;
        px_yuv(rgb + 3 * i, &yy, &uu, &vv);
        y[i] = (uint8_t)lrint(clamp255(yy));
        u[i] = (uint8_t)lrint(clamp255(uu));
        v[i] = (uint8_t)lrint(clamp255(vv));
    }
}

void sr_rgb_to_yuv420(const uint8_t *rgb, int w, int h, uint8_t *y, uint8_t *u, uint8_t *v)
{
    int cw = (w + 1) / 2, chh = (h + 1) / 2;
    for (int j = 0; j < chh; j++)
        for (int i = 0; i < cw; i++) {
            double su = 0, sv = 0;
            int cnt = 0;
            for (int dy = 0; dy < 2; dy++)
                for (int dx = 0; dx < 2; dx++) {
                    int x = 2 * i + dx, yy = 2 * j + dy;
                    if (x >= w || yy >= h)
                        continue;
                    double ly, lu, lv;
                    px_yuv(rgb + ((size_t)yy * (size_t)w + (size_t)x) * 3, &ly, &lu, &lv);
                    y[(size_t)yy * (size_t)w + (size_t)x] = (uint8_t)lrint(clamp255(ly));
                    su += lu, sv += lv, cnt++;
                }
            u[(size_t)j * (size_t)cw + (size_t)i] = (uint8_t)lrint(clamp255(su / cnt));
            v[(size_t)j * (size_t)cw + (size_t)i] = (uint8_t)lrint(clamp255(sv / cnt));
        }
}

void sr_rgb_to_chw_imagenet(const uint8_t *rgb, int w, int h, float *out)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    size_t n = (size_t)w * (size_t)h;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < n; i++)
            out[(size_t)c * n + i] = (rgb[3 * i + (size_t)c] / 255.0f - mean[c]) / std[c];
}
