/* test_config.c: a good experiment resolves to the expected values (defaults from the catalogues);
 * sweep expansion order, params_json, point hashes and seeds; policy-specific axes; API edge cases. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_config.h"
#include "sr_experiment.h"
#include "sr_file.h"
#include "sr_profile_file.h"
#include "sr_policy.h"
#include "sr_linkclass.h"
#include "sr_profile.h"
#include "sr_zoo.h"

/* A key of the run point's policy (its own table). */
#define PSTR(e, k) sr_params_get_str((e)->policy.params_sec, (e)->policy.params, k)
#define PDBL(e, k) sr_params_get_dbl((e)->policy.params_sec, (e)->policy.params, k)

#define GOOD SR_SOURCE_DIR "/tests/config/good/quickstart.yaml"

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static sr_config *load_ok(const char *path)
{
    sr_config *c = NULL;
    assert_int_equal(sr_config_load(path, stderr, &c), SR_OK);
    assert_non_null(c);
    return c;
}

static sr_config *load_text(const char *text)
{
    sr_config *c = NULL;
    sr_status st = sr_config_load_string("/tmp/inline-test.yaml", text, stderr, &c);
    assert_int_equal(st, SR_OK);
    assert_non_null(c);
    return c;
}

static void test_resolved_values(void **state)
{
    (void)state;
    sr_config *c = load_ok(GOOD);
    assert_string_equal(sr_config_name(c), "quickstart");
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    assert_string_equal(e->file, GOOD);
    assert_string_equal(e->name, "quickstart");
    assert_true(e->seed == 42);
    assert_true(e->duration_s == 10.0);
    assert_string_equal(e->output_db, "results/quickstart.db");
    assert_string_equal(e->output_figures, "results/quickstart");
    assert_int_equal(e->net_model, SR_NET_CM02);

    /* Devices: camera-soc and v100 defaults come from the profile catalogue. */
    assert_int_equal(e->n_devices, 3);
    const sr_profile *soc = sr_profile_find("camera-soc"), *v100 = sr_profile_find("v100");
    assert_non_null(soc);
    assert_non_null(v100);
    const sr_device_spec *cam = &e->devices[0];
    assert_string_equal(cam->name, "cam");
    assert_int_equal(cam->count, 4);
    for (int i = 0; i < 4; i++) {
        char want[16];
        snprintf(want, sizeof want, "cam%d", i);
        assert_string_equal(cam->instances[i], want);
    }
    assert_int_equal(cam->cls, SR_DEV_CAMERA);
    assert_string_equal(cam->profile, "camera-soc");
    assert_true(cam->speed_flops == soc->speed_flops);
    assert_int_equal(cam->cores, soc->cores);
    assert_true(cam->efficiency == soc->efficiency);
    assert_true(cam->mem_bw_Bps == soc->mem_bw_Bps);
    assert_true(cam->power_idle_w == soc->power_idle_w);
    assert_true(cam->power_busy_w == soc->power_busy_w);
    assert_int_equal(cam->max_queue, 0);
    assert_int_equal(cam->wifi_level, 0);
    assert_int_equal(cam->loc.line, 9);
    assert_int_equal(cam->loc.col, 7);
    assert_string_equal(cam->loc.file, GOOD);

    const sr_device_spec *cloud = &e->devices[1];
    assert_string_equal(cloud->name, "cloud");
    assert_int_equal(cloud->count, 1);
    assert_string_equal(cloud->instances[0], "cloud"); /* count 1: the name itself */
    assert_int_equal(cloud->cls, SR_DEV_CLOUD);        /* from the profile */
    assert_true(cloud->speed_flops == v100->speed_flops);
    assert_int_equal(cloud->max_queue, 64);

    const sr_device_spec *edge = &e->devices[2];
    assert_null(edge->profile);
    assert_int_equal(edge->cls, SR_DEV_EDGE);
    assert_true(edge->speed_flops == 1.5e12);
    assert_int_equal(edge->cores, 8);
    assert_true(edge->efficiency == 0.5);
    assert_true(edge->mem_bw_Bps == 25.6e9); /* 25.6GBps = 204.8 Gbit/s, stored in bytes/s */
    assert_true(edge->power_idle_w == 20.0);
    assert_true(edge->power_busy_w == 120.0);

    /* Links: lte and wifi defaults from the link class catalogue; cam_up swept (point 0: 1Mbps). */
    assert_int_equal(e->n_links, 3);
    const sr_link_class *lte = sr_link_class_find("lte"), *wifi = sr_link_class_find("wifi");
    const sr_link_spec *up = &e->links[0];
    assert_string_equal(up->name, "cam_up");
    assert_int_equal(up->type, SR_LINK_LTE);
    assert_true(up->bw_bps == 1e6);
    assert_true(up->latency_s == lte->latency_s);
    assert_int_equal(up->sharing, SR_SHARING_SHARED);
    assert_string_equal(up->per_device, "cam");
    assert_int_equal(up->count, 4);
    assert_string_equal(up->instances[0], "cam_up0");
    assert_string_equal(up->instances[3], "cam_up3");
    assert_int_equal(up->n_rates, 0);
    const sr_link_spec *wan = &e->links[1];
    assert_true(wan->bw_bps == 1e9);
    assert_true(wan->latency_s == 0.02);
    assert_int_equal(wan->count, 1);
    assert_string_equal(wan->instances[0], "wan");
    assert_null(wan->per_device);
    const sr_link_spec *cell = &e->links[2];
    assert_int_equal(cell->sharing, SR_SHARING_WIFI);
    assert_true(cell->latency_s == wifi->latency_s);
    assert_int_equal(cell->n_rates, 2);
    assert_true(cell->rates_bps[0] == 54e6);
    assert_true(cell->rates_bps[1] == 24e6);
    assert_true(cell->bw_bps == 54e6);
    assert_true(cell->power_idle_w == 0.0);

    assert_int_equal(e->n_routes, 2);
    assert_string_equal(e->routes[0].src, "cam");
    assert_string_equal(e->routes[0].dst, "cloud");
    assert_int_equal(e->routes[0].n_links, 2);
    assert_string_equal(e->routes[0].links[0], "cam_up");
    assert_string_equal(e->routes[0].links[1], "wan");
    assert_int_equal(e->routes[0].symmetric, 1);
    assert_int_equal(e->routes[1].symmetric, 0);

    assert_int_equal(e->n_models, 1);
    assert_string_equal(e->models[0].source, "resnet50");
    assert_int_equal(e->models[0].input_c, 3);
    assert_int_equal(e->models[0].input_h, 224);
    assert_int_equal(e->models[0].input_w, 224);
    assert_int_equal(e->models[0].precision, SR_PREC_FP32);

    assert_int_equal(e->n_sources, 1);
    const sr_source_spec *src = &e->sources[0];
    assert_string_equal(src->devices, "cam");
    assert_string_equal(src->model, "net");
    assert_true(src->fps == 15.0);
    assert_int_equal(src->arrival, SR_ARRIVAL_PERIODIC);
    assert_int_equal(src->width, 1280);
    assert_int_equal(src->height, 720);
    assert_true(src->start_s == 0.0);

    assert_string_equal(e->policy.type, "cloud_only");
    assert_string_equal(e->policy.name, "cloud_only");
    assert_string_equal(PSTR(e, "target"), "cloud");
    assert_true(PDBL(e, "frame_size") == 60.0 * 1024);
    assert_null(PSTR(e, "split_at")); /* not a key of cloud_only */

    assert_int_equal(e->metrics.frames, 1);
    assert_int_equal(e->metrics.links, 0);
    assert_int_equal(e->metrics.hosts, 1);
    assert_true(e->metrics.warmup_s == 1.0);

    /* Lookups accept group and instance names. */
    assert_ptr_equal(sr_experiment_device(e, "cam"), cam);
    assert_ptr_equal(sr_experiment_device(e, "cam3"), cam);
    assert_null(sr_experiment_device(e, "cam4"));
    assert_null(sr_experiment_device(e, "cam01"));
    assert_ptr_equal(sr_experiment_device(e, "cloud"), cloud);
    assert_ptr_equal(sr_experiment_link(e, "cam_up2"), up);
    assert_ptr_equal(sr_experiment_link(e, "wan"), wan);
    assert_null(sr_experiment_link(e, "nope"));
    assert_ptr_equal(sr_experiment_model(e, "net"), &e->models[0]);
    assert_null(sr_experiment_model(e, "resnet50"));
    sr_experiment_free(e);

    /* device_only and the split policy. */
    assert_int_equal(sr_config_experiment(c, 2, &e), SR_OK);
    assert_string_equal(e->policy.type, "device_only");
    assert_null(e->policy.params); /* device_only has no keys */
    sr_experiment_free(e);
    assert_int_equal(sr_config_experiment(c, 4, &e), SR_OK);
    assert_string_equal(e->policy.type, "split");
    assert_string_equal(e->policy.name, "split-l2");
    assert_int_equal(sr_params_get_int(e->policy.params_sec, e->policy.params, "activation_precision"), SR_PREC_FP16);
    /* "layer2" names a block: it resolves to the block's last layer of the zoo graph. */
    sr_graph *g = NULL;
    assert_int_equal(sr_zoo_build("resnet50", 3, 224, 224, &g), SR_OK);
    int last = -1;
    for (int id = 0; id < sr_graph_node_count(g); id++)
        if (strncmp(sr_graph_node(g, id)->name, "layer2.", 7) == 0) last = id;
    assert_true(last > 0);
    assert_string_equal(PSTR(e, "split_at"), "layer2"); /* as written; the policy resolves it */
    assert_int_equal(sr_policy_find_layer(g, PSTR(e, "split_at")), last);
    sr_graph_free(g);
    sr_experiment_free(e);

    assert_int_equal(sr_config_experiment(c, 18, &e), SR_ERR_INVALID);
    assert_int_equal(sr_config_experiment(c, -1, &e), SR_ERR_INVALID);
    sr_config_free(c);
}

static void test_sweep_points(void **state)
{
    (void)state;
    sr_config *c = load_ok(GOOD);
    assert_int_equal(sr_config_axis_count(c), 1);
    assert_string_equal(sr_config_axis(c, 0), "platform.links.cam_up.bandwidth");
    assert_null(sr_config_axis(c, 1));
    assert_int_equal(sr_config_replications(c), 2);
    assert_int_equal(sr_config_point_count(c), 3 * 3 * 2);
    static const char *const bw[] = {"1Mbps", "5.85Mbps", "20Mbps"};
    static const double bw_bps[] = {1e6, 5.85e6, 20e6};
    static const char *const pol[] = {"cloud_only", "device_only", "split-l2"};
    for (int i = 0; i < 18; i++) {
        const sr_point *p = sr_config_point(c, i);
        int combo = i / 6, policy = (i / 2) % 3, rep = i % 2; /* grid, then policy, then replication */
        assert_int_equal(p->index, i);
        assert_int_equal(p->replication, rep);
        assert_string_equal(p->policy, pol[policy]);
        char want[256];
        snprintf(want, sizeof want,
                 "{\"platform.links.cam_up.bandwidth\": \"%s\", \"policy\": \"%s\", \"replication\": %d}",
                 bw[combo], pol[policy], rep);
        assert_string_equal(p->params_json, want);
        char hash[17];
        snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a(want));
        assert_string_equal(p->hash, hash);
        /* Common random numbers: the seed depends on the replication only. */
        assert_true(p->seed == sr_config_point(c, rep)->seed);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(sr_config_point(c, j)->hash, p->hash);
        sr_experiment *e = NULL;
        assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
        assert_true(e->links[0].bw_bps == bw_bps[combo]);
        assert_string_equal(e->policy.name, pol[policy]);
        sr_experiment_free(e);
    }
    assert_true(sr_config_point(c, 0)->seed != sr_config_point(c, 1)->seed);
    assert_true(sr_config_point(c, 0)->seed != 42); /* derived, not the base seed itself */
    assert_null(sr_config_point(c, 18));

    /* Stable across loads; the config hash is that of the parsed experiment (sr_ycanon.c), not of the text. */
    sr_config *c2 = load_ok(GOOD);
    for (int i = 0; i < 18; i++) {
        assert_string_equal(sr_config_point(c, i)->hash, sr_config_point(c2, i)->hash);
        assert_true(sr_config_point(c, i)->seed == sr_config_point(c2, i)->seed);
    }
    char h[17];
    snprintf(h, sizeof h, "%016llx", (unsigned long long)fnv1a(sr_config_text(c)));
    assert_string_not_equal(sr_config_hash(c), h);
    assert_string_equal(sr_config_hash(c), sr_config_hash(c2));
    sr_config_free(c2);
    /* comments and blank lines added: the same experiment; one value changed: another one */
    const char *text = sr_config_text(c);
    size_t n = strlen(text);
    char *commented = malloc(n + 64), *changed = strdup(text);
    assert_non_null(commented);
    assert_non_null(changed);
    snprintf(commented, n + 64, "# a comment\n\n%s\n# another\n", text);
    char *seed = strstr(changed, "seed: 42");
    assert_non_null(seed);
    seed[7] = '3';
    sr_config *c3 = NULL, *c4 = NULL;
    assert_int_equal(sr_config_load_string(GOOD, commented, stderr, &c3), SR_OK);
    assert_int_equal(sr_config_load_string(GOOD, changed, stderr, &c4), SR_OK);
    assert_string_equal(sr_config_hash(c3), sr_config_hash(c));
    assert_string_not_equal(sr_config_hash(c4), sr_config_hash(c));
    sr_config_free(c3);
    sr_config_free(c4);
    free(commented);
    free(changed);
    sr_config_free(c);
}

static const char *base_yaml = "platform:\n"
                               "  devices:\n"
                               "    - { name: cam, profile: rpi4 }\n"
                               "    - { name: cloud, profile: cloud-cpu }\n"
                               "  links:\n"
                               "    - { name: up, type: wifi, per_device: cam }\n"
                               "    - { name: wan, type: wan }\n"
                               "  routes:\n"
                               "    - { src: cloud, dst: cam, links: [wan, up] }\n"
                               "models:\n"
                               "  - { name: m, source: resnet50 }\n"
                               "workload:\n"
                               "  sources:\n"
                               "    - { name: s, devices: cam, model: m, fps: 2Hz, resolution: 640x480 }\n";

static void test_policy_axis_and_defaults(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "%s"
             "policy:\n"
             "  - { type: cloud_only, target: cloud }\n"
             "  - { type: split, target: cloud, split_at: layer1 }\n"
             "sweep:\n"
             "  grid:\n"
             "    duration: [5s, 10s]\n"
             "    policy.split.split_at: [layer1, layer2.0.relu, layer3]\n",
             base_yaml);
    sr_config *c = load_text(text);
    /* cloud_only is not multiplied by the split-only axis: per duration 1 + 3 points. */
    assert_int_equal(sr_config_point_count(c), 8);
    assert_string_equal(sr_config_point(c, 0)->params_json,
                        "{\"duration\": \"5s\", \"policy\": \"cloud_only\", \"replication\": 0}");
    assert_string_equal(
        sr_config_point(c, 1)->params_json,
        "{\"duration\": \"5s\", \"policy.split.split_at\": \"layer1\", \"policy\": \"split\", "
        "\"replication\": 0}");
    assert_string_equal(
        sr_config_point(c, 2)->params_json,
        "{\"duration\": \"5s\", \"policy.split.split_at\": \"layer2.0.relu\", \"policy\": \"split\", "
        "\"replication\": 0}");
    assert_string_equal(sr_config_point(c, 4)->params_json,
                        "{\"duration\": \"10s\", \"policy\": \"cloud_only\", \"replication\": 0}");
    /* the same values as the experiment holds them: quantities as numbers in SI units, strings as text */
    assert_string_equal(sr_config_point(c, 2)->params_si_json,
                        "{\"duration\": 5, \"policy.split.split_at\": \"layer2.0.relu\", \"policy\": \"split\", "
                        "\"replication\": 0}");
    assert_string_equal(sr_config_point(c, 4)->params_si_json,
                        "{\"duration\": 10, \"policy\": \"cloud_only\", \"replication\": 0}");
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 2, &e), SR_OK);
    assert_string_equal(PSTR(e, "split_at"), "layer2.0.relu");
    assert_true(e->duration_s == 5.0);
    /* Defaults: name from the file, output paths from the name, seed 1, lv08 off, metrics on. */
    assert_string_equal(e->name, "inline-test");
    assert_string_equal(e->output_db, "results/inline-test.db");
    assert_string_equal(e->output_figures, "results/inline-test");
    assert_true(e->seed == 1);
    assert_int_equal(e->net_model, SR_NET_CM02);
    assert_int_equal(e->metrics.frames, 1);
    assert_int_equal(e->metrics.links, 1);
    assert_true(e->metrics.warmup_s == 0.0);
    /* per_device on a group of one: still numbered. wifi class: latency 0, one rate level. */
    assert_int_equal(e->links[0].count, 1);
    assert_string_equal(e->links[0].instances[0], "up0");
    assert_int_equal(e->links[0].sharing, SR_SHARING_WIFI);
    assert_int_equal(e->links[0].n_rates, 1);
    assert_true(e->links[0].rates_bps[0] == e->links[0].bw_bps);
    assert_true(e->sources[0].fps == 2.0);
    assert_true(isnan(PDBL(e, "frame_size"))); /* a cloud_only key: not one of split's */
    sr_experiment_free(e);
    assert_int_equal(sr_config_experiment(c, 7, &e), SR_OK);
    assert_true(e->duration_s == 10.0);
    assert_non_null(strstr(sr_config_point(c, 7)->params_json, "\"layer3\""));
    assert_string_equal(PSTR(e, "split_at"), "layer3"); /* a block name, resolved by the policy */
    sr_experiment_free(e);
    sr_config_free(c);
}

/* Name ranges: `range: 10-12` gives cam10..cam12; per-device links follow the devices' numbers. */
static void test_device_ranges(void **state)
{
    (void)state;
    const char *text = "name: ranges\n"
                       "platform:\n"
                       "  devices:\n"
                       "    - { name: cam, range: 10-12, class: camera, profile: camera-soc }\n"
                       "    - { name: solo, range: 7-7, class: camera, profile: camera-soc }\n"
                       "    - { name: cloud, class: cloud, profile: v100 }\n"
                       "  links:\n"
                       "    - { name: up, type: lte, per_device: cam }\n"
                       "  routes:\n"
                       "    - { src: cam, dst: cloud, links: [up] }\n"
                       "    - { src: cam11, dst: solo7, links: [up] }\n"
                       "models: [ { name: net, source: mobilenetv2 } ]\n"
                       "workload: { sources: [ { name: v, devices: cam, model: net, fps: 1, resolution: 64x64 } ] }\n"
                       "policy: { type: cloud_only, target: cloud }\n";
    sr_config *c = load_text(text);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    const sr_device_spec *cam = sr_experiment_device(e, "cam");
    assert_non_null(cam);
    assert_int_equal(cam->count, 3);
    assert_int_equal(cam->first_index, 10);
    assert_string_equal(cam->instances[0], "cam10");
    assert_string_equal(cam->instances[2], "cam12");
    assert_true(sr_experiment_device(e, "cam12") == cam);
    assert_null(sr_experiment_device(e, "cam9"));
    assert_null(sr_experiment_device(e, "cam13"));
    const sr_device_spec *solo = sr_experiment_device(e, "solo");
    assert_int_equal(solo->count, 1);
    assert_string_equal(solo->instances[0], "solo7");
    const sr_link_spec *up = sr_experiment_link(e, "up");
    assert_int_equal(up->count, 3);
    assert_string_equal(up->instances[0], "up10");
    assert_string_equal(up->instances[2], "up12");
    sr_experiment_free(e);
    sr_config_free(c);
}

static void test_swept_seed_and_single_policy(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "name: seeds\n%s"
             "policy: { type: device_only }\n"
             "sweep: { grid: { seed: [7, 8] }, replications: 3 }\n",
             base_yaml);
    sr_config *c = load_text(text);
    assert_string_equal(sr_config_name(c), "seeds");
    assert_int_equal(sr_config_point_count(c), 6);
    for (int r = 0; r < 3; r++) {
        assert_true(sr_config_point(c, r)->seed != sr_config_point(c, 3 + r)->seed); /* base seed differs */
        for (int q = 0; q < r; q++)
            assert_true(sr_config_point(c, r)->seed != sr_config_point(c, q)->seed);
    }
    assert_string_equal(sr_config_point(c, 5)->params_json,
                        "{\"seed\": \"8\", \"policy\": \"device_only\", \"replication\": 2}");
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 4, &e), SR_OK);
    assert_true(e->seed == 8);
    sr_experiment_free(e);
    sr_config_free(c);

    /* Same seed text, same seeds: the derivation is a pure function of (seed, replication). */
    snprintf(text, sizeof text, "seed: 7\n%spolicy: { type: device_only }\nsweep: { replications: 3 }\n",
             base_yaml);
    sr_config *c2 = load_text(text);
    assert_int_equal(sr_config_point_count(c2), 3);
    assert_int_equal(sr_config_axis_count(c2), 0);
    assert_string_equal(sr_config_point(c2, 1)->params_json,
                        "{\"policy\": \"device_only\", \"replication\": 1}");
    c = load_text(text);
    for (int r = 0; r < 3; r++)
        assert_true(sr_config_point(c, r)->seed == sr_config_point(c2, r)->seed);
    sr_config_free(c);
    sr_config_free(c2);
}

/* sr_file_read_max, the reader of users' files: a file of max bytes is read, max + 1 refused (from its size,
 * before reading: a sparse file of 1 TiB takes no time and no memory), a device or FIFO refused without reading
 * (it would be read for ever, or block), each with its words. */
/* Paths written in an experiment, read beside it: no "./" added in front of what the user wrote. */
static void test_path_beside(void **state)
{
    (void)state;
    static const char *cases[][3] = {
        {".", "m.onnx", "m.onnx"},
        {".", "./m.onnx", "m.onnx"},
        {".", "././/m.onnx", "m.onnx"},
        {".", "../m.onnx", "../m.onnx"},
        {"exp", "m.onnx", "exp/m.onnx"},
        {"exp/", "./nets/m", "exp/nets/m"},
        {"/", "m.onnx", "/m.onnx"},
        {"/a/b", "/abs/m", "/abs/m"},
        {"a", "./", "a/./"},
        {"a//", ".hidden/x", "a/.hidden/x"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = sr_path_beside(cases[i][0], cases[i][1]);
        assert_non_null(p);
        assert_string_equal(p, cases[i][2]);
        free(p);
    }
}

static void test_file_read_max(void **state)
{
    (void)state;
    char path[512], fifo[512], why[200];
    snprintf(path, sizeof path, "%s/test_config_%d.max", SR_BINARY_DIR, (int)getpid());
    snprintf(fifo, sizeof fifo, "%s/test_config_%d.fifo", SR_BINARY_DIR, (int)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("0123456789", f);
    fclose(f);
    uint8_t *data = NULL;
    size_t n = 0;
    assert_int_equal(sr_file_read_max(path, 10, &data, &n), SR_OK);
    assert_int_equal(n, 10);
    assert_string_equal((char *)data, "0123456789"); /* NUL-terminated */
    free(data);
    data = NULL;
    assert_int_equal(sr_file_read_max(path, 9, &data, &n), SR_ERR_UNSUPPORTED);
    assert_int_equal(errno, EFBIG);
    assert_null(data);
    assert_string_equal(sr_file_read_why(SR_ERR_UNSUPPORTED, EFBIG, 9, "a test", why, sizeof why),
                        "larger than the 9 bytes simrun reads as a test");
    assert_string_equal(sr_file_read_why(SR_ERR_UNSUPPORTED, EFBIG, (size_t)64 << 20, "x", why, sizeof why),
                        "larger than the 64 MiB simrun reads as x");
    assert_int_equal(truncate(path, (off_t)1 << 40), 0);
    assert_int_equal(sr_file_read_max(path, (size_t)1 << 30, &data, &n), SR_ERR_UNSUPPORTED);
    unlink(path);
    assert_int_equal(sr_file_read_max("/dev/zero", 100, &data, &n), SR_ERR_INVALID);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(sr_file_read_max(fifo, 100, &data, &n), SR_ERR_INVALID);
    assert_string_equal(sr_file_read_why(SR_ERR_INVALID, EINVAL, 100, "a test", why, sizeof why),
                        "not a regular file (a device, FIFO or directory is not a test)");
    assert_int_equal(sr_file_read_max(SR_BINARY_DIR, 100, &data, &n), SR_ERR_INVALID);
    assert_int_equal(sr_file_read_max(path, 100, &data, &n), SR_ERR_IO); /* gone */
    assert_int_equal(errno, ENOENT);
    /* the experiment reader: a FIFO, /dev/zero and a (sparse) file over 64 MiB refused at once, saying why */
    struct {
        const char *path, *want;
    } cases[] = {
        {fifo, "error: cannot read: not a regular file (a device, FIFO or directory is not an experiment)"},
        {"/dev/zero", "/dev/zero: error: cannot read: not a regular file"},
        {path, "error: cannot read: larger than the 64 MiB simrun reads as an experiment"},
    };
    f = fopen(path, "wb");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(truncate(path, (off_t)SR_EXPERIMENT_MAX_BYTES + 1), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL;
        size_t len = 0;
        FILE *errf = open_memstream(&out, &len);
        sr_config *c = NULL;
        assert_int_not_equal(sr_config_load(cases[i].path, errf, &c), SR_OK);
        fclose(errf);
        assert_null(c);
        if (!strstr(out, cases[i].want)) fail_msg("%s: got %s", cases[i].path, out);
        free(out);
    }
    unlink(path);
    unlink(fifo);
}

/* A mapping of 300 000 keys with one repeated: the repeat is found (at its line, naming the first) in n log n.
 * Each key was compared with every key before it (n^2: a 200 000-key file took over two minutes to validate). */
static void test_many_keys(void **state)
{
    (void)state;
    const int n = 300000;
    size_t cap = (size_t)n * 16 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "name: many\nx-keys:\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "  k%07d: 1\n", i);
    len += (size_t)snprintf(text + len, cap - len, "  k0000005: 2\n");
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string("many.yaml", text, f, &c), SR_ERR_PARSE);
    fclose(f);
    assert_null(c);
    char want[128];
    snprintf(want, sizeof want, "many.yaml:%d:3: error: duplicate key 'k0000005' (first given at line 8)", n + 3);
    if (!strstr(out, want)) fail_msg("got: %.300s", out);
    free(out);
    free(text);
}

static void test_api_errors(void **state)
{
    (void)state;
    sr_config *c = (sr_config *)(void *)1;
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_int_equal(sr_config_load(SR_SOURCE_DIR "/tests/config/no-such-file.yaml", f, &c), SR_ERR_IO);
    fclose(f);
    assert_null(c);
    assert_non_null(strstr(out, "no-such-file.yaml: error: cannot open"));
    free(out);
    assert_int_equal(sr_config_load(NULL, NULL, &c), SR_ERR_INVALID);
    assert_int_equal(sr_config_load_string("x.yaml", NULL, NULL, &c), SR_ERR_INVALID);
    /* A syntax error and a semantic error in another file: both reported, nothing returned. */
    f = open_memstream(&out, &len);
    assert_int_equal(sr_config_load_string("t.yaml", "a: [1, 2\n", f, &c), SR_ERR_PARSE);
    fclose(f);
    assert_null(c);
    assert_int_equal(strncmp(out, "t.yaml:", 7), 0);
    free(out);
    sr_config_free(NULL);
    sr_experiment_free(NULL);
    assert_null(sr_config_point(NULL, 0));
    assert_int_equal(sr_config_point_count(NULL), 0);
    assert_string_equal(sr_device_class_name(SR_DEV_FPGA), "fpga");
    assert_string_equal(sr_link_type_name(SR_LINK_5G), "5g");
    assert_string_equal(sr_sharing_name(SR_SHARING_FATPIPE), "fatpipe");
    assert_string_equal(sr_net_model_name(SR_NET_LV08), "lv08");
    assert_string_equal(sr_arrival_name(SR_ARRIVAL_POISSON), "poisson");
    assert_non_null(sr_policy_find("split"));
    assert_null(sr_policy_find("nope"));
}

/* The shipped experiments must load (they are what users start from). */
/* A device takes the co-running interference its profile measured (fit section corun, sr_corun.h) unless the
 * experiment sets `interference`; without a measurement it stays 1. */
static void test_profile_interference(void **state)
{
    (void)state;
    const sr_profile *tx1 = sr_profile_find("jetson-tx1");
    assert_non_null(tx1);
    const sr_profile_fit *fit = NULL;
    sr_profile *loaded = NULL;
    assert_int_equal(sr_profile_get_fit(tx1, &fit, &loaded, NULL, 0), SR_OK);
    assert_non_null(fit);
    const double measured = fit->corun_interference;
    sr_profile_file_free(loaded);
    assert_true(measured >= 1.0 && measured < 3.0); /* shipped: a measurement of the calibrating host */
    char text[4096];
    snprintf(text, sizeof text,
             "platform:\n"
             "  devices:\n"
             "    - { name: cam, profile: jetson-tx1 }\n"
             "    - { name: cloud, profile: jetson-tx1, interference: 2.5 }\n"
             "    - { name: edge, class: edge, speed: 1Gf }\n"
             "  links:\n"
             "    - { name: wan, type: wan }\n"
             "  routes:\n"
             "    - { src: cloud, dst: cam, links: [wan] }\n"
             "    - { src: edge, dst: cam, links: [wan] }\n"
             "models:\n"
             "  - { name: m, source: resnet50 }\n"
             "workload:\n"
             "  sources:\n"
             "    - { name: s, devices: cam, model: m, fps: 2Hz, resolution: 640x480 }\n"
             "policy:\n"
             "  - { type: cloud_only, target: cloud }\n");
    sr_config *c = load_text(text);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    assert_true(e->devices[0].interference == measured);
    assert_true(e->devices[1].interference == 2.5);
    assert_true(e->devices[2].interference == 1.0);
    sr_experiment_free(e);
    sr_config_free(c);
}

/* A device takes the compute-after-idle curve its profile measured (fit section idle, sr_idle.h) unless the
 * experiment sets `idle_slowdown: false`; the shipped profiles have none. */
static void test_profile_idle(void **state)
{
    (void)state;
    char prof[] = "/tmp/sr-idle-profile-XXXXXX.yaml";
    int fd = mkstemps(prof, 5);
    assert_true(fd >= 0);
    const char *body = "name: idlehost\nclass: edge\nroofline: {speed_flops: 1e10, cores: 1, efficiency: 1, mem_bw_Bps: 1e10}\n"
                       "fit:\n  ref_flops: 1e10\n  ref_mem_bw_Bps: 1e10\n  idle:\n    model: mobilenetv2\n"
                       "    sigma: 0.08\n    gap_s: [0.01, 0.3]\n    factor: [1.05, 1.4]\n";
    assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    char text[4096];
    snprintf(text, sizeof text,
             "platform:\n"
             "  devices:\n"
             "    - { name: cam, profile: %s }\n"
             "    - { name: cloud, profile: %s, idle_slowdown: false, compute_jitter: false }\n"
             "    - { name: edge, profile: jetson-tx1 }\n"
             "  links:\n"
             "    - { name: wan, type: wan }\n"
             "  routes:\n"
             "    - { src: cloud, dst: cam, links: [wan] }\n"
             "    - { src: edge, dst: cam, links: [wan] }\n"
             "models:\n"
             "  - { name: m, source: resnet50 }\n"
             "workload:\n"
             "  sources:\n"
             "    - { name: s, devices: cam, model: m, fps: 2Hz, resolution: 640x480 }\n"
             "policy:\n"
             "  - { type: cloud_only, target: cloud }\n",
             prof, prof);
    sr_config *c = load_text(text);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    assert_int_equal(e->devices[0].idle_slowdown, 1);
    assert_int_equal(e->devices[0].idle_n, 2);
    assert_true(e->devices[0].idle_gap_s[0] == 0.01 && e->devices[0].idle_gap_s[1] == 0.3);
    assert_true(e->devices[0].idle_factor[0] == 1.05 && e->devices[0].idle_factor[1] == 1.4);
    assert_true(e->devices[0].compute_jitter == 1 && e->devices[0].jitter_sigma == 0.08);
    assert_true(e->devices[1].compute_jitter == 0 && e->devices[1].jitter_sigma == 0);
    assert_true(e->devices[2].jitter_sigma == 0);
    assert_int_equal(e->devices[1].idle_slowdown, 0);
    assert_int_equal(e->devices[1].idle_n, 0);
    assert_int_equal(e->devices[2].idle_n, 0);
    sr_experiment_free(e);
    sr_config_free(c);
    unlink(prof);
}

static void test_shipped_experiments(void **state)
{
    (void)state;
    sr_config *c = load_ok(SR_SOURCE_DIR "/experiments/quickstart.yaml");
    assert_true(sr_config_point_count(c) > 0);
    sr_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolved_values),
        cmocka_unit_test(test_sweep_points),
        cmocka_unit_test(test_policy_axis_and_defaults),
        cmocka_unit_test(test_swept_seed_and_single_policy),
        cmocka_unit_test(test_device_ranges),
        cmocka_unit_test(test_api_errors),
        cmocka_unit_test(test_shipped_experiments),
        cmocka_unit_test(test_file_read_max),
        cmocka_unit_test(test_path_beside),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_profile_interference),
        cmocka_unit_test(test_profile_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
