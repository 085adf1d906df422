/* sr_report_util.c: the report's small helpers: string lists and buffers, output files, running gnuplot
 * (fork/exec, no shell), quoting for gnuplot, .dat and HTML, display units and human-readable numbers, the
 * t quantile of the confidence intervals, and opening a results database read-only. */
#define _GNU_SOURCE /* memmem */
#include "sr_report_internal.h"

#include "sr_file.h"
#include "sr_results.h"
#include "sr_results_read.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- containers ---- */

void sr_rep_strlist_free(sr_rep_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    memset(l, 0, sizeof *l);
}

long sr_rep_strlist_find(const sr_rep_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->s[i], s) == 0) return (long)i;
    return -1;
}

long sr_rep_strlist_push(sr_rep_strlist *l, const char *s)
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

long sr_rep_strlist_intern(sr_rep_strlist *l, const char *s)
{
    long i = sr_rep_strlist_find(l, s);
    return i >= 0 ? i : sr_rep_strlist_push(l, s);
}

void sr_rep_sbuf_printf(sr_rep_sbuf *b, const char *fmt, ...)
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
        size_t cap = b->cap ? b->cap : 64;
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

const char *sr_rep_sbuf_str(const sr_rep_sbuf *b)
{
    return b->s ? b->s : "";
}

void sr_rep_log(FILE *log, const char *fmt, ...)
{
    if (!log) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log, fmt, ap);
    va_end(ap);
}

/* ---- metrics and units ---- */

const sr_rep_metric sr_rep_metrics[SR_REP_N_METRICS] = {
    {"latency_p50_s", "median latency", SR_REP_Q_LATENCY},
    {"latency_p95_s", "95th-percentile latency", SR_REP_Q_LATENCY},
    {"throughput_fps", "throughput", SR_REP_Q_FPS},
    {"drop_rate", "dropped frames", SR_REP_Q_FRACTION},
    {"energy_total_j", "energy", SR_REP_Q_ENERGY},
    {"bytes_total", "bytes sent", SR_REP_Q_BYTES},
    {"bytes_per_frame", "bytes sent per frame", SR_REP_Q_BYTES},
    {"amplification", "bytes per frame / raw frame", SR_REP_Q_PLAIN},
    {"activation_snr_db", "activation SNR", SR_REP_Q_DB},
    {"output_rel_l2_mean", "output drift (relative L2)", SR_REP_Q_PLAIN}, /* exact mode */
    {"output_rel_l2", "output drift (relative L2)", SR_REP_Q_PLAIN},      /* model mode, codec table */
    {"top1_agreement", "top-1 agreement with uncompressed", SR_REP_Q_FRACTION},
};

void sr_rep_si_prefix(double max_abs, const char *base, int allow_small, double *mult, char *unit,
                      size_t size)
{
    static const struct {
        double p;
        const char *name;
    } prefixes[] = {{1e12, "T"}, {1e9, "G"},  {1e6, "M"},         {1e3, "k"},
                    {1, ""},     {1e-3, "m"}, {1e-6, "\xc2\xb5"}, {1e-9, "n"}};
    size_t n = sizeof prefixes / sizeof prefixes[0];
    size_t pick = 4; /* no prefix */
    if (isfinite(max_abs) && max_abs > 0) {
        for (size_t i = 0; i < n; i++) {
            if (!allow_small && prefixes[i].p < 1) break;
            pick = i;
            if (max_abs >= prefixes[i].p * 0.9995) break;
        }
        if (!allow_small && prefixes[pick].p < 1) pick = 4;
    }
    *mult = 1.0 / prefixes[pick].p;
    snprintf(unit, size, "%s%s", prefixes[pick].name, base);
}

void sr_rep_display_unit(sr_rep_qty q, double max_abs, double *mult, char *unit, size_t unit_size)
{
    switch (q) {
    case SR_REP_Q_LATENCY:
        *mult = 1e3;
        snprintf(unit, unit_size, "ms");
        return;
    case SR_REP_Q_FPS:
        *mult = 1;
        snprintf(unit, unit_size, "frames/s");
        return;
    case SR_REP_Q_FRACTION:
        *mult = 100;
        snprintf(unit, unit_size, "%%");
        return;
    case SR_REP_Q_ENERGY:
        sr_rep_si_prefix(max_abs, "J", 1, mult, unit, unit_size);
        return;
    case SR_REP_Q_BYTES:
        sr_rep_si_prefix(max_abs, "B", 0, mult, unit, unit_size);
        return;
    case SR_REP_Q_PLAIN:
        *mult = 1;
        unit[0] = '\0';
        return;
    case SR_REP_Q_DB:
        *mult = 1;
        snprintf(unit, unit_size, "dB");
        return;
    }
    *mult = 1;
    unit[0] = '\0';
}

void sr_rep_num(char *buf, size_t size, double v)
{
    double a = fabs(v);
    if (a >= 1000 && a < 1e6)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.3g", v);
}

void sr_rep_human(char *buf, size_t size, double v, sr_rep_qty q)
{
    if (isnan(v)) {
        snprintf(buf, size, "\xe2\x80\x93");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, "%s\xe2\x88\x9e", v < 0 ? "-" : "");
        return;
    }
    double mult = 1;
    char unit[24] = "";
    switch (q) {
    case SR_REP_Q_LATENCY:
        sr_rep_si_prefix(fabs(v), "s", 1, &mult, unit, sizeof unit);
        if (mult > 1e6) { /* below a microsecond: ns */
            mult = 1e9;
            snprintf(unit, sizeof unit, "ns");
        }
        break;
    case SR_REP_Q_FPS:
        snprintf(unit, sizeof unit, "fps");
        break;
    case SR_REP_Q_FRACTION:
        mult = 100;
        snprintf(unit, sizeof unit, "%%");
        break;
    case SR_REP_Q_ENERGY:
        sr_rep_si_prefix(fabs(v), "J", 1, &mult, unit, sizeof unit);
        break;
    case SR_REP_Q_BYTES:
        sr_rep_si_prefix(fabs(v), "B", 0, &mult, unit, sizeof unit);
        break;
    case SR_REP_Q_PLAIN:
        break;
    case SR_REP_Q_DB:
        snprintf(unit, sizeof unit, "dB");
        break;
    }
    char num[32];
    sr_rep_num(num, sizeof num, v * mult);
    snprintf(buf, size, "%s%s%s", num, unit[0] ? " " : "", unit);
}

void sr_rep_axis_value_text(const sr_rep_axis *a, size_t i, char *buf, size_t size)
{
    if (!a->numeric) {
        snprintf(buf, size, "%s", a->vals.s[i]);
        return;
    }
    char num[32];
    sr_rep_num(num, sizeof num, a->si[i] * a->mult);
    snprintf(buf, size, "%s%s%s", num, a->unit[0] ? " " : "", a->unit);
}

double sr_rep_t975(int df)
{
    return df >= 1 ? gsl_cdf_tdist_Pinv(0.975, (double)df) : NAN;
}

/* ---- files and quoting ---- */

/* dir/name followed by suffix ("" or SR_REP_PART); caller frees. */
static char *out_path(const char *dir, const char *name, const char *suffix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(suffix) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s", dir, name, suffix);
    return p;
}

FILE *sr_rep_open_out(const char *dir, const char *name, const char *who, FILE *log)
{
    char *p = out_path(dir, name, SR_REP_PART);
    if (!p) return NULL;
    FILE *f = fopen(p, "w");
    if (!f) sr_rep_log(log, "%s: cannot write %s: %s\n", who, p, strerror(errno));
    free(p);
    return f;
}

int sr_rep_remove_stale_parts(const char *dir, FILE *log)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    size_t k = strlen(SR_REP_PART);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= k || strcmp(de->d_name + len - k, SR_REP_PART) != 0) continue;
        char *p = out_path(dir, de->d_name, "");
        struct stat sb;
        if (p && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (unlink(p) == 0)
                n++;
            else
                sr_rep_log(log, "report: cannot remove the stale %s: %s\n", p, strerror(errno));
        }
        free(p);
    }
    closedir(d);
    return n;
}

sr_status sr_rep_close_out(FILE *f, const char *dir, const char *name, FILE *log)
{
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    char *part = out_path(dir, name, SR_REP_PART), *final = out_path(dir, name, "");
    sr_status st = SR_OK;
    if (!part || !final) {
        st = SR_ERR_NOMEM;
    } else if (bad) {
        sr_rep_log(log, "report: error writing %s (%s left as it was)\n", part, name);
        unlink(part);
        st = SR_ERR_IO;
    } else if (rename(part, final) != 0) {
        sr_rep_log(log, "report: cannot rename %s to %s: %s\n", part, name, strerror(errno));
        st = SR_ERR_IO;
    }
    free(part);
    free(final);
    return st;
}

void sr_rep_gp_quote(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
    }
    fputc('"', f);
}

/* Control characters become spaces and '"' becomes '\'', so a label can never start a new record or end
 * a quoted column early. */
void sr_rep_dat_text(FILE *f, const char *s)
{
    for (; *s; s++)
        fputc((unsigned char)*s < 0x20 ? ' ' : *s == '"' ? '\'' : *s, f);
}

char *sr_rep_sanitize(const char *s)
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

void sr_rep_html_esc(FILE *f, const char *s)
{
    sr_fputs_xml_escaped(s ? s : "", f);
}

/* ---- gnuplot ---- */

void sr_rep_pdf_date(sqlite3 *db, int64_t experiment_id, char date[15], FILE *log)
{
    date[0] = '\0';
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        char *end;
        errno = 0;
        long long t = strtoll(sde, &end, 10);
        struct tm tm;
        time_t tt = (time_t)t;
        if (!*end && !errno && t >= 0 && t <= 253402300799LL && gmtime_r(&tt, &tm))
            strftime(date, 15, "%Y%m%d%H%M%S", &tm);
        else
            sr_rep_log(
                log,
                "report: SOURCE_DATE_EPOCH='%s' is not a number of seconds from 1970 to 9999: the PDFs "
                "carry the time they are drawn\n",
                sde);
        return;
    }
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT max(finished_utc) FROM runs WHERE experiment_id = ?", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_bind_int64(q, 1, experiment_id) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(q, 0); /* 2026-01-31T12:00:00Z */
        int k = 0;
        for (; t && *t && k < 14; t++)
            if (*t >= '0' && *t <= '9') date[k++] = *t;
        date[k == 14 ? 14 : 0] = '\0';
    }
    sqlite3_finalize(q);
}

sr_status sr_rep_pdf_stamp(const char *path, const char *date, FILE *log)
{
    static const char key[] = "/CreationDate (D:";
    uint8_t *pdf = NULL;
    size_t n = 0;
    if (sr_file_read_max(path, (size_t)1 << 30, &pdf, &n) != SR_OK) {
        sr_rep_log(log, "report: cannot read %s to date it: %s\n", path, strerror(errno));
        return SR_ERR_IO;
    }
    sr_status st = SR_OK;
    const uint8_t *at = memmem(pdf, n, key, sizeof key - 1);
    size_t off = at ? (size_t)(at - pdf) + sizeof key - 1 : 0;
    int digits = at && off + 14 <= n;
    for (size_t i = 0; digits && i < 14; i++)
        digits = pdf[off + i] >= '0' && pdf[off + i] <= '9';
    if (digits) {
        int fd = open(path, O_WRONLY);
        if (fd < 0 || pwrite(fd, date, 14, (off_t)off) != 14) {
            sr_rep_log(log, "report: cannot date %s: %s\n", path, strerror(errno));
            st = SR_ERR_IO;
        }
        if (fd >= 0 && close(fd) != 0) st = SR_ERR_IO;
    }
    free(pdf);
    return st;
}

/* gnuplot drew every figure of scripts ("X.gp") as X.svg.part etc.: give them their names (the PDFs dated
 * with pdf_date first, when it has 14 digits). */
static sr_status rename_figures(const char *dir, const sr_rep_strlist *scripts, const char *pdf_date,
                                FILE *log)
{
    static const char *const exts[] = {".svg", ".pdf", ".png"};
    for (size_t i = 0; i < scripts->n; i++) {
        const char *gp = scripts->s[i];
        size_t stem = strlen(gp);
        if (stem > 3 && strcmp(gp + stem - 3, ".gp") == 0) stem -= 3;
        for (size_t k = 0; k < sizeof exts / sizeof *exts; k++) {
            char name[4096];
            snprintf(name, sizeof name, "%.*s%s", (int)stem, gp, exts[k]);
            char *part = out_path(dir, name, SR_REP_PART), *final = out_path(dir, name, "");
            if (part && !strcmp(exts[k], ".pdf") && pdf_date && strlen(pdf_date) == 14 &&
                sr_rep_pdf_stamp(part, pdf_date, log) != SR_OK) {
                free(part);
                free(final);
                return SR_ERR_IO;
            }
            int bad = !part || !final || rename(part, final) != 0;
            if (bad) sr_rep_log(log, "report: cannot rename %s%s: %s\n", name, SR_REP_PART, strerror(errno));
            free(part);
            free(final);
            if (bad) return SR_ERR_IO;
        }
    }
    return SR_OK;
}

sr_status sr_rep_run_gnuplot(const char *dir, const sr_rep_strlist *scripts, const char *pdf_date, FILE *log)
{
    if (scripts->n == 0) return SR_OK;
    char **argv = calloc(scripts->n + 2, sizeof *argv);
    if (!argv) return SR_ERR_NOMEM;
    argv[0] = (char *)"gnuplot";
    for (size_t i = 0; i < scripts->n; i++)
        argv[i + 1] = scripts->s[i];
    int fds[2];
    if (pipe(fds) != 0) {
        sr_rep_log(log, "report: pipe: %s\n", strerror(errno));
        free(argv);
        return SR_ERR_IO;
    }
    if (log) fflush(log);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(argv);
        sr_rep_log(log, "report: fork: %s\n", strerror(errno));
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
        setenv("SR_PART", SR_REP_PART, 1);
        execvp("gnuplot", argv);
        dprintf(STDERR_FILENO, "cannot run gnuplot: %s\n", strerror(errno));
        _exit(127);
    }
    free(argv);
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
            sr_rep_log(log, "report: waitpid: %s\n", strerror(errno));
            return SR_ERR_IO;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return rename_figures(dir, scripts, pdf_date, log);
    if (WIFEXITED(status))
        sr_rep_log(log, "report: gnuplot in %s failed with exit status %d:\n%s\n", dir, WEXITSTATUS(status),
                   buf);
    else
        sr_rep_log(log, "report: gnuplot in %s was killed by signal %d:\n%s\n", dir,
                   WIFSIGNALED(status) ? WTERMSIG(status) : 0, buf);
    return SR_ERR_IO;
}

/* ---- database ---- */

sr_status sr_rep_open_db(const char *who, const char *path, sqlite3 **out, FILE *log)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        sr_rep_log(log, "%s: %s: %s\n", who, path,
                   stat(path, &sb) != 0 ? "no such database file"
                                        : "not a regular file (a device, FIFO or directory is not a results database)");
        return SR_ERR_DB;
    }
    FILE *f = fopen(path, "rb");
    char head[16] = {0};
    size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    if (got != sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
        sr_rep_log(log, "%s: %s: not an SQLite database\n", who, path);
        return SR_ERR_DB;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sr_rep_log(log, "%s: %s: cannot open: %s\n", who, path, db ? sqlite3_errmsg(db) : "out of memory");
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
        sr_rep_log(log, "%s: %s: not a simrun results database (schema versions 1..%d)\n", who, path,
                   SR_RESULTS_SCHEMA_VERSION);
        sqlite3_close(db);
        return SR_ERR_DB;
    }
    char msg[1024];
    if (sr_results_check_values(db, version, path, msg, sizeof msg) != SR_OK) {
        sr_rep_log(log, "%s: %s\n", who, msg);
        sqlite3_close(db);
        return SR_ERR_DB;
    }
    *out = db;
    return SR_OK;
}
