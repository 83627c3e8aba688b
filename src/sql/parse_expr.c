/*
 * sql/parse_expr.c - expressions of Spark SQL (parse_int.h), with Spark's
 * precedence, loosest first:
 *
 *   OR < AND < NOT < predicates (IS, BETWEEN, IN, LIKE, RLIKE) and
 *   comparisons (= == <> != < <= > >= <=>) < | < ^ < & < << >> >>> <
 *   + - || < * / % DIV < unary - + ~ < postfix x[i] x.f x::t < primary.
 *
 * As in SqlBaseParser.g4, a predicate follows a whole value expression
 * (a = b IS NULL is (a = b) IS NULL) and at most one follows it.
 */
#include <string.h>

#include "sql/parse_int.h"

void set_len(parser *p, ast_expr *e)
{
    e->len = prev_end(p) - e->pos;
}

static void *new_expr(parser *p, size_t size, ast_kind k, int pos)
{
    ast_expr *e = pa_alloc(p, size);
    e->kind = k;
    e->pos = pos;
    return e;
}

static ast_expr *binary(parser *p, ast_op op, ast_expr *l, ast_expr *r)
{
    ast_binary *b = new_expr(p, sizeof *b, AST_BINARY, l->pos);
    b->op = op;
    b->left = l;
    b->right = r;
    expr_child(p, &b->e, l);
    expr_child(p, &b->e, r);
    set_len(p, &b->e);
    return &b->e;
}

static ast_expr *unary(parser *p, ast_op op, ast_expr *arg, int pos)
{
    ast_unary *u = new_expr(p, sizeof *u, AST_UNARY, pos);
    u->op = op;
    u->arg = arg;
    expr_child(p, &u->e, arg);
    set_len(p, &u->e);
    return &u->e;
}

static ast_literal *literal(parser *p, ast_lit_kind k, int pos)
{
    ast_literal *l = new_expr(p, sizeof *l, AST_LITERAL, pos);
    l->lit = k;
    return l;
}

ast_expr **parse_expr_list(parser *p, int *n)
{
    pvec v;
    pv_init(&v, sizeof(ast_expr *));
    do pv_push_ptr(p, &v, parse_expr(p));
    while (accept_op(p, ","));
    *n = v.n;
    return v.data;
}

/* ( e, e, ... ) */
static ast_expr **paren_expr_list(parser *p, int *n)
{
    expect_op(p, "(");
    if (accept_op(p, ")")) {
        *n = 0;
        return NULL;
    }
    ast_expr **l = parse_expr_list(p, n);
    expect_op(p, ")");
    return l;
}

ast_sort_item *parse_sort_list(parser *p, int *n)
{
    pvec v;
    pv_init(&v, sizeof(ast_sort_item));
    do {
        ast_sort_item *s = pv_push(p, &v);
        s->expr = parse_expr(p);
        if (accept_kw(p, "ASC")) s->dir = 1;
        else if (accept_kw(p, "DESC")) s->dir = -1;
        if (accept_kw(p, "NULLS")) {
            if (accept_kw(p, "FIRST")) s->nulls = 1;
            else if (accept_kw(p, "LAST")) s->nulls = -1;
            else parse_syntax_error(p, cur(p));
        }
    } while (accept_op(p, ","));
    *n = v.n;
    return v.data;
}

/* ---- Windows ------------------------------------------------------------- */

static ast_bound parse_bound(parser *p)
{
    ast_bound b = {BOUND_CURRENT_ROW, NULL};
    if (accept_kw(p, "UNBOUNDED")) {
        if (accept_kw(p, "PRECEDING")) b.kind = BOUND_UNBOUNDED_PRECEDING;
        else if (accept_kw(p, "FOLLOWING")) b.kind = BOUND_UNBOUNDED_FOLLOWING;
        else parse_syntax_error(p, cur(p));
    } else if (is_kw(p, "CURRENT") && tok_is_kw(p, peek(p, 1), "ROW")) {
        advance(p);
        advance(p);
    } else {
        b.offset = parse_value(p, 0);
        if (accept_kw(p, "PRECEDING")) b.kind = BOUND_PRECEDING;
        else if (accept_kw(p, "FOLLOWING")) b.kind = BOUND_FOLLOWING;
        else parse_syntax_error(p, cur(p));
    }
    return b;
}

static bool at_window_clause(parser *p)
{
    static const char *const kws[] = {"PARTITION", "DISTRIBUTE", "ORDER", "SORT",
                                      "CLUSTER",   "ROWS",       "RANGE"};
    for (size_t k = 0; k < sizeof kws / sizeof kws[0]; k++)
        if (is_kw(p, kws[k])) return true;
    return false;
}

ast_window *parse_window_spec(parser *p)
{
    ast_window *w = pa_alloc(p, sizeof *w);
    w->pos = cur(p)->pos;
    w->inline_spec = true;
    expect_op(p, "(");
    if (tok_is_ident(p, cur(p)) && !at_window_clause(p)) w->ref = parse_ident(p);
    if ((is_kw(p, "PARTITION") || is_kw(p, "DISTRIBUTE") || is_kw(p, "CLUSTER")) &&
        tok_is_kw(p, peek(p, 1), "BY")) {
        bool cluster = is_kw(p, "CLUSTER");
        advance(p);
        advance(p);
        w->partition = parse_expr_list(p, &w->npartition);
        if (cluster) goto frame;
    }
    if ((is_kw(p, "ORDER") || is_kw(p, "SORT")) && tok_is_kw(p, peek(p, 1), "BY")) {
        advance(p);
        advance(p);
        w->order = parse_sort_list(p, &w->norder);
    }
frame:
    if (is_kw(p, "ROWS") || is_kw(p, "RANGE")) {
        w->frame = is_kw(p, "ROWS") ? 1 : 2;
        advance(p);
        if (accept_kw(p, "BETWEEN")) {
            w->start = parse_bound(p);
            expect_kw(p, "AND");
            w->end = parse_bound(p);
            w->has_end = true;
        } else {
            w->start = parse_bound(p);
        }
    }
    expect_op(p, ")");
    return w;
}

/* ---- Function calls ------------------------------------------------------ */

static ast_func *new_func(parser *p, const char *name, int pos)
{
    ast_func *f = new_expr(p, sizeof *f, AST_FUNC, pos);
    const char **parts = pa_alloc(p, sizeof(char *));
    parts[0] = name;
    f->name = (ast_name){parts, 1, pos};
    return f;
}

/* FILTER (WHERE ...), IGNORE NULLS, OVER ... after a call's ')'. */
static void func_tail(parser *p, ast_func *f)
{
    if ((is_kw(p, "IGNORE") || is_kw(p, "RESPECT")) && tok_is_kw(p, peek(p, 1), "NULLS")) {
        f->ignore_nulls = is_kw(p, "IGNORE");
        advance(p);
        advance(p);
    }
    if (is_kw(p, "FILTER") && tok_is_op(p, peek(p, 1), "(")) {
        advance(p);
        advance(p);
        expect_kw(p, "WHERE");
        f->filter = parse_expr(p);
        expect_op(p, ")");
    }
    if (accept_kw(p, "OVER")) {
        if (is_op(p, "(")) {
            f->over = parse_window_spec(p);
        } else {
            f->over = pa_alloc(p, sizeof *f->over);
            f->over->pos = cur(p)->pos;
            f->over->ref = parse_ident(p);
        }
    }
    set_len(p, &f->e);
}

ast_func *parse_func_call(parser *p, ast_name name, int pos)
{
    ast_func *f = new_expr(p, sizeof *f, AST_FUNC, pos);
    f->name = name;
    expect_op(p, "(");
    if (is_op(p, "*") && tok_is_op(p, peek(p, 1), ")")) {
        advance(p);
        f->star = true;
    } else if (!is_op(p, ")")) {
        if (accept_kw(p, "DISTINCT")) f->distinct = true;
        else accept_kw(p, "ALL");
        f->args = parse_expr_list(p, &f->nargs);
    }
    expect_op(p, ")");
    func_tail(p, f);
    return f;
}

static ast_expr *string_lit(parser *p, const char *s, int pos, int len)
{
    ast_literal *l = literal(p, LIT_STRING, pos);
    l->text = s;
    l->text_len = (int)strlen(s);
    l->e.len = len;
    return &l->e;
}

static void set_args(parser *p, ast_func *f, ast_expr **args, int n)
{
    f->args = pa_alloc(p, sizeof(ast_expr *) * (size_t)n);
    memcpy(f->args, args, sizeof(ast_expr *) * (size_t)n);
    f->nargs = n;
}

static ast_expr *parse_predicate(parser *p, ast_expr *e);
static ast_expr *parse_bool(parser *p, int min, ast_expr *left);

/* The ordinary call name(first, ...) once its first value expression is
 * parsed (no backtracking: nested calls would parse again and again). */
static ast_expr *call_after_first(parser *p, const token *t, ast_expr *first)
{
    ast_name n = {pa_alloc(p, sizeof(char *)), 1, t->pos};
    n.parts[0] = pa_strndup(p, p->sql + t->pos, (size_t)t->len);
    ast_func *f = new_expr(p, sizeof *f, AST_FUNC, t->pos);
    f->name = n;
    pvec v;
    pv_init(&v, sizeof(ast_expr *));
    pv_push_ptr(p, &v, parse_bool(p, 0, parse_predicate(p, first)));
    while (accept_op(p, ",")) pv_push_ptr(p, &v, parse_expr(p));
    expect_op(p, ")");
    f->args = v.data;
    f->nargs = v.n;
    func_tail(p, f);
    return &f->e;
}

/* EXTRACT(field FROM x), SUBSTRING(x FROM a [FOR b]), POSITION(a IN b),
 * TRIM([BOTH|LEADING|TRAILING] [chars] FROM x), or the ordinary call. */
static ast_expr *special_call(parser *p, const token *t)
{
    int pos = t->pos, save = p->i;
    const token *first = peek(p, 2);
    if (tok_is_op(p, first, ")") || tok_is_kw(p, first, "NOT") || tok_is_op(p, first, "!") ||
        tok_is_kw(p, first, "EXISTS") || tok_is_kw(p, first, "DISTINCT") ||
        tok_is_kw(p, first, "ALL"))
        return NULL;
    advance(p); /* name */
    advance(p); /* ( */
    ast_expr *args[3];
    if (tok_is_kw(p, t, "EXTRACT")) {
        const token *field = cur(p);
        if ((field->type != T_IDENT && field->type != T_QIDENT) ||
            !tok_is_kw(p, peek(p, 1), "FROM"))
            goto ordinary;
        const char *name = parse_name(p).parts[0];
        args[0] = string_lit(p, name, field->pos, field->len);
        expect_kw(p, "FROM");
        args[1] = parse_expr(p);
        expect_op(p, ")");
        ast_func *f = new_func(p, "extract", pos);
        set_args(p, f, args, 2);
        set_len(p, &f->e);
        return &f->e;
    }
    if (tok_is_kw(p, t, "SUBSTRING") || tok_is_kw(p, t, "SUBSTR")) {
        args[0] = parse_value(p, 0);
        if (!accept_kw(p, "FROM")) return call_after_first(p, t, args[0]);
        args[1] = parse_value(p, 0);
        int n = 2;
        if (accept_kw(p, "FOR")) args[n++] = parse_value(p, 0);
        expect_op(p, ")");
        ast_func *f = new_func(p, pa_strndup(p, p->sql + t->pos, (size_t)t->len), pos);
        set_args(p, f, args, n);
        set_len(p, &f->e);
        return &f->e;
    }
    if (tok_is_kw(p, t, "POSITION")) {
        args[0] = parse_value(p, 0);
        if (!accept_kw(p, "IN")) return call_after_first(p, t, args[0]);
        args[1] = parse_value(p, 0);
        expect_op(p, ")");
        ast_func *f = new_func(p, pa_strndup(p, p->sql + t->pos, (size_t)t->len), pos);
        set_args(p, f, args, 2);
        set_len(p, &f->e);
        return &f->e;
    }
    /* TRIM */
    const char *name = "trim";
    bool opt = false;
    if (is_kw(p, "BOTH") || is_kw(p, "LEADING") || is_kw(p, "TRAILING")) {
        name = is_kw(p, "LEADING") ? "ltrim" : is_kw(p, "TRAILING") ? "rtrim" : "trim";
        opt = true;
        advance(p);
    }
    ast_expr *chars = NULL;
    if (!is_kw(p, "FROM")) {
        chars = parse_value(p, 0);
        if (!is_kw(p, "FROM")) {
            if (opt) parse_syntax_error(p, cur(p));
            return call_after_first(p, t, chars);
        }
    }
    expect_kw(p, "FROM");
    args[0] = parse_value(p, 0);
    int n = 1;
    if (chars) args[n++] = chars;
    expect_op(p, ")");
    ast_func *f = new_func(p, name, pos);
    set_args(p, f, args, n);
    set_len(p, &f->e);
    return &f->e;
ordinary:
    p->i = save;
    return NULL;
}

/* ---- Literals ------------------------------------------------------------ */

static ast_expr *number(parser *p, bool neg, int pos)
{
    const token *t = cur(p);
    ast_literal *l = literal(p,
                             t->type == T_INT       ? LIT_INT
                             : t->type == T_DECIMAL ? LIT_DECIMAL
                                                    : LIT_DOUBLE,
                             pos);
    l->suffix = t->suffix;
    if (neg) {
        char *s = pa_alloc(p, (size_t)t->str_len + 2);
        s[0] = '-';
        memcpy(s + 1, t->str, (size_t)t->str_len);
        l->text = s;
        l->text_len = t->str_len + 1;
    } else {
        l->text = t->str;
        l->text_len = t->str_len;
    }
    advance(p);
    set_len(p, &l->e);
    return &l->e;
}

static bool is_number(const token *t)
{
    return t->type == T_INT || t->type == T_DECIMAL || t->type == T_DOUBLE;
}

static const char *const units[] = {
    "YEAR",   "YEARS",   "MONTH",       "MONTHS",       "WEEK",        "WEEKS",
    "DAY",    "DAYS",    "HOUR",        "HOURS",        "MINUTE",      "MINUTES",
    "SECOND", "SECONDS", "MILLISECOND", "MILLISECONDS", "MICROSECOND", "MICROSECONDS",
};

static bool tok_is_unit(parser *p, const token *t)
{
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (tok_is_kw(p, t, units[k])) return true;
    return false;
}

static const char *lower_word(parser *p, const token *t)
{
    char *s = pa_strndup(p, p->sql + t->pos, (size_t)t->len);
    for (char *c = s; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
    return s;
}

/* An interval part's value ahead: [-|+] (string | number), k tokens on. */
static int interval_value_len(parser *p, int k)
{
    const token *t = peek(p, k);
    int n = 0;
    if (tok_is_op(p, t, "-") || tok_is_op(p, t, "+")) {
        t = peek(p, k + 1);
        n = 1;
    }
    if (t->type == T_STRING || is_number(t)) return n + 1;
    return 0;
}

/* After INTERVAL: '1 day', '90' DAY, 3 MONTHS, 1 DAY 2 HOURS, '1 2:03' DAY TO MINUTE. */
static ast_expr *parse_interval(parser *p, int pos)
{
    ast_interval *iv = new_expr(p, sizeof *iv, AST_INTERVAL, pos);
    pvec v;
    pv_init(&v, sizeof(ast_interval_part));
    for (;;) {
        int vn = interval_value_len(p, 0);
        if (!vn || (v.n > 0 && !tok_is_unit(p, peek(p, vn)))) break;
        ast_interval_part *part = pv_push(p, &v);
        bool neg = accept_op(p, "-");
        if (!neg) accept_op(p, "+");
        const token *t = cur(p);
        const char *val = t->type == T_STRING ? t->str : t->str;
        if (neg) {
            char *s = pa_alloc(p, strlen(val) + 2);
            s[0] = '-';
            strcpy(s + 1, val);
            val = s;
        }
        part->value = val;
        part->quoted = t->type == T_STRING;
        advance(p);
        if (tok_is_unit(p, cur(p))) {
            part->unit = lower_word(p, cur(p));
            advance(p);
            if (is_kw(p, "TO") && tok_is_unit(p, peek(p, 1))) {
                advance(p);
                part->to_unit = lower_word(p, cur(p));
                advance(p);
            }
        } else if (!part->quoted) {
            parse_syntax_error(p, cur(p));
        } else {
            break; /* INTERVAL '1 day 2 hours' */
        }
    }
    if (!v.n) parse_syntax_error(p, cur(p));
    iv->parts = v.data;
    iv->n = v.n;
    set_len(p, &iv->e);
    return &iv->e;
}

/* ---- Primary expressions ------------------------------------------------- */

static ast_expr *parse_case(parser *p, int pos)
{
    ast_case *c = new_expr(p, sizeof *c, AST_CASE, pos);
    advance(p);
    if (!is_kw(p, "WHEN")) c->operand = parse_expr(p);
    pvec v;
    pv_init(&v, sizeof(ast_when));
    if (!is_kw(p, "WHEN")) parse_syntax_error(p, cur(p));
    while (accept_kw(p, "WHEN")) {
        ast_when *w = pv_push(p, &v);
        w->cond = parse_expr(p);
        expect_kw(p, "THEN");
        w->result = parse_expr(p);
    }
    c->whens = v.data;
    c->n = v.n;
    if (accept_kw(p, "ELSE")) c->else_ = parse_expr(p);
    expect_kw(p, "END");
    set_len(p, &c->e);
    return &c->e;
}

static ast_expr *parse_lambda(parser *p, int pos)
{
    ast_lambda *l = new_expr(p, sizeof *l, AST_LAMBDA, pos);
    if (is_op(p, "(")) {
        l->params = parse_ident_list(p, &l->nparams);
    } else {
        l->params = pa_alloc(p, sizeof(char *));
        l->params[0] = parse_ident(p);
        l->nparams = 1;
    }
    expect_op(p, "->");
    l->body = parse_expr(p);
    set_len(p, &l->e);
    return &l->e;
}

/* (a, b) -> or (a) -> ahead. */
static bool at_paren_lambda(parser *p)
{
    int k = 1;
    for (;;) {
        if (!tok_is_ident(p, peek(p, k))) return false;
        k++;
        if (tok_is_op(p, peek(p, k), ")")) return tok_is_op(p, peek(p, k + 1), "->");
        if (!tok_is_op(p, peek(p, k), ",")) return false;
        k++;
    }
}

static ast_expr *parse_primary(parser *p)
{
    const token *t = cur(p);
    int pos = t->pos;
    if (is_number(t)) return number(p, false, pos);
    if (t->type == T_STRING || t->type == T_BINARY) {
        ast_literal *l = literal(p, t->type == T_STRING ? LIT_STRING : LIT_BINARY, pos);
        l->text = t->str;
        l->text_len = t->str_len;
        advance(p);
        /* 'adjacent' 'strings' are one literal (Spark's stringLit+). */
        while (t->type == T_STRING && cur(p)->type == T_STRING) {
            const token *k = cur(p);
            char *s = pa_alloc(p, (size_t)l->text_len + (size_t)k->str_len + 1);
            memcpy(s, l->text, (size_t)l->text_len);
            memcpy(s + l->text_len, k->str, (size_t)k->str_len);
            l->text = s;
            l->text_len += k->str_len;
            advance(p);
        }
        set_len(p, &l->e);
        return &l->e;
    }
    if (t->type == T_OP) {
        if (tok_is_op(p, t, "*")) {
            advance(p);
            ast_star *s = new_expr(p, sizeof *s, AST_STAR, pos);
            set_len(p, &s->e);
            return &s->e;
        }
        if (!tok_is_op(p, t, "(")) parse_syntax_error(p, t);
        if (at_query_start(p, 1)) {
            advance(p);
            ast_subquery *s = new_expr(p, sizeof *s, AST_SUBQUERY, pos);
            s->query = parse_query(p);
            expect_op(p, ")");
            set_len(p, &s->e);
            return &s->e;
        }
        if (at_paren_lambda(p)) return parse_lambda(p, pos);
        advance(p);
        ast_expr *e = parse_expr(p);
        if (is_op(p, ",")) { /* (a, b): a row, Spark's struct */
            ast_func *f = new_func(p, "struct", pos);
            pvec v;
            pv_init(&v, sizeof(ast_expr *));
            pv_push_ptr(p, &v, e);
            while (accept_op(p, ",")) pv_push_ptr(p, &v, parse_expr(p));
            expect_op(p, ")");
            f->args = v.data;
            f->nargs = v.n;
            set_len(p, &f->e);
            return &f->e;
        }
        expect_op(p, ")");
        return e;
    }
    if (t->type == T_EOF) parse_syntax_error(p, t);
    const token *next = peek(p, 1);
    bool call = tok_is_op(p, next, "(");
    if (t->type == T_IDENT) {
        if (tok_is_kw(p, t, "NULL")) {
            advance(p);
            ast_literal *l = literal(p, LIT_NULL, pos);
            set_len(p, &l->e);
            return &l->e;
        }
        if (tok_is_kw(p, t, "TRUE") || tok_is_kw(p, t, "FALSE")) {
            ast_literal *l = literal(p, LIT_BOOL, pos);
            l->b = tok_is_kw(p, t, "TRUE");
            advance(p);
            set_len(p, &l->e);
            return &l->e;
        }
        if (tok_is_kw(p, t, "CASE")) return parse_case(p, pos);
        if (tok_is_kw(p, t, "EXISTS") && call) {
            advance(p);
            advance(p);
            ast_subquery *s = new_expr(p, sizeof *s, AST_EXISTS, pos);
            s->query = parse_query(p);
            expect_op(p, ")");
            set_len(p, &s->e);
            return &s->e;
        }
        if ((tok_is_kw(p, t, "CAST") || tok_is_kw(p, t, "TRY_CAST")) && call) {
            ast_cast *c = new_expr(p, sizeof *c, AST_CAST, pos);
            c->try_ = tok_is_kw(p, t, "TRY_CAST");
            advance(p);
            advance(p);
            c->arg = parse_expr(p);
            expect_kw(p, "AS");
            c->type = parse_type(p);
            expect_op(p, ")");
            set_len(p, &c->e);
            return &c->e;
        }
        if (call &&
            (tok_is_kw(p, t, "EXTRACT") || tok_is_kw(p, t, "SUBSTRING") ||
             tok_is_kw(p, t, "SUBSTR") || tok_is_kw(p, t, "POSITION") || tok_is_kw(p, t, "TRIM"))) {
            parse_enter(p);
            ast_expr *e = special_call(p, t);
            parse_leave(p);
            if (e) return e;
        }
        if (next->type == T_STRING) {
            ast_lit_kind k = tok_is_kw(p, t, "DATE")            ? LIT_DATE
                             : tok_is_kw(p, t, "TIMESTAMP")     ? LIT_TIMESTAMP
                             : tok_is_kw(p, t, "TIMESTAMP_NTZ") ? LIT_TIMESTAMP_NTZ
                             : tok_is_kw(p, t, "TIMESTAMP_LTZ") ? LIT_TIMESTAMP_LTZ
                                                                : LIT_NULL;
            if (k != LIT_NULL) {
                ast_literal *l = literal(p, k, pos);
                advance(p);
                l->text = cur(p)->str;
                l->text_len = cur(p)->str_len;
                advance(p);
                set_len(p, &l->e);
                return &l->e;
            }
        }
        if (tok_is_kw(p, t, "INTERVAL") && interval_value_len(p, 1)) {
            advance(p);
            return parse_interval(p, pos);
        }
        if (call && (tok_is_kw(p, t, "LEFT") || tok_is_kw(p, t, "RIGHT"))) {
            ast_name n = {pa_alloc(p, sizeof(char *)), 1, pos};
            n.parts[0] = pa_strndup(p, p->sql + t->pos, (size_t)t->len);
            advance(p);
            return &parse_func_call(p, n, pos)->e;
        }
    }
    if (!tok_is_ident(p, t)) parse_syntax_error(p, t);
    if (tok_is_op(p, next, "->")) return parse_lambda(p, pos);
    /* A name: a column, a qualified column, struct fields, t.*, or db.f(...). */
    pvec v;
    pv_init(&v, sizeof(char *));
    pv_push_ptr(p, &v, (void *)parse_ident(p));
    while (is_op(p, ".")) {
        const token *k = peek(p, 1);
        if (tok_is_op(p, k, "*")) {
            advance(p);
            advance(p);
            ast_star *s = new_expr(p, sizeof *s, AST_STAR, pos);
            s->qual = (ast_name){v.data, v.n, pos};
            set_len(p, &s->e);
            return &s->e;
        }
        if (k->type != T_IDENT && k->type != T_QIDENT) break;
        advance(p);
        if (k->type == T_IDENT) {
            advance(p);
            pv_push_ptr(p, &v, pa_strndup(p, p->sql + k->pos, (size_t)k->len));
        } else {
            pv_push_ptr(p, &v, (void *)parse_ident(p));
        }
    }
    ast_name name = {v.data, v.n, pos};
    if (is_op(p, "(")) return &parse_func_call(p, name, pos)->e;
    ast_column *c = new_expr(p, sizeof *c, AST_COLUMN, pos);
    c->name = name;
    set_len(p, &c->e);
    return &c->e;
}

/* x[i], x.f (after a non-name), x::type. */
static ast_expr *parse_postfix(parser *p)
{
    ast_expr *e = parse_primary(p);
    for (;;) {
        if (accept_op(p, "[")) {
            ast_subscript *s = new_expr(p, sizeof *s, AST_SUBSCRIPT, e->pos);
            s->arg = e;
            expr_child(p, &s->e, e);
            s->index = parse_expr(p);
            expect_op(p, "]");
            set_len(p, &s->e);
            e = &s->e;
        } else if (is_op(p, ".") && (peek(p, 1)->type == T_IDENT || peek(p, 1)->type == T_QIDENT)) {
            advance(p);
            const token *k = cur(p);
            ast_field *f = new_expr(p, sizeof *f, AST_FIELD, e->pos);
            f->arg = e;
            expr_child(p, &f->e, e);
            f->name = k->type == T_QIDENT ? k->str : pa_strndup(p, p->sql + k->pos, (size_t)k->len);
            advance(p);
            set_len(p, &f->e);
            e = &f->e;
        } else if (accept_op(p, "::")) {
            ast_cast *c = new_expr(p, sizeof *c, AST_CAST, e->pos);
            c->arg = e;
            expr_child(p, &c->e, e);
            c->type = parse_type(p);
            set_len(p, &c->e);
            e = &c->e;
        } else {
            return e;
        }
    }
}

static ast_expr *parse_unary(parser *p)
{
    const token *t = cur(p);
    ast_op op;
    if (tok_is_op(p, t, "-")) op = OP_NEG;
    else if (tok_is_op(p, t, "+")) op = OP_POS;
    else if (tok_is_op(p, t, "~")) op = OP_BITNOT;
    else return parse_postfix(p);
    /* -1 is a literal (so -2147483648 is an int), as Spark's number rule. */
    if (op == OP_NEG && is_number(peek(p, 1)) && !tok_is_op(p, peek(p, 2), "::") &&
        !tok_is_op(p, peek(p, 2), "[")) {
        advance(p);
        return number(p, true, t->pos);
    }
    advance(p);
    parse_enter(p);
    ast_expr *arg = parse_unary(p);
    parse_leave(p);
    return unary(p, op, arg, t->pos);
}

/* The binary operator at the current token, with its precedence (1 is the
 * loosest: comparisons). */
static int value_op(parser *p, ast_op *op)
{
    const token *t = cur(p);
    if (t->type == T_IDENT) {
        if (tok_is_kw(p, t, "DIV")) return *op = OP_IDIV, 7;
        return 0;
    }
    if (t->type != T_OP) return 0;
    static const struct {
        const char *s;
        ast_op op;
        int prec;
    } tab[] = {
        {"=", OP_EQ, 1},     {"==", OP_EQ, 1},     {"<>", OP_NE, 1},    {"!=", OP_NE, 1},
        {"<", OP_LT, 1},     {"<=", OP_LE, 1},     {">", OP_GT, 1},     {">=", OP_GE, 1},
        {"<=>", OP_NSEQ, 1}, {"|", OP_BITOR, 2},   {"^", OP_BITXOR, 3}, {"&", OP_BITAND, 4},
        {"<<", OP_SHL, 5},   {">>", OP_SHR, 5},    {">>>", OP_USHR, 5}, {"+", OP_ADD, 6},
        {"-", OP_SUB, 6},    {"||", OP_CONCAT, 6}, {"*", OP_MUL, 7},    {"/", OP_DIV, 7},
        {"%", OP_MOD, 7},
    };
    for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
        if (tok_is_op(p, t, tab[k].s)) return *op = tab[k].op, tab[k].prec;
    return 0;
}

ast_expr *parse_value(parser *p, int min)
{
    ast_expr *l = parse_unary(p);
    for (;;) {
        ast_op op;
        int prec = value_op(p, &op);
        if (!prec || prec < min) return l;
        advance(p);
        ast_expr *r = parse_value(p, prec + 1);
        l = binary(p, op, l, r);
    }
}

/* A predicate after the value expression e, or e. */
static ast_expr *parse_predicate(parser *p, ast_expr *e)
{
    int save = p->i;
    bool neg = accept_kw(p, "NOT");
    if (accept_kw(p, "BETWEEN")) {
        ast_between *b = new_expr(p, sizeof *b, AST_BETWEEN, e->pos);
        b->negated = neg;
        b->arg = e;
        expr_child(p, &b->e, e);
        b->low = parse_value(p, 0);
        expect_kw(p, "AND");
        b->high = parse_value(p, 0);
        set_len(p, &b->e);
        return &b->e;
    }
    if (accept_kw(p, "IN")) {
        ast_in *in = new_expr(p, sizeof *in, AST_IN, e->pos);
        in->negated = neg;
        in->arg = e;
        expr_child(p, &in->e, e);
        if (!is_op(p, "(")) parse_syntax_error(p, cur(p));
        if (at_query_start(p, 1)) {
            advance(p);
            in->query = parse_query(p);
            expect_op(p, ")");
        } else {
            in->list = paren_expr_list(p, &in->n);
            if (!in->n) parse_syntax_error(p, &p->toks[p->i - 1]);
        }
        set_len(p, &in->e);
        return &in->e;
    }
    bool like = is_kw(p, "LIKE"), ilike = is_kw(p, "ILIKE");
    if (like || ilike || is_kw(p, "RLIKE") || is_kw(p, "REGEXP")) {
        advance(p);
        ast_like *l = new_expr(p, sizeof *l, AST_LIKE, e->pos);
        l->op = like ? LIKE_LIKE : ilike ? LIKE_ILIKE : LIKE_RLIKE;
        l->negated = neg;
        l->arg = e;
        expr_child(p, &l->e, e);
        if ((like || ilike) && (is_kw(p, "ANY") || is_kw(p, "SOME") || is_kw(p, "ALL")) &&
            tok_is_op(p, peek(p, 1), "(")) {
            l->quant = is_kw(p, "ALL") ? LIKE_ALL : LIKE_ANY;
            advance(p);
            l->patterns = paren_expr_list(p, &l->n);
            if (!l->n) parse_syntax_error(p, &p->toks[p->i - 1]);
        } else {
            l->patterns = pa_alloc(p, sizeof(ast_expr *));
            l->patterns[0] = parse_value(p, 0);
            l->n = 1;
            if (l->op != LIKE_RLIKE && accept_kw(p, "ESCAPE")) l->escape = parse_string(p);
        }
        set_len(p, &l->e);
        return &l->e;
    }
    if (neg) {
        p->i = save;
        return e;
    }
    if (accept_kw(p, "IS")) {
        ast_is *is = new_expr(p, sizeof *is, AST_IS, e->pos);
        is->negated = accept_kw(p, "NOT");
        is->arg = e;
        expr_child(p, &is->e, e);
        if (accept_kw(p, "NULL")) is->what = IS_NULL;
        else if (accept_kw(p, "TRUE")) is->what = IS_TRUE;
        else if (accept_kw(p, "FALSE")) is->what = IS_FALSE;
        else if (accept_kw(p, "UNKNOWN")) is->what = IS_UNKNOWN;
        else if (accept_kw(p, "DISTINCT")) {
            expect_kw(p, "FROM");
            is->what = IS_DISTINCT_FROM;
            is->other = parse_value(p, 0);
        } else parse_syntax_error(p, cur(p));
        set_len(p, &is->e);
        return &is->e;
    }
    return e;
}

/* NOT x, EXISTS (query), or a predicated value. */
static ast_expr *parse_not(parser *p)
{
    const token *t = cur(p);
    if (tok_is_kw(p, t, "NOT") || tok_is_op(p, t, "!")) {
        advance(p);
        parse_enter(p);
        ast_expr *arg = parse_not(p);
        parse_leave(p);
        return unary(p, OP_NOT, arg, t->pos);
    }
    return parse_predicate(p, parse_value(p, 0));
}

/* OR and AND, from left when the first operand is parsed already. */
static ast_expr *parse_bool(parser *p, int min, ast_expr *left)
{
    ast_expr *l = left ? left : parse_not(p);
    for (;;) {
        int prec;
        ast_op op;
        if (is_kw(p, "OR")) prec = 0, op = OP_OR;
        else if (is_kw(p, "AND")) prec = 1, op = OP_AND;
        else return l;
        if (prec < min) return l;
        advance(p);
        l = binary(p, op, l, parse_bool(p, prec + 1, NULL));
    }
}

ast_expr *parse_expr(parser *p)
{
    parse_enter(p);
    ast_expr *e = parse_bool(p, 0, NULL);
    parse_leave(p);
    return e;
}

/* ---- GROUP BY items ------------------------------------------------------ */

ast_expr *parse_group_item(parser *p)
{
    const token *t = cur(p);
    bool sets = tok_is_kw(p, t, "GROUPING") && tok_is_kw(p, peek(p, 1), "SETS");
    if (!sets &&
        !((tok_is_kw(p, t, "ROLLUP") || tok_is_kw(p, t, "CUBE")) && tok_is_op(p, peek(p, 1), "(")))
        return parse_expr(p);
    ast_grouping *g = new_expr(p, sizeof *g, AST_GROUPING, t->pos);
    g->gkind = sets ? GROUPING_SETS : tok_is_kw(p, t, "ROLLUP") ? GROUPING_ROLLUP : GROUPING_CUBE;
    advance(p);
    if (sets) advance(p);
    expect_op(p, "(");
    pvec v, lens;
    pv_init(&v, sizeof(ast_expr **));
    pv_init(&lens, sizeof(int));
    do {
        ast_expr ***set = pv_push(p, &v);
        int *len = pv_push(p, &lens);
        /* In GROUPING SETS a parenthesised list is a set; (a) is a set of one. */
        if (sets && is_op(p, "(")) {
            *set = paren_expr_list(p, len);
        } else {
            *set = pa_alloc(p, sizeof(ast_expr *));
            (*set)[0] = parse_expr(p);
            *len = 1;
        }
    } while (accept_op(p, ","));
    expect_op(p, ")");
    g->sets = v.data;
    g->set_len = lens.data;
    g->n = v.n;
    set_len(p, &g->e);
    return &g->e;
}
