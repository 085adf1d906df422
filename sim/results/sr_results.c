/* sr_results.c: the SQLite results database: schema, experiments, and one transaction per run point.
 *
 * The schema is documented in docs/db-schema.md (keep the two in step; SR_RESULTS_SCHEMA_VERSION
 * is stored in meta.schema_version). Several worker processes may write one file: WAL journal, a
 * 60 s busy timeout, and BEGIN IMMEDIATE for every write transaction so that writers queue instead
 * of failing on a lock upgrade. A file that is not ours is refused before anything is written to it.
 *
 * Schema versions: k_schema_sql is the version-1 schema; k_migrations[v] takes a version-v database to v + 1.
 * A new file gets version 1 and then every migration, so a fresh database and an upgraded one have the same
 * schema. Opening an older file upgrades it in place, in the same BEGIN IMMEDIATE transaction that checks it
 * (all migrations or none); a newer file is refused untouched. */
#include "sr_results.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sr_results_read.h"

#ifndef SIMRUN_VERSION
#define SIMRUN_VERSION "0.1.0"
#endif

#define SR_RESULTS_BUSY_TIMEOUT_MS 60000

static const char *const k_schema_sql =
    "CREATE TABLE meta("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL);"
    "CREATE TABLE experiments("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " hash TEXT NOT NULL UNIQUE,"
    " yaml TEXT NOT NULL,"
    " simrun_version TEXT NOT NULL,"
    " created_utc TEXT NOT NULL);"
    "CREATE TABLE runs("
    " id INTEGER PRIMARY KEY AUTOINCREMENT," /* ids of replaced runs are never reused */
    " experiment_id INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,"
    " point_index INTEGER NOT NULL CHECK(point_index >= 0),"
    " point_hash TEXT NOT NULL CHECK(point_hash <> ''),"
    " params TEXT NOT NULL CHECK(json_valid(params)),"
    " policy TEXT NOT NULL,"
    " replication INTEGER NOT NULL CHECK(replication >= 0),"
    " seed TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK(status IN ('ok', 'failed')),"
    " wall_s REAL,"
    " error TEXT,"
    " net_model TEXT,"
    " finished_utc TEXT NOT NULL,"
    " UNIQUE(experiment_id, point_hash));"
    "CREATE INDEX runs_by_status ON runs(experiment_id, status, policy);"
    "CREATE TABLE metrics("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL CHECK(name <> ''),"
    " value REAL,"
    " unit TEXT NOT NULL,"
    " PRIMARY KEY(run_id, name)) WITHOUT ROWID;"
    "CREATE INDEX metrics_by_name ON metrics(name, run_id);"
    "CREATE TABLE frames("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " source INTEGER NOT NULL,"
    " frame INTEGER NOT NULL,"
    " device TEXT NOT NULL CHECK(device <> ''),"
    " capture_s REAL NOT NULL,"
    " queue_s REAL,"
    " compute_s REAL,"
    " transfer_s REAL,"
    " complete_s REAL,"
    " latency_s REAL,"
    " dropped INTEGER NOT NULL CHECK(dropped IN (0, 1)),"
    " bytes_sent INTEGER NOT NULL CHECK(bytes_sent >= 0));"
    "CREATE INDEX frames_by_run ON frames(run_id, dropped);"
    "CREATE TABLE links("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL CHECK(name <> ''),"
    " type TEXT NOT NULL,"
    " bw_bps REAL,"
    " latency_s REAL,"
    " bytes INTEGER NOT NULL,"
    " transfers INTEGER NOT NULL,"
    " energy_j REAL);"
    "CREATE INDEX links_by_run ON links(run_id);"
    "CREATE TABLE hosts("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL CHECK(name <> ''),"
    " class TEXT NOT NULL,"
    " busy_s REAL,"
    " tasks INTEGER NOT NULL,"
    " energy_j REAL);"
    "CREATE INDEX hosts_by_run ON hosts(run_id);"
    "CREATE VIEW run_metrics AS"
    " SELECT r.id AS run_id, e.id AS experiment_id, e.name AS experiment, r.point_index, r.point_hash,"
    "  r.policy, r.replication, r.seed, r.params, r.status, m.name AS metric, m.value, m.unit"
    " FROM runs r JOIN experiments e ON e.id = r.experiment_id JOIN metrics m ON m.run_id = r.id;";

/* k_migrations[v]: version v -> v + 1 (the statement that sets meta.schema_version included). */
static const char *const k_migrations[SR_RESULTS_SCHEMA_VERSION] = {
    [1] = "CREATE TABLE frame_tasks("
          " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
          " source INTEGER NOT NULL,"
          " frame INTEGER NOT NULL,"
          " task INTEGER NOT NULL CHECK(task >= 0),"
          " kind TEXT NOT NULL CHECK(kind IN ('compute', 'transfer')),"
          " label TEXT NOT NULL,"
          " device TEXT NOT NULL CHECK(device <> ''),"
          " dst TEXT NOT NULL CHECK((kind = 'transfer') = (dst <> '')),"
          " ready_s REAL NOT NULL,"
          " start_s REAL NOT NULL CHECK(start_s >= ready_s),"
          " end_s REAL NOT NULL CHECK(end_s >= start_s),"
          " bytes INTEGER NOT NULL CHECK(bytes >= 0),"
          " PRIMARY KEY(run_id, source, frame, task)) WITHOUT ROWID;"
          "UPDATE meta SET value = '2' WHERE key = 'schema_version';",
    /* v3 (policy runtime): job outcomes and plan versions on frames; delay tasks */
    [2] = "ALTER TABLE frames ADD COLUMN outcome TEXT NOT NULL DEFAULT 'completed';"
          "ALTER TABLE frames ADD COLUMN cause TEXT NOT NULL DEFAULT '';"
          "ALTER TABLE frames ADD COLUMN plan_version INTEGER NOT NULL DEFAULT 0;"
          "UPDATE frames SET outcome = 'dropped' WHERE dropped = 1;"
          "ALTER TABLE runs ADD COLUMN params_si TEXT;"
          "CREATE TABLE frame_tasks_v3("
          " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
          " source INTEGER NOT NULL,"
          " frame INTEGER NOT NULL,"
          " task INTEGER NOT NULL CHECK(task >= 0),"
          " kind TEXT NOT NULL CHECK(kind IN ('compute', 'transfer', 'delay')),"
          " label TEXT NOT NULL,"
          " device TEXT NOT NULL CHECK(device <> ''),"
          " dst TEXT NOT NULL CHECK((kind = 'transfer') = (dst <> '')),"
          " ready_s REAL NOT NULL,"
          " start_s REAL NOT NULL CHECK(start_s >= ready_s),"
          " end_s REAL NOT NULL CHECK(end_s >= start_s),"
          " bytes INTEGER NOT NULL CHECK(bytes >= 0),"
          " PRIMARY KEY(run_id, source, frame, task)) WITHOUT ROWID;"
          "INSERT INTO frame_tasks_v3 SELECT * FROM frame_tasks;"
          "DROP TABLE frame_tasks;"
          "ALTER TABLE frame_tasks_v3 RENAME TO frame_tasks;"
          "UPDATE meta SET value = '3' WHERE key = 'schema_version';",
};

/* Prepared statements of the run-writing transaction, prepared once per connection and reused. */
enum {
    ST_FIND_RUN,
    ST_DEL_FRAMES,
    ST_DEL_TASKS,
    ST_DEL_METRICS,
    ST_DEL_LINKS,
    ST_DEL_HOSTS,
    ST_DEL_RUN,
    ST_INS_RUN,
    ST_INS_METRIC,
    ST_INS_FRAME,
    ST_INS_TASK,
    ST_INS_LINK,
    ST_INS_HOST,
    ST_COUNT
};

static const char *const k_stmt_sql[ST_COUNT] = {
    [ST_FIND_RUN] = "SELECT id, status FROM runs WHERE experiment_id = ?1 AND point_hash = ?2",
    [ST_DEL_FRAMES] = "DELETE FROM frames WHERE run_id = ?1",
    [ST_DEL_TASKS] = "DELETE FROM frame_tasks WHERE run_id = ?1",
    [ST_DEL_METRICS] = "DELETE FROM metrics WHERE run_id = ?1",
    [ST_DEL_LINKS] = "DELETE FROM links WHERE run_id = ?1",
    [ST_DEL_HOSTS] = "DELETE FROM hosts WHERE run_id = ?1",
    [ST_DEL_RUN] = "DELETE FROM runs WHERE id = ?1",
    [ST_INS_RUN] = "INSERT INTO runs(experiment_id, point_index, point_hash, params, policy, replication,"
                   " seed, status, wall_s, error, net_model, finished_utc, params_si)"
                   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, json(?13))",
    [ST_INS_METRIC] = "INSERT INTO metrics(run_id, name, value, unit) VALUES(?1, ?2, ?3, ?4)",
    [ST_INS_FRAME] = "INSERT INTO frames(run_id, source, frame, device, capture_s, queue_s, compute_s,"
                     " transfer_s, complete_s, latency_s, dropped, bytes_sent, outcome, cause, plan_version)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    [ST_INS_TASK] = "INSERT INTO frame_tasks(run_id, source, frame, task, kind, label, device, dst, ready_s,"
                    " start_s, end_s, bytes) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_INS_LINK] = "INSERT INTO links(run_id, name, type, bw_bps, latency_s, bytes, transfers, energy_j)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_INS_HOST] = "INSERT INTO hosts(run_id, name, class, busy_s, tasks, energy_j)"
                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
};

struct sr_results {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *stmt[ST_COUNT];
    char errmsg[512];
};

/* Current UTC time as ISO 8601 ("2026-01-31T12:00:00Z"). */
static void utc_now(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(buf, 32, "unknown");
}

/* Checks an existing, non-empty file before SQLite opens it for writing: it must start with the
 * SQLite header. Returns 0 when the file is absent, empty, or an SQLite file. */
static sr_status check_file_header(const char *path, char *err, size_t err_size)
{
    struct stat sb;
    if (stat(path, &sb) != 0) return SR_OK; /* a new file */
    if (!S_ISREG(sb.st_mode)) {
        sr_errf(err, err_size, "%s: not a regular file", path);
        return SR_ERR_DB;
    }
    if (sb.st_size == 0) return SR_OK;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sr_errf(err, err_size, "%s: cannot read the file", path);
        return SR_ERR_DB;
    }
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got != sizeof head || memcmp(head, "SQLite format 3", 16) != 0) {
        sr_errf(err, err_size, "%s: not an SQLite database (refusing to touch it)", path);
        return SR_ERR_DB;
    }
    return SR_OK;
}

/* Runs a query returning one integer; *out = 0 when there is no row. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK) return rc;
    *out = 0;
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    return rc;
}

/* Classifies the database's content: *ours = 1 when it has our meta table (then *version is its schema
 * version), *n_tables = number of tables of any kind. */
static int inspect(sqlite3 *db, int *ours, int64_t *version, int64_t *n_tables)
{
    int64_t has_meta = 0;
    int rc = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'", n_tables);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'",
                       &has_meta);
    *ours = 0;
    *version = 0;
    if (rc != SQLITE_OK || !has_meta) return rc;
    int64_t has_row = 0;
    rc = query_int(db, "SELECT count(*) FROM meta WHERE key = 'schema_version'", &has_row);
    if (rc == SQLITE_OK)
        rc = query_int(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'", version);
    if (rc == SQLITE_ERROR) { /* someone else's meta table, without our columns */
        *version = 0;
        return SQLITE_OK;
    }
    /* a schema_version row that is not a version simrun writes (0, -1, text) is a damaged database of ours */
    if (rc == SQLITE_OK && has_row) *ours = 1;
    return rc;
}

/* Applies the migrations from version `from` to SR_RESULTS_SCHEMA_VERSION; the caller's transaction makes
 * them all-or-nothing. */
static sr_status migrate(sr_results *r, int64_t from, char *err, size_t err_size)
{
    for (int64_t v = from; v < SR_RESULTS_SCHEMA_VERSION; v++) {
        assert(v >= 1 && k_migrations[v]);
        char *msg = NULL;
        if (sqlite3_exec(r->db, k_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            sr_errf(err, err_size,
                    "%s: cannot upgrade the results schema from version %" PRId64 " to %" PRId64 ": %s",
                    r->path, v, v + 1, msg ? msg : sqlite3_errmsg(r->db));
            sqlite3_free(msg);
            return SR_ERR_DB;
        }
    }
    int64_t version = 0;
    if (query_int(r->db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'", &version) !=
            SQLITE_OK ||
        version != SR_RESULTS_SCHEMA_VERSION) {
        sr_errf(err, err_size, "%s: schema version %" PRId64 " after the upgrade, expected %d", r->path,
                version, SR_RESULTS_SCHEMA_VERSION);
        return SR_ERR_DB;
    }
    return SR_OK;
}

/* Checks the database content inside the caller's transaction: creates the schema when the database is
 * empty and upgrades an older version (both only when may_create). */
static sr_status check_or_create(sr_results *r, int may_create, char *err, size_t err_size)
{
    int ours = 0;
    int64_t version = 0, n_tables = 0;
    int rc = inspect(r->db, &ours, &version, &n_tables);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot read the database: %s", r->path, sqlite3_errmsg(r->db));
        return SR_ERR_DB;
    }
    if (ours) {
        if (version < 1) {
            sr_errf(err, err_size,
                    "%s: meta.schema_version is %" PRId64 ", which no simrun writes (versions 1..%d): the "
                    "database is damaged or was edited by hand; refusing to touch it",
                    r->path, version, SR_RESULTS_SCHEMA_VERSION);
            return SR_ERR_DB;
        }
        if (version > SR_RESULTS_SCHEMA_VERSION) {
            sr_errf(err, err_size,
                    "%s: results schema version %" PRId64 " is newer than this simrun understands (%d); "
                    "use a newer simrun",
                    r->path, version, SR_RESULTS_SCHEMA_VERSION);
            return SR_ERR_DB;
        }
        if (version < SR_RESULTS_SCHEMA_VERSION) {
            if (!may_create) return SR_OK; /* upgraded later, inside the write transaction */
            return migrate(r, version, err, err_size);
        }
        return SR_OK;
    }
    if (n_tables > 0) {
        sr_errf(err, err_size,
                "%s: an SQLite database but not a simrun results database (no meta.schema_version); "
                "refusing to touch it",
                r->path);
        return SR_ERR_DB;
    }
    if (!may_create) {
        sr_errf(err, err_size, "%s: empty database, not a simrun results database", r->path);
        return SR_ERR_DB;
    }
    char *msg = NULL;
    rc = sqlite3_exec(r->db, k_schema_sql, NULL, NULL, &msg);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(r->db, "INSERT INTO meta(key, value) VALUES('schema_version', '1')", NULL, NULL,
                          &msg);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot create the schema: %s", r->path, msg ? msg : "?");
        sqlite3_free(msg);
        return SR_ERR_DB;
    }
    return migrate(r, 1, err, err_size);
}

/* PRAGMA quick_check: SR_ERR_DB with SQLite's first complaint unless it answers "ok". O(size of the file). */
static sr_status quick_check(sqlite3 *db, const char *path, int writing, char *err, size_t err_size)
{
    sqlite3_stmt *q = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &q, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(q);
    const char *what = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : sqlite3_errmsg(db);
    sr_status st = SR_OK;
    if (!what || strcmp(what, "ok") != 0) {
        char one_line[256];
        snprintf(one_line, sizeof one_line, "%s", what ? what : "?");
        for (char *c = one_line; *c; c++)
            if (*c == '\n') *c = ' ';
        what = one_line;
        sr_errf(err, err_size,
                "%s: the database is damaged (SQLite's integrity check says: %s); simrun leaves it as it is: "
                "%srecover what it holds with sqlite3's .recover",
                path, what, writing ? "write to another --db, or " : "");
        st = SR_ERR_DB;
    }
    sqlite3_finalize(q);
    return st;
}

sr_status sr_results_open(const char *path, sr_results **out, char *err, size_t err_size)
{
    assert(out);
    *out = NULL;
    if (err && err_size) err[0] = '\0';
    if (!path || !path[0]) {
        sr_errf(err, err_size, "no database path given");
        return SR_ERR_INVALID;
    }
    sr_status st = check_file_header(path, err, err_size);
    if (st) return st;

    sr_results *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return SR_ERR_NOMEM;
    }
    int rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot open: %s", path, r->db ? sqlite3_errmsg(r->db) : "out of memory");
        st = SR_ERR_DB;
        goto fail;
    }
    sqlite3_extended_result_codes(r->db, 1);
    sqlite3_busy_timeout(r->db, SR_RESULTS_BUSY_TIMEOUT_MS);

    /* Look before writing anything (the WAL switch below rewrites the header). */
    {
        int ours = 0;
        int64_t version = 0, n_tables = 0;
        rc = inspect(r->db, &ours, &version, &n_tables);
        if (rc != SQLITE_OK) {
            sr_errf(err, err_size, "%s: not a readable SQLite database: %s", path, sqlite3_errmsg(r->db));
            st = SR_ERR_DB;
            goto fail;
        }
        if (!ours && n_tables > 0) {
            st = check_or_create(r, 0, err, err_size);
            assert(st);
            goto fail;
        }
        if (ours && (version > SR_RESULTS_SCHEMA_VERSION || version < 1)) {
            st = check_or_create(r, 0, err, err_size);
            assert(st);
            goto fail;
        }
        /* A database simrun did not just create may be damaged past its first page (a copy cut short, a
         * disk error): check its pages before writing into it. */
        if (ours && (st = quick_check(r->db, path, 1, err, err_size)) != SR_OK) goto fail;
        /* and that its numbers are numbers: a run's summary and the reports read them back */
        if (ours && (st = sr_results_check_values(r->db, (int)version, path, err, err_size)) != SR_OK) goto fail;
    }

    char *msg = NULL;
    rc = sqlite3_exec(r->db,
                      "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                      NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot configure the database: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        st = SR_ERR_DB;
        goto fail;
    }
    rc = sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot lock the database: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        st = SR_ERR_DB;
        goto fail;
    }
    st = check_or_create(r, 1, err, err_size);
    if (st) {
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        goto fail;
    }
    rc = sqlite3_exec(r->db, "COMMIT", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot commit the schema: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
        st = SR_ERR_DB;
        goto fail;
    }
    *out = r;
    return SR_OK;

fail:
    sr_results_close(r);
    return st;
}

void sr_results_close(sr_results *r)
{
    if (!r) return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(r->stmt[i]);
    sqlite3_close(r->db);
    free(r->path);
    free(r);
}

const char *sr_results_errmsg(const sr_results *r)
{
    return r ? r->errmsg : "no database";
}

static sr_status db_fail(sr_results *r, const char *what)
{
    snprintf(r->errmsg, sizeof r->errmsg, "%s: %s: %s", r->path, what, sqlite3_errmsg(r->db));
    return SR_ERR_DB;
}

sr_status sr_results_experiment(sr_results *r, const char *name, const char *yaml_text, const char *hash,
                                int64_t *exp_id)
{
    assert(r && exp_id);
    if (!name || !yaml_text || !hash || !hash[0]) {
        snprintf(r->errmsg, sizeof r->errmsg, "experiment needs a name, YAML text and hash");
        return SR_ERR_INVALID;
    }
    char now[32];
    utc_now(now);
    sqlite3_stmt *s = NULL;
    sr_status st = SR_OK;
    int rc = sqlite3_prepare_v2(r->db,
                                "INSERT INTO experiments(name, hash, yaml, simrun_version, created_utc)"
                                " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(hash) DO NOTHING",
                                -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(r, "preparing the experiment insert");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, yaml_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, SIMRUN_VERSION, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return db_fail(r, "inserting the experiment");
    rc = sqlite3_prepare_v2(r->db, "SELECT id FROM experiments WHERE hash = ?1", -1, &s, NULL);
    if (rc != SQLITE_OK) return db_fail(r, "preparing the experiment lookup");
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *exp_id = sqlite3_column_int64(s, 0);
    else
        st = db_fail(r, "looking up the experiment");
    sqlite3_finalize(s);
    return st;
}

sr_status sr_results_experiment_renamed(sr_results *r, const char *name, const char *hash, char other_hash[17],
                                        int *found)
{
    assert(r && name && hash && found);
    *found = 0;
    other_hash[0] = '\0';
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(r->db, "SELECT hash FROM experiments WHERE name = ?1 AND hash <> ?2 AND NOT EXISTS"
                           " (SELECT 1 FROM experiments WHERE hash = ?2) ORDER BY id DESC LIMIT 1",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(r, "preparing the experiment lookup");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        snprintf(other_hash, 17, "%s", (const char *)sqlite3_column_text(s, 0));
        *found = 1;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SR_OK : db_fail(r, "looking up the experiment");
}

sr_status sr_results_point_done(sr_results *r, int64_t exp_id, const char *point_hash, int *done)
{
    assert(r && point_hash && done);
    *done = 0;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        r->db, "SELECT 1 FROM runs WHERE experiment_id = ?1 AND point_hash = ?2 AND status = 'ok'", -1, &s,
        NULL);
    if (rc != SQLITE_OK) return db_fail(r, "preparing the point lookup");
    sqlite3_bind_int64(s, 1, exp_id);
    sqlite3_bind_text(s, 2, point_hash, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sr_status st = SR_OK;
    if (rc == SQLITE_ROW)
        *done = 1;
    else if (rc != SQLITE_DONE)
        st = db_fail(r, "looking up the point");
    sqlite3_finalize(s);
    return st;
}

/* The statement for id, prepared on first use and reset for reuse. */
static sqlite3_stmt *stmt(sr_results *r, int id)
{
    if (!r->stmt[id]) {
        if (sqlite3_prepare_v3(r->db, k_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[id], NULL) !=
            SQLITE_OK)
            return NULL;
    } else {
        sqlite3_reset(r->stmt[id]);
        sqlite3_clear_bindings(r->stmt[id]);
    }
    return r->stmt[id];
}

/* Binds a double; NaN becomes NULL (SQLite would do so too, but say it). */
static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

static void bind_text_or_null(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* Steps a bound statement that returns no rows; SQLITE_DONE expected. */
static int exec_stmt(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The body of sr_results_write_run, inside BEGIN IMMEDIATE; any non-zero return rolls back. */
static sr_status write_run_tx(sr_results *r, const sr_run_info *info, const sr_run_output *out,
                              int64_t *run_id)
{
    sqlite3_stmt *s = stmt(r, ST_FIND_RUN);
    if (!s) return db_fail(r, "preparing the run lookup");
    sqlite3_bind_int64(s, 1, info->exp_id);
    sqlite3_bind_text(s, 2, info->point_hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        int64_t old_id = sqlite3_column_int64(s, 0);
        int old_ok = strcmp((const char *)sqlite3_column_text(s, 1), "ok") == 0;
        sqlite3_reset(s);
        if (old_ok && !info->replace) {
            snprintf(r->errmsg, sizeof r->errmsg,
                     "%s: point %s (index %d) of experiment %" PRId64 " already has a successful run",
                     r->path, info->point_hash, info->point_index, info->exp_id);
            return SR_ERR_DB;
        }
        static const int dels[] = {ST_DEL_FRAMES, ST_DEL_TASKS, ST_DEL_METRICS,
                                   ST_DEL_LINKS,  ST_DEL_HOSTS, ST_DEL_RUN};
        for (size_t i = 0; i < sizeof dels / sizeof dels[0]; i++) {
            sqlite3_stmt *d = stmt(r, dels[i]);
            if (!d) return db_fail(r, "preparing a delete");
            sqlite3_bind_int64(d, 1, old_id);
            if (exec_stmt(d) != SQLITE_OK) return db_fail(r, "deleting the earlier run");
        }
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(s);
        return db_fail(r, "looking up the run");
    } else {
        sqlite3_reset(s);
    }

    char now[32], seed[24];
    utc_now(now);
    snprintf(seed, sizeof seed, "%" PRIu64, info->seed);
    s = stmt(r, ST_INS_RUN);
    if (!s) return db_fail(r, "preparing the run insert");
    sqlite3_bind_int64(s, 1, info->exp_id);
    sqlite3_bind_int(s, 2, info->point_index);
    sqlite3_bind_text(s, 3, info->point_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, info->params_json ? info->params_json : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, info->policy ? info->policy : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, info->replication);
    sqlite3_bind_text(s, 7, seed, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, info->status, -1, SQLITE_STATIC);
    bind_real(s, 9, info->wall_s);
    bind_text_or_null(s, 10, info->error);
    bind_text_or_null(s, 11, info->net_model);
    sqlite3_bind_text(s, 12, now, -1, SQLITE_STATIC);
    bind_text_or_null(s, 13, info->params_si_json);
    if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting the run");
    int64_t id = sqlite3_last_insert_rowid(r->db);

    if (out) {
        for (size_t i = 0; i < out->n_metrics; i++) {
            const sr_metric *m = &out->metrics[i];
            s = stmt(r, ST_INS_METRIC);
            if (!s) return db_fail(r, "preparing the metric insert");
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_text(s, 2, m->name, -1, SQLITE_STATIC);
            bind_real(s, 3, m->value);
            sqlite3_bind_text(s, 4, m->unit, -1, SQLITE_STATIC);
            if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting a metric");
        }
        s = stmt(r, ST_INS_FRAME);
        if (!s && out->n_frames) return db_fail(r, "preparing the frame insert");
        for (size_t i = 0; i < out->n_frames; i++) {
            const sr_frame_record *f = &out->frames[i];
            int completed = !f->dropped && f->latency_s >= 0;
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int(s, 2, f->source);
            sqlite3_bind_int64(s, 3, f->frame);
            sqlite3_bind_text(s, 4, f->device, -1, SQLITE_STATIC);
            bind_real(s, 5, f->capture_s);
            bind_real(s, 6, f->queue_s);
            bind_real(s, 7, f->compute_s);
            bind_real(s, 8, f->transfer_s);
            bind_real(s, 9, completed ? f->complete_s : NAN);
            bind_real(s, 10, completed ? f->latency_s : NAN);
            sqlite3_bind_int(s, 11, completed ? 0 : 1);
            sqlite3_bind_int64(s, 12, f->bytes_sent);
            /* records without an outcome (older writers) are completed or dropped */
            sqlite3_bind_text(s, 13, f->outcome[0] ? f->outcome : completed ? "completed" : "dropped", -1,
                              SQLITE_STATIC);
            sqlite3_bind_text(s, 14, f->cause, -1, SQLITE_STATIC);
            sqlite3_bind_int(s, 15, f->plan_version > 0 ? f->plan_version : 0);
            if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting a frame");
        }
        for (size_t i = 0; i < out->n_tasks; i++) {
            const sr_task_record *t = &out->tasks[i];
            s = stmt(r, ST_INS_TASK);
            if (!s) return db_fail(r, "preparing the frame task insert");
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_int(s, 2, t->source);
            sqlite3_bind_int64(s, 3, t->frame);
            sqlite3_bind_int(s, 4, t->task);
            sqlite3_bind_text(s, 5, t->kind, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 6, t->label, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 7, t->device, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 8, t->dst, -1, SQLITE_STATIC);
            bind_real(s, 9, t->ready_s);
            bind_real(s, 10, t->start_s);
            bind_real(s, 11, t->end_s);
            sqlite3_bind_int64(s, 12, t->bytes);
            if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting a frame task");
        }
        for (size_t i = 0; i < out->n_links; i++) {
            const sr_link_stat *l = &out->links[i];
            s = stmt(r, ST_INS_LINK);
            if (!s) return db_fail(r, "preparing the link insert");
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_text(s, 2, l->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, l->type, -1, SQLITE_STATIC);
            bind_real(s, 4, l->bw_bps);
            bind_real(s, 5, l->latency_s);
            sqlite3_bind_int64(s, 6, l->bytes);
            sqlite3_bind_int64(s, 7, l->transfers);
            bind_real(s, 8, l->energy_j);
            if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting a link");
        }
        for (size_t i = 0; i < out->n_hosts; i++) {
            const sr_host_stat *h = &out->hosts[i];
            s = stmt(r, ST_INS_HOST);
            if (!s) return db_fail(r, "preparing the host insert");
            sqlite3_bind_int64(s, 1, id);
            sqlite3_bind_text(s, 2, h->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, h->device_class, -1, SQLITE_STATIC);
            bind_real(s, 4, h->busy_s);
            sqlite3_bind_int64(s, 5, h->tasks);
            bind_real(s, 6, h->energy_j);
            if (exec_stmt(s) != SQLITE_OK) return db_fail(r, "inserting a host");
        }
    }
    *run_id = id;
    return SR_OK;
}

sr_status sr_results_write_run(sr_results *r, const sr_run_info *info, const sr_run_output *out,
                               int64_t *run_id)
{
    assert(r && info);
    int64_t dummy;
    if (!run_id) run_id = &dummy;
    r->errmsg[0] = '\0';
    if (!info->point_hash || !info->point_hash[0] || !info->status ||
        (strcmp(info->status, "ok") != 0 && strcmp(info->status, "failed") != 0)) {
        snprintf(r->errmsg, sizeof r->errmsg, "run needs a point hash and a status of \"ok\" or \"failed\"");
        return SR_ERR_INVALID;
    }
    if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(r, "starting the run transaction");
    sr_status st = write_run_tx(r, info, out, run_id);
    if (st == SR_OK && sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        st = db_fail(r, "committing the run");
    if (st != SR_OK && !sqlite3_get_autocommit(r->db)) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

sr_status sr_results_probe(const char *path, int *version, char *err, size_t err_size)
{
    assert(version);
    *version = 0;
    if (err && err_size) err[0] = '\0';
    if (!path || !path[0]) {
        sr_errf(err, err_size, "no database path given");
        return SR_ERR_INVALID;
    }
    struct stat sb;
    if (stat(path, &sb) != 0) {
        sr_errf(err, err_size, "%s: no such database file", path);
        return SR_ERR_DB;
    }
    if (!S_ISREG(sb.st_mode)) {
        sr_errf(err, err_size, "%s: not a regular file (a device, FIFO or directory is not a results database)", path);
        return SR_ERR_DB;
    }
    sr_status st = check_file_header(path, err, err_size);
    if (st) return st;
    if (sb.st_size == 0) {
        sr_errf(err, err_size, "%s: empty file, not a simrun results database", path);
        return SR_ERR_DB;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    int ours = 0;
    int64_t v = 0, n_tables = 0;
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(db, SR_RESULTS_BUSY_TIMEOUT_MS);
        rc = inspect(db, &ours, &v, &n_tables);
    }
    if (rc != SQLITE_OK) {
        sr_errf(err, err_size, "%s: not a readable SQLite database: %s", path, db ? sqlite3_errmsg(db) : "?");
        st = SR_ERR_DB;
    } else if (!ours) {
        sr_errf(err, err_size, "%s: an SQLite database but not a simrun results database (no meta.schema_version)",
                path);
        st = SR_ERR_DB;
    } else if (v > SR_RESULTS_SCHEMA_VERSION) {
        sr_errf(err, err_size,
                "%s: results schema version %" PRId64 " is newer than this simrun understands (%d); use a newer simrun",
                path, v, SR_RESULTS_SCHEMA_VERSION);
        st = SR_ERR_DB;
    } else if (v < 1) {
        sr_errf(err, err_size,
                "%s: meta.schema_version is %" PRId64 ", which no simrun writes (1..%d): the database is damaged",
                path, v, SR_RESULTS_SCHEMA_VERSION);
        st = SR_ERR_DB;
    } else if ((st = quick_check(db, path, 0, err, err_size)) == SR_OK &&
               (st = sr_results_check_values(db, (int)v, path, err, err_size)) == SR_OK) {
        *version = (int)v;
    }
    sqlite3_close(db);
    return st;
}

int sr_results_metric_is_wallclock(const char *name)
{
    static const char suffix[] = "wall_s";
    size_t n = name ? strlen(name) : 0, m = sizeof suffix - 1;
    return n >= m && strcmp(name + n - m, suffix) == 0;
}
