/* test_cost.c: the roofline cost model against hand-computed values, and the vtable dispatch.
 *
 * Graph: in 1x3x8x8 -> conv(4 ch, 3x3, pad 1, bias) -> relu -> fc(10, bias).
 *   conv: 256 outputs x 27 MACs = 6912 MACs = 13824 flop; bytes fp32: in 768, out 1024, weights 112 x 4 = 448
 *   relu: 256 flop; in 1024, out 1024
 *   fc:   2560 MACs = 5120 flop; in 1024, out 40, weights 2570 x 4 = 10280
 * Device: speed 1e5 flop/s x 2 cores x efficiency 0.5 = 1e5 flop/s effective; memory 1e5 B/s. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sr_cost.h"

static sr_graph *build(void)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("c", &g), SR_OK);
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 3, 8, 8));
    int c = sr_graph_conv(g, "conv", in, 4, 3, 1, 1, 1, 1);
    int r = sr_graph_unary(g, SR_OP_RELU, "relu", c);
    int f = sr_graph_fc(g, "fc", r, 10, 1);
    assert_true(f == 3);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    return g;
}

static const sr_cost_device DEV = {"d", 1e5, 2, 0.5, 1e5, 0};

static void test_roofline_per_layer(void **state)
{
    (void)state;
    sr_graph *g = build();
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_roofline_create(&m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "roofline");
    double t = -1;
    /* conv compute-bound: 13824 / 1e5 (memory 2240 / 1e5 is less) */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 1, 1, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.13824, 1e-12);
    /* relu memory-bound: 2048 / 1e5 */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 2, 2, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.02048, 1e-12);
    /* fc memory-bound: 11344 / 1e5 */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 3, 3, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.11344, 1e-12);
    /* input is free; the whole graph is the sum */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 0, 0, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.0, 0);
    assert_int_equal(sr_cost_layers(m, &DEV, g, 0, 3, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.13824 + 0.02048 + 0.11344, 1e-12);
    /* batch 4: conv 4 x 13824 / 1e5; relu 4 x 2048 / 1e5; fc compute 4 x 5120 / 1e5 beats (4 x 1064 + 10280)
     * / 1e5 */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 1, 3, SR_PREC_FP32, 4, &t), SR_OK);
    assert_float_equal(t, 0.55296 + 0.08192 + 0.2048, 1e-12);
    /* fp16 halves the bytes: fc memory (1024 + 40 + 10280) / 2 / 1e5 = 0.05672 > 0.0512 */
    assert_int_equal(sr_cost_layers(m, &DEV, g, 3, 3, SR_PREC_FP16, 1, &t), SR_OK);
    assert_float_equal(t, 0.05672, 1e-12);
    /* no memory bound: pure compute */
    sr_cost_device fast = DEV;
    fast.mem_bw_Bps = 0;
    assert_int_equal(sr_cost_layers(m, &fast, g, 3, 3, SR_PREC_FP32, 1, &t), SR_OK);
    assert_float_equal(t, 0.0512, 1e-12);
    assert_float_equal(sr_cost_roofline_node(&DEV, g, 1, SR_PREC_FP32, 1), 0.13824, 1e-12);
    sr_cost_model_free(m);
    sr_graph_free(g);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sr_graph *g = build();
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_roofline_create(&m), SR_OK);
    double t = 0;
    assert_int_equal(sr_cost_layers(m, &DEV, g, 2, 1, SR_PREC_FP32, 1, &t), SR_ERR_RANGE);
    assert_int_equal(sr_cost_layers(m, &DEV, g, 0, 4, SR_PREC_FP32, 1, &t), SR_ERR_RANGE);
    assert_int_equal(sr_cost_layers(m, &DEV, g, -1, 1, SR_PREC_FP32, 1, &t), SR_ERR_RANGE);
    assert_int_equal(sr_cost_layers(m, &DEV, g, 0, 1, SR_PREC_FP32, 0, &t), SR_ERR_INVALID);
    sr_cost_device bad = DEV;
    bad.efficiency = 0;
    assert_int_equal(sr_cost_layers(m, &bad, g, 0, 1, SR_PREC_FP32, 1, &t), SR_ERR_INVALID);
    bad = DEV;
    bad.cores = 0;
    assert_int_equal(sr_cost_layers(m, &bad, g, 0, 1, SR_PREC_FP32, 1, &t), SR_ERR_INVALID);
    assert_int_equal(sr_cost_layers(NULL, &DEV, g, 0, 1, SR_PREC_FP32, 1, &t), SR_ERR_INVALID);
    sr_cost_model_free(m);
    sr_cost_model_free(NULL);
    sr_graph_free(g);
}

/* A custom implementation is reached through the same call, and its state is destroyed with it. */
static int destroyed;
static sr_status const_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                              int last, sr_precision p, int batch, double *seconds)
{
    (void)dev;
    (void)g;
    (void)p;
    *seconds = *(double *)m->state * (last - first + 1) * batch;
    return SR_OK;
}
static void const_destroy(void *state)
{
    destroyed++;
    free(state);
}
static const sr_cost_model_ops const_ops = {"const", const_layers, const_destroy, 0};

static void test_custom_model(void **state)
{
    (void)state;
    sr_graph *g = build();
    double *per = malloc(sizeof *per);
    *per = 0.25;
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_model_create(&const_ops, per, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "const");
    double t = 0;
    assert_int_equal(sr_cost_layers(m, &DEV, g, 1, 3, SR_PREC_INT8, 2, &t), SR_OK);
    assert_float_equal(t, 1.5, 1e-15);
    destroyed = 0;
    sr_cost_model_free(m);
    assert_int_equal(destroyed, 1);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roofline_per_layer),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_custom_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
