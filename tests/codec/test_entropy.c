/* test_entropy.c: exact round trips of Huffman, rANS, bitpack, zstd and zero-run coding; rANS within
 * 1 % of the order-0 bound and Huffman within Gallager's bound on a large skewed source; every
 * truncation and random byte flips of small streams give errors, never crashes. Every case runs twice: with
 * the rANS decoder's AVX2 loop where this CPU has it, then with its scalar loop (what other CPUs run, and the
 * tails here); and the two loops decode the same streams, intact and damaged, to the same symbols and status.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "sr_entropy.h"
#include "sr_rans_core.h"
#include "sr_zrle.h"

typedef sr_status (*enc_fn)(const uint32_t *, size_t, sr_wbuf *);
typedef sr_status (*dec_fn)(sr_rbuf *, uint32_t *, size_t, size_t *);

static sr_status zstd3(const uint32_t *s, size_t n, sr_wbuf *o) { return sr_zstd_encode(s, n, 3, o); }

static const struct {
    const char *name;
    enc_fn enc;
    dec_fn dec;
} coders[] = {{"huffman", sr_huff_encode, sr_huff_decode},
              {"rans", sr_rans_encode, sr_rans_decode},
              {"zrans", sr_zrans_encode, sr_zrans_decode},
              {"bitpack", sr_bitpack_encode, sr_bitpack_decode},
              {"zstd", zstd3, sr_zstd_decode}};
#define N_CODERS (sizeof coders / sizeof coders[0])

/* geometric-like skewed source over `alpha` symbols */
static uint32_t *skewed(size_t n, double p, uint32_t alpha, unsigned long seed)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    uint32_t *s = malloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        unsigned v = gsl_ran_geometric(r, p) - 1;
        s[i] = v >= alpha ? alpha - 1 : v;
    }
    gsl_rng_free(r);
    return s;
}

static void round_trip(size_t ci, const uint32_t *s, size_t n)
{
    sr_wbuf w;
    sr_wbuf_init(&w);
    assert_int_equal(coders[ci].enc(s, n, &w), SR_OK);
    uint32_t *d = malloc((n ? n : 1) * sizeof *d);
    size_t got = 12345;
    sr_rbuf r;
    sr_rbuf_init(&r, w.data, w.len);
    assert_int_equal(coders[ci].dec(&r, d, n, &got), SR_OK);
    assert_int_equal(got, n);
    assert_int_equal(sr_rbuf_left(&r), 0);
    if (n)
        assert_memory_equal(d, s, n * sizeof *s);
    free(d);
    sr_wbuf_free(&w);
}

static void test_round_trips(void **state)
{
    (void)state;
    uint32_t one[1] = {7}, same[100], wide[4000];
    for (int i = 0; i < 100; i++)
        same[i] = 42;
    for (int i = 0; i < 4000; i++)
        wide[i] = (uint32_t)(i * 2654435761u) % SR_SYM_MAX; /* near-uniform over the whole alphabet */
    uint32_t *sk = skewed(50000, 0.3, 300, 1);
    for (size_t c = 0; c < N_CODERS; c++) {
        round_trip(c, NULL, 0);
        round_trip(c, one, 1);
        round_trip(c, same, 100);
        round_trip(c, wide, 4000);
        round_trip(c, sk, 50000);
    }
    /* every length around the coders' group sizes (rANS: 8 states, pairs of symbols per state; Huffman:
     * 4 streams, two symbols per window), and an alphabet above 4096 symbols (rANS scale above 15: one
     * renormalisation per symbol, 64-bit slot table) */
    uint32_t *big = malloc(30000 * sizeof *big);
    for (int i = 0; i < 30000; i++)
        big[i] = (uint32_t)(i * 2654435761u) % 9000;
    for (size_t c = 0; c < N_CODERS; c++) {
        for (size_t n = 2; n <= 70; n++)
            round_trip(c, sk + n, n);
        round_trip(c, big, 30000);
        round_trip(c, big, 29999);
    }
    free(big);
    free(sk);
}

static void test_huffman_length_limit(void **state)
{
    (void)state;
    /* Fibonacci counts force unrestricted Huffman depths near 30: the limit must hold and decode work */
    size_t n = 0;
    uint64_t f[32] = {1, 1};
    for (int i = 2; i < 32; i++)
        f[i] = f[i - 1] + f[i - 2];
    for (int i = 0; i < 30; i++)
        n += f[i];
    uint32_t *s = malloc(n * sizeof *s);
    size_t o = 0;
    for (int i = 0; i < 30; i++)
        for (uint64_t j = 0; j < f[i]; j++)
            s[o++] = (uint32_t)i;
    uint8_t len[30];
    assert_int_equal(sr_huff_code_lengths(s, n, len, 30), SR_OK);
    uint64_t kraft = 0;
    int maxlen = 0;
    for (int i = 0; i < 30; i++) {
        assert_true(len[i] >= 1 && len[i] <= SR_HUFF_MAX_LEN);
        kraft += 1ull << (SR_HUFF_MAX_LEN - len[i]);
        maxlen = len[i] > maxlen ? len[i] : maxlen;
    }
    assert_int_equal(maxlen, SR_HUFF_MAX_LEN);
    assert_true(kraft <= (1ull << SR_HUFF_MAX_LEN));
    round_trip(0, s, n);
    free(s);
}

static void test_entropy_bounds(void **state)
{
    (void)state;
    size_t n = 1000000;
    uint32_t *s = skewed(n, 0.2, 256, 7);
    double h, pmax;
    assert_int_equal(sr_entropy_order0(s, n, &h, &pmax), SR_OK);
    assert_true(h > 2.0 && h < 5.0);
    sr_wbuf w;
    sr_wbuf_init(&w);
    assert_int_equal(sr_rans_encode(s, n, &w), SR_OK);
    double rans_bits = 8.0 * (double)w.len / (double)n;
    assert_true(rans_bits <= h * 1.01);
    assert_true(rans_bits >= h * 0.999); /* cannot beat the bound (up to the empirical-model header) */
    sr_wbuf_free(&w);
    sr_wbuf_init(&w);
    assert_int_equal(sr_huff_encode(s, n, &w), SR_OK);
    double huff_bits = 8.0 * (double)w.len / (double)n;
    assert_true(huff_bits <= h + pmax + 0.086);
    assert_true(huff_bits >= h);
    sr_wbuf_free(&w);
    /* very skewed: Huffman pays close to p_max, rANS does not */
    uint32_t *t = skewed(n, 0.95, 16, 9);
    assert_int_equal(sr_entropy_order0(t, n, &h, &pmax), SR_OK);
    sr_wbuf_init(&w);
    assert_int_equal(sr_rans_encode(t, n, &w), SR_OK);
    assert_true(8.0 * (double)w.len / (double)n <= h * 1.01);
    sr_wbuf_free(&w);
    sr_wbuf_init(&w);
    assert_int_equal(sr_huff_encode(t, n, &w), SR_OK);
    assert_true(8.0 * (double)w.len / (double)n <= h + pmax + 0.086);
    sr_wbuf_free(&w);
    free(s);
    free(t);
}

static void test_zrle(void **state)
{
    (void)state;
    size_t n = 5000;
    uint32_t *s = calloc(n, sizeof *s), *runs = malloc((n + 1) * sizeof *runs), *vals = malloc(n * sizeof *vals),
             *back = malloc(n * sizeof *back);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t i = 0; i < n; i++)
        s[i] = gsl_rng_uniform(r) < 0.1 ? 1 + (uint32_t)gsl_rng_uniform_int(r, 50) : 0;
    for (size_t i = 1000; i < 1600; i++) /* long run crossing the escape length */
        s[i] = 0;
    s[1000 + 255] = 0;
    size_t nr, nv;
    sr_zrle_split(s, n, runs, &nr, vals, &nv);
    assert_int_equal(sr_zrle_join(runs, nr, vals, nv, back, n), SR_OK);
    assert_memory_equal(back, s, n * sizeof *s);
    /* zero-run + rANS: 90 % zeros, so it codes (run, value) groups (mode byte 1 after the length), with a
     * run longer than 256 zeros and the stream ending on zeros */
    s[n - 1] = s[n - 2] = 0;
    sr_wbuf zw, pw;
    sr_wbuf_init(&zw), sr_wbuf_init(&pw);
    assert_int_equal(sr_zrans_encode(s, n, &zw), SR_OK);
    assert_int_equal(sr_rans_encode(s, n, &pw), SR_OK);
    assert_int_equal(zw.data[2], 1); /* varint 5000 takes two bytes */
    sr_wbuf_free(&zw), sr_wbuf_free(&pw);
    /* where zeros cluster (runs of 40, then 4 values) the groups cost less than plain order-0 rANS */
    uint32_t *cl = malloc(n * sizeof *cl);
    for (size_t i = 0; i < n; i++)
        cl[i] = i % 44 < 40 ? 0 : 1 + (uint32_t)(i % 5);
    sr_wbuf_init(&zw), sr_wbuf_init(&pw);
    assert_int_equal(sr_zrans_encode(cl, n, &zw), SR_OK);
    assert_int_equal(sr_rans_encode(cl, n, &pw), SR_OK);
    assert_true(zw.len < pw.len);
    free(cl);
    sr_wbuf_free(&zw), sr_wbuf_free(&pw);
    sr_wbuf_init(&zw);
    assert_int_equal(sr_zrans_encode(s, n, &zw), SR_OK);
    sr_rbuf zr;
    sr_rbuf_init(&zr, zw.data, zw.len);
    size_t zgot;
    assert_int_equal(sr_zrans_decode(&zr, back, n, &zgot), SR_OK);
    assert_int_equal(zgot, n);
    assert_memory_equal(back, s, n * sizeof *s);
    for (size_t cut = 1; cut < 8; cut++) { /* truncated: refused */
        sr_rbuf_init(&zr, zw.data, zw.len - cut);
        assert_int_equal(sr_zrans_decode(&zr, back, n, &zgot), SR_ERR_CORRUPT);
    }
    sr_wbuf_free(&zw);
    /* edge cases: all zero, exactly one escape of zeros, no zeros */
    size_t lens[] = {0, 1, 254, 255, 256, 510, 1000};
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        memset(s, 0, lens[k] * sizeof *s);
        sr_zrle_split(s, lens[k], runs, &nr, vals, &nv);
        assert_int_equal(nv, 0);
        assert_int_equal(sr_zrle_join(runs, nr, vals, nv, back, lens[k]), SR_OK);
        if (lens[k])
            assert_memory_equal(back, s, lens[k] * sizeof *s);
        /* wrong length is detected */
        assert_int_equal(sr_zrle_join(runs, nr, vals, nv, back, lens[k] + 1), SR_ERR_CORRUPT);
        /* zero-run + rANS on all-zero streams (full groups of 256 zeros and the rest), then with one value
         * after them */
        for (int tail = 0; tail < 2; tail++) {
            size_t len = lens[k] + (size_t)tail;
            if (tail) s[len - 1] = 9;
            sr_wbuf_init(&zw);
            assert_int_equal(sr_zrans_encode(s, len, &zw), SR_OK);
            sr_rbuf_init(&zr, zw.data, zw.len);
            assert_int_equal(sr_zrans_decode(&zr, back, len, &zgot), SR_OK);
            assert_int_equal(zgot, len);
            if (len) assert_memory_equal(back, s, len * sizeof *s);
            sr_wbuf_free(&zw);
        }
    }
    for (size_t i = 0; i < 300; i++)
        s[i] = 3;
    sr_zrle_split(s, 300, runs, &nr, vals, &nv);
    assert_int_equal(nv, 300);
    assert_int_equal(sr_zrle_join(runs, nr, vals, nv, back, 300), SR_OK);
    assert_memory_equal(back, s, 300 * sizeof *s);
    assert_int_equal(sr_zrle_join(runs, nr, vals, nv - 1, back, 300), SR_ERR_CORRUPT);
    gsl_rng_free(r);
    free(s), free(runs), free(vals), free(back);
}

static void test_corrupt_streams(void **state)
{
    (void)state;
    uint32_t *s = skewed(400, 0.4, 40, 3);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    uint32_t *d = malloc(400 * sizeof *d);
    for (size_t c = 0; c < N_CODERS; c++) {
        sr_wbuf w;
        sr_wbuf_init(&w);
        assert_int_equal(coders[c].enc(s, 400, &w), SR_OK);
        /* every truncation fails cleanly (the full length succeeds) */
        for (size_t len = 0; len < w.len; len++) {
            uint8_t *copy = malloc(len ? len : 1); /* exact-size copy: ASan catches any over-read */
            memcpy(copy, w.data, len);
            sr_rbuf rb;
            sr_rbuf_init(&rb, copy, len);
            size_t got;
            assert_int_not_equal(coders[c].dec(&rb, d, 400, &got), SR_OK);
            free(copy);
        }
        /* random byte flips: any status is allowed, but symbols stay in range and nothing crashes */
        for (int t = 0; t < 300; t++) {
            uint8_t *copy = malloc(w.len);
            memcpy(copy, w.data, w.len);
            int flips = 1 + (int)gsl_rng_uniform_int(r, 3);
            for (int k = 0; k < flips; k++)
                copy[gsl_rng_uniform_int(r, w.len)] ^= (uint8_t)(1 + gsl_rng_uniform_int(r, 255));
            sr_rbuf rb;
            sr_rbuf_init(&rb, copy, w.len);
            size_t got = 0;
            sr_status st = coders[c].dec(&rb, d, 400, &got);
            assert_true(st == SR_OK || st == SR_ERR_CORRUPT);
            if (st == SR_OK) {
                assert_true(got <= 400);
                for (size_t i = 0; i < got; i++)
                    assert_true(d[i] < SR_SYM_MAX);
            }
            free(copy);
        }
        /* a decoder given less room than the stream holds refuses */
        sr_rbuf rb;
        sr_rbuf_init(&rb, w.data, w.len);
        size_t got;
        assert_int_equal(coders[c].dec(&rb, d, 399, &got), SR_ERR_CORRUPT);
        sr_wbuf_free(&w);
    }
    /* rANS checks its final state: a flipped payload byte is caught */
    sr_wbuf w;
    sr_wbuf_init(&w);
    assert_int_equal(sr_rans_encode(s, 400, &w), SR_OK);
    w.data[w.len - 3] ^= 0x40;
    sr_rbuf rb;
    sr_rbuf_init(&rb, w.data, w.len);
    size_t got;
    assert_int_equal(sr_rans_decode(&rb, d, 400, &got), SR_ERR_CORRUPT);
    sr_wbuf_free(&w);
    uint32_t bad[2] = {1, SR_SYM_MAX};
    sr_wbuf_init(&w);
    assert_int_equal(sr_huff_encode(bad, 2, &w), SR_ERR_RANGE);
    sr_wbuf_free(&w);
    gsl_rng_free(r);
    free(s), free(d);
}

/* The AVX2 and scalar decoding loops agree: on intact streams of every coder that uses rANS (lengths across
 * the loop's blocks of 16 and its tail), and on damaged ones, status and symbols alike. */
static void test_rans_loops_agree(void **state)
{
    (void)state;
    uint32_t *sk = skewed(20000, 0.2, 3000, 5);
    uint32_t *a = malloc(20000 * sizeof *a), *b = malloc(20000 * sizeof *b);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 17);
    const size_t lens[] = {1, 15, 16, 17, 31, 33, 250, 4097, 20000};
    for (int zr = 0; zr < 2; zr++) {
        enc_fn enc = zr ? sr_zrans_encode : sr_rans_encode;
        dec_fn dec = zr ? sr_zrans_decode : sr_rans_decode;
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            sr_wbuf w;
            sr_wbuf_init(&w);
            assert_int_equal(enc(sk, lens[k], &w), SR_OK);
            for (int t = 0; t < 40; t++) {
                uint8_t *copy = malloc(w.len);
                memcpy(copy, w.data, w.len);
                if (t > 0) /* the first intact, the others with one to three bytes changed */
                    for (int f = 1 + (int)gsl_rng_uniform_int(r, 3); f > 0; f--)
                        copy[gsl_rng_uniform_int(r, w.len)] ^= (uint8_t)(1 + gsl_rng_uniform_int(r, 255));
                size_t na = 0, nb = 0;
                sr_rbuf ra, rb;
                sr_rbuf_init(&ra, copy, w.len);
                sr_rbuf_init(&rb, copy, w.len);
                int was = sr_rans_core_scalar_only(0);
                sr_status sa = dec(&ra, a, lens[k], &na);
                sr_rans_core_scalar_only(1);
                sr_status sb = dec(&rb, b, lens[k], &nb);
                sr_rans_core_scalar_only(was);
                assert_int_equal(sa, sb);
                if (t == 0) assert_int_equal(sa, SR_OK);
                if (sa == SR_OK) {
                    assert_int_equal(na, nb);
                    assert_memory_equal(a, b, na * sizeof *a);
                    if (t == 0) assert_memory_equal(a, sk, lens[k] * sizeof *a);
                }
                free(copy);
            }
            sr_wbuf_free(&w);
        }
    }
    gsl_rng_free(r);
    free(sk), free(a), free(b);
}

static int scalar_on(void **state)
{
    (void)state;
    sr_rans_core_scalar_only(1);
    return 0;
}

static int scalar_off(void **state)
{
    (void)state;
    sr_rans_core_scalar_only(0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),     cmocka_unit_test(test_huffman_length_limit),
        cmocka_unit_test(test_entropy_bounds),  cmocka_unit_test(test_zrle),
        cmocka_unit_test(test_corrupt_streams),
    };
    const struct CMUnitTest agree[] = {cmocka_unit_test(test_rans_loops_agree)};
    int failed = cmocka_run_group_tests_name("entropy coders", tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("entropy coders, rANS decoded by its scalar loop", tests, scalar_on,
                                          scalar_off);
    failed += cmocka_run_group_tests_name("rANS decoding loops", agree, NULL, NULL);
    return failed;
}
