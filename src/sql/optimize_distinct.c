/*
 * sql/optimize_distinct.c - Spark's RewriteDistinctAggregates for an
 * aggregate whose DISTINCT calls all take the same arguments (optimize.h).
 *
 * Left alone, such an aggregate runs complete after an exchange by its
 * keys, every group keeping a hash set of its values: a global
 * count(DISTINCT x) sends every row to one task, and the sets cannot
 * spill. Rewritten, it is two ordinary aggregates:
 *
 *     Aggregate(K, [f(DISTINCT x) FILTER (WHERE c), g(y)])
 *  => Aggregate(K, [f(x') FILTER (WHERE c'), g'(y')])       (outer)
 *       Aggregate(K ++ [x], [bool_or(c) AS c', g(y) AS y'])  (inner)
 *
 * The inner aggregate deduplicates (its keys are the outer keys and the
 * DISTINCT arguments), the outer one aggregates the distinct values; both
 * run partial / final with an exchange each and spill like any other.
 * Null semantics carry over: f skips null arguments (count(DISTINCT x, y)
 * counts the rows whose arguments are all non-null), and a global
 * aggregate over no rows still gives one row.
 *
 * Conditions (otherwise the aggregate stays as it is):
 *  - every DISTINCT call's non-constant arguments, with injective
 *    widening casts taken off (the analyser's, e.g. an int made a double),
 *    are the same set of expressions (one distinct group: Spark's Expand
 *    for several groups is not done);
 *  - the other aggregates can be computed per inner group and combined:
 *    count and count_if (summed; 0 when there is no group), sum, min,
 *    max, bool_and, bool_or (again the same function; a decimal sum cast
 *    back to its type);
 *  - the DISTINCT arguments are fixed-width or strings (the inner keys).
 * A DISTINCT call's FILTER becomes bool_or(c) per inner group, the outer
 * call filtered by it (null counts as false, as in FILTER).
 */
#include <string.h>

#include "sql/agg_fn.h"
#include "sql/analyze_int.h"
#include "sql/optimize.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory optimising a query");
}

/* Whether a cast from a to b keeps distinct values distinct (widening). */
static bool injective(const col_type *a, const col_type *b)
{
    int ka = a->kind, kb = b->kind;
    bool ia = ka >= COL_I8 && ka <= COL_I64, ib = kb >= COL_I8 && kb <= COL_I64;
    if (ia && ib) return kb >= ka;
    if (ia && kb == COL_F64) return ka <= COL_I32;
    return ka == COL_F32 && kb == COL_F64;
}

/* e without the injective casts on top of it. */
static const expr *strip(const expr *e)
{
    while (e->kind == EX_CAST && injective(e->args[0]->type, e->type)) e = e->args[0];
    return e;
}

/* Whether t can be a grouping key (agg_table: fixed-width and strings). */
static bool keyable(const col_type *t)
{
    return t->kind != COL_ARRAY && t->kind != COL_MAP && t->kind != COL_STRUCT &&
           t->kind != COL_NULL;
}

/* The name of the function that combines per-group results of non-distinct
 * aggregate g, or NULL when there is none. */
static const char *combiner(const plan_agg *g)
{
    static const char *const same[] = {"sum",   "min",     "max",  "bool_and",
                                       "every", "bool_or", "some", "any"};
    if (!strcmp(g->fn, "count") || !strcmp(g->fn, "count_if")) return "sum";
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        if (!strcmp(g->fn, same[i])) return g->fn;
    return NULL;
}

/* The rewrite's parts: the distinct arguments (inner keys after p's keys)
 * and the distinct calls' filters (inner bool_or aggregates after the
 * non-distinct ones). */
typedef struct dgroup {
    const expr **d;
    int nd;
    const expr **f;
    int nf;
} dgroup;

/* Index of e in list[0..n) (expr_equal), or -1. */
static int index_of(const expr *const *list, int n, const expr *e)
{
    for (int i = 0; i < n; i++)
        if (expr_equal(list[i], e)) return i;
    return -1;
}

/* Whether p can be rewritten; fills g (in o's arena). */
static int qualifies(opt *o, const plan *p, dgroup *g, bool *ok)
{
    *ok = false;
    int ndist = 0, cap = 1;
    for (int i = 0; i < p->naggs; i++) {
        const plan_agg *a = &p->aggs[i];
        if (a->distinct) {
            ndist++;
            cap += a->nargs + 1;
        } else if (!combiner(a)) {
            return KILN_OK;
        }
    }
    if (!ndist) return KILN_OK;
    g->d = kiln_arena_alloc(o->a, sizeof *g->d * (size_t)cap);
    g->f = kiln_arena_alloc(o->a, sizeof *g->f * (size_t)cap);
    if (!g->d || !g->f) return oom();
    g->nd = g->nf = 0;
    bool first = true;
    for (int i = 0; i < p->naggs; i++) {
        const plan_agg *a = &p->aggs[i];
        if (!a->distinct) continue;
        /* This call's set of arguments. */
        const expr *mine[AGG_MAX_ARGS];
        int n = 0;
        for (int k = 0; k < a->nargs; k++) {
            if (expr_is_const(a->args[k])) continue;
            const expr *s = strip(a->args[k]);
            if (!keyable(s->type)) return KILN_OK;
            if (index_of(mine, n, s) < 0) mine[n++] = s;
        }
        if (first) {
            memcpy(g->d, mine, sizeof *mine * (size_t)n);
            g->nd = n;
            first = false;
        } else {
            if (n != g->nd) return KILN_OK;
            for (int k = 0; k < n; k++)
                if (index_of(g->d, g->nd, mine[k]) < 0) return KILN_OK;
        }
        if (a->filter && index_of(g->f, g->nf, a->filter) < 0) g->f[g->nf++] = a->filter;
    }
    *ok = true;
    return KILN_OK;
}

/* A column reference to column i of p. */
static expr *col_ref(opt *o, const plan *p, int i, const char *text)
{
    const plan_col *c = &p->cols[i];
    return expr_col(o->a, i, c->type, c->nullable, text ? text : c->name);
}

/* e (a distinct call's argument over p's input) over the inner aggregate:
 * constants as they are, the stripped argument replaced by its key column
 * with the casts taken off put back. */
static expr *outer_arg(opt *o, const plan *inner, int nk, const dgroup *g, expr *e)
{
    if (expr_is_const(e)) return e;
    if (e == strip(e)) {
        int j = index_of(g->d, g->nd, e);
        return j < 0 ? NULL : col_ref(o, inner, nk + j, e->text);
    }
    expr *arg = outer_arg(o, inner, nk, g, e->args[0]);
    return arg ? expr_cast(o->a, arg, e->type, e->try_, e->text) : NULL;
}

/* Binds aggregate a's function to its arguments' types: its result type
 * in a->type. */
static int bind_type(opt *o, plan_agg *a)
{
    const col_type *types[AGG_MAX_ARGS];
    for (int k = 0; k < a->nargs; k++) types[k] = a->args[k]->type;
    agg_bound b;
    int rc = agg_bind(&b, o->a, a->fn, types, a->nargs, false, false);
    if (rc)
        return kiln_set_error(KILN_ESQL, "[%s] %s", b.err_cls ? b.err_cls : "INTERNAL_ERROR",
                              b.err_msg ? b.err_msg : a->fn);
    a->type = b.result;
    return KILN_OK;
}

/* The inner aggregate: p's keys and the distinct arguments as keys, the
 * non-distinct aggregates, then bool_or of each distinct filter. */
static int build_inner(opt *o, const plan *p, const dgroup *g, int nnd, plan **out)
{
    int nk = p->nkeys, nkeys = nk + g->nd, naggs = nnd + g->nf;
    plan *in = p->in[0];
    plan *q = plan_new(o->a, PLAN_AGG, &in, 1, nkeys + naggs);
    if (!q) return oom();
    q->keys = kiln_arena_alloc(o->a, sizeof *q->keys * (size_t)(nkeys + 1));
    q->aggs = kiln_arena_alloc(o->a, sizeof *q->aggs * (size_t)(naggs + 1));
    if (!q->keys || !q->aggs) return oom();
    q->nkeys = nkeys;
    q->naggs = naggs;
    /* Grouped: exchanged by the group keys alone, so the outer aggregate
     * runs in the same tasks (one exchange, as before the rewrite, where
     * (keys, x) barely reduce the rows, as H2O's id1, count(DISTINCT id3));
     * global: by x too, so the dedup runs in every task. */
    q->hash_keys = nk;
    for (int k = 0; k < nk; k++) {
        q->keys[k] = p->keys[k];
        q->cols[k] = p->cols[k];
    }
    for (int j = 0; j < g->nd; j++) {
        q->keys[nk + j] = (expr *)g->d[j];
        const char *name = g->d[j]->text ? g->d[j]->text : "distinct";
        q->cols[nk + j] = (plan_col){name, NULL, g->d[j]->type, g->d[j]->nullable};
    }
    int at = 0;
    for (int i = 0; i < p->naggs; i++) {
        if (p->aggs[i].distinct) continue;
        q->aggs[at] = p->aggs[i];
        q->cols[nkeys + at] = (plan_col){"partial", NULL, p->aggs[i].type, true};
        at++;
    }
    for (int j = 0; j < g->nf; j++) {
        plan_agg *a = &q->aggs[nnd + j];
        memset(a, 0, sizeof *a);
        a->fn = "bool_or";
        a->nargs = 1;
        if (!(a->args = kiln_arena_alloc(o->a, sizeof *a->args))) return oom();
        a->args[0] = (expr *)g->f[j];
        a->type = &col_type_bool;
        q->cols[nkeys + nnd + j] = (plan_col){"filter", NULL, &col_type_bool, true};
    }
    *out = q;
    return KILN_OK;
}

/* The outer aggregate over inner: p's keys as columns, each distinct call
 * over the key columns of its arguments (filtered by its bool_or column),
 * each other one combining its inner column. *fix[i] is set when output i
 * needs a projection back to p's column (a count summed, a decimal sum). */
static int build_outer(opt *o, const plan *p, plan *inner, const dgroup *g, plan **out, bool *fix)
{
    int nk = p->nkeys, nnd = inner->naggs - g->nf;
    plan *q = plan_new(o->a, PLAN_AGG, &inner, 1, p->ncols);
    if (!q) return oom();
    q->keys = kiln_arena_alloc(o->a, sizeof *q->keys * (size_t)(nk + 1));
    q->aggs = kiln_arena_alloc(o->a, sizeof *q->aggs * (size_t)(p->naggs + 1));
    if (!q->keys || !q->aggs) return oom();
    q->nkeys = nk;
    q->naggs = p->naggs;
    memcpy(q->cols, p->cols, sizeof *q->cols * (size_t)p->ncols);
    for (int k = 0; k < nk; k++)
        if (!(q->keys[k] = col_ref(o, inner, k, p->keys[k]->text))) return oom();
    int at = 0;
    for (int i = 0; i < p->naggs; i++) {
        const plan_agg *a = &p->aggs[i];
        plan_agg *b = &q->aggs[i];
        memset(b, 0, sizeof *b);
        b->args = kiln_arena_alloc(o->a, sizeof *b->args * (size_t)(a->nargs + 1));
        if (!b->args) return oom();
        fix[nk + i] = false;
        if (a->distinct) {
            b->fn = a->fn;
            b->nargs = a->nargs;
            b->type = a->type;
            for (int k = 0; k < a->nargs; k++)
                if (!(b->args[k] = outer_arg(o, inner, nk, g, a->args[k]))) return oom();
            if (a->filter) {
                int j = index_of(g->f, g->nf, a->filter);
                if (!(b->filter = col_ref(o, inner, inner->nkeys + nnd + j, a->filter->text)))
                    return oom();
            }
            continue;
        }
        b->fn = combiner(a);
        b->nargs = 1;
        if (!(b->args[0] = col_ref(o, inner, inner->nkeys + at, p->cols[nk + i].name)))
            return oom();
        at++;
        int rc = bind_type(o, b);
        if (rc) return rc;
        fix[nk + i] = strcmp(a->fn, b->fn) != 0 || !col_type_eq(a->type, b->type);
        q->cols[nk + i].type = b->type;
        q->cols[nk + i].nullable = true;
    }
    *out = q;
    return KILN_OK;
}

/* Projection of outer back to p's columns: coalesce(sum, 0) for counts,
 * casts for decimal sums. */
static int project_back(opt *o, const plan *p, plan *outer, const bool *fix, plan **out)
{
    plan *q = plan_new(o->a, PLAN_PROJECT, &outer, 1, p->ncols);
    if (!q || !(q->exprs = kiln_arena_alloc(o->a, sizeof *q->exprs * (size_t)p->ncols)))
        return oom();
    memcpy(q->cols, p->cols, sizeof *q->cols * (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        expr *c = col_ref(o, outer, i, NULL);
        if (!c) return oom();
        if (fix[i] && col_type_eq(c->type, p->cols[i].type)) {
            int64_t zero = 0;
            expr *args[2] = {c, expr_lit(o->a, &col_type_i64, &zero, "0")};
            if (!args[1] || !(c = expr_call(o->a, "coalesce", args, 2, o->ansi, o->tz, c->text)))
                return oom();
        } else if (fix[i] && !(c = expr_cast(o->a, c, p->cols[i].type, false, c->text))) {
            return oom();
        }
        q->exprs[i] = c;
    }
    *out = q;
    return KILN_OK;
}

/* p rewritten when it qualifies, else p itself. */
static int rewrite(opt *o, plan *p, plan **out)
{
    *out = p;
    dgroup g;
    bool ok;
    int rc = qualifies(o, p, &g, &ok);
    if (rc || !ok) return rc;
    int nnd = 0;
    for (int i = 0; i < p->naggs; i++) nnd += !p->aggs[i].distinct;
    bool *fix = kiln_arena_alloc(o->a, sizeof *fix * (size_t)(p->ncols + 1));
    if (!fix) return oom();
    memset(fix, 0, sizeof *fix * (size_t)(p->ncols + 1));
    plan *inner = NULL, *outer = NULL;
    if ((rc = build_inner(o, p, &g, nnd, &inner)) ||
        (rc = build_outer(o, p, inner, &g, &outer, fix)))
        return rc;
    bool any = false;
    for (int i = 0; i < p->ncols; i++) any |= fix[i];
    if (!any) {
        *out = outer;
        return KILN_OK;
    }
    return project_back(o, p, outer, fix, out);
}

int opt_rewrite_distinct(opt *o, plan *p, plan **out)
{
    plan *q = p;
    int rc = opt_map_inputs(o, p, opt_rewrite_distinct, &q);
    *out = q;
    if (rc || q->kind != PLAN_AGG) return rc;
    return rewrite(o, q, out);
}
