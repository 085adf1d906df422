/* emu_test_net.h: what the emulate tests' senders and receivers share (test_shaping, test_messages, test_shared):
 * the clock, whole reads and writes, a listening socket and a connection on a testbed node (sr_testbed.h), and the
 * CHECK macro of the tests that count failures. */
#ifndef EMU_TEST_NET_H
#define EMU_TEST_NET_H

#include <stddef.h>
#include <stdio.h>

#include "sr_testbed.h"

/* Prints the failed condition with its place and counts it in the caller's `failures`. */
#define CHECK(cond, ...)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                      \
            printf(__VA_ARGS__);                                                                             \
            printf("\n");                                                                                    \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

/* 1 when this machine can build testbeds (sr_testbed_check), after removing what a killed run left
 * (sr_testbed_cleanup_stale); 0 after printing "SKIP: <why>": the test then exits 77, which ctest reports as
 * skipped. */
int emu_test_testbed_ready(void);

/* Timing cases against closed forms, measured again when a busy machine may explain a miss. CI's machine is
 * shared: a stall of a few ms of a delay line or a sender only lengthens a transfer, and an emulator that is
 * really slow is slow on every attempt; a transfer faster than its closed form is never the machine's doing.
 * emu_test_case runs fn(arg) up to EMU_TEST_ATTEMPTS times while every miss it reports is one the machine can
 * cause (emu_test_miss with retry 1), and counts the misses of its last attempt as failures; a miss with
 * retry 0 (faster than the closed form, a process or testbed that failed) ends the case at once. */
#define EMU_TEST_ATTEMPTS 3
void emu_test_case(void (*fn)(const void *arg), const void *arg);
/* Reports a miss of the running case: "FAIL: " and the message, or "slow, measured again: " and the message
 * when retry is set and the case has attempts left. */
void emu_test_miss(int retry, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The failures counted so far (by emu_test_case, and emu_test_miss outside a case). */
int emu_test_failures(void);

/* Monotonic seconds. */
double emu_test_now_s(void);

/* Reads (rd) or writes the n bytes of buf in full (EINTR retried); 0, or -1 when the peer went or an error. */
int emu_test_io(int fd, void *buf, size_t n, int rd);
/* The same for n bytes of no interest streamed through scratch, a buffer of EMU_TEST_SCRATCH bytes reused for
 * every chunk (bulk transfers). */
#define EMU_TEST_SCRATCH 65536
int emu_test_stream(int fd, void *scratch, size_t n, int rd);

/* A socket prepared by sr_testbed_socket (tb's TCP settings), bound to addr:port and listening (backlog); -1 with
 * the reason on stderr. */
int emu_test_listen(const sr_testbed *tb, const char *addr, int port, int backlog);

/* A connection to addr:port from a socket prepared by sr_testbed_socket, retried every 10 ms up to `tries` times
 * (the receiver may not listen yet); -1 when it never connected. */
int emu_test_connect(const sr_testbed *tb, const char *addr, int port, int tries);

#endif
