/* sr_huffman.c: canonical Huffman coder with length-limited codes (see sr_entropy.h).
 *
 * Code lengths come from the two-queue Huffman construction over symbols sorted by count; if the
 * longest code exceeds SR_HUFF_MAX_LEN, lengths are clamped and the Kraft sum is repaired by lengthening
 * the least frequent codes that are still short. Codes are canonical (ordered by length, then symbol), so
 * the header only carries lengths. Decoding uses an 11-bit lookup table plus the canonical first-code
 * walk for longer codes. */
#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"

#define LUT_BITS 11

typedef struct {
    uint32_t sym;
    uint64_t count;
} sym_count;

static int cmp_count_asc(const void *a, const void *b)
{
    const sym_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? -1 : 1;
    return x->sym < y->sym ? -1 : (x->sym > y->sym);
}

/* Huffman lengths for the k used symbols in `u` (sorted by count ascending); len[i] per entry of u. */
static sr_status build_lengths(const sym_count *u, size_t k, uint8_t *len)
{
    if (k == 1) {
        len[0] = 1;
        return SR_OK;
    }
    size_t nn = 2 * k - 1;
    uint64_t *w = malloc(nn * sizeof *w);
    size_t *parent = malloc(nn * sizeof *parent);
    uint32_t *depth = malloc(nn * sizeof *depth);
    if (!w || !parent || !depth) {
        free(w), free(parent), free(depth);
        return SR_ERR_NOMEM;
    }
    for (size_t i = 0; i < k; i++)
        w[i] = u[i].count;
    size_t leaf = 0, inode = k; /* internal nodes are created in non-decreasing weight order */
    for (size_t next = k; next < nn; next++) {
        size_t pick[2];
        for (int j = 0; j < 2; j++) {
            if (leaf < k && (inode >= next || w[leaf] <= w[inode]))
                pick[j] = leaf++;
            else
                pick[j] = inode++;
        }
        w[next] = w[pick[0]] + w[pick[1]];
        parent[pick[0]] = parent[pick[1]] = next;
    }
    depth[nn - 1] = 0;
    for (size_t i = nn - 1; i-- > 0;)
        depth[i] = depth[parent[i]] + 1;
    /* Clamp to the limit, then repair the Kraft sum (in units of 2^-L). */
    const int L = SR_HUFF_MAX_LEN;
    uint64_t kraft = 0;
    for (size_t i = 0; i < k; i++) {
        len[i] = (uint8_t)(depth[i] > (uint32_t)L ? (uint32_t)L : depth[i]);
        kraft += 1ull << (L - len[i]);
    }
    while (kraft > (1ull << L)) {
        /* least frequent symbol among those with the longest code still below the limit */
        size_t best = k;
        for (size_t i = 0; i < k; i++)
            if (len[i] < L && (best == k || len[i] > len[best]))
                best = i;
        if (best == k)
            break; /* unreachable: k <= SR_SYM_MAX < 2^L */
        len[best]++;
        kraft -= 1ull << (L - len[best]);
    }
    free(w), free(parent), free(depth);
    return SR_OK;
}

/* Code length per symbol of [0, *alphabet) (0 = unused); caller frees *len_by_sym. */
static sr_status lengths_by_symbol(const uint32_t *sym, size_t n, uint8_t **len_by_sym, size_t *alphabet)
{
    uint32_t mx = 0;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= SR_SYM_MAX)
            return SR_ERR_RANGE;
        if (sym[i] > mx)
            mx = sym[i];
    }
    size_t a = (size_t)mx + 1;
    uint64_t *counts = calloc(a, sizeof *counts);
    uint8_t *lens = calloc(a, 1);
    if (!counts || !lens) {
        free(counts), free(lens);
        return SR_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        counts[sym[i]]++;
    size_t k = 0;
    for (size_t s = 0; s < a; s++)
        k += counts[s] != 0;
    sr_status st = SR_OK;
    if (k) {
        sym_count *u = malloc(k * sizeof *u);
        uint8_t *len = malloc(k);
        if (!u || !len) {
            st = SR_ERR_NOMEM;
        } else {
            k = 0;
            for (size_t s = 0; s < a; s++)
                if (counts[s])
                    u[k++] = (sym_count){(uint32_t)s, counts[s]};
            qsort(u, k, sizeof *u, cmp_count_asc);
            st = build_lengths(u, k, len);
            for (size_t i = 0; st == SR_OK && i < k; i++)
                lens[u[i].sym] = len[i];
        }
        free(u), free(len);
    }
    free(counts);
    if (st) {
        free(lens);
        return st;
    }
    *len_by_sym = lens;
    *alphabet = a;
    return SR_OK;
}

sr_status sr_huff_code_lengths(const uint32_t *sym, size_t n, uint8_t *lengths, size_t alphabet)
{
    uint8_t *lens = NULL;
    size_t a = 0;
    sr_status st = lengths_by_symbol(sym, n, &lens, &a);
    if (st)
        return st;
    if (n == 0)
        a = 0;
    memset(lengths, 0, alphabet);
    memcpy(lengths, lens, a < alphabet ? a : alphabet);
    free(lens);
    return a <= alphabet ? SR_OK : SR_ERR_RANGE;
}

/* Canonical code assignment shared by encoder and decoder. `order` receives the used symbols sorted by
 * (length, symbol); first[l] is the first code of length l and cnt[l] the number of codes of length l. */
static void canonical(const uint32_t *syms, const uint8_t *lens, size_t k, uint32_t *order,
                      uint32_t first[SR_HUFF_MAX_LEN + 2], uint32_t cnt[SR_HUFF_MAX_LEN + 2],
                      uint32_t offset[SR_HUFF_MAX_LEN + 2])
{
    memset(cnt, 0, sizeof(uint32_t) * (SR_HUFF_MAX_LEN + 2));
    for (size_t i = 0; i < k; i++)
        cnt[lens[i]]++;
    uint32_t code = 0, off = 0;
    for (int l = 1; l <= SR_HUFF_MAX_LEN; l++) {
        code = (code + cnt[l - 1]) << 1;
        if (l == 1)
            code = 0;
        first[l] = code;
        offset[l] = off;
        off += cnt[l];
    }
    uint32_t fill[SR_HUFF_MAX_LEN + 2];
    memcpy(fill, offset, sizeof fill);
    for (size_t i = 0; i < k; i++) /* syms ascending, so each length class stays sorted by symbol */
        order[fill[lens[i]]++] = syms[i];
}

sr_status sr_huff_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    sr_wbuf_varint(out, n);
    if (n == 0)
        return sr_wbuf_status(out);
    uint8_t *lens = NULL;
    size_t a = 0;
    sr_status st = lengths_by_symbol(sym, n, &lens, &a);
    if (st)
        return st;
    size_t k = 0;
    for (size_t s = 0; s < a; s++)
        k += lens[s] != 0;
    uint32_t *syms = malloc(k * sizeof *syms), *order = malloc(k * sizeof *order);
    uint8_t *klen = malloc(k);
    uint32_t *code = malloc(a * sizeof *code);
    if (!syms || !order || !klen || !code) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    k = 0;
    for (size_t s = 0; s < a; s++)
        if (lens[s]) {
            syms[k] = (uint32_t)s;
            klen[k++] = lens[s];
        }
    uint32_t first[SR_HUFF_MAX_LEN + 2], cnt[SR_HUFF_MAX_LEN + 2], offset[SR_HUFF_MAX_LEN + 2];
    canonical(syms, klen, k, order, first, cnt, offset);
    for (int l = 1; l <= SR_HUFF_MAX_LEN; l++)
        for (uint32_t j = 0; j < cnt[l]; j++)
            code[order[offset[l] + j]] = first[l] + j;
    /* header */
    sr_wbuf_varint(out, k);
    uint32_t prev = 0;
    for (size_t i = 0; i < k; i++) {
        sr_wbuf_varint(out, i ? syms[i] - prev - 1 : syms[i]);
        sr_wbuf_u8(out, klen[i]);
        prev = syms[i];
    }
    uint64_t nbits = 0;
    for (size_t i = 0; i < n; i++)
        nbits += lens[sym[i]];
    sr_wbuf_varint(out, nbits);
    size_t nbytes = (size_t)((nbits + 7) / 8);
    uint8_t *p = sr_wbuf_reserve(out, nbytes + 8);
    if (!p) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint64_t acc = 0; /* MSB-first bit accumulator holding `fill` bits */
    int nacc = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int l = lens[sym[i]];
        acc = (acc << l) | code[sym[i]];
        nacc += l;
        while (nacc >= 8) {
            nacc -= 8;
            p[w++] = (uint8_t)(acc >> nacc);
        }
    }
    if (nacc)
        p[w++] = (uint8_t)(acc << (8 - nacc));
    out->len += w;
    st = sr_wbuf_status(out);
cleanup:
    free(lens), free(syms), free(order), free(klen), free(code);
    return st;
}

sr_status sr_huff_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n, k;
    sr_status st;
    if ((st = sr_rbuf_varint_max(in, cap, &n)))
        return st;
    *n_out = 0;
    if (n == 0)
        return SR_OK;
    if ((st = sr_rbuf_varint_max(in, n < SR_SYM_MAX ? n : SR_SYM_MAX, &k)) || k == 0)
        return SR_ERR_CORRUPT;
    uint32_t *syms = malloc(k * sizeof *syms), *order = malloc(k * sizeof *order);
    uint8_t *klen = malloc(k);
    uint32_t *lut = calloc(1u << LUT_BITS, sizeof *lut);
    if (!syms || !order || !klen || !lut) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint64_t prev = 0, kraft = 0;
    int maxlen = 0;
    for (uint64_t i = 0; i < k; i++) {
        uint64_t d;
        uint8_t l;
        if (sr_rbuf_varint_max(in, SR_SYM_MAX, &d) || sr_rbuf_u8(in, &l) || l == 0 || l > SR_HUFF_MAX_LEN)
            goto corrupt;
        uint64_t s = i ? prev + 1 + d : d;
        if (s >= SR_SYM_MAX)
            goto corrupt;
        syms[i] = (uint32_t)s;
        klen[i] = l;
        prev = s;
        kraft += 1ull << (SR_HUFF_MAX_LEN - l);
        if (l > maxlen)
            maxlen = l;
    }
    if (kraft > (1ull << SR_HUFF_MAX_LEN))
        goto corrupt;
    uint32_t first[SR_HUFF_MAX_LEN + 2], cnt[SR_HUFF_MAX_LEN + 2], offset[SR_HUFF_MAX_LEN + 2];
    canonical(syms, klen, k, order, first, cnt, offset);
    for (int l = 1; l <= LUT_BITS && l <= maxlen; l++)
        for (uint32_t j = 0; j < cnt[l]; j++) {
            uint32_t c = (first[l] + j) << (LUT_BITS - l);
            for (uint32_t r = 0; r < (1u << (LUT_BITS - l)); r++)
                lut[c + r] = (order[offset[l] + j] << 5) | (uint32_t)l;
        }
    uint64_t nbits;
    if (sr_rbuf_varint_max(in, (uint64_t)sr_rbuf_left(in) * 8, &nbits))
        goto corrupt;
    const uint8_t *p;
    size_t nbytes = (size_t)((nbits + 7) / 8);
    if (sr_rbuf_view(in, nbytes, &p))
        goto corrupt;
    uint64_t pos = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t byte = (size_t)(pos >> 3);
        uint64_t win = 0; /* 64 bits starting at byte, zero-padded past the end */
        if (byte + 8 <= nbytes) {
            for (int b = 0; b < 8; b++)
                win = (win << 8) | p[byte + b];
        } else {
            for (int b = 0; b < 8; b++)
                win = (win << 8) | (byte + b < nbytes ? p[byte + b] : 0);
        }
        uint32_t peek = (uint32_t)(win << (pos & 7) >> 32);
        uint32_t e = lut[peek >> (32 - LUT_BITS)];
        uint32_t s, l;
        if (e) {
            s = e >> 5;
            l = e & 31;
        } else {
            for (l = LUT_BITS + 1; l <= (uint32_t)maxlen; l++) {
                uint32_t c = peek >> (32 - l);
                if (c >= first[l] && c - first[l] < cnt[l])
                    break;
            }
            if (l > (uint32_t)maxlen)
                goto corrupt;
            s = order[offset[l] + (peek >> (32 - l)) - first[l]];
        }
        pos += l;
        if (pos > nbits)
            goto corrupt;
        sym[i] = s;
    }
    *n_out = (size_t)n;
    st = SR_OK;
    goto cleanup;
corrupt:
    st = SR_ERR_CORRUPT;
cleanup:
    free(syms), free(order), free(klen), free(lut);
    return st;
}
