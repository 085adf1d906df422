/* test_emulate_quota.c: the emulated devices' CPU quotas (sr_emulate_quotas, sr_emulate.h), without root. The
 * host profile is the shipped host.yaml; MobileNetV2 at 3x224x224, batch 1, fp32. Every expected value is
 * computed here by pricing the layer ranges with each profile's own cost model (sr_profile_cost_model) and
 * roofline numbers (sr_profile_device), not read from the plans:
 * - device_only on a camera-soc camera: the quota is (the model priced on host) / (priced on camera-soc),
 * within 1e-9 relative, and differs from the peak ratio (speed x cores x efficiency over the host's) by more
 * than 10 %; its cfs quota and period are sr_testbed_quota_period's (2 ms every 2 ms / q);
 * - split after features.13.add to an rpi4 server: the camera's quota is the ratio of layers 0..cut, the
 * server's the ratio of cut+1..last, each with its own profile; with a codec (a codec table row written
 * here), the encode joins the camera's sums and the decode the server's, each its per-element time x the
 * activation's elements x codec_host_speed / (one core's speed x efficiency) of the host or the device;
 * - cloud_only to a v100: the camera computes nothing and gets the peak ratio, the v100 its priced ratio,
 * which is at least the host's cores (1 here) and so sets no quota;
 * - a camera at 10 Mflop/s: its quota is below 0.002 cores and sr_emulate_check refuses the point, naming it;
 * - without a host profile: no quotas. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr_codectab.h"
#include "sr_config.h"
#include "sr_cost.h"
#include "sr_emulate.h"
#include "sr_engine_view.h"
#include "sr_profile.h"
#include "emu_test_net.h"
#include "sr_testbed.h"

static int failures;


static void near(const char *what, double got, double want)
{
    CHECK(fabs(got - want) <= 1e-9 * fabs(want), "%s: %.12g, expected %.12g", what, got, want);
    printf("%s: %.9g (expected %.9g)\n", what, got, want);
}

/* The experiment with its camera line, its second device line, its policy line. */
static sr_experiment *load(const char *cam, const char *other, const char *policy, uint64_t *seed)
{
    char yaml[2048];
    snprintf(
        yaml, sizeof yaml,
        "name: quota\n"
        "seed: 3\n"
        "duration: 2s\n"
        "platform:\n"
        "  devices:\n"
        "    - %s\n"
        "    - %s\n"
        "  links:\n"
        "    - { name: uplink, type: ethernet, bandwidth: 5Mbps, latency: 20ms }\n"
        "  routes:\n"
        "    - { src: cam, dst: server, links: [uplink] }\n"
        "models:\n"
        "  - { name: net, source: mobilenetv2, input: 3x224x224 }\n"
        "workload:\n"
        "  sources:\n"
        "    - { name: video, devices: cam, model: net, fps: 3, arrival: periodic, resolution: 224x224 }\n"
        "policy:\n"
        "  - %s\n",
        cam, other, policy);
    sr_config *c = NULL;
    sr_experiment *e = NULL;
    if (sr_config_load_string("quota.yaml", yaml, stdout, &c) != SR_OK) return NULL;
    if (sr_config_experiment(c, 0, &e) != SR_OK) e = NULL;
    *seed = sr_config_point(c, 0)->seed;
    sr_config_free(c);
    return e;
}

/* Layers first..last of g priced by profile `name`'s cost model on its own roofline numbers. */
static double price(const char *name, const sr_graph *g, int first, int last)
{
    const sr_profile *p = sr_profile_find(name);
    sr_cost_model *m = NULL;
    double s = -1;
    if (!p || sr_profile_cost_model(p, &m) != SR_OK) return -1;
    sr_cost_device d = sr_profile_device(p);
    if (sr_cost_layers(m, &d, g, first, last, SR_PREC_FP32, 1, &s) != SR_OK) s = -1;
    sr_cost_model_free(m);
    return s;
}

static const sr_emulate_quota *find(const sr_emulate_quota *q, int n, const char *device)
{
    for (int i = 0; i < n; i++)
        if (strcmp(q[i].device, device) == 0) return &q[i];
    return NULL;
}

static const char *k_cam = "{ name: cam, class: camera, profile: camera-soc }";

int main(void)
{
    const sr_profile *host = sr_profile_find("host");
    if (!host) {
        printf("FAIL: host profile not found (%s)\n", sr_profile_dir());
        return 1;
    }
    sr_emulate_opts o = {.frames = 2, .host_profile = host};
    sr_emulate_quota q[4];
    int n = 0;
    char err[1024] = "";
    uint64_t seed = 0;

    /* device_only on camera-soc */
    sr_experiment *e =
        load(k_cam, "{ name: server, class: edge, profile: rpi4 }", "{ type: device_only }", &seed);
    CHECK(e, "device_only experiment loads");
    if (!e) return 1;
    sr_engine_view *v = NULL;
    CHECK(sr_engine_view_create(e, seed, &v, err, sizeof err) == SR_OK, "view: %s", err);
    const sr_graph *g = sr_engine_view_graph(v, 0);
    int last = sr_graph_node_count(g) - 1, cut = sr_graph_find(g, "features.13.add");
    CHECK(cut > 0 && cut < last, "features.13.add is inside the model (%d of %d)", cut, last);
    double host_all = price("host", g, 0, last), cam_all = price("camera-soc", g, 0, last);
    double host_head = price("host", g, 0, cut), cam_head = price("camera-soc", g, 0, cut);
    double host_tail = price("host", g, cut + 1, last), rpi_tail = price("rpi4", g, cut + 1, last);
    double host_v100 = host_all, v100_all = price("v100", g, 0, last);
    printf("MobileNetV2: %.3f ms on host, %.3f ms on camera-soc\n", host_all * 1e3, cam_all * 1e3);
    sr_status st = sr_emulate_quotas(e, seed, &o, q, 4, &n, err, sizeof err);
    CHECK(st == SR_OK && n == 1, "device_only: one device (%d): %s", n, err);
    const sr_emulate_quota *c = find(q, n, "cam");
    CHECK(c && c->rule == SR_EMU_QUOTA_PRICED, "the camera's quota is priced");
    if (c) {
        near("device_only: host sum", c->host_s, host_all);
        near("device_only: device sum", c->device_s, cam_all);
        near("device_only: quota", c->cores, host_all / cam_all);
        double peak = 4.8e9 * 4 * 0.25 / (host->speed_flops * host->efficiency);
        printf("device_only: peak ratio %.6f, priced %.6f\n", peak, c->cores);
        CHECK(fabs(c->cores - peak) > 0.1 * peak, "the priced quota %.6f differs from the peak ratio %.6f",
              c->cores, peak);
        CHECK(c->quota_us == 2000 && c->period_us == (long)ceil(2000 / c->cores),
              "cfs quota %ld us every %ld us, expected 2000 every %ld", c->quota_us, c->period_us,
              (long)ceil(2000 / c->cores));
    }
    sr_engine_view_free(v);
    sr_experiment_free(e);

    /* split: each side its own tasks' ratio */
    e = load(k_cam, "{ name: server, class: edge, profile: rpi4 }",
             "{ type: split, target: server, split_at: features.13.add, activation_precision: int8 }", &seed);
    st = e ? sr_emulate_quotas(e, seed, &o, q, 4, &n, err, sizeof err) : SR_ERR_INVALID;
    CHECK(st == SR_OK && n == 2, "split: two devices (%d): %s", n, err);
    c = find(q, n, "cam");
    const sr_emulate_quota *s = find(q, n, "server");
    CHECK(c && s && c->rule == SR_EMU_QUOTA_PRICED && s->rule == SR_EMU_QUOTA_PRICED, "split: both priced");
    if (c && s) {
        near("split: camera quota (head)", c->cores, host_head / cam_head);
        near("split: server quota (tail)", s->cores, host_tail / rpi_tail);
        near("split: server host sum", s->host_s, host_tail);
    }
    sr_experiment_free(e);

    /* split with a codec: encode on the camera, decode on the server, priced from the codec table's row */
    char dir[] = "/tmp/simrun-quota-XXXXXX", db[64], policy[256];
    CHECK(mkdtemp(dir) != NULL, "temporary directory");
    snprintf(db, sizeof db, "%s/codec.db", dir);
    sr_codectab_row row;
    memset(&row, 0, sizeof row);
    snprintf(row.model, sizeof row.model, "mobilenetv2");
    snprintf(row.input, sizeof row.input, "3x224x224");
    snprintf(row.split_layer, sizeof row.split_layer, "features.13.add");
    snprintf(row.pipeline, sizeof row.pipeline, "quant8+rans");
    snprintf(row.resolution, sizeof row.resolution, "224x224");
    row.frames = 1;
    row.elements = 96 * 14 * 14;
    row.bits_per_element = 4.5;
    row.encode_s_per_element = 3e-8;
    row.decode_s_per_element = 2e-8;
    CHECK(sr_codectab_store(db, &row, 1, "test", err, sizeof err) == SR_OK, "codec table: %s", err);
    snprintf(policy, sizeof policy,
             "{ type: split, target: server, split_at: features.13.add, codec: quant8+rans, codec_table: %s, "
             "codec_host_speed: 100Gf }",
             db);
    e = load(k_cam, "{ name: server, class: edge, profile: rpi4 }", policy, &seed);
    st = e ? sr_emulate_quotas(e, seed, &o, q, 4, &n, err, sizeof err) : SR_ERR_INVALID;
    CHECK(st == SR_OK && n == 2, "coded split: two devices (%d): %s", n, err);
    c = find(q, n, "cam");
    s = find(q, n, "server");
    if (c && s) {
        const sr_profile *cp = sr_profile_find("camera-soc"), *rp = sr_profile_find("rpi4");
        double el = 96.0 * 14 * 14, hcore = host->speed_flops * host->efficiency;
        double h_enc = el * 3e-8 * 100e9 / hcore,
               c_enc = el * 3e-8 * 100e9 / (cp->speed_flops * cp->efficiency);
        double h_dec = el * 2e-8 * 100e9 / hcore,
               r_dec = el * 2e-8 * 100e9 / (rp->speed_flops * rp->efficiency);
        printf("coded split: encode %.3f ms on host, %.3f ms on camera-soc\n", h_enc * 1e3, c_enc * 1e3);
        near("coded split: camera quota (head + encode)", c->cores, (host_head + h_enc) / (cam_head + c_enc));
        near("coded split: server quota (decode + tail)", s->cores, (host_tail + h_dec) / (rpi_tail + r_dec));
    }
    sr_experiment_free(e);
    for (int i = 0; i < 3; i++) {
        char f[80];
        snprintf(f, sizeof f, "%s%s", db, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        unlink(f);
    }
    CHECK(rmdir(dir) == 0, "temporary directory removed");

    /* cloud_only: a camera without compute gets the peak ratio; the v100 is faster than one host core: no quota
     * (a device's one compute thread cannot use more than a core) */
    e = load(k_cam, "{ name: server, class: cloud, profile: v100 }",
             "{ type: cloud_only, target: server, frame_size: 30KiB }", &seed);
    st = e ? sr_emulate_quotas(e, seed, &o, q, 4, &n, err, sizeof err) : SR_ERR_INVALID;
    CHECK(st == SR_OK && n == 2, "cloud_only: two devices (%d): %s", n, err);
    c = find(q, n, "cam");
    s = find(q, n, "server");
    CHECK(c && c->rule == SR_EMU_QUOTA_PEAK && c->host_s == 0 && c->device_s == 0,
          "cloud_only: camera by peak");
    CHECK(s && s->rule == SR_EMU_QUOTA_PRICED, "cloud_only: server priced");
    if (c && s) {
        near("cloud_only: camera quota (peak)", c->cores, 4.8e9 / (host->speed_flops * host->efficiency));
        near("cloud_only: v100 ratio", s->ratio, host_v100 / v100_all);
        CHECK(s->ratio >= 1 && s->cores == 0 && s->quota_us == 0, "the v100 (%.3f cores) gets no quota",
              s->ratio);
    }
    sr_experiment_free(e);

    /* a camera so slow that no cfs period grants its quota: refused before anything is built */
    e = load("{ name: cam, class: camera, profile: camera-soc, speed: 10Mf }",
             "{ name: server, class: edge, profile: rpi4 }", "{ type: device_only }", &seed);
    st = e ? sr_emulate_check(e, seed, &o, err, sizeof err) : SR_ERR_INVALID;
    printf("slow camera: %s\n", err);
    CHECK(st == SR_ERR_UNSUPPORTED && strstr(err, "device 'cam'") && strstr(err, "below the 0.002 cores"),
          "a quota below 0.002 cores is refused by the check (%d: %s)", st, err);
    /* without a host profile: no quota */
    o.host_profile = NULL;
    st = e ? sr_emulate_quotas(e, seed, &o, q, 4, &n, err, sizeof err) : SR_ERR_INVALID;
    CHECK(st == SR_OK && n == 1 && q[0].rule == SR_EMU_QUOTA_NONE && q[0].cores == 0,
          "no host profile: no quota (%d: %s)", st, err);
    sr_experiment_free(e);

    if (failures) printf("%d failures\n", failures);
    return failures ? 1 : 0;
}
