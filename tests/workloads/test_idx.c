/* test_idx.c: the IDX reader against files the test writes (valid, and broken in each way it checks:
 * magic, element type, rank, dimensions, truncated header and data, trailing bytes, corrupt gzip, label
 * range and count; a header that promises far more data than the file holds, which must cost no more memory than
 * the file's data; image sides over the limit), and against Debian's Fashion-MNIST (dataset-fashion-mnist,
 * scripts/bootstrap.sh). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "sr_idx.h"
#include "sr_test_child.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/simrun-idx-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    return p;
}

static void write_file(const char *name, const uint8_t *b, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path_of(name), "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, b, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
    } else {
        FILE *f = fopen(path_of(name), "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, n, f), n);
        fclose(f);
    }
}

/* 2 images of 3 x 4, values 0..23; labels {7, 2}. */
static size_t images(uint8_t *b)
{
    const uint8_t head[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    memcpy(b, head, 16);
    for (int i = 0; i < 24; i++)
        b[16 + i] = (uint8_t)(i * 10);
    return 40;
}

static size_t labels(uint8_t *b)
{
    const uint8_t l[10] = {0, 0, 8, 1, 0, 0, 0, 2, 7, 2};
    memcpy(b, l, 10);
    return 10;
}

/* Reads name as rank `rank`, expects status st and a message that contains the path and want. */
static void expect_error(const char *name, int rank, sr_status st, const char *want)
{
    sr_idx idx;
    char err[512] = "";
    assert_int_equal(sr_idx_read(path_of(name), rank, &idx, err, sizeof err), st);
    assert_null(idx.data);
    if (!strstr(err, path_of(name)) || !strstr(err, want))
        fail_msg("message \"%s\" lacks \"%s\"", err, want);
}

static void test_valid_plain_and_gz(void **state)
{
    (void)state;
    uint8_t b[64], l[16];
    size_t n = images(b), m = labels(l);
    write_file("im", b, n, 0);
    write_file("lb", l, m, 0);
    write_file("im.gz", b, n, 1);
    write_file("lb.gz", l, m, 1);
    const char *ims[2] = {"im", "im.gz"}, *lbs[2] = {"lb", "lb.gz"};
    for (int k = 0; k < 2; k++) {
        sr_dataset ds;
        char err[512] = "", ip[256], lp[256];
        snprintf(ip, sizeof ip, "%s", path_of(ims[k]));
        snprintf(lp, sizeof lp, "%s", path_of(lbs[k]));
        assert_int_equal(sr_dataset_load_idx(ip, lp, 10, 0, &ds, err, sizeof err), SR_OK);
        assert_int_equal(ds.count, 2);
        assert_int_equal(ds.h, 3);
        assert_int_equal(ds.w, 4);
        assert_int_equal(ds.y[0], 7);
        assert_int_equal(ds.y[1], 2);
        for (int i = 0; i < 24; i++)
            assert_true(ds.x[i] == (float)(i * 10) / 255.0f);
        sr_dataset_free(&ds);
        /* limit keeps the first pairs */
        assert_int_equal(sr_dataset_load_idx(ip, lp, 10, 1, &ds, err, sizeof err), SR_OK);
        assert_int_equal(ds.count, 1);
        sr_dataset_free(&ds);
    }
}

static void test_bad_headers(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = images(b);
    b[0] = 0x1f;
    write_file("magic", b, n, 0);
    expect_error("magic", 3, SR_ERR_PARSE, "offset 0: bad magic 1f 00 08 03");
    images(b);
    b[2] = 0x0d;
    write_file("type", b, n, 0);
    expect_error("type", 3, SR_ERR_PARSE, "offset 2: element type 0x0d, expected 0x08");
    images(b);
    expect_error("im", 1, SR_ERR_PARSE, "offset 3: 3 dimensions, expected 1");
    images(b);
    b[11] = 0; /* dims[1] = 0 */
    write_file("zero", b, n, 0);
    expect_error("zero", 3, SR_ERR_PARSE, "offset 8: dimension 1 is 0: an empty set");
    images(b);
    b[4] = 0x7f; /* dims[0] = 0x7f000002 images of 3 x 4: over 8 GiB */
    write_file("huge", b, n, 0);
    expect_error("huge", 3, SR_ERR_PARSE, "offset 12: dimension 2 is 4: the data would exceed");
}

static void test_truncated_and_trailing(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = images(b);
    write_file("short_magic", b, 3, 0);
    expect_error("short_magic", 3, SR_ERR_CORRUPT, "offset 3: truncated: the file ends inside the 4-byte magic number (3 of 4");
    write_file("short_dims", b, 10, 0);
    expect_error("short_dims", 3, SR_ERR_CORRUPT, "offset 10: truncated: the file ends inside the dimensions (2 of 4");
    write_file("short_data", b, n - 4, 0);
    expect_error("short_data", 3, SR_ERR_CORRUPT, "offset 36: truncated: the file ends inside the data the header promises (20 of 24");
    write_file("short_data.gz", b, n - 4, 1);
    expect_error("short_data.gz", 3, SR_ERR_CORRUPT, "offset 36: truncated");
    b[n] = 99;
    write_file("long", b, n + 1, 0);
    expect_error("long", 3, SR_ERR_CORRUPT, "offset 40: trailing data after the 24 bytes");
    write_file("long.gz", b, n + 1, 1);
    expect_error("long.gz", 3, SR_ERR_CORRUPT, "offset 40: trailing data");
}

/* A gzip file cut short, and one whose CRC no longer matches its data. */
static void test_corrupt_gzip(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = images(b);
    write_file("ok.gz", b, n, 1);
    FILE *f = fopen(path_of("ok.gz"), "rb");
    assert_non_null(f);
    uint8_t z[256];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    assert_true(zn > 20 && zn < sizeof z);
    write_file("cut.gz", z, zn - 6, 0); /* the 8-byte trailer (CRC, length) is incomplete */
    expect_error("cut.gz", 3, SR_ERR_CORRUPT, "offset");
    z[zn - 8] ^= 0xff; /* CRC32 */
    write_file("crc.gz", z, zn, 0);
    expect_error("crc.gz", 3, SR_ERR_CORRUPT, "corrupt compressed data");
}

static void test_labels(void **state)
{
    (void)state;
    uint8_t b[64], l[16];
    size_t n = images(b), m = labels(l);
    write_file("im", b, n, 0);
    l[9] = 10;
    write_file("lb_range", l, m, 0);
    sr_dataset ds;
    char err[512] = "", ip[256];
    snprintf(ip, sizeof ip, "%s", path_of("im"));
    assert_int_equal(sr_dataset_load_idx(ip, path_of("lb_range"), 10, 0, &ds, err, sizeof err), SR_ERR_CORRUPT);
    assert_non_null(strstr(err, "lb_range: offset 9: label 10 of image 1 is not below 10 classes"));
    assert_null(ds.x);
    const uint8_t three[11] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3};
    write_file("lb_count", three, sizeof three, 0);
    assert_int_equal(sr_dataset_load_idx(ip, path_of("lb_count"), 10, 0, &ds, err, sizeof err), SR_ERR_CORRUPT);
    assert_non_null(strstr(err, "lb_count: offset 4: 3 labels, but"));
    assert_int_equal(sr_dataset_load_idx(ip, path_of("absent"), 10, 0, &ds, err, sizeof err), SR_ERR_IO);
    assert_non_null(strstr(err, "absent: cannot open"));
}

/* A payload over the first 1 MiB buffer (the reader grows it as data arrives) reads back whole, plain and gzip. */
static void test_large_payload(void **state)
{
    (void)state;
    const int64_t n = 3 * 1000003;
    uint8_t *b = malloc((size_t)n + 12);
    assert_non_null(b);
    const uint8_t head[12] = {0, 0, 8, 2, 0, 0, 0, 3, 0, 0x0f, 0x42, 0x43}; /* 3 x 1 000 003 */
    memcpy(b, head, 12);
    for (int64_t i = 0; i < n; i++)
        b[12 + i] = (uint8_t)(i * 7 + i / 251);
    write_file("large", b, (size_t)n + 12, 0);
    write_file("large.gz", b, (size_t)n + 12, 1);
    const char *names[2] = {"large", "large.gz"};
    for (int k = 0; k < 2; k++) {
        sr_idx idx;
        char err[512] = "";
        assert_int_equal(sr_idx_read(path_of(names[k]), 2, &idx, err, sizeof err), SR_OK);
        assert_int_equal(idx.n_bytes, n);
        assert_int_equal(idx.dims[1], 1000003);
        assert_memory_equal(idx.data, b + 12, (size_t)n);
        sr_idx_free(&idx);
    }
    free(b);
}

/* test_promise_beyond_file's part under the address-space limit. */
static int read_promise(void *arg)
{
    (void)arg;
    sr_idx idx;
    char err[512] = "";
    sr_status st = sr_idx_read(path_of("promise"), 2, &idx, err, sizeof err);
    if (st != SR_ERR_CORRUPT ||
        !strstr(err, "offset 40: truncated: the file ends inside the data the header promises (28 of 4294967296 "
                     "bytes read)")) {
        fprintf(stderr, "status %d, message \"%s\"\n", (int)st, err);
        return 1;
    }
    return 0;
}

/* A 40-byte file whose header promises 4 GiB of data (4 x 2^30 bytes): the reader says it is truncated, and
 * allocates only as the data arrives. The child runs under a 1 GiB address-space limit, under which allocating
 * what the header promises would fail (SR_ERR_NOMEM) instead; under AddressSanitizer (whose shadow memory needs
 * a larger address space) only the error is checked. */
static void test_promise_beyond_file(void **state)
{
    (void)state;
    uint8_t b[40] = {0, 0, 8, 2, 0, 0, 0, 4, 0x40, 0, 0, 0};
    write_file("promise", b, sizeof b, 0);
    assert_int_equal(sr_test_in_child((size_t)1 << 30, read_promise, NULL), 0);
}

/* An image side over SR_IDX_MAX_SIDE is refused by the image-set loader, naming the file. */
static void test_side_limit(void **state)
{
    (void)state;
    const int64_t w = SR_IDX_MAX_SIDE + 1;
    uint8_t *b = calloc(1, (size_t)w + 16);
    assert_non_null(b);
    const uint8_t head[16] = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1}; /* 1 x 1 x 65 537 */
    memcpy(b, head, 16);
    write_file("wide", b, (size_t)w + 16, 0);
    free(b);
    const uint8_t l[9] = {0, 0, 8, 1, 0, 0, 0, 1, 3};
    write_file("wide_lb", l, sizeof l, 0);
    sr_dataset ds;
    char err[512] = "", ip[256];
    snprintf(ip, sizeof ip, "%s", path_of("wide"));
    assert_int_equal(sr_dataset_load_idx(ip, path_of("wide_lb"), 10, 0, &ds, err, sizeof err), SR_ERR_PARSE);
    if (!strstr(err, "wide: offset 12: images of 1 x 65537 pixels: a side may be at most 65536"))
        fail_msg("message \"%s\"", err);
    assert_null(ds.x);
}

/* Debian's Fashion-MNIST: 60 000 + 10 000 images of 28 x 28, balanced over 10 classes. */
static void test_fashion_mnist(void **state)
{
    (void)state;
    for (int train = 0; train < 2; train++) {
        sr_dataset ds;
        char err[512] = "";
        sr_status st = sr_dataset_fashion_mnist(NULL, train, 0, &ds, err, sizeof err);
        if (st != SR_OK)
            fail_msg("%s (install dataset-fashion-mnist: scripts/bootstrap.sh)", err);
        assert_int_equal(ds.count, train ? 60000 : 10000);
        assert_int_equal(ds.h, 28);
        assert_int_equal(ds.w, 28);
        int64_t per[10] = {0};
        for (int64_t i = 0; i < ds.count; i++)
            per[ds.y[i]]++;
        for (int c = 0; c < 10; c++)
            assert_int_equal(per[c], ds.count / 10);
        sr_dataset_free(&ds);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_plain_and_gz), cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_truncated_and_trailing), cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_labels), cmocka_unit_test(test_large_payload),
        cmocka_unit_test(test_promise_beyond_file), cmocka_unit_test(test_side_limit),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
