/* sr_model_source.h: one entry point for "a model named in an experiment": a zoo name, an ONNX file or a
 * darknet .cfg file. The config validator, the engine and the CLI all load models through it, so that a
 * model behaves the same wherever it is named. */
#ifndef SR_MODEL_SOURCE_H
#define SR_MODEL_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_graph.h"
#include "sr_weights.h"

typedef enum { SR_MODEL_ZOO, SR_MODEL_ONNX, SR_MODEL_DARKNET } sr_model_kind;

/* Kind of a source string: paths ending in .onnx / .cfg are files, anything else a zoo name. */
sr_model_kind sr_model_source_kind(const char *source);

/* Loads `source` into a new inferred graph (*g, caller frees). c/h/w: input size for zoo models (0 =
 * the model's default); files fix their own input, and a non-zero c/h/w that differs from it is an
 * error. With w_out not NULL, also returns weights: imported ones where the file has them (ONNX
 * initializers), seeded He-style otherwise (zoo, darknet without .weights). Errors go to err with the
 * source named: SR_ERR_NOT_FOUND (unknown zoo name, missing file), SR_ERR_PARSE / SR_ERR_UNSUPPORTED
 * (bad file), SR_ERR_SHAPE (input too small for the model). */
sr_status sr_model_load(const char *source, int c, int h, int w, uint64_t seed, sr_graph **g, sr_weights **w_out,
                        char *err, size_t err_size);

#endif
