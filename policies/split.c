/* split.c: layers [0..split_at] on the source device, the activation of split_at (its output bytes at
 * activation_precision) sent to a target instance, the remaining layers there.
 *
 * With an activation codec (ctx->codec, from a codec table): head -> "encode" on the source (elements x
 * encode_s_per_element, scaled to the device as sr_policy_codec says) -> the coded activation
 * (ceil(elements x bits_per_element / 8) bytes) -> "decode" on the target -> tail.
 *
 * The graph need not be a chain, but the cut must be clean: split_at's output must be the only tensor
 * that a node after the cut reads from a node before it (constants excepted: weights live on both sides).
 * When split_at is the last node, the result itself is sent and the target computes nothing. */
#include "sr_policy.h"

#include <stdio.h>

static sr_status split_plan(const sr_policy_ctx *ctx, sr_plan **out, char *err, size_t err_size)
{
    const sr_graph *g = ctx->graph;
    if (ctx->target_group < 0) {
        if (err) snprintf(err, err_size, "split: the policy needs a target device group");
        return SR_ERR_INVALID;
    }
    if (!ctx->spec->split_at) {
        if (err) snprintf(err, err_size, "split: split_at (the last layer run on the source) is missing");
        return SR_ERR_INVALID;
    }
    int cut = sr_graph_find(g, ctx->spec->split_at);
    if (cut < 0) {
        if (err)
            snprintf(err, err_size, "split: model '%s' has no layer '%s'", sr_graph_name(g),
                     ctx->spec->split_at);
        return SR_ERR_NOT_FOUND;
    }
    int n = sr_graph_node_count(g);
    for (int id = cut + 1; id < n; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        for (int k = 0; k < nd->n_inputs; k++) {
            int in = nd->inputs[k];
            if (in < cut && sr_graph_node(g, in)->op != SR_OP_CONST) {
                if (err)
                    snprintf(err, err_size,
                             "split: cutting '%s' after layer '%s' is not clean: layer '%s' also reads '%s' "
                             "from before the cut",
                             sr_graph_name(g), ctx->spec->split_at, nd->name, sr_graph_node(g, in)->name);
                return SR_ERR_INVALID;
            }
        }
    }
    double t_src = 0, t_dst = 0;
    sr_status st = sr_policy_cost_range(ctx, ctx->source_group, 0, cut, &t_src);
    if (st == SR_OK && cut + 1 < n) st = sr_policy_cost_range(ctx, ctx->target_group, cut + 1, n - 1, &t_dst);
    if (st != SR_OK) {
        if (err) snprintf(err, err_size, "split: cannot price the model: %s", sr_status_message(st));
        return st;
    }
    double bytes = (double)sr_node_output_bytes(g, cut, ctx->spec->activation_precision);
    sr_plan_dev src = {SR_ROLE_SOURCE, ctx->source_group, ctx->source_instance};
    sr_plan_dev dst = {SR_ROLE_TARGET, ctx->target_group, sr_policy_target_instance(ctx)};
    if (src.group == dst.group && src.instance == dst.instance) {
        if (err)
            snprintf(err, err_size, "split: the target of '%s' is the source device itself",
                     ctx->exp->devices[ctx->source_group].name);
        return SR_ERR_INVALID;
    }
    st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int a = sr_plan_add_compute(*out, src, t_src, 0, cut, "head");
    if (a < 0) return (sr_status)a;
    const sr_policy_codec *cd = ctx->codec;
    if (cd) {
        double elements = (double)sr_shape_numel(&sr_graph_node(g, cut)->out);
        if (!(cd->bits_per_element >= 0) || !(cd->encode_s_per_element >= 0) || !(cd->decode_s_per_element >= 0)) {
            if (err) snprintf(err, err_size, "split: codec '%s' has negative or unknown costs", cd->pipeline);
            return SR_ERR_INVALID;
        }
        bytes = sr_policy_codec_bytes(elements, cd->bits_per_element);
        int enc = sr_plan_add_compute(
            *out, src, sr_policy_codec_seconds(ctx, ctx->source_group, elements, cd->encode_s_per_element), -1,
            -1, "encode");
        if (enc < 0) return (sr_status)enc;
        st = sr_plan_add_dep(*out, a, enc);
        if (st != SR_OK) return st;
        a = enc;
    }
    int b = sr_plan_add_transfer(*out, src, dst, bytes, "activation");
    if (b < 0) return (sr_status)b;
    st = sr_plan_add_dep(*out, a, b);
    if (st != SR_OK) return st;
    if (cd) {
        double elements = (double)sr_shape_numel(&sr_graph_node(g, cut)->out);
        int dec = sr_plan_add_compute(
            *out, dst, sr_policy_codec_seconds(ctx, ctx->target_group, elements, cd->decode_s_per_element), -1,
            -1, "decode");
        if (dec < 0) return (sr_status)dec;
        st = sr_plan_add_dep(*out, b, dec);
        if (st != SR_OK) return st;
        b = dec;
    }
    if (cut + 1 >= n) return SR_OK;
    int c = sr_plan_add_compute(*out, dst, t_dst, cut + 1, n - 1, "tail");
    if (c < 0) return (sr_status)c;
    return sr_plan_add_dep(*out, b, c);
}

const sr_policy sr_policy_split = {SR_POLICY_SPLIT, "split", split_plan, NULL};
