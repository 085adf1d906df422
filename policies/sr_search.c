/* sr_search.c: the fusion DP (eq. 2 of Zhou et al.) and its exhaustive check (see sr_search.h). */
#include "sr_search.h"

#include <math.h>
#include <stdlib.h>

static double block_cost(int n, const double *tl, const double *tf, int i, int j)
{
    return i == j ? tl[i] : tf[(size_t)i * (size_t)n + (size_t)j];
}

double sr_search_dp(int n, const double *tl, const double *tf, int *block_last, int *n_blocks)
{
    *n_blocks = 0;
    if (n < 1 || n > SR_SEARCH_MAX_LAYERS || !tl || !tf) return INFINITY;
    double *best = malloc(sizeof(double) * (size_t)(n + 1)); /* best[i]: layers i..n-1 */
    int *next = malloc(sizeof(int) * (size_t)(n + 1));       /* first block of that: i..next[i]-1 */
    if (!best || !next) {
        free(best);
        free(next);
        return INFINITY;
    }
    best[n] = 0;
    for (int i = n - 1; i >= 0; i--) {
        best[i] = INFINITY;
        next[i] = i + 1;
        for (int k = 1; i + k <= n; k++) {
            double c = block_cost(n, tl, tf, i, i + k - 1) + best[i + k];
            if (c < best[i]) best[i] = c, next[i] = i + k;
        }
    }
    double cost = best[0];
    for (int i = 0; i < n && isfinite(cost); i = next[i])
        block_last[(*n_blocks)++] = next[i] - 1;
    free(best);
    free(next);
    return cost;
}

double sr_search_exhaustive(int n, const double *tl, const double *tf, int *block_last, int *n_blocks)
{
    *n_blocks = 0;
    if (n < 1 || n > SR_SEARCH_MAX_EXHAUSTIVE || !tl || !tf) return INFINITY;
    double best = INFINITY;
    long best_mask = -1;
    /* bit k of mask set: a block ends after layer k (k < n - 1); visit masks so that shorter first blocks win
     * ties */
    for (long m = 0; m < (1L << (n - 1)); m++) {
        double c = 0;
        int start = 0;
        for (int k = 0; k < n; k++)
            if (k == n - 1 || (m >> k & 1)) {
                c += block_cost(n, tl, tf, start, k);
                start = k + 1;
            }
        if (c < best) best = c, best_mask = m;
    }
    if (best_mask < 0) return INFINITY;
    for (int k = 0; k < n; k++)
        if (k == n - 1 || (best_mask >> k & 1)) block_last[(*n_blocks)++] = k;
    return best;
}
