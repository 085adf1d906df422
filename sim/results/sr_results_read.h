/* sr_results_read.h: the one reader of run results that the reports and `simrun run`'s summary table share.
 *
 * A results database (sr_results.h, docs/db-schema.md) is read back run by run: the run's row, its swept
 * parameters as written (the keys of runs.params except policy and replication) and its metrics. Everything a
 * callback sees is borrowed and valid during that call only. Read-only: nothing is written. */
#ifndef SR_RESULTS_READ_H
#define SR_RESULTS_READ_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct sr_read_param {
    const char *key;   /* sweep path as written ("platform.links.uplink.bandwidth") */
    const char *value; /* the value as written ("1.1Mbps") */
} sr_read_param;

typedef struct sr_read_metric {
    const char *name;
    double value; /* NaN when stored as NULL (undefined) */
    const char *unit;
} sr_read_metric;

typedef struct sr_read_run {
    int64_t id;
    int point_index;
    const char *point_hash;
    const char *policy;
    int replication;
    const char *status; /* "ok" or "failed" */
    int n_params;
    const sr_read_param *params;
    int n_metrics;
    const sr_read_metric *metrics;
} sr_read_run;

/* Called once per run; a non-zero return stops the reading (sr_results_read_runs then returns SR_OK). */
typedef int (*sr_read_fn)(void *user, const sr_read_run *run);

/* Calls fn for every run of experiment exp_id (only the ok ones when ok_only), in (point_index, id) order.
 * SR_ERR_DB with a message in err when the database cannot be read (or a run's params are not JSON);
 * SR_ERR_NOMEM. */
sr_status sr_results_read_runs(sqlite3 *db, int64_t exp_id, int ok_only, sr_read_fn fn, void *user, char *err,
                               size_t err_size);

/* Checks that every column simrun writes as a number holds one in the results database db (schema version
 * `version`, 1..SR_RESULTS_SCHEMA_VERSION; path names it in messages): a text or a blob there, from a database
 * written or edited by something else, would be read as 0 by every reader. One scan of each table. SR_ERR_DB
 * with "path: TABLE row of run N: COLUMN holds text ('abc') where simrun writes a number ..." (or the SQLite
 * error when a table or column simrun writes is missing). */
sr_status sr_results_check_values(sqlite3 *db, int version, const char *path, char *err, size_t err_size);

/* Id of the experiment whose hash is `hash`: SR_ERR_NOT_FOUND when there is none. */
sr_status sr_results_read_experiment(sqlite3 *db, const char *hash, int64_t *exp_id);

/* Value of metric `name` of a run, NaN when absent or NULL. */
double sr_read_run_metric(const sr_read_run *run, const char *name);

#endif
