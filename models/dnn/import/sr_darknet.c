/* sr_darknet.c: darknet .cfg (+ optional .weights) importer.
 *
 * Two passes: the cfg text is read into sections of key=value options (whitespace removed, as darknet
 * does; '#' and ';' start comments), then each section becomes one darknet "layer" made of graph nodes.
 * Shapes are inferred after every layer so route/region/connected can check what they receive, and
 * errors name the cfg line. Weights are either He-initialised from a seed or read from a darknet
 * binary .weights file in layer order. */
#include "sr_darknet.h"

#include "sr_file.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct dn_kv {
    char *key;
    char *val;
    int line;
    int used;
} dn_kv;

typedef struct dn_section {
    char *type;
    int line;
    dn_kv *kv;
    int n_kv, cap_kv;
} dn_section;

/* A layer that owns parameters in the .weights file. */
typedef struct dn_param_layer {
    int is_conv; /* 1: [convolutional], 0: [connected] */
    int layer;
    int line;
    int main_id; /* conv or fc node */
    int bn_id;   /* -1 without batch_normalize */
} dn_param_layer;

/* a .weights header: int32 major, minor, revision, then "seen" in 4 or 8 bytes */
#define DN_WEIGHTS_HEADER_MAX 20

typedef struct dn_ctx {
    const char *path;
    char *err;
    size_t err_size;
    dn_section *sec;
    int n_sec, cap_sec;
    sr_graph *g;
    int *layer_out; /* node id of each layer's output */
    int n_layers;
    dn_param_layer *pl;
    int n_pl;
    int64_t floats; /* parameters of the whole graph: at least what its .weights file holds */
} dn_ctx;

#if defined(__GNUC__)
#define DN_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define DN_PRINTF(a, b)
#endif

static sr_status dn_fail(dn_ctx *c, sr_status st, int line, const char *fmt, ...) DN_PRINTF(4, 5);

/* Writes "path:line: message" (or "path: message" for line 0) into the error buffer; returns st. */
static sr_status dn_fail(dn_ctx *c, sr_status st, int line, const char *fmt, ...)
{
    if (c->err == NULL || c->err_size == 0)
        return st;
    int n = line > 0 ? snprintf(c->err, c->err_size, "%s:%d: ", c->path, line)
                     : snprintf(c->err, c->err_size, "%s: ", c->path);
    if (n < 0 || (size_t)n >= c->err_size)
        return st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->err_size - (size_t)n, fmt, ap);
    va_end(ap);
    return st;
}

static char *dn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void dn_ctx_clear(dn_ctx *c)
{
    for (int i = 0; i < c->n_sec; i++) {
        for (int k = 0; k < c->sec[i].n_kv; k++) {
            free(c->sec[i].kv[k].key);
            free(c->sec[i].kv[k].val);
        }
        free(c->sec[i].kv);
        free(c->sec[i].type);
    }
    free(c->sec);
    free(c->layer_out);
    free(c->pl);
}

/* ---- pass 1: text -> sections ---- */

static sr_status dn_add_section(dn_ctx *c, const char *type, int line)
{
    if (c->n_sec == c->cap_sec) {
        int cap = c->cap_sec ? 2 * c->cap_sec : 16;
        dn_section *p = realloc(c->sec, (size_t)cap * sizeof *p);
        if (p == NULL)
            return SR_ERR_NOMEM;
        c->sec = p;
        c->cap_sec = cap;
    }
    dn_section *s = &c->sec[c->n_sec];
    memset(s, 0, sizeof *s);
    s->type = dn_strdup(type);
    if (s->type == NULL)
        return SR_ERR_NOMEM;
    s->line = line;
    c->n_sec++;
    return SR_OK;
}

static sr_status dn_add_kv(dn_ctx *c, dn_section *s, const char *key, const char *val, int line)
{
    for (int k = 0; k < s->n_kv; k++)
        if (strcmp(s->kv[k].key, key) == 0)
            return dn_fail(c, SR_ERR_PARSE, line, "duplicate key '%s' in [%s] (first set on line %d)", key,
                           s->type, s->kv[k].line);
    if (s->n_kv == s->cap_kv) {
        int cap = s->cap_kv ? 2 * s->cap_kv : 8;
        dn_kv *p = realloc(s->kv, (size_t)cap * sizeof *p);
        if (p == NULL)
            return SR_ERR_NOMEM;
        s->kv = p;
        s->cap_kv = cap;
    }
    dn_kv *kv = &s->kv[s->n_kv];
    kv->key = dn_strdup(key);
    kv->val = dn_strdup(val);
    kv->line = line;
    kv->used = 0;
    if (kv->key == NULL || kv->val == NULL) {
        free(kv->key);
        free(kv->val);
        return SR_ERR_NOMEM;
    }
    s->n_kv++;
    return SR_OK;
}

static sr_status dn_parse_text(dn_ctx *c, FILE *f)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    int line = 0;
    sr_status st = SR_OK;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        line++;
        /* darknet's strip(): drop every whitespace character */
        size_t o = 0;
        for (ssize_t i = 0; i < len; i++) {
            char ch = buf[i];
            if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' && ch != '\v' && ch != '\f')
                buf[o++] = ch;
        }
        buf[o] = '\0';
        if (o == 0 || buf[0] == '#' || buf[0] == ';')
            continue;
        if (memchr(buf, '\0', o) != NULL) {
            st = dn_fail(c, SR_ERR_PARSE, line, "NUL byte in the text (is this a binary file?)");
            break;
        }
        if (buf[0] == '[') {
            if (buf[o - 1] != ']' || o < 3) {
                st = dn_fail(c, SR_ERR_PARSE, line, "expected a section header like '[convolutional]', got '%s'",
                             buf);
                break;
            }
            buf[o - 1] = '\0';
            st = dn_add_section(c, buf + 1, line);
            if (st != SR_OK)
                break;
            continue;
        }
        char *eq = strchr(buf, '=');
        if (eq == NULL || eq == buf) {
            st = dn_fail(c, SR_ERR_PARSE, line, "expected 'key=value' or '[section]', got '%s'", buf);
            break;
        }
        if (c->n_sec == 0) {
            st = dn_fail(c, SR_ERR_PARSE, line, "'%s' appears before the first [section] header", buf);
            break;
        }
        *eq = '\0';
        st = dn_add_kv(c, &c->sec[c->n_sec - 1], buf, eq + 1, line);
        if (st != SR_OK)
            break;
    }
    free(buf);
    if (st == SR_OK && ferror(f))
        st = dn_fail(c, SR_ERR_IO, 0, "read error");
    if (st == SR_OK && c->n_sec == 0)
        st = dn_fail(c, SR_ERR_PARSE, line, "no sections: expected [net] followed by layers");
    return st;
}

/* ---- option access ---- */

static dn_kv *dn_find(dn_section *s, const char *key)
{
    for (int k = 0; k < s->n_kv; k++)
        if (strcmp(s->kv[k].key, key) == 0) {
            s->kv[k].used = 1;
            return &s->kv[k];
        }
    return NULL;
}

static sr_status dn_parse_int(dn_ctx *c, const dn_kv *kv, const char *text, int lo, int hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return dn_fail(c, SR_ERR_PARSE, kv->line, "%s: expected an integer, got '%s'", kv->key, text);
    if (v < lo || v > hi)
        return dn_fail(c, SR_ERR_RANGE, kv->line, "%s: %ld is out of range (expected %d..%d)", kv->key, v, lo, hi);
    *out = (int)v;
    return SR_OK;
}

/* Integer option: missing -> def, or an error when required. */
static sr_status dn_int(dn_ctx *c, dn_section *s, const char *key, int def, int required, int lo, int hi,
                        int *out)
{
    dn_kv *kv = dn_find(s, key);
    if (kv == NULL) {
        if (required)
            return dn_fail(c, SR_ERR_PARSE, s->line, "[%s] needs '%s=<integer>' (missing)", s->type, key);
        *out = def;
        return SR_OK;
    }
    return dn_parse_int(c, kv, kv->val, lo, hi, out);
}

static sr_status dn_float(dn_ctx *c, dn_section *s, const char *key, double def, double lo, double hi,
                          double *out)
{
    dn_kv *kv = dn_find(s, key);
    if (kv == NULL) {
        *out = def;
        return SR_OK;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(kv->val, &end);
    if (end == kv->val || *end != '\0' || errno == ERANGE)
        return dn_fail(c, SR_ERR_PARSE, kv->line, "%s: expected a number, got '%s'", key, kv->val);
    if (!(v >= lo && v <= hi))
        return dn_fail(c, SR_ERR_RANGE, kv->line, "%s: %g is out of range (expected %g..%g)", key, v, lo, hi);
    *out = v;
    return SR_OK;
}

static const char *dn_str(dn_section *s, const char *key, const char *def, int *line)
{
    dn_kv *kv = dn_find(s, key);
    if (line)
        *line = kv ? kv->line : s->line;
    return kv ? kv->val : def;
}

/* Every option not read by the builder must be in `ignored` (training-only keys); anything else is an
 * error so that a typo or an unmodelled feature is never silently dropped. */
static sr_status dn_check_unused(dn_ctx *c, dn_section *s, const char *const *ignored)
{
    for (int k = 0; k < s->n_kv; k++) {
        if (s->kv[k].used)
            continue;
        int ok = 0;
        for (int i = 0; ignored && ignored[i]; i++)
            if (strcmp(ignored[i], s->kv[k].key) == 0)
                ok = 1;
        if (!ok)
            return dn_fail(c, SR_ERR_UNSUPPORTED, s->kv[k].line, "unknown or unsupported key '%s' in [%s]",
                           s->kv[k].key, s->type);
    }
    return SR_OK;
}

static const char *const dn_net_ignored[] = {
    "batch", "subdivisions", "momentum", "decay", "angle", "saturation", "exposure", "hue", "learning_rate",
    "burn_in", "max_batches", "policy", "steps", "scales", "step", "gamma", "power", "max_crop", "min_crop",
    "aspect", "flip", "mosaic", "letter_box", "time_steps", "adam", "B1", "B2", "eps", "jitter", "random",
    "rate", "mixup", "blur", "cutmix", "track", "augment_speed", "sequential_subdivisions", "label_smooth_eps",
    NULL};
static const char *const dn_region_ignored[] = {
    "anchors", "bias_match", "softmax", "jitter", "rescore", "object_scale", "noobject_scale", "class_scale",
    "coord_scale", "absolute", "thresh", "random", "log", "sqrt", "tree", "map", "max", "focal_loss", NULL};
static const char *const dn_cost_ignored[] = {"type", "scale", "ratio", "noobject_scale", "thresh", NULL};
static const char *const dn_dropout_ignored[] = {"probability", NULL};

/* Sections that exist in darknet but have no equivalent in the simrun graph. */
static const char *const dn_unsupported_sections[] = {
    "yolo", "upsample", "deconvolutional", "local", "crnn", "rnn", "lstm", "gru", "crop", "detection",
    "normalization", "lrn", "batchnorm", "logistic", "l2norm", "scale_channels", "sam", "maxpool1d",
    "conv_lstm", "gaussian_yolo", "implicit_add", "implicit_mul", "contrastive", "empty", "silence",
    "activation", "iseg", NULL};

/* ---- pass 2: sections -> graph ---- */

static sr_status dn_infer(dn_ctx *c, const dn_section *s, int layer)
{
    char msg[256] = "";
    sr_status st = sr_graph_infer(c->g, msg, sizeof msg);
    if (st != SR_OK)
        return dn_fail(c, st, s->line, "[%s] (layer %d): %s", s->type, layer, msg);
    return SR_OK;
}

static sr_status dn_add(dn_ctx *c, const dn_section *s, sr_op op, int layer, const char *suffix,
                        const int *in, int n_in, const sr_node_attr *attr, int *id)
{
    char name[SR_NAME_MAX];
    snprintf(name, sizeof name, "L%d_%s", layer, suffix);
    int r = sr_graph_add(c->g, op, name, in, n_in, attr);
    if (r < 0)
        return dn_fail(c, (sr_status)r, s->line, "[%s] (layer %d): cannot add node %s: %s", s->type, layer, name,
                       sr_status_message(r));
    *id = r;
    return SR_OK;
}

/* Applies a darknet activation to node *id (in place: *id becomes the activation's node). */
static sr_status dn_activation(dn_ctx *c, dn_section *s, int layer, const char *def, int *id)
{
    int line;
    const char *a = dn_str(s, "activation", def, &line);
    sr_node_attr attr = sr_node_attr_default();
    sr_op op;
    if (strcmp(a, "linear") == 0)
        return SR_OK;
    if (strcmp(a, "leaky") == 0) {
        op = SR_OP_LEAKY_RELU;
        attr.alpha = 0.1f;
    } else if (strcmp(a, "relu") == 0) {
        op = SR_OP_RELU;
    } else if (strcmp(a, "logistic") == 0) {
        op = SR_OP_SIGMOID;
    } else {
        return dn_fail(c, SR_ERR_UNSUPPORTED, line,
                       "activation '%s' is not supported (expected leaky, linear, relu or logistic)", a);
    }
    int in = *id;
    return dn_add(c, s, op, layer, sr_op_name(op), &in, 1, &attr, id);
}

static const sr_shape *dn_shape(const dn_ctx *c, int id)
{
    return &sr_graph_node(c->g, id)->out;
}

static sr_status dn_push_param_layer(dn_ctx *c, int is_conv, int layer, int line, int main_id, int bn_id)
{
    dn_param_layer *p = realloc(c->pl, (size_t)(c->n_pl + 1) * sizeof *p);
    if (p == NULL)
        return SR_ERR_NOMEM;
    c->pl = p;
    p[c->n_pl++] = (dn_param_layer){is_conv, layer, line, main_id, bn_id};
    return SR_OK;
}

static sr_status dn_conv(dn_ctx *c, dn_section *s, int layer, int in, int *out)
{
    int filters, size, stride, pad, padding, groups, dilation, bn;
    sr_status st;
    if ((st = dn_int(c, s, "filters", 0, 1, 1, 1 << 20, &filters)) != SR_OK ||
        (st = dn_int(c, s, "size", 1, 0, 1, 1024, &size)) != SR_OK ||
        (st = dn_int(c, s, "stride", 1, 0, 1, 1024, &stride)) != SR_OK ||
        (st = dn_int(c, s, "pad", 0, 0, 0, 1, &pad)) != SR_OK ||
        (st = dn_int(c, s, "padding", 0, 0, 0, 1024, &padding)) != SR_OK ||
        (st = dn_int(c, s, "groups", 1, 0, 1, 1 << 20, &groups)) != SR_OK ||
        (st = dn_int(c, s, "dilation", 1, 0, 1, 1024, &dilation)) != SR_OK ||
        (st = dn_int(c, s, "batch_normalize", 0, 0, 0, 1, &bn)) != SR_OK)
        return st;
    if (pad)
        padding = size / 2; /* darknet: pad=1 overrides padding */
    const sr_shape *ish = dn_shape(c, in);
    if (ish->rank != 4)
        return dn_fail(c, SR_ERR_SHAPE, s->line, "[convolutional] (layer %d) needs a CxHxW input, got rank %d",
                       layer, ish->rank);
    if (ish->d[1] % groups != 0 || filters % groups != 0)
        return dn_fail(c, SR_ERR_SHAPE, s->line,
                       "[convolutional] (layer %d): groups=%d must divide the input channels (%lld) and filters "
                       "(%d)",
                       layer, groups, (long long)ish->d[1], filters);
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = filters;
    a.kernel_h = a.kernel_w = size;
    a.stride_h = a.stride_w = stride;
    a.dilation_h = a.dilation_w = dilation;
    a.pad_top = a.pad_left = a.pad_bottom = a.pad_right = padding;
    a.groups = groups;
    a.has_bias = !bn;
    int id, conv_id, bn_id = -1;
    if ((st = dn_add(c, s, SR_OP_CONV, layer, "conv", &in, 1, &a, &conv_id)) != SR_OK)
        return st;
    id = conv_id;
    if (bn) {
        sr_node_attr b = sr_node_attr_default();
        b.eps = 1e-6f; /* darknet divides by sqrt(var) + .000001 */
        if ((st = dn_add(c, s, SR_OP_BATCHNORM, layer, "bn", &conv_id, 1, &b, &bn_id)) != SR_OK)
            return st;
        id = bn_id;
    }
    if ((st = dn_push_param_layer(c, 1, layer, s->line, conv_id, bn_id)) != SR_OK)
        return st;
    if ((st = dn_activation(c, s, layer, "logistic", &id)) != SR_OK)
        return st;
    *out = id;
    return SR_OK;
}

static sr_status dn_maxpool(dn_ctx *c, dn_section *s, int layer, int in, int *out)
{
    int stride, size, padding;
    sr_status st;
    if ((st = dn_int(c, s, "stride", 1, 0, 1, 1024, &stride)) != SR_OK ||
        (st = dn_int(c, s, "size", stride, 0, 1, 1024, &size)) != SR_OK ||
        (st = dn_int(c, s, "padding", size - 1, 0, 0, 1024, &padding)) != SR_OK)
        return st;
    sr_node_attr a = sr_node_attr_default();
    a.kernel_h = a.kernel_w = size;
    a.stride_h = a.stride_w = stride;
    a.pad_top = a.pad_left = padding / 2;
    a.pad_bottom = a.pad_right = padding - padding / 2;
    return dn_add(c, s, SR_OP_MAXPOOL, layer, "maxpool", &in, 1, &a, out);
}

static sr_status dn_connected(dn_ctx *c, dn_section *s, int layer, int in, int *out)
{
    int outputs, bn;
    sr_status st;
    if ((st = dn_int(c, s, "output", 1, 1, 1, 1 << 24, &outputs)) != SR_OK ||
        (st = dn_int(c, s, "batch_normalize", 0, 0, 0, 1, &bn)) != SR_OK)
        return st;
    if (bn)
        return dn_fail(c, SR_ERR_UNSUPPORTED, s->line, "[connected] (layer %d): batch_normalize=1 is not supported",
                       layer);
    sr_node_attr a = sr_node_attr_default();
    a.out_channels = outputs;
    a.has_bias = 1;
    int id;
    if ((st = dn_add(c, s, SR_OP_FC, layer, "fc", &in, 1, &a, &id)) != SR_OK)
        return st;
    if ((st = dn_push_param_layer(c, 0, layer, s->line, id, -1)) != SR_OK)
        return st;
    if ((st = dn_activation(c, s, layer, "logistic", &id)) != SR_OK)
        return st;
    *out = id;
    return SR_OK;
}

/* Resolves a darknet layer reference (negative: relative to `layer`) to an existing layer index. */
static sr_status dn_layer_ref(dn_ctx *c, const dn_kv *kv, const char *text, int layer, int *ref)
{
    int v = 0;
    sr_status st = dn_parse_int(c, kv, text, INT_MIN / 2, INT_MAX / 2, &v);
    if (st != SR_OK)
        return st;
    int idx = v < 0 ? layer + v : v;
    if (idx < 0 || idx >= layer)
        return dn_fail(c, SR_ERR_PARSE, kv->line,
                       "%s: %d refers to layer %d, which does not exist (this is layer %d; expected 0..%d or "
                       "-1..-%d)",
                       kv->key, v, idx, layer, layer - 1, layer);
    *ref = idx;
    return SR_OK;
}

static sr_status dn_route(dn_ctx *c, dn_section *s, int layer, int *out)
{
    dn_kv *kv = dn_find(s, "layers");
    if (kv == NULL)
        return dn_fail(c, SR_ERR_PARSE, s->line, "[route] needs 'layers=<index>[,<index>...]' (missing)");
    int ids[SR_MAX_INPUTS];
    int n = 0;
    char tmp[256];
    if (strlen(kv->val) >= sizeof tmp)
        return dn_fail(c, SR_ERR_PARSE, kv->line, "layers: list too long");
    strcpy(tmp, kv->val);
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == SR_MAX_INPUTS)
            return dn_fail(c, SR_ERR_UNSUPPORTED, kv->line, "layers: at most %d layers per route", SR_MAX_INPUTS);
        int ref = 0;
        sr_status st = dn_layer_ref(c, kv, tok, layer, &ref);
        if (st != SR_OK)
            return st;
        ids[n++] = c->layer_out[ref + 1];
    }
    if (n == 0)
        return dn_fail(c, SR_ERR_PARSE, kv->line, "layers: expected at least one layer index");
    if (n == 1) {
        *out = ids[0]; /* a route to one layer forwards its output unchanged */
        return SR_OK;
    }
    sr_node_attr a = sr_node_attr_default();
    a.axis = 1;
    return dn_add(c, s, SR_OP_CONCAT, layer, "route", ids, n, &a, out);
}

static sr_status dn_shortcut(dn_ctx *c, dn_section *s, int layer, int in, int *out)
{
    dn_kv *kv = dn_find(s, "from");
    if (kv == NULL)
        return dn_fail(c, SR_ERR_PARSE, s->line, "[shortcut] needs 'from=<index>' (missing)");
    int ref = 0;
    sr_status st = dn_layer_ref(c, kv, kv->val, layer, &ref);
    if (st != SR_OK)
        return st;
    int ids[2] = {in, c->layer_out[ref + 1]};
    int id;
    if ((st = dn_add(c, s, SR_OP_ADD, layer, "shortcut", ids, 2, NULL, &id)) != SR_OK)
        return st;
    if ((st = dn_activation(c, s, layer, "linear", &id)) != SR_OK)
        return st;
    *out = id;
    return SR_OK;
}

static sr_status dn_region(dn_ctx *c, dn_section *s, int layer, int in)
{
    int classes, coords, num;
    sr_status st;
    if ((st = dn_int(c, s, "classes", 20, 0, 1, 1 << 20, &classes)) != SR_OK ||
        (st = dn_int(c, s, "coords", 4, 0, 1, 1024, &coords)) != SR_OK ||
        (st = dn_int(c, s, "num", 1, 0, 1, 1024, &num)) != SR_OK)
        return st;
    const sr_shape *sh = dn_shape(c, in);
    int64_t want = (int64_t)num * (coords + 1 + classes);
    if (sh->rank != 4 || sh->d[1] != want)
        return dn_fail(c, SR_ERR_SHAPE, s->line,
                       "[region] (layer %d) expects num*(coords+1+classes) = %lld input channels, the previous "
                       "layer gives %lld",
                       layer, (long long)want, sh->rank == 4 ? (long long)sh->d[1] : -1LL);
    return SR_OK;
}

static sr_status dn_layer(dn_ctx *c, dn_section *s, int layer, int *out)
{
    int in = c->layer_out[layer]; /* previous layer's output (layer_out[0] is the input node) */
    const char *t = s->type;
    sr_status st;
    const char *const *ignored = NULL;
    if (strcmp(t, "convolutional") == 0 || strcmp(t, "conv") == 0) {
        st = dn_conv(c, s, layer, in, out);
    } else if (strcmp(t, "maxpool") == 0 || strcmp(t, "max") == 0) {
        st = dn_maxpool(c, s, layer, in, out);
    } else if (strcmp(t, "avgpool") == 0 || strcmp(t, "avg") == 0) {
        st = dn_add(c, s, SR_OP_GLOBAL_AVGPOOL, layer, "avgpool", &in, 1, NULL, out);
    } else if (strcmp(t, "connected") == 0 || strcmp(t, "conn") == 0) {
        st = dn_connected(c, s, layer, in, out);
    } else if (strcmp(t, "dropout") == 0) {
        double p;
        st = dn_float(c, s, "probability", 0.5, 0.0, 1.0, &p);
        if (st == SR_OK)
            st = dn_add(c, s, SR_OP_DROPOUT, layer, "dropout", &in, 1, NULL, out);
    } else if (strcmp(t, "softmax") == 0 || strcmp(t, "soft") == 0) {
        int groups;
        st = dn_int(c, s, "groups", 1, 0, 1, 1 << 20, &groups);
        if (st == SR_OK && groups != 1)
            st = dn_fail(c, SR_ERR_UNSUPPORTED, s->line, "[softmax] groups=%d is not supported (only 1)", groups);
        if (st == SR_OK) {
            sr_node_attr a = sr_node_attr_default();
            a.axis = 1;
            st = dn_add(c, s, SR_OP_SOFTMAX, layer, "softmax", &in, 1, &a, out);
        }
    } else if (strcmp(t, "route") == 0) {
        st = dn_route(c, s, layer, out);
    } else if (strcmp(t, "reorg") == 0) {
        int stride, reverse;
        st = dn_int(c, s, "stride", 1, 0, 1, 1024, &stride);
        if (st == SR_OK)
            st = dn_int(c, s, "reverse", 0, 0, 0, 1, &reverse);
        if (st == SR_OK && reverse)
            st = dn_fail(c, SR_ERR_UNSUPPORTED, s->line, "[reorg] reverse=1 is not supported");
        if (st == SR_OK) {
            sr_node_attr a = sr_node_attr_default();
            a.stride_h = a.stride_w = stride;
            st = dn_add(c, s, SR_OP_REORG, layer, "reorg", &in, 1, &a, out);
        }
    } else if (strcmp(t, "shortcut") == 0) {
        st = dn_shortcut(c, s, layer, in, out);
    } else if (strcmp(t, "region") == 0) {
        ignored = dn_region_ignored;
        st = dn_region(c, s, layer, in);
        *out = in;
    } else if (strcmp(t, "cost") == 0) {
        ignored = dn_cost_ignored;
        *out = in;
        st = SR_OK;
    } else if (strcmp(t, "net") == 0 || strcmp(t, "network") == 0) {
        return dn_fail(c, SR_ERR_PARSE, s->line, "[%s] may only appear once, as the first section", t);
    } else {
        for (int i = 0; dn_unsupported_sections[i]; i++)
            if (strcmp(dn_unsupported_sections[i], t) == 0)
                return dn_fail(c, SR_ERR_UNSUPPORTED, s->line,
                               "section [%s] is a darknet layer that simrun does not model", t);
        return dn_fail(c, SR_ERR_PARSE, s->line,
                       "unknown section [%s] (expected convolutional, maxpool, avgpool, connected, dropout, "
                       "softmax, route, reorg, shortcut, region or cost)",
                       t);
    }
    if (strcmp(t, "dropout") == 0)
        ignored = dn_dropout_ignored;
    if (st != SR_OK)
        return st;
    if ((st = dn_check_unused(c, s, ignored)) != SR_OK)
        return st;
    return dn_infer(c, s, layer);
}

static sr_status dn_build(dn_ctx *c)
{
    dn_section *net = &c->sec[0];
    if (strcmp(net->type, "net") != 0 && strcmp(net->type, "network") != 0)
        return dn_fail(c, SR_ERR_PARSE, net->line, "expected [net] as the first section, got [%s]", net->type);
    int width, height, channels;
    sr_status st;
    if ((st = dn_int(c, net, "width", 0, 1, 1, 1 << 16, &width)) != SR_OK ||
        (st = dn_int(c, net, "height", 0, 1, 1, 1 << 16, &height)) != SR_OK ||
        (st = dn_int(c, net, "channels", 3, 0, 1, 1 << 16, &channels)) != SR_OK)
        return st;
    if ((st = dn_check_unused(c, net, dn_net_ignored)) != SR_OK)
        return st;
    if (c->n_sec < 2)
        return dn_fail(c, SR_ERR_PARSE, net->line, "[net] is not followed by any layer section");
    /* layer_out[k + 1] is the output node of layer k; layer_out[0] is the input node. */
    c->n_layers = c->n_sec - 1;
    c->layer_out = malloc((size_t)(c->n_layers + 1) * sizeof *c->layer_out);
    if (c->layer_out == NULL)
        return SR_ERR_NOMEM;
    int in = sr_graph_add_input(c->g, "input", sr_shape_nchw(1, channels, height, width));
    if (in < 0)
        return dn_fail(c, (sr_status)in, net->line, "cannot add the input node");
    c->layer_out[0] = in;
    if ((st = sr_graph_infer(c->g, NULL, 0)) != SR_OK)
        return dn_fail(c, st, net->line, "bad input shape");
    int64_t floats = 0; /* what the weights of the layers so far will hold */
    int counted = sr_graph_node_count(c->g);
    for (int k = 0; k < c->n_layers; k++) {
        int out = -1;
        if ((st = dn_layer(c, &c->sec[k + 1], k, &out)) != SR_OK)
            return st;
        c->layer_out[k + 1] = out;
        for (; counted < sr_graph_node_count(c->g); counted++) {
            int64_t n = sr_weights_node_count(c->g, counted);
            if (n < 0)
                return dn_fail(c, SR_ERR_SHAPE, c->sec[k + 1].line, "layer %d: cannot size its parameters", k);
            floats += n;
        }
        if (floats > SR_DARKNET_MAX_PARAMS)
            return dn_fail(c, SR_ERR_UNSUPPORTED, c->sec[k + 1].line,
                           "layer %d ([%s]) brings the model to %lld parameters (%.1f GiB of fp32 weights); "
                           "simrun loads at most %lld (4 GiB)",
                           k, c->sec[k + 1].type, (long long)floats, (double)floats * 4.0 / (1 << 30),
                           (long long)SR_DARKNET_MAX_PARAMS);
    }
    c->floats = floats;
    /* The graph output is the last node: make sure it is the last layer's output. */
    int last = c->layer_out[c->n_layers];
    if (last != sr_graph_output(c->g)) {
        int id;
        dn_section *s = &c->sec[c->n_sec - 1];
        if ((st = dn_add(c, s, SR_OP_DROPOUT, c->n_layers - 1, "output", &last, 1, NULL, &id)) != SR_OK)
            return st;
        return dn_infer(c, s, c->n_layers - 1);
    }
    return SR_OK;
}

/* ---- weights ---- */

/* Takes the floats of role r of node id from buf at *off into w; w NULL: checks the file holds them, copies
 * nothing (the walk that runs before the weights are allocated). */
static sr_status dn_copy(dn_ctx *c, sr_weights *w, int id, sr_param_role r, const unsigned char *buf,
                         size_t n_bytes, size_t *off, const dn_param_layer *pl, const char *wpath)
{
    int64_t count = sr_weights_role_count(c->g, id, r);
    if (count <= 0)
        return dn_fail(c, SR_ERR_INVALID, pl->line, "layer %d: node %d has no parameter tensor %d", pl->layer, id,
                       (int)r);
    size_t need = (size_t)count * sizeof(float);
    if (n_bytes - *off < need) {
        c->path = wpath;
        return dn_fail(c, SR_ERR_CORRUPT, 0,
                       "truncated: layer %d needs %lld more floats, only %zu bytes are left (does this .weights "
                       "file belong to the .cfg?)",
                       pl->layer, (long long)count, n_bytes - *off);
    }
    if (w != NULL) /* darknet files are little-endian, like every host simrun targets */
        memcpy(sr_weights_get(w, id, r, NULL), buf + *off, need);
    *off += need;
    return SR_OK;
}

/* Walks the layers' tensors in the file's order from *off: into w, or (w NULL) only checking they are there
 * and nothing is left after them. */
static sr_status dn_walk_weights(dn_ctx *c, sr_weights *w, const uint8_t *buf, size_t n, size_t off,
                                 const char *wpath)
{
    const char *cfg_path = c->path;
    sr_status st = SR_OK;
    for (int i = 0; st == SR_OK && i < c->n_pl; i++) {
        const dn_param_layer *pl = &c->pl[i];
        if (pl->is_conv && pl->bn_id >= 0) {
            if ((st = dn_copy(c, w, pl->bn_id, SR_PARAM_BN_SHIFT, buf, n, &off, pl, wpath)) != SR_OK ||
                (st = dn_copy(c, w, pl->bn_id, SR_PARAM_BN_SCALE, buf, n, &off, pl, wpath)) != SR_OK ||
                (st = dn_copy(c, w, pl->bn_id, SR_PARAM_BN_MEAN, buf, n, &off, pl, wpath)) != SR_OK ||
                (st = dn_copy(c, w, pl->bn_id, SR_PARAM_BN_VAR, buf, n, &off, pl, wpath)) != SR_OK)
                break;
        } else {
            if ((st = dn_copy(c, w, pl->main_id, SR_PARAM_BIAS, buf, n, &off, pl, wpath)) != SR_OK)
                break;
        }
        st = dn_copy(c, w, pl->main_id, SR_PARAM_WEIGHT, buf, n, &off, pl, wpath);
    }
    if (st == SR_OK && off != n) {
        c->path = wpath;
        st = dn_fail(c, SR_ERR_CORRUPT, 0,
                     "%zu bytes are left after the last layer's weights (does this .weights file belong to %s?)",
                     n - off, cfg_path);
    }
    c->path = cfg_path;
    return st;
}

/* Reads wpath and checks it holds exactly the cfg's tensors before allocating *out (memory follows the
 * file, not the cfg's promise), then fills it. */
static sr_status dn_read_weights(dn_ctx *c, sr_weights **out, const char *wpath)
{
    const char *cfg_path = c->path;
    /* every value of the file lands in the graph's parameters, so the file is at most the header (20 bytes) and
     * c->floats values: a larger one is refused before it is read (a device or a FIFO too: SR_ERR_INVALID) */
    size_t max = DN_WEIGHTS_HEADER_MAX + 4 * (size_t)c->floats;
    uint8_t *buf = NULL;
    size_t n = 0;
    sr_status st = sr_file_read_max(wpath, max, &buf, &n);
    if (st != SR_OK) {
        int e = errno;
        c->path = wpath;
        struct stat sb;
        if (st == SR_ERR_IO)
            dn_fail(c, st, 0, "cannot open: %s", strerror(e));
        else if (st == SR_ERR_UNSUPPORTED && stat(wpath, &sb) == 0)
            dn_fail(c, SR_ERR_CORRUPT, 0,
                    "%lld bytes, more than the %zu that %s's %lld parameters and a header take (does this .weights "
                    "file belong to it?)",
                    (long long)sb.st_size, max, cfg_path, (long long)c->floats);
        else {
            char why[160];
            dn_fail(c, st, 0, "cannot read: %s", sr_file_read_why(st, e, max, "a weights file", why, sizeof why));
        }
        st = st == SR_ERR_UNSUPPORTED ? SR_ERR_CORRUPT : st;
    }
    size_t off = 0;
    if (st == SR_OK) {
        int32_t hdr[3];
        if (n < sizeof hdr) {
            c->path = wpath;
            st = dn_fail(c, SR_ERR_CORRUPT, 0, "truncated header (%zu bytes)", n);
        } else {
            memcpy(hdr, buf, sizeof hdr);
            off = sizeof hdr;
            /* darknet's rule (major * 10 + minor >= 2, both under 1000: a 64-bit "seen"), in 64 bits: any int32
             * header is a number, none overflows */
            size_t seen_bytes = ((int64_t)hdr[0] * 10 + hdr[1] >= 2 && hdr[0] < 1000 && hdr[1] < 1000) ? 8 : 4;
            if (n - off < seen_bytes) {
                c->path = wpath;
                st = dn_fail(c, SR_ERR_CORRUPT, 0, "truncated header (%zu bytes)", n);
            }
            off += seen_bytes;
        }
    }
    if (st == SR_OK)
        st = dn_walk_weights(c, NULL, buf, n, off, wpath);
    if (st == SR_OK) {
        if ((st = sr_weights_create(c->g, out)) != SR_OK)
            dn_fail(c, st, 0, "cannot allocate weights");
        else
            st = dn_walk_weights(c, *out, buf, n, off, wpath);
    }
    c->path = cfg_path;
    free(buf);
    return st;
}

sr_status sr_darknet_load(const char *cfg_path, const char *weights_path, uint64_t seed, sr_graph **g,
                          sr_weights **w, char *err, size_t err_size)
{
    if (g == NULL || cfg_path == NULL || (w == NULL && weights_path != NULL))
        return SR_ERR_INVALID;
    *g = NULL;
    if (w != NULL)
        *w = NULL;
    if (err && err_size)
        err[0] = '\0';
    dn_ctx c = {.path = cfg_path, .err = err, .err_size = err_size};
    sr_weights *wt = NULL;
    struct stat sb;
    int known = stat(cfg_path, &sb) == 0;
    if (known && !S_ISREG(sb.st_mode))
        return dn_fail(&c, SR_ERR_INVALID, 0, "not a regular file (a device, FIFO or directory is not a .cfg)");
    if (known && (uint64_t)sb.st_size > SR_DARKNET_MAX_CFG_BYTES)
        return dn_fail(&c, SR_ERR_UNSUPPORTED, 0, "%lld bytes, more than the %d MiB simrun reads as a .cfg",
                       (long long)sb.st_size, (int)(SR_DARKNET_MAX_CFG_BYTES >> 20));
    FILE *f = fopen(cfg_path, "r");
    if (f == NULL)
        return dn_fail(&c, SR_ERR_IO, 0, "cannot open: %s", strerror(errno));
    sr_status st = dn_parse_text(&c, f);
    fclose(f);
    if (st != SR_OK)
        goto cleanup;
    /* graph name: the cfg's base name without extension */
    const char *base = strrchr(cfg_path, '/');
    base = base ? base + 1 : cfg_path;
    char name[SR_NAME_MAX];
    snprintf(name, sizeof name, "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
    if ((st = sr_graph_create(name, &c.g)) != SR_OK)
        goto cleanup;
    if ((st = dn_build(&c)) != SR_OK)
        goto cleanup;
    if (w == NULL) { /* the graph alone: nothing to allocate or draw */
        *g = c.g;
        c.g = NULL;
        goto cleanup;
    }
    if (weights_path != NULL) {
        if ((st = dn_read_weights(&c, &wt, weights_path)) != SR_OK)
            goto cleanup;
    } else if ((st = sr_weights_create(c.g, &wt)) != SR_OK) {
        dn_fail(&c, st, 0, "cannot allocate weights");
        goto cleanup;
    } else {
        sr_weights_init_he(wt, seed);
    }
    *g = c.g;
    *w = wt;
    c.g = NULL;
    wt = NULL;
cleanup:
    sr_weights_free(wt);
    sr_graph_free(c.g);
    dn_ctx_clear(&c);
    return st;
}
