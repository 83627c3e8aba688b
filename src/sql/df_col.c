/*
 * sql/df_col.c - DataFrame columns (include/kiln/sql.h): a column is its
 * SQL text, built as the calls nest, so the analyser resolves DataFrame
 * expressions and SQL alike, and errors quote the expression as a user
 * would write it. Columns live in their session's arena.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln/sql.h"
#include "sql/df_int.h"

static kiln_col *make(kiln_session *s, const char *text)
{
    if (!s || !text) return NULL;
    kiln_col *c = kiln_arena_alloc(s->a, sizeof *c);
    size_t n = strlen(text);
    char *t = kiln_arena_alloc(s->a, n + 1);
    if (!c || !t) {
        kiln_set_error(KILN_ENOMEM, "out of memory making a column");
        return NULL;
    }
    memcpy(t, text, n + 1);
    memset(c, 0, sizeof *c);
    c->s = s;
    c->text = t;
    return c;
}

/* A column of printf-formatted text in s. */
kiln_col *df_colf(kiln_session *s, const char *fmt, ...)
{
    char *t = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&t, fmt, ap);
    va_end(ap);
    if (n < 0) {
        kiln_set_error(KILN_ENOMEM, "out of memory making a column");
        return NULL;
    }
    kiln_col *c = make(s, t);
    free(t);
    return c;
}

/* name quoted as an identifier: `a``b`; "t.a" stays qualified. */
static int quote_name(kiln_buf *b, const char *name)
{
    int rc = KILN_OK;
    const char *p = name;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        rc |= kiln_buf_append(b, "`", 1);
        for (size_t i = 0; i < n; i++) {
            rc |= kiln_buf_append(b, &p[i], 1);
            if (p[i] == '`') rc |= kiln_buf_append(b, "`", 1);
        }
        rc |= kiln_buf_append(b, "`", 1);
        if (!dot) break;
        rc |= kiln_buf_append(b, ".", 1);
        p = dot + 1;
    }
    return rc ? KILN_ENOMEM : KILN_OK;
}

/* A SQL string literal of v. */
static char *quote_str(const char *v)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_append(&b, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '\'' || *p == '\\') kiln_buf_append(&b, "\\", 1);
        kiln_buf_append(&b, p, 1);
    }
    kiln_buf_append(&b, "'", 2);
    return (char *)b.data;
}

KILN_API kiln_col *kiln_fn_col(kiln_session *s, const char *name)
{
    if (!s || !name) return NULL;
    if (strcmp(name, "*") == 0) return make(s, "*");
    kiln_buf b;
    kiln_buf_init(&b);
    quote_name(&b, name);
    size_t n = strlen(name);
    if (n >= 2 && strcmp(name + n - 2, ".*") == 0) {
        /* t.* */
        b.len = 0;
        kiln_buf_append(&b, name, n);
    }
    kiln_buf_append(&b, "", 1);
    kiln_col *c = make(s, (char *)b.data);
    kiln_buf_release(&b);
    if (c) c->name = c->text;
    return c;
}

KILN_API kiln_col *kiln_expr(kiln_session *s, const char *sql)
{
    return make(s, sql);
}

KILN_API kiln_col *kiln_lit_int(kiln_session *s, int64_t v)
{
    if (v == INT64_MIN) return df_colf(s, "(-9223372036854775807L - 1L)");
    return df_colf(s, v > INT32_MAX || v < INT32_MIN ? "%lldL" : "%lld", (long long)v);
}

KILN_API kiln_col *kiln_lit_double(kiln_session *s, double v)
{
    if (v != v) return make(s, "CAST('NaN' AS DOUBLE)");
    if (v > 1.7976931348623157e308) return make(s, "CAST('Infinity' AS DOUBLE)");
    if (v < -1.7976931348623157e308) return make(s, "CAST('-Infinity' AS DOUBLE)");
    return df_colf(s, "%.17gD", v);
}

KILN_API kiln_col *kiln_lit_str(kiln_session *s, const char *v)
{
    if (!v) return NULL;
    char *q = quote_str(v);
    kiln_col *c = make(s, q);
    free(q);
    return c;
}

KILN_API kiln_col *kiln_lit_bool(kiln_session *s, bool v)
{
    return make(s, v ? "true" : "false");
}

KILN_API kiln_col *kiln_lit_null(kiln_session *s)
{
    return make(s, "NULL");
}

KILN_API kiln_col *kiln_col_alias(kiln_col *c, const char *name)
{
    if (!c || !name) return NULL;
    kiln_col *a = make(c->s, c->text);
    char *n = a ? kiln_arena_alloc(c->s->a, strlen(name) + 1) : NULL;
    if (!n) return NULL;
    strcpy(n, name);
    a->alias = n;
    a->order = c->order;
    return a;
}

KILN_API kiln_col *kiln_col_cast(kiln_col *c, const char *type)
{
    if (!c || !type) return NULL;
    return df_colf(c->s, "CAST(%s AS %s)", c->text, type);
}

KILN_API kiln_col *kiln_col_op(kiln_col *a, const char *op, kiln_col *b)
{
    if (!a || !b || !op) return NULL;
    static const char *const ok[] = {"+",  "-", "*",  "/", "%",  "=",   "==",  "!=",
                                     "<>", "<", "<=", ">", ">=", "<=>", "and", "or"};
    bool known = false;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) known |= strcasecmp(op, ok[i]) == 0;
    if (!known) {
        kiln_set_error(KILN_EINVAL, "kiln_col_op: unknown operator '%s'", op);
        return NULL;
    }
    const char *sp = strcmp(op, "==") == 0 ? "=" : op;
    return df_colf(a->s, "(%s %s %s)", a->text, sp, b->text);
}

KILN_API kiln_col *kiln_col_not(kiln_col *c)
{
    return c ? df_colf(c->s, "(NOT %s)", c->text) : NULL;
}

KILN_API kiln_col *kiln_col_is_null(kiln_col *c)
{
    return c ? df_colf(c->s, "(%s IS NULL)", c->text) : NULL;
}

KILN_API kiln_col *kiln_col_is_not_null(kiln_col *c)
{
    return c ? df_colf(c->s, "(%s IS NOT NULL)", c->text) : NULL;
}

KILN_API kiln_col *kiln_col_like(kiln_col *c, const char *pattern)
{
    if (!c || !pattern) return NULL;
    char *q = quote_str(pattern);
    kiln_col *r = df_colf(c->s, "(%s LIKE %s)", c->text, q);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_col_rlike(kiln_col *c, const char *regex)
{
    if (!c || !regex) return NULL;
    char *q = quote_str(regex);
    kiln_col *r = df_colf(c->s, "(%s RLIKE %s)", c->text, q);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_col_isin(kiln_col *c, kiln_col *const *values, int n)
{
    if (!c || (n && !values)) return NULL;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_append(&b, "(", 1);
    kiln_buf_append(&b, c->text, strlen(c->text));
    kiln_buf_append(&b, " IN (", 5);
    for (int i = 0; i < n; i++) {
        if (!values[i]) {
            kiln_buf_release(&b);
            return NULL;
        }
        if (i) kiln_buf_append(&b, ", ", 2);
        kiln_buf_append(&b, values[i]->text, strlen(values[i]->text));
    }
    kiln_buf_append(&b, "))", 3);
    kiln_col *r = make(c->s, (char *)b.data);
    kiln_buf_release(&b);
    return r;
}

static kiln_col *ordered(kiln_col *c, int order)
{
    if (!c) return NULL;
    kiln_col *o = make(c->s, c->text);
    if (o) {
        o->order = order;
        o->alias = c->alias;
        o->name = c->name;
    }
    return o;
}

KILN_API kiln_col *kiln_col_asc(kiln_col *c)
{
    return ordered(c, COL_ORDER_ASC);
}
KILN_API kiln_col *kiln_col_desc(kiln_col *c)
{
    return ordered(c, COL_ORDER_DESC);
}
KILN_API kiln_col *kiln_col_asc_nulls_last(kiln_col *c)
{
    return ordered(c, COL_ORDER_ASC_NULLS_LAST);
}
KILN_API kiln_col *kiln_col_desc_nulls_first(kiln_col *c)
{
    return ordered(c, COL_ORDER_DESC_NULLS_FIRST);
}

/* CASE text without its END, kept open for more WHENs. */
KILN_API kiln_col *kiln_fn_when(kiln_col *cond, kiln_col *value)
{
    if (!cond || !value) return NULL;
    kiln_col *c = df_colf(cond->s, "CASE WHEN %s THEN %s END", cond->text, value->text);
    if (c) c->open_case = true;
    return c;
}

KILN_API kiln_col *kiln_col_when(kiln_col *c, kiln_col *cond, kiln_col *value)
{
    if (!c || !cond || !value) return NULL;
    if (!c->open_case) {
        kiln_set_error(KILN_EINVAL, "when() follows kiln_fn_when()");
        return NULL;
    }
    size_t n = strlen(c->text) - 4; /* drop " END" */
    kiln_col *r = df_colf(c->s, "%.*s WHEN %s THEN %s END", (int)n, c->text, cond->text,
                          value->text);
    if (r) r->open_case = true;
    return r;
}

KILN_API kiln_col *kiln_col_otherwise(kiln_col *c, kiln_col *value)
{
    if (!c || !value) return NULL;
    if (!c->open_case) {
        kiln_set_error(KILN_EINVAL, "otherwise() follows kiln_fn_when()");
        return NULL;
    }
    size_t n = strlen(c->text) - 4;
    return df_colf(c->s, "%.*s ELSE %s END", (int)n, c->text, value->text);
}

KILN_API kiln_col *kiln_fn(const char *name, kiln_col *const *args, int n)
{
    if (!name || n < 1 || !args || !args[0]) return NULL;
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_buf_append(&b, name, strlen(name));
    kiln_buf_append(&b, "(", 1);
    for (int i = 0; i < n; i++) {
        if (!args[i]) {
            kiln_buf_release(&b);
            return NULL;
        }
        if (i) kiln_buf_append(&b, ", ", 2);
        kiln_buf_append(&b, args[i]->text, strlen(args[i]->text));
    }
    kiln_buf_append(&b, ")", 2);
    kiln_col *c = make(args[0]->s, (char *)b.data);
    kiln_buf_release(&b);
    return c;
}

static kiln_col *fn1(const char *name, kiln_col *c)
{
    return c ? df_colf(c->s, "%s(%s)", name, c->text) : NULL;
}

KILN_API kiln_col *kiln_fn_count(kiln_col *c)
{
    if (c && strcmp(c->text, "*") == 0) return make(c->s, "count(*)");
    return fn1("count", c);
}
KILN_API kiln_col *kiln_fn_count_distinct(kiln_col *c)
{
    return c ? df_colf(c->s, "count(DISTINCT %s)", c->text) : NULL;
}
KILN_API kiln_col *kiln_fn_sum(kiln_col *c)
{
    return fn1("sum", c);
}
KILN_API kiln_col *kiln_fn_avg(kiln_col *c)
{
    return fn1("avg", c);
}
KILN_API kiln_col *kiln_fn_min(kiln_col *c)
{
    return fn1("min", c);
}
KILN_API kiln_col *kiln_fn_max(kiln_col *c)
{
    return fn1("max", c);
}
KILN_API kiln_col *kiln_fn_lower(kiln_col *c)
{
    return fn1("lower", c);
}
KILN_API kiln_col *kiln_fn_upper(kiln_col *c)
{
    return fn1("upper", c);
}
KILN_API kiln_col *kiln_fn_trim(kiln_col *c)
{
    return fn1("trim", c);
}
KILN_API kiln_col *kiln_fn_length(kiln_col *c)
{
    return fn1("length", c);
}
KILN_API kiln_col *kiln_fn_year(kiln_col *c)
{
    return fn1("year", c);
}
KILN_API kiln_col *kiln_fn_month(kiln_col *c)
{
    return fn1("month", c);
}
KILN_API kiln_col *kiln_fn_dayofmonth(kiln_col *c)
{
    return fn1("dayofmonth", c);
}
KILN_API kiln_col *kiln_fn_hour(kiln_col *c)
{
    return fn1("hour", c);
}
KILN_API kiln_col *kiln_fn_explode(kiln_col *c)
{
    return fn1("explode", c);
}

KILN_API kiln_col *kiln_fn_explode_outer(kiln_col *c)
{
    return fn1("explode_outer", c);
}

KILN_API kiln_col *kiln_fn_posexplode(kiln_col *c)
{
    return fn1("posexplode", c);
}

KILN_API kiln_col *kiln_fn_posexplode_outer(kiln_col *c)
{
    return fn1("posexplode_outer", c);
}

KILN_API kiln_col *kiln_fn_regexp_extract(kiln_col *c, const char *pattern, int idx)
{
    if (!c || !pattern) return NULL;
    char *q = quote_str(pattern);
    kiln_col *r = df_colf(c->s, "regexp_extract(%s, %s, %d)", c->text, q, idx);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_fn_regexp_replace(kiln_col *c, const char *pattern, const char *repl)
{
    if (!c || !pattern || !repl) return NULL;
    char *q = quote_str(pattern), *r = quote_str(repl);
    kiln_col *x = df_colf(c->s, "regexp_replace(%s, %s, %s)", c->text, q, r);
    free(q);
    free(r);
    return x;
}

KILN_API kiln_col *kiln_fn_split(kiln_col *c, const char *pattern)
{
    if (!c || !pattern) return NULL;
    char *q = quote_str(pattern);
    kiln_col *r = df_colf(c->s, "split(%s, %s)", c->text, q);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_fn_substring(kiln_col *c, int pos, int len)
{
    return c ? df_colf(c->s, "substring(%s, %d, %d)", c->text, pos, len) : NULL;
}

KILN_API kiln_col *kiln_fn_coalesce(kiln_col *const *args, int n)
{
    return kiln_fn("coalesce", args, n);
}

KILN_API kiln_col *kiln_fn_to_date(kiln_col *c, const char *format)
{
    if (!c) return NULL;
    if (!format) return fn1("to_date", c);
    char *q = quote_str(format);
    kiln_col *r = df_colf(c->s, "to_date(%s, %s)", c->text, q);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_fn_date_format(kiln_col *c, const char *format)
{
    if (!c || !format) return NULL;
    char *q = quote_str(format);
    kiln_col *r = df_colf(c->s, "date_format(%s, %s)", c->text, q);
    free(q);
    return r;
}

KILN_API kiln_col *kiln_fn_round(kiln_col *c, int scale)
{
    return c ? df_colf(c->s, "round(%s, %d)", c->text, scale) : NULL;
}
