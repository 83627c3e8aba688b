/*
 * sql/analyze_using.c - JOIN ... USING (cols) and NATURAL JOIN (USING the
 * columns both sides name), with Spark's output: the USING columns once
 * (the left side's for inner, left, semi and anti joins, the right's for a
 * right join, coalesce(left, right) for a full one), then the left side's
 * other columns, then the right side's (none for semi and anti joins).
 */
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a join");
}

static int find(const plan *p, const char *name)
{
    for (int i = 0; i < p->ncols; i++)
        if (strcasecmp(p->cols[i].name, name) == 0) return i;
    return -1;
}

int anz_join_using(anz *z, const ast_rel_join *j, plan *l, plan *r, plan_join jt, plan **out)
{
    const char **names = j->using;
    int n = j->nusing;
    if (j->natural) {
        /* The columns the left side shares with the right, in its order. */
        names = kiln_arena_alloc(z->a, sizeof *names * (size_t)(l->ncols + 1));
        if (!names) return oom();
        n = 0;
        for (int i = 0; i < l->ncols; i++)
            if (find(r, l->cols[i].name) >= 0 && find(l, l->cols[i].name) == i)
                names[n++] = l->cols[i].name;
    }
    int *li = kiln_arena_alloc(z->a, sizeof *li * (size_t)(n + 1));
    int *ri = kiln_arena_alloc(z->a, sizeof *ri * (size_t)(n + 1));
    expr **eqs = kiln_arena_alloc(z->a, sizeof *eqs * (size_t)(n + 1));
    if (!li || !ri || !eqs) return oom();
    for (int u = 0; u < n; u++) {
        li[u] = find(l, names[u]);
        ri[u] = find(r, names[u]);
        if (li[u] < 0 || ri[u] < 0)
            return anz_error(z, j->r.pos, 1, "UNRESOLVED_USING_COLUMN_FOR_JOIN", "42703",
                             "USING column `%s` cannot be resolved on the %s side of the join.",
                             names[u], li[u] < 0 ? "left" : "right");
        const plan_col *lc = &l->cols[li[u]], *rc = &r->cols[ri[u]];
        expr *args[2] = {expr_col(z->a, li[u], lc->type, true, lc->name),
                         expr_col(z->a, l->ncols + ri[u], rc->type, true, rc->name)};
        if (!args[0] || !args[1]) return oom();
        eqs[u] = expr_call(z->a, "=", args, 2, z->ansi, z->tz, names[u]);
        if (!eqs[u])
            return anz_error(z, j->r.pos, 1, "DATATYPE_MISMATCH", "42K09", "%s", kiln_last_error());
    }
    plan *node = anz_join_node(z, l, r, jt);
    if (!node) return oom();
    int rc = anz_join_keys(z, node, n ? expr_and(z->a, eqs, n) : NULL);
    if (rc) return rc;
    bool only_left = jt == PJ_SEMI || jt == PJ_ANTI;
    int nout = l->ncols + (only_left ? 0 : r->ncols - n);
    plan *p = plan_new(z->a, PLAN_PROJECT, &node, 1, nout);
    if (!p || !(p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)(nout + 1))))
        return oom();
    int k = 0;
    for (int u = 0; u < n; u++) {
        int from = jt == PJ_RIGHT ? l->ncols + ri[u] : li[u];
        const plan_col *c = &node->cols[from];
        p->cols[k] = *c;
        if (!(p->exprs[k] = expr_col(z->a, from, c->type, c->nullable, c->name))) return oom();
        if (jt == PJ_FULL) {
            const plan_col *o = &node->cols[l->ncols + ri[u]];
            expr *both[2] = {p->exprs[k], expr_col(z->a, l->ncols + ri[u], o->type, true, o->name)};
            if (!both[1] ||
                !(p->exprs[k] = expr_call(z->a, "coalesce", both, 2, z->ansi, z->tz, c->name)))
                return oom();
            p->cols[k].qualifier = NULL;
            p->cols[k].nullable = p->exprs[k]->nullable;
        }
        k++;
    }
    for (int side = 0; side < (only_left ? 1 : 2); side++) {
        const plan *sp = side ? r : l;
        const int *used = side ? ri : li;
        for (int i = 0; i < sp->ncols; i++) {
            bool key = false;
            for (int u = 0; u < n; u++) key |= used[u] == i;
            if (key) continue;
            int at = side ? l->ncols + i : i;
            const plan_col *c = &node->cols[at];
            p->cols[k] = *c;
            if (!(p->exprs[k++] = expr_col(z->a, at, c->type, c->nullable, c->name))) return oom();
        }
    }
    *out = p;
    return KILN_OK;
}
