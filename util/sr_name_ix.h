/* sr_name_ix.h: a name -> int index (open addressing on FNV-1a) for the lookups that resolve an experiment's
 * names: device groups and their instances, links and theirs. A scan of every name for each reference made a
 * platform of 20 000 listed devices take 13 s to validate (n references x n names). Keys are borrowed: they must
 * outlive the index. */
#ifndef SR_NAME_IX_H
#define SR_NAME_IX_H

#include <stddef.h>

typedef struct sr_name_ix {
    const char **keys;
    int *vals;
    size_t cap, n; /* cap: 0 (empty) or a power of two, at least twice n */
} sr_name_ix;

/* The value of name k, -1 when absent (or k NULL). */
int sr_name_ix_get(const sr_name_ix *ix, const char *k);
/* Adds k -> v unless k is there (the first value of a name is kept): returns the value k already had, -1 when
 * it was added, -2 when out of memory (the index unchanged). */
int sr_name_ix_put(sr_name_ix *ix, const char *k, int v);
void sr_name_ix_free(sr_name_ix *ix); /* leaves it empty, ready for reuse */

#endif
