/* cmd_export.c: `simrun export DB --csv DIR`: the tables of a results database as CSV files, and wide.csv
 * with one row per run (reports/sr_export.h). */
#include <stdio.h>
#include <string.h>

#include "sr_cmd.h"
#include "sr_export.h"

static void usage(FILE *f)
{
    fputs("usage: simrun export RESULTS.db --csv DIR\n\n"
          "Writes every table of a results database as CSV into DIR (experiments, runs, metrics, frames,\n"
          "frame_tasks, links, hosts) and DIR/wide.csv: one row per run with one numeric column per swept\n"
          "parameter in SI base units (platform.links.uplink.bandwidth_bps, ..._s, ..._bytes) and one column "
          "per\n"
          "metric. pandas: pd.read_csv('DIR/wide.csv'); R: read.csv('DIR/wide.csv').\n\n"
          "Exit status: 0 written, 1 cannot write, 2 bad arguments or not a results database.\n",
          f);
}

int sr_cmd_export(int argc, char **argv)
{
    const char *db = NULL, *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] != '-' && !db)
            db = argv[i];
        else {
            fprintf(stderr, "simrun export: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!db || !dir) {
        usage(stderr);
        return 2;
    }
    sr_status st = sr_export_csv(db, dir, stderr);
    if (st == SR_ERR_DB || st == SR_ERR_INVALID) return 2;
    if (st != SR_OK) return 1;
    printf("csv: %s/wide.csv (and one file per table)\n", dir);
    return 0;
}
