/* sr_cut_summary.h: the "cuts chosen" part of `simrun run`'s summary: every source's cut of a cut-choosing
 * policy (best_split, dynamic_split: metrics <policy>[.<source>].cut_*, policies/sr_cut_policy.h), with the
 * layer names of the run point's model instead of node ids.
 *
 * The metrics hold numbers only; the names come from the run point's own experiment (sr_config_experiment,
 * so a sweep over models or resolutions names the right graph) and its model, loaded without weights.
 * Graphs are kept per (model source, input shape) for the whole summary. */
#ifndef SR_CUT_SUMMARY_H
#define SR_CUT_SUMMARY_H

#include <stdio.h>

#include "sr_config.h"
#include "sr_results_read.h"

#define SR_CUT_SUMMARY_MAX_SOURCES 16

/* One source's cut, as recorded. */
typedef struct sr_cut_row {
    char source[64];     /* the source's name ("" when the metrics name none: the policy's only source) */
    double last_node;    /* cut_layer: the last node id on the device */
    double device_nodes; /* cut_device_nodes */
    double tensors, bytes, pred_s;
} sr_cut_row;

/* Collects the cuts recorded in run's metrics (one per source, at most SR_CUT_SUMMARY_MAX_SOURCES) into rows;
 * returns how many. */
int sr_cut_rows_read(const sr_read_run *run, sr_cut_row *rows);

typedef struct sr_cut_names sr_cut_names;

/* c: borrowed, must outlive the handle. NULL when out of memory. */
sr_cut_names *sr_cut_names_create(const sr_config *c);
void sr_cut_names_free(sr_cut_names *cn); /* NULL is a no-op */

/* Prints one line for row (a cut of run point point_index) to f: the source, where the cut lies (after which
 * layer, by name and id; cloud-only when only the input is on the device; device-only when every node is),
 * nodes on the device, tensors and bytes sent, predicted latency. The names fall back to node ids when the
 * model cannot be loaded. */
void sr_cut_names_print(sr_cut_names *cn, FILE *f, int point_index, const sr_cut_row *row);

#endif
