/* sr_emulate_quota.c: the CPU quota of each emulated device (sr_emulate.h, sr_emulate_quotas): the device's
 * compute as the simulation prices it against the same compute priced by this host's profile. The device
 * processes run the host's real kernels; the host profile, calibrated on this host, says how long those take
 * here, the plan's seconds how long the simulation says they take on the device, and their ratio is the share
 * of a core under which the first becomes the second. A peak-rate ratio (speed x cores x efficiency over the
 * host's speed x efficiency) misses every layer the cost models price by memory bandwidth or by a fitted
 * class cost: for MobileNetV2 on the shipped camera-soc profile, against a calibration of this host at 162.8
 * GFLOP/s, it gave 0.029 cores where the prices (159.4 ms on the camera, 7.5 ms here) imply 0.047. It remains
 * for a device whose plans give it no priced compute. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu_internal.h"
#include "sr_cost.h"
#include "sr_profile.h"

static const char *const k_rule_names[] = {"none", "priced", "peak"};
_Static_assert(sizeof k_rule_names / sizeof *k_rule_names == SR_EMU_QUOTA_RULE_COUNT, "one name per rule");

const char *sr_emulate_quota_rule_name(sr_emulate_quota_rule r)
{
    return r >= 0 && r < SR_EMU_QUOTA_RULE_COUNT ? k_rule_names[r] : "?";
}

/* Seconds of compute task pt as the host profile prices it: a layer range by its cost model
 * at the model's precision and batch 1, a codec by the plan codec's per-element times scaled to the host's
 * single core (as the engine scales them to a device's). *priced is 0 for fixed work (seconds, flop), which
 * the emulation runs as a busy loop of the plan's wall time: no quota stretches it. */
static sr_status host_seconds(const emu *m, const sr_profile *hp, const sr_cost_model *cm,
                              const sr_plan_task *pt, double *seconds, int *priced, char *err,
                              size_t err_size)
{
    *seconds = 0;
    *priced = 0;
    const sr_graph *g =
        pt->model >= 0 && pt->model < m->e->n_models ? sr_engine_view_graph(m->view, pt->model) : NULL;
    switch (pt->work) {
    case SR_WORK_LAYERS: {
        if (!g) break;
        sr_cost_device hd = sr_profile_device(hp);
        sr_status st = sr_cost_layers(cm, &hd, g, pt->first_layer, pt->last_layer,
                                      m->e->models[pt->model].precision, 1, seconds);
        if (st != SR_OK) {
            sr_errf(err, err_size, "pricing layers %d..%d of model '%s' with host profile '%s': %s",
                    pt->first_layer, pt->last_layer, m->e->models[pt->model].name, hp->name,
                    sr_status_message(st));
            return st;
        }
        *priced = 1;
        return SR_OK;
    }
    case SR_WORK_ENCODE:
    case SR_WORK_DECODE: {
        if (!g || !pt->codec || pt->node < 0 || pt->node >= sr_graph_node_count(g)) break;
        double elements = (double)sr_shape_numel(&sr_graph_node(g, pt->node)->out);
        double per =
            pt->work == SR_WORK_ENCODE ? pt->codec->encode_s_per_element : pt->codec->decode_s_per_element;
        double eff = hp->efficiency > 0 ? hp->efficiency : 1.0;
        *seconds = elements * per;
        if (pt->codec->host_flops > 0 && hp->speed_flops > 0)
            *seconds *= pt->codec->host_flops / (hp->speed_flops * eff);
        *priced = 1;
        return SR_OK;
    }
    case SR_WORK_SECONDS:
    case SR_WORK_FLOPS:
        return SR_OK;
    case SR_WORK_KIND_COUNT:
        break;
    }
    sr_errf(err, err_size, "plan task '%s': no graph, codec or work to price on this host (internal)",
            pt->label);
    return SR_ERR_INVALID;
}

sr_status emu_quotas(emu *m, const sr_emulate_opts *o, char *err, size_t err_size)
{
    m->quota = calloc((size_t)(m->n_nodes ? m->n_nodes : 1), sizeof *m->quota);
    if (!m->quota) return SR_ERR_NOMEM;
    for (int n = 0; n < m->n_nodes; n++) {
        m->quota[n].host = m->node_host[n];
        m->quota[n].device = sr_topology_host_at(m->topo, m->node_host[n])->name;
    }
    const sr_profile *hp = o->host_profile;
    if (!hp) return SR_OK;
    if (!(hp->speed_flops > 0)) {
        sr_errf(err, err_size, "host profile '%s' has no compute speed", hp->name);
        return SR_ERR_INVALID;
    }
    sr_cost_model *cm = NULL;
    char why[512] = "";
    sr_status st = sr_profile_cost_model_err(hp, &cm, why, sizeof why);
    if (st != SR_OK) {
        sr_errf(err, err_size, "the cost model of host profile '%s': %s", hp->name,
                why[0] ? why : sr_status_message(st));
        return st;
    }
    for (int s = 0; s < m->n_src && st == SR_OK; s++) {
        const emu_src *es = &m->src[s];
        for (int t = 0; t < es->n_tasks && st == SR_OK; t++) {
            const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
            if (pt->kind != SR_TASK_COMPUTE) continue;
            double h = 0;
            int priced = 0;
            st = host_seconds(m, hp, cm, pt, &h, &priced, err, err_size);
            if (st != SR_OK || !priced) continue;
            m->quota[es->node[t]].host_s += h;
            m->quota[es->node[t]].device_s += pt->seconds;
        }
    }
    sr_cost_model_free(cm);
    if (st != SR_OK) return st;
    double host_flops = hp->speed_flops * (hp->efficiency > 0 ? hp->efficiency : 1.0);
    for (int n = 0; n < m->n_nodes; n++) {
        sr_emulate_quota *q = &m->quota[n];
        if (q->host_s > 0 && q->device_s > 0) {
            q->rule = SR_EMU_QUOTA_PRICED;
            q->ratio = q->host_s / q->device_s;
        } else {
            const sr_device_spec *d = &m->e->devices[sr_topology_host_at(m->topo, q->host)->group];
            q->rule = SR_EMU_QUOTA_PEAK;
            q->ratio = d->speed_flops * d->cores * d->efficiency / host_flops;
        }
        /* A device process computes on one thread, one task at a time: a quota of a core or more limits nothing
         * it does, and the cgroup alone slows its wake-ups when other work shares the cores (measured: `simrun exec
         * mobilenetv2 --repeat 25 --gap 0.3` at nice -10 beside two nice-19 processes took 10.7-12.8 ms outside
         * a cgroup and 20.2-20.7 ms inside one without a quota). So below one core only. */
        q->cores = q->ratio < 1.0 ? q->ratio : 0;
        if (q->cores > 0 && sr_testbed_quota_period(q->cores, &q->quota_us, &q->period_us) != 0) {
            if (q->rule == SR_EMU_QUOTA_PRICED)
                sr_errf(
                    err, err_size,
                    "device '%s' would get a CPU quota of %.6f cores (its plans' compute priced %.4g ms on "
                    "host profile '%s', %.4g ms on the device): below the 0.002 cores a cfs period of at "
                    "most 1 s can grant; a device that much slower than this host cannot be emulated by a "
                    "quota",
                    q->device, q->cores, q->host_s * 1e3, hp->name, q->device_s * 1e3);
            else
                sr_errf(
                    err, err_size,
                    "device '%s' would get a CPU quota of %.6f cores (its peak rate over host profile "
                    "'%s''s): "
                    "below the 0.002 cores a cfs period of at most 1 s can grant; a device that much slower "
                    "than this host cannot be emulated by a quota",
                    q->device, q->cores, hp->name);
            return SR_ERR_UNSUPPORTED;
        }
    }
    return SR_OK;
}
