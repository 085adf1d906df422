/* test_onnx.c: the ONNX importer on models built here with protobuf-c.
 *
 * Covers what the backend node tests do not: initializers (raw_data and float_data) landing in the
 * right weight tensors, Gemm's alpha/beta/transB folding, initializers used as data becoming const
 * nodes, opset < 13 Softmax, and clean errors for unsupported operators, symbolic shapes, truncated
 * files and random bytes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "onnx.pb-c.h"
#include "sr_exec.h"
#include "sr_onnx.h"

/* ---- tiny model builder (all storage static or owned by the test) ---- */

#define MAXN 16

typedef struct builder {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    Onnx__OperatorSetIdProto opset;
    Onnx__OperatorSetIdProto *opsets[1];
    Onnx__NodeProto nodes[MAXN];
    Onnx__NodeProto *node_ptrs[MAXN];
    Onnx__TensorProto inits[MAXN];
    Onnx__TensorProto *init_ptrs[MAXN];
    Onnx__ValueInfoProto ins[2], outs[2];
    Onnx__ValueInfoProto *in_ptrs[2], *out_ptrs[2];
    Onnx__TypeProto types[4];
    Onnx__TypeProto__Tensor ttypes[4];
    Onnx__TensorShapeProto shapes[4];
    Onnx__TensorShapeProto__Dimension dims[4][6];
    Onnx__TensorShapeProto__Dimension *dim_ptrs[4][6];
    Onnx__AttributeProto attrs[MAXN * 4];
    Onnx__AttributeProto *attr_ptrs[MAXN][4];
    int n_attrs;
} builder;

static void b_init(builder *b, int64_t opset)
{
    memset(b, 0, sizeof *b);
    onnx__model_proto__init(&b->model);
    onnx__graph_proto__init(&b->graph);
    onnx__operator_set_id_proto__init(&b->opset);
    b->opset.has_version = 1;
    b->opset.version = opset;
    b->opsets[0] = &b->opset;
    b->model.n_opset_import = 1;
    b->model.opset_import = b->opsets;
    b->model.has_ir_version = 1;
    b->model.ir_version = 7;
    b->model.graph = &b->graph;
    b->graph.name = "testnet";
    b->graph.node = b->node_ptrs;
    b->graph.initializer = b->init_ptrs;
    b->graph.input = b->in_ptrs;
    b->graph.output = b->out_ptrs;
}

/* Adds a float tensor value info (input or output); dim -1 = symbolic. */
static void b_io(builder *b, int is_input, const char *name, int rank, const int64_t *d)
{
    int k = (int)(is_input ? b->graph.n_input : 2 + b->graph.n_output);
    Onnx__ValueInfoProto *vi = is_input ? &b->ins[b->graph.n_input] : &b->outs[b->graph.n_output];
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(&b->types[k]);
    onnx__type_proto__tensor__init(&b->ttypes[k]);
    onnx__tensor_shape_proto__init(&b->shapes[k]);
    for (int i = 0; i < rank; i++) {
        Onnx__TensorShapeProto__Dimension *dm = &b->dims[k][i];
        onnx__tensor_shape_proto__dimension__init(dm);
        if (d[i] >= 0) {
            dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dm->dim_value = d[i];
        } else {
            dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dm->dim_param = "H";
        }
        b->dim_ptrs[k][i] = dm;
    }
    b->shapes[k].n_dim = (size_t)rank;
    b->shapes[k].dim = b->dim_ptrs[k];
    b->ttypes[k].has_elem_type = 1;
    b->ttypes[k].elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    b->ttypes[k].shape = &b->shapes[k];
    b->types[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    b->types[k].tensor_type = &b->ttypes[k];
    vi->name = (char *)name;
    vi->type = &b->types[k];
    if (is_input)
        b->in_ptrs[b->graph.n_input++] = vi;
    else
        b->out_ptrs[b->graph.n_output++] = vi;
}

/* Float initializer; raw = 1 stores it as raw_data, else float_data. dims/values borrowed. */
static void b_init_f(builder *b, const char *name, int rank, int64_t *d, float *v, int raw)
{
    Onnx__TensorProto *t = &b->inits[b->graph.n_initializer];
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->n_dims = (size_t)rank;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    if (raw) {
        t->has_raw_data = 1;
        t->raw_data.len = (size_t)n * 4;
        t->raw_data.data = (uint8_t *)v;
    } else {
        t->n_float_data = (size_t)n;
        t->float_data = v;
    }
    b->init_ptrs[b->graph.n_initializer++] = t;
}

static void b_init_i64(builder *b, const char *name, int64_t *d, int64_t *v)
{
    Onnx__TensorProto *t = &b->inits[b->graph.n_initializer];
    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->n_dims = 1;
    t->dims = d;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
    t->n_int64_data = (size_t)d[0];
    t->int64_data = v;
    b->init_ptrs[b->graph.n_initializer++] = t;
}

static Onnx__NodeProto *b_node(builder *b, const char *op, const char *name, char **in, int n_in, char **out)
{
    Onnx__NodeProto *nd = &b->nodes[b->graph.n_node];
    onnx__node_proto__init(nd);
    nd->op_type = (char *)op;
    nd->name = (char *)name;
    nd->n_input = (size_t)n_in;
    nd->input = in;
    nd->n_output = 1;
    nd->output = out;
    nd->attribute = b->attr_ptrs[b->graph.n_node];
    b->node_ptrs[b->graph.n_node++] = nd;
    return nd;
}

static Onnx__AttributeProto *b_attr(builder *b, Onnx__NodeProto *nd, const char *name)
{
    Onnx__AttributeProto *a = &b->attrs[b->n_attrs++];
    onnx__attribute_proto__init(a);
    a->name = (char *)name;
    nd->attribute[nd->n_attribute++] = a;
    return a;
}

static void b_attr_i(builder *b, Onnx__NodeProto *nd, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = b_attr(b, nd, name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v;
}

static void b_attr_f(builder *b, Onnx__NodeProto *nd, const char *name, float v)
{
    Onnx__AttributeProto *a = b_attr(b, nd, name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    a->has_f = 1;
    a->f = v;
}

static void b_attr_ints(builder *b, Onnx__NodeProto *nd, const char *name, int64_t *v, int n)
{
    Onnx__AttributeProto *a = b_attr(b, nd, name);
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)n;
    a->ints = v;
}

static const char *tmp_path(const char *name)
{
    static char path[4][512];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 512, "%s/test_onnx_%d_%s", SR_BINARY_DIR, (int)getpid(), name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Packs the model to a file; returns its size; *bytes (if not NULL) gets a malloc'd copy. */
static size_t b_write(builder *b, const char *path, uint8_t **bytes)
{
    size_t n = onnx__model_proto__get_packed_size(&b->model);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(onnx__model_proto__pack(&b->model, buf), n);
    write_bytes(path, buf, n);
    if (bytes)
        *bytes = buf;
    else
        free(buf);
    return n;
}

/* ---- the model: Conv -> BN -> Relu -> MaxPool -> Flatten -> Gemm -> Add(init) -> Softmax ---- */

static float conv_w[3 * 2 * 3 * 3], conv_b[3], bn_s[3], bn_b[3], bn_m[3], bn_v[3], gemm_b[12 * 4], gemm_c[4],
    add_k[4];
static int64_t d_conv_w[4] = {3, 2, 3, 3}, d3[1] = {3}, d_gemm_b[2] = {12, 4}, d4[1] = {4};
static char *n0_in[] = {"x", "W", "B"}, *n0_out[] = {"c"};
static char *n1_in[] = {"c", "s", "bb", "m", "v"}, *n1_out[] = {"n"};
static char *n2_in[] = {"n"}, *n2_out[] = {"r"};
static char *n3_in[] = {"r"}, *n3_out[] = {"p"};
static char *n4_in[] = {"p"}, *n4_out[] = {"f"};
static char *n5_in[] = {"f", "G", "C"}, *n5_out[] = {"g"};
static char *n6_in[] = {"g", "K"}, *n6_out[] = {"a"};
static char *n7_in[] = {"a"}, *n7_out[] = {"y"};
static int64_t pads1[4] = {1, 1, 1, 1}, k2[2] = {2, 2}, s2[2] = {2, 2};

static void build_model(builder *b)
{
    for (int i = 0; i < 54; i++)
        conv_w[i] = (float)((i * 7) % 13 - 6) / 10.0f;
    for (int i = 0; i < 3; i++) {
        conv_b[i] = 0.1f * (float)i;
        bn_s[i] = 1.0f + 0.5f * (float)i;
        bn_b[i] = -0.2f * (float)i;
        bn_m[i] = 0.05f * (float)i;
        bn_v[i] = 1.0f + (float)i;
    }
    for (int i = 0; i < 48; i++)
        gemm_b[i] = (float)((i * 5) % 11 - 5) / 8.0f;
    for (int i = 0; i < 4; i++) {
        gemm_c[i] = 0.25f * (float)i;
        add_k[i] = -0.5f + (float)i;
    }
    b_init(b, 11);
    int64_t xd[4] = {1, 2, 4, 4}, yd[2] = {1, 4};
    static int64_t xd_s[4], yd_s[2];
    memcpy(xd_s, xd, sizeof xd);
    memcpy(yd_s, yd, sizeof yd);
    b_io(b, 1, "x", 4, xd_s);
    b_io(b, 0, "y", 2, yd_s);
    b_init_f(b, "W", 4, d_conv_w, conv_w, 1); /* raw_data */
    b_init_f(b, "B", 1, d3, conv_b, 0);       /* float_data */
    b_init_f(b, "s", 1, d3, bn_s, 1);
    b_init_f(b, "bb", 1, d3, bn_b, 0);
    b_init_f(b, "m", 1, d3, bn_m, 1);
    b_init_f(b, "v", 1, d3, bn_v, 0);
    b_init_f(b, "G", 2, d_gemm_b, gemm_b, 1);
    b_init_f(b, "C", 1, d4, gemm_c, 0);
    b_init_f(b, "K", 1, d4, add_k, 1);
    Onnx__NodeProto *conv = b_node(b, "Conv", "conv0", n0_in, 3, n0_out);
    b_attr_ints(b, conv, "pads", pads1, 4);
    Onnx__NodeProto *bn = b_node(b, "BatchNormalization", "bn0", n1_in, 5, n1_out);
    b_attr_f(b, bn, "epsilon", 1e-3f);
    b_node(b, "Relu", "relu0", n2_in, 1, n2_out);
    Onnx__NodeProto *mp = b_node(b, "MaxPool", "pool0", n3_in, 1, n3_out);
    b_attr_ints(b, mp, "kernel_shape", k2, 2);
    b_attr_ints(b, mp, "strides", s2, 2);
    b_node(b, "Flatten", "flat0", n4_in, 1, n4_out);
    Onnx__NodeProto *gm = b_node(b, "Gemm", "fc0", n5_in, 3, n5_out);
    b_attr_f(b, gm, "alpha", 0.5f);
    b_attr_f(b, gm, "beta", 2.0f);
    b_node(b, "Add", "add0", n6_in, 2, n6_out);
    b_node(b, "Softmax", "sm0", n7_in, 1, n7_out);
}

static void test_initializers_and_exec(void **state)
{
    (void)state;
    builder *b = calloc(1, sizeof *b);
    assert_non_null(b);
    build_model(b);
    const char *path = tmp_path("net.onnx");
    b_write(b, path, NULL);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_onnx_io io;
    char err[512];
    sr_status st = sr_onnx_load_ex(path, NULL, &g, &w, &io, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s", err);
    assert_string_equal(sr_graph_name(g), "testnet");
    assert_int_equal(io.n_inputs, 1);
    assert_string_equal(io.input_names[0], "x");
    assert_int_equal(io.n_outputs, 1);
    assert_int_equal(io.output_ids[0], sr_graph_output(g));

    int c = sr_graph_find(g, "c"), n = sr_graph_find(g, "n"), gg = sr_graph_find(g, "g"), k = sr_graph_find(g, "K");
    assert_true(c >= 0 && n >= 0 && gg >= 0 && k >= 0);
    assert_int_equal(sr_graph_node(g, c)->op, SR_OP_CONV);
    assert_int_equal(sr_graph_node(g, c)->attr.pad_top, 1);
    assert_int_equal(sr_graph_node(g, n)->op, SR_OP_BATCHNORM);
    assert_true(fabsf(sr_graph_node(g, n)->attr.eps - 1e-3f) < 1e-9f);
    assert_int_equal(sr_graph_node(g, gg)->op, SR_OP_FC);
    assert_int_equal(sr_graph_node(g, k)->op, SR_OP_CONST); /* initializer used as data */
    assert_int_equal(sr_graph_node(g, sr_graph_output(g))->op, SR_OP_SOFTMAX);

    int64_t cnt;
    const float *t = sr_weights_get_const(w, c, SR_PARAM_WEIGHT, &cnt);
    assert_int_equal(cnt, 54);
    assert_memory_equal(t, conv_w, sizeof conv_w);
    t = sr_weights_get_const(w, c, SR_PARAM_BIAS, &cnt);
    assert_memory_equal(t, conv_b, sizeof conv_b);
    assert_memory_equal(sr_weights_get_const(w, n, SR_PARAM_BN_SCALE, NULL), bn_s, sizeof bn_s);
    assert_memory_equal(sr_weights_get_const(w, n, SR_PARAM_BN_SHIFT, NULL), bn_b, sizeof bn_b);
    assert_memory_equal(sr_weights_get_const(w, n, SR_PARAM_BN_MEAN, NULL), bn_m, sizeof bn_m);
    assert_memory_equal(sr_weights_get_const(w, n, SR_PARAM_BN_VAR, NULL), bn_v, sizeof bn_v);
    /* fc: W[o][i] = alpha * G[i][o]; bias = beta * C */
    t = sr_weights_get_const(w, gg, SR_PARAM_WEIGHT, &cnt);
    assert_int_equal(cnt, 48);
    for (int o = 0; o < 4; o++)
        for (int i = 0; i < 12; i++)
            assert_true(t[o * 12 + i] == 0.5f * gemm_b[i * 4 + o]);
    t = sr_weights_get_const(w, gg, SR_PARAM_BIAS, &cnt);
    assert_int_equal(cnt, 4);
    for (int o = 0; o < 4; o++)
        assert_true(t[o] == 2.0f * gemm_c[o]);
    assert_memory_equal(sr_weights_get_const(w, k, SR_PARAM_WEIGHT, NULL), add_k, sizeof add_k);

    /* run it and check the logits against a direct computation from the fc input */
    sr_exec *e = NULL;
    st = sr_exec_create(g, w, 1, &e, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s", err);
    float *x = sr_exec_input(e, io.input_ids[0]);
    for (int i = 0; i < 32; i++)
        x[i] = (float)((i * 3) % 7 - 3) / 2.0f;
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *f = sr_exec_output(e, sr_graph_find(g, "f"));
    const float *y = sr_exec_output(e, io.output_ids[0]);
    double logit[4], mx = -1e30, sum = 0;
    for (int o = 0; o < 4; o++) {
        double acc = 0;
        for (int i = 0; i < 12; i++)
            acc += (double)f[i] * gemm_b[i * 4 + o];
        logit[o] = 0.5 * acc + 2.0 * gemm_c[o] + add_k[o];
        mx = logit[o] > mx ? logit[o] : mx;
    }
    for (int o = 0; o < 4; o++)
        sum += exp(logit[o] - mx);
    for (int o = 0; o < 4; o++) {
        double want = exp(logit[o] - mx) / sum;
        if (fabs(y[o] - want) > 1e-5)
            fail_msg("y[%d] = %.7g, expected %.7g", o, y[o], want);
    }
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
    unlink(path);

    /* truncated copies of the same file: clean errors, never a crash */
    uint8_t *bytes = NULL;
    size_t size = b_write(b, path, &bytes);
    for (size_t cut = 1; cut < size; cut += 7) {
        write_bytes(path, bytes, cut);
        err[0] = '\0';
        st = sr_onnx_load(path, &g, &w, err, sizeof err);
        assert_int_not_equal(st, SR_OK);
        assert_null(g);
        assert_null(w);
        assert_true(strncmp(err, path, strlen(path)) == 0);
    }
    write_bytes(path, bytes, size / 2);
    assert_int_equal(sr_onnx_load(path, &g, &w, err, sizeof err), SR_ERR_PARSE);
    assert_non_null(strstr(err, "not a valid ONNX model"));
    free(bytes);
    unlink(path);
    free(b);
}

static void expect_load_error(builder *b, sr_status want, const char *msg_part)
{
    const char *path = tmp_path("bad.onnx");
    b_write(b, path, NULL);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512] = "";
    sr_status st = sr_onnx_load(path, &g, &w, err, sizeof err);
    if (st != want || strstr(err, msg_part) == NULL)
        fail_msg("status %s, message '%s'; expected %s with '%s'", sr_status_name(st), err, sr_status_name(want),
                 msg_part);
    assert_null(g);
    assert_null(w);
    unlink(path);
}

static void test_unsupported_operator(void **state)
{
    (void)state;
    builder *b = calloc(1, sizeof *b);
    assert_non_null(b);
    build_model(b);
    b->nodes[1].op_type = "ConvTranspose";
    b->nodes[1].name = "conv_3";
    char want[600];
    snprintf(want, sizeof want, "%s: node 'conv_3' (op ConvTranspose): unsupported operator", tmp_path("bad.onnx"));
    expect_load_error(b, SR_ERR_UNSUPPORTED, want);

    build_model(b);
    b->nodes[2].name = "";
    b->nodes[2].op_type = "Elu";
    expect_load_error(b, SR_ERR_UNSUPPORTED, "node #2 producing 'r' (op Elu): unsupported operator");

    build_model(b);
    b->nodes[3].input[0] = "nope";
    expect_load_error(b, SR_ERR_PARSE, "node 'pool0' (op MaxPool): input 'nope' is not produced by an earlier node");
    n3_in[0] = "r";

    build_model(b);
    int64_t sym[4] = {1, 2, -1, 4};
    b->graph.n_input = 0;
    b_io(b, 1, "x", 4, sym);
    expect_load_error(b, SR_ERR_UNSUPPORTED, "graph input 'x' has a symbolic or empty dimension 'H' at position 2");

    build_model(b);
    b_attr_i(b, &b->nodes[3], "foo", 1);
    expect_load_error(b, SR_ERR_UNSUPPORTED, "node 'pool0' (op MaxPool): attribute 'foo' is not supported");

    build_model(b);
    b->inits[0].raw_data.len -= 4;
    expect_load_error(b, SR_ERR_CORRUPT, "tensor 'W' has 212 bytes of raw data, its shape needs 216");

    /* an int64 tensor declaring 2^39 values with one present: refused before anything is allocated from it */
    build_model(b);
    int64_t huge_d = INT64_C(1) << 39, one = 7;
    b_init_i64(b, "huge", &huge_d, &one);
    b->inits[b->graph.n_initializer - 1].n_int64_data = 1;
    expect_load_error(b, SR_ERR_CORRUPT, "tensor 'huge' has 1 int64 values, its shape needs 549755813888");

    /* the documented limit: a tensor of more than 2^40 elements is refused whatever its bytes (issue 17) */
    build_model(b);
    int64_t big_d = (INT64_C(1) << 40) + 1;
    b_init_i64(b, "big", &big_d, &one);
    b->inits[b->graph.n_initializer - 1].n_int64_data = 1;
    expect_load_error(b, SR_ERR_PARSE, "tensor 'big' is too large");

    build_model(b);
    b->nodes[0].domain = "com.microsoft";
    expect_load_error(b, SR_ERR_UNSUPPORTED, "node 'conv0' (op Conv): operator domain 'com.microsoft'");

    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    assert_int_equal(sr_onnx_load(SR_BINARY_DIR "/no/such.onnx", &g, &w, err, sizeof err), SR_ERR_IO);
    assert_non_null(strstr(err, "no/such.onnx: cannot read"));
    free(b);
}

/* Softmax before opset 13 normalises over all dimensions from axis on. */
static void test_softmax_opset11(void **state)
{
    (void)state;
    builder *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b_init(b, 11);
    static int64_t xd[4] = {1, 3, 2, 2};
    static char *in[] = {"x"}, *out[] = {"y"};
    b_io(b, 1, "x", 4, xd);
    b_io(b, 0, "y", 4, xd);
    b_node(b, "Softmax", "sm", in, 1, out);
    const char *path = tmp_path("sm.onnx");
    b_write(b, path, NULL);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    assert_int_equal(sr_onnx_load(path, &g, &w, err, sizeof err), SR_OK);
    const sr_node *o = sr_graph_node(g, sr_graph_output(g));
    assert_int_equal(o->op, SR_OP_RESHAPE);
    assert_int_equal(o->out.rank, 4);
    assert_int_equal(o->out.d[1], 3);
    sr_exec *e = NULL;
    assert_int_equal(sr_exec_create(g, w, 1, &e, err, sizeof err), SR_OK);
    float *x = sr_exec_input(e, 0);
    for (int i = 0; i < 12; i++)
        x[i] = (float)i / 3.0f;
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *y = sr_exec_output(e, sr_graph_output(g));
    double sum = 0, den = 0;
    for (int i = 0; i < 12; i++) {
        sum += y[i];
        den += exp(i / 3.0);
    }
    assert_true(fabs(sum - 1.0) < 1e-5);
    assert_true(fabs(y[5] - exp(5 / 3.0) / den) < 1e-6);
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
    unlink(path);
    free(b);
}

/* Reshape with an int64 initializer shape, Clip with opset-6 attributes, Concat of a const. */
static void test_reshape_clip_concat(void **state)
{
    (void)state;
    builder *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b_init(b, 6);
    static int64_t xd[2] = {2, 6}, yd[2] = {4, 4}, sd[1] = {2}, shape[2] = {4, -1}, kd[2] = {4, 1};
    static float kv[4] = {9, 9, 9, 9};
    static char *r_in[] = {"x", "shape"}, *r_out[] = {"r"};
    static char *c_in[] = {"r"}, *c_out[] = {"cl"};
    static char *k_in[] = {"cl", "k"}, *k_out[] = {"y"};
    b_io(b, 1, "x", 2, xd);
    b_io(b, 0, "y", 2, yd);
    b_init_i64(b, "shape", sd, shape);
    b_init_f(b, "k", 2, kd, kv, 0);
    b_node(b, "Reshape", "rs", r_in, 2, r_out);
    Onnx__NodeProto *cl = b_node(b, "Clip", "clip", c_in, 1, c_out);
    b_attr_f(b, cl, "min", -1.0f);
    b_attr_f(b, cl, "max", 2.0f);
    Onnx__NodeProto *cc = b_node(b, "Concat", "cat", k_in, 2, k_out);
    b_attr_i(b, cc, "axis", 1);
    const char *path = tmp_path("rcc.onnx");
    b_write(b, path, NULL);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    sr_status st = sr_onnx_load(path, &g, &w, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s", err);
    const sr_node *r = sr_graph_node(g, sr_graph_find(g, "r"));
    assert_int_equal(r->out.rank, 2);
    assert_int_equal(r->out.d[0], 4);
    assert_int_equal(r->out.d[1], 3);
    sr_exec *e = NULL;
    assert_int_equal(sr_exec_create(g, w, 1, &e, err, sizeof err), SR_OK);
    float *x = sr_exec_input(e, 0);
    for (int i = 0; i < 12; i++)
        x[i] = (float)i - 4.0f;
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *y = sr_exec_output(e, sr_graph_output(g));
    for (int row = 0; row < 4; row++) {
        for (int col = 0; col < 3; col++) {
            float v = (float)(row * 3 + col) - 4.0f;
            v = v < -1 ? -1 : v > 2 ? 2 : v;
            assert_true(y[row * 4 + col] == v);
        }
        assert_true(y[row * 4 + 3] == 9.0f);
    }
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
    unlink(path);
    free(b);
}

static void test_random_bytes(void **state)
{
    (void)state;
    uint8_t buf[4096];
    uint32_t s = 2463534242u;
    const char *path = tmp_path("rand.onnx");
    for (int trial = 0; trial < 200; trial++) {
        size_t n = 1 + (size_t)(trial * 37) % sizeof buf;
        for (size_t i = 0; i < n; i++) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            buf[i] = (uint8_t)s;
        }
        write_bytes(path, buf, n);
        sr_graph *g = NULL;
        sr_weights *w = NULL;
        char err[512] = "";
        sr_status st = sr_onnx_load(path, &g, &w, err, sizeof err);
        assert_int_not_equal(st, SR_OK);
        assert_true(strlen(err) > 0);
        sr_onnx_tensor t;
        st = sr_onnx_tensor_read(path, &t, err, sizeof err);
        if (st == SR_OK)
            sr_onnx_tensor_clear(&t);
        else
            assert_true(strlen(err) > 0);
    }
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initializers_and_exec),
        cmocka_unit_test(test_unsupported_operator),
        cmocka_unit_test(test_softmax_opset11),
        cmocka_unit_test(test_reshape_clip_concat),
        cmocka_unit_test(test_random_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
