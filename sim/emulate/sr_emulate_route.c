/* sr_emulate_route.c: the testbed's links for a point's device pairs, and routers where platform links are
 * shared (emu_internal.h, user guide section 17).
 *
 * A platform link is shared when the routes of two or more device pairs cross it (either direction; a
 * FATPIPE link, which gives every flow its whole bandwidth, is never shared). A pair whose routes cross no
 * shared link gets a testbed link of its own, its route collapsed (bottleneck bandwidth, summed latency; the
 * emulation as it was before routers). A pair whose route crosses shared links is emulated link by link where
 * it matters: its route is cut into
 *
 *     x's private links ... | the shared chain | ... y's private links
 *
 * The shared chain (the route's shared links, which must follow each other) becomes one testbed link, a
 * "trunk": its bottleneck bandwidth and summed latency per direction, shaped once (tbf on each end's egress,
 * the delay line for the latency), so every flow that crosses it shares its rate as TCP flows share a real
 * link. Each end of a trunk is one namespace: the device that sits there without a private link of its own
 * (a server at the end of the uplink), or else a router namespace (net.ipv4.ip_forward = 1). A pair's
 * private links on each side collapse into one testbed link between its device and the trunk's end, as a
 * pair's whole route does without sharing. Every namespace on a pair's path gets an `ip route` for the far
 * device's address through the next link; addresses are per testbed link (10.201.L.1 / .2), so the routes
 * of different pairs never meet in one namespace for the same address through different links.
 *
 * Refused, naming the link and why: a shared link with a bandwidth or latency trace, or with WIFI sharing
 * (SimGrid's cell model, not max-min), or any trace on a route through a shared link; routes between a pair
 * that are not the same links both ways; a link that only one pair uses between two shared links of its
 * route; shared links that different routes cross as different chains (a chain must be crossed whole by
 * every route that crosses any of its links); two devices, or one device at both ends, at an end of a chain
 * without a link of their own; a device at an end of a chain for some routes and behind a private link for
 * others.
 *
 * Which end of a chain a pair's device is at: a chain of several links says it by its order; a chain that
 * reads the same both ways (one link) by what its ends touch (orient below), else by the routes' declared
 * direction. A chain's pairs share its rate per pair (sr_testbed_share: one htb class each), where the flow
 * model shares it per transfer; a pair's transfers in one direction cross one connection, one at a time. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_internal.h"

/* A shared chain: its links in the order of the route that first crossed it. */
typedef struct rt_trunk {
    int first, n;  /* into the chain pool */
    int pa, pb;    /* the pair that first crossed it (device nodes), for messages */
    int anchor[2]; /* testbed node at each end (-1 until known) */
    int n_pairs;   /* pairs whose routes cross it */
    int link;      /* its testbed link */
} rt_trunk;

/* A routed pair: x -> y crosses trunk t in direction dir (0: as the trunk's order), private links of x are
 * route links [0, f), of y (g, n). */
typedef struct rt_pair {
    int x, y, t, dir, f, g; /* dir -1: not known yet (a chain that reads the same both ways) */
    int nbx, nby; /* what x's and y's sides touch at the chain's ends: the private link next to it, or
                     topology link count + the device itself */
    int declared; /* 1: the route x -> y is the direction its route spec declares */
    const sr_topo_route *r;
} rt_pair;

const char *emu_node_name(const emu *m, int node)
{
    if (node < m->n_nodes) return sr_topology_host_at(m->topo, m->node_host[node])->name;
    return m->router_name[node - m->n_nodes];
}

static const char *host_name(const emu *m, int node)
{
    return sr_topology_host_at(m->topo, m->node_host[node])->name;
}

static const sr_link_spec *link_spec(const emu *m, int li)
{
    return &m->e->links[sr_topology_link_at(m->topo, li)->spec];
}

static const char *link_name(const emu *m, int li)
{
    return sr_topology_link_at(m->topo, li)->name;
}

/* Adds a testbed link (capacity: n_nodes^2 + topology links + 1, emu_prepare). */
static int add_link(emu *m, int a, int b, double bw_bps, double lat_s, int n_flows)
{
    sr_tb_link l = {.a = a, .b = b, .bw_ab_bps = bw_bps, .bw_ba_bps = bw_bps, .delay_ab_s = lat_s, .delay_ba_s = lat_s,
                     .n_flows = n_flows};
    m->links[m->n_links] = l;
    return m->n_links++;
}

/* Collapses route links [from, to) into one bandwidth (bottleneck) and latency (sum). */
static void collapse(const emu *m, const sr_topo_route *r, int from, int to, double *bw, double *lat)
{
    *bw = INFINITY;
    *lat = 0;
    for (int i = from; i < to; i++) {
        const sr_link_spec *ls = link_spec(m, sr_topology_route_link(m->topo, r, i));
        *bw = fmin(*bw, ls->bw_bps);
        *lat += ls->latency_s;
    }
    if (!isfinite(*bw)) *bw = 1e10;
}

/* Records that node forwards toward dst's address on link dst_link through via; refuses a namespace that two
 * pairs would route differently to one address (cannot happen with one trunk per route; checked anyway). */
static sr_status add_route(emu *m, int node, int dst_node, int dst_link, int via, char *err, size_t err_size)
{
    for (int i = 0; i < m->n_routes; i++) {
        emu_route *q = &m->routes[i];
        if (q->node != node || q->dst_node != dst_node || q->dst_link != dst_link) continue;
        if (q->via == via) return SR_OK;
        sr_errf(err, err_size, "%s would reach %s through two different links; not emulated",
                emu_node_name(m, node), emu_node_name(m, dst_node));
        return SR_ERR_UNSUPPORTED;
    }
    m->routes[m->n_routes++] = (emu_route){node, dst_node, dst_link, via};
    return SR_OK;
}

/* The pair's route x -> y (checked to be the same links both ways), or NULL with err set. */
static const sr_topo_route *pair_route(emu *m, int a, int b, int *x, int *y, char *err, size_t err_size)
{
    const sr_topo_route *ab = sr_topology_route(m->topo, m->node_host[a], m->node_host[b]);
    const sr_topo_route *ba = sr_topology_route(m->topo, m->node_host[b], m->node_host[a]);
    *x = ab ? a : b;
    *y = ab ? b : a;
    if (ab && ba) {
        int same = ab->n_links == ba->n_links;
        for (int i = 0; same && i < ab->n_links; i++)
            same = sr_topology_route_link(m->topo, ab, i) ==
                   sr_topology_route_link(m->topo, ba, ab->n_links - 1 - i);
        if (!same) {
            sr_errf(err, err_size,
                    "the routes %s -> %s and %s -> %s are not the same links both ways; routes through a "
                    "shared link are emulated only when they are (one path per pair, as routers forward it)",
                    host_name(m, a), host_name(m, b), host_name(m, b), host_name(m, a));
            return NULL;
        }
    }
    return ab ? ab : ba;
}

/* The direction in which each pair crosses its chain where the chain's links do not say (one link, or a
 * chain that reads the same both ways): by what its ends touch (a private link or a device that a pair
 * already placed at one end), else as the route is declared (src -> dst crosses the chain the way the
 * chain's first pair, as declared, does: cameras -> cloud all cross the uplink the same way). */
static void orient(rt_pair *rp, int n_rp)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < n_rp; i++) {
            rt_pair *p = &rp[i];
            for (int j = 0; j < n_rp && p->dir < 0; j++) {
                const rt_pair *q = &rp[j];
                if (j == i || q->t != p->t || q->dir < 0) continue;
                if (p->nbx == q->nbx || p->nby == q->nby)
                    p->dir = q->dir;
                else if (p->nbx == q->nby || p->nby == q->nbx)
                    p->dir = 1 - q->dir;
                changed |= p->dir >= 0;
            }
        }
        for (int i = 0; i < n_rp && !changed; i++) {
            rt_pair *p = &rp[i];
            if (p->dir >= 0) continue;
            const rt_pair *q = NULL; /* the chain's first pair placed, or p itself when none is */
            for (int j = 0; j < n_rp && !q; j++)
                if (rp[j].t == p->t && rp[j].dir >= 0) q = &rp[j];
            p->dir = q ? (p->declared == q->declared ? q->dir : 1 - q->dir) : 0;
            changed = 1;
        }
    }
}

sr_status emu_plan_links(emu *m, const char *pair, char *err, size_t err_size)
{
    int nn = m->n_nodes, nl = sr_topology_link_count(m->topo);
    int *users = calloc((size_t)nl + 1, sizeof(int)), *last = malloc(sizeof(int) * ((size_t)nl + 1));
    int *pool = malloc(sizeof(int) * ((size_t)nl + 1)), *trunk_of = malloc(sizeof(int) * ((size_t)nl + 1));
    rt_trunk *tr = calloc((size_t)nl + 1, sizeof *tr);
    rt_pair *rp = calloc((size_t)nn * (size_t)nn + 1, sizeof *rp);
    int n_tr = 0, n_rp = 0, n_pool = 0;
    sr_status st = SR_OK;
    if (!users || !last || !pool || !trunk_of || !tr || !rp) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    /* how many pairs cross each link (either direction) */
    for (int l = 0; l < nl; l++)
        last[l] = -1, trunk_of[l] = -1;
    for (int a = 0; a < nn; a++)
        for (int b = a + 1; b < nn; b++) {
            if (!pair[a * nn + b]) continue;
            for (int dir = 0; dir < 2; dir++) {
                const sr_topo_route *r =
                    sr_topology_route(m->topo, m->node_host[dir ? b : a], m->node_host[dir ? a : b]);
                for (int i = 0; r && i < r->n_links; i++) {
                    int li = sr_topology_route_link(m->topo, r, i);
                    if (last[li] != a * nn + b) users[li]++;
                    last[li] = a * nn + b;
                }
            }
        }
    for (int l = 0; l < nl; l++)
        if (link_spec(m, l)->sharing == SR_SHARING_FATPIPE) users[l] = 1; /* every flow gets it whole */
    /* pairs without a shared link: a link of their own; the others: their chain */
    for (int a = 0; a < nn && st == SR_OK; a++)
        for (int b = a + 1; b < nn && st == SR_OK; b++) {
            if (!pair[a * nn + b]) continue;
            int shared = 0;
            for (int dir = 0; dir < 2; dir++) {
                const sr_topo_route *r =
                    sr_topology_route(m->topo, m->node_host[dir ? b : a], m->node_host[dir ? a : b]);
                for (int i = 0; r && i < r->n_links; i++)
                    shared |= users[sr_topology_route_link(m->topo, r, i)] > 1;
            }
            if (!shared) {
                st = emu_need_pair(m, a, b, err, err_size);
                continue;
            }
            rt_pair *p = &rp[n_rp];
            p->r = pair_route(m, a, b, &p->x, &p->y, err, err_size);
            if (!p->r) {
                st = SR_ERR_UNSUPPORTED;
                break;
            }
            const sr_topo_route *r = p->r;
            p->f = -1, p->g = -1;
            for (int i = 0; i < r->n_links; i++)
                if (users[sr_topology_route_link(m->topo, r, i)] > 1) {
                    if (p->f < 0) p->f = i;
                    p->g = i;
                }
            int sl = sr_topology_route_link(m->topo, r, p->f); /* a shared link, for messages */
            for (int i = 0; i < r->n_links && st == SR_OK; i++) {
                int li = sr_topology_route_link(m->topo, r, i);
                const sr_link_spec *ls = link_spec(m, li);
                if (ls->bw_trace || ls->lat_trace) {
                    sr_errf(err, err_size,
                            "link '%s' has a %s trace and the route %s -> %s crosses the shared link '%s'; "
                            "traces are emulated only on routes that share no link",
                            link_name(m, li), ls->lat_trace ? "latency" : "bandwidth", host_name(m, p->x),
                            host_name(m, p->y), link_name(m, sl));
                    st = SR_ERR_UNSUPPORTED;
                } else if (users[li] > 1 && ls->sharing == SR_SHARING_WIFI) {
                    sr_errf(err, err_size,
                            "link '%s' is shared by several device pairs and shares as a WIFI cell; the "
                            "emulation shares a link max-min between device pairs (one htb class each) and "
                            "does not "
                            "emulate a cell",
                            link_name(m, li));
                    st = SR_ERR_UNSUPPORTED;
                } else if (i > p->f && i < p->g && users[li] <= 1) {
                    sr_errf(
                        err, err_size,
                        "link '%s' lies between the shared links '%s' and '%s' on the route %s -> %s and "
                        "only that pair uses it; the emulation shapes a route's shared links as one chain, "
                        "with no private link inside it",
                        link_name(m, li), link_name(m, sl),
                        link_name(m, sr_topology_route_link(m->topo, r, p->g)), host_name(m, p->x),
                        host_name(m, p->y));
                    st = SR_ERR_UNSUPPORTED;
                }
            }
            if (st != SR_OK) break;
            /* the chain: an existing trunk crossed whole (either way), or a new one */
            int n = p->g - p->f + 1;
            p->t = -1;
            for (int t = 0; t < n_tr && p->t < 0; t++) {
                if (tr[t].n != n) continue;
                int fwd = 1, rev = 1;
                for (int i = 0; i < n; i++) {
                    int li = sr_topology_route_link(m->topo, r, p->f + i);
                    fwd &= pool[tr[t].first + i] == li;
                    rev &= pool[tr[t].first + n - 1 - i] == li;
                }
                if (fwd || rev) p->t = t, p->dir = fwd && rev ? -1 : fwd ? 0 : 1;
            }
            for (int i = 0; i < n && p->t < 0 && st == SR_OK; i++) {
                int li = sr_topology_route_link(m->topo, r, p->f + i);
                if (trunk_of[li] < 0) continue;
                const rt_trunk *o = &tr[trunk_of[li]];
                sr_errf(
                    err, err_size,
                    "link '%s' is shared by routes that cross different chains of shared links (the "
                    "route %s -> %s crosses %d shared link(s) from '%s', the route %s -> %s %d from '%s'); "
                    "the emulation shapes a chain of shared links as one link, which every route through "
                    "it must cross whole",
                    link_name(m, li), host_name(m, p->x), host_name(m, p->y), n, link_name(m, sl),
                    host_name(m, o->pa), host_name(m, o->pb), o->n, link_name(m, pool[o->first]));
                st = SR_ERR_UNSUPPORTED;
            }
            if (st != SR_OK) break;
            if (p->t < 0) {
                rt_trunk *t = &tr[n_tr];
                t->first = n_pool;
                t->n = n;
                t->pa = p->x, t->pb = p->y;
                t->anchor[0] = t->anchor[1] = -1;
                for (int i = 0; i < n; i++) {
                    pool[n_pool++] = sr_topology_route_link(m->topo, r, p->f + i);
                    trunk_of[pool[n_pool - 1]] = n_tr;
                }
                p->t = n_tr++;
                p->dir = 0;
            }
            tr[p->t].n_pairs++;
            p->nbx = p->f > 0 ? sr_topology_route_link(m->topo, r, p->f - 1) : nl + p->x;
            p->nby = p->g < r->n_links - 1 ? sr_topology_route_link(m->topo, r, p->g + 1) : nl + p->y;
            const sr_topo_host *hx = sr_topology_host_at(m->topo, m->node_host[p->x]);
            const char *src = m->e->routes[r->spec].src; /* a device group or one instance */
            p->declared = strcmp(m->e->devices[hx->group].name, src) == 0 || strcmp(hx->name, src) == 0;
            n_rp++;
        }
    if (st != SR_OK || n_rp == 0) goto cleanup;
    orient(rp, n_rp);
    /* each end of a trunk: the device that sits there without private links, or a router */
    for (int i = 0; i < n_rp && st == SR_OK; i++) {
        rt_pair *p = &rp[i];
        rt_trunk *t = &tr[p->t];
        for (int side = 0; side < 2; side++) {
            int dev = side ? p->y : p->x, empty = side ? p->g == p->r->n_links - 1 : p->f == 0;
            int end = side ^ p->dir;
            if (!empty) continue;
            if (t->anchor[end] >= 0 && t->anchor[end] != dev) {
                sr_errf(
                    err, err_size,
                    "'%s' and '%s' both sit at one end of the shared link '%s' with no link of their own; "
                    "the emulation needs one namespace at each end of a chain of shared links",
                    host_name(m, t->anchor[end]), host_name(m, dev), link_name(m, pool[t->first]));
                st = SR_ERR_UNSUPPORTED;
                break;
            }
            t->anchor[end] = dev;
        }
    }
    for (int i = 0; i < n_rp && st == SR_OK; i++) {
        const rt_pair *p = &rp[i];
        const rt_trunk *t = &tr[p->t];
        for (int side = 0; side < 2 && st == SR_OK; side++) {
            int dev = side ? p->y : p->x, empty = side ? p->g == p->r->n_links - 1 : p->f == 0;
            if (empty || t->anchor[side ^ p->dir] != dev) continue;
            int li = sr_topology_route_link(m->topo, p->r, side ? p->g + 1 : p->f - 1);
            sr_errf(
                err, err_size,
                "'%s' sits at one end of the shared link '%s' for some routes and behind link '%s' for the "
                "route %s -> %s; the emulation needs one place per device",
                host_name(m, dev), link_name(m, pool[t->first]), link_name(m, li), host_name(m, p->x),
                host_name(m, p->y));
            st = SR_ERR_UNSUPPORTED;
        }
    }
    for (int t = 0; t < n_tr && st == SR_OK; t++)
        if (tr[t].anchor[0] >= 0 && tr[t].anchor[0] == tr[t].anchor[1]) {
            sr_errf(err, err_size, "'%s' sits at both ends of the shared link '%s'; not emulated",
                    host_name(m, tr[t].anchor[0]), link_name(m, pool[tr[t].first]));
            st = SR_ERR_UNSUPPORTED;
        }
    if (st != SR_OK) goto cleanup;
    int n_new = 0;
    for (int t = 0; t < n_tr; t++)
        n_new += (tr[t].anchor[0] < 0) + (tr[t].anchor[1] < 0);
    if (nn + n_new > 250) {
        sr_errf(err, err_size, "%d devices and %d routers: the testbed has at most 250 namespaces", nn,
                n_new);
        st = SR_ERR_UNSUPPORTED;
        goto cleanup;
    }
    m->router_name = calloc((size_t)(n_new ? n_new : 1), sizeof *m->router_name);
    m->forward = calloc((size_t)(nn + n_new), sizeof(int));
    m->routes = calloc((size_t)n_rp * 6 + 1, sizeof *m->routes);
    m->flows = calloc((size_t)n_rp, sizeof *m->flows);
    if (!m->router_name || !m->forward || !m->routes || !m->flows) {
        st = SR_ERR_NOMEM;
        goto cleanup;
    }
    for (int t = 0; t < n_tr; t++) {
        for (int end = 0; end < 2; end++) {
            if (tr[t].anchor[end] >= 0) continue;
            snprintf(m->router_name[m->n_routers], sizeof m->router_name[0], "router:%s:%s",
                     link_name(m, pool[tr[t].first + (end ? tr[t].n - 1 : 0)]), end ? "b" : "a");
            tr[t].anchor[end] = nn + m->n_routers++;
        }
        /* the chain as one link: bottleneck bandwidth, summed latency, its queues sized for its pairs */
        double bw = INFINITY, lat = 0;
        for (int i = 0; i < tr[t].n; i++) {
            const sr_link_spec *ls = link_spec(m, pool[tr[t].first + i]);
            bw = fmin(bw, ls->bw_bps);
            lat += ls->latency_s;
        }
        tr[t].link = add_link(m, tr[t].anchor[0], tr[t].anchor[1], bw, lat, tr[t].n_pairs);
    }
    /* each pair: x [- x's private link -] end - trunk - end [- y's private link -] y, and its routes */
    for (int i = 0; i < n_rp && st == SR_OK; i++) {
        const rt_pair *p = &rp[i];
        const rt_trunk *t = &tr[p->t];
        int node[4], via[3], k = 0;
        double bw, lat;
        node[k] = p->x;
        if (p->f > 0) {
            collapse(m, p->r, 0, p->f, &bw, &lat);
            via[k] = add_link(m, p->x, t->anchor[p->dir], bw, lat, 1);
            node[++k] = t->anchor[p->dir];
        }
        via[k] = t->link;
        node[++k] = t->anchor[1 - p->dir];
        if (p->g < p->r->n_links - 1) {
            collapse(m, p->r, p->g + 1, p->r->n_links, &bw, &lat);
            via[k] = add_link(m, p->y, t->anchor[1 - p->dir], bw, lat, 1); /* the device first, as x's */
            node[++k] = p->y;
        }
        /* node[0..k], via[0..k-1]: routes toward y's address on via[k-1] and x's on via[0] */
        for (int j = 0; j < k - 1 && st == SR_OK; j++)
            st = add_route(m, node[j], p->y, via[k - 1], via[j], err, err_size);
        for (int j = k; j > 1 && st == SR_OK; j--)
            st = add_route(m, node[j], p->x, via[0], via[j - 1], err, err_size);
        for (int j = 1; j < k; j++)
            m->forward[node[j]] = 1;
        m->flows[m->n_flows++] = (emu_flow){t->link, p->x, via[0], p->y, via[k - 1]};
        m->pair_link[p->x * nn + p->y] = via[k - 1];
        m->pair_link[p->y * nn + p->x] = via[0];
    }
cleanup:
    free(users);
    free(last);
    free(pool);
    free(trunk_of);
    free(tr);
    free(rp);
    return st;
}

sr_status emu_apply_routes(emu *m, char *err, size_t err_size)
{
    sr_status st = SR_OK;
    for (int n = 0; m->forward && n < m->n_nodes + m->n_routers && st == SR_OK; n++)
        if (m->forward[n]) st = sr_testbed_forward(m->tb, n, err, err_size);
    for (int i = 0; i < m->n_routes && st == SR_OK; i++) {
        const emu_route *q = &m->routes[i];
        st = sr_testbed_route(m->tb, q->node, sr_testbed_addr(m->tb, q->dst_link, q->dst_node), q->via, err,
                              err_size);
    }
    /* each shared chain's link: one htb class per pair crossing it */
    const char **a = calloc((size_t)m->n_flows + 1, sizeof *a),
               **b = calloc((size_t)m->n_flows + 1, sizeof *b);
    if (!a || !b) st = st == SR_OK ? SR_ERR_NOMEM : st;
    for (int l = 0; l < m->n_links && st == SR_OK; l++) {
        int n = 0;
        for (int i = 0; i < m->n_flows; i++)
            if (m->flows[i].link == l) {
                a[n] = sr_testbed_addr(m->tb, m->flows[i].xl, m->flows[i].x);
                b[n++] = sr_testbed_addr(m->tb, m->flows[i].yl, m->flows[i].y);
            }
        if (n > 1) st = sr_testbed_share(m->tb, l, a, b, err, err_size);
    }
    free(a);
    free(b);
    return st;
}
