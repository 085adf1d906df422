/* bench_import.c: importing a VGG-16-sized ONNX model, against reading the same file.
 *
 * A child writes VGG-16 as PyTorch exports it (13 Conv 3x3 + Relu, 5 MaxPool, Flatten, 3 Gemm with transB=1:
 * 138.4 M float parameters, about 528 MiB, the size of the torchvision export the issue measured), then each
 * measurement runs in its own child so that peak resident memory (ru_maxrss) is its own:
 *   anchor   read() of the whole file into one buffer (what any importer must at least touch),
 *   import   sr_onnx_load of the file (graph + weights).
 * Printed: wall seconds and peak MiB of each, and the ratios import / anchor. No BLAS runs here.
 * Usage: bench_import [DIR] (default /tmp; needs about 0.6 GB of disk there). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "sr_onnx.h"
#include "sr_weights.h"

typedef struct model {
    Onnx__NodeProto **nodes;
    int n_nodes;
    Onnx__TensorProto **inits;
    int n_inits;
} model;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) _exit(3);
    return p;
}

static char *name(const char *fmt, int i)
{
    char *s = xcalloc(32, 1);
    snprintf(s, 32, fmt, i);
    return s;
}

static void add_init(model *m, char *nm, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = xcalloc(1, sizeof *t);
    onnx__tensor_proto__init(t);
    int64_t n = 1;
    t->dims = xcalloc((size_t)rank, sizeof *t->dims);
    for (int i = 0; i < rank; i++)
        n *= (t->dims[i] = dims[i]);
    t->n_dims = (size_t)rank;
    t->name = nm;
    t->has_data_type = 1, t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    float *v = xcalloc((size_t)n, sizeof *v);
    uint32_t x = 2463534242u;
    for (int64_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        v[i] = (float)(x >> 8) * (1.0f / 16777216.0f) - 0.5f;
    }
    t->has_raw_data = 1, t->raw_data.len = (size_t)n * 4, t->raw_data.data = (uint8_t *)v;
    m->inits[m->n_inits++] = t;
}

static Onnx__AttributeProto *attr_ints(const char *nm, int n, int64_t v)
{
    Onnx__AttributeProto *a = xcalloc(1, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = (char *)nm, a->has_type = 1, a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    a->n_ints = (size_t)n, a->ints = xcalloc((size_t)n, sizeof *a->ints);
    for (int i = 0; i < n; i++)
        a->ints[i] = v;
    return a;
}

static void add_node(model *m, const char *op, char *out, int n_in, char **in, int n_attr, Onnx__AttributeProto **at)
{
    Onnx__NodeProto *nd = xcalloc(1, sizeof *nd);
    onnx__node_proto__init(nd);
    nd->op_type = (char *)op, nd->name = out;
    nd->n_input = (size_t)n_in, nd->input = xcalloc((size_t)n_in, sizeof *nd->input);
    memcpy(nd->input, in, (size_t)n_in * sizeof *in);
    nd->n_output = 1, nd->output = xcalloc(1, sizeof *nd->output);
    nd->output[0] = out;
    nd->n_attribute = (size_t)n_attr, nd->attribute = at;
    m->nodes[m->n_nodes++] = nd;
}

static Onnx__ValueInfoProto *value_info(const char *nm, int rank, const int64_t *dims)
{
    Onnx__TensorShapeProto *shp = xcalloc(1, sizeof *shp);
    onnx__tensor_shape_proto__init(shp);
    shp->n_dim = (size_t)rank, shp->dim = xcalloc((size_t)rank, sizeof *shp->dim);
    for (int i = 0; i < rank; i++) {
        shp->dim[i] = xcalloc(1, sizeof **shp->dim);
        onnx__tensor_shape_proto__dimension__init(shp->dim[i]);
        shp->dim[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        shp->dim[i]->dim_value = dims[i];
    }
    Onnx__TypeProto__Tensor *tt = xcalloc(1, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1, tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, tt->shape = shp;
    Onnx__TypeProto *ty = xcalloc(1, sizeof *ty);
    onnx__type_proto__init(ty);
    ty->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, ty->tensor_type = tt;
    Onnx__ValueInfoProto *vi = xcalloc(1, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = (char *)nm, vi->type = ty;
    return vi;
}

/* VGG-16 (configuration D of Simonyan & Zisserman) at 224x224, as a child process writing path. */
static void write_vgg16(const char *path)
{
    static const int cfg[] = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0};
    model m = {xcalloc(64, sizeof *m.nodes), 0, xcalloc(64, sizeof *m.inits), 0};
    char *x = "input";
    int c = 3, k = 0;
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        if (!cfg[i]) {
            Onnx__AttributeProto **at = xcalloc(2, sizeof *at);
            at[0] = attr_ints("kernel_shape", 2, 2), at[1] = attr_ints("strides", 2, 2);
            char *y = name("pool%d", (int)i);
            add_node(&m, "MaxPool", y, 1, &x, 2, at);
            x = y;
            continue;
        }
        char *w = name("conv%d.weight", k), *b = name("conv%d.bias", k);
        add_init(&m, w, 4, (int64_t[]){cfg[i], c, 3, 3});
        add_init(&m, b, 1, (int64_t[]){cfg[i]});
        Onnx__AttributeProto **at = xcalloc(2, sizeof *at);
        at[0] = attr_ints("kernel_shape", 2, 3), at[1] = attr_ints("pads", 4, 1);
        char *y = name("conv%d", k), *r = name("relu%d", k);
        add_node(&m, "Conv", y, 3, (char *[]){x, w, b}, 2, at);
        add_node(&m, "Relu", r, 1, &y, 0, NULL);
        x = r, c = cfg[i], k++;
    }
    char *f = "flat";
    add_node(&m, "Flatten", f, 1, &x, 0, NULL);
    x = f;
    static const int64_t fc[][2] = {{4096, 25088}, {4096, 4096}, {1000, 4096}};
    for (int i = 0; i < 3; i++) {
        char *w = name("fc%d.weight", i), *b = name("fc%d.bias", i);
        add_init(&m, w, 2, fc[i]);
        add_init(&m, b, 1, &fc[i][0]);
        Onnx__AttributeProto **at = xcalloc(1, sizeof *at);
        at[0] = xcalloc(1, sizeof **at);
        onnx__attribute_proto__init(at[0]);
        at[0]->name = "transB", at[0]->has_type = 1, at[0]->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        at[0]->has_i = 1, at[0]->i = 1;
        char *y = name("fc%d", i);
        add_node(&m, "Gemm", y, 3, (char *[]){x, w, b}, 1, at);
        x = y;
        if (i < 2) {
            char *r = name("fcrelu%d", i);
            add_node(&m, "Relu", r, 1, &y, 0, NULL);
            x = r;
        }
    }
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    g.name = "vgg16";
    g.n_node = (size_t)m.n_nodes, g.node = m.nodes;
    g.n_initializer = (size_t)m.n_inits, g.initializer = m.inits;
    Onnx__ValueInfoProto *in = value_info("input", 4, (int64_t[]){1, 3, 224, 224});
    Onnx__ValueInfoProto *out = value_info(x, 2, (int64_t[]){1, 1000});
    g.n_input = 1, g.input = &in, g.n_output = 1, g.output = &out;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    opset.has_version = 1, opset.version = 13;
    Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
    mp.has_ir_version = 1, mp.ir_version = 7;
    mp.n_opset_import = 1, mp.opset_import = opsets;
    mp.graph = &g;
    size_t n = onnx__model_proto__get_packed_size(&mp);
    uint8_t *buf = malloc(n);
    if (!buf || onnx__model_proto__pack(&mp, buf) != n) _exit(4);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(buf, 1, n, fp) != n || fclose(fp) != 0) _exit(5);
    _exit(0);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct result {
    double seconds, peak_mib;
    int ok;
} result;

/* Runs fn(path) in a child; its wall time and peak RSS come back through a pipe. */
static result measure(int (*fn)(const char *), const char *path)
{
    int fds[2];
    result r = {0, 0, 0};
    if (pipe(fds) != 0) return r;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        double t0 = now_s();
        int ok = fn(path);
        result c = {now_s() - t0, 0, ok};
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        c.peak_mib = (double)ru.ru_maxrss / 1024.0;
        if (write(fds[1], &c, sizeof c) != (ssize_t)sizeof c) _exit(2);
        _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], &r, sizeof r) != (ssize_t)sizeof r) r.ok = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    return r;
}

static int read_whole(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) return 0;
    char *buf = malloc((size_t)sb.st_size);
    size_t done = 0;
    while (buf && done < (size_t)sb.st_size) {
        ssize_t k = read(fd, buf + done, (size_t)sb.st_size - done);
        if (k <= 0) break;
        done += (size_t)k;
    }
    close(fd);
    int ok = buf && done == (size_t)sb.st_size && buf[done / 2] != 1; /* touch it */
    free(buf);
    return ok;
}

static int import(const char *path)
{
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    if (sr_onnx_load(path, &g, &w, err, sizeof err) != SR_OK) {
        fprintf(stderr, "import: %s\n", err);
        return 0;
    }
    int ok = sr_graph_node_count(g) > 30;
    sr_weights_free(w);
    sr_graph_free(g);
    return ok;
}

int main(int argc, char **argv)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench_import_vgg16_%d.onnx", argc > 1 ? argv[1] : "/tmp", (int)getpid());
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) write_vgg16(path);
    int status = 0;
    waitpid(pid, &status, 0);
    struct stat sb;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || stat(path, &sb) != 0) {
        fprintf(stderr, "bench_import: cannot write %s\n", path);
        unlink(path);
        return 1;
    }
    double file_mib = (double)sb.st_size / 1048576.0;
    read_whole(path); /* both measurements start from a warm page cache */
    result a = measure(read_whole, path), b = measure(import, path);
    unlink(path);
    if (!a.ok || !b.ok) {
        fprintf(stderr, "bench_import: a measurement failed\n");
        return 1;
    }
    printf("VGG-16 ONNX file: %.1f MiB (no BLAS in this benchmark)\n", file_mib);
    printf("%-28s %8s %10s %12s\n", "", "seconds", "peak MiB", "peak / file");
    printf("%-28s %8.3f %10.1f %12.2f\n", "anchor: read() the file", a.seconds, a.peak_mib, a.peak_mib / file_mib);
    printf("%-28s %8.3f %10.1f %12.2f\n", "sr_onnx_load", b.seconds, b.peak_mib, b.peak_mib / file_mib);
    printf("ratio import / anchor: time %.2f, peak memory %.2f\n", b.seconds / a.seconds, b.peak_mib / a.peak_mib);
    return 0;
}
