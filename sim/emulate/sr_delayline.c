/* sr_delayline.c: the delay line's loop (sr_delayline.h): one ring of timestamped packets per direction,
 * ppoll with the time to the next due packet; a traced direction's serialization. */
#define _GNU_SOURCE
#include "sr_delayline.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PKT_MAX 2048

typedef struct ring {
    uint8_t *buf; /* SR_DELAYLINE_MAX_QUEUED slots of PKT_MAX bytes */
    uint16_t *len;
    int64_t *due_ns;
    size_t head, n;
    int64_t delay_ns;
    int in, out; /* read from in, write to out */
    const sr_dl_shape *shape;
    double free_s; /* a traced direction: when it has serialized what it holds */
    int64_t last_due_ns; /* the packet ahead's: a latency trace never reorders packets */
} ring;

static volatile sig_atomic_t g_stop;

static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Reads every packet waiting on r->in. Returns -1 when the device is gone. */
static int ring_fill(ring *r)
{
    for (;;) {
        uint8_t *slot;
        uint8_t scratch[PKT_MAX];
        int full = r->n == SR_DELAYLINE_MAX_QUEUED;
        slot = full ? scratch : r->buf + ((r->head + r->n) % SR_DELAYLINE_MAX_QUEUED) * PKT_MAX;
        ssize_t k = read(r->in, slot, PKT_MAX);
        if (k < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
        if (k == 0) return -1;
        if (full) continue; /* dropped */
        size_t i = (r->head + r->n) % SR_DELAYLINE_MAX_QUEUED;
        r->len[i] = (uint16_t)k;
        int64_t t = now_ns();
        const int64_t arrived = t;
        if (r->shape && r->shape->trace) {
            double start = fmax(1e-9 * (double)t, r->free_s);
            r->free_s = sr_delayline_finish_s(r->shape, start, (double)k);
            t = (int64_t)ceil(r->free_s * 1e9);
        }
        int64_t due = t + r->delay_ns;
        if (r->shape && r->shape->lat)
            due += (int64_t)llround(1e9 * sr_delayline_latency_s(r->shape, 1e-9 * (double)arrived));
        if (due < r->last_due_ns) due = r->last_due_ns;
        r->due_ns[i] = r->last_due_ns = due;
        r->n++;
    }
}

/* Writes the packets that are due. */
static void ring_flush(ring *r, int64_t t)
{
    while (r->n && r->due_ns[r->head] <= t) {
        ssize_t k = write(r->out, r->buf + r->head * PKT_MAX, r->len[r->head]);
        (void)k; /* a refused packet is a lost packet, as on a wire */
        r->head = (r->head + 1) % SR_DELAYLINE_MAX_QUEUED;
        r->n--;
    }
}

/* The segment of the trace's pattern holding x (times_s[0] <= x): the largest i with times_s[i] <= x. */
static int seg_of(const sr_trace *tr, double x)
{
    int lo = 0, hi = tr->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (tr->times_s[mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

double sr_delayline_finish_s(const sr_dl_shape *sh, double start_s, double bytes)
{
    double bits = bytes * 8.0 * 1448.0 / 1500.0, o = *sh->origin;
    const sr_trace *tr = sh->trace;
    double before = fmax(sh->before_bps, SR_DELAYLINE_MIN_BPS);
    if (!(o > 0)) return start_s + bits / before;
    double tau = start_s - o; /* trace time */
    for (int guard = 0; guard < 10000000; guard++) {
        double rate, end;
        if (tau < 0) {
            rate = before, end = 0;
        } else {
            double base = 0, x = tau;
            if (tr->period_s > 0) {
                base = floor(x / tr->period_s) * tr->period_s;
                x -= base;
                if (x >= tr->period_s) x = 0, base += tr->period_s; /* rounding */
            }
            if (x < tr->times_s[0]) {
                rate = before, end = base + tr->times_s[0];
            } else {
                int i = seg_of(tr, x);
                rate = fmax(tr->values[i], SR_DELAYLINE_MIN_BPS);
                end = i + 1 < tr->n ? base + tr->times_s[i + 1]
                                    : (tr->period_s > 0 ? base + tr->period_s : INFINITY);
            }
        }
        if (!(end > tau)) { /* a boundary lost to rounding */
            tau = nextafter(tau, INFINITY);
            continue;
        }
        if ((end - tau) * rate >= bits) return o + tau + bits / rate;
        bits -= (end - tau) * rate;
        tau = end;
    }
    return o + tau + bits / before; /* not reached with a sane trace */
}

double sr_delayline_latency_s(const sr_dl_shape *sh, double t_s)
{
    const sr_trace *tr = sh->lat;
    const double o = *sh->origin;
    if (!(o > 0) || t_s < o) return sh->lat_before_s;
    double x = t_s - o;
    if (tr->period_s > 0) {
        x -= floor(x / tr->period_s) * tr->period_s;
        if (x >= tr->period_s) x = 0; /* rounding */
    }
    if (x < tr->times_s[0]) return sh->lat_before_s;
    return fmax(0.0, tr->values[seg_of(tr, x)]);
}

sr_status sr_delayline_run(int fa, int fb, double delay_ab_s, double delay_ba_s, const sr_dl_shape *shape_ab,
                           const sr_dl_shape *shape_ba)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    ring r[2];
    memset(r, 0, sizeof r);
    r[0].in = fa, r[0].out = fb, r[0].delay_ns = (int64_t)(delay_ab_s * 1e9 + 0.5);
    r[1].in = fb, r[1].out = fa, r[1].delay_ns = (int64_t)(delay_ba_s * 1e9 + 0.5);
    r[0].shape = shape_ab, r[1].shape = shape_ba;
    sr_status st = SR_OK;
    for (int d = 0; d < 2; d++) {
        r[d].buf = malloc((size_t)SR_DELAYLINE_MAX_QUEUED * PKT_MAX);
        r[d].len = malloc(sizeof *r[d].len * SR_DELAYLINE_MAX_QUEUED);
        r[d].due_ns = malloc(sizeof *r[d].due_ns * SR_DELAYLINE_MAX_QUEUED);
        if (!r[d].buf || !r[d].len || !r[d].due_ns) st = SR_ERR_NOMEM;
        fcntl(r[d].in, F_SETFL, fcntl(r[d].in, F_GETFL) | O_NONBLOCK);
    }
    while (st == SR_OK && !g_stop) {
        int64_t t = now_ns();
        ring_flush(&r[0], t);
        ring_flush(&r[1], t);
        int64_t next = -1;
        for (int d = 0; d < 2; d++)
            if (r[d].n && (next < 0 || r[d].due_ns[r[d].head] < next)) next = r[d].due_ns[r[d].head];
        struct pollfd p[2] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}};
        struct timespec ts, *tsp = NULL;
        if (next >= 0) {
            int64_t wait = next - now_ns();
            if (wait < 0) wait = 0;
            ts.tv_sec = (time_t)(wait / 1000000000);
            ts.tv_nsec = (long)(wait % 1000000000);
            tsp = &ts;
        }
        int k = ppoll(p, 2, tsp, NULL);
        if (k < 0 && errno != EINTR) st = SR_ERR_IO;
        for (int d = 0; d < 2 && k > 0; d++) {
            if (p[d].revents & (POLLERR | POLLHUP | POLLNVAL)) st = SR_ERR_IO;
            if ((p[d].revents & POLLIN) && ring_fill(&r[d]) < 0) st = SR_ERR_IO;
        }
    }
    for (int d = 0; d < 2; d++) {
        free(r[d].buf);
        free(r[d].len);
        free(r[d].due_ns);
    }
    return g_stop ? SR_OK : st;
}
