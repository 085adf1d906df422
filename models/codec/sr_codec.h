/* sr_codec.h: activation codec pipelines (fp32 tensors c x h x w <-> byte streams) and error metrics.
 *
 * A pipeline is named by a string of stages joined by '+', in this order (each part optional):
 *   transform  raw (none) | dct8 | dct<B> (B x B blocks) | dct (whole map) | klt | klt<K> (keep K
 * components); klt[.key]: inside inter(...), fit the basis on key frames only and reuse it on P frames
 *   quantizer  quant<b>[.pc][.clip<P>]  uniform, b = 1..16 bits, per tensor or per channel (.pc),
 *                                       min/max or the [100-P, P] percentile range
 *              lloyd<b>[.pc]             Lloyd-Max, b = 1..12
 *              mulaw<b>[.pc][.mu<M>]     mu-law companding (default mu 255) + uniform
 *   zrle       zero-run coding of the symbols (needs a quantizer)
 *   entropy    huffman | rans | zstd[<L>] (needs a quantizer; without one, symbols are bit-packed)
 * A pipeline without a quantizer sends the (transformed) floats raw ("raw" alone is bit-exact). Examples:
 * "quant8", "quant8+zrle+rans", "dct8+quant6+huffman", "klt+quant8+rans". inter(<pipeline>,key=K) codes every
 * K-th frame (and the first) as a key frame and the others as the residual against the previous frame's
 * *reconstruction*; the encoder decodes its own output to keep its reference identical to the decoder's.
 *
 * One sr_codec holds an encoder side and a decoder side, which never share state, so one object can
 * play both ends of a link (or use two objects, one per end). Streams are self-checking: the decoder
 * validates every length, index and symbol and returns SR_ERR_CORRUPT for truncated or altered input
 * (never reading out of bounds). */
#ifndef SR_CODEC_H
#define SR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct sr_codec sr_codec;

/* Parses `pipeline` for tensors of c x h x w. On a bad name, SR_ERR_INVALID with the reason in err
 * (err may be NULL). Caller frees *out with sr_codec_free(). */
sr_status sr_codec_create(const char *pipeline, int c, int h, int w, sr_codec **out, char *err,
                          size_t err_size);
void sr_codec_free(sr_codec *c); /* NULL is a no-op */

/* Encodes the next frame x (c*h*w floats, borrowed). *bytes is malloc'ed: caller frees with free(). */
sr_status sr_codec_encode(sr_codec *c, const float *x, uint8_t **bytes, size_t *n_bytes);
/* Decodes one frame (in stream order) into y (c*h*w floats, caller-provided). On an error the decoder
 * side keeps its previous state. */
sr_status sr_codec_decode(sr_codec *c, const uint8_t *bytes, size_t n_bytes, float *y);

/* Encoder-side reconstruction of the last encoded frame (c*h*w floats, borrowed, valid until the next
 * encode); NULL for pipelines that are not inter(...). */
const float *sr_codec_encoder_recon(const sr_codec *c);
/* 1 if the last encoded frame was a key frame. */
int sr_codec_last_was_key(const sr_codec *c);
/* Forgets all inter-frame state on both sides (the next frame is a key frame). */
void sr_codec_reset(sr_codec *c);
/* Canonical pipeline name (borrowed). */
const char *sr_codec_name(const sr_codec *c);
/* 1 when decode(encode(x)) == x bit for bit (no transform, no quantizer). */
int sr_codec_is_lossless(const sr_codec *c);

/* The grammar above as a table (sr_codec_grammar.c), one row per stage form, in pipeline order; every example
 * parses. For `simrun list codecs` and the docs. Rows are static (borrowed). */
typedef struct sr_codec_stage_doc {
    const char *stage;   /* "transform", "quantizer", "zrle", "entropy", "inter" */
    const char *syntax;  /* "quant<b>[.pc][.clip<P>]" */
    const char *meaning; /* one line */
    const char *example; /* a whole pipeline using it: "quant8.pc.clip99" */
} sr_codec_stage_doc;
int sr_codec_grammar_count(void);
const sr_codec_stage_doc *sr_codec_grammar_at(int i); /* NULL out of range */

/* Metrics between a reference x and a reconstruction y of n floats. SNR = 10 log10(sum x^2 /
 * sum (x-y)^2) in dB (INFINITY when identical); relative L2 = ||x-y|| / ||x|| (0 when x is all zero and
 * y equals it). */
double sr_metric_snr_db(const float *x, const float *y, size_t n);
double sr_metric_max_abs_err(const float *x, const float *y, size_t n);
double sr_metric_rel_l2(const float *x, const float *y, size_t n);

#endif
