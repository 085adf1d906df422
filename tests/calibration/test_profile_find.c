/* test_profile_find.c: profiles by name or file (sr_profile_find_err): the shipped host profile by name, a
 * file written by sr_profile_file_write by path (read once, same pointer), errors with their reason; and an
 * experiment whose device names a profile file relative to the experiment file gets that file's numbers, with
 * a file:line:col error for a missing one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sr_config.h"
#include "sr_profile.h"
#include "sr_profile_file.h"

static char g_dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof g_dir, "/tmp/sr_profile_find_XXXXXX");
    return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_host_by_name(void **state)
{
    (void)state;
    char err[512];
    const sr_profile *h = sr_profile_find_err("host", err, sizeof err);
    assert_non_null(h);
    assert_string_equal(h->name, "host");
    assert_non_null(h->fit); /* the measured fit the built-ins are scaled from */
    assert_true(sr_profile_find("host") == h);
    assert_null(sr_profile_find_err("no-such-profile", err, sizeof err));
    assert_string_equal(err, ""); /* unknown name: no file to blame */
    assert_string_equal(sr_profile_find("rpi4")->name, "rpi4");
    assert_int_equal(sr_profile_is_path("rpi4"), 0);
    assert_int_equal(sr_profile_is_path("mine.yaml"), 1);
    assert_int_equal(sr_profile_is_path("profiles/mine"), 1);
}

static void test_file_by_path(void **state)
{
    (void)state;
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/mine.yaml", g_dir);
    sr_profile *clone = NULL;
    assert_int_equal(sr_profile_clone(sr_profile_find("host"), NULL, &clone), SR_OK);
    clone->name = "mine"; /* the file's name; the clone frees its own copy */
    clone->speed_flops = 12.5e9;
    assert_int_equal(sr_profile_file_write(clone, path, err, sizeof err), SR_OK);
    sr_profile_file_free(clone);
    const sr_profile *p = sr_profile_find_err(path, err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->name, "mine");
    assert_true(p->speed_flops == 12.5e9);
    assert_non_null(p->fit);
    assert_true(sr_profile_find(path) == p); /* read once */
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing.yaml", g_dir);
    assert_null(sr_profile_find_err(missing, err, sizeof err));
    assert_non_null(strstr(err, "missing.yaml"));
    char bad[160];
    snprintf(bad, sizeof bad, "%s/bad.yaml", g_dir);
    FILE *f = fopen(bad, "w");
    fputs("name: x\nroofline: [\n", f);
    fclose(f);
    assert_null(sr_profile_find_err(bad, err, sizeof err));
    assert_non_null(strstr(err, "bad.yaml:")); /* file:line:col */
}

static const char *k_exp = "name: p\n"
                           "duration: 1s\n"
                           "platform:\n"
                           "  devices:\n"
                           "    - { name: cam, profile: %s }\n"
                           "models:\n"
                           "  - { name: net, source: mobilenetv2 }\n"
                           "workload:\n"
                           "  sources:\n"
                           "    - { name: v, devices: cam, model: net, fps: 1, resolution: 224x224 }\n"
                           "policy:\n"
                           "  - { type: device_only }\n";

static void test_experiment_names_file(void **state)
{
    (void)state;
    char sub[128], exp_path[160], text[1024], err[512];
    snprintf(sub, sizeof sub, "%s/exp", g_dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    snprintf(exp_path, sizeof exp_path, "%s/e.yaml", sub);
    /* ../mine.yaml, relative to the experiment file, not to the working directory */
    sr_profile *clone = NULL;
    assert_int_equal(sr_profile_clone(sr_profile_find("host"), NULL, &clone), SR_OK);
    char path[160];
    snprintf(path, sizeof path, "%s/mine2.yaml", g_dir);
    clone->speed_flops = 7.25e9;
    clone->cores = 3;
    assert_int_equal(sr_profile_file_write(clone, path, err, sizeof err), SR_OK);
    sr_profile_file_free(clone);
    snprintf(text, sizeof text, k_exp, "../mine2.yaml");
    sr_config *c = NULL;
    assert_int_equal(sr_config_load_string(exp_path, text, NULL, &c), SR_OK);
    sr_experiment *e = NULL;
    assert_int_equal(sr_config_experiment(c, 0, &e), SR_OK);
    assert_true(e->devices[0].speed_flops == 7.25e9);
    assert_int_equal(e->devices[0].cores, 3);
    assert_non_null(strstr(e->devices[0].profile, "/mine2.yaml"));
    assert_true(e->devices[0].profile[0] == '/'); /* resolved: the engine finds it from any directory */
    assert_true(sr_profile_find(e->devices[0].profile)->speed_flops == 7.25e9);
    sr_experiment_free(e);
    sr_config_free(c);

    /* a missing file: file:line:col of the profile value */
    snprintf(text, sizeof text, k_exp, "nothere.yaml");
    FILE *log = tmpfile();
    assert_int_equal(sr_config_load_string(exp_path, text, log, &c), SR_ERR_PARSE);
    rewind(log);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, log);
    buf[n] = '\0';
    fclose(log);
    if (!strstr(buf, "e.yaml:5:29: error: cannot read profile file: ")) fprintf(stderr, "%s", buf);
    assert_non_null(strstr(buf, "e.yaml:5:29: error: cannot read profile file: "));
    assert_non_null(strstr(buf, "nothere.yaml: cannot open"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_by_name),
        cmocka_unit_test(test_file_by_path),
        cmocka_unit_test(test_experiment_names_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
