/*
 * ui/ui_pages_stages.c - the Stages tab (Spark's AllStagesPage and
 * StagePage): every stage attempt, and a stage's page: its summary and
 * failure, the quantiles of its successful tasks' metrics (Spark's
 * taskSummary: min, 25th, median, 75th, max at index min(q·n, n−1) of the
 * sorted values), its metrics aggregated by executor, and its tasks, paged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/ui_pages_int.h"

#define PAGE_SIZE 100
#define PAGE_SIZE_MAX 10000

static int64_t sr_bytes(const task_metrics *m)
{
    return m->sr_local_bytes + m->sr_remote_bytes;
}

void ui_stage_table(ui_page *p, const char *id, const size_t *idx, size_t n)
{
    static const html_col cols[] = {
        {"Stage Id", HTML_NUM}, {"Description", HTML_TEXT},           {"Submitted", HTML_NUM},
        {"Duration", HTML_NUM}, {"Tasks: Succeeded/Total", HTML_NUM}, {"Input", HTML_NUM},
        {"Output", HTML_NUM},   {"Shuffle Read", HTML_NUM},           {"Shuffle Write", HTML_NUM},
        {"Status", HTML_TEXT},  {"Failure Reason", HTML_TEXT},
    };
    kiln_buf *b = p->b;
    html_table_begin(b, id, cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t k = n; k-- > 0;) {
        const ui_stage *st = &p->s->stages[idx[k]];
        char href[384], text[64];
        html_row_begin(b);
        if (st->attempt) snprintf(text, sizeof text, "%d (retry %d)", st->id, st->attempt);
        else snprintf(text, sizeof text, "%d", st->id);
        html_cell_num(b, text, st->id + st->attempt / 1000.0);
        ui_href(p, href, sizeof href, "/stages/stage/?id=%d&attempt=%d", st->id, st->attempt);
        html_cell_link(b, href, st->name && *st->name ? st->name : "(no name)");
        ui_cell_time(b, st->submitted);
        ui_cell_duration(b, st->submitted ? ui_span(st->submitted, st->completed, p->now) : 0);
        ui_cell_tasks(b, st->complete, st->num_tasks, st->failed, st->active);
        ui_cell_bytes(b, st->sum.input_bytes);
        ui_cell_bytes(b, st->sum.output_bytes);
        ui_cell_bytes(b, sr_bytes(&st->sum));
        ui_cell_bytes(b, st->sum.sw_bytes);
        ui_cell_status(b, ui_stage_status(st->state));
        html_cell(b, st->failure ? st->failure : "", NULL);
        html_row_end(b);
    }
    html_table_end(b, "No stages.");
}

void ui_page_stages(ui_page *p)
{
    ui_store *s = p->s;
    static const struct {
        ui_state st;
        const char *title, *id;
    } groups[] = {
        {UI_RUNNING, "Active Stages", "active-stages"},
        {UI_PENDING, "Pending Stages", "pending-stages"},
        {UI_SUCCEEDED, "Completed Stages", "completed-stages"},
        {UI_SKIPPED, "Skipped Stages", "skipped-stages"},
        {UI_FAILED, "Failed Stages", "failed-stages"},
    };
    ui_page_begin(p, UI_TAB_STAGES, "Stages for All Jobs");
    size_t *idx = malloc((s->nstages + 1) * sizeof *idx);
    if (!idx) {
        ui_page_end(p);
        return;
    }
    html_printf(p->b, "<ul class=\"summary\">");
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        size_t n = 0;
        for (size_t i = 0; i < s->nstages; i++) n += s->stages[i].state == groups[g].st;
        html_printf(p->b, "<li><strong>%s:</strong> %zu</li>", groups[g].title, n);
    }
    html_printf(p->b, "</ul>\n");
    if (s->dropped_stages)
        html_printf(
            p->b,
            "<p class=\"note\">%lld older stages are not shown (kiln.ui.retainedStages).</p>\n",
            (long long)s->dropped_stages);
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        size_t n = 0;
        for (size_t i = 0; i < s->nstages; i++)
            if (s->stages[i].state == groups[g].st) idx[n++] = i;
        html_printf(p->b, "<h2>%s (%zu)</h2>\n", groups[g].title, n);
        ui_stage_table(p, groups[g].id, idx, n);
    }
    free(idx);
    ui_page_end(p);
}

/* The five quantiles of the values in v[0..n) (sorted here). */
static void quantiles(int64_t *v, size_t n, int64_t out[5])
{
    static const double q[5] = {0, 0.25, 0.5, 0.75, 1.0};
    ui_sort_i64(v, n);
    for (int i = 0; i < 5; i++) {
        size_t at = (size_t)(q[i] * (double)n);
        out[i] = v[at > n - 1 ? n - 1 : at];
    }
}

enum {
    M_DURATION,
    M_RUN,
    M_PEAK,
    M_IN_B,
    M_IN_R,
    M_OUT_B,
    M_OUT_R,
    M_SR_B,
    M_SR_R,
    M_SW_B,
    M_SW_R,
    M_SPILL_M,
    M_SPILL_D,
    M_DELAY,
    M_DESER,
    M_SER,
    M_COUNT
};

static int64_t metric(const ui_task *t, int m)
{
    switch (m) {
    case M_DURATION:
        return t->duration;
    case M_RUN:
        return t->m.run_time;
    case M_PEAK:
        return t->m.peak_memory;
    case M_IN_B:
        return t->m.input_bytes;
    case M_IN_R:
        return t->m.input_records;
    case M_OUT_B:
        return t->m.output_bytes;
    case M_OUT_R:
        return t->m.output_records;
    case M_SR_B:
        return sr_bytes(&t->m);
    case M_SR_R:
        return t->m.sr_records;
    case M_SW_B:
        return t->m.sw_bytes;
    case M_SW_R:
        return t->m.sw_records;
    case M_SPILL_M:
        return t->m.memory_spilled;
    case M_SPILL_D:
        return t->m.disk_spilled;
    case M_DELAY:
        return ui_task_scheduler_delay(t);
    case M_DESER:
        return t->m.deser_time;
    case M_SER:
        return t->m.result_ser_time;
    }
    return 0;
}

static void summary_metrics(ui_page *p, const ui_stage *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->ntasks; i++) n += st->tasks[i].state == UI_SUCCEEDED;
    html_printf(p->b, "<h2>Summary Metrics for %zu Completed Tasks</h2>\n", n);
    static const html_col cols[] = {{"Metric", HTML_TEXT},         {"Min", HTML_NUM},
                                    {"25th percentile", HTML_NUM}, {"Median", HTML_NUM},
                                    {"75th percentile", HTML_NUM}, {"Max", HTML_NUM}};
    html_table_begin(p->b, "summary-metrics", cols, 6);
    int64_t *v = n ? malloc(n * sizeof *v) : NULL;
    int64_t q[M_COUNT][5];
    for (int m = 0; v && m < M_COUNT; m++) {
        size_t k = 0;
        for (size_t i = 0; i < st->ntasks; i++)
            if (st->tasks[i].state == UI_SUCCEEDED) v[k++] = metric(&st->tasks[i], m);
        quantiles(v, n, q[m]);
    }
    free(v);
    static const struct {
        const char *label;
        int a, b; /* b: records (-1: none) */
        bool time;
    } rows[] = {
        {"Duration", M_DURATION, -1, true},
        {"Scheduler Delay", M_DELAY, -1, true},
        {"Task Deserialization Time", M_DESER, -1, true},
        {"Executor Run Time", M_RUN, -1, true},
        {"Result Serialization Time", M_SER, -1, true},
        {"Peak Execution Memory", M_PEAK, -1, false},
        {"Input Size / Records", M_IN_B, M_IN_R, false},
        {"Output Size / Records", M_OUT_B, M_OUT_R, false},
        {"Shuffle Read Size / Records", M_SR_B, M_SR_R, false},
        {"Shuffle Write Size / Records", M_SW_B, M_SW_R, false},
        {"Spill (Memory)", M_SPILL_M, -1, false},
        {"Spill (Disk)", M_SPILL_D, -1, false},
    };
    for (size_t r = 0; n && r < sizeof rows / sizeof rows[0]; r++) {
        bool any = rows[r].time;
        for (int i = 0; i < 5; i++)
            any = any || q[rows[r].a][i] || (rows[r].b >= 0 && q[rows[r].b][i]);
        if (!any) continue; /* Spark leaves out what no task did */
        html_row_begin(p->b);
        html_cell(p->b, rows[r].label, NULL);
        for (int i = 0; i < 5; i++) {
            if (rows[r].time) ui_cell_duration(p->b, q[rows[r].a][i]);
            else if (rows[r].b >= 0) ui_cell_bytes_records(p->b, q[rows[r].a][i], q[rows[r].b][i]);
            else ui_cell_bytes(p->b, q[rows[r].a][i]);
        }
        html_row_end(p->b);
    }
    html_table_end(p->b, "No completed tasks.");
}

typedef struct exec_agg {
    int64_t time;
    int total, failed, succeeded, killed;
    task_metrics m;
} exec_agg;

static void by_executor(ui_page *p, const ui_stage *st)
{
    size_t nx = p->s->nexecs;
    exec_agg *a = calloc(nx + 1, sizeof *a);
    if (!a) return;
    for (size_t i = 0; i < st->ntasks; i++) {
        const ui_task *t = &st->tasks[i];
        if (t->executor < 0 || (size_t)t->executor >= nx) continue;
        exec_agg *x = &a[t->executor];
        x->total++;
        if (t->state == UI_RUNNING) continue;
        x->time += t->duration;
        x->failed += t->state == UI_FAILED;
        x->killed += t->state == UI_KILLED;
        x->succeeded += t->state == UI_SUCCEEDED;
        task_metrics_add(&x->m, &t->m);
    }
    static const html_col cols[] = {
        {"Executor ID", HTML_TEXT},
        {"Address", HTML_TEXT},
        {"Task Time", HTML_NUM},
        {"Total Tasks", HTML_NUM},
        {"Failed Tasks", HTML_NUM},
        {"Killed Tasks", HTML_NUM},
        {"Succeeded Tasks", HTML_NUM},
        {"Input Size / Records", HTML_NUM},
        {"Output Size / Records", HTML_NUM},
        {"Shuffle Read Size / Records", HTML_NUM},
        {"Shuffle Write Size / Records", HTML_NUM},
        {"Spill (Memory)", HTML_NUM},
        {"Spill (Disk)", HTML_NUM},
    };
    html_printf(p->b, "<h2>Aggregated Metrics by Executor</h2>\n");
    html_table_begin(p->b, "by-executor", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t x = 0; x < nx; x++) {
        if (!a[x].total) continue;
        const ui_executor *e = &p->s->execs[x];
        html_row_begin(p->b);
        html_cell(p->b, e->id, NULL);
        html_cell(p->b, e->host ? e->host : "", NULL);
        ui_cell_duration(p->b, a[x].time);
        ui_cell_int(p->b, a[x].total);
        ui_cell_int(p->b, a[x].failed);
        ui_cell_int(p->b, a[x].killed);
        ui_cell_int(p->b, a[x].succeeded);
        ui_cell_bytes_records(p->b, a[x].m.input_bytes, a[x].m.input_records);
        ui_cell_bytes_records(p->b, a[x].m.output_bytes, a[x].m.output_records);
        ui_cell_bytes_records(p->b, sr_bytes(&a[x].m), a[x].m.sr_records);
        ui_cell_bytes_records(p->b, a[x].m.sw_bytes, a[x].m.sw_records);
        ui_cell_bytes(p->b, a[x].m.memory_spilled);
        ui_cell_bytes(p->b, a[x].m.disk_spilled);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No tasks have run.");
    free(a);
}

static void task_table(ui_page *p, const ui_stage *st, int64_t page, int64_t size)
{
    size_t first = (size_t)((page - 1) * size), n = st->ntasks;
    int64_t pages = n ? (int64_t)((n + (size_t)size - 1) / (size_t)size) : 1;
    html_printf(p->b, "<h2 id=\"tasks\">Tasks (%zu)</h2>\n", n);
    if (st->dropped_tasks)
        html_printf(p->b,
                    "<p class=\"note\">%lld older finished tasks are not shown "
                    "(kiln.ui.retainedTasks).</p>\n",
                    (long long)st->dropped_tasks);
    if (pages > 1) {
        html_printf(p->b, "<p class=\"pager\">");
        for (int64_t g = 1; g <= pages; g++) {
            if (pages > 20 && g > 3 && g < pages - 2 && (g < page - 3 || g > page + 3)) {
                if (g == 4 || g == pages - 3) html_printf(p->b, "<span>…</span>");
                continue;
            }
            char href[384];
            ui_href(p, href, sizeof href, "/stages/stage/?id=%d&attempt=%d&page=%lld&pageSize=%lld",
                    st->id, st->attempt, (long long)g, (long long)size);
            if (g == page) html_printf(p->b, "<span>%lld</span>", (long long)g);
            else html_printf(p->b, "<a href=\"%s#tasks\">%lld</a>", href, (long long)g);
        }
        html_printf(p->b, "</p>\n");
    }
    static const html_col cols[] = {
        {"Index", HTML_NUM},
        {"Task ID", HTML_NUM},
        {"Attempt", HTML_NUM},
        {"Status", HTML_TEXT},
        {"Executor ID", HTML_TEXT},
        {"Host", HTML_TEXT},
        {"Launch Time", HTML_NUM},
        {"Duration", HTML_NUM},
        {"Scheduler Delay", HTML_NUM},
        {"Task Deserialization Time", HTML_NUM},
        {"Result Serialization Time", HTML_NUM},
        {"Input Size / Records", HTML_NUM},
        {"Output Size / Records", HTML_NUM},
        {"Shuffle Read Size / Records", HTML_NUM},
        {"Shuffle Write Size / Records", HTML_NUM},
        {"Spill (Memory)", HTML_NUM},
        {"Spill (Disk)", HTML_NUM},
        {"Errors", HTML_TEXT},
    };
    html_table_begin(p->b, "task-table", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t i = first; i < n && i < first + (size_t)size; i++) {
        const ui_task *t = &st->tasks[i];
        const ui_executor *e = t->executor >= 0 && (size_t)t->executor < p->s->nexecs
                                   ? &p->s->execs[t->executor]
                                   : NULL;
        html_row_begin(p->b);
        ui_cell_int(p->b, t->index);
        ui_cell_int(p->b, t->task_id);
        ui_cell_int(p->b, t->attempt);
        ui_cell_status(p->b, ui_task_status(t->state));
        html_cell(p->b, e ? e->id : "", NULL);
        html_cell(p->b, e && e->host ? e->host : "", NULL);
        ui_cell_time(p->b, t->launch);
        ui_cell_duration(p->b,
                         t->state == UI_RUNNING ? ui_span(t->launch, 0, p->now) : t->duration);
        ui_cell_duration(p->b, ui_task_scheduler_delay(t));
        ui_cell_duration(p->b, t->m.deser_time);
        ui_cell_duration(p->b, t->m.result_ser_time);
        ui_cell_bytes_records(p->b, t->m.input_bytes, t->m.input_records);
        ui_cell_bytes_records(p->b, t->m.output_bytes, t->m.output_records);
        ui_cell_bytes_records(p->b, sr_bytes(&t->m), t->m.sr_records);
        ui_cell_bytes_records(p->b, t->m.sw_bytes, t->m.sw_records);
        ui_cell_bytes(p->b, t->m.memory_spilled);
        ui_cell_bytes(p->b, t->m.disk_spilled);
        if (t->error)
            html_printf(p->b, "<td class=\"error\"><pre class=\"error\">%s</pre></td>", t->error);
        else html_cell(p->b, "", NULL);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No tasks have started.");
}

void ui_page_stage(ui_page *p)
{
    int64_t id, attempt, page, size;
    if (!ui_page_int_param(p, "id", true, 0, &id) ||
        !ui_page_int_param(p, "attempt", false, -1, &attempt) ||
        !ui_page_int_param(p, "page", false, 1, &page) ||
        !ui_page_int_param(p, "pageSize", false, PAGE_SIZE, &size))
        return;
    if (page < 1) page = 1;
    if (size < 1) size = PAGE_SIZE;
    if (size > PAGE_SIZE_MAX) size = PAGE_SIZE_MAX;
    const ui_stage *st = ui_store_stage(p->s, (int)id, (int)attempt);
    if (!st) {
        char why[64];
        snprintf(why, sizeof why, "%lld (attempt %lld)", (long long)id, (long long)attempt);
        ui_page_error(p, 404, "No stage %s (unknown, or no longer retained).", why);
        return;
    }
    char title[96];
    snprintf(title, sizeof title, "Details for Stage %d (Attempt %d)", st->id, st->attempt);
    ui_page_begin(p, UI_TAB_STAGES, title);
    int64_t total_time = 0;
    for (size_t i = 0; i < st->ntasks; i++) total_time += st->tasks[i].duration;
    char t[6][64], href[384];
    web_fmt_duration(t[0], sizeof t[0], total_time);
    web_fmt_bytes(t[1], sizeof t[1], (uint64_t)st->sum.input_bytes);
    web_fmt_bytes(t[2], sizeof t[2], (uint64_t)st->sum.output_bytes);
    web_fmt_bytes(t[3], sizeof t[3], (uint64_t)sr_bytes(&st->sum));
    web_fmt_bytes(t[4], sizeof t[4], (uint64_t)st->sum.sw_bytes);
    const char *status = ui_stage_status(st->state);
    ui_href(p, href, sizeof href, "/jobs/job/?id=%d", st->job);
    html_printf(p->b,
                "<ul class=\"summary\"><li><strong>Status:</strong> <span class=\"state-%s\">%s"
                "</span></li><li><strong>Description:</strong> %s</li>"
                "<li><strong>Associated Job:</strong> <a href=\"%s\">%d</a></li>"
                "<li><strong>Total Time Across All Tasks:</strong> %s</li>",
                status, status, st->name ? st->name : "", href, st->job, t[0]);
    html_printf(p->b,
                "<li><strong>Input Size / Records:</strong> %s / %lld</li>"
                "<li><strong>Output Size / Records:</strong> %s / %lld</li>"
                "<li><strong>Shuffle Read Size / Records:</strong> %s / %lld</li>"
                "<li><strong>Shuffle Write Size / Records:</strong> %s / %lld</li>",
                t[1], (long long)st->sum.input_records, t[2], (long long)st->sum.output_records,
                t[3], (long long)st->sum.sr_records, t[4], (long long)st->sum.sw_records);
    web_fmt_bytes(t[0], sizeof t[0], (uint64_t)st->sum.memory_spilled);
    web_fmt_bytes(t[1], sizeof t[1], (uint64_t)st->sum.disk_spilled);
    html_printf(p->b,
                "<li><strong>Spill (Memory):</strong> %s</li>"
                "<li><strong>Spill (Disk):</strong> %s</li></ul>\n",
                t[0], t[1]);
    if (st->failure)
        html_printf(p->b, "<h2>Failure Reason</h2>\n<pre class=\"error\">%s</pre>\n", st->failure);
    summary_metrics(p, st);
    by_executor(p, st);
    task_table(p, st, page, size);
    ui_page_end(p);
}
