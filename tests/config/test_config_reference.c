/* test_config_reference.c: docs/yaml-reference.md must be exactly what sr_config_write_reference() writes,
 * so the checked-in reference never drifts from the tables. On a difference the current text is written
 * to SR_BINARY_DIR/yaml-reference.md: copy it over docs/yaml-reference.md after reviewing it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sr_file.h"
#include "sr_config.h"

/* The whole file at path as a NUL-terminated string (caller frees), or NULL. */
static char *read_text(const char *path)
{
    uint8_t *data = NULL;
    size_t n = 0;
    return sr_file_read(path, &data, &n) == SR_OK ? (char *)data : NULL;
}

static void test_reference_up_to_date(void **state)
{
    (void)state;
    char *gen = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&gen, &len);
    assert_non_null(f);
    sr_config_write_reference(f);
    fclose(f);
    assert_true(len > 1000);
    assert_non_null(strstr(gen, "`platform.links`"));
    assert_non_null(strstr(gen, "| `bandwidth` | rate |"));
    char *checked_in = read_text(SR_SOURCE_DIR "/docs/yaml-reference.md");
    int same = checked_in && strcmp(checked_in, gen) == 0;
    if (!same) {
        FILE *o = fopen(SR_BINARY_DIR "/yaml-reference.md", "wb");
        if (o) {
            fputs(gen, o);
            fclose(o);
        }
        fprintf(stderr, "docs/yaml-reference.md is out of date: cp %s/yaml-reference.md %s/docs/\n",
                SR_BINARY_DIR, SR_SOURCE_DIR);
    }
    free(checked_in);
    free(gen);
    assert_true(same);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_reference_up_to_date)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
