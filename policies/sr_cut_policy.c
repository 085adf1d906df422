/* sr_cut_policy.c: keys, checks, cut choice, plans and metrics shared by best_split and dynamic_split
 * (sr_cut_policy.h). */
#include "sr_cut_policy.h"
#include "sr_idle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_trace.h"

const char *const sr_cutpol_objective_names[SR_CUT_OBJ_COUNT] = {"latency", "energy", "weighted"};
const char *const sr_cutpol_search_names[SR_CUT_SEARCH_COUNT] = {"mincut", "exhaustive", "single"};
const char *const sr_cutpol_precision_names[SR_PREC_COUNT] = {"fp32", "fp16", "int8"};
_Static_assert(SR_PREC_FP32 == 0 && SR_PREC_FP16 == 1 && SR_PREC_INT8 == 2,
               "precision names follow sr_precision");
_Static_assert(sizeof(sr_precision) == sizeof(int), "enum fields are stored as int");

/* ---- the experiment: sources, models, routes ---- */

static int model_of_source(const sr_experiment *e, int k)
{
    for (int m = 0; m < e->n_models; m++)
        if (e->models[m].name && e->sources[k].model && strcmp(e->models[m].name, e->sources[k].model) == 0)
            return m;
    return -1;
}

/* Does a route end name a device group g (its name or one of its instances)? */
static int names_group(const sr_experiment *e, const char *name, int g)
{
    const sr_device_spec *d = &e->devices[g];
    if (!name || !d->name) return 0;
    if (strcmp(name, d->name) == 0) return 1;
    for (int i = 0; d->instances && i < d->count; i++)
        if (d->instances[i] && strcmp(name, d->instances[i]) == 0) return 1;
    return 0;
}

static int link_index(const sr_experiment *e, const char *name)
{
    for (int l = 0; l < e->n_links; l++)
        if (e->links[l].name && name && strcmp(e->links[l].name, name) == 0) return l;
    return -1;
}

/* The links of the route from group sg to group tg (in the sender's order); -1 when there is none. */
static int route_links(const sr_experiment *e, int sg, int tg, int *links)
{
    for (int r = 0; r < e->n_routes; r++) {
        const sr_route_spec *rs = &e->routes[r];
        int fwd = names_group(e, rs->src, sg) && names_group(e, rs->dst, tg);
        int rev = rs->symmetric && names_group(e, rs->src, tg) && names_group(e, rs->dst, sg);
        if (!fwd && !rev) continue;
        if (rs->n_links > SR_CUTPOL_MAX_ROUTE_LINKS) return -1;
        for (int i = 0; i < rs->n_links; i++) {
            int l = link_index(e, rs->links[fwd ? i : rs->n_links - 1 - i]);
            if (l < 0) return -1;
            links[i] = l;
        }
        return rs->n_links;
    }
    return -1;
}

/* A link's bandwidth at time 0: its trace's first value when the trace starts at 0, else the nominal one. */
static double initial_bw(const sr_link_spec *l)
{
    if (l->bw_trace && l->bw_trace->n > 0 && l->bw_trace->times_s[0] <= 0) return l->bw_trace->values[0];
    return l->bw_bps;
}

#define LV08_BW_FACTOR 0.97
#define LV08_LAT_FACTOR 13.01
#define LV08_TCP_GAMMA_BYTES 4194304.0 /* SimGrid's network/TCP-gamma default: the TCP window bound */

double sr_cutpol_route_bw(const sr_cutpol_state *s, const sr_policy_env *env, int k)
{
    const sr_cutpol_source *cs = &s->src[k];
    const int lv08 = env->exp->net_model == SR_NET_LV08;
    double bw = INFINITY, lat = 0;
    for (int i = 0; i < cs->n_links; i++) {
        int l = cs->links[i];
        /* the decision is shared by the source's instances: the route is down when the link is for all of
         * them */
        if (s->link_down && s->link_down[l] >= env->exp->links[l].count) return 0.0;
        double cap = s->link_bw[l];
        /* lv08: SimGrid's bandwidth factor, and on a SHARED link (one constraint for both directions) the 5 %
         * cross-traffic a flow puts on its own reverse route, which crosses the same link */
        if (lv08) cap *= LV08_BW_FACTOR / (env->exp->links[l].sharing == SR_SHARING_SHARED ? 1.05 : 1.0);
        bw = fmin(bw, cap);
        lat += env->exp->links[l].latency_s;
    }
    if (!isfinite(bw)) bw = 1e15; /* no link: a local route */
    /* lv08: SimGrid's TCP window bound, TCP-gamma / (2 x the route's latency before the latency factor), times
     * the bandwidth factor (measured against real runs: 150 528 B over 1 Gbit/s and 50 ms took 3.700 ms, not
     * the bound's 3.589), which caps a fast route with some latency (325 Mbit/s at 50 ms) */
    if (lv08 && lat > 0) bw = fmin(bw, LV08_BW_FACTOR * 8.0 * LV08_TCP_GAMMA_BYTES / (2.0 * lat));
    return bw;
}

/* ---- check ---- */

sr_status sr_cutpol_check(const sr_cutpol_params *p, const sr_policy_env *env, sr_policy_diag *d)
{
    const sr_experiment *e = env->exp;
    sr_policy_check_target(env, d, "target", p->target);
    int search_given = d->given && d->given(d->user, "search");
    int prec_given = d->given && d->given(d->user, "activation_precision");
    int single_only = e->mode == SR_MODE_EXACT || p->codec;
    if (single_only && search_given && p->search != SR_CUT_SEARCH_SINGLE)
        sr_policy_error(d, "search",
                        "search: %s is not possible %s, so the search is over clean single-tensor cuts "
                        "(search: single)",
                        sr_cutpol_search_names[p->search],
                        e->mode == SR_MODE_EXACT ? "in exact mode: it runs chains with one cut tensor"
                                                 : "with a codec: codec tables price one cut tensor");
    if (p->objective != SR_CUT_OBJ_WEIGHTED) {
        if (d->given && d->given(d->user, "latency_weight"))
            sr_policy_error(d, "latency_weight", "'latency_weight' needs objective: weighted");
        if (d->given && d->given(d->user, "energy_weight"))
            sr_policy_error(d, "energy_weight", "'energy_weight' needs objective: weighted");
    }
    if (!p->codec) {
        if (p->codec_table) sr_policy_error(d, "codec_table", "'codec_table' needs 'codec'");
    } else {
        if (prec_given)
            sr_policy_error(d, "activation_precision",
                            "'activation_precision' and 'codec' exclude each other");
        struct stat st;
        if (!p->codec_table)
            sr_policy_error(d, "codec",
                            "a codec needs a codec_table (made by `simrun codec-table`): its rows give "
                            "each layer's coded size and coding time");
        else if (stat(p->codec_table, &st) != 0 || !S_ISREG(st.st_mode))
            sr_policy_error(d, "codec_table",
                            "codec table file '%s' not found; make it with `simrun codec-table`",
                            p->codec_table);
        char msg[512];
        sr_codec *cd = NULL;
        if (sr_codec_create(p->codec, 64, 16, 16, &cd, msg, sizeof msg) != SR_OK)
            sr_policy_error(d, "codec", "bad codec pipeline '%s': %s", p->codec, msg);
        sr_codec_free(cd);
    }
    int tg = sr_policy_device_index(e, p->target);
    for (int k = 0; k < e->n_sources && tg >= 0; k++) {
        int sg = sr_policy_device_index(e, e->sources[k].devices), m = model_of_source(e, k);
        int links[SR_CUTPOL_MAX_ROUTE_LINKS];
        int routed = sg >= 0 &&
                     (!env->route_exists || env->route_exists(env->route_user, sg, 0, tg, 0)); /* else said */
        if (sg >= 0 && sg != tg && routed && route_links(e, sg, tg, links) < 0)
            sr_policy_error(d, "target",
                            "no route from '%s' to '%s' under platform.routes gives the cut its bandwidth",
                            e->devices[sg].name, p->target);
        const sr_graph *g = m >= 0 && env->graphs ? env->graphs[m] : NULL;
        if (!g || p->search != SR_CUT_SEARCH_EXHAUSTIVE || single_only) continue;
        int n = sr_graph_node_count(g);
        double *zero = calloc((size_t)n, sizeof *zero);
        unsigned char *cut = calloc((size_t)n, 1);
        double v;
        long count = 0;
        sr_status st = zero && cut ? SR_OK : SR_ERR_NOMEM;
        if (st == SR_OK) {
            sr_cut_weights w = {zero, zero, zero};
            st = sr_cut_exhaustive(g, &w, SR_CUTPOL_EXHAUSTIVE_MAX, cut, &v, &count);
        }
        free(zero);
        free(cut);
        if (st == SR_ERR_NOMEM) return st;
        if (st == SR_ERR_RANGE)
            sr_policy_error(d, "search",
                            "model '%s' has more than %ld valid cuts: search: exhaustive is too slow; use "
                            "search: mincut (the same optimum)",
                            e->models[m].name, SR_CUTPOL_EXHAUSTIVE_MAX);
    }
    return SR_OK;
}

/* ---- init ---- */

void sr_cutpol_fini(sr_cutpol_state *s)
{
    if (!s) return;
    for (int k = 0; k < s->n_sources && s->src; k++) {
        sr_cut_terms_free(&s->src[k].terms);
        free(s->src[k].on_device);
        free(s->src[k].scratch);
        free(s->src[k].next);
    }
    free(s->src);
    free(s->link_bw);
    free(s->link_down);
    free(s->switches);
    free(s);
}

static const sr_cost_model *group_model(const sr_policy_env *env, int g)
{
    return env->group_cost && env->group_cost[g] ? env->group_cost[g] : env->default_cost;
}

/* A device's compute-after-idle factor after gap_s of idle (calibration/sr_idle.h), as the engine applies it. */
static double idle_factor(const sr_device_spec *d, double gap_s)
{
    if (!d->idle_slowdown || d->idle_n <= 0 || d->idle_n > SR_IDLE_MAX_POINTS) return 1.0;
    sr_idle_curve c;
    c.n = d->idle_n;
    for (int i = 0; i < c.n; i++)
        c.gap_s[i] = d->idle_gap_s[i], c.factor[i] = d->idle_factor[i];
    return sr_idle_factor(&c, gap_s);
}

/* Prices source k's nodes (with the codec rows of its model's layers). */
static sr_status price_source(sr_cutpol_state *s, const sr_policy_env *env, int k, char *err, size_t err_size)
{
    const sr_experiment *e = env->exp;
    const sr_cutpol_params *p = s->p;
    sr_cutpol_source *cs = &s->src[k];
    const sr_graph *g = env->graphs[cs->model];
    const sr_device_spec *dd = &e->devices[cs->src_group], *td = &e->devices[cs->tgt_group];
    sr_cut_sides sides;
    memset(&sides, 0, sizeof sides);
    sides.dev_model = group_model(env, cs->src_group);
    sides.tgt_model = group_model(env, cs->tgt_group);
    sides.dev = sr_policy_cost_device(dd);
    sides.tgt = sr_policy_cost_device(td);
    sides.model_precision = e->models[cs->model].precision;
    sides.activation_precision = p->activation_precision;
    sides.frame_bytes = p->frame_bytes > 0 ? p->frame_bytes : sr_policy_raw_frame_bytes(&e->sources[k]);
    sides.dev_busy_w = dd->power_busy_w;
    sides.radio_w = cs->n_links > 0 ? e->links[cs->links[0]].power_busy_w : 0.0;
    if (!sides.dev_model || !sides.tgt_model) {
        sr_errf(err, err_size, "no cost model for '%s' or '%s'", dd->name, td->name);
        return SR_ERR_INVALID;
    }
    sr_status st = sr_cut_terms_price(g, &sides, &cs->terms, err, err_size);
    if (st != SR_OK) return st;
    /* compute after idle: a frame alone finds each side idle for about one frame period, and the engine slows
     * the first task a side runs after idle by its device's factor: the head on the device (its encoding follows
     * at once, warm), on the target the decoding with a codec, else the tail */
    const double period = e->sources[k].fps > 0 ? 1.0 / e->sources[k].fps : INFINITY;
    const double f_dev = idle_factor(dd, period), f_tgt = idle_factor(td, period);
    for (int v = 0; v < cs->terms.n; v++)
        cs->terms.dev_s[v] *= f_dev, cs->terms.tgt_s[v] *= p->codec ? 1.0 : f_tgt;
    if (!p->codec) return st;
    int rows = 0;
    for (int v = 0; v < cs->terms.n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        if (nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST) continue; /* the frame is sent as it is */
        cs->terms.may_cross[v] = 0;
        if (v == cs->terms.n - 1 || !sr_cut_prefix_clean(g, v)) continue;
        sr_codectab_row row;
        char msg[1024];
        st = sr_codectab_lookup(p->codec_table, e->models[cs->model].source, nd->name, p->codec, &row, msg,
                                sizeof msg);
        if (st == SR_ERR_NOT_FOUND) continue;
        if (st != SR_OK) {
            sr_errf(err, err_size, "%s", msg);
            return st;
        }
        if (row.elements != sr_shape_numel(&nd->out) || !(row.bits_per_element >= 0) ||
            !(row.encode_s_per_element >= 0) || !(row.decode_s_per_element >= 0))
            continue; /* measured at another input, or unusable */
        sr_plan_codec c = {p->codec, row.bits_per_element, row.encode_s_per_element, row.decode_s_per_element,
                           p->codec_host_flops};
        if ((st = sr_cut_terms_set_codec(&cs->terms, g, v, &sides, &c)) != SR_OK) return st;
        cs->terms.may_cross[v] = 1;
        rows++;
    }
    (void)rows; /* no row at all: only device-only and cloud-only remain, which is a valid (if dull) search */
    for (int v = 0; v < cs->terms.n; v++)
        cs->terms.dec_s[v] *= f_tgt;
    return SR_OK;
}

sr_status sr_cutpol_choose(sr_cutpol_state *s, const sr_policy_env *env, int k, double bw_bps,
                           unsigned char *into, double *value, sr_cut_prediction *pred)
{
    sr_cutpol_source *cs = &s->src[k];
    const sr_graph *g = env->graphs[cs->model];
    double lat = cs->lat_s;
    sr_cut_weights w;
    sr_cut_terms_weights(&cs->terms, s->p->objective, s->p->latency_weight, s->p->energy_weight, bw_bps, lat,
                         &w);
    sr_status st = SR_OK;
    double v = INFINITY;
    if (s->single) {
        int best = -1;
        st = sr_cut_best_prefix(g, &w, NULL, &best, &v);
        if (st == SR_OK && best < 0) st = SR_ERR_INVALID;
        if (st == SR_OK) sr_cut_prefix(g, best, into);
    } else if (s->p->search == SR_CUT_SEARCH_EXHAUSTIVE) {
        st = sr_cut_exhaustive(g, &w, SR_CUTPOL_EXHAUSTIVE_MAX, into, &v, NULL);
    } else {
        st = sr_cut_mincut(g, &w, into, &v);
    }
    if (st != SR_OK) return st;
    if (value) *value = v;
    if (pred) sr_cut_predict(&cs->terms, g, into, bw_bps, lat, pred);
    return SR_OK;
}

double sr_cutpol_value(sr_cutpol_state *s, const sr_policy_env *env, int k, const unsigned char *cut,
                       double bw_bps)
{
    sr_cutpol_source *cs = &s->src[k];
    sr_cut_weights w;
    sr_cut_terms_weights(&cs->terms, s->p->objective, s->p->latency_weight, s->p->energy_weight, bw_bps,
                         cs->lat_s, &w);
    return sr_cut_value(env->graphs[cs->model], &w, cut);
}

sr_status sr_cutpol_init(const sr_cutpol_params *p, const sr_policy_env *env, sr_cutpol_state **out,
                         char *err, size_t err_size)
{
    const sr_experiment *e = env->exp;
    sr_cutpol_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->p = p;
    s->single = p->search == SR_CUT_SEARCH_SINGLE || e->mode == SR_MODE_EXACT || p->codec;
    s->n_sources = e->n_sources;
    s->src = calloc((size_t)(e->n_sources ? e->n_sources : 1), sizeof *s->src);
    s->link_bw = calloc((size_t)(e->n_links ? e->n_links : 1), sizeof *s->link_bw);
    s->link_down = calloc((size_t)(e->n_links ? e->n_links : 1), sizeof *s->link_down);
    sr_status st = s->src && s->link_bw && s->link_down ? SR_OK : SR_ERR_NOMEM;
    for (int l = 0; l < e->n_links && st == SR_OK; l++)
        s->link_bw[l] = initial_bw(&e->links[l]);
    int tg = sr_policy_device_index(e, p->target);
    if (st == SR_OK && tg < 0) {
        sr_errf(err, err_size, "unknown target '%s'", p->target ? p->target : "");
        st = SR_ERR_INVALID;
    }
    for (int k = 0; k < e->n_sources && st == SR_OK; k++) {
        sr_cutpol_source *cs = &s->src[k];
        cs->model = model_of_source(e, k);
        cs->src_group = sr_policy_device_index(e, e->sources[k].devices);
        cs->tgt_group = tg;
        if (cs->model < 0 || cs->src_group < 0 || !env->graphs || !env->graphs[cs->model]) continue;
        cs->used = 1;
        cs->n_links = route_links(e, cs->src_group, tg, cs->links);
        if (cs->n_links < 0) {
            sr_errf(err, err_size, "no route from '%s' to '%s'", e->devices[cs->src_group].name, p->target);
            st = SR_ERR_INVALID;
            break;
        }
        cs->lat_s = 0;
        for (int i = 0; i < cs->n_links; i++)
            cs->lat_s += e->links[cs->links[i]].latency_s;
        if (e->net_model == SR_NET_LV08) cs->lat_s *= LV08_LAT_FACTOR;
        size_t n = (size_t)sr_graph_node_count(env->graphs[cs->model]);
        cs->on_device = calloc(n, 1);
        cs->scratch = calloc(n, 1);
        cs->next = calloc(n, 1);
        if (!cs->on_device || !cs->scratch || !cs->next) st = SR_ERR_NOMEM;
        if (st == SR_OK) st = price_source(s, env, k, err, err_size);
        if (st == SR_OK) {
            cs->bw_bps = sr_cutpol_route_bw(s, env, k);
            st = sr_cutpol_choose(s, env, k, cs->bw_bps, cs->on_device, &cs->objective_value, &cs->pred);
            if (st != SR_OK)
                sr_errf(err, err_size, "no cut of model '%s' has a finite cost", e->models[cs->model].name);
        }
    }
    if (st != SR_OK) {
        sr_cutpol_fini(s);
        return st;
    }
    *out = s;
    return SR_OK;
}

/* ---- the plan of a cut ---- */

/* side[v]: 1 on the device; constants go with the next non-constant node (a layer range then covers them). */
static void sides_of(const sr_graph *g, const unsigned char *on_device, unsigned char *side)
{
    int n = sr_graph_node_count(g), next = 1;
    for (int v = n - 1; v >= 0; v--) {
        if (sr_graph_node(g, v)->op == SR_OP_CONST) {
            side[v] = (unsigned char)next;
            continue;
        }
        side[v] = on_device[v] ? 1 : 0;
        next = side[v];
    }
}

static int only_inputs(const sr_graph *g, int a, int b)
{
    for (int v = a; v <= b; v++)
        if (sr_graph_node(g, v)->op != SR_OP_INPUT && sr_graph_node(g, v)->op != SR_OP_CONST) return 0;
    return 1;
}

#define ADD(expr)                                                                                            \
    do {                                                                                                     \
        id = (expr);                                                                                         \
        if (id < 0) {                                                                                        \
            st = (sr_status)id;                                                                              \
            goto cleanup;                                                                                    \
        }                                                                                                    \
    } while (0)
#define DEP(a, b)                                                                                            \
    do {                                                                                                     \
        if ((a) >= 0 && (st = sr_plan_add_dep(p, (a), (b))) != SR_OK) goto cleanup;                          \
    } while (0)

sr_status sr_cutpol_plan(const sr_cutpol_state *s, const sr_policy_env *env, const sr_plan_req *req,
                         sr_plan **out, char *err, size_t err_size)
{
    const sr_experiment *e = env->exp;
    const sr_cutpol_source *cs =
        req->source_spec >= 0 && req->source_spec < s->n_sources ? &s->src[req->source_spec] : NULL;
    if (!cs || !cs->used || cs->model != req->model) {
        sr_errf(err, err_size, "no cut for source %d", req->source_spec);
        return SR_ERR_INVALID;
    }
    const sr_graph *g = env->graphs[req->model];
    int n = sr_graph_node_count(g);
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev dst = {SR_ROLE_TARGET, cs->tgt_group,
                       sr_policy_target_instance(e, cs->tgt_group, req->instance)};
    unsigned char *side = malloc((size_t)n);
    int *run_task = malloc(sizeof(int) * (size_t)n); /* task computing node v */
    int *xfer = malloc(sizeof(int) * (size_t)n);     /* task delivering v's output on the target, -1 */
    sr_plan *p = NULL;
    sr_status st = side && run_task && xfer ? sr_plan_create(&p) : SR_ERR_NOMEM;
    int id = -1, prev = -1;
    if (st != SR_OK) goto cleanup;
    sides_of(g, cs->on_device, side);
    for (int v = 0; v < n; v++)
        run_task[v] = xfer[v] = -1;
    /* device runs, chained */
    int k = 0;
    for (int a = 0; a < n; a = k) {
        for (k = a; k < n && side[k] == side[a]; k++) {
        }
        if (!side[a]) continue;
        if (e->mode != SR_MODE_EXACT && only_inputs(g, a, k - 1)) continue;
        char label[SR_PLAN_LABEL_MAX];
        snprintf(label, sizeof label, prev < 0 ? "head" : "head@%d", a);
        ADD(sr_plan_add_layers(p, src, req->model, a, k - 1, label));
        DEP(prev, id);
        prev = id;
        for (int v = a; v < k; v++)
            run_task[v] = id;
    }
    /* one transfer per crossing tensor */
    for (int u = 0; u < n; u++) {
        const sr_node *un = sr_graph_node(g, u);
        if (!side[u] || un->op == SR_OP_CONST) continue;
        int crosses = 0;
        for (int r = u + 1; r < n && !crosses; r++) {
            const sr_node *rn = sr_graph_node(g, r);
            if (side[r] || rn->op == SR_OP_CONST) continue;
            for (int i = 0; i < rn->n_inputs; i++)
                crosses |= rn->inputs[i] == u;
        }
        if (!crosses) continue;
        int before = run_task[u];
        const sr_plan_codec *cd = cs->terms.codec[u].pipeline ? &cs->terms.codec[u] : NULL;
        if (un->op == SR_OP_INPUT) {
            ADD(sr_plan_add_transfer(p, src, dst, SR_PAYLOAD_FRAME, cs->terms.bytes[u], "frame"));
            DEP(before, id);
            xfer[u] = id;
            continue;
        }
        if (cd) {
            ADD(sr_plan_add_codec(p, src, SR_WORK_ENCODE, req->model, u, cd, "encode"));
            DEP(before, id);
            before = id;
        }
        char label[SR_NAME_MAX + 8]; /* sr_plan truncates it to SR_PLAN_LABEL_MAX */
        snprintf(label, sizeof label, "act:%s", un->name);
        ADD(sr_plan_add_transfer(p, src, dst, SR_PAYLOAD_ACTIVATION, cs->terms.bytes[u], label));
        sr_plan_task_mut(p, id)->node = u;
        sr_plan_task_mut(p, id)->model = req->model;
        DEP(before, id);
        if (cd) {
            int t = id;
            ADD(sr_plan_add_codec(p, dst, SR_WORK_DECODE, req->model, u, cd, "decode"));
            DEP(t, id);
        }
        xfer[u] = id;
    }
    /* target runs, chained, each after the tensors it reads */
    prev = -1;
    for (int a = 0; a < n; a = k) {
        for (k = a; k < n && side[k] == side[a]; k++) {
        }
        if (side[a]) continue;
        char label[SR_PLAN_LABEL_MAX];
        snprintf(label, sizeof label, prev < 0 ? "tail" : "tail@%d", a);
        ADD(sr_plan_add_layers(p, dst, req->model, a, k - 1, label));
        int t = id;
        DEP(prev, t);
        for (int v = a; v < k; v++) {
            const sr_node *vn = sr_graph_node(g, v);
            for (int i = 0; i < vn->n_inputs; i++) {
                int u = vn->inputs[i];
                if (xfer[u] < 0) continue;
                /* a tensor read twice by one run: one dependency */
                int seen = 0;
                for (int w = a; w < v && !seen; w++)
                    for (int j = 0; j < sr_graph_node(g, w)->n_inputs; j++)
                        seen |= sr_graph_node(g, w)->inputs[j] == u;
                for (int j = 0; j < i; j++)
                    seen |= vn->inputs[j] == u;
                if (!seen) DEP(xfer[u], t);
            }
        }
        prev = t;
    }
cleanup:
    free(side);
    free(run_task);
    free(xfer);
    if (st != SR_OK) {
        sr_plan_free(p);
        return st;
    }
    *out = p;
    return SR_OK;
}
#undef ADD
#undef DEP

/* ---- metrics ---- */

sr_status sr_cutpol_metrics(const sr_cutpol_state *s, const sr_policy_env *env, const char *prefix,
                            sr_policy_metric_fn add, void *user)
{
    const sr_experiment *e = env->exp;
    int used = 0;
    for (int k = 0; k < s->n_sources; k++)
        used += s->src[k].used;
    for (int k = 0; k < s->n_sources; k++) {
        const sr_cutpol_source *cs = &s->src[k];
        if (!cs->used) continue;
        char pre[160], name[224];
        if (used > 1)
            snprintf(pre, sizeof pre, "%s%s.", prefix, e->sources[k].name ? e->sources[k].name : "?");
        else
            snprintf(pre, sizeof pre, "%s", prefix);
#define M(key, val, unit)                                                                                    \
    do {                                                                                                     \
        snprintf(name, sizeof name, "%s%s", pre, key);                                                       \
        add(user, name, (double)(val), unit);                                                                \
    } while (0)
        M("cut_layer", cs->pred.last_device, "node");
        M("cut_device_nodes", cs->pred.device_nodes, "1");
        M("cut_tensors", cs->pred.tensors, "1");
        M("cut_bytes", cs->pred.bytes, "B");
        M("cut_predicted_latency_s", cs->pred.latency_s, "s");
        M("cut_predicted_energy_j", cs->pred.energy_j, "J");
        M("cut_bw_bps", cs->bw_bps, "bit/s");
#undef M
    }
    return SR_OK;
}
