/*
 * ui/ui_pages_jobs.c - the Jobs tab (Spark's AllJobsPage and JobPage):
 * the application's jobs by status (each with its description, when it
 * has one, above its action) after their timeline, and a job's page with
 * its description and group, its error, its stages' timeline, its stages
 * drawn as a DAG (web_dag_svg) and listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/ui_pages_int.h"

static void job_table(ui_page *p, const char *id, ui_state want, bool failed)
{
    static const html_col cols[] = {
        {"Job Id", HTML_NUM},
        {"Description", HTML_TEXT},
        {"Submitted", HTML_NUM},
        {"Duration", HTML_NUM},
        {"Stages: Succeeded/Total", HTML_NUM},
        {"Tasks (for all stages): Succeeded/Total", HTML_NUM},
        {"Status", HTML_TEXT},
        {"Failure Reason", HTML_TEXT},
    };
    kiln_buf *b = p->b;
    html_table_begin(b, id, cols, failed ? 8 : 7);
    for (size_t i = p->s->njobs; i-- > 0;) {
        const ui_job *j = &p->s->jobs[i];
        bool match = want == UI_FAILED ? (j->state == UI_FAILED || j->state == UI_KILLED)
                                       : j->state == want;
        if (!match) continue;
        char href[384], text[64];
        html_row_begin(b);
        ui_cell_int(b, j->id);
        ui_href(p, href, sizeof href, "/jobs/job/?id=%d", j->id);
        const char *action = j->name && *j->name ? j->name : "(no description)";
        /* As Spark: the description (spark.job.description) above the
         * action, which links to the job. */
        if (j->description)
            html_printf(b, "<td><p class=\"description\">%s</p><a href=\"%s\">%s</a></td>",
                        j->description, href, action);
        else html_cell_link(b, href, action);
        ui_cell_time(b, j->submitted);
        ui_cell_duration(b, ui_span(j->submitted, j->completed, p->now));
        int total = j->nstages - j->stages_skipped;
        snprintf(text, sizeof text, "%d/%d", j->stages_complete, total);
        if (j->stages_skipped)
            snprintf(text + strlen(text), sizeof text - strlen(text), " (%d skipped)",
                     j->stages_skipped);
        if (j->stages_failed)
            snprintf(text + strlen(text), sizeof text - strlen(text), " (%d failed)",
                     j->stages_failed);
        html_cell_num(b, text, j->stages_complete);
        ui_cell_tasks(b, j->complete, j->num_tasks - j->skipped_tasks, j->failed, j->active);
        ui_cell_status(b, ui_job_status(j->state));
        if (failed) html_cell(b, j->error ? j->error : "", NULL);
        html_row_end(b);
    }
    html_table_end(b, "No jobs.");
}

void ui_page_jobs(ui_page *p)
{
    ui_store *s = p->s;
    int active = 0, done = 0, failed = 0;
    for (size_t i = 0; i < s->njobs; i++) {
        ui_state st = s->jobs[i].state;
        st == UI_RUNNING ? active++ : st == UI_SUCCEEDED ? done++ : failed++;
    }
    ui_page_begin(p, UI_TAB_JOBS, "kiln Jobs");
    char t1[64], t2[64];
    web_fmt_time(t1, sizeof t1, s->app_start);
    web_fmt_duration(t2, sizeof t2, ui_span(s->app_start, s->app_end, p->now));
    html_printf(p->b,
                "<ul class=\"summary\"><li><strong>Application:</strong> %s (%s)</li>"
                "<li><strong>User:</strong> %s</li><li><strong>Started At:</strong> %s</li>"
                "<li><strong>Total Uptime:</strong> %s</li>"
                "<li><strong>Scheduling Mode:</strong> FIFO</li>",
                s->app_name ? s->app_name : "", s->app_id ? s->app_id : "", s->user ? s->user : "",
                t1, t2);
    html_printf(p->b,
                "<li><strong>Active Jobs:</strong> %d</li><li><strong>Completed Jobs:</strong> "
                "%d</li><li><strong>Failed Jobs:</strong> %d</li></ul>\n",
                active, done, failed);
    if (s->dropped_jobs)
        html_printf(p->b,
                    "<p class=\"note\">%lld older jobs are not shown (kiln.ui.retainedJobs).</p>\n",
                    (long long)s->dropped_jobs);
    ui_jobs_timeline(p);
    html_printf(p->b, "<h2 id=\"active\">Active Jobs (%d)</h2>\n", active);
    job_table(p, "active-jobs", UI_RUNNING, false);
    html_printf(p->b, "<h2 id=\"completed\">Completed Jobs (%d)</h2>\n", done);
    job_table(p, "completed-jobs", UI_SUCCEEDED, false);
    html_printf(p->b, "<h2 id=\"failed\">Failed Jobs (%d)</h2>\n", failed);
    job_table(p, "failed-jobs", UI_FAILED, true);
    ui_page_end(p);
}

/* The job's stages as a DAG: one node per stage id (its latest attempt),
 * an edge from each parent that belongs to the job too. */
static void job_dag(ui_page *p, const ui_job *j)
{
    int n = j->nstages;
    if (n <= 0) return;
    web_dag_node *nodes = calloc((size_t)n, sizeof *nodes);
    char(*labels)[160] = calloc((size_t)n, sizeof *labels);
    char(*hrefs)[384] = calloc((size_t)n, sizeof *hrefs);
    char(*cls)[32] = calloc((size_t)n, sizeof *cls);
    int cap = 0, ne = 0;
    for (int i = 0; i < n; i++) {
        const ui_stage *st = ui_store_stage(p->s, j->stages[i], -1);
        if (st) cap += st->nparents;
    }
    web_dag_edge *edges = calloc((size_t)cap + 1, sizeof *edges);
    if (!nodes || !labels || !hrefs || !cls || !edges) goto out;
    for (int i = 0; i < n; i++) {
        const ui_stage *st = ui_store_stage(p->s, j->stages[i], -1);
        snprintf(labels[i], sizeof labels[i], "Stage %d: %s", j->stages[i],
                 st && st->name ? st->name : "");
        snprintf(cls[i], sizeof cls[i], "stage-%s", st ? ui_stage_status(st->state) : "PENDING");
        nodes[i].label = labels[i];
        nodes[i].cls = cls[i];
        if (st) {
            ui_href(p, hrefs[i], sizeof hrefs[i], "/stages/stage/?id=%d&attempt=%d", st->id,
                    st->attempt);
            nodes[i].href = hrefs[i];
            for (int k = 0; k < st->nparents; k++)
                for (int f = 0; f < n; f++)
                    if (j->stages[f] == st->parents[k] && ne < cap)
                        edges[ne++] = (web_dag_edge){f, i};
        }
    }
    html_printf(p->b, "<h2>DAG Visualization</h2>\n<div class=\"dag\">");
    web_dag_svg(p->b, nodes, n, edges, ne);
    html_printf(p->b, "</div>\n");
out:
    free(nodes);
    free(labels);
    free(hrefs);
    free(cls);
    free(edges);
}

void ui_page_job(ui_page *p)
{
    int64_t id;
    if (!ui_page_int_param(p, "id", true, 0, &id)) return;
    const ui_job *j = ui_store_job(p->s, (int)id);
    if (!j) {
        char why[32];
        snprintf(why, sizeof why, "%lld", (long long)id);
        ui_page_error(p, 404, "No job %s (unknown, or no longer retained).", why);
        return;
    }
    char title[64], t1[64], t2[64];
    snprintf(title, sizeof title, "Details for Job %d", j->id);
    ui_page_begin(p, UI_TAB_JOBS, title);
    web_fmt_time(t1, sizeof t1, j->submitted);
    web_fmt_duration(t2, sizeof t2, ui_span(j->submitted, j->completed, p->now));
    const char *status = ui_job_status(j->state);
    html_printf(p->b,
                "<ul class=\"summary\"><li><strong>Status:</strong> <span class=\"state-%s\">%s"
                "</span></li>",
                status, status);
    if (j->description)
        html_printf(p->b,
                    "<li><strong>Description:</strong> <span class=\"description\">%s</span></li>",
                    j->description);
    html_printf(p->b,
                "<li><strong>Action:</strong> %s</li>"
                "<li><strong>Submitted:</strong> %s</li><li><strong>Duration:</strong> %s</li>",
                j->name ? j->name : "", t1, t2);
    if (j->group) html_printf(p->b, "<li><strong>Job Group:</strong> %s</li>", j->group);
    html_printf(p->b,
                "<li><strong>Completed Stages:</strong> %d</li>"
                "<li><strong>Skipped Stages:</strong> %d</li>"
                "<li><strong>Failed Stages:</strong> %d</li></ul>\n",
                j->stages_complete, j->stages_skipped, j->stages_failed);
    if (j->error) html_printf(p->b, "<h2>Error</h2>\n<pre class=\"error\">%s</pre>\n", j->error);
    ui_job_timeline(p, j);
    job_dag(p, j);
    size_t *idx = malloc((p->s->nstages + 1) * sizeof *idx), n = 0;
    for (size_t i = 0; idx && i < p->s->nstages; i++)
        if (p->s->stages[i].job == j->id) idx[n++] = i;
    html_printf(p->b, "<h2>Stages (%zu)</h2>\n", n);
    ui_stage_table(p, "job-stages", idx, n);
    free(idx);
    ui_page_end(p);
}
