/*
 * test_context.c - where a context's settings come from: kiln.master parsing
 * (local, local[N], local[*], local[N,F] and bad forms), and the precedence
 * code > command-line flags > the defaults file ($KILN_CONF_DIR) >
 * $KILN_MASTER (tests/unit/test_conf.c has the layers in detail).
 */
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

#include "kiln.h"
#include "kt.h"

/* Creates a context from conf (may be NULL); returns its rc, *out set. */
static int context_with(const char *master, kiln_context **out)
{
    kiln_conf *conf = NULL;
    if (master) {
        conf = kiln_conf_new();
        kiln_conf_set(conf, "kiln.master", master);
    }
    int rc = kiln_context_new(conf, out);
    kiln_conf_free(conf);
    return rc;
}

static void master_forms_set_cores_and_attempts(void **state)
{
    struct {
        const char *m;
        int cores, attempts;
    } ok[] = {
        {"local", 1, 1},
        {"local[3]", 3, 1},
        {"local[2,4]", 2, 4},
        {"local[1,1]", 1, 1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        kiln_context *c;
        assert_int_equal(context_with(ok[i].m, &c), KILN_OK);
        assert_int_equal(kiln_context_cores(c), ok[i].cores);
        assert_int_equal(kiln_context_max_attempts(c), ok[i].attempts);
        assert_int_equal(kiln_context_default_parallelism(c), ok[i].cores);
        kiln_context_free(c);
    }
    kiln_context *c;
    assert_int_equal(context_with("local[*]", &c), KILN_OK);
    assert_int_equal(kiln_context_cores(c), (int)sysconf(_SC_NPROCESSORS_ONLN));
    kiln_context_free(c);
}

static void bad_masters_are_refused_naming_the_key(void **state)
{
    const char *bad[] = {"locale",
                         "local[0]",
                         "local[",
                         "local[2",
                         "local[x]",
                         "local[2,0]",
                         "spark://h:7077",
                         "local[2]x",
                         "",
                         "local-cluster[2,1]",
                         "local-cluster[0,1,256]",
                         "local-cluster[2,1,8]",
                         "kiln://"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kiln_context *c = (kiln_context *)&c;
        assert_int_equal(context_with(bad[i], &c), KILN_ECONF);
        assert_null(c);
        const char *msg = kiln_last_error();
        assert_non_null(strstr(msg, "kiln.master"));
        /* The message lists every form a master can take. */
        const char *forms[] = {"local[N]", "local[*]", "local[N,F]", "local-cluster[E,C,MB]",
                               "kiln://HOST:PORT"};
        for (size_t k = 0; k < sizeof forms / sizeof forms[0]; k++)
            if (!strstr(msg, forms[k])) fail_msg("'%s' does not list %s", msg, forms[k]);
    }
}

/* Writes a defaults file in a fresh directory and points KILN_CONF_DIR at it. */
static char *conf_dir_with(const char *text)
{
    char *dir = kt_conf_dir_new(text);
    setenv("KILN_CONF_DIR", dir, 1);
    return dir;
}

static void remove_conf_dir(char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%s/kiln-defaults.conf", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
    unsetenv("KILN_CONF_DIR");
}

static const char *effective_master(const char *code_master)
{
    static char buf[64];
    kiln_context *c;
    assert_int_equal(context_with(code_master, &c), KILN_OK);
    snprintf(buf, sizeof buf, "%s", kiln_context_conf(c, "kiln.master"));
    kiln_context_free(c);
    return buf;
}

/* One test walks the layers from the bottom up, because kiln_init's flags
 * are process-wide once given. */
static void precedence_is_code_then_flags_then_file_then_env(void **state)
{
    setenv("KILN_MASTER", "local[3]", 1);
    assert_string_equal(effective_master(NULL), "local[3]");

    char *dir = conf_dir_with("# defaults\nkiln.master local[4]\nkiln.app.name from-file\n");
    assert_string_equal(effective_master(NULL), "local[4]");

    char *args[] = {"prog",   "--master",           "local[5]", "input",
                    "--conf", "kiln.app.name=flag", "out",      NULL};
    int argc = 7;
    char **argv = args;
    assert_int_equal(kiln_init(&argc, &argv), KILN_OK);
    /* kiln's options are taken out; the program's stay in order */
    assert_int_equal(argc, 3);
    assert_string_equal(argv[1], "input");
    assert_string_equal(argv[2], "out");
    assert_null(argv[3]);
    assert_string_equal(effective_master(NULL), "local[5]");

    kiln_context *c;
    assert_int_equal(context_with(NULL, &c), KILN_OK);
    assert_string_equal(kiln_context_conf(c, "kiln.app.name"), "flag");
    kiln_context_free(c);

    assert_string_equal(effective_master("local[6]"), "local[6]");
    remove_conf_dir(dir);
    unsetenv("KILN_MASTER");
}

static void malformed_defaults_file_names_file_and_line(void **state)
{
    char *dir = conf_dir_with("kiln.master local[2]\n=oops\n");
    kiln_context *c;
    assert_int_not_equal(context_with("local[1]", &c), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "kiln-defaults.conf"));
    assert_non_null(strstr(kiln_last_error(), "2"));
    remove_conf_dir(dir);
}

static void flag_without_value_is_an_error(void **state)
{
    char *args[] = {"prog", "--conf", NULL};
    int argc = 2;
    char **argv = args;
    assert_int_equal(kiln_init(&argc, &argv), KILN_ECONF);
    char *args2[] = {"prog", "--conf", "novalue", NULL};
    argc = 3;
    argv = args2;
    assert_int_equal(kiln_init(&argc, &argv), KILN_ECONF);
    assert_non_null(strstr(kiln_last_error(), "key=value"));
}

int main(void)
{
    unsetenv("KILN_MASTER");
    unsetenv("KILN_CONF_DIR");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(master_forms_set_cores_and_attempts),
        cmocka_unit_test(bad_masters_are_refused_naming_the_key),
        cmocka_unit_test(malformed_defaults_file_names_file_and_line),
        cmocka_unit_test(flag_without_value_is_an_error),
        cmocka_unit_test(precedence_is_code_then_flags_then_file_then_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
