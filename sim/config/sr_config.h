/* sr_config.h: experiment YAML -> validated run points.
 *
 * sr_config_load() parses the file with libfyaml, checks every section against its declarative table
 * (sr_config_tables.c), expands the sweep (grid axes x policies x replications) and resolves and
 * validates every run point up front, so that a bad sweep value is reported before anything runs.
 *
 * Every problem is reported as
 *     FILE:LINE:COL: error: MESSAGE
 *         <the source line>
 *         <spaces>^
 * all of them (not just the first), and the call returns SR_ERR_PARSE; the CLI exits with code 2. */
#ifndef SR_CONFIG_H
#define SR_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "sr_experiment.h"
#include "sr_params.h"

typedef struct sr_config sr_config;

/* One run point: the resolved parameters of a sweep combination, policy and replication. */
typedef struct sr_point {
    int index;               /* 0..n-1, stable order: grid (last axis fastest), then policy, then replication */
    int replication;
    uint64_t seed;           /* derived from the experiment seed and the replication only (common random
                                numbers: every policy and grid value of one replication sees the same draws) */
    char *policy;            /* policy label */
    char *params_json;       /* {"axis.path": "value", ..., "policy": "...", "replication": r} */
    char *params_si_json;    /* the same keys, each value as the experiment holds it: numbers in SI base units
                                (quantities, integers, numbers), true/false, or the text (names, strings) */
    char hash[17];           /* 16 hex digits identifying the point within its experiment */
} sr_point;

/* Loads, validates and expands path. Diagnostics go to errf (stderr when NULL). Caller frees *out. */
sr_status sr_config_load(const char *path, FILE *errf, sr_config **out);
/* Same, from an in-memory YAML text; `path` names it in messages. */
sr_status sr_config_load_string(const char *path, const char *text, FILE *errf, sr_config **out);
void sr_config_free(sr_config *c); /* NULL is a no-op */

const char *sr_config_text(const sr_config *c); /* the YAML text as read (borrowed) */
/* 16 hex digits identifying the experiment: a hash of the parsed YAML in canonical form, so comments, formatting
 * and the order of mapping keys do not change it (sr_ycanon.c). Borrowed. */
const char *sr_config_hash(const sr_config *c);
const char *sr_config_name(const sr_config *c);
int sr_config_point_count(const sr_config *c);
const sr_point *sr_config_point(const sr_config *c, int i); /* borrowed */
/* Names of the swept axes (YAML paths as written) and the number of replications. */
int sr_config_axis_count(const sr_config *c);
const char *sr_config_axis(const sr_config *c, int i);
int sr_config_replications(const sr_config *c);

/* Resolved experiment of point i (already validated at load). Caller frees with sr_experiment_free. */
sr_status sr_config_experiment(const sr_config *c, int i, sr_experiment **out);
/* The same, with the reason of a failure in err (may be NULL): the first message of the checks that failed at
 * this point although the file was validated at load, which only a failed allocation does (e.g. "cannot build
 * mobilenetv2: out of memory" under --point-memory; SR_ERR_NOMEM then). */
sr_status sr_config_experiment_err(const sr_config *c, int i, sr_experiment **out, char *err, size_t err_size);

/* Writes docs/yaml-reference.md from the section tables to f. */
void sr_config_write_reference(FILE *f);

/* Unit parsing shared with the CLI: "5.85Mbps" -> 5.85e6 (bits/s); "10ms" -> 0.01; "1.5MiB" -> 1572864.
 * Returns SR_ERR_INVALID on an unknown unit or a malformed number. */
sr_status sr_parse_quantity(const char *text, sr_unit_kind kind, double *out);
/* A quantity of any kind, the kind found from its unit: "1.1Mbps" -> 1.1e6, SR_UNIT_RATE; "20ms" -> 0.02,
 * SR_UNIT_TIME; a bare number -> itself, SR_UNIT_NONE. Unit names are unique across kinds, so the answer is
 * unambiguous. For reading sweep values back from a results database (runs.params holds them as written).
 * Returns SR_ERR_INVALID (outputs untouched) when text is not a number with a known unit. */
sr_status sr_parse_quantity_any(const char *text, double *value_si, sr_unit_kind *kind);
/* Base unit of a kind as written in tables and axis titles: "s", "bit/s", "B", "Hz", "W", "J", "flop/s", "". */
const char *sr_unit_kind_base(sr_unit_kind kind);

#endif
