/* sr_engine_view.h: a run point prepared as the engine prepares it, without SimGrid: for callers that run the
 * same plans elsewhere (the emulated testbed, sim/emulate).
 *
 * sr_engine_view_create() does what sr_engine_run() does before the simulation starts (the topology, the cost
 * models, the models' graphs, the policy's state and a priced plan per source instance, the arrival streams
 * seeded from `seed`) and, in addition, loads every source's model with weights seeded as exact mode seeds
 * them (the experiment's seed). Source instance i's synthetic video is seeded as exact mode seeds it, so the
 * same point renders the same frames in both. */
#ifndef SR_ENGINE_VIEW_H
#define SR_ENGINE_VIEW_H

#include <stdint.h>

#include "sr_experiment.h"
#include "sr_graph.h"
#include "sr_plan.h"
#include "sr_platform.h"
#include "sr_status.h"
#include "sr_weights.h"

typedef struct sr_engine_view sr_engine_view;

typedef struct sr_view_source {
    int spec;            /* index in e->sources */
    int host;            /* topology host index of the instance */
    int model;           /* index in e->models */
    const sr_plan *plan; /* the policy's priced plan (borrowed from the view) */
    uint64_t video_seed; /* exact mode's seed of the instance's synthetic video */
} sr_view_source;

/* e is borrowed and must outlive the view. Errors as sr_engine_run's before the simulation. Caller frees. */
sr_status sr_engine_view_create(const sr_experiment *e, uint64_t seed, sr_engine_view **out, char *err,
                                size_t err_size);
void sr_engine_view_free(sr_engine_view *v); /* NULL is a no-op */

const sr_topology *sr_engine_view_topology(const sr_engine_view *v);
int sr_engine_view_source_count(const sr_engine_view *v);
void sr_engine_view_source(const sr_engine_view *v, int i, sr_view_source *out);
/* Host (topology index) of task t of source i's plan: compute and delay: the device; transfer: the sender.
 * *dst: a transfer's receiver, else the same host. */
int sr_engine_view_task_host(const sr_engine_view *v, int i, int t, int *dst);
/* Capture time of source i's next frame (the engine's arrival stream; INFINITY after a trace ends). */
double sr_engine_view_next_arrival(sr_engine_view *v, int i);
/* Model m's inferred graph and its weights (borrowed; NULL when no source uses the model). */
const sr_graph *sr_engine_view_graph(const sr_engine_view *v, int m);
const sr_weights *sr_engine_view_weights(const sr_engine_view *v, int m);

#endif
