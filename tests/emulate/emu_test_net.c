/* emu_test_net.c: the emulate tests' shared helpers (emu_test_net.h): the testbed check, sockets, the clock.
 */
#define _GNU_SOURCE
#include "emu_test_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int g_failures, g_in_case, g_last, g_retry, g_hard; /* the running case's misses of this attempt */

void emu_test_miss(int retry, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s", retry && g_in_case && !g_last ? "slow, measured again: " : "FAIL: ");
    vprintf(fmt, ap);
    va_end(ap);
    if (!g_in_case)
        g_failures++;
    else if (retry)
        g_retry++;
    else
        g_hard++;
}

void emu_test_case(void (*fn)(const void *arg), const void *arg)
{
    g_in_case = 1;
    for (int a = 1; a <= EMU_TEST_ATTEMPTS; a++) {
        g_retry = g_hard = 0;
        g_last = a == EMU_TEST_ATTEMPTS;
        fn(arg);
        if (g_hard || !g_retry || g_last) {
            g_failures += g_hard + g_retry;
            break;
        }
    }
    g_in_case = 0;
}

int emu_test_failures(void)
{
    return g_failures;
}

int emu_test_testbed_ready(void)
{
    char err[512];
    if (sr_testbed_check(err, sizeof err) != SR_OK) {
        printf("SKIP: %s\n", err);
        return 0;
    }
    sr_testbed_cleanup_stale();
    return 1;
}

double emu_test_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* n bytes through buf, advancing in it (step) or reusing its first EMU_TEST_SCRATCH bytes (!step). */
static int io(int fd, char *buf, size_t n, int rd, int step)
{
    char *p = buf;
    while (n) {
        size_t chunk = n < EMU_TEST_SCRATCH ? n : EMU_TEST_SCRATCH;
        ssize_t k = rd ? read(fd, p, chunk) : write(fd, p, chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        if (step) p += k;
        n -= (size_t)k;
    }
    return 0;
}

int emu_test_io(int fd, void *buf, size_t n, int rd)
{
    return io(fd, buf, n, rd, 1);
}

int emu_test_stream(int fd, void *scratch, size_t n, int rd)
{
    return io(fd, scratch, n, rd, 0);
}

int emu_test_listen(const sr_testbed *tb, const char *addr, int port, int backlog)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    char err[256];
    if (ls < 0) return -1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sr_testbed_socket(tb, ls, err, sizeof err) != SR_OK) {
        fprintf(stderr, "%s\n", err);
        close(ls);
        return -1;
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, backlog) != 0) {
        close(ls);
        return -1;
    }
    return ls;
}

int emu_test_connect(const sr_testbed *tb, const char *addr, int port, int tries)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    inet_pton(AF_INET, addr, &sa.sin_addr);
    char err[256];
    for (int i = 0; i < tries; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        if (sr_testbed_socket(tb, fd, err, sizeof err) != SR_OK) {
            fprintf(stderr, "%s\n", err);
            close(fd);
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return fd;
        close(fd);
        usleep(10000);
    }
    return -1;
}
