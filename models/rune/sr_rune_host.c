/* sr_rune_host.c: a real rune (wasm2c-translated guest + the sine MLP on the host) and the measurement of its
 * boundary overhead; see sr_rune_host.h. Without SR_HAVE_WASM only the stubs at the end are built. */
#include "sr_rune_host.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SR_HAVE_WASM

#include "rune_guest_wasm.h"
#include "sr_exec.h"
#include "sr_graph.h"
#include "sr_rune_wire.h"
#include "sr_weights.h"
#include "sr_zoo.h"
#include "wasm-rt-impl.h"

enum { GUEST_RUST = 0, GUEST_PROTOBUF = 1 };

struct sr_rune_host {
    sr_graph *g;
    sr_weights *w;
    sr_exec *e;
    int out_id;
    Z_rune_instance_t inst;
    int inst_ok;
    float x, y; /* the sample the sensor gives, the value the output received */
    sr_rune_counts counts[SR_RUNE_MODE_COUNT];
};

/* wasm2c passes this pointer back to the imports; the struct is ours to define. */
struct Z_env_instance_t {
    sr_rune_host h;
};

static int g_live; /* wabt's runtime keeps its trap state in globals: one host at a time */

static sr_rune_host *host_of(struct Z_env_instance_t *env)
{
    return &env->h;
}

static sr_rune_mode mode_of(u32 fmt)
{
    return fmt == GUEST_PROTOBUF ? SR_RUNE_PROTOBUF : SR_RUNE_RUST;
}

/* Guest memory [off, off + len) as a host pointer, NULL when out of bounds. */
static uint8_t *guest_mem(sr_rune_host *h, u32 off, u32 len)
{
    wasm_rt_memory_t *mem = Z_runeZ_memory(&h->inst);
    if ((uint64_t)off + len > mem->size) return NULL;
    return mem->data + off;
}

static void count(sr_rune_host *h, sr_rune_mode m, size_t bytes)
{
    h->counts[m].messages++;
    h->counts[m].bytes += (int64_t)bytes;
}

/* Encodes t into guest memory [off, off + cap); the length, or (u32)-1 on failure. */
static u32 put_tensor(sr_rune_host *h, sr_rune_mode m, const sr_rune_tensor *t, u32 off, u32 cap)
{
    uint8_t *p = guest_mem(h, off, cap);
    size_t len;
    if (p == NULL || sr_rune_wire_encode(m, t, p, cap, &len) != SR_OK) return (u32)-1;
    count(h, m, len);
    return (u32)len;
}

static int get_tensor(sr_rune_host *h, sr_rune_mode m, u32 off, u32 len, sr_rune_tensor *t)
{
    uint8_t *p = guest_mem(h, off, len);
    if (p == NULL || sr_rune_wire_decode(m, p, len, t) != SR_OK) return -1;
    count(h, m, len);
    return 0;
}

u32 Z_envZ_sensor_read(struct Z_env_instance_t *env, u32 fmt, u32 buf, u32 cap)
{
    sr_rune_host *h = host_of(env);
    sr_rune_tensor t = {.rank = 1, .dims = {1}, .n = 1, .data = {h->x}};
    return put_tensor(h, mode_of(fmt), &t, buf, cap);
}

u32 Z_envZ_model_infer(struct Z_env_instance_t *env, u32 fmt, u32 in, u32 len, u32 out, u32 cap)
{
    sr_rune_host *h = host_of(env);
    sr_rune_mode m = mode_of(fmt);
    sr_rune_tensor t;
    if (get_tensor(h, m, in, len, &t) != 0 || t.n != 1) return (u32)-1;
    sr_exec_input(h->e, 0)[0] = t.data[0];
    if (sr_exec_run(h->e) != SR_OK) return (u32)-1;
    t.rank = 2, t.dims[0] = 1, t.dims[1] = 1, t.n = 1, t.data[0] = sr_exec_output(h->e, h->out_id)[0];
    return put_tensor(h, m, &t, out, cap);
}

u32 Z_envZ_output_write(struct Z_env_instance_t *env, u32 fmt, u32 buf, u32 len)
{
    sr_rune_host *h = host_of(env);
    sr_rune_tensor t;
    if (get_tensor(h, mode_of(fmt), buf, len, &t) != 0 || t.n != 1) return (u32)-1;
    h->y = t.data[0];
    return 0;
}

int sr_rune_host_available(void)
{
    return 1;
}

void sr_rune_host_free(sr_rune_host *h)
{
    if (h == NULL) return;
    if (h->inst_ok) {
        Z_rune_free(&h->inst);
        wasm_rt_free();
        g_live = 0;
    }
    sr_exec_free(h->e);
    sr_weights_free(h->w);
    sr_graph_free(h->g);
    free((struct Z_env_instance_t *)h);
}

sr_status sr_rune_host_create(uint64_t seed, sr_rune_host **out)
{
    if (out == NULL) return SR_ERR_INVALID;
    *out = NULL;
    if (g_live) return SR_ERR_INVALID;
    struct Z_env_instance_t *env = calloc(1, sizeof *env);
    if (env == NULL) return SR_ERR_NOMEM;
    sr_rune_host *h = &env->h;
    sr_status st = sr_zoo_build("sine", 0, 0, 0, &h->g);
    if (st == SR_OK) st = sr_weights_create(h->g, &h->w);
    if (st != SR_OK) goto cleanup;
    sr_weights_init_he(h->w, seed);
    if ((st = sr_exec_create(h->g, h->w, 0, &h->e, NULL, 0)) != SR_OK) goto cleanup;
    h->out_id = sr_graph_output(h->g);
    wasm_rt_init();
    Z_rune_init_module();
    Z_rune_instantiate(&h->inst, env);
    h->inst_ok = 1, g_live = 1;
    *out = h;
    return SR_OK;
cleanup:
    sr_rune_host_free(h);
    return st;
}

static sr_status infer_native(sr_rune_host *h, float x, float *y)
{
    /* the same steps as the rune's, as direct calls: sensor -> model -> output */
    sr_exec_input(h->e, 0)[0] = x;
    sr_status st = sr_exec_run(h->e);
    if (st != SR_OK) return st;
    *y = sr_exec_output(h->e, h->out_id)[0];
    return SR_OK;
}

sr_status sr_rune_host_infer(sr_rune_host *h, sr_rune_mode m, float x, float *y)
{
    if (h == NULL || y == NULL || (unsigned)m >= SR_RUNE_MODE_COUNT) return SR_ERR_INVALID;
    h->counts[m].inferences++;
    if (m == SR_RUNE_NATIVE) return infer_native(h, x, y);
    h->x = x;
    if (wasm_rt_impl_try() != 0) return SR_ERR_CORRUPT; /* a trap in the guest lands here */
    u32 rc = Z_runeZ_rune_call(&h->inst, m == SR_RUNE_PROTOBUF ? GUEST_PROTOBUF : GUEST_RUST);
    if (rc != 0) return SR_ERR_CORRUPT;
    *y = h->y;
    return SR_OK;
}

sr_status sr_rune_host_counts(const sr_rune_host *h, sr_rune_mode m, sr_rune_counts *out)
{
    if (h == NULL || out == NULL || (unsigned)m >= SR_RUNE_MODE_COUNT) return SR_ERR_INVALID;
    *out = h->counts[m];
    return SR_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

sr_status sr_rune_measure(long iters, int reps, uint64_t seed, sr_rune_measurement *out)
{
    if (iters < 1 || reps < 1 || out == NULL) return SR_ERR_INVALID;
    sr_rune_host *h = NULL;
    double *t = malloc((size_t)reps * SR_RUNE_MODE_COUNT * sizeof *t);
    sr_status st = t ? sr_rune_host_create(seed, &h) : SR_ERR_NOMEM;
    volatile float sink = 0.0f;
    if (st != SR_OK) goto cleanup;
    /* one warm-up round, then the modes alternate round by round so that drifts of a shared machine reach
     * all three alike */
    for (int r = -1; r < reps; r++) {
        for (int m = 0; m < SR_RUNE_MODE_COUNT; m++) {
            double t0 = now_s();
            for (long i = 0; i < iters; i++) {
                float y;
                if ((st = sr_rune_host_infer(h, (sr_rune_mode)m, (float)(i % 6283) * 0.001f, &y)) != SR_OK)
                    goto cleanup;
                sink += y;
            }
            if (r >= 0) t[m * reps + r] = (now_s() - t0) / (double)iters;
        }
    }
    memset(out, 0, sizeof *out); /* the counters include the warm-up round: bytes per inference are exact */
    out->iters = iters, out->reps = reps;
    for (int m = 0; m < SR_RUNE_MODE_COUNT; m++) {
        qsort(t + m * reps, (size_t)reps, sizeof *t, cmp_double);
        out->inference_s[m] = reps % 2 ? t[m * reps + reps / 2]
                                       : 0.5 * (t[m * reps + reps / 2 - 1] + t[m * reps + reps / 2]);
        out->bytes_per_inference[m] =
            h->counts[m].inferences ? (double)h->counts[m].bytes / (double)h->counts[m].inferences : 0.0;
    }
    (void)sink;
cleanup:
    sr_rune_host_free(h);
    free(t);
    return st;
}

#else /* !SR_HAVE_WASM */

struct sr_rune_host {
    int unused;
};

int sr_rune_host_available(void)
{
    return 0;
}
sr_status sr_rune_host_create(uint64_t seed, sr_rune_host **out)
{
    (void)seed;
    if (out) *out = NULL;
    return SR_ERR_UNSUPPORTED;
}
void sr_rune_host_free(sr_rune_host *h)
{
    (void)h;
}
sr_status sr_rune_host_infer(sr_rune_host *h, sr_rune_mode m, float x, float *y)
{
    (void)h, (void)m, (void)x, (void)y;
    return SR_ERR_UNSUPPORTED;
}
sr_status sr_rune_host_counts(const sr_rune_host *h, sr_rune_mode m, sr_rune_counts *out)
{
    (void)h, (void)m, (void)out;
    return SR_ERR_UNSUPPORTED;
}
sr_status sr_rune_measure(long iters, int reps, uint64_t seed, sr_rune_measurement *out)
{
    (void)iters, (void)reps, (void)seed, (void)out;
    return SR_ERR_UNSUPPORTED;
}

#endif
