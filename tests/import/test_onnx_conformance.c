/* test_onnx_conformance.c: runs ONNX's backend node tests (shipped by Debian's python3-onnx) through
 * the ONNX importer and the executor.
 *
 * For every test_* directory: model.onnx is loaded with test_data_set_0/input_*.pb fed (weights of the
 * node tests are graph inputs; the importer folds those it needs as constants), the graph runs, and each
 * output is compared with output_*.pb using ONNX's tolerances |a - b| <= atol + rtol * |b| (rtol 1e-3,
 * atol 1e-7). Models with unsupported operators, attributes or non-float tensors must be refused with
 * a clean error. The list `expected_pass` pins the tests that pass today: any of them failing fails this
 * test; a test passing that is not in the list is reported so the list can grow. Prints per-operator
 * counts. SR_ONNX_NODE_TESTS overrides the test data directory. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sr_file.h"
#include "onnx.pb-c.h"
#include "sr_exec.h"
#include "sr_onnx.h"

#define DEFAULT_NODE_DIR "/usr/lib/python3/dist-packages/onnx/backend/test/data/node"
#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_TENSORS 16

/* Tests that must pass (the node tests of the supported operators and attributes). */
static const char *const expected_pass[] = {
#include "onnx_expected_pass.inc"
};
#define N_EXPECTED ((int)(sizeof expected_pass / sizeof expected_pass[0]))

typedef enum { R_PASS, R_FAIL, R_UNSUPPORTED, R_ERROR } result_kind;
static const char *const result_names[] = {"pass", "FAIL", "unsupported", "ERROR"};

typedef struct op_stat {
    char op[48];
    int count[4];
} op_stat;

static op_stat stats[512];
static int n_stats;

static void count_op(const char *op, result_kind r)
{
    for (int i = 0; i < n_stats; i++)
        if (strcmp(stats[i].op, op) == 0) {
            stats[i].count[r]++;
            return;
        }
    if (n_stats < (int)(sizeof stats / sizeof stats[0])) {
        snprintf(stats[n_stats].op, sizeof stats[n_stats].op, "%s", op);
        stats[n_stats].count[r] = 1;
        n_stats++;
    }
}

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

static Onnx__ModelProto *read_model(const char *path)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    if (sr_file_read(path, &buf, &n) != SR_OK) return NULL;
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, n, buf);
    free(buf);
    return m;
}

static int is_initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (strcmp(g->initializer[i]->name, name) == 0)
            return 1;
    return 0;
}

/* Compares got (numel n_got) with the expected tensor; writes why into msg on a mismatch. */
static int compare(const float *got, const sr_shape *gs, const sr_onnx_tensor *want, char *msg, size_t size)
{
    int64_t n = sr_shape_numel(&want->shape);
    if (sr_shape_numel(gs) != n) {
        char a[96], b[96];
        sr_shape_format(gs, a, sizeof a);
        sr_shape_format(&want->shape, b, sizeof b);
        snprintf(msg, size, "output '%s' shape %s, expected %s", want->name, a, b);
        return 0;
    }
    /* ranks must agree except for a scalar, which the graph holds as a 1-element vector */
    if (want->shape.rank > 0) {
        int same = gs->rank == want->shape.rank;
        for (int i = 0; same && i < gs->rank; i++)
            same = gs->d[i] == want->shape.d[i];
        if (!same) {
            char a[96], b[96];
            sr_shape_format(gs, a, sizeof a);
            sr_shape_format(&want->shape, b, sizeof b);
            snprintf(msg, size, "output '%s' shape %s, expected %s", want->name, a, b);
            return 0;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        double a = got[i], b = want->data[i];
        if (isnan(a) && isnan(b))
            continue;
        if (isinf(b) && a == b)
            continue;
        if (!(fabs(a - b) <= ATOL + RTOL * fabs(b))) {
            snprintf(msg, size, "output '%s'[%lld] = %.9g, expected %.9g", want->name, (long long)i, a, b);
            return 0;
        }
    }
    return 1;
}

static int read_tensors(const char *dir, const char *prefix, int allow_i64, sr_onnx_tensor *t, int *n,
                        int *non_float, char *msg, size_t size)
{
    *n = 0;
    *non_float = 0;
    for (int k = 0; k < MAX_TENSORS; k++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/test_data_set_0/%s_%d.pb", dir, prefix, k);
        if (!file_exists(p))
            break;
        char err[256];
        sr_status st = sr_onnx_tensor_read(p, &t[k], err, sizeof err);
        *n = k + 1;
        if (st != SR_OK || (t[k].data == NULL && !allow_i64)) {
            /* other element types, or not a TensorProto (sequences, optionals): not for this importer */
            *non_float = 1;
            snprintf(msg, size, "test data: %s", st != SR_OK ? err : "int64 output");
            return 1;
        }
    }
    return 1;
}

static result_kind run_one(const char *dir, const Onnx__ModelProto *m, char *msg, size_t size)
{
    char model[1100];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    sr_onnx_tensor in[MAX_TENSORS], out[MAX_TENSORS];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    int n_in = 0, n_out = 0, nf_in = 0, nf_out = 0;
    result_kind r = R_ERROR;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    sr_exec *e = NULL;
    sr_onnx_io io;
    char err[512] = "";

    if (!read_tensors(dir, "input", 1, in, &n_in, &nf_in, msg, size) ||
        !read_tensors(dir, "output", 0, out, &n_out, &nf_out, msg, size))
        goto done;
    if (nf_in || nf_out) {
        /* non-float test data: the importer must still refuse or accept the model cleanly */
        sr_status st = sr_onnx_load(model, &g, &w, err, sizeof err);
        if (st != SR_OK && err[0] == '\0') {
            snprintf(msg, size, "status %s without a message", sr_status_name(st));
            goto done;
        }
        r = R_UNSUPPORTED;
        goto done;
    }
    /* name the feeds after the graph inputs that are not initializers, in order */
    int k = 0;
    for (size_t i = 0; i < m->graph->n_input && k < n_in; i++)
        if (!is_initializer(m->graph, m->graph->input[i]->name))
            snprintf(in[k++].name, SR_ONNX_IO_NAME_MAX, "%s", m->graph->input[i]->name);
    sr_onnx_options opt = {.feeds = in, .n_feeds = n_in};
    sr_status st = sr_onnx_load_ex(model, &opt, &g, &w, &io, err, sizeof err);
    if (st == SR_ERR_UNSUPPORTED) {
        snprintf(msg, size, "%s", err);
        r = R_UNSUPPORTED;
        goto done;
    }
    if (st != SR_OK) {
        snprintf(msg, size, "load: %s: %s", sr_status_name(st), err);
        goto done;
    }
    st = sr_exec_create(g, w, 1, &e, err, sizeof err);
    if (st == SR_ERR_UNSUPPORTED) {
        snprintf(msg, size, "exec: %s", err);
        r = R_UNSUPPORTED;
        goto done;
    }
    if (st != SR_OK) {
        snprintf(msg, size, "exec create: %s: %s", sr_status_name(st), err);
        goto done;
    }
    for (int i = 0; i < io.n_inputs; i++) {
        const sr_onnx_tensor *feed = NULL;
        for (int j = 0; j < n_in; j++)
            if (strcmp(in[j].name, io.input_names[i]) == 0)
                feed = &in[j];
        float *buf = sr_exec_input(e, io.input_ids[i]);
        if (feed == NULL || buf == NULL) {
            snprintf(msg, size, "no data for input '%s'", io.input_names[i]);
            goto done;
        }
        memcpy(buf, feed->data, sizeof(float) * (size_t)sr_shape_numel(&feed->shape));
    }
    if ((st = sr_exec_run(e)) != SR_OK) {
        snprintf(msg, size, "run: %s", sr_status_name(st));
        goto done;
    }
    if (io.n_outputs != n_out) {
        snprintf(msg, size, "%d outputs, the test has %d", io.n_outputs, n_out);
        r = R_FAIL;
        goto done;
    }
    r = R_PASS;
    for (int i = 0; i < n_out && r == R_PASS; i++) {
        const float *y = sr_exec_output(e, io.output_ids[i]);
        if (y == NULL) {
            snprintf(msg, size, "output %d not readable", i);
            r = R_ERROR;
        } else if (!compare(y, &sr_graph_node(g, io.output_ids[i])->out, &out[i], msg, size)) {
            r = R_FAIL;
        }
    }
done:
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
    for (int i = 0; i < MAX_TENSORS; i++) {
        sr_onnx_tensor_clear(&in[i]);
        sr_onnx_tensor_clear(&out[i]);
    }
    return r;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_node_conformance(void **state)
{
    (void)state;
    const char *root = getenv("SR_ONNX_NODE_TESTS") ? getenv("SR_ONNX_NODE_TESTS") : DEFAULT_NODE_DIR;
    const int verbose = getenv("SR_ONNX_VERBOSE") != NULL;
    struct dirent **ents = NULL;
    int n = scandir(root, &ents, NULL, alphasort);
    if (n < 0) {
        print_message("ONNX node tests not found at %s: skipped\n", root);
        skip();
    }
    int total[4] = {0, 0, 0, 0};
    int expected_failed = 0, unexpected_pass = 0, n_dirs = 0;
    char *seen_expected = calloc((size_t)N_EXPECTED, 1);
    assert_non_null(seen_expected);
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (strncmp(name, "test_", 5) != 0)
            continue;
        char dir[1024], model[1100];
        snprintf(dir, sizeof dir, "%s/%s", root, name);
        snprintf(model, sizeof model, "%s/model.onnx", dir);
        Onnx__ModelProto *m = read_model(model);
        if (m == NULL || m->graph == NULL) {
            if (m)
                onnx__model_proto__free_unpacked(m, NULL);
            continue;
        }
        n_dirs++;
        char msg[768] = "";
        result_kind r = run_one(dir, m, msg, sizeof msg);
        total[r]++;
        /* per distinct operator of the model */
        for (size_t k = 0; k < m->graph->n_node; k++) {
            int dup = 0;
            for (size_t j = 0; j < k; j++)
                dup |= strcmp(m->graph->node[j]->op_type, m->graph->node[k]->op_type) == 0;
            if (!dup)
                count_op(m->graph->node[k]->op_type, r);
        }
        const char *key = name;
        const char *const *hit = bsearch(&key, expected_pass, (size_t)N_EXPECTED, sizeof expected_pass[0], cmp_str);
        if (hit)
            seen_expected[hit - expected_pass] = 1;
        if (hit && r != R_PASS) {
            expected_failed++;
            print_message("REGRESSION %s: %s: %s\n", name, result_names[r], msg);
        } else if (!hit && r == R_PASS) {
            unexpected_pass++;
            print_message("not in the expected list but passes: %s\n", name);
        } else if (verbose && r != R_PASS) {
            print_message("%-11s %s: %s\n", result_names[r], name, msg);
        }
        onnx__model_proto__free_unpacked(m, NULL);
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);

    print_message("%-28s %6s %6s %12s %6s\n", "operator", "pass", "fail", "unsupported", "error");
    for (int i = 0; i < n_stats; i++)
        if (stats[i].count[R_PASS] + stats[i].count[R_FAIL] + stats[i].count[R_ERROR] > 0 || verbose)
            print_message("%-28s %6d %6d %12d %6d\n", stats[i].op, stats[i].count[R_PASS], stats[i].count[R_FAIL],
                          stats[i].count[R_UNSUPPORTED], stats[i].count[R_ERROR]);
    int other_unsupported = 0;
    for (int i = 0; i < n_stats; i++)
        if (stats[i].count[R_PASS] + stats[i].count[R_FAIL] + stats[i].count[R_ERROR] == 0)
            other_unsupported++;
    print_message("(%d further operators: all their tests refused cleanly as unsupported)\n", other_unsupported);
    print_message("%d test directories: %d pass, %d fail, %d unsupported, %d error; %d expected to pass\n", n_dirs,
                  total[R_PASS], total[R_FAIL], total[R_UNSUPPORTED], total[R_ERROR], N_EXPECTED);
    int missing = 0;
    for (int i = 0; i < N_EXPECTED; i++)
        if (!seen_expected[i]) {
            missing++;
            print_message("expected test %s not found\n", expected_pass[i]);
        }
    free(seen_expected);
    if (unexpected_pass)
        print_message("%d tests pass that are not in onnx_expected_pass.inc\n", unexpected_pass);
    assert_int_equal(missing, 0);
    assert_int_equal(expected_failed, 0);
    assert_int_equal(total[R_ERROR], 0);
}

/* The list must be sorted (bsearch) and free of duplicates. */
static void test_expected_list_sorted(void **state)
{
    (void)state;
    for (int i = 1; i < N_EXPECTED; i++)
        if (strcmp(expected_pass[i - 1], expected_pass[i]) >= 0)
            fail_msg("onnx_expected_pass.inc not sorted/unique at %s", expected_pass[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expected_list_sorted),
        cmocka_unit_test(test_node_conformance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
