/*
 * tests/unit/test_conf.c - properties files (conf_parse_file) and the value
 * parsers parse_size, parse_int64 and parse_bool, including the messages a
 * user sees for bad input; the configuration layers of base/conf.c:
 * KILN_SUBMIT_CONF (from `kiln submit`) between the defaults file and code,
 * where each value came from, the defaults file found through KILN_CONF_DIR
 * (never ./conf), warnings for unknown keys with the nearest known one,
 * spark.* names, bad values named with their key and source, the key table
 * and keys registered by other layers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "base/base.h"
#include "base/conf.h"
#include "kiln.h"
#include "kt.h"

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
        {"-1g", KILN_EINVAL, 0},
        {"+1g", KILN_EINVAL, 0},
        {"-0", KILN_EINVAL, 0},
        {"18446744073709551615", KILN_ERANGE, 0},
        {"17179869184g", KILN_ERANGE, 0},
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
        if (rc == KILN_OK) assert_int_equal(v, cases[i].value);
        else assert_int_equal(v, -7); /* untouched on error */
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

/* ---- Layers, sources, validation (base/conf.c) ---------------------------- */

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (strstr(h_, n_) == NULL) fail_msg("'%s' does not contain '%s'", h_, n_);                \
    } while (0)

static void remove_conf_dir(char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/kiln-defaults.conf", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/conf/kiln-defaults.conf", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/conf", dir);
    rmdir(path);
    rmdir(dir);
    free(dir);
}

/* Each test starts with no layer but what it sets. */
static int clean_env(void **state)
{
    unsetenv("KILN_SUBMIT_CONF");
    unsetenv("KILN_MASTER");
    setenv("KILN_CONF_DIR", "/nonexistent-kiln-conf-dir", 1);
    conf_flags_reset();
    return 0;
}

static void test_submit_conf(void **state)
{
    setenv("KILN_MASTER", "local[1]", 1);
    setenv("KILN_SUBMIT_CONF", "kiln.master=kiln://h:7077\nkiln.files=/a,/b\n\nkiln.cores.max=4\n",
           1);
    kiln_conf *code = kiln_conf_new(), *out = NULL;
    assert_int_equal(kiln_conf_set(code, "kiln.cores.max", "2"), KILN_OK);
    assert_int_equal(conf_resolve(code, &out), KILN_OK);
    assert_string_equal(kiln_conf_get(out, "kiln.master"), "kiln://h:7077"); /* over the env */
    assert_string_equal(conf_source(out, "kiln.master"), "KILN_SUBMIT_CONF line 1");
    assert_string_equal(kiln_conf_get(out, "kiln.files"), "/a,/b");
    assert_string_equal(conf_source(out, "kiln.files"), "KILN_SUBMIT_CONF line 2");
    assert_string_equal(kiln_conf_get(out, "kiln.cores.max"), "2"); /* code wins */
    assert_string_equal(conf_source(out, "kiln.cores.max"), "code");
    kiln_conf_free(out);
    setenv("KILN_SUBMIT_CONF", "kiln.app.name=1\nnot a pair\n", 1);
    assert_int_equal(conf_resolve(code, &out), KILN_ECONF);
    assert_null(out);
    assert_contains(kiln_last_error(), "line 2 'not a pair'");
    kiln_conf_free(code);
}

/* Every layer records where its values came from. */
static void test_sources(void **state)
{
    char *dir = kt_conf_dir_new("# defaults\n\nkiln.app.name from-file\nkiln.local.dir /tmp\n");
    setenv("KILN_CONF_DIR", dir, 1);
    setenv("KILN_MASTER", "local[3]", 1);
    setenv("KILN_SUBMIT_CONF", "kiln.executor.cores=2", 1);
    assert_int_equal(conf_flags_set("kiln.master", "local[2]", CONF_SRC_MASTER_FLAG), KILN_OK);
    assert_int_equal(conf_flags_parse("kiln.default.parallelism=7"), KILN_OK);
    kiln_conf *code = kiln_conf_new(), *out = NULL;
    assert_int_equal(kiln_conf_set(code, "kiln.local.dir", "/var/tmp"), KILN_OK);
    assert_int_equal(conf_resolve(code, &out), KILN_OK);

    char want[300];
    snprintf(want, sizeof want, "file %s/kiln-defaults.conf:3", dir);
    assert_string_equal(conf_source(out, "kiln.app.name"), want);
    assert_string_equal(conf_source(out, "kiln.master"), "--master flag");
    assert_string_equal(kiln_conf_get(out, "kiln.master"), "local[2]");
    assert_string_equal(conf_source(out, "kiln.default.parallelism"), "--conf flag");
    assert_string_equal(conf_source(out, "kiln.executor.cores"), "KILN_SUBMIT_CONF line 1");
    assert_string_equal(conf_source(out, "kiln.local.dir"), "code");
    assert_string_equal(kiln_conf_get(out, "kiln.local.dir"), "/var/tmp");
    assert_null(conf_source(out, "kiln.checkpoint.dir"));
    kiln_conf_free(out);

    /* With no flag, the environment's master shows as such. */
    conf_flags_reset();
    assert_int_equal(conf_resolve(NULL, &out), KILN_OK);
    assert_string_equal(kiln_conf_get(out, "kiln.master"), "local[3]");
    assert_string_equal(conf_source(out, "kiln.master"), "KILN_MASTER environment");
    kiln_conf_free(out);
    kiln_conf_free(code);
    remove_conf_dir(dir);
}

/* Unknown kiln.* keys are a warning naming the nearest known key; they are
 * kept (a program may read keys of its own). */
static void test_unknown_key_warns_with_suggestion(void **state)
{
    assert_int_equal(conf_flags_parse("kiln.executor.memroy=2g"), KILN_OK);
    kiln_conf *code = kiln_conf_new(), *out = NULL;
    assert_int_equal(kiln_conf_set(code, "kiln.ui.showconsoleprogress", "false"), KILN_OK);
    assert_int_equal(kiln_conf_set(code, "kiln.zzzzzzzz", "1"), KILN_OK);
    assert_int_equal(kiln_conf_set(code, "myapp.threshold", "3"), KILN_OK);
    kt_stderr_capture_start();
    int rc = conf_resolve(code, &out);
    char *log = kt_stderr_capture_stop();
    assert_int_equal(rc, KILN_OK);
    assert_contains(log, "WARN conf: unknown key kiln.executor.memroy (--conf flag); "
                         "did you mean kiln.executor.memory?\n");
    assert_contains(log, "unknown key kiln.ui.showconsoleprogress (code); "
                         "did you mean kiln.ui.showConsoleProgress?");
    assert_contains(log, "unknown key kiln.zzzzzzzz (code)\n"); /* nothing near */
    assert_null(strstr(log, "myapp"));                          /* not kiln's: not checked */
    assert_string_equal(kiln_conf_get(out, "kiln.executor.memroy"), "2g");
    assert_null(kiln_conf_get(out, "kiln.executor.memory"));
    kiln_conf_free(out);

    /* Quiet (executors): the same, without a word. */
    conf_set_quiet(true);
    kt_stderr_capture_start();
    rc = conf_resolve(code, &out);
    free(log);
    log = kt_stderr_capture_stop();
    conf_set_quiet(false);
    assert_int_equal(rc, KILN_OK);
    assert_string_equal(log, "");
    free(log);
    kiln_conf_free(out);
    kiln_conf_free(code);
}

static void test_nearest_key(void **state)
{
    assert_string_equal(conf_nearest_key("kiln.executor.memroy", false), "kiln.executor.memory");
    assert_string_equal(conf_nearest_key("kiln.mastr", false), "kiln.master");
    assert_string_equal(conf_nearest_key("kiln.speculation.multipler", false),
                        "kiln.speculation.multiplier");
    assert_string_equal(conf_nearest_key("kiln.network.timout", false), "kiln.network.timeout");
    assert_null(conf_nearest_key("kiln.x", false));
    assert_null(conf_nearest_key("kiln.executor.memory.overhead.factor", false));
    assert_string_equal(conf_nearest_key("spark.speculaton", true), "spark.speculation");
    assert_null(conf_nearest_key("spark.sql.shuffle.partitions", true));
}

/* A bad value in the defaults file: the key, the value, file and line. */
static void test_bad_value_names_file_and_line(void **state)
{
    char *dir = kt_conf_dir_new("# kiln\nkiln.master local[2]\nkiln.executor.memory 2gb!\n");
    setenv("KILN_CONF_DIR", dir, 1);
    kiln_conf *out = (kiln_conf *)&out;
    assert_int_equal(conf_resolve(NULL, &out), KILN_ECONF);
    assert_null(out);
    char want[400];
    snprintf(want, sizeof want,
             "kiln.executor.memory: expected a size such as 512m or 2g, got '2gb!' "
             "(file %s/kiln-defaults.conf:3)",
             dir);
    assert_string_equal(kiln_last_error(), want);

    /* Through a context, the same message: readers never see the value. */
    kiln_context *ctx = (kiln_context *)&ctx;
    assert_int_equal(kiln_context_new(NULL, &ctx), KILN_ECONF);
    assert_null(ctx);
    assert_string_equal(kiln_last_error(), want);

    /* Overridden by a higher layer, the bad value is not an error. */
    kiln_conf *code = kiln_conf_new();
    assert_int_equal(kiln_conf_set(code, "kiln.executor.memory", "64m"), KILN_OK);
    assert_int_equal(conf_resolve(code, &out), KILN_OK);
    assert_string_equal(kiln_conf_get(out, "kiln.executor.memory"), "64m");
    kiln_conf_free(out);
    kiln_conf_free(code);
    remove_conf_dir(dir);
}

/* A malformed defaults file names the file and the line. */
static void test_malformed_defaults_file(void **state)
{
    char *dir = kt_conf_dir_new("kiln.master local[2]\n\njustakey\n");
    setenv("KILN_CONF_DIR", dir, 1);
    kiln_conf *out = NULL;
    assert_int_equal(conf_resolve(NULL, &out), KILN_ECONF);
    char want[300];
    snprintf(want, sizeof want, "defaults file %s/kiln-defaults.conf:3: malformed line", dir);
    assert_contains(kiln_last_error(), want);
    remove_conf_dir(dir);
}

/* A flag's bad value names the flag; code's names code. */
static void test_bad_flag_value_names_the_flag(void **state)
{
    kiln_conf *out = NULL;
    assert_int_equal(conf_flags_parse("kiln.speculation.quantile=1.5"), KILN_OK);
    assert_int_equal(conf_resolve(NULL, &out), KILN_ECONF);
    assert_string_equal(kiln_last_error(), "kiln.speculation.quantile: expected a number >= 0 "
                                           "and <= 1, got '1.5' (--conf flag)");
    conf_flags_reset();
    assert_int_equal(conf_flags_set("kiln.master", "locale[2]", CONF_SRC_MASTER_FLAG), KILN_OK);
    assert_int_equal(conf_resolve(NULL, &out), KILN_ECONF);
    assert_contains(kiln_last_error(), "kiln.master: expected local, local[N]");
    assert_contains(kiln_last_error(), "got 'locale[2]' (--master flag)");
    conf_flags_reset();
    setenv("KILN_MASTER", "local[0]", 1);
    assert_int_equal(conf_resolve(NULL, &out), KILN_ECONF);
    assert_contains(kiln_last_error(), "got 'local[0]' (KILN_MASTER environment)");
    unsetenv("KILN_MASTER");
    kiln_conf *code = kiln_conf_new();
    assert_int_equal(kiln_conf_set(code, "kiln.network.timeout", "10ms"), KILN_OK);
    assert_int_equal(conf_resolve(code, &out), KILN_ECONF);
    assert_string_equal(kiln_last_error(), "kiln.network.timeout: expected a duration of at "
                                           "least 0.1s, got '10ms' (code)");
    kiln_conf_free(code);
}

/* The checks of each type, and that every default passes its own check. */
static void test_value_checks(void **state)
{
    static const struct {
        const char *key, *value;
        int rc;
    } cases[] = {
        {"kiln.master", "local", KILN_OK},
        {"kiln.master", "local[*]", KILN_OK},
        {"kiln.master", "local[4,3]", KILN_OK},
        {"kiln.master", "local-cluster[2,1,256]", KILN_OK},
        {"kiln.master", "local-cluster[2,1,8]", KILN_ECONF},
        {"kiln.master", "kiln://h:7077", KILN_OK},
        {"kiln.master", "spark://h:7077", KILN_ECONF},
        {"kiln.master", "", KILN_ECONF},
        {"kiln.executor.memory", "1m", KILN_OK},
        {"kiln.executor.memory", "512k", KILN_ECONF},
        {"kiln.default.parallelism", "8", KILN_OK},
        {"kiln.default.parallelism", "0", KILN_ECONF},
        {"kiln.default.parallelism", "8x", KILN_ECONF},
        {"kiln.ui.showConsoleProgress", "off", KILN_OK},
        {"kiln.ui.showConsoleProgress", "maybe", KILN_ECONF},
        {"kiln.ssl.enabled", "yes", KILN_OK},
        {"kiln.shuffle.compress.codec", "zstd", KILN_OK},
        {"kiln.shuffle.compress.codec", "snappy", KILN_ECONF},
        {"kiln.speculation.interval", "250", KILN_OK},
        {"kiln.speculation.interval", "0", KILN_ECONF},
        {"kiln.speculation.minTaskRuntime", "0", KILN_OK},
        {"kiln.speculation.minTaskRuntime", "-5ms", KILN_ECONF},
        {"kiln.speculation.multiplier", "0", KILN_ECONF},
        {"kiln.speculation.multiplier", "1.5x", KILN_ECONF},
        {"kiln.network.timeout", "120", KILN_OK},
        {"kiln.cores.max", "2", KILN_OK},
        {"kiln.cores.max", "-2", KILN_ECONF},
        {"kiln.authenticate.secret", "anything", KILN_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const conf_key *k = conf_key_find(cases[i].key);
        assert_non_null(k);
        int rc = conf_check_value(k, cases[i].value, "here");
        if (rc != cases[i].rc)
            fail_msg("%s=%s: %d, want %d (%s)", cases[i].key, cases[i].value, rc, cases[i].rc,
                     kiln_last_error());
        if (rc) {
            assert_contains(kiln_last_error(), cases[i].key);
            assert_contains(kiln_last_error(), "(here)");
        }
    }
    assert_int_equal(conf_check_value(conf_key_find("kiln.shuffle.compress.codec"), "snappy", NULL),
                     KILN_ECONF);
    assert_string_equal(kiln_last_error(), "kiln.shuffle.compress.codec: expected one of "
                                           "lz4/zstd/none, got 'snappy'");
    for (size_t i = 0; i < conf_key_count(); i++) {
        const conf_key *k = conf_key_at(i);
        assert_non_null(k->doc);
        assert_true(strncmp(k->name, "kiln.", 5) == 0);
        if (k->dflt && conf_check_value(k, k->dflt, "default") != KILN_OK)
            fail_msg("the default of %s does not pass: %s", k->name, kiln_last_error());
        if (k->spark) assert_true(conf_key_find_spark(k->spark) == k);
    }
}

/* spark.* keys with a kiln equivalent are read as it, with a note; the
 * kiln key wins within a layer; other spark.* keys are dropped. */
static void test_spark_keys(void **state)
{
    char *dir = kt_conf_dir_new("kiln.speculation.quantile 0.5\n");
    setenv("KILN_CONF_DIR", dir, 1);
    assert_int_equal(conf_flags_parse("spark.executor.memory=3g"), KILN_OK);
    assert_int_equal(conf_flags_parse("spark.speculation.quantile=0.9"), KILN_OK);
    assert_int_equal(conf_flags_parse("spark.sql.shuffle.partitions=4"), KILN_OK);
    kiln_conf *code = kiln_conf_new(), *out = NULL;
    assert_int_equal(kiln_conf_set(code, "spark.master", "local[2]"), KILN_OK);
    assert_int_equal(kiln_conf_set(code, "kiln.master", "local[3]"), KILN_OK);
    kt_stderr_capture_start();
    int rc = conf_resolve(code, &out);
    char *log = kt_stderr_capture_stop();
    assert_int_equal(rc, KILN_OK);
    assert_contains(log, "WARN conf: spark.executor.memory is read as kiln.executor.memory "
                         "(--conf flag)");
    assert_string_equal(kiln_conf_get(out, "kiln.executor.memory"), "3g");
    assert_string_equal(conf_source(out, "kiln.executor.memory"),
                        "--conf flag, as spark.executor.memory");
    /* A flag's spark.* name beats the file's kiln name: layers still rank. */
    assert_string_equal(kiln_conf_get(out, "kiln.speculation.quantile"), "0.9");
    /* Within code, kiln.master beats spark.master. */
    assert_string_equal(kiln_conf_get(out, "kiln.master"), "local[3]");
    assert_contains(log, "spark.master (code) is ignored: kiln.master is set too (code)");
    assert_contains(log, "spark.sql.shuffle.partitions (--conf flag) has no kiln equivalent");
    for (size_t i = 0; i < conf_size(out); i++) {
        const char *k, *v;
        conf_at(out, i, &k, &v);
        assert_true(strncmp(k, "spark.", 6) != 0);
    }
    free(log);
    kiln_conf_free(out);

    /* A bad value under a Spark name names both. */
    conf_flags_reset();
    assert_int_equal(conf_flags_parse("spark.executor.memory=lots"), KILN_OK);
    kt_stderr_capture_start();
    rc = conf_resolve(NULL, &out);
    free(kt_stderr_capture_stop());
    assert_int_equal(rc, KILN_ECONF);
    assert_contains(kiln_last_error(), "kiln.executor.memory: expected a size such as 512m or "
                                       "2g, got 'lots' (--conf flag, as spark.executor.memory)");
    kiln_conf_free(code);
    remove_conf_dir(dir);
}

/* The defaults file is $KILN_CONF_DIR/kiln-defaults.conf, else the
 * installation's; ./conf of the current directory is never read. */
static void test_defaults_file_lookup(void **state)
{
    char path[4096];
    char *dir = kt_conf_dir_new("kiln.app.name from-conf-dir\n");
    setenv("KILN_CONF_DIR", dir, 1);
    assert_int_equal(conf_defaults_path(path, sizeof path), KILN_OK);
    char want[300];
    snprintf(want, sizeof want, "%s/kiln-defaults.conf", dir);
    assert_string_equal(path, want);
    kiln_conf *out = NULL;
    assert_int_equal(conf_resolve(NULL, &out), KILN_OK);
    assert_string_equal(kiln_conf_get(out, "kiln.app.name"), "from-conf-dir");
    kiln_conf_free(out);

    /* A ./conf/kiln-defaults.conf in the current directory is not read. */
    char sub[300], file[400], cwd[4096];
    snprintf(sub, sizeof sub, "%s/conf", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(file, sizeof file, "%s/kiln-defaults.conf", sub);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("kiln.app.name from-cwd-conf\n", f);
    fclose(f);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(dir), 0);
    unsetenv("KILN_CONF_DIR");
    assert_int_equal(conf_defaults_path(path, sizeof path), KILN_OK);
    assert_true(path[0] == '/'); /* the installation's, absolute */
    assert_null(strstr(path, "from-cwd"));
    assert_string_not_equal(path, "conf/kiln-defaults.conf");
    assert_int_equal(conf_resolve(NULL, &out), KILN_OK);
    const char *name = kiln_conf_get(out, "kiln.app.name");
    if (name) assert_string_not_equal(name, "from-cwd-conf");
    kiln_conf_free(out);
    setenv("KILN_CONF_DIR", "", 1); /* empty: as unset */
    assert_int_equal(conf_defaults_path(want, sizeof want), KILN_OK);
    assert_string_equal(want, path);
    assert_int_equal(chdir(cwd), 0);
    remove_conf_dir(dir);
}

/* Layers above base add their keys; they are checked and suggested. */
static void test_register_keys(void **state)
{
    static const conf_key sql_keys[] = {
        {.name = "kiln.sql.shuffle.partitions",
         .type = CONF_INT,
         .dflt = "200",
         .min = 1,
         .max = 100000,
         .spark = "spark.sql.shuffle.partitions",
         .doc = "partitions of a SQL shuffle"},
    };
    static const conf_key dup_keys[] = {
        {.name = "kiln.executor.memory", .type = CONF_SIZE, .doc = "again"},
    };
    size_t before = conf_key_count();
    assert_int_equal(conf_register_keys(sql_keys, 1), KILN_OK);
    assert_int_equal(conf_key_count(), before + 1);
    assert_int_equal(conf_register_keys(sql_keys, 1), KILN_EINVAL);
    assert_int_equal(conf_register_keys(dup_keys, 1), KILN_EINVAL);
    assert_contains(kiln_last_error(), "kiln.executor.memory");
    assert_int_equal(conf_key_count(), before + 1);
    assert_true(conf_key_find("kiln.sql.shuffle.partitions") == &sql_keys[0]);
    assert_string_equal(conf_nearest_key("kiln.sql.shuffle.partition", false),
                        "kiln.sql.shuffle.partitions");

    kiln_conf *out = NULL;
    assert_int_equal(conf_flags_parse("spark.sql.shuffle.partitions=0"), KILN_OK);
    kt_stderr_capture_start();
    int rc = conf_resolve(NULL, &out);
    free(kt_stderr_capture_stop());
    assert_int_equal(rc, KILN_ECONF);
    assert_string_equal(kiln_last_error(),
                        "kiln.sql.shuffle.partitions: expected an integer from 1 to 100000, got "
                        "'0' (--conf flag, as spark.sql.shuffle.partitions)");
}

static void test_secret_is_masked(void **state)
{
    const conf_key *k = conf_key_find("kiln.authenticate.secret");
    assert_non_null(k);
    assert_string_equal(conf_display_value(k, "0123456789abcdef0123"), "********");
    assert_string_equal(conf_display_value(k, "file:/etc/kiln/secret"), "file:/etc/kiln/secret");
    assert_string_equal(conf_display_value(conf_key_find("kiln.master"), "local"), "local");
    assert_string_equal(conf_display_value(NULL, "x"), "x");
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
        cmocka_unit_test_setup(test_submit_conf, clean_env),
        cmocka_unit_test_setup(test_sources, clean_env),
        cmocka_unit_test_setup(test_unknown_key_warns_with_suggestion, clean_env),
        cmocka_unit_test_setup(test_nearest_key, clean_env),
        cmocka_unit_test_setup(test_bad_value_names_file_and_line, clean_env),
        cmocka_unit_test_setup(test_malformed_defaults_file, clean_env),
        cmocka_unit_test_setup(test_bad_flag_value_names_the_flag, clean_env),
        cmocka_unit_test_setup(test_value_checks, clean_env),
        cmocka_unit_test_setup(test_spark_keys, clean_env),
        cmocka_unit_test_setup(test_defaults_file_lookup, clean_env),
        cmocka_unit_test_setup(test_register_keys, clean_env),
        cmocka_unit_test_setup(test_secret_is_masked, clean_env),
    };
    /* Warnings must be visible to the captures whatever the environment says. */
    log_set_threshold(LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
