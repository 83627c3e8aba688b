/*
 * sql/analyze_insub.c - x [NOT] IN (subquery) where it is not a conjunct of
 * WHERE (those become semi and anti joins, analyze_query.c): in a SELECT
 * list, under OR, in HAVING. The subquery must not be correlated; it runs
 * first, as uncorrelated scalar subqueries do, giving its distinct non-null
 * values (collect_set), its row count and its non-null count, and x IN
 * (...) becomes
 *
 *   no rows:            false
 *   no null among them: array_contains(values, x)   (null when x is)
 *   a null among them:  if(array_contains(values, x), true, null)
 *
 * which is SQL's three-valued IN; NOT applies on top.
 */
#include <string.h>

#include "sql/analyze_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing IN (subquery)");
}

/* Runs fn(column 0 of sub) (or count(*) when star) into *out. */
static int run_agg(anz *z, plan *sub, const char *fn, bool star, col_vec *out, const col_type **t)
{
    const col_type *at = sub->cols[0].type;
    agg_bound ab;
    if (agg_bind(&ab, z->a, fn, &at, star ? 0 : 1, false, false))
        return kiln_set_error(KILN_ESQL, "%s", ab.err_msg ? ab.err_msg : "cannot aggregate");
    plan *a = plan_new(z->a, PLAN_AGG, &sub, 1, 1);
    expr **args = kiln_arena_alloc(z->a, sizeof *args);
    if (!a || !args || !(a->aggs = kiln_arena_alloc(z->a, sizeof *a->aggs)) ||
        !(a->keys = kiln_arena_alloc(z->a, sizeof *a->keys))) /* none, but not NULL */
        return oom();
    if (!(args[0] = expr_col(z->a, 0, at, true, sub->cols[0].name))) return oom();
    a->naggs = 1;
    a->aggs[0] = (plan_agg){fn, star ? 0 : 1, args, false, NULL, ab.result};
    a->cols[0] = (plan_col){fn, NULL, ab.result, true};
    if (t) *t = ab.result;
    return z->cat->run_scalar(z->cat->arg, z->a, a, out);
}

static int64_t count_of(const col_vec *v)
{
    return col_valid(v, 0) ? ((const int64_t *)v->data)[0] : 0;
}

int anz_in_subquery(anz *z, const binder *b, const ast_in *x, expr **out)
{
    const ast_expr *e = &x->e;
    anz_corr corr = {0};
    plan *sub;
    int rc = anz_subquery(z, x->query, b->in, &sub, &corr);
    if (rc) return rc;
    if (corr.n)
        return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                         "a correlated IN (subquery) is supported as a condition of WHERE joined "
                         "by AND only");
    if (sub->ncols != 1)
        return anz_error(z, e->pos, e->len, "INVALID_SUBQUERY_EXPRESSION", "42823",
                         "The IN subquery must return one column, but returns %d.", sub->ncols);
    if (!z->cat || !z->cat->run_scalar)
        return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                         "IN (subquery) needs a session");
    expr *lhs;
    if ((rc = anz_bind(z, b, x->arg, &lhs))) return rc;
    /* Both sides in their common type. */
    const col_type *st = sub->cols[0].type, *t = lhs->type;
    if (!col_type_eq(st, t)) {
        t = st->kind == COL_NULL  ? lhs->type
            : t->kind == COL_NULL ? st
                                  : fn_common_type(z->a, st, lhs->type, z->ansi);
        if (!t)
            return anz_error(z, e->pos, e->len, "DATATYPE_MISMATCH.DATA_DIFF_TYPES", "42K09",
                             "Cannot resolve \"%s\": the IN subquery's column and the value "
                             "have no common type.",
                             anz_expr_name(z, e));
        if (!col_type_eq(t, lhs->type) && !(lhs = expr_cast(z->a, lhs, t, false, lhs->text)))
            return oom();
        if (!col_type_eq(t, st)) {
            plan *p = plan_new(z->a, PLAN_PROJECT, &sub, 1, 1);
            expr *c = expr_col(z->a, 0, st, true, sub->cols[0].name);
            if (!p || !c || !(p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs)) ||
                !(p->exprs[0] = expr_cast(z->a, c, t, false, c->text)))
                return oom();
            p->cols[0] = (plan_col){sub->cols[0].name, NULL, t, true};
            sub = p;
        }
    }
    col_vec rows, nonnull, set;
    const col_type *set_t;
    if ((rc = run_agg(z, sub, "count", true, &rows, NULL)) ||
        (rc = run_agg(z, sub, "count", false, &nonnull, NULL)) ||
        (rc = run_agg(z, sub, "collect_set", false, &set, &set_t)))
        return anz_error(z, e->pos, e->len, "FAILED_FUNCTION_CALL", "38000",
                         "the IN subquery failed: %s", kiln_last_error());
    const char *text = anz_expr_name(z, e);
    int64_t n = count_of(&rows), nn = count_of(&nonnull);
    uint8_t no = 0, yes = 1;
    if (n == 0) {
        *out = expr_lit(z->a, &col_type_bool, &no, text);
    } else {
        expr *arr = expr_lit(z->a, set_t, NULL, "values");
        if (!arr) return oom();
        arr->lit = set;
        arr->lit.type = set_t;
        arr->lit.constant = true;
        arr->nullable = false;
        expr *args[3] = {arr, lhs, NULL};
        expr *has;
        if (!(has = expr_call(z->a, "array_contains", args, 2, z->ansi, z->tz, text)))
            return anz_error(z, e->pos, e->len, "DATATYPE_MISMATCH", "42K09", "%s",
                             kiln_last_error());
        *out = has;
        if (nn < n) {
            args[0] = has;
            args[1] = expr_lit(z->a, &col_type_bool, &yes, "true");
            args[2] = expr_lit(z->a, &col_type_bool, NULL, "NULL");
            if (!args[1] || !args[2] ||
                !(*out = expr_call(z->a, "if", args, 3, z->ansi, z->tz, text)))
                return oom();
        }
    }
    if (!*out) return oom();
    if (x->negated) {
        expr *neg = expr_call(z->a, "not", out, 1, z->ansi, z->tz, text);
        if (!neg) return oom();
        *out = neg;
    }
    return KILN_OK;
}
