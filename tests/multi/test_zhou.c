/* test_zhou.c: the Zhou et al. experiments (experiments/zhou/, docs/papers/zhou.md) at a reduced size (2
 * frames per point instead of 100, only the points where every link has the same bandwidth, as in the paper),
 * their orderings asserted against the paper's findings (Sec. 4):
 * - slow network (500 Kbps): Parallel is at least 10x slower than All-In-One, Pipeline in between; the
 * optimiser runs VGG-16 on one device (All-In-One's latency);
 * - median (5 Mbps): All-In-One < Pipeline < Parallel;
 * - fast (200 Mbps): Parallel beats All-In-One by 40-60 % (paper: 44.15 % at 2.4 GHz, 47.94 % at 1.2 GHz),
 * more at 500 millicores than at one core; Pipeline brings no gain (within 10 % of All-In-One, not below it);
 * the optimiser is at least as fast as Parallel;
 * - one busy device (125m): on the fast network Parallel-Adaptive beats Parallel-Even by more than 30 %
 * (paper: 50.69 %); on the slow network the optimiser runs on one device. The experiments are loaded through
 * the config (the real files), each point run by the engine.
 * - DeepThings (deepthings.yaml, deepthings-busy.yaml): work stealing against even sharing (test_deepthings_steal). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "engine_fixture.h"
#include "sr_config.h"

enum { NET_SLOW, NET_MEDIAN, NET_FAST, N_NET };
#define MAX_POL 4

typedef struct result {
    char policy[MAX_POL][32];
    double lat[MAX_POL][N_NET];
    double devices[MAX_POL][N_NET]; /* search_devices, or NAN */
    int n_pol;
} result;

static int net_of(double bps)
{
    return bps == 5e5 ? NET_SLOW : bps == 5e6 ? NET_MEDIAN : bps == 2e8 ? NET_FAST : -1;
}

static void run_file(const char *name, result *res)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/experiments/zhou/%s.yaml", SR_SOURCE_DIR, name);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load(path, stderr, &c), SR_OK);
    memset(res, 0, sizeof *res);
    for (int i = 0; i < sr_config_point_count(c); i++) {
        sr_experiment *e = NULL;
        assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
        int net = net_of(e->links[0].bw_bps), same = 1;
        for (int l = 1; l < e->n_links; l++)
            same &= e->links[l].bw_bps == e->links[0].bw_bps;
        if (!same || net < 0) {
            sr_experiment_free(e);
            continue;
        }
        e->duration_s = 240; /* two single inferences, 120 s apart */
        int p = 0;
        while (p < res->n_pol && strcmp(res->policy[p], e->policy.name) != 0)
            p++;
        if (p == res->n_pol) {
            assert_true(p < MAX_POL);
            snprintf(res->policy[p], sizeof res->policy[p], "%s", e->policy.name);
            res->n_pol++;
        }
        sr_engine_opts o = {NULL, NULL, NULL};
        sr_run_output out;
        sr_run_output_init(&out);
        char err[1024] = "";
        sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
        if (st != SR_OK) fail_msg("%s point %d: %s (%s)", name, i, sr_status_name(st), err);
        assert_int_equal(out.n_frames, 2);
        assert_true(sr_run_output_metric(&out, "latency_mean_s", &res->lat[p][net]) == SR_OK);
        if (sr_run_output_metric(&out, "search_devices", &res->devices[p][net]) != SR_OK) {
            res->devices[p][net] = NAN;
        } else { /* VGG-16's 16 layers: the DP's optimum equals the exhaustive search's */
            double dp = NAN, ex = NAN;
            assert_true(sr_run_output_metric(&out, "search_predicted_latency_s", &dp) == SR_OK);
            assert_true(sr_run_output_metric(&out, "search_exhaustive_latency_s", &ex) == SR_OK);
            assert_true(fabs(dp - ex) <= 1e-12 * ex);
        }
        fprintf(stderr, "%-12s %-18s net %d: %.4f s\n", name, e->policy.name, net, res->lat[p][net]);
        sr_run_output_clear(&out);
        sr_experiment_free(e);
    }
    sr_config_free(c);
}

static int pol(const result *r, const char *name)
{
    for (int p = 0; p < r->n_pol; p++)
        if (strcmp(r->policy[p], name) == 0) return p;
    fail_msg("no policy %s", name);
    return -1;
}

static double homogeneous(const char *file)
{
    result r;
    run_file(file, &r);
    int one = pol(&r, "all-in-one"), pipe = pol(&r, "pipeline"), par = pol(&r, "parallel"),
        opt = pol(&r, "search");
    /* slow */
    assert_true(r.lat[par][NET_SLOW] >= 10 * r.lat[one][NET_SLOW]);
    assert_true(r.lat[one][NET_SLOW] < r.lat[pipe][NET_SLOW] && r.lat[pipe][NET_SLOW] < r.lat[par][NET_SLOW]);
    assert_true(r.devices[opt][NET_SLOW] == 1.0);
    assert_true(fabs(r.lat[opt][NET_SLOW] - r.lat[one][NET_SLOW]) <= 1e-9 * r.lat[one][NET_SLOW]);
    /* median */
    assert_true(r.lat[one][NET_MEDIAN] < r.lat[pipe][NET_MEDIAN] &&
                r.lat[pipe][NET_MEDIAN] < r.lat[par][NET_MEDIAN]);
    /* fast */
    double reduction = 1 - r.lat[par][NET_FAST] / r.lat[one][NET_FAST];
    assert_true(reduction > 0.40 && reduction < 0.60);
    assert_true(r.lat[pipe][NET_FAST] >= r.lat[one][NET_FAST] &&
                r.lat[pipe][NET_FAST] < 1.1 * r.lat[one][NET_FAST]);
    assert_true(r.lat[opt][NET_FAST] <= r.lat[par][NET_FAST] * 1.0001);
    assert_true(r.devices[opt][NET_FAST] > 1.0);
    return reduction;
}

static void test_zhou_figure4(void **state)
{
    (void)state;
    double r24 = homogeneous("zhou-1core"), r12 = homogeneous("zhou-500m");
    assert_true(r12 > r24); /* the slower CPU gains more from parallelism */
}

static void test_zhou_figure5(void **state)
{
    (void)state;
    result r;
    run_file("zhou-hetero", &r);
    int even = pol(&r, "parallel-even"), adaptive = pol(&r, "parallel-adaptive"), opt = pol(&r, "search");
    assert_true(1 - r.lat[adaptive][NET_FAST] / r.lat[even][NET_FAST] > 0.30);
    assert_true(r.devices[opt][NET_SLOW] == 1.0);
    assert_true(r.lat[opt][NET_FAST] <= r.lat[adaptive][NET_FAST] * 1.0001);
}

/* DeepThings with one Pi at half its declared speed (experiments/zhou/deepthings-busy.yaml), one frame per point,
 * two and three workers: work stealing beats even sharing (the busy Pi keeps fewer tiles), more so with two
 * tiles per Pi (the next input crosses the cell during the computation); on one frame of the homogeneous file
 * at three workers, stealing with two tiles per Pi is within 2 % of even sharing. */
static double deepthings_latency(const char *file, const char *policy, int pis)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/experiments/zhou/%s.yaml", SR_SOURCE_DIR, file);
    sr_config *c = NULL;
    assert_int_equal(sr_config_load(path, stderr, &c), SR_OK);
    double lat = NAN;
    for (int i = 0; i < sr_config_point_count(c) && isnan(lat); i++) {
        sr_experiment *e = NULL;
        assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
        const sr_device_spec *pi = sr_experiment_device(e, "pi");
        if (strcmp(e->policy.name, policy) == 0 && pi && pi->count == pis) {
            e->duration_s = 1; /* one frame */
            sr_engine_opts o = {NULL, NULL, NULL};
            sr_run_output out;
            sr_run_output_init(&out);
            char err[1024] = "";
            sr_status st = fx_run_forked(e, 1, &o, &out, err, sizeof err);
            if (st != SR_OK) fail_msg("%s point %d: %s (%s)", file, i, sr_status_name(st), err);
            assert_int_equal(out.n_frames, 1);
            assert_string_equal(out.frames[0].outcome, "completed");
            lat = out.frames[0].latency_s;
            fprintf(stderr, "%-16s %-12s pi %d: %.4f s\n", file, policy, pis, lat);
            sr_run_output_clear(&out);
        }
        sr_experiment_free(e);
    }
    sr_config_free(c);
    if (isnan(lat)) fail_msg("%s: no point of %s with %d pis", file, policy, pis);
    return lat;
}

static void test_deepthings_steal(void **state)
{
    (void)state;
    for (int pis = 1; pis <= 2; pis++) {
        double even = deepthings_latency("deepthings-busy", "fused-5x5", pis);
        double steal = deepthings_latency("deepthings-busy", "steal-5x5", pis);
        double steal2 = deepthings_latency("deepthings-busy", "steal2-5x5", pis);
        assert_true(steal < even);
        assert_true(steal2 < steal && steal2 < 0.85 * even);
    }
    double even = deepthings_latency("deepthings", "fused-5x5", 3);
    double steal2 = deepthings_latency("deepthings", "steal2-5x5", 3);
    assert_true(fabs(steal2 / even - 1) < 0.02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zhou_figure4),
        cmocka_unit_test(test_zhou_figure5),
        cmocka_unit_test(test_deepthings_steal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
