/* main.c: the simrun command line. Dispatches to the subcommands of sr_cmd.h.
 *
 * `simrun experiment.yaml` is short for `simrun run experiment.yaml`. Exit codes: 0 success, 1 the work
 * failed, 2 bad input or usage (bad YAML, unknown model, wrong flags). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sr_cmd.h"

typedef struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"run", sr_cmd_run, "run every point of an experiment: simrun run EXP.yaml [--jobs N] [--resume]"},
    {"validate", sr_cmd_validate, "check an experiment file without running it"},
    {"list", sr_cmd_list, "list the catalogues: simrun list devices|links|models|policies"},
    {"show", sr_cmd_show, "show a model's layers or a device profile: simrun show model|profile NAME"},
    {"merge", sr_cmd_merge, "combine results databases (shards): simrun merge A.db B.db ... -o ALL.db"},
    {"slurm", sr_cmd_slurm, "write a SLURM job-array script (shards + merge): simrun slurm EXP.yaml --array N"},
    {"check", sr_cmd_check, "compare an experiment with a golden DB: simrun check EXP.yaml --against GOLDEN.db"},
    {"report", sr_cmd_report, "draw figures from a results database: simrun report DB --out DIR"},
    {"trace", sr_cmd_trace, "a run's tasks as a Chrome/Perfetto trace: simrun trace DB --run N -o trace.json"},
    {"export", sr_cmd_export, "tables as CSV for pandas/R: simrun export DB --csv DIR"},
    {"platform", sr_cmd_platform, "a point's SimGrid platform XML: simrun platform EXP.yaml -o platform.xml"},
    {"exec", sr_cmd_exec, "run a model's real kernels and time each layer: simrun exec MODEL"},
    {"calibrate", sr_cmd_calibrate, "time the kernels, fit per-layer cost models: simrun calibrate --out F.yaml"},
    {"codec-table", sr_cmd_codec_table, "measure activation codecs at split layers into a DB: simrun codec-table --help"},
    {"emulate", sr_cmd_emulate, "run points for real on an emulated testbed (root): simrun emulate EXP.yaml [--point K]"},
    {"compare", sr_cmd_compare, "simulated vs emulated runs, per point and metric: simrun compare DB"},
    {"train", sr_cmd_train, "train a net on Fashion-MNIST; In-situ AI stages into a DB: simrun train --help"},
    {"insitu-hw", sr_cmd_insitu_hw, "In-situ AI's Fig. 21-23 from the GPU time model and the FPGA engines"},
};

static void usage(FILE *f)
{
    fprintf(f, "simrun %s: discrete-event simulator for edge-cloud machine-learning systems\n\n", SR_VERSION);
    fprintf(f, "usage: simrun EXPERIMENT.yaml [run options]\n       simrun SUBCOMMAND [args]\n\n");
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].summary);
    fprintf(f, "\n`simrun SUBCOMMAND --help` describes each. Docs: docs/user-guide.md\n");
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* OpenBLAS (0.3.21) starts its threads when the library loads, before main, and each takes a 128 MiB buffer
 * that it retries for ever when the allocation fails. Under an address-space limit too small for them
 * (`ulimit -v`), a thread spins from the start and the next fork() hangs in OpenBLAS's pre-fork handler,
 * which joins it. simrun never runs OpenBLAS on more than one thread (sr_kernels.h), so under a limit (the
 * shell's, or the one --point-memory gives the workers, which are forked from this process) it runs itself
 * again with OPENBLAS_NUM_THREADS=1: then OpenBLAS starts no thread, and the one buffer it needs is checked
 * before use (sr_kernels_blas_reserve). A failed exec leaves things as they were. */
static void blas_single_thread_under_limit(int argc, char **argv)
{
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    if (threads && strcmp(threads, "1") == 0) return;
    struct rlimit rl;
    int limited = getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
    for (int i = 1; i < argc && !limited; i++)
        limited = strncmp(argv[i], "--point-memory", 14) == 0;
    if (!limited || setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
    execv("/proc/self/exe", argv);
}

int main(int argc, char **argv)
{
    blas_single_thread_under_limit(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("simrun %s\n", SR_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
        if (strcmp(cmd, subcommands[i].name) == 0) return subcommands[i].fn(argc - 1, argv + 1);
    if (ends_with(cmd, ".yaml") || ends_with(cmd, ".yml")) {
        argv[0] = (char *)"run";
        return sr_cmd_run(argc, argv);
    }
    fprintf(stderr, "simrun: unknown subcommand '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
