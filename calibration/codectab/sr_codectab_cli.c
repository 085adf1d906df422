/* sr_codectab_cli.c: the `simrun codec-table` command line (options, exit codes), kept in the library so
 * that tests drive exactly what users run. Order of work: parse every option, check the database path,
 * measure (which checks model, layers and pipelines before computing anything), then store all rows in one
 * transaction and print them. Any bad input stops before the database is touched. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_codectab.h"

#define MAX_ITEMS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: simrun codec-table --model NAME|FILE [--input CxHxW] --split LAYER[,LAYER...]\n"
            "         --codec PIPELINE[,PIPELINE...] [--frames N] [--resolution WxH] [--fps F]\n"
            "         [--jpeg-quality Q] [--h264-crf C] [--seed S] --db PATH\n\n"
            "Runs the model on N frames of synthetic video and, for each split layer and activation codec\n"
            "pipeline, measures bits per element, size against raw fp32 / the JPEG frame / the H.264 frame,\n"
            "encode and decode time per element, activation SNR and max error, and the drift of the final\n"
            "output (relative L2, top-1 agreement). Rows go to table codec_table of the SQLite file PATH\n"
            "(created if absent; other tables are left alone) and are printed. --split and --codec may be\n"
            "repeated; commas inside parentheses belong to the pipeline (inter(quant8,key=10)).\n"
            "Defaults: --frames 5, --resolution = model input, --fps 30, --jpeg-quality 90, --h264-crf 23,\n"
            "--seed 1. Docs: docs/codec-table.md\n");
}

/* Splits s at commas outside parentheses into items[] (pointers into s, which is modified). */
static int split_list(char *s, char **items, int *n, int max)
{
    int depth = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        if ((*p == ',' && depth == 0) || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            if (*n >= max) return -1;
            items[(*n)++] = start;
            if (end) break;
            start = p + 1;
        }
    }
    return 0;
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

static int parse_u64(const char *s, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (!s[0] || s[0] == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* "AxB" or "AxBxC" of positive ints into v[0..n). */
static int parse_dims(const char *s, int n, int *v)
{
    const char *p = s;
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        errno = 0;
        if (*p < '0' || *p > '9') return -1;
        long x = strtol(p, &end, 10);
        if (errno || end == p || x < 1 || x > 1000000) return -1;
        v[i] = (int)x;
        if (i < n - 1) {
            if (*end != 'x' && *end != 'X') return -1;
            p = end + 1;
        } else if (*end) {
            return -1;
        }
    }
    return 0;
}

int sr_codectab_main(int argc, char **argv, const char *simrun_version, FILE *out, FILE *errf)
{
    sr_codectab_params p = sr_codectab_default_params();
    char *splits[MAX_ITEMS], *pipes[MAX_ITEMS];
    char *owned[2 * MAX_ITEMS + 4]; /* strdup'ed option values */
    int n_splits = 0, n_pipes = 0, n_owned = 0, rc = 2;
    const char *db_path = NULL;
    sr_codectab_row *rows = NULL;
    int n_rows = 0;
    char err[1024];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(out);
            rc = 0;
            goto done;
        }
        if (strncmp(a, "--", 2) != 0) {
            fprintf(errf, "codec-table: unexpected argument '%s'\n", a);
            usage(errf);
            goto done;
        }
        /* --opt=value or --opt value */
        const char *eq = strchr(a, '=');
        char name[64];
        const char *val = NULL;
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (nlen >= sizeof name) {
            fprintf(errf, "codec-table: unknown option '%s'\n", a);
            goto done;
        }
        memcpy(name, a, nlen);
        name[nlen] = '\0';
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(errf, "codec-table: option %s needs a value\n", name);
            goto done;
        }
        long v = 0;
        int bad = 0;
        if (strcmp(name, "--model") == 0) {
            p.model = val;
        } else if (strcmp(name, "--input") == 0) {
            int d[3];
            if ((bad = parse_dims(val, 3, d)) == 0) {
                p.in_c = d[0];
                p.in_h = d[1];
                p.in_w = d[2];
            }
        } else if (strcmp(name, "--resolution") == 0) {
            int d[2];
            if ((bad = parse_dims(val, 2, d)) == 0) {
                p.width = d[0];
                p.height = d[1];
            }
        } else if (strcmp(name, "--split") == 0 || strcmp(name, "--codec") == 0) {
            int is_split = name[2] == 's';
            char *copy = strdup(val);
            if (!copy || n_owned >= (int)(sizeof owned / sizeof owned[0])) {
                free(copy);
                fprintf(errf, "codec-table: too many %s options\n", name);
                goto done;
            }
            owned[n_owned++] = copy;
            if (split_list(copy, is_split ? splits : pipes, is_split ? &n_splits : &n_pipes, MAX_ITEMS) !=
                0) {
                fprintf(errf, "codec-table: at most %d items for %s\n", MAX_ITEMS, name);
                goto done;
            }
        } else if (strcmp(name, "--frames") == 0) {
            if ((bad = parse_int(val, 1, 100000, &v)) == 0) p.frames = (int)v;
        } else if (strcmp(name, "--fps") == 0) {
            bad = parse_double(val, &p.fps) || !(p.fps > 0 && p.fps <= 1000);
        } else if (strcmp(name, "--jpeg-quality") == 0) {
            if ((bad = parse_int(val, 1, 100, &v)) == 0) p.jpeg_quality = (int)v;
        } else if (strcmp(name, "--h264-crf") == 0) {
            bad = parse_double(val, &p.h264_crf) || !(p.h264_crf >= 0 && p.h264_crf <= 51);
        } else if (strcmp(name, "--seed") == 0) {
            bad = parse_u64(val, &p.seed);
        } else if (strcmp(name, "--db") == 0) {
            db_path = val;
        } else {
            fprintf(errf, "codec-table: unknown option '%s'\n", name);
            usage(errf);
            goto done;
        }
        if (bad) {
            static const struct {
                const char *opt, *want;
            } k_want[] = {
                {"--input", "CxHxW with positive integers, e.g. 3x224x224"},
                {"--resolution", "WxH with positive integers, e.g. 1280x720"},
                {"--frames", "an integer 1..100000"},
                {"--fps", "a number in (0, 1000]"},
                {"--jpeg-quality", "an integer 1..100"},
                {"--h264-crf", "a number 0..51"},
                {"--seed", "a non-negative integer"},
            };
            const char *want = "a valid value";
            for (size_t k = 0; k < sizeof k_want / sizeof k_want[0]; k++)
                if (strcmp(k_want[k].opt, name) == 0) want = k_want[k].want;
            fprintf(errf, "codec-table: bad value '%s' for %s: expected %s\n", val, name, want);
            goto done;
        }
    }
    if (!p.model || !n_splits || !n_pipes || !db_path) {
        fprintf(errf, "codec-table: %s is required\n",
                !p.model    ? "--model"
                : !n_splits ? "--split"
                : !n_pipes  ? "--codec"
                            : "--db");
        usage(errf);
        goto done;
    }
    p.splits = (const char *const *)splits;
    p.n_splits = n_splits;
    p.pipelines = (const char *const *)pipes;
    p.n_pipelines = n_pipes;

    sr_status st = sr_codectab_db_check(db_path, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "codec-table: %s\n", err);
        goto done;
    }
    st = sr_codectab_measure(&p, &rows, &n_rows, errf, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "codec-table: %s\n", err[0] ? err : sr_status_message(st));
        /* Parameter problems are bad input; anything else is a failure of the work itself. */
        rc = (st == SR_ERR_INVALID || st == SR_ERR_NOT_FOUND || st == SR_ERR_PARSE ||
              st == SR_ERR_UNSUPPORTED || st == SR_ERR_SHAPE || st == SR_ERR_RANGE || st == SR_ERR_IO)
                 ? 2
                 : 1;
        goto done;
    }
    st = sr_codectab_store(db_path, rows, n_rows, simrun_version, err, sizeof err);
    if (st != SR_OK) {
        fprintf(errf, "codec-table: %s\n", err);
        rc = st == SR_ERR_NOMEM ? 1 : 2;
        goto done;
    }
    sr_codectab_print(rows, n_rows, out);
    fprintf(errf, "codec-table: %d rows written to %s (table codec_table)\n", n_rows, db_path);
    rc = 0;
done:
    free(rows);
    for (int i = 0; i < n_owned; i++)
        free(owned[i]);
    return rc;
}
