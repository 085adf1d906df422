/* test_config_bad.c: every malformed experiment in tests/config/bad/NN-name.yaml must fail with SR_ERR_PARSE
 * and print exactly the text of its sibling NN-name.expected (messages, source lines, carets).
 *
 * The files are loaded by relative name from inside that folder, as a user would, so the expected text
 * does not depend on where the tree is checked out. SR_CONFIG_BLESS=1 rewrites the .expected files from
 * the current output (review the diff before committing). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sr_file.h"
#include "sr_config.h"

#define BAD_DIR SR_SOURCE_DIR "/tests/config/bad"

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The whole file at path as a NUL-terminated string (caller frees), or NULL. */
static char *read_text(const char *path)
{
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(path, &data, &n) == SR_OK ? (char *)data : NULL;
}

static void test_bad_files(void **state)
{
    (void)state;
    char old_cwd[4096];
    assert_non_null(getcwd(old_cwd, sizeof old_cwd));
    assert_int_equal(chdir(BAD_DIR), 0);
    DIR *d = opendir(".");
    assert_non_null(d);
    char *names[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".yaml") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    assert_true(n >= 24);
    int bless = getenv("SR_CONFIG_BLESS") != NULL;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        char *out = NULL;
        size_t out_len = 0;
        FILE *errf = open_memstream(&out, &out_len);
        assert_non_null(errf);
        sr_config *c = (sr_config *)(void *)1;
        sr_status st = sr_config_load(names[i], errf, &c);
        fclose(errf);
        char exp_path[512];
        snprintf(exp_path, sizeof exp_path, "%.*s.expected", (int)(strlen(names[i]) - 5), names[i]);
        if (st != SR_ERR_PARSE || c != NULL) {
            fprintf(stderr, "%s: expected SR_ERR_PARSE and no config, got %s\n", names[i],
                    sr_status_name(st));
            failures++;
            sr_config_free(c);
        }
        if (bless) {
            FILE *f = fopen(exp_path, "wb");
            assert_non_null(f);
            fputs(out, f);
            fclose(f);
        } else {
            char *expected = read_text(exp_path);
            if (!expected) {
                fprintf(stderr, "%s: missing %s\n", names[i], exp_path);
                failures++;
            } else if (strcmp(expected, out) != 0) {
                fprintf(stderr, "%s: stderr differs\n--- expected\n%s--- got\n%s---\n", names[i], expected,
                        out);
                failures++;
            }
            free(expected);
        }
        /* Every message has the FILE:LINE:COL: error: prefix (or FILE: error: without a position). */
        size_t nl = strlen(names[i]);
        if (strncmp(out, names[i], nl) != 0 || out[nl] != ':') {
            fprintf(stderr, "%s: output does not start with the file name\n", names[i]);
            failures++;
        }
        free(out);
        free(names[i]);
    }
    assert_int_equal(chdir(old_cwd), 0);
    assert_int_equal(failures, 0);
}

/* Deterministic mutations of a good file (bytes deleted, duplicated, replaced by YAML punctuation): every
 * one must either load or fail with SR_ERR_PARSE and well-formed diagnostics, never crash (run under
 * ASan in CI). */
static void test_mutations(void **state)
{
    (void)state;
    char *good = read_text(SR_SOURCE_DIR "/tests/config/good/quickstart.yaml");
    assert_non_null(good);
    size_t n = strlen(good);
    char *buf = malloc(2 * n + 16);
    assert_non_null(buf);
    static const char punct[] = ":{}[],-#&*!|>'\"%@` \n\t0x";
    uint64_t x = 0x2545f4914f6cdd1dULL;
    int ok = 0, parse_err = 0;
    for (int iter = 0; iter < 600; iter++) {
        memcpy(buf, good, n + 1);
        size_t len = n;
        int edits = 1 + iter % 3;
        for (int k = 0; k < edits; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t pos = (size_t)(x % len);
            switch ((x >> 32) % 3) {
            case 0: /* delete a byte */
                memmove(buf + pos, buf + pos + 1, len - pos);
                len--;
                break;
            case 1: /* replace by punctuation */
                buf[pos] = punct[(x >> 40) % (sizeof punct - 1)];
                break;
            default: /* duplicate a byte */
                memmove(buf + pos + 1, buf + pos, len - pos + 1);
                len++;
                break;
            }
        }
        char *out = NULL;
        size_t out_len = 0;
        FILE *errf = open_memstream(&out, &out_len);
        assert_non_null(errf);
        sr_config *c = NULL;
        sr_status st = sr_config_load_string("mut.yaml", buf, errf, &c);
        fclose(errf);
        if (st == SR_OK) {
            ok++;
            assert_non_null(c);
            for (int i = 0; i < sr_config_point_count(c); i++) {
                sr_experiment *e = NULL;
                assert_int_equal(sr_config_experiment(c, i, &e), SR_OK);
                sr_experiment_free(e);
            }
        } else {
            if (st != SR_ERR_PARSE) fail_msg("mutation %d: status %s\n%s", iter, sr_status_name(st), buf);
            parse_err++;
            assert_null(c);
            /* Each message line starts with the file name; source and caret lines are indented. */
            for (char *line = out; line && *line;) {
                if (strncmp(line, "mut.yaml:", 9) != 0 && strncmp(line, "    ", 4) != 0)
                    fail_msg("mutation %d: bad diagnostic line: %s", iter, line);
                line = strchr(line, '\n');
                if (line) line++;
            }
        }
        sr_config_free(c);
        free(out);
    }
    assert_true(parse_err > 300); /* most mutations break something */
    assert_true(ok > 0);
    free(buf);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_bad_files), cmocka_unit_test(test_mutations)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
