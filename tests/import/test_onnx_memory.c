/* test_onnx_memory.c: importing a large ONNX model holds about one copy of its weights at a time.
 *
 * A Gemm with a 4096 x 4096 weight (64 MiB of raw_data, transB = 1 as PyTorch exports Linear) and a bias is
 * written by one child process and imported by another, so that neither the test runner nor the writer inflates
 * the importer's peak. The importer's peak resident memory (getrusage ru_maxrss) above its resident memory before
 * the import must stay below 1.3 x the file size: the weights once, the mapped pages of a tensor dropped as it is copied
 * (sr_onnx.c); the importer took 4 to 5 x when it copied the file, the message, each value and the Gemm weight, and 2 x while protobuf-c unpacked the weights.
 * The imported weights must equal the written ones. A memory bound, not a timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "sr_onnx.h"
#include "sr_weights.h"

#define K 4096
#define N 4096

/* The graph's name shifts where the weight's raw data lies in the file: names of four lengths put it at every
 * offset modulo 4, so the importer also reads weights that are not aligned for floats in the mapping. */
static const char *graph_name = "big_linear";

static float value_at(int64_t i)
{
    return (float)(i % 1013) * 0.001f - 0.5f;
}

/* Writes the model to path (in a child: its buffers never touch the importer's memory). */
static void write_model(const char *path)
{
    Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto graph = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    opset.has_version = 1, opset.version = 13;
    model.has_ir_version = 1, model.ir_version = 7;
    model.n_opset_import = 1, model.opset_import = opsets;
    model.graph = &graph;
    graph.name = (char *)graph_name;

    Onnx__TensorShapeProto__Dimension d[4] = {ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT,
                                              ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT,
                                              ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT,
                                              ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT};
    int64_t dv[4] = {1, K, 1, N};
    Onnx__TensorShapeProto__Dimension *dp[4];
    for (int i = 0; i < 4; i++) {
        d[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[i].dim_value = dv[i];
        dp[i] = &d[i];
    }
    Onnx__TensorShapeProto shp[2] = {ONNX__TENSOR_SHAPE_PROTO__INIT, ONNX__TENSOR_SHAPE_PROTO__INIT};
    Onnx__TypeProto__Tensor tt[2] = {ONNX__TYPE_PROTO__TENSOR__INIT, ONNX__TYPE_PROTO__TENSOR__INIT};
    Onnx__TypeProto ty[2] = {ONNX__TYPE_PROTO__INIT, ONNX__TYPE_PROTO__INIT};
    Onnx__ValueInfoProto vi[2] = {ONNX__VALUE_INFO_PROTO__INIT, ONNX__VALUE_INFO_PROTO__INIT};
    Onnx__ValueInfoProto *in[1] = {&vi[0]}, *out[1] = {&vi[1]};
    for (int k = 0; k < 2; k++) {
        shp[k].n_dim = 2, shp[k].dim = &dp[2 * k];
        tt[k].has_elem_type = 1, tt[k].elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, tt[k].shape = &shp[k];
        ty[k].value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, ty[k].tensor_type = &tt[k];
        vi[k].type = &ty[k];
    }
    vi[0].name = "x", vi[1].name = "y";
    graph.n_input = 1, graph.input = in, graph.n_output = 1, graph.output = out;

    float *w = malloc((size_t)N * K * sizeof *w), *b = malloc(N * sizeof *b);
    if (!w || !b) _exit(3);
    for (int64_t i = 0; i < (int64_t)N * K; i++)
        w[i] = value_at(i);
    for (int i = 0; i < N; i++)
        b[i] = (float)i;
    int64_t wd[2] = {N, K}, bd[1] = {N};
    Onnx__TensorProto init[2] = {ONNX__TENSOR_PROTO__INIT, ONNX__TENSOR_PROTO__INIT};
    Onnx__TensorProto *ip[2] = {&init[0], &init[1]};
    init[0].name = "w", init[0].n_dims = 2, init[0].dims = wd;
    init[0].has_raw_data = 1, init[0].raw_data.len = (size_t)N * K * 4, init[0].raw_data.data = (uint8_t *)w;
    init[1].name = "b", init[1].n_dims = 1, init[1].dims = bd;
    init[1].has_raw_data = 1, init[1].raw_data.len = N * 4, init[1].raw_data.data = (uint8_t *)b;
    for (int k = 0; k < 2; k++)
        init[k].has_data_type = 1, init[k].data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    graph.n_initializer = 2, graph.initializer = ip;

    Onnx__AttributeProto tb = ONNX__ATTRIBUTE_PROTO__INIT;
    Onnx__AttributeProto *attrs[1] = {&tb};
    tb.name = "transB", tb.has_type = 1, tb.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    tb.has_i = 1, tb.i = 1;
    char *node_in[3] = {"x", "w", "b"}, *node_out[1] = {"y"};
    Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
    Onnx__NodeProto *nodes[1] = {&node};
    node.op_type = "Gemm", node.name = "fc";
    node.n_input = 3, node.input = node_in, node.n_output = 1, node.output = node_out;
    node.n_attribute = 1, node.attribute = attrs;
    graph.n_node = 1, graph.node = nodes;

    size_t n = onnx__model_proto__get_packed_size(&model);
    uint8_t *buf = malloc(n);
    if (!buf || onnx__model_proto__pack(&model, buf) != n) _exit(4);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f) != 0) _exit(5);
    _exit(0);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int run_child(void (*fn)(const char *), const char *path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) fn(path);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The importer (a child): exit 0 when the bound holds and the weights are intact. */
static void import_model(const char *path)
{
    long before_kb = rss_kb();
    struct rusage ru0;
    getrusage(RUSAGE_SELF, &ru0);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    if (sr_onnx_load(path, &g, &w, err, sizeof err) != SR_OK) {
        fprintf(stderr, "import failed: %s\n", err);
        _exit(10);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long file_kb = ftell(f) / 1024;
    fclose(f);
    long base_kb = before_kb > ru0.ru_maxrss ? before_kb : ru0.ru_maxrss;
    long peak_kb = ru.ru_maxrss - base_kb;
    printf("file %ld KiB; import peak %ld KiB above %ld KiB before: %.2f x the file\n", file_kb, peak_kb, base_kb,
           (double)peak_kb / (double)file_kb);
    int fc = -1;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        if (sr_graph_node(g, i)->op == SR_OP_FC) fc = i;
    int64_t nw = 0, nb = 0;
    const float *wv = fc >= 0 ? sr_weights_get_const(w, fc, SR_PARAM_WEIGHT, &nw) : NULL;
    const float *bv = fc >= 0 ? sr_weights_get_const(w, fc, SR_PARAM_BIAS, &nb) : NULL;
    if (!wv || !bv || nw != (int64_t)N * K || nb != N) _exit(11);
    for (int64_t i = 0; i < nw; i += 4099)
        if (wv[i] != value_at(i)) _exit(12);
    if (wv[nw - 1] != value_at(nw - 1) || bv[N - 1] != (float)(N - 1)) _exit(12);
    sr_weights_free(w);
    sr_graph_free(g);
    fflush(stdout);
    _exit(peak_kb <= file_kb * 13 / 10 ? 0 : 13);
}

static void test_import_peak_memory(void **state)
{
    (void)state;
    static const char *const names[] = {"big_linear", "big_linear1", "big_linear12", "big_linear123"};
    for (int k = 0; k < 4; k++) {
        graph_name = names[k];
        char path[256];
        snprintf(path, sizeof path, "%s/test_onnx_memory_%d.onnx", SR_BINARY_DIR, (int)getpid());
        assert_int_equal(run_child(write_model, path), 0);
        int rc = run_child(import_model, path);
        unlink(path);
        assert_int_equal(rc, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_import_peak_memory)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
