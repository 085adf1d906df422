/* sr_profiles.c: link traces and failure schedules -> SimGrid profiles (see sr_profiles.h). */
#include "sr_profiles.h"

#include <stdlib.h>
#include <string.h>

#include <simgrid/host.h>
#include <simgrid/link.h>

#include "failures.h"
#include "sr_sg_shim.h"

#define MAX_OUTAGES 1000000

sr_status sr_profiles_link_bandwidth(sg_link_t link, const sr_trace *t)
{
    if (!link || !t || t->kind != SR_TRACE_BANDWIDTH || t->n < 1) return SR_ERR_INVALID;
    double *Bps = malloc((size_t)t->n * sizeof *Bps);
    if (!Bps) return SR_ERR_NOMEM;
    for (int i = 0; i < t->n; i++)
        Bps[i] = (t->values[i] > SR_PROFILE_MIN_BW_BPS ? t->values[i] : SR_PROFILE_MIN_BW_BPS) / 8.0;
    int r = sr_sg_link_set_bandwidth_profile(link, t->times_s, Bps, t->n, t->period_s);
    free(Bps);
    return r == 0 ? SR_OK : SR_ERR_SIM;
}

sr_status sr_profiles_link_latency(sg_link_t link, const sr_trace *t)
{
    if (!link || !t || t->kind != SR_TRACE_LATENCY || t->n < 1) return SR_ERR_INVALID;
    return sr_sg_link_set_latency_profile(link, t->times_s, t->values, t->n, t->period_s) == 0 ? SR_OK
                                                                                               : SR_ERR_SIM;
}

sr_status sr_profiles_link_state(sg_link_t link, const sr_trace *t)
{
    if (!link || !t || t->kind != SR_TRACE_STATE || t->n < 1) return SR_ERR_INVALID;
    return sr_sg_link_set_state_profile(link, t->times_s, t->values, t->n, t->period_s) == 0 ? SR_OK
                                                                                             : SR_ERR_SIM;
}

sr_status sr_profiles_host_state(sg_host_t host, const sr_trace *t)
{
    if (!host || !t || t->kind != SR_TRACE_STATE || t->n < 1) return SR_ERR_INVALID;
    return sr_sg_host_set_state_profile(host, t->times_s, t->values, t->n, t->period_s) == 0 ? SR_OK
                                                                                             : SR_ERR_SIM;
}

sr_status sr_profiles_host_speed(sg_host_t host, const sr_speed_change *c, int n)
{
    if (!host || !c || n < 1) return SR_ERR_INVALID;
    double *t = malloc((size_t)(n + 1) * sizeof *t), *v = malloc((size_t)(n + 1) * sizeof *v);
    if (!t || !v) {
        free(t);
        free(v);
        return SR_ERR_NOMEM;
    }
    int k = 0;
    if (c[0].at_s > 0) t[k] = 0.0, v[k++] = 1.0;
    for (int i = 0; i < n; i++)
        t[k] = c[i].at_s, v[k++] = c[i].factor;
    int r = sr_sg_host_set_speed_profile(host, t, v, k, 0.0);
    free(t);
    free(v);
    return r == 0 ? SR_OK : SR_ERR_SIM;
}

sr_status sr_profiles_outages(const sr_failure_spec *f, const char *instance, double horizon_s, uint64_t seed,
                              sr_outage **out, int *n, char *err, size_t err_size)
{
    *out = NULL;
    *n = 0;
    sr_outage *drawn = NULL;
    int nd = 0;
    if (f->mtbf_s > 0 && f->mttr_s > 0) {
        sr_status st = sr_failures_draw(f->mtbf_s, f->mttr_s, horizon_s, sr_failures_seed(seed, instance),
                                        MAX_OUTAGES, &drawn, &nd);
        if (st == SR_ERR_RANGE) {
            sr_errf(err, err_size, "%s: mtbf %gs over %gs gives more than %d failures", instance, f->mtbf_s,
                    horizon_s, MAX_OUTAGES);
            return st;
        }
        if (st != SR_OK) {
            sr_errf(err, err_size, "%s: cannot draw failures (%s)", instance, sr_status_message(st));
            return st;
        }
    }
    sr_status st = sr_failures_merge(f->list, f->n, drawn, nd, out, n);
    free(drawn);
    if (st != SR_OK) sr_errf(err, err_size, "%s: %s", instance, sr_status_message(st));
    return st;
}

/* Gives `instance` (a link when link != NULL, else host) the state profile of its outages. */
static sr_status apply_failures(const sr_failure_spec *f, const char *instance, sg_link_t link,
                                sg_host_t host, double horizon_s, uint64_t seed, char *err, size_t err_size)
{
    if (f->n == 0 && !(f->mtbf_s > 0 && f->mttr_s > 0)) return SR_OK;
    sr_outage *o = NULL;
    int n = 0;
    sr_status st = sr_profiles_outages(f, instance, horizon_s, seed, &o, &n, err, err_size);
    sr_trace *t = NULL;
    if (st == SR_OK && n > 0) {
        st = sr_failures_to_state(o, n, &t);
        if (st == SR_OK) st = link ? sr_profiles_link_state(link, t) : sr_profiles_host_state(host, t);
        if (st != SR_OK) sr_errf(err, err_size, "%s: SimGrid refused its failure schedule", instance);
    }
    sr_trace_free(t);
    free(o);
    return st;
}

sr_status sr_profiles_apply(const sr_experiment *e, uint64_t seed, char *err, size_t err_size)
{
    for (int i = 0; i < e->n_links; i++) {
        const sr_link_spec *ls = &e->links[i];
        int has_fail = ls->failures.n > 0 || (ls->failures.mtbf_s > 0 && ls->failures.mttr_s > 0);
        if (!ls->bw_trace && !ls->lat_trace && !has_fail) continue;
        for (int k = 0; k < ls->count; k++) {
            const char *name = ls->instances[k];
            sg_link_t l = sg_link_by_name(name);
            if (!l) {
                sr_errf(err, err_size, "SimGrid did not create link '%s'", name);
                return SR_ERR_SIM;
            }
            if (ls->bw_trace && sr_profiles_link_bandwidth(l, ls->bw_trace) != SR_OK) {
                sr_errf(err, err_size, "link '%s': SimGrid refused its bandwidth trace", name);
                return SR_ERR_SIM;
            }
            if (ls->lat_trace && sr_profiles_link_latency(l, ls->lat_trace) != SR_OK) {
                sr_errf(err, err_size, "link '%s': SimGrid refused its latency trace", name);
                return SR_ERR_SIM;
            }
            sr_status st = apply_failures(&ls->failures, name, l, NULL, e->duration_s, seed, err, err_size);
            if (st != SR_OK) return st;
        }
    }
    for (int i = 0; i < e->n_devices; i++) {
        const sr_device_spec *d = &e->devices[i];
        for (int k = 0; k < (d->n_speed_changes > 0 ? d->count : 0); k++) {
            sg_host_t h = sg_host_by_name(d->instances[k]);
            if (!h || sr_profiles_host_speed(h, d->speed_changes, d->n_speed_changes) != SR_OK) {
                sr_errf(err, err_size, "device '%s': SimGrid refused its speed changes", d->instances[k]);
                return SR_ERR_SIM;
            }
        }
        if (d->failures.n == 0 && !(d->failures.mtbf_s > 0 && d->failures.mttr_s > 0)) continue;
        for (int k = 0; k < d->count; k++) {
            const char *name = d->instances[k];
            sg_host_t h = sg_host_by_name(name);
            if (!h) {
                sr_errf(err, err_size, "SimGrid did not create host '%s'", name);
                return SR_ERR_SIM;
            }
            sr_status st = apply_failures(&d->failures, name, NULL, h, e->duration_s, seed, err, err_size);
            if (st != SR_OK) return st;
        }
    }
    return SR_OK;
}
