/* test_results.c: the SQLite results database (sr_results.h) on real files in a temporary directory.
 *
 * Every table is read back with plain SQL and compared exactly with what was written; a failure in the
 * middle of a run's transaction must leave no row behind; foreign files must be refused untouched; a
 * version-1 database is upgraded in place (all of it or nothing). */
#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_results.h"
#include "test_results_util.h"

typedef struct fixture {
    char *dir;
    char *db_path;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tr_mkdtemp();
    if (!f->dir) return -1;
    f->db_path = tr_path(f->dir, "results.db");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tr_rmtree(f->dir);
    free(f->dir);
    free(f->db_path);
    free(f);
    return 0;
}

static sr_results *open_ok(const char *path)
{
    char err[512] = "";
    sr_results *r = NULL;
    sr_status st = sr_results_open(path, &r, err, sizeof err);
    if (st) fprintf(stderr, "open failed: %s\n", err);
    assert_int_equal(st, SR_OK);
    assert_non_null(r);
    return r;
}

static sqlite3 *raw_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

static sr_run_info info_for(int64_t exp_id, int index, const char *hash, const char *status)
{
    sr_run_info info = {
        .exp_id = exp_id,
        .point_index = index,
        .point_hash = hash,
        .params_json = "{\"links.wifi.bw\": \"5.85Mbps\", \"policy\": \"split\", \"replication\": 1}",
        .policy = "split",
        .replication = 1,
        .seed = UINT64_C(18446744073709551557), /* > INT64_MAX: stored exactly as text */
        .status = status,
        .wall_s = 0.125,
        .error = strcmp(status, "ok") == 0 ? NULL : "engine: route missing",
        .net_model = "cm02",
    };
    return info;
}

static void test_write_and_read_back(void **state)
{
    fixture *f = *state;
    sr_results *r = open_ok(f->db_path);
    int64_t exp_id = 0, exp_id2 = 0;
    assert_int_equal(sr_results_experiment(r, "quick", "name: quick\nseed: 1\n", "00112233aabbccdd", &exp_id),
                     SR_OK);
    assert_int_equal(sr_results_experiment(r, "quick", "ignored", "00112233aabbccdd", &exp_id2), SR_OK);
    assert_true(exp_id == exp_id2);

    sr_run_output o;
    tr_make_output(&o, 50, 0.02);
    tr_add_tasks(&o);
    assert_int_equal(o.n_tasks, 3 * 50 - 2 * 7);
    sr_run_info info = info_for(exp_id, 3, "a1b2c3d4e5f60718", "ok");
    int64_t run_id = 0;
    assert_int_equal(sr_results_write_run(r, &info, &o, &run_id), SR_OK);
    assert_true(run_id > 0);
    sr_results_close(r);

    sqlite3 *db = raw_open(f->db_path);
    char *s;
    s = tr_query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    assert_string_equal(s, "3");
    free(s);
    s = tr_query_text(db, "PRAGMA journal_mode");
    assert_string_equal(s, "wal");
    free(s);
    s = tr_query_text(db,
                      "SELECT name || '|' || hash || '|' || yaml || '|' || simrun_version FROM experiments");
    assert_string_equal(s, "quick|00112233aabbccdd|name: quick\nseed: 1\n|0.1.0");
    free(s);
    assert_int_equal(tr_query_int(db, "SELECT length(created_utc) FROM experiments"), 20);

    /* runs */
    s = tr_query_text(db, "SELECT experiment_id || '|' || point_index || '|' || point_hash || '|' || policy"
                          " || '|' || replication || '|' || seed || '|' || status || '|' || wall_s || '|' ||"
                          " ifnull(error, 'NULL') || '|' || net_model FROM runs");
    char expect[256];
    snprintf(expect, sizeof expect,
             "%" PRId64 "|3|a1b2c3d4e5f60718|split|1|18446744073709551557|ok|0.125|NULL|cm02", exp_id);
    assert_string_equal(s, expect);
    free(s);
    s = tr_query_text(db, "SELECT json_extract(params, '$.\"links.wifi.bw\"') FROM runs");
    assert_string_equal(s, "5.85Mbps");
    free(s);

    /* metrics: every one, exactly */
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM metrics"), (int64_t)o.n_metrics);
    for (size_t i = 0; i < o.n_metrics; i++) {
        char sql[256];
        snprintf(sql, sizeof sql, "SELECT value FROM metrics WHERE run_id = %" PRId64 " AND name = '%s'",
                 run_id, o.metrics[i].name);
        assert_true(tr_query_double(db, sql) == o.metrics[i].value);
        snprintf(sql, sizeof sql, "SELECT unit FROM metrics WHERE name = '%s'", o.metrics[i].name);
        s = tr_query_text(db, sql);
        assert_string_equal(s, o.metrics[i].unit);
        free(s);
    }

    /* frames: every column of every row */
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT run_id, source, frame, device, capture_s, queue_s, compute_s,"
                                        " transfer_s, complete_s, latency_s, dropped, bytes_sent FROM frames"
                                        " ORDER BY rowid",
                                        -1, &q, NULL),
                     SQLITE_OK);
    size_t n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_true(n < o.n_frames);
        const sr_frame_record *fr = &o.frames[n++];
        assert_int_equal(sqlite3_column_int64(q, 0), run_id);
        assert_int_equal(sqlite3_column_int(q, 1), fr->source);
        assert_int_equal(sqlite3_column_int64(q, 2), fr->frame);
        assert_string_equal((const char *)sqlite3_column_text(q, 3), fr->device);
        assert_true(sqlite3_column_double(q, 4) == fr->capture_s);
        assert_true(sqlite3_column_double(q, 5) == fr->queue_s);
        assert_true(sqlite3_column_double(q, 6) == fr->compute_s);
        assert_true(sqlite3_column_double(q, 7) == fr->transfer_s);
        if (fr->dropped) {
            assert_int_equal(sqlite3_column_type(q, 8), SQLITE_NULL);
            assert_int_equal(sqlite3_column_type(q, 9), SQLITE_NULL);
        } else {
            assert_true(sqlite3_column_double(q, 8) == fr->complete_s);
            assert_true(sqlite3_column_double(q, 9) == fr->latency_s);
        }
        assert_int_equal(sqlite3_column_int(q, 10), fr->dropped);
        assert_int_equal(sqlite3_column_int64(q, 11), fr->bytes_sent);
    }
    sqlite3_finalize(q);
    assert_int_equal(n, o.n_frames);

    /* frame_tasks: every column of every row, in (source, frame, task) order as written */
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT run_id, source, frame, task, kind, label, device, dst, ready_s,"
                           " start_s, end_s, bytes FROM frame_tasks ORDER BY source, frame, task",
                           -1, &q, NULL),
        SQLITE_OK);
    n = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        assert_true(n < o.n_tasks);
        const sr_task_record *t = &o.tasks[n++];
        assert_int_equal(sqlite3_column_int64(q, 0), run_id);
        assert_int_equal(sqlite3_column_int(q, 1), t->source);
        assert_int_equal(sqlite3_column_int64(q, 2), t->frame);
        assert_int_equal(sqlite3_column_int(q, 3), t->task);
        assert_string_equal((const char *)sqlite3_column_text(q, 4), t->kind);
        assert_string_equal((const char *)sqlite3_column_text(q, 5), t->label);
        assert_string_equal((const char *)sqlite3_column_text(q, 6), t->device);
        assert_string_equal((const char *)sqlite3_column_text(q, 7), t->dst);
        assert_true(sqlite3_column_double(q, 8) == t->ready_s);
        assert_true(sqlite3_column_double(q, 9) == t->start_s);
        assert_true(sqlite3_column_double(q, 10) == t->end_s);
        assert_int_equal(sqlite3_column_int64(q, 11), t->bytes);
    }
    sqlite3_finalize(q);
    assert_int_equal(n, o.n_tasks);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks WHERE kind = 'transfer'"), 50 - 7);
    /* a frame's transfers carry its bytes_sent */
    assert_int_equal(tr_query_int(db,
                                  "SELECT count(*) FROM frames f JOIN frame_tasks t ON t.run_id = f.run_id"
                                  " AND t.source = f.source AND t.frame = f.frame AND t.kind = 'transfer'"
                                  " WHERE t.bytes <> f.bytes_sent"),
                     0);

    /* links and hosts */
    s = tr_query_text(db,
                      "SELECT name || '|' || type || '|' || bw_bps || '|' || latency_s || '|' || bytes || '|'"
                      " || transfers || '|' || energy_j FROM links");
    assert_string_equal(s, "wifi_cell|wifi|54000000.0|0.002|123456|20|0.75");
    free(s);
    s = tr_query_text(db,
                      "SELECT group_concat(name || ':' || class || ':' || busy_s || ':' || tasks || ':' ||"
                      " energy_j, ',') FROM (SELECT * FROM hosts ORDER BY name)");
    assert_string_equal(s, "cam0:camera:0.5:10:1.25,edge0:edge:2.0:20:30.5");
    free(s);

    /* the convenience view */
    double p50 = 0;
    assert_int_equal(sr_run_output_metric(&o, "latency_p50_s", &p50), SR_OK);
    assert_true(tr_query_double(db, "SELECT value FROM run_metrics WHERE metric = 'latency_p50_s' AND"
                                    " experiment = 'quick'") == p50);
    sqlite3_close(db);
    sr_run_output_clear(&o);
}

static void test_failed_write_leaves_nothing(void **state)
{
    fixture *f = *state;
    sr_results *r = open_ok(f->db_path);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "e", "y", "hash1", &exp_id), SR_OK);
    sr_run_output o;
    tr_make_output(&o, 40, 0.01);
    tr_add_tasks(&o);
    o.frames[25].device[0] = '\0'; /* violates CHECK(device <> '') after 25 frames went in */
    sr_run_info info = info_for(exp_id, 0, "p0", "ok");
    int64_t run_id = -7;
    assert_int_equal(sr_results_write_run(r, &info, &o, &run_id), SR_ERR_DB);
    assert_true(run_id == -7);
    assert_non_null(strstr(sr_results_errmsg(r), "frame"));
    assert_non_null(strstr(sr_results_errmsg(r), "CHECK"));
    int done = 1;
    assert_int_equal(sr_results_point_done(r, exp_id, "p0", &done), SR_OK);
    assert_int_equal(done, 0);

    sqlite3 *db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM metrics"), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks"), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM links"), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM hosts"), 0);
    sqlite3_close(db);

    /* The connection is still usable: the same point written correctly goes in whole. */
    snprintf(o.frames[25].device, sizeof o.frames[25].device, "cam1");
    assert_int_equal(sr_results_write_run(r, &info, &o, &run_id), SR_OK);
    db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), 40);
    sqlite3_close(db);

    /* Bad run info is refused before anything is written. */
    sr_run_info bad = info_for(exp_id, 1, "p1", "ok");
    bad.status = "maybe";
    assert_int_equal(sr_results_write_run(r, &bad, &o, NULL), SR_ERR_INVALID);
    bad = info_for(exp_id, 1, "p1", "ok");
    bad.params_json = "{not json";
    assert_int_equal(sr_results_write_run(r, &bad, &o, NULL), SR_ERR_DB);
    db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks"), (int64_t)o.n_tasks);
    sqlite3_close(db);

    /* A failure inside the frame tasks, and one after them (a host), leave none of the run's tasks. */
    sr_run_info p2 = info_for(exp_id, 2, "p2", "ok");
    char saved[sizeof o.tasks[0].kind];
    memcpy(saved, o.tasks[o.n_tasks / 2].kind, sizeof saved);
    snprintf(o.tasks[o.n_tasks / 2].kind, sizeof o.tasks[0].kind, "bogus");
    assert_int_equal(sr_results_write_run(r, &p2, &o, NULL), SR_ERR_DB);
    assert_non_null(strstr(sr_results_errmsg(r), "frame task"));
    assert_non_null(strstr(sr_results_errmsg(r), "CHECK"));
    memcpy(o.tasks[o.n_tasks / 2].kind, saved, sizeof saved);
    o.hosts[1].name[0] = '\0';
    assert_int_equal(sr_results_write_run(r, &p2, &o, NULL), SR_ERR_DB);
    assert_non_null(strstr(sr_results_errmsg(r), "host"));
    db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks"), (int64_t)o.n_tasks);
    assert_int_equal(
        tr_query_int(db, "SELECT count(*) FROM frame_tasks WHERE run_id <> (SELECT id FROM runs)"), 0);
    sqlite3_close(db);
    sr_results_close(r);
    sr_run_output_clear(&o);
}

static void test_resume_and_replace(void **state)
{
    fixture *f = *state;
    sr_results *r = open_ok(f->db_path);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "e", "y", "hashR", &exp_id), SR_OK);
    int done = -1;
    assert_int_equal(sr_results_point_done(r, exp_id, "pt", &done), SR_OK);
    assert_int_equal(done, 0);

    /* A failed run (with partial output) is recorded but not done. */
    sr_run_output partial;
    tr_make_output(&partial, 10, 0.5);
    tr_add_tasks(&partial);
    sr_run_info failed = info_for(exp_id, 4, "pt", "failed");
    int64_t failed_id = 0;
    assert_int_equal(sr_results_write_run(r, &failed, &partial, &failed_id), SR_OK);
    assert_int_equal(sr_results_point_done(r, exp_id, "pt", &done), SR_OK);
    assert_int_equal(done, 0);

    /* The later ok run replaces it and its rows. */
    sr_run_output o;
    tr_make_output(&o, 30, 0.01);
    tr_add_tasks(&o);
    sr_run_info ok = info_for(exp_id, 4, "pt", "ok");
    int64_t ok_id = 0;
    assert_int_equal(sr_results_write_run(r, &ok, &o, &ok_id), SR_OK);
    assert_true(ok_id != failed_id);
    assert_int_equal(sr_results_point_done(r, exp_id, "pt", &done), SR_OK);
    assert_int_equal(done, 1);
    /* Same point of another experiment is not done. */
    int64_t exp2 = 0;
    assert_int_equal(sr_results_experiment(r, "e2", "y2", "hashS", &exp2), SR_OK);
    assert_true(exp2 != exp_id);
    assert_int_equal(sr_results_point_done(r, exp2, "pt", &done), SR_OK);
    assert_int_equal(done, 0);

    /* An ok point is never overwritten. */
    assert_int_equal(sr_results_write_run(r, &ok, &o, NULL), SR_ERR_DB);
    assert_non_null(strstr(sr_results_errmsg(r), "already has a successful run"));
    sr_results_close(r);

    sqlite3 *db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), 1);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM frames WHERE run_id <> %" PRId64, ok_id);
    assert_int_equal(tr_query_int(db, sql), 0);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM metrics WHERE run_id <> %" PRId64, ok_id);
    assert_int_equal(tr_query_int(db, sql), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), 30);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM frame_tasks WHERE run_id <> %" PRId64, ok_id);
    assert_int_equal(tr_query_int(db, sql), 0);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks"), (int64_t)o.n_tasks);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM hosts"), 2);
    char *s = tr_query_text(db, "SELECT status FROM runs");
    assert_string_equal(s, "ok");
    free(s);
    sqlite3_close(db);

    /* Reopening the existing database keeps everything. */
    r = open_ok(f->db_path);
    int64_t again = 0;
    assert_int_equal(sr_results_experiment(r, "e", "y", "hashR", &again), SR_OK);
    assert_true(again == exp_id);
    assert_int_equal(sr_results_point_done(r, exp_id, "pt", &done), SR_OK);
    assert_int_equal(done, 1);
    sr_results_close(r);
    sr_run_output_clear(&partial);
    sr_run_output_clear(&o);
}

static void expect_refused(const char *path, const char *message_part)
{
    size_t before_n = 0, after_n = 0;
    char *before = tr_read_file(path, &before_n);
    assert_non_null(before);
    char err[512] = "";
    sr_results *r = (sr_results *)0x1;
    assert_int_equal(sr_results_open(path, &r, err, sizeof err), SR_ERR_DB);
    assert_null(r);
    assert_non_null(strstr(err, path));
    if (!strstr(err, message_part)) fprintf(stderr, "unexpected message: %s\n", err);
    assert_non_null(strstr(err, message_part));
    char *after = tr_read_file(path, &after_n);
    assert_non_null(after);
    assert_int_equal(before_n, after_n);
    assert_memory_equal(before, after, before_n);
    free(before);
    free(after);
}

static void test_foreign_files(void **state)
{
    fixture *f = *state;
    char *txt = tr_path(f->dir, "notes.txt");
    const char *text = "this is not a database, but it is long enough to have a header\n";
    assert_int_equal(tr_write_file(txt, text, strlen(text)), 0);
    expect_refused(txt, "not an SQLite database");

    char *other = tr_path(f->dir, "other.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE customers(id INTEGER, name TEXT);"
                                  "INSERT INTO customers VALUES(1, 'ada');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(other, "not a simrun results database");

    /* Someone else's table that happens to be called meta. */
    char *other_meta = tr_path(f->dir, "other_meta.db");
    assert_int_equal(sqlite3_open(other_meta, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE meta(a INTEGER, b TEXT); INSERT INTO meta VALUES(1, 'x');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(other_meta, "not a simrun results database");
    free(other_meta);

    /* A newer schema version. */
    sr_results *r = open_ok(f->db_path);
    sr_results_close(r);
    db = raw_open(f->db_path);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE meta SET value = '99' WHERE key = 'schema_version';"
                                  "PRAGMA wal_checkpoint(TRUNCATE);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(f->db_path, "newer");

    /* A directory, and a path in a missing directory. */
    char err[512] = "";
    r = NULL;
    assert_int_equal(sr_results_open(f->dir, &r, err, sizeof err), SR_ERR_DB);
    char *missing = tr_path(f->dir, "no/such/dir.db");
    assert_int_equal(sr_results_open(missing, &r, err, sizeof err), SR_ERR_DB);
    assert_null(r);
    assert_int_equal(sr_results_open("", &r, err, sizeof err), SR_ERR_INVALID);
    free(missing);
    free(txt);
    free(other);
}

/* Every schema object as text, to compare two databases' schemas. Caller frees. */
static char *schema_text(sqlite3 *db)
{
    return tr_query_text(db,
                         "SELECT group_concat(type || ' ' || name || ' ' || ifnull(sql, ''), char(10)) FROM"
                         " (SELECT * FROM sqlite_schema ORDER BY type, name)");
}

/* Turns a current database back into the version-1 layout (no frame_tasks, schema_version 1). */
static void downgrade_to_v1(const char *path)
{
    sqlite3 *db = raw_open(path);
    assert_int_equal(sqlite3_exec(db,
                                  "DROP TABLE frame_tasks;"
                                  "ALTER TABLE frames DROP COLUMN outcome;"
                                  "ALTER TABLE frames DROP COLUMN cause;"
                                  "ALTER TABLE frames DROP COLUMN plan_version;"
                                  "ALTER TABLE runs DROP COLUMN params_si;"
                                  "UPDATE meta SET value = '1' WHERE key = 'schema_version';"
                                  "PRAGMA wal_checkpoint(TRUNCATE);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'frame_tasks%'"),
                     0);
    sqlite3_close(db);
}

/* A version-1 database (runs in it) is upgraded on open: version 3, the same schema as a new file, the old
 * rows kept, frame tasks writable; opening it again changes nothing. */
static void test_upgrade_v1(void **state)
{
    fixture *f = *state;
    char *fresh_path = tr_path(f->dir, "fresh.db");
    sr_results *r = open_ok(fresh_path);
    sr_results_close(r);
    sqlite3 *db = raw_open(fresh_path);
    char *fresh = schema_text(db);
    sqlite3_close(db);
    assert_non_null(strstr(fresh, "table frame_tasks CREATE TABLE \"frame_tasks\"(")); /* renamed by the v3 upgrade */

    r = open_ok(f->db_path);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "old", "y", "hashV1", &exp_id), SR_OK);
    sr_run_output o;
    tr_make_output(&o, 20, 0.01);
    sr_run_info info = info_for(exp_id, 0, "v1run", "ok");
    assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
    sr_results_close(r);
    downgrade_to_v1(f->db_path);
    db = raw_open(f->db_path);
    char *old = schema_text(db);
    sqlite3_close(db);
    assert_string_not_equal(old, fresh);

    for (int pass = 0; pass < 2; pass++) {
        r = open_ok(f->db_path);
        sr_results_close(r);
        db = raw_open(f->db_path);
        char *s = tr_query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'");
        assert_string_equal(s, "3");
        free(s);
        s = schema_text(db);
        assert_string_equal(s, fresh);
        free(s);
        assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), 1);
        assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), 20);
        assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frame_tasks"), 0);
        sqlite3_close(db);
    }

    r = open_ok(f->db_path);
    tr_add_tasks(&o);
    info = info_for(exp_id, 1, "v2run", "ok");
    int64_t run_id = 0;
    assert_int_equal(sr_results_write_run(r, &info, &o, &run_id), SR_OK);
    sr_results_close(r);
    db = raw_open(f->db_path);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM frame_tasks WHERE run_id = %" PRId64, run_id);
    assert_int_equal(tr_query_int(db, sql), (int64_t)o.n_tasks);
    sqlite3_close(db);

    free(old);
    free(fresh);
    free(fresh_path);
    sr_run_output_clear(&o);
}

/* An upgrade that fails half-way (a trigger refuses the schema_version update after frame_tasks was
 * created) is rolled back whole: the file stays at version 1 without frame_tasks; once the obstacle is
 * gone the upgrade goes through. */
static void test_upgrade_failure_rolls_back(void **state)
{
    fixture *f = *state;
    sr_results *r = open_ok(f->db_path);
    sr_results_close(r);
    downgrade_to_v1(f->db_path);
    sqlite3 *db = raw_open(f->db_path);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TRIGGER no_upgrade BEFORE UPDATE ON meta"
                                  " BEGIN SELECT RAISE(ABORT, 'upgrade blocked'); END;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);

    char err[512] = "";
    r = (sr_results *)0x1;
    assert_int_equal(sr_results_open(f->db_path, &r, err, sizeof err), SR_ERR_DB);
    assert_null(r);
    assert_non_null(strstr(err, f->db_path));
    assert_non_null(strstr(err, "from version 1 to 2"));
    assert_non_null(strstr(err, "upgrade blocked"));

    db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'frame_tasks'"), 0);
    char *s = tr_query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    assert_string_equal(s, "1");
    free(s);
    assert_int_equal(sqlite3_exec(db, "DROP TRIGGER no_upgrade;", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    r = open_ok(f->db_path);
    sr_results_close(r);
    db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'frame_tasks'"), 1);
    s = tr_query_text(db, "SELECT value FROM meta WHERE key = 'schema_version'");
    assert_string_equal(s, "3");
    free(s);
    sqlite3_close(db);
}

static void test_many_frames(void **state)
{
    fixture *f = *state;
    sr_results *r = open_ok(f->db_path);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "big", "y", "hashB", &exp_id), SR_OK);
    sr_run_output o;
    tr_make_output(&o, 100000, 0.03);
    sr_run_info info = info_for(exp_id, 0, "big0", "ok");
    assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
    sr_results_close(r);
    sqlite3 *db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), 100000);
    /* sum of 1000 + i for i < 100000 */
    assert_int_equal(tr_query_int(db, "SELECT sum(bytes_sent) FROM frames"),
                     INT64_C(100000) * 1000 + INT64_C(4999950000));
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames WHERE dropped = 1"), 100000 / 7);
    sqlite3_close(db);
    sr_run_output_clear(&o);
}

/* Several processes write one file at once: every run arrives, none is lost to a lock. */
static void test_concurrent_writers(void **state)
{
    fixture *f = *state;
    enum { N_PROC = 4, N_RUNS = 15 };
    sr_results *r = open_ok(f->db_path);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "par", "y", "hashP", &exp_id), SR_OK);
    sr_results_close(r);
    pid_t pids[N_PROC];
    for (int p = 0; p < N_PROC; p++) {
        pids[p] = fork();
        assert_true(pids[p] >= 0);
        if (pids[p] == 0) {
            char err[512];
            sr_results *cr = NULL;
            if (sr_results_open(f->db_path, &cr, err, sizeof err)) _exit(2);
            sr_run_output o;
            tr_make_output(&o, 200, 0.01);
            int bad = 0;
            for (int i = 0; i < N_RUNS; i++) {
                char hash[32];
                snprintf(hash, sizeof hash, "w%d-%d", p, i);
                sr_run_info info = info_for(exp_id, p * N_RUNS + i, hash, "ok");
                if (sr_results_write_run(cr, &info, &o, NULL)) {
                    fprintf(stderr, "child %d: %s\n", p, sr_results_errmsg(cr));
                    bad = 1;
                }
            }
            sr_run_output_clear(&o);
            sr_results_close(cr);
            _exit(bad);
        }
    }
    for (int p = 0; p < N_PROC; p++) {
        int status = 0;
        assert_true(waitpid(pids[p], &status, 0) == pids[p]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    sqlite3 *db = raw_open(f->db_path);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM runs"), N_PROC * N_RUNS);
    assert_int_equal(tr_query_int(db, "SELECT count(*) FROM frames"), N_PROC * N_RUNS * 200);
    sqlite3_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreign_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_frames, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
