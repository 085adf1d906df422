/* replay_main.c: runs a libFuzzer target's LLVMFuzzerTestOneInput over every file of the kept corpus
 * (tests/codec/corpus: seeds and every crashing input found so far), so that the normal test suite - and
 * its ASan+UBSan run - replays them without clang or libFuzzer. Fails when the corpus is missing. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus folder; a target elsewhere (tests/net) compiles this file with its own SR_CORPUS_DIR. */
#ifndef SR_CORPUS_DIR
#define SR_CORPUS_DIR SR_SOURCE_DIR "/tests/codec/corpus"
#endif

int main(void)
{
    const char *dir_path = SR_CORPUS_DIR;
    DIR *dir = opendir(dir_path);
    if (!dir) {
        fprintf(stderr, "cannot open corpus %s\n", dir_path);
        return 1;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.' || strstr(de->d_name, ".md")) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir_path, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        uint8_t *buf = malloc(1 << 20);
        size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
        fclose(f);
        if (!buf) return 1;
        /* every prefix too: truncated streams are the commonest corruption */
        for (size_t k = 0; k <= len; k += (len > 256 ? len / 64 : 1)) LLVMFuzzerTestOneInput(buf, k);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    closedir(dir);
    printf("replayed %d corpus files\n", n);
    return n > 0 ? 0 : 1;
}
