/* sr_rune_wire.c: host-side encoders of a rune's boundary tensor (bincode-like and protobuf-c); see
 * sr_rune_wire.h. */
#include "sr_rune_wire.h"

#include <string.h>

#include "sr_rune_tensor.pb-c.h"

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static sr_status rust_encode(const sr_rune_tensor *t, uint8_t *b, size_t cap, size_t *len)
{
    size_t need = 8 + 8 * (size_t)t->rank + 8 + 4 * (size_t)t->n, o = 0;
    if (need > cap) return SR_ERR_RANGE;
    put_u64(b + o, (uint64_t)t->rank), o += 8;
    for (int i = 0; i < t->rank; i++) put_u64(b + o, (uint64_t)t->dims[i]), o += 8;
    put_u64(b + o, (uint64_t)t->n), o += 8;
    for (int i = 0; i < t->n; i++) {
        uint32_t u;
        memcpy(&u, &t->data[i], 4);
        for (int k = 0; k < 4; k++) b[o + (size_t)k] = (uint8_t)(u >> (8 * k));
        o += 4;
    }
    *len = o;
    return SR_OK;
}

static sr_status rust_decode(const uint8_t *b, size_t len, sr_rune_tensor *t)
{
    if (len < 8) return SR_ERR_CORRUPT;
    uint64_t r = get_u64(b);
    size_t o = 8;
    if (r > SR_RUNE_WIRE_MAX_RANK || len < o + 8 * r + 8) return SR_ERR_CORRUPT;
    t->rank = (int)r;
    for (int i = 0; i < t->rank; i++) t->dims[i] = (int64_t)get_u64(b + o), o += 8;
    uint64_t n = get_u64(b + o);
    o += 8;
    if (n > SR_RUNE_WIRE_MAX_ELEMS || len != o + 4 * n) return SR_ERR_CORRUPT;
    t->n = (int)n;
    for (int i = 0; i < t->n; i++) {
        uint32_t u = 0;
        for (int k = 0; k < 4; k++) u |= (uint32_t)b[o + (size_t)k] << (8 * k);
        memcpy(&t->data[i], &u, 4);
        o += 4;
    }
    return SR_OK;
}

static sr_status pb_encode(const sr_rune_tensor *t, uint8_t *b, size_t cap, size_t *len)
{
    Simrun__Rune__Tensor msg;
    simrun__rune__tensor__init(&msg);
    msg.n_dims = (size_t)t->rank, msg.dims = (int64_t *)t->dims;
    msg.n_data = (size_t)t->n, msg.data = (float *)t->data;
    size_t need = simrun__rune__tensor__get_packed_size(&msg);
    if (need > cap) return SR_ERR_RANGE;
    *len = simrun__rune__tensor__pack(&msg, b);
    return SR_OK;
}

static sr_status pb_decode(const uint8_t *b, size_t len, sr_rune_tensor *t)
{
    Simrun__Rune__Tensor *u = simrun__rune__tensor__unpack(NULL, len, b);
    sr_status st = SR_ERR_CORRUPT;
    if (u == NULL || u->n_dims > SR_RUNE_WIRE_MAX_RANK || u->n_data > SR_RUNE_WIRE_MAX_ELEMS) goto cleanup;
    t->rank = (int)u->n_dims, t->n = (int)u->n_data;
    if (u->n_dims) memcpy(t->dims, u->dims, u->n_dims * sizeof *t->dims);
    if (u->n_data) memcpy(t->data, u->data, u->n_data * sizeof *t->data);
    st = SR_OK;
cleanup:
    if (u) simrun__rune__tensor__free_unpacked(u, NULL);
    return st;
}

sr_status sr_rune_wire_encode(sr_rune_mode m, const sr_rune_tensor *t, uint8_t *buf, size_t cap, size_t *len)
{
    if (t == NULL || buf == NULL || len == NULL || t->rank < 0 || t->rank > SR_RUNE_WIRE_MAX_RANK || t->n < 0 ||
        t->n > SR_RUNE_WIRE_MAX_ELEMS)
        return SR_ERR_INVALID;
    if (m == SR_RUNE_RUST) return rust_encode(t, buf, cap, len);
    if (m == SR_RUNE_PROTOBUF) return pb_encode(t, buf, cap, len);
    return SR_ERR_INVALID;
}

sr_status sr_rune_wire_decode(sr_rune_mode m, const uint8_t *buf, size_t len, sr_rune_tensor *t)
{
    if (t == NULL || (buf == NULL && len > 0)) return SR_ERR_INVALID;
    if (m == SR_RUNE_RUST) return rust_decode(buf, len, t);
    if (m == SR_RUNE_PROTOBUF) return pb_decode(buf, len, t);
    return SR_ERR_INVALID;
}
