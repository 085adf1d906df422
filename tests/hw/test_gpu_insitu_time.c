/* test_gpu_insitu_time.c: the In-situ AI GPU time model (eqs. 1-3, 5-9) against hand computations
 * with the Jetson TX1 preset, and the batch selections against brute force. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gpu_insitu_time.h"

#define REL_TOL 1e-12

static void assert_rel(double got, double want)
{
    assert_true(fabs(got - want) <= REL_TOL * fabs(want));
}

static sr_gpu_insitu_params tx1(void)
{
    sr_gpu_insitu_params p;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &p), SR_OK);
    return p;
}

static void test_presets(void **state)
{
    (void)state;
    sr_gpu_insitu_params p;
    assert_int_equal(sr_gpu_insitu_preset("titan-x-maxwell", &p), SR_OK);
    assert_int_equal(sr_gpu_insitu_check(&p), SR_OK);
    assert_int_equal(sr_gpu_insitu_preset("titan-x-pascal", &p), SR_OK);
    assert_int_equal(sr_gpu_insitu_preset("no-such-gpu", &p), SR_ERR_NOT_FOUND);
    p = tx1();
    /* eq. 7 peak: 2 x 998.4e6 x 256 = 511.1808e9 ops/s (NVIDIA quotes ~512 GFLOPS fp32 for TX1) */
    assert_rel(sr_gpu_insitu_max_ops(&p, 1.0), 511.1808e9);
    assert_int_equal(sr_gpu_insitu_max_blocks(&p), 64);
    p.tile_m = 0;
    assert_int_equal(sr_gpu_insitu_check(&p), SR_ERR_INVALID);
}

/* AlexNet conv1 on TX1, batch 1: N=3, 227x227 in, M=96, K=11, stride 4 -> R=C=55.
 *   eq. 1: ops = 2 * 96 * 3 * 121 * 3025 = 210,830,400
 *   eq. 2: Grid = ceil(96/64) * ceil(3025/16) = 2 * 190 = 380
 *   eq. 3: maxBlocks = 2 SM * 32 = 64; Util = 380 / (64 * ceil(380/64)) = 380 / 384
 *   eq. 5: T = 210,830,400 / (511.1808e9 * 380/384) = 210,830,400 / 505.856e9 s */
static void test_conv_alexnet_conv1(void **state)
{
    (void)state;
    sr_gpu_insitu_params p = tx1();
    sr_hw_conv l = sr_hw_conv_make(1, 3, 227, 227, 96, 11, 4, 0);
    assert_rel(sr_gpu_insitu_conv_ops(&l), 210830400.0);
    assert_int_equal(sr_gpu_insitu_grid_size(&p, 96, 3025), 380);
    assert_rel(sr_gpu_insitu_util(&p, 380), 380.0 / 384.0);
    double t, util;
    assert_int_equal(sr_gpu_insitu_conv_time(&p, &l, &t, &util), SR_OK);
    assert_rel(util, 380.0 / 384.0);
    assert_rel(t, 210830400.0 / 505.856e9);
    /* batch 4: Grid = 2 * ceil(12100/16) = 2 * 757 = 1514; ceil(1514/64) = 24 -> Util = 1514/1536 */
    l.n = 4;
    assert_int_equal(sr_gpu_insitu_conv_time(&p, &l, &t, &util), SR_OK);
    assert_rel(util, 1514.0 / 1536.0);
    assert_rel(t, 4 * 210830400.0 / (511.1808e9 * 1514.0 / 1536.0));
    /* bad layers are refused */
    l.r = 300;
    assert_int_equal(sr_gpu_insitu_conv_time(&p, &l, &t, NULL), SR_ERR_INVALID);
}

/* AlexNet fc6 on TX1 (9216 -> 4096, fp32).
 * B = 1: ops = 2*9216*4096 = 75,497,472; Grid = 64 * 1 -> Util 1; data = 9216 + 37,748,736 + 4096
 *   = 37,762,048 elements = 151,048,192 bytes; CTM = 0.4998 ops/B; CTM*MBW = 12.8e9 < 511e9: memory
 *   bound, T = bytes / MBW = 151,048,192 / 25.6e9 = 5.9003 ms.
 * B = 64: ops = 4,831,838,208; Grid = 64 * 4 = 256 -> Util 1; data = 589,824 + 37,748,736 + 262,144
 *   = 38,600,704 elements = 154,402,816 bytes; CTM = 31.29; CTM*MBW = 801e9 > 511e9: compute bound,
 *   T = 4,831,838,208 / 511.1808e9 = 9.452 ms. */
static void test_fc_roofline(void **state)
{
    (void)state;
    sr_gpu_insitu_params p = tx1();
    sr_hw_fc l = sr_hw_fc_make(1, 9216, 4096);
    sr_gpu_insitu_fc_result r;
    assert_int_equal(sr_gpu_insitu_fc_time(&p, &l, &r), SR_OK);
    assert_rel(r.ops, 75497472.0);
    assert_rel(r.util, 1.0);
    assert_rel(r.ctm_ops_per_byte, 75497472.0 / 151048192.0);
    assert_int_equal(r.memory_bound, 1);
    assert_rel(r.time_s, 151048192.0 / 25.6e9);

    l.n = 64;
    assert_int_equal(sr_gpu_insitu_fc_time(&p, &l, &r), SR_OK);
    assert_rel(r.ctm_ops_per_byte, 4831838208.0 / 154402816.0);
    assert_int_equal(r.memory_bound, 0);
    assert_rel(r.time_s, 4831838208.0 / 511.1808e9);

    sr_gpu_insitu_data d;
    assert_int_equal(sr_gpu_insitu_fc_data(&l, &d), SR_OK);
    assert_int_equal(d.d_in, 589824);
    assert_int_equal(d.d_w, 37748736);
    assert_int_equal(d.d_out, 262144);
    l.in = 0;
    assert_int_equal(sr_gpu_insitu_fc_time(&p, &l, &r), SR_ERR_INVALID);
}

/* Eq. 9 with a small RAM: one FC 1000 -> 100, fp32: bytes(B) = 4 (1000 B + 100000 + 100 B).
 * RAM = 4 * (100000 + 1100 * 50) = 620,000 bytes -> the largest batch is exactly 50. */
static void test_memory_model(void **state)
{
    (void)state;
    sr_gpu_insitu_params p = tx1();
    p.ram_bytes = 620000.0;
    sr_hw_layer set[1] = {sr_hw_layer_fc(1000, 100)};
    int b = 0;
    assert_int_equal(sr_gpu_insitu_max_batch_memory(&p, set, 1, 1000, &b), SR_OK);
    assert_int_equal(b, 50);
    assert_int_equal(sr_gpu_insitu_max_batch_memory(&p, set, 1, 20, &b), SR_OK);
    assert_int_equal(b, 20);
    p.ram_bytes = 400000.0; /* even the weights (400,000 B) plus one sample do not fit */
    assert_int_equal(sr_gpu_insitu_max_batch_memory(&p, set, 1, 1000, &b), SR_ERR_NOT_FOUND);
}

/* Brute-force twin of the model, written from the equations, for the selection tests. */
static double brute_layer_time(const sr_gpu_insitu_params *p, const sr_hw_layer *l, int b)
{
    double peak = 2.0 * p->freq_hz * p->n_cuda_cores;
    double mb = (double)p->n_sm * p->blocks_per_sm;
    if (l->kind == SR_HW_CONV) {
        const sr_hw_conv *c = &l->u.conv;
        double oh = (c->h + 2 * c->pad - c->r) / c->stride + 1,
               ow = (c->w + 2 * c->pad - c->s) / c->stride + 1;
        double ops = 2.0 * c->m * c->c * c->r * c->s * oh * ow * b;
        double grid = ceil((double)c->m / p->tile_m) * ceil(oh * ow * b / p->tile_n);
        double util = grid / (mb * ceil(grid / mb));
        return ops / (peak * util);
    }
    const sr_hw_fc *f = &l->u.fc;
    double ops = 2.0 * f->in * f->out * b;
    double grid = ceil((double)f->out / p->tile_m) * ceil((double)b / p->tile_n);
    double util = grid / (mb * ceil(grid / mb));
    double bytes = ((double)f->in * b + (double)f->in * f->out + (double)f->out * b) * p->bytes_per_elem;
    double perf = fmin(peak * util, ops / bytes * p->mem_bw_Bps);
    return ops / perf;
}

static double brute_net_time(const sr_gpu_insitu_params *p, const sr_hw_layer *set, int n, int b)
{
    double t = 0;
    for (int i = 0; i < n; i++)
        t += brute_layer_time(p, &set[i], b);
    return t;
}

/* A toy layer set where the model's latency is not monotone in the batch: a conv with a 1 x 10
 * output (R C = 10): Grid = ceil(10 B / 16) while the ops grow with B, so Util jumps at B = 4
 * (Grid 3, 40 columns) after B = 3 (Grid 2, 30 columns): T(4) < T(3) under eq. 3 (both below one
 * wave of 64 blocks: T ~ B / Grid = 1, 1, 1.5, 1.33). */
static void test_select_batch_brute_force(void **state)
{
    (void)state;
    sr_gpu_insitu_params p = tx1();
    sr_hw_layer set[3] = {
        sr_hw_layer_conv(16, 1, 10, 32, 1, 1, 0),
        sr_hw_layer_conv(32, 3, 12, 64, 3, 1, 0),
        sr_hw_layer_fc(640, 10),
    };
    double t3, t4;
    assert_int_equal(sr_gpu_insitu_net_time(&p, set, 1, 3, &t3), SR_OK);
    assert_int_equal(sr_gpu_insitu_net_time(&p, set, 1, 4, &t4), SR_OK);
    assert_true(t4 < t3);
    assert_rel(t3, brute_net_time(&p, set, 1, 3));

    const int b_cap = 300;
    for (int k = 0; k < 200; k++) {
        /* latency bounds spread between T(1) and T(b_cap) */
        double lo = brute_net_time(&p, set, 3, 1), hi = brute_net_time(&p, set, 3, b_cap);
        double bound = lo + (hi - lo) * (k + 0.5) / 200.0;
        int want = 0;
        double want_t = 0;
        for (int b = 1; b <= b_cap; b++) {
            double t = brute_net_time(&p, set, 3, b);
            if (t <= bound) {
                want = b;
                want_t = t;
            }
        }
        int got = -1;
        double got_t = 0;
        assert_int_equal(sr_gpu_insitu_select_batch(&p, set, 3, bound, b_cap, &got, &got_t), SR_OK);
        assert_int_equal(got, want);
        assert_true(fabs(got_t - want_t) <= 1e-9 * want_t);
    }
    /* On the first layer alone, T ~ B / ceil(10 B / 16): 1, 1, 1.5, 1.33, 1.25, 1.5, 1.4, ... so with
     * the bound T(4) the feasible batches are {1, 2, 4, 5} and the answer is 5, past the infeasible 3. */
    int got;
    double t5;
    assert_int_equal(sr_gpu_insitu_net_time(&p, set, 1, 5, &t5), SR_OK);
    assert_rel(t5 / t4, 1.25 / (4.0 / 3.0));
    assert_int_equal(sr_gpu_insitu_select_batch(&p, set, 1, t4, 60, &got, NULL), SR_OK);
    assert_int_equal(got, 5);
    assert_int_equal(sr_gpu_insitu_select_batch(&p, set, 3, 1e-12, b_cap, &got, NULL), SR_ERR_NOT_FOUND);
    assert_int_equal(sr_gpu_insitu_select_batch(&p, set, 3, -1.0, b_cap, &got, NULL), SR_ERR_INVALID);
}

/* The latency selection also respects eq. 9: with a tiny RAM the memory cap wins. */
static void test_select_batch_memory_cap(void **state)
{
    (void)state;
    sr_gpu_insitu_params p = tx1();
    p.ram_bytes = 620000.0;
    sr_hw_layer set[1] = {sr_hw_layer_fc(1000, 100)};
    int b;
    assert_int_equal(sr_gpu_insitu_select_batch(&p, set, 1, 1.0, 1000, &b, NULL), SR_OK);
    assert_int_equal(b, 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_conv_alexnet_conv1),
        cmocka_unit_test(test_fc_roofline),
        cmocka_unit_test(test_memory_model),
        cmocka_unit_test(test_select_batch_brute_force),
        cmocka_unit_test(test_select_batch_memory_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
