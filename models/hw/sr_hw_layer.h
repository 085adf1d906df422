/* sr_hw_layer.h: plain layer descriptions for the analytic device models of models/hw.
 *
 * The GPU time model (gpu_insitu_time.h) and the FPGA engines (fpga_engines.h) price convolution and
 * fully-connected layers from their shapes alone, so they take these small value structs rather than
 * the graph IR (sr_graph.h); they therefore work before, and independently of, a graph.
 *
 * Symbol map to Song et al., In-situ AI (HPCA'18), Fig. 8 / eqs. 1-14:
 *   paper N (input feature maps)  = c          paper M (output feature maps) = m
 *   paper K (kernel, square)      = r = s      paper R x C (output map)      = out_h x out_w
 *   paper B_size (batch)          = n
 * Kernels may be non-square here (r x s); where the paper writes K^2 we use r*s.
 * Tensors are NCHW; weights are [m][c][r][s]; no bias (the engines model the MAC arrays only). */
#ifndef SR_HW_LAYER_H
#define SR_HW_LAYER_H

#include <stdint.h>

#include "sr_status.h"

/* A convolution: n samples of c x h x w in, m output channels, r x s kernel, one stride and one
 * symmetric zero padding for both axes. */
typedef struct sr_hw_conv {
    int n;       /* batch (paper B_size) */
    int c, h, w; /* input channels (paper N), input height, width */
    int m;       /* output channels (paper M) */
    int r, s;    /* kernel height, width (paper K x K) */
    int stride, pad;
} sr_hw_conv;

/* A fully-connected layer: n samples of in features -> out features. */
typedef struct sr_hw_fc {
    int n;   /* batch */
    int in;  /* input features (paper N) */
    int out; /* output features (paper M) */
} sr_hw_fc;

typedef enum { SR_HW_CONV, SR_HW_FC } sr_hw_kind;

/* One layer of a layer set (a network reduced to its MAC layers). The batch field (n) inside is
 * ignored by the set-level functions, which take the batch as an argument. */
typedef struct sr_hw_layer {
    sr_hw_kind kind;
    union {
        sr_hw_conv conv;
        sr_hw_fc fc;
    } u;
} sr_hw_layer;

/* Validates a conv description (all sizes positive, pad >= 0, kernel fits the padded input) and gives
 * its output size. SR_ERR_INVALID on a bad description; out_h/out_w may be NULL. */
sr_status sr_hw_conv_out(const sr_hw_conv *l, int *out_h, int *out_w);
/* Validates an fc description: SR_OK or SR_ERR_INVALID. */
sr_status sr_hw_fc_check(const sr_hw_fc *l);

/* Multiply-accumulates of the whole layer, batch included (0 for an invalid description). */
int64_t sr_hw_conv_macs(const sr_hw_conv *l);
int64_t sr_hw_fc_macs(const sr_hw_fc *l);

/* Builders (no validation; use the checks above). */
sr_hw_conv sr_hw_conv_make(int n, int c, int h, int w, int m, int k, int stride, int pad);
sr_hw_fc sr_hw_fc_make(int n, int in, int out);
sr_hw_layer sr_hw_layer_conv(int c, int h, int w, int m, int k, int stride, int pad);
sr_hw_layer sr_hw_layer_fc(int in, int out);

#endif
