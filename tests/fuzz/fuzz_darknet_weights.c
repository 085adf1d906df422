/* fuzz_darknet_weights.c: libFuzzer target for the darknet importer with a .weights file: the first two bytes
 * give the length of the .cfg that follows them, the rest is the .weights file (header, then the floats the .cfg
 * asks for). fuzz_darknet covers the .cfg alone; here the .cfg decides how many floats the weights must hold. A
 * rejected pair comes back with a message and no graph. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_darknet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    size_t k = (size_t)data[0] << 8 | data[1];
    if (k > size - 2) k = size - 2;
    char cp[64], wp[64], err[512] = "";
    if (fuzz_tmpfile(data + 2, k, ".cfg", cp, sizeof cp) != 0) return 0;
    if (fuzz_tmpfile(data + 2 + k, size - 2 - k, ".weights", wp, sizeof wp) != 0) {
        unlink(cp);
        return 0;
    }
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    if (sr_darknet_load(cp, wp, 1, &g, &w, err, sizeof err) == SR_OK) {
        sr_weights_free(w);
        sr_graph_free(g);
    } else if (g != NULL || w != NULL || err[0] == '\0') {
        abort();
    }
    unlink(cp);
    unlink(wp);
    return 0;
}
