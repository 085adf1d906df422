/* sr_weights.h: per-node parameter tensors (fp32) of a graph.
 *
 * Layouts: conv W [out_ch][in_ch/groups][kh][kw], bias [out_ch]; fc W [out][in], bias [out];
 * batch norm: scale, shift, mean, var, each [channels]. Nodes without parameters have none. */
#ifndef SR_WEIGHTS_H
#define SR_WEIGHTS_H

#include <stdint.h>

#include "sr_graph.h"

typedef enum {
    SR_PARAM_WEIGHT,
    SR_PARAM_BIAS,
    SR_PARAM_BN_SCALE,
    SR_PARAM_BN_SHIFT,
    SR_PARAM_BN_MEAN,
    SR_PARAM_BN_VAR,
    SR_PARAM_ROLE_COUNT
} sr_param_role;

typedef struct sr_weights sr_weights;

/* Allocates zeroed tensors for every parameter of the (inferred) graph g. The graph is borrowed and
 * must outlive the weights. Caller frees with sr_weights_free. */
sr_status sr_weights_create(const sr_graph *g, sr_weights **out);
void sr_weights_free(sr_weights *w); /* NULL is a no-op */

/* Floats sr_weights_create allocates for role r of node id of the inferred graph g (0: none), and for all its
 * roles (batch norm's running mean and variance included), without allocating; -1 when id or r is out of
 * range or the shape is bad. Lets an importer check a model, and a file of its weights, before allocating. */
int64_t sr_weights_role_count(const sr_graph *g, int id, sr_param_role r);
int64_t sr_weights_node_count(const sr_graph *g, int id);

/* Tensor of role r at node id, or NULL when the node has none; *count gets its element count. Borrowed. */
float *sr_weights_get(sr_weights *w, int id, sr_param_role r, int64_t *count);
const float *sr_weights_get_const(const sr_weights *w, int id, sr_param_role r, int64_t *count);

/* Seeded He-style initialisation (normal(0, sqrt(2/fan_in)) weights, small biases, BN near identity).
 * Same seed -> same weights. */
void sr_weights_init_he(sr_weights *w, uint64_t seed);

#endif
