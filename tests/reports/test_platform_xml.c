/* test_platform_xml.c: `simrun platform EXP.yaml -o FILE` writes a platform SimGrid itself loads: the files
 * of a quickstart point and of the TinyML experiment (4 MCU nodes sharing one BLE link to a gateway) are
 * loaded with simgrid_load_platform, and the hosts, links, speeds, and routes' latency and bandwidth are
 * compared with the experiments' numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <simgrid/engine.h>
#include <simgrid/host.h>
#include <simgrid/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Links of the loaded platform other than SimGrid's own (loopback: names starting with "__"). */
static int user_links(void)
{
    sg_link_t *l = sg_link_list();
    int n = 0;
    for (size_t i = 0; i < sg_link_count(); i++)
        n += strncmp(sg_link_get_name(l[i]), "__", 2) != 0;
    free(l);
    return n;
}

static int run_simrun(const char *exp, const char *out, const char *point)
{
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, STDERR_FILENO);
        execl(SR_BINARY_DIR "/simrun", "simrun", "platform", exp, "-o", out, "--point", point, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_platform_loads_in_simgrid(void **state)
{
    (void)state;
    char quick[128], tiny[128], both[128];
    snprintf(quick, sizeof quick, "/tmp/sr_platform_quick_%d.xml", (int)getpid());
    snprintf(tiny, sizeof tiny, "/tmp/sr_platform_tiny_%d.xml", (int)getpid());
    snprintf(both, sizeof both, "/tmp/sr_platform_both_%d.xml", (int)getpid());
    /* quickstart point 9: the second bandwidth, 5.85 Mbps (points: bandwidth x 3 policies x 3 replications)
     */
    assert_int_equal(run_simrun(SR_SOURCE_DIR "/experiments/quickstart.yaml", quick, "9"), 0);
    assert_int_equal(run_simrun(SR_SOURCE_DIR "/experiments/tinyml-sine.yaml", tiny, "0"), 0);
    assert_int_equal(run_simrun(SR_SOURCE_DIR "/experiments/quickstart.yaml", both, "999"),
                     2); /* no such point */
    assert_int_equal(access(both, F_OK), -1);

    /* SimGrid loads one platform per process: quickstart here; TinyML in a child. */
    pid_t pid = fork();
    if (pid == 0) {
        int argc = 1;
        char *argv[] = {"t", NULL};
        simgrid_init(&argc, argv);
        simgrid_load_platform(tiny);
        int ok = sg_host_count() == 5 && user_links() == 1 && sg_link_by_name("ble");
        sg_host_t n0 = sg_host_by_name("node0"), gw = sg_host_by_name("gw");
        ok = ok && n0 && gw && sg_host_get_speed(n0) == 480e6 * 2 && sg_host_get_speed(gw) == 4 * 1.5e9 * 8;
        ok = ok && fabs(sg_host_get_route_latency(n0, gw) - 7.5e-3) < 1e-12;
        ok = ok && fabs(sg_host_get_route_bandwidth(n0, gw) - 200e3 / 8) < 1e-6;
        if (!ok)
            fprintf(
                stderr,
                "tinyml platform: %zu hosts, %zu links, node0 %g flop/s, gw %g, latency %g, bandwidth %g\n",
                sg_host_count(), sg_link_count(), n0 ? sg_host_get_speed(n0) : -1,
                gw ? sg_host_get_speed(gw) : -1, n0 && gw ? sg_host_get_route_latency(n0, gw) : -1,
                n0 && gw ? sg_host_get_route_bandwidth(n0, gw) : -1);
        fflush(NULL);
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    int argc = 1;
    char *argv[] = {"t", NULL};
    simgrid_init(&argc, argv);
    simgrid_load_platform(quick);
    assert_int_equal(sg_host_count(), 2);
    assert_int_equal(user_links(), 2);
    sg_host_t cam = sg_host_by_name("cam"), cloud = sg_host_by_name("cloud");
    assert_non_null(cam);
    assert_non_null(cloud);
    /* LTE uplink at the swept 5.85 Mbps with its 50 ms, then the WAN (100 Mbps, 20 ms): simrun list links */
    assert_true(fabs(sg_host_get_route_latency(cam, cloud) - 0.07) < 1e-12);
    assert_true(fabs(sg_host_get_route_bandwidth(cam, cloud) - 5.85e6 / 8) < 1e-6);
    assert_true(fabs(sg_host_get_route_latency(cloud, cam) - 0.07) < 1e-12);
    unlink(quick);
    unlink(tiny);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_platform_loads_in_simgrid)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
