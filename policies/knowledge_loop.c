/* knowledge_loop.c: Birman, Hariharan and De Sa's real-time knowledge loop (shared/seeds/000_6c691781ac313142.txt,
 * Figure 1): a sensor event triggers a cloud function, the cloud loads related data from other sensors, updates
 * a model and pushes new parameters (or a reconfiguration: pivot, focus) back to the sensors.
 *
 * Every event of a source (kind: events) runs these stages, one after the other; each stage with work is a job
 * the policy submits when the previous one ends, so the policy sees each stage's start and end (queueing
 * included) and the loop's latency is the sum of its stages:
 *   upload      the event, sensor -> `functions` instance (the source's own job)
 *   cold_start  no warm container: container_start seconds (a delay, cause cold_start)
 *   model_load  function mode: the function's container does not hold the current model version: the model's
 *               weights, `store` instance 0 -> the function's host (a transfer of the model version)
 *   function    the handler, `handler` seconds on the function's host
 *   handoff     microservice mode: the event, function host -> `service` instance (the container is free after it)
 *   fetch       for each of the `related` sensors (the next k instances of the event's sensor group): a request
 *               (request_size) to the `store` instance holding its data (sensor j -> instance j % count) and
 *               fetch_size bytes back; staged fetches then copy the bytes staging_copies times at the staging
 *               host's memory bandwidth and, on the µ-service's accelerator, DMA them at pcie_bandwidth (delays,
 *               cause copy); zero-copy fetches (RDMA into accelerator memory) do neither
 *   update      update_passes x the model's forward pass at batch k + 1, priced by the updating device's cost
 *               model (a compute task: it queues on the device's executors)
 *   push        push_size bytes (a reconfiguration) or the model's weights (push: model) to the event's sensor
 *               and its k related sensors; function mode also writes the updated model back to the store
 * Modes: `microservice` (the function hands the event to a long-running µ-service holding the model on its
 * accelerator, version bumped by every update) and `function` (function per event: no µ-service; the function
 * loads the model itself, fetches, updates on its own host and writes the model back).
 *
 * Containers: `warm_pool` containers per function host are started before the run and never expire; more are
 * started on demand (cold) and stay warm for `keep_alive` after they were last freed (idle for keep_alive or
 * longer: gone). An event takes the lowest-numbered warm idle container of its function host, else a cold one.
 *
 * Metrics (policy metrics hook): loop_latency_{mean,p95,max}_s, loop_<stage>_{mean,p95}_s over the loops
 * captured after metrics.warmup (a stage a loop skipped counts 0 s, so the stage means add up to the latency
 * mean; p95 is the nearest-rank 95th percentile), loops_completed, loops_failed, cold_starts, model_loads,
 * containers_max and update_utilization (update seconds / duration: at 1 or more the updating device cannot
 * keep up with the events). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sr_policy.h"

typedef enum { KL_MICROSERVICE, KL_FUNCTION, KL_MODE_COUNT } kl_mode;
typedef enum { KL_STAGED, KL_ZERO_COPY, KL_FETCH_COUNT } kl_fetch;
typedef enum { KL_PUSH_CONFIG, KL_PUSH_MODEL, KL_PUSH_COUNT } kl_push;

#define KL_STAGES(X)                                                                                           \
    X(KL_UPLOAD, "upload")                                                                                     \
    X(KL_COLD, "cold_start")                                                                                   \
    X(KL_LOAD, "model_load")                                                                                   \
    X(KL_FUNC, "function")                                                                                     \
    X(KL_HANDOFF, "handoff")                                                                                   \
    X(KL_FETCH, "fetch")                                                                                       \
    X(KL_UPDATE, "update")                                                                                     \
    X(KL_PUSH, "push")

typedef enum {
#define KL_ENUM(id, name) id,
    KL_STAGES(KL_ENUM)
#undef KL_ENUM
        KL_STAGE_COUNT
} kl_stage;

static const char *const stage_names[] = {
#define KL_NAME(id, name) name,
    KL_STAGES(KL_NAME)
#undef KL_NAME
};
_Static_assert(sizeof stage_names / sizeof stage_names[0] == KL_STAGE_COUNT, "stage names");

static const char *const mode_names[] = {"microservice", "function"};
static const char *const fetch_names[] = {"staged", "zero_copy"};
static const char *const push_names[] = {"config", "model"};
_Static_assert(sizeof mode_names / sizeof mode_names[0] == KL_MODE_COUNT, "mode names");
_Static_assert(sizeof fetch_names / sizeof fetch_names[0] == KL_FETCH_COUNT, "fetch names");
_Static_assert(sizeof push_names / sizeof push_names[0] == KL_PUSH_COUNT, "push names");
_Static_assert(sizeof(kl_mode) == sizeof(int) && sizeof(kl_fetch) == sizeof(int) && sizeof(kl_push) == sizeof(int),
               "enum fields are stored as int");

typedef struct kl_params {
    kl_mode mode;
    char *functions, *service, *store, *staging_host;
    int related;
    double fetch_bytes, request_bytes;
    kl_fetch fetch_mode;
    int staging_copies;
    double pcie_Bps;
    double container_start_s, keep_alive_s;
    int warm_pool;
    double handler_s;
    double update_passes;
    kl_push push;
    double push_bytes;
} kl_params;

static const sr_field fields[] = {
    {"mode", SR_F_ENUM, .names = mode_names, .n_names = KL_MODE_COUNT, .def = "microservice",
     .doc = "microservice: the function hands the event to a long-running µ-service holding the model on `service`; "
            "function: function per event (it loads the model, fetches, updates on its own host, writes the model back)",
     .offset = offsetof(kl_params, mode)},
    {"functions", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "device group running the cloud functions (containers); sensor i's events go to instance i % count",
     .offset = offsetof(kl_params, functions)},
    {"service", SR_F_STR, .def_doc = "none (required in microservice mode)",
     .doc = "device group of the µ-service holding the model (an accelerator); events of sensor i go to instance "
            "i % count",
     .offset = offsetof(kl_params, service)},
    {"store", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "device group holding the sensors' recent data (sensor j's on instance j % count; it may be the sensors "
            "themselves) and the model (instance 0)",
     .offset = offsetof(kl_params, store)},
    {"related", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "2",
     .doc = "k: related sensors whose data each loop fetches (the next k instances of the event's sensor group)",
     .offset = offsetof(kl_params, related)},
    {"fetch_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "1MiB", .doc = "bytes fetched per related sensor",
     .offset = offsetof(kl_params, fetch_bytes)},
    {"request_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "64B", .doc = "bytes of a fetch request",
     .offset = offsetof(kl_params, request_bytes)},
    {"fetch_mode", SR_F_ENUM, .names = fetch_names, .n_names = KL_FETCH_COUNT, .def = "staged",
     .doc = "staged: fetched bytes land in host memory, are copied staging_copies times and DMAed to the µ-service's "
            "accelerator; zero_copy: RDMA straight into accelerator memory (every link from store to the fetching "
            "device must be rdma)",
     .offset = offsetof(kl_params, fetch_mode)},
    {"staging_copies", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "1",
     .doc = "memory copies of a staged fetch on the receiving host (TCP: socket buffer -> user buffer = 1; RDMA into "
            "host memory: 0)",
     .offset = offsetof(kl_params, staging_copies)},
    {"staging_host", SR_F_STR, .def_doc = "the fetching device group",
     .doc = "device group whose mem_bw prices staging copies (mem_bw counts read + write: a copy of B bytes takes "
            "2B / mem_bw, calibration's mem_bw = 2 x measured memcpy rate)",
     .offset = offsetof(kl_params, staging_host)},
    {"pcie_bandwidth", SR_F_QTY, SR_UNIT_RATE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL | SR_FF_BYTES, .def = "15.75GBps",
     .doc = "host -> accelerator DMA of a staged fetch in microservice mode (PCIe 3.0 x16: 8 GT/s x 16 x 128/130)",
     .offset = offsetof(kl_params, pcie_Bps)},
    {"container_start", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "125ms",
     .doc = "cold start of a function container (Firecracker microVM to application code, Agache et al. NSDI 2020)",
     .offset = offsetof(kl_params, container_start_s)},
    {"keep_alive", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "20min",
     .doc = "an on-demand container idle this long is gone (Azure Functions' fixed keep-alive, Shahrad et al. ATC 2020)",
     .offset = offsetof(kl_params, keep_alive_s)},
    {"warm_pool", SR_F_INT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "0",
     .doc = "containers per function host started before the run, never expiring",
     .offset = offsetof(kl_params, warm_pool)},
    {"handler", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s", .doc = "seconds of the function's own work per event",
     .offset = offsetof(kl_params, handler_s)},
    {"update_passes", SR_F_FLOAT, SR_UNIT_NONE, SR_FF_HAS_MIN, .min = 0, .def = "3",
     .doc = "a model update costs this many forward passes at batch k + 1 (forward + backward ~ 3 forward)",
     .offset = offsetof(kl_params, update_passes)},
    {"push", SR_F_ENUM, .names = push_names, .n_names = KL_PUSH_COUNT, .def = "config",
     .doc = "what goes back to the k + 1 sensors: config (push_size bytes: pivot, focus, thresholds) or model (the "
            "model's weights)",
     .offset = offsetof(kl_params, push)},
    {"push_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN, .def = "256B", .doc = "bytes of a pushed reconfiguration",
     .offset = offsetof(kl_params, push_bytes)},
};
static const sr_section params = {"policy (type knowledge_loop)", "policy", 0,
                                  "Birman et al.'s real-time knowledge loop: event -> function (cold/warm) -> "
                                  "[µ-service] -> fetch from k sensors -> model update -> push to sensors.",
                                  fields, (int)(sizeof fields / sizeof fields[0]), sizeof(kl_params)};

/* ---- platform helpers ---- */

/* Device group of a route endpoint name (a group or one of its instances); -1 when none. */
static int endpoint_group(const sr_experiment *e, const char *name)
{
    for (int g = 0; g < e->n_devices; g++) {
        if (strcmp(e->devices[g].name, name) == 0) return g;
        for (int i = 0; i < e->devices[g].count; i++)
            if (strcmp(e->devices[g].instances[i], name) == 0) return g;
    }
    return -1;
}

static const sr_link_spec *link_named(const sr_experiment *e, const char *name)
{
    for (int s = 0; s < e->n_links; s++) {
        if (strcmp(e->links[s].name, name) == 0) return &e->links[s];
        for (int i = 0; i < e->links[s].count; i++)
            if (strcmp(e->links[s].instances[i], name) == 0) return &e->links[s];
    }
    return NULL;
}

/* Do the declared routes from group a to group b (or back, when symmetric) use rdma links only? 1 yes, 0 some
 * other link, -1 no route declared. */
static int routes_all_rdma(const sr_experiment *e, int a, int b)
{
    int found = 0;
    for (int r = 0; r < e->n_routes; r++) {
        const sr_route_spec *rs = &e->routes[r];
        int s = endpoint_group(e, rs->src), d = endpoint_group(e, rs->dst);
        if (!((s == a && d == b) || (rs->symmetric && s == b && d == a))) continue;
        found = 1;
        for (int k = 0; k < rs->n_links; k++) {
            const sr_link_spec *l = link_named(e, rs->links[k]);
            if (!l || l->type != SR_LINK_RDMA) return 0;
        }
    }
    return found ? 1 : -1;
}

static int source_group(const sr_experiment *e, int spec)
{
    return e->sources[spec].devices ? sr_policy_device_index(e, e->sources[spec].devices) : -1;
}

/* ---- check ---- */

static void check_route(const sr_policy_env *env, sr_policy_diag *d, const char *key, int sg, int si, int dg, int di)
{
    if (sg == dg && si == di) return;
    if (env->route_exists && !env->route_exists(env->route_user, sg, si, dg, di))
        sr_policy_error(d, key, "no route from '%s' to '%s'", env->exp->devices[sg].instances[si],
                        env->exp->devices[dg].instances[di]);
}

static sr_status kl_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const kl_params *p = p_;
    const sr_experiment *e = env->exp;
    int fg = sr_policy_device_index(e, p->functions), stg = sr_policy_device_index(e, p->store);
    int sv = p->service ? sr_policy_device_index(e, p->service) : -1;
    if (fg < 0) sr_policy_error(d, "functions", "no device group '%s'", p->functions);
    if (stg < 0) sr_policy_error(d, "store", "no device group '%s'", p->store);
    if (p->mode == KL_MICROSERVICE && !p->service)
        sr_policy_error(d, "service", "microservice mode needs 'service' (the device group holding the model)");
    if (p->service && sv < 0) sr_policy_error(d, "service", "no device group '%s'", p->service);
    if (p->mode == KL_FUNCTION && p->service && d->given && d->given(d->user, "service"))
        sr_policy_error(d, "service", "function mode has no µ-service: drop 'service' or use mode: microservice");
    int fetcher = p->mode == KL_MICROSERVICE ? sv : fg;
    int hg = p->staging_host ? sr_policy_device_index(e, p->staging_host) : fetcher;
    if (p->staging_host && hg < 0) sr_policy_error(d, "staging_host", "no device group '%s'", p->staging_host);
    if (fg < 0 || stg < 0 || fetcher < 0 || d->errors) return SR_OK;
    if (p->fetch_mode == KL_STAGED && p->staging_copies > 0 && p->related > 0 && !(e->devices[hg].mem_bw_Bps > 0))
        sr_policy_error(d, p->staging_host ? "staging_host" : "staging_copies",
                        "staging copies are priced by the memory bandwidth of '%s', which has none (give it mem_bw "
                        "or a profile)",
                        e->devices[hg].name);
    if (p->fetch_mode == KL_ZERO_COPY && p->related > 0 && routes_all_rdma(e, stg, fetcher) != 1)
        sr_policy_error(d, "fetch_mode",
                        "zero_copy needs rdma links only from '%s' to '%s' (TCP data lands in host memory: use "
                        "fetch_mode: staged)",
                        p->store, e->devices[fetcher].name);
    for (int k = 0; k < e->n_sources; k++) {
        const sr_source_spec *src = &e->sources[k];
        int sg = source_group(e, k);
        if (sg < 0) continue;
        if (k > 0 && src->model && e->sources[0].model && strcmp(src->model, e->sources[0].model) != 0)
            sr_policy_error(d, NULL, "the knowledge loop updates one model, but source '%s' names '%s' and source '%s' '%s'",
                            e->sources[0].name, e->sources[0].model, src->name, src->model);
        if (src->kind != SR_SOURCE_EVENTS)
            sr_policy_error(d, NULL, "source '%s' emits frames; the knowledge loop reacts to sensor events (kind: events)",
                            src->name);
        int n = e->devices[sg].count;
        if (p->related > n - 1)
            sr_policy_error(d, "related", "%d related sensors but group '%s' has %d other instance(s)", p->related,
                            e->devices[sg].name, n - 1);
        if (d->errors) return SR_OK;
        for (int i = 0; i < n && !d->errors; i++) {
            int fi = sr_policy_target_instance(e, fg, i), si = sv >= 0 ? sr_policy_target_instance(e, sv, i) : -1;
            int fx = fetcher == sv ? si : fi;
            check_route(env, d, "functions", sg, i, fg, fi);
            if (p->mode == KL_MICROSERVICE) check_route(env, d, "service", fg, fi, sv, si);
            if (p->mode == KL_FUNCTION) {
                check_route(env, d, "store", stg, 0, fg, fi);
                check_route(env, d, "store", fg, fi, stg, 0);
            }
            check_route(env, d, "functions", fetcher, fx, sg, i); /* the push */
            for (int r = 1; r <= p->related; r++) {
                int j = (i + r) % n, sj = j % e->devices[stg].count;
                check_route(env, d, "store", fetcher, fx, stg, sj);
                check_route(env, d, "store", stg, sj, fetcher, fx);
                check_route(env, d, "related", fetcher, fx, sg, j);
            }
        }
    }
    return SR_OK;
}

/* ---- state ---- */

typedef struct kl_container {
    int host;          /* instance of the functions group */
    int busy;
    int prewarmed;     /* warm pool: never expires */
    int used;          /* started at least once (or prewarmed) */
    double idle_since; /* when it was last freed */
    int version;       /* function mode: model version it holds (-1: none) */
} kl_container;

typedef struct kl_loop {
    int sensor_group, sensor; /* the event's sensor */
    int fn, svc;              /* function and service instances */
    int container;            /* -1 once freed */
    double capture_s, stage_start_s;
    double stage_s[KL_STAGE_COUNT];
    double event_bytes;
    int cold;   /* it took a cold container */
    int stage;  /* stage in progress */
    int failed; /* 1: a stage failed; 2: completed */
} kl_loop;

typedef struct kl_sub {
    int loop, stage;
} kl_sub; /* what a submitted job is */

typedef struct kl_state {
    int fg, sv, stg, hg, fetcher, model;
    double update_s;     /* one update on the updating device (whole device), priced at init */
    double model_bytes;  /* the model's weights at its precision */
    double *spec_event_bytes; /* per source spec: bytes of an event */
    int *src_group, *src_instance, *src_spec; /* per global source instance (filled by plan) */
    int n_src;
    kl_container *cont;
    int n_cont, cap_cont;
    kl_loop *loops;
    int n_loops, cap_loops;
    kl_sub *sub; /* per submission number */
    int n_sub, cap_sub;
    int *version;    /* microservice: per service instance; function mode: [0] the store's model version */
    int n_version;
    int64_t cold_starts, model_loads, updates;
    int containers_max;
} kl_state;

static void kl_fini(void *state_)
{
    kl_state *s = state_;
    if (!s) return;
    free(s->spec_event_bytes);
    free(s->src_group);
    free(s->src_instance);
    free(s->src_spec);
    free(s->cont);
    free(s->loops);
    free(s->sub);
    free(s->version);
    free(s);
}

static int model_index(const sr_experiment *e, const char *name)
{
    for (int m = 0; m < e->n_models; m++)
        if (name && e->models[m].name && strcmp(e->models[m].name, name) == 0) return m;
    return -1;
}

static sr_status kl_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t err_size)
{
    const kl_params *p = p_;
    const sr_experiment *e = env->exp;
    kl_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->fg = sr_policy_device_index(e, p->functions);
    s->stg = sr_policy_device_index(e, p->store);
    s->sv = p->mode == KL_MICROSERVICE ? sr_policy_device_index(e, p->service) : -1;
    s->fetcher = p->mode == KL_MICROSERVICE ? s->sv : s->fg;
    s->hg = p->staging_host ? sr_policy_device_index(e, p->staging_host) : s->fetcher;
    s->model = -1;
    for (int k = 0; k < e->n_sources && s->model < 0; k++)
        s->model = model_index(e, e->sources[k].model);
    int n_src = 0;
    for (int k = 0; k < e->n_sources; k++) {
        int g = source_group(e, k);
        if (g >= 0) n_src += e->devices[g].count;
    }
    s->n_src = n_src;
    s->spec_event_bytes = calloc((size_t)(e->n_sources > 0 ? e->n_sources : 1), sizeof *s->spec_event_bytes);
    s->src_group = calloc((size_t)(n_src > 0 ? n_src : 1), sizeof *s->src_group);
    s->src_instance = calloc((size_t)(n_src > 0 ? n_src : 1), sizeof *s->src_instance);
    s->src_spec = calloc((size_t)(n_src > 0 ? n_src : 1), sizeof *s->src_spec);
    s->n_version = s->sv >= 0 && e->devices[s->sv].count > 0 ? e->devices[s->sv].count : 1;
    s->version = calloc((size_t)s->n_version, sizeof *s->version);
    if (!s->spec_event_bytes || !s->src_group || !s->src_instance || !s->src_spec || !s->version) goto nomem;
    for (int k = 0; k < e->n_sources; k++)
        s->spec_event_bytes[k] = sr_policy_raw_frame_bytes(&e->sources[k]);
    if (s->fg < 0 || s->stg < 0 || s->fetcher < 0 || s->hg < 0 || s->model < 0 || !env->graphs ||
        !env->graphs[s->model]) {
        if (err) snprintf(err, err_size, "knowledge_loop: missing device group or model");
        kl_fini(s);
        return SR_ERR_INVALID;
    }
    const sr_graph *g = env->graphs[s->model];
    int last = sr_graph_node_count(g) - 1;
    for (int id = 0; id <= last; id++)
        s->model_bytes += (double)sr_node_weight_bytes(g, id, e->models[s->model].precision);
    /* the update: update_passes forward passes of the whole model at batch k + 1, on the updating device */
    sr_plan_task t;
    memset(&t, 0, sizeof t);
    t.kind = SR_TASK_COMPUTE;
    t.work = SR_WORK_LAYERS;
    t.dev = (sr_plan_dev){SR_ROLE_TARGET, s->fetcher, 0};
    t.dst = t.dev;
    t.model = s->model;
    t.first_layer = 0;
    t.last_layer = last;
    t.node = -1;
    snprintf(t.label, sizeof t.label, "update");
    double fwd = 0;
    sr_status st = sr_price_task(env, &t, p->related + 1, &fwd, err, err_size);
    if (st != SR_OK) {
        kl_fini(s);
        return st;
    }
    s->update_s = p->update_passes * fwd;
    /* the warm pool */
    int nf = e->devices[s->fg].count;
    if (p->warm_pool > 0) {
        s->cap_cont = p->warm_pool * nf;
        s->cont = calloc((size_t)s->cap_cont, sizeof *s->cont);
        if (!s->cont) goto nomem;
        for (int h = 0; h < nf; h++)
            for (int c = 0; c < p->warm_pool; c++)
                s->cont[s->n_cont++] = (kl_container){h, 0, 1, 1, 0.0, p->mode == KL_FUNCTION ? 0 : -1};
        s->containers_max = p->warm_pool;
    }
    *state = s;
    return SR_OK;
nomem:
    kl_fini(s);
    return SR_ERR_NOMEM;
}

/* ---- the source plan: the event's upload ---- */

static sr_status kl_plan(void *state_, const void *p_, const sr_policy_env *env, const sr_plan_req *req, sr_plan **out,
                         char *err, size_t err_size)
{
    kl_state *s = state_;
    (void)p_;
    const sr_experiment *e = env->exp;
    if (req->source < 0 || req->source >= s->n_src) {
        if (err) snprintf(err, err_size, "knowledge_loop: source %d out of range", req->source);
        return SR_ERR_INVALID;
    }
    s->src_group[req->source] = req->group;
    s->src_instance[req->source] = req->instance;
    s->src_spec[req->source] = req->source_spec;
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev fn = {SR_ROLE_TARGET, s->fg, sr_policy_target_instance(e, s->fg, req->instance)};
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int a = src.group == fn.group && src.instance == fn.instance
                ? sr_plan_add_work(*out, src, SR_WORK_SECONDS, 0.0, "upload")
                : sr_plan_add_transfer(*out, src, fn, SR_PAYLOAD_BYTES, s->spec_event_bytes[req->source_spec], "upload");
    return a < 0 ? (sr_status)a : SR_OK;
}

/* ---- the loop's stages ---- */

static sr_status grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap) return SR_OK;
    int c = *cap ? 2 * *cap : 64;
    while (c < need)
        c *= 2;
    void *a = realloc(*arr, (size_t)c * elem);
    if (!a) return SR_ERR_NOMEM;
    *arr = a;
    *cap = c;
    return SR_OK;
}

/* Takes a container of function host `fn` at `now`: the lowest-numbered warm idle one, else a cold one (an
 * expired or new slot). *cold tells which. */
static sr_status take_container(kl_state *s, const kl_params *p, int fn, double now, int *out, int *cold)
{
    int expired = -1;
    for (int c = 0; c < s->n_cont; c++) {
        kl_container *k = &s->cont[c];
        if (k->host != fn || k->busy) continue;
        int warm = k->used && (k->prewarmed || now - k->idle_since < p->keep_alive_s);
        if (warm) {
            k->busy = 1;
            *out = c;
            *cold = 0;
            return SR_OK;
        }
        if (expired < 0) expired = c;
    }
    if (expired < 0) {
        sr_status st = grow((void **)&s->cont, &s->cap_cont, s->n_cont + 1, sizeof *s->cont);
        if (st != SR_OK) return st;
        expired = s->n_cont++;
    }
    s->cont[expired] = (kl_container){fn, 1, 0, 1, 0.0, -1};
    *out = expired;
    *cold = 1;
    int busy = 0;
    for (int c = 0; c < s->n_cont; c++)
        busy += s->cont[c].host == fn && (s->cont[c].busy || s->cont[c].prewarmed ||
                                          now - s->cont[c].idle_since < p->keep_alive_s);
    if (busy > s->containers_max) s->containers_max = busy;
    return SR_OK;
}

static void free_container(kl_state *s, kl_loop *l, double now)
{
    if (l->container < 0) return;
    s->cont[l->container].busy = 0;
    s->cont[l->container].idle_since = now;
    l->container = -1;
}

/* Adds the fetch of related sensor data, request then data then staging, to plan pl; returns SR_OK. */
static sr_status add_fetch(const kl_state *s, const kl_params *p, const sr_experiment *e, const kl_loop *l, sr_plan *pl)
{
    sr_plan_dev at = {SR_ROLE_TARGET, s->fetcher, s->fetcher == s->sv ? l->svc : l->fn};
    int n = e->devices[l->sensor_group].count;
    double mem = e->devices[s->hg].mem_bw_Bps;
    for (int r = 1; r <= p->related; r++) {
        int j = (l->sensor + r) % n;
        sr_plan_dev st = {SR_ROLE_OTHER, s->stg, j % e->devices[s->stg].count};
        int last = -1;
        if (!(st.group == at.group && st.instance == at.instance)) {
            int q = sr_plan_add_transfer(pl, at, st, SR_PAYLOAD_BYTES, p->request_bytes, "fetch_request");
            int dta = sr_plan_add_transfer(pl, st, at, SR_PAYLOAD_BYTES, p->fetch_bytes, "fetch_data");
            if (q < 0 || dta < 0) return q < 0 ? (sr_status)q : (sr_status)dta;
            sr_status ds = sr_plan_add_dep(pl, q, dta);
            if (ds != SR_OK) return ds;
            last = dta;
        }
        if (p->fetch_mode == KL_STAGED) {
            if (p->staging_copies > 0 && mem > 0) {
                double cs = p->staging_copies * 2.0 * p->fetch_bytes / mem;
                int c = sr_plan_add_delay(pl, at, SR_DELAY_COPY, cs, "staging_copy");
                if (c < 0) return (sr_status)c;
                if (last >= 0 && sr_plan_add_dep(pl, last, c) != SR_OK) return SR_ERR_NOMEM;
                last = c;
            }
            if (p->mode == KL_MICROSERVICE) {
                int d = sr_plan_add_delay(pl, at, SR_DELAY_COPY, p->fetch_bytes / p->pcie_Bps, "dma_to_gpu");
                if (d < 0) return (sr_status)d;
                if (last >= 0 && sr_plan_add_dep(pl, last, d) != SR_OK) return SR_ERR_NOMEM;
            }
        }
    }
    return SR_OK;
}

/* The plan of stage `stage` of loop l, or *out = NULL when the stage has no work. */
static sr_status stage_plan(kl_state *s, const kl_params *p, const sr_experiment *e, kl_loop *l, int stage,
                            sr_plan **out)
{
    *out = NULL;
    sr_plan_dev fn = {SR_ROLE_TARGET, s->fg, l->fn};
    sr_plan_dev svc = {SR_ROLE_TARGET, s->sv, l->svc};
    sr_plan_dev at = s->fetcher == s->sv ? svc : fn;
    sr_plan_dev store0 = {SR_ROLE_OTHER, s->stg, 0};
    int need = 0;
    switch ((kl_stage)stage) {
    case KL_UPLOAD:
        break;
    case KL_COLD:
        need = l->cold && p->container_start_s > 0;
        break;
    case KL_LOAD:
        need = p->mode == KL_FUNCTION && l->container >= 0 && s->cont[l->container].version != s->version[0] &&
               !(store0.group == fn.group && store0.instance == fn.instance);
        break;
    case KL_FUNC:
        need = p->handler_s > 0;
        break;
    case KL_HANDOFF:
        need = p->mode == KL_MICROSERVICE && !(fn.group == svc.group && fn.instance == svc.instance);
        break;
    case KL_FETCH:
        need = p->related > 0;
        break;
    case KL_UPDATE:
        need = 1;
        break;
    case KL_PUSH:
        need = 1;
        break;
    case KL_STAGE_COUNT:
        break;
    }
    if (!need) return SR_OK;
    sr_plan *pl = NULL;
    sr_status st = sr_plan_create(&pl);
    if (st != SR_OK) return st;
    int t = 0;
    switch ((kl_stage)stage) {
    case KL_COLD:
        t = sr_plan_add_delay(pl, fn, SR_DELAY_COLD_START, p->container_start_s, "cold_start");
        break;
    case KL_LOAD:
        t = sr_plan_add_transfer(pl, store0, fn, SR_PAYLOAD_MODEL, s->model_bytes, "model_load");
        if (t >= 0) sr_plan_task_mut(pl, t)->version = s->version[0];
        break;
    case KL_FUNC:
        t = sr_plan_add_work(pl, fn, SR_WORK_SECONDS, p->handler_s, "function");
        break;
    case KL_HANDOFF:
        t = sr_plan_add_transfer(pl, fn, svc, SR_PAYLOAD_BYTES, l->event_bytes, "handoff");
        break;
    case KL_FETCH:
        st = add_fetch(s, p, e, l, pl);
        break;
    case KL_UPDATE:
        t = sr_plan_add_work(pl, at, SR_WORK_SECONDS, s->update_s, "update");
        break;
    case KL_PUSH: {
        int ver = p->mode == KL_MICROSERVICE ? s->version[l->svc] : s->version[0] + 1;
        double bytes = p->push == KL_PUSH_MODEL ? s->model_bytes : p->push_bytes;
        int n = e->devices[l->sensor_group].count;
        for (int r = 0; r <= p->related && t >= 0; r++) {
            sr_plan_dev sens = {SR_ROLE_SOURCE, l->sensor_group, (l->sensor + r) % n};
            if (sens.group == at.group && sens.instance == at.instance) continue;
            t = sr_plan_add_transfer(pl, at, sens, p->push == KL_PUSH_MODEL ? SR_PAYLOAD_MODEL : SR_PAYLOAD_BYTES, bytes,
                                     "push");
            if (t >= 0) sr_plan_task_mut(pl, t)->version = ver;
        }
        if (t >= 0 && p->mode == KL_FUNCTION && !(store0.group == fn.group && store0.instance == fn.instance)) {
            t = sr_plan_add_transfer(pl, fn, store0, SR_PAYLOAD_MODEL, s->model_bytes, "model_write");
            if (t >= 0) sr_plan_task_mut(pl, t)->version = ver;
        }
        break;
    }
    case KL_UPLOAD:
    case KL_STAGE_COUNT:
        break;
    }
    if (t < 0) st = (sr_status)t;
    if (st == SR_OK && sr_plan_task_count(pl) == 0) { /* nothing left (every end on one device): a 0 s task */
        t = sr_plan_add_work(pl, at, SR_WORK_SECONDS, 0.0, stage_names[stage]);
        if (t < 0) st = (sr_status)t;
    }
    if (st != SR_OK) {
        sr_plan_free(pl);
        return st;
    }
    *out = pl;
    return SR_OK;
}

/* What happens when stage `stage` of loop l ends at `now` (bookkeeping before the next stage). */
static void stage_end(kl_state *s, const kl_params *p, kl_loop *l, int stage, double now)
{
    if (stage == KL_LOAD && l->container >= 0) {
        s->cont[l->container].version = s->version[0];
        s->model_loads++;
    }
    if (stage == KL_HANDOFF) free_container(s, l, now); /* the function returns once the µ-service has the event */
    if (stage == KL_UPDATE) {
        s->updates++;
        if (p->mode == KL_MICROSERVICE) s->version[l->svc]++;
    }
    if (stage == KL_PUSH && p->mode == KL_FUNCTION) {
        s->version[0]++;
        if (l->container >= 0) s->cont[l->container].version = s->version[0];
    }
}

/* Runs loop li from stage `from` on: records empty stages as 0 s and submits the first stage with work. */
static sr_status advance(kl_state *s, const kl_params *p, const sr_experiment *e, int li, int from,
                         const sr_policy_sim *sim)
{
    for (int stage = from; stage < KL_STAGE_COUNT; stage++) {
        kl_loop *l = &s->loops[li];
        sr_plan *pl = NULL;
        sr_status st = stage_plan(s, p, e, l, stage, &pl);
        if (st != SR_OK) return st;
        if (!pl) {
            l->stage_s[stage] = 0;
            if (stage == KL_HANDOFF && p->mode == KL_MICROSERVICE) free_container(s, l, sim->now_s);
            continue;
        }
        st = grow((void **)&s->sub, &s->cap_sub, s->n_sub + 1, sizeof *s->sub);
        if (st != SR_OK) {
            sr_plan_free(pl);
            return st;
        }
        st = sim->submit(sim->eng, pl); /* takes pl; the job's number is the count of earlier submissions */
        if (st != SR_OK) return st;
        s->sub[s->n_sub++] = (kl_sub){li, stage};
        l->stage = stage;
        l->stage_start_s = sim->now_s;
        return SR_OK;
    }
    kl_loop *l = &s->loops[li];
    free_container(s, l, sim->now_s);
    l->failed = 2;
    return SR_OK;
}

static sr_status start_loop(kl_state *s, const kl_params *p, const sr_policy_env *env, const sr_policy_event *ev,
                            const sr_policy_sim *sim)
{
    const sr_experiment *e = env->exp;
    if (ev->source < 0 || ev->source >= s->n_src) return SR_OK;
    sr_status st = grow((void **)&s->loops, &s->cap_loops, s->n_loops + 1, sizeof *s->loops);
    if (st != SR_OK) return st;
    int li = s->n_loops++;
    kl_loop *l = &s->loops[li];
    memset(l, 0, sizeof *l);
    l->sensor_group = s->src_group[ev->source];
    l->sensor = s->src_instance[ev->source];
    l->fn = sr_policy_target_instance(e, s->fg, l->sensor);
    l->svc = s->sv >= 0 ? sr_policy_target_instance(e, s->sv, l->sensor) : 0;
    l->capture_s = ev->time_s - ev->latency_s;
    l->stage_s[KL_UPLOAD] = ev->latency_s;
    l->event_bytes = s->spec_event_bytes[s->src_spec[ev->source]];
    if (ev->outcome != SR_OUTCOME_COMPLETED && ev->outcome != SR_OUTCOME_LATE) {
        l->container = -1;
        l->failed = 1;
        return SR_OK;
    }
    st = take_container(s, p, l->fn, ev->time_s, &l->container, &l->cold);
    if (st != SR_OK) return st;
    s->cold_starts += l->cold;
    return advance(s, p, e, li, KL_COLD, sim);
}

static sr_status kl_event(void *state_, const void *p_, const sr_policy_env *env, const sr_policy_event *ev,
                          const sr_policy_sim *sim)
{
    kl_state *s = state_;
    const kl_params *p = p_;
    if (ev->kind != SR_EVENT_JOB_DONE) return SR_OK;
    if (ev->source >= 0) return start_loop(s, p, env, ev, sim);
    if (ev->job < 0 || ev->job >= s->n_sub) return SR_OK;
    int li = s->sub[ev->job].loop, stage = s->sub[ev->job].stage;
    kl_loop *l = &s->loops[li];
    l->stage_s[stage] = ev->time_s - l->stage_start_s;
    if (ev->outcome != SR_OUTCOME_COMPLETED && ev->outcome != SR_OUTCOME_LATE) {
        free_container(s, l, ev->time_s);
        l->failed = 1;
        return SR_OK;
    }
    stage_end(s, p, l, stage, ev->time_s);
    return advance(s, p, env->exp, li, stage + 1, sim);
}

/* ---- metrics ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank p-th percentile of v[0..n) (sorted in place). */
static double percentile(double *v, int n, double pct)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    int r = (int)ceil(pct / 100.0 * n);
    return v[r < 1 ? 0 : r - 1];
}

static sr_status kl_metrics(void *state_, const void *p_, const sr_policy_env *env, sr_policy_metric_fn add, void *user)
{
    kl_state *s = state_;
    (void)p_;
    const sr_experiment *e = env->exp;
    if (!s) return SR_OK;
    int n = 0, failed = 0;
    for (int i = 0; i < s->n_loops; i++) {
        if (s->loops[i].capture_s < e->metrics.warmup_s) continue;
        if (s->loops[i].failed == 2) n++;
        if (s->loops[i].failed == 1) failed++;
    }
    add(user, "loops_completed", n, "1");
    add(user, "loops_failed", failed, "1");
    add(user, "cold_starts", (double)s->cold_starts, "1");
    add(user, "model_loads", (double)s->model_loads, "1");
    add(user, "containers_max", s->containers_max, "1");
    add(user, "update_s", s->update_s, "s");
    add(user, "update_utilization", e->duration_s > 0 ? (double)s->updates * s->update_s / e->duration_s : 0, "1");
    if (n == 0) return SR_OK;
    double *v = malloc((size_t)n * sizeof *v);
    if (!v) return SR_ERR_NOMEM;
    char name[64];
    for (int stage = -1; stage < KL_STAGE_COUNT; stage++) {
        int k = 0;
        double sum = 0;
        for (int i = 0; i < s->n_loops; i++) {
            const kl_loop *l = &s->loops[i];
            if (l->failed != 2 || l->capture_s < e->metrics.warmup_s) continue;
            double x = 0;
            if (stage < 0)
                for (int q = 0; q < KL_STAGE_COUNT; q++)
                    x += l->stage_s[q];
            else
                x = l->stage_s[stage];
            v[k++] = x;
            sum += x;
        }
        const char *what = stage < 0 ? "latency" : stage_names[stage];
        snprintf(name, sizeof name, "loop_%s_mean_s", what);
        add(user, name, sum / k, "s");
        snprintf(name, sizeof name, "loop_%s_p95_s", what);
        add(user, name, percentile(v, k, 95.0), "s");
        if (stage < 0) add(user, "loop_latency_max_s", v[k - 1], "s");
    }
    free(v);
    return SR_OK;
}

const sr_policy_ops sr_policy_knowledge_loop = {
    .name = "knowledge_loop",
    .doc = "Birman et al.'s real-time knowledge loop: sensor event -> cloud function (cold/warm container) -> "
           "[µ-service on an accelerator] -> fetch from k related sensors (RDMA zero-copy or staged) -> model update "
           "-> push to the sensors",
    .params = &params,
    .check = kl_check,
    .init = kl_init,
    .plan = kl_plan,
    .on_event = kl_event,
    .metrics = kl_metrics,
    .fini = kl_fini,
};
