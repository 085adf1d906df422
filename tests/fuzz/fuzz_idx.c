/* fuzz_idx.c: libFuzzer target for the IDX reader (`simrun train --data DIR` reads a user's image and label
 * files; plain or gzip, which zlib's gzread tells apart) and the labelled image-set loader. The input is read as
 * one IDX file of each rank 1-4; then, split at the offset its first two bytes give, as an image file (rank 3)
 * and a label file (rank 1) of one set. Every rejection comes back with a message and nothing allocated. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    if (fuzz_tmpfile(data, size, ".idx", path, sizeof path) != 0) return 0;
    for (int rank = 1; rank <= SR_IDX_MAX_RANK; rank++) {
        sr_idx idx;
        err[0] = '\0';
        if (sr_idx_read(path, rank, &idx, err, sizeof err) == SR_OK) {
            int64_t total = 1;
            for (int i = 0; i < idx.rank; i++) total *= idx.dims[i];
            if (idx.rank != rank || idx.n_bytes != total || idx.data == NULL) abort();
            sr_idx_free(&idx);
        } else if (idx.data != NULL || err[0] == '\0') {
            abort();
        }
    }
    unlink(path);
    if (size < 2) return 0;
    size_t k = ((size_t)data[0] << 8 | data[1]) % (size - 1);
    char ip[64], lp[64];
    if (fuzz_tmpfile(data + 2, k, ".images", ip, sizeof ip) != 0) return 0;
    if (fuzz_tmpfile(data + 2 + k, size - 2 - k, ".labels", lp, sizeof lp) != 0) {
        unlink(ip);
        return 0;
    }
    sr_dataset ds;
    err[0] = '\0';
    if (sr_dataset_load_idx(ip, lp, 10, data[0] & 1 ? 3 : 0, &ds, err, sizeof err) == SR_OK) {
        if (ds.count <= 0 || ds.x == NULL || ds.y == NULL || ds.h > SR_IDX_MAX_SIDE || ds.w > SR_IDX_MAX_SIDE) abort();
        for (int64_t i = 0; i < ds.count; i++)
            if (ds.y[i] < 0 || ds.y[i] >= 10) abort();
        sr_dataset_free(&ds);
    } else if (ds.x != NULL || err[0] == '\0') {
        abort();
    }
    unlink(ip);
    unlink(lp);
    return 0;
}
