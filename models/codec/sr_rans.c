/* sr_rans.c: static order-0 rANS coder (see sr_entropy.h), a histogram and one table on the interleaved
 * engine of sr_rans_core.c.
 *
 * Bitstream (format 3; format 2 had 8 states of 64 bits with 32-bit words, format 1 one state):
 *   varint n; if n > 0: the engine's body with one table (sr_rans_core.h). */
#include <stdlib.h>

#include "sr_entropy.h"
#include "sr_hist.h"
#include "sr_rans_core.h"

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
    for (size_t s = 0; s < a; s++)
        for (int j = 1; j < SR_HIST_SEGS; j++)
            counts[s] += counts[(size_t)j * a + s];
    const uint64_t *tabs[1] = {counts};
    st = sr_rans_core_encode(sym, n, 1, tabs, &a, out);
    free(counts);
    return st;
}

sr_status sr_rans_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n;
    *n_out = 0;
    if (sr_rbuf_varint_max(in, cap, &n))
        return SR_ERR_CORRUPT;
    if (n == 0)
        return SR_OK;
    uint32_t max_sym = SR_SYM_MAX;
    sr_status st = sr_rans_core_decode(in, (size_t)n, 1, &max_sym, sym);
    if (st == SR_OK) *n_out = (size_t)n;
    return st;
}
