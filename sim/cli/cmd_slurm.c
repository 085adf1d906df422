/* cmd_slurm.c: `simrun slurm EXP.yaml --array N`: writes a script that runs the sweep as a SLURM job array.
 *
 * The script has three roles, chosen by its first argument:
 *   (none)  `sh SCRIPT` on the login node: submits the array (`sbatch --array=0-(N-1) SCRIPT shard`) and the
 *           merge job (`sbatch --dependency=afterany:ARRAY SCRIPT merge`), and prints both job ids;
 *   shard   array task I: `simrun run EXP --shard I/N --db SHARDS/shard-I-of-N.db` (its own database);
 *   merge   `simrun merge SHARDS/shard-*-of-N.db -o DB`, then `simrun run EXP --db DB --resume`, which runs
 *           whatever a failed task left out (normally nothing) and draws the figures.
 * Every path in it is absolute (the simrun binary, the experiment, the databases), so it works from any
 * folder the cluster's nodes share. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr_cmd.h"
#include "sr_config.h"

static void slurm_usage(FILE *f)
{
    fprintf(f,
            "usage: simrun slurm EXPERIMENT.yaml --array N [--partition P] [--time T] [--mem M] [--jobs J]\n"
            "                    [--db PATH] [--out SCRIPT]\n"
            "  --array N      N array tasks, task I runs shard I/N of the sweep (simrun run --shard)\n"
            "  --partition P  SLURM partition (default: the cluster's default)\n"
            "  --time T       time limit per task, as sbatch takes it (e.g. 30, 2:00:00)\n"
            "  --mem M        memory per task, as sbatch takes it (e.g. 2G)\n"
            "  --jobs J       worker processes per task (and --cpus-per-task; default 1)\n"
            "  --db PATH      the merged database (default: the experiment's output.db)\n"
            "  --out SCRIPT   the script to write (default: NAME.sbatch)\n"
            "Then `sh SCRIPT` submits the array and a merge job that runs after it.\n");
}

/* An sbatch option value must not break the script: letters, digits and - _ . : , only. */
static int safe_value(const char *v)
{
    if (!v[0]) return 0;
    for (const char *p = v; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr("-_.:,", *p)))
            return 0;
    return 1;
}

/* Writes s single-quoted for sh. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

/* path made absolute against the current directory (the file need not exist). */
static void absolute(const char *path, char *out, size_t size)
{
    char cwd[PATH_MAX];
    size_t lp = strlen(path), lc = 0;
    if (path[0] == '/' || !getcwd(cwd, sizeof cwd) || (lc = strlen(cwd)) + lp + 2 > size) {
        snprintf(out, size, "%s", path);
        return;
    }
    memcpy(out, cwd, lc);
    out[lc] = '/';
    memcpy(out + lc + 1, path, lp + 1);
}

int sr_cmd_slurm(int argc, char **argv)
{
    const char *path = NULL, *partition = NULL, *time_limit = NULL, *mem = NULL, *db_opt = NULL,
               *out_opt = NULL;
    int array = 0, jobs = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        char *end;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            slurm_usage(stdout);
            return 0;
        } else if (strcmp(a, "--array") == 0 && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000) {
                fprintf(stderr, "simrun slurm: --array wants an integer in 1..100000, got '%s'\n", argv[i]);
                return 2;
            }
            array = (int)v;
        } else if (strcmp(a, "--jobs") == 0 && i + 1 < argc) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "simrun slurm: --jobs wants an integer in 1..1024, got '%s'\n", argv[i]);
                return 2;
            }
            jobs = (int)v;
        } else if ((strcmp(a, "--partition") == 0 || strcmp(a, "--time") == 0 || strcmp(a, "--mem") == 0) &&
                   i + 1 < argc) {
            const char *v = argv[++i];
            if (!safe_value(v)) {
                fprintf(stderr, "simrun slurm: %s '%s': only letters, digits and - _ . : , are allowed\n", a,
                        v);
                return 2;
            }
            if (a[2] == 'p') partition = v;
            if (a[2] == 't') time_limit = v;
            if (a[2] == 'm') mem = v;
        } else if (strcmp(a, "--db") == 0 && i + 1 < argc) {
            db_opt = argv[++i];
        } else if (strcmp(a, "--out") == 0 && i + 1 < argc) {
            out_opt = argv[++i];
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "simrun slurm: unexpected argument '%s'\n", a);
            slurm_usage(stderr);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path || array < 1) {
        slurm_usage(stderr);
        return 2;
    }
    sr_config *c = NULL;
    if (sr_config_load(path, stderr, &c) != SR_OK) return 2;
    sr_experiment *e = NULL;
    if (sr_config_experiment(c, 0, &e) != SR_OK) {
        sr_config_free(c);
        return 2;
    }
    char exe[PATH_MAX] = "", exp[PATH_MAX], db[PATH_MAX], shards[PATH_MAX + 16], out[PATH_MAX], cwd[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    if (!realpath(path, exp)) snprintf(exp, sizeof exp, "%s", path);
    absolute(db_opt ? db_opt : e->output_db, db, sizeof db);
    const char *dot = strrchr(db, '.'), *slash = strrchr(db, '/');
    size_t stem = dot && dot > slash ? (size_t)(dot - db) : strlen(db);
    snprintf(shards, sizeof shards, "%.*s-shards", (int)stem, db);
    char name[256];
    snprintf(name, sizeof name, "%s", sr_config_name(c));
    for (char *p = name; *p; p++)
        if (!safe_value((char[]){*p, 0})) *p = '_';
    if (out_opt)
        snprintf(out, sizeof out, "%s", out_opt);
    else
        snprintf(out, sizeof out, "%s.sbatch", name);
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, "/");
    int points = sr_config_point_count(c);
    sr_experiment_free(e);
    sr_config_free(c);

    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "simrun slurm: cannot write %s\n", out);
        return 1;
    }
    fprintf(f, "#!/bin/sh\n");
    fprintf(f, "# Written by `simrun slurm`: experiment %s (%d points) as a SLURM array of %d tasks.\n", name,
            points, array);
    fprintf(f, "# Submit with `sh %s`; see `simrun slurm --help`.\n", out);
    fprintf(f, "#SBATCH --job-name=simrun-%s\n", name);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", jobs);
    fprintf(f, "#SBATCH --ntasks=1\n");
    if (partition) fprintf(f, "#SBATCH --partition=%s\n", partition);
    if (time_limit) fprintf(f, "#SBATCH --time=%s\n", time_limit);
    if (mem) fprintf(f, "#SBATCH --mem=%s\n", mem);
    fprintf(f, "set -eu\n");
    fprintf(f, "SIMRUN=");
    put_quoted(f, exe);
    fprintf(f, "\nEXP=");
    put_quoted(f, exp);
    fprintf(f, "\nDB=");
    put_quoted(f, db);
    fprintf(f, "\nSHARDS=");
    put_quoted(f, shards);
    fprintf(f, "\nWORKDIR=");
    put_quoted(f, cwd);
    fprintf(f, "\nN=%d\nJOBS=%d\n", array, jobs);
    fprintf(f, "cd \"$WORKDIR\"\n"
               "case \"${1:-submit}\" in\n"
               "submit)\n"
               "    mkdir -p \"$SHARDS\"\n"
               "    script=$(cd \"$(dirname \"$0\")\" && pwd)/$(basename \"$0\")\n"
               "    array=$(sbatch --parsable --array=0-$((N - 1)) --output=\"$SHARDS/slurm-%%A_%%a.out\" "
               "\"$script\" shard)\n"
               "    array=${array%%%%;*}\n"
               "    merge=$(sbatch --parsable --dependency=afterany:\"$array\" "
               "--output=\"$SHARDS/slurm-merge-%%j.out\" \"$script\" merge)\n"
               "    merge=${merge%%%%;*}\n"
               "    echo \"submitted: array job $array ($N shards), merge job $merge -> $DB\"\n"
               "    ;;\n"
               "shard)\n"
               "    i=${SLURM_ARRAY_TASK_ID:?not an array task}\n"
               "    \"$SIMRUN\" run \"$EXP\" --shard \"$i/$N\" --db \"$SHARDS/shard-$i-of-$N.db\" --jobs "
               "\"$JOBS\" --no-report --quiet\n"
               "    ;;\n"
               "merge)\n"
               "    set --\n"
               "    for f in \"$SHARDS\"/shard-*-of-$N.db; do if [ -e \"$f\" ]; then set -- \"$@\" \"$f\"; "
               "fi; done\n"
               "    status=0\n"
               "    if [ \"$#\" -gt 0 ]; then \"$SIMRUN\" merge \"$@\" -o \"$DB\" || status=$?; fi\n"
               "    [ \"$status\" -le 1 ] || exit \"$status\"\n"
               "    # whatever a failed task left out runs here; then the figures are drawn\n"
               "    \"$SIMRUN\" run \"$EXP\" --db \"$DB\" --resume --jobs \"$JOBS\"\n"
               "    exit \"$status\"\n"
               "    ;;\n"
               "*)\n"
               "    echo \"usage: sh $0 [submit|shard|merge]\" >&2\n"
               "    exit 2\n"
               "    ;;\n"
               "esac\n");
    if (fclose(f) != 0) {
        fprintf(stderr, "simrun slurm: cannot write %s\n", out);
        return 1;
    }
    chmod(out, 0755);
    printf("%s: SLURM job array of %d tasks for %s (%d points); submit with: sh %s\n", out, array, name,
           points, out);
    return 0;
}
