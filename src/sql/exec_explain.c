/*
 * sql/exec_explain.c - EXPLAIN's physical plan (exec.h): the optimised
 * plan as the executor will run it, with the exchanges that cut it into
 * stages and the join strategies (exec_join_strategy), in Spark's names:
 * HashAggregate (partial / final), Exchange hashpartitioning or
 * SinglePartition, BroadcastHashJoin with its BroadcastExchange,
 * ShuffledHashJoin, FileScan, InMemoryTableScan. Nothing runs.
 */
#include <stdio.h>
#include <string.h>

#include "sql/exec_int.h"

typedef struct pex {
    kiln_buf *b;
    const sql_settings *s;
} pex;

static int node(pex *x, const plan *p, int depth);

static int put(pex *x, const char *s)
{
    return kiln_buf_append(x->b, s, strlen(s));
}

/* A line of its own (an exchange): name and what follows it. */
static int line(pex *x, int depth, const char *text)
{
    int rc = plan_explain_indent(x->b, depth);
    if (!rc) rc = put(x, text);
    return rc ? rc : put(x, "\n");
}

/* "Exchange hashpartitioning(k1, k2, N)" or SinglePartition. */
static int exchange(pex *x, int depth, expr *const *keys, int nkeys, int nparts)
{
    int rc = plan_explain_indent(x->b, depth);
    if (!rc) rc = put(x, nkeys ? "Exchange hashpartitioning(" : "Exchange SinglePartition");
    for (int i = 0; !rc && i < nkeys; i++) {
        rc = put(x, keys[i]->text);
        if (!rc) rc = put(x, ", ");
    }
    if (!rc && nkeys) {
        char n[32];
        snprintf(n, sizeof n, "%d)", nparts);
        rc = put(x, n);
    }
    return rc ? rc : put(x, "\n");
}

static int named(pex *x, const plan *p, int depth, const char *name)
{
    int rc = plan_explain_indent(x->b, depth);
    return rc ? rc : plan_explain_line(x->b, p, name);
}

static int agg(pex *x, const plan *p, int depth)
{
    int nparts = p->nkeys ? x->s->shuffle_partitions : 1;
    bool distinct = p->kind == PLAN_DISTINCT;
    for (int i = 0; i < p->naggs; i++) distinct |= p->aggs[i].distinct;
    int rc;
    if (p->kind == PLAN_DISTINCT) {
        /* every column a key */
        if ((rc = named(x, p, depth, "HashAggregate(distinct)")) ||
            (rc = line(x, depth + 1, "Exchange hashpartitioning(all columns)")))
            return rc;
        return node(x, p->in[0], depth + 2);
    }
    if (distinct) {
        if ((rc = named(x, p, depth, "HashAggregate(complete)")) ||
            (rc = exchange(x, depth + 1, p->keys, p->nkeys, nparts)))
            return rc;
        return node(x, p->in[0], depth + 2);
    }
    if ((rc = named(x, p, depth, "HashAggregate(final)")) ||
        (rc = exchange(x, depth + 1, p->keys, p->nkeys, nparts)) ||
        (rc = named(x, p, depth + 2, "HashAggregate(partial)")))
        return rc;
    return node(x, p->in[0], depth + 3);
}

static int join(pex *x, const plan *p, int depth)
{
    int js = exec_join_strategy(p, x->s->broadcast_bytes);
    bool keyed = p->nkeys > 0;
    int rc;
    if (js == JS_BROADCAST_RIGHT || js == JS_BROADCAST_LEFT) {
        bool right = js == JS_BROADCAST_RIGHT;
        const char *name = keyed ? (right ? "BroadcastHashJoin(BuildRight)"
                                          : "BroadcastHashJoin(BuildLeft)")
                                 : (right ? "BroadcastNestedLoopJoin(BuildRight)"
                                          : "BroadcastNestedLoopJoin(BuildLeft)");
        if ((rc = named(x, p, depth, name))) return rc;
        for (int side = 0; side < 2; side++) {
            bool bcast = (side == 1) == right;
            if (bcast && (rc = line(x, depth + 1, "BroadcastExchange"))) return rc;
            if ((rc = node(x, p->in[side], depth + 1 + bcast))) return rc;
        }
        return KILN_OK;
    }
    const char *name = !keyed ? "CartesianProduct"
                       : js & (JS_MEASURE_LEFT | JS_MEASURE_RIGHT)
                           ? (js & JS_MEASURE_RIGHT
                                  ? "ShuffledHashJoin(adaptive: the right side is measured first "
                                    "and broadcast when small)"
                                  : "ShuffledHashJoin(adaptive: the left side is measured first "
                                    "and broadcast when small)")
                           : "ShuffledHashJoin(BuildRight)";
    int nparts = keyed && !p->null_aware ? x->s->shuffle_partitions : 1;
    if ((rc = named(x, p, depth, name))) return rc;
    for (int side = 0; side < 2; side++) {
        if ((rc = exchange(x, depth + 1, side ? p->rkeys : p->keys, p->nkeys, nparts)) ||
            (rc = node(x, p->in[side], depth + 2)))
            return rc;
    }
    return KILN_OK;
}

static int node(pex *x, const plan *p, int depth)
{
    int rc;
    switch (p->kind) {
    case PLAN_SCAN:
        return named(x, p, depth, "FileScan");
    case PLAN_RDD:
        return named(x, p, depth, "InMemoryTableScan");
    case PLAN_VALUES:
        return named(x, p, depth, "LocalTableScan");
    case PLAN_AGG:
    case PLAN_DISTINCT:
        return agg(x, p, depth);
    case PLAN_JOIN:
        return join(x, p, depth);
    case PLAN_SORT:
        if ((rc = named(x, p, depth, NULL)) || (rc = exchange(x, depth + 1, NULL, 0, 1))) return rc;
        return node(x, p->in[0], depth + 2);
    case PLAN_LIMIT:
        if ((rc = named(x, p, depth, "GlobalLimit")) || (rc = exchange(x, depth + 1, NULL, 0, 1)) ||
            (rc = named(x, p, depth + 2, "LocalLimit")))
            return rc;
        return node(x, p->in[0], depth + 3);
    case PLAN_WINDOW_LIMIT: { /* Final, the exchange, Partial */
        plan fin = *p, part = *p;
        fin.wgl_mode = 2;
        part.wgl_mode = 1;
        if ((rc = named(x, &fin, depth, NULL)) ||
            (rc = exchange(x, depth + 1, p->keys, p->nkeys,
                           p->nkeys ? x->s->shuffle_partitions : 1)) ||
            (rc = named(x, &part, depth + 2, NULL)))
            return rc;
        return node(x, p->in[0], depth + 3);
    }
    case PLAN_WINDOW:
        if (p->in[0]->kind == PLAN_WINDOW_LIMIT) /* the exchange is below it */
            return (rc = named(x, p, depth, NULL)) ? rc : node(x, p->in[0], depth + 1);
        if ((rc = named(x, p, depth, NULL)) ||
            (rc = exchange(x, depth + 1, p->keys, p->nkeys,
                           p->nkeys ? x->s->shuffle_partitions : 1)))
            return rc;
        return node(x, p->in[0], depth + 2);
    default:
        if ((rc = named(x, p, depth, NULL))) return rc;
        for (int i = 0; i < p->nin; i++)
            if ((rc = node(x, p->in[i], depth + 1))) return rc;
        return KILN_OK;
    }
}

int sql_exec_explain(kiln_buf *b, const sql_settings *s, const plan *p)
{
    pex x = {b, s};
    return node(&x, p, 0);
}

int sql_explain_all(kiln_buf *b, const sql_settings *s, const plan *analyzed, const plan *opt)
{
    int rc = put(&(pex){b, s}, "== Analyzed Logical Plan ==\n");
    if (!rc) rc = plan_explain(b, analyzed);
    if (!rc) rc = put(&(pex){b, s}, "\n== Optimized Logical Plan ==\n");
    if (!rc) rc = plan_explain(b, opt);
    if (!rc) rc = put(&(pex){b, s}, "\n== Physical Plan ==\n");
    if (!rc) rc = sql_exec_explain(b, s, opt);
    return rc;
}
