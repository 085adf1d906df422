/* sr_onnx.c: ONNX model importer on protobuf-c (onnx.pb-c.h is generated from Debian's onnx.proto).
 *
 * The model is unpacked in one piece, then its graph is walked once in node order (ONNX requires
 * topological order). A table maps every ONNX tensor name to either an sr node or a constant known at
 * import time (initializer, Constant output, fed input). Operators read their data inputs as nodes
 * (constants are materialised as const nodes on first such use) and their parameter inputs as
 * constants; parameter values are queued and copied into sr_weights once the graph is complete and
 * its tensors can be allocated. Every failure names the file, and the node and operator at fault.
 *
 * Memory: the file is mapped, and protobuf-c unpacks a skeleton of it: the model with the raw data of the main
 * graph's initializers left out (ox_skeleton, a walk over the protobuf wire format), whose tensors then point
 * into the mapping. Parameters are copied from there into sr_weights, whose arena pages are only touched by those
 * copies, and the mapped pages of a tensor are dropped as its last copy proceeds (MADV_DONTNEED, chunk by chunk),
 * so the process holds about one copy of the weights at any time (a test bounds the peak at 1.3 x the file). A
 * Gemm with transB=1 and alpha=1 (how PyTorch exports Linear) uses its B as the weight as it is. Raw data need not
 * be aligned for floats in the file: values in the mapping are only read through memcpy (ox_f and the copies into
 * sr_weights). A file whose wire format the walk does not follow is unpacked whole, as protobuf-c reads it. */
#include "sr_onnx.h"

#include "sr_file.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"

#if defined(__GNUC__)
#define OX_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OX_PRINTF(a, b)
#endif

/* A named value of the ONNX graph. */
typedef struct ox_val {
    const char *name; /* borrowed from the model (or the feed) */
    int node;         /* sr node producing it, -1 while none */
    int is_const;     /* values known at import time in f / i64 */
    int elem_type;    /* ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT or __INT64 */
    sr_shape shape;
    int64_t n;
    const float *f;     /* float values (owned by the context or borrowed from a feed) */
    const int64_t *i64; /* int64 values (owned by the context) */
    const sr_onnx_tensor *feed; /* graph input fed at import: becomes a node or a constant on use */
} ox_val;

/* A parameter tensor to copy into the weights once they exist. */
typedef struct ox_fill {
    int node;
    sr_param_role role;
    const float *src;
    int64_t n;
} ox_fill;

typedef struct ox_ctx {
    const char *path;
    char *err;
    size_t err_size;
    const sr_onnx_options *opt;
    sr_onnx_io *io;
    int64_t opset;
    sr_graph *g;
    int dirty; /* nodes added since the last sr_graph_infer */
    ox_val *vals;
    int n_vals, cap_vals;
    ox_fill *fills;
    int n_fills, cap_fills;
    void **owned; /* buffers made at import time */
    int n_owned, cap_owned;
    Onnx__TensorProto **lent; /* tensors of the unpacked model whose data values use in place */
    int n_lent, cap_lent;
    const Onnx__NodeProto *cur; /* node being converted (for messages) */
    int cur_index;
    const uint8_t *map; /* the mapped file, or NULL */
    size_t map_size;
} ox_ctx;

static int ox_in_map(const ox_ctx *c, const void *p)
{
    return c->map && (const uint8_t *)p >= c->map && (const uint8_t *)p < c->map + c->map_size;
}

/* Value i of a float tensor, wherever it lives (the mapping may hold it unaligned). */
static float ox_f(const ox_val *v, int64_t i)
{
    float x;
    memcpy(&x, (const unsigned char *)(const void *)v->f + (size_t)i * sizeof x, sizeof x);
    return x;
}

/* ---- errors ---- */

static sr_status ox_fail(ox_ctx *c, sr_status st, const char *fmt, ...) OX_PRINTF(3, 4);

/* "path: node 'name' (op Type): message", or "path: message" outside a node; returns st. */
static sr_status ox_fail(ox_ctx *c, sr_status st, const char *fmt, ...)
{
    if (c->err == NULL || c->err_size == 0)
        return st;
    int n;
    if (c->cur) {
        const char *nm = c->cur->name && c->cur->name[0] ? c->cur->name : NULL;
        const char *op = c->cur->op_type ? c->cur->op_type : "?";
        if (nm)
            n = snprintf(c->err, c->err_size, "%s: node '%s' (op %s): ", c->path, nm, op);
        else if (c->cur->n_output > 0 && c->cur->output[0][0])
            n = snprintf(c->err, c->err_size, "%s: node #%d producing '%s' (op %s): ", c->path, c->cur_index,
                         c->cur->output[0], op);
        else
            n = snprintf(c->err, c->err_size, "%s: node #%d (op %s): ", c->path, c->cur_index, op);
    } else {
        n = snprintf(c->err, c->err_size, "%s: ", c->path);
    }
    if (n < 0 || (size_t)n >= c->err_size)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

/* ---- small containers ---- */

static void *ox_own(ox_ctx *c, size_t bytes)
{
    if (c->n_owned == c->cap_owned) {
        int cap = c->cap_owned ? 2 * c->cap_owned : 32;
        void **p = realloc(c->owned, (size_t)cap * sizeof *p);
        if (p == NULL)
            return NULL;
        c->owned = p;
        c->cap_owned = cap;
    }
    void *b = malloc(bytes ? bytes : 1);
    if (b)
        c->owned[c->n_owned++] = b;
    return b;
}

/* Records that values use t's data in place (released by ox_release after its last copy). */
static sr_status ox_lend(ox_ctx *c, Onnx__TensorProto *t)
{
    if (c->n_lent == c->cap_lent) {
        int cap = c->cap_lent ? 2 * c->cap_lent : 32;
        Onnx__TensorProto **p = realloc(c->lent, (size_t)cap * sizeof *p);
        if (p == NULL)
            return SR_ERR_NOMEM;
        c->lent = p;
        c->cap_lent = cap;
    }
    c->lent[c->n_lent++] = t;
    return SR_OK;
}

/* Detaches the buffer holding src from where it lives (an import-time buffer, or the data of a tensor of the
 * unpacked model, which is emptied so that protobuf-c's free skips it) and returns it (malloc'ed; NULL when src
 * is not such a buffer, e.g. a caller's feed). */
static void *ox_detach(ox_ctx *c, const void *src)
{
    for (int i = 0; i < c->n_owned; i++)
        if (c->owned[i] == src) {
            c->owned[i] = NULL;
            return (void *)src;
        }
    for (int i = 0; i < c->n_lent; i++) {
        Onnx__TensorProto *t = c->lent[i];
        if (t->has_raw_data && (const void *)t->raw_data.data == src) {
            void *b = t->raw_data.data; /* unpacked with the default allocator: malloc */
            t->raw_data.data = NULL;
            t->raw_data.len = 0;
            return b;
        }
        if (t->n_float_data && (const void *)t->float_data == src) {
            void *b = t->float_data;
            t->float_data = NULL;
            t->n_float_data = 0;
            return b;
        }
    }
    return NULL;
}

static ox_val *ox_find(ox_ctx *c, const char *name)
{
    for (int i = c->n_vals - 1; i >= 0; i--)
        if (strcmp(c->vals[i].name, name) == 0)
            return &c->vals[i];
    return NULL;
}

/* Adds a value; a name may be defined only once (ONNX graphs are in SSA form). */
static sr_status ox_new_val(ox_ctx *c, const char *name, ox_val **out)
{
    if (name == NULL || name[0] == '\0')
        return ox_fail(c, SR_ERR_PARSE, "a tensor has an empty name");
    if (ox_find(c, name))
        return ox_fail(c, SR_ERR_PARSE, "tensor '%s' is defined twice", name);
    if (c->n_vals == c->cap_vals) {
        int cap = c->cap_vals ? 2 * c->cap_vals : 64;
        ox_val *p = realloc(c->vals, (size_t)cap * sizeof *p);
        if (p == NULL)
            return SR_ERR_NOMEM;
        c->vals = p;
        c->cap_vals = cap;
    }
    ox_val *v = &c->vals[c->n_vals++];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->node = -1;
    *out = v;
    return SR_OK;
}

static sr_status ox_add_fill(ox_ctx *c, int node, sr_param_role role, const float *src, int64_t n)
{
    if (c->n_fills == c->cap_fills) {
        int cap = c->cap_fills ? 2 * c->cap_fills : 64;
        ox_fill *p = realloc(c->fills, (size_t)cap * sizeof *p);
        if (p == NULL)
            return SR_ERR_NOMEM;
        c->fills = p;
        c->cap_fills = cap;
    }
    c->fills[c->n_fills++] = (ox_fill){node, role, src, n};
    return SR_OK;
}

/* ---- tensors ---- */

static const char *ox_type_name(int t)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&onnx__tensor_proto__data_type__descriptor, t);
    return v ? v->name : "unknown";
}

/* Converts a TensorProto (float32 or int64) into v's constant data. */
static sr_status ox_tensor_to_val(ox_ctx *c, const Onnx__TensorProto *t, ox_val *v)
{
    const char *nm = t->name && t->name[0] ? t->name : v->name;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "tensor '%s' keeps its data in an external file", nm);
    if (t->segment)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "tensor '%s' is segmented", nm);
    if (t->n_dims > SR_MAX_RANK)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "tensor '%s' has rank %zu (at most %d)", nm, t->n_dims, SR_MAX_RANK);
    sr_shape s = {.rank = (int)t->n_dims};
    int64_t n = 1;
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] <= 0)
            return ox_fail(c, t->dims[i] == 0 ? SR_ERR_UNSUPPORTED : SR_ERR_PARSE,
                           "tensor '%s' has dimension %lld (empty or negative tensors are not supported)", nm,
                           (long long)t->dims[i]);
        if (t->dims[i] > (INT64_C(1) << 40) / n)
            return ox_fail(c, SR_ERR_PARSE, "tensor '%s' is too large", nm);
        n *= t->dims[i];
        s.d[i] = t->dims[i];
    }
    int type = t->has_data_type ? t->data_type : 0;
    if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        /* in place (the unpacked model outlives the import; ONNX raw data is little-endian, as the hosts we
         * build on); a copy only when the bytes are not aligned for floats */
        Onnx__TensorProto *mt = (Onnx__TensorProto *)t; /* the unpacked model is ours */
        if (t->has_raw_data && t->raw_data.len > 0) {
            if (t->raw_data.len != (size_t)n * 4)
                return ox_fail(c, SR_ERR_CORRUPT, "tensor '%s' has %zu bytes of raw data, its shape needs %lld", nm,
                               t->raw_data.len, (long long)n * 4);
            if (ox_in_map(c, t->raw_data.data)) {
                v->f = (const float *)(const void *)t->raw_data.data; /* read through memcpy only */
            } else if ((uintptr_t)t->raw_data.data % _Alignof(float) == 0) {
                v->f = (const float *)(const void *)t->raw_data.data;
                if (ox_lend(c, mt) != SR_OK)
                    return SR_ERR_NOMEM;
            } else {
                float *f = ox_own(c, (size_t)n * sizeof *f);
                if (f == NULL)
                    return ox_fail(c, SR_ERR_NOMEM, "tensor '%s': out of memory for %lld values", nm, (long long)n);
                memcpy(f, t->raw_data.data, (size_t)n * 4);
                v->f = f;
            }
        } else {
            if (t->n_float_data != (size_t)n)
                return ox_fail(c, SR_ERR_CORRUPT, "tensor '%s' has %zu float values, its shape needs %lld", nm,
                               t->n_float_data, (long long)n);
            v->f = t->float_data;
            if (ox_lend(c, mt) != SR_OK)
                return SR_ERR_NOMEM;
        }
    } else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        /* the declared shape is checked against the values present before anything is allocated from it */
        int raw = t->has_raw_data && t->raw_data.len > 0;
        if (raw && t->raw_data.len != (size_t)n * 8)
            return ox_fail(c, SR_ERR_CORRUPT, "tensor '%s' has %zu bytes of raw data, its shape needs %lld", nm,
                           t->raw_data.len, (long long)n * 8);
        if (!raw && t->n_int64_data != (size_t)n)
            return ox_fail(c, SR_ERR_CORRUPT, "tensor '%s' has %zu int64 values, its shape needs %lld", nm,
                           t->n_int64_data, (long long)n);
        int64_t *d = ox_own(c, (size_t)n * sizeof *d);
        if (d == NULL)
            return ox_fail(c, SR_ERR_NOMEM, "tensor '%s': out of memory for %lld values", nm, (long long)n);
        memcpy(d, raw ? (const void *)t->raw_data.data : (const void *)t->int64_data, (size_t)n * 8);
        v->i64 = d;
    } else {
        return ox_fail(c, SR_ERR_UNSUPPORTED, "tensor '%s' has element type %s (only FLOAT, and INT64 for shapes)",
                       nm, ox_type_name(type));
    }
    v->is_const = 1;
    v->elem_type = type;
    v->shape = s;
    v->n = n;
    return SR_OK;
}

/* ---- graph building helpers ---- */

static sr_status ox_infer(ox_ctx *c)
{
    if (!c->dirty)
        return SR_OK;
    char msg[256] = "";
    sr_status st = sr_graph_infer(c->g, msg, sizeof msg);
    if (st != SR_OK)
        return ox_fail(c, st, "%s", msg);
    c->dirty = 0;
    return SR_OK;
}

static sr_status ox_shape(ox_ctx *c, int id, sr_shape *out)
{
    sr_status st = ox_infer(c);
    if (st != SR_OK)
        return st;
    *out = sr_graph_node(c->g, id)->out;
    return SR_OK;
}

/* Makes a unique node name: base (+ "/suffix"), base cut so the whole fits SR_NAME_MAX, then "~k" on a
 * clash. */
static void ox_node_name(const ox_ctx *c, const char *base, const char *suffix, char name[SR_NAME_MAX])
{
    char tail[48] = "";
    if (suffix)
        snprintf(tail, sizeof tail, "/%.40s", suffix);
    for (int k = 0;; k++) {
        char clash[16] = "";
        if (k > 0)
            snprintf(clash, sizeof clash, "~%d", k);
        size_t room = SR_NAME_MAX - 1 - strlen(tail) - strlen(clash);
        size_t bl = strlen(base);
        if (bl > room)
            bl = room;
        memcpy(name, base, bl);
        name[bl] = '\0';
        strcat(name, tail);
        strcat(name, clash);
        if (sr_graph_find(c->g, name) < 0)
            return;
    }
}

static sr_status ox_add(ox_ctx *c, sr_op op, const char *base, const char *suffix, const int *in, int n_in,
                        const sr_node_attr *attr, int *id)
{
    char name[SR_NAME_MAX];
    ox_node_name(c, base, suffix, name);
    int r = sr_graph_add(c->g, op, name, in, n_in, attr);
    if (r < 0)
        return ox_fail(c, (sr_status)r, "cannot add %s node '%s'", sr_op_name(op), name);
    c->dirty = 1;
    *id = r;
    return SR_OK;
}

static sr_status ox_add_input_node(ox_ctx *c, const char *name, sr_shape s, int *id)
{
    if (s.rank == 0) { /* scalar input: a 1-element vector */
        s.rank = 1;
        s.d[0] = 1;
    }
    char nm[SR_NAME_MAX];
    ox_node_name(c, name, NULL, nm);
    int r = sr_graph_add_input(c->g, nm, s);
    if (r < 0)
        return ox_fail(c, (sr_status)r, "cannot add input node '%s'", nm);
    c->dirty = 1;
    if (c->io) {
        if (c->io->n_inputs >= SR_ONNX_MAX_IO)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "more than %d graph inputs", SR_ONNX_MAX_IO);
        c->io->input_ids[c->io->n_inputs] = r;
        snprintf(c->io->input_names[c->io->n_inputs], SR_ONNX_IO_NAME_MAX, "%s", name);
        c->io->n_inputs++;
    }
    *id = r;
    return SR_OK;
}

/* Makes the feed of a graph input usable as a constant. */
static void ox_feed_to_const(ox_val *v)
{
    if (v->feed && !v->is_const) {
        v->is_const = 1;
        v->elem_type = v->feed->data ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
        v->shape = v->feed->shape;
        v->n = sr_shape_numel(&v->shape);
        v->f = v->feed->data;
        v->i64 = v->feed->data_i64;
    }
}

/* The sr node holding value v, created on first use for fed inputs and constants. */
static sr_status ox_val_node(ox_ctx *c, ox_val *v, int *id)
{
    if (v->node >= 0) {
        *id = v->node;
        return SR_OK;
    }
    sr_status st;
    if (v->feed) {
        if (v->feed->data == NULL)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "int64 input '%s' is used as data (only float32 data is supported)",
                           v->name);
        st = ox_add_input_node(c, v->name, v->feed->shape, &v->node);
    } else if (v->is_const) {
        if (v->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "%s tensor '%s' is used as data (only float32 data is supported)",
                           ox_type_name(v->elem_type), v->name);
        char nm[SR_NAME_MAX];
        ox_node_name(c, v->name, NULL, nm);
        int r = sr_graph_add_const(c->g, nm, v->shape);
        if (r < 0)
            return ox_fail(c, (sr_status)r, "cannot add constant node '%s'", nm);
        c->dirty = 1;
        v->node = r;
        st = ox_add_fill(c, r, SR_PARAM_WEIGHT, v->f, v->n);
    } else {
        return ox_fail(c, SR_ERR_PARSE, "tensor '%s' has no producer", v->name);
    }
    if (st == SR_OK)
        *id = v->node;
    return st;
}

static const char *ox_in_name(const Onnx__NodeProto *nd, int k)
{
    return (size_t)k < nd->n_input && nd->input[k] && nd->input[k][0] ? nd->input[k] : NULL;
}

static sr_status ox_lookup(ox_ctx *c, const char *name, ox_val **v)
{
    *v = ox_find(c, name);
    if (*v == NULL)
        return ox_fail(c, SR_ERR_PARSE,
                       "input '%s' is not produced by an earlier node, an initializer or a graph input", name);
    return SR_OK;
}

/* Data input k of the current node, as a node id. */
static sr_status ox_data(ox_ctx *c, int k, int *id)
{
    const char *name = ox_in_name(c->cur, k);
    if (name == NULL)
        return ox_fail(c, SR_ERR_PARSE, "input %d is missing", k);
    ox_val *v;
    sr_status st = ox_lookup(c, name, &v);
    return st != SR_OK ? st : ox_val_node(c, v, id);
}

/* Constant input k of the current node: *v is NULL when the input is absent (optional) or, with
 * allow_data, when it is computed at run time. */
static sr_status ox_const_in(ox_ctx *c, int k, int required, int allow_data, ox_val **out)
{
    *out = NULL;
    const char *name = ox_in_name(c->cur, k);
    if (name == NULL) {
        if (required)
            return ox_fail(c, SR_ERR_PARSE, "input %d is missing", k);
        return SR_OK;
    }
    ox_val *v;
    sr_status st = ox_lookup(c, name, &v);
    if (st != SR_OK)
        return st;
    ox_feed_to_const(v);
    if (!v->is_const) {
        if (allow_data)
            return SR_OK;
        return ox_fail(c, SR_ERR_UNSUPPORTED,
                       "input %d ('%s') must be a constant (initializer or Constant); computed parameters are not "
                       "supported",
                       k, name);
    }
    *out = v;
    return SR_OK;
}

static sr_status ox_const_float(ox_ctx *c, const ox_val *v, const char *what, int64_t expect_n)
{
    if (v->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "%s '%s' has element type %s (expected FLOAT)", what, v->name,
                       ox_type_name(v->elem_type));
    if (expect_n >= 0 && v->n != expect_n)
        return ox_fail(c, SR_ERR_SHAPE, "%s '%s' has %lld values, expected %lld", what, v->name, (long long)v->n,
                       (long long)expect_n);
    return SR_OK;
}

/* Binds output k of the current node to node id. */
static sr_status ox_bind(ox_ctx *c, int k, int id)
{
    if ((size_t)k >= c->cur->n_output || !c->cur->output[k][0])
        return ox_fail(c, SR_ERR_PARSE, "output %d is missing", k);
    ox_val *v;
    sr_status st = ox_new_val(c, c->cur->output[k], &v);
    if (st == SR_OK)
        v->node = id;
    return st;
}

/* Name for the nodes of the current operator: its first output. */
static const char *ox_out_name(const ox_ctx *c)
{
    return c->cur->n_output > 0 && c->cur->output[0][0] ? c->cur->output[0] : "node";
}

/* Only output 0 may be used (extra optional outputs such as masks and indices are not modelled). */
static sr_status ox_single_output(ox_ctx *c, const char *what)
{
    for (size_t k = 1; k < c->cur->n_output; k++)
        if (c->cur->output[k] && c->cur->output[k][0])
            return ox_fail(c, SR_ERR_UNSUPPORTED, "output %zu ('%s', %s) is not supported", k, c->cur->output[k],
                           what);
    return SR_OK;
}

/* ---- attributes ---- */

static const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *nd, const char *name)
{
    for (size_t i = 0; i < nd->n_attribute; i++)
        if (nd->attribute[i]->name && strcmp(nd->attribute[i]->name, name) == 0)
            return nd->attribute[i];
    return NULL;
}

/* Every attribute of the current node must be in `known` (NULL-terminated). */
static sr_status ox_check_attrs(ox_ctx *c, const char *const *known)
{
    for (size_t i = 0; i < c->cur->n_attribute; i++) {
        const char *nm = c->cur->attribute[i]->name ? c->cur->attribute[i]->name : "";
        int ok = 0;
        for (int k = 0; known && known[k]; k++)
            if (strcmp(known[k], nm) == 0)
                ok = 1;
        if (!ok)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "attribute '%s' is not supported", nm);
    }
    return SR_OK;
}

static sr_status ox_attr_int(ox_ctx *c, const char *name, int64_t def, int64_t *out)
{
    const Onnx__AttributeProto *a = ox_attr(c->cur, name);
    if (a == NULL) {
        *out = def;
        return SR_OK;
    }
    if (!a->has_i && !(a->has_type && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT))
        return ox_fail(c, SR_ERR_PARSE, "attribute '%s' must be an integer", name);
    *out = a->i;
    return SR_OK;
}

static sr_status ox_attr_float(ox_ctx *c, const char *name, float def, float *out)
{
    const Onnx__AttributeProto *a = ox_attr(c->cur, name);
    if (a == NULL) {
        *out = def;
        return SR_OK;
    }
    if (!a->has_f && !(a->has_type && a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT))
        return ox_fail(c, SR_ERR_PARSE, "attribute '%s' must be a float", name);
    *out = a->f;
    return SR_OK;
}

/* List of ints; *n = -1 when absent. */
static sr_status ox_attr_ints(ox_ctx *c, const char *name, int64_t *out, int max, int *n)
{
    const Onnx__AttributeProto *a = ox_attr(c->cur, name);
    *n = -1;
    if (a == NULL)
        return SR_OK;
    if (a->n_ints > (size_t)max)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "attribute '%s' has %zu values (at most %d supported)", name, a->n_ints,
                       max);
    for (size_t i = 0; i < a->n_ints; i++)
        out[i] = a->ints[i];
    *n = (int)a->n_ints;
    return SR_OK;
}

static const char *ox_attr_str(const Onnx__NodeProto *nd, const char *name, char *buf, size_t size,
                               const char *def)
{
    const Onnx__AttributeProto *a = ox_attr(nd, name);
    if (a == NULL || !a->has_s)
        return def;
    size_t n = a->s.len < size - 1 ? a->s.len : size - 1;
    memcpy(buf, a->s.data, n);
    buf[n] = '\0';
    return buf;
}

static int ox_fits_int(int64_t v)
{
    return v >= -(INT64_C(1) << 30) && v <= (INT64_C(1) << 30);
}

/* ---- windowed ops (Conv, pools) ---- */

/* Fills kernel/stride/dilation/padding of a 2-D window op from the node's attributes and input x. */
static sr_status ox_window(ox_ctx *c, const sr_shape *x, int k_h, int k_w, int allow_dilation, sr_node_attr *a)
{
    int64_t v[8];
    int n;
    sr_status st;
    a->kernel_h = k_h;
    a->kernel_w = k_w;
    if ((st = ox_attr_ints(c, "strides", v, 2, &n)) != SR_OK)
        return st;
    if (n >= 0 && n != 2)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "strides has %d values (only 2-D windows are supported)", n);
    a->stride_h = n == 2 ? (int)v[0] : 1;
    a->stride_w = n == 2 ? (int)v[1] : 1;
    if (n == 2 && (v[0] < 1 || v[1] < 1 || !ox_fits_int(v[0]) || !ox_fits_int(v[1])))
        return ox_fail(c, SR_ERR_PARSE, "strides must be positive");
    if ((st = ox_attr_ints(c, "dilations", v, 2, &n)) != SR_OK)
        return st;
    if (n >= 0 && n != 2)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "dilations has %d values (only 2-D windows are supported)", n);
    a->dilation_h = n == 2 ? (int)v[0] : 1;
    a->dilation_w = n == 2 ? (int)v[1] : 1;
    if (n == 2 && (v[0] < 1 || v[1] < 1 || !ox_fits_int(v[0]) || !ox_fits_int(v[1])))
        return ox_fail(c, SR_ERR_PARSE, "dilations must be positive");
    if (!allow_dilation && (a->dilation_h != 1 || a->dilation_w != 1))
        return ox_fail(c, SR_ERR_UNSUPPORTED, "dilated pooling is not supported");

    char buf[32];
    const char *ap = ox_attr_str(c->cur, "auto_pad", buf, sizeof buf, "NOTSET");
    if (strcmp(ap, "NOTSET") == 0) {
        if ((st = ox_attr_ints(c, "pads", v, 4, &n)) != SR_OK)
            return st;
        if (n >= 0 && n != 4)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "pads has %d values (only 2-D windows are supported)", n);
        if (n == 4) {
            for (int i = 0; i < 4; i++)
                if (v[i] < 0 || !ox_fits_int(v[i]))
                    return ox_fail(c, SR_ERR_UNSUPPORTED, "negative or huge pads are not supported");
            a->pad_top = (int)v[0];
            a->pad_left = (int)v[1];
            a->pad_bottom = (int)v[2];
            a->pad_right = (int)v[3];
        }
    } else if (strcmp(ap, "VALID") == 0) {
        a->pad_top = a->pad_left = a->pad_bottom = a->pad_right = 0;
    } else if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
        int upper = ap[5] == 'U';
        int64_t in[2] = {x->d[2], x->d[3]};
        int k[2] = {k_h, k_w}, s[2] = {a->stride_h, a->stride_w}, d[2] = {a->dilation_h, a->dilation_w};
        int lo[2], hi[2];
        for (int i = 0; i < 2; i++) {
            int64_t out = (in[i] + s[i] - 1) / s[i];
            int64_t total = (out - 1) * s[i] + (int64_t)(k[i] - 1) * d[i] + 1 - in[i];
            if (total < 0)
                total = 0;
            lo[i] = (int)(upper ? total / 2 : total - total / 2);
            hi[i] = (int)(total - lo[i]);
        }
        a->pad_top = lo[0];
        a->pad_left = lo[1];
        a->pad_bottom = hi[0];
        a->pad_right = hi[1];
    } else {
        return ox_fail(c, SR_ERR_PARSE, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID", ap);
    }
    return SR_OK;
}

static sr_status ox_conv(ox_ctx *c)
{
    static const char *const known[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL};
    sr_status st;
    int x;
    ox_val *W, *B;
    sr_shape xs;
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_data(c, 0, &x)) != SR_OK ||
        (st = ox_const_in(c, 1, 1, 0, &W)) != SR_OK || (st = ox_const_in(c, 2, 0, 0, &B)) != SR_OK ||
        (st = ox_shape(c, x, &xs)) != SR_OK)
        return st;
    if (xs.rank != 4 || W->shape.rank != 4)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "only 2-D convolution is supported (input rank %d, weight rank %d)",
                       xs.rank, W->shape.rank);
    if ((st = ox_const_float(c, W, "weight", -1)) != SR_OK)
        return st;
    int64_t ks[4];
    int n;
    if ((st = ox_attr_ints(c, "kernel_shape", ks, 2, &n)) != SR_OK)
        return st;
    if (n >= 0 && (n != 2 || ks[0] != W->shape.d[2] || ks[1] != W->shape.d[3]))
        return ox_fail(c, SR_ERR_SHAPE, "kernel_shape does not match the weight's %lldx%lld",
                       (long long)W->shape.d[2], (long long)W->shape.d[3]);
    int64_t group;
    if ((st = ox_attr_int(c, "group", 1, &group)) != SR_OK)
        return st;
    if (group < 1 || group > xs.d[1] || W->shape.d[1] * group != xs.d[1])
        return ox_fail(c, SR_ERR_SHAPE, "weight %lldx%lldx%lldx%lld with group %lld does not fit %lld input channels",
                       (long long)W->shape.d[0], (long long)W->shape.d[1], (long long)W->shape.d[2],
                       (long long)W->shape.d[3], (long long)group, (long long)xs.d[1]);
    sr_node_attr a = sr_node_attr_default();
    if ((st = ox_window(c, &xs, (int)W->shape.d[2], (int)W->shape.d[3], 1, &a)) != SR_OK)
        return st;
    a.out_channels = (int)W->shape.d[0];
    a.groups = (int)group;
    a.has_bias = B != NULL;
    if (B && (st = ox_const_float(c, B, "bias", W->shape.d[0])) != SR_OK)
        return st;
    int id = -1;
    if ((st = ox_add(c, SR_OP_CONV, ox_out_name(c), NULL, &x, 1, &a, &id)) != SR_OK ||
        (st = ox_add_fill(c, id, SR_PARAM_WEIGHT, W->f, W->n)) != SR_OK)
        return st;
    if (B && (st = ox_add_fill(c, id, SR_PARAM_BIAS, B->f, B->n)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

static sr_status ox_pool(ox_ctx *c, sr_op op)
{
    static const char *const known_max[] = {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
                                            "storage_order", "strides", NULL};
    static const char *const known_avg[] = {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                                            "strides", NULL};
    sr_status st;
    int x;
    sr_shape xs;
    if ((st = ox_check_attrs(c, op == SR_OP_MAXPOOL ? known_max : known_avg)) != SR_OK ||
        (st = ox_single_output(c, "pooling indices")) != SR_OK || (st = ox_data(c, 0, &x)) != SR_OK ||
        (st = ox_shape(c, x, &xs)) != SR_OK)
        return st;
    if (xs.rank != 4)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "only 2-D pooling (NCHW input) is supported, input has rank %d",
                       xs.rank);
    int64_t ks[4];
    int n;
    if ((st = ox_attr_ints(c, "kernel_shape", ks, 2, &n)) != SR_OK)
        return st;
    if (n != 2 || ks[0] < 1 || ks[1] < 1 || !ox_fits_int(ks[0]) || !ox_fits_int(ks[1]))
        return ox_fail(c, SR_ERR_PARSE, "kernel_shape must be 2 positive integers");
    sr_node_attr a = sr_node_attr_default();
    if ((st = ox_window(c, &xs, (int)ks[0], (int)ks[1], 0, &a)) != SR_OK)
        return st;
    int64_t ceil_mode, cip;
    if ((st = ox_attr_int(c, "ceil_mode", 0, &ceil_mode)) != SR_OK ||
        (st = ox_attr_int(c, "count_include_pad", 0, &cip)) != SR_OK)
        return st;
    a.ceil_mode = ceil_mode != 0;
    a.count_include_pad = cip != 0;
    int id = -1;
    if ((st = ox_add(c, op, ox_out_name(c), NULL, &x, 1, &a, &id)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

/* ---- Gemm ---- */

static sr_status ox_gemm(ox_ctx *c)
{
    static const char *const known[] = {"alpha", "beta", "transA", "transB", "broadcast", NULL};
    sr_status st;
    float alpha, beta;
    int64_t ta, tb;
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_attr_float(c, "alpha", 1.0f, &alpha)) != SR_OK ||
        (st = ox_attr_float(c, "beta", 1.0f, &beta)) != SR_OK || (st = ox_attr_int(c, "transA", 0, &ta)) != SR_OK ||
        (st = ox_attr_int(c, "transB", 0, &tb)) != SR_OK)
        return st;
    const char *base = ox_out_name(c);
    /* A: data, or a constant (transposed here when transA=1) */
    ox_val *Ac = NULL;
    int a_id;
    if (ta && (st = ox_const_in(c, 0, 1, 1, &Ac)) != SR_OK)
        return st;
    if (Ac && ta) {
        if ((st = ox_const_float(c, Ac, "A", -1)) != SR_OK)
            return st;
        if (Ac->shape.rank != 2)
            return ox_fail(c, SR_ERR_SHAPE, "A must be 2-D");
        int64_t r = Ac->shape.d[0], k = Ac->shape.d[1];
        float *t = ox_own(c, (size_t)Ac->n * sizeof *t);
        if (t == NULL)
            return SR_ERR_NOMEM;
        for (int64_t i = 0; i < r; i++)
            for (int64_t j = 0; j < k; j++)
                t[j * r + i] = ox_f(Ac, i * k + j);
        char nm[SR_NAME_MAX];
        ox_node_name(c, base, "A_T", nm);
        sr_shape s = {.rank = 2, .d = {k, r}};
        a_id = sr_graph_add_const(c->g, nm, s);
        if (a_id < 0)
            return ox_fail(c, (sr_status)a_id, "cannot add constant '%s'", nm);
        c->dirty = 1;
        if ((st = ox_add_fill(c, a_id, SR_PARAM_WEIGHT, t, Ac->n)) != SR_OK)
            return st;
    } else {
        if (ta)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "transA=1 on a computed A is not supported");
        if ((st = ox_data(c, 0, &a_id)) != SR_OK)
            return st;
    }
    sr_shape as;
    if ((st = ox_shape(c, a_id, &as)) != SR_OK)
        return st;
    if (as.rank != 2)
        return ox_fail(c, SR_ERR_SHAPE, "A must be 2-D, got rank %d", as.rank);
    int64_t M = as.d[0], K = as.d[1];

    ox_val *B, *C;
    if ((st = ox_const_in(c, 1, 1, 1, &B)) != SR_OK || (st = ox_const_in(c, 2, 0, 1, &C)) != SR_OK)
        return st;
    int has_c = ox_in_name(c->cur, 2) != NULL && beta != 0.0f;
    int id = -1;
    int64_t N;
    if (B) {
        /* fc: W[n][k] = alpha * op(B)[k][n] */
        if ((st = ox_const_float(c, B, "B", -1)) != SR_OK)
            return st;
        if (B->shape.rank != 2)
            return ox_fail(c, SR_ERR_SHAPE, "B must be 2-D, got rank %d", B->shape.rank);
        int64_t bk = tb ? B->shape.d[1] : B->shape.d[0];
        N = tb ? B->shape.d[0] : B->shape.d[1];
        if (bk != K)
            return ox_fail(c, SR_ERR_SHAPE, "A is %lldx%lld but op(B) has %lld rows", (long long)M, (long long)K,
                           (long long)bk);
        const float *W = B->f; /* transB=1, alpha=1 (PyTorch's Linear): B is the weight as it is */
        if (!tb || alpha != 1.0f) {
            float *Wt = ox_own(c, (size_t)(N * K) * sizeof *Wt);
            if (Wt == NULL)
                return SR_ERR_NOMEM;
            for (int64_t nn = 0; nn < N; nn++)
                for (int64_t kk = 0; kk < K; kk++)
                    Wt[nn * K + kk] = alpha * (tb ? ox_f(B, nn * K + kk) : ox_f(B, kk * N + nn));
            W = Wt;
        }
        /* bias: beta*C when C is one value per output (or a scalar) */
        float *bias = NULL;
        if (has_c && C) {
            if ((st = ox_const_float(c, C, "C", -1)) != SR_OK)
                return st;
            int per_out = (C->n == N && (C->shape.rank == 1 || (C->shape.rank == 2 && C->shape.d[0] == 1))) ||
                          C->n == 1;
            if (per_out) {
                bias = ox_own(c, (size_t)N * sizeof *bias);
                if (bias == NULL)
                    return SR_ERR_NOMEM;
                for (int64_t nn = 0; nn < N; nn++)
                    bias[nn] = beta * ox_f(C, C->n == 1 ? 0 : nn);
                has_c = 0;
            }
        }
        sr_node_attr a = sr_node_attr_default();
        if (N > (INT64_C(1) << 30))
            return ox_fail(c, SR_ERR_UNSUPPORTED, "too many outputs");
        a.out_channels = (int)N;
        a.has_bias = bias != NULL;
        if ((st = ox_add(c, SR_OP_FC, base, has_c ? "fc" : NULL, &a_id, 1, &a, &id)) != SR_OK ||
            (st = ox_add_fill(c, id, SR_PARAM_WEIGHT, W, N * K)) != SR_OK)
            return st;
        if (bias && (st = ox_add_fill(c, id, SR_PARAM_BIAS, bias, N)) != SR_OK)
            return st;
    } else {
        if (tb)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "transB=1 on a computed B is not supported");
        if (alpha != 1.0f)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "alpha != 1 on a computed B is not supported");
        int in[2];
        in[0] = a_id;
        if ((st = ox_data(c, 1, &in[1])) != SR_OK ||
            (st = ox_add(c, SR_OP_MATMUL, base, has_c ? "matmul" : NULL, in, 2, NULL, &id)) != SR_OK)
            return st;
    }
    if (has_c) {
        /* C that is not one value per output: add beta*C as a tensor */
        int c_id;
        if (C) {
            if ((st = ox_const_float(c, C, "C", -1)) != SR_OK)
                return st;
            float *cs = ox_own(c, (size_t)C->n * sizeof *cs);
            if (cs == NULL)
                return SR_ERR_NOMEM;
            for (int64_t i = 0; i < C->n; i++)
                cs[i] = beta * ox_f(C, i);
            char nm[SR_NAME_MAX];
            ox_node_name(c, base, "C", nm);
            c_id = sr_graph_add_const(c->g, nm, C->shape);
            if (c_id < 0)
                return ox_fail(c, (sr_status)c_id, "cannot add constant '%s'", nm);
            c->dirty = 1;
            if ((st = ox_add_fill(c, c_id, SR_PARAM_WEIGHT, cs, C->n)) != SR_OK)
                return st;
        } else {
            if (beta != 1.0f)
                return ox_fail(c, SR_ERR_UNSUPPORTED, "beta != 1 on a computed C is not supported");
            if ((st = ox_data(c, 2, &c_id)) != SR_OK)
                return st;
        }
        int in[2] = {id, c_id};
        if ((st = ox_add(c, SR_OP_ADD, base, NULL, in, 2, NULL, &id)) != SR_OK)
            return st;
    }
    return ox_bind(c, 0, id);
}

/* ---- other operators ---- */

static sr_status ox_unary(ox_ctx *c, sr_op op, const sr_node_attr *a)
{
    int x = -1, id = -1;
    sr_status st;
    if ((st = ox_data(c, 0, &x)) != SR_OK || (st = ox_add(c, op, ox_out_name(c), NULL, &x, 1, a, &id)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

static sr_status ox_clip(ox_ctx *c)
{
    static const char *const known_old[] = {"min", "max", NULL};
    sr_status st;
    sr_node_attr a = sr_node_attr_default();
    a.clip_min = -INFINITY;
    a.clip_max = INFINITY;
    if (c->opset < 11) {
        if ((st = ox_check_attrs(c, known_old)) != SR_OK ||
            (st = ox_attr_float(c, "min", -INFINITY, &a.clip_min)) != SR_OK ||
            (st = ox_attr_float(c, "max", INFINITY, &a.clip_max)) != SR_OK)
            return st;
    } else {
        ox_val *lo, *hi;
        if ((st = ox_check_attrs(c, NULL)) != SR_OK || (st = ox_const_in(c, 1, 0, 0, &lo)) != SR_OK ||
            (st = ox_const_in(c, 2, 0, 0, &hi)) != SR_OK)
            return st;
        if (lo && (st = ox_const_float(c, lo, "min", 1)) != SR_OK)
            return st;
        if (hi && (st = ox_const_float(c, hi, "max", 1)) != SR_OK)
            return st;
        if (lo)
            a.clip_min = ox_f(lo, 0);
        if (hi)
            a.clip_max = ox_f(hi, 0);
    }
    return ox_unary(c, SR_OP_CLIP, &a);
}

static sr_status ox_batchnorm(ox_ctx *c)
{
    static const char *const known[] = {"epsilon", "momentum", "spatial", "training_mode", "is_test",
                                        "consumed_inputs", NULL};
    sr_status st;
    int64_t spatial, training;
    sr_node_attr a = sr_node_attr_default();
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_attr_float(c, "epsilon", 1e-5f, &a.eps)) != SR_OK ||
        (st = ox_attr_int(c, "spatial", 1, &spatial)) != SR_OK ||
        (st = ox_attr_int(c, "training_mode", 0, &training)) != SR_OK ||
        (st = ox_single_output(c, "training statistics")) != SR_OK)
        return st;
    if (!spatial)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "spatial=0 is not supported");
    if (training)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "training_mode=1 is not supported (inference only)");
    int x;
    sr_shape xs;
    if ((st = ox_data(c, 0, &x)) != SR_OK || (st = ox_shape(c, x, &xs)) != SR_OK)
        return st;
    if (xs.rank < 2)
        return ox_fail(c, SR_ERR_SHAPE, "input needs a channel dimension");
    ox_val *p[4];
    static const char *const what[4] = {"scale", "B", "mean", "var"};
    for (int k = 0; k < 4; k++)
        if ((st = ox_const_in(c, k + 1, 1, 0, &p[k])) != SR_OK ||
            (st = ox_const_float(c, p[k], what[k], xs.d[1])) != SR_OK)
            return st;
    int id = -1;
    if ((st = ox_add(c, SR_OP_BATCHNORM, ox_out_name(c), NULL, &x, 1, &a, &id)) != SR_OK ||
        (st = ox_add_fill(c, id, SR_PARAM_BN_SCALE, p[0]->f, p[0]->n)) != SR_OK ||
        (st = ox_add_fill(c, id, SR_PARAM_BN_SHIFT, p[1]->f, p[1]->n)) != SR_OK ||
        (st = ox_add_fill(c, id, SR_PARAM_BN_MEAN, p[2]->f, p[2]->n)) != SR_OK ||
        (st = ox_add_fill(c, id, SR_PARAM_BN_VAR, p[3]->f, p[3]->n)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

static sr_status ox_binary(ox_ctx *c, sr_op op)
{
    sr_status st;
    if (ox_attr(c->cur, "axis") || ox_attr(c->cur, "broadcast")) {
        int64_t b;
        if ((st = ox_attr_int(c, "broadcast", 0, &b)) != SR_OK)
            return st;
        if (ox_attr(c->cur, "axis") || b)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "legacy broadcast/axis attributes are not supported");
    }
    if ((st = ox_check_attrs(c, (const char *const[]){"broadcast", NULL})) != SR_OK)
        return st;
    int in[2] = {-1, -1}, id = -1;
    if ((st = ox_data(c, 0, &in[0])) != SR_OK || (st = ox_data(c, 1, &in[1])) != SR_OK ||
        (st = ox_add(c, op, ox_out_name(c), NULL, in, 2, NULL, &id)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

static sr_status ox_concat(ox_ctx *c)
{
    static const char *const known[] = {"axis", NULL};
    sr_status st;
    int64_t axis;
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_attr_int(c, "axis", c->opset < 4 ? 1 : INT64_MIN, &axis)) != SR_OK)
        return st;
    if (axis == INT64_MIN)
        return ox_fail(c, SR_ERR_PARSE, "attribute 'axis' is required");
    if (!ox_fits_int(axis))
        return ox_fail(c, SR_ERR_PARSE, "axis %lld out of range", (long long)axis);
    int n = (int)c->cur->n_input;
    if (n < 1)
        return ox_fail(c, SR_ERR_PARSE, "no inputs");
    sr_node_attr a = sr_node_attr_default();
    a.axis = (int)axis;
    /* more than SR_MAX_INPUTS inputs: concatenate in chunks, left to right */
    int acc = -1, id = -1;
    int k = 0;
    while (k < n) {
        int in[SR_MAX_INPUTS], m = 0;
        if (acc >= 0)
            in[m++] = acc;
        while (m < SR_MAX_INPUTS && k < n) {
            if ((st = ox_data(c, k, &in[m])) != SR_OK)
                return st;
            m++;
            k++;
        }
        if ((st = ox_add(c, SR_OP_CONCAT, ox_out_name(c), k < n ? "part" : NULL, in, m, &a, &id)) != SR_OK)
            return st;
        acc = id;
    }
    return ox_bind(c, 0, id);
}

static sr_status ox_flatten(ox_ctx *c)
{
    static const char *const known[] = {"axis", NULL};
    sr_status st;
    int64_t axis;
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_attr_int(c, "axis", 1, &axis)) != SR_OK)
        return st;
    if (!ox_fits_int(axis))
        return ox_fail(c, SR_ERR_PARSE, "axis %lld out of range", (long long)axis);
    sr_node_attr a = sr_node_attr_default();
    a.axis = (int)axis;
    return ox_unary(c, SR_OP_FLATTEN, &a);
}

static sr_status ox_reshape(ox_ctx *c)
{
    static const char *const known_old[] = {"shape", "consumed_inputs", NULL};
    static const char *const known[] = {"allowzero", NULL};
    sr_status st;
    sr_node_attr a = sr_node_attr_default();
    int64_t dims[SR_MAX_RANK];
    int n;
    if (c->opset < 5) {
        if ((st = ox_check_attrs(c, known_old)) != SR_OK || (st = ox_attr_ints(c, "shape", dims, SR_MAX_RANK, &n)) != SR_OK)
            return st;
        if (n < 0)
            return ox_fail(c, SR_ERR_PARSE, "attribute 'shape' is required");
    } else {
        int64_t allowzero;
        ox_val *s;
        if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_attr_int(c, "allowzero", 0, &allowzero)) != SR_OK ||
            (st = ox_const_in(c, 1, 1, 0, &s)) != SR_OK)
            return st;
        if (s->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || s->shape.rank != 1)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "shape '%s' must be a 1-D INT64 tensor", s->name);
        if (s->n > SR_MAX_RANK)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "target rank %lld exceeds %d", (long long)s->n, SR_MAX_RANK);
        n = (int)s->n;
        for (int i = 0; i < n; i++) {
            dims[i] = s->i64[i];
            if (allowzero && dims[i] == 0)
                return ox_fail(c, SR_ERR_UNSUPPORTED, "allowzero=1 with a 0 in the shape is not supported");
        }
    }
    if (n < 1)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "reshape to a scalar is not supported");
    a.reshape_rank = n;
    for (int i = 0; i < n; i++)
        a.reshape[i] = dims[i];
    return ox_unary(c, SR_OP_RESHAPE, &a);
}

static sr_status ox_softmax(ox_ctx *c)
{
    static const char *const known[] = {"axis", NULL};
    sr_status st;
    int64_t axis;
    int x;
    sr_shape xs;
    if ((st = ox_check_attrs(c, known)) != SR_OK ||
        (st = ox_attr_int(c, "axis", c->opset < 13 ? 1 : -1, &axis)) != SR_OK || (st = ox_data(c, 0, &x)) != SR_OK ||
        (st = ox_shape(c, x, &xs)) != SR_OK)
        return st;
    if (axis < -xs.rank || axis >= xs.rank)
        return ox_fail(c, SR_ERR_SHAPE, "axis %lld out of range for rank %d", (long long)axis, xs.rank);
    int ax = (int)(axis < 0 ? axis + xs.rank : axis);
    sr_node_attr a = sr_node_attr_default();
    int id = -1;
    const char *base = ox_out_name(c);
    if (c->opset >= 13 || ax == xs.rank - 1) {
        a.axis = ax;
        if ((st = ox_add(c, SR_OP_SOFTMAX, base, NULL, &x, 1, &a, &id)) != SR_OK)
            return st;
        return ox_bind(c, 0, id);
    }
    /* opset < 13: softmax over the input coerced to 2-D at axis, i.e. flatten, softmax, reshape back */
    int f, s;
    a.axis = ax;
    if ((st = ox_add(c, SR_OP_FLATTEN, base, "flatten", &x, 1, &a, &f)) != SR_OK)
        return st;
    a.axis = 1;
    if ((st = ox_add(c, SR_OP_SOFTMAX, base, "softmax", &f, 1, &a, &s)) != SR_OK)
        return st;
    sr_node_attr r = sr_node_attr_default();
    r.reshape_rank = xs.rank;
    for (int i = 0; i < xs.rank; i++)
        r.reshape[i] = xs.d[i];
    if ((st = ox_add(c, SR_OP_RESHAPE, base, NULL, &s, 1, &r, &id)) != SR_OK)
        return st;
    return ox_bind(c, 0, id);
}

static sr_status ox_dropout(ox_ctx *c)
{
    static const char *const known[] = {"ratio", "is_test", "seed", "consumed_inputs", NULL};
    sr_status st;
    if ((st = ox_check_attrs(c, known)) != SR_OK || (st = ox_single_output(c, "dropout mask")) != SR_OK)
        return st;
    if (ox_in_name(c->cur, 2)) {
        ox_val *tm;
        if ((st = ox_const_in(c, 2, 1, 0, &tm)) != SR_OK)
            return st;
        int on = 0;
        for (int64_t i = 0; i < tm->n; i++)
            on |= tm->f ? ox_f(tm, i) != 0.0f : tm->i64[i] != 0;
        if (on)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "training_mode=true is not supported (inference only)");
    }
    return ox_unary(c, SR_OP_DROPOUT, NULL);
}

static sr_status ox_identity(ox_ctx *c)
{
    sr_status st;
    ox_val *in, *out;
    const char *name = ox_in_name(c->cur, 0);
    if ((st = ox_check_attrs(c, NULL)) != SR_OK)
        return st;
    if (name == NULL)
        return ox_fail(c, SR_ERR_PARSE, "input 0 is missing");
    if ((st = ox_lookup(c, name, &in)) != SR_OK)
        return st;
    if (c->cur->n_output < 1 || !c->cur->output[0][0])
        return ox_fail(c, SR_ERR_PARSE, "output 0 is missing");
    ox_val copy = *in; /* the table may move when growing */
    if ((st = ox_new_val(c, c->cur->output[0], &out)) != SR_OK)
        return st;
    const char *nm = out->name;
    *out = copy;
    out->name = nm;
    if (copy.feed && copy.node < 0) {
        /* the input node must be shared: create it now for both names */
        int id = -1;
        ox_val *src = ox_find(c, name);
        if ((st = ox_val_node(c, src, &id)) != SR_OK)
            return st;
        out = ox_find(c, nm);
        out->node = id;
        out->feed = NULL;
    }
    return SR_OK;
}

static sr_status ox_constant(ox_ctx *c)
{
    static const char *const known[] = {"value", "value_float", "value_floats", "value_int", "value_ints", NULL};
    sr_status st;
    ox_val *v;
    if ((st = ox_check_attrs(c, known)) != SR_OK)
        return st;
    if (c->cur->n_attribute != 1)
        return ox_fail(c, SR_ERR_PARSE, "expected exactly one value attribute");
    if (c->cur->n_output < 1 || !c->cur->output[0][0])
        return ox_fail(c, SR_ERR_PARSE, "output 0 is missing");
    const Onnx__AttributeProto *a = c->cur->attribute[0];
    if ((st = ox_new_val(c, c->cur->output[0], &v)) != SR_OK)
        return st;
    if (strcmp(a->name, "value") == 0) {
        if (a->t == NULL)
            return ox_fail(c, SR_ERR_PARSE, "attribute 'value' has no tensor");
        return ox_tensor_to_val(c, a->t, v);
    }
    int is_float = strncmp(a->name, "value_float", 11) == 0;
    int is_list = a->name[strlen(a->name) - 1] == 's';
    int64_t n = is_list ? (int64_t)(is_float ? a->n_floats : a->n_ints) : 1;
    if (n < 1)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "empty constant");
    v->is_const = 1;
    v->n = n;
    v->shape.rank = is_list ? 1 : 0;
    v->shape.d[0] = n;
    if (is_float) {
        float *f = ox_own(c, (size_t)n * sizeof *f);
        if (f == NULL)
            return SR_ERR_NOMEM;
        for (int64_t i = 0; i < n; i++)
            f[i] = is_list ? a->floats[i] : a->f;
        v->f = f;
        v->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    } else {
        int64_t *d = ox_own(c, (size_t)n * sizeof *d);
        if (d == NULL)
            return SR_ERR_NOMEM;
        for (int64_t i = 0; i < n; i++)
            d[i] = is_list ? a->ints[i] : a->i;
        v->i64 = d;
        v->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    }
    return SR_OK;
}

static sr_status ox_node(ox_ctx *c)
{
    const Onnx__NodeProto *nd = c->cur;
    const char *op = nd->op_type ? nd->op_type : "";
    if (nd->domain && nd->domain[0] && strcmp(nd->domain, "ai.onnx") != 0)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "operator domain '%s' is not supported", nd->domain);
    if (c->opset < 0)
        return ox_fail(c, SR_ERR_PARSE, "the model declares no opset for the default ONNX domain");
    if (nd->n_output < 1)
        return ox_fail(c, SR_ERR_PARSE, "node has no output");
    sr_node_attr a = sr_node_attr_default();
    sr_status st;
    if (strcmp(op, "Conv") == 0)
        return ox_conv(c);
    if (strcmp(op, "MaxPool") == 0)
        return ox_pool(c, SR_OP_MAXPOOL);
    if (strcmp(op, "AveragePool") == 0)
        return ox_pool(c, SR_OP_AVGPOOL);
    if (strcmp(op, "GlobalAveragePool") == 0) {
        if ((st = ox_check_attrs(c, NULL)) != SR_OK)
            return st;
        return ox_unary(c, SR_OP_GLOBAL_AVGPOOL, NULL);
    }
    if (strcmp(op, "Gemm") == 0)
        return ox_gemm(c);
    if (strcmp(op, "MatMul") == 0 || strcmp(op, "Add") == 0)
        return ox_binary(c, op[0] == 'M' ? SR_OP_MATMUL : SR_OP_ADD);
    if (strcmp(op, "Relu") == 0 || strcmp(op, "Sigmoid") == 0) {
        if ((st = ox_check_attrs(c, (const char *const[]){"consumed_inputs", NULL})) != SR_OK)
            return st;
        return ox_unary(c, op[0] == 'R' ? SR_OP_RELU : SR_OP_SIGMOID, NULL);
    }
    if (strcmp(op, "LeakyRelu") == 0) {
        if ((st = ox_check_attrs(c, (const char *const[]){"alpha", "consumed_inputs", NULL})) != SR_OK ||
            (st = ox_attr_float(c, "alpha", 0.01f, &a.alpha)) != SR_OK)
            return st;
        return ox_unary(c, SR_OP_LEAKY_RELU, &a);
    }
    if (strcmp(op, "Clip") == 0)
        return ox_clip(c);
    if (strcmp(op, "BatchNormalization") == 0)
        return ox_batchnorm(c);
    if (strcmp(op, "Concat") == 0)
        return ox_concat(c);
    if (strcmp(op, "Flatten") == 0)
        return ox_flatten(c);
    if (strcmp(op, "Reshape") == 0)
        return ox_reshape(c);
    if (strcmp(op, "Softmax") == 0)
        return ox_softmax(c);
    if (strcmp(op, "Dropout") == 0)
        return ox_dropout(c);
    if (strcmp(op, "Identity") == 0)
        return ox_identity(c);
    if (strcmp(op, "Constant") == 0)
        return ox_constant(c);
    return ox_fail(c, SR_ERR_UNSUPPORTED, "unsupported operator");
}

/* ---- graph ---- */

static const sr_onnx_tensor *ox_feed(const ox_ctx *c, const char *name)
{
    if (c->opt == NULL)
        return NULL;
    for (int i = 0; i < c->opt->n_feeds; i++)
        if (strcmp(c->opt->feeds[i].name, name) == 0)
            return &c->opt->feeds[i];
    return NULL;
}

static int ox_is_initializer(const Onnx__GraphProto *gp, const char *name)
{
    for (size_t i = 0; i < gp->n_initializer; i++)
        if (gp->initializer[i]->name && strcmp(gp->initializer[i]->name, name) == 0)
            return 1;
    return 0;
}

static sr_status ox_build(ox_ctx *c, const Onnx__ModelProto *m)
{
    const Onnx__GraphProto *gp = m->graph;
    sr_status st;
    if (gp == NULL)
        return ox_fail(c, SR_ERR_PARSE, "the model has no graph");
    /* opset of the default domain */
    c->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if ((o->domain == NULL || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0) && o->has_version)
            c->opset = o->version;
    }
    if (gp->n_sparse_initializer > 0)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "sparse initializers are not supported");

    /* initializers (a fed graph input of the same name overrides its initializer) */
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *t = gp->initializer[i];
        if (t->name && ox_feed(c, t->name))
            continue;
        ox_val *v;
        if ((st = ox_new_val(c, t->name, &v)) != SR_OK || (st = ox_tensor_to_val(c, t, v)) != SR_OK)
            return st;
    }
    /* graph inputs that are not initializers */
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *name = vi->name;
        if (name == NULL || name[0] == '\0')
            return ox_fail(c, SR_ERR_PARSE, "graph input %zu has no name", i);
        const sr_onnx_tensor *feed = ox_feed(c, name);
        if (feed == NULL && ox_is_initializer(gp, name))
            continue;
        ox_val *v;
        if ((st = ox_new_val(c, name, &v)) != SR_OK)
            return st;
        if (feed) {
            v->feed = feed; /* becomes a node or a constant where it is used */
            continue;
        }
        const Onnx__TypeProto *tp = vi->type;
        if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || tp->tensor_type == NULL)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "graph input '%s' is not a tensor", name);
        const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
        if (!tt->has_elem_type || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "graph input '%s' has element type %s (only FLOAT)", name,
                           ox_type_name(tt->has_elem_type ? tt->elem_type : 0));
        if (tt->shape == NULL)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "graph input '%s' has no shape", name);
        if (tt->shape->n_dim > SR_MAX_RANK)
            return ox_fail(c, SR_ERR_UNSUPPORTED, "graph input '%s' has rank %zu (at most %d)", name,
                           tt->shape->n_dim, SR_MAX_RANK);
        sr_shape s = {.rank = (int)tt->shape->n_dim};
        for (size_t k = 0; k < tt->shape->n_dim; k++) {
            const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[k];
            if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0) {
                s.d[k] = d->dim_value;
            } else if (k == 0) {
                s.d[k] = 1; /* symbolic batch: batch 1 */
            } else {
                const char *sym = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param
                                      ? d->dim_param
                                      : "?";
                return ox_fail(c, SR_ERR_UNSUPPORTED,
                               "graph input '%s' has a symbolic or empty dimension '%s' at position %zu; the model "
                               "needs a fixed input size",
                               name, sym, k);
            }
        }
        if ((st = ox_add_input_node(c, name, s, &v->node)) != SR_OK)
            return st;
    }
    /* nodes */
    for (size_t i = 0; i < gp->n_node; i++) {
        c->cur = gp->node[i];
        c->cur_index = (int)i;
        if ((st = ox_node(c)) != SR_OK)
            return st;
    }
    c->cur = NULL;
    /* outputs */
    if (gp->n_output < 1)
        return ox_fail(c, SR_ERR_PARSE, "the graph has no output");
    if (gp->n_output > SR_ONNX_MAX_IO)
        return ox_fail(c, SR_ERR_UNSUPPORTED, "more than %d graph outputs", SR_ONNX_MAX_IO);
    int out_ids[SR_ONNX_MAX_IO];
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name;
        ox_val *v;
        if (name == NULL || (v = ox_find(c, name)) == NULL)
            return ox_fail(c, SR_ERR_PARSE, "graph output '%s' is not produced by any node", name ? name : "");
        if ((st = ox_val_node(c, v, &out_ids[i])) != SR_OK)
            return st;
    }
    /* sr_graph_output() is the last node: make it the first graph output */
    if (out_ids[0] != sr_graph_output(c->g)) {
        char nm[SR_NAME_MAX];
        snprintf(nm, sizeof nm, "%s", gp->output[0]->name);
        if ((st = ox_add(c, SR_OP_DROPOUT, nm, "output", &out_ids[0], 1, NULL, &out_ids[0])) != SR_OK)
            return st;
    }
    if (c->io) {
        c->io->n_outputs = (int)gp->n_output;
        for (size_t i = 0; i < gp->n_output; i++) {
            c->io->output_ids[i] = out_ids[i];
            snprintf(c->io->output_names[i], SR_ONNX_IO_NAME_MAX, "%s", gp->output[i]->name);
        }
    }
    return ox_infer(c);
}

static void ox_ctx_clear(ox_ctx *c)
{
    for (int i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->lent);
    free(c->vals);
    free(c->fills);
}

/* ---- the skeleton: the model without its initializers' raw data ---- */

typedef struct ox_buf {
    uint8_t *b;
    size_t n, cap;
} ox_buf;

typedef struct ox_spans { /* where the raw data of initializer i of the main graph lies in the file (len 0: none) */
    size_t *off, *len;
    int n, cap;
} ox_spans;

static int ox_buf_put(ox_buf *s, const void *p, size_t n)
{
    if (n > SIZE_MAX / 2 - s->n)
        return -1;
    if (s->n + n > s->cap) {
        size_t cap = s->cap ? s->cap : 256;
        while (cap < s->n + n)
            cap *= 2;
        uint8_t *nb = realloc(s->b, cap);
        if (nb == NULL)
            return -1;
        s->b = nb;
        s->cap = cap;
    }
    if (n)
        memcpy(s->b + s->n, p, n);
    s->n += n;
    return 0;
}

static int ox_buf_varint(ox_buf *s, uint64_t v)
{
    uint8_t b[10];
    int k = 0;
    do {
        b[k++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return ox_buf_put(s, b, (size_t)k);
}

static int ox_read_varint(const uint8_t *p, size_t end, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= end)
            return -1;
        uint8_t b = p[(*pos)++];
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Copies the message in p[pos, end) to out, level 0 a ModelProto, 1 its graph, 2 an initializer of it: the
 * graph (field 7) and its initializers (field 5) are rewritten, an initializer's raw_data (field 9) is left out
 * and its place recorded in sp. -1 on anything it does not follow (groups, lengths past the end, memory). */
static int ox_skeleton_msg(const uint8_t *p, size_t pos, size_t end, int level, ox_buf *out, ox_spans *sp)
{
    while (pos < end) {
        size_t start = pos;
        uint64_t tag, len, v;
        if (ox_read_varint(p, end, &pos, &tag) != 0 || (tag >> 3) == 0)
            return -1;
        uint64_t field = tag >> 3;
        switch (tag & 7) {
        case 0:
            if (ox_read_varint(p, end, &pos, &v) != 0)
                return -1;
            break;
        case 1:
        case 5: {
            size_t w = (tag & 7) == 1 ? 8 : 4;
            if (end - pos < w)
                return -1;
            pos += w;
            break;
        }
        case 2: {
            if (ox_read_varint(p, end, &pos, &len) != 0 || len > end - pos)
                return -1;
            size_t body = pos;
            pos += (size_t)len;
            if ((level == 0 && field == 7) || (level == 1 && field == 5)) {
                if (level == 1) {
                    if (sp->n == sp->cap) {
                        int cap = sp->cap ? 2 * sp->cap : 64;
                        size_t *no = realloc(sp->off, (size_t)cap * sizeof *no);
                        if (no == NULL)
                            return -1;
                        sp->off = no;
                        size_t *nl = realloc(sp->len, (size_t)cap * sizeof *nl);
                        if (nl == NULL)
                            return -1;
                        sp->len = nl;
                        sp->cap = cap;
                    }
                    sp->off[sp->n] = 0;
                    sp->len[sp->n++] = 0;
                }
                ox_buf sub = {0};
                int bad = ox_skeleton_msg(p, body, pos, level + 1, &sub, sp) != 0 || ox_buf_varint(out, tag) != 0 ||
                          ox_buf_varint(out, sub.n) != 0 || ox_buf_put(out, sub.b, sub.n) != 0;
                free(sub.b);
                if (bad)
                    return -1;
                continue;
            }
            if (level == 2 && field == 9) { /* the last raw_data wins, as protobuf merges */
                sp->off[sp->n - 1] = body;
                sp->len[sp->n - 1] = (size_t)len;
                continue;
            }
            break;
        }
        default:
            return -1;
        }
        if (ox_buf_put(out, p + start, pos - start) != 0)
            return -1;
    }
    return 0;
}

/* The model unpacked from its skeleton, the main graph's initializers pointing into the mapping; NULL when the
 * skeleton cannot be made or does not unpack to the same initializers (the caller then unpacks the file). */
static Onnx__ModelProto *ox_unpack_skeleton(const uint8_t *map, size_t size)
{
    ox_buf sk = {0};
    ox_spans sp = {0};
    Onnx__ModelProto *m = NULL;
    if (ox_skeleton_msg(map, 0, size, 0, &sk, &sp) == 0)
        m = onnx__model_proto__unpack(NULL, sk.n, sk.b ? sk.b : (const uint8_t *)"");
    free(sk.b);
    if (m && (m->graph ? (int)m->graph->n_initializer : 0) != sp.n) {
        onnx__model_proto__free_unpacked(m, NULL);
        m = NULL;
    }
    for (int i = 0; m && i < sp.n; i++) {
        if (sp.len[i] == 0)
            continue;
        Onnx__TensorProto *t = m->graph->initializer[i];
        t->has_raw_data = 1;
        t->raw_data.data = (uint8_t *)(uintptr_t)(map + sp.off[i]); /* never written: the mapping is read-only */
        t->raw_data.len = sp.len[i];
    }
    free(sp.off);
    free(sp.len);
    return m;
}

/* Points the model's tensors away from the mapping before protobuf-c frees the model. */
static void ox_unlink_map(const ox_ctx *c, Onnx__ModelProto *m)
{
    for (size_t i = 0; m && m->graph && i < m->graph->n_initializer; i++) {
        Onnx__TensorProto *t = m->graph->initializer[i];
        if (t->has_raw_data && ox_in_map(c, t->raw_data.data)) {
            t->raw_data.data = NULL;
            t->raw_data.len = 0;
        }
    }
}

/* Copies n bytes from src to dst; when src is in the mapping and release is set, drops the mapped pages behind
 * the copy as it goes (they are read again from the file if anything touches them later). */
static void ox_copy(const ox_ctx *c, void *dst, const void *src, size_t n, int release)
{
    const size_t chunk = (size_t)4 << 20;
    long pg = sysconf(_SC_PAGESIZE);
    size_t page = pg > 0 ? (size_t)pg : 4096;
    int drop = release && ox_in_map(c, src);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < chunk ? n - done : chunk;
        memcpy((char *)dst + done, (const char *)src + done, k);
        done += k;
        if (!drop)
            continue;
        uintptr_t lo = ((uintptr_t)src + page - 1) / page * page; /* whole pages inside [src, src + done) */
        uintptr_t hi = ((uintptr_t)src + done) / page * page;
        if (done == n && (const uint8_t *)src + n == c->map + c->map_size)
            hi = ((uintptr_t)src + n + page - 1) / page * page;
        if (hi > lo)
            madvise((void *)lo, hi - lo, MADV_DONTNEED);
    }
}

sr_status sr_onnx_load_ex(const char *path, const sr_onnx_options *opt, sr_graph **g, sr_weights **w,
                          sr_onnx_io *io, char *err, size_t err_size)
{
    if (path == NULL || g == NULL || w == NULL)
        return SR_ERR_INVALID;
    *g = NULL;
    *w = NULL;
    if (err && err_size)
        err[0] = '\0';
    if (io)
        memset(io, 0, sizeof *io);
    ox_ctx c = {.path = path, .err = err, .err_size = err_size, .opt = opt, .io = io};
    Onnx__ModelProto *m = NULL;
    sr_weights *wt = NULL;
    sr_status st = SR_OK;
    /* The file stays mapped until the weights are copied out of it (ox_unpack_skeleton). */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        st = ox_fail(&c, SR_ERR_IO, "cannot read: %s", strerror(errno));
        goto cleanup;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        int e = S_ISDIR(sb.st_mode) ? EISDIR : errno;
        close(fd);
        st = ox_fail(&c, SR_ERR_IO, "cannot read: %s", strerror(e));
        goto cleanup;
    }
    if ((uint64_t)sb.st_size > SR_ONNX_MAX_BYTES) {
        close(fd);
        st = ox_fail(&c, SR_ERR_UNSUPPORTED,
                     "%lld bytes: an ONNX file is one protobuf message, at most 2 GiB (larger models keep their "
                     "weights in external data files, which simrun does not read)",
                     (long long)sb.st_size);
        goto cleanup;
    }
    size_t size = (size_t)sb.st_size;
    void *map = size ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    int map_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        st = ox_fail(&c, SR_ERR_IO, "cannot map: %s", strerror(map_errno));
        goto cleanup;
    }
    if (map) {
        madvise(map, size, MADV_SEQUENTIAL);
        c.map = map;
        c.map_size = size;
        m = ox_unpack_skeleton(map, size);
    }
    if (m == NULL)
        m = onnx__model_proto__unpack(NULL, size, map ? (const uint8_t *)map : (const uint8_t *)"");
    if (m == NULL) {
        st = ox_fail(&c, SR_ERR_PARSE, "not a valid ONNX model (protobuf decoding failed: truncated or not ONNX)");
        goto cleanup;
    }
    const char *gname = m->graph && m->graph->name && m->graph->name[0] ? m->graph->name : "onnx";
    char name[SR_NAME_MAX];
    snprintf(name, sizeof name, "%s", gname);
    if ((st = sr_graph_create(name, &c.g)) != SR_OK)
        goto cleanup;
    if ((st = ox_build(&c, m)) != SR_OK)
        goto cleanup;
    if ((st = sr_weights_create(c.g, &wt)) != SR_OK) {
        ox_fail(&c, st, "cannot allocate weights");
        goto cleanup;
    }
    for (int i = 0; i < c.n_fills; i++) {
        const ox_fill *f = &c.fills[i];
        int64_t n = 0;
        float *dst = sr_weights_get(wt, f->node, f->role, &n);
        if (dst == NULL || n != f->n) {
            st = ox_fail(&c, SR_ERR_SHAPE, "node '%s': parameter %d has %lld values, the graph expects %lld",
                         sr_graph_node(c.g, f->node)->name, (int)f->role, (long long)f->n, (long long)n);
            goto cleanup;
        }
        int used_later = 0; /* one tensor can feed several parameters */
        for (int j = i + 1; j < c.n_fills && !used_later; j++)
            used_later = c.fills[j].src == f->src;
        ox_copy(&c, dst, f->src, (size_t)n * sizeof *dst, !used_later);
        if (!used_later)
            free(ox_detach(&c, f->src));
    }
    *g = c.g;
    *w = wt;
    c.g = NULL;
    wt = NULL;
cleanup:
    if (st != SR_OK && io)
        memset(io, 0, sizeof *io);
    sr_weights_free(wt);
    sr_graph_free(c.g);
    ox_ctx_clear(&c);
    ox_unlink_map(&c, m);
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    if (c.map)
        munmap((void *)(uintptr_t)c.map, c.map_size);
    return st;
}

sr_status sr_onnx_load(const char *path, sr_graph **g, sr_weights **w, char *err, size_t err_size)
{
    return sr_onnx_load_ex(path, NULL, g, w, NULL, err, err_size);
}

/* ---- TensorProto files ---- */

sr_status sr_onnx_tensor_read(const char *path, sr_onnx_tensor *out, char *err, size_t err_size)
{
    if (path == NULL || out == NULL)
        return SR_ERR_INVALID;
    memset(out, 0, sizeof *out);
    if (err && err_size)
        err[0] = '\0';
    ox_ctx c = {.path = path, .err = err, .err_size = err_size};
    uint8_t *data = NULL;
    size_t size = 0;
    sr_status st = sr_file_read_max(path, (size_t)SR_ONNX_MAX_BYTES, &data, &size);
    if (st != SR_OK) {
        char why[160];
        return ox_fail(&c, st, "cannot read: %s",
                       sr_file_read_why(st, errno, (size_t)SR_ONNX_MAX_BYTES, "a tensor", why, sizeof why));
    }
    Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, size, data);
    free(data);
    if (t == NULL)
        return ox_fail(&c, SR_ERR_PARSE, "not a valid ONNX TensorProto");
    ox_val v = {.name = t->name ? t->name : "", .node = -1};
    st = ox_tensor_to_val(&c, t, &v);
    if (st == SR_OK) {
        /* the values live in a context buffer or in the unpacked message: take the buffer over */
        void *buf = ox_detach(&c, v.f ? (const void *)v.f : (const void *)v.i64);
        if (buf == NULL)
            st = ox_fail(&c, SR_ERR_INVALID, "tensor '%s': its values have no buffer to hand over", v.name);
        out->data = v.f ? (float *)buf : NULL;
        out->data_i64 = v.f ? NULL : (int64_t *)buf;
        out->shape = v.shape;
        snprintf(out->name, sizeof out->name, "%s", t->name ? t->name : "");
    }
    onnx__tensor_proto__free_unpacked(t, NULL);
    ox_ctx_clear(&c);
    return st;
}

void sr_onnx_tensor_clear(sr_onnx_tensor *t)
{
    if (t == NULL)
        return;
    free(t->data);
    free(t->data_i64);
    memset(t, 0, sizeof *t);
}
