/* dynamic_split.c: best_split's choice re-made whenever the bandwidth of a link on a source's route changes
 * (SR_EVENT_LINK_BANDWIDTH, from the link's trace), as Neurosurgeon re-partitions when its bandwidth estimate
 * moves.
 *
 * At each change the best cut at the new bandwidth is compared with the current one at the same bandwidth; it
 * is taken when it is predicted better by more than `hysteresis` (a fraction of the current cut's objective).
 * A switch may cost something: `switch_delay` seconds on the target (loading the other part of the model) and
 * a model push of `switch_size` bytes from the target to the source's first instance (the new head's
 * weights), run as one job of the policy's own; the new cut is adopted (new jobs of the source get a plan of
 * a new version) when that job completes, at once when both are 0. Jobs in flight finish on the cut they
 * started with.
 *
 * Link outages count as bandwidth changes: while every instance of a link on the route is down (LINK_DOWN /
 * LINK_UP events of its failures) the route's bandwidth is 0, so only a cut sending nothing (device-only) has
 * a finite cost, and the recovery is a change back. A switch needing a model push is not started while the
 * route is down (the push could not reach the device); the recovery re-decides.
 *
 * Events during a pending switch (bandwidth changes, outages, recoveries) update the route's state but start
 * nothing; when the switch job completes the new cut is adopted and the choice is made again at the route's
 * state then, which may start the next switch at once. A switch job that does not complete (a device or link
 * it needed failed) is abandoned: its cut is not adopted (adopted_s stays NaN) and the choice is made again,
 * once per simulated instant (a job failing at once would otherwise be resubmitted for ever).
 *
 * The record (metrics): dynamic_split.switches, dynamic_split.bandwidth_events, dynamic_split.link_events
 * (outages and recoveries of route links), and per switch i = 1..64
 * dynamic_split.switch<i>.{time_s, adopted_s, bw_bps, from_layer, to_layer, from_objective, to_objective}
 * (.source too when there are several sources), besides the final cut's metrics (sr_cut_policy.h); the frames
 * carry the plan version they ran. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cut_policy.h"

#define MAX_RECORDED_SWITCHES 64

typedef struct dynamic_split_params {
    sr_cutpol_params cut;
    double hysteresis;
    double switch_delay_s;
    double switch_bytes;
} dynamic_split_params;

static const sr_field fields[] = {
    SR_CUTPOL_FIELDS(dynamic_split_params, cut),
    {"hysteresis", SR_F_FLOAT, SR_UNIT_NONE, SR_FF_HAS_MIN, .def = "0",
     .doc = "switch only when the new cut's predicted objective beats the current one's by more than this "
            "fraction "
            "of it",
     .offset = offsetof(dynamic_split_params, hysteresis)},
    {"switch_delay", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s",
     .doc = "seconds on the target before a new cut is used (loading the model part)",
     .offset = offsetof(dynamic_split_params, switch_delay_s)},
    {"switch_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "0B",
     .doc = "bytes pushed from the target to the source device before a new cut is used (the new head's "
            "weights)",
     .offset = offsetof(dynamic_split_params, switch_bytes)},
};
static const sr_section params = {
    "policy (type dynamic_split)",
    "policy",
    0,
    "best_split re-chosen at every bandwidth change of the route, with hysteresis and "
    "a cost to switch; jobs in flight finish on their cut.",
    fields,
    (int)(sizeof fields / sizeof fields[0]),
    sizeof(dynamic_split_params)};

typedef struct dyn_state {
    sr_cutpol_state *cut;
    int *fifo; /* source specs whose switch job runs, in submission order */
    int n_fifo;
    double *failed_s; /* per source spec: when its last switch job failed (-1: never) */
} dyn_state;

static sr_status dyn_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const dynamic_split_params *p = p_;
    sr_status st = sr_cutpol_check(&p->cut, env, d);
    const sr_experiment *e = env->exp;
    int tg = sr_policy_device_index(e, p->cut.target);
    if (st != SR_OK || !(p->switch_bytes > 0) || tg < 0 || !env->route_exists) return st;
    for (int k = 0; k < e->n_sources; k++) { /* the model push goes back from the target to the source */
        int sg = sr_policy_device_index(e, e->sources[k].devices);
        if (sg < 0 || sg == tg) continue;
        int back = env->route_exists(env->route_user, tg, sr_policy_target_instance(e, tg, 0), sg, 0);
        if (!back)
            sr_policy_error(d, "switch_size",
                            "the model push of a switch needs a route from '%s' back to '%s' (a "
                            "symmetric route, or one declared the other way)",
                            p->cut.target, e->devices[sg].name);
    }
    return SR_OK;
}

static void dyn_fini(void *state)
{
    dyn_state *s = state;
    if (!s) return;
    sr_cutpol_fini(s->cut);
    free(s->fifo);
    free(s->failed_s);
    free(s);
}

static sr_status dyn_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t n)
{
    dyn_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->fifo = calloc((size_t)(env->exp->n_sources ? env->exp->n_sources : 1), sizeof *s->fifo);
    s->failed_s = malloc((size_t)(env->exp->n_sources ? env->exp->n_sources : 1) * sizeof *s->failed_s);
    for (int k = 0; s->failed_s && k < env->exp->n_sources; k++)
        s->failed_s[k] = -1.0;
    sr_status st = s->fifo && s->failed_s
                       ? sr_cutpol_init(&((const dynamic_split_params *)p_)->cut, env, &s->cut, err, n)
                       : SR_ERR_NOMEM;
    if (st != SR_OK) {
        dyn_fini(s);
        return st;
    }
    *state = s;
    return SR_OK;
}

static sr_status dyn_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                          sr_plan **out, char *err, size_t n)
{
    (void)p_;
    return sr_cutpol_plan(((dyn_state *)state)->cut, env, req, out, err, n);
}

/* New jobs of every instance of source spec k get a new plan. */
static void replan_source(const sr_policy_env *env, const sr_policy_sim *sim, int k)
{
    const sr_experiment *e = env->exp;
    int base = 0;
    for (int j = 0; j < k; j++) {
        int g = sr_policy_device_index(e, e->sources[j].devices);
        base += g >= 0 ? e->devices[g].count : 0;
    }
    int g = sr_policy_device_index(e, e->sources[k].devices);
    for (int i = 0; g >= 0 && i < e->devices[g].count; i++)
        sim->replan(sim->eng, base + i);
}

static sr_status record(sr_cutpol_state *cs, const sr_cutpol_switch *sw)
{
    if (cs->n_switches == cs->cap_switches) {
        int cap = cs->cap_switches ? 2 * cs->cap_switches : 8;
        sr_cutpol_switch *ns = realloc(cs->switches, (size_t)cap * sizeof *ns);
        if (!ns) return SR_ERR_NOMEM;
        cs->switches = ns;
        cs->cap_switches = cap;
    }
    cs->switches[cs->n_switches++] = *sw;
    return SR_OK;
}

/* The pending switch of source k takes effect now. */
static void adopt(dyn_state *s, const sr_policy_env *env, const sr_policy_sim *sim, int k, double now_s)
{
    sr_cutpol_source *src = &s->cut->src[k];
    int n = sr_graph_node_count(env->graphs[src->model]);
    memcpy(src->on_device, src->next, (size_t)n);
    src->pending = 0;
    src->objective_value = sr_cutpol_value(s->cut, env, k, src->on_device, src->bw_bps);
    sr_cut_predict(&src->terms, env->graphs[src->model], src->on_device, src->bw_bps, src->lat_s, &src->pred);
    for (int i = s->cut->n_switches - 1; i >= 0; i--)
        if (s->cut->switches[i].source == k) {
            s->cut->switches[i].adopted_s = now_s;
            break;
        }
    replan_source(env, sim, k);
}

/* Re-chooses source k's cut at its route's current bandwidth; starts a switch when it pays. */
static sr_status reconsider(dyn_state *s, const dynamic_split_params *p, const sr_policy_env *env,
                            const sr_policy_sim *sim, int k)
{
    sr_cutpol_source *src = &s->cut->src[k];
    const sr_graph *g = env->graphs[src->model];
    int n = sr_graph_node_count(g);
    double bw = sr_cutpol_route_bw(s->cut, env, k);
    src->bw_bps = bw;
    double best = INFINITY;
    sr_status st = sr_cutpol_choose(s->cut, env, k, bw, src->scratch, &best, NULL);
    if (st != SR_OK) return st == SR_ERR_INVALID ? SR_OK : st; /* nothing finite: keep the cut */
    double cur = sr_cutpol_value(s->cut, env, k, src->on_device, bw);
    src->objective_value = cur;
    sr_cut_predict(&src->terms, g, src->on_device, bw, src->lat_s, &src->pred);
    if (memcmp(src->scratch, src->on_device, (size_t)n) == 0) return SR_OK;
    if (isfinite(cur) && !(cur - best > p->hysteresis * cur)) return SR_OK;
    if (!(bw > 0) && p->switch_bytes > 0)
        return SR_OK; /* the push cannot reach the device: wait for the route */
    sr_cutpol_switch sw = {
        sim->now_s, -1, k, bw, src->pred.last_device, sr_cut_last_device_node(g, src->scratch), cur, best};
    if ((st = record(s->cut, &sw)) != SR_OK) return st;
    memcpy(src->next, src->scratch, (size_t)n);
    src->pending = 1;
    if (!(p->switch_delay_s > 0) && !(p->switch_bytes > 0)) {
        adopt(s, env, sim, k, sim->now_s);
        return SR_OK;
    }
    /* the switch job: delay on the target, then the model push to the source's first instance */
    const sr_experiment *e = env->exp;
    sr_plan_dev dev = {SR_ROLE_SOURCE, src->src_group, 0};
    sr_plan_dev tgt = {SR_ROLE_TARGET, src->tgt_group, sr_policy_target_instance(e, src->tgt_group, 0)};
    sr_plan *job = NULL;
    if ((st = sr_plan_create(&job)) != SR_OK) return st;
    int prev = -1, id = 0;
    if (p->switch_delay_s > 0)
        id = prev = sr_plan_add_delay(job, tgt, SR_DELAY_OTHER, p->switch_delay_s, "switch");
    if (id >= 0 && p->switch_bytes > 0) {
        id = sr_plan_add_transfer(job, tgt, dev, SR_PAYLOAD_MODEL, p->switch_bytes, "model-push");
        if (id >= 0) sr_plan_task_mut(job, id)->version = s->cut->n_switches;
        if (id >= 0 && prev >= 0) st = sr_plan_add_dep(job, prev, id);
    }
    if (id < 0 || st != SR_OK) {
        sr_plan_free(job);
        return id < 0 ? (sr_status)id : st;
    }
    s->fifo[s->n_fifo++] = k;
    return sim->submit(sim->eng, job);
}

static int route_has(const sr_cutpol_source *src, int link)
{
    for (int i = 0; i < src->n_links; i++)
        if (src->links[i] == link) return 1;
    return 0;
}

static sr_status dyn_event(void *state, const void *p_, const sr_policy_env *env, const sr_policy_event *ev,
                           const sr_policy_sim *sim)
{
    dyn_state *s = state;
    const dynamic_split_params *p = p_;
    if (ev->kind == SR_EVENT_JOB_DONE && ev->source < 0 && s->n_fifo > 0) {
        int k = s->fifo[0];
        memmove(s->fifo, s->fifo + 1, (size_t)(s->n_fifo - 1) * sizeof *s->fifo);
        s->n_fifo--;
        if (ev->outcome == SR_OUTCOME_COMPLETED || ev->outcome == SR_OUTCOME_LATE) {
            adopt(s, env, sim, k, ev->time_s);
        } else { /* abandoned: keep the current cut */
            s->cut->src[k].pending = 0;
            if (s->failed_s[k] == ev->time_s) return SR_OK;
            s->failed_s[k] = ev->time_s;
        }
        return reconsider(s, p, env, sim, k); /* the route may have changed meanwhile */
    }
    if (ev->link < 0 || ev->link >= env->exp->n_links) return SR_OK;
    if (ev->kind == SR_EVENT_LINK_BANDWIDTH) {
        s->cut->n_bw_events++;
        s->cut->link_bw[ev->link] = ev->value;
    } else if (ev->kind == SR_EVENT_LINK_DOWN || ev->kind == SR_EVENT_LINK_UP) {
        int *down = &s->cut->link_down[ev->link];
        s->cut->n_link_events++;
        *down += ev->kind == SR_EVENT_LINK_DOWN ? 1 : -1;
        *down = *down < 0 ? 0 : *down;
    } else {
        return SR_OK;
    }
    for (int k = 0; k < s->cut->n_sources; k++) {
        sr_cutpol_source *src = &s->cut->src[k];
        if (!src->used || src->pending || !route_has(src, ev->link)) continue;
        sr_status st = reconsider(s, p, env, sim, k);
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

static sr_status dyn_metrics(void *state, const void *p_, const sr_policy_env *env, sr_policy_metric_fn add,
                             void *user)
{
    (void)p_;
    const dyn_state *s = state;
    const sr_cutpol_state *c = s->cut;
    sr_status st = sr_cutpol_metrics(c, env, "dynamic_split.", add, user);
    if (st != SR_OK) return st;
    add(user, "dynamic_split.switches", c->n_switches, "1");
    add(user, "dynamic_split.bandwidth_events", c->n_bw_events, "1");
    add(user, "dynamic_split.link_events", c->n_link_events, "1");
    const char *unit = c->p->objective == SR_CUT_OBJ_LATENCY  ? "s"
                       : c->p->objective == SR_CUT_OBJ_ENERGY ? "J"
                                                              : "1";
    int used = 0;
    for (int k = 0; k < c->n_sources; k++)
        used += c->src[k].used;
    for (int i = 0; i < c->n_switches && i < MAX_RECORDED_SWITCHES; i++) {
        const sr_cutpol_switch *sw = &c->switches[i];
        char name[96];
#define M(key, val, u)                                                                                       \
    do {                                                                                                     \
        snprintf(name, sizeof name, "dynamic_split.switch%d.%s", i + 1, key);                                \
        add(user, name, (double)(val), u);                                                                   \
    } while (0)
        M("time_s", sw->time_s, "s");
        M("adopted_s", sw->adopted_s >= 0 ? sw->adopted_s : NAN, "s");
        M("bw_bps", sw->bw_bps, "bit/s");
        M("from_layer", sw->from_last, "node");
        M("to_layer", sw->to_last, "node");
        M("from_objective", sw->from_pred_s, unit);
        M("to_objective", sw->to_pred_s, unit);
        if (used > 1) M("source", sw->source, "1");
#undef M
    }
    return SR_OK;
}

const sr_policy_ops sr_policy_dynamic_split = {
    .name = "dynamic_split",
    .doc = "best_split re-chosen at every bandwidth change of the route (hysteresis, switch cost)",
    .params = &params,
    .check = dyn_check,
    .init = dyn_init,
    .plan = dyn_plan,
    .on_event = dyn_event,
    .metrics = dyn_metrics,
    .fini = dyn_fini,
};
