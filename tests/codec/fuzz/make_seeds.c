/* make_seeds.c: writes the decoder fuzz targets' seeds into a corpus folder (tests/codec/corpus), so that
 * a change of a bitstream format regenerates them in one step: `build/tests/codec/make_seeds
 * tests/codec/corpus`.
 *   codec_seed_<i>:   pipeline index i of fuzz_codec_decode's table, then one encoded 4x6x10 frame
 *                     (a post-ReLU-like pattern: a third zeros, the rest spread over a few units).
 *   entropy_seed_<i>: coder i of fuzz_entropy_decode (0 Huffman, 1 rANS, 2 bitpack, 3 zstd, 4 and 5
 *                     zero-run + rANS), then 300 skewed symbols - more than the coders' group sizes, so
 *                     the seeds reach their fast loops and their tails (seed 5: 90 % zeros, the group
 *                     mode). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_codec.h"
#include "sr_entropy.h"

/* Same table, same order as fuzz_codec_decode.c. */
static const char *pipes[] = {"quant8", "quant8+zrle+rans", "dct8+quant6+huffman", "klt+quant8+rans",
                              "lloyd4+zrle+zstd", "mulaw6.pc+huffman", "raw", "inter(quant6+zrle+rans,key=3)"};

static int write_seed(const char *dir, const char *name, int idx, uint8_t tag, const uint8_t *b, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%d", dir, name, idx);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&tag, 1, 1, f) != 1 || fwrite(b, 1, n, f) != n) {
        fprintf(stderr, "make_seeds: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    return fclose(f) != 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
        return 2;
    }
    float x[4 * 6 * 10];
    for (int i = 0; i < 4 * 6 * 10; i++)
        x[i] = i % 3 == 0 ? 0.0f : (float)((i * 37) % 11) * 0.25f;
    int bad = 0;
    for (int p = 0; p < 8; p++) {
        sr_codec *c;
        uint8_t *b = NULL;
        size_t nb = 0;
        if (sr_codec_create(pipes[p], 4, 6, 10, &c, NULL, 0) != SR_OK)
            return 1;
        if (sr_codec_encode(c, x, &b, &nb) != SR_OK)
            return 1;
        bad |= write_seed(argv[1], "codec_seed", p, (uint8_t)p, b, nb);
        free(b);
        sr_codec_free(c);
    }
    uint32_t s[300];
    for (int i = 0; i < 300; i++)
        s[i] = (uint32_t)((i * 7919u) % 97u) % 13u / 3u;
    typedef sr_status (*enc_fn)(const uint32_t *, size_t, sr_wbuf *);
    enc_fn enc[3] = {sr_huff_encode, sr_rans_encode, sr_bitpack_encode};
    uint32_t sparse[300];
    for (int i = 0; i < 300; i++)
        sparse[i] = i % 10 == 3 ? 1 + (uint32_t)i % 7 : 0;
    for (int k = 0; k < 6; k++) {
        sr_wbuf w;
        sr_wbuf_init(&w);
        sr_status st = k < 3    ? enc[k](s, 300, &w)
                       : k == 3 ? sr_zstd_encode(s, 300, 3, &w)
                                : sr_zrans_encode(k == 4 ? s : sparse, 300, &w);
        if (st != SR_OK) return 1;
        bad |= write_seed(argv[1], "entropy_seed", k, (uint8_t)(k < 5 ? k : 4), w.data, w.len);
        sr_wbuf_free(&w);
    }
    return bad;
}
