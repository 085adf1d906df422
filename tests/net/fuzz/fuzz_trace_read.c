/* fuzz_trace_read.c: libFuzzer target feeding arbitrary bytes to the trace parsers (mahimahi with a bin
 * width taken from the first byte, CSV as each kind, timestamp traces). Errors must come back as statuses with a message,
 * never as crashes, overreads or leaks; a parsed trace must satisfy the sr_trace contract. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sr_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const sr_trace *t)
{
    if (t->n < 1 || t->times_s[0] < 0) abort();
    for (int i = 0; i < t->n; i++) {
        if (!isfinite(t->values[i]) || t->values[i] < 0) abort();
        if (i > 0 && !(t->times_s[i] > t->times_s[i - 1])) abort();
    }
    if (t->period_s > 0 && !(t->times_s[t->n - 1] < t->period_s)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    int64_t bin_ms = size > 0 ? 1 + data[0] % 200 : 100;
    sr_trace *t = NULL;
    if (sr_trace_parse_mahimahi("fuzz", (const char *)data, size, bin_ms, &t, err, sizeof err) == SR_OK) {
        check(t);
        sr_trace_free(t);
    } else if (t != NULL || err[0] == '\0') {
        abort();
    }
    for (int k = 0; k < SR_TRACE_KIND_COUNT; k++) {
        t = NULL;
        if (sr_trace_parse_csv("fuzz", (const char *)data, size, (sr_trace_kind)k, &t, err, sizeof err) ==
            SR_OK) {
            check(t);
            sr_trace_free(t);
        } else if (t != NULL || err[0] == '\0') {
            abort();
        }
    }
    double *times = NULL;
    int n = 0;
    if (sr_trace_parse_times("fuzz", (const char *)data, size, &times, &n, err, sizeof err) == SR_OK) {
        if (n < 1 || times[0] < 0) abort();
        for (int i = 1; i < n; i++)
            if (!(times[i] >= times[i - 1]) || !isfinite(times[i])) abort();
        free(times);
    } else if (times != NULL || err[0] == '\0') {
        abort();
    }
    return 0;
}
