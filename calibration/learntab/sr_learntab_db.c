/* sr_learntab_db.c: the insitu_stages SQLite table (docs/papers/insitu.md): one-transaction appends and the
 * lookups the insitu policy makes.
 *
 * One X-macro list of columns (name, SQL type, kind, field of sr_stage_row) gives the CREATE statement, the
 * INSERT, the column check of an existing table and the row reader, so they cannot drift apart. Only
 * insitu_stages is created or written; other tables of the file are left alone. */
#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sr_learntab.h"

#define BUSY_TIMEOUT_MS 10000

typedef enum { K_I64, K_INT, K_U64, K_DBL, K_TXT } col_kind;

#define STAGE_COLUMNS(X)                                                                                     \
    X(id, "INTEGER PRIMARY KEY", K_I64)                                                                      \
    X(run, "INTEGER NOT NULL", K_I64)                                                                        \
    X(created_utc, "TEXT NOT NULL", K_TXT)                                                                   \
    X(net, "TEXT NOT NULL", K_TXT)                                                                           \
    X(dataset, "TEXT NOT NULL", K_TXT)                                                                       \
    X(seed, "INTEGER NOT NULL", K_U64)                                                                       \
    X(threshold, "REAL NOT NULL", K_DBL)                                                                     \
    X(stage, "INTEGER NOT NULL", K_INT)                                                                      \
    X(acquired, "INTEGER NOT NULL", K_I64)                                                                   \
    X(new_images, "INTEGER NOT NULL", K_I64)                                                                 \
    X(system, "TEXT NOT NULL", K_TXT)                                                                        \
    X(uploaded, "INTEGER NOT NULL", K_I64)                                                                   \
    X(upload_fraction, "REAL NOT NULL", K_DBL)                                                               \
    X(unrecognised, "INTEGER NOT NULL", K_I64)                                                               \
    X(misclassified, "INTEGER NOT NULL", K_I64)                                                              \
    X(unrec_and_wrong, "INTEGER NOT NULL", K_I64)                                                            \
    X(diagnosed_cloud, "INTEGER NOT NULL", K_I64)                                                            \
    X(train_images, "INTEGER NOT NULL", K_I64)                                                               \
    X(epochs, "INTEGER NOT NULL", K_INT)                                                                     \
    X(trainable_from, "INTEGER NOT NULL", K_INT)                                                             \
    X(train_macs_per_image, "INTEGER NOT NULL", K_I64)                                                       \
    X(infer_macs_per_image, "INTEGER NOT NULL", K_I64)                                                       \
    X(push_bytes, "INTEGER NOT NULL", K_I64)                                                                 \
    X(test_accuracy, "REAL NOT NULL", K_DBL)                                                                 \
    X(train_wall_s, "REAL NOT NULL", K_DBL)                                                                  \
    X(simrun_version, "TEXT NOT NULL", K_TXT)

typedef struct col {
    const char *name, *type;
    col_kind kind;
    size_t off, size;
} col;

#define COL_ROW(n, t, k) {#n, t, k, offsetof(sr_stage_row, n), sizeof(((sr_stage_row *)0)->n)},
static const col k_cols[] = {STAGE_COLUMNS(COL_ROW)};
#undef COL_ROW
#define N_COLS ((int)(sizeof k_cols / sizeof k_cols[0]))

/* "CREATE TABLE ...", "INSERT ..." or "SELECT cols FROM insitu_stages" into buf. */
static void build_sql(char *buf, size_t n, int which)
{
    size_t o = 0;
    if (which == 0) {
        o += (size_t)snprintf(buf + o, n - o, "CREATE TABLE IF NOT EXISTS insitu_stages(");
        for (int i = 0; i < N_COLS; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s%s %s", i ? ", " : "", k_cols[i].name, k_cols[i].type);
        snprintf(buf + o, n - o,
                 ");CREATE INDEX IF NOT EXISTS insitu_stages_key ON insitu_stages(net, system, run, stage);");
    } else if (which == 1) {
        o += (size_t)snprintf(buf + o, n - o, "INSERT INTO insitu_stages(");
        for (int i = 1; i < N_COLS; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", i > 1 ? ", " : "", k_cols[i].name);
        o += (size_t)snprintf(buf + o, n - o, ") VALUES(");
        for (int i = 1; i < N_COLS; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s?", i > 1 ? ", " : "");
        snprintf(buf + o, n - o, ")");
    } else {
        o += (size_t)snprintf(buf + o, n - o, "SELECT ");
        for (int i = 0; i < N_COLS; i++)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", k_cols[i].name);
        snprintf(buf + o, n - o, " FROM insitu_stages");
    }
}

/* *exists = whether insitu_stages exists; SR_ERR_DB naming the file when it is not SQLite or has a table of
 * that name with other columns. */
static sr_status check_table(sqlite3 *db, const char *path, int *exists, char *err, size_t n)
{
    sqlite3_stmt *q = NULL;
    *exists = 0;
    int rc = sqlite3_prepare_v2(db, "PRAGMA table_info(insitu_stages)", -1, &q, NULL);
    int i = 0, ok = 1;
    while (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 1);
        if (i >= N_COLS || !name || strcmp(name, k_cols[i].name) != 0)
            ok = 0;
        i++;
        rc = SQLITE_OK;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_NOTADB)
            sr_errf(err, n, "%s: not an SQLite database", path);
        else
            sr_errf(err, n, "%s: cannot read insitu_stages: %s", path, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    *exists = i > 0;
    if (i > 0 && (!ok || i != N_COLS)) {
        sr_errf(err, n, "%s: has a table insitu_stages with other columns than simrun's (docs/papers/insitu.md)", path);
        return SR_ERR_DB;
    }
    return SR_OK;
}

sr_status sr_learntab_store(const char *db_path, sr_stage_row *rows, int n_rows, const char *simrun_version,
                            char *err, size_t err_size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *q = NULL;
    char sql[2048];
    int exists = 0, began = 0;
    sr_status st = SR_ERR_DB;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot open: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        goto cleanup;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if ((st = check_table(db, db_path, &exists, err, err_size)) != SR_OK)
        goto cleanup;
    st = SR_ERR_DB;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto dberr;
    began = 1;
    build_sql(sql, sizeof sql, 0);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        goto dberr;
    int64_t run = 1;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(run), 0) + 1 FROM insitu_stages", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        goto dberr;
    run = sqlite3_column_int64(q, 0);
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    build_sql(sql, sizeof sql, 1);
    if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK)
        goto dberr;
    for (int r = 0; r < n_rows; r++) {
        sr_stage_row *row = &rows[r];
        row->run = run;
        snprintf(row->created_utc, sizeof row->created_utc, "%s", now);
        snprintf(row->simrun_version, sizeof row->simrun_version, "%s", simrun_version);
        sqlite3_reset(ins);
        for (int i = 1; i < N_COLS; i++) {
            const char *f = (const char *)row + k_cols[i].off;
            int rc = SQLITE_OK;
            switch (k_cols[i].kind) {
            case K_I64:
                rc = sqlite3_bind_int64(ins, i, *(const int64_t *)f);
                break;
            case K_INT:
                rc = sqlite3_bind_int(ins, i, *(const int *)f);
                break;
            case K_U64:
                rc = sqlite3_bind_int64(ins, i, (sqlite3_int64) * (const uint64_t *)f);
                break;
            case K_DBL:
                rc = sqlite3_bind_double(ins, i, *(const double *)f);
                break;
            case K_TXT:
                rc = sqlite3_bind_text(ins, i, f, -1, SQLITE_TRANSIENT);
                break;
            }
            if (rc != SQLITE_OK)
                goto dberr;
        }
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto dberr;
        row->id = sqlite3_last_insert_rowid(db);
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto dberr;
    began = 0;
    st = SR_OK;
    goto cleanup;
dberr:
    sr_errf(err, err_size, "%s: cannot store the stage rows: %s", db_path, sqlite3_errmsg(db));
    st = SR_ERR_DB;
cleanup:
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    if (began)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    return st;
}

static void read_row(sqlite3_stmt *q, sr_stage_row *row)
{
    memset(row, 0, sizeof *row);
    for (int i = 0; i < N_COLS; i++) {
        char *f = (char *)row + k_cols[i].off;
        switch (k_cols[i].kind) {
        case K_I64:
            *(int64_t *)f = sqlite3_column_int64(q, i);
            break;
        case K_INT:
            *(int *)f = sqlite3_column_int(q, i);
            break;
        case K_U64:
            *(uint64_t *)f = (uint64_t)sqlite3_column_int64(q, i);
            break;
        case K_DBL:
            *(double *)f = sqlite3_column_double(q, i);
            break;
        case K_TXT: {
            const unsigned char *t = sqlite3_column_text(q, i);
            snprintf(f, k_cols[i].size, "%s", t ? (const char *)t : "");
            break;
        }
        }
    }
}

/* Every column of the row q holds the storage class simrun writes (a number where a number belongs); 0, or
 * -1 with a message naming the file, the row id and the column. */
static int check_types(sqlite3_stmt *q, const char *path, char *err, size_t n)
{
    static const char *const class_names[] = {"?", "an integer", "a real", "a text", "a blob", "NULL"};
    for (int i = 0; i < N_COLS; i++) {
        int t = sqlite3_column_type(q, i);
        int ok = k_cols[i].kind == K_TXT   ? t == SQLITE_TEXT
                 : k_cols[i].kind == K_DBL ? t == SQLITE_FLOAT || t == SQLITE_INTEGER
                                           : t == SQLITE_INTEGER;
        if (!ok) {
            sr_errf(err, n, "%s: insitu_stages row %lld: %s holds %s, not %s", path,
                    (long long)sqlite3_column_int64(q, 0), k_cols[i].name, class_names[t >= 1 && t <= 5 ? t : 0],
                    k_cols[i].kind == K_TXT ? "a text" : k_cols[i].kind == K_DBL ? "a number" : "an integer");
            return -1;
        }
    }
    return 0;
}

/* Largest image count a stage table may hold (acquired, train images, ...): far above any data set, low enough
 * that scaled by the In-situ policy's stage_scale it stays an exact number. */
#define STAGE_MAX_IMAGES ((int64_t)1 << 40)

/* A stage table from elsewhere: every value of row r (the k-th of its net and system; prev the one before it)
 * in the range simrun writes; 0, or -1 with a message naming the file, the row id and the column. */
static int check_row(const sr_stage_row *r, const sr_stage_row *prev, const char *path, char *err, size_t n)
{
    struct {
        const char *name;
        int64_t v, max;
    } counts[] = {
        {"acquired", r->acquired, STAGE_MAX_IMAGES},
        {"new_images", r->new_images, STAGE_MAX_IMAGES},
        {"uploaded", r->uploaded, STAGE_MAX_IMAGES},
        {"unrecognised", r->unrecognised, STAGE_MAX_IMAGES},
        {"misclassified", r->misclassified, STAGE_MAX_IMAGES},
        {"unrec_and_wrong", r->unrec_and_wrong, STAGE_MAX_IMAGES},
        {"diagnosed_cloud", r->diagnosed_cloud, STAGE_MAX_IMAGES},
        {"train_images", r->train_images, STAGE_MAX_IMAGES},
        {"epochs", r->epochs, 1000000},
        {"trainable_from", r->trainable_from, 1000000},
        {"train_macs_per_image", r->train_macs_per_image, (int64_t)1 << 50},
        {"infer_macs_per_image", r->infer_macs_per_image, (int64_t)1 << 50},
        {"push_bytes", r->push_bytes, (int64_t)1 << 40},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
        if (counts[i].v < 0 || counts[i].v > counts[i].max) {
            sr_errf(err, n, "%s: insitu_stages row %lld: %s is %lld, outside [0, %lld]", path, (long long)r->id,
                    counts[i].name, (long long)counts[i].v, (long long)counts[i].max);
            return -1;
        }
    struct {
        const char *name;
        double v, lo, hi;
    } reals[] = {
        {"upload_fraction", r->upload_fraction, 0, 1},
        {"test_accuracy", r->test_accuracy, 0, 1},
        {"threshold", r->threshold, 0, 1},
        {"train_wall_s", r->train_wall_s, 0, 1e9},
    };
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        if (!(reals[i].v >= reals[i].lo && reals[i].v <= reals[i].hi)) {
            sr_errf(err, n, "%s: insitu_stages row %lld: %s is %g, outside [%g, %g]", path, (long long)r->id,
                    reals[i].name, reals[i].v, reals[i].lo, reals[i].hi);
            return -1;
        }
    if (r->acquired < 1 || (prev && (r->stage <= prev->stage || r->acquired < prev->acquired))) {
        sr_errf(err, n,
                "%s: insitu_stages row %lld: stage %d with %lld images acquired does not follow stage %d with %lld "
                "(stages increase, and so do the images acquired, from 1)",
                path, (long long)r->id, r->stage, (long long)r->acquired, prev ? prev->stage : -1,
                prev ? (long long)prev->acquired : 0LL);
        return -1;
    }
    return 0;
}

sr_status sr_learntab_lookup(const char *db_path, const char *net, const char *sys, sr_stage_row **rows,
                             int *n_rows, char *err, size_t err_size)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    sr_stage_row *out = NULL;
    int n = 0, cap = 0, exists = 0;
    char sql[2048];
    struct stat sb;
    sr_status st = SR_ERR_NOT_FOUND;
    *rows = NULL;
    *n_rows = 0;
    if (stat(db_path, &sb) != 0) {
        sr_errf(err, err_size, "%s: no such file; make the stage table with `simrun train --stages --db %s`", db_path,
                db_path);
        return SR_ERR_NOT_FOUND;
    }
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot open: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
        st = SR_ERR_DB;
        goto cleanup;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if ((st = check_table(db, db_path, &exists, err, err_size)) != SR_OK)
        goto cleanup;
    st = SR_ERR_NOT_FOUND;
    if (!exists) {
        sr_errf(err, err_size, "%s: has no insitu_stages table; make it with `simrun train --stages --db %s`", db_path,
                db_path);
        goto cleanup;
    }
    build_sql(sql, sizeof sql, 2);
    size_t o = strlen(sql);
    snprintf(sql + o, sizeof sql - o,
             " WHERE net = ?1 AND system = ?2 AND run = (SELECT max(run) FROM insitu_stages WHERE net = ?1)"
             " ORDER BY stage");
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot read insitu_stages: %s", db_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto cleanup;
    }
    sqlite3_bind_text(q, 1, net, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, sys, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            sr_stage_row *grown = realloc(out, sizeof *out * (size_t)cap);
            if (!grown) {
                sr_errf(err, err_size, "%s: out of memory reading insitu_stages (%d rows read)", db_path, n);
                st = SR_ERR_NOMEM;
                goto cleanup;
            }
            out = grown;
        }
        if (check_types(q, db_path, err, err_size) != 0) {
            st = SR_ERR_CORRUPT;
            goto cleanup;
        }
        read_row(q, &out[n]);
        if (check_row(&out[n], n > 0 ? &out[n - 1] : NULL, db_path, err, err_size) != 0) {
            st = SR_ERR_CORRUPT;
            goto cleanup;
        }
        n++;
    }
    if (rc != SQLITE_DONE) {
        sr_errf(err, err_size, "%s: cannot read insitu_stages: %s", db_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto cleanup;
    }
    if (n == 0) {
        sr_errf(err, err_size, "%s: insitu_stages has no rows for net '%s', system '%s'; make them with `simrun train --stages --net %s --db %s`",
                db_path, net, sys, net, db_path);
        goto cleanup;
    }
    *rows = out;
    *n_rows = n;
    out = NULL;
    st = SR_OK;
cleanup:
    free(out);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return st;
}
