/* sr_emulate.c: a run point on the emulated testbed (sr_emulate.h).
 *
 *   parent   prepares (engine view, nodes, links, quotas, arrival times), builds the testbed, forks one device
 *            process per node, starts them at one instant t0, collects their task records from one pipe,
 *            stops them, tears down, and turns the records into the engine's run output;
 *   device   (in its namespace and cgroup) connects to its peers, renders its sources' frames, then runs: the
 *            main thread captures frames at their times, one compute thread runs compute tasks FIFO, one
 *            sender thread per peer sends transfers FIFO, one receiver thread per peer receives them.
 * Records are fixed-size structs written with one write() each (smaller than PIPE_BUF: atomic). */
#define _GNU_SOURCE
#include "sr_emulate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_engine_view.h"
#include "sr_exact.h"
#include "sr_exec.h"
#include "sr_testbed.h"
#include "video.h"

#define EMU_PORT 7411
#define EMU_MAGIC 0x53524d55u /* "SRMU" */
#define EMU_MAX_FRAMES 400

enum { REC_READY = 1, REC_TASK, REC_DROP, REC_FAIL };
enum { PAY_FILL, PAY_FP32, PAY_INT8, PAY_CODED, PAY_NOTIFY };

typedef struct emu_rec {
    int32_t type, source, task, node;
    int64_t frame;
    double ready_s, start_s, end_s;
    int64_t bytes;
} emu_rec;

typedef struct emu_hdr {
    uint32_t magic, kind, ack, pad; /* ack: the sender waits for one byte back once the payload is in */
    int32_t source, task;
    int64_t frame;
    double ready_s, start_s, scale;
    uint64_t len;
} emu_hdr;

typedef struct emu_src {
    sr_view_source v;
    const sr_source_spec *spec;
    int n_tasks;
    int *node, *dnode; /* per task: the node that starts it, the node where it completes */
    int *n_preds, *succ_first, *succ;
    int cut, coded, n_nodes_model;
    const char *pipeline;
    int64_t act_n, in_n;
    int ac, ah, aw, mc, mh, mw;
    double *arrival_s;
    int n_cap;     /* frames it captures (<= the emulation's n_frames) */
    int max_queue; /* of the source's device */
} emu_src;

typedef struct emu {
    const sr_experiment *e;
    sr_engine_view *view;
    const sr_topology *topo;
    int n_nodes, n_links;
    int *node_host, *host_node;
    int *stop_and_wait; /* per node: its connections carry one transfer at a time (max_in_flight 1) */
    sr_tb_link *links;
    int *pair_link; /* n_nodes x n_nodes -> link, -1 */
    int *conn;      /* n_nodes x n_nodes: 1 when a sends to b */
    emu_src *src;
    int n_src, n_frames;
    sr_testbed *tb;
    double t0;
    int rec_w;
} emu;

static volatile sig_atomic_t g_stop;

void sr_emulate_stop(void)
{
    g_stop = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_until(double t)
{
    for (;;) {
        double d = t - now_s();
        if (d <= 0) return;
        struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int io_all(int fd, void *buf, size_t n, int rd)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = rd ? read(fd, p, n) : write(fd, p, n); /* SIGPIPE is ignored while emulating */
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------------ */
/* The model's prefix 0..last as a graph of its own (the tail after a cut is sr_codectab_tail_create's). */

static sr_status prefix_create(const sr_graph *g, const sr_weights *w, int last, sr_graph **pg, sr_weights **pw,
                               char *err, size_t err_size)
{
    *pg = NULL;
    *pw = NULL;
    char name[SR_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.head", sr_graph_name(g));
    sr_status st = sr_graph_create(name, pg);
    for (int id = 0; id <= last && st == SR_OK; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        int nid = nd->op == SR_OP_INPUT   ? sr_graph_add_input(*pg, nd->name, nd->out)
                  : nd->op == SR_OP_CONST ? sr_graph_add_const(*pg, nd->name, nd->out)
                                          : sr_graph_add(*pg, nd->op, nd->name, nd->inputs, nd->n_inputs, &nd->attr);
        if (nid != id) st = nid < 0 ? (sr_status)nid : SR_ERR_INVALID;
    }
    if (st == SR_OK) st = sr_graph_infer(*pg, err, err_size);
    if (st == SR_OK) st = sr_weights_create(*pg, pw);
    for (int id = 0; id <= last && st == SR_OK; id++)
        for (int r = 0; r < SR_PARAM_ROLE_COUNT; r++) {
            int64_t ns = 0, nd = 0;
            const float *a = sr_weights_get_const(w, id, (sr_param_role)r, &ns);
            float *b = sr_weights_get(*pw, id, (sr_param_role)r, &nd);
            if (!a && !b) continue;
            if (!a || !b || ns != nd) {
                st = SR_ERR_SHAPE;
                break;
            }
            memcpy(b, a, sizeof(float) * (size_t)ns);
        }
    if (st != SR_OK) {
        if (err && err_size && !err[0])
            sr_errf(err, err_size, "the layers 0..%d of '%s' as a graph: %s", last, sr_graph_name(g),
                    sr_status_message(st));
        sr_graph_free(*pg);
        sr_weights_free(*pw);
        *pg = NULL;
        *pw = NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------------------------------ */
/* Device process. */

typedef struct dev_job {
    int *pending;
    double *ready_s;
    float *act;  /* sender: the activation at the cut */
    uint8_t *coded;
    size_t coded_n;
    float *recv; /* receiver: what the layers after the cut start from */
    int dropped;
} dev_job;

typedef struct dev_item {
    int src, task, notify;
    int64_t frame;
} dev_item;

typedef struct dev_queue {
    dev_item *q;
    size_t head, n, cap;
    pthread_cond_t cv;
} dev_queue;

typedef struct dev dev;
typedef struct dev_peer {
    dev *d;
    int node, out_fd, in_fd;
    dev_queue q;
} dev_peer;

struct dev {
    emu *m;
    int node;
    pthread_mutex_t mu;
    dev_job *jobs; /* n_src x n_frames */
    dev_queue compute;
    dev_peer *peer; /* n_nodes */
    sr_graph **head_g, **tail_g;
    sr_weights **head_w, **tail_w;
    sr_exec **head, **tail, **full;
    sr_codec **enc, **dec;
    float **frames; /* per source: n_frames x in_n, when this node computes layer 0 */
};

static void dev_fail(dev *d, const char *what)
{
    fprintf(stderr, "simrun emulate: device %s: %s\n",
            sr_topology_host_at(d->m->topo, d->m->node_host[d->node])->name, what);
    emu_rec r = {.type = REC_FAIL, .node = d->node};
    if (write(d->m->rec_w, &r, sizeof r) != sizeof r) _exit(3);
    _exit(3);
}

static void q_push(dev *d, dev_queue *q, dev_item it)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        dev_item *nq = malloc(cap * sizeof *nq);
        if (!nq) dev_fail(d, "out of memory");
        for (size_t i = 0; i < q->n; i++)
            nq[i] = q->q[(q->head + i) % q->cap];
        free(q->q);
        q->q = nq;
        q->head = 0;
        q->cap = cap;
    }
    q->q[(q->head + q->n) % q->cap] = it;
    q->n++;
    pthread_cond_signal(&q->cv);
}

static dev_item q_pop(dev *d, dev_queue *q)
{
    while (q->n == 0)
        pthread_cond_wait(&q->cv, &d->mu);
    dev_item it = q->q[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return it;
}

static dev_job *job_of(dev *d, int s, int64_t k)
{
    return &d->jobs[(size_t)s * (size_t)d->m->n_frames + (size_t)k];
}

static void send_rec(dev *d, int type, int s, int64_t k, int task, double ready, double start, double end,
                     int64_t bytes)
{
    emu_rec r = {type, s, task, d->node, k, ready - d->m->t0, start - d->m->t0, end - d->m->t0, bytes};
    if (write(d->m->rec_w, &r, sizeof r) != sizeof r) _exit(3);
}

static void make_ready(dev *d, int s, int64_t k, int t, double now);

typedef struct delay_arg {
    dev *d;
    int s, t;
    int64_t k;
    double seconds;
} delay_arg;

static void complete(dev *d, int s, int64_t k, int t, double ready, double start, double end, int64_t bytes);

static void *delay_main(void *p)
{
    delay_arg a = *(delay_arg *)p;
    free(p);
    double start = now_s();
    sleep_until(start + a.seconds);
    pthread_mutex_lock(&a.d->mu);
    complete(a.d, a.s, a.k, a.t, job_of(a.d, a.s, a.k)->ready_s[a.t], start, now_s(), 0);
    pthread_mutex_unlock(&a.d->mu);
    return NULL;
}

/* With d->mu held. */
static void make_ready(dev *d, int s, int64_t k, int t, double now)
{
    dev_job *j = job_of(d, s, k);
    if (j->dropped) return;
    j->ready_s[t] = now;
    const sr_plan_task *pt = sr_plan_task_at(d->m->src[s].v.plan, t);
    dev_item it = {s, t, 0, k};
    switch (pt->kind) {
    case SR_TASK_COMPUTE:
        q_push(d, &d->compute, it);
        break;
    case SR_TASK_TRANSFER:
        q_push(d, &d->peer[d->m->src[s].dnode[t]].q, it);
        break;
    case SR_TASK_DELAY: {
        delay_arg *a = malloc(sizeof *a);
        pthread_t th;
        if (!a) dev_fail(d, "out of memory");
        *a = (delay_arg){d, s, t, k, pt->seconds};
        if (pthread_create(&th, NULL, delay_main, a) != 0) dev_fail(d, "cannot start a thread");
        pthread_detach(th);
        break;
    }
    case SR_TASK_KIND_COUNT:
        break;
    }
}

static void dep_done(dev *d, int s, int64_t k, int a)
{
    dev_job *j = job_of(d, s, k);
    if (--j->pending[a] == 0) make_ready(d, s, k, a, now_s());
}

/* Task t finished on this node (with d->mu held): record it, release its successors (here, or by a
 * notification to the node that starts them). */
static void complete(dev *d, int s, int64_t k, int t, double ready, double start, double end, int64_t bytes)
{
    const emu_src *es = &d->m->src[s];
    send_rec(d, REC_TASK, s, k, t, ready, start, end, bytes);
    for (int i = es->succ_first[t]; i < es->succ_first[t + 1]; i++) {
        int a = es->succ[i];
        if (es->node[a] == d->node)
            dep_done(d, s, k, a);
        else
            q_push(d, &d->peer[es->node[a]].q, (dev_item){s, a, 1, k});
    }
}

static void busy_for(double seconds)
{
    double end = now_s() + seconds;
    while (now_s() < end)
        ;
}

static void run_compute(dev *d, int s, int64_t k, int t)
{
    const emu_src *es = &d->m->src[s];
    const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
    dev_job *j = job_of(d, s, k);
    sr_status st = SR_OK;
    switch (pt->work) {
    case SR_WORK_LAYERS: {
        sr_exec *x = pt->first_layer == 0 ? (pt->last_layer == es->n_nodes_model - 1 ? d->full[s] : d->head[s])
                                          : d->tail[s];
        if (!x) dev_fail(d, "no executor for a layer range (internal)");
        if (pt->first_layer == 0)
            memcpy(sr_exec_input(x, 0), d->frames[s] + (size_t)k * (size_t)es->in_n, sizeof(float) * (size_t)es->in_n);
        else if (j->recv)
            memcpy(sr_exec_input(x, 0), j->recv, sizeof(float) * (size_t)es->act_n);
        else
            dev_fail(d, "the layers after the cut start before the activation arrived (internal)");
        st = sr_exec_run(x);
        if (st == SR_OK && x == d->head[s]) {
            if (!j->act && !(j->act = malloc(sizeof(float) * (size_t)es->act_n))) dev_fail(d, "out of memory");
            memcpy(j->act, sr_exec_output(x, sr_graph_output(d->head_g[s])), sizeof(float) * (size_t)es->act_n);
        }
        break;
    }
    case SR_WORK_ENCODE:
        if (!j->act) dev_fail(d, "encode before the activation exists (internal)");
        st = sr_codec_encode(d->enc[s], j->act, &j->coded, &j->coded_n);
        break;
    case SR_WORK_DECODE:
        if (!j->coded) dev_fail(d, "decode before the coded activation arrived (internal)");
        if (!j->recv && !(j->recv = malloc(sizeof(float) * (size_t)es->act_n))) dev_fail(d, "out of memory");
        st = sr_codec_decode(d->dec[s], j->coded, j->coded_n, j->recv);
        break;
    case SR_WORK_SECONDS:
    case SR_WORK_FLOPS:
        busy_for(pt->seconds);
        break;
    case SR_WORK_KIND_COUNT:
        break;
    }
    if (st != SR_OK) dev_fail(d, sr_status_message(st));
}

static void *compute_main(void *p)
{
    dev *d = p;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        dev_item it = q_pop(d, &d->compute);
        pthread_mutex_unlock(&d->mu);
        double start = now_s();
        run_compute(d, it.src, it.frame, it.task);
        double end = now_s();
        pthread_mutex_lock(&d->mu);
        complete(d, it.src, it.frame, it.task, job_of(d, it.src, it.frame)->ready_s[it.task], start, end, 0);
    }
    return NULL;
}

/* The bytes a transfer puts on the wire (see sr_emulate.h). *own: the buffer is ours to free. */
static void payload(dev *d, int s, int64_t k, int t, emu_hdr *h, uint8_t **buf, int *own)
{
    const emu_src *es = &d->m->src[s];
    const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
    dev_job *j = job_of(d, s, k);
    size_t b = (size_t)llround(pt->bytes);
    *own = 1;
    h->kind = PAY_FILL;
    if (pt->payload == SR_PAYLOAD_ACTIVATION && es->coded && j->coded) {
        h->kind = PAY_CODED;
        *buf = j->coded;
        h->len = j->coded_n;
        *own = 0;
        return;
    }
    *buf = calloc(b ? b : 1, 1);
    if (!*buf) dev_fail(d, "out of memory");
    h->len = b;
    if (pt->payload != SR_PAYLOAD_ACTIVATION || !j->act) return;
    if (b >= 4 * (size_t)es->act_n) {
        h->kind = PAY_FP32;
        memcpy(*buf, j->act, sizeof(float) * (size_t)es->act_n);
        return;
    }
    h->kind = PAY_INT8;
    float mx = 0;
    for (int64_t i = 0; i < es->act_n; i++)
        mx = fabsf(j->act[i]) > mx ? fabsf(j->act[i]) : mx;
    h->scale = mx > 0 ? mx / 127.0 : 1.0;
    for (int64_t i = 0; i < es->act_n; i++)
        ((int8_t *)*buf)[i] = (int8_t)lrint(j->act[i] / h->scale);
}

static void *sender_main(void *p)
{
    dev_peer *pe = p;
    dev *d = pe->d;
    pthread_mutex_lock(&d->mu);
    for (;;) {
        dev_item it = q_pop(d, &pe->q);
        emu_hdr h = {EMU_MAGIC, PAY_NOTIFY, 0, 0, it.src, it.task, it.frame, 0, 0, 1.0, 0};
        uint8_t *buf = NULL;
        int own = 0;
        if (!it.notify) {
            h.ready_s = job_of(d, it.src, it.frame)->ready_s[it.task];
            h.ack = (uint32_t)d->m->stop_and_wait[d->node];
            payload(d, it.src, it.frame, it.task, &h, &buf, &own);
        }
        pthread_mutex_unlock(&d->mu);
        h.start_s = now_s();
        char ack;
        if (io_all(pe->out_fd, &h, sizeof h, 0) != 0 || (h.len && io_all(pe->out_fd, buf, h.len, 0) != 0) ||
            (h.ack && io_all(pe->out_fd, &ack, 1, 1) != 0))
            dev_fail(d, "a connection closed while sending");
        if (own) free(buf);
        pthread_mutex_lock(&d->mu);
    }
    return NULL;
}

static void *receiver_main(void *p)
{
    dev_peer *pe = p;
    dev *d = pe->d;
    for (;;) {
        emu_hdr h;
        if (io_all(pe->in_fd, &h, sizeof h, 1) != 0) return NULL; /* the peer ended */
        if (h.magic != EMU_MAGIC || h.source < 0 || h.source >= d->m->n_src || h.frame < 0 ||
            h.frame >= d->m->n_frames || h.task < 0 || h.task >= d->m->src[h.source].n_tasks || h.len > (1u << 30))
            dev_fail(d, "a malformed message arrived (internal)");
        uint8_t *buf = h.len ? malloc(h.len) : NULL;
        if (h.len && !buf) dev_fail(d, "out of memory");
        if (h.len && io_all(pe->in_fd, buf, h.len, 1) != 0) dev_fail(d, "a connection closed while receiving");
        double end = now_s();
        char k = 1;
        if (h.ack && io_all(pe->in_fd, &k, 1, 0) != 0) dev_fail(d, "a connection closed while acknowledging");
        const emu_src *es = &d->m->src[h.source];
        pthread_mutex_lock(&d->mu);
        dev_job *j = job_of(d, h.source, h.frame);
        if (h.kind == PAY_NOTIFY) {
            dep_done(d, h.source, h.frame, h.task);
        } else {
            if (h.kind == PAY_CODED) {
                free(j->coded);
                j->coded = buf;
                j->coded_n = h.len;
                buf = NULL;
            } else if (h.kind == PAY_FP32 || h.kind == PAY_INT8) {
                if (!j->recv && !(j->recv = malloc(sizeof(float) * (size_t)es->act_n))) dev_fail(d, "out of memory");
                for (int64_t i = 0; i < es->act_n; i++)
                    j->recv[i] = h.kind == PAY_FP32 ? ((float *)(void *)buf)[i] : (float)(((int8_t *)buf)[i] * h.scale);
            }
            complete(d, h.source, h.frame, h.task, h.ready_s, h.start_s, end, (int64_t)h.len);
        }
        pthread_mutex_unlock(&d->mu);
        free(buf);
    }
}

/* Executors, codecs and rendered frames for what this node computes. */
static void dev_prepare(dev *d)
{
    emu *m = d->m;
    char err[512] = "";
    int n = m->n_src;
    d->head_g = calloc((size_t)n, sizeof *d->head_g);
    d->tail_g = calloc((size_t)n, sizeof *d->tail_g);
    d->head_w = calloc((size_t)n, sizeof *d->head_w);
    d->tail_w = calloc((size_t)n, sizeof *d->tail_w);
    d->head = calloc((size_t)n, sizeof *d->head);
    d->tail = calloc((size_t)n, sizeof *d->tail);
    d->full = calloc((size_t)n, sizeof *d->full);
    d->enc = calloc((size_t)n, sizeof *d->enc);
    d->dec = calloc((size_t)n, sizeof *d->dec);
    d->frames = calloc((size_t)n, sizeof *d->frames);
    d->jobs = calloc((size_t)n * (size_t)m->n_frames, sizeof *d->jobs);
    if (!d->head_g || !d->tail_g || !d->head_w || !d->tail_w || !d->head || !d->tail || !d->full || !d->enc ||
        !d->dec || !d->frames || !d->jobs)
        dev_fail(d, "out of memory");
    for (int s = 0; s < n; s++) {
        emu_src *es = &m->src[s];
        const sr_graph *g = sr_engine_view_graph(m->view, es->v.model);
        const sr_weights *w = sr_engine_view_weights(m->view, es->v.model);
        for (int64_t k = 0; k < m->n_frames; k++) {
            dev_job *j = job_of(d, s, k);
            j->pending = malloc(sizeof(int) * (size_t)es->n_tasks);
            j->ready_s = calloc((size_t)es->n_tasks, sizeof(double));
            if (!j->pending || !j->ready_s) dev_fail(d, "out of memory");
            memcpy(j->pending, es->n_preds, sizeof(int) * (size_t)es->n_tasks);
        }
        int layer0 = 0;
        sr_status st = SR_OK;
        for (int t = 0; t < es->n_tasks && st == SR_OK; t++) {
            const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
            if (es->node[t] != d->node || pt->kind != SR_TASK_COMPUTE) continue;
            if (pt->work == SR_WORK_LAYERS && pt->first_layer == 0) {
                layer0 = 1;
                if (pt->last_layer == es->n_nodes_model - 1 && !d->full[s])
                    st = sr_exec_create(g, w, 0, &d->full[s], err, sizeof err);
                else if (pt->last_layer < es->n_nodes_model - 1 && !d->head[s]) {
                    st = prefix_create(g, w, pt->last_layer, &d->head_g[s], &d->head_w[s], err, sizeof err);
                    if (st == SR_OK) st = sr_exec_create(d->head_g[s], d->head_w[s], 0, &d->head[s], err, sizeof err);
                }
            } else if (pt->work == SR_WORK_LAYERS && !d->tail[s]) {
                st = sr_codectab_tail_create(g, w, pt->first_layer - 1, &d->tail_g[s], &d->tail_w[s], err, sizeof err);
                if (st == SR_OK) st = sr_exec_create(d->tail_g[s], d->tail_w[s], 0, &d->tail[s], err, sizeof err);
            } else if ((pt->work == SR_WORK_ENCODE || pt->work == SR_WORK_DECODE) && es->pipeline) {
                sr_codec **c = pt->work == SR_WORK_ENCODE ? &d->enc[s] : &d->dec[s];
                if (!*c) st = sr_codec_create(es->pipeline, es->ac, es->ah, es->aw, c, err, sizeof err);
            }
        }
        if (st != SR_OK) dev_fail(d, err[0] ? err : sr_status_message(st));
        if (!layer0) continue;
        /* the source's frames, rendered before the start (exact mode's video and input conversion) */
        const sr_source_spec *ss = es->spec;
        sr_video_params vp = sr_video_default_params(ss->width, ss->height, es->v.video_seed);
        sr_video *video = NULL;
        uint8_t *rgb = malloc((size_t)ss->width * ss->height * 3);
        uint8_t *rgb_m = malloc((size_t)es->mw * es->mh * 3), *planes = malloc((size_t)es->mw * es->mh * 3);
        d->frames[s] = malloc(sizeof(float) * (size_t)es->in_n * (size_t)m->n_frames);
        if (!rgb || !rgb_m || !planes || !d->frames[s]) dev_fail(d, "out of memory");
        st = sr_video_create(&vp, &video);
        for (int64_t k = 0; k < m->n_frames && st == SR_OK; k++)
            st = sr_exact_video_input(video, ss->width, ss->height, es->mc, es->mh, es->mw, rgb, rgb_m, planes,
                                      d->frames[s] + (size_t)k * (size_t)es->in_n);
        sr_video_free(video);
        free(rgb);
        free(rgb_m);
        free(planes);
        if (st != SR_OK) dev_fail(d, "rendering the synthetic video");
    }
}

/* Listens, connects to the peers this node sends to, accepts those that send to it. */
static void dev_connect(dev *d)
{
    emu *m = d->m;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(EMU_PORT), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 64) != 0) dev_fail(d, "cannot listen");
    int n_in = 0;
    for (int q = 0; q < m->n_nodes; q++) {
        n_in += m->conn[q * m->n_nodes + d->node];
        if (!m->conn[d->node * m->n_nodes + q]) continue;
        const char *addr = sr_testbed_addr(m->tb, m->pair_link[d->node * m->n_nodes + q], q);
        struct sockaddr_in pa = {.sin_family = AF_INET, .sin_port = htons(EMU_PORT)};
        inet_pton(AF_INET, addr, &pa.sin_addr);
        int fd = -1;
        for (int tries = 0; tries < 1000 && fd < 0; tries++) {
            fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (connect(fd, (struct sockaddr *)&pa, sizeof pa) != 0) {
                close(fd);
                fd = -1;
                usleep(10000);
            }
        }
        int32_t me = d->node;
        if (fd < 0 || io_all(fd, &me, sizeof me, 0) != 0) dev_fail(d, "cannot connect to a peer");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        d->peer[q].out_fd = fd;
    }
    for (int i = 0; i < n_in; i++) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        int32_t who = -1;
        if (fd < 0 || io_all(fd, &who, sizeof who, 1) != 0 || who < 0 || who >= m->n_nodes)
            dev_fail(d, "a peer did not say who it is");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        d->peer[who].in_fd = fd;
    }
    close(ls);
}

static void dev_main(emu *m, int node, int ctl_r)
{
    signal(SIGPIPE, SIG_IGN);
    dev dd;
    memset(&dd, 0, sizeof dd);
    dev *d = &dd;
    d->m = m;
    d->node = node;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->compute.cv, NULL);
    d->peer = calloc((size_t)m->n_nodes, sizeof *d->peer);
    if (!d->peer) dev_fail(d, "out of memory");
    for (int q = 0; q < m->n_nodes; q++) {
        d->peer[q] = (dev_peer){d, q, -1, -1, {0}};
        pthread_cond_init(&d->peer[q].q.cv, NULL);
    }
    dev_prepare(d);
    dev_connect(d);
    pthread_t th;
    if (pthread_create(&th, NULL, compute_main, d) != 0) dev_fail(d, "cannot start a thread");
    for (int q = 0; q < m->n_nodes; q++) {
        if (d->peer[q].out_fd >= 0 && pthread_create(&th, NULL, sender_main, &d->peer[q]) != 0)
            dev_fail(d, "cannot start a thread");
        if (d->peer[q].in_fd >= 0 && pthread_create(&th, NULL, receiver_main, &d->peer[q]) != 0)
            dev_fail(d, "cannot start a thread");
    }
    send_rec(d, REC_READY, 0, 0, 0, m->t0, m->t0, m->t0, 0);
    double t0;
    if (io_all(ctl_r, &t0, sizeof t0, 1) != 0) _exit(0); /* the parent gave up */
    m->t0 = t0;
    /* captures in time order over all sources: this node's root tasks become ready */
    int64_t *next = calloc((size_t)m->n_src, sizeof *next);
    if (!next) dev_fail(d, "out of memory");
    for (;;) {
        int best = -1;
        for (int s = 0; s < m->n_src; s++)
            if (next[s] < m->src[s].n_cap &&
                (best < 0 || m->src[s].arrival_s[next[s]] < m->src[best].arrival_s[next[best]]))
                best = s;
        if (best < 0) break;
        emu_src *es = &m->src[best];
        int64_t k = next[best]++;
        double tc = t0 + es->arrival_s[k];
        sleep_until(tc);
        pthread_mutex_lock(&d->mu);
        int src_node = m->host_node[es->v.host];
        if (src_node == node && es->max_queue > 0 && (int)d->compute.n >= es->max_queue) {
            job_of(d, best, k)->dropped = 1;
            send_rec(d, REC_DROP, best, k, -1, tc, tc, tc, 0);
        } else {
            for (int t = 0; t < es->n_tasks; t++)
                if (es->n_preds[t] == 0 && es->node[t] == node) make_ready(d, best, k, t, tc);
        }
        pthread_mutex_unlock(&d->mu);
    }
    free(next);
    char c;
    while (read(ctl_r, &c, 1) < 0 && errno == EINTR) /* until the parent stops us */
        ;
    _exit(0);
}

/* ------------------------------------------------------------------------------------------------ */
/* Parent. */

static void emu_free(emu *m)
{
    for (int s = 0; m->src && s < m->n_src; s++) {
        free(m->src[s].node);
        free(m->src[s].dnode);
        free(m->src[s].n_preds);
        free(m->src[s].succ_first);
        free(m->src[s].succ);
        free(m->src[s].arrival_s);
    }
    free(m->src);
    free(m->node_host);
    free(m->host_node);
    free(m->stop_and_wait);
    free(m->links);
    free(m->pair_link);
    free(m->conn);
    sr_engine_view_free(m->view);
}

static sr_status need_pair(emu *m, int a, int b)
{
    if (m->pair_link[a * m->n_nodes + b] >= 0) return SR_OK;
    const sr_experiment *e = m->e;
    int ha = m->node_host[a], hb = m->node_host[b];
    const sr_topo_route *ab = sr_topology_route(m->topo, ha, hb), *ba = sr_topology_route(m->topo, hb, ha);
    if (!ab && !ba) return SR_ERR_NOT_FOUND;
    sr_tb_link l = {a, b, INFINITY, INFINITY, 0, 0};
    for (int dir = 0; dir < 2; dir++) {
        const sr_topo_route *r = dir == 0 ? (ab ? ab : ba) : (ba ? ba : ab);
        double bw = INFINITY, lat = 0;
        for (int i = 0; i < r->n_links; i++) {
            const sr_link_spec *ls = &e->links[sr_topology_link_at(m->topo, sr_topology_route_link(m->topo, r, i))->spec];
            if (ls->bw_trace || ls->lat_trace) return SR_ERR_UNSUPPORTED;
            bw = fmin(bw, ls->bw_bps);
            lat += ls->latency_s;
        }
        if (dir == 0) l.bw_ab_bps = bw, l.delay_ab_s = lat;
        else l.bw_ba_bps = bw, l.delay_ba_s = lat;
    }
    if (!isfinite(l.bw_ab_bps)) l.bw_ab_bps = 1e10;
    if (!isfinite(l.bw_ba_bps)) l.bw_ba_bps = 1e10;
    m->links[m->n_links] = l;
    m->pair_link[a * m->n_nodes + b] = m->pair_link[b * m->n_nodes + a] = m->n_links++;
    return SR_OK;
}

static sr_status emu_prepare(emu *m, const sr_emulate_opts *o, char *err, size_t err_size)
{
    const sr_experiment *e = m->e;
    m->topo = sr_engine_view_topology(m->view);
    int nh = sr_topology_host_count(m->topo);
    m->n_src = sr_engine_view_source_count(m->view);
    m->host_node = malloc(sizeof(int) * (size_t)nh);
    m->node_host = malloc(sizeof(int) * (size_t)nh);
    m->src = calloc((size_t)(m->n_src ? m->n_src : 1), sizeof *m->src);
    if (!m->host_node || !m->node_host || !m->src) return SR_ERR_NOMEM;
    for (int h = 0; h < nh; h++)
        m->host_node[h] = -1;
    /* frames per source: --frames N, or the arrivals before the experiment's duration (as the engine) */
    m->n_frames = o->frames > 0 ? o->frames : EMU_MAX_FRAMES;
    for (int s = 0; s < m->n_src; s++) {
        emu_src *es = &m->src[s];
        sr_engine_view_source(m->view, s, &es->v);
        es->spec = &e->sources[es->v.spec];
        if (es->spec->kind != SR_SOURCE_FRAMES) {
            sr_errf(err, err_size, "source '%s': emulation renders camera frames; event sources are not emulated yet",
                    es->spec->name);
            return SR_ERR_UNSUPPORTED;
        }
        const sr_graph *g = sr_engine_view_graph(m->view, es->v.model);
        es->n_nodes_model = sr_graph_node_count(g);
        sr_status st = sr_exact_plan_shape(es->v.plan, es->n_nodes_model, &es->cut, &es->pipeline, err, err_size);
        if (st != SR_OK) return st;
        es->coded = es->pipeline != NULL;
        const sr_node *in0 = sr_graph_node(g, 0);
        if (in0->op != SR_OP_INPUT || in0->out.rank != 4 || in0->out.d[0] != 1 || (in0->out.d[1] != 3 && in0->out.d[1] != 1)) {
            sr_errf(err, err_size, "model '%s' does not take one 1xCxHxW image (C = 1 or 3)", sr_graph_name(g));
            return SR_ERR_UNSUPPORTED;
        }
        es->mc = (int)in0->out.d[1], es->mh = (int)in0->out.d[2], es->mw = (int)in0->out.d[3];
        es->in_n = sr_shape_numel(&in0->out);
        if (es->cut >= 0) {
            const sr_node *cn = sr_graph_node(g, es->cut);
            if (sr_codectab_act_geometry(&cn->out, &es->ac, &es->ah, &es->aw) != 0) {
                sr_errf(err, err_size, "layer '%s' has no batch-1 activation", cn->name);
                return SR_ERR_UNSUPPORTED;
            }
            es->act_n = sr_shape_numel(&cn->out);
        }
        es->n_tasks = sr_plan_task_count(es->v.plan);
        int n = es->n_tasks, nd = sr_plan_dep_count(es->v.plan);
        es->node = malloc(sizeof(int) * (size_t)n);
        es->dnode = malloc(sizeof(int) * (size_t)n);
        es->n_preds = calloc((size_t)n, sizeof(int));
        es->succ_first = calloc((size_t)n + 1, sizeof(int));
        es->succ = calloc((size_t)(nd ? nd : 1), sizeof(int));
        es->arrival_s = malloc(sizeof(double) * (size_t)m->n_frames);
        if (!es->node || !es->dnode || !es->n_preds || !es->succ_first || !es->succ || !es->arrival_s)
            return SR_ERR_NOMEM;
        for (int t = 0; t < n; t++) {
            int dst, host = sr_engine_view_task_host(m->view, s, t, &dst);
            for (int k = 0; k < 2; k++) {
                int h = k ? dst : host;
                if (m->host_node[h] < 0) {
                    m->node_host[m->n_nodes] = h;
                    m->host_node[h] = m->n_nodes++;
                }
            }
            es->node[t] = m->host_node[host];
            es->dnode[t] = m->host_node[dst];
            const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
            if (pt->kind == SR_TASK_TRANSFER && pt->payload == SR_PAYLOAD_ACTIVATION && !es->coded &&
                pt->bytes < (double)es->act_n) {
                sr_errf(err, err_size, "plan task '%s' sends an activation of %lld elements in %.0f bytes; the "
                        "emulation sends real tensors (at least one byte per element, or a codec)",
                        pt->label, (long long)es->act_n, pt->bytes);
                return SR_ERR_UNSUPPORTED;
            }
        }
        int *fill = calloc((size_t)n, sizeof(int));
        if (!fill) return SR_ERR_NOMEM;
        for (int i = 0; i < nd; i++) {
            int b, a;
            sr_plan_dep_at(es->v.plan, i, &b, &a);
            es->n_preds[a]++;
            es->succ_first[b + 1]++;
        }
        for (int t = 0; t < n; t++)
            es->succ_first[t + 1] += es->succ_first[t];
        for (int i = 0; i < nd; i++) {
            int b, a;
            sr_plan_dep_at(es->v.plan, i, &b, &a);
            es->succ[es->succ_first[b] + fill[b]++] = a;
        }
        free(fill);
        for (int k = 0; k < m->n_frames; k++) {
            double t = sr_engine_view_next_arrival(m->view, s);
            if (o->frames <= 0 && !(t < e->duration_s)) break;
            if (!isfinite(t)) {
                sr_errf(err, err_size, "source '%s' has %d arrivals, fewer than the %d frames asked for",
                        es->spec->name, k, m->n_frames);
                return SR_ERR_RANGE;
            }
            es->arrival_s[es->n_cap++] = t;
        }
        if (o->frames <= 0 && sr_engine_view_next_arrival(m->view, s) < e->duration_s) {
            sr_errf(err, err_size, "source '%s' captures more than %d frames in %g s; emulate fewer (--frames N)",
                    es->spec->name, EMU_MAX_FRAMES, e->duration_s);
            return SR_ERR_RANGE;
        }
        if (es->n_cap < 1) {
            sr_errf(err, err_size, "source '%s' captures no frame before the end of the experiment", es->spec->name);
            return SR_ERR_RANGE;
        }
        es->max_queue = e->devices[sr_topology_host_at(m->topo, es->v.host)->group].max_queue;
    }
    m->stop_and_wait = calloc((size_t)m->n_nodes, sizeof(int));
    if (!m->stop_and_wait) return SR_ERR_NOMEM;
    for (int n = 0; n < m->n_nodes; n++)
        m->stop_and_wait[n] = e->devices[sr_topology_host_at(m->topo, m->node_host[n])->group].max_in_flight == 1;
    int most = 0;
    for (int s = 0; s < m->n_src; s++)
        most = m->src[s].n_cap > most ? m->src[s].n_cap : most;
    m->n_frames = most;
    /* links: every pair that a transfer or a notification joins */
    int nn = m->n_nodes;
    m->pair_link = malloc(sizeof(int) * (size_t)nn * (size_t)nn);
    m->conn = calloc((size_t)nn * (size_t)nn, sizeof(int));
    m->links = calloc((size_t)nn * (size_t)nn, sizeof *m->links);
    if (!m->pair_link || !m->conn || !m->links) return SR_ERR_NOMEM;
    for (int i = 0; i < nn * nn; i++)
        m->pair_link[i] = -1;
    for (int s = 0; s < m->n_src; s++) {
        emu_src *es = &m->src[s];
        for (int t = 0; t < es->n_tasks; t++)
            for (int i = es->succ_first[t] - 1; i < es->succ_first[t + 1]; i++) {
                /* the transfer itself, then a notification to each successor started elsewhere */
                int a = i < es->succ_first[t] ? es->node[t] : es->dnode[t];
                int b = i < es->succ_first[t] ? es->dnode[t] : es->node[es->succ[i]];
                if (a == b) continue;
                sr_status st = need_pair(m, a, b);
                if (st != SR_OK) {
                    sr_errf(err, err_size,
                            st == SR_ERR_UNSUPPORTED ? "the route between '%s' and '%s' follows a bandwidth or latency "
                                                       "trace; traced links are not emulated yet"
                                                     : "no route between '%s' and '%s'",
                            sr_topology_host_at(m->topo, m->node_host[a])->name,
                            sr_topology_host_at(m->topo, m->node_host[b])->name);
                    return st;
                }
                m->conn[a * nn + b] = 1;
            }
    }
    return SR_OK;
}

static double quota_of(const emu *m, int node, const sr_emulate_opts *o, int cores)
{
    if (!(o->host_flops > 0)) return 0;
    const sr_device_spec *d = &m->e->devices[sr_topology_host_at(m->topo, m->node_host[node])->group];
    double q = d->speed_flops * d->cores * d->efficiency / o->host_flops;
    return q >= cores ? 0 : q;
}

/* Turns the records into the engine's output. */
static sr_status emu_collect(emu *m, const emu_rec *recs, size_t n_recs, sr_run_output *out)
{
    const sr_experiment *e = m->e;
    size_t nj = (size_t)m->n_src * (size_t)m->n_frames;
    int *done = calloc(nj, sizeof(int)), *dropped = calloc(nj, sizeof(int));
    int nh = sr_topology_host_count(m->topo), nl = sr_topology_link_count(m->topo);
    double *busy = calloc((size_t)nh, sizeof(double));
    int64_t *ntask = calloc((size_t)nh, sizeof(int64_t)), *lbytes = calloc((size_t)nl + 1, sizeof(int64_t)),
            *lxfer = calloc((size_t)nl + 1, sizeof(int64_t));
    sr_frame_record *fr = calloc(nj ? nj : 1, sizeof *fr);
    sr_status st = done && dropped && busy && ntask && lbytes && lxfer && fr ? SR_OK : SR_ERR_NOMEM;
    for (size_t j = 0; j < nj && st == SR_OK; j++) {
        int s = (int)(j / (size_t)m->n_frames);
        int64_t k = (int64_t)(j % (size_t)m->n_frames);
        sr_frame_record *f = &fr[j];
        f->frame = k;
        f->source = s;
        snprintf(f->device, sizeof f->device, "%s", sr_topology_host_at(m->topo, m->src[s].v.host)->name);
        f->capture_s = m->src[s].arrival_s[k];
        f->complete_s = f->capture_s;
        f->plan_version = sr_plan_version(m->src[s].v.plan);
    }
    for (size_t i = 0; i < n_recs && st == SR_OK; i++) {
        const emu_rec *r = &recs[i];
        size_t j = (size_t)r->source * (size_t)m->n_frames + (size_t)r->frame;
        sr_frame_record *f = &fr[j];
        if (r->type == REC_DROP) {
            dropped[j] = 1;
            continue;
        }
        const emu_src *es = &m->src[r->source];
        const sr_plan_task *pt = sr_plan_task_at(es->v.plan, r->task);
        int dst, host = sr_engine_view_task_host(m->view, r->source, r->task, &dst);
        done[j]++;
        if (r->end_s > f->complete_s) f->complete_s = r->end_s;
        sr_task_record tr;
        memset(&tr, 0, sizeof tr);
        tr.frame = r->frame;
        tr.source = r->source;
        tr.task = r->task;
        snprintf(tr.kind, sizeof tr.kind, "%s", sr_task_kind_name(pt->kind));
        snprintf(tr.label, sizeof tr.label, "%s", pt->label);
        snprintf(tr.device, sizeof tr.device, "%s", sr_topology_host_at(m->topo, host)->name);
        tr.ready_s = r->ready_s;
        tr.start_s = r->start_s < r->ready_s ? r->ready_s : r->start_s;
        tr.end_s = r->end_s < tr.start_s ? tr.start_s : r->end_s;
        if (pt->kind == SR_TASK_TRANSFER) {
            snprintf(tr.dst, sizeof tr.dst, "%s", sr_topology_host_at(m->topo, dst)->name);
            tr.bytes = r->bytes;
            f->transfer_s += tr.end_s - tr.start_s;
            f->bytes_sent += r->bytes;
            const sr_topo_route *rt = sr_topology_route(m->topo, host, dst);
            for (int l = 0; rt && l < rt->n_links; l++) {
                int li = sr_topology_route_link(m->topo, rt, l);
                lbytes[li] += r->bytes;
                lxfer[li]++;
            }
        } else if (pt->kind == SR_TASK_COMPUTE) {
            f->compute_s += tr.end_s - tr.start_s;
            f->queue_s += tr.start_s - tr.ready_s;
            busy[host] += tr.end_s - tr.start_s;
            ntask[host]++;
        }
        if (e->metrics.frames) st = sr_run_output_add_task(out, &tr);
    }
    double end = 0;
    for (size_t j = 0; j < nj && st == SR_OK; j++) {
        sr_frame_record *f = &fr[j];
        const emu_src *es = &m->src[f->source];
        if (f->frame >= es->n_cap) continue;
        if (dropped[j] || done[j] < es->n_tasks) {
            f->dropped = 1;
            f->complete_s = f->latency_s = -1;
            snprintf(f->outcome, sizeof f->outcome, "%s", dropped[j] ? "dropped" : "failed");
            if (dropped[j])
                snprintf(f->cause, sizeof f->cause, "queue of %s full", f->device);
            else
                snprintf(f->cause, sizeof f->cause, "not finished when the emulation ended");
        } else {
            f->latency_s = f->complete_s - f->capture_s;
            int late = es->spec->deadline_s > 0 && f->latency_s > es->spec->deadline_s;
            snprintf(f->outcome, sizeof f->outcome, "%s", late ? "late" : "completed");
            if (f->complete_s > end) end = f->complete_s;
        }
        if (f->capture_s > end) end = f->capture_s;
        st = sr_run_output_add_frame(out, f);
    }
    for (int l = 0; l < nl && st == SR_OK && e->metrics.links; l++) {
        if (!lxfer[l]) continue;
        const sr_topo_link *tl = sr_topology_link_at(m->topo, l);
        const sr_link_spec *ls = &e->links[tl->spec];
        sr_link_stat ls_out;
        memset(&ls_out, 0, sizeof ls_out);
        snprintf(ls_out.name, sizeof ls_out.name, "%s", tl->name);
        snprintf(ls_out.type, sizeof ls_out.type, "%s", sr_link_type_name(ls->type));
        ls_out.bw_bps = ls->bw_bps;
        ls_out.latency_s = ls->latency_s;
        ls_out.bytes = lbytes[l];
        ls_out.transfers = lxfer[l];
        st = sr_run_output_add_link(out, &ls_out);
    }
    for (int n = 0; n < m->n_nodes && st == SR_OK && e->metrics.hosts; n++) {
        int h = m->node_host[n];
        const sr_topo_host *th = sr_topology_host_at(m->topo, h);
        sr_host_stat hs;
        memset(&hs, 0, sizeof hs);
        snprintf(hs.name, sizeof hs.name, "%s", th->name);
        snprintf(hs.device_class, sizeof hs.device_class, "%s", sr_device_class_name(e->devices[th->group].cls));
        hs.busy_s = busy[h];
        hs.tasks = ntask[h];
        st = sr_run_output_add_host(out, &hs);
    }
    out->end_s = end;
    if (st == SR_OK) st = sr_run_output_summarize(out, e->metrics.warmup_s);
    int64_t bytes = 0;
    for (size_t j = 0; j < nj; j++)
        bytes += fr[j].bytes_sent;
    if (st == SR_OK) st = sr_run_output_add_metric(out, "bytes_total", (double)bytes, "B");
    size_t n_frames = 0;
    for (int s = 0; s < m->n_src; s++)
        n_frames += (size_t)m->src[s].n_cap;
    if (st == SR_OK) st = sr_run_output_add_metric(out, "bytes_per_frame", n_frames ? (double)bytes / (double)n_frames : 0, "B");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "emulated_frames", (double)n_frames, "1");
    free(done);
    free(dropped);
    free(busy);
    free(ntask);
    free(lbytes);
    free(lxfer);
    free(fr);
    return st;
}

sr_status sr_emulate_run(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *o, sr_run_output *out,
                         char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    sr_status st = sr_testbed_check(err, err_size);
    if (st != SR_OK) return st;
    double wall0 = now_s();
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    emu m;
    memset(&m, 0, sizeof m);
    m.e = e;
    pid_t *pids = NULL;
    int *ctl = NULL, rec[2] = {-1, -1};
    emu_rec *recs = NULL;
    size_t n_recs = 0, cap_recs = 0;
    int n_started = 0;
    st = sr_engine_view_create(e, seed, &m.view, err, err_size);
    if (st == SR_OK) st = emu_prepare(&m, o, err, err_size);
    if (st != SR_OK) goto done;
    int cores = o->host_cores > 0 ? o->host_cores : (int)sysconf(_SC_NPROCESSORS_ONLN);
    double *quota = calloc((size_t)m.n_nodes, sizeof(double));
    if (!quota) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (int n = 0; n < m.n_nodes; n++) {
        quota[n] = quota_of(&m, n, o, cores);
        if (o->log && quota[n] > 0)
            fprintf(o->log, "emulate: device %s: CPU quota %.3f cores\n",
                    sr_topology_host_at(m.topo, m.node_host[n])->name, quota[n]);
        else if (o->log)
            fprintf(o->log, "emulate: device %s: no CPU quota (%s)\n", sr_topology_host_at(m.topo, m.node_host[n])->name,
                    o->host_flops > 0 ? "its profile is at least as fast as this host's cores: its compute takes "
                                        "longer than simulated" : "no host profile given");
    }
    for (int l = 0; l < m.n_links && o->log; l++)
        fprintf(o->log, "emulate: link %s <-> %s: %.4g / %.4g Mbit/s, %.4g / %.4g ms one way\n",
                sr_topology_host_at(m.topo, m.node_host[m.links[l].a])->name,
                sr_topology_host_at(m.topo, m.node_host[m.links[l].b])->name, m.links[l].bw_ab_bps / 1e6,
                m.links[l].bw_ba_bps / 1e6, m.links[l].delay_ab_s * 1e3, m.links[l].delay_ba_s * 1e3);
    st = sr_testbed_create(m.n_nodes, quota, m.links, m.n_links, &m.tb, err, err_size);
    free(quota);
    if (st != SR_OK) goto done;
    pids = calloc((size_t)m.n_nodes, sizeof *pids);
    ctl = malloc(sizeof(int) * 2 * (size_t)m.n_nodes);
    for (int i = 0; ctl && i < 2 * m.n_nodes; i++)
        ctl[i] = -1;
    if (!pids || !ctl || pipe(rec) != 0) {
        st = SR_ERR_IO;
        goto done;
    }
    m.rec_w = rec[1];
    for (int n = 0; n < m.n_nodes; n++)
        if (pipe(&ctl[2 * n]) != 0) {
            st = SR_ERR_IO;
            goto done;
        }
    for (int n = 0; n < m.n_nodes; n++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            char msg[512];
            close(rec[0]);
            for (int q = 0; q < m.n_nodes; q++) {
                close(ctl[2 * q + 1]);
                if (q != n) close(ctl[2 * q]);
            }
            if (sr_testbed_enter(m.tb, n, msg, sizeof msg) != SR_OK) {
                fprintf(stderr, "simrun emulate: %s\n", msg);
                _exit(3);
            }
            dev_main(&m, n, ctl[2 * n]);
            _exit(0);
        }
        if (pid < 0) {
            st = SR_ERR_IO;
            goto done;
        }
        pids[n] = pid;
        n_started++;
    }
    close(rec[1]);
    rec[1] = -1;
    for (int n = 0; n < m.n_nodes; n++) {
        close(ctl[2 * n]);
        ctl[2 * n] = -1;
    }
    /* collect: READY from every node, then the start, then records until every frame is accounted for */
    size_t nj = (size_t)m.n_src * (size_t)m.n_frames;
    int ready = 0, started = 0, failed = 0;
    size_t *left = calloc(nj, sizeof *left);
    size_t finished = 0;
    if (!left) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < nj; j++) {
        const emu_src *es = &m.src[j / (size_t)m.n_frames];
        left[j] = (int64_t)(j % (size_t)m.n_frames) < es->n_cap ? (size_t)es->n_tasks : 0;
        finished += left[j] == 0;
    }
    double last_capture = 0;
    for (int s = 0; s < m.n_src; s++)
        last_capture = fmax(last_capture, m.src[s].arrival_s[m.src[s].n_cap - 1]);
    double grace = o->grace_s > 0 ? o->grace_s : 30.0, deadline = now_s() + 120.0;
    while (!g_stop && !failed && finished < nj) {
        if (now_s() > deadline) break;
        struct pollfd p = {rec[0], POLLIN, 0};
        int k = poll(&p, 1, 200);
        if (k < 0 && errno != EINTR) break;
        if (k <= 0) continue;
        emu_rec r;
        if (io_all(rec[0], &r, sizeof r, 1) != 0) {
            failed = 1;
            break;
        }
        if (r.type == REC_FAIL) {
            failed = 1;
        } else if (r.type == REC_READY) {
            if (++ready == m.n_nodes) {
                m.t0 = now_s() + 0.3;
                deadline = m.t0 + last_capture + grace;
                for (int n = 0; n < m.n_nodes; n++)
                    if (io_all(ctl[2 * n + 1], &m.t0, sizeof m.t0, 0) != 0) failed = 1;
                started = 1;
                if (o->log)
                    fprintf(o->log, "emulate: %d devices ready, up to %d frames per source over %.1f s\n",
                            m.n_nodes, m.n_frames, last_capture);
            }
        } else if (r.source >= 0 && r.source < m.n_src && r.frame >= 0 && r.frame < m.n_frames) {
            size_t j = (size_t)r.source * (size_t)m.n_frames + (size_t)r.frame;
            if (n_recs == cap_recs) {
                size_t cap = cap_recs ? 2 * cap_recs : 256;
                emu_rec *nr = realloc(recs, cap * sizeof *nr);
                if (!nr) {
                    st = SR_ERR_NOMEM;
                    break;
                }
                recs = nr;
                cap_recs = cap;
            }
            recs[n_recs++] = r;
            if (left[j] > 0) {
                left[j] = r.type == REC_DROP ? 0 : left[j] - 1;
                if (left[j] == 0) finished++;
            }
        }
    }
    free(left);
    if (st == SR_OK && (g_stop || failed || !started)) {
        sr_errf(err, err_size, "%s", g_stop    ? "emulation stopped by a signal"
                                     : failed  ? "a device process failed (its message is above)"
                                               : "the device processes did not start in time");
        st = SR_ERR_CHILD;
    }
    if (st == SR_OK && finished < nj && o->log)
        fprintf(o->log, "emulate: %zu of %zu frames did not finish within %.0f s after the last capture\n",
                nj - finished, nj, grace);
done:
    for (int i = 0; ctl && i < 2 * m.n_nodes; i++)
        if (ctl[i] >= 0) close(ctl[i]);
    for (int n = 0; n < n_started; n++) {
        int status;
        for (int tries = 0; tries < 40 && waitpid(pids[n], &status, WNOHANG) == 0; tries++)
            usleep(50000);
        if (waitpid(pids[n], &status, WNOHANG) == 0) {
            kill(pids[n], SIGKILL);
            waitpid(pids[n], &status, 0);
        } else if (WIFSIGNALED(status) && o->log) {
            fprintf(o->log, "emulate: the process of device %s died of signal %d\n",
                    sr_topology_host_at(m.topo, m.node_host[n])->name, WTERMSIG(status));
        }
    }
    if (rec[0] >= 0) close(rec[0]);
    if (rec[1] >= 0) close(rec[1]);
    free(ctl);
    free(pids);
    sr_testbed_free(m.tb);
    if (st == SR_OK) st = emu_collect(&m, recs, n_recs, out);
    if (st == SR_OK) st = sr_run_output_add_metric(out, "emulated_wall_s", now_s() - wall0, "s");
    free(recs);
    emu_free(&m);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return st;
}
