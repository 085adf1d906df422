/* test_darknet.c: the darknet .cfg/.weights importer.
 *
 * The shipped YOLOv2 cfgs must give the 425x13x13 head and the same MACs as the zoo's definitions;
 * a .weights file written here must land in the right tensors; malformed cfgs must give messages
 * with file:line and what was expected. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "sr_darknet.h"
#include "sr_test_child.h"
#include "sr_exec.h"
#include "sr_zoo.h"

#define MODELS SR_SOURCE_DIR "/experiments/models/"

/* Writes text to a per-test file in the build directory; returns its path (static buffer per slot). */
static const char *write_tmp(const char *name, const void *data, size_t size)
{
    static char path[4][512];
    static int slot;
    char *p = path[slot++ % 4];
    snprintf(p, 512, "%s/test_darknet_%d_%s", SR_BINARY_DIR, (int)getpid(), name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
    return p;
}

static const char *write_cfg(const char *name, const char *text)
{
    return write_tmp(name, text, strlen(text));
}

static void check_against_zoo(const char *cfg, const char *zoo_name, int expect_convs)
{
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    sr_status st = sr_darknet_load(cfg, NULL, 42, &g, &w, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s: %s", cfg, err);
    const sr_node *out = sr_graph_node(g, sr_graph_output(g));
    assert_int_equal(out->out.rank, 4);
    assert_int_equal(out->out.d[0], 1);
    assert_int_equal(out->out.d[1], 425);
    assert_int_equal(out->out.d[2], 13);
    assert_int_equal(out->out.d[3], 13);
    int convs = 0;
    for (int i = 0; i < sr_graph_node_count(g); i++)
        convs += sr_graph_node(g, i)->op == SR_OP_CONV;
    assert_int_equal(convs, expect_convs);

    sr_graph *z = NULL;
    assert_int_equal(sr_zoo_build(zoo_name, 3, 416, 416, &z), SR_OK);
    sr_graph_totals tg, tz;
    sr_graph_totals_get(g, &tg);
    sr_graph_totals_get(z, &tz);
    assert_true(tg.macs > 0);
    assert_int_equal(tg.macs, tz.macs);
    const sr_node *zout = sr_graph_node(z, sr_graph_output(z));
    assert_int_equal(sr_shape_numel(&zout->out), sr_shape_numel(&out->out));
    sr_graph_free(z);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_yolov2_matches_zoo(void **state)
{
    (void)state;
    check_against_zoo(MODELS "yolov2.cfg", "yolov2", 23);
}

static void test_yolov2_tiny_matches_zoo(void **state)
{
    (void)state;
    check_against_zoo(MODELS "yolov2-tiny.cfg", "tiny-yolov2", 9);
}

static void test_route_reorg_shapes(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    assert_int_equal(sr_darknet_load(MODELS "yolov2.cfg", NULL, 1, &g, &w, err, sizeof err), SR_OK);
    /* layer 26: 1x1 conv to 64 at 26x26; 27: reorg -> 256x13x13; 28: concat with layer 24 (1024) */
    const sr_node *reorg = sr_graph_node(g, sr_graph_find(g, "L27_reorg"));
    assert_non_null(reorg);
    assert_int_equal(reorg->out.d[1], 256);
    assert_int_equal(reorg->out.d[2], 13);
    const sr_node *route = sr_graph_node(g, sr_graph_find(g, "L28_route"));
    assert_non_null(route);
    assert_int_equal(route->op, SR_OP_CONCAT);
    assert_int_equal(route->n_inputs, 2);
    assert_int_equal(route->inputs[0], sr_graph_find(g, "L27_reorg"));
    assert_int_equal(route->inputs[1], sr_graph_find(g, "L24_leaky"));
    assert_int_equal(route->out.d[1], 1280);
    /* layer 26 reads layer 16 (route -9 is a pass-through) */
    const sr_node *c26 = sr_graph_node(g, sr_graph_find(g, "L26_conv"));
    assert_int_equal(c26->inputs[0], sr_graph_find(g, "L16_leaky"));
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_tiny_maxpool_stride1_padding(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    assert_int_equal(sr_darknet_load(MODELS "yolov2-tiny.cfg", NULL, 1, &g, &w, err, sizeof err), SR_OK);
    const sr_node *p = sr_graph_node(g, sr_graph_find(g, "L11_maxpool"));
    assert_non_null(p);
    assert_int_equal(p->attr.pad_top, 0);
    assert_int_equal(p->attr.pad_bottom, 1);
    assert_int_equal(p->out.d[2], 13);
    assert_int_equal(p->out.d[3], 13);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_seeded_weights_deterministic(void **state)
{
    (void)state;
    sr_graph *g1 = NULL, *g2 = NULL, *g3 = NULL;
    sr_weights *w1 = NULL, *w2 = NULL, *w3 = NULL;
    const char *cfg = MODELS "yolov2-tiny.cfg";
    assert_int_equal(sr_darknet_load(cfg, NULL, 7, &g1, &w1, NULL, 0), SR_OK);
    assert_int_equal(sr_darknet_load(cfg, NULL, 7, &g2, &w2, NULL, 0), SR_OK);
    assert_int_equal(sr_darknet_load(cfg, NULL, 8, &g3, &w3, NULL, 0), SR_OK);
    int id = sr_graph_find(g1, "L2_conv");
    int64_t n1, n2, n3;
    const float *a = sr_weights_get_const(w1, id, SR_PARAM_WEIGHT, &n1);
    const float *b = sr_weights_get_const(w2, id, SR_PARAM_WEIGHT, &n2);
    const float *c = sr_weights_get_const(w3, id, SR_PARAM_WEIGHT, &n3);
    assert_int_equal(n1, 32 * 16 * 3 * 3);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, (size_t)n1 * sizeof(float));
    assert_memory_not_equal(a, c, (size_t)n1 * sizeof(float));
    sr_weights_free(w1);
    sr_weights_free(w2);
    sr_weights_free(w3);
    sr_graph_free(g1);
    sr_graph_free(g2);
    sr_graph_free(g3);
}

/* A small network with every parameter kind: conv+bn, conv with bias, connected. */
static const char *small_cfg = "[net]\nwidth=6\nheight=6\nchannels=2\n\n"
                               "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\nstride=1\npad=1\n"
                               "activation=leaky\n\n"
                               "[maxpool]\nsize=2\nstride=2\n\n"
                               "[convolutional]\nfilters=4\nsize=1\nstride=1\npad=0\nactivation=linear\n\n"
                               "[connected]\noutput=5\nactivation=linear\n\n"
                               "[softmax]\n";

/* Element counts in file order: conv0 biases, scales, means, vars, weights; conv2 biases, weights;
 * connected biases, weights. */
static const int small_counts[] = {3, 3, 3, 3, 3 * 2 * 3 * 3, 4, 4 * 3, 5, 5 * 4 * 3 * 3};
#define SMALL_N_FLOATS (3 + 3 + 3 + 3 + 54 + 4 + 12 + 5 + 180)

static size_t make_weights(unsigned char *buf, int major, int minor, int n_floats)
{
    int32_t hdr[3] = {major, minor, 0};
    size_t off = 0;
    memcpy(buf, hdr, sizeof hdr);
    off += sizeof hdr;
    if ((int64_t)major * 10 + minor >= 2 && major < 1000 && minor < 1000) { /* darknet's rule */
        uint64_t seen = 12345;
        memcpy(buf + off, &seen, 8);
        off += 8;
    } else {
        int32_t seen = 12345;
        memcpy(buf + off, &seen, 4);
        off += 4;
    }
    for (int i = 0; i < n_floats; i++) {
        float v = 0.5f + (float)i;
        memcpy(buf + off, &v, 4);
        off += 4;
    }
    return off;
}

static void expect_tensor(sr_weights *w, int id, sr_param_role r, int n, float *next)
{
    int64_t cnt = 0;
    const float *t = sr_weights_get_const(w, id, r, &cnt);
    assert_non_null(t);
    assert_int_equal(cnt, n);
    for (int i = 0; i < n; i++) {
        assert_true(t[i] == *next);
        *next += 1.0f;
    }
}

static void check_small_weights(int major, int minor)
{
    unsigned char buf[4096];
    size_t n = make_weights(buf, major, minor, SMALL_N_FLOATS);
    const char *cfg = write_cfg("small.cfg", small_cfg);
    const char *wp = write_tmp("small.weights", buf, n);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    sr_status st = sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s", err);
    float next = 0.5f;
    int c0 = sr_graph_find(g, "L0_conv"), bn0 = sr_graph_find(g, "L0_bn");
    int c2 = sr_graph_find(g, "L2_conv"), fc = sr_graph_find(g, "L3_fc");
    assert_true(c0 >= 0 && bn0 >= 0 && c2 >= 0 && fc >= 0);
    assert_null(sr_weights_get_const(w, c0, SR_PARAM_BIAS, NULL)); /* with BN, darknet's biases are the shift */
    expect_tensor(w, bn0, SR_PARAM_BN_SHIFT, small_counts[0], &next);
    expect_tensor(w, bn0, SR_PARAM_BN_SCALE, small_counts[1], &next);
    expect_tensor(w, bn0, SR_PARAM_BN_MEAN, small_counts[2], &next);
    expect_tensor(w, bn0, SR_PARAM_BN_VAR, small_counts[3], &next);
    expect_tensor(w, c0, SR_PARAM_WEIGHT, small_counts[4], &next);
    expect_tensor(w, c2, SR_PARAM_BIAS, small_counts[5], &next);
    expect_tensor(w, c2, SR_PARAM_WEIGHT, small_counts[6], &next);
    expect_tensor(w, fc, SR_PARAM_BIAS, small_counts[7], &next);
    expect_tensor(w, fc, SR_PARAM_WEIGHT, small_counts[8], &next);
    assert_true(next == 0.5f + SMALL_N_FLOATS);
    const sr_node *out = sr_graph_node(g, sr_graph_output(g));
    assert_int_equal(out->op, SR_OP_SOFTMAX);
    assert_int_equal(out->out.rank, 2);
    assert_int_equal(out->out.d[1], 5);
    sr_weights_free(w);
    sr_graph_free(g);
    unlink(cfg);
    unlink(wp);
}

static void test_weights_file_v2(void **state)
{
    (void)state;
    check_small_weights(0, 2); /* 64-bit "seen" */
}

static void test_weights_file_v1(void **state)
{
    (void)state;
    check_small_weights(0, 1); /* 32-bit "seen" */
}

/* Versions darknet's rule reads as a 32-bit "seen" (major or minor 1000 or more), or as a 64-bit one (major * 10
 * + minor >= 2 with a negative minor); INT32_MAX * 10 overflowed an int before (UBSan; found by
 * fuzz_darknet_weights, input kept in tests/fuzz/corpus/darknet_weights). */
static void test_weights_file_odd_versions(void **state)
{
    (void)state;
    check_small_weights(INT32_MAX, 0);
    check_small_weights(INT32_MIN, INT32_MAX);
    check_small_weights(1, -5);
}

/* A .cfg is read only when it is a regular file of at most SR_DARKNET_MAX_CFG_BYTES: a FIFO would block, a
 * sparse file of gigabytes was read line by line for minutes. Both refused before reading. */
static void test_cfg_not_regular_or_too_large(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    char err[512];
    const char *cfg = write_cfg("big.cfg", small_cfg);
    assert_int_equal(truncate(cfg, (off_t)SR_DARKNET_MAX_CFG_BYTES), 0); /* at the limit: read (and refused as a
                                                                            cfg with NUL bytes, not for its size) */
    assert_int_not_equal(sr_darknet_load(cfg, NULL, 0, &g, NULL, err, sizeof err), SR_OK);
    assert_null(strstr(err, "MiB simrun reads"));
    assert_int_equal(truncate(cfg, (off_t)SR_DARKNET_MAX_CFG_BYTES + 1), 0);
    assert_int_equal(sr_darknet_load(cfg, NULL, 0, &g, NULL, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "big.cfg: 16777217 bytes, more than the 16 MiB simrun reads as a .cfg"));
    assert_null(g);
    unlink(cfg);
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/test_darknet_%d_pipe.cfg", SR_BINARY_DIR, (int)getpid());
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(sr_darknet_load(fifo, NULL, 0, &g, NULL, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "pipe.cfg: not a regular file"));
    /* a FIFO as the .weights: refused without opening it (it would block) */
    char small[512];
    snprintf(small, sizeof small, "%s", write_cfg("small.cfg", small_cfg));
    sr_weights *w = NULL;
    assert_int_equal(sr_darknet_load(small, fifo, 0, &g, &w, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "pipe.cfg: cannot read: not a regular file"));
    assert_null(g);
    assert_null(w);
    unlink(small);
    unlink(fifo);
}

static void test_weights_file_wrong_size(void **state)
{
    (void)state;
    unsigned char buf[4096];
    char cfg[512]; /* write_tmp's paths are reused after four files */
    snprintf(cfg, sizeof cfg, "%s", write_cfg("small.cfg", small_cfg));
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];

    size_t n = make_weights(buf, 0, 2, SMALL_N_FLOATS - 1);
    const char *wp = write_tmp("short.weights", buf, n);
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_ERR_CORRUPT);
    assert_null(g);
    assert_null(w);
    assert_non_null(strstr(err, "short.weights: truncated: layer 3"));
    unlink(wp);

    /* a 4-byte "seen" and one float too many: within the largest file the cfg allows (a 20-byte header), found
     * by the walk */
    n = make_weights(buf, 0, 1, SMALL_N_FLOATS + 1);
    wp = write_tmp("long.weights", buf, n);
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_ERR_CORRUPT);
    assert_non_null(strstr(err, "4 bytes are left after the last layer"));
    unlink(wp);
    /* past that size: refused from the size alone, before reading (a sparse file of 1 TiB reads nothing) */
    n = make_weights(buf, 0, 2, SMALL_N_FLOATS + 2);
    wp = write_tmp("longer.weights", buf, n);
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_ERR_CORRUPT);
    char want[256];
    snprintf(want, sizeof want, "longer.weights: %zu bytes, more than the %d that", n, 20 + 4 * SMALL_N_FLOATS);
    if (!strstr(err, want)) fail_msg("got: %s", err);
    assert_null(g);
    assert_null(w);
    int fd = open(wp, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
    close(fd);
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_ERR_CORRUPT);
    assert_non_null(strstr(err, "longer.weights: 1099511627776 bytes, more than the"));
    unlink(wp);

    wp = write_tmp("hdr.weights", buf, 7);
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_ERR_CORRUPT);
    assert_non_null(strstr(err, "truncated header"));
    unlink(wp);

    assert_int_equal(sr_darknet_load(cfg, SR_BINARY_DIR "/no/such.weights", 0, &g, &w, err, sizeof err),
                     SR_ERR_IO);
    assert_non_null(strstr(err, "no/such.weights: cannot open"));
    unlink(cfg);
}

/* Runs the small network with file weights: checks one conv+bn+leaky output value by hand. */
static void test_exec_with_file_weights(void **state)
{
    (void)state;
    unsigned char buf[4096];
    size_t n = make_weights(buf, 0, 2, SMALL_N_FLOATS);
    /* make every value small so the check is well-conditioned: rewrite the floats as (i % 7 - 3) / 8 */
    for (int i = 0; i < SMALL_N_FLOATS; i++) {
        float v = (float)(i % 7 - 3) / 8.0f;
        if (i >= 9 && i < 12)
            v = 0.25f + (float)(i - 9) * 0.5f; /* positive variances */
        memcpy(buf + 20 + 4 * (size_t)i, &v, 4);
    }
    const char *cfg = write_cfg("small.cfg", small_cfg);
    const char *wp = write_tmp("small.weights", buf, n);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512];
    assert_int_equal(sr_darknet_load(cfg, wp, 0, &g, &w, err, sizeof err), SR_OK);
    sr_exec *e = NULL;
    sr_status st = sr_exec_create(g, w, 1, &e, err, sizeof err);
    if (st != SR_OK)
        fail_msg("%s", err);
    float *x = sr_exec_input(e, 0);
    assert_non_null(x);
    for (int i = 0; i < 2 * 6 * 6; i++)
        x[i] = (float)((i * 5) % 11 - 5) / 4.0f;
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *y = sr_exec_output(e, sr_graph_find(g, "L0_leaky"));
    assert_non_null(y);
    const float *f = (const float *)(buf + 20);
    const float *shift = f, *scale = f + 3, *mean = f + 6, *var = f + 9, *W = f + 12;
    /* output channel 1 at (2, 3): 3x3 window fully inside, pad 1 */
    int oc = 1, oy = 2, ox = 3;
    double acc = 0;
    for (int ic = 0; ic < 2; ic++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++)
                acc += (double)W[((oc * 2 + ic) * 3 + ky) * 3 + kx] * x[(ic * 6 + oy - 1 + ky) * 6 + ox - 1 + kx];
    double v = scale[oc] * (acc - mean[oc]) / sqrt(var[oc] + 1e-6) + shift[oc];
    v = v > 0 ? v : 0.1 * v;
    double got = y[(oc * 6 + oy) * 6 + ox];
    if (fabs(got - v) > 1e-5 * (1.0 + fabs(v)))
        fail_msg("conv+bn+leaky output %.8g, expected %.8g", got, v);
    sr_exec_free(e);
    sr_weights_free(w);
    sr_graph_free(g);
    unlink(cfg);
    unlink(wp);
}

/* ---- malformed cfgs ---- */

static void expect_error(const char *text, sr_status want, const char *msg_part)
{
    const char *cfg = write_cfg("bad.cfg", text);
    sr_graph *g = (sr_graph *)1;
    sr_weights *w = (sr_weights *)1;
    char err[512] = "";
    sr_status st = sr_darknet_load(cfg, NULL, 0, &g, &w, err, sizeof err);
    if (st != want || strstr(err, msg_part) == NULL)
        fail_msg("status %s, message '%s'; expected %s with '%s'", sr_status_name(st), err, sr_status_name(want),
                 msg_part);
    assert_null(g);
    assert_null(w);
    unlink(cfg);
}

static void test_malformed_cfgs(void **state)
{
    (void)state;
    const char *net = "[net]\nwidth=32\nheight=32\nchannels=3\n";
    char buf[1024];

    snprintf(buf, sizeof buf, "%s[convolutionl]\nfilters=8\n", net);
    expect_error(buf, SR_ERR_PARSE, "bad.cfg:5: unknown section [convolutionl] (expected convolutional");

    snprintf(buf, sizeof buf, "%s[convolutional]\nsize=3\nactivation=leaky\n", net);
    expect_error(buf, SR_ERR_PARSE, "bad.cfg:5: [convolutional] needs 'filters=<integer>' (missing)");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\nsize=3x\n", net);
    expect_error(buf, SR_ERR_PARSE, "bad.cfg:7: size: expected an integer, got '3x'");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\n[route]\nlayers=-3\n", net);
    expect_error(buf, SR_ERR_PARSE,
                 "bad.cfg:8: layers: -3 refers to layer -2, which does not exist (this is layer 1; expected 0..0");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\n[route]\nlayers=0,5\n", net);
    expect_error(buf, SR_ERR_PARSE, "layers: 5 refers to layer 5, which does not exist");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\nactivation=mish\n", net);
    expect_error(buf, SR_ERR_UNSUPPORTED, "bad.cfg:7: activation 'mish' is not supported");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\nfliters=3\n", net);
    expect_error(buf, SR_ERR_UNSUPPORTED, "bad.cfg:7: unknown or unsupported key 'fliters' in [convolutional]");

    snprintf(buf, sizeof buf, "%s[upsample]\nstride=2\n", net);
    expect_error(buf, SR_ERR_UNSUPPORTED, "bad.cfg:5: section [upsample] is a darknet layer that simrun");

    snprintf(buf, sizeof buf, "%s[convolutional]\nfilters=8\nsize=1\n[region]\nclasses=80\nnum=5\n", net);
    expect_error(buf, SR_ERR_SHAPE, "bad.cfg:8: [region] (layer 1) expects num*(coords+1+classes) = 425");

    expect_error("[convolutional]\nfilters=8\n", SR_ERR_PARSE, "bad.cfg:1: expected [net] as the first section");
    expect_error("width=3\n[net]\n", SR_ERR_PARSE, "bad.cfg:1: 'width=3' appears before the first [section]");
    expect_error("[net]\nwidth=32\nheight=32\nthis is not an option\n", SR_ERR_PARSE,
                 "bad.cfg:4: expected 'key=value' or '[section]', got 'thisisnotanoption'");
    expect_error("[net]\nheight=32\n[maxpool]\n", SR_ERR_PARSE, "bad.cfg:1: [net] needs 'width=<integer>'");
    expect_error("[net]\nwidth=0\nheight=32\n[maxpool]\n", SR_ERR_RANGE, "bad.cfg:2: width: 0 is out of range");
    expect_error("[net]\nwidth=8\nheight=8\n", SR_ERR_PARSE, "[net] is not followed by any layer section");
    expect_error("", SR_ERR_PARSE, "no sections");
    expect_error("[net]\nwidth=8\nheight=8\n[maxpool]\nsize=16\nstride=16\npadding=0\n", SR_ERR_SHAPE,
                 "bad.cfg:4: [maxpool] (layer 0):");
    expect_error("[net]\nwidth=8\nheight=8\nwidth=9\n", SR_ERR_PARSE, "bad.cfg:4: duplicate key 'width'");
    expect_error("[net]\nwidth=8\nheight=8\n[route]\n", SR_ERR_PARSE, "bad.cfg:4: [route] needs 'layers=");

    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[256];
    assert_int_equal(sr_darknet_load(SR_BINARY_DIR "/no/such.cfg", NULL, 0, &g, &w, err, sizeof err), SR_ERR_IO);
    assert_non_null(strstr(err, "no/such.cfg: cannot open"));
}

/* test_parameter_limit's part under a 1 GiB address-space limit; paths: the cfg just under the limit, a short
 * .weights file. */
static int under_limit(void *arg)
{
    const char *const *paths = arg;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512] = "";
    sr_status st = sr_darknet_load(paths[0], NULL, 1, &g, NULL, err, sizeof err);
    sr_graph_totals t;
    if (st == SR_OK) sr_graph_totals_get(g, &t);
    if (st != SR_OK || t.params != (int64_t)1023 * 1024 * 32 * 32 + 1023) {
        fprintf(stderr, "graph only: status %d, message \"%s\"\n", (int)st, err);
        return 1;
    }
    sr_graph_free(g);
    g = NULL;
    /* a .weights file far shorter than the cfg asks: refused before the 4 GiB are allocated */
    st = sr_darknet_load(paths[0], paths[1], 1, &g, &w, err, sizeof err);
    if (st != SR_ERR_CORRUPT ||
        !strstr(err, "short.weights: truncated: layer 0 needs 1023 more floats, only 16 bytes are left") || g || w) {
        fprintf(stderr, "short weights file: status %d, message \"%s\"\n", (int)st, err);
        return 4;
    }
    if (SR_TEST_AS_LIMITED) {
        st = sr_darknet_load(paths[0], NULL, 1, &g, &w, err, sizeof err);
        if (st != SR_ERR_NOMEM || !strstr(err, "under.cfg: cannot allocate weights") || g || w) {
            fprintf(stderr, "with weights: status %d, message \"%s\"\n", (int)st, err);
            return 2;
        }
    }
    return 0;
}

/* A cfg of one [convolutional] whose parameters just pass SR_DARKNET_MAX_PARAMS (1024 x 1024 x 32 x 32 weights
 * + 1024 biases) is refused at that layer's line, before anything is allocated; one just below (1023 filters,
 * 4 GiB of weights) loads as a graph alone (w NULL) in a child under a 1 GiB address-space limit, where asking
 * for its weights fails with a message. (Before the limit, a 900-byte cfg took 1.9 GiB and 10 s of He
 * initialisation: the fuzzer's out-of-memory; and a graph-only load still drew every weight.) A .weights file
 * far shorter than the cfg asks is refused before the weights are allocated, there too. */
static void test_parameter_limit(void **state)
{
    (void)state;
    const char *head = "[net]\nwidth=32\nheight=32\nchannels=1024\n\n[convolutional]\n";
    char text[512];
    snprintf(text, sizeof text, "%sfilters=1024\nsize=32\nstride=1\npad=0\nactivation=linear\n", head);
    const char *over = write_cfg("over.cfg", text);
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    char err[512] = "";
    assert_int_equal(sr_darknet_load(over, NULL, 1, &g, &w, err, sizeof err), SR_ERR_UNSUPPORTED);
    char want[512];
    snprintf(want, sizeof want,
             "over.cfg:6: layer 0 ([convolutional]) brings the model to 1073742848 parameters (4.0 GiB of fp32 "
             "weights); simrun loads at most 1073741824 (4 GiB)");
    if (!strstr(err, want)) fail_msg("message \"%s\"", err);
    assert_null(g);
    assert_null(w);
    err[0] = '\0';
    assert_int_equal(sr_darknet_load(over, NULL, 1, &g, NULL, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, want));
    assert_int_equal(sr_darknet_load(over, "x.weights", 1, &g, NULL, err, sizeof err), SR_ERR_INVALID);

    snprintf(text, sizeof text, "%sfilters=1023\nsize=32\nstride=1\npad=0\nactivation=linear\n", head);
    const char *under = write_cfg("under.cfg", text);
    const int32_t hdr[5] = {0, 2, 0, 0, 0}; /* major 0, minor 2 (a 64-bit "seen"), then 4 floats */
    uint8_t wbytes[sizeof hdr + 16] = {0};
    memcpy(wbytes, hdr, sizeof hdr);
    const char *short_weights = write_tmp("short.weights", wbytes, sizeof wbytes);
    const char *paths[2] = {under, short_weights};
    assert_int_equal(sr_test_in_child((size_t)1 << 30, under_limit, paths), 0);
    unlink(over);
    unlink(under);
    unlink(short_weights);
}

static void test_random_bytes_cfg(void **state)
{
    (void)state;
    unsigned char buf[2048];
    uint32_t s = 12345;
    for (int trial = 0; trial < 20; trial++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            s = s * 1103515245u + 12345u;
            buf[i] = (unsigned char)(s >> 16);
        }
        const char *cfg = write_tmp("rand.cfg", buf, sizeof buf);
        sr_graph *g = NULL;
        sr_weights *w = NULL;
        char err[256];
        assert_int_not_equal(sr_darknet_load(cfg, NULL, 0, &g, &w, err, sizeof err), SR_OK);
        assert_true(strlen(err) > 0);
        unlink(cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yolov2_matches_zoo),
        cmocka_unit_test(test_yolov2_tiny_matches_zoo),
        cmocka_unit_test(test_route_reorg_shapes),
        cmocka_unit_test(test_tiny_maxpool_stride1_padding),
        cmocka_unit_test(test_seeded_weights_deterministic),
        cmocka_unit_test(test_weights_file_v2),
        cmocka_unit_test(test_weights_file_v1),
        cmocka_unit_test(test_weights_file_odd_versions), cmocka_unit_test(test_weights_file_wrong_size), cmocka_unit_test(test_cfg_not_regular_or_too_large),
        cmocka_unit_test(test_exec_with_file_weights),
        cmocka_unit_test(test_malformed_cfgs),
        cmocka_unit_test(test_parameter_limit),
        cmocka_unit_test(test_random_bytes_cfg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
