/* sr_darknet.h: imports a darknet .cfg network (and optionally its .weights file) into an sr_graph.
 *
 * Supported sections: [net]/[network] (width, height, channels), [convolutional] (filters, size, stride,
 * pad/padding, groups, dilation, batch_normalize, activation leaky/linear/relu/logistic), [maxpool]
 * (size, stride, padding; darknet pads size-1 split as padding/2 top/left and the rest bottom/right),
 * [avgpool] (global), [connected] (output, activation), [dropout], [softmax], [route] (layers, relative
 * negative or absolute indices; several layers are concatenated on channels), [reorg] (stride),
 * [shortcut] (from, activation linear) and [region] (output marker; checked against its input channels).
 * Training-only keys are ignored; unknown sections and unknown keys are errors.
 *
 * Layer k of the cfg (k = 0 for the first section after [net]) is built as nodes named "L<k>_<op>"
 * (e.g. "L3_conv", "L3_bn", "L3_leaky"); the graph output is the last layer's output. */
#ifndef SR_DARKNET_H
#define SR_DARKNET_H

#include <stddef.h>
#include <stdint.h>

#include "sr_graph.h"
#include "sr_weights.h"

/* At most this many parameters (floats, batch norm's running statistics included: 4 GiB of fp32) in one
 * model; a cfg that asks for more is refused at the layer that crosses it, before anything is allocated. */
#define SR_DARKNET_MAX_PARAMS ((int64_t)1 << 30)
/* Largest .cfg read (darknet's own yolov4.cfg is 12 KiB); a .weights file is at most its header and the cfg's
 * parameters, refused from its size before it is read. */
#define SR_DARKNET_MAX_CFG_BYTES ((uint64_t)16 << 20)

/* Loads cfg_path into a new inferred graph *g and weights *w (both caller frees: sr_weights_free(*w)
 * before sr_graph_free(*g), the weights borrow the graph). w NULL (only without weights_path): the graph
 * alone, no weights allocated or drawn.
 * weights_path NULL: He initialisation from seed (sr_weights_init_he). Otherwise a darknet binary
 * .weights file: header int32 major, minor, revision, then "seen" (uint64 when major*10+minor >= 2,
 * else int32); then for each [convolutional] in order: biases[filters], if batch_normalize scales,
 * rolling means and rolling variances [filters] each, then weights [filters][c/groups][size][size];
 * for each [connected]: biases[output], weights[output][inputs]. All little-endian float32. The file
 * must hold exactly that many values; it is checked whole before the weights are allocated.
 * Errors: SR_ERR_IO (cannot open), SR_ERR_INVALID (not a regular file), SR_ERR_PARSE (malformed cfg: "file:line: what was expected"),
 * SR_ERR_UNSUPPORTED (section/option simrun does not model, over SR_DARKNET_MAX_PARAMS parameters, or a cfg
 * over SR_DARKNET_MAX_CFG_BYTES),
 * SR_ERR_SHAPE (layer shapes do not fit), SR_ERR_CORRUPT (weights file too short/long), SR_ERR_NOMEM; the
 * message goes to err (may be NULL). On error *g and *w are left NULL. */
sr_status sr_darknet_load(const char *cfg_path, const char *weights_path, uint64_t seed, sr_graph **g,
                          sr_weights **w, char *err, size_t err_size);

#endif
