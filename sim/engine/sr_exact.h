/* sr_exact.h: the real computation behind exact mode (one object per source instance).
 *
 * For each frame: the next frame of the instance's synthetic video (workloads/video.h, its own seed) is
 * rendered at the source resolution, resized (bilinear) to the model input, converted to the model's input
 * tensor (ImageNet-normalised RGB, or luma / 255 for 1-channel models), and run through the whole model with
 * the executor: this full forward is the reference output and, since the head of a split is a prefix of the
 * graph, it also yields the split activation. With a split, the activation is coded and decoded with the
 * real codec (when there is one; the bytes sent are the encoder's output size) and the rest of the network
 * (sr_codectab_tail_create) runs on what the target would receive; its output is compared with the reference
 * (relative L2, same top-1). Without a split (device_only, cloud_only) the path is the full forward itself.
 * Without a codec the fp32 activation reaches the tail unchanged, whatever activation_precision says (the
 * planned bytes follow activation_precision; its rounding is not emulated).
 * Deterministic: same graph, weights, pipeline and seed -> identical results (wall times aside). */
#ifndef SR_EXACT_H
#define SR_EXACT_H

#include <stddef.h>
#include <stdint.h>

#include "sr_graph.h"
#include "sr_status.h"
#include "sr_weights.h"

typedef struct sr_exact sr_exact;

/* A stitched output equals the plain forward when max |y - y_ref| <= SR_EXACT_STITCH_TOL x max |y_ref|. */
#define SR_EXACT_STITCH_TOL 1e-4

typedef struct sr_exact_result {
    double coded_bytes; /* encoder output bytes of the activation; -1 without a codec */
    double out_rel_l2;  /* ||y - y_ref|| / ||y_ref|| of the final output */
    int top1_same;      /* argmax(y) == argmax(y_ref) */
    double act_sig2;    /* sum of squares of the activation (0 without a codec) */
    double act_err2;    /* sum of squared coding errors of the activation (0 without a codec) */
    double wall_s;      /* wall-clock seconds of the kernels and the codec (not the video rendering) */
    int partitioned;    /* the plan's parts (tiles, channel slices) ran and were stitched */
    double stitch_err_rel; /* partitioned: max |y - y_ref| / max |y_ref| of the final output */
} sr_exact_result;

/* g, w: the inferred model and its weights (borrowed, must outlive the object). split: the id of the last
 * node run on the source, or -1 for no split. pipeline: codec pipeline (sr_codec.h) for the split
 * activation, or NULL (the activation crosses as it is). frame_w x frame_h: the source resolution (>= 16).
 * SR_ERR_UNSUPPORTED when the model does not take one 1xCxHxW image (C = 1 or 3); SR_ERR_INVALID for a bad
 * pipeline or a split whose cut is not clean. Caller frees. */
sr_status sr_exact_create(const sr_graph *g, const sr_weights *w, int split, const char *pipeline,
                          int frame_w, int frame_h, uint64_t video_seed, sr_exact **out, char *err,
                          size_t err_size);
/* Another stream (source instance) of the same model, split and pipeline: its own video, codec state and
 * buffers, sharing proto's executors (proto is borrowed and must outlive the clone). Sharing is safe because
 * one frame's computation (sr_exact_run_frame) runs to completion before another starts. Caller frees. */
sr_status sr_exact_clone(const sr_exact *proto, int frame_w, int frame_h, uint64_t video_seed, sr_exact **out,
                         char *err, size_t err_size);
void sr_exact_free(sr_exact *x); /* NULL is a no-op */

/* What exact mode computes for a plan (policies/sr_plan.h) of a model of n_nodes nodes: its compute tasks' layer
 * ranges must cover nodes 0..n_nodes-1 without gap or overlap, and at most one activation may be coded (one
 * encode and one decode task on the node an activation transfer carries, where a layer range ends). *cut is that
 * node (or the node of an uncoded activation transfer; -1 when none), *pipeline the encode task's codec pipeline
 * (NULL when none; borrowed from the plan). Fixed work (seconds, flops) and delays compute nothing. Any other
 * plan: SR_ERR_UNSUPPORTED with the reason in err (exact mode does not run tile regions or several cuts yet). */
struct sr_plan;
sr_status sr_exact_plan_shape(const struct sr_plan *p, int n_nodes, int *cut, const char **pipeline, char *err,
                              size_t err_size);

/* Renders the next frame of video (frame_w x frame_h) as exact mode feeds a model of input c x h x w (c = 1 or
 * 3): bilinear resize, then ImageNet-normalised RGB planes, or luma / 255. rgb (frame_w x frame_h x 3 bytes),
 * rgb_model and planes (w x h x 3 bytes each) are scratch buffers; xin gets c x h x w floats. Shared with the emulated
 * testbed (sim/emulate), which feeds its devices the same frames. */
struct sr_video;
sr_status sr_exact_video_input(struct sr_video *video, int frame_w, int frame_h, int c, int h, int w, uint8_t *rgb,
                               uint8_t *rgb_model, uint8_t *planes, float *xin);

/* Computes the next frame of the stream. */
sr_status sr_exact_run_frame(sr_exact *x, sr_exact_result *r, char *err, size_t err_size);

/* Does plan p split work into parts (a layers task restricted to a tile or a channel slice, sr_plan_part)? */
int sr_exact_plan_partitioned(const struct sr_plan *p);

/* The next frame computed as partitioned plan p says (x made with split -1 and no pipeline): the full forward is
 * the reference; then every layers task of p, in plan order, really runs on the tensors the tasks before it
 * stitched: a tile through its layer range from the halo rectangle of its input (sr_region_run_tile), a channel
 * slice of its conv/fc node (sr_region_run_channels), a whole range layer by layer. A slice's per-channel nodes
 * after the conv/fc (activations, pooling, batch norm) run once the slices of all channels are stitched (the same
 * numbers as running them per slice). The stitched output is compared with the reference (r->stitch_err_rel,
 * out_rel_l2, top1_same). SR_ERR_UNSUPPORTED (err says which task) when a task reads a tensor no task before it
 * produced, or a node has no region/slice execution. */
sr_status sr_exact_run_frame_plan(sr_exact *x, const struct sr_plan *p, sr_exact_result *r, char *err,
                                  size_t err_size);

#endif
