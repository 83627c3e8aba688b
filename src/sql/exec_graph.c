/*
 * sql/exec_graph.c - the plan of a query as it runs, for the UI and the
 * event log (exec_int.h): Spark's SparkPlanInfo and SQL metrics.
 *
 * While exec.c cuts a plan into stages, every operator of the fragments it
 * runs gets a node here (its name in Spark's words, its EXPLAIN line) and
 * two accumulators: rows out and the operator's own time in ns (op.h
 * measures them and adds them to the task's accumulators when the
 * operator closes). What sits between fragments gets a node of its own
 * (Exchange, BroadcastExchange, Union, a measured query stage) whose
 * accumulators the writing fragment's tasks add the rows and bytes they
 * emit to (exec_task.c). Edges run from a node to the one reading its
 * output, so the nodes form a tree under the query's last operator; the
 * tree goes to the listeners as SparkPlanInfo JSON
 * (kiln_sql_execution_plan), and the tasks' accumulator updates ride on
 * their task-end events, so the UI sums each metric over the tasks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "sql/exec_int.h"

/* A metric: its name and Spark's metricType. */
typedef struct metric_def {
    const char *name, *type;
} metric_def;

typedef struct gnode {
    char *name, *desc;
    int parent;  /* 1-based gid, 0: none yet */
    int64_t acc; /* first of its two accumulators, 0: none */
    metric_def m[2];
} gnode;

struct exec_graph {
    kiln_context *ctx;
    gnode *nodes;
    int n, cap;
};

exec_graph *exec_graph_new(kiln_context *ctx)
{
    exec_graph *g = calloc(1, sizeof *g);
    if (g) g->ctx = ctx;
    return g;
}

void exec_graph_free(exec_graph *g)
{
    if (!g) return;
    for (int i = 0; i < g->n; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].desc);
    }
    free(g->nodes);
    free(g);
}

static int nomem(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory describing a query's plan");
}

/* A node with metrics m[2] (NULL: none); returns its gid or an error. */
static int add(exec_graph *g, const char *name, const char *desc, const metric_def *m)
{
    if (g->n == g->cap) {
        int cap = g->cap ? g->cap * 2 : 16;
        gnode *more = realloc(g->nodes, sizeof *more * (size_t)cap);
        if (!more) return nomem();
        g->nodes = more;
        g->cap = cap;
    }
    gnode *x = &g->nodes[g->n];
    memset(x, 0, sizeof *x);
    x->name = strdup(name);
    x->desc = strdup(desc ? desc : name);
    if (!x->name || !x->desc) {
        free(x->name);
        free(x->desc);
        return nomem();
    }
    if (m) {
        /* Two consecutive ids (op.h adds to acc and acc + 1): another
         * thread's accumulator may come between, then a pair is made again. */
        int64_t a0 = -1, a1 = -1;
        for (int tries = 0; tries < 8 && a1 != a0 + 1; tries++) {
            a0 = kiln_accumulator_new(g->ctx, m[0].name, KILN_INT);
            a1 = a0 > 0 ? kiln_accumulator_new(g->ctx, m[1].name, KILN_INT) : a0;
            if (a0 < 0 || a1 < 0) break;
        }
        if (a0 <= 0 || a1 != a0 + 1) {
            free(x->name);
            free(x->desc);
            return a0 < 0 ? (int)a0
                   : a1 < 0
                       ? (int)a1
                       : kiln_set_error(KILN_ESQL, "plan metrics: no consecutive accumulator ids");
        }
        x->acc = a0;
        x->m[0] = m[0];
        x->m[1] = m[1];
    }
    return ++g->n;
}

static const char *time_name(const plan *p)
{
    switch (p->kind) {
    case PLAN_SCAN:
        return "scan time";
    case PLAN_AGG:
        return "time in aggregation build";
    case PLAN_SORT:
        return "sort time";
    case PLAN_JOIN:
        return "join time";
    default:
        return "time";
    }
}

static bool has_broadcast(const plan *p)
{
    for (int i = 0; i < p->nin; i++)
        if (p->in[i]->kind == PLAN_BROADCAST) return true;
    return false;
}

/* Spark's name of fragment node p (when exec.c gave none). */
static const char *name_of(const plan *p, char *buf, size_t size)
{
    switch (p->kind) {
    case PLAN_SCAN:
        snprintf(buf, size, "Scan %s", p->src.format);
        return buf;
    case PLAN_RANGE:
        return "Range";
    case PLAN_VALUES:
        return "LocalTableScan";
    case PLAN_PROJECT:
        return "Project";
    case PLAN_FILTER:
        return "Filter";
    case PLAN_AGG:
        return "HashAggregate";
    case PLAN_SORT:
        return p->limit > 0 ? "TakeOrderedAndProject" : "Sort";
    case PLAN_LIMIT:
        return "Limit";
    case PLAN_EXPLODE:
        return "Generate";
    case PLAN_WINDOW:
        return "Window";
    case PLAN_WINDOW_LIMIT:
        return "WindowGroupLimit";
    case PLAN_JOIN:
        if (has_broadcast(p)) return p->nkeys ? "BroadcastHashJoin" : "BroadcastNestedLoopJoin";
        return p->nkeys ? "ShuffledHashJoin" : "CartesianProduct";
    default:
        return "Input";
    }
}

/* The EXPLAIN line of p under name (with the aggregate's mode). */
static char *line_of(const plan *p, const char *name)
{
    char full[96];
    if (p->kind == PLAN_AGG) {
        static const char *const modes[] = {"complete", "partial", "final"};
        snprintf(full, sizeof full, "%s(%s)", name, modes[p->agg_mode % 3]);
        name = full;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = plan_explain_line(&b, p, name);
    while (!rc && b.len && b.data[b.len - 1] == '\n') b.len--;
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    if (rc) {
        kiln_buf_release(&b);
        return NULL;
    }
    return (char *)b.data;
}

int exec_graph_node(exec_graph *g, plan *p, const char *name)
{
    if (!g || p->gid) return KILN_OK;
    char buf[64];
    if (!name) name = name_of(p, buf, sizeof buf);
    char *desc = line_of(p, p->kind == PLAN_SCAN ? "FileScan" : name);
    if (!desc) return nomem();
    metric_def m[2] = {{"number of output rows", "sum"}, {time_name(p), "nsTiming"}};
    int gid = add(g, name, desc, m);
    free(desc);
    if (gid < 0) return gid;
    p->gid = gid;
    p->acc = g->nodes[gid - 1].acc;
    return KILN_OK;
}

void exec_graph_link(exec_graph *g, int child, int parent)
{
    if (g && child > 0 && child <= g->n && parent > 0 && parent <= g->n && child != parent)
        g->nodes[child - 1].parent = parent;
}

int exec_graph_fragment(exec_graph *g, plan *frag)
{
    if (!g) return KILN_OK;
    for (int i = 0; i < frag->nin; i++) {
        int rc = exec_graph_fragment(g, frag->in[i]);
        if (rc) return rc;
    }
    int rc = exec_graph_node(g, frag, NULL);
    if (rc) return rc;
    for (int i = 0; i < frag->nin; i++) exec_graph_link(g, frag->in[i]->gid, frag->gid);
    return KILN_OK;
}

int exec_graph_output(exec_graph *g, const char *name, const char *desc, int child, int64_t *acc)
{
    *acc = 0;
    if (!g) return 0;
    bool shuffle = strcmp(name, "Exchange") == 0;
    metric_def m[2] = {{shuffle ? "shuffle records written" : "number of output rows", "sum"},
                       {"data size", "size"}};
    int gid = add(g, name, desc, m);
    if (gid < 0) return gid;
    *acc = g->nodes[gid - 1].acc;
    exec_graph_link(g, child, gid);
    return gid;
}

int exec_graph_rename(exec_graph *g, int gid, const char *name)
{
    if (!g || gid <= 0 || gid > g->n) return KILN_OK;
    char *n = strdup(name), *d = strdup(name);
    if (!n || !d) {
        free(n);
        free(d);
        return nomem();
    }
    free(g->nodes[gid - 1].name);
    free(g->nodes[gid - 1].desc);
    g->nodes[gid - 1].name = n;
    g->nodes[gid - 1].desc = d;
    return KILN_OK;
}

/* gid's line in text and its node in w, then its children's, in the
 * order they were made. */
static int put_tree(exec_graph *g, int gid, json_writer *w, kiln_buf *text, int depth)
{
    if (depth > 1000) return kiln_set_error(KILN_ESQL, "plan graph too deep");
    const gnode *x = &g->nodes[gid - 1];
    int rc = plan_explain_indent(text, depth);
    if (!rc) rc = kiln_buf_append(text, x->desc, strlen(x->desc));
    if (!rc) rc = kiln_buf_append(text, "\n", 1);
    if (rc) return rc;
    json_obj_begin(w);
    json_key(w, "nodeName");
    json_str(w, x->name);
    json_key(w, "simpleString");
    json_str(w, x->desc);
    json_key(w, "children");
    json_arr_begin(w);
    for (int i = 0; i < g->n && !rc; i++)
        if (g->nodes[i].parent == gid) rc = put_tree(g, i + 1, w, text, depth + 1);
    json_arr_end(w);
    json_key(w, "metadata");
    json_obj_begin(w);
    json_obj_end(w);
    json_key(w, "metrics");
    json_arr_begin(w);
    for (int k = 0; x->acc && k < 2; k++) {
        json_obj_begin(w);
        json_key(w, "name");
        json_str(w, x->m[k].name);
        json_key(w, "accumulatorId");
        json_int(w, x->acc + k);
        json_key(w, "metricType");
        json_str(w, x->m[k].type);
        json_obj_end(w);
    }
    json_arr_end(w);
    json_obj_end(w);
    return rc;
}

int exec_graph_describe(exec_graph *g, int root, kiln_buf *json, kiln_buf *text)
{
    if (!g || root <= 0 || root > g->n)
        return kiln_set_error(KILN_EINVAL, "plan graph: no node %d", root);
    json_writer w;
    json_writer_init(&w, json);
    int rc = put_tree(g, root, &w, text, 0);
    if (!rc) rc = json_writer_finish(&w);
    if (!rc) rc = kiln_buf_append(json, "", 1);
    if (!rc) rc = kiln_buf_append(text, "", 1);
    return rc;
}
