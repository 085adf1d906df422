/* fuzz_tables.c: libFuzzer target for the calibration tables read from a user's SQLite file: the codec table
 * (split policies' `codec_table:`) and In-situ AI's stage table (`stages_db:`). Any bytes as a .db file, looked
 * up as the policies look them up; a row handed back holds values in the ranges the lookups promise, a refusal
 * comes back with a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_codectab.h"
#include "sr_learntab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    if (size > (1u << 20)) return 0;
    if (fuzz_tmpfile(data, size, ".db", path, sizeof path) != 0) return 0;
    sr_codectab_row r;
    err[0] = '\0';
    if (sr_codectab_lookup(path, "mobilenetv2", "features.3.add", "quant4", &r, err, sizeof err) == SR_OK) {
        if (r.elements < 1 || r.frames < 1 || !(r.bits_per_element >= 0 && r.bits_per_element <= 1024) ||
            !(r.encode_s_per_element >= 0 && r.encode_s_per_element <= 1) ||
            !(r.decode_s_per_element >= 0 && r.decode_s_per_element <= 1))
            abort();
    } else if (err[0] == '\0') {
        abort();
    }
    sr_stage_row *rows = NULL;
    int n = 0;
    err[0] = '\0';
    if (sr_learntab_lookup(path, "lenet5", "c", &rows, &n, err, sizeof err) == SR_OK) {
        if (n < 1 || rows == NULL) abort();
        for (int k = 0; k < n; k++)
            if (rows[k].acquired < 1 || !(rows[k].upload_fraction >= 0 && rows[k].upload_fraction <= 1) ||
                rows[k].push_bytes < 0 || rows[k].epochs < 0 || (k > 0 && rows[k].stage <= rows[k - 1].stage))
                abort();
        free(rows);
    } else if (rows != NULL || err[0] == '\0') {
        abort();
    }
    fuzz_unlink_db(path);
    return 0;
}
