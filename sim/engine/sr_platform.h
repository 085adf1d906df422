/* sr_platform.h: the simulated platform of an experiment, before SimGrid sees it.
 *
 * sr_topology_build() expands device groups into hosts, link groups into link instances and route specs
 * into one route per ordered host pair (symmetric routes add the reverse with the links reversed), and
 * checks everything SimGrid would otherwise abort on: unknown names, per-device links that belong to
 * neither end, duplicate pairs, WIFI links used anywhere but as the first hop of a station (or the last
 * hop towards it), stations of one cell that would reach a wired host through different wired links.
 * sr_topology_write_xml() then writes the SimGrid 4.1 platform:
 *
 *   __sr_world (None)
 *     __sr_wired (Cluster, without host links): every host not on a WIFI cell, one gateway router
 *       __sr_gw_<link> per cell, all wired links, and one bypassRoute per declared ordered pair of wired
 *       hosts with the route's links in order; for the stations of a cell, one bypassRoute from its gateway
 *       router to each wired host they reach (and back), holding the route minus its WIFI hop, once per
 *       (cell, wired host, direction)
 *     __sr_cell_<link> (Wifi): its stations, the WIFI link (one bandwidth per rate level), the access-point
 *       router __sr_ap_<link>
 *     bypassZoneRoute cell -> wired and wired -> cell: access point <-> the cell's gateway router, through
 *       __sr_bb_<link> (a FATPIPE link with no latency and 1e15 B/s: SimGrid forbids empty routes)
 *
 * Why bypass routes and no Full zone: a Full zone keeps an N x N routing table (100 000 cameras and a cloud
 * were killed at 24 GiB), while SimGrid stores bypass routes in a map of the declared pairs, so the
 * platform's memory grows with the routes the experiment declares (linear in the devices for the usual
 * device group -> server routes; a group-to-group route of N x M pairs is N x M routes, as in the topology
 * itself). SimGrid looks a bypass route up before the zone's own routing (a map lookup per transfer) and
 * adds its links and their latencies in route order, so every route has exactly the links, link order and
 * summed latency (same additions in the same order) of the Full zone it replaces, and the simulated
 * results are identical. A station's route is its WIFI hop inside the cell, __sr_bb_<link>, then the wired
 * part: the same link list as before.
 *
 * The wired zone is a Cluster (SimGrid's StarZone) with no host link so that a pair nobody declared still
 * gets an empty route, as a Full zone's missing entry did: LV08's cross-traffic asks for the reverse of
 * every route, and a one-way route has none (a None zone aborts there).
 *
 * Hierarchical star zones (a Cluster zone per device group behind a gateway, zone routes between groups)
 * were tried first and dropped: every route that changes zones needs a link of its own in the zone route,
 * and that extra FATPIPE link joins flows that shared no link into one max-min component; with cameras
 * sending to two edge servers over per-device links, times then differed from the Full zone's in the last
 * digits (relative 1e-15).
 *
 * Hosts have one core whose speed is speed_flops * cores (a frame's compute uses the whole device) and
 * wattage_per_state "idle:busy:busy" (so one busy core draws the device's busy power). No SimGrid call
 * here: the topology is also what the engine uses for per-link statistics. */
#ifndef SR_PLATFORM_H
#define SR_PLATFORM_H

#include <stddef.h>
#include <stdio.h>

#include "sr_experiment.h"

typedef struct sr_topo_host {
    const char *name; /* borrowed from the experiment */
    int group, instance;
    int cell; /* index of the WIFI link instance it is a station of, or -1 */
} sr_topo_host;

typedef struct sr_topo_link {
    const char *name; /* borrowed from the experiment */
    int spec;         /* index in e->links */
    int instance;
} sr_topo_link;

typedef struct sr_topo_route {
    int src, dst; /* host indices */
    int n_links;
    int first; /* offset of its link indices in the topology's link pool */
    int spec;  /* route spec it came from */
} sr_topo_route;

typedef struct sr_topology sr_topology;

/* Builds and validates the topology. On bad input returns SR_ERR_INVALID / SR_ERR_NOT_FOUND and a
 * message naming the route (file:line when known) in err. Caller frees with sr_topology_free. */
sr_status sr_topology_build(const sr_experiment *e, sr_topology **out, char *err, size_t err_size);
void sr_topology_free(sr_topology *t); /* NULL is a no-op */

int sr_topology_host_count(const sr_topology *t);
const sr_topo_host *sr_topology_host_at(const sr_topology *t, int i);
/* Host index of instance `instance` of device group `group`; -1 when out of range. */
int sr_topology_host(const sr_topology *t, int group, int instance);
int sr_topology_link_count(const sr_topology *t);
const sr_topo_link *sr_topology_link_at(const sr_topology *t, int i);
/* Route from host src to host dst; NULL when none was declared. */
const sr_topo_route *sr_topology_route(const sr_topology *t, int src, int dst);
/* Every declared route (both directions of symmetric ones), sorted by (src, dst). */
int sr_topology_route_count(const sr_topology *t);
const sr_topo_route *sr_topology_route_at(const sr_topology *t, int i); /* NULL when out of range */
/* Link index (into sr_topology_link_at) of the k-th link of route r. */
int sr_topology_route_link(const sr_topology *t, const sr_topo_route *r, int k);

/* Link index of WIFI cell `cell` (sr_topo_host.cell). */
int sr_topology_cell_link(const sr_topology *t, int cell);

/* Writes the SimGrid platform XML. */
sr_status sr_topology_write_xml(const sr_topology *t, const sr_experiment *e, FILE *f);

#endif
