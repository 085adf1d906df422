/* sr_pool.h: a pool of worker processes that simulate run points and hand their results back.
 *
 * SimGrid can be initialised once per process, so every point is simulated in a forked child. The child never
 * touches the database: it sends the finished point (sr_run_wire) through a pipe, and the process that owns
 * the pool writes it (the local runner) or forwards it (an MPI rank). Each child publishes the simulated time
 * of its point in a shared slot while it runs (sr_progress_hook.h).
 *
 * Children ignore SIGINT (a Ctrl-C on the terminal reaches the whole process group): the owner decides, and
 * stops them with sr_pool_stop(). A point whose child was stopped or died gives a result without output; a
 * child that died of an uncaught exception (std::bad_alloc: out of memory) says so (sr_worker_guard.h).
 * Children die with the process that started them (PR_SET_PDEATHSIG): killing simrun, even with SIGKILL,
 * leaves no worker computing a point nobody will record. */
#ifndef SR_POOL_H
#define SR_POOL_H

#include "sr_config.h"
#include "sr_run_output.h"
#include "sr_run_wire.h"

typedef struct sr_pool sr_pool;

typedef enum {
    SR_POOL_DONE,    /* the child sent the point: wire.ok says whether it simulated */
    SR_POOL_CRASHED, /* the child died without sending it (message in wire.error) */
    SR_POOL_STOPPED, /* the child was stopped by sr_pool_stop() before sending it */
} sr_pool_outcome;

typedef struct sr_pool_result {
    int point; /* index of the point in the sweep */
    sr_pool_outcome outcome;
    sr_run_wire wire;  /* status, wall time, network model, error */
    sr_run_output out; /* the output (empty unless DONE and wire.ok); sr_pool_result_clear frees it */
    uint8_t *bytes;    /* the encoded point as received (DONE only), for forwarding */
    size_t n_bytes;
} sr_pool_result;

/* A pool of up to jobs concurrent workers for the points of c (borrowed; must outlive the pool). */
sr_status sr_pool_create(const sr_config *c, int jobs, sr_pool **out);
void sr_pool_free(sr_pool *p); /* stops and reaps running workers; NULL is a no-op */

/* Limits the address space of every worker started from now on to bytes (RLIMIT_AS; 0: no limit of its own).
 * A point that needs more fails with its cause (out of memory) and the others go on. */
void sr_pool_set_memory_limit(sr_pool *p, uint64_t bytes);

int sr_pool_idle_slots(const sr_pool *p);
int sr_pool_running(const sr_pool *p);

/* Starts a worker for point i. SR_ERR_CHILD when fork fails; SR_ERR_RANGE when no slot is free. */
sr_status sr_pool_start(sr_pool *p, int i);

/* Waits up to timeout_ms (0: only looks) for a worker to finish. Returns 1 and fills *r (caller clears with
 * sr_pool_result_clear) when one did, 0 on timeout or when none is running. Also returns 0 early when a
 * signal arrives, so that the caller can look at its flags. */
int sr_pool_wait(sr_pool *p, int timeout_ms, sr_pool_result *r);

/* Sends SIGTERM to every running worker; their results come back from sr_pool_wait as SR_POOL_STOPPED
 * (or DONE when a worker had already sent its point). */
void sr_pool_stop(sr_pool *p);

/* Simulated progress of running worker k (0 <= k < running): its point, simulated time now and the
 * experiment's duration. Returns 0 when slot k runs nothing. */
int sr_pool_progress(const sr_pool *p, int k, int *point, double *now_s, double *duration_s);
int sr_pool_slots(const sr_pool *p);

void sr_pool_result_clear(sr_pool_result *r);

#endif
