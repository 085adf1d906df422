/* test_results_read.c: the results reader (sr_results_read.h) shared by the reports and run's summary table, on a
 * real database written by sr_results: every run in point order with its parameters as written and its metrics,
 * the ok-only filter, NULL metrics as NaN, stopping early, and the experiment found by hash. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_results.h"
#include "sr_results_read.h"
#include "test_results_util.h"

typedef struct seen {
    int n, stop_after;
    int64_t ids[8];
    char params[8][128];
    double p50[8], missing[8];
    char status[8][8];
} seen;

static int collect(void *user, const sr_read_run *r)
{
    seen *s = user;
    int i = s->n++;
    s->ids[i] = r->id;
    s->params[i][0] = '\0';
    for (int k = 0; k < r->n_params; k++) {
        size_t l = strlen(s->params[i]);
        snprintf(s->params[i] + l, sizeof s->params[i] - l, "%s%s=%s", k ? "," : "", r->params[k].key,
                 r->params[k].value);
    }
    s->p50[i] = sr_read_run_metric(r, "latency_p50_s");
    s->missing[i] = sr_read_run_metric(r, "no_such_metric");
    snprintf(s->status[i], sizeof s->status[i], "%s", r->status);
    return s->stop_after > 0 && s->n >= s->stop_after;
}

static void test_read(void **state)
{
    (void)state;
    char *dir = tr_mkdtemp();
    char *path = tr_path(dir, "r.db");
    char err[512] = "";
    sr_results *db = NULL;
    assert_int_equal(sr_results_open(path, &db, err, sizeof err), SR_OK);
    int64_t exp = 0;
    assert_int_equal(sr_results_experiment(db, "e", "name: e\n", "00112233aabbccdd", &exp), SR_OK);
    const char *params[3] = {"{\"a.b\": \"2Mbps\", \"x\": \"7\", \"policy\": \"p\", \"replication\": 0}",
                             "{\"a.b\": \"5Mbps\", \"x\": \"7\", \"policy\": \"p\", \"replication\": 0}",
                             "{\"a.b\": \"9Mbps\", \"x\": \"8\", \"policy\": \"p\", \"replication\": 0}"};
    const char *hashes[3] = {"h0", "h1", "h2"};
    /* written out of point order; the middle point failed */
    int order[3] = {2, 0, 1};
    for (int k = 0; k < 3; k++) {
        int i = order[k];
        sr_run_output o;
        tr_make_output(&o, 10, 0.01 * (i + 1));
        assert_int_equal(sr_run_output_summarize(&o, 0), SR_OK);
        sr_run_info info = {.exp_id = exp,
                            .point_index = i,
                            .point_hash = hashes[i],
                            .params_json = params[i],
                            .policy = "p",
                            .status = i == 1 ? "failed" : "ok",
                            .error = i == 1 ? "boom" : NULL,
                            .net_model = "cm02",
                            .replace = 1};
        assert_int_equal(sr_results_write_run(db, &info, i == 1 ? NULL : &o, NULL), SR_OK);
        sr_run_output_clear(&o);
    }
    sr_results_close(db);

    sqlite3 *q = NULL;
    assert_int_equal(sqlite3_open_v2(path, &q, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    int64_t found = 0;
    assert_int_equal(sr_results_read_experiment(q, "00112233aabbccdd", &found), SR_OK);
    assert_int_equal(found, exp);
    assert_int_equal(sr_results_read_experiment(q, "ffffffffffffffff", &found), SR_ERR_NOT_FOUND);

    seen all = {0};
    assert_int_equal(sr_results_read_runs(q, exp, 0, collect, &all, err, sizeof err), SR_OK);
    assert_int_equal(all.n, 3);
    assert_string_equal(all.params[0], "a.b=2Mbps,x=7"); /* point order, policy and replication left out */
    assert_string_equal(all.params[1], "a.b=5Mbps,x=7");
    assert_string_equal(all.params[2], "a.b=9Mbps,x=8");
    assert_string_equal(all.status[1], "failed");
    assert_true(isnan(all.p50[1])); /* a failed run has no metrics */
    assert_true(all.p50[0] > 0 && all.p50[2] > all.p50[0]);
    assert_true(isnan(all.missing[0]));

    seen ok = {0};
    assert_int_equal(sr_results_read_runs(q, exp, 1, collect, &ok, err, sizeof err), SR_OK);
    assert_int_equal(ok.n, 2);
    assert_string_equal(ok.params[1], "a.b=9Mbps,x=8");

    seen first = {.stop_after = 1};
    assert_int_equal(sr_results_read_runs(q, exp, 0, collect, &first, err, sizeof err), SR_OK);
    assert_int_equal(first.n, 1);
    sqlite3_close(q);
    tr_rmtree(dir);
    free(path);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_read)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
