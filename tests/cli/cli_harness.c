/* cli_harness.c: see cli_harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "sr_file.h"

static char tmpdir[256];

const char *cli_dir(void)
{
    return tmpdir;
}

int cli_setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/simrun-cli-XXXXXX");
    if (!mkdtemp(tmpdir)) return -1;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/tests/cli/data/*.yaml %s/", SR_SOURCE_DIR, tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int cli_teardown(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int cli_simrun(const char *fmt, ...)
{
    char args[3072], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "cd %s && %s/simrun %s >out.txt 2>&1", tmpdir, SR_BINARY_DIR, args);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

char *cli_output(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", tmpdir);
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(p, &data, &n) == SR_OK ? (char *)data : NULL;
}

int cli_exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return access(p, F_OK) == 0;
}

static sqlite3 *open_ro(const char *db)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", tmpdir, db);
    sqlite3 *h = NULL;
    assert_int_equal(sqlite3_open_v2(p, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    return h;
}

int64_t cli_query_int(const char *db, const char *sql)
{
    sqlite3 *h = open_ro(db);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

char *cli_query_text(const char *db, const char *sql)
{
    sqlite3 *h = open_ro(db);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(h));
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        int n = sqlite3_column_count(st);
        for (int c = 0; c < n; c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            size_t need = len + (v ? strlen(v) : 4) + 2;
            while (need >= cap) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            len += (size_t)sprintf(buf + len, "%s%c", v ? v : "NULL", c + 1 < n ? '|' : '\n');
        }
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    return buf;
}

char *cli_dump(const char *db)
{
    static const char *const queries[] = {
        "SELECT name, hash, yaml FROM experiments ORDER BY hash",
        "SELECT e.hash, r.point_index, r.point_hash, r.params, r.policy, r.replication, r.seed, r.status, "
        "r.error,"
        " r.net_model FROM runs r JOIN experiments e ON e.id = r.experiment_id ORDER BY e.hash, r.point_hash",
        "SELECT r.point_hash, m.name, m.value, m.unit FROM metrics m JOIN runs r ON r.id = m.run_id"
        " WHERE m.name NOT LIKE '%wall\\_s' ESCAPE '\\' ORDER BY r.point_hash, m.name",
        "SELECT r.point_hash, f.source, f.frame, f.device, f.capture_s, f.queue_s, f.compute_s, f.transfer_s,"
        " f.complete_s, f.latency_s, f.dropped, f.bytes_sent FROM frames f JOIN runs r ON r.id = f.run_id"
        " ORDER BY r.point_hash, f.source, f.frame",
        "SELECT r.point_hash, t.source, t.frame, t.task, t.kind, t.label, t.device, t.dst, t.ready_s, "
        "t.start_s,"
        " t.end_s, t.bytes FROM frame_tasks t JOIN runs r ON r.id = t.run_id"
        " ORDER BY r.point_hash, t.source, t.frame, t.task",
        "SELECT r.point_hash, l.name, l.type, l.bw_bps, l.latency_s, l.bytes, l.transfers, l.energy_j"
        " FROM links l JOIN runs r ON r.id = l.run_id ORDER BY r.point_hash, l.name",
        "SELECT r.point_hash, h.name, h.class, h.busy_s, h.tasks, h.energy_j FROM hosts h"
        " JOIN runs r ON r.id = h.run_id ORDER BY r.point_hash, h.name",
    };
    size_t cap = 1 << 16, len = 0;
    char *all = malloc(cap);
    assert_non_null(all);
    all[0] = '\0';
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
        char *part = cli_query_text(db, queries[q]);
        size_t n = strlen(part);
        while (len + n + 8 >= cap) {
            cap *= 2;
            all = realloc(all, cap);
            assert_non_null(all);
        }
        len += (size_t)sprintf(all + len, "%s--\n", part);
        free(part);
    }
    return all;
}
