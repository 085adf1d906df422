/* sr_name_ix.c: see sr_name_ix.h. */
#include "sr_name_ix.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t slot(const sr_name_ix *ix, const char *k)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    size_t i = (size_t)(h ^ (h >> 29)) & (ix->cap - 1);
    while (ix->keys[i] && strcmp(ix->keys[i], k) != 0)
        i = (i + 1) & (ix->cap - 1);
    return i;
}

int sr_name_ix_get(const sr_name_ix *ix, const char *k)
{
    if (!ix->cap || !k) return -1;
    size_t i = slot(ix, k);
    return ix->keys[i] ? ix->vals[i] : -1;
}

int sr_name_ix_put(sr_name_ix *ix, const char *k, int v)
{
    if (!k) return -2;
    if (2 * (ix->n + 1) > ix->cap) {
        sr_name_ix g = {0};
        g.cap = ix->cap ? 2 * ix->cap : 64;
        g.keys = calloc(g.cap, sizeof *g.keys);
        g.vals = calloc(g.cap, sizeof *g.vals);
        if (!g.keys || !g.vals) {
            free(g.keys);
            free(g.vals);
            return -2;
        }
        for (size_t i = 0; i < ix->cap; i++)
            if (ix->keys[i]) {
                size_t j = slot(&g, ix->keys[i]);
                g.keys[j] = ix->keys[i];
                g.vals[j] = ix->vals[i];
                g.n++;
            }
        free(ix->keys);
        free(ix->vals);
        *ix = g;
    }
    size_t i = slot(ix, k);
    if (ix->keys[i]) return ix->vals[i];
    ix->keys[i] = k;
    ix->vals[i] = v;
    ix->n++;
    return -1;
}

void sr_name_ix_free(sr_name_ix *ix)
{
    free(ix->keys);
    free(ix->vals);
    *ix = (sr_name_ix){0};
}
