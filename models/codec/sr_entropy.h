/* sr_entropy.h: lossless coders for streams of integer symbols (the output of a quantizer).
 *
 * Symbols are uint32 values below SR_SYM_MAX. Every coder writes a self-describing block (symbol
 * count, table header, payload length) to an sr_wbuf and reads it back from an sr_rbuf; a decoder
 * given `cap` never writes more than `cap` symbols and returns SR_ERR_CORRUPT for any inconsistent
 * header, truncated payload or invalid code, never reading outside the buffer.
 *
 *   huffman: canonical Huffman, code lengths limited to SR_HUFF_MAX_LEN bits; header lists the used
 *            symbols (delta-coded) with their code lengths; the stream is coded as 4 bit streams (one per
 *            quarter of the symbols) decoded side by side with a lookup table (bitstream format 2).
 *   rans:    static order-0 rANS, 16 interleaved 32-bit states with 16-bit renormalisation; header lists
 *            the used symbols (at most 65536) with frequencies normalised to 2^scale_bits (12..16);
 *            table-driven decoding, 8 states per AVX2 register where the CPU has it; the decoder checks
 *            the final states (bitstream format 3, sr_rans_core.h).
 *   zrans:   zero-run + rANS: (zero run, value) groups as one token stream on the same engine, two
 *            tables (format 3, sr_zrans.c).
 * Both are written to run at the speed of a general-purpose library: bench/codecs measures them against
 * libzstd level 1 on the same buffers (bench/README.md).
 *   bitpack: fixed-width packing with the width of the largest symbol (no modelling).
 *   zstd:    symbols packed into 1, 2 or 3 bytes and compressed with libzstd (a general-purpose anchor). */
#ifndef SR_ENTROPY_H
#define SR_ENTROPY_H

#include <stddef.h>
#include <stdint.h>

#include "sr_bytes.h"

#define SR_SYM_MAX (1u << 17)
#define SR_HUFF_MAX_LEN 24

sr_status sr_huff_encode(const uint32_t *sym, size_t n, sr_wbuf *out);
sr_status sr_huff_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n);

sr_status sr_rans_encode(const uint32_t *sym, size_t n, sr_wbuf *out);
sr_status sr_rans_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n);

/* Zero-run + rANS in one block: (run, value) groups coded as one token stream with two tables, or the
 * plain symbols where zeros are too few for runs to pay (sr_zrans.c). */
sr_status sr_zrans_encode(const uint32_t *sym, size_t n, sr_wbuf *out);
sr_status sr_zrans_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n);

sr_status sr_bitpack_encode(const uint32_t *sym, size_t n, sr_wbuf *out);
sr_status sr_bitpack_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n);

/* level: libzstd compression level (1..19). */
sr_status sr_zstd_encode(const uint32_t *sym, size_t n, int level, sr_wbuf *out);
sr_status sr_zstd_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n);

/* Order-0 empirical entropy of the stream in bits per symbol, and the largest symbol probability
 * (both 0 for an empty stream). SR_ERR_RANGE if a symbol is >= SR_SYM_MAX. */
sr_status sr_entropy_order0(const uint32_t *sym, size_t n, double *bits_per_symbol, double *p_max);

/* Code lengths the Huffman encoder would use: lengths[s] for s < alphabet (0 for unused symbols).
 * For tests and benchmarks. */
sr_status sr_huff_code_lengths(const uint32_t *sym, size_t n, uint8_t *lengths, size_t alphabet);

#endif
