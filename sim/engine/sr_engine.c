/* sr_engine.c: one run point on SimGrid (see sr_engine.h): preparation (eng_prepare.c), the SimGrid run
 * (eng_sg.c) driving the event loop (eng_loop.c), and the results (eng_collect.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "eng_internal.h"

sr_status sr_engine_run_opts(const sr_experiment *e, uint64_t seed, const sr_engine_opts *opts, sr_run_output *out,
                             char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    if (!e || !out) {
        ENG_ERR("engine: no experiment or output");
        return SR_ERR_INVALID;
    }
    if (!(e->duration_s > 0) || !isfinite(e->duration_s)) {
        ENG_ERR("experiment duration must be > 0");
        return SR_ERR_INVALID;
    }
    engine eng;
    memset(&eng, 0, sizeof eng);
    eng.e = e;
    eng.opts = opts;
    eng.seed = seed;
    eng.duration_s = e->duration_s;
    eng.want_tasks = e->metrics.frames != 0;
    sr_status st = eng_prepare(&eng, seed, err, err_size);
    if (st == SR_OK) st = eng_sg_run(&eng, err, err_size);
    if (st == SR_OK && eng.fail == SR_OK && eng.n_held > 0) {
        eng.fail = SR_ERR_INVALID;
        snprintf(eng.fail_msg, sizeof eng.fail_msg, "policy %s never released %lld held task(s)", eng.pol->name,
                 (long long)eng.n_held);
    }
    if (st == SR_OK && eng.fail != SR_OK) {
        st = eng.fail;
        ENG_ERR("simulation failed: %s", eng.fail_msg[0] ? eng.fail_msg : sr_status_message(st));
    }
    if (st == SR_OK) st = eng_collect(&eng, out);
    eng_clear(&eng);
    return st;
}

sr_status sr_engine_run(const sr_experiment *e, uint64_t seed, sr_run_output *out, char *err, size_t err_size)
{
    return sr_engine_run_opts(e, seed, NULL, out, err, err_size);
}
