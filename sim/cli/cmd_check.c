/* cmd_check.c: `simrun check EXP.yaml --against GOLDEN.db`: reruns an experiment (or reads its results from a
 * database) and compares every point with a golden database (sr_check.h); prints a table of what moved.
 * Exit 0 when everything holds, 1 on a regression (a value moved, a point missing or left over), 2 on bad
 * input (the experiment, the golden file or the results file). --update rewrites the golden file instead. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr_check.h"
#include "sr_cmd.h"
#include "sr_config.h"
#include "sr_merge.h"
#include "sr_results.h"
#include "sr_runner.h"

static void check_usage(FILE *f)
{
    fprintf(
        f, "usage: simrun check EXPERIMENT.yaml --against GOLDEN.db [--rtol R] [--metric NAME]...\n"
           "                    [--results DB] [--jobs N] [--update] [--quiet]\n"
           "  --against GOLDEN.db  the golden database to compare with\n"
           "  --rtol R             tolerance mode: metrics only, |golden - now| <= R * max(|golden|, |now|)\n"
           "                       (default: exact mode, every metric and every row of frames, frame_tasks,\n"
           "                       links and hosts bit for bit; wall-clock values are never compared)\n"
           "  --metric NAME        compare only this metric (repeatable; no per-frame rows then)\n"
           "  --results DB         read the points from DB instead of running them again\n"
           "  --jobs N             worker processes for the rerun (default 1)\n"
           "  --update             write the results as the new golden file (say why in the commit)\n"
           "  --quiet              print only the differences and the verdict\n"
           "exit code: 0 everything holds, 1 something moved or is missing, 2 bad input\n");
}

/* Removes the temporary database dir/check.db (and its WAL files) and dir. */
static void remove_tmp(const char *dir)
{
    static const char *const files[] = {"check.db", "check.db-wal", "check.db-shm", "check.db-journal"};
    char p[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* Writes the experiment (by hash) of results as the golden file: a fresh database next to it, compacted into
 * a single file (no WAL), renamed over it. Returns 0 on success. */
static int update_golden(const char *golden, const char *results, const char *hash)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", golden);
    unlink(tmp);
    const char *in[1] = {results};
    sr_merge_stats ms;
    char err[1024];
    sr_status st = sr_results_merge(tmp, in, 1, hash, stderr, &ms, err, sizeof err);
    if (st != SR_OK) {
        fprintf(stderr, "simrun check: writing %s: %s\n", tmp, err);
        unlink(tmp);
        return -1;
    }
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db, "PRAGMA journal_mode = DELETE; VACUUM", NULL, NULL, NULL);
    if (rc != SQLITE_OK) fprintf(stderr, "simrun check: compacting %s: %s\n", tmp, sqlite3_errmsg(db));
    sqlite3_close(db);
    if (rc != SQLITE_OK || ms.runs_added == 0 || rename(tmp, golden) != 0) {
        if (rc == SQLITE_OK)
            fprintf(stderr, "simrun check: cannot write %s (%d runs)\n", golden, ms.runs_added);
        unlink(tmp);
        return -1;
    }
    printf("%s: golden file rewritten (%d runs)\n", golden, ms.runs_added);
    return 0;
}

/* 1 when the database at path (a probed simrun database) has a metric of this name. */
static int has_metric(const char *path, const char *name)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    int found = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT 1 FROM metrics WHERE name = ?1 LIMIT 1", -1, &s, NULL) == SQLITE_OK) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(s) == SQLITE_ROW;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return found;
}

int sr_cmd_check(int argc, char **argv)
{
    const char *path = NULL, *golden = NULL, *results = NULL;
    double rtol = -1;
    int jobs = 1, update = 0, quiet = 0, n_metrics = 0, code = 2;
    const char **metrics = calloc((size_t)argc, sizeof *metrics);
    const char **points = NULL;
    sr_config *c = NULL;
    char tmpdir[1024] = "", tmpdb[1100] = "";
    if (!metrics) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            check_usage(stdout);
            code = 0;
            goto cleanup;
        } else if (strcmp(a, "--against") == 0 && i + 1 < argc) {
            golden = argv[++i];
        } else if (strcmp(a, "--results") == 0 && i + 1 < argc) {
            results = argv[++i];
        } else if (strcmp(a, "--metric") == 0 && i + 1 < argc) {
            metrics[n_metrics++] = argv[++i];
        } else if (strcmp(a, "--rtol") == 0 && i + 1 < argc) {
            rtol = strtod(argv[++i], &end);
            if (*end || end == argv[i] || !(rtol >= 0 && rtol < 1)) {
                fprintf(stderr, "simrun check: --rtol wants a number in [0, 1), got '%s'\n", argv[i]);
                goto cleanup;
            }
        } else if ((strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "simrun check: --jobs wants an integer in 1..1024, got '%s'\n", argv[i]);
                goto cleanup;
            }
            jobs = (int)v;
        } else if (strcmp(a, "--update") == 0) {
            update = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "simrun check: unexpected argument '%s'\n", a);
            check_usage(stderr);
            goto cleanup;
        } else {
            path = a;
        }
    }
    if (!path || !golden) {
        check_usage(stderr);
        goto cleanup;
    }
    if (sr_config_load(path, stderr, &c) != SR_OK) goto cleanup;
    char err[1024];
    int version = 0;
    if (!update && sr_results_probe(golden, &version, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun check: %s\n", err);
        goto cleanup;
    }
    for (int i = 0; i < n_metrics && !update; i++)
        if (!has_metric(golden, metrics[i])) {
            fprintf(stderr, "simrun check: %s has no metric named '%s'\n", golden, metrics[i]);
            goto cleanup;
        }
    if (results && sr_results_probe(results, &version, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun check: %s\n", err);
        goto cleanup;
    }
    if (!results) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/simrun-check-XXXXXX", t && t[0] ? t : "/tmp");
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "simrun check: cannot create a temporary folder\n");
            tmpdir[0] = '\0';
            code = 1;
            goto cleanup;
        }
        snprintf(tmpdb, sizeof tmpdb, "%s/check.db", tmpdir);
        sr_runner_opts ro = {.jobs = jobs, .progress = !quiet && isatty(2), .db_path = tmpdb};
        sr_runner_stats rs;
        if (!quiet)
            fprintf(stderr, "simrun check: running the %d points of %s\n", sr_config_point_count(c), path);
        sr_status st = sr_runner_run(c, &ro, &rs);
        if (rs.stop_signal) { /* interrupted: nothing to compare */
            code = 128 + rs.stop_signal;
            goto cleanup;
        }
        if (st != SR_OK && st != SR_ERR_CHILD) {
            code = 1;
            goto cleanup;
        }
        results = tmpdb;
    }
    if (update) {
        code = update_golden(golden, results, sr_config_hash(c)) == 0 ? 0 : 1;
        goto cleanup;
    }
    int n = sr_config_point_count(c);
    points = calloc((size_t)(n > 0 ? n : 1), sizeof *points);
    if (!points) {
        code = 1;
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        points[i] = sr_config_point(c, i)->params_json;
    sr_check_opts o = {.name = sr_config_name(c),
                       .hash = sr_config_hash(c),
                       .points = points,
                       .n_points = n,
                       .rtol = rtol,
                       .metrics = n_metrics ? metrics : NULL,
                       .n_metrics = n_metrics};
    sr_check_stats s;
    sr_status st = sr_results_check(golden, results, &o, stdout, &s, err, sizeof err);
    if (st != SR_OK) {
        fprintf(stderr, "simrun check: %s\n", err[0] ? err : sr_status_message(st));
        goto cleanup;
    }
    int hold = sr_check_stats_hold(&s);
    printf("%s: %d points against %s (%s): %d hold, %d moved (%d values), %d not in the golden file, "
           "%d not in the results, %d golden points no longer in the experiment: %s\n",
           path, s.points, golden, rtol < 0 ? "exact" : "tolerance", s.held, s.moved, s.values_moved,
           s.not_in_golden, s.not_in_results, s.only_in_golden, hold ? "PASS" : "REGRESSION");
    code = hold ? 0 : 1;

cleanup:
    if (tmpdir[0]) remove_tmp(tmpdir);
    free(points);
    free(metrics);
    sr_config_free(c);
    return code;
}
