/* test_codectab.c: the codec table (calibration/codectab): tail graphs, measurement, the SQLite table, lookups and
 * the `simrun codec-table` entry point (sr_codectab_main), on MobileNetV2 / ResNet-50 at 3x64x64 with
 * seeded weights.
 *
 * Exactness where the maths promise it: the tail graph reproduces the full run bit for bit, a lossless
 * pipeline gives zero output drift and full top-1 agreement, same seed -> same sizes and errors. Bad input
 * must leave the database file byte-identical (or absent). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sr_codec.h"
#include "sr_codectab.h"
#include "sr_exec.h"
#include "sr_model_source.h"

#define MODEL "mobilenetv2"
#define INPUT "3x64x64"

typedef struct fixture {
    char dir[64];
    char db[128];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/sr_ctab_XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    (void)rc;
    free(f);
    return 0;
}

/* Runs sr_codectab_main on a NULL-terminated argument list; stderr text into msg (may be NULL). */
static int run_cmd(char *msg, size_t n, ...)
{
    char *argv[64];
    int argc = 0;
    va_list ap;
    va_start(ap, n);
    argv[argc++] = (char *)"codec-table";
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;)
        argv[argc++] = (char *)a;
    va_end(ap);
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    int rc = sr_codectab_main(argc, argv, "test", out, err);
    if (msg && n) {
        rewind(err);
        size_t k = fread(msg, 1, n - 1, err);
        msg[k] = '\0';
    }
    fclose(out);
    fclose(err);
    return rc;
}

/* Whole file in memory (NULL when absent); *n its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        *n = 0;
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    rewind(fp);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(b, 1, (size_t)len, fp);
    fclose(fp);
    return b;
}

static int64_t count_rows(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* The tail after a clean cut, run on the full run's split activation, gives the full run's output bit for
 * bit (MobileNetV2 inside its residual chain, ResNet-50 at a block output whose next block has a shortcut).
 */
static void check_tail_exact(const char *model, const char *layer)
{
    sr_graph *g = NULL, *tg = NULL;
    sr_weights *w = NULL, *tw = NULL;
    sr_exec *ex = NULL, *te = NULL;
    char err[512];
    assert_int_equal(sr_model_load(model, 3, 64, 64, 7, &g, &w, err, sizeof err), SR_OK);
    int split = sr_graph_find(g, layer);
    assert_true(split > 0);
    assert_int_equal(sr_codectab_tail_create(g, w, split, &tg, &tw, err, sizeof err), SR_OK);
    assert_int_equal(sr_graph_node_count(tg), sr_graph_node_count(g) - split);
    assert_int_equal(sr_exec_create(g, w, 1, &ex, err, sizeof err), SR_OK);
    assert_int_equal(sr_exec_create(tg, tw, 0, &te, err, sizeof err), SR_OK);
    float *x = sr_exec_input(ex, 0);
    int64_t nx = sr_shape_numel(&sr_graph_node(g, 0)->out);
    for (int64_t i = 0; i < nx; i++)
        x[i] = (float)sin(0.37 * (double)i) * 1.5f;
    assert_int_equal(sr_exec_run(ex), SR_OK);
    int64_t na = sr_shape_numel(&sr_graph_node(g, split)->out);
    memcpy(sr_exec_input(te, 0), sr_exec_output(ex, split), sizeof(float) * (size_t)na);
    assert_int_equal(sr_exec_run(te), SR_OK);
    int64_t no = sr_shape_numel(&sr_graph_node(g, sr_graph_output(g))->out);
    assert_int_equal(no, sr_shape_numel(&sr_graph_node(tg, sr_graph_output(tg))->out));
    const float *a = sr_exec_output(ex, sr_graph_output(g)), *b = sr_exec_output(te, sr_graph_output(tg));
    assert_memory_equal(a, b, sizeof(float) * (size_t)no);
    /* And the tail really computes: a changed activation changes the output. */
    float *tin = sr_exec_input(te, 0);
    for (int64_t i = 0; i < na; i++)
        tin[i] += 0.5f;
    assert_int_equal(sr_exec_run(te), SR_OK);
    assert_true(sr_metric_rel_l2(a, sr_exec_output(te, sr_graph_output(tg)), (size_t)no) > 1e-4);
    sr_exec_free(te);
    sr_exec_free(ex);
    sr_weights_free(tw);
    sr_graph_free(tg);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_tail_exact(void **state)
{
    (void)state;
    check_tail_exact("mobilenetv2", "features.3.add");
    check_tail_exact("mobilenetv2", "features.0.2");
    check_tail_exact("resnet50", "layer1.0.relu");
}

static void test_tail_refuses_unclean_cut(void **state)
{
    (void)state;
    sr_graph *g = NULL, *tg = NULL;
    sr_weights *w = NULL, *tw = NULL;
    char err[512];
    assert_int_equal(sr_model_load("resnet50", 3, 64, 64, 1, &g, &w, err, sizeof err), SR_OK);
    /* Inside a bottleneck: the shortcut (downsample) also reads the block input. */
    assert_int_equal(
        sr_codectab_tail_create(g, w, sr_graph_find(g, "layer1.0.conv1"), &tg, &tw, err, sizeof err),
        SR_ERR_INVALID);
    assert_non_null(strstr(err, "not clean"));
    assert_non_null(strstr(err, "layer1.0.downsample.0"));
    assert_null(tg);
    assert_null(tw);
    /* The residual add of layer1.1 reads layer1.0.relu, which is before layer1.1.conv2. */
    assert_int_equal(
        sr_codectab_tail_create(g, w, sr_graph_find(g, "layer1.1.conv2"), &tg, &tw, err, sizeof err),
        SR_ERR_INVALID);
    assert_non_null(strstr(err, "layer1.1.add"));
    /* The last layer has no tail. */
    assert_int_equal(sr_codectab_tail_create(g, w, sr_graph_output(g), &tg, &tw, err, sizeof err),
                     SR_ERR_INVALID);
    assert_null(tg);
    sr_weights_free(w);
    sr_graph_free(g);
}

static void test_lossless_and_lossy(void **state)
{
    fixture *f = *state;
    /* The premise: "raw" is lossless, "quant2" is not. */
    sr_codec *c = NULL;
    assert_int_equal(sr_codec_create("raw", 24, 16, 16, &c, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_is_lossless(c), 1);
    sr_codec_free(c);
    assert_int_equal(sr_codec_create("quant2", 24, 16, 16, &c, NULL, 0), SR_OK);
    assert_int_equal(sr_codec_is_lossless(c), 0);
    sr_codec_free(c);

    char msg[2048];
    int rc = run_cmd(msg, sizeof msg, "--model", MODEL, "--input", INPUT, "--split",
                     "features.3.add,features.6.add", "--codec", "raw,quant2", "--frames", "3", "--db", f->db,
                     NULL);
    assert_int_equal(rc, 0);
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM codec_table"), 4);

    sr_codectab_row r;
    char err[1024];
    assert_int_equal(sr_codectab_lookup(f->db, MODEL, "features.3.add", "raw", &r, err, sizeof err), SR_OK);
    assert_string_equal(r.model, MODEL);
    assert_string_equal(r.input, INPUT);
    assert_string_equal(r.split_layer, "features.3.add");
    assert_string_equal(r.pipeline, "raw");
    assert_string_equal(r.resolution, "64x64");
    assert_string_equal(r.simrun_version, "test");
    assert_int_equal(r.frames, 3);
    assert_int_equal(r.elements, 24 * 16 * 16);
    assert_int_equal(r.seed, 1);
    assert_true(r.id > 0);
    assert_int_equal(strlen(r.created_utc), 20);
    assert_true(r.output_rel_l2 == 0.0);
    assert_true(r.top1_agreement == 1.0);
    assert_true(r.max_abs_err == 0.0);
    assert_true(isinf(r.snr_db) && r.snr_db > 0);
    /* raw floats plus a small header: 32 bits per element and a little more. */
    assert_true(r.bits_per_element >= 32.0 && r.bits_per_element < 33.0);
    assert_true(fabs(r.ratio_raw_fp32 - r.bits_per_element / 32.0) < 1e-12);
    assert_true(r.ratio_jpeg > 0 && r.ratio_h264 > 0);
    assert_true(r.encode_s_per_element >= 0 && r.decode_s_per_element >= 0);

    sr_codectab_row q;
    assert_int_equal(sr_codectab_lookup(f->db, MODEL, "features.6.add", "quant2", &q, err, sizeof err),
                     SR_OK);
    assert_int_equal(q.elements, 32 * 8 * 8);
    assert_true(q.output_rel_l2 > 0.0);
    assert_true(q.max_abs_err > 0.0);
    assert_true(isfinite(q.snr_db) && q.snr_db < 20.0);
    assert_true(q.bits_per_element > 2.0 && q.bits_per_element < 3.0);
    assert_true(q.top1_agreement >= 0.0 && q.top1_agreement <= 1.0);
    /* The same activation's raw/quant2 size ratios are consistent. */
    sr_codectab_row r6;
    assert_int_equal(sr_codectab_lookup(f->db, MODEL, "features.6.add", "raw", &r6, err, sizeof err), SR_OK);
    assert_true(fabs(q.ratio_jpeg / r6.ratio_jpeg - q.bits_per_element / r6.bits_per_element) < 1e-9);
    assert_true(fabs(q.ratio_h264 / r6.ratio_h264 - q.bits_per_element / r6.bits_per_element) < 1e-9);

    /* Not there: a helpful message. */
    assert_int_equal(sr_codectab_lookup(f->db, MODEL, "features.3.add", "quant8", &r, err, sizeof err),
                     SR_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "simrun codec-table"));
    assert_non_null(strstr(err, "features.6.add"));
    assert_int_equal(sr_codectab_lookup(f->db, "resnet50", "layer1.0.relu", "raw", &r, err, sizeof err),
                     SR_ERR_NOT_FOUND);
    char missing[160];
    snprintf(missing, sizeof missing, "%s/none.db", f->dir);
    assert_int_equal(sr_codectab_lookup(missing, MODEL, "features.3.add", "raw", &r, err, sizeof err),
                     SR_ERR_NOT_FOUND);
    assert_int_equal(access(missing, F_OK), -1);
}

/* A codec table from elsewhere with values simrun never writes: a text where a number belongs, an infinite or
 * negative cost, no elements; each is refused naming the file, the row and the column. */
static void test_values_from_elsewhere(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_cmd(NULL, 0, "--model", MODEL, "--input", INPUT, "--split", "features.3.add", "--codec",
                             "quant4", "--frames", "1", "--db", f->db, NULL),
                     0);
    static const struct {
        const char *set, *want;
    } cases[] = {
        {"bits_per_element = 9e999", "bits_per_element is inf, outside [0, 1024]"},
        {"encode_s_per_element = -1e-9", "encode_s_per_element is -1e-09, outside [0, 1]"},
        {"decode_s_per_element = 'fast'", "decode_s_per_element holds a text, not a number"},
        {"elements = 0", "1 frames of 0 elements"},
        {"frames = 1.5", "frames holds a real, not an integer"},
        {"ratio_h264 = 3", ""}, /* an integer where a real belongs: a number */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char db[200], cmd[700], err[512] = "";
        snprintf(db, sizeof db, "%s/elsewhere-%zu.db", f->dir, i);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && sqlite3 '%s' \"UPDATE codec_table SET %s\"", f->db, db, db,
                 cases[i].set);
        assert_int_equal(system(cmd), 0);
        sr_codectab_row r;
        sr_status st = sr_codectab_lookup(db, MODEL, "features.3.add", "quant4", &r, err, sizeof err);
        if (!cases[i].want[0]) {
            if (st != SR_OK) fail_msg("%s: %s", cases[i].set, err);
            assert_true(r.ratio_h264 == 3.0);
            continue;
        }
        assert_int_equal(st, SR_ERR_CORRUPT);
        if (!strstr(err, cases[i].want) || !strstr(err, db) || !strstr(err, "codec_table row "))
            fail_msg("%s: message \"%s\" lacks \"%s\"", cases[i].set, err, cases[i].want);
    }
}

static void test_lookup_most_recent(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_cmd(NULL, 0, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant4", "--frames", "1", "--seed", "5", "--db", f->db, NULL),
                     0);
    assert_int_equal(run_cmd(NULL, 0, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant4", "--frames", "2", "--seed", "9", "--db", f->db, NULL),
                     0);
    sr_codectab_row r;
    char err[512];
    assert_int_equal(sr_codectab_lookup(f->db, MODEL, "features.3.add", "quant4", &r, err, sizeof err),
                     SR_OK);
    assert_int_equal(r.seed, 9);
    assert_int_equal(r.frames, 2);
    assert_int_equal(r.id, count_rows(f->db, "SELECT max(id) FROM codec_table"));
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM codec_table"), 2);
}

/* Same seed, same sizes and errors; inter-frame pipelines see a stream; another video resolution is resized
 * to the model input. */
static void test_measure_deterministic(void **state)
{
    (void)state;
    const char *splits[] = {"features.6.add"};
    const char *pipes[] = {"quant6+rans", "inter(quant6+rans,key=4)"};
    sr_codectab_params p = sr_codectab_default_params();
    p.model = MODEL;
    p.in_c = 3;
    p.in_h = 64;
    p.in_w = 64;
    p.splits = splits;
    p.n_splits = 1;
    p.pipelines = pipes;
    p.n_pipelines = 2;
    p.frames = 3;
    p.width = 96;
    p.height = 80;
    sr_codectab_row *a = NULL, *b = NULL;
    int na = 0, nb = 0;
    char err[512];
    assert_int_equal(sr_codectab_measure(&p, &a, &na, NULL, err, sizeof err), SR_OK);
    assert_int_equal(sr_codectab_measure(&p, &b, &nb, NULL, err, sizeof err), SR_OK);
    assert_int_equal(na, 2);
    assert_int_equal(nb, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(a[i].resolution, "96x80");
        assert_string_equal(a[i].input, "3x64x64");
        assert_true(a[i].bits_per_element == b[i].bits_per_element);
        assert_true(a[i].ratio_jpeg == b[i].ratio_jpeg);
        assert_true(a[i].ratio_h264 == b[i].ratio_h264);
        assert_true(a[i].snr_db == b[i].snr_db);
        assert_true(a[i].output_rel_l2 == b[i].output_rel_l2);
        assert_true(a[i].top1_agreement == b[i].top1_agreement);
    }
    /* P frames code residuals of a slowly changing scene: fewer bits than intra coding every frame. */
    assert_true(a[1].bits_per_element < a[0].bits_per_element);
    /* Another seed, another video. */
    p.seed = 2;
    sr_codectab_row *c = NULL;
    int ncc = 0;
    assert_int_equal(sr_codectab_measure(&p, &c, &ncc, NULL, err, sizeof err), SR_OK);
    assert_true(c[0].ratio_jpeg != a[0].ratio_jpeg);
    free(a);
    free(b);
    free(c);
}

/* Every bad input: exit 2, a message naming the problem, the DB file unchanged byte for byte. */
static void test_bad_input_leaves_db(void **state)
{
    fixture *f = *state;
    assert_int_equal(run_cmd(NULL, 0, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant8", "--frames", "1", "--db", f->db, NULL),
                     0);
    size_t n0 = 0;
    unsigned char *before = slurp(f->db, &n0);
    assert_non_null(before);
    static const struct {
        const char *opt, *val, *expect;
    } cases[] = {
        {"--model", "no-such-model", "unknown model"},
        {"--split", "no.such.layer", "no layer 'no.such.layer'"},
        {"--split", "features.3.conv.2", "not clean"},
        {"--codec", "quant99", "quant99"},
        {"--codec", "dct8+bogus", "bogus"},
        {"--frames", "0", "--frames"},
        {"--frames", "3x", "--frames"},
        {"--input", "3x64", "--input"},
        {"--input", "3x8x8", "below the 16x16 minimum"},
        {"--input", "4x64x64", "does not take one 1xCxHxW image"},
        {"--resolution", "8x8", "resolution"},
        {"--jpeg-quality", "101", "--jpeg-quality"},
        {"--h264-crf", "nan", "--h264-crf"},
        {"--fps", "-1", "--fps"},
        {"--seed", "-3", "--seed"},
        {"--bogus", "1", "unknown option"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *model = strcmp(cases[i].opt, "--model") == 0 ? cases[i].val : MODEL;
        const char *split = strcmp(cases[i].opt, "--split") == 0 ? cases[i].val : "features.3.add";
        const char *codec = strcmp(cases[i].opt, "--codec") == 0 ? cases[i].val : "quant8";
        const char *input = strcmp(cases[i].opt, "--input") == 0 ? cases[i].val : INPUT;
        int other = strcmp(cases[i].opt, "--model") && strcmp(cases[i].opt, "--split") &&
                    strcmp(cases[i].opt, "--codec") && strcmp(cases[i].opt, "--input");
        char msg[2048];
        int rc =
            other ? run_cmd(msg, sizeof msg, "--model", model, "--input", input, "--split", split, "--codec",
                            codec, "--frames", "1", "--db", f->db, cases[i].opt, cases[i].val, NULL)
                  : run_cmd(msg, sizeof msg, "--model", model, "--input", input, "--split", split, "--codec",
                            codec, "--frames", "1", "--db", f->db, NULL);
        if (rc != 2 || !strstr(msg, cases[i].expect))
            fail_msg("case %zu (%s %s): rc %d, message: %s", i, cases[i].opt, cases[i].val, rc, msg);
        size_t n1 = 0;
        unsigned char *after = slurp(f->db, &n1);
        assert_int_equal(n1, n0);
        assert_memory_equal(before, after, n0);
        free(after);
    }
    /* Missing required options. */
    char msg[2048];
    assert_int_equal(
        run_cmd(msg, sizeof msg, "--model", MODEL, "--split", "features.3.add", "--codec", "quant8", NULL),
        2);
    assert_non_null(strstr(msg, "--db"));
    assert_int_equal(run_cmd(msg, sizeof msg, "--help", NULL), 0);
    free(before);
}

static void test_bad_db_files(void **state)
{
    fixture *f = *state;
    char path[192], msg[2048];
    /* Not an SQLite file: refused, untouched. */
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    FILE *fp = fopen(path, "wb");
    const char text[] = "these are my notes, not a database\n";
    fwrite(text, 1, sizeof text - 1, fp);
    fclose(fp);
    assert_int_equal(run_cmd(msg, sizeof msg, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant8", "--frames", "1", "--db", path, NULL),
                     2);
    assert_non_null(strstr(msg, "not an SQLite database"));
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    assert_int_equal(n, sizeof text - 1);
    assert_memory_equal(b, text, n);
    free(b);
    /* A folder that does not exist: nothing created. */
    snprintf(path, sizeof path, "%s/no/such/dir/t.db", f->dir);
    assert_int_equal(run_cmd(msg, sizeof msg, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant8", "--frames", "1", "--db", path, NULL),
                     2);
    assert_int_equal(access(path, F_OK), -1);
    /* A folder as --db. */
    assert_int_equal(run_cmd(msg, sizeof msg, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant8", "--frames", "1", "--db", f->dir, NULL),
                     2);
    /* An SQLite file with someone else's codec_table: refused, untouched. */
    snprintf(path, sizeof path, "%s/other.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE codec_table(a, b); INSERT INTO codec_table VALUES(1, 2);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    size_t n0 = 0;
    unsigned char *before = slurp(path, &n0);
    assert_int_equal(run_cmd(msg, sizeof msg, "--model", MODEL, "--input", INPUT, "--split", "features.3.add",
                             "--codec", "quant8", "--frames", "1", "--db", path, NULL),
                     2);
    assert_non_null(strstr(msg, "other columns"));
    unsigned char *after = slurp(path, &n);
    assert_int_equal(n, n0);
    assert_memory_equal(before, after, n0);
    free(before);
    free(after);
    sr_codectab_row r;
    char err[512];
    assert_int_equal(sr_codectab_lookup(path, MODEL, "features.3.add", "quant8", &r, err, sizeof err),
                     SR_ERR_DB);
}

/* An existing database with other tables (a results DB): codec_table is added, the rest left as it was. */
static void test_shares_results_db(void **state)
{
    fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "PRAGMA journal_mode = WAL; CREATE TABLE runs(id INTEGER PRIMARY KEY, status TEXT);"
                     "INSERT INTO runs(status) VALUES('ok'), ('failed');",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(run_cmd(NULL, 0, "--model", MODEL, "--input", INPUT, "--split", "features.6.add",
                             "--codec", "quant8+zrle+rans,inter(quant8,key=10)", "--frames", "2", "--db",
                             f->db, NULL),
                     0);
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM runs"), 2);
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM runs WHERE status = 'failed' AND id = 2"), 1);
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), 2);
    assert_int_equal(count_rows(f->db, "SELECT count(*) FROM codec_table"), 2);
    sr_codectab_row r;
    char err[512];
    assert_int_equal(
        sr_codectab_lookup(f->db, MODEL, "features.6.add", "inter(quant8,key=10)", &r, err, sizeof err),
        SR_OK);
    assert_int_equal(r.frames, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tail_exact),
        cmocka_unit_test(test_tail_refuses_unclean_cut),
        cmocka_unit_test_setup_teardown(test_lossless_and_lossy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookup_most_recent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_values_from_elsewhere, setup, teardown),
        cmocka_unit_test(test_measure_deterministic),
        cmocka_unit_test_setup_teardown(test_bad_input_leaves_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_db_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shares_results_db, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
