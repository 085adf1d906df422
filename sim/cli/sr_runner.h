/* sr_runner.h: runs the points of an experiment, each in its own worker process.
 *
 * SimGrid can be initialised once per process, so every run point is simulated in a forked child.
 * Up to `jobs` children run at once; each writes its run (results, or the failure) to the database
 * in one transaction. A child that dies without writing is recorded as failed by the parent.
 * On a terminal, a progress bar with an ETA is drawn on stderr. */
#ifndef SR_RUNNER_H
#define SR_RUNNER_H

#include "sr_config.h"

typedef struct sr_runner_opts {
    int jobs;            /* concurrent worker processes (>= 1) */
    int resume;          /* skip points that already have an ok run */
    int progress;        /* draw the progress bar (stderr is a terminal) */
    const char *db_path; /* database to write */
    int shard_index;     /* run only the points of shard shard_index (0-based) of shard_count; */
    int shard_count;     /* shard_count 0 or 1: every point */
} sr_runner_opts;

typedef struct sr_runner_stats {
    int total, skipped, ok, failed;
    double wall_s;
} sr_runner_stats;

/* 1 when the point with this hash (16 hex digits) belongs to shard i of n (0 <= i < n): its hash, read as a
 * 64-bit number, modulo n. A point's hash depends only on its own parameters, policy and replication, so a
 * point stays in its shard when the sweep grows. */
int sr_runner_point_in_shard(const char *point_hash, int i, int n);

/* Runs every point of c (of its shard, when opts->shard_count > 1). Returns SR_OK when every run point succeeded (or was skipped), SR_ERR_CHILD when
 * at least one failed (the others are still written), SR_ERR_DB when the database cannot be opened. */
sr_status sr_runner_run(const sr_config *c, const sr_runner_opts *opts, sr_runner_stats *stats);

#endif
