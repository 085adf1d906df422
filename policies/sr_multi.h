/* sr_multi.h: what the multi-device policies (pipeline, parallel, partition_search) share: lists of layer
 * names, clean cuts, the model a source runs, and how fast a device is for sharing work out.
 *
 * Everything here reads the experiment and graphs only (no engine state) and never fails on memory: callers
 * pass arrays sized by the graph. */
#ifndef SR_MULTI_H
#define SR_MULTI_H

#include <stddef.h>

#include "sr_policy.h"

#define SR_MULTI_MAX_DEV 64 /* devices one multi-device plan spreads over */

/* Parses a comma-separated list of layer names of g (sr_policy_find_layer: node names or block names) into
 * ids[0..*n) (at most max). Returns 0, or -1 with a message in err (an unknown name, an empty item, too many
 * items, or ids not strictly increasing). */
int sr_multi_parse_layers(const sr_graph *g, const char *list, int *ids, int max, int *n, char *err,
                          size_t size);

/* The devices of a comma-separated list of device groups: their instances in order, the first n_workers (0:
 * all) into group/inst (at most SR_MULTI_MAX_DEV), *n of them. 0, or -1 with err (an unknown or empty group,
 * too many, fewer instances than n_workers). */
int sr_multi_parse_workers(const sr_experiment *e, const char *workers, int n_workers, int *group, int *inst,
                           int *n, char *err, size_t size);

/* The first node after `cut` reading a non-constant tensor from before it (*input gets that tensor), or -1
 * when cutting after `cut` is clean. */
int sr_multi_unclean_reader(const sr_graph *g, int cut, int *input);

/* Is model m run by some source? */
int sr_multi_model_used(const sr_experiment *e, int m);

/* A device group's speed for sharing work out: speed x cores x efficiency / (cores / cpu quota), flop/s. */
double sr_multi_device_speed(const sr_device_spec *d);

/* Splits `total` units into n (<= SR_MULTI_MAX_DEV) integer shares proportional to weights (all > 0), each >=
 * 1 when total >= n, summing to total (largest remainders, ties to the lower index). */
void sr_multi_shares(int total, const double *weights, int n, int *out);

#endif
