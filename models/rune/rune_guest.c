/* rune_guest.c: the guest side of a rune, compiled to wasm32 (clang --target=wasm32, freestanding, no libc)
 * and translated back to C by wasm2c so the host links it (models/rune/CMakeLists.txt). It is the rune's
 * `_call()` pipeline of Lootus et al. (Sec. 3.1): read the sensor through the host, pass the sample through a
 * processing block, hand it to the model the host runs (as Rune's host runs the TensorFlow Lite model), and
 * write the model's output to the rune's OUT. Every value that crosses the container boundary is serialized:
 * either a compact fixed layout in the manner of Rust's bincode (u64 little-endian length prefixes, fixed-width
 * elements), or the protobuf wire format of sr_rune_tensor.proto (varints, tags, packed floats).
 *
 * Imports (module "env"; the host implements them, sr_rune_host.c):
 *   sensor_read(fmt, buf, cap) -> len      the host serializes one sensor sample into buf
 *   model_infer(fmt, in, len, out, cap) -> len   the host decodes in, runs the model, encodes its output in out
 *   output_write(fmt, buf, len) -> 0/-1    the host decodes the rune's output message
 * Exports:
 *   rune_call(fmt) -> 0, or a negative step number on a malformed message
 *   rune_codec_roundtrip(fmt, n) -> checksum: n encode + decode rounds of a 1x1 tensor inside the guest (no
 *       imports called), for counting the instructions each format costs (tests/rune). fmt: 0 rust, 1 protobuf.
 * Portable C only: the same file is not compiled natively (the native path calls the model directly). */
#include <stddef.h>
#include <stdint.h>

#define IMPORT(n) __attribute__((import_module("env"), import_name(n)))
#define EXPORT(n) __attribute__((export_name(n)))

IMPORT("sensor_read") int32_t sensor_read(int32_t fmt, uint8_t *buf, int32_t cap);
IMPORT("model_infer") int32_t model_infer(int32_t fmt, const uint8_t *in, int32_t len, uint8_t *out, int32_t cap);
IMPORT("output_write") int32_t output_write(int32_t fmt, const uint8_t *buf, int32_t len);

enum { FMT_RUST = 0, FMT_PROTOBUF = 1, MAX_RANK = 4, MAX_ELEMS = 64, BUF_BYTES = 512 };

typedef struct tensor {
    int32_t rank;
    int64_t dims[MAX_RANK];
    int32_t n;
    float data[MAX_ELEMS];
} tensor;

/* clang may lower copies to these calls; there is no libc in the guest. */
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *a = d;
    const uint8_t *b = s;
    while (n--) *a++ = *b++;
    return d;
}
void *memset(void *d, int c, size_t n)
{
    uint8_t *a = d;
    while (n--) *a++ = (uint8_t)c;
    return d;
}

static uint32_t f2u(float f)
{
    union { float f; uint32_t u; } v = {.f = f};
    return v.u;
}
static float u2f(uint32_t u)
{
    union { float f; uint32_t u; } v = {.u = u};
    return v.f;
}

/* --- bincode-like: u64 rank, rank x u64 dims, u64 n, n x f32 (little endian) --- */
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}
static int32_t rust_encode(const tensor *t, uint8_t *b, int32_t cap)
{
    int32_t need = 8 + 8 * t->rank + 8 + 4 * t->n, o = 0;
    if (need > cap) return -1;
    put_u64(b + o, (uint64_t)t->rank), o += 8;
    for (int i = 0; i < t->rank; i++) put_u64(b + o, (uint64_t)t->dims[i]), o += 8;
    put_u64(b + o, (uint64_t)t->n), o += 8;
    for (int i = 0; i < t->n; i++) {
        uint32_t u = f2u(t->data[i]);
        for (int k = 0; k < 4; k++) b[o + k] = (uint8_t)(u >> (8 * k));
        o += 4;
    }
    return o;
}
static int rust_decode(const uint8_t *b, int32_t len, tensor *t)
{
    int32_t o = 0;
    if (len < 8) return -1;
    uint64_t r = get_u64(b), n;
    o = 8;
    if (r > MAX_RANK || len < o + 8 * (int32_t)r + 8) return -1;
    t->rank = (int32_t)r;
    for (int i = 0; i < t->rank; i++) t->dims[i] = (int64_t)get_u64(b + o), o += 8;
    n = get_u64(b + o), o += 8;
    if (n > MAX_ELEMS || len != o + 4 * (int32_t)n) return -1;
    t->n = (int32_t)n;
    for (int i = 0; i < t->n; i++) {
        uint32_t u = 0;
        for (int k = 0; k < 4; k++) u |= (uint32_t)b[o + k] << (8 * k);
        t->data[i] = u2f(u), o += 4;
    }
    return 0;
}

/* --- protobuf wire format of simrun.rune.Tensor: field 1 dims (int64, unpacked as protoc-c writes it; packed
 * accepted), field 2 data (packed float; unpacked fixed32 accepted); unknown fields skipped --- */
static int32_t put_varint(uint8_t *b, int32_t o, int32_t cap, uint64_t v)
{
    do {
        if (o >= cap) return -1;
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        b[o++] = (uint8_t)(c | (v ? 0x80 : 0));
    } while (v);
    return o;
}
static int32_t get_varint(const uint8_t *b, int32_t o, int32_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (int s = 0; s < 64; s += 7) {
        if (o >= len) return -1;
        uint8_t c = b[o++];
        x |= (uint64_t)(c & 0x7f) << s;
        if (!(c & 0x80)) {
            *v = x;
            return o;
        }
    }
    return -1;
}
static int32_t pb_encode(const tensor *t, uint8_t *b, int32_t cap)
{
    int32_t o = 0;
    for (int i = 0; i < t->rank; i++) {
        if ((o = put_varint(b, o, cap, (1u << 3) | 0)) < 0) return -1;
        if ((o = put_varint(b, o, cap, (uint64_t)t->dims[i])) < 0) return -1;
    }
    if (t->n > 0) {
        if ((o = put_varint(b, o, cap, (2u << 3) | 2)) < 0) return -1;
        if ((o = put_varint(b, o, cap, (uint64_t)(4 * t->n))) < 0) return -1;
        if (o + 4 * t->n > cap) return -1;
        for (int i = 0; i < t->n; i++) {
            uint32_t u = f2u(t->data[i]);
            for (int k = 0; k < 4; k++) b[o + k] = (uint8_t)(u >> (8 * k));
            o += 4;
        }
    }
    return o;
}
static int pb_decode(const uint8_t *b, int32_t len, tensor *t)
{
    int32_t o = 0;
    uint64_t key, v;
    t->rank = 0, t->n = 0;
    while (o < len) {
        if ((o = get_varint(b, o, len, &key)) < 0) return -1;
        uint32_t field = (uint32_t)(key >> 3), wt = (uint32_t)(key & 7);
        if (wt == 0) {
            if ((o = get_varint(b, o, len, &v)) < 0) return -1;
            if (field == 1) {
                if (t->rank >= MAX_RANK) return -1;
                t->dims[t->rank++] = (int64_t)v;
            }
        } else if (wt == 2) {
            if ((o = get_varint(b, o, len, &v)) < 0 || v > (uint64_t)(len - o)) return -1;
            int32_t end = o + (int32_t)v;
            if (field == 1) {
                while (o < end) {
                    if ((o = get_varint(b, o, end, &v)) < 0 || t->rank >= MAX_RANK) return -1;
                    t->dims[t->rank++] = (int64_t)v;
                }
            } else if (field == 2) {
                if ((end - o) % 4 || t->n + (end - o) / 4 > MAX_ELEMS) return -1;
                for (; o < end; o += 4) {
                    uint32_t u = 0;
                    for (int k = 0; k < 4; k++) u |= (uint32_t)b[o + k] << (8 * k);
                    t->data[t->n++] = u2f(u);
                }
            }
            o = end;
        } else if (wt == 5) {
            if (o + 4 > len) return -1;
            if (field == 2) {
                uint32_t u = 0;
                if (t->n >= MAX_ELEMS) return -1;
                for (int k = 0; k < 4; k++) u |= (uint32_t)b[o + k] << (8 * k);
                t->data[t->n++] = u2f(u);
            }
            o += 4;
        } else if (wt == 1) {
            o += 8;
            if (o > len) return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

static int32_t encode(int32_t fmt, const tensor *t, uint8_t *b, int32_t cap)
{
    return fmt == FMT_PROTOBUF ? pb_encode(t, b, cap) : rust_encode(t, b, cap);
}
static int decode(int32_t fmt, const uint8_t *b, int32_t len, tensor *t)
{
    if (len < 0) return -1;
    return fmt == FMT_PROTOBUF ? pb_decode(b, len, t) : rust_decode(b, len, t);
}

static uint8_t g_in[BUF_BYTES], g_out[BUF_BYTES];
static tensor g_t;

EXPORT("rune_call") int32_t rune_call(int32_t fmt)
{
    int32_t len = sensor_read(fmt, g_in, BUF_BYTES);
    if (decode(fmt, g_in, len, &g_t) != 0) return -1;
    /* processing block: the sample goes to the model as a [1, 1] tensor (the sine model's input) */
    g_t.rank = 2, g_t.dims[0] = 1, g_t.dims[1] = g_t.n;
    if ((len = encode(fmt, &g_t, g_in, BUF_BYTES)) < 0) return -2;
    len = model_infer(fmt, g_in, len, g_out, BUF_BYTES);
    if (decode(fmt, g_out, len, &g_t) != 0) return -3;
    if ((len = encode(fmt, &g_t, g_out, BUF_BYTES)) < 0) return -4;
    return output_write(fmt, g_out, len) == 0 ? 0 : -5;
}

EXPORT("rune_codec_roundtrip") int32_t rune_codec_roundtrip(int32_t fmt, int32_t n)
{
    uint32_t sum = 0;
    for (int32_t i = 0; i < n; i++) {
        g_t.rank = 2, g_t.dims[0] = 1, g_t.dims[1] = 1, g_t.n = 1, g_t.data[0] = (float)i * 0.001f;
        int32_t len = encode(fmt, &g_t, g_in, BUF_BYTES);
        if (len < 0 || decode(fmt, g_in, len, &g_t) != 0) return -1;
        sum += f2u(g_t.data[0]) + (uint32_t)len;
    }
    return (int32_t)sum;
}

#ifdef RUNE_CODEC_BENCH_FMT
/* Codec-only build for the instruction-count test: one export without parameters (wasm-interp
 * --run-all-exports calls it), RUNE_CODEC_BENCH_ROUNDS encode + decode rounds of the sine's 1x1 tensor. */
EXPORT("codec_bench") int32_t codec_bench(void)
{
    return rune_codec_roundtrip(RUNE_CODEC_BENCH_FMT, RUNE_CODEC_BENCH_ROUNDS);
}
#endif
