/* test_mcu_rune.c: the Rune container overhead model reproduces the overheads Lootus et al. report
 * (Sec. 4, Fig. 3: 28-45 %, ~40 % at 100k-1M inferences of the sine model on a Portenta H7). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mcu_rune.h"

/* The paper's configurations: 1000 to 1 million inferences; the sine model's native time per
 * inference is not reported, so two plausible values are used (the overhead must not depend on it). */
static const int64_t k_iters[] = {1000, 10000, 100000, 1000000};
static const double k_t_native[] = {20e-6, 150e-6};

static void test_paper_ratios(void **state)
{
    (void)state;
    for (int mode = SR_RUNE_RUST; mode <= SR_RUNE_PROTOBUF; mode++) {
        for (int si = 0; si <= 2; si++) {
            double share = si / 2.0; /* all VM, half-half, all data layer */
            for (size_t ti = 0; ti < 2; ti++) {
                sr_mcu_rune_params p;
                assert_int_equal(sr_mcu_rune_paper_params((sr_rune_mode)mode, k_t_native[ti], share, &p),
                                 SR_OK);
                for (size_t k = 0; k < 4; k++) {
                    double ov;
                    assert_int_equal(sr_mcu_rune_overhead(&p, k_t_native[ti], SR_RUNE_SINE_IN_BYTES,
                                                          SR_RUNE_SINE_OUT_BYTES, k_iters[k], &ov),
                                     SR_OK);
                    /* inside the reported 28-45 % range ... */
                    assert_true(ov >= 0.28 - 1e-12 && ov <= 0.45 + 1e-12);
                    /* ... and ~40 % (Rust) at 100k and 1M */
                    if (mode == SR_RUNE_RUST && k_iters[k] >= 100000) assert_true(fabs(ov - 0.40) < 1e-9);
                }
            }
        }
    }
    /* ProtoBuf costs slightly more than Rust serialization */
    assert_true(sr_mcu_rune_paper_overhead(SR_RUNE_PROTOBUF) > sr_mcu_rune_paper_overhead(SR_RUNE_RUST));
    assert_true(sr_mcu_rune_paper_overhead(SR_RUNE_NATIVE) == 0.0);
}

/* By hand: t_native = 100 us, share 0.5, Rust (0.40): sandbox_factor 0.2, ser_fixed = 0.5*0.4*100us/2
 * = 10 us per message. One inference = 100 * 1.2 + 2 * 10 = 140 us; 1000 inferences = 0.14 s.
 * With a per-byte cost of 1 us/B and 4 + 4 bytes: +8 us per inference -> 0.148 s. With a 1 s start-up
 * the overhead falls with the run length: (1.14 - 0.1) / 0.1 = 10.4 at 1000, 0.41 at 1M. */
static void test_hand_values(void **state)
{
    (void)state;
    sr_mcu_rune_params p;
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_RUST, 100e-6, 0.5, &p), SR_OK);
    assert_true(fabs(p.sandbox_factor - 0.2) < 1e-15);
    assert_true(fabs(p.ser_fixed_s - 10e-6) < 1e-18);
    double t;
    assert_int_equal(sr_mcu_rune_time(&p, 100e-6, 4, 4, 1000, &t), SR_OK);
    assert_true(fabs(t - 0.14) < 1e-12);
    p.ser_per_byte_s = 1e-6;
    assert_int_equal(sr_mcu_rune_time(&p, 100e-6, 4, 4, 1000, &t), SR_OK);
    assert_true(fabs(t - 0.148) < 1e-12);
    p.ser_per_byte_s = 0;
    p.startup_s = 1.0;
    double ov1, ov2;
    assert_int_equal(sr_mcu_rune_overhead(&p, 100e-6, 4, 4, 1000, &ov1), SR_OK);
    assert_int_equal(sr_mcu_rune_overhead(&p, 100e-6, 4, 4, 1000000, &ov2), SR_OK);
    assert_true(fabs(ov1 - 10.4) < 1e-9);
    assert_true(fabs(ov2 - 0.41) < 1e-9);
    /* native: no overhead */
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_NATIVE, 100e-6, 0.5, &p), SR_OK);
    assert_int_equal(sr_mcu_rune_overhead(&p, 100e-6, 4, 4, 1000, &ov1), SR_OK);
    assert_true(fabs(ov1) < 1e-15);
}

static void test_bad_input(void **state)
{
    (void)state;
    sr_mcu_rune_params p;
    double t;
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_RUST, 0.0, 0.5, &p), SR_ERR_INVALID);
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_RUST, 1e-4, 1.5, &p), SR_ERR_INVALID);
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_MODE_COUNT, 1e-4, 0.5, &p), SR_ERR_INVALID);
    assert_int_equal(sr_mcu_rune_paper_params(SR_RUNE_RUST, 1e-4, 0.5, &p), SR_OK);
    assert_int_equal(sr_mcu_rune_time(&p, 1e-4, 4, 4, 0, &t), SR_ERR_INVALID);
    assert_int_equal(sr_mcu_rune_time(&p, 1e-4, -1, 4, 10, &t), SR_ERR_INVALID);
    p.sandbox_factor = -0.1;
    assert_int_equal(sr_mcu_rune_time(&p, 1e-4, 4, 4, 10, &t), SR_ERR_INVALID);
    sr_rune_mode m;
    assert_int_equal(sr_rune_mode_parse("rune-protobuf", &m), SR_OK);
    assert_int_equal(m, SR_RUNE_PROTOBUF);
    assert_string_equal(sr_rune_mode_name(SR_RUNE_RUST), "rune-rust");
    assert_int_equal(sr_rune_mode_parse("docker", &m), SR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paper_ratios),
        cmocka_unit_test(test_hand_values),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
