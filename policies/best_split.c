/* best_split.c: the cut of each source's model that minimises end-to-end latency, the device's energy, or a
 * weighted sum of both, from the cost models, the codec table and the route's bandwidth at the start of the
 * run (Neurosurgeon's split choice; DADS's minimum cut on DAG models). The device part runs on the source,
 * every tensor crossing the cut is sent to a `target` instance, the rest runs there; device-only and
 * cloud-only are the two extremes. The search, the plan of a cut and the recorded metrics are in
 * sr_cut_policy.h; dynamic_split is the same choice re-made when a link's bandwidth changes. */
#include <stddef.h>

#include "sr_cut_policy.h"

typedef struct best_split_params {
    sr_cutpol_params cut;
} best_split_params;

static const sr_field fields[] = {SR_CUTPOL_FIELDS(best_split_params, cut)};
_Static_assert(sizeof fields / sizeof fields[0] == SR_CUTPOL_N_FIELDS, "the common keys");
static const sr_section params = {
    "policy (type best_split)",
    "policy",
    0,
    "Cut each source's model where the objective (latency, device energy or a weighted "
    "sum) is smallest at the route's bandwidth; send every tensor crossing the cut.",
    fields,
    (int)(sizeof fields / sizeof fields[0]),
    sizeof(best_split_params)};

static sr_status best_split_check(const void *p_, const sr_policy_env *env, sr_policy_diag *d)
{
    return sr_cutpol_check(&((const best_split_params *)p_)->cut, env, d);
}

static sr_status best_split_init(const void *p_, const sr_policy_env *env, void **state, char *err, size_t n)
{
    sr_cutpol_state *s = NULL;
    sr_status st = sr_cutpol_init(&((const best_split_params *)p_)->cut, env, &s, err, n);
    if (st == SR_OK) *state = s;
    return st;
}

static void best_split_fini(void *state)
{
    sr_cutpol_fini(state);
}

static sr_status best_split_plan(void *state, const void *p_, const sr_policy_env *env,
                                 const sr_plan_req *req, sr_plan **out, char *err, size_t n)
{
    (void)p_;
    return sr_cutpol_plan(state, env, req, out, err, n);
}

static sr_status best_split_metrics(void *state, const void *p_, const sr_policy_env *env,
                                    sr_policy_metric_fn add, void *user)
{
    (void)p_;
    return sr_cutpol_metrics(state, env, "best_split.", add, user);
}

const sr_policy_ops sr_policy_best_split = {
    .name = "best_split",
    .doc =
        "cut each model where latency, device energy or a weighted sum is smallest (minimum s-t cut on DAGs)",
    .params = &params,
    .check = best_split_check,
    .init = best_split_init,
    .plan = best_split_plan,
    .metrics = best_split_metrics,
    .fini = best_split_fini,
};
