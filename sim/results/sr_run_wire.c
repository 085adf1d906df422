/* sr_run_wire.c: encoding of one finished run point (see sr_run_wire.h).
 *
 * Layout: "SRW1", the sr_run_wire struct with its strings terminated, end_s, then five arrays (frames, tasks,
 * links, hosts, metrics), each as u64 element size, u64 count, and count * size bytes. The element size lets
 * the decoder refuse a buffer of another build instead of misreading it. */
#include "sr_run_wire.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char k_magic[4] = {'S', 'R', 'W', '1'};

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int failed;
} wbuf;

static void put(wbuf *b, const void *data, size_t n)
{
    if (b->failed || n == 0) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_array(wbuf *b, const void *arr, size_t count, size_t elem_size)
{
    uint64_t h[2] = {elem_size, count};
    put(b, h, sizeof h);
    put(b, arr, count * elem_size);
}

sr_status sr_run_wire_encode(const sr_run_wire *w, const sr_run_output *out, uint8_t **buf, size_t *n)
{
    assert(w && buf && n);
    *buf = NULL, *n = 0;
    sr_run_wire copy = *w;
    copy.net_model[sizeof copy.net_model - 1] = '\0';
    copy.error[sizeof copy.error - 1] = '\0';
    sr_run_output empty;
    sr_run_output_init(&empty);
    if (!out) out = &empty;
    wbuf b = {0};
    put(&b, k_magic, sizeof k_magic);
    put(&b, &copy, sizeof copy);
    put(&b, &out->end_s, sizeof out->end_s);
    put_array(&b, out->frames, out->n_frames, sizeof *out->frames);
    put_array(&b, out->tasks, out->n_tasks, sizeof *out->tasks);
    put_array(&b, out->links, out->n_links, sizeof *out->links);
    put_array(&b, out->hosts, out->n_hosts, sizeof *out->hosts);
    put_array(&b, out->metrics, out->n_metrics, sizeof *out->metrics);
    if (b.failed) {
        free(b.p);
        return SR_ERR_NOMEM;
    }
    *buf = b.p, *n = b.n;
    return SR_OK;
}

typedef struct rbuf {
    const uint8_t *p;
    size_t n, at;
} rbuf;

static int take(rbuf *r, void *dst, size_t n)
{
    if (n > r->n - r->at) return -1;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 0;
}

/* Reads one array of elements of elem_size bytes into a new allocation (*arr, *count, *cap). */
static int take_array(rbuf *r, void **arr, size_t *count, size_t *cap, size_t elem_size)
{
    uint64_t h[2];
    if (take(r, h, sizeof h) || h[0] != elem_size) return -1;
    if (h[1] > (r->n - r->at) / elem_size) return -1;
    size_t bytes = (size_t)h[1] * elem_size;
    if (bytes == 0) return 0;
    void *p = malloc(bytes);
    if (!p) return -1;
    memcpy(p, r->p + r->at, bytes);
    r->at += bytes;
    free(*arr);
    *arr = p;
    *count = *cap = (size_t)h[1];
    return 0;
}

sr_status sr_run_wire_decode(const uint8_t *buf, size_t n, sr_run_wire *w, sr_run_output *out)
{
    assert(w && out);
    rbuf r = {buf, buf ? n : 0, 0};
    char magic[4];
    if (take(&r, magic, sizeof magic) || memcmp(magic, k_magic, sizeof magic) != 0) return SR_ERR_CORRUPT;
    if (take(&r, w, sizeof *w) || take(&r, &out->end_s, sizeof out->end_s)) return SR_ERR_CORRUPT;
    w->net_model[sizeof w->net_model - 1] = '\0';
    w->error[sizeof w->error - 1] = '\0';
    if (take_array(&r, (void **)&out->frames, &out->n_frames, &out->cap_frames, sizeof *out->frames) ||
        take_array(&r, (void **)&out->tasks, &out->n_tasks, &out->cap_tasks, sizeof *out->tasks) ||
        take_array(&r, (void **)&out->links, &out->n_links, &out->cap_links, sizeof *out->links) ||
        take_array(&r, (void **)&out->hosts, &out->n_hosts, &out->cap_hosts, sizeof *out->hosts) ||
        take_array(&r, (void **)&out->metrics, &out->n_metrics, &out->cap_metrics, sizeof *out->metrics) ||
        r.at != r.n)
        return SR_ERR_CORRUPT;
    /* the strings of every record end inside their field, whatever the bytes said */
    for (size_t i = 0; i < out->n_frames; i++)
        out->frames[i].device[sizeof out->frames[i].device - 1] = '\0';
    for (size_t i = 0; i < out->n_tasks; i++) {
        sr_task_record *t = &out->tasks[i];
        t->kind[sizeof t->kind - 1] = t->label[sizeof t->label - 1] = '\0';
        t->device[sizeof t->device - 1] = t->dst[sizeof t->dst - 1] = '\0';
    }
    for (size_t i = 0; i < out->n_links; i++) {
        out->links[i].name[sizeof out->links[i].name - 1] = '\0';
        out->links[i].type[sizeof out->links[i].type - 1] = '\0';
    }
    for (size_t i = 0; i < out->n_hosts; i++) {
        out->hosts[i].name[sizeof out->hosts[i].name - 1] = '\0';
        out->hosts[i].device_class[sizeof out->hosts[i].device_class - 1] = '\0';
    }
    for (size_t i = 0; i < out->n_metrics; i++) {
        out->metrics[i].name[sizeof out->metrics[i].name - 1] = '\0';
        out->metrics[i].unit[sizeof out->metrics[i].unit - 1] = '\0';
    }
    return SR_OK;
}
