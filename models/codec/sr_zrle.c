/* sr_zrle.c: zero-run coding (see sr_zrle.h).
 *
 * Both directions avoid a branch per symbol on "zero or not" (on post-ReLU maps that is a coin flip the
 * CPU cannot predict): the split stores the current run and value unconditionally and advances the
 * outputs by a 0/1 flag; the join clears the output once and then only places the non-zero values. */
#include "sr_zrle.h"

#include <string.h>

void sr_zrle_split(const uint32_t *sym, size_t n, uint32_t *runs, size_t *n_runs, uint32_t *vals, size_t *n_vals)
{
    size_t nr = 0, nv = 0;
    uint32_t run = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = sym[i], nz = v != 0;
        runs[nr] = run; /* kept when v ends the run, overwritten otherwise */
        vals[nv] = v - 1;
        nr += nz;
        nv += nz;
        run = (run + 1) & (nz - 1); /* 0 after a value, run + 1 after a zero */
        if (run == SR_ZRLE_RUN_ESC) {
            runs[nr++] = SR_ZRLE_RUN_ESC;
            run = 0;
        }
    }
    if (run)
        runs[nr++] = run;
    *n_runs = nr;
    *n_vals = nv;
}

sr_status sr_zrle_join(const uint32_t *runs, size_t n_runs, const uint32_t *vals, size_t n_vals, uint32_t *sym,
                       size_t n)
{
    size_t o = 0, r = 0, v = 0;
    if (n)
        memset(sym, 0, n * sizeof *sym);
    while (o < n) {
        if (r >= n_runs)
            return SR_ERR_CORRUPT;
        uint32_t t = runs[r++];
        if (t > SR_ZRLE_RUN_ESC || t > n - o)
            return SR_ERR_CORRUPT;
        o += t;
        if (t == SR_ZRLE_RUN_ESC || o == n)
            continue;
        if (v >= n_vals || vals[v] == UINT32_MAX)
            return SR_ERR_CORRUPT;
        sym[o++] = vals[v++] + 1;
    }
    return (r == n_runs && v == n_vals) ? SR_OK : SR_ERR_CORRUPT;
}
