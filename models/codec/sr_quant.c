/* sr_quant.c: uniform, Lloyd-Max and mu-law quantizers (see sr_quant.h). */
#include "sr_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PCT_BINS 4096
#define LLOYD_BINS 16384

sr_status sr_quant_check(const sr_quant_params *p)
{
    if (!p || p->kind < 0 || p->kind >= SR_QUANT_KIND_COUNT || p->bits < 1 || p->bits > 16)
        return SR_ERR_INVALID;
    if (p->kind == SR_QUANT_LLOYD && (p->bits > 12 || p->lloyd_iters < 0 || p->lloyd_iters > 1000))
        return SR_ERR_INVALID;
    if (p->kind == SR_QUANT_MULAW && !(p->mu > 0 && p->mu < 1e9))
        return SR_ERR_INVALID;
    if (!(p->clip_pct == 0 || (p->clip_pct > 50 && p->clip_pct <= 100)))
        return SR_ERR_INVALID;
    return SR_OK;
}

static sr_status min_max(const float *x, size_t n, double *mn, double *mx)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]))
            return SR_ERR_INVALID;
        a = x[i] < a ? x[i] : a;
        b = x[i] > b ? x[i] : b;
    }
    if (n == 0)
        a = b = 0;
    *mn = a;
    *mx = b;
    return SR_OK;
}

/* Narrows [*lo, *hi] to the [100-pct, pct] percentiles (histogram resolution: range / PCT_BINS). */
static void clip_range(const float *x, size_t n, double pct, double *lo, double *hi)
{
    if (pct <= 0 || pct >= 100 || *hi <= *lo || n == 0)
        return;
    size_t *h = calloc(PCT_BINS, sizeof *h);
    if (!h)
        return; /* keep min/max: still a valid (wider) range */
    double w = (*hi - *lo) / PCT_BINS;
    for (size_t i = 0; i < n; i++) {
        long b = (long)((x[i] - *lo) / w);
        h[b < 0 ? 0 : b >= PCT_BINS ? PCT_BINS - 1 : b]++;
    }
    double tail = (100.0 - pct) / 100.0 * (double)n;
    size_t acc = 0;
    int blo = 0, bhi = PCT_BINS - 1;
    for (; blo < PCT_BINS - 1; blo++) {
        if ((double)(acc + h[blo]) > tail)
            break;
        acc += h[blo];
    }
    acc = 0;
    for (; bhi > blo; bhi--) {
        if ((double)(acc + h[bhi]) > tail)
            break;
        acc += h[bhi];
    }
    double nlo = *lo + blo * w, nhi = *lo + (bhi + 1) * w;
    *lo = nlo > *lo ? nlo : *lo;
    *hi = nhi < *hi ? nhi : *hi;
    free(h);
}

/* ---- uniform ---------------------------------------------------------------------------------- */

static sr_status uniform_encode(const float *x, size_t n, int bits, double clip, float fixed, uint32_t *sym,
                                sr_wbuf *side, float *step_out)
{
    double lo, hi;
    sr_status st = min_max(x, n, &lo, &hi);
    if (st)
        return st;
    clip_range(x, n, clip, &lo, &hi);
    double step = hi > lo ? (hi - lo) / ((1u << bits) - 1) : 0;
    if (fixed > 0) { /* grid through 0 with the given step: widen the range to include 0 */
        step = fixed;
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
        double levels = ceil(-lo / step) + ceil(hi / step) + 1;
        bits = 1;
        while (bits < 16 && (double)(1u << bits) < levels)
            bits++;
    }
    uint32_t N = 1u << bits;
    float step_f = (float)step, base_f = (float)lo;
    if (!isfinite(step_f) || !isfinite(base_f))
        return SR_ERR_RANGE;
    if (step_out)
        *step_out = step_f;
    sr_wbuf_u8(side, (uint8_t)bits);
    long zp = 0;
    if (fixed > 0 && step_f > 0) {
        /* centre the grid on the data: zp levels below zero */
        double below = ceil(-lo / step_f), above = ceil(hi / step_f);
        double extra = (double)N - 1 - below - above; /* spare levels when clamping is not needed */
        zp = (long)(extra >= 0 ? below : fmin(below, (double)N / 2));
        base_f = 0;
    } else if (step_f > 0 && lo <= 0 && hi >= 0) {
        zp = lround(-lo / step_f);
        zp = zp < 0 ? 0 : zp > (long)N - 1 ? (long)N - 1 : zp;
        base_f = 0;
    }
    sr_wbuf_f32(side, base_f);
    sr_wbuf_f32(side, step_f);
    sr_wbuf_varint(side, (uint64_t)zp);
    for (size_t i = 0; i < n; i++) {
        double r = step_f > 0 ? ((double)x[i] - base_f) / step_f : 0;
        r = r < -(double)N ? -(double)N : r > (double)N ? (double)N : r;
        long q = lround(r) + zp;
        q = q < 0 ? 0 : q > (long)N - 1 ? (long)N - 1 : q;
        sym[i] = (uint32_t)((q - zp + (long)N) % (long)N);
    }
    return sr_wbuf_status(side);
}

static sr_status uniform_decode(sr_rbuf *side, const uint32_t *sym, size_t n, float *y)
{
    float base, step;
    uint64_t zp;
    uint8_t bits;
    if (sr_rbuf_u8(side, &bits) || bits < 1 || bits > 16)
        return SR_ERR_CORRUPT;
    uint32_t N = 1u << bits;
    if (sr_rbuf_f32(side, &base) || sr_rbuf_f32(side, &step) || step < 0 || sr_rbuf_varint_max(side, N - 1, &zp))
        return SR_ERR_CORRUPT;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= N)
            return SR_ERR_CORRUPT;
        uint32_t q = (uint32_t)((sym[i] + zp) % N);
        y[i] = (float)(((double)q - (double)zp) * step + base);
        if (!isfinite(y[i]))
            return SR_ERR_CORRUPT;
    }
    return SR_OK;
}

/* ---- Lloyd-Max -------------------------------------------------------------------------------- */

static size_t nearest_level(const float *lv, uint32_t N, float v)
{
    size_t a = 0, b = N; /* first level >= v */
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (lv[mid] < v)
            a = mid + 1;
        else
            b = mid;
    }
    if (a == N)
        return N - 1;
    if (a > 0 && v - lv[a - 1] <= lv[a] - v)
        return a - 1;
    return a;
}

static sr_status lloyd_encode(const float *x, size_t n, int bits, int iters, uint32_t *sym, sr_wbuf *side)
{
    double lo, hi;
    sr_status st = min_max(x, n, &lo, &hi);
    if (st)
        return st;
    uint32_t N = 1u << bits;
    float *lv = malloc(N * sizeof *lv);
    double *cnt = calloc(LLOYD_BINS, sizeof *cnt), *sum = calloc(LLOYD_BINS, sizeof *sum);
    double *acc = malloc(N * sizeof *acc), *accn = malloc(N * sizeof *accn);
    if (!lv || !cnt || !sum || !acc || !accn) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    if (hi <= lo) {
        for (uint32_t j = 0; j < N; j++)
            lv[j] = (float)lo;
    } else {
        double w = (hi - lo) / LLOYD_BINS;
        for (size_t i = 0; i < n; i++) {
            long b = (long)((x[i] - lo) / w);
            b = b < 0 ? 0 : b >= LLOYD_BINS ? LLOYD_BINS - 1 : b;
            cnt[b] += 1;
            sum[b] += x[i];
        }
        /* initial levels at the (j + 1/2) / N quantiles */
        double c = 0;
        uint32_t j = 0;
        for (long b = 0; b < LLOYD_BINS && j < N; b++) {
            c += cnt[b];
            while (j < N && c >= ((double)j + 0.5) / N * (double)n)
                lv[j++] = (float)(lo + (b + 0.5) * w);
        }
        for (; j < N; j++)
            lv[j] = (float)hi;
        for (int it = 0; it < iters; it++) {
            memset(acc, 0, N * sizeof *acc);
            memset(accn, 0, N * sizeof *accn);
            uint32_t cell = 0;
            for (long b = 0; b < LLOYD_BINS; b++) {
                if (cnt[b] == 0)
                    continue;
                double centre = sum[b] / cnt[b];
                while (cell + 1 < N && centre > 0.5 * ((double)lv[cell] + lv[cell + 1]))
                    cell++;
                acc[cell] += sum[b];
                accn[cell] += cnt[b];
            }
            for (uint32_t k = 0; k < N; k++)
                if (accn[k] > 0)
                    lv[k] = (float)(acc[k] / accn[k]);
            for (uint32_t k = 1; k < N; k++) /* keep sorted (centroids of ordered cells already are) */
                if (lv[k] < lv[k - 1])
                    lv[k] = lv[k - 1];
        }
    }
    uint32_t zp = 0;
    if (lo <= 0 && hi >= 0) {
        zp = (uint32_t)nearest_level(lv, N, 0.0f);
        lv[zp] = 0.0f;
    }
    for (uint32_t j = 0; j < N; j++)
        sr_wbuf_f32(side, lv[j]);
    sr_wbuf_varint(side, zp);
    for (size_t i = 0; i < n; i++) {
        uint32_t q = (uint32_t)nearest_level(lv, N, x[i]);
        sym[i] = (q - zp + N) % N;
    }
    st = sr_wbuf_status(side);
cleanup:
    free(lv), free(cnt), free(sum), free(acc), free(accn);
    return st;
}

static sr_status lloyd_decode(sr_rbuf *side, const uint32_t *sym, size_t n, int bits, float *y)
{
    uint32_t N = 1u << bits;
    float *lv = malloc(N * sizeof *lv);
    if (!lv)
        return SR_ERR_NOMEM;
    sr_status st = SR_OK;
    uint64_t zp;
    for (uint32_t j = 0; j < N && st == SR_OK; j++)
        st = sr_rbuf_f32(side, &lv[j]);
    if (st || sr_rbuf_varint_max(side, N - 1, &zp)) {
        free(lv);
        return SR_ERR_CORRUPT;
    }
    for (size_t i = 0; i < n; i++) {
        if (sym[i] >= N) {
            free(lv);
            return SR_ERR_CORRUPT;
        }
        y[i] = lv[(sym[i] + zp) % N];
    }
    free(lv);
    return SR_OK;
}

/* ---- mu-law ----------------------------------------------------------------------------------- */

static sr_status mulaw_encode(const float *x, size_t n, int bits, double mu, double clip, uint32_t *sym,
                              sr_wbuf *side)
{
    double lo, hi;
    sr_status st = min_max(x, n, &lo, &hi);
    if (st)
        return st;
    double a = fmax(fabs(lo), fabs(hi));
    float a_f = (float)(a > 0 ? a : 1.0);
    float *t = malloc((n ? n : 1) * sizeof *t);
    if (!t)
        return SR_ERR_NOMEM;
    double lmu = log1p(mu);
    for (size_t i = 0; i < n; i++) {
        double v = fabs(x[i]) / a_f;
        double c = log1p(mu * v) / lmu;
        t[i] = (float)(x[i] < 0 ? -c : c);
    }
    sr_wbuf_f32(side, a_f);
    st = uniform_encode(t, n, bits, clip, 0, sym, side, NULL);
    free(t);
    return st;
}

static sr_status mulaw_decode(sr_rbuf *side, const uint32_t *sym, size_t n, double mu, float *y)
{
    float a;
    if (sr_rbuf_f32(side, &a) || !(a > 0))
        return SR_ERR_CORRUPT;
    sr_status st = uniform_decode(side, sym, n, y);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++) {
        double c = fmin(fabs(y[i]), 1.0);
        double v = a * expm1(c * log1p(mu)) / mu;
        y[i] = (float)(y[i] < 0 ? -v : v);
    }
    return SR_OK;
}

/* ---- groups ----------------------------------------------------------------------------------- */

sr_status sr_quant_encode(const sr_quant_params *p, const float *x, int c, size_t m, uint32_t *sym, sr_wbuf *side,
                          float *steps_out)
{
    sr_status st = sr_quant_check(p);
    if (st || c < 1)
        return SR_ERR_INVALID;
    int groups = p->per_channel ? c : 1;
    size_t gn = p->per_channel ? m : (size_t)c * m;
    for (int g = 0; g < groups && st == SR_OK; g++) {
        const float *xg = x + (size_t)g * gn;
        uint32_t *sg = sym + (size_t)g * gn;
        if (steps_out)
            steps_out[g] = 0;
        switch (p->kind) {
        case SR_QUANT_UNIFORM:
            st = uniform_encode(xg, gn, p->bits, p->clip_pct, p->fixed_step ? p->fixed_step[g] : 0, sg, side,
                                steps_out ? &steps_out[g] : NULL);
            break;
        case SR_QUANT_LLOYD:
            st = lloyd_encode(xg, gn, p->bits, p->lloyd_iters, sg, side);
            break;
        case SR_QUANT_MULAW:
            st = mulaw_encode(xg, gn, p->bits, p->mu, p->clip_pct, sg, side);
            break;
        case SR_QUANT_KIND_COUNT:
            return SR_ERR_INVALID;
        }
    }
    return st;
}

sr_status sr_quant_decode(const sr_quant_params *p, sr_rbuf *side, const uint32_t *sym, int c, size_t m, float *y)
{
    sr_status st = sr_quant_check(p);
    if (st || c < 1)
        return SR_ERR_INVALID;
    int groups = p->per_channel ? c : 1;
    size_t gn = p->per_channel ? m : (size_t)c * m;
    for (int g = 0; g < groups && st == SR_OK; g++) {
        const uint32_t *sg = sym + (size_t)g * gn;
        float *yg = y + (size_t)g * gn;
        switch (p->kind) {
        case SR_QUANT_UNIFORM:
            st = uniform_decode(side, sg, gn, yg);
            break;
        case SR_QUANT_LLOYD:
            st = lloyd_decode(side, sg, gn, p->bits, yg);
            break;
        case SR_QUANT_MULAW:
            st = mulaw_decode(side, sg, gn, p->mu, yg);
            break;
        case SR_QUANT_KIND_COUNT:
            return SR_ERR_INVALID;
        }
    }
    return st;
}
