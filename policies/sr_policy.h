/* sr_policy.h: the placement-policy interface, the registry, and what policies share.
 *
 * A policy is one file (policies/<name>.c) defining `const sr_policy_ops sr_policy_<name>`, plus one line in
 * sr_policy_list.h. Its YAML keys are its own declarative table (sr_params.h: types, units, defaults, ranges,
 * one-line docs); the config parses a policy mapping's keys against that table into a struct the policy
 * alone reads, reports bad values as file:line:col, lets sweeps address them (policy.<name>.<key>) and writes
 * them into docs/yaml-reference.md. Nothing outside the policy tests which policy it is. See
 * docs/writing-a-policy.md.
 *
 * Life of a policy in a run point:
 *   check(params, env, diag)      config time (`simrun validate` and every run): everything a run would reject
 *                                 (unknown layers, unclean cuts, codecs, tables, routes) as diagnostics on its
 *                                 keys. After check passes, init and plan do not fail on configuration.
 *   init(params, env, &state)     engine preparation: private state (tables read, decisions precomputed).
 *   plan(state, params, env, req) the task DAG of a job of one source instance (sr_plan.h), work only; the
 *                                 engine prices it (sr_price.h), versions it and runs every job of that source
 *                                 with it until the policy asks for a re-plan.
 *   on_event(state, ev, sim)      optional: device / link failures and recoveries, bandwidth changes, timers the
 *                                 policy set, finished jobs; the policy may re-plan, submit jobs (a model push,
 *                                 a training run) or set timers through `sim`.
 *   metrics(state, ..., add)      optional: summary metrics of the run the policy knows (e.g. codec fidelity).
 *   fini(state)                   frees the state.
 * Policies never call SimGrid and never include sim/ (the experiment they read is spec/sr_experiment.h). */
#ifndef SR_POLICY_H
#define SR_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "sr_cost.h"
#include "sr_experiment.h"
#include "sr_graph.h"
#include "sr_params.h"
#include "sr_plan.h"

/* What a policy may read about the run point (borrowed, read-only). At check time (config) the cost models
 * are NULL; graphs are loaded where the model could be loaded (a NULL entry was reported elsewhere). */
typedef struct sr_policy_env {
    const sr_experiment *exp;
    const sr_graph *const *graphs;          /* per model (exp->n_models), inferred */
    const sr_cost_model *const *group_cost; /* per device group; NULL entries (or NULL): default_cost */
    const sr_cost_model *default_cost;
    /* Is there a route from device instance (sg, si) to (dg, di)? */
    int (*route_exists)(const void *user, int sg, int si, int dg, int di);
    const void *route_user;
} sr_policy_env;

/* Diagnostics of check(): `key` names the policy key the message is about (NULL: the policy as a whole); the
 * config turns it into file:line:col of that key's value. */
typedef struct sr_policy_diag {
    void (*emit)(void *user, const char *key, const char *msg);
    int (*given)(void *user, const char *key); /* 1 when the key was written (or swept), not defaulted */
    void *user;
    int errors;
} sr_policy_diag;
void sr_policy_error(sr_policy_diag *d, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A job to plan: which source instance emits it. */
typedef struct sr_plan_req {
    int source;          /* global source instance index (sources in order, instances in order) */
    int source_spec;     /* index in exp->sources */
    int group, instance; /* the device emitting it */
    int model;           /* index in exp->models */
    double now_s;        /* simulated time of the (re-)planning */
} sr_plan_req;

typedef enum {
    SR_EVENT_START,          /* the simulation starts (time 0): set timers here */
    SR_EVENT_DEVICE_DOWN,
    SR_EVENT_DEVICE_UP,
    SR_EVENT_LINK_DOWN,
    SR_EVENT_LINK_UP,
    SR_EVENT_LINK_BANDWIDTH, /* a traced link's bandwidth changed to value (bit/s) */
    SR_EVENT_TIMER,          /* a timer the policy set; tag is the policy's */
    SR_EVENT_JOB_DONE,       /* a job ended (completed, dropped, failed or late) */
    SR_EVENT_HELD,           /* a hold task (SR_DELAY_HOLD) of a job became ready: `hold` until release */
    SR_EVENT_PART_DONE,      /* a part spawned on `hold` ended (outcome, latency since its spawn, tag) */
    SR_EVENT_TASK_DONE,      /* a compute task ended on device (group, instance): `task`, busy_s, batch */
    SR_EVENT_DEVICE_SPEED,   /* device (group, instance) runs at value x its declared speed from now on */
    SR_EVENT_KIND_COUNT
} sr_event_kind;

typedef enum {
    SR_OUTCOME_COMPLETED,
    SR_OUTCOME_DROPPED, /* a full queue or send buffer refused it */
    SR_OUTCOME_FAILED,  /* a device or link it needed failed */
    SR_OUTCOME_LATE,    /* completed after its deadline */
    SR_OUTCOME_COUNT
} sr_outcome;

typedef struct sr_policy_event {
    sr_event_kind kind;
    double time_s;
    int group, instance; /* device events and SR_EVENT_TASK_DONE: the device; -1 otherwise */
    int link;            /* link events: index in exp->links; -1 otherwise */
    int link_instance;   /* link events: instance of that link */
    double value;        /* SR_EVENT_LINK_BANDWIDTH: bit/s; SR_EVENT_DEVICE_SPEED: factor of the declared speed */
    int tag;             /* SR_EVENT_TIMER: the timer's; SR_EVENT_PART_DONE: the spawn's */
    int source;          /* SR_EVENT_JOB_DONE, HELD, PART_DONE, TASK_DONE: global source index of the job (-1: a
                            submitted job) */
    sr_outcome outcome;  /* SR_EVENT_JOB_DONE, PART_DONE; TASK_DONE: completed, or failed (its device failed) */
    double latency_s;    /* SR_EVENT_JOB_DONE, PART_DONE: completed or late */
    int64_t job;         /* SR_EVENT_JOB_DONE (and HELD, PART_DONE, TASK_DONE: of the job they belong to): a
                            source's job: its frame number in the source; a submitted job: its submission number
                            (0, 1, ... in the order of the submit calls that returned SR_OK); -1 for other events */
    double bytes_sent;   /* SR_EVENT_JOB_DONE, PART_DONE: bytes the job (part) put on the network */
    void *hold;          /* SR_EVENT_HELD, PART_DONE: the held task (the engine's handle, valid until the hold
                            ends); NULL otherwise */
    const sr_plan_task *task; /* SR_EVENT_HELD: the hold task; SR_EVENT_TASK_DONE: the compute task (borrowed for
                                 the call); NULL otherwise */
    double busy_s;       /* SR_EVENT_TASK_DONE: seconds it ran (its batch's execution, queueing excluded) */
    int batch;           /* SR_EVENT_TASK_DONE: size of the batch it ran in (1: alone) */
} sr_policy_event;

/* What a policy may do to the running simulation (given to on_event; implemented by the engine). */
typedef struct sr_policy_sim {
    void *eng;
    double now_s;
    /* New jobs of `source` (-1: every source) use a new plan from plan(); jobs in flight keep theirs. */
    void (*replan)(void *eng, int source);
    /* Runs `plan` (unpriced; takes ownership, also on error) as a job of its own, now; its record has source -1. */
    sr_status (*submit)(void *eng, sr_plan *plan);
    /* SR_EVENT_TIMER with `tag` at simulated time at_s; a time at or after the experiment's duration is ignored
     * (the run ends when its last job does, and a policy re-arming a timer would otherwise never end it). */
    sr_status (*timer)(void *eng, double at_s, int tag);
    /* 1 when the device instance is up. */
    int (*device_up)(void *eng, int group, int instance);
    /* Work placed at run time (hold tasks, SR_DELAY_HOLD). spawn runs `plan` (unpriced; takes ownership, also on
     * error) as a part of the held job, starting at the current date once the handler returns: its bytes, times
     * and failures count in the job's record, its tasks in the job's task records (numbered after the job's own);
     * when it ends the policy gets SR_EVENT_PART_DONE with the same hold and `tag`. A failed part does not fail
     * the job: the policy decides (another try, or release with ok = 0). release ends the hold at the current
     * date once its parts still running have ended (ok = 0: the job fails, with the cause of its last failed part
     * if any). A hold the policy never releases fails the run. Both return SR_ERR_INVALID for a hold that was
     * already released. */
    sr_status (*spawn)(void *eng, void *hold, sr_plan *plan, int tag);
    sr_status (*release)(void *eng, void *hold, int ok);
} sr_policy_sim;

typedef void (*sr_policy_metric_fn)(void *user, const char *name, double value, const char *unit);

typedef struct sr_policy_ops {
    const char *name; /* `type:` in YAML */
    const char *doc;  /* one line for `simrun list policies` and the reference */
    const sr_section *params; /* its keys (besides type and name), size = its struct; NULL: none */
    /* Optional. Errors go to d (d->errors counts them); the return value is SR_OK unless out of memory. */
    sr_status (*check)(const void *params, const sr_policy_env *env, sr_policy_diag *d);
    /* Optional (NULL: no state). Caller frees *state with fini. */
    sr_status (*init)(const void *params, const sr_policy_env *env, void **state, char *err, size_t err_size);
    /* The plan of jobs of one source instance. Caller frees *out. */
    sr_status (*plan)(void *state, const void *params, const sr_policy_env *env, const sr_plan_req *req,
                      sr_plan **out, char *err, size_t err_size);
    /* Optional. */
    sr_status (*on_event)(void *state, const void *params, const sr_policy_env *env, const sr_policy_event *ev,
                          const sr_policy_sim *sim);
    /* Optional: summary metrics at the end of a run. */
    sr_status (*metrics)(void *state, const void *params, const sr_policy_env *env, sr_policy_metric_fn add,
                         void *user);
    void (*fini)(void *state); /* optional; NULL state is a no-op */
} sr_policy_ops;

/* ---- registry: the built-in policies (sr_policy_list.h) and any registered at run time ---- */

const sr_policy_ops *sr_policy_find(const char *name); /* NULL when unknown */
int sr_policy_count(void);
const sr_policy_ops *sr_policy_at(int i);
/* Adds a policy (tests, plugins). SR_ERR_INVALID for a name already taken or a policy without a name or
 * plan; SR_ERR_RANGE when the registry is full. ops is borrowed and must outlive every use. */
sr_status sr_policy_register(const sr_policy_ops *ops);

/* The policy of a spec; NULL when its type is unknown. */
const sr_policy_ops *sr_policy_of(const sr_policy_spec *spec);

/* Calls ops->plan, prices the plan at batch 1 (sr_price_plan) and validates it. Caller frees *out. */
sr_status sr_policy_plan(const sr_policy_ops *ops, void *state, const void *params, const sr_policy_env *env,
                         const sr_plan_req *req, sr_plan **out, char *err, size_t err_size);

/* ---- pricing: plans describe work; these turn it into seconds ---- */

/* Seconds of compute task t at batch size `batch` (>= 1) on its device, from the device group's cost model
 * (layers), the codec's per-element times (encode/decode, scaled as sr_plan_codec says) or the amount. Delay
 * tasks: their seconds. Transfers: 0 (the network prices them). */
sr_status sr_price_task(const sr_policy_env *env, const sr_plan_task *t, int batch, double *seconds, char *err,
                        size_t err_size);
/* A device's CPU quota (`cpu`) as a time factor: cores / cpu, 1 without a quota. sr_price_task multiplies
 * every compute task's time by it (fixed-seconds work aside) and adds the device's container_overhead once per
 * task or batch. */
double sr_price_quota_factor(const sr_device_spec *d);
/* Fills every compute task's seconds at batch 1. */
sr_status sr_price_plan(const sr_policy_env *env, sr_plan *p, char *err, size_t err_size);

/* ---- helpers shared by the policies ---- */

sr_cost_device sr_policy_cost_device(const sr_device_spec *d); /* the cost-model view of a device group */
int sr_policy_device_index(const sr_experiment *e, const char *name); /* -1 when absent */
/* Deterministic target instance of a source instance: instance % target count. */
int sr_policy_target_instance(const sr_experiment *e, int target_group, int source_instance);
/* Checks a `target` key: a device group every source instance has a route to. */
void sr_policy_check_target(const sr_policy_env *env, sr_policy_diag *d, const char *key, const char *target);
/* Bytes of a coded activation: ceil(elements * bits_per_element / 8). */
double sr_policy_codec_bytes(double elements, double bits_per_element);
/* Raw bytes of one job's input: a frame's width * height * 3, an event's event_size. */
double sr_policy_raw_frame_bytes(const sr_source_spec *s);
/* Node id of `layer` in g: an exact node name, or a block name ("layer2") standing for the block's last node
 * ("layer2.3.relu"); -1 when neither. */
int sr_policy_find_layer(const sr_graph *g, const char *layer);
/* Up to 8 layer names spread over g, comma-separated, into buf (for messages). */
void sr_policy_sample_layers(const sr_graph *g, char *buf, size_t size);

#endif
