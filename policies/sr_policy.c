/* sr_policy.c: the policy registry and the helpers the policies share (sr_policy.h). */
#include "sr_policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const sr_policy *const registry[] = {
    &sr_policy_cloud_only,
    &sr_policy_device_only,
    &sr_policy_split,
};
_Static_assert(sizeof registry / sizeof registry[0] == SR_POLICY_KIND_COUNT, "one registry entry per kind");

const sr_policy *sr_policy_get(sr_policy_kind kind)
{
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (registry[i]->kind == kind) return registry[i];
    return NULL;
}

const sr_policy *sr_policy_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof registry / sizeof registry[0]; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

sr_status sr_policy_plan(const sr_policy *policy, const sr_policy_ctx *ctx, sr_plan **out, char *err,
                         size_t err_size)
{
    if (!policy || !ctx || !out || !ctx->exp || !ctx->spec || !ctx->graph || !ctx->cost || !ctx->source ||
        ctx->source_group < 0 || ctx->source_group >= ctx->exp->n_devices || ctx->source_instance < 0 ||
        ctx->source_instance >= ctx->exp->devices[ctx->source_group].count) {
        if (err) snprintf(err, err_size, "policy: incomplete planning context");
        return SR_ERR_INVALID;
    }
    sr_plan *p = NULL;
    sr_status st = policy->plan(ctx, &p, err, err_size);
    if (st != SR_OK) {
        sr_plan_free(p);
        return st;
    }
    st = sr_plan_validate(p, err, err_size);
    if (st != SR_OK) {
        sr_plan_free(p);
        return st;
    }
    *out = p;
    return SR_OK;
}

sr_cost_device sr_policy_cost_device(const sr_device_spec *d)
{
    sr_cost_device c;
    c.name = d->name;
    c.speed_flops = d->speed_flops;
    c.cores = d->cores;
    c.efficiency = d->efficiency;
    c.mem_bw_Bps = d->mem_bw_Bps;
    return c;
}

int sr_policy_device_index(const sr_experiment *e, const char *name)
{
    if (!e || !name) return -1;
    for (int i = 0; i < e->n_devices; i++)
        if (e->devices[i].name && strcmp(e->devices[i].name, name) == 0) return i;
    return -1;
}

int sr_policy_target_instance(const sr_policy_ctx *ctx)
{
    int n = ctx->exp->devices[ctx->target_group].count;
    return n > 0 ? ctx->source_instance % n : 0;
}

sr_status sr_policy_cost_range(const sr_policy_ctx *ctx, int group, int first, int last, double *seconds)
{
    if (group < 0 || group >= ctx->exp->n_devices) return SR_ERR_INVALID;
    sr_cost_device dev = sr_policy_cost_device(&ctx->exp->devices[group]);
    const sr_cost_model *m = ctx->group_cost && ctx->group_cost[group] ? ctx->group_cost[group] : ctx->cost;
    return sr_cost_layers(m, &dev, ctx->graph, first, last, ctx->precision, 1, seconds);
}

double sr_policy_codec_seconds(const sr_policy_ctx *ctx, int group, double elements, double s_per_element)
{
    double t = elements * s_per_element;
    const sr_device_spec *d = &ctx->exp->devices[group];
    double eff = d->efficiency > 0 ? d->efficiency : 1.0;
    if (ctx->codec && ctx->codec->host_flops > 0 && d->speed_flops > 0)
        t *= ctx->codec->host_flops / (d->speed_flops * eff);
    return t;
}

double sr_policy_codec_bytes(double elements, double bits_per_element)
{
    return ceil(elements * bits_per_element / 8.0);
}

double sr_policy_raw_frame_bytes(const sr_source_spec *s)
{
    return (double)s->width * (double)s->height * 3.0;
}
