/* test_config_dynamics.c: a valid experiment with traces and failures loads into the experiment spec with the
 * exact values (mahimahi bins at the requested width, CSV rows, explicit outages, mtbf/mttr in seconds),
 * trace paths sweep like any string key, and the engine's outage schedule of an instance
 * (sr_profiles_outages) is the explicit list merged with MTBF draws that depend only on the run seed and the
 * instance name. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "failures.h"
#include "sr_config.h"
#include "sr_profiles.h"
#include "sr_trace.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *const yaml =
    "name: dyn\nduration: 100s\n"
    "platform:\n  devices:\n"
    "    - { name: cam, count: 2, profile: camera-soc, failures: [{at: 10s, for: 2s}, {at: 50s, for: 500ms}] "
    "}\n"
    "    - { name: cloud, profile: v100, mtbf: 20s, mttr: 1s, speed_changes: [{at: 2s, factor: 0.5}, {at: 4s, "
    "factor: 1}] }\n"
    "  links:\n"
    "    - { name: up, type: lte, per_device: cam, bandwidth_trace: a.mahimahi, trace_format: mahimahi, "
    "trace_bin: 5ms }\n"
    "    - { name: wan, type: wan, latency_trace: lat.csv, bandwidth_trace: bw.csv, mtbf: 30s, mttr: 2s }\n"
    "  routes:\n    - { src: cam, dst: cloud, links: [up, wan] }\n"
    "models:\n  - { name: net, source: mobilenetv2 }\n"
    "workload:\n  sources:\n    - { name: v, devices: cam, model: net, fps: 1, resolution: 64x64 }\n"
    "policy:\n  - { type: cloud_only, target: cloud, frame_size: 1KiB }\n"
    "sweep:\n  grid:\n    platform.links.wan.bandwidth_trace: [bw.csv, bw2.csv]\n";

static void test_load(void **state)
{
    (void)state;
    write_file("a.mahimahi", "1\n2\n3\n10\n");
    write_file("bw.csv", "0,1e9\n5,5e8\n");
    write_file("bw2.csv", "0,2e9\n");
    write_file("lat.csv", "t,lat\n0,0.02\n1,0.05\n");
    char path[512];
    snprintf(path, sizeof path, "%s/dyn.yaml", dir);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string(path, yaml, stderr, &c), SR_OK);
    assert_int_equal(sr_config_point_count(c), 2);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    const sr_link_spec *up = sr_experiment_link(e, "up");
    const sr_link_spec *wan = sr_experiment_link(e, "wan");
    assert_non_null(up->bw_trace);
    assert_null(up->lat_trace);
    assert_int_equal(up->trace_format, SR_TRACE_MAHIMAHI);
    /* period 10 ms in 5 ms bins: [0,5) holds 1, 2, 3 and 10 (= 0 of the next period), [5,10) nothing */
    assert_int_equal(up->bw_trace->n, 2);
    assert_true(up->bw_trace->period_s == 0.01);
    assert_true(up->bw_trace->values[0] == 4 * 12000 / 0.005 && up->bw_trace->values[1] == 0);
    char want[600];
    snprintf(want, sizeof want, "%s/a.mahimahi", dir);
    assert_string_equal(up->bandwidth_trace, want);
    assert_int_equal(wan->bw_trace->n, 2);
    assert_true(wan->bw_trace->values[1] == 5e8 && wan->bw_trace->times_s[1] == 5);
    assert_int_equal(wan->lat_trace->n, 2);
    assert_true(wan->lat_trace->values[1] == 0.05);
    assert_true(wan->failures.mtbf_s == 30 && wan->failures.mttr_s == 2 && wan->failures.n == 0);
    const sr_device_spec *cam = sr_experiment_device(e, "cam");
    assert_int_equal(cam->failures.n, 2);
    assert_true(cam->failures.list[1].at_s == 50 && cam->failures.list[1].for_s == 0.5);
    assert_true(cam->failures.mtbf_s == 0);
    const sr_device_spec *cloud = sr_experiment_device(e, "cloud");
    assert_true(cloud->failures.mtbf_s == 20 && cloud->failures.mttr_s == 1);
    assert_int_equal(cloud->n_speed_changes, 2);
    assert_true(cloud->speed_changes[0].at_s == 2 && cloud->speed_changes[0].factor == 0.5);
    assert_true(cloud->speed_changes[1].at_s == 4 && cloud->speed_changes[1].factor == 1);
    assert_int_equal(cam->n_speed_changes, 0);
    sr_experiment_free(e);
    /* the swept point reads the other file */
    assert_int_equal(sr_config_experiment(c, 1, &e), SR_OK);
    wan = sr_experiment_link(e, "wan");
    assert_int_equal(wan->bw_trace->n, 1);
    assert_true(wan->bw_trace->values[0] == 2e9);
    sr_experiment_free(e);
    sr_config_free(c);
}

static void test_outages(void **state)
{
    (void)state;
    sr_outage list[] = {{10, 2}, {50, 0.5}};
    sr_failure_spec f = {2, list, 0, 0};
    sr_outage *o = NULL;
    int n = 0;
    char err[256];
    assert_int_equal(sr_profiles_outages(&f, "cam0", 100, 1, &o, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(o, list, sizeof list);
    free(o);
    /* with MTBF: the explicit outages stay (merged), the draws depend on seed and name only */
    f.mtbf_s = 20;
    f.mttr_s = 1;
    sr_outage *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    int na, nb, nc, nd;
    assert_int_equal(sr_profiles_outages(&f, "cam0", 100, 1, &a, &na, err, sizeof err), SR_OK);
    assert_int_equal(sr_profiles_outages(&f, "cam0", 100, 1, &b, &nb, err, sizeof err), SR_OK);
    assert_int_equal(sr_profiles_outages(&f, "cam1", 100, 1, &c, &nc, err, sizeof err), SR_OK);
    assert_int_equal(sr_profiles_outages(&f, "cam0", 100, 2, &d, &nd, err, sizeof err), SR_OK);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, (size_t)na * sizeof *a);
    assert_true(nc != na || memcmp(a, c, (size_t)na * sizeof *a) != 0);
    assert_true(nd != na || memcmp(a, d, (size_t)na * sizeof *a) != 0);
    int covered = 0; /* [10, 12) is inside some outage of the merged schedule */
    for (int i = 0; i < na; i++)
        if (a[i].at_s <= 10 && a[i].at_s + a[i].for_s >= 12) covered = 1;
    assert_true(covered);
    int bad;
    assert_int_equal(sr_failures_check(a, na, &bad, err, sizeof err), SR_OK);
    free(a), free(b), free(c), free(d);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sr-dyn-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_outages),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
