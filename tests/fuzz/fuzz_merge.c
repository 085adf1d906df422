/* fuzz_merge.c: libFuzzer target for the tools that read results databases from elsewhere with their own
 * queries: `simrun merge` (any bytes as an input .db, merged twice into a fresh output, so that the second
 * pass compares every point with its first copy: the code of `simrun compare`) and `simrun check` (the input
 * as golden and as results, and against the merged output, exact and with a tolerance).
 * Properties: an error comes back with a message; a merge that succeeds leaves an output that simrun opens as
 * a sound results database, whose numeric columns hold numbers (a text or a blob where a number belongs would
 * be read as 0 by the reports). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_check.h"
#include "sr_merge.h"
#include "sr_results.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_POINTS 8

/* Abort when a numeric column of the merged output holds something other than a number (or NULL). */
static void check_numbers(const char *path)
{
    static const char *const q[] = {
        "SELECT count(*) FROM metrics WHERE typeof(value) NOT IN ('real', 'integer', 'null')",
        "SELECT count(*) FROM runs WHERE typeof(wall_s) NOT IN ('real', 'integer', 'null')"
        " OR typeof(point_index) <> 'integer' OR typeof(replication) <> 'integer'",
        "SELECT count(*) FROM frames WHERE typeof(capture_s) NOT IN ('real', 'integer')"
        " OR typeof(latency_s) NOT IN ('real', 'integer', 'null') OR typeof(bytes_sent) <> 'integer'",
        "SELECT count(*) FROM links WHERE typeof(bytes) <> 'integer' OR typeof(transfers) <> 'integer'"
        " OR typeof(bw_bps) NOT IN ('real', 'integer', 'null')",
        "SELECT count(*) FROM hosts WHERE typeof(tasks) <> 'integer' OR typeof(busy_s) NOT IN ('real', 'integer',"
        " 'null')",
    };
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) abort();
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db, q[i], -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) abort();
        if (sqlite3_column_int64(s, 0) != 0) {
            fprintf(stderr, "fuzz_merge: the merged output holds a non-number: %s\n", q[i]);
            abort();
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
}

/* The first experiment of path (hash, name) and the params of up to MAX_POINTS of its runs, for check. */
static int first_experiment(const char *path, char *hash, char *name, size_t cap, char pts[][512], int *n_pts)
{
    *n_pts = 0;
    sqlite3 *db = NULL;
    int found = 0;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s = NULL;
        if (sqlite3_prepare_v2(db,
                               "SELECT e.hash, e.name, r.params FROM experiments e LEFT JOIN runs r"
                               " ON r.experiment_id = e.id WHERE e.id = (SELECT min(id) FROM experiments)"
                               " LIMIT 8",
                               -1, &s, NULL) == SQLITE_OK)
            while (sqlite3_step(s) == SQLITE_ROW && *n_pts < MAX_POINTS) {
                const char *h = (const char *)sqlite3_column_text(s, 0);
                const char *n = (const char *)sqlite3_column_text(s, 1);
                const char *p = (const char *)sqlite3_column_text(s, 2);
                snprintf(hash, cap, "%s", h ? h : "");
                snprintf(name, cap, "%s", n ? n : "");
                found = 1;
                if (p) snprintf(pts[(*n_pts)++], 512, "%s", p);
            }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return found;
}

static void check_pair(const char *golden, const char *results, const sr_check_opts *o)
{
    sr_check_stats stats;
    char err[512] = "";
    FILE *devnull = fopen("/dev/null", "w");
    sr_status st = sr_results_check(golden, results, o, devnull, &stats, err, sizeof err);
    if (devnull) fclose(devnull);
    if (st != SR_OK && err[0] == '\0') abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char in[64], out[64], err[512] = "";
    if (size > (1u << 20)) return 0;
    if (fuzz_tmpfile(data, size, "-in.db", in, sizeof in) != 0) return 0;
    snprintf(out, sizeof out, "/tmp/sr-fuzz-%d-out.db", (int)getpid());
    fuzz_unlink_db(out);
    const char *inputs[2] = {in, in};
    sr_merge_stats ms;
    sr_status st = sr_results_merge(out, inputs, 2, NULL, NULL, &ms, err, sizeof err);
    if (st != SR_OK && err[0] == '\0') abort();
    int merged = st == SR_OK;
    if (merged) {
        sr_results *r = NULL;
        if (sr_results_open(out, &r, err, sizeof err) != SR_OK) {
            fprintf(stderr, "fuzz_merge: the merged output does not open: %s\n", err);
            abort();
        }
        sr_results_close(r);
        check_numbers(out);
    }
    char hash[256], name[256], pts[MAX_POINTS][512];
    int n_pts = 0;
    if (first_experiment(in, hash, name, sizeof hash, pts, &n_pts)) {
        const char *pp[MAX_POINTS];
        for (int i = 0; i < n_pts; i++)
            pp[i] = pts[i];
        sr_check_opts o = {.name = name, .hash = hash, .points = pp, .n_points = n_pts, .rtol = -1};
        check_pair(in, in, &o);
        if (merged) check_pair(in, out, &o);
        o.rtol = 0.01;
        check_pair(in, in, &o);
    }
    fuzz_unlink_db(in);
    fuzz_unlink_db(out);
    return 0;
}
