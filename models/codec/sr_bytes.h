/* sr_bytes.h: growable byte writer and bounds-checked byte reader used by every codec bitstream.
 *
 * The writer records an out-of-memory condition in a sticky flag (checked once at the end) so that
 * encoders read straight through. Every reader accessor returns SR_ERR_CORRUPT instead of reading
 * past the end, which is how decoders turn truncated input into an error. Integers are little-endian;
 * varints are LEB128 (at most 10 bytes, overlong or overflowing encodings are rejected). */
#ifndef SR_BYTES_H
#define SR_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

typedef struct {
    uint8_t *data; /* owned; hand it to the caller with sr_wbuf_take() or release with sr_wbuf_free() */
    size_t len;
    size_t cap;
    int oom; /* sticky: set when a growth failed */
} sr_wbuf;

typedef struct {
    const uint8_t *data; /* borrowed */
    size_t len;
    size_t pos;
} sr_rbuf;

void sr_wbuf_init(sr_wbuf *b);
void sr_wbuf_free(sr_wbuf *b);
/* Ensures room for `extra` more bytes; returns a pointer to the first free byte or NULL (oom set). */
uint8_t *sr_wbuf_reserve(sr_wbuf *b, size_t extra);
void sr_wbuf_put(sr_wbuf *b, const void *p, size_t n);
void sr_wbuf_u8(sr_wbuf *b, uint8_t v);
void sr_wbuf_u32(sr_wbuf *b, uint32_t v);
void sr_wbuf_f32(sr_wbuf *b, float v);
void sr_wbuf_varint(sr_wbuf *b, uint64_t v);
/* SR_ERR_NOMEM if any write failed, else SR_OK. */
sr_status sr_wbuf_status(const sr_wbuf *b);

void sr_rbuf_init(sr_rbuf *r, const uint8_t *data, size_t len);
size_t sr_rbuf_left(const sr_rbuf *r);
sr_status sr_rbuf_get(sr_rbuf *r, void *p, size_t n);
/* Borrowed view of the next n bytes (advances). */
sr_status sr_rbuf_view(sr_rbuf *r, size_t n, const uint8_t **p);
sr_status sr_rbuf_u8(sr_rbuf *r, uint8_t *v);
sr_status sr_rbuf_u32(sr_rbuf *r, uint32_t *v);
/* Rejects NaN and infinities (SR_ERR_CORRUPT): codec side info is always finite. */
sr_status sr_rbuf_f32(sr_rbuf *r, float *v);
sr_status sr_rbuf_varint(sr_rbuf *r, uint64_t *v);
/* Varint that must be <= max. */
sr_status sr_rbuf_varint_max(sr_rbuf *r, uint64_t max, uint64_t *v);

#endif
