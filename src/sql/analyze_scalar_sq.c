/*
 * sql/analyze_scalar_sq.c - correlated scalar subqueries as left joins
 * (analyze_int.h): the joins of the subqueries a clause met, and Spark's
 * "count bug" handling (RewriteCorrelatedScalarSubquery): an outer row no
 * group of the subquery matches gets the subquery's value on empty input
 * (0 for count(*)), not the null the left join gives, when that value is
 * not null.
 */
#include <string.h>

#include "sql/analyze_int.h"
#include "sql/expr.h"
#include "sql/plan.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory");
}

/* p with the aggregate found below its chain of one-input nodes made a
 * global aggregate over no rows (its key columns null); NULL when no
 * aggregate is reached (*rc set on errors). */
static plan *on_empty(anz *z, const plan *p, int *rc)
{
    if (p->kind == PLAN_AGG) {
        const plan *in = p->in[0];
        plan *empty = plan_new(z->a, PLAN_VALUES, NULL, 0, in->ncols);
        if (!empty) goto nomem;
        memcpy(empty->cols, in->cols, sizeof *in->cols * (size_t)in->ncols);
        plan *g = plan_new(z->a, PLAN_AGG, &empty, 1, p->naggs);
        if (!g) goto nomem;
        memcpy(g->cols, p->cols + p->nkeys, sizeof *g->cols * (size_t)p->naggs);
        g->keys = kiln_arena_alloc(z->a, sizeof *g->keys); /* none, but not NULL */
        if (!g->keys) goto nomem;
        g->naggs = p->naggs;
        g->aggs = p->aggs;
        g->agg_mode = p->agg_mode;
        /* Back to p's columns: the keys as nulls, then the aggregates. */
        plan *back = plan_new(z->a, PLAN_PROJECT, &g, 1, p->ncols);
        if (!back || !(back->exprs = kiln_arena_alloc(z->a, sizeof *back->exprs * p->ncols)))
            goto nomem;
        memcpy(back->cols, p->cols, sizeof *p->cols * (size_t)p->ncols);
        for (int k = 0; k < p->ncols; k++) {
            const plan_col *c = &p->cols[k];
            back->exprs[k] = k < p->nkeys ? expr_lit(z->a, c->type, NULL, "NULL")
                                          : expr_col(z->a, k - p->nkeys, c->type, true, c->name);
            if (!back->exprs[k]) goto nomem;
        }
        return back;
    }
    switch (p->kind) {
    case PLAN_PROJECT:
    case PLAN_FILTER:
    case PLAN_SORT:
    case PLAN_LIMIT:
        break;
    default:
        return NULL;
    }
    plan *child = on_empty(z, p->in[0], rc);
    if (!child) return NULL;
    plan *q = kiln_arena_alloc(z->a, sizeof *q);
    plan **in = kiln_arena_alloc(z->a, sizeof *in);
    if (!q || !in) goto nomem;
    *q = *p;
    in[0] = child;
    q->in = in;
    return q;
nomem:
    *rc = oom();
    return NULL;
}

int anz_scalar_sq_join(anz *z, sq_pending *p, const char *text, plan *sub, expr *cond, expr **out)
{
    int at = p->base + p->added, rc = KILN_OK;
    const col_type *t = sub->cols[0].type;
    /* The value on empty input, when the subquery aggregates. */
    expr *zero = NULL;
    plan *empty = on_empty(z, sub, &rc);
    if (rc) return rc;
    if (empty && z->cat && z->cat->run_scalar) {
        expr *lit = expr_lit(z->a, t, NULL, text);
        if (!lit) return oom();
        if ((rc = z->cat->run_scalar(z->cat->arg, z->a, empty, &lit->lit))) return rc;
        lit->lit.constant = true;
        if (col_valid(&lit->lit, 0)) {
            lit->nullable = false;
            zero = lit;
        }
    }
    if (zero) {
        /* A TRUE column after the subquery's: null exactly where no group
         * matched. */
        plan *w = plan_new(z->a, PLAN_PROJECT, &sub, 1, sub->ncols + 1);
        if (!w || !(w->exprs = kiln_arena_alloc(z->a, sizeof *w->exprs * (size_t)w->ncols)))
            return oom();
        memcpy(w->cols, sub->cols, sizeof *sub->cols * (size_t)sub->ncols);
        for (int k = 0; k < sub->ncols; k++)
            if (!(w->exprs[k] = expr_col(z->a, k, sub->cols[k].type, sub->cols[k].nullable,
                                         sub->cols[k].name)))
                return oom();
        uint8_t yes = 1;
        if (!(w->exprs[sub->ncols] = expr_lit(z->a, &col_type_bool, &yes, "true"))) return oom();
        w->cols[sub->ncols] = (plan_col){"__matched", NULL, &col_type_bool, false};
        sub = w;
    }
    if (p->n == p->cap) {
        int cap = p->cap ? p->cap * 2 : 4;
        struct sq_join *g = kiln_arena_alloc(z->a, sizeof *g * (size_t)cap);
        if (!g) return oom();
        if (p->n) memcpy(g, p->j, sizeof *g * (size_t)p->n);
        p->j = g;
        p->cap = cap;
    }
    p->j[p->n].sub = sub;
    p->j[p->n].cond = cond;
    p->n++;
    p->added += sub->ncols;
    expr *val = expr_col(z->a, at, t, true, text);
    if (!val) return oom();
    if (!zero) {
        *out = val;
        return KILN_OK;
    }
    /* CASE WHEN __matched IS NULL THEN <value on empty input> ELSE value END */
    expr *m = expr_col(z->a, at + sub->ncols - 1, &col_type_bool, true, "__matched");
    expr *isnull = m ? expr_node(z->a, EX_IS_NULL, &col_type_bool, &m, 1, "__matched IS NULL")
                     : NULL;
    expr *args[3] = {isnull, zero, val};
    *out = isnull ? expr_node(z->a, EX_CASE, t, args, 3, text) : NULL;
    if (!*out) return oom();
    (*out)->has_else = true;
    return KILN_OK;
}

int anz_scalar_sq_apply(anz *z, plan **from, const sq_pending *pend)
{
    int rc;
    for (int i = 0; i < pend->n; i++) {
        plan *j = anz_join_node(z, *from, pend->j[i].sub, PJ_LEFT);
        if (!j) return oom();
        if ((rc = anz_join_keys(z, j, pend->j[i].cond))) return rc;
        *from = j;
    }
    return KILN_OK;
}
