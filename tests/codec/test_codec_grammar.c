/* test_codec_grammar.c: the pipeline grammar table (sr_codec_grammar_at) against the parser: every example is
 * accepted by sr_codec_create and round-trips a tensor with a finite error (or exactly, when lossless); every
 * stage of the grammar has a row. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_codec.h"

static void test_examples_parse(void **state)
{
    (void)state;
    enum { C = 8, H = 16, W = 16, N = C * H * W };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    for (int i = 0; i < N; i++)
        x[i] = (float)sin(0.37 * i) * (i % 5 == 0 ? 0.0f : 1.0f); /* some zeros for zrle */
    int stages[5] = {0};
    static const char *const names[5] = {"transform", "quantizer", "zrle", "entropy", "inter"};
    assert_true(sr_codec_grammar_count() >= 10);
    assert_null(sr_codec_grammar_at(sr_codec_grammar_count()));
    for (int i = 0; i < sr_codec_grammar_count(); i++) {
        const sr_codec_stage_doc *d = sr_codec_grammar_at(i);
        assert_non_null(d);
        assert_true(strlen(d->syntax) > 0 && strlen(d->meaning) > 10);
        for (int s = 0; s < 5; s++)
            stages[s] += strcmp(d->stage, names[s]) == 0;
        char err[256] = "";
        sr_codec *c = NULL;
        sr_status st = sr_codec_create(d->example, C, H, W, &c, err, sizeof err);
        if (st != SR_OK) fprintf(stderr, "%s: %s\n", d->example, err);
        assert_int_equal(st, SR_OK);
        for (int frame = 0; frame < 3; frame++) {
            uint8_t *bytes = NULL;
            size_t n = 0;
            assert_int_equal(sr_codec_encode(c, x, &bytes, &n), SR_OK);
            assert_int_equal(sr_codec_decode(c, bytes, n, y), SR_OK);
            free(bytes);
            double rel = sr_metric_rel_l2(x, y, N);
            assert_true(isfinite(rel) && rel < 1.0);
            if (sr_codec_is_lossless(c)) assert_true(rel == 0.0);
        }
        sr_codec_free(c);
    }
    for (int s = 0; s < 5; s++)
        assert_true(stages[s] >= 1);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_examples_parse)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
