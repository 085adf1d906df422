/* sr_check.h: compares the results of an experiment with a golden database (regression benchmarks).
 *
 * Points are matched by their parameters (runs.params: the swept values, the policy label and the
 * replication), not by run id or experiment hash, so a golden file keeps working when comments or the
 * experiment's formatting change. The experiment is looked up in each database by hash first, then by name
 * (the most recent one of that name).
 *
 * Exact mode (rtol < 0) compares every metric bit for bit and every row of frames, frame_tasks, links and
 * hosts; tolerance mode compares the metrics only, |a - b| <= rtol * max(|a|, |b|). Both compare the run's
 * status, seed, network model and error, and leave wall-clock values aside (runs.wall_s, *_utc, metrics
 * named *wall_s). */
#ifndef SR_CHECK_H
#define SR_CHECK_H

#include <stdio.h>

#include "sr_status.h"

typedef struct sr_check_opts {
    const char *name, *hash;   /* the experiment (borrowed) */
    const char *const *points; /* params JSON of each point of the experiment, in sweep order */
    int n_points;
    double rtol;                /* < 0: exact mode */
    const char *const *metrics; /* compare only these metrics, and no child rows (NULL: all) */
    int n_metrics;
} sr_check_opts;

typedef struct sr_check_stats {
    int points;         /* points of the experiment */
    int held;           /* equal under the options */
    int moved;          /* present in both, some value differs */
    int not_in_golden;  /* points the golden database does not have */
    int not_in_results; /* points the results database does not have */
    int only_in_golden; /* golden points that are no longer in the experiment */
    int values_moved;   /* differing values (a child row counts once) */
} sr_check_stats;

/* Compares the runs of the experiment in results with those in golden (both read-only) and prints a table
 * of what moved to table (NULL: nothing printed). Returns SR_OK when the comparison ran (*stats says whether
 * everything held); SR_ERR_DB when a file is not a readable simrun database or a query fails;
 * SR_ERR_NOT_FOUND when a database holds no experiment of that hash or name. err gets the message. */
sr_status sr_results_check(const char *golden, const char *results, const sr_check_opts *o, FILE *table,
                           sr_check_stats *stats, char *err, size_t err_size);

/* 1 when nothing moved, nothing is missing and nothing is left over. */
int sr_check_stats_hold(const sr_check_stats *s);

#endif
