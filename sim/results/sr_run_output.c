/* sr_run_output.c: the growable arrays of one run point's output and their summary metrics.
 *
 * The engine appends per-frame records, per-task records (each compute and transfer of a frame) and per-link
 * / per-host statistics; sr_run_output_summarize() turns the frame records into the summary metrics stored
 * with every run (see docs/db-schema.md).
 *
 * Summary definitions (warmup = the warmup_s argument, end = o->end_s):
 * - the measurement window is every frame captured at or after warmup (capture_s >= warmup_s);
 *   frames_total, frames_completed, frames_dropped, frames_failed, frames_late, drop_rate and the latency
 *   statistics count only frames in the window. A frame is completed when it is not flagged dropped and its
 *   latency is >= 0 (late frames are completed too, and also counted in frames_late); a frame that is neither
 *   completed nor failed (outcome "failed") is dropped.
 * - latency_mean_s is the arithmetic mean, latency_max_s the maximum of the completed frames' latencies;
 *   latency_p50_s / p95_s / p99_s use linear interpolation between closest ranks (numpy's default
 *   "linear" method): with the n latencies sorted x[0] <= ... <= x[n-1], h = (n-1) p and
 *   q = x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 * - throughput_fps = frames_completed / (end - warmup); 0 when end <= warmup.
 * - bytes_total and energy_total_j are whole-run resource totals: bytes_total sums bytes_sent of every
 *   frame record (warmup and dropped frames included); energy_total_j sums the energy of every host and
 *   every link (it is added only when the run output does not already carry it).
 * Statistics that are undefined (no frame, no completed frame) are NaN, stored as NULL in the database. */
#include "sr_run_output.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sr_run_output_init(sr_run_output *o)
{
    assert(o);
    memset(o, 0, sizeof *o);
}

void sr_run_output_clear(sr_run_output *o)
{
    if (!o) return;
    free(o->frames);
    free(o->tasks);
    free(o->links);
    free(o->hosts);
    free(o->metrics);
    sr_run_output_init(o);
}

/* Makes room for one more element in *arr (elements of elem_size bytes, *n used, *cap allocated). */
static sr_status grow(void **arr, size_t *n, size_t *cap, size_t elem_size)
{
    if (*n < *cap) return SR_OK;
    size_t new_cap = *cap ? *cap * 2 : 64;
    if (new_cap < *cap || new_cap > SIZE_MAX / elem_size) return SR_ERR_NOMEM;
    void *p = realloc(*arr, new_cap * elem_size);
    if (!p) return SR_ERR_NOMEM;
    *arr = p;
    *cap = new_cap;
    return SR_OK;
}

/* Copies src into a fixed-size field, truncating and always terminating. */
static void copy_name(char *dst, size_t dst_size, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= dst_size) len = dst_size - 1;
    if (len) memcpy(dst, src, len);
    dst[len] = '\0';
}

sr_status sr_run_output_add_frame(sr_run_output *o, const sr_frame_record *r)
{
    assert(o && r);
    sr_status st = grow((void **)&o->frames, &o->n_frames, &o->cap_frames, sizeof *o->frames);
    if (st) return st;
    o->frames[o->n_frames] = *r;
    o->frames[o->n_frames].device[sizeof r->device - 1] = '\0';
    o->n_frames++;
    return SR_OK;
}

/* Terminates the strings of a copied task record. */
static void terminate_task(sr_task_record *t)
{
    t->kind[sizeof t->kind - 1] = '\0';
    t->label[sizeof t->label - 1] = '\0';
    t->device[sizeof t->device - 1] = '\0';
    t->dst[sizeof t->dst - 1] = '\0';
}

sr_status sr_run_output_add_task(sr_run_output *o, const sr_task_record *r)
{
    assert(o && r);
    sr_status st = grow((void **)&o->tasks, &o->n_tasks, &o->cap_tasks, sizeof *o->tasks);
    if (st) return st;
    o->tasks[o->n_tasks] = *r;
    terminate_task(&o->tasks[o->n_tasks]);
    o->n_tasks++;
    return SR_OK;
}

sr_status sr_run_output_add_tasks(sr_run_output *o, const sr_task_record *r, size_t n)
{
    assert(o && (r || n == 0));
    if (n == 0) return SR_OK;
    if (n > SIZE_MAX / sizeof *o->tasks - o->n_tasks) return SR_ERR_NOMEM;
    size_t need = o->n_tasks + n;
    if (need > o->cap_tasks) {
        size_t cap = o->cap_tasks ? o->cap_tasks : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / sizeof *o->tasks / 2 ? need : 2 * cap;
        sr_task_record *p = realloc(o->tasks, cap * sizeof *p);
        if (!p) return SR_ERR_NOMEM;
        o->tasks = p;
        o->cap_tasks = cap;
    }
    memcpy(o->tasks + o->n_tasks, r, n * sizeof *r);
    for (size_t i = 0; i < n; i++)
        terminate_task(&o->tasks[o->n_tasks + i]);
    o->n_tasks = need;
    return SR_OK;
}

sr_status sr_run_output_add_link(sr_run_output *o, const sr_link_stat *s)
{
    assert(o && s);
    sr_status st = grow((void **)&o->links, &o->n_links, &o->cap_links, sizeof *o->links);
    if (st) return st;
    o->links[o->n_links] = *s;
    o->links[o->n_links].name[sizeof s->name - 1] = '\0';
    o->links[o->n_links].type[sizeof s->type - 1] = '\0';
    o->n_links++;
    return SR_OK;
}

sr_status sr_run_output_add_host(sr_run_output *o, const sr_host_stat *s)
{
    assert(o && s);
    sr_status st = grow((void **)&o->hosts, &o->n_hosts, &o->cap_hosts, sizeof *o->hosts);
    if (st) return st;
    o->hosts[o->n_hosts] = *s;
    o->hosts[o->n_hosts].name[sizeof s->name - 1] = '\0';
    o->hosts[o->n_hosts].device_class[sizeof s->device_class - 1] = '\0';
    o->n_hosts++;
    return SR_OK;
}

/* A metric name is unique within a run: adding a name that is already there replaces its value and
 * unit (so summarizing twice does not duplicate rows). Names longer than the field are an error. */
sr_status sr_run_output_add_metric(sr_run_output *o, const char *name, double value, const char *unit)
{
    assert(o);
    if (!name || !name[0] || strlen(name) >= sizeof o->metrics[0].name) return SR_ERR_INVALID;
    if (unit && strlen(unit) >= sizeof o->metrics[0].unit) return SR_ERR_INVALID;
    for (size_t i = 0; i < o->n_metrics; i++) {
        if (strcmp(o->metrics[i].name, name) == 0) {
            o->metrics[i].value = value;
            copy_name(o->metrics[i].unit, sizeof o->metrics[i].unit, unit ? unit : "");
            return SR_OK;
        }
    }
    sr_status st = grow((void **)&o->metrics, &o->n_metrics, &o->cap_metrics, sizeof *o->metrics);
    if (st) return st;
    sr_metric *m = &o->metrics[o->n_metrics++];
    copy_name(m->name, sizeof m->name, name);
    m->value = value;
    copy_name(m->unit, sizeof m->unit, unit ? unit : "");
    return SR_OK;
}

sr_status sr_run_output_metric(const sr_run_output *o, const char *name, double *value)
{
    assert(o && name && value);
    for (size_t i = 0; i < o->n_metrics; i++) {
        if (strcmp(o->metrics[i].name, name) == 0) {
            *value = o->metrics[i].value;
            return SR_OK;
        }
    }
    return SR_ERR_NOT_FOUND;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolation percentile of sorted x[0..n-1] (numpy's default), p in [0, 1]. */
static double percentile_sorted(const double *x, size_t n, double p)
{
    if (n == 0) return NAN;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

sr_status sr_run_output_summarize(sr_run_output *o, double warmup_s)
{
    assert(o);
    size_t total = 0, completed = 0, dropped = 0, failed = 0, late = 0;
    int64_t bytes_total = 0;
    for (size_t i = 0; i < o->n_frames; i++) {
        const sr_frame_record *f = &o->frames[i];
        bytes_total += f->bytes_sent;
        if (!(f->capture_s >= warmup_s)) continue;
        total++;
        if (!f->dropped && f->latency_s >= 0)
            completed++;
        else if (strcmp(f->outcome, "failed") == 0)
            failed++;
        else
            dropped++;
        if (strcmp(f->outcome, "late") == 0) late++;
    }
    double *lat = NULL;
    if (completed) {
        lat = malloc(completed * sizeof *lat);
        if (!lat) return SR_ERR_NOMEM;
    }
    size_t k = 0;
    double sum = 0;
    for (size_t i = 0; i < o->n_frames; i++) {
        const sr_frame_record *f = &o->frames[i];
        if (f->capture_s >= warmup_s && !f->dropped && f->latency_s >= 0) {
            lat[k++] = f->latency_s;
            sum += f->latency_s;
        }
    }
    assert(k == completed);
    if (completed) qsort(lat, completed, sizeof *lat, cmp_double);

    double window_s = o->end_s - warmup_s;
    struct {
        const char *name;
        double value;
        const char *unit;
    } m[] = {
        {"frames_total", (double)total, "1"},
        {"frames_completed", (double)completed, "1"},
        {"frames_dropped", (double)dropped, "1"},
        {"drop_rate", total ? (double)dropped / (double)total : NAN, "1"},
        {"latency_mean_s", completed ? sum / (double)completed : NAN, "s"},
        {"latency_p50_s", percentile_sorted(lat, completed, 0.50), "s"},
        {"latency_p95_s", percentile_sorted(lat, completed, 0.95), "s"},
        {"latency_p99_s", percentile_sorted(lat, completed, 0.99), "s"},
        {"latency_max_s", completed ? lat[completed - 1] : NAN, "s"},
        {"throughput_fps", window_s > 0 ? (double)completed / window_s : 0.0, "fps"},
        {"bytes_total", (double)bytes_total, "B"},
        {"frames_failed", (double)failed, "1"},
        {"frames_late", (double)late, "1"},
    };
    free(lat);
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        sr_status st = sr_run_output_add_metric(o, m[i].name, m[i].value, m[i].unit);
        if (st) return st;
    }
    double energy = 0;
    if (sr_run_output_metric(o, "energy_total_j", &energy) == SR_ERR_NOT_FOUND) {
        for (size_t i = 0; i < o->n_hosts; i++)
            energy += o->hosts[i].energy_j;
        for (size_t i = 0; i < o->n_links; i++)
            energy += o->links[i].energy_j;
        sr_status st = sr_run_output_add_metric(o, "energy_total_j", energy, "J");
        if (st) return st;
    }
    return SR_OK;
}
