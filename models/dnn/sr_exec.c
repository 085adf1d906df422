/* sr_exec.c: whole-graph forward execution with buffers planned once.
 *
 * Planning: every node's output is a "storage root" or an alias of one (flatten, reshape, dropout
 * share their input's storage; const nodes read their weights in place). Roots get slots of one
 * arena by a liveness scan in topological order: a slot is freed after the last consumer of its root
 * (or of any alias of it) has run, and reused best-fit by later roots. Unary element-wise ops run in
 * place when their input dies at them. Input nodes have their own buffers outside the arena, so the
 * pointers sr_exec_input returns survive re-planning by sr_exec_keep. keep_all gives every root its
 * own slot. The conv im2col workspace is sized to the largest need. sr_exec_run allocates nothing.
 *
 * Fusion: a convolution followed by a chain of [batch norm] [add of a same-shape tensor computed
 * before the conv] [relu / relu6 / leaky relu / clip] (each step optional, in this order, each node
 * the only consumer of the previous one, and no node of the chain but the last kept) runs as one
 * sr_conv2d_post call: the element-wise steps are applied to each output block while it is in
 * cache instead of in separate passes over memory. The fused nodes become aliases of the conv's
 * storage, do nothing when run and report 0 seconds (their time is in the conv's). The fused pass
 * uses the stand-alone kernels' exact expressions, so outputs are bit-identical to the unfused run
 * (keep_all, or sr_exec_keep on the intermediate nodes, turns fusion off where it is asked).
 *
 * Determinism: sr_exec_create checks that cblas_sgemm is OpenBLAS's (sr_kernels_blas_check) and sets
 * OpenBLAS to one thread (sr_kernels_set_blas_threads(1)). */
#include <assert.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_exec.h"
#include "sr_kernels.h"

#define ALIGN_FLOATS 16

struct sr_exec {
    const sr_graph *g;
    const sr_weights *w;
    int n;
    int keep_all;
    unsigned char *keep;
    int *root;       /* storage root of each node (itself for roots) */
    int *slot;       /* slot of each node's storage, -1 for const/input */
    float **buf;     /* output pointer of each node (valid after planning) */
    float **inputs;  /* own buffers of input nodes, else NULL */
    float *arena;
    size_t arena_floats;
    float *ws;
    size_t ws_floats;
    double *seconds;
    int *n_uses;    /* number of input slots that read each node */
    int *user;      /* the last node reading each node */
    int *fused;     /* conv head a node is fused into, or -1 */
    int *post_bn;   /* for a conv head: its fused batch norm node, or -1 */
    int *post_res;  /* ... the other input of its fused add, or -1 */
    int *post_act;  /* ... its fused activation node, or -1 */
};

static int is_alias_op(sr_op op)
{
    return op == SR_OP_FLATTEN || op == SR_OP_RESHAPE || op == SR_OP_DROPOUT;
}

static int is_inplace_op(sr_op op)
{
    return op == SR_OP_RELU || op == SR_OP_RELU6 || op == SR_OP_LEAKY_RELU || op == SR_OP_CLIP ||
           op == SR_OP_SIGMOID || op == SR_OP_BATCHNORM;
}

static const sr_node *in_node(const sr_graph *g, const sr_node *nd, int k)
{
    return sr_graph_node(g, nd->inputs[k]);
}

static int attr_or1(int v)
{
    return v > 0 ? v : 1;
}

/* Window geometry of a conv/pool node over its whole input. */
static sr_win2d node_win(const sr_graph *g, const sr_node *nd)
{
    const sr_shape *is = &in_node(g, nd, 0)->out;
    sr_win2d p;
    memset(&p, 0, sizeof(p));
    p.n = (int)is->d[0];
    p.in_c = (int)is->d[1];
    p.in_h = (int)is->d[2];
    p.in_w = (int)is->d[3];
    p.out_c = (int)nd->out.d[1];
    p.out_h = (int)nd->out.d[2];
    p.out_w = (int)nd->out.d[3];
    p.k_h = nd->attr.kernel_h;
    p.k_w = nd->attr.kernel_w;
    p.stride_h = attr_or1(nd->attr.stride_h);
    p.stride_w = attr_or1(nd->attr.stride_w);
    p.dil_h = nd->op == SR_OP_CONV ? attr_or1(nd->attr.dilation_h) : 1;
    p.dil_w = nd->op == SR_OP_CONV ? attr_or1(nd->attr.dilation_w) : 1;
    p.pad_top = nd->attr.pad_top;
    p.pad_left = nd->attr.pad_left;
    return p;
}

static int norm_axis(int axis, int rank)
{
    return axis < 0 ? axis + rank : axis;
}

/* Checks that node id can run; writes a message into err otherwise. */
static sr_status check_node(const sr_graph *g, const sr_weights *w, int id, char *err, size_t err_size)
{
    const sr_node *nd = sr_graph_node(g, id);
    const char *why = NULL;
    for (int k = 0; k < nd->n_inputs; k++)
        if (nd->inputs[k] < 0 || nd->inputs[k] >= id)
            why = "input id out of order";
    if (!why) {
        switch (nd->op) {
        case SR_OP_INPUT:
            break;
        case SR_OP_CONST:
            if (!sr_weights_get_const(w, id, SR_PARAM_WEIGHT, NULL) && sr_shape_numel(&nd->out) > 0)
                why = "constant has no values";
            break;
        case SR_OP_CONV:
        case SR_OP_MAXPOOL:
        case SR_OP_AVGPOOL: {
            const sr_shape *is = &in_node(g, nd, 0)->out;
            if (nd->n_inputs < 1 || is->rank != 4 || nd->out.rank != 4)
                why = "needs a rank-4 NCHW input";
            else if (nd->op == SR_OP_CONV) {
                int groups = attr_or1(nd->attr.groups);
                if (is->d[1] % groups || nd->out.d[1] % groups)
                    why = "channels not divisible by groups";
                else if (!sr_weights_get_const(w, id, SR_PARAM_WEIGHT, NULL))
                    why = "conv has no weights";
            } else if (nd->out.d[1] != is->d[1])
                why = "pool changes the channel count";
            break;
        }
        case SR_OP_GLOBAL_AVGPOOL:
            if (in_node(g, nd, 0)->out.rank < 3)
                why = "needs an N x C x spatial input";
            break;
        case SR_OP_FC:
            if (!sr_weights_get_const(w, id, SR_PARAM_WEIGHT, NULL) || in_node(g, nd, 0)->out.rank < 1)
                why = "fc has no weights";
            break;
        case SR_OP_MATMUL:
            if (nd->n_inputs != 2)
                why = "matmul needs two inputs";
            break;
        case SR_OP_BATCHNORM:
            if (in_node(g, nd, 0)->out.rank < 2 || !sr_weights_get_const(w, id, SR_PARAM_BN_SCALE, NULL))
                why = "batch norm needs N x C input and parameters";
            break;
        case SR_OP_RELU:
        case SR_OP_RELU6:
        case SR_OP_LEAKY_RELU:
        case SR_OP_CLIP:
        case SR_OP_SIGMOID:
        case SR_OP_FLATTEN:
        case SR_OP_RESHAPE:
        case SR_OP_DROPOUT:
            if (nd->n_inputs < 1 || sr_shape_numel(&in_node(g, nd, 0)->out) != sr_shape_numel(&nd->out))
                why = "element count changes";
            break;
        case SR_OP_ADD:
            if (nd->n_inputs != 2)
                why = "add needs two inputs";
            break;
        case SR_OP_CONCAT: {
            int ax = norm_axis(nd->attr.axis, nd->out.rank);
            if (ax < 0 || ax >= nd->out.rank)
                why = "concat axis out of range";
            for (int k = 0; k < nd->n_inputs && !why; k++)
                if (in_node(g, nd, k)->out.rank != nd->out.rank)
                    why = "concat inputs differ in rank";
            break;
        }
        case SR_OP_SOFTMAX: {
            int ax = norm_axis(nd->attr.axis, nd->out.rank);
            if (ax < 0 || ax >= nd->out.rank)
                why = "softmax axis out of range";
            break;
        }
        case SR_OP_REORG: {
            const sr_shape *is = &in_node(g, nd, 0)->out;
            int s = attr_or1(nd->attr.stride_h);
            if (is->rank != 4 || is->d[1] % ((int64_t)s * s) || sr_shape_numel(is) != sr_shape_numel(&nd->out))
                why = "reorg needs N x C x H x W with C divisible by stride^2";
            break;
        }
        case SR_OP_COUNT:
            why = "unknown operator";
            break;
        }
    }
    if (why) {
        if (err && err_size)
            snprintf(err, err_size, "node %d '%s' (op %s): %s", id, nd->name, sr_op_name(nd->op), why);
        return SR_ERR_UNSUPPORTED;
    }
    return SR_OK;
}

static int out_is_kept(const sr_exec *e, int id);

static int same_shape(const sr_shape *a, const sr_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

/* Decides which batch norm / add / activation nodes run inside their conv (see the top of the file). */
static void plan_fusion(sr_exec *e)
{
    for (int i = 0; i < e->n; i++)
        e->fused[i] = e->post_bn[i] = e->post_res[i] = e->post_act[i] = -1;
    if (e->keep_all)
        return;
    for (int h = 0; h < e->n; h++) {
        const sr_node *hn = sr_graph_node(e->g, h);
        if (hn->op != SR_OP_CONV)
            continue;
        int t = h, stage = 0; /* stage: 1 after batch norm, 2 after add, 3 after activation */
        while (stage < 3 && !out_is_kept(e, t) && e->n_uses[t] == 1) {
            const int f = e->user[t];
            const sr_node *fn = sr_graph_node(e->g, f);
            if (fn->op == SR_OP_BATCHNORM && stage == 0 && fn->n_inputs == 1) {
                e->post_bn[h] = f;
                stage = 1;
            } else if (fn->op == SR_OP_ADD && stage <= 1 && fn->n_inputs == 2) {
                const int other = fn->inputs[0] == t ? fn->inputs[1] : fn->inputs[0];
                if (other >= h || !same_shape(&sr_graph_node(e->g, other)->out, &hn->out) ||
                    !same_shape(&fn->out, &hn->out))
                    break;
                e->post_res[h] = other;
                stage = 2;
            } else if (fn->op == SR_OP_RELU || fn->op == SR_OP_RELU6 || fn->op == SR_OP_LEAKY_RELU ||
                       fn->op == SR_OP_CLIP) {
                e->post_act[h] = f;
                stage = 3;
            } else {
                break;
            }
            e->fused[f] = h;
            t = f;
        }
    }
}

/* Assigns slots and lays out the arena. */
static sr_status plan(sr_exec *e)
{
    const int n = e->n;
    sr_status st = SR_ERR_NOMEM;
    int *last = malloc(sizeof(int) * (size_t)(n ? n : 1));
    int *owner = malloc(sizeof(int) * (size_t)(n ? n : 1));
    size_t *size = calloc((size_t)(n ? n : 1), sizeof(size_t));
    unsigned char *used = calloc((size_t)(n ? n : 1), 1);
    int n_slots = 0;
    if (!last || !owner || !size || !used)
        goto cleanup;
    const int out_id = sr_graph_output(e->g);
    plan_fusion(e);
    for (int i = 0; i < n; i++) {
        const sr_node *nd = sr_graph_node(e->g, i);
        if (e->fused[i] >= 0)
            e->root[i] = e->root[e->fused[i]];
        else
            e->root[i] = (is_alias_op(nd->op) && nd->n_inputs > 0) ? e->root[nd->inputs[0]] : i;
        last[i] = i;
    }
    for (int i = 0; i < n; i++) {
        const sr_node *nd = sr_graph_node(e->g, i);
        for (int k = 0; k < nd->n_inputs; k++) {
            int r = e->root[nd->inputs[k]];
            if (last[r] < i)
                last[r] = i;
        }
        if (e->keep_all || e->keep[i] || i == out_id)
            last[e->root[i]] = INT_MAX;
    }
    for (int i = 0; i < n; i++) {
        const sr_node *nd = sr_graph_node(e->g, i);
        e->slot[i] = -1;
        if (nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST)
            continue;
        if (e->root[i] != i) {
            e->slot[i] = e->slot[e->root[i]];
        } else {
            size_t need = (size_t)sr_shape_numel(&nd->out);
            int s = -1;
            if (!e->keep_all && is_inplace_op(nd->op) && nd->n_inputs == 1) {
                int r = e->root[nd->inputs[0]];
                if (last[r] == i && e->slot[r] >= 0 && owner[e->slot[r]] == r && size[e->slot[r]] >= need)
                    s = e->slot[r];
            }
            if (s < 0 && !e->keep_all) {
                int best = -1, largest = -1;
                for (int k = 0; k < n_slots; k++) {
                    if (used[k])
                        continue;
                    if (size[k] >= need && (best < 0 || size[k] < size[best]))
                        best = k;
                    if (largest < 0 || size[k] > size[largest])
                        largest = k;
                }
                s = best >= 0 ? best : largest;
            }
            if (s < 0)
                s = n_slots++;
            if (size[s] < need)
                size[s] = need;
            used[s] = 1;
            owner[s] = i;
            e->slot[i] = s;
        }
        /* Free the storage whose last consumer is node i (including i itself when unused). */
        for (int k = -1; k < nd->n_inputs; k++) {
            int r = e->root[k < 0 ? i : nd->inputs[k]];
            int s = e->slot[r];
            if (last[r] == i && s >= 0 && owner[s] == r)
                used[s] = 0;
        }
    }
    size_t *off = size; /* reuse as offsets after summing */
    size_t total = 0;
    for (int k = 0; k < n_slots; k++) {
        size_t sz = (size[k] + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
        off[k] = total;
        total += sz;
    }
    free(e->arena);
    e->arena = total ? aligned_alloc(64, total * sizeof(float)) : NULL;
    if (total && !e->arena)
        goto cleanup;
    e->arena_floats = total;
    for (int i = 0; i < n; i++) {
        const sr_node *nd = sr_graph_node(e->g, i);
        if (nd->op == SR_OP_INPUT)
            e->buf[i] = e->inputs[i];
        else if (nd->op == SR_OP_CONST)
            e->buf[i] = (float *)sr_weights_get_const(e->w, i, SR_PARAM_WEIGHT, NULL);
        else if (e->root[i] != i)
            e->buf[i] = e->buf[e->root[i]];
        else
            e->buf[i] = e->arena + off[e->slot[i]];
    }
    st = SR_OK;
cleanup:
    free(last);
    free(owner);
    free(size);
    free(used);
    return st;
}

sr_status sr_exec_create(const sr_graph *g, const sr_weights *w, int keep_all, sr_exec **out, char *err,
                         size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (!g || !w || !out)
        return SR_ERR_INVALID;
    *out = NULL;
    sr_status st = sr_kernels_blas_check(err, err_size);
    if (st != SR_OK)
        return st;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        if ((st = check_node(g, w, i, err, err_size)) != SR_OK)
            return st;
    sr_exec *e = calloc(1, sizeof(*e));
    if (!e) {
        sr_errf(err, err_size, "out of memory for the executor of %d layers", sr_graph_node_count(g));
        return SR_ERR_NOMEM;
    }
    e->g = g;
    e->w = w;
    e->n = sr_graph_node_count(g);
    e->keep_all = keep_all;
    size_t nn = e->n > 0 ? (size_t)e->n : 1;
    e->keep = calloc(nn, 1);
    e->root = calloc(nn, sizeof(int));
    e->slot = calloc(nn, sizeof(int));
    e->buf = calloc(nn, sizeof(float *));
    e->inputs = calloc(nn, sizeof(float *));
    e->seconds = calloc(nn, sizeof(double));
    e->n_uses = calloc(nn, sizeof(int));
    e->user = calloc(nn, sizeof(int));
    e->fused = calloc(nn, sizeof(int));
    e->post_bn = calloc(nn, sizeof(int));
    e->post_res = calloc(nn, sizeof(int));
    e->post_act = calloc(nn, sizeof(int));
    st = SR_ERR_NOMEM;
    if (!e->keep || !e->root || !e->slot || !e->buf || !e->inputs || !e->seconds || !e->n_uses || !e->user ||
        !e->fused || !e->post_bn || !e->post_res || !e->post_act)
        goto fail;
    for (int i = 0; i < e->n; i++) {
        const sr_node *nd = sr_graph_node(g, i);
        for (int k = 0; k < nd->n_inputs; k++) {
            e->n_uses[nd->inputs[k]]++;
            e->user[nd->inputs[k]] = i;
        }
    }
    for (int i = 0; i < e->n; i++) {
        const sr_node *nd = sr_graph_node(g, i);
        if (nd->op == SR_OP_INPUT) {
            int64_t cnt = sr_shape_numel(&nd->out);
            e->inputs[i] = calloc(cnt > 0 ? (size_t)cnt : 1, sizeof(float));
            if (!e->inputs[i])
                goto fail;
        }
        if (nd->op == SR_OP_CONV) {
            sr_win2d p = node_win(g, nd);
            size_t ws = sr_conv2d_workspace_floats(&p, attr_or1(nd->attr.groups));
            if (ws > e->ws_floats)
                e->ws_floats = ws;
        }
    }
    if (e->ws_floats) {
        e->ws = malloc(e->ws_floats * sizeof(float));
        if (!e->ws)
            goto fail;
    }
    if ((st = plan(e)) != SR_OK)
        goto fail;
    sr_kernels_set_blas_threads(1);
    if ((st = sr_kernels_blas_reserve(err, err_size)) != SR_OK)
        goto fail;
    *out = e;
    return SR_OK;
fail:
    /* every error path says what: out of memory names the largest buffer the input size asks for */
    if (err && err_size && !err[0])
        sr_errf(err, err_size, "%s while allocating the activation buffers of %d layers", sr_status_message(st),
                e->n);
    sr_exec_free(e);
    return st;
}

void sr_exec_free(sr_exec *e)
{
    if (!e)
        return;
    if (e->inputs)
        for (int i = 0; i < e->n; i++)
            free(e->inputs[i]);
    free(e->inputs);
    free(e->keep);
    free(e->root);
    free(e->slot);
    free(e->buf);
    free(e->arena);
    free(e->ws);
    free(e->seconds);
    free(e->n_uses);
    free(e->user);
    free(e->fused);
    free(e->post_bn);
    free(e->post_res);
    free(e->post_act);
    free(e);
}

sr_status sr_exec_keep(sr_exec *e, int id)
{
    if (!e || id < 0 || id >= e->n)
        return SR_ERR_RANGE;
    if (e->keep[id])
        return SR_OK;
    e->keep[id] = 1;
    return plan(e);
}

float *sr_exec_input(sr_exec *e, int id)
{
    if (!e || id < 0 || id >= e->n)
        return NULL;
    return e->inputs[id];
}

static int out_is_kept(const sr_exec *e, int id)
{
    const sr_node *nd = sr_graph_node(e->g, id);
    if (nd->op == SR_OP_INPUT || nd->op == SR_OP_CONST)
        return 1;
    return e->keep_all || e->keep[id] || id == sr_graph_output(e->g);
}

const float *sr_exec_output(const sr_exec *e, int id)
{
    if (!e || id < 0 || id >= e->n || !out_is_kept(e, id))
        return NULL;
    return e->buf[id];
}

double sr_exec_node_seconds(const sr_exec *e, int id)
{
    if (!e || id < 0 || id >= e->n)
        return 0.0;
    return e->seconds[id];
}

size_t sr_exec_arena_bytes(const sr_exec *e)
{
    if (!e)
        return 0;
    size_t in = 0;
    for (int i = 0; i < e->n; i++)
        if (e->inputs[i])
            in += (size_t)sr_shape_numel(&sr_graph_node(e->g, i)->out);
    return (e->arena_floats + e->ws_floats + in) * sizeof(float);
}

size_t sr_exec_workspace_bytes(const sr_exec *e)
{
    return e ? e->ws_floats * sizeof(float) : 0;
}

/* numpy matmul of node nd (inputs a, b) into out. */
static void run_matmul(const sr_node *nd, const sr_shape *as, const float *a, const sr_shape *bs,
                       const float *b, float *out)
{
    int64_t m = as->rank >= 2 ? as->d[as->rank - 2] : 1;
    int64_t k = as->d[as->rank - 1];
    int64_t n = bs->rank >= 2 ? bs->d[bs->rank - 1] : 1;
    int ab = as->rank > 2 ? as->rank - 2 : 0, bb = bs->rank > 2 ? bs->rank - 2 : 0;
    int ob = ab > bb ? ab : bb;
    int64_t od[SR_MAX_RANK], ast[SR_MAX_RANK], bst[SR_MAX_RANK];
    int64_t sa = m * k, sb = k * n, total = 1;
    for (int i = ob - 1; i >= 0; i--) {
        int ai = i - (ob - ab), bi = i - (ob - bb);
        int64_t ad = ai >= 0 ? as->d[ai] : 1, bd = bi >= 0 ? bs->d[bi] : 1;
        od[i] = ad > bd ? ad : bd;
        ast[i] = ad == 1 ? 0 : sa;
        bst[i] = bd == 1 ? 0 : sb;
        sa *= ad;
        sb *= bd;
        total *= od[i];
    }
    (void)nd;
    int64_t idx[SR_MAX_RANK] = {0};
    for (int64_t t = 0; t < total; t++) {
        int64_t oa = 0, obf = 0;
        for (int i = 0; i < ob; i++) {
            oa += idx[i] * ast[i];
            obf += idx[i] * bst[i];
        }
        sr_matmul((int)m, (int)n, (int)k, a + oa, b + obf, out + t * m * n);
        for (int i = ob - 1; i >= 0; i--) {
            if (++idx[i] < od[i])
                break;
            idx[i] = 0;
        }
    }
}

/* The fused output pass of conv node id; 0 when nothing is fused into it. */
static int conv_post(const sr_exec *e, int id, sr_conv_post *post)
{
    const int bn = e->post_bn[id], res = e->post_res[id], act = e->post_act[id];
    memset(post, 0, sizeof(*post));
    if (bn < 0 && res < 0 && act < 0)
        return 0;
    if (bn >= 0) {
        post->bn_scale = sr_weights_get_const(e->w, bn, SR_PARAM_BN_SCALE, NULL);
        post->bn_shift = sr_weights_get_const(e->w, bn, SR_PARAM_BN_SHIFT, NULL);
        post->bn_mean = sr_weights_get_const(e->w, bn, SR_PARAM_BN_MEAN, NULL);
        post->bn_var = sr_weights_get_const(e->w, bn, SR_PARAM_BN_VAR, NULL);
        post->bn_eps = sr_graph_node(e->g, bn)->attr.eps;
    }
    if (res >= 0)
        post->residual = e->buf[res];
    post->act = SR_ACT_NONE;
    if (act >= 0) {
        const sr_node *an = sr_graph_node(e->g, act);
        switch (an->op) {
        case SR_OP_RELU:
            post->act = SR_ACT_RELU;
            break;
        case SR_OP_RELU6:
            post->act = SR_ACT_RELU6;
            break;
        case SR_OP_LEAKY_RELU:
            post->act = SR_ACT_LEAKY;
            post->alpha = an->attr.alpha;
            break;
        case SR_OP_CLIP:
            post->act = SR_ACT_CLIP;
            post->lo = an->attr.clip_min;
            post->hi = an->attr.clip_max;
            break;
        default:
            assert(0);
            break;
        }
    }
    return 1;
}

static void run_node(sr_exec *e, int id)
{
    const sr_graph *g = e->g;
    const sr_node *nd = sr_graph_node(g, id);
    float *out = e->buf[id];
    const float *x = nd->n_inputs > 0 ? e->buf[nd->inputs[0]] : NULL;
    const sr_shape *xs = nd->n_inputs > 0 ? &in_node(g, nd, 0)->out : NULL;
    const int64_t numel = sr_shape_numel(&nd->out);
    assert(e->fused[id] < 0); /* fused nodes run inside their conv */
    switch (nd->op) {
    case SR_OP_INPUT:
    case SR_OP_CONST:
        break;
    case SR_OP_FLATTEN:
    case SR_OP_RESHAPE:
    case SR_OP_DROPOUT:
        if (out != x)
            memcpy(out, x, sizeof(float) * (size_t)numel);
        break;
    case SR_OP_CONV: {
        sr_win2d p = node_win(g, nd);
        sr_conv_post post;
        int has_post = conv_post(e, id, &post);
        sr_conv2d_post(&p, attr_or1(nd->attr.groups), x, sr_weights_get_const(e->w, id, SR_PARAM_WEIGHT, NULL),
                       sr_weights_get_const(e->w, id, SR_PARAM_BIAS, NULL), 0, p.out_c, out, e->ws,
                       has_post ? &post : NULL);
        break;
    }
    case SR_OP_MAXPOOL: {
        sr_win2d p = node_win(g, nd);
        sr_maxpool2d(&p, x, out);
        break;
    }
    case SR_OP_AVGPOOL: {
        sr_win2d p = node_win(g, nd);
        sr_avgpool2d(&p, p.in_h + nd->attr.pad_bottom, p.in_w + nd->attr.pad_right, nd->attr.count_include_pad,
                     x, out);
        break;
    }
    case SR_OP_GLOBAL_AVGPOOL: {
        int64_t hw = sr_shape_numel(xs) / (xs->d[0] * xs->d[1]);
        sr_global_avgpool((int)xs->d[0], (int)xs->d[1], (int)hw, x, out);
        break;
    }
    case SR_OP_FC: {
        int nb = (int)xs->d[0];
        int in_f = (int)(sr_shape_numel(xs) / (nb ? nb : 1));
        int of = nd->attr.out_channels;
        sr_fc(nb, in_f, of, x, sr_weights_get_const(e->w, id, SR_PARAM_WEIGHT, NULL),
              sr_weights_get_const(e->w, id, SR_PARAM_BIAS, NULL), 0, of, out);
        break;
    }
    case SR_OP_MATMUL:
        run_matmul(nd, xs, x, &in_node(g, nd, 1)->out, e->buf[nd->inputs[1]], out);
        break;
    case SR_OP_BATCHNORM: {
        int64_t hw = sr_shape_numel(xs) / (xs->d[0] * xs->d[1]);
        sr_batchnorm((int)xs->d[0], (int)xs->d[1], hw, x, sr_weights_get_const(e->w, id, SR_PARAM_BN_SCALE, NULL),
                     sr_weights_get_const(e->w, id, SR_PARAM_BN_SHIFT, NULL),
                     sr_weights_get_const(e->w, id, SR_PARAM_BN_MEAN, NULL),
                     sr_weights_get_const(e->w, id, SR_PARAM_BN_VAR, NULL), nd->attr.eps, out);
        break;
    }
    case SR_OP_RELU:
        sr_relu(numel, x, out);
        break;
    case SR_OP_RELU6:
        sr_relu6(numel, x, out);
        break;
    case SR_OP_LEAKY_RELU:
        sr_leaky_relu(numel, nd->attr.alpha, x, out);
        break;
    case SR_OP_CLIP:
        sr_clip(numel, nd->attr.clip_min, nd->attr.clip_max, x, out);
        break;
    case SR_OP_SIGMOID:
        sr_sigmoid(numel, x, out);
        break;
    case SR_OP_ADD: {
        const sr_shape *bs = &in_node(g, nd, 1)->out;
        sr_status st = sr_add_broadcast(x, xs->rank, xs->d, e->buf[nd->inputs[1]], bs->rank, bs->d, out,
                                        nd->out.rank, nd->out.d);
        assert(st == SR_OK);
        (void)st;
        break;
    }
    case SR_OP_CONCAT: {
        const float *ins[SR_MAX_INPUTS];
        const int64_t *dims[SR_MAX_INPUTS];
        for (int k = 0; k < nd->n_inputs; k++) {
            ins[k] = e->buf[nd->inputs[k]];
            dims[k] = in_node(g, nd, k)->out.d;
        }
        sr_concat(nd->n_inputs, ins, dims, nd->out.rank, norm_axis(nd->attr.axis, nd->out.rank), out);
        break;
    }
    case SR_OP_SOFTMAX:
        sr_softmax(x, nd->out.rank, nd->out.d, norm_axis(nd->attr.axis, nd->out.rank), out);
        break;
    case SR_OP_REORG:
        sr_reorg_darknet((int)xs->d[0], (int)xs->d[1], (int)xs->d[2], (int)xs->d[3], attr_or1(nd->attr.stride_h), x,
                         out);
        break;
    case SR_OP_COUNT:
        assert(0);
        break;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

sr_status sr_exec_run(sr_exec *e)
{
    if (!e)
        return SR_ERR_INVALID;
    for (int i = 0; i < e->n; i++) {
        if (e->fused[i] >= 0) {
            e->seconds[i] = 0.0; /* ran inside its conv */
            continue;
        }
        double t0 = now_s();
        run_node(e, i);
        e->seconds[i] = now_s() - t0;
    }
    return SR_OK;
}
