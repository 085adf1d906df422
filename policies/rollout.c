/* rollout.c: Hammer's fleet deployment of a new rune (Lootus et al., Sec. 3.2: runes cast to devices over BLE,
 * serial or Wi-Fi), as a policy. The sources' own jobs run their model on the source device (as device_only);
 * from `start` on, every instance of `targets` receives the rune image from its gateway (instance i of targets
 * from instance i mod G of `gateway`, G gateway instances, through the routed links: BLE, serial or Wi-Fi as the
 * experiment's links say), writes it to flash and reboots. Each deployment is a job the policy submits:
 *     transfer image_size gateway -> target  ->  flash: image_size / flash_write on the target  ->  reboot delay
 * A gateway casts to at most `parallel` targets at once, in instance order. A deployment that fails (a link or
 * device failure from the experiment's `failures`: the transfer or the flash write is cut) is retried after
 * `retry_after`, at the back of its gateway's queue, up to `max_retries` times; then it counts as failed.
 * Metrics: rollout_done, rollout_failed (retries exhausted), rollout_pending (not finished by the end of the
 * run: a retry due after `duration` is not made), rollout_attempts, rollout_retries, rollout_completion_s (time
 * the last deployment ended, successful or not; NAN when none did). With one gateway, parallel 1 and no failure,
 * N deployments end at start + N x (latency + image_size / bandwidth + image_size / flash_write + reboot) on an
 * otherwise idle route (tests/engine/test_rollout.c). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sr_policy.h"

typedef struct rollout_params {
    char *gateway, *targets;
    double image_bytes, flash_Bps, reboot_s, start_s, retry_after_s;
    int parallel, max_retries;
} rollout_params;

static const sr_field fields[] = {
    {"gateway", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "device group running Hammer: instance i of targets gets the rune from instance i mod G",
     .offset = offsetof(rollout_params, gateway)},
    {"targets", SR_F_STR, .flags = SR_FF_REQUIRED, .doc = "device group receiving the rune",
     .offset = offsetof(rollout_params, targets)},
    {"image_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .def = "64KiB",
     .doc = "bytes of the rune image (WebAssembly module and model)", .offset = offsetof(rollout_params, image_bytes)},
    {"flash_write", SR_F_QTY, SR_UNIT_RATE, SR_FF_BYTES | SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .def = "100KBps",
     .doc = "rate the target writes the image to its flash (erase included; assumed default)",
     .offset = offsetof(rollout_params, flash_Bps)},
    {"reboot", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "1s",
     .doc = "time the target takes to reboot into the new rune (assumed default)",
     .offset = offsetof(rollout_params, reboot_s)},
    {"start", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s", .doc = "when the rollout begins",
     .offset = offsetof(rollout_params, start_s)},
    {"parallel", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 1, .def = "1",
     .doc = "deployments one gateway runs at once", .offset = offsetof(rollout_params, parallel)},
    {"max_retries", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "3",
     .doc = "retries of a failed deployment before it counts as failed", .offset = offsetof(rollout_params, max_retries)},
    {"retry_after", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "10s",
     .doc = "wait before a failed deployment rejoins its gateway's queue",
     .offset = offsetof(rollout_params, retry_after_s)},
};
static const sr_section params = {"policy (type rollout)", "policy", 0,
                                  "Inference on the source devices; a new rune cast to every target through its "
                                  "gateway (flash write, reboot), with retries.",
                                  fields, sizeof fields / sizeof fields[0], sizeof(rollout_params)};

enum { TAG_START = -1 };

typedef struct rollout_state {
    int gw, tg;           /* device groups */
    int n_gw, n_tg;       /* instances */
    int *queue;           /* per gateway a FIFO of target instances: n_gw rings of `slots` */
    int slots;            /* targets per gateway (rounded up): each is queued, in flight or waiting at most once */
    int *head, *len;      /* per gateway */
    int *busy;            /* per gateway: deployments in flight */
    int *attempts;        /* per target */
    int *of_job;          /* submission number -> target instance */
    int n_jobs, cap_jobs;
    int done, failed, retries;
    double completion_s;
} rollout_state;

static sr_status rollout_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const rollout_params *p = p_;
    const sr_experiment *e = env->exp;
    int gw = sr_policy_device_index(e, p->gateway), tg = sr_policy_device_index(e, p->targets);
    if (gw < 0) sr_policy_error(d, "gateway", "unknown device group '%s'", p->gateway);
    if (tg < 0) sr_policy_error(d, "targets", "unknown device group '%s'", p->targets);
    if (gw < 0 || tg < 0) return SR_OK;
    if (gw == tg) {
        sr_policy_error(d, "targets", "targets and gateway are the same group '%s'", p->targets);
        return SR_OK;
    }
    if (!env->route_exists) return SR_OK;
    for (int i = 0; i < e->devices[tg].count; i++) {
        int g = i % e->devices[gw].count;
        if (!env->route_exists(env->route_user, gw, g, tg, i)) {
            sr_policy_error(d, "targets", "no route from gateway %s to target %s (instance %d of '%s' is served by "
                            "instance %d of '%s')", e->devices[gw].instances[g], e->devices[tg].instances[i], i,
                            p->targets, g, p->gateway);
            return SR_OK;
        }
    }
    return SR_OK;
}

static void rollout_fini(void *state)
{
    rollout_state *s = state;
    if (!s) return;
    free(s->queue), free(s->head), free(s->len), free(s->busy), free(s->attempts), free(s->of_job);
    free(s);
}

static sr_status rollout_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t n)
{
    const rollout_params *p = p_;
    rollout_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->gw = sr_policy_device_index(env->exp, p->gateway);
    s->tg = sr_policy_device_index(env->exp, p->targets);
    if (s->gw < 0 || s->tg < 0) {
        if (err) snprintf(err, n, "rollout: unknown gateway or targets");
        rollout_fini(s);
        return SR_ERR_INVALID;
    }
    s->n_gw = env->exp->devices[s->gw].count, s->n_tg = env->exp->devices[s->tg].count;
    s->slots = (s->n_tg + s->n_gw - 1) / s->n_gw;
    s->queue = malloc((size_t)s->n_gw * (size_t)s->slots * sizeof *s->queue);
    s->head = calloc((size_t)s->n_gw, sizeof *s->head);
    s->len = calloc((size_t)s->n_gw, sizeof *s->len);
    s->busy = calloc((size_t)s->n_gw, sizeof *s->busy);
    s->attempts = calloc((size_t)s->n_tg, sizeof *s->attempts);
    if (!s->queue || !s->head || !s->len || !s->busy || !s->attempts) {
        rollout_fini(s);
        return SR_ERR_NOMEM;
    }
    s->completion_s = NAN;
    *state = s;
    return SR_OK;
}

/* Inference: the model on the source device. */
static sr_status rollout_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                              sr_plan **out, char *err, size_t n)
{
    (void)state, (void)p_, (void)err, (void)n;
    int last = sr_graph_node_count(env->graphs[req->model]) - 1;
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    int id = sr_plan_add_layers(*out, src, req->model, 0, last, "model");
    return id < 0 ? (sr_status)id : SR_OK;
}

static void enqueue(rollout_state *s, int target)
{
    int g = target % s->n_gw;
    s->queue[(size_t)g * (size_t)s->slots + (size_t)((s->head[g] + s->len[g]) % s->slots)] = target;
    s->len[g]++;
}

/* Submits one deployment: cast, flash, reboot. */
static sr_status deploy(rollout_state *s, const rollout_params *p, const sr_policy_sim *sim, int target)
{
    int g = target % s->n_gw;
    if (s->n_jobs == s->cap_jobs) {
        int cap = s->cap_jobs ? 2 * s->cap_jobs : 256;
        int *v = realloc(s->of_job, (size_t)cap * sizeof *v);
        if (!v) return SR_ERR_NOMEM;
        s->of_job = v, s->cap_jobs = cap;
    }
    sr_plan *plan = NULL;
    sr_status st = sr_plan_create(&plan);
    if (st != SR_OK) return st;
    sr_plan_dev a = {SR_ROLE_OTHER, s->gw, g}, b = {SR_ROLE_TARGET, s->tg, target};
    int t0 = sr_plan_add_transfer(plan, a, b, SR_PAYLOAD_BYTES, p->image_bytes, "rune-image");
    int t1 = sr_plan_add_work(plan, b, SR_WORK_SECONDS, p->image_bytes / p->flash_Bps, "flash-write");
    int t2 = sr_plan_add_delay(plan, b, SR_DELAY_OTHER, p->reboot_s, "reboot");
    if (t0 < 0 || t1 < 0 || t2 < 0) st = (sr_status)(t0 < 0 ? t0 : t1 < 0 ? t1 : t2);
    if (st == SR_OK) st = sr_plan_add_dep(plan, t0, t1);
    if (st == SR_OK) st = sr_plan_add_dep(plan, t1, t2);
    if (st != SR_OK) {
        sr_plan_free(plan);
        return st;
    }
    s->of_job[s->n_jobs++] = target; /* the engine numbers submitted jobs 0, 1, ... in submission order */
    s->attempts[target]++;
    s->busy[g]++;
    return sim->submit(sim->eng, plan);
}

/* Starts queued deployments of gateway g while it has room. */
static sr_status dispatch(rollout_state *s, const rollout_params *p, const sr_policy_sim *sim, int g)
{
    while (s->busy[g] < p->parallel && s->len[g] > 0) {
        int target = s->queue[(size_t)g * (size_t)s->slots + (size_t)s->head[g]];
        s->head[g] = (s->head[g] + 1) % s->slots, s->len[g]--;
        sr_status st = deploy(s, p, sim, target);
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

/* Every target joins its gateway's queue, in instance order. */
static sr_status start_all(rollout_state *s, const rollout_params *p, const sr_policy_sim *sim)
{
    sr_status st = SR_OK;
    for (int i = 0; i < s->n_tg; i++) enqueue(s, i);
    for (int g = 0; g < s->n_gw && st == SR_OK; g++) st = dispatch(s, p, sim, g);
    return st;
}

static sr_status rollout_event(void *state, const void *p_, const sr_policy_env *env, const sr_policy_event *ev,
                               const sr_policy_sim *sim)
{
    (void)env;
    const rollout_params *p = p_;
    rollout_state *s = state;
    sr_status st = SR_OK;
    switch (ev->kind) {
    case SR_EVENT_START:
        if (p->start_s > 0) return sim->timer(sim->eng, p->start_s, TAG_START);
        return start_all(s, p, sim);
    case SR_EVENT_TIMER:
        if (ev->tag == TAG_START) return start_all(s, p, sim);
        if (ev->tag < 0 || ev->tag >= s->n_tg) return SR_OK;
        enqueue(s, ev->tag); /* a retry rejoins its gateway's queue */
        return dispatch(s, p, sim, ev->tag % s->n_gw);
    case SR_EVENT_JOB_DONE: {
        if (ev->source >= 0 || ev->job < 0 || ev->job >= s->n_jobs) return SR_OK;
        int target = s->of_job[ev->job], g = target % s->n_gw;
        s->busy[g]--;
        if (ev->outcome == SR_OUTCOME_COMPLETED || ev->outcome == SR_OUTCOME_LATE) {
            s->done++;
            s->completion_s = ev->time_s;
        } else if (s->attempts[target] <= p->max_retries) {
            s->retries++;
            st = sim->timer(sim->eng, ev->time_s + p->retry_after_s, target);
        } else {
            s->failed++;
            s->completion_s = ev->time_s;
        }
        if (st != SR_OK) return st;
        return dispatch(s, p, sim, g);
    }
    case SR_EVENT_DEVICE_DOWN:
    case SR_EVENT_DEVICE_UP:
    case SR_EVENT_LINK_DOWN:
    case SR_EVENT_LINK_UP:
    case SR_EVENT_LINK_BANDWIDTH:
    case SR_EVENT_HELD:
    case SR_EVENT_PART_DONE:
    case SR_EVENT_TASK_DONE:
    case SR_EVENT_DEVICE_SPEED:
    case SR_EVENT_KIND_COUNT:
        break;
    }
    return SR_OK;
}

static sr_status rollout_metrics(void *state, const void *p_, const sr_policy_env *env, sr_policy_metric_fn add,
                                 void *user)
{
    (void)p_, (void)env;
    const rollout_state *s = state;
    add(user, "rollout_done", s->done, "1");
    add(user, "rollout_failed", s->failed, "1");
    add(user, "rollout_pending", s->n_tg - s->done - s->failed, "1");
    add(user, "rollout_attempts", s->n_jobs, "1");
    add(user, "rollout_retries", s->retries, "1");
    add(user, "rollout_completion_s", s->completion_s, "s");
    return SR_OK;
}

const sr_policy_ops sr_policy_rollout = {
    .name = "rollout",
    .doc = "run the model on the source devices; cast a new rune to every target through its gateway",
    .params = &params,
    .check = rollout_check,
    .init = rollout_init,
    .plan = rollout_plan,
    .on_event = rollout_event,
    .metrics = rollout_metrics,
    .fini = rollout_fini,
};
