/* fuzz_config.c: libFuzzer target for the experiment YAML: sr_config_load_string (parse, tables, sweep,
 * validation as `simrun validate` runs it) and, when it accepts the file, the resolved experiment of its
 * first points as `simrun run` builds them. A rejected file must come back with a message, never a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0; /* experiments are small; big ones only slow the fuzzer down */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    FILE *sink = fopen("/dev/null", "w");
    sr_config *c = NULL;
    if (sr_config_load_string("fuzz.yaml", text, sink, &c) == SR_OK) {
        int n = sr_config_point_count(c);
        for (int i = 0; i < n && i < 3; i++) {
            sr_experiment *e = NULL;
            if (sr_config_experiment(c, i, &e) != SR_OK) abort(); /* validated at load: must build */
            sr_experiment_free(e);
        }
        sr_config_free(c);
    } else if (c != NULL) {
        abort();
    }
    if (sink) fclose(sink);
    free(text);
    return 0;
}
