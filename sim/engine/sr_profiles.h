/* sr_profiles.h: gives the loaded SimGrid platform the experiment's time-varying links and failures.
 *
 * After the platform is loaded and before simgrid_run, sr_profiles_apply() gives every instance of a link
 * with bandwidth_trace / latency_trace a bandwidth / latency profile, and every instance of a device or link
 * with failures (an explicit list and/or MTBF/MTTR draws over [0, duration) seeded by the run seed and the
 * instance name, workloads/failures.h) an on/off state profile, through the C++ shim (sr_sg_shim.h). See
 * the shim for what a failure does to running executions and transfers, and for the re-bounding of flows in
 * flight when a bandwidth rises (SimGrid 3.32 alone keeps a flow at the bandwidth it started with).
 *
 * The single-resource functions are what sr_profiles_apply uses; tests call them directly. */
#ifndef SR_PROFILES_H
#define SR_PROFILES_H

#include <stddef.h>
#include <stdint.h>

#include <simgrid/forward.h>

#include "sr_experiment.h"
#include "sr_status.h"
#include "sr_trace.h"

/* SimGrid 3.32's lazy max-min solver aborts when a running flow gets a rate of 0 (a mahimahi bin without a
 * delivery, or a CSV bandwidth of 0): such values are raised to this floor, at which a transfer in flight
 * makes no visible progress. */
#define SR_PROFILE_MIN_BW_BPS 1.0

/* Bandwidth trace in bit/s (sr_trace kind bandwidth) -> the link's bandwidth profile in bytes/s (values below
 * SR_PROFILE_MIN_BW_BPS raised to it). SR_ERR_INVALID when the trace is of another kind, SR_ERR_SIM when
 * SimGrid refuses it (the link already has one). */
sr_status sr_profiles_link_bandwidth(sg_link_t link, const sr_trace *t);
/* Latency trace in seconds -> the link's latency profile. */
sr_status sr_profiles_link_latency(sg_link_t link, const sr_trace *t);
/* State trace (1 on, 0 off) -> the link's or host's state profile. */
sr_status sr_profiles_link_state(sg_link_t link, const sr_trace *t);
sr_status sr_profiles_host_state(sg_host_t host, const sr_trace *t);

/* The outages of one instance: its failure spec's explicit list merged with MTBF/MTTR draws over
 * [0, horizon_s) seeded with sr_failures_seed(seed, instance). *out is new (caller frees; NULL when *n is 0).
 * SR_ERR_RANGE (message in err) when the draws exceed a million outages. */
sr_status sr_profiles_outages(const sr_failure_spec *f, const char *instance, double horizon_s, uint64_t seed,
                              struct sr_outage **out, int *n, char *err, size_t err_size);

/* A device's speed changes -> the host's speed profile (ratios of its declared speed; 1 until the first change).
 * SR_ERR_INVALID for an empty or unordered list, SR_ERR_SIM when SimGrid refuses it. */
sr_status sr_profiles_host_speed(sg_host_t host, const sr_speed_change *c, int n);

/* Everything above for the whole experiment. Links and hosts are found by instance name. Returns SR_OK, or
 * SR_ERR_SIM / SR_ERR_RANGE / SR_ERR_NOMEM with a message naming the instance in err. */
sr_status sr_profiles_apply(const sr_experiment *e, uint64_t seed, char *err, size_t err_size);

#endif
