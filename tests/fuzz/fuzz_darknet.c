/* fuzz_darknet.c: libFuzzer target for the darknet .cfg importer (no weights file: random weights from a
 * seed). A rejected file comes back with a message and no graph. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_darknet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512] = "";
    if (fuzz_tmpfile(data, size, ".cfg", path, sizeof path) != 0) return 0;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    if (sr_darknet_load(path, NULL, 1, &g, &w, err, sizeof err) == SR_OK) {
        sr_weights_free(w);
        sr_graph_free(g);
    } else if (g != NULL || w != NULL || err[0] == '\0') {
        abort();
    }
    unlink(path);
    return 0;
}
