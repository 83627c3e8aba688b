/*
 * tests/unit/test_conf.c - properties files (conf_parse_file) and the value
 * parsers parse_size, parse_int64 and parse_bool, including the messages a
 * user sees for bad input; KILN_SUBMIT_CONF (from `kiln submit`) between
 * the defaults file and code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "engine/engine_int.h"

typedef struct pairs {
    int n;
    char text[1024]; /* "k=v;" for each pair */
    int stop_at;     /* return 99 from the callback on this pair (1-based) */
} pairs;

static int collect(void *arg, const char *k, const char *v)
{
    pairs *p = arg;
    p->n++;
    size_t len = strlen(p->text);
    snprintf(p->text + len, sizeof p->text - len, "%s=%s;", k, v);
    return p->n == p->stop_at ? 99 : 0;
}

/* Writes content to a fresh temporary file; returns its path (static). */
static const char *temp_file(const char *content)
{
    static char path[64];
    strcpy(path, "/tmp/kiln-test-conf-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t n = strlen(content);
    assert_int_equal(write(fd, content, n), (ssize_t)n);
    close(fd);
    return path;
}

static void test_parse_forms(void **state)
{
    const char *path = temp_file("# a comment\n"
                                 "\n"
                                 "kiln.master   local[4]\n"
                                 "kiln.app.name=word count\n"
                                 "  kiln.a = spaced value  \n"
                                 "\t# indented comment\n"
                                 "kiln.crlf true\r\n"
                                 "kiln.empty=\n"
                                 "kiln.hash value#not a comment\n"
                                 "kiln.eq a=b\n"
                                 "kiln.last 1"); /* no final newline */
    pairs p = {0};
    assert_int_equal(conf_parse_file(path, collect, &p), KILN_OK);
    assert_int_equal(p.n, 8);
    assert_string_equal(p.text, "kiln.master=local[4];kiln.app.name=word count;"
                                "kiln.a=spaced value;kiln.crlf=true;kiln.empty=;"
                                "kiln.hash=value#not a comment;kiln.eq=a=b;kiln.last=1;");
    unlink(path);
}

static void test_callback_stops(void **state)
{
    const char *path = temp_file("a 1\nb 2\nc 3\n");
    pairs p = {.stop_at = 2};
    assert_int_equal(conf_parse_file(path, collect, &p), 99);
    assert_int_equal(p.n, 2);
    unlink(path);
}

static void test_malformed_line(void **state)
{
    const char *path = temp_file("good value\n# fine\njustakey\nlater value\n");
    pairs p = {0};
    assert_int_equal(conf_parse_file(path, collect, &p), KILN_ECONF);
    assert_int_equal(p.n, 1); /* stopped at the bad line */
    char where[96];
    snprintf(where, sizeof where, "%s:3:", path);
    if (strstr(kiln_last_error(), where) == NULL)
        fail_msg("message '%s' does not name %s", kiln_last_error(), where);
    assert_non_null(strstr(kiln_last_error(), "justakey"));
    unlink(path);

    path = temp_file("=value\n");
    assert_int_equal(conf_parse_file(path, collect, &p), KILN_ECONF);
    snprintf(where, sizeof where, "%s:1:", path);
    assert_non_null(strstr(kiln_last_error(), where));
    unlink(path);
}

static void test_missing_file(void **state)
{
    pairs p = {0};
    const char *path = "/tmp/kiln-test-conf-does-not-exist/kiln-defaults.conf";
    assert_int_equal(conf_parse_file(path, collect, &p), KILN_ENOENT);
    assert_non_null(strstr(kiln_last_error(), path));
    assert_int_equal(p.n, 0);
    /* A directory cannot be read as a file: an I/O error, not ENOENT. */
    int rc = conf_parse_file("/tmp", collect, &p);
    assert_true(rc == KILN_EIO);
}

typedef struct size_case {
    const char *text;
    int rc;
    int64_t value;
} size_case;

static void test_parse_size(void **state)
{
    static const size_case cases[] = {
        {"0", KILN_OK, 0},
        {"100", KILN_OK, 100},
        {"100b", KILN_OK, 100},
        {"1024k", KILN_OK, 1024 * 1024},
        {"1K", KILN_OK, 1024},
        {"1kb", KILN_OK, 1024},
        {"512m", KILN_OK, 512LL << 20},
        {"512MB", KILN_OK, 512LL << 20},
        {"4g", KILN_OK, 4LL << 30},
        {"4G", KILN_OK, 4LL << 30},
        {"2t", KILN_OK, 2LL << 40},
        {"8388607t", KILN_OK, 8388607LL << 40},
        {"9223372036854775807", KILN_OK, INT64_MAX},
        {"8388608t", KILN_ERANGE, 0},
        {"9223372036854775808", KILN_ERANGE, 0},
        {"99999999999999999999999", KILN_ERANGE, 0},
        {"", KILN_EINVAL, 0},
        {"m", KILN_EINVAL, 0},
        {"-1", KILN_EINVAL, 0},
        {"1.5g", KILN_EINVAL, 0},
        {"12q", KILN_EINVAL, 0},
        {"12 m", KILN_EINVAL, 0},
        {" 12", KILN_EINVAL, 0},
        {"12mm", KILN_EINVAL, 0},
        {"12bb", KILN_EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = -7;
        int rc = parse_size(cases[i].text, &v);
        if (rc != cases[i].rc)
            fail_msg("parse_size(\"%s\") = %d, want %d", cases[i].text, rc, cases[i].rc);
        if (rc == KILN_OK)
            assert_int_equal(v, cases[i].value);
        else
            assert_int_equal(v, -7); /* untouched on error */
        if (rc != KILN_OK && cases[i].text[0] != '\0')
            assert_non_null(strstr(kiln_last_error(), cases[i].text));
    }
}

static void test_parse_int64(void **state)
{
    int64_t v = 0;
    assert_int_equal(parse_int64("42", &v), KILN_OK);
    assert_int_equal(v, 42);
    assert_int_equal(parse_int64("-17", &v), KILN_OK);
    assert_int_equal(v, -17);
    assert_int_equal(parse_int64("+5", &v), KILN_OK);
    assert_int_equal(v, 5);
    assert_int_equal(parse_int64("-9223372036854775808", &v), KILN_OK);
    assert_true(v == INT64_MIN);
    assert_int_equal(parse_int64("9223372036854775808", &v), KILN_ERANGE);
    assert_non_null(strstr(kiln_last_error(), "9223372036854775808"));
    v = 3;
    assert_int_equal(parse_int64("", &v), KILN_EINVAL);
    assert_int_equal(parse_int64("12abc", &v), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "12abc"));
    assert_int_equal(parse_int64(" 12", &v), KILN_EINVAL);
    assert_int_equal(parse_int64("12 ", &v), KILN_EINVAL);
    assert_int_equal(parse_int64("-", &v), KILN_EINVAL);
    assert_int_equal(parse_int64("0x10", &v), KILN_EINVAL);
    assert_int_equal(parse_int64(NULL, &v), KILN_EINVAL);
    assert_int_equal(v, 3);
}

static void test_parse_bool(void **state)
{
    bool b = false;
    const char *yes[] = {"true", "TRUE", "True", "yes", "on", "1"};
    const char *no[] = {"false", "FALSE", "no", "Off", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        b = false;
        assert_int_equal(parse_bool(yes[i], &b), KILN_OK);
        assert_true(b);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        b = true;
        assert_int_equal(parse_bool(no[i], &b), KILN_OK);
        assert_false(b);
    }
    assert_int_equal(parse_bool("ture", &b), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "'ture'"));
    assert_int_equal(parse_bool("", &b), KILN_EINVAL);
    assert_int_equal(parse_bool("true ", &b), KILN_EINVAL);
}

static void test_submit_conf(void **state)
{
    setenv("KILN_CONF_DIR", "/nonexistent-kiln-conf-dir", 1);
    setenv("KILN_MASTER", "local[1]", 1);
    setenv("KILN_SUBMIT_CONF", "kiln.master=kiln://h:7077\nkiln.files=/a,/b\n\nkiln.cores.max=4\n", 1);
    kiln_conf *code = kiln_conf_new(), *out = NULL;
    assert_int_equal(kiln_conf_set(code, "kiln.cores.max", "2"), KILN_OK);
    assert_int_equal(conf_resolve(code, &out), KILN_OK);
    assert_string_equal(kiln_conf_get(out, "kiln.master"), "kiln://h:7077"); /* over the env */
    assert_string_equal(kiln_conf_get(out, "kiln.files"), "/a,/b");
    assert_string_equal(kiln_conf_get(out, "kiln.cores.max"), "2"); /* code wins */
    kiln_conf_free(out);
    setenv("KILN_SUBMIT_CONF", "kiln.a=1\nnot a pair\n", 1);
    assert_int_equal(conf_resolve(code, &out), KILN_ECONF);
    assert_non_null(strstr(kiln_last_error(), "line 2 'not a pair'"));
    unsetenv("KILN_SUBMIT_CONF");
    unsetenv("KILN_MASTER");
    unsetenv("KILN_CONF_DIR");
    kiln_conf_free(code);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_callback_stops),
        cmocka_unit_test(test_malformed_line),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_int64),
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_submit_conf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
