/*
 * ui/ui_pages_timeline.c - the event timelines of the Jobs tab (Spark's
 * "Event Timeline"): on /jobs/ the executors added and removed and the
 * last UI_TIMELINE_JOBS jobs as bars from submission to completion, in
 * lanes, coloured by status; on a job's page its stages the same way.
 * Drawn by web_timeline_svg (src/web/timeline.c); every name and
 * description goes through its escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_pages_int.h"

typedef char tl_text[512];

/* The executors' marks (added, and removed when they were), for /jobs/. */
static int exec_marks(const ui_store *s, web_tl_mark *m, tl_text *titles, char (*labels)[48])
{
    int n = 0;
    for (size_t i = 0; i < s->nexecs; i++) {
        const ui_executor *x = &s->execs[i];
        if (x->removed < 0) continue; /* forgotten (kiln.ui.retainedDeadExecutors) */
        if (x->added > 0) {
            snprintf(titles[n], sizeof titles[n], "Executor %s added (host %s, %d cores)", x->id,
                     x->host ? x->host : "", x->cores);
            snprintf(labels[n], sizeof labels[n], "%s", x->id);
            m[n] = (web_tl_mark){x->added, labels[n], titles[n], "exec-added"};
            n++;
        }
        if (!x->active && x->removed > 0) {
            snprintf(titles[n], sizeof titles[n], "Executor %s removed: %s", x->id,
                     x->remove_reason ? x->remove_reason : "");
            snprintf(labels[n], sizeof labels[n], "%s removed", x->id);
            m[n] = (web_tl_mark){x->removed, labels[n], titles[n], "exec-removed"};
            n++;
        }
    }
    return n;
}

void ui_jobs_timeline(ui_page *p)
{
    const ui_store *s = p->s;
    size_t first = s->njobs > UI_TIMELINE_JOBS ? s->njobs - UI_TIMELINE_JOBS : 0;
    int nbars = (int)(s->njobs - first), nm = 2 * (int)s->nexecs;
    web_tl_bar *bars = calloc((size_t)nbars + 1, sizeof *bars);
    tl_text *titles = calloc((size_t)nbars + 1, sizeof *titles);
    tl_text *mtitles = calloc((size_t)nm + 1, sizeof *mtitles);
    char(*labels)[160] = calloc((size_t)nbars + 1, sizeof *labels);
    char(*mlabels)[48] = calloc((size_t)nm + 1, sizeof *mlabels);
    char(*hrefs)[384] = calloc((size_t)nbars + 1, sizeof *hrefs);
    char(*cls)[32] = calloc((size_t)nbars + 1, sizeof *cls);
    web_tl_mark *marks = calloc((size_t)nm + 1, sizeof *marks);
    if (!bars || !titles || !mtitles || !labels || !mlabels || !hrefs || !cls || !marks) goto out;
    int n = 0;
    for (size_t i = first; i < s->njobs; i++) {
        const ui_job *j = &s->jobs[i];
        if (j->submitted <= 0) continue;
        const char *status = ui_job_status(j->state);
        const char *desc = j->description ? j->description : "";
        snprintf(titles[n], sizeof titles[n], "Job %d: %s%s%s (%s)", j->id, desc,
                 *desc ? " - " : "", j->name ? j->name : "", status);
        snprintf(labels[n], sizeof labels[n], "%d %s", j->id,
                 *desc     ? desc
                 : j->name ? j->name
                           : "");
        snprintf(cls[n], sizeof cls[n], "state-%s", status);
        ui_href(p, hrefs[n], sizeof hrefs[n], "/jobs/job/?id=%d", j->id);
        bars[n] = (web_tl_bar){j->submitted, j->completed, labels[n], titles[n], cls[n], hrefs[n]};
        n++;
    }
    int k = exec_marks(s, marks, mtitles, mlabels);
    html_printf(p->b, "<h2 id=\"timeline\">Event Timeline</h2>\n");
    if (first > 0)
        html_printf(p->b, "<p class=\"note\">The last %d jobs.</p>\n", (int)UI_TIMELINE_JOBS);
    html_printf(p->b, "<div class=\"timeline\">");
    web_timeline_svg(p->b, "Jobs", bars, n, marks, k, p->now);
    html_printf(p->b, "</div>\n");
out:
    free(bars);
    free(titles);
    free(mtitles);
    free(labels);
    free(mlabels);
    free(hrefs);
    free(cls);
    free(marks);
}

void ui_job_timeline(ui_page *p, const ui_job *j)
{
    const ui_store *s = p->s;
    size_t cap = s->nstages;
    web_tl_bar *bars = calloc(cap + 1, sizeof *bars);
    tl_text *titles = calloc(cap + 1, sizeof *titles);
    char(*labels)[160] = calloc(cap + 1, sizeof *labels);
    char(*hrefs)[384] = calloc(cap + 1, sizeof *hrefs);
    char(*cls)[32] = calloc(cap + 1, sizeof *cls);
    if (!bars || !titles || !labels || !hrefs || !cls) goto out;
    int n = 0;
    for (size_t i = 0; i < s->nstages; i++) {
        const ui_stage *st = &s->stages[i];
        if (st->job != j->id || st->submitted <= 0) continue;
        const char *status = ui_stage_status(st->state);
        snprintf(titles[n], sizeof titles[n], "Stage %d.%d: %s (%s, %d tasks)", st->id, st->attempt,
                 st->name ? st->name : "", status, st->num_tasks);
        snprintf(labels[n], sizeof labels[n], "Stage %d.%d", st->id, st->attempt);
        snprintf(cls[n], sizeof cls[n], "state-%s", status);
        ui_href(p, hrefs[n], sizeof hrefs[n], "/stages/stage/?id=%d&attempt=%d", st->id,
                st->attempt);
        bars[n] = (web_tl_bar){st->submitted, st->completed, labels[n],
                               titles[n],     cls[n],        hrefs[n]};
        n++;
    }
    html_printf(p->b, "<h2 id=\"timeline\">Event Timeline</h2>\n<div class=\"timeline\">");
    web_timeline_svg(p->b, "Stages", bars, n, NULL, 0, p->now);
    html_printf(p->b, "</div>\n");
out:
    free(bars);
    free(titles);
    free(labels);
    free(hrefs);
    free(cls);
}
