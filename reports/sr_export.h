/* sr_export.h: a results database as CSV files that pandas and R read in one line.
 *
 * Into a folder: experiments.csv, runs.csv, metrics.csv, frames.csv, frame_tasks.csv (schema 2), links.csv,
 * hosts.csv: every row and column of those tables (RFC 4180: a header line, fields with a comma, a quote or
 * a line break quoted, NULL as an empty field, REAL with 17 significant digits so values read back exactly);
 * and wide.csv: one row per run, with
 *   run_id, experiment, experiment_hash, point_index, policy, replication, seed, status,
 *   one column per swept parameter (keys of runs.params other than policy and replication): a number in SI
 *   base units when every value of that key is a quantity of one kind (the column is then named
 *   KEY_UNIT: platform.links.uplink.bandwidth_bps, ..._s, ..._bytes, ..._hz, ..._w, ..._j, ..._flops; a bare
 *   number keeps its key), the text as written otherwise;
 *   one column per metric name found in the database (metrics.value; empty where a run lacks it).
 * `pandas.read_csv("DIR/wide.csv")`, `read.csv("DIR/wide.csv")`. */
#ifndef SR_EXPORT_H
#define SR_EXPORT_H

#include <stdio.h>

#include "sr_status.h"

/* Writes the CSV files into dir (created if needed; files of the same names are replaced). Messages go to log
 * (may be NULL). SR_ERR_DB for a missing or foreign database, SR_ERR_IO when a file cannot be written. */
sr_status sr_export_csv(const char *db_path, const char *dir, FILE *log);

#endif
