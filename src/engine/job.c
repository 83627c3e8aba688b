/*
 * engine/job.c - the DAG scheduler and task runner for local mode.
 *
 * A job computes some partitions of a final RDD. Before its result stage
 * runs, every shuffle dependency reachable through narrow dependencies is
 * made complete: its map stage runs the missing map tasks (outputs that an
 * earlier job produced are reused). Cached RDDs with every partition present
 * stop the walk. Tasks run on the context's thread pool; a failed task is
 * retried up to kiln.master's F attempts, then the stage and job fail with a
 * message naming job, stage, partition, attempt and cause.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "engine/engine.h"

typedef struct stage_run {
    kiln_context *ctx;
    int job, stage;
    const char *name;
    kiln_rdd *rdd;    /* result stage: the final RDD; map stage: dep->parent */
    shuffle_dep *dep; /* map stage only */
    part_result_fn fn;
    void *arg;
    const shipped_action *ship; /* NULL: not runnable on executors */
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
} stage_run;

typedef struct task_ref {
    stage_run *s;
    int index, attempt;
} task_ref;

static void run_task(void *arg);

static int submit(stage_run *s, int index, int attempt)
{
    task_ref *tr = malloc(sizeof *tr);
    if (!tr) return KILN_ENOMEM;
    *tr = (task_ref){.s = s, .index = index, .attempt = attempt};
    s->outstanding++;
    int rc = pool_submit(s->ctx->pool, run_task, tr);
    if (rc) {
        s->outstanding--;
        free(tr);
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

static void run_task(void *arg)
{
    task_ref *tr = arg;
    stage_run *s = tr->s;
    int index = tr->index, attempt = tr->attempt;
    free(tr);

    pthread_mutex_lock(&s->lock);
    bool skip = s->failed || s->finished[index];
    if (!skip) s->running++;
    pthread_mutex_unlock(&s->lock);

    kiln_task t = {.ctx = s->ctx, .job = s->job, .stage = s->stage,
                   .partition = s->parts[index], .attempt = attempt, .fetch_shuffle = -1,
                   .fetch_map = -1};
    kiln_buf result;
    kiln_buf_init(&result);
    int rc = KILN_OK;
    if (!skip) {
        atomic_fetch_add(&s->ctx->task_attempts, 1);
        t.scratch = kiln_arena_new();
        eng_iter *it = s->ctx->cluster ? NULL : rdd_iterator(s->rdd, t.partition, &t);
        if (s->ctx->cluster) {
            rc = cluster_run_task(s->ctx->cluster, &t, s->rdd, s->dep, s->fn, s->arg, s->ship,
                                  &result);
        } else if (!it) {
            rc = t.error ? KILN_EJOB : task_error(&t, KILN_ENOMEM, "out of memory");
        } else {
            rc = s->dep ? job_write_map_output(&t, s->dep, it, t.partition)
                        : s->fn(&t, it, &result, s->arg);
            it->close(it);
        }
        if (rc && !t.error) task_error(&t, rc, "%s", kiln_strerror(rc));
        if (rc) atomic_fetch_add(&s->ctx->failed_attempts, 1);
        kiln_arena_free(t.scratch);
    }

    pthread_mutex_lock(&s->lock);
    if (!skip) {
        s->running--;
        if (rc == KILN_OK && !s->finished[index] && !s->failed) {
            s->finished[index] = true;
            s->done++;
            merge_accumulators(s->ctx, &t);
            if (s->results) {
                kiln_buf_release(&s->results[index]);
                s->results[index] = result;
                kiln_buf_init(&result);
            }
        } else if (rc != KILN_OK && t.fetch_map >= 0) {
            /* Not a task failure: the task reruns once the lost map output
             * has been recomputed (job_run's recovery loop). */
            LOG(LOG_WARN, "scheduler", "task %d.%d in stage %d: %s", t.partition, attempt,
                s->stage, t.error);
            note_lost(s, t.fetch_shuffle, t.fetch_map);
        } else if (rc != KILN_OK && !s->failed) {
            LOG(LOG_WARN, "scheduler", "lost task %d.%d in stage %d: %s", t.partition, attempt,
                s->stage, t.error);
            if (attempt + 1 < s->ctx->max_attempts) {
                if (submit(s, index, attempt + 1)) s->failed = true;
            } else {
                s->failed = true;
            }
            if (s->failed) {
                s->fail_msg = t.error;
                t.error = NULL;
                s->fail_part = t.partition;
                s->fail_attempt = attempt;
                s->fail_rc = rc < 0 ? rc : KILN_EUSER;
            }
        }
    }
    s->outstanding--;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    kiln_buf_release(&result);
    free(t.error);
    free(t.accs);
}

/* Runs every unfinished task of the stage once (with retries on failure)
 * until all are done, one fails for good, or some lost map outputs. */
static void run_tasks(stage_run *s)
{
    kiln_context *ctx = s->ctx;
    double started = now_seconds();
    bool shown = false, tty = ctx->show_progress && isatty(2);

    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->ntasks && !s->failed; i++)
        if (!s->finished[i] && submit(s, i, 0)) s->failed = true;
    while (s->outstanding > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        if (tty && now_seconds() - started > 0.5) {
            progress_update(s->stage, s->done, s->running, s->ntasks, started);
            shown = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (shown) progress_clear();
}

static int ensure_parents(kiln_rdd *r, int job, bool *visited);

/* Stages are abandoned after this many fetch failures in a row (Spark's). */
enum { MAX_FETCH_ROUNDS = 4 };

/* Runs one stage to completion or failure. When tasks find map outputs of a
 * parent shuffle lost, those outputs are forgotten, the parent stages rerun
 * only the missing map tasks, and the unfinished tasks run again. */
static int run_stage(stage_run *s)
{
    kiln_context *ctx = s->ctx;
    s->finished = calloc((size_t)s->ntasks + 1, sizeof *s->finished);
    if (!s->finished) return kiln_set_error(KILN_ENOMEM, "out of memory");
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
    free(s->fail_msg);
    free(s->finished);
    free(s->lost);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
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
 * any listed action still links (nothing is then valid). */
extern const part_result_fn __start_kiln_shipped_actions[] __attribute__((weak));
extern const part_result_fn __stop_kiln_shipped_actions[] __attribute__((weak));

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
