/* sr_partition.h: the plan of one job whose layers are spread over several devices step by step (the parallel
 * and partition_search policies build it).
 *
 * A step is a range of layers computed one of three ways:
 * - tiles: the range's output cut into tiles (a grid, or one strip of rows per device with heights following
 * the devices' speeds); each tile's device receives the rectangle of the range's input its receptive field
 * needs (the halo, sr_region back-projection), computes the tile through the whole range and sends it back;
 * - channels: the range's single conv/fc node's output channels sliced over the devices (equal, or following
 * their speeds); each device receives the whole input;
 * - local: the hub computes the range.
 * The hub holds the job's input (the source sends it the frame when they differ), scatters every step's
 * parts, gathers their outputs, and a zero-time stitch on the hub starts the next step once all parts are
 * back.
 *
 * Statistics of the plan: MACs recomputed by overlapping tiles, and the peak memory a device needs for one
 * task (weights of the range + the largest input + output rectangle of one of its layers; the hub also holds
 * each step's whole input and output). */
#ifndef SR_PARTITION_H
#define SR_PARTITION_H

#include "sr_multi.h"

typedef enum { SR_STEP_TILES, SR_STEP_CHANNELS, SR_STEP_LOCAL, SR_STEP_KIND_COUNT } sr_step_kind;

typedef struct sr_step {
    sr_step_kind kind;
    int first, last; /* graph nodes (tiles and channels: no input node; channels: first is the conv/fc) */
    int n_dev;       /* tiles, channels: use the first n_dev devices of the list (0: all) */
} sr_step;

typedef struct sr_part_env {
    const sr_experiment *e;
    const sr_graph *g;
    int model;
    sr_plan_dev src, hub;
    int n; /* devices */
    sr_plan_dev dev[SR_MULTI_MAX_DEV];
    double speed[SR_MULTI_MAX_DEV]; /* for proportional shares */
    int proportional;               /* shares follow speed (strips of rows, channel slices); else even */
    int rows, cols;     /* tiles with even shares: the grid (0: one strip per device), dealt round-robin */
    double frame_bytes; /* source -> hub */
    int hold_tiles;     /* tiles steps become one hold on the hub (SR_DELAY_HOLD, naming the step's model and
                           layers): the policy places the tiles at run time (sr_part_tiles, sr_part_tile_plan) */
} sr_part_env;

/* One tile of a tiles step: the rectangle of in_node's output it reads (with its halo) and the rectangle of the
 * step's output it computes, as plan parts, with their bytes. */
typedef struct sr_part_tile {
    sr_plan_part in, out;
    int in_node;
    double in_bytes, out_bytes;
} sr_part_tile;

typedef struct sr_part_stats {
    double redundant_macs;
    double peak_mem[SR_MULTI_MAX_DEV + 1]; /* per device of the list; [n]: the hub */
} sr_part_stats;

/* The workers of a multi-device policy (parallel, partition_search): the instances of its `workers` groups, in
 * order, and which of them are down. */
typedef struct sr_part_workers {
    int n;
    int group[SR_MULTI_MAX_DEV], inst[SR_MULTI_MAX_DEV];
    int down[SR_MULTI_MAX_DEV];
} sr_part_workers;

/* Parses `workers` / `n_workers` (sr_multi_parse_workers) into w, all up. 0, or -1 with err. */
int sr_part_workers_parse(const sr_experiment *e, const char *workers, int n_workers, sr_part_workers *w, char *err,
                          size_t size);
/* Index of device (group, instance) among w, -1 when it is not a worker. */
int sr_part_worker_index(const sr_part_workers *w, int group, int instance);
/* A device event (SR_EVENT_DEVICE_DOWN / UP) of a worker marks it down / up; returns 1 when its state changed. */
int sr_part_workers_event(sr_part_workers *w, const sr_policy_event *ev);
/* config checks of the `workers` (with n_workers) and `hub` keys, diagnostics on them; *w gets the workers (none
 * when the list is bad). */
void sr_part_check_workers(const sr_policy_env *env, sr_policy_diag *d, const char *workers, int n_workers,
                           const char *hub, sr_part_workers *w);
/* The hub of source device (group, instance): the instance i % count of group `hub` when it names one, else the
 * source device itself. */
sr_plan_dev sr_part_hub(const sr_experiment *e, const char *hub, int group, int instance);
/* Starts *pe for a job of `model` from source device (group, instance) of source spec `spec`: the graph, the
 * source, the hub (sr_part_hub) and the frame bytes (frame_bytes > 0, else the source's raw frame); no devices. */
void sr_part_env_init(sr_part_env *pe, const sr_policy_env *env, int model, int group, int instance, int spec,
                      const char *hub, double frame_bytes);

/* Appends the steps' tasks to a new plan (*out, caller frees). stats (may be NULL) gets the plan's
 * statistics. SR_ERR_INVALID (err says which step) for a range that cannot be computed as its kind says. */
sr_status sr_part_plan(const sr_part_env *pe, const sr_step *steps, int n_steps, sr_plan **out,
                       sr_part_stats *stats, char *err, size_t err_size);

/* The tiles of tiles step st as sr_part_plan cuts them (pe's grid, or one strip per device), row-major, into a
 * new array *tiles (caller frees) of *n. SR_ERR_INVALID for another kind of step. */
sr_status sr_part_tiles(const sr_part_env *pe, const sr_step *st, sr_part_tile **tiles, int *n);
/* The plan of tile t run on dev: scatter from the hub (none when dev is the hub), the tile through the step's
 * layers, gather back to the hub; labels end with tag. Caller frees *out. */
sr_status sr_part_tile_plan(const sr_part_env *pe, const sr_step *st, const sr_part_tile *t, sr_plan_dev dev,
                            const char *tag, sr_plan **out);

/* Is op a node a channel slice may pass through (per-channel: activations, batch norm, pooling, dropout)? */
int sr_part_per_channel(sr_op op);
/* conv or fc: a node that starts a layer (layer-wise steps are one such node and the nodes after it). */
int sr_part_layer_head(sr_op op);

#endif
