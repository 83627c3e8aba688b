/*
 * engine/dag.c - the DAG scheduler: jobs, their stages and the shuffle
 * dependencies between them.
 *
 * A job computes some partitions of a final RDD. Before its result stage
 * runs, every shuffle dependency reachable through narrow dependencies is
 * made complete: its map stage runs the missing map tasks (outputs that an
 * earlier job produced are reused). Cached RDDs with every partition present
 * stop the walk. Tasks run on the context's thread pool; a failed task is
 * retried up to kiln.master's F attempts, then the stage and job fail with a
 * message naming job, stage, partition, attempt and cause. With
 * kiln.speculation, stragglers get one copy each and the first attempt to
 * finish a partition wins (run_tasks, speculate, attempt_guard). A
 * cancelled job (kiln_context_cancel_jobs, or its group's:
 * kiln_context_cancel_job_group) fails with "job J cancelled" as
 * soon as the stage running sees it (run_tasks); its later stages do not run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/scheduler_int.h"
#include "engine/stage_info_int.h"

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
    rdd_retain(stage_pin(s)); /* until the last attempt is out (stage_free) */
    double started = now_seconds();
    int rc = KILN_OK;
    for (int round = 0;; round++) {
        /* Each run is another attempt of the same stage, as Spark's. */
        s->attempt = stage_next_attempt(ctx, s->stage);
        LOG(LOG_INFO, "scheduler", "job %d: stage %d.%d (%s) with %d tasks", s->job, s->stage,
            s->attempt, s->name, s->ntasks - s->done);
        s->nlost = 0;
        double round_started = now_seconds();
        stage_desc sd = {0};
        bool wanted = events_wanted(ctx);
        if (wanted)
            (void)stage_desc_build(ctx, s->rdd, s->stage, s->attempt, s->name, s->ntasks - s->done,
                                   &sd);
        events_post(ctx, &(engine_event){.kind = EV_STAGE_START,
                                         .job = s->job,
                                         .stage = s->stage,
                                         .attempt = s->attempt,
                                         .name = s->name,
                                         .tasks = s->ntasks - s->done,
                                         .stages = wanted ? &sd.info : NULL,
                                         .nstages = wanted ? 1 : 0});
        run_tasks(s);
        pthread_mutex_lock(&s->lock);
        int done = s->done, failed = s->failed;
        char *why = failed && s->fail_msg ? strdup(s->fail_msg) : NULL;
        pthread_mutex_unlock(&s->lock);
        char lostmsg[128];
        if (!failed && s->nlost)
            snprintf(lostmsg, sizeof lostmsg, "fetch failed: map output %d of shuffle %d lost",
                     s->lost[0][1], s->lost[0][0]);
        events_post(ctx, &(engine_event){.kind = EV_STAGE_END,
                                         .job = s->job,
                                         .stage = s->stage,
                                         .attempt = s->attempt,
                                         .name = s->name,
                                         .tasks = done,
                                         .rc = failed     ? KILN_EJOB
                                               : s->nlost ? KILN_EFETCH
                                                          : KILN_OK,
                                         .message = failed     ? (why ? why : "failed")
                                                    : s->nlost ? lostmsg
                                                               : NULL,
                                         .stages = wanted ? &sd.info : NULL,
                                         .nstages = wanted ? 1 : 0,
                                         .duration = now_seconds() - round_started});
        free(why);
        stage_desc_release(&sd);
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
    if (rc == KILN_OK && s->cancelled) {
        rc = kiln_set_error(KILN_EJOB, "job %d cancelled", s->job);
    } else if (rc == KILN_OK && (s->failed || s->done < s->ntasks)) {
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
    stage_map_name(d, name, sizeof name);
    stage_run s = {.ctx = ctx,
                   .job = job,
                   .stage = stage_id_for_dep(ctx, d->id),
                   .name = name,
                   .rdd = d->parent,
                   .dep = d,
                   .parts = missing,
                   .ntasks = n};
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
    for (const part_result_fn *p = __start_kiln_shipped_actions; p < __stop_kiln_shipped_actions;
         p++)
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
    rdd_retain(r); /* r and its lineage outlive the job, even if the handle is freed meanwhile */
    char name[96];
    snprintf(name, sizeof name, "%s at %s #%d", action, r->ops->name, r->id);
    /* Stage ids as Spark gives them: the map stages first, then this job's
     * result stage; the job's listeners get them all. */
    bool wanted = events_wanted(ctx);
    job_plan plan = {0};
    (void)job_plan_make(ctx, r, name, nparts, -1, NULL);
    int result_stage = stage_id_new(ctx);
    if (wanted && job_plan_make(ctx, r, name, nparts, result_stage, &plan) != KILN_OK)
        job_plan_release(&plan);
    const char *const *props;
    int nprops;
    bool grouped = local_props_job_begin(ctx, job, &props, &nprops);
    events_post(ctx, &(engine_event){.kind = EV_JOB_START,
                                     .job = job,
                                     .name = action,
                                     .sql_execution = sql_execution_current(),
                                     .stages = plan.infos,
                                     .nstages = plan.infos ? (int)plan.n : 0,
                                     .props = props,
                                     .nprops = nprops});
    job_plan_release(&plan);
    bool *visited = calloc(nrdds + 1, sizeof *visited);
    int rc = visited ? ensure_parents(r, job, visited) : KILN_ENOMEM;
    free(visited);
    if (rc == KILN_OK && nparts > 0) {
        stage_run s = {.ctx = ctx,
                       .job = job,
                       .stage = result_stage,
                       .name = name,
                       .rdd = r,
                       .fn = fn,
                       .arg = arg,
                       .ship = ship,
                       .results = results,
                       .parts = parts,
                       .ntasks = nparts};
        rc = run_stage(&s);
    }
    if (rc == KILN_ENOMEM) kiln_set_error(rc, "job %d (%s): out of memory", job, action);
    LOG(LOG_INFO, "scheduler", "job %d (%s) %s in %.3f s", job, action, rc ? "failed" : "finished",
        now_seconds() - started);
    events_post(ctx, &(engine_event){.kind = EV_JOB_END,
                                     .job = job,
                                     .name = action,
                                     .rc = rc,
                                     .message = rc ? kiln_last_error() : NULL,
                                     .duration = now_seconds() - started});
    if (grouped) local_props_job_end(ctx, job);
    free(all);
    rdd_release(r);
    return rc;
}
