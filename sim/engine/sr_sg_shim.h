/* sr_sg_shim.h: C declarations of the few C++-only SimGrid 3.32 calls simrun needs (sr_sg_shim.cpp).
 * Linking a program that uses it needs the C++ linker (CMake does this for targets linking sr_engine).
 *
 * Besides the WIFI rate, the shim gives C an actor-free way to drive activities, which the engine uses so
 * that the number of SimGrid actors does not grow with the load:
 * - activities started from maestro (inside a timer or a completion callback: SimGrid's kernel context) are
 *   reported to one completion callback when they end, without any actor waiting on them (this is how
 *   SimGrid 3.32's DAG mode works: EngineImpl::handle_ended_actions completes maestro's activities);
 * - timers run a C function in maestro at a simulated date.
 * Only call the *_start functions from maestro (a timer or the completion callback). */
#ifndef SR_SG_SHIM_H
#define SR_SG_SHIM_H

#include <simgrid/forward.h>

#ifdef __cplusplus
extern "C" {
#endif

/* simgrid_init(argc, argv), keeping the process's std::terminate handler when the process installed one of its
 * own. SimGrid installs a handler that logs an uncaught exception and aborts (SIGABRT): in a worker process
 * that would hide the cause (std::bad_alloc inside SimGrid is out of memory) from the worker's own handler
 * (sim/cli/sr_worker_guard.h). A process that kept the C++ default keeps SimGrid's handler. */
void sr_sg_init(int *argc, char **argv);

/* Link::set_host_wifi_rate: attaches station `host` to WIFI link `link` at rate level `level` (index in
 * the link's bandwidth list). Mandatory for every station before the simulation starts. */
void sr_sg_link_set_host_wifi_rate(sg_link_t link, sg_host_t host, int level);

/* Called in maestro when an activity started by sr_sg_exec_start / sr_sg_sendto_start ends: `data` is what
 * it was started with (borrowed), ok is 1 when it finished normally, 0 when it failed or was cancelled. */
typedef void (*sr_sg_done_fn)(void *data, int ok, void *user);

/* Installs the completion callback (one per process; a second call replaces the function and user). Call
 * after simgrid_init. */
void sr_sg_set_done_callback(sr_sg_done_fn fn, void *user);

/* Starts an execution of `flops` on `host` (one core, priority 1: what sg_actor_execute does). data must not
 * be NULL. Maestro only. */
void sr_sg_exec_start(sg_host_t host, double flops, void *data);

/* Starts a host-to-host transfer of `bytes` (truncated to an integer, as sg_host_sendto does) through the
 * route from -> to. data must not be NULL. Maestro only. */
void sr_sg_sendto_start(sg_host_t from, sg_host_t to, double bytes, void *data);

/* Runs fn(arg) in maestro at simulated date date_s (now if it is in the past). Timers due at the date an
 * activity ends run before that activity's completion callback. */
void sr_sg_timer_set(double date_s, void (*fn)(void *arg), void *arg);

/* Called in maestro when a host turns off (on = 0) or back on (on = 1), e.g. by a state profile. One callback
 * per process (a second call replaces it); NULL disconnects it. */
typedef void (*sr_sg_host_state_fn)(sg_host_t host, int on, void *user);
void sr_sg_set_host_state_callback(sr_sg_host_state_fn fn, void *user);
/* ---- profiles: time-varying links and hosts (sim/engine/sr_profiles.c builds them from traces) ----
 *
 * Each takes a piecewise-constant signal: value v[i] from date t_s[i] on (0 <= t_s[0] < t_s[1] < ...), the
 * pattern repeating every period_s when period_s > 0 (then t_s[0] must be 0 and t_s[n-1] < period_s), the last
 * value holding for ever otherwise. Units: bytes/s (> 0: SimGrid 3.32's lazy solver aborts on a running flow of
 * rate 0), seconds (>= 0), state 0 = off / 1 = on. Call after the platform is loaded and before simgrid_run,
 * at most once per resource and kind. Return 0, or -1 when the signal is invalid or the resource already has
 * that kind of profile (nothing applied). Hosts get a SimGrid state profile. SimGrid 3.32 refuses profiles on
 * links loaded from XML (sealed), so a link's signals are replayed by kernel timers, armed only while transfers
 * started by sr_sg_sendto_start cross the link (they would otherwise keep the simulation running): the values
 * a transfer sees are the same, and transfers of other activities (actors' comms) do not see link signals.
 *
 * A link or host that turns off fails what runs on it at that date (done callback with ok = 0): executions on
 * a host, transfers through a link, and - once any host has a state profile - transfers started by
 * sr_sg_sendto_start from or to a host that turns off (SimGrid itself only fails them when they end).
 * sr_sg_sendto_start between hosts of which one is off, or (once any link has a state profile) through a link
 * that is off, reports a failure at the current date instead of starting (SimGrid 3.32 aborts on the first and
 * never reports the second). */
int sr_sg_link_set_bandwidth_profile(sg_link_t link, const double *t_s, const double *bw_Bps, int n, double period_s);
int sr_sg_link_set_latency_profile(sg_link_t link, const double *t_s, const double *lat_s, int n, double period_s);
int sr_sg_link_set_state_profile(sg_link_t link, const double *t_s, const double *on, int n, double period_s);
int sr_sg_host_set_state_profile(sg_host_t host, const double *t_s, const double *on, int n, double period_s);
/* The host's speed as a fraction of its declared speed (> 0), work in progress included (SimGrid's host speed
 * profile: availability ratios). */
int sr_sg_host_set_speed_profile(sg_host_t host, const double *t_s, const double *ratio, int n, double period_s);

/* SimGrid 3.32 caps a flow at the smallest bandwidth of its route when it starts (and at
 * TCP-gamma / (2 x route latency) when TCP-gamma > 0), so a later bandwidth increase does not speed up flows
 * in flight. With rebound on (the default), every transfer started by sr_sg_sendto_start through a link that
 * has a bandwidth profile gets its cap recomputed, with the same formula from the route's current bandwidths
 * and latencies, each time one of those links changes bandwidth. Off reproduces SimGrid's own behaviour
 * (tests compare both). */
void sr_sg_set_rebound(int on);

/* LV08's TCP corrections exempt RDMA: a transfer whose route consists only of links in `links` (n of them,
 * borrowed for the call) takes latency + size / bandwidth on an idle route; every other transfer keeps the
 * network model's configured factors (LV08: latency x 13.01, bandwidth x 0.97). Through SimGrid's factor
 * callbacks (NetworkModelIntf::set_lat_factor_cb / set_bw_factor_cb), which see each transfer's route: latency
 * factor 1, and a bandwidth factor that cancels the load cross-traffic puts on the flow's own route (5 % of
 * the flow on the reverse route, which on simrun's symmetric routes is the same links), so n such flows on one
 * link progress at bw / n each. Untouched: the TCP window bound TCP-gamma / (2 x route latency), which caps a
 * flow below its bandwidth only when latency > 4 MiB / (2 x bandwidth), 131 us at 16 GB/s. Call after the
 * platform is loaded and before simgrid_run, once; n = 0 does nothing. Returns 0, or -1 when SimGrid refuses
 * the callbacks (a latency or bandwidth factor set on the command line). */
int sr_sg_exempt_links_from_factors(sg_link_t *links, int n);

/* Flow aggregation (sr_sg_pool.hpp): transfers started by sr_sg_sendto_start whose route crosses one of
 * `links` (SHARED links; n of them, borrowed for the call) are solved by simrun's pool instead of SimGrid's
 * max-min solver, with the same CM02 rates, in O(groups of identical routes) per event. The caller guarantees
 * the structure the pool needs (eng_pool.c: the other SHARED links of those routes are each crossed by one set
 * of identical routes, all through the pooled link); this call checks the rest: returns -1 and pools nothing
 * unless the network model is CM02 without factors, cross-traffic or weight-S and no link or host has a
 * profile (call it after those are set, before simgrid_run). 0 otherwise. */
int sr_sg_pool_links(sg_link_t *links, int n);

/* Drops the engine's references to the activities that have ended (call after simgrid_run). */
void sr_sg_release_ended(void);


#ifdef __cplusplus
}
#endif

#endif
