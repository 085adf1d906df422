/* device_only.c: the whole model runs on the source device; nothing crosses the network. No keys. */
#include "sr_policy.h"

static sr_status device_only_plan(void *state, const void *params, const sr_policy_env *env, const sr_plan_req *req,
                                  sr_plan **out, char *err, size_t err_size)
{
    (void)state, (void)params, (void)err, (void)err_size;
    int last = sr_graph_node_count(env->graphs[req->model]) - 1;
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    int id = sr_plan_add_layers(*out, src, req->model, 0, last, "model");
    return id < 0 ? (sr_status)id : SR_OK;
}

const sr_policy_ops sr_policy_device_only = {
    .name = "device_only",
    .doc = "run the whole model on the source device",
    .plan = device_only_plan,
};
