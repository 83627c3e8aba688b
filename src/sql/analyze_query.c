/*
 * sql/analyze_query.c - queries into logical plans (analyze.h): FROM
 * (tables, views, files, subqueries, joins, VALUES), WHERE, GROUP BY with
 * aggregates, HAVING, the SELECT list with stars and aliases, DISTINCT,
 * ORDER BY (also by columns not selected), LIMIT/OFFSET, set operations
 * and CTEs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/analyze_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory analysing a query");
}

/* A copy of p with its columns renamed: qualifier alias (when given) and
 * the names in names (when given). Children are shared. */
static plan *relabel(anz *z, const plan *p, const char *alias, const char *const *names, int nnames)
{
    plan *q = kiln_arena_alloc(z->a, sizeof *q);
    plan_col *cols = kiln_arena_alloc(z->a, sizeof *cols * (size_t)(p->ncols ? p->ncols : 1));
    if (!q || !cols) return NULL;
    *q = *p;
    memcpy(cols, p->cols, sizeof *cols * (size_t)p->ncols);
    for (int i = 0; i < p->ncols; i++) {
        if (alias) cols[i].qualifier = alias;
        if (names && i < nnames) cols[i].name = names[i];
    }
    q->cols = cols;
    return q;
}

/* A projection of in's columns picked by idx (names as in in). */
static plan *pick(anz *z, plan *in, const int *idx, int n)
{
    plan *p = plan_new(z->a, PLAN_PROJECT, &in, 1, n);
    if (!p) return NULL;
    p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)(n ? n : 1));
    if (!p->exprs) return NULL;
    for (int i = 0; i < n; i++) {
        const plan_col *c = &in->cols[idx[i]];
        p->cols[i] = *c;
        p->exprs[i] = expr_col(z->a, idx[i], c->type, c->nullable, c->name);
        if (!p->exprs[i]) return NULL;
    }
    return p;
}

/* ---- Joins ------------------------------------------------------------------- */

/* Columns an expression reads: bit flags of "left" (col < nleft) and
 * "right" (col >= nleft). */
static int sides(const expr *e, int nleft)
{
    if (e->kind == EX_COL) return e->col < nleft ? 1 : 2;
    int s = 0;
    for (int i = 0; i < e->nargs; i++) s |= sides(e->args[i], nleft);
    return s;
}

/* Splits cond (over j's output: left columns, then right) into equi-join
 * keys and a residual condition, setting j's keys. */
int anz_join_keys(anz *z, plan *j, expr *cond)
{
    expr **list = NULL;
    int n = 0, cap = 0, rc;
    if (cond && (rc = expr_conjuncts(z->a, cond, &list, &n, &cap))) return rc;
    int nleft = j->in[0]->ncols;
    j->keys = kiln_arena_alloc(z->a, sizeof(expr *) * (size_t)(n ? n : 1));
    j->rkeys = kiln_arena_alloc(z->a, sizeof(expr *) * (size_t)(n ? n : 1));
    j->null_safe = kiln_arena_alloc(z->a, (size_t)(n ? n : 1));
    expr **rest = kiln_arena_alloc(z->a, sizeof(expr *) * (size_t)(n ? n : 1));
    if (!j->keys || !j->rkeys || !j->null_safe || !rest) return oom();
    int nrest = 0;
    j->nkeys = 0;
    for (int i = 0; i < n; i++) {
        expr *c = list[i];
        bool eq = c->kind == EX_CALL && c->nargs == 2 &&
                  (strcmp(c->fn->name, "=") == 0 || strcmp(c->fn->name, "==") == 0 ||
                   strcmp(c->fn->name, "<=>") == 0);
        if (eq) {
            int s0 = sides(c->args[0], nleft), s1 = sides(c->args[1], nleft);
            expr *l = NULL, *r = NULL;
            if (s0 == 1 && s1 == 2) {
                l = c->args[0];
                r = c->args[1];
            } else if (s0 == 2 && s1 == 1) {
                l = c->args[1];
                r = c->args[0];
            }
            if (l && col_type_eq(l->type, r->type)) {
                j->keys[j->nkeys] = l;
                if (!(j->rkeys[j->nkeys] = expr_shift(z->a, r, -nleft))) return oom();
                j->null_safe[j->nkeys] = strcmp(c->fn->name, "<=>") == 0;
                j->nkeys++;
                continue;
            }
        }
        rest[nrest++] = c;
    }
    j->pred = nrest ? expr_and(z->a, rest, nrest) : NULL;
    if (nrest && !j->pred) return oom();
    if (j->join == PJ_CROSS && (j->nkeys || j->pred)) j->join = PJ_INNER;
    return KILN_OK;
}

/* The output columns of a join of l and r (semi/anti: l's only). */
plan *anz_join_node(anz *z, plan *l, plan *r, plan_join jt)
{
    bool only_left = jt == PJ_SEMI || jt == PJ_ANTI;
    int n = l->ncols + (only_left ? 0 : r->ncols);
    plan *in[2] = {l, r};
    plan *j = plan_new(z->a, PLAN_JOIN, in, 2, n);
    if (!j) return NULL;
    j->join = jt;
    j->build = 1;
    for (int i = 0; i < l->ncols; i++) {
        j->cols[i] = l->cols[i];
        j->cols[i].nullable |= jt == PJ_RIGHT || jt == PJ_FULL;
    }
    for (int i = 0; !only_left && i < r->ncols; i++) {
        j->cols[l->ncols + i] = r->cols[i];
        j->cols[l->ncols + i].nullable |= jt == PJ_LEFT || jt == PJ_FULL;
    }
    return j;
}

/* A scope holding l's then r's columns (to bind ON conditions). */
static plan *pair_scope(anz *z, plan *l, plan *r)
{
    return anz_join_node(z, l, r, PJ_INNER);
}

static int rel(anz *z, const ast_rel *r, plan **out);

static plan_join join_of(ast_join_kind k)
{
    switch (k) {
    case JOIN_LEFT:
        return PJ_LEFT;
    case JOIN_RIGHT:
        return PJ_RIGHT;
    case JOIN_FULL:
        return PJ_FULL;
    case JOIN_SEMI:
        return PJ_SEMI;
    case JOIN_ANTI:
        return PJ_ANTI;
    case JOIN_CROSS:
        return PJ_CROSS;
    default:
        return PJ_INNER;
    }
}

static int rel_join(anz *z, const ast_rel_join *j, plan **out)
{
    plan *l, *r;
    int rc;
    if ((rc = rel(z, j->left, &l)) || (rc = rel(z, j->right, &r))) return rc;
    plan_join jt = join_of(j->jkind);
    if (j->natural || j->nusing) return anz_join_using(z, j, l, r, jt, out);
    plan *node = anz_join_node(z, l, r, jt);
    if (!node) return oom();
    expr *cond = NULL;
    if (j->on) {
        plan *scope = pair_scope(z, l, r);
        binder b = {scope, NULL, "the join condition"};
        if (!scope) return oom();
        if ((rc = anz_bind(z, &b, j->on, &cond)) ||
            (rc = anz_condition(z, cond, j->on, "ON", &cond)))
            return rc;
    }
    if ((rc = anz_join_keys(z, node, cond))) return rc;
    *out = node;
    return KILN_OK;
}

static int values_plan(anz *z, const ast_values *v, plan **out);
static int query(anz *z, const ast_query *q, plan **out);

static int rel(anz *z, const ast_rel *r, plan **out)
{
    int rc;
    plan *p = NULL;
    switch (r->kind) {
    case AST_REL_TABLE: {
        const ast_rel_table *t = (const ast_rel_table *)r;
        const char *name = t->name.parts[t->name.n - 1];
        for (int i = z->nctes - 1; i >= 0 && !p; i--)
            if (t->name.n == 1 && strcasecmp(z->ctes[i].name, name) == 0) p = z->ctes[i].p;
        if (!p && z->cat && z->cat->lookup) p = (plan *)z->cat->lookup(z->cat->arg, name);
        if (!p)
            return anz_error(z, r->pos, (int)strlen(name), "TABLE_OR_VIEW_NOT_FOUND", "42P01",
                             "The table or view `%s` cannot be found. Verify the spelling and "
                             "correctness of the schema and catalog.",
                             name);
        p = relabel(z, p, r->alias ? r->alias : name, r->col_aliases, r->ncol_aliases);
        break;
    }
    case AST_REL_FILE: {
        const ast_rel_file *f = (const ast_rel_file *)r;
        if (!z->cat || !z->cat->file_scan)
            return anz_error(z, r->pos, 1, "UNSUPPORTED_FEATURE", "0A000",
                             "queries on files need a session");
        if ((rc = z->cat->file_scan(z->cat->arg, z->a, f->format, f->path, 0, NULL, NULL, NULL,
                                    &p)))
            return anz_error(z, r->pos, 1, "PATH_NOT_FOUND", "42K03", "%s", kiln_last_error());
        p = relabel(z, p, r->alias, r->col_aliases, r->ncol_aliases);
        break;
    }
    case AST_REL_QUERY: {
        const ast_rel_query *q = (const ast_rel_query *)r;
        const plan *saved_outer = z->outer;
        anz_corr *saved_corr = z->corr;
        z->outer = NULL; /* a derived table sees no enclosing query */
        z->corr = NULL;
        rc = query(z, q->query, &p);
        z->outer = saved_outer;
        z->corr = saved_corr;
        if (rc) return rc;
        p = relabel(z, p, r->alias, r->col_aliases, r->ncol_aliases);
        /* An unaliased subquery's columns keep no qualifier. */
        if (p && !r->alias)
            for (int i = 0; i < p->ncols; i++) p->cols[i].qualifier = NULL;
        break;
    }
    case AST_REL_JOIN:
        if ((rc = rel_join(z, (const ast_rel_join *)r, &p))) return rc;
        break;
    case AST_REL_VALUES: {
        const ast_rel_values *v = (const ast_rel_values *)r;
        if ((rc = values_plan(z, v->values, &p))) return rc;
        p = relabel(z, p, r->alias, r->col_aliases, r->ncol_aliases);
        break;
    }
    case AST_REL_TVF: {
        const ast_rel_tvf *t = (const ast_rel_tvf *)r;
        const char *fn = t->call->name.parts[t->call->name.n - 1];
        if (strcasecmp(fn, "range") != 0)
            return anz_error(z, r->pos, 1, "UNRESOLVABLE_TABLE_VALUED_FUNCTION", "42883",
                             "Could not resolve `%s` to a table-valued function.", fn);
        int64_t a[4] = {0, 0, 1, 0};
        int na = t->call->nargs;
        if (na < 1 || na > 4)
            return anz_error(z, r->pos, 1, "WRONG_NUM_ARGS", "42605",
                             "range takes 1 to 4 arguments");
        for (int i = 0; i < na; i++) {
            expr *e;
            binder b = {NULL, NULL, "range"};
            if ((rc = anz_bind(z, &b, t->call->args[i], &e))) return rc;
            fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
            if (!col_type_is_integral(e->type) || expr_fold(z->a, &fc, &e) || e->kind != EX_LIT)
                return anz_error(z, t->call->args[i]->pos, t->call->args[i]->len,
                                 "DATATYPE_MISMATCH", "42K09", "range takes integer constants");
            kiln_value v;
            col_vec_get_value(&e->lit, 0, z->a, &v);
            a[i] = v.u.i;
        }
        plan *rp = plan_new(z->a, PLAN_RANGE, NULL, 0, 1);
        if (!rp) return oom();
        rp->start = na == 1 ? 0 : a[0];
        rp->end = na == 1 ? a[0] : a[1];
        rp->step = na >= 3 ? a[2] : 1;
        rp->slices = na == 4 ? (int)a[3] : 0;
        if (rp->step == 0)
            return anz_error(z, r->pos, 1, "FAILED_FUNCTION_CALL", "38000",
                             "range's step cannot be 0");
        rp->cols[0] = (plan_col){"id", NULL, &col_type_i64, false};
        p = relabel(z, rp, r->alias, r->col_aliases, r->ncol_aliases);
        break;
    }
    default:
        return anz_error(z, r->pos, 1, "UNSUPPORTED_FEATURE", "0A000",
                         "this kind of relation is not supported yet");
    }
    if (!p) return oom();
    *out = p;
    return KILN_OK;
}

/* VALUES rows: constants folded into one batch. */
static int values_plan(anz *z, const ast_values *v, plan **out)
{
    int nc = v->n ? v->row_len[0] : 0;
    for (int r = 1; r < v->n; r++)
        if (v->row_len[r] != nc)
            return anz_error(z, v->pos, 6, "INVALID_INLINE_TABLE.NUM_COLUMNS_MISMATCH", "42000",
                             "Invalid inline table: expected %d columns but found %d in row %d.",
                             nc, v->row_len[r], r);
    expr **cells = kiln_arena_alloc(z->a, sizeof *cells * (size_t)(v->n * nc > 0 ? v->n * nc : 1));
    const col_type **types = kiln_arena_alloc(z->a, sizeof *types * (size_t)(nc ? nc : 1));
    if (!cells || !types) return oom();
    binder b = {NULL, NULL, "VALUES"};
    fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
    for (int c = 0; c < nc; c++) types[c] = &col_type_null;
    for (int r = 0; r < v->n; r++)
        for (int c = 0; c < nc; c++) {
            expr **e = &cells[r * nc + c];
            int rc = anz_bind(z, &b, v->rows[r][c], e);
            if (rc) return rc;
            if ((rc = expr_fold(z->a, &fc, e)) || (*e)->kind != EX_LIT) {
                free(fc.error);
                return anz_error(z, v->rows[r][c]->pos, v->rows[r][c]->len,
                                 "INVALID_INLINE_TABLE.CANNOT_EVALUATE_EXPRESSION_IN_INLINE_TABLE",
                                 "42000", "Cannot evaluate the expression in an inline table.");
            }
            const col_type *w = types[c]->kind == COL_NULL ? (*e)->type
                                : (*e)->type->kind == COL_NULL
                                    ? types[c]
                                    : fn_common_type(z->a, types[c], (*e)->type, z->ansi);
            if (!w)
                return anz_error(z, v->rows[r][c]->pos, v->rows[r][c]->len,
                                 "INVALID_INLINE_TABLE.INCOMPATIBLE_TYPES_IN_INLINE_TABLE", "42000",
                                 "Incompatible types in column %d of an inline table.", c + 1);
            types[c] = w;
        }
    plan *p = plan_new(z->a, PLAN_VALUES, NULL, 0, nc);
    if (!p) return oom();
    p->nbatches = 1;
    p->batches = kiln_arena_alloc(z->a, sizeof *p->batches);
    if (!p->batches || col_batch_init(p->batches, z->a, nc, types, (uint32_t)(v->n ? v->n : 1)))
        return oom();
    for (int c = 0; c < nc; c++) {
        char name[16];
        snprintf(name, sizeof name, "col%d", c + 1);
        p->cols[c] = (plan_col){anz_strdup(z, name), NULL, types[c], false};
        col_vec *dst = &p->batches->cols[c];
        /* The length first: a null's validity bitmap is sized by it. */
        dst->n = (uint32_t)v->n;
        for (int r = 0; r < v->n; r++) {
            expr *e = cells[r * nc + c];
            if (!col_type_eq(e->type, types[c])) {
                e = expr_cast(z->a, e, types[c], false, e->text);
                if (!e || expr_fold(z->a, &fc, &e) || e->kind != EX_LIT) {
                    free(fc.error);
                    return anz_error(z, v->rows[r][c]->pos, v->rows[r][c]->len,
                                     "INVALID_INLINE_TABLE", "42000",
                                     "a value of an inline table cannot take the column's type");
                }
            }
            if (!col_valid(&e->lit, 0)) p->cols[c].nullable = true;
            if (col_vec_copy_row(dst, z->a, (uint32_t)r, &e->lit, 0)) return oom();
        }
        dst->n = (uint32_t)v->n;
    }
    p->batches->n = (uint32_t)v->n;
    *out = p;
    return KILN_OK;
}

/* ---- SELECT ------------------------------------------------------------------------ */

bool anz_has_agg(const ast_expr *e)
{
    if (!e) return false;
    switch (e->kind) {
    case AST_FUNC: {
        const ast_func *f = (const ast_func *)e;
        char name[128];
        snprintf(name, sizeof name, "%s", f->name.parts[f->name.n - 1]);
        for (char *p = name; *p; p++) *p = (char)tolower((unsigned char)*p);
        if (!f->over && agg_lookup(name) && (f->star || !fn_lookup(name))) return true;
        for (int i = 0; i < f->nargs; i++)
            if (anz_has_agg(f->args[i])) return true;
        for (int i = 0; f->over && i < f->over->npartition; i++)
            if (anz_has_agg(f->over->partition[i])) return true;
        for (int i = 0; f->over && i < f->over->norder; i++)
            if (anz_has_agg(f->over->order[i].expr)) return true;
        return false;
    }
    case AST_UNARY:
        return anz_has_agg(((const ast_unary *)e)->arg);
    case AST_BINARY:
        return anz_has_agg(((const ast_binary *)e)->left) ||
               anz_has_agg(((const ast_binary *)e)->right);
    case AST_IS:
        return anz_has_agg(((const ast_is *)e)->arg) || anz_has_agg(((const ast_is *)e)->other);
    case AST_BETWEEN: {
        const ast_between *b = (const ast_between *)e;
        return anz_has_agg(b->arg) || anz_has_agg(b->low) || anz_has_agg(b->high);
    }
    case AST_IN: {
        const ast_in *x = (const ast_in *)e;
        for (int i = 0; i < x->n; i++)
            if (anz_has_agg(x->list[i])) return true;
        return anz_has_agg(x->arg);
    }
    case AST_LIKE:
        return anz_has_agg(((const ast_like *)e)->arg);
    case AST_CASE: {
        const ast_case *c = (const ast_case *)e;
        for (int i = 0; i < c->n; i++)
            if (anz_has_agg(c->whens[i].cond) || anz_has_agg(c->whens[i].result)) return true;
        return anz_has_agg(c->operand) || anz_has_agg(c->else_);
    }
    case AST_CAST:
        return anz_has_agg(((const ast_cast *)e)->arg);
    default:
        return false;
    }
}

/* A growing list of output expressions with names. */
typedef struct outs {
    int n, cap;
    expr **e;
    const char **names;
    const ast_expr **src;
} outs;

static int outs_add(anz *z, outs *o, expr *e, const char *name, const ast_expr *src)
{
    if (o->n == o->cap) {
        int cap = o->cap ? o->cap * 2 : 16;
        expr **e2 = kiln_arena_alloc(z->a, sizeof *e2 * (size_t)cap);
        const char **n2 = kiln_arena_alloc(z->a, sizeof *n2 * (size_t)cap);
        const ast_expr **s2 = kiln_arena_alloc(z->a, sizeof *s2 * (size_t)cap);
        if (!e2 || !n2 || !s2) return oom();
        if (o->n) {
            memcpy(e2, o->e, sizeof *e2 * (size_t)o->n);
            memcpy(n2, o->names, sizeof *n2 * (size_t)o->n);
            memcpy(s2, o->src, sizeof *s2 * (size_t)o->n);
        }
        o->e = e2;
        o->names = n2;
        o->src = s2;
        o->cap = cap;
    }
    o->e[o->n] = e;
    o->names[o->n] = name;
    o->src[o->n] = src;
    o->n++;
    return KILN_OK;
}

static plan *project(anz *z, plan *in, const outs *o, int n)
{
    plan *p = plan_new(z->a, PLAN_PROJECT, &in, 1, n);
    if (!p) return NULL;
    p->exprs = kiln_arena_alloc(z->a, sizeof *p->exprs * (size_t)(n ? n : 1));
    if (!p->exprs) return NULL;
    for (int i = 0; i < n; i++) {
        p->exprs[i] = o->e[i];
        /* A bare column keeps its qualifier (SELECT t.a FROM t: t.a). */
        const char *qual = NULL;
        if (o->e[i]->kind == EX_COL && o->e[i]->col >= 0 && o->e[i]->col < in->ncols &&
            strcmp(o->names[i], in->cols[o->e[i]->col].name) == 0)
            qual = in->cols[o->e[i]->col].qualifier;
        p->cols[i] = (plan_col){o->names[i], qual, o->e[i]->type, o->e[i]->nullable};
    }
    return p;
}

/* The select list's index of ORDER BY / GROUP BY item e when it is an
 * ordinal (1-based) or an unqualified name of an alias; -1 otherwise. */
static int select_ref(anz *z, const ast_expr *e, const ast_select *s, bool *is_ordinal)
{
    *is_ordinal = false;
    if (e->kind == AST_LITERAL && ((const ast_literal *)e)->lit == LIT_INT) {
        *is_ordinal = true;
        long v = strtol(((const ast_literal *)e)->text, NULL, 10);
        return v >= 1 && v <= s->nitems ? (int)v - 1 : -2;
    }
    (void)z;
    if (e->kind == AST_COLUMN && ((const ast_column *)e)->name.n == 1) {
        const char *n = ((const ast_column *)e)->name.parts[0];
        for (int i = 0; i < s->nitems; i++)
            if (s->items[i].alias && strcasecmp(s->items[i].alias, n) == 0) return i;
    }
    return -1;
}

/* The query's ORDER BY and LIMIT when its body is this SELECT. */
typedef struct tail {
    const ast_sort_item *order;
    int norder;
} tail;

static plan_order sort_key(expr *e, const ast_sort_item *it)
{
    bool desc = it->dir < 0;
    bool nulls_first = it->nulls ? it->nulls > 0 : !desc;
    return (plan_order){e, desc, nulls_first};
}

/* ---- Subqueries --------------------------------------------------------------------- */

static bool has_outer(const expr *e)
{
    if (e->kind == EX_COL) return e->col >= ANZ_OUTER;
    for (int i = 0; i < e->nargs; i++)
        if (has_outer(e->args[i])) return true;
    return false;
}

/* Adds every inner (FROM) column e reads to corr's extra columns. */
static int add_extras(anz *z, anz_corr *corr, const expr *e)
{
    if (e->kind == EX_COL && e->col >= 0 && e->col < ANZ_OUTER) {
        for (int i = 0; i < corr->nextra; i++)
            if (corr->extra[i] == e->col) return KILN_OK;
        int *g = kiln_arena_alloc(z->a, sizeof *g * (size_t)(corr->nextra + 1));
        if (!g) return oom();
        if (corr->nextra) memcpy(g, corr->extra, sizeof *g * (size_t)corr->nextra);
        g[corr->nextra++] = e->col;
        corr->extra = g;
        return KILN_OK;
    }
    for (int i = 0; i < e->nargs; i++) {
        int rc = add_extras(z, corr, e->args[i]);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* e over (outer ++ sub output): outer column i stays i, inner column c
 * becomes nouter + nvisible + its place among the extras. */
static expr *corr_map(anz *z, const anz_corr *corr, const expr *e, int nouter, int nvisible)
{
    expr *c = kiln_arena_alloc(z->a, sizeof *c);
    if (!c) return NULL;
    *c = *e;
    if (e->kind == EX_COL) {
        if (e->col >= ANZ_OUTER) {
            c->col = e->col - ANZ_OUTER;
        } else {
            for (int i = 0; i < corr->nextra; i++)
                if (corr->extra[i] == e->col) c->col = nouter + nvisible + i;
        }
        return c;
    }
    if (e->nargs) {
        c->args = kiln_arena_alloc(z->a, sizeof *c->args * (size_t)e->nargs);
        if (!c->args) return NULL;
        for (int i = 0; i < e->nargs; i++)
            if (!(c->args[i] = corr_map(z, corr, e->args[i], nouter, nvisible))) return NULL;
    }
    return c;
}

int anz_corr_cond(anz *z, const anz_corr *corr, int nouter, int nvisible, expr **out)
{
    expr **m = kiln_arena_alloc(z->a, sizeof *m * (size_t)(corr->n + 1));
    if (!m) return oom();
    for (int i = 0; i < corr->n; i++)
        if (!(m[i] = corr_map(z, corr, corr->conds[i], nouter, nvisible))) return oom();
    *out = corr->n ? expr_and(z->a, m, corr->n) : NULL;
    return corr->n && !*out ? oom() : KILN_OK;
}

int anz_subquery(anz *z, const ast_query *q, const plan *outer, plan **sub, anz_corr *corr)
{
    const plan *saved_outer = z->outer;
    anz_corr *saved_corr = z->corr;
    z->outer = outer;
    z->corr = corr;
    int rc = query(z, q, sub);
    z->outer = saved_outer;
    z->corr = saved_corr;
    return rc;
}

/* Splits the AND tree of a WHERE clause into its conjuncts. */
static int ast_conjuncts(anz *z, const ast_expr *e, const ast_expr ***list, int *n, int *cap)
{
    if (e->kind == AST_BINARY && ((const ast_binary *)e)->op == OP_AND) {
        const ast_binary *b = (const ast_binary *)e;
        int rc = ast_conjuncts(z, b->left, list, n, cap);
        return rc ? rc : ast_conjuncts(z, b->right, list, n, cap);
    }
    if (*n == *cap) {
        int c = *cap ? *cap * 2 : 8;
        const ast_expr **g = kiln_arena_alloc(z->a, sizeof *g * (size_t)c);
        if (!g) return oom();
        if (*n) memcpy(g, *list, sizeof *g * (size_t)*n);
        *list = g;
        *cap = c;
    }
    (*list)[(*n)++] = e;
    return KILN_OK;
}

/* [NOT] EXISTS (q) and x [NOT] IN (q) as a conjunct of WHERE: a left semi
 * (anti) join of from with the subquery on its correlated conditions and,
 * for IN, x = the subquery's column; NOT IN is null-aware (any null on the
 * right means no row, as SQL's three-valued NOT IN). */
static int semi_join(anz *z, const ast_expr *e, plan **from)
{
    bool negated = false;
    if (e->kind == AST_UNARY && ((const ast_unary *)e)->op == OP_NOT) {
        negated = true;
        e = ((const ast_unary *)e)->arg;
    }
    const ast_query *q;
    const ast_in *in = NULL;
    if (e->kind == AST_EXISTS) {
        q = ((const ast_subquery *)e)->query;
    } else {
        in = (const ast_in *)e;
        q = in->query;
        negated ^= in->negated;
    }
    anz_corr corr = {0};
    plan *sub;
    int rc = anz_subquery(z, q, *from, &sub, &corr);
    if (rc) return rc;
    int nouter = (*from)->ncols, visible = sub->ncols - corr.nextra;
    expr *cond;
    if ((rc = anz_corr_cond(z, &corr, nouter, visible, &cond))) return rc;
    if (in) {
        if (visible != 1)
            return anz_error(z, e->pos, e->len, "INVALID_SUBQUERY_EXPRESSION", "42823",
                             "The IN subquery must return one column, but returns %d.", visible);
        binder b = {*from, NULL, "IN", NULL};
        expr *lhs;
        if ((rc = anz_bind(z, &b, in->arg, &lhs))) return rc;
        expr *rhs = expr_col(z->a, nouter, sub->cols[0].type, true, sub->cols[0].name);
        expr *args[2] = {lhs, rhs};
        expr *eq = rhs ? expr_call(z->a, "=", args, 2, z->ansi, z->tz, "in") : NULL;
        if (!eq)
            return anz_error(z, e->pos, e->len, "DATATYPE_MISMATCH", "42K09",
                             "the IN subquery's column cannot be compared: %s", kiln_last_error());
        if (negated && corr.n) {
            /* Correlated NOT IN: an anti join on the correlation and
             * (x = y OR (x = y) IS NULL), as Spark's RewritePredicateSubquery:
             * a null comparison drops the row when its subquery has rows. */
            expr *unk = expr_node(z->a, EX_IS_NULL, &col_type_bool, &eq, 1, "isnull");
            expr *either[2] = {eq, unk};
            if (!unk || !(eq = expr_node(z->a, EX_OR, &col_type_bool, either, 2, "in")))
                return oom();
        }
        if (cond) {
            expr *both[2] = {eq, cond};
            cond = expr_node(z->a, EX_AND, &col_type_bool, both, 2, "and");
        } else {
            cond = eq;
        }
        if (!cond) return oom();
    }
    plan *j = anz_join_node(z, *from, sub, negated ? PJ_ANTI : PJ_SEMI);
    if (!j || (rc = anz_join_keys(z, j, cond))) return j ? rc : oom();
    if (in && negated && !corr.n) {
        if (j->nkeys != 1 || j->pred)
            return anz_error(z, e->pos, e->len, "UNSUPPORTED_FEATURE", "0A000",
                             "NOT IN with a correlated subquery is not supported yet");
        j->null_aware = true;
    }
    *from = j;
    return KILN_OK;
}

static bool is_semi(const ast_expr *e)
{
    if (e->kind == AST_UNARY && ((const ast_unary *)e)->op == OP_NOT)
        e = ((const ast_unary *)e)->arg;
    return e->kind == AST_EXISTS || (e->kind == AST_IN && ((const ast_in *)e)->query);
}

/* WHERE: subquery conditions become joins; the rest a filter (after the
 * left joins of correlated scalar subqueries, whose columns are dropped
 * again). When corr is set (this SELECT is a correlated subquery), the
 * conditions that read the enclosing query go there instead. */
static int where_clause(anz *z, const ast_expr *where, anz_corr *corr, plan **fromp)
{
    const ast_expr **list = NULL;
    int n = 0, cap = 0, rc;
    if ((rc = ast_conjuncts(z, where, &list, &n, &cap))) return rc;
    plan *from = *fromp;
    for (int i = 0; i < n; i++)
        if (is_semi(list[i]) && (rc = semi_join(z, list[i], &from))) return rc;
    int base = from->ncols;
    sq_pending pend = {base, 0, 0, 0, NULL};
    binder b = {from, NULL, "WHERE", &pend, NULL, where};
    expr **conds = kiln_arena_alloc(z->a, sizeof *conds * (size_t)(n + 1));
    if (!conds) return oom();
    int nc = 0;
    for (int i = 0; i < n; i++) {
        if (is_semi(list[i])) continue;
        expr *c;
        if ((rc = anz_bind(z, &b, list[i], &c)) || (rc = anz_condition(z, c, list[i], "WHERE", &c)))
            return rc;
        if (corr && has_outer(c)) {
            /* A correlated condition: taken out, for the enclosing join. */
            if ((rc = add_extras(z, corr, c))) return rc;
            if (corr->n == corr->cap) {
                int cp = corr->cap ? corr->cap * 2 : 4;
                expr **g = kiln_arena_alloc(z->a, sizeof *g * (size_t)cp);
                if (!g) return oom();
                if (corr->n) memcpy(g, corr->conds, sizeof *g * (size_t)corr->n);
                corr->conds = g;
                corr->cap = cp;
            }
            corr->conds[corr->n++] = c;
            continue;
        }
        conds[nc++] = c;
    }
    if ((rc = anz_scalar_sq_apply(z, &from, &pend))) return rc;
    if (nc) {
        plan *f = plan_new(z->a, PLAN_FILTER, &from, 1, from->ncols);
        if (!f) return oom();
        memcpy(f->cols, from->cols, sizeof *f->cols * (size_t)from->ncols);
        if (!(f->pred = expr_and(z->a, conds, nc))) return oom();
        from = f;
    }
    if (pend.n) {
        int *keepi = kiln_arena_alloc(z->a, sizeof *keepi * (size_t)(base + 1));
        if (!keepi) return oom();
        for (int i = 0; i < base; i++) keepi[i] = i;
        if (!(from = pick(z, from, keepi, base))) return oom();
    }
    *fromp = from;
    return KILN_OK;
}

/* The window functions of a SELECT over top (and QUALIFY's filter after
 * them): the select list rewritten over the new top. */
static int window_clause(anz *z, win_collect *wins, const agg_collect *g, outs *sel, expr *qualify,
                         plan **top)
{
    expr **es = kiln_arena_alloc(z->a, sizeof *es * (size_t)(sel->n + 1));
    if (!es) return oom();
    memcpy(es, sel->e, sizeof *es * (size_t)sel->n);
    es[sel->n] = qualify;
    int rc = anz_window_plan(z, wins, g, top, es, sel->n + (qualify != NULL));
    if (rc) return rc;
    memcpy(sel->e, es, sizeof *es * (size_t)sel->n);
    if (qualify) {
        plan *f = plan_new(z->a, PLAN_FILTER, top, 1, (*top)->ncols);
        if (!f) return oom();
        memcpy(f->cols, (*top)->cols, sizeof *f->cols * (size_t)(*top)->ncols);
        f->pred = es[sel->n];
        *top = f;
    }
    return KILN_OK;
}

static int select_plan(anz *z, const ast_select *s, const tail *t, plan **out)
{
    int rc;
    plan *from = NULL;
    for (int i = 0; i < s->nfrom; i++) {
        plan *r;
        if ((rc = rel(z, s->from[i], &r))) return rc;
        if (!from) {
            from = r;
        } else {
            from = anz_join_node(z, from, r, PJ_CROSS);
            if (!from || (rc = anz_join_keys(z, from, NULL))) return from ? rc : oom();
        }
    }
    if (!from) {
        /* SELECT without FROM: one row of no columns. */
        from = plan_new(z->a, PLAN_VALUES, NULL, 0, 0);
        if (!from) return oom();
        from->nbatches = 1;
        from->batches = kiln_arena_alloc(z->a, sizeof *from->batches);
        if (!from->batches) return oom();
        memset(from->batches, 0, sizeof *from->batches);
        from->batches->n = 1;
    }
    if (s->nlaterals && (rc = anz_lateral_views(z, s, &from))) return rc;
    anz_corr *corr = z->corr; /* this SELECT is a subquery's: collect correlations */
    z->corr = NULL;           /* (nested queries collect their own) */
    if (s->where && (rc = where_clause(z, s->where, corr, &from))) return rc;
    bool aggregating = s->ngroup_by > 0 || s->group_all || s->having != NULL;
    for (int i = 0; i < s->nitems && !aggregating; i++) aggregating = anz_has_agg(s->items[i].expr);
    for (int i = 0; t && i < t->norder && !aggregating; i++)
        aggregating = anz_has_agg(t->order[i].expr);
    if (s->qualify && !aggregating) aggregating = anz_has_agg(s->qualify);
    win_collect *wins = anz_window_new(z, s->windows, s->nwindows);
    if (!wins) return oom();

    /* A generator in the SELECT list: its node goes over from (whose
     * columns it keeps first, so the list binds against from as it is). */
    plan *gen;
    int gen_item;
    if ((rc = anz_select_generator(z, s, from, aggregating, &gen, &gen_item))) return rc;

    agg_collect g = {0};
    /* Correlated scalar subqueries of the select list (and ORDER BY) join
     * the input once everything is bound (not over an aggregate or a
     * generator yet). */
    sq_pending spend = {from->ncols, 0, 0, 0, NULL};
    binder b = {from, aggregating ? &g : NULL, "SELECT", aggregating || gen ? NULL : &spend, wins};
    /* GROUP BY keys, over the input (ordinals and aliases name select items). */
    anz_gsets gs = {0};
    bool gsets = s->group_all || anz_has_grouping_sets(s);
    if (gsets && (rc = anz_group_keys(z, s, from, &g, &gs))) return rc;
    g.keys = gsets ? g.keys : kiln_arena_alloc(z->a, sizeof *g.keys * (size_t)(s->ngroup_by + 1));
    if (!g.keys) return oom();
    binder kb = {from, NULL, "GROUP BY"};
    for (int i = 0; i < s->ngroup_by && !gsets; i++) {
        const ast_expr *k = s->group_by[i];
        bool ord;
        int ref = select_ref(z, k, s, &ord);
        if (ref == -2)
            return anz_error(z, k->pos, k->len, "GROUP_BY_POS_OUT_OF_RANGE", "42805",
                             "GROUP BY position %s is not in select list (valid range is "
                             "[1, %d]).",
                             ((const ast_literal *)k)->text, s->nitems);
        if (ref >= 0 && (ord || anz_bind(z, &kb, k, &g.keys[i]) != KILN_OK)) k = s->items[ref].expr;
        if ((rc = anz_bind(z, &kb, k, &g.keys[i]))) return rc;
    }
    if (!gsets) g.nkeys = s->ngroup_by;
    if (corr && corr->nextra) {
        /* The correlated columns group the subquery's rows (one result per
         * outer key) and come out after its own columns. */
        expr **keys = kiln_arena_alloc(z->a, sizeof *keys * (size_t)(g.nkeys + corr->nextra + 1));
        if (!keys) return oom();
        if (g.nkeys) memcpy(keys, g.keys, sizeof *keys * (size_t)g.nkeys);
        for (int i = 0; i < corr->nextra && aggregating; i++) {
            const plan_col *c = &from->cols[corr->extra[i]];
            if (!(keys[g.nkeys++] = expr_col(z->a, corr->extra[i], c->type, c->nullable, c->name)))
                return oom();
        }
        g.keys = keys;
    }

    /* The select list (stars expanded), bound over the input. */
    outs sel = {0};
    for (int i = 0; i < s->nitems; i++) {
        const ast_expr *e = s->items[i].expr;
        if (e->kind == AST_STAR) {
            const ast_star *st = (const ast_star *)e;
            const char *q = st->qual.n ? st->qual.parts[st->qual.n - 1] : NULL;
            int added = 0;
            for (int c = 0; c < from->ncols; c++) {
                if (q && !(from->cols[c].qualifier && strcasecmp(from->cols[c].qualifier, q) == 0))
                    continue;
                expr *ce = expr_col(z->a, c, from->cols[c].type, from->cols[c].nullable,
                                    from->cols[c].name);
                if (!ce || (rc = outs_add(z, &sel, ce, from->cols[c].name, e)))
                    return ce ? rc : oom();
                added++;
            }
            if (q && !added)
                return anz_error(z, e->pos, e->len, "CANNOT_RESOLVE_STAR_EXPAND", "42704",
                                 "Cannot resolve %s.* given input columns.", q);
            continue;
        }
        for (int c = from->ncols; i == gen_item && c < gen->ncols; c++) {
            expr *ce = expr_col(z->a, c, gen->cols[c].type, gen->cols[c].nullable,
                                gen->cols[c].name);
            if (!ce || (rc = outs_add(z, &sel, ce, gen->cols[c].name, e))) return ce ? rc : oom();
        }
        if (i == gen_item) continue;
        expr *be;
        if ((rc = anz_bind(z, &b, e, &be))) return rc;
        const char *name = s->items[i].alias ? s->items[i].alias : anz_expr_name(z, e);
        if ((rc = outs_add(z, &sel, be, name, e))) return rc;
    }
    for (int i = 0; corr && i < corr->nextra; i++) {
        const plan_col *c = &from->cols[corr->extra[i]];
        expr *ce = expr_col(z->a, corr->extra[i], c->type, c->nullable, c->name);
        if (!ce || (rc = outs_add(z, &sel, ce, c->name, NULL))) return ce ? rc : oom();
    }
    int nvisible = sel.n;

    /* HAVING, over the input too (aggregates collected). */
    expr *having = NULL;
    if (s->having) {
        binder hb = {from, &g, "HAVING"};
        if ((rc = anz_bind(z, &hb, s->having, &having)) ||
            (rc = anz_condition(z, having, s->having, "HAVING", &having)))
            return rc;
    }

    /* QUALIFY: a condition over the window functions' results. */
    expr *qualify = NULL;
    if (s->qualify) {
        binder qb = {from, aggregating ? &g : NULL, "QUALIFY", NULL, wins};
        if ((rc = anz_bind(z, &qb, s->qualify, &qualify)) ||
            (rc = anz_condition(z, qualify, s->qualify, "QUALIFY", &qualify)))
            return rc;
    }

    /* ORDER BY: a select item (ordinal, alias, or the same expression),
     * else an expression over the input added as a hidden column. */
    plan_order *order = NULL;
    int norder = t ? t->norder : 0;
    if (norder) {
        order = kiln_arena_alloc(z->a, sizeof *order * (size_t)norder);
        if (!order) return oom();
    }
    int *order_col = kiln_arena_alloc(z->a, sizeof(int) * (size_t)(norder ? norder : 1));
    if (!order_col) return oom();
    for (int i = 0; i < norder; i++) {
        const ast_expr *e = t->order[i].expr;
        bool ord;
        int ref = select_ref(z, e, s, &ord);
        if (ref == -2)
            return anz_error(z, e->pos, e->len, "ORDER_BY_POS_OUT_OF_RANGE", "42805",
                             "ORDER BY position %s is not in select list (valid range is "
                             "[1, %d]).",
                             ((const ast_literal *)e)->text, nvisible);
        /* a generated column by its name (the input does not have it) */
        for (int k = 0; gen && ref < 0 && k < sel.n && e->kind == AST_COLUMN; k++)
            if (sel.e[k]->kind == EX_COL && sel.e[k]->col >= from->ncols &&
                ((const ast_column *)e)->name.n == 1 &&
                strcasecmp(sel.names[k], ((const ast_column *)e)->name.parts[0]) == 0)
                ref = k;
        if (ref < 0) {
            expr *be;
            if ((rc = anz_bind(z, &b, e, &be))) return rc;
            for (int k = 0; k < sel.n && ref < 0; k++)
                if (expr_equal(sel.e[k], be)) ref = k;
            if (ref < 0) {
                ref = sel.n;
                if ((rc = outs_add(z, &sel, be, "__order", e))) return rc;
            }
        }
        order_col[i] = ref;
    }

    if ((rc = anz_scalar_sq_apply(z, &from, &spend))) return rc;
    plan *top = gen ? gen : from;
    if (aggregating) {
        /* The aggregate: keys then aggregates; everything above refers to it. */
        int n = g.nkeys + g.naggs;
        plan *a = plan_new(z->a, PLAN_AGG, &from, 1, n);
        if (!a) return oom();
        a->nkeys = g.nkeys;
        a->keys = g.keys;
        a->naggs = g.naggs;
        a->aggs = g.aggs;
        for (int k = 0; k < g.nkeys; k++)
            a->cols[k] = (plan_col){g.keys[k]->text, NULL, g.keys[k]->type, g.keys[k]->nullable};
        for (int k = 0; k < g.naggs; k++) {
            char name[32];
            snprintf(name, sizeof name, "agg%d", k);
            a->cols[g.nkeys + k] = (plan_col){anz_strdup(z, name), NULL, g.aggs[k].type, true};
        }
        if (gs.nsets && (rc = anz_grouping_expand(z, &gs, &g, a))) return rc;
        for (int i = 0; i < sel.n; i++)
            if ((rc = anz_over_agg(z, &g, sel.e[i], &sel.e[i], sel.src[i]))) return rc;
        top = a;
        if (having) {
            if ((rc = anz_over_agg(z, &g, having, &having, s->having))) return rc;
            plan *f = plan_new(z->a, PLAN_FILTER, &top, 1, top->ncols);
            if (!f) return oom();
            memcpy(f->cols, top->cols, sizeof *f->cols * (size_t)top->ncols);
            f->pred = having;
            top = f;
        }
    }
    if (qualify && aggregating && (rc = anz_over_agg(z, &g, qualify, &qualify, s->qualify)))
        return rc;
    if (anz_window_count(wins) &&
        (rc = window_clause(z, wins, aggregating ? &g : NULL, &sel, qualify, &top)))
        return rc;
    top = project(z, top, &sel, sel.n);
    if (!top) return oom();
    if (s->distinct) {
        if (sel.n != nvisible)
            return anz_error(z, s->pos, 6, "UNSUPPORTED_FEATURE", "0A000",
                             "ORDER BY a column not selected with SELECT DISTINCT");
        plan *d = plan_new(z->a, PLAN_DISTINCT, &top, 1, top->ncols);
        if (!d) return oom();
        memcpy(d->cols, top->cols, sizeof *d->cols * (size_t)top->ncols);
        top = d;
    }
    if (norder) {
        plan *so = plan_new(z->a, PLAN_SORT, &top, 1, top->ncols);
        if (!so) return oom();
        memcpy(so->cols, top->cols, sizeof *so->cols * (size_t)top->ncols);
        so->norder = norder;
        so->order = order;
        for (int i = 0; i < norder; i++) {
            const plan_col *c = &top->cols[order_col[i]];
            expr *ce = expr_col(z->a, order_col[i], c->type, c->nullable, c->name);
            if (!ce) return oom();
            if ((rc = anz_check_orderable(z, &t->order[i], c->type))) return rc;
            order[i] = sort_key(ce, &t->order[i]);
        }
        top = so;
        if (sel.n != nvisible) {
            int *keepi = kiln_arena_alloc(z->a, sizeof *keepi * (size_t)nvisible);
            if (!keepi) return oom();
            for (int i = 0; i < nvisible; i++) keepi[i] = i;
            top = pick(z, top, keepi, nvisible);
            if (!top) return oom();
        }
    }
    *out = top;
    return KILN_OK;
}

/* ---- Set operations and queries ----------------------------------------------------- */

static int term(anz *z, const void *body, const tail *t, plan **out);

/* Casts the columns of p to types (by position), keeping names. */
static plan *cast_to(anz *z, plan *p, const col_type *const *types)
{
    bool same = true;
    for (int i = 0; i < p->ncols; i++) same &= col_type_eq(p->cols[i].type, types[i]);
    if (same) return p;
    plan *q = plan_new(z->a, PLAN_PROJECT, &p, 1, p->ncols);
    if (!q || !(q->exprs = kiln_arena_alloc(z->a, sizeof *q->exprs * (size_t)p->ncols)))
        return NULL;
    for (int i = 0; i < p->ncols; i++) {
        expr *c = expr_col(z->a, i, p->cols[i].type, p->cols[i].nullable, p->cols[i].name);
        q->exprs[i] = c ? expr_cast(z->a, c, types[i], false, p->cols[i].name) : NULL;
        if (!q->exprs[i]) return NULL;
        q->cols[i] = p->cols[i];
        q->cols[i].type = types[i];
    }
    return q;
}

static plan *distinct(anz *z, plan *p)
{
    plan *d = plan_new(z->a, PLAN_DISTINCT, &p, 1, p->ncols);
    if (d) memcpy(d->cols, p->cols, sizeof *d->cols * (size_t)p->ncols);
    return d;
}

static int setop(anz *z, const ast_setop *s, plan **out)
{
    plan *l, *r;
    int rc;
    if ((rc = term(z, s->left, NULL, &l)) || (rc = term(z, s->right, NULL, &r))) return rc;
    if (l->ncols != r->ncols)
        return anz_error(z, s->pos, 5, "NUM_COLUMNS_MISMATCH", "42826",
                         "%s can only be performed on inputs with the same number of columns, "
                         "but the first input has %d columns and the second input has %d "
                         "columns.",
                         s->op == SETOP_UNION       ? "UNION"
                         : s->op == SETOP_INTERSECT ? "INTERSECT"
                                                    : "EXCEPT",
                         l->ncols, r->ncols);
    const col_type **types = kiln_arena_alloc(z->a,
                                              sizeof *types * (size_t)(l->ncols ? l->ncols : 1));
    if (!types) return oom();
    for (int i = 0; i < l->ncols; i++) {
        const col_type *a = l->cols[i].type, *b = r->cols[i].type;
        types[i] = a->kind == COL_NULL   ? b
                   : b->kind == COL_NULL ? a
                                         : fn_common_type(z->a, a, b, z->ansi);
        if (!types[i])
            return anz_error(z, s->pos, 5, "INCOMPATIBLE_COLUMN_TYPE", "42825",
                             "column %d of the set operation has incompatible types", i + 1);
    }
    if (!(l = cast_to(z, l, types)) || !(r = cast_to(z, r, types))) return oom();
    plan *p;
    if (s->op == SETOP_UNION) {
        plan *in[2] = {l, r};
        p = plan_new(z->a, PLAN_UNION, in, 2, l->ncols);
        if (!p) return oom();
        for (int i = 0; i < l->ncols; i++) {
            p->cols[i] = l->cols[i];
            p->cols[i].qualifier = NULL;
            p->cols[i].nullable = l->cols[i].nullable || r->cols[i].nullable;
        }
        if (!s->all && !(p = distinct(z, p))) return oom();
    } else {
        if (s->all) {
            *out = NULL;
            return anz_setop_all(z, s->op == SETOP_INTERSECT, l, r, out);
        }
        /* Distinct rows of the left side with (or without) a null-safe
         * equal row on the right. */
        plan *j = anz_join_node(z, distinct(z, l), r, s->op == SETOP_INTERSECT ? PJ_SEMI : PJ_ANTI);
        if (!j) return oom();
        int n = l->ncols;
        j->nkeys = n;
        j->keys = kiln_arena_alloc(z->a, sizeof(expr *) * (size_t)(n ? n : 1));
        j->rkeys = kiln_arena_alloc(z->a, sizeof(expr *) * (size_t)(n ? n : 1));
        j->null_safe = kiln_arena_alloc(z->a, (size_t)(n ? n : 1));
        if (!j->keys || !j->rkeys || !j->null_safe) return oom();
        for (int i = 0; i < n; i++) {
            j->keys[i] = expr_col(z->a, i, types[i], true, l->cols[i].name);
            j->rkeys[i] = expr_col(z->a, i, types[i], true, r->cols[i].name);
            j->null_safe[i] = true;
            if (!j->keys[i] || !j->rkeys[i]) return oom();
        }
        p = j;
    }
    *out = p;
    return KILN_OK;
}

static int term(anz *z, const void *body, const tail *t, plan **out)
{
    ast_kind k = *(const ast_kind *)body;
    int rc;
    switch (k) {
    case AST_SELECT:
        return select_plan(z, body, t, out);
    case AST_SETOP:
        rc = setop(z, body, out);
        break;
    case AST_VALUES:
        rc = values_plan(z, body, out);
        break;
    case AST_QUERY:
        rc = query(z, body, out);
        break;
    case AST_REL_TABLE:
        rc = rel(z, body, out);
        break;
    default:
        return kiln_set_error(KILN_ESQL, "unknown query term");
    }
    if (rc || !t || !t->norder) return rc;
    /* ORDER BY over a set operation: its output columns only. */
    plan *in = *out;
    plan *so = plan_new(z->a, PLAN_SORT, &in, 1, in->ncols);
    if (!so || !(so->order = kiln_arena_alloc(z->a, sizeof *so->order * (size_t)t->norder)))
        return oom();
    memcpy(so->cols, in->cols, sizeof *so->cols * (size_t)in->ncols);
    so->norder = t->norder;
    binder b = {in, NULL, "ORDER BY"};
    for (int i = 0; i < t->norder; i++) {
        expr *e;
        const ast_expr *src = t->order[i].expr;
        if (src->kind == AST_LITERAL && ((const ast_literal *)src)->lit == LIT_INT) {
            long v = strtol(((const ast_literal *)src)->text, NULL, 10);
            if (v < 1 || v > in->ncols)
                return anz_error(z, src->pos, src->len, "ORDER_BY_POS_OUT_OF_RANGE", "42805",
                                 "ORDER BY position %ld is not in select list.", v);
            e = expr_col(z->a, (int)v - 1, in->cols[v - 1].type, true, in->cols[v - 1].name);
            if (!e) return oom();
        } else if ((rc = anz_bind(z, &b, src, &e))) {
            return rc;
        }
        if ((rc = anz_check_orderable(z, &t->order[i], e->type))) return rc;
        so->order[i] = sort_key(e, &t->order[i]);
    }
    *out = so;
    return KILN_OK;
}

static int int_const(anz *z, const ast_expr *e, const char *what, int64_t *out)
{
    binder b = {NULL, NULL, what};
    expr *x;
    int rc = anz_bind(z, &b, e, &x);
    if (rc) return rc;
    fn_ctx fc = {.arena = z->a, .ansi = z->ansi, .tz = z->tz};
    if (!col_type_is_integral(x->type) || expr_fold(z->a, &fc, &x) || x->kind != EX_LIT ||
        !col_valid(&x->lit, 0)) {
        free(fc.error);
        return anz_error(z, e->pos, e->len, "INVALID_LIMIT_LIKE_EXPRESSION.DATA_TYPE", "42K0E",
                         "The %s expression must be an integer constant.", what);
    }
    kiln_value v;
    col_vec_get_value(&x->lit, 0, z->a, &v);
    if (v.u.i < 0)
        return anz_error(z, e->pos, e->len, "INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE", "42K0E",
                         "The %s expression must be equal to or greater than 0.", what);
    *out = v.u.i;
    return KILN_OK;
}

static int query(anz *z, const ast_query *q, plan **out)
{
    if (++z->depth > 200) {
        z->depth--;
        return anz_error(z, q->pos, 1, "UNSUPPORTED_FEATURE", "0A000", "queries nest too deep");
    }
    int saved = z->nctes;
    int rc = KILN_OK;
    for (int i = 0; !rc && i < q->nctes; i++) {
        plan *p;
        if ((rc = query(z, q->ctes[i].query, &p))) break;
        if (q->ctes[i].ncols) {
            if (q->ctes[i].ncols != p->ncols) {
                rc = anz_error(z, q->ctes[i].pos, 1, "ASSIGNMENT_ARITY_MISMATCH", "42802",
                               "the CTE %s names %d columns for %d", q->ctes[i].name,
                               q->ctes[i].ncols, p->ncols);
                break;
            }
            p = relabel(z, p, NULL, q->ctes[i].cols, q->ctes[i].ncols);
        }
        struct anz_cte *c = kiln_arena_alloc(z->a, sizeof *c * (size_t)(z->nctes + 1));
        if (!c || !p) {
            rc = oom();
            break;
        }
        if (z->nctes) memcpy(c, z->ctes, sizeof *c * (size_t)z->nctes);
        c[z->nctes].name = q->ctes[i].name;
        c[z->nctes].p = p;
        z->ctes = c;
        z->nctes++;
    }
    plan *p = NULL;
    if (!rc && (q->nsort_by || q->ncluster_by || q->ndistribute_by))
        rc = anz_error(z, q->pos, 1, "UNSUPPORTED_FEATURE", "0A000",
                       "SORT BY, CLUSTER BY and DISTRIBUTE BY are not supported yet");
    tail t = {q->order_by, q->norder_by};
    if (!rc) rc = term(z, q->body, &t, &p);
    if (!rc && (q->limit || q->offset)) {
        int64_t lim = INT64_MAX, off = 0;
        if (q->limit && !q->limit_all) rc = int_const(z, q->limit, "limit", &lim);
        if (!rc && q->offset) rc = int_const(z, q->offset, "offset", &off);
        if (!rc) {
            plan *l = plan_new(z->a, PLAN_LIMIT, &p, 1, p->ncols);
            if (!l) {
                rc = oom();
            } else {
                memcpy(l->cols, p->cols, sizeof *l->cols * (size_t)p->ncols);
                l->limit = lim;
                l->offset = off;
                p = l;
            }
        }
    }
    z->nctes = saved;
    z->depth--;
    if (!rc) *out = p;
    return rc;
}

int anz_query(anz *z, const ast_query *q, plan **out)
{
    return query(z, q, out);
}
