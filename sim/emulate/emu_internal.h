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

/* A route entry of a testbed node (links shared by several pairs, sr_emulate_route.c): packets for dst_node's
 * address on link dst_link leave node through link via. */
typedef struct emu_route {
    int node, dst_node, dst_link, via;
} emu_route;

/* A pair's flow across a shared chain's testbed link: the packets between x's address on link xl and y's
 * on link yl (sr_testbed_share). */
typedef struct emu_flow {
    int link, x, xl, y, yl;
} emu_flow;

typedef struct emu {
    const sr_experiment *e;
    sr_engine_view *view;
    const sr_topology *topo;
    int n_nodes, n_links;
    int *node_host, *host_node;
    int *stop_and_wait; /* per node: its connections carry one transfer at a time (max_in_flight 1) */
    sr_tb_link *links;        /* n_links; capacity n_nodes^2 + the topology's links + 1 */
    int n_routers;            /* router namespaces: testbed nodes n_nodes .. n_nodes + n_routers - 1 */
    char (*router_name)[72];  /* per router: "router:<link>:<end>" */
    int *forward;             /* per testbed node: 1 when it forwards packets (ip_forward) */
    emu_route *routes;        /* routes added once the testbed is built (n_routes) */
    int n_routes;
    emu_flow *flows; /* per routed pair (n_flows), grouped by shared link in emu_apply_routes */
    int n_flows;
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

/* The testbed link of device pair (a, b) whose route crosses no shared link: the route's bottleneck
 * bandwidth and summed latency per direction (a bandwidth trace followed; sr_emulate.c). */
sr_status emu_need_pair(emu *m, int a, int b, char *err, size_t err_size);
/* Plans the testbed's links for the device pairs that pair[] marks (n_nodes x n_nodes, a < b): each pair
 * whose routes cross no shared link gets a link of its own (emu_need_pair); the others reach each other
 * through one testbed link per shared chain, between routers (sr_emulate_route.c). Refuses, naming the link,
 * what it cannot emulate. Fills m->links, m->pair_link, routers, forward and routes. */
sr_status emu_plan_links(emu *m, const char *pair, char *err, size_t err_size);
/* Once the testbed is built: forwarding and the routes emu_plan_links planned. */
sr_status emu_apply_routes(emu *m, char *err, size_t err_size);
/* A testbed node's name for messages: the device's host, or the router's name (borrowed). */
const char *emu_node_name(const emu *m, int node);
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
