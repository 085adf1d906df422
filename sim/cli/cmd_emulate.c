/* cmd_emulate.c: `simrun emulate EXP.yaml [--point K] [--frames N] [--db PATH] [--host-profile P]`: run
 * points of an experiment for real on an emulated testbed (sim/emulate/sr_emulate.h) and store them beside
 * the simulated ones: same database, same tables, parameters with "mode": "emulated" added (so the point has
 * its own hash and the simulated run of the same point stays), runs.net_model = 'emulated'.
 *
 * Exit codes: 0 every point ran, 1 a point failed or could not be written, 2 bad arguments or input, or this
 * machine cannot emulate (not root, a missing kernel feature: the message says which). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sr_cmd.h"
#include "sr_config.h"
#include "sr_emulate.h"
#include "sr_profile.h"
#include "sr_results.h"
#include "sr_testbed.h"

static void usage(FILE *f)
{
    fputs(
        "usage: simrun emulate EXPERIMENT.yaml [--point K] [--frames N] [--db PATH] [--host-profile P]\n"
        "                      [--cold-tcp]\n\n"
        "Runs run point K (default: every point) for real: each device in its own network namespace with a\n"
        "CPU quota (its plans' compute priced by this host's profile P over the same compute as the\n"
        "simulation prices it on the device; P: default 'host', calibration/profiles/host.yaml, or a\n"
        "file written by `simrun calibrate`), each device pair\n"
        "joined by a link shaped to its route's bandwidth and latency (tbf + a user-space delay line), the\n"
        "plan's layer ranges on the real kernels, codecs for real, activations over TCP, frames from the\n"
        "synthetic video at the source's arrival times. N: frames per source (default: those the "
        "experiment's\n"
        "duration holds). Results go to the experiment's database (or PATH) as runs whose parameters carry\n"
        "\"mode\": \"emulated\"; `simrun compare DB` sets them beside the simulated runs.\n"
        "TCP runs warm by default (cubic, initial window 64 segments, no slow start after idle: the flow\n"
        "model has no slow start); --cold-tcp keeps Linux's window defaults (10 segments, restart after idle).\n"
        "Needs root (namespaces, TUN devices, tc, cgroups). Ctrl-C stops and tears everything down.\n\n"
        "Exit status: 0 done, 1 a point failed, 2 bad arguments or input, or this machine cannot emulate.\n",
        f);
}

static volatile sig_atomic_t g_signalled;

static void on_signal(int sig)
{
    (void)sig;
    g_signalled = 1;
    sr_emulate_stop();
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* The point's parameters with "mode": "emulated" appended, and their 16-hex-digit FNV-1a hash (as the config
 * hashes a point's parameters). Caller frees *json. */
static int emulated_params(const char *params, char **json, char hash[17])
{
    size_t n = strlen(params);
    while (n > 0 && params[n - 1] != '}')
        n--;
    if (n == 0) return -1;
    const char *tail = "\"mode\": \"emulated\"}";
    int empty = 1;
    for (size_t i = 1; i + 1 < n; i++)
        if (params[i] != ' ') empty = 0;
    *json = malloc(n + strlen(tail) + 4);
    if (!*json) return -1;
    memcpy(*json, params, n - 1);
    sprintf(*json + n - 1, "%s%s", empty ? "" : ", ", tail);
    uint64_t h = UINT64_C(1469598103934665603);
    for (const char *p = *json; *p; p++) {
        h ^= (unsigned char)*p;
        h *= UINT64_C(1099511628211);
    }
    snprintf(hash, 17, "%016llx", (unsigned long long)h);
    return 0;
}

static const char *metric_or(const sr_run_output *o, const char *name, char *buf, size_t size)
{
    double v;
    if (sr_run_output_metric(o, name, &v) != SR_OK || v != v) return "-";
    snprintf(buf, size, "%.1f ms", v * 1e3);
    return buf;
}

int sr_cmd_emulate(int argc, char **argv)
{
    const char *exp_path = NULL, *db_path = NULL, *host_profile = "host";
    long point = -1, frames = 0;
    int cold_tcp = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--point") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 0, 1000000000, &point) != 0) {
                fprintf(stderr, "simrun emulate: --point %s: expected a point index (0, 1, ...)\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) {
            if (parse_int(argv[++i], 1, 400, &frames) != 0) {
                fprintf(stderr, "simrun emulate: --frames %s: expected 1..400 frames per source\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db_path = argv[++i];
        } else if (strcmp(argv[i], "--cold-tcp") == 0) {
            cold_tcp = 1;
        } else if (strcmp(argv[i], "--host-profile") == 0 && i + 1 < argc) {
            host_profile = argv[++i];
        } else if (argv[i][0] != '-' && !exp_path) {
            exp_path = argv[i];
        } else {
            fprintf(stderr, "simrun emulate: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!exp_path) {
        usage(stderr);
        return 2;
    }
    char err[1024] = "";
    if (sr_testbed_check(err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun emulate: cannot emulate on this machine: %s\n", err);
        return 2;
    }
    int stale = sr_testbed_cleanup_stale();
    if (stale) fprintf(stderr, "simrun emulate: removed %d namespaces left by an earlier run\n", stale);
    const sr_profile *hp = sr_profile_find_err(host_profile, err, sizeof err);
    if (!hp) {
        fprintf(stderr, "simrun emulate: --host-profile %s: %s\n", host_profile,
                err[0] ? err : "unknown profile");
        return 2;
    }
    sr_config *c = NULL;
    if (sr_config_load(exp_path, stderr, &c) != SR_OK) return 2;
    int n_points = sr_config_point_count(c), rc = 0;
    if (point >= n_points) {
        fprintf(stderr, "simrun emulate: %s has %d run points (0..%d)\n", exp_path, n_points, n_points - 1);
        sr_config_free(c);
        return 2;
    }
    sr_results *db = NULL;
    sr_experiment *e0 = NULL;
    int64_t exp_id = 0;
    sr_emulate_opts o = {.frames = (int)frames, .host_profile = hp, .log = stderr, .cold_tcp = cold_tcp};
    /* every point first, so that nothing is recorded for an experiment it cannot emulate */
    for (int k = point >= 0 ? (int)point : 0; k < (point >= 0 ? point + 1 : n_points); k++) {
        sr_experiment *e = NULL;
        if (sr_config_experiment(c, k, &e) != SR_OK) {
            sr_config_free(c);
            return 2;
        }
        sr_status st = sr_emulate_check(e, sr_config_point(c, k)->seed, &o, err, sizeof err);
        sr_experiment_free(e);
        if (st != SR_OK) {
            fprintf(stderr, "simrun emulate: point %d: %s\n", k, err[0] ? err : sr_status_message(st));
            sr_config_free(c);
            return st == SR_ERR_UNSUPPORTED || st == SR_ERR_RANGE ? 2 : 1;
        }
    }
    if (sr_config_experiment(c, 0, &e0) != SR_OK) {
        sr_config_free(c);
        return 2;
    }
    if (!db_path) db_path = e0->output_db;
    if (!db_path) {
        fprintf(stderr, "simrun emulate: %s names no output database; give --db PATH\n", exp_path);
        rc = 2;
        goto done;
    }
    if (sr_results_open(db_path, &db, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun emulate: %s\n", err);
        rc = 2;
        goto done;
    }
    if (sr_results_experiment(db, sr_config_name(c), sr_config_text(c), sr_config_hash(c), &exp_id) !=
        SR_OK) {
        fprintf(stderr, "simrun emulate: %s: %s\n", db_path, sr_results_errmsg(db));
        rc = 1;
        goto done;
    }
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    for (int k = point >= 0 ? (int)point : 0; k < (point >= 0 ? point + 1 : n_points) && !g_signalled; k++) {
        const sr_point *pt = sr_config_point(c, k);
        sr_experiment *e = NULL;
        if (sr_config_experiment(c, k, &e) != SR_OK) {
            rc = 2;
            break;
        }
        fprintf(stderr, "emulate: point %d %s\n", k, pt->params_json);
        sr_run_output out;
        sr_run_output_init(&out);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        err[0] = '\0';
        sr_status st = sr_emulate_run(e, pt->seed, &o, &out, err, sizeof err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        sr_experiment_free(e);
        if (g_signalled) {
            fprintf(stderr, "simrun emulate: stopped; point %d is not recorded, the testbed is torn down\n",
                    k);
            sr_run_output_clear(&out);
            rc = 1;
            break;
        }
        if (st == SR_ERR_UNSUPPORTED || st == SR_ERR_RANGE) { /* the point cannot be emulated: say why */
            fprintf(stderr, "simrun emulate: point %d: %s\n", k, err);
            sr_run_output_clear(&out);
            rc = 2;
            break;
        }
        char *params = NULL, hash[17];
        if (emulated_params(pt->params_json, &params, hash) != 0) {
            sr_run_output_clear(&out);
            rc = 1;
            break;
        }
        sr_run_info info = {0};
        info.exp_id = exp_id;
        info.point_index = pt->index;
        info.point_hash = hash;
        info.params_json = params;
        info.params_si_json = NULL;
        info.policy = pt->policy;
        info.replication = pt->replication;
        info.seed = pt->seed;
        info.status = st == SR_OK ? "ok" : "failed";
        info.error = st == SR_OK ? NULL : err;
        info.wall_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        info.net_model = "emulated";
        info.replace = 1;
        int64_t run_id = 0;
        if (sr_results_write_run(db, &info, st == SR_OK ? &out : NULL, &run_id) != SR_OK) {
            fprintf(stderr, "simrun emulate: point %d: cannot write results: %s\n", k, sr_results_errmsg(db));
            rc = 1;
        } else if (st != SR_OK) {
            fprintf(stderr, "simrun emulate: point %d failed: %s\n", k, err);
            rc = 1;
        } else {
            char b1[32], b2[32];
            fprintf(stderr, "emulate: point %d (%s): p50 %s, p95 %s -> run %lld\n", k, pt->policy,
                    metric_or(&out, "latency_p50_s", b1, sizeof b1),
                    metric_or(&out, "latency_p95_s", b2, sizeof b2), (long long)run_id);
        }
        free(params);
        sr_run_output_clear(&out);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (rc == 0) printf("emulated runs written to %s (simrun compare %s)\n", db_path, db_path);
done:
    sr_results_close(db);
    sr_experiment_free(e0);
    sr_config_free(c);
    return rc;
}
