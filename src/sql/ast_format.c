/*
 * sql/ast_format.c - prints a parsed tree (ast.h) as a canonical
 * S-expression on one line, for the parser's data-driven tests and for
 * debugging: (select (col a) (as (+ (col b) (int 1)) c) (from (table t))).
 * Names print bare when they are plain words and `quoted` otherwise,
 * strings print in C-style double quotes; empty clauses are left out.
 * src/sql/README.md lists the forms.
 */
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "sql/ast.h"

typedef struct fmt {
    kiln_buf *b;
    int rc;
} fmt;

static void put(fmt *f, const char *s)
{
    if (f->rc == KILN_OK) f->rc = kiln_buf_append(f->b, s, strlen(s));
}

static void putn(fmt *f, const char *s, size_t n)
{
    if (f->rc == KILN_OK) f->rc = kiln_buf_append(f->b, s, n);
}

static void put_ident(fmt *f, const char *s)
{
    bool plain = *s != 0 && !(*s >= '0' && *s <= '9');
    for (const char *c = s; *c; c++)
        if (!(*c == '_' || (*c >= '0' && *c <= '9') || ((*c | 32) >= 'a' && (*c | 32) <= 'z')))
            plain = false;
    if (plain) {
        put(f, s);
        return;
    }
    put(f, "`");
    for (const char *c = s; *c; c++) putn(f, *c == '`' ? "``" : c, *c == '`' ? 2 : 1);
    put(f, "`");
}

static void put_strn(fmt *f, const char *s, int n)
{
    put(f, "\"");
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n') snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t') snprintf(esc, sizeof esc, "\\t");
        else if (c == '\r') snprintf(esc, sizeof esc, "\\r");
        else if (c < 32 || c == 127) snprintf(esc, sizeof esc, "\\x%02x", c);
        else esc[0] = (char)c, esc[1] = 0;
        put(f, esc);
    }
    put(f, "\"");
}

static void put_str(fmt *f, const char *s)
{
    put_strn(f, s, (int)strlen(s));
}

static void put_name(fmt *f, const ast_name *n)
{
    for (int i = 0; i < n->n; i++) {
        if (i) put(f, ".");
        put_ident(f, n->parts[i]);
    }
}

static void expr(fmt *f, const ast_expr *e);
static void query(fmt *f, const ast_query *q);

static void exprs(fmt *f, ast_expr *const *l, int n)
{
    for (int i = 0; i < n; i++) {
        put(f, " ");
        expr(f, l[i]);
    }
}

static void idents(fmt *f, const char *const *l, int n)
{
    for (int i = 0; i < n; i++) {
        if (i) put(f, " ");
        put_ident(f, l[i]);
    }
}

static void sort_items(fmt *f, const char *head, const ast_sort_item *s, int n)
{
    if (!n) return;
    put(f, " (");
    put(f, head);
    for (int i = 0; i < n; i++) {
        put(f, " ");
        if (!s[i].dir && !s[i].nulls) {
            expr(f, s[i].expr);
            continue;
        }
        put(f, s[i].dir > 0 ? "(asc " : s[i].dir < 0 ? "(desc " : "(sort ");
        expr(f, s[i].expr);
        if (s[i].nulls) put(f, s[i].nulls > 0 ? " nulls-first" : " nulls-last");
        put(f, ")");
    }
    put(f, ")");
}

static void bound(fmt *f, const ast_bound *b)
{
    put(f, " ");
    switch (b->kind) {
    case BOUND_UNBOUNDED_PRECEDING:
        put(f, "unbounded-preceding");
        break;
    case BOUND_UNBOUNDED_FOLLOWING:
        put(f, "unbounded-following");
        break;
    case BOUND_CURRENT_ROW:
        put(f, "current-row");
        break;
    case BOUND_PRECEDING:
    case BOUND_FOLLOWING:
        put(f, b->kind == BOUND_PRECEDING ? "(preceding " : "(following ");
        expr(f, b->offset);
        put(f, ")");
        break;
    }
}

/* The inside of a window: [ref] (partition-by ...) (order-by ...) (rows ...). */
static void window_body(fmt *f, const ast_window *w)
{
    if (w->ref && !w->inline_spec) {
        put(f, " ");
        put_ident(f, w->ref);
        return;
    }
    put(f, " (spec");
    if (w->ref) {
        put(f, " (ref ");
        put_ident(f, w->ref);
        put(f, ")");
    }
    if (w->npartition) {
        put(f, " (partition-by");
        exprs(f, w->partition, w->npartition);
        put(f, ")");
    }
    sort_items(f, "order-by", w->order, w->norder);
    if (w->frame) {
        put(f, w->frame == 1 ? " (rows" : " (range");
        bound(f, &w->start);
        if (w->has_end) bound(f, &w->end);
        put(f, ")");
    }
    put(f, ")");
}

static const char *const op_names[] = {
    [OP_OR] = "or",    [OP_AND] = "and",  [OP_NOT] = "not",  [OP_EQ] = "=",      [OP_NSEQ] = "<=>",
    [OP_NE] = "<>",    [OP_LT] = "<",     [OP_LE] = "<=",    [OP_GT] = ">",      [OP_GE] = ">=",
    [OP_BITOR] = "|",  [OP_BITXOR] = "^", [OP_BITAND] = "&", [OP_SHL] = "<<",    [OP_SHR] = ">>",
    [OP_USHR] = ">>>", [OP_ADD] = "+",    [OP_SUB] = "-",    [OP_CONCAT] = "||", [OP_MUL] = "*",
    [OP_DIV] = "/",    [OP_MOD] = "%",    [OP_IDIV] = "div", [OP_NEG] = "-",     [OP_POS] = "+",
    [OP_BITNOT] = "~",
};

const char *ast_op_name(ast_op op)
{
    return (unsigned)op < sizeof op_names / sizeof op_names[0] ? op_names[op] : "?";
}

static void literal(fmt *f, const ast_literal *l)
{
    const char *head = NULL;
    switch (l->lit) {
    case LIT_NULL:
        put(f, "null");
        return;
    case LIT_BOOL:
        put(f, l->b ? "true" : "false");
        return;
    case LIT_INT:
        head = l->suffix == 'L'   ? "(bigint "
               : l->suffix == 'S' ? "(smallint "
               : l->suffix == 'Y' ? "(tinyint "
                                  : "(int ";
        break;
    case LIT_DECIMAL:
        head = l->suffix == 'B' ? "(bigdec " : "(dec ";
        break;
    case LIT_DOUBLE:
        head = l->suffix == 'F' ? "(float " : "(double ";
        break;
    case LIT_STRING:
        head = "(str ";
        break;
    case LIT_BINARY:
        head = "(bin ";
        break;
    case LIT_DATE:
        head = "(date ";
        break;
    case LIT_TIMESTAMP:
        head = "(timestamp ";
        break;
    case LIT_TIMESTAMP_NTZ:
        head = "(timestamp_ntz ";
        break;
    case LIT_TIMESTAMP_LTZ:
        head = "(timestamp_ltz ";
        break;
    }
    put(f, head);
    if (l->lit == LIT_INT || l->lit == LIT_DECIMAL || l->lit == LIT_DOUBLE)
        putn(f, l->text, (size_t)l->text_len);
    else put_strn(f, l->text, l->text_len);
    put(f, ")");
}

static void func(fmt *f, const ast_func *fn)
{
    put(f, "(call ");
    put_name(f, &fn->name);
    if (fn->distinct) put(f, " distinct");
    if (fn->star) put(f, " *");
    exprs(f, fn->args, fn->nargs);
    if (fn->ignore_nulls) put(f, " (ignore-nulls)");
    if (fn->filter) {
        put(f, " (filter ");
        expr(f, fn->filter);
        put(f, ")");
    }
    if (fn->over) {
        put(f, " (over");
        window_body(f, fn->over);
        put(f, ")");
    }
    put(f, ")");
}

static void expr(fmt *f, const ast_expr *e)
{
    switch (e->kind) {
    case AST_LITERAL:
        literal(f, (const ast_literal *)e);
        return;
    case AST_INTERVAL: {
        const ast_interval *iv = (const ast_interval *)e;
        put(f, "(interval");
        for (int i = 0; i < iv->n; i++) {
            put(f, " ");
            if (iv->parts[i].quoted) put_str(f, iv->parts[i].value);
            else put(f, iv->parts[i].value);
            if (iv->parts[i].unit) {
                put(f, " ");
                put(f, iv->parts[i].unit);
            }
            if (iv->parts[i].to_unit) {
                put(f, " to ");
                put(f, iv->parts[i].to_unit);
            }
        }
        put(f, ")");
        return;
    }
    case AST_COLUMN: {
        const ast_column *c = (const ast_column *)e;
        put(f, "(col ");
        idents(f, c->name.parts, c->name.n);
        put(f, ")");
        return;
    }
    case AST_STAR: {
        const ast_star *s = (const ast_star *)e;
        put(f, s->qual.n ? "(star " : "(star");
        idents(f, s->qual.parts, s->qual.n);
        put(f, ")");
        return;
    }
    case AST_UNARY: {
        const ast_unary *u = (const ast_unary *)e;
        put(f, "(");
        put(f, ast_op_name(u->op));
        put(f, " ");
        expr(f, u->arg);
        put(f, ")");
        return;
    }
    case AST_BINARY: {
        const ast_binary *b = (const ast_binary *)e;
        put(f, "(");
        put(f, ast_op_name(b->op));
        put(f, " ");
        expr(f, b->left);
        put(f, " ");
        expr(f, b->right);
        put(f, ")");
        return;
    }
    case AST_IS: {
        const ast_is *is = (const ast_is *)e;
        static const char *const what[] = {"null", "true", "false", "unknown", "distinct-from"};
        put(f, is->negated ? "(is-not-" : "(is-");
        put(f, what[is->what]);
        put(f, " ");
        expr(f, is->arg);
        if (is->other) {
            put(f, " ");
            expr(f, is->other);
        }
        put(f, ")");
        return;
    }
    case AST_BETWEEN: {
        const ast_between *b = (const ast_between *)e;
        put(f, b->negated ? "(not-between " : "(between ");
        expr(f, b->arg);
        put(f, " ");
        expr(f, b->low);
        put(f, " ");
        expr(f, b->high);
        put(f, ")");
        return;
    }
    case AST_IN: {
        const ast_in *in = (const ast_in *)e;
        put(f, in->negated ? "(not-in " : "(in ");
        expr(f, in->arg);
        if (in->query) {
            put(f, " ");
            query(f, in->query);
        }
        exprs(f, in->list, in->n);
        put(f, ")");
        return;
    }
    case AST_LIKE: {
        const ast_like *l = (const ast_like *)e;
        put(f, l->negated ? "(not-" : "(");
        put(f, l->op == LIKE_LIKE ? "like" : l->op == LIKE_ILIKE ? "ilike" : "rlike");
        put(f, l->quant == LIKE_ANY ? "-any " : l->quant == LIKE_ALL ? "-all " : " ");
        expr(f, l->arg);
        exprs(f, l->patterns, l->n);
        if (l->escape) {
            put(f, " (escape ");
            put_str(f, l->escape);
            put(f, ")");
        }
        put(f, ")");
        return;
    }
    case AST_FUNC:
        func(f, (const ast_func *)e);
        return;
    case AST_CASE: {
        const ast_case *c = (const ast_case *)e;
        put(f, "(case");
        if (c->operand) {
            put(f, " ");
            expr(f, c->operand);
        }
        for (int i = 0; i < c->n; i++) {
            put(f, " (when ");
            expr(f, c->whens[i].cond);
            put(f, " ");
            expr(f, c->whens[i].result);
            put(f, ")");
        }
        if (c->else_) {
            put(f, " (else ");
            expr(f, c->else_);
            put(f, ")");
        }
        put(f, ")");
        return;
    }
    case AST_CAST: {
        const ast_cast *c = (const ast_cast *)e;
        put(f, c->try_ ? "(try_cast " : "(cast ");
        expr(f, c->arg);
        put(f, " ");
        put_str(f, c->type.text);
        put(f, ")");
        return;
    }
    case AST_SUBQUERY:
    case AST_EXISTS:
        put(f, e->kind == AST_EXISTS ? "(exists " : "(subquery ");
        query(f, ((const ast_subquery *)e)->query);
        put(f, ")");
        return;
    case AST_SUBSCRIPT: {
        const ast_subscript *s = (const ast_subscript *)e;
        put(f, "(subscript ");
        expr(f, s->arg);
        put(f, " ");
        expr(f, s->index);
        put(f, ")");
        return;
    }
    case AST_FIELD: {
        const ast_field *fl = (const ast_field *)e;
        put(f, "(field ");
        expr(f, fl->arg);
        put(f, " ");
        put_ident(f, fl->name);
        put(f, ")");
        return;
    }
    case AST_LAMBDA: {
        const ast_lambda *l = (const ast_lambda *)e;
        put(f, "(lambda (");
        idents(f, l->params, l->nparams);
        put(f, ") ");
        expr(f, l->body);
        put(f, ")");
        return;
    }
    case AST_GROUPING: {
        const ast_grouping *g = (const ast_grouping *)e;
        put(f, g->gkind == GROUPING_ROLLUP ? "(rollup"
               : g->gkind == GROUPING_CUBE ? "(cube"
                                           : "(grouping-sets");
        for (int i = 0; i < g->n; i++) {
            if (g->gkind != GROUPING_SETS) {
                exprs(f, g->sets[i], g->set_len[i]);
                continue;
            }
            put(f, " (");
            for (int j = 0; j < g->set_len[i]; j++) {
                if (j) put(f, " ");
                expr(f, g->sets[i][j]);
            }
            put(f, ")");
        }
        put(f, ")");
        return;
    }
    default:
        put(f, "(?)");
        return;
    }
}

/* ---- Queries and relations ----------------------------------------------- */

static void values(fmt *f, const ast_values *v)
{
    put(f, "(values");
    for (int i = 0; i < v->n; i++) {
        put(f, " (row");
        exprs(f, v->rows[i], v->row_len[i]);
        put(f, ")");
    }
}

static void relation(fmt *f, const ast_rel *r)
{
    switch (r->kind) {
    case AST_REL_TABLE:
        put(f, "(table ");
        put_name(f, &((const ast_rel_table *)r)->name);
        break;
    case AST_REL_FILE:
        put(f, "(file ");
        put(f, ((const ast_rel_file *)r)->format);
        put(f, " ");
        put_str(f, ((const ast_rel_file *)r)->path);
        break;
    case AST_REL_TVF:
        put(f, "(tvf ");
        func(f, ((const ast_rel_tvf *)r)->call);
        break;
    case AST_REL_QUERY:
        put(f, "(derived ");
        query(f, ((const ast_rel_query *)r)->query);
        break;
    case AST_REL_VALUES:
        values(f, ((const ast_rel_values *)r)->values);
        break;
    case AST_REL_JOIN: {
        const ast_rel_join *j = (const ast_rel_join *)r;
        static const char *const kinds[] = {"inner", "left", "right", "full",
                                            "semi",  "anti", "cross"};
        put(f, j->natural ? "(join natural-" : "(join ");
        put(f, kinds[j->jkind]);
        put(f, " ");
        relation(f, j->left);
        put(f, " ");
        relation(f, j->right);
        if (j->on) {
            put(f, " (on ");
            expr(f, j->on);
            put(f, ")");
        }
        if (j->nusing) {
            put(f, " (using ");
            idents(f, j->using, j->nusing);
            put(f, ")");
        }
        break;
    }
    default:
        put(f, "(?");
        break;
    }
    if (r->alias) {
        put(f, " (alias ");
        put_ident(f, r->alias);
        if (r->ncol_aliases) {
            put(f, " (");
            idents(f, r->col_aliases, r->ncol_aliases);
            put(f, ")");
        }
        put(f, ")");
    }
    put(f, ")");
}

static void select_(fmt *f, const ast_select *s)
{
    put(f, s->distinct ? "(select distinct" : "(select");
    for (int i = 0; i < s->nitems; i++) {
        put(f, " ");
        if (s->items[i].alias) put(f, "(as ");
        expr(f, s->items[i].expr);
        if (s->items[i].alias) {
            put(f, " ");
            put_ident(f, s->items[i].alias);
            put(f, ")");
        }
    }
    if (s->nfrom) {
        put(f, " (from");
        for (int i = 0; i < s->nfrom; i++) {
            put(f, " ");
            relation(f, s->from[i]);
        }
        put(f, ")");
    }
    for (int i = 0; i < s->nlaterals; i++) {
        const ast_lateral_view *lv = &s->laterals[i];
        put(f, lv->outer ? " (lateral-view-outer " : " (lateral-view ");
        func(f, lv->call);
        if (lv->table) {
            put(f, " ");
            put_ident(f, lv->table);
        }
        put(f, " (");
        idents(f, lv->cols, lv->ncols);
        put(f, "))");
    }
    if (s->where) {
        put(f, " (where ");
        expr(f, s->where);
        put(f, ")");
    }
    if (s->group_all) put(f, " (group-by all)");
    if (s->ngroup_by) {
        put(f, " (group-by");
        exprs(f, s->group_by, s->ngroup_by);
        put(f, ")");
    }
    if (s->having) {
        put(f, " (having ");
        expr(f, s->having);
        put(f, ")");
    }
    if (s->nwindows) {
        put(f, " (window");
        for (int i = 0; i < s->nwindows; i++) {
            put(f, " (");
            put_ident(f, s->windows[i].name);
            window_body(f, s->windows[i].spec);
            put(f, ")");
        }
        put(f, ")");
    }
    if (s->qualify) {
        put(f, " (qualify ");
        expr(f, s->qualify);
        put(f, ")");
    }
    put(f, ")");
}

static void term(fmt *f, const void *t)
{
    switch (*(const ast_kind *)t) {
    case AST_SELECT:
        select_(f, t);
        return;
    case AST_VALUES:
        values(f, t);
        put(f, ")");
        return;
    case AST_QUERY:
        query(f, t);
        return;
    case AST_REL_TABLE:
        relation(f, t);
        return;
    case AST_SETOP: {
        const ast_setop *s = t;
        static const char *const ops[] = {"union", "intersect", "except"};
        put(f, "(");
        put(f, ops[s->op]);
        if (s->all) put(f, "-all");
        put(f, " ");
        term(f, s->left);
        put(f, " ");
        term(f, s->right);
        put(f, ")");
        return;
    }
    default:
        put(f, "(?)");
        return;
    }
}

static void query(fmt *f, const ast_query *q)
{
    bool bare = !q->nctes && !q->norder_by && !q->nsort_by && !q->ncluster_by &&
                !q->ndistribute_by && !q->limit && !q->limit_all && !q->offset;
    if (bare) {
        term(f, q->body);
        return;
    }
    put(f, "(query");
    if (q->nctes) {
        put(f, " (with");
        for (int i = 0; i < q->nctes; i++) {
            put(f, " (cte ");
            put_ident(f, q->ctes[i].name);
            if (q->ctes[i].ncols) {
                put(f, " (");
                idents(f, q->ctes[i].cols, q->ctes[i].ncols);
                put(f, ")");
            }
            put(f, " ");
            query(f, q->ctes[i].query);
            put(f, ")");
        }
        put(f, ")");
    }
    put(f, " ");
    term(f, q->body);
    sort_items(f, "order-by", q->order_by, q->norder_by);
    if (q->ncluster_by) {
        put(f, " (cluster-by");
        exprs(f, q->cluster_by, q->ncluster_by);
        put(f, ")");
    }
    if (q->ndistribute_by) {
        put(f, " (distribute-by");
        exprs(f, q->distribute_by, q->ndistribute_by);
        put(f, ")");
    }
    sort_items(f, "sort-by", q->sort_by, q->nsort_by);
    if (q->limit_all) put(f, " (limit all)");
    if (q->limit) {
        put(f, " (limit ");
        expr(f, q->limit);
        put(f, ")");
    }
    if (q->offset) {
        put(f, " (offset ");
        expr(f, q->offset);
        put(f, ")");
    }
    put(f, ")");
}

/* ---- Statements ---------------------------------------------------------- */

static void flag(fmt *f, bool on, const char *name)
{
    if (!on) return;
    put(f, " ");
    put(f, name);
}

static void options(fmt *f, const char *head, const ast_option *o, int n)
{
    if (!n) return;
    put(f, " (");
    put(f, head);
    for (int i = 0; i < n; i++) {
        put(f, " (");
        put_str(f, o[i].key);
        put(f, " ");
        put_str(f, o[i].value);
        put(f, ")");
    }
    put(f, ")");
}

static void opt_str(fmt *f, const char *head, const char *s)
{
    if (!s) return;
    put(f, " (");
    put(f, head);
    put(f, " ");
    put_str(f, s);
    put(f, ")");
}

static void stmt(fmt *f, const ast_stmt *s)
{
    switch (s->kind) {
    case AST_STMT_QUERY:
        query(f, ((const ast_stmt_query *)s)->query);
        return;
    case AST_STMT_EXPLAIN: {
        const ast_stmt_explain *e = (const ast_stmt_explain *)s;
        put(f, "(explain");
        flag(f, e->mode != NULL, e->mode ? e->mode : "");
        put(f, " ");
        stmt(f, e->stmt);
        put(f, ")");
        return;
    }
    case AST_STMT_CREATE_VIEW: {
        const ast_stmt_create_view *v = (const ast_stmt_create_view *)s;
        put(f, "(create-view");
        flag(f, v->or_replace, "or-replace");
        flag(f, v->global, "global");
        flag(f, v->temporary, "temporary");
        flag(f, v->if_not_exists, "if-not-exists");
        put(f, " ");
        put_name(f, &v->name);
        if (v->ncols) {
            put(f, " (cols");
            for (int i = 0; i < v->ncols; i++) {
                put(f, " ");
                if (v->cols[i].comment) put(f, "(");
                put_ident(f, v->cols[i].name);
                if (v->cols[i].comment) {
                    put(f, " ");
                    put_str(f, v->cols[i].comment);
                    put(f, ")");
                }
            }
            put(f, ")");
        }
        opt_str(f, "comment", v->comment);
        put(f, " ");
        query(f, v->query);
        put(f, ")");
        return;
    }
    case AST_STMT_CREATE_TABLE: {
        const ast_stmt_create_table *c = (const ast_stmt_create_table *)s;
        put(f, c->is_view ? "(create-view-using" : "(create-table");
        flag(f, c->or_replace, "or-replace");
        flag(f, c->global, "global");
        flag(f, c->temporary, "temporary");
        flag(f, c->external, "external");
        flag(f, c->if_not_exists, "if-not-exists");
        put(f, " ");
        put_name(f, &c->name);
        if (c->ncols) {
            put(f, " (cols");
            for (int i = 0; i < c->ncols; i++) {
                put(f, " (");
                put_ident(f, c->cols[i].name);
                put(f, " ");
                put_str(f, c->cols[i].type.text);
                flag(f, c->cols[i].not_null, "not-null");
                opt_str(f, "comment", c->cols[i].comment);
                put(f, ")");
            }
            put(f, ")");
        }
        if (c->using) {
            put(f, " (using ");
            put_ident(f, c->using);
            put(f, ")");
        }
        options(f, "options", c->options, c->noptions);
        if (c->npartitioned_by) {
            put(f, " (partitioned-by ");
            idents(f, c->partitioned_by, c->npartitioned_by);
            put(f, ")");
        }
        opt_str(f, "location", c->location);
        opt_str(f, "comment", c->comment);
        if (c->query) {
            put(f, " ");
            query(f, c->query);
        }
        put(f, ")");
        return;
    }
    case AST_STMT_CREATE_FUNCTION: {
        const ast_stmt_create_function *c = (const ast_stmt_create_function *)s;
        put(f, "(create-function");
        flag(f, c->or_replace, "or-replace");
        flag(f, c->temporary, "temporary");
        flag(f, c->if_not_exists, "if-not-exists");
        put(f, " ");
        put_name(f, &c->name);
        put(f, " ");
        put_str(f, c->class_name);
        options(f, "using", c->resources, c->nresources);
        put(f, ")");
        return;
    }
    case AST_STMT_INSERT: {
        const ast_stmt_insert *i = (const ast_stmt_insert *)s;
        put(f, i->overwrite ? "(insert-overwrite " : "(insert-into ");
        put_name(f, &i->table);
        if (i->npart) {
            put(f, " (partition");
            for (int k = 0; k < i->npart; k++) {
                put(f, " ");
                put(f, i->part_names[k]);
                if (i->part_null[k]) put(f, "=NULL");
                else if (i->part_values[k]) {
                    put(f, "=");
                    put_str(f, i->part_values[k]);
                }
            }
            put(f, ")");
        }
        if (i->ncols) {
            put(f, " (cols ");
            idents(f, i->cols, i->ncols);
            put(f, ")");
        }
        put(f, " ");
        query(f, i->query);
        put(f, ")");
        return;
    }
    case AST_STMT_DROP: {
        const ast_stmt_drop *d = (const ast_stmt_drop *)s;
        static const char *const what[] = {"(drop-table", "(drop-view", "(drop-function",
                                           "(drop-query", "(drop-database"};
        put(f, what[d->what]);
        flag(f, d->temporary, "temporary");
        flag(f, d->if_exists, "if-exists");
        put(f, " ");
        put_name(f, &d->name);
        put(f, ")");
        return;
    }
    case AST_STMT_DESCRIBE: {
        const ast_stmt_describe *d = (const ast_stmt_describe *)s;
        if (d->what == OBJ_QUERY) {
            put(f, "(describe-query ");
            query(f, d->query);
            put(f, ")");
            return;
        }
        put(f, d->what == OBJ_FUNCTION ? "(describe-function" : "(describe");
        flag(f, d->extended, "extended");
        put(f, " ");
        put_name(f, &d->name);
        put(f, ")");
        return;
    }
    case AST_STMT_SHOW: {
        const ast_stmt_show *sh = (const ast_stmt_show *)s;
        static const char *const what[] = {"(show-tables", "(show-views", "(show-functions",
                                           "(show-columns", "(show-databases"};
        put(f, what[sh->what]);
        if (sh->what == SHOW_COLUMNS) {
            put(f, " ");
            put_name(f, &sh->table);
        }
        if (sh->db.n) {
            put(f, " (in ");
            put_name(f, &sh->db);
            put(f, ")");
        }
        opt_str(f, "like", sh->like);
        put(f, ")");
        return;
    }
    case AST_STMT_SET:
    case AST_STMT_RESET: {
        const ast_stmt_set *st = (const ast_stmt_set *)s;
        put(f, s->kind == AST_STMT_SET ? "(set" : "(reset");
        if (st->key) {
            put(f, " ");
            put_str(f, st->key);
        }
        if (st->value) {
            put(f, " ");
            put_str(f, st->value);
        }
        put(f, ")");
        return;
    }
    case AST_STMT_CACHE:
    case AST_STMT_UNCACHE: {
        const ast_stmt_cache *c = (const ast_stmt_cache *)s;
        put(f, s->kind == AST_STMT_CACHE ? "(cache-table" : "(uncache-table");
        flag(f, c->lazy, "lazy");
        flag(f, c->if_exists, "if-exists");
        put(f, " ");
        put_name(f, &c->name);
        options(f, "options", c->options, c->noptions);
        if (c->query) {
            put(f, " ");
            query(f, c->query);
        }
        put(f, ")");
        return;
    }
    case AST_STMT_CLEAR_CACHE:
        put(f, "(clear-cache)");
        return;
    case AST_STMT_REFRESH:
        put(f, "(refresh-table ");
        put_name(f, &((const ast_stmt_cache *)s)->name);
        put(f, ")");
        return;
    case AST_STMT_USE:
        put(f, "(use ");
        put_name(f, &((const ast_stmt_use *)s)->name);
        put(f, ")");
        return;
    default:
        put(f, "(?)");
        return;
    }
}

int ast_format(kiln_buf *b, const ast_stmt *s)
{
    fmt f = {b, KILN_OK};
    stmt(&f, s);
    return f.rc;
}

int ast_format_expr(kiln_buf *b, const ast_expr *e)
{
    fmt f = {b, KILN_OK};
    expr(&f, e);
    return f.rc;
}

int ast_format_query(kiln_buf *b, const ast_query *q)
{
    fmt f = {b, KILN_OK};
    query(&f, q);
    return f.rc;
}
