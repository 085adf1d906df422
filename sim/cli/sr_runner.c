/* sr_runner.c: the local process pool that simulates run points (see sr_runner.h). */
#include "sr_runner.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sr_engine.h"
#include "sr_results.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static sr_run_info run_info(const sr_config *c, const sr_point *pt, int64_t exp_id, const char *net_model)
{
    (void)c;
    sr_run_info info = {0};
    info.exp_id = exp_id;
    info.point_index = pt->index;
    info.point_hash = pt->hash;
    info.params_json = pt->params_json;
    info.policy = pt->policy;
    info.replication = pt->replication;
    info.seed = pt->seed;
    info.net_model = net_model;
    info.replace = 1; /* with --resume finished points are never re-run; without it a re-run replaces them */
    return info;
}

/* Body of a worker process: simulate point i and write it. Returns the exit code. */
static int worker(const sr_config *c, int i, int64_t exp_id, const char *db_path)
{
    const sr_point *pt = sr_config_point(c, i);
    char err[1024] = "";
    double t0 = now_s();
    sr_experiment *e = NULL;
    sr_run_output out;
    sr_run_output_init(&out);
    sr_status st = sr_config_experiment(c, i, &e);
    const char *net = e ? sr_net_model_name(e->net_model) : "";
    if (st == SR_OK) st = sr_engine_run(e, pt->seed, &out, err, sizeof err);
    if (st == SR_OK) {
        /* The summary metrics are computed; keep only the rows the experiment asked for. */
        if (!e->metrics.frames) out.n_frames = 0, out.n_tasks = 0;
        if (!e->metrics.links) out.n_links = 0;
        if (!e->metrics.hosts) out.n_hosts = 0;
    }
    if (st != SR_OK && err[0] == '\0') snprintf(err, sizeof err, "%s", sr_status_message(st));

    sr_results *db = NULL;
    char dberr[512] = "";
    int code = 0;
    if (sr_results_open(db_path, &db, dberr, sizeof dberr) != SR_OK) {
        fprintf(stderr, "simrun: worker for point %d: %s\n", i, dberr);
        code = 3;
    } else {
        sr_run_info info = run_info(c, pt, exp_id, net);
        info.status = st == SR_OK ? "ok" : "failed";
        info.error = st == SR_OK ? NULL : err;
        info.wall_s = now_s() - t0;
        int64_t run_id = 0;
        sr_status wst = sr_results_write_run(db, &info, st == SR_OK ? &out : NULL, &run_id);
        if (wst != SR_OK) {
            fprintf(stderr, "simrun: point %d: cannot write results: %s\n", i, sr_results_errmsg(db));
            code = 3;
        } else if (st != SR_OK) {
            fprintf(stderr, "simrun: point %d (%s) failed: %s\n", i, pt->params_json, err);
            code = 1;
        }
    }
    sr_results_close(db);
    sr_run_output_clear(&out);
    sr_experiment_free(e);
    return code;
}

/* Records a worker that died before writing its run. */
static void record_crash(const sr_config *c, int i, int64_t exp_id, const char *db_path, int wstatus,
                         double wall_s)
{
    const sr_point *pt = sr_config_point(c, i);
    sr_results *db = NULL;
    char dberr[512];
    if (sr_results_open(db_path, &db, dberr, sizeof dberr) != SR_OK) return;
    int done = 0;
    sr_results_point_done(db, exp_id, pt->hash, &done);
    if (!done) {
        char msg[128];
        if (WIFSIGNALED(wstatus))
            snprintf(msg, sizeof msg, "worker process killed by signal %d (%s)", WTERMSIG(wstatus),
                     strsignal(WTERMSIG(wstatus)));
        else
            snprintf(msg, sizeof msg, "worker process exited with code %d", WEXITSTATUS(wstatus));
        sr_experiment *e = NULL;
        const char *net = "";
        if (sr_config_experiment(c, i, &e) == SR_OK) net = sr_net_model_name(e->net_model);
        sr_run_info info = run_info(c, pt, exp_id, net);
        info.status = "failed";
        info.error = msg;
        info.wall_s = wall_s;
        int64_t run_id;
        sr_results_write_run(db, &info, NULL, &run_id);
        sr_experiment_free(e);
    }
    sr_results_close(db);
}

static void draw_progress(int done, int total, int failed, double elapsed_s)
{
    const int width = 30;
    int fill = total > 0 ? done * width / total : width;
    char bar[64];
    for (int k = 0; k < width; k++) bar[k] = k < fill ? '#' : '.';
    bar[width] = '\0';
    char eta[32] = "--";
    if (done > 0 && done < total) {
        double rem = elapsed_s / done * (total - done);
        snprintf(eta, sizeof eta, "%dm%02ds", (int)(rem / 60), (int)rem % 60);
    } else if (done == total) {
        snprintf(eta, sizeof eta, "done");
    }
    fprintf(stderr, "\r[%s] %d/%d points, %d failed, %.0fs elapsed, ETA %s ", bar, done, total, failed,
            elapsed_s, eta);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

int sr_runner_point_in_shard(const char *point_hash, int i, int n)
{
    if (n <= 1) return 1;
    uint64_t h = strtoull(point_hash, NULL, 16);
    return (int)(h % (uint64_t)n) == i;
}

sr_status sr_runner_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    double t0 = now_s();
    int n = sr_config_point_count(c);

    sr_results *db = NULL;
    char err[512] = "";
    if (sr_results_open(opts->db_path, &db, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun: %s\n", err);
        return SR_ERR_DB;
    }
    int64_t exp_id = 0;
    sr_status st = sr_results_experiment(db, sr_config_name(c), sr_config_text(c), sr_config_hash(c), &exp_id);
    if (st != SR_OK) {
        fprintf(stderr, "simrun: %s: cannot record the experiment: %s\n", opts->db_path, sr_status_message(st));
        sr_results_close(db);
        return SR_ERR_DB;
    }
    int *todo = calloc((size_t)(n > 0 ? n : 1), sizeof *todo);
    if (!todo) {
        sr_results_close(db);
        return SR_ERR_NOMEM;
    }
    int n_todo = 0;
    for (int i = 0; i < n; i++) {
        if (!sr_runner_point_in_shard(sr_config_point(c, i)->hash, opts->shard_index, opts->shard_count)) continue;
        stats->total++;
        int done = 0;
        if (opts->resume) sr_results_point_done(db, exp_id, sr_config_point(c, i)->hash, &done);
        if (done)
            stats->skipped++;
        else
            todo[n_todo++] = i;
    }
    sr_results_close(db); /* never carry an SQLite connection across fork() */

    int jobs = opts->jobs > 0 ? opts->jobs : 1;
    pid_t *pids = calloc((size_t)jobs, sizeof *pids);
    int *slot_point = calloc((size_t)jobs, sizeof *slot_point);
    double *slot_t0 = calloc((size_t)jobs, sizeof *slot_t0);
    if (!pids || !slot_point || !slot_t0) {
        free(todo), free(pids), free(slot_point), free(slot_t0);
        return SR_ERR_NOMEM;
    }
    int next = 0, running = 0, finished = 0;
    if (opts->progress) draw_progress(0, n_todo, 0, 0.0);
    while (finished < n_todo) {
        while (running < jobs && next < n_todo) {
            int slot = 0;
            while (pids[slot] != 0) slot++;
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "simrun: fork: %s\n", strerror(errno));
                break;
            }
            if (pid == 0) _exit(worker(c, todo[next], exp_id, opts->db_path));
            pids[slot] = pid;
            slot_point[slot] = todo[next];
            slot_t0[slot] = now_s();
            next++;
            running++;
        }
        if (running == 0) break; /* fork failed with nothing in flight */
        int wstatus = 0;
        pid_t pid = waitpid(-1, &wstatus, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        int slot = -1;
        for (int k = 0; k < jobs; k++)
            if (pids[k] == pid) slot = k;
        if (slot < 0) continue;
        pids[slot] = 0;
        running--;
        finished++;
        int ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
        if (ok) {
            stats->ok++;
        } else {
            stats->failed++;
            if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) == 3 || WEXITSTATUS(wstatus) > 3)
                record_crash(c, slot_point[slot], exp_id, opts->db_path, wstatus, now_s() - slot_t0[slot]);
        }
        if (opts->progress) draw_progress(finished, n_todo, stats->failed, now_s() - t0);
    }
    if (finished < n_todo) stats->failed += n_todo - finished;
    free(todo), free(pids), free(slot_point), free(slot_t0);
    stats->wall_s = now_s() - t0;
    return stats->failed ? SR_ERR_CHILD : SR_OK;
}
