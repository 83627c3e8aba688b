/*
 * sql/analyze_grouping.c - GROUP BY ALL, and ROLLUP, CUBE and GROUPING SETS
 * with grouping() and grouping_id(), as Spark plans them: an Expand below
 * the aggregate gives each input row once per grouping set, with the keys
 * outside the set nulled and a grouping id (bit n-1-i set when key i is
 * not in the set), and the aggregate groups by the keys and that id.
 *
 * The Expand is a UNION ALL of one projection of the input per set: the
 * input's columns (aggregates read them unnulled), the n keys (or typed
 * nulls), the id, and, when a set is listed twice, the set's index (so
 * each copy is a group of its own, as Spark's duplicate grouping sets).
 * The select list binds against the input as for a plain GROUP BY; its key
 * subtrees then map to the aggregate's key columns, which hold the nulled
 * copies.
 */
#include <stdio.h>
#include <string.h>

#include "sql/analyze_int.h"

#define GSETS_MAX 4096

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing GROUP BY");
}

bool anz_has_grouping_sets(const ast_select *s)
{
    for (int i = 0; i < s->ngroup_by; i++)
        if (s->group_by[i]->kind == AST_GROUPING) return true;
    return false;
}

/* The index of e among g's keys, added when new. */
static int key_of(anz *z, agg_collect *g, int cap, expr *e)
{
    for (int i = 0; i < g->nkeys; i++)
        if (expr_equal(g->keys[i], e)) return i;
    if (g->nkeys == cap) return -1;
    g->keys[g->nkeys] = e;
    (void)z;
    return g->nkeys++;
}

/* One item of GROUP BY as a list of sets (bit masks over g's keys). */
static int item_sets(anz *z, const binder *kb, agg_collect *g, int cap, const ast_expr *e,
                     uint64_t **sets, int *nsets)
{
    int rc;
    if (e->kind != AST_GROUPING) {
        expr *k;
        if ((rc = anz_bind(z, kb, e, &k))) return rc;
        int i = key_of(z, g, cap, k);
        if (i < 0) goto too_many;
        if (!(*sets = kiln_arena_alloc(z->a, sizeof **sets))) return oom();
        (*sets)[0] = UINT64_C(1) << i;
        *nsets = 1;
        return KILN_OK;
    }
    const ast_grouping *gr = (const ast_grouping *)e;
    /* Each listed element (an expression or a parenthesised list) as a mask. */
    uint64_t *elem = kiln_arena_alloc(z->a, sizeof *elem * (size_t)(gr->n ? gr->n : 1));
    if (!elem) return oom();
    for (int s = 0; s < gr->n; s++) {
        elem[s] = 0;
        for (int j = 0; j < gr->set_len[s]; j++) {
            expr *k;
            if ((rc = anz_bind(z, kb, gr->sets[s][j], &k))) return rc;
            int i = key_of(z, g, cap, k);
            if (i < 0) goto too_many;
            elem[s] |= UINT64_C(1) << i;
        }
    }
    int n;
    if (gr->gkind == GROUPING_SETS) n = gr->n;
    else if (gr->gkind == GROUPING_ROLLUP) n = gr->n + 1;
    else if (gr->n < 12) n = 1 << gr->n;
    else goto too_many_sets;
    uint64_t *out = kiln_arena_alloc(z->a, sizeof *out * (size_t)n);
    if (!out) return oom();
    for (int s = 0; s < n; s++) {
        uint64_t m = 0;
        if (gr->gkind == GROUPING_SETS) {
            m = elem[s];
        } else if (gr->gkind == GROUPING_ROLLUP) {
            for (int j = 0; j < gr->n - s; j++) m |= elem[j]; /* (a, b), (a), () */
        } else {
            /* CUBE in Spark's order: (a, b), (a), (b), () */
            for (int j = 0; j < gr->n; j++)
                if (!(s >> (gr->n - 1 - j) & 1)) m |= elem[j];
        }
        out[s] = m;
    }
    *sets = out;
    *nsets = n;
    return KILN_OK;
too_many:
    return anz_error(z, e->pos, e->len, "GROUPING_SIZE_LIMIT_EXCEEDED", "54000",
                     "Grouping sets size cannot be greater than %d.", 63);
too_many_sets:
    return anz_error(z, e->pos, e->len, "GROUPING_SIZE_LIMIT_EXCEEDED", "54000",
                     "Grouping sets size cannot be greater than %d.", GSETS_MAX);
}

int anz_group_keys(anz *z, const ast_select *s, plan *from, agg_collect *g, anz_gsets *gs)
{
    binder kb = {from, NULL, "GROUP BY", NULL};
    int rc, cap = 64;
    memset(gs, 0, sizeof *gs);
    if (!(g->keys = kiln_arena_alloc(z->a, sizeof *g->keys * (size_t)(cap + 2)))) return oom();
    g->nkeys = 0;
    if (s->group_all) {
        /* GROUP BY ALL: every select item without an aggregate. */
        for (int i = 0; i < s->nitems; i++) {
            const ast_expr *e = s->items[i].expr;
            if (e->kind == AST_STAR)
                return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                                 "GROUP BY ALL with a star in the select list");
            if (anz_has_agg(e)) continue;
            expr *k;
            if ((rc = anz_bind(z, &kb, e, &k))) return rc;
            if (key_of(z, g, cap, k) < 0)
                return anz_error(z, e->pos, e->len, "GROUPING_SIZE_LIMIT_EXCEEDED", "54000",
                                 "too many GROUP BY ALL keys");
        }
        return KILN_OK;
    }
    /* The cross product of every item's sets. */
    uint64_t *sets = kiln_arena_alloc(z->a, sizeof *sets);
    if (!sets) return oom();
    sets[0] = 0;
    int nsets = 1;
    for (int i = 0; i < s->ngroup_by; i++) {
        uint64_t *is = NULL;
        int ni = 0;
        if ((rc = item_sets(z, &kb, g, cap, s->group_by[i], &is, &ni))) return rc;
        if ((int64_t)nsets * ni > GSETS_MAX)
            return anz_error(z, s->group_by[i]->pos, s->group_by[i]->len,
                             "GROUPING_SIZE_LIMIT_EXCEEDED", "54000",
                             "Grouping sets size cannot be greater than %d.", GSETS_MAX);
        uint64_t *x = kiln_arena_alloc(z->a, sizeof *x * (size_t)(nsets * ni + 1));
        if (!x) return oom();
        for (int a = 0; a < nsets; a++)
            for (int b = 0; b < ni; b++) x[a * ni + b] = sets[a] | is[b];
        sets = x;
        nsets *= ni;
    }
    gs->nsets = nsets;
    gs->sets = sets;
    gs->n = g->nkeys;
    gs->base = from->ncols;
    for (int a = 0; a < nsets && !gs->dup; a++)
        for (int b = 0; b < a && !gs->dup; b++) gs->dup = sets[a] == sets[b];
    /* Hidden keys: the grouping id (and the set's index), read from the
     * Expand's columns after the input's and the keys. */
    int n = g->nkeys;
    if (!(g->keys[n] = expr_col(z->a, from->ncols + n, &col_type_i64, false, "spark_grouping_id")))
        return oom();
    if (gs->dup && !(g->keys[n + 1] = expr_col(z->a, from->ncols + n + 1, &col_type_i32, false,
                                               "_gen_grouping_pos")))
        return oom();
    g->nkeys = n + 1 + gs->dup;
    g->gid = from->ncols + n + 1;
    g->nnullkeys = n;
    return KILN_OK;
}

/* The grouping id of set m over n keys. */
static int64_t gid_of(uint64_t m, int n)
{
    int64_t id = 0;
    for (int i = 0; i < n; i++)
        if (!(m >> i & 1)) id |= INT64_C(1) << (n - 1 - i);
    return id;
}

int anz_grouping_expand(anz *z, const anz_gsets *gs, const agg_collect *g, plan *agg)
{
    plan *from = agg->in[0];
    int n = gs->n, nc = from->ncols + n + 1 + gs->dup;
    plan **kids = kiln_arena_alloc(z->a, sizeof *kids * (size_t)gs->nsets);
    if (!kids) return oom();
    for (int s = 0; s < gs->nsets; s++) {
        plan *p = plan_new(z->a, PLAN_PROJECT, &from, 1, nc);
        if (!p || !(p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)nc))) return oom();
        for (int c = 0; c < from->ncols; c++) {
            const plan_col *pc = &from->cols[c];
            p->cols[c] = *pc;
            if (!(p->exprs[c] = expr_col(z->a, c, pc->type, pc->nullable, pc->name))) return oom();
        }
        for (int i = 0; i < n; i++) {
            const expr *k = g->keys[i];
            expr *e = gs->sets[s] >> i & 1 ? g->keys[i] : expr_lit(z->a, k->type, NULL, "NULL");
            if (!e) return oom();
            p->exprs[from->ncols + i] = e;
            p->cols[from->ncols + i] = (plan_col){k->text, NULL, k->type, true};
        }
        int64_t id = gid_of(gs->sets[s], n);
        expr *ide = expr_lit(z->a, &col_type_i64, &id, "spark_grouping_id");
        if (!ide) return oom();
        p->exprs[from->ncols + n] = ide;
        p->cols[from->ncols + n] = (plan_col){"spark_grouping_id", NULL, &col_type_i64, false};
        if (gs->dup) {
            int32_t pos = s;
            expr *pe = expr_lit(z->a, &col_type_i32, &pos, "_gen_grouping_pos");
            if (!pe) return oom();
            p->exprs[nc - 1] = pe;
            p->cols[nc - 1] = (plan_col){"_gen_grouping_pos", NULL, &col_type_i32, false};
        }
        kids[s] = p;
    }
    plan *ex = kids[0];
    if (gs->nsets > 1) {
        ex = plan_new(z->a, PLAN_UNION, kids, gs->nsets, nc);
        if (!ex) return oom();
        memcpy(ex->cols, kids[0]->cols, sizeof *ex->cols * (size_t)nc);
    }
    /* The aggregate groups by the Expand's key columns. */
    expr **keys = kiln_arena_alloc(z->a, sizeof *keys * (size_t)agg->nkeys);
    if (!keys) return oom();
    for (int k = 0; k < agg->nkeys; k++) {
        keys[k] = agg->keys[k];
        if (k <= n + gs->dup) {
            const plan_col *c = &ex->cols[from->ncols + k];
            if (!(keys[k] = expr_col(z->a, from->ncols + k, c->type, c->nullable, c->name)))
                return oom();
            agg->cols[k].nullable = c->nullable;
        }
    }
    agg->keys = keys;
    agg->in[0] = ex;
    return KILN_OK;
}

/* (gid div 2^(n-1-i)) % 2: whether key i is aggregated in this row. */
static int gid_bit(anz *z, const ast_func *f, expr *gid, int n, int i, expr **out)
{
    int64_t p = INT64_C(1) << (n - 1 - i), two = 2;
    expr *d[2] = {gid, expr_lit(z->a, &col_type_i64, &p, "p")};
    if (!d[1] || !(d[0] = expr_call(z->a, "div", d, 2, z->ansi, z->tz, "div"))) return oom();
    if (!(d[1] = expr_lit(z->a, &col_type_i64, &two, "2"))) return oom();
    *out = expr_call(z->a, "%", d, 2, z->ansi, z->tz, anz_expr_name(z, &f->e));
    return *out ? KILN_OK : oom();
}

int anz_bind_grouping(anz *z, const binder *b, const ast_func *f, const char *name, expr **out)
{
    const agg_collect *g = b->aggs;
    if (!g || !g->gid)
        return anz_error(z, f->e.pos, f->e.len, "UNSUPPORTED_GROUPING_EXPRESSION", "42K0E",
                         "grouping()/grouping_id() can only be used with GroupingSets/Cube/"
                         "Rollup.");
    int n = g->nnullkeys;
    expr *gid = expr_col(z->a, g->gid - 1, &col_type_i64, false, "spark_grouping_id");
    if (!gid) return oom();
    bool is_id = strcmp(name, "grouping_id") == 0;
    if (!is_id && f->nargs != 1)
        return anz_error(z, f->e.pos, f->e.len, "WRONG_NUM_ARGS.WITHOUT_SUGGESTION", "42605",
                         "The `grouping` requires 1 parameters but the actual number is %d.",
                         f->nargs);
    if (is_id && f->nargs == 0) {
        gid->text = anz_expr_name(z, &f->e);
        *out = gid;
        return KILN_OK;
    }
    binder inner = {b->in, NULL, "grouping", NULL};
    expr *sum = NULL;
    for (int j = 0; j < f->nargs; j++) {
        expr *x, *bit;
        int rc = anz_bind(z, &inner, f->args[j], &x);
        if (rc) return rc;
        int i = 0;
        while (i < n && !expr_equal(g->keys[i], x)) i++;
        if (i == n)
            return anz_error(z, f->args[j]->pos, f->args[j]->len, "GROUPING_COLUMN_MISMATCH",
                             "42803",
                             "Column of grouping (%s) can't be found in grouping "
                             "columns.",
                             anz_expr_name(z, f->args[j]));
        if ((rc = gid_bit(z, f, gid, n, i, &bit))) return rc;
        if (!is_id) {
            *out = expr_cast(z->a, bit, &col_type_i8, false, anz_expr_name(z, &f->e));
            return *out ? KILN_OK : oom();
        }
        int64_t w = INT64_C(1) << (f->nargs - 1 - j);
        expr *m[2] = {bit, expr_lit(z->a, &col_type_i64, &w, "w")};
        if (!m[1] || !(bit = expr_call(z->a, "*", m, 2, z->ansi, z->tz, "*"))) return oom();
        expr *s2[2] = {sum, bit};
        sum = sum ? expr_call(z->a, "+", s2, 2, z->ansi, z->tz, anz_expr_name(z, &f->e)) : bit;
        if (!sum) return oom();
    }
    sum->text = anz_expr_name(z, &f->e);
    *out = sum;
    return KILN_OK;
}
