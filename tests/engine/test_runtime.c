/* test_runtime.c: the policy runtime's mechanisms against closed forms, through the test policy "probe"
 * (policy_probe.c: one file, registered here with one line; the config and the engine know nothing of it):
 * connections (back to back, send buffer), executors and co-running, batches priced at their size, a job the
 * policy submits (a model push), re-planning with plan versions kept by jobs in flight, deadlines, and the
 * probe's keys through the config (sweeps, diagnostics at file:line:col).
 *
 * Platform: cam (1 Gflop/s) -> wan (80 Mbit/s = 10 MB/s, 10 ms) -> cloud (10 Gflop/s), CM02 without factors:
 * a transfer of b bytes alone takes 0.01 + b / 1e7 seconds. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "failures.h"
#include "sr_trace.h"
#include "sr_config.h"
#include "sr_policy.h"

extern const sr_policy_ops sr_policy_probe;

#define BW_BPS 8e7
#define LAT_S 0.01
static const char *const WAN[] = {"wan", NULL};

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

/* Batch cost model: each layer costs (1 + 0.25 (batch - 1)) x 1e9 flop at the device's speed. */
static sr_status batchy_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                               int last, sr_precision p, int batch, double *seconds)
{
    (void)m, (void)p;
    double t = 0;
    for (int id = first; id <= last; id++)
        if (sr_graph_node(g, id)->op != SR_OP_INPUT) t += (1.0 + 0.25 * (batch - 1)) * 1e9 / (dev->speed_flops * dev->cores);
    *seconds = t;
    return SR_OK;
}
static const sr_cost_model_ops batchy_ops = {"batchy", batchy_layers, NULL, 0};
static const sr_cost_model batchy = {&batchy_ops, NULL};

static sr_status tiny(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    return fx_tiny_graph(100, out);
}

/* cam (count instances) and cloud; `sources` sources on cam at fps, the probe policy. */
static sr_experiment *base(double duration_s, int cams, int sources, double fps)
{
    sr_experiment *e = fx_new(duration_s, SR_NET_CM02);
    fx_device(e, "cam", cams, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "wan", BW_BPS, LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    for (int s = 0; s < sources; s++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", s);
        fx_source(e, name, "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    }
    fx_policy(e, "probe", NULL, NULL, 0);
    return e;
}

static void set_str(sr_experiment *e, const char *k, const char *v)
{
    assert_int_equal(sr_params_set_str(e->policy.params_sec, e->policy.params, k, v), 0);
}
static void set_dbl(sr_experiment *e, const char *k, double v)
{
    assert_int_equal(sr_params_set_dbl(e->policy.params_sec, e->policy.params, k, v), 0);
}
static void set_int(sr_experiment *e, const char *k, int v)
{
    assert_int_equal(sr_params_set_int(e->policy.params_sec, e->policy.params, k, v), 0);
}

/* The probe's parameters start at its table's defaults (what the config would give). */
static void probe_defaults(sr_experiment *e)
{
    set_dbl(e, "frame_size", 1000);
    set_int(e, "executor", -1);
    set_int(e, "batch", 1);
    set_dbl(e, "push_at", -1);
    set_dbl(e, "replan_at", -1);
}

static sr_run_output run(const sr_experiment *e, const sr_cost_model *cost)
{
    sr_engine_opts o = {cost ? cost : fx_unit_cost(), tiny, NULL};
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("engine failed: %s (%s)", sr_status_name(st), err);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    assert_int_equal(sr_run_output_metric(o, name, &v), SR_OK);
    return v;
}

/* Records of source s in frame order (the run output is sorted by source, then frame). */
static const sr_frame_record *rec(const sr_run_output *o, int source, int frame)
{
    for (size_t i = 0; i < o->n_frames; i++)
        if (o->frames[i].source == source && o->frames[i].frame == frame) return &o->frames[i];
    fail_msg("no record of source %d frame %d", source, frame);
    return NULL;
}

/* Five 1 MB frames captured 10 ms apart over one connection leave one after the other: frame i's transfer
 * starts when the sender learns that frame i-1 arrived (its end + the route's latency back: the acknowledgment),
 * at i x (0.11 + 0.01) s, and ends 0.11 s later. */
static void test_connection_back_to_back(void **state)
{
    (void)state;
    sr_experiment *e = base(0.045, 1, 1, 100.0);
    e->devices[0].max_in_flight = 1;
    probe_defaults(e);
    set_str(e, "target", "cloud");
    set_dbl(e, "frame_size", 1e6);
    sr_run_output o = run(e, NULL);
    assert_int_equal(o.n_frames, 5);
    double one = LAT_S + 1e6 * 8 / BW_BPS, cycle = one + LAT_S;
    for (int i = 0; i < 5; i++) {
        const sr_frame_record *r = rec(&o, 0, i);
        assert_string_equal(r->outcome, "completed");
        assert_rel(r->capture_s, 0.01 * i, 1e-12);
        assert_rel(r->complete_s, i * cycle + one, 1e-9);
        assert_rel(r->transfer_s, one, 1e-9); /* each alone on the link */
    }
    for (size_t k = 0; k < o.n_tasks; k++) { /* the transfer of frame i starts at i x (one + the latency back) */
        const sr_task_record *t = &o.tasks[k];
        if (strcmp(t->kind, "transfer") == 0) assert_rel(t->start_s, t->frame * cycle, 1e-9);
    }
    sr_run_output_clear(&o);

    /* a 2.5 MB send buffer holds two frames: frames 2, 3 and 4 find it full and are dropped */
    e->devices[0].send_buffer_bytes = 2.5e6;
    o = run(e, NULL);
    assert_int_equal(o.n_frames, 5);
    for (int i = 0; i < 5; i++) {
        const sr_frame_record *r = rec(&o, 0, i);
        if (i < 2) {
            assert_string_equal(r->outcome, "completed");
            assert_rel(r->complete_s, i * cycle + one, 1e-9);
        } else {
            assert_string_equal(r->outcome, "dropped");
            assert_string_equal(r->cause, "send buffer of cam full");
            assert_true(r->dropped);
            assert_int_equal(r->bytes_sent, 0);
        }
    }
    assert_rel(metric(&o, "frames_dropped"), 3, 0);
    assert_rel(metric(&o, "frames_completed"), 2, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Two 1 s tasks at t = 0 on one device: one executor serves them one after the other (1 s, 2 s); two executors
 * (each half the device) run them at once, both 2 s; both pinned to executor 0: 2 s and 4 s; one executor that
 * co-runs two (concurrency 2) shares the device: both 2 s. */
static void test_executors(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, 1, 2, 1.0);
    probe_defaults(e);
    set_dbl(e, "compute", 1.0);
    struct {
        int executors, concurrency, pin;
        double a, b;
    } cases[] = {{1, 1, -1, 1.0, 2.0}, {2, 1, -1, 2.0, 2.0}, {2, 1, 0, 2.0, 4.0}, {1, 2, -1, 2.0, 2.0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        e->devices[0].executors = cases[c].executors;
        e->devices[0].concurrency = cases[c].concurrency;
        set_int(e, "executor", cases[c].pin);
        sr_run_output o = run(e, NULL);
        assert_int_equal(o.n_frames, 2);
        double l0 = rec(&o, 0, 0)->latency_s, l1 = rec(&o, 1, 0)->latency_s;
        assert_rel(fmin(l0, l1), cases[c].a, 1e-9);
        assert_rel(fmax(l0, l1), cases[c].b, 1e-9);
        assert_int_equal(o.hosts[0].tasks, 2);
        sr_run_output_clear(&o);
    }
    fx_free(e);
}

/* Four frames at t = 0 on cam, each the tiny model's two layers, batch cost (1 + 0.25 (b - 1)) s per layer:
 * a batch of 4 ends for all at 2 x 1.75 = 3.5 s; batches of 2 at 2.5 s and 5 s; a batch of up to 8 that waits
 * 0.5 s leaves with 4 at 0.5 s and ends at 4 s. */
static void test_batches(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, 1, 4, 1.0);
    probe_defaults(e);
    set_int(e, "layers", 1);
    struct {
        int batch;
        double wait;
        double first, last;
    } cases[] = {{4, 0, 3.5, 3.5}, {2, 0, 2.5, 5.0}, {8, 0.5, 4.0, 4.0}, {1, 0, 2.0, 8.0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        set_int(e, "batch", cases[c].batch);
        set_dbl(e, "batch_wait", cases[c].wait);
        sr_run_output o = run(e, &batchy);
        assert_int_equal(o.n_frames, 4);
        double lo = INFINITY, hi = 0;
        for (size_t i = 0; i < o.n_frames; i++) {
            lo = fmin(lo, o.frames[i].complete_s);
            hi = fmax(hi, o.frames[i].complete_s);
        }
        assert_rel(lo, cases[c].first, 1e-9);
        assert_rel(hi, cases[c].last, 1e-9);
        assert_int_equal(o.hosts[0].tasks, 4);
        sr_run_output_clear(&o);
    }
    fx_free(e);
}

/* The probe pushes a 2 MB model version at t = 1 s: a job of its own (source -1) that arrives at
 * 1 + 0.01 + 2e6 / 1e7 = 1.21 s, with the next plan version. */
static void test_model_push(void **state)
{
    (void)state;
    sr_experiment *e = base(2.0, 1, 1, 0.5);
    probe_defaults(e);
    set_str(e, "target", "cloud");
    set_dbl(e, "push_at", 1.0);
    set_dbl(e, "push_size", 2e6);
    sr_run_output o = run(e, NULL);
    assert_int_equal(o.n_frames, 2); /* one frame, one push */
    const sr_frame_record *push = rec(&o, -1, 0);
    assert_rel(push->capture_s, 1.0, 1e-12);
    assert_rel(push->complete_s, 1.0 + LAT_S + 2e6 * 8 / BW_BPS, 1e-9);
    assert_int_equal(push->bytes_sent, 2000000);
    assert_int_equal(push->plan_version, 2);
    assert_int_equal(rec(&o, 0, 0)->plan_version, 1);
    int found = 0;
    for (size_t k = 0; k < o.n_tasks; k++)
        if (o.tasks[k].source == -1) {
            assert_string_equal(o.tasks[k].label, "model-push");
            assert_string_equal(o.tasks[k].kind, "transfer");
            assert_string_equal(o.tasks[k].dst, "cloud");
            found++;
        }
    assert_int_equal(found, 1);
    assert_rel(metric(&o, "plan_versions"), 2, 0);
    sr_run_output_clear(&o);
    /* a timer at or after the end of the arrivals is not set: no push */
    set_dbl(e, "push_at", 2.0);
    o = run(e, NULL);
    assert_int_equal(o.n_frames, 1);
    assert_rel(metric(&o, "plan_versions"), 1, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Frames every second need 0.3 s; the probe re-plans at 2.1 s and its new plan adds a 0.5 s delay. Frames 0-2
 * take 0.3 s under version 1 (frame 2, captured at 2.0 s, is in flight at 2.1 s and keeps the plan it started
 * with); frames 3 and 4 take 0.8 s under version 2. */
static void test_replan_versions(void **state)
{
    (void)state;
    sr_experiment *e = base(4.5, 1, 1, 1.0);
    probe_defaults(e);
    set_dbl(e, "compute", 0.3);
    set_dbl(e, "replan_at", 2.1);
    set_dbl(e, "replan_delay", 0.5);
    sr_run_output o = run(e, NULL);
    assert_int_equal(o.n_frames, 5);
    for (int i = 0; i < 5; i++) {
        const sr_frame_record *r = rec(&o, 0, i);
        assert_int_equal(r->plan_version, i < 3 ? 1 : 2);
        assert_rel(r->latency_s, i < 3 ? 0.3 : 0.8, 1e-9);
    }
    int delays = 0;
    for (size_t k = 0; k < o.n_tasks; k++)
        if (strcmp(o.tasks[k].kind, "delay") == 0) {
            assert_string_equal(o.tasks[k].label, "after-replan");
            assert_rel(o.tasks[k].end_s - o.tasks[k].start_s, 0.5, 1e-9);
            delays++;
        }
    assert_int_equal(delays, 2);
    sr_run_output_clear(&o);

    /* a deadline of 0.5 s: the re-planned frames are late (completed, counted in frames_late) */
    e->sources[0].deadline_s = 0.5;
    o = run(e, NULL);
    for (int i = 0; i < 5; i++)
        assert_string_equal(rec(&o, 0, i)->outcome, i < 3 ? "completed" : "late");
    assert_rel(metric(&o, "frames_late"), 2, 0);
    assert_rel(metric(&o, "frames_completed"), 5, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Failures: frames every 0.5 s go to `edge` (1000 B, then 0.2 s there); the edge fails at 1.05 s for 1 s. The
 * frame captured at 1.0 s is computing on it then: it fails at 1.05 s (outcome failed, cause "device edge down")
 * and the run goes on; the policy hears the failure and re-plans to `cloud`, which the frames of 1.5 and 2.0 s
 * use (plan version 2); the edge is back at 2.05 s, and from 2.5 s the frames use the edge again (version 3). */
static void test_failure_replan(void **state)
{
    (void)state;
    sr_experiment *e = base(3.2, 1, 1, 2.0);
    int edge = fx_device(e, "edge", 1, 1e10, 0, 0);
    fx_route(e, "cam", "edge", 1, WAN);
    sr_outage *o = malloc(sizeof *o);
    o->at_s = 1.05;
    o->for_s = 1.0;
    e->devices[edge].failures.n = 1;
    e->devices[edge].failures.list = o;
    probe_defaults(e);
    set_str(e, "target", "edge");
    set_str(e, "fallback", "cloud");
    set_dbl(e, "compute", 0.2);
    sr_run_output o_ = run(e, NULL);
    sr_run_output *out = &o_;
    assert_int_equal(out->n_frames, 7); /* 0, 0.5, ..., 3.0 */
    double up = LAT_S + 1000 * 8 / BW_BPS; /* the frame's transfer */
    for (int i = 0; i < 7; i++) {
        const sr_frame_record *r = rec(out, 0, i);
        if (i == 2) {
            assert_string_equal(r->outcome, "failed");
            assert_string_equal(r->cause, "device edge down");
            assert_int_equal(r->plan_version, 1);
            continue;
        }
        assert_string_equal(r->outcome, "completed");
        assert_rel(r->latency_s, up + 0.2, 1e-9);
        assert_int_equal(r->plan_version, i < 2 ? 1 : i < 5 ? 2 : 3);
    }
    int checked = 0;
    for (size_t k = 0; k < out->n_tasks; k++) {
        const sr_task_record *t = &out->tasks[k];
        if (t->frame == 2 && strcmp(t->kind, "compute") == 0) { /* cut short by the failure */
            assert_string_equal(t->device, "edge");
            assert_rel(t->end_s, 1.05, 1e-9);
            checked++;
        }
        if ((t->frame == 3 || t->frame == 4) && strcmp(t->kind, "compute") == 0) {
            assert_string_equal(t->device, "cloud");
            checked++;
        }
    }
    assert_int_equal(checked, 3);
    assert_rel(metric(out, "frames_failed"), 1, 0);
    assert_rel(metric(out, "plan_versions"), 3, 0);
    sr_run_output_clear(out);
    fx_free(e);
}

/* Link events reach the policy on time: a wan bandwidth trace of three points (the last one after the end of the
 * arrivals, so not sent) and one outage of the wan; every job's end too. */
static void test_link_events(void **state)
{
    (void)state;
    sr_experiment *e = base(2.0, 1, 1, 2.0);
    const char csv[] = "time, bw\n0, 8e7\n0.5, 4e7\n5, 8e7\n";
    char err[256] = "";
    assert_int_equal(sr_trace_parse_csv("bw.csv", csv, strlen(csv), SR_TRACE_BANDWIDTH, &e->links[0].bw_trace, err,
                                        sizeof err),
                     SR_OK);
    sr_outage *o = malloc(sizeof *o);
    o->at_s = 1.4;
    o->for_s = 0.3;
    e->links[0].failures.n = 1;
    e->links[0].failures.list = o;
    probe_defaults(e);
    set_str(e, "target", "cloud");
    sr_run_output out = run(e, NULL);
    assert_rel(metric(&out, "probe_link_bandwidth_events"), 2, 0);
    assert_rel(metric(&out, "probe_last_bw_bps"), 4e7, 0);
    assert_rel(metric(&out, "probe_link_down_events"), 1, 0);
    assert_rel(metric(&out, "probe_link_up_events"), 1, 0);
    assert_rel(metric(&out, "probe_job_done_events"), (double)out.n_frames, 0);
    /* the frame captured at 1.0 s has arrived before the outage [1.4, 1.7); the one at 1.5 s meets it and fails */
    assert_string_equal(rec(&out, 0, 3)->outcome, "failed");
    assert_string_equal(rec(&out, 0, 3)->cause, "transfer from cam failed");
    sr_run_output_clear(&out);
    fx_free(e);
}

/* A sensor's events (2000 B each) at the times of a trace, two at once, over one connection to the cloud with
 * cloud_only: the second waits for the first transfer (0.01 + 2000 x 8 / 8e7 = 0.0102 s each) and for the cloud
 * (0.2 s per job: two unit layers at 10 Gflop/s). */
static void test_trace_events(void **state)
{
    (void)state;
    sr_experiment *e = base(2.0, 1, 1, 1.0);
    e->devices[0].max_in_flight = 1;
    sr_source_spec *src = &e->sources[0];
    static double times[3] = {0.1, 0.1, 0.7};
    src->arrival = SR_ARRIVAL_TRACE;
    src->fps = 0;
    src->kind = SR_SOURCE_EVENTS;
    src->width = src->height = 0;
    src->event_bytes = 2000;
    src->trace_times_s = times;
    src->n_trace_times = 3;
    fx_policy(e, "cloud_only", "cloud", NULL, 0);
    sr_run_output out = run(e, NULL);
    src->trace_times_s = NULL; /* static: not freed with the experiment */
    assert_int_equal(out.n_frames, 3);
    double x = LAT_S + 2000 * 8 / BW_BPS;
    double want[3] = {0.1 + x + 0.2, 0.1 + x + 0.4, 0.7 + x + 0.2};
    for (int i = 0; i < 3; i++) {
        const sr_frame_record *r = rec(&out, 0, i);
        assert_rel(r->capture_s, times[i], 0);
        assert_rel(r->complete_s, want[i], 1e-9);
        assert_int_equal(r->bytes_sent, 2000);
    }
    assert_rel(metric(&out, "amplification"), 1.0, 0); /* the event itself crosses the network */
    sr_run_output_clear(&out);
    fx_free(e);
}

/* The probe's keys through the config: a sweep axis over one of them, its default values, and its check()'s
 * diagnostic at the file:line:col of the key it names. */
static void test_probe_yaml(void **state)
{
    (void)state;
    const char *yaml_fmt =
        "name: probe-yaml\n"
        "duration: 2s\n"
        "platform:\n"
        "  devices:\n"
        "    - { name: cam, class: camera, speed: 1Gf }\n"
        "    - { name: cloud, class: cloud, speed: 10Gf }\n"
        "  links:\n"
        "    - { name: wan, type: ethernet, bandwidth: 80Mbps, latency: 10ms }\n"
        "  routes:\n"
        "    - { src: cam, dst: cloud, links: [wan] }\n"
        "models:\n"
        "  - { name: net, source: mobilenetv2, input: 3x64x64 }\n"
        "workload:\n"
        "  sources:\n"
        "    - { name: video, devices: cam, model: net, fps: 1, resolution: 64x64 }\n"
        "policy:\n"
        "  - { type: probe, target: cloud%s }\n"
        "sweep:\n"
        "  grid:\n"
        "    policy.probe.compute: [10ms, 20ms]\n";
    char yaml[2048];
    snprintf(yaml, sizeof yaml, yaml_fmt, ", batch_wait: 1s");
    char *msgs = NULL;
    size_t len = 0;
    FILE *errf = open_memstream(&msgs, &len);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string("probe.yaml", yaml, errf, &c), SR_ERR_PARSE);
    fclose(errf);
    assert_null(c);
    assert_non_null(strstr(msgs, "probe.yaml:17:47: error: 'batch_wait' needs 'batch' > 1"));
    free(msgs);

    snprintf(yaml, sizeof yaml, yaml_fmt, ", batch: 4, batch_wait: 1s, frame_size: 2KiB");
    errf = open_memstream(&msgs, &len);
    sr_status st = sr_config_load_string("probe.yaml", yaml, errf, &c);
    fclose(errf);
    if (st != SR_OK) fail_msg("%s", msgs);
    free(msgs);
    assert_int_equal(sr_config_point_count(c), 2);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 1, &e), SR_OK);
    const sr_section *ps = e->policy.params_sec;
    assert_string_equal(e->policy.type, "probe");
    assert_rel(sr_params_get_dbl(ps, e->policy.params, "compute"), 0.02, 0);
    assert_rel(sr_params_get_dbl(ps, e->policy.params, "frame_size"), 2048, 0);
    assert_int_equal(sr_params_get_int(ps, e->policy.params, "batch"), 4);
    assert_int_equal(sr_params_get_int(ps, e->policy.params, "executor"), -1); /* default */
    assert_rel(sr_params_get_dbl(ps, e->policy.params, "push_at"), -1, 0);
    sr_experiment_free(e);
    sr_config_free(c);
}

int main(void)
{
    /* the one registry line a new policy needs */
    if (sr_policy_register(&sr_policy_probe) != SR_OK) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connection_back_to_back), cmocka_unit_test(test_executors),
        cmocka_unit_test(test_batches),                 cmocka_unit_test(test_model_push),
        cmocka_unit_test(test_replan_versions),         cmocka_unit_test(test_probe_yaml),
        cmocka_unit_test(test_failure_replan),          cmocka_unit_test(test_link_events),
        cmocka_unit_test(test_trace_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
