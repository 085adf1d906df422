/* test_hw_graph.c: the graph IR -> layer set adapter on zoo models. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gpu_insitu_time.h"
#include "sr_hw_graph.h"
#include "sr_zoo.h"

/* torchvision AlexNet at 3x224x224: conv1 = 64 maps, 11x11, stride 4, pad 2; 5 convs and 3 FCs
 * (9216 -> 4096 -> 4096 -> 1000); the layer set's MACs add up to the graph's. */
static void test_alexnet(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("alexnet", 0, 0, 0, &g), SR_OK);
    sr_hw_layer set[16];
    int n = 0;
    char err[256];
    assert_int_equal(sr_hw_layers_from_graph(g, set, 16, &n, err, sizeof err), SR_OK);
    assert_int_equal(n, 8);
    assert_int_equal(set[0].kind, SR_HW_CONV);
    const sr_hw_conv *c1 = &set[0].u.conv;
    assert_int_equal(c1->n, 1);
    assert_int_equal(c1->c, 3);
    assert_int_equal(c1->h, 224);
    assert_int_equal(c1->m, 64);
    assert_int_equal(c1->r, 11);
    assert_int_equal(c1->stride, 4);
    assert_int_equal(c1->pad, 2);
    assert_int_equal(set[5].kind, SR_HW_FC);
    assert_int_equal(set[5].u.fc.in, 9216);
    assert_int_equal(set[5].u.fc.out, 4096);
    assert_int_equal(set[7].u.fc.out, 1000);
    int64_t macs = 0;
    for (int i = 0; i < n; i++)
        macs += set[i].kind == SR_HW_CONV ? sr_hw_conv_macs(&set[i].u.conv) : sr_hw_fc_macs(&set[i].u.fc);
    sr_graph_totals tot;
    sr_graph_totals_get(g, &tot);
    assert_int_equal(macs, tot.macs);

    /* the set prices on the TX1 model */
    sr_gpu_insitu_params p;
    double t;
    assert_int_equal(sr_gpu_insitu_preset("jetson-tx1", &p), SR_OK);
    assert_int_equal(sr_gpu_insitu_net_time(&p, set, n, 1, &t), SR_OK);
    assert_true(t > 0);

    /* too little room: the count needed comes back */
    assert_int_equal(sr_hw_layers_from_graph(g, set, 3, &n, NULL, 0), SR_ERR_RANGE);
    assert_int_equal(n, 8);
    sr_graph_free(g);
}

static void test_depthwise_unsupported(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("mobilenetv2", 0, 0, 0, &g), SR_OK);
    sr_hw_layer set[128];
    int n = 0;
    char err[256] = "";
    assert_int_equal(sr_hw_layers_from_graph(g, set, 128, &n, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_non_null(strstr(err, "depthwise"));
    sr_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alexnet),
        cmocka_unit_test(test_depthwise_unsupported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
