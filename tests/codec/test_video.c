/* test_video.c: the synthetic video is deterministic (same seed -> identical bytes, other seed ->
 * different), objects move, y4m write/read round trips for 4:2:0 and 4:4:4, and malformed headers or
 * truncated files give clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "video.h"
#include "y4m.h"

#define W 96
#define H 64

static void render(uint64_t seed, int frames, uint8_t *out)
{
    sr_video_params p = sr_video_default_params(W, H, seed);
    sr_video *v;
    assert_int_equal(sr_video_create(&p, &v), SR_OK);
    for (int f = 0; f < frames; f++)
        assert_int_equal(sr_video_next_rgb(v, out + (size_t)f * W * H * 3), SR_OK);
    assert_int_equal(sr_video_frame_index(v), frames);
    sr_video_free(v);
}

static void test_deterministic(void **state)
{
    (void)state;
    size_t fb = W * H * 3;
    uint8_t *a = malloc(5 * fb), *b = malloc(5 * fb), *c = malloc(5 * fb);
    render(1, 5, a);
    render(1, 5, b);
    render(2, 5, c);
    assert_memory_equal(a, b, 5 * fb);
    assert_memory_not_equal(a, c, fb);
    assert_memory_not_equal(a, a + 4 * fb, fb); /* frames change */
    size_t diff = 0;
    for (size_t i = 0; i < fb; i++)
        diff += abs((int)a[i] - (int)a[4 * fb + i]) > 20;
    assert_true(diff > 50); /* objects moved, not only noise */
    sr_video_params p = sr_video_default_params(8, 8, 1);
    sr_video *v = (sr_video *)1;
    assert_int_equal(sr_video_create(&p, &v), SR_ERR_INVALID);
    assert_null(v);
    free(a), free(b), free(c);
}

static void test_y4m_round_trip(void **state)
{
    (void)state;
    char path[512];
    for (int chroma = 0; chroma < 2; chroma++) {
        snprintf(path, sizeof path, "%s/test_video_%d.y4m", SR_BINARY_DIR, chroma);
        sr_y4m_info info = {W, H, 30000, 1001, chroma ? SR_Y4M_444 : SR_Y4M_420};
        size_t fb = sr_y4m_frame_bytes(&info);
        assert_int_equal(fb, chroma ? (size_t)W * H * 3 : (size_t)W * H * 3 / 2);
        uint8_t rgb[W * H * 3], *frames = malloc(3 * fb);
        sr_video_params p = sr_video_default_params(W, H, 5);
        sr_video *v;
        assert_int_equal(sr_video_create(&p, &v), SR_OK);
        sr_y4m_writer *w;
        char err[256];
        assert_int_equal(sr_y4m_writer_open(path, &info, &w, err, sizeof err), SR_OK);
        for (int f = 0; f < 3; f++) {
            uint8_t *fr = frames + (size_t)f * fb;
            assert_int_equal(sr_video_next_rgb(v, rgb), SR_OK);
            if (chroma)
                sr_rgb_to_yuv444(rgb, W, H, fr, fr + W * H, fr + 2 * W * H);
            else
                sr_rgb_to_yuv420(rgb, W, H, fr, fr + W * H, fr + W * H + W * H / 4);
            assert_int_equal(sr_y4m_write_frame(w, fr), SR_OK);
        }
        assert_int_equal(sr_y4m_writer_close(w), SR_OK);
        sr_y4m_reader *r;
        assert_int_equal(sr_y4m_reader_open(path, &r, err, sizeof err), SR_OK);
        const sr_y4m_info *ri = sr_y4m_reader_info(r);
        assert_int_equal(ri->width, W);
        assert_int_equal(ri->height, H);
        assert_int_equal(ri->fps_num, 30000);
        assert_int_equal(ri->fps_den, 1001);
        assert_int_equal(ri->chroma, info.chroma);
        uint8_t *back = malloc(fb);
        int eof;
        for (int f = 0; f < 3; f++) {
            assert_int_equal(sr_y4m_read_frame(r, back, &eof, err, sizeof err), SR_OK);
            assert_int_equal(eof, 0);
            assert_memory_equal(back, frames + (size_t)f * fb, fb);
        }
        assert_int_equal(sr_y4m_read_frame(r, back, &eof, err, sizeof err), SR_OK);
        assert_int_equal(eof, 1);
        sr_y4m_reader_free(r);
        /* truncated file (10 bytes cut from the last frame): clear error on that frame */
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(truncate(path, sb.st_size - 10), 0);
        assert_int_equal(sr_y4m_reader_open(path, &r, err, sizeof err), SR_OK);
        assert_int_equal(sr_y4m_read_frame(r, back, &eof, err, sizeof err), SR_OK);
        assert_int_equal(sr_y4m_read_frame(r, back, &eof, err, sizeof err), SR_OK);
        assert_int_equal(sr_y4m_read_frame(r, back, &eof, err, sizeof err), SR_ERR_PARSE);
        assert_non_null(strstr(err, "truncated"));
        sr_y4m_reader_free(r);
        remove(path);
        free(frames), free(back);
        sr_video_free(v);
    }
}

static void test_y4m_headers(void **state)
{
    (void)state;
    sr_y4m_info i;
    char err[256];
    assert_int_equal(sr_y4m_parse_header("YUV4MPEG2 W1280 H720 F30:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n", &i, err,
                                         sizeof err),
                     SR_OK);
    assert_int_equal(i.width, 1280);
    assert_int_equal(i.chroma, SR_Y4M_420);
    assert_int_equal(sr_y4m_parse_header("YUV4MPEG2 W16 H16 F25:1 C444", &i, err, sizeof err), SR_OK);
    assert_int_equal(i.chroma, SR_Y4M_444);
    assert_int_equal(sr_y4m_parse_header("YUV4MPEG2 W16 H16 F25:1", &i, err, sizeof err), SR_OK);
    assert_int_equal(i.chroma, SR_Y4M_420); /* default */
    struct {
        const char *line;
        sr_status st;
        const char *msg;
    } bad[] = {{"YUV4MPEG W16 H16 F25:1", SR_ERR_PARSE, "YUV4MPEG2"},
               {"YUV4MPEG2 W16 F25:1", SR_ERR_PARSE, "H<height>"},
               {"YUV4MPEG2 W0 H16 F25:1", SR_ERR_PARSE, "W0"},
               {"YUV4MPEG2 Wx H16 F25:1", SR_ERR_PARSE, "Wx"},
               {"YUV4MPEG2 W16 H16 F25", SR_ERR_PARSE, "F25"},
               {"YUV4MPEG2 W16 H16", SR_ERR_PARSE, "F<n>:<d>"},
               {"YUV4MPEG2 W16 H16 F25:1 C422", SR_ERR_UNSUPPORTED, "C422"},
               {"YUV4MPEG2 W16 H16 F25:1 It", SR_ERR_UNSUPPORTED, "It"},
               {"YUV4MPEG2 W16 H16 F25:1 Q5", SR_ERR_PARSE, "Q5"},
               {"YUV4MPEG2 W99999 H16 F25:1", SR_ERR_PARSE, "W99999"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        err[0] = '\0';
        assert_int_equal(sr_y4m_parse_header(bad[k].line, &i, err, sizeof err), bad[k].st);
        assert_non_null(strstr(err, bad[k].msg));
    }
    sr_y4m_reader *r;
    assert_int_equal(sr_y4m_reader_open("/nonexistent/x.y4m", &r, err, sizeof err), SR_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/x.y4m"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_deterministic), cmocka_unit_test(test_y4m_round_trip),
                                       cmocka_unit_test(test_y4m_headers)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
