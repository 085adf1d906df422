/* test_cli.c: drives the real simrun binary on small experiments and checks what it leaves behind:
 * exit codes, the SQLite database (real file), --resume, same seed -> identical rows, --jobs, reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <math.h>

#include "sr_cost_insitu.h"
#include "sr_file.h"
#include "sr_zoo.h"

static char tmpdir[256];

/* Runs simrun with the given argument string (shell-quoted by the caller); returns its exit code and
 * leaves stdout+stderr in tmpdir/out.txt. */
static int simrun(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s/simrun %s >out.txt 2>&1", tmpdir, SR_BINARY_DIR, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The whole file at path as a NUL-terminated string (caller frees), or NULL. */
static char *read_text(const char *path)
{
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(path, &data, &n) == SR_OK ? (char *)data : NULL;
}

static char *output(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", tmpdir);
    return read_text(p);
}

/* The first row of a query on tmpdir/db_name (read-only); query_done closes both. */
static sqlite3_stmt *query_row(const char *db_name, const char *sql, sqlite3 **db)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, db_name);
    assert_int_equal(sqlite3_open_v2(p, db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(*db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    return st;
}

static void query_done(sqlite3 *db, sqlite3_stmt *st)
{
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static int64_t query_int(const char *db_name, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = query_row(db_name, sql, &db);
    int64_t v = sqlite3_column_int64(st, 0);
    query_done(db, st);
    return v;
}

static double query_double(const char *db_name, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = query_row(db_name, sql, &db);
    double v = sqlite3_column_double(st, 0);
    query_done(db, st);
    return v;
}

/* Concatenates every row of a query into one string (for exact comparisons between databases). */
static char *query_text(const char *db_name, const char *sql)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, db_name);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            size_t need = len + (v ? strlen(v) : 4) + 2;
            if (need >= cap) {
                while (need >= cap)
                    cap *= 2;
                buf = realloc(buf, cap);
            }
            len += (size_t)sprintf(buf + len, "%s%c", v ? v : "NULL",
                                   c + 1 < sqlite3_column_count(st) ? '|' : '\n');
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return buf;
}

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return access(p, F_OK) == 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/simrun-cli-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/tests/cli/data/*.yaml %s/", SR_SOURCE_DIR, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(simrun(""), 2);
    assert_int_equal(simrun("frobnicate"), 2);
    assert_int_equal(simrun("run"), 2);
    assert_int_equal(simrun("run tiny.yaml --jobs 0"), 2);
    assert_int_equal(simrun("show model no-such-model"), 2);
    assert_int_equal(simrun("show model vgg16 --input 3x224"), 2);
    assert_int_equal(simrun("list nothing"), 2);
    assert_int_equal(simrun("--version"), 0);
    /* a device or a FIFO named like a model is refused at once (it would be read for ever, or block) */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cd %s && ln -sf /dev/zero zero.onnx && rm -f pipe.cfg && mkfifo pipe.cfg", tmpdir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(simrun("show model zero.onnx"), 2);
    char *out = output();
    assert_non_null(strstr(out, "zero.onnx: not a regular file"));
    free(out);
    assert_int_equal(simrun("show model pipe.cfg"), 2);
    out = output();
    assert_non_null(strstr(out, "pipe.cfg: not a regular file"));
    free(out);
}

static void test_bad_yaml_writes_nothing(void **state)
{
    (void)state;
    assert_int_equal(simrun("validate bad-unit.yaml"), 2);
    char *out = output();
    /* file:line:col of the bad value, then the source line and a caret */
    assert_non_null(strstr(out, "bad-unit.yaml:10:"));
    assert_non_null(strstr(out, "^"));
    free(out);
    assert_int_equal(simrun("run bad-unit.yaml"), 2);
    assert_int_equal(simrun("bad-unit.yaml"), 2);
    assert_false(exists("should-not-exist.db"));
    assert_false(exists("should-not-exist"));
}

static void test_validate_ok(void **state)
{
    (void)state;
    /* every shipped experiment stays valid */
    static const char *shipped[] = {"quickstart", "amplification", "split-brain", "sensor-events"};
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char args[1024];
        snprintf(args, sizeof args, "validate %s/experiments/%s.yaml", SR_SOURCE_DIR, shipped[i]);
        assert_int_equal(simrun(args), 0);
    }
    assert_int_equal(simrun("validate tiny.yaml"), 0);
    char *out = output();
    assert_non_null(strstr(out, "4 run points"));
    free(out);
}

static void test_run_resume_and_determinism(void **state)
{
    (void)state;
    assert_int_equal(simrun("run tiny.yaml --db a.db --no-report --quiet"), 0);
    /* 2 bandwidths x 2 policies x 1 replication */
    assert_int_equal(query_int("a.db", "SELECT count(*) FROM runs WHERE status='ok'"), 4);
    assert_int_equal(query_int("a.db", "SELECT count(*) FROM experiments"), 1);
    int64_t frames = query_int("a.db", "SELECT count(*) FROM frames");
    assert_true(frames > 8); /* Poisson at 5 fps over 2 s, 4 runs */
    assert_true(query_int("a.db", "SELECT count(*) FROM metrics WHERE name='latency_p95_s'") == 4);

    /* --resume: nothing to do, rows untouched */
    char *before = query_text("a.db", "SELECT id, point_hash, status FROM runs ORDER BY id");
    assert_int_equal(simrun("run tiny.yaml --db a.db --no-report --quiet --resume"), 0);
    char *after = query_text("a.db", "SELECT id, point_hash, status FROM runs ORDER BY id");
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* a deliberate re-run (no --resume) replaces every point in place: same count, new run ids */
    int64_t max_id = query_int("a.db", "SELECT max(id) FROM runs");
    assert_int_equal(simrun("run tiny.yaml --db a.db --no-report --quiet"), 0);
    assert_int_equal(query_int("a.db", "SELECT count(*) FROM runs"), 4);
    assert_int_equal(query_int("a.db", "SELECT min(id) FROM runs"), max_id + 1);
    assert_int_equal(query_int("a.db", "SELECT count(*) FROM frames"), frames);

    /* same experiment, same seed, two jobs: identical frames and metrics */
    assert_int_equal(simrun("run tiny.yaml --db b.db --no-report --quiet --jobs 2"), 0);
    const char *frames_sql =
        "SELECT r.point_hash, f.source, f.frame, f.device, f.capture_s, f.queue_s, "
        "f.compute_s, f.transfer_s, f.complete_s, f.latency_s, f.dropped, f.bytes_sent "
        "FROM frames f JOIN runs r ON r.id=f.run_id ORDER BY r.point_hash, f.source, f.frame";
    /* wall-clock metrics (names ending in _wall_s) are the only ones allowed to differ */
    const char *metrics_sql =
        "SELECT r.point_hash, m.name, m.value FROM metrics m JOIN runs r ON r.id=m.run_id "
        "WHERE m.name NOT LIKE '%\\_wall\\_s' ESCAPE '\\' ORDER BY r.point_hash, m.name";
    char *fa = query_text("a.db", frames_sql), *fb = query_text("b.db", frames_sql);
    assert_string_equal(fa, fb);
    free(fa);
    free(fb);
    char *ma = query_text("a.db", metrics_sql), *mb = query_text("b.db", metrics_sql);
    assert_string_equal(ma, mb);
    free(ma);
    free(mb);

    /* the slower uplink makes cloud_only slower */
    double slow =
        (double)query_int("a.db", "SELECT CAST(m.value*1e6 AS INTEGER) FROM metrics m JOIN runs r ON "
                                  "r.id=m.run_id WHERE r.policy='cloud_only' AND m.name='latency_p50_s' "
                                  "AND r.params LIKE '%2Mbps%'");
    double fast =
        (double)query_int("a.db", "SELECT CAST(m.value*1e6 AS INTEGER) FROM metrics m JOIN runs r ON "
                                  "r.id=m.run_id WHERE r.policy='cloud_only' AND m.name='latency_p50_s' "
                                  "AND r.params LIKE '%10Mbps%'");
    assert_true(slow > fast);
}

/* metrics.frames / links: false keep those rows out of the database, not the summary metrics. */
/* Two sweeps writing one database at once both finish, every point of both recorded (the second waits for the
 * first's transactions instead of failing with "database is locked"). */
static void test_two_writers(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && (%s/simrun run tiny.yaml --db two.db --no-report --quiet --jobs 1 > w1.txt 2>&1; echo $? > w1.rc) &"
             " (cd %s && %s/simrun run tiny-noframes.yaml --db two.db --no-report --quiet --jobs 1 > w2.txt 2>&1;"
             " echo $? > w2.rc); wait",
             tmpdir, SR_BINARY_DIR, tmpdir, SR_BINARY_DIR);
    assert_int_equal(system(cmd), 0);
    char p[512];
    for (int k = 1; k <= 2; k++) {
        snprintf(p, sizeof p, "%s/w%d.rc", tmpdir, k);
        char *rc = read_text(p);
        assert_non_null(rc);
        assert_int_equal(atoi(rc), 0);
        free(rc);
    }
    assert_int_equal(query_int("two.db", "SELECT count(*) FROM experiments"), 2);
    assert_int_equal(query_int("two.db", "SELECT count(*) FROM runs WHERE status = 'ok'"), 8);
}

static void test_metrics_flags(void **state)
{
    (void)state;
    assert_int_equal(simrun("run tiny-noframes.yaml --db nf.db --no-report --quiet"), 0);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM runs WHERE status='ok'"), 4);
    /* every run's swept values as numbers in SI units beside the text as written */
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM runs WHERE params_si IS NULL OR NOT json_valid(params_si)"),
                     0);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM runs WHERE json_extract(params, '$.\"platform.links.up."
                                        "bandwidth\"') = '10Mbps' AND json_extract(params_si, '$.\"platform.links.up."
                                        "bandwidth\"') = 1e7"),
                     2);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM frames"), 0);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM frame_tasks"), 0);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM links"), 0);
    assert_true(query_int("nf.db", "SELECT count(*) FROM hosts") >= 8);
    assert_int_equal(query_int("nf.db", "SELECT count(*) FROM metrics WHERE name='latency_p95_s'"), 4);
    assert_true(query_int("nf.db", "SELECT sum(value) FROM metrics WHERE name='frames_completed'") > 8);
    /* with frames on, every frame has task rows: compute and transfers (cloud_only) or compute alone */
    assert_int_equal(simrun("run tiny.yaml --db tf.db --no-report --quiet"), 0);
    assert_int_equal(query_int("tf.db", "SELECT count(*) FROM frames f WHERE f.dropped = 0 AND NOT EXISTS "
                                        "(SELECT 1 FROM frame_tasks t WHERE t.run_id = f.run_id AND "
                                        "t.source = f.source AND t.frame = f.frame)"),
                     0);
}

static void test_report(void **state)
{
    (void)state;
    assert_int_equal(simrun("run tiny.yaml --db c.db --quiet --no-report"), 0);
    assert_int_equal(simrun("report c.db --out figs"), 0);
    assert_true(exists("figs/index.html"));
    char p[512];
    snprintf(p, sizeof p, "%s/figs/index.html", tmpdir);
    char *html = read_text(p);
    assert_non_null(html);
    assert_non_null(strstr(html, ".svg"));
    free(html);
    assert_int_equal(simrun("report no-such.db --out figs2"), 2);
}

/* experiments/amplification.yaml: Emmons et al.'s data amplification of ResNet-152 at 1280x720. */
static void test_amplification_experiment(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "run %s/experiments/amplification.yaml --db amp.db --quiet --no-report",
             SR_SOURCE_DIR);
    assert_int_equal(simrun(args), 0);
    assert_int_equal(query_int("amp.db", "SELECT count(*) FROM runs WHERE status='ok'"), 8);
    /* conv1: 64x360x640 fp32 values over the 1280x720x3 8-bit frame = 21.333... (paper: 21x) */
    const double want = 64.0 * 360 * 640 * 4 / (1280.0 * 720 * 3);
    int64_t got_ppm =
        query_int("amp.db", "SELECT CAST(round(m.value*1e6) AS INTEGER) FROM metrics m JOIN runs r ON "
                            "r.id=m.run_id WHERE m.name='amplification' AND "
                            "json_extract(r.params, '$.\"policy.split.split_at\"')='conv1'");
    assert_int_equal(got_ppm, (int64_t)(want * 1e6 + 0.5));
    /* the swept layer names are stored as text in params_si too */
    assert_int_equal(query_int("amp.db", "SELECT count(*) FROM runs WHERE "
                                         "json_extract(params_si, '$.\"policy.split.split_at\"')='conv1'"),
                     query_int("amp.db", "SELECT count(*) FROM runs WHERE "
                                         "json_extract(params, '$.\"policy.split.split_at\"')='conv1'"));
    /* the logits are far smaller than the frame */
    assert_int_equal(query_int("amp.db", "SELECT m.value < 0.01 FROM metrics m JOIN runs r ON r.id=m.run_id "
                                         "WHERE m.name='amplification' AND "
                                         "json_extract(r.params, '$.\"policy.split.split_at\"')='fc'"),
                     1);
}

/* A Jetson TX1 (profile jetson-tx1) running MobileNetV2 on its own frames: every frame's compute time is
 * the In-situ AI GPU model's time for the whole network (the profile's gpu_model), through the engine. */
static void test_insitu_gpu_profile(void **state)
{
    (void)state;
    assert_int_equal(simrun("run insitu-tx1.yaml --quiet --no-report"), 0);
    assert_int_equal(query_int("insitu.db", "SELECT count(*) FROM frames WHERE dropped = 0"), 6);
    sr_gpu_insitu_params p;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &p), SR_OK);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_insitu_create(&p, &m), SR_OK);
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("mobilenetv2", 0, 0, 0, &g), SR_OK);
    sr_cost_device dev = {"tx1", 1e9, 1, 1.0, 1e9, 0};
    double want = 0;
    assert_int_equal(sr_cost_layers(m, &dev, g, 0, sr_graph_node_count(g) - 1, SR_PREC_FP32, 1, &want),
                     SR_OK);
    const double lo = query_double("insitu.db", "SELECT min(compute_s) FROM frames");
    const double hi = query_double("insitu.db", "SELECT max(compute_s) FROM frames");
    if (!(fabs(lo - want) <= 1e-9 * want && fabs(hi - want) <= 1e-9 * want))
        fail_msg("compute_s in [%.17g, %.17g], model %.17g", lo, hi, want);
    sr_graph_free(g);
    sr_cost_model_free(m);
}

/* `show model M --splits`: the clean cuts with their prices, the count of valid cuts, the best one (the cut that
 * best_split takes in experiments/best-split.yaml at LTE); bad options exit 2. */
static void test_show_splits(void **state)
{
    (void)state;
    assert_int_equal(simrun("show model mobilenetv2 --splits --precision int8 --link lte"), 0);
    char *out = output();
    assert_non_null(strstr(out, "valid cuts (device parts closed under predecessors): 153"));
    assert_non_null(strstr(out, "input (cloud-only)"));
    assert_non_null(strstr(out, "classifier.1 (device-only)"));
    assert_non_null(strstr(out, "59 layers on the device, the last 'features.7.conv.2'; 1 tensor, 12544 bytes sent"));
    assert_non_null(strstr(out, " features.2.conv.0.0 "));
    assert_null(strstr(out, " features.3.conv.0.0 ")); /* inside a residual block: not clean, not listed */
    free(out);
    assert_int_equal(simrun("show model mobilenetv2 --splits --link lte --bandwidth 1.1Mbps --precision int8"), 0);
    out = output();
    assert_non_null(strstr(out, "153 layers on the device, the last 'classifier.1'; 0 tensors"));
    free(out);
    assert_int_equal(simrun("show model mobilenetv2 --splits --link nope"), 2);
    assert_int_equal(simrun("show model mobilenetv2 --splits --profile nope"), 2);
    assert_int_equal(simrun("show model mobilenetv2 --splits --bandwidth 5ms"), 2);
}

/* The run summary names every source's cut by layer (best_split and dynamic_split, two sources on LTE and
 * Wi-Fi bandwidths: the cut after features.7.conv.2 that show_splits finds at LTE, and cloud-only). */
static void test_summary_cuts(void **state)
{
    (void)state;
    assert_int_equal(simrun("run two-sources-split.yaml --no-report --db two.db"), 0);
    char *out = output();
    const char *lte =
        "    video        after 'features.7.conv.2' (node 58), 59 nodes on the device, 1 tensor(s), 12544 B "
        "sent, predicted 138.33 ms\n";
    const char *wifi =
        "    video2       cloud-only (the input 'input' alone on the device), 1 nodes on the device, 1 "
        "tensor(s), 150528 B sent, predicted 113.93 ms\n";
    char *bs = strstr(out, "\nbest_split       -\n"), *ds = strstr(out, "\ndynamic_split    -\n");
    assert_non_null(bs);
    assert_non_null(ds);
    assert_true(bs < ds);
    /* both sources under each policy, in source order */
    char *a = strstr(bs, lte), *b = strstr(bs, wifi);
    assert_true(a && b && a < b && b < ds);
    a = strstr(ds, lte), b = strstr(ds, wifi);
    assert_true(a && b && a < b);
    free(out);
}

static void test_show_and_list(void **state)
{
    (void)state;
    assert_int_equal(simrun("show model resnet152 --input 3x720x1280 --amplification"), 0);
    char *out = output();
    /* Emmons et al.: ResNet-152's first conv output at 720p is 21.3x the raw RGB frame */
    assert_non_null(strstr(out, "21.333"));
    free(out);
    assert_int_equal(simrun("list links"), 0);
    out = output();
    assert_non_null(strstr(out, "5.85 Mbps"));
    free(out);
    assert_int_equal(simrun("list devices"), 0);
    assert_int_equal(simrun("show profile v100"), 0);

    /* real kernels: per-layer statistics; the sine MLP's last layer is its output */
    assert_int_equal(simrun("exec sine --stats"), 0);
    out = output();
    assert_non_null(strstr(out, "dense3"));
    assert_non_null(strstr(out, "std"));
    free(out);
    char args[1024];
    snprintf(args, sizeof args, "exec %s/experiments/models/yolov2-tiny.cfg --input 3x416x416",
             SR_SOURCE_DIR);
    assert_int_equal(simrun(args), 0);
    snprintf(args, sizeof args, "exec %s/experiments/models/yolov2-tiny.cfg --input 3x64x64", SR_SOURCE_DIR);
    assert_int_equal(simrun(args), 2); /* a cfg file fixes its input */
    assert_int_equal(simrun("exec no-such-model"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),  cmocka_unit_test(test_bad_yaml_writes_nothing),
        cmocka_unit_test(test_validate_ok),   cmocka_unit_test(test_run_resume_and_determinism),
        cmocka_unit_test(test_metrics_flags), cmocka_unit_test(test_two_writers),
        cmocka_unit_test(test_report),        cmocka_unit_test(test_amplification_experiment),
        cmocka_unit_test(test_show_and_list), cmocka_unit_test(test_show_splits),
        cmocka_unit_test(test_summary_cuts),  cmocka_unit_test(test_insitu_gpu_profile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
