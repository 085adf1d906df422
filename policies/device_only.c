/* device_only.c: the whole model runs on the source device; nothing crosses the network. */
#include "sr_policy.h"

#include <stdio.h>

static sr_status device_only_plan(const sr_policy_ctx *ctx, sr_plan **out, char *err, size_t err_size)
{
    int last = sr_graph_node_count(ctx->graph) - 1;
    double t = 0;
    sr_status st = sr_policy_cost_range(ctx, ctx->source_group, 0, last, &t);
    if (st != SR_OK) {
        if (err)
            snprintf(err, err_size, "device_only: cannot price the model on '%s': %s",
                     ctx->exp->devices[ctx->source_group].name, sr_status_message(st));
        return st;
    }
    st = sr_plan_create(out);
    if (st != SR_OK) return st;
    sr_plan_dev src = {SR_ROLE_SOURCE, ctx->source_group, ctx->source_instance};
    int id = sr_plan_add_compute(*out, src, t, 0, last, "model");
    return id < 0 ? (sr_status)id : SR_OK;
}

const sr_policy sr_policy_device_only = {SR_POLICY_DEVICE_ONLY, "device_only", device_only_plan, NULL};
