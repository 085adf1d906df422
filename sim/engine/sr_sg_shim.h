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

/* Drops the engine's references to the activities that have ended (call after simgrid_run). */
void sr_sg_release_ended(void);

#ifdef __cplusplus
}
#endif

#endif
