/*
 * sql/optimize_reduce.c - a grouped join side reduced by the other side's
 * keys (optimize.h), as Spark's semi-join reduction of runtime filters
 * (InjectRuntimeFilter) and DuckDB's decorrelation do for a correlated
 * subquery turned into a join with an aggregate: in TPC-H q17
 *
 *     (lineitem JOIN part ...) LEFT JOIN
 *         (SELECT l_partkey, avg(l_quantity) FROM lineitem GROUP BY l_partkey)
 *
 * only the few parts the left side holds can match, so the aggregate's
 * input is first semi-joined with the small source of those keys (the
 * filtered part table, broadcast) and aggregates thousands of rows instead
 * of six million. Dropping whole groups whose key no left row has changes
 * nothing: an inner, left or semi join never outputs them (and null keys
 * never match an equality).
 */
#include <string.h>

#include "sql/optimize.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
}

/* Follows column col of p down through projections (plain columns) and
 * filters to a grouped aggregate; returns it with *in_col the input
 * column of the key that col is, or NULL. */
static const plan *grouped_source(const plan *p, int col, int *in_col)
{
    while (p->kind == PLAN_PROJECT || p->kind == PLAN_FILTER) {
        if (p->kind == PLAN_PROJECT) {
            const expr *e = p->exprs[col];
            if (e->kind != EX_COL) return NULL;
            col = e->col;
        }
        p = p->in[0];
    }
    if (p->kind != PLAN_AGG || col >= p->nkeys || p->keys[col]->kind != EX_COL) return NULL;
    *in_col = p->keys[col]->col;
    return p;
}

/* The estimated bytes of column col of p alone (what a semi join with it
 * broadcasts). */
static int64_t key_bytes(const plan *p, int col)
{
    int64_t all = plan_est_bytes(p), row = plan_row_width(p->cols, p->ncols);
    int64_t w = plan_row_width(&p->cols[col], 1);
    if (all == INT64_MAX || row <= 0) return all;
    return (int64_t)((double)all * (double)w / (double)row);
}

/* The smallest subtree at or below p (by key_bytes) whose column
 * *col holds every value column col of p holds: through filters, plain
 * projections, the left side of joins, the right of inner ones, and from a
 * column equal to a join key (inner or semi) to the other side's key;
 * *col gets the column there. */
static const plan *key_source(const plan *p, int *col)
{
    const plan *best = p;
    int c = *col;
    int64_t bytes = key_bytes(p, c);
    const plan *sub = NULL;
    int sc = -1;
    if (p->kind == PLAN_PROJECT && p->exprs[c]->kind == EX_COL) {
        sc = p->exprs[c]->col;
        sub = key_source(p->in[0], &sc);
    } else if (p->kind == PLAN_FILTER) {
        sc = c;
        sub = key_source(p->in[0], &sc);
    } else if (p->kind == PLAN_JOIN) {
        int nl = p->in[0]->ncols;
        if (c < nl) {
            sc = c;
            sub = key_source(p->in[0], &sc);
        } else if (p->join == PJ_INNER) {
            sc = c - nl;
            sub = key_source(p->in[1], &sc);
        }
        /* A left column equal to a key of the right side (not <=>). */
        for (int i = 0; c < nl && i < p->nkeys; i++) {
            if ((p->join != PJ_INNER && p->join != PJ_SEMI) || p->null_aware ||
                (p->null_safe && p->null_safe[i]) || p->keys[i]->kind != EX_COL ||
                p->keys[i]->col != c || p->rkeys[i]->kind != EX_COL)
                continue;
            int rc2 = p->rkeys[i]->col;
            const plan *r = key_source(p->in[1], &rc2);
            if (!sub || key_bytes(r, rc2) < key_bytes(sub, sc)) {
                sub = r;
                sc = rc2;
            }
        }
    }
    if (sub && key_bytes(sub, sc) < bytes) {
        best = sub;
        c = sc;
    }
    *col = c;
    return best;
}

/* p (the right side of a join) with the input of its aggregate agg
 * semi-joined on column in_col with column scol of src; the nodes on the
 * way down are copied. */
static plan *rebuild(opt *o, const plan *p, const plan *agg, int in_col, const plan *src, int scol)
{
    if (p != agg) {
        plan *q = opt_copy_node(o->a, p);
        if (!q || !(q->in[0] = rebuild(o, p->in[0], agg, in_col, src, scol))) return NULL;
        return q;
    }
    plan *in = agg->in[0];
    plan *keys = plan_new(o->a, PLAN_PROJECT, (plan **)&src, 1, 1);
    if (!keys || !(keys->exprs = kiln_arena_alloc(o->a, sizeof *keys->exprs))) return NULL;
    keys->cols[0] = src->cols[scol];
    const plan_col *sc = &src->cols[scol], *ic = &in->cols[in_col];
    if (!(keys->exprs[0] = expr_col(o->a, scol, sc->type, sc->nullable, sc->name))) return NULL;
    plan *sides[2] = {in, keys};
    plan *semi = plan_new(o->a, PLAN_JOIN, sides, 2, in->ncols);
    if (!semi) return NULL;
    memcpy(semi->cols, in->cols, sizeof *semi->cols * (size_t)in->ncols);
    semi->join = PJ_SEMI;
    semi->nkeys = 1;
    semi->keys = kiln_arena_alloc(o->a, sizeof *semi->keys);
    semi->rkeys = kiln_arena_alloc(o->a, sizeof *semi->rkeys);
    semi->null_safe = kiln_arena_alloc(o->a, sizeof *semi->null_safe);
    if (!semi->keys || !semi->rkeys || !semi->null_safe) return NULL;
    semi->null_safe[0] = false;
    if (!(semi->keys[0] = expr_col(o->a, in_col, ic->type, ic->nullable, ic->name)) ||
        !(semi->rkeys[0] = expr_col(o->a, 0, sc->type, sc->nullable, sc->name)))
        return NULL;
    plan *q = opt_copy_node(o->a, agg);
    if (!q) return NULL;
    q->in[0] = semi;
    return q;
}

/* Join p with its side g (1 right, 0 left) reduced where that pays: a
 * grouped side over an input above the broadcast limit, keyed by a column
 * whose values on the other side come from a source estimated below it.
 * Only a side whose unmatched rows the join drops: the right of inner,
 * left and semi joins, the left of inner and right joins. */
static int reduce_side(opt *o, plan *p, int g, plan **out)
{
    *out = p;
    bool drops = g ? p->join == PJ_INNER || p->join == PJ_LEFT || p->join == PJ_SEMI
                   : p->join == PJ_INNER || p->join == PJ_RIGHT;
    if (o->broadcast_bytes < 0 || p->null_aware || !drops) return KILN_OK;
    expr **mine = g ? p->rkeys : p->keys, **other = g ? p->keys : p->rkeys;
    for (int i = 0; i < p->nkeys; i++) {
        if (p->null_safe && p->null_safe[i]) continue;
        if (mine[i]->kind != EX_COL || other[i]->kind != EX_COL) continue;
        int in_col, scol = other[i]->col;
        const plan *agg = grouped_source(p->in[g], mine[i]->col, &in_col);
        if (!agg || plan_est_bytes(agg->in[0]) <= o->broadcast_bytes) continue;
        const plan *src = key_source(p->in[1 - g], &scol);
        if (key_bytes(src, scol) > o->broadcast_bytes ||
            !col_type_eq(src->cols[scol].type, agg->in[0]->cols[in_col].type))
            continue;
        plan *q = opt_copy_node(o->a, p);
        if (!q || !(q->in[g] = rebuild(o, p->in[g], agg, in_col, src, scol))) return oom();
        *out = q;
        return KILN_OK;
    }
    return KILN_OK;
}

int opt_reduce_grouped(opt *o, plan *p, plan **out)
{
    plan *q = p;
    int rc = opt_map_inputs(o, p, opt_reduce_grouped, &q);
    *out = q;
    if (rc || q->kind != PLAN_JOIN) return rc;
    rc = reduce_side(o, q, 1, &q);
    return rc ? rc : reduce_side(o, q, 0, out);
}
