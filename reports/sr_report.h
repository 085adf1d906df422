/* sr_report.h: figures and an index page from a results database, drawn by gnuplot.
 *
 * Reads the database only (never the experiment YAML). For each experiment in the database:
 * a latency CDF per policy, each summary metric against each swept parameter (one line per policy),
 * and an index.html linking every figure with the experiment's summary table. */
#ifndef SR_REPORT_H
#define SR_REPORT_H

#include <stdio.h>

#include "sr_status.h"

/* Writes figures (SVG) and index.html into out_dir (created if needed). Progress lines go to log
 * (may be NULL). Returns SR_ERR_DB for a missing/foreign database, SR_ERR_IO when gnuplot fails. */
sr_status sr_report_generate(const char *db_path, const char *out_dir, FILE *log);

#endif
