/* sr_graph.c: storage, shape inference and cost counting of the DNN graph IR (sr_graph.h).
 *
 * Nodes live in one growable array in topological order. sr_graph_infer() walks it once, computing
 * each node's output shape from its inputs' (NCHW with batch), its multiply-accumulates and its
 * trainable parameters with the torchvision / ptflops conventions stated in sr_graph.h. Every shape
 * error names the node, its op and the reason. Sizes are int64 and every product is overflow-checked,
 * so an absurd input shape gives SR_ERR_SHAPE instead of undefined behaviour. */
#include "sr_graph.h"

#include <assert.h>
#include <float.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const op_names[] = {
#define SR_OP_NAME(id, name) name,
    SR_OP_MAP(SR_OP_NAME)
#undef SR_OP_NAME
};
_Static_assert(sizeof op_names / sizeof op_names[0] == SR_OP_COUNT, "op name table out of sync");

struct sr_graph {
    char *name;
    sr_node *nodes;
    int n_nodes;
    int cap;
};

const char *sr_op_name(sr_op op)
{
    if ((int)op < 0 || op >= SR_OP_COUNT) return "?";
    return op_names[op];
}

/* ---------------------------------------------------------------------------------------------- */
/* Precision                                                                                      */

static const char *const prec_names[] = {"fp32", "fp16", "int8"};
static const int prec_bytes[] = {4, 2, 1};
_Static_assert(sizeof prec_names / sizeof prec_names[0] == SR_PREC_COUNT, "precision table out of sync");
_Static_assert(sizeof prec_bytes / sizeof prec_bytes[0] == SR_PREC_COUNT, "precision table out of sync");

const char *sr_precision_name(sr_precision p)
{
    if ((int)p < 0 || p >= SR_PREC_COUNT) return "?";
    return prec_names[p];
}

int sr_precision_bytes(sr_precision p)
{
    if ((int)p < 0 || p >= SR_PREC_COUNT) return 0;
    return prec_bytes[p];
}

sr_status sr_precision_parse(const char *s, sr_precision *out)
{
    if (!s || !out) return SR_ERR_INVALID;
    for (int i = 0; i < SR_PREC_COUNT; i++) {
        if (strcasecmp(s, prec_names[i]) == 0) {
            *out = (sr_precision)i;
            return SR_OK;
        }
    }
    return SR_ERR_INVALID;
}

/* ---------------------------------------------------------------------------------------------- */
/* Shapes                                                                                         */

int64_t sr_shape_numel(const sr_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->d[i];
    return n;
}

void sr_shape_format(const sr_shape *s, char *buf, size_t size)
{
    if (!buf || size == 0) return;
    buf[0] = '\0';
    if (!s || s->rank <= 0) {
        snprintf(buf, size, "scalar");
        return;
    }
    size_t used = 0;
    for (int i = 0; i < s->rank && used < size; i++) {
        int n = snprintf(buf + used, size - used, i ? "x%" PRId64 : "%" PRId64, s->d[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
}

sr_shape sr_shape_nchw(int64_t n, int64_t c, int64_t h, int64_t w)
{
    sr_shape s = {.rank = 4, .d = {n, c, h, w}};
    return s;
}

/* a*b into *out; 0 on overflow (operands are non-negative). */
static int mul_ok(int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0) return 0;
    if (a != 0 && b > INT64_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* Element count with overflow check; 0 when the shape is invalid or too large. */
static int numel_ok(const sr_shape *s, int64_t *out)
{
    int64_t n = 1;
    if (s->rank < 0 || s->rank > SR_MAX_RANK) return 0;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] <= 0 || !mul_ok(n, s->d[i], &n)) return 0;
    }
    *out = n;
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Graph storage                                                                                  */

sr_node_attr sr_node_attr_default(void)
{
    sr_node_attr a;
    memset(&a, 0, sizeof a);
    a.stride_h = a.stride_w = 1;
    a.dilation_h = a.dilation_w = 1;
    a.groups = 1;
    /* ONNX defaults of the remaining attributes that have a meaningful default. */
    a.axis = 1;
    a.alpha = 0.01f;
    a.eps = 1e-5f;
    a.clip_min = -FLT_MAX;
    a.clip_max = FLT_MAX;
    return a;
}

sr_status sr_graph_create(const char *name, sr_graph **out)
{
    if (!out) return SR_ERR_INVALID;
    *out = NULL;
    sr_graph *g = calloc(1, sizeof *g);
    if (!g) return SR_ERR_NOMEM;
    g->name = strdup(name ? name : "graph");
    if (!g->name) {
        free(g);
        return SR_ERR_NOMEM;
    }
    *out = g;
    return SR_OK;
}

void sr_graph_free(sr_graph *g)
{
    if (!g) return;
    free(g->nodes);
    free(g->name);
    free(g);
}

const char *sr_graph_name(const sr_graph *g)
{
    return g ? g->name : NULL;
}

int sr_graph_node_count(const sr_graph *g)
{
    return g ? g->n_nodes : 0;
}

const sr_node *sr_graph_node(const sr_graph *g, int id)
{
    if (!g || id < 0 || id >= g->n_nodes) return NULL;
    return &g->nodes[id];
}

int sr_graph_find(const sr_graph *g, const char *name)
{
    if (!g || !name) return -1;
    for (int i = 0; i < g->n_nodes; i++) {
        if (strcmp(g->nodes[i].name, name) == 0) return i;
    }
    return -1;
}

int sr_graph_output(const sr_graph *g)
{
    return (g && g->n_nodes > 0) ? g->n_nodes - 1 : -1;
}

/* Inputs an op takes: [min, max]. */
static void op_arity(sr_op op, int *min_in, int *max_in)
{
    switch (op) {
    case SR_OP_INPUT:
    case SR_OP_CONST:
        *min_in = *max_in = 0;
        return;
    case SR_OP_MATMUL:
        *min_in = *max_in = 2;
        return;
    case SR_OP_ADD:
        *min_in = 2;
        *max_in = SR_MAX_INPUTS;
        return;
    case SR_OP_CONCAT:
        *min_in = 1;
        *max_in = SR_MAX_INPUTS;
        return;
    case SR_OP_CONV:
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
    case SR_OP_GLOBAL_AVGPOOL:
    case SR_OP_FC:
    case SR_OP_BATCHNORM:
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_LEAKY_RELU:
    case SR_OP_CLIP:
    case SR_OP_SIGMOID:
    case SR_OP_FLATTEN:
    case SR_OP_RESHAPE:
    case SR_OP_SOFTMAX:
    case SR_OP_DROPOUT:
    case SR_OP_REORG:
        *min_in = *max_in = 1;
        return;
    case SR_OP_COUNT:
        break;
    }
    *min_in = *max_in = -1;
}

/* Appends a node after validating everything that does not need shapes. */
static int add_node(sr_graph *g, sr_op op, const char *name, const int *inputs, int n_inputs,
                    const sr_node_attr *attr, const sr_shape *shape)
{
    if (!g || (int)op < 0 || op >= SR_OP_COUNT) return SR_ERR_INVALID;
    int min_in, max_in;
    op_arity(op, &min_in, &max_in);
    if (n_inputs < min_in || n_inputs > max_in || (n_inputs > 0 && !inputs)) return SR_ERR_INVALID;
    for (int i = 0; i < n_inputs; i++) {
        if (inputs[i] < 0 || inputs[i] >= g->n_nodes) return SR_ERR_INVALID;
    }
    if (g->n_nodes == INT32_MAX) return SR_ERR_RANGE;

    char auto_name[SR_NAME_MAX];
    if (!name) {
        /* "<op><id>", with a suffix in the unlikely case a user already took that name. */
        snprintf(auto_name, sizeof auto_name, "%s%d", op_names[op], g->n_nodes);
        for (int k = 1; sr_graph_find(g, auto_name) >= 0; k++)
            snprintf(auto_name, sizeof auto_name, "%s%d_%d", op_names[op], g->n_nodes, k);
        name = auto_name;
    }
    size_t len = strlen(name);
    if (len == 0 || len >= SR_NAME_MAX) return SR_ERR_INVALID;
    if (sr_graph_find(g, name) >= 0) return SR_ERR_INVALID;

    if (g->n_nodes == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        sr_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return SR_ERR_NOMEM;
        g->nodes = nodes;
        g->cap = cap;
    }
    int id = g->n_nodes;
    sr_node *nd = &g->nodes[id];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    memcpy(nd->name, name, len + 1);
    nd->n_inputs = n_inputs;
    for (int i = 0; i < n_inputs; i++)
        nd->inputs[i] = inputs[i];
    nd->attr = attr ? *attr : sr_node_attr_default();
    if (shape) nd->out = *shape;
    g->n_nodes++;
    return id;
}

int sr_graph_add_input(sr_graph *g, const char *name, sr_shape shape)
{
    int64_t n;
    if (shape.rank < 1 || !numel_ok(&shape, &n)) return SR_ERR_INVALID;
    return add_node(g, SR_OP_INPUT, name, NULL, 0, NULL, &shape);
}

int sr_graph_add_const(sr_graph *g, const char *name, sr_shape shape)
{
    int64_t n;
    if (!numel_ok(&shape, &n)) return SR_ERR_INVALID;
    return add_node(g, SR_OP_CONST, name, NULL, 0, NULL, &shape);
}

int sr_graph_add(sr_graph *g, sr_op op, const char *name, const int *inputs, int n_inputs,
                 const sr_node_attr *attr)
{
    /* Inputs and constants carry a shape: they go through their own functions. */
    if (op == SR_OP_INPUT || op == SR_OP_CONST) return SR_ERR_INVALID;
    return add_node(g, op, name, inputs, n_inputs, attr, NULL);
}

int sr_graph_conv(sr_graph *g, const char *name, int in, int out_ch, int k, int stride, int pad, int groups,
                  int bias)
{
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = out_ch;
    a.kernel_h = a.kernel_w = k;
    a.stride_h = a.stride_w = stride;
    a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
    a.groups = groups;
    a.has_bias = bias;
    return sr_graph_add(g, SR_OP_CONV, name, &in, 1, &a);
}

int sr_graph_pool(sr_graph *g, sr_op op, const char *name, int in, int k, int stride, int pad)
{
    if (op != SR_OP_MAXPOOL && op != SR_OP_AVGPOOL && op != SR_OP_GLOBAL_AVGPOOL) return SR_ERR_INVALID;
    sr_node_attr a = sr_node_attr_default();
    if (op != SR_OP_GLOBAL_AVGPOOL) {
        a.kernel_h = a.kernel_w = k;
        a.stride_h = a.stride_w = stride;
        a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = pad;
    }
    return sr_graph_add(g, op, name, &in, 1, &a);
}

int sr_graph_fc(sr_graph *g, const char *name, int in, int out_features, int bias)
{
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = out_features;
    a.has_bias = bias;
    return sr_graph_add(g, SR_OP_FC, name, &in, 1, &a);
}

int sr_graph_unary(sr_graph *g, sr_op op, const char *name, int in)
{
    return sr_graph_add(g, op, name, &in, 1, NULL);
}

/* ---------------------------------------------------------------------------------------------- */
/* Shape inference                                                                                */

typedef struct infer_ctx {
    const sr_graph *g;
    const sr_node *nd;
    int id;
    char *err;
    size_t err_size;
} infer_ctx;

/* Writes "node <id> '<name>' (<op>): <reason>" and returns SR_ERR_SHAPE. */
#if defined(__GNUC__)
static sr_status fail(const infer_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
static sr_status fail(const infer_ctx *c, const char *fmt, ...)
{
    if (c->err && c->err_size > 0) {
        int n = snprintf(c->err, c->err_size, "node %d '%s' (%s): ", c->id, c->nd->name, op_names[c->nd->op]);
        if (n >= 0 && (size_t)n < c->err_size) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return SR_ERR_SHAPE;
}

static const sr_shape *in_shape(const infer_ctx *c, int i)
{
    return &c->g->nodes[c->nd->inputs[i]].out;
}

static int norm_axis(int axis, int rank)
{
    return axis < 0 ? axis + rank : axis;
}

/* Output size of a conv along one dimension; -1 when the window does not fit. */
static int64_t conv_out_dim(int64_t in, int pad_a, int pad_b, int k, int stride, int dil)
{
    int64_t span = in + pad_a + pad_b - (int64_t)dil * (k - 1) - 1;
    if (span < 0) return -1;
    return span / stride + 1;
}

/* Output size of a pool along one dimension (PyTorch rule for ceil_mode: the last window must start
 * inside the input or the left padding); -1 when the window does not fit. */
static int64_t pool_out_dim(int64_t in, int pad_a, int pad_b, int k, int stride, int ceil_mode)
{
    int64_t span = in + pad_a + pad_b - k;
    if (span < 0) return -1;
    int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil_mode && (out - 1) * stride >= in + pad_a) out--;
    return out;
}

static sr_status check_window_attr(const infer_ctx *c, const sr_node_attr *a)
{
    if (a->kernel_h <= 0 || a->kernel_w <= 0)
        return fail(c, "kernel %dx%d must be positive", a->kernel_h, a->kernel_w);
    if (a->stride_h <= 0 || a->stride_w <= 0)
        return fail(c, "stride %dx%d must be positive", a->stride_h, a->stride_w);
    if (a->pad_top < 0 || a->pad_left < 0 || a->pad_bottom < 0 || a->pad_right < 0)
        return fail(c, "negative padding");
    return SR_OK;
}

static sr_status infer_conv(const infer_ctx *c, sr_node *nd)
{
    const sr_node_attr *a = &nd->attr;
    const sr_shape *x = in_shape(c, 0);
    if (x->rank != 4) return fail(c, "input must be NCHW (rank 4), got rank %d", x->rank);
    sr_status st = check_window_attr(c, a);
    if (st) return st;
    if (a->dilation_h <= 0 || a->dilation_w <= 0) return fail(c, "dilation must be positive");
    if (a->out_channels <= 0) return fail(c, "out_channels %d must be positive", a->out_channels);
    if (a->groups <= 0) return fail(c, "groups %d must be positive", a->groups);
    int64_t ic = x->d[1];
    if (ic % a->groups != 0)
        return fail(c, "input channels %" PRId64 " not divisible by groups %d", ic, a->groups);
    if (a->out_channels % a->groups != 0)
        return fail(c, "output channels %d not divisible by groups %d", a->out_channels, a->groups);
    int64_t oh = conv_out_dim(x->d[2], a->pad_top, a->pad_bottom, a->kernel_h, a->stride_h, a->dilation_h);
    int64_t ow = conv_out_dim(x->d[3], a->pad_left, a->pad_right, a->kernel_w, a->stride_w, a->dilation_w);
    if (oh <= 0 || ow <= 0)
        return fail(c, "kernel %dx%d (dilation %dx%d) larger than padded input %" PRId64 "x%" PRId64,
                    a->kernel_h, a->kernel_w, a->dilation_h, a->dilation_w,
                    x->d[2] + a->pad_top + a->pad_bottom, x->d[3] + a->pad_left + a->pad_right);
    nd->out = sr_shape_nchw(x->d[0], a->out_channels, oh, ow);

    int64_t per_out, macs, out_n, w;
    int64_t icg = ic / a->groups;
    if (!mul_ok(icg, (int64_t)a->kernel_h * a->kernel_w, &per_out) || !numel_ok(&nd->out, &out_n) ||
        !mul_ok(out_n, per_out, &macs) || !mul_ok(a->out_channels, per_out, &w))
        return fail(c, "sizes overflow");
    nd->macs = macs;
    nd->params = w + (a->has_bias ? a->out_channels : 0);
    return SR_OK;
}

static sr_status infer_pool(const infer_ctx *c, sr_node *nd)
{
    const sr_node_attr *a = &nd->attr;
    const sr_shape *x = in_shape(c, 0);
    if (x->rank != 4) return fail(c, "input must be NCHW (rank 4), got rank %d", x->rank);
    sr_status st = check_window_attr(c, a);
    if (st) return st;
    int64_t oh = pool_out_dim(x->d[2], a->pad_top, a->pad_bottom, a->kernel_h, a->stride_h, a->ceil_mode);
    int64_t ow = pool_out_dim(x->d[3], a->pad_left, a->pad_right, a->kernel_w, a->stride_w, a->ceil_mode);
    if (oh <= 0 || ow <= 0)
        return fail(c, "window %dx%d larger than padded input %" PRId64 "x%" PRId64, a->kernel_h, a->kernel_w,
                    x->d[2] + a->pad_top + a->pad_bottom, x->d[3] + a->pad_left + a->pad_right);
    nd->out = sr_shape_nchw(x->d[0], x->d[1], oh, ow);
    return SR_OK;
}

/* Broadcasts shapes a and b (numpy rules) into out. */
static int broadcast(const sr_shape *a, const sr_shape *b, sr_shape *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    out->rank = r;
    for (int i = 0; i < r; i++) {
        int ia = a->rank - r + i, ib = b->rank - r + i;
        int64_t da = ia >= 0 ? a->d[ia] : 1;
        int64_t db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1) return 0;
        out->d[i] = da == 1 ? db : da;
    }
    return 1;
}

static sr_status infer_add(const infer_ctx *c, sr_node *nd)
{
    sr_shape acc = *in_shape(c, 0);
    for (int i = 1; i < nd->n_inputs; i++) {
        sr_shape next;
        const sr_shape *b = in_shape(c, i);
        if (!broadcast(&acc, b, &next)) {
            char sa[96], sb[96];
            sr_shape_format(&acc, sa, sizeof sa);
            sr_shape_format(b, sb, sizeof sb);
            return fail(c, "shapes %s and %s (input %d) do not broadcast", sa, sb, i);
        }
        acc = next;
    }
    nd->out = acc;
    return SR_OK;
}

static sr_status infer_matmul(const infer_ctx *c, sr_node *nd)
{
    sr_shape a = *in_shape(c, 0), b = *in_shape(c, 1);
    if (a.rank < 1 || b.rank < 1) return fail(c, "operands must have rank >= 1");
    int a_vec = a.rank == 1, b_vec = b.rank == 1;
    if (a_vec) { /* (K) -> (1, K) */
        a.rank = 2;
        a.d[1] = a.d[0];
        a.d[0] = 1;
    }
    if (b_vec) { /* (K) -> (K, 1) */
        b.rank = 2;
        b.d[1] = 1;
    }
    int64_t m = a.d[a.rank - 2], k = a.d[a.rank - 1];
    int64_t kb = b.d[b.rank - 2], n = b.d[b.rank - 1];
    if (k != kb) return fail(c, "inner dimensions differ: %" PRId64 " vs %" PRId64, k, kb);
    sr_shape ba = {.rank = a.rank - 2}, bb = {.rank = b.rank - 2}, batch;
    for (int i = 0; i < ba.rank; i++)
        ba.d[i] = a.d[i];
    for (int i = 0; i < bb.rank; i++)
        bb.d[i] = b.d[i];
    if (!broadcast(&ba, &bb, &batch)) return fail(c, "batch dimensions do not broadcast");
    if (batch.rank + 2 > SR_MAX_RANK) return fail(c, "result rank exceeds %d", SR_MAX_RANK);
    sr_shape out = batch;
    if (!a_vec) out.d[out.rank++] = m;
    if (!b_vec) out.d[out.rank++] = n;
    nd->out = out;
    int64_t nb, macs;
    if (!numel_ok(&batch, &nb) || !mul_ok(nb, m, &macs) || !mul_ok(macs, k, &macs) || !mul_ok(macs, n, &macs))
        return fail(c, "sizes overflow");
    nd->macs = macs;
    return SR_OK;
}

static sr_status infer_concat(const infer_ctx *c, sr_node *nd)
{
    const sr_shape *first = in_shape(c, 0);
    int r = first->rank;
    int axis = norm_axis(nd->attr.axis, r);
    if (axis < 0 || axis >= r) return fail(c, "axis %d out of range for rank %d", nd->attr.axis, r);
    sr_shape out = *first;
    for (int i = 1; i < nd->n_inputs; i++) {
        const sr_shape *s = in_shape(c, i);
        if (s->rank != r) return fail(c, "input %d has rank %d, input 0 has rank %d", i, s->rank, r);
        for (int d = 0; d < r; d++) {
            if (d == axis) continue;
            if (s->d[d] != first->d[d])
                return fail(c,
                            "input %d ('%s') has size %" PRId64 " on dimension %d, input 0 has %" PRId64
                            " (only axis %d may differ)",
                            i, c->g->nodes[nd->inputs[i]].name, s->d[d], d, first->d[d], axis);
        }
        out.d[axis] += s->d[axis];
    }
    nd->out = out;
    return SR_OK;
}

static sr_status infer_flatten(const infer_ctx *c, sr_node *nd)
{
    const sr_shape *x = in_shape(c, 0);
    int axis = norm_axis(nd->attr.axis, x->rank);
    if (axis < 0 || axis > x->rank)
        return fail(c, "axis %d out of range for rank %d", nd->attr.axis, x->rank);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= x->d[i];
    for (int i = axis; i < x->rank; i++)
        inner *= x->d[i];
    nd->out.rank = 2;
    nd->out.d[0] = outer;
    nd->out.d[1] = inner;
    return SR_OK;
}

static sr_status infer_reshape(const infer_ctx *c, sr_node *nd)
{
    const sr_shape *x = in_shape(c, 0);
    const sr_node_attr *a = &nd->attr;
    if (a->reshape_rank < 1 || a->reshape_rank > SR_MAX_RANK)
        return fail(c, "target rank %d must be in 1..%d", a->reshape_rank, SR_MAX_RANK);
    sr_shape out = {.rank = a->reshape_rank};
    int infer_at = -1;
    int64_t known = 1;
    for (int i = 0; i < out.rank; i++) {
        int64_t v = a->reshape[i];
        if (v == 0) {
            if (i >= x->rank)
                return fail(c, "target dimension %d is 0 (copy) but the input has rank %d", i, x->rank);
            v = x->d[i];
        } else if (v == -1) {
            if (infer_at >= 0) return fail(c, "more than one -1 in the target shape");
            infer_at = i;
            continue;
        } else if (v < 0) {
            return fail(c, "target dimension %d is %" PRId64, i, v);
        }
        out.d[i] = v;
        if (!mul_ok(known, v, &known)) return fail(c, "sizes overflow");
    }
    int64_t n = sr_shape_numel(x);
    if (infer_at >= 0) {
        if (known == 0 || n % known != 0)
            return fail(c, "cannot infer the -1 dimension: %" PRId64 " elements do not divide by %" PRId64, n,
                        known);
        out.d[infer_at] = n / known;
    } else if (known != n) {
        char sx[96];
        sr_shape_format(x, sx, sizeof sx);
        return fail(c, "input %s has %" PRId64 " elements, the target shape %" PRId64, sx, n, known);
    }
    nd->out = out;
    return SR_OK;
}

static sr_status infer_reorg(const infer_ctx *c, sr_node *nd)
{
    const sr_shape *x = in_shape(c, 0);
    int s = nd->attr.stride_h;
    if (x->rank != 4) return fail(c, "input must be NCHW (rank 4), got rank %d", x->rank);
    if (s <= 0) return fail(c, "stride %d must be positive", s);
    if (x->d[2] % s != 0 || x->d[3] % s != 0)
        return fail(c, "input %" PRId64 "x%" PRId64 " not divisible by stride %d", x->d[2], x->d[3], s);
    nd->out = sr_shape_nchw(x->d[0], x->d[1] * s * s, x->d[2] / s, x->d[3] / s);
    return SR_OK;
}

static sr_status infer_node(const infer_ctx *c, sr_node *nd)
{
    nd->macs = 0;
    nd->params = 0;
    for (int i = 0; i < nd->n_inputs; i++) {
        int64_t n;
        if (!numel_ok(in_shape(c, i), &n)) return fail(c, "input %d has an invalid shape", i);
    }
    switch (nd->op) {
    case SR_OP_INPUT:
    case SR_OP_CONST:
        return SR_OK; /* shape given at creation */
    case SR_OP_CONV:
        return infer_conv(c, nd);
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
        return infer_pool(c, nd);
    case SR_OP_GLOBAL_AVGPOOL: {
        const sr_shape *x = in_shape(c, 0);
        if (x->rank < 3)
            return fail(c, "input must have spatial dimensions (rank >= 3), got rank %d", x->rank);
        nd->out = *x;
        for (int i = 2; i < x->rank; i++)
            nd->out.d[i] = 1;
        return SR_OK;
    }
    case SR_OP_FC: {
        const sr_shape *x = in_shape(c, 0);
        int out_f = nd->attr.out_channels;
        if (x->rank < 2) return fail(c, "input must be (N, features...), got rank %d", x->rank);
        if (out_f <= 0) return fail(c, "output features %d must be positive", out_f);
        int64_t in_f = sr_shape_numel(x) / x->d[0], w, macs;
        nd->out.rank = 2;
        nd->out.d[0] = x->d[0];
        nd->out.d[1] = out_f;
        if (!mul_ok(in_f, out_f, &w) || !mul_ok(w, x->d[0], &macs)) return fail(c, "sizes overflow");
        nd->macs = macs;
        nd->params = w + (nd->attr.has_bias ? out_f : 0);
        return SR_OK;
    }
    case SR_OP_MATMUL:
        return infer_matmul(c, nd);
    case SR_OP_BATCHNORM: {
        const sr_shape *x = in_shape(c, 0);
        if (x->rank < 2) return fail(c, "input must have a channel dimension (rank >= 2)");
        nd->out = *x;
        nd->params = 2 * x->d[1];
        return SR_OK;
    }
    case SR_OP_SOFTMAX: {
        const sr_shape *x = in_shape(c, 0);
        int axis = norm_axis(nd->attr.axis, x->rank);
        if (axis < 0 || axis >= x->rank)
            return fail(c, "axis %d out of range for rank %d", nd->attr.axis, x->rank);
        nd->out = *x;
        return SR_OK;
    }
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_LEAKY_RELU:
    case SR_OP_CLIP:
    case SR_OP_SIGMOID:
    case SR_OP_DROPOUT:
        nd->out = *in_shape(c, 0);
        return SR_OK;
    case SR_OP_ADD:
        return infer_add(c, nd);
    case SR_OP_CONCAT:
        return infer_concat(c, nd);
    case SR_OP_FLATTEN:
        return infer_flatten(c, nd);
    case SR_OP_RESHAPE:
        return infer_reshape(c, nd);
    case SR_OP_REORG:
        return infer_reorg(c, nd);
    case SR_OP_COUNT:
        break;
    }
    assert(0 && "unknown op");
    return fail(c, "unknown op");
}

sr_status sr_graph_infer(sr_graph *g, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!g) return SR_ERR_INVALID;
    for (int id = 0; id < g->n_nodes; id++) {
        sr_node *nd = &g->nodes[id];
        infer_ctx c = {.g = g, .nd = nd, .id = id, .err = err, .err_size = err_size};
        sr_status st = infer_node(&c, nd);
        if (st) return st;
        int64_t n;
        if (!numel_ok(&nd->out, &n)) return fail(&c, "output shape overflows or is empty");
    }
    return SR_OK;
}

/* ---------------------------------------------------------------------------------------------- */
/* Costs                                                                                          */

int64_t sr_node_output_bytes(const sr_graph *g, int id, sr_precision p)
{
    const sr_node *nd = sr_graph_node(g, id);
    assert(nd);
    if (!nd) return 0;
    return sr_shape_numel(&nd->out) * sr_precision_bytes(p);
}

int64_t sr_node_input_bytes(const sr_graph *g, int id, sr_precision p)
{
    const sr_node *nd = sr_graph_node(g, id);
    assert(nd);
    if (!nd) return 0;
    int64_t sum = 0;
    for (int i = 0; i < nd->n_inputs; i++)
        sum += sr_node_output_bytes(g, nd->inputs[i], p);
    return sum;
}

/* Parameters are stored at the precision (biases too: a deliberate simplification, int8 kernels keep
 * int32 biases but they are a negligible share). A constant's data counts as stored weights although
 * it is not a trainable parameter. */
int64_t sr_node_weight_bytes(const sr_graph *g, int id, sr_precision p)
{
    const sr_node *nd = sr_graph_node(g, id);
    assert(nd);
    if (!nd) return 0;
    if (nd->op == SR_OP_CONST) return sr_shape_numel(&nd->out) * sr_precision_bytes(p);
    return nd->params * sr_precision_bytes(p);
}

/* FLOP conventions (what the roofline charges, not what torchvision reports as "FLOPs"):
 *   conv, fc, matmul: 2 * MACs (one multiply and one add each);
 *   maxpool/avgpool: output elements * window size (one compare or add per window element);
 *   global avgpool: input elements (one add each);
 *   batch norm: 2 per output element (scale and shift, folded);
 *   softmax: 3 per element (exp, sum, divide);
 *   add: (inputs - 1) per output element;
 *   relu, relu6, leaky, clip, sigmoid: 1 per output element;
 *   input, const, concat, flatten, reshape, dropout, reorg: 0 (data movement or views only). */
double sr_node_flops(const sr_graph *g, int id)
{
    const sr_node *nd = sr_graph_node(g, id);
    assert(nd);
    if (!nd) return 0.0;
    double out = (double)sr_shape_numel(&nd->out);
    switch (nd->op) {
    case SR_OP_CONV:
    case SR_OP_FC:
    case SR_OP_MATMUL:
        return 2.0 * (double)nd->macs;
    case SR_OP_MAXPOOL:
    case SR_OP_AVGPOOL:
        return out * nd->attr.kernel_h * nd->attr.kernel_w;
    case SR_OP_GLOBAL_AVGPOOL:
        return (double)sr_shape_numel(&g->nodes[nd->inputs[0]].out);
    case SR_OP_BATCHNORM:
        return 2.0 * out;
    case SR_OP_SOFTMAX:
        return 3.0 * out;
    case SR_OP_ADD:
        return out * (nd->n_inputs - 1);
    case SR_OP_RELU:
    case SR_OP_RELU6:
    case SR_OP_LEAKY_RELU:
    case SR_OP_CLIP:
    case SR_OP_SIGMOID:
        return out;
    case SR_OP_INPUT:
    case SR_OP_CONST:
    case SR_OP_CONCAT:
    case SR_OP_FLATTEN:
    case SR_OP_RESHAPE:
    case SR_OP_DROPOUT:
    case SR_OP_REORG:
    case SR_OP_COUNT:
        break;
    }
    return 0.0;
}

void sr_graph_totals_get(const sr_graph *g, sr_graph_totals *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!g) return;
    for (int i = 0; i < g->n_nodes; i++) {
        const sr_node *nd = &g->nodes[i];
        out->macs += nd->macs;
        out->params += nd->params;
        out->weight_bytes_fp32 += sr_node_weight_bytes(g, i, SR_PREC_FP32);
        if (nd->op != SR_OP_CONST) {
            int64_t b = sr_node_output_bytes(g, i, SR_PREC_FP32);
            if (b > out->max_activation_bytes_fp32) out->max_activation_bytes_fp32 = b;
        }
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* Printing                                                                                       */

/* Formats v with thousands separators ("15,470,264,320"). */
static void fmt_thousands(int64_t v, char *buf, size_t size)
{
    char digits[32];
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    int n = snprintf(digits, sizeof digits, "%" PRIu64, u);
    char tmp[48];
    int k = 0;
    if (v < 0) tmp[k++] = '-';
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) tmp[k++] = ',';
        tmp[k++] = digits[i];
    }
    tmp[k] = '\0';
    snprintf(buf, size, "%s", tmp);
}

void sr_graph_print(const sr_graph *g, sr_precision p, FILE *f)
{
    if (!g || !f) return;
    int name_w = 4, shape_w = 5;
    char shape[128], macs[32], params[32], inb[32], outb[32], wb[32];
    for (int i = 0; i < g->n_nodes; i++) {
        int n = (int)strlen(g->nodes[i].name);
        if (n > name_w) name_w = n;
        sr_shape_format(&g->nodes[i].out, shape, sizeof shape);
        n = (int)strlen(shape);
        if (n > shape_w) shape_w = n;
    }
    fprintf(f, "graph %s: %d nodes, bytes at %s\n", g->name, g->n_nodes, sr_precision_name(p));
    fprintf(f, "%4s  %-*s  %-8s  %-*s  %15s  %12s  %13s  %13s  %13s\n", "id", name_w, "name", "op", shape_w,
            "output", "MACs", "params", "in_bytes", "out_bytes", "weight_bytes");
    for (int i = 0; i < g->n_nodes; i++) {
        const sr_node *nd = &g->nodes[i];
        sr_shape_format(&nd->out, shape, sizeof shape);
        fmt_thousands(nd->macs, macs, sizeof macs);
        fmt_thousands(nd->params, params, sizeof params);
        fmt_thousands(sr_node_input_bytes(g, i, p), inb, sizeof inb);
        fmt_thousands(sr_node_output_bytes(g, i, p), outb, sizeof outb);
        fmt_thousands(sr_node_weight_bytes(g, i, p), wb, sizeof wb);
        fprintf(f, "%4d  %-*s  %-8s  %-*s  %15s  %12s  %13s  %13s  %13s\n", i, name_w, nd->name,
                op_names[nd->op], shape_w, shape, macs, params, inb, outb, wb);
    }
    sr_graph_totals t;
    sr_graph_totals_get(g, &t);
    int64_t wbytes = 0, max_act = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        wbytes += sr_node_weight_bytes(g, i, p);
        if (g->nodes[i].op != SR_OP_CONST && sr_node_output_bytes(g, i, p) > max_act)
            max_act = sr_node_output_bytes(g, i, p);
    }
    fmt_thousands(t.macs, macs, sizeof macs);
    fmt_thousands(t.params, params, sizeof params);
    fmt_thousands(wbytes, wb, sizeof wb);
    fmt_thousands(max_act, outb, sizeof outb);
    fprintf(f, "total: MACs %s, params %s, weight bytes %s, largest activation %s bytes (%s)\n", macs, params,
            wb, outb, sr_precision_name(p));
}
