/* eng_loop.c: the engine's event loop, run in SimGrid's maestro (no actors; see sr_engine.h).
 *
 * A kernel timer per source instance fires at each arrival and creates a job from the source's current plan;
 * every exec and transfer is started from maestro and SimGrid reports its end to one completion callback
 * (eng_activity_done), which finishes the task and makes its successors ready (fan-out branches run
 * concurrently: each is its own activity).
 *
 * Devices. A device has E executors (a SimGrid host of E cores, each at the device's speed / E) that each run
 * `concurrency` tasks at once (default 1: FIFO, one at a time). Tasks are priced on the whole device, so a task
 * of s seconds takes E x s on one executor: splitting a device into executors adds concurrency, not capacity (a cost
 * model that prices a device's engines one by one, sr_cost_model_per_engine, gives each executor's own time: the
 * FPGA's dedicated engines). Ready compute tasks wait in the FIFO of the
 * executor they name, or in the device's shared FIFO (executor -1); a free executor takes the oldest head of
 * the two. Contention model: tasks that run at the same time on one device share its cores as SimGrid shares
 * a multicore host (each running exec gets at most one core; when more execs than cores run, the cores are
 * shared equally among them). A task arriving at a device that already has `max_queue` tasks waiting (beyond
 * the E in service) is dropped with its job.
 *
 * Co-running classes. A compute task may carry a co-run class (the policy's kind of work: inference, diagnosis);
 * one that starts while a task of another class runs on the same executor does `interference` times its work
 * (the device's key; In-situ AI measures up to 3x on a GPU), on top of sharing the executor. Tasks already running
 * keep their work; separate executors (dedicated FPGA engines) never slow each other.
 *
 * Compute after idle. A compute task that starts on an executor with nothing running, g seconds after its last
 * task ended, does factor(g) times its work: the device's curve, measured by `simrun calibrate` on the profile's
 * machine (sr_idle.h: caches and TLB lost to whatever ran meanwhile). A task that queued behind another starts
 * at g = 0 and is warm; the first task of an executor counts as idle for ever.
 *
 * Batches. A compute task with a batch key waits on its executor for tasks with the same key: the batch leaves
 * when it has batch_max tasks, or batch_wait_s after its first task arrived; it is queued and run as one exec
 * priced at its size (sr_price_task at batch n), and all its tasks end together.
 *
 * Connections. A device's transfers to one destination go through a connection: FIFO, at most max_in_flight
 * at once (0: no connection, every transfer is its own flow at once, as SimGrid shares links max-min); bytes
 * waiting or in flight are limited by send_buffer (a transfer that does not fit while others wait is dropped
 * with its job). A transfer holds its place (and its bytes) until the sender learns it arrived: its end plus
 * the reverse route's latency (the acknowledgment's trip back; a failed transfer frees it at once).
 *
 * Failures. An activity that fails (its host or a link went down) fails its job (outcome failed, with the
 * cause); a task that becomes ready on a device that is down fails its job at once. The run goes on. Device
 * state changes reach the policy as events (on_event), which may re-plan: jobs in flight keep their plan.
 *
 * Outcomes: completed, dropped (which queue), failed (what failed), late (completed after the source's
 * deadline). No global state: everything hangs off one `engine` given to the callbacks. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>

#include "eng_internal.h"
#include "failures.h"
#include "sr_profiles.h"
#include "sr_sg_shim.h"
#include "sr_trace.h"

static void task_ready(eng_slot *sl);
static void job_end_event(engine *eng, const eng_job *j);
static void part_end(engine *eng, eng_job *j);
static void task_done_event(engine *eng, const eng_host *h, const eng_slot *sl, int ok, double busy_s, int batch);
static int link_admit(engine *eng, eng_slot *sl);

/* ---- FIFOs ---- */

static int fifo_push(eng_fifo *f, eng_slot *sl)
{
    if (f->len == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        eng_slot **q = malloc(cap * sizeof *q);
        if (!q) return 0;
        for (size_t i = 0; i < f->len; i++)
            q[i] = f->q[(f->head + i) % f->cap];
        free(f->q);
        f->q = q;
        f->head = 0;
        f->cap = cap;
    }
    f->q[(f->head + f->len) % f->cap] = sl;
    f->len++;
    return 1;
}

static eng_slot *fifo_peek(const eng_fifo *f)
{
    return f->len ? f->q[f->head] : NULL;
}

static eng_slot *fifo_pop(eng_fifo *f)
{
    assert(f->len > 0);
    eng_slot *sl = f->q[f->head];
    f->head = (f->head + 1) % f->cap;
    f->len--;
    return sl;
}

/* ---- jobs ---- */

static void fail_oom(engine *eng)
{
    if (eng->fail == SR_OK) {
        eng->fail = SR_ERR_NOMEM;
        snprintf(eng->fail_msg, sizeof eng->fail_msg, "out of memory");
    }
}

/* The job's record; frees the job. */
static void job_end(engine *eng, eng_job *j)
{
    if (j->parent) { /* a part of a held job: no record of its own */
        part_end(eng, j);
        return;
    }
    if (eng->n_recs == eng->cap_recs) {
        size_t cap = eng->cap_recs ? 2 * eng->cap_recs : 256;
        sr_frame_record *r = realloc(eng->recs, cap * sizeof *r);
        if (!r) {
            fail_oom(eng);
            free(j);
            return;
        }
        eng->recs = r;
        eng->cap_recs = cap;
    }
    double now = simgrid_get_clock();
    int done = j->outcome == SR_OUTCOME_COMPLETED;
    if (done && j->src && j->src->deadline_s > 0 && now - j->capture_s > j->src->deadline_s)
        j->outcome = SR_OUTCOME_LATE;
    int ok = j->outcome == SR_OUTCOME_COMPLETED || j->outcome == SR_OUTCOME_LATE;
    sr_frame_record *r = &eng->recs[eng->n_recs++];
    memset(r, 0, sizeof *r);
    r->frame = j->k;
    r->source = j->src ? j->src->index : -1;
    int host = j->src ? j->src->host : j->plan->host[0];
    snprintf(r->device, sizeof r->device, "%s", sr_topology_host_at(eng->topo, host)->name);
    r->capture_s = j->capture_s;
    r->queue_s = j->queue_s;
    r->compute_s = j->compute_s;
    r->transfer_s = j->transfer_s;
    r->dropped = j->outcome == SR_OUTCOME_DROPPED;
    r->complete_s = ok ? now : -1.0;
    r->latency_s = ok ? now - j->capture_s : -1.0;
    r->bytes_sent = j->bytes;
    static const char *const names[] = {"completed", "dropped", "failed", "late"};
    _Static_assert(sizeof names / sizeof names[0] == SR_OUTCOME_COUNT, "outcome names");
    snprintf(r->outcome, sizeof r->outcome, "%s", names[j->outcome]);
    if (j->cause != ENG_CAUSE_NONE) eng_cause_text(eng, j->cause, j->cause_where, r->cause, sizeof r->cause);
    r->plan_version = j->plan->version;
    job_end_event(eng, j);
    free(j);
}

/* The job cannot complete: its remaining tasks will be skipped. The first cause wins. */
static void job_stop(eng_job *j, sr_outcome outcome, eng_cause cause, int where)
{
    if (j->outcome != SR_OUTCOME_COMPLETED) return;
    j->outcome = outcome;
    j->cause = cause;
    j->cause_where = where;
}

/* Appends a task's timing record (metrics.frames only); amortised growth, no per-task allocation. */
static void record_task(engine *eng, const eng_job *j, int task, double ready_s, double start_s, double end_s,
                        int64_t bytes)
{
    if (!eng->want_tasks) return;
    if (eng->n_trecs == eng->cap_trecs) {
        size_t cap = eng->cap_trecs ? 2 * eng->cap_trecs : 1024;
        eng_task_rec *r = realloc(eng->trecs, cap * sizeof *r);
        if (!r) {
            fail_oom(eng);
            return;
        }
        eng->trecs = r;
        eng->cap_trecs = cap;
    }
    eng_task_rec *r = &eng->trecs[eng->n_trecs++];
    r->frame = j->k;
    r->source = j->src ? j->src->index : -1;
    r->task = task;
    r->id = j->task_base + task;
    r->version = j->plan->version;
    r->ready_s = ready_s;
    r->start_s = start_s;
    r->end_s = end_s;
    r->bytes = bytes;
}

static engine *job_engine(const eng_job *j);
static void job_start(engine *eng, eng_job *j);

/* A task has finished (or was skipped in a stopped job): its successors whose predecessors are all done
 * become ready now, in the plan's successor order; the job ends with its last task. */
static void task_done(eng_slot *sl)
{
    eng_job *j = sl->job;
    const eng_plan *p = j->plan;
    int task = sl->task;
    /* j->remaining >= 1 (this task) during the loop, so the job cannot end inside it */
    for (int s = p->succ_first[task]; s < p->succ_first[task + 1]; s++)
        if (--j->slot[p->succ[s]].pending == 0) task_ready(&j->slot[p->succ[s]]);
    if (--j->remaining == 0) job_end(job_engine(j), j);
}

/* ---- devices: executors and batches ---- */

/* A compute task (or a batch, through its head) leaves its device at `now`, having run from sl->start_s. */
static void compute_finish(engine *eng, eng_host *h, eng_slot *sl, int ok)
{
    double now = simgrid_get_clock();
    double start_s = sl->start_s; /* members' jobs may end (and be freed) inside the loop */
    int n = sl->batch_n;
    h->busy_s += now - start_s;
    h->tasks += n;
    for (eng_slot *m = sl, *next; m; m = next) {
        next = m->next;
        eng_job *j = m->job;
        h->occupancy--;
        j->queue_s += start_s - m->ready_s;
        j->compute_s += now - start_s;
        if (!ok) job_stop(j, SR_OUTCOME_FAILED, ENG_CAUSE_DEVICE_DOWN, h->index);
        record_task(eng, j, m->task, m->ready_s, start_s, now, 0);
        task_done_event(eng, h, m, ok, now - start_s, n);
        task_done(m);
    }
}

/* The executor that should serve next, and which FIFO to take from; -1 when none is free or nothing waits. */
static int next_executor(const eng_host *h, eng_fifo **from)
{
    const eng_slot *sh = fifo_peek(&h->shared);
    for (int x = 0; x < h->n_exec; x++) {
        const eng_exec *ex = &h->exec[x];
        if (ex->running >= h->concurrency) continue;
        const eng_slot *own = fifo_peek(&ex->q);
        if (!own && !sh) continue;
        *from = own && (!sh || own->seq < sh->seq) ? (eng_fifo *)&ex->q : (eng_fifo *)&h->shared;
        return x;
    }
    return -1;
}

/* A standard normal draw from a splitmix64 stream (Box-Muller on two 53-bit uniforms in (0, 1]). */
static double std_normal(uint64_t *state)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
        z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
        z ^= z >> 31;
        u[i] = ((double)(z >> 11) + 1.0) * 0x1.0p-53;
    }
    return sqrt(-2.0 * log(u[0])) * cos(2.0 * M_PI * u[1]);
}

/* Starts what the device's free executors can take, in FIFO order. Zero-flop tasks take their turn and end at
 * once. Tasks that become ready meanwhile on this device are only queued (h->serving). */
static void host_serve(engine *eng, eng_host *h)
{
    if (h->serving) return;
    h->serving = 1;
    eng_fifo *from = NULL;
    int x;
    while ((x = next_executor(h, &from)) >= 0) {
        eng_slot *sl = fifo_pop(from);
        sl->executor = x;
        sl->start_s = simgrid_get_clock();
        if (!h->up) { /* a task dispatched to a device that is down fails its job now */
            compute_finish(eng, h, sl, 0);
            continue;
        }
        const eng_plan *p = sl->job->plan;
        const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
        double seconds = t->seconds;
        if (sl->batch_n > 1) {
            char msg[256] = "";
            if (sr_price_task(&eng->env, t, sl->batch_n, &seconds, msg, sizeof msg) != SR_OK) {
                if (eng->fail == SR_OK) {
                    eng->fail = SR_ERR_INVALID;
                    snprintf(eng->fail_msg, sizeof eng->fail_msg, "pricing a batch of %d: %s", sl->batch_n, msg);
                }
                seconds = 0;
            }
        }
        /* priced on the whole device; an executor has 1/E of its speed, so the task takes E x longer there, unless
         * the device's cost model priced the task's own engine (an FPGA's dedicated engines: sr_cost_fpga.h) */
        const sr_cost_model *cm = eng->env.group_cost && eng->env.group_cost[t->dev.group]
                                      ? eng->env.group_cost[t->dev.group]
                                      : eng->env.default_cost;
        const int own_engine = t->work == SR_WORK_LAYERS && sr_cost_model_per_engine(cm);
        double flops = seconds * h->core_flops * (own_engine ? 1.0 : (double)h->n_exec);
        const int cls = t->corun_class > 0 && t->corun_class < SR_CORUN_CLASSES ? t->corun_class : 0;
        if (cls && h->interference > 1) /* co-running: another class on this executor slows the newcomer */
            for (int c = 1; c < SR_CORUN_CLASSES; c++)
                if (c != cls && h->exec[x].class_running[c] > 0) {
                    flops *= h->interference;
                    break;
                }
        if (h->jitter_sigma > 0 && flops > 0) /* the device's measured spread around the price (sr_idle.h) */
            flops *= exp(h->jitter_sigma * std_normal(&h->jitter_state));
        if (h->idle.n && flops > 0 && h->exec[x].running == 0) { /* compute after idle (sr_idle.h) */
            const double f = sr_idle_factor(&h->idle, sl->start_s - h->exec[x].idle_since_s);
            if (f > 1.0) {
                flops *= f;
                h->idle_slowed++;
                h->idle_factor_sum += f;
            }
        }
        if (flops > 0) {
            h->exec[x].running++;
            h->exec[x].class_running[cls]++;
            sr_sg_exec_start(h->sg, flops, sl);
            continue;
        }
        compute_finish(eng, h, sl, 1);
    }
    h->serving = 0;
}

static void host_enqueue(engine *eng, eng_host *h, eng_slot *head, int executor)
{
    head->seq = eng->seq++;
    eng_fifo *f = executor >= 0 && executor < h->n_exec ? &h->exec[executor].q : &h->shared;
    if (!fifo_push(f, head)) {
        fail_oom(eng);
        return;
    }
    host_serve(eng, h);
}

/* The batch former of (key, executor) on h; each is allocated once and never moves (timers point at it). */
static eng_batch *batch_of(engine *eng, eng_host *h, int key, int executor)
{
    (void)eng;
    for (int i = 0; i < h->n_batches; i++)
        if (h->batches[i]->key == key && h->batches[i]->executor == executor) return h->batches[i];
    if (h->n_batches == h->cap_batches) {
        int cap = h->cap_batches ? 2 * h->cap_batches : 4;
        eng_batch **nb = realloc(h->batches, (size_t)cap * sizeof *nb);
        if (!nb) return NULL;
        h->batches = nb;
        h->cap_batches = cap;
    }
    eng_batch *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->key = key;
    b->executor = executor;
    b->host = h;
    h->batches[h->n_batches++] = b;
    return b;
}

/* The batch leaves for its executor's queue. */
static void batch_release(engine *eng, eng_batch *b)
{
    if (!b->head) return;
    eng_slot *head = b->head;
    head->batch_n = b->n;
    b->head = b->tail = NULL;
    b->n = 0;
    b->epoch++;
    host_enqueue(eng, b->host, head, b->executor);
}

typedef struct batch_timer {
    engine *eng;
    eng_batch *b;
    int64_t epoch;
} batch_timer;

static void batch_timeout(void *arg)
{
    batch_timer *bt = arg;
    if (bt->b->epoch == bt->epoch && bt->b->head) batch_release(bt->eng, bt->b);
    free(bt);
}

static void batch_add(engine *eng, eng_host *h, eng_slot *sl, const sr_plan_task *t)
{
    eng_batch *b = batch_of(eng, h, t->batch_key, t->executor);
    if (!b) {
        fail_oom(eng);
        return;
    }
    sl->next = NULL;
    if (!b->head)
        b->head = sl;
    else
        b->tail->next = sl;
    b->tail = sl;
    b->n++;
    if (b->n >= t->batch_max) {
        batch_release(eng, b);
        return;
    }
    if (b->n == 1 && t->batch_wait_s >= 0) {
        batch_timer *bt = malloc(sizeof *bt);
        if (!bt) {
            fail_oom(eng);
            return;
        }
        *bt = (batch_timer){eng, b, b->epoch};
        sr_sg_timer_set(simgrid_get_clock() + t->batch_wait_s, batch_timeout, bt);
    }
}

/* ---- connections ---- */

static double transfer_size(const eng_slot *sl, const sr_plan_task *t)
{
    return t->payload == SR_PAYLOAD_ACTIVATION && sl->job->act_bytes >= 0 ? sl->job->act_bytes : t->bytes;
}

static void transfer_start(engine *eng, eng_slot *sl)
{
    const eng_plan *p = sl->job->plan;
    if (p->limited && !sl->admitted) {
        if (!link_admit(eng, sl)) return;
    }
    const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
    sl->start_s = simgrid_get_clock();
    sr_sg_sendto_start(eng->hosts[p->host[sl->task]].sg, eng->hosts[p->dst[sl->task]].sg, transfer_size(sl, t), sl);
}

/* ---- link admission (links with max_flows) ---- */

/* Admits the transfer on every limited link of its route, or queues it at the first one that is full. */
static int link_admit(engine *eng, eng_slot *sl)
{
    const eng_plan *p = sl->job->plan;
    const sr_topo_route *r = p->route[sl->task];
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        if (l->max_flows > 0 && l->flows >= l->max_flows) {
            if (!fifo_push(&l->wait, sl)) fail_oom(eng);
            return 0;
        }
    }
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        if (l->max_flows > 0) l->flows++;
    }
    sl->admitted = 1;
    return 1;
}

/* A transfer left the limited links of route r: admit what waits there, in order. */
static void link_release(engine *eng, const sr_topo_route *r)
{
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        if (l->max_flows > 0) l->flows--;
    }
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        while (l->max_flows > 0 && l->flows < l->max_flows && l->wait.len > 0) {
            eng_slot *sl = fifo_pop(&l->wait);
            if (link_admit(eng, sl)) transfer_start(eng, sl); /* else queued again at a full link */
        }
    }
}

/* Starts the connection's waiting transfers while it has room. */
static void conn_pump(engine *eng, eng_conn *c)
{
    int limit = eng->hosts[c->src].max_in_flight;
    while (c->q.len > 0 && (limit == 0 || c->in_flight < limit)) {
        eng_slot *sl = fifo_pop(&c->q);
        c->in_flight++;
        transfer_start(eng, sl);
    }
}

static void conn_send(engine *eng, eng_slot *sl, const sr_plan_task *t)
{
    const eng_plan *p = sl->job->plan;
    eng_host *h = &eng->hosts[p->host[sl->task]];
    if (h->max_in_flight == 0) { /* no connection: its own flow, now */
        transfer_start(eng, sl);
        return;
    }
    eng_conn *c = &eng->conns[p->conn[sl->task]];
    double size = transfer_size(sl, t);
    if (h->send_buffer_bytes > 0 && c->queued_bytes > 0 && c->queued_bytes + size > h->send_buffer_bytes) {
        job_stop(sl->job, SR_OUTCOME_DROPPED, ENG_CAUSE_SEND_BUFFER, p->host[sl->task]);
        task_done(sl);
        return;
    }
    c->queued_bytes += size;
    if (!fifo_push(&c->q, sl)) {
        fail_oom(eng);
        task_done(sl);
        return;
    }
    conn_pump(eng, c);
}

/* A transfer's slot and bytes leave the connection: start what waits. */
static void conn_release(engine *eng, eng_conn *c, double size)
{
    c->in_flight--;
    c->queued_bytes -= size;
    if (c->in_flight == 0 && c->q.len == 0) c->queued_bytes = 0; /* no drift from the sums */
    conn_pump(eng, c);
}

typedef struct conn_ack {
    engine *eng;
    int conn; /* index: the connection array may grow while the acknowledgment travels */
    double size;
} conn_ack;

static void conn_acked(void *arg)
{
    conn_ack a = *(conn_ack *)arg;
    free(arg);
    conn_release(a.eng, &a.eng->conns[a.conn], a.size);
}

static void transfer_finish(engine *eng, eng_slot *sl, int ok)
{
    eng_job *j = sl->job;
    const eng_plan *p = j->plan;
    const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
    double size = transfer_size(sl, t);
    double now = simgrid_get_clock();
    j->transfer_s += now - sl->start_s;
    int64_t bytes = (int64_t)llround(size);
    j->bytes += bytes;
    const sr_topo_route *r = p->route[sl->task];
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        l->bytes += bytes;
        l->transfers++;
    }
    if (!ok) job_stop(j, SR_OUTCOME_FAILED, ENG_CAUSE_TRANSFER, p->host[sl->task]);
    record_task(eng, j, sl->task, sl->ready_s, sl->start_s, now, bytes);
    int limited = p->limited;
    eng_host *h = &eng->hosts[p->host[sl->task]];
    eng_conn *c = h->max_in_flight > 0 ? &eng->conns[p->conn[sl->task]] : NULL;
    task_done(sl);
    if (limited) link_release(eng, r);
    if (c) {
        /* the sender learns of the arrival one reverse-route latency later (the acknowledgment's trip back) */
        double back = ok ? sg_host_get_route_latency(eng->hosts[c->dst].sg, eng->hosts[c->src].sg) : 0.0;
        conn_ack *a = back > 0 ? malloc(sizeof *a) : NULL;
        if (a) {
            *a = (conn_ack){eng, (int)(c - eng->conns), size};
            sr_sg_timer_set(now + back, conn_acked, a);
        } else {
            if (back > 0) fail_oom(eng); /* the run fails as on any other allocation; the queue still drains */
            conn_release(eng, c, size);
        }
    }
}

/* ---- tasks ---- */

typedef struct delay_timer {
    eng_slot *sl;
} delay_timer;

static void delay_end(void *arg)
{
    eng_slot *sl = arg;
    engine *eng = job_engine(sl->job);
    record_task(eng, sl->job, sl->task, sl->ready_s, sl->start_s, simgrid_get_clock(), 0);
    task_done(sl);
}

/* ---- holds: work the policy places at run time ---- */

static eng_job *root_job(eng_job *j)
{
    while (j->parent)
        j = j->parent->job;
    return j;
}

/* The policy's event about job j (source and frame number of the job it belongs to). */
static sr_policy_event job_event(sr_event_kind kind, eng_job *j);
static void policy_event(engine *eng, const sr_policy_event *ev);

static void hold_ready(engine *eng, eng_slot *sl, const sr_plan_task *t)
{
    if (!eng->pol->on_event) {
        if (eng->fail == SR_OK) {
            eng->fail = SR_ERR_INVALID;
            snprintf(eng->fail_msg, sizeof eng->fail_msg, "policy %s holds a task but has no on_event to release it",
                     eng->pol->name);
        }
        task_done(sl);
        return;
    }
    eng->n_held++;
    sl->children = 0;
    sl->released = 0;
    sr_policy_event ev = job_event(SR_EVENT_HELD, sl->job);
    ev.hold = sl;
    ev.task = t;
    policy_event(eng, &ev);
}

/* The hold ends once the policy's release took effect and none of its parts runs. */
static void hold_try_end(engine *eng, eng_slot *sl)
{
    if (sl->released < 2 && sl->released > -2) return;
    if (sl->children > 0) return;
    eng_job *j = sl->job;
    eng->n_held--;
    if (sl->released < 0)
        job_stop(j, SR_OUTCOME_FAILED, j->part_cause != ENG_CAUSE_NONE ? j->part_cause : ENG_CAUSE_POLICY,
                 j->part_cause != ENG_CAUSE_NONE ? j->part_where : j->plan->host[sl->task]);
    record_task(eng, j, sl->task, sl->ready_s, sl->start_s, simgrid_get_clock(), 0);
    task_done(sl);
}

static void hold_release_fire(void *arg)
{
    eng_slot *sl = arg;
    sl->released = (signed char)(sl->released > 0 ? 2 : -2);
    hold_try_end(job_engine(sl->job), sl);
}

static void part_start(void *arg)
{
    eng_job *j = arg;
    job_start(j->eng, j);
}

/* A part ended: its times, bytes and failure go to the held job; the policy hears of it; the hold may end. */
static void part_end(engine *eng, eng_job *j)
{
    eng_slot *hold = j->parent;
    eng_job *pj = hold->job;
    pj->queue_s += j->queue_s;
    pj->compute_s += j->compute_s;
    pj->transfer_s += j->transfer_s;
    pj->bytes += j->bytes;
    if (j->outcome != SR_OUTCOME_COMPLETED) {
        pj->part_cause = j->cause != ENG_CAUSE_NONE ? j->cause : ENG_CAUSE_DEVICE_DOWN;
        pj->part_where = j->cause_where >= 0 ? j->cause_where : j->plan->host[0];
    }
    sr_policy_event ev = job_event(SR_EVENT_PART_DONE, pj);
    ev.hold = hold;
    ev.tag = j->tag;
    ev.outcome = j->outcome;
    ev.latency_s = ev.time_s - j->capture_s;
    ev.bytes_sent = (double)j->bytes;
    hold->children--;
    free(j);
    policy_event(eng, &ev);
    hold_try_end(eng, hold);
}

/* A task's predecessors have all finished (or the job was just created and it has none). */
static void task_ready(eng_slot *sl)
{
    eng_job *j = sl->job;
    engine *eng = job_engine(j);
    const eng_plan *p = j->plan;
    int task = sl->task;
    const sr_plan_task *t = sr_plan_task_at(p->plan, task);
    if (j->outcome != SR_OUTCOME_COMPLETED || eng->fail != SR_OK) {
        task_done(sl); /* a stopped job's later tasks do not run */
        return;
    }
    sl->ready_s = simgrid_get_clock();
    switch (t->kind) {
    case SR_TASK_COMPUTE: {
        eng_host *h = &eng->hosts[p->host[task]];
        /* drop when max_queue tasks already wait beyond the executors' */
        if (h->max_queue > 0 && h->occupancy - h->n_exec >= h->max_queue) {
            job_stop(j, SR_OUTCOME_DROPPED, ENG_CAUSE_DEVICE_QUEUE, h->index);
            task_done(sl);
            return;
        }
        h->occupancy++;
        sl->batch_n = 1;
        sl->next = NULL;
        if (t->batch_key > 0 && t->batch_max > 1)
            batch_add(eng, h, sl, t);
        else
            host_enqueue(eng, h, sl, t->executor);
        return;
    }
    case SR_TASK_TRANSFER:
        conn_send(eng, sl, t);
        return;
    case SR_TASK_DELAY:
        sl->start_s = sl->ready_s;
        if (t->cause == SR_DELAY_HOLD) {
            hold_ready(eng, sl, t);
            return;
        }
        sr_sg_timer_set(sl->ready_s + t->seconds, delay_end, sl);
        return;
    case SR_TASK_KIND_COUNT:
        break;
    }
    task_done(sl);
}

/* ---- job creation ---- */

/* Exact mode: the real computation of the frame, at its capture (frames are computed in capture order, so
 * an inter-frame codec sees the stream in order; a frame dropped later was still computed). */
static sr_status exact_frame(eng_source *s, eng_job *j)
{
    engine *eng = s->eng;
    if (eng->ex_frames >= 2 * SR_EXACT_MAX_FRAMES) {
        eng->fail = SR_ERR_RANGE;
        snprintf(eng->fail_msg, sizeof eng->fail_msg, "exact mode: more than %d frames computed; use mode: model",
                 2 * SR_EXACT_MAX_FRAMES);
        return eng->fail;
    }
    sr_exact_result r;
    sr_status st = sr_exact_run_frame_plan(s->exact, j->plan->plan, &r, eng->fail_msg, sizeof eng->fail_msg);
    if (st != SR_OK) {
        eng->fail = st;
        return st;
    }
    j->act_bytes = r.coded_bytes;
    eng->ex_frames++;
    eng->ex_top1 += r.top1_same;
    eng->ex_rel_l2_sum += r.out_rel_l2;
    eng->ex_sig2 += r.act_sig2;
    eng->ex_err2 += r.act_err2;
    eng->ex_wall_s += r.wall_s;
    if (r.partitioned) {
        eng->ex_parts++;
        if (r.stitch_err_rel > eng->ex_stitch_max) eng->ex_stitch_max = r.stitch_err_rel;
    }
    return SR_OK;
}

/* A job of plan p (its reference taken here), created now. */
static eng_job *job_create(engine *eng, eng_source *s, eng_plan *p, int64_t k, double capture_s)
{
    eng_job *j = calloc(1, sizeof *j + (size_t)p->n_tasks * sizeof j->slot[0]);
    if (!j) {
        fail_oom(eng);
        return NULL;
    }
    j->eng = eng;
    j->src = s;
    j->plan = p;
    j->k = k;
    j->capture_s = capture_s;
    j->remaining = p->n_tasks;
    j->act_bytes = -1;
    j->cause_where = -1;
    for (int i = 0; i < p->n_tasks; i++) {
        j->slot[i].job = j;
        j->slot[i].task = i;
        j->slot[i].pending = p->n_preds[i];
        j->slot[i].executor = -1;
        j->slot[i].batch_n = 1;
    }
    return j;
}

static void job_start(engine *eng, eng_job *j)
{
    const eng_plan *p = j->plan;
    if (p->n_tasks == 0) {
        job_end(eng, j);
        return;
    }
    for (int i = 0; i < p->n_tasks; i++)
        if (p->n_preds[i] == 0) task_ready(&j->slot[i]);
}

static void start_frame(eng_source *s, double capture_s)
{
    engine *eng = s->eng;
    if (s->stale || !s->plan) {
        char msg[512] = "";
        sr_status rst = eng_source_replan(eng, s, msg, sizeof msg);
        if (rst != SR_OK) {
            if (eng->fail == SR_OK) {
                eng->fail = SR_ERR_INVALID;
                /* a policy that fails without a message still gets a cause */
                snprintf(eng->fail_msg, sizeof eng->fail_msg, "re-planning source %d: %s", s->index,
                         msg[0] ? msg : sr_status_message(rst));
            }
            return;
        }
    }
    eng_job *j = job_create(eng, s, s->plan, s->n_frames++, capture_s);
    if (!j) return;
    if (s->exact && exact_frame(s, j) != SR_OK) {
        free(j);
        return;
    }
    job_start(eng, j);
}

/* A source's arrival time has come. The frame starts when a zero-flop exec on the source's host ends, i.e.
 * after the activities that end at this same date have been handled (SimGrid runs due timers before it
 * reports the activities that ended at that date): a device that finishes a task at the instant a frame
 * arrives has already let it go when the frame's tasks look at its queue (departures before arrivals). */
static void source_timer(void *arg)
{
    eng_source *s = arg;
    sr_sg_exec_start(s->eng->hosts[s->host].sg, 0.0, &s->marker);
}

void eng_source_arm(eng_source *s)
{
    double t = sr_arrival_next(s->gen);
    if (!(t < s->eng->duration_s) || s->eng->fail != SR_OK) return;
    s->next_s = t;
    sr_sg_timer_set(t, source_timer, s);
}

static engine *job_engine(const eng_job *j)
{
    return j->eng;
}

/* Completion of every activity the engine started (maestro). */
void eng_activity_done(void *data, int ok, void *user)
{
    engine *eng = user;
    eng_slot *sl = data;
    if (!sl->job) { /* a source's arrival marker (a zero-flop exec: it cannot fail unless its host is down) */
        eng_source *s = &eng->sources[sl->task];
        start_frame(s, s->next_s);
        eng_source_arm(s);
        return;
    }
    const eng_plan *p = sl->job->plan;
    const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
    if (t->kind == SR_TASK_COMPUTE) {
        eng_host *h = &eng->hosts[p->host[sl->task]];
        int x = sl->executor;
        const int cls = t->corun_class > 0 && t->corun_class < SR_CORUN_CLASSES ? t->corun_class : 0;
        /* the executor frees after the task's successors were made ready (they only queue meanwhile), so the
         * next task starts in FIFO order once this one is fully done */
        compute_finish(eng, h, sl, ok);
        h->exec[x].running--;
        h->exec[x].class_running[cls]--;
        if (h->exec[x].running == 0) h->exec[x].idle_since_s = simgrid_get_clock();
        host_serve(eng, h);
    } else {
        transfer_finish(eng, sl, ok);
    }
}

/* ---- the policy's view of the simulation ---- */

/* An event of `kind` now, with every device, link and source field "none" (-1). */
static sr_policy_event event_now(sr_event_kind kind)
{
    sr_policy_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.time_s = simgrid_get_clock();
    ev.group = ev.instance = ev.link = ev.link_instance = ev.source = -1;
    ev.job = -1;
    return ev;
}

static void policy_event(engine *eng, const sr_policy_event *ev)
{
    if (!eng->pol->on_event || eng->fail != SR_OK) return;
    eng->sim.now_s = simgrid_get_clock();
    sr_status st = eng->pol->on_event(eng->pol_state, eng->e->policy.params, &eng->env, ev, &eng->sim);
    if (st != SR_OK && eng->fail == SR_OK) {
        eng->fail = st;
        snprintf(eng->fail_msg, sizeof eng->fail_msg, "policy %s: on_event failed: %s", eng->pol->name,
                 sr_status_message(st));
    }
}

static sr_policy_event job_event(sr_event_kind kind, eng_job *j)
{
    eng_job *root = root_job(j);
    sr_policy_event ev = event_now(kind);
    ev.source = root->src ? root->src->index : -1;
    ev.job = root->k;
    return ev;
}

/* A compute task (a member of a batch of `batch`) ended after busy_s on h. */
static void task_done_event(engine *eng, const eng_host *h, const eng_slot *sl, int ok, double busy_s, int batch)
{
    if (!eng->pol->on_event) return;
    const sr_topo_host *th = sr_topology_host_at(eng->topo, h->index);
    sr_policy_event ev = job_event(SR_EVENT_TASK_DONE, sl->job);
    ev.group = th->group;
    ev.instance = th->instance;
    ev.task = sr_plan_task_at(sl->job->plan->plan, sl->task);
    ev.outcome = ok ? SR_OUTCOME_COMPLETED : SR_OUTCOME_FAILED;
    ev.busy_s = busy_s;
    ev.batch = batch;
    policy_event(eng, &ev);
}

static void job_end_event(engine *eng, const eng_job *j)
{
    if (!eng->pol->on_event) return;
    sr_policy_event ev = event_now(SR_EVENT_JOB_DONE);
    ev.source = j->src ? j->src->index : -1;
    ev.job = (long long)j->k;
    ev.outcome = j->outcome;
    ev.latency_s = ev.time_s - j->capture_s;
    ev.job = j->k;
    ev.bytes_sent = (double)j->bytes;
    policy_event(eng, &ev);
}

void eng_policy_start(engine *eng)
{
    sr_policy_event ev = event_now(SR_EVENT_START);
    policy_event(eng, &ev);
}

/* ---- link events: from the same schedules sr_profiles applies to SimGrid (traces, outages) ---- */

typedef struct link_event {
    engine *eng;
    sr_policy_event ev;
} link_event;

static void link_event_fire(void *arg)
{
    link_event *le = arg;
    engine *eng = le->eng;
    sr_policy_event ev = le->ev;
    free(le);
    ev.time_s = simgrid_get_clock();
    policy_event(eng, &ev);
}

static sr_status link_event_at(engine *eng, double at_s, sr_event_kind kind, int link, int instance, double value)
{
    if (!(at_s < eng->duration_s)) return SR_OK;
    link_event *le = calloc(1, sizeof *le);
    if (!le) return SR_ERR_NOMEM;
    le->eng = eng;
    le->ev = event_now(kind); /* its time is set when it fires */
    le->ev.link = link;
    le->ev.link_instance = instance;
    le->ev.value = value;
    sr_sg_timer_set(at_s, link_event_fire, le);
    return SR_OK;
}

sr_status eng_link_events(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    if (!eng->pol->on_event) return SR_OK;
    /* devices' speed changes (the host speed profiles sr_profiles gives SimGrid), one event per instance */
    for (int g = 0; g < e->n_devices; g++)
        for (int i = 0; i < e->devices[g].count; i++)
            for (int k = 0; k < e->devices[g].n_speed_changes; k++) {
                const sr_speed_change *c = &e->devices[g].speed_changes[k];
                if (!(c->at_s < eng->duration_s)) break;
                link_event *le = calloc(1, sizeof *le);
                if (!le) return SR_ERR_NOMEM;
                le->eng = eng;
                le->ev = event_now(SR_EVENT_DEVICE_SPEED);
                le->ev.group = g, le->ev.instance = i, le->ev.value = c->factor;
                sr_sg_timer_set(c->at_s, link_event_fire, le);
            }
    for (int l = 0; l < e->n_links; l++) {
        const sr_link_spec *ls = &e->links[l];
        const sr_trace *t = ls->bw_trace;
        /* bandwidth changes: every point of the trace (and of its repetitions) before the end of the arrivals;
         * every instance of the link follows the same trace, so one event stands for all (link_instance -1) */
        for (int pass = 0; t && t->n > 0; pass++) {
            double base = t->period_s > 0 ? pass * t->period_s : 0.0;
            if (base >= eng->duration_s || (pass > 0 && !(t->period_s > 0))) break;
            for (int i = 0; i < t->n; i++)
                if (link_event_at(eng, base + t->times_s[i], SR_EVENT_LINK_BANDWIDTH, l, -1, t->values[i]) != SR_OK)
                    return SR_ERR_NOMEM;
        }
        if (ls->failures.n == 0 && !(ls->failures.mtbf_s > 0)) continue;
        for (int i = 0; i < ls->count; i++) {
            sr_outage *o = NULL;
            int n = 0;
            sr_status st = sr_profiles_outages(&ls->failures, ls->instances[i], eng->duration_s, eng->seed, &o, &n,
                                               err, err_size);
            if (st != SR_OK) return st;
            for (int k = 0; k < n && st == SR_OK; k++) {
                st = link_event_at(eng, o[k].at_s, SR_EVENT_LINK_DOWN, l, i, 0);
                if (st == SR_OK) st = link_event_at(eng, o[k].at_s + o[k].for_s, SR_EVENT_LINK_UP, l, i, 0);
            }
            free(o);
            if (st != SR_OK) return st;
        }
    }
    return SR_OK;
}

void eng_host_state(sg_host_t host, int on, void *user)
{
    engine *eng = user;
    for (int h = 0; h < eng->n_hosts; h++) {
        if (eng->hosts[h].sg != host) continue;
        if (eng->hosts[h].up == on) return;
        eng->hosts[h].up = on;
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        sr_policy_event ev = event_now(on ? SR_EVENT_DEVICE_UP : SR_EVENT_DEVICE_DOWN);
        ev.group = th->group;
        ev.instance = th->instance;
        policy_event(eng, &ev);
        if (!on) host_serve(eng, &eng->hosts[h]); /* waiting tasks fail now */
        return;
    }
}

static void sim_replan(void *eng_, int source)
{
    engine *eng = eng_;
    for (int s = 0; s < eng->n_sources; s++)
        if (source < 0 || source == s) eng->sources[s].stale = 1;
}

/* Prices, validates and adopts a plan the policy hands over (takes ownership); on error the run fails. */
static sr_status adopt_policy_plan(engine *eng, sr_plan *plan, const char *who, eng_plan **out)
{
    char msg[512] = "";
    sr_status st = sr_price_plan(&eng->env, plan, msg, sizeof msg);
    if (st == SR_OK) st = sr_plan_validate(plan, msg, sizeof msg);
    if (st == SR_OK) {
        st = eng_plan_adopt(eng, plan, who, out, msg, sizeof msg);
        plan = NULL;
    }
    if (st != SR_OK) {
        sr_plan_free(plan);
        if (eng->fail == SR_OK) {
            eng->fail = st;
            snprintf(eng->fail_msg, sizeof eng->fail_msg, "policy %s: %s: %s", eng->pol->name, who, msg);
        }
    }
    return st;
}

static sr_status sim_spawn(void *eng_, void *hold, sr_plan *plan, int tag)
{
    engine *eng = eng_;
    eng_slot *sl = hold;
    if (!sl || !sl->job || sl->released != 0) {
        sr_plan_free(plan);
        return SR_ERR_INVALID;
    }
    eng_plan *p = NULL;
    sr_status st = adopt_policy_plan(eng, plan, "a spawned part", &p);
    if (st != SR_OK) return st;
    eng_job *pj = sl->job, *root = root_job(pj);
    eng_job *j = job_create(eng, pj->src, p, pj->k, simgrid_get_clock());
    if (!j) return SR_ERR_NOMEM;
    j->src = root->src;
    j->k = root->k;
    j->parent = sl;
    j->tag = tag;
    j->task_base = root->plan->n_tasks + root->spawned_tasks;
    root->spawned_tasks += p->n_tasks;
    sl->children++;
    sr_sg_timer_set(simgrid_get_clock(), part_start, j);
    return SR_OK;
}

static sr_status sim_release(void *eng_, void *hold, int ok)
{
    (void)eng_;
    eng_slot *sl = hold;
    if (!sl || !sl->job || sl->released != 0) return SR_ERR_INVALID;
    sl->released = (signed char)(ok ? 1 : -1);
    sr_sg_timer_set(simgrid_get_clock(), hold_release_fire, sl);
    return SR_OK;
}

static sr_status sim_submit(void *eng_, sr_plan *plan)
{
    engine *eng = eng_;
    eng_plan *p = NULL;
    sr_status st = adopt_policy_plan(eng, plan, "a submitted job", &p);
    if (st != SR_OK) return st;
    eng_job *j = job_create(eng, NULL, p, eng->n_submitted++, simgrid_get_clock());
    if (!j) return SR_ERR_NOMEM;
    job_start(eng, j);
    return SR_OK;
}

typedef struct policy_timer {
    engine *eng;
    int tag;
} policy_timer;

static void policy_timer_fire(void *arg)
{
    policy_timer *pt = arg;
    sr_policy_event ev = event_now(SR_EVENT_TIMER);
    ev.tag = pt->tag;
    engine *eng = pt->eng;
    free(pt);
    policy_event(eng, &ev);
}

static sr_status sim_timer(void *eng_, double at_s, int tag)
{
    engine *eng = eng_;
    if (!isfinite(at_s)) return SR_ERR_INVALID;
    if (!(at_s < eng->duration_s)) return SR_OK; /* after the arrivals: not set (a re-arming policy would never end) */
    policy_timer *pt = malloc(sizeof *pt);
    if (!pt) return SR_ERR_NOMEM;
    *pt = (policy_timer){eng, tag};
    sr_sg_timer_set(at_s, policy_timer_fire, pt);
    return SR_OK;
}

static int sim_device_up(void *eng_, int group, int instance)
{
    engine *eng = eng_;
    int h = sr_topology_host(eng->topo, group, instance);
    return h >= 0 && eng->hosts[h].up;
}

void eng_sim_init(engine *eng)
{
    eng->sim.eng = eng;
    eng->sim.replan = sim_replan;
    eng->sim.submit = sim_submit;
    eng->sim.timer = sim_timer;
    eng->sim.device_up = sim_device_up;
    eng->sim.spawn = sim_spawn;
    eng->sim.release = sim_release;
}
