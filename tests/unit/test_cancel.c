/*
 * test_cancel.c - job cancellation (kiln_context_cancel_jobs, Spark's
 * cancelAllJobs) as an interrupt watcher uses it: another thread cancels a
 * running action 200 ms in, the action returns KILN_EJOB with "job J
 * cancelled" within a second, and the context runs the next job normally.
 *
 * Cases: a map function that sleeps but checks kiln_task_cancelled (what a
 * Python function does between batches); a C-only job (a long range and a
 * cheap map), stopped by the engine's check of each batch; a function that
 * sleeps without checking (the action still returns at once, its late
 * accumulator updates are not applied, and the next job waits only for its
 * thread); a cancel with no job running. The first two also run under
 * local-cluster[2,1,256], where the executors are told (CANCEL_JOBS): the
 * next job gets their slots back long before the cancelled tasks would
 * have ended. The first also runs in a job group cancelled by
 * kiln_context_cancel_job_group (executors told of that job alone,
 * CANCEL_JOB). Each case checks that the context leaves no scratch files
 * and no threads behind.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kt.h"

enum { CANCEL_AFTER_MS = 200 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Threads of this process now. */
static int threads_now(void)
{
    return kt_count_entries("/proc/self/task", "");
}

/* Each record takes 10 s, in 5 ms naps that check for cancellation. */
static int sleepy_checking(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    for (int i = 0; i < 2000; i++) {
        if (kiln_task_cancelled(t)) return kiln_task_fail(t, "map stopped: job cancelled");
        sleep_ms(5);
    }
    *out = *in;
    return 0;
}

/* Adds 1 to the accumulator (env) and sleeps 1.5 s without checking. */
static int sleepy_deaf(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int rc = kiln_accumulator_add(t, *(const int64_t *)env, kiln_int(1));
    if (rc) return rc;
    sleep_ms(1500);
    *out = *in;
    return 0;
}

static int plus_one(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    (void)env;
    *out = kiln_int(in->u.i + 1);
    return 0;
}

/* The canceller: waits CANCEL_AFTER_MS, notes the time, cancels. */
typedef struct canceller {
    kiln_context *ctx;
    const char *group; /* cancels this job group; NULL: every job */
    pthread_t thread;
    double at;
    int rc;
} canceller;

static void *cancel_main(void *arg)
{
    canceller *c = arg;
    sleep_ms(CANCEL_AFTER_MS);
    c->at = now();
    c->rc = c->group ? kiln_context_cancel_job_group(c->ctx, c->group)
                     : kiln_context_cancel_jobs(c->ctx);
    return NULL;
}

static void canceller_start_group(canceller *c, kiln_context *ctx, const char *group)
{
    *c = (canceller){.ctx = ctx, .group = group, .rc = -1};
    assert_int_equal(pthread_create(&c->thread, NULL, cancel_main, c), 0);
}

static void canceller_start(canceller *c, kiln_context *ctx)
{
    *c = (canceller){.ctx = ctx, .rc = -1};
    assert_int_equal(pthread_create(&c->thread, NULL, cancel_main, c), 0);
}

/* Joins the canceller and checks that the action (rc, ended at `ended`)
 * failed with "job J cancelled" within a second of the cancel. */
static void expect_cancelled(canceller *c, int rc, double ended)
{
    char msg[512];
    snprintf(msg, sizeof msg, "%s", kiln_last_error());
    pthread_join(c->thread, NULL);
    assert_int_equal(c->rc, KILN_OK);
    KT_CHECK(rc == KILN_EJOB, "rc %s (%s)", kiln_err_name(rc), msg);
    int job = -1;
    char tail[32] = "";
    KT_CHECK(sscanf(msg, "job %d %31s", &job, tail) == 2 && job >= 0 &&
                 strcmp(tail, "cancelled") == 0,
             "message: %s", msg);
    KT_CHECK(ended - c->at < 1.0, "returned %.3f s after the cancel", ended - c->at);
}

/* A context with its scratch under a directory of its own (*dir). */
static kiln_context *context_in(const char *master, char **dir)
{
    *dir = kt_tmpdir_new();
    kiln_conf *conf = kiln_conf_new();
    assert_non_null(conf);
    KT_OK(kiln_conf_set(conf, "kiln.master", master));
    KT_OK(kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false"));
    KT_OK(kiln_conf_set(conf, "kiln.local.dir", *dir));
    kiln_context *ctx = NULL;
    KT_OK(kiln_context_new(conf, &ctx));
    kiln_conf_free(conf);
    return ctx;
}

/* Frees ctx and checks that nothing of it is left: files in dir, threads
 * beyond `threads`. */
static void context_done(kiln_context *ctx, char *dir, int threads)
{
    double t0 = now();
    kiln_context_free(ctx);
    KT_CHECK(now() - t0 < 10, "kiln_context_free took %.1f s", now() - t0);
    int left = kt_count_entries(dir, "");
    kt_rm_rf(dir);
    free(dir);
    KT_CHECK(left == 0, "%d entries left in the scratch directory", left);
    int after = threads_now();
    KT_CHECK(after <= threads, "%d threads before the context, %d after", threads, after);
}

/* The next job after a cancelled one: right results, in good time (the
 * cancelled tasks would hold the slots for seconds more). */
static void next_job_runs(kiln_context *ctx, double cancelled_at)
{
    int64_t n = 0;
    KT_OK(kiln_rdd_count(kiln_rdd_map(kiln_range(ctx, 0, 10000, 1, 4), plus_one, NULL, 0), &n));
    assert_int_equal(n, 10000);
    kiln_arena *a = kiln_arena_new();
    kiln_value v = kt_collect(kiln_rdd_map(kiln_range(ctx, 0, 100, 1, 4), plus_one, NULL, 0), a);
    assert_int_equal(v.len, 100);
    for (size_t i = 0; i < 100; i++) assert_int_equal(kt_items(&v)[i].u.i, (int64_t)i + 1);
    kiln_arena_free(a);
    KT_CHECK(now() - cancelled_at < 5.0, "the next jobs ended %.1f s after the cancel",
             now() - cancelled_at);
}

/* A job of sleepy records (8 of 10 s each) cancelled 200 ms in. */
static void cancel_checking_function(const char *master)
{
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in(master, &dir);
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 8, 1, 4), sleepy_checking, NULL, 0);
    canceller c;
    canceller_start(&c, ctx);
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    expect_cancelled(&c, rc, now());
    next_job_runs(ctx, c.at);
    kiln_rdd_free(r);
    context_done(ctx, dir, threads);
}

/* The same job in a job group, the group cancelled (Spark's
 * cancelJobGroup): on a cluster the executors are told of that job alone
 * (CANCEL_JOB), so the next jobs get the slots back at once too. */
static void cancel_checking_function_group(const char *master)
{
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in(master, &dir);
    KT_OK(kiln_context_set_job_group(ctx, "sleepers", "sleepy records", false));
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 8, 1, 4), sleepy_checking, NULL, 0);
    canceller c;
    canceller_start_group(&c, ctx, "sleepers");
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    expect_cancelled(&c, rc, now());
    KT_OK(kiln_context_clear_job_group(ctx));
    next_job_runs(ctx, c.at);
    kiln_rdd_free(r);
    context_done(ctx, dir, threads);
}

/* A C-only job: 4e9 records through a cheap map (tens of seconds), stopped
 * by the engine's own check between batches. */
static void cancel_c_only_job(const char *master)
{
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in(master, &dir);
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 4000000000LL, 1, 4), plus_one, NULL, 0);
    canceller c;
    canceller_start(&c, ctx);
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    expect_cancelled(&c, rc, now());
    next_job_runs(ctx, c.at);
    kiln_rdd_free(r);
    context_done(ctx, dir, threads);
}

static void checking_function_local(void **state)
{
    (void)state;
    cancel_checking_function("local[2]");
}

static void c_only_job_local(void **state)
{
    (void)state;
    cancel_c_only_job("local[2]");
}

static void checking_function_local_cluster(void **state)
{
    (void)state;
    cancel_checking_function("local-cluster[2,1,256]");
}

static void job_group_local(void **state)
{
    (void)state;
    cancel_checking_function_group("local[2]");
}

static void job_group_local_cluster(void **state)
{
    (void)state;
    cancel_checking_function_group("local-cluster[2,1,256]");
}

static void c_only_job_local_cluster(void **state)
{
    (void)state;
    cancel_c_only_job("local-cluster[2,1,256]");
}

/* A shuffle job: the map stage is cancelled, the reduce stage never runs. */
static void shuffle_job_local(void **state)
{
    (void)state;
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in("local[2]", &dir);
    kiln_rdd *pairs = kiln_rdd_key_by(kiln_rdd_map(kiln_range(ctx, 0, 8, 1, 4), sleepy_checking,
                                                   NULL, 0),
                                      plus_one, NULL, 0);
    kiln_rdd *r = kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 2);
    canceller c;
    canceller_start(&c, ctx);
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    expect_cancelled(&c, rc, now());
    next_job_runs(ctx, c.at);
    kiln_rdd_free(r);
    kiln_rdd_free(pairs);
    context_done(ctx, dir, threads);
}

/* A function that never checks: the action returns at once all the same;
 * the attempts end on their own later, and what they did counts for
 * nothing (their accumulator updates are not applied). */
static void deaf_function_local(void **state)
{
    (void)state;
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in("local[2]", &dir);
    int64_t acc = kiln_accumulator_new(ctx, "seen", KILN_INT);
    assert_true(acc > 0);
    kiln_rdd *r = kiln_rdd_map(kiln_range(ctx, 0, 2, 1, 2), sleepy_deaf, &acc, sizeof acc);
    canceller c;
    canceller_start(&c, ctx);
    int64_t n = -1;
    int rc = kiln_rdd_count(r, &n);
    expect_cancelled(&c, rc, now());
    /* The next job waits for the threads the deaf attempts hold. */
    int64_t m = 0;
    KT_OK(kiln_rdd_count(kiln_range(ctx, 0, 1000, 1, 2), &m));
    assert_int_equal(m, 1000);
    kiln_value v = kiln_accumulator_value(ctx, acc);
    assert_int_equal(v.type, KILN_INT);
    assert_int_equal(v.u.i, 0);
    kiln_metrics met;
    kiln_context_metrics(ctx, &met);
    assert_int_equal(met.failed_attempts, 0); /* cancelled attempts did not fail */
    kiln_rdd_free(r);
    context_done(ctx, dir, threads);
}

/* No job running: nothing happens, and the next jobs run normally. */
static void cancel_without_jobs_is_a_no_op(void **state)
{
    (void)state;
    int threads = threads_now();
    char *dir;
    kiln_context *ctx = context_in("local[2]", &dir);
    KT_OK(kiln_context_cancel_jobs(ctx));
    int64_t n = 0;
    KT_OK(kiln_rdd_count(kiln_range(ctx, 0, 5000, 1, 3), &n));
    assert_int_equal(n, 5000);
    KT_OK(kiln_context_cancel_jobs(ctx));
    KT_OK(kiln_context_cancel_jobs(ctx));
    next_job_runs(ctx, now());
    context_done(ctx, dir, threads);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(checking_function_local),
        cmocka_unit_test(c_only_job_local),
        cmocka_unit_test(shuffle_job_local),
        cmocka_unit_test(deaf_function_local),
        cmocka_unit_test(cancel_without_jobs_is_a_no_op),
        cmocka_unit_test(checking_function_local_cluster),
        cmocka_unit_test(c_only_job_local_cluster),
        cmocka_unit_test(job_group_local),
        cmocka_unit_test(job_group_local_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
