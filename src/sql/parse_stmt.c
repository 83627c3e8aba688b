/*
 * sql/parse_stmt.c - statements (queries, EXPLAIN, CREATE VIEW / TABLE /
 * FUNCTION, INSERT, DROP, DESCRIBE, SHOW, SET, RESET, CACHE, UNCACHE, CLEAR
 * CACHE, USE) and the parser's entry points sql_parse, sql_parse_expr and
 * sql_parse_named_expr (ast.h).
 */
#include <string.h>

#include <stdio.h>

#include "sql/parse_int.h"
#include "sql/sql_error.h"

static void *new_stmt(parser *p, size_t size, ast_kind k, int pos)
{
    ast_stmt *s = pa_alloc(p, size);
    s->kind = k;
    s->pos = pos;
    return s;
}

/* OPTIONS (k 'v', "k" = 'v', a.b 1, ...). */
static ast_option *parse_options(parser *p, int *n)
{
    pvec v;
    pv_init(&v, sizeof(ast_option));
    expect_op(p, "(");
    do {
        ast_option *o = pv_push(p, &v);
        if (cur(p)->type == T_STRING) {
            o->key = parse_string(p);
        } else {
            ast_name k = parse_name(p);
            size_t len = 0;
            for (int i = 0; i < k.n; i++) len += strlen(k.parts[i]) + 1;
            char *s = pa_alloc(p, len);
            for (int i = 0; i < k.n; i++) {
                if (i) strcat(s, ".");
                strcat(s, k.parts[i]);
            }
            o->key = s;
        }
        accept_op(p, "=");
        const token *t = cur(p);
        if (t->type == T_STRING) {
            o->value = t->str;
        } else if (t->type == T_INT || t->type == T_DECIMAL || t->type == T_DOUBLE ||
                   tok_is_kw(p, t, "TRUE") || tok_is_kw(p, t, "FALSE")) {
            o->value = pa_strndup(p, p->sql + t->pos, (size_t)t->len);
        } else {
            parse_syntax_error(p, t);
        }
        advance(p);
    } while (accept_op(p, ","));
    expect_op(p, ")");
    *n = v.n;
    return v.data;
}

static ast_stmt *parse_query_stmt(parser *p)
{
    ast_stmt_query *q = new_stmt(p, sizeof *q, AST_STMT_QUERY, cur(p)->pos);
    q->query = parse_query(p);
    return &q->s;
}

static bool accept_if_not_exists(parser *p)
{
    if (!is_kw(p, "IF")) return false;
    advance(p);
    expect_kw(p, "NOT");
    expect_kw(p, "EXISTS");
    return true;
}

static bool accept_if_exists(parser *p)
{
    if (!is_kw(p, "IF")) return false;
    advance(p);
    expect_kw(p, "EXISTS");
    return true;
}

/* The clauses of CREATE TABLE and of CREATE TEMPORARY VIEW ... USING, in
 * any order. */
static void parse_table_clauses(parser *p, ast_stmt_create_table *c)
{
    for (;;) {
        if (accept_kw(p, "USING")) {
            c->using = parse_ident(p);
        } else if (accept_kw(p, "OPTIONS")) {
            c->options = parse_options(p, &c->noptions);
        } else if (is_kw(p, "PARTITIONED") && tok_is_kw(p, peek(p, 1), "BY")) {
            advance(p);
            advance(p);
            c->partitioned_by = parse_ident_list(p, &c->npartitioned_by);
        } else if (accept_kw(p, "LOCATION")) {
            c->location = parse_string(p);
        } else if (accept_kw(p, "COMMENT")) {
            c->comment = parse_string(p);
        } else {
            return;
        }
    }
}

/* After CREATE [OR REPLACE] [GLOBAL] [TEMPORARY] VIEW|TABLE. */
static ast_stmt *parse_create_table_or_view(parser *p, int pos, bool view, bool or_replace,
                                            bool global, bool temporary, bool external)
{
    bool if_not_exists = accept_if_not_exists(p);
    ast_name name = parse_name(p);
    pvec cols;
    pv_init(&cols, sizeof(ast_col_def));
    bool typed = false, untyped = false;
    if (is_op(p, "(") && !at_query_start(p, 1)) {
        advance(p);
        do {
            ast_col_def *c = pv_push(p, &cols);
            c->pos = cur(p)->pos;
            c->name = parse_ident(p);
            if (!is_op(p, ",") && !is_op(p, ")") && !is_kw(p, "COMMENT")) {
                c->type = parse_type(p);
                typed = true;
                if (accept_kw(p, "NOT")) {
                    expect_kw(p, "NULL");
                    c->not_null = true;
                }
            } else {
                untyped = true;
            }
            if (accept_kw(p, "COMMENT")) c->comment = parse_string(p);
        } while (accept_op(p, ","));
        expect_op(p, ")");
    }
    if (view && !is_kw(p, "USING")) {
        /* CREATE VIEW v (a COMMENT 'x', b) [COMMENT 'c'] AS query */
        if (typed) parse_syntax_error(p, cur(p));
        ast_stmt_create_view *v = new_stmt(p, sizeof *v, AST_STMT_CREATE_VIEW, pos);
        v->or_replace = or_replace;
        v->global = global;
        v->temporary = temporary;
        v->if_not_exists = if_not_exists;
        v->name = name;
        v->ncols = cols.n;
        v->cols = pa_alloc(p, sizeof(ast_view_col) * (size_t)cols.n);
        for (int i = 0; i < cols.n; i++) {
            v->cols[i].name = ((ast_col_def *)cols.data)[i].name;
            v->cols[i].comment = ((ast_col_def *)cols.data)[i].comment;
        }
        if (accept_kw(p, "COMMENT")) v->comment = parse_string(p);
        expect_kw(p, "AS");
        v->query = parse_query(p);
        return &v->s;
    }
    if (untyped) parse_syntax_error(p, cur(p));
    ast_stmt_create_table *c = new_stmt(p, sizeof *c, AST_STMT_CREATE_TABLE, pos);
    c->is_view = view;
    c->or_replace = or_replace;
    c->global = global;
    c->temporary = temporary;
    c->external = external;
    c->if_not_exists = if_not_exists;
    c->name = name;
    c->cols = cols.data;
    c->ncols = cols.n;
    parse_table_clauses(p, c);
    if (accept_kw(p, "AS") || at_query_start(p, 0) || is_op(p, "(")) c->query = parse_query(p);
    return &c->s;
}

static ast_stmt *parse_create(parser *p, int pos)
{
    bool or_replace = false, global = false, temporary = false, external = false;
    if (accept_kw(p, "OR")) {
        expect_kw(p, "REPLACE");
        or_replace = true;
    }
    global = accept_kw(p, "GLOBAL");
    temporary = accept_kw(p, "TEMPORARY") || accept_kw(p, "TEMP");
    if (global && !temporary) parse_syntax_error(p, cur(p));
    external = accept_kw(p, "EXTERNAL");
    if (accept_kw(p, "VIEW"))
        return parse_create_table_or_view(p, pos, true, or_replace, global, temporary, false);
    if (!temporary && accept_kw(p, "TABLE"))
        return parse_create_table_or_view(p, pos, false, or_replace, false, false, external);
    if (!global && !external && accept_kw(p, "FUNCTION")) {
        ast_stmt_create_function *f = new_stmt(p, sizeof *f, AST_STMT_CREATE_FUNCTION, pos);
        f->or_replace = or_replace;
        f->temporary = temporary;
        f->if_not_exists = accept_if_not_exists(p);
        f->name = parse_name(p);
        expect_kw(p, "AS");
        f->class_name = parse_string(p);
        if (accept_kw(p, "USING")) {
            pvec v;
            pv_init(&v, sizeof(ast_option));
            do {
                ast_option *o = pv_push(p, &v);
                const token *t = cur(p);
                if (!tok_is_kw(p, t, "JAR") && !tok_is_kw(p, t, "FILE") &&
                    !tok_is_kw(p, t, "ARCHIVE"))
                    parse_syntax_error(p, t);
                o->key = pa_strndup(p, p->sql + t->pos, (size_t)t->len);
                for (char *c = (char *)o->key; *c; c++)
                    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c + 32);
                advance(p);
                o->value = parse_string(p);
            } while (accept_op(p, ","));
            f->resources = v.data;
            f->nresources = v.n;
        }
        return &f->s;
    }
    parse_syntax_error(p, cur(p));
}

static ast_stmt *parse_insert(parser *p, int pos)
{
    ast_stmt_insert *s = new_stmt(p, sizeof *s, AST_STMT_INSERT, pos);
    if (accept_kw(p, "OVERWRITE")) s->overwrite = true;
    else expect_kw(p, "INTO");
    accept_kw(p, "TABLE");
    s->table = parse_name(p);
    if (accept_kw(p, "PARTITION")) {
        /* (k = 'v', k2 = 1, k3): static values as text, NULL for dynamic. */
        pvec names, values, nulls;
        pv_init(&names, sizeof(const char *));
        pv_init(&values, sizeof(const char *));
        pv_init(&nulls, sizeof(bool));
        expect_op(p, "(");
        do {
            *(const char **)pv_push(p, &names) = parse_ident(p);
            const char *v = NULL;
            bool null = false;
            if (accept_op(p, "=")) {
                const token *t = cur(p);
                if (t->type == T_STRING) {
                    v = parse_string(p);
                } else if (tok_is_kw(p, t, "NULL")) {
                    advance(p);
                    null = true;
                    v = "";
                } else {
                    bool neg = accept_op(p, "-");
                    t = cur(p);
                    if (t->type != T_INT && t->type != T_DECIMAL && t->type != T_DOUBLE &&
                        !tok_is_kw(p, t, "TRUE") && !tok_is_kw(p, t, "FALSE"))
                        parse_syntax_error(p, t);
                    char *text = pa_alloc(p, (size_t)t->len + 2);
                    snprintf(text, (size_t)t->len + 2, "%s%.*s", neg ? "-" : "", t->len,
                             p->sql + t->pos);
                    v = text;
                    advance(p);
                }
            }
            *(const char **)pv_push(p, &values) = v;
            *(bool *)pv_push(p, &nulls) = null;
        } while (accept_op(p, ","));
        expect_op(p, ")");
        s->part_names = names.data;
        s->part_values = values.data;
        s->part_null = nulls.data;
        s->npart = names.n;
    }
    if (is_op(p, "(") && !at_query_start(p, 1)) s->cols = parse_ident_list(p, &s->ncols);
    s->query = parse_query(p);
    return &s->s;
}

static ast_stmt *parse_drop(parser *p, int pos)
{
    ast_stmt_drop *d = new_stmt(p, sizeof *d, AST_STMT_DROP, pos);
    d->temporary = accept_kw(p, "TEMPORARY");
    if (accept_kw(p, "FUNCTION")) d->what = OBJ_FUNCTION;
    else if (!d->temporary && accept_kw(p, "TABLE")) d->what = OBJ_TABLE;
    else if (!d->temporary && accept_kw(p, "VIEW")) d->what = OBJ_VIEW;
    else if (!d->temporary && (accept_kw(p, "DATABASE") || accept_kw(p, "SCHEMA")))
        d->what = OBJ_DATABASE;
    else parse_syntax_error(p, cur(p));
    d->if_exists = accept_if_exists(p);
    d->name = parse_name(p);
    return &d->s;
}

static ast_stmt *parse_describe(parser *p, int pos)
{
    ast_stmt_describe *d = new_stmt(p, sizeof *d, AST_STMT_DESCRIBE, pos);
    if (is_kw(p, "QUERY") || at_query_start(p, 0)) {
        accept_kw(p, "QUERY");
        d->what = OBJ_QUERY;
        d->query = parse_query(p);
        return &d->s;
    }
    if (is_kw(p, "FUNCTION") && !tok_is_op(p, peek(p, 1), ".") && peek(p, 1)->type != T_EOF) {
        advance(p);
        d->what = OBJ_FUNCTION;
        d->extended = accept_kw(p, "EXTENDED");
        d->name = parse_name(p);
        return &d->s;
    }
    d->what = OBJ_TABLE;
    if (is_kw(p, "TABLE") && peek(p, 1)->type != T_EOF && !tok_is_op(p, peek(p, 1), "."))
        advance(p);
    if ((is_kw(p, "EXTENDED") || is_kw(p, "FORMATTED")) && tok_is_ident(p, peek(p, 1))) {
        advance(p);
        d->extended = true;
    }
    d->name = parse_name(p);
    return &d->s;
}

static ast_stmt *parse_show(parser *p, int pos)
{
    ast_stmt_show *s = new_stmt(p, sizeof *s, AST_STMT_SHOW, pos);
    if (accept_kw(p, "TABLES")) s->what = SHOW_TABLES;
    else if (accept_kw(p, "VIEWS")) s->what = SHOW_VIEWS;
    else if (accept_kw(p, "FUNCTIONS")) s->what = SHOW_FUNCTIONS;
    else if (accept_kw(p, "DATABASES") || accept_kw(p, "SCHEMAS")) s->what = SHOW_DATABASES;
    else if (accept_kw(p, "COLUMNS")) {
        s->what = SHOW_COLUMNS;
        if (!accept_kw(p, "IN")) expect_kw(p, "FROM");
        s->table = parse_name(p);
    } else parse_syntax_error(p, cur(p));
    if (s->what != SHOW_DATABASES && s->what != SHOW_FUNCTIONS &&
        (accept_kw(p, "IN") || accept_kw(p, "FROM")))
        s->db = parse_name(p);
    if (s->what != SHOW_COLUMNS) {
        bool like = accept_kw(p, "LIKE");
        if (like || cur(p)->type == T_STRING) s->like = parse_string(p);
    }
    return &s->s;
}

/* The raw text from the current token to the statement's end, trimmed;
 * moves past it. */
static const char *raw_rest(parser *p, int *start_out)
{
    int start = cur(p)->pos, end = start;
    while (cur(p)->type != T_EOF && !is_op(p, ";")) {
        end = cur(p)->pos + cur(p)->len;
        advance(p);
    }
    *start_out = start;
    return pa_strndup(p, p->sql + start, (size_t)(end - start));
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static ast_stmt *parse_set(parser *p, int pos, bool reset)
{
    ast_stmt_set *s = new_stmt(p, sizeof *s, reset ? AST_STMT_RESET : AST_STMT_SET, pos);
    int start;
    char *raw = (char *)raw_rest(p, &start);
    if (!*raw) return &s->s;
    char *eq = reset ? NULL : strchr(raw, '=');
    if (eq) {
        *eq = 0;
        s->value = trim(eq + 1);
        if (!*trim(raw))
            parse_error_at(p, start, 1, "INVALID_SET_SYNTAX", "42000",
                           "Expected format is 'SET', 'SET key', or 'SET key=value'. "
                           "If you want to include special characters in key, or "
                           "include semicolon in value, please use backquotes, e.g., "
                           "SET `key`=`value`.");
    }
    s->key = trim(raw);
    return &s->s;
}

static ast_stmt *parse_cache(parser *p, int pos, bool uncache)
{
    ast_stmt_cache *c = new_stmt(p, sizeof *c, uncache ? AST_STMT_UNCACHE : AST_STMT_CACHE, pos);
    if (!uncache) c->lazy = accept_kw(p, "LAZY");
    expect_kw(p, "TABLE");
    if (uncache) c->if_exists = accept_if_exists(p);
    c->name = parse_name(p);
    if (uncache) return &c->s;
    if (accept_kw(p, "OPTIONS")) c->options = parse_options(p, &c->noptions);
    if (accept_kw(p, "AS") || at_query_start(p, 0) || is_op(p, "(")) c->query = parse_query(p);
    return &c->s;
}

ast_stmt *parse_statement(parser *p)
{
    const token *t = cur(p);
    int pos = t->pos;
    ast_stmt *s;
    if (tok_is_kw(p, t, "EXPLAIN")) {
        advance(p);
        ast_stmt_explain *e = new_stmt(p, sizeof *e, AST_STMT_EXPLAIN, pos);
        static const char *const modes[] = {"EXTENDED", "FORMATTED", "LOGICAL", "CODEGEN", "COST"};
        for (size_t k = 0; k < sizeof modes / sizeof modes[0]; k++)
            if (is_kw(p, modes[k])) {
                e->mode = pa_strndup(p, modes[k], strlen(modes[k]));
                for (char *c = (char *)e->mode; *c; c++) *c = (char)(*c + 32);
                advance(p);
                break;
            }
        parse_enter(p);
        e->stmt = parse_statement(p);
        parse_leave(p);
        s = &e->s;
    } else if (tok_is_kw(p, t, "CREATE")) {
        advance(p);
        s = parse_create(p, pos);
    } else if (tok_is_kw(p, t, "INSERT")) {
        advance(p);
        s = parse_insert(p, pos);
    } else if (tok_is_kw(p, t, "DROP")) {
        advance(p);
        s = parse_drop(p, pos);
    } else if (tok_is_kw(p, t, "DESCRIBE") || tok_is_kw(p, t, "DESC")) {
        advance(p);
        s = parse_describe(p, pos);
    } else if (tok_is_kw(p, t, "SHOW")) {
        advance(p);
        s = parse_show(p, pos);
    } else if (tok_is_kw(p, t, "SET")) {
        advance(p);
        s = parse_set(p, pos, false);
    } else if (tok_is_kw(p, t, "RESET")) {
        advance(p);
        s = parse_set(p, pos, true);
    } else if (tok_is_kw(p, t, "CACHE")) {
        advance(p);
        s = parse_cache(p, pos, false);
    } else if (tok_is_kw(p, t, "CLEAR")) {
        advance(p);
        expect_kw(p, "CACHE");
        s = new_stmt(p, sizeof *s, AST_STMT_CLEAR_CACHE, pos);
    } else if (tok_is_kw(p, t, "REFRESH") && tok_is_kw(p, peek(p, 1), "TABLE")) {
        advance(p);
        advance(p);
        ast_stmt_cache *c = new_stmt(p, sizeof *c, AST_STMT_REFRESH, pos);
        c->name = parse_name(p);
        s = &c->s;
    } else if (tok_is_kw(p, t, "UNCACHE")) {
        advance(p);
        s = parse_cache(p, pos, true);
    } else if (tok_is_kw(p, t, "USE")) {
        advance(p);
        ast_stmt_use *u = new_stmt(p, sizeof *u, AST_STMT_USE, pos);
        if (tok_is_ident(p, peek(p, 1)) && !accept_kw(p, "DATABASE")) accept_kw(p, "NAMESPACE");
        u->name = parse_name(p);
        s = &u->s;
    } else if (at_query_start(p, 0) || tok_is_op(p, t, "(") || tok_is_kw(p, t, "TABLE")) {
        s = parse_query_stmt(p);
    } else {
        parse_syntax_error(p, t);
    }
    s->len = prev_end(p) - s->pos;
    return s;
}

/* ---- Entry points -------------------------------------------------------- */

static parser *parser_new(kiln_arena *a, const char *sql)
{
    parser *p = kiln_arena_alloc(a, sizeof *p);
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->a = a;
    p->sql = sql;
    p->sql_len = (int)strlen(sql);
    kiln_buf_init(&p->lexbuf);
    return p;
}

static int parse_failed(parser *p, int rc)
{
    kiln_buf_release(&p->lexbuf);
    if (rc == KILN_ENOMEM) kiln_set_error(KILN_ENOMEM, "out of memory parsing SQL");
    return rc;
}

int sql_parse(kiln_arena *a, const char *sql, ast_stmt ***out, int *n)
{
    *out = NULL;
    *n = 0;
    if (strlen(sql) > 0x3fffffff)
        return sql_error(KILN_ESQL, NULL, SQL_NO_POS, 0, "PARSE_SYNTAX_ERROR", "42601",
                         "The SQL text is too long.");
    parser *p = parser_new(a, sql);
    if (!p) return kiln_set_error(KILN_ENOMEM, "out of memory parsing SQL");
    int rc = setjmp(p->fail);
    if (rc) return parse_failed(p, rc);
    lex_all(p);
    kiln_buf_release(&p->lexbuf);
    pvec v;
    pv_init(&v, sizeof(ast_stmt *));
    for (;;) {
        while (accept_op(p, ";")) {
        }
        if (cur(p)->type == T_EOF) break;
        pv_push_ptr(p, &v, parse_statement(p));
        if (cur(p)->type != T_EOF && !is_op(p, ";")) parse_syntax_error(p, cur(p));
    }
    if (!v.n)
        return sql_error(KILN_ESQL, sql, sql_pos_at(sql, 0), 1, "PARSE_EMPTY_STATEMENT", "42617",
                         "Syntax error, unexpected empty statement.");
    *out = v.data;
    *n = v.n;
    return KILN_OK;
}

int sql_parse_expr(kiln_arena *a, const char *text, ast_expr **out)
{
    return sql_parse_named_expr(a, text, out, NULL);
}

int sql_parse_named_expr(kiln_arena *a, const char *text, ast_expr **out, const char **alias)
{
    *out = NULL;
    if (alias) *alias = NULL;
    if (strlen(text) > 0x3fffffff)
        return sql_error(KILN_ESQL, NULL, SQL_NO_POS, 0, "PARSE_SYNTAX_ERROR", "42601",
                         "The SQL text is too long.");
    parser *p = parser_new(a, text);
    if (!p) return kiln_set_error(KILN_ENOMEM, "out of memory parsing SQL");
    int rc = setjmp(p->fail);
    if (rc) return parse_failed(p, rc);
    lex_all(p);
    kiln_buf_release(&p->lexbuf);
    ast_expr *e = parse_expr(p);
    const char *name = NULL;
    if (alias && (accept_kw(p, "AS") || tok_is_ident(p, cur(p)))) name = parse_ident(p);
    if (cur(p)->type != T_EOF) parse_syntax_error(p, cur(p));
    *out = e;
    if (alias) *alias = name;
    return KILN_OK;
}
