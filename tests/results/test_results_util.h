/* test_results_util.h: helpers shared by the results and report tests: temporary directories,
 * whole-file reads, synthetic run outputs and single-value SQL queries. */
#ifndef TEST_RESULTS_UTIL_H
#define TEST_RESULTS_UTIL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "sr_run_output.h"

/* Creates a fresh directory under /tmp (caller removes it with tr_rmtree and frees the string). */
char *tr_mkdtemp(void);
/* Removes a directory tree (best effort). */
void tr_rmtree(const char *path);
/* Joins dir and name into a new string (caller frees). */
char *tr_path(const char *dir, const char *name);
/* Whole file contents (caller frees); NULL when unreadable. *size gets the byte count. */
char *tr_read_file(const char *path, size_t *size);
int tr_write_file(const char *path, const char *data, size_t size);
/* A synthetic run output: n_frames frames on "cam<source>", frame i captured at 0.1 i with latency
 * base_latency_s + 1e-3 (i % 5), every 7th frame dropped, bytes_sent 1000 + i; two hosts, one link;
 * summarized with warmup 0. */
void tr_make_output(sr_run_output *o, int n_frames, double base_latency_s);
/* Appends task records to a tr_make_output output, in (source, frame, task) order: per frame a "head"
 * compute on its camera; a frame that was not dropped also gets an "activation" transfer to "edge0" and a
 * "tail" compute there (3 n - 2 dropped records in all). */
void tr_add_tasks(sr_run_output *o);
/* First column of the first row of sql as int64 / double / text (text: caller frees). */
int64_t tr_query_int(sqlite3 *db, const char *sql);
double tr_query_double(sqlite3 *db, const char *sql);
char *tr_query_text(sqlite3 *db, const char *sql);

#endif
