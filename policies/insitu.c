/* insitu.c: In-situ AI (Song et al., HPCA'18): inference on the node, a diagnosis that uploads the images the
 * model does not recognise, incremental training in the cloud and the new model pushed back (docs/papers/insitu.md).
 *
 * The learning is measured, not assumed: `simrun train --stages` trains a real model stage by stage on real
 * images and stores per stage and system how many new images were uploaded and trained on (table
 * insitu_stages, calibration/learntab). This policy replays one system of the paper's Fig. 24 with those rows:
 *   a  every image uploaded, no diagnosis, the cloud trains on all of them;
 *   b  every image uploaded, the diagnosis runs in the cloud, the cloud trains on the unrecognised ones;
 *   c  the diagnosis runs on the node, only unrecognised images are uploaded and trained on;
 *   d  as c, but the cloud retrains only the layers from `transfer_from` on (weight sharing) and pushes only those.
 * Stages: stage k ends when stage_scale x acquired[k] jobs of all sources have ended. Then the cloud trains (one
 * job of the policy: SR_WORK_SECONDS priced by the cloud's cost model at train_batch, see train_seconds) and
 * pushes the model to every node; when the push has reached all nodes the nodes run model version v and new jobs
 * upload the fraction the real model of version v left unrecognised (row v of the table). Until the first model
 * arrives a node has no model: it uploads every image and runs nothing.
 *
 * Working modes on the node: inference and diagnosis tasks carry co-run classes; on one executor they take turns
 * (concurrency 1: Single-running, the diagnosis batched by diagnosis_batch) or co-run (concurrency 2), where the
 * device's `interference` slows the one that starts second (the GPU of the paper's Fig. 16); `engines: dedicated`
 * puts them on executors 0 and 1 (the FPGA's dedicated engines), which never slow each other.
 *
 * Upload within a stage is fluid: each job sends upload_fraction x frame_size bytes (the expected bytes of a
 * Bernoulli choice), so totals per stage are exact while single jobs are not drawn one by one. Training and
 * pushes are priced on the first source's model (the experiment's model: the paper's AlexNet-class net, say),
 * while the fractions come from the net the stage table was measured with (LeNet-5 on Fashion-MNIST). */
#include "sr_policy.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gpu_insitu_time.h"
#include "sr_hw_graph.h"
#include "sr_learntab.h"
#include "sr_profile.h"

typedef enum { SYS_A, SYS_B, SYS_C, SYS_D, SYS_N } insitu_sys;
static const char *const k_sys_names[SYS_N] = {"a", "b", "c", "d"};
static const char *const k_engine_names[2] = {"shared", "dedicated"};
enum { CLASS_INFERENCE = 1, CLASS_DIAGNOSIS = 2 };

typedef struct insitu_params {
    int system;
    char *cloud;
    char *stages_db;
    char *net;
    char *transfer_from;
    char *diagnosis_model;
    double frame_bytes;
    int train_batch;
    double stage_scale;
    int engines;
    int diagnosis_batch;
    double diagnosis_wait_s;
    double inference_bound_s;
} insitu_params;

static const sr_field fields[] = {
    {"system", SR_F_ENUM, .names = k_sys_names, .n_names = SYS_N, .def = "d",
     .doc = "the paper's Fig. 24: a all data to the cloud, b diagnosis in the cloud, c diagnosis on the node, d "
            "diagnosis on the node with weight sharing",
     .offset = offsetof(insitu_params, system)},
    {"cloud", SR_F_STR, .flags = SR_FF_REQUIRED, .doc = "device group that receives uploads and trains",
     .offset = offsetof(insitu_params, cloud)},
    {"stages_db", SR_F_STR, .flags = SR_FF_REQUIRED | SR_FF_PATH,
     .doc = "SQLite file with the insitu_stages rows of `simrun train --stages --db FILE`",
     .offset = offsetof(insitu_params, stages_db)},
    {"net", SR_F_STR, .def = "lenet5", .doc = "the trained net whose stage rows to read",
     .offset = offsetof(insitu_params, net)},
    {"transfer_from", SR_F_STR, .def_doc = "the model's second-to-last conv layer",
     .doc = "system d: first layer the cloud retrains and pushes (the layers before it are shared)",
     .offset = offsetof(insitu_params, transfer_from)},
    {"diagnosis_model", SR_F_STR, .def_doc = "the source's model",
     .doc = "model (of `models`) whose layers price the diagnosis of one image",
     .offset = offsetof(insitu_params, diagnosis_model)},
    {"frame_size", SR_F_QTY, SR_UNIT_SIZE, SR_FF_HAS_MIN | SR_FF_MIN_EXCL,
     .def_doc = "the raw input: width*height*3 (events: event_size)", .doc = "bytes of one uploaded image",
     .offset = offsetof(insitu_params, frame_bytes)},
    {"train_batch", SR_F_INT, .flags = SR_FF_HAS_MIN | SR_FF_HAS_MAX, .min = 1, .max = 65536, .def = "256",
     .doc = "mini-batch of the cloud's training (priced at this batch)", .offset = offsetof(insitu_params, train_batch)},
    {"stage_scale", SR_F_FLOAT, .flags = SR_FF_HAS_MIN | SR_FF_MIN_EXCL, .min = 0, .def = "1",
     .doc = "jobs per image of the stage table: stage k ends after stage_scale x acquired[k] jobs",
     .offset = offsetof(insitu_params, stage_scale)},
    {"engines", SR_F_ENUM, .names = k_engine_names, .n_names = 2, .def = "shared",
     .doc = "node working mode: shared = inference and diagnosis on one executor (concurrency 1: they take turns, "
            "Single-running; concurrency 2: Co-running, slowed by the device's interference); dedicated = inference "
            "on executor 0, diagnosis on executor 1 (the FPGA's dedicated engines; needs executors >= 2)",
     .offset = offsetof(insitu_params, engines)},
    {"diagnosis_batch", SR_F_INT, .flags = SR_FF_HAS_MIN, .min = 0, .def = "1",
     .doc = "node diagnoses run in batches of up to this many images (priced at the batch); 0 = the largest batch "
            "the node's memory holds (In-situ AI eq. 9; needs a profile with a gpu_model)",
     .offset = offsetof(insitu_params, diagnosis_batch)},
    {"diagnosis_wait", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s",
     .doc = "longest wait of a diagnosis for its batch to fill", .offset = offsetof(insitu_params, diagnosis_wait_s)},
    {"inference_bound", SR_F_QTY, SR_UNIT_TIME, SR_FF_HAS_MIN, .def = "0s",
     .doc = "Single-running inference batching: the largest batch whose time (In-situ AI GPU time model, eqs. 1-8) "
            "and memory (eq. 9) fit this bound, waiting at most the bound's slack; 0 = no batching (needs a "
            "profile with a gpu_model)",
     .offset = offsetof(insitu_params, inference_bound_s)},
};
static const sr_section params = {"policy (type insitu)", "policy", 0,
                                  "In-situ AI: inference on the node, diagnosis upload, incremental training in "
                                  "`cloud`, model pushed back; upload fractions from a real model's stages.",
                                  fields, (int)(sizeof fields / sizeof fields[0]), sizeof(insitu_params)};

#define MAX_NODES 4096

typedef struct insitu_state {
    sr_stage_row *rows;
    int n_rows;
    int64_t bound[SR_LEARN_MAX_STAGES]; /* jobs ended when stage k ends */
    int cloud;                          /* device group */
    int diag_model;                     /* -1: each source's own model */
    int version;                        /* model version on the nodes (0: none yet) */
    int next_stage;                     /* the next stage to end */
    int64_t jobs_ended;
    int in_flight;                      /* updates submitted, not arrived */
    double stage_end_s[SR_LEARN_MAX_STAGES], arrive_s[SR_LEARN_MAX_STAGES], train_s[SR_LEARN_MAX_STAGES];
    double push_bytes[SR_LEARN_MAX_STAGES], upload_bytes[SR_LEARN_MAX_STAGES + 1];
    int inf_batch, diag_batch; /* node batches (1: none) */
    double inf_wait_s;
    int n_nodes;
    sr_plan_dev nodes[MAX_NODES];
} insitu_state;

/* Index of the model called name in `models`, -1 when none. */
static int model_index(const sr_experiment *e, const char *name)
{
    for (int m = 0; name && m < e->n_models; m++)
        if (e->models[m].name && strcmp(e->models[m].name, name) == 0) return m;
    return -1;
}

/* The default transfer_from: the second-to-last conv node (the paper retrains the last two conv layers). */
static int default_transfer_from(const sr_graph *g)
{
    int last = -1, prev = -1;
    for (int id = 0; id < sr_graph_node_count(g); id++)
        if (sr_graph_node(g, id)->op == SR_OP_CONV) {
            prev = last;
            last = id;
        }
    return prev >= 0 ? prev : last >= 0 ? last : 0;
}

static int transfer_node(const insitu_params *p, const sr_graph *g)
{
    return p->transfer_from ? sr_policy_find_layer(g, p->transfer_from) : default_transfer_from(g);
}

/* The In-situ AI GPU preset of device group g's profile; SR_ERR_NOT_FOUND when its profile names none. */
static sr_status node_gpu(const sr_experiment *e, int g, sr_gpu_insitu_params *gp)
{
    const sr_profile *pr = g >= 0 && e->devices[g].profile ? sr_profile_find(e->devices[g].profile) : NULL;
    if (!pr || !pr->gpu_model) return SR_ERR_NOT_FOUND;
    return sr_gpu_insitu_preset(pr->gpu_model, gp);
}

/* Batches of the node from the GPU model: inference under inference_bound (eqs. 1-9), diagnosis by memory
 * (eq. 9). s->inf_batch / diag_batch / inf_wait_s; batch 1 where not asked for. */
static sr_status node_batches(const insitu_params *p, const sr_policy_env *env, insitu_state *s, char *err,
                              size_t err_size)
{
    const sr_experiment *e = env->exp;
    s->inf_batch = 1;
    s->diag_batch = p->diagnosis_batch > 0 ? p->diagnosis_batch : 1;
    s->inf_wait_s = 0;
    if (!(p->inference_bound_s > 0) && p->diagnosis_batch > 0) return SR_OK;
    const int g = sr_policy_device_index(e, e->sources[0].devices);
    sr_gpu_insitu_params gp;
    if (node_gpu(e, g, &gp) != SR_OK) {
        snprintf(err, err_size, "insitu: the node's profile has no In-situ AI GPU model (gpu_model)");
        return SR_ERR_INVALID;
    }
    enum { CAP = 512 };
    sr_hw_layer *layers = malloc(sizeof *layers * CAP);
    if (!layers) return SR_ERR_NOMEM;
    int n = 0;
    sr_status st = SR_OK;
    const int m = model_index(e, e->sources[0].model), dm = s->diag_model >= 0 ? s->diag_model : m;
    if (p->inference_bound_s > 0) {
        double t = 0;
        st = sr_hw_layers_from_graph(env->graphs[m], layers, CAP, &n, err, err_size);
        if (st == SR_OK) st = sr_gpu_insitu_select_batch(&gp, layers, n, p->inference_bound_s, 4096, &s->inf_batch, &t);
        if (st == SR_ERR_NOT_FOUND)
            snprintf(err, err_size, "insitu: one inference takes longer than inference_bound on the node");
        s->inf_wait_s = p->inference_bound_s - t;
    }
    if (st == SR_OK && p->diagnosis_batch == 0) {
        st = sr_hw_layers_from_graph(env->graphs[dm], layers, CAP, &n, err, err_size);
        if (st == SR_OK) st = sr_gpu_insitu_max_batch_memory(&gp, layers, n, 4096, &s->diag_batch);
    }
    free(layers);
    return st;
}

static sr_status insitu_check(const void *params_, const sr_policy_env *env, sr_policy_diag *d)
{
    const insitu_params *p = params_;
    const sr_experiment *e = env->exp;
    sr_policy_check_target(env, d, "cloud", p->cloud);
    struct stat sb;
    if (!p->stages_db || stat(p->stages_db, &sb) != 0) {
        sr_policy_error(d, "stages_db", "stage table '%s' not found; make it with `simrun train --stages --db %s`",
                        p->stages_db ? p->stages_db : "", p->stages_db ? p->stages_db : "FILE");
    } else {
        sr_stage_row *rows = NULL;
        int n = 0;
        char err[512] = "";
        if (sr_learntab_lookup(p->stages_db, p->net, k_sys_names[p->system], &rows, &n, err, sizeof err) != SR_OK)
            sr_policy_error(d, "stages_db", "%s", err);
        free(rows);
    }
    for (int si = 0; p->engines == 1 && si < e->n_sources; si++) {
        int g = sr_policy_device_index(e, e->sources[si].devices);
        if (g >= 0 && e->devices[g].executors < 2)
            sr_policy_error(d, "engines", "dedicated engines need executors >= 2 on '%s' (it has %d)",
                            e->devices[g].name, e->devices[g].executors);
    }
    if (p->inference_bound_s > 0 || p->diagnosis_batch == 0)
        for (int si = 0; si < e->n_sources; si++) {
            sr_gpu_insitu_params gp;
            int g = sr_policy_device_index(e, e->sources[si].devices);
            if (g >= 0 && node_gpu(e, g, &gp) != SR_OK)
                sr_policy_error(d, p->inference_bound_s > 0 ? "inference_bound" : "diagnosis_batch",
                                "batches from the In-situ AI time and memory models need a node profile with a "
                                "gpu_model ('%s' has profile '%s')",
                                e->devices[g].name, e->devices[g].profile ? e->devices[g].profile : "none");
        }
    if (p->diagnosis_model && model_index(e, p->diagnosis_model) < 0)
        sr_policy_error(d, "diagnosis_model", "no model named '%s' in `models`", p->diagnosis_model);
    for (int m = 0; p->transfer_from && env->graphs && m < e->n_models; m++)
        if (env->graphs[m] && sr_policy_find_layer(env->graphs[m], p->transfer_from) < 0) {
            char some[256];
            sr_policy_sample_layers(env->graphs[m], some, sizeof some);
            sr_policy_error(d, "transfer_from", "model '%s' has no layer '%s' (layers: %s)", e->models[m].name,
                            p->transfer_from, some);
        }
    return SR_OK;
}

static void insitu_fini(void *state)
{
    insitu_state *s = state;
    if (!s) return;
    free(s->rows);
    free(s);
}

static sr_status insitu_init(const void *params_, const sr_policy_env *env, void **state, char *err, size_t err_size)
{
    const insitu_params *p = params_;
    const sr_experiment *e = env->exp;
    insitu_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    sr_status st = sr_learntab_lookup(p->stages_db, p->net, k_sys_names[p->system], &s->rows, &s->n_rows, err, err_size);
    if (st != SR_OK) goto fail;
    if (s->n_rows > SR_LEARN_MAX_STAGES) s->n_rows = SR_LEARN_MAX_STAGES;
    for (int k = 0; k < s->n_rows; k++) {
        s->bound[k] = llround(p->stage_scale * (double)s->rows[k].acquired);
        if (s->bound[k] < 1) s->bound[k] = 1;
    }
    s->cloud = sr_policy_device_index(e, p->cloud);
    s->diag_model = p->diagnosis_model ? model_index(e, p->diagnosis_model) : -1;
    if ((st = node_batches(p, env, s, err, err_size)) != SR_OK) goto fail;
    /* every device instance that emits jobs gets the pushed model */
    for (int si = 0; si < e->n_sources; si++) {
        int g = sr_policy_device_index(e, e->sources[si].devices);
        for (int i = 0; g >= 0 && i < e->devices[g].count; i++) {
            int seen = 0;
            for (int k = 0; k < s->n_nodes; k++) seen |= s->nodes[k].group == g && s->nodes[k].instance == i;
            if (seen) continue;
            if (s->n_nodes == MAX_NODES) {
                snprintf(err, err_size, "insitu: more than %d nodes", MAX_NODES);
                st = SR_ERR_RANGE;
                goto fail;
            }
            s->nodes[s->n_nodes++] = (sr_plan_dev){SR_ROLE_SOURCE, g, i};
        }
    }
    *state = s;
    return SR_OK;
fail:
    insitu_fini(s);
    return st;
}

/* Fraction of new images uploaded while the nodes run model version v. */
static double upload_fraction(const insitu_params *p, const insitu_state *s)
{
    if (p->system == SYS_A || p->system == SYS_B || s->version == 0) return 1.0;
    int k = s->version < s->n_rows ? s->version : s->n_rows - 1;
    return s->rows[k].upload_fraction;
}

static double frame_bytes(const insitu_params *p, const sr_experiment *e, int source_spec)
{
    return p->frame_bytes > 0 ? p->frame_bytes : sr_policy_raw_frame_bytes(&e->sources[source_spec]);
}

static sr_status insitu_plan(void *state, const void *params_, const sr_policy_env *env, const sr_plan_req *req,
                             sr_plan **out, char *err, size_t err_size)
{
    const insitu_params *p = params_;
    insitu_state *s = state;
    const sr_experiment *e = env->exp;
    sr_plan_dev node = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev cloud = {SR_ROLE_TARGET, s->cloud, sr_policy_target_instance(e, s->cloud, req->instance)};
    if (node.group == cloud.group && node.instance == cloud.instance) {
        snprintf(err, err_size, "insitu: the cloud of '%s' is the node itself", e->devices[req->group].name);
        return SR_ERR_INVALID;
    }
    const int m = req->model, dm = s->diag_model >= 0 ? s->diag_model : req->model;
    const int last = sr_graph_node_count(env->graphs[m]) - 1, dlast = sr_graph_node_count(env->graphs[dm]) - 1;
    const double bytes = frame_bytes(p, e, req->source_spec) * upload_fraction(p, s);
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int up = -1, inf = -1, diag = -1;
    if (s->version == 0) { /* no model on the node yet: every image goes up */
        up = sr_plan_add_transfer(*out, node, cloud, SR_PAYLOAD_FRAME, bytes, "upload");
        return up < 0 ? (sr_status)up : SR_OK;
    }
    inf = sr_plan_add_layers(*out, node, m, 0, last, "inference");
    if (inf < 0) return (sr_status)inf;
    sr_plan_task *it = sr_plan_task_mut(*out, inf);
    it->corun_class = CLASS_INFERENCE;
    if (p->engines == 1) it->executor = 0;
    if (s->inf_batch > 1) {
        it->batch_key = 2;
        it->batch_max = s->inf_batch;
        it->batch_wait_s = s->inf_wait_s;
    }
    switch ((insitu_sys)p->system) {
    case SYS_A:
        up = sr_plan_add_transfer(*out, node, cloud, SR_PAYLOAD_FRAME, bytes, "upload");
        break;
    case SYS_B:
        up = sr_plan_add_transfer(*out, node, cloud, SR_PAYLOAD_FRAME, bytes, "upload");
        if (up >= 0) diag = sr_plan_add_layers(*out, cloud, dm, 0, dlast, "diagnosis");
        if (diag >= 0) st = sr_plan_add_dep(*out, up, diag);
        break;
    case SYS_C:
    case SYS_D:
        diag = sr_plan_add_layers(*out, node, dm, 0, dlast, "diagnosis");
        if (diag < 0) return (sr_status)diag;
        sr_plan_task *dt = sr_plan_task_mut(*out, diag);
        dt->corun_class = CLASS_DIAGNOSIS;
        if (p->engines == 1) dt->executor = 1;
        if (s->diag_batch > 1) {
            dt->batch_key = 1;
            dt->batch_max = s->diag_batch;
            dt->batch_wait_s = p->diagnosis_wait_s;
        }
        if (bytes > 0) { /* a model that recognises everything uploads nothing */
            up = sr_plan_add_transfer(*out, node, cloud, SR_PAYLOAD_FRAME, bytes, "upload");
            if (up >= 0) st = sr_plan_add_dep(*out, diag, up);
        } else {
            up = diag;
        }
        break;
    case SYS_N:
        break;
    }
    if (up < 0) return (sr_status)up;
    if (diag < 0 && p->system == SYS_B) return (sr_status)diag;
    return st;
}

/* Seconds of the cloud's update of stage k: epochs x the stage's training images in batches of train_batch, each
 * batch the model's forward pass on the cloud's cost model at that batch times (training MACs / forward MACs),
 * where a training image costs the forward pass plus, for every trained layer, its MACs again for the weight
 * gradient and once more for the input gradient except at the first trained layer (nothing below needs it). */
static sr_status train_seconds(const insitu_params *p, const insitu_state *s, const sr_policy_env *env, int model,
                               int k, int from, double *seconds, char *err, size_t err_size)
{
    const sr_graph *g = env->graphs[model];
    const int n = sr_graph_node_count(g);
    double fwd = 0, train = 0;
    for (int id = 0; id < n; id++) {
        const double macs = (double)sr_graph_node(g, id)->macs;
        fwd += macs;
        train += macs;
        if (id >= from && macs > 0) train += macs + (id > from ? macs : 0);
    }
    const double images = llround(p->stage_scale * (double)s->rows[k].train_images);
    const double B = p->train_batch, full = floor(images / B), rem = images - full * B;
    sr_plan_task t = {.kind = SR_TASK_COMPUTE, .dev = {SR_ROLE_TARGET, s->cloud, 0}, .work = SR_WORK_LAYERS,
                      .model = model, .first_layer = 0, .last_layer = n - 1, .node = -1};
    snprintf(t.label, sizeof t.label, "train");
    double tb = 0, tr = 0;
    sr_status st = full > 0 ? sr_price_task(env, &t, p->train_batch, &tb, err, err_size) : SR_OK;
    if (st == SR_OK && rem > 0) st = sr_price_task(env, &t, (int)rem, &tr, err, err_size);
    if (st != SR_OK) return st;
    *seconds = (fwd > 0 ? train / fwd : 1.0) * s->rows[k].epochs * (full * tb + tr);
    return SR_OK;
}

/* The update after stage k: train in the cloud, then push to every node (fan-out). */
static sr_status submit_update(const insitu_params *p, insitu_state *s, const sr_policy_env *env,
                               const sr_policy_sim *sim, int k)
{
    const sr_experiment *e = env->exp;
    const int model = model_index(e, e->sources[0].model);
    const sr_graph *g = env->graphs[model];
    const int from = (p->system == SYS_D && k > 0) ? transfer_node(p, g) : 0;
    char err[256] = "";
    double secs = 0;
    sr_status st = train_seconds(p, s, env, model, k, from, &secs, err, sizeof err);
    if (st != SR_OK) return st;
    double bytes = 0;
    for (int id = from; id < sr_graph_node_count(g); id++) bytes += (double)sr_node_weight_bytes(g, id, SR_PREC_FP32);
    sr_plan *plan = NULL;
    if ((st = sr_plan_create(&plan)) != SR_OK) return st;
    sr_plan_dev cloud = {SR_ROLE_TARGET, s->cloud, 0};
    int t = sr_plan_add_work(plan, cloud, SR_WORK_SECONDS, secs, "train");
    for (int i = 0; t >= 0 && i < s->n_nodes; i++) {
        sr_plan_dev c = {SR_ROLE_TARGET, s->cloud, sr_policy_target_instance(e, s->cloud, s->nodes[i].instance)};
        int push = sr_plan_add_transfer(plan, c, s->nodes[i], SR_PAYLOAD_MODEL, bytes, "model-push");
        if (push < 0) {
            t = push;
            break;
        }
        sr_plan_task_mut(plan, push)->version = k + 1;
        if ((st = sr_plan_add_dep(plan, t, push)) != SR_OK) break;
    }
    if (t < 0 || st != SR_OK) {
        sr_plan_free(plan);
        return t < 0 ? (sr_status)t : st;
    }
    s->stage_end_s[k] = sim->now_s;
    s->train_s[k] = secs;
    s->push_bytes[k] = bytes * s->n_nodes;
    s->in_flight++;
    return sim->submit(sim->eng, plan);
}

static sr_status insitu_event(void *state, const void *params_, const sr_policy_env *env, const sr_policy_event *ev,
                              const sr_policy_sim *sim)
{
    const insitu_params *p = params_;
    insitu_state *s = state;
    if (ev->kind != SR_EVENT_JOB_DONE) return SR_OK;
    if (ev->source < 0) { /* an update reached every node */
        if (s->in_flight > 0) {
            s->in_flight--;
            s->arrive_s[s->version < SR_LEARN_MAX_STAGES ? s->version : SR_LEARN_MAX_STAGES - 1] = ev->time_s;
            s->version++;
            sim->replan(sim->eng, -1);
        }
        return SR_OK;
    }
    /* the job's bytes, counted in the stage it ended in (jobs are short next to stages) */
    int stage = s->next_stage < s->n_rows ? s->next_stage : s->n_rows;
    s->upload_bytes[stage] += ev->bytes_sent;
    s->jobs_ended++;
    while (s->next_stage < s->n_rows && s->jobs_ended >= s->bound[s->next_stage]) {
        sr_status st = submit_update(p, s, env, sim, s->next_stage);
        s->next_stage++;
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

static sr_status insitu_metrics(void *state, const void *params_, const sr_policy_env *env, sr_policy_metric_fn add,
                                void *user)
{
    (void)params_, (void)env;
    const insitu_state *s = state;
    char name[64];
    add(user, "insitu_stages_ended", s->next_stage, "");
    add(user, "insitu_model_version", s->version, "");
    add(user, "insitu_inference_batch", s->inf_batch, "");
    add(user, "insitu_diagnosis_batch", s->diag_batch, "");
    for (int k = 0; k < s->next_stage && k < s->n_rows; k++) {
        snprintf(name, sizeof name, "insitu_upload_bytes_stage%d", k);
        add(user, name, s->upload_bytes[k], "B");
        snprintf(name, sizeof name, "insitu_upload_fraction_stage%d", k);
        add(user, name, s->rows[k].upload_fraction, "");
        snprintf(name, sizeof name, "insitu_train_s_stage%d", k);
        add(user, name, s->train_s[k], "s");
        snprintf(name, sizeof name, "insitu_push_bytes_stage%d", k);
        add(user, name, s->push_bytes[k], "B");
        if (k < s->version) {
            snprintf(name, sizeof name, "insitu_update_time_s_stage%d", k);
            add(user, name, s->arrive_s[k] - s->stage_end_s[k], "s");
        }
    }
    return SR_OK;
}

const sr_policy_ops sr_policy_insitu = {
    .name = "insitu",
    .doc = "In-situ AI (Fig. 24 a-d): inference on the node, diagnosis upload at the fractions a real model "
           "measured per stage, cloud training priced at its batch, model pushed back",
    .params = &params,
    .check = insitu_check,
    .init = insitu_init,
    .plan = insitu_plan,
    .on_event = insitu_event,
    .metrics = insitu_metrics,
    .fini = insitu_fini,
};
