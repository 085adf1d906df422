/* idx.c: the IDX reader and the labelled image sets of sr_idx.h (Fashion-MNIST).
 *
 * Files go through zlib's gzread, which reads gzip and plain files alike, so one path checks both; the
 * offsets in messages count decompressed bytes. After the payload the reader asks for one more byte:
 * anything there is an error (a file longer than its header says is as wrong as a shorter one). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

#include "sr_idx.h"

/* Reads exactly n bytes at decompressed offset *off into *buf; 1 on success, 0 at a short read or corrupt data
 * (reported through err). With *buf NULL it allocates the buffer as the data arrives (1 MiB, then doubling up to
 * n), so a header that promises gigabytes the file does not hold costs no more memory than the file's data; the
 * caller frees *buf either way, and *nomem says when memory ran out. */
static int read_exact(gzFile f, const char *path, uint8_t **buf, int64_t n, int64_t *off, const char *what,
                      int *nomem, char *err, size_t err_size)
{
    int grow = *buf == NULL;
    int64_t cap = grow ? 0 : n;
    int64_t got = 0;
    *nomem = 0;
    while (got < n) {
        if (got == cap) {
            int64_t next = cap == 0 ? (n < (1 << 20) ? n : (1 << 20)) : (n - cap < cap ? n : 2 * cap);
            uint8_t *p = realloc(*buf, (size_t)next);
            if (!p) {
                sr_errf(err, err_size, "%s: offset %lld: out of memory reading %s (%lld of %lld bytes read)", path,
                        (long long)(*off + got), what, (long long)got, (long long)n);
                *nomem = 1;
                return 0;
            }
            *buf = p;
            cap = next;
        }
        unsigned chunk = (unsigned)(cap - got > (1 << 30) ? (1 << 30) : cap - got);
        int r = gzread(f, *buf + got, chunk);
        if (r < 0) {
            int code = 0;
            const char *msg = gzerror(f, &code);
            sr_errf(err, err_size, "%s: offset %lld: corrupt compressed data while reading %s: %s", path,
                    (long long)(*off + got), what, msg ? msg : "gzip error");
            return 0;
        }
        if (r == 0) {
            int code = 0;
            const char *msg = gzerror(f, &code);
            if (code != Z_OK && code != Z_BUF_ERROR)
                sr_errf(err, err_size, "%s: offset %lld: corrupt compressed data while reading %s: %s", path,
                        (long long)(*off + got), what, msg);
            else
                sr_errf(err, err_size, "%s: offset %lld: truncated: the file ends inside %s (%lld of %lld bytes read)",
                        path, (long long)(*off + got), what, (long long)got, (long long)n);
            return 0;
        }
        got += r;
    }
    *off += n;
    return 1;
}

void sr_idx_free(sr_idx *idx)
{
    if (!idx)
        return;
    free(idx->data);
    idx->data = NULL;
}

sr_status sr_idx_read(const char *path, int want_rank, sr_idx *out, char *err, size_t err_size)
{
    sr_status st = SR_ERR_PARSE;
    uint8_t *data = NULL;
    int64_t off = 0;
    memset(out, 0, sizeof *out);
    gzFile f = gzopen(path, "rb");
    if (!f) {
        sr_errf(err, err_size, "%s: cannot open", path);
        return SR_ERR_IO;
    }
    uint8_t magic[4], *mp = magic;
    int nomem = 0;
    if (!read_exact(f, path, &mp, 4, &off, "the 4-byte magic number", &nomem, err, err_size)) {
        st = SR_ERR_CORRUPT;
        goto cleanup;
    }
    if (magic[0] != 0 || magic[1] != 0) {
        sr_errf(err, err_size, "%s: offset 0: bad magic %02x %02x %02x %02x: not an IDX file (expected 00 00 08 %02x)",
                path, magic[0], magic[1], magic[2], magic[3], (unsigned)want_rank);
        goto cleanup;
    }
    if (magic[2] != 0x08) {
        sr_errf(err, err_size, "%s: offset 2: element type 0x%02x, expected 0x08 (unsigned byte)", path, magic[2]);
        goto cleanup;
    }
    if (magic[3] != want_rank) {
        sr_errf(err, err_size, "%s: offset 3: %d dimensions, expected %d", path, magic[3], want_rank);
        goto cleanup;
    }
    int64_t total = 1;
    for (int i = 0; i < want_rank; i++) {
        uint8_t d[4], *dp = d;
        if (!read_exact(f, path, &dp, 4, &off, "the dimensions", &nomem, err, err_size)) {
            st = SR_ERR_CORRUPT;
            goto cleanup;
        }
        int64_t v = ((int64_t)d[0] << 24) | ((int64_t)d[1] << 16) | ((int64_t)d[2] << 8) | d[3];
        if (v == 0 || v > SR_IDX_MAX_BYTES / total) {
            sr_errf(err, err_size, "%s: offset %lld: dimension %d is %lld%s", path, (long long)(off - 4), i,
                    (long long)v, v == 0 ? ": an empty set" : ": the data would exceed the 8 GiB simrun reads");
            goto cleanup;
        }
        out->dims[i] = v;
        total *= v;
    }
    if (!read_exact(f, path, &data, total, &off, "the data the header promises", &nomem, err, err_size)) {
        st = nomem ? SR_ERR_NOMEM : SR_ERR_CORRUPT;
        goto cleanup;
    }
    uint8_t extra;
    int r = gzread(f, &extra, 1);
    if (r != 0) {
        if (r > 0)
            sr_errf(err, err_size, "%s: offset %lld: trailing data after the %lld bytes the header promises", path,
                    (long long)off, (long long)total);
        else
            sr_errf(err, err_size, "%s: offset %lld: corrupt compressed data at the end of the file", path,
                    (long long)off);
        st = SR_ERR_CORRUPT;
        goto cleanup;
    }
    int code = 0;
    gzerror(f, &code);
    if (code != Z_OK) {
        sr_errf(err, err_size, "%s: offset %lld: corrupt compressed data (%s)", path, (long long)off,
                gzerror(f, &code));
        st = SR_ERR_CORRUPT;
        goto cleanup;
    }
    out->rank = want_rank;
    out->n_bytes = total;
    out->data = data;
    data = NULL;
    st = SR_OK;
cleanup:
    if (st != SR_OK)
        memset(out, 0, sizeof *out);
    free(data);
    gzclose(f);
    return st;
}

void sr_dataset_free(sr_dataset *ds)
{
    if (!ds)
        return;
    free(ds->x);
    free(ds->y);
    memset(ds, 0, sizeof *ds);
}

sr_status sr_dataset_load_idx(const char *images_path, const char *labels_path, int classes, int64_t limit,
                              sr_dataset *out, char *err, size_t err_size)
{
    sr_idx im = {0}, lb = {0};
    memset(out, 0, sizeof *out);
    sr_status st = sr_idx_read(images_path, 3, &im, err, err_size);
    if (st != SR_OK)
        return st;
    st = sr_idx_read(labels_path, 1, &lb, err, err_size);
    if (st != SR_OK)
        goto cleanup;
    if (im.dims[0] != lb.dims[0]) {
        sr_errf(err, err_size, "%s: offset 4: %lld labels, but %s has %lld images", labels_path,
                (long long)lb.dims[0], images_path, (long long)im.dims[0]);
        st = SR_ERR_CORRUPT;
        goto cleanup;
    }
    if (im.dims[1] > SR_IDX_MAX_SIDE || im.dims[2] > SR_IDX_MAX_SIDE) {
        sr_errf(err, err_size, "%s: offset %d: images of %lld x %lld pixels: a side may be at most %d", images_path,
                im.dims[1] > SR_IDX_MAX_SIDE ? 8 : 12, (long long)im.dims[1], (long long)im.dims[2], SR_IDX_MAX_SIDE);
        st = SR_ERR_PARSE;
        goto cleanup;
    }
    const int64_t n = limit > 0 && limit < im.dims[0] ? limit : im.dims[0];
    const int64_t px = im.dims[1] * im.dims[2];
    for (int64_t i = 0; i < n; i++)
        if (lb.data[i] >= classes) {
            sr_errf(err, err_size, "%s: offset %lld: label %d of image %lld is not below %d classes", labels_path,
                    (long long)(8 + i), lb.data[i], (long long)i, classes);
            st = SR_ERR_CORRUPT;
            goto cleanup;
        }
    st = SR_ERR_NOMEM;
    out->x = malloc(sizeof(float) * (size_t)(n * px));
    out->y = malloc(sizeof(int) * (size_t)n);
    if (!out->x || !out->y) {
        sr_errf(err, err_size, "%s: out of memory for %lld images of %lld x %lld pixels as floats", images_path,
                (long long)n, (long long)im.dims[1], (long long)im.dims[2]);
        sr_dataset_free(out);
        goto cleanup;
    }
    for (int64_t i = 0; i < n * px; i++)
        out->x[i] = (float)im.data[i] / 255.0f;
    for (int64_t i = 0; i < n; i++)
        out->y[i] = lb.data[i];
    out->count = n;
    out->c = 1;
    out->h = (int)im.dims[1];
    out->w = (int)im.dims[2];
    out->classes = classes;
    st = SR_OK;
cleanup:
    sr_idx_free(&im);
    sr_idx_free(&lb);
    return st;
}

/* dir/name, or dir/name.gz when only that exists. */
static void pick(const char *dir, const char *name, char *path, size_t size)
{
    struct stat sb;
    snprintf(path, size, "%s/%s", dir, name);
    if (stat(path, &sb) == 0)
        return;
    snprintf(path, size, "%s/%s.gz", dir, name);
    if (stat(path, &sb) != 0)
        snprintf(path, size, "%s/%s", dir, name); /* neither: the error names the plain file */
}

sr_status sr_dataset_fashion_mnist(const char *dir, int train, int64_t limit, sr_dataset *out, char *err,
                                   size_t err_size)
{
    char images[4096], labels[4096];
    dir = dir ? dir : SR_FASHION_MNIST_DIR;
    pick(dir, train ? "train-images-idx3-ubyte" : "t10k-images-idx3-ubyte", images, sizeof images);
    pick(dir, train ? "train-labels-idx1-ubyte" : "t10k-labels-idx1-ubyte", labels, sizeof labels);
    return sr_dataset_load_idx(images, labels, 10, limit, out, err, err_size);
}
