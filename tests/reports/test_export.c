/* test_export.c: `simrun export` (sr_export.h) on the golden quickstart database, the CSV files read back by
 * an independent reader (the sqlite3 command-line shell's .import --csv) and compared with the database: row
 * counts and column sums of every table, the wide view's SI-unit parameter column and metric columns run by
 * run; and docs/db-schema.md's example queries, run against the same database. */
#include <errno.h>
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
#include <sqlite3.h>

#include "sr_export.h"
#include "sr_file.h"
#include "test_results_util.h"

#define GOLDEN SR_SOURCE_DIR "/tests/golden/quickstart.db"

/* Runs `sqlite3 -batch -noheader :memory: ARG...` and returns its standard output (caller frees). */
static char *shell(const char *const *args)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], STDOUT_FILENO);
        close(fds[1]);
        const char *argv[16] = {"sqlite3", "-batch", "-noheader", ":memory:"};
        int n = 4;
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execvp("sqlite3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
        if (got > 0) fwrite(buf, 1, (size_t)got, m);
    fclose(m);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return out;
}

/* The same query on the golden database and on the CSV file imported as table t: identical output. */
static void same(const char *dir, const char *file, const char *query_golden, const char *query_csv)
{
    char imp[512];
    snprintf(imp, sizeof imp, ".import --csv %s/%s t", dir, file);
    const char *a1[] = {"ATTACH '" GOLDEN "' AS g", query_golden, NULL};
    const char *a2[] = {imp, query_csv, NULL};
    char *x = shell(a1), *y = shell(a2);
    if (strcmp(x, y) != 0) fprintf(stderr, "%s: database says\n%s\nCSV says\n%s\n", file, x, y);
    assert_string_equal(x, y);
    assert_true(strlen(x) > 2);
    free(x);
    free(y);
}

static void test_export_tables(void **state)
{
    (void)state;
    char *dir = tr_mkdtemp();
    assert_int_equal(sr_export_csv(GOLDEN, dir, NULL), SR_OK);
    same(dir, "runs.csv",
         "SELECT count(*), sum(id), sum(point_index), group_concat(seed), sum(wall_s) FROM g.runs",
         "SELECT count(*), sum(id), sum(point_index), group_concat(seed), sum(CAST(wall_s AS REAL)) FROM t");
    same(dir, "metrics.csv", "SELECT count(*), sum(value), group_concat(name || unit) FROM g.metrics",
         "SELECT count(*), sum(CAST(value AS REAL)), group_concat(name || unit) FROM t");
    same(dir, "frames.csv",
         "SELECT count(*), sum(latency_s), count(latency_s), sum(bytes_sent), sum(dropped) FROM g.frames",
         "SELECT count(*), sum(CAST(latency_s AS REAL)), count(nullif(latency_s, '')), sum(bytes_sent),"
         " sum(dropped) FROM t");
    same(dir, "frame_tasks.csv",
         "SELECT count(*), sum(end_s - start_s), sum(bytes), group_concat(label) FROM g.frame_tasks",
         "SELECT count(*), sum(CAST(end_s AS REAL) - CAST(start_s AS REAL)), sum(bytes), group_concat(label) "
         "FROM t");
    same(dir, "experiments.csv", "SELECT count(*), group_concat(yaml), group_concat(hash) FROM g.experiments",
         "SELECT count(*), group_concat(yaml), group_concat(hash) FROM t");
    same(dir, "links.csv", "SELECT count(*), sum(bytes), sum(energy_j) FROM g.links",
         "SELECT count(*), sum(bytes), sum(CAST(energy_j AS REAL)) FROM t");
    same(dir, "hosts.csv", "SELECT count(*), sum(busy_s), sum(tasks) FROM g.hosts",
         "SELECT count(*), sum(CAST(busy_s AS REAL)), sum(tasks) FROM t");

    /* wide.csv: one row per run; the bandwidth as bit/s; each metric column equal to metrics.value */
    same(dir, "wide.csv",
         "SELECT count(*), sum(CASE json_extract(params, '$.\"platform.links.uplink.bandwidth\"') WHEN "
         "'1.1Mbps'"
         " THEN 1.1e6 WHEN '5.85Mbps' THEN 5.85e6 WHEN '18.88Mbps' THEN 18.88e6 END) FROM g.runs",
         "SELECT count(*), sum(CAST(\"platform.links.uplink.bandwidth_bps\" AS REAL)) FROM t");
    char imp[512];
    snprintf(imp, sizeof imp, ".import --csv %s/wide.csv t", dir);
    const char *args[] = {
        "ATTACH '" GOLDEN "' AS g", imp,
        "SELECT count(*) FROM t JOIN g.metrics m ON m.run_id = CAST(t.run_id AS INTEGER) WHERE"
        " (m.name = 'latency_p95_s' AND CAST(t.latency_p95_s AS REAL) = m.value) OR"
        " (m.name = 'bytes_total' AND CAST(t.bytes_total AS REAL) = m.value) OR"
        " (m.name = 'throughput_fps' AND CAST(t.throughput_fps AS REAL) = m.value)",
        "SELECT count(*) FROM t WHERE \"platform.links.uplink.bandwidth_bps\" IN ('1100000',"
        " '5850000', '18880000') AND policy IN ('cloud_only', 'device_only', 'split')",
        NULL};
    char *out = shell(args);
    assert_string_equal(out, "81\n27\n"); /* 27 runs x 3 metrics; 27 runs */
    free(out);
    /* bad input: not a database */
    char *txt = tr_path(dir, "x.db");
    assert_int_equal(tr_write_file(txt, "plain text, not SQLite at all\n", 30), 0);
    assert_int_equal(sr_export_csv(txt, dir, NULL), SR_ERR_DB);
    free(txt);
    tr_rmtree(dir);
    free(dir);
}

/* Every statement in docs/db-schema.md's ```sql blocks runs on the golden database, returns rows, and no
 * column of its result is NULL in every row (a wrong JSON key gives such a column). */
static void test_schema_doc_queries(void **state)
{
    (void)state;
    uint8_t *doc = NULL;
    size_t size = 0;
    assert_int_equal(sr_file_read(SR_SOURCE_DIR "/docs/db-schema.md", &doc, &size), SR_OK);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(GOLDEN, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int n_statements = 0;
    char *p = (char *)doc;
    while ((p = strstr(p, "```sql\n"))) {
        p += 7;
        char *end = strstr(p, "```");
        assert_non_null(end);
        *end = '\0';
        const char *sql = p;
        while (*sql) {
            sqlite3_stmt *q = NULL;
            const char *tail = NULL;
            int rc = sqlite3_prepare_v2(db, sql, -1, &q, &tail);
            if (rc != SQLITE_OK) fprintf(stderr, "db-schema.md: %s\n%s\n", sqlite3_errmsg(db), sql);
            assert_int_equal(rc, SQLITE_OK);
            if (!q) break; /* only comments / whitespace left */
            int nc = sqlite3_column_count(q), rows = 0, non_null[32] = {0};
            while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                rows++;
                for (int c = 0; c < nc && c < 32; c++)
                    non_null[c] |= sqlite3_column_type(q, c) != SQLITE_NULL;
            }
            assert_int_equal(rc, SQLITE_DONE);
            if (rows == 0) fprintf(stderr, "db-schema.md: no rows from\n%.*s\n", (int)(tail - sql), sql);
            assert_true(rows > 0);
            for (int c = 0; c < nc && c < 32; c++) {
                if (!non_null[c])
                    fprintf(stderr, "db-schema.md: column %s is NULL in every row of\n%.*s\n",
                            sqlite3_column_name(q, c), (int)(tail - sql), sql);
                assert_true(non_null[c]);
            }
            /* the first query: 3 policies x 3 bandwidths, 3 replications each */
            if (n_statements == 0) {
                assert_int_equal(rows, 9);
                sqlite3_reset(q);
                while (sqlite3_step(q) == SQLITE_ROW)
                    assert_int_equal(sqlite3_column_int(q, 3), 3);
            }
            sqlite3_finalize(q);
            n_statements++;
            sql = tail;
        }
        p = end + 3;
    }
    assert_int_equal(n_statements, 5);
    sqlite3_close(db);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_tables),
        cmocka_unit_test(test_schema_doc_queries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
