/* sr_price.c: the pricing pass (sr_policy.h): compute tasks describe work (a layer range, a codec on an
 * activation, seconds or flop); these functions turn it into seconds on the task's device. The engine prices
 * every plan at batch 1 when it adopts it and a batch at its size when the batch starts. */
#include <math.h>
#include <stdio.h>

#include "sr_policy.h"
#include "sr_region.h"

#include <stdlib.h>

/* A part (sr_plan_part) of layers first..last: each node priced alone (its full cost from the model) and scaled
 * by the part's share of its work: a tile by the tile's MACs over the node's (conv) or the output area it
 * computes (other nodes), a channel slice by its channels over the first conv/fc node's. */
static sr_status price_part(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g,
                            const sr_plan_task *t, sr_precision prec, int batch, double *seconds, char *err,
                            size_t err_size)
{
    const sr_plan_part *q = &t->part;
    int first = t->first_layer, last = t->last_layer;
    while (first < last && sr_graph_node(g, first)->op == SR_OP_INPUT)
        first++;
    *seconds = 0;
    if (sr_plan_part_is_slice(q)) {
        int c = first;
        while (c <= last && sr_graph_node(g, c)->op != SR_OP_CONV && sr_graph_node(g, c)->op != SR_OP_FC)
            c++;
        const sr_shape *o = c <= last ? &sr_graph_node(g, c)->out : NULL;
        if (!o || o->rank < 2 || q->c1 > o->d[1]) {
            if (err) snprintf(err, err_size, "pricing task '%s': channels [%d,%d) of no conv/fc output", t->label,
                              q->c0, q->c1);
            return SR_ERR_INVALID;
        }
        double full = 0;
        sr_status st = sr_cost_layers(m, dev, g, first, last, prec, batch, &full);
        *seconds = full * (double)(q->c1 - q->c0) / (double)o->d[1];
        return st;
    }
    sr_region *r = NULL;
    sr_status st = sr_region_create(g, first, last, &r, err, err_size);
    if (st != SR_OK) return st;
    int n = sr_region_node_count(r);
    sr_tile_layer *tl = calloc((size_t)n, sizeof *tl), *fl = calloc((size_t)n, sizeof *fl);
    const sr_shape *o = &sr_graph_node(g, last)->out;
    sr_rect whole = {0, (int)o->d[2], 0, (int)o->d[3]}, in;
    sr_rect tile = {q->y0, q->y1, q->x0, q->x1};
    if (!tl || !fl) st = SR_ERR_NOMEM;
    if (st == SR_OK) st = sr_region_backproject(r, whole, fl, &in);
    if (st == SR_OK) st = sr_region_backproject(r, tile, tl, &in);
    for (int k = 0; k < n && st == SR_OK; k++) {
        double full = 0, frac;
        st = sr_cost_layers(m, dev, g, first + k, first + k, prec, batch, &full);
        if (fl[k].macs > 0)
            frac = (double)tl[k].macs / (double)fl[k].macs;
        else {
            double a = (double)(fl[k].out.y1 - fl[k].out.y0) * (fl[k].out.x1 - fl[k].out.x0);
            double b = tl[k].out.y1 > tl[k].out.y0 && tl[k].out.x1 > tl[k].out.x0
                           ? (double)(tl[k].out.y1 - tl[k].out.y0) * (tl[k].out.x1 - tl[k].out.x0)
                           : 0.0;
            frac = a > 0 ? b / a : 0.0;
        }
        *seconds += full * frac;
    }
    free(tl);
    free(fl);
    sr_region_free(r);
    return st;
}

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
        dev.engine = t->executor > 0 ? t->executor : 0; /* a dedicated engine, for models that price engines */
        if (sr_plan_part_is_tile(&t->part) || sr_plan_part_is_slice(&t->part))
            return price_part(m, &dev, g, t, e->models[t->model].precision, batch, seconds, err, err_size);
        sr_status st =
            sr_cost_layers(m, &dev, g, t->first_layer, t->last_layer, e->models[t->model].precision, batch, seconds);
        if (st == SR_OK && d->runtime_factor > 0) *seconds *= d->runtime_factor; /* rune container, if any */
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
