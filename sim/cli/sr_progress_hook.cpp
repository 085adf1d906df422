/* sr_progress_hook.cpp: SimGrid's time-advance signal -> a shared slot (see sr_progress_hook.h). C++ because
 * the signal has no C API in SimGrid 3.32. */
#include "sr_progress_hook.h"

#include <simgrid/s4u/Engine.hpp>

extern "C" void sr_progress_hook_install(double *now_s)
{
    static bool connected = false; /* one worker process simulates one point: one slot for its lifetime */
    if (connected || !now_s) return;
    connected = true;
    simgrid::s4u::Engine::on_time_advance_cb([now_s](double) {
        double t = simgrid::s4u::Engine::get_clock();
        __atomic_store(now_s, &t, __ATOMIC_RELAXED);
    });
}
