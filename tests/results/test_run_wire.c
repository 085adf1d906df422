/* test_run_wire.c: a finished run point survives encoding and decoding exactly, and a truncated, padded or
 * foreign buffer is refused (SR_ERR_CORRUPT), never misread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_run_wire.h"

static void fill(sr_run_output *o)
{
    sr_run_output_init(o);
    for (int i = 0; i < 100; i++) {
        sr_frame_record f = {.frame = i,
                             .source = i % 3,
                             .capture_s = i * 0.1,
                             .latency_s = 0.05 + i * 1e-3,
                             .complete_s = i * 0.1 + 0.05,
                             .bytes_sent = 1000 + i};
        snprintf(f.device, sizeof f.device, "cam%d", i % 3);
        assert_int_equal(sr_run_output_add_frame(o, &f), SR_OK);
        sr_task_record t = {
            .frame = i, .source = i % 3, .task = 0, .ready_s = 0.1, .start_s = 0.2, .end_s = 0.3};
        snprintf(t.kind, sizeof t.kind, "compute");
        snprintf(t.label, sizeof t.label, "model");
        snprintf(t.device, sizeof t.device, "cloud");
        assert_int_equal(sr_run_output_add_task(o, &t), SR_OK);
    }
    sr_link_stat l = {.bw_bps = 5.85e6, .latency_s = 0.02, .bytes = 123456, .transfers = 100};
    snprintf(l.name, sizeof l.name, "uplink");
    snprintf(l.type, sizeof l.type, "lte");
    assert_int_equal(sr_run_output_add_link(o, &l), SR_OK);
    sr_host_stat h = {.busy_s = 1.5, .tasks = 100, .energy_j = 42.0};
    snprintf(h.name, sizeof h.name, "cloud");
    snprintf(h.device_class, sizeof h.device_class, "cloud");
    assert_int_equal(sr_run_output_add_host(o, &h), SR_OK);
    assert_int_equal(sr_run_output_add_metric(o, "latency_p95_s", 0.1234567890123, "s"), SR_OK);
    assert_int_equal(sr_run_output_add_metric(o, "drop_rate", NAN, "1"), SR_OK);
    o->end_s = 10.25;
}

static void test_round_trip(void **state)
{
    (void)state;
    sr_run_output o, back;
    fill(&o);
    sr_run_wire w = {.point_index = 17, .ok = 1, .wall_s = 0.5}, wb;
    snprintf(w.net_model, sizeof w.net_model, "cm02");
    uint8_t *buf = NULL;
    size_t n = 0;
    assert_int_equal(sr_run_wire_encode(&w, &o, &buf, &n), SR_OK);
    sr_run_output_init(&back);
    assert_int_equal(sr_run_wire_decode(buf, n, &wb, &back), SR_OK);
    assert_int_equal(wb.point_index, 17);
    assert_int_equal(wb.ok, 1);
    assert_true(wb.wall_s == 0.5);
    assert_string_equal(wb.net_model, "cm02");
    assert_int_equal(back.n_frames, 100);
    assert_int_equal(back.n_tasks, 100);
    assert_int_equal(back.n_links, 1);
    assert_int_equal(back.n_hosts, 1);
    assert_int_equal(back.n_metrics, 2);
    assert_true(back.end_s == 10.25);
    assert_memory_equal(back.frames, o.frames, 100 * sizeof *o.frames);
    assert_memory_equal(back.tasks, o.tasks, 100 * sizeof *o.tasks);
    assert_string_equal(back.links[0].name, "uplink");
    assert_true(back.links[0].bytes == 123456);
    assert_true(back.hosts[0].energy_j == 42.0);
    assert_true(back.metrics[0].value == 0.1234567890123);
    assert_true(isnan(back.metrics[1].value));
    /* the decoded arrays are ordinary run-output arrays: they grow */
    assert_int_equal(sr_run_output_add_metric(&back, "extra", 1.0, "1"), SR_OK);
    assert_int_equal(back.n_metrics, 3);
    sr_run_output_clear(&back);

    /* every truncation, and one byte too many, is refused */
    for (size_t cut = 0; cut < n; cut += (cut < 64 ? 1 : 97)) {
        sr_run_output_init(&back);
        assert_int_equal(sr_run_wire_decode(buf, cut, &wb, &back), SR_ERR_CORRUPT);
        sr_run_output_clear(&back);
    }
    uint8_t *longer = malloc(n + 1);
    memcpy(longer, buf, n);
    longer[n] = 0;
    sr_run_output_init(&back);
    assert_int_equal(sr_run_wire_decode(longer, n + 1, &wb, &back), SR_ERR_CORRUPT);
    sr_run_output_clear(&back);
    /* a different element size (another build) is refused */
    longer[4 + sizeof(sr_run_wire) + sizeof(double)] ^= 1;
    sr_run_output_init(&back);
    assert_int_equal(sr_run_wire_decode(longer, n, &wb, &back), SR_ERR_CORRUPT);
    sr_run_output_clear(&back);
    free(longer);
    free(buf);
    sr_run_output_clear(&o);
}

static void test_failed_point(void **state)
{
    (void)state;
    sr_run_wire w = {.point_index = 3, .ok = 0, .wall_s = 0.01}, wb;
    snprintf(w.error, sizeof w.error, "tests.yaml: no route from cam to cloud");
    uint8_t *buf = NULL;
    size_t n = 0;
    assert_int_equal(sr_run_wire_encode(&w, NULL, &buf, &n), SR_OK);
    sr_run_output back;
    sr_run_output_init(&back);
    assert_int_equal(sr_run_wire_decode(buf, n, &wb, &back), SR_OK);
    assert_int_equal(wb.ok, 0);
    assert_string_equal(wb.error, "tests.yaml: no route from cam to cloud");
    assert_int_equal(back.n_frames + back.n_metrics + back.n_links + back.n_hosts + back.n_tasks, 0);
    sr_run_output_clear(&back);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_failed_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
