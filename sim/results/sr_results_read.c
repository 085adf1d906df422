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
