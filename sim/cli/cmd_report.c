/* cmd_report.c: `simrun report DB --out DIR`: figures and an index page from a results database. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sr_cmd.h"
#include "sr_report.h"

int sr_cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] != '-' && !db)
            db = argv[i];
        else {
            fprintf(stderr, "simrun report: unexpected argument '%s'\n", argv[i]);
            db = NULL;
            break;
        }
    }
    if (!db || !out) {
        fprintf(stderr, "usage: simrun report RESULTS.db --out DIR\n");
        return 2;
    }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "simrun report: %s: no such database\n", db);
        return 2;
    }
    sr_status st = sr_report_generate(db, out, stderr);
    if (st == SR_ERR_DB) return 2;
    if (st != SR_OK) return 1;
    printf("figures: %s/index.html\n", out);
    return 0;
}
