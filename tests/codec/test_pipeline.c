/* test_pipeline.c: codec pipelines end to end: name parsing and errors, lossless raw path, error bounds
 * of lossy pipelines, inter-frame coding (encoder and decoder reconstructions identical over 20 frames
 * with key frames, residual frames smaller than key frames), and truncated / byte-flipped streams that
 * must give errors without crashing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_codec.h"

#define C 8
#define H 12
#define W 20
#define N (C * H * W)

/* post-ReLU-like maps: smooth correlated channels, ~half zeros; frame t drifts slowly */
static void make_frame(float *x, int t, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++) {
                double v = sin(0.3 * xx + 0.05 * t + c) * cos(0.2 * y - 0.03 * t) * (1 + 0.2 * c) +
                           0.05 * gsl_ran_gaussian(r, 1.0);
                x[(c * H + y) * W + xx] = (float)(v > 0 ? v : 0);
            }
    gsl_rng_free(r);
}

static void test_names(void **state)
{
    (void)state;
    const char *good[] = {"quant8", "quant8+zrle+rans", "dct8+quant6+huffman", "klt+quant8+rans",
                          "inter(quant8+rans,key=10)", "quant4.pc.clip99.5+zstd", "lloyd5+huffman",
                          "mulaw6.mu100+rans", "klt4.key+quant8+zrle+huffman", "dct+quant8", "raw", "dct8",
                          "inter(raw,key=3)"};
    char err[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        sr_codec *c = NULL;
        assert_int_equal(sr_codec_create(good[i], C, H, W, &c, err, sizeof err), SR_OK);
        assert_string_equal(sr_codec_name(c), good[i]);
        sr_codec_free(c);
    }
    const char *bad[] = {"quant0", "quant17", "rans+quant8", "quant8+rans+zrle", "zrle", "huffman", "foo",
                         "quant8++rans", "quant8+", "inter(quant8,key=0)", "inter(quant8)", "inter(quant8,key=3",
                         "klt9+quant8", "lloyd13", "", "raw+raw", "quant8.clip20", "dct8+dct8+quant8", "quant8.xx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sr_codec *c = (sr_codec *)1;
        err[0] = '\0';
        assert_int_equal(sr_codec_create(bad[i], C, H, W, &c, err, sizeof err), SR_ERR_INVALID);
        assert_null(c);
        assert_true(strlen(err) > 10);
    }
    sr_codec *c;
    assert_int_equal(sr_codec_create("quant8", 0, H, W, &c, err, sizeof err), SR_ERR_INVALID);
    sr_codec_free(NULL);
}

static void encode_decode(const char *name, const float *x, float *y, size_t *n_bytes)
{
    sr_codec *c;
    char err[256];
    assert_int_equal(sr_codec_create(name, C, H, W, &c, err, sizeof err), SR_OK);
    uint8_t *b;
    assert_int_equal(sr_codec_encode(c, x, &b, n_bytes), SR_OK);
    assert_int_equal(sr_codec_decode(c, b, *n_bytes, y), SR_OK);
    free(b);
    sr_codec_free(c);
}

static void test_lossless_and_lossy(void **state)
{
    (void)state;
    float x[N], y[N];
    size_t nb;
    make_frame(x, 0, 1);
    /* quant16 is near-lossless; error bounded by step/2 */
    encode_decode("quant16+rans", x, y, &nb);
    double lo = 0, hi = 0;
    for (int i = 0; i < N; i++)
        hi = fmax(hi, x[i]);
    assert_true(sr_metric_max_abs_err(x, y, N) <= (hi - lo) / 65535 / 2 * 1.001);
    /* lossy pipelines: SNR ordering by bits, and the same reconstruction whatever the entropy coder */
    float y2[N];
    encode_decode("quant8", x, y, &nb);
    size_t raw8 = nb;
    assert_true(raw8 < N + 64);
    encode_decode("quant8+zrle+rans", x, y2, &nb);
    assert_memory_equal(y, y2, sizeof y);
    assert_true(nb < raw8);
    encode_decode("quant8+huffman", x, y2, &nb);
    assert_memory_equal(y, y2, sizeof y);
    double snr8 = sr_metric_snr_db(x, y, N);
    encode_decode("quant4+rans", x, y, &nb);
    double snr4 = sr_metric_snr_db(x, y, N);
    assert_true(snr8 > snr4 + 18); /* ~6 dB per bit */
    encode_decode("dct8+quant8+huffman", x, y, &nb);
    assert_true(sr_metric_snr_db(x, y, N) > 30);
    encode_decode("klt+quant8+rans", x, y, &nb);
    assert_true(sr_metric_snr_db(x, y, N) > 30);
    encode_decode("lloyd6.pc+zrle+huffman", x, y, &nb);
    assert_true(sr_metric_snr_db(x, y, N) > 25);
    encode_decode("mulaw8+zstd", x, y, &nb);
    assert_true(sr_metric_snr_db(x, y, N) > 25);
    /* metrics */
    assert_true(isinf(sr_metric_snr_db(x, x, N)));
    assert_float_equal(sr_metric_rel_l2(x, x, N), 0.0, 0);
}

static void test_raw_exact(void **state)
{
    (void)state;
    float x[N], y[N];
    make_frame(x, 3, 2);
    x[0] = -0.0f;
    x[1] = 1e-40f; /* denormal */
    x[2] = -1e30f;
    x[3] = INFINITY;
    sr_codec *c;
    assert_int_equal(sr_codec_create("raw", C, H, W, &c, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_is_lossless(c), 1);
    uint8_t *b;
    size_t nb;
    assert_int_equal(sr_codec_encode(c, x, &b, &nb), SR_OK);
    assert_int_equal(sr_codec_decode(c, b, nb, y), SR_OK);
    assert_memory_equal(x, y, sizeof x);
    free(b);
    sr_codec_free(c);
    /* transform only: orthonormal round trip within 1e-5 */
    x[2] = 0, x[3] = 0;
    assert_int_equal(sr_codec_create("dct8", C, H, W, &c, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_is_lossless(c), 0);
    assert_int_equal(sr_codec_encode(c, x, &b, &nb), SR_OK);
    assert_int_equal(sr_codec_decode(c, b, nb, y), SR_OK);
    assert_true(sr_metric_max_abs_err(x, y, N) <= 1e-5);
    free(b);
    sr_codec_free(c);
}

static void test_inter(void **state)
{
    (void)state;
    const char *names[] = {"inter(quant8+rans,key=10)", "inter(quant6+zrle+huffman,key=4)",
                           "inter(klt.key+quant8+rans,key=5)", "inter(dct8+quant8+zstd,key=7)"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        sr_codec *enc, *dec;
        assert_int_equal(sr_codec_create(names[k], C, H, W, &enc, NULL, 0), SR_OK);
        assert_int_equal(sr_codec_create(names[k], C, H, W, &dec, NULL, 0), SR_OK);
        size_t key_bytes = 0, p_bytes = 0;
        int n_key = 0, n_p = 0;
        for (int t = 0; t < 20; t++) {
            float x[N], y[N];
            make_frame(x, t, 100 + (unsigned long)t);
            uint8_t *b;
            size_t nb;
            assert_int_equal(sr_codec_encode(enc, x, &b, &nb), SR_OK);
            int key = sr_codec_last_was_key(enc);
            assert_int_equal(key, t % (int)(k == 0 ? 10 : k == 1 ? 4 : k == 2 ? 5 : 7) == 0);
            assert_int_equal(sr_codec_decode(dec, b, nb, y), SR_OK);
            const float *rec = sr_codec_encoder_recon(enc);
            assert_non_null(rec);
            assert_memory_equal(rec, y, sizeof y); /* encoder and decoder in step, bit for bit */
            assert_true(sr_metric_snr_db(x, y, N) > 25);
            if (key)
                key_bytes += nb, n_key++;
            else
                p_bytes += nb, n_p++;
            free(b);
        }
        assert_true(n_key >= 2 && n_p > 0);
        if (k != 2) /* KLT key frames also carry the basis */
            assert_true((double)p_bytes / n_p < (double)key_bytes / n_key);
        sr_codec_free(enc);
        sr_codec_free(dec);
    }
    /* a residual frame without its reference is rejected */
    sr_codec *a, *b2;
    assert_int_equal(sr_codec_create("inter(quant8,key=10)", C, H, W, &a, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_create("inter(quant8,key=10)", C, H, W, &b2, NULL, 0), SR_OK);
    float x[N], y[N];
    uint8_t *f0, *f1;
    size_t n0, n1;
    make_frame(x, 0, 5);
    assert_int_equal(sr_codec_encode(a, x, &f0, &n0), SR_OK);
    make_frame(x, 1, 6);
    assert_int_equal(sr_codec_encode(a, x, &f1, &n1), SR_OK);
    assert_int_equal(sr_codec_decode(b2, f1, n1, y), SR_ERR_CORRUPT);
    assert_int_equal(sr_codec_decode(b2, f0, n0, y), SR_OK);
    assert_int_equal(sr_codec_decode(b2, f1, n1, y), SR_OK);
    assert_memory_equal(y, sr_codec_encoder_recon(a), sizeof y);
    free(f0), free(f1);
    sr_codec_free(a);
    sr_codec_free(b2);
}

static void test_corrupt(void **state)
{
    (void)state;
    const char *names[] = {"quant8",           "quant8+zrle+rans",  "dct8+quant6+huffman", "klt+quant8+rans",
                           "lloyd4+zrle+zstd", "mulaw6.pc+huffman", "dct8", "raw"};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);
    float x[N], y[N];
    make_frame(x, 0, 9);
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        sr_codec *c;
        assert_int_equal(sr_codec_create(names[k], C, H, W, &c, NULL, 0), SR_OK);
        uint8_t *b;
        size_t nb;
        assert_int_equal(sr_codec_encode(c, x, &b, &nb), SR_OK);
        for (size_t len = 0; len < nb; len++) {
            uint8_t *t = malloc(len ? len : 1);
            memcpy(t, b, len);
            assert_int_equal(sr_codec_decode(c, t, len, y), SR_ERR_CORRUPT);
            free(t);
        }
        /* trailing garbage */
        uint8_t *t = malloc(nb + 1);
        memcpy(t, b, nb);
        t[nb] = 0;
        assert_int_equal(sr_codec_decode(c, t, nb + 1, y), SR_ERR_CORRUPT);
        free(t);
        for (int it = 0; it < 200; it++) {
            t = malloc(nb);
            memcpy(t, b, nb);
            t[gsl_rng_uniform_int(r, nb)] ^= (uint8_t)(1 + gsl_rng_uniform_int(r, 255));
            sr_status st = sr_codec_decode(c, t, nb, y);
            assert_true(st == SR_OK || st == SR_ERR_CORRUPT || st == SR_ERR_SHAPE ||
                        (st == SR_ERR_UNSUPPORTED && t[1] < b[1]));
            free(t);
        }
        /* frames of an older bitstream version (1: rANS format 2) are refused as unsupported, newer ones as
         * corrupt */
        assert_int_equal(b[1], 2);
        b[1] = 1;
        assert_int_equal(sr_codec_decode(c, b, nb, y), SR_ERR_UNSUPPORTED);
        b[1] = 3;
        assert_int_equal(sr_codec_decode(c, b, nb, y), SR_ERR_CORRUPT);
        b[1] = 2;
        assert_int_equal(sr_codec_decode(c, b, nb, y), SR_OK);
        free(b);
        sr_codec_free(c);
    }
    /* a stream for another shape */
    sr_codec *c1, *c2;
    assert_int_equal(sr_codec_create("quant8", C, H, W, &c1, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_create("quant8", C, H, W + 1, &c2, NULL, 0), SR_OK);
    uint8_t *b;
    size_t nb;
    assert_int_equal(sr_codec_encode(c1, x, &b, &nb), SR_OK);
    float *yy = malloc((size_t)C * H * (W + 1) * sizeof *yy);
    assert_int_equal(sr_codec_decode(c2, b, nb, yy), SR_ERR_SHAPE);
    free(yy), free(b);
    sr_codec_free(c1);
    sr_codec_free(c2);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names), cmocka_unit_test(test_lossless_and_lossy), cmocka_unit_test(test_raw_exact),
        cmocka_unit_test(test_inter), cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
