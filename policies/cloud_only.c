/* cloud_only.c: the frame is sent to a target instance (frame_bytes, or the raw RGB frame when 0) and the
 * whole model runs there. Target instance: source instance i -> target i % count. */
#include "sr_policy.h"

#include <stdio.h>

static sr_status cloud_only_plan(const sr_policy_ctx *ctx, sr_plan **out, char *err, size_t err_size)
{
    if (ctx->target_group < 0) {
        if (err) snprintf(err, err_size, "cloud_only: the policy needs a target device group");
        return SR_ERR_INVALID;
    }
    int last = sr_graph_node_count(ctx->graph) - 1;
    double t = 0;
    sr_status st = sr_policy_cost_range(ctx, ctx->target_group, 0, last, &t);
    if (st != SR_OK) {
        if (err)
            snprintf(err, err_size, "cloud_only: cannot price the model on '%s': %s",
                     ctx->exp->devices[ctx->target_group].name, sr_status_message(st));
        return st;
    }
    double bytes =
        ctx->spec->frame_bytes > 0 ? ctx->spec->frame_bytes : sr_policy_raw_frame_bytes(ctx->source);
    sr_plan_dev src = {SR_ROLE_SOURCE, ctx->source_group, ctx->source_instance};
    sr_plan_dev dst = {SR_ROLE_TARGET, ctx->target_group, sr_policy_target_instance(ctx)};
    if (src.group == dst.group && src.instance == dst.instance) {
        if (err)
            snprintf(err, err_size, "cloud_only: the target of '%s' is the source device itself",
                     ctx->exp->devices[ctx->source_group].name);
        return SR_ERR_INVALID;
    }
    st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int a = sr_plan_add_transfer(*out, src, dst, bytes, "frame");
    int b = sr_plan_add_compute(*out, dst, t, 0, last, "model");
    if (a < 0 || b < 0) return a < 0 ? (sr_status)a : (sr_status)b;
    return sr_plan_add_dep(*out, a, b);
}

const sr_policy sr_policy_cloud_only = {SR_POLICY_CLOUD_ONLY, "cloud_only", cloud_only_plan, NULL};
