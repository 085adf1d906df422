// sr_sg_pool.hpp: flow aggregation on shared bottleneck links (internal to the engine's C++ glue).
//
// SimGrid's max-min solver revisits every flow of a shared link each time a flow starts or ends, so a link
// crossed by n flows at once costs O(n) per event (2 000 cameras behind one overloaded WAN: ~350 us per
// event). On a pooled link the engine's transfers bypass SimGrid's network model and are solved here, with the
// same CM02 equations, in O(groups) per event:
//
// - A transfer whose route crosses a pooled link W joins W's pool after the route's latency (CM02: a flow does
//   not share bandwidth while it pays its latency) and leaves it when its bytes are through.
// - Transfers whose routes have the same set of links form a group: they share the route latency p (CM02's
//   sharing penalty: rate ∝ 1/p at a shared constraint), the bound b (CM02 caps a flow at its route's
//   smallest bandwidth) and the group's other SHARED links, of smallest bandwidth c. The engine pools W only
//   when the groups' other SHARED links are disjoint and carry no transfer that does not cross W
//   (eng_pool.c), so max-min over {W, the groups' links} is exactly: each transfer of group g gets
//   min(θ / p_g, cap_g) with cap_g = min(b_g, c_g / n_g), and θ is the largest level at which W's
//   bandwidth C is not exceeded: Σ_g n_g min(θ / p_g, cap_g) <= C (θ infinite when W does not saturate).
//   This is what SimGrid's lmm computes for that structure (progressive filling in θ, variables valued
//   θ / penalty, bounds and constraints saturating in θ order).
// - Within a group every transfer has the same rate, so a group keeps a virtual byte counter V_g growing at
//   that rate and each transfer finishes when V_g reaches the value it had when the transfer joined plus its
//   size; the next end is a heap per group and a scan over groups.
//
// The network model's constants are CM02's equations with SimGrid's configured values (simrun's cm02: none;
// lv08: latency x 13.01 before the flow shares, progress = value x 0.97, penalty latency + weight-S per link,
// the TCP window bound, cross-traffic: weight 1.05 on links a flow crosses both ways, 0.05 on back-route-only
// ones). What the pool requires of the run (checked by sr_sg_pool_links in the shim): no host or link state
// profile and no link signal (no failures, no traces), no factor callbacks (RDMA exemption); no link energy (the
// plugin reads SimGrid's link usage). tests/engine/test_flow_pool.c compares
// every frame's times with pooling on and off.
#ifndef SR_SG_POOL_HPP
#define SR_SG_POOL_HPP

#include <simgrid/forward.h>

namespace sr_pool {
// The network model's constants, read from SimGrid's configuration before the first transfer.
void configure(double lat_factor, double bw_factor, double weight_s, double tcp_gamma, bool crosstraffic);
// Adds a link to the pooled set (before simgrid_run).
void add_link(simgrid::s4u::Link* link);
// Starts a transfer in the pool when its route crosses a pooled link: true then, and its end is reported
// through the shim's done callback (ok = 1); false when the transfer is not for the pool.
bool try_start(sg_host_t from, sg_host_t to, double bytes, void* data);
// Forgets every pool (at the end of a simulation).
void reset();
} // namespace sr_pool

// Reports the end of a transfer to the engine (the shim's done callback).
void sr_sg_report_done(void* data, int ok);

#endif
