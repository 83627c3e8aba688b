/*
 * ui/ui_pages_int.h - what the page files of src/ui share (ui_pages.c,
 * ui_pages_jobs.c, ui_pages_stages.c, ui_pages_other.c): the page frame
 * with Spark's tabs, links under a base, cells of Spark's formats. Every
 * page function is called with s->lock held.
 */
#ifndef KILN_UI_PAGES_INT_H
#define KILN_UI_PAGES_INT_H

#include "ui/ui_pages.h"

#pragma GCC visibility push(hidden)

enum { UI_TAB_JOBS, UI_TAB_STAGES, UI_TAB_STORAGE, UI_TAB_ENV, UI_TAB_EXECUTORS, UI_TAB_SQL };

typedef struct ui_page {
    ui_store *s; /* locked */
    const char *base;
    const web_request *req;
    web_response *res;
    kiln_buf *b; /* &res->body */
    int64_t now; /* epoch ms: a running thing's duration runs to now */
} ui_page;

/* The page's head: tabs under p->base, tab active, the title (escaped)
 * with the application's name in the brand. */
void ui_page_begin(ui_page *p, int tab, const char *title);
void ui_page_end(ui_page *p);
/* Answers status with a page saying why (fmt's %s escaped: html_printf). */
void ui_page_error(ui_page *p, int status, const char *fmt, const char *arg);
/* The integer parameter name of the request; false (after answering 400
 * or 404) when missing or malformed. */
bool ui_page_int_param(ui_page *p, const char *name, bool required, int64_t dflt, int64_t *out);

/* href = base + the formatted path and query (ids only: no escaping
 * needed here; html_cell_link escapes the whole). */
void ui_href(const ui_page *p, char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Cells of Spark's formats, sorting by the number. */
void ui_cell_time(kiln_buf *b, int64_t epoch_ms);
void ui_cell_duration(kiln_buf *b, int64_t ms);
void ui_cell_bytes(kiln_buf *b, int64_t bytes);
void ui_cell_int(kiln_buf *b, int64_t n);
/* "12.0 KiB / 40" (bytes and records), sorting by bytes; "" when both 0. */
void ui_cell_bytes_records(kiln_buf *b, int64_t bytes, int64_t records);
/* A status cell with class state-STATUS. */
void ui_cell_status(kiln_buf *b, const char *status);
/* A progress cell: a <progress> bar and "done/total (N failed)". */
void ui_cell_tasks(kiln_buf *b, int done, int total, int failed, int running);

/* The duration of something that started at start and ended at end (0:
 * still running: to now); 0 when it never started. */
int64_t ui_span(int64_t start, int64_t end, int64_t now);

/* The Event Timeline sections (ui_pages_timeline.c): the application's
 * executors and its last UI_TIMELINE_JOBS jobs; a job's stages. */
#define UI_TIMELINE_JOBS 100
void ui_jobs_timeline(ui_page *p);
void ui_job_timeline(ui_page *p, const ui_job *j);

void ui_page_jobs(ui_page *p);
void ui_page_job(ui_page *p);
void ui_page_stages(ui_page *p);
void ui_page_stage(ui_page *p);
void ui_page_storage(ui_page *p);
void ui_page_rdd(ui_page *p);
void ui_page_environment(ui_page *p);
void ui_page_executors(ui_page *p);
void ui_page_sql(ui_page *p);
void ui_page_sql_execution(ui_page *p);
/* A table of stages (the Stages tab's and a job's): rows for each stage
 * whose index in s->stages is listed in idx. */
void ui_stage_table(ui_page *p, const char *id, const size_t *idx, size_t n);

#pragma GCC visibility pop

#endif
