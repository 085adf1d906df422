/* sr_report_fig.c: the report's figures, written as .dat + .gp pairs that gnuplot draws into SVG, PDF and
 * PNG.
 *
 * Metric figures: a metric against one swept parameter (x), one panel per value of another (the panel axis),
 * one series per policy and combination of the remaining varying parameters. Every point is the mean over
 * the replications; with several replications the error bars are the 95 % Student t-interval
 * (mean +- t(0.975, n-1) s / sqrt(n)) or, on request, the min-max range. The .dat keeps both (columns
 * x mean ci_lo ci_hi min max n label) so a user can switch by editing the `using` clause.
 * Values are written in the unit shown on the axis: latency always in ms, bytes and energy with one SI prefix
 * per figure, fractions in %; a numeric x axis in the parameter's base unit with one prefix (Mbit/s, ms).
 *
 * Latency CDF figures: one panel per sweep point (combination of the varying parameters), one curve per
 * policy (replications pooled), SR_REP_CDF_PANELS panels per figure.
 *
 * Series i has colour i mod 8 (Okabe-Ito, colour-blind safe), marker i mod 10 and dash i mod 5, declared as
 * `set style line i+1` at the top of the script; the same series index keeps its style in every panel. */
#include "sr_report_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SR_REP_CDF_POINTS 1000 /* a curve over more frames is thinned to this many evenly spaced ranks */
#define SR_REP_CDF_PANELS 12   /* panels per CDF figure */

static const char *const k_colours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                        "#E69F00", "#56B4E9", "#000000", "#999999"};
static const int k_markers[] = {7, 5, 9, 11, 13, 6, 4, 8, 1, 2};
#define N_COLOURS (sizeof k_colours / sizeof k_colours[0])
#define N_MARKERS (sizeof k_markers / sizeof k_markers[0])
#define N_DASHES 5

typedef struct layout {
    int panels, cells, cols, rows; /* cells: panels + a legend cell when there are several panels */
    int w_px, h_px;
    double w_in, h_in;
} layout;

static layout make_layout(int panels)
{
    layout L = {.panels = panels};
    L.cells = panels > 1 ? panels + 1 : 1;
    L.cols = L.cells == 1 ? 1 : (L.cells == 2 || L.cells == 4) ? 2 : 3;
    L.rows = (L.cells + L.cols - 1) / L.cols;
    if (L.cells == 1) {
        L.w_px = 1000, L.h_px = 560, L.w_in = 6.0, L.h_in = 3.6;
    } else {
        L.w_px = 1300, L.h_px = 60 + 380 * L.rows, L.w_in = 7.5, L.h_in = 0.4 + 2.5 * L.rows;
    }
    return L;
}

/* Script header: styles, then a loop over the three formats whose body the caller writes. */
static void gp_begin(FILE *g, const char *stem, const layout *L, const char *title, size_t n_styles)
{
    fprintf(
        g,
        "# Written by `simrun report`. Edit this file and run `gnuplot %s.gp` in its folder to redraw the\n"
        "# figure as SVG, PDF and PNG from %s.dat (styles below, one per series).\n",
        stem, stem);
    fprintf(g, "reset session\nset encoding utf8\n");
    /* simrun report draws into X.svg.part and renames when gnuplot is done; by hand there is no suffix */
    fprintf(g, "sr_part = system(\"printf %%s \\\"$SR_PART\\\"\")\n");
    for (size_t i = 0; i < n_styles; i++)
        fprintf(g, "set style line %zu lc rgb '%s' pt %d dt %zu lw 2 ps 1.1\n", i + 1,
                k_colours[i % N_COLOURS], k_markers[i % N_MARKERS], i % N_DASHES + 1);
    fprintf(g, "do for [fmt in \"svg pdf png\"] {\n");
    fprintf(g,
            "  if (fmt eq \"svg\") { set terminal svg size %d,%d dynamic noenhanced font \"sans,13\""
            " background \"white\"; set output '%s.svg'.sr_part }\n",
            L->w_px, L->h_px, stem);
    fprintf(g,
            "  if (fmt eq \"pdf\") { set terminal pdfcairo size %.2fin,%.2fin noenhanced font \"sans,8\";"
            " set output '%s.pdf'.sr_part }\n",
            L->w_in, L->h_in, stem);
    fprintf(g,
            "  if (fmt eq \"png\") { set terminal pngcairo size %d,%d noenhanced font \"sans,11\""
            " background \"white\"; set output '%s.png'.sr_part }\n",
            L->w_px, L->h_px, stem);
    if (L->cells > 1) {
        fprintf(g, "  set multiplot layout %d,%d title ", L->rows, L->cols);
        sr_rep_gp_quote(g, title);
        fputc('\n', g);
    }
}

static void gp_end(FILE *g, const layout *L)
{
    if (L->cells > 1) fprintf(g, "  unset multiplot\n");
    fprintf(g, "  set output\n}\n");
}

/* The state every panel sets, so nothing leaks from the previous panel or format. */
static void gp_panel(FILE *g, const layout *L, const char *panel_title, const char *title)
{
    fprintf(g, "  set border; set tics; set grid; unset logscale; set autoscale; set xtics autofreq;"
               " set ytics autofreq; set format x '%%g'; set format y '%%g'\n");
    if (L->cells > 1) {
        fprintf(g, "  set key off\n  set title ");
        sr_rep_gp_quote(g, panel_title);
    } else {
        fprintf(g, "  set key outside below center horizontal\n  set title ");
        sr_rep_gp_quote(g, title);
    }
    fputc('\n', g);
}

/* The legend cell of a multi-panel figure: every series's style and title, no axes. Series s is drawn with
 * lines only when line_only is NULL and !with_points, or line_only[s]. */
static void gp_legend(FILE *g, const sr_rep_strlist *titles, const int *present, int with_points,
                      const int *line_only)
{
    fprintf(g, "  unset title; unset xlabel; unset ylabel; unset border; unset tics; unset grid;"
               " unset logscale\n  set key center center vertical noautotitle\n"
               "  set xrange [0:1]; set yrange [0:1]\n  plot ");
    int first = 1;
    for (size_t s = 0; s < titles->n; s++) {
        if (present && !present[s]) continue;
        fprintf(g, "%s2 with %s ls %zu title ", first ? "" : ", \\\n       ",
                with_points && !(line_only && line_only[s]) ? "linespoints" : "lines", s + 1);
        sr_rep_gp_quote(g, titles->s[s]);
        first = 0;
    }
    if (first) fprintf(g, "2 notitle");
    fputc('\n', g);
}

static sr_status push_figure(sr_rep_exp *e, const char *stem, const char *caption)
{
    char script[512];
    snprintf(script, sizeof script, "%s.gp", stem);
    if (sr_rep_strlist_push(&e->figures, stem) < 0 || sr_rep_strlist_push(&e->captions, caption) < 0 ||
        sr_rep_strlist_push(&e->scripts, script) < 0)
        return SR_ERR_NOMEM;
    return SR_OK;
}

/* ---- metric against a swept parameter ---- */

typedef struct acc {
    int n;
    double mean, m2, min, max; /* Welford */
} acc;

static void acc_add(acc *a, double v)
{
    a->n++;
    double d = v - a->mean;
    a->mean += d / a->n;
    a->m2 += d * (v - a->mean);
    if (a->n == 1 || v < a->min) a->min = v;
    if (a->n == 1 || v > a->max) a->max = v;
}

sr_status sr_rep_figure_metric(sr_rep_exp *e, size_t xa, long by, size_t m, const sr_report_opts *o,
                               const char *out_dir, FILE *log)
{
    const sr_rep_axis *X = &e->axes[xa];
    const sr_rep_axis *P = by >= 0 ? &e->axes[by] : NULL;
    const sr_rep_metric *M = &sr_rep_metrics[m];
    size_t nx = X->vals.n, np = P ? P->vals.n : 1;
    sr_status st = SR_OK;
    sr_rep_strlist series = {0};
    sr_rep_sbuf lab = {0};
    int *run_s = NULL, *block = NULL, *present = NULL, *baseline = NULL;
    acc *cells = NULL;
    double *xpos = NULL;
    FILE *d = NULL, *g = NULL;
    char stem[400], name[420];
    char *xfile = sr_rep_sanitize(X->key);
    if (!xfile) return SR_ERR_NOMEM;
    snprintf(stem, sizeof stem, "%s-%s-vs-%s", e->base, M->name, xfile);
    free(xfile);

    /* Series: policy and the values of the varying parameters other than x and the panel axis. */
    run_s = malloc((e->n_runs ? e->n_runs : 1) * sizeof *run_s);
    if (!run_s) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    int any = 0;
    for (size_t i = 0; i < e->n_runs; i++) {
        const sr_rep_run *r = &e->runs[i];
        run_s[i] = -1;
        lab.n = 0;
        sr_rep_sbuf_printf(&lab, "%s", r->policy);
        int extra = 0;
        for (size_t k = 0; k < e->n_axes; k++) {
            if (k == xa || (long)k == by || !e->axes[k].varies || r->vi[k] < 0) continue;
            char v[128];
            sr_rep_axis_value_text(&e->axes[k], (size_t)r->vi[k], v, sizeof v);
            sr_rep_sbuf_printf(&lab, "%s%s = %s", extra++ ? ", " : " (", e->axes[k].human, v);
        }
        if (extra) sr_rep_sbuf_printf(&lab, ")");
        /* a run without this parameter (a policy that does not have it): a horizontal reference line */
        if (r->vi[xa] < 0) sr_rep_sbuf_printf(&lab, " (no %s)", X->human);
        long si = lab.oom ? -1 : sr_rep_strlist_intern(&series, sr_rep_sbuf_str(&lab));
        if (si < 0) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        run_s[i] = (int)si;
        if (isfinite(r->m[m])) any = 1;
    }
    if (!any) {
        sr_rep_log(log, "report: experiment %s: no values of %s; skipping %s\n", e->hash, M->name, stem);
        goto done;
    }
    size_t ns = series.n;
    baseline = calloc(ns, sizeof *baseline);
    if (!baseline) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < e->n_runs; i++)
        if (run_s[i] >= 0 && e->runs[i].vi[xa] < 0) baseline[run_s[i]] = 1;
    cells = calloc(np * ns * nx, sizeof *cells);
    block = malloc(np * ns * sizeof *block);
    present = calloc(ns, sizeof *present);
    xpos = malloc(nx * sizeof *xpos);
    if (!cells || !block || !present || !xpos) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < e->n_runs; i++) {
        const sr_rep_run *r = &e->runs[i];
        if (run_s[i] < 0 || !isfinite(r->m[m])) continue; /* an infinite SNR (lossless) cannot be drawn */
        /* a run without the x (or panel) parameter counts at every x (in every panel) */
        size_t p0 = P && r->vi[by] >= 0 ? (size_t)r->vi[by] : 0, p1 = P && r->vi[by] >= 0 ? p0 + 1 : np;
        size_t x0 = r->vi[xa] >= 0 ? (size_t)r->vi[xa] : 0, x1 = r->vi[xa] >= 0 ? x0 + 1 : nx;
        for (size_t p = p0; p < p1; p++)
            for (size_t x = x0; x < x1; x++)
                acc_add(&cells[(p * ns + (size_t)run_s[i]) * nx + x], r->m[m]);
    }
    for (size_t oi = 0; oi < nx; oi++)
        xpos[X->order[oi]] = X->numeric ? X->si[X->order[oi]] * X->mult : (double)oi;

    /* Display unit, error bars, log scale. */
    double max_abs = 0;
    int errorbars = 0, nonneg = 1;
    for (size_t c = 0; c < np * ns * nx; c++) {
        if (!cells[c].n) continue;
        if (fabs(cells[c].mean) > max_abs) max_abs = fabs(cells[c].mean);
        if (cells[c].n > 1) errorbars = 1;
        if (cells[c].min < 0) nonneg = 0;
    }
    double mult;
    char unit[24];
    sr_rep_display_unit(M->qty, max_abs, &mult, unit, sizeof unit);
    double lo_pos = INFINITY, hi_pos = 0;
    int all_pos = 1;
    for (size_t c = 0; c < np * ns * nx; c++) {
        if (!cells[c].n) continue;
        double v = cells[c].mean * mult;
        if (v <= 0)
            all_pos = 0;
        else {
            if (v < lo_pos) lo_pos = v;
            if (v > hi_pos) hi_pos = v;
        }
    }
    int log_y = hi_pos > 0 && (o->log_y || (all_pos && hi_pos / lo_pos > 100));
    /* One y range for every panel, covering the error bars drawn. */
    double y_lo = INFINITY, y_hi = -INFINITY;
    for (size_t c = 0; c < np * ns * nx; c++) {
        const acc *a = &cells[c];
        if (!a->n) continue;
        double half = a->n > 1 ? sr_rep_t975(a->n - 1) * sqrt(a->m2 / (a->n - 1)) / sqrt((double)a->n) : 0;
        double lo = (!errorbars ? a->mean : o->minmax ? a->min : a->mean - half) * mult;
        double hi = (!errorbars ? a->mean : o->minmax ? a->max : a->mean + half) * mult;
        if (log_y && lo <= 0) lo = a->mean * mult;
        if (log_y && lo <= 0) continue;
        if (lo < y_lo) y_lo = lo;
        if (hi > y_hi) y_hi = hi;
    }
    char yrange[80];
    if (!(y_lo <= y_hi))
        snprintf(yrange, sizeof yrange, "[*:*]");
    else if (log_y)
        snprintf(yrange, sizeof yrange, "[%.6g:%.6g]", y_lo / 1.4, y_hi * 1.4);
    else if (nonneg) /* these metrics are >= 0: the axis starts at 0 rather than at an arbitrary value */
        snprintf(yrange, sizeof yrange, "[0:%.6g]", y_hi > 0 ? y_hi * 1.05 : 1);
    else
        snprintf(yrange, sizeof yrange, "[%.6g:%.6g]", y_lo - 0.05 * (y_hi - y_lo + 1e-300),
                 y_hi + 0.05 * (y_hi - y_lo + 1e-300));

    /* Data: one block per (panel, series) with at least one value. */
    snprintf(name, sizeof name, "%s.dat", stem);
    d = sr_rep_open_out(out_dir, name, "report", log);
    if (!d) {
        st = SR_ERR_IO;
        goto done;
    }
    fprintf(d, "# %s (%s%s%s) vs %s (%s), experiment %s\n", M->label, M->name, unit[0] ? ", " : "", unit,
            X->human, X->key, e->hash);
    fprintf(d, "# one block per panel and series; y columns in %s; ci = 95 %% t-interval over replications\n",
            unit[0] ? unit : "units of the metric");
    fprintf(d, "# x mean ci_lo ci_hi min max n x_label\n");
    int n_blocks = 0;
    for (size_t pi = 0; pi < np; pi++)
        for (size_t s = 0; s < ns; s++) {
            size_t p = P ? P->order[pi] : 0;
            block[p * ns + s] = -1;
            int has = 0;
            for (size_t x = 0; x < nx; x++)
                has |= cells[(p * ns + s) * nx + x].n > 0;
            if (!has) continue;
            present[s] = 1;
            fprintf(d, "%s# series ", n_blocks ? "\n\n" : "");
            sr_rep_dat_text(d, series.s[s]);
            if (P) {
                char v[128];
                sr_rep_axis_value_text(P, p, v, sizeof v);
                fprintf(d, "; panel %s = ", P->human);
                sr_rep_dat_text(d, v);
            }
            fputc('\n', d);
            for (size_t oi = 0; oi < nx; oi++) {
                size_t x = X->order[oi];
                const acc *c = &cells[(p * ns + s) * nx + x];
                if (!c->n) continue;
                double half =
                    c->n > 1 ? sr_rep_t975(c->n - 1) * sqrt(c->m2 / (c->n - 1)) / sqrt((double)c->n) : 0;
                fprintf(d, "%.10g %.10g %.10g %.10g %.10g %.10g %d \"", xpos[x], c->mean * mult,
                        (c->mean - half) * mult, (c->mean + half) * mult, c->min * mult, c->max * mult, c->n);
                sr_rep_dat_text(d, X->vals.s[x]);
                fputs("\"\n", d);
            }
            block[p * ns + s] = n_blocks++;
        }
    st = sr_rep_close_out(d, out_dir, name, log);
    d = NULL;
    if (st) goto done;

    /* Script. */
    snprintf(name, sizeof name, "%s.gp", stem);
    g = sr_rep_open_out(out_dir, name, "report", log);
    if (!g) {
        st = SR_ERR_IO;
        goto done;
    }
    layout L = make_layout((int)np);
    char title[600], xlabel[300], ylabel[300];
    snprintf(title, sizeof title, "%s vs %s%s", M->label, X->human,
             !errorbars  ? ""
             : o->minmax ? " (mean, min-max over replications)"
                         : " (mean and 95 % CI over replications)");
    if (X->numeric && X->unit[0])
        snprintf(xlabel, sizeof xlabel, "%s (%s)", X->human, X->unit);
    else
        snprintf(xlabel, sizeof xlabel, "%s", X->human);
    if (unit[0])
        snprintf(ylabel, sizeof ylabel, "%s (%s)", M->label, unit);
    else
        snprintf(ylabel, sizeof ylabel, "%s", M->label);
    gp_begin(g, stem, &L, title, ns);
    for (size_t pi = 0; pi < np; pi++) {
        size_t p = P ? P->order[pi] : 0;
        int items = 0;
        for (size_t s = 0; s < ns; s++)
            items += block[p * ns + s] >= 0;
        if (!items) {
            fprintf(g, "  set multiplot next\n");
            continue;
        }
        char ptitle[300] = "";
        if (P) {
            char v[128];
            sr_rep_axis_value_text(P, p, v, sizeof v);
            snprintf(ptitle, sizeof ptitle, "%s = %s", P->human, v);
        }
        gp_panel(g, &L, ptitle, title);
        fprintf(g, "  set xlabel ");
        sr_rep_gp_quote(g, xlabel);
        fprintf(g, "\n  set ylabel ");
        sr_rep_gp_quote(g, ylabel);
        fputc('\n', g);
        if (log_y) fprintf(g, "  set logscale y\n");
        fprintf(g, "  set offsets graph 0.05, graph 0.05, 0, 0\n  set yrange %s\n", yrange);
        if (X->numeric) {
            double lo = X->si[X->order[0]], hi = X->si[X->order[nx - 1]];
            if (lo > 0 && hi / lo >= 100) fprintf(g, "  set logscale x\n");
            if (nx <= 12) { /* tics at the swept values, in the axis unit */
                fprintf(g, "  set xtics (");
                for (size_t oi = 0; oi < nx; oi++) {
                    char v[32];
                    sr_rep_num(v, sizeof v, xpos[X->order[oi]]);
                    fprintf(g, "%s\"%s\" %.10g", oi ? ", " : "", v, xpos[X->order[oi]]);
                }
                fprintf(g, ")\n");
            }
        } else {
            fprintf(g, "  set xtics (");
            for (size_t oi = 0; oi < nx; oi++) {
                if (oi) fprintf(g, ", ");
                sr_rep_gp_quote(g, X->vals.s[X->order[oi]]);
                fprintf(g, " %zu", oi);
            }
            fprintf(g, ")\n  set xrange [-0.5:%zu.5]\n", nx - 1);
        }
        fprintf(g, "  plot ");
        int first = 1;
        for (size_t s = 0; s < ns; s++) {
            int b = block[p * ns + s];
            if (b < 0) continue;
            fprintf(g, "%s'%s.dat' index %d using 1:2%s with %s ls %zu ", first ? "" : ", \\\n       ", stem,
                    b,
                    !errorbars || baseline[s] ? ""
                    : o->minmax               ? ":5:6"
                                              : ":3:4",
                    baseline[s] ? "lines"
                    : errorbars ? "yerrorlines"
                                : "linespoints",
                    s + 1);
            if (L.cells > 1)
                fprintf(g, "notitle");
            else {
                fprintf(g, "title ");
                sr_rep_gp_quote(g, series.s[s]);
            }
            first = 0;
        }
        fputc('\n', g);
    }
    if (L.cells > 1) gp_legend(g, &series, present, 1, baseline);
    gp_end(g, &L);
    st = sr_rep_close_out(g, out_dir, name, log);
    g = NULL;
    if (st) goto done;
    char caption[600];
    snprintf(caption, sizeof caption, "%s vs %s%s%s", M->label, X->human, P ? ", one panel per " : "",
             P ? P->human : "");
    st = push_figure(e, stem, caption);

done:
    if (d) fclose(d);
    if (g) fclose(g);
    sr_rep_strlist_free(&series);
    free(lab.s);
    free(run_s);
    free(block);
    free(present);
    free(baseline);
    free(cells);
    free(xpos);
    return st;
}

/* ---- latency CDF per sweep point ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Latencies (s) of the completed frames of the runs with run_pt == pt and run_pol == pol, sorted. */
static sr_status gather(sqlite3 *db, sqlite3_stmt *q, const sr_rep_exp *e, const int *run_pt,
                        const int *run_pol, int pt, int pol, double **lat, size_t *n, size_t *cap, FILE *log)
{
    *n = 0;
    for (size_t i = 0; i < e->n_runs; i++) {
        if (run_pt[i] != pt || run_pol[i] != pol) continue;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, e->runs[i].id);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            if (*n == *cap) {
                size_t c = *cap ? 2 * *cap : 1024;
                double *p = realloc(*lat, c * sizeof *p);
                if (!p) return SR_ERR_NOMEM;
                *lat = p;
                *cap = c;
            }
            (*lat)[(*n)++] = sqlite3_column_double(q, 0);
        }
        if (rc != SQLITE_DONE) {
            sr_rep_log(log, "report: cannot read frames: %s\n", sqlite3_errmsg(db));
            return SR_ERR_DB;
        }
    }
    if (*n) qsort(*lat, *n, sizeof **lat, cmp_double);
    return SR_OK;
}

/* One CDF figure over sweep points [p0, p1). */
static sr_status cdf_chunk(sqlite3 *db, sqlite3_stmt *q, sr_rep_exp *e, const int *run_pt, const int *run_pol,
                           const sr_rep_strlist *pt_titles, size_t p0, size_t p1, int part, int parts,
                           const char *out_dir, FILE *log)
{
    size_t npol = e->policies.n;
    char stem[300], name[320];
    if (part > 1)
        snprintf(stem, sizeof stem, "%s-latency-cdf-%d", e->base, part);
    else
        snprintf(stem, sizeof stem, "%s-latency-cdf", e->base);
    sr_status st = SR_OK;
    double *lat = NULL;
    size_t cap = 0;
    int *block = calloc((p1 - p0) * npol, sizeof *block);
    int *present = calloc(npol ? npol : 1, sizeof *present);
    FILE *d = NULL, *g = NULL;
    if (!block || !present) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    snprintf(name, sizeof name, "%s.dat", stem);
    d = sr_rep_open_out(out_dir, name, "report", log);
    if (!d) {
        st = SR_ERR_IO;
        goto done;
    }
    fprintf(d,
            "# latency CDF of completed frames, experiment %s; one block per sweep point and policy\n"
            "# latency_ms fraction\n",
            e->hash);
    int n_blocks = 0;
    double lo = INFINITY, hi = 0;
    for (size_t p = p0; p < p1; p++)
        for (size_t k = 0; k < npol; k++) {
            size_t n = 0;
            block[(p - p0) * npol + k] = -1;
            st = gather(db, q, e, run_pt, run_pol, (int)p, (int)k, &lat, &n, &cap, log);
            if (st) goto done;
            if (!n) continue;
            if (n_blocks) fputs("\n\n", d);
            fputs("# ", d);
            sr_rep_dat_text(d, e->policies.s[k]);
            if (pt_titles->s[p][0]) {
                fputs(" at ", d);
                sr_rep_dat_text(d, pt_titles->s[p]);
            }
            fprintf(d, ": %zu frames\n", n);
            size_t pts = n <= SR_REP_CDF_POINTS ? n : SR_REP_CDF_POINTS;
            for (size_t j = 0; j < pts; j++) {
                size_t i = pts == n ? j : (size_t)((double)j * (double)(n - 1) / (double)(pts - 1) + 0.5);
                fprintf(d, "%.9g %.9g\n", lat[i] * 1e3, (double)(i + 1) / (double)n);
            }
            if (lat[0] > 0 && lat[0] * 1e3 < lo) lo = lat[0] * 1e3;
            if (lat[n - 1] * 1e3 > hi) hi = lat[n - 1] * 1e3;
            block[(p - p0) * npol + k] = n_blocks++;
            present[k] = 1;
        }
    st = sr_rep_close_out(d, out_dir, name, log);
    d = NULL;
    if (st) goto done;
    if (n_blocks == 0) {
        sr_rep_log(log, "report: experiment %s has no completed frames recorded; no latency CDF\n", e->hash);
        char *path = malloc(strlen(out_dir) + strlen(name) + 2);
        if (path) {
            sprintf(path, "%s/%s", out_dir, name);
            remove(path);
            free(path);
        }
        goto done;
    }
    snprintf(name, sizeof name, "%s.gp", stem);
    g = sr_rep_open_out(out_dir, name, "report", log);
    if (!g) {
        st = SR_ERR_IO;
        goto done;
    }
    layout L = make_layout((int)(p1 - p0));
    char title[200];
    if (parts > 1)
        snprintf(title, sizeof title, "latency CDF of completed frames (part %d of %d)", part, parts);
    else
        snprintf(title, sizeof title, "latency CDF of completed frames");
    gp_begin(g, stem, &L, title, npol);
    int log_x = hi > 0 && lo < INFINITY && hi / lo > 100;
    char xrange[80]; /* one latency range for every panel */
    if (log_x)
        snprintf(xrange, sizeof xrange, "[%.6g:%.6g]", lo / 1.2, hi * 1.2);
    else
        snprintf(xrange, sizeof xrange, "[0:%.6g]", hi > 0 ? hi * 1.02 : 1);
    for (size_t p = p0; p < p1; p++) {
        int items = 0;
        for (size_t k = 0; k < npol; k++)
            items += block[(p - p0) * npol + k] >= 0;
        if (!items) {
            fprintf(g, "  set multiplot next\n");
            continue;
        }
        gp_panel(g, &L, pt_titles->s[p], title);
        fprintf(
            g, "  set xlabel \"latency (ms)\"\n  set ylabel \"fraction of frames\"\n  set yrange [0:1.02]\n");
        if (log_x) fprintf(g, "  set logscale x\n");
        fprintf(g, "  set xrange %s\n", xrange);
        fprintf(g, "  plot ");
        int first = 1;
        for (size_t k = 0; k < npol; k++) {
            int b = block[(p - p0) * npol + k];
            if (b < 0) continue;
            fprintf(g, "%s'%s.dat' index %d using 1:2 with steps ls %zu ", first ? "" : ", \\\n       ", stem,
                    b, k + 1);
            if (L.cells > 1)
                fprintf(g, "notitle");
            else {
                fprintf(g, "title ");
                sr_rep_gp_quote(g, e->policies.s[k]);
            }
            first = 0;
        }
        fputc('\n', g);
    }
    if (L.cells > 1) gp_legend(g, &e->policies, present, 0, NULL);
    gp_end(g, &L);
    st = sr_rep_close_out(g, out_dir, name, log);
    g = NULL;
    if (st) goto done;
    st = push_figure(e, stem,
                     p1 - p0 > 1 ? "latency CDF of completed frames, one panel per sweep point"
                                 : "latency CDF of completed frames");
done:
    if (d) fclose(d);
    if (g) fclose(g);
    free(lat);
    free(block);
    free(present);
    return st;
}

sr_status sr_rep_figure_cdf(sqlite3 *db, sr_rep_exp *e, const char *out_dir, FILE *log)
{
    sr_status st = SR_OK;
    sqlite3_stmt *q = NULL;
    sr_rep_strlist pts = {0}, titles = {0};
    sr_rep_sbuf key = {0}, t = {0};
    int *run_pt = malloc((e->n_runs ? e->n_runs : 1) * sizeof *run_pt);
    int *run_pol = malloc((e->n_runs ? e->n_runs : 1) * sizeof *run_pol);
    if (!run_pt || !run_pol) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    /* Sweep points: combinations of the varying parameters, in sweep order. */
    for (size_t i = 0; i < e->n_runs; i++) {
        const sr_rep_run *r = &e->runs[i];
        key.n = t.n = 0;
        sr_rep_sbuf_printf(&key, "%s", "");
        sr_rep_sbuf_printf(&t, "%s", "");
        for (size_t k = 0; k < e->n_axes; k++) {
            if (!e->axes[k].varies) continue;
            sr_rep_sbuf_printf(&key, "%d,", r->vi[k]);
            char v[128] = "n/a"; /* a policy without this parameter */
            if (r->vi[k] >= 0) sr_rep_axis_value_text(&e->axes[k], (size_t)r->vi[k], v, sizeof v);
            sr_rep_sbuf_printf(&t, "%s%s = %s", t.n ? ", " : "", e->axes[k].human, v);
        }
        if (key.oom || t.oom) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        long p = sr_rep_strlist_find(&pts, sr_rep_sbuf_str(&key));
        if (p < 0) {
            p = sr_rep_strlist_push(&pts, sr_rep_sbuf_str(&key));
            if (p < 0 || sr_rep_strlist_push(&titles, sr_rep_sbuf_str(&t)) < 0) {
                st = SR_ERR_NOMEM;
                goto done;
            }
        }
        run_pt[i] = (int)p;
        run_pol[i] = (int)sr_rep_strlist_find(&e->policies, r->policy);
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT latency_s FROM frames WHERE run_id = ?1 AND dropped = 0"
                           " AND latency_s IS NOT NULL",
                           -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "report: cannot query frames: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    int parts = (int)((pts.n + SR_REP_CDF_PANELS - 1) / SR_REP_CDF_PANELS);
    for (int part = 0; part < parts && !st; part++) {
        size_t p0 = (size_t)part * SR_REP_CDF_PANELS;
        size_t p1 = p0 + SR_REP_CDF_PANELS < pts.n ? p0 + SR_REP_CDF_PANELS : pts.n;
        st = cdf_chunk(db, q, e, run_pt, run_pol, &titles, p0, p1, part + 1, parts, out_dir, log);
    }
done:
    sqlite3_finalize(q);
    sr_rep_strlist_free(&pts);
    sr_rep_strlist_free(&titles);
    free(key.s);
    free(t.s);
    free(run_pt);
    free(run_pol);
    return st;
}
