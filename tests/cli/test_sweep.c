/* test_sweep.c: sweeps split and put back together, with the real simrun binary and real SQLite files:
 * --shard I/N partitions the points exactly and stably, simrun merge of the shards equals the
 * single-process database row for row, and merge reports conflicts and refuses bad inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"

#define SWEEP_POINTS 18 /* sweep.yaml: 3 bandwidths x 2 policies x 3 replications */

/* Point hashes of the runs of db, one per line, sorted. */
static char *hashes(const char *db)
{
    return cli_query_text(db, "SELECT point_hash FROM runs ORDER BY point_hash");
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_shards_partition(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db all.db --no-report --quiet"), 0);
    char *all = hashes("all.db");
    assert_int_equal(count_lines(all), SWEEP_POINTS);
    static const int ns[] = {1, 2, 3, 5};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        int n = ns[k], total = 0;
        int seen[SWEEP_POINTS] = {0};
        for (int i = 0; i < n; i++) {
            char db[64];
            snprintf(db, sizeof db, "s%d-%d.db", i, n);
            assert_int_equal(cli_simrun("run sweep.yaml --shard %d/%d --db %s --no-report --quiet", i, n, db), 0);
            char *mine = hashes(db);
            for (char *line = mine; *line;) {
                char *nl = strchr(line, '\n');
                *nl = '\0';
                /* the rule: the point hash as a number, modulo n */
                assert_int_equal((int)(strtoull(line, NULL, 16) % (unsigned long long)n), i);
                const char *at = strstr(all, line);
                assert_non_null(at);
                int idx = 0;
                for (const char *p = all; p < at; p++)
                    idx += *p == '\n';
                seen[idx]++;
                total++;
                line = nl + 1;
            }
            free(mine);
        }
        /* union = every point, intersection = none */
        assert_int_equal(total, SWEEP_POINTS);
        for (int p = 0; p < SWEEP_POINTS; p++)
            assert_int_equal(seen[p], 1);
    }
    /* the default database of a shard is the experiment's with .shard-I-of-N */
    assert_int_equal(cli_simrun("run sweep.yaml --shard 1/3 --no-report --quiet"), 0);
    assert_true(cli_exists("cli-sweep.shard-1-of-3.db"));
    char *s13 = hashes("cli-sweep.shard-1-of-3.db"), *s13b = hashes("s1-3.db");
    assert_string_equal(s13, s13b);
    free(s13b);

    /* the sweep grows by one bandwidth: shard 1/3 keeps every point it had */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "sed 's/\\[2Mbps, 5Mbps, 10Mbps\\]/[2Mbps, 5Mbps, 10Mbps, 20Mbps]/' %s/sweep.yaml > %s/grown.yaml",
             cli_dir(), cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("run grown.yaml --shard 1/3 --db g13.db --no-report --quiet"), 0);
    char *grown = hashes("g13.db");
    assert_true(count_lines(grown) > count_lines(s13));
    for (char *line = s13; *line;) {
        char *nl = strchr(line, '\n');
        *nl = '\0';
        assert_non_null(strstr(grown, line));
        line = nl + 1;
    }
    free(grown);
    free(s13);
    free(all);

    assert_int_equal(cli_simrun("run sweep.yaml --shard 3/3 --no-report"), 2);
    assert_int_equal(cli_simrun("run sweep.yaml --shard 1 --no-report"), 2);
    assert_int_equal(cli_simrun("run sweep.yaml --shard -1/2 --no-report"), 2);
}

static void test_merge_equals_single(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db single.db --no-report --quiet"), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cli_simrun("run sweep.yaml --shard %d/3 --db m%d.db --no-report --quiet --jobs 2", i, i), 0);
    assert_int_equal(cli_simrun("merge m0.db m1.db m2.db -o merged.db"), 0);
    char *a = cli_dump("single.db"), *b = cli_dump("merged.db");
    assert_true(strlen(a) > 10000); /* frames, tasks, links and hosts are in there */
    assert_string_equal(a, b);
    assert_int_equal(cli_query_int("merged.db", "SELECT count(*) FROM experiments"), 1);
    assert_int_equal(cli_query_int("merged.db", "SELECT count(*) FROM runs"), SWEEP_POINTS);

    /* merging again (and the single-process database on top) changes nothing: 2 x 18 duplicates */
    assert_int_equal(cli_simrun("merge m0.db m1.db m2.db single.db -o merged.db"), 0);
    char *out = cli_output();
    assert_non_null(strstr(out, "0 experiments and 0 runs added, 36 duplicate points"));
    free(out);
    char *c = cli_dump("merged.db");
    assert_string_equal(a, c);
    free(a), free(b), free(c);
}

static void test_merge_conflicts_and_bad_inputs(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --shard 0/2 --db c0.db --no-report --quiet"), 0);
    assert_int_equal(cli_simrun("run sweep.yaml --shard 1/2 --db c1.db --no-report --quiet"), 0);
    char cmd[1024];
    /* a copy of shard 0 where one point's p95 latency differs */
    snprintf(cmd, sizeof cmd,
             "cd %s && cp c0.db bad0.db && sqlite3 bad0.db \"UPDATE metrics SET value = value * 2 WHERE "
             "name = 'latency_p95_s' AND run_id = (SELECT min(id) FROM runs)\"",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    char *hash = cli_query_text("c0.db", "SELECT point_hash FROM runs ORDER BY id LIMIT 1");
    hash[strlen(hash) - 1] = '\0';
    int64_t before = cli_query_int("c0.db", "SELECT CAST(value * 1e9 AS INTEGER) FROM metrics WHERE "
                                            "name = 'latency_p95_s' AND run_id = (SELECT min(id) FROM runs)");
    assert_int_equal(cli_simrun("merge c0.db c1.db bad0.db -o cm.db"), 1);
    char *out = cli_output();
    assert_non_null(strstr(out, "conflict"));
    assert_non_null(strstr(out, hash));
    assert_non_null(strstr(out, "metric latency_p95_s"));
    free(out);
    /* the first copy stays, every point is there once */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT CAST(m.value * 1e9 AS INTEGER) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE "
             "m.name = 'latency_p95_s' AND r.point_hash = '%s'",
             hash);
    assert_int_equal(cli_query_int("cm.db", sql), before);
    assert_int_equal(cli_query_int("cm.db", "SELECT count(*) FROM runs"), SWEEP_POINTS);
    free(hash);

    /* bad inputs: exit 2 and nothing written */
    snprintf(cmd, sizeof cmd,
             "cd %s && echo 'not a database' > junk.db && sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t VALUES(1)'",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("merge c0.db junk.db -o bad-out.db"), 2);
    assert_false(cli_exists("bad-out.db"));
    assert_int_equal(cli_simrun("merge c0.db other.db -o bad-out.db"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "other.db: an SQLite database but not a simrun results database"));
    free(out);
    assert_int_equal(cli_simrun("merge c0.db missing.db -o bad-out.db"), 2);
    assert_false(cli_exists("bad-out.db"));
    assert_false(cli_exists("missing.db"));
    assert_int_equal(cli_simrun("merge c0.db c1.db -o c1.db"), 2);
    assert_int_equal(cli_simrun("merge c0.db"), 2);
    assert_int_equal(cli_query_int("c1.db", "SELECT count(*) FROM runs"), SWEEP_POINTS - 
                     cli_query_int("c0.db", "SELECT count(*) FROM runs"));
}

static int setup(void **state)
{
    (void)state;
    return cli_setup();
}

static int teardown(void **state)
{
    (void)state;
    return cli_teardown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shards_partition),
        cmocka_unit_test(test_merge_equals_single),
        cmocka_unit_test(test_merge_conflicts_and_bad_inputs),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
