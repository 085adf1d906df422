/* sr_zrle.h: zero-run coding of symbol streams (post-ReLU maps are mostly zeros).
 *
 * A stream of n symbols becomes two streams: run tokens and values. A token r < SR_ZRLE_RUN_ESC means
 * "r zeros, then the next value" (no value when the stream ends there); the token SR_ZRLE_RUN_ESC means
 * "SR_ZRLE_RUN_ESC zeros, run continues". Values are the non-zero symbols minus one. Both streams are
 * then entropy coded separately. */
#ifndef SR_ZRLE_H
#define SR_ZRLE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

#define SR_ZRLE_RUN_ESC 255u

/* runs needs room for n + 1 tokens, vals for n values. */
void sr_zrle_split(const uint32_t *sym, size_t n, uint32_t *runs, size_t *n_runs, uint32_t *vals, size_t *n_vals);
/* Rebuilds exactly n symbols; SR_ERR_CORRUPT when the streams do not describe n symbols exactly. */
sr_status sr_zrle_join(const uint32_t *runs, size_t n_runs, const uint32_t *vals, size_t n_vals, uint32_t *sym,
                       size_t n);

#endif
