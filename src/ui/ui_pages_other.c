/*
 * ui/ui_pages_other.c - the Storage tab (cached RDDs; an RDD's page with
 * its blocks and where they are), the Environment tab (the effective
 * configuration and where each value came from; secret-looking keys were
 * redacted by the store) and the Executors tab (live and lost executors,
 * their tasks, memory and shuffle bytes, why a lost one went).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "ui/ui_pages_int.h"

typedef struct rdd_sums {
    int cached; /* distinct partitions with a block */
    int64_t mem, disk;
} rdd_sums;

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static rdd_sums sums_of(const ui_rdd *r)
{
    rdd_sums t = {0};
    int *parts = malloc((r->nblocks + 1) * sizeof *parts);
    for (size_t b = 0; b < r->nblocks; b++) {
        t.mem += r->blocks[b].memory;
        t.disk += r->blocks[b].disk;
        if (parts) parts[b] = r->blocks[b].part;
    }
    if (parts) {
        qsort(parts, r->nblocks, sizeof *parts, cmp_int);
        for (size_t b = 0; b < r->nblocks; b++) t.cached += b == 0 || parts[b] != parts[b - 1];
    }
    free(parts);
    return t;
}

void ui_page_storage(ui_page *p)
{
    ui_store *s = p->s;
    ui_page_begin(p, UI_TAB_STORAGE, "Storage");
    static const html_col cols[] = {
        {"ID", HTML_NUM},
        {"RDD Name", HTML_TEXT},
        {"Storage Level", HTML_TEXT},
        {"Cached Partitions", HTML_NUM},
        {"Fraction Cached", HTML_NUM},
        {"Size in Memory", HTML_NUM},
        {"Size on Disk", HTML_NUM},
    };
    size_t n = 0;
    for (size_t i = 0; i < s->nrdds; i++) n += s->rdds[i].nblocks > 0;
    html_printf(p->b, "<h2>RDDs (%zu)</h2>\n", n);
    html_table_begin(p->b, "storage-rdds", cols, 7);
    for (size_t i = 0; i < s->nrdds; i++) {
        const ui_rdd *r = &s->rdds[i];
        if (!r->nblocks) continue;
        rdd_sums t = sums_of(r);
        char href[384], text[32];
        html_row_begin(p->b);
        ui_cell_int(p->b, r->id);
        ui_href(p, href, sizeof href, "/storage/rdd/?id=%d", r->id);
        html_cell_link(p->b, href, r->name && *r->name ? r->name : "(no name)");
        html_cell(p->b, ui_storage_desc(r->storage), NULL);
        ui_cell_int(p->b, t.cached);
        double frac = r->partitions > 0 ? 100.0 * t.cached / r->partitions : 0;
        snprintf(text, sizeof text, "%.0f%%", frac);
        html_cell_num(p->b, text, frac);
        ui_cell_bytes(p->b, t.mem);
        ui_cell_bytes(p->b, t.disk);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No RDDs are cached.");
    ui_page_end(p);
}

void ui_page_rdd(ui_page *p)
{
    int64_t id;
    if (!ui_page_int_param(p, "id", true, 0, &id)) return;
    const ui_rdd *r = ui_store_rdd(p->s, (int)id);
    if (!r || !r->nblocks) {
        char why[32];
        snprintf(why, sizeof why, "%lld", (long long)id);
        ui_page_error(p, 404, "No cached RDD %s.", why);
        return;
    }
    char title[300];
    snprintf(title, sizeof title, "RDD Storage Info for %s", r->name && *r->name ? r->name : "");
    ui_page_begin(p, UI_TAB_STORAGE, title);
    rdd_sums t = sums_of(r);
    char m[64], d[64];
    web_fmt_bytes(m, sizeof m, (uint64_t)t.mem);
    web_fmt_bytes(d, sizeof d, (uint64_t)t.disk);
    html_printf(p->b,
                "<ul class=\"summary\"><li><strong>Storage Level:</strong> %s</li>"
                "<li><strong>Cached Partitions:</strong> %d</li>"
                "<li><strong>Total Partitions:</strong> %d</li>"
                "<li><strong>Memory Size:</strong> %s</li><li><strong>Disk Size:</strong> %s</li>"
                "</ul>\n",
                ui_storage_desc(r->storage), t.cached, r->partitions, m, d);
    static const html_col dcols[] = {{"Host", HTML_TEXT},
                                     {"Executor ID", HTML_TEXT},
                                     {"On Heap Memory Usage", HTML_NUM},
                                     {"Disk Usage", HTML_NUM}};
    html_printf(p->b, "<h2>Data Distribution on %zu Executors</h2>\n", p->s->nexecs);
    html_table_begin(p->b, "rdd-executors", dcols, 4);
    for (size_t x = 0; x < p->s->nexecs; x++) {
        int64_t mem = 0, disk = 0;
        bool any = false;
        for (size_t b = 0; b < r->nblocks; b++)
            if (r->blocks[b].executor == (int)x) {
                any = true;
                mem += r->blocks[b].memory;
                disk += r->blocks[b].disk;
            }
        if (!any) continue;
        const ui_executor *e = &p->s->execs[x];
        html_row_begin(p->b);
        html_cell(p->b, e->host ? e->host : "", NULL);
        html_cell(p->b, e->id, NULL);
        char text[160];
        web_fmt_bytes(m, sizeof m, (uint64_t)mem);
        web_fmt_bytes(d, sizeof d,
                      e->max_memory > e->memory_used ? (uint64_t)(e->max_memory - e->memory_used)
                                                     : 0);
        snprintf(text, sizeof text, "%s (%s Remaining)", m, d);
        html_cell_num(p->b, text, (double)mem);
        ui_cell_bytes(p->b, disk);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No blocks.");
    static const html_col bcols[] = {{"Block Name", HTML_TEXT},
                                     {"Storage Level", HTML_TEXT},
                                     {"Size in Memory", HTML_NUM},
                                     {"Size on Disk", HTML_NUM},
                                     {"Executors", HTML_TEXT}};
    html_printf(p->b, "<h2>%zu Blocks</h2>\n", r->nblocks);
    html_table_begin(p->b, "rdd-blocks", bcols, 5);
    for (size_t b = 0; b < r->nblocks; b++) {
        const ui_block *k = &r->blocks[b];
        char name[48];
        snprintf(name, sizeof name, "rdd_%d_%d", r->id, k->part);
        html_row_begin(p->b);
        html_cell(p->b, name, NULL);
        html_cell(p->b, ui_storage_desc(r->storage), NULL);
        ui_cell_bytes(p->b, k->memory);
        ui_cell_bytes(p->b, k->disk);
        html_cell(p->b,
                  k->executor >= 0 && (size_t)k->executor < p->s->nexecs
                      ? p->s->execs[k->executor].id
                      : "",
                  NULL);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No blocks.");
    ui_page_end(p);
}

void ui_page_environment(ui_page *p)
{
    ui_store *s = p->s;
    ui_page_begin(p, UI_TAB_ENV, "Environment");
    html_printf(p->b,
                "<h2>Runtime Information</h2>\n<ul class=\"summary\"><li><strong>kiln "
                "Version:</strong> %s</li></ul>\n",
                KILN_VERSION);
    static const html_col cols[] = {{"Name", HTML_TEXT},
                                    {"Value", HTML_TEXT},
                                    {"Source", HTML_TEXT}};
    html_printf(p->b, "<h2>kiln Properties (%zu)</h2>\n", s->nenv);
    html_table_begin(p->b, "properties", cols, 3);
    for (size_t i = 0; i < s->nenv; i++) {
        html_row_begin(p->b);
        html_cell(p->b, s->env[i].key, NULL);
        html_cell(p->b, s->env[i].value, NULL);
        html_cell(p->b, s->env[i].source, NULL);
        html_row_end(p->b);
    }
    html_table_end(p->b, "No properties.");
    ui_page_end(p);
}

static void exec_row(ui_page *p, const ui_executor *x)
{
    kiln_buf *b = p->b;
    char m[64], t[64], text[160];
    html_row_begin(b);
    html_cell(b, x->id, NULL);
    html_cell(b, x->host ? x->host : "", NULL);
    ui_cell_status(b, x->active ? "Active" : "Dead");
    ui_cell_int(b, x->rdd_blocks);
    web_fmt_bytes(m, sizeof m, (uint64_t)(x->memory_used > 0 ? x->memory_used : 0));
    web_fmt_bytes(t, sizeof t, (uint64_t)(x->max_memory > 0 ? x->max_memory : 0));
    snprintf(text, sizeof text, "%s / %s", m, t);
    html_cell_num(b, text, (double)x->memory_used);
    ui_cell_bytes(b, x->disk_used);
    ui_cell_int(b, x->cores);
    ui_cell_int(b, x->active_tasks);
    ui_cell_int(b, x->failed_tasks);
    ui_cell_int(b, x->completed_tasks);
    ui_cell_int(b, x->active_tasks + x->failed_tasks + x->completed_tasks);
    ui_cell_duration(b, x->total_duration);
    ui_cell_bytes(b, x->input_bytes);
    ui_cell_bytes(b, x->shuffle_read);
    ui_cell_bytes(b, x->shuffle_write);
    ui_cell_time(b, x->added);
    html_cell(b, !x->active && x->remove_reason ? x->remove_reason : "", NULL);
    html_row_end(b);
}

void ui_page_executors(ui_page *p)
{
    ui_store *s = p->s;
    ui_page_begin(p, UI_TAB_EXECUTORS, "Executors");
    static const html_col cols[] = {
        {"Executor ID", HTML_TEXT},   {"Address", HTML_TEXT},        {"Status", HTML_TEXT},
        {"RDD Blocks", HTML_NUM},     {"Storage Memory", HTML_NUM},  {"Disk Used", HTML_NUM},
        {"Cores", HTML_NUM},          {"Active Tasks", HTML_NUM},    {"Failed Tasks", HTML_NUM},
        {"Complete Tasks", HTML_NUM}, {"Total Tasks", HTML_NUM},     {"Task Time", HTML_NUM},
        {"Input", HTML_NUM},          {"Shuffle Read", HTML_NUM},    {"Shuffle Write", HTML_NUM},
        {"Added", HTML_NUM},          {"Removed Reason", HTML_TEXT},
    };
    size_t live = 0;
    for (size_t i = 0; i < s->nexecs; i++) live += s->execs[i].active;
    html_printf(p->b, "<h2>Active Executors (%zu)</h2>\n", live);
    html_table_begin(p->b, "active-executors", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t i = 0; i < s->nexecs; i++)
        if (s->execs[i].active) exec_row(p, &s->execs[i]);
    html_table_end(p->b, "No active executors.");
    html_printf(p->b, "<h2>Dead Executors (%zu)</h2>\n", s->nexecs - live);
    if (s->dropped_executors)
        html_printf(p->b, "<p class=\"note\">%lld older lost executors are not shown.</p>\n",
                    (long long)s->dropped_executors);
    html_table_begin(p->b, "dead-executors", cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t i = 0; i < s->nexecs; i++)
        if (!s->execs[i].active) exec_row(p, &s->execs[i]);
    html_table_end(p->b, "No dead executors.");
    ui_page_end(p);
}
