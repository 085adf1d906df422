/* sr_cut_policy.h: what best_split and dynamic_split share: their common keys, the cut chosen per source from
 * the cost models and the route's current bandwidth (sr_cut.h, sr_cut_price.h), the plan of a cut, and the
 * metrics that record it.
 *
 * Decisions are per source of the experiment (its device group, model and route to the target group; every
 * instance of a source follows the same traces, so they share the decision). The route is read from the
 * experiment's routes (the one from the source's group, or one of its instances, to the target's): its
 * bandwidth is the smallest current bandwidth of its links (a traced link starts at its trace's value at 0 s
 * and follows its LINK_BANDWIDTH events), 0 while every instance of one of its links is down (LINK_DOWN /
 * LINK_UP: then only cuts sending nothing have a finite cost), its latency the sum of theirs; lv08 scales
 * them as SimGrid does (bandwidth x 0.97, latency x 13.01); the radio power is the first link's busy power.
 *
 * Search (key `search`): mincut (DADS, any valid cut, every crossing tensor sent), exhaustive (enumeration of
 * the valid cuts, refused at check time above SR_CUTPOL_EXHAUSTIVE_MAX of them), single (the clean
 * single-tensor cuts of split.c). Exact mode runs chains with at most one cut tensor and codec tables hold
 * single-tensor rows, so exact mode and a codec search single cuts (check() refuses an explicit mincut /
 * exhaustive there).
 *
 * The plan of a cut: the device part as runs of consecutive node ids (chained), one transfer per crossing
 * tensor (the frame, payload FRAME, when the input crosses; otherwise ACTIVATION of the node, with encode /
 * decode around it under a codec) after the run that computes it, and the target part as chained runs, each
 * after the transfers of the tensors it reads. The device part of cloud-only (the input alone) computes
 * nothing and is left out in model mode, so the extremes are exactly device_only and cloud_only. */
#ifndef SR_CUT_POLICY_H
#define SR_CUT_POLICY_H

#include <stddef.h>

#include "sr_cut.h"
#include "sr_cut_price.h"
#include "sr_policy.h"

#define SR_CUTPOL_EXHAUSTIVE_MAX 1000000L
#define SR_CUTPOL_MAX_ROUTE_LINKS 16

typedef enum {
    SR_CUT_SEARCH_MINCUT,
    SR_CUT_SEARCH_EXHAUSTIVE,
    SR_CUT_SEARCH_SINGLE,
    SR_CUT_SEARCH_COUNT
} sr_cut_search;

/* The keys both policies have (dynamic_split's struct starts with this one). */
typedef struct sr_cutpol_params {
    char *target;
    int objective; /* sr_cut_objective */
    double latency_weight, energy_weight;
    int search; /* sr_cut_search */
    sr_precision activation_precision;
    char *codec;
    char *codec_table;
    double codec_host_flops;
    double frame_bytes; /* 0: the source's raw frame */
} sr_cutpol_params;

extern const char *const sr_cutpol_objective_names[SR_CUT_OBJ_COUNT];
extern const char *const sr_cutpol_search_names[SR_CUT_SEARCH_COUNT];
extern const char *const sr_cutpol_precision_names[SR_PREC_COUNT];

// clang-format off
/* The rows of the common keys in a policy's field table; T is the policy's struct, M its sr_cutpol_params member
 * (e.g. SR_CUTPOL_FIELDS(dynamic_split_params, cut)). */
#define SR_CUTPOL_FIELDS(T, M)                                                                                       \
    {"target", SR_F_STR, .flags = SR_FF_REQUIRED, .doc = "device group that runs the part after the cut",          \
     .offset = offsetof(T, M.target)},                                                                             \
    {"objective", SR_F_ENUM, .names = sr_cutpol_objective_names, .n_names = SR_CUT_OBJ_COUNT, .def = "latency",    \
     .doc = "what the cut minimises per frame: latency (end to end), energy (the source device's: busy power x "   \
            "its compute and coding + the first link's busy power x send time) or weighted "                       \
            "(latency_weight x latency + energy_weight x energy)",                                                 \
     .offset = offsetof(T, M.objective)},                                                                          \
    {"latency_weight", SR_F_FLOAT, SR_UNIT_NONE, SR_FF_HAS_MIN, .def = "1",                                       \
     .doc = "weight of a second of latency (objective: weighted)", .offset = offsetof(T, M.latency_weight)},       \
    {"energy_weight", SR_F_FLOAT, SR_UNIT_NONE, SR_FF_HAS_MIN, .def = "1",                                        \
     .doc = "weight of a joule of device energy (objective: weighted)", .offset = offsetof(T, M.energy_weight)},   \
    {"search", SR_F_ENUM, .names = sr_cutpol_search_names, .n_names = SR_CUT_SEARCH_COUNT, .def = "mincut",        \
     .doc = "mincut: minimum s-t cut over every valid cut (DADS), each crossing tensor sent; exhaustive: "          \
            "enumerate the valid cuts (at most 1e6); single: clean single-tensor cuts only (split.c's). Exact "     \
            "mode and a codec search single cuts",                                                                 \
     .offset = offsetof(T, M.search)},                                                                             \
    {"activation_precision", SR_F_ENUM, .names = sr_cutpol_precision_names, .n_names = SR_PREC_COUNT,              \
     .def = "fp32", .doc = "precision of the tensors sent (without a codec)",                                     \
     .offset = offsetof(T, M.activation_precision)},                                                               \
    {"codec", SR_F_STR, .def_doc = "none (raw tensors)",                                                           \
     .doc = "activation codec pipeline; needs codec_table, whose rows price it per layer: only layers with a row " \
            "are cut candidates (besides device-only and cloud-only)",                                             \
     .offset = offsetof(T, M.codec)},                                                                              \
    {"codec_table", SR_F_STR, .flags = SR_FF_PATH, .def_doc = "-",                                                 \
     .doc = "SQLite file made by `simrun codec-table` (relative to the experiment file)",                          \
     .offset = offsetof(T, M.codec_table)},                                                                        \
    {"codec_host_speed", SR_F_QTY, SR_UNIT_FLOPS, SR_FF_HAS_MIN, .def = "0f",                                     \
     .doc = "single-core speed of the machine that measured codec_table (0 = times used as measured)",            \
     .offset = offsetof(T, M.codec_host_flops)},                                                                   \
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL,                                         \
     .def_doc = "the raw input: width*height*3 (events: event_size)",                                              \
     .doc = "bytes sent when the cut is before the first layer (cloud-only), e.g. a JPEG size",                    \
     .offset = offsetof(T, M.frame_bytes)}
#define SR_CUTPOL_N_FIELDS 10
// clang-format on

/* One switch of dynamic_split, for the record. */
typedef struct sr_cutpol_switch {
    double time_s;                 /* when the policy decided */
    double adopted_s;              /* when new jobs started using it (after the switch cost) */
    int source;                    /* source spec index */
    double bw_bps;                 /* the bandwidth that triggered it */
    int from_last, to_last;        /* highest device node before / after (-1: cloud-only) */
    double from_pred_s, to_pred_s; /* predicted objective of the old and new cut at bw_bps */
} sr_cutpol_switch;

typedef struct sr_cutpol_source {
    int used; /* a source with a graph */
    int model, src_group, tgt_group;
    int links[SR_CUTPOL_MAX_ROUTE_LINKS];
    int n_links;
    double lat_s;
    sr_cut_terms terms;
    unsigned char *on_device; /* the cut new jobs use */
    unsigned char *scratch;   /* a candidate */
    sr_cut_prediction pred;   /* of on_device at bw_bps */
    double objective_value;   /* of on_device at bw_bps */
    double bw_bps;            /* bandwidth of the last choice */
    int pending;              /* dynamic: a switch waits for its cost to be paid */
    unsigned char *next;      /* dynamic: the cut it switches to */
} sr_cutpol_source;

typedef struct sr_cutpol_state {
    const sr_cutpol_params *p;
    int n_sources;
    sr_cutpol_source *src;
    double *link_bw; /* per link spec: current bandwidth, bit/s */
    int *link_down;  /* per link spec: instances down (dynamic: LINK_DOWN / LINK_UP events) */
    int single;      /* the search is single */
    sr_cutpol_switch *switches;
    int n_switches, cap_switches;
    int n_bw_events;   /* bandwidth changes seen (dynamic) */
    int n_link_events; /* link outages and recoveries seen (dynamic) */
} sr_cutpol_state;

/* check(): target, route, search / mode / codec consistency, codec table presence, exhaustive bound. */
sr_status sr_cutpol_check(const sr_cutpol_params *p, const sr_policy_env *env, sr_policy_diag *d);
/* Prices every used source and chooses its first cut at the route's bandwidth at time 0. Caller frees with
 * sr_cutpol_fini. */
sr_status sr_cutpol_init(const sr_cutpol_params *p, const sr_policy_env *env, sr_cutpol_state **out,
                         char *err, size_t err_size);
void sr_cutpol_fini(sr_cutpol_state *s); /* NULL is a no-op */
/* The plan of source instance req with its source's current cut. */
sr_status sr_cutpol_plan(const sr_cutpol_state *s, const sr_policy_env *env, const sr_plan_req *req,
                         sr_plan **out, char *err, size_t err_size);
/* Current bandwidth of source k's route (bit/s), after lv08 scaling. */
double sr_cutpol_route_bw(const sr_cutpol_state *s, const sr_policy_env *env, int k);
/* Best cut of source k at bandwidth bw into `into` (node-count bytes); its objective value and prediction. */
sr_status sr_cutpol_choose(sr_cutpol_state *s, const sr_policy_env *env, int k, double bw_bps,
                           unsigned char *into, double *value, sr_cut_prediction *pred);
/* Objective value of a given cut of source k at bandwidth bw. */
double sr_cutpol_value(sr_cutpol_state *s, const sr_policy_env *env, int k, const unsigned char *cut,
                       double bw_bps);
/* Adds <prefix>cut_layer, cut_device_nodes, cut_tensors, cut_bytes, cut_predicted_latency_s,
 * cut_predicted_energy_j, cut_bw_bps per used source (prefix + "<source>." when there are several sources).
 */
sr_status sr_cutpol_metrics(const sr_cutpol_state *s, const sr_policy_env *env, const char *prefix,
                            sr_policy_metric_fn add, void *user);

#endif
