/* test_cut.c: the cut searches of sr_cut.h against each other and against sums written out in the test.
 * - a chain: the minimum cut, the enumeration and the best prefix agree with min_k (sum of device weights up
 * to k + target weights after k + cross[k]) computed here;
 * - small DAGs: the valid cuts counted by hand; a tensor with two readers on the target is paid once; a
 *   multi-tensor cut wins when its tensors are cheap;
 * - ResNet-50, MobileNetV2 (the zoo) and YOLOv2 (darknet cfg) with weights from the roofline cost model (a
 * camera SoC and a cloud GPU) at 3G / LTE / Wi-Fi bandwidths and with pseudo-random weights: the minimum
 * cut's value equals the exhaustive search over every valid cut, and is never above the best clean
 * single-tensor cut. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_cost.h"
#include "sr_cut.h"
#include "sr_cut_price.h"
#include "sr_model_source.h"
#include "sr_zoo.h"

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.15g, want %.15g", got, want);
}

/* A tiny deterministic generator (xorshift64*), uniform in [0, 1). */
static double uniform(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

typedef struct weights {
    double *dev, *tgt, *cross;
    sr_cut_weights w;
} weights;

static void weights_alloc(weights *w, int n)
{
    w->dev = calloc((size_t)n, sizeof(double));
    w->tgt = calloc((size_t)n, sizeof(double));
    w->cross = calloc((size_t)n, sizeof(double));
    assert_true(w->dev && w->tgt && w->cross);
    w->w = (sr_cut_weights){w->dev, w->tgt, w->cross};
}

static void weights_free(weights *w)
{
    free(w->dev);
    free(w->tgt);
    free(w->cross);
}

static sr_graph *chain(int n)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("chain", &g), SR_OK);
    int prev = sr_graph_add_input(g, "in", sr_shape_nchw(1, 1, 1, 64));
    for (int i = 1; i < n; i++)
        prev = sr_graph_fc(g, NULL, prev, 64, 1);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    return g;
}

static void test_chain(void **state)
{
    (void)state;
    const int n = 9;
    sr_graph *g = chain(n);
    weights w;
    weights_alloc(&w, n);
    uint64_t seed = 7;
    unsigned char *cut = calloc(n, 1), *ex = calloc(n, 1);
    double v_min = 0, v_ex = 0, v_pre = 0;
    for (int trial = 0; trial < 200; trial++) {
        for (int v = 0; v < n; v++) {
            w.dev[v] = uniform(&seed);
            w.tgt[v] = 0.3 * uniform(&seed);
            w.cross[v] = 2.0 * uniform(&seed);
        }
        w.tgt[0] = INFINITY; /* the input is captured on the device */
        w.dev[0] = 0;
        /* by hand: nodes 0..k on the device */
        double want = INFINITY;
        int want_k = -1;
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int v = 0; v < n; v++)
                s += v <= k ? w.dev[v] : w.tgt[v];
            if (k < n - 1) s += w.cross[k];
            if (s < want) want = s, want_k = k;
        }
        long count = 0;
        int k = -2;
        assert_int_equal(sr_cut_mincut(g, &w.w, cut, &v_min), SR_OK);
        assert_int_equal(sr_cut_exhaustive(g, &w.w, 1000, ex, &v_ex, &count), SR_OK);
        assert_int_equal(sr_cut_best_prefix(g, &w.w, NULL, &k, &v_pre), SR_OK);
        assert_int_equal(count, n); /* a chain with its input pinned: n prefixes */
        assert_rel(v_min, want, 1e-12);
        assert_rel(v_ex, want, 1e-12);
        assert_rel(v_pre, want, 1e-12);
        assert_int_equal(k, want_k);
        assert_int_equal(sr_cut_last_device_node(g, cut), want_k);
        assert_true(sr_cut_is_valid(g, cut));
    }
    /* too many cuts for the bound */
    assert_int_equal(sr_cut_exhaustive(g, &w.w, n - 1, ex, &v_pre, NULL), SR_ERR_RANGE);
    /* a negative or NaN weight is refused */
    w.dev[3] = -1;
    assert_int_equal(sr_cut_mincut(g, &w.w, cut, &v_min), SR_ERR_INVALID);
    w.dev[3] = NAN;
    assert_int_equal(sr_cut_exhaustive(g, &w.w, 1000, cut, &v_min, NULL), SR_ERR_INVALID);
    free(cut);
    free(ex);
    weights_free(&w);
    sr_graph_free(g);
}

/* in -> a, in -> b, add(a, b) (ids 0..3): valid cuts {in}, {in,a}, {in,b}, {in,a,b}, all = 5. */
static void test_diamond(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("diamond", &g), SR_OK);
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 4, 8, 8));
    int a = sr_graph_conv(g, "a", in, 4, 3, 1, 1, 1, 0);
    int b = sr_graph_conv(g, "b", in, 4, 3, 1, 1, 1, 0);
    int ab[2] = {a, b};
    int add = sr_graph_add(g, SR_OP_ADD, "add", ab, 2, NULL);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    weights w;
    weights_alloc(&w, 4);
    /* a is cheap on the device and its output tiny; b is dear on the device: {in, a} sends in (for b) and a
     */
    double dev[4] = {0, 1, 10, 1}, tgt[4] = {INFINITY, 5, 2, 5}, cross[4] = {3, 0.5, 7, 0};
    memcpy(w.dev, dev, sizeof dev);
    memcpy(w.tgt, tgt, sizeof tgt);
    memcpy(w.cross, cross, sizeof cross);
    unsigned char cut[4], ex[4];
    double v = 0, ve = 0;
    long count = 0;
    assert_int_equal(sr_cut_exhaustive(g, &w.w, 100, ex, &ve, &count), SR_OK);
    assert_int_equal(count, 5);
    assert_int_equal(sr_cut_mincut(g, &w.w, cut, &v), SR_OK);
    /* {in,a}: 0 + 1 + tgt b 2 + tgt add 5 + cross in 3 + cross a 0.5 = 11.5; {in}: 5+2+5+3 = 15;
     * {in,a,b}: 1+10+5+0.5+7 = 23.5; {in,b}: 10+5+5+3+7 = 30; all: 12 */
    assert_rel(v, 11.5, 1e-12);
    assert_rel(ve, 11.5, 1e-12);
    assert_true(cut[in] && cut[a] && !cut[b] && !cut[add]);
    assert_int_equal(sr_cut_crossing(g, cut), 2);
    /* the single-tensor cuts of split.c: {in} and everything ({in, a} sends two tensors; a prefix 0..1 is not
     * clean) */
    assert_false(sr_cut_prefix_clean(g, a));
    assert_false(sr_cut_prefix_clean(g, b));
    assert_true(sr_cut_prefix_clean(g, in));
    assert_true(sr_cut_prefix_clean(g, add));
    int k = -2;
    assert_int_equal(sr_cut_best_prefix(g, &w.w, NULL, &k, &v), SR_OK);
    assert_int_equal(k, add);
    assert_rel(v, 12, 1e-12);
    /* an invalid device part costs INFINITY */
    unsigned char bad[4] = {1, 0, 0, 1};
    assert_false(sr_cut_is_valid(g, bad));
    assert_true(isinf(sr_cut_value(g, &w.w, bad)));
    weights_free(&w);
    sr_graph_free(g);
}

/* in -> a -> {b, c} -> add(b, c): with a on the device and b, c on the target, a is sent once. */
static void test_shared_tensor(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("fork", &g), SR_OK);
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 4, 8, 8));
    int a = sr_graph_conv(g, "a", in, 4, 3, 1, 1, 1, 0);
    int b = sr_graph_conv(g, "b", a, 4, 3, 1, 1, 1, 0);
    int c = sr_graph_conv(g, "c", a, 4, 3, 1, 1, 1, 0);
    int bc[2] = {b, c};
    assert_true(sr_graph_add(g, SR_OP_ADD, "add", bc, 2, NULL) >= 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    weights w;
    weights_alloc(&w, 5);
    double dev[5] = {0, 1, 4, 4, 1}, tgt[5] = {INFINITY, 1, 1, 1, 1}, cross[5] = {10, 1, 10, 10, 10};
    memcpy(w.dev, dev, sizeof dev);
    memcpy(w.tgt, tgt, sizeof tgt);
    memcpy(w.cross, cross, sizeof cross);
    unsigned char cut[5];
    double v = 0, ve = 0;
    assert_int_equal(sr_cut_mincut(g, &w.w, cut, &v), SR_OK);
    assert_int_equal(sr_cut_exhaustive(g, &w.w, 100, cut + 0, &ve, NULL), SR_OK);
    /* {in, a}: 0 + 1 + 1 + 1 + 1 + cross a once (1) = 5 */
    assert_rel(v, 5, 1e-12);
    assert_rel(ve, 5, 1e-12);
    assert_true(sr_cut_prefix_clean(g, a));
    weights_free(&w);
    sr_graph_free(g);
}

/* The zoo DAG `name`: weights from the roofline on a camera SoC (device) and a cloud GPU (target), the frame
 * sent as the 8-bit input, fp32 tensors, at 3G / LTE / Wi-Fi; then pseudo-random weights. The minimum cut
 * equals the enumeration of every valid cut, and is at most the best clean single-tensor cut. */
static void zoo_mincut_equals_exhaustive(const char *name, long want_cuts)
{
    sr_graph *g = NULL;
    char err0[512] = "";
    if (sr_model_load(name, 0, 0, 0, 0, &g, NULL, err0, sizeof err0) != SR_OK) fail_msg("%s", err0);
    int n = sr_graph_node_count(g);
    sr_cost_model *roof = NULL;
    assert_int_equal(sr_cost_roofline_create(&roof), SR_OK);
    sr_cut_sides sides = {roof,
                          roof,
                          {"cam", 1.2e9 * 4, 4, 0.25, 3.2e9, 0},
                          {"gpu", 14e12, 1, 0.5, 900e9, 0},
                          SR_PREC_FP32,
                          SR_PREC_FP32,
                          (double)sr_shape_numel(&sr_graph_node(g, 0)->out),
                          3.0,
                          0.0};
    sr_cut_terms t;
    char err[256];
    assert_int_equal(sr_cut_terms_price(g, &sides, &t, err, sizeof err), SR_OK);
    unsigned char *cut = calloc((size_t)n, 1), *ex = calloc((size_t)n, 1);
    const double bw[3] = {1.1e6, 5.85e6, 18.88e6}, lat[3] = {0.1, 0.05, 0.0};
    for (int i = 0; i < 3; i++) {
        sr_cut_weights w;
        sr_cut_terms_weights(&t, SR_CUT_OBJ_LATENCY, 1, 0, bw[i], lat[i], &w);
        double v = 0, ve = 0, vp = 0;
        long count = 0;
        int k = -1;
        assert_int_equal(sr_cut_mincut(g, &w, cut, &v), SR_OK);
        assert_int_equal(sr_cut_exhaustive(g, &w, 1000000, ex, &ve, &count), SR_OK);
        assert_int_equal(sr_cut_best_prefix(g, &w, NULL, &k, &vp), SR_OK);
        assert_int_equal(count, want_cuts);
        assert_true(sr_cut_is_valid(g, cut));
        assert_rel(v, ve, 1e-9);
        assert_true(v <= vp * (1 + 1e-12));
        /* the prediction of the chosen cut is its latency value */
        sr_cut_prediction pr;
        sr_cut_predict(&t, g, cut, bw[i], lat[i], &pr);
        assert_rel(pr.latency_s, v, 1e-9);
    }
    /* pseudo-random weights: device and target dear or cheap per node, tensors cheap or dear; inputs pinned
     */
    uint64_t seed = 12345;
    double *dev = malloc(sizeof(double) * (size_t)n), *tgt = malloc(sizeof(double) * (size_t)n),
           *cross = malloc(sizeof(double) * (size_t)n);
    int multi = 0;
    for (int trial = 0; trial < 40; trial++) {
        /* every other trial: nodes before a random threshold are cheaper on the device, the others on the
         * target, tensors cheap: the optimum cuts at the threshold, often inside a block (several tensors) */
        int threshold = trial % 2 ? -1 : 1 + (int)(uniform(&seed) * (n - 2));
        for (int v = 0; v < n; v++) {
            if (threshold >= 0) {
                dev[v] = v < threshold ? 0.1 * uniform(&seed) : 1 + uniform(&seed);
                tgt[v] = v < threshold ? 1 + uniform(&seed) : 0.1 * uniform(&seed);
                cross[v] = 0.01 * uniform(&seed);
            } else {
                dev[v] = uniform(&seed) * (trial % 4 == 1 ? 1.0 : 0.2);
                tgt[v] = uniform(&seed) * 0.5;
                cross[v] = uniform(&seed) * (trial % 3 ? 3.0 : 0.3);
            }
            if (sr_graph_node(g, v)->op == SR_OP_INPUT) tgt[v] = INFINITY;
        }
        sr_cut_weights w = {dev, tgt, cross};
        double v = 0, ve = 0, vp = 0;
        int k = -1;
        assert_int_equal(sr_cut_mincut(g, &w, cut, &v), SR_OK);
        assert_int_equal(sr_cut_exhaustive(g, &w, 1000000, ex, &ve, NULL), SR_OK);
        assert_int_equal(sr_cut_best_prefix(g, &w, NULL, &k, &vp), SR_OK);
        assert_true(sr_cut_is_valid(g, cut));
        assert_rel(v, ve, 1e-9);
        assert_true(v <= vp * (1 + 1e-12));
        multi += sr_cut_crossing(g, cut) > 1;
    }
    assert_true(multi > 0); /* some optima send several tensors: the search is not only over single cuts */
    free(dev);
    free(tgt);
    free(cross);
    free(cut);
    free(ex);
    sr_cut_terms_free(&t);
    sr_cost_model_free(roof);
    sr_graph_free(g);
}

/* The weights of each objective, written out: energy = busy power x device time (+ coding) + radio power x
 * wire time; weighted = a latency + b energy; inputs pinned on the device; a tensor that may not cross is
 * infinite. */
static void test_objective_weights(void **state)
{
    (void)state;
    sr_graph *g = chain(4);
    sr_cost_model *roof = NULL;
    assert_int_equal(sr_cost_roofline_create(&roof), SR_OK);
    sr_cut_sides sides = {
        roof, roof, {"cam", 1e9, 1, 1.0, 0, 0}, {"gpu", 1e11, 1, 1.0, 0, 0}, SR_PREC_FP32, SR_PREC_FP16, 5000.0,
        3.0,  2.0};
    sr_cut_terms t;
    char err[256];
    assert_int_equal(sr_cut_terms_price(g, &sides, &t, err, sizeof err), SR_OK);
    assert_rel(t.bytes[0], 5000, 0);   /* the frame */
    assert_rel(t.bytes[1], 64 * 2, 0); /* 64 features at fp16 */
    assert_rel(t.dev_s[1], sr_cost_roofline_node(&sides.dev, g, 1, SR_PREC_FP32, 1), 1e-15);
    assert_rel(t.tgt_s[2], sr_cost_roofline_node(&sides.tgt, g, 2, SR_PREC_FP32, 1), 1e-15);
    sr_plan_codec cd = {"quant8", 4.0, 1e-6, 2e-6, 0.0};
    assert_int_equal(sr_cut_terms_set_codec(&t, g, 2, &sides, &cd), SR_OK);
    assert_rel(t.bytes[2], 32, 0); /* ceil(64 x 4 / 8) */
    assert_rel(t.enc_s[2], 64e-6, 1e-15);
    assert_rel(t.dec_s[2], 128e-6, 1e-15);
    const double bw = 1e6, lat = 0.02;
    sr_cut_weights w;
    for (int v = 0; v < 4; v++) {
        double wire = 8 * t.bytes[v] / bw;
        sr_cut_terms_weights(&t, SR_CUT_OBJ_LATENCY, 0, 0, bw, lat, &w);
        assert_rel(w.device[v], t.dev_s[v], 1e-15);
        assert_rel(w.cross[v], t.enc_s[v] + lat + wire + t.dec_s[v], 1e-15);
        if (v == 0)
            assert_true(isinf(w.target[v]));
        else
            assert_rel(w.target[v], t.tgt_s[v], 1e-15);
        sr_cut_terms_weights(&t, SR_CUT_OBJ_ENERGY, 0, 0, bw, lat, &w);
        assert_rel(w.device[v], 3.0 * t.dev_s[v], 1e-15);
        assert_rel(w.cross[v], 3.0 * t.enc_s[v] + 2.0 * wire, 1e-15);
        if (v > 0) assert_rel(w.target[v], 0, 0);
        sr_cut_terms_weights(&t, SR_CUT_OBJ_WEIGHTED, 0.5, 4.0, bw, lat, &w);
        assert_rel(w.device[v], 0.5 * t.dev_s[v] + 4.0 * 3.0 * t.dev_s[v], 1e-15);
        assert_rel(w.cross[v],
                   0.5 * (t.enc_s[v] + lat + wire + t.dec_s[v]) + 4.0 * (3.0 * t.enc_s[v] + 2.0 * wire),
                   1e-15);
    }
    /* the prediction of "0..2 on the device" at this bandwidth */
    unsigned char cut[4];
    sr_cut_prefix(g, 2, cut);
    sr_cut_prediction pr;
    sr_cut_predict(&t, g, cut, bw, lat, &pr);
    assert_int_equal(pr.tensors, 1);
    assert_int_equal(pr.last_device, 2);
    assert_int_equal(pr.device_nodes, 3);
    assert_rel(pr.bytes, 32, 0);
    assert_rel(pr.latency_s, t.dev_s[1] + t.dev_s[2] + t.enc_s[2] + lat + 256 / bw + t.dec_s[2] + t.tgt_s[3],
               1e-12);
    assert_rel(pr.energy_j, 3.0 * (t.dev_s[1] + t.dev_s[2] + t.enc_s[2]) + 2.0 * 256 / bw, 1e-12);
    /* a tensor that may not cross, and a dead link */
    t.may_cross[1] = 0;
    sr_cut_terms_weights(&t, SR_CUT_OBJ_LATENCY, 0, 0, bw, lat, &w);
    assert_true(isinf(w.cross[1]));
    sr_cut_terms_weights(&t, SR_CUT_OBJ_LATENCY, 0, 0, 0.0, lat, &w);
    assert_true(isinf(w.cross[2]));
    double v = 0;
    assert_int_equal(sr_cut_mincut(g, &w, cut, &v), SR_OK);
    assert_int_equal(sr_cut_last_device_node(g, cut), 3); /* nothing can be sent: device-only */
    sr_cut_terms_free(&t);
    sr_cost_model_free(roof);
    sr_graph_free(g);
}

static void test_resnet50(void **state)
{
    (void)state;
    zoo_mincut_equals_exhaustive("resnet50", 239);
}

static void test_mobilenetv2(void **state)
{
    (void)state;
    zoo_mincut_equals_exhaustive("mobilenetv2", 153);
}

/* YOLOv2's darknet cfg: a route back to layer 16 through a reorg (a DAG with a long skip). */
static void test_yolov2(void **state)
{
    (void)state;
    zoo_mincut_equals_exhaustive(SR_SOURCE_DIR "/experiments/models/yolov2.cfg", 163);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain),         cmocka_unit_test(test_diamond),
        cmocka_unit_test(test_shared_tensor), cmocka_unit_test(test_objective_weights),
        cmocka_unit_test(test_resnet50),      cmocka_unit_test(test_mobilenetv2),
        cmocka_unit_test(test_yolov2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
