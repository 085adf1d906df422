/* parallel.c: one inference spread over several worker devices, block by block (Zhou et al.'s Parallel case,
 * MoDNN's layer-wise and DeepThings' fused-layer partitions).
 *
 * The model is cut into blocks at `blocks`; each block has a scheme:
 * - fused:   the block's output is cut into tiles (a grid); each tile's worker receives the rectangle of the
 * block input its receptive field needs (the halo: sr_region back-projection), runs the tile through every
 *            layer of the block and sends its output rectangle back; only the block's input and output cross;
 * - spatial: layer-wise tiles: the same around every layer of the block (a layer = a conv or fc node and the
 *            per-channel nodes after it);
 * - channel: layer-wise channel partitions: each worker receives the layer's whole input and computes a slice
 * of its output channels (nodes of the block before its first conv/fc run on the hub);
 * - local:   the hub runs the block alone.
 * The hub (the source device unless `hub` names a group) holds the input, scatters every step's parts,
 * gathers and stitches their outputs (a zero-time stitch), and starts the next step when all parts are back.
 *
 * Shares: even (the grid's tiles dealt round-robin over the workers; channels in equal slices), or adaptive:
 * proportional to each worker's speed (speed x cores x efficiency x cpu quota / cores): tiles become one
 * strip of rows per worker whose height follows its speed, channel slices likewise. A worker that goes down
 * gets no share: the policy re-plans at once over the workers left (jobs in flight keep their plan and fail),
 * and again when it comes back.
 *
 * Speeds for adaptive shares: declared (x the factor of the device's speed_changes, re-planned when one happens)
 * or observed on the workers' finished parts (SR_EVENT_TASK_DONE: declared speed x priced / measured seconds),
 * re-planned after a frame once one moved by more than PAR_RESIZE_TOLERANCE.
 *
 * Work stealing (steal): tiled steps become one hold on the hub (SR_DELAY_HOLD). When a frame reaches it, its
 * tiles are queued per live worker (dealt round-robin as even shares deal them); a worker with fewer than
 * steal_depth tiles takes the next of its queue, else steals the last tile of the longest queue; each tile is a
 * part spawned on the hold (scatter from the hub, the tile, gather back); a failed part's tile is queued again
 * (at most n_workers failures per tile); the hold is released when every tile is back.
 *
 * Metrics (per frame of the current plan): the MACs tiles recompute because their halos overlap, that as a
 * fraction of the model's MACs, and the peak memory a device needs for one task (its weights plus the largest
 * input + output rectangle of a layer it computes; the hub also holds a step's whole input and output). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_partition.h"
#include "sr_region.h"

#define PAR_MAX_BLOCKS 64
#define PAR_MAX_STEPS 256

typedef enum { PAR_FUSED, PAR_SPATIAL, PAR_CHANNEL, PAR_LOCAL, PAR_SCHEME_COUNT } par_scheme;
static const char *const scheme_names[] = {"fused", "spatial", "channel", "local"};
_Static_assert(sizeof scheme_names / sizeof scheme_names[0] == PAR_SCHEME_COUNT, "scheme names");
typedef enum { PAR_EVEN, PAR_ADAPTIVE, PAR_SHARES_COUNT } par_shares;
static const char *const share_names[] = {"even", "adaptive"};
_Static_assert(sizeof share_names / sizeof share_names[0] == PAR_SHARES_COUNT, "share names");
typedef enum { PAR_DECLARED, PAR_OBSERVED, PAR_SPEEDS_COUNT } par_speeds;
static const char *const speed_names[] = {"declared", "observed"};
_Static_assert(sizeof speed_names / sizeof speed_names[0] == PAR_SPEEDS_COUNT, "speed names");

/* Observed speeds re-size the shares when one moved by more than this fraction since the plan was made. */
#define PAR_RESIZE_TOLERANCE 0.02

typedef struct parallel_params {
    char *workers;
    int n_workers;
    char *hub;
    char *blocks;
    char *schemes;
    char *grid;
    par_shares shares;
    par_speeds speeds;
    int steal;
    int steal_depth;
    double frame_bytes;
} parallel_params;

static const sr_field fields[] = {
    {"workers", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "comma-separated device groups whose instances (in order) compute the partitions",
     .offset = offsetof(parallel_params, workers)},
    {"n_workers", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN | SR_FF_HAS_MAX, .min = 0, .max = SR_MULTI_MAX_DEV,
     .def = "0", .doc = "use the first n instances of `workers` (0: all)",
     .offset = offsetof(parallel_params, n_workers)},
    {"hub", SR_F_STR, .def_doc = "the source device",
     .doc = "device group whose instance (source instance i -> i % count) scatters, gathers and runs local "
            "blocks",
     .offset = offsetof(parallel_params, hub)},
    {"blocks", SR_F_STR, .def_doc = "one block: the whole model",
     .doc = "comma-separated last layers of every block but the last, in graph order (block names such as "
            "layer2 "
            "mean the block's last layer)",
     .offset = offsetof(parallel_params, blocks)},
    {"schemes", SR_F_STR, .def = "fused",
     .doc = "per block, comma-separated: fused (tiles through the block), spatial (tiles around every "
            "layer), channel "
            "(output-channel slices of every layer), local (on the hub); one value applies to every block",
     .offset = offsetof(parallel_params, schemes)},
    {"grid", SR_F_STR, .def_doc = "Nx1 (one strip of rows per worker)",
     .doc = "tiles ROWSxCOLS of a tiled block's output for even shares, dealt round-robin over the workers "
            "(clipped "
            "to outputs smaller than the grid)",
     .offset = offsetof(parallel_params, grid)},
    {"shares", SR_F_ENUM, .names = share_names, .n_names = PAR_SHARES_COUNT, .def = "even",
     .doc = "even, or adaptive: a strip of rows (or a channel slice) per worker proportional to its speed x "
            "cpu quota",
     .offset = offsetof(parallel_params, shares)},
    {"speeds", SR_F_ENUM, .names = speed_names, .n_names = PAR_SPEEDS_COUNT, .def = "declared",
     .doc = "adaptive shares follow: declared (speed x cpu quota, times the factor of the device's "
            "speed_changes from the date they happen), or observed (each worker's speed measured on its last "
            "finished part: declared speed x priced / measured seconds; shares are re-sized after a frame once a "
            "speed moved by more than 2 %)",
     .offset = offsetof(parallel_params, speeds)},
    {"steal", SR_F_BOOL, .def = "false",
     .doc = "work stealing (DeepThings): the tiles of every fused or spatial block are queued per worker (the grid "
            "dealt round-robin, as even shares deal it); an idle worker takes the next tile of its own queue, or "
            "else the last tile of the longest queue, receiving its input from the hub; one tile per worker at a "
            "time; a tile whose part failed is queued again",
     .offset = offsetof(parallel_params, steal)},
    {"steal_depth", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN | SR_FF_HAS_MAX, .min = 1, .max = 64, .def = "1",
     .doc = "steal: tiles a worker holds at once (1: it asks for the next when one is back, as DeepThings' "
            "idle devices do; 2: the next tile's input travels while it computes)",
     .offset = offsetof(parallel_params, steal_depth)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL,
     .def_doc = "the raw input: width*height*3 (events: event_size)",
     .doc = "bytes of the frame sent from the source to the hub when they differ",
     .offset = offsetof(parallel_params, frame_bytes)},
};
static const sr_section params = {
    "policy (type parallel)",
    "policy",
    0,
    "Spread each block of layers over `workers` as tiles (fused or layer-wise) or "
    "channel slices; a hub scatters and gathers.",
    fields,
    (int)(sizeof fields / sizeof fields[0]),
    sizeof(parallel_params)};

typedef struct par_model {
    sr_step *steps;
    int n_steps;
} par_model;

/* A source instance as plan() saw it (holds are planned again from it). */
typedef struct par_src {
    int group, instance, spec, model;
} par_src;

/* One held tiles step of one job (steal): per-worker queues of its tiles. */
typedef struct par_hold {
    void *hold;
    int source, model, step;
    sr_part_tile *tiles;
    int n_tiles;
    int *queue; /* [worker][n_tiles]: tile indexes; worker w's queue is queue[w n_tiles + head .. tail) */
    int head[SR_MULTI_MAX_DEV], tail[SR_MULTI_MAX_DEV];
    int busy[SR_MULTI_MAX_DEV]; /* tiles in flight on the worker */
    int *owner;                 /* per tile: the worker it was last given to */
    int *tries;                 /* per tile: parts that failed */
    int done, in_flight, failed;
} par_hold;

typedef struct par_state {
    par_model *models; /* per model */
    int n_models;
    sr_part_workers w;
    double factor[SR_MULTI_MAX_DEV];     /* declared speed changes (SR_EVENT_DEVICE_SPEED), 1 at the start */
    double observed[SR_MULTI_MAX_DEV];   /* speeds measured on finished parts, flop/s (0: none yet) */
    double plan_speed[SR_MULTI_MAX_DEV]; /* the speeds the current plan's shares follow */
    par_src *src;                        /* per global source instance */
    int n_src;
    par_hold **holds; /* held steps in progress */
    int n_holds, cap_holds;
    int64_t tiles_dispatched, tiles_stolen, tiles_retried;
    /* the last plan's metrics */
    double redundant_macs, model_macs;
    double peak_mem[SR_MULTI_MAX_DEV + 1]; /* per worker; [n_workers]: the hub */
    int have_metrics;
} par_state;

static int parse_grid(const char *grid, int *rows, int *cols)
{
    char tail = 0;
    if (!grid) return 0;
    return sscanf(grid, "%dx%d%c", rows, cols, &tail) == 2 && *rows >= 1 && *cols >= 1 && *rows <= 1024 &&
                   *cols <= 1024
               ? 0
               : -1;
}

/* The steps of model g; 0, or -1 with err. */
static int build_steps(const parallel_params *p, const sr_graph *g, par_model *pm, char *err, size_t size)
{
    int ends[PAR_MAX_BLOCKS], nb = 0, n = sr_graph_node_count(g);
    if (sr_multi_parse_layers(g, p->blocks, ends, PAR_MAX_BLOCKS - 1, &nb, err, size) != 0) return -1;
    if (nb > 0 && ends[nb - 1] >= n - 1) nb--; /* the last layer closes the last block anyway */
    ends[nb++] = n - 1;
    par_scheme sch[PAR_MAX_BLOCKS];
    int ns = 0;
    const char *s = p->schemes ? p->schemes : "fused";
    while (*s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        int k = 0;
        while (k < PAR_SCHEME_COUNT &&
               !(strlen(scheme_names[k]) == len && strncmp(scheme_names[k], s, len) == 0))
            k++;
        if (k == PAR_SCHEME_COUNT) {
            snprintf(err, size, "unknown scheme '%.*s' (valid: fused, spatial, channel, local)", (int)len, s);
            return -1;
        }
        if (ns >= PAR_MAX_BLOCKS) break;
        sch[ns++] = (par_scheme)k;
        if (!end) break;
        s = end + 1;
    }
    if (ns != 1 && ns != nb) {
        snprintf(err, size, "%d schemes for %d blocks: give one per block, or one for all", ns, nb);
        return -1;
    }
    pm->steps = calloc(PAR_MAX_STEPS, sizeof *pm->steps);
    if (!pm->steps) {
        snprintf(err, size, "out of memory");
        return -1;
    }
    pm->n_steps = 0;
    int start = 0;
    for (int b = 0; b < nb; b++) {
        par_scheme k = sch[ns == 1 ? 0 : b];
        int first = start, last = ends[b];
        start = last + 1;
        if (k != PAR_LOCAL)
            while (first < last && sr_graph_node(g, first)->op == SR_OP_INPUT)
                first++;
        if (k == PAR_LOCAL || k == PAR_FUSED) {
            if (pm->n_steps >= PAR_MAX_STEPS) goto too_many;
            /* the input node of a tiled first block is nobody's work (it costs nothing) */
            pm->steps[pm->n_steps++] =
                (sr_step){k == PAR_LOCAL ? SR_STEP_LOCAL : SR_STEP_TILES, first, last, 0};
            continue;
        }
        /* layer-wise: one step per layer (a conv/fc node and what follows it up to the next one) */
        int u0 = first;
        for (int id = first + 1; id <= last + 1; id++) {
            if (id <= last && !sr_part_layer_head(sr_graph_node(g, id)->op)) continue;
            if (pm->n_steps >= PAR_MAX_STEPS) goto too_many;
            /* a channel block's leading per-channel nodes (before its first conv/fc) run on the hub */
            sr_step_kind sk =
                k == PAR_CHANNEL
                    ? (sr_part_layer_head(sr_graph_node(g, u0)->op) ? SR_STEP_CHANNELS : SR_STEP_LOCAL)
                    : SR_STEP_TILES;
            pm->steps[pm->n_steps++] = (sr_step){sk, u0, id - 1, 0};
            u0 = id;
        }
    }
    /* every step must be computable as its scheme says */
    for (int i = 0; i < pm->n_steps; i++) {
        sr_step *st = &pm->steps[i];
        if (st->kind == SR_STEP_TILES) {
            sr_region *r = NULL;
            char msg[512] = "";
            sr_status rs = sr_region_create(g, st->first, st->last, &r, msg, sizeof msg);
            sr_region_free(r);
            if (rs != SR_OK) {
                snprintf(err, size, "layers '%s'..'%s' cannot be tiled: %s",
                         sr_graph_node(g, st->first)->name, sr_graph_node(g, st->last)->name, msg);
                return -1;
            }
        } else if (st->kind == SR_STEP_CHANNELS) {
            int heads = 0;
            for (int id = st->first; id <= st->last; id++) {
                sr_op op = sr_graph_node(g, id)->op;
                if (sr_part_layer_head(op))
                    heads++;
                else if (!sr_part_per_channel(op) && !(op == SR_OP_INPUT && heads == 0)) {
                    snprintf(err, size,
                             "layer '%s' (%s) cannot follow a channel slice (only per-channel layers can)",
                             sr_graph_node(g, id)->name, sr_op_name(op));
                    return -1;
                }
            }
            if (heads != 1) {
                snprintf(err, size, "layers '%s'..'%s' have no conv or fc node to slice by channels",
                         sr_graph_node(g, st->first)->name, sr_graph_node(g, st->last)->name);
                return -1;
            }
            while (sr_graph_node(g, st->first)->op == SR_OP_INPUT)
                st->first++;
        }
    }
    return 0;
too_many:
    snprintf(err, size, "more than %d steps", PAR_MAX_STEPS);
    return -1;
}

static void free_models(par_model *m, int n)
{
    for (int i = 0; m && i < n; i++)
        free(m[i].steps);
    free(m);
}

static sr_status parallel_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const parallel_params *p = p_;
    const sr_experiment *e = env->exp;
    int rows = 0, cols = 0;
    char msg[768];
    sr_part_workers wk;
    sr_part_check_workers(env, d, p->workers, p->n_workers, p->hub, &wk);
    int hg = p->hub ? sr_policy_device_index(e, p->hub) : -1;
    if (p->grid && parse_grid(p->grid, &rows, &cols) != 0)
        sr_policy_error(d, "grid", "grid '%s' must be ROWSxCOLS, e.g. 5x5", p->grid);
    if (p->grid && p->shares == PAR_ADAPTIVE)
        sr_policy_error(d, "grid", "adaptive shares cut one strip of rows per worker: leave grid out");
    if (p->steal && p->shares == PAR_ADAPTIVE)
        sr_policy_error(d, "steal", "work stealing balances the grid's tiles at run time: use it with shares: even");
    if (p->steal && e->mode == SR_MODE_EXACT)
        sr_policy_error(d, "steal",
                        "exact mode checks the tiles a plan holds, and stolen tiles are placed at run time: check "
                        "the same grid without steal (the tiles are the same rectangles)");
    if (p->speeds == PAR_OBSERVED && p->shares != PAR_ADAPTIVE)
        sr_policy_error(d, "speeds", "observed speeds size adaptive shares: add shares: adaptive");
    for (int m = 0; m < e->n_models; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (!g || !sr_multi_model_used(e, m)) continue;
        par_model pm = {0};
        if (build_steps(p, g, &pm, msg, sizeof msg) != 0)
            sr_policy_error(d,
                            strstr(msg, "scheme") || strstr(msg, "slice") || strstr(msg, "tiled") ? "schemes"
                                                                                                  : "blocks",
                            "model '%s': %s", e->models[m].name, msg);
        free(pm.steps);
    }
    if (!env->route_exists) return SR_OK;
    for (int s = 0; s < e->n_sources; s++) {
        int sg = sr_policy_device_index(e, e->sources[s].devices);
        for (int i = 0; sg >= 0 && i < e->devices[sg].count; i++) {
            int hi = hg >= 0 ? sr_policy_target_instance(e, hg, i) : i, h = hg >= 0 ? hg : sg;
            if (hg >= 0 && !(h == sg && hi == i) && !env->route_exists(env->route_user, sg, i, h, hi)) {
                sr_policy_error(d, "hub", "no route from '%s' to the hub '%s'", e->devices[sg].instances[i],
                                e->devices[h].instances[hi]);
                return SR_OK;
            }
            for (int w = 0; w < wk.n; w++) {
                if (wk.group[w] == h && wk.inst[w] == hi) continue;
                if (!env->route_exists(env->route_user, h, hi, wk.group[w], wk.inst[w]) ||
                    !env->route_exists(env->route_user, wk.group[w], wk.inst[w], h, hi)) {
                    sr_policy_error(d, "workers",
                                    "no route between the hub '%s' and worker '%s' (both ways needed)",
                                    e->devices[h].instances[hi], e->devices[wk.group[w]].instances[wk.inst[w]]);
                    return SR_OK;
                }
            }
        }
    }
    return SR_OK;
}

static void hold_free(par_hold *h)
{
    if (!h) return;
    free(h->tiles);
    free(h->queue);
    free(h->owner);
    free(h->tries);
    free(h);
}

static void parallel_fini(void *state)
{
    par_state *s = state;
    if (!s) return;
    free_models(s->models, s->n_models);
    for (int i = 0; i < s->n_holds; i++)
        hold_free(s->holds[i]);
    free(s->holds);
    free(s->src);
    free(s);
}

static sr_status parallel_init(const void *p_, const sr_policy_env *env, void **state, char *err,
                               size_t err_size)
{
    const parallel_params *p = p_;
    const sr_experiment *e = env->exp;
    par_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->n_models = e->n_models;
    s->models = calloc((size_t)(e->n_models ? e->n_models : 1), sizeof *s->models);
    for (int i = 0; i < e->n_sources; i++) {
        int g = sr_policy_device_index(e, e->sources[i].devices);
        s->n_src += g >= 0 ? e->devices[g].count : 0;
    }
    s->src = calloc((size_t)(s->n_src ? s->n_src : 1), sizeof *s->src);
    for (int i = 0; i < SR_MULTI_MAX_DEV; i++)
        s->factor[i] = 1.0;
    if (!s->models || !s->src) {
        parallel_fini(s);
        return SR_ERR_NOMEM;
    }
    char msg[768];
    if (sr_part_workers_parse(e, p->workers, p->n_workers, &s->w, msg, sizeof msg) != 0) {
        if (err) snprintf(err, err_size, "parallel: %s", msg);
        parallel_fini(s);
        return SR_ERR_INVALID;
    }
    for (int m = 0; m < e->n_models; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (!g || !sr_multi_model_used(e, m)) continue;
        if (build_steps(p, g, &s->models[m], msg, sizeof msg) != 0) {
            if (err) snprintf(err, err_size, "parallel: model '%s': %s", e->models[m].name, msg);
            parallel_fini(s);
            return SR_ERR_INVALID;
        }
    }
    *state = s;
    return SR_OK;
}

/* ---- planning ---- */

/* The partition environment of source instance src (its hub, the live workers and their speeds); wi[k] is
 * the worker index of device k. */
static void fill_pe(par_state *s, const parallel_params *p, const sr_policy_env *env, const par_src *src,
                    sr_part_env *pe, int *wi)
{
    const sr_experiment *e = env->exp;
    sr_part_env_init(pe, env, src->model, src->group, src->instance, src->spec, p->hub, p->frame_bytes);
    for (int i = 0; i < s->w.n; i++) {
        if (s->w.down[i]) continue;
        double declared = sr_multi_device_speed(&e->devices[s->w.group[i]]);
        pe->dev[pe->n] = (sr_plan_dev){SR_ROLE_OTHER, s->w.group[i], s->w.inst[i]};
        pe->speed[pe->n] = p->speeds == PAR_OBSERVED ? (s->observed[i] > 0 ? s->observed[i] : declared)
                                                     : declared * s->factor[i];
        wi[pe->n++] = i;
    }
    pe->proportional = p->shares == PAR_ADAPTIVE;
    if (p->grid) parse_grid(p->grid, &pe->rows, &pe->cols);
    pe->hold_tiles = p->steal;
}

static sr_status parallel_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                               sr_plan **out, char *err, size_t err_size)
{
    par_state *s = state;
    const parallel_params *p = p_;
    const sr_experiment *e = env->exp;
    const par_model *pm = &s->models[req->model];
    if (!pm->steps) {
        if (err) snprintf(err, err_size, "parallel: no steps for model '%s'", e->models[req->model].name);
        return SR_ERR_INVALID;
    }
    par_src src = {req->group, req->instance, req->source_spec, req->model};
    if (req->source >= 0 && req->source < s->n_src) s->src[req->source] = src;
    sr_part_env pe;
    int wi[SR_MULTI_MAX_DEV];
    fill_pe(s, p, env, &src, &pe, wi);
    sr_part_stats stats;
    char msg[512] = "";
    sr_status st = sr_part_plan(&pe, pm->steps, pm->n_steps, out, &stats, msg, sizeof msg);
    if (st != SR_OK) {
        if (err) snprintf(err, err_size, "parallel: %s", msg);
        return st;
    }
    sr_graph_totals tot;
    sr_graph_totals_get(pe.g, &tot);
    s->model_macs = (double)tot.macs;
    s->redundant_macs = stats.redundant_macs;
    for (int i = 0; i <= SR_MULTI_MAX_DEV; i++)
        s->peak_mem[i] = 0;
    for (int i = 0; i < SR_MULTI_MAX_DEV; i++)
        s->plan_speed[i] = 0;
    for (int k = 0; k < pe.n; k++) {
        s->peak_mem[wi[k]] = stats.peak_mem[k];
        s->plan_speed[wi[k]] = pe.speed[k];
    }
    s->peak_mem[s->w.n] = stats.peak_mem[pe.n];
    s->have_metrics = 1;
    return SR_OK;
}

/* ---- work stealing: tiles placed at run time on holds ---- */

static sr_status dispatch_one(par_state *s, const parallel_params *p, const sr_policy_env *env, par_hold *h, int w,
                              const sr_policy_sim *sim);
static int queue_len(const par_hold *h, int w)
{
    return h->tail[w] - h->head[w];
}

static sr_status dispatch_one(par_state *s, const parallel_params *p, const sr_policy_env *env, par_hold *h, int w,
                              const sr_policy_sim *sim)
{
    int tile = -1;
    if (queue_len(h, w) > 0) {
        tile = h->queue[w * h->n_tiles + h->head[w]++];
    } else {
        int victim = -1;
        for (int v = 0; v < s->w.n; v++)
            if (queue_len(h, v) > 0 && (victim < 0 || queue_len(h, v) > queue_len(h, victim))) victim = v;
        if (victim < 0) return SR_OK;
        tile = h->queue[victim * h->n_tiles + --h->tail[victim]];
        s->tiles_stolen++;
    }
    sr_part_env pe;
    int wi[SR_MULTI_MAX_DEV];
    fill_pe(s, p, env, &s->src[h->source], &pe, wi);
    char tag[24];
    snprintf(tag, sizeof tag, "%d.%d", h->step, tile);
    sr_plan *plan = NULL;
    sr_status st = sr_part_tile_plan(&pe, &s->models[h->model].steps[h->step], &h->tiles[tile],
                                     (sr_plan_dev){SR_ROLE_OTHER, s->w.group[w], s->w.inst[w]}, tag, &plan);
    if (st != SR_OK) return st;
    st = sim->spawn(sim->eng, h->hold, plan, tile);
    if (st != SR_OK) return st;
    h->busy[w]++;
    h->owner[tile] = w;
    h->in_flight++;
    s->tiles_dispatched++;
    return SR_OK;
}


/* Worker w, up and holding fewer than steal_depth tiles, takes its next tile, or steals the last tile of the
 * longest queue; until it holds steal_depth tiles or none is left. */
static sr_status dispatch(par_state *s, const parallel_params *p, const sr_policy_env *env, par_hold *h, int w,
                          const sr_policy_sim *sim)
{
    sr_status st = SR_OK;
    int depth = p->steal_depth > 0 ? p->steal_depth : 1;
    while (st == SR_OK && !s->w.down[w] && h->busy[w] < depth && !h->failed) {
        int before = h->in_flight;
        st = dispatch_one(s, p, env, h, w, sim);
        if (h->in_flight == before) break; /* nothing left to take */
    }
    return st;
}
static sr_status dispatch_idle(par_state *s, const parallel_params *p, const sr_policy_env *env, par_hold *h,
                               const sr_policy_sim *sim)
{
    sr_status st = SR_OK;
    for (int w = 0; w < s->w.n && st == SR_OK; w++)
        st = dispatch(s, p, env, h, w, sim);
    return st;
}

/* Ends the hold when nothing runs and every tile is done (or it failed); frees it. */
static sr_status hold_settle(par_state *s, int idx, const sr_policy_sim *sim)
{
    par_hold *h = s->holds[idx];
    int live = 0;
    for (int w = 0; w < s->w.n; w++)
        live += !s->w.down[w];
    if (h->in_flight > 0) return SR_OK;
    if (h->done < h->n_tiles && !h->failed && live > 0) return SR_OK;
    int ok = h->done == h->n_tiles && !h->failed;
    void *hold = h->hold;
    hold_free(h);
    s->holds[idx] = s->holds[--s->n_holds];
    return sim->release(sim->eng, hold, ok);
}

static sr_status on_held(par_state *s, const parallel_params *p, const sr_policy_env *env,
                         const sr_policy_event *ev, const sr_policy_sim *sim)
{
    const sr_plan_task *t = ev->task;
    if (ev->source < 0 || ev->source >= s->n_src || !t || t->model < 0 || t->model >= s->n_models)
        return sim->release(sim->eng, ev->hold, 0);
    const par_model *pm = &s->models[t->model];
    int step = 0;
    while (step < pm->n_steps && !(pm->steps[step].first == t->first_layer && pm->steps[step].last == t->last_layer))
        step++;
    if (step == pm->n_steps) return sim->release(sim->eng, ev->hold, 0);
    if (s->n_holds == s->cap_holds) {
        int cap = s->cap_holds ? 2 * s->cap_holds : 8;
        par_hold **nh = realloc(s->holds, (size_t)cap * sizeof *nh);
        if (!nh) return SR_ERR_NOMEM;
        s->holds = nh, s->cap_holds = cap;
    }
    par_hold *h = calloc(1, sizeof *h);
    if (!h) return SR_ERR_NOMEM;
    h->hold = ev->hold, h->source = ev->source, h->model = t->model, h->step = step;
    sr_part_env pe;
    int wi[SR_MULTI_MAX_DEV];
    fill_pe(s, p, env, &s->src[ev->source], &pe, wi);
    sr_status st = sr_part_tiles(&pe, &pm->steps[step], &h->tiles, &h->n_tiles);
    if (st == SR_OK) {
        h->queue = calloc((size_t)s->w.n * (size_t)(h->n_tiles ? h->n_tiles : 1), sizeof *h->queue);
        h->tries = calloc((size_t)(h->n_tiles ? h->n_tiles : 1), sizeof *h->tries);
        h->owner = calloc((size_t)(h->n_tiles ? h->n_tiles : 1), sizeof *h->owner);
        if (!h->queue || !h->tries || !h->owner) st = SR_ERR_NOMEM;
    }
    if (st != SR_OK) {
        hold_free(h);
        return st;
    }
    for (int k = 0; k < h->n_tiles && pe.n > 0; k++) { /* dealt round-robin over the live workers */
        int w = wi[k % pe.n];
        h->queue[w * h->n_tiles + h->tail[w]++] = k;
    }
    s->holds[s->n_holds++] = h;
    st = dispatch_idle(s, p, env, h, sim);
    if (st != SR_OK) return st;
    return hold_settle(s, s->n_holds - 1, sim);
}

static sr_status on_part_done(par_state *s, const parallel_params *p, const sr_policy_env *env,
                              const sr_policy_event *ev, const sr_policy_sim *sim)
{
    int idx = 0;
    while (idx < s->n_holds && s->holds[idx]->hold != ev->hold)
        idx++;
    if (idx == s->n_holds) return SR_OK;
    par_hold *h = s->holds[idx];
    int tile = ev->tag;
    if (tile < 0 || tile >= h->n_tiles) return SR_ERR_INVALID;
    int w = h->owner[tile];
    h->busy[w]--;
    h->in_flight--;
    if (ev->outcome == SR_OUTCOME_COMPLETED || ev->outcome == SR_OUTCOME_LATE) {
        h->done++;
    } else if (++h->tries[tile] > s->w.n) {
        h->failed = 1;
    } else { /* queued again at the front of its worker's queue; anyone idle may take it */
        s->tiles_retried++;
        int *q = &h->queue[w * h->n_tiles];
        if (h->head[w] > 0) {
            q[--h->head[w]] = tile;
        } else {
            memmove(q + 1, q, (size_t)h->tail[w] * sizeof *q);
            q[0] = tile;
            h->tail[w]++;
        }
    }
    sr_status st = dispatch_idle(s, p, env, h, sim);
    if (st != SR_OK) return st;
    return hold_settle(s, idx, sim);
}

/* ---- observed speeds ---- */

static sr_status observe(par_state *s, const sr_policy_env *env, const sr_policy_event *ev)
{
    const sr_plan_task *t = ev->task;
    int w = sr_part_worker_index(&s->w, ev->group, ev->instance);
    if (w < 0 || !t || t->work != SR_WORK_LAYERS || ev->outcome != SR_OUTCOME_COMPLETED || ev->batch != 1 ||
        !(ev->busy_s > 0) || !(t->seconds > 0))
        return SR_OK;
    s->observed[w] = sr_multi_device_speed(&env->exp->devices[s->w.group[w]]) * t->seconds / ev->busy_s;
    return SR_OK;
}

/* After a frame: re-plan when an observed speed moved away from the one the shares follow. */
static void resize_observed(par_state *s, const sr_policy_sim *sim)
{
    for (int w = 0; w < s->w.n; w++)
        if (!s->w.down[w] && s->observed[w] > 0 && s->plan_speed[w] > 0 &&
            fabs(s->observed[w] / s->plan_speed[w] - 1.0) > PAR_RESIZE_TOLERANCE) {
            sim->replan(sim->eng, -1);
            return;
        }
}

static sr_status parallel_event(void *state, const void *p_, const sr_policy_env *env,
                                const sr_policy_event *ev, const sr_policy_sim *sim)
{
    par_state *s = state;
    const parallel_params *p = p_;
    sr_status st = SR_OK;
    switch (ev->kind) {
    case SR_EVENT_HELD:
        return on_held(s, p, env, ev, sim);
    case SR_EVENT_PART_DONE:
        return on_part_done(s, p, env, ev, sim);
    case SR_EVENT_TASK_DONE:
        return p->shares == PAR_ADAPTIVE && p->speeds == PAR_OBSERVED ? observe(s, env, ev) : SR_OK;
    case SR_EVENT_JOB_DONE:
        if (ev->source >= 0 && p->shares == PAR_ADAPTIVE && p->speeds == PAR_OBSERVED) resize_observed(s, sim);
        return SR_OK;
    case SR_EVENT_DEVICE_SPEED: {
        int w = sr_part_worker_index(&s->w, ev->group, ev->instance);
        if (w < 0 || !(ev->value > 0)) return SR_OK;
        s->factor[w] = ev->value;
        if (p->shares == PAR_ADAPTIVE && p->speeds == PAR_DECLARED) sim->replan(sim->eng, -1);
        return SR_OK;
    }
    case SR_EVENT_DEVICE_DOWN:
    case SR_EVENT_DEVICE_UP: {
        int w = sr_part_worker_index(&s->w, ev->group, ev->instance);
        if (!sr_part_workers_event(&s->w, ev)) return SR_OK;
        sim->replan(sim->eng, -1);
        /* held steps: a worker back up takes tiles; with every worker down, they end as failed */
        for (int i = s->n_holds - 1; i >= 0 && st == SR_OK; i--) {
            if (!s->w.down[w]) st = dispatch(s, p, env, s->holds[i], w, sim);
            if (st == SR_OK) st = hold_settle(s, i, sim);
        }
        return st;
    }
    case SR_EVENT_START:
    case SR_EVENT_LINK_DOWN:
    case SR_EVENT_LINK_UP:
    case SR_EVENT_LINK_BANDWIDTH:
    case SR_EVENT_TIMER:
    case SR_EVENT_KIND_COUNT:
        break;
    }
    return SR_OK;
}

static sr_status parallel_metrics(void *state, const void *p_, const sr_policy_env *env,
                                  sr_policy_metric_fn add, void *user)
{
    const parallel_params *p = p_;
    const par_state *s = state;
    if (!s || !s->have_metrics) return SR_OK;
    const sr_experiment *e = env->exp;
    add(user, "redundant_macs", s->redundant_macs, "MAC");
    add(user, "redundant_macs_fraction", s->model_macs > 0 ? s->redundant_macs / s->model_macs : 0.0, "1");
    double peak = 0;
    for (int i = 0; i <= s->w.n; i++) {
        char name[160];
        if (i < s->w.n)
            snprintf(name, sizeof name, "peak_memory_bytes.%s",
                     e->devices[s->w.group[i]].instances[s->w.inst[i]]);
        else
            snprintf(name, sizeof name, "peak_memory_bytes.hub");
        add(user, name, s->peak_mem[i], "B");
        if (i < s->w.n && s->peak_mem[i] > peak) peak = s->peak_mem[i];
    }
    add(user, "peak_memory_worker_max_bytes", peak, "B");
    double sum = 0;
    for (int i = 0; i < s->w.n; i++)
        sum += s->plan_speed[i];
    for (int i = 0; i < s->w.n && p->shares == PAR_ADAPTIVE; i++) {
        char name[160];
        snprintf(name, sizeof name, "share.%s", e->devices[s->w.group[i]].instances[s->w.inst[i]]);
        add(user, name, sum > 0 ? s->plan_speed[i] / sum : 0.0, "1");
    }
    if (p->steal) {
        add(user, "tiles_dispatched", (double)s->tiles_dispatched, "1");
        add(user, "tiles_stolen", (double)s->tiles_stolen, "1");
        add(user, "tiles_retried", (double)s->tiles_retried, "1");
    }
    return SR_OK;
}

const sr_policy_ops sr_policy_parallel = {
    .name = "parallel",
    .doc = "spread each block over `workers` as tiles (fused or layer-wise) or channel slices; a hub "
           "scatters and "
           "gathers",
    .params = &params,
    .check = parallel_check,
    .init = parallel_init,
    .plan = parallel_plan,
    .on_event = parallel_event,
    .metrics = parallel_metrics,
    .fini = parallel_fini,
};
