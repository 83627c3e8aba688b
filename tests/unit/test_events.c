/*
 * test_events.c - the engine's event bus (engine/engine.h, "Events"): what
 * a listener sees of jobs, stages and tasks (a shuffle job, a failing task
 * retried, cached blocks), in local mode and on a local cluster, and that
 * a lost executor is announced.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "cluster/cluster.h"
#include "engine/engine.h"
#include "kt.h"
#include "kt_fns.h"

enum { MAX_EVENTS = 4096 };

typedef struct recorder {
    pthread_mutex_t lock;
    engine_event ev[MAX_EVENTS];
    int n;
    int by_kind[EV_UNPERSIST + 1];
} recorder;

static void record(void *arg, const engine_event *e)
{
    recorder *r = arg;
    pthread_mutex_lock(&r->lock);
    if (r->n < MAX_EVENTS) {
        r->ev[r->n] = *e;
        r->ev[r->n].name = NULL; /* borrowed: not kept */
        r->ev[r->n].message = NULL;
        r->n++;
    }
    r->by_kind[e->kind]++;
    pthread_mutex_unlock(&r->lock);
}

static recorder *listen_to(kiln_context *ctx)
{
    recorder *r = calloc(1, sizeof *r);
    assert_non_null(r);
    pthread_mutex_init(&r->lock, NULL);
    assert_int_equal(events_subscribe(ctx, record, r, free), KILN_OK);
    return r;
}

static kiln_rdd *pairs_of(kiln_context *ctx, int64_t n, int parts)
{
    return kiln_rdd_map(kiln_range(ctx, 0, n, 1, parts), kiln_fn_pair_one, NULL, 0);
}

/* The order a listener sees: the job starts first and ends last; every
 * task's stage has started before the task and ends after it. */
static void check_order(const recorder *r)
{
    assert_true(r->n >= 2);
    assert_int_equal(r->ev[0].kind, EV_JOB_START);
    assert_int_equal(r->ev[r->n - 1].kind, EV_JOB_END);
    for (int i = 0; i < r->n; i++) {
        const engine_event *e = &r->ev[i];
        if (e->kind != EV_TASK_START && e->kind != EV_TASK_END) continue;
        bool started = false, ended_after = false;
        for (int k = 0; k < i; k++)
            if (r->ev[k].kind == EV_STAGE_START && r->ev[k].stage == e->stage) started = true;
        for (int k = i + 1; k < r->n; k++)
            if (r->ev[k].kind == EV_STAGE_END && r->ev[k].stage == e->stage) ended_after = true;
        assert_true(started);
        assert_true(ended_after);
        assert_int_equal(e->job, r->ev[0].job);
    }
}

static void shuffle_job(const char *master)
{
    kiln_context *ctx = kt_context_new(master);
    recorder *r = listen_to(ctx);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(pairs_of(ctx, 1000, 4), kiln_fn_add, NULL, 0, 3);
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(sums, &n), KILN_OK);
    assert_int_equal(n, 1000); /* every number is its own key */
    assert_int_equal(r->by_kind[EV_JOB_START], 1);
    assert_int_equal(r->by_kind[EV_JOB_END], 1);
    assert_int_equal(r->by_kind[EV_STAGE_START], 2); /* the map stage, then the result */
    assert_int_equal(r->by_kind[EV_STAGE_END], 2);
    assert_int_equal(r->by_kind[EV_TASK_START], 4 + 3);
    assert_int_equal(r->by_kind[EV_TASK_END], 4 + 3);
    int tasks[2] = {0, 0};
    for (int i = 0; i < r->n; i++) {
        const engine_event *e = &r->ev[i];
        if (e->kind == EV_TASK_END) {
            assert_int_equal(e->rc, KILN_OK);
            assert_true(e->duration >= 0);
        }
        if (e->kind == EV_STAGE_START) tasks[tasks[0] ? 1 : 0] = e->tasks;
        if (e->kind == EV_JOB_END) assert_int_equal(e->rc, KILN_OK);
    }
    assert_int_equal(tasks[0], 4);
    assert_int_equal(tasks[1], 3);
    check_order(r);
    /* A second job reuses the map outputs: one stage only. */
    memset(r->by_kind, 0, sizeof r->by_kind);
    assert_int_equal(kiln_rdd_count(sums, &n), KILN_OK);
    assert_int_equal(r->by_kind[EV_STAGE_START], 1);
    assert_int_equal(r->by_kind[EV_TASK_END], 3);
    kiln_context_free(ctx); /* frees r */
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

/* Each failed attempt ends with its error; the job ends with one too. */
static void failing_task(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local[2,3]");
    recorder *r = listen_to(ctx);
    kiln_rdd *m = kiln_rdd_map(kiln_range(ctx, 0, 20, 1, 2), kt_fail_on_seven_fn, NULL, 0);
    int64_t n = 0;
    assert_int_not_equal(kiln_rdd_count(m, &n), KILN_OK);
    int failed = 0, job_rc = 0;
    for (int i = 0; i < r->n; i++) {
        if (r->ev[i].kind == EV_TASK_END && r->ev[i].rc != KILN_OK) {
            failed++;
            assert_int_equal(r->ev[i].partition, 0);
        }
        if (r->ev[i].kind == EV_JOB_END) job_rc = r->ev[i].rc;
    }
    assert_int_equal(failed, 3); /* every attempt of partition 0 */
    assert_int_not_equal(job_rc, KILN_OK);
    check_order(r);
    kiln_context_free(ctx);
}

/* Caching a partition posts a block update naming the RDD and partition. */
static void cached_blocks(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local[2]");
    recorder *r = listen_to(ctx);
    kiln_rdd *c = kiln_rdd_cache(kiln_range(ctx, 0, 100, 1, 4));
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(c, &n), KILN_OK);
    assert_int_equal(r->by_kind[EV_BLOCK_UPDATED], 4);
    bool seen[4] = {false};
    for (int i = 0; i < r->n; i++)
        if (r->ev[i].kind == EV_BLOCK_UPDATED) {
            assert_int_equal(r->ev[i].rdd, kiln_rdd_id(c));
            seen[r->ev[i].part] = true;
        }
    for (int p = 0; p < 4; p++) assert_true(seen[p]);
    /* Served from the cache: no new block. */
    assert_int_equal(kiln_rdd_count(c, &n), KILN_OK);
    assert_int_equal(r->by_kind[EV_BLOCK_UPDATED], 4);
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

/* While a stage runs, progress events say where it stands: never more
 * tasks done and running than the stage has, done never going back. */
static void stage_progress(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local[2]");
    recorder *r = listen_to(ctx);
    kiln_rdd *m = kiln_rdd_map(kiln_range(ctx, 0, 2000, 1, 4), slow_identity, NULL, 0);
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(m, &n), KILN_OK); /* about 0.4 s */
    assert_true(r->by_kind[EV_STAGE_PROGRESS] >= 2);
    int last_done = 0;
    for (int i = 0; i < r->n; i++) {
        const engine_event *e = &r->ev[i];
        if (e->kind != EV_STAGE_PROGRESS) continue;
        assert_int_equal(e->tasks, 4);
        assert_true(e->done >= last_done);
        assert_true(e->done + e->running <= e->tasks);
        last_done = e->done;
    }
    kiln_context_free(ctx);
}

/* A killed executor is announced once, by its id. */
static void lost_executor(void **state)
{
    (void)state;
    kiln_context *ctx = kt_context_new("local-cluster[2,1,256]");
    recorder *r = listen_to(ctx);
    int pids[2];
    assert_int_equal(cluster_executor_pids(cluster_of(ctx), pids, 2), 2);
    kill(pids[1], SIGKILL);
    int64_t n = 0;
    assert_int_equal(kiln_rdd_count(pairs_of(ctx, 100, 6), &n), KILN_OK);
    assert_int_equal(n, 100);
    /* The job may end on the other executor before the loss is noticed
     * (a busy machine): wait for it, up to 10 s. */
    int lost = 0;
    for (int i = 0; i < 1000 && !lost; i++) {
        pthread_mutex_lock(&r->lock);
        lost = r->by_kind[EV_EXECUTOR_LOST];
        pthread_mutex_unlock(&r->lock);
        if (!lost) usleep(10000);
    }
    assert_int_equal(r->by_kind[EV_EXECUTOR_LOST], 1);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shuffle_job_local), cmocka_unit_test(shuffle_job_local_cluster),
        cmocka_unit_test(failing_task),      cmocka_unit_test(cached_blocks),
        cmocka_unit_test(stage_progress),    cmocka_unit_test(lost_executor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
