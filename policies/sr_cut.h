/* sr_cut.h: cuts of a DNN graph between a device and a target, and the searches for the cheapest one.
 *
 * A cut puts every node of an inferred graph (sr_graph.h) either on the device (the part that runs where the
 * input is captured) or on the target. It is valid when the device part is closed under predecessors (a node
 * on the device reads only tensors computed on the device: nothing is sent back). Constants (SR_OP_CONST)
 * live on both sides (weights are deployed on both) and belong to neither part: they cost nothing and never
 * cross. Every tensor computed on the device that some target node reads crosses the cut once, whatever the
 * number of its readers there.
 *
 * A cut's cost is additive, as in DADS (Hu et al., INFOCOM 2019):
 *     cost = sum over device nodes of device[v] + sum over target nodes of target[v]
 *          + sum over crossing tensors of cross[u]
 * The caller chooses what the weights mean (seconds for latency, joules for device energy, or a weighted sum;
 * sr_cut_price.h derives them from the cost models). target[v] = INFINITY pins v on the device (graph inputs:
 * the frame is captured there); cross[u] = INFINITY forbids u to cross.
 *
 * Three searches:
 * - sr_cut_mincut: the exact optimum over all valid cuts as a minimum s-t cut (DADS): source s = device,
 *   sink t = target; edge s->v of capacity target[v] and v->t of capacity device[v] (each is cut when v lies
 * on the other side); per tensor u with readers an auxiliary node u' with u->u' of capacity cross[u] and
 *   u'->r of infinite capacity for every reader r (so u is paid once however many readers are on the target);
 *   r->u of infinite capacity (a reader on the device forces its input there). Max flow by Dinic's algorithm
 *   on doubles, O(V^2 E); the device part is what the source reaches in the residual graph.
 * - sr_cut_exhaustive: every valid cut enumerated (the ideals of the DAG, depth first in node order) up to a
 *   bound on their number; ResNet-50 has 239 and MobileNetV2 153 (tests/policies/test_cut.c), a chain of n
 *   nodes n; graphs with many parallel branches have exponentially many.
 * - sr_cut_best_prefix: the clean single-tensor cuts of split.c: nodes 0..k on the device, k's output the
 * only tensor crossing (k = the last node: nothing crosses); what exact mode and codec tables support. */
#ifndef SR_CUT_H
#define SR_CUT_H

#include "sr_graph.h"
#include "sr_status.h"

/* Per-node weights (borrowed arrays of sr_graph_node_count(g) entries; entries of constants are ignored). */
typedef struct sr_cut_weights {
    const double *device; /* cost of the node on the device, >= 0 */
    const double *target; /* cost on the target, >= 0; INFINITY: must run on the device */
    const double *cross;  /* cost of sending its output once, >= 0; INFINITY: may not cross */
} sr_cut_weights;

/* 1 when on_device (one byte per node, 0/1; constants ignored) is closed under predecessors. */
int sr_cut_is_valid(const sr_graph *g, const unsigned char *on_device);
/* The cost of a cut; INFINITY when it is not valid or uses an infinite weight. */
double sr_cut_value(const sr_graph *g, const sr_cut_weights *w, const unsigned char *on_device);
/* Number of tensors crossing the cut (constants excluded). */
int sr_cut_crossing(const sr_graph *g, const unsigned char *on_device);
/* Highest non-constant node id on the device, -1 when none. */
int sr_cut_last_device_node(const sr_graph *g, const unsigned char *on_device);

/* The cheapest valid cut into on_device (caller's array of node-count bytes) and its cost (sr_cut_value).
 * SR_ERR_INVALID for negative or NaN weights, SR_ERR_NOMEM. Ties: the one with the smallest device part. */
sr_status sr_cut_mincut(const sr_graph *g, const sr_cut_weights *w, unsigned char *on_device, double *value);

/* The cheapest valid cut by enumeration (ties: the first in enumeration order). *n_cuts gets the number of
 * valid cuts. SR_ERR_RANGE (on_device untouched) when there are more than max_cuts. */
sr_status sr_cut_exhaustive(const sr_graph *g, const sr_cut_weights *w, long max_cuts,
                            unsigned char *on_device, double *value, long *n_cuts);

/* Is "nodes 0..k on the device" a clean single-tensor cut (only k's output crosses; k = last node: none)?
 * k must be a non-constant node. */
int sr_cut_prefix_clean(const sr_graph *g, int k);
/* Writes the prefix cut 0..k into on_device (constants 0). */
void sr_cut_prefix(const sr_graph *g, int k, unsigned char *on_device);
/* The cheapest clean prefix cut among those whose value is finite: *k (-1 when none is finite) and its value.
 * `allowed` (may be NULL) restricts the candidates k (allowed[k] != 0). */
sr_status sr_cut_best_prefix(const sr_graph *g, const sr_cut_weights *w, const unsigned char *allowed, int *k,
                             double *value);

#endif
