/* sr_exec.h: runs a graph forward on real tensors (fp32, NCHW), with planned buffers.
 *
 * sr_exec_create() plans every activation buffer once (buffers are reused when a tensor is dead), so
 * sr_exec_run() allocates nothing. Tensors of nodes marked with sr_exec_keep() (and the graph output)
 * stay readable after the run. Deterministic: same weights and inputs -> bit-identical outputs:
 * sr_exec_create sets OpenBLAS to a single thread (simulations run many processes in parallel; call
 * sr_kernels_set_blas_threads() afterwards to trade bit-identity across thread counts for speed).
 * Bit-identity holds on one machine: OpenBLAS picks its kernels for the CPU it runs on, and the conv
 * blocking takes AVX-512 into account, so another CPU may round differently in the last bits. */
#ifndef SR_EXEC_H
#define SR_EXEC_H

#include <stddef.h>
#include <stdio.h>

#include "sr_graph.h"
#include "sr_weights.h"

typedef struct sr_exec sr_exec;

/* Plans execution of the inferred graph g with weights w (both borrowed, must outlive the executor).
 * keep_all = 1 keeps every node's output (no buffer reuse; for tests and debugging).
 * SR_ERR_UNSUPPORTED (with the node and op in err) when a node has no kernel. Caller frees. */
sr_status sr_exec_create(const sr_graph *g, const sr_weights *w, int keep_all, sr_exec **out, char *err,
                         size_t err_size);
void sr_exec_free(sr_exec *e); /* NULL is a no-op */

/* Keeps node id's output readable after runs; call before the first sr_exec_run. */
sr_status sr_exec_keep(sr_exec *e, int id);
/* Buffer of input node id to fill before a run (sr_shape_numel of its shape floats); NULL when id is not
 * an input node. Borrowed. */
float *sr_exec_input(sr_exec *e, int id);
/* Runs the whole graph forward. */
sr_status sr_exec_run(sr_exec *e);
/* Output of node id after a run; NULL when the node's buffer was not kept. Borrowed. */
const float *sr_exec_output(const sr_exec *e, int id);
/* Seconds the last run spent in node id (wall clock, for `simrun exec` and calibration). Nodes fused into
 * the convolution before them (BN, residual add, activation applied in the conv's output pass) report 0:
 * their time is counted in the conv. sr_exec_keep() on a node stops fusion at that node. */
double sr_exec_node_seconds(const sr_exec *e, int id);

/* Bytes the executor holds for tensors: planned activation arena + conv workspace + input buffers
 * (weights not included). */
size_t sr_exec_arena_bytes(const sr_exec *e);
/* Bytes of the conv im2col workspace alone. */
size_t sr_exec_workspace_bytes(const sr_exec *e);

#endif
