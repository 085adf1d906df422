/* sr_export.c: CSV files from a results database (sr_export.h). The tables are dumped column by column as
 * SQLite returns them; wide.csv is assembled from runs, their params JSON and metrics, with the sweep values
 * read by the experiment parser's unit reader (sr_parse_quantity_any). */
#include "sr_export.h"

#include "sr_report_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void csv_text(FILE *f, const char *s)
{
    if (!s) return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_real(FILE *f, double v)
{
    if (isnan(v)) return;
    if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

static sr_status close_csv(FILE *f, const char *dir, const char *name, FILE *log)
{
    return sr_rep_close_out(f, dir, name, log);
}

/* Every row of `sql` with a header line; *rows gets the row count. */
static sr_status dump(sqlite3 *db, const char *sql, const char *dir, const char *name, long *rows, FILE *log)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "export: %s: %s\n", name, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    FILE *f = sr_rep_open_out(dir, name, "export", log);
    if (!f) {
        sqlite3_finalize(q);
        return SR_ERR_IO;
    }
    int nc = sqlite3_column_count(q);
    for (int c = 0; c < nc; c++) {
        if (c) fputc(',', f);
        csv_text(f, sqlite3_column_name(q, c));
    }
    fputc('\n', f);
    long n = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        for (int c = 0; c < nc; c++) {
            if (c) fputc(',', f);
            switch (sqlite3_column_type(q, c)) {
            case SQLITE_INTEGER:
                fprintf(f, "%lld", (long long)sqlite3_column_int64(q, c));
                break;
            case SQLITE_FLOAT:
                csv_real(f, sqlite3_column_double(q, c));
                break;
            case SQLITE_NULL:
                break;
            default:
                csv_text(f, (const char *)sqlite3_column_text(q, c));
                break;
            }
        }
        fputc('\n', f);
        n++;
    }
    sqlite3_finalize(q);
    sr_status st = close_csv(f, dir, name, log);
    if (rc != SQLITE_DONE) {
        sr_rep_log(log, "export: %s: %s\n", name, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    *rows = n;
    return st;
}

/* Column-name suffix of a unit kind's SI base unit. */
static const char *kind_suffix(sr_unit_kind k)
{
    switch (k) {
    case SR_UNIT_NONE:
        return "";
    case SR_UNIT_TIME:
        return "_s";
    case SR_UNIT_RATE:
        return "_bps";
    case SR_UNIT_SIZE:
        return "_bytes";
    case SR_UNIT_FREQ:
        return "_hz";
    case SR_UNIT_POWER:
        return "_w";
    case SR_UNIT_ENERGY:
        return "_j";
    case SR_UNIT_FLOPS:
        return "_flops";
    case SR_UNIT_CPU:
        return "_cores";
    case SR_UNIT_COUNT:
        return "";
    }
    return "";
}

typedef struct param_col {
    char *key;
    int numeric; /* every value a quantity of one kind */
    sr_unit_kind kind;
} param_col;

static sr_status wide(sqlite3 *db, const char *dir, long *rows, FILE *log)
{
    sr_status st = SR_OK;
    sqlite3_stmt *q = NULL;
    param_col *cols = NULL;
    size_t n_cols = 0;
    sr_rep_strlist metrics = {0};
    FILE *f = NULL;
    /* Parameter keys in order of first appearance, and whether each is numeric. */
    if (sqlite3_prepare_v2(db,
                           "SELECT j.key, j.value FROM runs r, json_each(r.params) j WHERE j.key NOT IN"
                           " ('policy', 'replication') AND j.type NOT IN ('object', 'array')"
                           " ORDER BY r.experiment_id, r.point_index, r.id",
                           -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "export: %s\n", sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(q, 0);
        const char *val = (const char *)sqlite3_column_text(q, 1);
        if (!key) continue;
        size_t c = 0;
        while (c < n_cols && strcmp(cols[c].key, key) != 0)
            c++;
        if (c == n_cols) {
            param_col *p = realloc(cols, (n_cols + 1) * sizeof *p);
            if (!p) {
                st = SR_ERR_NOMEM;
                goto done;
            }
            cols = p;
            cols[c] = (param_col){.key = strdup(key), .numeric = 2}; /* 2: no value seen yet */
            n_cols++;
            if (!cols[c].key) {
                st = SR_ERR_NOMEM;
                goto done;
            }
        }
        double v;
        sr_unit_kind k;
        if (!val || sr_parse_quantity_any(val, &v, &k) != SR_OK)
            cols[c].numeric = 0;
        else if (cols[c].numeric == 2)
            cols[c].numeric = 1, cols[c].kind = k;
        else if (cols[c].numeric == 1 && k != cols[c].kind)
            cols[c].numeric = 0;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (rc != SQLITE_DONE) {
        st = SR_ERR_DB;
        goto done;
    }
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT name FROM metrics ORDER BY name", -1, &q, NULL) !=
        SQLITE_OK) {
        st = SR_ERR_DB;
        goto done;
    }
    while (sqlite3_step(q) == SQLITE_ROW)
        if (sr_rep_strlist_push(&metrics, (const char *)sqlite3_column_text(q, 0)) < 0) {
            st = SR_ERR_NOMEM;
            goto done;
        }
    sqlite3_finalize(q);
    q = NULL;

    f = sr_rep_open_out(dir, "wide.csv", "export", log);
    if (!f) {
        st = SR_ERR_IO;
        goto done;
    }
    fputs("run_id,experiment,experiment_hash,point_index,policy,replication,seed,status", f);
    for (size_t c = 0; c < n_cols; c++) {
        char name[512];
        snprintf(name, sizeof name, "%s%s", cols[c].key,
                 cols[c].numeric == 1 ? kind_suffix(cols[c].kind) : "");
        fputc(',', f);
        csv_text(f, name);
    }
    for (size_t m = 0; m < metrics.n; m++) {
        fputc(',', f);
        csv_text(f, metrics.s[m]);
    }
    fputc('\n', f);
    /* One row per run: its parameters and metrics as (key, value) rows, in a fixed order. */
    if (sqlite3_prepare_v2(
            db,
            "SELECT r.id, e.name, e.hash, r.point_index, r.policy, r.replication, r.seed, r.status,"
            " 'p' AS what, j.key, j.value FROM runs r JOIN experiments e ON e.id = r.experiment_id,"
            " json_each(r.params) j WHERE j.key NOT IN ('policy', 'replication')"
            " UNION ALL SELECT r.id, e.name, e.hash, r.point_index, r.policy, r.replication, r.seed,"
            " r.status, 'm', m.name, m.value FROM runs r JOIN experiments e ON e.id ="
            " r.experiment_id LEFT JOIN metrics m ON m.run_id = r.id"
            " ORDER BY 1, 9 DESC, 10",
            -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "export: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    long n = 0;
    int64_t cur = -1;
    char **pv = calloc(n_cols ? n_cols : 1, sizeof *pv);
    double *mv = malloc((metrics.n ? metrics.n : 1) * sizeof *mv);
    char *head = NULL;
    if (!pv || !mv) {
        free(pv);
        free(mv);
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (;;) {
        rc = sqlite3_step(q);
        int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -2;
        if (id != cur && cur >= 0) { /* flush the previous run */
            fputs(head, f);
            for (size_t c = 0; c < n_cols; c++) {
                fputc(',', f);
                double v;
                sr_unit_kind k;
                if (!pv[c])
                    ;
                else if (cols[c].numeric == 1 && sr_parse_quantity_any(pv[c], &v, &k) == SR_OK)
                    csv_real(f, v);
                else
                    csv_text(f, pv[c]);
            }
            for (size_t m = 0; m < metrics.n; m++) {
                fputc(',', f);
                csv_real(f, mv[m]);
            }
            fputc('\n', f);
            n++;
        }
        if (rc != SQLITE_ROW) break;
        if (id != cur) {
            cur = id;
            for (size_t c = 0; c < n_cols; c++) {
                free(pv[c]);
                pv[c] = NULL;
            }
            for (size_t m = 0; m < metrics.n; m++)
                mv[m] = NAN;
            /* the fixed columns, formatted once per run */
            char *buf = NULL;
            size_t len = 0;
            FILE *mf = open_memstream(&buf, &len);
            if (!mf) {
                st = SR_ERR_NOMEM;
                break;
            }
            fprintf(mf, "%" PRId64 ",", id);
            csv_text(mf, (const char *)sqlite3_column_text(q, 1));
            fputc(',', mf);
            csv_text(mf, (const char *)sqlite3_column_text(q, 2));
            fprintf(mf, ",%d,", sqlite3_column_int(q, 3));
            csv_text(mf, (const char *)sqlite3_column_text(q, 4));
            fprintf(mf, ",%d,", sqlite3_column_int(q, 5));
            csv_text(mf, (const char *)sqlite3_column_text(q, 6));
            fputc(',', mf);
            csv_text(mf, (const char *)sqlite3_column_text(q, 7));
            fclose(mf);
            free(head);
            head = buf;
        }
        const char *what = (const char *)sqlite3_column_text(q, 8);
        const char *key = (const char *)sqlite3_column_text(q, 9);
        if (!what || !key) continue;
        if (what[0] == 'p') {
            for (size_t c = 0; c < n_cols; c++)
                if (strcmp(cols[c].key, key) == 0) {
                    free(pv[c]);
                    const unsigned char *t = sqlite3_column_text(q, 10);
                    pv[c] = strdup(t ? (const char *)t : "");
                }
        } else {
            long m = sr_rep_strlist_find(&metrics, key);
            if (m >= 0 && sqlite3_column_type(q, 10) != SQLITE_NULL) mv[m] = sqlite3_column_double(q, 10);
        }
    }
    if (!st && rc != SQLITE_DONE) {
        sr_rep_log(log, "export: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
    }
    for (size_t c = 0; c < n_cols; c++)
        free(pv[c]);
    free(pv);
    free(mv);
    free(head);
    *rows = n;
done:
    sqlite3_finalize(q);
    if (f) {
        sr_status cst = close_csv(f, dir, "wide.csv", log);
        if (!st) st = cst;
    }
    for (size_t c = 0; c < n_cols; c++)
        free(cols[c].key);
    free(cols);
    sr_rep_strlist_free(&metrics);
    return st;
}

sr_status sr_export_csv(const char *db_path, const char *dir, FILE *log)
{
    if (!db_path || !dir || !dir[0]) return SR_ERR_INVALID;
    sqlite3 *db = NULL;
    sr_status st = sr_rep_open_db("export", db_path, &db, log);
    if (st) return st;
    struct stat dsb;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        sr_rep_log(log, "export: cannot create %s: %s\n", dir, strerror(errno));
        sqlite3_close(db);
        return SR_ERR_INVALID; /* the DIR given cannot be one: exit 2 */
    }
    if (stat(dir, &dsb) != 0 || !S_ISDIR(dsb.st_mode)) {
        sr_rep_log(log, "export: %s is not a directory\n", dir);
        sqlite3_close(db);
        return SR_ERR_INVALID;
    }
    sr_rep_remove_stale_parts(dir, log); /* what a killed export left */
    int has_tasks = 0;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'frame_tasks'",
                           -1, &q, NULL) == SQLITE_OK)
        has_tasks = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    static const struct {
        const char *file, *sql;
        int needs_tasks;
    } tables[] = {
        {"experiments.csv", "SELECT * FROM experiments ORDER BY id", 0},
        {"runs.csv",
         "SELECT r.*, e.name AS experiment FROM runs r JOIN experiments e ON e.id = r.experiment_id ORDER BY "
         "r.id",
         0},
        {"metrics.csv", "SELECT * FROM metrics ORDER BY run_id, name", 0},
        {"frames.csv", "SELECT * FROM frames ORDER BY run_id, source, frame", 0},
        {"frame_tasks.csv", "SELECT * FROM frame_tasks ORDER BY run_id, source, frame, task", 1},
        {"links.csv", "SELECT * FROM links ORDER BY run_id, name", 0},
        {"hosts.csv", "SELECT * FROM hosts ORDER BY run_id, name", 0},
    };
    for (size_t t = 0; t < sizeof tables / sizeof tables[0] && !st; t++) {
        if (tables[t].needs_tasks && !has_tasks) continue;
        long rows = 0;
        st = dump(db, tables[t].sql, dir, tables[t].file, &rows, log);
        if (!st) sr_rep_log(log, "export: %s/%s: %ld rows\n", dir, tables[t].file, rows);
    }
    if (!st) {
        long rows = 0;
        st = wide(db, dir, &rows, log);
        if (!st)
            sr_rep_log(log, "export: %s/wide.csv: %ld runs, one column per swept parameter and metric\n", dir,
                       rows);
    }
    sqlite3_close(db);
    return st;
}
