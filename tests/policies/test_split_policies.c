/* test_split_policies.c: best_split and dynamic_split through the config and real SimGrid runs.
 *
 * Platform (as `simrun show model mobilenetv2 --splits --precision int8` prices it): a camera SoC
 * (camera-soc) and a V100 over an uplink of 50 ms (CM02 without factors: a transfer of b bytes alone takes
 * 0.05 + 8 b / bw), MobileNetV2 at 224x224, the frame sent as its 150 528-byte 8-bit input, tensors at int8,
 * one frame a second (each frame alone on the devices and the link, so a frame's latency is what the cut
 * predicts).
 * - at 3G / LTE / Wi-Fi bandwidths the chosen cut moves toward the device as bandwidth falls, strictly here
 *   (device-only, a middle cut, cloud-only), and its latency equals its prediction and beats both extremes;
 * - a multi-tensor cut (a small DAG with its own cost model) runs one transfer per crossing tensor;
 * - dynamic_split over a two-step bandwidth trace switches at the step, its frames change plan version there,
 *   a switch cost delays the adoption by exactly that cost, and its mean latency beats every fixed cut run
 * over the same trace (the choices at either bandwidth, the middle cut, and both extremes);
 * - check(): search: mincut in exact mode is refused on its key; a best_split config loads with its keys. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_codectab.h"
#include "sr_config.h"
#include "sr_policy.h"

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fmax(1.0, fabs(want)))) fail_msg("got %.12g, want %.12g", got, want);
}

static const char *const BASE =
    "name: t\nseed: 1\nduration: %s\nnetwork_model: cm02\noutput: { db: /tmp/unused.db }\n"
    "platform:\n"
    "  devices:\n"
    "    - { name: cam, class: camera, profile: camera-soc }\n"
    "    - { name: cloud, class: cloud, profile: v100 }\n"
    "  links:\n"
    "    - { name: uplink, type: lte, latency: 50ms%s }\n"
    "    - { name: wan, type: wan, bandwidth: 10Gbps, latency: 0s }\n"
    "  routes:\n"
    "    - { src: cam, dst: cloud, links: [uplink, wan] }\n"
    "models:\n"
    "  - { name: net, source: mobilenetv2, input: 3x224x224 }\n"
    "workload:\n"
    "  sources:\n"
    "    - { name: video, devices: cam, model: net, fps: %s, arrival: periodic, resolution: 224x224 }\n"
    "policy:\n%s"
    "%s";

static sr_config *load(const char *duration, const char *link_extra, const char *fps, const char *policies,
                       const char *sweep)
{
    char yaml[8192];
    snprintf(yaml, sizeof yaml, BASE, duration, link_extra, fps, policies, sweep);
    char *msgs = NULL;
    size_t len = 0;
    FILE *errf = open_memstream(&msgs, &len);
    sr_config *c = NULL;
    sr_status st = sr_config_load_string("t.yaml", yaml, errf, &c);
    fclose(errf);
    if (st != SR_OK) fail_msg("config: %s", msgs);
    free(msgs);
    return c;
}

static sr_run_output run_point(const sr_config *c, int i)
{
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, NULL, &out, err, sizeof err);
    if (st != SR_OK) fail_msg("run of point %d (%s): %s", i, e->policy.name, err);
    sr_experiment_free(e);
    return out;
}

static double metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    if (sr_run_output_metric(o, name, &v) != SR_OK) fail_msg("no metric %s", name);
    return v;
}

/* Policies are the sweep's innermost loop: point = bandwidth * n_policies + policy. */
static void test_bandwidths(void **state)
{
    (void)state;
    sr_config *c =
        load("3s", "", "1",
             "  - { type: best_split, target: cloud, activation_precision: int8 }\n"
             "  - { type: device_only }\n"
             "  - { type: cloud_only, target: cloud }\n",
             "sweep:\n  grid:\n    platform.links.uplink.bandwidth: [1.1Mbps, 5.85Mbps, 18.88Mbps]\n");
    assert_int_equal(sr_config_point_count(c), 9);
    int nodes[3];
    for (int b = 0; b < 3; b++) {
        sr_run_output o[3];
        for (int p = 0; p < 3; p++)
            o[p] = run_point(c, b * 3 + p);
        double lat = metric(&o[0], "latency_mean_s");
        nodes[b] = (int)metric(&o[0], "best_split.cut_device_nodes");
        /* each frame alone: the simulated latency is the predicted one, and the bytes are the cut's */
        assert_rel(lat, metric(&o[0], "best_split.cut_predicted_latency_s"), 1e-9);
        assert_rel(metric(&o[0], "bytes_per_frame"), metric(&o[0], "best_split.cut_bytes"), 0);
        assert_true(lat <= metric(&o[1], "latency_mean_s") * (1 + 1e-12));
        assert_true(lat <= metric(&o[2], "latency_mean_s") * (1 + 1e-12));
        for (int p = 0; p < 3; p++)
            sr_run_output_clear(&o[p]);
    }
    /* toward the device as bandwidth falls: 3G device-only, LTE a middle cut, Wi-Fi cloud-only (the input
     * alone) */
    assert_int_equal(nodes[0], 153);
    assert_true(nodes[1] > 1 && nodes[1] < 153);
    assert_int_equal(nodes[2], 1);
    assert_true(nodes[0] > nodes[1] && nodes[1] > nodes[2]);
    sr_config_free(c);
}

/* Under lv08 the cut's predicted latency is the simulated one too: SimGrid's latency factor (13.01), bandwidth
 * factor (0.97), the 5 % cross-traffic of a flow on its own SHARED links (the route back crosses the same link)
 * and the TCP window bound 4 MiB / (2 x 50 ms) x 0.97, which caps the 1 Gbit/s uplink at 325 Mbit/s. A camera
 * slowed to 10 Mflop/s makes cloud-only (the 150 528-byte frame) the cut at both bandwidths. */
static void test_lv08_prediction(void **state)
{
    (void)state;
    const char *yaml =
        "name: t\nseed: 1\nduration: 3s\nnetwork_model: lv08\noutput: { db: /tmp/unused.db }\n"
        "platform:\n"
        "  devices:\n"
        "    - { name: cam, class: camera, profile: camera-soc, speed: 10Mf }\n"
        "    - { name: cloud, class: cloud, profile: v100 }\n"
        "  links:\n"
        "    - { name: uplink, type: lte, latency: 50ms }\n"
        "    - { name: wan, type: wan, bandwidth: 10Gbps, latency: 0s }\n"
        "  routes:\n"
        "    - { src: cam, dst: cloud, links: [uplink, wan] }\n"
        "models:\n"
        "  - { name: net, source: mobilenetv2, input: 3x224x224 }\n"
        "workload:\n"
        "  sources:\n"
        "    - { name: video, devices: cam, model: net, fps: 0.25, arrival: periodic, resolution: 224x224 }\n"
        "policy:\n"
        "  - { type: best_split, target: cloud, activation_precision: int8 }\n"
        "sweep:\n  grid:\n    platform.links.uplink.bandwidth: [18.88Mbps, 1Gbps]\n";
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string("t.yaml", yaml, stderr, &c), SR_OK);
    const double bw[2] = {18.88e6 * 0.97 / 1.05, 0.97 * 8.0 * 4194304.0 / (2 * 0.05)};
    double transfer[2];
    for (int b = 0; b < 2; b++) {
        sr_run_output o = run_point(c, b);
        assert_int_equal((int)metric(&o, "best_split.cut_device_nodes"), 1); /* the input alone: cloud-only */
        assert_rel(metric(&o, "latency_mean_s"), metric(&o, "best_split.cut_predicted_latency_s"), 1e-9);
        transfer[b] = metric(&o, "latency_mean_s");
        sr_run_output_clear(&o);
    }
    /* the two latencies differ by the frame's transfer at the two effective rates (the rest is the same) */
    assert_rel(transfer[0] - transfer[1], 150528.0 * 8 / bw[0] - 150528.0 * 8 / bw[1], 1e-6);
    sr_config_free(c);
}

/* A shipped profile with a compute-after-idle section appended (factor 1.6 after any idle of 10 ms or more) into
 * dir/name.yaml; returns the path (static storage per slot). */
static const char *idle_profile(const char *dir, const char *name, int slot)
{
    static char paths[2][512];
    char src[512];
    snprintf(src, sizeof src, "%s/calibration/profiles/%s.yaml", SR_SOURCE_DIR, name);
    snprintf(paths[slot], sizeof paths[slot], "%s/%s-idle.yaml", dir, name);
    FILE *in = fopen(src, "r"), *out = fopen(paths[slot], "w");
    assert_non_null(in);
    assert_non_null(out);
    char line[1024];
    while (fgets(line, sizeof line, in))
        fputs(line, out);
    fputs("  idle:\n    gap_s: [0.01]\n    factor: [1.6]\n", out); /* the file ends inside its fit section */
    fclose(in);
    fclose(out);
    return paths[slot];
}

/* Compute after idle in the predictor: with both sides' profiles slowing the first task after idle by 1.6 (a
 * frame a second: each side idles about a second), the cut's predicted latency is still the simulated one at
 * each bandwidth, and each extreme's latency is its layers at 1.6 x their warm price. */
static void test_idle_prediction(void **state)
{
    (void)state;
    char dir[] = "/tmp/sr-split-idle-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *cam = idle_profile(dir, "camera-soc", 0), *cloud = idle_profile(dir, "v100", 1);
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "name: t\nseed: 1\nduration: 3s\nnetwork_model: cm02\noutput: { db: /tmp/unused.db }\n"
             "platform:\n"
             "  devices:\n"
             "    - { name: cam, class: camera, profile: %s }\n"
             "    - { name: cloud, class: cloud, profile: %s }\n"
             "  links:\n"
             "    - { name: uplink, type: lte, latency: 50ms }\n"
             "    - { name: wan, type: wan, bandwidth: 10Gbps, latency: 0s }\n"
             "  routes:\n"
             "    - { src: cam, dst: cloud, links: [uplink, wan] }\n"
             "models:\n"
             "  - { name: net, source: mobilenetv2, input: 3x224x224 }\n"
             "workload:\n"
             "  sources:\n"
             "    - { name: video, devices: cam, model: net, fps: 1, arrival: periodic, resolution: 224x224 }\n"
             "policy:\n"
             "  - { type: best_split, target: cloud, activation_precision: int8 }\n"
             "  - { type: device_only }\n"
             "sweep:\n  grid:\n    platform.links.uplink.bandwidth: [1.1Mbps, 5.85Mbps, 18.88Mbps]\n",
             cam, cloud);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string("t.yaml", yaml, stderr, &c), SR_OK);
    for (int b = 0; b < 3; b++) {
        sr_run_output o = run_point(c, 2 * b);
        assert_true(metric(&o, "idle_slowed_tasks") > 0);
        assert_rel(metric(&o, "latency_mean_s"), metric(&o, "best_split.cut_predicted_latency_s"), 1e-9);
        sr_run_output_clear(&o);
    }
    /* device-only: the whole model on the camera, 1.6 x its warm price (the 3G point's device-only run) */
    sr_run_output d = run_point(c, 1);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 1, &e), SR_OK);
    e->devices[0].idle_slowdown = 0;
    sr_run_output warm;
    sr_run_output_init(&warm);
    char err[512];
    assert_int_equal(fx_run_forked(e, 1, NULL, &warm, err, sizeof err), SR_OK);
    assert_rel(metric(&d, "latency_mean_s"), 1.6 * metric(&warm, "latency_mean_s"), 1e-9);
    sr_run_output_clear(&d);
    sr_run_output_clear(&warm);
    sr_experiment_free(e);
    sr_config_free(c);
    unlink(cam);
    unlink(cloud);
    rmdir(dir);
}

/* ---- a cut sending two tensors, on a small DAG with a cost model of its own ---- */

/* in (1x3x32x32) -> a (conv to 1 channel: 4 KiB) and b (conv to 3 channels), add(a', b) with a' = conv(a). */
static sr_status diamond(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t n)
{
    (void)m, (void)user, (void)err, (void)n;
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("diamond", &g);
    if (st != SR_OK) return st;
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 3, 32, 32));
    int a = sr_graph_conv(g, "a", in, 1, 3, 1, 1, 1, 0);
    int b = sr_graph_conv(g, "b", in, 1, 3, 1, 1, 1, 0);
    int a2 = sr_graph_conv(g, "a2", a, 1, 3, 1, 1, 1, 0);
    int ab[2] = {a2, b};
    sr_graph_add(g, SR_OP_ADD, "add", ab, 2, NULL);
    if ((st = sr_graph_infer(g, NULL, 0)) != SR_OK) {
        sr_graph_free(g);
        return st;
    }
    *out = g;
    return SR_OK;
}

/* Node seconds: a is 1 s on the cloud and 0.1 s on the camera; b, a2, add cost 0.1 s on the camera and
 * nothing on the cloud. Best: {in, a} on the camera, sending the frame (for b) and a's output. */
static sr_status diamond_cost(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                              int last, sr_precision p, int batch, double *seconds)
{
    (void)m, (void)p;
    int cloud = strcmp(dev->name, "cloud") == 0;
    double t = 0;
    for (int id = first; id <= last; id++) {
        const char *nm = sr_graph_node(g, id)->name;
        if (strcmp(nm, "in") == 0) continue;
        t += strcmp(nm, "a") == 0 ? (cloud ? 1.0 : 0.1) : (cloud ? 0.0 : 0.1);
    }
    *seconds = t * batch;
    return SR_OK;
}
static const sr_cost_model_ops diamond_ops = {"diamond", diamond_cost, NULL, 0};
static const sr_cost_model diamond_model = {&diamond_ops, NULL};

static void test_multi_tensor(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(0.5, SR_NET_CM02);
    fx_device(e, "cam", 1, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "wan", 8e6, 0.01, SR_SHARING_SHARED, NULL, 1);
    const char *const wan[] = {"wan", NULL};
    fx_route(e, "cam", "cloud", 1, wan);
    fx_model(e, "m", "diamond");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "best_split", "cloud", NULL, 0);
    sr_engine_opts o = {&diamond_model, diamond, NULL};
    sr_run_output out;
    sr_run_output_init(&out);
    char err[512] = "";
    assert_int_equal(fx_run_forked(e, 1, &o, &out, err, sizeof err), SR_OK);
    assert_rel(metric(&out, "best_split.cut_tensors"), 2, 0);
    assert_rel(metric(&out, "best_split.cut_device_nodes"), 2, 0);
    /* the fixture's source is 100x100: the frame is 30 000 bytes; a's output 32x32 fp32 = 4 096 bytes */
    assert_rel(metric(&out, "best_split.cut_bytes"), 30000 + 4096, 0);
    assert_rel(metric(&out, "bytes_per_frame"), 30000 + 4096, 0);
    /* predicted: a 0.1 + (0.01 + 30000 * 8 / 8e6) + (0.01 + 4096 * 8 / 8e6) + 0 = 0.154096; the run overlaps
     * the frame's transfer with a, and a's output shares the link with the frame's end: faster, never slower
     */
    assert_rel(metric(&out, "best_split.cut_predicted_latency_s"), 0.1 + 0.01 + 0.03 + 0.01 + 0.004096,
               1e-12);
    double lat = metric(&out, "latency_mean_s");
    assert_true(lat <= 0.154096 + 1e-9);
    assert_true(lat >= 0.1 + 0.01 + 0.004096 - 1e-9); /* a, then its own transfer at least */
    int transfers = 0;
    for (size_t k = 0; k < out.n_tasks; k++)
        transfers += strcmp(out.tasks[k].kind, "transfer") == 0;
    assert_int_equal(transfers, 2);
    sr_run_output_clear(&out);
    fx_free(e);
}

/* ---- dynamic_split over a two-step trace: Wi-Fi for 5 s, then 3G ---- */

static char trace_path[256];

static void write_trace(void)
{
    snprintf(trace_path, sizeof trace_path, "%s/test_split_policies_trace.csv", SR_BINARY_DIR);
    FILE *f = fopen(trace_path, "w");
    assert_non_null(f);
    fprintf(f, "time,bandwidth\n0,18880000\n5,1100000\n");
    fclose(f);
}

/* The first frame of a source (not a job the policy submitted) that ran plan `version`. */
static const sr_frame_record *first_of_version(const sr_run_output *o, int version)
{
    const sr_frame_record *best = NULL;
    for (size_t i = 0; i < o->n_frames; i++)
        if (o->frames[i].source >= 0 && o->frames[i].plan_version == version &&
            (!best || o->frames[i].capture_s < best->capture_s))
            best = &o->frames[i];
    return best;
}

static void test_dynamic(void **state)
{
    (void)state;
    write_trace();
    char link[512];
    snprintf(link, sizeof link, ", bandwidth_trace: %s", trace_path);
    sr_config *c =
        load("10s", link, "2",
             "  - { type: dynamic_split, target: cloud, activation_precision: int8 }\n"
             "  - { name: delayed, type: dynamic_split, target: cloud, activation_precision: int8, "
             "switch_delay: 1s }\n"
             "  - { type: best_split, target: cloud, activation_precision: int8 }\n"
             "  - { type: device_only }\n"
             "  - { name: middle, type: split, target: cloud, activation_precision: int8, "
             "split_at: features.7.conv.2 }\n"
             "  - { name: late, type: split, target: cloud, activation_precision: int8, "
             "split_at: features.18.2 }\n",
             "");
    assert_int_equal(sr_config_point_count(c), 6);
    sr_run_output dyn = run_point(c, 0);
    const double period = 0.5;
    assert_rel(metric(&dyn, "dynamic_split.switches"), 1, 0);
    double t_switch = metric(&dyn, "dynamic_split.switch1.time_s");
    assert_true(t_switch >= 5.0 && t_switch < 5.0 + period);
    assert_rel(metric(&dyn, "dynamic_split.switch1.adopted_s"), t_switch, 0);
    assert_rel(metric(&dyn, "dynamic_split.switch1.bw_bps"), 1.1e6, 0);
    assert_rel(metric(&dyn, "dynamic_split.switch1.from_layer"), 0, 0); /* cloud-only at Wi-Fi */
    assert_rel(metric(&dyn, "dynamic_split.switch1.to_layer"), 152, 0); /* device-only at 3G */
    assert_true(metric(&dyn, "dynamic_split.switch1.to_objective") <
                metric(&dyn, "dynamic_split.switch1.from_objective"));
    assert_rel(metric(&dyn, "plan_versions"), 2, 0);
    const sr_frame_record *f2 = first_of_version(&dyn, 2);
    assert_non_null(f2);
    assert_true(f2->capture_s >= t_switch && f2->capture_s < t_switch + period);
    for (size_t i = 0; i < dyn.n_frames; i++) /* frames before the switch ran the first cut */
        assert_int_equal(dyn.frames[i].plan_version, dyn.frames[i].capture_s < t_switch ? 1 : 2);

    /* a switch costing 1 s on the target: adopted 1 s later, the frames between still on the old cut (the
     * switch job is plan 2, the new cut plan 3) */
    sr_run_output del = run_point(c, 1);
    assert_rel(metric(&del, "dynamic_split.switch1.adopted_s"), t_switch + 1.0, 1e-12);
    assert_rel(metric(&del, "plan_versions"), 3, 0);
    f2 = first_of_version(&del, 3);
    assert_non_null(f2);
    assert_true(f2->capture_s >= t_switch + 1.0 && f2->capture_s < t_switch + 1.0 + period);
    assert_true(metric(&del, "latency_mean_s") > metric(&dyn, "latency_mean_s"));

    /* every fixed cut run over the same trace is slower on average */
    double best_fixed = INFINITY;
    for (int p = 2; p < 6; p++) {
        sr_run_output o = run_point(c, p);
        best_fixed = fmin(best_fixed, metric(&o, "latency_mean_s"));
        if (p == 2) assert_rel(metric(&o, "best_split.cut_layer"), 0, 0); /* chosen at 0 s: cloud-only */
        sr_run_output_clear(&o);
    }
    printf("dynamic_split mean latency %.4f s, delayed switch %.4f s, best fixed cut %.4f s\n",
           metric(&dyn, "latency_mean_s"), metric(&del, "latency_mean_s"), best_fixed);
    assert_true(metric(&dyn, "latency_mean_s") < best_fixed);
    sr_run_output_clear(&dyn);
    sr_run_output_clear(&del);
    sr_config_free(c);
    unlink(trace_path);
}

/* ---- dynamic_split: bandwidth changes during a pending switch, link outages ---- */

/* Trace: Wi-Fi, 3G at 4 s, Wi-Fi again at 4.5 s; the uplink is down during [10 s, 13 s). */
static void test_dynamic_events(void **state)
{
    (void)state;
    snprintf(trace_path, sizeof trace_path, "%s/test_split_policies_trace2.csv", SR_BINARY_DIR);
    FILE *f = fopen(trace_path, "w");
    assert_non_null(f);
    fprintf(f, "time,bandwidth\n0,18880000\n4,1100000\n4.5,18880000\n");
    fclose(f);
    char link[512];
    snprintf(link, sizeof link, ", bandwidth_trace: %s, failures: [{at: 10s, for: 3s}]", trace_path);
    sr_config *c =
        load("16s", link, "2",
             "  - { type: dynamic_split, target: cloud, activation_precision: int8, switch_delay: 1s }\n"
             "  - { name: pushed, type: dynamic_split, target: cloud, activation_precision: int8, "
             "switch_size: 20MB }\n",
             "");
    /* A switch costing 1 s, no push: to device-only at 3G (4 s, adopted at 5 s); the return of Wi-Fi at 4.5 s
     * came during that switch, so at 5 s the choice is made again and switches back (adopted at 6 s); the
     * outage makes the route's bandwidth 0: device-only at 10 s, and back to cloud-only at the recovery. */
    sr_run_output o = run_point(c, 0);
    assert_rel(metric(&o, "dynamic_split.bandwidth_events"), 3, 0);
    assert_rel(metric(&o, "dynamic_split.link_events"), 2, 0);
    assert_rel(metric(&o, "dynamic_split.switches"), 4, 0);
    const double at[4] = {4, 5, 10, 13}, to[4] = {152, 0, 152, 0};
    for (int i = 0; i < 4; i++) {
        char name[96];
        snprintf(name, sizeof name, "dynamic_split.switch%d.time_s", i + 1);
        assert_rel(metric(&o, name), at[i], 1e-12);
        snprintf(name, sizeof name, "dynamic_split.switch%d.adopted_s", i + 1);
        assert_rel(metric(&o, name), at[i] + 1.0, 1e-12);
        snprintf(name, sizeof name, "dynamic_split.switch%d.to_layer", i + 1);
        assert_rel(metric(&o, name), to[i], 0);
        snprintf(name, sizeof name, "dynamic_split.switch%d.from_layer", i + 1);
        assert_rel(metric(&o, name), to[i] == 0 ? 152 : 0, 0);
    }
    assert_rel(metric(&o, "dynamic_split.switch3.bw_bps"), 0, 0); /* decided on the dead route */
    /* every frame captured while the link was down ran on the device, once the switch was adopted */
    int during = 0;
    for (size_t i = 0; i < o.n_frames; i++) {
        const sr_frame_record *fr = &o.frames[i];
        if (fr->source < 0 || fr->capture_s < 11.0 || fr->capture_s >= 13.0) continue;
        during++;
        assert_string_equal(fr->outcome, "completed");
        assert_rel(fr->bytes_sent, 0, 0);
    }
    assert_int_equal(during, 4);
    sr_run_output_clear(&o);

    /* With a 20 MB model push: the push of the switch to device-only (4 s, at 3G; 160 Mbit, mostly at Wi-Fi
     * rate after 4.5 s: about 13 s) is still on the uplink when it fails at 10 s, so the switch is abandoned
     * and its cut never used; no push starts on the dead route, and at the recovery cloud-only is the best
     * cut. */
    o = run_point(c, 1);
    assert_rel(metric(&o, "dynamic_split.switches"), 1, 0);
    assert_rel(metric(&o, "dynamic_split.switch1.time_s"), 4, 1e-12);
    assert_true(isnan(metric(&o, "dynamic_split.switch1.adopted_s")));
    assert_rel(metric(&o, "dynamic_split.cut_layer"), 0, 0);
    int jobs = 0;
    for (size_t i = 0; i < o.n_frames; i++) {
        if (o.frames[i].source >= 0) {
            assert_int_equal(o.frames[i].plan_version, 1);
        } else { /* the switch job: its push failed with the link */
            jobs++;
            assert_string_equal(o.frames[i].outcome, "failed");
        }
    }
    assert_int_equal(jobs, 1);
    sr_run_output_clear(&o);
    sr_config_free(c);
    unlink(trace_path);
}

/* With a codec, the candidates are the layers with a row in the codec table (besides the two extremes): rows
 * for features.3.add (32 bits per element: dear) and features.7.conv.2 (1 bit per element, 1e-7 s / 2e-7 s
 * per element to encode / decode as measured) make the latter the cut at LTE; the run sends its coded size
 * and spends the coding time on the devices; the frame of a 1 fps source alone takes the predicted latency.
 */
static void test_codec(void **state)
{
    (void)state;
    char db[256], err[512];
    snprintf(db, sizeof db, "%s/test_split_policies_codec.db", SR_BINARY_DIR);
    unlink(db);
    sr_codectab_row rows[2];
    memset(rows, 0, sizeof rows);
    const char *layers[2] = {"features.3.add", "features.7.conv.2"};
    const int64_t elements[2] = {75264, 12544};
    const double bits[2] = {32.0, 1.0};
    for (int i = 0; i < 2; i++) {
        snprintf(rows[i].model, sizeof rows[i].model, "mobilenetv2");
        snprintf(rows[i].input, sizeof rows[i].input, "3x224x224");
        snprintf(rows[i].split_layer, sizeof rows[i].split_layer, "%s", layers[i]);
        snprintf(rows[i].pipeline, sizeof rows[i].pipeline, "quant8+rans");
        snprintf(rows[i].resolution, sizeof rows[i].resolution, "224x224");
        rows[i].frames = 1;
        rows[i].elements = elements[i];
        rows[i].bits_per_element = bits[i];
        rows[i].encode_s_per_element = 1e-7;
        rows[i].decode_s_per_element = 2e-7;
        rows[i].top1_agreement = 1;
    }
    assert_int_equal(sr_codectab_store(db, rows, 2, "test", err, sizeof err), SR_OK);
    char pol[1024];
    snprintf(pol, sizeof pol,
             "  - { type: best_split, target: cloud, codec: quant8+rans, codec_table: %s }\n", db);
    sr_config *c = load("2s", ", bandwidth: 5.85Mbps", "1", pol, "");
    sr_run_output o = run_point(c, 0);
    assert_rel(metric(&o, "best_split.cut_layer"), 58, 0); /* features.7.conv.2 */
    assert_rel(metric(&o, "best_split.cut_bytes"), 12544 / 8, 0);
    assert_rel(metric(&o, "bytes_per_frame"), 12544 / 8, 0);
    assert_rel(metric(&o, "latency_mean_s"), metric(&o, "best_split.cut_predicted_latency_s"), 1e-9);
    int coded = 0;
    for (size_t k = 0; k < o.n_tasks; k++) {
        const sr_task_record *t = &o.tasks[k];
        if (strcmp(t->label, "encode") == 0) assert_rel(t->end_s - t->start_s, 12544 * 1e-7, 1e-9), coded++;
        if (strcmp(t->label, "decode") == 0) assert_rel(t->end_s - t->start_s, 12544 * 2e-7, 1e-9), coded++;
    }
    assert_int_equal(coded, 2 * (int)o.n_frames);
    sr_run_output_clear(&o);
    sr_config_free(c);
    unlink(db);
}

/* The shipped experiments, as they are (best-split at a shorter duration): their key numbers. */
static sr_config *load_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/experiments/%s", SR_SOURCE_DIR, name);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load(path, stderr, &c), SR_OK);
    return c;
}

static double point_metric(const sr_config *c, int i, double duration_s, const char *name, char *policy,
                           size_t n)
{
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
    if (duration_s > 0) e->duration_s = duration_s;
    snprintf(policy, n, "%s", e->policy.name);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    if (fx_run_forked(e, 1, NULL, &out, err, sizeof err) != SR_OK) fail_msg("point %d: %s", i, err);
    double v = NAN;
    sr_run_output_metric(&out, name, &v);
    sr_run_output_clear(&out);
    sr_experiment_free(e);
    return v;
}

static void test_shipped_experiments(void **state)
{
    (void)state;
    sr_config *c = load_file("best-split.yaml");
    int n = sr_config_point_count(c), per = n / 3;
    assert_int_equal(n, 15); /* 3 bandwidths x 5 policies */
    double nodes[3] = {0};
    char pol[64];
    for (int b = 0; b < 3; b++) {
        double best = INFINITY, mine = NAN;
        for (int p = 0; p < per; p++) {
            double lat = point_metric(c, b * per + p, 3.0, "latency_mean_s", pol, sizeof pol);
            if (strcmp(pol, "best_split") == 0) {
                mine = lat;
                nodes[b] = point_metric(c, b * per + p, 3.0, "best_split.cut_device_nodes", pol, sizeof pol);
            }
            best = fmin(best, lat);
        }
        assert_rel(mine, best, 1e-12); /* no other policy of the file is faster */
    }
    assert_true(nodes[0] == 153 && nodes[1] == 59 && nodes[2] == 1);
    sr_config_free(c);

    c = load_file("dynamic-split.yaml");
    assert_int_equal(sr_config_point_count(c), 5);
    double dyn = point_metric(c, 0, 0, "latency_mean_s", pol, sizeof pol);
    assert_string_equal(pol, "dynamic_split");
    assert_rel(point_metric(c, 0, 0, "dynamic_split.switches", pol, sizeof pol), 2, 0);
    assert_rel(point_metric(c, 0, 0, "dynamic_split.switch1.time_s", pol, sizeof pol), 10, 1e-12);
    assert_rel(point_metric(c, 0, 0, "dynamic_split.switch2.time_s", pol, sizeof pol), 20, 1e-12);
    assert_rel(point_metric(c, 0, 0, "dynamic_split.switch2.to_layer", pol, sizeof pol), 58, 0);
    double adopted = point_metric(c, 1, 0, "dynamic_split.switch1.adopted_s", pol, sizeof pol);
    assert_string_equal(pol, "switching");
    assert_true(adopted > 10.5); /* 0.5 s on the cloud, then the push over 3G */
    for (int i = 2; i < 5; i++)
        assert_true(dyn < point_metric(c, i, 0, "latency_mean_s", pol, sizeof pol));
    sr_config_free(c);
}

/* Exact mode runs chains with one cut tensor: an explicit search: mincut is refused on its key, with why. */
static void test_exact_refused(void **state)
{
    (void)state;
    char yaml[8192];
    snprintf(yaml, sizeof yaml, BASE, "1s", "", "1",
             "  - { type: best_split, target: cloud, search: mincut }\n", "mode: exact\n");
    char *msgs = NULL;
    size_t len = 0;
    FILE *errf = open_memstream(&msgs, &len);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string("t.yaml", yaml, errf, &c), SR_ERR_PARSE);
    fclose(errf);
    assert_null(c);
    if (!strstr(msgs, "t.yaml:21:48: error: ")) fail_msg("%s", msgs);
    assert_non_null(
        strstr(msgs, "search: mincut is not possible in exact mode: it runs chains with one cut tensor"));
    free(msgs);
    /* without the key, exact mode searches the clean single-tensor cuts */
    snprintf(yaml, sizeof yaml, BASE, "1s", "", "1", "  - { type: best_split, target: cloud }\n",
             "mode: exact\n");
    errf = open_memstream(&msgs, &len);
    sr_status st = sr_config_load_string("t.yaml", yaml, errf, &c);
    fclose(errf);
    if (st != SR_OK) fail_msg("%s", msgs);
    free(msgs);
    sr_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bandwidths),
        cmocka_unit_test(test_lv08_prediction),
        cmocka_unit_test(test_idle_prediction),    cmocka_unit_test(test_multi_tensor),
        cmocka_unit_test(test_dynamic),       cmocka_unit_test(test_dynamic_events),
        cmocka_unit_test(test_codec),         cmocka_unit_test(test_shipped_experiments),
        cmocka_unit_test(test_exact_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
