/* sr_report.c: figures (gnuplot, SVG) and an index page from a results database.
 *
 * Reads the database only, opened read-only. For each experiment (by id), with its runs of status "ok":
 * - <hash>-latency-cdf.{dat,gp,svg}: the empirical CDF of the completed frames' latency, one curve per
 *   policy and sweep point (replications pooled), or per policy when there are more than
 *   SR_REPORT_CDF_CURVES such pairs. Above SR_REPORT_CDF_POINTS frames a curve is thinned to
 *   that many evenly spaced ranks (always keeping the first and the last), which is invisible at
 *   figure resolution and keeps the SVG small.
 * - <hash>-<metric>-vs-<param>.{dat,gp,svg}: each summary metric against each swept parameter (keys of
 *   the params JSON other than policy and replication), one line per policy (and per combination of the
 *   other swept parameters when there are several), the mean over replications with min/max error bars
 *   when some point has more than one replication. The x axis is numeric when every value of the
 *   parameter is a number with the same unit ("5.85Mbps", "500kbps": SI prefixes k M G T m u n and
 *   binary Ki Mi Gi Ti are understood), categorical (in sweep order) otherwise.
 * - index.html: per experiment its name, hash, YAML, a summary table (mean of the key metrics per policy
 *   and parameter combination), the failed runs, and every figure.
 * The .gp scripts stay next to the figures so a user can edit and re-run them (`cd out && gnuplot x.gp`).
 * gnuplot runs as an external program (fork/exec, no shell), in out_dir; a non-zero exit status is
 * SR_ERR_IO with gnuplot's stderr copied to the log. */
#include "sr_report.h"

#include "sr_file.h"
#include "sr_results.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define SR_REPORT_CDF_POINTS 1000
/* Above this many (policy, sweep point) pairs the CDF pools each policy's points into one curve. */
#define SR_REPORT_CDF_CURVES 12

/* The summary metrics drawn against every swept parameter and shown in the summary table. */
static const struct {
    const char *name;
    const char *label;
} k_metrics[] = {
    {"latency_p50_s", "median latency (s)"},     {"latency_p95_s", "95th percentile latency (s)"},
    {"throughput_fps", "throughput (frames/s)"}, {"drop_rate", "drop rate"},
    {"energy_total_j", "total energy (J)"},      {"bytes_total", "bytes sent (B)"},
    {"amplification", "bytes sent per frame / raw frame"},
    {"output_rel_l2_mean", "output drift (relative L2 vs uncompressed)"},
    {"top1_agreement", "top-1 agreement with uncompressed"},
};
#define N_METRICS (sizeof k_metrics / sizeof k_metrics[0])

/* ---- small containers ---------------------------------------------------------------------- */

typedef struct strlist {
    char **s;
    size_t n, cap;
} strlist;

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

static long strlist_find(const strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->s[i], s) == 0) return (long)i;
    return -1;
}

/* Appends a copy of s; returns its index, or -1 when out of memory. */
static long strlist_push(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **p = realloc(l->s, cap * sizeof *p);
        if (!p) return -1;
        l->s = p;
        l->cap = cap;
    }
    char *c = strdup(s);
    if (!c) return -1;
    l->s[l->n] = c;
    return (long)l->n++;
}

/* Index of s, appended when absent; -1 when out of memory. */
static long strlist_intern(strlist *l, const char *s)
{
    long i = strlist_find(l, s);
    return i >= 0 ? i : strlist_push(l, s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A growable text buffer (for labels and keys). */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sbuf;

static void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int need = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (need < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->n + (size_t)need < b->cap) {
            b->n += (size_t)need;
            return;
        }
        size_t cap = (b->cap ? b->cap : 64);
        while (cap <= b->n + (size_t)need)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
}

static const char *sbuf_str(const sbuf *b)
{
    return b->s ? b->s : "";
}

/* ---- the data of one experiment ---------------------------------------------------------- */

typedef struct run_row {
    int64_t id;
    char *policy;
    int replication;
    strlist pkeys, pvals; /* swept parameters as text, in JSON order */
    double m[N_METRICS];  /* NaN when absent */
} run_row;

typedef struct exp_data {
    int64_t id;
    char *name, *hash, *yaml, *base; /* base: file-name prefix */
    run_row *runs;
    size_t n_runs;
    strlist keys;     /* swept parameter names, sorted */
    int *key_varies;  /* per key: more than one distinct value among the ok runs */
    strlist policies; /* in order of first appearance */
    strlist figures, captions;
} exp_data;

static void exp_free(exp_data *e)
{
    for (size_t i = 0; i < e->n_runs; i++) {
        free(e->runs[i].policy);
        strlist_free(&e->runs[i].pkeys);
        strlist_free(&e->runs[i].pvals);
    }
    free(e->runs);
    free(e->name);
    free(e->hash);
    free(e->yaml);
    free(e->base);
    free(e->key_varies);
    strlist_free(&e->keys);
    strlist_free(&e->policies);
    strlist_free(&e->figures);
    strlist_free(&e->captions);
    memset(e, 0, sizeof *e);
}

static const char *param_of(const run_row *r, const char *key)
{
    long i = strlist_find(&r->pkeys, key);
    return i >= 0 ? r->pvals.s[i] : "(none)";
}

static void logf_(FILE *log, const char *fmt, ...)
{
    if (!log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
}

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return strdup(t ? (const char *)t : "");
}

/* Keeps [A-Za-z0-9._-], replaces anything else with '_' (file names). Caller frees. */
static char *sanitize(const char *s)
{
    char *o = strdup(s);
    if (!o) return NULL;
    for (char *p = o; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-'))
            *p = '_';
    }
    return o;
}

/* Loads the ok runs of experiment e->id with their parameters and summary metrics. */
static sr_status load_runs(sqlite3 *db, exp_data *e, FILE *log)
{
    sqlite3_stmt *qr = NULL, *qp = NULL, *qm = NULL;
    sr_status st = SR_OK;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, policy, replication, params FROM runs"
                           " WHERE experiment_id = ?1 AND status = 'ok' ORDER BY point_index, id",
                           -1, &qr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT key, value FROM json_each(?1) WHERE type NOT IN ('object', 'array')",
                           -1, &qp, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name, value FROM metrics WHERE run_id = ?1", -1, &qm, NULL) !=
            SQLITE_OK) {
        logf_(log, "report: cannot query the runs: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(qr, 1, e->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(qr)) == SQLITE_ROW) {
        if (e->n_runs == cap) {
            cap = cap ? 2 * cap : 64;
            run_row *p = realloc(e->runs, cap * sizeof *p);
            if (!p) {
                st = SR_ERR_NOMEM;
                goto done;
            }
            e->runs = p;
        }
        run_row *r = &e->runs[e->n_runs++];
        memset(r, 0, sizeof *r);
        for (size_t k = 0; k < N_METRICS; k++)
            r->m[k] = NAN;
        r->id = sqlite3_column_int64(qr, 0);
        r->policy = dup_col(qr, 1);
        r->replication = sqlite3_column_int(qr, 2);
        if (!r->policy || strlist_intern(&e->policies, r->policy) < 0) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        sqlite3_reset(qp);
        sqlite3_bind_value(qp, 1, sqlite3_column_value(qr, 3));
        while ((rc = sqlite3_step(qp)) == SQLITE_ROW) {
            const char *key = (const char *)sqlite3_column_text(qp, 0);
            const char *val = (const char *)sqlite3_column_text(qp, 1);
            if (!key || strcmp(key, "policy") == 0 || strcmp(key, "replication") == 0) continue;
            if (strlist_push(&r->pkeys, key) < 0 || strlist_push(&r->pvals, val ? val : "null") < 0 ||
                strlist_intern(&e->keys, key) < 0) {
                st = SR_ERR_NOMEM;
                goto done;
            }
        }
        if (rc != SQLITE_DONE) {
            logf_(log, "report: run %" PRId64 ": malformed params JSON: %s\n", r->id, sqlite3_errmsg(db));
            st = SR_ERR_DB;
            goto done;
        }
        sqlite3_reset(qm);
        sqlite3_bind_int64(qm, 1, r->id);
        while ((rc = sqlite3_step(qm)) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(qm, 0);
            for (size_t k = 0; name && k < N_METRICS; k++)
                if (strcmp(name, k_metrics[k].name) == 0 && sqlite3_column_type(qm, 1) != SQLITE_NULL)
                    r->m[k] = sqlite3_column_double(qm, 1);
        }
        if (rc != SQLITE_DONE) {
            st = SR_ERR_DB;
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        logf_(log, "report: cannot read the runs: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    if (e->keys.n) qsort(e->keys.s, e->keys.n, sizeof *e->keys.s, cmp_str);
    e->key_varies = calloc(e->keys.n ? e->keys.n : 1, sizeof *e->key_varies);
    if (!e->key_varies) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < e->keys.n; k++)
        for (size_t i = 1; i < e->n_runs && !e->key_varies[k]; i++)
            if (strcmp(param_of(&e->runs[i], e->keys.s[k]), param_of(&e->runs[0], e->keys.s[k])) != 0)
                e->key_varies[k] = 1;
done:
    sqlite3_finalize(qr);
    sqlite3_finalize(qp);
    sqlite3_finalize(qm);
    return st;
}

/* ---- quantities ------------------------------------------------------------------------------ */

/* Parses "5.85Mbps" into 5.85e6 and base unit "bps". Returns 0 on success, -1 when s is not a finite
 * number optionally followed by a unit made of letters, '/', '%' or '_'. */
static int parse_quantity(const char *s, double *value, char *base, size_t base_size)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return -1;
    while (*end == ' ')
        end++;
    size_t len = strlen(end);
    while (len && end[len - 1] == ' ')
        len--;
    for (size_t i = 0; i < len; i++) {
        char c = end[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '%' || c == '_'))
            return -1;
    }
    double mult = 1;
    size_t skip = 0;
    static const struct {
        const char *prefix;
        double mult;
    } prefixes[] = {
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0}, {"Ti", 1099511627776.0},
        {"k", 1e3},     {"K", 1e3},        {"M", 1e6},           {"G", 1e9},
        {"T", 1e12},    {"m", 1e-3},       {"u", 1e-6},          {"n", 1e-9},
    };
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t pl = strlen(prefixes[i].prefix);
        if (len > pl && strncmp(end, prefixes[i].prefix, pl) == 0) {
            mult = prefixes[i].mult;
            skip = pl;
            break;
        }
    }
    if (len - skip >= base_size) return -1;
    memcpy(base, end + skip, len - skip);
    base[len - skip] = '\0';
    *value = v * mult;
    return 0;
}

/* ---- running gnuplot ----------------------------------------------------------------------- */

/* Runs `gnuplot script` in dir; SR_ERR_IO (with gnuplot's stderr in the log) unless it exits 0. */
static sr_status run_gnuplot(const char *dir, const char *script, FILE *log)
{
    int fds[2];
    if (pipe(fds) != 0) {
        logf_(log, "report: pipe: %s\n", strerror(errno));
        return SR_ERR_IO;
    }
    if (log) fflush(log);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        logf_(log, "report: fork: %s\n", strerror(errno));
        return SR_ERR_IO;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDERR_FILENO);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[1]);
        if (chdir(dir) != 0) {
            dprintf(STDERR_FILENO, "cannot enter %s: %s\n", dir, strerror(errno));
            _exit(126);
        }
        char *argv[] = {"gnuplot", (char *)script, NULL};
        execvp("gnuplot", argv);
        dprintf(STDERR_FILENO, "cannot run gnuplot: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    char buf[16384];
    size_t n = 0;
    for (;;) {
        char chunk[4096];
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        size_t take = (size_t)got;
        if (take > sizeof buf - 1 - n) take = sizeof buf - 1 - n;
        memcpy(buf + n, chunk, take);
        n += take;
    }
    buf[n] = '\0';
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            logf_(log, "report: waitpid: %s\n", strerror(errno));
            return SR_ERR_IO;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return SR_OK;
    if (WIFEXITED(status))
        logf_(log, "report: gnuplot %s/%s failed with exit status %d:\n%s\n", dir, script,
              WEXITSTATUS(status), buf);
    else
        logf_(log, "report: gnuplot %s/%s was killed by signal %d:\n%s\n", dir, script,
              WIFSIGNALED(status) ? WTERMSIG(status) : 0, buf);
    return SR_ERR_IO;
}

/* Writes s as a double-quoted gnuplot string. */
static void gp_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if (*s == '\n' || *s == '\r')
            fputc(' ', f);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes free text into a data file: control characters become spaces and '"' becomes '\'', so a
 * label can never start a new record or end a quoted column early. */
static void dat_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s == '"' ? '\'' : *s, f);
}

static FILE *open_out(const char *dir, const char *name, FILE *log)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) return NULL;
    snprintf(p, n, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f) logf_(log, "report: cannot write %s: %s\n", p, strerror(errno));
    free(p);
    return f;
}

static sr_status close_out(FILE *f, const char *name, FILE *log)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        logf_(log, "report: error writing %s\n", name);
        return SR_ERR_IO;
    }
    return SR_OK;
}

static void gp_header(FILE *g, const char *svg, const char *title)
{
    fprintf(g, "# Generated by simrun's report; edit and run `gnuplot %s` here to redraw.\n", "<this file>");
    fprintf(g, "set terminal svg size 900,540 dynamic noenhanced font \"sans,12\" background \"white\"\n");
    fprintf(g, "set output '%s'\n", svg);
    fprintf(g, "set title ");
    gp_quote(g, title);
    fprintf(g, "\nset grid\nset key outside right top\n");
}

/* Draws the script `stem.gp` (already written) and records the figure. */
static sr_status draw(exp_data *e, const char *out_dir, const char *stem, const char *caption, FILE *log)
{
    char script[512], svg[512];
    snprintf(script, sizeof script, "%s.gp", stem);
    snprintf(svg, sizeof svg, "%s.svg", stem);
    sr_status st = run_gnuplot(out_dir, script, log);
    if (st) return st;
    if (strlist_push(&e->figures, svg) < 0 || strlist_push(&e->captions, caption) < 0) return SR_ERR_NOMEM;
    logf_(log, "report: wrote %s/%s\n", out_dir, svg);
    return SR_OK;
}

/* ---- figure 1: latency CDF per policy ---------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static sr_status figure_cdf(sqlite3 *db, exp_data *e, const char *out_dir, FILE *log)
{
    char stem[300];
    snprintf(stem, sizeof stem, "%s-latency-cdf", e->base);
    sqlite3_stmt *q = NULL;
    /* One curve per policy and sweep point (replications pooled); with too many points, one per policy. */
#define SR_POINT_EXPR                                                                                        \
    "coalesce((SELECT group_concat(key || '=' || value, ', ') FROM json_each(r.params)"                    \
    " WHERE key NOT IN ('policy', 'replication')), '')"
    strlist cpol = {0}, cpt = {0};
    sqlite3_stmt *gq = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT r.policy, " SR_POINT_EXPR " AS pt FROM runs r WHERE r.experiment_id = ?1"
                           " AND r.status = 'ok' GROUP BY r.policy, pt ORDER BY min(r.point_index)",
                           -1, &gq, NULL) != SQLITE_OK) {
        logf_(log, "report: cannot query runs: %s\n", sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    sqlite3_bind_int64(gq, 1, e->id);
    while (sqlite3_step(gq) == SQLITE_ROW) {
        if (strlist_push(&cpol, (const char *)sqlite3_column_text(gq, 0)) < 0 ||
            strlist_push(&cpt, (const char *)sqlite3_column_text(gq, 1)) < 0)
            break;
    }
    sqlite3_finalize(gq);
    int per_point = cpol.n <= SR_REPORT_CDF_CURVES;
    if (!per_point) {
        strlist_free(&cpol);
        strlist_free(&cpt);
        for (size_t p = 0; p < e->policies.n; p++)
            if (strlist_push(&cpol, e->policies.s[p]) < 0 || strlist_push(&cpt, "") < 0) break;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT f.latency_s FROM frames f JOIN runs r ON r.id = f.run_id"
                           " WHERE r.experiment_id = ?1 AND r.status = 'ok' AND r.policy = ?2"
                           " AND (?4 = 0 OR " SR_POINT_EXPR " = ?3)"
                           " AND f.dropped = 0 AND f.latency_s IS NOT NULL",
                           -1, &q, NULL) != SQLITE_OK) {
        logf_(log, "report: cannot query frames: %s\n", sqlite3_errmsg(db));
        strlist_free(&cpol);
        strlist_free(&cpt);
        return SR_ERR_DB;
    }
#undef SR_POINT_EXPR
    char name[320];
    snprintf(name, sizeof name, "%s.dat", stem);
    FILE *d = open_out(out_dir, name, log);
    if (!d) {
        sqlite3_finalize(q);
        return SR_ERR_IO;
    }
    sr_status st = SR_OK;
    double *lat = NULL;
    size_t cap = 0;
    int n_blocks = 0;
    strlist titles = {0};
    fprintf(d,
            "# latency CDF of completed frames, experiment %s; one block per curve\n# latency_ms fraction\n",
            e->hash);
    for (size_t p = 0; p < cpol.n && !st; p++) {
        size_t n = 0;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, e->id);
        sqlite3_bind_text(q, 2, cpol.s[p], -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, cpt.s[p], -1, SQLITE_STATIC);
        sqlite3_bind_int(q, 4, per_point);
        char label[512];
        snprintf(label, sizeof label, "%s%s%s%s", cpol.s[p], cpt.s[p][0] ? " (" : "", cpt.s[p],
                 cpt.s[p][0] ? ")" : "");
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 1024;
                double *np = realloc(lat, cap * sizeof *np);
                if (!np) {
                    st = SR_ERR_NOMEM;
                    break;
                }
                lat = np;
            }
            lat[n++] = sqlite3_column_double(q, 0);
        }
        if (!st && rc != SQLITE_DONE) {
            logf_(log, "report: cannot read frames: %s\n", sqlite3_errmsg(db));
            st = SR_ERR_DB;
        }
        if (st || n == 0) continue;
        qsort(lat, n, sizeof *lat, cmp_double);
        if (n_blocks) fprintf(d, "\n\n");
        fputs("# ", d);
        dat_text(d, label);
        fprintf(d, ": %zu frames\n", n);
        size_t pts = n <= SR_REPORT_CDF_POINTS ? n : SR_REPORT_CDF_POINTS;
        for (size_t k = 0; k < pts; k++) {
            size_t i = pts == n ? k : (size_t)((double)k * (double)(n - 1) / (double)(pts - 1) + 0.5);
            fprintf(d, "%.9g %.9g\n", lat[i] * 1e3, (double)(i + 1) / (double)n);
        }
        if (strlist_push(&titles, label) < 0) st = SR_ERR_NOMEM;
        n_blocks++;
    }
    strlist_free(&cpol);
    strlist_free(&cpt);
    free(lat);
    sqlite3_finalize(q);
    sr_status cst = close_out(d, name, log);
    if (!st) st = cst;
    if (st || n_blocks == 0) {
        if (!st) {
            logf_(log, "report: experiment %s has no completed frames recorded; no latency CDF\n", e->hash);
            char *p = malloc(strlen(out_dir) + strlen(name) + 2);
            if (p) {
                sprintf(p, "%s/%s", out_dir, name);
                remove(p);
                free(p);
            }
        }
        strlist_free(&titles);
        return st;
    }

    snprintf(name, sizeof name, "%s.gp", stem);
    FILE *g = open_out(out_dir, name, log);
    if (!g) {
        strlist_free(&titles);
        return SR_ERR_IO;
    }
    char title[600], svg[320];
    snprintf(title, sizeof title, "%s: latency CDF (completed frames)", e->name);
    snprintf(svg, sizeof svg, "%s.svg", stem);
    gp_header(g, svg, title);
    fprintf(g, "set xlabel \"latency (ms)\"\nset ylabel \"fraction of frames\"\nset yrange [0:1.02]\n");
    fprintf(g, "plot ");
    for (size_t b = 0; b < titles.n; b++) {
        fprintf(g, "%s'%s.dat' index %zu using 1:2 with steps lw 2 title ", b ? ", \\\n     " : "", stem, b);
        gp_quote(g, titles.s[b]);
    }
    fprintf(g, "\n");
    strlist_free(&titles);
    st = close_out(g, name, log);
    if (st) return st;
    return draw(e, out_dir, stem, "latency CDF per policy", log);
}

/* ---- figure 2: metric vs swept parameter ------------------------------------------------- */

typedef struct cell {
    double sum, min, max;
    int n;
} cell;

static sr_status figure_metric(exp_data *e, size_t key, size_t metric, const char *out_dir, FILE *log)
{
    const char *pname = e->keys.s[key];
    sr_status st = SR_OK;
    strlist xs = {0}, series = {0};
    double *xval = NULL;
    size_t *order = NULL;
    cell *cells = NULL;
    int *run_x = NULL, *run_s = NULL;
    sbuf lab = {0};
    char base_unit[32] = "";
    int numeric = 1;
    FILE *d = NULL, *g = NULL;
    char *pfile = sanitize(pname);
    if (!pfile) return SR_ERR_NOMEM;
    char stem[400], name[420];
    snprintf(stem, sizeof stem, "%s-%s-vs-%s", e->base, k_metrics[metric].name, pfile);
    free(pfile);

    run_x = malloc((e->n_runs ? e->n_runs : 1) * sizeof *run_x);
    run_s = malloc((e->n_runs ? e->n_runs : 1) * sizeof *run_s);
    if (!run_x || !run_s) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    int any = 0;
    for (size_t i = 0; i < e->n_runs; i++) {
        const run_row *r = &e->runs[i];
        lab.n = 0;
        sbuf_printf(&lab, "%s", r->policy);
        for (size_t k = 0; k < e->keys.n; k++)
            if (k != key && e->key_varies[k])
                sbuf_printf(&lab, " %s=%s", e->keys.s[k], param_of(r, e->keys.s[k]));
        long xi = strlist_intern(&xs, param_of(r, pname));
        long si = lab.oom ? -1 : strlist_intern(&series, sbuf_str(&lab));
        if (xi < 0 || si < 0) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        run_x[i] = (int)xi;
        run_s[i] = (int)si;
        if (!isnan(r->m[metric])) any = 1;
    }
    if (!any) {
        logf_(log, "report: experiment %s: no values of %s; skipping %s\n", e->hash, k_metrics[metric].name,
              stem);
        goto done;
    }
    /* Numeric x when every value is a quantity in one base unit. */
    xval = malloc(xs.n * sizeof *xval);
    order = malloc(xs.n * sizeof *order);
    cells = calloc(xs.n * series.n, sizeof *cells);
    if (!xval || !order || !cells) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t x = 0; x < xs.n; x++) {
        char unit[32];
        if (parse_quantity(xs.s[x], &xval[x], unit, sizeof unit) != 0 ||
            (x > 0 && strcmp(unit, base_unit) != 0)) {
            numeric = 0;
            break;
        }
        if (x == 0) snprintf(base_unit, sizeof base_unit, "%s", unit);
    }
    for (size_t x = 0; x < xs.n; x++) {
        order[x] = x;
        if (!numeric) xval[x] = (double)x;
    }
    if (numeric) { /* insertion sort of the x indexes by value (few values) */
        for (size_t a = 1; a < xs.n; a++)
            for (size_t b = a; b > 0 && xval[order[b - 1]] > xval[order[b]]; b--) {
                size_t t = order[b];
                order[b] = order[b - 1];
                order[b - 1] = t;
            }
    }
    for (size_t i = 0; i < e->n_runs; i++) {
        double v = e->runs[i].m[metric];
        if (isnan(v)) continue;
        cell *c = &cells[(size_t)run_s[i] * xs.n + (size_t)run_x[i]];
        if (c->n == 0 || v < c->min) c->min = v;
        if (c->n == 0 || v > c->max) c->max = v;
        c->sum += v;
        c->n++;
    }
    int errorbars = 0, nonneg = 1;
    for (size_t i = 0; i < xs.n * series.n; i++) {
        if (cells[i].n > 1) errorbars = 1;
        if (cells[i].n > 0 && cells[i].min < 0) nonneg = 0;
    }

    snprintf(name, sizeof name, "%s.dat", stem);
    d = open_out(out_dir, name, log);
    if (!d) {
        st = SR_ERR_IO;
        goto done;
    }
    fprintf(d, "# %s vs %s, experiment %s; one block per series\n", k_metrics[metric].name, pname, e->hash);
    fprintf(d, "# x mean min max n x_label\n");
    int *block_of = calloc(series.n, sizeof *block_of);
    if (!block_of) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    int n_blocks = 0;
    for (size_t s = 0; s < series.n; s++) {
        block_of[s] = -1;
        int has = 0;
        for (size_t x = 0; x < xs.n; x++)
            has |= cells[s * xs.n + x].n > 0;
        if (!has) continue;
        fprintf(d, "%s# series ", n_blocks ? "\n\n" : "");
        dat_text(d, series.s[s]);
        fputc('\n', d);
        for (size_t oi = 0; oi < xs.n; oi++) {
            size_t x = order[oi];
            const cell *c = &cells[s * xs.n + x];
            if (!c->n) continue;
            fprintf(d, "%.17g %.17g %.17g %.17g %d \"", xval[x], c->sum / c->n, c->min, c->max, c->n);
            dat_text(d, xs.s[x]);
            fputs("\"\n", d);
        }
        block_of[s] = n_blocks++;
    }
    st = close_out(d, name, log);
    d = NULL;
    if (st) {
        free(block_of);
        goto done;
    }

    snprintf(name, sizeof name, "%s.gp", stem);
    g = open_out(out_dir, name, log);
    if (!g) {
        free(block_of);
        st = SR_ERR_IO;
        goto done;
    }
    char title[600], svg[420], xlabel[300];
    snprintf(title, sizeof title, "%s: %s vs %s%s", e->name, k_metrics[metric].name, pname,
             errorbars ? " (mean, min-max over replications)" : "");
    snprintf(svg, sizeof svg, "%s.svg", stem);
    if (numeric && base_unit[0])
        snprintf(xlabel, sizeof xlabel, "%s (%s)", pname, base_unit);
    else
        snprintf(xlabel, sizeof xlabel, "%s", pname);
    gp_header(g, svg, title);
    fprintf(g, "set xlabel ");
    gp_quote(g, xlabel);
    fprintf(g, "\nset ylabel ");
    gp_quote(g, k_metrics[metric].label);
    if (nonneg) /* every summary metric is >= 0: start the axis at 0 rather than at an arbitrary value */
        fprintf(g, "\nset offsets graph 0.05, graph 0.05, graph 0.05, 0\nset yrange [0:*]\n");
    else
        fprintf(g, "\nset offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n");
    if (numeric) {
        double lo = xval[order[0]], hi = xval[order[xs.n - 1]];
        if (lo > 0 && hi / lo >= 100) fprintf(g, "set logscale x\n");
        if (xs.n <= 12) { /* tics at the swept values, labelled as written in the experiment */
            fprintf(g, "set xtics (");
            for (size_t oi = 0; oi < xs.n; oi++) {
                if (oi) fprintf(g, ", ");
                gp_quote(g, xs.s[order[oi]]);
                fprintf(g, " %.17g", xval[order[oi]]);
            }
            fprintf(g, ")\n");
        } else if (base_unit[0]) {
            fprintf(g, "set format x \"%%.2s%%c\"\n");
        }
    } else {
        fprintf(g, "set xtics (");
        for (size_t x = 0; x < xs.n; x++) {
            if (x) fprintf(g, ", ");
            gp_quote(g, xs.s[x]);
            fprintf(g, " %zu", x);
        }
        fprintf(g, ")\nset xrange [-0.5:%zu.5]\n", xs.n - 1);
    }
    fprintf(g, "plot ");
    for (size_t s = 0; s < series.n; s++) {
        if (block_of[s] < 0) continue;
        fprintf(g, "%s'%s.dat' index %d using 1:2%s with %s lw 2 pt 7 ps 0.8 title ",
                block_of[s] ? ", \\\n     " : "", stem, block_of[s], errorbars ? ":3:4" : "",
                errorbars ? "yerrorlines" : "linespoints");
        gp_quote(g, series.s[s]);
    }
    fprintf(g, "\n");
    free(block_of);
    st = close_out(g, name, log);
    g = NULL;
    if (st) goto done;
    char caption[400];
    snprintf(caption, sizeof caption, "%s vs %s", k_metrics[metric].name, pname);
    st = draw(e, out_dir, stem, caption, log);

done:
    if (d) fclose(d);
    if (g) fclose(g);
    strlist_free(&xs);
    strlist_free(&series);
    free(xval);
    free(order);
    free(cells);
    free(run_x);
    free(run_s);
    free(lab.s);
    return st;
}

/* ---- index.html ------------------------------------------------------------------------------ */

static void html_esc(FILE *f, const char *s)
{
    sr_fputs_xml_escaped(s, f);
}

static void html_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("<td>&ndash;</td>", f);
    else
        fprintf(f, "<td>%.4g</td>", v);
}

static sr_status html_experiment(sqlite3 *db, FILE *h, exp_data *e)
{
    fputs("<section>\n<h2>", h);
    html_esc(h, e->name);
    fputs("</h2>\n<p>hash <code>", h);
    html_esc(h, e->hash);
    fprintf(h, "</code>; %zu successful runs</p>\n<details><summary>experiment YAML</summary><pre>",
            e->n_runs);
    html_esc(h, e->yaml);
    fputs("</pre></details>\n", h);

    /* Summary table: one row per policy and parameter combination (replications averaged). */
    strlist rows = {0};
    sbuf key = {0};
    int *row_of = malloc((e->n_runs ? e->n_runs : 1) * sizeof *row_of);
    if (!row_of) return SR_ERR_NOMEM;
    for (size_t i = 0; i < e->n_runs; i++) {
        key.n = 0;
        sbuf_printf(&key, "%s", e->runs[i].policy);
        for (size_t k = 0; k < e->keys.n; k++)
            sbuf_printf(&key, "\x1f%s", param_of(&e->runs[i], e->keys.s[k]));
        long r = key.oom ? -1 : strlist_intern(&rows, sbuf_str(&key));
        if (r < 0) {
            free(row_of);
            free(key.s);
            strlist_free(&rows);
            return SR_ERR_NOMEM;
        }
        row_of[i] = (int)r;
    }
    free(key.s);
    fputs("<table>\n<tr><th>policy</th>", h);
    for (size_t k = 0; k < e->keys.n; k++) {
        fputs("<th>", h);
        html_esc(h, e->keys.s[k]);
        fputs("</th>", h);
    }
    fputs("<th>runs</th>", h);
    for (size_t m = 0; m < N_METRICS; m++) {
        fputs("<th>", h);
        html_esc(h, k_metrics[m].name);
        fputs("</th>", h);
    }
    fputs("</tr>\n", h);
    for (size_t r = 0; r < rows.n; r++) {
        size_t first = 0;
        int n = 0;
        double sum[N_METRICS] = {0};
        int cnt[N_METRICS] = {0};
        for (size_t i = 0; i < e->n_runs; i++) {
            if (row_of[i] != (int)r) continue;
            if (n++ == 0) first = i;
            for (size_t m = 0; m < N_METRICS; m++)
                if (!isnan(e->runs[i].m[m])) {
                    sum[m] += e->runs[i].m[m];
                    cnt[m]++;
                }
        }
        fputs("<tr><td>", h);
        html_esc(h, e->runs[first].policy);
        fputs("</td>", h);
        for (size_t k = 0; k < e->keys.n; k++) {
            fputs("<td>", h);
            html_esc(h, param_of(&e->runs[first], e->keys.s[k]));
            fputs("</td>", h);
        }
        fprintf(h, "<td>%d</td>", n);
        for (size_t m = 0; m < N_METRICS; m++)
            html_num(h, cnt[m] ? sum[m] / cnt[m] : NAN);
        fputs("</tr>\n", h);
    }
    fputs("</table>\n", h);
    free(row_of);
    strlist_free(&rows);

    /* Failed runs. */
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT point_index, policy, params, ifnull(error, '') FROM runs"
                           " WHERE experiment_id = ?1 AND status = 'failed' ORDER BY point_index",
                           -1, &q, NULL) != SQLITE_OK)
        return SR_ERR_DB;
    sqlite3_bind_int64(q, 1, e->id);
    int n_failed = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n_failed++ == 0)
            fputs("<h3>failed "
                  "runs</h3>\n<table>\n<tr><th>point</th><th>policy</th><th>params</th><th>error</th></tr>\n",
                  h);
        fprintf(h, "<tr><td>%d</td><td>", sqlite3_column_int(q, 0));
        html_esc(h, (const char *)sqlite3_column_text(q, 1));
        fputs("</td><td><code>", h);
        html_esc(h, (const char *)sqlite3_column_text(q, 2));
        fputs("</code></td><td>", h);
        html_esc(h, (const char *)sqlite3_column_text(q, 3));
        fputs("</td></tr>\n", h);
    }
    if (n_failed) fputs("</table>\n", h);
    sqlite3_finalize(q);

    for (size_t i = 0; i < e->figures.n; i++) {
        fputs("<figure><img src=\"", h);
        html_esc(h, e->figures.s[i]);
        fputs("\" alt=\"", h);
        html_esc(h, e->captions.s[i]);
        fputs("\"><figcaption>", h);
        html_esc(h, e->captions.s[i]);
        fputs("</figcaption></figure>\n", h);
    }
    fputs("</section>\n", h);
    return SR_OK;
}

/* ---- entry point ------------------------------------------------------------------------------ */

static sr_status make_dir(const char *path, FILE *log)
{
    char *p = strdup(path);
    if (!p) return SR_ERR_NOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            logf_(log, "report: cannot create %s: %s\n", p, strerror(errno));
            free(p);
            return SR_ERR_IO;
        }
        *s = '/';
    }
    free(p);
    struct stat sb;
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        logf_(log, "report: cannot create %s: %s\n", path, strerror(errno));
        return SR_ERR_IO;
    }
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        logf_(log, "report: %s is not a directory\n", path);
        return SR_ERR_IO;
    }
    return SR_OK;
}

/* Opens path read-only after checking that it is a simrun results database. */
static sr_status open_db(const char *db_path, sqlite3 **out, FILE *log)
{
    *out = NULL;
    struct stat sb;
    if (stat(db_path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        logf_(log, "report: %s: no such database file\n", db_path);
        return SR_ERR_DB;
    }
    FILE *f = fopen(db_path, "rb");
    char head[16] = {0};
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    if (got != sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
        logf_(log, "report: %s: not an SQLite database\n", db_path);
        return SR_ERR_DB;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        logf_(log, "report: %s: cannot open: %s\n", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return SR_ERR_DB;
    }
    sqlite3_busy_timeout(db, 60000);
    sqlite3_stmt *q = NULL;
    int version = 0;
    if (sqlite3_prepare_v2(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'", -1, &q,
                           NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        version = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    if (version < 1 || version > SR_RESULTS_SCHEMA_VERSION) {
        logf_(log, "report: %s: not a simrun results database (schema versions 1..%d)\n", db_path,
              SR_RESULTS_SCHEMA_VERSION);
        sqlite3_close(db);
        return SR_ERR_DB;
    }
    *out = db;
    return SR_OK;
}

sr_status sr_report_generate(const char *db_path, const char *out_dir, FILE *log)
{
    if (!db_path || !out_dir || !out_dir[0]) return SR_ERR_INVALID;
    sqlite3 *db = NULL;
    sr_status st = open_db(db_path, &db, log);
    if (st) return st;
    FILE *h = NULL;
    sqlite3_stmt *qe = NULL;
    exp_data e;
    memset(&e, 0, sizeof e);
    st = make_dir(out_dir, log);
    if (st) goto done;
    h = open_out(out_dir, "index.html", log);
    if (!h) {
        st = SR_ERR_IO;
        goto done;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>simrun report</title>\n"
          "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
          "td,th{border:1px solid #bbb;padding:2px 6px;text-align:right}th{background:#eee}"
          "figure{display:inline-block;margin:1em}img{max-width:900px}pre{background:#f6f6f6;padding:1em}"
          "</style></head><body>\n<h1>simrun report</h1>\n<p>database <code>",
          h);
    html_esc(h, db_path);
    fputs("</code></p>\n", h);
    if (sqlite3_prepare_v2(db, "SELECT id, name, hash, yaml FROM experiments ORDER BY id", -1, &qe, NULL) !=
        SQLITE_OK) {
        logf_(log, "report: %s: %s\n", db_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    int n_exp = 0;
    while (sqlite3_step(qe) == SQLITE_ROW) {
        e.id = sqlite3_column_int64(qe, 0);
        e.name = dup_col(qe, 1);
        e.hash = dup_col(qe, 2);
        e.yaml = dup_col(qe, 3);
        if (!e.name || !e.hash || !e.yaml) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        if (e.hash[0]) {
            e.base = sanitize(e.hash);
        } else {
            char b[32];
            snprintf(b, sizeof b, "exp%" PRId64, e.id);
            e.base = strdup(b);
        }
        if (!e.base) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        logf_(log, "report: experiment %s (%s)\n", e.name, e.hash);
        st = load_runs(db, &e, log);
        if (!st) st = figure_cdf(db, &e, out_dir, log);
        for (size_t k = 0; k < e.keys.n && !st; k++)
            for (size_t m = 0; m < N_METRICS && !st; m++)
                st = figure_metric(&e, k, m, out_dir, log);
        if (!st) st = html_experiment(db, h, &e);
        if (st) goto done;
        exp_free(&e);
        n_exp++;
    }
    if (n_exp == 0) fputs("<p>The database holds no experiment yet.</p>\n", h);
    fputs("</body></html>\n", h);
    st = close_out(h, "index.html", log);
    h = NULL;
    if (!st) logf_(log, "report: wrote %s/index.html (%d experiments)\n", out_dir, n_exp);
done:
    if (h) fclose(h);
    exp_free(&e);
    sqlite3_finalize(qe);
    sqlite3_close(db);
    return st;
}
