/*
 * engine/sql_events.c - SQL executions on the event bus (include/kiln.h,
 * "SQL executions"): the SQL layer, which sees only the public API, marks
 * where a query runs; this posts EV_SQL_START / EV_SQL_END and remembers
 * the execution on the calling thread, so that dag.c tags the jobs it
 * starts with the execution's id (Spark's spark.sql.execution.id, also a
 * thread-local property there).
 */
#include <string.h>

#include "base/json.h"
#include "engine/engine_int.h"

static _Thread_local int64_t current = -1;
static _Thread_local const kiln_context *current_ctx;

int64_t sql_execution_current(void)
{
    return current;
}

KILN_API bool kiln_context_observed(const kiln_context *ctx)
{
    return ctx && events_wanted(ctx);
}

KILN_API int64_t kiln_sql_execution_start(kiln_context *ctx, const char *description,
                                          const char *plan)
{
    if (!ctx || current >= 0) return -1;
    int64_t id = atomic_fetch_add(&ctx->next_sql_execution, 1);
    current = id;
    current_ctx = ctx;
    events_post(ctx, &(engine_event){.kind = EV_SQL_START,
                                     .job = -1,
                                     .executor = -1,
                                     .sql_execution = id,
                                     .name = description ? description : "",
                                     .plan = plan ? plan : ""});
    return id;
}

KILN_API void kiln_sql_execution_plan(kiln_context *ctx, int64_t id, const char *description,
                                      const char *plan_info)
{
    if (!ctx || id < 0 || !plan_info || !events_wanted(ctx)) return;
    /* Listeners write it into the event log as it is: it must be JSON. */
    kiln_arena *a = kiln_arena_new();
    json_node *v;
    char err[160];
    int rc = a ? json_doc_parse(a, plan_info, strlen(plan_info), &v, err, sizeof err) : KILN_ENOMEM;
    kiln_arena_free(a);
    if (rc) {
        LOG(LOG_WARN, "sql", "execution %lld: its plan description is not JSON (%s)", (long long)id,
            rc == KILN_ENOMEM ? "out of memory" : err);
        return;
    }
    events_post(ctx, &(engine_event){.kind = EV_SQL_PLAN,
                                     .job = -1,
                                     .executor = -1,
                                     .sql_execution = id,
                                     .plan = description,
                                     .plan_info = plan_info});
}

KILN_API void kiln_sql_execution_end(kiln_context *ctx, int64_t id, const char *error)
{
    if (!ctx || id < 0) return;
    if (current == id && current_ctx == ctx) {
        current = -1;
        current_ctx = NULL;
    }
    events_post(ctx, &(engine_event){.kind = EV_SQL_END,
                                     .job = -1,
                                     .executor = -1,
                                     .sql_execution = id,
                                     .rc = error ? KILN_ESQL : KILN_OK,
                                     .message = error});
}
