/* sr_layer_class.c: mapping of graph nodes to fitted-cost-model classes and their feature vectors
 * (see sr_layer_class.h). */
#include "sr_layer_class.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

static const char *const class_names[] = {
#define SR_LC_NAME(id, name, bound) name,
    SR_LCLASS_MAP(SR_LC_NAME)
#undef SR_LC_NAME
};
static const int class_bound[] = {
#define SR_LC_BOUND(id, name, bound) bound,
    SR_LCLASS_MAP(SR_LC_BOUND)
#undef SR_LC_BOUND
};
static const char *const feat_names[] = {
#define SR_FEAT_NAME(id, name) name,
    SR_FEAT_MAP(SR_FEAT_NAME)
#undef SR_FEAT_NAME
};
static_assert(sizeof class_names / sizeof class_names[0] == SR_LC_COUNT, "class name table");
static_assert(sizeof feat_names / sizeof feat_names[0] == SR_FEAT_COUNT, "feature name table");

const char *sr_layer_class_name(sr_layer_class c)
{
    return c >= 0 && c < SR_LC_COUNT ? class_names[c] : "?";
}

sr_status sr_layer_class_parse(const char *s, sr_layer_class *out)
{
    if (!s || !out) return SR_ERR_INVALID;
    for (int i = 0; i < SR_LC_COUNT; i++)
        if (strcmp(s, class_names[i]) == 0) {
            *out = (sr_layer_class)i;
            return SR_OK;
        }
    return SR_ERR_INVALID;
}

int sr_layer_class_compute_bound(sr_layer_class c)
{
    return c >= 0 && c < SR_LC_COUNT ? class_bound[c] : 0;
}

const char *sr_feature_name(sr_feature f)
{
    return f >= 0 && f < SR_FEAT_COUNT ? feat_names[f] : "?";
}

int sr_layer_class_of(const sr_graph *g, int id)
{
    const sr_node *nd = sr_graph_node(g, id);
    if (!nd) return -1;
    switch (nd->op) {
    case SR_OP_INPUT:
    case SR_OP_CONST:
    case SR_OP_MATMUL:
        return -1;
    case SR_OP_CONV: {
        const sr_node *in = sr_graph_node(g, nd->inputs[0]);
        int in_c = in && in->out.rank >= 2 ? (int)in->out.d[1] : 0;
        if (nd->attr.groups > 1 && nd->attr.groups == in_c && nd->attr.out_channels == in_c)
            return SR_LC_CONV_DW;
        if (nd->attr.kernel_h == 1 && nd->attr.kernel_w == 1) return SR_LC_CONV1X1;
        if (nd->attr.kernel_h == 3 && nd->attr.kernel_w == 3) return SR_LC_CONV3X3;
        return SR_LC_CONV_LARGE;
    }
    case SR_OP_FC:
        return SR_LC_FC;
    case SR_OP_MAXPOOL:
        return SR_LC_MAXPOOL;
    case SR_OP_AVGPOOL:
    case SR_OP_GLOBAL_AVGPOOL:
        return SR_LC_AVGPOOL;
    case SR_OP_BATCHNORM:
        return SR_LC_BN;
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_CLIP:
        return SR_LC_ACT;
    case SR_OP_LEAKY_RELU:
        return SR_LC_LEAKY;
    case SR_OP_SIGMOID:
        return SR_LC_SIGMOID;
    case SR_OP_ADD:
        return SR_LC_ADD;
    case SR_OP_CONCAT:
    case SR_OP_REORG:
        return SR_LC_COPY;
    case SR_OP_SOFTMAX:
        return SR_LC_SOFTMAX;
    case SR_OP_FLATTEN:
    case SR_OP_RESHAPE:
    case SR_OP_DROPOUT:
        return SR_LC_ALIAS;
    case SR_OP_COUNT:
        break;
    }
    return -1;
}

int sr_layer_class_features(sr_layer_class c, sr_feature *feats)
{
    int n = 0;
    feats[n++] = SR_FEAT_ONE;
    switch (c) {
    case SR_LC_CONV1X1:
    case SR_LC_CONV3X3:
    case SR_LC_CONV_LARGE:
        feats[n++] = SR_FEAT_MACS;
        feats[n++] = SR_FEAT_COL;
        feats[n++] = SR_FEAT_OUT;
        feats[n++] = SR_FEAT_WEIGHTS;
        break;
    case SR_LC_CONV_DW:
    case SR_LC_FC:
        feats[n++] = SR_FEAT_MACS;
        feats[n++] = SR_FEAT_IN;
        feats[n++] = SR_FEAT_OUT;
        break;
    case SR_LC_MAXPOOL:
    case SR_LC_AVGPOOL:
        feats[n++] = SR_FEAT_IN;
        feats[n++] = SR_FEAT_WIN;
        break;
    case SR_LC_BN:
    case SR_LC_ACT:
    case SR_LC_LEAKY:
    case SR_LC_SIGMOID:
    case SR_LC_ADD:
    case SR_LC_COPY:
    case SR_LC_SOFTMAX:
        feats[n++] = SR_FEAT_OUT;
        break;
    case SR_LC_ALIAS:
    case SR_LC_COUNT:
        break;
    }
    assert(n <= SR_FIT_MAX_COEF);
    return n;
}

static double feature_value(const sr_graph *g, int id, sr_feature f, int batch)
{
    const sr_node *nd = sr_graph_node(g, id);
    double b = (double)batch;
    double in = (double)sr_node_input_bytes(g, id, SR_PREC_FP32) / 4.0;
    double out = (double)sr_shape_numel(&nd->out);
    switch (f) {
    case SR_FEAT_ONE:
        return 1.0;
    case SR_FEAT_MACS:
        return b * (double)nd->macs;
    case SR_FEAT_IN:
        return b * in;
    case SR_FEAT_OUT:
        return b * out;
    case SR_FEAT_WEIGHTS:
        return (double)nd->params;
    case SR_FEAT_COL: {
        /* (in_c / groups) kh kw per output pixel per group = macs / (out_c / groups) */
        int groups = nd->attr.groups > 0 ? nd->attr.groups : 1;
        int oc = nd->attr.out_channels > 0 ? nd->attr.out_channels : 1;
        return b * (double)nd->macs * groups / oc;
    }
    case SR_FEAT_WIN:
        if (nd->op == SR_OP_GLOBAL_AVGPOOL) return b * in;
        return b * out * nd->attr.kernel_h * nd->attr.kernel_w;
    case SR_FEAT_COUNT:
        break;
    }
    return 0.0;
}

void sr_layer_features(const sr_graph *g, int id, sr_layer_class c, int batch, double *x)
{
    sr_feature f[SR_FIT_MAX_COEF];
    int n = sr_layer_class_features(c, f);
    for (int j = 0; j < n; j++)
        x[j] = feature_value(g, id, f[j], batch);
}

static int same_shape(const sr_shape *a, const sr_shape *b)
{
    if (a->rank != b->rank) return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i]) return 0;
    return 1;
}

sr_status sr_layer_fusion(const sr_graph *g, int *fused)
{
    int n = sr_graph_node_count(g);
    int *uses = calloc((size_t)(n ? n : 1), sizeof *uses), *user = malloc((size_t)(n ? n : 1) * sizeof *user);
    if (!uses || !user) {
        free(uses);
        free(user);
        return SR_ERR_NOMEM;
    }
    for (int i = 0; i < n; i++) {
        fused[i] = -1;
        const sr_node *nd = sr_graph_node(g, i);
        for (int k = 0; k < nd->n_inputs; k++) {
            uses[nd->inputs[k]]++;
            user[nd->inputs[k]] = i;
        }
    }
    int out = sr_graph_output(g);
    for (int h = 0; h < n; h++) {
        const sr_node *hn = sr_graph_node(g, h);
        if (hn->op != SR_OP_CONV) continue;
        int t = h, stage = 0;
        while (stage < 3 && t != out && uses[t] == 1) {
            int f = user[t];
            const sr_node *fn = sr_graph_node(g, f);
            if (fn->op == SR_OP_BATCHNORM && stage == 0 && fn->n_inputs == 1) {
                stage = 1;
            } else if (fn->op == SR_OP_ADD && stage <= 1 && fn->n_inputs == 2) {
                int other = fn->inputs[0] == t ? fn->inputs[1] : fn->inputs[0];
                if (other >= h || !same_shape(&sr_graph_node(g, other)->out, &hn->out) ||
                    !same_shape(&fn->out, &hn->out))
                    break;
                stage = 2;
            } else if (fn->op == SR_OP_RELU || fn->op == SR_OP_RELU6 || fn->op == SR_OP_LEAKY_RELU ||
                       fn->op == SR_OP_CLIP) {
                stage = 3;
            } else {
                break;
            }
            fused[f] = h;
            t = f;
        }
    }
    free(uses);
    free(user);
    return SR_OK;
}
