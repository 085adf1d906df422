/* fuzz_results.c: libFuzzer target for results databases from elsewhere: any bytes as a .db file, opened
 * for writing as `simrun run --db` does (header check, schema version, integrity check, migration) and read
 * as the reports read it (every experiment, every run). Errors come back as statuses with a message. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_results.h"
#include "sr_results_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_run(void *user, const sr_read_run *run)
{
    (void)run;
    (*(int *)user)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512] = "";
    if (size > (1u << 20)) return 0;
    if (fuzz_tmpfile(data, size, ".db", path, sizeof path) != 0) return 0;
    /* the reader, on the file as given */
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(db, "SELECT id FROM experiments ORDER BY id LIMIT 4", -1, &q, NULL) ==
            SQLITE_OK)
            while (sqlite3_step(q) == SQLITE_ROW) {
                int n = 0;
                sr_results_read_runs(db, sqlite3_column_int64(q, 0), 0, count_run, &n, err, sizeof err);
            }
        sqlite3_finalize(q);
    }
    sqlite3_close(db);
    /* the writer's open */
    sr_results *r = NULL;
    if (sr_results_open(path, &r, err, sizeof err) == SR_OK)
        sr_results_close(r);
    else if (r != NULL || err[0] == '\0')
        abort();
    fuzz_unlink_db(path);
    return 0;
}
