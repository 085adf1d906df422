/* sr_worker_guard.cpp: std::terminate handler of worker processes (see sr_worker_guard.h). C++ because the
 * handler has to look at the exception in flight. It allocates nothing: memory is what ran out. */
#include "sr_worker_guard.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <unistd.h>

static char *g_cause;
static size_t g_cap;

extern "C" void sr_worker_guard_cause(const char *text)
{
    if (!g_cause || g_cap == 0) return;
    size_t n = strlen(text);
    if (n >= g_cap) n = g_cap - 1;
    memcpy(g_cause, text, n);
    g_cause[n] = '\0';
}

[[noreturn]] static void on_terminate()
{
    const char *what = "uncaught C++ exception";
    char buf[200];
    std::exception_ptr ex = std::current_exception();
    if (ex) {
        try {
            std::rethrow_exception(ex);
        } catch (const std::bad_alloc &) {
            what = "out of memory (std::bad_alloc inside the simulation)";
        } catch (const std::exception &e) {
            snprintf(buf, sizeof buf, "uncaught C++ exception: %s", e.what());
            what = buf;
        } catch (...) {
        }
    }
    sr_worker_guard_cause(what);
    _exit(SR_WORKER_EXIT_CAUSE);
}

extern "C" void sr_worker_guard_install(char *cause, size_t cap)
{
    g_cause = cause;
    g_cap = cap;
    if (cause && cap) cause[0] = '\0';
    std::set_terminate(on_terminate);
}
