/* replay_main.c: runs a libFuzzer target's LLVMFuzzerTestOneInput over every file of its kept corpus (seeds and
 * every crashing input found so far; SR_CORPUS_DIR, tests/codec/corpus by default), each file whole and cut at
 * many lengths, then over its grown corpus (SR_GROWN_DIR, tests/fuzz/grown/<target>: the inputs the campaigns
 * found that reach code the kept corpus does not, minimized by `scripts/fuzz.sh grow`), each file whole. So the
 * normal test suite - and its ASan+UBSan run - replays them without clang or libFuzzer. Fails when a folder is
 * missing or empty. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus folder; a target elsewhere (tests/net, tests/fuzz) compiles this file with its own SR_CORPUS_DIR. */
#ifndef SR_CORPUS_DIR
#define SR_CORPUS_DIR SR_SOURCE_DIR "/tests/codec/corpus"
#endif

/* Replays every file of dir_path (README.md and dot files aside): whole, and with prefixes also cut at up to 65
 * lengths (every length under 257 bytes), truncated inputs being the commonest corruption. Returns the number of
 * files, or -1 when the folder cannot be read. */
static int replay_dir(const char *dir_path, int prefixes)
{
    DIR *dir = opendir(dir_path);
    if (!dir) {
        fprintf(stderr, "cannot open corpus %s\n", dir_path);
        return -1;
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
        if (!buf) {
            closedir(dir);
            return -1;
        }
        if (prefixes)
            for (size_t k = 0; k < len; k += (len > 256 ? len / 64 : 1)) LLVMFuzzerTestOneInput(buf, k);
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        n++;
    }
    closedir(dir);
    return n;
}

int main(void)
{
    int kept = replay_dir(SR_CORPUS_DIR, 1);
    if (kept <= 0) return 1;
    printf("replayed %d kept corpus files (%s)\n", kept, SR_CORPUS_DIR);
#ifdef SR_GROWN_DIR
    int grown = replay_dir(SR_GROWN_DIR, 0);
    if (grown <= 0) {
        fprintf(stderr, "the grown corpus %s is missing or empty\n", SR_GROWN_DIR);
        return 1;
    }
    printf("replayed %d grown corpus files (%s)\n", grown, SR_GROWN_DIR);
#endif
    return 0;
}
