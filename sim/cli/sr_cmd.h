/* sr_cmd.h: the simrun subcommands. Each takes argv[0] = the subcommand name and returns the process
 * exit code: 0 success, 1 failure of the work itself, 2 bad input or usage. */
#ifndef SR_CMD_H
#define SR_CMD_H

int sr_cmd_run(int argc, char **argv);
int sr_cmd_validate(int argc, char **argv);
int sr_cmd_list(int argc, char **argv);
int sr_cmd_show(int argc, char **argv);
int sr_cmd_report(int argc, char **argv);
int sr_cmd_exec(int argc, char **argv);        /* cmd_exec.c: per-layer forward timing of a model */
int sr_cmd_codec_table(int argc, char **argv); /* cmd_codec_table.c */
int sr_cmd_calibrate(int argc, char **argv);   /* cmd_calibrate.c */
int sr_cmd_trace(int argc, char **argv);       /* cmd_trace.c: a run as a Chrome / Perfetto trace */
int sr_cmd_export(int argc, char **argv);      /* cmd_export.c: tables as CSV files */
int sr_cmd_platform(int argc, char **argv);    /* cmd_platform.c: a point's SimGrid platform XML */
int sr_cmd_merge(int argc, char **argv);       /* cmd_merge.c: combine results databases */
int sr_cmd_check(int argc, char **argv);       /* cmd_check.c: compare an experiment with a golden database */
int sr_cmd_slurm(int argc, char **argv);       /* cmd_slurm.c: write an sbatch script for a job array */
int sr_cmd_emulate(int argc, char **argv);     /* cmd_emulate.c: run points for real on an emulated testbed */
int sr_cmd_compare(int argc, char **argv);     /* cmd_compare.c: simulated vs emulated runs */

/* cmd_splits.c: `simrun show model M --splits`: the cuts of g between profiles dev and tgt over a link class (its
 * bandwidth replaced by `bandwidth`, a rate such as "5.85Mbps", when not NULL). Exit code as the commands'. */
struct sr_graph;
int sr_show_splits(const struct sr_graph *g, int act_precision, const char *dev, const char *tgt, const char *link,
                   const char *bandwidth);
int sr_cmd_train(int argc, char **argv);       /* cmd_train.c: train a net on Fashion-MNIST; In-situ AI stages */
int sr_cmd_insitu_hw(int argc, char **argv);   /* cmd_insitu_hw.c: In-situ AI's Fig. 21-23 from the hw models */

#endif
