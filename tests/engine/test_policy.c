/* test_policy.c: plans of the built-in policies, the plan DAG, and platform expansion/validation (no
 * SimGrid involved). The tiny graph: in -> fc1 (act features) -> fc2; the unit cost model prices each
 * layer at 1e9 flop: 1 s on cam (1 Gflop/s), 0.1 s on cloud (10 Gflop/s). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_platform.h"
#include "sr_policy.h"

static const char *const WAN[] = {"wan", NULL};

static sr_experiment *exp3(void)
{
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 3, 1e9, 0, 0);
    fx_device(e, "cloud", 2, 1e10, 0, 0);
    fx_link(e, "wan", 1e8, 0.01, SR_SHARING_SHARED, NULL, 1);
    fx_route(e, "cam", "cloud", 1, WAN);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    return e;
}

/* The policy environment of exp3's source model g priced by the unit cost model (groups may override). */
typedef struct fx_env {
    const sr_graph *graphs[1];
    sr_policy_env env;
} fx_env;

static void env_of(fx_env *f, const sr_experiment *e, const sr_graph *g)
{
    memset(f, 0, sizeof *f);
    f->graphs[0] = g;
    f->env.exp = e;
    f->env.graphs = f->graphs;
    f->env.default_cost = fx_unit_cost();
}

/* Plans the job of source instance `instance` with the experiment's policy (init, plan). The plan may borrow
 * from the policy's state (a codec): the state lives until the test ends (fini_all). */
static void *states[16];
static int n_states;

static sr_status plan_of(const sr_experiment *e, const sr_policy_env *env, int instance, sr_plan **p, char *err,
                         size_t n)
{
    const sr_policy_ops *ops = sr_policy_of(&e->policy);
    assert_non_null(ops);
    void *state = NULL;
    sr_status st = ops->init ? ops->init(e->policy.params, env, &state, err, n) : SR_OK;
    sr_plan_req req = {instance, 0, 0, instance, 0, 0.0};
    if (st == SR_OK) st = sr_policy_plan(ops, state, e->policy.params, env, &req, p, err, n);
    if (ops->fini) {
        assert_true(n_states < 16);
        states[n_states++] = state;
    }
    return st;
}

/* Frees the split states plan_of kept. */
static void fini_all(void)
{
    for (int i = 0; i < n_states; i++)
        sr_policy_find("split")->fini(states[i]);
    n_states = 0;
}

/* Errors check() reports (first message kept). */
typedef struct diag_log {
    int n;
    char key[32], msg[512];
} diag_log;

static void log_emit(void *user, const char *key, const char *msg)
{
    diag_log *l = user;
    if (l->n++ == 0) {
        snprintf(l->key, sizeof l->key, "%s", key ? key : "");
        snprintf(l->msg, sizeof l->msg, "%s", msg);
    }
}

static int check_of(const sr_experiment *e, const sr_policy_env *env, diag_log *log)
{
    memset(log, 0, sizeof *log);
    sr_policy_diag d = {log_emit, NULL, log, 0};
    const sr_policy_ops *ops = sr_policy_of(&e->policy);
    if (ops->check) assert_int_equal(ops->check(e->policy.params, env, &d), SR_OK);
    return d.errors;
}

static void test_registry(void **state)
{
    (void)state;
    assert_non_null(sr_policy_find("split"));
    assert_string_equal(sr_policy_find("cloud_only")->name, "cloud_only");
    assert_null(sr_policy_find("device_only")->params); /* no keys */
    assert_null(sr_policy_find("nope"));
    assert_null(sr_policy_find(NULL));
    assert_true(sr_policy_count() >= 3);
    assert_string_equal(sr_policy_at(0)->name, "cloud_only");
    assert_null(sr_policy_at(sr_policy_count()));
    /* a name already taken, or no plan function */
    static const sr_policy_ops dup = {.name = "split", .plan = NULL};
    assert_int_equal(sr_policy_register(&dup), SR_ERR_INVALID);
    /* every parameter table documents its keys */
    for (int i = 0; i < sr_policy_count(); i++) {
        const sr_policy_ops *ops = sr_policy_at(i);
        assert_non_null(ops->doc);
        for (int k = 0; ops->params && k < ops->params->n_fields; k++)
            assert_true(ops->params->fields[k].doc && ops->params->fields[k].doc[0]);
    }
}

static void test_device_only(void **state)
{
    (void)state;
    sr_experiment *e = exp3();
    fx_policy(e, "device_only", NULL, NULL, 0);
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(100, &g), SR_OK);
    fx_env f;
    env_of(&f, e, g);
    sr_plan *p = NULL;
    char err[256];
    assert_int_equal(plan_of(e, &f.env, 1, &p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_task_count(p), 1);
    const sr_plan_task *t = sr_plan_task_at(p, 0);
    assert_int_equal(t->kind, SR_TASK_COMPUTE);
    assert_int_equal(t->work, SR_WORK_LAYERS);
    assert_int_equal(t->dev.group, 0);
    assert_int_equal(t->dev.instance, 1);
    assert_int_equal(t->dev.role, SR_ROLE_SOURCE);
    assert_float_equal(t->seconds, 2.0, 1e-12); /* priced by sr_policy_plan */
    assert_int_equal(t->first_layer, 0);
    assert_int_equal(t->last_layer, 2);
    assert_int_equal(sr_plan_dep_count(p), 0);
    sr_plan_free(p);
    sr_graph_free(g);
    fx_free(e);
}

static void test_cloud_only(void **state)
{
    (void)state;
    sr_experiment *e = exp3();
    fx_policy(e, "cloud_only", "cloud", NULL, 0);
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(100, &g), SR_OK);
    fx_env f;
    env_of(&f, e, g);
    char err[256];
    for (int i = 0; i < 3; i++) {
        sr_plan *p = NULL;
        assert_int_equal(plan_of(e, &f.env, i, &p, err, sizeof err), SR_OK);
        assert_int_equal(sr_plan_task_count(p), 2);
        const sr_plan_task *x = sr_plan_task_at(p, 0), *m = sr_plan_task_at(p, 1);
        assert_int_equal(x->kind, SR_TASK_TRANSFER);
        assert_int_equal(x->payload, SR_PAYLOAD_FRAME);
        assert_float_equal(x->bytes, 100.0 * 100.0 * 3.0, 0); /* raw RGB of the 100x100 fixture source */
        assert_int_equal(x->dev.instance, i);
        assert_int_equal(x->dst.group, 1);
        assert_int_equal(x->dst.instance, i % 2);
        assert_int_equal(m->kind, SR_TASK_COMPUTE);
        assert_int_equal(m->dev.instance, i % 2);
        assert_float_equal(m->seconds, 0.2, 1e-12);
        int b, a;
        assert_int_equal(sr_plan_dep_count(p), 1);
        sr_plan_dep_at(p, 0, &b, &a);
        assert_int_equal(b, 0);
        assert_int_equal(a, 1);
        sr_plan_free(p);
    }
    sr_params_set_dbl(e->policy.params_sec, e->policy.params, "frame_size", 12345);
    sr_plan *p = NULL;
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_OK);
    assert_float_equal(sr_plan_transfer_bytes(p), 12345, 0);
    sr_plan_free(p);
    /* check(): an unknown target is a diagnostic on the key `target` */
    diag_log log;
    assert_int_equal(check_of(e, &f.env, &log), 0);
    sr_params_set_str(e->policy.params_sec, e->policy.params, "target", "clod");
    assert_int_equal(check_of(e, &f.env, &log), 1);
    assert_string_equal(log.key, "target");
    assert_string_equal(log.msg, "unknown device group 'clod' for target (groups: cam, cloud)");
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "target"));
    sr_graph_free(g);
    fx_free(e);
}

static void test_split(void **state)
{
    (void)state;
    sr_experiment *e = exp3();
    fx_policy(e, "split", "cloud", "fc1", 0);
    sr_params_set_int(e->policy.params_sec, e->policy.params, "activation_precision", SR_PREC_FP16);
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(5000, &g), SR_OK);
    fx_env f;
    env_of(&f, e, g);
    sr_plan *p = NULL;
    char err[256];
    assert_int_equal(plan_of(e, &f.env, 2, &p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_task_count(p), 3);
    assert_float_equal(sr_plan_task_at(p, 0)->seconds, 1.0, 1e-12);
    assert_int_equal(sr_plan_task_at(p, 0)->last_layer, 1);
    assert_float_equal(sr_plan_task_at(p, 1)->bytes, 5000 * 2, 0);
    assert_int_equal(sr_plan_task_at(p, 1)->payload, SR_PAYLOAD_ACTIVATION);
    assert_int_equal(sr_plan_task_at(p, 1)->node, 1);
    assert_int_equal(sr_plan_task_at(p, 2)->first_layer, 2);
    assert_float_equal(sr_plan_task_at(p, 2)->seconds, 0.1, 1e-12);
    assert_int_equal(sr_plan_task_at(p, 2)->dev.instance, 0);
    assert_int_equal(sr_plan_dep_count(p), 2);
    sr_plan_free(p);

    /* split at the output: the result is sent, nothing runs on the target */
    fx_policy(e, "split", "cloud", "fc2", 0);
    sr_params_set_int(e->policy.params_sec, e->policy.params, "activation_precision", SR_PREC_FP16);
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_task_count(p), 2);
    assert_float_equal(sr_plan_task_at(p, 1)->bytes, 10 * 2, 0); /* fc2's 10 outputs at fp16 */
    sr_plan_free(p);

    /* an unknown layer: check() says which, on split_at; init refuses it */
    fx_policy(e, "split", "cloud", "nope", 0);
    diag_log log;
    assert_int_equal(check_of(e, &f.env, &log), 1);
    assert_string_equal(log.key, "split_at");
    assert_non_null(strstr(log.msg, "has no layer 'nope' (layers include: in, fc1, fc2)"));
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "nope"));
    fini_all();
    sr_graph_free(g);
    fx_free(e);
}

/* Split with an activation codec in exact mode without a table: head -> encode -> activation (fp32 size, replaced
 * by the real coded size when it runs) -> decode -> tail; the codec costs no simulated time. */
static void test_split_codec(void **state)
{
    (void)state;
    sr_experiment *e = exp3();
    e->mode = SR_MODE_EXACT;
    fx_policy(e, "split", "cloud", "fc1", 0);
    sr_params_set_str(e->policy.params_sec, e->policy.params, "codec", "quant8+rans");
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(1000, &g), SR_OK);
    fx_env f;
    env_of(&f, e, g);
    diag_log log;
    assert_int_equal(check_of(e, &f.env, &log), 0);
    sr_plan *p = NULL;
    char err[256];
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_task_count(p), 5);
    const char *labels[] = {"head", "encode", "activation", "decode", "tail"};
    const sr_task_kind kinds[] = {SR_TASK_COMPUTE, SR_TASK_TRANSFER};
    for (int i = 0; i < 5; i++) {
        const sr_plan_task *t = sr_plan_task_at(p, i);
        assert_string_equal(t->label, labels[i]);
        assert_int_equal(t->kind, kinds[i == 2]);
    }
    assert_int_equal(sr_plan_task_at(p, 1)->work, SR_WORK_ENCODE);
    assert_string_equal(sr_plan_task_at(p, 1)->codec->pipeline, "quant8+rans");
    assert_int_equal(sr_plan_task_at(p, 3)->work, SR_WORK_DECODE);
    assert_int_equal(sr_plan_task_at(p, 3)->dev.group, 1);
    assert_float_equal(sr_plan_task_at(p, 1)->seconds, 0, 0);
    assert_float_equal(sr_plan_task_at(p, 2)->bytes, 4000, 0);
    sr_plan_free(p);
    /* model mode needs a table; a malformed pipeline is refused on `codec` */
    e->mode = SR_MODE_MODEL;
    assert_int_equal(check_of(e, &f.env, &log), 1);
    assert_string_equal(log.key, "codec");
    assert_non_null(strstr(log.msg, "no codec_table"));
    e->mode = SR_MODE_EXACT;
    sr_params_set_str(e->policy.params_sec, e->policy.params, "codec", "quant99");
    assert_int_equal(check_of(e, &f.env, &log), 1);
    assert_string_equal(log.key, "codec");
    assert_non_null(strstr(log.msg, "bad codec pipeline 'quant99'"));
    fini_all();
    sr_graph_free(g);
    fx_free(e);
}

/* The pricing pass: codec work is elements x seconds per element, scaled from the measuring host's single core
 * to the device (speed x efficiency); a per-group cost model prices that group's layers; batches scale. */
static void test_price_codec(void **state)
{
    (void)state;
    sr_experiment *e = exp3();
    sr_graph *g = NULL;
    assert_int_equal(fx_tiny_graph(1000, &g), SR_OK);
    fx_env f;
    env_of(&f, e, g);
    sr_plan_codec cd = {"quantX", 3.3, 1e-6, 2e-6, 0.0};
    sr_plan *p = NULL;
    assert_int_equal(sr_plan_create(&p), SR_OK);
    sr_plan_dev cam = {SR_ROLE_SOURCE, 0, 0}, cloud = {SR_ROLE_TARGET, 1, 0};
    assert_int_equal(sr_plan_add_layers(p, cam, 0, 0, 1, "head"), 0);
    assert_int_equal(sr_plan_add_codec(p, cam, SR_WORK_ENCODE, 0, 1, &cd, "encode"), 1);
    assert_int_equal(sr_plan_add_transfer(p, cam, cloud, SR_PAYLOAD_ACTIVATION, 413, "activation"), 2);
    assert_int_equal(sr_plan_add_codec(p, cloud, SR_WORK_DECODE, 0, 1, &cd, "decode"), 3);
    assert_int_equal(sr_plan_add_layers(p, cloud, 0, 2, 2, "tail"), 4);
    assert_int_equal(sr_plan_add_work(p, cloud, SR_WORK_FLOPS, 5e9, "flops"), 5);
    assert_int_equal(sr_plan_add_delay(p, cam, SR_DELAY_COLD_START, 0.25, "boot"), 6);
    char err[256];
    assert_int_equal(sr_price_plan(&f.env, p, err, sizeof err), SR_OK);
    assert_float_equal(sr_plan_task_at(p, 1)->seconds, 1000 * 1e-6, 1e-15);
    assert_float_equal(sr_plan_task_at(p, 3)->seconds, 1000 * 2e-6, 1e-15);
    assert_float_equal(sr_plan_task_at(p, 0)->seconds, 1.0, 1e-12); /* unit cost: fc1 on cam */
    assert_float_equal(sr_plan_task_at(p, 4)->seconds, 0.1, 1e-12); /* unit cost: fc2 on cloud */
    assert_float_equal(sr_plan_task_at(p, 5)->seconds, 0.5, 1e-12); /* 5 Gflop at 10 Gflop/s */
    assert_float_equal(sr_plan_task_at(p, 6)->seconds, 0.25, 0);
    assert_float_equal(sr_plan_compute_seconds(p), 1.0 + 1e-3 + 2e-3 + 0.1 + 0.5, 1e-12);
    /* host at 4 Gflop/s: cam (1 Gflop/s) encodes 4x slower, cloud (10 Gflop/s) decodes 2.5x faster; the cloud
     * group priced by the roofline instead of the unit cost */
    cd.host_flops = 4e9;
    sr_cost_model *roof = NULL;
    assert_int_equal(sr_cost_roofline_create(&roof), SR_OK);
    const sr_cost_model *per_group[2] = {NULL, roof};
    f.env.group_cost = per_group;
    assert_int_equal(sr_price_plan(&f.env, p, err, sizeof err), SR_OK);
    assert_float_equal(sr_plan_task_at(p, 1)->seconds, 4 * 1000 * 1e-6, 1e-15);
    assert_float_equal(sr_plan_task_at(p, 3)->seconds, 0.4 * 1000 * 2e-6, 1e-15);
    assert_float_equal(sr_plan_task_at(p, 0)->seconds, 1.0, 1e-12);
    sr_cost_device cdev = sr_policy_cost_device(&e->devices[1]);
    double want = sr_cost_roofline_node(&cdev, g, 2, SR_PREC_FP32, 1);
    assert_true(want > 0 && want < 0.01);
    assert_float_equal(sr_plan_task_at(p, 4)->seconds, want, 1e-15);
    /* a batch of 4: layers at the cost model's batch 4, codec work 4 x */
    double s4 = 0;
    assert_int_equal(sr_price_task(&f.env, sr_plan_task_at(p, 1), 4, &s4, err, sizeof err), SR_OK);
    assert_float_equal(s4, 4 * 4 * 1000 * 1e-6, 1e-15);
    assert_int_equal(sr_price_task(&f.env, sr_plan_task_at(p, 4), 4, &s4, err, sizeof err), SR_OK);
    assert_float_equal(s4, sr_cost_roofline_node(&cdev, g, 2, SR_PREC_FP32, 4), 1e-15);
    assert_int_equal(sr_price_task(&f.env, sr_plan_task_at(p, 4), 0, &s4, err, sizeof err), SR_ERR_INVALID);
    sr_plan_free(p);
    sr_cost_model_free(roof);
    sr_graph_free(g);
    fx_free(e);
}

/* in -> a -> b -> add(a, b): cutting after a is clean (only a crosses), after b is not (a crosses too). */
static void test_split_non_chain(void **state)
{
    (void)state;
    sr_graph *g = NULL;
    assert_int_equal(sr_graph_create("res", &g), SR_OK);
    int in = sr_graph_add_input(g, "in", sr_shape_nchw(1, 4, 8, 8));
    int a = sr_graph_conv(g, "a", in, 4, 3, 1, 1, 1, 0);
    int b = sr_graph_conv(g, "b", a, 4, 3, 1, 1, 1, 0);
    int ab[2] = {a, b};
    assert_true(sr_graph_add(g, SR_OP_ADD, "add", ab, 2, NULL) >= 0);
    assert_int_equal(sr_graph_infer(g, NULL, 0), SR_OK);
    sr_experiment *e = exp3();
    fx_policy(e, "split", "cloud", "a", 0);
    fx_env f;
    env_of(&f, e, g);
    sr_plan *p = NULL;
    char err[256];
    diag_log log;
    assert_int_equal(check_of(e, &f.env, &log), 0);
    assert_int_equal(plan_of(e, &f.env, 0, &p, err, sizeof err), SR_OK);
    assert_float_equal(sr_plan_transfer_bytes(p), 4 * 8 * 8 * 4, 0);
    sr_plan_free(p);
    fx_policy(e, "split", "cloud", "b", 0);
    assert_int_equal(check_of(e, &f.env, &log), 1);
    assert_string_equal(log.key, "split_at");
    assert_non_null(strstr(log.msg, "not clean: layer 'add' also reads 'a' from before the cut"));
    fini_all();
    sr_graph_free(g);
    fx_free(e);
}

static void test_plan_dag(void **state)
{
    (void)state;
    sr_plan *p = NULL;
    assert_int_equal(sr_plan_create(&p), SR_OK);
    char err[128];
    assert_int_equal(sr_plan_validate(p, err, sizeof err), SR_ERR_INVALID);
    sr_plan_dev hub = {SR_ROLE_TARGET, 1, 0}, d0 = {SR_ROLE_OTHER, 2, 0}, d1 = {SR_ROLE_OTHER, 2, 1};
    /* fan-out to two devices, fan-in on the hub */
    int s0 = sr_plan_add_transfer(p, hub, d0, SR_PAYLOAD_BYTES, 100, "scatter0");
    int s1 = sr_plan_add_transfer(p, hub, d1, SR_PAYLOAD_BYTES, 100, "scatter1");
    int c0 = sr_plan_add_work(p, d0, SR_WORK_SECONDS, 0.5, "tile0");
    int c1 = sr_plan_add_work(p, d1, SR_WORK_SECONDS, 0.25, "tile1");
    int g0 = sr_plan_add_transfer(p, d0, hub, SR_PAYLOAD_BYTES, 10, "gather0");
    int g1 = sr_plan_add_transfer(p, d1, hub, SR_PAYLOAD_BYTES, 10, "gather1");
    int st = sr_plan_add_work(p, hub, SR_WORK_SECONDS, 0.1, "stitch");
    assert_int_equal(st, 6);
    assert_int_equal(sr_plan_add_dep(p, s0, c0), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, s1, c1), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, c0, g0), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, c1, g1), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, g0, st), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, g1, st), SR_OK);
    assert_int_equal(sr_plan_add_dep(p, st, g0), SR_ERR_INVALID); /* backwards */
    assert_int_equal(sr_plan_add_dep(p, 0, 7), SR_ERR_INVALID);   /* no such task */
    assert_int_equal(sr_plan_dep_count(p), 6);
    assert_float_equal(sr_plan_transfer_bytes(p), 220, 0);
    assert_float_equal(sr_plan_compute_seconds(p), 0, 0); /* not priced yet */
    assert_int_equal(sr_plan_validate(p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_add_work(p, hub, SR_WORK_SECONDS, -1, "x"), SR_ERR_INVALID);
    assert_int_equal(sr_plan_add_work(p, hub, SR_WORK_LAYERS, 1, "x"), SR_ERR_INVALID);
    assert_int_equal(sr_plan_add_layers(p, hub, 0, 3, 2, "x"), SR_ERR_INVALID);
    assert_int_equal(sr_plan_add_transfer(p, hub, d0, SR_PAYLOAD_BYTES, NAN, "x"), SR_ERR_INVALID);
    assert_int_equal(sr_plan_add_delay(p, hub, SR_DELAY_RUNTIME, INFINITY, "x"), SR_ERR_INVALID);
    char buf[1024];
    sr_plan_format(p, buf, sizeof buf);
    assert_non_null(strstr(buf, "6 compute stitch (seconds) on target(1,0)"));
    assert_non_null(strstr(buf, "0 transfer scatter0 (bytes) target(1,0) -> other(2,0) 100 B"));
    /* a batch key needs a batch size >= 1 and a finite wait */
    sr_plan_task_mut(p, st)->batch_key = 3;
    sr_plan_task_mut(p, st)->batch_max = 0;
    assert_int_equal(sr_plan_validate(p, err, sizeof err), SR_ERR_INVALID);
    sr_plan_task_mut(p, st)->batch_max = 4;
    assert_int_equal(sr_plan_validate(p, err, sizeof err), SR_OK);
    assert_int_equal(sr_plan_version(p), 0);
    sr_plan_set_version(p, 7);
    assert_int_equal(sr_plan_version(p), 7);
    assert_int_equal(sr_plan_add_transfer(p, hub, hub, SR_PAYLOAD_BYTES, 1, "self"), 7);
    assert_int_equal(sr_plan_validate(p, err, sizeof err), SR_ERR_INVALID);
    sr_plan_free(p);
    sr_plan_free(NULL);
}

/* ---- platform expansion ---- */

static void test_topology_routes(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 3, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "up", 1e7, 0.01, SR_SHARING_SHARED, "cam", 3);
    fx_link(e, "wan", 1e8, 0.02, SR_SHARING_FATPIPE, NULL, 1);
    const char *const path[] = {"up", "wan", NULL};
    fx_route(e, "cam", "cloud", 1, path);
    sr_topology *t = NULL;
    char err[512] = "";
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_OK);
    assert_int_equal(sr_topology_host_count(t), 4);
    assert_int_equal(sr_topology_link_count(t), 4);
    int cam2 = sr_topology_host(t, 0, 2), cloud = sr_topology_host(t, 1, 0);
    assert_string_equal(sr_topology_host_at(t, cam2)->name, "cam2");
    const sr_topo_route *r = sr_topology_route(t, cam2, cloud);
    assert_non_null(r);
    assert_int_equal(r->n_links, 2);
    assert_string_equal(sr_topology_link_at(t, sr_topology_route_link(t, r, 0))->name, "up2");
    assert_string_equal(sr_topology_link_at(t, sr_topology_route_link(t, r, 1))->name, "wan");
    r = sr_topology_route(t, cloud, cam2); /* symmetric: reversed */
    assert_non_null(r);
    assert_string_equal(sr_topology_link_at(t, sr_topology_route_link(t, r, 0))->name, "wan");
    assert_null(sr_topology_route(t, sr_topology_host(t, 0, 0), sr_topology_host(t, 0, 1)));
    char xml[8192];
    FILE *f = fmemopen(xml, sizeof xml, "w");
    assert_int_equal(sr_topology_write_xml(t, e, f), SR_OK);
    fclose(f);
    assert_non_null(strstr(xml, "<host id=\"cam2\" speed=\"1000000000f\" core=\"1\">"));
    assert_non_null(strstr(
        xml, "<link id=\"wan\" sharing_policy=\"FATPIPE\" bandwidth=\"12500000Bps\" latency=\"0.02s\"/>"));
    assert_non_null(strstr(xml, "<bypassRoute src=\"cam1\" dst=\"cloud\"><link_ctn "
                                "id=\"up1\"/><link_ctn id=\"wan\"/></bypassRoute>"));
    sr_topology_free(t);

    /* the same pair twice */
    fx_route(e, "cloud", "cam1", 0, WAN);
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "declared twice"));
    /* per-device link of neither end */
    fx_device(e, "edge", 1, 1e9, 0, 0);
    free(e->routes[1].src);
    e->routes[1].src = strdup("edge");
    free(e->routes[1].dst);
    e->routes[1].dst = strdup("cloud");
    free(e->routes[1].links[0]);
    e->routes[1].links[0] = strdup("up");
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "belongs to neither end"));
    free(e->routes[1].links[0]);
    e->routes[1].links[0] = strdup("nolink");
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "unknown link 'nolink'"));
    free(e->routes[1].src);
    e->routes[1].src = strdup("ghost");
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "'ghost' is not a device"));
    fx_free(e);
}

static void test_topology_wifi_rules(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 2, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "ap", 54e6, 0, SR_SHARING_WIFI, NULL, 1);
    fx_link(e, "wire", 1e9, 0.001, SR_SHARING_SHARED, NULL, 1);
    const char *const bad[] = {"wire", "ap", "wire", NULL};
    fx_route(e, "cam", "cloud", 1, bad);
    sr_topology *t = NULL;
    char err[512] = "";
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "first or last"));
    free(e->routes[0].links[0]);
    e->routes[0].links[0] = strdup("ap");
    free(e->routes[0].links[1]);
    e->routes[0].links[1] = strdup("wire");
    e->routes[0].n_links = 2;
    free(e->routes[0].links[2]);
    e->routes[0].links[2] = NULL;
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_OK);
    assert_true(sr_topology_host_at(t, 0)->cell >= 0);
    assert_true(sr_topology_host_at(t, 2)->cell < 0);
    char xml[8192];
    FILE *f = fmemopen(xml, sizeof xml, "w");
    assert_int_equal(sr_topology_write_xml(t, e, f), SR_OK);
    fclose(f);
    assert_non_null(strstr(xml, "routing=\"Wifi\""));
    assert_non_null(strstr(xml, "sharing_policy=\"WIFI\" bandwidth=\"6750000Bps\" latency=\"0s\""));
    sr_topology_free(t);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),        cmocka_unit_test(test_device_only),
        cmocka_unit_test(test_cloud_only),      cmocka_unit_test(test_split), cmocka_unit_test(test_split_codec),
        cmocka_unit_test(test_price_codec),
        cmocka_unit_test(test_split_non_chain), cmocka_unit_test(test_plan_dag),
        cmocka_unit_test(test_topology_routes), cmocka_unit_test(test_topology_wifi_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
