/* test_emulate_route.c: which platforms with shared links `simrun emulate` builds and which it refuses
 * (sr_emulate_check, sr_emulate_route.c), without root. Three cameras send their frames to one cloud
 * (cloud_only), each through its own link wifi<i> and then links the case names:
 * - all through `uplink` (shared by three pairs): accepted; through `uplink` then `wan` (a chain of two):
 *   accepted; `uplink` as a fatpipe (no contention: each pair keeps a link of its own): accepted;
 * - refused, the message naming the link: `uplink` with a bandwidth trace; routes that differ both ways;
 *   a link only one pair uses between two shared links; routes that cross different chains of shared links
 *   (`wan` alone for one camera, `uplink, wan` for the others); the cloud at the end of `uplink` for two
 *   cameras and behind `wan` for the third. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sr_config.h"
#include "sr_emulate.h"

static int failures;

/* Checks the point with extra links and the routes of cam1..cam3: SR_OK expected when want is NULL, else a
 * refusal whose message contains want. */
static void check(const char *what, const char *links, const char *routes, const char *want)
{
    char yaml[4096], err[1024] = "";
    snprintf(yaml, sizeof yaml,
             "name: route\n"
             "seed: 3\n"
             "duration: 1s\n"
             "network_model: cm02\n"
             "platform:\n"
             "  devices:\n"
             "    - { name: cam, range: 1-3, class: camera, profile: host }\n"
             "    - { name: cloud, class: cloud, profile: host }\n"
             "  links:\n"
             "    - { name: wifi1, type: ethernet, bandwidth: 50Mbps, latency: 1ms }\n"
             "    - { name: wifi2, type: ethernet, bandwidth: 50Mbps, latency: 1ms }\n"
             "    - { name: wifi3, type: ethernet, bandwidth: 50Mbps, latency: 1ms }\n"
             "%s"
             "  routes:\n"
             "%s"
             "models:\n"
             "  - { name: net, source: mobilenetv2, input: 3x64x64 }\n"
             "workload:\n"
             "  sources:\n"
             "    - { name: video, devices: cam, model: net, fps: 3, arrival: periodic, resolution: 64x64 }\n"
             "policy:\n"
             "  - { type: cloud_only, target: cloud }\n",
             links, routes);
    sr_config *c = NULL;
    sr_experiment *e = NULL;
    sr_status st = sr_config_load_string("route.yaml", yaml, stdout, &c);
    if (st == SR_OK) st = sr_config_experiment(c, 0, &e);
    if (st != SR_OK) {
        printf("FAIL %s: the experiment does not load (%s)\n", what, sr_status_message(st));
        failures++;
        sr_config_free(c);
        return;
    }
    sr_emulate_opts o = {.frames = 2};
    st = sr_emulate_check(e, sr_config_point(c, 0)->seed, &o, err, sizeof err);
    printf("%s: %s%s%s\n", what, sr_status_message(st), err[0] ? ": " : "", err);
    if (!want && st != SR_OK) {
        printf("FAIL %s: refused, expected to be emulated\n", what);
        failures++;
    } else if (want && (st != SR_ERR_UNSUPPORTED || !strstr(err, want))) {
        printf("FAIL %s: expected a refusal saying \"%s\"\n", what, want);
        failures++;
    }
    sr_experiment_free(e);
    sr_config_free(c);
}

#define UPLINK "    - { name: uplink, type: ethernet, bandwidth: 5Mbps, latency: 20ms }\n"
#define WAN "    - { name: wan, type: wan, bandwidth: 20Mbps, latency: 10ms }\n"
#define ROUTE(i, links) "    - { src: cam" #i ", dst: cloud, links: [" links "] }\n"

int main(void)
{
    char dir[] = "/tmp/simrun-route-XXXXXX";
    if (!mkdtemp(dir) || chdir(dir) != 0) return 1;
    FILE *f = fopen("bw.csv", "w");
    if (!f) return 1;
    fputs("time,bandwidth\n0, 5e6\n0.5, 2e6\n", f);
    fclose(f);

    check("one shared uplink", UPLINK,
          ROUTE(1, "wifi1, uplink") ROUTE(2, "wifi2, uplink") ROUTE(3, "wifi3, uplink"), NULL);
    check("a shared chain of two", UPLINK WAN,
          ROUTE(1, "wifi1, uplink, wan") ROUTE(2, "wifi2, uplink, wan") ROUTE(3, "wifi3, uplink, wan"), NULL);
    check("a fatpipe uplink",
          "    - { name: uplink, type: wan, bandwidth: 5Mbps, latency: 20ms, sharing: fatpipe }\n",
          ROUTE(1, "wifi1, uplink") ROUTE(2, "wifi2, uplink") ROUTE(3, "wifi3, uplink"), NULL);
    check(
        "a traced shared uplink",
        "    - { name: uplink, type: ethernet, bandwidth: 5Mbps, latency: 20ms, bandwidth_trace: bw.csv }\n",
        ROUTE(1, "wifi1, uplink") ROUTE(2, "wifi2, uplink") ROUTE(3, "wifi3, uplink"),
        "link 'uplink' has a bandwidth trace");
    check("routes that differ both ways",
          UPLINK "    - { name: down, type: ethernet, bandwidth: 5Mbps, latency: 20ms }\n",
          "    - { src: cam1, dst: cloud, links: [wifi1, uplink], symmetric: false }\n"
          "    - { src: cloud, dst: cam1, links: [down, wifi1], symmetric: false }\n" ROUTE(
              2, "wifi2, uplink") ROUTE(3, "wifi3, uplink"),
          "are not the same links both ways");
    check("a private link inside the chain",
          UPLINK WAN "    - { name: lan1, type: ethernet, bandwidth: 100Mbps, latency: 1ms }\n"
                     "    - { name: lan2, type: ethernet, bandwidth: 100Mbps, latency: 1ms }\n",
          ROUTE(1, "wifi1, uplink, lan1, wan") ROUTE(2, "wifi2, uplink, lan2, wan")
              ROUTE(3, "wifi3, uplink, wan"),
          "link 'lan1' lies between the shared links 'uplink' and 'wan'");
    check("different chains", UPLINK WAN,
          ROUTE(1, "wifi1, uplink, wan") ROUTE(2, "wifi2, uplink, wan") ROUTE(3, "wifi3, wan"),
          "cross different chains of shared links");
    check("the cloud at the chain's end and behind a link", UPLINK WAN,
          ROUTE(1, "wifi1, uplink") ROUTE(2, "wifi2, uplink") ROUTE(3, "wifi3, uplink, wan"),
          "'cloud' sits at one end of the shared link 'uplink' for some routes and behind link 'wan'");
    unlink("bw.csv");
    if (chdir("/") != 0 || rmdir(dir) != 0) return 1;
    return failures ? 1 : 0;
}
