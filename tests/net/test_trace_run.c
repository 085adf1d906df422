/* test_trace_run.c: `simrun run` end to end on a link that follows a CSV bandwidth trace: each frame's
 * transfer time is latency + its bytes over the piecewise bandwidth (CM02), including the frames whose upload
 * spans a step down or up, so the frame latency changes at the steps exactly as the closed form says; and
 * `simrun validate` rejects a broken trace with exit code 2 and the trace's file:line:col. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sr_file.h"

static char tmpdir[256];

static int simrun(const char *args)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd %s && %s/simrun %s >out.txt 2>&1", tmpdir, SR_BINARY_DIR, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_out(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", tmpdir);
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(p, &data, &n) == SR_OK ? (char *)data : NULL;
}

/* One camera uploads 200 kB frames at 2 fps to the cloud through `up` (10 ms, following bw.csv: 8 Mbit/s,
 * 4 Mbit/s from 0.6 s, 8 Mbit/s again from 1.8 s) and a 10 ms fat WAN. */
static const char *const experiment =
    "name: trace-run\nseed: 3\nduration: 3s\noutput: { db: trace.db, figures: figs }\nnetwork_model: cm02\n"
    "platform:\n  devices:\n    - { name: cam, profile: camera-soc }\n    - { name: cloud, profile: v100 }\n"
    "  links:\n    - { name: up, type: lte, bandwidth: 8Mbps, latency: 10ms, bandwidth_trace: bw.csv }\n"
    "    - { name: wan, type: wan, bandwidth: 10Gbps, latency: 10ms, sharing: fatpipe }\n"
    "  routes:\n    - { src: cam, dst: cloud, links: [up, wan] }\n"
    "models:\n  - { name: net, source: mobilenetv2 }\n"
    "workload:\n  sources:\n    - { name: video, devices: cam, model: net, fps: 2, resolution: 640x480 }\n"
    "policy:\n  - { type: cloud_only, target: cloud, frame_size: 200000B }\n";

/* Upload end of a frame captured at t0: 20 ms of latency, then 200 kB at 1 MB/s, 0.5 MB/s on [0.6, 1.8) (the
 * 10 Gbit/s WAN is never the bottleneck). */
static double upload_s(double t0)
{
    const double edge[] = {0, 0.6, 1.8, INFINITY}, rate[] = {1e6, 0.5e6, 1e6};
    double t = t0 + 0.02, bytes = 200000;
    for (int i = 0; i < 3; i++) {
        if (t >= edge[i + 1]) continue;
        double cap = (edge[i + 1] - t) * rate[i];
        if (bytes <= cap) return t + bytes / rate[i] - t0;
        bytes -= cap;
        t = edge[i + 1];
    }
    return NAN;
}

static void test_run_follows_trace(void **state)
{
    (void)state;
    write_file("bw.csv", "# time_s, bit/s\ntime,bandwidth\n0, 8e6\n0.6, 4e6\n1.8, 8e6\n");
    write_file("trace.yaml", experiment);
    assert_int_equal(simrun("validate trace.yaml"), 0);
    int rc = simrun("run trace.yaml");
    if (rc != 0) {
        char *o = read_out();
        fprintf(stderr, "%s\n", o ? o : "");
        free(o);
    }
    assert_int_equal(rc, 0);
    char p[512];
    snprintf(p, sizeof p, "%s/trace.db", tmpdir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT capture_s, transfer_s, latency_s, compute_s, queue_s FROM frames "
                           "ORDER BY capture_s",
                           -1, &st, NULL),
        SQLITE_OK);
    int n = 0;
    double base_rest = NAN;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double cap = sqlite3_column_double(st, 0), tr = sqlite3_column_double(st, 1),
               lat = sqlite3_column_double(st, 2), comp = sqlite3_column_double(st, 3),
               queue = sqlite3_column_double(st, 4);
        double want = upload_s(cap);
        if (fabs(tr - want) > 1e-6)
            fprintf(stderr, "frame at %g: transfer %.9f s, closed form %.9f s\n", cap, tr, want);
        assert_true(fabs(tr - want) <= 1e-6);
        /* the rest of the latency (compute on the cloud, queueing) is the same for every frame: the latency
         * changes at the steps by exactly the upload's change */
        assert_true(queue == 0.0);
        if (n == 0) base_rest = lat - tr;
        assert_true(fabs((lat - tr) - base_rest) <= 1e-9);
        assert_true(comp > 0);
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(n, 6); /* 0, 0.5, ..., 2.5 */
    /* the closed forms themselves: 0.22 s at 8 Mbit/s, 0.42 s at 4, 0.34 s and 0.36 s across the steps */
    assert_true(fabs(upload_s(0.0) - 0.22) < 1e-12 && fabs(upload_s(1.0) - 0.42) < 1e-12);
    assert_true(fabs(upload_s(0.5) - 0.34) < 1e-12 && fabs(upload_s(1.5) - 0.36) < 1e-12);
}

static void test_validate_rejects_bad_trace(void **state)
{
    (void)state;
    write_file("bw.csv", "0, 8e6\n0.6, 4e6\n0.5, 8e6\n");
    write_file("trace.yaml", experiment);
    assert_int_equal(simrun("validate trace.yaml"), 2);
    char *o = read_out();
    assert_non_null(o);
    assert_non_null(strstr(o,
                           "trace.yaml:11:80: error: bad bandwidth trace 'bw.csv': bw.csv:3:1: time 0.5 s is "
                           "not after the previous one (0.6 s, line 2): times must increase"));
    free(o);
}

/* experiments/lte-trace.yaml (the shipped mahimahi example): valid, runs, and a cloud_only frame captured in
 * the trace's outage [3.0 s, 3.3 s) of each 5 s period cannot finish its upload before the outage is over (it may
 * spend part of that time waiting on its connection, so its completion is what is bounded). */
static void test_shipped_example(void **state)
{
    (void)state;
    char args[1024];
    snprintf(args, sizeof args, "validate %s/experiments/lte-trace.yaml", SR_SOURCE_DIR);
    assert_int_equal(simrun(args), 0);
    snprintf(args, sizeof args, "run %s/experiments/lte-trace.yaml --db lte.db --quiet --no-report",
             SR_SOURCE_DIR);
    assert_int_equal(simrun(args), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/lte.db", tmpdir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT f.capture_s, f.complete_s FROM frames f JOIN runs r ON r.id = f.run_id "
                           "WHERE r.policy = 'cloud_only' ORDER BY f.capture_s",
                           -1, &st, NULL),
        SQLITE_OK);
    int n = 0, in_outage = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        double cap = sqlite3_column_double(st, 0), done = sqlite3_column_double(st, 1);
        double phase = fmod(cap, 5.0);
        if (phase >= 3.0 - 1e-9 && phase < 3.3 - 1e-9) {
            assert_true(done - cap >= 3.3 - phase);
            in_outage++;
        }
        n++;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_int_equal(n, 100);       /* 20 s at 5 fps */
    assert_int_equal(in_outage, 8); /* 3.0 and 3.2 in each of the four periods */
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/simrun-trace-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_follows_trace),
        cmocka_unit_test(test_validate_rejects_bad_trace),
        cmocka_unit_test(test_shipped_example),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
