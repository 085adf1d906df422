/* sr_hist.c: symbol histograms for the entropy coders (see sr_hist.h). */
#include "sr_hist.h"

#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"

size_t sr_hist_seg_start(size_t n, int j)
{
    /* n * j / 4 without overflow for any n */
    return (n / SR_HIST_SEGS) * (size_t)j + (n % SR_HIST_SEGS) * (size_t)j / SR_HIST_SEGS;
}

/* Counts into SR_HIST_SEGS tables of `stride` counters, indexing with (s & mask); returns the OR of all
 * symbols. The first segment is the shortest, so the interleaved loop runs its length and the others
 * finish alone. */
static uint32_t count_segs(const uint32_t *sym, size_t n, size_t stride, uint32_t mask, uint64_t *counts)
{
    size_t b[SR_HIST_SEGS + 1];
    for (int j = 0; j <= SR_HIST_SEGS; j++)
        b[j] = sr_hist_seg_start(n, j);
    uint64_t *c0 = counts, *c1 = counts + stride, *c2 = counts + 2 * stride, *c3 = counts + 3 * stride;
    const uint32_t *s0 = sym + b[0], *s1 = sym + b[1], *s2 = sym + b[2], *s3 = sym + b[3];
    size_t q = b[1] - b[0];
    uint32_t o0 = 0, o1 = 0, o2 = 0, o3 = 0;
    for (size_t i = 0; i < q; i++) {
        uint32_t v0 = s0[i], v1 = s1[i], v2 = s2[i], v3 = s3[i];
        o0 |= v0, o1 |= v1, o2 |= v2, o3 |= v3;
        c0[v0 & mask]++;
        c1[v1 & mask]++;
        c2[v2 & mask]++;
        c3[v3 & mask]++;
    }
    for (int j = 1; j < SR_HIST_SEGS; j++)
        for (size_t i = b[j] + q; i < b[j + 1]; i++) {
            o0 |= sym[i];
            counts[(size_t)j * stride + (sym[i] & mask)]++;
        }
    return o0 | o1 | o2 | o3;
}

sr_status sr_hist_build(const uint32_t *sym, size_t n, size_t *alphabet, uint64_t **counts)
{
    uint64_t small[SR_HIST_SEGS * 256];
    memset(small, 0, sizeof small);
    uint32_t all = count_segs(sym, n, 256, 255, small);
    size_t a;
    uint64_t *c;
    if (all < 256) {
        a = 1;
        for (size_t s = 0; s < 256; s++)
            for (int j = 0; j < SR_HIST_SEGS; j++)
                if (small[(size_t)j * 256 + s])
                    a = s + 1;
        c = malloc(SR_HIST_SEGS * a * sizeof *c);
        if (!c)
            return SR_ERR_NOMEM;
        for (int j = 0; j < SR_HIST_SEGS; j++)
            memcpy(c + (size_t)j * a, small + (size_t)j * 256, a * sizeof *c);
    } else {
        if (all >= SR_SYM_MAX)
            return SR_ERR_RANGE;
        uint32_t mx = 0;
        for (size_t i = 0; i < n; i++)
            mx = sym[i] > mx ? sym[i] : mx;
        a = (size_t)mx + 1;
        c = calloc(SR_HIST_SEGS * a, sizeof *c);
        if (!c)
            return SR_ERR_NOMEM;
        (void)count_segs(sym, n, a, UINT32_MAX, c);
    }
    *alphabet = a;
    *counts = c;
    return SR_OK;
}
