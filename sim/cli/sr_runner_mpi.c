/* sr_runner_mpi.c: the sweep over MPI ranks (see sr_runner_mpi.h).
 *
 * Messages (MPI_COMM_WORLD):
 *   worker -> 0   TAG_READY   (no data)          one per free worker process at the start
 *   worker -> 0   TAG_RESULT  (sr_run_wire bytes) a finished point; also asks for the next one
 *   0 -> worker   TAG_POINT   (int)              the point to run
 *   0 -> worker   TAG_NONE    (no data)          the queue is empty: one per request, then the rank is done
 * Every request gets exactly one answer, so a rank with J workers is done after J TAG_NONE answers. */
#include "sr_runner_mpi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_pool.h"

int sr_mpi_launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMI_SIZE") || getenv("PMIX_RANK");
}

#ifndef SR_WITH_MPI

int sr_mpi_available(void)
{
    return 0;
}

sr_status sr_runner_mpi_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats, int *rank)
{
    (void)c, (void)opts;
    memset(stats, 0, sizeof *stats);
    *rank = 0;
    return SR_ERR_UNSUPPORTED;
}

#else

#include <mpi.h>

enum { TAG_READY = 1, TAG_RESULT, TAG_POINT, TAG_NONE };

int sr_mpi_available(void)
{
    return 1;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A rank other than 0: ask for points, run them in the pool, send them back. */
static sr_status worker_rank(const sr_config *c, int jobs)
{
    sr_pool *pool = NULL;
    sr_status st = sr_pool_create(c, jobs, &pool);
    if (st != SR_OK) return st;
    for (int k = 0; k < jobs; k++)
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_READY, MPI_COMM_WORLD);
    int nones = 0;
    while (nones < jobs || sr_pool_running(pool) > 0) {
        /* answers from rank 0 */
        int flag = 1;
        while (flag) {
            MPI_Status ms;
            MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
            if (!flag) break;
            int point = -1;
            if (ms.MPI_TAG == TAG_POINT) {
                MPI_Recv(&point, 1, MPI_INT, 0, TAG_POINT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (sr_pool_start(pool, point) != SR_OK) {
                    /* cannot fork: report the point as failed so that rank 0 is not left waiting */
                    sr_run_wire w = {.point_index = point};
                    snprintf(w.error, sizeof w.error, "cannot start a worker process on this rank");
                    uint8_t *buf = NULL;
                    size_t n = 0;
                    if (sr_run_wire_encode(&w, NULL, &buf, &n) != SR_OK) MPI_Abort(MPI_COMM_WORLD, 1);
                    MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
                    free(buf);
                }
            } else {
                MPI_Recv(NULL, 0, MPI_BYTE, 0, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                nones++;
            }
        }
        sr_pool_result r;
        if (sr_pool_wait(pool, 2, &r)) {
            uint8_t *buf = r.bytes;
            size_t n = r.n_bytes;
            uint8_t *own = NULL;
            if (r.outcome == SR_POOL_DONE && n > (size_t)INT32_MAX) {
                r.outcome = SR_POOL_CRASHED;
                snprintf(r.wire.error, sizeof r.wire.error,
                         "the point's results (%zu bytes) do not fit one MPI message; run it without MPI", n);
            }
            if (r.outcome != SR_POOL_DONE) { /* send the failure: rank 0 counts on one answer per point */
                r.wire.ok = 0;
                if (sr_run_wire_encode(&r.wire, NULL, &own, &n) != SR_OK) MPI_Abort(MPI_COMM_WORLD, 1);
                buf = own;
            }
            MPI_Send(buf, (int)n, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
            free(own);
            sr_pool_result_clear(&r);
        }
    }
    sr_pool_free(pool);
    return SR_OK;
}

/* Rank 0: the queue, the database, and a pool of its own. */
static sr_status root_rank(const sr_config *c, const sr_runner_opts *opts, int size, sr_runner_stats *stats)
{
    double t0 = mono_s();
    sr_results *db = NULL;
    int64_t exp_id = 0;
    int *todo = NULL, n_todo = 0;
    int jobs = opts->jobs > 0 ? opts->jobs : 1;
    sr_status st = sr_runner_prepare(c, opts, &db, &exp_id, &todo, &n_todo, stats);
    sr_pool *pool = NULL;
    if (st == SR_OK) st = sr_pool_create(c, jobs, &pool);
    int next = 0, finished = 0, nones = 0, db_failed = 0;
    const int nones_due = (size - 1) * jobs;
    uint8_t *buf = NULL;
    size_t cap = 0;
    int *per_rank = calloc((size_t)size, sizeof *per_rank);
    if (!per_rank) MPI_Abort(MPI_COMM_WORLD, 1);
    /* Even when preparing failed, every request is answered so that the other ranks end. */
    for (;;) {
        int more = st == SR_OK && !db_failed && next < n_todo;
        if (!more && finished >= next && nones >= nones_due) break;
        while (more && next < n_todo && sr_pool_idle_slots(pool) > 0 &&
               sr_pool_start(pool, todo[next]) == SR_OK)
            next++;
        int flag = 1;
        while (flag) {
            MPI_Status ms;
            MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &ms);
            if (!flag) break;
            int count = 0;
            MPI_Get_count(&ms, MPI_BYTE, &count);
            if ((size_t)count > cap) {
                uint8_t *b = realloc(buf, (size_t)count);
                if (!b) {
                    fprintf(stderr, "simrun: out of memory receiving a result\n");
                    MPI_Abort(MPI_COMM_WORLD, 1); /* cannot even drain the message: stop every rank */
                }
                buf = b, cap = (size_t)count;
            }
            MPI_Recv(buf, count, MPI_BYTE, ms.MPI_SOURCE, ms.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            if (ms.MPI_TAG == TAG_RESULT) {
                finished++;
                per_rank[ms.MPI_SOURCE]++;
                sr_run_wire w;
                sr_run_output out;
                sr_run_output_init(&out);
                if (sr_run_wire_decode(buf, (size_t)count, &w, &out) == SR_OK && w.point_index >= 0 &&
                    w.point_index < sr_config_point_count(c)) {
                    if (!db_failed && sr_runner_write(db, c, exp_id, &w, &out, stats) != SR_OK) db_failed = 1;
                } else {
                    fprintf(stderr, "simrun: rank %d sent an unreadable result\n", ms.MPI_SOURCE);
                    stats->failed++;
                }
                sr_run_output_clear(&out);
            }
            more = st == SR_OK && !db_failed && next < n_todo;
            if (more) {
                MPI_Send(&todo[next], 1, MPI_INT, ms.MPI_SOURCE, TAG_POINT, MPI_COMM_WORLD);
                next++;
            } else {
                MPI_Send(NULL, 0, MPI_BYTE, ms.MPI_SOURCE, TAG_NONE, MPI_COMM_WORLD);
                nones++;
            }
        }
        sr_pool_result r;
        if (pool && sr_pool_wait(pool, 2, &r)) {
            finished++;
            per_rank[0]++;
            if (r.outcome != SR_POOL_DONE) r.wire.ok = 0;
            if (!db_failed && sr_runner_write(db, c, exp_id, &r.wire, &r.out, stats) != SR_OK) db_failed = 1;
            sr_pool_result_clear(&r);
        } else if (!pool) {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (next < n_todo) stats->failed += n_todo - next; /* never started (the database failed) */
    fprintf(stderr, "simrun: MPI: %d ranks x %d jobs; points per rank:", size, jobs);
    for (int k = 0; k < size; k++)
        fprintf(stderr, " %d", per_rank[k]);
    fputc('\n', stderr);
    free(per_rank);
    free(buf);
    sr_pool_free(pool);
    sr_results_close(db);
    free(todo);
    stats->wall_s = mono_s() - t0;
    if (st != SR_OK) return st;
    if (db_failed) return SR_ERR_DB;
    return stats->failed ? SR_ERR_CHILD : SR_OK;
}

sr_status sr_runner_mpi_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats, int *rank)
{
    memset(stats, 0, sizeof *stats);
    int size = 1;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    sr_status st =
        *rank == 0 ? root_rank(c, opts, size, stats) : worker_rank(c, opts->jobs > 0 ? opts->jobs : 1);
    MPI_Finalize();
    return st;
}

#endif
