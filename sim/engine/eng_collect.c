/* eng_collect.c: the run's results (see eng_internal.h): job records sorted by (source, frame), task records
 * with their plan's kinds and labels (looked up by plan version after the run, so the hot path stores no
 * strings), host and link statistics, the summary metrics, the exact-mode fidelity and the policy's own. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <simgrid/plugins/energy.h>

#include "eng_internal.h"

const char *eng_cause_text(const engine *eng, eng_cause c, int where, char *buf, size_t size)
{
    const char *host = where >= 0 && where < eng->n_hosts ? sr_topology_host_at(eng->topo, where)->name : "?";
    switch (c) {
    case ENG_CAUSE_NONE:
        snprintf(buf, size, "%s", "");
        break;
    case ENG_CAUSE_DEVICE_QUEUE:
        snprintf(buf, size, "queue of %s full", host);
        break;
    case ENG_CAUSE_SEND_BUFFER:
        snprintf(buf, size, "send buffer of %s full", host);
        break;
    case ENG_CAUSE_DEVICE_DOWN:
        snprintf(buf, size, "device %s down", host);
        break;
    case ENG_CAUSE_TRANSFER:
        snprintf(buf, size, "transfer from %s failed", host);
        break;
    case ENG_CAUSE_POLICY:
        snprintf(buf, size, "released as failed by the policy (hold on %s)", host);
        break;
    case ENG_CAUSE_COUNT:
        snprintf(buf, size, "?");
        break;
    }
    return buf;
}

static int rec_cmp(const void *a, const void *b)
{
    const sr_frame_record *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

static int trec_cmp(const void *a, const void *b)
{
    const eng_task_rec *x = a, *y = b;
    if (x->source != y->source) return x->source < y->source ? -1 : 1;
    if (x->frame != y->frame) return x->frame < y->frame ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The task records in (source, frame, task) order, with the plan's kinds and labels and the host names. */
static sr_status collect_tasks(engine *eng, sr_run_output *out)
{
    if (eng->n_trecs > 1) qsort(eng->trecs, eng->n_trecs, sizeof *eng->trecs, trec_cmp); /* NULL when none */
    for (size_t i = 0; i < eng->n_trecs; i++) {
        const eng_task_rec *tr = &eng->trecs[i];
        assert(tr->version >= 1 && tr->version <= eng->n_plans);
        const eng_plan *p = eng->plans[tr->version - 1];
        assert(tr->task >= 0 && tr->task < p->n_tasks);
        const sr_plan_task *t = sr_plan_task_at(p->plan, tr->task);
        sr_task_record r;
        memset(&r, 0, sizeof r);
        r.frame = tr->frame;
        r.source = tr->source;
        r.task = tr->id;
        if (t->kind == SR_TASK_TRANSFER)
            snprintf(r.dst, sizeof r.dst, "%s", sr_topology_host_at(eng->topo, p->dst[tr->task])->name);
        snprintf(r.kind, sizeof r.kind, "%s", sr_task_kind_name(t->kind));
        snprintf(r.label, sizeof r.label, "%s", t->label);
        snprintf(r.device, sizeof r.device, "%s", sr_topology_host_at(eng->topo, p->host[tr->task])->name);
        r.ready_s = tr->ready_s;
        r.start_s = tr->start_s;
        r.end_s = tr->end_s;
        r.bytes = tr->bytes;
        sr_status st = sr_run_output_add_task(out, &r);
        if (st != SR_OK) return st;
    }
    return SR_OK;
}

/* Exact mode: what the real computation measured (activation_snr_db pools the activation and coding-error
 * energy of every frame; output_rel_l2_mean and top1_agreement compare the path's final output with the full
 * forward; exact_kernel_wall_s is the only wall-clock value). */
static sr_status exact_metrics(const engine *eng, sr_run_output *out)
{
    double n = (double)eng->ex_frames;
    int coded = 0;
    for (int s = 0; s < eng->n_sources && !coded; s++)
        for (int i = 0; eng->sources[s].plan && i < eng->sources[s].plan->n_tasks; i++) {
            const sr_plan_task *t = sr_plan_task_at(eng->sources[s].plan->plan, i);
            if (t->kind == SR_TASK_COMPUTE && t->work == SR_WORK_ENCODE) coded = 1;
        }
    sr_status st = sr_run_output_add_metric(out, "exact_frames", n, "1");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "output_rel_l2_mean", n > 0 ? eng->ex_rel_l2_sum / n : 0.0, "1");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "top1_agreement", n > 0 ? (double)eng->ex_top1 / n : 1.0, "1");
    if (st == SR_OK && coded)
        st = sr_run_output_add_metric(out, "activation_snr_db",
                                      eng->ex_err2 > 0 ? 10.0 * log10(eng->ex_sig2 / eng->ex_err2) : INFINITY, "dB");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "exact_kernel_wall_s", eng->ex_wall_s, "s");
    if (st == SR_OK && eng->ex_parts > 0) { /* partitioned plans: the stitched output against the plain forward */
        st = sr_run_output_add_metric(out, "stitched_frames", (double)eng->ex_parts, "1");
        if (st == SR_OK) st = sr_run_output_add_metric(out, "stitch_max_err_rel", eng->ex_stitch_max, "1");
        if (st == SR_OK)
            st = sr_run_output_add_metric(out, "stitch_equal", eng->ex_stitch_max <= SR_EXACT_STITCH_TOL ? 1.0 : 0.0,
                                          "1");
    }
    return st;
}

/* metrics.baseline_frames: the frame baselines (mean over the frame sources' instances) and Emmons et al.'s
 * amplification against them, averaged like `amplification` over the completed frames. */
static sr_status baseline_metrics(const engine *eng, sr_run_output *out, double amp_jpeg_sum, double amp_h264_sum,
                                  size_t n_base)
{
    double jpeg = 0, h264 = 0;
    int n = 0;
    for (int i = 0; i < eng->n_sources; i++)
        if (eng->sources[i].h264_frame_bytes > 0) {
            jpeg += eng->sources[i].jpeg_frame_bytes;
            h264 += eng->sources[i].h264_frame_bytes;
            n++;
        }
    sr_status st = sr_run_output_add_metric(out, "frame_jpeg_bytes", n ? jpeg / n : 0.0, "B");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "frame_h264_bytes", n ? h264 / n : 0.0, "B");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "amplification_jpeg", n_base ? amp_jpeg_sum / (double)n_base : 0.0, "1");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "amplification_h264", n_base ? amp_h264_sum / (double)n_base : 0.0, "1");
    return st;
}

typedef struct metric_sink {
    sr_run_output *out;
    sr_status st;
} metric_sink;

static void add_policy_metric(void *user, const char *name, double value, const char *unit)
{
    metric_sink *m = user;
    if (m->st == SR_OK) m->st = sr_run_output_add_metric(m->out, name, value, unit);
}

sr_status eng_collect(engine *eng, sr_run_output *out)
{
    const sr_experiment *e = eng->e;
    sr_status st = SR_OK;
    if (eng->n_recs > 1) qsort(eng->recs, eng->n_recs, sizeof *eng->recs, rec_cmp); /* NULL when none */
    int64_t bytes_total = 0;
    double amplification_sum = 0.0, amp_jpeg_sum = 0.0, amp_h264_sum = 0.0;
    size_t n_sent = 0, n_base = 0;
    for (size_t i = 0; i < eng->n_recs && st == SR_OK; i++) {
        const sr_frame_record *r = &eng->recs[i];
        bytes_total += r->bytes_sent;
        if (!r->dropped && r->source >= 0 && r->source < eng->n_sources && eng->sources[r->source].raw_frame_bytes > 0) {
            const eng_source *src = &eng->sources[r->source];
            amplification_sum += (double)r->bytes_sent / src->raw_frame_bytes;
            n_sent++;
            if (src->jpeg_frame_bytes > 0 && src->h264_frame_bytes > 0) {
                amp_jpeg_sum += (double)r->bytes_sent / src->jpeg_frame_bytes;
                amp_h264_sum += (double)r->bytes_sent / src->h264_frame_bytes;
                n_base++;
            }
        }
        st = sr_run_output_add_frame(out, r);
    }
    if (st == SR_OK && eng->want_tasks) st = collect_tasks(eng, out);
    double energy_total = 0;
    for (int h = 0; h < eng->n_hosts && st == SR_OK; h++) {
        const sr_topo_host *th = sr_topology_host_at(eng->topo, h);
        sr_host_stat hs;
        memset(&hs, 0, sizeof hs);
        snprintf(hs.name, sizeof hs.name, "%s", th->name);
        snprintf(hs.device_class, sizeof hs.device_class, "%s", sr_device_class_name(e->devices[th->group].cls));
        hs.busy_s = eng->hosts[h].busy_s;
        hs.tasks = eng->hosts[h].tasks;
        hs.energy_j = sg_host_get_consumed_energy(eng->hosts[h].sg);
        energy_total += hs.energy_j;
        st = sr_run_output_add_host(out, &hs);
    }
    int link_energy = eng_needs_link_energy(e);
    for (int l = 0; l < sr_topology_link_count(eng->topo) && st == SR_OK; l++) {
        const sr_topo_link *tl = sr_topology_link_at(eng->topo, l);
        const sr_link_spec *ls = &e->links[tl->spec];
        sr_link_stat s;
        memset(&s, 0, sizeof s);
        snprintf(s.name, sizeof s.name, "%s", tl->name);
        snprintf(s.type, sizeof s.type, "%s", sr_link_type_name(ls->type));
        s.bw_bps = ls->bw_bps;
        s.latency_s = ls->latency_s;
        s.bytes = eng->links[l].bytes;
        s.transfers = eng->links[l].transfers;
        if (link_energy && ls->sharing != SR_SHARING_WIFI) {
            sg_link_t sl = sg_link_by_name(tl->name);
            s.energy_j = sl ? sg_link_get_consumed_energy(sl) : 0.0;
            energy_total += s.energy_j;
        }
        st = sr_run_output_add_link(out, &s);
    }
    out->end_s = simgrid_get_clock();
    if (st == SR_OK) st = sr_run_output_summarize(out, e->metrics.warmup_s);
    if (st == SR_OK) st = sr_run_output_add_metric(out, "energy_total_j", energy_total, "J");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "bytes_total", (double)bytes_total, "B");
    /* Emmons et al.'s data amplification: network bytes of a completed frame / its raw 8-bit RGB frame. */
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "bytes_per_frame",
                                      eng->n_recs ? (double)bytes_total / (double)eng->n_recs : 0.0, "B");
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "amplification", n_sent ? amplification_sum / (double)n_sent : 0.0, "1");
    if (st == SR_OK && e->metrics.baseline_frames > 0) st = baseline_metrics(eng, out, amp_jpeg_sum, amp_h264_sum, n_base);
    if (st == SR_OK && e->mode == SR_MODE_EXACT) st = exact_metrics(eng, out);
    if (st == SR_OK && eng->pol->metrics) {
        metric_sink m = {out, SR_OK};
        st = eng->pol->metrics(eng->pol_state, e->policy.params, &eng->env, add_policy_metric, &m);
        if (st == SR_OK) st = m.st;
    }
    if (st == SR_OK) st = sr_run_output_add_metric(out, "plan_versions", (double)eng->n_plans, "1");
    /* only where flow aggregation took part (sr_sg_pool.hpp): the results are SimGrid's either way */
    if (st == SR_OK && eng->n_pooled_links > 0)
        st = sr_run_output_add_metric(out, "flow_pool_links", (double)eng->n_pooled_links, "1");
    if (st == SR_OK && eng->any_idle_curve) { /* compute after idle (sr_idle.h), where a device has a curve */
        int64_t n = 0;
        double sum = 0;
        for (int h = 0; h < eng->n_hosts; h++)
            n += eng->hosts[h].idle_slowed, sum += eng->hosts[h].idle_factor_sum;
        st = sr_run_output_add_metric(out, "idle_slowed_tasks", (double)n, "1");
        if (st == SR_OK) st = sr_run_output_add_metric(out, "idle_factor_mean", n ? sum / (double)n : 1.0, "1");
    }
    return st;
}
