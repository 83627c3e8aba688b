/*
 * sql/parse_query.c - queries and relations (parse_int.h): WITH, set
 * operations (INTERSECT binds tighter than UNION and EXCEPT, as in Spark),
 * SELECT with its clauses, VALUES, TABLE t, and the FROM clause's
 * relations and joins; ORDER BY, LIMIT and OFFSET apply to a whole query.
 */
#include <string.h>

#include "sql/parse_int.h"

bool at_query_start(parser *p, int k)
{
    const token *t = peek(p, k);
    return tok_is_kw(p, t, "SELECT") || tok_is_kw(p, t, "WITH") || tok_is_kw(p, t, "VALUES");
}

/* In FROM, '(' starts a query when the first token after the '('s starts
 * one: ((SELECT ...) UNION (SELECT ...)) t, but ((a JOIN b)). */
static bool paren_is_query(parser *p)
{
    int k = 0;
    while (tok_is_op(p, peek(p, k), "(") && k <= SQL_MAX_DEPTH) k++;
    return at_query_start(p, k);
}

ast_values *parse_values(parser *p)
{
    ast_values *v = pa_alloc(p, sizeof *v);
    v->kind = AST_VALUES;
    v->pos = p->toks[p->i > 0 ? p->i - 1 : 0].pos;
    pvec rows, lens;
    pv_init(&rows, sizeof(ast_expr **));
    pv_init(&lens, sizeof(int));
    do {
        ast_expr ***row = pv_push(p, &rows);
        int *len = pv_push(p, &lens);
        if (is_op(p, "(") && !at_query_start(p, 1)) {
            advance(p);
            *row = parse_expr_list(p, len);
            expect_op(p, ")");
        } else {
            *row = pa_alloc(p, sizeof(ast_expr *));
            (*row)[0] = parse_expr(p);
            *len = 1;
        }
    } while (accept_op(p, ","));
    v->rows = rows.data;
    v->row_len = lens.data;
    v->n = rows.n;
    return v;
}

/* ---- Relations ----------------------------------------------------------- */

static void parse_alias(parser *p, ast_rel *r)
{
    bool as = accept_kw(p, "AS");
    if (!as && !tok_is_ident(p, cur(p))) return;
    r->alias = parse_ident(p);
    if (is_op(p, "(")) r->col_aliases = parse_ident_list(p, &r->ncol_aliases);
}

static const char *const file_formats[] = {"csv", "json", "parquet",    "text",
                                           "orc", "avro", "binaryFile", "jdbc"};

static ast_rel *parse_relation(parser *p);

static ast_rel *parse_rel_primary(parser *p)
{
    const token *t = cur(p);
    int pos = t->pos;
    ast_rel *r;
    parse_enter(p);
    if (tok_is_op(p, t, "(")) {
        if (paren_is_query(p)) {
            advance(p);
            ast_rel_query *q = pa_alloc(p, sizeof *q);
            q->r.kind = AST_REL_QUERY;
            q->query = parse_query(p);
            expect_op(p, ")");
            r = &q->r;
        } else {
            advance(p);
            r = parse_relation(p);
            expect_op(p, ")");
        }
    } else if (accept_kw(p, "VALUES")) {
        ast_rel_values *v = pa_alloc(p, sizeof *v);
        v->r.kind = AST_REL_VALUES;
        v->values = parse_values(p);
        r = &v->r;
    } else {
        /* A file (csv.`/path`) needs the backquoted second part. */
        if (t->type == T_IDENT && tok_is_op(p, peek(p, 1), ".") && peek(p, 2)->type == T_QIDENT &&
            !tok_is_op(p, peek(p, 3), ".")) {
            for (size_t k = 0; k < sizeof file_formats / sizeof file_formats[0]; k++) {
                if (!tok_is_kw(p, t, file_formats[k])) continue;
                ast_rel_file *f = pa_alloc(p, sizeof *f);
                f->r.kind = AST_REL_FILE;
                f->format = file_formats[k];
                advance(p);
                advance(p);
                f->path = cur(p)->str;
                advance(p);
                r = &f->r;
                goto done;
            }
        }
        ast_name name = parse_name(p);
        if (is_op(p, "(")) {
            ast_rel_tvf *f = pa_alloc(p, sizeof *f);
            f->r.kind = AST_REL_TVF;
            f->call = parse_func_call(p, name, pos);
            r = &f->r;
        } else {
            ast_rel_table *tb = pa_alloc(p, sizeof *tb);
            tb->r.kind = AST_REL_TABLE;
            tb->name = name;
            r = &tb->r;
        }
    }
done:
    r->pos = pos;
    parse_alias(p, r);
    parse_leave(p);
    return r;
}

/* The join at the current token: returns true and sets kind and natural. */
static bool parse_join_kind(parser *p, ast_join_kind *kind, bool *natural)
{
    int save = p->i;
    *natural = accept_kw(p, "NATURAL");
    *kind = JOIN_INNER;
    if (accept_kw(p, "INNER")) {
    } else if (accept_kw(p, "CROSS")) {
        *kind = JOIN_CROSS;
    } else if (accept_kw(p, "LEFT")) {
        if (accept_kw(p, "SEMI")) *kind = JOIN_SEMI;
        else if (accept_kw(p, "ANTI")) *kind = JOIN_ANTI;
        else {
            accept_kw(p, "OUTER");
            *kind = JOIN_LEFT;
        }
    } else if (accept_kw(p, "RIGHT")) {
        accept_kw(p, "OUTER");
        *kind = JOIN_RIGHT;
    } else if (accept_kw(p, "FULL")) {
        accept_kw(p, "OUTER");
        *kind = JOIN_FULL;
    } else if (accept_kw(p, "SEMI")) {
        *kind = JOIN_SEMI;
    } else if (accept_kw(p, "ANTI")) {
        *kind = JOIN_ANTI;
    }
    if (accept_kw(p, "JOIN")) return true;
    if (p->i != save) parse_syntax_error(p, cur(p));
    return false;
}

static ast_rel *parse_relation(parser *p)
{
    ast_rel *l = parse_rel_primary(p);
    ast_join_kind kind;
    bool natural;
    int chain = 0; /* a chain of joins is a deep tree: it counts as nesting */
    while (parse_join_kind(p, &kind, &natural)) {
        parse_enter(p);
        chain++;
        ast_rel_join *j = pa_alloc(p, sizeof *j);
        j->r.kind = AST_REL_JOIN;
        j->r.pos = l->pos;
        j->jkind = kind;
        j->natural = natural;
        j->left = l;
        j->right = parse_rel_primary(p);
        if (!natural && kind != JOIN_CROSS) {
            if (accept_kw(p, "ON")) j->on = parse_expr(p);
            else if (accept_kw(p, "USING")) j->using = parse_ident_list(p, &j->nusing);
        } else if (kind == JOIN_CROSS && accept_kw(p, "ON")) {
            j->on = parse_expr(p); /* Spark accepts CROSS JOIN ... ON */
        }
        l = &j->r;
    }
    p->depth -= chain;
    return l;
}

/* ---- SELECT -------------------------------------------------------------- */

static bool at_by(parser *p, const char *kw)
{
    return is_kw(p, kw) && tok_is_kw(p, peek(p, 1), "BY");
}

static void parse_lateral_views(parser *p, ast_select *s)
{
    pvec v;
    pv_init(&v, sizeof(ast_lateral_view));
    while (is_kw(p, "LATERAL") && tok_is_kw(p, peek(p, 1), "VIEW")) {
        advance(p);
        advance(p);
        ast_lateral_view *lv = pv_push(p, &v);
        lv->outer = accept_kw(p, "OUTER");
        int pos = cur(p)->pos;
        ast_name fn = parse_name(p);
        lv->call = parse_func_call(p, fn, pos);
        if (tok_is_ident(p, cur(p)) && !is_kw(p, "AS")) lv->table = parse_ident(p);
        if (accept_kw(p, "AS")) {
            pvec cols;
            pv_init(&cols, sizeof(char *));
            do pv_push_ptr(p, &cols, (void *)parse_ident(p));
            while (accept_op(p, ","));
            lv->cols = cols.data;
            lv->ncols = cols.n;
        }
    }
    s->laterals = v.data;
    s->nlaterals = v.n;
}

static ast_select *parse_select(parser *p)
{
    ast_select *s = pa_alloc(p, sizeof *s);
    s->kind = AST_SELECT;
    s->pos = cur(p)->pos;
    expect_kw(p, "SELECT");
    if (accept_kw(p, "DISTINCT")) s->distinct = true;
    else accept_kw(p, "ALL");
    pvec items;
    pv_init(&items, sizeof(ast_select_item));
    do {
        ast_select_item *it = pv_push(p, &items);
        it->expr = parse_expr(p);
        if (accept_kw(p, "AS") || tok_is_ident(p, cur(p))) it->alias = parse_ident(p);
    } while (accept_op(p, ","));
    s->items = items.data;
    s->nitems = items.n;
    if (accept_kw(p, "FROM")) {
        pvec rels;
        pv_init(&rels, sizeof(ast_rel *));
        do pv_push_ptr(p, &rels, parse_relation(p));
        while (accept_op(p, ","));
        s->from = rels.data;
        s->nfrom = rels.n;
        parse_lateral_views(p, s);
    }
    if (accept_kw(p, "WHERE")) s->where = parse_expr(p);
    if (at_by(p, "GROUP")) {
        advance(p);
        advance(p);
        if (is_kw(p, "ALL") && !tok_is_op(p, peek(p, 1), "(")) {
            advance(p);
            s->group_all = true;
        } else {
            pvec g;
            pv_init(&g, sizeof(ast_expr *));
            do pv_push_ptr(p, &g, parse_group_item(p));
            while (accept_op(p, ","));
            s->group_by = g.data;
            s->ngroup_by = g.n;
        }
    }
    if (accept_kw(p, "HAVING")) s->having = parse_expr(p);
    if (accept_kw(p, "WINDOW")) {
        pvec w;
        pv_init(&w, sizeof(ast_named_window));
        do {
            ast_named_window *nw = pv_push(p, &w);
            nw->name = parse_ident(p);
            expect_kw(p, "AS");
            nw->spec = parse_window_spec(p);
        } while (accept_op(p, ","));
        s->windows = w.data;
        s->nwindows = w.n;
    }
    if (accept_kw(p, "QUALIFY")) s->qualify = parse_expr(p);
    return s;
}

/* ---- Query terms and set operations -------------------------------------- */

static void *parse_term_primary(parser *p)
{
    if (is_kw(p, "SELECT")) return parse_select(p);
    if (accept_kw(p, "VALUES")) return parse_values(p);
    if (is_kw(p, "TABLE") && tok_is_ident(p, peek(p, 1))) {
        ast_rel_table *t = pa_alloc(p, sizeof *t);
        t->r.kind = AST_REL_TABLE;
        t->r.pos = cur(p)->pos;
        advance(p);
        t->name = parse_name(p);
        return t;
    }
    if (is_op(p, "(")) {
        advance(p);
        ast_query *q = parse_query(p);
        expect_op(p, ")");
        return q;
    }
    parse_syntax_error(p, cur(p));
}

static int term_pos(void *t)
{
    return ((ast_select *)t)->pos;
} /* every term has kind, pos */

static void *parse_term(parser *p, int min)
{
    void *l = parse_term_primary(p);
    for (int chain = 0;; chain++) { /* a chain of set operations counts as nesting */
        int prec;
        ast_setop_kind op;
        if (is_kw(p, "UNION")) prec = 1, op = SETOP_UNION;
        else if (is_kw(p, "EXCEPT") || is_kw(p, "MINUS")) prec = 1, op = SETOP_EXCEPT;
        else if (is_kw(p, "INTERSECT")) prec = 2, op = SETOP_INTERSECT;
        else {
            p->depth -= chain;
            return l;
        }
        if (prec < min) {
            p->depth -= chain;
            return l;
        }
        advance(p);
        parse_enter(p);
        ast_setop *s = pa_alloc(p, sizeof *s);
        s->kind = AST_SETOP;
        s->pos = term_pos(l);
        s->op = op;
        if (accept_kw(p, "ALL")) s->all = true;
        else accept_kw(p, "DISTINCT");
        s->left = l;
        s->right = parse_term(p, prec + 1);
        l = s;
    }
}

ast_query *parse_query(parser *p)
{
    parse_enter(p);
    ast_query *q = pa_alloc(p, sizeof *q);
    q->kind = AST_QUERY;
    q->pos = cur(p)->pos;
    if (accept_kw(p, "WITH")) {
        if (is_kw(p, "RECURSIVE"))
            parse_error_at(p, cur(p)->pos, cur(p)->len, "UNSUPPORTED_FEATURE.RECURSIVE_CTE",
                           "0A000",
                           "The feature is not supported: recursive common table expressions "
                           "(WITH RECURSIVE).");
        pvec v;
        pv_init(&v, sizeof(ast_cte));
        do {
            ast_cte *c = pv_push(p, &v);
            c->pos = cur(p)->pos;
            c->name = parse_ident(p);
            if (is_op(p, "(")) c->cols = parse_ident_list(p, &c->ncols);
            accept_kw(p, "AS");
            expect_op(p, "(");
            c->query = parse_query(p);
            expect_op(p, ")");
        } while (accept_op(p, ","));
        q->ctes = v.data;
        q->nctes = v.n;
    }
    q->body = parse_term(p, 0);
    if (at_by(p, "ORDER")) {
        advance(p);
        advance(p);
        q->order_by = parse_sort_list(p, &q->norder_by);
    }
    if (at_by(p, "CLUSTER")) {
        advance(p);
        advance(p);
        q->cluster_by = parse_expr_list(p, &q->ncluster_by);
    }
    if (at_by(p, "DISTRIBUTE")) {
        advance(p);
        advance(p);
        q->distribute_by = parse_expr_list(p, &q->ndistribute_by);
    }
    if (at_by(p, "SORT")) {
        advance(p);
        advance(p);
        q->sort_by = parse_sort_list(p, &q->nsort_by);
    }
    for (int k = 0; k < 2; k++) {
        if (!q->limit && !q->limit_all && accept_kw(p, "LIMIT")) {
            if (accept_kw(p, "ALL")) q->limit_all = true;
            else q->limit = parse_expr(p);
        }
        if (!q->offset && accept_kw(p, "OFFSET")) q->offset = parse_expr(p);
    }
    parse_leave(p);
    return q;
}
