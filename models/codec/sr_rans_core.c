/* sr_rans_core.c: the interleaved rANS engine (see sr_rans_core.h).
 *
 * Why 16 states of 32 bits with 16-bit words (format 3; format 2 had 8 states of 64 bits with 32-bit
 * words): decoding is bound by the instructions per token, not by latency. The 64-bit scalar loop needed
 * ~12 instructions per token and spilled its states; 32-bit states let 8 of them share one AVX2 register,
 * so a decode step is one masked slot, two gathers (frequency and bias, symbol), a multiply-add, one
 * vector store of 8 symbols and a renormalisation that reads the words of the lanes that need one with a
 * permutation picked by the lane mask. The AVX2 loop is chosen at run time (the build never assumes the
 * host's instruction set); the scalar loop decodes the same format everywhere else and the tails.
 * After one decoding step x >= 2^16 f / M >= 1, so one word brings every state back into [2^16, 2^32).
 *
 * Frequencies are the empirical counts normalised to M = 2^scale_bits (every used symbol at least 1),
 * with the smallest scale (12..16) whose model costs at most 0.5 % more than the order-0 entropy of the
 * tokens: small scales keep the decoding tables in the L1 cache.
 *
 * Encoding divides by a symbol's frequency with a precomputed reciprocal (Granlund-Montgomery: q =
 * mulhi(x, ceil(2^(63+l) / f)) >> (l - 1) with l = ceil(log2 f), exact for x < 2^63). */
#include "sr_rans_core.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#define RANS_L (1u << 16)
#define WAYS SR_RANS_WAYS
#define SCALE_MIN 12
#define SCALE_MAX 16

__extension__ typedef unsigned __int128 u128;

typedef struct {
    uint32_t sym;
    uint32_t freq;
    uint64_t count;
} rsym;

/* Encoder-side symbol: x' = x + bias + floor(x / f) * cmpl, with floor(x / f) = mulhi(x, rcp) >> shift. */
typedef struct {
    uint64_t rcp;
    uint64_t x_max; /* renormalise (emit a word) when x >= x_max */
    uint32_t bias;
    uint32_t cmpl;
    uint32_t shift;
} esym;

static int ceil_log2(uint64_t v)
{
    int b = 0;
    while ((1ull << b) < v)
        b++;
    return b;
}

/* Normalises counts (sum n) to sum exactly M: rounding with a floor of 1, then the difference is spread
 * one unit at a time over the most frequent symbols. Needs M >= k. */
static void normalise(rsym *u, size_t k, uint64_t n, uint32_t M)
{
    int64_t sum = 0;
    size_t big = 0;
    for (size_t i = 0; i < k; i++) {
        uint64_t f = (uint64_t)(((u128)u[i].count * M + n / 2) / n);
        u[i].freq = (uint32_t)(f ? f : 1);
        sum += u[i].freq;
        if (u[i].count > u[big].count) big = i;
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

/* Bits the tokens cost with the current frequencies (ignoring the per-step rounding). */
static double model_bits(const rsym *u, size_t k, int scale)
{
    double b = 0;
    for (size_t i = 0; i < k; i++)
        b += (double)u[i].count * ((double)scale - log2((double)u[i].freq));
    return b;
}

/* Smallest scale whose model costs at most 0.5 % over the entropy of table u (k used symbols, n tokens). */
static int choose_scale(rsym *u, size_t k, uint64_t n)
{
    int lo = ceil_log2(k) + 1;
    lo = lo < SCALE_MIN ? SCALE_MIN : lo > SCALE_MAX ? SCALE_MAX : lo;
    double ideal = 0;
    for (size_t i = 0; i < k; i++)
        ideal += (double)u[i].count * log2((double)n / (double)u[i].count);
    for (int s = lo; s < SCALE_MAX; s++) {
        normalise(u, k, n, 1u << s);
        if (model_bits(u, k, s) <= ideal * 1.005 + 64) return s;
    }
    return SCALE_MAX;
}

static void esym_init(esym *e, uint32_t cum, uint32_t freq, int scale)
{
    uint32_t M = 1u << scale;
    e->x_max = (uint64_t)((RANS_L >> scale) << 16) * freq;
    e->cmpl = M - freq;
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

/* Renormalise (branch-free: the word is stored below p whether or not it is kept, p moves only when it
 * is), then encode. */
static inline uint32_t enc_put(uint32_t x, const esym *e, uint16_t **p)
{
    uint16_t *q = *p;
    int emit = x >= e->x_max;
    q[-1] = (uint16_t)x;
    *p = q - emit;
    uint64_t y = x >> (16 * emit); /* a shift, not a select: the compiler turned that into a branch */
    uint64_t d = (uint64_t)(((u128)y * e->rcp) >> 64) >> e->shift;
    return (uint32_t)(y + e->bias + d * e->cmpl);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ /* little-endian hosts copy the words as they are */
static inline void store16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
#endif

static inline uint16_t load16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t load32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

sr_status sr_rans_core_encode(const uint32_t *tok, size_t n, int n_ctx, const uint64_t *const *counts,
                              const size_t *alphabet, sr_wbuf *out)
{
    sr_status st = SR_OK;
    rsym *u[SR_RANS_MAX_CTX] = {NULL};
    esym *es[SR_RANS_MAX_CTX] = {NULL};
    size_t k[SR_RANS_MAX_CTX] = {0};
    uint16_t *words = NULL;
    int scale = SCALE_MIN;
    for (int c = 0; c < n_ctx; c++) {
        uint64_t total = 0;
        for (size_t s = 0; s < alphabet[c]; s++)
            k[c] += counts[c][s] != 0, total += counts[c][s];
        if (k[c] > SR_RANS_MAX_USED) return SR_ERR_RANGE;
        u[c] = malloc((k[c] ? k[c] : 1) * sizeof *u[c]);
        es[c] = malloc((alphabet[c] ? alphabet[c] : 1) * sizeof *es[c]);
        if (!u[c] || !es[c]) {
            st = SR_ERR_NOMEM;
            goto cleanup;
        }
        k[c] = 0;
        for (size_t s = 0; s < alphabet[c]; s++)
            if (counts[c][s]) u[c][k[c]++] = (rsym){(uint32_t)s, 0, counts[c][s]};
        if (k[c]) {
            int sc = choose_scale(u[c], k[c], total);
            scale = sc > scale ? sc : scale;
        }
    }
    sr_wbuf_u8(out, (uint8_t)scale);
    for (int c = 0; c < n_ctx; c++) {
        uint64_t total = 0;
        for (size_t i = 0; i < k[c]; i++)
            total += u[c][i].count;
        if (k[c]) normalise(u[c], k[c], total, 1u << scale);
        sr_wbuf_varint(out, k[c]);
        uint32_t prev = 0, cum = 0;
        for (size_t i = 0; i < k[c]; i++) {
            esym_init(&es[c][u[c][i].sym], cum, u[c][i].freq, scale);
            cum += u[c][i].freq;
            sr_wbuf_varint(out, i ? u[c][i].sym - prev - 1 : u[c][i].sym);
            sr_wbuf_varint(out, u[c][i].freq - 1);
            prev = u[c][i].sym;
        }
    }
    /* at most one word per token */
    size_t cap = n + 2 * WAYS;
    words = malloc(cap * sizeof *words);
    if (!words) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    uint16_t *end = words + cap, *p = end;
    uint32_t x[WAYS];
    for (int j = 0; j < WAYS; j++)
        x[j] = RANS_L;
    size_t i = n;
    const esym *e0 = es[0], *e1 = es[n_ctx - 1];
    while (i % WAYS) { /* the tail first, so that the main loop runs whole groups */
        i--;
        x[i % WAYS] = enc_put(x[i % WAYS], (i & 1) ? &e1[tok[i]] : &e0[tok[i]], &p);
    }
    while (i > 0) {
        i -= WAYS;
        const uint32_t *t = tok + i;
        for (int j = WAYS - 1; j > 0; j -= 2) {
            x[j] = enc_put(x[j], &e1[t[j]], &p);
            x[j - 1] = enc_put(x[j - 1], &e0[t[j - 1]], &p);
        }
    }
    size_t nw = (size_t)(end - p);
    sr_wbuf_varint(out, nw);
    uint8_t *o = sr_wbuf_reserve(out, 4 * WAYS + 2 * nw);
    if (!o) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (int j = 0; j < WAYS; j++)
        for (int b = 0; b < 4; b++)
            o[4 * j + b] = (uint8_t)(x[j] >> (8 * b));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(o + 4 * WAYS, p, 2 * nw);
#else
    for (size_t w = 0; w < nw; w++)
        store16le(o + 4 * WAYS + 2 * w, p[w]);
#endif
    out->len += 4 * WAYS + 2 * nw;
    st = sr_wbuf_status(out);
cleanup:
    for (int c = 0; c < SR_RANS_MAX_CTX; c++)
        free(u[c]), free(es[c]);
    free(words);
    return st;
}

/* Decoding tables: per slot of table c (at c * M + slot), freq << 16 | (slot - cum) and the symbol. */
typedef struct {
    uint32_t *fb;
    uint32_t *sym;
    int scale;
} dtab;

/* One token with full checks: SR_ERR_CORRUPT when a word is needed and none is left. */
static inline int dec_one(uint32_t *x, const dtab *t, uint32_t ctx_off, const uint8_t *words, size_t nw,
                          size_t *w, uint32_t *out)
{
    uint32_t slot = (*x & ((1u << t->scale) - 1)) + ctx_off, fb = t->fb[slot];
    *out = t->sym[slot];
    uint32_t y = (fb >> 16) * (*x >> t->scale) + (fb & 0xffff);
    if (y < RANS_L) {
        if (*w >= nw) return -1;
        y = y << 16 | load16le(words + 2 * *w);
        ++*w;
    }
    *x = y;
    return 0;
}

#ifdef HAVE_AVX2_PATH
/* lane_pick[m][j]: the number of lanes below j set in mask m, i.e. which of the next words lane j takes
 * when it needs one (a constant table: no initialisation to race on). */
#define BELOW(m, j)                                                                                          \
    ((j > 0 && ((m)&1)) + (j > 1 && ((m) >> 1 & 1)) + (j > 2 && ((m) >> 2 & 1)) +                            \
     (j > 3 && ((m) >> 3 & 1)) + (j > 4 && ((m) >> 4 & 1)) + (j > 5 && ((m) >> 5 & 1)) +                     \
     (j > 6 && ((m) >> 6 & 1)))
#define ROW(m)                                                                                               \
    {BELOW(m, 0), BELOW(m, 1), BELOW(m, 2), BELOW(m, 3), BELOW(m, 4), BELOW(m, 5), BELOW(m, 6), BELOW(m, 7)},
#define ROW4(m) ROW(m) ROW((m) + 1) ROW((m) + 2) ROW((m) + 3)
#define ROW16(m) ROW4(m) ROW4((m) + 4) ROW4((m) + 8) ROW4((m) + 12)
#define ROW64(m) ROW16(m) ROW16((m) + 16) ROW16((m) + 32) ROW16((m) + 48)
static const uint32_t lane_pick[256][8] = {ROW64(0) ROW64(64) ROW64(128) ROW64(192)};
#undef ROW64
#undef ROW16
#undef ROW4
#undef ROW
#undef BELOW

/* Whole groups of WAYS tokens while 16 words (two vector steps' worth, and the 16-byte loads) remain;
 * returns the tokens decoded. Little-endian host only (x86-64). */
__attribute__((target("avx2,popcnt"))) static size_t dec_avx2(uint32_t *xs, const dtab *t, int n_ctx,
                                                              const uint8_t *words, size_t nw, size_t *w,
                                                              uint32_t *tok, size_t n)
{
    const int scale = t->scale;
    const __m256i mask = _mm256_set1_epi32((int)((1u << scale) - 1)), lo16 = _mm256_set1_epi32(0xffff);
    const __m256i zero = _mm256_setzero_si256();
    /* lanes of odd tokens use the second table */
    const __m256i ctx =
        n_ctx > 1 ? _mm256_setr_epi32(0, 1 << scale, 0, 1 << scale, 0, 1 << scale, 0, 1 << scale) : zero;
    const __m128i sh = _mm_cvtsi32_si128(scale);
    __m256i x0 = _mm256_loadu_si256((const void *)xs), x1 = _mm256_loadu_si256((const void *)(xs + 8));
    const int *fb = (const int *)t->fb, *sy = (const int *)t->sym;
    size_t ww = *w, i = 0, last = nw >= 16 ? nw - 16 : 0;
    if (nw < 16) return 0;
#define STEP(x, o)                                                                                           \
    do {                                                                                                     \
        __m256i slot = _mm256_add_epi32(_mm256_and_si256(x, mask), ctx);                                     \
        __m256i e = _mm256_i32gather_epi32(fb, slot, 4);                                                     \
        __m256i s = _mm256_i32gather_epi32(sy, slot, 4);                                                     \
        _mm256_storeu_si256((void *)(o), s);                                                                 \
        x = _mm256_add_epi32(_mm256_mullo_epi32(_mm256_srli_epi32(e, 16), _mm256_srl_epi32(x, sh)),          \
                             _mm256_and_si256(e, lo16));                                                     \
        __m256i need = _mm256_cmpeq_epi32(_mm256_srli_epi32(x, 16), zero);                                   \
        unsigned m = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(need));                                \
        __m256i wv = _mm256_cvtepu16_epi32(_mm_loadu_si128((const void *)(words + 2 * ww)));                 \
        wv = _mm256_permutevar8x32_epi32(wv, _mm256_loadu_si256((const void *)lane_pick[m]));                \
        x = _mm256_blendv_epi8(x, _mm256_or_si256(_mm256_slli_epi32(x, 16), wv), need);                      \
        ww += (size_t)__builtin_popcount(m);                                                                 \
    } while (0)
    for (; i + WAYS <= n && ww <= last; i += WAYS) {
        STEP(x0, tok + i);
        STEP(x1, tok + i + 8);
    }
#undef STEP
    _mm256_storeu_si256((void *)xs, x0);
    _mm256_storeu_si256((void *)(xs + 8), x1);
    *w = ww;
    return i;
}
#endif

static int g_scalar_only;

int sr_rans_core_scalar_only(int on)
{
    int was = g_scalar_only;
    g_scalar_only = on;
    return was;
}

sr_status sr_rans_core_decode(sr_rbuf *in, size_t n, int n_ctx, const uint32_t *max_sym, uint32_t *tok)
{
    uint8_t scale;
    if (sr_rbuf_u8(in, &scale) || scale < SCALE_MIN || scale > SCALE_MAX) return SR_ERR_CORRUPT;
    uint32_t M = 1u << scale;
    sr_status st = SR_OK;
    dtab t = {malloc((size_t)n_ctx * M * sizeof *t.fb), malloc((size_t)n_ctx * M * sizeof *t.sym), scale};
    if (!t.fb || !t.sym) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (int c = 0; c < n_ctx; c++) {
        uint64_t k, prev = 0, cum = 0;
        if (sr_rbuf_varint_max(in, M, &k)) goto corrupt;
        for (uint64_t i = 0; i < k; i++) {
            uint64_t d, f;
            if (sr_rbuf_varint_max(in, max_sym[c], &d) || sr_rbuf_varint_max(in, M - 1, &f)) goto corrupt;
            uint64_t s = i ? prev + 1 + d : d;
            /* freq M (one symbol) would not fit the 16 bits of the table at scale 16 */
            if (s >= max_sym[c] || cum + f + 1 > M || f + 1 > 0xffff) goto corrupt;
            uint32_t *fb = t.fb + (size_t)c * M + cum;
            uint32_t *sy = t.sym + (size_t)c * M + cum;
            for (uint32_t j = 0; j <= f; j++)
                fb[j] = (uint32_t)(f + 1) << 16 | j, sy[j] = (uint32_t)s;
            cum += f + 1;
            prev = s;
        }
        if (cum != M) /* every table is used (n >= n_ctx) and covers every slot */
            goto corrupt;
    }
    uint64_t nw;
    const uint8_t *p;
    if (sr_rbuf_varint_max(in, sr_rbuf_left(in) / 2, &nw) || sr_rbuf_view(in, 4 * WAYS, &p)) goto corrupt;
    uint32_t x[WAYS];
    for (int j = 0; j < WAYS; j++)
        if ((x[j] = load32le(p + 4 * j)) < RANS_L) goto corrupt;
    const uint8_t *words;
    if (sr_rbuf_view(in, (size_t)nw * 2, &words)) goto corrupt;
    size_t w = 0, i = 0;
#ifdef HAVE_AVX2_PATH
    if (!g_scalar_only && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt"))
        i = dec_avx2(x, &t, n_ctx, words, (size_t)nw, &w, tok, n);
#endif
    for (; i < n; i++) {
        uint32_t off = (n_ctx > 1 && (i & 1)) ? M : 0;
        if (dec_one(&x[i % WAYS], &t, off, words, (size_t)nw, &w, &tok[i])) goto corrupt;
    }
    for (int j = 0; j < WAYS; j++)
        if (x[j] != RANS_L) goto corrupt;
    if (w != nw) goto corrupt;
    goto cleanup;
corrupt:
    st = SR_ERR_CORRUPT;
cleanup:
    free(t.fb), free(t.sym);
    return st;
}
