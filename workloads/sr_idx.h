/* sr_idx.h: a validating reader for IDX files (the MNIST / Fashion-MNIST format) and labelled image sets.
 *
 * IDX: a 4-byte magic 00 00 TT RR (TT the element type, RR the rank), RR big-endian uint32 dimensions,
 * then the elements row-major. simrun reads element type 0x08 (unsigned byte), plain or gzip-compressed
 * (zlib; Debian's dataset-fashion-mnist ships the .gz files). Every defect is an error that names the
 * file and the byte offset (in the decompressed stream) where it was found: bad magic, unexpected
 * element type or rank, a zero or oversized dimension, data shorter than the header promises (truncated)
 * or longer (trailing bytes), gzip corruption, labels out of range, image and label counts that differ.
 * Nothing is returned on error. */
#ifndef SR_IDX_H
#define SR_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "sr_status.h"

#define SR_IDX_MAX_RANK 4
#define SR_IDX_MAX_BYTES ((int64_t)1 << 33) /* largest payload accepted (8 GiB) */
#define SR_IDX_MAX_SIDE 65536               /* largest image side of an image set, in pixels */

typedef struct sr_idx {
    int rank;
    int64_t dims[SR_IDX_MAX_RANK];
    int64_t n_bytes; /* product of dims */
    uint8_t *data;   /* owned; sr_idx_free */
} sr_idx;

/* Reads path (plain or .gz), which must hold unsigned bytes of rank want_rank. *out is filled only on
 * SR_OK (caller frees with sr_idx_free); errors: SR_ERR_IO (cannot open), SR_ERR_PARSE (header),
 * SR_ERR_CORRUPT (truncated, trailing or corrupt data), message "PATH: offset N: ..." in err. */
sr_status sr_idx_read(const char *path, int want_rank, sr_idx *out, char *err, size_t err_size);
void sr_idx_free(sr_idx *idx);

/* A labelled image set: count images of c x h x w floats scaled to [0, 1] (byte / 255), labels in
 * [0, classes); h and w at most SR_IDX_MAX_SIDE. */
typedef struct sr_dataset {
    int64_t count;
    int c, h, w, classes;
    float *x; /* count * c*h*w, owned */
    int *y;   /* count, owned */
} sr_dataset;

/* Reads an image file (rank 3: count x h x w) and a label file (rank 1: count) of one set, keeps the first
 * `limit` pairs (limit <= 0: all), and checks counts agree and labels are < classes (SR_ERR_CORRUPT naming
 * the label file and the offset of the first bad label). *out filled only on SR_OK; sr_dataset_free. */
sr_status sr_dataset_load_idx(const char *images_path, const char *labels_path, int classes, int64_t limit,
                              sr_dataset *out, char *err, size_t err_size);
void sr_dataset_free(sr_dataset *ds);

/* Fashion-MNIST's training (train = 1, 60 000 images) or test set (10 000) from dir (NULL: the Debian
 * package's /usr/share/datasets/fashion-mnist), file names as the dataset publishes them, .gz or not. */
#define SR_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"
sr_status sr_dataset_fashion_mnist(const char *dir, int train, int64_t limit, sr_dataset *out, char *err,
                                   size_t err_size);

#endif
