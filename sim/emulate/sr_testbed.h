/* sr_testbed.h: an emulated testbed on this machine: one network namespace per node, shaped links between
 * them, a CPU quota per node. Linux only, root only.
 *
 * A link joins two nodes with a pair of TUN devices (one in each namespace, addresses 10.201.L.1 and
 * 10.201.L.2, point to point) and a delay line: a process of ours that reads every packet one TUN device
 * sends, holds it for the direction's one-way delay and writes it into the other (the kernel here has tbf
 * and htb but no netem; mahimahi delays packets the same way, over TUN devices). Each TUN device's egress
 * is shaped by a tbf qdisc to the direction's bandwidth, scaled by 1500/1448 so that the payload rate of a
 * TCP bulk transfer (full segments, IPv4 + TCP with timestamps: 52 header bytes per 1500) is the link's
 * bandwidth, which is what the simulator's flow model moves (payload bytes at the link's bandwidth). The
 * bucket holds 1 ms of the rate (at least one 1600-byte packet); since a full bucket lets that much through
 * at once, the delay line holds packets for the delay plus the bucket's depth in time (1 ms, or one packet
 * time at low rates: 25 ms at 500 Kbit/s), so that a message on an idle link takes d + S / B as in the flow
 * model rather than d + (S - depth) / B. The delay line is single-threaded and timed with ppoll (nanosecond
 * timeouts, hrtimer slack ~50 us). A direction whose bandwidth follows a trace is shaped by the delay line
 * itself instead (sr_delayline.h: the trace's rate over time, no tbf, no bucket).
 *
 * Routers (links shared by several routes, sr_emulate_route.c): a node may forward (sr_testbed_forward) and
 * carry routes to addresses beyond its own links (sr_testbed_route); a link several routes share may be
 * shaped per flow, max-min, instead of by one tbf fifo (sr_testbed_share). A router is a node like the others:
 * its namespace is named, torn down and cleaned up as theirs are.
 *
 * Priority: delay lines and the processes that enter a node run at nice SR_TESTBED_NICE, so that other work
 * on a shared machine disturbs their timing less (the quotas still bound what they take).
 *
 * CPU quotas: a node with quota q > 0 (in cores) gets a cgroup with cpu.max (cgroup v2, when its cpu
 * controller is available) or cpu.cfs_quota_us (cgroup v1) of q x period, period 10 ms (a finer period makes
 * the throttling of a short task closer to a uniform slowdown) unless q x 10 ms would grant less than 2 ms: then
 * the period is 2 ms / q (up to the kernel's 1 s), so that a tiny quota is not raised to the kernel's 1 ms minimum
 * (0.029 cores at 10 ms had been 0.1 cores) and the scheduler tick (4 ms at HZ=250), which ends a throttled run
 * late, is a small part of it. sr_testbed_quota_period gives the two values.
 *
 * Teardown: sr_testbed_free removes everything (namespaces, which deletes their TUN devices, delay-line
 * processes, cgroups). A guardian process, forked by sr_testbed_create, does the same when the creating
 * process dies without freeing (a crash, SIGKILL): it waits on a pipe that only the creator holds open (and
 * children that die with it: delay lines and emulated devices are signalled when their parent dies).
 * Names carry the creator's pid (simrun-<pid>-<node>); sr_testbed_cleanup_stale removes those whose pid is
 * gone (a guardian killed too). Everything goes through `ip` and `tc` (iproute2) and /sys/fs/cgroup. */
#ifndef SR_TESTBED_H
#define SR_TESTBED_H

#include <stddef.h>

#include "sr_status.h"
#include "sr_trace.h"

#define SR_TESTBED_NICE (-10)

typedef struct sr_testbed sr_testbed;

typedef struct sr_tb_link {
    int a, b;          /* node indices, a != b */
    double bw_ab_bps;  /* bandwidth a -> b (payload bits/s), > 0; with a trace, the rate before its origin */
    double bw_ba_bps;  /* b -> a */
    double delay_ab_s; /* one-way delay a -> b, >= 0 */
    double delay_ba_s;
    const sr_trace *trace_ab; /* NULL, or a -> b's bandwidth over time (payload bit/s; borrowed, must outlive
                                 the testbed): shaped in the delay line instead of by tbf (sr_delayline.h),
                                 time 0 at sr_testbed_set_origin's instant */
    const sr_trace *trace_ba;
    int n_flows; /* routes that share the link (0 or 1: one): the tbf queues hold n_flows times what one
                    route's needs (a router's buffer for its flows, so that their first bursts are not dropped) */
    const sr_trace *lat_trace_ab; /* NULL, or the latency over time of one link on a -> b's route (s; borrowed,
                                     must outlive the testbed): its part of delay_ab_s, lat_static_ab_s, follows
                                     the trace from sr_testbed_set_origin's instant (sr_delayline.h) */
    const sr_trace *lat_trace_ba;
    double lat_static_ab_s, lat_static_ba_s; /* that link's own latency: before the trace's origin and first time */
} sr_tb_link;

/* TCP inside the namespaces. This host's default congestion control may pace (bbr: after a connection's
 * first message it sends an application-limited burst of a few kB at its bandwidth estimate, which such
 * bursts underestimate: 2 segments per 10 ms on a 5.85 Mbit/s link, +13 ms on a 7 kB message), which the
 * flow model does not; cubic without the fq qdisc does not pace (Linux's own default). The initial window
 * and the restart after idle are what a TCP flow has and the flow model has not (slow start). */
typedef struct sr_tb_tcp {
    const char *congestion; /* congestion control of the sockets sr_testbed_socket prepares (a namespace
                               may only default to the host's allowed list); NULL: the host's default */
    int init_window_segs;   /* initcwnd and initrwnd of every link's route, segments (1..1000); 0: the
                               kernel's (10) */
    int no_idle_restart;    /* 1: net.ipv4.tcp_slow_start_after_idle = 0 (a connection keeps its window
                               across idle time); 0: the kernel's (restart from the initial window) */
} sr_tb_tcp;

/* What `simrun emulate` uses: cubic, a 64-segment initial window (92 kB: every shipped experiment's
 * messages; the tbf queue holds 100 kB so the first burst is not dropped) and no restart after idle. */
#define SR_TB_TCP_WARM ((sr_tb_tcp){"cubic", 64, 1})
/* Linux's defaults but the congestion control: cubic, initial window 10, slow start after idle. */
#define SR_TB_TCP_COLD ((sr_tb_tcp){"cubic", 0, 0})

/* Checks that this process can build a testbed: root, the ip and tc commands, /dev/net/tun, network
 * namespaces, the tbf qdisc is not tested here (sr_testbed_create fails with tc's message).
 * SR_ERR_UNSUPPORTED with the reason in err otherwise. */
sr_status sr_testbed_check(char *err, size_t err_size);

/* Removes namespaces and cgroups named simrun-<pid>-* whose pid is not a live process. Returns how many
 * namespaces it removed. */
int sr_testbed_cleanup_stale(void);

/* Builds the testbed: n_nodes namespaces, the links (borrowed), quotas (n_nodes values in cores, <= 0: no
 * quota; NULL: none), TCP settings (borrowed; NULL: the host's, untouched). On failure everything built so
 * far is removed and err says what failed. Caller frees. */
sr_status sr_testbed_create(int n_nodes, const double *quota_cores, const sr_tb_link *links, int n_links,
                            const sr_tb_tcp *tcp, sr_testbed **out, char *err, size_t err_size);
void sr_testbed_free(sr_testbed *tb); /* tears everything down; NULL is a no-op */

/* Name of node i's namespace (borrowed). */
const char *sr_testbed_ns(const sr_testbed *tb, int node);
/* Address (dotted quad, borrowed) of node `node` on link l; NULL when the node is not an end of l. */
const char *sr_testbed_addr(const sr_testbed *tb, int l, int node);

/* Routing (links shared by several routes, sr_emulate_route.c). A node that forwards packets between its links
 * (a router namespace, or a device at the end of a shared link that others reach through it):
 * net.ipv4.ip_forward = 1 in its namespace. */
sr_status sr_testbed_forward(sr_testbed *tb, int node, char *err, size_t err_size);
/* In node's namespace, packets for dst (a testbed address, dotted quad) leave through link l (node is an end
 * of l), with node's address on l as the source and the testbed's initial windows (sr_tb_tcp). Replaces an
 * earlier route to dst. */
sr_status sr_testbed_route(sr_testbed *tb, int node, const char *dst, int l, char *err, size_t err_size);

/* Link l, shared by n = its n_flows flows (>= 2; no trace), is shaped per flow instead of one fifo: each end's
 * egress gets an htb at the link's rate (the same wire rate and bucket depth as tbf) with one class per flow,
 * guaranteed rate / n and allowed the whole rate, so that the flows share the link max-min as the flow model
 * does (a flow held below its share elsewhere leaves the rest to the others, and its packets do not wait
 * behind theirs: with one fifo a bulk flow's queue delays the slower flow, a real drop-tail router's
 * behaviour but not the model's). Flow i is the packets between addr_a[i] and addr_b[i] (either way;
 * dotted quads, n each); others go to flow 0's class. */
sr_status sr_testbed_share(sr_testbed *tb, int l, const char *const *addr_a, const char *const *addr_b,
                           char *err, size_t err_size);

/* For a child process (before it starts threads): moves the calling process into node's namespace and
 * cgroup, at nice SR_TESTBED_NICE. */
sr_status sr_testbed_enter(const sr_testbed *tb, int node, char *err, size_t err_size);

/* Sets time 0 of the links' bandwidth traces: t0_s on the monotonic clock (emu_now_s). Before it, traced
 * directions run at their bw_*_bps. */
void sr_testbed_set_origin(sr_testbed *tb, double t0_s);

/* The cgroup hierarchy whose cpu controller quotas use: /sys/fs/cgroup/unified or /sys/fs/cgroup (v2,
 * cpu.max), /sys/fs/cgroup/cpu (v1, cpu.cfs_quota_us), or NULL when there is none. why (may be NULL) says
 * why v2 is not used when the answer is not v2. */
const char *sr_testbed_cpu_controller(char *why, size_t why_size);
/* The cfs quota and period (microseconds) of a quota of q cores; -1 when q <= 0 or q is below 0.002 cores
 * (no period up to 1 s grants 2 ms). */
int sr_testbed_quota_period(double quota, long *quota_us, long *period_us);

/* Node's cgroup directory (borrowed), NULL when it has no quota. */
const char *sr_testbed_cgroup(const sr_testbed *tb, int node);

/* Prepares a TCP socket of a node (before connect or listen): the testbed's congestion control and
 * TCP_NODELAY. SR_ERR_UNSUPPORTED with the reason when the kernel refuses. */
sr_status sr_testbed_socket(const sr_testbed *tb, int fd, char *err, size_t err_size);

/* The wire rate tbf is given for a payload bandwidth (the 1500/1448 header share). */
double sr_testbed_wire_bps(double payload_bps);

#endif
