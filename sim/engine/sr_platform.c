/* sr_platform.c: expansion and validation of the experiment's platform, and its SimGrid XML
 * (sr_platform.h). */
#include "sr_platform.h"

#include "sr_file.h"
#include "sr_name_ix.h"

#include <stdlib.h>
#include <string.h>

struct sr_topology {
    sr_topo_host *hosts;
    int n_hosts;
    int *group_base; /* host index of instance 0 of each device group */
    sr_topo_link *links;
    int n_links;
    sr_topo_route *routes; /* sorted by (src, dst) */
    int n_routes, cap_routes;
    int *pool; /* link indices of all routes */
    int n_pool, cap_pool;
    int *cell_link; /* link index of each WIFI cell (link instances with WIFI sharing) */
    int n_cells;
};

#define ERR(...)                                                                                             \
    do {                                                                                                     \
        if (err) snprintf(err, err_size, __VA_ARGS__);                                                       \
    } while (0)

static const char *loc_file(const sr_loc *l)
{
    return l->file ? l->file : "experiment";
}

/* The names routes are resolved by, indexed once (a scan of every name for each route made a platform of 20 000
 * listed devices take seconds per pass): group and link names first, then instances (first of a name wins,
 * as in the order the names were declared). */
typedef struct names {
    sr_name_ix groups, hosts, specs, links; /* -> group, host, link spec, link instance index */
    int *link_base;                         /* index in t->links of each link spec's instance 0 */
} names;

static void names_free(names *n)
{
    sr_name_ix_free(&n->groups);
    sr_name_ix_free(&n->hosts);
    sr_name_ix_free(&n->specs);
    sr_name_ix_free(&n->links);
    free(n->link_base);
}

static sr_status names_build(const sr_experiment *e, const sr_topology *t, names *n)
{
    *n = (names){0};
    n->link_base = malloc((size_t)(e->n_links + 1) * sizeof *n->link_base);
    if (!n->link_base) return SR_ERR_NOMEM;
    for (int s = 0, b = 0; s < e->n_links; s++) {
        n->link_base[s] = b;
        b += e->links[s].count;
    }
    for (int g = 0; g < e->n_devices; g++)
        if (sr_name_ix_put(&n->groups, e->devices[g].name, g) == -2) return SR_ERR_NOMEM;
    for (int h = 0; h < t->n_hosts; h++)
        if (sr_name_ix_put(&n->hosts, t->hosts[h].name, h) == -2) return SR_ERR_NOMEM;
    for (int s = 0; s < e->n_links; s++)
        if (sr_name_ix_put(&n->specs, e->links[s].name, s) == -2) return SR_ERR_NOMEM;
    for (int l = 0; l < t->n_links; l++)
        if (sr_name_ix_put(&n->links, t->links[l].name, l) == -2) return SR_ERR_NOMEM;
    return SR_OK;
}

/* A route endpoint: a device group (all instances) or one instance by name. */
static int resolve_endpoint(const sr_experiment *e, const sr_topology *t, const names *n, const char *name,
                            int *group, int *lo, int *hi)
{
    int g = sr_name_ix_get(&n->groups, name);
    if (g >= 0) {
        *group = g;
        *lo = 0;
        *hi = e->devices[g].count - 1;
        return 1;
    }
    int h = sr_name_ix_get(&n->hosts, name);
    if (h < 0) return 0;
    *group = t->hosts[h].group;
    *lo = *hi = t->hosts[h].instance;
    return 1;
}

/* Link index of `name` on the route from (sg, si) to (dg, di); -1 unknown, -2 per-device mismatch. `nth`:
 * how many times the name came earlier in the route: a per-device link of a group that is both ends (a route
 * between members of one group) resolves to the sender's instance first and to the receiver's the second
 * time (cam -> cam through [up, lan, up] crosses up<i> and up<j>). */
static int resolve_link(const sr_experiment *e, const names *n, const char *name, int nth, int sg, int si, int dg,
                        int di)
{
    int s = sr_name_ix_get(&n->specs, name);
    if (s >= 0) {
        const sr_link_spec *l = &e->links[s];
        if (!l->per_device) return l->count >= 1 ? n->link_base[s] : -1;
        int inst = -1;
        int src_side = strcmp(l->per_device, e->devices[sg].name) == 0;
        int dst_side = strcmp(l->per_device, e->devices[dg].name) == 0;
        if (src_side && dst_side)
            inst = nth == 0 ? si : nth == 1 ? di : -1;
        else if (src_side)
            inst = si;
        else if (dst_side)
            inst = di;
        if (inst < 0 || inst >= l->count) return -2;
        return n->link_base[s] + inst;
    }
    return sr_name_ix_get(&n->links, name);
}

static sr_status push_route(sr_topology *t, int src, int dst, const int *links, int n, int reverse, int spec)
{
    if (t->n_routes == t->cap_routes) {
        int cap = t->cap_routes ? 2 * t->cap_routes : 16;
        sr_topo_route *r = realloc(t->routes, (size_t)cap * sizeof *r);
        if (!r) return SR_ERR_NOMEM;
        t->routes = r;
        t->cap_routes = cap;
    }
    while (t->n_pool + n > t->cap_pool) {
        int cap = t->cap_pool ? 2 * t->cap_pool : 64;
        int *p = realloc(t->pool, (size_t)cap * sizeof *p);
        if (!p) return SR_ERR_NOMEM;
        t->pool = p;
        t->cap_pool = cap;
    }
    sr_topo_route *r = &t->routes[t->n_routes++];
    r->src = src;
    r->dst = dst;
    r->n_links = n;
    r->first = t->n_pool;
    r->spec = spec;
    for (int k = 0; k < n; k++)
        t->pool[t->n_pool++] = reverse ? links[n - 1 - k] : links[k];
    return SR_OK;
}

static int route_cmp(const void *a, const void *b)
{
    const sr_topo_route *x = a, *y = b;
    if (x->src != y->src) return x->src < y->src ? -1 : 1;
    if (x->dst != y->dst) return x->dst < y->dst ? -1 : 1;
    return 0;
}

static int is_wifi(const sr_experiment *e, const sr_topology *t, int link)
{
    return e->links[t->links[link].spec].sharing == SR_SHARING_WIFI;
}

/* Marks `host` as a station of WIFI link `link`; error when it already belongs to another cell. */
static sr_status attach_station(const sr_experiment *e, sr_topology *t, int host, int link,
                                const sr_route_spec *rs, char *err, size_t err_size)
{
    int cell = -1;
    for (int c = 0; c < t->n_cells; c++)
        if (t->cell_link[c] == link) cell = c;
    if (cell < 0) {
        cell = t->n_cells++;
        t->cell_link[cell] = link;
    }
    if (t->hosts[host].cell >= 0 && t->hosts[host].cell != cell) {
        ERR("%s:%d:%d: error: device '%s' would be a station of two WIFI cells ('%s' and '%s')",
            loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->hosts[host].name,
            t->links[t->cell_link[t->hosts[host].cell]].name, t->links[link].name);
        return SR_ERR_UNSUPPORTED;
    }
    t->hosts[host].cell = cell;
    (void)e;
    return SR_OK;
}

static sr_status expand_routes(const sr_experiment *e, sr_topology *t, char *err, size_t err_size)
{
    int max_links = 0;
    for (int r = 0; r < e->n_routes; r++)
        if (e->routes[r].n_links > max_links) max_links = e->routes[r].n_links;
    int *buf = malloc((size_t)(max_links + 1) * sizeof *buf);
    if (!buf) return SR_ERR_NOMEM;
    names nm;
    sr_status st = names_build(e, t, &nm);
    if (st != SR_OK) ERR("out of memory indexing the platform's names");
    for (int r = 0; r < e->n_routes && st == SR_OK; r++) {
        const sr_route_spec *rs = &e->routes[r];
        int sg, slo, shi, dg, dlo, dhi;
        if (!rs->src || !resolve_endpoint(e, t, &nm, rs->src, &sg, &slo, &shi)) {
            ERR("%s:%d:%d: error: route source '%s' is not a device", loc_file(&rs->loc), rs->loc.line,
                rs->loc.col, rs->src ? rs->src : "(none)");
            st = SR_ERR_NOT_FOUND;
            break;
        }
        if (!rs->dst || !resolve_endpoint(e, t, &nm, rs->dst, &dg, &dlo, &dhi)) {
            ERR("%s:%d:%d: error: route destination '%s' is not a device", loc_file(&rs->loc), rs->loc.line,
                rs->loc.col, rs->dst ? rs->dst : "(none)");
            st = SR_ERR_NOT_FOUND;
            break;
        }
        if (rs->n_links < 1) {
            ERR("%s:%d:%d: error: route %s -> %s has no link", loc_file(&rs->loc), rs->loc.line, rs->loc.col,
                rs->src, rs->dst);
            st = SR_ERR_INVALID;
            break;
        }
        for (int i = slo; i <= shi && st == SR_OK; i++)
            for (int j = dlo; j <= dhi && st == SR_OK; j++) {
                int a = t->group_base[sg] + i, b = t->group_base[dg] + j;
                if (a == b) continue;
                for (int k = 0; k < rs->n_links; k++) {
                    int nth = 0;
                    for (int q = 0; q < k; q++)
                        nth += strcmp(rs->links[q], rs->links[k]) == 0;
                    int l = resolve_link(e, &nm, rs->links[k], nth, sg, i, dg, j);
                    if (l == -1) {
                        ERR("%s:%d:%d: error: route %s -> %s: unknown link '%s'", loc_file(&rs->loc),
                            rs->loc.line, rs->loc.col, rs->src, rs->dst, rs->links[k]);
                        st = SR_ERR_NOT_FOUND;
                    } else if (l == -2) {
                        ERR("%s:%d:%d: error: route %s -> %s: per-device link '%s' belongs to neither end (or "
                            "is listed more than twice between members of its group)",
                            loc_file(&rs->loc), rs->loc.line, rs->loc.col, rs->src, rs->dst, rs->links[k]);
                        st = SR_ERR_INVALID;
                    }
                    if (st != SR_OK) break;
                    buf[k] = l;
                }
                if (st == SR_OK) st = push_route(t, a, b, buf, rs->n_links, 0, r);
                if (st == SR_OK && rs->symmetric) st = push_route(t, b, a, buf, rs->n_links, 1, r);
            }
    }
    free(buf);
    names_free(&nm);
    if (st != SR_OK) return st;
    if (t->n_routes > 1) /* none at all in a platform without links: t->routes is NULL */
        qsort(t->routes, (size_t)t->n_routes, sizeof *t->routes, route_cmp);
    for (int r = 1; r < t->n_routes; r++)
        if (route_cmp(&t->routes[r - 1], &t->routes[r]) == 0) {
            const sr_route_spec *rs = &e->routes[t->routes[r].spec];
            ERR("%s:%d:%d: error: the route from '%s' to '%s' is declared twice (a symmetric route also "
                "covers "
                "the reverse direction)",
                loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->hosts[t->routes[r].src].name,
                t->hosts[t->routes[r].dst].name);
            return SR_ERR_INVALID;
        }
    return SR_OK;
}

/* WIFI links may only be the first hop of a route from a station or the last hop of one towards it. */
static sr_status check_wifi(const sr_experiment *e, sr_topology *t, char *err, size_t err_size)
{
    for (int pass = 0; pass < 2; pass++)
        for (int r = 0; r < t->n_routes; r++) {
            const sr_topo_route *ro = &t->routes[r];
            const sr_route_spec *rs = &e->routes[ro->spec];
            const int *L = &t->pool[ro->first];
            for (int k = 0; k < ro->n_links; k++) {
                if (!is_wifi(e, t, L[k])) continue;
                if (k != 0 && k != ro->n_links - 1) {
                    ERR("%s:%d:%d: error: WIFI link '%s' must be the first or last link of a route",
                        loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->links[L[k]].name);
                    return SR_ERR_INVALID;
                }
                if (ro->n_links > 1 && k == 0 && is_wifi(e, t, L[ro->n_links - 1])) {
                    ERR("%s:%d:%d: error: routes between two WIFI stations are not supported yet (%s -> %s)",
                        loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->hosts[ro->src].name,
                        t->hosts[ro->dst].name);
                    return SR_ERR_UNSUPPORTED;
                }
                if (ro->n_links == 1) {
                    ERR("%s:%d:%d: error: a route through WIFI link '%s' needs a wired link behind the "
                        "access point "
                        "(%s -> %s)",
                        loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->links[L[k]].name,
                        t->hosts[ro->src].name, t->hosts[ro->dst].name);
                    return SR_ERR_UNSUPPORTED;
                }
                if (pass == 0) {
                    sr_status st = attach_station(e, t, k == 0 ? ro->src : ro->dst, L[k], rs, err, err_size);
                    if (st != SR_OK) return st;
                }
            }
            if (pass == 1) { /* every route of a station goes through its cell */
                int s = t->hosts[ro->src].cell, d = t->hosts[ro->dst].cell;
                if ((s >= 0 && L[0] != t->cell_link[s]) ||
                    (d >= 0 && L[ro->n_links - 1] != t->cell_link[d])) {
                    ERR("%s:%d:%d: error: route %s -> %s must start/end with the WIFI link of its station",
                        loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->hosts[ro->src].name,
                        t->hosts[ro->dst].name);
                    return SR_ERR_INVALID;
                }
                if (s >= 0 && d >= 0) {
                    ERR("%s:%d:%d: error: routes between two WIFI stations are not supported yet (%s -> %s)",
                        loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->hosts[ro->src].name,
                        t->hosts[ro->dst].name);
                    return SR_ERR_UNSUPPORTED;
                }
            }
        }
    return SR_OK;
}

/* ---- the wired part of a station's routes ----
 * A side entry is the part of a route that runs inside the wired zone when one end is a WIFI station and the
 * other end a wired host: the cell, the direction (0: from the station, 1: towards it), the wired host, and
 * the route, whose links minus the station's WIFI hop (first link out, last link in) are that part. Sorted
 * by cell, direction, wired host and route, so that the routes sharing one wired part are neighbours. */
typedef struct side_entry {
    int zone, dir, other, route;
} side_entry;

static int side_cmp(const void *a, const void *b)
{
    const side_entry *x = a, *y = b;
    if (x->zone != y->zone) return x->zone < y->zone ? -1 : 1;
    if (x->dir != y->dir) return x->dir < y->dir ? -1 : 1;
    if (x->other != y->other) return x->other < y->other ? -1 : 1;
    return x->route < y->route ? -1 : x->route > y->route;
}

static int same_key(const side_entry *a, const side_entry *b)
{
    return a->zone == b->zone && a->dir == b->dir && a->other == b->other;
}

/* Zone of host h: its cell, or -1 for the wired zone. */
static int host_zone(const sr_topology *t, int h)
{
    return t->hosts[h].cell;
}

/* The side entries of the topology, sorted (check_wifi rejects routes between two stations). Caller frees. */
static sr_status collect_sides(const sr_topology *t, side_entry **out, int *n_out)
{
    side_entry *v = malloc((size_t)(t->n_routes ? t->n_routes : 1) * sizeof *v);
    if (!v) return SR_ERR_NOMEM;
    int n = 0;
    for (int r = 0; r < t->n_routes; r++) {
        const sr_topo_route *ro = &t->routes[r];
        int zs = host_zone(t, ro->src), zd = host_zone(t, ro->dst);
        if (zs >= 0 && zd < 0) v[n++] = (side_entry){zs, 0, ro->dst, r};
        if (zs < 0 && zd >= 0) v[n++] = (side_entry){zd, 1, ro->src, r};
    }
    if (n > 1) qsort(v, (size_t)n, sizeof *v, side_cmp);
    *out = v;
    *n_out = n;
    return SR_OK;
}

/* Links [*first, *last] of side entry s's route lie in the wired zone (an empty range when last < first). */
static void side_range(const sr_topology *t, const side_entry *s, int *first, int *last)
{
    const sr_topo_route *ro = &t->routes[s->route];
    *first = s->dir == 0 ? 1 : 0;
    *last = s->dir == 0 ? ro->n_links - 1 : ro->n_links - 2;
}

static int same_side(const sr_topology *t, const side_entry *a, const side_entry *b)
{
    const sr_topo_route *x = &t->routes[a->route], *y = &t->routes[b->route];
    if (x->n_links != y->n_links) return 0;
    int f, l;
    side_range(t, a, &f, &l);
    for (int k = f; k <= l; k++)
        if (t->pool[x->first + k] != t->pool[y->first + k]) return 0;
    return 1;
}

/* The wired part behind a cell's access point must not depend on the station: sorting the side entries puts
 * the routes that must agree next to each other (O(R log R) for R routes). */
static sr_status check_cell_sides(const sr_experiment *e, sr_topology *t, char *err, size_t err_size)
{
    side_entry *v = NULL;
    int n = 0;
    sr_status st = collect_sides(t, &v, &n);
    for (int i = 0, head = 0; i < n && st == SR_OK; i++) {
        if (!same_key(&v[head], &v[i])) head = i;
        if (head == i || same_side(t, &v[head], &v[i])) continue;
        const sr_route_spec *rs = &e->routes[t->routes[v[i].route].spec];
        ERR("%s:%d:%d: error: stations of WIFI cell '%s' must reach '%s' through the same wired links",
            loc_file(&rs->loc), rs->loc.line, rs->loc.col, t->links[t->cell_link[v[i].zone]].name,
            t->hosts[v[i].other].name);
        st = SR_ERR_UNSUPPORTED;
    }
    free(v);
    return st;
}

sr_status sr_topology_build(const sr_experiment *e, sr_topology **out, char *err, size_t err_size)
{
    if (!e || !out) return SR_ERR_INVALID;
    sr_topology *t = calloc(1, sizeof *t);
    if (!t) return SR_ERR_NOMEM;
    sr_status st = SR_OK;
    int nh = 0, nl = 0;
    for (int g = 0; g < e->n_devices; g++)
        nh += e->devices[g].count;
    for (int s = 0; s < e->n_links; s++)
        nl += e->links[s].count;
    t->hosts = calloc((size_t)(nh ? nh : 1), sizeof *t->hosts);
    t->group_base = calloc((size_t)(e->n_devices ? e->n_devices : 1), sizeof *t->group_base);
    t->links = calloc((size_t)(nl ? nl : 1), sizeof *t->links);
    t->cell_link = calloc((size_t)(nl ? nl : 1), sizeof *t->cell_link);
    if (!t->hosts || !t->group_base || !t->links || !t->cell_link) {
        st = SR_ERR_NOMEM;
        goto fail;
    }
    for (int g = 0; g < e->n_devices; g++) {
        t->group_base[g] = t->n_hosts;
        for (int i = 0; i < e->devices[g].count; i++) {
            sr_topo_host *h = &t->hosts[t->n_hosts++];
            h->name = e->devices[g].instances[i];
            h->group = g;
            h->instance = i;
            h->cell = -1;
        }
    }
    for (int s = 0; s < e->n_links; s++)
        for (int k = 0; k < e->links[s].count; k++) {
            sr_topo_link *l = &t->links[t->n_links++];
            l->name = e->links[s].instances[k];
            l->spec = s;
            l->instance = k;
        }
    st = expand_routes(e, t, err, err_size);
    if (st == SR_OK) st = check_wifi(e, t, err, err_size);
    if (st == SR_OK) st = check_cell_sides(e, t, err, err_size);
    if (st != SR_OK) goto fail;
    *out = t;
    return SR_OK;
fail:
    sr_topology_free(t);
    return st;
}

void sr_topology_free(sr_topology *t)
{
    if (!t) return;
    free(t->hosts);
    free(t->group_base);
    free(t->links);
    free(t->routes);
    free(t->pool);
    free(t->cell_link);
    free(t);
}

int sr_topology_host_count(const sr_topology *t)
{
    return t->n_hosts;
}

const sr_topo_host *sr_topology_host_at(const sr_topology *t, int i)
{
    return i >= 0 && i < t->n_hosts ? &t->hosts[i] : NULL;
}

int sr_topology_host(const sr_topology *t, int group, int instance)
{
    if (group < 0 || instance < 0) return -1;
    int h = t->group_base[group] + instance;
    if (h >= t->n_hosts || t->hosts[h].group != group) return -1;
    return h;
}

int sr_topology_link_count(const sr_topology *t)
{
    return t->n_links;
}

const sr_topo_link *sr_topology_link_at(const sr_topology *t, int i)
{
    return i >= 0 && i < t->n_links ? &t->links[i] : NULL;
}

const sr_topo_route *sr_topology_route(const sr_topology *t, int src, int dst)
{
    sr_topo_route key = {src, dst, 0, 0, 0};
    return bsearch(&key, t->routes, (size_t)t->n_routes, sizeof *t->routes, route_cmp);
}

int sr_topology_route_count(const sr_topology *t)
{
    return t->n_routes;
}

const sr_topo_route *sr_topology_route_at(const sr_topology *t, int i)
{
    return i >= 0 && i < t->n_routes ? &t->routes[i] : NULL;
}

int sr_topology_route_link(const sr_topology *t, const sr_topo_route *r, int k)
{
    return t->pool[r->first + k];
}

int sr_topology_cell_link(const sr_topology *t, int cell)
{
    return cell >= 0 && cell < t->n_cells ? t->cell_link[cell] : -1;
}

/* ---- XML ---- */

static void xml_str(FILE *f, const char *s)
{
    sr_fputs_xml_escaped(s, f);
}

static void write_link(FILE *f, const sr_experiment *e, const sr_topo_link *l, const char *indent)
{
    const sr_link_spec *s = &e->links[l->spec];
    fprintf(f, "%s<link id=\"", indent);
    xml_str(f, l->name);
    if (s->sharing == SR_SHARING_WIFI) {
        fputs("\" sharing_policy=\"WIFI\" bandwidth=\"", f);
        int n = s->n_rates > 0 ? s->n_rates : 1;
        for (int k = 0; k < n; k++)
            fprintf(f, "%s%.17gBps", k ? "," : "", (s->n_rates > 0 ? s->rates_bps[k] : s->bw_bps) / 8.0);
        fputs("\" latency=\"0s\"", f);
    } else {
        fprintf(f, "\" sharing_policy=\"%s\" bandwidth=\"%.17gBps\" latency=\"%.17gs\"",
                s->sharing == SR_SHARING_FATPIPE ? "FATPIPE" : "SHARED", s->bw_bps / 8.0, s->latency_s);
    }
    if (s->sharing != SR_SHARING_WIFI && (s->power_idle_w > 0 || s->power_busy_w > 0)) {
        fprintf(f, ">\n%s  <prop id=\"wattage_range\" value=\"%.17g:%.17g\"/>\n%s</link>\n", indent,
                s->power_idle_w, s->power_busy_w, indent);
    } else {
        fputs("/>\n", f);
    }
}

static void write_host(FILE *f, const sr_experiment *e, const sr_topo_host *h, const char *indent)
{
    const sr_device_spec *d = &e->devices[h->group];
    fprintf(f, "%s<host id=\"", indent);
    xml_str(f, h->name);
    /* one core per executor, each at the device's speed / executors; with one executor the busy device draws its
     * busy power, with E executors the power grows linearly with the busy ones (SimGrid: idle:epsilon:all) */
    int ex = d->executors > 1 ? d->executors : 1;
    if (ex == 1) {
        fprintf(f, "\" speed=\"%.17gf\" core=\"1\">\n", d->speed_flops * (double)d->cores);
        fprintf(f, "%s  <prop id=\"wattage_per_state\" value=\"%.17g:%.17g:%.17g\"/>\n", indent, d->power_idle_w,
                d->power_busy_w, d->power_busy_w);
    } else {
        fprintf(f, "\" speed=\"%.17gf\" core=\"%d\">\n", d->speed_flops * (double)d->cores / ex, ex);
        fprintf(f, "%s  <prop id=\"wattage_per_state\" value=\"%.17g:%.17g:%.17g\"/>\n", indent, d->power_idle_w,
                d->power_idle_w, d->power_busy_w);
    }
    fprintf(f, "%s</host>\n", indent);
}

static void write_gw_name(FILE *f, const sr_topology *t, int cell)
{
    fputs("__sr_gw_", f);
    xml_str(f, t->links[t->cell_link[cell]].name);
}

static void write_ap_name(FILE *f, const sr_topology *t, int cell)
{
    fputs("__sr_ap_", f);
    xml_str(f, t->links[t->cell_link[cell]].name);
}

static void write_bb_name(FILE *f, const sr_topology *t, int cell)
{
    fputs("__sr_bb_", f);
    xml_str(f, t->links[t->cell_link[cell]].name);
}

static void write_links_ctn(FILE *f, const sr_topology *t, const sr_topo_route *ro, int first, int last)
{
    for (int k = first; k <= last; k++) {
        fputs("<link_ctn id=\"", f);
        xml_str(f, t->links[t->pool[ro->first + k]].name);
        fputs("\"/>", f);
    }
}

static void write_cell_zone_name(FILE *f, const sr_topology *t, int cell)
{
    fputs("__sr_cell_", f);
    xml_str(f, t->links[t->cell_link[cell]].name);
}

/* The bypass zone route from cell c to the wired zone (from_cell) or back: access point <-> gateway router.
 */
static void write_cell_zone_route(FILE *f, const sr_topology *t, int c, int from_cell)
{
    fputs("  <bypassZoneRoute src=\"", f);
    if (from_cell)
        write_cell_zone_name(f, t, c);
    else
        fputs("__sr_wired", f);
    fputs("\" dst=\"", f);
    if (from_cell)
        fputs("__sr_wired", f);
    else
        write_cell_zone_name(f, t, c);
    fputs("\" gw_src=\"", f);
    (from_cell ? write_ap_name : write_gw_name)(f, t, c);
    fputs("\" gw_dst=\"", f);
    (from_cell ? write_gw_name : write_ap_name)(f, t, c);
    fputs("\"><link_ctn id=\"", f);
    write_bb_name(f, t, c);
    fputs("\"/></bypassZoneRoute>\n", f);
}

sr_status sr_topology_write_xml(const sr_topology *t, const sr_experiment *e, FILE *f)
{
    side_entry *sides = NULL;
    int n_sides = 0;
    sr_status st = collect_sides(t, &sides, &n_sides);
    if (st != SR_OK) return st;
    fputs("<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM \"https://simgrid.org/simgrid.dtd\">\n"
          "<platform version=\"4.1\">\n<zone id=\"__sr_world\" routing=\"None\">\n"
          "  <zone id=\"__sr_wired\" routing=\"Cluster\">\n",
          f);
    for (int h = 0; h < t->n_hosts; h++)
        if (host_zone(t, h) < 0) write_host(f, e, &t->hosts[h], "    ");
    for (int c = 0; c < t->n_cells; c++) {
        fputs("    <router id=\"", f);
        write_gw_name(f, t, c);
        fputs("\"/>\n", f);
    }
    for (int l = 0; l < t->n_links; l++)
        if (!is_wifi(e, t, l)) write_link(f, e, &t->links[l], "    ");
    /* routes between wired hosts, one bypass route per ordered pair */
    for (int r = 0; r < t->n_routes; r++) {
        const sr_topo_route *ro = &t->routes[r];
        if (host_zone(t, ro->src) >= 0 || host_zone(t, ro->dst) >= 0) continue;
        fputs("    <bypassRoute src=\"", f);
        xml_str(f, t->hosts[ro->src].name);
        fputs("\" dst=\"", f);
        xml_str(f, t->hosts[ro->dst].name);
        fputs("\">", f);
        write_links_ctn(f, t, ro, 0, ro->n_links - 1);
        fputs("</bypassRoute>\n", f);
    }
    /* the wired part of a station's routes: from its cell's gateway router to the wired host (or back), once
     * per (cell, wired host, direction) */
    for (int i = 0; i < n_sides; i++) {
        const side_entry *sd = &sides[i];
        if (i > 0 && same_key(&sides[i - 1], sd)) continue;
        fputs("    <bypassRoute src=\"", f);
        if (sd->dir == 0)
            write_gw_name(f, t, sd->zone);
        else
            xml_str(f, t->hosts[sd->other].name);
        fputs("\" dst=\"", f);
        if (sd->dir == 0)
            xml_str(f, t->hosts[sd->other].name);
        else
            write_gw_name(f, t, sd->zone);
        fputs("\">", f);
        int first, last;
        side_range(t, sd, &first, &last);
        write_links_ctn(f, t, &t->routes[sd->route], first, last);
        fputs("</bypassRoute>\n", f);
    }
    fputs("  </zone>\n", f);
    for (int c = 0; c < t->n_cells; c++) {
        const sr_topo_link *l = &t->links[t->cell_link[c]];
        fputs("  <zone id=\"", f);
        write_cell_zone_name(f, t, c);
        fputs("\" routing=\"Wifi\">\n    <prop id=\"access_point\" value=\"", f);
        write_ap_name(f, t, c);
        fputs("\"/>\n", f);
        for (int h = 0; h < t->n_hosts; h++)
            if (t->hosts[h].cell == c) write_host(f, e, &t->hosts[h], "    ");
        write_link(f, e, l, "    ");
        fputs("    <router id=\"", f);
        write_ap_name(f, t, c);
        fputs("\"/>\n  </zone>\n", f);
    }
    /* SimGrid forbids empty zone routes: each access point reaches its gateway router through a FATPIPE
     * link with no latency and a bandwidth no flow can reach (it never constrains the max-min sharing, and
     * every flow through it also crosses the cell's WIFI link, so it joins no flows that were apart) */
    for (int c = 0; c < t->n_cells; c++) {
        fputs("  <link id=\"", f);
        write_bb_name(f, t, c);
        fputs("\" sharing_policy=\"FATPIPE\" bandwidth=\"1e15Bps\" latency=\"0s\"/>\n", f);
    }
    for (int c = 0; c < t->n_cells; c++) {
        write_cell_zone_route(f, t, c, 1);
        write_cell_zone_route(f, t, c, 0);
    }
    fputs("</zone>\n</platform>\n", f);
    st = ferror(f) ? SR_ERR_IO : SR_OK;
    free(sides);
    return st;
}
