/* sr_engine.c: executes the plans of an experiment's frames on SimGrid (see sr_engine.h).
 *
 * No SimGrid actors at all, so the number of actors does not grow with the load (the per-task actors of
 * the first design hit SimGrid's ~32k-actor limit under overload). Everything runs in maestro, through the
 * C++ shim (sr_sg_shim.h): a kernel timer per source instance fires at each arrival time; every exec and
 * transfer is started from maestro, and SimGrid reports its end to one completion callback
 * (activity_done), which finishes the task and makes its successors ready (fan-out branches run
 * concurrently: each is its own activity). Per device: a FIFO ring buffer of ready compute tasks served
 * one at a time (one exec in flight per device), and an occupancy counter (tasks waiting or being served)
 * for the max_queue drop rule. Transfers start as soon as they are ready and share links max-min. The
 * plan of a source instance is computed once, before the simulation.
 * When the experiment stores per-frame rows (metrics.frames), every executed task also appends a compact
 * timing record (eng_task_rec: indices and times, no strings) to one growable array; names and labels are
 * filled in from the plans after the simulation (collect).
 * No global state here: everything hangs off one `engine` struct given to the callbacks (the shim keeps the
 * callback pointer; SimGrid runs once per process). */
#include "sr_engine.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/energy.h>
#include <xbt/log.h>

#include "arrival.h"
#include "sr_codectab.h"
#include "sr_exact.h"
#include "sr_platform.h"
#include "sr_profile.h"
#include "sr_policy.h"
#include "sr_profiles.h"
#include "sr_sg_shim.h"
#include "sr_model_source.h"

#define ERR(...)                                                                                             \
    do {                                                                                                     \
        if (err) snprintf(err, err_size, __VA_ARGS__);                                                       \
    } while (0)

/* A device host: a FIFO of ready compute tasks served one at a time (no actor: the engine starts each exec
 * from maestro and is called back when it ends). */
typedef struct eng_host {
    sg_host_t sg;
    double speed_flops; /* the host's speed: one core of speed_flops * cores */
    int occupancy;      /* tasks at the device: being served + waiting (the max_queue drop rule) */
    int max_queue;
    int busy;            /* a task is being served (or the queue is being drained) */
    struct eng_slot **q; /* ring buffer of waiting tasks */
    size_t q_head, q_len, q_cap;
    double busy_s;
    int64_t tasks;
} eng_host;

typedef struct eng_link {
    int64_t bytes, transfers;
} eng_link;

/* A source instance's plan with what the engine needs precomputed. */
typedef struct eng_plan {
    sr_plan *plan;
    int n_tasks;
    int *host;                   /* compute: device; transfer: source host */
    int *dst;                    /* transfer: destination host */
    const sr_topo_route **route; /* transfer: route */
    int *n_preds;
    int *succ_first, *succ; /* successors, CSR */
    int act_task;           /* the transfer carrying the (coded) split activation, or -1 */
} eng_plan;

struct engine;

/* Per task of an in-flight frame: its predecessors left and times, and the user data of its activity. A
 * source's arrival marker is a slot with f == NULL (task: the source index). */
typedef struct eng_slot {
    struct eng_frame *f;
    int task;
    int pending; /* predecessors not finished */
    double ready_s, start_s;
} eng_slot;

typedef struct eng_source {
    struct engine *eng;
    int index;       /* global source instance index */
    double next_s;   /* capture time of the arrival being started */
    eng_slot marker; /* the arrival's zero-flop exec (see source_timer) */
    int host;
    double raw_frame_bytes; /* width * height * 3: the 8-bit RGB frame it captures */
    sr_arrival_gen *gen;
    eng_plan plan;
    int64_t n_frames;
    int model;       /* index in e->models */
    sr_exact *exact; /* exact mode: the instance's real computation; NULL in model mode */
} eng_source;

typedef struct eng_frame {
    eng_source *src;
    int64_t k;
    double capture_s;
    int remaining; /* tasks not finished */
    double queue_s, compute_s, transfer_s;
    int64_t bytes;
    int dropped;
    double act_bytes; /* exact mode with a codec: real coded size of the activation; -1: the plan's bytes */
    eng_slot slot[];  /* per task */
} eng_frame;

/* What the hot path records per executed task; expanded to sr_task_record after the run. */
typedef struct eng_task_rec {
    int64_t frame;
    int source, task;
    double ready_s, start_s, end_s;
    int64_t bytes;
} eng_task_rec;

typedef struct engine {
    const sr_experiment *e;
    sr_topology *topo;
    eng_host *hosts;
    int n_hosts;
    eng_link *links;
    eng_source *sources;
    int n_sources;
    sr_frame_record *recs;
    size_t n_recs, cap_recs;
    int want_tasks; /* metrics.frames: record every executed task */
    eng_task_rec *trecs;
    size_t n_trecs, cap_trecs;
    sr_status fail; /* first failure inside the simulation (out of memory, exact-mode kernel error) */
    char fail_msg[512];
    double duration_s;
    /* per model (e->n_models) */
    sr_weights **weights;  /* exact mode: the weights the kernels run with */
    sr_codectab_row *rows; /* split + codec_table: the table row of the model */
    int *has_row;
    sr_policy_codec *codecs;    /* split + codec: what the policy prices the codec with */
    sr_cost_model **group_cost; /* per device group: its profile's cost model, or NULL (the default model) */
    /* exact-mode results */
    int64_t ex_frames, ex_top1;
    double ex_rel_l2_sum, ex_sig2, ex_err2, ex_wall_s;
} engine;

/* Names from the X-macro lists of sr_experiment.h (kept here so the engine needs no config code). */
static const char *device_class_name(sr_device_class c)
{
    switch (c) {
#define SR_DEV_CASE(id, name)                                                                                \
    case id:                                                                                                 \
        return name;
        SR_DEVICE_CLASS_MAP(SR_DEV_CASE)
#undef SR_DEV_CASE
    case SR_DEV_CLASS_COUNT:
        break;
    }
    return "?";
}

static const char *link_type_name(sr_link_type t)
{
    switch (t) {
#define SR_LINK_CASE(id, name)                                                                               \
    case id:                                                                                                 \
        return name;
        SR_LINK_TYPE_MAP(SR_LINK_CASE)
#undef SR_LINK_CASE
    case SR_LINK_TYPE_COUNT:
        break;
    }
    return "?";
}

static const char *policy_label(const sr_policy_spec *p)
{
    if (p->name) return p->name;
    switch (p->kind) {
#define SR_POL_CASE(id, name)                                                                                \
    case id:                                                                                                 \
        return name;
        SR_POLICY_KIND_MAP(SR_POL_CASE)
#undef SR_POL_CASE
    case SR_POLICY_KIND_COUNT:
        break;
    }
    return "?";
}

/* ---- simulation (maestro callbacks: no actor per task, device or source) ---- */

static void task_ready(eng_slot *sl);

static void finish_frame(eng_frame *f)
{
    engine *eng = f->src->eng;
    if (eng->n_recs == eng->cap_recs) {
        size_t cap = eng->cap_recs ? 2 * eng->cap_recs : 256;
        sr_frame_record *r = realloc(eng->recs, cap * sizeof *r);
        if (!r) {
            eng->fail = SR_ERR_NOMEM;
            free(f);
            return;
        }
        eng->recs = r;
        eng->cap_recs = cap;
    }
    sr_frame_record *r = &eng->recs[eng->n_recs++];
    memset(r, 0, sizeof *r);
    r->frame = f->k;
    r->source = f->src->index;
    snprintf(r->device, sizeof r->device, "%s", sr_topology_host_at(eng->topo, f->src->host)->name);
    r->capture_s = f->capture_s;
    r->queue_s = f->queue_s;
    r->compute_s = f->compute_s;
    r->transfer_s = f->transfer_s;
    r->dropped = f->dropped;
    r->complete_s = f->dropped ? -1.0 : simgrid_get_clock();
    r->latency_s = f->dropped ? -1.0 : r->complete_s - f->capture_s;
    r->bytes_sent = f->bytes;
    free(f);
}

/* Appends a task's timing record (metrics.frames only); amortised growth, no per-task allocation. */
static void record_task(engine *eng, const eng_frame *f, int task, double ready_s, double start_s,
                        double end_s, int64_t bytes)
{
    if (!eng->want_tasks) return;
    if (eng->n_trecs == eng->cap_trecs) {
        size_t cap = eng->cap_trecs ? 2 * eng->cap_trecs : 1024;
        eng_task_rec *r = realloc(eng->trecs, cap * sizeof *r);
        if (!r) {
            eng->fail = SR_ERR_NOMEM;
            return;
        }
        eng->trecs = r;
        eng->cap_trecs = cap;
    }
    eng_task_rec *r = &eng->trecs[eng->n_trecs++];
    r->frame = f->k;
    r->source = f->src->index;
    r->task = task;
    r->ready_s = ready_s;
    r->start_s = start_s;
    r->end_s = end_s;
    r->bytes = bytes;
}

/* A task has finished (or was skipped in a dropped frame): its successors whose predecessors are all done
 * become ready now, in the plan's successor order; the frame ends with its last task. */
static void task_done(eng_slot *sl)
{
    eng_frame *f = sl->f;
    const eng_plan *p = &f->src->plan;
    int task = sl->task;
    /* f->remaining >= 1 (this task) during the loop, so the frame cannot end inside it */
    for (int s = p->succ_first[task]; s < p->succ_first[task + 1]; s++)
        if (--f->slot[p->succ[s]].pending == 0) task_ready(&f->slot[p->succ[s]]);
    if (--f->remaining == 0) finish_frame(f);
}

static int host_push(eng_host *h, eng_slot *sl)
{
    if (h->q_len == h->q_cap) {
        size_t cap = h->q_cap ? 2 * h->q_cap : 8;
        eng_slot **q = malloc(cap * sizeof *q);
        if (!q) return 0;
        for (size_t i = 0; i < h->q_len; i++)
            q[i] = h->q[(h->q_head + i) % h->q_cap];
        free(h->q);
        h->q = q;
        h->q_head = 0;
        h->q_cap = cap;
    }
    h->q[(h->q_head + h->q_len) % h->q_cap] = sl;
    h->q_len++;
    return 1;
}

static eng_slot *host_pop(eng_host *h)
{
    assert(h->q_len > 0);
    eng_slot *sl = h->q[h->q_head];
    h->q_head = (h->q_head + 1) % h->q_cap;
    h->q_len--;
    return sl;
}

/* A compute task leaves its device at `now` (it ran from sl->start_s). */
static void compute_finish(engine *eng, eng_host *h, eng_slot *sl)
{
    eng_frame *f = sl->f;
    double now = simgrid_get_clock();
    h->occupancy--;
    f->queue_s += sl->start_s - sl->ready_s;
    f->compute_s += now - sl->start_s;
    h->busy_s += now - sl->start_s;
    h->tasks++;
    record_task(eng, f, sl->task, sl->ready_s, sl->start_s, now, 0);
    task_done(sl);
}

/* Serves the device's queue in FIFO order until an exec is under way (or the queue is empty). Zero-flop tasks
 * take their turn and end at once. h->busy stays set while draining, so tasks that become ready meanwhile on
 * this device are only queued. */
static void host_serve(engine *eng, eng_host *h)
{
    h->busy = 1;
    while (h->q_len > 0) {
        eng_slot *sl = host_pop(h);
        const sr_plan_task *t = sr_plan_task_at(sl->f->src->plan.plan, sl->task);
        sl->start_s = simgrid_get_clock();
        double flops = t->seconds * h->speed_flops;
        if (flops > 0) {
            sr_sg_exec_start(h->sg, flops, sl);
            return;
        }
        compute_finish(eng, h, sl);
    }
    h->busy = 0;
}

/* A task's predecessors have all finished (or the frame was just captured and it has none). */
static void task_ready(eng_slot *sl)
{
    eng_frame *f = sl->f;
    engine *eng = f->src->eng;
    const eng_plan *p = &f->src->plan;
    int task = sl->task;
    const sr_plan_task *t = sr_plan_task_at(p->plan, task);
    if (f->dropped || eng->fail != SR_OK) {
        task_done(sl); /* a dropped frame's later tasks do not run */
        return;
    }
    sl->ready_s = simgrid_get_clock();
    switch (t->kind) {
    case SR_TASK_COMPUTE: {
        eng_host *h = &eng->hosts[p->host[task]];
        /* drop when max_queue tasks already wait behind the one being served */
        if (h->max_queue > 0 && h->occupancy - 1 >= h->max_queue) {
            f->dropped = 1;
            task_done(sl);
            return;
        }
        if (!host_push(h, sl)) {
            eng->fail = SR_ERR_NOMEM;
            task_done(sl);
            return;
        }
        h->occupancy++;
        if (!h->busy) host_serve(eng, h);
        return;
    }
    case SR_TASK_TRANSFER: {
        double size = task == p->act_task && f->act_bytes >= 0 ? f->act_bytes : t->bytes;
        sl->start_s = sl->ready_s;
        sr_sg_sendto_start(eng->hosts[p->host[task]].sg, eng->hosts[p->dst[task]].sg, size, sl);
        return;
    }
    case SR_TASK_KIND_COUNT:
        break;
    }
    task_done(sl);
}

static void transfer_finish(engine *eng, eng_slot *sl)
{
    eng_frame *f = sl->f;
    const eng_plan *p = &f->src->plan;
    const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
    double size = sl->task == p->act_task && f->act_bytes >= 0 ? f->act_bytes : t->bytes;
    double now = simgrid_get_clock();
    f->transfer_s += now - sl->start_s;
    int64_t bytes = (int64_t)llround(size);
    f->bytes += bytes;
    const sr_topo_route *r = p->route[sl->task];
    for (int k = 0; k < r->n_links; k++) {
        eng_link *l = &eng->links[sr_topology_route_link(eng->topo, r, k)];
        l->bytes += bytes;
        l->transfers++;
    }
    record_task(eng, f, sl->task, sl->ready_s, sl->start_s, now, bytes);
    task_done(sl);
}

/* Exact mode: the real computation of the frame, at its capture (frames are computed in capture order, so
 * an inter-frame codec sees the stream in order; a frame dropped later was still computed). */
static sr_status exact_frame(eng_source *s, eng_frame *f)
{
    engine *eng = s->eng;
    if (eng->ex_frames >= 2 * SR_EXACT_MAX_FRAMES) {
        eng->fail = SR_ERR_RANGE;
        snprintf(eng->fail_msg, sizeof eng->fail_msg,
                 "exact mode: more than %d frames computed; use mode: model", 2 * SR_EXACT_MAX_FRAMES);
        return eng->fail;
    }
    sr_exact_result r;
    sr_status st = sr_exact_run_frame(s->exact, &r, eng->fail_msg, sizeof eng->fail_msg);
    if (st != SR_OK) {
        eng->fail = st;
        return st;
    }
    f->act_bytes = r.coded_bytes;
    eng->ex_frames++;
    eng->ex_top1 += r.top1_same;
    eng->ex_rel_l2_sum += r.out_rel_l2;
    eng->ex_sig2 += r.act_sig2;
    eng->ex_err2 += r.act_err2;
    eng->ex_wall_s += r.wall_s;
    return SR_OK;
}

static void start_frame(eng_source *s, double capture_s)
{
    const eng_plan *p = &s->plan;
    eng_frame *f = calloc(1, sizeof *f + (size_t)p->n_tasks * sizeof f->slot[0]);
    if (!f) {
        s->eng->fail = SR_ERR_NOMEM;
        return;
    }
    f->src = s;
    f->k = s->n_frames++;
    f->capture_s = capture_s;
    f->remaining = p->n_tasks;
    f->act_bytes = -1;
    if (s->exact && exact_frame(s, f) != SR_OK) {
        free(f);
        return;
    }
    for (int i = 0; i < p->n_tasks; i++) {
        f->slot[i].f = f;
        f->slot[i].task = i;
        f->slot[i].pending = p->n_preds[i];
    }
    if (p->n_tasks == 0) {
        finish_frame(f);
        return;
    }
    for (int i = 0; i < p->n_tasks; i++)
        if (p->n_preds[i] == 0) task_ready(&f->slot[i]);
}

/* Arms the source's next arrival, if it falls before the end of the run. */
static void source_arm(eng_source *s);

/* A source's arrival time has come. The frame starts when a zero-flop exec on the source's host ends, i.e.
 * after the activities that end at this same date have been handled (SimGrid runs due timers before it
 * reports the activities that ended at that date): a device that finishes a task at the instant a frame
 * arrives has already let it go when the frame's tasks look at its queue (departures before arrivals). */
static void source_timer(void *arg)
{
    eng_source *s = arg;
    sr_sg_exec_start(s->eng->hosts[s->host].sg, 0.0, &s->marker);
}

static void source_arm(eng_source *s)
{
    double t = sr_arrival_next(s->gen);
    if (!(t < s->eng->duration_s) || s->eng->fail != SR_OK) return;
    s->next_s = t;
    sr_sg_timer_set(t, source_timer, s);
}

/* Completion of every activity the engine started (maestro). */
static void activity_done(void *data, int ok, void *user)
{
    engine *eng = user;
    eng_slot *sl = data;
    if (!ok && eng->fail == SR_OK) {
        eng->fail = SR_ERR_SIM;
        snprintf(eng->fail_msg, sizeof eng->fail_msg, "a SimGrid activity failed or was cancelled");
    }
    if (!sl->f) { /* a source's arrival marker */
        eng_source *s = &eng->sources[sl->task];
        start_frame(s, s->next_s);
        source_arm(s);
        return;
    }
    const eng_plan *p = &sl->f->src->plan;
    const sr_plan_task *t = sr_plan_task_at(p->plan, sl->task);
    if (t->kind == SR_TASK_COMPUTE) {
        eng_host *h = &eng->hosts[p->host[sl->task]];
        compute_finish(eng, h, sl);
        host_serve(eng, h);
    } else {
        transfer_finish(eng, sl);
    }
}

/* ---- preparation (no SimGrid) ---- */

static void plan_clear(eng_plan *p)
{
    sr_plan_free(p->plan);
    free(p->host);
    free(p->dst);
    free(p->route);
    free(p->n_preds);
    free(p->succ_first);
    free(p->succ);
    memset(p, 0, sizeof *p);
}

/* Resolves the plan's devices to hosts and routes, and builds its successor lists. */
static sr_status plan_prepare(const engine *eng, eng_plan *p, const char *source_name, char *err,
                              size_t err_size)
{
    const sr_experiment *e = eng->e;
    int n = sr_plan_task_count(p->plan), nd = sr_plan_dep_count(p->plan);
    p->n_tasks = n;
    p->host = calloc((size_t)n, sizeof *p->host);
    p->dst = calloc((size_t)n, sizeof *p->dst);
    p->route = calloc((size_t)n, sizeof *p->route);
    p->n_preds = calloc((size_t)n, sizeof *p->n_preds);
    p->succ_first = calloc((size_t)n + 1, sizeof *p->succ_first);
    p->succ = calloc((size_t)(nd ? nd : 1), sizeof *p->succ);
    if (!p->host || !p->dst || !p->route || !p->n_preds || !p->succ_first || !p->succ) return SR_ERR_NOMEM;
    p->act_task = -1;
    for (int i = 0; i < n; i++) {
        const sr_plan_task *t = sr_plan_task_at(p->plan, i);
        if (t->kind == SR_TASK_TRANSFER && strcmp(t->label, "activation") == 0) p->act_task = i;
        const sr_plan_dev *a = t->kind == SR_TASK_COMPUTE ? &t->dev : &t->src;
        p->host[i] = a->group < e->n_devices ? sr_topology_host(eng->topo, a->group, a->instance) : -1;
        p->dst[i] = -1;
        if (t->kind == SR_TASK_TRANSFER)
            p->dst[i] =
                t->dst.group < e->n_devices ? sr_topology_host(eng->topo, t->dst.group, t->dst.instance) : -1;
        if (p->host[i] < 0 || (t->kind == SR_TASK_TRANSFER && p->dst[i] < 0)) {
            ERR("policy %s: plan task '%s' of source '%s' names a device that does not exist",
                policy_label(&e->policy), t->label, source_name);
            return SR_ERR_INVALID;
        }
        if (t->kind == SR_TASK_TRANSFER) {
            p->route[i] = sr_topology_route(eng->topo, p->host[i], p->dst[i]);
            if (!p->route[i]) {
                ERR("no route from '%s' to '%s', which policy %s needs for source '%s' (%s); add a route "
                    "between "
                    "them",
                    sr_topology_host_at(eng->topo, p->host[i])->name,
                    sr_topology_host_at(eng->topo, p->dst[i])->name, policy_label(&e->policy), source_name,
                    t->label);
                return SR_ERR_NOT_FOUND;
            }
        }
    }
    for (int d = 0; d < nd; d++) {
        int b, a;
        sr_plan_dep_at(p->plan, d, &b, &a);
        p->n_preds[a]++;
        p->succ_first[b + 1]++;
    }
    for (int i = 0; i < n; i++)
        p->succ_first[i + 1] += p->succ_first[i];
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!fill) return SR_ERR_NOMEM;
    for (int d = 0; d < nd; d++) {
        int b, a;
        sr_plan_dep_at(p->plan, d, &b, &a);
        p->succ[p->succ_first[b] + fill[b]++] = a;
    }
    free(fill);
    return SR_OK;
}

/* Default model loader: zoo names, .onnx and darknet .cfg files (sr_model_load), no weights. */
static sr_status load_model_graph(const sr_model_spec *m, void *user, sr_graph **out, char *err,
                                  size_t err_size)
{
    (void)user;
    char msg[512] = "";
    sr_status st =
        sr_model_load(m->source, m->input_c, m->input_h, m->input_w, 0, out, NULL, msg, sizeof msg);
    if (st != SR_OK) ERR("model '%s': %s", m->name, msg[0] ? msg : sr_status_message(st));
    return st;
}

static int find_device(const sr_experiment *e, const char *name)
{
    for (int g = 0; name && g < e->n_devices; g++)
        if (strcmp(e->devices[g].name, name) == 0) return g;
    return -1;
}

static int find_model(const sr_experiment *e, const char *name)
{
    for (int m = 0; name && m < e->n_models; m++)
        if (strcmp(e->models[m].name, name) == 0) return m;
    return -1;
}

static sr_status check_devices(const sr_experiment *e, char *err, size_t err_size)
{
    for (int g = 0; g < e->n_devices; g++) {
        const sr_device_spec *d = &e->devices[g];
        if (!(d->speed_flops > 0) || !isfinite(d->speed_flops) || d->cores < 1 || d->count < 1 ||
            !d->instances) {
            ERR("device '%s': needs a positive speed, cores and count", d->name);
            return SR_ERR_INVALID;
        }
    }
    for (int s = 0; s < e->n_links; s++) {
        const sr_link_spec *l = &e->links[s];
        if (!(l->bw_bps > 0) || !isfinite(l->bw_bps) || !(l->latency_s >= 0) || l->count < 1 ||
            !l->instances) {
            ERR("link '%s': needs a positive bandwidth, a latency >= 0 and at least one instance", l->name);
            return SR_ERR_INVALID;
        }
        if (l->sharing == SR_SHARING_WIFI && l->latency_s != 0) {
            ERR("link '%s': SimGrid's WIFI links have no latency; set it to 0 and put the latency on the "
                "wired link "
                "behind the access point",
                l->name);
            return SR_ERR_INVALID;
        }
    }
    return SR_OK;
}

/* Expected frames of a run point: (duration - start) x fps per source instance, rounded up. */
static double expected_frames(const sr_experiment *e)
{
    double frames = 0;
    for (int s = 0; s < e->n_sources; s++) {
        const sr_source_spec *ss = &e->sources[s];
        int g = find_device(e, ss->devices);
        double span = e->duration_s - ss->start_s;
        if (g >= 0 && ss->fps > 0 && span > 0) frames += (double)e->devices[g].count * ceil(span * ss->fps);
    }
    return frames;
}

/* The cost model of every device group that names a known profile. */
static sr_status profile_costs(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    eng->group_cost = calloc((size_t)(e->n_devices ? e->n_devices : 1), sizeof *eng->group_cost);
    if (!eng->group_cost) return SR_ERR_NOMEM;
    for (int g = 0; g < e->n_devices; g++) {
        const sr_profile *p = e->devices[g].profile ? sr_profile_find(e->devices[g].profile) : NULL;
        if (!p) continue;
        char msg[512] = "";
        sr_status st = sr_profile_cost_model_err(p, &eng->group_cost[g], msg, sizeof msg);
        if (st != SR_OK) {
            ERR("device '%s': cost model of profile '%s': %s", e->devices[g].name, p->name,
                msg[0] ? msg : sr_status_message(st));
            return st;
        }
    }
    return SR_OK;
}

/* The codec the split policy prices for model m (NULL: no codec). */
static const sr_policy_codec *codec_of(const engine *eng, int m)
{
    return eng->codecs && eng->e->policy.kind == SR_POLICY_SPLIT && eng->e->policy.codec ? &eng->codecs[m]
                                                                                         : NULL;
}

/* Loads every model a source uses (exact mode: with weights, seeded with the experiment's seed), and, for a
 * split with a codec, reads each model's codec table row. */
static sr_status models_prepare(engine *eng, const sr_engine_opts *opts, sr_graph **graphs, char *err,
                                size_t err_size)
{
    const sr_experiment *e = eng->e;
    const sr_policy_spec *pol = &e->policy;
    int nm = e->n_models ? e->n_models : 1;
    eng->weights = calloc((size_t)nm, sizeof *eng->weights);
    eng->rows = calloc((size_t)nm, sizeof *eng->rows);
    eng->has_row = calloc((size_t)nm, sizeof *eng->has_row);
    eng->codecs = calloc((size_t)nm, sizeof *eng->codecs);
    if (!eng->weights || !eng->rows || !eng->has_row || !eng->codecs) return SR_ERR_NOMEM;
    int with_codec = pol->kind == SR_POLICY_SPLIT && pol->codec;
    if (with_codec && e->mode == SR_MODE_MODEL && !pol->codec_table) {
        ERR("split policy '%s': model mode prices the codec '%s' from a codec table; give codec_table (made "
            "by "
            "`simrun codec-table`) or use mode: exact",
            policy_label(pol), pol->codec);
        return SR_ERR_INVALID;
    }
    for (int s = 0; s < e->n_sources; s++) {
        int m = find_model(e, e->sources[s].model);
        if (m < 0 || graphs[m]) continue;
        const sr_model_spec *ms = &e->models[m];
        sr_status st;
        if (e->mode == SR_MODE_EXACT) {
            char msg[512] = "";
            st = sr_model_load(ms->source, ms->input_c, ms->input_h, ms->input_w, e->seed, &graphs[m],
                               &eng->weights[m], msg, sizeof msg);
            if (st != SR_OK) ERR("model '%s': %s", ms->name, msg[0] ? msg : sr_status_message(st));
        } else {
            st = opts && opts->load_graph ? opts->load_graph(ms, opts->user, &graphs[m], err, err_size)
                                          : load_model_graph(ms, NULL, &graphs[m], err, err_size);
        }
        if (st != SR_OK) return st;
        if (!with_codec) continue;
        sr_policy_codec *c = &eng->codecs[m];
        c->pipeline = pol->codec;
        c->bits_per_element = 32.0; /* exact mode without a table: replaced by the real coded size */
        c->host_flops = pol->codec_host_flops;
        if (!pol->codec_table) continue;
        st = sr_codectab_lookup(pol->codec_table, ms->source, pol->split_at ? pol->split_at : "", pol->codec,
                                &eng->rows[m], err, err_size);
        if (st != SR_OK) return st;
        eng->has_row[m] = 1;
        c->bits_per_element = eng->rows[m].bits_per_element;
        c->encode_s_per_element = eng->rows[m].encode_s_per_element;
        c->decode_s_per_element = eng->rows[m].decode_s_per_element;
    }
    return SR_OK;
}

/* Builds the topology, graphs, plans and arrival generators. */
static sr_status prepare(engine *eng, uint64_t seed, const sr_engine_opts *opts, sr_graph **graphs, char *err,
                         size_t err_size)
{
    const sr_experiment *e = eng->e;
    sr_status st = check_devices(e, err, err_size);
    if (st != SR_OK) return st;
    st = sr_topology_build(e, &eng->topo, err, err_size);
    if (st != SR_OK) return st;
    /* WIFI stations need a rate level of their link */
    for (int h = 0; h < sr_topology_host_count(eng->topo); h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        if (th->cell < 0) continue;
        const sr_link_spec *ls =
            &e->links[sr_topology_link_at(eng->topo, sr_topology_cell_link(eng->topo, th->cell))->spec];
        int levels = ls->n_rates > 0 ? ls->n_rates : 1;
        int level = e->devices[th->group].wifi_level;
        if (level < 0 || level >= levels) {
            ERR("device '%s': wifi_level %d is not a rate level of WIFI link '%s' (0..%d)", th->name, level,
                ls->name, levels - 1);
            return SR_ERR_RANGE;
        }
    }
    eng->n_hosts = sr_topology_host_count(eng->topo);
    eng->hosts = calloc((size_t)eng->n_hosts, sizeof *eng->hosts);
    eng->links = calloc((size_t)(sr_topology_link_count(eng->topo) + 1), sizeof *eng->links);
    if (!eng->hosts || !eng->links) return SR_ERR_NOMEM;
    for (int h = 0; h < eng->n_hosts; h++) {
        const sr_device_spec *d = &e->devices[sr_topology_host_at(eng->topo, h)->group];
        eng->hosts[h].speed_flops = d->speed_flops * (double)d->cores;
        eng->hosts[h].max_queue = d->max_queue;
    }

    const sr_policy *pol = sr_policy_get(e->policy.kind);
    if (!pol) {
        ERR("unknown policy kind %d", (int)e->policy.kind);
        return SR_ERR_INVALID;
    }
    int target_group = -1;
    if (e->policy.target) {
        target_group = find_device(e, e->policy.target);
        if (target_group < 0) {
            ERR("%s:%d:%d: error: policy target '%s' is not a device group",
                e->policy.loc.file ? e->policy.loc.file : "experiment", e->policy.loc.line, e->policy.loc.col,
                e->policy.target);
            return SR_ERR_NOT_FOUND;
        }
    }
    sr_cost_model *own_cost = NULL;
    const sr_cost_model *cost = opts && opts->cost ? opts->cost : NULL;
    if (!cost) {
        st = sr_cost_roofline_create(&own_cost);
        if (st != SR_OK) return st;
        cost = own_cost;
        /* each device group with a profile is priced by the profile's cost model (fitted when it has a fit)
         */
        st = profile_costs(eng, err, err_size);
        if (st != SR_OK) goto out;
    }
    st = models_prepare(eng, opts, graphs, err, err_size);
    if (st != SR_OK) goto out;
    if (e->mode == SR_MODE_EXACT) {
        double frames = expected_frames(e);
        if (frames > SR_EXACT_MAX_FRAMES) {
            ERR("exact mode runs the real kernels for every frame: this run point has about %.0f frames, "
                "more "
                "than the %d allowed (use mode: model)",
                frames, SR_EXACT_MAX_FRAMES);
            st = SR_ERR_RANGE;
            goto out;
        }
    }

    int n_src = 0;
    for (int s = 0; s < e->n_sources; s++) {
        int g = find_device(e, e->sources[s].devices);
        if (g < 0) {
            ERR("%s:%d:%d: error: source '%s': '%s' is not a device group",
                e->sources[s].loc.file ? e->sources[s].loc.file : "experiment", e->sources[s].loc.line,
                e->sources[s].loc.col, e->sources[s].name,
                e->sources[s].devices ? e->sources[s].devices : "(none)");
            st = SR_ERR_NOT_FOUND;
            goto out;
        }
        n_src += e->devices[g].count;
    }
    eng->sources = calloc((size_t)(n_src ? n_src : 1), sizeof *eng->sources);
    if (!eng->sources) {
        st = SR_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < e->n_sources && st == SR_OK; s++) {
        const sr_source_spec *ss = &e->sources[s];
        int g = find_device(e, ss->devices);
        int m = find_model(e, ss->model);
        if (m < 0) {
            ERR("%s:%d:%d: error: source '%s': unknown model '%s'",
                ss->loc.file ? ss->loc.file : "experiment", ss->loc.line, ss->loc.col, ss->name,
                ss->model ? ss->model : "(none)");
            st = SR_ERR_NOT_FOUND;
            break;
        }
        if (!(ss->fps > 0) || !isfinite(ss->fps) || !(ss->start_s >= 0)) {
            ERR("source '%s': needs fps > 0 and start >= 0", ss->name);
            st = SR_ERR_INVALID;
            break;
        }
        const sr_policy_codec *codec = codec_of(eng, m);
        int cut = -1;
        if (e->policy.kind == SR_POLICY_SPLIT && e->policy.split_at) {
            cut = sr_graph_find(graphs[m], e->policy.split_at);
            if (cut < 0) {
                ERR("split: model '%s' has no layer '%s'", e->models[m].name, e->policy.split_at);
                st = SR_ERR_NOT_FOUND;
                break;
            }
        }
        for (int i = 0; i < e->devices[g].count && st == SR_OK; i++) {
            eng_source *src = &eng->sources[eng->n_sources];
            src->eng = eng;
            src->index = eng->n_sources++;
            src->raw_frame_bytes = sr_policy_raw_frame_bytes(ss);
            src->host = sr_topology_host(eng->topo, g, i);
            src->model = m;
            sr_policy_ctx ctx = {e,
                                 &e->policy,
                                 ss,
                                 graphs[m],
                                 e->models[m].precision,
                                 cost,
                                 g,
                                 i,
                                 target_group,
                                 codec,
                                 (const sr_cost_model *const *)eng->group_cost};
            st = sr_policy_plan(pol, &ctx, &src->plan.plan, err, err_size);
            if (st != SR_OK) break;
            st = plan_prepare(eng, &src->plan, e->devices[g].instances[i], err, err_size);
            if (st != SR_OK) break;
            sr_arrival_process kind =
                ss->arrival == SR_ARRIVAL_POISSON ? SR_ARRIVAL_PROC_POISSON : SR_ARRIVAL_PROC_PERIODIC;
            st = sr_arrival_create(kind, ss->fps, ss->start_s, sr_arrival_phase(i, ss->fps),
                                   sr_arrival_seed(seed, (uint64_t)src->index), &src->gen);
            if (st == SR_OK && e->mode == SR_MODE_EXACT) {
                /* the instance's video has its own stream, independent of the arrival streams */
                uint64_t video_seed = sr_arrival_seed(seed ^ UINT64_C(0x766964656f), (uint64_t)src->index);
                /* instances of one model share its executors (sr_exact_clone) */
                const sr_exact *proto = NULL;
                for (int k = 0; k < src->index && !proto; k++)
                    if (eng->sources[k].model == m) proto = eng->sources[k].exact;
                st = proto ? sr_exact_clone(proto, ss->width, ss->height, video_seed, &src->exact, err,
                                            err_size)
                           : sr_exact_create(graphs[m], eng->weights[m], cut,
                                             e->policy.kind == SR_POLICY_SPLIT ? e->policy.codec : NULL,
                                             ss->width, ss->height, video_seed, &src->exact, err, err_size);
            }
        }
    }
out:
    sr_cost_model_free(own_cost);
    return st;
}

static void engine_clear(engine *eng)
{
    for (int s = 0; s < eng->n_sources; s++) {
        plan_clear(&eng->sources[s].plan);
        sr_arrival_free(eng->sources[s].gen);
        sr_exact_free(eng->sources[s].exact);
    }
    for (int m = 0; eng->weights && m < eng->e->n_models; m++)
        sr_weights_free(eng->weights[m]);
    free(eng->weights);
    free(eng->rows);
    free(eng->has_row);
    free(eng->codecs);
    for (int g = 0; eng->group_cost && g < eng->e->n_devices; g++)
        sr_cost_model_free(eng->group_cost[g]);
    free(eng->group_cost);
    free(eng->sources);
    for (int h = 0; eng->hosts && h < eng->n_hosts; h++)
        free(eng->hosts[h].q);
    free(eng->hosts);
    free(eng->links);
    free(eng->recs);
    free(eng->trecs);
    sr_topology_free(eng->topo);
}

static int rec_cmp(const void *a, const void *b)
{
    const sr_frame_record *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static int trec_cmp(const void *a, const void *b)
{
    const eng_task_rec *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    return (x->task > y->task) - (x->task < y->task);
}

/* The task records in (source, frame, task) order, with the plan's kinds and labels and the host names. */
static sr_status collect_tasks(engine *eng, sr_run_output *out)
{
    if (eng->n_trecs > 1) qsort(eng->trecs, eng->n_trecs, sizeof *eng->trecs, trec_cmp); /* NULL when none */
    for (size_t i = 0; i < eng->n_trecs; i++) {
        const eng_task_rec *tr = &eng->trecs[i];
        assert(tr->source >= 0 && tr->source < eng->n_sources);
        const eng_plan *p = &eng->sources[tr->source].plan;
        assert(tr->task >= 0 && tr->task < p->n_tasks);
        const sr_plan_task *t = sr_plan_task_at(p->plan, tr->task);
        sr_task_record r;
        memset(&r, 0, sizeof r);
        r.frame = tr->frame;
        r.source = tr->source;
        r.task = tr->task;
        const char *kind = "?";
        switch (t->kind) {
        case SR_TASK_COMPUTE:
            kind = "compute";
            break;
        case SR_TASK_TRANSFER:
            kind = "transfer";
            snprintf(r.dst, sizeof r.dst, "%s", sr_topology_host_at(eng->topo, p->dst[tr->task])->name);
            break;
        case SR_TASK_KIND_COUNT:
            break;
        }
        snprintf(r.kind, sizeof r.kind, "%s", kind);
        snprintf(r.label, sizeof r.label, "%s", t->label);
        snprintf(r.device, sizeof r.device, "%s", sr_topology_host_at(eng->topo, p->host[tr->task])->name);
        r.ready_s = tr->ready_s;
        r.start_s = tr->start_s;
        r.end_s = tr->end_s;
        r.bytes = tr->bytes;
        sr_status st = sr_run_output_add_task(out, &r);
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

/* ---- SimGrid ---- */

/* Every WIFI station gets its rate level (C++-only call, through the shim). */
static sr_status attach_stations(engine *eng, char *err, size_t err_size)
{
    for (int h = 0; h < eng->n_hosts; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        if (th->cell < 0) continue;
        const sr_topo_link *tl = sr_topology_link_at(eng->topo, sr_topology_cell_link(eng->topo, th->cell));
        sg_link_t l = sg_link_by_name(tl->name);
        if (!l) {
            ERR("SimGrid did not create WIFI link '%s'", tl->name);
            return SR_ERR_SIM;
        }
        sr_sg_link_set_host_wifi_rate(l, eng->hosts[h].sg, eng->e->devices[th->group].wifi_level);
    }
    return SR_OK;
}

static sr_status write_platform(const engine *eng, char *path, size_t path_size, char *err, size_t err_size)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    snprintf(path, path_size, "%s/simrun-platform-XXXXXX.xml", dir);
    int fd = mkstemps(path, 4);
    if (fd < 0) {
        ERR("cannot create the platform file in %s", dir);
        return SR_ERR_IO;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(path);
        ERR("cannot write the platform file %s", path);
        return SR_ERR_IO;
    }
    sr_status st = sr_topology_write_xml(eng->topo, eng->e, f);
    if (fclose(f) != 0 || st != SR_OK) {
        unlink(path);
        ERR("cannot write the platform file %s", path);
        return SR_ERR_IO;
    }
    return SR_OK;
}

static void init_simgrid(const sr_experiment *e)
{
    const char *log = getenv("SR_LOG");
    xbt_log_control_set(log && *log ? log : "root.thres:critical");
    char *args[8];
    int argc = 0;
    args[argc++] = "simrun";
    if (e->net_model == SR_NET_CM02) {
        args[argc++] = "--cfg=network/model:CM02";
        args[argc++] = "--cfg=network/crosstraffic:0";
        args[argc++] = "--cfg=network/TCP-gamma:0";
    }
#ifdef SR_SANITIZE
    args[argc++] = "--cfg=contexts/factory:thread";
#endif
    args[argc] = NULL;
    simgrid_init(&argc, args);
}

static int needs_link_energy(const sr_experiment *e)
{
    for (int s = 0; s < e->n_links; s++)
        if (e->links[s].sharing != SR_SHARING_WIFI &&
            (e->links[s].power_idle_w > 0 || e->links[s].power_busy_w > 0))
            return 1;
    return 0;
}

/* Fidelity next to latency. Exact mode: what the real computation measured (activation_snr_db pools the
 * activation and coding-error energy of every frame; output_rel_l2_mean and top1_agreement compare the path's
 * final output with the full forward; exact_kernel_wall_s is the only wall-clock value). Model mode with a
 * codec table: the table rows' activation_snr_db, output_rel_l2 and top1_agreement (mean over the source
 * instances' models). */
static sr_status fidelity_metrics(const engine *eng, sr_run_output *out)
{
    const sr_experiment *e = eng->e;
    int with_codec = e->policy.kind == SR_POLICY_SPLIT && e->policy.codec;
    sr_status st = SR_OK;
    if (e->mode == SR_MODE_EXACT) {
        double n = (double)eng->ex_frames;
        st = sr_run_output_add_metric(out, "exact_frames", n, "1");
        if (st == SR_OK)
            st = sr_run_output_add_metric(out, "output_rel_l2_mean", n > 0 ? eng->ex_rel_l2_sum / n : 0.0,
                                          "1");
        if (st == SR_OK)
            st = sr_run_output_add_metric(out, "top1_agreement", n > 0 ? (double)eng->ex_top1 / n : 1.0, "1");
        if (st == SR_OK && with_codec)
            st = sr_run_output_add_metric(
                out, "activation_snr_db",
                eng->ex_err2 > 0 ? 10.0 * log10(eng->ex_sig2 / eng->ex_err2) : INFINITY, "dB");
        if (st == SR_OK) st = sr_run_output_add_metric(out, "exact_kernel_wall_s", eng->ex_wall_s, "s");
        return st;
    }
    if (!with_codec) return SR_OK;
    double snr = 0, rel = 0, top1 = 0;
    int n = 0;
    for (int s = 0; s < eng->n_sources; s++) {
        int m = eng->sources[s].model;
        if (!eng->has_row[m]) continue;
        snr += eng->rows[m].snr_db;
        rel += eng->rows[m].output_rel_l2;
        top1 += eng->rows[m].top1_agreement;
        n++;
    }
    if (n == 0) return SR_OK;
    st = sr_run_output_add_metric(out, "activation_snr_db", snr / n, "dB");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "output_rel_l2", rel / n, "1");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "top1_agreement", top1 / n, "1");
    return st;
}

static sr_status collect(engine *eng, sr_run_output *out)
{
    const sr_experiment *e = eng->e;
    sr_status st = SR_OK;
    if (eng->n_recs > 1) qsort(eng->recs, eng->n_recs, sizeof *eng->recs, rec_cmp); /* NULL when none */
    int64_t bytes_total = 0;
    double amplification_sum = 0.0;
    size_t n_sent = 0;
    for (size_t i = 0; i < eng->n_recs && st == SR_OK; i++) {
        const sr_frame_record *r = &eng->recs[i];
        bytes_total += r->bytes_sent;
        if (!r->dropped && r->source >= 0 && r->source < eng->n_sources &&
            eng->sources[r->source].raw_frame_bytes > 0) {
            amplification_sum += (double)r->bytes_sent / eng->sources[r->source].raw_frame_bytes;
            n_sent++;
        }
        st = sr_run_output_add_frame(out, r);
    }
    if (st == SR_OK && eng->want_tasks) st = collect_tasks(eng, out);
    double energy_total = 0;
    for (int h = 0; h < eng->n_hosts && st == SR_OK; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        sr_host_stat hs;
        memset(&hs, 0, sizeof hs);
        snprintf(hs.name, sizeof hs.name, "%s", th->name);
        snprintf(hs.device_class, sizeof hs.device_class, "%s", device_class_name(e->devices[th->group].cls));
        hs.busy_s = eng->hosts[h].busy_s;
        hs.tasks = eng->hosts[h].tasks;
        hs.energy_j = sg_host_get_consumed_energy(eng->hosts[h].sg);
        energy_total += hs.energy_j;
        st = sr_run_output_add_host(out, &hs);
    }
    int link_energy = needs_link_energy(e);
    for (int l = 0; l < sr_topology_link_count(eng->topo) && st == SR_OK; l++) {
        const sr_topo_link *tl = sr_topology_link_at(eng->topo, l);
        const sr_link_spec *ls = &e->links[tl->spec];
        sr_link_stat s;
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "%s", tl->name);
        snprintf(s.type, sizeof s.type, "%s", link_type_name(ls->type));
        s.bw_bps = ls->bw_bps;
        s.latency_s = ls->latency_s;
        s.bytes = eng->links[l].bytes;
        s.transfers = eng->links[l].transfers;
        if (link_energy && ls->sharing != SR_SHARING_WIFI) {
            sg_link_t sl = sg_link_by_name(tl->name);
            s.energy_j = sl ? sg_link_get_consumed_energy(sl) : 0.0;
            energy_total += s.energy_j;
        }
        st = sr_run_output_add_link(out, &s);
    }
    out->end_s = simgrid_get_clock();
    if (st == SR_OK) st = sr_run_output_summarize(out, e->metrics.warmup_s);
    if (st == SR_OK) st = sr_run_output_add_metric(out, "energy_total_j", energy_total, "J");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "bytes_total", (double)bytes_total, "B");
    /* Emmons et al.'s data amplification: network bytes of a completed frame / its raw 8-bit RGB frame. */
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "bytes_per_frame",
                                      eng->n_recs ? (double)bytes_total / (double)eng->n_recs : 0.0, "B");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "amplification", n_sent ? amplification_sum / (double)n_sent : 0.0,
                                      "1");
    if (st == SR_OK) st = fidelity_metrics(eng, out);
    return st;
}

sr_status sr_engine_run_opts(const sr_experiment *e, uint64_t seed, const sr_engine_opts *opts,
                             sr_run_output *out, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!e || !out) {
        ERR("engine: no experiment or output");
        return SR_ERR_INVALID;
    }
    if (!(e->duration_s > 0) || !isfinite(e->duration_s)) {
        ERR("experiment duration must be > 0");
        return SR_ERR_INVALID;
    }
    engine eng;
    memset(&eng, 0, sizeof eng);
    eng.e = e;
    eng.duration_s = e->duration_s;
    eng.want_tasks = e->metrics.frames != 0;
    sr_graph **graphs = calloc((size_t)(e->n_models ? e->n_models : 1), sizeof *graphs);
    if (!graphs) return SR_ERR_NOMEM;
    char path[4096] = "";
    sr_status st = prepare(&eng, seed, opts, graphs, err, err_size);
    if (st == SR_OK) st = write_platform(&eng, path, sizeof path, err, err_size);
    if (st != SR_OK) goto done;

    init_simgrid(e);
    sg_host_energy_plugin_init();
    if (needs_link_energy(e)) sg_link_energy_plugin_init();
    simgrid_load_platform(path);
    unlink(path);
    for (int h = 0; h < eng.n_hosts; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng.topo, h);
        eng.hosts[h].sg = sg_host_by_name(th->name);
        if (!eng.hosts[h].sg) {
            ERR("SimGrid did not create host '%s'", th->name);
            st = SR_ERR_SIM;
            goto done;
        }
    }
    st = attach_stations(&eng, err, err_size);
    if (st != SR_OK) goto done;
    st = sr_profiles_apply(e, seed, err, err_size);
    if (st != SR_OK) goto done;
    sr_sg_set_done_callback(activity_done, &eng);
    for (int s = 0; s < eng.n_sources; s++) {
        eng.sources[s].marker.f = NULL;
        eng.sources[s].marker.task = s;
        source_arm(&eng.sources[s]);
    }
    simgrid_run();
    sr_sg_release_ended();
    sr_sg_set_done_callback(NULL, NULL); /* eng lives on this stack frame */
    if (eng.fail != SR_OK) {
        st = eng.fail;
        ERR("simulation failed: %s", eng.fail_msg[0] ? eng.fail_msg : sr_status_message(st));
        goto done;
    }
    st = collect(&eng, out);
done:
    for (int m = 0; m < e->n_models; m++)
        sr_graph_free(graphs[m]);
    free(graphs);
    engine_clear(&eng);
    return st;
}

sr_status sr_engine_run(const sr_experiment *e, uint64_t seed, sr_run_output *out, char *err, size_t err_size)
{
    return sr_engine_run_opts(e, seed, NULL, out, err, err_size);
}
