/* sr_report_html.c: the report's index.html.
 *
 * Laid out for a 1400 px window without horizontal scrolling: the body is at most 1360 px wide, figures
 * take the full width (their SVG scales), long text (YAML, failed runs' parameters) wraps, and a summary
 * table wider than the page scrolls inside its own box. Numbers are shown in human units (35 ms, 4.7 MB,
 * 12 %); each cell keeps its raw value in data-v, and a click on a column header sorts the table by it
 * (a few lines of inline JavaScript, no external files). */
#include "sr_report_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sr_rep_html_head(FILE *h, const char *db_path)
{
    fputs(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<title>simrun report</title>\n<style>\n"
        "body{font-family:sans-serif;margin:1.5em auto;max-width:1360px;padding:0 1em;box-sizing:border-box;"
        "color:#222}\n"
        "h2{border-bottom:2px solid #ccc;padding-bottom:.2em;margin-top:2em}\n"
        ".wrap{overflow-x:auto;max-width:100%}\n"
        "table{border-collapse:collapse;font-size:13px;margin:.5em 0}\n"
        "td,th{border:1px solid #bbb;padding:3px 7px;text-align:right;white-space:nowrap}\n"
        "td:first-child,th:first-child{text-align:left}\n"
        "th{background:#eee;white-space:normal;vertical-align:bottom}\n"
        "table.sortable th{cursor:pointer}\n"
        "th.asc::after{content:\" \\25B2\"}th.desc::after{content:\" \\25BC\"}\n"
        "td.text{text-align:left;white-space:normal;overflow-wrap:anywhere}\n"
        "figure{margin:1.5em 0;width:100%}\n"
        "img{width:100%;height:auto;display:block;border:1px solid #ddd}\n"
        "figcaption{font-size:14px;margin-top:.3em}figcaption a{margin-left:.7em;font-size:13px}\n"
        "pre{background:#f6f6f6;padding:1em;white-space:pre-wrap;overflow-wrap:anywhere}\n"
        "code{overflow-wrap:anywhere}\n"
        "</style></head><body>\n<h1>simrun report</h1>\n<p>database <code>",
        h);
    sr_rep_html_esc(h, db_path);
    fputs("</code></p>\n", h);
}

void sr_rep_html_tail(FILE *h)
{
    fputs(
        "<script>\n"
        "document.querySelectorAll('table.sortable').forEach(function (t) {\n"
        "  t.querySelectorAll('thead th').forEach(function (th, i) {\n"
        "    th.title = th.title || 'click to sort';\n"
        "    th.addEventListener('click', function () {\n"
        "      var asc = !th.classList.contains('asc');\n"
        "      t.querySelectorAll('thead th').forEach(function (o) { o.classList.remove('asc', 'desc'); });\n"
        "      th.classList.add(asc ? 'asc' : 'desc');\n"
        "      var body = t.tBodies[0], rows = Array.prototype.slice.call(body.rows);\n"
        "      rows.sort(function (a, b) {\n"
        "        var u = a.cells[i].getAttribute('data-v'), v = b.cells[i].getAttribute('data-v'), r;\n"
        "        if (u !== null && v !== null) {\n"
        "          r = (u === '' ? Infinity : +u) - (v === '' ? Infinity : +v);\n"
        "          if (isNaN(r)) r = 0;\n"
        "        } else r = a.cells[i].textContent.localeCompare(b.cells[i].textContent);\n"
        "        return asc ? r : -r;\n"
        "      });\n"
        "      rows.forEach(function (row) { body.appendChild(row); });\n"
        "    });\n"
        "  });\n"
        "});\n"
        "</script>\n</body></html>\n",
        h);
}

/* A table cell with a human value and its raw value for sorting. */
static void cell_num(FILE *h, double v, sr_rep_qty q)
{
    char buf[64];
    sr_rep_human(buf, sizeof buf, v, q);
    if (isnan(v))
        fputs("<td data-v=\"\">", h);
    else if (isinf(v))
        fprintf(h, "<td data-v=\"%sInfinity\">", v < 0 ? "-" : "");
    else
        fprintf(h, "<td data-v=\"%.10g\">", v);
    sr_rep_html_esc(h, buf);
    fputs("</td>", h);
}

static sr_status summary_table(FILE *h, const sr_rep_exp *e)
{
    /* Constant parameters: one line above the table. */
    int n_const = 0;
    for (size_t k = 0; k < e->n_axes; k++) {
        const sr_rep_axis *a = &e->axes[k];
        if (a->varies || a->vals.n == 0) continue;
        fputs(n_const++ ? ", " : "<p>same in every run: ", h);
        char v[128];
        sr_rep_axis_value_text(a, 0, v, sizeof v);
        fputs("<span title=\"", h);
        sr_rep_html_esc(h, a->key);
        fputs("\">", h);
        sr_rep_html_esc(h, a->human);
        fputs("</span> = ", h);
        sr_rep_html_esc(h, v);
    }
    if (n_const) fputs("</p>\n", h);

    /* One row per policy and sweep point (replications averaged), in sweep order. */
    sr_rep_strlist rows = {0};
    sr_rep_sbuf key = {0};
    int *row_of = malloc((e->n_runs ? e->n_runs : 1) * sizeof *row_of);
    if (!row_of) return SR_ERR_NOMEM;
    for (size_t i = 0; i < e->n_runs; i++) {
        key.n = 0;
        sr_rep_sbuf_printf(&key, "%s", e->runs[i].policy);
        for (size_t k = 0; k < e->n_axes; k++)
            sr_rep_sbuf_printf(&key, "\x1f%d", e->runs[i].vi[k]);
        long r = key.oom ? -1 : sr_rep_strlist_intern(&rows, sr_rep_sbuf_str(&key));
        if (r < 0) {
            free(row_of);
            free(key.s);
            sr_rep_strlist_free(&rows);
            return SR_ERR_NOMEM;
        }
        row_of[i] = (int)r;
    }
    free(key.s);
    int has_metric[SR_REP_N_METRICS] = {0};
    for (size_t i = 0; i < e->n_runs; i++)
        for (size_t m = 0; m < SR_REP_N_METRICS; m++)
            if (!isnan(e->runs[i].m[m])) has_metric[m] = 1;

    fputs("<div class=\"wrap\"><table class=\"sortable\">\n<thead><tr><th>policy</th>", h);
    for (size_t k = 0; k < e->n_axes; k++) {
        if (!e->axes[k].varies) continue;
        fputs("<th title=\"", h);
        sr_rep_html_esc(h, e->axes[k].key);
        fputs("\">", h);
        sr_rep_html_esc(h, e->axes[k].human);
        fputs("</th>", h);
    }
    fputs("<th title=\"replications\">runs</th>", h);
    for (size_t m = 0; m < SR_REP_N_METRICS; m++) {
        if (!has_metric[m]) continue;
        fputs("<th title=\"", h);
        sr_rep_html_esc(h, sr_rep_metrics[m].name);
        fputs(", mean over replications\">", h);
        sr_rep_html_esc(h, sr_rep_metrics[m].label);
        fputs("</th>", h);
    }
    fputs("</tr></thead>\n<tbody>\n", h);
    for (size_t r = 0; r < rows.n; r++) {
        size_t first = 0;
        int n = 0;
        double sum[SR_REP_N_METRICS] = {0};
        int cnt[SR_REP_N_METRICS] = {0};
        for (size_t i = 0; i < e->n_runs; i++) {
            if (row_of[i] != (int)r) continue;
            if (n++ == 0) first = i;
            for (size_t m = 0; m < SR_REP_N_METRICS; m++)
                if (!isnan(e->runs[i].m[m])) {
                    sum[m] += e->runs[i].m[m];
                    cnt[m]++;
                }
        }
        const sr_rep_run *fr = &e->runs[first];
        fputs("<tr><td>", h);
        sr_rep_html_esc(h, fr->policy);
        fputs("</td>", h);
        for (size_t k = 0; k < e->n_axes; k++) {
            const sr_rep_axis *a = &e->axes[k];
            if (!a->varies) continue;
            if (fr->vi[k] < 0) {
                fputs("<td data-v=\"\">&ndash;</td>", h);
                continue;
            }
            char v[128];
            sr_rep_axis_value_text(a, (size_t)fr->vi[k], v, sizeof v);
            if (a->numeric)
                fprintf(h, "<td data-v=\"%.10g\">", a->si[fr->vi[k]]);
            else
                fputs("<td>", h);
            sr_rep_html_esc(h, v);
            fputs("</td>", h);
        }
        fprintf(h, "<td data-v=\"%d\">%d</td>", n, n);
        for (size_t m = 0; m < SR_REP_N_METRICS; m++)
            if (has_metric[m]) cell_num(h, cnt[m] ? sum[m] / cnt[m] : NAN, sr_rep_metrics[m].qty);
        fputs("</tr>\n", h);
    }
    fputs("</tbody></table></div>\n", h);
    free(row_of);
    sr_rep_strlist_free(&rows);
    return SR_OK;
}

sr_status sr_rep_html_experiment(sqlite3 *db, FILE *h, const sr_rep_exp *e)
{
    fputs("<section>\n<h2>", h);
    sr_rep_html_esc(h, e->name);
    fputs("</h2>\n<p>hash <code>", h);
    sr_rep_html_esc(h, e->hash);
    fprintf(h, "</code>; %zu successful runs", e->n_runs);
    if (e->max_reps > 1) fprintf(h, ", up to %d replications per point", e->max_reps);
    fputs("</p>\n<details><summary>experiment YAML</summary><pre>", h);
    sr_rep_html_esc(h, e->yaml);
    fputs("</pre></details>\n", h);
    sr_status st = summary_table(h, e);
    if (st) return st;

    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT point_index, policy, params, ifnull(error, '') FROM runs"
                           " WHERE experiment_id = ?1 AND status = 'failed' ORDER BY point_index",
                           -1, &q, NULL) != SQLITE_OK)
        return SR_ERR_DB;
    sqlite3_bind_int64(q, 1, e->id);
    int n_failed = 0;
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n_failed++ == 0)
            fputs(
                "<h3>failed runs</h3>\n<div class=\"wrap\"><table>\n<thead><tr><th>point</th><th>policy</th>"
                "<th>params</th><th>error</th></tr></thead>\n<tbody>\n",
                h);
        fprintf(h, "<tr><td>%d</td><td>", sqlite3_column_int(q, 0));
        sr_rep_html_esc(h, (const char *)sqlite3_column_text(q, 1));
        fputs("</td><td class=\"text\"><code>", h);
        sr_rep_html_esc(h, (const char *)sqlite3_column_text(q, 2));
        fputs("</code></td><td class=\"text\">", h);
        sr_rep_html_esc(h, (const char *)sqlite3_column_text(q, 3));
        fputs("</td></tr>\n", h);
    }
    if (n_failed) fputs("</tbody></table></div>\n", h);
    sqlite3_finalize(q);

    for (size_t i = 0; i < e->figures.n; i++) {
        const char *stem = e->figures.s[i];
        fputs("<figure><img src=\"", h);
        sr_rep_html_esc(h, stem);
        fputs(".svg\" alt=\"", h);
        sr_rep_html_esc(h, e->captions.s[i]);
        fputs("\"><figcaption>", h);
        sr_rep_html_esc(h, e->captions.s[i]);
        static const char *const ext[] = {"pdf", "png", "gp", "dat"};
        for (size_t x = 0; x < sizeof ext / sizeof ext[0]; x++) {
            fputs("<a href=\"", h);
            sr_rep_html_esc(h, stem);
            fprintf(h, ".%s\">%s</a>", ext[x], ext[x]);
        }
        fputs("</figcaption></figure>\n", h);
    }
    fputs("</section>\n", h);
    return SR_OK;
}
