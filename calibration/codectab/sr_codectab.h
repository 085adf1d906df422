/* sr_codectab.h: codec tables for the cost model (`simrun codec-table`, docs/codec-table.md).
 *
 * A codec table says, for one model, split layer and activation codec pipeline, what sending the split
 * activation costs and what it does to the result: bits per element, size against the raw fp32 tensor and
 * against the JPEG / H.264 frame of the same video, encode and decode seconds per element, activation SNR
 * and max abs error, and the drift of the model's final output (relative L2, top-1 agreement) against the
 * uncompressed path. Everything is measured by running the real kernels and codecs on frames of the
 * synthetic video (workloads/video.h), so the numbers are reproducible from the seed (timings aside).
 *
 * The rows live in an SQLite table codec_table (a new file, or a simrun results DB, whose other tables are
 * never touched); the split policy reads them back with sr_codectab_lookup() in model mode. */
#ifndef SR_CODECTAB_H
#define SR_CODECTAB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sr_graph.h"
#include "sr_status.h"
#include "sr_weights.h"

#define SR_CODECTAB_TEXT_MAX 512 /* longest model source / pipeline string stored in a row (with the NUL) */

/* What to measure. Strings and arrays are borrowed for the duration of the call. */
typedef struct sr_codectab_params {
    const char *model;         /* zoo name, .onnx or darknet .cfg (sr_model_load) */
    int in_c, in_h, in_w;      /* model input (0: the model's default) */
    const char *const *splits; /* layer names: the activation after each is coded */
    int n_splits;
    const char *const *pipelines; /* codec pipelines (sr_codec.h grammar) */
    int n_pipelines;
    int frames;        /* video frames, >= 1 */
    int width, height; /* video resolution (0: the model input's W x H) */
    double fps;        /* video and H.264 frame rate, > 0 */
    int jpeg_quality;  /* 1..100 */
    double h264_crf;   /* x264 constant rate factor, 0..51 */
    uint64_t seed;     /* video and (zoo) weights */
} sr_codectab_params;

/* Defaults: 5 frames, model resolution, 30 fps, JPEG quality 90, CRF 23, seed 1; no model/splits/pipelines.
 */
sr_codectab_params sr_codectab_default_params(void);

/* One measured (model, split layer, pipeline). Ratios are mean compressed activation bytes divided by the
 * mean bytes of the reference (raw fp32 activation, JPEG frame, H.264 frame), so < 1 means the coded
 * activation is the smaller one. Times are medians over frames; snr_db pools the signal and error energy of
 * all frames (INFINITY when lossless); max_abs_err is the maximum over frames; output_rel_l2 is the mean over
 * frames of ||y - y_ref|| / ||y_ref|| of the final output; top1_agreement the fraction of frames whose
 * final-output argmax is unchanged. */
typedef struct sr_codectab_row {
    int64_t id;           /* row id in the DB (0 before storing) */
    char created_utc[32]; /* "YYYY-MM-DDTHH:MM:SSZ" (set when stored) */
    char model[SR_CODECTAB_TEXT_MAX];
    char input[48]; /* model input "CxHxW" */
    char split_layer[SR_NAME_MAX];
    char pipeline[SR_CODECTAB_TEXT_MAX]; /* canonical name (sr_codec_name) */
    int frames;
    char resolution[32]; /* video "WxH" */
    int64_t elements;    /* floats in the split activation */
    double bits_per_element;
    double ratio_raw_fp32, ratio_jpeg, ratio_h264;
    double encode_s_per_element, decode_s_per_element;
    double snr_db, max_abs_err;
    double output_rel_l2, top1_agreement;
    char simrun_version[32]; /* set when stored */
    uint64_t seed;
} sr_codectab_row;

/* Builds the part of inferred graph g after node `split` as a graph of its own: one input node (named like
 * the split layer, shaped like its output) followed by copies of nodes split+1 .. last, with the constants
 * they read; weights are copied from w. Running it on the split activation gives the model's output.
 * SR_ERR_INVALID with a message when the cut is not clean (a node after the split reads a non-constant
 * tensor from before it: only the split output may cross, as in the split policy) or when split is the last
 * node (nothing runs after it). Caller frees *tail_g (sr_graph_free) and *tail_w (sr_weights_free). */
sr_status sr_codectab_tail_create(const sr_graph *g, const sr_weights *w, int split, sr_graph **tail_g,
                                  sr_weights **tail_w, char *err, size_t err_size);

/* Runs the measurement: *rows gets n_splits * n_pipelines rows (split-major), malloc'ed, caller frees with
 * free(); id, created_utc and simrun_version are left empty. Bad parameters (unknown model or layer, a split
 * whose cut is not clean, a pipeline that does not parse for that layer's shape, numbers out of range) give
 * SR_ERR_INVALID / SR_ERR_NOT_FOUND / SR_ERR_PARSE ... with a message in err, before any frame is computed.
 * progress (may be NULL) gets one line per frame. */
sr_status sr_codectab_measure(const sr_codectab_params *p, sr_codectab_row **rows, int *n_rows,
                              FILE *progress, char *err, size_t err_size);

/* Checks, without creating or changing anything, that db_path can take the table: an existing file must be
 * an SQLite database that this process can write, whose codec_table (if any) has the expected columns; a
 * missing file must be creatable (its folder writable). SR_ERR_DB / SR_ERR_IO with a message otherwise. */
sr_status sr_codectab_db_check(const char *db_path, char *err, size_t err_size);

/* Appends rows (creating the file and the table when absent) in one transaction: all rows or none. Sets each
 * row's id, created_utc (now, UTC) and simrun_version. A new file that could not be filled is removed. */
sr_status sr_codectab_store(const char *db_path, sr_codectab_row *rows, int n_rows,
                            const char *simrun_version, char *err, size_t err_size);

/* Most recent row (largest id) for model, split layer and pipeline (given as stored, or any spelling that
 * sr_codec_create canonicalises to the stored name). SR_ERR_NOT_FOUND with a message saying what the table
 * has for that model (and the command that would measure the row) when there is none, also when the file
 * or its codec_table does not exist; SR_ERR_DB for a file that is not an SQLite database or a table with
 * other columns. The DB is opened read-only. */
sr_status sr_codectab_lookup(const char *db_path, const char *model, const char *split_layer,
                             const char *pipeline, sr_codectab_row *out, char *err, size_t err_size);

/* Prints rows as an aligned text table (one line per row) to f. */
/* The cloud-only baselines of the synthetic video alone: mean JPEG and mean H.264 bytes per frame over
 * `frames` frames of width x height at fps (seed: the video's), coded with the same settings as
 * sr_codectab_measure (so they are the denominators of its ratio_jpeg and ratio_h264). SR_ERR_INVALID with
 * the reason in err for out-of-range arguments; outputs untouched on an error. */
sr_status sr_codectab_frame_sizes(int width, int height, double fps, int frames, int jpeg_quality, double h264_crf,
                                  uint64_t seed, double *jpeg_bytes, double *h264_bytes, char *err,
                                  size_t err_size);

/* The H.264 encoder both sr_codectab_measure and sr_codectab_frame_sizes code the video with (width x height
 * even, frame rate fps_num / fps_den, CRF crf, GOP 250, x264 "medium" / "zerolatency"): one place, so the baselines
 * and a table's ratio_h264 share their denominator. The caller frees *out with sr_h264_free. */
struct sr_h264;
sr_status sr_codectab_h264_open(int width, int height, int fps_num, int fps_den, double crf, struct sr_h264 **out,
                                char *err, size_t err_size);

void sr_codectab_print(const sr_codectab_row *rows, int n_rows, FILE *f);

/* The whole `simrun codec-table` command: argv[0] = "codec-table". Parses the options, measures, stores, and
 * prints the table to out; messages go to errf. Returns 0 on success, 1 when the work itself failed, 2 on bad
 * input or usage (nothing written then). */
int sr_codectab_main(int argc, char **argv, const char *simrun_version, FILE *out, FILE *errf);

/* Codec geometry of a batch-1 activation, as codec tables, the split policy and exact mode all code it:
 * N x C x H x W -> C, H, W (trailing dims folded into W); N x C x L -> C, 1, L; N x F -> 1, 1, F.
 * Returns -1 when the tensor is not batch 1 or too large, 0 otherwise. */
int sr_codectab_act_geometry(const sr_shape *s, int *c, int *h, int *w);

#endif
