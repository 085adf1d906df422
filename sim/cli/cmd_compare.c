/* cmd_compare.c: `simrun compare DB [--metrics a,b] [--markdown] [--max-error F]`: every emulated run
 * (`simrun emulate`: parameters with "mode": "emulated") beside the simulated run of the same experiment and
 * point (the same parameters without "mode"), metric by metric: simulated value, emulated value, relative
 * error (emulated - simulated) / simulated; with --tasks, per plan task the mean time and wait in both runs.
 * Read-only.
 *
 * Exit codes: 0 printed (and, with --max-error, every |error| at most F), 1 some error above F, 2 bad
 * arguments, a file that is not a results database, or no emulated run with a simulated partner. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_results.h"

static void usage(FILE *f)
{
    fputs(
        "usage: simrun compare RESULTS.db [--metrics M1,M2,...] [--tasks] [--markdown] [--max-error F]\n\n"
        "Sets every emulated run (simrun emulate) beside the simulated run of the same point: per point and\n"
        "metric the simulated value, the emulated one and the relative error (emulated - simulated) /\n"
        "simulated. Metrics: latency_p50_s,latency_p95_s by default. --tasks: instead, per point and task "
        "of\n"
        "the plan, the mean time (end - start) and wait (start - ready) of the task, simulated and emulated\n"
        "(where the difference comes from). --markdown: a Markdown table.\n"
        "--max-error F: exit 1 when some |relative error| exceeds F (0.1 = 10 %).\n\n"
        "Exit status: 0 printed (within F), 1 some error above F, 2 bad arguments or database.\n",
        f);
}

/* The swept parameters of a point as "a=1, b=2" (without policy, replication and mode). */
static void short_params(sqlite3 *db, const char *json, char *buf, size_t size)
{
    buf[0] = '\0';
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            db, "SELECT key, value FROM json_each(?1) WHERE key NOT IN ('policy','replication','mode')", -1,
            &q, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(q, 1, json, -1, SQLITE_STATIC);
    size_t o = 0;
    while (sqlite3_step(q) == SQLITE_ROW && o + 1 < size) {
        const char *k = (const char *)sqlite3_column_text(q, 0), *v = (const char *)sqlite3_column_text(q, 1);
        const char *last = k ? strrchr(k, '.') : NULL;
        o += (size_t)snprintf(buf + o, size - o, "%s%s=%s", o ? ", " : "",
                              last ? last + 1
                              : k  ? k
                                   : "?",
                              v ? v : "null");
    }
    sqlite3_finalize(q);
}

static void fmt_value(const char *metric, double v, int null, char *buf, size_t size)
{
    size_t n = strlen(metric);
    if (null)
        snprintf(buf, size, "-");
    else if (n > 2 && strcmp(metric + n - 2, "_s") == 0)
        snprintf(buf, size, "%.1f ms", v * 1e3);
    else
        snprintf(buf, size, "%.4g", v);
}

/* --tasks: per pair of runs and plan task, mean duration and wait in both. */
static int compare_tasks(sqlite3 *db, int markdown)
{
    const char *sql =
        "WITH pairs AS (SELECT x.name AS exp, em.point_index AS point, em.policy AS policy, em.id AS eid, "
        "sm.id AS sid "
        "  FROM runs em JOIN experiments x ON x.id = em.experiment_id "
        "  JOIN runs sm ON sm.experiment_id = em.experiment_id AND sm.status = 'ok' "
        "   AND json_extract(sm.params, '$.mode') IS NULL AND json(sm.params) = json_remove(em.params, "
        "'$.mode') "
        "  WHERE em.status = 'ok' AND json_extract(em.params, '$.mode') = 'emulated'), "
        "s AS (SELECT p.eid, t.task, t.label, avg(t.end_s - t.start_s) AS d, avg(t.start_s - t.ready_s) AS w "
        "  FROM pairs p JOIN frame_tasks t ON t.run_id = p.sid GROUP BY p.eid, t.task), "
        "e AS (SELECT p.eid, t.task, avg(t.end_s - t.start_s) AS d, avg(t.start_s - t.ready_s) AS w "
        "  FROM pairs p JOIN frame_tasks t ON t.run_id = p.eid GROUP BY p.eid, t.task) "
        "SELECT p.exp, p.point, p.policy, s.label, s.d, e.d, s.w, e.w FROM pairs p "
        "JOIN s ON s.eid = p.eid JOIN e ON e.eid = p.eid AND e.task = s.task ORDER BY p.exp, p.point, s.task";
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "simrun compare: %s\n", sqlite3_errmsg(db));
        return 2;
    }
    if (markdown)
        printf("| experiment | point | policy | task | simulated time | emulated time | simulated wait | "
               "emulated wait |\n"
               "|---|---:|---|---|---:|---:|---:|---:|\n");
    else
        printf("%-14s %5s %-12s %-12s %10s %10s %10s %10s\n", "experiment", "point", "policy", "task",
               "sim time", "emu time", "sim wait", "emu wait");
    int rows = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *fmt = markdown ? "| %s | %d | %s | %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms |\n"
                                   : "%-14s %5d %-12s %-12s %7.1f ms %7.1f ms %7.1f ms %7.1f ms\n";
        printf(fmt, (const char *)sqlite3_column_text(q, 0), sqlite3_column_int(q, 1),
               (const char *)sqlite3_column_text(q, 2), (const char *)sqlite3_column_text(q, 3),
               1e3 * sqlite3_column_double(q, 4), 1e3 * sqlite3_column_double(q, 5),
               1e3 * sqlite3_column_double(q, 6), 1e3 * sqlite3_column_double(q, 7));
        rows++;
    }
    sqlite3_finalize(q);
    if (!rows) {
        fprintf(
            stderr,
            "simrun compare: no pair of simulated and emulated runs with task records (metrics.frames)\n");
        return 2;
    }
    return 0;
}

int sr_cmd_compare(int argc, char **argv)
{
    const char *path = NULL, *metrics = "latency_p50_s,latency_p95_s";
    int markdown = 0, tasks = 0;
    double max_err = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--metrics") == 0 && i + 1 < argc) {
            metrics = argv[++i];
        } else if (strcmp(argv[i], "--markdown") == 0) {
            markdown = 1;
        } else if (strcmp(argv[i], "--tasks") == 0) {
            tasks = 1;
        } else if (strcmp(argv[i], "--max-error") == 0 && i + 1 < argc) {
            char *end = NULL;
            max_err = strtod(argv[++i], &end);
            if (!end || *end || !(max_err >= 0)) {
                fprintf(stderr, "simrun compare: --max-error %s: expected a fraction >= 0 (0.1 = 10 %%)\n",
                        argv[i]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            fprintf(stderr, "simrun compare: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    char err[512];
    int version = 0;
    if (sr_results_probe(path, &version, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun compare: %s\n", err);
        return 2;
    }
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "simrun compare: %s: %s\n", path, db ? sqlite3_errmsg(db) : "cannot open");
        sqlite3_close(db);
        return 2;
    }
    sqlite3_busy_timeout(db, 60000);
    if (tasks) {
        int rc = compare_tasks(db, markdown);
        sqlite3_close(db);
        return rc;
    }
    /* the metric list as a JSON array for json_each */
    char mjson[1024];
    size_t o = 0;
    o += (size_t)snprintf(mjson, sizeof mjson, "[");
    for (const char *p = metrics; *p && o + 8 < sizeof mjson;) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        o += (size_t)snprintf(mjson + o, sizeof mjson - o, "%s\"%.*s\"", o > 1 ? "," : "", (int)n, p);
        p += n + (q ? 1 : 0);
    }
    snprintf(mjson + o, sizeof mjson - o, "]");
    const char *sql =
        "SELECT x.name, em.point_index, em.policy, em.params, m.value, se.value, me.value, em.id, sm.id "
        "FROM runs em JOIN experiments x ON x.id = em.experiment_id "
        "JOIN runs sm ON sm.experiment_id = em.experiment_id AND sm.status = 'ok' "
        "  AND json_extract(sm.params, '$.mode') IS NULL AND json(sm.params) = json_remove(em.params, "
        "'$.mode') "
        "JOIN json_each(?1) m "
        "LEFT JOIN metrics se ON se.run_id = sm.id AND se.name = m.value "
        "LEFT JOIN metrics me ON me.run_id = em.id AND me.name = m.value "
        "WHERE em.status = 'ok' AND json_extract(em.params, '$.mode') = 'emulated' "
        "ORDER BY x.name, em.point_index, m.key";
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
        fprintf(stderr, "simrun compare: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return 2;
    }
    sqlite3_bind_text(q, 1, mjson, -1, SQLITE_STATIC);
    if (markdown)
        printf("| experiment | point | policy | parameters | metric | simulated | emulated | error |\n"
               "|---|---:|---|---|---|---:|---:|---:|\n");
    else
        printf("%-14s %5s %-12s %-34s %-16s %11s %11s %8s\n", "experiment", "point", "policy", "parameters",
               "metric", "simulated", "emulated", "error");
    int rows = 0, over = 0;
    double worst = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *ename = (const char *)sqlite3_column_text(q, 0);
        int point = sqlite3_column_int(q, 1);
        const char *policy = (const char *)sqlite3_column_text(q, 2);
        const char *params = (const char *)sqlite3_column_text(q, 3);
        const char *metric = (const char *)sqlite3_column_text(q, 4);
        int s_null = sqlite3_column_type(q, 5) == SQLITE_NULL,
            e_null = sqlite3_column_type(q, 6) == SQLITE_NULL;
        double sv = sqlite3_column_double(q, 5), ev = sqlite3_column_double(q, 6);
        char pbuf[160], sbuf[32], ebuf[32], rbuf[32] = "-";
        short_params(db, params ? params : "{}", pbuf, sizeof pbuf);
        fmt_value(metric ? metric : "", sv, s_null, sbuf, sizeof sbuf);
        fmt_value(metric ? metric : "", ev, e_null, ebuf, sizeof ebuf);
        if (!s_null && !e_null && sv != 0) {
            double rel = (ev - sv) / fabs(sv);
            snprintf(rbuf, sizeof rbuf, "%+.1f %%", 100.0 * rel);
            if (fabs(rel) > worst) worst = fabs(rel);
            if (max_err >= 0 && fabs(rel) > max_err) over++;
        }
        if (markdown)
            printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", ename, point, policy, pbuf, metric, sbuf,
                   ebuf, rbuf);
        else
            printf("%-14s %5d %-12s %-34s %-16s %11s %11s %8s\n", ename, point, policy, pbuf, metric, sbuf,
                   ebuf, rbuf);
        rows++;
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (!rows) {
        fprintf(stderr,
                "simrun compare: %s has no emulated run with a simulated run of the same point (run both: "
                "simrun run EXP.yaml, then simrun emulate EXP.yaml)\n",
                path);
        return 2;
    }
    fprintf(stderr, "%d rows, largest |error| %.1f %%%s\n", rows, 100.0 * worst,
            max_err >= 0 ? (over ? " (above --max-error)" : " (within --max-error)") : "");
    return over ? 1 : 0;
}
