/* sr_zrle.c: zero-run coding (see sr_zrle.h). */
#include "sr_zrle.h"

void sr_zrle_split(const uint32_t *sym, size_t n, uint32_t *runs, size_t *n_runs, uint32_t *vals, size_t *n_vals)
{
    size_t nr = 0, nv = 0;
    uint32_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (sym[i] == 0) {
            if (++run == SR_ZRLE_RUN_ESC) {
                runs[nr++] = SR_ZRLE_RUN_ESC;
                run = 0;
            }
        } else {
            runs[nr++] = run;
            vals[nv++] = sym[i] - 1;
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
    while (o < n) {
        if (r >= n_runs)
            return SR_ERR_CORRUPT;
        uint32_t t = runs[r++];
        if (t > SR_ZRLE_RUN_ESC || t > n - o)
            return SR_ERR_CORRUPT;
        for (uint32_t j = 0; j < t; j++)
            sym[o++] = 0;
        if (t == SR_ZRLE_RUN_ESC || o == n)
            continue;
        if (v >= n_vals || vals[v] == UINT32_MAX)
            return SR_ERR_CORRUPT;
        sym[o++] = vals[v++] + 1;
    }
    return (r == n_runs && v == n_vals) ? SR_OK : SR_ERR_CORRUPT;
}
