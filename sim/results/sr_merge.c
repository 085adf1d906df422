/* sr_merge.c: merges results databases into one (see sr_merge.h).
 *
 * The output is opened once through sr_results_open (schema created or upgraded), then on a plain
 * connection that ATTACHes each input read-only as `src` and copies its rows with INSERT ... SELECT in one
 * BEGIN IMMEDIATE transaction per input. Run ids are the output's own (AUTOINCREMENT); a temporary table
 * remembers which input each copied run came from, for the conflict messages. */
#include "sr_merge.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "sr_results.h"
#include "sr_results_internal.h"

typedef struct merge_ctx {
    sqlite3 *db;
    const char *out_path;
    const char *input; /* path of the input being merged */
    int input_version; /* its schema version */
    FILE *report;
    sr_merge_stats *stats;
    char *err;
    size_t err_size;
    int lines; /* difference lines printed for the current conflict */
} merge_ctx;

static sr_status sql_fail(merge_ctx *m, const char *what)
{
    sr_errf(m->err, m->err_size, "%s: %s: %s", m->out_path, what, sqlite3_errmsg(m->db));
    return SR_ERR_DB;
}

/* Prepares sql, binds the int64 arguments (?1.. in order), and steps once. Returns the step result (the
 * statement stays open on a row: the caller finalizes) or -1 when preparing failed. */
static int run1(sqlite3 *db, const char *sql, sqlite3_stmt **out, int n, const int64_t *args)
{
    *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, out, NULL) != SQLITE_OK) return -1;
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(*out, i + 1, args[i]);
    return sqlite3_step(*out);
}

/* Executes sql with int64 arguments; SQLITE_DONE expected. */
static sr_status exec_args(merge_ctx *m, const char *sql, int n, const int64_t *args, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = run1(m->db, sql, &s, n, args);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SR_OK : sql_fail(m, what);
}

/* Copies run src_id of the input (with its child rows) into experiment dst_exp of the output. */
static sr_status copy_run(merge_ctx *m, int64_t dst_exp, int64_t src_id)
{
    int64_t a[2] = {dst_exp, src_id};
    /* version-3 inputs carry params_si and the frames' outcome, cause and plan version; older inputs get the
     * values the v3 upgrade gives their rows */
    int v3 = m->input_version >= 3;
    sr_status st = exec_args(m,
                             v3 ? "INSERT INTO main.runs(experiment_id, point_index, point_hash, params, policy,"
                                  " replication, seed, status, wall_s, error, net_model, finished_utc, params_si)"
                                  " SELECT ?1, point_index, point_hash, params, policy, replication, seed, status,"
                                  " wall_s, error, net_model, finished_utc, params_si FROM src.runs WHERE id = ?2"
                                : "INSERT INTO main.runs(experiment_id, point_index, point_hash, params, policy,"
                                  " replication, seed, status, wall_s, error, net_model, finished_utc)"
                                  " SELECT ?1, point_index, point_hash, params, policy, replication, seed, status,"
                                  " wall_s, error, net_model, finished_utc FROM src.runs WHERE id = ?2",
                             2, a, "copying a run");
    if (st) return st;
    int64_t c[2] = {sqlite3_last_insert_rowid(m->db), src_id};
    static const char *const children[] = {
        "INSERT INTO main.metrics(run_id, name, value, unit) SELECT ?1, name, value, unit"
        " FROM src.metrics WHERE run_id = ?2",
        "INSERT INTO main.frames(run_id, source, frame, device, capture_s, queue_s, compute_s, transfer_s,"
        " complete_s, latency_s, dropped, bytes_sent, outcome) SELECT ?1, source, frame, device, capture_s,"
        " queue_s, compute_s, transfer_s, complete_s, latency_s, dropped, bytes_sent,"
        " CASE WHEN dropped THEN 'dropped' ELSE 'completed' END FROM src.frames WHERE run_id = ?2",
        "INSERT INTO main.links(run_id, name, type, bw_bps, latency_s, bytes, transfers, energy_j)"
        " SELECT ?1, name, type, bw_bps, latency_s, bytes, transfers, energy_j FROM src.links WHERE run_id = "
        "?2",
        "INSERT INTO main.hosts(run_id, name, class, busy_s, tasks, energy_j)"
        " SELECT ?1, name, class, busy_s, tasks, energy_j FROM src.hosts WHERE run_id = ?2",
        "INSERT INTO main.frame_tasks(run_id, source, frame, task, kind, label, device, dst, ready_s, "
        "start_s,"
        " end_s, bytes) SELECT ?1, source, frame, task, kind, label, device, dst, ready_s, start_s, end_s, "
        "bytes"
        " FROM src.frame_tasks WHERE run_id = ?2",
    };
    static const char *const frames_v3 =
        "INSERT INTO main.frames(run_id, source, frame, device, capture_s, queue_s, compute_s, transfer_s,"
        " complete_s, latency_s, dropped, bytes_sent, outcome, cause, plan_version) SELECT ?1, source, frame,"
        " device, capture_s, queue_s, compute_s, transfer_s, complete_s, latency_s, dropped, bytes_sent, outcome,"
        " cause, plan_version FROM src.frames WHERE run_id = ?2";
    int n_children = (int)(sizeof children / sizeof children[0]) - (m->input_version < 2);
    for (int i = 0; i < n_children && !st; i++)
        st = exec_args(m, i == 1 && v3 ? frames_v3 : children[i], 2, c, "copying a run's rows");
    if (!st) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO temp.origin(run_id, file) VALUES(?1, ?2)", -1,
                               &s, NULL) != SQLITE_OK)
            return sql_fail(m, "noting a run's origin");
        sqlite3_bind_int64(s, 1, c[0]);
        sqlite3_bind_text(s, 2, m->input, -1, SQLITE_STATIC);
        if (sqlite3_step(s) != SQLITE_DONE) st = sql_fail(m, "noting a run's origin");
        sqlite3_finalize(s);
    }
    if (!st) m->stats->runs_added++;
    return st;
}

static void print_diff(void *ctx, const char *what, const char *a, const char *b, double rel)
{
    merge_ctx *m = ctx;
    (void)rel;
    if (!m->report || ++m->lines > 5) return;
    fprintf(m->report, "    %s: %s (merged) vs %s (%s)\n", what, a, b, m->input);
}

/* Reports a conflict between run dst_id (already in the output) and src_id (of the input). */
static sr_status conflict(merge_ctx *m, int64_t dst_id, int64_t src_id)
{
    m->stats->conflicts++;
    if (!m->report) return SR_OK;
    sqlite3_stmt *s = NULL;
    int64_t a[1] = {dst_id};
    int rc = run1(m->db,
                  "SELECT e.name, e.hash, r.point_index, r.point_hash, r.params, r.seed,"
                  " coalesce((SELECT file FROM temp.origin WHERE run_id = r.id), '(the output as it was)')"
                  " FROM main.runs r JOIN main.experiments e ON e.id = r.experiment_id WHERE r.id = ?1",
                  &s, 1, a);
    if (rc == SQLITE_ROW)
        fprintf(m->report,
                "simrun merge: conflict: experiment %s (%s) point %d %s %s seed %s: %s and %s disagree; "
                "keeping the first\n",
                (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
                sqlite3_column_int(s, 2), (const char *)sqlite3_column_text(s, 3),
                (const char *)sqlite3_column_text(s, 4), (const char *)sqlite3_column_text(s, 5),
                (const char *)sqlite3_column_text(s, 6), m->input);
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) return sql_fail(m, "describing a conflict");
    m->lines = 0;
    sr_diff_opts o = {.rtol = -1, .rows = 1, .frame_tasks = m->input_version >= 2, .max_detail = 3};
    int n = 0;
    return sr_results_diff_runs(m->db, "main", dst_id, "src", src_id, &o, print_diff, m, &n, m->err,
                                m->err_size);
}

/* Merges the runs of input experiment src_exp into output experiment dst_exp. */
static sr_status merge_runs(merge_ctx *m, int64_t src_exp, int64_t dst_exp)
{
    sqlite3_stmt *runs = NULL;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT id, point_hash, status = 'ok' FROM src.runs WHERE experiment_id = ?1"
                           " ORDER BY point_index, id",
                           -1, &runs, NULL) != SQLITE_OK)
        return sql_fail(m, "listing the input's runs");
    sqlite3_bind_int64(runs, 1, src_exp);
    sr_status st = SR_OK;
    int rc;
    while (!st && (rc = sqlite3_step(runs)) == SQLITE_ROW) {
        int64_t src_id = sqlite3_column_int64(runs, 0);
        int src_ok = sqlite3_column_int(runs, 2);
        sqlite3_stmt *f = NULL;
        if (sqlite3_prepare_v2(
                m->db, "SELECT id, status = 'ok' FROM main.runs WHERE experiment_id = ?1 AND point_hash = ?2",
                -1, &f, NULL) != SQLITE_OK) {
            st = sql_fail(m, "looking up a point");
            break;
        }
        sqlite3_bind_int64(f, 1, dst_exp);
        sqlite3_bind_text(f, 2, (const char *)sqlite3_column_text(runs, 1), -1, SQLITE_TRANSIENT);
        int frc = sqlite3_step(f);
        int64_t dst_id = frc == SQLITE_ROW ? sqlite3_column_int64(f, 0) : 0;
        int dst_ok = frc == SQLITE_ROW ? sqlite3_column_int(f, 1) : 0;
        sqlite3_finalize(f);
        if (frc != SQLITE_ROW && frc != SQLITE_DONE) {
            st = sql_fail(m, "looking up a point");
        } else if (frc == SQLITE_DONE) {
            st = copy_run(m, dst_exp, src_id);
        } else if (dst_ok && src_ok) {
            sr_diff_opts o = {.rtol = -1, .rows = 1, .frame_tasks = m->input_version >= 2, .max_detail = 0};
            int n = 0;
            st = sr_results_diff_runs(m->db, "main", dst_id, "src", src_id, &o, NULL, NULL, &n, m->err,
                                      m->err_size);
            if (!st && n == 0) m->stats->duplicates++;
            if (!st && n > 0) st = conflict(m, dst_id, src_id);
        } else if (!dst_ok && src_ok) {
            int64_t a[1] = {dst_id};
            st = exec_args(m, "DELETE FROM main.runs WHERE id = ?1", 1, a, "replacing a failed run");
            if (!st) st = copy_run(m, dst_exp, src_id);
            if (!st) m->stats->failed_replaced++;
        } else {
            m->stats->duplicates++; /* the output's ok run beats a failed copy; of two failures, the first */
        }
    }
    if (!st && rc != SQLITE_DONE) st = sql_fail(m, "reading the input's runs");
    sqlite3_finalize(runs);
    return st;
}

/* The body of one input's transaction. */
static sr_status merge_input(merge_ctx *m, const char *only_hash)
{
    sqlite3_stmt *exps = NULL;
    if (sqlite3_prepare_v2(m->db,
                           "SELECT id, name, hash, yaml, simrun_version, created_utc FROM src.experiments"
                           " WHERE ?1 IS NULL OR hash = ?1 ORDER BY id",
                           -1, &exps, NULL) != SQLITE_OK)
        return sql_fail(m, "listing the input's experiments");
    if (only_hash) sqlite3_bind_text(exps, 1, only_hash, -1, SQLITE_STATIC);
    sr_status st = SR_OK;
    int rc;
    while (!st && (rc = sqlite3_step(exps)) == SQLITE_ROW) {
        sqlite3_stmt *ins = NULL;
        if (sqlite3_prepare_v2(m->db,
                               "INSERT INTO main.experiments(name, hash, yaml, simrun_version, created_utc)"
                               " VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(hash) DO NOTHING",
                               -1, &ins, NULL) != SQLITE_OK) {
            st = sql_fail(m, "preparing the experiment insert");
            break;
        }
        for (int i = 1; i <= 5; i++)
            sqlite3_bind_value(ins, i, sqlite3_column_value(exps, i));
        int irc = sqlite3_step(ins);
        sqlite3_finalize(ins);
        if (irc != SQLITE_DONE) {
            st = sql_fail(m, "inserting an experiment");
            break;
        }
        if (sqlite3_changes(m->db) > 0) m->stats->experiments_added++;
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(m->db, "SELECT id FROM main.experiments WHERE hash = ?1", -1, &q, NULL) !=
            SQLITE_OK) {
            st = sql_fail(m, "looking up an experiment");
            break;
        }
        sqlite3_bind_value(q, 1, sqlite3_column_value(exps, 2));
        int64_t dst_exp = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
        sqlite3_finalize(q);
        st = dst_exp ? merge_runs(m, sqlite3_column_int64(exps, 0), dst_exp)
                     : sql_fail(m, "looking up an experiment");
    }
    if (!st && rc != SQLITE_DONE) st = sql_fail(m, "reading the input's experiments");
    sqlite3_finalize(exps);
    return st;
}

/* 1 when a and b name the same existing file. */
static int same_file(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

sr_status sr_results_merge(const char *out_path, const char *const *inputs, int n_inputs,
                           const char *only_hash, FILE *report, sr_merge_stats *stats, char *err,
                           size_t err_size)
{
    assert(stats);
    memset(stats, 0, sizeof *stats);
    if (err && err_size) err[0] = '\0';
    if (!out_path || n_inputs < 1 || !inputs) {
        sr_errf(err, err_size, "merge needs an output and at least one input");
        return SR_ERR_INVALID;
    }
    int *versions = calloc((size_t)n_inputs, sizeof *versions);
    if (!versions) return SR_ERR_NOMEM;
    sr_status st = SR_OK;
    sqlite3 *db = NULL;
    for (int i = 0; i < n_inputs && !st; i++) {
        if (same_file(inputs[i], out_path)) {
            sr_errf(err, err_size, "%s: the output is also an input", out_path);
            st = SR_ERR_INVALID;
        } else {
            st = sr_results_probe(inputs[i], &versions[i], err, err_size);
        }
    }
    if (st) goto cleanup;
    sr_results *r = NULL;
    st = sr_results_open(out_path, &r, err, err_size); /* creates or upgrades the output's schema */
    sr_results_close(r);
    if (st) goto cleanup;
    if (sqlite3_open_v2(out_path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: cannot open: %s", out_path, db ? sqlite3_errmsg(db) : "out of memory");
        st = SR_ERR_DB;
        goto cleanup;
    }
    sqlite3_busy_timeout(db, 60000);
    if (sqlite3_exec(
            db, "PRAGMA foreign_keys = ON; CREATE TEMP TABLE origin(run_id INTEGER PRIMARY KEY, file TEXT)",
            NULL, NULL, NULL) != SQLITE_OK) {
        sr_errf(err, err_size, "%s: %s", out_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto cleanup;
    }
    merge_ctx m = {
        .db = db, .out_path = out_path, .report = report, .stats = stats, .err = err, .err_size = err_size};
    for (int i = 0; i < n_inputs && !st; i++) {
        m.input = inputs[i];
        m.input_version = versions[i];
        st = sr_results_attach_ro(db, inputs[i], "src", err, err_size);
        if (st) break;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
            st = sql_fail(&m, "starting the merge transaction");
        } else {
            st = merge_input(&m, only_hash);
            if (!st && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
                st = sql_fail(&m, "committing the merge");
            if (st && !sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
        sqlite3_exec(db, "DETACH DATABASE src", NULL, NULL, NULL);
    }

cleanup:
    sqlite3_close(db);
    free(versions);
    return st;
}
