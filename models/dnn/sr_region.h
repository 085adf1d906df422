/* sr_region.h: region (tile) and channel execution of a graph, for fused-layer spatial partitions and
 * channel partitions.
 *
 * A region is the block of nodes first..last (contiguous ids, topological order) fed by exactly one
 * tensor from outside the block (the region input, a node with id < first). Every node of the block
 * must be spatial with respect to that input: conv, max/avg pool, batch norm, the element-wise
 * activations, dropout, add of same-spatial-size tensors, and concat on the channel axis. The output
 * of `last` is produced rectangle by rectangle.
 *
 * Back-projection: for an output rectangle of `last`, each node computes the bounding box of what its
 * consumers inside the block need (the union over consumers), and each conv/pool node needs input rows
 * [y0*s - pad_top, (y1-1)*s - pad_top + (k-1)*d + 1) clamped to the input (columns likewise).
 * Virtual padding is the zero padding a tile's layer actually applies: the real padding on the sides
 * where the tile touches the true border, 0 elsewhere.
 *
 * Tensors are NCHW with the graph's batch; a rectangle's tensor is n x c x (y1-y0) x (x1-x0). */
#ifndef SR_REGION_H
#define SR_REGION_H

#include <stdint.h>

#include "sr_graph.h"
#include "sr_weights.h"

/* Rectangle [y0, y1) x [x0, x1) of a feature map. Empty when y1 <= y0 or x1 <= x0. */
typedef struct sr_rect {
    int y0, y1, x0, x1;
} sr_rect;

/* Padding on each side, in pixels. */
typedef struct sr_pad4 {
    int top, left, bottom, right;
} sr_pad4;

/* What one node of the block does for one tile. */
typedef struct sr_tile_layer {
    int id;         /* graph node id */
    sr_rect out;    /* rectangle of the node's output the tile computes (empty: not needed) */
    sr_rect in;     /* rectangle of the node's first input it reads (clamped) */
    sr_pad4 vpad;   /* virtual padding applied (conv/pool; zeros otherwise) */
    int64_t macs;   /* multiply-accumulates for this rectangle (conv only; 0 otherwise) */
} sr_tile_layer;

typedef struct sr_region sr_region;

/* Describes block first..last of the inferred graph g (borrowed; must outlive the region).
 * SR_ERR_INVALID for bad ids; SR_ERR_UNSUPPORTED (message naming the node in err) when a node is not
 * spatial, reads two different tensors from outside the block, or the block output is not rank 4.
 * Caller frees. */
sr_status sr_region_create(const sr_graph *g, int first, int last, sr_region **out, char *err,
                           size_t err_size);
void sr_region_free(sr_region *r); /* NULL is a no-op */

int sr_region_input_id(const sr_region *r);  /* node id of the region input */
int sr_region_node_count(const sr_region *r); /* last - first + 1 */

/* Back-projects out_rect (clamped to the output of `last`) through the block. layers gets
 * sr_region_node_count entries (caller-allocated; NULL allowed); *input_rect the rectangle of the
 * region input the tile needs. */
sr_status sr_region_backproject(const sr_region *r, sr_rect out_rect, sr_tile_layer *layers,
                                sr_rect *input_rect);

/* Multiply-accumulates of the whole block (full output). */
int64_t sr_region_full_macs(const sr_region *r);
/* Sum over the tiles of their MACs minus the full MACs: the redundant work overlapping tiles do. */
int64_t sr_region_redundant_macs(const sr_region *r, const sr_rect *tiles, int n_tiles);

/* Computes out_rect of node `last` through the block.
 * in: the region input's data over rectangle in_rect (n x C x h x w, all channels; pass the full
 * tensor with in_rect = {0, H, 0, W}); in_rect must contain the needed input rectangle
 * (SR_ERR_RANGE otherwise). out: caller-allocated n x C_last x (y1-y0) x (x1-x0) floats.
 * Allocates its temporaries (not for hot loops). */
sr_status sr_region_run_tile(const sr_region *r, const sr_weights *w, const float *in, sr_rect in_rect,
                             sr_rect out_rect, float *out);

/* Computes output channels [c0, c1) of the conv or fc node id from its whole input tensor in
 * (the node's input shape). out: n x (c1-c0) x H x W (conv) or n x (c1-c0) (fc). Any groups. */
sr_status sr_region_run_channels(const sr_graph *g, const sr_weights *w, int id, const float *in, int c0,
                                 int c1, float *out);

/* ---- grid helpers ---- */

/* Splits [0, extent) into n parts proportional to weights (NULL: equal weights); bounds gets n+1
 * entries, bounds[0] = 0, bounds[n] = extent, non-decreasing (a part may be empty only if its weight
 * is tiny or 0). Cumulative rounding: bounds[i] = round(extent * sum(weights[0..i)) / sum(weights)).
 * SR_ERR_INVALID for n < 1, negative weights or a zero sum. */
sr_status sr_split_extent(int extent, int n, const double *weights, int *bounds);
/* rows x cols grid over an h x w map; row_w / col_w weights as sr_split_extent (NULL: even).
 * tiles gets rows*cols rectangles, row-major. */
sr_status sr_grid_rects(int h, int w, int rows, int cols, const double *row_w, const double *col_w,
                        sr_rect *tiles);

#endif
