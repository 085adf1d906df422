/* eng_pool.c: which shared links the engine hands to the flow pool (sr_sg_pool.hpp, sr_sg_shim.h).
 *
 * A SHARED link W can be pooled when the pool's max-min over {W, the groups' own links} is SimGrid's max-min
 * over the whole network, i.e. when no flow outside W's routes can meet a flow of W anywhere else:
 * - every declared route through W has no WIFI link and crosses no other pooled link;
 * - every other SHARED link l on such a route is crossed only by routes through W, all with the same set of
 *   links as the first one (then the flows of l are one group of the pool: same latency, same bound, and l
 *   is theirs alone). FATPIPE links may be on any route: they bound each flow alone.
 * - under lv08 (cross-traffic: a flow also loads its back route), every route through W has its reverse with
 *   the same links, and no link is rdma (the RDMA exemption sets per-flow factors).
 * The experiment must also leave links and hosts as they are during the run (no traces, no failures, no link
 * energy: sr_sg_pool_links checks SimGrid's side of it). `flow_aggregation: off` turns
 * pooling off (tests compare the two). */
#include <stdlib.h>
#include <string.h>

#include <simgrid/link.h>

#include "eng_internal.h"
#include "sr_sg_shim.h"

static int has_failures(const sr_failure_spec *f)
{
    return f->n > 0 || (f->mtbf_s > 0 && f->mttr_s > 0);
}

/* The experiment keeps links and hosts unchanged during a run and uses CM02. */
static int pool_allowed(const sr_experiment *e)
{
    if (e->flow_aggregation == SR_FLOW_AGG_OFF || eng_needs_link_energy(e)) return 0;
    /* lv08's RDMA exemption sets per-flow factors through callbacks (eng_sg.c): not for the pool */
    if (e->net_model == SR_NET_LV08)
        for (int s = 0; s < e->n_links; s++)
            if (e->links[s].type == SR_LINK_RDMA) return 0;
    for (int s = 0; s < e->n_links; s++)
        if (e->links[s].bandwidth_trace || e->links[s].latency_trace || has_failures(&e->links[s].failures))
            return 0;
    for (int d = 0; d < e->n_devices; d++)
        if (has_failures(&e->devices[d].failures)) return 0;
    return 1;
}

static int link_shared(const sr_experiment *e, const sr_topology *t, int li)
{
    return e->links[sr_topology_link_at(t, li)->spec].sharing == SR_SHARING_SHARED;
}

static int link_wifi(const sr_experiment *e, const sr_topology *t, int li)
{
    return e->links[sr_topology_link_at(t, li)->spec].sharing == SR_SHARING_WIFI;
}

/* Route a and b have the same set of links (routes are short: quadratic is fine). */
static int same_links(const sr_topology *t, const sr_topo_route *a, const sr_topo_route *b)
{
    if (a->n_links != b->n_links) return 0;
    for (int i = 0; i < a->n_links; i++) {
        int la = sr_topology_route_link(t, a, i), found = 0;
        for (int j = 0; j < b->n_links && !found; j++)
            found = sr_topology_route_link(t, b, j) == la;
        if (!found) return 0;
    }
    return 1;
}

sr_status eng_pool_setup(engine *eng, char *err, size_t err_size)
{
    const sr_experiment *e = eng->e;
    const sr_topology *t   = eng->topo;
    if (!pool_allowed(e)) return SR_OK;
    int nl = sr_topology_link_count(t), nr = sr_topology_route_count(t);
    sr_status st = SR_ERR_NOMEM;
    /* for each link the routes through it (CSR) */
    int *start = calloc((size_t)nl + 1, sizeof *start), *fill = calloc((size_t)nl + 1, sizeof *fill);
    int *through = NULL, *owner = malloc((size_t)(nl ? nl : 1) * sizeof *owner);
    int *touched = malloc((size_t)(nl ? nl : 1) * sizeof *touched);
    int *pooled = calloc((size_t)(nl ? nl : 1), sizeof *pooled);
    sg_link_t *chosen = malloc((size_t)(nl ? nl : 1) * sizeof *chosen);
    if (!start || !fill || !owner || !touched || !pooled || !chosen) goto cleanup;
    for (int i = 0; i < nr; i++) {
        const sr_topo_route *r = sr_topology_route_at(t, i);
        for (int k = 0; k < r->n_links; k++)
            start[sr_topology_route_link(t, r, k) + 1]++;
    }
    for (int l = 0; l < nl; l++) {
        start[l + 1] += start[l];
        owner[l] = -1;
    }
    through = malloc((size_t)(start[nl] ? start[nl] : 1) * sizeof *through);
    if (!through) goto cleanup;
    for (int i = 0; i < nr; i++) {
        const sr_topo_route *r = sr_topology_route_at(t, i);
        for (int k = 0; k < r->n_links; k++) {
            int l = sr_topology_route_link(t, r, k);
            through[start[l] + fill[l]++] = i;
        }
    }
    int n_chosen = 0;
    for (int w = 0; w < nl; w++) {
        if (!link_shared(e, t, w) || pooled[w] || start[w + 1] - start[w] < 2) continue;
        int ok = 1, n_touched = 0;
        for (int j = start[w]; j < start[w + 1] && ok; j++) {
            const sr_topo_route *r = sr_topology_route_at(t, through[j]);
            if (e->net_model == SR_NET_LV08) { /* cross-traffic loads the back route: the same links */
                const sr_topo_route *back = sr_topology_route(t, r->dst, r->src);
                ok = back && same_links(t, r, back);
            }
            for (int k = 0; k < r->n_links && ok; k++) {
                int l = sr_topology_route_link(t, r, k);
                if (l == w) continue;
                if (link_wifi(e, t, l) || pooled[l]) {
                    ok = 0;
                } else if (link_shared(e, t, l)) {
                    if (owner[l] < 0) {
                        owner[l]             = through[j];
                        touched[n_touched++] = l;
                    } else if (!same_links(t, sr_topology_route_at(t, owner[l]), r)) {
                        ok = 0;
                    }
                }
            }
        }
        /* every route through one of those links goes through W */
        for (int i = 0; i < n_touched && ok; i++) {
            int l = touched[i];
            for (int j = start[l]; j < start[l + 1] && ok; j++) {
                const sr_topo_route *r = sr_topology_route_at(t, through[j]);
                int via_w = 0;
                for (int k = 0; k < r->n_links && !via_w; k++)
                    via_w = sr_topology_route_link(t, r, k) == w;
                ok = via_w;
            }
        }
        for (int i = 0; i < n_touched; i++) {
            if (ok) pooled[touched[i]] = 2; /* W's groups' links may not be pooled themselves */
            owner[touched[i]] = -1;
        }
        if (!ok) continue;
        pooled[w]         = 1;
        chosen[n_chosen] = sg_link_by_name(sr_topology_link_at(t, w)->name);
        if (!chosen[n_chosen]) {
            ENG_ERR("SimGrid did not create link '%s'", sr_topology_link_at(t, w)->name);
            st = SR_ERR_SIM;
            goto cleanup;
        }
        n_chosen++;
    }
    /* -1: SimGrid's side does not allow it (the transfers then all go through SimGrid, as without pooling) */
    eng->n_pooled_links = sr_sg_pool_links(chosen, n_chosen) == 0 ? n_chosen : 0;
    st = SR_OK;
cleanup:
    if (st == SR_ERR_NOMEM) ENG_ERR("out of memory while choosing the links to pool");
    free(start);
    free(fill);
    free(through);
    free(owner);
    free(touched);
    free(pooled);
    free(chosen);
    return st;
}
