/* test_shaping.c: the emulated link against its closed form. Over a testbed link (sr_testbed.h) of bandwidth
 * B and one-way delay d, a bulk transfer of S bytes on a warm TCP connection (its window already open) takes
 * d + S / B from the sender's first write to the receiver's last byte. Checked within 5 % at 500 Kbit/s,
 * 5 Mbit/s and 200 Mbit/s with d = 20 ms, S sized to take about 0.8 s. A transfer faster than the closed form
 * beyond 5 % fails at once (the link did not hold its rate or delay); one slower is measured again
 * (emu_test_case): a 58 ms stall at 200 Mbit/s once failed CI. Needs root (namespaces, TUN, tc): without it
 * the test is skipped (exit 77) and says why. */
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

#define PORT 7311

static const sr_testbed *g_tb; /* the testbed of the link being measured (its sockets' TCP settings) */

/* Receiver: warm-up bytes, a one-byte go-ahead, then the measured bytes; writes the time of the last byte. */
static int receiver(const char *addr, size_t warm, size_t bulk, int out)
{
    int ls = emu_test_listen(g_tb, addr, PORT, 1);
    if (ls < 0) return 1;
    int fd = accept(ls, NULL, NULL);
    char *buf = malloc(EMU_TEST_SCRATCH);
    if (fd < 0 || !buf || emu_test_stream(fd, buf, warm, 1) != 0) return 1;
    if (write(fd, "g", 1) != 1 || emu_test_stream(fd, buf, bulk, 1) != 0) return 1;
    double t1 = emu_test_now_s();
    if (write(out, &t1, sizeof t1) != sizeof t1) return 1;
    free(buf);
    close(fd);
    close(ls);
    return 0;
}

static int sender(const char *addr, size_t warm, size_t bulk, int out)
{
    int fd = emu_test_connect(g_tb, addr, PORT, 200);
    char *buf = calloc(1, EMU_TEST_SCRATCH);
    char g;
    if (fd < 0 || !buf || emu_test_stream(fd, buf, warm, 0) != 0 || read(fd, &g, 1) != 1) return 1;
    double t0 = emu_test_now_s();
    if (emu_test_stream(fd, buf, bulk, 0) != 0) return 1;
    if (write(out, &t0, sizeof t0) != sizeof t0) return 1;
    while (read(fd, &g, 1) > 0) /* until the receiver closes */
        ;
    free(buf);
    close(fd);
    return 0;
}

static pid_t spawn(const sr_testbed *tb, int node, int role, const char *addr, size_t warm, size_t bulk,
                   int out)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[256];
        if (sr_testbed_enter(tb, node, err, sizeof err) != SR_OK) {
            fprintf(stderr, "%s\n", err);
            _exit(1);
        }
        _exit(role ? receiver(addr, warm, bulk, out) : sender(addr, warm, bulk, out));
    }
    return pid;
}

/* One link: returns the relative error of the measured time against d + S / B, or NAN on failure. */
static double measure(double bw_bps, double delay_s, size_t warm, size_t bulk)
{
    sr_tb_link link = {.a = 0, .b = 1, .bw_ab_bps = bw_bps, .bw_ba_bps = bw_bps, .delay_ab_s = delay_s,
                       .delay_ba_s = delay_s, .n_flows = 1};
    sr_testbed *tb = NULL;
    char err[512];
    const sr_tb_tcp tcp = SR_TB_TCP_WARM; /* what simrun emulate uses */
    if (sr_testbed_create(2, NULL, &link, 1, &tcp, &tb, err, sizeof err) != SR_OK) {
        fprintf(stderr, "testbed: %s\n", err);
        return NAN;
    }
    int pr[2], ps[2];
    if (pipe(pr) != 0 || pipe(ps) != 0) return NAN;
    const char *addr = sr_testbed_addr(tb, 0, 1);
    g_tb = tb;
    pid_t r = spawn(tb, 1, 1, addr, warm, bulk, pr[1]);
    pid_t s = spawn(tb, 0, 0, addr, warm, bulk, ps[1]);
    double t0 = NAN, t1 = NAN;
    if (read(ps[0], &t0, sizeof t0) != sizeof t0) t0 = NAN;
    if (read(pr[0], &t1, sizeof t1) != sizeof t1) t1 = NAN;
    int st_r = 1, st_s = 1;
    waitpid(r, &st_r, 0);
    waitpid(s, &st_s, 0);
    close(pr[0]), close(pr[1]), close(ps[0]), close(ps[1]);
    sr_testbed_free(tb);
    double expect = delay_s + (double)bulk * 8.0 / bw_bps, got = t1 - t0;
    printf("link %9.0f bit/s, delay %.0f ms: %zu bytes in %.4f s, closed form d + S/B = %.4f s, error %+.2f "
           "%%\n",
           bw_bps, delay_s * 1e3, bulk, got, expect, 100.0 * (got - expect) / expect);
    if (st_r != 0 || st_s != 0) return NAN;
    return (got - expect) / expect;
}

typedef struct shaping_case {
    double bw;
    size_t warm, bulk;
} shaping_case;

static const shaping_case cases[] = {
    {500e3, 40000, 60000}, {5e6, 200000, 500000}, {200e6, 4000000, 20000000}};

static void check_case(const void *arg)
{
    const shaping_case *c = arg;
    double e = measure(c->bw, 0.020, c->warm, c->bulk);
    if (isnan(e))
        emu_test_miss(0, "%.0f bit/s: the testbed, the sender or the receiver failed\n", c->bw);
    else if (fabs(e) > 0.05)
        emu_test_miss(e > 0, "%.0f bit/s is off its closed form by %+.2f %% (more than 5 %%)\n", c->bw,
                      100.0 * e);
}

int main(void)
{
    if (!emu_test_testbed_ready()) return 77;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        emu_test_case(check_case, &cases[i]);
    return emu_test_failures() ? 1 : 0;
}
