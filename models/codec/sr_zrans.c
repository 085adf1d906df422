/* sr_zrans.c: zero-run + rANS in one pass of one rANS engine (see sr_entropy.h).
 *
 * A stream is cut into groups (r, v): r zeros (0 <= r <= 255) followed by the symbol v. v is non-zero
 * except where a run is longer than 255 zeros (the group (255, 0) holds 256 of them) and in the group that
 * ends the stream on zeros. The groups' run lengths and values are coded as one token stream, run and
 * value alternating, with two frequency tables (sr_rans_core.h: token i uses table i % 2), so each
 * state codes either runs or values and the decoder needs no second pass over the runs. The order-0 cost of
 * (run, value) groups is that of the symbols themselves on a memoryless source, and less where zeros
 * cluster, as they do on post-ReLU maps.
 *
 * Coding groups costs two tokens per non-zero symbol, so it pays only where zeros are the majority: the
 * encoder codes the plain symbols (one table, as sr_rans_encode) when there would be more groups than a
 * quarter of the symbols (fewer than ~75 % zeros). Measured on i.i.d. Laplace values with 70 % and 80 %
 * zeros (2026-12-02): groups decoded at 0.81x and 1.2x the speed of plain rANS on the same stream.
 *
 * Bitstream (format 3; format 2 was two rANS blocks, runs then values):
 *   varint n; if n > 0: u8 mode; mode 0: the engine's body with one table for the n symbols;
 *   mode 1: varint g (groups), the engine's body with two tables (run lengths < 256, values) for 2g tokens. */
#include <stdlib.h>
#include <string.h>

#include "sr_entropy.h"
#include "sr_hist.h"
#include "sr_rans_core.h"

#define RUN_MAX 255u

sr_status sr_zrans_encode(const uint32_t *sym, size_t n, sr_wbuf *out)
{
    sr_wbuf_varint(out, n);
    if (n == 0)
        return sr_wbuf_status(out);
    size_t a;
    uint64_t *counts = NULL, *vc = NULL;
    uint32_t *tok = NULL;
    sr_status st = sr_hist_build(sym, n, &a, &counts);
    if (st)
        return st;
    for (size_t s = 0; s < a; s++)
        for (int j = 1; j < SR_HIST_SEGS; j++)
            counts[s] += counts[(size_t)j * a + s];
    uint64_t zeros = counts[0], groups = (n - zeros) + zeros / (RUN_MAX + 1) + 1;
    if (groups * 4 > (uint64_t)n) {
        sr_wbuf_u8(out, 0);
        const uint64_t *tabs[1] = {counts};
        st = sr_rans_core_encode(sym, n, 1, tabs, &a, out);
        goto cleanup;
    }
    sr_wbuf_u8(out, 1);
    uint64_t rc[4][RUN_MAX + 1];
    memset(rc, 0, sizeof rc);
    vc = malloc(a * sizeof *vc);
    tok = malloc(2 * (groups + 1) * sizeof *tok);
    if (!vc || !tok) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    /* branch-free: the group slot is written at every symbol and kept (t advances) when a group ends;
     * nothing is counted here (a counter bumped at every symbol is a chain of store-to-load forwards) */
    uint32_t *t = tok, run = 0, seen = 0;
    for (size_t i = 0; i < n; i++) { /* first without the cap on runs: a shorter chain from one symbol to the next */
        uint32_t v = sym[i], end = v != 0;
        t[0] = run, t[1] = v;
        seen |= run;
        t += 2 * end;
        run = (run + 1) & (end - 1);
    }
    if ((seen | run) > RUN_MAX) { /* a run longer than RUN_MAX somewhere: split with the cap */
        t = tok, run = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t v = sym[i], end = (v != 0) | (run == RUN_MAX);
            t[0] = run, t[1] = v;
            t += 2 * end;
            run = (run + 1) & (end - 1);
        }
    }
    if (run) { /* trailing zeros: run - 1 zeros, then a zero */
        t[0] = run - 1, t[1] = 0;
        t += 2;
    }
    size_t ntok = (size_t)(t - tok), ng = ntok / 2, q = ng / 4 * 4;
    /* values: the non-zero symbols' counts are the histogram's; a zero value ends a long run or the stream */
    memcpy(vc, counts, a * sizeof *vc);
    vc[0] = 0;
    for (size_t i = 0; i < q; i += 4) {
        rc[0][tok[2 * i]]++, rc[1][tok[2 * i + 2]]++, rc[2][tok[2 * i + 4]]++, rc[3][tok[2 * i + 6]]++;
        vc[0] += (tok[2 * i + 1] == 0) + (tok[2 * i + 3] == 0) + (tok[2 * i + 5] == 0) + (tok[2 * i + 7] == 0);
    }
    for (size_t i = q; i < ng; i++)
        rc[0][tok[2 * i]]++, vc[0] += tok[2 * i + 1] == 0;
    for (size_t r = 0; r <= RUN_MAX; r++)
        rc[0][r] += rc[1][r] + rc[2][r] + rc[3][r];
    sr_wbuf_varint(out, ntok / 2);
    const uint64_t *tabs[2] = {rc[0], vc};
    size_t alpha[2] = {RUN_MAX + 1, a};
    st = sr_rans_core_encode(tok, ntok, 2, tabs, alpha, out);
cleanup:
    free(counts), free(vc), free(tok);
    return st;
}

sr_status sr_zrans_decode(sr_rbuf *in, uint32_t *sym, size_t cap, size_t *n_out)
{
    uint64_t n, g;
    uint8_t mode;
    *n_out = 0;
    if (sr_rbuf_varint_max(in, cap, &n))
        return SR_ERR_CORRUPT;
    if (n == 0)
        return SR_OK;
    if (sr_rbuf_u8(in, &mode) || mode > 1)
        return SR_ERR_CORRUPT;
    sr_status st;
    if (mode == 0) {
        uint32_t max_sym = SR_SYM_MAX;
        if ((st = sr_rans_core_decode(in, (size_t)n, 1, &max_sym, sym)) == SR_OK)
            *n_out = (size_t)n;
        return st;
    }
    if (sr_rbuf_varint_max(in, n, &g) || g == 0)
        return SR_ERR_CORRUPT;
    uint32_t *tok = malloc(2 * (size_t)g * sizeof *tok);
    if (!tok)
        return SR_ERR_NOMEM;
    uint32_t max_sym[2] = {RUN_MAX + 1, SR_SYM_MAX};
    if ((st = sr_rans_core_decode(in, 2 * (size_t)g, 2, max_sym, tok)))
        goto cleanup;
    static const uint32_t zero16[16];
    size_t o = 0, i = 0;
    const size_t safe = n > RUN_MAX + 17 ? (size_t)n - (RUN_MAX + 17) : 0;
    /* While a whole group and 16 spare symbols fit, every group stores 16 zeros blindly (most runs are
     * shorter) and only longer runs take a memset. */
    for (; i < g && o <= safe; i++) {
        uint32_t r = tok[2 * i], v = tok[2 * i + 1];
        memcpy(sym + o, zero16, sizeof zero16);
        if (r > 16)
            memset(sym + o + 16, 0, (r - 16) * sizeof *sym);
        sym[o + r] = v;
        o += r + 1;
    }
    for (; i < g; i++) {
        uint32_t r = tok[2 * i], v = tok[2 * i + 1];
        if (r + 1 > n - o) {
            st = SR_ERR_CORRUPT;
            goto cleanup;
        }
        memset(sym + o, 0, r * sizeof *sym);
        sym[o + r] = v;
        o += r + 1;
    }
    if (o != n)
        st = SR_ERR_CORRUPT;
    else
        *n_out = (size_t)n;
cleanup:
    free(tok);
    return st;
}
