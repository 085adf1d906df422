/* sr_price.c: the pricing pass (sr_policy.h): compute tasks describe work (a layer range, a codec on an
 * activation, seconds or flop); these functions turn it into seconds on the task's device. The engine prices
 * every plan at batch 1 when it adopts it and a batch at its size when the batch starts. */
#include <math.h>
#include <stdio.h>

#include "sr_policy.h"

static const sr_cost_model *group_model(const sr_policy_env *env, int group)
{
    return env->group_cost && env->group_cost[group] ? env->group_cost[group] : env->default_cost;
}

/* Codec work on a device: elements x s_per_element, scaled from the measuring host's single core to this
 * device's (speed x efficiency) when the host speed is known. */
static double codec_seconds(const sr_device_spec *d, const sr_plan_codec *c, double elements, double s_per_element)
{
    double t = elements * s_per_element;
    double eff = d->efficiency > 0 ? d->efficiency : 1.0;
    if (c->host_flops > 0 && d->speed_flops > 0) t *= c->host_flops / (d->speed_flops * eff);
    return t;
}

/* The device's CPU quota (`cpu`): compute times are multiplied by cores / cpu; 1 without a quota. */
double sr_price_quota_factor(const sr_device_spec *d)
{
    return d->cpu_cores > 0 && d->cores >= 1 ? (double)d->cores / d->cpu_cores : 1.0;
}

static sr_status price_compute(const sr_policy_env *env, const sr_plan_task *t, int batch, double *seconds,
                               char *err, size_t err_size);

sr_status sr_price_task(const sr_policy_env *env, const sr_plan_task *t, int batch, double *seconds, char *err,
                        size_t err_size)
{
    sr_status st = price_compute(env, t, batch, seconds, err, err_size);
    if (st != SR_OK || t->kind != SR_TASK_COMPUTE) return st;
    const sr_device_spec *d = &env->exp->devices[t->dev.group];
    if (t->work != SR_WORK_SECONDS) *seconds *= sr_price_quota_factor(d);
    *seconds += d->container_overhead_s;
    return SR_OK;
}

static sr_status price_compute(const sr_policy_env *env, const sr_plan_task *t, int batch, double *seconds,
                               char *err, size_t err_size)
{
    const sr_experiment *e = env->exp;
    *seconds = 0;
    if (batch < 1 || t->dev.group < 0 || t->dev.group >= e->n_devices) {
        if (err) snprintf(err, err_size, "pricing task '%s': bad device or batch", t->label);
        return SR_ERR_INVALID;
    }
    const sr_device_spec *d = &e->devices[t->dev.group];
    switch (t->kind) {
    case SR_TASK_TRANSFER:
        return SR_OK;
    case SR_TASK_DELAY:
        *seconds = t->seconds;
        return SR_OK;
    case SR_TASK_COMPUTE:
        break;
    case SR_TASK_KIND_COUNT:
        return SR_ERR_INVALID;
    }
    const sr_graph *g = t->model >= 0 && t->model < e->n_models && env->graphs ? env->graphs[t->model] : NULL;
    switch (t->work) {
    case SR_WORK_LAYERS: {
        const sr_cost_model *m = group_model(env, t->dev.group);
        if (!g || !m) {
            if (err) snprintf(err, err_size, "pricing task '%s': no graph or cost model", t->label);
            return SR_ERR_INVALID;
        }
        sr_cost_device dev = sr_policy_cost_device(d);
        sr_status st =
            sr_cost_layers(m, &dev, g, t->first_layer, t->last_layer, e->models[t->model].precision, batch, seconds);
        if (st != SR_OK && err)
            snprintf(err, err_size, "cannot price layers %d..%d of model '%s' on '%s': %s", t->first_layer,
                     t->last_layer, e->models[t->model].name, d->name, sr_status_message(st));
        return st;
    }
    case SR_WORK_ENCODE:
    case SR_WORK_DECODE: {
        if (!g || !t->codec || t->node < 0 || t->node >= sr_graph_node_count(g)) {
            if (err) snprintf(err, err_size, "pricing task '%s': no codec or activation", t->label);
            return SR_ERR_INVALID;
        }
        double elements = (double)sr_shape_numel(&sr_graph_node(g, t->node)->out);
        double per = t->work == SR_WORK_ENCODE ? t->codec->encode_s_per_element : t->codec->decode_s_per_element;
        *seconds = (double)batch * codec_seconds(d, t->codec, elements, per);
        return SR_OK;
    }
    case SR_WORK_SECONDS:
        *seconds = (double)batch * t->amount;
        return SR_OK;
    case SR_WORK_FLOPS: {
        double speed = d->speed_flops * (double)(d->cores > 0 ? d->cores : 1);
        *seconds = speed > 0 ? (double)batch * t->amount / speed : 0.0;
        return SR_OK;
    }
    case SR_WORK_KIND_COUNT:
        break;
    }
    return SR_ERR_INVALID;
}

sr_status sr_price_plan(const sr_policy_env *env, sr_plan *p, char *err, size_t err_size)
{
    for (int i = 0; i < sr_plan_task_count(p); i++) {
        sr_plan_task *t = sr_plan_task_mut(p, i);
        if (t->kind != SR_TASK_COMPUTE) continue;
        double s = 0;
        sr_status st = sr_price_task(env, t, 1, &s, err, err_size);
        if (st != SR_OK) return st;
        if (!isfinite(s) || s < 0) {
            if (err) snprintf(err, err_size, "pricing task '%s' gave %g s", t->label, s);
            return SR_ERR_INVALID;
        }
        t->seconds = s;
    }
    return SR_OK;
}
