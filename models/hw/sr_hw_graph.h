/* sr_hw_graph.h: adapter from the graph IR (sr_graph.h) to the plain layer sets of the analytic device
 * models (sr_hw_layer.h), so a zoo or imported model can be priced by the In-situ AI GPU time model or
 * run through the FPGA pipeline model. */
#ifndef SR_HW_GRAPH_H
#define SR_HW_GRAPH_H

#include <stddef.h>

#include "sr_graph.h"
#include "sr_hw_layer.h"
#include "sr_status.h"

/* Converts the conv and FC nodes of an inferred graph (sr_graph_infer done; borrowed) into a layer set
 * in graph order; every other node has no MACs in these models and is skipped. Each layer's n is the
 * graph's batch. Convs must be plain (groups 1, dilation 1, the same padding on all sides and the same
 * stride on both axes): a grouped / depthwise, dilated or asymmetric conv gives SR_ERR_UNSUPPORTED.
 * out has room for cap layers (SR_ERR_RANGE when too few; *n_out then holds the count needed).
 * On error, err (may be NULL) gets a message naming the node. */
sr_status sr_hw_layers_from_graph(const sr_graph *g, sr_hw_layer *out, int cap, int *n_out, char *err,
                                  size_t err_size);

#endif
