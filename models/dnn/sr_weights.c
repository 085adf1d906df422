/* sr_weights.c: per-node fp32 parameter tensors, allocated by role from the inferred graph, and their
 * seeded He initialisation (GSL mt19937).
 *
 * All tensors live in one arena allocated at create time; a node's tensors are views into it. */
#include <assert.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sr_weights.h"

struct sr_weights {
    const sr_graph *g;
    int n_nodes;
    float *arena;
    int64_t (*count)[SR_PARAM_ROLE_COUNT]; /* per node, per role */
    int64_t (*offset)[SR_PARAM_ROLE_COUNT];
};

/* Element counts of each role of node id (0 = none). */
static void node_param_counts(const sr_graph *g, int id, int64_t cnt[SR_PARAM_ROLE_COUNT])
{
    const sr_node *nd = sr_graph_node(g, id);
    for (int r = 0; r < SR_PARAM_ROLE_COUNT; r++)
        cnt[r] = 0;
    const sr_node *in = nd->n_inputs > 0 ? sr_graph_node(g, nd->inputs[0]) : NULL;
    switch (nd->op) {
    case SR_OP_CONV: {
        int64_t in_c = in && in->out.rank >= 2 ? in->out.d[1] : 0;
        int groups = nd->attr.groups > 0 ? nd->attr.groups : 1;
        cnt[SR_PARAM_WEIGHT] = (int64_t)nd->attr.out_channels * (in_c / groups) * nd->attr.kernel_h *
                               nd->attr.kernel_w;
        if (nd->attr.has_bias)
            cnt[SR_PARAM_BIAS] = nd->attr.out_channels;
        break;
    }
    case SR_OP_FC: {
        int64_t batch = in && in->out.rank >= 1 ? in->out.d[0] : 1;
        int64_t in_f = in && batch > 0 ? sr_shape_numel(&in->out) / batch : 0;
        cnt[SR_PARAM_WEIGHT] = (int64_t)nd->attr.out_channels * in_f;
        if (nd->attr.has_bias)
            cnt[SR_PARAM_BIAS] = nd->attr.out_channels;
        break;
    }
    case SR_OP_BATCHNORM: {
        int64_t c = in && in->out.rank >= 2 ? in->out.d[1] : 0;
        cnt[SR_PARAM_BN_SCALE] = cnt[SR_PARAM_BN_SHIFT] = cnt[SR_PARAM_BN_MEAN] = cnt[SR_PARAM_BN_VAR] = c;
        break;
    }
    case SR_OP_CONST:
        cnt[SR_PARAM_WEIGHT] = sr_shape_numel(&nd->out);
        break;
    case SR_OP_INPUT:
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
    case SR_OP_GLOBAL_AVGPOOL:
    case SR_OP_MATMUL:
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_LEAKY_RELU:
    case SR_OP_CLIP:
    case SR_OP_SIGMOID:
    case SR_OP_ADD:
    case SR_OP_CONCAT:
    case SR_OP_FLATTEN:
    case SR_OP_RESHAPE:
    case SR_OP_SOFTMAX:
    case SR_OP_DROPOUT:
    case SR_OP_REORG:
    case SR_OP_COUNT:
        break;
    }
}

int64_t sr_weights_role_count(const sr_graph *g, int id, sr_param_role r)
{
    if (g == NULL || id < 0 || id >= sr_graph_node_count(g) || (int)r < 0 || r >= SR_PARAM_ROLE_COUNT)
        return -1;
    int64_t cnt[SR_PARAM_ROLE_COUNT];
    node_param_counts(g, id, cnt);
    return cnt[r] < 0 ? -1 : cnt[r];
}

int64_t sr_weights_node_count(const sr_graph *g, int id)
{
    if (g == NULL || id < 0 || id >= sr_graph_node_count(g))
        return -1;
    int64_t cnt[SR_PARAM_ROLE_COUNT], total = 0;
    node_param_counts(g, id, cnt);
    for (int r = 0; r < SR_PARAM_ROLE_COUNT; r++) {
        if (cnt[r] < 0 || total > INT64_MAX - cnt[r])
            return -1;
        total += cnt[r];
    }
    return total;
}

sr_status sr_weights_create(const sr_graph *g, sr_weights **out)
{
    if (!g || !out)
        return SR_ERR_INVALID;
    *out = NULL;
    sr_weights *w = calloc(1, sizeof(*w));
    if (!w)
        return SR_ERR_NOMEM;
    w->g = g;
    w->n_nodes = sr_graph_node_count(g);
    size_t nn = w->n_nodes > 0 ? (size_t)w->n_nodes : 1;
    w->count = calloc(nn, sizeof(*w->count));
    w->offset = calloc(nn, sizeof(*w->offset));
    if (!w->count || !w->offset) {
        sr_weights_free(w);
        return SR_ERR_NOMEM;
    }
    int64_t total = 0;
    for (int id = 0; id < w->n_nodes; id++) {
        node_param_counts(g, id, w->count[id]);
        for (int r = 0; r < SR_PARAM_ROLE_COUNT; r++) {
            if (w->count[id][r] < 0) {
                sr_weights_free(w);
                return SR_ERR_SHAPE;
            }
            w->offset[id][r] = total;
            total += w->count[id][r];
        }
    }
    w->arena = calloc(total > 0 ? (size_t)total : 1, sizeof(float));
    if (!w->arena) {
        sr_weights_free(w);
        return SR_ERR_NOMEM;
    }
    *out = w;
    return SR_OK;
}

void sr_weights_free(sr_weights *w)
{
    if (!w)
        return;
    free(w->arena);
    free(w->count);
    free(w->offset);
    free(w);
}

const float *sr_weights_get_const(const sr_weights *w, int id, sr_param_role r, int64_t *count)
{
    if (count)
        *count = 0;
    if (!w || id < 0 || id >= w->n_nodes || (int)r < 0 || r >= SR_PARAM_ROLE_COUNT || w->count[id][r] == 0)
        return NULL;
    if (count)
        *count = w->count[id][r];
    return w->arena + w->offset[id][r];
}

float *sr_weights_get(sr_weights *w, int id, sr_param_role r, int64_t *count)
{
    return (float *)sr_weights_get_const(w, id, r, count);
}

static void fill_gaussian(gsl_rng *rng, float *x, int64_t n, double mean, double sigma)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)(mean + gsl_ran_gaussian_ziggurat(rng, sigma));
}

void sr_weights_init_he(sr_weights *w, uint64_t seed)
{
    if (!w)
        return;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    assert(rng);
    gsl_rng_set(rng, (unsigned long)seed);
    for (int id = 0; id < w->n_nodes; id++) {
        const sr_node *nd = sr_graph_node(w->g, id);
        int64_t n;
        float *t;
        if ((t = sr_weights_get(w, id, SR_PARAM_WEIGHT, &n))) {
            double fan_in = 1.0;
            if (nd->op == SR_OP_CONV && nd->attr.out_channels > 0)
                fan_in = (double)n / nd->attr.out_channels;
            else if (nd->op == SR_OP_FC && nd->attr.out_channels > 0)
                fan_in = (double)n / nd->attr.out_channels;
            double sigma = nd->op == SR_OP_CONST ? 1.0 : sqrt(2.0 / (fan_in > 0 ? fan_in : 1.0));
            fill_gaussian(rng, t, n, 0.0, sigma);
        }
        if ((t = sr_weights_get(w, id, SR_PARAM_BIAS, &n)))
            fill_gaussian(rng, t, n, 0.0, 0.01);
        if ((t = sr_weights_get(w, id, SR_PARAM_BN_SCALE, &n)))
            fill_gaussian(rng, t, n, 1.0, 0.05);
        if ((t = sr_weights_get(w, id, SR_PARAM_BN_SHIFT, &n)))
            fill_gaussian(rng, t, n, 0.0, 0.05);
        if ((t = sr_weights_get(w, id, SR_PARAM_BN_MEAN, &n)))
            fill_gaussian(rng, t, n, 0.0, 0.05);
        if ((t = sr_weights_get(w, id, SR_PARAM_BN_VAR, &n)))
            for (int64_t i = 0; i < n; i++)
                t[i] = (float)(1.0 + fabs(gsl_ran_gaussian_ziggurat(rng, 0.05)));
    }
    gsl_rng_free(rng);
}
