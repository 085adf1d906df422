/* sr_config_internal.h: pieces shared by the config module's files (not a public interface).
 *
 *   sr_units.c          quantity parsing and the unit tables (also printed in the reference)
 *   sr_ytree.c          YAML text -> a small read-only node tree with 1-based locations (libfyaml events),
 *                       and the diagnostics collector that prints FILE:LINE:COL: error: ... with a caret
 *   sr_config_tables.c  the declarative section tables, the generic field parser, the reference writer
 *   sr_config.c         sections -> sr_experiment, cross-checks, sweep expansion, run points */
#ifndef SR_CONFIG_INTERNAL_H
#define SR_CONFIG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr_config.h"

/* ---- units ---- */

typedef enum {
    SR_QTY_OK,
    SR_QTY_BAD_NUMBER, /* no number at the start, or "nan"/"inf" */
    SR_QTY_NO_UNIT,    /* a bare number where a unit is needed */
    SR_QTY_BAD_UNIT,   /* a suffix that is not a unit of this kind */
} sr_qty_result;

/* Parses "<number>[ ]<unit>". Bare numbers are accepted only for SR_UNIT_NONE, or when unit_optional
 * (the value is then in the kind's base unit). */
sr_qty_result sr_quantity_parse_ex(const char *text, sr_unit_kind kind, int unit_optional, double *out);
/* "bps, Kbps, ..." for messages and docs (static storage). */
const char *sr_unit_list(sr_unit_kind kind);
const char *sr_unit_kind_name(sr_unit_kind kind); /* "time", "rate", ... */
const char *sr_unit_base(sr_unit_kind kind);      /* "s", "bit/s", ... */

/* ---- diagnostics ---- */

typedef struct sr_diag sr_diag;
/* file and text are borrowed and must outlive the collector. */
sr_diag *sr_diag_create(const char *file, const char *text);
void sr_diag_free(sr_diag *d);
void sr_diag_error(sr_diag *d, int line, int col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int sr_diag_count(const sr_diag *d);
/* Prints every message, sorted by position, identical ones once. */
void sr_diag_print(const sr_diag *d, FILE *f);

/* ---- YAML tree ---- */

typedef enum { SR_YN_SCALAR, SR_YN_MAP, SR_YN_SEQ } sr_yn_type;

typedef struct sr_ynode sr_ynode;
struct sr_ynode {
    sr_yn_type type;
    int line, col;   /* 1-based */
    char *text;      /* scalar text, NUL-terminated ("" for an empty value) */
    int is_null;     /* plain empty scalar, "~" or "null" */
    int n;           /* map pairs / sequence items */
    sr_ynode **keys; /* map keys (always scalars) */
    sr_ynode **vals; /* map values / sequence items */
};

typedef struct sr_ydoc sr_ydoc;
/* Parses text; syntax errors go to d. Returns NULL on a syntax error or empty input (reported). */
sr_ydoc *sr_ydoc_parse(const char *text, size_t len, sr_diag *d);
void sr_ydoc_free(sr_ydoc *doc);
const sr_ynode *sr_ydoc_root(const sr_ydoc *doc);
/* Value of key in map, NULL when absent (or map is not a mapping). */
const sr_ynode *sr_ynode_get(const sr_ynode *map, const char *key);
const char *sr_ynode_type_name(const sr_ynode *n); /* "a mapping", "a list", "a scalar" */
/* sr_ycanon.c: hash of the parsed tree in a canonical form (comments, formatting and the order of mapping keys
 * aside); the experiment's identity. Returns 0, or -1 when out of memory. */
int sr_ydoc_canonical_hash(const sr_ydoc *doc, uint64_t *hash);

/* ---- section tables ---- */

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
};

extern const sr_section sr_sec_top, sr_sec_output, sr_sec_platform, sr_sec_device, sr_sec_link, sr_sec_route,
    sr_sec_model, sr_sec_workload, sr_sec_source, sr_sec_policy, sr_sec_sweep, sr_sec_metrics;

/* A sweep value substituted for the key `key` of the element named `elem` (NULL for unnamed sections)
 * of section `sec`. */
typedef struct sr_override {
    const sr_section *sec;
    const char *elem;
    const char *key;
    const sr_ynode *value;
} sr_override;

typedef struct sr_parse_ctx {
    sr_diag *diag;
    const sr_override *ov;
    int n_ov;
} sr_parse_ctx;

/* Parses mapping `map` against `sec` into the struct at `out` (may be NULL when every field is a MAP/SEQ):
 * a written value, or a sweep override for (sec, elem, key), or the table default. given[i] (array of
 * sec->n_fields) receives the node field i's value came from, NULL when defaulted. Unknown keys, wrong
 * types, bad units, out-of-range values and missing required keys are reported (`elem` names the
 * element in messages). Returns the number of errors. */
int sr_section_parse(const sr_parse_ctx *ctx, const sr_section *sec, const sr_ynode *map, const char *elem,
                     void *out, const sr_ynode **given);
const sr_field *sr_section_field(const sr_section *sec, const char *key);
int sr_field_index(const sr_section *sec, const char *key);
int sr_field_sweepable(const sr_field *f);
/* Sweep options (sr_sec_sweep's struct). */
typedef struct sr_sweep_opts {
    int replications;
} sr_sweep_opts;

/* "periodic, poisson" into buf. */
void sr_join_names(const char *const *names, int n, char *buf, size_t size);

#endif
