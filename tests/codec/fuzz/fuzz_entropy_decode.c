/* fuzz_entropy_decode.c: libFuzzer target for the entropy decoders (Huffman, rANS, bitpack, zstd,
 * zero-run + rANS) on arbitrary bytes; the first byte picks the coder. The rANS coders decode each input
 * twice, with the AVX2 loop (where the CPU has it) and with the scalar loop: a different status or different
 * symbols is a finding. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sr_entropy.h"
#include "sr_rans_core.h"

typedef sr_status (*dec_fn)(sr_rbuf *, uint32_t *, size_t, size_t *);

/* dec on data with each loop: they must agree */
static void both_loops(dec_fn dec, const uint8_t *data, size_t size)
{
    static uint32_t a[4096], b[4096];
    size_t na = 0, nb = 0;
    sr_rbuf ra, rb;
    sr_rbuf_init(&ra, data, size);
    sr_rbuf_init(&rb, data, size);
    sr_rans_core_scalar_only(0);
    sr_status sa = dec(&ra, a, 4096, &na);
    sr_rans_core_scalar_only(1);
    sr_status sb = dec(&rb, b, 4096, &nb);
    sr_rans_core_scalar_only(0);
    if (sa != sb || (sa == SR_OK && (na != nb || memcmp(a, b, na * sizeof *a) != 0))) __builtin_trap();
}

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
        both_loops(sr_rans_decode, data + 1, size - 1);
        break;
    case 2:
        (void)sr_bitpack_decode(&r, sym, 4096, &n);
        break;
    case 3:
        (void)sr_zstd_decode(&r, sym, 4096, &n);
        break;
    default:
        both_loops(sr_zrans_decode, data + 1, size - 1);
        break;
    }
    return 0;
}
