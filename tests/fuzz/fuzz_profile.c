/* fuzz_profile.c: libFuzzer target for device-profile files (calibration/profiles/NAME.yaml): a rejected file
 * comes back with a message and no profile; an accepted one can be written back out. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sr_profile_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    sr_profile *p = NULL;
    if (sr_profile_file_load_string((const char *)data, size, "fuzz.yaml", &p, err, sizeof err) == SR_OK) {
        FILE *sink = fopen("/dev/null", "w");
        if (sink) {
            sr_profile_file_emit(p, sink);
            fclose(sink);
        }
        sr_profile_file_free(p);
    } else if (p != NULL || err[0] == '\0') {
        abort();
    }
    return 0;
}
