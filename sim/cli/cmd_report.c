/* cmd_report.c: `simrun report DB --out DIR [--by AXIS] [--logy] [--minmax]`: figures and an index page
 * from a results database (reports/sr_report.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sr_cmd.h"
#include "sr_report.h"

static void usage(FILE *f)
{
    fputs("usage: simrun report RESULTS.db --out DIR [--by PARAM] [--logy] [--minmax]\n\n"
          "Draws every experiment of a results database into DIR: each metric against each swept parameter\n"
          "(one panel per value of a second swept parameter), the latency CDF per sweep point, and\n"
          "DIR/index.html with a sortable summary table. Each figure is written as .svg, .pdf and .png,\n"
          "with the .gp script and .dat data beside it (`cd DIR && gnuplot FIG.gp` redraws all three).\n\n"
          "  --out DIR      output folder (created if needed)\n"
          "  --by PARAM     one panel per value of this swept parameter (its full key, e.g.\n"
          "                 platform.links.uplink.bandwidth, or its last part: bandwidth); default: the\n"
          "                 other swept parameter with the fewest values\n"
          "  --logy         log y axis on every metric figure (default: when the means span > 2 decades)\n"
          "  --minmax       error bars from min to max over replications (default: 95 % t-interval)\n\n"
          "Exit status: 0 drawn, 1 gnuplot failed, 2 bad arguments or not a results database.\n",
          f);
}

int sr_cmd_report(int argc, char **argv)
{
    const char *db = NULL, *out = NULL;
    sr_report_opts o = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
            o.by = argv[++i];
        else if (strcmp(argv[i], "--logy") == 0)
            o.log_y = 1;
        else if (strcmp(argv[i], "--minmax") == 0)
            o.minmax = 1;
        else if (argv[i][0] != '-' && !db)
            db = argv[i];
        else {
            fprintf(stderr, "simrun report: unexpected argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!db || !out) {
        usage(stderr);
        return 2;
    }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "simrun report: %s: no such database\n", db);
        return 2;
    }
    sr_status st = sr_report_generate_ex(db, out, &o, stderr);
    if (st == SR_ERR_DB || st == SR_ERR_INVALID) return 2;
    if (st != SR_OK) return 1;
    printf("figures: %s/index.html\n", out);
    return 0;
}
