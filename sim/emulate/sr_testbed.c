/* sr_testbed.c: namespaces, TUN links with a user-space delay line, tbf shaping and CPU quotas
 * (sr_testbed.h). */
#define _GNU_SOURCE
#include "sr_testbed.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sr_delayline.h"

#define TB_PREFIX "simrun-"
#define TB_PERIOD_US 10000     /* the cfs period a quota uses when q x 10 ms reaches the minimum below */
#define TB_MIN_QUOTA_US 2000   /* the shortest run a period grants (the kernel refuses < 1 ms; see the header) */
#define TB_MAX_PERIOD_US 1000000 /* the kernel's longest cfs period */
#define CG_V2_ROOT "/sys/fs/cgroup/unified" /* hybrid layout (systemd's, v1 controllers beside it) */
#define CG_V2_ROOT2 "/sys/fs/cgroup"        /* unified layout (cgroup v2 only) */
#define CG_V1_CPU "/sys/fs/cgroup/cpu"

typedef struct tb_link {
    sr_tb_link spec;
    char addr_a[20], addr_b[20];
    pid_t delay_pid;
} tb_link;

struct sr_testbed {
    int n_nodes, n_links;
    char (*ns)[40];
    char (*cg)[200]; /* cgroup directory of each node ("" without quota) */
    int cg_v2;
    const char *cg_root; /* CG_V2_ROOT, CG_V2_ROOT2 or CG_V1_CPU */
    tb_link *links;
    pid_t guardian;
    char congestion[16]; /* "" : the host's default */
    int init_window_segs; /* sr_tb_tcp's, for the routes sr_testbed_route adds (0: the kernel's) */
    double *origin;      /* shared with the delay lines (MAP_SHARED): time 0 of the traces, 0 until set */
    int guard_fd; /* write end: the guardian tears down when it closes */
};

double sr_testbed_wire_bps(double payload_bps)
{
    return payload_bps * 1500.0 / 1448.0;
}

/* Runs argv (no shell), its output captured into err on failure. */
static sr_status run_argv(char *const argv[], char *err, size_t err_size)
{
    int pfd[2];
    if (pipe(pfd) != 0) {
        sr_errf(err, err_size, "pipe: %s", strerror(errno));
        return SR_ERR_IO;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        sr_errf(err, err_size, "fork: %s", strerror(errno));
        return SR_ERR_IO;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    char out[512];
    size_t n = 0;
    ssize_t r;
    while ((r = read(pfd[0], out + n, sizeof out - 1 - n)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0) n += (size_t)r;
    out[n] = '\0';
    close(pfd[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return SR_OK;
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
    char cmd[256] = "";
    size_t o = 0;
    for (int i = 0; argv[i] && o + 2 < sizeof cmd; i++)
        o += (size_t)snprintf(cmd + o, sizeof cmd - o, "%s%s", i ? " " : "", argv[i]);
    sr_errf(err, err_size, "`%s` failed: %s", cmd, out[0] ? out : "(no message)");
    return SR_ERR_UNSUPPORTED;
}

/* Runs a command given as one line of space-separated words (ours have no spaces inside). */
static sr_status run_cmd(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static sr_status run_cmd(char *err, size_t err_size, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char *argv[40];
    int n = 0;
    for (char *tok = strtok(line, " "); tok && n < 39; tok = strtok(NULL, " "))
        argv[n++] = tok;
    argv[n] = NULL;
    return run_argv(argv, err, err_size);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int file_has_word(const char *path, const char *word)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[512];
    int found = 0;
    while (!found && fscanf(f, "%511s", buf) == 1)
        found = strcmp(buf, word) == 0;
    fclose(f);
    return found;
}

static int in_path(const char *cmd)
{
    const char *dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};
    char p[64];
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dirs[i], cmd);
        if (access(p, X_OK) == 0) return 1;
    }
    return 0;
}

sr_status sr_testbed_check(char *err, size_t err_size)
{
    if (geteuid() != 0) {
        sr_errf(err, err_size,
                "emulation needs root (network namespaces, TUN devices, tc, cgroups); run it as root");
        return SR_ERR_UNSUPPORTED;
    }
    if (!in_path("ip") || !in_path("tc")) {
        sr_errf(err, err_size, "emulation needs the ip and tc commands (Debian package iproute2)");
        return SR_ERR_UNSUPPORTED;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        sr_errf(err, err_size, "emulation needs TUN devices: /dev/net/tun: %s", strerror(errno));
        return SR_ERR_UNSUPPORTED;
    }
    if (access("/proc/self/ns/net", R_OK) != 0) {
        sr_errf(err, err_size, "this kernel has no network namespaces (/proc/self/ns/net)");
        return SR_ERR_UNSUPPORTED;
    }
    return SR_OK;
}

/* The pid a name simrun-<pid>-<i> carries, or -1. */
static long name_pid(const char *name)
{
    if (strncmp(name, TB_PREFIX, strlen(TB_PREFIX)) != 0) return -1;
    char *end = NULL;
    long pid = strtol(name + strlen(TB_PREFIX), &end, 10);
    return end && *end == '-' && pid > 0 ? pid : -1;
}

static int pid_alive(long pid)
{
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static void rmdir_stale_cgroups(const char *root)
{
    DIR *d = opendir(root);
    if (!d) return;
    struct dirent *de;
    char path[600];
    while ((de = readdir(d))) {
        long pid = name_pid(de->d_name);
        if (pid < 0 || pid_alive(pid)) continue;
        snprintf(path, sizeof path, "%s/%s", root, de->d_name);
        rmdir(path);
    }
    closedir(d);
}

int sr_testbed_cleanup_stale(void)
{
    int removed = 0;
    DIR *d = opendir("/run/netns");
    if (d) {
        struct dirent *de;
        char err[256];
        while ((de = readdir(d))) {
            long pid = name_pid(de->d_name);
            if (pid < 0 || pid_alive(pid)) continue;
            if (run_cmd(err, sizeof err, "ip netns del %s", de->d_name) == SR_OK) removed++;
        }
        closedir(d);
    }
    rmdir_stale_cgroups(CG_V2_ROOT);
    rmdir_stale_cgroups(CG_V2_ROOT2);
    rmdir_stale_cgroups(CG_V1_CPU);
    return removed;
}

/* Removes what tb names (idempotent; also run by the guardian). */
static void teardown(sr_testbed *tb)
{
    char err[256];
    for (int l = 0; l < tb->n_links; l++)
        if (tb->links[l].delay_pid > 0) {
            kill(tb->links[l].delay_pid, SIGTERM);
            while (waitpid(tb->links[l].delay_pid, NULL, 0) < 0 && errno == EINTR)
                ;
            tb->links[l].delay_pid = 0;
        }
    for (int i = 0; i < tb->n_nodes; i++) {
        char path[128];
        snprintf(path, sizeof path, "/run/netns/%s", tb->ns[i]);
        if (tb->ns[i][0] && access(path, F_OK) == 0) run_cmd(err, sizeof err, "ip netns del %s", tb->ns[i]);
        if (tb->cg[i][0]) {
            /* processes still inside (a child that outlived us) are moved to the root first */
            char procs[260];
            snprintf(procs, sizeof procs, "%s/cgroup.procs", tb->cg[i]);
            FILE *f = fopen(procs, "r");
            long pid;
            char root[220];
            snprintf(root, sizeof root, "%s/cgroup.procs", tb->cg_root);
            while (f && fscanf(f, "%ld", &pid) == 1) {
                char num[32];
                snprintf(num, sizeof num, "%ld", pid);
                write_file(root, num);
            }
            if (f) fclose(f);
            rmdir(tb->cg[i]);
        }
    }
}

/* The guardian: waits until the creator's end of the pipe closes, then tears down (also when the creator
 * crashed). It ignores SIGINT so that Ctrl-C in a terminal leaves the teardown to it or to the creator. */
static void guardian_main(sr_testbed *tb, int rfd)
{
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    char c;
    for (;;) {
        ssize_t r = read(rfd, &c, 1);
        if (r == 0 || (r < 0 && errno != EINTR)) break;
    }
    teardown(tb);
    _exit(0);
}

static int open_tun_in(const char *ns, const char *ifname, char *err, size_t err_size)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    int fd = -1;
    if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
        sr_errf(err, err_size, "entering namespace %s: %s", ns, strerror(errno));
        goto done;
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
        snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
        if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
            sr_errf(err, err_size, "creating TUN device %s in %s: %s", ifname, ns, strerror(errno));
            close(fd);
            fd = -1;
        }
    } else {
        sr_errf(err, err_size, "/dev/net/tun: %s", strerror(errno));
    }
    if (setns(self, CLONE_NEWNET) != 0) { /* cannot happen: we came from there */
        sr_errf(err, err_size, "returning to the original namespace: %s", strerror(errno));
        if (fd >= 0) close(fd);
        fd = -1;
    }
done:
    if (self >= 0) close(self);
    if (target >= 0) close(target);
    return fd;
}

/* Writes value into /proc/sys/<key> as seen from namespace ns (network sysctls are per namespace: the
 * file opened is the one of the opener's namespace). */
static sr_status ns_sysctl(const char *ns, const char *key, const char *value, char *err, size_t err_size)
{
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    sr_status st = SR_OK;
    if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) != 0) {
        sr_errf(err, err_size, "entering namespace %s: %s", ns, strerror(errno));
        st = SR_ERR_IO;
        goto done;
    }
    snprintf(path, sizeof path, "/proc/sys/%s", key);
    if (write_file(path, value) != 0) {
        sr_errf(err, err_size, "setting %s = %s in namespace %s: %s", key, value, ns, strerror(errno));
        st = SR_ERR_UNSUPPORTED;
    }
    if (setns(self, CLONE_NEWNET) != 0) { /* cannot happen: we came from there */
        sr_errf(err, err_size, "returning to the original namespace: %s", strerror(errno));
        st = SR_ERR_IO;
    }
done:
    if (self >= 0) close(self);
    if (target >= 0) close(target);
    return st;
}

static sr_status ns_tcp(const char *ns, const sr_tb_tcp *tcp, char *err, size_t err_size)
{
    sr_status st = SR_OK;
    if (tcp && tcp->no_idle_restart)
        st = ns_sysctl(ns, "net/ipv4/tcp_slow_start_after_idle", "0", err, err_size);
    return st;
}

/* The token bucket's depth: 1 ms at the wire rate, at least one full packet. */
static double burst_bytes(double payload_bps)
{
    return floor(fmax(1600.0, sr_testbed_wire_bps(payload_bps) / 8.0 * 1e-3));
}

/* tbf on ifname in ns: rate, burst_bytes, a queue of 2 BDP or 200 ms (at least 100 kB) so that a bulk
 * transfer is not held back by drops, times the routes that share the link (n_flows > 1). */
static sr_status shape(const char *ns, const char *ifname, double payload_bps, double rtt_s, int n_flows,
                       char *err, size_t err_size)
{
    double wire = sr_testbed_wire_bps(payload_bps);
    double bytes_s = wire / 8.0;
    long burst = (long)burst_bytes(payload_bps);
    double one = fmax(100000.0, fmax(2.0 * bytes_s * rtt_s, bytes_s * 0.2));
    long limit = (long)(one * (n_flows > 1 ? n_flows : 1));
    return run_cmd(err, err_size, "tc -n %s qdisc replace dev %s root tbf rate %.0fbit burst %ld limit %ld",
                   ns, ifname, wire, burst, limit);
}

const char *sr_testbed_cpu_controller(char *why, size_t why_size)
{
    if (file_has_word(CG_V2_ROOT "/cgroup.controllers", "cpu")) return CG_V2_ROOT;
    if (file_has_word(CG_V2_ROOT2 "/cgroup.controllers", "cpu")) return CG_V2_ROOT2;
    if (access(CG_V1_CPU "/cpu.cfs_quota_us", W_OK) == 0) {
        if (why)
            sr_errf(why, why_size,
                    "cgroup v2 has no cpu controller here: it is bound to the v1 hierarchy at " CG_V1_CPU
                    " (a controller serves one hierarchy at a time)");
        return CG_V1_CPU;
    }
    if (why)
        sr_errf(why, why_size,
                "no cgroup cpu controller: neither cgroup v2 (" CG_V2_ROOT "/cgroup.controllers, " CG_V2_ROOT2
                "/cgroup.controllers) lists cpu nor is " CG_V1_CPU "/cpu.cfs_quota_us writable");
    return NULL;
}

const char *sr_testbed_cgroup(const sr_testbed *tb, int node)
{
    return tb && node >= 0 && node < tb->n_nodes && tb->cg[node][0] ? tb->cg[node] : NULL;
}

/* Names node i's cgroup (before the guardian forks, so that it knows it). */
static sr_status cgroup_name(sr_testbed *tb, int i, char *err, size_t err_size)
{
    tb->cg_root = sr_testbed_cpu_controller(NULL, 0);
    tb->cg_v2 = tb->cg_root && strcmp(tb->cg_root, CG_V1_CPU) != 0;
    if (tb->cg_root) {
        snprintf(tb->cg[i], sizeof tb->cg[i], "%s/%s", tb->cg_root, tb->ns[i]);
    } else {
        sr_errf(err, err_size,
                "CPU quotas need the cgroup cpu controller (cgroup v2 cpu.max or v1 "
                "cpu.cfs_quota_us); neither is writable here");
        return SR_ERR_UNSUPPORTED;
    }
    return SR_OK;
}

int sr_testbed_quota_period(double quota, long *quota_us, long *period_us)
{
    long period = TB_PERIOD_US;
    if (!(quota > 0) || quota * TB_MAX_PERIOD_US < TB_MIN_QUOTA_US) return -1;
    if (quota * period < TB_MIN_QUOTA_US) period = (long)ceil(TB_MIN_QUOTA_US / quota);
    if (period > TB_MAX_PERIOD_US) period = TB_MAX_PERIOD_US;
    *period_us = period;
    *quota_us = lround(quota * (double)period);
    return 0;
}

static sr_status cgroup_setup(sr_testbed *tb, int i, double quota, char *err, size_t err_size)
{
    char ctl[300];
    long q_us, period_us;
    if (sr_testbed_quota_period(quota, &q_us, &period_us) != 0) {
        sr_errf(err, err_size, "a CPU quota of %.6f cores cannot be set: a cfs period of at most 1 s must grant at "
                "least %d us (a device that much slower than this host cannot be emulated by a quota)",
                quota, TB_MIN_QUOTA_US);
        return SR_ERR_UNSUPPORTED;
    }
    if (tb->cg_v2) {
        snprintf(ctl, sizeof ctl, "%s/cgroup.subtree_control", tb->cg_root);
        write_file(ctl, "+cpu");
    }
    if (mkdir(tb->cg[i], 0755) != 0 && errno != EEXIST) {
        sr_errf(err, err_size, "creating cgroup %s: %s", tb->cg[i], strerror(errno));
        tb->cg[i][0] = '\0';
        return SR_ERR_UNSUPPORTED;
    }
    int bad;
    if (tb->cg_v2) {
        char v[64];
        snprintf(v, sizeof v, "%ld %ld", q_us, period_us);
        snprintf(ctl, sizeof ctl, "%s/cpu.max", tb->cg[i]);
        bad = write_file(ctl, v);
    } else {
        char v[32];
        snprintf(ctl, sizeof ctl, "%s/cpu.cfs_period_us", tb->cg[i]);
        snprintf(v, sizeof v, "%ld", period_us);
        bad = write_file(ctl, v);
        snprintf(ctl, sizeof ctl, "%s/cpu.cfs_quota_us", tb->cg[i]);
        snprintf(v, sizeof v, "%ld", q_us);
        bad = bad || write_file(ctl, v);
    }
    if (bad) {
        sr_errf(err, err_size, "setting the CPU quota in %s: %s", tb->cg[i], strerror(errno));
        return SR_ERR_UNSUPPORTED;
    }
    return SR_OK;
}

sr_status sr_testbed_create(int n_nodes, const double *quota_cores, const sr_tb_link *links, int n_links,
                            const sr_tb_tcp *tcp, sr_testbed **out, char *err, size_t err_size)
{
    *out = NULL;
    if (n_nodes < 1 || n_nodes > 250 || n_links < 0 || n_links > 250) {
        sr_errf(err, err_size, "testbed: %d nodes and %d links (at most 250 each)", n_nodes, n_links);
        return SR_ERR_RANGE;
    }
    if (tcp && (tcp->init_window_segs < 0 || tcp->init_window_segs > 1000 ||
                (tcp->congestion && (!tcp->congestion[0] || strlen(tcp->congestion) > 15)))) {
        sr_errf(err, err_size, "testbed: initial window %d segments (0..1000) or congestion control name",
                tcp->init_window_segs);
        return SR_ERR_RANGE;
    }
    sr_status st = sr_testbed_check(err, err_size);
    if (st != SR_OK) return st;
    for (int l = 0; l < n_links; l++) {
        const sr_tb_link *k = &links[l];
        if (k->a < 0 || k->b < 0 || k->a >= n_nodes || k->b >= n_nodes || k->a == k->b ||
            !(k->bw_ab_bps > 0) || !(k->bw_ba_bps > 0) || !(k->delay_ab_s >= 0) || !(k->delay_ba_s >= 0) ||
            !isfinite(k->bw_ab_bps) || !isfinite(k->bw_ba_bps) || !isfinite(k->delay_ab_s) ||
            !isfinite(k->delay_ba_s) || (k->trace_ab && k->trace_ab->kind != SR_TRACE_BANDWIDTH) ||
            (k->trace_ba && k->trace_ba->kind != SR_TRACE_BANDWIDTH) ||
            (k->lat_trace_ab && (k->lat_trace_ab->kind != SR_TRACE_LATENCY || k->lat_trace_ab->n < 1 ||
                                 !(k->lat_static_ab_s >= 0 && k->lat_static_ab_s <= k->delay_ab_s))) ||
            (k->lat_trace_ba && (k->lat_trace_ba->kind != SR_TRACE_LATENCY || k->lat_trace_ba->n < 1 ||
                                 !(k->lat_static_ba_s >= 0 && k->lat_static_ba_s <= k->delay_ba_s)))) {
            sr_errf(err, err_size, "testbed: link %d: bad ends, bandwidth or delay", l);
            return SR_ERR_INVALID;
        }
    }
    sr_testbed *tb = calloc(1, sizeof *tb);
    if (!tb) return SR_ERR_NOMEM;
    tb->n_nodes = n_nodes;
    tb->n_links = n_links;
    tb->ns = calloc((size_t)n_nodes, sizeof *tb->ns);
    tb->cg = calloc((size_t)n_nodes, sizeof *tb->cg);
    tb->links = calloc((size_t)(n_links ? n_links : 1), sizeof *tb->links);
    tb->guard_fd = -1;
    if (tcp && tcp->congestion) snprintf(tb->congestion, sizeof tb->congestion, "%s", tcp->congestion);
    tb->init_window_segs = tcp ? tcp->init_window_segs : 0;
    tb->origin = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (tb->origin == MAP_FAILED) {
        tb->origin = NULL;
        sr_testbed_free(tb);
        return SR_ERR_NOMEM;
    }
    *tb->origin = 0;
    if (!tb->ns || !tb->cg || !tb->links) {
        sr_testbed_free(tb);
        return SR_ERR_NOMEM;
    }
    for (int i = 0; i < n_nodes; i++) {
        snprintf(tb->ns[i], sizeof tb->ns[i], TB_PREFIX "%ld-%d", (long)getpid(), i);
        if (quota_cores && quota_cores[i] > 0 && (st = cgroup_name(tb, i, err, err_size)) != SR_OK) {
            sr_testbed_free(tb);
            return st;
        }
    }
    for (int l = 0; l < n_links; l++) {
        tb->links[l].spec = links[l];
        snprintf(tb->links[l].addr_a, sizeof tb->links[l].addr_a, "10.201.%d.1", l);
        snprintf(tb->links[l].addr_b, sizeof tb->links[l].addr_b, "10.201.%d.2", l);
    }
    /* the guardian first, so that whatever follows is removed if we die half-way */
    int gp[2];
    if (pipe2(gp, O_CLOEXEC) != 0) {
        sr_errf(err, err_size, "pipe: %s", strerror(errno));
        sr_testbed_free(tb);
        return SR_ERR_IO;
    }
    fflush(NULL);
    tb->guardian = fork();
    if (tb->guardian == 0) {
        close(gp[1]);
        guardian_main(tb, gp[0]);
    }
    close(gp[0]);
    tb->guard_fd = gp[1];
    if (tb->guardian < 0) {
        sr_errf(err, err_size, "fork: %s", strerror(errno));
        sr_testbed_free(tb);
        return SR_ERR_IO;
    }
    for (int i = 0; i < n_nodes && st == SR_OK; i++) {
        st = run_cmd(err, err_size, "ip netns add %s", tb->ns[i]);
        if (st == SR_OK) st = run_cmd(err, err_size, "ip -n %s link set lo up", tb->ns[i]);
        if (st == SR_OK) st = ns_tcp(tb->ns[i], tcp, err, err_size);
        if (st == SR_OK && quota_cores && quota_cores[i] > 0)
            st = cgroup_setup(tb, i, quota_cores[i], err, err_size);
    }
    for (int l = 0; l < n_links && st == SR_OK; l++) {
        tb_link *k = &tb->links[l];
        const char *na = tb->ns[k->spec.a], *nb = tb->ns[k->spec.b];
        char ifn[IFNAMSIZ];
        snprintf(ifn, sizeof ifn, "srt%d", l);
        int fa = open_tun_in(na, ifn, err, err_size);
        int fb = fa >= 0 ? open_tun_in(nb, ifn, err, err_size) : -1;
        if (fa < 0 || fb < 0) {
            if (fa >= 0) close(fa);
            st = SR_ERR_UNSUPPORTED;
            break;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            setpriority(PRIO_PROCESS, 0, SR_TESTBED_NICE);
            close(tb->guard_fd);
            /* a full bucket lets its depth through at once: the delay line holds packets that much longer, so
             * that a message on an idle link takes d + S / B, not d + (S - depth) / B */
            double extra_ab = k->spec.trace_ab ? 0
                                               : burst_bytes(k->spec.bw_ab_bps) * 8.0 /
                                                     sr_testbed_wire_bps(k->spec.bw_ab_bps);
            double extra_ba = k->spec.trace_ba ? 0
                                               : burst_bytes(k->spec.bw_ba_bps) * 8.0 /
                                                     sr_testbed_wire_bps(k->spec.bw_ba_bps);
            /* a latency-traced link's part of the delay follows its trace in the delay line */
            sr_dl_shape sh_ab = {k->spec.trace_ab, k->spec.bw_ab_bps, tb->origin, k->spec.lat_trace_ab,
                                 k->spec.lat_static_ab_s};
            sr_dl_shape sh_ba = {k->spec.trace_ba, k->spec.bw_ba_bps, tb->origin, k->spec.lat_trace_ba,
                                 k->spec.lat_static_ba_s};
            const double base_ab = k->spec.delay_ab_s - (k->spec.lat_trace_ab ? k->spec.lat_static_ab_s : 0);
            const double base_ba = k->spec.delay_ba_s - (k->spec.lat_trace_ba ? k->spec.lat_static_ba_s : 0);
            _exit(sr_delayline_run(fa, fb, base_ab + extra_ab, base_ba + extra_ba,
                                   k->spec.trace_ab || k->spec.lat_trace_ab ? &sh_ab : NULL,
                                   k->spec.trace_ba || k->spec.lat_trace_ba ? &sh_ba : NULL) == SR_OK
                      ? 0
                      : 1);
        }
        close(fa);
        close(fb);
        if (pid < 0) {
            sr_errf(err, err_size, "fork: %s", strerror(errno));
            st = SR_ERR_IO;
            break;
        }
        k->delay_pid = pid;
        double rtt = k->spec.delay_ab_s + k->spec.delay_ba_s;
        st = run_cmd(err, err_size, "ip -n %s addr add %s peer %s dev %s", na, k->addr_a, k->addr_b, ifn);
        if (st == SR_OK)
            st = run_cmd(err, err_size, "ip -n %s addr add %s peer %s dev %s", nb, k->addr_b, k->addr_a, ifn);
        if (st == SR_OK) st = run_cmd(err, err_size, "ip -n %s link set %s up", na, ifn);
        if (st == SR_OK) st = run_cmd(err, err_size, "ip -n %s link set %s up", nb, ifn);
        if (st == SR_OK && tcp && tcp->init_window_segs > 0) {
            /* the peer route the address brought, again with the initial windows */
            st = run_cmd(err, err_size, "ip -n %s route replace %s dev %s src %s initcwnd %d initrwnd %d", na,
                         k->addr_b, ifn, k->addr_a, tcp->init_window_segs, tcp->init_window_segs);
            if (st == SR_OK)
                st = run_cmd(err, err_size, "ip -n %s route replace %s dev %s src %s initcwnd %d initrwnd %d",
                             nb, k->addr_a, ifn, k->addr_b, tcp->init_window_segs, tcp->init_window_segs);
        }
        if (st == SR_OK && !k->spec.trace_ab)
            st = shape(na, ifn, k->spec.bw_ab_bps, rtt, k->spec.n_flows, err, err_size);
        if (st == SR_OK && !k->spec.trace_ba)
            st = shape(nb, ifn, k->spec.bw_ba_bps, rtt, k->spec.n_flows, err, err_size);
    }
    if (st != SR_OK) {
        sr_testbed_free(tb);
        return st;
    }
    *out = tb;
    return SR_OK;
}

void sr_testbed_free(sr_testbed *tb)
{
    if (!tb) return;
    teardown(tb);
    if (tb->guard_fd >= 0) close(tb->guard_fd);
    if (tb->guardian > 0)
        while (waitpid(tb->guardian, NULL, 0) < 0 && errno == EINTR)
            ;
    if (tb->origin) munmap(tb->origin, sizeof(double));
    free(tb->ns);
    free(tb->cg);
    free(tb->links);
    free(tb);
}

void sr_testbed_set_origin(sr_testbed *tb, double t0_s)
{
    if (tb && tb->origin) *(volatile double *)tb->origin = t0_s;
}

const char *sr_testbed_ns(const sr_testbed *tb, int node)
{
    return tb && node >= 0 && node < tb->n_nodes ? tb->ns[node] : NULL;
}

const char *sr_testbed_addr(const sr_testbed *tb, int l, int node)
{
    if (!tb || l < 0 || l >= tb->n_links) return NULL;
    if (tb->links[l].spec.a == node) return tb->links[l].addr_a;
    if (tb->links[l].spec.b == node) return tb->links[l].addr_b;
    return NULL;
}

sr_status sr_testbed_forward(sr_testbed *tb, int node, char *err, size_t err_size)
{
    if (!tb || node < 0 || node >= tb->n_nodes) return SR_ERR_INVALID;
    return ns_sysctl(tb->ns[node], "net/ipv4/ip_forward", "1", err, err_size);
}

sr_status sr_testbed_route(sr_testbed *tb, int node, const char *dst, int l, char *err, size_t err_size)
{
    const char *src = sr_testbed_addr(tb, l, node);
    if (!src || !dst || node < 0 || node >= tb->n_nodes) {
        sr_errf(err, err_size, "testbed: node %d is not an end of link %d", node, l);
        return SR_ERR_INVALID;
    }
    if (tb->init_window_segs > 0)
        return run_cmd(err, err_size, "ip -n %s route replace %s dev srt%d src %s initcwnd %d initrwnd %d",
                       tb->ns[node], dst, l, src, tb->init_window_segs, tb->init_window_segs);
    return run_cmd(err, err_size, "ip -n %s route replace %s dev srt%d src %s", tb->ns[node], dst, l, src);
}

/* One end of a shared link: htb at the link's rate with one class per flow (rate / n guaranteed, the whole
 * rate as ceiling, equal quanta: what one flow leaves unused the others share, max-min), each class its own
 * byte fifo of one flow's tbf queue, u32 filters on the flow's two addresses (either order). */
static sr_status share_end(const char *ns, int l, double payload_bps, double rtt_s, int n,
                           const char *const *addr_a, const char *const *addr_b, char *err, size_t err_size)
{
    double wire = sr_testbed_wire_bps(payload_bps), bytes_s = wire / 8.0;
    long burst = (long)burst_bytes(payload_bps);
    long limit = (long)fmax(100000.0, fmax(2.0 * bytes_s * rtt_s, bytes_s * 0.2));
    sr_status st = run_cmd(err, err_size, "tc -n %s qdisc replace dev srt%d root handle 1: htb default %x", ns, l,
                           0x10);
    if (st == SR_OK)
        st = run_cmd(err, err_size, "tc -n %s class add dev srt%d parent 1: classid 1:1 htb rate %.0fbit ceil "
                     "%.0fbit burst %ld cburst %ld", ns, l, wire, wire, burst, burst);
    for (int i = 0; i < n && st == SR_OK; i++) {
        st = run_cmd(err, err_size, "tc -n %s class add dev srt%d parent 1:1 classid 1:%x htb rate %.0fbit ceil "
                     "%.0fbit burst %ld cburst %ld quantum 1600", ns, l, 0x10 + i, wire / n, wire, burst / n,
                     burst / n);
        if (st == SR_OK)
            st = run_cmd(err, err_size, "tc -n %s qdisc add dev srt%d parent 1:%x bfifo limit %ld", ns, l,
                         0x10 + i, limit);
        for (int way = 0; way < 2 && st == SR_OK; way++)
            st = run_cmd(err, err_size, "tc -n %s filter add dev srt%d parent 1: protocol ip prio 1 u32 match ip "
                         "src %s/32 match ip dst %s/32 flowid 1:%x", ns, l, way ? addr_b[i] : addr_a[i],
                         way ? addr_a[i] : addr_b[i], 0x10 + i);
    }
    return st;
}

sr_status sr_testbed_share(sr_testbed *tb, int l, const char *const *addr_a, const char *const *addr_b,
                           char *err, size_t err_size)
{
    if (!tb || l < 0 || l >= tb->n_links || tb->links[l].spec.n_flows < 2 || tb->links[l].spec.trace_ab ||
        tb->links[l].spec.trace_ba) {
        sr_errf(err, err_size, "testbed: link %d is not shared by several flows (or follows a trace)", l);
        return SR_ERR_INVALID;
    }
    const tb_link *k = &tb->links[l];
    int n = k->spec.n_flows;
    double rtt = k->spec.delay_ab_s + k->spec.delay_ba_s;
    sr_status st = share_end(tb->ns[k->spec.a], l, k->spec.bw_ab_bps, rtt, n, addr_a, addr_b, err, err_size);
    if (st == SR_OK)
        st = share_end(tb->ns[k->spec.b], l, k->spec.bw_ba_bps, rtt, n, addr_a, addr_b, err, err_size);
    return st;
}

sr_status sr_testbed_enter(const sr_testbed *tb, int node, char *err, size_t err_size)
{
    if (!tb || node < 0 || node >= tb->n_nodes) return SR_ERR_INVALID;
    char path[128];
    snprintf(path, sizeof path, "/run/netns/%s", tb->ns[node]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
        sr_errf(err, err_size, "entering namespace %s: %s", tb->ns[node], strerror(errno));
        if (fd >= 0) close(fd);
        return SR_ERR_IO;
    }
    close(fd);
    setpriority(PRIO_PROCESS, 0, SR_TESTBED_NICE);
    if (tb->cg[node][0]) {
        char procs[260], num[32];
        snprintf(procs, sizeof procs, "%s/cgroup.procs", tb->cg[node]);
        snprintf(num, sizeof num, "%ld", (long)getpid());
        if (write_file(procs, num) != 0) {
            sr_errf(err, err_size, "joining cgroup %s: %s", tb->cg[node], strerror(errno));
            return SR_ERR_IO;
        }
    }
    return SR_OK;
}

sr_status sr_testbed_socket(const sr_testbed *tb, int fd, char *err, size_t err_size)
{
    int one = 1;
    if (tb && tb->congestion[0] &&
        setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, tb->congestion, (socklen_t)strlen(tb->congestion)) != 0) {
        sr_errf(err, err_size, "TCP congestion control %s: %s (net.ipv4.tcp_available_congestion_control)",
                tb->congestion, strerror(errno));
        return SR_ERR_UNSUPPORTED;
    }
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        sr_errf(err, err_size, "TCP_NODELAY: %s", strerror(errno));
        return SR_ERR_UNSUPPORTED;
    }
    return SR_OK;
}
