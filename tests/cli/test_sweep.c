/* test_sweep.c: sweeps split and put back together, with the real simrun binary and real SQLite files:
 * --shard I/N partitions the points exactly and stably, simrun merge of the shards equals the
 * single-process database row for row, and merge reports conflicts and refuses bad inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "sr_file.h"

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
            assert_int_equal(cli_simrun("run sweep.yaml --shard %d/%d --db %s --no-report --quiet", i, n, db),
                             0);
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
    snprintf(
        cmd, sizeof cmd,
        "sed 's/\\[2Mbps, 5Mbps, 10Mbps\\]/[2Mbps, 5Mbps, 10Mbps, 20Mbps]/' %s/sweep.yaml > %s/grown.yaml",
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
        assert_int_equal(
            cli_simrun("run sweep.yaml --shard %d/3 --db m%d.db --no-report --quiet --jobs 2", i, i), 0);
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

    /* an input of the older schema (version 1: no frame_tasks) is read as it is, and left untouched */
    snprintf(
        cmd, sizeof cmd,
        "cd %s && cp c1.db c1v1.db && sqlite3 c1v1.db \"DROP TABLE frame_tasks; UPDATE meta SET value = '1' "
        "WHERE key = 'schema_version'\"",
        cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("merge c0.db c1v1.db -o v1m.db"), 0);
    assert_int_equal(cli_query_int("v1m.db", "SELECT count(*) FROM runs WHERE status = 'ok'"), SWEEP_POINTS);
    assert_int_equal(cli_query_int("c1v1.db", "SELECT value FROM meta WHERE key = 'schema_version'"), 1);
    assert_int_equal(
        cli_query_int("c1v1.db", "SELECT count(*) FROM sqlite_schema WHERE name = 'frame_tasks'"), 0);
    assert_int_equal(cli_query_int("v1m.db", "SELECT count(*) FROM frame_tasks"),
                     cli_query_int("c0.db", "SELECT count(*) FROM frame_tasks"));
    assert_int_equal(cli_query_int("v1m.db", "SELECT count(*) FROM frames"),
                     cli_query_int("c0.db", "SELECT count(*) FROM frames") +
                         cli_query_int("c1.db", "SELECT count(*) FROM frames"));

    /* bad inputs: exit 2 and nothing written */
    snprintf(cmd, sizeof cmd,
             "cd %s && echo 'not a database' > junk.db && sqlite3 other.db 'CREATE TABLE t(x); INSERT INTO t "
             "VALUES(1)'",
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
    assert_int_equal(cli_query_int("c1.db", "SELECT count(*) FROM runs"),
                     SWEEP_POINTS - cli_query_int("c0.db", "SELECT count(*) FROM runs"));
}

/* 1 when some line of text contains all four strings. */
static int has_line(const char *text, const char *a, const char *b, const char *c, const char *d)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        char *line = strndup(text, n);
        int all = strstr(line, a) && strstr(line, b) && strstr(line, c) && strstr(line, d);
        free(line);
        if (all) return 1;
        text += n + (nl != NULL);
    }
    return 0;
}

/* Writes a copy of sweep.yaml with one substitution (sed expression) as name. */
static void variant(const char *name, const char *sed_expr)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s && sed '%s' sweep.yaml > %s", cli_dir(), sed_expr, name);
    assert_int_equal(system(cmd), 0);
}

static void test_check(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db golden.db --no-report --quiet"), 0);
    /* an identical rerun holds, exactly */
    assert_int_equal(cli_simrun("check sweep.yaml --against golden.db --jobs 2"), 0);
    char *out = cli_output();
    assert_non_null(strstr(out, "18 points against golden.db (exact): 18 hold, 0 moved"));
    free(out);

    /* comments and formatting do not matter; one parameter of one policy does: cloud_only's frame size */
    variant("commented.yaml", "s/^seed: 7/seed:   7   # the same seed/");
    assert_int_equal(cli_simrun("check commented.yaml --against golden.db"), 0);
    variant("changed.yaml", "s/frame_size: 30KiB/frame_size: 40KiB/");
    assert_int_equal(cli_simrun("check changed.yaml --against golden.db"), 1);
    out = cli_output();
    assert_non_null(strstr(out, "9 hold, 9 moved"));
    assert_non_null(strstr(out, "REGRESSION"));
    /* the rows that moved are cloud_only's, with the bytes each frame sends: 30 KiB -> 40 KiB */
    assert_true(has_line(out, "policy=cloud_only r=0 ", "metric bytes_per_frame ", " 30720 B ", " 40960 B "));
    assert_true(has_line(out, "bandwidth=5Mbps policy=cloud_only r=2 ",
                         "frames[source=0 frame=0].bytes_sent ", " 30720 ", " 40960 "));
    assert_null(strstr(out, "policy=device_only"));
    free(out);

    /* tolerance mode on a metric that did not move */
    assert_int_equal(cli_simrun("check changed.yaml --against golden.db --rtol 1e-9 --metric frames_total"),
                     0);
    /* ... and on one that did: 30720 -> 40960 bytes is 10240 / 40960 = 0.25 relative */
    assert_int_equal(
        cli_simrun("check changed.yaml --against golden.db --rtol 0.24 --metric bytes_per_frame"), 1);
    assert_int_equal(
        cli_simrun("check changed.yaml --against golden.db --rtol 0.26 --metric bytes_per_frame"), 0);

    /* reading the points from a database instead of running them */
    assert_int_equal(cli_simrun("run changed.yaml --db changed.db --no-report --quiet"), 0);
    assert_int_equal(cli_simrun("check changed.yaml --against golden.db --results changed.db"), 1);
    assert_int_equal(cli_simrun("check sweep.yaml --against golden.db --results golden.db"), 0);

    /* --update rewrites the golden file; then the change holds and the old experiment does not */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s/golden.db %s/g2.db", cli_dir(), cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("check changed.yaml --against g2.db --update"), 0);
    assert_int_equal(cli_simrun("check changed.yaml --against g2.db"), 0);
    assert_int_equal(cli_simrun("check sweep.yaml --against g2.db"), 1);
    assert_int_equal(cli_query_int("g2.db", "SELECT count(*) FROM runs"), SWEEP_POINTS);

    /* a grown sweep: the new points are not in the golden file */
    variant("grown2.yaml", "s/\\[2Mbps, 5Mbps, 10Mbps\\]/[2Mbps, 5Mbps, 10Mbps, 20Mbps]/");
    assert_int_equal(cli_simrun("check grown2.yaml --against golden.db"), 1);
    out = cli_output();
    assert_non_null(strstr(out, "6 not in the golden file"));
    free(out);

    /* bad input */
    snprintf(cmd, sizeof cmd, "cd %s && echo 'not a database' > junk2.db", cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("check sweep.yaml --against junk2.db"), 2);
    assert_int_equal(cli_simrun("check sweep.yaml --against no-such.db"), 2);
    assert_false(cli_exists("no-such.db"));
    assert_int_equal(cli_simrun("check sweep.yaml --against golden.db --results junk2.db"), 2);
    assert_int_equal(cli_simrun("check no-such.yaml --against golden.db"), 2);
    assert_int_equal(cli_simrun("check sweep.yaml --against golden.db --rtol -1"), 2);
    assert_int_equal(cli_simrun("check sweep.yaml --against golden.db --metric no_such_metric"), 2);
    assert_int_equal(cli_simrun("check sweep.yaml"), 2);
}

/* Runs/ok points in the folder's database db, or -1 when it cannot be read yet. */
static int ok_runs(const char *db)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", cli_dir(), db);
    if (access(p, F_OK) != 0) return -1;
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM runs WHERE status = 'ok'", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

#define LONG_POINTS 12 /* long.yaml: 2 bandwidths x 2 policies x 3 replications */

/* Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during a sweep: the run stops with
 * exit code 130, the points in flight are not recorded, no figures are drawn, every recorded point is
 * complete, and --resume finishes the sweep with the same rows as an uninterrupted run. */
static void test_interrupt_and_resume(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run long.yaml --db whole.db --jobs 2 --no-report --quiet"), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        if (chdir(cli_dir()) != 0) _exit(99);
        int fd = open("int.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1), dup2(fd, 2);
        char bin[512];
        snprintf(bin, sizeof bin, "%s/simrun", SR_BINARY_DIR);
        execl(bin, bin, "run", "long.yaml", "--db", "int.db", "--jobs", "2", (char *)NULL);
        _exit(98);
    }
    setpgid(pid, pid);
    /* wait for the first finished point, then interrupt */
    int n = -1;
    for (int i = 0; i < 6000 && n < 1; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        n = ok_runs("int.db");
    }
    assert_true(n >= 1);
    assert_int_equal(kill(-pid, SIGINT), 0);
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 130);

    int recorded = (int)cli_query_int("int.db", "SELECT count(*) FROM runs");
    assert_true(recorded >= 1 && recorded < LONG_POINTS);
    /* only complete, successful points: no "killed by signal", every run with all its metrics and hosts */
    char *bad = cli_query_text("int.db", "SELECT point_index, status, error FROM runs WHERE status <> 'ok'");
    if (bad[0]) print_message("unexpected runs: %s", bad);
    free(bad);
    assert_int_equal(cli_query_int("int.db", "SELECT count(*) FROM runs WHERE status <> 'ok'"), 0);
    int64_t metrics = cli_query_int("whole.db", "SELECT count(*) FROM metrics WHERE run_id = 1");
    assert_true(metrics >= 10);
    assert_int_equal(cli_query_int("int.db", "SELECT count(*) FROM metrics"), metrics * recorded);
    assert_int_equal(cli_query_int("int.db", "SELECT count(DISTINCT run_id) FROM hosts"), recorded);
    assert_false(cli_exists("cli-long-figs"));
    char *out = NULL;
    {
        char p[512];
        snprintf(p, sizeof p, "cat %s/int.txt > %s/out.txt", cli_dir(), cli_dir());
        assert_int_equal(system(p), 0);
        out = cli_output();
    }
    assert_non_null(strstr(out, "--resume"));
    assert_non_null(strstr(out, "not drawn from a partial sweep"));
    assert_null(strstr(out, "killed by signal"));
    free(out);

    assert_int_equal(cli_simrun("run long.yaml --db int.db --jobs 2 --resume --no-report"), 0);
    out = cli_output();
    char expect[96];
    snprintf(expect, sizeof expect, "%d skipped (--resume)", recorded);
    assert_non_null(strstr(out, expect));
    free(out);
    char *a = cli_dump("whole.db"), *b = cli_dump("int.db");
    assert_string_equal(a, b);
    free(a), free(b);
}

/* The progress line moves while a long point runs: before the first point finishes, it shows the running
 * point's simulated time strictly between 0 and the experiment's duration. */
static void test_progress_during_a_point(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "cd %s && sed 's/\\[2Mbps, 10Mbps\\]/[2Mbps]/; s/replications: 3/replications: 1/; "
             "s/^duration: 60s/duration: 300s/' long.yaml > one-long.yaml",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("run one-long.yaml --db progress.db --jobs 1 --no-report --progress"), 0);
    char *out = cli_output();
    int mid_point = 0;
    for (char *at = strstr(out, " 0/2 points"); at; at = strstr(at + 1, " 0/2 points")) {
        char *run = strstr(at, "running: #0 ");
        char *cr = strchr(at, '\r');
        if (!run || (cr && run > cr)) continue;
        double t = -1, d = -1;
        if (sscanf(run, "running: #0 %lf/%lfs", &t, &d) == 2 && d == 300 && t > 0 && t < 300) mid_point = 1;
    }
    assert_true(mid_point);
    assert_non_null(strstr(out, "2/2 points, 0 failed"));
    free(out);
}

/* A sweep of many combinations takes seconds to check (every combination is built): on a terminal validate
 * says how far it is, from 0.5 s on, on a line it rewrites and clears; into a file it writes nothing of it. 400 x
 * 400 combinations take about 2 s here (12 us each), four times the 0.5 s before the first line. */
static void test_progress_while_checking_a_large_sweep(void **state)
{
    (void)state;
    char path[512], cmd[1024];
    snprintf(path, sizeof path, "%s/big-sweep.yaml", cli_dir());
    snprintf(cmd, sizeof cmd, "sed '/^sweep:/,$d' %s/sweep.yaml > %s", cli_dir(), path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fprintf(f, "sweep:\n  grid:\n");
    for (int axis = 0; axis < 2; axis++) {
        fprintf(f, "    platform.links.%s.bandwidth: [", axis ? "wan" : "up");
        for (int v = 1; v <= 400; v++)
            fprintf(f, "%s%dMbps", v > 1 ? ", " : "", v);
        fprintf(f, "]\n");
    }
    fclose(f);
    /* on a terminal (script gives the command a pseudo-terminal) */
    snprintf(cmd, sizeof cmd,
             "cd %s && script -qec '%s/simrun validate big-sweep.yaml' /dev/null > tty.txt 2>&1", cli_dir(),
             SR_BINARY_DIR);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/tty.txt", cli_dir());
    uint8_t *tty = NULL;
    size_t n = 0;
    assert_int_equal(sr_file_read(path, &tty, &n), SR_OK);
    const char *line = strstr((char *)tty, "\rbig-sweep.yaml: checking the sweep: ");
    assert_non_null(line);
    long long done = -1, total = -1;
    assert_int_equal(
        sscanf(line, "\rbig-sweep.yaml: checking the sweep: %lld of %lld combinations", &done, &total), 2);
    assert_int_equal(total, 160000);
    assert_true(done > 0 && done < total);
    assert_non_null(strstr((char *)tty, "\r\033[Kbig-sweep.yaml: ok (320000 run points: 2 sweep axes"));
    free(tty);
    /* into a file: the result alone */
    assert_int_equal(cli_simrun("validate big-sweep.yaml"), 0);
    char *out = cli_output();
    assert_null(strstr(out, "checking the sweep"));
    assert_non_null(strstr(out, "big-sweep.yaml: ok (320000 run points"));
    free(out);
}

/* The experiment's identity is its parsed content: comments, formatting and key order keep the finished
 * points; a real change is a new experiment, and simrun says so. */
static void test_experiment_identity(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db id.db --no-report --quiet"), 0);
    variant("reformatted.yaml", "1i # a comment at the top\n"
                                "s/^seed: 7/seed:   \"7\"   # quoted, spaced, commented/;"
                                "s/{ name: up, type: lte }/{ type: lte,  name: up }/");
    assert_int_equal(cli_simrun("run reformatted.yaml --db id.db --no-report --resume"), 0);
    char *out = cli_output();
    assert_non_null(strstr(out, "18 skipped (--resume)"));
    assert_null(strstr(out, "changed since"));
    free(out);
    assert_int_equal(cli_query_int("id.db", "SELECT count(*) FROM experiments"), 1);

    variant("changed-id.yaml", "s/frame_size: 30KiB/frame_size: 40KiB/");
    assert_int_equal(cli_simrun("run changed-id.yaml --db id.db --no-report --resume"), 0);
    out = cli_output();
    assert_non_null(strstr(out, "experiment 'cli-sweep' changed since the runs in id.db"));
    assert_non_null(strstr(out, "18 ok, 0 skipped"));
    free(out);
    assert_int_equal(cli_query_int("id.db", "SELECT count(*) FROM experiments"), 2);
    /* the second time it is no longer news */
    assert_int_equal(cli_simrun("run changed-id.yaml --db id.db --no-report --resume"), 0);
    out = cli_output();
    assert_null(strstr(out, "changed since"));
    free(out);
}

/* The script of `simrun slurm`, its roles run by hand (no SLURM here: tests/cli/test_slurm.sh submits it to a
 * real cluster): each shard task writes its own database, the merge role gives the single-process rows. */
static void test_slurm_script_roles(void **state)
{
    (void)state;
    assert_int_equal(
        cli_simrun("slurm sweep.yaml --array 3 --partition short --time 0:10:00 --mem 1G --jobs 2 "
                   "--db sl.db --out sl.sbatch"),
        0);
    char p[512];
    snprintf(p, sizeof p, "cat %s/sl.sbatch > %s/out.txt", cli_dir(), cli_dir());
    assert_int_equal(system(p), 0);
    char *script = cli_output();
    assert_non_null(strstr(script, "\n#SBATCH --partition=short\n"));
    assert_non_null(strstr(script, "\n#SBATCH --time=0:10:00\n"));
    assert_non_null(strstr(script, "\n#SBATCH --mem=1G\n"));
    assert_non_null(strstr(script, "\n#SBATCH --cpus-per-task=2\n"));
    assert_non_null(strstr(script, "--array=0-$((N - 1))"));
    assert_non_null(strstr(script, "--dependency=afterany:"));
    free(script);
    for (int i = 0; i < 3; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "cd %s && SLURM_ARRAY_TASK_ID=%d sh sl.sbatch shard >/dev/null 2>&1",
                 cli_dir(), i);
        assert_int_equal(system(cmd), 0);
        char db[64];
        snprintf(db, sizeof db, "sl-shards/shard-%d-of-3.db", i);
        assert_true(cli_query_int(db, "SELECT count(*) FROM runs") > 0);
    }
    snprintf(p, sizeof p, "cd %s && sh sl.sbatch merge > out.txt 2>&1", cli_dir());
    assert_int_equal(system(p), 0);
    char *out = cli_output();
    assert_non_null(strstr(out, "0 ok, 18 skipped (--resume)")); /* the shards had every point */
    free(out);
    assert_int_equal(cli_simrun("run sweep.yaml --db sl-single.db --no-report --quiet"), 0);
    char *a = cli_dump("sl-single.db"), *b = cli_dump("sl.db");
    assert_string_equal(a, b);
    free(a), free(b);

    assert_int_equal(cli_simrun("slurm sweep.yaml --array 0"), 2);
    assert_int_equal(cli_simrun("slurm sweep.yaml"), 2);
    assert_int_equal(cli_simrun("slurm sweep.yaml --array 2 --partition 'a b'"), 2);
    assert_int_equal(cli_simrun("slurm bad-unit.yaml --array 2"), 2);
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
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_interrupt_and_resume),
        cmocka_unit_test(test_progress_during_a_point),
        cmocka_unit_test(test_progress_while_checking_a_large_sweep),
        cmocka_unit_test(test_experiment_identity),
        cmocka_unit_test(test_slurm_script_roles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
