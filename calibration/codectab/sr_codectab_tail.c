/* sr_codectab_tail.c: "the rest of the network" after a split layer, as a graph of its own.
 *
 * The codec table runs the tail twice per frame and codec: it is how the decoded activation reaches the
 * final output. Copying the nodes into a new graph (instead of re-implementing node execution) lets the
 * ordinary executor (sr_exec) run it with the same kernels, so a lossless codec reproduces the full run's
 * output bit for bit. The cut rule is the split policy's: the split output is the only non-constant
 * tensor that a node after the cut may read from before it (ResNet's residual adds are fine when the split
 * is a block output, refused when it is inside a block). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_codectab.h"

static sr_status copy_params(const sr_weights *w, int old_id, sr_weights *tw, int new_id, const char *name,
                             char *err, size_t err_size)
{
    for (int r = 0; r < SR_PARAM_ROLE_COUNT; r++) {
        int64_t n_src = 0, n_dst = 0;
        const float *src = sr_weights_get_const(w, old_id, (sr_param_role)r, &n_src);
        float *dst = sr_weights_get(tw, new_id, (sr_param_role)r, &n_dst);
        if (!src && !dst) continue;
        if (!src || !dst || n_src != n_dst) {
            sr_errf(err, err_size, "layer '%s': its parameters do not match its copy in the tail graph",
                    name);
            return SR_ERR_SHAPE;
        }
        if (n_src > 0) memcpy(dst, src, sizeof(float) * (size_t)n_src);
    }
    return SR_OK;
}

sr_status sr_codectab_tail_create(const sr_graph *g, const sr_weights *w, int split, sr_graph **tail_g,
                                  sr_weights **tail_w, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!g || !w || !tail_g || !tail_w) return SR_ERR_INVALID;
    *tail_g = NULL;
    *tail_w = NULL;
    const int n = sr_graph_node_count(g);
    if (split < 0 || split >= n) {
        sr_errf(err, err_size, "split layer id out of range in model '%s'", sr_graph_name(g));
        return SR_ERR_RANGE;
    }
    const sr_node *sn = sr_graph_node(g, split);
    if (split == n - 1) {
        sr_errf(err, err_size, "layer '%s' is the last layer of '%s': nothing runs after it", sn->name,
                sr_graph_name(g));
        return SR_ERR_INVALID;
    }
    if (sn->op == SR_OP_CONST) {
        sr_errf(err, err_size, "layer '%s' of '%s' is a constant, not an activation", sn->name,
                sr_graph_name(g));
        return SR_ERR_INVALID;
    }
    /* The cut must be clean before anything is built. */
    for (int id = split + 1; id < n; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        if (nd->op == SR_OP_INPUT) {
            sr_errf(err, err_size, "model '%s' has a second input '%s' after layer '%s'", sr_graph_name(g),
                    nd->name, sn->name);
            return SR_ERR_INVALID;
        }
        for (int k = 0; k < nd->n_inputs; k++) {
            int in = nd->inputs[k];
            if (in < split && sr_graph_node(g, in)->op != SR_OP_CONST) {
                if (err && err_size)
                    snprintf(err, err_size,
                             "splitting '%s' after layer '%s' is not clean: layer '%s' also reads '%s' from "
                             "before "
                             "the cut (only the split layer's output may cross it; pick a block output)",
                             sr_graph_name(g), sn->name, nd->name, sr_graph_node(g, in)->name);
                return SR_ERR_INVALID;
            }
        }
    }

    sr_status st = SR_ERR_NOMEM;
    int *map = malloc(sizeof(int) * (size_t)n); /* old id -> new id, -1 when not copied */
    sr_graph *tg = NULL;
    sr_weights *tw = NULL;
    if (!map) goto fail;
    for (int i = 0; i < n; i++)
        map[i] = -1;
    char name[SR_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s.tail", sr_graph_name(g));
    if ((st = sr_graph_create(name, &tg)) != SR_OK) goto fail;
    int id_in = sr_graph_add_input(tg, sn->name, sn->out);
    if (id_in < 0) {
        st = (sr_status)id_in;
        goto fail;
    }
    map[split] = id_in;
    for (int id = split + 1; id < n; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        int ins[SR_MAX_INPUTS];
        for (int k = 0; k < nd->n_inputs; k++) {
            int in = nd->inputs[k];
            if (map[in] < 0) { /* a constant from before the cut */
                const sr_node *cn = sr_graph_node(g, in);
                int cid = sr_graph_add_const(tg, cn->name, cn->out);
                if (cid < 0) {
                    st = (sr_status)cid;
                    goto fail;
                }
                map[in] = cid;
            }
            ins[k] = map[in];
        }
        int nid = nd->op == SR_OP_CONST ? sr_graph_add_const(tg, nd->name, nd->out)
                                        : sr_graph_add(tg, nd->op, nd->name, ins, nd->n_inputs, &nd->attr);
        if (nid < 0) {
            st = (sr_status)nid;
            sr_errf(err, err_size, "cannot copy layer '%s' into the tail graph: %s", nd->name,
                    sr_status_message(st));
            goto fail;
        }
        map[id] = nid;
    }
    if ((st = sr_graph_infer(tg, err, err_size)) != SR_OK) goto fail;
    for (int id = split + 1; id < n; id++) {
        const sr_shape *a = &sr_graph_node(g, id)->out, *b = &sr_graph_node(tg, map[id])->out;
        if (a->rank != b->rank || memcmp(a->d, b->d, sizeof(a->d[0]) * (size_t)a->rank) != 0) {
            sr_errf(err, err_size, "layer '%s' infers another shape in the tail graph",
                    sr_graph_node(g, id)->name);
            st = SR_ERR_SHAPE;
            goto fail;
        }
    }
    if ((st = sr_weights_create(tg, &tw)) != SR_OK) goto fail;
    for (int id = 0; id < n; id++)
        if (map[id] >= 0 && id != split &&
            (st = copy_params(w, id, tw, map[id], sr_graph_node(g, id)->name, err, err_size)) != SR_OK)
            goto fail;
    free(map);
    *tail_g = tg;
    *tail_w = tw;
    return SR_OK;
fail:
    free(map);
    sr_weights_free(tw);
    sr_graph_free(tg);
    return st;
}
