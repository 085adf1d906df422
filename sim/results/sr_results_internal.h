/* sr_results_internal.h: pieces shared by the results module's whole-database tools (merge, check); not a
 * public interface.
 *
 *   sr_results_diff.c   read-only attachment of another database, and the comparison of two runs (every
 *                       column and every child row, wall-clock values aside) */
#ifndef SR_RESULTS_INTERNAL_H
#define SR_RESULTS_INTERNAL_H

#include <sqlite3.h>
#include <stdint.h>

#include "sr_status.h"

/* ATTACHes the file at path read-only under the schema name alias (letters only) to db, which must have
 * been opened with SQLITE_OPEN_URI. Must not be called inside a transaction. The caller probes the file first
 * (sr_results_probe), since SQLite would create a missing file. */
sr_status sr_results_attach_ro(sqlite3 *db, const char *path, const char *alias, char *err, size_t err_size);

/* One value that differs between two runs. what: "metric latency_p95_s", "frames[source=0
 * frame=3].latency_s", "runs.status", ...; a and b: the values as text ("(none)" for a missing row or metric,
 * "NULL" for NULL); rel: |a - b| / max(|a|, |b|) for two numbers, NAN otherwise. All strings are borrowed for
 * the call. */
typedef void (*sr_diff_fn)(void *ctx, const char *what, const char *a, const char *b, double rel);

typedef struct sr_diff_opts {
    double rtol;                /* < 0: exact (values bit for bit); >= 0: |a - b| <= rtol * max(|a|, |b|) */
    int rows;                   /* 1: also compare every row of frames, frame_tasks, links and hosts */
    int frame_tasks;            /* 1: both databases have frame_tasks (schema version >= 2) */
    const char *const *metrics; /* compare only these metrics (NULL: every metric but wall-clock ones) */
    int n_metrics;
    int max_detail; /* rows of a child table reported one by one before "N more rows" */
} sr_diff_opts;

/* Compares run a of schema sa with run b of schema sb on db (status, seed, network model and error of the
 * runs row; the metrics; the child rows when o->rows). Calls fn (when not NULL) for each difference and adds
 * their number to *n_diff. Returns SR_ERR_DB (message in err) when a query fails. */
sr_status sr_results_diff_runs(sqlite3 *db, const char *sa, int64_t a, const char *sb, int64_t b,
                               const sr_diff_opts *o, sr_diff_fn fn, void *ctx, int *n_diff, char *err,
                               size_t err_size);

#endif
