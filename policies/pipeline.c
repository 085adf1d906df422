/* pipeline.c: the model cut into N stages at the given cuts, stage i on the i-th instance of the `stages`
 * device groups (their instances in order); frames flow through (collaborative perception's pipelining, Zhou
 * et al.'s Pipeline case).
 *
 * A job: the frame is sent from the source to stage 0 (frame_size bytes, default the raw frame; nothing when
 * the source device is stage 0's), stage i runs its layers, and the output of its last layer (at the model's
 * precision) is sent to stage i + 1. Each stage device serves its tasks in FIFO order, so successive frames
 * overlap: alone on an idle network a frame takes the sum of the stage and transfer times, and a stream
 * faster than the slowest stage completes one frame per slowest stage time. Cuts must be clean (the cut
 * layer's output is the only tensor crossing it). With return_result the final output goes back to the
 * source. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sr_multi.h"

#define PIPE_MAX_STAGES 64

typedef struct pipeline_params {
    char *stages;
    char *cuts;
    double frame_bytes;
    int return_result;
} pipeline_params;

static const sr_field fields[] = {
    {"stages", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "comma-separated device groups whose instances, in order, run stages 0..N-1 (N = number of cuts "
            "+ 1)",
     .offset = offsetof(pipeline_params, stages)},
    {"cuts", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "comma-separated last layers of every stage but the last, in graph order (block names such as "
            "layer2 "
            "mean the block's last layer); each cut must be clean",
     .offset = offsetof(pipeline_params, cuts)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL,
     .def_doc = "the raw input: width*height*3 (events: event_size)",
     .doc = "bytes of the frame sent to stage 0", .offset = offsetof(pipeline_params, frame_bytes)},
    {"return_result", SR_F_BOOL, .def = "false", .doc = "send the last stage's output back to the source",
     .offset = offsetof(pipeline_params, return_result)},
};
static const sr_section params = {
    "policy (type pipeline)",
    "policy",
    0,
    "Cut the model into stages at `cuts`, one stage per instance of `stages`; frames "
    "flow through.",
    fields,
    (int)(sizeof fields / sizeof fields[0]),
    sizeof(pipeline_params)};

/* The stage devices: the instances of the comma-separated groups, in order (at most max). -1 for an unknown
 * group (its name in bad). */
static int stage_devices(const sr_experiment *e, const char *list, int *group, int *inst, int max, int *n,
                         char *bad, size_t bad_size)
{
    *n = 0;
    const char *s = list;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        while (len && *s == ' ')
            s++, len--;
        while (len && s[len - 1] == ' ')
            len--;
        snprintf(bad, bad_size, "%.*s", (int)len, s);
        int g = sr_policy_device_index(e, bad);
        if (g < 0) return -1;
        for (int i = 0; i < e->devices[g].count && *n < max; i++)
            group[*n] = g, inst[*n] = i, (*n)++;
        if (!end) break;
        s = end + 1;
    }
    return 0;
}

/* Cut ids of model m into cuts (count *n); 0, or -1 with err. */
static int model_cuts(const pipeline_params *p, const sr_graph *g, int *cuts, int *n, char *err, size_t size)
{
    if (sr_multi_parse_layers(g, p->cuts, cuts, PIPE_MAX_STAGES - 1, n, err, size) != 0) return -1;
    for (int i = 0; i < *n; i++) {
        int in = -1, reader = sr_multi_unclean_reader(g, cuts[i], &in);
        if (reader >= 0) {
            snprintf(err, size,
                     "cutting after layer '%s' is not clean: layer '%s' also reads '%s' from before the cut",
                     sr_graph_node(g, cuts[i])->name, sr_graph_node(g, reader)->name,
                     sr_graph_node(g, in)->name);
            return -1;
        }
        if (cuts[i] >= sr_graph_node_count(g) - 1) {
            snprintf(err, size, "cut '%s' is the last layer: its stage would be empty",
                     sr_graph_node(g, cuts[i])->name);
            return -1;
        }
    }
    return 0;
}

static sr_status pipeline_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    const pipeline_params *p = p_;
    const sr_experiment *e = env->exp;
    int sg[PIPE_MAX_STAGES], si[PIPE_MAX_STAGES], nd = 0;
    char bad[128];
    if (p->stages && stage_devices(e, p->stages, sg, si, PIPE_MAX_STAGES, &nd, bad, sizeof bad) != 0) {
        sr_policy_error(d, "stages", "unknown device group '%s'", bad);
        return SR_OK;
    }
    for (int m = 0; m < e->n_models; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (!g || !sr_multi_model_used(e, m) || !p->cuts) continue;
        int cuts[PIPE_MAX_STAGES], n = 0;
        char msg[768];
        if (model_cuts(p, g, cuts, &n, msg, sizeof msg) != 0) {
            sr_policy_error(d, "cuts", "%s", msg);
            continue;
        }
        if (p->stages && nd < n + 1) {
            sr_policy_error(d, "stages", "%d stages need %d devices, '%s' has %d", n + 1, n + 1, p->stages,
                            nd);
            continue;
        }
        for (int i = 0; env->route_exists && i < n; i++)
            if (!env->route_exists(env->route_user, sg[i], si[i], sg[i + 1], si[i + 1]))
                sr_policy_error(d, "stages", "no route from '%s' to '%s' (stage %d to stage %d)",
                                e->devices[sg[i]].instances[si[i]],
                                e->devices[sg[i + 1]].instances[si[i + 1]], i, i + 1);
    }
    if (nd > 0 && env->route_exists)
        for (int s = 0; s < e->n_sources; s++) {
            int g = sr_policy_device_index(e, e->sources[s].devices);
            for (int i = 0; g >= 0 && i < e->devices[g].count; i++) {
                if (g == sg[0] && i == si[0]) continue;
                if (!env->route_exists(env->route_user, g, i, sg[0], si[0])) {
                    sr_policy_error(d, "stages", "no route from '%s' to stage 0 '%s'",
                                    e->devices[g].instances[i], e->devices[sg[0]].instances[si[0]]);
                    break;
                }
                if (p->return_result && !(g == sg[nd - 1] && i == si[nd - 1]) &&
                    !env->route_exists(env->route_user, sg[nd - 1], si[nd - 1], g, i)) {
                    sr_policy_error(d, "return_result", "no route from the last stage '%s' back to '%s'",
                                    e->devices[sg[nd - 1]].instances[si[nd - 1]], e->devices[g].instances[i]);
                    break;
                }
            }
        }
    return SR_OK;
}

static int same(sr_plan_dev a, sr_plan_dev b)
{
    return a.group == b.group && a.instance == b.instance;
}

static sr_status pipeline_plan(void *state, const void *p_, const sr_policy_env *env, const sr_plan_req *req,
                               sr_plan **out, char *err, size_t err_size)
{
    (void)state;
    const pipeline_params *p = p_;
    const sr_experiment *e = env->exp;
    const sr_graph *g = env->graphs[req->model];
    int cuts[PIPE_MAX_STAGES], n = 0, sg[PIPE_MAX_STAGES], si[PIPE_MAX_STAGES], nd = 0;
    char bad[128];
    if (stage_devices(e, p->stages, sg, si, PIPE_MAX_STAGES, &nd, bad, sizeof bad) != 0 ||
        model_cuts(p, g, cuts, &n, err, err_size) != 0 || nd < n + 1) {
        if (err) snprintf(err, err_size, "pipeline: stages '%s' / cuts '%s' do not fit", p->stages, p->cuts);
        return SR_ERR_INVALID;
    }
    sr_precision prec = e->models[req->model].precision;
    int last = sr_graph_node_count(g) - 1;
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    sr_plan_dev at = src;
    int prev = -1, first = 0;
    for (int i = 0; i <= n; i++) {
        sr_plan_dev dev = {SR_ROLE_OTHER, sg[i], si[i]};
        int end = i < n ? cuts[i] : last;
        if (!same(at, dev)) {
            char label[SR_PLAN_LABEL_MAX];
            int t;
            if (i == 0) {
                double bytes = p->frame_bytes > 0 ? p->frame_bytes
                                                  : sr_policy_raw_frame_bytes(&e->sources[req->source_spec]);
                t = sr_plan_add_transfer(*out, at, dev, SR_PAYLOAD_FRAME, bytes, "frame");
            } else {
                snprintf(label, sizeof label, "act%d", i);
                t = sr_plan_add_transfer(*out, at, dev, SR_PAYLOAD_ACTIVATION,
                                         (double)sr_node_output_bytes(g, first - 1, prec), label);
                if (t >= 0)
                    sr_plan_task_mut(*out, t)->node = first - 1,
                                           sr_plan_task_mut(*out, t)->model = req->model;
            }
            if (t < 0) return (sr_status)t;
            if (prev >= 0 && (st = sr_plan_add_dep(*out, prev, t)) != SR_OK) return st;
            prev = t;
        }
        char label[SR_PLAN_LABEL_MAX];
        snprintf(label, sizeof label, "stage%d", i);
        int c = sr_plan_add_layers(*out, dev, req->model, first, end, label);
        if (c < 0) return (sr_status)c;
        if (prev >= 0 && (st = sr_plan_add_dep(*out, prev, c)) != SR_OK) return st;
        prev = c, at = dev, first = end + 1;
    }
    if (p->return_result && !same(at, src)) {
        int t = sr_plan_add_transfer(*out, at, src, SR_PAYLOAD_BYTES,
                                     (double)sr_node_output_bytes(g, last, prec), "result");
        if (t < 0) return (sr_status)t;
        if ((st = sr_plan_add_dep(*out, prev, t)) != SR_OK) return st;
    }
    return SR_OK;
}

const sr_policy_ops sr_policy_pipeline = {
    .name = "pipeline",
    .doc = "cut the model into stages at `cuts`, stage i on instance i of `stages`; frames flow through",
    .params = &params,
    .check = pipeline_check,
    .plan = pipeline_plan,
};
