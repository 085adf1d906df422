/* cmd_calibrate.c: `simrun calibrate`: measure this machine and write its profile, or derive a device
 * profile from a measured one by roofline ratios.
 *
 *   simrun calibrate --out FILE.yaml [--quick | --tiny] [--seed N] [--name NAME]
 *   simrun calibrate --scale-from MEASURED.yaml --profile BUILTIN --out FILE.yaml
 *
 * Exit codes: 0 ok, 1 the measurement or a write failed, 2 bad arguments or input files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_calibrate.h"
#include "sr_cmd.h"
#include "sr_profile.h"
#include "sr_profile_file.h"
#include "sr_profile_scale.h"

static void calibrate_usage(FILE *f)
{
    fprintf(f, "usage: simrun calibrate --out FILE.yaml [--quick | --tiny] [--seed N] [--name NAME]\n"
               "       simrun calibrate --scale-from MEASURED.yaml --profile BUILTIN --out FILE.yaml\n"
               "       simrun calibrate --rune-only MEASURED.yaml --out FILE.yaml [--quick | --tiny]\n"
               "       simrun calibrate --corun-only MEASURED.yaml --out FILE.yaml [--quick | --tiny]\n"
               "       simrun calibrate --idle-only MEASURED.yaml --out FILE.yaml [--quick | --tiny]\n"
               "  Times every layer type over a grid of shapes and over zoo models' layers (single-threaded\n"
               "  BLAS), fits per-type regressions, validates them on models left out of the fit, measures\n"
               "  sgemm, memcpy, codecs, raw vs protobuf-c serialization and the Rune overhead, and writes a\n"
               "  profile. --quick: <= 30 s; --tiny: a few shapes, no zoo models (tests). The second form\n"
               "  writes built-in profile BUILTIN with MEASURED's fit scaled by roofline ratios. The third\n"
               "  re-measures only the rune section (WebAssembly rune vs native; docs/papers/rune.md). The\n"
               "  fourth only the co-running interference on one core (docs/papers/insitu.md, Fig. 16). The\n"
               "  fifth only compute after idle: MobileNetV2 forwards after sleeping 3 ms to 1 s against warm ones\n"
               "  (docs/calibration.md; measure under the background the runs should reproduce).\n");
}

static int derive(const char *from, const char *name, const char *outp)
{
    const sr_profile *dev = sr_profile_find(name);
    if (!dev) {
        fprintf(stderr, "simrun calibrate: unknown profile '%s' (see `simrun list devices`)\n", name);
        return 2;
    }
    char err[512];
    sr_profile *measured = NULL, *derived = NULL;
    if (sr_profile_file_load(from, &measured, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        return 2;
    }
    int rc = 0;
    sr_status st = sr_profile_scale(dev, measured, &derived);
    if (st != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s: cannot scale (%s; the file needs a fit section)\n", from,
                sr_status_message(st));
        rc = 2;
    } else if (sr_profile_file_write(derived, outp, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        rc = 1;
    } else {
        printf("wrote %s (%s scaled from %s)\n", outp, name, from);
    }
    sr_profile_file_free(derived);
    sr_profile_file_free(measured);
    return rc;
}

enum { SECTION_RUNE, SECTION_CORUN, SECTION_IDLE };

/* --rune-only / --corun-only / --idle-only: MEASURED with that section measured again on this host. */
static int section_only(const sr_calib_options *o, const char *from, const char *outp, int section)
{
    static const char *what[] = {"rune", "co-running interference", "compute after idle"};
    char err[512] = "";
    sr_profile *in = NULL, *upd = NULL;
    if (sr_profile_file_load(from, &in, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        return 2;
    }
    int rc = 0;
    if (!in->fit) {
        fprintf(stderr, "simrun calibrate: %s: no fit section to add the %s to\n", from, what[section]);
        rc = 2;
    } else if ((section == SECTION_CORUN  ? sr_calib_corun_update(o, in, &upd, err, sizeof err)
                : section == SECTION_IDLE ? sr_calib_idle_update(o, in, &upd, err, sizeof err)
                                          : sr_calib_rune_update(o, in, &upd, err, sizeof err)) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        rc = 1;
    } else if (sr_profile_file_write(upd, outp, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        rc = 1;
    } else {
        printf("wrote %s (%s with the %s measured again)\n", outp, from, what[section]);
    }
    sr_profile_file_free(upd);
    sr_profile_file_free(in);
    return rc;
}

int sr_cmd_calibrate(int argc, char **argv)
{
    const char *outp = NULL, *from = NULL, *prof = NULL, *name = NULL, *rune_from = NULL, *corun_from = NULL,
               *idle_from = NULL;
    sr_calib_options o = {SR_CALIB_FULL, 1, NULL, stdout};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            calibrate_usage(stdout);
            return 0;
        } else if (strcmp(a, "--quick") == 0) {
            o.level = SR_CALIB_QUICK;
        } else if (strcmp(a, "--tiny") == 0) {
            o.level = SR_CALIB_TINY;
        } else if (strcmp(a, "--out") == 0 && has_val) {
            outp = argv[++i];
        } else if (strcmp(a, "--name") == 0 && has_val) {
            name = argv[++i];
        } else if (strcmp(a, "--scale-from") == 0 && has_val) {
            from = argv[++i];
        } else if (strcmp(a, "--rune-only") == 0 && has_val) {
            rune_from = argv[++i];
        } else if (strcmp(a, "--corun-only") == 0 && has_val) {
            corun_from = argv[++i];
        } else if (strcmp(a, "--idle-only") == 0 && has_val) {
            idle_from = argv[++i];
        } else if (strcmp(a, "--profile") == 0 && has_val) {
            prof = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && has_val) {
            char *end = NULL;
            errno = 0;
            unsigned long long v = strtoull(argv[++i], &end, 10);
            if (errno || !end || *end || argv[i][0] == '-') {
                fprintf(stderr, "simrun calibrate: --seed wants a non-negative integer, got '%s'\n", argv[i]);
                return 2;
            }
            o.seed = (uint64_t)v;
        } else {
            fprintf(stderr, "simrun calibrate: unknown or incomplete option '%s'\n", a);
            calibrate_usage(stderr);
            return 2;
        }
    }
    if (!outp) {
        fprintf(stderr, "simrun calibrate: --out FILE.yaml is required\n");
        calibrate_usage(stderr);
        return 2;
    }
    if (rune_from || corun_from || idle_from) {
        if (from || prof || (!!rune_from + !!corun_from + !!idle_from) > 1) {
            fprintf(stderr, "simrun calibrate: --rune-only / --corun-only / --idle-only go alone (not with each other, "
                            "--scale-from or --profile)\n");
            return 2;
        }
        return rune_from    ? section_only(&o, rune_from, outp, SECTION_RUNE)
               : corun_from ? section_only(&o, corun_from, outp, SECTION_CORUN)
                            : section_only(&o, idle_from, outp, SECTION_IDLE);
    }
    if (from || prof) {
        if (!from || !prof) {
            fprintf(stderr, "simrun calibrate: --scale-from and --profile go together\n");
            return 2;
        }
        return derive(from, prof, outp);
    }
    o.name = name;
    sr_calib_result *r = NULL;
    char err[512] = "";
    sr_status st = sr_calibrate_run(&o, &r, err, sizeof err);
    if (st != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err[0] ? err : sr_status_message(st));
        return 1;
    }
    int rc = 0;
    if (sr_profile_file_write(r->profile, outp, err, sizeof err) != SR_OK) {
        fprintf(stderr, "simrun calibrate: %s\n", err);
        rc = 1;
    } else {
        printf("wrote %s\n", outp);
    }
    sr_calib_result_free(r);
    return rc;
}
