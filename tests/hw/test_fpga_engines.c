/* test_fpga_engines.c: the FPGA engines of In-situ AI. Functional outputs equal a reference
 * convolution / matrix product (exact, integers); counted cycles and traffic equal the closed forms
 * (eqs. 4, 11, 12); co-running comparison against the paper's Fig. 17/18 numbers; pipeline (eqs. 10, 13,
 * 14) by hand and by brute force; configuration search against brute force. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gsl/gsl_rng.h>

#include "fpga_engines.h"

/* ---- helpers ---- */

static int16_t *random_i16(gsl_rng *rng, int64_t n)
{
    int16_t *v = malloc(sizeof *v * (size_t)n);
    assert_non_null(v);
    for (int64_t i = 0; i < n; i++)
        v[i] = (int16_t)((int)gsl_rng_uniform_int(rng, 2001) - 1000);
    return v;
}

/* Straightforward direct convolution (NCHW, weights MCRS, zero padding). */
static void ref_conv(const sr_hw_conv *l, const int16_t *in, const int16_t *w, int64_t *out)
{
    int oh, ow;
    assert_int_equal(sr_hw_conv_out(l, &oh, &ow), SR_OK);
    for (int b = 0; b < l->n; b++)
        for (int m = 0; m < l->m; m++)
            for (int y = 0; y < oh; y++)
                for (int x = 0; x < ow; x++) {
                    int64_t acc = 0;
                    for (int c = 0; c < l->c; c++)
                        for (int i = 0; i < l->r; i++)
                            for (int j = 0; j < l->s; j++) {
                                int iy = y * l->stride + i - l->pad, ix = x * l->stride + j - l->pad;
                                if (iy < 0 || iy >= l->h || ix < 0 || ix >= l->w) continue;
                                acc += (int64_t)in[((int64_t)(b * l->c + c) * l->h + iy) * l->w + ix] *
                                       w[((int64_t)(m * l->c + c) * l->r + i) * l->s + j];
                            }
                    out[((int64_t)(b * l->m + m) * oh + y) * ow + x] = acc;
                }
}

static void assert_counts_equal(const sr_fpga_count *a, const sr_fpga_count *b)
{
    assert_int_equal(a->cycles, b->cycles);
    assert_int_equal(a->macs, b->macs);
    assert_int_equal(a->mult_slots, b->mult_slots);
    assert_int_equal(a->weight_words, b->weight_words);
    assert_int_equal(a->input_words, b->input_words);
    assert_int_equal(a->output_words, b->output_words);
}

/* Conv shapes: even and uneven tilings, stride 1/2/4, padding, batch 1/2, non-square kernel. */
static const sr_hw_conv k_shapes[] = {
    {.n = 1, .c = 4, .h = 8, .w = 8, .m = 8, .r = 3, .s = 3, .stride = 1, .pad = 1},
    {.n = 2, .c = 5, .h = 11, .w = 9, .m = 7, .r = 3, .s = 3, .stride = 2, .pad = 1},
    {.n = 1, .c = 3, .h = 19, .w = 19, .m = 6, .r = 5, .s = 5, .stride = 4, .pad = 0},
    {.n = 2, .c = 6, .h = 7, .w = 10, .m = 5, .r = 1, .s = 3, .stride = 1, .pad = 0},
    {.n = 1, .c = 1, .h = 4, .w = 4, .m = 1, .r = 4, .s = 4, .stride = 1, .pad = 0},
};
static const sr_fpga_nws k_nws[] = {
    {.tm = 4, .tn = 2, .tr = 4, .tc = 4},
    {.tm = 3, .tn = 4, .tr = 5, .tc = 3},
    {.tm = 1, .tn = 1, .tr = 1, .tc = 1},
    {.tm = 16, .tn = 8, .tr = 32, .tc = 32},
};

static void test_nws_conv_functional_and_counts(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 42);
    for (size_t si = 0; si < sizeof k_shapes / sizeof k_shapes[0]; si++) {
        const sr_hw_conv *l = &k_shapes[si];
        int oh, ow;
        assert_int_equal(sr_hw_conv_out(l, &oh, &ow), SR_OK);
        int64_t n_in = (int64_t)l->n * l->c * l->h * l->w, n_w = (int64_t)l->m * l->c * l->r * l->s;
        int64_t n_out = (int64_t)l->n * l->m * oh * ow;
        int16_t *in = random_i16(rng, n_in), *w = random_i16(rng, n_w);
        int64_t *ref = malloc(sizeof *ref * (size_t)n_out), *got = malloc(sizeof *got * (size_t)n_out);
        assert_non_null(ref);
        assert_non_null(got);
        ref_conv(l, in, w, ref);
        for (size_t ei = 0; ei < sizeof k_nws / sizeof k_nws[0]; ei++) {
            sr_fpga_count cnt, model;
            memset(got, 0x5a, sizeof *got * (size_t)n_out);
            assert_int_equal(sr_fpga_nws_conv(&k_nws[ei], l, in, w, got, &cnt), SR_OK);
            assert_memory_equal(got, ref, sizeof *ref * (size_t)n_out);
            assert_int_equal(sr_fpga_nws_conv_model(&k_nws[ei], l, &model), SR_OK);
            assert_counts_equal(&cnt, &model);
            /* eq. 4: the counted utilisation equals N M / (Tn Tm ceil(N/Tn) ceil(M/Tm)) */
            double util = (double)cnt.macs / (double)cnt.mult_slots;
            assert_true(fabs(util - sr_fpga_util_eq4(&k_nws[ei], l->c, l->m)) < 1e-12);
        }
        for (int tr = 1; tr <= 4; tr++) {
            for (int g = 1; g <= 3; g++) {
                sr_fpga_count cnt, model;
                int tc = 5 - tr;
                assert_int_equal(sr_fpga_wss_conv(tr, tc, g, l, in, w, got, &cnt), SR_OK);
                assert_memory_equal(got, ref, sizeof *ref * (size_t)n_out);
                assert_int_equal(sr_fpga_wss_conv_model(tr, tc, g, l, &model), SR_OK);
                assert_counts_equal(&cnt, &model);
            }
        }
        free(in);
        free(w);
        free(ref);
        free(got);
    }
    gsl_rng_free(rng);
}

/* Closed-form traffic on an evenly tiled shape, by hand: N=4, 8x8 in, M=8, K=3, pad 1 -> 8x8 out,
 * Tm=4, Tn=2, Tr=Tc=4: cycles = 2*2*64*9 = 2304; weights = (2*2 tiles) * 8*4*9 = 1152;
 * inputs = ceil(8/4)=2 passes * 4 ch * (2 tiles * 6 rows) * (2 * 6) = 2*4*12*12 = 1152; outputs = 512. */
static void test_nws_hand_counts(void **state)
{
    (void)state;
    sr_fpga_count c;
    assert_int_equal(sr_fpga_nws_conv_model(&k_nws[0], &k_shapes[0], &c), SR_OK);
    assert_int_equal(c.cycles, 2304);
    assert_int_equal(c.weight_words, 1152);
    assert_int_equal(c.input_words, 1152);
    assert_int_equal(c.output_words, 512);
    assert_int_equal(c.macs, 8 * 4 * 9 * 64);
    /* eq. 4 with N=3, M=96, Tn=2, Tm=16: 288 / (32 * 2 * 6) = 0.75 */
    sr_fpga_nws e = {.tm = 16, .tn = 2, .tr = 1, .tc = 1};
    assert_true(fabs(sr_fpga_util_eq4(&e, 3, 96) - 0.75) < 1e-15);
    /* bad engines and layers */
    sr_fpga_nws bad = {.tm = 0, .tn = 1, .tr = 1, .tc = 1};
    assert_int_equal(sr_fpga_nws_conv_model(&bad, &k_shapes[0], &c), SR_ERR_INVALID);
    sr_hw_conv badl = k_shapes[0];
    badl.stride = 0;
    assert_int_equal(sr_fpga_nws_conv_model(&k_nws[0], &badl, &c), SR_ERR_INVALID);
    assert_int_equal(sr_fpga_wss_conv_model(1, 1, 0, &k_shapes[0], &c), SR_ERR_INVALID);
}

static void test_nws_fc(void **state)
{
    (void)state;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    const sr_hw_fc shapes[] = {
        {.n = 3, .in = 37, .out = 11}, {.n = 1, .in = 64, .out = 32}, {.n = 5, .in = 8, .out = 9}};
    for (size_t si = 0; si < 3; si++) {
        const sr_hw_fc *l = &shapes[si];
        int16_t *in = random_i16(rng, (int64_t)l->n * l->in), *w = random_i16(rng, (int64_t)l->in * l->out);
        int64_t *ref = calloc((size_t)(l->n * l->out), sizeof *ref),
                *got = malloc(sizeof *got * (size_t)(l->n * l->out));
        assert_non_null(ref);
        assert_non_null(got);
        for (int b = 0; b < l->n; b++)
            for (int o = 0; o < l->out; o++)
                for (int i = 0; i < l->in; i++)
                    ref[b * l->out + o] += (int64_t)w[o * l->in + i] * in[b * l->in + i];
        for (size_t ei = 0; ei < sizeof k_nws / sizeof k_nws[0]; ei++) {
            for (int batched = 0; batched <= 1; batched++) {
                sr_fpga_count cnt, model;
                assert_int_equal(sr_fpga_nws_fc(&k_nws[ei], l, batched, in, w, got, &cnt), SR_OK);
                assert_memory_equal(got, ref, sizeof *ref * (size_t)(l->n * l->out));
                assert_int_equal(sr_fpga_nws_fc_model(&k_nws[ei], l, batched, &model), SR_OK);
                assert_counts_equal(&cnt, &model);
            }
        }
        free(in);
        free(w);
        free(ref);
        free(got);
    }
    gsl_rng_free(rng);

    /* eq. 12 by hand: fc 2048 -> 256, B = 4, Tm = 16, Tn = 32, 100 MHz, 1 GB/s, 2 B/word.
     * comp = 64 * 16 * 4 = 4096 cycles = 40.96 us; batched words = 524,288 + 8192 + 1024 = 533,504
     * -> 1,067,008 B -> 1.067008 ms: memory bound. Unbatched weights x4: 2,097,152 + 9216 words
     * -> 4.212736 ms. */
    sr_fpga_params p = {.name = "toy",
                        .dsp_total = 3600,
                        .dsp_per_mult = 1,
                        .freq_hz = 100e6,
                        .mem_bw_Bps = 1e9,
                        .bytes_per_word = 2,
                        .source = "test"};
    sr_fpga_nws e = {.tm = 16, .tn = 32, .tr = 1, .tc = 1};
    sr_hw_fc l = sr_hw_fc_make(4, 2048, 256);
    sr_fpga_count c;
    assert_int_equal(sr_fpga_nws_fc_model(&e, &l, 1, &c), SR_OK);
    assert_int_equal(c.cycles, 4096);
    assert_true(fabs(sr_fpga_fc_time_s(&p, &c) - 1.067008e-3) < 1e-15);
    assert_int_equal(sr_fpga_nws_fc_model(&e, &l, 0, &c), SR_OK);
    assert_true(fabs(sr_fpga_fc_time_s(&p, &c) - 4.212736e-3) < 1e-15);
}

/* Eq. 11 by hand: AlexNet conv1 (N=3, 227x227, M=96, K=11, S=4 -> 55x55) on a WSS group of G = 4
 * arrays of 14 x 14: ceil(96/4) * 3 * 121 * ceil(55/14)^2 = 24 * 3 * 121 * 16 = 139,392 cycles,
 * 1.39392 ms at 100 MHz. */
static void test_eq11_alexnet(void **state)
{
    (void)state;
    sr_fpga_params p;
    assert_int_equal(sr_fpga_preset("vx690t", &p), SR_OK);
    assert_int_equal(p.dsp_total, 3600);
    sr_fpga_wss e = {.tr = 14, .tc = 14, .group = 4, .diag_engines = 9, .diag_tr = 7, .diag_tc = 7};
    sr_hw_conv l = sr_hw_conv_make(1, 3, 227, 227, 96, 11, 4, 0);
    double t;
    assert_int_equal(sr_fpga_conv_time_eq11(&p, &e, &l, &t), SR_OK);
    assert_true(fabs(t - 139392 / 100e6) < 1e-15);
    /* eq. 10 terms: DSP_WSS = 14*14 + 9*7*7 = 637 */
    assert_int_equal(sr_fpga_wss_dsp(&e, &p), 637);
    assert_int_equal(sr_fpga_preset("nope", &p), SR_ERR_NOT_FOUND);
}

/* Co-running, AlexNet conv1: inference 227x227 -> 55x55, nine diagnosis patches 115x115 -> 27x27.
 * WS (Fig. 17), Tm = 16, Tn = 3, ten engines: inference 6 * 3025 * 121 = 2,196,150 cycles; one patch
 * 6 * 729 * 121 = 529,254. Diagnosis MACs 9 * 96*3*121*729 = 228,637,728 on 432 multipliers over
 * 2,196,150 cycles: idle 1 - 228,637,728 / 948,736,800 = 0.759 (the paper: "idle during 75% of cycles").
 * WSS (Fig. 18), 14x14 + 9 x 7x7, G = 1: inference 96*3*121*16 = 557,568 = one patch 96*3*121*16:
 * balanced. With about the same multipliers (630 vs 637), WS (10 engines of 21 x 3) and a single
 * NWS (210 x 3, tasks in turn) are slower than WSS, WS the slowest: the order of Fig. 22. */
static void test_corun_paper(void **state)
{
    (void)state;
    sr_hw_conv inf = sr_hw_conv_make(1, 3, 227, 227, 96, 11, 4, 0);
    sr_hw_conv diag = sr_hw_conv_make(9, 3, 115, 115, 96, 11, 4, 0);
    sr_fpga_nws ws16 = {.tm = 16, .tn = 3, .tr = 55, .tc = 55};
    sr_fpga_corun_result r;
    assert_int_equal(sr_fpga_corun_conv(SR_FPGA_ARCH_WS, &ws16, NULL, &inf, &diag, 1, &r), SR_OK);
    assert_int_equal(r.cycles, 2196150);
    assert_int_equal(r.multipliers, 480);
    assert_true(fabs(r.diag_idle_fraction - (1.0 - 228637728.0 / 948736800.0)) < 1e-12);
    assert_true(r.diag_idle_fraction > 0.75 && r.diag_idle_fraction < 0.77);
    assert_int_equal(r.weight_words, 96 * 3 * 121);

    sr_fpga_wss wss = {.tr = 14, .tc = 14, .group = 1, .diag_engines = 9, .diag_tr = 7, .diag_tc = 7};
    sr_fpga_corun_result rw, rws, rn;
    assert_int_equal(sr_fpga_corun_conv(SR_FPGA_ARCH_WSS, NULL, &wss, &inf, &diag, 1, &rw), SR_OK);
    assert_int_equal(rw.cycles, 557568);
    assert_int_equal(rw.multipliers, 637);
    assert_int_equal(rw.weight_words, 34848);
    sr_fpga_nws ws21 = {.tm = 21, .tn = 3, .tr = 55, .tc = 55};
    assert_int_equal(sr_fpga_corun_conv(SR_FPGA_ARCH_WS, &ws21, NULL, &inf, &diag, 0, &rws), SR_OK);
    assert_int_equal(rws.multipliers, 630);
    assert_int_equal(rws.weight_words, 2 * 34848);
    sr_fpga_nws big = {.tm = 210, .tn = 3, .tr = 55, .tc = 55};
    assert_int_equal(sr_fpga_corun_conv(SR_FPGA_ARCH_NWS, &big, NULL, &inf, &diag, 1, &rn), SR_OK);
    assert_int_equal(rn.cycles, 3025 * 121 + 9 * 729 * 121);
    assert_int_equal(rn.weight_words, 2 * 34848); /* NWS cannot share */
    assert_true(rw.cycles < rn.cycles && rn.cycles < rws.cycles);
    assert_true(rw.idle_fraction < rws.idle_fraction);

    sr_hw_conv wrong = diag;
    wrong.m = 64;
    assert_int_equal(sr_fpga_corun_conv(SR_FPGA_ARCH_WSS, NULL, &wss, &inf, &wrong, 1, &r), SR_ERR_INVALID);
}

/* Pipeline by hand, toy FPGA (100 MHz, 1 GB/s, 2 B/word):
 * conv 8 -> 16 ch, 16x16, K=3, pad 1 on WSS 8x8, G=4: ceil(16/4) * 8 * 9 * 2 * 2 = 1152 cycles = 11.52 us.
 * fc 2048 -> 256 on NWS 16 x 32: comp 1024 B cycles = 10.24 us * B; mem (524,288 + 2304 B) * 2 ns.
 * Eq. 13: B <= 151: 2 (1.048576 ms + 4.608 us B); B >= 152: 2 * 11.52 us * B.
 * Eq. 14 with 4 ms: 23.04 us * B <= 4 ms -> B = 173. Eq. 10: 4 * 64 + 512 = 768 DSPs. */
static void test_pipeline(void **state)
{
    (void)state;
    sr_fpga_params p = {.name = "toy",
                        .dsp_total = 3600,
                        .dsp_per_mult = 1,
                        .freq_hz = 100e6,
                        .mem_bw_Bps = 1e9,
                        .bytes_per_word = 2,
                        .source = "test"};
    sr_fpga_wss wss = {.tr = 8, .tc = 8, .group = 4, .diag_engines = 0};
    sr_fpga_nws nws = {.tm = 16, .tn = 32, .tr = 1, .tc = 1};
    sr_hw_layer set[2] = {sr_hw_layer_conv(8, 16, 16, 16, 3, 1, 1), sr_hw_layer_fc(2048, 256)};
    sr_fpga_pipeline_result r;
    assert_int_equal(sr_fpga_pipeline_time(&p, &wss, &nws, set, 2, 1, &r), SR_OK);
    assert_int_equal(r.dsp_used, 768);
    assert_true(fabs(r.t_all_conv_s - 11.52e-6) < 1e-15);
    assert_true(fabs(r.latency_s - 2 * (1.048576e-3 + 4.608e-6)) < 1e-15);
    assert_int_equal(sr_fpga_pipeline_time(&p, &wss, &nws, set, 2, 200, &r), SR_OK);
    assert_true(fabs(r.latency_s - 2 * 200 * 11.52e-6) < 1e-15);
    assert_true(fabs(r.throughput_per_s - 200 / (200 * 11.52e-6)) < 1e-6);

    int b;
    assert_int_equal(sr_fpga_pipeline_select_batch(&p, &wss, &nws, set, 2, 4e-3, 1000, &b), SR_OK);
    assert_int_equal(b, 173);
    /* brute force over a range of bounds */
    for (int k = 1; k <= 40; k++) {
        double bound = 2.2e-3 + k * 0.15e-3;
        int want = 0;
        for (int bb = 1; bb <= 500; bb++) {
            assert_int_equal(sr_fpga_pipeline_time(&p, &wss, &nws, set, 2, bb, &r), SR_OK);
            if (r.latency_s <= bound) want = bb;
        }
        assert_int_equal(sr_fpga_pipeline_select_batch(&p, &wss, &nws, set, 2, bound, 500, &b), SR_OK);
        assert_int_equal(b, want);
    }
    assert_int_equal(sr_fpga_pipeline_select_batch(&p, &wss, &nws, set, 2, 1e-3, 500, &b), SR_ERR_NOT_FOUND);
    /* eq. 10 violated */
    p.dsp_total = 700;
    assert_int_equal(sr_fpga_pipeline_time(&p, &wss, &nws, set, 2, 1, &r), SR_ERR_RANGE);
}

static void test_search_nws_brute_force(void **state)
{
    (void)state;
    sr_fpga_params p;
    assert_int_equal(sr_fpga_preset("vx690t", &p), SR_OK);
    sr_hw_layer set[4] = {
        sr_hw_layer_conv(3, 32, 32, 24, 5, 1, 2),
        sr_hw_layer_conv(24, 16, 16, 40, 3, 1, 1),
        sr_hw_layer_conv(40, 8, 8, 72, 3, 2, 1),
        sr_hw_layer_fc(288, 10),
    };
    const int budgets[] = {64, 500, 3600};
    for (int bi = 0; bi < 3; bi++) {
        int budget = budgets[bi];
        sr_fpga_nws best;
        int64_t best_cy;
        assert_int_equal(sr_fpga_search_nws(&p, budget, set, 4, 2, &best, &best_cy), SR_OK);
        int64_t bf_cy = INT64_MAX, bf_dsp = 0;
        int bf_tm = 0, bf_tn = 0;
        for (int tm = 1; tm <= budget; tm++)
            for (int tn = 1; tm * tn <= budget; tn++) {
                sr_fpga_nws e = {.tm = tm, .tn = tn, .tr = 1, .tc = 1};
                int64_t cy;
                assert_int_equal(sr_fpga_nws_set_cycles(&e, set, 4, 2, &cy), SR_OK);
                int64_t dsp = (int64_t)tm * tn;
                if (cy < bf_cy || (cy == bf_cy && (dsp < bf_dsp || (dsp == bf_dsp && tm < bf_tm)))) {
                    bf_cy = cy;
                    bf_dsp = dsp;
                    bf_tm = tm;
                    bf_tn = tn;
                }
            }
        assert_int_equal(best_cy, bf_cy);
        assert_int_equal(best.tm, bf_tm);
        assert_int_equal(best.tn, bf_tn);
        assert_true((int64_t)best.tm * best.tn <= budget);
    }
}

static void test_search_wss_brute_force(void **state)
{
    (void)state;
    sr_fpga_params p;
    assert_int_equal(sr_fpga_preset("vx690t", &p), SR_OK);
    sr_hw_layer set[3] = {
        sr_hw_layer_conv(3, 27, 27, 12, 3, 1, 0),
        sr_hw_layer_conv(12, 13, 13, 20, 3, 1, 1),
        sr_hw_layer_fc(100, 10),
    };
    const int budgets[] = {30, 128};
    for (int bi = 0; bi < 2; bi++) {
        int budget = budgets[bi];
        sr_fpga_wss best;
        int64_t best_cy;
        assert_int_equal(sr_fpga_search_wss(&p, budget, set, 3, &best, &best_cy), SR_OK);
        int64_t bf_cy = INT64_MAX, bf_dsp = 0;
        int bk[3] = {0, 0, 0};
        for (int tr = 1; tr <= budget; tr++)
            for (int tc = 1; tr * tc <= budget; tc++)
                for (int g = 1; g * tr * tc <= budget; g++) {
                    int64_t cy, dsp = (int64_t)g * tr * tc;
                    assert_int_equal(sr_fpga_wss_set_cycles(tr, tc, g, set, 3, &cy), SR_OK);
                    int k[3] = {tr, tc, g};
                    int better = cy < bf_cy || (cy == bf_cy && dsp < bf_dsp);
                    if (cy == bf_cy && dsp == bf_dsp)
                        better = memcmp(k, bk, sizeof k) != 0 &&
                                 (k[0] < bk[0] ||
                                  (k[0] == bk[0] && (k[1] < bk[1] || (k[1] == bk[1] && k[2] < bk[2]))));
                    if (better) {
                        bf_cy = cy;
                        bf_dsp = dsp;
                        memcpy(bk, k, sizeof bk);
                    }
                }
        assert_int_equal(best_cy, bf_cy);
        assert_int_equal(best.tr, bk[0]);
        assert_int_equal(best.tc, bk[1]);
        assert_int_equal(best.group, bk[2]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nws_conv_functional_and_counts),
        cmocka_unit_test(test_nws_hand_counts),
        cmocka_unit_test(test_nws_fc),
        cmocka_unit_test(test_eq11_alexnet),
        cmocka_unit_test(test_corun_paper),
        cmocka_unit_test(test_pipeline),
        cmocka_unit_test(test_search_nws_brute_force),
        cmocka_unit_test(test_search_wss_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
