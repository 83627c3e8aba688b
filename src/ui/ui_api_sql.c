/*
 * ui/ui_api_sql.c - /api/v1/applications/APP/sql[/ID] (ui_sql.h): SQL
 * executions as Spark's org.apache.spark.status.api.v1.sql.ExecutionData
 * (id, status, description, planDescription, submissionTime, duration,
 * runningJobIds, successJobIds, failedJobIds, nodes with their metrics,
 * edges). A job's state is read from the store's jobs; a job no longer
 * retained is left out. Nodes and edges are empty until the plan is known
 * (EV_SQL_PLAN); a metric's value is "" until a task reported it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ui/ui_sql.h"

static void job_ids(json_writer *w, ui_store *s, const ui_sql *x, const char *key, int want)
{
    json_key(w, key);
    json_arr_begin(w);
    for (int i = 0; i < x->njobs; i++) {
        const ui_job *j = ui_store_job(s, x->jobs[i]);
        if (!j) continue;
        int st = j->state == UI_RUNNING ? 0 : j->state == UI_SUCCEEDED ? 1 : 2;
        if (st == want) json_int(w, j->id);
    }
    json_arr_end(w);
}

static void execution(json_writer *w, ui_store *s, const ui_sql *x)
{
    char d[64];
    json_obj_begin(w);
    json_key(w, "id");
    json_int(w, x->id);
    json_key(w, "status");
    json_str(w, ui_sql_status(x->state));
    json_key(w, "description");
    json_str(w, x->desc);
    json_key(w, "planDescription");
    json_str(w, x->plan);
    ui_date_str(x->submitted, d, sizeof d);
    json_key(w, "submissionTime");
    json_str(w, d);
    json_key(w, "duration");
    json_int(w, x->state == UI_RUNNING ? 0 : x->completed - x->submitted);
    job_ids(w, s, x, "runningJobIds", 0);
    job_ids(w, s, x, "successJobIds", 1);
    job_ids(w, s, x, "failedJobIds", 2);
    json_key(w, "nodes");
    json_arr_begin(w);
    for (int i = 0; i < x->nnodes; i++) {
        const ui_sql_node *n = &x->nodes[i];
        json_obj_begin(w);
        json_key(w, "nodeId");
        json_int(w, n->id);
        json_key(w, "nodeName");
        json_str(w, n->name);
        json_key(w, "metrics");
        json_arr_begin(w);
        for (int k = 0; k < n->nmetrics; k++) {
            char v[128];
            ui_sql_metric_value(x, &n->metrics[k], v, sizeof v);
            json_obj_begin(w);
            json_key(w, "name");
            json_str(w, n->metrics[k].name);
            json_key(w, "value");
            json_str(w, v);
            json_obj_end(w);
        }
        json_arr_end(w);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_key(w, "edges");
    json_arr_begin(w);
    for (int i = 0; i < x->nedges; i++) {
        json_obj_begin(w);
        json_key(w, "fromId");
        json_int(w, x->edges[i].from);
        json_key(w, "toId");
        json_int(w, x->edges[i].to);
        json_obj_end(w);
    }
    json_arr_end(w);
    if (x->error) { /* kiln's: why it failed */
        json_key(w, "errorMessage");
        json_str(w, x->error);
    }
    json_obj_end(w);
}

int ui_api_sql(json_writer *w, ui_store *s, char **parts, int nparts, const char *query, char *why,
               size_t whysize)
{
    (void)query;
    if (nparts == 0) {
        json_arr_begin(w);
        for (size_t i = 0; i < s->nsqls; i++) execution(w, s, &s->sqls[i]);
        json_arr_end(w);
        return 200;
    }
    if (nparts != 1) {
        snprintf(why, whysize, "unknown path");
        return 404;
    }
    char *end;
    long long id = strtoll(parts[0], &end, 10);
    if (!*parts[0] || *end || id < 0) {
        snprintf(why, whysize, "bad execution id '%.100s'", parts[0]);
        return 400;
    }
    const ui_sql *x = ui_store_sql(s, id);
    if (!x) {
        snprintf(why, whysize, "unknown execution: %lld", id);
        return 404;
    }
    execution(w, s, x);
    return 200;
}
