/* sr_plan.h: the per-frame task graph a policy produces and the engine executes.
 *
 * A plan is a DAG of tasks in topological order (a dependency always points from an earlier task to a
 * later one). Compute tasks run `seconds` on one device instance (one frame at a time per device, FIFO);
 * transfer tasks move `bytes` from one device instance to another through the routed links. A task
 * starts when all its predecessors finished; the frame completes when every task finished. Tasks
 * without predecessors start at the frame's capture time. This carries chains (split), fan-out/fan-in
 * (tiles on N devices stitched on a hub: many edges into one task) and pipelines; `batch` is a hook for
 * batched execution (always 1 for now).
 *
 * Devices are named by (device group index in the experiment, instance index), plus the role the
 * policy gave them (for labels only). Policies build plans without touching SimGrid. */
#ifndef SR_PLAN_H
#define SR_PLAN_H

#include <stddef.h>

#include "sr_status.h"

typedef enum { SR_TASK_COMPUTE, SR_TASK_TRANSFER, SR_TASK_KIND_COUNT } sr_task_kind;
typedef enum { SR_ROLE_SOURCE, SR_ROLE_TARGET, SR_ROLE_OTHER, SR_ROLE_COUNT } sr_dev_role;

typedef struct sr_plan_dev {
    sr_dev_role role;
    int group;    /* index into sr_experiment.devices */
    int instance; /* index into that group's instances */
} sr_plan_dev;

#define SR_PLAN_LABEL_MAX 32

typedef struct sr_plan_task {
    sr_task_kind kind;
    char label[SR_PLAN_LABEL_MAX];
    /* compute */
    sr_plan_dev dev;
    double seconds;
    int first_layer, last_layer; /* graph node range priced, -1 when not a layer range */
    int batch;                   /* frames computed together (hook; 1) */
    /* transfer */
    sr_plan_dev src, dst;
    double bytes;
} sr_plan_task;

typedef struct sr_plan sr_plan;

/* Creates an empty plan. Caller frees with sr_plan_free. */
sr_status sr_plan_create(sr_plan **out);
void sr_plan_free(sr_plan *p); /* NULL is a no-op */

/* Append a task; return its id (>= 0) or a negative sr_status (SR_ERR_INVALID for negative or
 * non-finite seconds/bytes, SR_ERR_NOMEM). label is copied (truncated), may be NULL. */
int sr_plan_add_compute(sr_plan *p, sr_plan_dev dev, double seconds, int first_layer, int last_layer,
                        const char *label);
int sr_plan_add_transfer(sr_plan *p, sr_plan_dev src, sr_plan_dev dst, double bytes, const char *label);
/* Task `after` waits for task `before`; requires before < after (topological order). */
sr_status sr_plan_add_dep(sr_plan *p, int before, int after);

int sr_plan_task_count(const sr_plan *p);
const sr_plan_task *sr_plan_task_at(const sr_plan *p, int id); /* borrowed; NULL when out of range */
int sr_plan_dep_count(const sr_plan *p);
/* Dependency i as (before, after). */
void sr_plan_dep_at(const sr_plan *p, int i, int *before, int *after);

/* Sum of compute seconds and of transfer bytes (for tables and tests). */
double sr_plan_compute_seconds(const sr_plan *p);
double sr_plan_transfer_bytes(const sr_plan *p);

/* Checks the plan: at least one task, finite non-negative amounts, a transfer's ends differ.
 * SR_ERR_INVALID with a message in err otherwise. */
sr_status sr_plan_validate(const sr_plan *p, char *err, size_t err_size);

/* Writes one line per task into buf (always NUL-terminated, truncated when too small). */
void sr_plan_format(const sr_plan *p, char *buf, size_t size);

const char *sr_task_kind_name(sr_task_kind k);
const char *sr_dev_role_name(sr_dev_role r);

#endif
