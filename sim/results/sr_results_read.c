/* sr_results_read.c: reading runs back with their parameters and metrics (sr_results_read.h). Three prepared
 * statements (the runs, the params JSON's entries, a run's metrics); per run, growable arrays reused from run to
 * run, so the reader allocates only when a run has more parameters or metrics than any before. */
#include "sr_results_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_status.h"

/* Copies of the strings of one run (sqlite3 text is only valid until the next step). */
typedef struct strpool {
    char *buf;
    size_t n, cap;
} strpool;

/* Offset of a copy of s in the pool, or (size_t)-1 when out of memory. */
static size_t pool_add(strpool *p, const char *s)
{
    size_t len = strlen(s ? s : "") + 1;
    if (p->n + len > p->cap) {
        size_t cap = p->cap ? p->cap : 1024;
        while (cap < p->n + len) cap *= 2;
        char *nb = realloc(p->buf, cap);
        if (!nb) return (size_t)-1;
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->n, s ? s : "", len);
    size_t at = p->n;
    p->n += len;
    return at;
}

sr_status sr_results_read_experiment(sqlite3 *db, const char *hash, int64_t *exp_id)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM experiments WHERE hash = ?1 ORDER BY id DESC LIMIT 1", -1, &q,
                           NULL) != SQLITE_OK)
        return SR_ERR_DB;
    sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) *exp_id = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? SR_OK : rc == SQLITE_DONE ? SR_ERR_NOT_FOUND : SR_ERR_DB;
}

double sr_read_run_metric(const sr_read_run *run, const char *name)
{
    for (int i = 0; i < run->n_metrics; i++)
        if (strcmp(run->metrics[i].name, name) == 0) return run->metrics[i].value;
    return NAN;
}

sr_status sr_results_read_runs(sqlite3 *db, int64_t exp_id, int ok_only, sr_read_fn fn, void *user, char *err,
                               size_t err_size)
{
    sqlite3_stmt *qr = NULL, *qp = NULL, *qm = NULL;
    sr_status st = SR_OK;
    strpool pool = {0};
    size_t *poff = NULL, *moff = NULL; /* pool offsets: param key/value pairs, metric name/unit pairs */
    sr_read_param *params = NULL;
    sr_read_metric *metrics = NULL;
    double *mval = NULL;
    int pcap = 0, mcap = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, point_index, point_hash, policy, replication, status, params FROM runs"
                           " WHERE experiment_id = ?1 AND (?2 = 0 OR status = 'ok') ORDER BY point_index, id",
                           -1, &qr, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT key, value FROM json_each(?1) WHERE type NOT IN ('object', 'array')"
                           " AND key NOT IN ('policy', 'replication')",
                           -1, &qp, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name, value, unit FROM metrics WHERE run_id = ?1 ORDER BY name", -1, &qm,
                           NULL) != SQLITE_OK) {
        snprintf(err, err_size, "cannot query the runs: %s", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(qr, 1, exp_id);
    sqlite3_bind_int(qr, 2, ok_only != 0);
    int rc = SQLITE_DONE;
    while (st == SR_OK && (rc = sqlite3_step(qr)) == SQLITE_ROW) {
        pool.n = 0;
        size_t s_hash = pool_add(&pool, (const char *)sqlite3_column_text(qr, 2));
        size_t s_policy = pool_add(&pool, (const char *)sqlite3_column_text(qr, 3));
        size_t s_status = pool_add(&pool, (const char *)sqlite3_column_text(qr, 5));
        int np = 0, nm = 0;
        sqlite3_reset(qp);
        sqlite3_bind_value(qp, 1, sqlite3_column_value(qr, 6));
        while ((rc = sqlite3_step(qp)) == SQLITE_ROW) {
            if (np == pcap) {
                pcap = pcap ? 2 * pcap : 8;
                size_t *n1 = realloc(poff, (size_t)pcap * 2 * sizeof *n1);
                if (!n1) {
                    st = SR_ERR_NOMEM;
                    break;
                }
                poff = n1;
            }
            poff[2 * np] = pool_add(&pool, (const char *)sqlite3_column_text(qp, 0));
            poff[2 * np + 1] = pool_add(&pool, (const char *)sqlite3_column_text(qp, 1));
            np++;
        }
        if (st == SR_OK && rc != SQLITE_DONE) {
            snprintf(err, err_size, "run %lld: malformed params JSON: %s", (long long)sqlite3_column_int64(qr, 0),
                     sqlite3_errmsg(db));
            st = SR_ERR_DB;
        }
        sqlite3_reset(qm);
        sqlite3_bind_int64(qm, 1, sqlite3_column_int64(qr, 0));
        while (st == SR_OK && (rc = sqlite3_step(qm)) == SQLITE_ROW) {
            if (nm == mcap) {
                mcap = mcap ? 2 * mcap : 32;
                size_t *n1 = realloc(moff, (size_t)mcap * 2 * sizeof *n1);
                double *n2 = n1 ? realloc(mval, (size_t)mcap * sizeof *n2) : NULL;
                if (n1) moff = n1;
                if (!n1 || !n2) {
                    st = SR_ERR_NOMEM;
                    break;
                }
                mval = n2;
            }
            moff[2 * nm] = pool_add(&pool, (const char *)sqlite3_column_text(qm, 0));
            moff[2 * nm + 1] = pool_add(&pool, (const char *)sqlite3_column_text(qm, 2));
            mval[nm] = sqlite3_column_type(qm, 1) == SQLITE_NULL ? NAN : sqlite3_column_double(qm, 1);
            nm++;
        }
        if (st == SR_OK && rc != SQLITE_DONE) {
            snprintf(err, err_size, "cannot read the metrics: %s", sqlite3_errmsg(db));
            st = SR_ERR_DB;
        }
        if (st != SR_OK) break;
        if (s_hash == (size_t)-1 || s_policy == (size_t)-1 || s_status == (size_t)-1) {
            st = SR_ERR_NOMEM;
            break;
        }
        /* the pool may have moved while it grew: build the views now */
        sr_read_param *pv = realloc(params, (size_t)(np ? np : 1) * sizeof *pv);
        sr_read_metric *mv = realloc(metrics, (size_t)(nm ? nm : 1) * sizeof *mv);
        if (pv) params = pv;
        if (mv) metrics = mv;
        if (!pv || !mv) {
            st = SR_ERR_NOMEM;
            break;
        }
        for (int i = 0; i < np; i++) {
            if (poff[2 * i] == (size_t)-1 || poff[2 * i + 1] == (size_t)-1) st = SR_ERR_NOMEM;
            else params[i] = (sr_read_param){pool.buf + poff[2 * i], pool.buf + poff[2 * i + 1]};
        }
        for (int i = 0; i < nm; i++) {
            if (moff[2 * i] == (size_t)-1 || moff[2 * i + 1] == (size_t)-1) st = SR_ERR_NOMEM;
            else metrics[i] = (sr_read_metric){pool.buf + moff[2 * i], mval[i], pool.buf + moff[2 * i + 1]};
        }
        if (st != SR_OK) break;
        sr_read_run run = {sqlite3_column_int64(qr, 0),
                           sqlite3_column_int(qr, 1),
                           pool.buf + s_hash,
                           pool.buf + s_policy,
                           sqlite3_column_int(qr, 4),
                           pool.buf + s_status,
                           np,
                           params,
                           nm,
                           metrics};
        if (fn(user, &run)) break;
    }
    if (st == SR_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(err, err_size, "cannot read the runs: %s", sqlite3_errmsg(db));
        st = SR_ERR_DB;
    }
done:
    sqlite3_finalize(qr);
    sqlite3_finalize(qp);
    sqlite3_finalize(qm);
    free(pool.buf);
    free(poff);
    free(moff);
    free(mval);
    free(params);
    free(metrics);
    return st;
}

/* ---- values ---- */

/* A column simrun writes as a number: 'I' an integer, 'r' a number, 'R' a number or NULL; since: the schema
 * version that added it (0: its table's). */
typedef struct num_col {
    const char *name;
    char kind;
    int since;
} num_col;

typedef struct num_table {
    const char *name, *run; /* the table, and its column naming the run */
    int since;              /* the schema version that has it (and these columns) */
    num_col cols[12];
} num_table;

static const num_table k_num_tables[] = {
    {"runs", "id", 1, {{"experiment_id", 'I', 0}, {"point_index", 'I', 0}, {"replication", 'I', 0}, {"wall_s", 'R', 0}}},
    {"metrics", "run_id", 1, {{"run_id", 'I', 0}, {"value", 'R', 0}}},
    {"frames",
     "run_id",
     1,
     {{"run_id", 'I', 0},
      {"source", 'I', 0},
      {"frame", 'I', 0},
      {"capture_s", 'r', 0},
      {"queue_s", 'R', 0},
      {"compute_s", 'R', 0},
      {"transfer_s", 'R', 0},
      {"complete_s", 'R', 0},
      {"latency_s", 'R', 0},
      {"dropped", 'I', 0},
      {"bytes_sent", 'I', 0},
      {"plan_version", 'I', 3}}},
    {"frame_tasks",
     "run_id",
     2,
     {{"run_id", 'I', 0},
      {"source", 'I', 0},
      {"frame", 'I', 0},
      {"task", 'I', 0},
      {"ready_s", 'r', 0},
      {"start_s", 'r', 0},
      {"end_s", 'r', 0},
      {"bytes", 'I', 0}}},
    {"links",
     "run_id",
     1,
     {{"run_id", 'I', 0}, {"bw_bps", 'R', 0}, {"latency_s", 'R', 0}, {"bytes", 'I', 0}, {"transfers", 'I', 0}, {"energy_j", 'R', 0}}},
    {"hosts", "run_id", 1, {{"run_id", 'I', 0}, {"busy_s", 'R', 0}, {"tasks", 'I', 0}, {"energy_j", 'R', 0}}},
};

/* Appends to sql the condition "column c is not what simrun writes". */
static void bad_cond(char *sql, size_t cap, const num_col *c)
{
    size_t n = strlen(sql);
    const char *ok = c->kind == 'I' ? "'integer'" : c->kind == 'r' ? "'integer', 'real'" : "'integer', 'real', 'null'";
    snprintf(sql + n, cap - n, "typeof(%s) NOT IN (%s)", c->name, ok);
}

/* Appends " WHEN <column c is wrong> THEN <what(c)>" for every column of tb that schema version has to sql. */
static void cases(char *sql, size_t cap, const num_table *tb, int version, const char *what)
{
    for (int c = 0; c < 12 && tb->cols[c].name; c++) {
        if (tb->cols[c].since > version) continue;
        char cond[256] = "", then[128];
        bad_cond(cond, sizeof cond, &tb->cols[c]);
        if (strcmp(what, "index") == 0)
            snprintf(then, sizeof then, "%d", c);
        else if (strcmp(what, "type") == 0)
            snprintf(then, sizeof then, "typeof(%s)", tb->cols[c].name);
        else
            snprintf(then, sizeof then, "substr(quote(%s), 1, 40)", tb->cols[c].name);
        size_t n = strlen(sql);
        snprintf(sql + n, cap - n, " WHEN %s THEN %s", cond, then);
    }
}

sr_status sr_results_check_values(sqlite3 *db, int version, const char *path, char *err, size_t err_size)
{
    for (size_t t = 0; t < sizeof k_num_tables / sizeof k_num_tables[0]; t++) {
        const num_table *tb = &k_num_tables[t];
        if (version < tb->since) continue;
        /* one scan: the first row where some column is wrong, with that column's index, type and value */
        char sql[4096];
        snprintf(sql, sizeof sql, "SELECT quote(%s), CASE", tb->run);
        cases(sql, sizeof sql, tb, version, "index");
        size_t n = strlen(sql);
        snprintf(sql + n, sizeof sql - n, " END AS bad, CASE");
        cases(sql, sizeof sql, tb, version, "type");
        n = strlen(sql);
        snprintf(sql + n, sizeof sql - n, " END, CASE");
        cases(sql, sizeof sql, tb, version, "value");
        n = strlen(sql);
        snprintf(sql + n, sizeof sql - n, " END FROM main.%s WHERE bad IS NOT NULL LIMIT 1", tb->name);
        sqlite3_stmt *q = NULL;
        int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
        if (rc == SQLITE_OK) rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) {
            const num_col *c = &tb->cols[sqlite3_column_int(q, 1)];
            const char *run = (const char *)sqlite3_column_text(q, 0);
            const char *type = (const char *)sqlite3_column_text(q, 2);
            const char *val = (const char *)sqlite3_column_text(q, 3);
            snprintf(err, err_size,
                     "%s: %s row of run %s: %s holds %s (%s) where simrun writes %s; the database was written or "
                     "edited by something else, and simrun reads no results from it",
                     path, tb->name, run ? run : "?", c->name, type ? type : "?", val ? val : "?",
                     c->kind == 'I' ? "an integer" : c->kind == 'r' ? "a number" : "a number or NULL");
            sqlite3_finalize(q);
            return SR_ERR_DB;
        }
        if (rc != SQLITE_DONE) {
            snprintf(err, err_size, "%s: cannot read table %s: %s (not a results database as simrun writes them)",
                     path, tb->name, sqlite3_errmsg(db));
            sqlite3_finalize(q);
            return SR_ERR_DB;
        }
        sqlite3_finalize(q);
    }
    return SR_OK;
}
