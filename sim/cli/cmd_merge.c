/* cmd_merge.c: `simrun merge A.db B.db ... -o ALL.db`: combines results databases (the shards of a sweep)
 * into one, each experiment once and each point once (sr_merge.h). Exit 0 when everything merged, 1 when
 * some points conflicted (reported, not merged), 2 on bad input (a file that is not a simrun database, no
 * output, the output among the inputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_merge.h"

static void merge_usage(FILE *f)
{
    fprintf(f,
            "usage: simrun merge A.db B.db ... -o ALL.db [--quiet]\n"
            "  Copies every experiment and run of the inputs into ALL.db (created, or merged into when it\n"
            "  exists). A point present twice is kept once: equal copies are merged, an ok run replaces a\n"
            "  failed one, and two ok runs that differ are reported as a conflict and not overwritten\n"
            "  (exit code 1).\n");
}

int sr_cmd_merge(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, n_in = 0;
    const char **inputs = calloc((size_t)argc, sizeof *inputs);
    if (!inputs) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            merge_usage(stdout);
            free(inputs);
            return 0;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) && i + 1 < argc && !out) {
            out = argv[++i];
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "simrun merge: unexpected argument '%s'\n", a);
            merge_usage(stderr);
            free(inputs);
            return 2;
        } else {
            inputs[n_in++] = a;
        }
    }
    if (!out || n_in == 0) {
        merge_usage(stderr);
        free(inputs);
        return 2;
    }
    sr_merge_stats stats;
    char err[1024];
    sr_status st = sr_results_merge(out, inputs, n_in, NULL, stderr, &stats, err, sizeof err);
    free(inputs);
    if (st != SR_OK) {
        fprintf(stderr, "simrun merge: %s\n", err[0] ? err : sr_status_message(st));
        return st == SR_ERR_NOMEM ? 1 : 2;
    }
    if (!quiet)
        printf("%s: %d inputs merged: %d experiments and %d runs added, %d duplicate points, %d failed runs "
               "replaced, %d conflicts\n",
               out, n_in, stats.experiments_added, stats.runs_added, stats.duplicates, stats.failed_replaced,
               stats.conflicts);
    if (stats.conflicts) {
        fprintf(stderr, "simrun merge: %d conflicting points were not merged (see above)\n", stats.conflicts);
        return 1;
    }
    return 0;
}
