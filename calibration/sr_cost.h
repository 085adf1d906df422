/* sr_cost.h: the cost-model interface: how many seconds a range of DNN layers takes on a device.
 *
 * Callers (policies, the engine) only see sr_cost_model and sr_cost_layers(); an implementation is a
 * vtable (sr_cost_model_ops) plus private state, so the fitted per-layer model of a later issue replaces
 * the roofline without touching any caller. The first implementation, sr_cost_roofline_create(), is a
 * documented per-layer roofline (see sr_cost_roofline.c):
 *
 *     t(layer) = max(batch * flops / (peak_flops * efficiency), bytes / mem_bw)
 *     peak_flops = speed_flops * cores
 *     flops = sr_node_flops(g, id)            (the graph's own batch, times `batch`)
 *     bytes = batch * (input + output bytes at p) + weight bytes at p   (weights are read once per batch)
 *
 * and t(first..last) is the sum over the layers. */
#ifndef SR_COST_H
#define SR_COST_H

#include <stddef.h>

#include "sr_graph.h"
#include "sr_status.h"

/* What a cost model knows about a device: the roofline numbers of one device (not an instance). */
typedef struct sr_cost_device {
    const char *name;   /* for messages; borrowed, may be NULL */
    double speed_flops; /* peak flop/s of one core */
    int cores;
    double efficiency; /* achieved fraction of peak on DNN layers, in (0, 1] */
    double mem_bw_Bps; /* memory bandwidth, bytes/s; <= 0 means "no memory bound" */
    int engine;        /* which of the device's engines runs the layers (the engine's executor index, 0 for the
                        * first or when unknown); only models of devices with dedicated engines read it (FPGA) */
} sr_cost_device;

typedef struct sr_cost_model sr_cost_model;

/* An implementation. `layers` must check its arguments and return SR_ERR_INVALID / SR_ERR_RANGE on
 * bad ones (callers pass user-derived values). `destroy` frees `state` (may be NULL). */
typedef struct sr_cost_model_ops {
    const char *name; /* "roofline" */
    sr_status (*layers)(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                        int last, sr_precision p, int batch, double *seconds);
    void (*destroy)(void *state);
    /* 1: `layers` prices the engine dev->engine names on its own (an FPGA's dedicated engines), so an executor
     * of the device runs a task in the seconds priced; 0 (default): the whole device is priced and an executor,
     * 1/E of it, takes E times as long (sim/engine/eng_loop.c). */
    int per_engine;
} sr_cost_model_ops;

struct sr_cost_model {
    const sr_cost_model_ops *ops; /* borrowed, static */
    void *state;                  /* owned by the model, freed by ops->destroy */
};

/* Seconds to run layers [first..last] (node ids, inclusive, in graph order) of g on dev at precision
 * p with `batch` frames. first == last is one layer; first > last gives SR_ERR_RANGE.
 * Input nodes (SR_OP_INPUT) and constants cost 0. */
sr_status sr_cost_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                         int last, sr_precision p, int batch, double *seconds);

/* Name of the model's implementation ("roofline"). */
const char *sr_cost_model_name(const sr_cost_model *m);
/* ops->per_engine of m (0 for NULL). */
int sr_cost_model_per_engine(const sr_cost_model *m);

/* Creates the roofline cost model. Caller frees with sr_cost_model_free. */
sr_status sr_cost_roofline_create(sr_cost_model **out);

/* Roofline time of one node (exposed for tests and tables); 0 for inputs/constants. */
double sr_cost_roofline_node(const sr_cost_device *dev, const sr_graph *g, int id, sr_precision p, int batch);

/* Wraps a custom implementation (tests, fitted models). `state` is owned by the model afterwards.
 * Caller frees with sr_cost_model_free. */
sr_status sr_cost_model_create(const sr_cost_model_ops *ops, void *state, sr_cost_model **out);
void sr_cost_model_free(sr_cost_model *m); /* NULL is a no-op */

#endif
