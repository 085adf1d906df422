/* sr_blas.c: which library runs the kernels' cblas_sgemm (sr_kernels_blas_check, sr_kernels.h).
 *
 * GSL's reference CBLAS (libgslcblas, pulled in by libgsl) defines the same cblas_* symbols as OpenBLAS,
 * and the dynamic linker binds each call to the first library on the executable's NEEDED list that defines
 * it. The two sum in different orders, so a link line that happens to list GSL's CBLAS first silently
 * changes every DNN result (by ~1e-7 relative) and makes sr_kernels_set_blas_threads a no-op on the
 * library that runs the products. The build links GSL against OpenBLAS (top-level CMakeLists.txt); this
 * check turns a regression there into an error instead of drifting results. */
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "sr_kernels.h"

/* OpenBLAS 0.3.21's buffer (BUFFER_SIZE + one page: the malloc seen under gdb), and a margin for the malloc
 * arena a thread's first allocation may open. */
#define SR_BLAS_BUFFER_BYTES ((size_t)134221824 + ((size_t)1 << 20))

/* Path of the loaded object that holds the code at fn, or NULL when the loader does not know it. */
static const char *object_of(void *fn)
{
    Dl_info info;
    memset(&info, 0, sizeof info);
    if (fn == NULL || dladdr(fn, &info) == 0 || info.dli_fname == NULL) return NULL;
    return info.dli_fname;
}

void sr_kernels_blas_describe(char *buf, size_t size)
{
    void *sgemm = NULL;
    __typeof__(&cblas_sgemm) sgemm_fn = cblas_sgemm;
    memcpy(&sgemm, &sgemm_fn, sizeof sgemm);
    const char *a = object_of(sgemm);
    char err[8];
    int ok = sr_kernels_blas_check(err, sizeof err) == SR_OK;
    sr_errf(buf, size, "cblas_sgemm from %s (%s; %s)", a ? a : "an unknown object",
            ok ? "OpenBLAS" : "NOT OpenBLAS", ok ? openblas_get_config() : "see sr_kernels_blas_check");
}

sr_status sr_kernels_blas_check(char *err, size_t err_size)
{
    /* Function pointers through void *: POSIX guarantees the conversion for dladdr. */
    void *sgemm = NULL, *set_threads = NULL;
    __typeof__(&cblas_sgemm) sgemm_fn = cblas_sgemm;
    void (*set_fn)(int) = openblas_set_num_threads;
    memcpy(&sgemm, &sgemm_fn, sizeof sgemm);
    memcpy(&set_threads, &set_fn, sizeof set_threads);
    const char *a = object_of(sgemm), *b = object_of(set_threads);
    if (a && b && strcmp(a, b) == 0) return SR_OK;
    sr_errf(err, err_size,
            "cblas_sgemm comes from %s, not from OpenBLAS (%s): results would depend on the link order; "
            "link OpenBLAS before GSL's CBLAS (libgslcblas)",
            a ? a : "an unknown object", b ? b : "unknown");
    return SR_ERR_UNSUPPORTED;
}

sr_status sr_kernels_blas_reserve(char *err, size_t err_size)
{
    static int done;
    if (done) return SR_OK;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return SR_OK;
    void *room = malloc(SR_BLAS_BUFFER_BYTES);
    if (!room) {
        sr_errf(
            err, err_size,
            "out of memory: OpenBLAS needs %zu MiB of address space for its working buffer and the memory "
            "limit (%llu MiB) does not leave it",
            SR_BLAS_BUFFER_BYTES >> 20, (unsigned long long)(rl.rlim_cur >> 20));
        return SR_ERR_NOMEM;
    }
    free(room); /* a chunk this large is mapped on its own: free gives the room back at once */
    /* above OpenBLAS's small-matrix kernels (m*n*k > 10^6), so the product goes through the buffer */
    enum { N = 128 };
    float *m = calloc(3 * (size_t)N * N, sizeof *m);
    if (!m) {
        sr_errf(err, err_size, "out of memory before OpenBLAS's first product");
        return SR_ERR_NOMEM;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1.0f, m, N, m + N * N, N, 0.0f,
                m + 2 * N * N, N);
    free(m);
    done = 1;
    return SR_OK;
}
