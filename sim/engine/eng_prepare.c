/* eng_prepare.c: everything the engine does before SimGrid starts (see eng_internal.h): the topology and its
 * hosts, the models' graphs (and weights in exact mode), each device group's cost model, the policy's state,
 * every source instance's first plan (priced, resolved to hosts, routes and connections) and its arrival
 * stream. Errors here are configuration errors the config's checks did not see (the engine can be driven
 * without the config, by tests and benchmarks); they come back as messages, before SimGrid starts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eng_internal.h"
#include "sr_model_source.h"
#include "sr_profile.h"

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

/* ---- connections: one per (sender, receiver) host pair, found through an open-addressing table ---- */

static size_t conn_hash(int src, int dst, size_t slots)
{
    uint64_t x = ((uint64_t)(uint32_t)src << 32) | (uint32_t)dst;
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    return (size_t)(x & (slots - 1));
}

static sr_status conn_grow(engine *eng)
{
    size_t slots = eng->conn_slots ? 2 * eng->conn_slots : 64;
    int *idx = calloc(slots, sizeof *idx);
    if (!idx) return SR_ERR_NOMEM;
    for (int c = 0; c < eng->n_conns; c++) {
        size_t h = conn_hash(eng->conns[c].src, eng->conns[c].dst, slots);
        while (idx[h]) h = (h + 1) & (slots - 1);
        idx[h] = c + 1;
    }
    free(eng->conn_index);
    eng->conn_index = idx;
    eng->conn_slots = slots;
    return SR_OK;
}

static sr_status conn_get(engine *eng, int src, int dst, int *out)
{
    if ((size_t)(eng->n_conns + 1) * 2 > eng->conn_slots) {
        sr_status st = conn_grow(eng);
        if (st != SR_OK) return st;
    }
    size_t h = conn_hash(src, dst, eng->conn_slots);
    while (eng->conn_index[h]) {
        const eng_conn *c = &eng->conns[eng->conn_index[h] - 1];
        if (c->src == src && c->dst == dst) {
            *out = eng->conn_index[h] - 1;
            return SR_OK;
        }
        h = (h + 1) & (eng->conn_slots - 1);
    }
    if (eng->n_conns == eng->cap_conns) {
        int cap = eng->cap_conns ? 2 * eng->cap_conns : 16;
        eng_conn *n = realloc(eng->conns, (size_t)cap * sizeof *n);
        if (!n) return SR_ERR_NOMEM;
        eng->conns = n;
        eng->cap_conns = cap;
    }
    eng_conn *c = &eng->conns[eng->n_conns];
    memset(c, 0, sizeof *c);
    c->src = src;
    c->dst = dst;
    eng->conn_index[h] = eng->n_conns + 1;
    *out = eng->n_conns++;
    return SR_OK;
}

/* ---- plans ---- */

static void plan_free(eng_plan *p)
{
    if (!p) return;
    sr_plan_free(p->plan);
    free(p->host);
    free(p->dst);
    free(p->route);
    free(p->conn);
    free(p->n_preds);
    free(p->succ_first);
    free(p->succ);
    free(p);
}

sr_status eng_plan_adopt(engine *eng, sr_plan *plan, const char *who, eng_plan **out, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    eng_plan *p = calloc(1, sizeof *p);
    if (!p) {
        sr_plan_free(plan);
        return SR_ERR_NOMEM;
    }
    p->plan = plan;
    int n = sr_plan_task_count(plan), nd = sr_plan_dep_count(plan);
    p->n_tasks = n;
    p->host = calloc((size_t)n + 1, sizeof *p->host);
    p->dst = calloc((size_t)n + 1, sizeof *p->dst);
    p->route = calloc((size_t)n + 1, sizeof *p->route);
    p->conn = calloc((size_t)n + 1, sizeof *p->conn);
    p->n_preds = calloc((size_t)n + 1, sizeof *p->n_preds);
    p->succ_first = calloc((size_t)n + 1, sizeof *p->succ_first);
    p->succ = calloc((size_t)(nd ? nd : 1), sizeof *p->succ);
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    sr_status st = SR_OK;
    if (!p->host || !p->dst || !p->route || !p->conn || !p->n_preds || !p->succ_first || !p->succ || !fill) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (int i = 0; i < n && st == SR_OK; i++) {
        const sr_plan_task *t = sr_plan_task_at(plan, i);
        p->host[i] = t->dev.group < e->n_devices ? sr_topology_host(eng->topo, t->dev.group, t->dev.instance) : -1;
        p->dst[i] = p->conn[i] = -1;
        if (t->kind == SR_TASK_TRANSFER)
            p->dst[i] = t->dst.group < e->n_devices ? sr_topology_host(eng->topo, t->dst.group, t->dst.instance) : -1;
        if (p->host[i] < 0 || (t->kind == SR_TASK_TRANSFER && p->dst[i] < 0)) {
            ENG_ERR("policy %s: plan task '%s' of %s names a device that does not exist", e->policy.name, t->label,
                    who);
            st = SR_ERR_INVALID;
            break;
        }
        if (t->kind == SR_TASK_COMPUTE && t->executor >= eng->hosts[p->host[i]].n_exec) {
            ENG_ERR("policy %s: plan task '%s' of %s names executor %d of '%s', which has %d", e->policy.name,
                    t->label, who, t->executor, sr_topology_host_at(eng->topo, p->host[i])->name,
                    eng->hosts[p->host[i]].n_exec);
            st = SR_ERR_INVALID;
            break;
        }
        if (t->kind != SR_TASK_TRANSFER) continue;
        p->route[i] = sr_topology_route(eng->topo, p->host[i], p->dst[i]);
        if (!p->route[i]) {
            ENG_ERR("no route from '%s' to '%s', which policy %s needs for %s (%s); add a route between them",
                    sr_topology_host_at(eng->topo, p->host[i])->name, sr_topology_host_at(eng->topo, p->dst[i])->name,
                    e->policy.name, who, t->label);
            st = SR_ERR_NOT_FOUND;
            break;
        }
        st = conn_get(eng, p->host[i], p->dst[i], &p->conn[i]);
        for (int k = 0; k < p->route[i]->n_links; k++)
            if (eng->links[sr_topology_route_link(eng->topo, p->route[i], k)].max_flows > 0) p->limited = 1;
    }
    if (st != SR_OK) goto done;
    for (int d = 0; d < nd; d++) {
        int b, a;
        sr_plan_dep_at(plan, d, &b, &a);
        p->n_preds[a]++;
        p->succ_first[b + 1]++;
    }
    for (int i = 0; i < n; i++)
        p->succ_first[i + 1] += p->succ_first[i];
    for (int d = 0; d < nd; d++) {
        int b, a;
        sr_plan_dep_at(plan, d, &b, &a);
        p->succ[p->succ_first[b] + fill[b]++] = a;
    }
    if (eng->n_plans == eng->cap_plans) {
        int cap = eng->cap_plans ? 2 * eng->cap_plans : 16;
        eng_plan **np = realloc(eng->plans, (size_t)cap * sizeof *np);
        if (!np) {
            st = SR_ERR_NOMEM;
            goto done;
        }
        eng->plans = np;
        eng->cap_plans = cap;
    }
    eng->plans[eng->n_plans++] = p;
    p->version = ++eng->next_version;
    sr_plan_set_version(plan, p->version);
    *out = p;
done:
    free(fill);
    if (st != SR_OK) plan_free(p);
    return st;
}

sr_status eng_source_replan(engine *eng, eng_source *s, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    sr_plan_req req = {s->index, s->spec, s->group, s->instance, s->model, 0.0};
    sr_plan *plan = NULL;
    sr_status st = sr_policy_plan(eng->pol, eng->pol_state, e->policy.params, &eng->env, &req, &plan, err, err_size);
    if (st != SR_OK) return st;
    eng_plan *p = NULL;
    char who[160];
    snprintf(who, sizeof who, "source '%s'", e->devices[s->group].instances[s->instance]);
    st = eng_plan_adopt(eng, plan, who, &p, err, err_size);
    if (st != SR_OK) return st;
    s->plan = p;
    s->stale = 0;
    return SR_OK;
}

/* ---- preparation ---- */

static sr_status check_devices(const sr_experiment *e, char *err, size_t err_size)
{
    for (int g = 0; g < e->n_devices; g++) {
        const sr_device_spec *d = &e->devices[g];
        if (!(d->speed_flops > 0) || !isfinite(d->speed_flops) || d->cores < 1 || d->count < 1 || !d->instances ||
            d->executors < 1 || d->concurrency < 1 || d->max_in_flight < 0 || !(d->send_buffer_bytes >= 0)) {
            ENG_ERR("device '%s': needs a positive speed, cores, count, executors and concurrency, max_in_flight >= 0 "
                    "and send_buffer >= 0",
                    d->name);
            return SR_ERR_INVALID;
        }
        if (!(d->cpu_cores >= 0) || d->cpu_cores > (double)d->cores || !(d->container_overhead_s >= 0)) {
            ENG_ERR("device '%s': cpu quota must be in (0, cores] and container_overhead >= 0", d->name);
            return SR_ERR_INVALID;
        }
    }
    for (int s = 0; s < e->n_links; s++) {
        const sr_link_spec *l = &e->links[s];
        if (!(l->bw_bps > 0) || !isfinite(l->bw_bps) || !(l->latency_s >= 0) || l->count < 1 || !l->instances) {
            ENG_ERR("link '%s': needs a positive bandwidth, a latency >= 0 and at least one instance", l->name);
            return SR_ERR_INVALID;
        }
        if (l->sharing == SR_SHARING_WIFI && l->latency_s != 0) {
            ENG_ERR("link '%s': SimGrid's WIFI links have no latency; set it to 0 and put the latency on the wired "
                    "link behind the access point",
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
        if (g >= 0 && ss->arrival == SR_ARRIVAL_TRACE)
            for (int k = 0; k < ss->n_trace_times && ss->trace_times_s[k] < e->duration_s; k++)
                frames += (double)e->devices[g].count;
        else if (g >= 0 && ss->fps > 0 && span > 0)
            frames += (double)e->devices[g].count * ceil(span * ss->fps);
    }
    return frames;
}

/* The cost model of every device group that names a known profile. */
static sr_status profile_costs(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    for (int g = 0; g < e->n_devices; g++) {
        const sr_profile *p = e->devices[g].profile ? sr_profile_find(e->devices[g].profile) : NULL;
        if (!p) continue;
        char msg[512] = "";
        sr_status st = sr_profile_cost_model_err(p, &eng->group_cost[g], msg, sizeof msg);
        if (st != SR_OK) {
            ENG_ERR("device '%s': cost model of profile '%s': %s", e->devices[g].name, p->name,
                    msg[0] ? msg : sr_status_message(st));
            return st;
        }
    }
    return SR_OK;
}

/* Loads every model of `models`: a policy may price tasks on a model no source runs (the insitu policy's
 * diagnosis_model). Exact mode loads the weights of the models sources use (seeded with the experiment's seed). */
static sr_status models_prepare(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    const sr_engine_opts *opts = eng->opts;
    for (int m = 0; m < e->n_models; m++) {
        if (eng->graphs[m]) continue;
        int used = 0;
        for (int s = 0; s < e->n_sources; s++) used |= find_model(e, e->sources[s].model) == m;
        const sr_model_spec *ms = &e->models[m];
        char msg[512] = "";
        sr_status st;
        if (e->mode == SR_MODE_EXACT && used)
            st = sr_model_load(ms->source, ms->input_c, ms->input_h, ms->input_w, e->seed, &eng->graphs[m],
                               &eng->weights[m], msg, sizeof msg);
        else if (opts && opts->load_graph)
            st = opts->load_graph(ms, opts->user, &eng->graphs[m], msg, sizeof msg);
        else
            st = sr_model_load(ms->source, ms->input_c, ms->input_h, ms->input_w, 0, &eng->graphs[m], NULL, msg,
                               sizeof msg);
        if (st != SR_OK) {
            if (opts && opts->load_graph && e->mode != SR_MODE_EXACT)
                ENG_ERR("%s", msg[0] ? msg : sr_status_message(st));
            else
                ENG_ERR("model '%s': %s", ms->name, msg[0] ? msg : sr_status_message(st));
            return st;
        }
    }
    return SR_OK;
}

/* Runs the policy's own checks on the engine's view (the config ran them already; tests and benchmarks may
 * build experiments without it). */
typedef struct check_msg {
    char *err;
    size_t err_size;
    const sr_experiment *e;
} check_msg;

static void check_emit(void *user, const char *key, const char *msg)
{
    check_msg *c = user;
    if (c->err && c->err_size && !c->err[0])
        snprintf(c->err, c->err_size, "%s:%d:%d: error: policy '%s'%s%s: %s",
                 c->e->policy.loc.file ? c->e->policy.loc.file : "experiment", c->e->policy.loc.line,
                 c->e->policy.loc.col, c->e->policy.name ? c->e->policy.name : "?", key ? ", key " : "",
                 key ? key : "", msg);
}

static int topo_route_exists(const void *user, int sg, int si, int dg, int di)
{
    const sr_topology *t = user;
    int a = sr_topology_host(t, sg, si), b = sr_topology_host(t, dg, di);
    return a >= 0 && b >= 0 && sr_topology_route(t, a, b) != NULL;
}

static sr_status policy_prepare(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    eng->pol = sr_policy_of(&e->policy);
    if (!eng->pol) {
        ENG_ERR("%s:%d:%d: error: unknown policy type '%s'", e->policy.loc.file ? e->policy.loc.file : "experiment",
                e->policy.loc.line, e->policy.loc.col, e->policy.type ? e->policy.type : "(none)");
        return SR_ERR_INVALID;
    }
    if (eng->pol->params && !e->policy.params) {
        ENG_ERR("policy '%s': no parameters", e->policy.name ? e->policy.name : eng->pol->name);
        return SR_ERR_INVALID;
    }
    eng->env.exp = e;
    eng->env.graphs = (const sr_graph *const *)eng->graphs;
    eng->env.group_cost = (const sr_cost_model *const *)eng->group_cost;
    eng->env.route_exists = topo_route_exists;
    eng->env.route_user = eng->topo;
    if (eng->pol->check) {
        check_msg cm = {err, err_size, e};
        if (err && err_size) err[0] = '\0';
        sr_policy_diag d = {check_emit, NULL, &cm, 0};
        sr_status st = eng->pol->check(e->policy.params, &eng->env, &d);
        if (st != SR_OK) return st;
        if (d.errors) return SR_ERR_INVALID;
    }
    if (eng->pol->init) return eng->pol->init(e->policy.params, &eng->env, &eng->pol_state, err, err_size);
    return SR_OK;
}

static sr_status sources_prepare(engine *eng, uint64_t seed, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    int n_src = 0;
    for (int s = 0; s < e->n_sources; s++) {
        int g = find_device(e, e->sources[s].devices);
        if (g < 0) {
            ENG_ERR("%s:%d:%d: error: source '%s': '%s' is not a device group",
                    e->sources[s].loc.file ? e->sources[s].loc.file : "experiment", e->sources[s].loc.line,
                    e->sources[s].loc.col, e->sources[s].name, e->sources[s].devices ? e->sources[s].devices : "(none)");
            return SR_ERR_NOT_FOUND;
        }
        n_src += e->devices[g].count;
    }
    eng->sources = calloc((size_t)(n_src ? n_src : 1), sizeof *eng->sources);
    if (!eng->sources) return SR_ERR_NOMEM;
    sr_status st = SR_OK;
    for (int s = 0; s < e->n_sources && st == SR_OK; s++) {
        const sr_source_spec *ss = &e->sources[s];
        int g = find_device(e, ss->devices);
        int m = find_model(e, ss->model);
        if (m < 0) {
            ENG_ERR("%s:%d:%d: error: source '%s': unknown model '%s'", ss->loc.file ? ss->loc.file : "experiment",
                    ss->loc.line, ss->loc.col, ss->name, ss->model ? ss->model : "(none)");
            return SR_ERR_NOT_FOUND;
        }
        double jpeg_bytes = 0, h264_bytes = 0;
        if ((st = eng_frame_baselines(e, s, &jpeg_bytes, &h264_bytes, err, err_size)) != SR_OK) return st;
        int traced = ss->arrival == SR_ARRIVAL_TRACE;
        if ((traced ? !ss->trace_times_s || ss->n_trace_times < 1 : !(ss->fps > 0) || !isfinite(ss->fps)) ||
            !(ss->start_s >= 0) || !(ss->deadline_s >= 0)) {
            ENG_ERR("source '%s': needs fps > 0 (or an arrival trace), start >= 0 and deadline >= 0", ss->name);
            return SR_ERR_INVALID;
        }
        if (ss->kind == SR_SOURCE_EVENTS && e->mode == SR_MODE_EXACT) {
            ENG_ERR("source '%s': exact mode renders camera frames; event sources need mode: model", ss->name);
            return SR_ERR_INVALID;
        }
        for (int i = 0; i < e->devices[g].count && st == SR_OK; i++) {
            eng_source *src = &eng->sources[eng->n_sources];
            src->eng = eng;
            src->index = eng->n_sources++;
            src->spec = s;
            src->group = g;
            src->instance = i;
            src->raw_frame_bytes = sr_policy_raw_frame_bytes(ss);
            src->jpeg_frame_bytes = jpeg_bytes;
            src->h264_frame_bytes = h264_bytes;
            src->deadline_s = ss->deadline_s;
            src->host = sr_topology_host(eng->topo, g, i);
            src->model = m;
            src->marker.job = NULL;
            src->marker.task = src->index;
            st = eng_source_replan(eng, src, err, err_size);
            if (st != SR_OK) break;
            if (traced) {
                st = sr_arrival_create_trace(ss->trace_times_s, ss->n_trace_times, &src->gen);
            } else {
                sr_arrival_process kind =
                    ss->arrival == SR_ARRIVAL_POISSON ? SR_ARRIVAL_PROC_POISSON : SR_ARRIVAL_PROC_PERIODIC;
                st = sr_arrival_create(kind, ss->fps, ss->start_s, sr_arrival_phase(i, ss->fps),
                                       sr_arrival_seed(seed, (uint64_t)src->index), &src->gen);
            }
            if (st != SR_OK || e->mode != SR_MODE_EXACT) continue;
            /* the instance's video has its own stream, independent of the arrival streams */
            uint64_t video_seed = sr_arrival_seed(seed ^ UINT64_C(0x766964656f), (uint64_t)src->index);
            /* what to compute is what the plan describes (sr_exact_plan_shape) */
            int cut;
            const char *pipeline;
            int nodes = sr_graph_node_count(eng->graphs[m]);
            if (sr_exact_plan_partitioned(src->plan->plan)) { /* tiles and slices: sr_exact_run_frame_plan */
                st = sr_exact_create(eng->graphs[m], eng->weights[m], -1, NULL, ss->width, ss->height, video_seed,
                                     &src->exact, err, err_size);
                continue;
            }
            st = sr_exact_plan_shape(src->plan->plan, nodes, &cut, &pipeline, err, err_size);
            if (st != SR_OK) break;
            /* instances of one model and split share its executors (sr_exact_clone) */
            const sr_exact *proto = NULL;
            for (int k = 0; k < src->index && !proto; k++) {
                int kc;
                const char *kp;
                if (eng->sources[k].model != m || sr_exact_plan_partitioned(eng->sources[k].plan->plan) ||
                    sr_exact_plan_shape(eng->sources[k].plan->plan, nodes, &kc, &kp, NULL, 0) != SR_OK)
                    continue;
                if (kc == cut && kp == pipeline) proto = eng->sources[k].exact;
            }
            st = proto ? sr_exact_clone(proto, ss->width, ss->height, video_seed, &src->exact, err, err_size)
                       : sr_exact_create(eng->graphs[m], eng->weights[m], cut, pipeline, ss->width, ss->height,
                                         video_seed, &src->exact, err, err_size);
        }
    }
    return st;
}

sr_status eng_prepare(engine *eng, uint64_t seed, char *err, size_t err_size)
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
        const sr_link_spec *ls = &e->links[sr_topology_link_at(eng->topo, sr_topology_cell_link(eng->topo, th->cell))->spec];
        int levels = ls->n_rates > 0 ? ls->n_rates : 1;
        int level = e->devices[th->group].wifi_level;
        if (level < 0 || level >= levels) {
            ENG_ERR("device '%s': wifi_level %d is not a rate level of WIFI link '%s' (0..%d)", th->name, level,
                    ls->name, levels - 1);
            return SR_ERR_RANGE;
        }
    }
    eng->n_hosts = sr_topology_host_count(eng->topo);
    eng->hosts = calloc((size_t)eng->n_hosts + 1, sizeof *eng->hosts);
    eng->links = calloc((size_t)(sr_topology_link_count(eng->topo) + 1), sizeof *eng->links);
    int nm = e->n_models ? e->n_models : 1;
    eng->graphs = calloc((size_t)nm, sizeof *eng->graphs);
    eng->weights = calloc((size_t)nm, sizeof *eng->weights);
    eng->group_cost = calloc((size_t)(e->n_devices ? e->n_devices : 1), sizeof *eng->group_cost);
    if (!eng->hosts || !eng->links || !eng->graphs || !eng->weights || !eng->group_cost) return SR_ERR_NOMEM;
    for (int h = 0; h < eng->n_hosts; h++) {
        const sr_device_spec *d = &e->devices[sr_topology_host_at(eng->topo, h)->group];
        eng_host *hh = &eng->hosts[h];
        hh->index = h;
        hh->n_exec = d->executors;
        hh->concurrency = d->concurrency;
        hh->interference = d->interference;
        hh->core_flops = d->speed_flops * (double)d->cores / (double)d->executors;
        hh->max_queue = d->max_queue;
        hh->max_in_flight = d->max_in_flight;
        hh->send_buffer_bytes = d->send_buffer_bytes;
        hh->up = 1;
        hh->exec = calloc((size_t)d->executors, sizeof *hh->exec);
        if (!hh->exec) return SR_ERR_NOMEM;
        for (int x = 0; x < d->executors; x++)
            hh->exec[x].idle_since_s = -INFINITY;
        hh->idle.n = d->idle_slowdown && d->idle_n > 0 && d->idle_n <= SR_IDLE_MAX_POINTS ? d->idle_n : 0;
        for (int i = 0; i < hh->idle.n; i++)
            hh->idle.gap_s[i] = d->idle_gap_s[i], hh->idle.factor[i] = d->idle_factor[i];
        if (hh->idle.n) eng->any_idle_curve = 1;
        hh->jitter_sigma = d->compute_jitter && d->jitter_sigma > 0 ? d->jitter_sigma : 0.0;
        hh->jitter_state = sr_arrival_seed(seed ^ UINT64_C(0x6a6974746572), (uint64_t)h);
    }
    for (int l = 0; l < sr_topology_link_count(eng->topo); l++)
        eng->links[l].max_flows = e->links[sr_topology_link_at(eng->topo, l)->spec].max_flows;
    if (eng->opts && eng->opts->cost) {
        eng->env.default_cost = eng->opts->cost;
    } else {
        st = sr_cost_roofline_create(&eng->default_cost_own);
        if (st != SR_OK) return st;
        eng->env.default_cost = eng->default_cost_own;
        /* each device group with a profile is priced by the profile's cost model (fitted when it has a fit) */
        st = profile_costs(eng, err, err_size);
        if (st != SR_OK) return st;
    }
    st = models_prepare(eng, err, err_size);
    if (st != SR_OK) return st;
    if (e->mode == SR_MODE_EXACT) {
        double frames = expected_frames(e);
        if (frames > SR_EXACT_MAX_FRAMES) {
            ENG_ERR("exact mode runs the real kernels for every frame: this run point has about %.0f frames, more "
                    "than the %d allowed (use mode: model)",
                    frames, SR_EXACT_MAX_FRAMES);
            return SR_ERR_RANGE;
        }
    }
    st = policy_prepare(eng, err, err_size);
    if (st != SR_OK) return st;
    eng_sim_init(eng);
    return sources_prepare(eng, seed, err, err_size);
}

void eng_clear(engine *eng)
{
    const sr_experiment *e = eng->e;
    for (int s = 0; eng->sources && s < eng->n_sources; s++) {
        sr_arrival_free(eng->sources[s].gen);
        sr_exact_free(eng->sources[s].exact);
    }
    free(eng->sources);
    for (int i = 0; i < eng->n_plans; i++)
        plan_free(eng->plans[i]);
    free(eng->plans);
    if (eng->pol && eng->pol->fini) eng->pol->fini(eng->pol_state);
    for (int m = 0; eng->weights && m < e->n_models; m++)
        sr_weights_free(eng->weights[m]);
    free(eng->weights);
    for (int m = 0; eng->graphs && m < e->n_models; m++)
        sr_graph_free(eng->graphs[m]);
    free(eng->graphs);
    for (int g = 0; eng->group_cost && g < e->n_devices; g++)
        sr_cost_model_free(eng->group_cost[g]);
    free(eng->group_cost);
    sr_cost_model_free(eng->default_cost_own);
    for (int h = 0; eng->hosts && h < eng->n_hosts; h++) {
        for (int x = 0; x < eng->hosts[h].n_exec && eng->hosts[h].exec; x++)
            free(eng->hosts[h].exec[x].q.q);
        free(eng->hosts[h].exec);
        free(eng->hosts[h].shared.q);
        for (int b = 0; b < eng->hosts[h].n_batches; b++)
            free(eng->hosts[h].batches[b]);
        free(eng->hosts[h].batches);
    }
    free(eng->hosts);
    for (int l = 0; eng->links && l < sr_topology_link_count(eng->topo); l++)
        free(eng->links[l].wait.q);
    free(eng->links);
    for (int c = 0; c < eng->n_conns; c++)
        free(eng->conns[c].q.q);
    free(eng->conns);
    free(eng->conn_index);
    free(eng->recs);
    free(eng->trecs);
    sr_topology_free(eng->topo);
}
