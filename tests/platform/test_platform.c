/* test_platform.c: the generated SimGrid platform (sr_platform.h).
 *
 * Layout: for a few shapes (per-device access links behind shared and fat-pipe links, asymmetric routes,
 * a WIFI cell next to wired devices), the XML has the zones and routes the header describes: no Full zone,
 * one bypass route per declared ordered pair with the links in order, one wired part per (cell, wired
 * host, direction), and a size that grows linearly with the number of devices.
 *
 * Simulation: transfers through routes of three links across zones take the CM02 closed form
 * sum(latency) + bytes / min(bandwidth) (test_engine.c (1): CM02 with crosstraffic 0 and TCP-gamma 0 applies
 * no factor), the same values the previous Full-zone platform gave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_platform.h"

static void assert_rel(double got, double want, double tol)
{
    double d = fabs(got - want) / (fabs(want) > 0 ? fabs(want) : 1.0);
    if (!(d <= tol)) {
        print_error("got %.17g want %.17g (rel err %.3g > %.3g)\n", got, want, d, tol);
        fail();
    }
}

/* The platform XML of e (caller frees), or a test failure. */
static char *xml_of(const sr_experiment *e, size_t *size)
{
    sr_topology *t = NULL;
    char err[512] = "";
    sr_status st = sr_topology_build(e, &t, err, sizeof err);
    if (st != SR_OK) print_error("topology: %s\n", err);
    assert_int_equal(st, SR_OK);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    assert_int_equal(sr_topology_write_xml(t, e, f), SR_OK);
    fclose(f);
    sr_topology_free(t);
    if (size) *size = n;
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* Text between the first occurrence of `open` and the next "</zone>" after it (caller frees). */
static char *zone_body(const char *xml, const char *open)
{
    const char *a = strstr(xml, open);
    assert_non_null(a);
    const char *b = strstr(a, "</zone>");
    assert_non_null(b);
    return strndup(a, (size_t)(b - a));
}

/* cam0..cam{n-1}, each with its own access link up<i>, behind a shared backhaul and a fat-pipe wan to one
 * cloud (symmetric); an edge server reaches the cloud one way only. */
static sr_experiment *city(int n)
{
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", n, 1e9, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_device(e, "edge", 1, 1e10, 0, 0);
    fx_link(e, "up", 8e6, 0.005, SR_SHARING_SHARED, "cam", n);
    fx_link(e, "bh", 100e6, 0.002, SR_SHARING_SHARED, NULL, 1);
    fx_link(e, "wan", 1e9, 0.02, SR_SHARING_FATPIPE, NULL, 1);
    fx_link(e, "lan", 1e9, 0.001, SR_SHARING_SHARED, NULL, 1);
    const char *const path[] = {"up", "bh", "wan", NULL};
    fx_route(e, "cam", "cloud", 1, path);
    const char *const edge_path[] = {"lan", "wan", NULL};
    fx_route(e, "edge", "cloud", 0, edge_path);
    return e;
}

static void test_wired_layout(void **state)
{
    (void)state;
    sr_experiment *e = city(3);
    char *xml = xml_of(e, NULL);
    assert_non_null(strstr(xml, "<zone id=\"__sr_world\" routing=\"None\">"));
    assert_non_null(strstr(xml, "<zone id=\"__sr_wired\" routing=\"Cluster\">"));
    assert_null(strstr(xml, "<host_link")); /* so undeclared pairs get an empty route, as in a Full zone */
    assert_null(strstr(xml, "routing=\"Full\"")); /* no N x N routing table anywhere */
    assert_null(strstr(xml, "<route "));
    assert_null(strstr(xml, "Wifi"));
    /* one bypass route per ordered pair, links in route order; the reverse of a symmetric route reversed */
    assert_int_equal(count(xml, "<bypassRoute "), 3 * 2 + 1);
    assert_non_null(strstr(xml, "<bypassRoute src=\"cam2\" dst=\"cloud\"><link_ctn id=\"up2\"/><link_ctn "
                                "id=\"bh\"/><link_ctn id=\"wan\"/></bypassRoute>"));
    assert_non_null(strstr(xml, "<bypassRoute src=\"cloud\" dst=\"cam0\"><link_ctn id=\"wan\"/><link_ctn "
                                "id=\"bh\"/><link_ctn id=\"up0\"/></bypassRoute>"));
    /* asymmetric: one direction only */
    assert_non_null(strstr(xml, "<bypassRoute src=\"edge\" dst=\"cloud\"><link_ctn id=\"lan\"/><link_ctn "
                                "id=\"wan\"/></bypassRoute>"));
    assert_null(strstr(xml, "<bypassRoute src=\"cloud\" dst=\"edge\""));
    /* every link and host once, inside the wired zone */
    char *wired = zone_body(xml, "<zone id=\"__sr_wired\"");
    assert_int_equal(count(xml, "<link id=\"up1\" sharing_policy=\"SHARED\" bandwidth=\"1000000Bps\" "
                                "latency=\"0.0050000000000000001s\"/>"),
                     1);
    assert_int_equal(count(wired, "<link id=\"wan\" sharing_policy=\"FATPIPE\""), 1);
    assert_int_equal(count(wired, "<host id="), 5);
    free(wired);
    free(xml);
    fx_free(e);
}

/* Between members of one group, a per-device link listed twice is the sender's instance then the receiver's;
 * listed once, the sender's; three times is refused. */
static void test_peer_route_both_uplinks(void **state)
{
    (void)state;
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 3, 1e9, 0, 0);
    fx_link(e, "up", 8e6, 0.005, SR_SHARING_SHARED, "cam", 3);
    fx_link(e, "lan", 100e6, 0.001, SR_SHARING_SHARED, NULL, 1);
    static const char *const peer[] = {"up", "lan", "up", NULL};
    fx_route(e, "cam", "cam", 0, peer);
    char *xml = xml_of(e, NULL);
    assert_int_equal(count(xml, "<bypassRoute "), 3 * 2);
    assert_non_null(strstr(xml, "<bypassRoute src=\"cam0\" dst=\"cam2\"><link_ctn id=\"up0\"/><link_ctn "
                                "id=\"lan\"/><link_ctn id=\"up2\"/></bypassRoute>"));
    assert_non_null(strstr(xml, "<bypassRoute src=\"cam2\" dst=\"cam1\"><link_ctn id=\"up2\"/><link_ctn "
                                "id=\"lan\"/><link_ctn id=\"up1\"/></bypassRoute>"));
    free(xml);
    fx_free(e);
    e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 2, 1e9, 0, 0);
    fx_link(e, "up", 8e6, 0.005, SR_SHARING_SHARED, "cam", 2);
    static const char *const thrice[] = {"up", "up", "up", NULL};
    fx_route(e, "cam", "cam", 0, thrice);
    sr_topology *t = NULL;
    char err[512] = "";
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "listed more than twice"));
    fx_free(e);
}

/* Cameras on one WIFI access point next to wired cameras: the cell is its own Wifi zone, its wired part is
 * written once per (wired host, direction) whatever the number of stations. */
static sr_experiment *mixed(double frame_fps)
{
    sr_experiment *e = fx_new(1.0, SR_NET_CM02);
    fx_device(e, "cam", 2, 1e9, 0, 0);
    fx_device(e, "lcam", 2, 1e9, 0, 0);
    fx_device(e, "edge", 1, 1e10, 0, 0);
    fx_device(e, "cloud", 1, 1e10, 0, 0);
    fx_link(e, "ap", 54e6, 0, SR_SHARING_WIFI, NULL, 1);
    fx_link(e, "lte", 8e6, 0.015, SR_SHARING_SHARED, "lcam", 2);
    fx_link(e, "lan", 100e6, 0.001, SR_SHARING_SHARED, NULL, 1);
    fx_link(e, "wan", 1e9, 0.02, SR_SHARING_FATPIPE, NULL, 1);
    const char *const wifi_edge[] = {"ap", "lan", NULL};
    const char *const wifi_cloud[] = {"ap", "lan", "wan", NULL};
    const char *const lte_cloud[] = {"lte", "wan", "lan", NULL};
    fx_route(e, "cam", "edge", 1, wifi_edge);
    fx_route(e, "cam", "cloud", 1, wifi_cloud);
    fx_route(e, "lcam", "cloud", 1, lte_cloud);
    if (frame_fps > 0) {
        fx_model(e, "m", "tiny");
        fx_source(e, "w", "cam", "m", frame_fps, SR_ARRIVAL_PERIODIC, 0.0);
        fx_source(e, "l", "lcam", "m", frame_fps, SR_ARRIVAL_PERIODIC, 0.0);
    }
    return e;
}

static void test_wifi_layout(void **state)
{
    (void)state;
    sr_experiment *e = mixed(0);
    char *xml = xml_of(e, NULL);
    char *cell = zone_body(xml, "<zone id=\"__sr_cell_ap\" routing=\"Wifi\">");
    assert_non_null(strstr(cell, "<prop id=\"access_point\" value=\"__sr_ap_ap\"/>"));
    assert_non_null(strstr(cell, "<host id=\"cam0\""));
    assert_non_null(strstr(cell, "<host id=\"cam1\""));
    assert_non_null(strstr(cell, "<link id=\"ap\" sharing_policy=\"WIFI\""));
    assert_non_null(strstr(cell, "<router id=\"__sr_ap_ap\"/>"));
    assert_null(strstr(cell, "lcam"));
    free(cell);
    char *wired = zone_body(xml, "<zone id=\"__sr_wired\"");
    assert_non_null(strstr(wired, "<router id=\"__sr_gw_ap\"/>"));
    assert_null(strstr(wired, "<host id=\"cam0\""));
    assert_null(strstr(wired, "sharing_policy=\"WIFI\""));
    free(wired);
    /* the wired part behind the access point, once for both stations, each direction */
    assert_int_equal(count(xml,
                           "<bypassRoute src=\"__sr_gw_ap\" dst=\"cloud\"><link_ctn id=\"lan\"/><link_ctn "
                           "id=\"wan\"/></bypassRoute>"),
                     1);
    assert_int_equal(count(xml,
                           "<bypassRoute src=\"cloud\" dst=\"__sr_gw_ap\"><link_ctn id=\"wan\"/><link_ctn "
                           "id=\"lan\"/></bypassRoute>"),
                     1);
    assert_int_equal(count(xml, "<bypassRoute src=\"__sr_gw_ap\" dst=\"edge\"><link_ctn id=\"lan\"/>"
                                "</bypassRoute>"),
                     1);
    assert_int_equal(count(xml, "__sr_gw_ap\""), 1 + 4 + 2); /* router, 4 bypass routes, 2 zone routes */
    /* wired cameras: a bypass route per ordered pair; 2 stations x 2 wired hosts x 2 directions collapse
     * into 4 gateway routes */
    assert_int_equal(count(xml, "<bypassRoute "), 2 * 2 + 4);
    assert_non_null(strstr(xml,
                           "<bypassZoneRoute src=\"__sr_cell_ap\" dst=\"__sr_wired\" gw_src=\"__sr_ap_ap\" "
                           "gw_dst=\"__sr_gw_ap\"><link_ctn id=\"__sr_bb_ap\"/></bypassZoneRoute>"));
    assert_non_null(strstr(xml,
                           "<bypassZoneRoute src=\"__sr_wired\" dst=\"__sr_cell_ap\" gw_src=\"__sr_gw_ap\" "
                           "gw_dst=\"__sr_ap_ap\"><link_ctn id=\"__sr_bb_ap\"/></bypassZoneRoute>"));
    free(xml);
    fx_free(e);
}

/* Stations of one cell share the wired part behind the access point: two stations reaching the cloud through
 * different wired links are rejected, naming the second route. */
static void test_cell_sides_must_agree(void **state)
{
    (void)state;
    sr_experiment *e = mixed(0);
    free(e->routes[1].src);
    e->routes[1].src = strdup("cam0");
    const char *const other[] = {"ap", "wan", NULL};
    fx_route(e, "cam1", "cloud", 1, other);
    e->routes[3].loc.line = 42;
    sr_topology *t = NULL;
    char err[512] = "";
    assert_int_equal(sr_topology_build(e, &t, err, sizeof err), SR_ERR_UNSUPPORTED);
    assert_null(t);
    assert_non_null(strstr(err, ":42:"));
    assert_non_null(
        strstr(err, "stations of WIFI cell 'ap' must reach 'cloud' through the same wired links"));
    fx_free(e);
}

/* Twice the devices, twice the platform: the old Full zone grew as N x N inside SimGrid; the XML was
 * linear already, but now SimGrid stores exactly what the XML lists (one entry per bypass route). */
static void test_size_linear(void **state)
{
    (void)state;
    size_t s1 = 0, s2 = 0;
    sr_experiment *e1 = city(1000), *e2 = city(2000);
    char *x1 = xml_of(e1, &s1), *x2 = xml_of(e2, &s2);
    assert_int_equal(count(x1, "<bypassRoute "), 2 * 1000 + 1);
    assert_int_equal(count(x2, "<bypassRoute "), 2 * 2000 + 1);
    double ratio = (double)s2 / (double)s1;
    if (!(ratio > 1.9 && ratio < 2.1)) print_error("size ratio %g\n", ratio);
    assert_true(ratio > 1.9 && ratio < 2.1);
    free(x1);
    free(x2);
    fx_free(e1);
    fx_free(e2);
}

static sr_run_output run(const sr_experiment *e)
{
    int act_features = 100;
    sr_engine_opts o = fx_opts(&act_features);
    sr_run_output out;
    sr_run_output_init(&out);
    char err[1024] = "";
    sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
    if (st != SR_OK) print_error("engine failed: %s (%s)\n", sr_status_name(st), err);
    assert_int_equal(st, SR_OK);
    return out;
}

/* Three cameras send 100 kB frames (cloud_only) over up<i> (8 Mb/s, 5 ms), the shared backhaul (100 Mb/s,
 * 2 ms) and the fat-pipe wan (1 Gb/s, 20 ms): 24 Mb/s at most on the backhaul, so every transfer takes
 * 5 + 2 + 20 ms + 100 kB / 1 MB/s. */
static void test_multi_hop_closed_form(void **state)
{
    (void)state;
    sr_experiment *e = city(3);
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e5);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 3);
    double want = 0.005 + 0.002 + 0.02 + 1e5 / (8e6 / 8);
    for (size_t k = 0; k < o.n_frames; k++) {
        assert_false(o.frames[k].dropped);
        assert_rel(o.frames[k].transfer_s, want, 1e-9);
    }
    sr_run_output_clear(&o);
    fx_free(e);
}

/* Across the cell's zone: a station at 54 Mb/s through the access point, lan (100 Mb/s, 1 ms) and wan
 * (1 Gb/s, 20 ms): the WIFI rate is the bottleneck, 1 + 20 ms + 100 kB / 6.75 MB/s. The LTE cameras in the
 * same run take 15 + 20 + 1 ms + 100 kB / 1 MB/s. */
static void test_cell_closed_form(void **state)
{
    (void)state;
    sr_experiment *e = mixed(1.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e5);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 4);
    int stations = 0, lte = 0;
    for (size_t k = 0; k < o.n_frames; k++) {
        const sr_frame_record *r = &o.frames[k];
        if (strncmp(r->device, "lcam", 4) == 0) {
            assert_rel(r->transfer_s, 0.015 + 0.02 + 0.001 + 1e5 / (8e6 / 8), 1e-9);
            lte++;
        } else {
            assert_rel(r->transfer_s, 0.001 + 0.02 + 1e5 / (54e6 / 8), 1e-9);
            stations++;
        }
    }
    assert_int_equal(stations, 2);
    assert_int_equal(lte, 2);
    sr_run_output_clear(&o);
    fx_free(e);
}

/* LV08 with a one-way route: SimGrid's cross-traffic asks for the reverse route, which nobody declared. A Full
 * zone answered with an empty route (no reverse load), and so does the wired zone now: the transfer takes
 * 13.01 x (5 + 2 + 20 ms) + 100 kB / (0.97 x 1 MB/s) (LV08 factors, test_engine.c (2); the TCP window bound
 * 4 MiB / (2 x 27 ms) does not bind). */
static void test_one_way_lv08(void **state)
{
    (void)state;
    sr_experiment *e = city(2);
    e->net_model = SR_NET_LV08;
    e->routes[0].symmetric = 0;
    fx_model(e, "m", "tiny");
    fx_source(e, "s", "cam", "m", 1.0, SR_ARRIVAL_PERIODIC, 0.0);
    fx_policy(e, "cloud_only", "cloud", NULL, 1e5);
    sr_run_output o = run(e);
    assert_int_equal(o.n_frames, 2);
    for (size_t k = 0; k < o.n_frames; k++)
        assert_rel(o.frames[k].transfer_s, 13.01 * (0.005 + 0.002 + 0.02) + 1e5 / (0.97 * 8e6 / 8), 1e-9);
    sr_run_output_clear(&o);
    fx_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wired_layout),
        cmocka_unit_test(test_peer_route_both_uplinks),
        cmocka_unit_test(test_wifi_layout),
        cmocka_unit_test(test_cell_sides_must_agree),
        cmocka_unit_test(test_size_linear),
        cmocka_unit_test(test_multi_hop_closed_form),
        cmocka_unit_test(test_cell_closed_form),
        cmocka_unit_test(test_one_way_lv08),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
