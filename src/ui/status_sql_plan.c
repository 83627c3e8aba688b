/*
 * ui/status_sql_plan.c - an SQL execution's plan graph and operator
 * metrics in the status store (ui_status.h), as Spark's
 * SQLAppStatusListener keeps them.
 *
 * EV_SQL_PLAN gives the plan as SparkPlanInfo JSON: a tree of nodes, each
 * with a name, a description and metrics naming accumulators. It becomes
 * a list of nodes numbered in pre-order from 0 and edges from each node to
 * its parent, as Spark's SparkPlanGraph numbers them. Every successful
 * task end carries the task's accumulator updates; those of a task whose
 * stage belongs to one of a running execution's jobs are added to that
 * execution's totals (sum, min and max over its tasks, and each task's
 * value until the execution ends, when only their median is kept, for
 * Spark's "total (min, med, max)"). The updates are
 * kept whether or not the graph has come yet: a query measures a join
 * side in jobs of its own before its plan is final. Called under the
 * store's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/json.h"
#include "ui/ui_status.h"
#include "web/web.h"

#define MAX_NODES 100000 /* a plan larger than this keeps its first nodes */
/* Tasks' values kept per accumulator for its median: an execution of more
 * tasks has the median of its first ones. */
#define MAX_VALUES (1u << 20)

void ui_sql_plan_release(ui_sql *x)
{
    kiln_arena_free(x->graph_arena);
    x->graph_arena = NULL;
    x->nodes = NULL;
    x->edges = NULL;
    x->nnodes = x->nedges = 0;
    for (size_t i = 0; i < x->naccs; i++) free(x->accs[i].values);
    free(x->accs);
    x->accs = NULL;
    x->naccs = x->cap_accs = 0;
}

static const char *copy(kiln_arena *a, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    char *c = kiln_arena_alloc(a, n + 1);
    if (!c) return ""; /* out of memory: the node shows without it */
    memcpy(c, s, n + 1);
    return c;
}

typedef struct graph_build {
    kiln_arena *a;
    ui_sql_node *nodes;
    ui_sql_edge *edges;
    int n, ne, cap;
} graph_build;

/* Counts the nodes under v (an upper bound for the arrays). */
static int count_nodes(const json_node *v, int depth)
{
    if (!v || v->type != JSON_OBJECT || depth > JSON_READ_MAX_DEPTH) return 0;
    int n = 1;
    const json_node *kids = json_get(v, "children");
    for (size_t i = 0; kids && kids->type == JSON_ARRAY && i < kids->n && n < MAX_NODES; i++)
        n += count_nodes(kids->items[i], depth + 1);
    return n;
}

/* Adds node v (id: the next in pre-order) and its children; returns its
 * id or -1. */
static int add_node(graph_build *g, const json_node *v, int depth)
{
    if (!v || v->type != JSON_OBJECT || g->n >= g->cap || depth > JSON_READ_MAX_DEPTH) return -1;
    int id = g->n++;
    ui_sql_node *x = &g->nodes[id];
    x->id = id;
    x->name = copy(g->a, json_get_str(v, "nodeName"));
    x->desc = copy(g->a, json_get_str(v, "simpleString"));
    const json_node *ms = json_get(v, "metrics");
    size_t nm = ms && ms->type == JSON_ARRAY ? ms->n : 0;
    x->metrics = nm ? kiln_arena_alloc(g->a, nm * sizeof *x->metrics) : NULL;
    x->nmetrics = 0;
    for (size_t i = 0; x->metrics && i < nm; i++) {
        const json_node *m = ms->items[i];
        const json_node *acc = json_get(m, "accumulatorId");
        if (!acc || acc->type != JSON_NUMBER) continue;
        ui_sql_metric *o = &x->metrics[x->nmetrics++];
        o->name = copy(g->a, json_get_str(m, "name"));
        o->type = copy(g->a, json_get_str(m, "metricType"));
        o->acc = json_get_int(m, "accumulatorId", 0);
    }
    const json_node *kids = json_get(v, "children");
    for (size_t i = 0; kids && kids->type == JSON_ARRAY && i < kids->n; i++) {
        int c = add_node(g, kids->items[i], depth + 1);
        if (c >= 0) g->edges[g->ne++] = (ui_sql_edge){c, id};
    }
    return id;
}

void ui_sql_plan(ui_store *s, const engine_event *e)
{
    ui_sql *x = ui_store_sql(s, e->sql_execution);
    if (!x || !e->plan_info) return;
    /* Parsed into tmp, the graph built into keep. */
    kiln_arena *tmp = kiln_arena_new(), *keep = kiln_arena_new();
    json_node *v;
    char err[160];
    bool ok = tmp && keep &&
              json_doc_parse(tmp, e->plan_info, strlen(e->plan_info), &v, err, sizeof err) ==
                  KILN_OK;
    graph_build g = {.a = keep, .cap = ok ? count_nodes(v, 0) : 0};
    if (ok) {
        g.nodes = kiln_arena_alloc(keep, (size_t)(g.cap ? g.cap : 1) * sizeof *g.nodes);
        g.edges = kiln_arena_alloc(keep, (size_t)(g.cap ? g.cap : 1) * sizeof *g.edges);
        ok = g.nodes && g.edges && add_node(&g, v, 0) == 0;
    }
    kiln_arena_free(tmp);
    if (!ok) {
        kiln_arena_free(keep);
        return;
    }
    kiln_arena_free(x->graph_arena);
    x->graph_arena = keep;
    x->nodes = g.nodes;
    x->nnodes = g.n;
    x->edges = g.edges;
    x->nedges = g.ne;
    if (e->plan && *e->plan) {
        char *text = strdup(e->plan);
        if (text) {
            free(x->plan);
            x->plan = text;
        }
    }
}

static ui_sql *execution_of_stage(ui_store *s, int stage)
{
    for (size_t i = s->nsqls; i-- > 0;) {
        ui_sql *x = &s->sqls[i];
        if (x->state != UI_RUNNING) continue;
        for (int k = x->nstages; k-- > 0;)
            if (x->stages[k] == stage) return x;
    }
    return NULL;
}

/* Where accumulator id is, or would go, in x's totals (sorted by id). */
static size_t acc_at(const ui_sql *x, int64_t id)
{
    size_t lo = 0, hi = x->naccs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->accs[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* x's total of accumulator id, added (zero) when it has none yet. */
static ui_acc_total *total_of(ui_sql *x, int64_t id)
{
    size_t lo = acc_at(x, id);
    if (lo < x->naccs && x->accs[lo].id == id) return &x->accs[lo];
    if (x->naccs == x->cap_accs) {
        size_t cap = x->cap_accs ? x->cap_accs * 2 : 16;
        ui_acc_total *g = realloc(x->accs, cap * sizeof *g);
        if (!g) return NULL;
        x->accs = g;
        x->cap_accs = cap;
    }
    memmove(&x->accs[lo + 1], &x->accs[lo], (x->naccs - lo) * sizeof *x->accs);
    x->naccs++;
    x->accs[lo] = (ui_acc_total){.id = id, .min = INT64_MAX, .max = INT64_MIN};
    return &x->accs[lo];
}

void ui_sql_task_end(ui_store *s, const engine_event *e)
{
    if (e->rc != KILN_OK) return;
    ui_sql *x = execution_of_stage(s, e->stage);
    if (!x) return;
    for (size_t i = 0; i < e->naccs; i++) {
        if (e->accs[i].delta.type != KILN_INT) continue;
        ui_acc_total *t = total_of(x, e->accs[i].id);
        if (!t) return;
        int64_t v = e->accs[i].delta.u.i;
        t->sum += v;
        t->tasks++;
        if (v < t->min) t->min = v;
        if (v > t->max) t->max = v;
        if (t->nvalues < MAX_VALUES &&
            !grow_for_one((void **)&t->values, t->nvalues, &t->cap_values, sizeof *t->values, 16))
            t->values[t->nvalues++] = v;
    }
}

/* The median of v[0..n) as Spark takes it (the element at n/2 once
 * sorted); sorts v. */
static int64_t median(int64_t *v, size_t n)
{
    ui_sort_i64(v, n);
    return n ? v[n / 2] : 0;
}

void ui_sql_plan_settle(ui_sql *x)
{
    for (size_t i = 0; i < x->naccs; i++) {
        ui_acc_total *t = &x->accs[i];
        if (!t->values) continue;
        t->med = median(t->values, t->nvalues);
        free(t->values);
        t->values = NULL;
        t->nvalues = t->cap_values = 0;
    }
}

/* t's median: kept once the execution has ended, else of a sorted copy of
 * its values (t->min when the copy cannot be made). */
static int64_t median_of(const ui_acc_total *t)
{
    if (!t->values) return t->med;
    int64_t *v = malloc(t->nvalues * sizeof *v + 1);
    if (!v) return t->min;
    memcpy(v, t->values, t->nvalues * sizeof *v);
    int64_t m = median(v, t->nvalues);
    free(v);
    return m;
}

static void fmt_one(const char *type, int64_t v, char *out, size_t size)
{
    if (strcmp(type, "size") == 0) web_fmt_bytes(out, size, (uint64_t)(v < 0 ? 0 : v));
    else if (strcmp(type, "nsTiming") == 0) web_fmt_duration(out, size, v / 1000000);
    else web_fmt_duration(out, size, v);
}

void ui_sql_metric_value(const ui_sql *x, const ui_sql_metric *m, char *out, size_t size)
{
    if (size) out[0] = '\0';
    size_t at = acc_at(x, m->acc);
    const ui_acc_total *t = at < x->naccs && x->accs[at].id == m->acc ? &x->accs[at] : NULL;
    if (!t || !t->tasks) return;
    if (strcmp(m->type, "sum") == 0 || !*m->type) {
        /* 1234567 as "1,234,567" */
        char digits[32];
        snprintf(digits, sizeof digits, "%lld", (long long)(t->sum < 0 ? -t->sum : t->sum));
        size_t n = strlen(digits), o = 0;
        if (t->sum < 0 && o + 1 < size) out[o++] = '-';
        for (size_t i = 0; i < n && o + 2 < size; i++) {
            if (i && (n - i) % 3 == 0) out[o++] = ',';
            out[o++] = digits[i];
        }
        if (size) out[o < size ? o : size - 1] = '\0';
        return;
    }
    char total[32], lo_s[32], med_s[32], hi_s[32];
    fmt_one(m->type, t->sum, total, sizeof total);
    fmt_one(m->type, t->min, lo_s, sizeof lo_s);
    fmt_one(m->type, median_of(t), med_s, sizeof med_s);
    fmt_one(m->type, t->max, hi_s, sizeof hi_s);
    snprintf(out, size, "%s (%s, %s, %s)", total, lo_s, med_s, hi_s);
}
