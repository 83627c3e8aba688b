/*
 * ui/ui_pages_sql.c - the SQL tab (Spark's AllExecutionsPage and
 * ExecutionPage): the application's SQL executions (id, description,
 * submitted, duration, links to their jobs, status), and an execution's
 * page with its description, error, jobs, its plan as a graph of operators
 * with their metrics (SVG), and the physical plan as text. SQL text is
 * user input: every string goes through html_printf / html_cell / the
 * DAG's escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/ui_pages_int.h"

/* A cell linking each job of x (a job no longer retained: its id only). */
static void job_links(ui_page *p, const ui_sql *x)
{
    html_printf(p->b, "<td class=\"sql-jobs\" data-sort=\"%d\">", x->njobs);
    for (int i = 0; i < x->njobs; i++) {
        char href[384], id[24];
        snprintf(id, sizeof id, "%d", x->jobs[i]);
        ui_href(p, href, sizeof href, "/jobs/job/?id=%d", x->jobs[i]);
        if (ui_store_job(p->s, x->jobs[i]))
            html_printf(p->b, "%s<a href=\"%s\">%s</a>", i ? " " : "", href, id);
        else html_printf(p->b, "%s%s", i ? " " : "", id);
    }
    html_printf(p->b, "</td>");
}

static void sql_table(ui_page *p, const char *id, ui_state want)
{
    static const html_col cols[] = {
        {"ID", HTML_NUM},       {"Description", HTML_TEXT}, {"Submitted", HTML_NUM},
        {"Duration", HTML_NUM}, {"Job IDs", HTML_NUM},      {"Status", HTML_TEXT},
    };
    kiln_buf *b = p->b;
    html_table_begin(b, id, cols, 6);
    for (size_t i = p->s->nsqls; i-- > 0;) {
        const ui_sql *x = &p->s->sqls[i];
        if (x->state != want) continue;
        char href[384];
        html_row_begin(b);
        ui_cell_int(b, x->id);
        ui_href(p, href, sizeof href, "/SQL/execution/?id=%lld", (long long)x->id);
        html_cell_link(b, href, *x->desc ? x->desc : "(no description)");
        ui_cell_time(b, x->submitted);
        ui_cell_duration(b,
                         ui_span(x->submitted, x->state == UI_RUNNING ? 0 : x->completed, p->now));
        job_links(p, x);
        ui_cell_status(b, ui_sql_status(x->state));
        html_row_end(b);
    }
    html_table_end(b, "No queries.");
}

void ui_page_sql(ui_page *p)
{
    ui_store *s = p->s;
    int running = 0, done = 0, failed = 0;
    for (size_t i = 0; i < s->nsqls; i++) {
        ui_state st = s->sqls[i].state;
        st == UI_RUNNING ? running++ : st == UI_SUCCEEDED ? done++ : failed++;
    }
    ui_page_begin(p, UI_TAB_SQL, "SQL");
    if (s->dropped_sqls)
        html_printf(p->b,
                    "<p class=\"note\">%lld older queries are not shown "
                    "(kiln.sql.ui.retainedExecutions).</p>\n",
                    (long long)s->dropped_sqls);
    html_printf(p->b, "<h2 id=\"running\">Running Queries (%d)</h2>\n", running);
    sql_table(p, "running-queries", UI_RUNNING);
    html_printf(p->b, "<h2 id=\"completed\">Completed Queries (%d)</h2>\n", done);
    sql_table(p, "completed-queries", UI_SUCCEEDED);
    html_printf(p->b, "<h2 id=\"failed\">Failed Queries (%d)</h2>\n", failed);
    sql_table(p, "failed-queries", UI_FAILED);
    ui_page_end(p);
}

/* The plan as it ran (Spark's SparkPlanGraph): each operator with its
 * metrics summed over the tasks ("name: value" lines), data flowing down
 * from the scans; the full description on hover. Nothing before the plan
 * is known. */
static void plan_graph(ui_page *p, const ui_sql *x)
{
    if (x->nnodes <= 0) return;
    size_t nlines = 0;
    for (int i = 0; i < x->nnodes; i++)
        nlines += x->nodes[i].nmetrics > 0 ? (size_t)x->nodes[i].nmetrics : 0;
    size_t nn = (size_t)x->nnodes, ne = x->nedges > 0 ? (size_t)x->nedges : 1;
    web_dag_node *nodes = calloc(nn, sizeof *nodes);
    web_dag_edge *edges = calloc(ne, sizeof *edges);
    char **lines = calloc(nlines ? nlines : 1, sizeof *lines);
    bool ok = nodes && edges && lines;
    int at = 0;
    for (int i = 0; ok && i < x->nnodes; i++) {
        const ui_sql_node *n = &x->nodes[i];
        nodes[i] = (web_dag_node){.label = n->name,
                                  .cls = "sql-op",
                                  .title = n->desc,
                                  .details = (const char *const *)&lines[at],
                                  .ndetails = n->nmetrics};
        for (int k = 0; ok && k < n->nmetrics; k++) {
            char v[128];
            ui_sql_metric_value(x, &n->metrics[k], v, sizeof v);
            size_t len = strlen(n->metrics[k].name) + strlen(v) + 3;
            if (!(lines[at] = malloc(len))) ok = false;
            else snprintf(lines[at++], len, "%s: %s", n->metrics[k].name, *v ? v : "-");
        }
    }
    /* Edges from the operator producing rows to the one reading them: the
     * graph's from (child) to to (parent). */
    for (int i = 0; ok && i < x->nedges; i++)
        edges[i] = (web_dag_edge){x->edges[i].from, x->edges[i].to};
    if (ok) {
        html_printf(p->b, "<h2>Plan</h2>\n<div class=\"plan-graph\">");
        web_dag_svg_opts(p->b, nodes, x->nnodes, edges, x->nedges, true);
        html_printf(p->b, "</div>\n");
    }
    for (int i = 0; i < at; i++) free(lines[i]);
    free(lines);
    free(nodes);
    free(edges);
}

void ui_page_sql_execution(ui_page *p)
{
    int64_t id;
    if (!ui_page_int_param(p, "id", true, 0, &id)) return;
    const ui_sql *x = ui_store_sql(p->s, id);
    if (!x) {
        char why[32];
        snprintf(why, sizeof why, "%lld", (long long)id);
        ui_page_error(p, 404, "No query %s (unknown, or no longer retained).", why);
        return;
    }
    char title[64], t1[64], t2[64];
    snprintf(title, sizeof title, "Details for Query %lld", (long long)x->id);
    ui_page_begin(p, UI_TAB_SQL, title);
    web_fmt_time(t1, sizeof t1, x->submitted);
    web_fmt_duration(t2, sizeof t2,
                     ui_span(x->submitted, x->state == UI_RUNNING ? 0 : x->completed, p->now));
    const char *status = ui_sql_status(x->state);
    html_printf(p->b,
                "<ul class=\"summary\"><li><strong>Status:</strong> <span class=\"state-%s\">%s"
                "</span></li><li><strong>Submitted Time:</strong> %s</li>"
                "<li><strong>Duration:</strong> %s</li></ul>\n",
                status, status, t1, t2);
    html_printf(p->b, "<h2>Description</h2>\n<pre class=\"sql-description\">%s</pre>\n", x->desc);
    if (x->error) html_printf(p->b, "<h2>Error</h2>\n<pre class=\"error\">%s</pre>\n", x->error);
    static const html_col cols[] = {{"Job Id", HTML_NUM},
                                    {"Description", HTML_TEXT},
                                    {"Status", HTML_TEXT},
                                    {"Failure Reason", HTML_TEXT}};
    html_printf(p->b, "<h2>Jobs (%d)</h2>\n", x->njobs);
    html_table_begin(p->b, "sql-jobs", cols, 4);
    for (int i = 0; i < x->njobs; i++) {
        const ui_job *j = ui_store_job(p->s, x->jobs[i]);
        if (!j) continue;
        char href[384];
        html_row_begin(p->b);
        ui_cell_int(p->b, j->id);
        ui_href(p, href, sizeof href, "/jobs/job/?id=%d", j->id);
        html_cell_link(p->b, href, j->name && *j->name ? j->name : "(no description)");
        ui_cell_status(p->b, ui_job_status(j->state));
        html_cell(p->b, j->error ? j->error : "", NULL);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No jobs.");
    plan_graph(p, x);
    html_printf(p->b, "<h2>Physical Plan</h2>\n<pre class=\"sql-plan\">%s</pre>\n", x->plan);
    ui_page_end(p);
}
