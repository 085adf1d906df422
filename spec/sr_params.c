/* sr_params.c: lookups in declarative parameter tables and freeing parsed parameter structs (sr_params.h). */
#include "sr_params.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const sr_field *sr_section_field(const sr_section *sec, const char *key)
{
    int i = sr_field_index(sec, key);
    return i < 0 ? NULL : &sec->fields[i];
}

int sr_field_index(const sr_section *sec, const char *key)
{
    /* the first character before the call: a sweep's check looks up every key of every point (a quarter of
     * `validate`'s time went to strcmp here) */
    for (int i = 0; i < sec->n_fields; i++)
        if (sec->fields[i].key[0] == key[0] && strcmp(sec->fields[i].key, key) == 0) return i;
    return -1;
}

int sr_field_sweepable(const sr_field *f)
{
    switch (f->type) {
    case SR_F_STR:
    case SR_F_INT:
    case SR_F_U64:
    case SR_F_FLOAT:
    case SR_F_BOOL:
    case SR_F_ENUM:
    case SR_F_QTY:
    case SR_F_DIMS3:
    case SR_F_RES:
        return 1;
    case SR_F_NAME:
    case SR_F_MAP:
    case SR_F_SEQ:
    case SR_F_MAPSEQ:
        return 0;
    }
    return 0;
}

void sr_params_free(const sr_section *sec, void *params)
{
    if (!params) return;
    for (int i = 0; sec && i < sec->n_fields; i++) {
        const sr_field *f = &sec->fields[i];
        if (f->type == SR_F_STR || f->type == SR_F_NAME) {
            char **s = (char **)((char *)params + f->offset);
            free(*s);
            *s = NULL;
        }
    }
    free(params);
}

static const sr_field *typed(const sr_section *sec, const void *params, const char *key, int kind)
{
    const sr_field *f = sec && params && key ? sr_section_field(sec, key) : NULL;
    if (!f) return NULL;
    switch (kind) {
    case 0:
        return f->type == SR_F_STR || f->type == SR_F_NAME ? f : NULL;
    case 1:
        return f->type == SR_F_FLOAT || f->type == SR_F_QTY ? f : NULL;
    default:
        return f->type == SR_F_INT || f->type == SR_F_BOOL || f->type == SR_F_ENUM ? f : NULL;
    }
}

const char *sr_params_get_str(const sr_section *sec, const void *params, const char *key)
{
    const sr_field *f = typed(sec, params, key, 0);
    return f ? *(char *const *)(const void *)((const char *)params + f->offset) : NULL;
}

double sr_params_get_dbl(const sr_section *sec, const void *params, const char *key)
{
    const sr_field *f = typed(sec, params, key, 1);
    if (!f) return NAN;
    double v;
    memcpy(&v, (const char *)params + f->offset, sizeof v);
    return v;
}

int sr_params_get_int(const sr_section *sec, const void *params, const char *key)
{
    const sr_field *f = typed(sec, params, key, 2);
    if (!f) return INT_MIN;
    int v;
    memcpy(&v, (const char *)params + f->offset, sizeof v);
    return v;
}

int sr_params_set_str(const sr_section *sec, void *params, const char *key, const char *value)
{
    const sr_field *f = typed(sec, params, key, 0);
    if (!f) return -1;
    char *copy = NULL;
    if (value && !(copy = strdup(value))) return -1;
    char **p = (char **)(void *)((char *)params + f->offset);
    free(*p);
    *p = copy;
    return 0;
}

int sr_params_set_dbl(const sr_section *sec, void *params, const char *key, double value)
{
    const sr_field *f = typed(sec, params, key, 1);
    if (!f) return -1;
    memcpy((char *)params + f->offset, &value, sizeof value);
    return 0;
}

int sr_params_set_int(const sr_section *sec, void *params, const char *key, int value)
{
    const sr_field *f = typed(sec, params, key, 2);
    if (!f) return -1;
    memcpy((char *)params + f->offset, &value, sizeof value);
    return 0;
}
