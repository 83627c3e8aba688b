/*
 * sql/parse_int.h - the parser's private state, shared by parse_lex.c (the
 * lexer), parse_expr.c, parse_query.c and parse_stmt.c. The whole text is
 * lexed first into an array of tokens (any lookahead is an index); the
 * parser descends recursively over it, allocating nodes in the caller's
 * arena. The first error is reported with sql_error() and unwinds to the
 * entry point with longjmp (PostgreSQL's ereport): nothing needs freeing,
 * the arena owns every byte.
 */
#ifndef KILN_SQL_PARSE_INT_H
#define KILN_SQL_PARSE_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>

#include "sql/ast.h"

#pragma GCC visibility push(hidden)

typedef enum tok_type {
    T_EOF,
    T_IDENT,   /* an unquoted word (keywords too) */
    T_QIDENT,  /* `quoted identifier`: str is unescaped */
    T_STRING,  /* 'x' or "x": str is unescaped */
    T_INT,     /* str: digits; suffix L, S, Y or 0 */
    T_DECIMAL, /* str: 1.5; suffix B (BD) or 0 */
    T_DOUBLE,  /* str: 1e3 / 1.5; suffix D, F or 0 */
    T_BINARY,  /* X'0AFF': str is the hex digits */
    T_OP,      /* punctuation: the text at pos */
} tok_type;

typedef struct token {
    tok_type type;
    int pos;
    int len;
    char suffix;
    const char *str;
    int str_len;
} token;

typedef struct parser {
    kiln_arena *a;
    const char *sql;
    int sql_len;
    token *toks; /* ends with a T_EOF token */
    int ntoks;
    int i;           /* the current token */
    int depth;       /* nesting of expressions, relations and queries */
    jmp_buf fail;    /* longjmp(fail, code) on the first error */
    kiln_buf lexbuf; /* the lexer's scratch (string values) */
} parser;

/* Lexing (parse_lex.c). */
void lex_all(parser *p);

/* Allocation; out of memory unwinds with KILN_ENOMEM. */
void *pa_alloc(parser *p, size_t n);
char *pa_strndup(parser *p, const char *s, size_t n);
/* A growable array of pointers or structs in the arena (old copies are
 * left in the arena: the arena frees them together). */
typedef struct pvec {
    void *data;
    int n, cap;
    size_t elem;
} pvec;
void pv_init(pvec *v, size_t elem);
void *pv_push(parser *p, pvec *v); /* returns the new, zeroed slot */
void pv_push_ptr(parser *p, pvec *v, void *x);

/* Errors: report and unwind. */
_Noreturn void parse_syntax_error(parser *p, const token *t);
_Noreturn void parse_error_at(parser *p, int pos, int len, const char *cls, const char *sqlstate,
                              const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void parse_enter(parser *p); /* depth++, FAILED_TO_PARSE_TOO_COMPLEX past SQL_MAX_DEPTH */
/* Records child as an operand of e for e's height (SQL_MAX_HEIGHT). */
void expr_child(parser *p, ast_expr *e, const ast_expr *child);
static inline void parse_leave(parser *p)
{
    p->depth--;
}

/* Tokens. */
static inline const token *cur(parser *p)
{
    return &p->toks[p->i];
}
static inline const token *peek(parser *p, int k)
{
    int j = p->i + k;
    return &p->toks[j < p->ntoks ? j : p->ntoks - 1];
}
static inline void advance(parser *p)
{
    if (p->i < p->ntoks - 1) p->i++;
}
/* The end offset of the last consumed token. */
int prev_end(parser *p);
bool tok_is_kw(parser *p, const token *t, const char *kw);
bool tok_is_op(parser *p, const token *t, const char *op);
bool is_kw(parser *p, const char *kw); /* the current token */
bool is_op(parser *p, const char *op);
bool accept_kw(parser *p, const char *kw);
bool accept_op(parser *p, const char *op);
void expect_kw(parser *p, const char *kw);
void expect_op(parser *p, const char *op);
/* Words that cannot be column names or bare aliases. */
bool tok_is_reserved(parser *p, const token *t);
/* An identifier token (unquoted non-reserved word or backquoted). */
bool tok_is_ident(parser *p, const token *t);
const char *parse_ident(parser *p);               /* returns the name in the arena */
ast_name parse_name(parser *p);                   /* a.b.c */
const char **parse_ident_list(parser *p, int *n); /* (a, b, c) */
const char *parse_string(parser *p);              /* a string literal's value */
ast_type parse_type(parser *p);

/* Expressions (parse_expr.c). */
ast_expr *parse_expr(parser *p);
ast_expr **parse_expr_list(parser *p, int *n); /* e, e, ... (no parentheses) */
ast_sort_item *parse_sort_list(parser *p, int *n);
ast_expr *parse_group_item(parser *p);     /* an expression, ROLLUP, CUBE, GROUPING SETS */
ast_expr *parse_value(parser *p, int min); /* a value expression (no AND/OR/NOT/predicate) */
ast_window *parse_window_spec(parser *p);  /* after '(' ... ')' included */
ast_func *parse_func_call(parser *p, ast_name name, int pos); /* at '(' */
void set_len(parser *p, ast_expr *e);

/* Queries (parse_query.c). */
ast_query *parse_query(parser *p);
bool at_query_start(parser *p, int k); /* token k ahead starts a query */
ast_values *parse_values(parser *p);   /* after VALUES */

/* Statements (parse_stmt.c). */
ast_stmt *parse_statement(parser *p);

#pragma GCC visibility pop
#endif
