/* sr_emulate.c: a run point on the emulated testbed (sr_emulate.h), the parent's half: prepares (engine view,
 * nodes, links, quotas, arrival times), builds the testbed, forks one device process per node
 * (sr_emulate_dev.c), starts them at one instant t0, collects their task records from one pipe, stops them,
 * tears down, and turns the records into the engine's run output. */
#define _GNU_SOURCE
#include "sr_emulate.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu_internal.h"
#include "sr_codectab.h"
#include "sr_exact.h"

static volatile sig_atomic_t g_stop;

void sr_emulate_stop(void)
{
    g_stop = 1;
}

/* ------------------------------------------------------------------------------------------------ */
/* Parent. */

static void emu_free(emu *m)
{
    for (int s = 0; m->src && s < m->n_src; s++) {
        free(m->src[s].node);
        free(m->src[s].dnode);
        free(m->src[s].n_preds);
        free(m->src[s].succ_first);
        free(m->src[s].succ);
        free(m->src[s].arrival_s);
    }
    free(m->src);
    free(m->node_host);
    free(m->host_node);
    free(m->stop_and_wait);
    free(m->links);
    free(m->router_name);
    free(m->forward);
    free(m->routes);
    free(m->flows);
    for (int i = 0; i < m->n_traces; i++)
        sr_trace_free(m->traces[i]);
    free(m->traces);
    free(m->pair_link);
    free(m->conn);
    free(m->quota);
    sr_engine_view_free(m->view);
}

/* The bandwidth trace of a route's direction: link ls's trace (mahimahi read again at 1 ms: one MTU per
 * delivery opportunity, spread over its millisecond, where the simulation uses trace_bin), capped at the
 * route's other links' bandwidth cap_bps. Kept in m->traces. */
static sr_status route_trace(emu *m, const sr_link_spec *ls, double cap_bps, const sr_trace **out, char *err,
                             size_t err_size)
{
    sr_trace *t = NULL;
    sr_status st;
    if (ls->trace_format == SR_TRACE_MAHIMAHI) {
        st = sr_trace_read(ls->bandwidth_trace, SR_TRACE_MAHIMAHI, SR_TRACE_BANDWIDTH, 1, &t, err, err_size);
        if (st != SR_OK) return st;
    } else {
        const sr_trace *src = ls->bw_trace;
        t = calloc(1, sizeof *t);
        if (!t) return SR_ERR_NOMEM;
        *t = *src;
        t->times_s = malloc(sizeof(double) * (size_t)src->n);
        t->values = malloc(sizeof(double) * (size_t)src->n);
        if (!t->times_s || !t->values) {
            sr_trace_free(t);
            return SR_ERR_NOMEM;
        }
        memcpy(t->times_s, src->times_s, sizeof(double) * (size_t)src->n);
        memcpy(t->values, src->values, sizeof(double) * (size_t)src->n);
    }
    for (int i = 0; i < t->n; i++)
        t->values[i] = fmin(t->values[i], cap_bps);
    m->traces[m->n_traces++] = t;
    *out = t;
    return SR_OK;
}

sr_status emu_need_pair(emu *m, int a, int b, char *err, size_t err_size)
{
    if (m->pair_link[a * m->n_nodes + b] >= 0) return SR_OK;
    const sr_experiment *e = m->e;
    int ha = m->node_host[a], hb = m->node_host[b];
    const char *na = sr_topology_host_at(m->topo, ha)->name, *nb = sr_topology_host_at(m->topo, hb)->name;
    const sr_topo_route *ab = sr_topology_route(m->topo, ha, hb), *ba = sr_topology_route(m->topo, hb, ha);
    if (!ab && !ba) {
        sr_errf(err, err_size, "no route between '%s' and '%s'", na, nb);
        return SR_ERR_NOT_FOUND;
    }
    sr_tb_link l = {.a = a, .b = b, .bw_ab_bps = INFINITY, .bw_ba_bps = INFINITY, .n_flows = 1};
    for (int dir = 0; dir < 2; dir++) {
        const sr_topo_route *r = dir == 0 ? (ab ? ab : ba) : (ba ? ba : ab);
        double bw = INFINITY, lat = 0;
        const sr_link_spec *traced = NULL, *lat_traced = NULL;
        for (int i = 0; i < r->n_links; i++) {
            const sr_link_spec *ls =
                &e->links[sr_topology_link_at(m->topo, sr_topology_route_link(m->topo, r, i))->spec];
            if ((ls->lat_trace && lat_traced) || (ls->bw_trace && traced)) {
                sr_errf(err, err_size,
                        "the route between '%s' and '%s' has two %s traces; the emulation follows one bandwidth "
                        "trace and one latency trace per route",
                        na, nb, ls->lat_trace && lat_traced ? "latency" : "bandwidth");
                return SR_ERR_UNSUPPORTED;
            }
            if (ls->lat_trace) lat_traced = ls;
            if (ls->bw_trace)
                traced = ls;
            else
                bw = fmin(bw, ls->bw_bps);
            lat += ls->latency_s;
        }
        const sr_trace *t = NULL;
        if (traced) {
            sr_status st = route_trace(m, traced, isfinite(bw) ? bw : 1e10, &t, err, err_size);
            if (st != SR_OK) return st;
            bw = fmin(bw, traced->bw_bps); /* before the trace's first time, as the simulation */
        }
        if (dir == 0)
            l.bw_ab_bps = bw, l.delay_ab_s = lat, l.trace_ab = t;
        else
            l.bw_ba_bps = bw, l.delay_ba_s = lat, l.trace_ba = t;
        if (lat_traced && dir == 0)
            l.lat_trace_ab = lat_traced->lat_trace, l.lat_static_ab_s = lat_traced->latency_s;
        else if (lat_traced)
            l.lat_trace_ba = lat_traced->lat_trace, l.lat_static_ba_s = lat_traced->latency_s;
    }
    if (!isfinite(l.bw_ab_bps)) l.bw_ab_bps = 1e10;
    if (!isfinite(l.bw_ba_bps)) l.bw_ba_bps = 1e10;
    m->links[m->n_links] = l;
    m->pair_link[a * m->n_nodes + b] = m->pair_link[b * m->n_nodes + a] = m->n_links++;
    return SR_OK;
}

static sr_status emu_prepare(emu *m, const sr_emulate_opts *o, char *err, size_t err_size)
{
    const sr_experiment *e = m->e;
    m->topo = sr_engine_view_topology(m->view);
    int nh = sr_topology_host_count(m->topo);
    m->n_src = sr_engine_view_source_count(m->view);
    m->host_node = malloc(sizeof(int) * (size_t)nh);
    m->node_host = malloc(sizeof(int) * (size_t)nh);
    m->src = calloc((size_t)(m->n_src ? m->n_src : 1), sizeof *m->src);
    if (!m->host_node || !m->node_host || !m->src) return SR_ERR_NOMEM;
    for (int h = 0; h < nh; h++)
        m->host_node[h] = -1;
    /* frames per source: --frames N, or the arrivals before the experiment's duration (as the engine) */
    m->n_frames = o->frames > 0 ? o->frames : EMU_MAX_FRAMES;
    for (int s = 0; s < m->n_src; s++) {
        emu_src *es = &m->src[s];
        sr_engine_view_source(m->view, s, &es->v);
        es->spec = &e->sources[es->v.spec];
        if (es->spec->kind != SR_SOURCE_FRAMES) {
            sr_errf(err, err_size,
                    "source '%s': emulation renders camera frames; event sources are not emulated yet",
                    es->spec->name);
            return SR_ERR_UNSUPPORTED;
        }
        const sr_graph *g = sr_engine_view_graph(m->view, es->v.model);
        es->n_nodes_model = sr_graph_node_count(g);
        sr_status st =
            sr_exact_plan_shape(es->v.plan, es->n_nodes_model, &es->cut, &es->pipeline, err, err_size);
        if (st != SR_OK) return st;
        es->coded = es->pipeline != NULL;
        const sr_node *in0 = sr_graph_node(g, 0);
        if (in0->op != SR_OP_INPUT || in0->out.rank != 4 || in0->out.d[0] != 1 ||
            (in0->out.d[1] != 3 && in0->out.d[1] != 1)) {
            sr_errf(err, err_size, "model '%s' does not take one 1xCxHxW image (C = 1 or 3)",
                    sr_graph_name(g));
            return SR_ERR_UNSUPPORTED;
        }
        es->mc = (int)in0->out.d[1], es->mh = (int)in0->out.d[2], es->mw = (int)in0->out.d[3];
        es->in_n = sr_shape_numel(&in0->out);
        if (es->cut >= 0) {
            const sr_node *cn = sr_graph_node(g, es->cut);
            if (sr_codectab_act_geometry(&cn->out, &es->ac, &es->ah, &es->aw) != 0) {
                sr_errf(err, err_size, "layer '%s' has no batch-1 activation", cn->name);
                return SR_ERR_UNSUPPORTED;
            }
            es->act_n = sr_shape_numel(&cn->out);
        }
        es->n_tasks = sr_plan_task_count(es->v.plan);
        int n = es->n_tasks, nd = sr_plan_dep_count(es->v.plan);
        es->node = malloc(sizeof(int) * (size_t)n);
        es->dnode = malloc(sizeof(int) * (size_t)n);
        es->n_preds = calloc((size_t)n, sizeof(int));
        es->succ_first = calloc((size_t)n + 1, sizeof(int));
        es->succ = calloc((size_t)(nd ? nd : 1), sizeof(int));
        es->arrival_s = malloc(sizeof(double) * (size_t)m->n_frames);
        if (!es->node || !es->dnode || !es->n_preds || !es->succ_first || !es->succ || !es->arrival_s)
            return SR_ERR_NOMEM;
        for (int t = 0; t < n; t++) {
            int dst, host = sr_engine_view_task_host(m->view, s, t, &dst);
            for (int k = 0; k < 2; k++) {
                int h = k ? dst : host;
                if (m->host_node[h] < 0) {
                    m->node_host[m->n_nodes] = h;
                    m->host_node[h] = m->n_nodes++;
                }
            }
            es->node[t] = m->host_node[host];
            es->dnode[t] = m->host_node[dst];
            const sr_plan_task *pt = sr_plan_task_at(es->v.plan, t);
            if (pt->kind == SR_TASK_TRANSFER && pt->payload == SR_PAYLOAD_ACTIVATION && !es->coded &&
                pt->bytes < (double)es->act_n) {
                sr_errf(err, err_size,
                        "plan task '%s' sends an activation of %lld elements in %.0f bytes; the "
                        "emulation sends real tensors (at least one byte per element, or a codec)",
                        pt->label, (long long)es->act_n, pt->bytes);
                return SR_ERR_UNSUPPORTED;
            }
        }
        int *fill = calloc((size_t)n, sizeof(int));
        if (!fill) return SR_ERR_NOMEM;
        for (int i = 0; i < nd; i++) {
            int b, a;
            sr_plan_dep_at(es->v.plan, i, &b, &a);
            es->n_preds[a]++;
            es->succ_first[b + 1]++;
        }
        for (int t = 0; t < n; t++)
            es->succ_first[t + 1] += es->succ_first[t];
        for (int i = 0; i < nd; i++) {
            int b, a;
            sr_plan_dep_at(es->v.plan, i, &b, &a);
            es->succ[es->succ_first[b] + fill[b]++] = a;
        }
        free(fill);
        for (int k = 0; k < m->n_frames; k++) {
            double t = sr_engine_view_next_arrival(m->view, s);
            if (o->frames <= 0 && !(t < e->duration_s)) break;
            if (!isfinite(t)) {
                sr_errf(err, err_size, "source '%s' has %d arrivals, fewer than the %d frames asked for",
                        es->spec->name, k, m->n_frames);
                return SR_ERR_RANGE;
            }
            es->arrival_s[es->n_cap++] = t;
        }
        if (o->frames <= 0 && sr_engine_view_next_arrival(m->view, s) < e->duration_s) {
            sr_errf(err, err_size,
                    "source '%s' captures more than %d frames in %g s; emulate fewer (--frames N)",
                    es->spec->name, EMU_MAX_FRAMES, e->duration_s);
            return SR_ERR_RANGE;
        }
        if (es->n_cap < 1) {
            sr_errf(err, err_size, "source '%s' captures no frame before the end of the experiment",
                    es->spec->name);
            return SR_ERR_RANGE;
        }
        es->max_queue = e->devices[sr_topology_host_at(m->topo, es->v.host)->group].max_queue;
    }
    m->stop_and_wait = calloc((size_t)m->n_nodes, sizeof(int));
    if (!m->stop_and_wait) return SR_ERR_NOMEM;
    for (int n = 0; n < m->n_nodes; n++)
        m->stop_and_wait[n] =
            e->devices[sr_topology_host_at(m->topo, m->node_host[n])->group].max_in_flight == 1;
    int most = 0;
    for (int s = 0; s < m->n_src; s++)
        most = m->src[s].n_cap > most ? m->src[s].n_cap : most;
    m->n_frames = most;
    /* links: every pair that a transfer or a notification joins */
    int nn = m->n_nodes;
    int ntl = sr_topology_link_count(m->topo);
    m->pair_link = malloc(sizeof(int) * (size_t)nn * (size_t)nn);
    m->conn = calloc((size_t)nn * (size_t)nn, sizeof(int));
    m->links = calloc((size_t)nn * (size_t)nn + (size_t)ntl + 1, sizeof *m->links);
    m->traces = calloc(2 * (size_t)nn * (size_t)nn, sizeof *m->traces);
    char *pair = calloc((size_t)nn * (size_t)nn, 1);
    if (!m->pair_link || !m->conn || !m->links || !m->traces || !pair) {
        free(pair);
        return SR_ERR_NOMEM;
    }
    for (int i = 0; i < nn * nn; i++)
        m->pair_link[i] = -1;
    for (int s = 0; s < m->n_src; s++) {
        emu_src *es = &m->src[s];
        for (int t = 0; t < es->n_tasks; t++)
            for (int i = es->succ_first[t] - 1; i < es->succ_first[t + 1]; i++) {
                /* the transfer itself, then a notification to each successor started elsewhere */
                int a = i < es->succ_first[t] ? es->node[t] : es->dnode[t];
                int b = i < es->succ_first[t] ? es->dnode[t] : es->node[es->succ[i]];
                if (a == b) continue;
                pair[a < b ? a * nn + b : b * nn + a] = 1;
                m->conn[a * nn + b] = 1;
            }
    }
    sr_status st = emu_plan_links(m, pair, err, err_size);
    free(pair);
    return st == SR_OK ? emu_quotas(m, o, err, err_size) : st;
}

/* One line per device: its quota, the rule that gave it, the cfs quota and period. */
static void log_quota(FILE *log, const sr_emulate_quota *q, const sr_emulate_opts *o)
{
    char rule[256] = "";
    if (q->rule == SR_EMU_QUOTA_PRICED)
        snprintf(rule, sizeof rule,
                 "%s: its plans' compute %.4g ms on host profile '%s' / %.4g ms on the device, per frame",
                 sr_emulate_quota_rule_name(q->rule), q->host_s * 1e3, o->host_profile->name,
                 q->device_s * 1e3);
    else if (q->rule == SR_EMU_QUOTA_PEAK)
        snprintf(rule, sizeof rule,
                 "%s: speed x cores x efficiency over host profile '%s''s (its plans give it no priced "
                 "compute)",
                 sr_emulate_quota_rule_name(q->rule), o->host_profile->name);
    if (q->cores > 0)
        fprintf(log, "emulate: device %s: CPU quota %.4f cores (%s), cfs %ld us every %ld us\n", q->device,
                q->cores, rule, q->quota_us, q->period_us);
    else if (q->rule != SR_EMU_QUOTA_NONE)
        fprintf(log,
                "emulate: device %s: no CPU quota (%.4g cores, %s: at least one core, which its single compute "
                "thread cannot exceed%s)\n",
                q->device, q->ratio, rule, q->ratio > 1.0 ? "; its compute takes longer than simulated" : "");
    else
        fprintf(log, "emulate: device %s: no CPU quota (no host profile given)\n", q->device);
}

/* Turns the records into the engine's output. */
static sr_status emu_collect(emu *m, const emu_rec *recs, size_t n_recs, sr_run_output *out)
{
    const sr_experiment *e = m->e;
    size_t nj = (size_t)m->n_src * (size_t)m->n_frames;
    int *done = calloc(nj, sizeof(int)), *dropped = calloc(nj, sizeof(int));
    int nh = sr_topology_host_count(m->topo), nl = sr_topology_link_count(m->topo);
    double *busy = calloc((size_t)nh, sizeof(double));
    int64_t *ntask = calloc((size_t)nh, sizeof(int64_t)), *lbytes = calloc((size_t)nl + 1, sizeof(int64_t)),
            *lxfer = calloc((size_t)nl + 1, sizeof(int64_t));
    sr_frame_record *fr = calloc(nj ? nj : 1, sizeof *fr);
    sr_status st = done && dropped && busy && ntask && lbytes && lxfer && fr ? SR_OK : SR_ERR_NOMEM;
    for (size_t j = 0; j < nj && st == SR_OK; j++) {
        int s = (int)(j / (size_t)m->n_frames);
        int64_t k = (int64_t)(j % (size_t)m->n_frames);
        sr_frame_record *f = &fr[j];
        f->frame = k;
        f->source = s;
        snprintf(f->device, sizeof f->device, "%s", sr_topology_host_at(m->topo, m->src[s].v.host)->name);
        f->capture_s = m->src[s].arrival_s[k];
        f->complete_s = f->capture_s;
        f->plan_version = sr_plan_version(m->src[s].v.plan);
    }
    for (size_t i = 0; i < n_recs && st == SR_OK; i++) {
        const emu_rec *r = &recs[i];
        size_t j = (size_t)r->source * (size_t)m->n_frames + (size_t)r->frame;
        sr_frame_record *f = &fr[j];
        if (r->type == REC_DROP) {
            dropped[j] = 1;
            continue;
        }
        const emu_src *es = &m->src[r->source];
        const sr_plan_task *pt = sr_plan_task_at(es->v.plan, r->task);
        int dst, host = sr_engine_view_task_host(m->view, r->source, r->task, &dst);
        done[j]++;
        if (r->end_s > f->complete_s) f->complete_s = r->end_s;
        sr_task_record tr;
        memset(&tr, 0, sizeof tr);
        tr.frame = r->frame;
        tr.source = r->source;
        tr.task = r->task;
        snprintf(tr.kind, sizeof tr.kind, "%s", sr_task_kind_name(pt->kind));
        snprintf(tr.label, sizeof tr.label, "%s", pt->label);
        snprintf(tr.device, sizeof tr.device, "%s", sr_topology_host_at(m->topo, host)->name);
        tr.ready_s = r->ready_s;
        tr.start_s = r->start_s < r->ready_s ? r->ready_s : r->start_s;
        tr.end_s = r->end_s < tr.start_s ? tr.start_s : r->end_s;
        if (pt->kind == SR_TASK_TRANSFER) {
            snprintf(tr.dst, sizeof tr.dst, "%s", sr_topology_host_at(m->topo, dst)->name);
            tr.bytes = r->bytes;
            f->transfer_s += tr.end_s - tr.start_s;
            f->bytes_sent += r->bytes;
            const sr_topo_route *rt = sr_topology_route(m->topo, host, dst);
            for (int l = 0; rt && l < rt->n_links; l++) {
                int li = sr_topology_route_link(m->topo, rt, l);
                lbytes[li] += r->bytes;
                lxfer[li]++;
            }
        } else if (pt->kind == SR_TASK_COMPUTE) {
            f->compute_s += tr.end_s - tr.start_s;
            f->queue_s += tr.start_s - tr.ready_s;
            busy[host] += tr.end_s - tr.start_s;
            ntask[host]++;
        }
        if (e->metrics.frames) st = sr_run_output_add_task(out, &tr);
    }
    double end = 0;
    for (size_t j = 0; j < nj && st == SR_OK; j++) {
        sr_frame_record *f = &fr[j];
        const emu_src *es = &m->src[f->source];
        if (f->frame >= es->n_cap) continue;
        if (dropped[j] || done[j] < es->n_tasks) {
            f->dropped = 1;
            f->complete_s = f->latency_s = -1;
            snprintf(f->outcome, sizeof f->outcome, "%s", dropped[j] ? "dropped" : "failed");
            if (dropped[j])
                snprintf(f->cause, sizeof f->cause, "queue of %s full", f->device);
            else
                snprintf(f->cause, sizeof f->cause, "not finished when the emulation ended");
        } else {
            f->latency_s = f->complete_s - f->capture_s;
            int late = es->spec->deadline_s > 0 && f->latency_s > es->spec->deadline_s;
            snprintf(f->outcome, sizeof f->outcome, "%s", late ? "late" : "completed");
            if (f->complete_s > end) end = f->complete_s;
        }
        if (f->capture_s > end) end = f->capture_s;
        st = sr_run_output_add_frame(out, f);
    }
    for (int l = 0; l < nl && st == SR_OK && e->metrics.links; l++) {
        if (!lxfer[l]) continue;
        const sr_topo_link *tl = sr_topology_link_at(m->topo, l);
        const sr_link_spec *ls = &e->links[tl->spec];
        sr_link_stat ls_out;
        memset(&ls_out, 0, sizeof ls_out);
        snprintf(ls_out.name, sizeof ls_out.name, "%s", tl->name);
        snprintf(ls_out.type, sizeof ls_out.type, "%s", sr_link_type_name(ls->type));
        ls_out.bw_bps = ls->bw_bps;
        ls_out.latency_s = ls->latency_s;
        ls_out.bytes = lbytes[l];
        ls_out.transfers = lxfer[l];
        st = sr_run_output_add_link(out, &ls_out);
    }
    for (int n = 0; n < m->n_nodes && st == SR_OK && e->metrics.hosts; n++) {
        int h = m->node_host[n];
        const sr_topo_host *th = sr_topology_host_at(m->topo, h);
        sr_host_stat hs;
        memset(&hs, 0, sizeof hs);
        snprintf(hs.name, sizeof hs.name, "%s", th->name);
        snprintf(hs.device_class, sizeof hs.device_class, "%s",
                 sr_device_class_name(e->devices[th->group].cls));
        hs.busy_s = busy[h];
        hs.tasks = ntask[h];
        st = sr_run_output_add_host(out, &hs);
    }
    out->end_s = end;
    if (st == SR_OK) st = sr_run_output_summarize(out, e->metrics.warmup_s);
    for (size_t i = 0; st == SR_OK && i < out->n_metrics; i++) /* energy is not measured: NULL, not 0 */
        if (strcmp(out->metrics[i].name, "energy_total_j") == 0) out->metrics[i].value = NAN;
    int64_t bytes = 0;
    for (size_t j = 0; j < nj; j++)
        bytes += fr[j].bytes_sent;
    if (st == SR_OK) st = sr_run_output_add_metric(out, "bytes_total", (double)bytes, "B");
    size_t n_frames = 0;
    for (int s = 0; s < m->n_src; s++)
        n_frames += (size_t)m->src[s].n_cap;
    if (st == SR_OK)
        st = sr_run_output_add_metric(out, "bytes_per_frame", n_frames ? (double)bytes / (double)n_frames : 0,
                                      "B");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "emulated_frames", (double)n_frames, "1");
    free(done);
    free(dropped);
    free(busy);
    free(ntask);
    free(lbytes);
    free(lxfer);
    free(fr);
    return st;
}

sr_status sr_emulate_check(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *o, char *err,
                           size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    emu m;
    memset(&m, 0, sizeof m);
    m.e = e;
    sr_status st = sr_engine_view_create(e, seed, &m.view, err, err_size);
    if (st == SR_OK) st = emu_prepare(&m, o, err, err_size);
    emu_free(&m);
    return st;
}

sr_status sr_emulate_quotas(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *o,
                            sr_emulate_quota *q, int n, int *n_out, char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    *n_out = 0;
    emu m;
    memset(&m, 0, sizeof m);
    m.e = e;
    sr_status st = sr_engine_view_create(e, seed, &m.view, err, err_size);
    if (st == SR_OK) st = emu_prepare(&m, o, err, err_size);
    if (st == SR_OK) {
        *n_out = m.n_nodes;
        for (int i = 0; i < n && i < m.n_nodes; i++)
            q[i] = m.quota[i];
    }
    emu_free(&m);
    return st;
}

sr_status sr_emulate_run(const sr_experiment *e, uint64_t seed, const sr_emulate_opts *o, sr_run_output *out,
                         char *err, size_t err_size)
{
    if (err && err_size) err[0] = '\0';
    sr_status st = sr_testbed_check(err, err_size);
    if (st != SR_OK) return st;
    double wall0 = emu_now_s();
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old_pipe);
    emu m;
    memset(&m, 0, sizeof m);
    m.e = e;
    pid_t *pids = NULL;
    int *ctl = NULL, rec[2] = {-1, -1};
    emu_rec *recs = NULL;
    size_t n_recs = 0, cap_recs = 0;
    int n_started = 0;
    st = sr_engine_view_create(e, seed, &m.view, err, err_size);
    if (st == SR_OK) st = emu_prepare(&m, o, err, err_size);
    if (st != SR_OK) goto done;
    double *quota = calloc((size_t)(m.n_nodes + m.n_routers), sizeof(double)); /* routers: none */
    if (!quota) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (int n = 0; n < m.n_nodes; n++) {
        quota[n] = m.quota[n].cores;
        if (o->log) log_quota(o->log, &m.quota[n], o);
    }
    for (int l = 0; l < m.n_links && o->log; l++)
        fprintf(o->log, "emulate: link %s <-> %s: %.4g%s / %.4g%s Mbit/s, %.4g / %.4g ms one way%s\n",
                emu_node_name(&m, m.links[l].a), emu_node_name(&m, m.links[l].b), m.links[l].bw_ab_bps / 1e6,
                m.links[l].trace_ab ? " (then its trace)" : "", m.links[l].bw_ba_bps / 1e6,
                m.links[l].trace_ba ? " (then its trace)" : "", m.links[l].delay_ab_s * 1e3,
                m.links[l].delay_ba_s * 1e3,
                m.links[l].n_flows > 1 ? ", shared by the routes of several device pairs (one htb class each)" : "");
    sr_tb_tcp tcp = o->cold_tcp ? SR_TB_TCP_COLD : SR_TB_TCP_WARM;
    st = sr_testbed_create(m.n_nodes + m.n_routers, quota, m.links, m.n_links, &tcp, &m.tb, err, err_size);
    free(quota);
    if (st == SR_OK) st = emu_apply_routes(&m, err, err_size);
    if (st != SR_OK) goto done;
    pids = calloc((size_t)m.n_nodes, sizeof *pids);
    ctl = malloc(sizeof(int) * 2 * (size_t)m.n_nodes);
    for (int i = 0; ctl && i < 2 * m.n_nodes; i++)
        ctl[i] = -1;
    if (!pids || !ctl || pipe(rec) != 0) {
        st = SR_ERR_IO;
        goto done;
    }
    m.rec_w = rec[1];
    for (int n = 0; n < m.n_nodes; n++)
        if (pipe(&ctl[2 * n]) != 0) {
            st = SR_ERR_IO;
            goto done;
        }
    for (int n = 0; n < m.n_nodes; n++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            char msg[512];
            prctl(PR_SET_PDEATHSIG,
                  SIGKILL); /* a device does not outlive the run (the guardian then tears down) */
            close(rec[0]);
            for (int q = 0; q < m.n_nodes; q++) {
                close(ctl[2 * q + 1]);
                if (q != n) close(ctl[2 * q]);
            }
            if (sr_testbed_enter(m.tb, n, msg, sizeof msg) != SR_OK) {
                fprintf(stderr, "simrun emulate: %s\n", msg);
                _exit(3);
            }
            emu_dev_main(&m, n, ctl[2 * n]);
            _exit(0);
        }
        if (pid < 0) {
            st = SR_ERR_IO;
            goto done;
        }
        pids[n] = pid;
        n_started++;
    }
    close(rec[1]);
    rec[1] = -1;
    for (int n = 0; n < m.n_nodes; n++) {
        close(ctl[2 * n]);
        ctl[2 * n] = -1;
    }
    /* collect: READY from every node, then the start, then records until every frame is accounted for */
    size_t nj = (size_t)m.n_src * (size_t)m.n_frames;
    int ready = 0, started = 0, failed = 0;
    size_t *left = calloc(nj, sizeof *left);
    size_t finished = 0;
    if (!left) {
        st = SR_ERR_NOMEM;
        goto done;
    }
    for (size_t j = 0; j < nj; j++) {
        const emu_src *es = &m.src[j / (size_t)m.n_frames];
        left[j] = (int64_t)(j % (size_t)m.n_frames) < es->n_cap ? (size_t)es->n_tasks : 0;
        finished += left[j] == 0;
    }
    double last_capture = 0;
    for (int s = 0; s < m.n_src; s++)
        last_capture = fmax(last_capture, m.src[s].arrival_s[m.src[s].n_cap - 1]);
    double grace = o->grace_s > 0 ? o->grace_s : 30.0, deadline = emu_now_s() + 120.0;
    while (!g_stop && !failed && finished < nj) {
        if (emu_now_s() > deadline) break;
        struct pollfd p = {rec[0], POLLIN, 0};
        int k = poll(&p, 1, 200);
        if (k < 0 && errno != EINTR) break;
        if (k <= 0) continue;
        emu_rec r;
        if (emu_io_all(rec[0], &r, sizeof r, 1) != 0) {
            failed = 1;
            break;
        }
        if (r.type == REC_FAIL) {
            failed = 1;
        } else if (r.type == REC_READY) {
            if (++ready == m.n_nodes) {
                m.t0 = emu_now_s() + 0.3;
                sr_testbed_set_origin(m.tb, m.t0);
                deadline = m.t0 + last_capture + grace;
                for (int n = 0; n < m.n_nodes; n++)
                    if (emu_io_all(ctl[2 * n + 1], &m.t0, sizeof m.t0, 0) != 0) failed = 1;
                started = 1;
                if (o->log)
                    fprintf(o->log, "emulate: %d devices ready, up to %d frames per source over %.1f s\n",
                            m.n_nodes, m.n_frames, last_capture);
            }
        } else if (r.source >= 0 && r.source < m.n_src && r.frame >= 0 && r.frame < m.n_frames) {
            size_t j = (size_t)r.source * (size_t)m.n_frames + (size_t)r.frame;
            if (n_recs == cap_recs) {
                size_t cap = cap_recs ? 2 * cap_recs : 256;
                emu_rec *nr = realloc(recs, cap * sizeof *nr);
                if (!nr) {
                    st = SR_ERR_NOMEM;
                    break;
                }
                recs = nr;
                cap_recs = cap;
            }
            recs[n_recs++] = r;
            if (left[j] > 0) {
                left[j] = r.type == REC_DROP ? 0 : left[j] - 1;
                if (left[j] == 0) finished++;
            }
        }
    }
    free(left);
    if (st == SR_OK && (g_stop || failed || !started)) {
        sr_errf(err, err_size, "%s",
                g_stop   ? "emulation stopped by a signal"
                : failed ? "a device process failed (its message is above)"
                         : "the device processes did not start in time");
        st = SR_ERR_CHILD;
    }
    if (st == SR_OK && finished < nj && o->log)
        fprintf(o->log, "emulate: %zu of %zu frames did not finish within %.0f s after the last capture\n",
                nj - finished, nj, grace);
done:
    for (int i = 0; ctl && i < 2 * m.n_nodes; i++)
        if (ctl[i] >= 0) close(ctl[i]);
    for (int n = 0; n < n_started; n++) {
        int status;
        for (int tries = 0; tries < 40 && waitpid(pids[n], &status, WNOHANG) == 0; tries++)
            usleep(50000);
        if (waitpid(pids[n], &status, WNOHANG) == 0) {
            kill(pids[n], SIGKILL);
            waitpid(pids[n], &status, 0);
        } else if (WIFSIGNALED(status) && o->log) {
            fprintf(o->log, "emulate: the process of device %s died of signal %d\n",
                    sr_topology_host_at(m.topo, m.node_host[n])->name, WTERMSIG(status));
        }
    }
    if (rec[0] >= 0) close(rec[0]);
    if (rec[1] >= 0) close(rec[1]);
    free(ctl);
    free(pids);
    sr_testbed_free(m.tb);
    if (st == SR_OK) st = emu_collect(&m, recs, n_recs, out);
    if (st == SR_OK) st = sr_run_output_add_metric(out, "emulated_wall_s", emu_now_s() - wall0, "s");
    if (st == SR_OK) st = sr_run_output_add_metric(out, "emulated_tcp_warm", o->cold_tcp ? 0 : 1, "1");
    free(recs);
    emu_free(&m);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return st;
}
