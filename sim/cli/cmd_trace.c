/* cmd_trace.c: `simrun trace DB --run N -o trace.json`: one run's per-task records as a Chrome / Perfetto
 * trace (reports/sr_timeline.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_timeline.h"

static void usage(FILE *f)
{
    fputs("usage: simrun trace RESULTS.db --run N -o TRACE.json\n\n"
          "Writes run N's per-task records (table frame_tasks; the experiment needs metrics: { frames: true "
          "})\n"
          "as a Chrome / Perfetto trace: one track per device executor and per (sender -> receiver) pair,\n"
          "one slice per task, arrows joining each frame's tasks. Open it at ui.perfetto.dev or\n"
          "chrome://tracing. Run ids: sqlite3 RESULTS.db 'SELECT id, policy, params FROM runs'.\n\n"
          "  --run N        the run id (runs.id)\n"
          "  -o FILE        output file ('-' for standard output)\n\n"
          "Exit status: 0 written, 1 cannot write, 2 bad arguments, not a results database, no such run or\n"
          "no per-task records.\n",
          f);
}

int sr_cmd_trace(int argc, char **argv)
{
    const char *db = NULL, *out = NULL, *run = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--run") == 0 && i + 1 < argc)
            run = argv[++i];
        else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] != '-' && !db)
            db = argv[i];
        else {
            fprintf(stderr, "simrun trace: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!db || !out || !run) {
        usage(stderr);
        return 2;
    }
    char *end = NULL;
    errno = 0;
    long long id = strtoll(run, &end, 10);
    if (errno || end == run || *end || id < 1) {
        fprintf(stderr, "simrun trace: --run %s: expected a run id (a positive integer)\n", run);
        return 2;
    }
    sr_status st = sr_timeline_write(db, (int64_t)id, out, stderr);
    if (st == SR_ERR_DB || st == SR_ERR_NOT_FOUND || st == SR_ERR_INVALID) return 2;
    return st == SR_OK ? 0 : 1;
}
