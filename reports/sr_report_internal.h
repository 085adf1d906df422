/* sr_report_internal.h: pieces shared by the report's files (not a public interface).
 *
 *   sr_report.c        entry point: opens the database, loads each experiment's ok runs, drives the rest
 *   sr_report_util.c   small containers, output files, running gnuplot, quoting, units and human numbers
 *   sr_report_fig.c    the figures: metric vs swept parameter (panels, styles, error bars), latency CDFs
 *   sr_report_html.c   index.html: summary table, failed runs, figures
 *   (sr_report_util.c also opens a results database read-only for trace and export) */
#ifndef SR_REPORT_INTERNAL_H
#define SR_REPORT_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr_config.h"
#include "sr_report.h"
#include "sr_status.h"

/* ---- containers ---- */

typedef struct sr_rep_strlist {
    char **s;
    size_t n, cap;
} sr_rep_strlist;

void sr_rep_strlist_free(sr_rep_strlist *l);
long sr_rep_strlist_find(const sr_rep_strlist *l, const char *s);
long sr_rep_strlist_push(sr_rep_strlist *l, const char *s);   /* index of the copy, -1 out of memory */
long sr_rep_strlist_intern(sr_rep_strlist *l, const char *s); /* existing index or push */

typedef struct sr_rep_sbuf {
    char *s;
    size_t n, cap;
    int oom;
} sr_rep_sbuf;

void sr_rep_sbuf_printf(sr_rep_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sr_rep_sbuf_str(const sr_rep_sbuf *b);

void sr_rep_log(FILE *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- metrics ---- */

/* How a metric is displayed: the unit of its axis and of its table cells. */
typedef enum {
    SR_REP_Q_LATENCY,  /* seconds, shown in ms on every figure */
    SR_REP_Q_FPS,      /* frames per second */
    SR_REP_Q_FRACTION, /* 0..1, shown in % */
    SR_REP_Q_ENERGY,   /* joules, SI prefix chosen per figure */
    SR_REP_Q_BYTES,    /* bytes, decimal prefix chosen per figure */
    SR_REP_Q_PLAIN,    /* dimensionless */
    SR_REP_Q_DB,       /* decibels */
} sr_rep_qty;

typedef struct sr_rep_metric {
    const char *name;  /* metrics.name */
    const char *label; /* for people: "95th-percentile latency" */
    sr_rep_qty qty;
} sr_rep_metric;

#define SR_REP_N_METRICS 12
extern const sr_rep_metric sr_rep_metrics[SR_REP_N_METRICS];

/* The display multiplier and unit of a quantity whose largest magnitude is max_abs: latency -> 1e3 "ms",
 * bytes 4.7e6 -> 1e-6 "MB". value_shown = value * mult. unit is "" for dimensionless. */
void sr_rep_display_unit(sr_rep_qty q, double max_abs, double *mult, char *unit, size_t unit_size);
/* "35 ms", "4.7 MB", "12 %" (3 significant digits); "–" for NaN. */
void sr_rep_human(char *buf, size_t size, double v, sr_rep_qty q);
/* SI prefix for a base unit ("bit/s", "B", "s", "Hz"...): largest prefix p <= max_abs (none below 1 when
 * allow_small is 0). mult = 1/p. */
void sr_rep_si_prefix(double max_abs, const char *base, int allow_small, double *mult, char *unit,
                      size_t size);
/* Three significant digits without an exponent for |v| < 1e6 ("5.85", "18.9", "1100"). */
void sr_rep_num(char *buf, size_t size, double v);

/* ---- an experiment's data ---- */

/* One swept parameter (a key of runs.params other than policy and replication). */
typedef struct sr_rep_axis {
    char *key;           /* as in the JSON: "platform.links.uplink.bandwidth" */
    char *human;         /* "uplink bandwidth" */
    sr_rep_strlist vals; /* distinct values as written, in sweep order */
    size_t *order;       /* vals indexes in display order (by value when numeric) */
    double *si;          /* numeric: each value in SI base units */
    int numeric, varies; /* every value a quantity of one kind; more than one distinct value */
    sr_unit_kind kind;
    double mult;   /* displayed = si * mult */
    char unit[24]; /* "Mbit/s", "ms", "" */
} sr_rep_axis;

typedef struct sr_rep_run {
    int64_t id;
    char *policy;
    int replication;
    int *vi;                    /* per axis: index into axis.vals (-1 when the run lacks the key) */
    double m[SR_REP_N_METRICS]; /* NaN when absent */
} sr_rep_run;

typedef struct sr_rep_exp {
    int64_t id;
    char *name, *hash, *yaml, *base; /* base: file-name prefix */
    sr_rep_run *runs;
    size_t n_runs;
    sr_rep_axis *axes; /* sorted by key */
    size_t n_axes;
    sr_rep_strlist policies;          /* in order of first appearance */
    int max_reps;                     /* most replications of one (policy, point) */
    sr_rep_strlist figures, captions; /* stems of the figures drawn, and their captions */
    sr_rep_strlist scripts;           /* .gp files to run */
} sr_rep_exp;

/* The displayed text of axis a's value i: "5.85 Mbit/s" for numeric axes, as written otherwise. */
void sr_rep_axis_value_text(const sr_rep_axis *a, size_t i, char *buf, size_t size);

/* ---- output files and gnuplot ---- */

/* Every output file is written under a temporary name (name + SR_REP_PART) and renamed when complete, so a
 * report that is killed leaves the previous files whole (never a 0-byte index.html). sr_rep_open_out opens
 * dir/name.part; sr_rep_close_out closes it and renames it to dir/name (on a write error it removes the
 * .part and leaves dir/name as it was). A FILE closed with plain fclose leaves only the .part behind. */
#define SR_REP_PART ".part"
FILE *sr_rep_open_out(const char *dir, const char *name, const char *who, FILE *log);
/* Removes every dir/X.part (regular files only) that a killed report or export left behind; a report or export
 * starts with it, so a folder never collects them. Two reports writing one folder at once are not supported
 * (they would also overwrite each other's files). Returns the number removed. */
int sr_rep_remove_stale_parts(const char *dir, FILE *log);
sr_status sr_rep_close_out(FILE *f, const char *dir, const char *name, FILE *log);
/* Runs `SR_PART=.part gnuplot s1 s2 ...` in dir: the scripts draw X.svg.part (and .pdf, .png), renamed
 * to X.svg etc. once gnuplot exits 0. SR_ERR_IO (with gnuplot's output in the log) unless it exits 0. A
 * user running `gnuplot X.gp` by hand gets X.svg directly. */
sr_status sr_rep_run_gnuplot(const char *dir, const sr_rep_strlist *scripts, const char *pdf_date, FILE *log);
/* The date a report's PDFs carry, so that one database always gives the same bytes (cairo stamps the time of
 * drawing): SOURCE_DATE_EPOCH when set (seconds since 1970, the reproducible-builds convention), else the
 * time the experiment's newest run was written (runs.finished_utc), as 14 digits YYYYMMDDHHMMSS (UTC) in
 * date[15]; "" when neither is known (the PDFs keep cairo's date; an invalid SOURCE_DATE_EPOCH is said in
 * log). */
void sr_rep_pdf_date(sqlite3 *db, int64_t experiment_id, char date[15], FILE *log);
/* Writes date (14 digits) over the time of a PDF's "/CreationDate (D:YYYYMMDDHHMMSS" in place (same length:
 * the cross-reference offsets stay right). SR_OK also when the file has no such entry. */
sr_status sr_rep_pdf_stamp(const char *path, const char *date, FILE *log);
void sr_rep_gp_quote(FILE *f, const char *s); /* a double-quoted gnuplot string */
void sr_rep_dat_text(FILE *f, const char *s); /* free text in a .dat comment or quoted column */
char *sr_rep_sanitize(const char *s);         /* [A-Za-z0-9._-] kept, others '_'; caller frees */
void sr_rep_html_esc(FILE *f, const char *s);

/* Two-sided 95 % Student t quantile t(0.975, df), df >= 1. */
double sr_rep_t975(int df);

/* ---- figures and page ---- */

/* Metric m against axis x (panels by axis `by`, -1 for none). Appends the figure to e when drawn. */
sr_status sr_rep_figure_metric(sr_rep_exp *e, size_t x, long by, size_t m, const sr_report_opts *o,
                               const char *out_dir, FILE *log);
sr_status sr_rep_figure_cdf(sqlite3 *db, sr_rep_exp *e, const char *out_dir, FILE *log);
sr_status sr_rep_html_experiment(sqlite3 *db, FILE *h, const sr_rep_exp *e);
void sr_rep_html_head(FILE *h, const char *db_path);
void sr_rep_html_tail(FILE *h);

/* ---- reading a results database ---- */

/* Opens path read-only after checking it is a simrun results database (schema 1..current). who prefixes
 * messages ("report", "trace"). SR_ERR_DB with a message in log otherwise. */
sr_status sr_rep_open_db(const char *who, const char *path, sqlite3 **out, FILE *log);

#endif
