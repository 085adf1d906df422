/* sr_ycanon.c: the identity of an experiment: a hash of its parsed YAML tree in a canonical form.
 *
 * Comments, indentation, quoting, flow or block style and the order of keys inside a mapping (YAML mappings
 * are unordered) do not change the hash; any change of a key, a value, or the order of a list does. The form
 * hashed (FNV-1a, 64 bits): a null as "~"; a scalar as "s<length>:<text>"; a mapping as "{" key value ... "}"
 * with its pairs sorted by key text; a sequence as "[" item ... "]". */
#include <stdlib.h>
#include <string.h>

#include "sr_config_internal.h"

typedef struct fnv {
    uint64_t h;
} fnv;

static void fnv_add(fnv *f, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        f->h ^= p[i];
        f->h *= 0x100000001b3ULL;
    }
}

static void fnv_str(fnv *f, const char *s)
{
    fnv_add(f, s, strlen(s));
}

typedef struct key_ref {
    const char *text;
    int i;
} key_ref;

static int cmp_key_ref(const void *a, const void *b)
{
    return strcmp(((const key_ref *)a)->text, ((const key_ref *)b)->text);
}

/* The pair indices of a mapping in key order (keys are unique: the builder drops a repeated one). qsort: a
 * mapping may hold a million keys (an insertion sort took n^2). */
static int sort_pairs(int *idx, int n, sr_ynode **keys)
{
    key_ref *r = malloc(sizeof *r * (size_t)(n > 0 ? n : 1));
    if (!r) return -1;
    for (int i = 0; i < n; i++)
        r[i] = (key_ref){keys[i]->text, i};
    qsort(r, (size_t)n, sizeof *r, cmp_key_ref);
    for (int i = 0; i < n; i++)
        idx[i] = r[i].i;
    free(r);
    return 0;
}

static int add_node(fnv *f, const sr_ynode *n)
{
    if (!n) {
        fnv_str(f, "~");
        return 0;
    }
    switch (n->type) {
    case SR_YN_SCALAR: {
        if (n->is_null) {
            fnv_str(f, "~");
            break;
        }
        char len[24];
        snprintf(len, sizeof len, "s%zu:", strlen(n->text));
        fnv_str(f, len);
        fnv_str(f, n->text);
        break;
    }
    case SR_YN_MAP: {
        int *idx = malloc(sizeof *idx * (size_t)(n->n > 0 ? n->n : 1));
        if (!idx) return -1;
        if (sort_pairs(idx, n->n, n->keys) != 0) {
            free(idx);
            return -1;
        }
        fnv_str(f, "{");
        int rc = 0;
        for (int i = 0; i < n->n && !rc; i++)
            rc = add_node(f, n->keys[idx[i]]) || add_node(f, n->vals[idx[i]]);
        fnv_str(f, "}");
        free(idx);
        return rc;
    }
    case SR_YN_SEQ:
        fnv_str(f, "[");
        for (int i = 0; i < n->n; i++)
            if (add_node(f, n->vals[i])) return -1;
        fnv_str(f, "]");
        break;
    }
    return 0;
}

int sr_ydoc_canonical_hash(const sr_ydoc *doc, uint64_t *hash)
{
    fnv f = {0xcbf29ce484222325ULL};
    if (add_node(&f, sr_ydoc_root(doc)) != 0) return -1;
    *hash = f.h;
    return 0;
}
