/* sr_report.c: figures and an index page from a results database (sr_report.h).
 *
 * Opens the database read-only and, per experiment (by id): loads its ok runs with their swept parameters
 * (keys of runs.params other than policy and replication) and summary metrics; works out for each parameter
 * whether it varies and whether it is numeric (every value a quantity of one kind, read with the config's
 * unit parser: "1.1Mbps", "20ms", "5"); writes the figures' .dat and .gp files (sr_report_fig.c); runs
 * gnuplot once on all of them, in out_dir (a non-zero exit status is SR_ERR_IO with gnuplot's output in the
 * log); and appends the experiment's section to index.html (sr_report_html.c). */
#include "sr_report_internal.h"
#include "sr_results_read.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void exp_free(sr_rep_exp *e)
{
    for (size_t i = 0; i < e->n_runs; i++) {
        free(e->runs[i].policy);
        free(e->runs[i].vi);
    }
    free(e->runs);
    for (size_t k = 0; k < e->n_axes; k++) {
        sr_rep_axis *a = &e->axes[k];
        free(a->key);
        free(a->human);
        sr_rep_strlist_free(&a->vals);
        free(a->order);
        free(a->si);
    }
    free(e->axes);
    free(e->name);
    free(e->hash);
    free(e->yaml);
    free(e->base);
    sr_rep_strlist_free(&e->policies);
    sr_rep_strlist_free(&e->figures);
    sr_rep_strlist_free(&e->captions);
    sr_rep_strlist_free(&e->scripts);
    memset(e, 0, sizeof *e);
}

static char *dup_col(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return strdup(t ? (const char *)t : "");
}

/* "platform.links.uplink.bandwidth" -> "uplink bandwidth"; "workload.sources.video.fps" -> "video fps";
 * "model" -> "model". Caller frees. */
static char *human_key(const char *key)
{
    static const char *const sections[] = {"platform", "links",  "devices", "workload", "sources",
                                           "models",   "policy", "sweep",   "metrics"};
    const char *last = strrchr(key, '.');
    const char *prev = NULL;
    size_t prev_len = 0;
    if (last) {
        const char *p = last;
        while (p > key && p[-1] != '.')
            p--;
        prev = p;
        prev_len = (size_t)(last - p);
        last++;
        for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
            if (strlen(sections[i]) == prev_len && strncmp(prev, sections[i], prev_len) == 0) prev = NULL;
    } else {
        last = key;
    }
    size_t n = (prev ? prev_len + 1 : 0) + strlen(last) + 1;
    char *o = malloc(n);
    if (!o) return NULL;
    if (prev)
        snprintf(o, n, "%.*s %s", (int)prev_len, prev, last);
    else
        snprintf(o, n, "%s", last);
    for (char *c = o; *c; c++)
        if (*c == '_') *c = ' ';
    return o;
}

static int cmp_axis(const void *a, const void *b)
{
    return strcmp(((const sr_rep_axis *)a)->key, ((const sr_rep_axis *)b)->key);
}

/* Index of the axis with this key, appended when absent; -1 when out of memory. */
static long axis_intern(sr_rep_exp *e, const char *key, size_t *cap)
{
    for (size_t k = 0; k < e->n_axes; k++)
        if (strcmp(e->axes[k].key, key) == 0) return (long)k;
    if (e->n_axes == *cap) {
        size_t c = *cap ? 2 * *cap : 8;
        sr_rep_axis *p = realloc(e->axes, c * sizeof *p);
        if (!p) return -1;
        e->axes = p;
        *cap = c;
    }
    sr_rep_axis *a = &e->axes[e->n_axes];
    memset(a, 0, sizeof *a);
    a->key = strdup(key);
    if (!a->key) return -1;
    return (long)e->n_axes++;
}

/* Numeric or not, display order and unit of each axis, once all values are known. */
static sr_status finish_axes(sr_rep_exp *e)
{
    for (size_t k = 0; k < e->n_axes; k++) {
        sr_rep_axis *a = &e->axes[k];
        size_t n = a->vals.n;
        a->human = human_key(a->key);
        a->order = malloc((n ? n : 1) * sizeof *a->order);
        a->si = calloc(n ? n : 1, sizeof *a->si);
        if (!a->human || !a->order || !a->si) return SR_ERR_NOMEM;
        a->varies = n > 1;
        a->numeric = n > 0;
        for (size_t i = 0; i < n; i++) {
            sr_unit_kind kind;
            a->order[i] = i;
            if (a->numeric && (sr_parse_quantity_any(a->vals.s[i], &a->si[i], &kind) != SR_OK ||
                               (i > 0 && kind != a->kind)))
                a->numeric = 0;
            if (a->numeric) a->kind = kind;
        }
        a->mult = 1;
        a->unit[0] = '\0';
        if (!a->numeric) continue;
        double max_abs = 0;
        for (size_t i = 0; i < n; i++) {
            if (fabs(a->si[i]) > max_abs) max_abs = fabs(a->si[i]);
            for (size_t j = i; j > 0 && a->si[a->order[j - 1]] > a->si[a->order[j]]; j--) {
                size_t t = a->order[j];
                a->order[j] = a->order[j - 1];
                a->order[j - 1] = t;
            }
        }
        if (a->kind != SR_UNIT_NONE)
            sr_rep_si_prefix(max_abs, sr_unit_kind_base(a->kind), a->kind == SR_UNIT_TIME, &a->mult, a->unit,
                             sizeof a->unit);
    }
    return SR_OK;
}

/* Per run: (axis, value) pairs until every axis is known. */
typedef struct kv {
    long axis, val;
} kv;

typedef struct load_ctx {
    sr_rep_exp *e;
    kv **pairs;
    size_t *n_pairs;
    size_t cap, axes_cap;
    sr_status st;
} load_ctx;

/* One ok run read back (sr_results_read_runs): its policy, parameters (interned per axis) and summary metrics. */
static int load_run(void *user, const sr_read_run *rr)
{
    load_ctx *c = user;
    sr_rep_exp *e = c->e;
    if (e->n_runs == c->cap) {
        size_t n = c->cap ? 2 * c->cap : 64;
        sr_rep_run *p = realloc(e->runs, n * sizeof *p);
        if (p) e->runs = p;
        kv **pp = realloc(c->pairs, n * sizeof *pp);
        if (pp) c->pairs = pp;
        size_t *np = realloc(c->n_pairs, n * sizeof *np);
        if (np) c->n_pairs = np;
        if (!p || !pp || !np) {
            c->st = SR_ERR_NOMEM;
            return 1;
        }
        c->cap = n;
    }
    size_t ri = e->n_runs++;
    sr_rep_run *r = &e->runs[ri];
    memset(r, 0, sizeof *r);
    c->pairs[ri] = NULL;
    c->n_pairs[ri] = 0;
    r->id = rr->id;
    r->policy = strdup(rr->policy);
    r->replication = rr->replication;
    if (!r->policy || sr_rep_strlist_intern(&e->policies, r->policy) < 0) {
        c->st = SR_ERR_NOMEM;
        return 1;
    }
    if (rr->n_params > 0) {
        c->pairs[ri] = malloc((size_t)rr->n_params * sizeof *c->pairs[ri]);
        if (!c->pairs[ri]) {
            c->st = SR_ERR_NOMEM;
            return 1;
        }
    }
    for (int i = 0; i < rr->n_params; i++) {
        long a = axis_intern(e, rr->params[i].key, &c->axes_cap);
        long v = a < 0 ? -1 : sr_rep_strlist_intern(&e->axes[a].vals, rr->params[i].value);
        if (v < 0) {
            c->st = SR_ERR_NOMEM;
            return 1;
        }
        c->pairs[ri][c->n_pairs[ri]++] = (kv){a, v};
    }
    for (size_t k = 0; k < SR_REP_N_METRICS; k++)
        r->m[k] = sr_read_run_metric(rr, sr_rep_metrics[k].name);
    return 0;
}

/* Loads the ok runs of experiment e->id with their parameters and summary metrics (through the results reader
 * that `simrun run`'s summary table also uses). */
static sr_status load_runs(sqlite3 *db, sr_rep_exp *e, FILE *log)
{
    load_ctx c = {e, NULL, NULL, 0, 0, SR_OK};
    char msg[512] = "";
    sr_status st = sr_results_read_runs(db, e->id, 1, load_run, &c, msg, sizeof msg);
    if (st == SR_OK) st = c.st;
    if (st != SR_OK && msg[0]) sr_rep_log(log, "report: %s\n", msg);
    kv **pairs = c.pairs;
    size_t *n_pairs = c.n_pairs;
    if (st != SR_OK) goto done;
    /* Axes sorted by key; each run's value index per axis. */
    long *rank = malloc((e->n_axes ? e->n_axes : 1) * sizeof *rank);
    if (!rank) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    char **before = malloc((e->n_axes ? e->n_axes : 1) * sizeof *before);
    if (!before) {
        free(rank);
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t k = 0; k < e->n_axes; k++)
        before[k] = e->axes[k].key;
    if (e->n_axes) qsort(e->axes, e->n_axes, sizeof *e->axes, cmp_axis);
    for (size_t k = 0; k < e->n_axes; k++)
        for (size_t j = 0; j < e->n_axes; j++)
            if (e->axes[j].key == before[k]) rank[k] = (long)j;
    free(before);
    for (size_t i = 0; i < e->n_runs && !st; i++) {
        e->runs[i].vi = malloc((e->n_axes ? e->n_axes : 1) * sizeof *e->runs[i].vi);
        if (!e->runs[i].vi) {
            st = SR_ERR_NOMEM;
            break;
        }
        for (size_t k = 0; k < e->n_axes; k++)
            e->runs[i].vi[k] = -1;
        for (size_t p = 0; p < n_pairs[i]; p++)
            e->runs[i].vi[rank[pairs[i][p].axis]] = (int)pairs[i][p].val;
    }
    free(rank);
    if (!st) st = finish_axes(e);
    /* Most replications of one (policy, point). */
    for (size_t i = 0; i < e->n_runs && !st; i++) {
        int n = 0;
        for (size_t j = 0; j < e->n_runs; j++) {
            if (strcmp(e->runs[i].policy, e->runs[j].policy) != 0) continue;
            size_t k = 0;
            while (k < e->n_axes && e->runs[i].vi[k] == e->runs[j].vi[k])
                k++;
            n += k == e->n_axes;
        }
        if (n > e->max_reps) e->max_reps = n;
    }
done:
    if (pairs)
        for (size_t i = 0; i < e->n_runs; i++)
            free(pairs[i]);
    free(pairs);
    free(n_pairs);
    return st;
}

/* The axis named by `by` (its key, or its last path component), -1 when none. */
static long find_axis(const sr_rep_exp *e, const char *by)
{
    for (size_t k = 0; k < e->n_axes; k++) {
        const char *key = e->axes[k].key, *dot = strrchr(key, '.');
        if (strcmp(key, by) == 0 || (dot && strcmp(dot + 1, by) == 0)) return (long)k;
    }
    return -1;
}

/* Panel axis for figures against axis x: the requested one when it varies and is not x, else the other
 * varying axis with the fewest values (first by key on ties), -1 when x is the only one. */
static long panel_axis(const sr_rep_exp *e, size_t x, long requested)
{
    if (requested >= 0 && (size_t)requested != x && e->axes[requested].varies) return requested;
    long best = -1;
    for (size_t k = 0; k < e->n_axes; k++) {
        if (k == x || !e->axes[k].varies) continue;
        if (best < 0 || e->axes[k].vals.n < e->axes[best].vals.n) best = (long)k;
    }
    return best;
}

/* The output folder and its parents; SR_ERR_INVALID (exit 2: the --out given cannot be one) when a part of the
 * path is a file or cannot be made. */
static sr_status make_dir(const char *path, FILE *log)
{
    char *p = strdup(path);
    if (!p) return SR_ERR_NOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            sr_rep_log(log, "report: cannot create %s: %s\n", p, strerror(errno));
            free(p);
            return SR_ERR_INVALID;
        }
        *s = '/';
    }
    free(p);
    struct stat sb;
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        sr_rep_log(log, "report: cannot create %s: %s\n", path, strerror(errno));
        return SR_ERR_INVALID;
    }
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        sr_rep_log(log, "report: %s is not a directory\n", path);
        return SR_ERR_INVALID;
    }
    return SR_OK;
}

sr_status sr_report_generate(const char *db_path, const char *out_dir, FILE *log)
{
    return sr_report_generate_ex(db_path, out_dir, NULL, log);
}

sr_status sr_report_generate_ex(const char *db_path, const char *out_dir, const sr_report_opts *opts,
                                FILE *log)
{
    if (!db_path || !out_dir || !out_dir[0]) return SR_ERR_INVALID;
    sr_report_opts o = {0};
    if (opts) o = *opts;
    sqlite3 *db = NULL;
    sr_status st = sr_rep_open_db("report", db_path, &db, log);
    if (st) return st;
    FILE *h = NULL;
    sqlite3_stmt *qe = NULL;
    sr_rep_exp e;
    memset(&e, 0, sizeof e);
    if (o.by) { /* checked before anything is written */
        sqlite3_stmt *q = NULL;
        int found = 0;
        if (sqlite3_prepare_v2(
                db,
                "SELECT 1 FROM runs r, json_each(r.params) j WHERE j.key NOT IN ('policy',"
                " 'replication') AND (j.key = ?1 OR substr(j.key, -length(?1) - 1) = '.' || ?1)"
                " LIMIT 1",
                -1, &q, NULL) == SQLITE_OK) {
            sqlite3_bind_text(q, 1, o.by, -1, SQLITE_STATIC);
            found = sqlite3_step(q) == SQLITE_ROW;
        }
        sqlite3_finalize(q);
        if (!found) {
            sr_rep_log(log, "report: --by %s: no experiment in %s sweeps a parameter of that name\n", o.by,
                       db_path);
            st = SR_ERR_INVALID;
            goto done;
        }
    }
    st = make_dir(out_dir, log);
    if (st) goto done;
    sr_rep_remove_stale_parts(out_dir, log); /* what a killed report left */
    h = sr_rep_open_out(out_dir, "index.html", "report", log);
    if (!h) {
        st = SR_ERR_IO;
        goto done;
    }
    sr_rep_html_head(h, db_path);
    if (sqlite3_prepare_v2(db, "SELECT id, name, hash, yaml FROM experiments ORDER BY id", -1, &qe, NULL) !=
        SQLITE_OK) {
        sr_rep_log(log, "report: %s: %s\n", db_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    int n_exp = 0;
    while (sqlite3_step(qe) == SQLITE_ROW) {
        e.id = sqlite3_column_int64(qe, 0);
        e.name = dup_col(qe, 1);
        e.hash = dup_col(qe, 2);
        e.yaml = dup_col(qe, 3);
        if (!e.name || !e.hash || !e.yaml) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        if (e.hash[0]) {
            e.base = sr_rep_sanitize(e.hash);
        } else {
            char b[32];
            snprintf(b, sizeof b, "exp%" PRId64, e.id);
            e.base = strdup(b);
        }
        if (!e.base) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        sr_rep_log(log, "report: experiment %s (%s)\n", e.name, e.hash);
        st = load_runs(db, &e, log);
        long by = -1;
        if (!st && o.by) by = find_axis(&e, o.by);
        if (!st) st = sr_rep_figure_cdf(db, &e, out_dir, log);
        for (size_t k = 0; k < e.n_axes && !st; k++) {
            if (!e.axes[k].varies) continue;
            long panels = panel_axis(&e, k, by);
            for (size_t m = 0; m < SR_REP_N_METRICS && !st; m++)
                st = sr_rep_figure_metric(&e, k, panels, m, &o, out_dir, log);
        }
        char pdf_date[15];
        sr_rep_pdf_date(db, e.id, pdf_date, log);
        if (!st) st = sr_rep_run_gnuplot(out_dir, &e.scripts, pdf_date, log);
        if (!st) {
            for (size_t i = 0; i < e.figures.n; i++)
                sr_rep_log(log, "report: wrote %s/%s.svg (.pdf, .png)\n", out_dir, e.figures.s[i]);
            st = sr_rep_html_experiment(db, h, &e);
        }
        if (st) goto done;
        exp_free(&e);
        n_exp++;
    }
    if (n_exp == 0) fputs("<p>The database holds no experiment yet.</p>\n", h);
    sr_rep_html_tail(h);
    st = sr_rep_close_out(h, out_dir, "index.html", log);
    h = NULL;
    if (!st) sr_rep_log(log, "report: wrote %s/index.html (%d experiments)\n", out_dir, n_exp);
done:
    if (h) fclose(h);
    exp_free(&e);
    sqlite3_finalize(qe);
    sqlite3_close(db);
    return st;
}
