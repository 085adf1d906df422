/* fuzz_darknet.c: libFuzzer target for the darknet .cfg importer (no weights file: random weights from a
 * seed). Every input is loaded as a graph alone, as `simrun validate` does; a graph whose weights fit in
 * 64 MiB is loaded again with them, as a run does. (A cfg may ask for up to SR_DARKNET_MAX_PARAMS, 4 GiB of
 * weights, more than libFuzzer's memory limit: test_darknet's test_parameter_limit covers those.) A rejected
 * file comes back with a message and no graph. */
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
    if (sr_darknet_load(path, NULL, 1, &g, NULL, err, sizeof err) != SR_OK) {
        if (g != NULL || err[0] == '\0') abort();
        unlink(path);
        return 0;
    }
    int64_t floats = 0;
    for (int id = 0; id < sr_graph_node_count(g); id++) {
        int64_t n = sr_weights_node_count(g, id);
        if (n < 0) abort();
        floats += n;
    }
    if (floats > SR_DARKNET_MAX_PARAMS) abort();
    const int64_t n_nodes = sr_graph_node_count(g);
    sr_graph_free(g);
    g = NULL;
    if (floats <= ((int64_t)1 << 24)) {
        if (sr_darknet_load(path, NULL, 1, &g, &w, err, sizeof err) != SR_OK || g == NULL || w == NULL ||
            sr_graph_node_count(g) != n_nodes)
            abort(); /* the graph alone loaded; with its weights it must too */
        sr_weights_free(w);
        sr_graph_free(g);
    }
    unlink(path);
    return 0;
}
