/* sr_huffman.c: canonical Huffman coder with length-limited codes, 4 streams (see sr_entropy.h).
 *
 * Code lengths come from the two-queue Huffman construction over symbols sorted by count; if the
 * longest code exceeds SR_HUFF_MAX_LEN, lengths are clamped and the Kraft sum is repaired by lengthening
 * the least frequent codes that are still short. Codes are canonical (ordered by length, then symbol), so
 * the header only carries lengths.
 *
 * The symbols are cut into 4 contiguous segments (sr_hist_seg_start), each coded as its own MSB-first bit
 * stream, so that the decoder runs 4 independent chains side by side. Encoding appends codes to a 64-bit
 * accumulator and stores 8 bytes at a time; decoding reads a 64-bit big-endian window per two symbols
 * and looks the next LUT_BITS bits up in a table of (symbol, length); longer codes take the canonical
 * first-code walk.
 *
 * Bitstream (format 2; format 1 had one stream): varint n; if n > 0: varint k, k x (varint symbol delta,
 * u8 length), 4 x varint bit count, then the 4 streams, each padded with zero bits to a whole byte. The
 * decoder requires every stream to end exactly at its bit count. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"
#include "sr_hist.h"

#define LUT_BITS 11
#define STREAMS SR_HIST_SEGS

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

/* Code length per symbol of [0, *alphabet) (0 = unused); caller frees *len_by_sym. With seg_counts,
 * also hands over the per-segment histograms (SR_HIST_SEGS x alphabet, caller frees). */
static sr_status lengths_by_symbol(const uint32_t *sym, size_t n, uint8_t **len_by_sym, size_t *alphabet,
                                   uint64_t **seg_counts)
{
    size_t a;
    uint64_t *segs = NULL;
    sr_status st = sr_hist_build(sym, n, &a, &segs);
    if (st)
        return st;
    uint64_t *counts = calloc(a, sizeof *counts);
    uint8_t *lens = calloc(a, 1);
    if (!counts || !lens) {
        free(segs), free(counts), free(lens);
        return SR_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t s = 0; s < a; s++) {
        for (int j = 0; j < SR_HIST_SEGS; j++)
            counts[s] += segs[(size_t)j * a + s];
        k += counts[s] != 0;
    }
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
    if (st || !seg_counts)
        free(segs);
    if (st) {
        free(lens);
        return st;
    }
    if (seg_counts)
        *seg_counts = segs;
    *len_by_sym = lens;
    *alphabet = a;
    return SR_OK;
}

sr_status sr_huff_code_lengths(const uint32_t *sym, size_t n, uint8_t *lengths, size_t alphabet)
{
    uint8_t *lens = NULL;
    size_t a = 0;
    sr_status st = lengths_by_symbol(sym, n, &lens, &a, NULL);
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

/* Big-endian 64-bit access through memcpy (one unaligned load or store and a byte swap). */
static inline void store64be(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline uint64_t load64be(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

sr_status sr_huff_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    sr_wbuf_varint(out, n);
    if (n == 0)
        return sr_wbuf_status(out);
    uint8_t *lens = NULL;
    uint64_t *segs = NULL;
    size_t a = 0;
    sr_status st = lengths_by_symbol(sym, n, &lens, &a, &segs);
    if (st)
        return st;
    size_t k = 0;
    for (size_t s = 0; s < a; s++)
        k += lens[s] != 0;
    uint32_t *syms = malloc(k * sizeof *syms), *order = malloc(k * sizeof *order);
    uint8_t *klen = malloc(k);
    uint32_t *code = malloc(a * sizeof *code); /* code << 8 | length */
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
            code[order[offset[l] + j]] = (first[l] + j) << 8 | (uint32_t)l;
    /* header */
    sr_wbuf_varint(out, k);
    uint32_t prev = 0;
    for (size_t i = 0; i < k; i++) {
        sr_wbuf_varint(out, i ? syms[i] - prev - 1 : syms[i]);
        sr_wbuf_u8(out, klen[i]);
        prev = syms[i];
    }
    uint64_t nbits[STREAMS];
    size_t total = 0;
    for (int j = 0; j < STREAMS; j++) {
        nbits[j] = 0;
        for (size_t s = 0; s < a; s++)
            nbits[j] += segs[(size_t)j * a + s] * lens[s];
        sr_wbuf_varint(out, nbits[j]);
        total += (size_t)((nbits[j] + 7) / 8);
    }
    uint8_t *p = sr_wbuf_reserve(out, total);
    if (!p) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    /* The 4 streams are coded side by side (4 independent chains). A step appends two codes (<= 48 bits)
     * to a stream's accumulator (which keeps `nacc` <= 7 pending bits in its low end) and stores 8 bytes at
     * its position q, which then moves by the whole bytes; the store may write past the stream's bits but
     * must stay inside its own bytes, so the side-by-side phase runs while every q + 8 <= its end (a step
     * moves q by at most 6 bytes: the bound is checked once per run of steps). Each stream then finishes
     * alone, byte by byte. */
    uint8_t *q[STREAMS], *qend[STREAMS];
    uint64_t acc[STREAMS] = {0};
    unsigned nacc[STREAMS] = {0};
    size_t si[STREAMS], se[STREAMS];
    for (int j = 0; j < STREAMS; j++) {
        q[j] = p;
        p += (size_t)((nbits[j] + 7) / 8);
        qend[j] = p;
        si[j] = sr_hist_seg_start(n, j);
        se[j] = sr_hist_seg_start(n, j + 1);
    }
    for (;;) {
        size_t safe = SIZE_MAX;
        for (int j = 0; j < STREAMS; j++) {
            size_t left = (se[j] - si[j]) / 2, room = 0;
            if (q[j] + 8 <= qend[j])
                room = (size_t)(qend[j] - 8 - q[j]) / 6 + 1;
            safe = left < safe ? left : safe;
            safe = room < safe ? room : safe;
        }
        if (safe == 0)
            break;
        for (size_t step = 0; step < safe; step++) {
#define STEP(j)                                                                                                \
    {                                                                                                          \
        uint32_t c0 = code[sym[si[j]]], c1 = code[sym[si[j] + 1]];                                             \
        uint64_t ac = (acc[j] << (c0 & 255)) | (c0 >> 8);                                                       \
        ac = (ac << (c1 & 255)) | (c1 >> 8);                                                                     \
        unsigned na = nacc[j] + (c0 & 255) + (c1 & 255);                                                       \
        store64be(q[j], ac << (64 - na));                                                                       \
        q[j] += na >> 3;                                                                                       \
        nacc[j] = na & 7;                                                                                      \
        acc[j] = ac;                                                                                           \
        si[j] += 2;                                                                                            \
    }
            STEP(0) STEP(1) STEP(2) STEP(3)
#undef STEP
        }
    }
    for (int j = 0; j < STREAMS; j++) { /* the rest of each stream, every byte written exactly inside it */
        uint64_t ac = acc[j];
        unsigned na = nacc[j];
        for (size_t i = si[j]; i < se[j]; i++) {
            uint32_t c = code[sym[i]];
            ac = (ac << (c & 255)) | (c >> 8);
            na += c & 255;
            while (na >= 8) {
                na -= 8;
                *q[j]++ = (uint8_t)(ac >> na);
            }
        }
        if (na)
            *q[j]++ = (uint8_t)(ac << (8 - na)); /* the partial byte, zero padded */
    }
    out->len += total;
    st = sr_wbuf_status(out);
cleanup:
    free(lens), free(segs), free(syms), free(order), free(klen), free(code);
    return st;
}

typedef struct {
    const uint8_t *base; /* first byte of this stream */
    size_t avail;        /* bytes readable from base (to the end of the last stream) */
    uint64_t pos, nbits;
} hstream;

typedef struct {
    const uint32_t *lut, *first, *cnt, *offset, *order;
    int maxlen;
} htables;

/* Decodes one code from the top of `peek` (>= SR_HUFF_MAX_LEN valid bits); 0 when no code matches. */
static inline uint32_t code_at(const htables *t, uint64_t peek, uint32_t *s)
{
    uint32_t e = t->lut[peek >> (64 - LUT_BITS)];
    if (e) {
        *s = e >> 5;
        return e & 31;
    }
    for (uint32_t l = LUT_BITS + 1; l <= (uint32_t)t->maxlen; l++) {
        uint32_t c = (uint32_t)(peek >> (64 - l));
        if (c >= t->first[l] && c - t->first[l] < t->cnt[l]) {
            *s = t->order[t->offset[l] + c - t->first[l]];
            return l;
        }
    }
    return 0;
}

/* 64 bits starting at bit `pos` of the stream, zero past its readable bytes. */
static inline uint64_t window_at(const hstream *h, uint64_t pos)
{
    size_t byte = (size_t)(pos >> 3);
    uint64_t win = 0;
    if (byte + 8 <= h->avail) {
        win = load64be(h->base + byte);
    } else {
        for (int b = 0; b < 8; b++)
            win = (win << 8) | (byte + (size_t)b < h->avail ? h->base[byte + (size_t)b] : 0);
    }
    return win << (pos & 7);
}

/* Careful decoder for symbols [i, e) of one stream: every code checked against the stream's end. */
static sr_status decode_tail(const htables *t, hstream *h, uint32_t *sym, size_t i, size_t e)
{
    for (; i < e; i++) {
        uint32_t l = code_at(t, window_at(h, h->pos), &sym[i]);
        if (l == 0 || h->pos + l > h->nbits)
            return SR_ERR_CORRUPT;
        h->pos += l;
    }
    return SR_OK;
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
    hstream hs[STREAMS];
    size_t total = 0;
    for (int j = 0; j < STREAMS; j++) {
        uint64_t nb;
        if (sr_rbuf_varint_max(in, (uint64_t)sr_rbuf_left(in) * 8, &nb))
            goto corrupt;
        hs[j].nbits = nb;
        hs[j].pos = 0;
        total += (size_t)((nb + 7) / 8);
    }
    const uint8_t *p;
    if (total > sr_rbuf_left(in) || sr_rbuf_view(in, total, &p))
        goto corrupt;
    for (int j = 0; j < STREAMS; j++) {
        hs[j].base = p;
        hs[j].avail = total;
        size_t len = (size_t)((hs[j].nbits + 7) / 8);
        p += len;
        total -= len;
    }
    htables t = {lut, first, cnt, offset, order, maxlen};
    size_t b[STREAMS + 1];
    for (int j = 0; j <= STREAMS; j++)
        b[j] = sr_hist_seg_start((size_t)n, j);
    /* Fast path: two symbols of each stream per step, from one window per stream (two codes take at most
     * 48 of its >= 57 valid bits), while every window lies inside the readable bytes. A stream that runs
     * past its own bit count reads the next stream's bits; the check after the loop catches it. */
    size_t q = b[1] - b[0], i = 0;
    {
        const uint8_t *b0 = hs[0].base, *b1 = hs[1].base, *b2 = hs[2].base, *b3 = hs[3].base;
        uint64_t p0 = 0, p1 = 0, p2 = 0, p3 = 0;
        /* stream j may read 8 bytes at byte offsets up to lim_j */
        const uint64_t lim0 = hs[0].avail - 8, lim1 = hs[1].avail - 8, lim2 = hs[2].avail - 8,
                       lim3 = hs[3].avail - 8;
        uint32_t *o0 = sym + b[0], *o1 = sym + b[1], *o2 = sym + b[2], *o3 = sym + b[3];
        uint32_t bad = 0;
        /* Each step moves a stream by at most 48 bits (6 bytes), so the windows of the next `safe` steps all
         * lie inside the readable bytes: check once per run of steps, not once per step. */
        while (hs[3].avail >= 8 && i + 2 <= q) { /* the last stream has the fewest readable bytes */
            uint64_t safe = (q - i) / 2, room;
#define ROOM(j)                                                                                                \
    room = (p##j >> 3) <= lim##j ? (lim##j - (p##j >> 3)) / 6 + 1 : 0;                                         \
    safe = room < safe ? room : safe;
            ROOM(0) ROOM(1) ROOM(2) ROOM(3)
#undef ROOM
            if (safe == 0)
                break;
            for (size_t end = i + 2 * (size_t)safe; i < end; i += 2) {
#define TWO(j)                                                                                                 \
    {                                                                                                          \
        uint64_t win = load64be(b##j + (p##j >> 3)) << (p##j & 7);                                             \
        uint32_t l0 = code_at(&t, win, &o##j[i]);                                                              \
        uint32_t l1 = code_at(&t, win << l0, &o##j[i + 1]);                                                    \
        bad |= (l0 == 0) | (l1 == 0);                                                                          \
        p##j += l0 + l1;                                                                                       \
    }
                TWO(0) TWO(1) TWO(2) TWO(3)
#undef TWO
            }
        }
        if (bad)
            goto corrupt;
        hs[0].pos = p0, hs[1].pos = p1, hs[2].pos = p2, hs[3].pos = p3;
    }
    for (int j = 0; j < STREAMS; j++) {
        if (hs[j].pos > hs[j].nbits || decode_tail(&t, &hs[j], sym, b[j] + i, b[j + 1]) != SR_OK ||
            hs[j].pos != hs[j].nbits)
            goto corrupt;
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
