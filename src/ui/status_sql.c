/*
 * ui/status_sql.c - SQL executions in the status store (ui_status.h),
 * Spark's SQLAppStatusListener: EV_SQL_START adds one (description, plan
 * text, submission time), a job started for it (EV_JOB_START with its
 * sql_execution) is listed under it, EV_SQL_END sets its end, status and
 * error. Executions are kept by id (ids grow, so appending keeps them
 * sorted); past kiln.sql.ui.retainedExecutions the oldest finished go.
 * Called under the store's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_status.h"

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

ui_sql *ui_store_sql(ui_store *s, int64_t id)
{
    size_t lo = 0, hi = s->nsqls;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->sqls[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < s->nsqls && s->sqls[lo].id == id ? &s->sqls[lo] : NULL;
}

static void sql_release(ui_sql *x)
{
    free(x->desc);
    free(x->plan);
    free(x->error);
    free(x->jobs);
    free(x->stages);
    ui_sql_plan_release(x);
}

void ui_sql_release_all(ui_store *s)
{
    for (size_t i = 0; i < s->nsqls; i++) sql_release(&s->sqls[i]);
    free(s->sqls);
    s->sqls = NULL;
    s->nsqls = s->cap_sqls = 0;
}

/* Drops the oldest finished executions past the limit. */
static void trim(ui_store *s)
{
    size_t limit = (size_t)(s->lim.executions > 0 ? s->lim.executions : 1);
    size_t w = 0, excess = s->nsqls > limit ? s->nsqls - limit : 0;
    for (size_t i = 0; i < s->nsqls; i++) {
        if (excess && s->sqls[i].state != UI_RUNNING) {
            sql_release(&s->sqls[i]);
            excess--;
            s->dropped_sqls++;
            continue;
        }
        s->sqls[w++] = s->sqls[i];
    }
    s->nsqls = w;
}

void ui_sql_start(ui_store *s, const engine_event *e, double wall)
{
    if (ui_store_sql(s, e->sql_execution)) return;
    if (s->nsqls && s->sqls[s->nsqls - 1].id > e->sql_execution) return; /* out of order */
    if (s->nsqls == s->cap_sqls) {
        size_t cap = s->cap_sqls ? s->cap_sqls * 2 : 16;
        ui_sql *g = realloc(s->sqls, cap * sizeof *g);
        if (!g) return;
        s->sqls = g;
        s->cap_sqls = cap;
    }
    ui_sql x = {.id = e->sql_execution,
                .desc = dup_or_empty(e->name),
                .plan = dup_or_empty(e->plan),
                .submitted = ui_ms(wall),
                .state = UI_RUNNING};
    if (!x.desc || !x.plan) {
        sql_release(&x);
        return;
    }
    s->sqls[s->nsqls++] = x;
    if (s->nsqls > (size_t)(s->lim.executions > 0 ? s->lim.executions : 1)) trim(s);
}

void ui_sql_end(ui_store *s, const engine_event *e, double wall)
{
    ui_sql *x = ui_store_sql(s, e->sql_execution);
    if (!x) return;
    x->completed = ui_ms(wall);
    bool failed = e->rc != KILN_OK || e->message;
    x->state = failed ? UI_FAILED : UI_SUCCEEDED;
    ui_sql_plan_settle(x);
    free(x->error);
    x->error = failed ? dup_or_empty(e->message) : NULL;
}

void ui_sql_job(ui_store *s, const engine_event *e)
{
    ui_sql *x = ui_store_sql(s, e->sql_execution);
    if (!x) return;
    if (x->njobs == x->cap_jobs) {
        int cap = x->cap_jobs ? x->cap_jobs * 2 : 4;
        int *g = realloc(x->jobs, (size_t)cap * sizeof *g);
        if (!g) return;
        x->jobs = g;
        x->cap_jobs = cap;
    }
    x->jobs[x->njobs++] = e->job;
    for (int i = 0; i < e->nstages; i++) {
        if (x->nstages == x->cap_stages) {
            int cap = x->cap_stages ? x->cap_stages * 2 : 8;
            int *g = realloc(x->stages, (size_t)cap * sizeof *g);
            if (!g) return;
            x->stages = g;
            x->cap_stages = cap;
        }
        x->stages[x->nstages++] = e->stages[i].id;
    }
}

const char *ui_sql_status(ui_state st)
{
    return st == UI_RUNNING ? "RUNNING" : st == UI_FAILED ? "FAILED" : "COMPLETED";
}
