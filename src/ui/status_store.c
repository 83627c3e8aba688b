/*
 * ui/status_store.c - the status store (ui_status.h), Spark's
 * AppStatusListener and AppStatusStore in one: events in, a model of the
 * application out, under one lock. Events arrive on scheduler and task
 * threads (or from replay.c); each takes the lock once, finds what it
 * updates by id (jobs and stages are few and searched from the newest;
 * tasks of a stage are in launch order, so by task id, and found by
 * binary search) and returns. Memory is bounded as Spark's: past
 * kiln.ui.retainedJobs / retainedStages the oldest finished ones go, past
 * retainedTasks a stage forgets its oldest finished tasks (a tenth at a
 * time, so the cost is amortised), past retainedDeadExecutors the oldest
 * dead executors go.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/conf.h"
#include "ui/ui_status.h"

int64_t ui_ms(double wall)
{
    return llround(wall * 1000.0);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void ui_sort_i64(int64_t *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, cmp_i64);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int conf_int(const kiln_conf *c, const char *key, int dflt)
{
    const char *v = c ? kiln_conf_get(c, key) : NULL;
    int64_t x;
    if (!v || parse_int64(v, &x) != 0 || x < 0 || x > (1 << 30)) return dflt;
    return (int)x;
}

ui_store *ui_store_new(const kiln_conf *conf)
{
    ui_store *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->lim.jobs = conf_int(conf, "kiln.ui.retainedJobs", 1000);
    s->lim.stages = conf_int(conf, "kiln.ui.retainedStages", 1000);
    s->lim.tasks_per_stage = conf_int(conf, "kiln.ui.retainedTasks", 100000);
    s->lim.dead_executors = conf_int(conf, "kiln.ui.retainedDeadExecutors", 100);
    s->lim.executions = conf_int(conf, "kiln.sql.ui.retainedExecutions", 1000);
    return s;
}

static void job_release(ui_job *j)
{
    free(j->name);
    free(j->description);
    free(j->group);
    free(j->stages);
    free(j->error);
}

static void stage_release(ui_stage *st)
{
    free(st->name);
    free(st->parents);
    free(st->rdds);
    free(st->failure);
    for (size_t i = 0; i < st->ntasks; i++) free(st->tasks[i].error);
    free(st->tasks);
}

static void exec_release(ui_executor *x)
{
    free(x->host);
    free(x->remove_reason);
}

void ui_store_free(void *arg)
{
    ui_store *s = arg;
    if (!s) return;
    for (size_t i = 0; i < s->njobs; i++) job_release(&s->jobs[i]);
    for (size_t i = 0; i < s->nstages; i++) stage_release(&s->stages[i]);
    for (size_t i = 0; i < s->nexecs; i++) exec_release(&s->execs[i]);
    for (size_t i = 0; i < s->nrdds; i++) {
        free(s->rdds[i].name);
        free(s->rdds[i].blocks);
    }
    for (size_t i = 0; i < s->nenv; i++) {
        free(s->env[i].key);
        free(s->env[i].value);
        free(s->env[i].source);
    }
    ui_sql_release_all(s);
    free(s->env);
    free(s->jobs);
    free(s->stages);
    free(s->execs);
    free(s->rdds);
    free(s->app_name);
    free(s->app_id);
    free(s->user);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* ---- Lookups ------------------------------------------------------------------------ */

ui_job *ui_store_job(ui_store *s, int id)
{
    size_t lo = 0, hi = s->njobs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->jobs[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->njobs && s->jobs[lo].id == id ? &s->jobs[lo] : NULL;
}

ui_stage *ui_store_stage(ui_store *s, int id, int attempt)
{
    for (size_t i = s->nstages; i-- > 0;)
        if (s->stages[i].id == id && (attempt < 0 || s->stages[i].attempt == attempt))
            return &s->stages[i];
    return NULL;
}

ui_rdd *ui_store_rdd(ui_store *s, int id)
{
    for (size_t i = 0; i < s->nrdds; i++)
        if (s->rdds[i].id == id) return &s->rdds[i];
    return NULL;
}

static ui_task *stage_task(ui_stage *st, int64_t task_id)
{
    size_t lo = 0, hi = st->ntasks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (st->tasks[mid].task_id < task_id) lo = mid + 1;
        else hi = mid;
    }
    return lo < st->ntasks && st->tasks[lo].task_id == task_id ? &st->tasks[lo] : NULL;
}

/* The executor named id, added (active, no details) when first seen. */
static int exec_index(ui_store *s, const char *id)
{
    if (!id) return -1;
    for (size_t i = s->nexecs; i-- > 0;)
        if (strcmp(s->execs[i].id, id) == 0) return (int)i;
    if (grow_for_one((void **)&s->execs, s->nexecs, &s->cap_execs, sizeof *s->execs, 4)) return -1;
    ui_executor *x = &s->execs[s->nexecs];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", id);
    x->active = true;
    return (int)s->nexecs++;
}

/* ---- Retention ---------------------------------------------------------------------- */

static void trim_jobs(ui_store *s)
{
    while (s->njobs > (size_t)s->lim.jobs) {
        size_t i = 0;
        while (i < s->njobs && s->jobs[i].state == UI_RUNNING) i++;
        if (i == s->njobs) return;
        job_release(&s->jobs[i]);
        memmove(&s->jobs[i], &s->jobs[i + 1], (s->njobs - i - 1) * sizeof *s->jobs);
        s->njobs--;
        s->dropped_jobs++;
    }
}

static void trim_stages(ui_store *s)
{
    while (s->nstages > (size_t)s->lim.stages) {
        size_t i = 0;
        while (i < s->nstages && (s->stages[i].state == UI_RUNNING)) i++;
        if (i == s->nstages) return;
        stage_release(&s->stages[i]);
        memmove(&s->stages[i], &s->stages[i + 1], (s->nstages - i - 1) * sizeof *s->stages);
        s->nstages--;
        s->dropped_stages++;
    }
}

/* Past the limit, forgets the oldest finished tasks: at least a tenth of
 * the limit at once, so a stage of a million tasks compacts rarely. */
static void trim_tasks(ui_store *s, ui_stage *st)
{
    size_t lim = (size_t)s->lim.tasks_per_stage;
    if (st->ntasks <= lim) return;
    size_t drop = st->ntasks - lim, tenth = lim / 10;
    if (drop < tenth) drop = tenth;
    size_t k = 0;
    for (size_t i = 0; i < st->ntasks; i++) {
        ui_task *t = &st->tasks[i];
        if (drop > 0 && t->state != UI_RUNNING) {
            free(t->error);
            drop--;
            st->dropped_tasks++;
            continue;
        }
        st->tasks[k++] = *t;
    }
    st->ntasks = k;
}

static void trim_execs(ui_store *s)
{
    size_t dead = 0;
    for (size_t i = 0; i < s->nexecs; i++) dead += !s->execs[i].active;
    while (dead > (size_t)s->lim.dead_executors) {
        int64_t oldest = 0;
        size_t at = s->nexecs;
        for (size_t i = 0; i < s->nexecs; i++)
            if (!s->execs[i].active && (at == s->nexecs || s->execs[i].removed < oldest)) {
                at = i;
                oldest = s->execs[i].removed;
            }
        /* Tasks name executors by index: keep the slot, clear it. */
        ui_executor *x = &s->execs[at];
        exec_release(x);
        memset(x, 0, sizeof *x);
        snprintf(x->id, sizeof x->id, "(dropped)");
        x->removed = -1;
        x->active = true; /* not counted as dead again; hidden by its id */
        dead--;
        s->dropped_executors++;
    }
}

/* ---- Events ------------------------------------------------------------------------- */

static void note_rdds(ui_store *s, const engine_stage_info *si)
{
    for (int i = 0; i < si->nrdds; i++) {
        const engine_rdd_info *ri = &si->rdds[i];
        if (ri->storage == KILN_STORAGE_NONE) continue;
        ui_rdd *r = ui_store_rdd(s, ri->id);
        if (!r) {
            if (grow_for_one((void **)&s->rdds, s->nrdds, &s->cap_rdds, sizeof *s->rdds, 4))
                continue;
            r = &s->rdds[s->nrdds++];
            memset(r, 0, sizeof *r);
            r->id = ri->id;
        }
        /* The latest name: a program may rename an RDD (kiln_rdd_set_name). */
        if (ri->name && (!r->name || strcmp(r->name, ri->name) != 0)) {
            free(r->name);
            r->name = strdup(ri->name);
        }
        r->partitions = ri->partitions;
        r->storage = ri->storage;
    }
}

/* The stage of si, made (pending) when new. */
static ui_stage *stage_get(ui_store *s, const engine_stage_info *si, int job)
{
    ui_stage *st = ui_store_stage(s, si->id, si->attempt);
    if (st) return st;
    if (grow_for_one((void **)&s->stages, s->nstages, &s->cap_stages, sizeof *s->stages, 16))
        return NULL;
    st = &s->stages[s->nstages++];
    memset(st, 0, sizeof *st);
    st->id = si->id;
    st->attempt = si->attempt;
    st->job = job;
    st->name = dup_or_null(si->name);
    st->num_tasks = si->tasks;
    st->state = UI_PENDING;
    if (si->nparents && (st->parents = malloc(sizeof(int) * (size_t)si->nparents))) {
        memcpy(st->parents, si->parents, sizeof(int) * (size_t)si->nparents);
        st->nparents = si->nparents;
    }
    if (si->nrdds && (st->rdds = malloc(sizeof(int) * (size_t)si->nrdds))) {
        for (int i = 0; i < si->nrdds; i++) st->rdds[i] = si->rdds[i].id;
        st->nrdds = si->nrdds;
    }
    note_rdds(s, si);
    return st;
}

static void job_start(ui_store *s, const engine_event *e, double wall)
{
    if (ui_store_job(s, e->job)) return;
    if (grow_for_one((void **)&s->jobs, s->njobs, &s->cap_jobs, sizeof *s->jobs, 16)) return;
    /* Jobs start in id order, but keep the array sorted whatever comes. */
    size_t at = s->njobs;
    while (at > 0 && s->jobs[at - 1].id > e->job) at--;
    memmove(&s->jobs[at + 1], &s->jobs[at], (s->njobs - at) * sizeof *s->jobs);
    s->njobs++;
    ui_job *j = &s->jobs[at];
    memset(j, 0, sizeof *j);
    j->id = e->job;
    j->name = dup_or_null(e->name);
    /* Spark's JobData description and jobGroup: the job's properties; a
     * job of an SQL execution without one is described by the query. */
    const char *desc = engine_event_prop(e, "spark.job.description");
    const ui_sql *x = !desc && e->sql_execution >= 0 ? ui_store_sql(s, e->sql_execution) : NULL;
    j->description = dup_or_null(desc ? desc : x && x->desc && *x->desc ? x->desc : NULL);
    j->group = dup_or_null(engine_event_prop(e, "spark.jobGroup.id"));
    j->submitted = ui_ms(wall);
    j->state = UI_RUNNING;
    if (e->nstages > 0 && (j->stages = malloc(sizeof(int) * (size_t)e->nstages))) {
        j->nstages = e->nstages;
        for (int i = 0; i < e->nstages; i++) {
            j->stages[i] = e->stages[i].id;
            j->num_tasks += e->stages[i].tasks;
            ui_stage *st = ui_store_stage(s, e->stages[i].id, -1);
            if (!st) (void)stage_get(s, &e->stages[i], e->job);
        }
    }
    trim_jobs(s);
    trim_stages(s);
}

static void job_end(ui_store *s, const engine_event *e, double wall)
{
    ui_job *j = ui_store_job(s, e->job);
    if (!j) return;
    j->completed = ui_ms(wall);
    j->state = e->rc == KILN_OK ? UI_SUCCEEDED : UI_FAILED;
    if (e->rc && e->message && !j->error) j->error = strdup(e->message);
    /* Stages of the job that never ran were skipped (their outputs were
     * there), or, when the job failed, they stay pending as in Spark. */
    for (int i = 0; i < j->nstages; i++) {
        ui_stage *st = ui_store_stage(s, j->stages[i], -1);
        if (!st || st->state != UI_PENDING) continue;
        if (e->rc == KILN_OK) {
            st->state = UI_SKIPPED;
            j->stages_skipped++;
            j->skipped_tasks += st->num_tasks;
        }
    }
    trim_jobs(s);
}

static void stage_start(ui_store *s, const engine_event *e, double wall)
{
    engine_stage_info one = {.id = e->stage,
                             .attempt = e->attempt,
                             .name = e->name,
                             .tasks = e->tasks};
    const engine_stage_info *si = e->nstages ? &e->stages[0] : &one;
    int job = e->job;
    if (job < 0) { /* a log's later attempt: the job of the first */
        ui_stage *prev = ui_store_stage(s, e->stage, -1);
        job = prev ? prev->job : -1;
    }
    ui_stage *st = stage_get(s, si, job);
    if (!st) return;
    /* A pending stage listed by the job, or a later attempt: runs now. */
    st->state = UI_RUNNING;
    st->submitted = ui_ms(wall);
    st->num_tasks = e->tasks;
    st->job = job;
    ui_job *j = ui_store_job(s, job);
    if (j) {
        j->stages_active++;
        bool listed = false;
        for (int i = 0; i < j->nstages; i++) listed |= j->stages[i] == e->stage;
        if (!listed) { /* a job posted with no stage list (replay of a short log) */
            int *g = realloc(j->stages, sizeof(int) * (size_t)(j->nstages + 1));
            if (g) {
                j->stages = g;
                j->stages[j->nstages++] = e->stage;
                j->num_tasks += e->tasks;
            }
        }
    }
    trim_stages(s);
}

static void stage_end(ui_store *s, const engine_event *e, double wall)
{
    ui_stage *st = ui_store_stage(s, e->stage, e->attempt);
    if (!st) return;
    st->completed = ui_ms(wall);
    st->state = e->rc == KILN_OK ? UI_SUCCEEDED : UI_FAILED;
    if (e->rc && e->message && !st->failure) st->failure = strdup(e->message);
    ui_job *j = ui_store_job(s, st->job);
    if (j) {
        if (j->stages_active > 0) j->stages_active--;
        if (e->rc == KILN_OK) j->stages_complete++;
        else j->stages_failed++;
    }
    trim_stages(s);
}

static void task_start(ui_store *s, const engine_event *e, double wall)
{
    ui_stage *st = ui_store_stage(s, e->stage, e->stage_attempt);
    if (!st) return;
    if (grow_for_one((void **)&st->tasks, st->ntasks, &st->cap_tasks, sizeof *st->tasks, 16))
        return;
    /* Launch order is task id order but for threads racing to post. */
    size_t at = st->ntasks;
    while (at > 0 && st->tasks[at - 1].task_id > e->task_id) at--;
    memmove(&st->tasks[at + 1], &st->tasks[at], (st->ntasks - at) * sizeof *st->tasks);
    st->ntasks++;
    ui_task *t = &st->tasks[at];
    memset(t, 0, sizeof *t);
    t->task_id = e->task_id;
    t->index = e->partition;
    t->attempt = e->attempt;
    t->executor = -1;
    t->state = UI_RUNNING;
    t->speculative = e->speculative;
    t->launch = ui_ms(wall);
    if (e->name && *e->name) { /* placed: running there */
        t->executor = exec_index(s, e->name);
        if (t->executor >= 0) s->execs[t->executor].active_tasks++;
    }
    st->active++;
    ui_job *j = ui_store_job(s, st->job);
    if (j) j->active++;
    trim_tasks(s, st);
}

static void task_end(ui_store *s, const engine_event *e, double wall)
{
    ui_stage *st = ui_store_stage(s, e->stage, e->stage_attempt);
    if (!st) return;
    ui_task *t = stage_task(st, e->task_id);
    if (!t) { /* its start was not seen (a log cut at its head): make it now */
        engine_event st_ev = *e;
        task_start(s, &st_ev, wall - e->duration);
        if (!(t = stage_task(st, e->task_id))) return;
    }
    if (t->state != UI_RUNNING) return;
    bool ok = e->rc == KILN_OK;
    bool killed = e->rc == KILN_EJOB && e->message && strstr(e->message, "cancelled");
    t->state = ok ? UI_SUCCEEDED : killed ? UI_KILLED : UI_FAILED;
    /* Both ends from this event, as the event log records them. */
    t->launch = ui_ms(wall - e->duration);
    t->duration = ui_ms(wall) - t->launch;
    if (t->executor >= 0 && s->execs[t->executor].active_tasks > 0)
        s->execs[t->executor].active_tasks--;
    t->executor = exec_index(s, e->name);
    if (!ok && e->message) t->error = strdup(e->message);
    if (e->metrics) t->m = *e->metrics;
    if (st->active > 0) st->active--;
    if (ok) st->complete++;
    else if (killed) st->killed++;
    else st->failed++;
    task_metrics_add(&st->sum, &t->m);
    ui_job *j = ui_store_job(s, st->job);
    if (j) {
        if (j->active > 0) j->active--;
        if (ok) j->complete++;
        else if (killed) j->killed++;
        else j->failed++;
    }
    if (t->executor >= 0) {
        ui_executor *x = &s->execs[t->executor];
        if (ok) x->completed_tasks++;
        else x->failed_tasks++;
        x->total_duration += t->duration;
        x->input_bytes += t->m.input_bytes;
        x->shuffle_read += t->m.sr_local_bytes + t->m.sr_remote_bytes;
        x->shuffle_write += t->m.sw_bytes;
    }
}

static void exec_added(ui_store *s, const engine_event *e, double wall)
{
    int i = exec_index(s, e->name);
    if (i < 0) return;
    ui_executor *x = &s->execs[i];
    free(x->host);
    x->host = dup_or_null(e->host ? e->host : e->message);
    x->cores = e->cores ? e->cores : e->tasks;
    x->max_memory = e->memory;
    x->active = true;
    x->added = ui_ms(wall);
}

static void exec_lost(ui_store *s, const engine_event *e, double wall)
{
    int i = exec_index(s, e->name);
    if (i < 0) return;
    ui_executor *x = &s->execs[i];
    x->active = false;
    x->removed = ui_ms(wall);
    free(x->remove_reason);
    x->remove_reason = dup_or_null(e->message);
    /* Its cached blocks went with it. */
    for (size_t r = 0; r < s->nrdds; r++) {
        ui_rdd *rd = &s->rdds[r];
        size_t k = 0;
        for (size_t b = 0; b < rd->nblocks; b++)
            if (rd->blocks[b].executor != i) rd->blocks[k++] = rd->blocks[b];
        rd->nblocks = k;
    }
    trim_execs(s);
}

static void block_updated(ui_store *s, const engine_event *e)
{
    ui_rdd *r = ui_store_rdd(s, e->rdd);
    if (!r) {
        if (grow_for_one((void **)&s->rdds, s->nrdds, &s->cap_rdds, sizeof *s->rdds, 4)) return;
        r = &s->rdds[s->nrdds++];
        memset(r, 0, sizeof *r);
        r->id = e->rdd;
        r->storage = e->storage;
    }
    if (e->storage != KILN_STORAGE_NONE) r->storage = e->storage;
    int x = exec_index(s, e->name ? e->name : "driver");
    for (size_t b = 0; b < r->nblocks; b++)
        if (r->blocks[b].part == e->part && r->blocks[b].executor == x) return;
    if (grow_for_one((void **)&r->blocks, r->nblocks, &r->cap_blocks, sizeof *r->blocks, 8)) return;
    r->blocks[r->nblocks++] = (ui_block){.part = e->part,
                                         .executor = x,
                                         .memory = e->bytes,
                                         .disk = e->disk_bytes};
    if (x >= 0) {
        s->execs[x].rdd_blocks++;
        s->execs[x].disk_used += e->disk_bytes;
        s->execs[x].memory_used += e->bytes;
    }
}

static void unpersist(ui_store *s, const engine_event *e)
{
    for (size_t i = 0; i < s->nrdds; i++) {
        if (s->rdds[i].id != e->rdd) continue;
        for (size_t b = 0; b < s->rdds[i].nblocks; b++) {
            ui_block *bl = &s->rdds[i].blocks[b];
            if (bl->executor < 0) continue;
            ui_executor *x = &s->execs[bl->executor];
            x->rdd_blocks--;
            x->memory_used -= bl->memory;
            x->disk_used -= bl->disk;
        }
        free(s->rdds[i].name);
        free(s->rdds[i].blocks);
        s->rdds[i] = s->rdds[--s->nrdds];
        return;
    }
}

static void environment(ui_store *s, const kiln_conf *c)
{
    if (!c) return;
    size_t n = conf_size(c);
    ui_env_entry *env = calloc(n + 1, sizeof *env);
    if (!env) return;
    for (size_t i = 0; i < s->nenv; i++) {
        free(s->env[i].key);
        free(s->env[i].value);
        free(s->env[i].source);
    }
    free(s->env);
    for (size_t i = 0; i < n; i++) {
        const char *k, *v;
        conf_at(c, i, &k, &v);
        const char *src = conf_source_at(c, i);
        env[i].key = strdup(k);
        env[i].value = strdup(ui_key_is_secret(k) ? UI_REDACTED : v ? v : "");
        env[i].source = strdup(src ? src : "");
    }
    s->env = env;
    s->nenv = n;
}

void ui_store_apply(ui_store *s, const engine_event *e, double wall)
{
    pthread_mutex_lock(&s->lock);
    switch (e->kind) {
    case EV_JOB_START:
        job_start(s, e, wall);
        if (e->sql_execution >= 0) ui_sql_job(s, e);
        break;
    case EV_SQL_START:
        ui_sql_start(s, e, wall);
        break;
    case EV_SQL_END:
        ui_sql_end(s, e, wall);
        break;
    case EV_SQL_PLAN:
        ui_sql_plan(s, e);
        break;
    case EV_JOB_END:
        job_end(s, e, wall);
        break;
    case EV_STAGE_START:
        stage_start(s, e, wall);
        break;
    case EV_STAGE_END:
        stage_end(s, e, wall);
        break;
    case EV_TASK_START:
        task_start(s, e, wall);
        break;
    case EV_TASK_END:
        task_end(s, e, wall);
        if (e->naccs) ui_sql_task_end(s, e);
        break;
    case EV_EXECUTOR_ADDED:
        exec_added(s, e, wall);
        break;
    case EV_EXECUTOR_LOST:
        exec_lost(s, e, wall);
        break;
    case EV_BLOCK_UPDATED:
        block_updated(s, e);
        break;
    case EV_UNPERSIST:
        unpersist(s, e);
        break;
    case EV_APP_START:
        free(s->app_name);
        free(s->app_id);
        free(s->user);
        s->app_name = dup_or_null(e->name);
        s->app_id = dup_or_null(e->message);
        s->user = dup_or_null(e->user);
        s->app_start = ui_ms(wall);
        break;
    case EV_APP_END:
        s->app_end = ui_ms(wall);
        break;
    case EV_ENVIRONMENT:
        environment(s, e->conf);
        break;
    case EV_STAGE_PROGRESS:
        break;
    }
    pthread_mutex_unlock(&s->lock);
}

void ui_store_listen(void *arg, const engine_event *e)
{
    if (e->kind == EV_STAGE_PROGRESS) return; /* nothing the store does not count itself */
    ui_store_apply(arg, e, wall_seconds_at(e->time));
}

/* ---- Names -------------------------------------------------------------------------- */

bool ui_key_is_secret(const char *key)
{
    static const char *const words[] = {"secret", "password", "token", "key", "credentials"};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        size_t n = strlen(words[w]);
        for (const char *p = key; *p; p++) {
            size_t i = 0;
            while (i < n && p[i] && tolower((unsigned char)p[i]) == words[w][i]) i++;
            if (i == n) return true;
        }
    }
    return false;
}

const char *ui_job_status(ui_state st)
{
    switch (st) {
    case UI_RUNNING:
        return "RUNNING";
    case UI_SUCCEEDED:
        return "SUCCEEDED";
    case UI_FAILED:
        return "FAILED";
    case UI_KILLED:
        return "FAILED";
    case UI_PENDING:
    case UI_SKIPPED:
        return "UNKNOWN";
    }
    return "UNKNOWN";
}

const char *ui_stage_status(ui_state st)
{
    switch (st) {
    case UI_RUNNING:
        return "ACTIVE";
    case UI_SUCCEEDED:
        return "COMPLETE";
    case UI_FAILED:
    case UI_KILLED:
        return "FAILED";
    case UI_PENDING:
        return "PENDING";
    case UI_SKIPPED:
        return "SKIPPED";
    }
    return "PENDING";
}

int64_t ui_task_scheduler_delay(const ui_task *t)
{
    if (t->state == UI_RUNNING) return 0;
    int64_t d = t->duration - t->m.run_time - t->m.deser_time - t->m.result_ser_time;
    return d > 0 ? d : 0;
}

const char *ui_task_status(ui_state st)
{
    switch (st) {
    case UI_RUNNING:
        return "RUNNING";
    case UI_SUCCEEDED:
        return "SUCCESS";
    case UI_FAILED:
        return "FAILED";
    case UI_KILLED:
        return "KILLED";
    default:
        return "UNKNOWN";
    }
}

const char *ui_storage_desc(kiln_storage_level l)
{
    switch (l) {
    case KILN_MEMORY_ONLY:
        return "Memory Deserialized 1x Replicated";
    case KILN_MEMORY_ONLY_SER:
        return "Memory Serialized 1x Replicated";
    case KILN_MEMORY_AND_DISK:
        return "Disk Memory Deserialized 1x Replicated";
    case KILN_DISK_ONLY:
        return "Disk Serialized 1x Replicated";
    default:
        return "None";
    }
}

void ui_app_id(bool local, double wall, int seq, char *out, size_t size)
{
    if (local) {
        snprintf(out, size, "local-%lld", (long long)(wall * 1000.0));
        return;
    }
    time_t t = (time_t)wall;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(out, size, "app-%04d%02d%02d%02d%02d%02d-%04d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, seq % 10000);
}
