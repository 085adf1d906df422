/* split.c: layers [0..split_at] on the source device, the activation of split_at (its output bytes at
 * activation_precision) sent to a target instance, the remaining layers there (Emmons et al.'s split-brain
 * inference, Neurosurgeon's fixed split).
 *
 * With an activation codec: head -> "encode" on the source -> the coded activation
 * (ceil(elements x bits_per_element / 8) bytes) -> "decode" on the target -> tail. Model mode prices the codec
 * from a codec table row (sr_codectab.h: bits per element, encode/decode seconds per element on the measuring
 * host, scaled by codec_host_speed / (device speed x efficiency)); exact mode runs the codec for real (the row,
 * when given, still prices the time; without one the codec costs 0 s).
 *
 * The graph need not be a chain, but the cut must be clean: split_at's output must be the only tensor that a
 * node after the cut reads from a node before it (constants excepted: weights live on both sides). When
 * split_at is the last node, the result itself is sent and the target computes nothing. A block name
 * ("layer2") stands for the block's last layer. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_policy.h"

typedef struct split_params {
    char *target;
    char *split_at;
    sr_precision activation_precision;
    char *codec;
    char *codec_table;
    double codec_host_flops;
} split_params;

static const char *const precisions[] = {"fp32", "fp16", "int8"}; /* sr_precision order */
_Static_assert(SR_PREC_COUNT == 3 && SR_PREC_FP32 == 0 && SR_PREC_FP16 == 1 && SR_PREC_INT8 == 2,
               "precision names follow sr_precision");
_Static_assert(sizeof(sr_precision) == sizeof(int), "enum fields are stored as int");

static const sr_field fields[] = {
    {"target", SR_F_STR, .flags = SR_FF_REQUIRED, .doc = "device group that runs the layers after the cut",
     .offset = offsetof(split_params, target)},
    {"split_at", SR_F_STR, .flags = SR_FF_REQUIRED,
     .doc = "the last layer run on the source device (a layer of every source's model; a block name such as "
            "layer2 means the block's last layer); the cut must be clean",
     .offset = offsetof(split_params, split_at)},
    {"activation_precision", SR_F_ENUM, .names = precisions, .n_names = 3, .def = "fp32",
     .doc = "precision of the activation sent to target (without a codec)",
     .offset = offsetof(split_params, activation_precision)},
    {"codec", SR_F_STR, .def_doc = "none (raw activation)",
     .doc = "activation codec pipeline (docs/codec-table.md), e.g. quant8+rans; adds an encode task on the "
            "source and a decode task on the target; excludes activation_precision",
     .offset = offsetof(split_params, codec)},
    {"codec_table", SR_F_STR, .flags = SR_FF_PATH, .def_doc = "-",
     .doc = "SQLite file made by `simrun codec-table` (relative to the experiment file) giving bits per element, "
            "encode/decode time and fidelity; required in model mode with a codec, optional in exact mode "
            "(encode/decode then cost 0 simulated seconds)",
     .offset = offsetof(split_params, codec_table)},
    {"codec_host_speed", SR_F_QTY, SR_UNIT_FLOPS, SR_FF_HAS_MIN, .def = "0f",
     .doc = "single-core speed of the machine that measured codec_table; encode/decode times are scaled by it / "
            "(device speed x efficiency); 0 = used as measured",
     .offset = offsetof(split_params, codec_host_flops)},
};
static const sr_section params = {"policy (type split)", "policy", 0,
                                  "Run layers up to `split_at` on the source, send the (coded) activation, finish "
                                  "on `target`.",
                                  fields, (int)(sizeof fields / sizeof fields[0]), sizeof(split_params)};

/* Per model: where the cut is and how its codec is priced. */
typedef struct split_model {
    int cut;
    sr_plan_codec codec;
    int has_row;
    sr_codectab_row row;
} split_model;

typedef struct split_state {
    split_model *models; /* exp->n_models; cut -1 for models no source uses */
    int n_models;
} split_state;

/* The first node after the cut that reads a non-constant tensor from before it, or -1 (a clean cut). */
static int unclean_reader(const sr_graph *g, int cut, int *input)
{
    int n = sr_graph_node_count(g);
    for (int id = cut + 1; id < n; id++) {
        const sr_node *nd = sr_graph_node(g, id);
        for (int k = 0; k < nd->n_inputs; k++) {
            int in = nd->inputs[k];
            if (in < cut && sr_graph_node(g, in)->op != SR_OP_CONST) {
                *input = in;
                return id;
            }
        }
    }
    return -1;
}

/* Is model m used by a source? */
static int model_used(const sr_experiment *e, int m)
{
    for (int s = 0; s < e->n_sources; s++)
        if (e->sources[s].model && e->models[m].name && strcmp(e->sources[s].model, e->models[m].name) == 0) return 1;
    return 0;
}

static sr_status split_check(const void *params_, const sr_policy_env *env, sr_policy_diag *d)
{
    const split_params *p = params_;
    const sr_experiment *e = env->exp;
    int prec_given = d->given && d->given(d->user, "activation_precision");
    int table_given = p->codec_table != NULL, host_given = d->given && d->given(d->user, "codec_host_speed");
    sr_policy_check_target(env, d, "target", p->target);
    if (!p->codec) {
        if (table_given) sr_policy_error(d, "codec_table", "'codec_table' needs 'codec' (the pipeline whose row to read)");
        if (host_given) sr_policy_error(d, "codec_host_speed", "'codec_host_speed' needs 'codec'");
    } else {
        if (prec_given)
            sr_policy_error(d, "activation_precision",
                            "'activation_precision' and 'codec' exclude each other: the codec decides how the "
                            "activation is sent (use e.g. codec: quant8, or codec: raw for fp32)");
        if (e->mode == SR_MODE_MODEL && !table_given)
            sr_policy_error(d, "codec",
                            "split policy has a codec but no codec_table: model mode prices the codec from a table "
                            "made by `simrun codec-table` (or use mode: exact)");
    }
    int table_ok = 0;
    if (p->codec && table_given) {
        struct stat st;
        if (stat(p->codec_table, &st) != 0 || !S_ISREG(st.st_mode))
            sr_policy_error(d, "codec_table", "codec table file '%s' not found; make it with `simrun codec-table`",
                            p->codec_table);
        else
            table_ok = 1;
    }
    int errors_before = d->errors, coded = 0;
    for (int m = 0; m < e->n_models; m++) {
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        if (!g || !model_used(e, m)) continue;
        int cut = sr_policy_find_layer(g, p->split_at);
        if (cut < 0) {
            char layers[512];
            sr_policy_sample_layers(g, layers, sizeof layers);
            sr_policy_error(d, "split_at", "model '%s' (%s) has no layer '%s' (layers include: %s)", e->models[m].name,
                            e->models[m].source, p->split_at, layers);
            continue;
        }
        int in = -1, reader = unclean_reader(g, cut, &in);
        if (reader >= 0) {
            sr_policy_error(d, "split_at",
                            "cutting model '%s' after layer '%s' is not clean: layer '%s' also reads '%s' from before "
                            "the cut",
                            e->models[m].name, sr_graph_node(g, cut)->name, sr_graph_node(g, reader)->name,
                            sr_graph_node(g, in)->name);
            continue;
        }
        if (!p->codec) continue;
        int c, h, w;
        if (sr_codectab_act_geometry(&sr_graph_node(g, cut)->out, &c, &h, &w) != 0) {
            sr_policy_error(d, "codec", "layer '%s' of model '%s' has no batch-1 activation to code", p->split_at,
                            e->models[m].name);
            continue;
        }
        coded++;
        char msg[512];
        sr_codec *cd = NULL;
        if (sr_codec_create(p->codec, c, h, w, &cd, msg, sizeof msg) != SR_OK) {
            sr_policy_error(d, "codec", "bad codec pipeline '%s' for layer '%s' of model '%s' (%dx%dx%d): %s", p->codec,
                            p->split_at, e->models[m].name, c, h, w, msg);
            continue;
        }
        sr_codec_free(cd);
        if (!table_ok) continue;
        sr_codectab_row row;
        char terr[1024];
        const char *layer = sr_graph_node(g, cut)->name;
        if (sr_codectab_lookup(p->codec_table, e->models[m].source, layer, p->codec, &row, terr, sizeof terr) != SR_OK) {
            if (e->mode == SR_MODE_MODEL)
                sr_policy_error(d, "codec_table", "%s", terr);
            else
                sr_policy_error(d, "codec_table", "%s (exact mode reads encode/decode times from it)", terr);
            continue;
        }
        int64_t numel = sr_shape_numel(&sr_graph_node(g, cut)->out);
        if (row.elements != numel)
            sr_policy_error(d, "codec_table",
                            "codec table row for %s / %s / %s has %lld elements (input %s) but model '%s' gives "
                            "%lld; measure it at this input with `simrun codec-table --input ...`",
                            e->models[m].source, layer, p->codec, (long long)row.elements, row.input,
                            e->models[m].name, (long long)numel);
    }
    if (p->codec && !coded && d->errors == errors_before) {
        /* no model graph to take the shape from: at least check the pipeline's grammar */
        char msg[512];
        sr_codec *cd = NULL;
        if (sr_codec_create(p->codec, 64, 16, 16, &cd, msg, sizeof msg) != SR_OK)
            sr_policy_error(d, "codec", "bad codec pipeline '%s': %s", p->codec, msg);
        sr_codec_free(cd);
    }
    return SR_OK;
}

static void split_fini(void *state_)
{
    split_state *s = state_;
    if (!s) return;
    free(s->models);
    free(s);
}

static sr_status split_init(const void *params_, const sr_policy_env *env, void **state, char *err, size_t err_size)
{
    const split_params *p = params_;
    const sr_experiment *e = env->exp;
    split_state *s = calloc(1, sizeof *s);
    if (!s) return SR_ERR_NOMEM;
    s->n_models = e->n_models;
    s->models = calloc((size_t)(e->n_models ? e->n_models : 1), sizeof *s->models);
    if (!s->models) {
        split_fini(s);
        return SR_ERR_NOMEM;
    }
    for (int m = 0; m < e->n_models; m++) {
        split_model *sm = &s->models[m];
        const sr_graph *g = env->graphs ? env->graphs[m] : NULL;
        sm->cut = g && model_used(e, m) ? sr_policy_find_layer(g, p->split_at) : -1;
        if (g && model_used(e, m) && sm->cut < 0) {
            if (err) snprintf(err, err_size, "split: model '%s' has no layer '%s'", e->models[m].name, p->split_at);
            split_fini(s);
            return SR_ERR_NOT_FOUND;
        }
        if (!p->codec || sm->cut < 0) continue;
        sm->codec.pipeline = p->codec;
        sm->codec.bits_per_element = 32.0; /* exact mode without a table: replaced by the real coded size */
        sm->codec.host_flops = p->codec_host_flops;
        if (!p->codec_table) continue;
        sr_status st = sr_codectab_lookup(p->codec_table, e->models[m].source, sr_graph_node(g, sm->cut)->name,
                                          p->codec, &sm->row, err, err_size);
        if (st != SR_OK) {
            split_fini(s);
            return st;
        }
        sm->has_row = 1;
        sm->codec.bits_per_element = sm->row.bits_per_element;
        sm->codec.encode_s_per_element = sm->row.encode_s_per_element;
        sm->codec.decode_s_per_element = sm->row.decode_s_per_element;
        if (!(sm->codec.bits_per_element >= 0) || !(sm->codec.encode_s_per_element >= 0) ||
            !(sm->codec.decode_s_per_element >= 0)) {
            if (err) snprintf(err, err_size, "split: codec '%s' has negative or unknown costs", p->codec);
            split_fini(s);
            return SR_ERR_INVALID;
        }
    }
    *state = s;
    return SR_OK;
}

static sr_status split_plan(void *state_, const void *params_, const sr_policy_env *env, const sr_plan_req *req,
                            sr_plan **out, char *err, size_t err_size)
{
    const split_state *s = state_;
    const split_params *p = params_;
    const sr_experiment *e = env->exp;
    const sr_graph *g = env->graphs[req->model];
    const split_model *sm = &s->models[req->model];
    int cut = sm->cut, n = sr_graph_node_count(g);
    int tg = sr_policy_device_index(e, p->target);
    if (cut < 0 || tg < 0) {
        if (err) snprintf(err, err_size, "split: no cut or target for model '%s'", e->models[req->model].name);
        return SR_ERR_INVALID;
    }
    sr_plan_dev src = {SR_ROLE_SOURCE, req->group, req->instance};
    sr_plan_dev dst = {SR_ROLE_TARGET, tg, sr_policy_target_instance(e, tg, req->instance)};
    if (src.group == dst.group && src.instance == dst.instance) {
        if (err) snprintf(err, err_size, "split: the target of '%s' is the source device itself", e->devices[req->group].name);
        return SR_ERR_INVALID;
    }
    const sr_plan_codec *cd = p->codec ? &sm->codec : NULL;
    double bytes = cd ? sr_policy_codec_bytes((double)sr_shape_numel(&sr_graph_node(g, cut)->out), cd->bits_per_element)
                      : (double)sr_node_output_bytes(g, cut, p->activation_precision);
    sr_status st = sr_plan_create(out);
    if (st != SR_OK) return st;
    int a = sr_plan_add_layers(*out, src, req->model, 0, cut, "head");
    if (a < 0) return (sr_status)a;
    if (cd) {
        int enc = sr_plan_add_codec(*out, src, SR_WORK_ENCODE, req->model, cut, cd, "encode");
        if (enc < 0) return (sr_status)enc;
        if ((st = sr_plan_add_dep(*out, a, enc)) != SR_OK) return st;
        a = enc;
    }
    int b = sr_plan_add_transfer(*out, src, dst, SR_PAYLOAD_ACTIVATION, bytes, "activation");
    if (b < 0) return (sr_status)b;
    sr_plan_task_mut(*out, b)->node = cut;
    sr_plan_task_mut(*out, b)->model = req->model;
    if ((st = sr_plan_add_dep(*out, a, b)) != SR_OK) return st;
    if (cd) {
        int dec = sr_plan_add_codec(*out, dst, SR_WORK_DECODE, req->model, cut, cd, "decode");
        if (dec < 0) return (sr_status)dec;
        if ((st = sr_plan_add_dep(*out, b, dec)) != SR_OK) return st;
        b = dec;
    }
    if (cut + 1 >= n) return SR_OK;
    int c = sr_plan_add_layers(*out, dst, req->model, cut + 1, n - 1, "tail");
    if (c < 0) return (sr_status)c;
    return sr_plan_add_dep(*out, b, c);
}

/* Model mode with a codec table: the table's fidelity of the codec (mean over the source instances' models). */
static sr_status split_metrics(void *state_, const void *params_, const sr_policy_env *env, sr_policy_metric_fn add,
                               void *user)
{
    const split_state *s = state_;
    const split_params *p = params_;
    const sr_experiment *e = env->exp;
    if (!s || !p->codec || e->mode != SR_MODE_MODEL) return SR_OK;
    double snr = 0, rel = 0, top1 = 0;
    int n = 0;
    for (int k = 0; k < e->n_sources; k++) {
        int g = sr_policy_device_index(e, e->sources[k].devices);
        int m = -1;
        for (int i = 0; i < e->n_models; i++)
            if (e->models[i].name && e->sources[k].model && strcmp(e->models[i].name, e->sources[k].model) == 0) m = i;
        if (g < 0 || m < 0 || !s->models[m].has_row) continue;
        for (int i = 0; i < e->devices[g].count; i++) {
            snr += s->models[m].row.snr_db;
            rel += s->models[m].row.output_rel_l2;
            top1 += s->models[m].row.top1_agreement;
            n++;
        }
    }
    if (n == 0) return SR_OK;
    add(user, "activation_snr_db", snr / n, "dB");
    add(user, "output_rel_l2", rel / n, "1");
    add(user, "top1_agreement", top1 / n, "1");
    return SR_OK;
}

const sr_policy_ops sr_policy_split = {
    .name = "split",
    .doc = "run layers up to `split_at` on the source, send the (coded) activation, finish on `target`",
    .params = &params,
    .check = split_check,
    .init = split_init,
    .plan = split_plan,
    .metrics = split_metrics,
    .fini = split_fini,
};
