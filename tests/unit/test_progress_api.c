/*
 * test_progress_api.c - kiln_context_on_progress (include/kiln.h): what a
 * program's progress listener is told of jobs and stages (a shuffle job in
 * local mode and on a local cluster, a failing job, a slow stage's
 * progress), that arguments are checked and that release runs when the
 * context is freed.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "kiln.h"
#include "kt.h"
#include "kt_fns.h"

enum { MAX_SEEN = 4096 };

typedef struct seen {
    pthread_mutex_t lock;
    kiln_progress p[MAX_SEEN];
    int n;
    int by_kind[KILN_PROGRESS_JOB_END + 1];
    char job_name[64];
    char message[256];
    int *released; /* set to 1 by release */
} seen;

static void on_progress(void *arg, const kiln_progress *p)
{
    seen *s = arg;
    pthread_mutex_lock(&s->lock);
    if (s->n < MAX_SEEN) {
        s->p[s->n] = *p;
        s->p[s->n].name = NULL; /* borrowed for the call only */
        s->p[s->n].message = NULL;
        s->n++;
    }
    s->by_kind[p->kind]++;
    if (p->kind == KILN_PROGRESS_JOB_START && p->name)
        snprintf(s->job_name, sizeof s->job_name, "%s", p->name);
    if (p->kind == KILN_PROGRESS_JOB_END && p->message)
        snprintf(s->message, sizeof s->message, "%s", p->message);
    pthread_mutex_unlock(&s->lock);
}

static void release_seen(void *arg)
{
    seen *s = arg;
    if (s->released) *s->released = 1;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static seen *listen_to(kiln_context *ctx, int *released)
{
    seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->lock, NULL);
    s->released = released;
    assert_int_equal(kiln_context_on_progress(ctx, on_progress, s, release_seen), KILN_OK);
    return s;
}

/* Job events come first and last with stage -1; every stage event lies
 * between its start and end and names the job. */
static void check_order(const seen *s)
{
    assert_true(s->n >= 4);
    assert_int_equal(s->p[0].kind, KILN_PROGRESS_JOB_START);
    assert_int_equal(s->p[s->n - 1].kind, KILN_PROGRESS_JOB_END);
    assert_int_equal(s->p[0].stage, -1);
    assert_int_equal(s->p[s->n - 1].stage, -1);
    int open = -1;
    for (int i = 1; i < s->n - 1; i++) {
        const kiln_progress *p = &s->p[i];
        assert_int_equal(p->job, s->p[0].job);
        if (p->kind == KILN_PROGRESS_STAGE_START) {
            assert_int_equal(open, -1);
            open = p->stage;
        } else if (p->kind == KILN_PROGRESS_STAGE) {
            assert_int_equal(p->stage, open);
        } else if (p->kind == KILN_PROGRESS_STAGE_END) {
            assert_int_equal(p->stage, open);
            open = -1;
        } else {
            fail_msg("a job event inside the job: kind %d", p->kind);
        }
        assert_true(p->time >= s->p[0].time);
    }
    assert_int_equal(open, -1);
}

static void shuffle_job(const char *master)
{
    kiln_context *ctx = kt_context_new(master);
    int released = 0;
    seen *s = listen_to(ctx, &released);
    kiln_rdd *pairs = kiln_rdd_map(kiln_range(ctx, 0, 1000, 1, 4), kiln_fn_pair_one, NULL, 0);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(pairs, kiln_fn_add, NULL, 0, 3);
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(sums, &n), KILN_OK);
    assert_int_equal(n, 1000);
    assert_int_equal(s->by_kind[KILN_PROGRESS_JOB_START], 1);
    assert_int_equal(s->by_kind[KILN_PROGRESS_JOB_END], 1);
    assert_int_equal(s->by_kind[KILN_PROGRESS_STAGE_START], 2);
    assert_int_equal(s->by_kind[KILN_PROGRESS_STAGE_END], 2);
    assert_string_equal(s->job_name, "count");
    int starts = 0, ends = 0;
    const int want[2] = {4, 3}; /* the map stage, then the result stage */
    for (int i = 0; i < s->n; i++) {
        const kiln_progress *p = &s->p[i];
        if (p->kind == KILN_PROGRESS_STAGE_START) assert_int_equal(p->tasks, want[starts++]);
        if (p->kind == KILN_PROGRESS_STAGE_END) {
            assert_int_equal(p->done, want[ends++]);
            assert_int_equal(p->rc, KILN_OK);
            assert_true(p->duration >= 0);
        }
        if (p->kind == KILN_PROGRESS_JOB_END) {
            assert_int_equal(p->rc, KILN_OK);
            assert_true(p->duration >= 0);
        }
    }
    check_order(s);
    kiln_context_free(ctx);
    assert_int_equal(released, 1);
}

static void shuffle_job_local(void **state)
{
    (void)state;
    shuffle_job("local[2]");
}

static void shuffle_job_local_cluster(void **state)
{
    (void)state;
    shuffle_job("local-cluster[2,1,256]");
}

/* A failed job ends with its error code and message. */
static void failing_job(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local[2]");
    seen *s = listen_to(ctx, NULL);
    kiln_rdd *m = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), kt_fail_on_seven_fn, NULL, 0);
    int64_t n = 0;
    assert_int_not_equal(kiln_rdd_count(m, &n), KILN_OK);
    assert_int_equal(s->by_kind[KILN_PROGRESS_JOB_END], 1);
    assert_int_not_equal(s->p[s->n - 1].rc, KILN_OK);
    assert_non_null(strstr(s->message, "seven is not allowed"));
    int failed_stages = 0;
    for (int i = 0; i < s->n; i++)
        if (s->p[i].kind == KILN_PROGRESS_STAGE_END && s->p[i].rc != KILN_OK) failed_stages++;
    assert_int_equal(failed_stages, 1);
    check_order(s);
    kiln_context_free(ctx);
}

static int slow_identity(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    (void)env;
    if (in->u.i % 100 == 0) nanosleep(&(struct timespec){0, 40 * 1000 * 1000}, NULL);
    *out = *in;
    return 0;
}

/* A stage running for a while reports where it stands: done never going
 * back, done + running never above the stage's tasks. */
static void stage_progress(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local[2]");
    seen *s = listen_to(ctx, NULL);
    kiln_rdd *m = kiln_rdd_map(kiln_range(ctx, 0, 2000, 1, 4), slow_identity, NULL, 0);
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(m, &n), KILN_OK); /* about 0.4 s */
    assert_true(s->by_kind[KILN_PROGRESS_STAGE] >= 2);
    int last_done = 0;
    for (int i = 0; i < s->n; i++) {
        const kiln_progress *p = &s->p[i];
        if (p->kind != KILN_PROGRESS_STAGE) continue;
        assert_int_equal(p->tasks, 4);
        assert_true(p->done >= last_done);
        assert_true(p->done + p->running <= p->tasks);
        last_done = p->done;
    }
    check_order(s);
    kiln_context_free(ctx);
}

/* No context or no listener: KILN_EINVAL, nothing subscribed. */
static void bad_arguments(void **state)
{
    (void)state;
    int x = 0;
    assert_int_equal(kiln_context_on_progress(NULL, on_progress, &x, NULL), KILN_EINVAL);
    kiln_context *ctx = kt_context_new("local[1]");
    assert_int_equal(kiln_context_on_progress(ctx, NULL, &x, NULL), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "listener"));
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shuffle_job_local), cmocka_unit_test(shuffle_job_local_cluster),
        cmocka_unit_test(failing_job),       cmocka_unit_test(stage_progress),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
