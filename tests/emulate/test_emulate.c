/* test_emulate.c: a small emulation end to end (sim/emulate/sr_emulate.h), against the simulation of the same
 * point. Two devices (a camera and a server, profile host), one 5 Mbit/s link with 20 ms, MobileNetV2 at
 * 64x64 split after features.13.add with an int8 activation, six periodic frames at 3 fps:
 * - every frame completes, at the capture times the engine simulates (exactly: the same arrival stream);
 * - each frame runs the plan's three tasks (head, activation, tail) and the activation transfer carries the
 *   plan's bytes (the engine's, exactly: 96 x 4 x 4 int8 elements);
 * - each transfer takes at least its closed form 20 ms + 8 x bytes / 5 Mbit/s, and less than that plus 0.3 s
 *   (slow start of a 1.5 kB message is one window; the rest is scheduling on a shared machine);
 * - nothing is left behind: no namespace named after this process;
 * - a testbed whose creator dies without tearing it down (SIGKILL) is removed by its guardian.
 * Needs root: without it the test is skipped (exit 77) and says why. */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sr_config.h"
#include "sr_emulate.h"
#include "sr_engine.h"
#include "emu_test_net.h"
#include "sr_testbed.h"

static const char *k_yaml =
    "name: emu-small\n"
    "seed: 5\n"
    "duration: 2s\n"
    "network_model: cm02\n"
    "platform:\n"
    "  devices:\n"
    "    - { name: cam, class: camera, profile: host }\n"
    "    - { name: server, class: edge, profile: host }\n"
    "  links:\n"
    "    - { name: uplink, type: ethernet, bandwidth: 5Mbps, latency: 20ms }\n"
    "  routes:\n"
    "    - { src: cam, dst: server, links: [uplink] }\n"
    "models:\n"
    "  - { name: net, source: mobilenetv2, input: 3x64x64 }\n"
    "workload:\n"
    "  sources:\n"
    "    - { name: video, devices: cam, model: net, fps: 3, arrival: periodic, resolution: 64x64 }\n"
    "policy:\n"
    "  - { type: split, target: server, split_at: features.13.add, activation_precision: int8 }\n"
    "metrics: { frames: true, links: true, hosts: true, warmup: 0s }\n";

static int failures;


/* Namespaces whose name starts with simrun-<pid>-. */
static int namespaces_of(long pid)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "simrun-%ld-", pid);
    DIR *d = opendir("/run/netns");
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    if (d) closedir(d);
    return n;
}

static void test_run(void)
{
    sr_config *c = NULL;
    if (sr_config_load_string("emu-small.yaml", k_yaml, stderr, &c) != SR_OK) {
        CHECK(0, "the experiment does not load");
        return;
    }
    sr_experiment *e = NULL;
    CHECK(sr_config_experiment(c, 0, &e) == SR_OK, "point 0");
    uint64_t seed = sr_config_point(c, 0)->seed;
    char err[1024] = "";
    sr_run_output sim, emu;
    sr_run_output_init(&sim);
    sr_run_output_init(&emu);
    CHECK(sr_engine_run(e, seed, &sim, err, sizeof err) == SR_OK, "simulation: %s", err);
    sr_emulate_opts o = {.log = stdout};
    sr_status st = sr_emulate_run(e, seed, &o, &emu, err, sizeof err);
    CHECK(st == SR_OK, "emulation: %s", err);
    CHECK(namespaces_of((long)getpid()) == 0, "namespaces left behind");
    CHECK(emu.n_frames == 6 && sim.n_frames == 6, "6 frames each (emulated %zu, simulated %zu)", emu.n_frames,
          sim.n_frames);
    for (size_t i = 0; i < emu.n_frames && i < sim.n_frames; i++) {
        const sr_frame_record *a = &emu.frames[i], *b = &sim.frames[i];
        CHECK(a->frame == b->frame && a->capture_s == b->capture_s,
              "frame %zu captured at %.9f, simulated %.9f", i, a->capture_s, b->capture_s);
        CHECK(!a->dropped && a->latency_s > 0, "frame %zu completed", i);
        CHECK(a->bytes_sent == b->bytes_sent && a->bytes_sent == 96 * 4 * 4,
              "frame %zu sent %lld bytes (simulated %lld)", i, (long long)a->bytes_sent,
              (long long)b->bytes_sent);
    }
    CHECK(emu.n_tasks == 18, "18 task records (%zu)", emu.n_tasks);
    int transfers = 0;
    for (size_t i = 0; i < emu.n_tasks; i++) {
        const sr_task_record *t = &emu.tasks[i];
        CHECK(t->start_s >= t->ready_s && t->end_s >= t->start_s, "task %d of frame %lld ordered", t->task,
              (long long)t->frame);
        if (strcmp(t->kind, "transfer") != 0) continue;
        transfers++;
        double closed = 0.020 + 8.0 * (double)t->bytes / 5e6, took = t->end_s - t->start_s;
        printf("frame %lld: %lld bytes in %.1f ms (closed form %.1f ms)\n", (long long)t->frame,
               (long long)t->bytes, took * 1e3, closed * 1e3);
        CHECK(took >= closed - 1e-4 && took < closed + 0.3,
              "transfer of frame %lld took %.4f s, closed form %.4f s", (long long)t->frame, took, closed);
        CHECK(strcmp(t->device, "cam") == 0 && strcmp(t->dst, "server") == 0, "transfer from cam to server");
    }
    CHECK(transfers == 6, "6 transfers (%d)", transfers);
    double done = 0;
    CHECK(sr_run_output_metric(&emu, "frames_completed", &done) == SR_OK && done == 6,
          "frames_completed = 6");
    sr_run_output_clear(&sim);
    sr_run_output_clear(&emu);
    sr_experiment_free(e);
    sr_config_free(c);
}

static void test_guardian(void)
{
    int p[2];
    if (pipe(p) != 0) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sr_tb_link l = {.a = 0, .b = 1, .bw_ab_bps = 1e6, .bw_ba_bps = 1e6, .delay_ab_s = 0.01, .delay_ba_s = 0.01,
                        .n_flows = 1};
        sr_testbed *tb = NULL;
        char err[512];
        char ok = sr_testbed_create(2, NULL, &l, 1, NULL, &tb, err, sizeof err) == SR_OK ? 'y' : 'n';
        if (write(p[1], &ok, 1) != 1) _exit(1);
        pause(); /* killed here, without teardown */
        _exit(0);
    }
    char ok = 'n';
    if (read(p[0], &ok, 1) != 1) ok = 'n';
    CHECK(ok == 'y', "testbed in a child");
    CHECK(namespaces_of((long)pid) == 2, "the child's two namespaces exist");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    int left = 2;
    for (int i = 0; i < 100 && left; i++) {
        usleep(50000);
        left = namespaces_of((long)pid);
    }
    CHECK(left == 0, "the guardian removed the namespaces of a killed creator (%d left)", left);
    close(p[0]);
    close(p[1]);
}

int main(void)
{
    if (!emu_test_testbed_ready()) return 77;
    test_run();
    test_guardian();
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
