/* cmd_platform.c: `simrun platform EXPERIMENT.yaml -o platform.xml [--point N]`: the SimGrid platform that a
 * run point simulates, as the SimGrid 4.1 XML file the engine loads (sim/engine/sr_platform.h), to hand to
 * SimGrid or WRENCH; and `simrun platform --from-simgrid FILE.xml -o platform.yaml`, the other way
 * (sr_platform_import.h), in a child process: SimGrid initialises once per process and exits on a file it
 * cannot parse. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_config.h"
#include "sr_platform.h"
#include "sr_platform_import.h"

static void usage(FILE *f)
{
    fputs("usage: simrun platform EXPERIMENT.yaml -o PLATFORM.xml [--point N]\n"
          "       simrun platform --from-simgrid PLATFORM.xml -o PLATFORM.yaml\n\n"
          "Writes the SimGrid platform (XML, DTD 4.1) of run point N (default 0; the sweep can\n"
          "change it): one host per device instance (speed = cores x per-core speed, power states\n"
          "idle:busy), one link per link instance, the routes, and one Wifi zone per Wi-Fi cell.\n"
          "Load it with simgrid::s4u::Engine::load_platform() or hand it to WRENCH. `-o -` writes\n"
          "to standard output. The network model is a SimGrid option, not part of the file (simrun\n"
          "prints the --cfg flags of the experiment's); Wi-Fi stations' rates are set at run time\n"
          "(Link::set_host_wifi_rate) by the program that loads the platform.\n\n"
          "--from-simgrid: SimGrid reads the XML platform (any zones, clusters, routes) and its\n"
          "hosts, links and routes are written as an experiment's `platform:` section: a device per\n"
          "host (speed, cores, power from wattage_per_state, class from a `simrun_class` or `class`\n"
          "property, else edge), an ethernet link per link with its bandwidth and latency, a route\n"
          "per ordered pair of hosts. Wi-Fi cells are not recognised (they become shared links).\n\n"
          "Exit status: 0 written, 1 cannot write, 2 bad arguments, experiment or platform file.\n",
          f);
}

/* `--from-simgrid`: the conversion runs in a child (sr_platform_import_simgrid_text); exit 2 when SimGrid cannot
 * read the file, 1 when the output cannot be written. */
static int from_simgrid(const char *xml, const char *out)
{
    char *yaml = NULL, err[1024];
    sr_status st = sr_platform_import_simgrid_text(xml, &yaml, err, sizeof err);
    if (st != SR_OK) {
        fprintf(stderr, "simrun platform: %s\n", err);
        return 2;
    }
    FILE *f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    int bad = !f || fputs(yaml, f) == EOF;
    if (f) bad |= f == stdout ? fflush(f) != 0 : fclose(f) != 0;
    free(yaml);
    if (bad) {
        fprintf(stderr, "simrun platform: cannot write %s: %s\n", out, strerror(errno));
        if (strcmp(out, "-") != 0) remove(out);
        return 1;
    }
    return 0;
}

int sr_cmd_platform(int argc, char **argv)
{
    const char *exp_path = NULL, *out = NULL, *point = "0", *from = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--point") == 0 && i + 1 < argc)
            point = argv[++i];
        else if (strcmp(argv[i], "--from-simgrid") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (argv[i][0] != '-' && !exp_path)
            exp_path = argv[i];
        else {
            fprintf(stderr, "simrun platform: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (from && out && !exp_path) return from_simgrid(from, out);
    if (!exp_path || !out || from) {
        usage(stderr);
        return 2;
    }
    char *end = NULL;
    errno = 0;
    long idx = strtol(point, &end, 10);
    if (errno || end == point || *end || idx < 0) {
        fprintf(stderr, "simrun platform: --point %s: expected a point index (0, 1, ...)\n", point);
        return 2;
    }
    sr_config *c = NULL;
    if (sr_config_load(exp_path, stderr, &c) != SR_OK) return 2;
    int rc = 2;
    sr_experiment *e = NULL;
    sr_topology *t = NULL;
    FILE *f = NULL;
    char err[1024] = "";
    if (idx >= sr_config_point_count(c)) {
        fprintf(stderr, "simrun platform: %s has %d run points (0..%d)\n", exp_path, sr_config_point_count(c),
                sr_config_point_count(c) - 1);
        goto done;
    }
    if (sr_config_experiment(c, (int)idx, &e) != SR_OK ||
        sr_topology_build(e, &t, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun platform: %s\n", err[0] ? err : "cannot build the platform");
        goto done;
    }
    rc = 1;
    f = strcmp(out, "-") == 0 ? stdout : fopen(out, "w");
    if (!f) {
        fprintf(stderr, "simrun platform: cannot write %s: %s\n", out, strerror(errno));
        goto done;
    }
    sr_status st = sr_topology_write_xml(t, e, f);
    int bad = ferror(f);
    if (f != stdout) {
        bad |= fclose(f) != 0;
        if (st != SR_OK || bad) remove(out);
    } else {
        bad |= fflush(f) != 0;
    }
    f = NULL;
    if (st != SR_OK || bad) {
        fprintf(stderr, "simrun platform: cannot write %s\n", out);
        goto done;
    }
    if (strcmp(out, "-") != 0)
        fprintf(stderr, "platform of point %ld (%d hosts, %d links): %s\n", idx, sr_topology_host_count(t),
                sr_topology_link_count(t), out);
    if (e->net_model == SR_NET_CM02)
        fprintf(stderr,
                "network model cm02: run SimGrid with --cfg=network/model:CM02 --cfg=network/crosstraffic:0"
                " --cfg=network/TCP-gamma:0 for the same transfer times\n");
    rc = 0;
done:
    if (f && f != stdout) fclose(f);
    sr_topology_free(t);
    sr_experiment_free(e);
    sr_config_free(c);
    return rc;
}
