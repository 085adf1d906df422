/* sr_search.h: Zhou et al.'s dynamic-programming search for where to fuse layers (eq. 2), and the exhaustive
 * search it must agree with.
 *
 * Layers 0..n-1 (a layer: a conv or fc node and the per-channel nodes after it) are grouped into consecutive
 * blocks. A block of one layer i costs tl[i] (its best layer-wise configuration); a fused block of layers
 * i..j (j > i) costs tf[i * n + j] (its best fused configuration; INFINITY where layers cannot be fused). The
 * cost of a grouping is the sum of its blocks' costs (eq. 1); the search returns the cheapest grouping:
 *     t_o(i, 0) = 0,  t_o(i, 1) = tl[i],  t_o(i, j) = min over 1 <= k <= j of t_f(i, k) + t_o(i + k, j - k)
 * with t_f(i, 1) = tl[i]. The DP breaks ties towards the shortest first block. */
#ifndef SR_SEARCH_H
#define SR_SEARCH_H

#define SR_SEARCH_MAX_LAYERS 512
#define SR_SEARCH_MAX_EXHAUSTIVE 20 /* layers the exhaustive search accepts (2^(n-1) groupings) */

/* Cheapest grouping of n layers (1 <= n <= SR_SEARCH_MAX_LAYERS): returns its cost; block_last[0..*n_blocks)
 * gets the last layer of each block. Returns INFINITY (and 0 blocks) for bad arguments. */
double sr_search_dp(int n, const double *tl, const double *tf, int *block_last, int *n_blocks);

/* The same by trying every grouping (n <= SR_SEARCH_MAX_EXHAUSTIVE). */
double sr_search_exhaustive(int n, const double *tl, const double *tf, int *block_last, int *n_blocks);

#endif
