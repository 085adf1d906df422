/* test_profile_file.c: profile YAML files: write + load gives back every field bit for bit; malformed
 * files give clear errors with file:line:col; the shipped profiles load and give fitted cost models;
 * sr_profile_print shows the fit table. */
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

#include "sr_profile.h"
#include "sr_profile_file.h"

static void make_fit(sr_profile_fit *fit)
{
    sr_profile_fit_init(fit);
    fit->ref_flops = 9.776e10 / 3.0;
    fit->ref_mem_bw_Bps = 1.0 / 7.0 * 1e11;
    snprintf(fit->scaling, sizeof fit->scaling, "measured \"here\" \\ with quotes");
    sr_profile_class_fit *c = &fit->cls[SR_LC_CONV3X3];
    c->fitted = 1, c->form = SR_FIT_LINEAR, c->n_coef = 5, c->r2 = 0.98123456789012345, c->n_points = 270;
    c->cv_median_rel_err = 0.1;
    for (int j = 0; j < 5; j++)
        c->coef[j] = (j + 1) * 1e-10 / 3.0 - (j == 2 ? 1e-9 : 0);
    c = &fit->cls[SR_LC_ACT];
    c->fitted = 1, c->form = SR_FIT_LOGLINEAR, c->n_coef = 2, c->r2 = -0.25, c->n_points = 3;
    c->coef[0] = log(2e-7), c->coef[1] = 0.95; /* cv_median_rel_err stays NAN */
    /* a class whose training times were all equal and not fitted exactly: R^2 = -inf (issue: CI read '-.inf')
     */
    c = &fit->cls[SR_LC_ADD];
    c->fitted = 1, c->form = SR_FIT_LINEAR, c->n_coef = 2, c->r2 = -INFINITY, c->n_points = 4;
    c->coef[0] = 1e-7, c->coef[1] = 1e-12;
    snprintf(fit->holdout_models, sizeof fit->holdout_models, "mobilenetv2, resnet152");
    fit->holdout_layers = 696;
    fit->holdout_layer_median = 0.044, fit->holdout_layer_p90 = 0.298;
    fit->holdout_model_median = 0.097, fit->holdout_model_p90 = 0.264;
    fit->n_codecs = 2;
    snprintf(fit->codecs[0].pipeline, sizeof fit->codecs[0].pipeline, "quant8");
    fit->codecs[0].encode_s_per_elem = 1.276e-8, fit->codecs[0].decode_s_per_elem = 3.44e-9;
    fit->codecs[0].bytes_per_elem = 1.0;
    snprintf(fit->codecs[1].pipeline, sizeof fit->codecs[1].pipeline, "quant8+rans");
    fit->codecs[1].encode_s_per_elem = 1.787e-8, fit->codecs[1].bytes_per_elem = 0.566;
    fit->memcpy_Bps = 9.42e9, fit->ser_raw_s_per_byte = 2.11e-11;
    fit->pb_encode_fixed_s = 4.33e-8, fit->pb_encode_s_per_byte = 2e-11;
    fit->pb_decode_fixed_s = 9.54e-8, fit->pb_decode_s_per_byte = 4.34e-11;
    fit->rune_native_inf_s = 6.29e-7, fit->rune_overhead_rust = 0.19, fit->rune_overhead_protobuf = 0.52;
    fit->corun_interference = 1.0375, fit->corun_alone_cpu_s = 0.0128, fit->corun_with_cpu_s = 0.01328;
    fit->corun_wall_ratio = 2.09;
    fit->idle = (sr_idle_curve){3, {0.003, 0.1, 1.0}, {1.0, 1.3, 1.35}};
    snprintf(fit->idle_model, sizeof fit->idle_model, "mobilenetv2");
    fit->idle_warm_s = 0.00781, fit->idle_rounds = 12, fit->idle_sigma = 0.0625;
    fit->rune_bytes_rust = 136, fit->rune_bytes_protobuf = 38, fit->rune_measured_native_s = 6.5e-7;
}

static void assert_same_double(double a, double b)
{
    if (isnan(a))
        assert_true(isnan(b));
    else
        assert_true(a == b);
}

static void test_round_trip(void **state)
{
    (void)state;
    sr_profile_fit fit;
    make_fit(&fit);
    sr_profile p = {"unit",
                    "edge",
                    "a: test\nprofile",
                    1.0 / 3.0 * 1e11,
                    3,
                    0.7,
                    2.5e10,
                    10,
                    25.5,
                    "made up for the round trip",
                    "unit.yaml",
                    &fit,
                    "titan-x-maxwell",
                    "vx690t-nws"};
    char path[] = "/tmp/sr_profile_rt_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[512] = "";
    assert_int_equal(sr_profile_file_write(&p, path, err, sizeof err), SR_OK);
    sr_profile *q = NULL;
    assert_int_equal(sr_profile_file_load(path, &q, err, sizeof err), SR_OK);
    unlink(path);
    assert_string_equal(q->name, p.name);
    assert_string_equal(q->device_class, p.device_class);
    assert_string_equal(q->description, p.description);
    assert_string_equal(q->source, p.source);
    assert_string_equal(q->fit_file, p.fit_file);
    assert_string_equal(q->gpu_model, p.gpu_model);
    assert_string_equal(q->fpga_model, p.fpga_model);
    assert_true(q->speed_flops == p.speed_flops && q->cores == p.cores && q->efficiency == p.efficiency);
    assert_true(q->mem_bw_Bps == p.mem_bw_Bps && q->power_idle_w == p.power_idle_w &&
                q->power_busy_w == p.power_busy_w);
    const sr_profile_fit *g = q->fit;
    assert_non_null(g);
    assert_true(g->ref_flops == fit.ref_flops && g->ref_mem_bw_Bps == fit.ref_mem_bw_Bps);
    assert_string_equal(g->scaling, fit.scaling);
    for (int c = 0; c < SR_LC_COUNT; c++) {
        const sr_profile_class_fit *a = &fit.cls[c], *b = &g->cls[c];
        assert_int_equal(a->fitted, b->fitted);
        if (!a->fitted) continue;
        assert_int_equal(a->form, b->form);
        assert_int_equal(a->n_coef, b->n_coef);
        assert_int_equal(a->n_points, b->n_points);
        assert_same_double(a->r2, b->r2);
        assert_same_double(a->cv_median_rel_err, b->cv_median_rel_err);
        for (int j = 0; j < a->n_coef; j++)
            assert_true(a->coef[j] == b->coef[j]);
    }
    assert_string_equal(g->holdout_models, fit.holdout_models);
    assert_int_equal(g->holdout_layers, fit.holdout_layers);
    assert_same_double(g->holdout_layer_median, fit.holdout_layer_median);
    assert_same_double(g->holdout_model_p90, fit.holdout_model_p90);
    assert_int_equal(g->n_codecs, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(g->codecs[i].pipeline, fit.codecs[i].pipeline);
        assert_true(g->codecs[i].encode_s_per_elem == fit.codecs[i].encode_s_per_elem);
        assert_true(g->codecs[i].decode_s_per_elem == fit.codecs[i].decode_s_per_elem);
        assert_true(g->codecs[i].bytes_per_elem == fit.codecs[i].bytes_per_elem);
    }
    assert_true(g->memcpy_Bps == fit.memcpy_Bps && g->ser_raw_s_per_byte == fit.ser_raw_s_per_byte);
    assert_true(g->pb_encode_fixed_s == fit.pb_encode_fixed_s &&
                g->pb_decode_s_per_byte == fit.pb_decode_s_per_byte);
    assert_true(g->rune_native_inf_s == fit.rune_native_inf_s && g->rune_overhead_protobuf == fit.rune_overhead_protobuf &&
                g->rune_bytes_rust == fit.rune_bytes_rust && g->rune_measured_native_s == fit.rune_measured_native_s);
    assert_true(g->corun_interference == fit.corun_interference && g->corun_alone_cpu_s == fit.corun_alone_cpu_s &&
                g->corun_with_cpu_s == fit.corun_with_cpu_s && g->corun_wall_ratio == fit.corun_wall_ratio);
    assert_int_equal(g->idle.n, 3);
    for (int i = 0; i < 3; i++)
        assert_true(g->idle.gap_s[i] == fit.idle.gap_s[i] && g->idle.factor[i] == fit.idle.factor[i]);
    assert_string_equal(g->idle_model, "mobilenetv2");
    assert_true(g->idle_warm_s == fit.idle_warm_s && g->idle_rounds == 12 && g->idle_sigma == 0.0625);
    /* a loaded profile gives the In-situ AI model when it names a GPU preset, else its fitted model */
    sr_cost_model *m = NULL;
    assert_int_equal(sr_profile_cost_model(q, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "insitu-gpu");
    sr_cost_model_free(m);
    q->gpu_model = NULL; /* the string stays owned by q */
    assert_int_equal(sr_profile_cost_model(q, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "insitu-fpga"); /* then the FPGA design it names */
    sr_cost_model_free(m);
    q->fpga_model = NULL;
    assert_int_equal(sr_profile_cost_model(q, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "fitted");
    sr_cost_model_free(m);
    sr_profile_file_free(q);
    sr_profile_file_free(NULL);
}

/* Loads text and expects SR_ERR_PARSE with `want` (prefix "t.yaml:L:C: ...") in the message. */
static void expect_error(const char *text, const char *want)
{
    sr_profile *p = NULL;
    char err[512] = "";
    sr_status st = sr_profile_file_load_string(text, strlen(text), "t.yaml", &p, err, sizeof err);
    if (st == SR_OK || !strstr(err, want))
        fprintf(stderr, "text:\n%s\nerror: '%s'\nwanted: '%s'\n", text, err, want);
    assert_int_equal(st, SR_ERR_PARSE);
    assert_null(p);
    assert_non_null(strstr(err, want));
}

static void test_malformed(void **state)
{
    (void)state;
    const char *ok =
        "name: x\nroofline:\n  speed_flops: 1e9\n  cores: 1\n  efficiency: 0.5\n  mem_bw_Bps: 1e9\n";
    sr_profile *p = NULL;
    char err[512] = "";
    assert_int_equal(sr_profile_file_load_string(ok, strlen(ok), "t.yaml", &p, err, sizeof err), SR_OK);
    assert_null(p->fit);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_profile_cost_model(p, &m), SR_OK);
    assert_string_equal(sr_cost_model_name(m), "roofline");
    sr_cost_model_free(m);
    sr_profile_file_free(p);

    expect_error("name: x\ndescription: \"abc\n", "t.yaml:2:"); /* syntax: unterminated quote on line 2 */
    expect_error("name: x: y\n", "t.yaml:1:8:");
    expect_error("# nothing but a comment\n", "t.yaml:1:1: no YAML document (the file is empty or only comments)");
    /* a tab before an indicator after an explicit key: libfyaml crashed (fuzz_profile); in a comment it is only
     * text; control characters YAML excludes */
    expect_error("fit:\n  ? a:\t- b\n", "t.yaml:2:7: a tab: simrun's YAML files take spaces");
    expect_error("fit:\n  ? a:\t:\n", "t.yaml:2:7: a tab"); /* libfyaml crashed on both */
    expect_error("name: x\x02\n", "t.yaml:1:8: control character 0x02");
    {
        static const char nul2[9] = {'n', 'a', 'm', 'e', ':', ' ', 'x', 0, '\n'};
        sr_profile *q = NULL;
        char e2[256] = "";
        assert_int_equal(sr_profile_file_load_string(nul2, sizeof nul2, "t.yaml", &q, e2, sizeof e2), SR_ERR_PARSE);
        assert_non_null(strstr(e2, "t.yaml:1:8: control character 0x00"));
    }
    expect_error("name: x # note:\t- y\n", "t.yaml:1:1: missing section 'roofline'");
    { /* "? /:", a tab, NUL bytes: libfyaml dereferenced NULL on it (found by fuzz_profile); refused before */
        static const char nul[8] = {'?', ' ', '/', ':', '\t', 0, 0, 0};
        sr_profile *q = NULL;
        char e2[256] = "";
        assert_int_equal(sr_profile_file_load_string(nul, sizeof nul, "t.yaml", &q, e2, sizeof e2), SR_ERR_PARSE);
        assert_null(q);
        assert_non_null(strstr(e2, "t.yaml:1:5: a tab"));
    }
    expect_error("name: x\ncolour: red\n", "t.yaml:2:1: unknown key 'colour'");
    expect_error(
        "name: x\ngpu_model: gtx-480\nroofline: {speed_flops: 1, cores: 1, efficiency: 1, mem_bw_Bps: 1}\n",
        "t.yaml:2:12: gpu_model: unknown In-situ AI GPU preset 'gtx-480'");
    expect_error(
        "name: x\nfpga_model: vx485t\nroofline: {speed_flops: 1, cores: 1, efficiency: 1, mem_bw_Bps: 1}\n",
        "t.yaml:2:13: fpga_model: unknown In-situ AI FPGA design 'vx485t' (vx690t-wss, vx690t-ws, vx690t-nws, "
        "vx690t-nws-batch)");
    expect_error("name: x\nroofline: {speed_flops: 1, cores: 1, efficiency: 1, mem_bw_Bps: 1}\n"
                 "fit:\n  ref_flops: 1\n  ref_mem_bw_Bps: 1\n  corun:\n    interference: 0.9\n",
                 "t.yaml:6:3: corun: interference must be >= 1");
    const char *idle_head = "name: x\nroofline: {speed_flops: 1, cores: 1, efficiency: 1, mem_bw_Bps: 1}\n"
                            "fit:\n  ref_flops: 1\n  ref_mem_bw_Bps: 1\n  idle:\n";
    char idle_bad[512];
    snprintf(idle_bad, sizeof idle_bad, "%s    gap_s: [0.1, 0.05]\n    factor: [1.2, 1.3]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:5: idle: point 2: gaps must increase (0.05 after 0.1)");
    snprintf(idle_bad, sizeof idle_bad, "%s    gap_s: [0.1, 1]\n    factor: [1.2]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:5: idle: gap_s has 2 numbers and factor 1; they go in pairs");
    snprintf(idle_bad, sizeof idle_bad, "%s    gap_s: [0.1]\n    factor: [0.8]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:5: idle: point 1: factor must be >= 1");
    snprintf(idle_bad, sizeof idle_bad, "%s    sigma: 1.5\n    gap_s: [0.1]\n    factor: [1]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:12: sigma: a lognormal spread of at most 1");
    snprintf(idle_bad, sizeof idle_bad, "%s    rounds: 1e300\n    gap_s: [0.1]\n    factor: [1]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:13: rounds: expected an integer in [0, 1073741824]");
    /* a count of layers far beyond an int (it was cast, undefined behaviour: UBSan in fuzz_profile) */
    expect_error("name: x\nroofline: {speed_flops: 1, cores: 1, efficiency: 1, mem_bw_Bps: 1}\n"
                 "fit:\n  ref_flops: 1\n  ref_mem_bw_Bps: 1\n  holdout:\n    layers: .inf\n",
                 "t.yaml:7:13: layers: expected an integer in [0, 1073741824]");
    snprintf(idle_bad, sizeof idle_bad, "%s    gap_s: [0.1]\n", idle_head);
    expect_error(idle_bad, "t.yaml:6:3: idle: needs gap_s and factor");
    snprintf(idle_bad, sizeof idle_bad, "%s    gap_s: 0.1\n    factor: [1]\n", idle_head);
    expect_error(idle_bad, "t.yaml:7:12: gap_s: expected a sequence of numbers");
    expect_error("name: x\nroofline:\n  speed_flops: fast\n",
                 "t.yaml:3:16: speed_flops: 'fast' is not a number");
    expect_error("name: x\nroofline:\n  speed_flops: 1e9\n  cores: 1.5\n  efficiency: 1\n  mem_bw_Bps: 1\n",
                 "t.yaml:2:1: roofline: cores must be an integer");
    expect_error("roofline:\n  speed_flops: 1e9\n  cores: 1\n  efficiency: 1\n  mem_bw_Bps: 1\n",
                 "t.yaml:1:1: missing key 'name'");
    expect_error("name: x\n", "missing section 'roofline'");
    expect_error("- a\n- b\n", "t.yaml:");
    const char *head = "name: x\nroofline: {speed_flops: 1e9, cores: 1, efficiency: 1, mem_bw_Bps: 1e9}\n";
    char buf[1024];
    snprintf(buf, sizeof buf,
             "%sfit:\n  ref_flops: 1e9\n  ref_mem_bw_Bps: 1e9\n  layers:\n    conv9x9: {form: linear}\n",
             head);
    expect_error(buf, "t.yaml:7:5: unknown layer class 'conv9x9'");
    snprintf(buf, sizeof buf,
             "%sfit:\n  ref_flops: 1e9\n  ref_mem_bw_Bps: 1e9\n  layers:\n    act:\n      form: linear\n"
             "      coef: [1, 2, 3]\n",
             head);
    expect_error(buf, "t.yaml:9:7: coef: class act needs 2 coefficients");
    snprintf(buf, sizeof buf,
             "%sfit:\n  ref_flops: 1e9\n  ref_mem_bw_Bps: 1e9\n  layers:\n    act:\n      form: cubic\n"
             "      coef: [1, 2]\n",
             head);
    expect_error(buf, "t.yaml:8:13: form: unknown fit form 'cubic'");
    snprintf(buf, sizeof buf,
             "%sfit:\n  ref_flops: 1e9\n  ref_mem_bw_Bps: 1e9\n  layers:\n    act:\n      form: linear\n"
             "      features: [one, macs]\n      coef: [1, 2]\n",
             head);
    expect_error(buf, "features: item 1 of class act must be 'out', not 'macs'");
    snprintf(buf, sizeof buf, "%sfit:\n  ref_flops: -3\n  ref_mem_bw_Bps: 1e9\n", head);
    expect_error(buf, "t.yaml:4:14: ref_flops: must be > 0");
    snprintf(buf, sizeof buf, "%sfit:\n  ref_mem_bw_Bps: 1e9\n", head);
    expect_error(buf, "fit: needs ref_flops and ref_mem_bw_Bps");

    assert_int_equal(sr_profile_file_load("/nonexistent/dir/p.yaml", &p, err, sizeof err), SR_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/dir/p.yaml: cannot open"));
}

static void test_shipped_profiles(void **state)
{
    (void)state;
    int with_fit = 0, with_insitu = 0, with_fpga = 0;
    for (int i = 0; i < sr_profile_count(); i++) {
        const sr_profile *p = sr_profile_at(i);
        sr_cost_model *m = NULL;
        char err[512] = "";
        sr_status st = sr_profile_cost_model_err(p, &m, err, sizeof err);
        if (st != SR_OK) fprintf(stderr, "%s: %s\n", p->name, err);
        assert_int_equal(st, SR_OK);
        assert_string_equal(sr_cost_model_name(m), p->gpu_model    ? "insitu-gpu"
                                                   : p->fpga_model ? "insitu-fpga"
                                                   : p->fit_file   ? "fitted"
                                                                   : "roofline");
        with_insitu += p->gpu_model != NULL;
        with_fpga += p->fpga_model != NULL;
        with_fit += p->fit_file != NULL;
        sr_cost_model_free(m);
        /* the printout names the fit table when there is one */
        FILE *f = tmpfile();
        assert_non_null(f);
        sr_profile_print(p, f);
        long len = ftell(f);
        rewind(f);
        char *text = calloc(1, (size_t)len + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
        fclose(f);
        assert_non_null(strstr(text, p->name));
        if (p->fit_file) assert_non_null(strstr(text, "conv3x3"));
        if (p->gpu_model)
            assert_non_null(strstr(text, "cost model:   In-situ AI GPU model"));
        else if (p->fpga_model)
            assert_non_null(strstr(text, "cost model:   In-situ AI FPGA engines"));
        else if (p->fit_file)
            assert_non_null(strstr(text, "cost model:   fitted"));
        free(text);
    }
    assert_true(with_fit >= 8);       /* the devices of the calibration issue */
    assert_int_equal(with_insitu, 2); /* the In-situ AI paper's GPUs: Jetson TX1, Titan X */
    assert_int_equal(with_fpga, 1);   /* and its FPGA, the VX690T */
    /* the measured host profile */
    char path[1024], err[512] = "";
    snprintf(path, sizeof path, "%s/host.yaml", sr_profile_dir());
    sr_profile *h = NULL;
    assert_int_equal(sr_profile_file_load(path, &h, err, sizeof err), SR_OK);
    assert_non_null(h->fit);
    assert_non_null(strstr(h->source, "fitted on "));
    assert_true(h->fit->cls[SR_LC_CONV3X3].fitted && h->fit->holdout_layers > 0 && h->fit->rune_overhead_rust > 0);
    assert_true(h->fit->corun_interference >= 1.0); /* measured on the calibrating host (sr_corun.h) */
    sr_profile_file_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_shipped_profiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
