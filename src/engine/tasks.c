/*
 * engine/tasks.c - the task scheduler of a stage: attempts queued on the
 * context's pool, each run through the context's task backend; results
 * and accumulator updates applied once per partition, by the first attempt
 * to succeed; failures retried up to the context's attempts; lost map
 * outputs noted for the DAG scheduler (dag.c); the guard that keeps an
 * attempt that has lost the race (kiln.speculation) or whose job was
 * cancelled out of the caller's code.
 *
 * Cancellation (kiln_context_cancel_jobs): a stage whose job is cancelled
 * fails at once (check_cancelled, at every wake of run_tasks and at each
 * attempt's start and end): queued attempts do not start, ended ones count
 * for nothing (no result, no accumulator update, no retry), and run_tasks
 * returns as soon as no attempt is inside the caller's code, leaving the
 * running ones to stop at their next pull of records (rdd_iterator checks
 * the job before each batch) and free the stage, as speculation's losers do.
 *
 * Executor exclusion (kiln.excludeOnFailure.*, Spark's excludeOnFailure at
 * the task and stage levels): the backend says which executor ran each
 * attempt; an attempt is asked to avoid the executors its task failed on
 * maxTaskAttemptsPerExecutor times and those on which
 * maxFailedTasksPerExecutor different tasks of the stage failed. The
 * backend honours that only while another live executor can take the task,
 * so with one executor left (or in local mode) tasks still run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/scheduler_int.h"

static void run_task(void *arg);

int task_submit(stage_run *s, int index, bool speculative)
{
    task_ref *tr = malloc(sizeof *tr);
    if (!tr) return KILN_ENOMEM;
    *tr = (task_ref){.s = s,
                     .index = index,
                     .attempt = s->ts[index].next_attempt,
                     .speculative = speculative};
    s->outstanding++;
    int rc = pool_submit(s->ctx->pool, run_task, tr);
    if (rc) {
        s->outstanding--;
        free(tr);
    } else {
        s->ts[index].next_attempt++;
        s->ts[index].live++;
    }
    return rc;
}

static void merge_accumulators(kiln_context *ctx, kiln_task *t)
{
    pthread_mutex_lock(&ctx->lock);
    for (size_t i = 0; i < t->naccs; i++) {
        int64_t id = t->accs[i].id;
        if (id < 1 || (size_t)id > ctx->naccs) continue;
        kiln_value *tot = &ctx->accs[id - 1].total;
        kiln_value d = t->accs[i].delta;
        if (tot->type == KILN_INT) tot->u.i += d.type == KILN_INT ? d.u.i : (int64_t)d.u.d;
        else tot->u.d += d.type == KILN_INT ? (double)d.u.i : d.u.d;
    }
    pthread_mutex_unlock(&ctx->lock);
}

/* Notes a map output a task could not fetch; caller holds s->lock. */
static void note_lost(stage_run *s, int shuffle, int map)
{
    for (size_t i = 0; i < s->nlost; i++)
        if (s->lost[i][0] == shuffle && s->lost[i][1] == map) return;
    if (grow_for_one((void **)&s->lost, s->nlost, &s->cap_lost, sizeof *s->lost, 4) == KILN_OK) {
        s->lost[s->nlost][0] = shuffle;
        s->lost[s->nlost++][1] = map;
    }
}

/* Notes that s's job has been cancelled, when it has: the stage fails, so
 * no attempt starts, counts or is retried any more. Caller holds s->lock.
 * Returns s->cancelled. */
static bool check_cancelled(stage_run *s)
{
    if (!s->cancelled && job_cancelled(s->ctx, s->job)) {
        s->cancelled = true;
        s->failed = true;
    }
    return s->cancelled;
}

/* ---- Attempts that may lose a race or be cancelled -------------------------- */

/* A result stage's fn runs behind this guard. While an attempt runs the
 * caller's fn (and may read its arg) it counts in s->in_caller; it leaves
 * that count while it pulls records from the RDD (which reads only what the
 * context owns: in local mode, a straggler or a cancelled attempt stuck in
 * a user function waits there). run_tasks returns early (every partition
 * finished with speculation, or the job cancelled) only once no attempt is
 * in the caller's code, and an attempt whose partition has finished or
 * whose job was cancelled never enters it again: its next pull fails. The
 * cost is two uncontended lock round trips per batch of records. */
typedef struct attempt_guard {
    eng_iter it; /* what fn pulls from: inner, checked */
    eng_iter *inner;
    stage_run *s;
    int index;
    bool in_caller, cancelled;
} attempt_guard;

/* Leaves or enters the caller's code; false (and cancelled) when the
 * partition has finished meanwhile. */
static bool guard_enter(attempt_guard *g, bool enter)
{
    stage_run *s = g->s;
    pthread_mutex_lock(&s->lock);
    if (g->in_caller && !enter) {
        g->in_caller = false;
        /* Only run_tasks waiting to return early needs to hear it. */
        if (--s->in_caller == 0 && (s->cancelled || s->done == s->ntasks))
            pthread_cond_broadcast(&s->cond);
    } else if (enter && !g->in_caller) {
        if (s->finished[g->index] || check_cancelled(s)) {
            g->cancelled = true;
        } else {
            g->in_caller = true;
            s->in_caller++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return !g->cancelled;
}

static int cancelled(kiln_task *t)
{
    if (job_cancelled(t->ctx, t->job)) return task_cancel_error(t);
    return task_error(t, KILN_ESTATE,
                      "attempt %d of partition %d cancelled: another attempt "
                      "finished it",
                      t->attempt, t->partition);
}

static int guard_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    attempt_guard *g = (attempt_guard *)it;
    guard_enter(g, false);
    int rc = g->inner->next(g->inner, t, vals, n);
    if (!guard_enter(g, true)) return cancelled(t);
    return rc;
}

static void guard_close(eng_iter *it)
{
    (void)it;
}

static int guard_fn(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    attempt_guard *g = arg;
    g->inner = it;
    if (!guard_enter(g, true)) return cancelled(t);
    int rc = g->s->fn(t, &g->it, out, g->s->arg);
    guard_enter(g, false);
    return rc;
}

void stage_free(stage_run *s)
{
    rdd_release(stage_pin(s));
    for (int i = 0; s->ts && i < s->ntasks; i++) free(s->ts[i].failed_on);
    free(s->bad);
    free(s->fail_msg);
    free(s->finished);
    free(s->ts);
    free(s->lost);
    free((void *)s->ship_copy.wire);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

/* ---- Executor exclusion ------------------------------------------------------- */

static int failures_on(const task_state *ts, int executor)
{
    int n = 0;
    for (size_t i = 0; i < ts->nfailed_on; i++) n += ts->failed_on[i] == executor;
    return n;
}

/* Notes that an attempt of task index failed on executor (>= 0, named id);
 * caller holds s->lock. Out of memory only forgets the failure. */
static void note_failed_on(stage_run *s, int index, int executor, const char *id)
{
    task_state *ts = &s->ts[index];
    bool first = failures_on(ts, executor) == 0;
    if (grow_for_one((void **)&ts->failed_on, ts->nfailed_on, &ts->cap_failed_on,
                     sizeof *ts->failed_on, 4))
        return;
    ts->failed_on[ts->nfailed_on++] = executor;
    if (!first) return;
    size_t i = 0;
    while (i < s->nbad && s->bad[i].executor != executor) i++;
    if (i == s->nbad) {
        if (grow_for_one((void **)&s->bad, s->nbad, &s->cap_bad, sizeof *s->bad, 4)) return;
        s->bad[s->nbad++] = (exec_failures){.executor = executor};
    }
    if (++s->bad[i].tasks == s->ctx->exclude_stage_max)
        LOG(LOG_WARN, "scheduler",
            "executor %s excluded from stage %d: %d of its tasks failed there "
            "(kiln.excludeOnFailure.stage.maxFailedTasksPerExecutor); the stage's tasks run "
            "elsewhere while another executor is live",
            id, s->stage, s->bad[i].tasks);
}

/* The executors the next attempt of task index should avoid, in a malloc'd
 * array (*n of them; NULL when none, or out of memory: then it may run
 * anywhere). Caller holds s->lock. */
static int *exclusions(stage_run *s, int index, int *n)
{
    *n = 0;
    const task_state *ts = &s->ts[index];
    if (!s->ctx->exclude_on_failure || (ts->nfailed_on == 0 && s->nbad == 0)) return NULL;
    int *out = malloc(sizeof *out * (ts->nfailed_on + s->nbad + 1));
    if (!out) return NULL;
    for (size_t i = 0; i < s->nbad; i++)
        if (s->bad[i].tasks >= s->ctx->exclude_stage_max) out[(*n)++] = s->bad[i].executor;
    for (size_t i = 0; i < ts->nfailed_on; i++) {
        int e = ts->failed_on[i];
        bool listed = false;
        for (int k = 0; k < *n && !listed; k++) listed = out[k] == e;
        if (!listed && failures_on(ts, e) >= s->ctx->exclude_task_max) out[(*n)++] = e;
    }
    if (*n == 0) {
        free(out);
        out = NULL;
    }
    return out;
}

/* Records a failed attempt: reruns the task unless another attempt of it
 * still runs (that one may yet succeed) or it has failed max_attempts times.
 * Caller holds s->lock. */
static void task_failed(stage_run *s, kiln_task *t, int index, int rc)
{
    task_state *ts = &s->ts[index];
    LOG(LOG_WARN, "scheduler", "lost task %d.%d in stage %d: %s", t->partition, t->attempt,
        s->stage, t->error);
    if (t->executor >= 0 && s->ctx->exclude_on_failure)
        note_failed_on(s, index, t->executor, t->executor_id);
    ts->failures++;
    if (ts->live > 0) {
        LOG(LOG_INFO, "scheduler", "task %d in stage %d has another attempt running", t->partition,
            s->stage);
        return;
    }
    if (ts->failures < s->ctx->max_attempts) {
        if (task_submit(s, index, false) == KILN_OK) return;
    }
    s->failed = true;
    s->fail_msg = t->error;
    t->error = NULL;
    s->fail_part = t->partition;
    s->fail_attempt = t->attempt;
    s->fail_rc = rc < 0 ? rc : KILN_EUSER;
}

/* What EV_TASK_START needs that the task does not hold. */
typedef struct task_launch {
    stage_run *s;
    bool speculative;
    double started; /* when it was launched (before: when it was taken up) */
} task_launch;

static void post_task_start(kiln_task *t, void *arg)
{
    task_launch *l = arg;
    l->started = now_seconds();
    if (!events_wanted(t->ctx)) return;
    bool placed = t->executor >= 0 || !t->ctx->backend->ops->remote;
    events_post(t->ctx, &(engine_event){.kind = EV_TASK_START,
                                        .job = l->s->job,
                                        .stage = l->s->stage,
                                        .partition = t->partition,
                                        .attempt = t->attempt,
                                        .speculative = l->speculative,
                                        .task_id = t->task_id,
                                        .stage_attempt = l->s->attempt,
                                        .name = placed ? t->executor_id : NULL,
                                        .executor = t->executor});
}

void task_launched(kiln_task *t)
{
    if (t->launched || !t->on_launch) return;
    t->launched = true;
    t->on_launch(t, t->launch_arg);
}

static void run_task(void *arg)
{
    task_ref *tr = arg;
    stage_run *s = tr->s;
    int index = tr->index, attempt = tr->attempt;
    bool speculative = tr->speculative;
    free(tr);

    double started = now_seconds();
    pthread_mutex_lock(&s->lock);
    bool skip = check_cancelled(s) || s->failed || s->finished[index];
    int partition = s->parts ? s->parts[index] : -1; /* caller's: read while it waits */
    int nexclude = 0, *exclude = NULL;
    if (!skip) {
        s->running++;
        if (s->ts[index].started == 0) s->ts[index].started = started;
        exclude = exclusions(s, index, &nexclude);
    }
    pthread_mutex_unlock(&s->lock);

    kiln_task t = {.ctx = s->ctx,
                   .job = s->job,
                   .stage = s->stage,
                   .partition = partition,
                   .attempt = attempt,
                   .fetch_shuffle = -1,
                   .fetch_map = -1,
                   .exclude = exclude,
                   .nexclude = nexclude,
                   .executor = -1,
                   .executor_id = "driver",
                   .task_id = atomic_fetch_add(&s->ctx->next_task_id, 1)};
    kiln_buf result;
    kiln_buf_init(&result);
    int rc = KILN_OK;
    attempt_guard g = {.it = {guard_next, guard_close}, .s = s, .index = index};
    /* Only a result stage runs code of the caller's; map stages need no
     * guard (and have no fn). */
    part_result_fn fn = s->dep ? NULL : guard_fn;
    void *fn_arg = s->dep ? NULL : &g;
    task_launch launch = {.s = s, .speculative = speculative, .started = started};
    t.on_launch = post_task_start;
    t.launch_arg = &launch;
    if (!skip) {
        atomic_fetch_add(&s->ctx->task_attempts, 1);
        task_backend *b = s->ctx->backend;
        /* Tasks on this process's threads run on the driver: placed now.
         * A remote backend calls task_launched once it has a slot. */
        if (!b->ops->remote) task_launched(&t);
        rc = b->ops->run_task(b, &t, s->rdd, s->dep, fn, fn_arg, s->ship, &result);
        if (rc && !t.error) task_error(&t, rc, "%s", kiln_strerror(rc));
        if (rc && !g.cancelled && !job_cancelled(s->ctx, s->job))
            atomic_fetch_add(&s->ctx->failed_attempts, 1);
        /* Every end has its start, also when the backend failed before placing it. */
        task_launched(&t);
    }

    if (!skip && events_wanted(s->ctx))
        events_post(s->ctx, &(engine_event){.kind = EV_TASK_END,
                                            .job = s->job,
                                            .stage = s->stage,
                                            .partition = partition,
                                            .attempt = attempt,
                                            .speculative = speculative,
                                            .shuffle_map = s->dep != NULL,
                                            .executor = t.executor,
                                            .name = t.executor_id,
                                            .rc = rc,
                                            .message = t.error,
                                            /* from its launch (Spark's launchTime) */
                                            .duration = now_seconds() - launch.started,
                                            .result_bytes = (int64_t)result.len,
                                            .task_id = t.task_id,
                                            .stage_attempt = s->attempt,
                                            .metrics = &t.metrics,
                                            .accs = rc == KILN_OK ? t.accs : NULL,
                                            .naccs = rc == KILN_OK ? t.naccs : 0});
    pthread_mutex_lock(&s->lock);
    task_state *ts = &s->ts[index];
    ts->live--;
    if (!skip) {
        s->running--;
        if (ts->live == 0) ts->started = 0;
        check_cancelled(s);
        if (s->finished[index] || s->failed) {
            /* The partition is done (this attempt lost the race) or the stage
             * has failed (or been cancelled): nothing of this attempt counts. */
            if (!s->failed)
                LOG(LOG_DEBUG, "scheduler", "task %d.%d in stage %d lost the race (%s)",
                    t.partition, attempt, s->stage, rc ? "failed" : "succeeded");
        } else if (rc == KILN_OK) {
            s->finished[index] = true;
            s->done++;
            ts->duration = now_seconds() - started;
            if (speculative) atomic_fetch_add(&s->ctx->speculative_wins, 1);
            merge_accumulators(s->ctx, &t);
            if (s->results) {
                kiln_buf_release(&s->results[index]);
                s->results[index] = result;
                kiln_buf_init(&result);
            }
        } else if (t.fetch_map >= 0) {
            /* Not a task failure: the task reruns once the lost map output
             * has been recomputed (job_run's recovery loop). */
            LOG(LOG_WARN, "scheduler", "task %d.%d in stage %d: %s", t.partition, attempt, s->stage,
                t.error);
            note_lost(s, t.fetch_shuffle, t.fetch_map);
        } else {
            task_failed(s, &t, index, rc);
        }
    }
    bool last = --s->outstanding == 0 && s->abandoned;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (last) stage_free(s);
    kiln_buf_release(&result);
    free(t.error);
    free(t.accs);
    free(exclude);
}

/* Runs every unfinished task of the stage once (with retries on failure)
 * until all are done, one fails for good, or some lost map outputs. With
 * speculation it also copies stragglers, and returns as soon as every
 * partition has finished, leaving the losing attempts to end on their own;
 * once the job is cancelled it returns within about 100 ms (its wait's
 * period), leaving the running attempts likewise. */
void run_tasks(stage_run *s)
{
    kiln_context *ctx = s->ctx;
    double started = now_seconds();
    double *durations = s->spec ? malloc(sizeof(double) * ((size_t)s->ntasks + 1)) : NULL;
    long wait_ns = 100 * 1000000L;
    if (s->spec && ctx->spec_interval < 0.1) wait_ns = (long)(ctx->spec_interval * 1e9);
    if (wait_ns < 1000000L) wait_ns = 1000000L;
    double next_check = started + ctx->spec_interval;

    pthread_mutex_lock(&s->lock);
    check_cancelled(s);
    for (int i = 0; i < s->ntasks && !s->failed; i++)
        if (!s->finished[i] && task_submit(s, i, false)) s->failed = true;
    while (s->outstanding > 0) {
        if (s->spec && !s->failed && s->done == s->ntasks && s->in_caller == 0) break;
        if (check_cancelled(s) && s->in_caller == 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += wait_ns;
        while (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        double now = now_seconds();
        /* About every 100 ms, where the stage stands (the progress bar);
         * listeners must not call back into the scheduler. */
        if (events_wanted(ctx))
            events_post(ctx, &(engine_event){.kind = EV_STAGE_PROGRESS,
                                             .job = s->job,
                                             .stage = s->stage,
                                             .name = s->name,
                                             .tasks = s->ntasks,
                                             .done = s->done,
                                             .running = s->running});
        if (durations && !s->failed && now >= next_check) {
            speculate(s, durations);
            next_check = now + ctx->spec_interval;
        }
    }
    pthread_mutex_unlock(&s->lock);
    free(durations);
}
