/* sr_partition.c: plans of layers spread over devices step by step (see sr_partition.h). */
#include "sr_partition.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_region.h"

int sr_part_per_channel(sr_op op)
{
    switch (op) {
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_LEAKY_RELU:
    case SR_OP_CLIP:
    case SR_OP_SIGMOID:
    case SR_OP_DROPOUT:
    case SR_OP_BATCHNORM:
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
        return 1;
    default:
        return 0;
    }
}

int sr_part_layer_head(sr_op op)
{
    return op == SR_OP_CONV || op == SR_OP_FC;
}

typedef struct pbuild pbuild;
static void pbuild_init(pbuild *b, const sr_part_env *pe);

struct pbuild {
    const sr_part_env *pe;
    sr_plan *plan;
    const sr_graph *g;
    int model;
    sr_precision prec;
    int elem; /* bytes per element */
    sr_plan_dev hub;
    int n; /* devices this step uses */
    sr_part_stats stats;
};

static int same(sr_plan_dev a, sr_plan_dev b)
{
    return a.group == b.group && a.instance == b.instance;
}

static double rect_area(sr_rect r)
{
    return r.y1 > r.y0 && r.x1 > r.x0 ? (double)(r.y1 - r.y0) * (double)(r.x1 - r.x0) : 0.0;
}

static double weights_bytes(const pbuild *b, int first, int last)
{
    double w = 0;
    for (int id = first; id <= last; id++)
        w += (double)sr_node_weight_bytes(b->g, id, b->prec);
    return w;
}

static void note_mem(pbuild *b, int dev, double bytes)
{
    int k = dev < 0 ? b->pe->n : dev;
    if (bytes > b->stats.peak_mem[k]) b->stats.peak_mem[k] = bytes;
}

/* Adds part task `t` at worker k: scatter (unless k is the hub), compute, gather; returns the gather (or the
 * compute) id, or a negative status. */
static int add_part(pbuild *b, int join, sr_plan_dev w, int first, int last, sr_plan_part in_part, int in_node,
                    double in_bytes, sr_plan_part out_part, double out_bytes, const char *tag)
{
    sr_plan *p = b->plan;
    char label[SR_PLAN_LABEL_MAX];
    int prev = join;
    sr_status st;
    if (!same(w, b->hub)) {
        snprintf(label, sizeof label, "scatter%s", tag);
        int t = sr_plan_add_transfer(p, b->hub, w, SR_PAYLOAD_ACTIVATION, in_bytes, label);
        if (t < 0) return t;
        sr_plan_task_mut(p, t)->node = in_node, sr_plan_task_mut(p, t)->model = b->model;
        if ((sr_plan_part_is_tile(&in_part) || sr_plan_part_is_slice(&in_part)) &&
            (st = sr_plan_set_part(p, t, in_part)) != SR_OK)
            return st;
        if (prev >= 0 && (st = sr_plan_add_dep(p, prev, t)) != SR_OK) return st;
        prev = t;
    }
    snprintf(label, sizeof label, "part%s", tag);
    int c = sr_plan_add_layers(p, w, b->model, first, last, label);
    if (c < 0) return c;
    if ((st = sr_plan_set_part(p, c, out_part)) != SR_OK) return st;
    if (prev >= 0 && (st = sr_plan_add_dep(p, prev, c)) != SR_OK) return st;
    if (same(w, b->hub)) return c;
    snprintf(label, sizeof label, "gather%s", tag);
    int t = sr_plan_add_transfer(p, w, b->hub, SR_PAYLOAD_ACTIVATION, out_bytes, label);
    if (t < 0) return t;
    sr_plan_task_mut(p, t)->node = last, sr_plan_task_mut(p, t)->model = b->model;
    if ((st = sr_plan_set_part(p, t, out_part)) != SR_OK) return st;
    if ((st = sr_plan_add_dep(p, c, t)) != SR_OK) return st;
    return t;
}

/* A zero-time stitch on the hub after all of ends[0..n). */
static int add_join(pbuild *b, const int *ends, int n, int step)
{
    char label[SR_PLAN_LABEL_MAX];
    snprintf(label, sizeof label, "stitch%d", step);
    int j = sr_plan_add_delay(b->plan, b->hub, SR_DELAY_OTHER, 0.0, label);
    if (j < 0) return j;
    for (int i = 0; i < n; i++) {
        sr_status st = sr_plan_add_dep(b->plan, ends[i], j);
        if (st != SR_OK) return st;
    }
    return j;
}

/* The hold that stands for a tiles step whose tiles the policy places at run time: on the hub, after join,
 * naming the step's model and layer range. */
static int add_hold(pbuild *b, int join, const sr_step *st, int step)
{
    char label[SR_PLAN_LABEL_MAX];
    snprintf(label, sizeof label, "tiles%d", step);
    int h = sr_plan_add_delay(b->plan, b->hub, SR_DELAY_HOLD, 0.0, label);
    if (h < 0) return h;
    sr_plan_task *t = sr_plan_task_mut(b->plan, h);
    t->model = b->model, t->first_layer = st->first, t->last_layer = st->last;
    if (join >= 0) {
        sr_status ds = sr_plan_add_dep(b->plan, join, h);
        if (ds != SR_OK) return ds;
    }
    return h;
}

/* Rows [0, H) cut into the shares of the live workers (adaptive) or `rows` even bands. */
static void row_bands(const pbuild *b, int H, int rows, int *cut)
{
    int sh[SR_MULTI_MAX_DEV];
    double even[SR_MULTI_MAX_DEV];
    for (int i = 0; i < SR_MULTI_MAX_DEV; i++)
        even[i] = 1.0;
    sr_multi_shares(H, b->pe->proportional ? b->pe->speed : even, rows, sh);
    cut[0] = 0;
    for (int i = 0; i < rows; i++)
        cut[i + 1] = cut[i] + sh[i];
}

/* The grid of a tiles step's H x W output: rows x cols tiles, row cuts ycut[0..rows], column cuts xcut[0..cols]. */
static void tile_cuts(const pbuild *b, int H, int W, int *rows_, int *cols_, int *ycut, int *xcut)
{
    int rows = b->n, cols = 1;
    if (!b->pe->proportional && b->pe->rows > 0 && b->pe->cols > 0) rows = b->pe->rows, cols = b->pe->cols;
    if (rows > H) rows = H;
    if (cols > W) cols = W;
    if (rows > SR_MULTI_MAX_DEV || !b->pe->proportional) {
        for (int i = 0; i <= rows; i++)
            ycut[i] = (int)((long long)H * i / rows);
    } else {
        row_bands(b, H, rows, ycut);
    }
    for (int i = 0; i <= cols; i++)
        xcut[i] = (int)((long long)W * i / cols);
    *rows_ = rows, *cols_ = cols;
}

static int plan_tiles(pbuild *b, const sr_step *st, int join, int step)
{
    const sr_graph *g = b->g;
    sr_region *r = NULL;
    sr_status rs = sr_region_create(g, st->first, st->last, &r, NULL, 0);
    if (rs != SR_OK) return rs;
    const sr_shape *o = &sr_graph_node(g, st->last)->out;
    int H = (int)o->d[2], W = (int)o->d[3], C = (int)o->d[1];
    int in_id = sr_region_input_id(r);
    int Cin = (int)sr_graph_node(g, in_id)->out.d[1];
    int rows, cols, ycut[1025], xcut[1025];
    tile_cuts(b, H, W, &rows, &cols, ycut, xcut);
    int n = sr_region_node_count(r);
    sr_tile_layer *tl = calloc((size_t)n, sizeof *tl);
    int *ends = calloc((size_t)rows * (size_t)cols, sizeof *ends);
    sr_rect *tiles = calloc((size_t)rows * (size_t)cols, sizeof *tiles);
    int ret = SR_OK, n_ends = 0, n_tiles = 0;
    if (!tl || !ends || !tiles) ret = SR_ERR_NOMEM;
    double w_bytes = weights_bytes(b, st->first, st->last);
    double hub_mem =
        (double)sr_shape_numel(&sr_graph_node(g, in_id)->out) * b->elem + (double)sr_shape_numel(o) * b->elem;
    note_mem(b, -1, hub_mem);
    for (int ty = 0; ty < rows && ret == SR_OK; ty++)
        for (int tx = 0; tx < cols && ret == SR_OK; tx++) {
            sr_rect out = {ycut[ty], ycut[ty + 1], xcut[tx], xcut[tx + 1]}, in;
            if (rect_area(out) == 0) continue;
            int k = (ty * cols + tx) % b->n;
            if ((ret = sr_region_backproject(r, out, tl, &in)) != SR_OK) break;
            tiles[n_tiles++] = out;
            double mem = 0;
            for (int l = 0; l < n; l++) {
                const sr_node *nd = sr_graph_node(g, tl[l].id);
                double ci = nd->n_inputs > 0 ? (double)sr_graph_node(g, nd->inputs[0])->out.d[1] : 0;
                double m = (ci * rect_area(tl[l].in) + (double)nd->out.d[1] * rect_area(tl[l].out)) * b->elem;
                if (m > mem) mem = m;
            }
            note_mem(b, k, w_bytes + mem);
            char tag[24];
            snprintf(tag, sizeof tag, "%d.%d", step, ty * cols + tx);
            sr_plan_part ip = {in.y0, in.y1, in.x0, in.x1, 0, 0}, op = {out.y0, out.y1, out.x0, out.x1, 0, 0};
            int e;
            if (b->pe->hold_tiles)
                e = n_ends == 0 ? add_hold(b, join, st, step) : ends[0];
            else
                e = add_part(b, join, b->pe->dev[k], st->first, st->last, ip, in_id,
                             (double)Cin * rect_area(in) * b->elem, op, (double)C * rect_area(out) * b->elem, tag);
            if (e < 0)
                ret = e;
            else
                ends[n_ends++] = e;
        }
    if (ret == SR_OK) b->stats.redundant_macs += (double)sr_region_redundant_macs(r, tiles, n_tiles);
    if (ret == SR_OK) ret = b->pe->hold_tiles ? (n_ends ? ends[0] : SR_ERR_INVALID) : add_join(b, ends, n_ends, step);
    free(tl);
    free(ends);
    free(tiles);
    sr_region_free(r);
    return ret;
}

static int plan_channels(pbuild *b, const sr_step *st, int join, int step)
{
    const sr_graph *g = b->g;
    int head = st->first;
    while (!sr_part_layer_head(sr_graph_node(g, head)->op))
        head++;
    int in_id = sr_graph_node(g, head)->inputs[0];
    int C = (int)sr_graph_node(g, head)->out.d[1];
    int n = b->n < C ? b->n : C, sh[SR_MULTI_MAX_DEV], ends[SR_MULTI_MAX_DEV], n_ends = 0;
    double even[SR_MULTI_MAX_DEV];
    for (int i = 0; i < n; i++)
        even[i] = 1.0;
    sr_multi_shares(C, b->pe->proportional ? b->pe->speed : even, n, sh);
    double in_bytes = (double)sr_shape_numel(&sr_graph_node(g, in_id)->out) * b->elem;
    double out_bytes = (double)sr_shape_numel(&sr_graph_node(g, st->last)->out) * b->elem;
    double w_bytes = weights_bytes(b, st->first, st->last);
    note_mem(b, -1, in_bytes + out_bytes);
    int c0 = 0;
    for (int k = 0; k < n; k++) {
        if (sh[k] == 0) continue;
        double f = (double)sh[k] / C;
        note_mem(b, k, w_bytes * f + in_bytes + out_bytes * f);
        char tag[24];
        snprintf(tag, sizeof tag, "%d.%d", step, k);
        sr_plan_part op = {0, 0, 0, 0, c0, c0 + sh[k]}, none = {0};
        int e = add_part(b, join, b->pe->dev[k], st->first, st->last, none, in_id, in_bytes, op, out_bytes * f, tag);
        if (e < 0) return e;
        ends[n_ends++] = e;
        c0 += sh[k];
    }
    return add_join(b, ends, n_ends, step);
}

sr_status sr_part_plan(const sr_part_env *pe, const sr_step *steps, int n_steps, sr_plan **out,
                       sr_part_stats *stats, char *err, size_t err_size)
{
    pbuild b;
    pbuild_init(&b, pe);
    *out = NULL;
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    b.plan = *out;
    int join = -1;
    if (!same(pe->src, pe->hub)) {
        join = sr_plan_add_transfer(b.plan, pe->src, pe->hub, SR_PAYLOAD_FRAME, pe->frame_bytes, "frame");
        if (join < 0) st = (sr_status)join;
    }
    for (int i = 0; i < n_steps && st == SR_OK; i++) {
        const sr_step *ps = &steps[i];
        b.n = ps->n_dev > 0 && ps->n_dev < pe->n ? ps->n_dev : pe->n;
        int r;
        if (ps->kind == SR_STEP_LOCAL || b.n == 0) {
            int first = ps->first; /* input nodes just before a local step ride with it */
            while (first > 0 && sr_graph_node(b.g, first - 1)->op == SR_OP_INPUT)
                first--;
            r = sr_plan_add_layers(b.plan, b.hub, pe->model, first, ps->last, "local");
            if (r >= 0 && join >= 0) {
                sr_status ds = sr_plan_add_dep(b.plan, join, r);
                if (ds != SR_OK) r = ds;
            }
            double m = weights_bytes(&b, first, ps->last), io = 0;
            for (int id = first; id <= ps->last; id++) {
                const sr_node *nd = sr_graph_node(b.g, id);
                double x =
                    (double)sr_shape_numel(&nd->out) * b.elem +
                    (nd->n_inputs ? (double)sr_shape_numel(&sr_graph_node(b.g, nd->inputs[0])->out) * b.elem
                                  : 0);
                if (x > io) io = x;
            }
            note_mem(&b, -1, m + io);
        } else if (ps->kind == SR_STEP_TILES) {
            r = plan_tiles(&b, ps, join, i);
        } else {
            r = plan_channels(&b, ps, join, i);
        }
        if (r < 0) {
            if (err)
                snprintf(err, err_size, "cannot plan layers '%s'..'%s': %s",
                         sr_graph_node(b.g, ps->first)->name, sr_graph_node(b.g, ps->last)->name,
                         sr_status_message((sr_status)r));
            st = (sr_status)r;
        }
        join = r;
    }
    if (st != SR_OK) {
        sr_plan_free(*out);
        *out = NULL;
        return st;
    }
    if (stats) *stats = b.stats;
    return SR_OK;
}

static void pbuild_init(pbuild *b, const sr_part_env *pe)
{
    memset(b, 0, sizeof *b);
    b->pe = pe;
    b->g = pe->g;
    b->model = pe->model;
    b->prec = pe->e->models[pe->model].precision;
    b->elem = sr_precision_bytes(b->prec);
    b->hub = pe->hub;
}

sr_status sr_part_tiles(const sr_part_env *pe, const sr_step *st, sr_part_tile **tiles, int *n_tiles)
{
    *tiles = NULL;
    *n_tiles = 0;
    if (st->kind != SR_STEP_TILES) return SR_ERR_INVALID;
    pbuild b;
    pbuild_init(&b, pe);
    b.n = st->n_dev > 0 && st->n_dev < pe->n ? st->n_dev : pe->n;
    if (b.n < 1) b.n = 1;
    sr_region *r = NULL;
    sr_status rs = sr_region_create(b.g, st->first, st->last, &r, NULL, 0);
    if (rs != SR_OK) return rs;
    const sr_shape *o = &sr_graph_node(b.g, st->last)->out;
    int H = (int)o->d[2], W = (int)o->d[3], C = (int)o->d[1];
    int in_id = sr_region_input_id(r);
    int Cin = (int)sr_graph_node(b.g, in_id)->out.d[1];
    int rows, cols, ycut[1025], xcut[1025];
    tile_cuts(&b, H, W, &rows, &cols, ycut, xcut);
    sr_tile_layer *tl = calloc((size_t)sr_region_node_count(r), sizeof *tl);
    sr_part_tile *t = calloc((size_t)rows * (size_t)cols, sizeof *t);
    sr_status ret = tl && t ? SR_OK : SR_ERR_NOMEM;
    int n = 0;
    for (int ty = 0; ty < rows && ret == SR_OK; ty++)
        for (int tx = 0; tx < cols && ret == SR_OK; tx++) {
            sr_rect out = {ycut[ty], ycut[ty + 1], xcut[tx], xcut[tx + 1]}, in;
            if (rect_area(out) == 0) continue;
            if ((ret = sr_region_backproject(r, out, tl, &in)) != SR_OK) break;
            t[n].in = (sr_plan_part){in.y0, in.y1, in.x0, in.x1, 0, 0};
            t[n].out = (sr_plan_part){out.y0, out.y1, out.x0, out.x1, 0, 0};
            t[n].in_node = in_id;
            t[n].in_bytes = (double)Cin * rect_area(in) * b.elem;
            t[n].out_bytes = (double)C * rect_area(out) * b.elem;
            n++;
        }
    free(tl);
    sr_region_free(r);
    if (ret != SR_OK) {
        free(t);
        return ret;
    }
    *tiles = t;
    *n_tiles = n;
    return SR_OK;
}

sr_status sr_part_tile_plan(const sr_part_env *pe, const sr_step *st, const sr_part_tile *t, sr_plan_dev dev,
                            const char *tag, sr_plan **out)
{
    pbuild b;
    pbuild_init(&b, pe);
    *out = NULL;
    sr_status st_ = sr_plan_create(out);
    if (st_ != SR_OK) return st_;
    b.plan = *out;
    int e = add_part(&b, -1, dev, st->first, st->last, t->in, t->in_node, t->in_bytes, t->out, t->out_bytes,
                     tag ? tag : "");
    if (e < 0) {
        sr_plan_free(*out);
        *out = NULL;
        return (sr_status)e;
    }
    return SR_OK;
}

/* ---- what the multi-device policies share around their plans ---- */

int sr_part_workers_parse(const sr_experiment *e, const char *workers, int n_workers, sr_part_workers *w, char *err,
                          size_t size)
{
    memset(w, 0, sizeof *w);
    int r = sr_multi_parse_workers(e, workers, n_workers, w->group, w->inst, &w->n, err, size);
    if (r != 0) w->n = 0;
    return r;
}

int sr_part_worker_index(const sr_part_workers *w, int group, int instance)
{
    for (int i = 0; i < w->n; i++)
        if (w->group[i] == group && w->inst[i] == instance) return i;
    return -1;
}

int sr_part_workers_event(sr_part_workers *w, const sr_policy_event *ev)
{
    if (ev->kind != SR_EVENT_DEVICE_DOWN && ev->kind != SR_EVENT_DEVICE_UP) return 0;
    int i = sr_part_worker_index(w, ev->group, ev->instance), down = ev->kind == SR_EVENT_DEVICE_DOWN;
    if (i < 0 || w->down[i] == down) return 0;
    w->down[i] = down;
    return 1;
}

void sr_part_check_workers(const sr_policy_env *env, sr_policy_diag *d, const char *workers, int n_workers,
                           const char *hub, sr_part_workers *w)
{
    char msg[768];
    memset(w, 0, sizeof *w);
    if (workers && sr_part_workers_parse(env->exp, workers, n_workers, w, msg, sizeof msg) != 0)
        sr_policy_error(d, "workers", "%s", msg);
    if (hub && sr_policy_device_index(env->exp, hub) < 0) sr_policy_error(d, "hub", "unknown device group '%s'", hub);
}

sr_plan_dev sr_part_hub(const sr_experiment *e, const char *hub, int group, int instance)
{
    int hg = hub ? sr_policy_device_index(e, hub) : -1;
    if (hg >= 0) return (sr_plan_dev){SR_ROLE_TARGET, hg, sr_policy_target_instance(e, hg, instance)};
    return (sr_plan_dev){SR_ROLE_SOURCE, group, instance};
}

void sr_part_env_init(sr_part_env *pe, const sr_policy_env *env, int model, int group, int instance, int spec,
                      const char *hub, double frame_bytes)
{
    const sr_experiment *e = env->exp;
    memset(pe, 0, sizeof *pe);
    pe->e = e;
    pe->g = env->graphs[model];
    pe->model = model;
    pe->src = (sr_plan_dev){SR_ROLE_SOURCE, group, instance};
    pe->hub = sr_part_hub(e, hub, group, instance);
    pe->frame_bytes = frame_bytes > 0 ? frame_bytes : sr_policy_raw_frame_bytes(&e->sources[spec]);
}
