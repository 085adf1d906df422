/* test_rune.c: the Rune container (Lootus et al.) without timing anything:
 *  - ProtoBuf costs more than the bincode-like layout on the same payload: wabt's interpreter (wasm-interp
 *    --trace, a real process) counts the guest's instructions for 8 encode + decode rounds of the sine's 1x1
 *    tensor in each format (the same source, rune_guest.c, compiled twice);
 *  - the wasm2c rune gives bit-identical outputs to the native call in both modes, with exactly 4 boundary
 *    messages per inference of 136 (bincode-like: 28 + 3 x 36) and 38 (protobuf: 8 + 3 x 10) bytes, so a rune
 *    does strictly more work than native per inference (the overhead is positive);
 *  - every shipped profile's rune.native_inference_s is its own cost model's price of the sine (mcu-h7: the
 *    3.06 us a run charges), and the stored measurement has 0 < rust overhead <= protobuf overhead;
 *  - a device `runtime` multiplies the priced inference by exactly 1 + the profile's overhead;
 *  - a rune whose manifest needs a capability the device lacks is refused at file:line:col.
 * The wasm parts skip, saying why, in a build without the WebAssembly rune (SR_WITH_WASM). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_config.h"
#include "sr_cost.h"
#include "sr_graph.h"
#include "sr_policy.h"
#include "sr_profile.h"
#include "sr_profile_file.h"
#include "sr_profile_rune.h"
#include "sr_rune_host.h"
#include "sr_rune_wire.h"
#include "sr_zoo.h"

#ifdef SR_RUNE_CODEC_WASM_DIR
/* Instructions wasm-interp executes for the codec-only module of format f (trace lines "#0. ..."). */
static long interp_instructions(int f, long *result)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s/rune_codec_%d.wasm' --dummy-import-func --run-all-exports --trace 2>&1",
             SR_WASM_INTERP, SR_RUNE_CODEC_WASM_DIR, f);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512];
    long n = 0;
    *result = -1;
    while (fgets(line, sizeof line, p)) {
        if (line[0] == '#') n++;
        if (strncmp(line, "codec_bench() => i32:", 21) == 0) *result = strtol(line + 21, NULL, 10);
    }
    assert_int_equal(pclose(p), 0);
    return n;
}
#endif

static void test_protobuf_costs_more_instructions(void **state)
{
    (void)state;
#ifndef SR_RUNE_CODEC_WASM_DIR
    fprintf(stderr, "skipped: built without the WebAssembly rune (SR_WITH_WASM; scripts/bootstrap.sh)\n");
    skip();
#else
    long r0, r1;
    long rust = interp_instructions(0, &r0), pb = interp_instructions(1, &r1);
    fprintf(stderr, "wasm-interp: 8 rounds of a 1x1 tensor: bincode-like %ld instructions, protobuf %ld\n", rust, pb);
    assert_true(rust > 0 && r0 >= 0 && r1 >= 0);
    assert_true(pb > rust);
    /* same values decoded in both: checksums differ only by the message lengths (36 vs 10 bytes, 8 rounds) */
    assert_int_equal((uint32_t)r0 - (uint32_t)r1, 8u * (36u - 10u));
#endif
}

static void test_rune_matches_native(void **state)
{
    (void)state;
    if (!sr_rune_host_available()) {
        fprintf(stderr, "skipped: built without the WebAssembly rune (SR_WITH_WASM; scripts/bootstrap.sh)\n");
        skip();
    }
    sr_rune_host *h = NULL;
    assert_int_equal(sr_rune_host_create(7, &h), SR_OK);
    sr_rune_host *second = NULL;
    assert_int_equal(sr_rune_host_create(7, &second), SR_ERR_INVALID);
    enum { N = 200 };
    for (int i = 0; i < N; i++) {
        float x = (float)i * 0.0314f, y[SR_RUNE_MODE_COUNT];
        for (int m = 0; m < SR_RUNE_MODE_COUNT; m++)
            assert_int_equal(sr_rune_host_infer(h, (sr_rune_mode)m, x, &y[m]), SR_OK);
        assert_memory_equal(&y[SR_RUNE_NATIVE], &y[SR_RUNE_RUST], sizeof(float));
        assert_memory_equal(&y[SR_RUNE_NATIVE], &y[SR_RUNE_PROTOBUF], sizeof(float));
    }
    sr_rune_counts c;
    assert_int_equal(sr_rune_host_counts(h, SR_RUNE_NATIVE, &c), SR_OK);
    assert_true(c.inferences == N && c.messages == 0 && c.bytes == 0);
    assert_int_equal(sr_rune_host_counts(h, SR_RUNE_RUST, &c), SR_OK);
    assert_true(c.inferences == N && c.messages == 4 * N && c.bytes == 136 * N);
    assert_int_equal(sr_rune_host_counts(h, SR_RUNE_PROTOBUF, &c), SR_OK);
    assert_true(c.inferences == N && c.messages == 4 * N && c.bytes == 38 * N);
    sr_rune_host_free(h);
}

static void test_wire_host_formats(void **state)
{
    (void)state;
    sr_rune_tensor t = {.rank = 2, .dims = {1, 1}, .n = 1, .data = {0.5f}}, u;
    uint8_t buf[64];
    size_t len;
    assert_int_equal(sr_rune_wire_encode(SR_RUNE_RUST, &t, buf, sizeof buf, &len), SR_OK);
    assert_int_equal(len, 36);
    assert_int_equal(sr_rune_wire_decode(SR_RUNE_RUST, buf, len, &u), SR_OK);
    assert_true(u.rank == 2 && u.n == 1 && u.data[0] == 0.5f);
    assert_int_equal(sr_rune_wire_decode(SR_RUNE_RUST, buf, len - 1, &u), SR_ERR_CORRUPT);
    assert_int_equal(sr_rune_wire_encode(SR_RUNE_PROTOBUF, &t, buf, sizeof buf, &len), SR_OK);
    const uint8_t want[] = {0x08, 0x01, 0x08, 0x01, 0x12, 0x04, 0x00, 0x00, 0x00, 0x3f};
    assert_int_equal(len, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    assert_int_equal(sr_rune_wire_encode(SR_RUNE_PROTOBUF, &t, buf, 5, &len), SR_ERR_RANGE);
}

static void test_profiles_agree(void **state)
{
    (void)state;
    const char *names[] = {"host", "mcu-h7", "rpi4", "camera-soc", "jetson-tx1", "v100"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s.yaml", sr_profile_dir(), names[i]);
        sr_profile *p = NULL;
        assert_int_equal(sr_profile_file_load(path, &p, err, sizeof err), SR_OK);
        assert_non_null(p->fit);
        double price = 0;
        assert_int_equal(sr_profile_rune_price(p, NULL, &price), SR_OK);
        assert_true(p->fit->rune_native_inf_s > 0);
        assert_true(fabs(price - p->fit->rune_native_inf_s) <= 1e-12 * price);
        assert_true(p->fit->rune_overhead_rust > 0);
        assert_true(p->fit->rune_overhead_protobuf >= p->fit->rune_overhead_rust);
        assert_true(p->fit->rune_bytes_rust == 136 && p->fit->rune_bytes_protobuf == 38);
        if (strcmp(names[i], "mcu-h7") == 0) assert_true(fabs(price - 3.056e-6) < 0.001e-6);
        sr_profile_file_free(p);
    }
}

static const char *k_exp =
    "name: rune-test\n"
    "seed: 1\n"
    "duration: 1s\n"
    "platform:\n"
    "  devices:\n"
    "    - { name: node, profile: mcu-h7, runtime: %s, capabilities: [accel, serial] }\n"
    "models:\n"
    "  - { name: sine, source: sine, requires: [%s] }\n"
    "workload:\n"
    "  sources:\n"
    "    - { name: sensor, devices: node, model: sine, fps: 10, resolution: 1x1 }\n"
    "policy:\n"
    "  - { type: device_only }\n";

static sr_status load(const char *runtime, const char *requires, char *errbuf, size_t cap, sr_config **c)
{
    char text[2048];
    snprintf(text, sizeof text, k_exp, runtime, requires);
    FILE *errf = fmemopen(errbuf, cap, "w");
    assert_non_null(errf);
    sr_status st = sr_config_load_string("rune.yaml", text, errf, c);
    fclose(errf);
    return st;
}

static void test_runtime_prices_inference(void **state)
{
    (void)state;
    const sr_profile *p = sr_profile_find("mcu-h7");
    assert_non_null(p);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_profile_cost_model(p, &m), SR_OK);
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("sine", 0, 0, 0, &g), SR_OK);
    const sr_profile_fit *fit = NULL;
    sr_profile *loaded = NULL;
    assert_int_equal(sr_profile_get_fit(p, &fit, &loaded, NULL, 0), SR_OK);
    const char *modes[] = {"native", "rune-rust", "rune-protobuf"};
    double want_factor[] = {1.0, 1.0 + fit->rune_overhead_rust, 1.0 + fit->rune_overhead_protobuf};
    for (int k = 0; k < 3; k++) {
        char errbuf[4096] = "";
        sr_config *c = NULL;
        assert_int_equal(load(modes[k], "serial", errbuf, sizeof errbuf, &c), SR_OK);
        sr_experiment *e = NULL;
        assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
        assert_int_equal(e->devices[0].runtime, k);
        assert_true(e->devices[0].runtime_factor == want_factor[k]);
        const sr_graph *graphs[] = {g};
        sr_policy_env env = {.exp = e, .graphs = graphs, .default_cost = m};
        sr_plan_task t = {.kind = SR_TASK_COMPUTE, .work = SR_WORK_LAYERS, .model = 0, .first_layer = 0,
                          .last_layer = sr_graph_output(g)};
        t.dev.group = 0;
        double s = 0;
        assert_int_equal(sr_price_task(&env, &t, 1, &s, NULL, 0), SR_OK);
        assert_true(fabs(s - fit->rune_native_inf_s * want_factor[k]) <= 1e-12 * s);
        sr_experiment_free(e);
        sr_config_free(c);
    }
    sr_profile_file_free(loaded);
    sr_graph_free(g);
    sr_cost_model_free(m);
}

static void test_refused_deployment(void **state)
{
    (void)state;
    char errbuf[4096] = "";
    sr_config *c = NULL;
    assert_int_not_equal(load("rune-protobuf", "audio, serial", errbuf, sizeof errbuf, &c), SR_OK);
    assert_null(c);
    assert_non_null(strstr(errbuf, "rune.yaml:11:32: error: source 'sensor' deploys rune 'sine' to device 'node', "
                                   "which lacks capability 'audio' required by its manifest (line 8) (the device "
                                   "has: accel, serial)"));
    assert_null(strstr(errbuf, "'serial'"));
    /* the same manifest on a native device: no container, no manifest stage */
    memset(errbuf, 0, sizeof errbuf);
    assert_int_equal(load("native", "audio", errbuf, sizeof errbuf, &c), SR_OK);
    sr_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_protobuf_costs_more_instructions),
        cmocka_unit_test(test_rune_matches_native),
        cmocka_unit_test(test_wire_host_formats),
        cmocka_unit_test(test_profiles_agree),
        cmocka_unit_test(test_runtime_prices_inference),
        cmocka_unit_test(test_refused_deployment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
