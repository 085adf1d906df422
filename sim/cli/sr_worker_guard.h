/* sr_worker_guard.h: makes a worker process that dies say why.
 *
 * A run point is simulated in a forked worker (sr_pool.h). Out of memory inside SimGrid is a C++
 * std::bad_alloc that nothing catches: without a guard the process aborts with a C++ backtrace and the runner
 * only sees SIGABRT. The guard replaces std::terminate's handler: it writes the cause ("out of memory:
 * std::bad_alloc", or the uncaught exception's what()) into a buffer the runner shares with the worker, then
 * ends the worker with SR_WORKER_EXIT_CAUSE. The runner records that cause as the point's error and the sweep
 * goes on with the next point. */
#ifndef SR_WORKER_GUARD_H
#define SR_WORKER_GUARD_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exit code of a worker whose guard wrote a cause. */
#define SR_WORKER_EXIT_CAUSE 5

/* From now on an uncaught C++ exception in this process writes its cause into cause[0..cap-1] (borrowed;
 * must stay mapped until the process exits; NUL-terminated) and exits with SR_WORKER_EXIT_CAUSE. */
void sr_worker_guard_install(char *cause, size_t cap);

/* Writes a cause from C code (a failed allocation the worker could not report through its pipe). */
void sr_worker_guard_cause(const char *text);

#ifdef __cplusplus
}
#endif

#endif
