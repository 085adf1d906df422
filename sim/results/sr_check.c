/* sr_check.c: compares an experiment's runs with a golden database (see sr_check.h).
 *
 * Both files are ATTACHed read-only to an in-memory connection (`g` golden, `r` results); each point is found
 * in each by its params JSON and the two runs are compared by sr_results_diff_runs. The table has one line
 * per differing value: point, value, golden, now, relative difference. */
#include "sr_check.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "sr_results.h"
#include "sr_results_internal.h"

typedef struct check_ctx {
    FILE *table;
    char point[256]; /* label of the point being compared */
    int header_done;
} check_ctx;

static void print_header(check_ctx *c)
{
    if (!c->table || c->header_done) return;
    c->header_done = 1;
    fprintf(c->table, "%-44s %-40s %-24s %-24s %s\n", "point", "value", "golden", "now", "rel diff");
}

static void print_line(void *ctx, const char *what, const char *a, const char *b, double rel)
{
    check_ctx *c = ctx;
    if (!c->table) return;
    print_header(c);
    char r[32] = "-";
    if (!isnan(rel)) snprintf(r, sizeof r, "%.3g", rel);
    fprintf(c->table, "%-44s %-40s %-24s %-24s %s\n", c->point, what, a, b, r);
}

/* The id of the experiment in schema s with this hash, else the most recent with this name; 0 when none.
 * *by_name = 1 when found by name. */
static int find_experiment(sqlite3 *db, const char *s, const sr_check_opts *o, int64_t *id, int *by_name)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT id, hash = ?1 FROM %s.experiments WHERE hash = ?1 OR name = ?2"
             " ORDER BY hash = ?1 DESC, id DESC LIMIT 1",
             s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, o->hash ? o->hash : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->name ? o->name : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    *by_name = rc == SQLITE_ROW && !sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Run id of the point with these params in experiment exp of schema s; 0 when absent, -1 on error. */
static int64_t find_run(sqlite3 *db, const char *s, int64_t exp, const char *params)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT id FROM %s.runs WHERE experiment_id = ?1 AND params = ?2", s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_int64(st, 1, exp);
    sqlite3_bind_text(st, 2, params, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? 0 : -1;
    sqlite3_finalize(st);
    return id;
}

/* "platform.links.up.bandwidth=2Mbps policy=cloud_only replication=0" -> keeps the last component of each
 * key so that the table stays narrow. */
static void point_label(sqlite3 *db, const char *params, char *out, size_t size)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM json_each(?1)", -1, &st, NULL) != SQLITE_OK) return;
    sqlite3_bind_text(st, 1, params, -1, SQLITE_STATIC);
    size_t o = 0;
    while (sqlite3_step(st) == SQLITE_ROW && o < size) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        const char *dot = strrchr(key, '.');
        if (strcmp(key, "replication") == 0) key = "r";
        o += (size_t)snprintf(out + o, size - o, "%s%s=%s", o ? " " : "", dot ? dot + 1 : key,
                              (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
}

int sr_check_stats_hold(const sr_check_stats *s)
{
    return s->moved == 0 && s->not_in_golden == 0 && s->not_in_results == 0 && s->only_in_golden == 0;
}

sr_status sr_results_check(const char *golden, const char *results, const sr_check_opts *o, FILE *table,
                           sr_check_stats *stats, char *err, size_t err_size)
{
    assert(golden && results && o && stats);
    memset(stats, 0, sizeof *stats);
    if (err && err_size) err[0] = '\0';
    int vg = 0, vr = 0;
    sr_status st = sr_results_probe(golden, &vg, err, err_size);
    if (!st) st = sr_results_probe(results, &vr, err, err_size);
    if (st) return st;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return SR_ERR_NOMEM;
    }
    st = sr_results_attach_ro(db, golden, "g", err, err_size);
    if (!st) st = sr_results_attach_ro(db, results, "r", err, err_size);
    if (st) goto cleanup;

    int64_t eg = 0, er = 0;
    int g_by_name = 0, r_by_name = 0;
    if (find_experiment(db, "g", o, &eg, &g_by_name) || find_experiment(db, "r", o, &er, &r_by_name)) {
        sr_errf(err, err_size, "looking up the experiment: %s", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto cleanup;
    }
    if (!eg || !er) {
        sr_errf(err, err_size, "%s: no experiment '%s' (hash %s) in it", eg ? results : golden, o->name,
                o->hash);
        st = SR_ERR_NOT_FOUND;
        goto cleanup;
    }
    if (table && g_by_name)
        fprintf(table,
                "(%s: experiment '%s' matched by name: its text changed since the golden file was made; "
                "points are matched by their parameters)\n",
                golden, o->name);

    check_ctx c = {.table = table};
    sr_diff_opts d = {.rtol = o->rtol,
                      .rows = o->rtol < 0 && !o->metrics,
                      .frame_tasks = vg >= 2 && vr >= 2,
                      .metrics = o->metrics,
                      .n_metrics = o->n_metrics,
                      .max_detail = 3};
    if (sqlite3_exec(db, "CREATE TEMP TABLE pts(params TEXT PRIMARY KEY)", NULL, NULL, NULL) != SQLITE_OK) {
        st = SR_ERR_DB;
        goto cleanup;
    }
    for (int i = 0; i < o->n_points && !st; i++) {
        const char *params = o->points[i];
        stats->points++;
        sqlite3_stmt *ins = NULL;
        if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.pts VALUES(?1)", -1, &ins, NULL) ==
            SQLITE_OK) {
            sqlite3_bind_text(ins, 1, params, -1, SQLITE_STATIC);
            sqlite3_step(ins);
        }
        sqlite3_finalize(ins);
        point_label(db, params, c.point, sizeof c.point);
        int64_t rg = find_run(db, "g", eg, params), rr = find_run(db, "r", er, params);
        if (rg < 0 || rr < 0) {
            sr_errf(err, err_size, "looking up a point: %s", sqlite3_errmsg(db));
            st = SR_ERR_DB;
        } else if (!rg || !rr) {
            if (!rg) stats->not_in_golden++;
            if (!rr) stats->not_in_results++;
            print_line(&c, "(the whole point)", rg ? "(run)" : "(none)", rr ? "(run)" : "(none)", NAN);
        } else {
            int n = 0;
            st = sr_results_diff_runs(db, "g", rg, "r", rr, &d, print_line, &c, &n, err, err_size);
            stats->values_moved += n;
            if (n)
                stats->moved++;
            else
                stats->held++;
        }
    }
    if (!st) {
        sqlite3_stmt *left = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT params FROM g.runs WHERE experiment_id = ?1 AND params NOT IN"
                               " (SELECT params FROM temp.pts) ORDER BY point_index",
                               -1, &left, NULL) != SQLITE_OK) {
            st = SR_ERR_DB;
            goto cleanup;
        }
        sqlite3_bind_int64(left, 1, eg);
        while (sqlite3_step(left) == SQLITE_ROW) {
            stats->only_in_golden++;
            point_label(db, (const char *)sqlite3_column_text(left, 0), c.point, sizeof c.point);
            print_line(&c, "(no longer in the experiment)", "(run)", "(none)", NAN);
        }
        sqlite3_finalize(left);
    }

cleanup:
    sqlite3_close(db);
    return st;
}
