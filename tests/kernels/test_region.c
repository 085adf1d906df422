/* test_region.c: fused-tile and channel-partition execution stitched back equal the un-partitioned
 * output; back-projection, virtual padding, redundant MACs and grid splits on hand-checked cases.
 *
 * Models run at reduced resolutions to keep the test fast: the VGG-16 block conv1_1..pool3 at
 * 3x48x48 (copied node by node from the zoo graph so that the FC weights are not allocated) and
 * tiny-YOLOv2 at 3x96x96 / 3x160x160. Tolerance: max |tile - full| <= 1e-4 * max |full|. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_exec.h"
#include "sr_kernels.h"
#include "sr_region.h"
#include "sr_zoo.h"

/* Copies nodes 0..last of src into a new inferred graph whose input is h x w (0: unchanged). */
static sr_graph *prefix_graph(const sr_graph *src, int last, int h, int w)
{
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("prefix", &g), SR_OK);
    for (int i = 0; i <= last; i++) {
        const sr_node *nd = sr_graph_node(src, i);
        sr_shape is = nd->out;
        if (nd->op == SR_OP_INPUT && h > 0)
            is.d[2] = h, is.d[3] = w;
        int id = nd->op == SR_OP_INPUT ? sr_graph_add_input(g, nd->name, is)
                                       : sr_graph_add(g, nd->op, nd->name, nd->inputs, nd->n_inputs, &nd->attr);
        assert_int_equal(id, i);
    }
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    return g;
}

typedef struct fixture {
    sr_graph *g;
    sr_weights *w;
    sr_exec *e;
    sr_region *r;
    int first, last;
    const float *in;   /* full region input */
    const float *full; /* full region output */
    int n, c_in, h_in, w_in, c_out, h_out, w_out;
} fixture;

static void fixture_open(fixture *f, sr_graph *g, int first, int last)
{
    memset(f, 0, sizeof(*f));
    f->g = g;
    f->first = first;
    f->last = last;
    assert_int_equal(sr_weights_create(g, &f->w), SR_OK);
    sr_weights_init_he(f->w, 1234);
    char err[256];
    assert_int_equal(sr_region_create(g, first, last, &f->r, err, sizeof(err)), SR_OK);
    int in_id = sr_region_input_id(f->r);
    assert_int_equal(sr_exec_create(g, f->w, 0, &f->e, err, sizeof(err)), SR_OK);
    assert_int_equal(sr_exec_keep(f->e, in_id), SR_OK);
    assert_int_equal(sr_exec_keep(f->e, last), SR_OK);
    float *x = sr_exec_input(f->e, 0);
    int64_t n = sr_shape_numel(&sr_graph_node(g, 0)->out);
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)sin(0.37 * (double)i) + 0.25f * (float)((i * 7919) % 13 - 6) / 6.0f;
    assert_int_equal(sr_exec_run(f->e), SR_OK);
    f->in = sr_exec_output(f->e, in_id);
    f->full = sr_exec_output(f->e, last);
    const sr_shape *is = &sr_graph_node(g, in_id)->out, *os = &sr_graph_node(g, last)->out;
    f->n = (int)is->d[0];
    f->c_in = (int)is->d[1], f->h_in = (int)is->d[2], f->w_in = (int)is->d[3];
    f->c_out = (int)os->d[1], f->h_out = (int)os->d[2], f->w_out = (int)os->d[3];
}

static void fixture_close(fixture *f)
{
    sr_region_free(f->r);
    sr_exec_free(f->e);
    sr_weights_free(f->w);
    sr_graph_free(f->g);
}

/* Runs every tile of the grid and stitches it into a full-size output; returns max |diff|. */
static double stitch_and_compare(const fixture *f, const sr_rect *tiles, int n_tiles, int cropped_input)
{
    size_t out_n = (size_t)f->n * f->c_out * f->h_out * f->w_out;
    float *st = malloc(sizeof(float) * out_n);
    assert_non_null(st);
    for (size_t i = 0; i < out_n; i++)
        st[i] = NAN;
    for (int t = 0; t < n_tiles; t++) {
        sr_rect o = tiles[t];
        int th = o.y1 - o.y0, tw = o.x1 - o.x0;
        if (th <= 0 || tw <= 0)
            continue;
        float *tile = malloc(sizeof(float) * (size_t)f->n * f->c_out * th * tw);
        sr_rect need;
        assert_int_equal(sr_region_backproject(f->r, o, NULL, &need), SR_OK);
        if (cropped_input) {
            int nh = need.y1 - need.y0, nw = need.x1 - need.x0;
            float *sub = malloc(sizeof(float) * (size_t)f->n * f->c_in * nh * nw);
            for (int64_t pl = 0; pl < (int64_t)f->n * f->c_in; pl++)
                for (int y = 0; y < nh; y++)
                    memcpy(sub + (pl * nh + y) * nw, f->in + (pl * f->h_in + need.y0 + y) * f->w_in + need.x0,
                           sizeof(float) * (size_t)nw);
            assert_int_equal(sr_region_run_tile(f->r, f->w, sub, need, o, tile), SR_OK);
            free(sub);
        } else {
            sr_rect all = {0, f->h_in, 0, f->w_in};
            assert_int_equal(sr_region_run_tile(f->r, f->w, f->in, all, o, tile), SR_OK);
        }
        for (int64_t pl = 0; pl < (int64_t)f->n * f->c_out; pl++)
            for (int y = 0; y < th; y++)
                memcpy(st + (pl * f->h_out + o.y0 + y) * f->w_out + o.x0, tile + (pl * th + y) * tw,
                       sizeof(float) * (size_t)tw);
        free(tile);
    }
    double worst = 0;
    for (size_t i = 0; i < out_n; i++) {
        double d = fabs((double)st[i] - f->full[i]);
        if (!(d <= worst))
            worst = d; /* NaN (uncovered pixel) propagates */
    }
    free(st);
    return worst;
}

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

static void check_all_grids(const fixture *f)
{
    double tol = 1e-4 * max_abs(f->full, (size_t)f->n * f->c_out * f->h_out * f->w_out);
    assert_true(tol > 0);
    sr_rect tiles[25];
    for (int rows = 1; rows <= 5; rows++)
        for (int cols = 1; cols <= 5; cols++) {
            assert_int_equal(sr_grid_rects(f->h_out, f->w_out, rows, cols, NULL, NULL, tiles), SR_OK);
            double d = stitch_and_compare(f, tiles, rows * cols, (rows + cols) % 2);
            if (!(d <= tol))
                fail_msg("grid %dx%d: max diff %g > %g", rows, cols, d, tol);
            int64_t red = sr_region_redundant_macs(f->r, tiles, rows * cols);
            if (rows * cols == 1)
                assert_int_equal(red, 0);
            else
                assert_true(red >= 0);
        }
    /* uneven weighted splits (heterogeneous devices) */
    const double rw[3] = {0.5, 0.2, 0.3}, cw[2] = {3, 1}, rw2[4] = {1, 2, 3, 4};
    assert_int_equal(sr_grid_rects(f->h_out, f->w_out, 3, 2, rw, cw, tiles), SR_OK);
    double d = stitch_and_compare(f, tiles, 6, 1);
    assert_true(d <= tol);
    assert_int_equal(sr_grid_rects(f->h_out, f->w_out, 4, 1, rw2, NULL, tiles), SR_OK);
    d = stitch_and_compare(f, tiles, 4, 0);
    assert_true(d <= tol);
}

static void test_vgg16_block(void **state)
{
    (void)state;
    sr_graph *z = NULL;
    /* The zoo needs >= 224 for VGG's classifier; the block alone runs at 48x48. */
    assert_int_equal(sr_zoo_build("vgg16", 0, 0, 0, &z), SR_OK);
    int first = sr_graph_find(z, "conv1_1"), last = sr_graph_find(z, "pool3");
    assert_true(first > 0 && last > first);
    fixture f;
    fixture_open(&f, prefix_graph(z, last, 48, 48), first, last);
    sr_graph_free(z);
    assert_int_equal(f.h_out, 6);
    check_all_grids(&f);
    /* Back-projection of the top-left tile of a 2x2 grid: conv1_1 sees real padding top/left only. */
    sr_rect t = {0, 3, 0, 3};
    sr_tile_layer L[32];
    sr_rect need;
    assert_true(sr_region_node_count(f.r) == 17);
    assert_int_equal(sr_region_backproject(f.r, t, L, &need), SR_OK);
    /* pool3 rows [0,3) <- conv3_3 [0,6) <- conv3_2 [0,7) <- conv3_1 [0,8) <- pool2 [0,9) <- conv2_2
     * [0,18) <- conv2_1 [0,19) <- pool1 [0,20) <- conv1_2 [0,40) <- conv1_1 [0,41) <- input [0,42) */
    assert_int_equal(need.y0, 0);
    assert_int_equal(need.y1, 42);
    assert_int_equal(need.x1, 42);
    assert_int_equal(L[0].id, first);
    assert_int_equal(L[0].out.y1, 41);
    assert_int_equal(L[0].vpad.top, 1);
    assert_int_equal(L[0].vpad.left, 1);
    assert_int_equal(L[0].vpad.bottom, 0);
    assert_int_equal(L[0].vpad.right, 0);
    /* bottom-right tile: padding only bottom/right; conv1_1 computes rows [7,48) from input [6,48) */
    t = (sr_rect){3, 6, 3, 6};
    assert_int_equal(sr_region_backproject(f.r, t, L, &need), SR_OK);
    assert_int_equal(need.y0, 6);
    assert_int_equal(L[0].out.y0, 7);
    assert_int_equal(need.y1, 48);
    assert_int_equal(L[0].vpad.top, 0);
    assert_int_equal(L[0].vpad.bottom, 1);
    assert_int_equal(L[0].vpad.right, 1);
    /* An input rectangle that misses needed pixels is refused. */
    float dummy[1];
    assert_int_equal(sr_region_run_tile(f.r, f.w, f.in, (sr_rect){7, 48, 0, 48}, t, dummy), SR_ERR_RANGE);

    /* Channel partitions of conv2_1 stitched equal the full layer. */
    int id = sr_graph_find(f.g, "conv2_1");
    sr_exec *e = NULL;
    assert_int_equal(sr_exec_create(f.g, f.w, 1, &e, NULL, 0), SR_OK);
    memcpy(sr_exec_input(e, 0), sr_exec_input(f.e, 0), sizeof(float) * 3 * 48 * 48);
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *xin = sr_exec_output(e, sr_graph_node(f.g, id)->inputs[0]);
    const float *full = sr_exec_output(e, id);
    const sr_shape *os = &sr_graph_node(f.g, id)->out;
    int64_t hw = os->d[2] * os->d[3];
    int bounds[4];
    const double cwt[3] = {1, 2, 5};
    assert_int_equal(sr_split_extent((int)os->d[1], 3, cwt, bounds), SR_OK);
    double tol = 1e-4 * max_abs(full, (size_t)(os->d[1] * hw));
    for (int p = 0; p < 3; p++) {
        int c0 = bounds[p], c1 = bounds[p + 1];
        float *part = malloc(sizeof(float) * (size_t)((c1 - c0) * hw));
        assert_int_equal(sr_region_run_channels(f.g, f.w, id, xin, c0, c1, part), SR_OK);
        for (int64_t i = 0; i < (c1 - c0) * hw; i++)
            assert_true(fabs(part[i] - full[c0 * hw + i]) <= tol);
        free(part);
    }
    assert_int_equal(sr_region_run_channels(f.g, f.w, id, xin, 0, 129, dummy), SR_ERR_RANGE);
    sr_exec_free(e);
    fixture_close(&f);
}

static void test_tiny_yolov2_head(void **state)
{
    (void)state;
    sr_graph *z = NULL;
    assert_int_equal(sr_zoo_build("tiny-yolov2", 3, 96, 96, &z), SR_OK);
    int first = sr_graph_find(z, "conv0"), last = sr_graph_find(z, "maxpool5");
    assert_true(first > 0 && last > first);
    fixture f;
    fixture_open(&f, prefix_graph(z, last, 0, 0), first, last);
    sr_graph_free(z);
    assert_int_equal(f.h_out, 12);
    check_all_grids(&f);
    fixture_close(&f);
}

/* The stride-1 darknet maxpool (asymmetric padding) between the big convs of tiny-YOLOv2. */
static void test_tiny_yolov2_tail(void **state)
{
    (void)state;
    sr_graph *z = NULL;
    assert_int_equal(sr_zoo_build("tiny-yolov2", 3, 160, 160, &z), SR_OK);
    int first = sr_graph_find(z, "conv10"), last = sr_graph_find(z, "leaky12");
    assert_true(first > 0 && last > first);
    fixture f;
    fixture_open(&f, z, first, last);
    assert_int_equal(f.h_out, 5);
    double tol = 1e-4 * max_abs(f.full, (size_t)f.c_out * 25);
    sr_rect tiles[25];
    const int grids[4][2] = {{1, 1}, {2, 2}, {3, 2}, {5, 5}};
    for (int gi = 0; gi < 4; gi++) {
        assert_int_equal(sr_grid_rects(5, 5, grids[gi][0], grids[gi][1], NULL, NULL, tiles), SR_OK);
        assert_true(stitch_and_compare(&f, tiles, grids[gi][0] * grids[gi][1], gi % 2) <= tol);
    }
    /* Channel partition of the 1024-channel conv12 into 4 uneven parts. */
    int id = sr_graph_find(f.g, "conv12");
    int bounds[5];
    const double cw[4] = {4, 1, 1, 2};
    assert_int_equal(sr_split_extent(1024, 4, cw, bounds), SR_OK);
    assert_int_equal(bounds[1], 512);
    assert_int_equal(bounds[3], 768);
    sr_exec *e = NULL;
    assert_int_equal(sr_exec_create(f.g, f.w, 1, &e, NULL, 0), SR_OK);
    memcpy(sr_exec_input(e, 0), sr_exec_input(f.e, 0), sizeof(float) * 3 * 160 * 160);
    assert_int_equal(sr_exec_run(e), SR_OK);
    const float *xin = sr_exec_output(e, sr_graph_node(f.g, id)->inputs[0]);
    const float *full = sr_exec_output(e, id);
    double ctol = 1e-4 * max_abs(full, 1024 * 25);
    for (int p = 0; p < 4; p++) {
        int c0 = bounds[p], c1 = bounds[p + 1];
        float *part = malloc(sizeof(float) * (size_t)(c1 - c0) * 25);
        assert_int_equal(sr_region_run_channels(f.g, f.w, id, xin, c0, c1, part), SR_OK);
        for (int64_t i = 0; i < (c1 - c0) * 25; i++)
            assert_true(fabs(part[i] - full[c0 * 25 + i]) <= ctol);
        free(part);
    }
    sr_exec_free(e);
    fixture_close(&f);
}

/* Two 3x3 pad-1 convs, 2x1 grid on 8 rows: conv_a computes rows [0,5) and [3,8): 2 extra rows. */
static void test_redundant_macs_hand_checked(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("two", &g), SR_OK);
    int x = sr_graph_add_input(g, "x", sr_shape_nchw(1, 3, 8, 10));
    int a = sr_graph_conv(g, "a", x, 4, 3, 1, 1, 1, 1);
    int b = sr_graph_conv(g, "b", a, 5, 3, 1, 1, 1, 1);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    sr_region *r = NULL;
    assert_int_equal(sr_region_create(g, a, b, &r, NULL, 0), SR_OK);
    assert_int_equal(sr_region_full_macs(r), (int64_t)8 * 10 * 4 * 3 * 9 + (int64_t)8 * 10 * 5 * 4 * 9);
    sr_rect tiles[2];
    assert_int_equal(sr_grid_rects(8, 10, 2, 1, NULL, NULL, tiles), SR_OK);
    assert_int_equal(sr_region_redundant_macs(r, tiles, 2), (int64_t)2 * 10 * 4 * 3 * 9);
    sr_region_free(r);
    /* Non-spatial nodes are refused with the node named. */
    int f = sr_graph_fc(g, "fc", b, 3, 1);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    char err[128];
    assert_int_equal(sr_region_create(g, a, f, &r, err, sizeof(err)), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "fc"));
    assert_int_equal(sr_region_create(g, 0, f, &r, err, sizeof(err)), SR_ERR_INVALID);
    sr_graph_free(g);
}

static void test_split_extent(void **state)
{
    (void)state;
    int b[6];
    assert_int_equal(sr_split_extent(10, 3, NULL, b), SR_OK);
    assert_int_equal(b[0], 0);
    assert_int_equal(b[1], 3); /* round(10/3) */
    assert_int_equal(b[2], 7); /* round(20/3) */
    assert_int_equal(b[3], 10);
    const double w[3] = {1, 0, 3};
    assert_int_equal(sr_split_extent(8, 3, w, b), SR_OK);
    assert_int_equal(b[1], 2);
    assert_int_equal(b[2], 2);
    assert_int_equal(b[3], 8);
    const double bad[2] = {1, -1}, zero[2] = {0, 0};
    assert_int_equal(sr_split_extent(8, 2, bad, b), SR_ERR_INVALID);
    assert_int_equal(sr_split_extent(8, 2, zero, b), SR_ERR_INVALID);
    assert_int_equal(sr_split_extent(8, 0, NULL, b), SR_ERR_INVALID);
}

int main(void)
{
    sr_kernels_set_blas_threads(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_extent),    cmocka_unit_test(test_redundant_macs_hand_checked),
        cmocka_unit_test(test_vgg16_block),     cmocka_unit_test(test_tiny_yolov2_head),
        cmocka_unit_test(test_tiny_yolov2_tail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
