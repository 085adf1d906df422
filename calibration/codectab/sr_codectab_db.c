/* sr_codectab_db.c: the codec_table SQLite table (schema in docs/codec-table.md): checks, one-transaction
 * inserts, lookups for the cost model, and the text table `simrun codec-table` prints.
 *
 * The table may share a file with a simrun results database; only codec_table (and its index) is ever
 * created or written, other tables are left alone. Bad files are refused before anything is written: a
 * file that is not SQLite, a codec_table with other columns, an unwritable path. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sr_codec.h"
#include "sr_codectab.h"

#define BUSY_TIMEOUT_MS 10000

/* Column names in table order; the check compares an existing table against this list. */
static const char *const k_columns[] = {"id",
                                        "created_utc",
                                        "model",
                                        "input",
                                        "split_layer",
                                        "pipeline",
                                        "frames",
                                        "resolution",
                                        "elements",
                                        "bits_per_element",
                                        "ratio_raw_fp32",
                                        "ratio_jpeg",
                                        "ratio_h264",
                                        "encode_s_per_element",
                                        "decode_s_per_element",
                                        "snr_db",
                                        "max_abs_err",
                                        "output_rel_l2",
                                        "top1_agreement",
                                        "simrun_version",
                                        "seed"};
#define N_COLUMNS ((int)(sizeof k_columns / sizeof k_columns[0]))

static const char *const k_create_sql =
    "CREATE TABLE IF NOT EXISTS codec_table("
    " id INTEGER PRIMARY KEY,"
    " created_utc TEXT NOT NULL,"
    " model TEXT NOT NULL,"
    " input TEXT NOT NULL,"
    " split_layer TEXT NOT NULL,"
    " pipeline TEXT NOT NULL,"
    " frames INTEGER NOT NULL,"
    " resolution TEXT NOT NULL,"
    " elements INTEGER NOT NULL,"
    " bits_per_element REAL NOT NULL,"
    " ratio_raw_fp32 REAL NOT NULL,"
    " ratio_jpeg REAL NOT NULL,"
    " ratio_h264 REAL NOT NULL,"
    " encode_s_per_element REAL NOT NULL,"
    " decode_s_per_element REAL NOT NULL,"
    " snr_db REAL,"
    " max_abs_err REAL NOT NULL,"
    " output_rel_l2 REAL NOT NULL,"
    " top1_agreement REAL NOT NULL,"
    " simrun_version TEXT NOT NULL,"
    " seed INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS codec_table_key ON codec_table(model, split_layer, pipeline, id);";

/* *exists = 1 when db has a table called codec_table. Fails (SQLITE_NOTADB ...) on a non-SQLite file. */
static int table_exists(sqlite3 *db, int *exists)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                                "'codec_table'",
                                -1, &q, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            *exists = sqlite3_column_int(q, 0) > 0;
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(q);
    return rc;
}

/* SR_OK when codec_table has exactly our columns, in order. */
static sr_status check_columns(sqlite3 *db, const char *path, char *err, size_t n)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA table_info(codec_table)", -1, &q, NULL);
    if (rc != SQLITE_OK) {
        sr_errf(err, n, "%s: cannot read codec_table's columns: %s", path, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    int i = 0, ok = 1;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(q, 1);
        if (i >= N_COLUMNS || !name || strcmp(name, k_columns[i]) != 0) ok = 0;
        i++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        sr_errf(err, n, "%s: cannot read codec_table's columns: %s", path, sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    if (!ok || i != N_COLUMNS) {
        sr_errf(err, n,
                "%s: has a table codec_table with other columns than simrun's (see docs/codec-table.md); "
                "use another --db file",
                path);
        return SR_ERR_DB;
    }
    return SR_OK;
}

/* Opens path read-only and checks it: an SQLite file whose codec_table, if any, is ours. *has_table says
 * whether the table exists. The caller closes *db (also on failure). */
static sr_status open_checked(const char *path, int flags, sqlite3 **db, int *has_table, char *err, size_t n)
{
    int rc = sqlite3_open_v2(path, db, flags, NULL);
    if (rc != SQLITE_OK) {
        sr_errf(err, n, "%s: cannot open: %s", path, *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
        return SR_ERR_DB;
    }
    sqlite3_busy_timeout(*db, BUSY_TIMEOUT_MS);
    rc = table_exists(*db, has_table);
    if (rc != SQLITE_OK) {
        if (rc == SQLITE_NOTADB)
            sr_errf(err, n, "%s: not an SQLite database (give a new file or a simrun results DB as --db)",
                    path);
        else
            sr_errf(err, n, "%s: cannot read: %s", path, sqlite3_errmsg(*db));
        return SR_ERR_DB;
    }
    if (*has_table) return check_columns(*db, path, err, n);
    return SR_OK;
}

sr_status sr_codectab_db_check(const char *db_path, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!db_path || !db_path[0]) {
        sr_errf(err, err_size, "no database path given (--db)");
        return SR_ERR_INVALID;
    }
    struct stat sb;
    char *copy = strdup(db_path);
    if (!copy) return SR_ERR_NOMEM;
    const char *dir = dirname(copy);
    sr_status st = SR_OK;
    if (stat(db_path, &sb) != 0) {
        if (errno != ENOENT) {
            sr_errf(err, err_size, "%s: %s", db_path, strerror(errno));
            st = SR_ERR_IO;
        } else if (access(dir, W_OK | X_OK) != 0) {
            sr_errf(err, err_size,
                    "%s: cannot create the database: folder '%s' is not writable or does not exist", db_path,
                    dir);
            st = SR_ERR_IO;
        }
        free(copy);
        return st;
    }
    if (!S_ISREG(sb.st_mode)) {
        sr_errf(err, err_size, "%s: not a regular file", db_path);
        st = SR_ERR_IO;
    } else if (access(db_path, R_OK | W_OK) != 0) {
        sr_errf(err, err_size, "%s: not writable", db_path);
        st = SR_ERR_IO;
    } else if (access(dir, W_OK | X_OK) != 0) {
        sr_errf(err, err_size, "%s: folder '%s' is not writable (SQLite needs it for its journal)", db_path,
                dir);
        st = SR_ERR_IO;
    }
    free(copy);
    if (st != SR_OK) return st;
    sqlite3 *db = NULL;
    int has = 0;
    st = open_checked(db_path, SQLITE_OPEN_READONLY, &db, &has, err, err_size);
    sqlite3_close(db);
    return st;
}

static void utc_now(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tmv;
    gmtime_r(&t, &tmv);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tmv);
}

sr_status sr_codectab_store(const char *db_path, sr_codectab_row *rows, int n_rows,
                            const char *simrun_version, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!db_path || (!rows && n_rows > 0) || n_rows < 0) return SR_ERR_INVALID;
    sr_status st = sr_codectab_db_check(db_path, err, err_size);
    if (st != SR_OK) return st;
    struct stat sb;
    const int existed = stat(db_path, &sb) == 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    int has = 0, in_tx = 0;
    char created[32];
    utc_now(created, sizeof created);
    st = open_checked(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, &has, err, err_size);
    if (st != SR_OK) goto fail;
    st = SR_ERR_DB;
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot start a transaction: %s", db_path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    in_tx = 1;
    if (sqlite3_exec(db, k_create_sql, NULL, NULL, &msg) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot create codec_table: %s", db_path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    /* Another process may have created the table between the check and the transaction. */
    if ((st = check_columns(db, db_path, err, err_size)) != SR_OK) goto fail;
    st = SR_ERR_DB;
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO codec_table(created_utc, model, input, split_layer, pipeline, frames, "
            "resolution, elements, bits_per_element, ratio_raw_fp32, ratio_jpeg, ratio_h264, "
            "encode_s_per_element, decode_s_per_element, snr_db, max_abs_err, output_rel_l2, "
            "top1_agreement, simrun_version, seed) "
            "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            -1, &ins, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: %s", db_path, sqlite3_errmsg(db));
        goto fail;
    }
    const char *version = simrun_version ? simrun_version : "unknown";
    for (int i = 0; i < n_rows; i++) {
        const sr_codectab_row *r = &rows[i];
        int k = 1;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, k++, created, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, r->model, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, r->input, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, r->split_layer, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, k++, r->pipeline, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, k++, r->frames);
        sqlite3_bind_text(ins, k++, r->resolution, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, k++, r->elements);
        const double reals[] = {r->bits_per_element, r->ratio_raw_fp32,       r->ratio_jpeg,
                                r->ratio_h264,       r->encode_s_per_element, r->decode_s_per_element,
                                r->snr_db,           r->max_abs_err,          r->output_rel_l2,
                                r->top1_agreement};
        for (size_t j = 0; j < sizeof reals / sizeof reals[0]; j++)
            sqlite3_bind_double(ins, k++, reals[j]);
        sqlite3_bind_text(ins, k++, version, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, k++, (sqlite3_int64)r->seed);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            sr_errf(err, err_size, "%s: cannot insert a row: %s", db_path, sqlite3_errmsg(db));
            goto fail;
        }
        rows[i].id = (int64_t)sqlite3_last_insert_rowid(db);
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot commit: %s", db_path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    sqlite3_close(db);
    for (int i = 0; i < n_rows; i++) {
        snprintf(rows[i].created_utc, sizeof rows[i].created_utc, "%s", created);
        snprintf(rows[i].simrun_version, sizeof rows[i].simrun_version, "%s", version);
    }
    return SR_OK;
fail:
    sqlite3_finalize(ins);
    if (in_tx) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    for (int i = 0; i < n_rows; i++)
        rows[i].id = 0;
    if (!existed) unlink(db_path);
    return st;
}

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

static void read_row(sqlite3_stmt *q, sr_codectab_row *r)
{
    memset(r, 0, sizeof *r);
    int k = 0;
    r->id = sqlite3_column_int64(q, k++);
    copy_text(r->created_utc, sizeof r->created_utc, sqlite3_column_text(q, k++));
    copy_text(r->model, sizeof r->model, sqlite3_column_text(q, k++));
    copy_text(r->input, sizeof r->input, sqlite3_column_text(q, k++));
    copy_text(r->split_layer, sizeof r->split_layer, sqlite3_column_text(q, k++));
    copy_text(r->pipeline, sizeof r->pipeline, sqlite3_column_text(q, k++));
    r->frames = sqlite3_column_int(q, k++);
    copy_text(r->resolution, sizeof r->resolution, sqlite3_column_text(q, k++));
    r->elements = sqlite3_column_int64(q, k++);
    double *reals[] = {&r->bits_per_element,     &r->ratio_raw_fp32,       &r->ratio_jpeg, &r->ratio_h264,
                       &r->encode_s_per_element, &r->decode_s_per_element, &r->snr_db,     &r->max_abs_err,
                       &r->output_rel_l2,        &r->top1_agreement};
    for (size_t j = 0; j < sizeof reals / sizeof reals[0]; j++, k++)
        *reals[j] = sqlite3_column_type(q, k) == SQLITE_NULL ? NAN : sqlite3_column_double(q, k);
    copy_text(r->simrun_version, sizeof r->simrun_version, sqlite3_column_text(q, k++));
    r->seed = (uint64_t)sqlite3_column_int64(q, k++);
}

/* A codec table from elsewhere: the row q read into r holds numbers where numbers belong (a real may be NULL:
 * not measured), and the values the simulation prices a transfer with are in range; 0, or -1 with a message
 * naming the file, the row id and the column. */
static int check_row(sqlite3_stmt *q, const sr_codectab_row *r, const char *path, char *err, size_t n)
{
    static const char *const cols[] = {"frames", "elements", "bits_per_element", "ratio_raw_fp32", "ratio_jpeg",
                                       "ratio_h264", "encode_s_per_element", "decode_s_per_element", "snr_db",
                                       "max_abs_err", "output_rel_l2", "top1_agreement"};
    for (int j = 0; j < 12; j++) {
        int t = sqlite3_column_type(q, 6 + j + (j > 0)); /* resolution (column 7) sits between them */
        int ok = j < 2 ? t == SQLITE_INTEGER : t == SQLITE_FLOAT || t == SQLITE_INTEGER || t == SQLITE_NULL;
        if (!ok) {
            sr_errf(err, n, "%s: codec_table row %lld: %s holds %s, not %s", path, (long long)r->id, cols[j],
                    t == SQLITE_TEXT ? "a text" : t == SQLITE_BLOB ? "a blob" : t == SQLITE_NULL ? "NULL" : "a real",
                    j < 2 ? "an integer" : "a number");
            return -1;
        }
    }
    if (r->frames < 1 || r->elements < 1 || r->elements > ((int64_t)1 << 40)) {
        sr_errf(err, n, "%s: codec_table row %lld: %d frames of %lld elements (at least 1 of at least 1, at most 2^40 "
                "elements)", path, (long long)r->id, r->frames, (long long)r->elements);
        return -1;
    }
    const struct {
        const char *name;
        double v, hi;
    } used[] = {{"bits_per_element", r->bits_per_element, 1024},
                {"encode_s_per_element", r->encode_s_per_element, 1},
                {"decode_s_per_element", r->decode_s_per_element, 1}};
    for (int j = 0; j < 3; j++)
        if (!(used[j].v >= 0 && used[j].v <= used[j].hi)) {
            sr_errf(err, n, "%s: codec_table row %lld: %s is %g, outside [0, %g]", path, (long long)r->id,
                    used[j].name, used[j].v, used[j].hi);
            return -1;
        }
    return 0;
}

/* Writes into err what the table holds for model (layers and pipelines), for a not-found message. */
static void describe_model(sqlite3 *db, const char *path, const char *model, const char *split,
                           const char *pipeline, char *err, size_t n)
{
    sqlite3_stmt *q = NULL;
    int rows = 0;
    const char *layers = "", *pipes = "";
    if (sqlite3_prepare_v2(
            db,
            "SELECT count(*), group_concat(DISTINCT split_layer), group_concat(DISTINCT pipeline) "
            "FROM codec_table WHERE model = ?",
            -1, &q, NULL) == SQLITE_OK) {
        sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
        if (sqlite3_step(q) == SQLITE_ROW) {
            rows = sqlite3_column_int(q, 0);
            if (sqlite3_column_text(q, 1)) layers = (const char *)sqlite3_column_text(q, 1);
            if (sqlite3_column_text(q, 2)) pipes = (const char *)sqlite3_column_text(q, 2);
        }
    }
    if (rows == 0)
        sr_errf(
            err, n,
            "%s: codec_table has no rows for model '%s'; measure them with `simrun codec-table --model %s "
            "--split %s --codec '%s' --db %s`",
            path, model, model, split, pipeline, path);
    else
        sr_errf(
            err, n,
            "%s: codec_table has no row for model '%s', layer '%s', pipeline '%s' (it has %d rows for '%s': "
            "layers [%.200s], pipelines [%.200s]); measure it with `simrun codec-table --model %s --split %s "
            "--codec '%s' --db %s`",
            path, model, split, pipeline, rows, model, layers, pipes, model, split, pipeline, path);
    sqlite3_finalize(q);
}

sr_status sr_codectab_lookup(const char *db_path, const char *model, const char *split_layer,
                             const char *pipeline, sr_codectab_row *out, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!db_path || !model || !split_layer || !pipeline || !out) return SR_ERR_INVALID;
    struct stat sb;
    if (stat(db_path, &sb) != 0) {
        sr_errf(
            err, err_size,
            "%s: no codec table database there; measure one with `simrun codec-table --model %s --split %s "
            "--codec '%s' --db %s`",
            db_path, model, split_layer, pipeline, db_path);
        return SR_ERR_NOT_FOUND;
    }
    /* The canonical spelling, as stored; a shape the pipeline cannot take leaves the name as given. */
    char canon[SR_CODECTAB_TEXT_MAX];
    snprintf(canon, sizeof canon, "%s", pipeline);
    sr_codec *c = NULL;
    if (sr_codec_create(pipeline, 64, 16, 16, &c, NULL, 0) == SR_OK)
        snprintf(canon, sizeof canon, "%s", sr_codec_name(c));
    sr_codec_free(c);

    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int has = 0;
    sr_status st = open_checked(db_path, SQLITE_OPEN_READONLY, &db, &has, err, err_size);
    if (st != SR_OK) goto done;
    if (!has) {
        sr_errf(
            err, err_size,
            "%s: has no codec_table; measure it with `simrun codec-table --model %s --split %s --codec '%s' "
            "--db %s`",
            db_path, model, split_layer, pipeline, db_path);
        st = SR_ERR_NOT_FOUND;
        goto done;
    }
    st = SR_ERR_DB;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, created_utc, model, input, split_layer, pipeline, frames, resolution, "
                           "elements, bits_per_element, ratio_raw_fp32, ratio_jpeg, ratio_h264, "
                           "encode_s_per_element, decode_s_per_element, snr_db, max_abs_err, output_rel_l2, "
                           "top1_agreement, simrun_version, seed FROM codec_table "
                           "WHERE model = ?1 AND split_layer = ?2 AND (pipeline = ?3 OR pipeline = ?4) "
                           "ORDER BY id DESC LIMIT 1",
                           -1, &q, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: %s", db_path, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_text(q, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, split_layer, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, pipeline, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, canon, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        read_row(q, out);
        st = check_row(q, out, db_path, err, err_size) == 0 ? SR_OK : SR_ERR_CORRUPT;
    } else if (rc == SQLITE_DONE) {
        describe_model(db, db_path, model, split_layer, pipeline, err, err_size);
        st = SR_ERR_NOT_FOUND;
    } else {
        sr_errf(err, err_size, "%s: %s", db_path, sqlite3_errmsg(db));
    }
done:
    sqlite3_finalize(q);
    sqlite3_close(db);
    return st;
}

void sr_codectab_print(const sr_codectab_row *rows, int n_rows, FILE *f)
{
    if (!f) return;
    if (n_rows > 0)
        fprintf(f, "model %s, input %s, video %s, %d frames, seed %llu\n", rows[0].model, rows[0].input,
                rows[0].resolution, rows[0].frames, (unsigned long long)rows[0].seed);
    fprintf(f, "%-22s %-28s %10s %8s %9s %9s %9s %9s %9s %8s %10s %10s %6s\n", "split_layer", "pipeline",
            "elements", "bits/el", "x_fp32", "x_jpeg", "x_h264", "enc_ns/el", "dec_ns/el", "snr_db",
            "max_abs", "out_rel_l2", "top1");
    for (int i = 0; i < n_rows; i++) {
        const sr_codectab_row *r = &rows[i];
        fprintf(f, "%-22s %-28s %10lld %8.3f %9.4f %9.3f %9.3f %9.2f %9.2f %8.2f %10.4g %10.4g %6.3f\n",
                r->split_layer, r->pipeline, (long long)r->elements, r->bits_per_element, r->ratio_raw_fp32,
                r->ratio_jpeg, r->ratio_h264, 1e9 * r->encode_s_per_element, 1e9 * r->decode_s_per_element,
                r->snr_db, r->max_abs_err, r->output_rel_l2, r->top1_agreement);
    }
}
