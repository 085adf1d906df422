/* sr_trace.h: time-varying link properties read from trace files, as piecewise-constant signals.
 *
 * Two formats:
 * - mahimahi packet-delivery traces (mm-link(1)): one integer millisecond timestamp per line, each an
 *   opportunity to deliver one MTU of SR_MAHIMAHI_MTU_BYTES bytes; several lines may share a timestamp;
 *   timestamps never decrease; the schedule repeats with the period of its last timestamp (mm-link wraps
 *   around at the end of the file). It is turned into a bandwidth (bit/s) per bin of bin_ms milliseconds:
 *   bin i covers [i*bin_ms, min((i+1)*bin_ms, P)) of the period P and its rate is the bytes of the
 *   opportunities in it * 8 / its width, so every period carries exactly lines * 1500 bytes (lossless).
 *   Timestamps are taken modulo P: the opportunity at exactly P is the one at 0 of the next period in
 *   mm-link's schedule, so it counts in the first bin (a trace 1, 2, ..., P is a constant 12 Mbit/s).
 * - CSV `time, value`: times in seconds, strictly increasing, the first >= 0; values in SI base units
 *   (bit/s for bandwidth, seconds for latency, 0/1 for a state); an optional header line (a first data
 *   line whose time is not a number); `#` starts a comment; blank lines are skipped. The last value holds
 *   for ever (no loop).
 *
 * Every problem is reported as "NAME:LINE:COL: message" in the caller's buffer (NAME is the path or the
 * name given to the parse functions); the parsers never read past `len` and accept any bytes (they are
 * fuzzed by tests/net/fuzz/fuzz_trace_read.c). */
#ifndef SR_TRACE_H
#define SR_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

#define SR_MAHIMAHI_MTU_BYTES 1500
/* Default mahimahi bin width. A mahimahi schedule has 1 ms resolution: per-ms rates are 0 or multiples of
 * 12 Mbit/s, and one SimGrid profile event per ms and link costs more than the frames being simulated.
 * 100 ms bins are shorter than the transfers they time (a 60 KiB frame at 5 Mbit/s takes ~100 ms; an
 * activation or a model push longer), so a transfer's end moves by at most one bin's share of its bytes,
 * and a link gets 10 events per simulated second. */
#define SR_TRACE_DEFAULT_BIN_MS 100
/* Largest number of points a trace may expand to (bins or CSV rows). */
#define SR_TRACE_MAX_POINTS (1 << 24)
/* Largest trace file read (1 GiB: 130 M mahimahi lines of 8 bytes, about 1.6 Tbit of delivery opportunities). */
#define SR_TRACE_MAX_BYTES ((size_t)1 << 30)

typedef enum {
    SR_TRACE_BANDWIDTH, /* bit/s, >= 0 */
    SR_TRACE_LATENCY,   /* seconds, >= 0 */
    SR_TRACE_STATE,     /* 1 = on, 0 = off */
    SR_TRACE_KIND_COUNT
} sr_trace_kind;

typedef enum { SR_TRACE_CSV, SR_TRACE_MAHIMAHI, SR_TRACE_FORMAT_COUNT } sr_trace_format;

/* A piecewise-constant signal: values[i] holds on [times_s[i], times_s[i+1]); the last value holds until
 * period_s when period_s > 0 (then the whole pattern repeats: time t + k*period_s has the value of t),
 * for ever otherwise. Before times_s[0] the signal is undefined (the caller's nominal value applies). */
typedef struct sr_trace {
    sr_trace_kind kind;
    int n;           /* >= 1 */
    double *times_s; /* strictly increasing, times_s[0] >= 0, times_s[n-1] < period_s when looping */
    double *values;  /* SI base units (see sr_trace_kind) */
    double period_s; /* > 0: loop period; 0: no loop */
} sr_trace;

const char *sr_trace_kind_name(sr_trace_kind k);     /* "bandwidth", "latency", "state" */
const char *sr_trace_format_name(sr_trace_format f); /* "csv", "mahimahi" */

/* Parses a CSV trace of `kind` from text[0..len) (need not be NUL-terminated). `name` is used in
 * messages. On success *out is a new trace (caller frees with sr_trace_free); on bad input returns
 * SR_ERR_PARSE (syntax), SR_ERR_RANGE (a value or time out of range) or SR_ERR_INVALID (empty trace)
 * with "name:line:col: message" in err, and *out is NULL. */
sr_status sr_trace_parse_csv(const char *name, const char *text, size_t len, sr_trace_kind kind,
                             sr_trace **out, char *err, size_t err_size);

/* Parses a mahimahi trace and bins it into a bandwidth trace (kind SR_TRACE_BANDWIDTH, period = the last
 * timestamp) with bins of bin_ms milliseconds (>= 1). Errors as sr_trace_parse_csv; a last timestamp of 0
 * (no period) is SR_ERR_INVALID. */
sr_status sr_trace_parse_mahimahi(const char *name, const char *text, size_t len, int64_t bin_ms,
                                  sr_trace **out, char *err, size_t err_size);

/* Reads the file at path in format fmt (mahimahi is always a bandwidth trace; kind must then be
 * SR_TRACE_BANDWIDTH) with the parsers above; SR_ERR_IO with "path: cannot read: reason" when the file
 * cannot be opened, SR_ERR_INVALID when it is not a regular file, SR_ERR_UNSUPPORTED when it is larger than
 * SR_TRACE_MAX_BYTES (refused before anything is read), SR_ERR_NOMEM. */
sr_status sr_trace_read(const char *path, sr_trace_format fmt, sr_trace_kind kind, int64_t bin_ms,
                        sr_trace **out, char *err, size_t err_size);

void sr_trace_free(sr_trace *t); /* NULL is a no-op */

/* Parses a timestamp trace (the arrival times of a source, `arrival: trace`) from text[0..len): one time in
 * seconds per line in the first field (fields separated by commas or blanks; the others are ignored), times
 * non-decreasing and >= 0; an optional header (a first line whose first field is not a number), `#` comments and
 * blank lines. On success *times_s is a new array of *n (>= 1) times (caller frees). Errors as
 * sr_trace_parse_csv (SR_ERR_INVALID when there is no time). */
sr_status sr_trace_parse_times(const char *name, const char *text, size_t len, double **times_s, int *n, char *err,
                               size_t err_size);

/* Value at time t_s (looping traces wrap); `before` when t_s < times_s[0]. */
double sr_trace_value_at(const sr_trace *t, double t_s, double before);

/* Integral of the signal over [t0_s, t1_s] (t0 >= times_s[0]; looping traces wrap): bits for a
 * bandwidth trace. */
double sr_trace_integral(const sr_trace *t, double t0_s, double t1_s);

#endif
