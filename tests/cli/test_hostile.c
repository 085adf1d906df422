/* test_hostile.c: simrun against a hostile world (issue 17): a point that runs out of memory, simrun killed
 * with SIGKILL in the middle of a sweep, `report` killed while it writes, a damaged database, a full disk.
 * Each drives the real binary on real files and checks what is left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_harness.h"
#include "sr_file.h"

#if defined(__SANITIZE_ADDRESS__)
#define SR_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SR_UNDER_ASAN 1
#endif
#endif

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

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts `simrun ARGS...` in the test folder, in its own process group, output to log; returns its pid. */
static pid_t spawn(const char *log, char *const args[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setpgid(0, 0);
        if (chdir(cli_dir()) != 0) _exit(99);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1), dup2(fd, 2);
        char bin[512];
        snprintf(bin, sizeof bin, "%s/simrun", SR_BINARY_DIR);
        char *argv[16] = {bin};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(bin, argv);
        _exit(98);
    }
    setpgid(pid, pid);
    return pid;
}

/* Runs in the database that a running simrun writes: -1 while it cannot be read yet. */
static int runs_now(const char *db)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", cli_dir(), db);
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    int n = -1;
    if (access(p, F_OK) == 0 && sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(h, 1000) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM runs", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static char *read_in_dir(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", cli_dir(), name);
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(p, &data, &n) == SR_OK ? (char *)data : NULL;
}

/* A point that needs more memory than its worker may have (--point-memory, RLIMIT_AS) fails with "out of
 * memory" in the database; the points before and after it are simulated and recorded. */
static void test_point_out_of_memory(void **state)
{
    (void)state;
#ifdef SR_UNDER_ASAN
    skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be tested under it */
#endif
    int rc = cli_simrun("run exact-oom.yaml --db oom.db --no-report --quiet --point-memory 600MiB");
    assert_int_equal(rc, 1); /* a failed point: exit 1, the others written */
    char *rows = cli_query_text("oom.db", "SELECT point_index, status FROM runs ORDER BY point_index");
    assert_string_equal(rows, "0|ok\n1|failed\n2|ok\n");
    free(rows);
    char *err = cli_query_text("oom.db", "SELECT error FROM runs WHERE point_index = 1");
    print_message("point 1: %s\n", err);
    assert_non_null(strstr(err, "out of memory"));
    assert_non_null(strstr(err, "3x3000x3000"));
    free(err);
    /* so small that SimGrid itself cannot load the platform (it aborts on the failed allocation): every point
     * fails with that cause and the sweep still goes through all of them */
    assert_int_equal(cli_simrun("run tiny.yaml --db oom16.db --no-report --quiet --point-memory 16MiB"), 1);
    int64_t n_points = cli_query_int("oom16.db", "SELECT count(*) FROM runs");
    char *why16 = cli_query_text("oom16.db", "SELECT group_concat(status || ': ' || error, ' / ') FROM runs");
    print_message("16 MiB: %s\n", why16);
    free(why16);
    assert_true(n_points >= 2);
    assert_int_equal(cli_query_int("oom16.db", "SELECT count(*) FROM runs WHERE status = 'failed' AND "
                                               "error LIKE '%out of memory%'"),
                     n_points);
    /* a limit that is not a size is bad input */
    assert_int_equal(cli_simrun("run exact-oom.yaml --db oom2.db --point-memory lots"), 2);
    assert_false(cli_exists("oom2.db"));
}

/* Allocations SimGrid asked for, read from the report of tests/cli/fail_alloc.cpp: one line per point run
 * to its end, in point order (--jobs 1). Returns the number of lines read (at most max). */
static int read_alloc_report(const char *name, unsigned long *load, unsigned long *run, int max)
{
    char *text = read_in_dir(name);
    assert_non_null(text);
    int n = 0;
    for (const char *p = text; n < max && p && *p; n++) {
        unsigned long mallocs = 0;
        assert_int_equal(sscanf(p, "load_news=%lu run_news=%lu run_mallocs=%lu", &load[n], &run[n], &mallocs),
                         3);
        assert_int_equal(mallocs, 0); /* SimGrid's run allocates through operator new only */
        p = strchr(p, '\n');
        if (p) p++;
    }
    free(text);
    return n;
}

/* Out of memory inside real SimGrid in the middle of a run point: a failure-injecting allocator preloaded
 * into simrun (fail_alloc.cpp) makes SimGrid's K-th operator new of the run, and every later one, throw
 * std::bad_alloc, as operator new does when memory is exhausted. K is measured: the platform load (before
 * simgrid_run) is not counted, and K lies between what the two slow points of the sweep need while they run
 * and what the fast one needs. The fast point fails with the cause in the database; the slow ones run and
 * give the results they give without the allocator; the sweep goes on. Then K at ten places through the fast
 * point's run: each time the point fails with the same cause (no path that aborts or crashes instead). */
static void test_alloc_failure_in_simgrid(void **state)
{
    (void)state;
#ifdef SR_UNDER_ASAN
    skip(); /* ASan's runtime must be the first library loaded: nothing can be preloaded before it */
#endif
    assert_int_equal(cli_simrun("run inject-oom.yaml --db ref.db --no-report --quiet --jobs 1"), 0);
    assert_int_equal(setenv("LD_PRELOAD", SR_FAIL_ALLOC_SO, 1), 0);
    char report[600];
    snprintf(report, sizeof report, "%s/alloc.txt", cli_dir());
    setenv("SR_FAIL_ALLOC_REPORT", report, 1);
    int rc = cli_simrun("run inject-oom.yaml --db count.db --no-report --quiet --jobs 1");
    unsetenv("SR_FAIL_ALLOC_REPORT");
    assert_int_equal(rc, 0);
    unsigned long load[3], run[3];
    assert_int_equal(read_alloc_report("alloc.txt", load, run, 3), 3);
    print_message("operator new from libsimgrid: load %lu, run of 1/30/2 fps: %lu %lu %lu\n", load[0], run[0],
                  run[1], run[2]);
    assert_true(load[0] > 0 && load[0] == load[1] && load[1] == load[2]); /* the same platform each time */
    unsigned long slow = run[0] > run[2] ? run[0] : run[2];
    assert_true(run[1] > slow + 2);
    unsigned long k = slow + (run[1] - slow) / 2;
    char value[32];
    snprintf(value, sizeof value, "%lu", k);
    setenv("SR_FAIL_NEW_AT", value, 1);
    rc = cli_simrun("run inject-oom.yaml --db inj.db --no-report --quiet --jobs 1");
    char *rows = cli_query_text("inj.db", "SELECT point_index, status, error FROM runs ORDER BY point_index");
    const char *cause = "worker process failed: out of memory (std::bad_alloc inside the simulation)";
    char want[400];
    snprintf(want, sizeof want, "0|ok|NULL\n1|failed|%s\n2|ok|NULL\n", cause);
    assert_int_equal(rc, 1);
    assert_string_equal(rows, want);
    free(rows);
    const char *sql = "SELECT r.point_index, m.name, m.value FROM runs r JOIN metrics m ON m.run_id = r.id "
                      "WHERE r.point_index IN (0, 2) AND m.name NOT LIKE '%wall_s' ORDER BY 1, 2";
    char *got = cli_query_text("inj.db", sql), *ref = cli_query_text("ref.db", sql);
    assert_true(strlen(ref) > 100);
    assert_string_equal(got, ref);
    free(got), free(ref);
    /* the fast point alone, its failure injected at ten places through its run */
    char *yaml = read_in_dir("inject-oom.yaml");
    assert_non_null(yaml);
    char *axis = strstr(yaml, "[1, 30, 2]");
    assert_non_null(axis);
    memcpy(axis, "[30]      ", 10);
    char one[600];
    snprintf(one, sizeof one, "%s/inject-one.yaml", cli_dir());
    FILE *f = fopen(one, "w");
    assert_non_null(f);
    assert_int_equal(fputs(yaml, f) >= 0 && fclose(f) == 0, 1);
    free(yaml);
    for (int j = 0; j < 10; j++) {
        snprintf(value, sizeof value, "%lu", 1 + run[1] * (unsigned long)j / 10);
        setenv("SR_FAIL_NEW_AT", value, 1);
        char db[32];
        snprintf(db, sizeof db, "one%d.db", j);
        assert_int_equal(cli_simrun("run inject-one.yaml --db %s --no-report --quiet", db), 1);
        char *err = cli_query_text(db, "SELECT point_index, status, error FROM runs");
        snprintf(want, sizeof want, "0|failed|%s\n", cause);
        assert_string_equal(err, want);
        free(err);
    }
    unsetenv("SR_FAIL_NEW_AT");
    unsetenv("LD_PRELOAD");
}

/* Runs `simrun ARGS...` in the test folder under an address-space limit of as_bytes (RLIMIT_AS, as `ulimit
 * -v` gives), output to log. Returns its exit code, or -1 when it was still running after timeout_s (then it
 * and its workers are killed). */
static int run_limited(const char *log, unsigned long long as_bytes, int timeout_s, char *const args[])
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {.rlim_cur = as_bytes, .rlim_max = as_bytes};
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(97);
        setpgid(0, 0);
        if (chdir(cli_dir()) != 0) _exit(99);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1), dup2(fd, 2);
        char bin[512];
        snprintf(bin, sizeof bin, "%s/simrun", SR_BINARY_DIR);
        char *argv[16] = {bin};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(bin, argv);
        _exit(98);
    }
    setpgid(pid, pid);
    int ws = 0;
    for (int i = 0; i < timeout_s * 100; i++) {
        pid_t got = waitpid(pid, &ws, WNOHANG);
        if (got == pid) return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        sleep_ms(10);
    }
    kill(-pid, SIGKILL);
    waitpid(pid, &ws, 0);
    return -1;
}

/* OpenBLAS under an address-space limit. It starts its threads when it loads and each takes a 128 MiB buffer,
 * retried for ever when the allocation fails: under `ulimit -v` 200 MB a thread spun from the start and the
 * first fork() of simrun hung in OpenBLAS's pre-fork handler, which joins it. And in a worker under
 * --point-memory, exact mode's first product spun the same way when the limit left less than the buffer.
 * Now simrun runs OpenBLAS on one thread under a limit (no thread to join) and checks the buffer's room
 * before the first product: the sweep under `ulimit -v` runs, the exact point fails saying why. */
static void test_blas_under_memory_limit(void **state)
{
    (void)state;
#ifdef SR_UNDER_ASAN
    skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be tested under it */
#endif
    char *run[] = {"run", "tiny.yaml", "--db", "ulimit.db", "--no-report", "--quiet", NULL};
    int rc = run_limited("ulimit.txt", 200000ull * 1024, 120, run);
    char *out = read_in_dir("ulimit.txt");
    print_message("ulimit -v 200000: exit %d\n%s", rc, out ? out : "");
    free(out);
    assert_int_equal(rc, 0);
    assert_int_equal(cli_query_int("ulimit.db", "SELECT count(*) FROM runs WHERE status = 'ok'"), 4);
    char *validate[] = {"validate", "tiny.yaml", NULL};
    assert_int_equal(run_limited("validate.txt", 200000ull * 1024, 60, validate), 0);
    /* exact mode, one point, a worker limit that leaves the model's buffers but not OpenBLAS's */
    char *yaml = read_in_dir("exact-oom.yaml");
    assert_non_null(yaml);
    char *axis = strstr(yaml, "[3x32x32, 3x3000x3000, 3x64x64]");
    assert_non_null(axis);
    memcpy(axis, "[3x64x64]", 9);
    memset(axis + 9, ' ', strlen("[3x32x32, 3x3000x3000, 3x64x64]") - 9);
    char path[600];
    snprintf(path, sizeof path, "%s/exact-one.yaml", cli_dir());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(yaml, f) >= 0 && fclose(f) == 0, 1);
    free(yaml);
    char *exact[] = {"run",     "exact-one.yaml", "--db",   "blas.db", "--no-report",
                     "--quiet", "--point-memory", "200MiB", NULL};
    rc = run_limited("blas.txt", RLIM_INFINITY, 120, exact);
    char *err = cli_query_text("blas.db", "SELECT status, error FROM runs");
    print_message("exact mode under --point-memory 200MiB: exit %d, %s", rc, err);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(
        err, "failed|exact mode: model 'mobilenetv2' at input 3x64x64: out of memory: OpenBLAS needs"));
    free(err);
}

/* The shell's address-space limit (`ulimit -v`) instead of --point-memory, on a point with 5000 cameras: at
 * each limit simrun starts and its worker runs out of memory somewhere (GSL's rng state, whose default
 * handler aborts; std::bad_alloc inside SimGrid; simrun's own buffers). Every time the point fails with "out
 * of memory" in the database, never "killed by signal 6", never a hang. */
static void test_shell_memory_limit(void **state)
{
    (void)state;
#ifdef SR_UNDER_ASAN
    skip(); /* ASan reserves terabytes of address space: RLIMIT_AS cannot be tested under it */
#endif
    const unsigned long long limits_kib[] = {100000, 120000, 140000};
    for (size_t k = 0; k < sizeof limits_kib / sizeof *limits_kib; k++) {
        char db[32];
        snprintf(db, sizeof db, "shell%zu.db", k);
        char *args[] = {"run", "many-cameras.yaml", "--db", db, "--no-report", "--quiet", NULL};
        int rc = run_limited("shell.txt", limits_kib[k] * 1024, 120, args);
        char *err = cli_query_text(db, "SELECT status, error FROM runs");
        print_message("ulimit -v %llu: exit %d, %s", limits_kib[k], rc, err);
        assert_int_equal(rc, 1);
        assert_non_null(strstr(err, "failed|"));
        assert_non_null(strstr(err, "out of memory"));
        assert_null(strstr(err, "signal"));
        free(err);
    }
}

/* simrun killed with SIGKILL in the middle of a sweep: its workers die with it (none is left computing a
 * point that nobody will record), and --resume then finishes the sweep with each point recorded once. */
static void test_workers_die_with_parent(void **state)
{
    (void)state;
    /* orphans of the killed simrun are re-parented to this process, so it sees how they ended */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    char *args[] = {"run", "long.yaml", "--db", "kill.db", "--jobs", "2", "--no-report", "--quiet", NULL};
    pid_t pid = spawn("kill.txt", args);
    int n = 0;
    for (int i = 0; i < 6000 && n < 1; i++) {
        sleep_ms(10);
        n = runs_now("kill.db");
    }
    assert_true(n >= 1);
    sleep_ms(200); /* the next points are running */
    assert_int_equal(kill(pid, SIGKILL), 0);
    /* How an orphan may end: killed by the death signal; or exit 0, a worker that had sent its point before
     * simrun died and was not reaped yet (after simrun's death its write would have met a closed pipe:
     * SIGPIPE); or exit 4, a worker born as simrun died, which stops before computing. Under load the second
     * happens (seen twice on 2 cores with load average 15-20): not a worker that ran on. */
    int orphans = 0, killed = 0, sent_before = 0;
    for (int i = 0; i < 500; i++) {
        int ws = 0;
        pid_t got = waitpid(-1, &ws, WNOHANG);
        if (got < 0 && errno == ECHILD) break;
        if (got > 0 && got != pid) {
            orphans++;
            killed += WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL;
            sent_before += WIFEXITED(ws) && (WEXITSTATUS(ws) == 0 || WEXITSTATUS(ws) == 4);
        }
        if (got == 0) sleep_ms(10);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0);
    print_message("orphans %d: %d killed by the death signal, %d ended before it\n", orphans, killed,
                  sent_before);
    assert_true(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD); /* nothing left running */
    assert_true(orphans <= 2);
    assert_int_equal(killed + sent_before, orphans); /* none finished its point after simrun died */
    int before = (int)cli_query_int("kill.db", "SELECT count(*) FROM runs");
    assert_int_equal(cli_simrun("run long.yaml --db kill.db --jobs 2 --resume --no-report --quiet"), 0);
    assert_int_equal(cli_query_int("kill.db", "SELECT count(*) FROM runs"), 12);
    assert_int_equal(cli_query_int("kill.db", "SELECT count(DISTINCT point_hash) FROM runs"), 12);
    assert_int_equal(cli_query_int("kill.db", "SELECT count(*) FROM runs WHERE status = 'ok'"), 12);
    assert_true(before < 12);
}

/* `simrun report` killed at any moment leaves the page and figures of the previous report whole: every file
 * is written under a .part name and renamed when complete. The next report (or export) removes the .part
 * files a killed one left. */
static void test_report_killed(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db rep.db --no-report --quiet"), 0);
    assert_int_equal(cli_simrun("report rep.db --out figs"), 0);
    char *page = read_in_dir("figs/index.html");
    assert_non_null(page);
    assert_non_null(strstr(page, "</html>"));
    size_t page_len = strlen(page);
    free(page);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "ls %s/figs | grep -q '\\.part$'", cli_dir());
    assert_int_not_equal(system(cmd), 0); /* grep finds no .part: status 1 */
    const int delays_ms[] = {5, 20, 50, 100, 200, 400};
    for (size_t k = 0; k < sizeof delays_ms / sizeof *delays_ms; k++) {
        char *args[] = {"report", "rep.db", "--out", "figs", NULL};
        pid_t pid = spawn("rep.txt", args);
        sleep_ms(delays_ms[k]);
        kill(-pid, SIGKILL);
        waitpid(pid, NULL, 0);
        page = read_in_dir("figs/index.html");
        assert_non_null(page);
        assert_int_equal(strlen(page), page_len);
        free(page);
        /* every figure there is whole */
        snprintf(cmd, sizeof cmd,
                 "cd %s/figs && for f in *.svg; do tail -c 16 \"$f\" | grep -q '</svg>' || exit 1; done",
                 cli_dir());
        assert_int_equal(system(cmd), 0);
    }
    /* the next report removes the .part files the killed ones left (and one planted for sure), nothing else
     */
    snprintf(cmd, sizeof cmd,
             "cd %s/figs && ls | grep -c '\\.part$' >../parts-left.txt; : >planted.svg.part && "
             "echo keep >keep.txt && mkdir -p dir.part",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    char *left = read_in_dir("parts-left.txt");
    print_message(".part files left by the killed reports: %s", left ? left : "?\n");
    free(left);
    assert_int_equal(cli_simrun("report rep.db --out figs"), 0);
    snprintf(cmd, sizeof cmd, "cd %s/figs && test -f keep.txt && test -d dir.part && test -f index.html",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "ls %s/figs | grep -v '^dir\\.part$' | grep -q '\\.part$'", cli_dir());
    assert_int_not_equal(system(cmd), 0);
    /* export likewise */
    assert_int_equal(cli_simrun("export rep.db --csv csv"), 0);
    snprintf(cmd, sizeof cmd, "cd %s/csv && : >runs.csv.part && : >old.csv.part", cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("export rep.db --csv csv"), 0);
    snprintf(cmd, sizeof cmd, "ls %s/csv | grep -q '\\.part$'", cli_dir());
    assert_int_not_equal(system(cmd), 0);
    assert_true(cli_exists("csv/runs.csv"));
}

/* A database damaged past its first page is refused before anything is written into it, and so is one whose
 * schema version no simrun writes; both files are left byte for byte as they were. */
static void test_damaged_database(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db good.db --no-report --quiet"), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && cp good.db bad.db && dd if=/dev/zero of=bad.db bs=4096 seek=3 count=2 conv=notrunc "
             "2>/dev/null && cp bad.db bad.orig && cp good.db v.db",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("run sweep.yaml --db bad.db --no-report --quiet"), 2);
    char *out = cli_output();
    assert_non_null(strstr(out, "bad.db: the database is damaged"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s && cmp -s bad.db bad.orig", cli_dir());
    assert_int_equal(system(cmd), 0);

    snprintf(cmd, sizeof cmd,
             "cd %s && sqlite3 v.db \"UPDATE meta SET value = '-1' WHERE key = 'schema_version'\"",
             cli_dir());
    if (system(cmd) != 0) {
        /* no sqlite3 shell: use a copy edited with the harness's own connection instead */
        fail_msg("sqlite3 shell missing");
    }
    snprintf(cmd, sizeof cmd, "cd %s && cp v.db v.orig", cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("run sweep.yaml --db v.db --no-report --quiet --resume"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "meta.schema_version is -1, which no simrun writes"));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s && cmp -s v.db v.orig", cli_dir());
    assert_int_equal(system(cmd), 0);
    /* what merge, compare and check read goes through the same checks */
    assert_int_equal(cli_simrun("merge v.db -o v-out.db"), 2);
    out = cli_output();
    if (!strstr(out, "v.db: meta.schema_version is -1, which no simrun writes")) fail_msg("merge said: %s", out);
    free(out);
    assert_int_equal(cli_simrun("compare bad.db"), 2);
    out = cli_output();
    if (!strstr(out, "bad.db: the database is damaged")) fail_msg("compare said: %s", out);
    free(out);
    assert_false(cli_exists("v-out.db"));
}

/* A results database whose numbers are not numbers everywhere (written or edited by something else: a text
 * metric, a fractional byte count) is refused by everything that reads one (merge, compare, report, run --db),
 * naming the table, the run, the column and the value; nothing is written: no merged output, the file left as
 * it was. Before, merge copied the text into its output and the reports read it as 0. */
static void test_foreign_values(void **state)
{
    (void)state;
    assert_int_equal(cli_simrun("run sweep.yaml --db fv-good.db --no-report --quiet"), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && cp fv-good.db fv-text.db && sqlite3 fv-text.db \"UPDATE metrics SET value = 'abc' WHERE "
             "run_id = 2 AND name = (SELECT min(name) FROM metrics WHERE run_id = 2)\" && cp fv-text.db fv-text.orig "
             "&& cp fv-good.db fv-real.db && sqlite3 fv-real.db \"UPDATE frames SET bytes_sent = 1.5 WHERE rowid = "
             "(SELECT min(rowid) FROM frames WHERE run_id = 1)\" && rm -f fv-out.db",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    const char *text_msg = "fv-text.db: metrics row of run 2: value holds text ('abc') where simrun writes a number "
                           "or NULL; the database was written or edited by something else";
    assert_int_equal(cli_simrun("merge fv-good.db fv-text.db -o fv-out.db"), 2);
    char *out = cli_output();
    if (!strstr(out, text_msg)) fail_msg("merge said: %s", out);
    free(out);
    assert_false(cli_exists("fv-out.db"));
    assert_int_equal(cli_simrun("compare fv-text.db"), 2);
    out = cli_output();
    assert_non_null(strstr(out, text_msg));
    free(out);
    assert_int_equal(cli_simrun("report fv-text.db --out fv-report"), 2);
    out = cli_output();
    assert_non_null(strstr(out, text_msg));
    free(out);
    assert_int_equal(cli_simrun("run sweep.yaml --db fv-text.db --no-report --quiet --resume"), 2);
    out = cli_output();
    assert_non_null(strstr(out, text_msg));
    free(out);
    snprintf(cmd, sizeof cmd, "cd %s && cmp -s fv-text.db fv-text.orig", cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("merge fv-real.db -o fv-out.db"), 2);
    out = cli_output();
    if (!strstr(out, "fv-real.db: frames row of run 1: bytes_sent holds real (1.5) where simrun writes an integer"))
        fail_msg("merge said: %s", out);
    free(out);
    assert_false(cli_exists("fv-out.db"));
    assert_int_equal(cli_simrun("merge fv-good.db -o fv-out.db --quiet"), 0);
}

/* Every file an experiment names is refused at once when it is not a regular file or is larger than its format
 * allows, with the reason at the key that names it: a sparse bandwidth trace over 1 GiB, profile over 16 MiB and
 * ONNX model over 2 GiB (read whole before: 2 GB of memory for the trace, then an error on its first line), a
 * FIFO as a trace (it blocked), and a FIFO given to compare and report as a database (called "no such database
 * file" before). The sparse files take no disk space and are never read. And an output folder (report --out,
 * export --csv) that is a file is refused with exit 2. */
static void test_files_refused_before_reading(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && rm -f big.mahimahi big-profile.yaml big.onnx pipe.csv pipe.db && "
             "truncate -s 1073741825 big.mahimahi && truncate -s 16777217 big-profile.yaml && "
             "truncate -s 2147483649 big.onnx && mkfifo pipe.csv pipe.db && "
             "sed 's#type: lte }#type: lte, bandwidth_trace: big.mahimahi, trace_format: mahimahi }#' sweep.yaml "
             ">big-trace.yaml && "
             "sed 's#type: lte }#type: lte, latency_trace: pipe.csv }#' sweep.yaml >fifo-trace.yaml && "
             "sed 's#profile: camera-soc#profile: ./big-profile.yaml#' sweep.yaml >big-profile-exp.yaml && "
             "sed 's#source: mobilenetv2#source: big.onnx, input: 3x224x224#' sweep.yaml >big-onnx.yaml",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    struct {
        const char *args, *want;
    } cases[] = {
        {"validate big-trace.yaml", "big.mahimahi: cannot read: larger than the 1 GiB simrun reads as a trace"},
        {"validate fifo-trace.yaml",
         "pipe.csv: cannot read: not a regular file (a device, FIFO or directory is not a trace)"},
        {"validate big-profile-exp.yaml", "big-profile.yaml: cannot read: larger than the 16 MiB simrun reads as a "
                                          "profile"},
        {"validate big-onnx.yaml", "big.onnx: 2147483649 bytes: an ONNX file is one protobuf message, at most 2 GiB"},
        {"compare pipe.db", "pipe.db: not a regular file (a device, FIFO or directory is not a results database)"},
        {"report pipe.db --out pipe-report",
         "pipe.db: not a regular file (a device, FIFO or directory is not a results database)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = cli_simrun("%s", cases[i].args);
        char *out = cli_output();
        if (rc != 2 || !strstr(out, cases[i].want)) fail_msg("simrun %s: exit %d: %s", cases[i].args, rc, out);
        free(out);
    }
    /* at its key, file:line:col */
    assert_int_equal(cli_simrun("validate big-trace.yaml"), 2);
    char *out = cli_output();
    assert_non_null(strstr(out, "big-trace.yaml:12:"));
    free(out);
    /* an output folder that is a file: exit 2 (it was 1, as for a failure while writing) */
    assert_int_equal(cli_simrun("run tiny.yaml --db rf.db --no-report --quiet"), 0);
    snprintf(cmd, sizeof cmd, "cd %s && echo x > a-file", cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("report rf.db --out a-file"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "report: a-file is not a directory"));
    free(out);
    assert_int_equal(cli_simrun("export rf.db --csv a-file"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "export: a-file is not a directory"));
    free(out);
    assert_int_equal(cli_simrun("report rf.db --out a-file/sub"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "report: cannot create a-file/sub: Not a directory"));
    free(out);
    /* the experiment's figures folder is a file: validate says so at the key, run before simulating anything
     * (it simulated every point, then failed drawing with exit 1) */
    snprintf(cmd, sizeof cmd, "cd %s && sed 's#figures: cli-tiny-figs#figures: a-file#' tiny.yaml >figs-file.yaml",
             cli_dir());
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cli_simrun("validate figs-file.yaml"), 2);
    out = cli_output();
    if (!strstr(out, "figs-file.yaml:5:") || !strstr(out, "'a-file' is a file; the figures are drawn into a folder"))
        fail_msg("validate said: %s", out);
    free(out);
    assert_int_equal(cli_simrun("run figs-file.yaml --db ff.db --quiet"), 2);
    out = cli_output();
    assert_non_null(strstr(out, "nothing was simulated (--no-report runs without figures)"));
    free(out);
    assert_false(cli_exists("ff.db"));
    assert_int_equal(cli_simrun("run figs-file.yaml --db ff.db --quiet --no-report"), 0);
}

/* The disk fills up during a sweep (a 256 KiB tmpfs): simrun stops at the first write that fails and says
 * so; the points written before are complete, the database passes its integrity check, and nothing of the
 * failed point is in it. Skipped where mounting is not allowed (not root, no CAP_SYS_ADMIN). */
static void test_disk_full(void **state)
{
    (void)state;
    char mnt[512];
    snprintf(mnt, sizeof mnt, "%s/full", cli_dir());
    assert_int_equal(mkdir(mnt, 0755), 0);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k") != 0) {
        print_message("test_disk_full skipped: cannot mount a small tmpfs here (%s)\n", strerror(errno));
        rmdir(mnt);
        skip();
    }
    int rc = cli_simrun("run sweep.yaml --db full/s.db --no-report --quiet --jobs 2");
    char *out = cli_output();
    print_message("%s", out);
    int stopped = strstr(out, "stopping the sweep at the first write that failed") != NULL;
    int full = strstr(out, "database or disk is full") != NULL;
    int writes_failed = 0;
    for (const char *p = out; (p = strstr(p, "cannot write results")) != NULL; p++)
        writes_failed++;
    free(out);
    int64_t runs = cli_query_int("full/s.db", "SELECT count(*) FROM runs");
    int64_t metrics = cli_query_int("full/s.db", "SELECT count(*) FROM metrics");
    int64_t per_run = cli_query_int("full/s.db", "SELECT count(*) FROM metrics WHERE run_id = "
                                                 "(SELECT min(id) FROM runs)");
    char *check = cli_query_text("full/s.db", "PRAGMA quick_check");
    umount2(mnt, MNT_DETACH);
    assert_int_equal(rc, 2);
    assert_true(stopped && full);
    assert_int_equal(writes_failed, 1); /* stopped at the first */
    assert_true(runs >= 1 && runs < 18);
    assert_int_equal(metrics, per_run * runs); /* every recorded run whole */
    assert_string_equal(check, "ok\n");
    free(check);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_out_of_memory),     cmocka_unit_test(test_alloc_failure_in_simgrid),
        cmocka_unit_test(test_blas_under_memory_limit), cmocka_unit_test(test_shell_memory_limit),
        cmocka_unit_test(test_workers_die_with_parent), cmocka_unit_test(test_report_killed),
        cmocka_unit_test(test_damaged_database),
        cmocka_unit_test(test_foreign_values),        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_files_refused_before_reading),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
