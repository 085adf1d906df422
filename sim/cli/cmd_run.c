/* cmd_run.c: `simrun run` and `simrun validate`.
 *
 * run: load + validate the whole experiment (exit 2 and nothing written on any error), run every point
 * in worker processes, print a summary table read back from the database, then draw the figures. */
#include <sqlite3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr_cmd.h"
#include "sr_config.h"
#include "sr_cut_summary.h"
#include "sr_results_read.h"
#include "sr_report.h"
#include "sr_runner.h"
#include "sr_runner_mpi.h"

static void run_usage(FILE *f)
{
    fprintf(f, "usage: simrun run EXPERIMENT.yaml [--jobs N] [--resume] [--shard I/N] [--db PATH] [--no-report]\n"
               "                  [--partial-report] [--quiet]\n"
               "  --jobs N          simulate N points at once in worker processes (default 1)\n"
               "  --resume          skip points that already have a successful run in the database\n"
               "  --shard I/N       run only shard I (0..N-1) of N: the points whose hash is I modulo N; the\n"
               "                    database defaults to the experiment's output.db with .shard-I-of-N before .db\n"
               "                    (combine the shards with simrun merge)\n"
               "  --db PATH         write to PATH instead of the experiment's output.db\n"
               "  --no-report       do not draw figures after the run\n"
               "  --partial-report  draw figures even from a partial sweep (a shard, an interrupted run)\n"
               "  --progress        draw the progress line even when stderr is not a terminal\n"
               "  --quiet           no progress bar and no summary table\n"
               "  --point-memory SIZE  limit each worker's address space to SIZE (e.g. 4GiB): a point that needs\n"
               "                    more fails with 'out of memory' and the sweep goes on\n");
}

/* Creates the parent directories of path (like mkdir -p on dirname). */
static int make_parents(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && access(buf, F_OK) != 0) return -1;
        *p = '/';
    }
    return 0;
}

/* Why an output path cannot be written, before anything is simulated: a folder on its way that is a file, or the
 * path itself of the wrong kind (a folder for the figures, a regular file for the database, when it exists).
 * 0 when it can be (what is missing gets created), -1 with the reason in why. */
static int output_path_problem(const char *path, int want_dir, char *why, size_t n)
{
    char buf[4096];
    struct stat sb;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (stat(buf, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            snprintf(why, n, "'%s' is a file, not a folder", buf);
            return -1;
        }
        *p = '/';
    }
    if (stat(path, &sb) != 0) return 0;
    if (want_dir && !S_ISDIR(sb.st_mode)) {
        snprintf(why, n, "'%s' is a file; the figures are drawn into a folder", path);
        return -1;
    }
    if (!want_dir && !S_ISREG(sb.st_mode)) {
        snprintf(why, n, "'%s' is not a regular file", path);
        return -1;
    }
    return 0;
}

/* "platform.links.uplink.bandwidth=5.85Mbps workload..." -> "uplink.bandwidth=5.85Mbps ...": keeps the
 * last two components of each axis path so that the table stays narrow. */
static void shorten_point(const char *in, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    while (*in && o + 1 < size) {
        const char *end = strchr(in, ' ');
        size_t len = end ? (size_t)(end - in) : strlen(in);
        const char *eq = memchr(in, '=', len);
        const char *start = in;
        if (eq) {
            int dots = 0;
            for (const char *q = eq; q > in; q--)
                if (q[-1] == '.' && ++dots == 2) {
                    start = q;
                    break;
                }
        }
        int n = snprintf(out + o, size - o, "%s%.*s", o ? " " : "", (int)(len - (size_t)(start - in)), start);
        if (n < 0) break;
        o += (size_t)n;
        if (o >= size) {
            out[size - 1] = '\0';
            break;
        }
        in += len;
        while (*in == ' ') in++;
    }
}

/* "3/8" -> 3, 8 with 0 <= i < n <= 1000000; -1 on anything else. */
static int parse_shard(const char *text, int *i, int *n)
{
    char *end;
    long a = strtol(text, &end, 10);
    if (end == text || *end != '/') return -1;
    const char *second = end + 1;
    long b = strtol(second, &end, 10);
    if (end == second || *end || b < 1 || b > 1000000 || a < 0 || a >= b) return -1;
    *i = (int)a, *n = (int)b;
    return 0;
}

/* path with ".shard-I-of-N" inserted before its ".db" extension (appended when there is none). */
static void shard_db_path(const char *path, int i, int n, char *out, size_t size)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    snprintf(out, size, "%.*s.shard-%d-of-%d%s", (int)stem, path, i, n, path + stem);
}

/* One (policy, sweep point) of the summary: its replications and the sums of its metrics. */
#define SUMMARY_N 6
static const char *const summary_metrics[SUMMARY_N] = {"latency_p50_s", "latency_p95_s", "throughput_fps",
                                                       "drop_rate",     "energy_total_j", "bytes_total"};
typedef struct summary_row {
    char *policy, *point;
    int reps, failed;
    double sum[SUMMARY_N];
    int n[SUMMARY_N];
    /* a cut-choosing policy's choice per source (metrics <policy type>[.<source>].cut_*, sr_cut_policy.h), of
     * the first replication */
    int point_index, n_cuts;
    sr_cut_row cuts[SR_CUT_SUMMARY_MAX_SOURCES];
} summary_row;

typedef struct summary {
    summary_row *rows;
    int n, cap;
    int oom;
} summary;

static int summary_add(void *user, const sr_read_run *run)
{
    summary *sm = user;
    char point[1024] = "";
    size_t used = 0;
    for (int i = 0; i < run->n_params && used < sizeof point; i++) {
        int w = snprintf(point + used, sizeof point - used, "%s%s=%s", i ? " " : "", run->params[i].key,
                         run->params[i].value);
        if (w < 0) break;
        used += (size_t)w;
    }
    summary_row *r = NULL;
    /* the runs come in point order, so a group's replications are usually the last row */
    for (int k = sm->n - 1; k >= 0 && !r; k--)
        if (strcmp(sm->rows[k].policy, run->policy) == 0 && strcmp(sm->rows[k].point, point) == 0) r = &sm->rows[k];
    if (!r) {
        if (sm->n == sm->cap) {
            int cap = sm->cap ? 2 * sm->cap : 16;
            summary_row *nr = realloc(sm->rows, (size_t)cap * sizeof *nr);
            if (!nr) {
                sm->oom = 1;
                return 1;
            }
            sm->rows = nr;
            sm->cap = cap;
        }
        r = &sm->rows[sm->n];
        memset(r, 0, sizeof *r);
        r->point_index = run->point_index;
        r->policy = strdup(run->policy);
        r->point = strdup(point);
        if (!r->policy || !r->point) {
            free(r->policy);
            free(r->point);
            sm->oom = 1;
            return 1;
        }
        sm->n++;
    }
    r->reps++;
    r->failed += strcmp(run->status, "ok") != 0;
    if (r->reps == 1) r->n_cuts = sr_cut_rows_read(run, r->cuts);
    for (int k = 0; k < SUMMARY_N; k++) {
        double v = sr_read_run_metric(run, summary_metrics[k]);
        if (isnan(v)) continue;
        r->sum[k] += v;
        r->n[k]++;
    }
    return 0;
}

static double summary_mean(const summary_row *r, int k)
{
    return r->n[k] ? r->sum[k] / r->n[k] : NAN;
}

/* Prints one line per (policy, sweep point), averaged over replications, read back from the database through the
 * results reader the reports use. */
static void print_summary(const sr_config *c, const char *db_path, const char *hash)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    int64_t exp_id = 0;
    summary sm = {0};
    char msg[512] = "";
    if (sr_results_read_experiment(db, hash, &exp_id) != SR_OK ||
        sr_results_read_runs(db, exp_id, 0, summary_add, &sm, msg, sizeof msg) != SR_OK || sm.oom) {
        fprintf(stderr, "simrun: cannot read the summary back: %s\n", msg[0] ? msg : "out of memory");
    } else {
        printf("%-16s %-30s %4s %10s %10s %8s %7s %10s %12s\n", "policy", "point", "reps", "p50 ms", "p95 ms",
               "fps", "drop %", "energy J", "net bytes");
        for (int i = 0; i < sm.n; i++) {
            const summary_row *r = &sm.rows[i];
            char shortp[31];
            shorten_point(r->point, shortp, sizeof shortp);
            printf("%-16s %-30s %4d", r->policy, shortp[0] ? shortp : "-", r->reps);
            if (r->failed == r->reps) {
                printf("  FAILED (see runs.error)\n");
                continue;
            }
            printf(" %10.2f %10.2f %8.2f %7.2f %10.1f %12.0f%s\n", summary_mean(r, 0) * 1e3, summary_mean(r, 1) * 1e3,
                   summary_mean(r, 2), summary_mean(r, 3) * 100.0, summary_mean(r, 4), summary_mean(r, 5),
                   r->failed ? "  (some replications failed)" : "");
        }
        printf("(means over replications; latency percentiles of completed frames after the warm-up)\n");
        int cuts = 0;
        sr_cut_names *cn = sr_cut_names_create(c);
        for (int i = 0; i < sm.n; i++) {
            const summary_row *r = &sm.rows[i];
            if (!r->n_cuts) continue;
            if (!cuts++)
                printf("cuts chosen, per source (layer names of the point's model; dynamic_split: its last "
                       "cut):\n");
            char shortp[31];
            shorten_point(r->point, shortp, sizeof shortp);
            printf("%-16s %s\n", r->policy, shortp[0] ? shortp : "-");
            for (int k = 0; k < r->n_cuts; k++)
                sr_cut_names_print(cn, stdout, r->point_index, &r->cuts[k]);
        }
        sr_cut_names_free(cn);
    }
    for (int i = 0; i < sm.n; i++) {
        free(sm.rows[i].policy);
        free(sm.rows[i].point);
    }
    free(sm.rows);
    sqlite3_close(db);
}

int sr_cmd_run(int argc, char **argv)
{
    const char *path = NULL, *db_override = NULL;
    int jobs = 1, resume = 0, report = 1, quiet = 0, partial_report = 0, shard_i = 0, shard_n = 1, progress = 0;
    double point_memory_bytes = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            run_usage(stdout);
            return 0;
        } else if ((strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "simrun run: --jobs wants an integer in 1..1024, got '%s'\n", argv[i]);
                return 2;
            }
            jobs = (int)v;
        } else if (strcmp(a, "--resume") == 0) {
            resume = 1;
        } else if (strcmp(a, "--no-report") == 0) {
            report = 0;
        } else if (strcmp(a, "--progress") == 0) {
            progress = 1;
        } else if (strcmp(a, "--partial-report") == 0) {
            partial_report = 1;
        } else if (strcmp(a, "--shard") == 0 && i + 1 < argc) {
            if (parse_shard(argv[++i], &shard_i, &shard_n) != 0) {
                fprintf(stderr, "simrun run: --shard wants I/N with 0 <= I < N, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--db") == 0 && i + 1 < argc) {
            db_override = argv[++i];
        } else if (strcmp(a, "--point-memory") == 0 && i + 1 < argc) {
            if (sr_parse_quantity(argv[++i], SR_UNIT_SIZE, &point_memory_bytes) != SR_OK ||
                point_memory_bytes < 16.0 * 1024 * 1024 || point_memory_bytes > 1e18) {
                fprintf(stderr, "simrun run: --point-memory wants a size from 16MiB to 1EB (e.g. 4GiB), got '%s'\n",
                        argv[i]);
                return 2;
            }
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "simrun run: unexpected argument '%s'\n", a);
            run_usage(stderr);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path) {
        run_usage(stderr);
        return 2;
    }
    sr_config *c = NULL;
    if (sr_config_load(path, stderr, &c) != SR_OK) return 2;
    sr_experiment *e0 = NULL;
    if (sr_config_experiment(c, 0, &e0) != SR_OK) {
        sr_config_free(c);
        return 2;
    }
    char db_path[4096], fig_dir[4096];
    if (db_override || shard_n == 1)
        snprintf(db_path, sizeof db_path, "%s", db_override ? db_override : e0->output_db);
    else
        shard_db_path(e0->output_db, shard_i, shard_n, db_path, sizeof db_path);
    snprintf(fig_dir, sizeof fig_dir, "%s", e0->output_figures);
    sr_experiment_free(e0);
    char why[4200];
    if (output_path_problem(db_path, 0, why, sizeof why) != 0 ||
        (report && output_path_problem(fig_dir, 1, why, sizeof why) != 0)) {
        fprintf(stderr, "simrun: %s; nothing was simulated%s\n", why,
                report && output_path_problem(db_path, 0, why, sizeof why) == 0 ? " (--no-report runs without figures)" : "");
        sr_config_free(c);
        return 2;
    }
    if (make_parents(db_path) != 0) {
        fprintf(stderr, "simrun: cannot create the directory of %s\n", db_path);
        sr_config_free(c);
        return 1;
    }
    sr_runner_opts opts = {.jobs = jobs, .resume = resume, .progress = progress || (!quiet && isatty(2)), .db_path = db_path,
                           .shard_index = shard_i, .shard_count = shard_n,
                           .point_memory_bytes = (uint64_t)point_memory_bytes};
    sr_runner_stats stats;
    if (!quiet && shard_n > 1)
        fprintf(stderr, "simrun: %s: shard %d of %d (%d jobs)\n", sr_config_name(c), shard_i, shard_n, jobs);
    else if (!quiet)
        fprintf(stderr, "simrun: %s: %d run points (%d jobs)\n", sr_config_name(c), sr_config_point_count(c),
                jobs);
    sr_status st;
    if (sr_mpi_launched()) {
        if (!sr_mpi_available()) {
            fprintf(stderr, "simrun: started by an MPI launcher, but this simrun was built without MPI "
                            "(configure with -DSR_MPI=ON); refusing to run the whole sweep once per rank\n");
            sr_config_free(c);
            return 2;
        }
        int rank = 0;
        opts.progress = 0;
        st = sr_runner_mpi_run(c, &opts, &stats, &rank);
        if (rank != 0) { /* rank 0 reports for everyone */
            sr_config_free(c);
            return st == SR_OK ? 0 : 1;
        }
    } else {
        st = sr_runner_run(c, &opts, &stats);
    }
    if (st == SR_ERR_DB || st == SR_ERR_NOMEM) {
        sr_config_free(c);
        return st == SR_ERR_DB ? 2 : 1;
    }
    if (!quiet) {
        print_summary(c, db_path, sr_config_hash(c));
        printf("\n%d points: %d ok, %d skipped (--resume), %d failed", stats.total, stats.ok, stats.skipped,
               stats.failed);
        if (stats.stop_signal) printf(", %d not run (interrupted)", stats.not_run);
        printf(" in %.2f s\ndatabase: %s\n", stats.wall_s, db_path);
    }
    int code = st == SR_OK ? 0 : 1;
    int partial = shard_n > 1 || stats.stop_signal;
    if (stats.stop_signal) {
        code = 128 + stats.stop_signal;
        char extra[4200] = "";
        if (db_override) snprintf(extra, sizeof extra, " --db %s", db_path);
        if (shard_n > 1)
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " --shard %d/%d", shard_i, shard_n);
        fprintf(stderr, "simrun: interrupted: %d points not run; `simrun run %s --resume%s` runs them\n",
                stats.not_run, path, extra);
    }
    if (report && partial && !partial_report) {
        if (!quiet)
            printf("figures:  not drawn from a partial sweep (%s; --partial-report draws them)\n",
                   stats.stop_signal ? "interrupted" : "one shard");
    } else if (report) {
        if (sr_report_generate(db_path, fig_dir, quiet ? NULL : stderr) != SR_OK) {
            fprintf(stderr, "simrun: drawing the figures failed\n");
            code = code ? code : 1;
        } else if (!quiet) {
            printf("figures:  %s/index.html\n", fig_dir);
        }
    }
    sr_config_free(c);
    return code;
}

int sr_cmd_validate(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: simrun validate EXPERIMENT.yaml\n");
        return (argc == 2 && (strcmp(argv[1], "--help") == 0)) ? 0 : 2;
    }
    sr_config *c = NULL;
    if (sr_config_load(argv[1], stderr, &c) != SR_OK) return 2;
    /* what `simrun run` would refuse before simulating: output paths it cannot write */
    sr_experiment *e0 = NULL;
    if (sr_config_experiment(c, 0, &e0) == SR_OK) {
        char why[4200];
        const sr_loc *at = &e0->output_db_loc;
        int bad = output_path_problem(e0->output_db, 0, why, sizeof why) != 0;
        if (!bad && output_path_problem(e0->output_figures, 1, why, sizeof why) != 0) {
            bad = 1;
            at = &e0->output_figures_loc;
        }
        if (bad && at->line)
            fprintf(stderr, "%s:%d:%d: error: %s\n", argv[1], at->line, at->col, why);
        else if (bad)
            fprintf(stderr, "%s: error: output: %s\n", argv[1], why);
        sr_experiment_free(e0);
        if (bad) {
            sr_config_free(c);
            return 2;
        }
    }
    printf("%s: ok (%d run points: %d sweep axes, %d replications)\n", argv[1], sr_config_point_count(c),
           sr_config_axis_count(c), sr_config_replications(c));
    sr_config_free(c);
    return 0;
}
