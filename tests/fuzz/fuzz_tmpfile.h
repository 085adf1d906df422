/* fuzz_tmpfile.h: the bytes of a fuzz input as a file, for parsers that read a path (one per process and
 * suffix, rewritten for every input). */
#ifndef FUZZ_TMPFILE_H
#define FUZZ_TMPFILE_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/* Writes data to /tmp/sr-fuzz-PID<suffix> and puts the path in path; returns 0 on success. */
static inline int fuzz_tmpfile(const uint8_t *data, size_t size, const char *suffix, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/sr-fuzz-%d%s", (int)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) == 0 && w == size ? 0 : -1;
}

/* Removes a database written by fuzz_tmpfile and the files SQLite may have made beside it. */
static inline void fuzz_unlink_db(const char *path)
{
    static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
    char p[96];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, sfx[i]);
        unlink(p);
    }
}

#endif
