/* test_report.c: figures and index page from a results database (sr_report.h), with the real gnuplot.
 *
 * The database holds synthetic runs: 2 policies x 3 bandwidths x 2 replications with known metric
 * values, so the data files behind the figures can be checked exactly (order of the numeric x axis,
 * mean / min / max over replications), and the SVGs for their series titles. */
#define _GNU_SOURCE /* memmem */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <sqlite3.h>

#include "sr_report.h"
#include "sr_results.h"
#include "test_results_util.h"

static const char *const k_policies[2] = {"cloud_only", "split"};
static const char *const k_bws[3] = {"54Mbps", "500kbps", "5.85Mbps"}; /* sweep order is not value order */
static const char *const k_fig_metrics[6] = {"latency_p50_s", "latency_p95_s",  "throughput_fps",
                                             "drop_rate",     "energy_total_j", "bytes_total"};
#define HASH1 "feedc0ffee123456"
#define HASH2 "0123456789abcdef"

/* The synthetic p50 of policy p, bandwidth b (sweep index), replication r. */
static double p50_of(int p, int b, int r)
{
    return 0.1 * (p + 1) + 0.01 * b + 0.002 * r;
}

#define HASH3 "a1b2c3d4e5f60718"
static const char *const k_grid_fps[3] = {"10", "1", "5"};
static const char *const k_grid_bw[2] = {"10Mbps", "1Mbps"};
static const char *const k_grid_policies[2] = {"edge", "cloud"};

/* p95 of the grid experiment: 1 ms .. 10 s, so the means span more than two decades. */
static double p95_of(int fi, int b, int p, int r)
{
    return 1e-3 * pow(10.0, fi + b) * (p + 1) + 1e-4 * r * r;
}

typedef struct fixture {
    char *dir, *db_path, *out;
} fixture;

static void build_db(const char *path)
{
    char err[512];
    sr_results *r = NULL;
    assert_int_equal(sr_results_open(path, &r, err, sizeof err), SR_OK);
    int64_t exp1 = 0, exp2 = 0;
    assert_int_equal(sr_results_experiment(r, "bw sweep", "name: bw sweep # a < b & c\n", HASH1, &exp1),
                     SR_OK);
    int index = 0;
    for (int b = 0; b < 3; b++)
        for (int p = 0; p < 2; p++)
            for (int rep = 0; rep < 2; rep++) {
                sr_run_output o;
                tr_make_output(&o, 30, 0.02 * (p + 1));
                assert_int_equal(sr_run_output_add_metric(&o, "latency_p50_s", p50_of(p, b, rep), "s"),
                                 SR_OK);
                char params[256], hash[32];
                snprintf(params, sizeof params,
                         "{\"links.wifi.bw\": \"%s\", \"policy\": \"%s\", \"replication\": %d}", k_bws[b],
                         k_policies[p], rep);
                snprintf(hash, sizeof hash, "pt%d", index);
                sr_run_info info = {.exp_id = exp1,
                                    .point_index = index++,
                                    .point_hash = hash,
                                    .params_json = params,
                                    .policy = k_policies[p],
                                    .replication = rep,
                                    .seed = 42u + (unsigned)rep,
                                    .status = "ok",
                                    .wall_s = 0.5,
                                    .net_model = "cm02"};
                assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
                sr_run_output_clear(&o);
            }
    /* A failed run: listed in the index, not plotted. */
    sr_run_info failed = {.exp_id = exp1,
                          .point_index = index,
                          .point_hash = "ptfail",
                          .params_json =
                              "{\"links.wifi.bw\": \"1Gbps\", \"policy\": \"split\", \"replication\": 0}",
                          .policy = "split",
                          .status = "failed",
                          .error = "route <missing>",
                          .net_model = "cm02"};
    assert_int_equal(sr_results_write_run(r, &failed, NULL, NULL), SR_OK);

    /* A second experiment with a categorical parameter, one replication, no frames. */
    assert_int_equal(sr_results_experiment(r, "models", "name: models\n", HASH2, &exp2), SR_OK);
    const char *models[3] = {"vgg16", "resnet50", "mobilenetv2"};
    for (int m = 0; m < 3; m++) {
        sr_run_output o;
        sr_run_output_init(&o);
        assert_int_equal(sr_run_output_add_metric(&o, "latency_p50_s", 0.3 - 0.1 * m, "s"), SR_OK);
        char params[128], hash[16];
        snprintf(params, sizeof params,
                 "{\"model\": \"%s\", \"policy\": \"device_only\", \"replication\": 0}", models[m]);
        snprintf(hash, sizeof hash, "m%d", m);
        sr_run_info info = {.exp_id = exp2,
                            .point_index = m,
                            .point_hash = hash,
                            .params_json = params,
                            .policy = "device_only",
                            .status = "ok"};
        assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
        sr_run_output_clear(&o);
    }
    /* A policy without the swept parameter: a reference line across the model axis. */
    {
        sr_run_output o;
        sr_run_output_init(&o);
        assert_int_equal(sr_run_output_add_metric(&o, "latency_p50_s", 0.125, "s"), SR_OK);
        sr_run_info info = {.exp_id = exp2,
                            .point_index = 3,
                            .point_hash = "m3",
                            .params_json = "{\"policy\": \"none\", \"replication\": 0}",
                            .policy = "none",
                            .status = "ok"};
        assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
        sr_run_output_clear(&o);
    }

    /* A third experiment with two swept parameters (fps 1, 5, 10 x bandwidth 1Mbps, 10Mbps), 2 policies,
     * 3 replications; p95 spans four decades (log y). */
    int64_t exp3 = 0;
    assert_int_equal(sr_results_experiment(r, "grid", "name: grid\n", HASH3, &exp3), SR_OK);
    index = 0;
    for (int fi = 0; fi < 3; fi++)
        for (int b = 0; b < 2; b++)
            for (int p = 0; p < 2; p++)
                for (int rep = 0; rep < 3; rep++) {
                    sr_run_output o;
                    tr_make_output(&o, 12, 0.01 * (p + 1) * (b + 1));
                    assert_int_equal(
                        sr_run_output_add_metric(&o, "latency_p95_s", p95_of(fi, b, p, rep), "s"), SR_OK);
                    char params[256], hash[32];
                    snprintf(
                        params, sizeof params,
                        "{\"workload.sources.video.fps\": \"%s\", \"platform.links.up.bandwidth\": \"%s\","
                        " \"policy\": \"%s\", \"replication\": %d}",
                        k_grid_fps[fi], k_grid_bw[b], k_grid_policies[p], rep);
                    snprintf(hash, sizeof hash, "g%d", index);
                    sr_run_info info = {.exp_id = exp3,
                                        .point_index = index++,
                                        .point_hash = hash,
                                        .params_json = params,
                                        .policy = k_grid_policies[p],
                                        .replication = rep,
                                        .status = "ok"};
                    assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
                    sr_run_output_clear(&o);
                }
    sr_results_close(r);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = tr_mkdtemp();
    if (!f->dir) return -1;
    f->db_path = tr_path(f->dir, "results.db");
    f->out = tr_path(f->dir, "report/sub");
    build_db(f->db_path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (getenv("SR_TEST_KEEP")) /* keep the files for a look */
        fprintf(stderr, "kept %s\n", f->dir);
    else
        tr_rmtree(f->dir);
    free(f->dir);
    free(f->db_path);
    free(f->out);
    free(f);
    return 0;
}

/* The file name in dir, NUL-terminated (its size in *n when n is not NULL); the test fails when it is
 * missing. */
static char *read_out_n(const char *dir, const char *name, size_t *n)
{
    char *p = tr_path(dir, name);
    char *s = tr_read_file(p, n);
    if (!s) fprintf(stderr, "missing %s\n", p);
    free(p);
    assert_non_null(s);
    return s;
}

static char *read_out(const char *dir, const char *name)
{
    return read_out_n(dir, name, NULL);
}

/* A figure's bytes (PDF, PNG) in dir, its size in *n. */
static uint8_t *read_bytes(const char *dir, const char *name, size_t *n)
{
    return (uint8_t *)read_out_n(dir, name, n);
}

static void expect_svg(const char *dir, const char *name, const char *const *titles, int n_titles)
{
    char *s = read_out(dir, name);
    assert_non_null(strstr(s, "<svg"));
    for (int i = 0; i < n_titles; i++) {
        if (!strstr(s, titles[i])) fprintf(stderr, "%s lacks %s\n", name, titles[i]);
        assert_non_null(strstr(s, titles[i]));
    }
    free(s);
}

static int count(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void test_report_files(void **state)
{
    fixture *f = *state;
    FILE *log = tmpfile();
    assert_int_equal(sr_report_generate(f->db_path, f->out, log), SR_OK);
    fclose(log);

    expect_svg(f->out, HASH1 "-latency-cdf.svg", k_policies, 2);
    char name[256];
    for (int m = 0; m < 6; m++) {
        snprintf(name, sizeof name, HASH1 "-%s-vs-links.wifi.bw.svg", k_fig_metrics[m]);
        expect_svg(f->out, name, k_policies, 2);
    }
    const char *cat_titles[4] = {"device_only", "vgg16", "resnet50", "mobilenetv2"};
    expect_svg(f->out, HASH2 "-latency_p50_s-vs-model.svg", cat_titles, 4);

    /* The data behind p50 vs bandwidth: x in value order (Mbit/s), mean / 95 % CI / min / max over 2
     * replications, in ms. t(0.975, 1) = 12.7062047361747; with two values the half-width is t |a - b| / 2.
     */
    char *dat = read_out(f->out, HASH1 "-latency_p50_s-vs-links.wifi.bw.dat");
    const int value_order[3] = {1, 2, 0}; /* 500kbps, 5.85Mbps, 54Mbps */
    const double xs[3] = {0.5, 5.85, 54};
    const char *line = dat;
    for (int p = 0; p < 2; p++) {
        for (int k = 0; k < 3; k++) {
            while (*line == '#' || *line == '\n') /* comments and block separators */
                line = strchr(line, '\n') + 1;
            double x, mean, ci_lo, ci_hi, lo, hi;
            int n;
            assert_int_equal(
                sscanf(line, "%lf %lf %lf %lf %lf %lf %d", &x, &mean, &ci_lo, &ci_hi, &lo, &hi, &n), 7);
            int b = value_order[k];
            double a0 = 1e3 * p50_of(p, b, 0), a1 = 1e3 * p50_of(p, b, 1);
            double half = 12.7062047361747 * fabs(a1 - a0) / 2;
            assert_true(fabs(x - xs[k]) <= 1e-9 * xs[k]);
            assert_true(fabs(mean - 0.5 * (a0 + a1)) <= 1e-9 * mean);
            assert_true(fabs(ci_lo - (mean - half)) <= 1e-8 * mean);
            assert_true(fabs(ci_hi - (mean + half)) <= 1e-8 * mean);
            assert_true(fabs(lo - a0) <= 1e-9 * a0);
            assert_true(fabs(hi - a1) <= 1e-9 * a1);
            assert_int_equal(n, 2);
            line = strchr(line, '\n') + 1;
        }
    }
    free(dat);
    /* Replications > 1: CI error bars; the numeric axis in Mbit/s with tics at the swept values, log scale
     * (500k..54M); latency in ms; the axis from 0. */
    char *gp = read_out(f->out, HASH1 "-latency_p50_s-vs-links.wifi.bw.gp");
    assert_non_null(strstr(gp, "using 1:2:3:4 with yerrorlines"));
    assert_non_null(strstr(gp, "set logscale x"));
    assert_null(strstr(gp, "set logscale y"));
    assert_non_null(strstr(gp, "set yrange [0:"));
    assert_non_null(strstr(gp, "\"wifi bw (Mbit/s)\""));
    assert_non_null(strstr(gp, "\"median latency (ms)\""));
    assert_non_null(strstr(gp, "set xtics (\"0.5\" 0.5, \"5.85\" 5.85, \"54\" 54)"));
    assert_non_null(strstr(gp, "set terminal pdfcairo"));
    assert_null(strstr(gp, "multiplot")); /* one swept parameter: one panel */
    /* each series its own colour, marker and dash */
    assert_non_null(strstr(gp, "set style line 1 lc rgb '#0072B2' pt 7 dt 1"));
    assert_non_null(strstr(gp, "set style line 2 lc rgb '#D55E00' pt 5 dt 2"));
    assert_non_null(strstr(gp, "ls 1 title \"cloud_only\""));
    assert_non_null(strstr(gp, "ls 2 title \"split\""));
    free(gp);
    /* bytes_total (about 30 kB per run): kB on the axis */
    gp = read_out(f->out, HASH1 "-bytes_total-vs-links.wifi.bw.gp");
    assert_non_null(strstr(gp, "\"bytes sent (kB)\""));
    free(gp);
    gp = read_out(f->out, HASH2 "-latency_p50_s-vs-model.gp");
    assert_null(strstr(gp, "yerrorlines"));
    assert_non_null(strstr(gp, "set xtics (\"vgg16\" 0, \"resnet50\" 1, \"mobilenetv2\" 2)"));
    /* the policy without a model parameter: a line at its value across every model */
    assert_non_null(strstr(gp, "index 1 using 1:2 with lines ls 2 title \"none (no model)\""));
    free(gp);
    dat = read_out(f->out, HASH2 "-latency_p50_s-vs-model.dat");
    const char *ref = strstr(dat, "# series none (no model)\n");
    assert_non_null(ref);
    for (int k = 0; k < 3; k++) {
        ref = strchr(ref, '\n') + 1;
        double x, mean;
        assert_int_equal(sscanf(ref, "%lf %lf", &x, &mean), 2);
        assert_true(x == k && mean == 125.0);
    }
    free(dat);
    /* Every figure in three formats, each a real file of its kind. */
    size_t size = 0;
    char *pp = tr_path(f->out, HASH1 "-latency-cdf.pdf");
    char *pdf = tr_read_file(pp, &size);
    assert_non_null(pdf);
    assert_true(size > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
    free(pdf);
    free(pp);
    pp = tr_path(f->out, HASH1 "-latency_p95_s-vs-links.wifi.bw.png");
    char *png = tr_read_file(pp, &size);
    assert_non_null(png);
    assert_true(size > 1000 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    free(png);
    free(pp);

    /* index.html: names, hashes, escaped YAML, the failed run, and every figure. */
    char *html = read_out(f->out, "index.html");
    assert_non_null(strstr(html, "bw sweep"));
    assert_non_null(strstr(html, HASH1));
    assert_non_null(strstr(html, "a &lt; b &amp; c"));
    assert_null(strstr(html, "a < b"));
    assert_non_null(strstr(html, "route &lt;missing&gt;"));
    assert_non_null(strstr(html, "<img src=\"" HASH1 "-latency-cdf.svg\""));
    for (int m = 0; m < 6; m++) {
        snprintf(name, sizeof name, "<img src=\"" HASH1 "-%s-vs-links.wifi.bw.svg\"", k_fig_metrics[m]);
        assert_non_null(strstr(html, name));
    }
    /* exp1: CDF + 6 metrics; exp2: no frames (no CDF), p50 only (other metrics absent); exp3: CDF + 6
     * metrics against each of its two parameters */
    assert_int_equal(count(html, "<img "), 7 + 1 + 13);
    /* human units in the summary table: 0.1 + 0.01 b + 0.001 -> "111 ms" (cloud_only, 500kbps) */
    assert_non_null(strstr(html, ">111 ms</td>"));
    assert_non_null(strstr(html, "<td data-v=\"500000\">0.5 Mbit/s</td>"));
    /* summary table: 2 policies x 3 bandwidths + 3 models */
    assert_int_equal(count(html, "<tr><td>cloud_only</td>"), 3);
    assert_int_equal(count(html, "<tr><td>split</td>"), 3);
    assert_int_equal(count(html, "<tr><td>device_only</td>"), 3);
    assert_int_equal(count(html, "<tr><td>none</td><td data-v=\"\">&ndash;</td>"), 1);
    free(html);
}

/* Two swept parameters: panels by the one with fewer values (or --by), a log y axis over four decades, the
 * legend in its own cell, one CDF panel per sweep point, min-max bars on request. */
static void test_report_panels(void **state)
{
    fixture *f = *state;
    assert_int_equal(sr_report_generate(f->db_path, f->out, NULL), SR_OK);
    /* p95 vs fps: panels by bandwidth (2 values < 3), 2 panels + legend = 3 cells in a row. */
    char *gp = read_out(f->out, HASH3 "-latency_p95_s-vs-workload.sources.video.fps.gp");
    assert_non_null(strstr(gp, "set multiplot layout 1,3"));
    assert_int_equal(count(gp, "set title \"up bandwidth = "), 2);
    assert_non_null(strstr(gp, "set title \"up bandwidth = 1 Mbit/s\""));
    assert_non_null(strstr(gp, "set title \"up bandwidth = 10 Mbit/s\""));
    assert_non_null(strstr(gp, "set logscale y"));                          /* 1 ms .. 20 s */
    assert_non_null(strstr(gp, "set xtics (\"1\" 1, \"5\" 5, \"10\" 10)")); /* bare numbers, value order */
    assert_non_null(strstr(gp, "\"video fps\""));
    assert_non_null(strstr(gp, "2 with linespoints ls 1 title \"edge\"")); /* the legend cell */
    assert_non_null(strstr(gp, "2 with linespoints ls 2 title \"cloud\""));
    free(gp);
    /* Its data: 2 panels x 2 series, 3 points each, 3 replications; check one cell against the t-interval:
     * t(0.975, 2) = 4.30265272974946. Panel 0 is bandwidth 10Mbps (sweep order), series edge, fps 1. */
    char *dat = read_out(f->out, HASH3 "-latency_p95_s-vs-workload.sources.video.fps.dat");
    assert_int_equal(count(dat, "# series "), 4);
    const char *line = strstr(dat, "# series edge; panel up bandwidth = 10 Mbit/s\n");
    assert_non_null(line);
    line = strchr(line, '\n') + 1;
    double x, mean, ci_lo, ci_hi, lo, hi;
    int n;
    assert_int_equal(sscanf(line, "%lf %lf %lf %lf %lf %lf %d", &x, &mean, &ci_lo, &ci_hi, &lo, &hi, &n), 7);
    double v[3], m = 0, ss = 0;
    for (int r = 0; r < 3; r++)
        m += (v[r] = 1e3 * p95_of(1, 0, 0, r)) / 3;
    for (int r = 0; r < 3; r++)
        ss += (v[r] - m) * (v[r] - m);
    double half = 4.30265272974946 * sqrt(ss / 2) / sqrt(3.0);
    assert_true(x == 1.0);
    assert_int_equal(n, 3);
    assert_true(fabs(mean - m) <= 1e-9 * m);
    assert_true(fabs(ci_hi - ci_lo - 2 * half) <= 1e-6 * half);
    assert_true(fabs(lo - v[0]) <= 1e-9 * v[0] && fabs(hi - v[2]) <= 1e-9 * v[2]);
    free(dat);
    /* p95 vs bandwidth: panels by fps, 3 panels + legend in 2 x 2. */
    gp = read_out(f->out, HASH3 "-latency_p95_s-vs-platform.links.up.bandwidth.gp");
    assert_non_null(strstr(gp, "set multiplot layout 2,2"));
    assert_int_equal(count(gp, "set title \"video fps = "), 3);
    free(gp);
    /* CDF: one panel per sweep point (6) + legend = 7 cells in 3 x 3, 12 curves (6 points x 2 policies). */
    gp = read_out(f->out, HASH3 "-latency-cdf.gp");
    assert_non_null(strstr(gp, "set multiplot layout 3,3"));
    assert_int_equal(count(gp, " with steps ls "), 12);
    assert_non_null(strstr(gp, "set title \"up bandwidth = 10 Mbit/s, video fps = 10\""));
    free(gp);
    dat = read_out(f->out, HASH3 "-latency-cdf.dat");
    assert_int_equal(count(dat, " frames\n"), 12);
    /* each curve pools 3 replications of 12 frames, 11 completed each (frame i = 6 is dropped) */
    assert_non_null(strstr(dat, "# edge at up bandwidth = 10 Mbit/s, video fps = 10: 33 frames\n"));
    free(dat);

    /* --by fps: bandwidth figures keep fps panels; fps figures cannot be split by themselves and fall back to
     * bandwidth panels; min-max bars; log y everywhere on request. */
    char *out2 = tr_path(f->dir, "by");
    sr_report_opts o = {.by = "fps", .minmax = 1, .log_y = 1};
    assert_int_equal(sr_report_generate_ex(f->db_path, out2, &o, NULL), SR_OK);
    gp = read_out(out2, HASH3 "-latency_p95_s-vs-workload.sources.video.fps.gp");
    assert_non_null(strstr(gp, "using 1:2:5:6 with yerrorlines"));
    assert_non_null(strstr(gp, "(mean, min-max over replications)"));
    free(gp);
    gp = read_out(out2, HASH3 "-throughput_fps-vs-platform.links.up.bandwidth.gp");
    assert_non_null(strstr(gp, "set logscale y"));
    assert_int_equal(count(gp, "set title \"video fps = "), 3);
    free(gp);
    o = (sr_report_opts){.by = "nosuchaxis"};
    FILE *log = tmpfile();
    assert_int_equal(sr_report_generate_ex(f->db_path, out2, &o, log), SR_ERR_INVALID);
    rewind(log);
    char buf[1024];
    size_t got = fread(buf, 1, sizeof buf - 1, log);
    buf[got] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "--by nosuchaxis"));
    free(out2);
}

static void test_report_deterministic(void **state)
{
    fixture *f = *state;
    char *out2 = tr_path(f->dir, "again");
    assert_int_equal(sr_report_generate(f->db_path, f->out, NULL), SR_OK);
    assert_int_equal(sr_report_generate(f->db_path, out2, NULL), SR_OK);
    const char *names[3] = {"index.html", HASH1 "-latency-cdf.dat",
                            HASH1 "-bytes_total-vs-links.wifi.bw.svg"};
    for (int i = 0; i < 3; i++) {
        char *a = read_out(f->out, names[i]), *b = read_out(out2, names[i]);
        /* index.html names its own database path, identical here */
        assert_string_equal(a, b);
        free(a);
        free(b);
    }
    free(out2);
}

/* The PDFs too: cairo stamps the time it drew them, so two reports of one database differed there. They carry
 * the time the experiment's newest run was written (here set to a known past time: a report drawn now cannot
 * match it by chance), or SOURCE_DATE_EPOCH when set; the PNGs and SVGs carry no date. */
static void test_report_pdf_dated_from_results(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db_path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE runs SET finished_utc = '2026-01-31T12:00:00Z' WHERE id % 2 = 0; "
                                  "UPDATE runs SET finished_utc = '2025-11-02T08:30:05Z' WHERE id % 2 = 1",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    char *out2 = tr_path(f->dir, "dated-again"), *out3 = tr_path(f->dir, "dated-epoch");
    unsetenv("SOURCE_DATE_EPOCH");
    assert_int_equal(sr_report_generate(f->db_path, f->out, NULL), SR_OK);
    assert_int_equal(sr_report_generate(f->db_path, out2, NULL), SR_OK);
    setenv("SOURCE_DATE_EPOCH", "86400", 1);
    assert_int_equal(sr_report_generate(f->db_path, out3, NULL), SR_OK);
    /* one that is not a time is said, and the report still drawn */
    setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
    char *out4 = tr_path(f->dir, "dated-bad");
    FILE *log = tmpfile();
    assert_non_null(log);
    assert_int_equal(sr_report_generate(f->db_path, out4, log), SR_OK);
    unsetenv("SOURCE_DATE_EPOCH");
    char buf[8192];
    rewind(log);
    size_t got = fread(buf, 1, sizeof buf - 1, log);
    buf[got] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "SOURCE_DATE_EPOCH='yesterday' is not a number of seconds"));
    free(out4);
    const char *names[4] = {HASH1 "-latency-cdf.pdf", HASH1 "-bytes_total-vs-links.wifi.bw.pdf",
                            HASH1 "-bytes_total-vs-links.wifi.bw.png", HASH2 "-latency_p50_s-vs-model.pdf"};
    for (int i = 0; i < 4; i++) {
        size_t na, nb, nc;
        uint8_t *a = read_bytes(f->out, names[i], &na), *b = read_bytes(out2, names[i], &nb),
                *c = read_bytes(out3, names[i], &nc);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        if (strstr(names[i], ".pdf")) {
            assert_non_null(memmem(a, na, "/CreationDate (D:20260131120000", 31)); /* the newest run's */
            assert_non_null(memmem(c, nc, "/CreationDate (D:19700102000000", 31)); /* SOURCE_DATE_EPOCH's */
            assert_int_equal(nc, na); /* the date rewritten in place */
            assert_int_equal(memcmp(a, "%PDF-", 5), 0);
        }
        free(a), free(b), free(c);
    }
    free(out2);
    free(out3);
}

static void test_report_errors(void **state)
{
    fixture *f = *state;
    char *missing = tr_path(f->dir, "missing.db");
    assert_int_equal(sr_report_generate(missing, f->out, NULL), SR_ERR_DB);
    char *txt = tr_path(f->dir, "x.txt");
    assert_int_equal(tr_write_file(txt, "hello, I am not a database at all\n", 34), 0);
    assert_int_equal(sr_report_generate(txt, f->out, NULL), SR_ERR_DB);

    /* A gnuplot that fails: SR_ERR_IO and its stderr in the log. */
    char *bin = tr_path(f->dir, "fakebin");
    assert_int_equal(mkdir(bin, 0777), 0);
    char *fake = tr_path(bin, "gnuplot");
    const char *script = "#!/bin/sh\necho 'fake gnuplot error on line 7' >&2\nexit 3\n";
    assert_int_equal(tr_write_file(fake, script, strlen(script)), 0);
    assert_int_equal(chmod(fake, 0755), 0);
    char *old_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    assert_int_equal(setenv("PATH", bin, 1), 0);
    FILE *log = tmpfile();
    sr_status st = sr_report_generate(f->db_path, f->out, log);
    /* No gnuplot at all on PATH: also SR_ERR_IO with a message. */
    char *empty = tr_path(f->dir, "emptybin");
    assert_int_equal(mkdir(empty, 0777), 0);
    assert_int_equal(setenv("PATH", empty, 1), 0);
    sr_status st2 = sr_report_generate(f->db_path, f->out, log);
    assert_int_equal(setenv("PATH", old_path, 1), 0);
    assert_int_equal(st, SR_ERR_IO);
    assert_int_equal(st2, SR_ERR_IO);
    fflush(log);
    rewind(log);
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, log);
    buf[n] = '\0';
    fclose(log);
    assert_non_null(strstr(buf, "fake gnuplot error on line 7"));
    assert_non_null(strstr(buf, "exit status 3"));
    assert_non_null(strstr(buf, "cannot run gnuplot"));
    free(old_path);
    free(fake);
    free(bin);
    free(empty);
    free(missing);
    free(txt);
}

/* Large runs: the CDF is thinned to 1000 ranks, keeping the first and the last; odd policy names survive
 * the trip through gnuplot's quoting. */
static void test_report_cdf_thinning(void **state)
{
    (void)state;
    char *dir = tr_mkdtemp();
    assert_non_null(dir);
    char *db = tr_path(dir, "big.db"), *out = tr_path(dir, "out");
    char err[512];
    sr_results *r = NULL;
    assert_int_equal(sr_results_open(db, &r, err, sizeof err), SR_OK);
    int64_t exp_id = 0;
    assert_int_equal(sr_results_experiment(r, "big", "name: big\n", "bbbb", &exp_id), SR_OK);
    sr_run_output o;
    tr_make_output(&o, 5000, 0.01);
    const char *policy = "odd \"quoted\" \\ policy";
    sr_run_info info = {.exp_id = exp_id,
                        .point_hash = "b0",
                        .params_json = "{\"replication\": 0}",
                        .policy = policy,
                        .status = "ok"};
    assert_int_equal(sr_results_write_run(r, &info, &o, NULL), SR_OK);
    sr_results_close(r);
    sr_run_output_clear(&o);
    assert_int_equal(sr_report_generate(db, out, NULL), SR_OK);

    char *dat = read_out(out, "bbbb-latency-cdf.dat");
    int lines = 0;
    double prev_x = -1, first_frac = -1, frac = -1;
    for (char *line = dat; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (*line == '#' || *line == '\n') continue;
        double x;
        assert_int_equal(sscanf(line, "%lf %lf", &x, &frac), 2);
        assert_true(x >= prev_x);
        prev_x = x;
        if (lines++ == 0) first_frac = frac;
    }
    const int completed = 5000 - 5000 / 7; /* every 7th frame is dropped */
    assert_int_equal(lines, 1000);
    assert_true(fabs(first_frac - 1.0 / completed) <= 1e-8 / completed); /* written with 9 digits */
    assert_true(frac == 1.0);
    free(dat);
    char *svg = read_out(out, "bbbb-latency-cdf.svg");
    assert_non_null(strstr(svg, "odd \"quoted\" \\ policy"));
    free(svg);
    char *html = read_out(out, "index.html");
    assert_int_equal(count(html, "<img "), 1);
    assert_non_null(strstr(html, "odd &quot;quoted&quot; \\ policy"));
    free(html);
    tr_rmtree(dir);
    free(dir);
    free(db);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_panels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_pdf_dated_from_results, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_deterministic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_errors, setup, teardown),
        cmocka_unit_test(test_report_cdf_thinning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
