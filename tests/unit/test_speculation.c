/*
 * test_speculation.c - speculative execution of stragglers
 * (kiln.speculation): a task that is slow only on its first attempt gets a
 * copy, the copy wins and the job ends long before the straggler would;
 * results, saved output and metrics show exactly one winner per partition.
 * Off by default; a failing copy does not fail the job; bad settings are
 * KILN_ECONF naming the key.
 *
 * The straggler is made with a marker file: the first attempt of the slow
 * partition creates it (O_EXCL, so exactly one attempt does) and sleeps;
 * every later attempt finds it and runs at full speed. That works across
 * processes, so the suite also runs under KT_MASTER=local-cluster[3,1,256]
 * (CMakeLists.txt).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kt.h"
#include "kt_fns.h"

enum { NPARTS = 8, PER_PART = 100, SLOW_MS = 3000 };

/* env of slow_once_fn */
typedef struct slow_env {
    int partition;   /* the slow partition */
    int sleep_ms;    /* how long its first attempt sleeps */
    int fail_copies; /* attempts after the first fail (in that partition) */
    char marker[512];
} slow_env;

/* Doubles ints; the first attempt of env->partition sleeps once first. */
static int slow_once_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    const slow_env *e = env;
    if (kiln_task_partition(t) == e->partition) {
        int fd = open(e->marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            close(fd);
            struct timespec ts = {e->sleep_ms / 1000, (long)(e->sleep_ms % 1000) * 1000000L};
            while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
            }
        } else if (e->fail_copies && kiln_task_attempt(t) > 0) {
            return kiln_task_fail(t, "copy %d fails on purpose", kiln_task_attempt(t));
        }
    }
    *out = kiln_int(in->u.i * 2);
    return 0;
}

/* x -> ((x / 2) % 10, 1) */
static int mod10_pair_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i / 2 % 10), kiln_int(1));
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A context under local[4] (or $KT_MASTER) with speculation on or off;
 * extra: one more "key=value" setting or NULL. */
static kiln_context *context_new(bool speculation, const char *extra_key, const char *extra)
{
    kiln_conf *conf = kiln_conf_new();
    assert_non_null(conf);
    const char *master = getenv("KT_MASTER");
    KT_OK(kiln_conf_set(conf, "kiln.master", master && *master ? master : "local[4]"));
    KT_OK(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"));
    if (speculation) KT_OK(kiln_conf_set(conf, "kiln.speculation", "true"));
    if (extra_key) KT_OK(kiln_conf_set(conf, extra_key, extra));
    kiln_context *ctx = NULL;
    KT_OK(kiln_context_new(conf, &ctx));
    kiln_conf_free(conf);
    return ctx;
}

/* range(0, NPARTS * PER_PART) in NPARTS partitions mapped through
 * slow_once_fn with env e. */
static kiln_rdd *slow_rdd(kiln_context *ctx, const slow_env *e)
{
    kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, NPARTS * PER_PART, 1, NPARTS));
    return kt_rdd(kiln_rdd_map(r, slow_once_fn, e, sizeof *e));
}

static void env_init(slow_env *e, const char *dir, const char *name, int partition, int sleep_ms)
{
    memset(e, 0, sizeof *e);
    e->partition = partition;
    e->sleep_ms = sleep_ms;
    snprintf(e->marker, sizeof e->marker, "%s/%s", dir, name);
}

/* The collected list must be 0, 2, 4, ... in order. */
static void expect_doubled(const kiln_value *got)
{
    KT_CHECK(got->type == KILN_LIST && got->len == NPARTS * PER_PART, "got %u values",
             (unsigned)got->len);
    for (uint32_t i = 0; i < got->len; i++)
        KT_CHECK(kt_items(got)[i].type == KILN_INT && kt_items(got)[i].u.i == 2 * (int64_t)i,
                 "value %u is %s", i, kt_fmt(&kt_items(got)[i]));
}

static void straggler_is_copied_and_the_copy_wins(void **state)
{
    (void)state;
    kt_set_case("collect with a straggler");
    char *dir = kt_tmpdir_new();
    kiln_context *ctx = context_new(true, NULL, NULL);
    slow_env e;
    env_init(&e, dir, "marker", 5, SLOW_MS);
    kiln_rdd *r = slow_rdd(ctx, &e);
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    double t0 = now();
    KT_OK(kiln_rdd_collect(r, a, &got));
    double took = now() - t0;
    print_message("collect with a %d ms straggler took %.3f s\n", SLOW_MS, took);
    KT_CHECK(took < SLOW_MS / 1000.0 - 1.0, "the job took %.3f s: it waited for the straggler",
             took);
    expect_doubled(&got);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    KT_CHECK(m.speculative_attempts >= 1 && m.speculative_wins >= 1,
             "speculative attempts %lld, wins %lld", (long long)m.speculative_attempts,
             (long long)m.speculative_wins);
    KT_CHECK(m.speculative_wins <= m.speculative_attempts, "more wins than copies");
    KT_CHECK(m.failed_attempts == 0, "%lld failed attempts", (long long)m.failed_attempts);
    /* A second job on the same context: the losing attempt still holds a
     * thread, the results are unchanged. */
    kiln_arena_reset(a);
    KT_OK(kiln_rdd_collect(r, a, &got));
    expect_doubled(&got);
    kiln_arena_free(a);
    kiln_context_free(ctx); /* waits for the straggler's thread */
    kt_rm_rf(dir);
    free(dir);
}

static void straggler_in_a_map_stage_is_copied(void **state)
{
    (void)state;
    kt_set_case("reduce_by_key after a straggling map task");
    char *dir = kt_tmpdir_new();
    kiln_context *ctx = context_new(true, NULL, NULL);
    slow_env e;
    env_init(&e, dir, "marker", 2, SLOW_MS);
    kiln_rdd *pairs = kt_rdd(kiln_rdd_map(slow_rdd(ctx, &e), mod10_pair_fn, NULL, 0));
    kiln_rdd *sums = kt_rdd(kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 3));
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    double t0 = now();
    KT_OK(kiln_rdd_collect(sums, a, &got));
    double took = now() - t0;
    print_message("reduce_by_key with a %d ms straggling map task took %.3f s\n", SLOW_MS, took);
    KT_CHECK(took < SLOW_MS / 1000.0 - 1.0, "the job took %.3f s", took);
    KT_CHECK(got.type == KILN_LIST && got.len == 10, "%u keys", (unsigned)got.len);
    for (uint32_t i = 0; i < got.len; i++)
        KT_CHECK(kiln_is_pair(&kt_items(&got)[i]) &&
                     kiln_val(&kt_items(&got)[i])->u.i == NPARTS * PER_PART / 10,
                 "key %s", kt_fmt(&kt_items(&got)[i]));
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    KT_CHECK(m.speculative_wins >= 1, "speculative wins %lld", (long long)m.speculative_wins);
    kiln_arena_free(a);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(dir);
}

static void save_keeps_exactly_one_attempt_per_partition(void **state)
{
    (void)state;
    kt_set_case("save_as_text_file with a straggler");
    char *dir = kt_tmpdir_new();
    char *out = kt_path(dir, "out");
    kiln_context *ctx = context_new(true, NULL, NULL);
    slow_env e;
    env_init(&e, dir, "marker", 6, SLOW_MS);
    double t0 = now();
    KT_OK(kiln_rdd_save_as_text_file(slow_rdd(ctx, &e), out));
    double took = now() - t0;
    print_message("save_as_text_file with a %d ms straggler took %.3f s\n", SLOW_MS, took);
    KT_CHECK(took < SLOW_MS / 1000.0 - 1.0, "the job took %.3f s", took);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    KT_CHECK(m.speculative_wins >= 1, "speculative wins %lld", (long long)m.speculative_wins);
    kiln_context_free(ctx); /* the loser has ended: it must have left nothing */

    size_t n;
    char **names = kt_list_dir(out, &n);
    KT_CHECK(names != NULL && n == NPARTS + 1, "%zu entries in the output", names ? n : 0);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        if (i == 0) snprintf(want, sizeof want, "_SUCCESS"); /* '_' sorts first */
        else snprintf(want, sizeof want, "part-%05zu", i - 1);
        KT_CHECK(strcmp(names[i], want) == 0, "entry %zu is %s, expected %s", i, names[i], want);
    }
    kt_names_free(names, n);
    for (int p = 0; p < NPARTS; p++) {
        char name[32], line[32];
        snprintf(name, sizeof name, "part-%05d", p);
        char *path = kt_path(out, name);
        size_t len;
        char *text = kt_read_file(path, &len);
        KT_CHECK(text != NULL, "cannot read %s", path);
        kiln_buf want;
        kiln_buf_init(&want);
        for (int i = p * PER_PART; i < (p + 1) * PER_PART; i++) {
            int k = snprintf(line, sizeof line, "%d\n", 2 * i);
            KT_OK(kiln_buf_append(&want, line, (size_t)k));
        }
        KT_CHECK(len == want.len && memcmp(text, want.data, len) == 0, "%s differs", path);
        kiln_buf_release(&want);
        free(text);
        free(path);
    }
    char *tmp = kt_path(out, "_temporary");
    KT_CHECK(!kt_exists(tmp), "%s is left", tmp);
    free(tmp);
    kt_rm_rf(dir);
    free(out);
    free(dir);
}

static void speculation_is_off_by_default(void **state)
{
    (void)state;
    kt_set_case("no kiln.speculation");
    char *dir = kt_tmpdir_new();
    kiln_context *ctx = context_new(false, NULL, NULL);
    slow_env e;
    env_init(&e, dir, "marker", 3, 500);
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    double t0 = now();
    KT_OK(kiln_rdd_collect(slow_rdd(ctx, &e), a, &got));
    double took = now() - t0;
    KT_CHECK(took >= 0.5, "the job took %.3f s, less than its straggler", took);
    expect_doubled(&got);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    KT_CHECK(m.speculative_attempts == 0 && m.task_attempts == NPARTS,
             "speculative attempts %lld, attempts %lld", (long long)m.speculative_attempts,
             (long long)m.task_attempts);
    kiln_arena_free(a);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(dir);
}

static void failing_copy_does_not_fail_the_job(void **state)
{
    (void)state;
    kt_set_case("a copy that fails");
    char *dir = kt_tmpdir_new();
    kiln_context *ctx = context_new(true, NULL, NULL);
    slow_env e;
    env_init(&e, dir, "marker", 1, 1000);
    e.fail_copies = 1;
    kiln_arena *a = kiln_arena_new();
    kiln_value got;
    double t0 = now();
    KT_OK(kiln_rdd_collect(slow_rdd(ctx, &e), a, &got));
    double took = now() - t0;
    print_message("collect with a failing copy took %.3f s\n", took);
    KT_CHECK(took >= 1.0, "the job took %.3f s: the original cannot have finished", took);
    expect_doubled(&got);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    KT_CHECK(m.speculative_attempts >= 1 && m.speculative_wins == 0 && m.failed_attempts >= 1,
             "speculative attempts %lld, wins %lld, failed %lld", (long long)m.speculative_attempts,
             (long long)m.speculative_wins, (long long)m.failed_attempts);
    kiln_arena_free(a);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    free(dir);
}

static void bad_settings_name_their_key(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"kiln.speculation", "maybe"},         {"kiln.speculation.interval", "0"},
        {"kiln.speculation.interval", "fast"}, {"kiln.speculation.interval", "100 parsecs"},
        {"kiln.speculation.multiplier", "-1"}, {"kiln.speculation.multiplier", "1.5x"},
        {"kiln.speculation.quantile", "1.5"},  {"kiln.speculation.minTaskRuntime", "-5ms"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kt_set_case("%s=%s", bad[i][0], bad[i][1]);
        kiln_conf *conf = kiln_conf_new();
        KT_OK(kiln_conf_set(conf, "kiln.master", "local[2]"));
        KT_OK(kiln_conf_set(conf, bad[i][0], bad[i][1]));
        kiln_context *ctx = NULL;
        KT_RC(KILN_ECONF, kiln_context_new(conf, &ctx));
        KT_CHECK(strstr(kiln_last_error(), bad[i][0]) != NULL, "message: %s", kiln_last_error());
        kiln_conf_free(conf);
    }
    static const char *const good[][2] = {
        {"kiln.speculation.interval", "250"},     {"kiln.speculation.interval", "2s"},
        {"kiln.speculation.minTaskRuntime", "0"}, {"kiln.speculation.minTaskRuntime", "1min"},
        {"kiln.speculation.quantile", "0.5"},     {"kiln.speculation.multiplier", "3"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        kt_set_case("%s=%s", good[i][0], good[i][1]);
        kiln_context *ctx = context_new(true, good[i][0], good[i][1]);
        kiln_context_free(ctx);
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(straggler_is_copied_and_the_copy_wins),
        cmocka_unit_test(straggler_in_a_map_stage_is_copied),
        cmocka_unit_test(save_keeps_exactly_one_attempt_per_partition),
        cmocka_unit_test(speculation_is_off_by_default),
        cmocka_unit_test(failing_copy_does_not_fail_the_job),
        cmocka_unit_test(bad_settings_name_their_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
