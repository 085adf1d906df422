/* sr_timeline.c: a run's frame_tasks rows as Chrome / Perfetto trace JSON (sr_timeline.h). */
#include "sr_timeline.h"

#include "sr_file.h"
#include "sr_report_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct task {
    int64_t source, frame, task, bytes;
    char *label, *device, *dst;
    int transfer;
    double ready_s, start_s, end_s;
    int tid; /* thread (track lane) it is drawn on */
} task;

typedef struct lane {
    long track;   /* index into tracks */
    double end_s; /* end of its last slice */
    int index;    /* 1-based lane number within its track */
} lane;

static int cmp_frame_order(const void *a, const void *b)
{
    const task *x = *(const task *const *)a, *y = *(const task *const *)b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    if (x->start_s != y->start_s) return x->start_s < y->start_s ? -1 : 1;
    return (x->task > y->task) - (x->task < y->task);
}

static void free_tasks(task *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(t[i].label);
        free(t[i].device);
        free(t[i].dst);
    }
    free(t);
}

static char *col_text(sqlite3_stmt *q, int i)
{
    const unsigned char *s = sqlite3_column_text(q, i);
    return strdup(s ? (const char *)s : "");
}

/* Loads the run's tasks in order of start time (ties: source, frame, task). */
static sr_status load_tasks(sqlite3 *db, int64_t run_id, task **out, size_t *n_out, FILE *log)
{
    sqlite3_stmt *q = NULL;
    task *t = NULL;
    size_t n = 0, cap = 0;
    sr_status st = SR_OK;
    if (sqlite3_prepare_v2(
            db,
            "SELECT source, frame, task, kind, label, device, dst, ready_s, start_s, end_s, bytes"
            " FROM frame_tasks WHERE run_id = ?1 ORDER BY start_s, source, frame, task",
            -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "trace: cannot read frame_tasks: %s\n", sqlite3_errmsg(db));
        return SR_ERR_DB;
    }
    sqlite3_bind_int64(q, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            size_t c = cap ? 2 * cap : 256;
            task *p = realloc(t, c * sizeof *p);
            if (!p) {
                st = SR_ERR_NOMEM;
                goto done;
            }
            t = p;
            cap = c;
        }
        task *k = &t[n++];
        memset(k, 0, sizeof *k);
        k->source = sqlite3_column_int64(q, 0);
        k->frame = sqlite3_column_int64(q, 1);
        k->task = sqlite3_column_int64(q, 2);
        const unsigned char *kind = sqlite3_column_text(q, 3);
        k->transfer = kind && strcmp((const char *)kind, "transfer") == 0;
        k->label = col_text(q, 4);
        k->device = col_text(q, 5);
        k->dst = col_text(q, 6);
        k->ready_s = sqlite3_column_double(q, 7);
        k->start_s = sqlite3_column_double(q, 8);
        k->end_s = sqlite3_column_double(q, 9);
        k->bytes = sqlite3_column_int64(q, 10);
        if (!k->label || !k->device || !k->dst) {
            st = SR_ERR_NOMEM;
            goto done;
        }
    }
    if (rc != SQLITE_DONE) {
        sr_rep_log(log, "trace: cannot read frame_tasks: %s\n", sqlite3_errmsg(db));
        st = SR_ERR_DB;
    }
done:
    sqlite3_finalize(q);
    if (st) {
        free_tasks(t, n);
        return st;
    }
    *out = t;
    *n_out = n;
    return SR_OK;
}

static void write_us(FILE *f, double s)
{
    fprintf(f, "%.3f", s * 1e6);
}

/* A flow event of phase ph ("s", "t", "f") bound to task k's slice (at its middle). */
static void write_flow(FILE *f, const task *k, const char *ph, long id)
{
    fprintf(f,
            ",\n{\"ph\":\"%s\",\"id\":%ld,\"name\":\"frame\",\"cat\":\"frame\",\"pid\":%d,\"tid\":%d,\"ts\":",
            ph, id, k->transfer ? 2 : 1, k->tid);
    write_us(f, k->start_s + 0.5 * (k->end_s - k->start_s));
    fputs(strcmp(ph, "f") == 0 ? ",\"bp\":\"e\"}" : "}", f);
}

sr_status sr_timeline_write(const char *db_path, int64_t run_id, const char *out_path, FILE *log)
{
    if (!db_path || !out_path) return SR_ERR_INVALID;
    sqlite3 *db = NULL;
    sr_status st = sr_rep_open_db("trace", db_path, &db, log);
    if (st) return st;
    sqlite3_stmt *q = NULL;
    task *t = NULL, **by_frame = NULL;
    size_t n = 0;
    sr_rep_strlist tracks = {0};
    lane *lanes = NULL;
    size_t n_lanes = 0;
    char *exp_name = NULL, *policy = NULL, *params = NULL;
    FILE *f = NULL;
    int to_stdout = strcmp(out_path, "-") == 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT e.name, r.policy, r.params FROM runs r JOIN experiments e"
                           " ON e.id = r.experiment_id WHERE r.id = ?1",
                           -1, &q, NULL) != SQLITE_OK) {
        sr_rep_log(log, "trace: %s: %s\n", db_path, sqlite3_errmsg(db));
        st = SR_ERR_DB;
        goto done;
    }
    sqlite3_bind_int64(q, 1, run_id);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sr_rep_log(log,
                   "trace: %s has no run %" PRId64 " (`sqlite3 %s 'SELECT id, policy, params FROM runs'`)\n",
                   db_path, run_id, db_path);
        st = SR_ERR_NOT_FOUND;
        goto done;
    }
    exp_name = col_text(q, 0);
    policy = col_text(q, 1);
    params = col_text(q, 2);
    sqlite3_finalize(q);
    q = NULL;
    if (!exp_name || !policy || !params) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    int has_table = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'frame_tasks'",
                           -1, &q, NULL) == SQLITE_OK)
        has_table = sqlite3_step(q) == SQLITE_ROW;
    sqlite3_finalize(q);
    q = NULL;
    if (has_table) st = load_tasks(db, run_id, &t, &n, log);
    if (st) goto done;
    if (n == 0) {
        sr_rep_log(log,
                   "trace: run %" PRId64 " of %s has no per-task records (frame_tasks); they are written when"
                   " the experiment sets metrics: { frames: true }\n",
                   run_id, db_path);
        st = SR_ERR_NOT_FOUND;
        goto done;
    }

    /* Tracks and lanes: tasks in start order, each on the first lane of its track that is free. */
    size_t lanes_cap = 0;
    for (size_t i = 0; i < n; i++) {
        task *k = &t[i];
        char key[600];
        snprintf(key, sizeof key, "%c%s%s%s", k->transfer ? 'T' : 'C', k->device, k->transfer ? " -> " : "",
                 k->transfer ? k->dst : "");
        long tr = sr_rep_strlist_intern(&tracks, key);
        if (tr < 0) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        long pick = -1;
        int count = 0;
        for (size_t l = 0; l < n_lanes; l++) {
            if (lanes[l].track != tr) continue;
            count++;
            if (pick < 0 && lanes[l].end_s <= k->start_s) pick = (long)l;
        }
        if (pick < 0) {
            if (n_lanes == lanes_cap) {
                size_t c = lanes_cap ? 2 * lanes_cap : 16;
                lane *p = realloc(lanes, c * sizeof *p);
                if (!p) {
                    st = SR_ERR_NOMEM;
                    goto done;
                }
                lanes = p;
                lanes_cap = c;
            }
            lanes[n_lanes] = (lane){.track = tr, .end_s = k->start_s, .index = count + 1};
            pick = (long)n_lanes++;
        }
        if (k->end_s > lanes[pick].end_s) lanes[pick].end_s = k->end_s;
        k->tid = (int)pick + 1;
    }

    if (to_stdout)
        f = stdout;
    else if (!(f = fopen(out_path, "w"))) {
        sr_rep_log(log, "trace: cannot write %s\n", out_path);
        st = SR_ERR_IO;
        goto done;
    }
    fputs("{\"displayTimeUnit\":\"ms\",\"otherData\":{\"generator\":\"simrun trace\",\"run\":", f);
    fprintf(f, "%" PRId64 ",\"experiment\":", run_id);
    sr_fputs_json_string(exp_name, f);
    fputs(",\"policy\":", f);
    sr_fputs_json_string(policy, f);
    fputs(",\"params\":", f);
    sr_fputs_json_string(params, f);
    fputs(",\"time\":\"simulated microseconds\"},\n\"traceEvents\":[\n", f);
    fputs("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"devices\"}},\n"
          "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":1,\"tid\":0,\"args\":{\"sort_index\":1}},\n"
          "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":2,\"tid\":0,\"args\":{\"name\":\"transfers\"}},\n"
          "{\"ph\":\"M\",\"name\":\"process_sort_index\",\"pid\":2,\"tid\":0,\"args\":{\"sort_index\":2}}",
          f);
    for (size_t l = 0; l < n_lanes; l++) {
        const char *key = tracks.s[lanes[l].track];
        int many = 0;
        for (size_t m = 0; m < n_lanes; m++)
            many |= lanes[m].track == lanes[l].track && lanes[m].index > 1;
        char name[640];
        if (many)
            snprintf(name, sizeof name, "%s #%d", key + 1, lanes[l].index);
        else
            snprintf(name, sizeof name, "%s", key + 1);
        int pid = key[0] == 'T' ? 2 : 1;
        fprintf(f,
                ",\n{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%zu,\"args\":{\"name\":", pid,
                l + 1);
        sr_fputs_json_string(name, f);
        fprintf(f,
                "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%zu,\"args\":{\"sort_"
                "index\":%zu}}",
                pid, l + 1, l + 1);
    }
    for (size_t i = 0; i < n; i++) {
        const task *k = &t[i];
        fputs(",\n{\"ph\":\"X\",\"name\":", f);
        sr_fputs_json_string(k->label[0] ? k->label : k->transfer ? "transfer" : "compute", f);
        fprintf(f, ",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d,\"ts\":", k->transfer ? "transfer" : "compute",
                k->transfer ? 2 : 1, k->tid);
        /* dur from the rounded ends, so slices that touch in the simulation touch in the trace */
        double ts_us = round(k->start_s * 1e9) / 1e3, end_us = round(k->end_s * 1e9) / 1e3;
        fprintf(f, "%.3f,\"dur\":%.3f", ts_us, end_us - ts_us);
        fprintf(f,
                ",\"args\":{\"source\":%" PRId64 ",\"frame\":%" PRId64 ",\"task\":%" PRId64
                ",\"bytes\":%" PRId64 ",\"wait_us\":",
                k->source, k->frame, k->task, k->bytes);
        write_us(f, k->start_s - k->ready_s);
        if (k->transfer) {
            fputs(",\"dst\":", f);
            sr_fputs_json_string(k->dst, f);
        }
        fputs("}}", f);
    }
    /* Flows: one per frame with two or more tasks, along its tasks in start order. */
    by_frame = malloc(n * sizeof *by_frame);
    if (!by_frame) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        by_frame[i] = &t[i];
    qsort(by_frame, n, sizeof *by_frame, cmp_frame_order);
    long flow = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && by_frame[j]->source == by_frame[i]->source &&
               by_frame[j]->frame == by_frame[i]->frame)
            j++;
        if (j - i >= 2) {
            flow++;
            for (size_t k = i; k < j; k++)
                write_flow(f, by_frame[k], k == i ? "s" : k + 1 == j ? "f" : "t", flow);
        }
        i = j;
    }
    fputs("\n]}\n", f);
    if (!to_stdout) {
        int bad = ferror(f);
        if (fclose(f) != 0 || bad) {
            f = NULL;
            sr_rep_log(log, "trace: error writing %s\n", out_path);
            remove(out_path);
            st = SR_ERR_IO;
            goto done;
        }
    } else if (fflush(f) != 0) {
        st = SR_ERR_IO;
    }
    f = NULL;
    sr_rep_log(log, "trace: run %" PRId64 ": %zu tasks on %zu tracks, %ld frame flows -> %s\n", run_id, n,
               n_lanes, flow, out_path);
done:
    if (f && !to_stdout) {
        fclose(f);
        remove(out_path);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    free_tasks(t, n);
    free(by_frame);
    free(lanes);
    sr_rep_strlist_free(&tracks);
    free(exp_name);
    free(policy);
    free(params);
    return st;
}
