/* sr_params.h: declarative parameter tables, shared by the experiment's sections (sim/config) and by every
 * policy's own keys (policies/).
 *
 * A table (sr_section) lists keys with their type, unit, range, default and a one-line doc. The config module
 * parses YAML against a table into a struct at the given offsets, reports bad values as file:line:col, and
 * writes docs/yaml-reference.md from the same rows; nothing here knows YAML. A policy declares its own table
 * with `size` set (the size of its parameter struct): the config then allocates that struct, fills it, and
 * stores it in the experiment (sr_policy_spec.params), where only the policy reads it.
 *
 * Strings (SR_F_STR, SR_F_NAME) in a parsed struct are owned by the struct: free them with sr_params_free
 * (policy blobs) or by hand (the experiment's own sections). */
#ifndef SR_PARAMS_H
#define SR_PARAMS_H

#include <stddef.h>

/* Unit kinds of quantities ("5.85Mbps" is a rate, stored in bit/s; "10ms" a time, stored in s). */
typedef enum {
    SR_UNIT_NONE,
    SR_UNIT_TIME,
    SR_UNIT_RATE,
    SR_UNIT_SIZE,
    SR_UNIT_FREQ,
    SR_UNIT_POWER,
    SR_UNIT_ENERGY,
    SR_UNIT_FLOPS,
    SR_UNIT_CPU, /* a CPU quota as Kubernetes writes it: 500m = half a core; stored in cores */
    SR_UNIT_COUNT
} sr_unit_kind;

typedef enum {
    SR_F_STR,    /* char * */
    SR_F_NAME,   /* char *, letters/digits/_/- only; not sweepable */
    SR_F_INT,    /* int */
    SR_F_U64,    /* uint64_t */
    SR_F_FLOAT,  /* double, no unit */
    SR_F_BOOL,   /* int 0/1 */
    SR_F_ENUM,   /* enum (int-sized) from names[] */
    SR_F_QTY,    /* double, in the unit kind's base unit (bytes/s when SR_FF_BYTES) */
    SR_F_DIMS3,  /* three ints "CxHxW" */
    SR_F_RES,    /* two ints "WxH" */
    SR_F_MAP,    /* a mapping, handled by the section's code */
    SR_F_SEQ,    /* a list, handled by the section's code */
    SR_F_MAPSEQ, /* a mapping or a list of mappings */
} sr_ftype;

enum {
    SR_FF_REQUIRED = 1,
    SR_FF_UNIT_OPTIONAL = 2, /* a bare number is taken in the base unit */
    SR_FF_BYTES = 4,         /* rate stored in bytes/s (rate units in bits/s divided by 8) */
    SR_FF_MIN_EXCL = 8,      /* value must be > min (otherwise >= min) */
    SR_FF_HAS_MIN = 16,
    SR_FF_HAS_MAX = 32,
    SR_FF_PATH = 64,         /* SR_F_STR: a file path, made absolute relative to the experiment file */
};

typedef struct sr_section sr_section;

typedef struct sr_field {
    const char *key;
    sr_ftype type;
    sr_unit_kind unit;
    unsigned flags;
    double min, max;
    const char *const *names; /* SR_F_ENUM */
    int n_names;
    const char *def;     /* default, parsed like a written value; NULL: none or computed */
    const char *def_doc; /* default as documented when def is NULL ("from the profile") */
    const char *doc;
    size_t offset;         /* into the section's struct; unused for MAP/SEQ */
    const sr_section *sub; /* MAP/SEQ/MAPSEQ: the section of the elements (docs, sweep paths) */
} sr_field;

struct sr_section {
    const char *path; /* "platform.links"; "" for the top level */
    const char *what; /* "link", for messages */
    int named;        /* a list of elements with a `name` (sweep paths address them by name) */
    const char *doc;
    const sr_field *fields;
    int n_fields;
    size_t size; /* policy parameter tables: size of the struct the fields live in; 0 for config sections */
};

const sr_field *sr_section_field(const sr_section *sec, const char *key); /* NULL when absent */
int sr_field_index(const sr_section *sec, const char *key);               /* -1 when absent */
int sr_field_sweepable(const sr_field *f);

/* Typed access to a parameter struct by key (tests, tools, reports). The getters return NULL / NAN / INT_MIN when
 * the key is absent or of another type; str covers SR_F_STR and SR_F_NAME, dbl SR_F_FLOAT and SR_F_QTY, int
 * SR_F_INT, SR_F_BOOL and SR_F_ENUM. The setters return 0, or -1 for such a key (set_str copies the string,
 * NULL clears it). */
const char *sr_params_get_str(const sr_section *sec, const void *params, const char *key);
double sr_params_get_dbl(const sr_section *sec, const void *params, const char *key);
int sr_params_get_int(const sr_section *sec, const void *params, const char *key);
int sr_params_set_str(const sr_section *sec, void *params, const char *key, const char *value);
int sr_params_set_dbl(const sr_section *sec, void *params, const char *key, double value);
int sr_params_set_int(const sr_section *sec, void *params, const char *key, int value);

/* Frees the strings of a parsed parameter struct (its SR_F_STR / SR_F_NAME fields), then the struct.
 * NULL is a no-op. */
void sr_params_free(const sr_section *sec, void *params);

#endif
