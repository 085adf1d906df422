/* sr_progress_hook.cpp: SimGrid's time-advance signal -> a shared slot (see sr_progress_hook.h). C++ because
 * the signal has no C API in SimGrid 3.32. */
#include "sr_progress_hook.h"

#include <simgrid/s4u/Engine.hpp>

static double *g_slot = nullptr;

extern "C" void sr_progress_hook_install(double *now_s)
{
    static bool connected = false;
    g_slot = now_s;
    if (connected) return;
    connected = true;
    simgrid::s4u::Engine::on_time_advance_cb([](double) {
        if (!g_slot) return;
        double t = simgrid::s4u::Engine::get_clock();
        __atomic_store(g_slot, &t, __ATOMIC_RELAXED);
    });
}
