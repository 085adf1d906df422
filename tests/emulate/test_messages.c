/* test_messages.c: messages on an emulated link (sr_testbed.h) against their closed form, as `simrun emulate`
 * sends them: a 64-byte header and S payload bytes, then the sender waits for a one-byte acknowledgment, the
 * next message some idle time later on the same connection. The flow model prices each at d + S / B.
 * - A few kB after a first message (split-brain's coded activations): the first and the median of the
 *   others within 5 % of d + S / B.
 *   With this host's default congestion control (bbr) the second and later took 10-18 ms more: bbr paces an
 *   application-limited burst at its bandwidth estimate, which such bursts underestimate; the testbed's
 *   namespaces run cubic (SR_TB_TCP_WARM, SR_TB_TCP_COLD), which does not pace without the fq qdisc.
 * - 30 KiB (21 full segments, more than Linux's initial window of 10) at 18.88 Mbit/s: as much within 5 % of
 *   d + S / B with warm TCP (initial window 64, no slow start after idle), also the first message and
 *   messages after 1.5 s idle; with
 *   cold TCP (Linux's defaults) the first message and one after 1.5 s idle pay slow start: at least one
 *   round trip more than the closed form. (After a shorter idle time, under two RTOs, cubic's window is
 *   only halved and 30 KiB still fits: measured within 0.5 % at 0.4 s between messages.)
 * - A link whose bandwidth follows a trace (shaped in the delay line): 60 kB sent 30 ms before a step from 8
 *   to 2 Mbit/s takes its piecewise closed form (30 kB before the step, 30 kB after it, plus d) within 5 %.
 * A case slower than its closed form beyond 5 % is measured again (emu_test_case): an 8 ms stall of the first
 * 30 KiB frame once failed CI (71.29 ms for 63.02). Faster, or a cold connection without its slow start,
 * fails. Needs root (namespaces, TUN, tc): without it the test is skipped (exit 77) and says why. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu_test_net.h"
#include "sr_testbed.h"

#define PORT 7312
#define HDR_BYTES 64
#define MAX_MSG 8

typedef struct plan {
    int n;
    size_t bytes;
    double gap_s;   /* from one message's start to the next one's */
    double first_s; /* the first message's start (monotonic clock); 0: 0.1 s after connecting */
} plan;

/* Receiver: n messages; writes the time each one's last byte arrived, acknowledges each. */
static int receiver(const sr_testbed *tb, const char *addr, const plan *p, int out)
{
    int ls = emu_test_listen(tb, addr, PORT, 1);
    if (ls < 0) return 1;
    int fd = accept(ls, NULL, NULL);
    char *buf = malloc(p->bytes + HDR_BYTES);
    if (fd < 0 || !buf) return 1;
    for (int i = 0; i < p->n; i++) {
        if (emu_test_io(fd, buf, HDR_BYTES, 1) != 0 || emu_test_io(fd, buf + HDR_BYTES, p->bytes, 1) != 0) return 1;
        double t = emu_test_now_s();
        char k = 1;
        if (write(out, &t, sizeof t) != sizeof t || emu_test_io(fd, &k, 1, 0) != 0) return 1;
    }
    free(buf);
    close(fd);
    close(ls);
    return 0;
}

/* Sender: message i at start + i x gap (the first one once connected); writes each message's start time. */
static int sender(const sr_testbed *tb, const char *addr, const plan *p, int out)
{
    int fd = emu_test_connect(tb, addr, PORT, 200);
    char *buf = calloc(1, p->bytes + HDR_BYTES);
    if (fd < 0 || !buf) return 1;
    double t0 = p->first_s > 0 ? p->first_s : emu_test_now_s() + 0.1; /* after the handshake */
    for (int i = 0; i < p->n; i++) {
        double due = t0 + i * p->gap_s;
        while (emu_test_now_s() < due)
            usleep(500);
        double t = emu_test_now_s();
        char k;
        if (emu_test_io(fd, buf, HDR_BYTES, 0) != 0 || emu_test_io(fd, buf + HDR_BYTES, p->bytes, 0) != 0 ||
            emu_test_io(fd, &k, 1, 1) != 0 || write(out, &t, sizeof t) != sizeof t)
            return 1;
    }
    free(buf);
    close(fd);
    return 0;
}

static pid_t spawn(const sr_testbed *tb, int node, int role, const char *addr, const plan *p, int out)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[256];
        if (sr_testbed_enter(tb, node, err, sizeof err) != SR_OK) {
            fprintf(stderr, "%s\n", err);
            _exit(1);
        }
        _exit(role ? receiver(tb, addr, p, out) : sender(tb, addr, p, out));
    }
    return pid;
}

/* Runs plan p over a link of bw_bps and delay_s each way with TCP settings tcp; got[i]: message i's time
 * from the sender's first write to the receiver's last byte. 0, or -1 when the testbed or a process failed. */
static int run_link(const sr_tb_link *link, const sr_tb_tcp *tcp, plan *p, double origin_in_s,
                    double got[MAX_MSG], double start[MAX_MSG])
{
    sr_testbed *tb = NULL;
    char err[512];
    if (sr_testbed_create(2, NULL, link, 1, tcp, &tb, err, sizeof err) != SR_OK) {
        emu_test_miss(0, "testbed: %s\n", err);
        return -1;
    }
    double o = 0;
    if (origin_in_s > 0) { /* the trace's time 0, and the first message relative to it */
        o = emu_test_now_s() + origin_in_s;
        sr_testbed_set_origin(tb, o);
        p->first_s += o;
    }
    int pr[2], ps[2];
    if (pipe(pr) != 0 || pipe(ps) != 0) return -1;
    const char *addr = sr_testbed_addr(tb, 0, 1);
    pid_t r = spawn(tb, 1, 1, addr, p, pr[1]);
    pid_t s = spawn(tb, 0, 0, addr, p, ps[1]);
    close(pr[1]);
    close(ps[1]);
    int ok = 0;
    for (int i = 0; i < p->n; i++) {
        double t0, t1;
        if (read(ps[0], &t0, sizeof t0) != sizeof t0 || read(pr[0], &t1, sizeof t1) != sizeof t1) break;
        got[i] = t1 - t0;
        if (start) start[i] = t0 - o;
        ok++;
    }
    int st_r = 1, st_s = 1;
    waitpid(r, &st_r, 0);
    waitpid(s, &st_s, 0);
    close(pr[0]);
    close(ps[0]);
    sr_testbed_free(tb);
    if (ok != p->n || st_r != 0 || st_s != 0) {
        emu_test_miss(0, "the sender or the receiver failed (%d of %d messages)\n", ok, p->n);
        return -1;
    }
    return 0;
}

static int run(double bw_bps, double delay_s, const sr_tb_tcp *tcp, const plan *p, double got[MAX_MSG])
{
    sr_tb_link link = {.a = 0, .b = 1, .bw_ab_bps = bw_bps, .bw_ba_bps = bw_bps, .delay_ab_s = delay_s,
                       .delay_ba_s = delay_s, .n_flows = 1};
    plan q = *p;
    return run_link(&link, tcp, &q, 0, got, NULL);
}

static void print_case(const char *what, double bw_bps, double delay_s, const plan *p, const double *got,
                       double expect)
{
    printf("%s: %.4g Mbit/s, %.0f ms one way, %d x %zu bytes every %.2f s; d + S/B = %.2f ms; measured",
           what, bw_bps / 1e6, delay_s * 1e3, p->n, p->bytes, p->gap_s, expect * 1e3);
    for (int i = 0; i < p->n; i++)
        printf(" %.2f (%+.1f %%)", got[i] * 1e3, 100.0 * (got[i] - expect) / expect);
    printf(" ms\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The first message and the median of the others within tol (relative) of d + S / B (the median: one message
 * delayed by other work on a shared machine does not decide; a cause that delays every message after the
 * first, as bbr's pacing did by 13 ms, does). Of an even number of others, the lower middle: with two, the
 * upper was the larger of the two, and one message delayed 7 ms by the machine failed a CI run (70.60 ms for
 * 63.02, the other 63.32). */
typedef struct close_case {
    const char *what;
    double bw_bps, delay_s;
    const sr_tb_tcp *tcp;
    const plan *p;
    double tol;
} close_case;

/* time t of message 'which' against its closed form: a miss beyond tol, slow or hard by its sign */
static void check_one(const char *what, const char *which, double t, double expect, double tol)
{
    if (fabs(t - expect) <= tol * expect) return;
    emu_test_miss(t > expect, "%s: %s took %.2f ms, off d + S/B = %.2f ms by more than %g %%\n", what, which,
                  t * 1e3, expect * 1e3, tol * 100);
}

static void check_close(const void *arg)
{
    const close_case *c = arg;
    double got[MAX_MSG], rest[MAX_MSG];
    if (run(c->bw_bps, c->delay_s, c->tcp, c->p, got) != 0) return;
    double expect = c->delay_s + (double)c->p->bytes * 8.0 / c->bw_bps;
    print_case(c->what, c->bw_bps, c->delay_s, c->p, got, expect);
    memcpy(rest, got + 1, sizeof(double) * (size_t)(c->p->n - 1));
    qsort(rest, (size_t)(c->p->n - 1), sizeof(double), cmp_double);
    check_one(c->what, "the first message", got[0], expect, c->tol);
    check_one(c->what, "the messages after the first (median)", rest[(c->p->n - 2) / 2], expect, c->tol);
}

/* 30 KiB with cold TCP: the first message on a new connection, the second after 1.5 s idle (several RTOs: the
 * window halves per RTO idle, down to the initial 10 segments): each at least one round trip over d + S/B */
static void check_cold_frame(const void *arg)
{
    (void)arg;
    const sr_tb_tcp cold = SR_TB_TCP_COLD;
    plan frame = {2, 30720, 1.5, 0};
    double got[MAX_MSG];
    if (run(18.88e6, 0.050, &cold, &frame, got) != 0) return;
    double expect = 0.050 + 30720 * 8.0 / 18.88e6, rtt = 0.100;
    print_case("30 KiB frame, cold TCP", 18.88e6, 0.050, &frame, got, expect);
    for (int i = 0; i < frame.n; i++)
        if (!(got[i] >= expect + rtt * 0.9))
            emu_test_miss(0,
                          "cold TCP: message %d took %.2f ms, less than d + S/B + one round trip (%.2f ms): "
                          "no slow start?\n",
                          i, got[i] * 1e3, (expect + rtt) * 1e3);
}

/* a bandwidth step in a trace (a CSV trace's piecewise-constant rate): 8 Mbit/s, 2 Mbit/s from 0.15 s on;
 * 60 kB sent at 0.12 s: 30 kB at 8 Mbit/s until the step, 30 kB at 2 Mbit/s after it, then the delay */
static void check_bw_step(const void *arg)
{
    (void)arg;
    const sr_tb_tcp warm = SR_TB_TCP_WARM;
    double times[2] = {0, 0.15}, rates[2] = {8e6, 2e6};
    sr_trace step = {SR_TRACE_BANDWIDTH, 2, times, rates, 0};
    sr_tb_link traced = {.a = 0, .b = 1, .bw_ab_bps = 8e6, .bw_ba_bps = 8e6, .delay_ab_s = 0.020, .delay_ba_s = 0.020,
                         .trace_ab = &step, .n_flows = 1};
    plan one = {1, 60000, 0, 0.12};
    double got[MAX_MSG], start[MAX_MSG];
    if (run_link(&traced, &warm, &one, 0.5, got, start) != 0) return;
    /* the closed form from the time the sender really started (0.12 s unless it was scheduled late) */
    double s0 = start[0], before = s0 < 0.15 ? (0.15 - s0) * 8e6 / 8.0 : 0;
    double expect = before >= 60000 ? 0.020 + 60000 * 8.0 / 8e6
                                    : 0.020 + (s0 < 0.15 ? 0.15 - s0 : 0) + (60000 - before) * 8.0 / 2e6;
    one.first_s = 0.12;
    printf("(the sender started at %.2f ms of the trace)\n", s0 * 1e3);
    print_case("60 kB across a step from 8 to 2 Mbit/s at 0.15 s, sent at 0.12 s", 8e6, 0.020, &one, got,
               expect);
    if (!(fabs(got[0] - expect) <= 0.05 * expect))
        emu_test_miss(got[0] > expect,
                      "the transfer across the step took %.2f ms, off its piecewise closed form %.2f ms by "
                      "more than 5 %% "
                      "(%.2f ms at 8 Mbit/s throughout, %.2f ms at 2 Mbit/s)\n",
                      got[0] * 1e3, expect * 1e3, (0.020 + 60000 * 8.0 / 8e6) * 1e3,
                      (0.020 + 60000 * 8.0 / 2e6) * 1e3);
}

/* a latency step in a trace: the link's own 20 ms until 0.3 s of the trace, 120 ms after; 7 273 bytes at
 * 5 Mbit/s sent at 0.1 s and at 0.5 s: d(t) + S/B with the latency at the time each was sent */
static void check_latency_step(const void *arg)
{
    (void)arg;
    const sr_tb_tcp warm = SR_TB_TCP_WARM;
    double lat_times[2] = {0, 0.3}, lats[2] = {0.020, 0.120};
    sr_trace lat_step = {SR_TRACE_LATENCY, 2, lat_times, lats, 0};
    sr_tb_link lat_traced = {.a = 0, .b = 1, .bw_ab_bps = 5e6, .bw_ba_bps = 5e6, .delay_ab_s = 0.020,
                             .delay_ba_s = 0.020, .n_flows = 1, .lat_trace_ab = &lat_step, .lat_static_ab_s = 0.020};
    plan two = {2, 7273, 0.4, 0.1};
    double got[MAX_MSG], start[MAX_MSG];
    if (run_link(&lat_traced, &warm, &two, 0.5, got, start) != 0) return;
    printf("(the sender started at %.2f and %.2f ms of the trace)\n", start[0] * 1e3, start[1] * 1e3);
    for (int i = 0; i < 2; i++) {
        double d = start[i] < 0.3 ? 0.020 : 0.120, expect = d + 7273 * 8.0 / 5e6;
        printf("latency trace, message %d: %.2f ms, d(t) + S/B = %.2f ms (%+.1f %%)\n", i, got[i] * 1e3,
               expect * 1e3, 100.0 * (got[i] - expect) / expect);
        if (!(fabs(got[i] - expect) <= 0.05 * expect))
            emu_test_miss(
                got[i] > expect,
                "latency trace: message %d took %.2f ms, off d(t) + S/B = %.2f ms by more than 5 %%\n", i,
                got[i] * 1e3, expect * 1e3);
    }
}

int main(void)
{
    if (!emu_test_testbed_ready()) return 77;
    const sr_tb_tcp warm = SR_TB_TCP_WARM, cold = SR_TB_TCP_COLD;
    /* split-brain's quant4+rans activation at the LTE uplink's bandwidth */
    const plan coded = {5, 7273, 0.3, 0};
    const close_case coded_warm = {"coded activation, warm TCP", 5.85e6, 0.050, &warm, &coded, 0.05};
    const close_case coded_cold = {"coded activation, cold TCP", 5.85e6, 0.050, &cold, &coded, 0.05};
    emu_test_case(check_close, &coded_warm);
    emu_test_case(check_close, &coded_cold);
    /* quickstart's 30 KiB frame at 18.88 Mbit/s; 1.5 s idle: as the cold case, which restarts */
    const plan frame = {3, 30720, 1.5, 0};
    const close_case frame_warm = {"30 KiB frame, warm TCP", 18.88e6, 0.050, &warm, &frame, 0.05};
    emu_test_case(check_close, &frame_warm);
    emu_test_case(check_cold_frame, NULL);
    emu_test_case(check_bw_step, NULL);
    emu_test_case(check_latency_step, NULL);
    return emu_test_failures() ? 1 : 0;
}
