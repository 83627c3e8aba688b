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
static void part_of(pex *x, const plan *p, exec_part *out);

/* Whether DISTINCT p runs where its rows are (every column is a key, so
 * any hash of its columns will do), and its output spread (*out). */
static bool distinct_part(pex *x, const plan *p, exec_part *out)
{
    exec_part in;
    part_of(x, p->in[0], &in);
    if (in.nparts > 1 && in.nalt) {
        *out = in;
        return true;
    }
    memset(out, 0, sizeof *out);
    if (p->ncols >= 1 && p->ncols <= EXEC_PART_MAX && x->s->shuffle_partitions > 1) {
        for (int i = 0; i < p->ncols; i++) out->cols[0][i] = i;
        out->ncols = p->ncols;
        out->nalt = 1;
        out->nparts = x->s->shuffle_partitions;
    }
    return false;
}

/* Whether aggregate p (not DISTINCT) runs where its input rows are. */
static bool agg_in_place(pex *x, const plan *p, exec_part *out)
{
    exec_part in;
    part_of(x, p->in[0], &in);
    int nparts = p->nkeys ? x->s->shuffle_partitions : 1;
    if (exec_part_agg(&in, p->keys, p->nkeys, nparts, out)) return true;
    int nx = exec_agg_hash_keys(p);
    if (nx < p->nkeys) exec_part_first(out, nx, nparts);
    return false;
}

/* Whether window (or window group limit) p needs no exchange (exec.c's
 * PLAN_WINDOW and PLAN_WINDOW_LIMIT). */
static bool window_in_place(pex *x, const plan *p)
{
    const plan *in = p->in[0];
    bool same = (in->kind == PLAN_WINDOW || in->kind == PLAN_WINDOW_LIMIT) && in->nkeys == p->nkeys;
    for (int i = 0; same && i < p->nkeys; i++)
        same = p->keys[i]->kind == EX_COL && in->keys[i]->kind == EX_COL &&
               p->keys[i]->col == in->keys[i]->col;
    exec_part c, unused;
    part_of(x, in, &c);
    return same ||
           exec_part_agg(&c, p->keys, p->nkeys, p->nkeys ? x->s->shuffle_partitions : 1, &unused);
}

/* What a shuffled join p needs (*jp) and its output spread; a side that
 * is measured first (adaptive) is taken as not broadcast. */
static void join_parts(pex *x, const plan *p, int js, exec_join_parts *jp, exec_part *out)
{
    exec_part l, r;
    part_of(x, p->in[0], &l);
    part_of(x, p->in[1], &r);
    if (js & JS_MEASURE_LEFT) memset(&l, 0, sizeof l);
    if (js & JS_MEASURE_RIGHT) memset(&r, 0, sizeof r);
    int nparts = p->nkeys && !p->null_aware ? x->s->shuffle_partitions : 1;
    exec_part_join(&l, &r, p, nparts, jp, out);
}

/* How p's output rows are spread over partitions as exec.c runs it. */
static void part_of(pex *x, const plan *p, exec_part *out)
{
    memset(out, 0, sizeof *out);
    switch (p->kind) {
    case PLAN_FILTER:
        part_of(x, p->in[0], out);
        return;
    case PLAN_PROJECT: {
        exec_part in;
        part_of(x, p->in[0], &in);
        exec_part_project(out, &in, p);
        return;
    }
    case PLAN_AGG:
        agg_in_place(x, p, out);
        return;
    case PLAN_DISTINCT:
        distinct_part(x, p, out);
        return;
    case PLAN_WINDOW:
    case PLAN_WINDOW_LIMIT:
        if (window_in_place(x, p)) part_of(x, p->in[0], out);
        else exec_part_keys(out, p->keys, p->nkeys, p->nkeys ? x->s->shuffle_partitions : 1);
        return;
    case PLAN_JOIN: {
        int js = exec_join_strategy(p, x->s->broadcast_bytes);
        if (js == JS_BROADCAST_RIGHT) {
            part_of(x, p->in[0], out);
        } else if (js == JS_BROADCAST_LEFT) {
            exec_part r;
            part_of(x, p->in[1], &r);
            exec_part_shift(out, &r, p->in[0]->ncols);
        } else {
            exec_join_parts jp;
            join_parts(x, p, js, &jp, out);
        }
        return;
    }
    default:
        return;
    }
}

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

int exec_explain_exchange(kiln_buf *b, expr *const *keys, int nkeys, int nparts)
{
    pex x = {b, NULL};
    int rc = put(&x, nkeys ? "Exchange hashpartitioning(" : "Exchange SinglePartition");
    for (int i = 0; !rc && i < nkeys; i++) {
        rc = put(&x, keys[i]->text);
        if (!rc) rc = put(&x, ", ");
    }
    if (!rc && nkeys) {
        char n[32];
        snprintf(n, sizeof n, "%d)", nparts);
        rc = put(&x, n);
    }
    return rc;
}

/* "Exchange hashpartitioning(k1, k2, N)" or SinglePartition, a line. */
static int exchange(pex *x, int depth, expr *const *keys, int nkeys, int nparts)
{
    int rc = plan_explain_indent(x->b, depth);
    if (!rc) rc = exec_explain_exchange(x->b, keys, nkeys, nparts);
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
    exec_part unused;
    if (p->kind == PLAN_DISTINCT ? distinct_part(x, p, &unused) : agg_in_place(x, p, &unused)) {
        /* Its input rows are hashed by its keys already: no exchange. */
        if ((rc = named(x, p, depth, "HashAggregate(complete)"))) return rc;
        return node(x, p->in[0], depth + 1);
    }
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
        (rc = exchange(x, depth + 1, p->keys, exec_agg_hash_keys(p), nparts)) ||
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
    exec_join_parts jp;
    exec_part unused;
    join_parts(x, p, js, &jp, &unused);
    if ((rc = named(x, p, depth, name))) return rc;
    for (int side = 0; side < 2; side++) {
        expr *const *all = side ? p->rkeys : p->keys;
        if (!jp.exchange[side]) { /* hashed by these keys already */
            if ((rc = node(x, p->in[side], depth + 1))) return rc;
            continue;
        }
        bool subset = !(jp.exchange[0] && jp.exchange[1]);
        expr *keys[EXEC_PART_MAX];
        for (int j = 0; subset && j < jp.nidx; j++) keys[j] = all[jp.idx[j]];
        if ((rc = exchange(x, depth + 1, subset ? keys : all, subset ? jp.nidx : p->nkeys,
                           nparts)) ||
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
        if (window_in_place(x, p)) /* rows hashed by its keys already: Final alone */
            return (rc = named(x, &fin, depth, NULL)) ? rc : node(x, p->in[0], depth + 1);
        if ((rc = named(x, &fin, depth, NULL)) ||
            (rc = exchange(x, depth + 1, p->keys, p->nkeys,
                           p->nkeys ? x->s->shuffle_partitions : 1)) ||
            (rc = named(x, &part, depth + 2, NULL)))
            return rc;
        return node(x, p->in[0], depth + 3);
    }
    case PLAN_WINDOW:
        if (window_in_place(x, p)) { /* no exchange, or it is below its group limit */
            if ((rc = named(x, p, depth, NULL))) return rc;
            return node(x, p->in[0], depth + 1);
        }
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
