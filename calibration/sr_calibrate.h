/* sr_calibrate.h: the measurement harness behind `simrun calibrate`.
 *
 * It times every layer class (sr_layer_class.h) over a grid of single-layer graphs and over the real
 * layers of zoo models (sr_exec, single-threaded BLAS as the executor uses; warm-up, repeats, medians),
 * fits each class with sr_fit (linear or log-linear, chosen by 5-fold cross-validated error), and checks
 * the fit on the layers of models LEFT OUT of the fit. It also measures the peak sgemm rate, memcpy
 * bandwidth, activation codec costs (sr_codec.h), raw vs protobuf-c tensor serialization, and the Rune
 * data-layer overhead on the zoo's sine MLP. The result is a profile (sr_profile_file.h writes it). */
#ifndef SR_CALIBRATE_H
#define SR_CALIBRATE_H

#include <stdint.h>
#include <stdio.h>

#include "sr_graph.h"
#include "sr_layer_class.h"
#include "sr_profile.h"

typedef enum {
    SR_CALIB_TINY,  /* a few small shapes per class, no zoo models (unit tests; a second or two) */
    SR_CALIB_QUICK, /* smaller grid, alexnet as the zoo training model (--quick, <= 30 s) */
    SR_CALIB_FULL   /* full grid, vgg16/alexnet/resnet50 training layers (a few minutes) */
} sr_calib_level;

typedef struct sr_calib_options {
    sr_calib_level level;
    uint64_t seed;       /* weights, inputs and codec test tensors */
    const char *name;    /* profile name; NULL: "host" */
    FILE *log;           /* progress and result tables; NULL: silent */
} sr_calib_options;

/* One single-layer graph of the grid: input c x h x w (batch 1), then op. */
typedef struct sr_calib_layer {
    sr_op op;
    int c, h, w;
    int out_c;             /* conv: output channels; fc: output features */
    int k, stride, pad;    /* conv, pools */
    int groups;            /* conv (c for depthwise) */
} sr_calib_layer;

/* Builds the inferred graph of l; *node gets the id of the measured node. Caller frees *g. */
sr_status sr_calib_layer_graph(const sr_calib_layer *l, sr_graph **g, int *node);

/* One timed layer. Grid points have model[0] == '\0' and a valid `layer`; zoo layers name the model and
 * the node id. */
typedef struct sr_calib_sample {
    sr_calib_layer layer;
    char model[32];
    int node;
    sr_layer_class cls;
    double x[SR_FIT_MAX_COEF]; /* features (sr_layer_features) */
    double measured_s;         /* median over the repeats */
    double pred_s;             /* held-out samples: the fitted model's prediction (0 otherwise) */
    int train;                 /* 1: used by the fit; 0: held out (models left out of the fit) */
} sr_calib_sample;

typedef struct sr_calib_result {
    sr_profile *profile; /* owned; carries the fit; free with sr_calib_result_free */
    int n_samples;
    sr_calib_sample *samples; /* owned */
    double elapsed_s;
} sr_calib_result;

/* Runs the calibration. SR_ERR_INVALID on bad options; other errors with a message in err (may be
 * NULL). Caller frees *out with sr_calib_result_free. */
sr_status sr_calibrate_run(const sr_calib_options *o, sr_calib_result **out, char *err, size_t err_size);
void sr_calib_result_free(sr_calib_result *r); /* NULL is a no-op */

/* Re-measures only the Rune section of profile `in` (sr_profile_rune.h: a wasm2c rune on this host, at o's
 * level) and returns a copy carrying it, every other number unchanged. SR_ERR_UNSUPPORTED when this build has
 * no WebAssembly rune. Caller frees *out with sr_profile_file_free. */
sr_status sr_calib_rune_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                               size_t err_size);

/* Measures the co-running interference on this host (sr_corun.h: reps inferences per condition, 40 at the full
 * level, 20 quick, 4 tiny) and returns a copy of `in` carrying it in its fit (corun_*), every other number
 * unchanged. Caller frees *out with sr_profile_file_free. */
sr_status sr_calib_corun_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                                size_t err_size);
/* The same for compute after idle (sr_idle.h): `in` with its idle section measured again on this host. */
sr_status sr_calib_idle_update(const sr_calib_options *o, const sr_profile *in, sr_profile **out, char *err,
                               size_t err_size);

#endif
