/* test_frame.c: JPEG size decreases with quality and decodes with PSNR > 30 dB at q = 90 on synthetic
 * video; damaged JPEG gives an error; H.264 encodes a 10-frame sequence with the IDR frame larger than
 * the P frames on near-static video; bad parameters are rejected. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_framecodec.h"
#include "video.h"

#define W 320
#define H 240

static double psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
    return e == 0 ? INFINITY : 10 * log10(255.0 * 255.0 / (e / (double)n));
}

static void test_jpeg(void **state)
{
    (void)state;
    sr_video_params p = sr_video_default_params(W, H, 42);
    sr_video *v;
    assert_int_equal(sr_video_create(&p, &v), SR_OK);
    uint8_t *rgb = malloc(W * H * 3);
    assert_int_equal(sr_video_next_rgb(v, rgb), SR_OK);
    const int q[] = {20, 50, 75, 90, 98};
    size_t prev = 0;
    for (int i = 0; i < 5; i++) {
        uint8_t *b;
        size_t n;
        assert_int_equal(sr_jpeg_encode(rgb, W, H, q[i], &b, &n), SR_OK);
        assert_true(n > 100 && n < W * H * 3);
        assert_true(n > prev); /* size grows with quality */
        prev = n;
        uint8_t *dec;
        int w, h;
        assert_int_equal(sr_jpeg_decode(b, n, &dec, &w, &h), SR_OK);
        assert_int_equal(w, W);
        assert_int_equal(h, H);
        if (q[i] == 90)
            assert_true(psnr(rgb, dec, W * H * 3) > 30);
        if (q[i] == 20)
            assert_true(psnr(rgb, dec, W * H * 3) < 40);
        free(dec);
        if (i == 4) { /* truncated / garbage streams */
            uint8_t *out = NULL;
            assert_int_equal(sr_jpeg_decode(b, 10, &out, &w, &h), SR_ERR_CORRUPT);
            assert_null(out);
            uint8_t junk[64] = {0xff, 0xd8, 0xff, 0x00};
            assert_int_equal(sr_jpeg_decode(junk, sizeof junk, &out, &w, &h), SR_ERR_CORRUPT);
        }
        free(b);
    }
    uint8_t *b;
    size_t n;
    assert_int_equal(sr_jpeg_encode(rgb, W, H, 0, &b, &n), SR_ERR_INVALID);
    free(rgb);
    sr_video_free(v);
}

static void test_h264(void **state)
{
    (void)state;
    sr_video_params p = sr_video_default_params(W, H, 7);
    p.speed_scale = 0.1; /* static-ish scene */
    p.noise_sigma = 1.0;
    sr_video *v;
    assert_int_equal(sr_video_create(&p, &v), SR_OK);
    sr_h264_params hp = {.width = W, .height = H, .fps_num = 30, .fps_den = 1, .crf = 23, .gop = 30,
                         .preset = "veryfast", .tune = "zerolatency"};
    sr_h264 *e;
    char err[128];
    assert_int_equal(sr_h264_create(&hp, &e, err, sizeof err), SR_OK);
    uint8_t *rgb = malloc(W * H * 3), *yuv = malloc(W * H * 3 / 2);
    size_t sizes[10], total = 0;
    int keys[10];
    for (int f = 0; f < 10; f++) {
        assert_int_equal(sr_video_next_rgb(v, rgb), SR_OK);
        sr_rgb_to_yuv420(rgb, W, H, yuv, yuv + W * H, yuv + W * H + W * H / 4);
        uint8_t *b;
        assert_int_equal(sr_h264_encode(e, yuv, yuv + W * H, yuv + W * H + W * H / 4, &b, &sizes[f], &keys[f]),
                         SR_OK);
        assert_true(sizes[f] > 0); /* zerolatency: one output per input */
        total += sizes[f];
        free(b);
    }
    uint8_t *b;
    size_t n;
    int k;
    assert_int_equal(sr_h264_flush(e, &b, &n, &k), SR_OK);
    assert_int_equal(n, 0);
    assert_true(total > 0);
    assert_int_equal(keys[0], 1);
    for (int f = 1; f < 10; f++) {
        assert_int_equal(keys[f], 0);
        assert_true(sizes[0] > 2 * sizes[f]);
    }
    sr_h264_free(e);
    hp.width = 321;
    assert_int_equal(sr_h264_create(&hp, &e, err, sizeof err), SR_ERR_INVALID);
    hp.width = W;
    hp.preset = "warp-speed";
    assert_int_equal(sr_h264_create(&hp, &e, err, sizeof err), SR_ERR_INVALID);
    sr_h264_free(NULL);
    free(rgb), free(yuv);
    sr_video_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_jpeg), cmocka_unit_test(test_h264)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
