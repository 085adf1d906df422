/* test_trace_json.c: `simrun trace` (sr_timeline.h) on the golden quickstart database, the trace read back with
 * SQLite's own JSON parser: valid JSON, one complete event per frame_tasks row with its times, label and
 * kind, one flow per frame with two or more tasks (one start, one end, steps in between, each inside a slice
 * of its track), no overlapping slices on one track, a name for every track; and the errors (no such run, no
 * task records, not a database). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sr_file.h"
#include "sr_results.h"
#include "sr_timeline.h"
#include "test_results_util.h"

#define GOLDEN SR_SOURCE_DIR "/tests/golden/pre-port/quickstart.db" /* one flow per transfer: transfers overlap */

/* An in-memory database with the golden one attached as g and the trace text in temp table ev(v). */
static sqlite3 *open_checker(const char *trace_path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ATTACH 'file:" GOLDEN "?mode=ro' AS g", NULL, NULL, NULL), SQLITE_OK);
    uint8_t *text = NULL;
    size_t size = 0;
    assert_int_equal(sr_file_read(trace_path, &text, &size), SR_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT json_valid(?1)", -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_text(q, 1, (const char *)text, (int)size, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), 1);
    sqlite3_finalize(q);
    assert_int_equal(sqlite3_exec(db, "CREATE TEMP TABLE doc(t TEXT)", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO doc VALUES (?1)", -1, &q, NULL), SQLITE_OK);
    sqlite3_bind_text(q, 1, (const char *)text, (int)size, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
    free(text);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TEMP TABLE ev AS SELECT json_extract(value, '$.ph') AS ph,"
                     " json_extract(value, '$.name') AS name, json_extract(value, '$.cat') AS cat,"
                     " json_extract(value, '$.pid') AS pid, json_extract(value, '$.tid') AS tid,"
                     " json_extract(value, '$.ts') AS ts, json_extract(value, '$.dur') AS dur,"
                     " json_extract(value, '$.id') AS id, json_extract(value, '$.bp') AS bp,"
                     " json_extract(value, '$.args.source') AS source,"
                     " json_extract(value, '$.args.frame') AS frame,"
                     " json_extract(value, '$.args.task') AS task,"
                     " json_extract(value, '$.args.bytes') AS bytes,"
                     " json_extract(value, '$.args.name') AS arg_name"
                     " FROM doc, json_each(doc.t, '$.traceEvents')",
                     NULL, NULL, NULL),
        SQLITE_OK);
    return db;
}

static int64_t q_int(sqlite3 *db, const char *fmt, int64_t run)
{
    char sql[2048];
    snprintf(sql, sizeof sql, fmt, (long long)run, (long long)run, (long long)run);
    return tr_query_int(db, sql);
}

static void check_run(int64_t run, int64_t min_lanes)
{
    char *dir = tr_mkdtemp();
    char *out = tr_path(dir, "trace.json");
    assert_int_equal(sr_timeline_write(GOLDEN, run, out, NULL), SR_OK);
    sqlite3 *db = open_checker(out);

    int64_t rows = q_int(db, "SELECT count(*) FROM g.frame_tasks WHERE run_id = %lld", run);
    assert_true(rows > 100);
    assert_int_equal(q_int(db, "SELECT count(*) FROM ev WHERE ph = 'X'", run), rows);
    /* every slice is one row: same label, kind, bytes, start and duration (written in us with 3 decimals) */
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM ev JOIN g.frame_tasks t ON t.run_id = %lld"
              " AND t.source = ev.source AND t.frame = ev.frame AND t.task = ev.task"
              " WHERE ev.ph = 'X' AND ev.name = t.label AND ev.cat = t.kind AND ev.bytes = t.bytes"
              " AND abs(ev.ts - t.start_s * 1e6) <= 6e-4 AND abs(ev.dur - (t.end_s - t.start_s) * 1e6)"
              " <= 1.1e-3 AND ev.pid = (CASE t.kind WHEN 'compute' THEN 1 ELSE 2 END)",
              run),
        rows);
    /* flows: one per frame with >= 2 tasks; one start and one end each; as many events as the frame's tasks
     */
    int64_t frames2 = q_int(db,
                            "SELECT count(*) FROM (SELECT 1 FROM g.frame_tasks WHERE run_id = %lld"
                            " GROUP BY source, frame HAVING count(*) >= 2)",
                            run);
    assert_true(frames2 > 50);
    assert_int_equal(q_int(db, "SELECT count(DISTINCT id) FROM ev WHERE ph IN ('s', 't', 'f')", run),
                     frames2);
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM (SELECT id FROM ev WHERE ph IN ('s', 't', 'f') GROUP BY id"
              " HAVING sum(ph = 's') = 1 AND sum(ph = 'f') = 1 AND sum(ph = 'f' AND bp = 'e') = 1"
              " AND max(CASE ph WHEN 's' THEN ts END) <= min(CASE ph WHEN 'f' THEN ts END))",
              run),
        frames2);
    assert_int_equal(q_int(db, "SELECT count(*) FROM ev WHERE ph IN ('s', 't', 'f')", run),
                     q_int(db,
                           "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM g.frame_tasks"
                           " WHERE run_id = %lld GROUP BY source, frame HAVING count(*) >= 2)",
                           run));
    /* each flow event lies inside a slice of its own track */
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM ev f WHERE f.ph IN ('s', 't', 'f') AND NOT EXISTS (SELECT 1 FROM"
              " ev x WHERE x.ph = 'X' AND x.pid = f.pid AND x.tid = f.tid AND x.ts <= f.ts AND"
              " f.ts <= x.ts + x.dur)",
              run),
        0);
    /* no two slices overlap on one track */
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM ev a JOIN ev b ON a.pid = b.pid AND a.tid = b.tid AND a.rowid <"
              " b.rowid WHERE a.ph = 'X' AND b.ph = 'X' AND a.ts < b.ts + b.dur - 1e-6 AND"
              " b.ts < a.ts + a.dur - 1e-6",
              run),
        0);
    /* every track has a name; the device tracks are the run's devices */
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM (SELECT DISTINCT pid, tid FROM ev WHERE ph = 'X') x WHERE NOT"
              " EXISTS (SELECT 1 FROM ev m WHERE m.ph = 'M' AND m.name = 'thread_name' AND m.pid ="
              " x.pid AND m.tid = x.tid)",
              run),
        0);
    assert_int_equal(
        q_int(db,
              "SELECT count(*) FROM ev m WHERE m.ph = 'M' AND m.name = 'thread_name' AND m.pid = 1"
              " AND m.arg_name NOT IN (SELECT device FROM g.frame_tasks WHERE run_id = %lld AND"
              " kind = 'compute')",
              run),
        0);
    /* transfers of one (sender, receiver) pair (quickstart has one: cam -> cloud) that overlap in time go to
     * separate lanes: as many lanes as
     * the most transfers in flight at once (first-fit in start order is optimal for intervals) */
    int64_t depth =
        q_int(db,
              "SELECT max(n) FROM (SELECT (SELECT count(*) FROM g.frame_tasks b WHERE b.run_id = a.run_id"
              " AND b.kind = 'transfer' AND b.start_s <= a.start_s AND a.start_s < b.end_s) AS n"
              " FROM g.frame_tasks a WHERE a.run_id = %lld AND a.kind = 'transfer')",
              run);
    assert_int_equal(q_int(db, "SELECT count(DISTINCT tid) FROM ev WHERE ph = 'X' AND pid = 2", run), depth);
    assert_true(depth >= min_lanes);
    sqlite3_close(db);
    tr_rmtree(dir);
    free(out);
    free(dir);
}

static void test_trace_split(void **state)
{
    (void)state;
    check_run(7, 2); /* split: head on the camera, activation to the cloud, tail there */
}

static void test_trace_cloud_only(void **state)
{
    (void)state;
    check_run(19, 2); /* cloud_only at 18.88 Mbps: overlapping transfers on lanes of one pair */
}

static void test_trace_errors(void **state)
{
    (void)state;
    char *dir = tr_mkdtemp();
    char *out = tr_path(dir, "t.json");
    FILE *log = tmpfile();
    assert_int_equal(sr_timeline_write(GOLDEN, 99999, out, log), SR_ERR_NOT_FOUND);
    assert_int_equal(access(out, F_OK), -1); /* nothing written */
    char *txt = tr_path(dir, "x.db");
    assert_int_equal(tr_write_file(txt, "not a database at all, just text\n", 33), 0);
    assert_int_equal(sr_timeline_write(txt, 1, out, log), SR_ERR_DB);
    /* a run written without task records */
    char *db_path = tr_path(dir, "r.db");
    char err[256];
    sr_results *r = NULL;
    assert_int_equal(sr_results_open(db_path, &r, err, sizeof err), SR_OK);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "e", "name: e\n", "abcd", &exp_id), SR_OK);
    sr_run_output o;
    tr_make_output(&o, 10, 0.01);
    sr_run_info info = {
        .exp_id = exp_id, .point_hash = "p", .params_json = "{}", .policy = "x", .status = "ok"};
    assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
    sr_run_output_clear(&o);
    sr_results_close(r);
    assert_int_equal(sr_timeline_write(db_path, 1, out, log), SR_ERR_NOT_FOUND);
    rewind(log);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, log);
    buf[n] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "has no run 99999"));
    assert_non_null(strstr(buf, "not an SQLite database"));
    assert_non_null(strstr(buf, "metrics: { frames: true }"));
    tr_rmtree(dir);
    free(db_path);
    free(txt);
    free(out);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trace_split),
        cmocka_unit_test(test_trace_cloud_only),
        cmocka_unit_test(test_trace_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
