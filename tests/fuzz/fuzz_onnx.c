/* fuzz_onnx.c: libFuzzer target for the ONNX importer: any bytes as model.onnx. A rejected file comes back
 * with a message and nothing allocated; declared sizes are never trusted before the bytes are there. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_tmpfile.h"
#include "sr_onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512] = "";
    if (fuzz_tmpfile(data, size, ".onnx", path, sizeof path) != 0) return 0;
    sr_graph *g = NULL;
    sr_weights *w = NULL;
    if (sr_onnx_load(path, &g, &w, err, sizeof err) == SR_OK) {
        sr_weights_free(w);
        sr_graph_free(g);
    } else if (g != NULL || w != NULL || err[0] == '\0') {
        abort();
    }
    unlink(path);
    return 0;
}
