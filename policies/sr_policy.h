/* sr_policy.h: the placement-policy interface: plan(ctx) -> sr_plan, and the policy registry.
 *
 * A policy turns (experiment, its policy spec, the model graph, a cost model, the source device
 * instance, the target device group) into the task DAG of one frame (sr_plan.h). Policies never call
 * SimGrid. The engine asks for one plan per source instance (plans may differ per instance, e.g. the
 * target instance); `replan` is the hook for policies that react to events (bandwidth change, device
 * failure); no policy implements it yet and the engine does not call it yet.
 *
 * Adding a policy: a new kind in sr_experiment.h's SR_POLICY_KIND_MAP, a file policies/<name>.c that
 * defines `const sr_policy sr_policy_<name>`, and one line in sr_policy.c's table (a static_assert
 * checks the count). */
#ifndef SR_POLICY_H
#define SR_POLICY_H

#include <stddef.h>

#include "sr_cost.h"
#include "sr_experiment.h"
#include "sr_graph.h"
#include "sr_plan.h"

/* The activation codec of a split (model mode: one row of a codec table, sr_codectab.h). */
typedef struct sr_policy_codec {
    const char *pipeline;        /* borrowed; for labels */
    double bits_per_element;     /* transfer bytes = ceil(elements * bits_per_element / 8) */
    double encode_s_per_element; /* seconds per activation element on the host that measured the table */
    double decode_s_per_element;
    double host_flops; /* that host's single-core speed; > 0: times scale by host_flops / (device speed_flops x
                          efficiency) (the codecs run on one core); 0: times are used as measured */
} sr_policy_codec;

typedef struct sr_policy_ctx {
    const sr_experiment *exp;     /* borrowed */
    const sr_policy_spec *spec;   /* the run point's policy (normally &exp->policy) */
    const sr_source_spec *source; /* the source whose frames are planned */
    const sr_graph *graph;        /* the source's model, inferred */
    sr_precision precision;       /* the model's compute precision */
    const sr_cost_model *cost;    /* prices layer ranges */
    int source_group;             /* index in exp->devices of the device group emitting frames */
    int source_instance;          /* which instance of it */
    int target_group;             /* index in exp->devices of spec->target; -1 when none */
    const sr_policy_codec *codec; /* split: activation codec (NULL: the raw activation at activation_precision) */
    /* Optional per device group cost models (array of exp->n_devices, NULL entries allowed): a group's
     * layers are priced by group_cost[g] when set, by `cost` otherwise. Borrowed. */
    const sr_cost_model *const *group_cost;
} sr_policy_ctx;

/* An event a policy may react to (hook; unused for now). */
typedef enum {
    SR_EVENT_LINK_CHANGE,
    SR_EVENT_DEVICE_DOWN,
    SR_EVENT_DEVICE_UP,
    SR_EVENT_KIND_COUNT
} sr_event_kind;
typedef struct sr_policy_event {
    sr_event_kind kind;
    double time_s;
    int group, instance; /* device concerned (or -1) */
    int link;            /* link spec index concerned (or -1) */
} sr_policy_event;

typedef struct sr_policy {
    sr_policy_kind kind;
    const char *name;
    /* Builds the plan of one frame. Caller frees *out. On bad input returns an error and writes a message
     * naming the policy into err. */
    sr_status (*plan)(const sr_policy_ctx *ctx, sr_plan **out, char *err, size_t err_size);
    /* Optional (NULL): a new plan after an event; SR_ERR_UNSUPPORTED means "keep the current plan". */
    sr_status (*replan)(const sr_policy_ctx *ctx, const sr_policy_event *ev, sr_plan **out, char *err,
                        size_t err_size);
} sr_policy;

/* Registry. NULL for an unknown kind/name. */
const sr_policy *sr_policy_get(sr_policy_kind kind);
const sr_policy *sr_policy_find(const char *name);

/* Calls policy->plan and validates the result (sr_plan_validate). Caller frees *out. */
sr_status sr_policy_plan(const sr_policy *policy, const sr_policy_ctx *ctx, sr_plan **out, char *err,
                         size_t err_size);

/* Helpers shared by the policies. */
/* The cost-model view of a device group. */
sr_cost_device sr_policy_cost_device(const sr_device_spec *d);
/* Index of device group `name` in e->devices; -1 when absent. */
int sr_policy_device_index(const sr_experiment *e, const char *name);
/* Deterministic target instance for a source instance: source_instance % target count. */
int sr_policy_target_instance(const sr_policy_ctx *ctx);
/* Seconds for nodes [first..last] of ctx->graph on device group `group` at ctx->precision, batch 1. */
sr_status sr_policy_cost_range(const sr_policy_ctx *ctx, int group, int first, int last, double *seconds);
/* Seconds of `elements` x s_per_element of codec work on device group `group` (scaled as sr_policy_codec says). */
double sr_policy_codec_seconds(const sr_policy_ctx *ctx, int group, double elements, double s_per_element);
/* Bytes of a coded activation: ceil(elements * bits_per_element / 8). */
double sr_policy_codec_bytes(double elements, double bits_per_element);
/* Raw frame bytes of the source (width * height * 3). */
double sr_policy_raw_frame_bytes(const sr_source_spec *s);

/* The built-in policies (one per file). */
extern const sr_policy sr_policy_cloud_only;
extern const sr_policy sr_policy_device_only;
extern const sr_policy sr_policy_split;

#endif
