/* sr_merge.h: combines results databases (the shards of a sweep, the ranks of a cluster run) into one.
 *
 * The output gets one experiments row per experiment hash and at most one run per (experiment, point hash),
 * as any results database. When two inputs hold the same point:
 *   - both ok and equal (every column and child row, wall-clock values aside): the copy already merged stays;
 *   - both ok but different: a conflict, reported on `report` with the first values that differ; the rows
 *     already merged stay, nothing is overwritten;
 *   - one failed, one ok: the ok run is kept (a failed run is replaced, as when a point is re-run);
 *   - both failed: the first stays.
 * Every input is checked (sr_results_probe: exists, is a simrun database of a known schema version) before
 * anything is written; each input is then merged in one transaction, so the output never holds half of one.
 */
#ifndef SR_MERGE_H
#define SR_MERGE_H

#include <stdio.h>

#include "sr_status.h"

typedef struct sr_merge_stats {
    int experiments_added; /* experiments rows created in the output */
    int runs_added;        /* runs copied (including failed runs replaced by ok ones) */
    int duplicates;        /* runs already present and equal */
    int failed_replaced;   /* failed runs replaced by an ok copy from a later input */
    int conflicts;         /* same point, both ok, different results: reported, not merged */
} sr_merge_stats;

/* Merges the n_inputs databases at inputs (borrowed) into out_path (created when absent; an existing output
 * is merged into, and upgraded like sr_results_open does). only_hash: merge only the experiment with this
 * hash (NULL: all). Conflicts go to report (NULL: not printed) and are counted in *stats. Returns SR_OK when
 * every input was merged (conflicts included); SR_ERR_INVALID when the output is also an input; SR_ERR_DB
 * when an input is not a readable simrun database (nothing written) or a write fails (that input's
 * transaction rolled back). err gets the message. */
sr_status sr_results_merge(const char *out_path, const char *const *inputs, int n_inputs,
                           const char *only_hash, FILE *report, sr_merge_stats *stats, char *err,
                           size_t err_size);

#endif
