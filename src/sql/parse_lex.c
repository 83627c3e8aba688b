/*
 * sql/parse_lex.c - the lexer of Spark SQL text and the parser's shared
 * helpers (parse_int.h): tokens, errors, identifiers, names and data types.
 *
 * Spark's lexical rules with its default settings: keywords and unquoted
 * identifiers are case-insensitive words of letters, digits and '_' (a word
 * may start with a digit: 1a is a name); `quoted` identifiers double ``;
 * 'strings' and "strings" take backslash escapes (adjacent ones are
 * concatenated by the expression parser); R'raw' strings do not; numbers take the suffixes L S Y D
 * F BD; -- and nested slash-star comments are skipped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sql/parse_int.h"
#include "sql/sql_error.h"

/* ---- Memory -------------------------------------------------------------- */

void *pa_alloc(parser *p, size_t n)
{
    void *x = kiln_arena_alloc(p->a, n ? n : 1);
    if (!x) longjmp(p->fail, KILN_ENOMEM);
    memset(x, 0, n);
    return x;
}

char *pa_strndup(parser *p, const char *s, size_t n)
{
    char *x = kiln_arena_alloc(p->a, n + 1);
    if (!x) longjmp(p->fail, KILN_ENOMEM);
    memcpy(x, s, n);
    x[n] = 0;
    return x;
}

void pv_init(pvec *v, size_t elem)
{
    v->data = NULL;
    v->n = v->cap = 0;
    v->elem = elem;
}

void *pv_push(parser *p, pvec *v)
{
    if (v->n == v->cap) {
        int cap = v->cap ? v->cap * 2 : 4;
        void *d = pa_alloc(p, (size_t)cap * v->elem);
        if (v->n) memcpy(d, v->data, (size_t)v->n * v->elem);
        v->data = d;
        v->cap = cap;
    }
    void *slot = (char *)v->data + (size_t)v->n++ * v->elem;
    memset(slot, 0, v->elem);
    return slot;
}

void pv_push_ptr(parser *p, pvec *v, void *x)
{
    *(void **)pv_push(p, v) = x;
}

/* ---- Errors -------------------------------------------------------------- */

void parse_error_at(parser *p, int pos, int len, const char *cls, const char *sqlstate,
                    const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int rc = sql_error(KILN_ESQL, p->sql, sql_pos_at(p->sql, (size_t)pos), len, cls, sqlstate, "%s",
                       msg);
    longjmp(p->fail, rc);
}

void parse_syntax_error(parser *p, const token *t)
{
    if (t->type == T_EOF)
        parse_error_at(p, t->pos, 1, "PARSE_SYNTAX_ERROR", "42601",
                       "Syntax error at or near end of input.");
    int n = t->len > 64 ? 64 : t->len;
    parse_error_at(p, t->pos, t->len, "PARSE_SYNTAX_ERROR", "42601",
                   "Syntax error at or near '%.*s'.", n, p->sql + t->pos);
}

static _Noreturn void too_complex(parser *p, int pos, int len)
{
    parse_error_at(p, pos, len, "FAILED_TO_PARSE_TOO_COMPLEX", "54001",
                   "The statement, including potential SQL functions and referenced views, "
                   "was too complex to parse. To mitigate this error divide the statement "
                   "into multiple, less complex chunks.");
}

void expr_child(parser *p, ast_expr *e, const ast_expr *child)
{
    if (child->height >= e->height) e->height = child->height + 1;
    if (e->height > SQL_MAX_HEIGHT) too_complex(p, child->pos, 1);
}

void parse_enter(parser *p)
{
    if (++p->depth > SQL_MAX_DEPTH) too_complex(p, cur(p)->pos, cur(p)->len);
}

/* ---- The lexer ----------------------------------------------------------- */

static bool is_word_char(unsigned char c)
{
    return c == '_' || c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}
static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
static int hexval(unsigned char c)
{
    if (is_digit(c)) return c - '0';
    c |= 32;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void lex_error(parser *p, int pos, int len, const char *what)
{
    parse_error_at(p, pos, len, "PARSE_SYNTAX_ERROR", "42601", "Syntax error at or near %s.", what);
}

/* Appends to the lexer's buffer; out of memory unwinds. */
static void buf_put(parser *p, kiln_buf *b, const void *x, size_t n)
{
    if (kiln_buf_append(b, x, n) != KILN_OK) longjmp(p->fail, KILN_ENOMEM);
}

static void put_utf8(parser *p, kiln_buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;
    if (cp > 0x10FFFF) cp = 0xFFFD;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_put(p, b, u, n);
}

/* Scans the quoted string at s[i] (quote q, raw: no escapes), appending its
 * value to b; returns the offset after the closing quote, or -1. */
static int scan_string(parser *p, const char *s, int i, char q, bool raw, kiln_buf *b)
{
    i++;
    for (;;) {
        unsigned char c = (unsigned char)s[i];
        if (!c) return -1;
        if (c == (unsigned char)q) {
            if (s[i + 1] == q && !raw) { /* 'it''s' */
                buf_put(p, b, &q, 1);
                i += 2;
                continue;
            }
            return i + 1;
        }
        if (c != '\\' || raw) {
            buf_put(p, b, &c, 1);
            i++;
            continue;
        }
        unsigned char e = (unsigned char)s[i + 1];
        if (!e) return -1;
        int nhex = e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (nhex) {
            unsigned cp = 0;
            int k;
            for (k = 0; k < nhex && hexval((unsigned char)s[i + 2 + k]) >= 0; k++)
                cp = cp * 16 + (unsigned)hexval((unsigned char)s[i + 2 + k]);
            if (k == nhex) {
                put_utf8(p, b, cp);
                i += 2 + nhex;
                continue;
            }
        }
        if (e >= '0' && e <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
            s[i + 3] <= '7') {
            char o = (char)((e - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            buf_put(p, b, &o, 1);
            i += 4;
            continue;
        }
        const char *out;
        switch (e) {
        case '0':
            out = "\0";
            break;
        case 'b':
            out = "\b";
            break;
        case 'n':
            out = "\n";
            break;
        case 'r':
            out = "\r";
            break;
        case 't':
            out = "\t";
            break;
        case 'Z':
            out = "\x1a";
            break;
        case '%':
            out = "\\%";
            break;
        case '_':
            out = "\\_";
            break;
        default:
            out = NULL;
        }
        if (e == '0') buf_put(p, b, "", 1);
        else if (out) buf_put(p, b, out, strlen(out));
        else buf_put(p, b, &e, 1);
        i += 2;
    }
}

static token *new_token(parser *p, pvec *v, tok_type t, int pos, int len)
{
    token *k = pv_push(p, v);
    k->type = t;
    k->pos = pos;
    k->len = len;
    return k;
}

/* Skips blanks and comments from i; returns the next offset. */
static int skip_space(parser *p, int i)
{
    const char *s = p->sql;
    for (;;) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            i++;
        } else if (c == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n') i++;
        } else if (c == '/' && s[i + 1] == '*') {
            int start = i, depth = 0;
            do {
                if (!s[i])
                    parse_error_at(p, start, 2, "UNCLOSED_BRACKETED_COMMENT", "42601",
                                   "Found an unclosed bracketed comment. Please, append */ at "
                                   "the end of the comment.");
                if (s[i] == '/' && s[i + 1] == '*') {
                    depth++;
                    i += 2;
                } else if (s[i] == '*' && s[i + 1] == '/') {
                    depth--;
                    i += 2;
                } else {
                    i++;
                }
            } while (depth > 0);
        } else {
            return i;
        }
    }
}

static const char *const ops[] = {"<=>", ">>>", "<=", ">=", "<>", "!=", "==", "<<", ">>", "||",
                                  "::",  "->",  "=>", "(",  ")",  ",",  ".",  ";",  "*",  "/",
                                  "%",   "+",   "-",  "=",  "<",  ">",  "!",  "~",  "&",  "|",
                                  "^",   "[",   "]",  ":",  "{",  "}",  "?"};

/* A number at s[i]: sets the token (or returns false when the word is an
 * identifier such as 1a). */
static bool lex_number(parser *p, pvec *v, int i, int *next)
{
    const char *s = p->sql;
    int j = i;
    bool dot = false, exp = false;
    while (is_digit((unsigned char)s[j])) j++;
    if (s[j] == '.' && (j > i || is_digit((unsigned char)s[j + 1]))) {
        dot = true;
        j++;
        while (is_digit((unsigned char)s[j])) j++;
    }
    if ((s[j] | 32) == 'e') {
        int k = j + 1;
        if (s[k] == '+' || s[k] == '-') k++;
        if (is_digit((unsigned char)s[k])) {
            exp = true;
            j = k;
            while (is_digit((unsigned char)s[j])) j++;
        }
    }
    int numend = j;
    int w = j;
    while (is_word_char((unsigned char)s[w])) w++;
    int slen = w - j;
    char suffix = 0;
    tok_type t = exp ? T_DOUBLE : dot ? T_DECIMAL : T_INT;
    if (slen == 1) {
        char c = (char)(s[j] & ~32);
        if ((c == 'L' || c == 'S' || c == 'Y') && t == T_INT) suffix = c;
        else if (c == 'D' || c == 'F') suffix = c, t = T_DOUBLE;
    } else if (slen == 2 && (s[j] | 32) == 'b' && (s[j + 1] | 32) == 'd' && !exp) {
        suffix = 'B';
        t = T_DECIMAL;
    }
    if (slen && !suffix) {
        if (!dot && !exp && is_word_char((unsigned char)s[i])) return false; /* 1a: a name */
        w = j; /* 1.5x: the number, then x */
    }
    token *k = new_token(p, v, t, i, w - i);
    k->suffix = suffix;
    k->str = pa_strndup(p, s + i, (size_t)(numend - i));
    k->str_len = numend - i;
    *next = w;
    return true;
}

void lex_all(parser *p)
{
    const char *s = p->sql;
    pvec v;
    pv_init(&v, sizeof(token));
    kiln_buf *b = &p->lexbuf; /* released by the entry point, even on error */
    int i = 0;
    for (;;) {
        i = skip_space(p, i);
        unsigned char c = (unsigned char)s[i];
        if (!c) break;
        /* Strings: 'x', "x", R'raw', X'hex'; adjacent strings merge. */
        bool raw = (c | 32) == 'r' && (s[i + 1] == '\'' || s[i + 1] == '"');
        bool hex = (c | 32) == 'x' && s[i + 1] == '\'';
        if (c == '\'' || c == '"' || raw || hex) {
            int start = i;
            int q = i + (raw || hex);
            b->len = 0;
            int end = scan_string(p, s, q, s[q], raw || hex, b);
            if (end < 0) {
                lex_error(p, start, 1, "unterminated string literal");
            }
            if (hex) {
                for (size_t k = 0; k < b->len; k++)
                    if (hexval(b->data[k]) < 0) {
                        parse_error_at(p, start, end - start, "INVALID_SQL_SYNTAX", "42000",
                                       "Invalid SQL syntax: the binary literal %.*s has a "
                                       "character that is not a hexadecimal digit.",
                                       end - start > 64 ? 64 : end - start, s + start);
                    }
                token *k = new_token(p, &v, T_BINARY, start, end - start);
                k->str = pa_strndup(p, b->data ? (const char *)b->data : "", b->len);
                k->str_len = (int)b->len;
                i = end;
                continue;
            }
            token *k = new_token(p, &v, T_STRING, start, end - start);
            k->str = pa_strndup(p, b->data ? (const char *)b->data : "", b->len);
            k->str_len = (int)b->len;
            i = end;
            continue;
        }
        if (c == '`') {
            int start = i++;
            b->len = 0;
            for (;;) {
                if (!s[i]) {
                    lex_error(p, start, 1, "unterminated quoted identifier");
                }
                if (s[i] == '`') {
                    if (s[i + 1] != '`') break;
                    i++;
                }
                buf_put(p, b, s + i, 1);
                i++;
            }
            i++;
            token *k = new_token(p, &v, T_QIDENT, start, i - start);
            k->str = pa_strndup(p, b->data ? (const char *)b->data : "", b->len);
            k->str_len = (int)b->len;
            continue;
        }
        if (is_digit(c) || (c == '.' && is_digit((unsigned char)s[i + 1]))) {
            int next;
            if (lex_number(p, &v, i, &next)) {
                i = next;
                continue;
            }
        }
        if (is_word_char(c)) {
            int start = i;
            while (is_word_char((unsigned char)s[i])) i++;
            new_token(p, &v, T_IDENT, start, i - start);
            continue;
        }
        size_t k;
        for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (strncmp(s + i, ops[k], strlen(ops[k])) == 0) break;
        if (k == sizeof ops / sizeof ops[0]) {
            char what[16];
            snprintf(what, sizeof what, "'%c'", c >= 32 && c < 127 ? c : '?');
            lex_error(p, i, 1, what);
        }
        int n = (int)strlen(ops[k]);
        new_token(p, &v, T_OP, i, n);
        i += n;
    }
    new_token(p, &v, T_EOF, i, 0);
    p->toks = v.data;
    p->ntoks = v.n;
    p->i = 0;
}

/* ---- Tokens -------------------------------------------------------------- */

int prev_end(parser *p)
{
    if (p->i == 0) return 0;
    const token *t = &p->toks[p->i - 1];
    return t->pos + t->len;
}

bool tok_is_kw(parser *p, const token *t, const char *kw)
{
    return t->type == T_IDENT && (size_t)t->len == strlen(kw) &&
           strncasecmp(p->sql + t->pos, kw, (size_t)t->len) == 0;
}

bool tok_is_op(parser *p, const token *t, const char *op)
{
    return t->type == T_OP && (size_t)t->len == strlen(op) &&
           memcmp(p->sql + t->pos, op, (size_t)t->len) == 0;
}

bool is_kw(parser *p, const char *kw)
{
    return tok_is_kw(p, cur(p), kw);
}
bool is_op(parser *p, const char *op)
{
    return tok_is_op(p, cur(p), op);
}

bool accept_kw(parser *p, const char *kw)
{
    if (!is_kw(p, kw)) return false;
    advance(p);
    return true;
}

bool accept_op(parser *p, const char *op)
{
    if (!is_op(p, op)) return false;
    advance(p);
    return true;
}

void expect_kw(parser *p, const char *kw)
{
    if (!accept_kw(p, kw)) parse_syntax_error(p, cur(p));
}

void expect_op(parser *p, const char *op)
{
    if (!accept_op(p, op)) parse_syntax_error(p, cur(p));
}

/* Spark's reserved words in ANSI mode that matter here, and the words that
 * end an expression or a relation (so they are never taken as a bare
 * alias). Everything else, date, year, value, count, key, ..., is a name. */
static const char *const reserved[] = {
    "ALL",     "AND",    "ANTI",   "AS",        "ASC",        "BETWEEN", "BY",      "CASE",
    "CLUSTER", "CROSS",  "DESC",   "DISTINCT",  "DISTRIBUTE", "DIV",     "ELSE",    "END",
    "ESCAPE",  "EXCEPT", "EXISTS", "FALSE",     "FROM",       "FULL",    "GROUP",   "HAVING",
    "ILIKE",   "IN",     "INNER",  "INTERSECT", "IS",         "JOIN",    "LATERAL", "LEFT",
    "LIKE",    "LIMIT",  "MINUS",  "NATURAL",   "NOT",        "NULL",    "OFFSET",  "ON",
    "OR",      "ORDER",  "OUTER",  "QUALIFY",   "REGEXP",     "RIGHT",   "RLIKE",   "SELECT",
    "SEMI",    "SORT",   "THEN",   "TRUE",      "UNION",      "USING",   "VALUES",  "WHEN",
    "WHERE",   "WINDOW", "WITH",
};

bool tok_is_reserved(parser *p, const token *t)
{
    if (t->type != T_IDENT) return false;
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
        if (tok_is_kw(p, t, reserved[k])) return true;
    return false;
}

bool tok_is_ident(parser *p, const token *t)
{
    return t->type == T_QIDENT || (t->type == T_IDENT && !tok_is_reserved(p, t));
}

const char *parse_ident(parser *p)
{
    const token *t = cur(p);
    if (!tok_is_ident(p, t)) parse_syntax_error(p, t);
    advance(p);
    if (t->type == T_QIDENT) return t->str;
    return pa_strndup(p, p->sql + t->pos, (size_t)t->len);
}

ast_name parse_name(parser *p)
{
    ast_name n = {NULL, 0, cur(p)->pos};
    pvec v;
    pv_init(&v, sizeof(char *));
    pv_push_ptr(p, &v, (void *)parse_ident(p));
    while (is_op(p, ".") && peek(p, 1)->type != T_OP) {
        advance(p);
        /* After a dot any word is a name part (t.order is fine). */
        const token *t = cur(p);
        if (t->type == T_IDENT) {
            advance(p);
            pv_push_ptr(p, &v, pa_strndup(p, p->sql + t->pos, (size_t)t->len));
        } else {
            pv_push_ptr(p, &v, (void *)parse_ident(p));
        }
    }
    n.parts = v.data;
    n.n = v.n;
    return n;
}

const char **parse_ident_list(parser *p, int *n)
{
    pvec v;
    pv_init(&v, sizeof(char *));
    expect_op(p, "(");
    do pv_push_ptr(p, &v, (void *)parse_ident(p));
    while (accept_op(p, ","));
    expect_op(p, ")");
    *n = v.n;
    return v.data;
}

const char *parse_string(parser *p)
{
    const token *t = cur(p);
    if (t->type != T_STRING) parse_syntax_error(p, t);
    advance(p);
    return t->str;
}

/* A data type: a name, then <...> (nested, any tokens: struct<a: int>)
 * and/or (...) arguments; INTERVAL DAY TO SECOND. The text is kept. */
ast_type parse_type(parser *p)
{
    const token *t = cur(p);
    ast_type ty = {NULL, t->pos, 0};
    if (t->type != T_IDENT && t->type != T_QIDENT) parse_syntax_error(p, t);
    bool interval = tok_is_kw(p, t, "INTERVAL");
    advance(p);
    if (interval) {
        if (cur(p)->type == T_IDENT && !is_kw(p, "TO")) advance(p);
        if (accept_kw(p, "TO")) {
            if (cur(p)->type != T_IDENT) parse_syntax_error(p, cur(p));
            advance(p);
        }
    }
    if (is_op(p, "<") || is_op(p, "<<")) {
        int depth = 0, parens = 0;
        do {
            const token *k = cur(p);
            if (k->type == T_EOF) parse_syntax_error(p, k);
            if (tok_is_op(p, k, "(")) parens++;
            if (tok_is_op(p, k, ")") && --parens < 0) parse_syntax_error(p, k);
            if (k->type == T_OP) {
                const char *s = p->sql + k->pos;
                if (k->len <= 3 && (s[0] == '<' || s[0] == '>') && strspn(s, "<>") >= 1) {
                    for (int j = 0; j < k->len; j++)
                        depth += s[j] == '<' ? 1 : s[j] == '>' ? -1 : 0;
                    if (depth < 0) parse_syntax_error(p, k);
                } else if (tok_is_op(p, k, ";")) {
                    parse_syntax_error(p, k);
                }
            }
            advance(p);
        } while (depth > 0);
    }
    if (is_op(p, "(")) {
        advance(p);
        int depth = 1;
        while (depth > 0) {
            const token *k = cur(p);
            if (k->type == T_EOF || tok_is_op(p, k, ";")) parse_syntax_error(p, k);
            if (tok_is_op(p, k, "(")) depth++;
            if (tok_is_op(p, k, ")")) depth--;
            advance(p);
        }
    }
    ty.len = prev_end(p) - ty.pos;
    ty.text = pa_strndup(p, p->sql + ty.pos, (size_t)ty.len);
    return ty;
}
