/* sr_quant.h: scalar quantizers turning fp32 tensors into integer symbols and back.
 *
 * A tensor is c channels of m values each. Parameters are fitted per tensor or per channel (a "group")
 * and written as side info; the decoder reads them back and validates every symbol.
 *   uniform: 2^bits levels over [min, max] of the group, or over a clipped range [p(100-clip), p(clip)]
 *            (percentiles). When the range contains 0, the grid is shifted so that 0 is a level
 *            (integer zero point); every value inside the range is then within step/2 of its level.
 *   lloyd:   2^bits non-uniform levels fitted by Lloyd-Max iterations (on a fine histogram) per group;
 *            the level nearest 0 is snapped to 0 when the range contains 0. bits <= 12.
 *   mulaw:   mu-law companding y = sign(x) ln(1 + mu |x| / A) / ln(1 + mu), A = max |x|, followed by the
 *            uniform quantizer on y.
 * Symbols are rotated so that the level of value 0 (when present) is symbol 0, which is what zero-run
 * coding relies on; every symbol is < 2^bits.
 * Fixed step (uniform only; used for inter-frame residuals): with fixed_step non-NULL, group g uses the
 * step fixed_step[g] on a grid through 0 and as many bits as its range needs (up to 16; values beyond
 * are clamped), so that small residuals cost few bits instead of being re-spread over 2^bits levels. */
#ifndef SR_QUANT_H
#define SR_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "sr_bytes.h"

typedef enum { SR_QUANT_UNIFORM, SR_QUANT_LLOYD, SR_QUANT_MULAW, SR_QUANT_KIND_COUNT } sr_quant_kind;

typedef struct {
    sr_quant_kind kind;
    int bits;         /* 1..16 (lloyd: 1..12) */
    int per_channel;  /* 0: one group for the tensor; 1: one group per channel */
    double clip_pct;  /* uniform/mulaw: 0 = min/max; else keep the [100-clip, clip] percentile range */
    double mu;        /* mulaw: companding constant (e.g. 255) */
    int lloyd_iters;  /* lloyd: iterations (e.g. 20) */
    const float *fixed_step; /* uniform: per-group steps (borrowed) or NULL */
} sr_quant_params;

/* SR_ERR_INVALID when a parameter is out of range. */
sr_status sr_quant_check(const sr_quant_params *p);

/* Quantizes x (c*m floats, channel-major) into sym (c*m symbols) and appends the side info to side.
 * steps_out (may be NULL; one float per group) receives the uniform step of each group (0 for other
 * kinds). Non-finite inputs give SR_ERR_INVALID. */
sr_status sr_quant_encode(const sr_quant_params *p, const float *x, int c, size_t m, uint32_t *sym,
                          sr_wbuf *side, float *steps_out);
/* Reads the side info from side and reconstructs y (c*m floats) from sym. SR_ERR_CORRUPT on invalid
 * side info or a symbol >= 2^bits. */
sr_status sr_quant_decode(const sr_quant_params *p, sr_rbuf *side, const uint32_t *sym, int c, size_t m,
                          float *y);

#endif
