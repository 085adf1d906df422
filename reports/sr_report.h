/* sr_report.h: figures and an index page from a results database, drawn by gnuplot.
 *
 * Reads the database only (never the experiment YAML). For each experiment in the database:
 * - each summary metric against each swept parameter that varies: one panel per value of a second swept
 *   parameter (the `by` axis, or by default the other varying parameter with the fewest values), one series
 *   per policy (and combination of the remaining parameters), each series with its own colour, marker and
 *   dash; the mean over replications with 95 % t-interval error bars (min-max on request); a log y axis
 *   when the means span more than two decades (or on request);
 * - the latency CDF of the completed frames, one panel per sweep point, one curve per policy;
 * - every figure as SVG (for the page), PDF (pdfcairo) and PNG (pngcairo), with its .gp script and .dat
 *   data beside it (`cd DIR && gnuplot FIG.gp` redraws all three);
 * - index.html: per experiment a sortable summary table in human units, the failed runs, every figure. */
#ifndef SR_REPORT_H
#define SR_REPORT_H

#include <stdio.h>

#include "sr_status.h"

typedef struct sr_report_opts {
    const char
        *by;    /* panel axis: a swept parameter (full key, or its last path component); NULL = automatic */
    int log_y;  /* 1: log y axis on every metric figure with positive values; 0: automatic (> 2 decades) */
    int minmax; /* 1: error bars from the min to the max over replications; 0: 95 % t-interval */
} sr_report_opts;

/* Writes the figures and index.html into out_dir (created if needed) with default options. Progress lines
 * go to log (may be NULL). Returns SR_ERR_DB for a missing/foreign database, SR_ERR_IO when gnuplot fails. */
sr_status sr_report_generate(const char *db_path, const char *out_dir, FILE *log);

/* Same with options (opts may be NULL: defaults). SR_ERR_INVALID when opts->by names no swept parameter of
 * any experiment in the database (message in the log). */
sr_status sr_report_generate_ex(const char *db_path, const char *out_dir, const sr_report_opts *opts,
                                FILE *log);

#endif
