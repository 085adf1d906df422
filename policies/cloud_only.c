/* cloud_only.c: the frame is sent to a target instance (frame_size bytes, or the raw RGB frame) and the whole
 * model runs there. Target instance: source instance i -> target i % count. */
#include "sr_policy.h"

#include <stddef.h>
#include <stdio.h>

typedef struct cloud_only_params {
    char *target;
    double frame_bytes; /* 0 when not given: the raw input */
} cloud_only_params;

static const sr_field fields[] = {
    {"target", SR_F_STR, .flags = SR_FF_REQUIRED, .doc = "device group that runs the model",
     .offset = offsetof(cloud_only_params, target)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .def_doc = "the raw input: width*height*3 (events: event_size)",
     .doc = "bytes sent per frame (e.g. a JPEG size)", .offset = offsetof(cloud_only_params, frame_bytes)},
};
static const sr_section params = {"policy (type cloud_only)", "policy", 0,
                                  "Send every frame to `target` and run the whole model there.", fields,
                                  (int)(sizeof fields / sizeof fields[0]), sizeof(cloud_only_params)};

static sr_status cloud_only_check(const void *params_, const sr_policy_env *env, sr_policy_diag *d)
{
    const cloud_only_params *p = params_;
    sr_policy_check_target(env, d, "target", p->target);
    return SR_OK;
}

static sr_status cloud_only_plan(void *state, const void *params_, const sr_policy_env *env, const sr_plan_req *req,
                                 sr_plan **out, char *err, size_t err_size)
{
    (void)state;
    const cloud_only_params *p = params_;
    const sr_experiment *e = env->exp;
    int tg = sr_policy_device_index(e, p->target);
    if (tg < 0) {
        if (err) snprintf(err, err_size, "cloud_only: unknown target '%s'", p->target);
        return SR_ERR_INVALID;
    }
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev dst = {SR_ROLE_TARGET, tg, sr_policy_target_instance(e, tg, req->instance)};
    if (src.group == dst.group && src.instance == dst.instance) {
        if (err) snprintf(err, err_size, "cloud_only: the target of '%s' is the source device itself", e->devices[req->group].name);
        return SR_ERR_INVALID;
    }
    double bytes = p->frame_bytes > 0 ? p->frame_bytes : sr_policy_raw_frame_bytes(&e->sources[req->source_spec]);
    int last = sr_graph_node_count(env->graphs[req->model]) - 1;
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int a = sr_plan_add_transfer(*out, src, dst, SR_PAYLOAD_FRAME, bytes, "frame");
    int b = sr_plan_add_layers(*out, dst, req->model, 0, last, "model");
    if (a < 0 || b < 0) return a < 0 ? (sr_status)a : (sr_status)b;
    return sr_plan_add_dep(*out, a, b);
}

const sr_policy_ops sr_policy_cloud_only = {
    .name = "cloud_only",
    .doc = "send the frame (frame_size bytes, default raw RGB) to `target`, run the whole model there",
    .params = &params,
    .check = cloud_only_check,
    .plan = cloud_only_plan,
};
