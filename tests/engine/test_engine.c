/* test_engine.c: simulated runs checked against closed forms (each run in a forked child).
 *
 * Platform used by most cases: "cam" (1 Gflop/s) and "cloud" (10 Gflop/s) joined by "wan"
 * (100 Mb/s = 12.5 MB/s, 10 ms, SHARED). The model is the fixture's tiny graph (in -> fc1 -> fc2) priced
 * by the unit cost model: each layer costs 1e9 flop, i.e. 1 s on cam and 0.1 s on cloud. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_zoo.h"

#define BW_BPS 100e6
#define BW_BYTES (BW_BPS / 8.0)
#define LAT_S 0.01

static void assert_rel(double got, double want, double tol)
{
    double d = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1.0);
    if (!(d <= tol)) {
        print_error("got %.12g want %.12g (rel err %.3g > %.3g)\n", got, want, d, tol);
        fail();
    }
}

/* |got - want| <= tol (absolute: simulated times of a few seconds). */
static void assert_abs(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol)) {
        print_error("got %.15g want %.15g (abs err %.3g > %.3g)\n", got, want, fabs(got - want), tol);
        fail();
    }
}

static const char *const WAN[] = {"wan", NULL};

/* cam -> cloud over wan, one source on cam. */
static sr_experiment *base(double duration_s, sr_net_model net, double fps)
{
    sr_experiment *e = fx_new(duration_s, net);
    fx_device(e, "cam", 1, 1e9, 2.0, 10.0);
    fx_device(e, "cloud", 1, 1e10, 5.0, 50.0);
    fx_link(e, "wan", BW_BPS, LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", fps, SR_ARRIVAL_PERIODIC, 0.0);
    return e;
}

static sr_run_output run(const sr_experiment *e, uint64_t seed, int act_features)
{
    sr_engine_opts o = fx_opts(&act_features);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024];
    sr_status st = fx_run_forked(e, seed, &o, &out, err, sizeof err);
    if (st != SR_OK) print_error("engine failed: %s (%s)\n", sr_status_name(st), err);
    assert_int_equal(st, SR_OK);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    assert_int_equal(sr_run_output_metric(o, name, &v), SR_OK);
    return v;
}

/* (1) One frame, split after fc1: 1 s on cam, the 1 MB activation (250 000 fp32) over wan, 0.1 s on cloud.
 * CM02 with crosstraffic 0 and TCP-gamma 0 applies no factor: the latency factor and bandwidth factor are
 * 1 (only LV08 sets 13.01 / 0.97), no reverse cross-traffic load is added and no TCP window caps the rate,
 * so transfer = latency + bytes / bandwidth exactly. */
static void test_one_frame_cm02(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_CM02, 1.0);
    fx_policy(e, "split", "cloud", "fc1", 0);
    sr_run_output o = run(e, 1, 250000);
    assert_int_equal(o.n_frames, 1);
    const sr_frame_record *r = &o.frames[0];
    double transfer = LAT_S + 1e6 / BW_BYTES;
    assert_false(r->dropped);
    assert_rel(r->capture_s + 1.0, 1.0, 1e-12);
    assert_rel(r->latency_s, 1.0 + transfer + 0.1, 1e-6);
    assert_rel(r->transfer_s, transfer, 1e-6);
    assert_rel(r->compute_s, 1.1, 1e-6);
    assert_rel(r->queue_s + 1.0, 1.0, 1e-9);
    assert_int_equal(r->bytes_sent, 1000000);
    assert_int_equal(o.n_links, 1);
    assert_string_equal(o.links[0].name, "wan");
    assert_int_equal(o.links[0].bytes, 1000000);
    assert_int_equal(o.links[0].transfers, 1);
    assert_rel(metric(&o, "bytes_total"), 1e6, 0);
    assert_int_equal(o.n_hosts, 2);
    assert_int_equal(o.hosts[0].tasks, 1);
    assert_rel(o.hosts[0].busy_s, 1.0, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (2) Same under LV08: SimGrid's LV08 multiplies the latency by 13.01 and the bandwidth by 0.97
 * (network/latency-factor, network/bandwidth-factor defaults of the LV08 model, shared/SIMGRID.md 3.4).
 * The TCP window bound gamma / (2 latency) = 4 MiB / (2 * 0.1301 s) = 16 MB/s does not bind under
 * 0.97 * 12.5 MB/s. Cross-traffic puts 5 % of the flow on the reverse path; wan is one SHARED link in
 * both directions, so the flow and its own reverse load share the capacity: rate = 0.97 bw / 1.05. */
static void test_one_frame_lv08(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_LV08, 1.0);
    fx_policy(e, "split", "cloud", "fc1", 0);
    sr_run_output o = run(e, 1, 250000);
    assert_int_equal(o.n_frames, 1);
    double transfer = LAT_S * 13.01 + 1e6 / (0.97 * BW_BYTES / 1.05);
    assert_rel(o.frames[0].transfer_s, transfer, 1e-6);
    assert_rel(o.frames[0].latency_s, 1.1 + transfer, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (3) Two 1 MB frames from two cameras start together on the shared wan: each gets half the bandwidth,
 * both arrive at lat + 2 size / bw; the cloud then serves them FIFO (0.2 s each). */
static void test_two_flows_share(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    fx_device(e, "camA", 1, 1e9, 0, 0);
    fx_device(e, "camB", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "wan", BW_BPS, LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "camA", "cloud", 1, WAN);
    fx_route(e, "camB", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "a", "camA", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_source(e, "b", "camB", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e6);
    sr_run_output o = run(e, 1, 100);
    assert_int_equal(o.n_frames, 2);
    double arrive = LAT_S + 2 * 1e6 / BW_BYTES;
    assert_rel(o.frames[0].transfer_s, arrive, 1e-6);
    assert_rel(o.frames[1].transfer_s, arrive, 1e-6);
    double l0 = o.frames[0].latency_s, l1 = o.frames[1].latency_s;
    assert_rel(l0 < l1 ? l0 : l1, arrive + 0.2, 1e-6);
    assert_rel(l0 < l1 ? l1 : l0, arrive + 0.4, 1e-6);
    assert_int_equal(o.links[0].bytes, 2000000);
    assert_int_equal(o.links[0].transfers, 2);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (4) device_only on cam: 2 s per frame, arrivals every 0.7 s (no arrival coincides with a completion).
 * Unbounded queue: frame k completes at 2 (k + 1) and waited 2k - 0.7k. With max_queue 1 (one frame may
 * wait): f0 [0,2], f1 waits -> [2,4], f2 (1.4) dropped, f3 (2.1) waits -> [4,6], f4 (2.8) and f5 (3.5)
 * dropped, f6 (4.2) waits -> [6,8]. */
static void test_queue_and_drops(void **state)
{
    (void)state;
    double period = 0.7;
    sr_experiment *e = base(4.5, SR_NET_CM02, 1.0 / period);
    fx_policy(e, "device_only", NULL, NULL, 0);
    sr_run_output o = run(e, 1, 100);
    assert_int_equal(o.n_frames, 7);
    for (int k = 0; k < 7; k++) {
        const sr_frame_record *r = &o.frames[k];
        assert_int_equal(r->frame, k);
        assert_false(r->dropped);
        assert_rel(r->complete_s, 2.0 * (k + 1), 1e-6);
        assert_rel(r->queue_s + 1.0, 2.0 * k - period * k + 1.0, 1e-6);
        assert_rel(r->compute_s, 2.0, 1e-6);
    }
    sr_run_output_clear(&o);

    e->devices[0].max_queue = 1;
    o = run(e, 1, 100);
    assert_int_equal(o.n_frames, 7);
    const int dropped[7] = {0, 0, 1, 0, 1, 1, 0};
    const double done[7] = {2, 4, -1, 6, -1, -1, 8};
    for (int k = 0; k < 7; k++) {
        assert_int_equal(o.frames[k].dropped, dropped[k]);
        if (dropped[k])
            assert_true(o.frames[k].complete_s < 0 && o.frames[k].latency_s < 0);
        else
            assert_rel(o.frames[k].complete_s, done[k], 1e-6);
    }
    assert_rel(metric(&o, "frames_dropped"), 3, 0);
    assert_int_equal(o.hosts[0].tasks, 4);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* The task records agree with their frame records: per frame, the compute durations sum to compute_s, the
 * transfer durations to transfer_s, the computations' waits (start - ready) to queue_s and the transfers'
 * bytes to bytes_sent; a transfer starts when it is ready; a completed frame completes when its last task
 * ends; records come in (source, frame, task) order. Returns the number of records checked. */
static size_t check_task_sums(const sr_run_output *o)
{
    size_t seen = 0;
    for (size_t j = 1; j < o->n_tasks; j++) {
        const sr_task_record *a = &o->tasks[j - 1], *b = &o->tasks[j];
        assert_true(a->source < b->source || (a->source == b->source && a->frame < b->frame) ||
                    (a->source == b->source && a->frame == b->frame && a->task < b->task));
    }
    for (size_t i = 0; i < o->n_frames; i++) {
        const sr_frame_record *fr = &o->frames[i];
        double compute = 0, transfer = 0, queue = 0, last_end = -1;
        int64_t bytes = 0;
        for (size_t j = 0; j < o->n_tasks; j++) {
            const sr_task_record *t = &o->tasks[j];
            if (t->source != fr->source || t->frame != fr->frame) continue;
            seen++;
            assert_true(fr->capture_s <= t->ready_s && t->ready_s <= t->start_s && t->start_s <= t->end_s);
            if (t->end_s > last_end) last_end = t->end_s;
            if (strcmp(t->kind, "compute") == 0) {
                compute += t->end_s - t->start_s;
                queue += t->start_s - t->ready_s;
                assert_string_equal(t->dst, "");
                assert_int_equal(t->bytes, 0);
            } else {
                assert_string_equal(t->kind, "transfer");
                assert_true(t->start_s == t->ready_s);
                assert_true(t->dst[0] != '\0');
                transfer += t->end_s - t->start_s;
                bytes += t->bytes;
            }
        }
        assert_abs(compute, fr->compute_s, 1e-9);
        assert_abs(transfer, fr->transfer_s, 1e-9);
        assert_abs(queue, fr->queue_s, 1e-9);
        assert_int_equal(bytes, fr->bytes_sent);
        if (!fr->dropped) assert_true(last_end == fr->complete_s);
    }
    assert_int_equal(seen, o->n_tasks);
    return seen;
}

static void expect_task(const sr_task_record *t, int64_t frame, int task, const char *kind, const char *label,
                        const char *device, const char *dst, double ready_s, double start_s, double end_s,
                        int64_t bytes)
{
    assert_int_equal(t->source, 0);
    assert_int_equal(t->frame, frame);
    assert_int_equal(t->task, task);
    assert_string_equal(t->kind, kind);
    assert_string_equal(t->label, label);
    assert_string_equal(t->device, device);
    assert_string_equal(t->dst, dst);
    assert_abs(t->ready_s, ready_s, 1e-9);
    assert_abs(t->start_s, start_s, 1e-9);
    assert_abs(t->end_s, end_s, 1e-9);
    assert_int_equal(t->bytes, bytes);
}

/* Per-task records of a split on one link (CM02: transfer = latency + bytes / bw, see (1)). Frame k is
 * captured at c = k T: head on cam [max(c, k), max(c, k) + 1] (cam is busy with the previous head until
 * k when T < 1 s), the 1 MB activation cam -> cloud over the next tr = lat + 1e6 / bw, the tail on cloud
 * for 0.1 s (never queued: a tail ends 0.19 s after its head, long before the next one). T = 1.25 s: no
 * queue, head [c, c + 1]; T = 0.8 s: frame k waits k - 0.8 k for cam, which is its queue_s. */
static void test_task_records_split(void **state)
{
    (void)state;
    const double periods[2] = {1.25, 0.8};
    double tr = LAT_S + 1e6 / BW_BYTES;
    for (int pi = 0; pi < 2; pi++) {
        double T = periods[pi];
        sr_experiment *e = base(2.5 * T, SR_NET_CM02, 1.0 / T);
        fx_policy(e, "split", "cloud", "fc1", 0);
        sr_run_output o = run(e, 1, 250000);
        assert_int_equal(o.n_frames, 3);
        assert_int_equal(o.n_tasks, 9);
        assert_int_equal(check_task_sums(&o), 9);
        for (int k = 0; k < 3; k++) {
            double c = k * T, h = c > k ? c : (double)k;
            const sr_task_record *t = &o.tasks[3 * k];
            expect_task(&t[0], k, 0, "compute", "head", "cam", "", c, h, h + 1.0, 0);
            expect_task(&t[1], k, 1, "transfer", "activation", "cam", "cloud", h + 1.0, h + 1.0, h + 1.0 + tr,
                        1000000);
            expect_task(&t[2], k, 2, "compute", "tail", "cloud", "", h + 1.0 + tr, h + 1.0 + tr, h + 1.1 + tr,
                        0);
            assert_abs(o.frames[k].queue_s, h - c, 1e-9);
            assert_abs(t[0].start_s - t[0].ready_s, o.frames[k].queue_s, 1e-9);
        }
        sr_run_output_clear(&o);

        /* metrics.frames: false -> the engine records no task (the frame records still feed the summary) */
        e->metrics.frames = 0;
        o = run(e, 1, 250000);
        assert_int_equal(o.n_frames, 3);
        assert_int_equal(o.n_tasks, 0);
        assert_null(o.tasks);
        sr_run_output_clear(&o);
        fx_free(e);
    }
}

/* cloud_only: the frame's transfer (label "frame") and the model on the target. */
static void test_task_records_cloud_only(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_CM02, 1.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e6);
    sr_run_output o = run(e, 1, 100);
    assert_int_equal(o.n_tasks, 2);
    assert_int_equal(check_task_sums(&o), 2);
    double tr = LAT_S + 1e6 / BW_BYTES;
    expect_task(&o.tasks[0], 0, 0, "transfer", "frame", "cam", "cloud", 0.0, 0.0, tr, 1000000);
    expect_task(&o.tasks[1], 0, 1, "compute", "model", "cloud", "", tr, tr, tr + 0.2, 0);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* device_only, 2 s per frame, arrivals every 0.7 s, max_queue 1 (the drop pattern of (4)): the frames that
 * ran have one record each, ready at capture and started when the previous frame finished (start - ready
 * = queue_s); the dropped frames 2, 4 and 5 have none. */
static void test_task_records_queue_drop(void **state)
{
    (void)state;
    double period = 0.7;
    sr_experiment *e = base(4.5, SR_NET_CM02, 1.0 / period);
    fx_policy(e, "device_only", NULL, NULL, 0);
    e->devices[0].max_queue = 1;
    sr_run_output o = run(e, 1, 100);
    assert_int_equal(o.n_frames, 7);
    assert_int_equal(o.n_tasks, 4);
    assert_int_equal(check_task_sums(&o), 4);
    const int ran[4] = {0, 1, 3, 6};
    for (int i = 0; i < 4; i++) {
        int k = ran[i];
        expect_task(&o.tasks[i], k, 0, "compute", "model", "cam", "", period * k, 2.0 * i, 2.0 * i + 2.0, 0);
        assert_abs(o.tasks[i].start_s - o.tasks[i].ready_s, o.frames[k].queue_s, 1e-9);
        assert_abs(o.frames[k].queue_s, 2.0 * i - period * k, 1e-9);
    }
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (5) Same seed -> identical records; another seed -> different Poisson arrivals. */
static void test_determinism(void **state)
{
    (void)state;
    sr_experiment *e = base(5.0, SR_NET_CM02, 4.0);
    e->sources[0].arrival = SR_ARRIVAL_POISSON;
    fx_policy(e, "cloud_only", "cloud", NULL, 2e5);
    sr_run_output a = run(e, 42, 100), b = run(e, 42, 100), c = run(e, 43, 100);
    assert_true(a.n_frames > 5);
    assert_int_equal(a.n_frames, b.n_frames);
    assert_memory_equal(a.frames, b.frames, a.n_frames * sizeof *a.frames);
    assert_memory_equal(a.hosts, b.hosts, a.n_hosts * sizeof *a.hosts);
    assert_int_equal(a.n_tasks, 2 * a.n_frames);
    assert_int_equal(a.n_tasks, b.n_tasks);
    for (size_t i = 0; i < a.n_tasks; i++) {
        const sr_task_record *x = &a.tasks[i], *y = &b.tasks[i];
        assert_true(x->frame == y->frame && x->source == y->source && x->task == y->task);
        assert_true(x->ready_s == y->ready_s && x->start_s == y->start_s && x->end_s == y->end_s);
        assert_true(x->bytes == y->bytes && strcmp(x->label, y->label) == 0 && strcmp(x->dst, y->dst) == 0);
    }
    check_task_sums(&a);
    int differ = a.n_frames != c.n_frames;
    for (size_t i = 0; !differ && i < a.n_frames; i++)
        differ = a.frames[i].capture_s != c.frames[i].capture_s;
    assert_true(differ);
    for (size_t i = 1; i < a.n_frames; i++)
        assert_true(a.frames[i].capture_s > a.frames[i - 1].capture_s);
    sr_run_output_clear(&a);
    sr_run_output_clear(&b);
    sr_run_output_clear(&c);
    fx_free(e);
}

/* (6) Energy: cloud_only, one frame. The run ends at T = transfer + 0.2 s; the cloud is busy t = 0.2 s:
 * E_cloud = idle (T - t) + busy t; the camera only sends (third-party transfer, no compute): idle T. */
static void test_energy(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_CM02, 1.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e6);
    sr_run_output o = run(e, 1, 100);
    double T = LAT_S + 1e6 / BW_BYTES + 0.2, t = 0.2;
    assert_rel(o.end_s, T, 1e-6);
    assert_string_equal(o.hosts[1].name, "cloud");
    assert_rel(o.hosts[1].busy_s, t, 1e-6);
    assert_rel(o.hosts[1].energy_j, 5.0 * (T - t) + 50.0 * t, 1e-6);
    assert_rel(o.hosts[0].energy_j, 2.0 * T, 1e-6);
    assert_rel(metric(&o, "energy_total_j"), 5.0 * (T - t) + 50.0 * t + 2.0 * T, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Link energy (idle:busy W on wan): SimGrid's link energy plugin charges busy power while the flow is
 * in flight, latency phase included (shared/SIMGRID.md 4: 2 W x 9 s + 5 W x 1.01 s for a 1 s + 10 ms
 * transfer), so E = idle (T - tr) + busy tr with tr = latency + bytes / bw. */
static void test_link_energy(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_CM02, 1.0);
    e->links[0].power_idle_w = 2.0;
    e->links[0].power_busy_w = 5.0;
    fx_policy(e, "cloud_only", "cloud", NULL, 1e6);
    sr_run_output o = run(e, 1, 100);
    double tr = LAT_S + 1e6 / BW_BYTES, T = tr + 0.2;
    assert_rel(o.links[0].energy_j, 2.0 * (T - tr) + 5.0 * tr, 1e-6);
    /* hosts (camera idle, cloud busy 0.2 s) + link */
    assert_rel(metric(&o, "energy_total_j"), 2.0 * T + 5.0 * (T - 0.2) + 50.0 * 0.2 + o.links[0].energy_j,
               1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* (7) WIFI: two stations at 54 and 24 Mb/s upload 1 MB together through one access point and a 1 Gb/s,
 * 1 ms wire: SimGrid's WIFI sharing gives both the same throughput x = 1 / (1/r1 + 1/r2) (the 802.11
 * performance anomaly), so both transfers take 1 ms + 1 MB / x. */
static void test_wifi_anomaly(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    int a = fx_device(e, "camA", 1, 1e9, 0, 0);
    int b = fx_device(e, "camB", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    int ap = fx_link(e, "ap", 54e6, 0, SR_SHARING_WIFI, NULL, 1);
    e->links[ap].n_rates = 2;
    e->links[ap].rates_bps[1] = 24e6;
    e->devices[a].wifi_level = 0;
    e->devices[b].wifi_level = 1;
    fx_link(e, "wire", 1e9, 1e-3, SR_SHARING_SHARED, NULL, 1);
    const char *const path[] = {"ap", "wire", NULL};
    fx_route(e, "camA", "cloud", 1, path);
    fx_route(e, "camB", "cloud", 1, path);
    fx_model(e, "m", "tiny");
    fx_source(e, "a", "camA", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_source(e, "b", "camB", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e6);
    sr_run_output o = run(e, 1, 100);
    assert_int_equal(o.n_frames, 2);
    double x = 1.0 / (1.0 / (54e6 / 8) + 1.0 / (24e6 / 8));
    assert_rel(o.frames[0].transfer_s, 1e-3 + 1e6 / x, 1e-6);
    assert_rel(o.frames[1].transfer_s, 1e-3 + 1e6 / x, 1e-6);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* The default path: a zoo model priced by the roofline model. device_only on a camera with a memory
 * bound: the frame's latency is the roofline time of the whole graph. */
static void test_zoo_roofline_default(void **state)
{
    (void)state;
    sr_experiment *e = base(0.5, SR_NET_CM02, 1.0);
    free(e->models[0].source);
    e->models[0].source = strdup("sine");
    e->devices[0].efficiency = 0.25;
    e->devices[0].mem_bw_Bps = 1e6;
    fx_policy(e, "device_only", NULL, NULL, 0);
    sr_run_output o;
    sr_run_output_init(&o);
    char err[1024];
    assert_int_equal(fx_run_forked(e, 1, NULL, &o, err, sizeof err), SR_OK);
    assert_int_equal(o.n_frames, 1);
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("sine", 0, 0, 0, &g), SR_OK);
    sr_cost_model *m = NULL;
    assert_int_equal(sr_cost_roofline_create(&m), SR_OK);
    sr_cost_device d = {"cam", 1e9, 1, 0.25, 1e6, 0};
    double t = 0;
    assert_int_equal(sr_cost_layers(m, &d, g, 0, sr_graph_node_count(g) - 1, SR_PREC_FP32, 1, &t), SR_OK);
    assert_true(t > 0);
    assert_rel(o.frames[0].latency_s, t, 1e-6);
    sr_cost_model_free(m);
    sr_graph_free(g);
    sr_run_output_clear(&o);

    /* an unknown zoo model is an error before SimGrid starts */
    free(e->models[0].source);
    e->models[0].source = strdup("no-such-model");
    sr_run_output_init(&o);
    assert_int_equal(fx_run_forked(e, 1, NULL, &o, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "no-such-model"));
    sr_run_output_clear(&o);
    fx_free(e);
}

/* A transfer the policy needs but no route provides is reported before SimGrid starts. */
static void test_missing_route(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_device(e, "edge", 1, 1e10, 0, 0);
    fx_link(e, "wan", BW_BPS, LAT_S, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "edge", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 0);
    int act = 100;
    sr_engine_opts opts = fx_opts(&act);
    sr_run_output o;
    sr_run_output_init(&o);
    char err[1024] = "";
    /* the policy's own check refuses it before SimGrid starts */
    assert_int_equal(fx_run_forked(e, 1, &opts, &o, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "no route from 'cam' to 'cloud'"));
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_frame_cm02),
        cmocka_unit_test(test_one_frame_lv08),
        cmocka_unit_test(test_two_flows_share),
        cmocka_unit_test(test_queue_and_drops),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_energy),
        cmocka_unit_test(test_wifi_anomaly),
        cmocka_unit_test(test_missing_route),
        cmocka_unit_test(test_zoo_roofline_default),
        cmocka_unit_test(test_link_energy),
        cmocka_unit_test(test_task_records_split),
        cmocka_unit_test(test_task_records_cloud_only),
        cmocka_unit_test(test_task_records_queue_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
