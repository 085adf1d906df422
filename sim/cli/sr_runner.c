/* sr_runner.c: the local runner: a pool of worker processes, one database writer, a progress line, and a
 * clean stop on SIGINT/SIGTERM (see sr_runner.h). */
#include "sr_runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sr_pool.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sr_runner_point_in_shard(const char *point_hash, int i, int n)
{
    if (n <= 1) return 1;
    uint64_t h = strtoull(point_hash, NULL, 16);
    return (int)(h % (uint64_t)n) == i;
}

sr_status sr_runner_prepare(const sr_config *c, const sr_runner_opts *opts, sr_results **db, int64_t *exp_id,
                            int **todo, int *n_todo, sr_runner_stats *stats)
{
    *db = NULL, *todo = NULL, *n_todo = 0;
    char err[512] = "";
    if (sr_results_open(opts->db_path, db, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun: %s\n", err);
        return SR_ERR_DB;
    }
    char other[17];
    int renamed = 0;
    sr_status st = sr_results_experiment_renamed(*db, sr_config_name(c), sr_config_hash(c), other, &renamed);
    if (st == SR_OK)
        st = sr_results_experiment(*db, sr_config_name(c), sr_config_text(c), sr_config_hash(c), exp_id);
    if (st != SR_OK) {
        fprintf(stderr, "simrun: %s: cannot record the experiment: %s\n", opts->db_path,
                sr_results_errmsg(*db));
        goto fail;
    }
    if (renamed)
        fprintf(stderr,
                "simrun: note: experiment '%s' changed since the runs in %s (hash %s, now %s): this is a new "
                "experiment, its points start afresh\n",
                sr_config_name(c), opts->db_path, other, sr_config_hash(c));
    int n = sr_config_point_count(c);
    *todo = calloc((size_t)(n > 0 ? n : 1), sizeof **todo);
    if (!*todo) {
        st = SR_ERR_NOMEM;
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        const sr_point *pt = sr_config_point(c, i);
        if (!sr_runner_point_in_shard(pt->hash, opts->shard_index, opts->shard_count)) continue;
        stats->total++;
        int done = 0;
        if (opts->resume && sr_results_point_done(*db, *exp_id, pt->hash, &done) != SR_OK) {
            fprintf(stderr, "simrun: %s\n", sr_results_errmsg(*db));
            st = SR_ERR_DB;
            goto fail;
        }
        if (done)
            stats->skipped++;
        else
            (*todo)[(*n_todo)++] = i;
    }
    return SR_OK;

fail:
    sr_results_close(*db);
    *db = NULL;
    free(*todo);
    *todo = NULL;
    return st == SR_ERR_NOMEM ? st : SR_ERR_DB;
}

sr_status sr_runner_write(sr_results *db, const sr_config *c, int64_t exp_id, const sr_run_wire *wire,
                          const sr_run_output *out, sr_runner_stats *stats)
{
    const sr_point *pt = sr_config_point(c, wire->point_index);
    sr_run_info info = {0};
    info.exp_id = exp_id;
    info.point_index = pt->index;
    info.point_hash = pt->hash;
    info.params_json = pt->params_json;
    info.params_si_json = pt->params_si_json;
    info.policy = pt->policy;
    info.replication = pt->replication;
    info.seed = pt->seed;
    info.net_model = wire->net_model;
    info.replace = 1; /* with --resume finished points are never re-run; without it a re-run replaces them */
    info.status = wire->ok ? "ok" : "failed";
    info.error = wire->ok ? NULL : wire->error;
    info.wall_s = wire->wall_s;
    int64_t run_id = 0;
    if (sr_results_write_run(db, &info, wire->ok ? out : NULL, &run_id) != SR_OK) {
        fprintf(stderr, "simrun: point %d: cannot write results: %s\n", pt->index, sr_results_errmsg(db));
        stats->failed++;
        return SR_ERR_DB;
    }
    if (wire->ok) {
        stats->ok++;
    } else {
        stats->failed++;
        fprintf(stderr, "simrun: point %d (%s) failed: %s\n", pt->index, pt->params_json, wire->error);
    }
    return SR_OK;
}

/* The progress line: finished points, the simulated time of every running point, and an ETA that counts the
 * running points' fractions too. */
static void draw_progress(const sr_pool *pool, int done, int total, int failed, double elapsed_s, int final)
{
    const int width = 24;
    double frac_done = done;
    char running[160] = "";
    size_t o = 0;
    int shown = 0;
    for (int k = 0; pool && k < sr_pool_slots(pool); k++) {
        int point;
        double t, d;
        if (!sr_pool_progress(pool, k, &point, &t, &d)) continue;
        if (d > 0) frac_done += t < d ? t / d : 1.0;
        if (shown++ < 3 && o < sizeof running)
            o += (size_t)snprintf(running + o, sizeof running - o, " #%d %.0f/%.0fs", point, t, d);
    }
    if (shown > 3 && o < sizeof running) snprintf(running + o, sizeof running - o, " +%d", shown - 3);
    int fill = total > 0 ? (int)(frac_done * width / total) : width;
    char bar[64];
    for (int k = 0; k < width; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[width] = '\0';
    char eta[32] = "--";
    if (final) {
        snprintf(eta, sizeof eta, "done");
    } else if (frac_done > 0 && frac_done < total) {
        double rem = elapsed_s / frac_done * (total - frac_done);
        snprintf(eta, sizeof eta, "%dm%02ds", (int)(rem / 60), (int)rem % 60);
    }
    fprintf(stderr, "\r\033[K[%s] %d/%d points, %d failed, %.0fs, ETA %s%s%s", bar, done, total, failed,
            elapsed_s, eta, shown ? " | running:" : "", running);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

static volatile sig_atomic_t g_stop_signal;

static void on_stop(int sig)
{
    g_stop_signal = sig;
}

sr_status sr_runner_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    double t0 = now_s();
    sr_results *db = NULL;
    int64_t exp_id = 0;
    int *todo = NULL, n_todo = 0;
    sr_status st = sr_runner_prepare(c, opts, &db, &exp_id, &todo, &n_todo, stats);
    if (st != SR_OK) return st;
    sr_pool *pool = NULL;
    st = sr_pool_create(c, opts->jobs > 0 ? opts->jobs : 1, &pool);
    if (st != SR_OK) {
        sr_results_close(db);
        free(todo);
        return st;
    }
    sr_pool_set_memory_limit(pool, opts->point_memory_bytes);

    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns at once */
    sigemptyset(&sa.sa_mask);
    g_stop_signal = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    int next = 0, finished = 0, stopping = 0, db_failed = 0;
    double last_draw = 0;
    if (opts->progress) draw_progress(pool, 0, n_todo, 0, 0.0, n_todo == 0);
    while (finished < n_todo) {
        while (!g_stop_signal && !db_failed && next < n_todo && sr_pool_idle_slots(pool) > 0) {
            if (sr_pool_start(pool, todo[next]) != SR_OK) {
                fprintf(stderr, "simrun: cannot start a worker process: %s\n", strerror(errno));
                break;
            }
            next++;
        }
        if ((g_stop_signal || db_failed) && !stopping) {
            stopping = 1;
            sr_pool_stop(pool);
            /* a second Ctrl-C ends simrun at once */
            sigaction(SIGINT, &old_int, NULL);
            sigaction(SIGTERM, &old_term, NULL);
            if (g_stop_signal && opts->progress) fputc('\n', stderr);
            if (g_stop_signal)
                fprintf(stderr, "simrun: %s: stopping; the %d points in flight are not recorded\n",
                        strsignal(g_stop_signal), sr_pool_running(pool));
            else
                fprintf(stderr,
                        "simrun: stopping the sweep at the first write that failed (disk full? see above): no "
                        "new point starts, the %d points in flight are not recorded; the %d points already in "
                        "%s are complete. Make room, then `--resume` runs the rest\n",
                        sr_pool_running(pool), stats->ok + stats->failed - 1, opts->db_path);
        }
        if (sr_pool_running(pool) == 0) break; /* stopped, or no worker could start */
        sr_pool_result r;
        if (sr_pool_wait(pool, opts->progress ? 200 : 1000, &r)) {
            finished++;
            /* a worker that died while the run was being stopped is not recorded either: --resume reruns it
             */
            /* after a failed write nothing more is written: the points in flight are not recorded either */
            if (r.outcome == SR_POOL_STOPPED || (r.outcome == SR_POOL_CRASHED && g_stop_signal) || db_failed) {
                stats->not_run++;
            } else {
                if (r.outcome == SR_POOL_CRASHED) r.wire.ok = 0;
                if (sr_runner_write(db, c, exp_id, &r.wire, &r.out, stats) != SR_OK) db_failed = 1;
            }
            sr_pool_result_clear(&r);
        }
        double t = now_s();
        if (opts->progress && t - last_draw >= 0.2) {
            draw_progress(pool, stats->ok + stats->failed, n_todo, stats->failed, t - t0, 0);
            last_draw = t;
        }
    }
    if (opts->progress && !stopping)
        draw_progress(NULL, stats->ok + stats->failed, n_todo, stats->failed, now_s() - t0, 1);
    if (!stopping) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
    }
    stats->stop_signal = g_stop_signal;
    if (stopping)
        stats->not_run += n_todo - finished;
    else if (finished < n_todo)
        stats->failed += n_todo - finished; /* workers could not be started */
    sr_pool_free(pool);
    sr_results_close(db);
    free(todo);
    stats->wall_s = now_s() - t0;
    if (db_failed) return SR_ERR_DB;
    return stats->failed || stats->stop_signal ? SR_ERR_CHILD : SR_OK;
}
