/* sr_hist.h: symbol histograms shared by the entropy coders (internal to models/codec).
 *
 * The histogram keeps SR_HIST_SEGS tables, one per contiguous quarter of the stream (the segments the
 * 4-stream Huffman coder codes separately), filled in one interleaved loop: four independent increments
 * per step instead of one long chain of read-modify-writes on the same few hot counters. Streams of
 * symbols below 256 (quantised activations, the common case) take one pass; wider ones a pass for the
 * largest symbol (which sizes the tables) and one to count. */
#ifndef SR_HIST_H
#define SR_HIST_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

#define SR_HIST_SEGS 4

/* First symbol of segment j (0..SR_HIST_SEGS) of a stream of n symbols: floor(n * j / SR_HIST_SEGS). */
size_t sr_hist_seg_start(size_t n, int j);

/* Histograms of sym[0..n): *alphabet = largest symbol + 1 (1 when n == 0) and *counts = SR_HIST_SEGS
 * tables of *alphabet counters, (*counts)[j * *alphabet + s] = occurrences of s in segment j (caller
 * frees *counts). SR_ERR_RANGE if a symbol is >= SR_SYM_MAX, SR_ERR_NOMEM; nothing to free then. */
sr_status sr_hist_build(const uint32_t *sym, size_t n, size_t *alphabet, uint64_t **counts);

#endif
