/* sr_bitpack.c: fixed-width packing, the libzstd wrapper and the order-0 entropy helper (sr_entropy.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "sr_entropy.h"

static int width_of(uint32_t mx)
{
    int w = 0;
    while (w < 32 && (mx >> w))
        w++;
    return w;
}

sr_status sr_bitpack_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= SR_SYM_MAX)
            return SR_ERR_RANGE;
        mx = sym[i] > mx ? sym[i] : mx;
    }
    int w = width_of(mx);
    sr_wbuf_varint(out, n);
    sr_wbuf_u8(out, (uint8_t)w);
    size_t nbytes = (size_t)(((uint64_t)n * (uint64_t)w + 7) / 8);
    uint8_t *p = sr_wbuf_reserve(out, nbytes);
    if (!p)
        return SR_ERR_NOMEM;
    uint64_t acc = 0;
    int nacc = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = (acc << w) | sym[i];
        nacc += w;
        while (nacc >= 8) {
            nacc -= 8;
            p[o++] = (uint8_t)(acc >> nacc);
        }
    }
    if (nacc)
        p[o++] = (uint8_t)(acc << (8 - nacc));
    out->len += o;
    return sr_wbuf_status(out);
}

sr_status sr_bitpack_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n;
    uint8_t w;
    *n_out = 0;
    if (sr_rbuf_varint_max(in, cap, &n) || sr_rbuf_u8(in, &w) || w > 17)
        return SR_ERR_CORRUPT;
    size_t nbytes = (size_t)((n * w + 7) / 8);
    const uint8_t *p;
    if (sr_rbuf_view(in, nbytes, &p))
        return SR_ERR_CORRUPT;
    uint64_t acc = 0;
    int nacc = 0;
    size_t o = 0;
    uint32_t mask = w ? (uint32_t)((1ull << w) - 1) : 0;
    for (uint64_t i = 0; i < n; i++) {
        while (nacc < w) {
            acc = (acc << 8) | p[o++];
            nacc += 8;
        }
        nacc -= w;
        sym[i] = (uint32_t)(acc >> nacc) & mask;
    }
    *n_out = (size_t)n;
    return SR_OK;
}

sr_status sr_zstd_encode(const uint32_t *sym, size_t n, int level, sr_wbuf *out)
{
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= SR_SYM_MAX)
            return SR_ERR_RANGE;
        mx = sym[i] > mx ? sym[i] : mx;
    }
    int bw = mx < 256 ? 1 : mx < 65536 ? 2 : 3;
    size_t raw_len = n * (size_t)bw;
    uint8_t *raw = malloc(raw_len ? raw_len : 1);
    if (!raw)
        return SR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < bw; b++)
            raw[i * (size_t)bw + (size_t)b] = (uint8_t)(sym[i] >> (8 * b));
    size_t bound = ZSTD_compressBound(raw_len);
    sr_wbuf_varint(out, n);
    sr_wbuf_u8(out, (uint8_t)bw);
    size_t hdr = out->len;
    sr_wbuf_u32(out, 0); /* compressed length, patched below */
    uint8_t *p = sr_wbuf_reserve(out, bound);
    if (!p) {
        free(raw);
        return SR_ERR_NOMEM;
    }
    size_t z = ZSTD_compress(p, bound, raw, raw_len, level);
    free(raw);
    if (ZSTD_isError(z))
        return SR_ERR_INVALID;
    out->len += z;
    for (int b = 0; b < 4; b++)
        out->data[hdr + (size_t)b] = (uint8_t)(z >> (8 * b));
    return sr_wbuf_status(out);
}

sr_status sr_zstd_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n;
    uint8_t bw;
    uint32_t zlen;
    const uint8_t *p;
    *n_out = 0;
    if (sr_rbuf_varint_max(in, cap, &n) || sr_rbuf_u8(in, &bw) || bw < 1 || bw > 3 ||
        sr_rbuf_u32(in, &zlen) || sr_rbuf_view(in, zlen, &p))
        return SR_ERR_CORRUPT;
    size_t raw_len = (size_t)n * bw;
    uint8_t *raw = malloc(raw_len ? raw_len : 1);
    if (!raw)
        return SR_ERR_NOMEM;
    size_t got = ZSTD_decompress(raw, raw_len, p, zlen);
    if (ZSTD_isError(got) || got != raw_len) {
        free(raw);
        return SR_ERR_CORRUPT;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        for (int b = 0; b < bw; b++)
            v |= (uint32_t)raw[i * bw + (size_t)b] << (8 * b);
        if (v >= SR_SYM_MAX) {
            free(raw);
            return SR_ERR_CORRUPT;
        }
        sym[i] = v;
    }
    free(raw);
    *n_out = (size_t)n;
    return SR_OK;
}

sr_status sr_entropy_order0(const uint32_t *sym, size_t n, double *bits_per_symbol, double *p_max)
{
    *bits_per_symbol = 0;
    *p_max = 0;
    if (n == 0)
        return SR_OK;
    uint64_t *counts = calloc(SR_SYM_MAX, sizeof *counts);
    if (!counts)
        return SR_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= SR_SYM_MAX) {
            free(counts);
            return SR_ERR_RANGE;
        }
        counts[sym[i]]++;
    }
    double h = 0, pm = 0;
    for (size_t s = 0; s < SR_SYM_MAX; s++)
        if (counts[s]) {
            double p = (double)counts[s] / (double)n;
            h -= p * log2(p);
            pm = p > pm ? p : pm;
        }
    free(counts);
    *bits_per_symbol = h;
    *p_max = pm;
    return SR_OK;
}
