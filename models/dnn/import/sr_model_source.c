/* sr_model_source.c: zoo / ONNX / darknet dispatch behind sr_model_load(). */
#include "sr_model_source.h"
#include "sr_file.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sr_darknet.h"
#include "sr_onnx.h"
#include "sr_zoo.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

sr_model_kind sr_model_source_kind(const char *source)
{
    if (ends_with(source, ".onnx")) return SR_MODEL_ONNX;
    if (ends_with(source, ".cfg")) return SR_MODEL_DARKNET;
    return SR_MODEL_ZOO;
}

/* A file's input must agree with an explicitly requested one. */
static sr_status check_input(const char *source, const sr_graph *g, int c, int h, int w, char *err, size_t n)
{
    if (c == 0 && h == 0 && w == 0) return SR_OK;
    const sr_node *in = sr_graph_node(g, 0);
    if (!in || in->op != SR_OP_INPUT || in->out.rank != 4 || in->out.d[1] != c || in->out.d[2] != h ||
        in->out.d[3] != w) {
        char shape[64] = "?";
        if (in) sr_shape_format(&in->out, shape, sizeof shape);
        snprintf(err, n, "%s: the file fixes its input to %s; it cannot run at %dx%dx%d", source, shape, c, h, w);
        return SR_ERR_SHAPE;
    }
    return SR_OK;
}

sr_status sr_model_load(const char *source, int c, int h, int w, uint64_t seed, sr_graph **g, sr_weights **w_out,
                        char *err, size_t err_size)
{
    *g = NULL;
    if (w_out) *w_out = NULL;
    sr_weights *wts = NULL;
    sr_status st;
    switch (sr_model_source_kind(source)) {
    case SR_MODEL_ZOO:
        st = sr_zoo_build_err(source, c, h, w, g, err, err_size);
        if (st == SR_OK && w_out) {
            st = sr_weights_create(*g, &wts);
            if (st == SR_OK) sr_weights_init_he(wts, seed);
        }
        break;
    case SR_MODEL_ONNX:
        if (access(source, R_OK) != 0) {
            snprintf(err, err_size, "%s: no such model file", source);
            return SR_ERR_NOT_FOUND;
        }
        if (!sr_file_is_regular(source)) {
            snprintf(err, err_size, "%s: not a regular file (a device, FIFO or directory is not a model)", source);
            return SR_ERR_INVALID;
        }
        st = sr_onnx_load(source, g, &wts, err, err_size);
        if (st == SR_OK) st = check_input(source, *g, c, h, w, err, err_size);
        break;
    case SR_MODEL_DARKNET:
        if (access(source, R_OK) != 0) {
            snprintf(err, err_size, "%s: no such model file", source);
            return SR_ERR_NOT_FOUND;
        }
        if (!sr_file_is_regular(source)) {
            snprintf(err, err_size, "%s: not a regular file (a device, FIFO or directory is not a model)", source);
            return SR_ERR_INVALID;
        }
        st = sr_darknet_load(source, NULL, seed, g, w_out ? &wts : NULL, err, err_size);
        if (st == SR_OK) st = check_input(source, *g, c, h, w, err, err_size);
        break;
    default:
        st = SR_ERR_INVALID;
    }
    if (st != SR_OK) {
        sr_weights_free(wts);
        sr_graph_free(*g);
        *g = NULL;
        return st;
    }
    if (w_out)
        *w_out = wts;
    else
        sr_weights_free(wts);
    return SR_OK;
}
