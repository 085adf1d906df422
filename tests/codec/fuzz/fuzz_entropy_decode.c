/* fuzz_entropy_decode.c: libFuzzer target for the entropy decoders (Huffman, rANS, bitpack, zstd,
 * zero-run + rANS) on
 * arbitrary bytes; the first byte picks the coder. */
#include <stddef.h>
#include <stdint.h>

#include "sr_entropy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint32_t sym[4096];
    if (size < 1)
        return 0;
    sr_rbuf r;
    sr_rbuf_init(&r, data + 1, size - 1);
    size_t n;
    switch (data[0] % 5) {
    case 0:
        (void)sr_huff_decode(&r, sym, 4096, &n);
        break;
    case 1:
        (void)sr_rans_decode(&r, sym, 4096, &n);
        break;
    case 2:
        (void)sr_bitpack_decode(&r, sym, 4096, &n);
        break;
    case 3:
        (void)sr_zstd_decode(&r, sym, 4096, &n);
        break;
    default:
        (void)sr_zrans_decode(&r, sym, 4096, &n);
        break;
    }
    return 0;
}
