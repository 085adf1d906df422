/* test_results_util.c: helpers shared by the results and report tests (see the header). */
#define _XOPEN_SOURCE 700
#include "test_results_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tr_mkdtemp(void)
{
    char tmpl[] = "/tmp/sr_results_test_XXXXXX";
    if (!mkdtemp(tmpl)) return NULL;
    return strdup(tmpl);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void tr_rmtree(const char *path)
{
    if (path) nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *tr_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, name);
    return p;
}

char *tr_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (size) *size = n;
    }
    return buf;
}

int tr_write_file(const char *path, const char *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t put = fwrite(data, 1, size, f);
    return (fclose(f) == 0 && put == size) ? 0 : -1;
}

void tr_make_output(sr_run_output *o, int n_frames, double base_latency_s)
{
    sr_run_output_init(o);
    for (int i = 0; i < n_frames; i++) {
        sr_frame_record f;
        memset(&f, 0, sizeof f);
        f.frame = i / 2;
        f.source = i % 2;
        snprintf(f.device, sizeof f.device, "cam%d", f.source);
        f.capture_s = 0.1 * i;
        f.queue_s = 1e-4 * (i % 3);
        f.compute_s = 2e-3;
        f.transfer_s = 3e-3;
        f.dropped = (i % 7 == 6);
        f.latency_s = f.dropped ? -1 : base_latency_s + 1e-3 * (i % 5);
        f.complete_s = f.dropped ? -1 : f.capture_s + f.latency_s;
        f.bytes_sent = 1000 + i;
        sr_run_output_add_frame(o, &f);
    }
    sr_host_stat h1 = {
        .name = "cam0", .device_class = "camera", .busy_s = 0.5, .tasks = 10, .energy_j = 1.25};
    sr_host_stat h2 = {.name = "edge0", .device_class = "edge", .busy_s = 2.0, .tasks = 20, .energy_j = 30.5};
    sr_link_stat l = {.name = "wifi_cell",
                      .type = "wifi",
                      .bw_bps = 54e6,
                      .latency_s = 2e-3,
                      .bytes = 123456,
                      .transfers = 20,
                      .energy_j = 0.75};
    sr_run_output_add_host(o, &h1);
    sr_run_output_add_host(o, &h2);
    sr_run_output_add_link(o, &l);
    o->end_s = 0.1 * n_frames + 1.0;
    sr_run_output_summarize(o, 0.0);
}

static void add_task(sr_run_output *o, const sr_frame_record *f, int task, const char *kind,
                     const char *label, const char *device, const char *dst, double ready_s, double start_s,
                     double end_s, int64_t bytes)
{
    sr_task_record t;
    memset(&t, 0, sizeof t);
    t.frame = f->frame;
    t.source = f->source;
    t.task = task;
    snprintf(t.kind, sizeof t.kind, "%s", kind);
    snprintf(t.label, sizeof t.label, "%s", label);
    snprintf(t.device, sizeof t.device, "%s", device);
    snprintf(t.dst, sizeof t.dst, "%s", dst);
    t.ready_s = ready_s;
    t.start_s = start_s;
    t.end_s = end_s;
    t.bytes = bytes;
    sr_run_output_add_task(o, &t);
}

void tr_add_tasks(sr_run_output *o)
{
    for (int source = 0; source < 2; source++) {
        for (size_t i = 0; i < o->n_frames; i++) {
            const sr_frame_record *f = &o->frames[i];
            if (f->source != source) continue;
            double t0 = f->capture_s + f->queue_s, t1 = t0 + f->compute_s / 3.0;
            add_task(o, f, 0, "compute", "head", f->device, "", f->capture_s, t0, t1, 0);
            if (f->dropped) continue;
            double t2 = t1 + f->transfer_s, t3 = t2 + f->compute_s * (2.0 / 3.0);
            add_task(o, f, 1, "transfer", "activation", f->device, "edge0", t1, t1, t2, f->bytes_sent);
            add_task(o, f, 2, "compute", "tail", "edge0", "", t2, t2, t3, 0);
        }
    }
}

static sqlite3_stmt *query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        fprintf(stderr, "bad test query %s: %s\n", sql, sqlite3_errmsg(db));
        abort();
    }
    if (sqlite3_step(s) != SQLITE_ROW) {
        fprintf(stderr, "no row for %s\n", sql);
        abort();
    }
    return s;
}

int64_t tr_query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = query(db, sql);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

double tr_query_double(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = query(db, sql);
    double v = sqlite3_column_double(s, 0);
    sqlite3_finalize(s);
    return v;
}

char *tr_query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = query(db, sql);
    const unsigned char *t = sqlite3_column_text(s, 0);
    char *v = strdup(t ? (const char *)t : "(null)");
    sqlite3_finalize(s);
    return v;
}
