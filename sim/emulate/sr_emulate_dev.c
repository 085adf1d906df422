/* sr_emulate_dev.c: a device process of an emulated run (sr_emulate.h): connects to its peers, renders its
 * sources' frames, then the main thread captures frames at their times, one compute thread runs compute tasks
 * FIFO, one sender thread per peer sends transfers FIFO, one receiver thread per peer receives them. Records
 * go to the parent as fixed-size structs, one write() each (smaller than PIPE_BUF: atomic). */
#define _GNU_SOURCE
#include "emu_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_exact.h"
#include "sr_exec.h"
#include "video.h"

double emu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void sleep_until(double t)
{
    for (;;) {
        double d = t - emu_now_s();
        if (d <= 0) return;
        struct timespec ts = {(time_t)d, (long)((d - floor(d)) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

int emu_io_all(int fd, void *buf, size_t n, int rd)
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

static sr_status prefix_create(const sr_graph *g, const sr_weights *w, int last, sr_graph **pg,
                               sr_weights **pw, char *err, size_t err_size)
{
    *pg = NULL;
    *pw = NULL;
    char name[SR_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.head", sr_graph_name(g));
    sr_status st = sr_graph_create(name, pg);
    for (int id = 0; id <= last && st == SR_OK; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        int nid = nd->op == SR_OP_INPUT ? sr_graph_add_input(*pg, nd->name, nd->out)
                  : nd->op == SR_OP_CONST
                      ? sr_graph_add_const(*pg, nd->name, nd->out)
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
    float *act; /* sender: the activation at the cut */
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
    double start = emu_now_s();
    sleep_until(start + a.seconds);
    pthread_mutex_lock(&a.d->mu);
    complete(a.d, a.s, a.k, a.t, job_of(a.d, a.s, a.k)->ready_s[a.t], start, emu_now_s(), 0);
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
    if (--j->pending[a] == 0) make_ready(d, s, k, a, emu_now_s());
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
    double end = emu_now_s() + seconds;
    while (emu_now_s() < end)
        ;
}

/* A layer range that starts from the frame: at layer 0, or at layer 1 in a plan that sends the frame itself (no
 * activation cut: a cut policy's cloud-only leaves node 0, the input, to no task). */
static int from_frame(const emu_src *es, const sr_plan_task *pt)
{
    return pt->work == SR_WORK_LAYERS && (pt->first_layer == 0 || (pt->first_layer == 1 && es->cut < 0));
}

static void run_compute(dev *d, int s, int64_t k, int t)
{
    const emu_src *es = &d->m->src[s];
    const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
    dev_job *j = job_of(d, s, k);
    sr_status st = SR_OK;
    switch (pt->work) {
    case SR_WORK_LAYERS: {
        sr_exec *x = from_frame(es, pt)
                         ? (pt->last_layer == es->n_nodes_model - 1 ? d->full[s] : d->head[s])
                         : d->tail[s];
        if (!x) dev_fail(d, "no executor for a layer range (internal)");
        if (from_frame(es, pt))
            memcpy(sr_exec_input(x, 0), d->frames[s] + (size_t)k * (size_t)es->in_n,
                   sizeof(float) * (size_t)es->in_n);
        else if (j->recv)
            memcpy(sr_exec_input(x, 0), j->recv, sizeof(float) * (size_t)es->act_n);
        else
            dev_fail(d, "the layers after the cut start before the activation arrived (internal)");
        st = sr_exec_run(x);
        if (st == SR_OK && x == d->head[s]) {
            if (!j->act && !(j->act = malloc(sizeof(float) * (size_t)es->act_n)))
                dev_fail(d, "out of memory");
            memcpy(j->act, sr_exec_output(x, sr_graph_output(d->head_g[s])),
                   sizeof(float) * (size_t)es->act_n);
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
        double start = emu_now_s();
        run_compute(d, it.src, it.frame, it.task);
        double end = emu_now_s();
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
        h.start_s = emu_now_s();
        char ack;
        if (emu_io_all(pe->out_fd, &h, sizeof h, 0) != 0 ||
            (h.len && emu_io_all(pe->out_fd, buf, h.len, 0) != 0) ||
            (h.ack && emu_io_all(pe->out_fd, &ack, 1, 1) != 0))
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
        if (emu_io_all(pe->in_fd, &h, sizeof h, 1) != 0) return NULL; /* the peer ended */
        if (h.magic != EMU_MAGIC || h.source < 0 || h.source >= d->m->n_src || h.frame < 0 ||
            h.frame >= d->m->n_frames || h.task < 0 || h.task >= d->m->src[h.source].n_tasks ||
            h.len > (1u << 30))
            dev_fail(d, "a malformed message arrived (internal)");
        uint8_t *buf = h.len ? malloc(h.len) : NULL;
        if (h.len && !buf) dev_fail(d, "out of memory");
        if (h.len && emu_io_all(pe->in_fd, buf, h.len, 1) != 0)
            dev_fail(d, "a connection closed while receiving");
        double end = emu_now_s();
        char k = 1;
        if (h.ack && emu_io_all(pe->in_fd, &k, 1, 0) != 0)
            dev_fail(d, "a connection closed while acknowledging");
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
                if (!j->recv && !(j->recv = malloc(sizeof(float) * (size_t)es->act_n)))
                    dev_fail(d, "out of memory");
                for (int64_t i = 0; i < es->act_n; i++)
                    j->recv[i] = h.kind == PAY_FP32 ? ((float *)(void *)buf)[i]
                                                    : (float)(((int8_t *)buf)[i] * h.scale);
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
            if (from_frame(es, pt)) {
                layer0 = 1;
                if (pt->last_layer == es->n_nodes_model - 1 && !d->full[s])
                    st = sr_exec_create(g, w, 0, &d->full[s], err, sizeof err);
                else if (pt->last_layer < es->n_nodes_model - 1 && !d->head[s]) {
                    st = prefix_create(g, w, pt->last_layer, &d->head_g[s], &d->head_w[s], err, sizeof err);
                    if (st == SR_OK)
                        st = sr_exec_create(d->head_g[s], d->head_w[s], 0, &d->head[s], err, sizeof err);
                }
            } else if (pt->work == SR_WORK_LAYERS && !d->tail[s]) {
                st = sr_codectab_tail_create(g, w, pt->first_layer - 1, &d->tail_g[s], &d->tail_w[s], err,
                                             sizeof err);
                if (st == SR_OK)
                    st = sr_exec_create(d->tail_g[s], d->tail_w[s], 0, &d->tail[s], err, sizeof err);
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
            st = sr_exact_video_input(video, ss->width, ss->height, es->mc, es->mh, es->mw, rgb, rgb_m,
                                      planes, d->frames[s] + (size_t)k * (size_t)es->in_n);
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
    char err[256];
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls >= 0 && sr_testbed_socket(m->tb, ls, err, sizeof err) != SR_OK) dev_fail(d, err);
    struct sockaddr_in sa = {
        .sin_family = AF_INET, .sin_port = htons(EMU_PORT), .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 64) != 0)
        dev_fail(d, "cannot listen");
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
            if (fd >= 0 && sr_testbed_socket(m->tb, fd, err, sizeof err) != SR_OK) dev_fail(d, err);
            if (connect(fd, (struct sockaddr *)&pa, sizeof pa) != 0) {
                close(fd);
                fd = -1;
                usleep(10000);
            }
        }
        int32_t me = d->node;
        if (fd < 0 || emu_io_all(fd, &me, sizeof me, 0) != 0) dev_fail(d, "cannot connect to a peer");
        d->peer[q].out_fd = fd;
    }
    for (int i = 0; i < n_in; i++) {
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        int32_t who = -1;
        if (fd < 0 || emu_io_all(fd, &who, sizeof who, 1) != 0 || who < 0 || who >= m->n_nodes)
            dev_fail(d, "a peer did not say who it is");
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        d->peer[who].in_fd = fd;
    }
    close(ls);
}

void emu_dev_main(emu *m, int node, int ctl_r)
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
    if (emu_io_all(ctl_r, &t0, sizeof t0, 1) != 0) _exit(0); /* the parent gave up */
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
