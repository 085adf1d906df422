/* bench_engine.c: what the engine costs per simulated frame, measured against an anchor in the same run.
 *
 * Flow aggregation is off in every experiment here (sr_sg_pool.hpp would otherwise solve the access links
 * itself), so that the engine and the anchor hand SimGrid the same flows.
 *
 * Workload: N cameras, each with its own access link to a cloud GPU behind a fat-pipe backhaul, sending
 * frames periodically (cloud_only), so that no link is shared and SimGrid's solver stays linear; the cloud
 * GPU is far from saturated (N x 2 fps of MobileNetV2 on a V100), so queues stay short.
 * - engine: simrun's sr_engine_run on that experiment (plans, queues, per-frame records, energy, stats);
 * - anchor: a bare SimGrid program on the same generated platform: one actor per camera that sleeps until
 *   each capture time, moves the frame with sg_host_sendto and releases a semaphore (the cloud's queue), and
 *   one cloud actor that acquires it and executes the same flops per frame, in arrival order. (A first
 *   anchor handed frames over through a mailbox with a permanent receiver: under overload SimGrid's
 *   mailbox removal is linear in the queued comms, and that anchor took minutes; the semaphore is O(1).)
 * Each runs in its own forked process (SimGrid runs once per process). Printed: wall seconds of both, their
 * ratio (engine / anchor), simulated frames per wall second, and the peak RSS of each process per device.
 *
 * Rows: 100, 1000, 3000 and 10000 cameras at 2 fps, then an overload row: 3000 cameras at 10 fps, 30 000
 * frames/s for a cloud that serves fewer, so frames pile up in its queue (unbounded) until the end; the first
 * engine (one actor per task of every in-flight frame) aborted there above ~32k actors.
 *
 * Scale table (--scale N, e.g. --scale 100000; not part of the default rows: minutes per process): a city of
 * N cameras x 1 fps x 60 s, each with its own LTE link (per_device) to a shared backhaul and one cloud, in
 * one process. It checks that memory grows linearly with the devices (the platform used to be one Full
 * routing zone whose table is N x N: 100 000 cameras were killed at 24 GiB) and prints the peak RSS
 * (getrusage ru_maxrss) of each process, KiB per device and frames per wall second. The load stays far from
 * every capacity (1 KiB frames at 1 fps: 8 kb/s on each 20 Mb/s LTE link, 0.82 Gb/s for 100 000 cameras on
 * the 10 Gb/s backhaul; a 1 Pflop/s cloud) because the engine sends every frame as its own concurrent flow; flow
 * aggregation is off so that the engine and the anchor solve the same flows in SimGrid. The anchor runs one
 * actor per camera, so it sets small actor stacks without guard pages (contexts/stack-size,
 * contexts/guard-size: a guarded stack takes two memory mappings and the kernel's default limit is 65 530).
 *
 * usage: bench_engine [--quick] [--cameras N] [--fps F] [--scale N] */
#include <math.h>
#include <simgrid/actor.h>
#include <simgrid/engine.h>
#include <simgrid/exec.h>
#include <simgrid/host.h>
#include <simgrid/semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xbt/config.h>
#include <xbt/log.h>

#include "arrival.h"
#include "sr_config.h"
#include "sr_cost.h"
#include "sr_engine.h"
#include "sr_platform.h"
#include "sr_policy.h"
#include "sr_zoo.h"

#define DURATION_S 10.0

/* set per row before the children fork */
static double g_fps = 2.0; /* frames per second per camera */
static double g_duration_s = DURATION_S;
static int g_scale; /* 1: the scale experiment (city behind a shared backhaul) */

typedef struct bench_result {
    double wall_s;
    long frames;
    long max_rss_kib;
    int ok;
} bench_result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define SCALE_FRAME_BYTES 1024.0

static char *experiment_yaml(int n)
{
    static char text[4096];
    if (g_scale) {
        snprintf(
            text, sizeof text,
            "name: bench-scale\nseed: 1\nduration: %gs\nnetwork_model: cm02\nflow_aggregation: off\n"
            "platform:\n  devices:\n"
            "    - { name: cam, count: %d, class: camera, profile: camera-soc }\n"
            "    - { name: cloud, class: cloud, speed: 1Pf, cores: 1 }\n"
            "  links:\n"
            "    - { name: lte, type: lte, bandwidth: 20Mbps, latency: 15ms, per_device: cam }\n"
            "    - { name: backhaul, type: ethernet, bandwidth: 10Gbps, latency: 2ms }\n"
            "  routes:\n    - { src: cam, dst: cloud, links: [lte, backhaul] }\n"
            "models:\n  - { name: net, source: mobilenetv2 }\n"
            "workload:\n  sources:\n"
            "    - { name: v, devices: cam, model: net, fps: %g, arrival: periodic, resolution: 224x224 }\n"
            "policy: { type: cloud_only, target: cloud, frame_size: %gB }\n"
            "metrics: { frames: false, links: false, hosts: false }\n",
            g_duration_s, n, g_fps, SCALE_FRAME_BYTES);
        return text;
    }
    snprintf(text, sizeof text,
             "name: bench-engine\nseed: 1\nduration: %gs\nnetwork_model: cm02\nflow_aggregation: off\n"
             "platform:\n  devices:\n"
             "    - { name: cam, count: %d, class: camera, profile: camera-soc }\n"
             "    - { name: cloud, class: cloud, profile: v100 }\n"
             "  links:\n"
             "    - { name: up, type: ethernet, bandwidth: 100Mbps, latency: 1ms, per_device: cam }\n"
             "    - { name: wan, type: wan, bandwidth: 100Gbps, sharing: fatpipe }\n"
             "  routes:\n    - { src: cam, dst: cloud, links: [up, wan] }\n"
             "models:\n  - { name: net, source: mobilenetv2 }\n"
             "workload:\n  sources:\n"
             "    - { name: v, devices: cam, model: net, fps: %g, arrival: periodic, resolution: 224x224 }\n"
             "policy: { type: cloud_only, target: cloud, frame_size: 20KiB }\n"
             "metrics: { frames: true }\n",
             DURATION_S, n, g_fps);
    return text;
}

static sr_experiment *load_experiment(int n)
{
    sr_config *c = NULL;
    if (sr_config_load_string("bench-engine.yaml", experiment_yaml(n), stderr, &c) != SR_OK) return NULL;
    sr_experiment *e = NULL;
    sr_config_experiment(c, 0, &e);
    sr_config_free(c);
    return e;
}

/* ---- the anchor: bare SimGrid ---- */

static double g_frame_bytes, g_cloud_flops;
static int g_frames_per_cam;
static long g_done, g_expected;
static sg_host_t g_cloud;
static sg_sem_t g_queue; /* frames arrived at the cloud and not yet taken */

static void anchor_camera(int argc, char **argv)
{
    (void)argc;
    int i = atoi(argv[1]);
    sg_host_t self = sg_host_self();
    double phase = sr_arrival_phase(i, g_fps);
    for (int k = 0; k < g_frames_per_cam; k++) {
        double t = phase + k / g_fps;
        if (t >= g_duration_s) break;
        double wait = t - simgrid_get_clock();
        if (wait > 0) sg_actor_sleep_for(wait);
        sg_host_sendto(self, g_cloud, g_frame_bytes);
        sg_sem_release(g_queue); /* hand the frame to the cloud's queue */
    }
}

static void anchor_cloud(int argc, char **argv)
{
    (void)argc, (void)argv;
    while (g_done < g_expected) {
        sg_sem_acquire(g_queue);
        sg_actor_execute(g_cloud_flops);
        g_done++;
    }
}

static int run_anchor(const sr_experiment *e, bench_result *r)
{
    sr_topology *topo = NULL;
    char err[512];
    if (sr_topology_build(e, &topo, err, sizeof err) != SR_OK) {
        fprintf(stderr, "anchor: %s\n", err);
        return 1;
    }
    char path[] = "/tmp/bench-engine-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    sr_topology_write_xml(topo, e, f);
    fclose(f);

    const sr_device_spec *cloud = sr_experiment_device(e, "cloud");
    const sr_device_spec *cam = sr_experiment_device(e, "cam");
    sr_graph *g = NULL;
    sr_zoo_build("mobilenetv2", 0, 0, 0, &g);
    sr_cost_model *cost = NULL;
    sr_cost_roofline_create(&cost);
    sr_cost_device dev = sr_policy_cost_device(cloud);
    double seconds = 0;
    sr_cost_layers(cost, &dev, g, 0, sr_graph_node_count(g) - 1, SR_PREC_FP32, 1, &seconds);
    g_cloud_flops = seconds * cloud->speed_flops * cloud->cores;
    g_frame_bytes = g_scale ? SCALE_FRAME_BYTES : 20 * 1024;
    g_frames_per_cam = (int)ceil(g_duration_s * g_fps);

    int argc = g_scale ? 6 : 4;
    char *argv[] = {"bench",
                    "--cfg=network/model:CM02",
                    "--cfg=network/crosstraffic:0",
                    "--cfg=network/TCP-gamma:0",
                    "--cfg=contexts/stack-size:64",
                    "--cfg=contexts/guard-size:0",
                    NULL};
    if (!g_scale) argv[4] = NULL;
    xbt_log_control_set("root.thres:critical");
    simgrid_init(&argc, argv);
    simgrid_load_platform(path);
    unlink(path);
    g_cloud = sg_host_by_name(cloud->instances[0]);
    g_queue = sg_sem_init(0);
    g_expected = 0;
    for (int i = 0; i < cam->count; i++)
        for (int k = 0; k < g_frames_per_cam; k++)
            if (sr_arrival_phase(i, g_fps) + k / g_fps < g_duration_s) g_expected++;
    double t0 = now_s();
    sg_actor_create("cloud", g_cloud, anchor_cloud, 0, NULL);
    for (int i = 0; i < cam->count; i++) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", i);
        char *args[] = {"camera", idx, NULL};
        sg_actor_create(cam->instances[i], sg_host_by_name(cam->instances[i]), anchor_camera, 2, args);
    }
    simgrid_run();
    r->wall_s = now_s() - t0;
    r->frames = g_done;
    sr_cost_model_free(cost);
    sr_graph_free(g);
    sr_topology_free(topo);
    return 0;
}

static int run_engine(const sr_experiment *e, bench_result *r)
{
    sr_run_output out;
    sr_run_output_init(&out);
    char err[512] = "";
    double t0 = now_s();
    sr_status st = sr_engine_run(e, 1, &out, err, sizeof err);
    r->wall_s = now_s() - t0;
    r->frames = (long)out.n_frames;
    if (st != SR_OK) fprintf(stderr, "engine: %s\n", err);
    sr_run_output_clear(&out);
    return st == SR_OK ? 0 : 1;
}

/* Runs fn in a child and brings back its result and peak RSS. */
static bench_result in_child(int (*fn)(const sr_experiment *, bench_result *), int n)
{
    bench_result r = {0};
    int pipefd[2];
    if (pipe(pipefd) != 0) return r;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        sr_experiment *e = load_experiment(n);
        bench_result cr = {0};
        cr.ok = e && fn(e, &cr) == 0;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        cr.max_rss_kib = ru.ru_maxrss;
        if (write(pipefd[1], &cr, sizeof cr) != (ssize_t)sizeof cr) _exit(1);
        _exit(0);
    }
    close(pipefd[1]);
    if (read(pipefd[0], &r, sizeof r) != (ssize_t)sizeof r) r.ok = 0;
    close(pipefd[0]);
    int ws;
    waitpid(pid, &ws, 0);
    return r;
}

/* One row: both children, then the line of the table. */
static void run_row(int n)
{
    bench_result a = in_child(run_anchor, n);
    bench_result b = in_child(run_engine, n);
    if (!a.ok || !b.ok) {
        printf("%8d %5g  failed (engine ok=%d, anchor ok=%d)\n", n, g_fps, b.ok, a.ok);
        return;
    }
    if (g_scale)
        printf("%8d %9ld %10.3f %10.3f %8.2f %12.0f %11.0f %11.0f %8.1f %8.1f %8.2f\n", n, b.frames, b.wall_s,
               a.wall_s, b.wall_s / a.wall_s, (double)b.frames / b.wall_s, b.max_rss_kib / 1024.0,
               a.max_rss_kib / 1024.0, (double)b.max_rss_kib / n, (double)a.max_rss_kib / n,
               (double)b.max_rss_kib / (double)a.max_rss_kib);
    else
        printf("%8d %5g %9ld %10.3f %10.3f %8.2f %12.0f %13.1f %13.1f\n", n, g_fps, b.frames, b.wall_s,
               a.wall_s, b.wall_s / a.wall_s, (double)b.frames / b.wall_s, (double)b.max_rss_kib / n,
               (double)a.max_rss_kib / n);
    if (a.frames != b.frames) printf("         (anchor completed %ld frames)\n", a.frames);
    fflush(stdout);
}

static void scale_header(void)
{
    printf(
        "\nscale: N cameras x 1 fps x 60 s, one LTE link each (per_device) + shared 10 Gbps backhaul + one "
        "cloud, 1 KiB frames\n");
    printf("%8s %9s %10s %10s %8s %12s %11s %11s %8s %8s %8s\n", "cameras", "frames", "engine s", "anchor s",
           "ratio", "frames/s", "engine MiB", "anchor MiB", "eng KiB", "anc KiB", "RSS rat");
}

int main(int argc, char **argv)
{
    int sizes[6] = {100, 1000, 3000, 10000, 3000, 0};
    double rates[6] = {2, 2, 2, 2, 10, 0};
    int scale_n = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            sizes[1] = 0;
        } else if (strcmp(argv[i], "--cameras") == 0 && i + 1 < argc) {
            sizes[0] = atoi(argv[++i]);
            sizes[1] = 0;
        } else if (strcmp(argv[i], "--fps") == 0 && i + 1 < argc) {
            rates[0] = atof(argv[++i]);
        } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale_n = atoi(argv[++i]);
            if (scale_n <= 0) {
                fprintf(stderr, "bench_engine: --scale needs a positive camera count\n");
                return 2;
            }
            sizes[0] = 0;
        } else {
            fprintf(stderr, "usage: bench_engine [--quick] [--cameras N] [--fps F] [--scale N]\n");
            return 2;
        }
    }
    if (scale_n == 0 && (!(sizes[0] > 0) || !(rates[0] > 0) || !isfinite(rates[0]))) {
        fprintf(stderr, "bench_engine: --cameras and --fps must be positive\n");
        return 2;
    }
    if (sizes[0] > 0) {
        printf("engine vs bare SimGrid: N cameras x F fps x %g s, cloud_only over private access links\n",
               DURATION_S);
        printf("%8s %5s %9s %10s %10s %8s %12s %13s %13s\n", "cameras", "fps", "frames", "engine s",
               "anchor s", "ratio", "frames/s", "engine KiB/dev", "anchor KiB/dev");
    }
    for (int k = 0; sizes[k] > 0; k++) {
        g_fps = rates[k];
        run_row(sizes[k]);
    }
    if (scale_n > 0) {
        g_scale = 1;
        g_fps = 1.0;
        g_duration_s = 60.0;
        scale_header();
        run_row(scale_n);
    }
    return 0;
}
