/* test_cost_insitu.c: the In-situ AI GPU model behind the cost-model interface (sr_cost_insitu.h):
 * equal to models/hw's equations on every plain conv and FC layer, a hand-computed depthwise layer,
 * memory-bound pricing of the other layers, the profiles that select it, and argument checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sr_cost_insitu.h"
#include "sr_hw_graph.h"
#include "sr_profile.h"
#include "sr_zoo.h"

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want))) fail_msg("got %.17g, want %.17g", got, want);
}

/* VGG-16 at batch 1 and 4 on both paper GPUs: every conv / FC node costs what sr_gpu_insitu_net_time's
 * per-layer equations give for the same layer (sr_hw_layers_from_graph), and the model's range cost is
 * their sum plus the other nodes. */
static void test_vgg16_equals_paper_equations(void **state)
{
    (void)state;
    const char *presets[] = {"jetson-tx1", "titan-x-pascal"};
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("vgg16", 0, 0, 0, &g), SR_OK);
    sr_hw_layer set[64];
    int n = 0;
    char err[256];
    assert_int_equal(sr_hw_layers_from_graph(g, set, 64, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, 16);
    for (int pi = 0; pi < 2; pi++) {
        sr_gpu_insitu_params p;
        assert_int_equal(sr_gpu_insitu_preset(presets[pi], &p), SR_OK);
        sr_cost_model *m = NULL;
        assert_int_equal(sr_cost_insitu_create(&p, &m), SR_OK);
        assert_string_equal(sr_cost_model_name(m), "insitu-gpu");
        for (int batch = 1; batch <= 4; batch *= 4) {
            int li = 0;
            double sum_gemm = 0, sum_other = 0;
            for (int id = 0; id < sr_graph_node_count(g); id++) {
                const sr_node *nd = sr_graph_node(g, id);
                const double t = sr_cost_insitu_node(&p, g, id, SR_PREC_FP32, batch);
                if (nd->op == SR_OP_CONV || nd->op == SR_OP_FC) {
                    double want = 0;
                    assert_int_equal(sr_gpu_insitu_net_time(&p, &set[li], 1, batch, &want), SR_OK);
                    assert_rel(t, want, 1e-12);
                    sum_gemm += t;
                    li++;
                } else {
                    assert_true(t >= 0);
                    sum_other += t;
                }
            }
            assert_int_equal(li, 16);
            double net = 0, range = 0;
            assert_int_equal(sr_gpu_insitu_net_time(&p, set, n, batch, &net), SR_OK);
            assert_rel(sum_gemm, net, 1e-12);
            sr_cost_device ignored = {"any", 1e9, 1, 1.0, 1e9, 0}; /* the preset, not the device, prices */
            assert_int_equal(
                sr_cost_layers(m, &ignored, g, 0, sr_graph_node_count(g) - 1, SR_PREC_FP32, batch, &range),
                SR_OK);
            assert_rel(range, net + sum_other, 1e-12);
        }
        sr_cost_model_free(m);
    }
    sr_graph_free(g);
}

/* MobileNetV2's first depthwise layer on the TX1, by hand: 32 groups of a 1 x 9 x 12544 GEMM;
 * Grid = 32 x ceil(1/64) x ceil(12544/16) = 25088 blocks, maxBlocks = 2 x 32 = 64, 392 full waves:
 * Util = 1; ops = 2 x 32 x 9 x 112 x 112; t = ops / (2 x 998.4 MHz x 256). A ReLU6 node (not in the
 * paper's model) is memory-bound: (input + output bytes) / 25.6 GB/s. */
static void test_mobilenetv2_by_hand(void **state)
{
    (void)state;
    sr_gpu_insitu_params p;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &p), SR_OK);
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("mobilenetv2", 0, 0, 0, &g), SR_OK);
    int dw = -1, act = -1;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        const sr_node *nd = sr_graph_node(g, id);
        if (dw < 0 && nd->op == SR_OP_CONV && nd->attr.groups > 1) dw = id;
        if (act < 0 && nd->op == SR_OP_RELU6) act = id;
    }
    assert_true(dw > 0 && act > 0);
    assert_int_equal(sr_graph_node(g, dw)->attr.groups, 32);
    assert_int_equal(sr_graph_node(g, dw)->out.d[2], 112);
    const double ops = 2.0 * 32 * 9 * 112 * 112;
    assert_rel(sr_cost_insitu_node(&p, g, dw, SR_PREC_FP32, 1), ops / (2.0 * 998.4e6 * 256), 1e-12);
    /* at batch 3 the columns triple; still whole waves, so 3x the time */
    assert_rel(sr_cost_insitu_node(&p, g, dw, SR_PREC_FP32, 3), 3 * ops / (2.0 * 998.4e6 * 256), 1e-12);
    const double bytes = 2.0 * 4 * sr_shape_numel(&sr_graph_node(g, act)->out);
    assert_rel(sr_cost_insitu_node(&p, g, act, SR_PREC_FP32, 1), bytes / 25.6e9, 1e-12);
    assert_true(sr_cost_insitu_node(&p, g, 0, SR_PREC_FP32, 1) == 0.0); /* the input */
    sr_graph_free(g);
}

/* The paper's GPUs are priced by it through their built-in profiles; the others are not. */
static void test_profiles_select_it(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("resnet50", 0, 0, 0, &g), SR_OK);
    const struct {
        const char *profile, *preset;
    } cases[] = {{"jetson-tx1", "jetson-tx1"}, {"titanx", "titan-x-pascal"}};
    for (int i = 0; i < 2; i++) {
        const sr_profile *pr = sr_profile_find(cases[i].profile);
        assert_non_null(pr);
        assert_string_equal(pr->gpu_model, cases[i].preset);
        sr_cost_model *a = NULL, *b = NULL;
        assert_int_equal(sr_profile_cost_model(pr, &a), SR_OK);
        sr_gpu_insitu_params p;
        assert_int_equal(sr_gpu_insitu_preset(cases[i].preset, &p), SR_OK);
        assert_int_equal(sr_cost_insitu_create(&p, &b), SR_OK);
        const sr_cost_device dev = sr_profile_device(pr);
        double ta = 0, tb = 0;
        const int last = sr_graph_node_count(g) - 1;
        assert_int_equal(sr_cost_layers(a, &dev, g, 0, last, SR_PREC_FP32, 2, &ta), SR_OK);
        assert_int_equal(sr_cost_layers(b, &dev, g, 0, last, SR_PREC_FP32, 2, &tb), SR_OK);
        assert_true(ta > 0 && ta == tb);
        sr_cost_model_free(a);
        sr_cost_model_free(b);
    }
    assert_null(sr_profile_find("jetson-nano")->gpu_model);
    assert_null(sr_profile_find("v100")->gpu_model);
    sr_graph_free(g);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    sr_gpu_insitu_params p;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &p), SR_OK);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_insitu_create(NULL, &m), SR_ERR_INVALID);
    sr_gpu_insitu_params bad = p;
    bad.n_sm = 0;
    assert_int_equal(sr_cost_insitu_create(&bad, &m), SR_ERR_INVALID);
    assert_int_equal(sr_cost_insitu_create(&p, &m), SR_OK);
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("alexnet", 0, 0, 0, &g), SR_OK);
    sr_cost_device dev = {"x", 1e9, 1, 1.0, 1e9, 0};
    double t = 0;
    assert_int_equal(sr_cost_layers(m, &dev, g, 3, 2, SR_PREC_FP32, 1, &t), SR_ERR_RANGE);
    assert_int_equal(sr_cost_layers(m, &dev, g, 0, 2, SR_PREC_FP32, 0, &t), SR_ERR_INVALID);
    sr_cost_model_free(m);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vgg16_equals_paper_equations),
        cmocka_unit_test(test_mobilenetv2_by_hand),
        cmocka_unit_test(test_profiles_select_it),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
