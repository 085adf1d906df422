/* cli_harness.h: helpers for tests that drive the real simrun binary in a temporary folder and read the
 * SQLite files it leaves there. Failures are cmocka assertions. */
#ifndef CLI_HARNESS_H
#define CLI_HARNESS_H

#include <stdint.h>

/* Creates a fresh temporary folder and copies the YAML files of tests/cli/data into it; returns 0 on success.
 */
int cli_setup(void);
int cli_teardown(void);    /* removes the folder */
const char *cli_dir(void); /* the folder (borrowed) */

/* Runs `simrun ARGS` (printf format, shell-quoted by the caller) in the folder; stdout and stderr go to
 * out.txt there. Returns the exit code (-1 when killed). */
int cli_simrun(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *cli_output(void); /* out.txt of the last command; caller frees */
int cli_exists(const char *name);

/* First column of the first row of sql on the folder's database file db (read-only). */
int64_t cli_query_int(const char *db, const char *sql);
/* Every row of sql, columns joined by '|', rows by '\n' (NULL as "NULL"); caller frees. */
char *cli_query_text(const char *db, const char *sql);

/* Every result of db, row by row, keyed by point hash instead of run ids and without wall-clock values
 * (runs.wall_s, *_utc, metrics named *wall_s): two databases of the same points dump the same text.
 * Caller frees. */
char *cli_dump(const char *db);

#endif
