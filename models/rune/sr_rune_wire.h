/* sr_rune_wire.h: the host's encoders of the tensor that crosses a rune's container boundary (sr_rune_host.h).
 *   rust:     bincode-like fixed layout, as Rust's bincode 1.x writes a struct {dims: Vec<u64>, data: Vec<f32>}
 *             with its default fixed-int encoding: u64 LE rank, rank x u64 LE dims, u64 LE n, n x f32 LE.
 *   protobuf: simrun.rune.Tensor (sr_rune_tensor.proto) packed and unpacked by protobuf-c.
 * The guest (rune_guest.c) writes and reads the same bytes. */
#ifndef SR_RUNE_WIRE_H
#define SR_RUNE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "mcu_rune.h"
#include "sr_status.h"

#define SR_RUNE_WIRE_MAX_RANK 4
#define SR_RUNE_WIRE_MAX_ELEMS 64

typedef struct sr_rune_tensor {
    int rank;
    int64_t dims[SR_RUNE_WIRE_MAX_RANK];
    int n;
    float data[SR_RUNE_WIRE_MAX_ELEMS];
} sr_rune_tensor;

/* Encodes t into buf (cap bytes) in format m (SR_RUNE_RUST or SR_RUNE_PROTOBUF); *len the bytes written.
 * SR_ERR_RANGE when cap is too small, SR_ERR_INVALID on a bad mode or tensor. */
sr_status sr_rune_wire_encode(sr_rune_mode m, const sr_rune_tensor *t, uint8_t *buf, size_t cap, size_t *len);
/* Decodes len bytes; SR_ERR_CORRUPT on a malformed or oversized message. */
sr_status sr_rune_wire_decode(sr_rune_mode m, const uint8_t *buf, size_t len, sr_rune_tensor *t);

#endif
