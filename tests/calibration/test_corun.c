/* test_corun.c: the co-running measurement (sr_corun.h) runs both real kernels on one core: the training loop
 * really ran beside the timed inferences, every time is positive and the factors are their ratios; bad
 * arguments are refused. (The factor's value is a measurement of the machine, so it is not asserted.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>

#include "sr_corun.h"

static void test_measures_both_conditions(void **state)
{
    (void)state;
    sr_corun_result r;
    char err[256] = "";
    assert_int_equal(sr_corun_measure(4, 1, &r, err, sizeof err), SR_OK);
    assert_int_equal(r.reps, 4);
    assert_true(r.cpu >= 0);
    assert_true(r.training_steps > 0);
    assert_true(r.alone_cpu_s > 0 && r.with_cpu_s > 0 && r.alone_wall_s > 0 && r.with_wall_s > 0);
    assert_true(r.interference == r.with_cpu_s / r.alone_cpu_s);
    assert_true(r.wall_ratio == r.with_wall_s / r.alone_wall_s);
    assert_true(isfinite(r.interference) && isfinite(r.wall_ratio));
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sr_corun_result r;
    assert_int_equal(sr_corun_measure(3, 1, &r, NULL, 0), SR_ERR_INVALID); /* two alternating blocks */
    assert_int_equal(sr_corun_measure(0, 1, &r, NULL, 0), SR_ERR_INVALID);
    assert_int_equal(sr_corun_measure(4, 1, NULL, NULL, 0), SR_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measures_both_conditions),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
