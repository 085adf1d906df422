/* sr_rans.c: static order-0 rANS coder, 8 interleaved states (see sr_entropy.h).
 *
 * Each state is 64 bits, kept in [L, L * 2^32) with L = 2^31; renormalisation moves 32-bit words, so a
 * state takes or gives at most one word per symbol. Symbol i is coded by state i % 8: the eight states form
 * independent dependency chains that the CPU runs side by side, and they share one word stream (the
 * encoder runs backwards, so the decoder meets every word exactly when the state that wrote it needs it).
 *
 * Frequencies are the empirical counts normalised to M = 2^scale_bits (every used symbol at least 1). The
 * encoder picks the smallest scale_bits (12..21) whose normalised model costs at most 0.3 % more than the
 * order-0 entropy (for alphabets above 4096 symbols: ceil(log2 k) + 4, at least 16), so the decoder's
 * slot table stays small enough for the L1 cache on 8-bit data.
 *
 * Encoding divides by a symbol's frequency with a precomputed reciprocal (Granlund-Montgomery: q =
 * mulhi(x, ceil(2^(63+l) / f)) >> (l - 1) with l = ceil(log2 f), exact for x < 2^63). Decoding looks the
 * slot x mod M up in a table that holds, per slot, the symbol, its frequency and slot - cum packed in 64
 * bits: one load per symbol.
 *
 * Bitstream (format 2; format 1 had one state):
 *   varint n; if n > 0: varint k (used symbols), u8 scale_bits, k x (varint symbol delta, varint freq - 1),
 *   varint word count, then little-endian u32 words: the 8 final states (high word first, state 0 first),
 *   then the renormalisation words in decoding order. The decoder checks that every state ends where the
 *   encoder started (L) and that it consumed every word. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"
#include "sr_hist.h"

#define RANS_L (1ull << 31)
#define WAYS 8
/* X(j) for every state, written out so that each state lives in its own register. */
#define EACH_WAY(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define SCALE_MIN 12
#define SCALE_MAX 21
#define PAIR_SCALE_MAX 15 /* up to here each state renormalises once per two symbols */

__extension__ typedef unsigned __int128 u128;

typedef struct {
    uint32_t sym;
    uint32_t freq;
    uint64_t count;
} rsym;

/* Encoder-side symbol: x' = x + bias + floor(x / f) * cmpl, with floor(x / f) = mulhi(x, rcp) >> shift. */
typedef struct {
    uint64_t rcp;
    uint64_t x_max; /* renormalise (emit a word) while x >= x_max */
    uint32_t bias;
    uint32_t cmpl;
    uint32_t shift;
    uint32_t freq;
} esym;

static int ceil_log2(uint64_t v)
{
    int b = 0;
    while ((1ull << b) < v)
        b++;
    return b;
}

static int floor_log2(uint64_t v)
{
    int b = 0;
    while (v >>= 1)
        b++;
    return b;
}

/* Normalises counts (sum n) to sum exactly M: rounding with a floor of 1, then the difference is
 * spread one unit at a time over the most frequent symbols. Needs M >= k. */
static void normalise(rsym *u, size_t k, uint64_t n, uint32_t M)
{
    int64_t sum = 0;
    size_t big = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t f = (uint64_t)(((u128)u[i].count * M + n / 2) / n);
        u[i].freq = (uint32_t)(f ? f : 1);
        sum += u[i].freq;
        if (u[i].count > u[big].count)
            big = i;
    }
    int64_t diff = (int64_t)M - sum;
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
        if (!moved) { /* fall back to the largest symbol, or take from any symbol above 1 */
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

/* Bits the payload costs with the current frequencies (ignoring the per-step rounding, < 0.002 bit). */
static double model_bits(const rsym *u, size_t k, int scale)
{
    double b = 0;
    for (size_t i = 0; i < k; i++)
        b += (double)u[i].count * ((double)scale - log2((double)u[i].freq));
    return b;
}

/* Normalises u to the chosen scale and returns scale_bits. */
static int choose_scale(rsym *u, size_t k, uint64_t n)
{
    int lo = ceil_log2(k) + 1;
    if (k > 4096) {
        int s = ceil_log2(k) + 4;
        s = s < 16 ? 16 : s > SCALE_MAX ? SCALE_MAX : s;
        normalise(u, k, n, 1u << s);
        return s;
    }
    double ideal = 0;
    for (size_t i = 0; i < k; i++)
        ideal += (double)u[i].count * log2((double)n / (double)u[i].count);
    for (int s = lo < SCALE_MIN ? SCALE_MIN : lo; s < SCALE_MAX; s++) {
        normalise(u, k, n, 1u << s);
        if (model_bits(u, k, s) <= ideal * 1.003 + 64)
            return s;
    }
    normalise(u, k, n, 1u << SCALE_MAX);
    return SCALE_MAX;
}

static void esym_init(esym *e, uint32_t cum, uint32_t freq, int scale)
{
    uint32_t M = 1u << scale;
    e->x_max = ((RANS_L >> scale) << 32) * freq;
    e->cmpl = M - freq;
    e->freq = freq;
    if (freq < 2) { /* rcp = 2^64 - 1: mulhi(x, rcp) = x - 1 for x >= 1, corrected by the bias */
        e->rcp = ~0ull;
        e->shift = 0;
        e->bias = cum + M - 1;
    } else {
        int l = ceil_log2(freq);
        e->rcp = (uint64_t)((((u128)1 << (63 + l)) + freq - 1) / freq);
        e->shift = (uint32_t)(l - 1);
        e->bias = cum;
    }
}

static inline uint64_t enc_code(uint64_t x, const esym *e)
{
    uint64_t d = (uint64_t)(((u128)x * e->rcp) >> 64) >> e->shift;
    return x + e->bias + d * e->cmpl;
}

/* Renormalise (branch-free: the word is stored below p whether or not it is kept, p moves only when it
 * is) against x_max, and return the state to encode from. p[-1] always lies inside the word buffer: the
 * bound on the words leaves headroom. */
static inline uint64_t enc_renorm(uint64_t x, uint64_t x_max, uint32_t **p)
{
    uint32_t *q = *p;
    int emit = x >= x_max;
    q[-1] = (uint32_t)x;
    *p = q - emit;
    return emit ? x >> 32 : x;
}

static inline uint64_t enc_put(uint64_t x, const esym *e, uint32_t **p)
{
    return enc_code(enc_renorm(x, e->x_max, p), e);
}

/* Two symbols into one state with one renormalisation: b first, then a (the decoder meets a first).
 * Encoding both from x lands in [L, 2^32 L) exactly when x is in [X, 2^32 X), X = (L / M^2) f_a f_b,
 * which holds because L / M * f_a is a multiple of M for scale_bits <= 15. sh = 31 - 2 scale_bits. */
static inline uint64_t enc_pair(uint64_t x, const esym *a, const esym *b, int sh, uint32_t **p)
{
    uint64_t x_max = ((uint64_t)a->freq * b->freq << sh) << 32;
    return enc_code(enc_code(enc_renorm(x, x_max, p), b), a);
}

/* Little-endian 32-bit access through memcpy (one load or store, a byte swap on big-endian hosts). */
static inline void store32le(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

static inline uint32_t load32le(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

sr_status sr_rans_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    sr_wbuf_varint(out, n);
    if (n == 0)
        return sr_wbuf_status(out);
    size_t a;
    uint64_t *counts = NULL;
    sr_status st = sr_hist_build(sym, n, &a, &counts);
    if (st)
        return st;
    esym *es = malloc(a * sizeof *es);
    rsym *u = NULL;
    uint32_t *words = NULL;
    if (!es) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    size_t k = 0;
    for (size_t s = 0; s < a; s++) {
        for (int j = 1; j < SR_HIST_SEGS; j++)
            counts[s] += counts[(size_t)j * a + s];
        k += counts[s] != 0;
    }
    u = malloc(k * sizeof *u);
    if (!u) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    k = 0;
    for (size_t s = 0; s < a; s++)
        if (counts[s])
            u[k++] = (rsym){(uint32_t)s, 0, counts[s]};
    int scale = choose_scale(u, k, n);
    sr_wbuf_varint(out, k);
    sr_wbuf_u8(out, (uint8_t)scale);
    uint32_t prev = 0, c = 0;
    double bound_bits = 0;
    for (size_t i = 0; i < k; i++) {
        esym_init(&es[u[i].sym], c, u[i].freq, scale);
        c += u[i].freq;
        sr_wbuf_varint(out, i ? u[i].sym - prev - 1 : u[i].sym);
        sr_wbuf_varint(out, u[i].freq - 1);
        prev = u[i].sym;
        bound_bits += (double)u[i].count * (double)(scale - floor_log2(u[i].freq));
    }
    /* Words emitted: at most the model's bits (scale - floor(log2 f) >= log2(M / f) per symbol) plus the
     * per-step rounding (< 0.0015 bit per symbol; n / 16 bits leaves a wide margin) over 32, plus the
     * initial states' headroom and the flushed final states. */
    size_t cap = (size_t)(bound_bits / 32.0) + n / 512 + 4 * WAYS + 16;
    words = malloc(cap * sizeof *words);
    if (!words) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint32_t *end = words + cap, *p = end;
    uint64_t x[WAYS];
    for (int j = 0; j < WAYS; j++)
        x[j] = RANS_L;
    int paired = scale <= PAIR_SCALE_MAX;
    size_t grp = paired ? 2 * WAYS : WAYS, i = n;
    while (i % grp) { /* the tail, one symbol at a time, so that the main loop runs whole groups */
        i--;
        x[i % WAYS] = enc_put(x[i % WAYS], &es[sym[i]], &p);
    }
#define LOAD(j) uint64_t x##j = x[j];
    EACH_WAY(LOAD)
#undef LOAD
    if (paired) {
        int sh = 31 - 2 * scale;
        while (i > 0) {
            i -= 2 * WAYS;
#define PAIR(j) x##j = enc_pair(x##j, &es[sym[i + j]], &es[sym[i + WAYS + j]], sh, &p);
            PAIR(7) PAIR(6) PAIR(5) PAIR(4) PAIR(3) PAIR(2) PAIR(1) PAIR(0)
#undef PAIR
        }
    }
    while (i > 0) {
        i -= WAYS;
        x7 = enc_put(x7, &es[sym[i + 7]], &p);
        x6 = enc_put(x6, &es[sym[i + 6]], &p);
        x5 = enc_put(x5, &es[sym[i + 5]], &p);
        x4 = enc_put(x4, &es[sym[i + 4]], &p);
        x3 = enc_put(x3, &es[sym[i + 3]], &p);
        x2 = enc_put(x2, &es[sym[i + 2]], &p);
        x1 = enc_put(x1, &es[sym[i + 1]], &p);
        x0 = enc_put(x0, &es[sym[i]], &p);
    }
#define STORE(j) x[j] = x##j;
    EACH_WAY(STORE)
#undef STORE
    for (int j = WAYS; j-- > 0;) {
        *--p = (uint32_t)x[j];
        *--p = (uint32_t)(x[j] >> 32);
    }
    size_t nw = (size_t)(end - p);
    sr_wbuf_varint(out, nw);
    uint8_t *o = sr_wbuf_reserve(out, nw * 4);
    if (!o) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (size_t w = 0; w < nw; w++)
        store32le(o + 4 * w, p[w]);
    out->len += nw * 4;
    st = sr_wbuf_status(out);
cleanup:
    free(counts), free(es), free(u), free(words);
    return st;
}

/* Decoder tables. Symbols below 256 with scale_bits <= 15 (the common case): per slot, one byte for the
 * symbol and 32 bits of freq << 16 | (slot - cum); the two loads are independent and both tables stay in
 * the L1 cache up to scale_bits = 13. Otherwise one 64-bit entry per slot, sym << 43 | freq << 21 |
 * (slot - cum) (freq <= 2^21, sym < 2^17). */
#define D_SYM(e) ((uint32_t)((e) >> 43))
#define D_FREQ(e) (((e) >> 21) & ((1u << 22) - 1))
#define D_BIAS(e) ((e) & ((1u << 21) - 1))
#define NARROW_SCALE_MAX 15

typedef struct {
    const uint64_t *wide; /* NULL when the narrow tables are used */
    const uint8_t *slot_sym;
    const uint32_t *slot_fb; /* freq << 16 | (slot - cum) */
} dtab;

static inline __attribute__((always_inline)) uint64_t dec_step(uint64_t x, const dtab *t, int wide, int scale,
                                                               uint32_t *out)
{
    uint32_t slot = (uint32_t)x & ((1u << scale) - 1);
    if (wide) {
        uint64_t e = t->wide[slot];
        *out = D_SYM(e);
        return D_FREQ(e) * (x >> scale) + D_BIAS(e);
    }
    uint32_t fb = t->slot_fb[slot];
    *out = t->slot_sym[slot];
    return (uint64_t)(fb >> 16) * (x >> scale) + (fb & 0xffff);
}

/* Branch-free renormalisation: the word at w is read whether or not it is needed (the caller makes
 * sure it exists), and w moves only when it is. */
static inline uint64_t dec_renorm(uint64_t x, const uint8_t *p, size_t *w)
{
    int need = x < RANS_L;
    uint64_t y = x << 32 | load32le(p + 4 * *w);
    *w += (size_t)need;
    return need ? y : x;
}

/* Whole groups while at least WAYS words remain (a state takes at most one per renormalisation).
 * Paired: groups of 2 WAYS symbols, state j decodes symbols j and WAYS + j of the group and then
 * renormalises once; otherwise groups of WAYS, one renormalisation per symbol. Inlined once per table
 * kind and scale, so that the shift and the mask are constants. Returns the symbols decoded. */
static inline __attribute__((always_inline)) size_t dec_groups(uint64_t *x, const dtab *t, int wide, int scale,
                                                               int paired, const uint8_t *p, size_t *w,
                                                               size_t nw, uint32_t *sym, size_t n)
{
#define LOAD(j) uint64_t x##j = x[j];
    EACH_WAY(LOAD)
#undef LOAD
    size_t ww = *w, grp = paired ? 2 * WAYS : WAYS;
    uint32_t *o = sym, *end = sym + n / grp * grp;
    const size_t last = nw - WAYS; /* the caller checked nw >= 2 * WAYS */
    for (; o < end && ww <= last; o += grp) {
#define STEP(j) x##j = dec_step(x##j, t, wide, scale, &o[j]);
#define STEP2(j) x##j = dec_step(x##j, t, wide, scale, &o[WAYS + j]);
#define RENORM(j) x##j = dec_renorm(x##j, p, &ww);
        EACH_WAY(STEP)
        if (paired) {
            EACH_WAY(STEP2)
        }
        EACH_WAY(RENORM)
#undef STEP
#undef STEP2
#undef RENORM
    }
#define STORE(j) x[j] = x##j;
    EACH_WAY(STORE)
#undef STORE
    *w = ww;
    return (size_t)(o - sym);
}

#define SCALE_CASES(X) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21)

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
        scale > SCALE_MAX)
        return SR_ERR_CORRUPT;
    uint32_t M = 1u << scale;
    if (k > M)
        return SR_ERR_CORRUPT;
    sr_status st = SR_OK;
    /* The symbols arrive in ascending order; the last one decides the table kind, so read them first. */
    uint32_t *hs = malloc(k * sizeof *hs), *hf = malloc(k * sizeof *hf);
    uint64_t *wide = NULL;
    uint32_t *slot_fb = NULL;
    uint8_t *slot_sym = NULL;
    if (!hs || !hf) {
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
        hs[i] = (uint32_t)s;
        hf[i] = (uint32_t)f + 1;
        c += f + 1;
        prev = s;
    }
    if (c != M)
        goto corrupt;
    int is_wide = prev >= 256 || scale > NARROW_SCALE_MAX;
    if (is_wide ? !(wide = malloc((size_t)M * sizeof *wide))
                : (!(slot_sym = malloc(M)) || !(slot_fb = malloc((size_t)M * sizeof *slot_fb)))) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    c = 0;
    for (uint64_t i = 0; i < k; i++) {
        if (is_wide) {
            for (uint64_t j = 0; j < hf[i]; j++)
                wide[c + j] = (uint64_t)hs[i] << 43 | (uint64_t)hf[i] << 21 | j;
        } else {
            memset(slot_sym + c, (int)hs[i], hf[i]);
            for (uint32_t j = 0; j < hf[i]; j++)
                slot_fb[c + j] = hf[i] << 16 | j;
        }
        c += hf[i];
    }
    dtab t = {wide, slot_sym, slot_fb};
    if (sr_rbuf_varint_max(in, sr_rbuf_left(in) / 4, &nw) || nw < 2 * WAYS)
        goto corrupt;
    const uint8_t *p;
    if (sr_rbuf_view(in, (size_t)nw * 4, &p))
        goto corrupt;
    uint64_t x[WAYS];
    for (int j = 0; j < WAYS; j++) {
        x[j] = (uint64_t)load32le(p + 8 * j) << 32 | load32le(p + 8 * j + 4);
        if (x[j] < RANS_L)
            goto corrupt;
    }
    size_t w = 2 * WAYS, i = 0;
    switch (scale * 2 + is_wide) {
#define CASE(b)                                                                                                \
    case 2 * b:                                                                                                \
        i = dec_groups(x, &t, 0, b, b <= PAIR_SCALE_MAX, p, &w, (size_t)nw, sym, (size_t)n);                   \
        break;                                                                                                 \
    case 2 * b + 1:                                                                                            \
        i = dec_groups(x, &t, 1, b, b <= PAIR_SCALE_MAX, p, &w, (size_t)nw, sym, (size_t)n);                   \
        break;
        SCALE_CASES(CASE)
#undef CASE
    default: /* scales below 12 come only from other encoders; decode them the slow way */
        break;
    }
    if (scale <= PAIR_SCALE_MAX) /* the remaining whole pair groups, every word checked */
        for (; i + 2 * WAYS <= n; i += 2 * WAYS) {
            for (int j = 0; j < 2 * WAYS; j++)
                x[j % WAYS] = dec_step(x[j % WAYS], &t, is_wide, scale, &sym[i + (size_t)j]);
            for (int j = 0; j < WAYS; j++)
                if (x[j] < RANS_L) {
                    if (w >= nw)
                        goto corrupt;
                    x[j] = x[j] << 32 | load32le(p + 4 * w++);
                }
        }
    for (; i < n; i++) {
        uint64_t *xs = &x[i % WAYS];
        *xs = dec_step(*xs, &t, is_wide, scale, &sym[i]);
        if (*xs < RANS_L) {
            if (w >= nw)
                goto corrupt;
            *xs = *xs << 32 | load32le(p + 4 * w++);
        }
    }
    for (int j = 0; j < WAYS; j++)
        if (x[j] != RANS_L)
            goto corrupt;
    if (w != nw)
        goto corrupt;
    *n_out = (size_t)n;
    goto cleanup;
corrupt:
    st = SR_ERR_CORRUPT;
cleanup:
    free(hs), free(hf), free(wide), free(slot_sym), free(slot_fb);
    return st;
}
