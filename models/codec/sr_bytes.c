/* sr_bytes.c: growable byte writer and bounds-checked reader (see sr_bytes.h). */
#include "sr_bytes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sr_wbuf_init(sr_wbuf *b) { memset(b, 0, sizeof *b); }

void sr_wbuf_free(sr_wbuf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

uint8_t *sr_wbuf_reserve(sr_wbuf *b, size_t extra)
{
    if (b->oom)
        return NULL;
    if (extra > SIZE_MAX - b->len) {
        b->oom = 1;
        return NULL;
    }
    if (b->len + extra > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra)
            cap = cap > SIZE_MAX / 2 ? b->len + extra : cap * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void sr_wbuf_put(sr_wbuf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    uint8_t *d = sr_wbuf_reserve(b, n);
    if (!d)
        return;
    memcpy(d, p, n);
    b->len += n;
}

void sr_wbuf_u8(sr_wbuf *b, uint8_t v) { sr_wbuf_put(b, &v, 1); }

void sr_wbuf_u32(sr_wbuf *b, uint32_t v)
{
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    sr_wbuf_put(b, t, 4);
}

void sr_wbuf_f32(sr_wbuf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    sr_wbuf_u32(b, u);
}

void sr_wbuf_varint(sr_wbuf *b, uint64_t v)
{
    uint8_t t[10];
    int n = 0;
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        t[n++] = (uint8_t)(byte | (v ? 0x80 : 0));
    } while (v);
    sr_wbuf_put(b, t, (size_t)n);
}

sr_status sr_wbuf_status(const sr_wbuf *b) { return b->oom ? SR_ERR_NOMEM : SR_OK; }

void sr_rbuf_init(sr_rbuf *r, const uint8_t *data, size_t len)
{
    r->data = data;
    r->len = data ? len : 0;
    r->pos = 0;
}

size_t sr_rbuf_left(const sr_rbuf *r) { return r->len - r->pos; }

sr_status sr_rbuf_view(sr_rbuf *r, size_t n, const uint8_t **p)
{
    if (n > sr_rbuf_left(r))
        return SR_ERR_CORRUPT;
    *p = r->data + r->pos;
    r->pos += n;
    return SR_OK;
}

sr_status sr_rbuf_get(sr_rbuf *r, void *p, size_t n)
{
    const uint8_t *s;
    sr_status st = sr_rbuf_view(r, n, &s);
    if (st == SR_OK && n)
        memcpy(p, s, n);
    return st;
}

sr_status sr_rbuf_u8(sr_rbuf *r, uint8_t *v) { return sr_rbuf_get(r, v, 1); }

sr_status sr_rbuf_u32(sr_rbuf *r, uint32_t *v)
{
    uint8_t t[4];
    sr_status st = sr_rbuf_get(r, t, 4);
    if (st)
        return st;
    *v = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
    return SR_OK;
}

sr_status sr_rbuf_f32(sr_rbuf *r, float *v)
{
    uint32_t u;
    sr_status st = sr_rbuf_u32(r, &u);
    if (st)
        return st;
    memcpy(v, &u, 4);
    return isfinite(*v) ? SR_OK : SR_ERR_CORRUPT;
}

sr_status sr_rbuf_varint(sr_rbuf *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        uint8_t b;
        if (sr_rbuf_u8(r, &b))
            return SR_ERR_CORRUPT;
        if (i == 9 && (b & 0x7e))
            return SR_ERR_CORRUPT; /* more than 64 bits */
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return SR_OK;
        }
    }
    return SR_ERR_CORRUPT;
}

sr_status sr_rbuf_varint_max(sr_rbuf *r, uint64_t max, uint64_t *v)
{
    sr_status st = sr_rbuf_varint(r, v);
    if (st)
        return st;
    return *v > max ? SR_ERR_CORRUPT : SR_OK;
}
