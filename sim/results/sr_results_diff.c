/* sr_results_diff.c: compares two runs, possibly in two databases attached to one connection (see
 * sr_results_internal.h). Used by simrun merge (are two copies of a point the same?) and simrun check (did a
 * result move?).
 *
 * Wall-clock values are never compared: runs.wall_s, runs.finished_utc and metrics whose name ends in
 * "wall_s". Child tables are matched on their natural keys (frames: source, frame; frame_tasks: source,
 * frame, task; links and hosts: name) with a FULL JOIN, so a row present on one side only is a difference
 * too. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_results.h"
#include "sr_results_internal.h"

/* Percent-encodes path for a file: URI (RFC 3986 unreserved characters and '/' stay as they are). */
static int uri_escape(const char *path, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~/", *p);
        if (o + 4 >= size) return -1;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
}

sr_status sr_results_attach_ro(sqlite3 *db, const char *path, const char *alias, char *err, size_t err_size)
{
    char esc[4096], uri[4200];
    if (uri_escape(path, esc, sizeof esc) != 0) {
        sr_errf(err, err_size, "%s: path too long", path);
        return SR_ERR_INVALID;
    }
    snprintf(uri, sizeof uri, "file:%s?mode=ro", esc);
    sqlite3_stmt *s = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "ATTACH DATABASE ?1 AS %s", alias);
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE && rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot open read-only: %s", path, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    return SR_OK;
}

/* A column value as text for a report: doubles with 17 significant digits (so that two different doubles
 * never print the same), NULL as "NULL". */
static void value_text(sqlite3_stmt *s, int col, char *out, size_t size)
{
    switch (sqlite3_column_type(s, col)) {
    case SQLITE_NULL:
        snprintf(out, size, "NULL");
        break;
    case SQLITE_FLOAT:
        snprintf(out, size, "%.17g", sqlite3_column_double(s, col));
        break;
    default:
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(s, col));
        break;
    }
}

static int is_number(sqlite3_stmt *s, int col)
{
    int t = sqlite3_column_type(s, col);
    return t == SQLITE_FLOAT || t == SQLITE_INTEGER;
}

static double rel_diff(double a, double b)
{
    double m = fmax(fabs(a), fabs(b));
    return m > 0 ? fabs(a - b) / m : 0.0;
}

/* 1 when the values in columns ca and cb of s are the same under o (NULL equals NULL only). */
static int same_value(sqlite3_stmt *s, int ca, int cb, const sr_diff_opts *o, double *rel)
{
    int ta = sqlite3_column_type(s, ca), tb = sqlite3_column_type(s, cb);
    *rel = NAN;
    if (ta == SQLITE_NULL || tb == SQLITE_NULL) return ta == tb;
    if (is_number(s, ca) && is_number(s, cb)) {
        double a = sqlite3_column_double(s, ca), b = sqlite3_column_double(s, cb);
        if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER)
            a = (double)sqlite3_column_int64(s, ca), b = (double)sqlite3_column_int64(s, cb);
        *rel = rel_diff(a, b);
        if (o->rtol < 0) {
            if (ta == SQLITE_INTEGER && tb == SQLITE_INTEGER)
                return sqlite3_column_int64(s, ca) == sqlite3_column_int64(s, cb);
            return a == b;
        }
        return fabs(a - b) <= o->rtol * fmax(fabs(a), fabs(b));
    }
    const char *a = (const char *)sqlite3_column_text(s, ca), *b = (const char *)sqlite3_column_text(s, cb);
    return a && b && strcmp(a, b) == 0;
}

static sr_status prepare(sqlite3 *db, const char *sql, sqlite3_stmt **s, char *err, size_t err_size)
{
    if (sqlite3_prepare_v2(db, sql, -1, s, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "comparing runs: %s", sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    return SR_OK;
}

static sr_status step_done(sqlite3 *db, int rc, char *err, size_t err_size)
{
    if (rc == SQLITE_DONE) return SR_OK;
    sr_errf(err, err_size, "comparing runs: %s", sqlite3_errmsg(db));
    return SR_ERR_DB;
}

static sr_status diff_run_row(sqlite3 *db, const char *sa, int64_t a, const char *sb, int64_t b,
                              const sr_diff_opts *o, sr_diff_fn fn, void *ctx, int *n_diff, char *err,
                              size_t err_size)
{
    static const char *const cols[] = {"status", "seed", "net_model", "error"};
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT a.status, b.status, a.seed, b.seed, a.net_model, b.net_model, a.error, b.error"
             " FROM %s.runs a, %s.runs b WHERE a.id = ?1 AND b.id = ?2",
             sa, sb);
    sqlite3_stmt *s = NULL;
    sr_status st = prepare(db, sql, &s, err, err_size);
    if (st) return st;
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        sr_diff_opts exact = *o;
        exact.rtol = -1;
        for (int i = 0; i < 4; i++) {
            double rel;
            if (same_value(s, 2 * i, 2 * i + 1, &exact, &rel)) continue;
            char va[512], vb[512], what[32];
            value_text(s, 2 * i, va, sizeof va);
            value_text(s, 2 * i + 1, vb, sizeof vb);
            snprintf(what, sizeof what, "runs.%s", cols[i]);
            if (fn) fn(ctx, what, va, vb, rel);
            (*n_diff)++;
        }
        rc = SQLITE_DONE;
    }
    st = step_done(db, rc, err, err_size);
    sqlite3_finalize(s);
    return st;
}

static int wanted_metric(const sr_diff_opts *o, const char *name)
{
    if (!o->metrics) return !sr_results_metric_is_wallclock(name);
    for (int i = 0; i < o->n_metrics; i++)
        if (strcmp(o->metrics[i], name) == 0) return 1;
    return 0;
}

static sr_status diff_metrics(sqlite3 *db, const char *sa, int64_t a, const char *sb, int64_t b,
                              const sr_diff_opts *o, sr_diff_fn fn, void *ctx, int *n_diff, char *err,
                              size_t err_size)
{
    char sql[640];
    snprintf(
        sql, sizeof sql,
        "SELECT coalesce(a.name, b.name), a.name IS NULL, b.name IS NULL, a.value, b.value, a.unit, b.unit"
        " FROM (SELECT * FROM %s.metrics WHERE run_id = ?1) a"
        " FULL JOIN (SELECT * FROM %s.metrics WHERE run_id = ?2) b ON a.name = b.name ORDER BY 1",
        sa, sb);
    sqlite3_stmt *s = NULL;
    sr_status st = prepare(db, sql, &s, err, err_size);
    if (st) return st;
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(s, 0);
        if (!wanted_metric(o, name)) continue;
        char what[96], va[64], vb[64];
        snprintf(what, sizeof what, "metric %s", name);
        double rel = NAN;
        int missing_a = sqlite3_column_int(s, 1), missing_b = sqlite3_column_int(s, 2);
        if (missing_a || missing_b) {
            if (missing_a)
                snprintf(va, sizeof va, "(none)");
            else
                value_text(s, 3, va, sizeof va);
            if (missing_b)
                snprintf(vb, sizeof vb, "(none)");
            else
                value_text(s, 4, vb, sizeof vb);
        } else if (!same_value(s, 3, 4, o, &rel) ||
                   strcmp((const char *)sqlite3_column_text(s, 5), (const char *)sqlite3_column_text(s, 6))) {
            value_text(s, 3, va, sizeof va);
            value_text(s, 4, vb, sizeof vb);
            size_t la = strlen(va), lb = strlen(vb);
            snprintf(va + la, sizeof va - la, " %s", (const char *)sqlite3_column_text(s, 5));
            snprintf(vb + lb, sizeof vb - lb, " %s", (const char *)sqlite3_column_text(s, 6));
        } else {
            continue;
        }
        if (fn) fn(ctx, what, va, vb, rel);
        (*n_diff)++;
    }
    st = step_done(db, rc, err, err_size);
    sqlite3_finalize(s);
    return st;
}

/* The child tables compared in exact mode: natural key columns, then value columns (run_id aside). */
typedef struct child_table {
    const char *name;
    int n_keys, n_cols;   /* n_cols: keys and values */
    const char *cols[16]; /* keys first */
} child_table;

static const child_table k_children[] = {
    {"frames",
     2,
     14,
     {"source", "frame", "device", "capture_s", "queue_s", "compute_s", "transfer_s", "complete_s",
      "latency_s", "dropped", "bytes_sent", "outcome", "cause", "plan_version"}},
    {"frame_tasks",
     3,
     11,
     {"source", "frame", "task", "kind", "label", "device", "dst", "ready_s", "start_s", "end_s", "bytes"}},
    {"links", 1, 7, {"name", "type", "bw_bps", "latency_s", "bytes", "transfers", "energy_j"}},
    {"hosts", 1, 5, {"name", "class", "busy_s", "tasks", "energy_j"}},
};

/* SQL that lists the rows of table t that differ between run a and run b: the keys, "only in a"/"only in
 * b" flags, then a.col, b.col for every value column. */
static void child_sql(const child_table *t, const char *sa, const char *sb, char *sql, size_t size)
{
    size_t o = 0;
#define ADD(...) o += (size_t)snprintf(sql + o, o < size ? size - o : 0, __VA_ARGS__)
    ADD("SELECT ");
    for (int k = 0; k < t->n_keys; k++)
        ADD("coalesce(a.%s, b.%s), ", t->cols[k], t->cols[k]);
    ADD("a.%s IS NULL, b.%s IS NULL", t->cols[0], t->cols[0]);
    for (int c = t->n_keys; c < t->n_cols; c++)
        ADD(", a.%s, b.%s", t->cols[c], t->cols[c]);
    ADD(" FROM (SELECT * FROM %s.%s WHERE run_id = ?1) a FULL JOIN (SELECT * FROM %s.%s WHERE run_id = ?2) b "
        "ON ",
        sa, t->name, sb, t->name);
    for (int k = 0; k < t->n_keys; k++)
        ADD("%sa.%s = b.%s", k ? " AND " : "", t->cols[k], t->cols[k]);
    ADD(" WHERE a.%s IS NULL OR b.%s IS NULL", t->cols[0], t->cols[0]);
    for (int c = t->n_keys; c < t->n_cols; c++)
        ADD(" OR a.%s IS NOT b.%s", t->cols[c], t->cols[c]);
    ADD(" ORDER BY ");
    for (int k = 0; k < t->n_keys; k++)
        ADD("%s%d", k ? ", " : "", k + 1);
#undef ADD
    assert(o < size);
}

static sr_status diff_child(sqlite3 *db, const child_table *t, const char *sa, int64_t a, const char *sb,
                            int64_t b, const sr_diff_opts *o, sr_diff_fn fn, void *ctx, int *n_diff,
                            char *err, size_t err_size)
{
    /* every column of the table is compared: a column added to the schema but not to k_children is a bug here */
    sqlite3_stmt *s = NULL;
    sr_status st = prepare(db, "SELECT count(*) FROM pragma_table_info(?1, ?2)", &s, err, err_size);
    if (st) return st;
    sqlite3_bind_text(s, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sa, -1, SQLITE_STATIC);
    int n_schema = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
    sqlite3_finalize(s);
    if (n_schema != t->n_cols + 1) { /* + run_id */
        sr_errf(err, err_size, "comparing runs: table %s has %d columns, the comparison knows %d", t->name,
                n_schema, t->n_cols + 1);
        return SR_ERR_DB;
    }
    char sql[2048];
    child_sql(t, sa, sb, sql, sizeof sql);
    st = prepare(db, sql, &s, err, err_size);
    if (st) return st;
    sqlite3_bind_int64(s, 1, a);
    sqlite3_bind_int64(s, 2, b);
    sr_diff_opts exact = *o;
    exact.rtol = -1;
    int rc, rows = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char key[160];
        size_t k = (size_t)snprintf(key, sizeof key, "%s[", t->name);
        for (int i = 0; i < t->n_keys && k < sizeof key; i++)
            k += (size_t)snprintf(key + k, sizeof key - k, "%s%s=%s", i ? " " : "", t->cols[i],
                                  (const char *)sqlite3_column_text(s, i));
        if (k < sizeof key) snprintf(key + k, sizeof key - k, "]");
        int only_b = sqlite3_column_int(s, t->n_keys), only_a = sqlite3_column_int(s, t->n_keys + 1);
        rows++;
        (*n_diff)++;
        if (rows > o->max_detail) continue;
        if (only_a || only_b) {
            if (fn) fn(ctx, key, only_a ? "(row)" : "(none)", only_b ? "(row)" : "(none)", NAN);
            continue;
        }
        for (int c = t->n_keys; c < t->n_cols; c++) {
            int ca = t->n_keys + 2 + 2 * (c - t->n_keys);
            double rel;
            if (same_value(s, ca, ca + 1, &exact, &rel)) continue;
            char what[224], va[128], vb[128];
            snprintf(what, sizeof what, "%s.%s", key, t->cols[c]);
            value_text(s, ca, va, sizeof va);
            value_text(s, ca + 1, vb, sizeof vb);
            if (fn) fn(ctx, what, va, vb, rel);
        }
    }
    if (rows > o->max_detail && fn) {
        char what[96], n[32];
        snprintf(what, sizeof what, "%s: more rows differ", t->name);
        snprintf(n, sizeof n, "%d more", rows - o->max_detail);
        fn(ctx, what, n, n, NAN);
    }
    st = step_done(db, rc, err, err_size);
    sqlite3_finalize(s);
    return st;
}

sr_status sr_results_diff_runs(sqlite3 *db, const char *sa, int64_t a, const char *sb, int64_t b,
                               const sr_diff_opts *o, sr_diff_fn fn, void *ctx, int *n_diff, char *err,
                               size_t err_size)
{
    assert(db && sa && sb && o && n_diff);
    sr_status st = diff_run_row(db, sa, a, sb, b, o, fn, ctx, n_diff, err, err_size);
    if (!st) st = diff_metrics(db, sa, a, sb, b, o, fn, ctx, n_diff, err, err_size);
    for (size_t i = 0; !st && o->rows && i < sizeof k_children / sizeof k_children[0]; i++) {
        if (!o->frame_tasks && strcmp(k_children[i].name, "frame_tasks") == 0) continue;
        st = diff_child(db, &k_children[i], sa, a, sb, b, o, fn, ctx, n_diff, err, err_size);
    }
    return st;
}
