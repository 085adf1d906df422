/* fail_alloc.cpp: a failure-injecting allocator for tests, preloaded into simrun (LD_PRELOAD).
 *
 * It makes real SimGrid meet a real allocation failure in the middle of a run point, at a chosen place,
 * without needing gigabytes of memory: an address-space limit small enough to fail a small run also fails
 * SimGrid's platform load, where it aborts (test_hostile measures both).
 *
 * What it replaces: operator new (plain and array; the nothrow forms call them) and malloc. Only allocations
 * asked for by code inside libsimgrid are counted, and only while simgrid_run() runs (the run of a point,
 * after its platform is loaded): the library wraps simgrid_run, which simrun calls from sim/engine/eng_sg.c.
 *
 * Environment (read when simgrid_run starts):
 *   SR_FAIL_NEW_AT=K      the K-th operator new from libsimgrid during the run, and every later one, throws
 *                         std::bad_alloc (what operator new does when memory is exhausted)
 *   SR_FAIL_MALLOC_AT=K   the K-th malloc from libsimgrid during the run, and every later one, returns NULL
 *   SR_FAIL_ALLOC_REPORT=PATH  when simgrid_run returns, append "load_news=A run_news=B run_mallocs=C\n" to
 * PATH: the allocations from libsimgrid before the run (platform load) and during it Without these variables
 * it only counts. */
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <new>
#include <unistd.h>

extern "C" void *__libc_malloc(size_t n);

namespace
{

uintptr_t g_lo, g_hi; /* libsimgrid's mapped range */
int g_searched;       /* g_lo, g_hi are known (or libsimgrid is not in this process) */
int g_armed;          /* inside simgrid_run */
unsigned long g_load_news, g_run_news, g_run_mallocs;
unsigned long g_fail_new_at, g_fail_malloc_at; /* 0: never */

int find_simgrid(struct dl_phdr_info *info, size_t, void *)
{
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libsimgrid")) return 0;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int k = 0; k < info->dlpi_phnum; k++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo) lo = a;
        if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
    }
    g_lo = lo, g_hi = hi;
    return 1;
}

bool from_simgrid(void *caller)
{
    if (!g_searched) {
        dl_iterate_phdr(find_simgrid, nullptr);
        g_searched = 1;
    }
    uintptr_t a = (uintptr_t)caller;
    return a >= g_lo && a < g_hi;
}

unsigned long env_count(const char *name)
{
    const char *v = getenv(name);
    return v ? strtoul(v, nullptr, 10) : 0;
}

void *counted_new(size_t n, void *caller)
{
    if (from_simgrid(caller)) {
        if (!g_armed) {
            g_load_news++;
        } else if (++g_run_news >= g_fail_new_at && g_fail_new_at > 0) {
            throw std::bad_alloc();
        }
    }
    void *p = __libc_malloc(n ? n : 1);
    if (!p) throw std::bad_alloc();
    return p;
}

} // namespace

void *operator new(size_t n)
{
    return counted_new(n, __builtin_return_address(0));
}

void *operator new[](size_t n)
{
    return counted_new(n, __builtin_return_address(0));
}

extern "C" void *malloc(size_t n)
{
    if (g_armed && from_simgrid(__builtin_return_address(0)) && ++g_run_mallocs >= g_fail_malloc_at &&
        g_fail_malloc_at > 0) {
        errno = ENOMEM;
        return nullptr;
    }
    return __libc_malloc(n);
}

extern "C" void simgrid_run(void)
{
    static void (*real)(void);
    if (!real) real = (void (*)(void))dlsym(RTLD_NEXT, "simgrid_run");
    g_fail_new_at = env_count("SR_FAIL_NEW_AT");
    g_fail_malloc_at = env_count("SR_FAIL_MALLOC_AT");
    g_armed = 1;
    real();
    g_armed = 0;
    const char *report = getenv("SR_FAIL_ALLOC_REPORT");
    if (report) {
        char line[160];
        int n = snprintf(line, sizeof line, "load_news=%lu run_news=%lu run_mallocs=%lu\n", g_load_news,
                         g_run_news, g_run_mallocs);
        int fd = open(report, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            if (write(fd, line, (size_t)n) != n) {
            }
            close(fd);
        }
    }
}
