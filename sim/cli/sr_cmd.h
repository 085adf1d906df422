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
int sr_cmd_train(int argc, char **argv);       /* cmd_train.c: train a net on Fashion-MNIST; In-situ AI stages */
int sr_cmd_insitu_hw(int argc, char **argv);   /* cmd_insitu_hw.c: In-situ AI's Fig. 21-23 from the hw models */

#endif
