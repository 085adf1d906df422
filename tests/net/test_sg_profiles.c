/* test_sg_profiles.c: SimGrid-level checks of the profiles the engine gives links and hosts, through the shim
 * exactly as the engine drives activities (sr_sg_exec_start / sr_sg_sendto_start from maestro timers, one
 * done callback). Each scenario runs in a forked child (SimGrid runs once per process) under CM02 without
 * cross-traffic, and every date is compared with its closed form (latency + piecewise size / bandwidth):
 * - a host that turns off at t fails its running exec and transfer at t, refuses work while off, and runs
 *   work again after t + d;
 * - a link that turns off fails its transfer at t, refuses transfers while off, carries them again after;
 * - a transfer across a bandwidth step down and up takes the piecewise time; with TCP-gamma > 0 or a
 *   zero-latency link SimGrid 3.32 alone keeps the start bandwidth (rebound off: the slower closed form), and
 *   the shim's rebound restores the piecewise time, also for a flow still paying its latency at the step;
 * - a latency step changes the latency of transfers started after it;
 * - a mahimahi trace of one delivery per ms (12 Mbit/s) gives size / 1.5 MB/s + latency. */
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

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <xbt/log.h>

#include "failures.h"
#include "sr_profiles.h"
#include "sr_sg_shim.h"
#include "sr_trace.h"

/* Hosts a, b (1 Gflop/s); link l: a-b, 1 MB/s, 10 ms; link z: a-c, 1 MB/s, latency 0. */
static const char *const platform_xml =
    "<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
    "<platform version=\"4.1\">\n<zone id=\"w\" routing=\"Full\">\n"
    "<host id=\"a\" speed=\"1Gf\"/><host id=\"b\" speed=\"1Gf\"/><host id=\"c\" speed=\"1Gf\"/>\n"
    "<link id=\"l\" bandwidth=\"8Mbps\" latency=\"10ms\"/><link id=\"z\" bandwidth=\"8Mbps\" "
    "latency=\"0ms\"/>\n"
    "<route src=\"a\" dst=\"b\"><link_ctn id=\"l\"/></route>\n"
    "<route src=\"a\" dst=\"c\"><link_ctn id=\"z\"/></route>\n"
    "</zone>\n</platform>\n";

#define MAX_ACTS 16

/* One activity the scenario starts at `at_s`: an exec of `amount` flops on `from`, or a transfer of `amount`
 * bytes from -> to. */
typedef struct act {
    double at_s;
    const char *from, *to; /* to == NULL: exec */
    double amount;
    /* results */
    double end_s;
    int ok, done;
} act;

static act g_acts[MAX_ACTS + 1]; /* + the date at which simgrid_run returned, in end_s */
static int g_n_acts;
static double g_end_s; /* simulated date at which the last scenario's simgrid_run returned */

static void on_done(void *data, int ok, void *user)
{
    (void)user;
    act *a = data;
    a->end_s = simgrid_get_clock();
    a->ok = ok;
    a->done++;
}

static void start_act(void *arg)
{
    act *a = arg;
    if (!a->to)
        sr_sg_exec_start(sg_host_by_name(a->from), a->amount, a);
    else
        sr_sg_sendto_start(sg_host_by_name(a->from), sg_host_by_name(a->to), a->amount, a);
}

typedef void (*setup_fn)(void);

/* Runs the scenario in a child: results of every activity come back through a pipe. Returns 0 when the
 * child exited normally. */
static int run_scenario(const char *gamma_cfg, int rebound, setup_fn setup, act *acts, int n)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        char path[] = "/tmp/sr-sgprof-XXXXXX.xml";
        int fd = mkstemps(path, 4);
        if (fd < 0 || write(fd, platform_xml, strlen(platform_xml)) < 0) _exit(3);
        close(fd);
        xbt_log_control_set("root.thres:critical");
        char *args[8];
        int argc = 0;
        args[argc++] = (char *)"test";
        args[argc++] = (char *)"--cfg=network/model:CM02";
        args[argc++] = (char *)"--cfg=network/crosstraffic:0";
        args[argc++] = (char *)gamma_cfg;
#ifdef SR_SANITIZE
        args[argc++] = (char *)"--cfg=contexts/factory:thread";
#endif
        args[argc] = NULL;
        simgrid_init(&argc, args);
        simgrid_load_platform(path);
        unlink(path);
        sr_sg_set_rebound(rebound);
        memcpy(g_acts, acts, (size_t)n * sizeof *acts);
        g_n_acts = n;
        setup();
        sr_sg_set_done_callback(on_done, NULL);
        for (int i = 0; i < n; i++)
            sr_sg_timer_set(g_acts[i].at_s, start_act, &g_acts[i]);
        simgrid_run();
        sr_sg_release_ended();
        g_acts[n].end_s = simgrid_get_clock();
        if (write(fds[1], g_acts, (size_t)(n + 1) * sizeof *g_acts) !=
            (ssize_t)((size_t)(n + 1) * sizeof *g_acts))
            _exit(4);
        close(fds[1]);
        fflush(NULL);
        _exit(0);
    }
    close(fds[1]);
    size_t want = (size_t)(n + 1) * sizeof *acts, got = 0;
    act buf[MAX_ACTS + 1];
    while (got < want) {
        ssize_t r = read(fds[0], (char *)buf + got, want - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (got == want) {
        for (int i = 0; i < n; i++) {
            acts[i].end_s = buf[i].end_s;
            acts[i].ok = buf[i].ok;
            acts[i].done = buf[i].done;
        }
        g_end_s = buf[n].end_s;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 && got == want ? 0 : -1;
}

static void expect(const act *a, int ok, double end_s)
{
    if (a->done != 1 || a->ok != ok || fabs(a->end_s - end_s) > 1e-6)
        fprintf(stderr, "activity at %g: done %d ok %d end %.9f, expected ok %d end %.9f\n", a->at_s, a->done,
                a->ok, a->end_s, ok, end_s);
    assert_int_equal(a->done, 1);
    assert_int_equal(a->ok, ok);
    assert_true(fabs(a->end_s - end_s) <= 1e-6);
}

#define GAMMA0 "--cfg=network/TCP-gamma:0"
#define GAMMA4M "--cfg=network/TCP-gamma:4194304"

/* ---- host failure ---- */

static void host_fails(void)
{
    sr_outage o[] = {{1.0, 0.5}};
    sr_trace *t = NULL;
    assert_int_equal(sr_failures_to_state(o, 1, &t), SR_OK);
    assert_int_equal(sr_profiles_host_state(sg_host_by_name("a"), t), SR_OK);
    sr_trace_free(t);
}

static void test_host_failure(void **state)
{
    (void)state;
    act acts[] = {
        {.at_s = 0.0, .from = "a", .amount = 2e9},             /* 2 s of work: fails at 1.0 */
        {.at_s = 0.9, .from = "a", .to = "b", .amount = 1e6},  /* would end at 1.91: fails at 1.0 */
        {.at_s = 0.5, .from = "b", .to = "a", .amount = 1e6},  /* towards a: fails at 1.0 */
        {.at_s = 1.2, .from = "a", .amount = 1e9},             /* host off: fails at once */
        {.at_s = 1.2, .from = "a", .to = "b", .amount = 1000}, /* host off: fails at once */
        {.at_s = 1.6, .from = "a", .amount = 1e9},             /* back: 1.6 + 1 s */
        {.at_s = 1.6, .from = "a", .to = "b", .amount = 1e6},  /* back: 1.6 + 0.01 + 1 s */
        {.at_s = 0.0, .from = "b", .amount = 3e9},             /* another host: unaffected */
    };
    int n = (int)(sizeof acts / sizeof acts[0]);
    assert_int_equal(run_scenario(GAMMA0, 1, host_fails, acts, n), 0);
    expect(&acts[0], 0, 1.0);
    expect(&acts[1], 0, 1.0);
    expect(&acts[2], 0, 1.0);
    expect(&acts[3], 0, 1.2);
    expect(&acts[4], 0, 1.2);
    expect(&acts[5], 1, 2.6);
    expect(&acts[6], 1, 2.61);
    expect(&acts[7], 1, 3.0);
}

/* ---- link failure ---- */

static void link_fails(void)
{
    sr_outage o[] = {{1.0, 0.5}};
    sr_trace *t = NULL;
    assert_int_equal(sr_failures_to_state(o, 1, &t), SR_OK);
    assert_int_equal(sr_profiles_link_state(sg_link_by_name("l"), t), SR_OK);
    sr_trace_free(t);
}

static void test_link_failure(void **state)
{
    (void)state;
    act acts[] = {
        {.at_s = 0.9, .from = "a", .to = "b", .amount = 1e6},  /* fails at 1.0 */
        {.at_s = 1.2, .from = "a", .to = "b", .amount = 1000}, /* link off: fails at once */
        {.at_s = 1.6, .from = "a", .to = "b", .amount = 1e6},  /* 1.6 + 0.01 + 1 */
        {.at_s = 0.9, .from = "a", .to = "c", .amount = 1e6},  /* other link: 0.9 + 1 */
        {.at_s = 1.2, .from = "a", .amount = 1e9},             /* the host is fine: 2.2 */
    };
    int n = (int)(sizeof acts / sizeof acts[0]);
    assert_int_equal(run_scenario(GAMMA0, 1, link_fails, acts, n), 0);
    expect(&acts[0], 0, 1.0);
    expect(&acts[1], 0, 1.2);
    expect(&acts[2], 1, 2.61);
    expect(&acts[3], 1, 1.9);
    expect(&acts[4], 1, 2.2);
    assert_true(g_end_s == acts[2].end_s); /* the last activity, not the end of the failure schedule */
}

/* ---- bandwidth steps ---- */

/* 8 Mbit/s until 1 s, 4 Mbit/s until 2 s, 16 Mbit/s after, on both links. */
static void bw_steps(void)
{
    const char *text = "time,bw\n0,8e6\n1,4e6\n2,16e6\n";
    sr_trace *t = NULL;
    char err[256];
    assert_int_equal(sr_trace_parse_csv("steps", text, strlen(text), SR_TRACE_BANDWIDTH, &t, err, sizeof err),
                     SR_OK);
    assert_int_equal(sr_profiles_link_bandwidth(sg_link_by_name("l"), t), SR_OK);
    assert_int_equal(sr_profiles_link_bandwidth(sg_link_by_name("z"), t), SR_OK);
    assert_int_equal(sr_profiles_link_bandwidth(sg_link_by_name("z"), t), SR_ERR_SIM); /* a second one */
    sr_trace_free(t);
}

/* Time at which `bytes` are through, transmitting from t0 under 1 MB/s < 1 s <= 0.5 MB/s < 2 s <= 2 MB/s,
 * with the rate capped at cap_Bps (the flow's bound) when cap_Bps > 0. */
static double piecewise_end(double t0, double bytes, double cap_Bps)
{
    const double edge[] = {0, 1, 2, INFINITY}, rate[] = {1e6, 0.5e6, 2e6};
    double t = t0;
    for (int i = 0; i < 3; i++) {
        if (t >= edge[i + 1]) continue;
        double r = cap_Bps > 0 && rate[i] > cap_Bps ? cap_Bps : rate[i];
        double cap = (edge[i + 1] - t) * r;
        if (bytes <= cap) return t + bytes / r;
        bytes -= cap;
        t = edge[i + 1];
    }
    return NAN;
}

/* Two flows that never share a link (l and z), and a third run alone on l (it would share l with the first).
 */
static const act step_pair[] = {
    {.at_s = 0.5, .from = "a", .to = "b", .amount = 2e6}, /* l: 10 ms, across the step down and up */
    {.at_s = 0.5, .from = "a", .to = "c", .amount = 2e6}, /* z: latency 0 */
};
static const act step_late = {
    .at_s = 1.995, .from = "a", .to = "b", .amount = 1e6}; /* paying latency at 2 s */

/* Runs both scenarios under gamma_cfg / rebound: ends of the pair into pair[2], of the late flow into *late.
 */
static void run_steps(const char *gamma_cfg, int rebound, act *pair, act *late)
{
    memcpy(pair, step_pair, sizeof step_pair);
    *late = step_late;
    assert_int_equal(run_scenario(gamma_cfg, rebound, bw_steps, pair, 2), 0);
    assert_int_equal(run_scenario(gamma_cfg, rebound, bw_steps, late, 1), 0);
}

static void test_bandwidth_steps(void **state)
{
    (void)state;
    act p[2], late;
    /* TCP-gamma 0 (simrun's CM02): SimGrid computes the flow bound as min(bandwidth, 0 / (2 x latency)) = 0,
     * i.e. no bound, so flows on l follow the steps on their own; the zero-latency link z keeps its start
     * bandwidth (1 MB/s) unless re-bounded */
    run_steps(GAMMA0, 0, p, &late);
    expect(&p[0], 1, piecewise_end(0.51, 2e6, 0)); /* 2.505 */
    assert_true(fabs(p[0].end_s - 2.505) < 1e-6);
    expect(&p[1], 1, piecewise_end(0.5, 2e6, 1e6)); /* 3.0: SimGrid 3.32's caveat */
    assert_true(fabs(p[1].end_s - 3.0) < 1e-6);
    expect(&late, 1, piecewise_end(2.005, 1e6, 0)); /* 2.505 */
    run_steps(GAMMA0, 1, p, &late);
    expect(&p[0], 1, 2.505);
    expect(&p[1], 1, piecewise_end(0.5, 2e6, 0)); /* 2.5 */
    assert_true(fabs(p[1].end_s - 2.5) < 1e-6);
    expect(&late, 1, 2.505);

    /* TCP-gamma 4 MiB (SimGrid's default window): every flow is capped at its start bandwidth ... */
    run_steps(GAMMA4M, 0, p, &late);
    expect(&p[0], 1, piecewise_end(0.51, 2e6, 1e6)); /* 3.01 */
    assert_true(fabs(p[0].end_s - 3.01) < 1e-6);
    expect(&p[1], 1, piecewise_end(0.5, 2e6, 1e6));     /* 3.0 */
    expect(&late, 1, piecewise_end(2.005, 1e6, 0.5e6)); /* started at 0.5 MB/s: 4.005 */
    assert_true(fabs(late.end_s - 4.005) < 1e-6);
    /* ... and re-bounding restores the piecewise time, also for the flow that was paying its latency */
    run_steps(GAMMA4M, 1, p, &late);
    expect(&p[0], 1, 2.505);
    expect(&p[1], 1, 2.5);
    expect(&late, 1, 2.505);
}

/* ---- latency step ---- */

static void lat_step(void)
{
    const char *text = "0,0.01\n1,0.1\n";
    sr_trace *t = NULL;
    char err[256];
    assert_int_equal(sr_trace_parse_csv("lat", text, strlen(text), SR_TRACE_LATENCY, &t, err, sizeof err),
                     SR_OK);
    assert_int_equal(sr_profiles_link_latency(sg_link_by_name("l"), t), SR_OK);
    sr_trace_free(t);
}

static void test_latency_step(void **state)
{
    (void)state;
    act acts[] = {
        {.at_s = 0.5, .from = "a", .to = "b", .amount = 1000}, /* 0.5 + 0.01 + 0.001 */
        {.at_s = 1.5, .from = "a", .to = "b", .amount = 1000}, /* 1.5 + 0.1 + 0.001 */
    };
    assert_int_equal(run_scenario(GAMMA0, 1, lat_step, acts, 2), 0);
    expect(&acts[0], 1, 0.511);
    expect(&acts[1], 1, 1.601);
}

/* ---- mahimahi ---- */

static void mahimahi_12mbps(void)
{
    char text[1024];
    size_t k = 0;
    for (int i = 1; i <= 100; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "%d\n", i);
    sr_trace *t = NULL;
    char err[256];
    assert_int_equal(sr_trace_parse_mahimahi("12mbps", text, k, SR_TRACE_DEFAULT_BIN_MS, &t, err, sizeof err),
                     SR_OK);
    assert_int_equal(t->n, 1);
    assert_true(t->period_s == 0.1 && t->values[0] == 12e6);
    assert_int_equal(sr_profiles_link_bandwidth(sg_link_by_name("l"), t), SR_OK);
    sr_trace_free(t);
}

static void test_mahimahi_rate(void **state)
{
    (void)state;
    act acts[] = {
        {.at_s = 0.25, .from = "a", .to = "b", .amount = 3e6}, /* 0.25 + 0.01 + 3e6 / 1.5e6 */
    };
    assert_int_equal(run_scenario(GAMMA4M, 1, mahimahi_12mbps, acts, 1), 0);
    expect(&acts[0], 1, 2.26);
    /* the looping trace's timers are gone once the transfer is over: the simulation ends with it */
    assert_true(g_end_s == acts[0].end_s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_failure),    cmocka_unit_test(test_link_failure),
        cmocka_unit_test(test_bandwidth_steps), cmocka_unit_test(test_latency_step),
        cmocka_unit_test(test_mahimahi_rate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
