/* sr_progress_hook.h: lets a worker process publish the simulated time of the point it is running.
 *
 * The runner gives each worker a slot in memory shared with it (mmap MAP_SHARED before fork); the worker
 * installs the hook before simulating, and SimGrid's time-advance signal stores the simulated clock there at
 * every step of the simulation (one relaxed atomic store: cheap). The runner reads the slots to move its
 * progress display while points run. */
#ifndef SR_PROGRESS_HOOK_H
#define SR_PROGRESS_HOOK_H

#ifdef __cplusplus
extern "C" {
#endif

/* From now on every advance of the simulated clock in this process is stored in *now_s (borrowed; must stay
 * mapped until the process exits). Once per process: later calls do nothing. */
void sr_progress_hook_install(double *now_s);

#ifdef __cplusplus
}
#endif

#endif
