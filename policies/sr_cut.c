/* sr_cut.c: valid cuts of a graph between device and target, their cost, and three searches (sr_cut.h). */
#include "sr_cut.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_const(const sr_graph *g, int id)
{
    return sr_graph_node(g, id)->op == SR_OP_CONST;
}

int sr_cut_is_valid(const sr_graph *g, const unsigned char *on_device)
{
    int n = sr_graph_node_count(g);
    for (int v = 0; v < n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        if (nd->op == SR_OP_CONST || !on_device[v]) continue;
        for (int k = 0; k < nd->n_inputs; k++)
            if (!is_const(g, nd->inputs[k]) && !on_device[nd->inputs[k]]) return 0;
    }
    return 1;
}

/* crossing[u] = 1 when u is on the device and a target node reads it (caller's array of n bytes). */
static void mark_crossing(const sr_graph *g, const unsigned char *on_device, unsigned char *crossing)
{
    int n = sr_graph_node_count(g);
    memset(crossing, 0, (size_t)n);
    for (int v = 0; v < n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        if (nd->op == SR_OP_CONST || on_device[v]) continue;
        for (int k = 0; k < nd->n_inputs; k++) {
            int u = nd->inputs[k];
            if (!is_const(g, u) && on_device[u]) crossing[u] = 1;
        }
    }
}

int sr_cut_crossing(const sr_graph *g, const unsigned char *on_device)
{
    int n = sr_graph_node_count(g), c = 0;
    unsigned char *x = malloc((size_t)(n > 0 ? n : 1));
    if (!x) return -1;
    mark_crossing(g, on_device, x);
    for (int u = 0; u < n; u++)
        c += x[u];
    free(x);
    return c;
}

int sr_cut_last_device_node(const sr_graph *g, const unsigned char *on_device)
{
    for (int v = sr_graph_node_count(g) - 1; v >= 0; v--)
        if (!is_const(g, v) && on_device[v]) return v;
    return -1;
}

/* The cost with a scratch array for the crossing marks. */
static double value_with(const sr_graph *g, const sr_cut_weights *w, const unsigned char *on_device,
                         unsigned char *x)
{
    if (!sr_cut_is_valid(g, on_device)) return INFINITY;
    int n = sr_graph_node_count(g);
    mark_crossing(g, on_device, x);
    double sum = 0;
    for (int v = 0; v < n; v++) {
        if (is_const(g, v)) continue;
        sum += on_device[v] ? w->device[v] : w->target[v];
        if (x[v]) sum += w->cross[v];
    }
    return sum;
}

double sr_cut_value(const sr_graph *g, const sr_cut_weights *w, const unsigned char *on_device)
{
    int n = sr_graph_node_count(g);
    unsigned char *x = malloc((size_t)(n > 0 ? n : 1));
    if (!x) return NAN;
    double v = value_with(g, w, on_device, x);
    free(x);
    return v;
}

static int weights_ok(const sr_graph *g, const sr_cut_weights *w)
{
    if (!g || !w || !w->device || !w->target || !w->cross) return 0;
    for (int v = 0; v < sr_graph_node_count(g); v++) {
        if (is_const(g, v)) continue;
        if (!(w->device[v] >= 0) || !(w->target[v] >= 0) || !(w->cross[v] >= 0)) return 0; /* NaN fails too */
    }
    return 1;
}

/* ---- minimum s-t cut: Dinic's max flow on doubles ---- */

typedef struct flow_edge {
    int to, next;
    double cap;
} flow_edge;

typedef struct flow_net {
    int nv, ne, cap_e;
    int *head, *level, *iter, *queue;
    flow_edge *e;
} flow_net;

static void net_free(flow_net *f)
{
    free(f->head);
    free(f->level);
    free(f->iter);
    free(f->queue);
    free(f->e);
}

static sr_status net_init(flow_net *f, int nv, int max_edges)
{
    memset(f, 0, sizeof *f);
    f->nv = nv;
    f->cap_e = 2 * max_edges;
    f->head = malloc(sizeof(int) * (size_t)nv);
    f->level = malloc(sizeof(int) * (size_t)nv);
    f->iter = malloc(sizeof(int) * (size_t)nv);
    f->queue = malloc(sizeof(int) * (size_t)nv);
    f->e = malloc(sizeof(flow_edge) * (size_t)f->cap_e);
    if (!f->head || !f->level || !f->iter || !f->queue || !f->e) {
        net_free(f);
        return SR_ERR_NOMEM;
    }
    for (int i = 0; i < nv; i++)
        f->head[i] = -1;
    return SR_OK;
}

static void net_add(flow_net *f, int a, int b, double cap)
{
    f->e[f->ne] = (flow_edge){b, f->head[a], cap};
    f->head[a] = f->ne++;
    f->e[f->ne] = (flow_edge){a, f->head[b], 0.0};
    f->head[b] = f->ne++;
}

static int net_bfs(flow_net *f, int s, int t, double eps)
{
    for (int i = 0; i < f->nv; i++)
        f->level[i] = -1;
    int qh = 0, qt = 0;
    f->level[s] = 0;
    f->queue[qt++] = s;
    while (qh < qt) {
        int a = f->queue[qh++];
        for (int k = f->head[a]; k >= 0; k = f->e[k].next)
            if (f->e[k].cap > eps && f->level[f->e[k].to] < 0) {
                f->level[f->e[k].to] = f->level[a] + 1;
                f->queue[qt++] = f->e[k].to;
            }
    }
    return f->level[t] >= 0;
}

/* One blocking-flow augmenting path from a, iteratively (graphs have hundreds of levels). */
static double net_push(flow_net *f, int s, int t, double eps)
{
    int *path = f->queue; /* edges of the path; BFS is done with the queue */
    int depth = 0, a = s;
    for (;;) {
        if (a == t) {
            double push = INFINITY;
            for (int i = 0; i < depth; i++)
                push = fmin(push, f->e[path[i]].cap);
            for (int i = 0; i < depth; i++) {
                f->e[path[i]].cap -= push;
                f->e[path[i] ^ 1].cap += push;
            }
            return push;
        }
        int k = f->iter[a];
        for (; k >= 0; k = f->e[k].next)
            if (f->e[k].cap > eps && f->level[f->e[k].to] == f->level[a] + 1) break;
        f->iter[a] = k;
        if (k >= 0) {
            path[depth++] = k;
            a = f->e[k].to;
            continue;
        }
        /* dead end: retreat */
        f->level[a] = -1;
        if (depth == 0) return 0;
        depth--;
        a = f->e[path[depth] ^ 1].to;
        f->iter[a] = f->e[f->iter[a]].next;
    }
}

sr_status sr_cut_mincut(const sr_graph *g, const sr_cut_weights *w, unsigned char *on_device, double *value)
{
    if (!weights_ok(g, w) || !on_device || !value) return SR_ERR_INVALID;
    int n = sr_graph_node_count(g);
    double total = 0;
    int n_edges = 0;
    for (int v = 0; v < n; v++) {
        if (is_const(g, v)) continue;
        if (isfinite(w->device[v])) total += w->device[v];
        if (isfinite(w->target[v])) total += w->target[v];
        if (isfinite(w->cross[v])) total += w->cross[v];
        const sr_node *nd = sr_graph_node(g, v);
        n_edges += 3 + 2 * nd->n_inputs;
    }
    const double big = 4.0 * total + 1.0, eps = 1e-13 * big;
    flow_net f;
    sr_status st = net_init(&f, 2 + 2 * n, n_edges + 1);
    if (st != SR_OK) return st;
    const int s = 0, t = 1;
#define CAP(x) (isfinite(x) ? (x) : big)
    for (int v = 0; v < n; v++) {
        if (is_const(g, v)) continue;
        net_add(&f, s, 2 + v, CAP(w->target[v]));
        net_add(&f, 2 + v, t, CAP(w->device[v]));
        net_add(&f, 2 + v, 2 + n + v, CAP(w->cross[v]));
        const sr_node *nd = sr_graph_node(g, v);
        for (int k = 0; k < nd->n_inputs; k++) {
            int u = nd->inputs[k];
            if (is_const(g, u)) continue;
            net_add(&f, 2 + n + u, 2 + v, big); /* u's tensor reaches its reader */
            net_add(&f, 2 + v, 2 + u, big);     /* a reader on the device keeps u there */
        }
    }
#undef CAP
    while (net_bfs(&f, s, t, eps)) {
        for (int i = 0; i < f.nv; i++)
            f.iter[i] = f.head[i];
        while (net_push(&f, s, t, eps) > 0) {
        }
    }
    /* the device part: what s still reaches */
    net_bfs(&f, s, t, eps);
    for (int v = 0; v < n; v++)
        on_device[v] = !is_const(g, v) && f.level[2 + v] >= 0;
    net_free(&f);
    *value = sr_cut_value(g, w, on_device);
    return isnan(*value) ? SR_ERR_NOMEM : SR_OK;
}

/* ---- exhaustive enumeration of the valid cuts ---- */

typedef struct enum_state {
    const sr_graph *g;
    const sr_cut_weights *w;
    int n;
    long max_cuts, count;
    unsigned char *cur, *best, *scratch;
    double best_value;
    int have_best;
} enum_state;

static int preds_on_device(const sr_graph *g, const unsigned char *cur, int v)
{
    const sr_node *nd = sr_graph_node(g, v);
    for (int k = 0; k < nd->n_inputs; k++)
        if (!is_const(g, nd->inputs[k]) && !cur[nd->inputs[k]]) return 0;
    return 1;
}

/* Depth first over nodes in order: a node may join the device part only when its inputs are there. Returns 1
 * to stop (too many cuts). Iterative over the nodes that have no choice, recursive over choices. */
static int enumerate(enum_state *es, int v)
{
    for (; v < es->n; v++) {
        if (is_const(es->g, v)) {
            es->cur[v] = 0;
            continue;
        }
        int can = preds_on_device(es->g, es->cur, v);
        int must = !isfinite(es->w->target[v]);
        if (must && !can) return 0; /* a pinned node cannot run on the device here: no valid cut this way */
        if (!can) {
            es->cur[v] = 0;
            continue;
        }
        es->cur[v] = 1;
        if (enumerate(es, v + 1)) return 1;
        if (must) return 0;
        es->cur[v] = 0;
    }
    if (++es->count > es->max_cuts) return 1;
    double val = value_with(es->g, es->w, es->cur, es->scratch);
    if (!es->have_best || val < es->best_value) {
        es->have_best = 1;
        es->best_value = val;
        memcpy(es->best, es->cur, (size_t)es->n);
    }
    return 0;
}

sr_status sr_cut_exhaustive(const sr_graph *g, const sr_cut_weights *w, long max_cuts,
                            unsigned char *on_device, double *value, long *n_cuts)
{
    if (!weights_ok(g, w) || !on_device || !value || max_cuts < 1) return SR_ERR_INVALID;
    enum_state es = {g, w, sr_graph_node_count(g), max_cuts, 0, NULL, NULL, NULL, INFINITY, 0};
    size_t sz = (size_t)(es.n > 0 ? es.n : 1);
    es.cur = calloc(sz, 1);
    es.best = calloc(sz, 1);
    es.scratch = calloc(sz, 1);
    sr_status st = es.cur && es.best && es.scratch ? SR_OK : SR_ERR_NOMEM;
    if (st == SR_OK && enumerate(&es, 0)) st = SR_ERR_RANGE;
    if (st == SR_OK && !es.have_best) st = SR_ERR_INVALID;
    if (st == SR_OK) {
        memcpy(on_device, es.best, sz);
        *value = es.best_value;
    }
    if (n_cuts) *n_cuts = es.count;
    free(es.cur);
    free(es.best);
    free(es.scratch);
    return st;
}

/* ---- clean single-tensor (prefix) cuts ---- */

int sr_cut_prefix_clean(const sr_graph *g, int k)
{
    int n = sr_graph_node_count(g);
    if (k < 0 || k >= n || is_const(g, k)) return 0;
    for (int v = k + 1; v < n; v++) {
        const sr_node *nd = sr_graph_node(g, v);
        for (int i = 0; i < nd->n_inputs; i++) {
            int u = nd->inputs[i];
            if (u < k && !is_const(g, u)) return 0;
        }
    }
    return 1;
}

void sr_cut_prefix(const sr_graph *g, int k, unsigned char *on_device)
{
    for (int v = 0; v < sr_graph_node_count(g); v++)
        on_device[v] = v <= k && !is_const(g, v);
}

sr_status sr_cut_best_prefix(const sr_graph *g, const sr_cut_weights *w, const unsigned char *allowed, int *k,
                             double *value)
{
    if (!weights_ok(g, w) || !k || !value) return SR_ERR_INVALID;
    int n = sr_graph_node_count(g);
    unsigned char *cur = malloc((size_t)(n > 0 ? n : 1)), *x = malloc((size_t)(n > 0 ? n : 1));
    if (!cur || !x) {
        free(cur);
        free(x);
        return SR_ERR_NOMEM;
    }
    *k = -1;
    *value = INFINITY;
    for (int c = 0; c < n; c++) {
        if ((allowed && !allowed[c]) || !sr_cut_prefix_clean(g, c)) continue;
        sr_cut_prefix(g, c, cur);
        double v = value_with(g, w, cur, x);
        if (isfinite(v) && v < *value) *k = c, *value = v;
    }
    free(cur);
    free(x);
    return SR_OK;
}
