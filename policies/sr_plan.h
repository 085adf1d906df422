/* sr_plan.h: the task graph of one job, as a policy describes it and the engine executes it.
 *
 * A plan is a DAG of tasks in topological order (a dependency always points from an earlier task to a later
 * one). It describes work, not time:
 * - compute: work on one device instance: a layer range of a model's graph (SR_WORK_LAYERS), coding the
 *   activation of a graph node with a codec (SR_WORK_ENCODE / SR_WORK_DECODE), or a fixed amount of work in
 *   seconds or flop (SR_WORK_SECONDS / SR_WORK_FLOPS); optionally on one executor of the device, and with a
 *   batch key: tasks with the same key on the same executor may run together as one batch;
 * - transfer: bytes from one device instance to another through the routed links, with what they carry (the
 *   frame, the activation of node N, a model version, opaque bytes);
 * - delay: a pause of fixed seconds with its cause (cold start, serialization, runtime overhead), or a hold
 *   that waits for the policy (SR_DELAY_HOLD: work the policy places at run time, see sr_policy.h).
 * The pricing pass (sr_price.h) fills in each compute task's `seconds` at batch 1 from the cost models; the
 * engine prices batches at their size. A task starts when all its predecessors finished; the job completes
 * when every task finished; tasks without predecessors start when the job is created. This carries chains
 * (split), fan-out/fan-in (tiles on N devices stitched on a hub) and pipelines.
 *
 * Plans are immutable once handed to the engine and carry a version (set by the engine when it adopts the
 * plan): jobs in flight keep the plan they started with when a policy re-plans.
 *
 * Devices are named by (device group index in the experiment, instance index), plus the role the policy gave
 * them (for labels only). Policies build plans without touching SimGrid. */
#ifndef SR_PLAN_H
#define SR_PLAN_H

#include <stddef.h>

#include "sr_status.h"

typedef enum { SR_TASK_COMPUTE, SR_TASK_TRANSFER, SR_TASK_DELAY, SR_TASK_KIND_COUNT } sr_task_kind;
typedef enum { SR_ROLE_SOURCE, SR_ROLE_TARGET, SR_ROLE_OTHER, SR_ROLE_COUNT } sr_dev_role;
typedef enum {
    SR_WORK_LAYERS,  /* nodes first_layer..last_layer of model `model` */
    SR_WORK_ENCODE,  /* encode the output of node `node` with `codec` */
    SR_WORK_DECODE,  /* decode it */
    SR_WORK_SECONDS, /* `amount` seconds, whatever the device */
    SR_WORK_FLOPS,   /* `amount` flop at the device's speed */
    SR_WORK_KIND_COUNT
} sr_work_kind;
typedef enum {
    SR_PAYLOAD_FRAME,      /* the captured frame (as coded by the source) */
    SR_PAYLOAD_ACTIVATION, /* the output of node `node` (coded when an encode task of it precedes) */
    SR_PAYLOAD_MODEL,      /* model version `version` (weights pushed to a device) */
    SR_PAYLOAD_BYTES,      /* opaque bytes (results, sensor data, parameters) */
    SR_PAYLOAD_KIND_COUNT
} sr_payload_kind;
typedef enum {
    SR_DELAY_COLD_START,
    SR_DELAY_SERIALIZATION,
    SR_DELAY_RUNTIME, /* runtime / sandbox overhead */
    SR_DELAY_OTHER,
    SR_DELAY_COPY,    /* a memory copy or DMA (host staging of received data) */
    SR_DELAY_HOLD,    /* held until the policy releases it (seconds ignored): when it becomes ready the policy
                         gets SR_EVENT_HELD, may spawn parts of the job (work placed at run time, e.g. tiles
                         taken by whichever device is idle) and ends it with release (sr_policy.h) */
    SR_DELAY_CAUSE_COUNT
} sr_delay_cause;

typedef struct sr_plan_dev {
    sr_dev_role role;
    int group;    /* index into sr_experiment.devices */
    int instance; /* index into that group's instances */
} sr_plan_dev;

/* How an activation codec is priced (model mode: one row of a codec table, sr_codectab.h). Borrowed by the
 * tasks that name it: it must outlive the plan (policies keep it in their state). */
typedef struct sr_plan_codec {
    const char *pipeline;        /* codec pipeline (sr_codec.h); exact mode runs it */
    double bits_per_element;     /* coded bytes = ceil(elements * bits_per_element / 8) */
    double encode_s_per_element; /* seconds per activation element on the host that measured the table */
    double decode_s_per_element;
    double host_flops; /* that host's single-core speed; > 0: times scale by host_flops / (device speed x
                          efficiency) (codecs run on one core); 0: times are used as measured */
} sr_plan_codec;

/* A part of a tensor, for work split over devices (parallel partitions). Zeroed = the whole tensor.
 * - a tile: rows [y0, y1) and columns [x0, x1) of a feature map (y1 > y0); on a layers task, of the output of
 *   last_layer (the task computes that rectangle through the range, reading the halo its receptive field needs);
 *   on an activation transfer, of the output of `node`;
 * - a channel slice: channels [c0, c1) (c1 > c0); on a layers task, the output channels of the range's first conv
 *   or fc node and the same channels of the per-channel nodes after it; on an activation transfer, of `node`. */
typedef struct sr_plan_part {
    int y0, y1, x0, x1;
    int c0, c1;
} sr_plan_part;

#define SR_PLAN_LABEL_MAX 32
#define SR_CORUN_CLASSES 8

typedef struct sr_plan_task {
    sr_task_kind kind;
    char label[SR_PLAN_LABEL_MAX];
    sr_plan_dev dev; /* compute, delay: the device; transfer: the sender */
    sr_plan_dev dst; /* transfer: the receiver (= dev otherwise) */
    /* compute */
    sr_work_kind work;
    int model;                   /* index in sr_experiment.models (layers, encode, decode), -1 otherwise */
    int first_layer, last_layer; /* SR_WORK_LAYERS: graph node range, -1 otherwise */
    int node;                    /* encode/decode/activation payload: the graph node whose output, else -1 */
    const sr_plan_codec *codec;  /* encode/decode: borrowed */
    double amount;               /* SR_WORK_SECONDS: seconds; SR_WORK_FLOPS: flop */
    int executor;                /* executor of the device (0-based), -1: any free one */
    int batch_key;               /* 0: alone; > 0: may be batched with tasks of the same key on one executor */
    int batch_max;               /* largest batch (>= 1) */
    double batch_wait_s;         /* longest wait of the first task of a batch for it to fill */
    int corun_class;             /* 0: none; 1..SR_CORUN_CLASSES-1: a kind of work (inference, diagnosis) that
                                    slows by the device's interference when it starts beside another class */
    double seconds;              /* filled by the pricing pass (batch 1); delay: the delay */
    sr_plan_part part;           /* layers / activation transfer: the part computed or carried (zero: whole) */
    /* transfer */
    sr_payload_kind payload;
    int version; /* SR_PAYLOAD_MODEL */
    double bytes;
    /* delay */
    sr_delay_cause cause;
} sr_plan_task;

typedef struct sr_plan sr_plan;

/* Creates an empty plan. Caller frees with sr_plan_free. */
sr_status sr_plan_create(sr_plan **out);
void sr_plan_free(sr_plan *p); /* NULL is a no-op */

/* Append a task; return its id (>= 0) or a negative sr_status (SR_ERR_INVALID for bad devices, negative or
 * non-finite amounts; SR_ERR_NOMEM). label is copied (truncated), may be NULL. Compute tasks start with
 * executor -1, batch_key 0, batch_max 1 and seconds 0 (priced later); set the other fields through
 * sr_plan_task_mut before the plan is handed over. */
int sr_plan_add_layers(sr_plan *p, sr_plan_dev dev, int model, int first_layer, int last_layer, const char *label);
int sr_plan_add_codec(sr_plan *p, sr_plan_dev dev, sr_work_kind encode_or_decode, int model, int node,
                      const sr_plan_codec *codec, const char *label);
int sr_plan_add_work(sr_plan *p, sr_plan_dev dev, sr_work_kind seconds_or_flops, double amount, const char *label);
int sr_plan_add_transfer(sr_plan *p, sr_plan_dev src, sr_plan_dev dst, sr_payload_kind payload, double bytes,
                         const char *label);
int sr_plan_add_delay(sr_plan *p, sr_plan_dev dev, sr_delay_cause cause, double seconds, const char *label);
/* Task `after` waits for task `before`; requires before < after (topological order). */
sr_status sr_plan_add_dep(sr_plan *p, int before, int after);

/* Restricts task id (layers, or an activation transfer) to a part: a tile or a channel slice, not both;
 * SR_ERR_INVALID otherwise. */
sr_status sr_plan_set_part(sr_plan *p, int id, sr_plan_part part);
int sr_plan_part_is_tile(const sr_plan_part *q);
int sr_plan_part_is_slice(const sr_plan_part *q);

int sr_plan_task_count(const sr_plan *p);
const sr_plan_task *sr_plan_task_at(const sr_plan *p, int id); /* borrowed; NULL when out of range */
sr_plan_task *sr_plan_task_mut(sr_plan *p, int id);            /* while building or pricing */
int sr_plan_dep_count(const sr_plan *p);
/* Dependency i as (before, after). */
void sr_plan_dep_at(const sr_plan *p, int i, int *before, int *after);

/* Version the engine gave the plan when it adopted it (0 before). */
int sr_plan_version(const sr_plan *p);
void sr_plan_set_version(sr_plan *p, int version);

/* Sum of compute seconds (as priced) and of transfer bytes (for tables and tests). */
double sr_plan_compute_seconds(const sr_plan *p);
double sr_plan_transfer_bytes(const sr_plan *p);

/* Checks the plan: at least one task, finite non-negative amounts, a transfer's ends differ, batch fields
 * consistent. SR_ERR_INVALID with a message in err otherwise. */
sr_status sr_plan_validate(const sr_plan *p, char *err, size_t err_size);

/* Writes one line per task into buf (always NUL-terminated, truncated when too small). */
void sr_plan_format(const sr_plan *p, char *buf, size_t size);

const char *sr_task_kind_name(sr_task_kind k);
const char *sr_dev_role_name(sr_dev_role r);
const char *sr_work_kind_name(sr_work_kind k);
const char *sr_payload_kind_name(sr_payload_kind k);
const char *sr_delay_cause_name(sr_delay_cause c);

#endif
