/* sr_rans_core.h: the rANS engine shared by the rANS coder and the zero-run + rANS coder (internal to
 * models/codec; see sr_entropy.h for the block formats built on it).
 *
 * A token stream is coded with SR_RANS_WAYS interleaved 32-bit states, kept in [2^16, 2^32) and
 * renormalised by 16-bit words (at most one per token). Token i is coded by state i % SR_RANS_WAYS with
 * table (i % n_ctx): one table for plain symbols, two alternating tables (run lengths, values) for
 * zero-run groups. All tables share one scale M = 2^scale_bits, 12 <= scale_bits <= 16.
 *
 * Body layout (after the caller's own header): u8 scale_bits; per table: varint k (used symbols),
 * k x (varint symbol delta, varint freq - 1); varint w (renormalisation words); the SR_RANS_WAYS final
 * states as little-endian u32 (state 0 first); w little-endian u16 words in decoding order.
 * The decoder checks that every state ends at 2^16 (where the encoder started) and that it consumed
 * every word. */
#ifndef SR_RANS_CORE_H
#define SR_RANS_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_bytes.h"

#define SR_RANS_WAYS 16
#define SR_RANS_MAX_CTX 2
#define SR_RANS_MAX_USED (1u << 16) /* used symbols per table (the largest scale) */

/* Codes tok[0..n) with n_ctx tables (n >= n_ctx: every table codes at least one token); counts[c]
 * (alphabet[c] counters) are the occurrences of each symbol among the tokens of table c, every token of
 * table c must be < alphabet[c]. Appends the body to out. SR_ERR_RANGE when a table uses more than
 * SR_RANS_MAX_USED symbols, SR_ERR_NOMEM. */
sr_status sr_rans_core_encode(const uint32_t *tok, size_t n, int n_ctx, const uint64_t *const *counts,
                              const size_t *alphabet, sr_wbuf *out);

/* Decodes n tokens (the caller read n from its own header) into tok[0..n), reading the body from in.
 * max_sym[c]: symbols of table c must be below it (SR_ERR_CORRUPT otherwise). Any inconsistency is
 * SR_ERR_CORRUPT, never a read outside the buffer. */
sr_status sr_rans_core_decode(sr_rbuf *in, size_t n, int n_ctx, const uint32_t *max_sym, uint32_t *tok);
/* The decoding loop: 0 (default) takes the AVX2 loop where the CPU has AVX2 and POPCNT, 1 the portable scalar
 * loop on every machine, so that tests and benchmarks on an AVX2 host run the loop other hosts run (both
 * decode the same format: test_entropy runs every case both ways). Process-wide; returns the previous
 * setting. */
int sr_rans_core_scalar_only(int on);

#endif
