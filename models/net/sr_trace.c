/* sr_trace.c: mahimahi and CSV trace readers (see sr_trace.h for the formats and their semantics).
 *
 * Both parsers walk text[0..len) line by line without assuming a terminating NUL, copy each field into a
 * bounded buffer before converting it, and report the first problem with its line and column. */
#include "sr_trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_file.h"

static const char *const kind_names[] = {"bandwidth", "latency", "state"};
static const char *const format_names[] = {"csv", "mahimahi"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == SR_TRACE_KIND_COUNT, "trace kind names");
_Static_assert(sizeof format_names / sizeof format_names[0] == SR_TRACE_FORMAT_COUNT, "trace format names");

const char *sr_trace_kind_name(sr_trace_kind k)
{
    return (unsigned)k < SR_TRACE_KIND_COUNT ? kind_names[k] : "?";
}

const char *sr_trace_format_name(sr_trace_format f)
{
    return (unsigned)f < SR_TRACE_FORMAT_COUNT ? format_names[f] : "?";
}

void sr_trace_free(sr_trace *t)
{
    if (!t) return;
    free(t->times_s);
    free(t->values);
    free(t);
}

static sr_trace *trace_new(sr_trace_kind kind, int n)
{
    sr_trace *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->n = n;
    t->times_s = malloc((size_t)n * sizeof *t->times_s);
    t->values = malloc((size_t)n * sizeof *t->values);
    if (!t->times_s || !t->values) {
        sr_trace_free(t);
        return NULL;
    }
    return t;
}

/* A field as it may be quoted in a message: at most 24 bytes, non-printable bytes as '?'. */
static void quote_field(const char *s, size_t n, char *buf, size_t size)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < size && i < 24; i++)
        buf[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    if (n > 24 && k + 4 < size) buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
    buf[k] = '\0';
}

/* Strict decimal number (optional sign, digits, '.', exponent) of n bytes; finite. 0 on success. */
static int parse_number(const char *s, size_t n, double *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf) return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-' || c == 'e' || c == 'E')) return -1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Line cursor over text[0..len). */
typedef struct line_iter {
    const char *text;
    size_t len, pos;
    int line; /* 1-based number of the line last returned */
} line_iter;

/* Next line [*s, *s + *n) without its '\n'; 0 at the end of the text. */
static int next_line(line_iter *it, const char **s, size_t *n)
{
    if (it->pos >= it->len) return 0;
    const char *p = it->text + it->pos;
    const char *nl = memchr(p, '\n', it->len - it->pos);
    size_t l = nl ? (size_t)(nl - p) : it->len - it->pos;
    it->pos += l + (nl ? 1 : 0);
    it->line++;
    *s = p;
    *n = l;
    return 1;
}

/* Growable pair of arrays. */
typedef struct points {
    double *t, *v;
    int n, cap;
} points;

static int points_add(points *p, double t, double v)
{
    if (p->n == p->cap) {
        if (p->cap >= SR_TRACE_MAX_POINTS) return -2;
        int cap = p->cap ? p->cap * 2 : 64;
        double *nt = realloc(p->t, (size_t)cap * sizeof *nt);
        if (!nt) return -1;
        p->t = nt;
        double *nv = realloc(p->v, (size_t)cap * sizeof *nv);
        if (!nv) return -1;
        p->v = nv;
        p->cap = cap;
    }
    p->t[p->n] = t;
    p->v[p->n] = v;
    p->n++;
    return 0;
}

static const char *const value_units[] = {"bit/s", "seconds", "0 or 1"};

sr_status sr_trace_parse_csv(const char *name, const char *text, size_t len, sr_trace_kind kind,
                             sr_trace **out, char *err, size_t err_size)
{
    *out = NULL;
    if ((unsigned)kind >= SR_TRACE_KIND_COUNT) {
        sr_errf(err, err_size, "%s: unknown trace kind", name);
        return SR_ERR_INVALID;
    }
    points p = {0};
    sr_status st = SR_OK;
    line_iter it = {text, len, 0, 0};
    const char *ls;
    size_t ln;
    int data_lines = 0, prev_line = 0;
    char q[64];
    while (st == SR_OK && next_line(&it, &ls, &ln)) {
        const char *hash = memchr(ls, '#', ln);
        if (hash) ln = (size_t)(hash - ls);
        size_t a = 0;
        while (a < ln && is_blank(ls[a]))
            a++;
        size_t b = ln;
        while (b > a && is_blank(ls[b - 1]))
            b--;
        if (a == b) continue;
        const char *comma = memchr(ls + a, ',', b - a);
        if (!comma) {
            quote_field(ls + a, b - a, q, sizeof q);
            sr_errf(err, err_size,
                    "%s:%d:%d: expected 'time, value' (two fields separated by a comma), got '%s'", name,
                    it.line, (int)a + 1, q);
            st = SR_ERR_PARSE;
            break;
        }
        size_t c = (size_t)(comma - ls);
        const char *comma2 = memchr(comma + 1, ',', b - c - 1);
        if (comma2) {
            sr_errf(err, err_size, "%s:%d:%d: unexpected third field (a line is 'time, value')", name,
                    it.line, (int)(comma2 - ls) + 1);
            st = SR_ERR_PARSE;
            break;
        }
        size_t ta = a, tb = c;
        while (tb > ta && is_blank(ls[tb - 1]))
            tb--;
        size_t va = c + 1, vb = b;
        while (va < vb && is_blank(ls[va]))
            va++;
        double t, v;
        if (parse_number(ls + ta, tb - ta, &t) != 0) {
            if (data_lines == 0) { /* a header line */
                data_lines = -1;
                continue;
            }
            quote_field(ls + ta, tb - ta, q, sizeof q);
            sr_errf(err, err_size, "%s:%d:%d: expected a time in seconds, got '%s'", name, it.line,
                    (int)ta + 1, q);
            st = SR_ERR_PARSE;
            break;
        }
        if (parse_number(ls + va, vb - va, &v) != 0) {
            quote_field(ls + va, vb - va, q, sizeof q);
            sr_errf(err, err_size, "%s:%d:%d: expected a %s value in %s, got '%s'", name, it.line,
                    (int)va + 1, kind_names[kind], value_units[kind], q);
            st = SR_ERR_PARSE;
            break;
        }
        data_lines = data_lines < 0 ? 1 : data_lines + 1;
        if (t < 0) {
            sr_errf(err, err_size, "%s:%d:%d: negative time %g s (times start at 0 or later)", name, it.line,
                    (int)ta + 1, t);
            st = SR_ERR_RANGE;
        } else if (p.n > 0 && !(t > p.t[p.n - 1])) {
            sr_errf(err, err_size,
                    "%s:%d:%d: time %g s is not after the previous one (%g s, line %d): times must "
                    "increase",
                    name, it.line, (int)ta + 1, t, p.t[p.n - 1], prev_line);
            st = SR_ERR_RANGE;
        } else if (kind == SR_TRACE_STATE && v != 0.0 && v != 1.0) {
            sr_errf(err, err_size, "%s:%d:%d: a state is 0 (off) or 1 (on), got %g", name, it.line,
                    (int)va + 1, v);
            st = SR_ERR_RANGE;
        } else if (v < 0) {
            sr_errf(err, err_size, "%s:%d:%d: negative %s %g (%s must be >= 0)", name, it.line, (int)va + 1,
                    kind_names[kind], v, value_units[kind]);
            st = SR_ERR_RANGE;
        } else {
            int r = points_add(&p, t, v);
            if (r == -1) {
                sr_errf(err, err_size, "%s: out of memory", name);
                st = SR_ERR_NOMEM;
            } else if (r == -2) {
                sr_errf(err, err_size, "%s:%d:1: more than %d rows", name, it.line, SR_TRACE_MAX_POINTS);
                st = SR_ERR_RANGE;
            }
            prev_line = it.line;
        }
    }
    if (st == SR_OK && p.n == 0) {
        sr_errf(err, err_size, "%s:%d:1: empty trace: no 'time, value' rows", name,
                it.line > 0 ? it.line : 1);
        st = SR_ERR_INVALID;
    }
    if (st == SR_OK) {
        sr_trace *tr = calloc(1, sizeof *tr);
        if (!tr) {
            sr_errf(err, err_size, "%s: out of memory", name);
            st = SR_ERR_NOMEM;
        } else {
            tr->kind = kind;
            tr->n = p.n;
            tr->times_s = p.t;
            tr->values = p.v;
            tr->period_s = 0.0;
            p.t = p.v = NULL;
            *out = tr;
        }
    }
    free(p.t);
    free(p.v);
    return st;
}

/* Largest timestamp accepted (2^53 ms, exact in a double; ~285 000 years). */
#define MAX_TS_MS ((uint64_t)1 << 53)

sr_status sr_trace_parse_mahimahi(const char *name, const char *text, size_t len, int64_t bin_ms,
                                  sr_trace **out, char *err, size_t err_size)
{
    *out = NULL;
    if (bin_ms < 1) {
        sr_errf(err, err_size, "%s: bin width must be at least 1 ms (got %lld)", name, (long long)bin_ms);
        return SR_ERR_INVALID;
    }
    uint64_t *ts = NULL;
    size_t n = 0, cap = 0;
    uint64_t *counts = NULL;
    sr_status st = SR_OK;
    line_iter it = {text, len, 0, 0};
    const char *ls;
    size_t ln;
    int last_line = 0, last_col = 1;
    char q[64];
    while (next_line(&it, &ls, &ln)) {
        size_t a = 0;
        while (a < ln && is_blank(ls[a]))
            a++;
        size_t b = ln;
        while (b > a && is_blank(ls[b - 1]))
            b--;
        if (a == b) continue;
        uint64_t v = 0;
        size_t k = a;
        for (; k < b && ls[k] >= '0' && ls[k] <= '9'; k++) {
            v = v * 10 + (uint64_t)(ls[k] - '0');
            if (v > MAX_TS_MS) break;
        }
        if (k != b || v > MAX_TS_MS) {
            quote_field(ls + a, b - a, q, sizeof q);
            if (v > MAX_TS_MS)
                sr_errf(err, err_size, "%s:%d:%d: timestamp '%s' is too large (at most 2^53 ms)", name,
                        it.line, (int)a + 1, q);
            else
                sr_errf(
                    err, err_size,
                    "%s:%d:%d: expected a delivery time in milliseconds (a non-negative integer), got '%s'",
                    name, it.line, (int)a + 1, q);
            st = SR_ERR_PARSE;
            goto cleanup;
        }
        if (n > 0 && v < ts[n - 1]) {
            sr_errf(err, err_size,
                    "%s:%d:%d: timestamp %llu ms is before the previous one (%llu ms, line %d): "
                    "mahimahi timestamps never decrease",
                    name, it.line, (int)a + 1, (unsigned long long)v, (unsigned long long)ts[n - 1],
                    last_line);
            st = SR_ERR_RANGE;
            goto cleanup;
        }
        if (n == cap) {
            if (cap >= (size_t)SR_TRACE_MAX_POINTS * 4) {
                sr_errf(err, err_size, "%s:%d:1: more than %d delivery opportunities", name, it.line,
                        SR_TRACE_MAX_POINTS * 4);
                st = SR_ERR_RANGE;
                goto cleanup;
            }
            size_t nc = cap ? cap * 2 : 1024;
            uint64_t *nt = realloc(ts, nc * sizeof *nt);
            if (!nt) {
                sr_errf(err, err_size, "%s: out of memory", name);
                st = SR_ERR_NOMEM;
                goto cleanup;
            }
            ts = nt;
            cap = nc;
        }
        ts[n++] = v;
        last_line = it.line;
        last_col = (int)a + 1;
    }
    if (n == 0) {
        sr_errf(err, err_size, "%s:%d:1: empty trace: no delivery timestamps", name,
                it.line > 0 ? it.line : 1);
        st = SR_ERR_INVALID;
        goto cleanup;
    }
    uint64_t period = ts[n - 1];
    if (period == 0) {
        sr_errf(err, err_size,
                "%s:%d:%d: the last timestamp is 0 ms: a mahimahi trace repeats with the period of its last "
                "timestamp, which must be > 0",
                name, last_line, last_col);
        st = SR_ERR_INVALID;
        goto cleanup;
    }
    uint64_t bw = (uint64_t)bin_ms;
    uint64_t nbins = period / bw + (period % bw != 0);
    if (nbins > (uint64_t)SR_TRACE_MAX_POINTS) {
        sr_errf(err, err_size,
                "%s:%d:%d: a period of %llu ms makes %llu bins of %lld ms (at most %d): use a "
                "wider bin",
                name, last_line, last_col, (unsigned long long)period, (unsigned long long)nbins,
                (long long)bin_ms, SR_TRACE_MAX_POINTS);
        st = SR_ERR_RANGE;
        goto cleanup;
    }
    counts = calloc((size_t)nbins, sizeof *counts);
    sr_trace *tr = counts ? trace_new(SR_TRACE_BANDWIDTH, (int)nbins) : NULL;
    if (!tr) {
        sr_errf(err, err_size, "%s: out of memory", name);
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++) {
        /* the opportunity at the period is the one at 0 of the next period (t mod P) */
        uint64_t b = (ts[i] == period ? 0 : ts[i]) / bw;
        counts[b]++;
    }
    for (uint64_t i = 0; i < nbins; i++) {
        uint64_t lo = i * bw, hi = (i + 1) * bw < period ? (i + 1) * bw : period;
        tr->times_s[i] = (double)lo / 1000.0;
        tr->values[i] = (double)counts[i] * SR_MAHIMAHI_MTU_BYTES * 8.0 / ((double)(hi - lo) / 1000.0);
    }
    tr->period_s = (double)period / 1000.0;
    *out = tr;
cleanup:
    free(ts);
    free(counts);
    return st;
}

sr_status sr_trace_read(const char *path, sr_trace_format fmt, sr_trace_kind kind, int64_t bin_ms,
                        sr_trace **out, char *err, size_t err_size)
{
    *out = NULL;
    if (fmt == SR_TRACE_MAHIMAHI && kind != SR_TRACE_BANDWIDTH) {
        sr_errf(err, err_size, "%s: a mahimahi trace gives a bandwidth, not a %s", path,
                sr_trace_kind_name(kind));
        return SR_ERR_INVALID;
    }
    uint8_t *data = NULL;
    size_t size = 0;
    sr_status rst = sr_file_read_max(path, SR_TRACE_MAX_BYTES, &data, &size);
    if (rst != SR_OK) {
        char why[160];
        sr_errf(err, err_size, "%s: cannot read: %s", path,
                sr_file_read_why(rst, errno, SR_TRACE_MAX_BYTES, "a trace", why, sizeof why));
        return rst; /* SR_ERR_IO: it cannot be opened */
    }
    sr_status st;
    switch (fmt) {
    case SR_TRACE_MAHIMAHI:
        st = sr_trace_parse_mahimahi(path, (const char *)data, size, bin_ms, out, err, err_size);
        break;
    case SR_TRACE_CSV:
        st = sr_trace_parse_csv(path, (const char *)data, size, kind, out, err, err_size);
        break;
    case SR_TRACE_FORMAT_COUNT:
    default:
        sr_errf(err, err_size, "%s: unknown trace format", path);
        st = SR_ERR_INVALID;
        break;
    }
    free(data);
    return st;
}

/* Index of the last point at or before t (t >= times_s[0]). */
static int seg_index(const sr_trace *t, double x)
{
    int lo = 0, hi = t->n - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (t->times_s[mid] <= x)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

double sr_trace_value_at(const sr_trace *t, double t_s, double before)
{
    if (t->period_s > 0 && t_s >= t->period_s) t_s = fmod(t_s, t->period_s);
    if (t_s < t->times_s[0]) return before;
    return t->values[seg_index(t, t_s)];
}

/* Integral from times_s[0] to x within one pass of the pattern (x <= period for looping traces). */
static double integral_from_start(const sr_trace *t, double x)
{
    if (x <= t->times_s[0]) return 0.0;
    double sum = 0.0;
    for (int i = 0; i < t->n; i++) {
        double a = t->times_s[i];
        if (a >= x) break;
        double b = i + 1 < t->n ? t->times_s[i + 1] : (t->period_s > 0 ? t->period_s : x);
        if (b > x) b = x;
        sum += t->values[i] * (b - a);
    }
    return sum;
}

static double cumulative(const sr_trace *t, double x)
{
    if (t->period_s <= 0) return integral_from_start(t, x);
    double k = floor(x / t->period_s);
    return k * integral_from_start(t, t->period_s) + integral_from_start(t, x - k * t->period_s);
}

double sr_trace_integral(const sr_trace *t, double t0_s, double t1_s)
{
    return cumulative(t, t1_s) - cumulative(t, t0_s);
}

sr_status sr_trace_parse_times(const char *name, const char *text, size_t len, double **times_s, int *n, char *err,
                               size_t err_size)
{
    *times_s = NULL;
    *n = 0;
    points p = {0};
    sr_status st = SR_OK;
    line_iter it = {text, len, 0, 0};
    const char *ls;
    size_t ln;
    int content = 0; /* lines with content so far (a header may only be the first) */
    char q[64];
    while (st == SR_OK && next_line(&it, &ls, &ln)) {
        size_t a = 0;
        while (a < ln && is_blank(ls[a]))
            a++;
        if (a == ln || ls[a] == '#') continue; /* blank or comment */
        size_t b = a;
        while (b < ln && ls[b] != ',' && ls[b] != '#' && !is_blank(ls[b]))
            b++;
        int first = content++ == 0;
        double v;
        if (parse_number(ls + a, b - a, &v) != 0) {
            if (first) continue; /* a header */
            quote_field(ls + a, b - a, q, sizeof q);
            sr_errf(err, err_size, "%s:%d:%d: expected a time in seconds, got '%s'", name, it.line, (int)a + 1, q);
            st = SR_ERR_PARSE;
        } else if (v < 0) {
            quote_field(ls + a, b - a, q, sizeof q);
            sr_errf(err, err_size, "%s:%d:%d: time %s is not a finite number >= 0", name, it.line, (int)a + 1, q);
            st = SR_ERR_RANGE;
        } else if (p.n > 0 && v < p.t[p.n - 1]) {
            quote_field(ls + a, b - a, q, sizeof q);
            sr_errf(err, err_size, "%s:%d:%d: time %s is before the previous arrival (%.9g): times must not decrease",
                    name, it.line, (int)a + 1, q, p.t[p.n - 1]);
            st = SR_ERR_RANGE;
        } else {
            int r = points_add(&p, v, 0.0);
            if (r == -1) {
                sr_errf(err, err_size, "%s: out of memory", name);
                st = SR_ERR_NOMEM;
            } else if (r == -2) {
                sr_errf(err, err_size, "%s:%d:1: more than %d arrivals", name, it.line, SR_TRACE_MAX_POINTS);
                st = SR_ERR_RANGE;
            }
        }
    }
    if (st == SR_OK && p.n == 0) {
        sr_errf(err, err_size, "%s:%d:1: no arrival time in the file", name, it.line > 0 ? it.line : 1);
        st = SR_ERR_INVALID;
    }
    free(p.v);
    if (st != SR_OK) {
        free(p.t);
        return st;
    }
    *times_s = p.t;
    *n = p.n;
    return SR_OK;
}
