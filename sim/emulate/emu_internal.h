/* emu_internal.h: what the two halves of an emulated run share (sr_emulate.c: the parent; sr_emulate_dev.c: a
 * device process). Not a public interface. */
#ifndef EMU_INTERNAL_H
#define EMU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "sr_emulate.h"
#include "sr_engine_view.h"
#include "sr_experiment.h"
#include "sr_platform.h"
#include "sr_testbed.h"

#define EMU_PORT 7411
#define EMU_MAGIC 0x53524d55u /* "SRMU" */
#define EMU_MAX_FRAMES 400

enum { REC_READY = 1, REC_TASK, REC_DROP, REC_FAIL };
enum { PAY_FILL, PAY_FP32, PAY_INT8, PAY_CODED, PAY_NOTIFY };

typedef struct emu_rec {
    int32_t type, source, task, node;
    int64_t frame;
    double ready_s, start_s, end_s;
    int64_t bytes;
} emu_rec;

typedef struct emu_hdr {
    uint32_t magic, kind, ack, pad; /* ack: the sender waits for one byte back once the payload is in */
    int32_t source, task;
    int64_t frame;
    double ready_s, start_s, scale;
    uint64_t len;
} emu_hdr;

typedef struct emu_src {
    sr_view_source v;
    const sr_source_spec *spec;
    int n_tasks;
    int *node, *dnode; /* per task: the node that starts it, the node where it completes */
    int *n_preds, *succ_first, *succ;
    int cut, coded, n_nodes_model;
    const char *pipeline;
    int64_t act_n, in_n;
    int ac, ah, aw, mc, mh, mw;
    double *arrival_s;
    int n_cap;     /* frames it captures (<= the emulation's n_frames) */
    int max_queue; /* of the source's device */
} emu_src;

typedef struct emu {
    const sr_experiment *e;
    sr_engine_view *view;
    const sr_topology *topo;
    int n_nodes, n_links;
    int *node_host, *host_node;
    int *stop_and_wait; /* per node: its connections carry one transfer at a time (max_in_flight 1) */
    sr_tb_link *links;
    sr_trace **traces; /* the links' bandwidth traces (owned), n_traces */
    int n_traces;
    int *pair_link; /* n_nodes x n_nodes -> link, -1 */
    int *conn;      /* n_nodes x n_nodes: 1 when a sends to b */
    emu_src *src;
    int n_src, n_frames;
    sr_emulate_quota *quota; /* per node (emu_quotas) */
    sr_testbed *tb;
    double t0;
    int rec_w;
} emu;

/* Fills m->quota (n_nodes entries) once the nodes are known (sr_emulate_quota.c); refuses, as
 * sr_emulate_quotas says, a quota that no cfs period can grant. */
sr_status emu_quotas(emu *m, const sr_emulate_opts *o, char *err, size_t err_size);
/* Monotonic clock, seconds (the same in every namespace). */
double emu_now_s(void);
/* Reads or writes exactly n bytes (write: SIGPIPE must be ignored). 0, or -1 when the other end is gone. */
int emu_io_all(int fd, void *buf, size_t n, int rd);
/* A device process: node's part of every plan, until the parent closes ctl_r. Never returns. */
void emu_dev_main(emu *m, int node, int ctl_r) __attribute__((noreturn));

#endif
