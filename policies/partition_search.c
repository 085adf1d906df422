/* partition_search.c: Zhou et al.'s partitioner: a cost model of every way to run each layer and each run of
 * fused layers on the devices (eq. 1), and the dynamic-programming search for the cheapest grouping (eq. 2,
 * sr_search.h); the job then runs as the chosen steps (sr_partition.h).
 *
 * Layers are a conv or fc node and the per-channel nodes after it (nodes before the first conv ride with it).
 * Options priced for a single layer i (t_l(i)): the hub alone; spatial tiles (one strip of rows per device,
 * heights following the devices' speeds) on the k fastest live workers; output-channel slices on them, for
 * k = 2..N. For a run of layers i..j that sr_region can tile (t_f(i, j)): fused strips on k = 2..N workers.
 * An option's time is scatter + the slowest device's compute + gather: compute from the devices' cost models
 * as the plan would be priced (sr_price_plan: per node, scaled by each part's share of the work, with cpu
 * quotas), and a transfer phase from the routes' links: per link (instance), the bytes crossing it over its
 * bandwidth, the busiest link deciding, plus the longest route latency. The search may keep everything on the
 * hub (one device): it does when the network makes every split dearer.
 *
 * A worker that goes down is left out and the search runs again over those left (and again when it returns):
 * frames from then on use the new placement; jobs in flight keep theirs (and fail where they needed the
 * device). The chosen configuration is recorded as metrics (search_*), with the exhaustive search's optimum
 * over the same tables for models of at most SR_SEARCH_MAX_EXHAUSTIVE layers (a cross-check of the DP). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_partition.h"
#include "sr_region.h"
#include "sr_search.h"

typedef struct ps_params {
    char *workers;
    int n_workers;
    char *hub;
    double frame_bytes;
    int max_fuse;
} ps_params;

static const sr_field fields[] = {
    {"workers", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "comma-separated device groups whose instances (in order) may compute partitions",
     .offset = offsetof(ps_params, workers)},
    {"n_workers", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN | SR_FF_HAS_MAX, .min = 0, .max = SR_MULTI_MAX_DEV,
     .def = "0", .doc = "use the first n instances of `workers` (0: all)",
     .offset = offsetof(ps_params, n_workers)},
    {"hub", SR_F_STR, .def_doc = "the source device",
     .doc = "device group whose instance (source instance i -> i % count) scatters, gathers and computes "
            "what is "
            "not split",
     .offset = offsetof(ps_params, hub)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL,
     .def_doc = "the raw input: width*height*3 (events: event_size)",
     .doc = "bytes of the frame sent from the source to the hub when they differ",
     .offset = offsetof(ps_params, frame_bytes)},
    {"max_fuse", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "0",
     .doc = "most layers in one fused block (0: no limit)", .offset = offsetof(ps_params, max_fuse)},
};
static const sr_section params = {
    "policy (type partition_search)",
    "policy",
    0,
    "Choose fused blocks, layers per block, devices per block and scheme by Zhou et "
    "al.'s cost model and dynamic program; re-place after failures.",
    fields,
    (int)(sizeof fields / sizeof fields[0]),
    sizeof(ps_params)};

enum { OPT_LOCAL, OPT_FUSED, OPT_TILES, OPT_CHANNELS };
static const char *const opt_names[] = {"local", "fused", "spatial", "channel"};

typedef struct ps_choice {
    int kind; /* OPT_* */
    int k;    /* devices (tiles, channels) */
} ps_choice;

typedef struct ps_model {
    int n_layers;
    int *first, *last; /* per layer: node range */
    sr_step *steps;    /* the chosen steps */
    int *opt;          /* their OPT_* */
    int n_steps;
    double predicted_s;
    double exhaustive_s; /* the same tables searched exhaustively (models of at most SR_SEARCH_MAX_EXHAUSTIVE
                            layers; NAN otherwise): a cross-check recorded with the run */
    int max_devices;
} ps_model;

typedef struct ps_state {
    ps_model *models;
    int n_models;
    sr_part_workers w;
    int order[SR_MULTI_MAX_DEV]; /* live workers, fastest first */
    int n_live;
    int replans;
} ps_state;

/* ---- workers ---- */

/* Live workers, fastest first (ties by index). */
static void order_workers(const sr_experiment *e, ps_state *s)
{
    s->n_live = 0;
    for (int i = 0; i < s->w.n; i++)
        if (!s->w.down[i]) s->order[s->n_live++] = i;
    for (int a = 1; a < s->n_live; a++) /* insertion sort: stable */
        for (int b = a; b > 0; b--) {
            double vb = sr_multi_device_speed(&e->devices[s->w.group[s->order[b]]]);
            double va = sr_multi_device_speed(&e->devices[s->w.group[s->order[b - 1]]]);
            if (vb <= va) break;
            int t = s->order[b];
            s->order[b] = s->order[b - 1], s->order[b - 1] = t;
        }
}

/* ---- the network part of the cost model ---- */

/* Links of the route from device (sg, si) to (dg, di): link index and instance into li/lk (at most max); the
 * route's latency sum into *lat. Returns the number of links, -1 without a declared route. */
static int route_links(const sr_experiment *e, int sg, int si, int dg, int di, int *li, int *lk, int max,
                       double *lat)
{
    const char *sn = e->devices[sg].name, *dn = e->devices[dg].name;
    for (int r = 0; r < e->n_routes; r++) {
        const sr_route_spec *rs = &e->routes[r];
        int fwd = strcmp(rs->src, sn) == 0 && strcmp(rs->dst, dn) == 0;
        int rev = !fwd && rs->symmetric && strcmp(rs->src, dn) == 0 && strcmp(rs->dst, sn) == 0;
        if (!fwd && !rev) continue;
        int n = 0;
        *lat = 0;
        for (int k = 0; k < rs->n_links && n < max; k++) {
            int l = -1;
            for (int j = 0; j < e->n_links && l < 0; j++)
                if (strcmp(e->links[j].name, rs->links[k]) == 0) l = j;
            if (l < 0) continue;
            const sr_link_spec *ls = &e->links[l];
            int inst = 0;
            if (ls->per_device && strcmp(ls->per_device, sn) == 0)
                inst = si;
            else if (ls->per_device && strcmp(ls->per_device, dn) == 0)
                inst = di;
            li[n] = l, lk[n] = inst < ls->count ? inst : 0, n++;
            *lat += ls->latency_s;
        }
        return n;
    }
    return -1;
}

typedef struct net_acc {
    int n;
    int link[256], inst[256];
    double bytes[256];
    double lat;
    int bad;
} net_acc;

static void net_add(net_acc *a, const sr_experiment *e, sr_plan_dev s, sr_plan_dev d, double bytes)
{
    int li[16], lk[16];
    double lat = 0;
    int n = route_links(e, s.group, s.instance, d.group, d.instance, li, lk, 16, &lat);
    if (n < 0) {
        a->bad = 1;
        return;
    }
    if (lat > a->lat) a->lat = lat;
    for (int k = 0; k < n; k++) {
        int j = 0;
        while (j < a->n && !(a->link[j] == li[k] && a->inst[j] == lk[k]))
            j++;
        if (j == a->n) {
            if (a->n == 256) {
                a->bad = 1;
                return;
            }
            a->link[j] = li[k], a->inst[j] = lk[k], a->bytes[j] = 0, a->n++;
        }
        a->bytes[j] += bytes;
    }
}

static double net_time(const net_acc *a, const sr_experiment *e)
{
    if (a->bad) return INFINITY;
    double t = 0;
    for (int j = 0; j < a->n; j++)
        t = fmax(t, a->bytes[j] * 8.0 / e->links[a->link[j]].bw_bps);
    return a->n ? t + a->lat : 0.0;
}

/* Estimated time of one step on the hub and the k fastest live workers (eq. 1's term for a block). */
static double step_time(const ps_state *s, const sr_policy_env *env, int model, sr_plan_dev hub,
                        const sr_step *st)
{
    const sr_experiment *e = env->exp;
    sr_part_env pe;
    memset(&pe, 0, sizeof pe);
    pe.e = e;
    pe.g = env->graphs[model];
    pe.model = model;
    pe.src = pe.hub = hub;
    for (int i = 0; i < s->n_live; i++) {
        int w = s->order[i];
        pe.dev[pe.n] = (sr_plan_dev){SR_ROLE_OTHER, s->w.group[w], s->w.inst[w]};
        pe.speed[pe.n++] = sr_multi_device_speed(&e->devices[s->w.group[w]]);
    }
    pe.proportional = 1;
    sr_plan *p = NULL;
    double t = INFINITY;
    if (sr_part_plan(&pe, st, 1, &p, NULL, NULL, 0) != SR_OK || sr_price_plan(env, p, NULL, 0) != SR_OK)
        goto done;
    net_acc scatter = {0}, gather = {0};
    double busy[SR_MULTI_MAX_DEV + 1] = {0};
    for (int i = 0; i < sr_plan_task_count(p); i++) {
        const sr_plan_task *tk = sr_plan_task_at(p, i);
        if (tk->kind == SR_TASK_TRANSFER) {
            int to_hub = tk->dst.group == hub.group && tk->dst.instance == hub.instance;
            net_add(to_hub ? &gather : &scatter, e, tk->dev, tk->dst, tk->bytes);
        } else if (tk->kind == SR_TASK_COMPUTE) {
            int k = pe.n;
            for (int j = 0; j < pe.n; j++)
                if (pe.dev[j].group == tk->dev.group && pe.dev[j].instance == tk->dev.instance) k = j;
            busy[k] += tk->seconds;
        }
    }
    double c = 0;
    for (int j = 0; j <= pe.n; j++)
        c = fmax(c, busy[j]);
    t = net_time(&scatter, e) + c + net_time(&gather, e);
done:
    sr_plan_free(p);
    return t;
}

/* ---- layers and the search ---- */

static int model_layers(const sr_graph *g, ps_model *pm)
{
    int n = sr_graph_node_count(g);
    pm->first = malloc(sizeof(int) * (size_t)n);
    pm->last = malloc(sizeof(int) * (size_t)n);
    if (!pm->first || !pm->last) return -1;
    pm->n_layers = 0;
    int start = 0;
    while (start < n && sr_graph_node(g, start)->op == SR_OP_INPUT)
        start++;
    int u0 = start, seen_head = 0;
    for (int id = start; id <= n; id++) {
        int head = id < n && sr_part_layer_head(sr_graph_node(g, id)->op);
        if (id < n && !(head && seen_head)) {
            seen_head |= head;
            continue;
        }
        pm->first[pm->n_layers] = u0, pm->last[pm->n_layers] = id - 1, pm->n_layers++;
        u0 = id;
    }
    return 0;
}

/* A layer whose nodes after the conv/fc are all per-channel can be sliced by channels. */
static int sliceable(const sr_graph *g, int first, int last)
{
    if (!sr_part_layer_head(sr_graph_node(g, first)->op)) return 0;
    for (int id = first + 1; id <= last; id++)
        if (!sr_part_per_channel(sr_graph_node(g, id)->op)) return 0;
    return 1;
}

static int tileable(const sr_graph *g, int first, int last)
{
    sr_region *r = NULL;
    int ok = sr_region_create(g, first, last, &r, NULL, 0) == SR_OK;
    sr_region_free(r);
    return ok;
}

static void free_model(ps_model *pm)
{
    free(pm->first);
    free(pm->last);
    free(pm->steps);
    free(pm->opt);
    memset(pm, 0, sizeof *pm);
}

/* Runs the search for model m (hub: the source's or the hub group's instance 0) and stores the steps. */
static sr_status search_model(ps_state *s, const ps_params *p, const sr_policy_env *env, int m,
                              sr_plan_dev hub)
{
    const sr_graph *g = env->graphs[m];
    ps_model *pm = &s->models[m];
    int n = pm->n_layers, K = s->n_live;
    double *tl = malloc(sizeof(double) * (size_t)n), *tf = malloc(sizeof(double) * (size_t)n * (size_t)n);
    ps_choice *cl = malloc(sizeof(ps_choice) * (size_t)n),
              *cf = malloc(sizeof(ps_choice) * (size_t)n * (size_t)n);
    int *bl = malloc(sizeof(int) * (size_t)n);
    sr_status st = tl && tf && cl && cf && bl ? SR_OK : SR_ERR_NOMEM;
    for (int i = 0; i < n && st == SR_OK; i++) {
        sr_step loc = {SR_STEP_LOCAL, pm->first[i], pm->last[i], 0};
        tl[i] = step_time(s, env, m, hub, &loc);
        cl[i] = (ps_choice){OPT_LOCAL, 1};
        int tiles = tileable(g, pm->first[i], pm->last[i]), slices = sliceable(g, pm->first[i], pm->last[i]);
        for (int k = 2; k <= K; k++) {
            if (tiles) {
                sr_step t = {SR_STEP_TILES, pm->first[i], pm->last[i], k};
                double c = step_time(s, env, m, hub, &t);
                if (c < tl[i]) tl[i] = c, cl[i] = (ps_choice){OPT_TILES, k};
            }
            if (slices) {
                sr_step t = {SR_STEP_CHANNELS, pm->first[i], pm->last[i], k};
                double c = step_time(s, env, m, hub, &t);
                if (c < tl[i]) tl[i] = c, cl[i] = (ps_choice){OPT_CHANNELS, k};
            }
        }
        for (int j = i; j < n; j++) {
            tf[(size_t)i * n + j] = INFINITY;
            cf[(size_t)i * n + j] = (ps_choice){OPT_LOCAL, 1};
        }
        for (int j = i + 1; j < n && (p->max_fuse <= 0 || j - i + 1 <= p->max_fuse); j++) {
            if (!tileable(g, pm->first[i], pm->last[j])) break;
            for (int k = 2; k <= K; k++) {
                sr_step t = {SR_STEP_TILES, pm->first[i], pm->last[j], k};
                double c = step_time(s, env, m, hub, &t);
                if (c < tf[(size_t)i * n + j])
                    tf[(size_t)i * n + j] = c, cf[(size_t)i * n + j] = (ps_choice){OPT_FUSED, k};
            }
        }
    }
    int nb = 0;
    pm->exhaustive_s = NAN;
    if (st == SR_OK && n <= SR_SEARCH_MAX_EXHAUSTIVE)
        pm->exhaustive_s = sr_search_exhaustive(n, tl, tf, bl, &nb);
    if (st == SR_OK) pm->predicted_s = sr_search_dp(n, tl, tf, bl, &nb);
    if (st == SR_OK && !(nb > 0)) st = SR_ERR_INVALID;
    free(pm->steps);
    free(pm->opt);
    pm->steps = st == SR_OK ? calloc((size_t)nb, sizeof *pm->steps) : NULL;
    pm->opt = st == SR_OK ? calloc((size_t)nb, sizeof *pm->opt) : NULL;
    if (st == SR_OK && (!pm->steps || !pm->opt)) st = SR_ERR_NOMEM;
    pm->n_steps = 0;
    pm->max_devices = 1;
    for (int b = 0, i = 0; st == SR_OK && b < nb; i = bl[b] + 1, b++) {
        int j = bl[b];
        ps_choice c = i == j ? cl[i] : cf[(size_t)i * n + j];
        sr_step_kind kind = c.kind == OPT_LOCAL      ? SR_STEP_LOCAL
                            : c.kind == OPT_CHANNELS ? SR_STEP_CHANNELS
                                                     : SR_STEP_TILES;
        /* a local step starts at the layer's first node; the input node rides with the first step */
        pm->opt[pm->n_steps] = c.kind;
        pm->steps[pm->n_steps++] = (sr_step){kind, pm->first[i], pm->last[j], c.kind == OPT_LOCAL ? 0 : c.k};
        if (c.kind != OPT_LOCAL && c.k > pm->max_devices) pm->max_devices = c.k;
    }
    free(tl);
    free(tf);
    free(cl);
    free(cf);
    free(bl);
    return st;
}

/* Searches every used model, priced with the hub of the first source using it. */
static sr_status search_all(ps_state *s, const ps_params *p, const sr_policy_env *env)
{
    const sr_experiment *e = env->exp;
    order_workers(e, s);
    for (int m = 0; m < e->n_models; m++) {
        if (!s->models[m].n_layers) continue;
        int sg = -1;
        for (int k = 0; k < e->n_sources && sg < 0; k++)
            if (e->sources[k].model && strcmp(e->sources[k].model, e->models[m].name) == 0)
                sg = sr_policy_device_index(e, e->sources[k].devices);
        if (sg < 0) continue;
        sr_status st = search_model(s, p, env, m, sr_part_hub(e, p->hub, sg, 0));
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

static sr_status ps_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const ps_params *p = p_;
    const sr_experiment *e = env->exp;
    sr_part_workers wk;
    sr_part_check_workers(env, d, p->workers, p->n_workers, p->hub, &wk);
    for (int m = 0; m < e->n_models; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (g && sr_multi_model_used(e, m) && sr_graph_node_count(g) > SR_SEARCH_MAX_LAYERS)
            sr_policy_error(d, NULL, "model '%s' has more than %d nodes", e->models[m].name,
                            SR_SEARCH_MAX_LAYERS);
    }
    return SR_OK;
}

static void ps_fini(void *state)
{
    ps_state *s = state;
    if (!s) return;
    for (int m = 0; s->models && m < s->n_models; m++)
        free_model(&s->models[m]);
    free(s->models);
    free(s);
}

static sr_status ps_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t err_size)
{
    const ps_params *p = p_;
    const sr_experiment *e = env->exp;
    ps_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->n_models = e->n_models;
    s->models = calloc((size_t)(e->n_models ? e->n_models : 1), sizeof *s->models);
    char msg[512] = "";
    sr_status st = s->models ? SR_OK : SR_ERR_NOMEM;
    if (st == SR_OK && sr_part_workers_parse(e, p->workers, p->n_workers, &s->w, msg, sizeof msg) != 0)
        st = SR_ERR_INVALID;
    for (int m = 0; m < e->n_models && st == SR_OK; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (g && sr_multi_model_used(e, m) && model_layers(g, &s->models[m]) != 0) st = SR_ERR_NOMEM;
    }
    if (st == SR_OK) st = search_all(s, p, env);
    if (st != SR_OK) {
        if (err) snprintf(err, err_size, "partition_search: %s", msg[0] ? msg : sr_status_message(st));
        ps_fini(s);
        return st;
    }
    *state = s;
    return SR_OK;
}

static sr_status ps_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                         sr_plan **out, char *err, size_t err_size)
{
    ps_state *s = state;
    const ps_params *p = p_;
    const sr_experiment *e = env->exp;
    const ps_model *pm = &s->models[req->model];
    if (!pm->steps) {
        if (err)
            snprintf(err, err_size, "partition_search: no placement for model '%s'",
                     e->models[req->model].name);
        return SR_ERR_INVALID;
    }
    sr_part_env pe;
    sr_part_env_init(&pe, env, req->model, req->group, req->instance, req->source_spec, p->hub, p->frame_bytes);
    for (int i = 0; i < s->n_live; i++) {
        int w = s->order[i];
        pe.dev[pe.n] = (sr_plan_dev){SR_ROLE_OTHER, s->w.group[w], s->w.inst[w]};
        pe.speed[pe.n++] = sr_multi_device_speed(&e->devices[s->w.group[w]]);
    }
    pe.proportional = 1;
    char msg[512] = "";
    sr_status st = sr_part_plan(&pe, pm->steps, pm->n_steps, out, NULL, msg, sizeof msg);
    if (st != SR_OK && err) snprintf(err, err_size, "partition_search: %s", msg);
    return st;
}

static sr_status ps_event(void *state, const void *p_, const sr_policy_env *env, const sr_policy_event *ev,
                          const sr_policy_sim *sim)
{
    ps_state *s = state;
    if (!sr_part_workers_event(&s->w, ev)) return SR_OK;
    sr_status st = search_all(s, p_, env);
    if (st != SR_OK) return st;
    s->replans++;
    sim->replan(sim->eng, -1);
    return SR_OK;
}

static sr_status ps_metrics(void *state, const void *p_, const sr_policy_env *env, sr_policy_metric_fn add,
                            void *user)
{
    (void)p_;
    const ps_state *s = state;
    const sr_experiment *e = env->exp;
    if (!s) return SR_OK;
    add(user, "search_replans", s->replans, "1");
    for (int m = 0; m < e->n_models; m++) {
        const ps_model *pm = &s->models[m];
        if (!pm->steps) continue;
        const sr_graph *g = env->graphs[m];
        add(user, "search_predicted_latency_s", pm->predicted_s, "s");
        if (!isnan(pm->exhaustive_s)) add(user, "search_exhaustive_latency_s", pm->exhaustive_s, "s");
        add(user, "search_blocks", pm->n_steps, "1");
        add(user, "search_devices", pm->max_devices, "1");
        for (int b = 0; b < pm->n_steps; b++) {
            const sr_step *st = &pm->steps[b];
            const char *kind = opt_names[pm->opt[b]];
            char name[192];
            snprintf(name, sizeof name, "search_block%d:%s..%s:%s", b, sr_graph_node(g, st->first)->name,
                     sr_graph_node(g, st->last)->name, kind);
            add(user, name, st->kind == SR_STEP_LOCAL ? 1 : st->n_dev, "devices");
        }
    }
    return SR_OK;
}

const sr_policy_ops sr_policy_partition_search = {
    .name = "partition_search",
    .doc = "Zhou et al.'s cost model and DP: which layers to fuse, how many devices per block, which scheme; "
           "re-placed after failures",
    .params = &params,
    .check = ps_check,
    .init = ps_init,
    .plan = ps_plan,
    .on_event = ps_event,
    .metrics = ps_metrics,
    .fini = ps_fini,
};
