/* sr_rans.c: static order-0 rANS coder (see sr_entropy.h).
 *
 * 64-bit state kept in [L, L * 2^32) with L = 2^31; renormalisation moves 32-bit words. Frequencies are
 * the empirical counts normalised to M = 2^scale_bits (every used symbol at least 1), with scale_bits
 * chosen from the number of used symbols (16..20), so the coding loss against the order-0 entropy stays
 * far below 1 % on large inputs. The encoder runs backwards and the words are stored in decoding order;
 * the decoder checks that it ends in the encoder's initial state and consumed every word. */
#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"

#define RANS_L (1ull << 31)

typedef struct {
    uint32_t sym;
    uint32_t freq;
    uint64_t count;
} rsym;

static int ceil_log2(uint64_t v)
{
    int b = 0;
    while ((1ull << b) < v)
        b++;
    return b;
}

/* Normalises counts (sum n) to sum exactly M: rounding with a floor of 1, then the difference is
 * spread one unit at a time over the most frequent symbols. */
static void normalise(rsym *u, size_t k, uint64_t n, uint32_t M)
{
    int64_t sum = 0;
    size_t big = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t f = (u[i].count * M + n / 2) / n;
        u[i].freq = (uint32_t)(f ? f : 1);
        sum += u[i].freq;
        if (u[i].count > u[big].count)
            big = i;
    }
    int64_t diff = (int64_t)M - sum;
    /* order by count descending via repeated passes over symbols whose share allows it */
    while (diff != 0) {
        int moved = 0;
        for (size_t j = 0; j < k && diff != 0; j++) {
            size_t i = (big + j) % k;
            if (diff > 0 && u[i].count * 2 * k >= n) {
                u[i].freq++, diff--, moved = 1;
            } else if (diff < 0 && u[i].freq > 1 && u[i].count * 2 * k >= n) {
                u[i].freq--, diff++, moved = 1;
            }
        }
        if (!moved) { /* fall back to the largest symbol (always has room: M >= 16 k) */
            if (diff > 0) {
                u[big].freq += (uint32_t)diff;
            } else {
                for (size_t i = 0; i < k && diff < 0; i++)
                    while (u[i].freq > 1 && diff < 0)
                        u[i].freq--, diff++;
            }
            diff = 0;
        }
    }
}

sr_status sr_rans_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    sr_wbuf_varint(out, n);
    if (n == 0)
        return sr_wbuf_status(out);
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= SR_SYM_MAX)
            return SR_ERR_RANGE;
        mx = sym[i] > mx ? sym[i] : mx;
    }
    size_t a = (size_t)mx + 1;
    sr_status st = SR_OK;
    uint64_t *counts = calloc(a, sizeof *counts);
    uint32_t *freq = calloc(a, sizeof *freq), *cum = calloc(a, sizeof *cum);
    rsym *u = NULL;
    uint32_t *words = NULL;
    if (!counts || !freq || !cum) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < n; i++)
        counts[sym[i]]++;
    size_t k = 0;
    for (size_t s = 0; s < a; s++)
        k += counts[s] != 0;
    u = malloc(k * sizeof *u);
    if (!u) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    k = 0;
    for (size_t s = 0; s < a; s++)
        if (counts[s])
            u[k++] = (rsym){(uint32_t)s, 0, counts[s]};
    int scale = ceil_log2(k) + 4;
    scale = scale < 16 ? 16 : scale > 21 ? 21 : scale;
    uint32_t M = 1u << scale;
    normalise(u, k, n, M);
    uint32_t c = 0;
    sr_wbuf_varint(out, k);
    sr_wbuf_u8(out, (uint8_t)scale);
    uint32_t prev = 0;
    for (size_t i = 0; i < k; i++) {
        freq[u[i].sym] = u[i].freq;
        cum[u[i].sym] = c;
        c += u[i].freq;
        sr_wbuf_varint(out, i ? u[i].sym - prev - 1 : u[i].sym);
        sr_wbuf_varint(out, u[i].freq - 1);
        prev = u[i].sym;
    }
    /* worst case: one word per symbol plus the final state */
    size_t cap = n + 2, nw = 0;
    words = malloc(cap * sizeof *words);
    if (!words) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint64_t x = RANS_L;
    for (size_t i = n; i-- > 0;) {
        uint32_t s = sym[i], f = freq[s];
        uint64_t x_max = ((RANS_L >> scale) << 32) * f;
        if (x >= x_max) {
            words[nw++] = (uint32_t)x;
            x >>= 32;
        }
        x = ((x / f) << scale) + (x % f) + cum[s];
    }
    words[nw++] = (uint32_t)x;
    words[nw++] = (uint32_t)(x >> 32);
    sr_wbuf_varint(out, nw);
    for (size_t i = nw; i-- > 0;)
        sr_wbuf_u32(out, words[i]);
    st = sr_wbuf_status(out);
cleanup:
    free(counts), free(freq), free(cum), free(u), free(words);
    return st;
}

sr_status sr_rans_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n, k, nw;
    uint8_t scale;
    *n_out = 0;
    if (sr_rbuf_varint_max(in, cap, &n))
        return SR_ERR_CORRUPT;
    if (n == 0)
        return SR_OK;
    if (sr_rbuf_varint_max(in, SR_SYM_MAX, &k) || k == 0 || sr_rbuf_u8(in, &scale) || scale < 1 ||
        scale > 21)
        return SR_ERR_CORRUPT;
    uint32_t M = 1u << scale;
    if (k > M)
        return SR_ERR_CORRUPT;
    sr_status st = SR_OK;
    uint32_t *syms = malloc(k * sizeof *syms), *freq = malloc(k * sizeof *freq),
             *cum = malloc(k * sizeof *cum), *slot2i = malloc((size_t)M * sizeof *slot2i);
    if (!syms || !freq || !cum || !slot2i) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint64_t prev = 0, c = 0;
    for (uint64_t i = 0; i < k; i++) {
        uint64_t d, f;
        if (sr_rbuf_varint_max(in, SR_SYM_MAX, &d) || sr_rbuf_varint_max(in, M - 1, &f))
            goto corrupt;
        uint64_t s = i ? prev + 1 + d : d;
        if (s >= SR_SYM_MAX || c + f + 1 > M)
            goto corrupt;
        syms[i] = (uint32_t)s;
        freq[i] = (uint32_t)f + 1;
        cum[i] = (uint32_t)c;
        for (uint64_t j = c; j < c + f + 1; j++)
            slot2i[j] = (uint32_t)i;
        c += f + 1;
        prev = s;
    }
    if (c != M)
        goto corrupt;
    if (sr_rbuf_varint_max(in, sr_rbuf_left(in) / 4, &nw) || nw < 2)
        goto corrupt;
    const uint8_t *p;
    if (sr_rbuf_view(in, (size_t)nw * 4, &p))
        goto corrupt;
#define WORD(j) ((uint32_t)p[4 * (j)] | (uint32_t)p[4 * (j) + 1] << 8 | (uint32_t)p[4 * (j) + 2] << 16 | \
                 (uint32_t)p[4 * (j) + 3] << 24)
    uint64_t x = (uint64_t)WORD(0) << 32 | WORD(1);
    size_t w = 2;
    if (x < RANS_L)
        goto corrupt;
    for (uint64_t i = 0; i < n; i++) {
        uint32_t slot = (uint32_t)(x & (M - 1));
        uint32_t j = slot2i[slot];
        sym[i] = syms[j];
        x = freq[j] * (x >> scale) + slot - cum[j];
        if (x < RANS_L) {
            if (w >= nw)
                goto corrupt;
            x = (x << 32) | WORD(w);
            w++;
        }
    }
#undef WORD
    if (x != RANS_L || w != nw)
        goto corrupt;
    *n_out = (size_t)n;
    goto cleanup;
corrupt:
    st = SR_ERR_CORRUPT;
cleanup:
    free(syms), free(freq), free(cum), free(slot2i);
    return st;
}
