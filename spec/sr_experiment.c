/* sr_experiment.c: names of the experiment enums, lookups by name, and freeing a resolved experiment.
 *
 * The experiment itself is built by sr_config.c; this file only knows its layout. */
#include "sr_experiment.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sr_trace.h"

static const char *const device_class_names[] = {
#define SR_DEV_NAME(id, name) name,
    SR_DEVICE_CLASS_MAP(SR_DEV_NAME)
#undef SR_DEV_NAME
};
static_assert(sizeof device_class_names / sizeof device_class_names[0] == SR_DEV_CLASS_COUNT,
              "device class names");

static const char *const link_type_names[] = {
#define SR_LINK_NAME(id, name) name,
    SR_LINK_TYPE_MAP(SR_LINK_NAME)
#undef SR_LINK_NAME
};
static_assert(sizeof link_type_names / sizeof link_type_names[0] == SR_LINK_TYPE_COUNT, "link type names");

static const char *const sharing_names[] = {"shared", "fatpipe", "wifi"};
static_assert(sizeof sharing_names / sizeof sharing_names[0] == SR_SHARING_COUNT, "sharing names");
static const char *const net_model_names[] = {"cm02", "lv08"};
static_assert(sizeof net_model_names / sizeof net_model_names[0] == SR_NET_MODEL_COUNT, "net model names");
static const char *const arrival_names[] = {"periodic", "poisson", "trace"};
static_assert(sizeof arrival_names / sizeof arrival_names[0] == SR_ARRIVAL_COUNT, "arrival names");
static const char *const run_mode_names[] = {"model", "exact"};
static_assert(sizeof run_mode_names / sizeof run_mode_names[0] == SR_MODE_COUNT, "run mode names");

const char *sr_device_class_name(sr_device_class c)
{
    return (unsigned)c < SR_DEV_CLASS_COUNT ? device_class_names[c] : "?";
}

const char *sr_link_type_name(sr_link_type t)
{
    return (unsigned)t < SR_LINK_TYPE_COUNT ? link_type_names[t] : "?";
}

const char *sr_sharing_name(sr_sharing s)
{
    return (unsigned)s < SR_SHARING_COUNT ? sharing_names[s] : "?";
}

const char *sr_net_model_name(sr_net_model m)
{
    return (unsigned)m < SR_NET_MODEL_COUNT ? net_model_names[m] : "?";
}

const char *sr_arrival_name(sr_arrival a)
{
    return (unsigned)a < SR_ARRIVAL_COUNT ? arrival_names[a] : "?";
}

const char *sr_run_mode_name(sr_run_mode m)
{
    return (unsigned)m < SR_MODE_COUNT ? run_mode_names[m] : "?";
}

static void free_strv(char **v, int n)
{
    if (!v) return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void sr_experiment_free(sr_experiment *e)
{
    if (!e) return;
    free(e->file);
    free(e->name);
    free(e->output_db);
    free(e->output_figures);
    for (int i = 0; i < e->n_devices; i++) {
        sr_device_spec *d = &e->devices[i];
        free(d->name);
        free_strv(d->instances, d->count);
        free(d->profile);
        free(d->range);
        free(d->failures.list);
        free(d->speed_changes);
    }
    free(e->devices);
    for (int i = 0; i < e->n_links; i++) {
        sr_link_spec *l = &e->links[i];
        free(l->name);
        free(l->per_device);
        free_strv(l->instances, l->count);
        free(l->bandwidth_trace);
        free(l->latency_trace);
        sr_trace_free(l->bw_trace);
        sr_trace_free(l->lat_trace);
        free(l->failures.list);
    }
    free(e->links);
    for (int i = 0; i < e->n_routes; i++) {
        sr_route_spec *r = &e->routes[i];
        free(r->src);
        free(r->dst);
        free_strv(r->links, r->n_links);
    }
    free(e->routes);
    for (int i = 0; i < e->n_models; i++) {
        free(e->models[i].name);
        free(e->models[i].source);
    }
    free(e->models);
    for (int i = 0; i < e->n_sources; i++) {
        free(e->sources[i].name);
        free(e->sources[i].devices);
        free(e->sources[i].model);
        free(e->sources[i].arrival_trace);
        free(e->sources[i].trace_times_s);
    }
    free(e->sources);
    free(e->policy.name);
    free(e->policy.type);
    sr_params_free(e->policy.params_sec, e->policy.params);
    free(e);
}

/* Device and link lookups accept a group name or one of its instance names (the group is returned). */
const sr_device_spec *sr_experiment_device(const sr_experiment *e, const char *name)
{
    if (!e || !name) return NULL;
    for (int i = 0; i < e->n_devices; i++)
        if (strcmp(e->devices[i].name, name) == 0) return &e->devices[i];
    for (int i = 0; i < e->n_devices; i++)
        for (int k = 0; k < e->devices[i].count; k++)
            if (strcmp(e->devices[i].instances[k], name) == 0) return &e->devices[i];
    return NULL;
}

const sr_link_spec *sr_experiment_link(const sr_experiment *e, const char *name)
{
    if (!e || !name) return NULL;
    for (int i = 0; i < e->n_links; i++)
        if (strcmp(e->links[i].name, name) == 0) return &e->links[i];
    for (int i = 0; i < e->n_links; i++)
        for (int k = 0; k < e->links[i].count; k++)
            if (strcmp(e->links[i].instances[k], name) == 0) return &e->links[i];
    return NULL;
}

const sr_model_spec *sr_experiment_model(const sr_experiment *e, const char *name)
{
    if (!e || !name) return NULL;
    for (int i = 0; i < e->n_models; i++)
        if (strcmp(e->models[i].name, name) == 0) return &e->models[i];
    return NULL;
}
