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
/* Errors reported so far, duplicates included (compare two counts to see whether a step reported one). */
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
    uint64_t expanded; /* nodes under this one (itself included) with aliases expanded, as the builder counted */
    int open;          /* a collection the builder is still filling (an alias to it would make a cycle) */
};

typedef struct sr_ydoc sr_ydoc;
/* Parses text; syntax errors go to d. Returns NULL on a syntax error or empty input (reported). */
sr_ydoc *sr_ydoc_parse(const char *text, size_t len, sr_diag *d);
void sr_ydoc_free(sr_ydoc *doc);
const sr_ynode *sr_ydoc_root(const sr_ydoc *doc);
/* Replaces the content of `at` (a node of doc) by that of `with` (a node of `from`), and takes every node of
 * `from` into doc with the position line:col (errors in grafted text point there); frees `from`. Returns 0, or
 * -1 when out of memory (nothing changed, `from` not freed). */
int sr_ydoc_graft(sr_ydoc *doc, const sr_ynode *at, sr_ydoc *from, const sr_ynode *with, int line, int col);
/* Value of key in map, NULL when absent (or map is not a mapping). */
const sr_ynode *sr_ynode_get(const sr_ynode *map, const char *key);
const char *sr_ynode_type_name(const sr_ynode *n); /* "a mapping", "a list", "a scalar" */
/* sr_ycanon.c: hash of the parsed tree in a canonical form (comments, formatting and the order of mapping keys
 * aside); the experiment's identity. Returns 0, or -1 when out of memory. */
int sr_ydoc_canonical_hash(const sr_ydoc *doc, uint64_t *hash);

/* ---- section tables ---- */

extern const sr_section sr_sec_top, sr_sec_output, sr_sec_platform, sr_sec_device, sr_sec_link, sr_sec_route,
    sr_sec_model, sr_sec_workload, sr_sec_source, sr_sec_policy, sr_sec_sweep, sr_sec_metrics;
extern const sr_section sr_sec_failure; /* entries of a device's or link's `failures` */
extern const sr_section sr_sec_speed_change; /* entries of a device's `speed_changes` */

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
/* The same, where the keys of `also` (another table parsed from the same mapping) are not unknown; unknown keys
 * are reported only when report_unknown (parse one mapping with two tables: report them once). */
int sr_section_parse_ex(const sr_parse_ctx *ctx, const sr_section *sec, const sr_ynode *map, const char *elem,
                        void *out, const sr_ynode **given, const sr_section *also, int report_unknown);
/* The candidate within edit distance 2 of word, or NULL ("did you mean"). */
const char *sr_closest_name(const char *word, const char *const *cands, int n);
/* Sweep options (sr_sec_sweep's struct). */
typedef struct sr_sweep_opts {
    int replications;
} sr_sweep_opts;

/* "periodic, poisson" into buf. */
void sr_join_names(const char *const *names, int n, char *buf, size_t size);

/* ---- time-varying devices and links (sr_config_dynamics.c) ----
 * After a device or link entry is parsed (given: its sr_section_parse nodes): the failures list, mtbf/mttr,
 * and for links the traces, read from files relative to dir and checked (errors at the key's value, with the
 * trace's own file:line:col). duration_s bounds the number of MTBF draws. */
void sr_config_device_dynamics(const sr_parse_ctx *ctx, sr_device_spec *d, const sr_ynode *const *given,
                               double duration_s);
void sr_config_link_dynamics(const sr_parse_ctx *ctx, const char *dir, sr_link_spec *l,
                             const sr_ynode *const *given, double duration_s);

#endif
