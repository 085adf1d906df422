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
