/* test_exact.c: exact mode (real kernels and codecs per simulated frame) against model mode, and the split
 * policy's activation codec priced from a codec table.
 *
 * Model: mobilenetv2 at 3x64x64 (zoo weights), split after features.3.add (24x16x16 = 6144 fp32 elements,
 * 24 576 bytes). Sources capture 96x80 frames (resized to the model input), 10 fps for 0.5 s = 5 frames.
 * Devices and links are priced by the roofline (no profiles). Each run is a forked child (SimGrid). */
#define _GNU_SOURCE /* dladdr */
#include <dlfcn.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cblas.h>
#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_codectab.h"
#include "sr_exact.h"
#include "sr_kernels.h"

#define SPLIT "features.3.add"
#define ACT_ELEMENTS 6144
#define ACT_FP32_BYTES (4 * ACT_ELEMENTS)
#define N_FRAMES 5

static const char *const WAN[] = {"wan", NULL};

static sr_experiment *base(sr_run_mode mode, const char *codec, const char *table)
{
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    e->mode = mode;
    e->seed = 7;
    fx_device(e, "cam", 1, 1e9, 2.0, 10.0);
    fx_device(e, "cloud", 1, 1e10, 5.0, 50.0);
    fx_link(e, "wan", 100e6, 0.01, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    int m = fx_model(e, "mv2", "mobilenetv2");
    e->models[m].input_c = 3;
    e->models[m].input_h = 64;
    e->models[m].input_w = 64;
    int s = fx_source(e, "s", "cam", "mv2", 10.0, SR_ARRIVAL_PERIODIC, 0.0);
    e->sources[s].width = 96;
    e->sources[s].height = 80;
    fx_policy(e, "split", "cloud", SPLIT, 0);
    sr_params_set_str(e->policy.params_sec, e->policy.params, "codec", codec);
    sr_params_set_str(e->policy.params_sec, e->policy.params, "codec_table", table);
    return e;
}

/* Makes "cam" a group of two instances (cam0, cam1), both routed to the cloud. */
static void make_two_cams(sr_experiment *e)
{
    sr_device_spec *d = &e->devices[0];
    for (int i = 0; i < d->count; i++)
        free(d->instances[i]);
    free(d->instances);
    d->count = 2;
    d->instances = calloc(2, sizeof *d->instances);
    d->instances[0] = strdup("cam0");
    d->instances[1] = strdup("cam1");
}

static sr_status run_status(const sr_experiment *e, sr_run_output *out, char *err, size_t n)
{
    sr_engine_opts o;
    memset(&o, 0, sizeof o);
    sr_run_output_init(out);
    return fx_run_forked(e, 1, &o, out, err, n);
}

static sr_run_output run(const sr_experiment *e)
{
    sr_run_output out;
    char err[2048] = "";
    sr_status st = run_status(e, &out, err, sizeof err);
    if (st != SR_OK) print_error("engine failed: %s (%s)\n", sr_status_name(st), err);
    assert_int_equal(st, SR_OK);
    assert_int_equal(out.n_frames, N_FRAMES);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    if (sr_run_output_metric(o, name, &v) != SR_OK) print_error("no metric %s\n", name);
    assert_int_equal(sr_run_output_metric(o, name, &v), SR_OK);
    return v;
}

static int has_metric(const sr_run_output *o, const char *name)
{
    double v;
    return sr_run_output_metric(o, name, &v) == SR_OK;
}

/* Uncompressed fp32 split: exact and model mode run the same plan, with the same bytes (the split layer's
 * output bytes) and the same simulated times; the raw activation reaches the tail unchanged. */
static void test_exact_matches_model_uncompressed(void **state)
{
    (void)state;
    sr_experiment *em = base(SR_MODE_MODEL, NULL, NULL), *ex = base(SR_MODE_EXACT, NULL, NULL);
    sr_run_output a = run(em), b = run(ex);
    for (size_t i = 0; i < a.n_frames; i++) {
        assert_int_equal(a.frames[i].bytes_sent, ACT_FP32_BYTES);
        assert_int_equal(b.frames[i].bytes_sent, ACT_FP32_BYTES);
        assert_false(b.frames[i].dropped);
        assert_true(a.frames[i].latency_s == b.frames[i].latency_s);
        assert_true(a.frames[i].compute_s == b.frames[i].compute_s);
    }
    assert_true(metric(&b, "exact_frames") == N_FRAMES);
    assert_true(metric(&b, "output_rel_l2_mean") == 0.0);
    assert_true(metric(&b, "top1_agreement") == 1.0);
    assert_true(metric(&b, "exact_kernel_wall_s") > 0.0);
    assert_false(has_metric(&b, "activation_snr_db")); /* no codec */
    assert_false(has_metric(&a, "exact_frames"));
    assert_false(has_metric(&a, "exact_kernel_wall_s"));
    sr_run_output_clear(&a);
    sr_run_output_clear(&b);
    fx_free(em);
    fx_free(ex);
}

/* A lossless codec ("raw": the floats as they are, plus the stream header) changes nothing downstream. */
static void test_exact_lossless_codec(void **state)
{
    (void)state;
    sr_experiment *e = base(SR_MODE_EXACT, "raw", NULL);
    sr_run_output o = run(e);
    for (size_t i = 0; i < o.n_frames; i++) {
        assert_true(o.frames[i].bytes_sent >= ACT_FP32_BYTES);
        assert_true(o.frames[i].bytes_sent < ACT_FP32_BYTES + 256);
    }
    assert_true(metric(&o, "output_rel_l2_mean") == 0.0);
    assert_true(metric(&o, "top1_agreement") == 1.0);
    assert_true(isinf(metric(&o, "activation_snr_db")));
    sr_run_output_clear(&o);
    fx_free(e);

    /* two cameras: each instance has its own video and codec stream, both share the model's executors */
    e = base(SR_MODE_EXACT, "raw", NULL);
    make_two_cams(e);
    sr_run_output two;
    char err[1024] = "";
    assert_int_equal(run_status(e, &two, err, sizeof err), SR_OK);
    assert_int_equal(two.n_frames, 2 * N_FRAMES);
    assert_true(metric(&two, "exact_frames") == 2 * N_FRAMES);
    assert_true(metric(&two, "output_rel_l2_mean") == 0.0);
    assert_true(metric(&two, "top1_agreement") == 1.0);
    sr_run_output_clear(&two);
    fx_free(e);
}

/* A 2-bit quantizer: the real coded sizes are well below the raw activation (2 bits of 32 plus a header), and
 * the final output drifts. The same seed gives the same frames and metrics (wall time aside). */
static void test_exact_lossy_codec(void **state)
{
    (void)state;
    sr_experiment *e = base(SR_MODE_EXACT, "quant2", NULL);
    sr_run_output o = run(e), o2 = run(e);
    for (size_t i = 0; i < o.n_frames; i++) {
        assert_true(o.frames[i].bytes_sent > ACT_ELEMENTS * 2 / 8 - 1);
        assert_true(o.frames[i].bytes_sent < ACT_FP32_BYTES / 8);
        assert_int_equal(o.frames[i].bytes_sent, o2.frames[i].bytes_sent);
        assert_true(o.frames[i].latency_s == o2.frames[i].latency_s);
    }
    double rel = metric(&o, "output_rel_l2_mean"), snr = metric(&o, "activation_snr_db");
    assert_true(rel > 0.0 && rel < 1.0);
    assert_true(snr > 0.0 && isfinite(snr));
    assert_true(metric(&o, "top1_agreement") >= 0.0 && metric(&o, "top1_agreement") <= 1.0);
    assert_int_equal(o.n_metrics, o2.n_metrics);
    for (size_t i = 0; i < o.n_metrics; i++) {
        size_t n = strlen(o.metrics[i].name);
        int wall = n > 7 && strcmp(o.metrics[i].name + n - 7, "_wall_s") == 0;
        assert_string_equal(o.metrics[i].name, o2.metrics[i].name);
        if (!wall) assert_true(o.metrics[i].value == o2.metrics[i].value);
    }
    sr_run_output_clear(&o);
    sr_run_output_clear(&o2);
    fx_free(e);
}

/* Model mode reads the codec table: bytes = ceil(elements x bits / 8), encode + decode add
 * elements x (encode + decode seconds per element) to the frame's compute time, fidelity comes from the row.
 */
static void test_model_mode_codec_table(void **state)
{
    (void)state;
    char path[] = "/tmp/sr-test-codectab-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    sr_codectab_params p = sr_codectab_default_params();
    const char *splits[] = {SPLIT};
    const char *pipes[] = {"quant4+rans"};
    p.model = "mobilenetv2";
    p.in_c = 3, p.in_h = 64, p.in_w = 64;
    p.splits = splits;
    p.n_splits = 1;
    p.pipelines = pipes;
    p.n_pipelines = 1;
    p.frames = 2;
    sr_codectab_row *rows = NULL;
    int n_rows = 0;
    char err[2048] = "";
    assert_int_equal(sr_codectab_measure(&p, &rows, &n_rows, NULL, err, sizeof err), SR_OK);
    assert_int_equal(n_rows, 1);
    assert_int_equal(sr_codectab_store(path, rows, n_rows, "test", err, sizeof err), SR_OK);
    const sr_codectab_row row = rows[0];
    free(rows);
    assert_int_equal(row.elements, ACT_ELEMENTS);

    sr_experiment *plain = base(SR_MODE_MODEL, NULL, NULL), *coded = base(SR_MODE_MODEL, "quant4+rans", path);
    sr_run_output a = run(plain), b = run(coded);
    int64_t want = (int64_t)ceil(ACT_ELEMENTS * row.bits_per_element / 8.0);
    assert_true(want < ACT_FP32_BYTES);
    double codec_s = ACT_ELEMENTS * (row.encode_s_per_element + row.decode_s_per_element);
    assert_true(codec_s > 0);
    for (size_t i = 0; i < b.n_frames; i++) {
        assert_int_equal(b.frames[i].bytes_sent, want);
        double d = b.frames[i].compute_s - a.frames[i].compute_s;
        assert_true(fabs(d - codec_s) <= 1e-9 * (1 + a.frames[i].compute_s));
    }
    assert_true(metric(&b, "output_rel_l2") == row.output_rel_l2);
    assert_true(metric(&b, "top1_agreement") == row.top1_agreement);
    assert_true(metric(&b, "activation_snr_db") == row.snr_db);
    sr_run_output_clear(&a);
    sr_run_output_clear(&b);

    /* a pipeline the table does not have: a clear error naming the row and the command that measures it */
    sr_experiment *missing = base(SR_MODE_MODEL, "quant8", path);
    sr_run_output c;
    err[0] = '\0';
    assert_int_equal(run_status(missing, &c, err, sizeof err), SR_ERR_INVALID); /* split's check() */
    assert_non_null(strstr(err, "simrun codec-table"));
    assert_non_null(strstr(err, SPLIT));
    assert_non_null(strstr(err, "quant8"));
    sr_run_output_clear(&c);
    fx_free(plain);
    fx_free(coded);
    fx_free(missing);
    unlink(path);
}

/* The products exact mode's kernels compute are OpenBLAS's, whatever order the build put the libraries in:
 * GSL's reference CBLAS (libgslcblas, a dependency of libgsl) defines the same cblas_* symbols, sums in
 * another order, and once came first on this binary's link line (and simrun's): split-brain's
 * activation_snr_db then read 3.68289268667138 instead of OpenBLAS's 3.68289314934264. Checked three ways:
 * the library that holds the cblas_sgemm this binary calls, sr_kernels_blas_check, and the bits of a
 * MobileNetV2-sized product (M = 96, N = 196, K = 576: features.13's projection) against OpenBLAS's own
 * cblas_sgemm looked up in the loaded libopenblas. */
static void test_exact_blas_is_openblas(void **state)
{
    (void)state;
    Dl_info info;
    __typeof__(&cblas_sgemm) linked = cblas_sgemm;
    void *p = NULL;
    memcpy(&p, &linked, sizeof p);
    assert_int_not_equal(dladdr(p, &info), 0);
    assert_non_null(info.dli_fname);
    if (!strstr(info.dli_fname, "openblas")) print_error("cblas_sgemm is from %s\n", info.dli_fname);
    assert_non_null(strstr(info.dli_fname, "openblas"));
    char err[512] = "";
    assert_int_equal(sr_kernels_blas_check(err, sizeof err), SR_OK);

    void *lib = dlopen("libopenblas.so.0", RTLD_LAZY | RTLD_NOLOAD);
    assert_non_null(lib);
    __typeof__(&cblas_sgemm) own = NULL;
    void *sym = dlsym(lib, "cblas_sgemm");
    assert_non_null(sym);
    memcpy(&own, &sym, sizeof own);
    enum { M = 96, N = 196, K = 576 };
    float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
    float *C1 = malloc(sizeof(float) * M * N), *C2 = malloc(sizeof(float) * M * N);
    assert_true(A && B && C1 && C2);
    uint32_t x = 12345u;
    for (int i = 0; i < M * K; i++)
        A[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    for (int i = 0; i < K * N; i++)
        B[i] = (float)((x = x * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
    sr_kernels_set_blas_threads(1);
    sr_matmul(M, N, K, A, B, C1); /* the kernels' product (cblas_sgemm as linked) */
    own(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C2, N);
    assert_memory_equal(C1, C2, sizeof(float) * M * N);
    free(A), free(B), free(C1), free(C2);
    dlclose(lib);
}

/* Exact mode refuses big runs before simulating anything. */
static void test_exact_budget(void **state)
{
    (void)state;
    sr_run_output o;
    char err[1024] = "";
    sr_experiment *e = base(SR_MODE_EXACT, NULL, NULL);
    e->duration_s = 300.0; /* 3000 frames */
    assert_int_equal(run_status(e, &o, err, sizeof err), SR_ERR_RANGE);
    assert_non_null(strstr(err, "3000 frames"));
    assert_non_null(strstr(err, "mode: model"));
    sr_run_output_clear(&o);
    fx_free(e);
}

/* What exact mode computes is read from the plan: a chain of layer ranges with at most one coded cut; plans it
 * cannot run yet (a gap, a layer computed twice, two coded activations) are refused with the reason. */
static void test_exact_plan_shape(void **state)
{
    (void)state;
    sr_plan_dev a = {SR_ROLE_SOURCE, 0, 0}, b = {SR_ROLE_TARGET, 1, 0};
    static const sr_plan_codec cd = {"quant8", 8, 0, 0, 0};
    char err[256];
    int cut = 0;
    const char *pipe = "x";
    sr_plan *p = NULL;
    /* the whole model in one range */
    assert_int_equal(sr_plan_create(&p), SR_OK);
    assert_int_equal(sr_plan_add_layers(p, a, 0, 0, 4, "model"), 0);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_OK);
    assert_int_equal(cut, -1);
    assert_null(pipe);
    sr_plan_free(p);
    /* head, encode, activation, decode, tail */
    assert_int_equal(sr_plan_create(&p), SR_OK);
    assert_int_equal(sr_plan_add_layers(p, a, 0, 0, 2, "head"), 0);
    assert_int_equal(sr_plan_add_codec(p, a, SR_WORK_ENCODE, 0, 2, &cd, "encode"), 1);
    int t = sr_plan_add_transfer(p, a, b, SR_PAYLOAD_ACTIVATION, 10, "activation");
    sr_plan_task_mut(p, t)->node = 2;
    assert_int_equal(sr_plan_add_codec(p, b, SR_WORK_DECODE, 0, 2, &cd, "decode"), 3);
    assert_int_equal(sr_plan_add_layers(p, b, 0, 3, 4, "tail"), 4);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_OK);
    assert_int_equal(cut, 2);
    assert_string_equal(pipe, "quant8");
    /* a second coded activation */
    assert_int_equal(sr_plan_add_codec(p, b, SR_WORK_ENCODE, 0, 3, &cd, "encode2"), 5);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "codes activations"));
    sr_plan_free(p);
    /* a gap and an overlap */
    assert_int_equal(sr_plan_create(&p), SR_OK);
    assert_int_equal(sr_plan_add_layers(p, a, 0, 0, 1, "a"), 0);
    assert_int_equal(sr_plan_add_layers(p, b, 0, 3, 4, "b"), 1);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "layer 2 is computed by no task"));
    assert_int_equal(sr_plan_add_layers(p, b, 0, 1, 2, "c"), 2);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "layer 1 is computed twice"));
    sr_plan_free(p);
    /* the frame sent, layers 1.. on the target: node 0, the input, is computed by no task (a cut policy's
     * cloud-only plan); any other layer left out is still a gap */
    assert_int_equal(sr_plan_create(&p), SR_OK);
    assert_int_equal(sr_plan_add_transfer(p, a, b, SR_PAYLOAD_FRAME, 150528, "frame"), 0);
    assert_int_equal(sr_plan_add_layers(p, b, 0, 1, 4, "model"), 1);
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_OK);
    assert_int_equal(cut, -1);
    sr_plan_task_mut(p, 1)->first_layer = 2;
    assert_int_equal(sr_exact_plan_shape(p, 5, &cut, &pipe, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "layer 1 is computed by no task"));
    sr_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_plan_shape),
        cmocka_unit_test(test_exact_blas_is_openblas),
        cmocka_unit_test(test_exact_matches_model_uncompressed),
        cmocka_unit_test(test_exact_lossless_codec),
        cmocka_unit_test(test_exact_lossy_codec),
        cmocka_unit_test(test_model_mode_codec_table),
        cmocka_unit_test(test_exact_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
