/* sr_runner.h: runs the points of an experiment in worker processes and writes them to the database.
 *
 * SimGrid can be initialised once per process, so every run point is simulated in a forked child
 * (sr_pool.h). Up to `jobs` children run at once; each sends its finished point back through a pipe and the
 * runner, the only writer, stores it in one transaction (results, or the failure). A child that dies
 * without sending its point is recorded as failed.
 *
 * SIGINT and SIGTERM stop the run cleanly: no new point starts, the workers in flight are stopped and their
 * points are not recorded (a later --resume runs them), the points already written stay complete. A second
 * signal ends the process at once (the database is still consistent: one transaction per point).
 * On a terminal, a progress line with an ETA and the simulated time of every running point is drawn on
 * stderr and moves while points run. */
#ifndef SR_RUNNER_H
#define SR_RUNNER_H

#include "sr_config.h"
#include "sr_results.h"
#include "sr_run_wire.h"

typedef struct sr_runner_opts {
    int jobs;            /* concurrent worker processes (>= 1) */
    int resume;          /* skip points that already have an ok run; without it a finished point is re-run
                            and its run replaced (docs/db-schema.md) */
    int progress;        /* draw the progress line (stderr is a terminal) */
    const char *db_path; /* database to write */
    int shard_index;     /* run only the points of shard shard_index (0-based) of shard_count; */
    int shard_count;     /* shard_count 0 or 1: every point */
    uint64_t point_memory_bytes; /* address-space limit of each worker (RLIMIT_AS); 0: none of its own */
} sr_runner_opts;

typedef struct sr_runner_stats {
    int total, skipped, ok, failed;
    int not_run;     /* points not recorded because the run was stopped (in flight or not started) */
    int stop_signal; /* the signal that stopped the run (SIGINT, SIGTERM), 0 when it ran to the end */
    double wall_s;
} sr_runner_stats;

/* 1 when the point with this hash (16 hex digits) belongs to shard i of n (0 <= i < n): its hash, read as a
 * 64-bit number, modulo n. A point's hash depends only on its own parameters, policy and replication, so a
 * point stays in its shard when the sweep grows. */
int sr_runner_point_in_shard(const char *point_hash, int i, int n);

/* Runs every point of c (of its shard, when opts->shard_count > 1). Returns SR_OK when every run point
 * succeeded (or was skipped), SR_ERR_CHILD when at least one failed (the others are still written) or the run
 * was stopped by a signal (stats->stop_signal), SR_ERR_DB when the database cannot be opened or written. */
sr_status sr_runner_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats);

/* The parts of the runner that the MPI runner (sr_runner_mpi.c) shares. */

/* Opens the database, records the experiment (saying on stderr when an experiment of the same name but
 * another hash is there: its points are not reused), and lists the points to run: those of the shard, less
 * the finished ones under --resume. *todo (caller frees) gets n_todo point indices in sweep order. */
sr_status sr_runner_prepare(const sr_config *c, const sr_runner_opts *opts, sr_results **db, int64_t *exp_id,
                            int **todo, int *n_todo, sr_runner_stats *stats);

/* Writes one finished point (wire: its status; out: its output when wire->ok) as a run of exp_id, replacing
 * an earlier run of the point. Counts it in stats (ok or failed). */
sr_status sr_runner_write(sr_results *db, const sr_config *c, int64_t exp_id, const sr_run_wire *wire,
                          const sr_run_output *out, sr_runner_stats *stats);

#endif
