/* policy_probe.c: a policy written only for the tests: one file, registered with one line
 * (sr_policy_register(&sr_policy_probe)), nothing else in the config or the engine knows it. It exercises what the
 * runtime offers a policy:
 * - its own keys (a declarative table with units, defaults and ranges) and a check() with key diagnostics;
 * - a plan per source: the frame sent to `target` (frame_size bytes) and `compute` seconds there (or the model's
 *   layers with `layers`; on the source without a target), on `executor`, with a batch key when batch > 1;
 * - state and events: at push_at it submits a job of its own (a model version pushed from the first source device
 *   to the first target device), at replan_at it asks for new plans, which from then on end with a delay of
 *   replan_delay seconds (so the jobs of the new plan version are recognisable);
 * - failures: while a target device is down it plans to `fallback`, and back when the device is up. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "sr_policy.h"

typedef struct probe_params {
    char *target;
    double frame_bytes;
    double compute_s;
    int executor;
    int batch;
    double batch_wait_s;
    double push_at_s;
    double push_bytes;
    double replan_at_s;
    double replan_delay_s;
    int layers;
    char *fallback;
} probe_params;

static const sr_field fields[] = {
    {"target", SR_F_STR, .def_doc = "none (compute on the source)", .doc = "device group the frame is sent to",
     .offset = offsetof(probe_params, target)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "1000B", .doc = "bytes sent per frame",
     .offset = offsetof(probe_params, frame_bytes)},
    {"compute", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s", .doc = "seconds of work per frame",
     .offset = offsetof(probe_params, compute_s)},
    {"executor", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = -1, .def = "-1",
     .doc = "executor of the computing device (-1: any)", .offset = offsetof(probe_params, executor)},
    {"batch", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 1, .def = "1", .doc = "largest batch",
     .offset = offsetof(probe_params, batch)},
    {"batch_wait", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s", .doc = "longest wait for a batch to fill",
     .offset = offsetof(probe_params, batch_wait_s)},
    {"push_at", SR_F_QTY, SR_UNIT_TIME, 0, .def = "-1s", .doc = "when to push a model (< 0: never)",
     .offset = offsetof(probe_params, push_at_s)},
    {"push_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "0B", .doc = "bytes of the pushed model",
     .offset = offsetof(probe_params, push_bytes)},
    {"replan_at", SR_F_QTY, SR_UNIT_TIME, 0, .def = "-1s", .doc = "when to re-plan (< 0: never)",
     .offset = offsetof(probe_params, replan_at_s)},
    {"replan_delay", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s",
     .doc = "delay added at the end of the plans made after the re-plan", .offset = offsetof(probe_params, replan_delay_s)},
    {"layers", SR_F_BOOL, .def = "false", .doc = "compute the model's layers (priced by the cost model) instead",
     .offset = offsetof(probe_params, layers)},
    {"fallback", SR_F_STR, .def_doc = "none", .doc = "device group used while a target device is down",
     .offset = offsetof(probe_params, fallback)},
};
static const sr_section params = {"policy (type probe)", "policy", 0, "A policy for the tests.", fields,
                                  (int)(sizeof fields / sizeof fields[0]), sizeof(probe_params)};

typedef struct probe_state {
    int replanned; /* the re-plan timer fired */
    int down;      /* target devices down (the fallback is used meanwhile) */
    int n_events[SR_EVENT_KIND_COUNT];
    double last_bw_bps; /* the value of the last bandwidth event */
} probe_state;

static sr_status probe_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const probe_params *p = p_;
    if (p->target) sr_policy_check_target(env, d, "target", p->target);
    if (p->batch == 1 && d->given && d->given(d->user, "batch_wait"))
        sr_policy_error(d, "batch_wait", "'batch_wait' needs 'batch' > 1");
    if (p->push_at_s >= 0 && !p->target) sr_policy_error(d, "push_at", "a model push needs a target");
    return SR_OK;
}

static sr_status probe_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t n)
{
    (void)p_, (void)env, (void)err, (void)n;
    *state = calloc(1, sizeof(probe_state));
    return *state ? SR_OK : SR_ERR_NOMEM;
}

static void probe_fini(void *state)
{
    free(state);
}

static sr_status probe_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                            sr_plan **out, char *err, size_t n)
{
    const probe_params *p = p_;
    const probe_state *s = state;
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev at = src;
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int last = -1;
    if (p->target) {
        int tg = sr_policy_device_index(env->exp, s->down > 0 && p->fallback ? p->fallback : p->target);
        if (tg < 0) {
            if (err) snprintf(err, n, "probe: no target");
            return SR_ERR_INVALID;
        }
        at = (sr_plan_dev){SR_ROLE_TARGET, tg, sr_policy_target_instance(env->exp, tg, req->instance)};
        last = sr_plan_add_transfer(*out, src, at, SR_PAYLOAD_FRAME, p->frame_bytes, "frame");
        if (last < 0) return (sr_status)last;
    }
    int nodes = sr_graph_node_count(env->graphs[req->model]);
    int c = p->layers ? sr_plan_add_layers(*out, at, req->model, 0, nodes - 1, "work")
                      : sr_plan_add_work(*out, at, SR_WORK_SECONDS, p->compute_s, "work");
    if (c < 0) return (sr_status)c;
    sr_plan_task *t = sr_plan_task_mut(*out, c);
    t->executor = p->executor;
    if (p->batch > 1) {
        t->batch_key = 1;
        t->batch_max = p->batch;
        t->batch_wait_s = p->batch_wait_s;
    }
    if (last >= 0 && (st = sr_plan_add_dep(*out, last, c)) != SR_OK) return st;
    if (!s->replanned) return SR_OK;
    int d = sr_plan_add_delay(*out, at, SR_DELAY_OTHER, p->replan_delay_s, "after-replan");
    if (d < 0) return (sr_status)d;
    return sr_plan_add_dep(*out, c, d);
}

static sr_status probe_event(void *state, const void *p_, const sr_policy_env *env, const sr_policy_event *ev,
                             const sr_policy_sim *sim)
{
    const probe_params *p = p_;
    probe_state *s = state;
    s->n_events[ev->kind]++;
    if (ev->kind == SR_EVENT_LINK_BANDWIDTH) s->last_bw_bps = ev->value;
    switch (ev->kind) {
    case SR_EVENT_START:
        if (p->push_at_s >= 0) sim->timer(sim->eng, p->push_at_s, 1);
        if (p->replan_at_s >= 0) sim->timer(sim->eng, p->replan_at_s, 2);
        return SR_OK;
    case SR_EVENT_TIMER:
        if (ev->tag == 2) {
            s->replanned = 1;
            sim->replan(sim->eng, -1);
            return SR_OK;
        }
        if (ev->tag == 1) {
            sr_plan *push = NULL;
            sr_status st = sr_plan_create(&push);
            if (st != SR_OK) return st;
            int g = sr_policy_device_index(env->exp, env->exp->sources[0].devices);
            int tg = sr_policy_device_index(env->exp, p->target);
            sr_plan_dev a = {SR_ROLE_SOURCE, g, 0}, b = {SR_ROLE_TARGET, tg, 0};
            int t = sr_plan_add_transfer(push, a, b, SR_PAYLOAD_MODEL, p->push_bytes, "model-push");
            if (t < 0) {
                sr_plan_free(push);
                return (sr_status)t;
            }
            sr_plan_task_mut(push, t)->version = 2;
            return sim->submit(sim->eng, push);
        }
        return SR_OK;
    case SR_EVENT_DEVICE_DOWN:
    case SR_EVENT_DEVICE_UP:
        if (!p->fallback || !p->target || ev->group != sr_policy_device_index(env->exp, p->target)) return SR_OK;
        s->down += ev->kind == SR_EVENT_DEVICE_DOWN ? 1 : -1;
        sim->replan(sim->eng, -1);
        return SR_OK;
    case SR_EVENT_LINK_DOWN:
    case SR_EVENT_LINK_UP:
    case SR_EVENT_LINK_BANDWIDTH:
    case SR_EVENT_JOB_DONE:
    case SR_EVENT_HELD:
    case SR_EVENT_PART_DONE:
    case SR_EVENT_TASK_DONE:
    case SR_EVENT_DEVICE_SPEED:
    case SR_EVENT_KIND_COUNT:
        break;
    }
    return SR_OK;
}

/* How many events of each kind it heard. */
static sr_status probe_metrics(void *state, const void *p_, const sr_policy_env *env, sr_policy_metric_fn add,
                               void *user)
{
    (void)p_, (void)env;
    const probe_state *s = state;
    add(user, "probe_link_bandwidth_events", s->n_events[SR_EVENT_LINK_BANDWIDTH], "1");
    add(user, "probe_link_down_events", s->n_events[SR_EVENT_LINK_DOWN], "1");
    add(user, "probe_link_up_events", s->n_events[SR_EVENT_LINK_UP], "1");
    add(user, "probe_job_done_events", s->n_events[SR_EVENT_JOB_DONE], "1");
    add(user, "probe_last_bw_bps", s->last_bw_bps, "bit/s");
    return SR_OK;
}

const sr_policy_ops sr_policy_probe = {
    .name = "probe",
    .doc = "a policy for the tests",
    .params = &params,
    .check = probe_check,
    .init = probe_init,
    .plan = probe_plan,
    .on_event = probe_event,
    .metrics = probe_metrics,
    .fini = probe_fini,
};
