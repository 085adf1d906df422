/* test_cost_fpga.c: the In-situ AI FPGA engines behind the cost-model interface (sr_cost_fpga.h): every conv
 * and FC node of AlexNet costs the closed form written out by hand here (eq. 11 on the WSS arrays, the NWS
 * loop nest, eq. 12 with and without Fig. 13's batch loop), the sums equal the terms of eq. 13
 * (sr_fpga_pipeline_time), the diagnosis engines price one image's patches at once, grouped convs are their
 * groups in turn, other layers are memory-bound, the vx690t profile selects the WSS design, and bad arguments
 * are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "sr_cost_fpga.h"
#include "sr_hw_graph.h"
#include "sr_model_source.h"
#include "sr_profile.h"
#include "sr_zoo.h"

#define F_HZ 100e6
#define MBW 29.9e9

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want))) fail_msg("got %.17g, want %.17g", got, want);
}

static double cdiv(double a, double b)
{
    return ceil(a / b);
}

static sr_graph *build(const char *name, int c, int h, int w)
{
    sr_graph *g = NULL;
    char err[256] = "";
    assert_int_equal(sr_zoo_build_err(name, c, h, w, &g, err, sizeof err), SR_OK);
    return g;
}

/* Conv node id's N, M, K^2, R, C. */
static void conv_dims(const sr_graph *g, int id, double *n_in, double *m, double *k2, double *r, double *c)
{
    const sr_node *nd = sr_graph_node(g, id);
    *n_in = (double)sr_graph_node(g, nd->inputs[0])->out.d[1];
    *m = (double)nd->out.d[1];
    *k2 = (double)nd->attr.kernel_h * nd->attr.kernel_w;
    *r = (double)nd->out.d[2];
    *c = (double)nd->out.d[3];
}

/* eq. 12 by hand on a tm x tn NWS: weights once per batch (batched) or per sample */
static double fc_by_hand(double n_in, double m, double b, int tm, int tn, int batched)
{
    const double comp = cdiv(n_in, tn) * cdiv(m, tm) * b / F_HZ;
    const double words = (batched ? m * n_in : m * n_in * b) + n_in * b + m * b;
    return fmax(comp, words * 2 / MBW);
}

/* Every conv and FC node of AlexNet (227x227) on each design at batch 1 and 5, engine 0, by hand. */
static void test_alexnet_by_hand(void **state)
{
    (void)state;
    sr_graph *g = build("alexnet", 3, 227, 227);
    const char *names[] = {"vx690t-wss", "vx690t-ws", "vx690t-nws", "vx690t-nws-batch"};
    for (int di = 0; di < 4; di++) {
        sr_fpga_design d;
        assert_int_equal(sr_fpga_design_preset(names[di], &d), SR_OK);
        assert_true(d.fpga.freq_hz == F_HZ && d.fpga.mem_bw_Bps == MBW && d.fpga.dsp_total == 3600);
        assert_true(sr_fpga_design_dsp(&d) <= 3600); /* eq. 10 */
        sr_cost_model *m = NULL;
        assert_int_equal(sr_cost_fpga_create(&d, &m), SR_OK);
        assert_string_equal(sr_cost_model_name(m), "insitu-fpga");
        assert_int_equal(sr_cost_model_per_engine(m), d.arch != SR_FPGA_ARCH_NWS);
        for (int b = 1; b <= 5; b += 4) {
            int convs = 0, fcs = 0;
            for (int id = 0; id < sr_graph_node_count(g); id++) {
                const sr_node *nd = sr_graph_node(g, id);
                const double t = sr_cost_fpga_node(&d, g, id, SR_PREC_FP32, b, 0);
                if (nd->op == SR_OP_CONV) {
                    double n_in, mo, k2, r, c, want;
                    conv_dims(g, id, &n_in, &mo, &k2, &r, &c);
                    if (d.arch == SR_FPGA_ARCH_WSS) /* eq. 11 x B: 4 arrays of 14 x 14 */
                        want = b * cdiv(mo, 4) * n_in * k2 * cdiv(r, 14) * cdiv(c, 14) / F_HZ;
                    else if (d.arch == SR_FPGA_ARCH_WS) /* 64 x 4 */
                        want = b * cdiv(mo, 64) * cdiv(n_in, 4) * r * c * k2 / F_HZ;
                    else /* 64 x 39 */
                        want = b * cdiv(mo, 64) * cdiv(n_in, 39) * r * c * k2 / F_HZ;
                    assert_rel(t, want, 1e-12);
                    convs++;
                } else if (nd->op == SR_OP_FC) {
                    const double n_in = (double)sr_shape_numel(&sr_graph_node(g, nd->inputs[0])->out);
                    const double mo = nd->attr.out_channels;
                    double want = d.arch == SR_FPGA_ARCH_WSS  ? fc_by_hand(n_in, mo, b, 50, 21, 1)
                                  : d.arch == SR_FPGA_ARCH_WS ? fc_by_hand(n_in, mo, b, 20, 52, 1)
                                                              : fc_by_hand(n_in, mo, b, 64, 39, di == 3);
                    assert_rel(t, want, 1e-12);
                    fcs++;
                }
            }
            assert_int_equal(convs, 5);
            assert_int_equal(fcs, 3);
        }
        sr_cost_model_free(m);
    }
    sr_graph_free(g);
}

/* On the WSS design the conv and FC sums are eq. 13's two stage terms: T_All_CONV (eq. 11 summed, one sample)
 * and T_All_FCN at batch B (eq. 12 summed), as sr_fpga_pipeline_time computes them; the whole range adds the
 * other nodes, each memory-bound at 29.9 GB/s (a ReLU by hand). */
static void test_wss_sums_are_eq13_terms(void **state)
{
    (void)state;
    sr_graph *g = build("alexnet", 3, 227, 227);
    sr_hw_layer set[16];
    int n = 0;
    assert_int_equal(sr_hw_layers_from_graph(g, set, 16, &n, NULL, 0), SR_OK);
    sr_fpga_design d;
    assert_int_equal(sr_fpga_design_preset("vx690t-wss", &d), SR_OK);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_fpga_create(&d, &m), SR_OK);
    for (int b = 1; b <= 16; b *= 4) {
        sr_fpga_pipeline_result r;
        assert_int_equal(sr_fpga_pipeline_time(&d.fpga, &d.wss, &d.fc, set, n, b, &r), SR_OK);
        double conv = 0, fc = 0, other = 0;
        int relu = -1;
        for (int id = 0; id < sr_graph_node_count(g); id++) {
            const sr_node *nd = sr_graph_node(g, id);
            const double t = sr_cost_fpga_node(&d, g, id, SR_PREC_FP32, b, 0);
            if (nd->op == SR_OP_CONV)
                conv += t;
            else if (nd->op == SR_OP_FC)
                fc += t;
            else
                other += t;
            if (relu < 0 && nd->op == SR_OP_RELU) relu = id;
        }
        assert_rel(conv, b * r.t_all_conv_s, 1e-12);
        assert_rel(fc, r.t_all_fc_s, 1e-12);
        assert_true(relu > 0);
        assert_rel(sr_cost_fpga_node(&d, g, relu, SR_PREC_FP32, b, 0),
                   b * 2.0 * 4 * (double)sr_shape_numel(&sr_graph_node(g, relu)->out) / MBW, 1e-12);
        sr_cost_device any = {"any", 1, 1, 1, 1, 0}; /* the design, not the device's roofline, prices */
        double range = 0;
        assert_int_equal(sr_cost_layers(m, &any, g, 0, sr_graph_node_count(g) - 1, SR_PREC_FP32, b, &range),
                         SR_OK);
        assert_rel(range, conv + fc + other, 1e-12);
    }
    sr_cost_model_free(m);
    sr_graph_free(g);
}

/* Engine 1 (the diagnosis): a diagnosis model of one 115 x 115 patch (experiments/insitu/jigsaw-patch.cfg);
 * each image's 9 patches run on the 9 arrays (WSS: 7 x 7 each, 4 output maps at once) or the 9 engines (WS)
 * at once: B images take B x one patch's cycles. The same layer on engine 0 runs on the inference array. An
 * NWS design has one engine: there the 9 patches run in turn. */
static void test_diagnosis_engine(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    char err[256] = "";
    assert_int_equal(sr_model_load(SR_SOURCE_DIR "/experiments/insitu/jigsaw-patch.cfg", 0, 0, 0, 1, &g, NULL,
                                   err, sizeof err),
                     SR_OK);
    assert_int_equal(sr_graph_node(g, 1)->out.d[2],
                     28); /* conv1 of a 115 x 115 patch: (115 + 4 - 11) / 4 + 1 */
    sr_fpga_design wss, ws, nws;
    assert_int_equal(sr_fpga_design_preset("vx690t-wss", &wss), SR_OK);
    assert_int_equal(sr_fpga_design_preset("vx690t-ws", &ws), SR_OK);
    assert_int_equal(sr_fpga_design_preset("vx690t-nws", &nws), SR_OK);
    int convs = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        if (sr_graph_node(g, id)->op != SR_OP_CONV) continue;
        double n_in, mo, k2, r, c;
        conv_dims(g, id, &n_in, &mo, &k2, &r, &c);
        for (int b = 1; b <= 3; b += 2) {
            assert_rel(sr_cost_fpga_node(&wss, g, id, SR_PREC_FP32, b, 1),
                       b * cdiv(mo, 4) * n_in * k2 * cdiv(r, 7) * cdiv(c, 7) / F_HZ, 1e-12);
            assert_rel(sr_cost_fpga_node(&wss, g, id, SR_PREC_FP32, b, 0),
                       b * cdiv(mo, 4) * n_in * k2 * cdiv(r, 14) * cdiv(c, 14) / F_HZ, 1e-12);
            assert_rel(sr_cost_fpga_node(&ws, g, id, SR_PREC_FP32, b, 1),
                       b * cdiv(mo, 64) * cdiv(n_in, 4) * r * c * k2 / F_HZ, 1e-12);
            assert_rel(sr_cost_fpga_node(&nws, g, id, SR_PREC_FP32, b, 1),
                       9 * sr_cost_fpga_node(&nws, g, id, SR_PREC_FP32, b, 0), 1e-12);
        }
        convs++;
    }
    assert_int_equal(convs, 5);
    sr_graph_free(g);
}

/* A grouped conv is its groups one after another: 2 groups of 8 -> 8 maps cost twice one 8 -> 8 conv. */
static void test_grouped_conv(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("grouped", &g), SR_OK);
    sr_shape sh = {.rank = 4, .d = {1, 16, 20, 20}};
    int in = sr_graph_add_input(g, "in", sh);
    int cv = sr_graph_conv(g, "cv", in, 16, 3, 1, 1, 2, 1);
    assert_true(cv > 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    sr_fpga_design d;
    assert_int_equal(sr_fpga_design_preset("vx690t-wss", &d), SR_OK);
    const double one = cdiv(8, 4) * 8 * 9 * cdiv(20, 14) * cdiv(20, 14) / F_HZ;
    assert_rel(sr_cost_fpga_node(&d, g, cv, SR_PREC_FP32, 1, 0), 2 * one, 1e-12);
    assert_true(sr_cost_fpga_node(&d, g, in, SR_PREC_FP32, 1, 0) == 0.0);
    sr_graph_free(g);
}

/* The vx690t profile selects the WSS design; its cost model is the same; bad arguments are refused. */
static void test_profile_and_arguments(void **state)
{
    (void)state;
    const sr_profile *p = sr_profile_find("vx690t");
    assert_non_null(p);
    assert_string_equal(p->fpga_model, "vx690t-wss");
    sr_cost_model *m = NULL;
    assert_int_equal(sr_profile_cost_model(p, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "insitu-fpga");
    sr_graph *g = build("alexnet", 3, 227, 227);
    sr_cost_device dev = sr_profile_device(p);
    double t = 0, want = 0;
    assert_int_equal(sr_cost_layers(m, &dev, g, 1, 1, SR_PREC_FP32, 1, &t), SR_OK);
    sr_fpga_design d;
    assert_int_equal(sr_fpga_design_preset("vx690t-wss", &d), SR_OK);
    want = sr_cost_fpga_node(&d, g, 1, SR_PREC_FP32, 1, 0);
    assert_true(t == want && t > 0);
    assert_int_equal(sr_cost_layers(m, &dev, g, 1, 1, SR_PREC_FP32, 0, &t), SR_ERR_INVALID);
    assert_int_equal(sr_cost_layers(m, &dev, g, 3, 1, SR_PREC_FP32, 1, &t), SR_ERR_RANGE);
    assert_int_equal(sr_fpga_design_preset("vx485t", &d), SR_ERR_NOT_FOUND);
    assert_int_equal(sr_fpga_design_preset("vx690t-wss", &d), SR_OK);
    d.wss.group = 0;
    assert_int_equal(sr_cost_fpga_create(&d, &m), SR_ERR_INVALID);
    sr_cost_model_free(m);
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alexnet_by_hand),       cmocka_unit_test(test_wss_sums_are_eq13_terms),
        cmocka_unit_test(test_diagnosis_engine),      cmocka_unit_test(test_grouped_conv),
        cmocka_unit_test(test_profile_and_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
