/* test_config_codec.c: the split policy's codec keys and `mode` against a real codec table.
 *
 * A codec table for mobilenetv2 at 3x64x64, split features.3.add, pipeline quant8 is measured (1 frame) into
 * a temporary folder next to the experiment text, which names it by a relative path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_codectab.h"
#include "sr_config.h"

static char dir[64];
static char yaml_path[128], db_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sr-config-codec-XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(yaml_path, sizeof yaml_path, "%s/exp.yaml", dir);
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    sr_codectab_params p = sr_codectab_default_params();
    const char *splits[] = {"features.3.add"};
    const char *pipes[] = {"quant8"};
    p.model = "mobilenetv2";
    p.in_c = 3, p.in_h = 64, p.in_w = 64;
    p.splits = splits;
    p.n_splits = 1;
    p.pipelines = pipes;
    p.n_pipelines = 1;
    p.frames = 1;
    sr_codectab_row *rows = NULL;
    int n = 0;
    char err[1024];
    if (sr_codectab_measure(&p, &rows, &n, NULL, err, sizeof err) != SR_OK) return -1;
    sr_status st = sr_codectab_store(db_path, rows, n, "test", err, sizeof err);
    free(rows);
    return st == SR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    unlink(db_path);
    rmdir(dir);
    return 0;
}

/* The experiment with `policy_line` as its only policy, `extra` appended at the top level. */
static sr_status load(const char *input, const char *policy_line, const char *extra, sr_config **c,
                      char **msgs)
{
    char text[4096];
    snprintf(text, sizeof text,
             "duration: 1s\n"
             "platform:\n"
             "  devices:\n"
             "    - { name: cam, profile: camera-soc }\n"
             "    - { name: cloud, profile: v100 }\n"
             "  links:\n"
             "    - { name: wan, type: wan, bandwidth: 100Mbps, latency: 20ms }\n"
             "  routes:\n"
             "    - { src: cam, dst: cloud, links: [wan] }\n"
             "models:\n"
             "  - { name: net, source: mobilenetv2, input: %s }\n"
             "workload:\n"
             "  sources:\n"
             "    - { name: video, devices: cam, model: net, fps: 5, resolution: 64x64 }\n"
             "policy:\n"
             "  - %s\n"
             "%s",
             input, policy_line, extra);
    size_t len = 0;
    FILE *f = open_memstream(msgs, &len);
    sr_status st = sr_config_load_string(yaml_path, text, f, c);
    fclose(f);
    return st;
}

static void test_codec_table_ok(void **state)
{
    (void)state;
    sr_config *c = NULL;
    char *msgs = NULL;
    sr_status st =
        load("3x64x64",
             "{ type: split, target: cloud, split_at: features.3.add, codec: quant8, codec_table: t.db, "
             "codec_host_speed: 50Gf }",
             "sweep:\n  grid:\n    mode: [model, exact]\n", &c, &msgs);
    if (st != SR_OK) print_error("%s\n", msgs);
    assert_int_equal(st, SR_OK);
    assert_int_equal(sr_config_point_count(c), 2);
    for (int i = 0; i < 2; i++) {
        sr_experiment *e = NULL;
        assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
        assert_int_equal(e->mode, i == 0 ? SR_MODE_MODEL : SR_MODE_EXACT);
        const sr_section *ps = e->policy.params_sec;
        assert_string_equal(sr_params_get_str(ps, e->policy.params, "codec"), "quant8");
        /* resolved next to the experiment file */
        assert_string_equal(sr_params_get_str(ps, e->policy.params, "codec_table"), db_path);
        assert_true(sr_params_get_dbl(ps, e->policy.params, "codec_host_speed") == 50e9);
        sr_experiment_free(e);
    }
    assert_string_equal(sr_run_mode_name(SR_MODE_EXACT), "exact");
    sr_config_free(c);
    free(msgs);
}

static void test_codec_table_missing_row(void **state)
{
    (void)state;
    sr_config *c = NULL;
    char *msgs = NULL;
    /* a pipeline the table does not have */
    assert_int_equal(
        load("3x64x64",
             "{ type: split, target: cloud, split_at: features.3.add, codec: quant4, codec_table: t.db }", "",
             &c, &msgs),
        SR_ERR_PARSE);
    assert_null(c);
    assert_non_null(strstr(msgs, "exp.yaml:16:"));
    assert_non_null(
        strstr(msgs, "simrun codec-table --model mobilenetv2 --split features.3.add --codec 'quant4'"));
    free(msgs);
    msgs = NULL;
    /* the row exists, but it was measured at another input: its element count does not match */
    assert_int_equal(
        load("3x96x96",
             "{ type: split, target: cloud, split_at: features.3.add, codec: quant8, codec_table: t.db }", "",
             &c, &msgs),
        SR_ERR_PARSE);
    assert_non_null(strstr(msgs, "has 6144 elements (input 3x64x64) but model 'net' gives 13824"));
    free(msgs);
    msgs = NULL;
    /* exact mode needs no table, and checks the pipeline against the real layer shape */
    assert_int_equal(load("3x64x64",
                          "{ type: split, target: cloud, split_at: features.3.add, codec: klt99+quant8 }",
                          "mode: exact\n", &c, &msgs),
                     SR_ERR_PARSE);
    assert_non_null(strstr(msgs, "(24x16x16)"));
    free(msgs);
    msgs = NULL;
    assert_int_equal(load("3x64x64",
                          "{ type: split, target: cloud, split_at: features.3.add, codec: quant2 }",
                          "mode: exact\n", &c, &msgs),
                     SR_OK);
    sr_config_free(c);
    free(msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_table_ok),
        cmocka_unit_test(test_codec_table_missing_row),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
