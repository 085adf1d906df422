/* engine_fixture.c: see engine_fixture.h. */
#include "engine_fixture.h"
#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sr_graph.h"
#include "sr_trace.h"

#define GROW(arr, n) ((arr) = realloc((arr), (size_t)((n) + 1) * sizeof *(arr)))

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

sr_experiment *fx_new(double duration_s, sr_net_model net)
{
    sr_experiment *e = calloc(1, sizeof *e);
    e->name = strdup("test");
    e->duration_s = duration_s;
    e->net_model = net;
    e->metrics.frames = e->metrics.links = e->metrics.hosts = 1;
    return e;
}

static void free_strv(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void fx_free(sr_experiment *e)
{
    if (!e) return;
    for (int i = 0; i < e->n_devices; i++) {
        free(e->devices[i].failures.list);
        free(e->devices[i].speed_changes);
        free(e->devices[i].name);
        free(e->devices[i].profile);
        free_strv(e->devices[i].instances, e->devices[i].count);
    }
    for (int i = 0; i < e->n_links; i++) {
        free(e->links[i].failures.list);
        sr_trace_free(e->links[i].bw_trace);
        sr_trace_free(e->links[i].lat_trace);
        free(e->links[i].name);
        free(e->links[i].per_device);
        free_strv(e->links[i].instances, e->links[i].count);
    }
    for (int i = 0; i < e->n_routes; i++) {
        free(e->routes[i].src);
        free(e->routes[i].dst);
        free_strv(e->routes[i].links, e->routes[i].n_links);
    }
    for (int i = 0; i < e->n_models; i++) {
        free(e->models[i].name);
        free(e->models[i].source);
    }
    for (int i = 0; i < e->n_sources; i++) {
        free(e->sources[i].name);
        free(e->sources[i].devices);
        free(e->sources[i].model);
    }
    free(e->devices);
    free(e->links);
    free(e->routes);
    free(e->models);
    free(e->sources);
    free(e->policy.name);
    free(e->policy.type);
    sr_params_free(e->policy.params_sec, e->policy.params);
    free(e->name);
    free(e);
}

static char **expand(const char *name, int count)
{
    char **v = calloc((size_t)count, sizeof *v);
    for (int i = 0; i < count; i++) {
        char buf[128];
        if (count == 1)
            snprintf(buf, sizeof buf, "%s", name);
        else
            snprintf(buf, sizeof buf, "%s%d", name, i);
        v[i] = strdup(buf);
    }
    return v;
}

int fx_device(sr_experiment *e, const char *name, int count, double speed_flops, double idle_w, double busy_w)
{
    GROW(e->devices, e->n_devices);
    sr_device_spec *d = &e->devices[e->n_devices];
    memset(d, 0, sizeof *d);
    d->name = strdup(name);
    d->count = count;
    d->instances = expand(name, count);
    d->cls = SR_DEV_EDGE;
    d->speed_flops = speed_flops;
    d->cores = 1;
    d->efficiency = 1.0;
    d->mem_bw_Bps = 0;
    d->power_idle_w = idle_w;
    d->power_busy_w = busy_w;
    d->executors = d->concurrency = 1;
    d->max_in_flight = 0; /* every transfer its own flow (the closed forms of the sharing tests) */
    return e->n_devices++;
}

int fx_link(sr_experiment *e, const char *name, double bw_bps, double latency_s, sr_sharing sharing,
            const char *per_device, int count)
{
    GROW(e->links, e->n_links);
    sr_link_spec *l = &e->links[e->n_links];
    memset(l, 0, sizeof *l);
    l->name = strdup(name);
    l->type = sharing == SR_SHARING_WIFI ? SR_LINK_WIFI : SR_LINK_ETHERNET;
    l->bw_bps = bw_bps;
    l->latency_s = latency_s;
    l->sharing = sharing;
    l->per_device = dup_or_null(per_device);
    l->count = count;
    l->instances = expand(name, count);
    l->n_rates = 1;
    l->rates_bps[0] = bw_bps;
    return e->n_links++;
}

int fx_route(sr_experiment *e, const char *src, const char *dst, int symmetric, const char *const *links)
{
    GROW(e->routes, e->n_routes);
    sr_route_spec *r = &e->routes[e->n_routes];
    memset(r, 0, sizeof *r);
    r->src = strdup(src);
    r->dst = strdup(dst);
    r->symmetric = symmetric;
    while (links[r->n_links])
        r->n_links++;
    r->links = calloc((size_t)r->n_links, sizeof *r->links);
    for (int i = 0; i < r->n_links; i++)
        r->links[i] = strdup(links[i]);
    return e->n_routes++;
}

int fx_model(sr_experiment *e, const char *name, const char *source)
{
    GROW(e->models, e->n_models);
    sr_model_spec *m = &e->models[e->n_models];
    memset(m, 0, sizeof *m);
    m->name = strdup(name);
    m->source = strdup(source);
    m->precision = SR_PREC_FP32;
    return e->n_models++;
}

int fx_source(sr_experiment *e, const char *name, const char *devices, const char *model, double fps,
              sr_arrival arrival, double start_s)
{
    GROW(e->sources, e->n_sources);
    sr_source_spec *s = &e->sources[e->n_sources];
    memset(s, 0, sizeof *s);
    s->name = strdup(name);
    s->devices = strdup(devices);
    s->model = strdup(model);
    s->fps = fps;
    s->arrival = arrival;
    s->width = 100;
    s->height = 100;
    s->start_s = start_s;
    return e->n_sources++;
}

void fx_policy(sr_experiment *e, const char *type, const char *target, const char *split_at, double frame_bytes)
{
    free(e->policy.name);
    free(e->policy.type);
    sr_params_free(e->policy.params_sec, e->policy.params);
    e->policy.name = strdup(type);
    e->policy.type = strdup(type);
    e->policy.params = NULL;
    e->policy.params_sec = NULL;
    const sr_policy_ops *ops = sr_policy_find(type);
    if (!ops || !ops->params) return;
    /* zeroed parameters are the tables' defaults for the built-in policies */
    e->policy.params_sec = ops->params;
    e->policy.params = calloc(1, ops->params->size);
    sr_params_set_str(ops->params, e->policy.params, "target", target);
    sr_params_set_str(ops->params, e->policy.params, "split_at", split_at);
    sr_params_set_dbl(ops->params, e->policy.params, "frame_size", frame_bytes);
}


sr_status fx_tiny_graph(int act_features, sr_graph **out)
{
    sr_graph *g = NULL;
    sr_status st = sr_graph_create("tiny", &g);
    if (st != SR_OK) return st;
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 1, 1, 1000));
    int a = sr_graph_fc(g, "fc1", in, act_features, 1);
    int b = sr_graph_fc(g, "fc2", a, 10, 1);
    if (in < 0 || a < 0 || b < 0 || sr_graph_infer(g, NULL, 0) != SR_OK) {
        sr_graph_free(g);
        return SR_ERR_INVALID;
    }
    *out = g;
    return SR_OK;
}

static sr_status unit_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                             int last, sr_precision p, int batch, double *seconds)
{
    (void)m;
    (void)p;
    double t = 0;
    for (int id = first; id <= last; id++)
        if (sr_graph_node(g, id)->op != SR_OP_INPUT)
            t += (double)batch * 1e9 / (dev->speed_flops * dev->cores);
    *seconds = t;
    return SR_OK;
}

static const sr_cost_model_ops unit_ops = {"unit", unit_layers, NULL, 0};
static const sr_cost_model unit_model = {&unit_ops, NULL};

const sr_cost_model *fx_unit_cost(void)
{
    return &unit_model;
}

static sr_status flop_layers(const sr_cost_model *m, const sr_cost_device *dev, const sr_graph *g, int first,
                             int last, sr_precision p, int batch, double *seconds)
{
    (void)m, (void)p;
    double t = 0;
    for (int id = first; id <= last; id++)
        t += batch * sr_node_flops(g, id) / (dev->speed_flops * dev->cores);
    *seconds = t;
    return SR_OK;
}

static const sr_cost_model_ops flop_ops = {"flop", flop_layers, NULL, 0};
static const sr_cost_model flop_model = {&flop_ops, NULL};

const sr_cost_model *fx_flop_cost(void)
{
    return &flop_model;
}

static sr_status tiny_loader(const sr_model_spec *m, void *user, sr_graph **out, char *err, size_t err_size)
{
    (void)m;
    (void)err;
    (void)err_size;
    return fx_tiny_graph(*(int *)user, out);
}

sr_engine_opts fx_opts(int *act_features)
{
    sr_engine_opts o = {fx_unit_cost(), tiny_loader, act_features};
    return o;
}

/* ---- fork + pipe ---- */

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

sr_status fx_run_forked(const sr_experiment *e, uint64_t seed, const sr_engine_opts *opts, sr_run_output *out,
                        char *err, size_t err_size)
{
    int fds[2];
    if (pipe(fds) != 0) return SR_ERR_IO;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return SR_ERR_IO;
    if (pid == 0) {
        close(fds[0]);
        sr_run_output o;
        sr_run_output_init(&o);
        char msg[1024] = "";
        int st = sr_engine_run_opts(e, seed, opts, &o, msg, sizeof msg);
        size_t n[5] = {o.n_frames, o.n_hosts, o.n_links, o.n_metrics, o.n_tasks};
        write_all(fds[1], &st, sizeof st);
        write_all(fds[1], msg, sizeof msg);
        write_all(fds[1], n, sizeof n);
        write_all(fds[1], &o.end_s, sizeof o.end_s);
        if (n[0]) write_all(fds[1], o.frames, n[0] * sizeof *o.frames);
        if (n[1]) write_all(fds[1], o.hosts, n[1] * sizeof *o.hosts);
        if (n[2]) write_all(fds[1], o.links, n[2] * sizeof *o.links);
        if (n[3]) write_all(fds[1], o.metrics, n[3] * sizeof *o.metrics);
        if (n[4]) write_all(fds[1], o.tasks, n[4] * sizeof *o.tasks);
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    int st = SR_ERR_CHILD;
    char msg[1024] = "child died";
    size_t n[5] = {0, 0, 0, 0, 0};
    if (read_all(fds[0], &st, sizeof st) == 0 && read_all(fds[0], msg, sizeof msg) == 0 &&
        read_all(fds[0], n, sizeof n) == 0 && read_all(fds[0], &out->end_s, sizeof out->end_s) == 0) {
        for (size_t i = 0; i < n[0]; i++) {
            sr_frame_record r;
            if (read_all(fds[0], &r, sizeof r) == 0) sr_run_output_add_frame(out, &r);
        }
        for (size_t i = 0; i < n[1]; i++) {
            sr_host_stat h;
            if (read_all(fds[0], &h, sizeof h) == 0) sr_run_output_add_host(out, &h);
        }
        for (size_t i = 0; i < n[2]; i++) {
            sr_link_stat l;
            if (read_all(fds[0], &l, sizeof l) == 0) sr_run_output_add_link(out, &l);
        }
        for (size_t i = 0; i < n[3]; i++) {
            sr_metric m;
            if (read_all(fds[0], &m, sizeof m) == 0) sr_run_output_add_metric(out, m.name, m.value, m.unit);
        }
        for (size_t i = 0; i < n[4]; i++) {
            sr_task_record t;
            if (read_all(fds[0], &t, sizeof t) == 0) sr_run_output_add_task(out, &t);
        }
    } else {
        st = SR_ERR_CHILD;
    }
    close(fds[0]);
    int ws = 0;
    waitpid(pid, &ws, 0);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) st = SR_ERR_CHILD;
    if (err) snprintf(err, err_size, "%s", msg);
    return (sr_status)st;
}

sr_status fx_run_tiny(const sr_experiment *e, uint64_t seed, int act_features, sr_run_output *out)
{
    sr_engine_opts o = fx_opts(&act_features);
    sr_run_output_init(out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, seed, &o, out, err, sizeof err);
    if (st != SR_OK) fprintf(stderr, "engine failed: %s (%s)\n", sr_status_name(st), err);
    return st;
}

double fx_metric(const sr_run_output *o, const char *name)
{
    double v = NAN;
    return sr_run_output_metric(o, name, &v) == SR_OK ? v : NAN;
}
