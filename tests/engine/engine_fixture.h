/* engine_fixture.h: builds sr_experiment structs by hand for the engine tests (strings strdup'ed, so
 * sr_experiment_free could free them too; fx_free frees them without needing the config library), a
 * tiny three-node graph and a test cost model with exactly known layer times, and a helper that runs
 * the engine in a forked child (SimGrid runs once per process) and brings the output back. */
#ifndef ENGINE_FIXTURE_H
#define ENGINE_FIXTURE_H

#include <stdint.h>

#include "sr_engine.h"
#include "sr_policy.h"
#include "sr_experiment.h"
#include "sr_run_output.h"

sr_experiment *fx_new(double duration_s, sr_net_model net);
void fx_free(sr_experiment *e);
/* count 1 gives one instance called `name`; otherwise name0..name{count-1}. Power idle/busy in W. */
int fx_device(sr_experiment *e, const char *name, int count, double speed_flops, double idle_w,
              double busy_w);
int fx_link(sr_experiment *e, const char *name, double bw_bps, double latency_s, sr_sharing sharing,
            const char *per_device, int count);
/* links: NULL-terminated list of names */
int fx_route(sr_experiment *e, const char *src, const char *dst, int symmetric, const char *const *links);
int fx_model(sr_experiment *e, const char *name, const char *source);
int fx_source(sr_experiment *e, const char *name, const char *devices, const char *model, double fps,
              sr_arrival arrival, double start_s);
/* The run point's policy: a registered type with its target / split_at / frame_size keys where it has them (the
 * other keys at their zero defaults; change them with sr_params_set_*). */
void fx_policy(sr_experiment *e, const char *type, const char *target, const char *split_at, double frame_bytes);

/* Graph "tiny": in (1x1x1x1000) -> fc1 (act_features outputs) -> fc2 (10 outputs). Ids 0, 1, 2. */
sr_status fx_tiny_graph(int act_features, sr_graph **out);
/* Cost model: each non-input node of the range costs 1e9 flop on a device of speed_flops * cores. */
const sr_cost_model *fx_unit_cost(void);
/* Cost model "flop": a layer costs its flop / (speed x cores) (times the quota factor sr_price applies). */
const sr_cost_model *fx_flop_cost(void);
/* Engine options with the tiny graph (fc1 width act_features) and the unit cost. */
sr_engine_opts fx_opts(int *act_features);

/* Runs sr_engine_run_opts(e, seed, opts) in a forked child and copies its frames, hosts, links,
 * metrics and task records into out (initialised by the caller). Returns the engine's status; err gets its
 * message. */
sr_status fx_run_forked(const sr_experiment *e, uint64_t seed, const sr_engine_opts *opts, sr_run_output *out,
                        char *err, size_t err_size);

/* fx_run_forked with the tiny graph (fc1 width act_features) and the unit cost into *out (initialised here);
 * on failure prints the engine's status and message to stderr. */
sr_status fx_run_tiny(const sr_experiment *e, uint64_t seed, int act_features, sr_run_output *out);
/* Metric `name` of o; NAN when o has none. */
double fx_metric(const sr_run_output *o, const char *name);

#endif
