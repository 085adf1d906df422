/* test_calibrate.c: a tiny calibration run (smallest internal mode) fits a model that predicts its own
 * training points (R^2 > 0.9 over all points, loose: the machine is noisy) through sr_cost_layers; the
 * fitted model falls back to the roofline for unfitted layer types and scales by roofline ratios; the
 * `calibrate` command writes a loadable profile and rejects bad arguments. No timing asserts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr_calibrate.h"
#include "sr_cmd.h"
#include "sr_cost_fitted.h"
#include "sr_fit.h"
#include "sr_profile_file.h"
#include "sr_profile_scale.h"

static void test_tiny_run_predicts_training_points(void **state)
{
    (void)state;
    sr_calib_options o = {SR_CALIB_TINY, 7, "tiny", NULL};
    sr_calib_result *r = NULL;
    char err[512] = "";
    assert_int_equal(sr_calibrate_run(&o, &r, err, sizeof err), SR_OK);
    const sr_profile *p = r->profile;
    assert_non_null(p->fit);
    assert_string_equal(p->name, "tiny");
    assert_true(p->speed_flops > 0 && p->mem_bw_Bps > 0);
    assert_true(p->fit->cls[SR_LC_CONV3X3].fitted && p->fit->cls[SR_LC_MAXPOOL].fitted);
    assert_non_null(strstr(p->source, "fitted on "));
    sr_cost_model *m = NULL;
    assert_int_equal(sr_profile_cost_model(p, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "fitted");
    sr_cost_device dev = sr_profile_device(p);
    double *y = malloc((size_t)r->n_samples * sizeof *y), *yh = malloc((size_t)r->n_samples * sizeof *yh);
    assert_true(y && yh);
    int n = 0;
    for (int i = 0; i < r->n_samples; i++) {
        const sr_calib_sample *s = &r->samples[i];
        assert_true(s->train && s->model[0] == '\0'); /* tiny: grid only */
        sr_graph *g = NULL;
        int node = -1;
        assert_int_equal(sr_calib_layer_graph(&s->layer, &g, &node), SR_OK);
        assert_int_equal((int)s->cls, sr_layer_class_of(g, node));
        double t = -1;
        assert_int_equal(sr_cost_layers(m, &dev, g, node, node, SR_PREC_FP32, 1, &t), SR_OK);
        assert_true(isfinite(t) && t >= 0);
        y[n] = s->measured_s, yh[n] = t, n++;
        sr_graph_free(g);
    }
    assert_true(n > 50);
    /* Timings are noisy (ctest -j2, sanitizers), so no threshold on how good the fit is; what must hold
     * exactly: each class's stored R^2 is the R^2 of its coefficients on its own training points, and the
     * model as a whole does better than predicting the mean time (R^2 > 0). */
    double r2 = sr_fit_r2(y, yh, n);
    printf("tiny calibration: %d training points, R^2 of the fitted model %.3f\n", n, r2);
    assert_true(r2 > 0.0);
    for (int c = 0; c < SR_LC_COUNT; c++) {
        const sr_profile_class_fit *cf = &p->fit->cls[c];
        if (!cf->fitted) continue;
        int k = 0;
        for (int i = 0; i < r->n_samples; i++) {
            const sr_calib_sample *s = &r->samples[i];
            if (!s->train || (int)s->cls != c) continue;
            y[k] = s->measured_s;
            yh[k] = sr_fit_predict(cf->form, cf->coef, s->x, cf->n_coef);
            k++;
        }
        assert_int_equal(k, cf->n_points);
        double r2k = sr_fit_r2(y, yh, k);
        if (isinf(cf->r2)) /* all training times equal: R^2 is -inf unless the fit is exact */
            assert_true(r2k == cf->r2);
        else
            assert_true(fabs(r2k - cf->r2) <= 1e-9);
    }
    free(y);
    free(yh);
    sr_cost_model_free(m);
    sr_calib_result_free(r);
    sr_calib_result_free(NULL);
}

/* A fit with only conv3x3: other nodes must cost exactly the roofline time. */
static void test_fallback_to_roofline(void **state)
{
    (void)state;
    sr_profile_fit fit;
    sr_profile_fit_init(&fit);
    fit.ref_flops = 1e11, fit.ref_mem_bw_Bps = 2e10;
    sr_profile_class_fit *c = &fit.cls[SR_LC_CONV3X3];
    c->fitted = 1, c->form = SR_FIT_LINEAR, c->n_coef = 5;
    const double coef[5] = {1e-5, 2e-11, 1e-10, 3e-10, 4e-10};
    memcpy(c->coef, coef, sizeof coef);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_fitted_create(&fit, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "fitted");

    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("t", &g), SR_OK);
    int in = sr_graph_add_input(g, "x", sr_shape_nchw(1, 8, 16, 16));
    int cv = sr_graph_conv(g, "c3", in, 16, 3, 1, 1, 1, 1);
    int mp = sr_graph_pool(g, SR_OP_MAXPOOL, "mp", cv, 2, 2, 0);
    int re = sr_graph_unary(g, SR_OP_RELU, "relu", mp);
    int c1 = sr_graph_conv(g, "c1", re, 8, 1, 1, 0, 1, 1);
    assert_true(c1 > 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);

    sr_cost_device dev = {"d", 5e10, 2, 0.5,
                          1e10, 0}; /* effective 5e10 flop/s: compute scale 2, memory scale 2 */
    double t;
    int used = -1;
    /* fitted conv3x3: coef . features x (1e11 / 5e10) */
    double x[SR_FIT_MAX_COEF];
    sr_layer_features(g, cv, SR_LC_CONV3X3, 1, x);
    const sr_node *nd = sr_graph_node(g, cv);
    assert_true(x[0] == 1.0 && x[1] == (double)nd->macs && x[3] == 16.0 * 16 * 16 &&
                x[4] == (double)nd->params);
    assert_true(x[2] == 8.0 * 9 * 16 * 16); /* im2col: in_c k k oh ow */
    double want = 0;
    for (int j = 0; j < 5; j++)
        want += coef[j] * x[j];
    t = sr_cost_fitted_node(m, &dev, g, cv, SR_PREC_FP32, 1, &used);
    assert_int_equal(used, 1);
    assert_true(fabs(t - 2.0 * want) <= 1e-12 * want);
    /* batch 3: activation features triple, weights do not */
    double x3[SR_FIT_MAX_COEF];
    sr_layer_features(g, cv, SR_LC_CONV3X3, 3, x3);
    assert_true(x3[1] == 3 * x[1] && x3[4] == x[4]);
    /* unfitted classes: exactly the roofline */
    for (int id = 0; id <= c1; id++) {
        if (id == cv) continue;
        t = sr_cost_fitted_node(m, &dev, g, id, SR_PREC_FP32, 2, &used);
        assert_int_equal(used, 0);
        assert_true(t == sr_cost_roofline_node(&dev, g, id, SR_PREC_FP32, 2));
    }
    assert_true(sr_cost_fitted_node(m, &dev, g, in, SR_PREC_FP32, 1, NULL) == 0.0);
    /* through the interface: the range is the sum */
    double total = 0, sum = 0;
    assert_int_equal(sr_cost_layers(m, &dev, g, 0, c1, SR_PREC_INT8, 1, &total), SR_OK);
    for (int id = 0; id <= c1; id++)
        sum += sr_cost_fitted_node(m, &dev, g, id, SR_PREC_INT8, 1, NULL);
    assert_true(fabs(total - sum) <= 1e-15 + 1e-12 * sum);
    assert_int_equal(sr_cost_layers(m, &dev, g, 3, 1, SR_PREC_FP32, 1, &total), SR_ERR_RANGE);
    sr_graph_free(g);

    /* conv -> bn -> relu: the executor fuses bn and relu into the conv; they cost 0, the conv its fit */
    assert_int_equal(sr_graph_create("f", &g), SR_OK);
    in = sr_graph_add_input(g, "x", sr_shape_nchw(1, 8, 16, 16));
    cv = sr_graph_conv(g, "c3", in, 16, 3, 1, 1, 1, 1);
    int bn = sr_graph_unary(g, SR_OP_BATCHNORM, "bn", cv);
    re = sr_graph_unary(g, SR_OP_RELU, "relu", bn);
    int tail = sr_graph_pool(g, SR_OP_MAXPOOL, "tail", re, 2, 2, 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    int fused[5];
    assert_int_equal(sr_layer_fusion(g, fused), SR_OK);
    assert_true(fused[0] == -1 && fused[1] == -1 && fused[2] == cv && fused[3] == cv && fused[4] == -1);
    assert_true(sr_cost_fitted_node(m, &dev, g, bn, SR_PREC_FP32, 1, &used) == 0.0 && used == 1);
    assert_true(sr_cost_fitted_node(m, &dev, g, re, SR_PREC_FP32, 1, NULL) == 0.0);
    assert_int_equal(sr_cost_layers(m, &dev, g, 0, tail, SR_PREC_FP32, 1, &total), SR_OK);
    double conv_t = sr_cost_fitted_node(m, &dev, g, cv, SR_PREC_FP32, 1, NULL);
    double tail_t = sr_cost_roofline_node(&dev, g, tail, SR_PREC_FP32, 1);
    assert_true(conv_t > 0 && fabs(total - (conv_t + tail_t)) <= 1e-12 * total);
    sr_cost_model_free(m);
    sr_graph_free(g);

    /* bad fits are refused */
    fit.ref_flops = 0;
    assert_int_equal(sr_cost_fitted_create(&fit, &m), SR_ERR_INVALID);
    fit.ref_flops = 1e11, c->n_coef = 2;
    assert_int_equal(sr_cost_fitted_create(&fit, &m), SR_ERR_INVALID);
}

/* A profile scaled to another device prices layers as the measured fit scaled on that device. */
static void test_scaled_profile_consistent(void **state)
{
    (void)state;
    sr_profile_fit fit;
    sr_profile_fit_init(&fit);
    fit.ref_flops = 1e11, fit.ref_mem_bw_Bps = 2e10;
    fit.cls[SR_LC_CONV3X3] =
        (sr_profile_class_fit){1, SR_FIT_LINEAR, 5, {1e-5, 2e-11, 1e-10, 3e-10, 4e-10}, 0.9, 0.1, 10};
    fit.cls[SR_LC_ACT] = (sr_profile_class_fit){1, SR_FIT_LOGLINEAR, 2, {log(1e-9), 0.9}, 0.9, 0.1, 10};
    sr_profile measured = {"m", "edge", "", 1e11, 1, 1.0, 2e10, 0, 0, "", NULL, &fit, NULL, NULL};
    const sr_profile *rpi = sr_profile_find("rpi4");
    assert_non_null(rpi);
    sr_profile *scaled = NULL;
    assert_int_equal(sr_profile_scale(rpi, &measured, &scaled), SR_OK);
    assert_string_equal(scaled->name, "rpi4");
    assert_non_null(strstr(scaled->fit->scaling, "scaled by roofline ratios"));
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("t", &g), SR_OK);
    int in = sr_graph_add_input(g, "x", sr_shape_nchw(1, 8, 16, 16));
    int cv = sr_graph_conv(g, "c3", in, 16, 3, 1, 1, 1, 1);
    int mp = sr_graph_pool(g, SR_OP_MAXPOOL, "mp", cv, 1, 1, 0); /* keeps the relu out of the conv's fusion */
    int re = sr_graph_unary(g, SR_OP_RELU, "relu", mp);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    sr_cost_model *a = NULL, *b = NULL;
    assert_int_equal(sr_cost_fitted_create(&fit, &a), SR_OK);
    assert_int_equal(sr_profile_cost_model(scaled, &b), SR_OK);
    sr_cost_device dev = sr_profile_device(rpi);
    for (int id = cv; id <= re; id += re - cv) {
        double ta = sr_cost_fitted_node(a, &dev, g, id, SR_PREC_FP32, 1, NULL);
        double tb = sr_cost_fitted_node(b, &dev, g, id, SR_PREC_FP32, 1, NULL);
        assert_true(ta > 0 && fabs(ta - tb) <= 1e-9 * ta);
    }
    /* the device is slower than the measured machine: compute-bound conv costs more */
    sr_cost_device host = sr_profile_device(&measured);
    assert_true(sr_cost_fitted_node(a, &dev, g, cv, SR_PREC_FP32, 1, NULL) >
                sr_cost_fitted_node(a, &host, g, cv, SR_PREC_FP32, 1, NULL));
    sr_cost_model_free(a);
    sr_cost_model_free(b);
    sr_graph_free(g);
    sr_profile_file_free(scaled);
}

static void test_command(void **state)
{
    (void)state;
    char path[] = "/tmp/sr_calib_cmd_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char *ok[] = {"calibrate", "--tiny", "--seed", "3", "--name", "cmdtest", "--out", path, NULL};
    assert_int_equal(sr_cmd_calibrate(8, ok), 0);
    sr_profile *p = NULL;
    char err[512] = "";
    assert_int_equal(sr_profile_file_load(path, &p, err, sizeof err), SR_OK);
    assert_string_equal(p->name, "cmdtest");
    assert_non_null(p->fit);
    sr_profile_file_free(p);
    /* derive a device profile from it */
    char path2[] = "/tmp/sr_calib_cmd2_XXXXXX";
    fd = mkstemp(path2);
    assert_true(fd >= 0);
    close(fd);
    char *der[] = {"calibrate", "--scale-from", path, "--profile", "jetson-nano", "--out", path2, NULL};
    assert_int_equal(sr_cmd_calibrate(7, der), 0);
    assert_int_equal(sr_profile_file_load(path2, &p, err, sizeof err), SR_OK);
    assert_string_equal(p->name, "jetson-nano");
    sr_profile_file_free(p);
    unlink(path);
    unlink(path2);

    char *no_out[] = {"calibrate", "--tiny", NULL};
    assert_int_equal(sr_cmd_calibrate(2, no_out), 2);
    char *bad_seed[] = {"calibrate", "--seed", "x1", "--out", "/tmp/x.yaml", NULL};
    assert_int_equal(sr_cmd_calibrate(5, bad_seed), 2);
    char *unknown[] = {"calibrate", "--fast", NULL};
    assert_int_equal(sr_cmd_calibrate(2, unknown), 2);
    char *missing[] = {"calibrate", "--scale-from", "/nonexistent.yaml", "--profile",
                       "rpi4",      "--out",        "/tmp/y.yaml",       NULL};
    assert_int_equal(sr_cmd_calibrate(7, missing), 2);
    char *badprof[] = {"calibrate", "--scale-from", "/nonexistent.yaml", "--profile",
                       "nope",      "--out",        "/tmp/y.yaml",       NULL};
    assert_int_equal(sr_cmd_calibrate(7, badprof), 2);
    char *unwritable[] = {"calibrate", "--tiny", "--out", "/nonexistent/dir/p.yaml", NULL};
    assert_int_equal(sr_cmd_calibrate(4, unwritable), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny_run_predicts_training_points),
        cmocka_unit_test(test_fallback_to_roofline),
        cmocka_unit_test(test_scaled_profile_consistent),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
