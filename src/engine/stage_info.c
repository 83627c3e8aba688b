/*
 * engine/stage_info.c - Spark's stage numbering and the stage descriptions
 * posted on the event bus (engine.h, "Events"), for the DAG scheduler
 * (dag.c).
 *
 * As Spark's DAGScheduler, each shuffle's map side is one stage for the
 * life of the context (a later job that finds its outputs complete skips
 * it), with a number given the first time a job needs it; a result stage
 * gets a fresh number per job. Running a stage again (its outputs were
 * lost) is another attempt of the same stage. A job's stages are numbered
 * at its start, parents first, so every stage of a job is known before the
 * first runs: that is what EV_JOB_START lists.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/stage_info_int.h"

int stage_id_for_dep(kiln_context *ctx, int dep)
{
    pthread_mutex_lock(&ctx->lock);
    int id = -1;
    size_t need = (size_t)dep + 1;
    if (need > ctx->cap_dep_stage) {
        size_t cap = ctx->cap_dep_stage ? ctx->cap_dep_stage : 16;
        while (cap < need) cap *= 2;
        int *grown = realloc(ctx->dep_stage, cap * sizeof *grown);
        if (grown) {
            memset(grown + ctx->cap_dep_stage, 0, (cap - ctx->cap_dep_stage) * sizeof *grown);
            ctx->dep_stage = grown;
            ctx->cap_dep_stage = cap;
        }
    }
    if ((size_t)dep < ctx->cap_dep_stage) {
        if (ctx->dep_stage[dep] == 0) ctx->dep_stage[dep] = ctx->next_stage++ + 1;
        id = ctx->dep_stage[dep] - 1;
    } else {
        id = ctx->next_stage++; /* out of memory: a number of its own still */
    }
    pthread_mutex_unlock(&ctx->lock);
    return id;
}

int stage_id_new(kiln_context *ctx)
{
    pthread_mutex_lock(&ctx->lock);
    int id = ctx->next_stage++;
    pthread_mutex_unlock(&ctx->lock);
    return id;
}

int stage_next_attempt(kiln_context *ctx, int stage)
{
    pthread_mutex_lock(&ctx->lock);
    int attempt = 0;
    size_t need = (size_t)stage + 1;
    if (need > ctx->cap_stage_tries) {
        size_t cap = ctx->cap_stage_tries ? ctx->cap_stage_tries : 16;
        while (cap < need) cap *= 2;
        int *grown = realloc(ctx->stage_tries, cap * sizeof *grown);
        if (grown) {
            memset(grown + ctx->cap_stage_tries, 0, (cap - ctx->cap_stage_tries) * sizeof *grown);
            ctx->stage_tries = grown;
            ctx->cap_stage_tries = cap;
        }
    }
    if ((size_t)stage < ctx->cap_stage_tries) attempt = ctx->stage_tries[stage]++;
    pthread_mutex_unlock(&ctx->lock);
    return attempt;
}

/* Appends r and its narrow ancestors (not yet in d) to d's RDDs, and the
 * map stages of the shuffles they read to d's parents. */
static int collect(kiln_context *ctx, stage_desc *d, kiln_rdd *r)
{
    for (int i = 0; i < d->info.nrdds; i++)
        if (d->rdds[i].id == r->id) return KILN_OK;
    if (grow_for_one((void **)&d->rdds, (size_t)d->info.nrdds, &d->cap_rdds, sizeof *d->rdds, 4))
        return KILN_ENOMEM;
    int parent = r->nparents ? r->parents[0]->id : r->ndeps ? r->deps[0]->parent->id : -1;
    d->rdds[d->info.nrdds++] = (engine_rdd_info){.id = r->id,
                                                 .name = rdd_display_name(r),
                                                 .partitions = r->nparts,
                                                 .storage = r->storage,
                                                 .parent = parent};
    for (int i = 0; i < r->ndeps; i++) {
        if (grow_for_one((void **)&d->parents, (size_t)d->info.nparents, &d->cap_parents,
                         sizeof *d->parents, 2))
            return KILN_ENOMEM;
        d->parents[d->info.nparents++] = stage_id_for_dep(ctx, r->deps[i]->id);
    }
    for (int i = 0; i < r->nparents; i++) {
        int rc = collect(ctx, d, r->parents[i]);
        if (rc) return rc;
    }
    return KILN_OK;
}

int stage_desc_build(kiln_context *ctx, kiln_rdd *top, int id, int attempt, const char *name,
                     int tasks, stage_desc *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    int rc = collect(ctx, out, top);
    out->info.id = id;
    out->info.attempt = attempt;
    out->info.name = out->name;
    out->info.tasks = tasks;
    out->info.parents = out->parents;
    out->info.rdds = out->rdds;
    return rc;
}

void stage_desc_release(stage_desc *d)
{
    free(d->parents);
    free(d->rdds);
    memset(d, 0, sizeof *d);
}

void stage_map_name(const shuffle_dep *d, char *out, size_t size)
{
    snprintf(out, size, "shuffle map of %s #%d", d->parent->ops->name, d->parent->id);
}

/* Numbers the map stages r's tasks read, parents first (each shuffle once),
 * appending their descriptions to plan when it is set. */
static int plan_walk(kiln_context *ctx, kiln_rdd *r, bool *seen_dep, size_t nseen, job_plan *plan)
{
    for (int i = 0; i < r->ndeps; i++) {
        shuffle_dep *d = r->deps[i];
        if ((size_t)d->id < nseen) {
            if (seen_dep[d->id]) continue;
            seen_dep[d->id] = true;
        }
        int rc = plan_walk(ctx, d->parent, seen_dep, nseen, plan);
        if (rc) return rc;
        int id = stage_id_for_dep(ctx, d->id);
        if (plan) {
            if (grow_for_one((void **)&plan->stages, plan->n, &plan->cap, sizeof *plan->stages, 4))
                return KILN_ENOMEM;
            char name[96];
            stage_map_name(d, name, sizeof name);
            stage_desc *sd = &plan->stages[plan->n];
            rc = stage_desc_build(ctx, d->parent, id, 0, name, d->parent->nparts, sd);
            plan->n++;
            if (rc) return rc;
        }
    }
    for (int i = 0; i < r->nparents; i++) {
        int rc = plan_walk(ctx, r->parents[i], seen_dep, nseen, plan);
        if (rc) return rc;
    }
    return KILN_OK;
}

int job_plan_make(kiln_context *ctx, kiln_rdd *r, const char *name, int tasks, int result_stage,
                  job_plan *plan)
{
    pthread_mutex_lock(&ctx->lock);
    size_t nseen = (size_t)ctx->next_dep_id + 1;
    pthread_mutex_unlock(&ctx->lock);
    bool *seen = calloc(nseen, sizeof *seen);
    if (!seen) return KILN_ENOMEM;
    if (plan) memset(plan, 0, sizeof *plan);
    int rc = plan_walk(ctx, r, seen, nseen, plan);
    free(seen);
    if (rc || !plan) return rc;
    if (grow_for_one((void **)&plan->stages, plan->n, &plan->cap, sizeof *plan->stages, 1))
        return KILN_ENOMEM;
    rc = stage_desc_build(ctx, r, result_stage, 0, name, tasks, &plan->stages[plan->n]);
    plan->n++;
    if (rc) return rc;
    plan->infos = malloc(plan->n * sizeof *plan->infos);
    if (!plan->infos) return KILN_ENOMEM;
    for (size_t i = 0; i < plan->n; i++) {
        /* Each info names its stage_desc's own name, which moved when
         * plan->stages grew: point it there again. */
        plan->stages[i].info.name = plan->stages[i].name;
        plan->infos[i] = plan->stages[i].info;
    }
    return KILN_OK;
}

void job_plan_release(job_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) stage_desc_release(&plan->stages[i]);
    free(plan->stages);
    free(plan->infos);
    memset(plan, 0, sizeof *plan);
}
