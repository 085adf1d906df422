/* sr_policy.c: the policy registry, planning with validation, and the helpers the policies share. */
#include "sr_policy.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SR_POLICY(id) extern const sr_policy_ops sr_policy_##id;
#include "sr_policy_list.h"
#undef SR_POLICY

static const sr_policy_ops *const builtin[] = {
#define SR_POLICY(id) &sr_policy_##id,
#include "sr_policy_list.h"
#undef SR_POLICY
};
#define N_BUILTIN (int)(sizeof builtin / sizeof builtin[0])
#define MAX_EXTRA 16
/* Policies registered at run time (tests, plugins); the only mutable registry state. */
static const sr_policy_ops *extra[MAX_EXTRA];
static int n_extra;

int sr_policy_count(void)
{
    return N_BUILTIN + n_extra;
}

const sr_policy_ops *sr_policy_at(int i)
{
    if (i < 0) return NULL;
    if (i < N_BUILTIN) return builtin[i];
    return i - N_BUILTIN < n_extra ? extra[i - N_BUILTIN] : NULL;
}

const sr_policy_ops *sr_policy_find(const char *name)
{
    if (!name) return NULL;
    for (int i = 0; i < sr_policy_count(); i++)
        if (strcmp(sr_policy_at(i)->name, name) == 0) return sr_policy_at(i);
    return NULL;
}

sr_status sr_policy_register(const sr_policy_ops *ops)
{
    if (!ops || !ops->name || !ops->plan || sr_policy_find(ops->name)) return SR_ERR_INVALID;
    if (n_extra == MAX_EXTRA) return SR_ERR_RANGE;
    extra[n_extra++] = ops;
    return SR_OK;
}

const sr_policy_ops *sr_policy_of(const sr_policy_spec *spec)
{
    return spec ? sr_policy_find(spec->type) : NULL;
}

void sr_policy_error(sr_policy_diag *d, const char *key, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->errors++;
    if (d->emit) d->emit(d->user, key, msg);
}

sr_status sr_policy_plan(const sr_policy_ops *ops, void *state, const void *params, const sr_policy_env *env,
                         const sr_plan_req *req, sr_plan **out, char *err, size_t err_size)
{
    if (!ops || !env || !env->exp || !req || !out || req->group < 0 || req->group >= env->exp->n_devices ||
        req->instance < 0 || req->instance >= env->exp->devices[req->group].count || req->model < 0 ||
        req->model >= env->exp->n_models || !env->graphs || !env->graphs[req->model]) {
        if (err) snprintf(err, err_size, "policy: incomplete planning request");
        return SR_ERR_INVALID;
    }
    sr_plan *p = NULL;
    sr_status st = ops->plan(state, params, env, req, &p, err, err_size);
    if (st == SR_OK && !p) st = SR_ERR_INVALID;
    if (st == SR_OK) st = sr_price_plan(env, p, err, err_size);
    if (st == SR_OK) st = sr_plan_validate(p, err, err_size);
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
    c.engine = 0;
    return c;
}

int sr_policy_device_index(const sr_experiment *e, const char *name)
{
    if (!e || !name) return -1;
    for (int i = 0; i < e->n_devices; i++)
        if (e->devices[i].name && strcmp(e->devices[i].name, name) == 0) return i;
    return -1;
}

int sr_policy_target_instance(const sr_experiment *e, int target_group, int source_instance)
{
    int n = e->devices[target_group].count;
    return n > 0 ? source_instance % n : 0;
}

void sr_policy_check_target(const sr_policy_env *env, sr_policy_diag *d, const char *key, const char *target)
{
    const sr_experiment *e = env->exp;
    if (!target) return; /* a missing required key: reported by the config */
    int tg = sr_policy_device_index(e, target);
    if (tg < 0) {
        char groups[512] = "";
        size_t used = 0;
        for (int g = 0; g < e->n_devices && used < sizeof groups; g++) {
            int w = snprintf(groups + used, sizeof groups - used, "%s%s", g ? ", " : "",
                             e->devices[g].name ? e->devices[g].name : "?");
            if (w < 0) break;
            used += (size_t)w;
        }
        sr_policy_error(d, key, "unknown device group '%s' for %s (groups: %s)", target, key, groups);
        return;
    }
    for (int s = 0; s < e->n_sources; s++)
        if (sr_policy_device_index(e, e->sources[s].devices) == tg) {
            /* source instance i targets instance i % count of the same group: itself */
            sr_policy_error(d, key, "%s '%s' is the device group of source '%s': every job would be sent to its own "
                            "device", key, target, e->sources[s].name ? e->sources[s].name : "?");
            return;
        }
    if (!env->route_exists) return;
    const sr_device_spec *t = &e->devices[tg];
    for (int s = 0; s < e->n_sources; s++) {
        int sg = sr_policy_device_index(e, e->sources[s].devices);
        if (sg < 0) continue;
        const sr_device_spec *dv = &e->devices[sg];
        if (!dv->instances || !t->instances || !dv->name || !t->name) continue;
        int missing = 0, first_i = -1, first_j = -1, total = 0;
        for (int i = 0; i < dv->count; i++)
            for (int j = 0; j < t->count; j++) {
                if (sg == tg && i == j) continue;
                total++;
                if (!env->route_exists(env->route_user, sg, i, tg, j)) {
                    if (!missing) first_i = i, first_j = j;
                    missing++;
                }
            }
        if (!missing) continue;
        if (missing == total)
            sr_policy_error(d, key, "no route from '%s' to '%s' (declare one under platform.routes)", dv->name,
                            t->name);
        else
            sr_policy_error(d, key, "no route from '%s' to '%s' (declare one under platform.routes)",
                            dv->instances[first_i], t->instances[first_j]);
    }
}

double sr_policy_codec_bytes(double elements, double bits_per_element)
{
    return ceil(elements * bits_per_element / 8.0);
}

double sr_policy_raw_frame_bytes(const sr_source_spec *s)
{
    if (s->kind == SR_SOURCE_EVENTS) return s->event_bytes;
    return (double)s->width * (double)s->height * 3.0;
}

int sr_policy_find_layer(const sr_graph *g, const char *layer)
{
    if (!g || !layer) return -1;
    int id = sr_graph_find(g, layer);
    if (id >= 0) return id;
    size_t ln = strlen(layer);
    int last = -1;
    for (int k = 0; k < sr_graph_node_count(g); k++) {
        const char *nn = sr_graph_node(g, k)->name;
        if (strncmp(nn, layer, ln) == 0 && nn[ln] == '.') last = k;
    }
    return last;
}

void sr_policy_sample_layers(const sr_graph *g, char *buf, size_t size)
{
    int n = sr_graph_node_count(g);
    int shown = n < 8 ? n : 8;
    size_t used = 0;
    if (size) buf[0] = '\0';
    for (int k = 0; k < shown && used < size; k++) {
        int id = shown > 1 ? (int)((long long)k * (n - 1) / (shown - 1)) : 0;
        int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", sr_graph_node(g, id)->name);
        if (w < 0) break;
        used += (size_t)w;
    }
}
