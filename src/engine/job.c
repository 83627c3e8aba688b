/*
 * engine/job.c - the DAG scheduler and task runner for local mode.
 *
 * A job computes some partitions of a final RDD. Before its result stage
 * runs, every shuffle dependency reachable through narrow dependencies is
 * made complete: its map stage runs the missing map tasks (outputs that an
 * earlier job produced are reused). Cached RDDs with every partition present
 * stop the walk. Tasks run on the context's thread pool; a failed task is
 * retried up to kiln.master's F attempts, then the stage and job fail with a
 * message naming job, stage, partition, attempt and cause. With
 * kiln.speculation, stragglers get one copy each and the first attempt to
 * finish a partition wins (run_tasks, speculate, attempt_guard).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "engine/engine.h"

/* What the scheduler knows about one task (one partition) of a stage. */
typedef struct task_state {
    int next_attempt; /* the attempt number the next launch gets */
    int live;         /* attempts submitted and not yet ended (queued or running) */
    int failures;     /* failed attempts, counted against max_attempts */
    bool copied;      /* a speculative copy has been launched */
    double started;   /* when its oldest running attempt started; 0: none runs */
    double duration;  /* of the attempt that finished it */
} task_state;

/* A stage being run. It lives on the heap: with speculation, run_stage may
 * return while losing attempts still run, and the last of them frees it
 * (refs). Such attempts never touch what the caller owns (fn's arg,
 * results, parts): see run_task and guard_fn. */
typedef struct stage_run {
    kiln_context *ctx;
    int job, stage;
    const char *name; /* stage_run's own copy once running */
    kiln_rdd *rdd;    /* result stage: the final RDD; map stage: dep->parent */
    shuffle_dep *dep; /* map stage only */
    part_result_fn fn;
    void *arg;
    const shipped_action *ship; /* NULL: not runnable on executors; then our copy */
    kiln_buf *results;
    const int *parts; /* partition of each task */
    int ntasks;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done, running, outstanding;
    bool *finished;
    bool failed;
    char *fail_msg;
    int fail_part, fail_attempt, fail_rc;
    /* map outputs found lost by this run's tasks: (shuffle id, map) pairs */
    int (*lost)[2];
    size_t nlost, cap_lost;
    /* speculation */
    bool spec;
    task_state *ts;
    int in_caller; /* attempts now running the caller's fn (guard_fn) */
    bool abandoned; /* run_stage has returned: the last attempt frees the stage */
    shipped_action ship_copy;
    char name_copy[96];
} stage_run;

typedef struct task_ref {
    stage_run *s;
    int index, attempt;
    bool speculative;
} task_ref;

static void run_task(void *arg);

/* Queues an attempt of task index; caller holds s->lock (or is alone). */
static int submit(stage_run *s, int index, bool speculative)
{
    task_ref *tr = malloc(sizeof *tr);
    if (!tr) return KILN_ENOMEM;
    *tr = (task_ref){.s = s, .index = index, .attempt = s->ts[index].next_attempt,
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

/* Writes every combiner of m to the shuffle. */
static int write_combiners(shuffle_dep *d, agg_map *m, shuffle_writer *w)
{
    int rc = KILN_OK;
    kiln_value items[2];
    for (size_t i = 0; i < agg_map_size(m) && rc == KILN_OK; i++) {
        agg_entry *e = agg_map_at(m, i);
        items[0] = e->key;
        items[1] = e->val;
        kiln_value pair = kiln_tuple_ref(items, 2);
        rc = shuffle_writer_add(w, dep_partition(d, &e->key), &pair);
    }
    return rc;
}

/* Describes a record that is not a (key, value) pair. */
static int not_a_pair(kiln_task *t, shuffle_dep *d, const kiln_value *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_value_format(&b, v);
    int rc = task_error(t, KILN_ETYPE, "%s expects (key, value) pairs, got %.*s",
                        d->parent->ops->name, (int)(b.len > 200 ? 200 : b.len),
                        b.data ? (const char *)b.data : "");
    kiln_buf_release(&b);
    return rc;
}

/* Keeps the writer within the task's share of the memory budget: spills it
 * when it holds more, and keeps the budget's count up to date. */
static int account_writer(kiln_task *t, shuffle_writer *w, int64_t limit, int64_t *accounted)
{
    kiln_context *ctx = t->ctx;
    int64_t held = (int64_t)shuffle_writer_held(w);
    if (held > limit) {
        int rc = shuffle_writer_spill(w);
        if (rc) return task_error(t, rc, "%s", kiln_last_error());
        LOG(LOG_DEBUG, "shuffle", "task %d spilled %lld bytes of shuffle output", t->partition,
            (long long)held);
        mem_note_spill(ctx, held);
        held = (int64_t)shuffle_writer_held(w);
    }
    mem_track(ctx, accounted, held);
    return KILN_OK;
}

/* The map side of a shuffle: partitions (and optionally combines) the
 * parent's partition into the writer. */
int job_write_map_output(kiln_task *t, shuffle_dep *d, eng_iter *it, int map)
{
    kiln_context *ctx = t->ctx;
    shuffle_writer *w = shuffle_writer_open(ctx->shuffles, d->id, map);
    if (!w) return task_error(t, KILN_ENOMEM, "cannot open shuffle writer: %s", kiln_last_error());
    agg_map *m = d->has_agg ? agg_map_new() : NULL;
    /* The task's share of memory, split between the writer and the map; the
     * map's half includes the cache in front of it. */
    int64_t limit = m ? ctx->mem_task_share / 2 : ctx->mem_task_share;
    /* Plain reductions go through the cache first (see combine_cache.c). */
    bool cached = d->has_agg && !d->agg.create && !d->agg.zero;
    combine_cache *cache = cached ? combine_cache_new(limit / 4) : NULL;
    kiln_arena *scratch = cached ? kiln_arena_new() : NULL;
    int rc = KILN_OK;
    if (d->has_agg && (!m || (cached && (!cache || !scratch))))
        rc = task_error(t, KILN_ENOMEM, "out of memory");
    /* Round-robin start differs per map so small partitions spread evenly. */
    uint64_t rr = (uint64_t)map * 0x9E3779B97F4A7C15ull;
    const kiln_value *vals;
    size_t n;
    int64_t accounted = 0, map_accounted = 0; /* bytes of w and m in the budget */
    int64_t cache_bytes = cache ? (int64_t)combine_cache_bytes(cache) : 0;
    int64_t map_limit = limit - cache_bytes;
    mem_reserve(ctx, cache_bytes);
    while (rc == KILN_OK && (rc = it->next(it, t, &vals, &n)) > 0) {
        rc = account_writer(t, w, limit, &accounted);
        /* A map of combiners past the task's share goes to the shuffle as
         * partial results; the reduce side merges them (Spark's map-side
         * combine spills the same way, and zero values may count again). */
        if (rc == KILN_OK && m && (int64_t)agg_map_used_bytes(m) > map_limit) {
            mem_note_spill(ctx, (int64_t)agg_map_used_bytes(m));
            rc = write_combiners(d, m, w);
            agg_map_clear(m);
        }
        if (m) mem_track(ctx, &map_accounted, (int64_t)agg_map_bytes(m));
        if (rc) break;
        if (cache) {
            rc = combine_cache_add_batch(t, &d->agg, cache, m, scratch, vals, n);
            if (rc == KILN_ETYPE)
                for (size_t i = 0; i < n; i++)
                    if (!kiln_is_pair(&vals[i])) {
                        rc = not_a_pair(t, d, &vals[i]);
                        break;
                    }
            continue;
        }
        for (size_t i = 0; i < n && rc == KILN_OK; i++) {
            const kiln_value *v = &vals[i];
            if (d->part == DEP_ROUND_ROBIN) {
                rc = shuffle_writer_add(w, (int)(rr++ % (uint64_t)d->nreduce), v);
            } else if (!kiln_is_pair(v)) {
                rc = not_a_pair(t, d, v);
            } else if (m) {
                rc = agg_combine_value(t, &d->agg, m, v);
            } else {
                int rp = dep_partition(d, kiln_key(v));
                if (rp < 0 || rp >= d->nreduce)
                    rc = task_error(t, KILN_ERANGE, "partitioner returned %d for %d partitions",
                                    rp, d->nreduce);
                else
                    rc = shuffle_writer_add(w, rp, v);
            }
        }
    }
    mem_release(ctx, accounted + map_accounted);
    if (rc == KILN_OK && cache) rc = combine_cache_drain(t, &d->agg, cache, m);
    if (rc == KILN_OK && m) rc = write_combiners(d, m, w);
    combine_cache_free(cache);
    mem_release(ctx, cache_bytes);
    kiln_arena_free(scratch);
    agg_map_free(m);
    if (rc < 0) {
        shuffle_writer_abort(w);
        if (!t->error) task_error(t, rc, "shuffle write failed: %s", kiln_strerror(rc));
        return rc;
    }
    rc = shuffle_writer_commit(w);
    if (rc) task_error(t, rc, "%s", kiln_last_error());
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
        if (tot->type == KILN_INT)
            tot->u.i += d.type == KILN_INT ? d.u.i : (int64_t)d.u.d;
        else
            tot->u.d += d.type == KILN_INT ? (double)d.u.i : d.u.d;
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

/* ---- Attempts that may lose a race ------------------------------------------ */

/* With speculation, a result stage's fn runs behind this guard. While an
 * attempt runs the caller's fn (and may read its arg) it counts in
 * s->in_caller; it leaves that count while it pulls records from the RDD
 * (which reads only what the context owns: in local mode, a straggler waits
 * there). run_tasks returns only once every partition has finished and no
 * attempt is in the caller's code, and an attempt whose partition has
 * finished never enters it again: its next pull fails. */
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
        if (--s->in_caller == 0) pthread_cond_broadcast(&s->cond);
    } else if (enter && !g->in_caller) {
        if (s->finished[g->index]) {
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
    return task_error(t, KILN_ESTATE, "attempt %d of partition %d cancelled: another attempt "
                      "finished it", t->attempt, t->partition);
}

static int guard_next(eng_iter *it, kiln_task *t, const kiln_value **vals, size_t *n)
{
    attempt_guard *g = (attempt_guard *)it;
    guard_enter(g, false);
    int rc = g->inner->next(g->inner, t, vals, n);
    if (!guard_enter(g, true)) return cancelled(t);
    return rc;
}

static void guard_close(eng_iter *it) { (void)it; }

static int guard_fn(kiln_task *t, eng_iter *it, kiln_buf *out, void *arg)
{
    attempt_guard *g = arg;
    g->inner = it;
    if (!guard_enter(g, true)) return cancelled(t);
    int rc = g->s->fn(t, &g->it, out, g->s->arg);
    guard_enter(g, false);
    return rc;
}

static void stage_free(stage_run *s)
{
    free(s->fail_msg);
    free(s->finished);
    free(s->ts);
    free(s->lost);
    free((void *)s->ship_copy.wire);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

/* Records a failed attempt: reruns the task unless another attempt of it
 * still runs (that one may yet succeed) or it has failed max_attempts times.
 * Caller holds s->lock. */
static void task_failed(stage_run *s, kiln_task *t, int index, int rc)
{
    task_state *ts = &s->ts[index];
    LOG(LOG_WARN, "scheduler", "lost task %d.%d in stage %d: %s", t->partition, t->attempt,
        s->stage, t->error);
    ts->failures++;
    if (ts->live > 0) {
        LOG(LOG_INFO, "scheduler", "task %d in stage %d has another attempt running",
            t->partition, s->stage);
        return;
    }
    if (ts->failures < s->ctx->max_attempts) {
        if (submit(s, index, false) == KILN_OK) return;
    }
    s->failed = true;
    s->fail_msg = t->error;
    t->error = NULL;
    s->fail_part = t->partition;
    s->fail_attempt = t->attempt;
    s->fail_rc = rc < 0 ? rc : KILN_EUSER;
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
    bool skip = s->failed || s->finished[index];
    int partition = s->parts ? s->parts[index] : -1; /* caller's: read while it waits */
    if (!skip) {
        s->running++;
        if (s->ts[index].started == 0) s->ts[index].started = started;
    }
    pthread_mutex_unlock(&s->lock);

    kiln_task t = {.ctx = s->ctx, .job = s->job, .stage = s->stage, .partition = partition,
                   .attempt = attempt, .fetch_shuffle = -1, .fetch_map = -1};
    kiln_buf result;
    kiln_buf_init(&result);
    int rc = KILN_OK;
    attempt_guard g = {.it = {guard_next, guard_close}, .s = s, .index = index};
    /* Only a result stage runs code of the caller's; map stages need no guard. */
    part_result_fn fn = s->spec && !s->dep ? guard_fn : s->fn;
    void *fn_arg = s->spec && !s->dep ? (void *)&g : s->arg;
    if (!skip) {
        atomic_fetch_add(&s->ctx->task_attempts, 1);
        t.scratch = kiln_arena_new();
        eng_iter *it = s->ctx->cluster ? NULL : rdd_iterator(s->rdd, t.partition, &t);
        if (s->ctx->cluster) {
            rc = cluster_run_task(s->ctx->cluster, &t, s->rdd, s->dep, fn, fn_arg, s->ship,
                                  &result);
        } else if (!it) {
            rc = t.error ? KILN_EJOB : task_error(&t, KILN_ENOMEM, "out of memory");
        } else {
            rc = s->dep ? job_write_map_output(&t, s->dep, it, t.partition)
                        : fn(&t, it, &result, fn_arg);
            it->close(it);
        }
        if (rc && !t.error) task_error(&t, rc, "%s", kiln_strerror(rc));
        if (rc && !g.cancelled) atomic_fetch_add(&s->ctx->failed_attempts, 1);
        kiln_arena_free(t.scratch);
    }

    pthread_mutex_lock(&s->lock);
    task_state *ts = &s->ts[index];
    ts->live--;
    if (!skip) {
        s->running--;
        if (ts->live == 0) ts->started = 0;
        if (s->finished[index] || s->failed) {
            /* The partition is done (this attempt lost the race) or the stage
             * has failed: nothing of this attempt counts. */
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
            LOG(LOG_WARN, "scheduler", "task %d.%d in stage %d: %s", t.partition, attempt,
                s->stage, t.error);
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
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Launches one copy of each straggler (Spark's checkSpeculatableTasks):
 * once quantile x tasks have finished, a task running for longer than
 * max(multiplier x their median duration, minTaskRuntime) and not copied
 * yet gets a copy, while the pool has a thread free for it. Caller holds
 * s->lock. */
static void speculate(stage_run *s, double *durations)
{
    kiln_context *ctx = s->ctx;
    int need = (int)(ctx->spec_quantile * s->ntasks);
    if (need < 1) need = 1;
    if (s->done < need || s->done == s->ntasks) return;
    int n = 0;
    for (int i = 0; i < s->ntasks; i++)
        if (s->finished[i]) durations[n++] = s->ts[i].duration;
    qsort(durations, (size_t)n, sizeof *durations, cmp_double);
    double median = n % 2 ? durations[n / 2] : (durations[n / 2 - 1] + durations[n / 2]) / 2;
    double threshold = ctx->spec_multiplier * median;
    if (threshold < ctx->spec_min_runtime) threshold = ctx->spec_min_runtime;
    double now = now_seconds();
    int idle = -1; /* asked for only when there is a straggler */
    for (int i = 0; i < s->ntasks; i++) {
        task_state *ts = &s->ts[i];
        if (s->finished[i] || ts->copied || ts->started == 0 || now - ts->started <= threshold)
            continue;
        if (idle < 0) idle = pool_idle(ctx->pool);
        if (idle == 0) return;
        int attempt = ts->next_attempt;
        if (submit(s, i, true) != KILN_OK) return;
        idle--;
        ts->copied = true;
        atomic_fetch_add(&ctx->speculative_attempts, 1);
        LOG(LOG_INFO, "scheduler",
            "speculating task %d.%d in stage %d (running %.3f s, median %.3f s)", s->parts[i],
            attempt, s->stage, now - ts->started, median);
    }
}

/* Runs every unfinished task of the stage once (with retries on failure)
 * until all are done, one fails for good, or some lost map outputs. With
 * speculation it also copies stragglers, and returns as soon as every
 * partition has finished, leaving the losing attempts to end on their own. */
static void run_tasks(stage_run *s)
{
    kiln_context *ctx = s->ctx;
    double started = now_seconds();
    bool shown = false, tty = ctx->show_progress && isatty(2);
    double *durations = s->spec ? malloc(sizeof(double) * ((size_t)s->ntasks + 1)) : NULL;
    long wait_ns = 100 * 1000000L;
    if (s->spec && ctx->spec_interval < 0.1) wait_ns = (long)(ctx->spec_interval * 1e9);
    if (wait_ns < 1000000L) wait_ns = 1000000L;
    double next_check = started + ctx->spec_interval;

    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->ntasks && !s->failed; i++)
        if (!s->finished[i] && submit(s, i, false)) s->failed = true;
    while (s->outstanding > 0) {
        if (s->spec && !s->failed && s->done == s->ntasks && s->in_caller == 0) break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += wait_ns;
        while (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        double now = now_seconds();
        if (tty && now - started > 0.5) {
            progress_update(s->stage, s->done, s->running, s->ntasks, started);
            shown = true;
        }
        if (durations && !s->failed && now >= next_check) {
            speculate(s, durations);
            next_check = now + ctx->spec_interval;
        }
    }
    pthread_mutex_unlock(&s->lock);
    free(durations);
    if (shown) progress_clear();
}

static int ensure_parents(kiln_rdd *r, int job, bool *visited);

/* Stages are abandoned after this many fetch failures in a row (Spark's). */
enum { MAX_FETCH_ROUNDS = 4 };

/* Runs one stage to completion or failure. When tasks find map outputs of a
 * parent shuffle lost, those outputs are forgotten, the parent stages rerun
 * only the missing map tasks, and the unfinished tasks run again. */
static int run_stage(const stage_run *spec)
{
    kiln_context *ctx = spec->ctx;
    stage_run *s = malloc(sizeof *s);
    if (!s) return kiln_set_error(KILN_ENOMEM, "out of memory");
    *s = *spec;
    snprintf(s->name_copy, sizeof s->name_copy, "%s", spec->name);
    s->name = s->name_copy;
    s->spec = ctx->speculation;
    s->finished = calloc((size_t)s->ntasks + 1, sizeof *s->finished);
    s->ts = calloc((size_t)s->ntasks + 1, sizeof *s->ts);
    if (spec->ship && spec->ship->wire_len) {
        /* Our own copy: an attempt that outlives the stage may still send it. */
        void *wire = malloc(spec->ship->wire_len);
        if (wire) memcpy(wire, spec->ship->wire, spec->ship->wire_len);
        s->ship_copy = (shipped_action){spec->ship->remote, wire, wire ? spec->ship->wire_len : 0};
        s->ship = wire ? &s->ship_copy : NULL;
    } else if (spec->ship) {
        s->ship_copy = *spec->ship;
        s->ship = &s->ship_copy;
    }
    if (!s->finished || !s->ts || (spec->ship && !s->ship)) {
        free(s->finished);
        free(s->ts);
        free((void *)s->ship_copy.wire);
        free(s);
        return kiln_set_error(KILN_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    double started = now_seconds();
    int rc = KILN_OK;
    for (int round = 0;; round++) {
        pthread_mutex_lock(&ctx->lock);
        s->stage = ctx->next_stage++;
        pthread_mutex_unlock(&ctx->lock);
        LOG(LOG_INFO, "scheduler", "job %d: stage %d (%s) with %d tasks", s->job, s->stage,
            s->name, s->ntasks - s->done);
        s->nlost = 0;
        run_tasks(s);
        if (s->failed || s->nlost == 0) break;
        if (round + 1 >= MAX_FETCH_ROUNDS) {
            rc = kiln_set_error(KILN_EFETCH,
                                "job %d failed: stage %d (%s) abandoned after %d fetch failures "
                                "in a row (last: shuffle %d, map output %d)",
                                s->job, s->stage, s->name, MAX_FETCH_ROUNDS, s->lost[0][0],
                                s->lost[0][1]);
            break;
        }
        for (size_t i = 0; i < s->nlost; i++) {
            LOG(LOG_WARN, "scheduler", "recomputing map output %d of shuffle %d", s->lost[i][1],
                s->lost[i][0]);
            shuffle_invalidate(ctx->shuffles, s->lost[i][0], s->lost[i][1]);
        }
        bool *visited = calloc(rdd_id_bound(ctx) + 1, sizeof *visited);
        rc = visited ? ensure_parents(s->rdd, s->job, visited) : KILN_ENOMEM;
        free(visited);
        if (rc) break;
    }
    if (rc == KILN_OK && (s->failed || s->done < s->ntasks)) {
        rc = kiln_set_error(s->fail_rc ? s->fail_rc : KILN_EJOB,
                            "job %d failed: stage %d (%s), partition %d failed on attempt %d "
                            "of %d: %s",
                            s->job, s->stage, s->name, s->fail_part, s->fail_attempt + 1,
                            ctx->max_attempts, s->fail_msg ? s->fail_msg : "cancelled");
    }
    LOG(LOG_INFO, "scheduler", "stage %d finished in %.3f s (shuffle files %zu bytes)", s->stage,
        now_seconds() - started, shuffle_bytes(ctx->shuffles));
    /* Attempts still out (losers, with speculation) free the stage last. */
    pthread_mutex_lock(&s->lock);
    s->abandoned = true;
    s->parts = NULL;
    s->results = NULL;
    s->arg = NULL;
    bool last = s->outstanding == 0;
    pthread_mutex_unlock(&s->lock);
    if (last) stage_free(s);
    return rc;
}

/* Makes every map output of d present, running its parents first. */
static int ensure_shuffle(shuffle_dep *d, int job, bool *visited)
{
    kiln_context *ctx = d->parent->ctx;
    int nmaps = d->parent->nparts;
    int rc = shuffle_register(ctx->shuffles, d->id, nmaps, d->nreduce);
    if (rc) return rc;
    if (shuffle_complete(ctx->shuffles, d->id)) return KILN_OK;
    if ((rc = ensure_parents(d->parent, job, visited))) return rc;
    int *missing = malloc(sizeof(int) * (size_t)(nmaps + 1));
    if (!missing) return KILN_ENOMEM;
    int n = shuffle_missing(ctx->shuffles, d->id, missing);
    char name[96];
    snprintf(name, sizeof name, "shuffle map of %s #%d", d->parent->ops->name, d->parent->id);
    stage_run s = {.ctx = ctx, .job = job, .name = name, .rdd = d->parent, .dep = d,
                   .parts = missing, .ntasks = n};
    rc = n ? run_stage(&s) : KILN_OK;
    free(missing);
    return rc;
}

static bool fully_cached(kiln_rdd *r)
{
    if (r->storage == KILN_STORAGE_NONE) return false;
    return kiln_rdd_cached_partitions(r) == r->nparts;
}

static int ensure_parents(kiln_rdd *r, int job, bool *visited)
{
    if (visited[r->id]) return KILN_OK;
    visited[r->id] = true;
    if (fully_cached(r)) return KILN_OK;
    for (int i = 0; i < r->ndeps; i++) {
        int rc = ensure_shuffle(r->deps[i], job, visited);
        if (rc) return rc;
    }
    for (int i = 0; i < r->nparents; i++) {
        int rc = ensure_parents(r->parents[i], job, visited);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* The linker's bounds of the section; weak, so that a static link without
 * any listed action still links (nothing is then valid); hidden, so that
 * libkiln.so neither exports them nor uses another module's. */
extern const part_result_fn __start_kiln_shipped_actions[]
    __attribute__((weak, visibility("hidden")));
extern const part_result_fn __stop_kiln_shipped_actions[]
    __attribute__((weak, visibility("hidden")));

bool shipped_action_valid(part_result_fn fn)
{
    for (const part_result_fn *p = __start_kiln_shipped_actions; p < __stop_kiln_shipped_actions; p++)
        if (*p == fn) return true;
    return false;
}

int job_run(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
            kiln_buf *results, const char *action)
{
    return job_run_shipped(r, parts, nparts, fn, arg, NULL, results, action);
}

int job_run_shipped(kiln_rdd *r, const int *parts, int nparts, part_result_fn fn, void *arg,
                    const shipped_action *ship, kiln_buf *results, const char *action)
{
    kiln_context *ctx = r->ctx;
    pthread_mutex_lock(&ctx->lock);
    int job = ctx->next_job++;
    pthread_mutex_unlock(&ctx->lock);
    size_t nrdds = rdd_id_bound(ctx);
    int *all = NULL;
    if (!parts) {
        nparts = r->nparts;
        all = malloc(sizeof(int) * (size_t)(nparts + 1));
        if (!all) return kiln_set_error(KILN_ENOMEM, "out of memory");
        for (int i = 0; i < nparts; i++) all[i] = i;
        parts = all;
    }
    double started = now_seconds();
    bool *visited = calloc(nrdds + 1, sizeof *visited);
    int rc = visited ? ensure_parents(r, job, visited) : KILN_ENOMEM;
    free(visited);
    if (rc == KILN_OK && nparts > 0) {
        char name[96];
        snprintf(name, sizeof name, "%s at %s #%d", action, r->ops->name, r->id);
        stage_run s = {.ctx = ctx, .job = job, .name = name, .rdd = r, .fn = fn, .arg = arg,
                       .ship = ship, .results = results, .parts = parts, .ntasks = nparts};
        rc = run_stage(&s);
    }
    if (rc == KILN_ENOMEM) kiln_set_error(rc, "job %d (%s): out of memory", job, action);
    LOG(LOG_INFO, "scheduler", "job %d (%s) %s in %.3f s", job, action,
        rc ? "failed" : "finished", now_seconds() - started);
    free(all);
    return rc;
}
