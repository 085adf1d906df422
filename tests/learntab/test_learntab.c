/* test_learntab.c: a model that really learns, on the real Fashion-MNIST (dataset-fashion-mnist), at a
 * reduced size: training from scratch (loss falls, accuracy far above the 10 % of chance, bit-identical
 * with the same seed), the incremental stages (what each system uploads, trains and pushes, row by row
 * against the definitions), the insitu_stages table (round trip, runs, refusals) and `simrun train`'s
 * exit codes. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_learntab.h"

static sr_dataset g_train, g_test;
static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    char err[512];
    if (sr_dataset_fashion_mnist(NULL, 1, 2000, &g_train, err, sizeof err) != SR_OK ||
        sr_dataset_fashion_mnist(NULL, 0, 1000, &g_test, err, sizeof err) != SR_OK) {
        fprintf(stderr, "%s (install dataset-fashion-mnist: scripts/bootstrap.sh)\n", err);
        return -1;
    }
    snprintf(g_dir, sizeof g_dir, "/tmp/simrun-learn-XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sr_dataset_free(&g_train);
    sr_dataset_free(&g_test);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_train_from_scratch(void **state)
{
    (void)state;
    sr_learn_params p = sr_learn_default_params();
    p.epochs = 3;
    sr_learn_epoch a[3], b[3];
    sr_tnet *na = NULL, *nb = NULL;
    char err[512] = "";
    assert_int_equal(sr_learn_train(&p, &g_train, &g_test, a, &na, NULL, err, sizeof err), SR_OK);
    assert_true(a[2].train_loss < a[0].train_loss);
    assert_true(a[2].test_loss < a[0].test_loss);
    assert_true(a[0].train_loss < 2.0);       /* below the log(10) = 2.30 of a guess already in epoch 1 */
    assert_true(a[2].test_accuracy > 0.60); /* chance: 0.10 */
    sr_tnet_free(na);
    /* Same seed: the same losses, accuracies and weights, bit for bit (one epoch on the first 500 images). */
    sr_dataset small = g_train;
    small.count = 500;
    p.epochs = 1;
    assert_int_equal(sr_learn_train(&p, &small, &g_test, a, &na, NULL, err, sizeof err), SR_OK);
    assert_int_equal(sr_learn_train(&p, &small, &g_test, b, &nb, NULL, err, sizeof err), SR_OK);
    assert_true(a[0].train_loss == b[0].train_loss);
    assert_true(a[0].test_accuracy == b[0].test_accuracy);
    for (int i = 0; i < sr_tnet_n_layers(na); i++) {
        float *W1, *b1, *d1, *e1, *W2, *b2, *d2, *e2;
        int64_t nW, nb1, nW2, nb2;
        sr_tnet_layer_params(na, i, &W1, &b1, &d1, &e1, &nW, &nb1);
        sr_tnet_layer_params(nb, i, &W2, &b2, &d2, &e2, &nW2, &nb2);
        if (nW)
            assert_memory_equal(W1, W2, sizeof(float) * (size_t)nW);
    }
    /* Another seed: other weights. */
    sr_learn_epoch c[1];
    p.seed = 2;
    assert_int_equal(sr_learn_train(&p, &small, &g_test, c, NULL, NULL, err, sizeof err), SR_OK);
    assert_true(c[0].train_loss != a[0].train_loss);
    sr_tnet_free(na);
    sr_tnet_free(nb);
    /* Unknown net, bad numbers. */
    p.net = "vgg";
    assert_int_equal(sr_learn_train(&p, &g_train, &g_test, c, NULL, NULL, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "unknown net 'vgg'"));
}

static const sr_stage_row *row_of(const sr_stage_row *rows, int stage, sr_insitu_system s)
{
    return &rows[stage * SR_INSITU_N + s];
}

static sr_stage_params small_stages(void)
{
    sr_stage_params sp = sr_stage_default_params();
    sp.n_stages = 3;
    sp.acquired[0] = 500;
    sp.acquired[1] = 1000;
    sp.acquired[2] = 2000;
    sp.init_epochs = 5;
    sp.update_epochs = 2;
    return sp;
}

static void test_stages(void **state)
{
    (void)state;
    sr_learn_params p = sr_learn_default_params();
    sr_stage_params sp = small_stages();
    sr_stage_row *rows = NULL, *again = NULL;
    int n = 0, n2 = 0;
    char err[512] = "";
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &rows, &n, NULL, err, sizeof err), SR_OK);
    assert_int_equal(n, 3 * SR_INSITU_N);
    const int64_t all_params = 61706, bytes_all = all_params * 4;
    for (int s = 0; s < SR_INSITU_N; s++) {
        const sr_stage_row *r = row_of(rows, 0, (sr_insitu_system)s);
        assert_int_equal(r->uploaded, 500);
        assert_true(r->upload_fraction == 1.0);
        assert_int_equal(r->push_bytes, bytes_all);
        assert_true(r->test_accuracy == row_of(rows, 0, SR_INSITU_A)->test_accuracy);
        assert_true(r->test_accuracy > 0.5);
    }
    for (int k = 1; k < 3; k++) {
        const sr_stage_row *a = row_of(rows, k, SR_INSITU_A), *b = row_of(rows, k, SR_INSITU_B),
                           *c = row_of(rows, k, SR_INSITU_C), *d = row_of(rows, k, SR_INSITU_D);
        const int64_t fresh = k == 1 ? 500 : 1000;
        for (int s = 0; s < SR_INSITU_N; s++)
            assert_int_equal(rows[k * SR_INSITU_N + s].new_images, fresh);
        /* (a) and (b) upload everything; (c) and (d) what their diagnosis did not recognise. */
        assert_int_equal(a->uploaded, fresh);
        assert_int_equal(b->uploaded, fresh);
        assert_int_equal(b->diagnosed_cloud, fresh);
        assert_int_equal(c->uploaded, c->unrecognised);
        assert_int_equal(d->uploaded, d->unrecognised);
        assert_true(c->upload_fraction == (double)c->unrecognised / (double)fresh);
        /* (b) and (c) train the same images with the same model chain. */
        assert_int_equal(b->unrecognised, c->unrecognised);
        assert_int_equal(b->train_images, c->uploaded);
        assert_true(b->test_accuracy == c->test_accuracy);
        assert_int_equal(a->train_images, fresh);
        /* The diagnosis keeps data on the node (at this reduced size the models are unsure of much of it:
         * 80 % is uploaded; docs/papers/insitu.md has the full-size fractions) and catches errors: an
         * unrecognised image is far more often wrong than an average one. */
        assert_true(c->uploaded > 0 && c->uploaded < fresh);
        assert_true(d->uploaded > 0 && d->uploaded < fresh);
        assert_true(c->unrec_and_wrong <= c->unrecognised && c->unrec_and_wrong <= c->misclassified);
        assert_true(c->unrec_and_wrong > 0.95 * c->misclassified); /* nearly every error is caught */
        assert_true((double)c->unrec_and_wrong / (double)c->unrecognised >
                    1.1 * (double)c->misclassified / (double)fresh);
        /* (d) retrains and pushes only the layers from transfer_from on: LeNet-5 from conv2 = all but conv1. */
        assert_int_equal(d->trainable_from, 3);
        assert_int_equal(d->push_bytes, (all_params - 156) * 4);
        assert_int_equal(c->push_bytes, bytes_all);
        assert_true(d->train_macs_per_image < c->train_macs_per_image);
        assert_int_equal(c->infer_macs_per_image, 117600 + 240000 + 48000 + 10080 + 840);
        assert_int_equal(c->train_macs_per_image, 3 * c->infer_macs_per_image - 117600);
        assert_true(a->test_accuracy > 0.55 && c->test_accuracy > 0.55 && d->test_accuracy > 0.55);
    }
    /* Deterministic: the same rows again (a smaller schedule: 200, 300, 400 images, one epoch each). */
    sr_stage_params tiny = small_stages();
    tiny.acquired[0] = 200;
    tiny.acquired[1] = 300;
    tiny.acquired[2] = 400;
    tiny.init_epochs = tiny.update_epochs = 1;
    sr_stage_row *t1 = NULL;
    int nt1 = 0;
    assert_int_equal(sr_learn_stages(&p, &tiny, &g_train, &g_test, &t1, &nt1, NULL, err, sizeof err), SR_OK);
    assert_int_equal(sr_learn_stages(&p, &tiny, &g_train, &g_test, &again, &n2, NULL, err, sizeof err), SR_OK);
    assert_int_equal(nt1, n2);
    for (int i = 0; i < n2; i++) {
        assert_int_equal(t1[i].uploaded, again[i].uploaded);
        assert_int_equal(t1[i].misclassified, again[i].misclassified);
        assert_true(t1[i].test_accuracy == again[i].test_accuracy);
    }
    free(t1);
    /* The error criterion (threshold 0, the paper's split into recognised and unrecognised data): an image is
     * unrecognised exactly when the pre-update model misclassifies it, so (c) uploads its errors and nothing else. */
    sr_stage_params errc = tiny;
    errc.threshold = 0;
    sr_stage_row *te = NULL;
    int nte = 0;
    assert_int_equal(sr_learn_stages(&p, &errc, &g_train, &g_test, &te, &nte, NULL, err, sizeof err), SR_OK);
    for (int k = 1; k < 3; k++) {
        const sr_stage_row *c = row_of(te, k, SR_INSITU_C);
        assert_true(c->misclassified > 0);
        assert_int_equal(c->unrecognised, c->misclassified);
        assert_int_equal(c->unrec_and_wrong, c->misclassified);
        assert_int_equal(c->uploaded, c->misclassified);
        assert_true(c->threshold == 0);
    }
    free(te);

    /* The table: a round trip, a second run, refusals. */
    char db[128];
    snprintf(db, sizeof db, "%s/stages.db", g_dir);
    assert_int_equal(sr_learntab_store(db, rows, n, "test", err, sizeof err), SR_OK);
    assert_int_equal(rows[0].run, 1);
    sr_stage_row *got = NULL;
    int ng = 0;
    assert_int_equal(sr_learntab_lookup(db, "lenet5", "c", &got, &ng, err, sizeof err), SR_OK);
    assert_int_equal(ng, 3);
    for (int k = 0; k < 3; k++) {
        const sr_stage_row *w = row_of(rows, k, SR_INSITU_C);
        assert_int_equal(got[k].stage, k);
        assert_int_equal(got[k].uploaded, w->uploaded);
        assert_true(got[k].upload_fraction == w->upload_fraction);
        assert_true(got[k].test_accuracy == w->test_accuracy);
        assert_int_equal(got[k].push_bytes, w->push_bytes);
        assert_string_equal(got[k].simrun_version, "test");
        assert_int_equal(got[k].run, 1);
    }
    free(got);
    again[SR_INSITU_N + SR_INSITU_C].uploaded = 7; /* a later run is the one read back */
    assert_int_equal(sr_learntab_store(db, again, n2, "test", err, sizeof err), SR_OK);
    assert_int_equal(sr_learntab_lookup(db, "lenet5", "c", &got, &ng, err, sizeof err), SR_OK);
    assert_int_equal(got[1].uploaded, 7);
    assert_int_equal(got[1].run, 2);
    free(got);
    assert_int_equal(sr_learntab_lookup(db, "lenet7", "c", &got, &ng, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "no rows for net 'lenet7'"));
    char missing[128];
    snprintf(missing, sizeof missing, "%s/none.db", g_dir);
    assert_int_equal(sr_learntab_lookup(missing, "lenet5", "c", &got, &ng, err, sizeof err), SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "simrun train --stages"));
    char junk[128];
    snprintf(junk, sizeof junk, "%s/junk.db", g_dir);
    FILE *f = fopen(junk, "w");
    assert_non_null(f);
    fputs("this is not a database, but long enough to have a header of a hundred bytes ............................\n", f);
    fclose(f);
    assert_int_equal(sr_learntab_store(junk, rows, n, "test", err, sizeof err), SR_ERR_DB);
    assert_non_null(strstr(err, "not an SQLite database"));
    char other[128], cmd[300];
    snprintf(other, sizeof other, "%s/other.db", g_dir);
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'CREATE TABLE insitu_stages(x INTEGER)'", other);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sr_learntab_store(other, rows, n, "test", err, sizeof err), SR_ERR_DB);
    assert_non_null(strstr(err, "other columns"));

    /* Bad stage parameters. */
    sp.acquired[2] = 900;
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &got, &ng, NULL, err, sizeof err), SR_ERR_INVALID);
    assert_non_null(strstr(err, "stage 2: 900"));
    sp = small_stages();
    sp.acquired[2] = 2001;
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &got, &ng, NULL, err, sizeof err), SR_ERR_INVALID);
    sp = small_stages();
    sp.threshold = 1.5;
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &got, &ng, NULL, err, sizeof err), SR_ERR_INVALID);
    sp.threshold = -0.5;
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &got, &ng, NULL, err, sizeof err), SR_ERR_INVALID);
    sp = small_stages();
    sp.transfer_from = 11;
    assert_int_equal(sr_learn_stages(&p, &sp, &g_train, &g_test, &got, &ng, NULL, err, sizeof err), SR_ERR_INVALID);
    free(again);
    free(rows);
}

/* `simrun train`: bad input exits 2 with the offending file or value named; a tiny run exits 0. */
static int run_simrun(const char *args, char *out, size_t n)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/simrun train %s 2>&1", SR_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A stage table from elsewhere with values simrun never writes: each is refused naming the file, the row and the
 * column (the shipped experiments/insitu/stages.db, copied and edited with sqlite3). */
static void test_values_from_elsewhere(void **state)
{
    (void)state;
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"upload_fraction = 1.5", "upload_fraction is 1.5, outside [0, 1]"},
        {"test_accuracy = -0.25", "test_accuracy is -0.25, outside [0, 1]"},
        {"threshold = 9e999", "threshold is inf, outside [0, 1]"},
        {"acquired = -5", "acquired is -5, outside [0, "},
        {"push_bytes = 9000000000000000000", "push_bytes is 9000000000000000000, outside [0, "},
        {"epochs = -1", "epochs is -1, outside [0, 1000000]"},
        {"train_wall_s = 'soon'", "train_wall_s holds a text, not a number"},
        {"epochs = 2.5", "epochs holds a real, not an integer"},
        {"net = x'00'", ""}, /* another net: not the rows looked up */
        {"train_wall_s = 12", ""}, /* an integer where a real belongs: a number */
        {"acquired = 1", "stage 2 with 1 images acquired does not follow stage 1 with 10000"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char db[128], cmd[512], err[512] = "";
        snprintf(db, sizeof db, "%s/elsewhere-%zu.db", g_dir, i);
        snprintf(cmd, sizeof cmd,
                 "cp '%s/experiments/insitu/stages.db' '%s' && sqlite3 '%s' \"UPDATE insitu_stages SET %s "
                 "WHERE system = 'c' AND stage = 2\"",
                 SR_SOURCE_DIR, db, db, cases[i].set);
        assert_int_equal(system(cmd), 0);
        sr_stage_row *got = NULL;
        int ng = 0;
        sr_status st = sr_learntab_lookup(db, "lenet5", "c", &got, &ng, err, sizeof err);
        if (!cases[i].want[0]) {
            if (st != SR_OK) fail_msg("%s: %s", cases[i].set, err);
            assert_int_equal(ng, 4 + (strstr(cases[i].set, "net =") == NULL));
            free(got);
            continue;
        }
        assert_int_equal(st, SR_ERR_CORRUPT);
        assert_null(got);
        if (!strstr(err, cases[i].want) || !strstr(err, db) || !strstr(err, "insitu_stages row "))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].set, err, cases[i].want);
    }
}

static void test_cli(void **state)
{
    (void)state;
    char out[8192], args[512];
    assert_int_equal(run_simrun("--epochs 0", out, sizeof out), 2);
    assert_non_null(strstr(out, "bad value '0' for --epochs"));
    assert_int_equal(run_simrun("--bogus 1", out, sizeof out), 2);
    assert_non_null(strstr(out, "unknown option '--bogus'"));
    assert_int_equal(run_simrun("--criterion sure", out, sizeof out), 2);
    assert_non_null(strstr(out, "bad value 'sure' for --criterion"));
    assert_int_equal(run_simrun("--stages", out, sizeof out), 2);
    assert_non_null(strstr(out, "--stages needs --db"));
    snprintf(args, sizeof args, "--data %s", g_dir);
    assert_int_equal(run_simrun(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "train-images-idx3-ubyte: cannot open"));
    assert_int_equal(run_simrun("--epochs 1 --train-limit 300 --test-limit 100", out, sizeof out), 0);
    assert_non_null(strstr(out, "300 training, 100 test images"));
    char db[128];
    snprintf(db, sizeof db, "%s/cli.db", g_dir);
    snprintf(args, sizeof args, "--stages --db %s --train-limit 400 --test-limit 100 --acquired 200,300,400 --init-epochs 1 --update-epochs 1", db);
    assert_int_equal(run_simrun(args, out, sizeof out), 0);
    sr_stage_row *got = NULL;
    int ng = 0;
    char err[512];
    assert_int_equal(sr_learntab_lookup(db, "lenet5", "d", &got, &ng, err, sizeof err), SR_OK);
    assert_int_equal(ng, 3);
    assert_int_equal(got[2].acquired, 400);
    free(got);
    snprintf(args, sizeof args, "--stages --db %s --train-limit 400 --acquired 200,100", db);
    assert_int_equal(run_simrun(args, out, sizeof out), 2);
    assert_non_null(strstr(out, "must increase"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_from_scratch),
        cmocka_unit_test(test_stages),
        cmocka_unit_test(test_values_from_elsewhere),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
