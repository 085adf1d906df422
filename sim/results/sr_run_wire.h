/* sr_run_wire.h: one finished run point as bytes, to hand it from the process that simulated it to the one
 * that writes the database (a worker process to its runner through a pipe; an MPI rank to rank 0).
 *
 * The format is for processes of the same simrun binary on the same kind of machine: a header, the run's
 * status and strings, then the run output's arrays as they lie in memory. Decoding checks every length, so
 * a truncated or foreign buffer gives SR_ERR_CORRUPT, never a crash. */
#ifndef SR_RUN_WIRE_H
#define SR_RUN_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "sr_run_output.h"
#include "sr_status.h"

/* What the simulating process knows about a finished point besides its output. */
typedef struct sr_run_wire {
    int32_t point_index; /* index in the sweep */
    int32_t ok;          /* 1: simulated; 0: failed with error */
    double wall_s;       /* wall-clock seconds the point took */
    char net_model[16];  /* network model used ("" when the experiment could not be built) */
    char error[1024];    /* "" when ok */
} sr_run_wire;

/* Encodes w and out (out may be NULL for a failed point) into a new buffer *buf of *n bytes. Caller frees
 * *buf. */
sr_status sr_run_wire_encode(const sr_run_wire *w, const sr_run_output *out, uint8_t **buf, size_t *n);

/* Decodes buf[0..n) into *w and *out (initialised by the caller with sr_run_output_init; arrays appended,
 * caller clears). SR_ERR_CORRUPT when the buffer is not one whole encoded point. */
sr_status sr_run_wire_decode(const uint8_t *buf, size_t n, sr_run_wire *w, sr_run_output *out);

#endif
