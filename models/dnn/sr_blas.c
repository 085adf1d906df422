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
#include <string.h>

#include "sr_kernels.h"

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
