/*
 * sql/analyze_setop.c - INTERSECT ALL and EXCEPT ALL, rewritten as Spark's
 * RewriteIntersectAll / RewriteExceptAll do: both sides tagged with a
 * marker column, unioned and grouped by every column (nulls equal), then
 * each group's row replicated by its multiplicity (a Generate node of kind
 * GEN_REPLICATE):
 *
 *   EXCEPT ALL:    sum(+1 left, -1 right) as n, rows where n > 0, n times
 *   INTERSECT ALL: count(left), count(right), rows where both > 0,
 *                  least(both) times
 */
#include <string.h>

#include "sql/analyze_int.h"
#include "sql/generate.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a set operation");
}

/* p's columns then the nv bigint constants v (NULL entries: nulls). */
static plan *tagged(anz *z, plan *p, const int64_t *const *v, int nv)
{
    int n = p->ncols + nv;
    plan *q = plan_new(z->a, PLAN_PROJECT, &p, 1, n);
    if (!q || !(q->exprs = kiln_arena_alloc(z->a, sizeof *q->exprs * (size_t)n))) return NULL;
    for (int i = 0; i < p->ncols; i++) {
        q->cols[i] = p->cols[i];
        q->cols[i].qualifier = NULL;
        q->cols[i].nullable = true;
        if (!(q->exprs[i] = expr_col(z->a, i, p->cols[i].type, p->cols[i].nullable,
                                     p->cols[i].name)))
            return NULL;
    }
    for (int k = 0; k < nv; k++) {
        q->cols[p->ncols + k] = (plan_col){k ? "vcol2" : "vcol", NULL, &col_type_i64, true};
        if (!(q->exprs[p->ncols + k] = expr_lit(z->a, &col_type_i64, v[k], "vcol"))) return NULL;
    }
    return q;
}

static expr *col_ref(anz *z, const plan *p, int i)
{
    return expr_col(z->a, i, p->cols[i].type, p->cols[i].nullable, p->cols[i].name);
}

/* cmp(p's column i, 0) as a condition. */
static expr *positive(anz *z, const plan *p, int i)
{
    int64_t zero = 0;
    expr *args[2] = {col_ref(z, p, i), expr_lit(z->a, &col_type_i64, &zero, "0")};
    return args[0] && args[1] ? expr_call(z->a, ">", args, 2, z->ansi, z->tz, "> 0") : NULL;
}

int anz_setop_all(anz *z, bool intersect, plan *l, plan *r, plan **out)
{
    static const int64_t one = 1, minus = -1;
    int n = l->ncols, nv = intersect ? 2 : 1;
    const int64_t *lv[2] = {&one, NULL}, *rv[2] = {intersect ? NULL : &minus, &one};
    plan *in[2] = {tagged(z, l, lv, nv), tagged(z, r, rv, nv)};
    if (!in[0] || !in[1]) return oom();
    plan *u = plan_new(z->a, PLAN_UNION, in, 2, n + nv);
    if (!u) return oom();
    memcpy(u->cols, in[0]->cols, sizeof *u->cols * (size_t)(n + nv));
    /* Group by every column. */
    plan *a = plan_new(z->a, PLAN_AGG, &u, 1, n + nv);
    if (!a || !(a->keys = kiln_arena_alloc(z->a, sizeof *a->keys * (size_t)(n + 1))) ||
        !(a->aggs = kiln_arena_alloc(z->a, sizeof *a->aggs * (size_t)nv)))
        return oom();
    a->nkeys = n;
    a->naggs = nv;
    memcpy(a->cols, u->cols, sizeof *a->cols * (size_t)(n + nv));
    for (int i = 0; i < n; i++)
        if (!(a->keys[i] = col_ref(z, u, i))) return oom();
    for (int k = 0; k < nv; k++) {
        expr **args = kiln_arena_alloc(z->a, sizeof *args);
        if (!args || !(args[0] = col_ref(z, u, n + k))) return oom();
        a->aggs[k] = (plan_agg){intersect ? "count" : "sum", 1, args, false, NULL, &col_type_i64};
        a->cols[n + k].nullable = !intersect;
    }
    /* The groups to keep, and how many times. */
    expr *keep = positive(z, a, n), *times = col_ref(z, a, n);
    if (intersect) {
        expr *both[2] = {keep, positive(z, a, n + 1)};
        expr *two[2] = {col_ref(z, a, n), col_ref(z, a, n + 1)};
        keep = both[0] && both[1] ? expr_node(z->a, EX_AND, &col_type_bool, both, 2, "and") : NULL;
        times = two[0] && two[1] ? expr_call(z->a, "least", two, 2, z->ansi, z->tz, "least") : NULL;
    }
    plan *f = plan_new(z->a, PLAN_FILTER, &a, 1, a->ncols);
    if (!keep || !times || !f) return oom();
    memcpy(f->cols, a->cols, sizeof *f->cols * (size_t)a->ncols);
    f->pred = keep;
    plan *g = plan_new(z->a, PLAN_EXPLODE, &f, 1, f->ncols);
    if (!g || !(g->exprs = kiln_arena_alloc(z->a, sizeof *g->exprs))) return oom();
    memcpy(g->cols, f->cols, sizeof *g->cols * (size_t)f->ncols);
    g->exprs[0] = times;
    g->gen = GEN_REPLICATE;
    /* The original columns only. */
    plan *p = plan_new(z->a, PLAN_PROJECT, &g, 1, n);
    if (!p || !(p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)(n + 1))))
        return oom();
    for (int i = 0; i < n; i++) {
        p->cols[i] = l->cols[i];
        p->cols[i].qualifier = NULL;
        p->cols[i].nullable = l->cols[i].nullable;
        if (!(p->exprs[i] = col_ref(z, g, i))) return oom();
    }
    *out = p;
    return KILN_OK;
}
