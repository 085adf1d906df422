/* test_cpuquota.c: a node's CPU quota (sr_testbed.h). A node of 0.2 cores runs a busy loop for 1 s of wall time:
 * - its cgroup holds the quota the testbed wrote: cpu.max "2000 10000" (cgroup v2) or cpu.cfs_quota_us 2000
 *   with cpu.cfs_period_us 10000 (v1), whichever hierarchy has the cpu controller on this machine;
 * - the loop's CPU time is at most 0.2 x its wall time (plus one period of slack per second and 10 %: the
 *   accounting's granularity), and the cgroup was throttled (cpu.stat nr_throttled > 0). A loop without a
 *   quota at nice -10 gets far more than a fifth of a core, even on a loaded 2-core machine;
 * - teardown removes the cgroup.
 * Prints which hierarchy ran and, when it is not v2, why v2 could not. On the machine this was written on the
 * cpu controller is bound to the v1 hierarchy (/sys/fs/cgroup/cpu): a private cgroup2 mount lists only
 * hugetlb, and unmounting the v1 cpu hierarchy to free the controller is refused (busy: other mount
 * namespaces hold it), so the v2 path ran only where cgroup v2 has cpu.
 * Needs root and a cpu controller: otherwise skipped (exit 77) with the reason. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emu_test_net.h"
#include "sr_testbed.h"

static int failures;


static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The first line of dir/name, or "" (into buf). */
static const char *read_line(const char *dir, const char *name, char *buf, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f && fgets(buf, (int)size, f)) buf[strcspn(buf, "\n")] = '\0';
    if (f) fclose(f);
    return buf;
}

static long stat_value(const char *dir, const char *key)
{
    char path[512], k[64];
    long v, found = -1;
    snprintf(path, sizeof path, "%s/cpu.stat", dir);
    FILE *f = fopen(path, "r");
    while (f && fscanf(f, "%63s %ld", k, &v) == 2)
        if (strcmp(k, key) == 0) found = v;
    if (f) fclose(f);
    return found;
}

/* Runs a busy loop for `wall` seconds in a node of `quota` cores; checks the cgroup's values, the CPU time used
 * (within 10 % of quota x wall, plus one period: the accounting's granularity) and the teardown. */
static void run_node(double quota, double wall, int v2)
{
    char err[512];
    long q_us, p_us;
    CHECK(sr_testbed_quota_period(quota, &q_us, &p_us) == 0, "no period for %.3f cores", quota);
    sr_testbed *tb = NULL;
    if (sr_testbed_create(1, &quota, NULL, 0, NULL, &tb, err, sizeof err) != SR_OK) {
        printf("FAIL: testbed: %s\n", err);
        failures++;
        return;
    }
    char dir[256], buf[128], want[64];
    snprintf(dir, sizeof dir, "%s", sr_testbed_cgroup(tb, 0) ? sr_testbed_cgroup(tb, 0) : "");
    CHECK(dir[0], "the node has no cgroup");
    if (v2) {
        snprintf(want, sizeof want, "%ld %ld", q_us, p_us);
        CHECK(strcmp(read_line(dir, "cpu.max", buf, sizeof buf), want) == 0, "cpu.max is '%s', not '%s'", buf, want);
    } else {
        snprintf(want, sizeof want, "%ld", q_us);
        CHECK(strcmp(read_line(dir, "cpu.cfs_quota_us", buf, sizeof buf), want) == 0,
              "cpu.cfs_quota_us is '%s', not '%s'", buf, want);
        snprintf(want, sizeof want, "%ld", p_us);
        CHECK(strcmp(read_line(dir, "cpu.cfs_period_us", buf, sizeof buf), want) == 0,
              "cpu.cfs_period_us is '%s', not '%s'", buf, want);
    }
    int pfd[2];
    if (pipe(pfd) != 0) {
        failures++;
        sr_testbed_free(tb);
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        if (sr_testbed_enter(tb, 0, err, sizeof err) != SR_OK) {
            fprintf(stderr, "%s\n", err);
            _exit(1);
        }
        double t0 = now_s();
        volatile unsigned long spin = 0;
        while (now_s() - t0 < wall)
            spin++;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        double used[2] = {ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec +
                              ru.ru_stime.tv_sec + 1e-6 * ru.ru_stime.tv_usec,
                          now_s() - t0};
        _exit(write(pfd[1], used, sizeof used) == sizeof used ? 0 : 1);
    }
    double used[2] = {-1, -1};
    int st = 1;
    if (read(pfd[0], used, sizeof used) != sizeof used) used[0] = -1;
    waitpid(pid, &st, 0);
    long throttled = stat_value(dir, "nr_throttled");
    printf("busy loop under a quota of %.3f cores (%ld us every %ld us): %.3f s of CPU in %.3f s of wall time "
           "(%.4f cores, %+.1f %%), throttled %ld times\n",
           quota, q_us, p_us, used[0], used[1], used[0] / used[1], 100.0 * (used[0] / used[1] / quota - 1), throttled);
    const double slack = 1e-6 * (double)q_us; /* a period's grant, over the whole loop */
    CHECK(st == 0 && used[0] >= 0, "the loop did not run in the node");
    CHECK(used[0] <= quota * used[1] * 1.1 + slack, "%.3f s of CPU exceeds the quota's %.3f", used[0], quota * used[1]);
    CHECK(used[0] >= quota * used[1] * 0.9 - slack, "%.3f s of CPU is short of the quota's %.3f", used[0],
          quota * used[1]);
    CHECK(throttled > 0, "the cgroup was never throttled (nr_throttled %ld)", throttled);
    sr_testbed_free(tb);
    CHECK(access(dir, F_OK) != 0, "teardown left %s", dir);
    close(pfd[0]);
    close(pfd[1]);
}

int main(void)
{
    char err[512], why[512] = "";
    if (sr_testbed_check(err, sizeof err) != SR_OK) {
        printf("SKIP: %s\n", err);
        return 77;
    }
    const char *root = sr_testbed_cpu_controller(why, sizeof why);
    if (!root) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    int v2 = strcmp(root, "/sys/fs/cgroup/cpu") != 0;
    printf("cpu controller: %s (cgroup %s)\n", root, v2 ? "v2, cpu.max" : "v1, cpu.cfs_quota_us");
    if (!v2) printf("cgroup v2 path not run: %s\n", why);
    sr_testbed_cleanup_stale();
    /* 0.2 cores: 2 ms every 10 ms; 0.029 cores (the shipped camera-soc against this host): 2 ms every 69 ms */
    const double quotas[2] = {0.2, 0.029};
    for (int k = 0; k < 2; k++)
        run_node(quotas[k], 2.0, v2);
    long qu, pu;
    CHECK(sr_testbed_quota_period(0.0015, &qu, &pu) == -1, "0.0015 cores accepted (%ld us every %ld us)", qu, pu);
    if (!failures) printf("ok\n");
    return failures ? 1 : 0;
}
