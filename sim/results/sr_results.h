/* sr_results.h: the SQLite results database (schema in docs/db-schema.md).
 *
 * WAL mode, a busy timeout so that several worker processes can write one database, and one
 * transaction per run point: a run's rows appear all together or not at all. */
#ifndef SR_RESULTS_H
#define SR_RESULTS_H

#include <stdint.h>

#include "sr_run_output.h"
#include "sr_status.h"

typedef struct sr_results sr_results;

/* Opens (creating the schema when the file is new) the database at path. A database of an older schema
 * version is upgraded in place, in one transaction (all of it or nothing). A file that is not a simrun
 * database, or has a newer schema version, gives SR_ERR_DB with a message in err and is left untouched.
 * Caller closes. */
sr_status sr_results_open(const char *path, sr_results **out, char *err, size_t err_size);
void sr_results_close(sr_results *r); /* NULL is a no-op */

/* Returns the id of the experiment with this hash, inserting it (name, YAML text, hash, simrun version,
 * creation time) if it is not there yet. */
sr_status sr_results_experiment(sr_results *r, const char *name, const char *yaml_text, const char *hash,
                                int64_t *exp_id);

/* When no experiment has this hash yet but another of this name does (its content changed): *found = 1 and
 * other_hash gets the most recent such hash. */
sr_status sr_results_experiment_renamed(sr_results *r, const char *name, const char *hash, char other_hash[17],
                                        int *found);

/* *done = 1 when the point (by hash) of the experiment already has a run with status "ok". */
sr_status sr_results_point_done(sr_results *r, int64_t exp_id, const char *point_hash, int *done);

typedef struct sr_run_info {
    int64_t exp_id;
    int point_index;
    const char *point_hash;
    const char *params_json;
    const char *params_si_json; /* the swept values as numbers in SI units (NULL: stored as NULL) */
    const char *policy;
    int replication;
    uint64_t seed;
    const char *status;      /* "ok" or "failed" */
    double wall_s;
    const char *error;       /* NULL when ok */
    const char *net_model;   /* network model used, recorded with the results */
    int replace;             /* 1: an earlier ok run of the same point is replaced (a deliberate re-run);
                                0: it is an error (SR_ERR_DB) */
} sr_run_info;

/* Writes the run row and (when out is not NULL) its metrics, frames, frame tasks (out->tasks; the engine
 * fills them only when the experiment's metrics.frames is true), links and hosts in one transaction; replaces
 * an earlier failed run of the same point (and an ok one when info->replace). *run_id gets the new row id. */
sr_status sr_results_write_run(sr_results *r, const sr_run_info *info, const sr_run_output *out,
                               int64_t *run_id);

/* Additions (results helper). */

/* Schema version written to meta.schema_version (2: table frame_tasks). Older files are upgraded on open;
 * newer ones are refused. */
#define SR_RESULTS_SCHEMA_VERSION 3

/* Message of the last failed call on r (borrowed; "" after a success of sr_results_write_run). */
const char *sr_results_errmsg(const sr_results *r);

/* Looks at the file at path without writing a byte (read-only): it must exist and be a simrun results
 * database of schema version 1..SR_RESULTS_SCHEMA_VERSION, whole (SQLite's quick_check) and with numbers where
 * simrun writes numbers (sr_results_check_values). *version gets its schema version. SR_ERR_DB with a message
 * naming the file otherwise (missing, not SQLite, someone else's database, newer or impossible schema,
 * damaged). What simrun merge, check and compare read. O(size of the file). */
sr_status sr_results_probe(const char *path, int *version, char *err, size_t err_size);

/* 1 when a metric measures real (wall-clock) time rather than simulated behaviour: its name ends in
 * "wall_s" (exact_kernel_wall_s). Such metrics, runs.wall_s and the *_utc columns differ from run to run and
 * are left out when runs are compared (simrun merge, simrun check). */
int sr_results_metric_is_wallclock(const char *name);
/* The same test as an SQL condition on a column called `name` (for queries over metrics). */
#define SR_RESULTS_NOT_WALLCLOCK_SQL "name NOT LIKE '%wall\\_s' ESCAPE '\\'"

#endif
