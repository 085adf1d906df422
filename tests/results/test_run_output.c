/* test_run_output.c: the run output arrays and their summary metrics (sr_run_output.h).
 *
 * Percentiles are checked against hand-computed values of numpy's default linear interpolation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_run_output.h"

#define TOL 1e-12

/* cmocka 1.1 has no double assertion: |a - b| <= tol, printing both values when it fails. */
#define assert_double_equal(a, b, tol) assert_near_impl((a), (b), (tol), #a, __FILE__, __LINE__)
static void assert_near_impl(double a, double b, double tol, const char *what, const char *file, int line)
{
    if (!(fabs(a - b) <= tol)) {
        fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tol %g)\n", file, line, what, a, b, tol);
        fail();
    }
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = -12345;
    sr_status st = sr_run_output_metric(o, name, &v);
    if (st) {
        fprintf(stderr, "metric %s missing\n", name);
        fail();
    }
    return v;
}

static const char *unit_of(const sr_run_output *o, const char *name)
{
    for (size_t i = 0; i < o->n_metrics; i++)
        if (strcmp(o->metrics[i].name, name) == 0) return o->metrics[i].unit;
    return NULL;
}

static void add(sr_run_output *o, double capture_s, double latency_s, int dropped, int64_t bytes)
{
    sr_frame_record f;
    memset(&f, 0, sizeof f);
    static int64_t seq = 0;
    f.frame = seq++;
    f.source = 0;
    snprintf(f.device, sizeof f.device, "cam0");
    f.capture_s = capture_s;
    f.latency_s = dropped ? -1 : latency_s;
    f.complete_s = dropped ? -1 : capture_s + latency_s;
    f.dropped = dropped;
    f.bytes_sent = bytes;
    assert_int_equal(sr_run_output_add_frame(o, &f), SR_OK);
}

static void test_summary_known_set(void **state)
{
    (void)state;
    sr_run_output o;
    sr_run_output_init(&o);
    /* Before warmup (1 s): excluded from every windowed statistic. */
    add(&o, 0.5, 100.0, 0, 7);
    add(&o, 0.9, 0, 1, 11);
    /* In the window: latencies 1..10 ms in shuffled order, and two drops. */
    const int order[10] = {7, 3, 10, 1, 5, 9, 2, 8, 4, 6};
    for (int i = 0; i < 10; i++)
        add(&o, 1.0 + 0.1 * i, order[i] * 1e-3, 0, 100);
    add(&o, 2.5, 0, 1, 50);
    add(&o, 3.0, 0, 1, 0);
    o.end_s = 6.0;
    sr_host_stat h = {.name = "edge0", .device_class = "edge", .busy_s = 1, .tasks = 3, .energy_j = 2.5};
    sr_link_stat l = {.name = "wifi0",
                      .type = "wifi",
                      .bw_bps = 1e6,
                      .latency_s = 1e-3,
                      .bytes = 10,
                      .transfers = 1,
                      .energy_j = 0.25};
    assert_int_equal(sr_run_output_add_host(&o, &h), SR_OK);
    assert_int_equal(sr_run_output_add_link(&o, &l), SR_OK);

    assert_int_equal(sr_run_output_summarize(&o, 1.0), SR_OK);
    assert_true(metric(&o, "frames_total") == 12);
    assert_true(metric(&o, "frames_completed") == 10);
    assert_true(metric(&o, "frames_dropped") == 2);
    assert_double_equal(metric(&o, "drop_rate"), 2.0 / 12.0, TOL);
    assert_double_equal(metric(&o, "latency_mean_s"), 5.5e-3, TOL);
    assert_double_equal(metric(&o, "latency_p50_s"), 5.5e-3, TOL);  /* h = 4.5 */
    assert_double_equal(metric(&o, "latency_p95_s"), 9.55e-3, TOL); /* h = 8.55 */
    assert_double_equal(metric(&o, "latency_p99_s"), 9.91e-3, TOL); /* h = 8.91 */
    assert_double_equal(metric(&o, "latency_max_s"), 10e-3, TOL);
    assert_double_equal(metric(&o, "throughput_fps"), 10.0 / 5.0, TOL);
    assert_true(metric(&o, "bytes_total") == 7 + 11 + 1000 + 50);
    assert_double_equal(metric(&o, "energy_total_j"), 2.75, TOL);
    assert_string_equal(unit_of(&o, "latency_p95_s"), "s");
    assert_string_equal(unit_of(&o, "throughput_fps"), "fps");
    assert_string_equal(unit_of(&o, "bytes_total"), "B");
    assert_string_equal(unit_of(&o, "drop_rate"), "1");
    assert_string_equal(unit_of(&o, "energy_total_j"), "J");

    /* Summarizing again replaces values instead of duplicating names. */
    size_t n = o.n_metrics;
    assert_int_equal(sr_run_output_summarize(&o, 0.0), SR_OK);
    assert_int_equal(o.n_metrics, n);
    assert_true(metric(&o, "frames_total") == 14);
    assert_double_equal(metric(&o, "latency_max_s"), 100.0, TOL);
    sr_run_output_clear(&o);
    assert_int_equal(o.n_frames, 0);
    assert_null(o.frames);
}

static void test_summary_small_and_empty(void **state)
{
    (void)state;
    sr_run_output o;
    sr_run_output_init(&o);
    o.end_s = 1.0;
    assert_int_equal(sr_run_output_summarize(&o, 2.0), SR_OK);
    assert_true(metric(&o, "frames_total") == 0);
    assert_true(isnan(metric(&o, "drop_rate")));
    assert_true(isnan(metric(&o, "latency_p50_s")));
    assert_true(isnan(metric(&o, "latency_mean_s")));
    assert_true(metric(&o, "throughput_fps") == 0);
    sr_run_output_clear(&o);

    /* One frame: every percentile is that frame; two frames: interpolation between them. */
    add(&o, 0, 0.25, 0, 1);
    o.end_s = 4;
    assert_int_equal(sr_run_output_summarize(&o, 0), SR_OK);
    assert_double_equal(metric(&o, "latency_p99_s"), 0.25, TOL);
    assert_double_equal(metric(&o, "latency_p50_s"), 0.25, TOL);
    add(&o, 1, 0.75, 0, 1);
    assert_int_equal(sr_run_output_summarize(&o, 0), SR_OK);
    assert_double_equal(metric(&o, "latency_p50_s"), 0.5, TOL);
    assert_double_equal(metric(&o, "latency_p95_s"), 0.25 + 0.95 * 0.5, TOL);
    assert_double_equal(metric(&o, "throughput_fps"), 0.5, TOL);
    sr_run_output_clear(&o);
}

static void test_arrays_and_metrics(void **state)
{
    (void)state;
    sr_run_output o;
    sr_run_output_init(&o);
    for (int i = 0; i < 1000; i++)
        add(&o, i, 0.001 * (i % 7), i % 10 == 0, i);
    assert_int_equal(o.n_frames, 1000);
    assert_true(o.cap_frames >= 1000);
    assert_int_equal(o.frames[999].bytes_sent, 999);
    assert_int_equal(o.frames[10].dropped, 1);

    double v = 0;
    assert_int_equal(sr_run_output_metric(&o, "nope", &v), SR_ERR_NOT_FOUND);
    assert_int_equal(sr_run_output_add_metric(&o, "cost_usd", 1.5, "USD"), SR_OK);
    assert_int_equal(sr_run_output_add_metric(&o, "cost_usd", 2.5, "USD"), SR_OK);
    assert_int_equal(o.n_metrics, 1);
    assert_int_equal(sr_run_output_metric(&o, "cost_usd", &v), SR_OK);
    assert_true(v == 2.5);
    /* Engine-provided energy is kept, not overwritten by the host/link sum. */
    assert_int_equal(sr_run_output_add_metric(&o, "energy_total_j", 42.0, "J"), SR_OK);
    assert_int_equal(sr_run_output_summarize(&o, 0), SR_OK);
    assert_true(metric(&o, "energy_total_j") == 42.0);
    /* Names that do not fit are refused, not truncated. */
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(sr_run_output_add_metric(&o, longname, 1, "s"), SR_ERR_INVALID);
    assert_int_equal(sr_run_output_add_metric(&o, "", 1, "s"), SR_ERR_INVALID);
    sr_run_output_clear(&o);
    sr_run_output_clear(NULL);
}

/* Task records: one at a time and in bulk, copied in order with every field, strings terminated even when
 * the caller filled a field to the end; clear frees them and leaves the output reusable. */
static void test_task_records(void **state)
{
    (void)state;
    sr_run_output o;
    sr_run_output_init(&o);
    sr_task_record t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 100; i++) {
        t.frame = i / 3;
        t.source = i % 2;
        t.task = i % 3;
        snprintf(t.kind, sizeof t.kind, "%s", i % 3 == 1 ? "transfer" : "compute");
        snprintf(t.label, sizeof t.label, "task%d", i);
        snprintf(t.device, sizeof t.device, "dev%d", i % 4);
        snprintf(t.dst, sizeof t.dst, "%s", i % 3 == 1 ? "cloud" : "");
        t.ready_s = i / 7.0;
        t.start_s = t.ready_s + 1.0 / 3.0;
        t.end_s = t.start_s + 0.1 * i;
        t.bytes = i % 3 == 1 ? 1000 * (int64_t)i : 0;
        assert_int_equal(sr_run_output_add_task(&o, &t), SR_OK);
    }
    assert_int_equal(o.n_tasks, 100);
    assert_true(o.cap_tasks >= 100);
    for (int i = 0; i < 100; i++) {
        const sr_task_record *r = &o.tasks[i];
        char label[32];
        snprintf(label, sizeof label, "task%d", i);
        assert_int_equal(r->frame, i / 3);
        assert_int_equal(r->task, i % 3);
        assert_string_equal(r->label, label);
        assert_string_equal(r->kind, i % 3 == 1 ? "transfer" : "compute");
        assert_true(r->ready_s == i / 7.0 && r->end_s == r->start_s + 0.1 * i);
        assert_int_equal(r->bytes, i % 3 == 1 ? 1000 * (int64_t)i : 0);
    }

    /* bulk: 300 more at once, the first 100 copied again; an unterminated label is cut at its field */
    sr_task_record *many = calloc(300, sizeof *many);
    assert_non_null(many);
    for (int i = 0; i < 300; i++) {
        many[i] = o.tasks[i % 100];
        many[i].frame = 1000 + i;
    }
    memset(many[7].label, 'x', sizeof many[7].label);
    assert_int_equal(sr_run_output_add_tasks(&o, many, 300), SR_OK);
    assert_int_equal(sr_run_output_add_tasks(&o, NULL, 0), SR_OK);
    assert_int_equal(o.n_tasks, 400);
    for (int i = 0; i < 300; i++)
        assert_int_equal(o.tasks[100 + i].frame, 1000 + i);
    assert_int_equal(strlen(o.tasks[107].label), sizeof o.tasks[0].label - 1);
    assert_string_equal(o.tasks[108].label, "task8");
    free(many);

    sr_run_output_clear(&o);
    assert_null(o.tasks);
    assert_int_equal(o.n_tasks, 0);
    assert_int_equal(o.cap_tasks, 0);
    assert_int_equal(sr_run_output_add_task(&o, &t), SR_OK);
    assert_int_equal(o.n_tasks, 1);
    sr_run_output_clear(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_known_set),
        cmocka_unit_test(test_summary_small_and_empty),
        cmocka_unit_test(test_arrays_and_metrics),
        cmocka_unit_test(test_task_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
