/*
 * sql/df_na.c - df.na.fill / drop / replace and dropDuplicates
 * (include/kiln/sql.h), with Spark's rules for which columns a value
 * applies to. Each builds SQL text over the DataFrame's columns (quoted
 * names) and goes through select / filter / groupBy, so the analyser
 * types it as any column.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/df_int.h"

static void *nomem(void)
{
    kiln_set_error(KILN_ENOMEM, "out of memory in the DataFrame API");
    return NULL;
}

const char *df_quote(kiln_session *s, const char *name)
{
    size_t n = strlen(name), extra = 0;
    for (size_t i = 0; i < n; i++) extra += name[i] == '`';
    char *q = kiln_arena_alloc(s->a, n + extra + 3);
    if (!q) return nomem();
    char *o = q;
    *o++ = '`';
    for (size_t i = 0; i < n; i++) {
        *o++ = name[i];
        if (name[i] == '`') *o++ = '`';
    }
    *o++ = '`';
    *o = 0;
    return q;
}

int df_find_col(const kiln_df *df, const char *name)
{
    for (int i = 0; name && i < df->p->ncols; i++)
        if (strcasecmp(df->p->cols[i].name, name) == 0) return i;
    kiln_buf b;
    kiln_buf_init(&b);
    for (int i = 0; i < df->p->ncols; i++) {
        if (i) kiln_buf_append(&b, ", ", 2);
        kiln_buf_append(&b, "`", 1);
        kiln_buf_append(&b, df->p->cols[i].name, strlen(df->p->cols[i].name));
        kiln_buf_append(&b, "`", 1);
    }
    kiln_buf_append(&b, "", 1);
    kiln_set_error(KILN_ESQL,
                   "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter "
                   "with name `%s` cannot be resolved. Did you mean one of the following? [%s]. "
                   "SQLSTATE: 42703",
                   name ? name : "(null)", b.data ? (const char *)b.data : "");
    kiln_buf_release(&b);
    return -1;
}

const char *df_type_sql(kiln_session *s, const col_type *t)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = col_type_format(&b, t);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    char *out = rc ? NULL : kiln_arena_alloc(s->a, b.len);
    if (out) memcpy(out, b.data, b.len);
    kiln_buf_release(&b);
    return out ? out : nomem();
}

/* Which columns of df a call names: in[i] for every column (n == 0) or
 * for the named ones (an unknown name fails). */
static bool *chosen(kiln_df *df, const char *const *names, int n)
{
    bool *in = kiln_arena_alloc(df->s->a, sizeof *in * (size_t)(df->p->ncols + 1));
    if (!in) return nomem();
    for (int i = 0; i < df->p->ncols; i++) in[i] = n == 0;
    for (int j = 0; j < n; j++) {
        int i = df_find_col(df, names ? names[j] : NULL);
        if (i < 0) return NULL;
        in[i] = true;
    }
    return in;
}

static bool is_float(const col_type *t)
{
    return t->kind == COL_F32 || t->kind == COL_F64;
}

/* A SQL literal of v (an int, double, string or boolean; a null), or NULL
 * with KILN_EINVAL for anything else. */
static const char *literal(kiln_session *s, const kiln_value *v)
{
    char buf[64];
    switch (v ? v->type : KILN_TUPLE) {
    case KILN_NULL:
        return "NULL";
    case KILN_BOOL:
        return v->u.b ? "true" : "false";
    case KILN_INT:
        snprintf(buf, sizeof buf, "%lldL", (long long)v->u.i);
        break;
    case KILN_DOUBLE:
        if (isnan(v->u.d)) return "CAST('NaN' AS DOUBLE)";
        if (isinf(v->u.d))
            return v->u.d > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
        snprintf(buf, sizeof buf, "%.17gD", v->u.d);
        break;
    case KILN_STR: {
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_buf_append(&b, "'", 1);
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->u.s[i] == '\'' || v->u.s[i] == '\\') kiln_buf_append(&b, "\\", 1);
            kiln_buf_append(&b, &v->u.s[i], 1);
        }
        kiln_buf_append(&b, "'", 2);
        char *out = b.data ? kiln_arena_alloc(s->a, b.len) : NULL;
        if (out) memcpy(out, b.data, b.len);
        kiln_buf_release(&b);
        return out ? out : nomem();
    }
    default:
        kiln_set_error(KILN_EINVAL, "na: a value must be an int, a double, a string or a boolean");
        return NULL;
    }
    char *out = kiln_arena_alloc(s->a, strlen(buf) + 1);
    return out ? strcpy(out, buf) : nomem();
}

/* Whether a value of kiln type vt applies to a column of type t (Spark's
 * fill / replace rule). */
static bool applies(int vt, const col_type *t)
{
    switch (vt) {
    case KILN_INT:
    case KILN_DOUBLE:
        return col_type_is_numeric(t);
    case KILN_STR:
        return t->kind == COL_STRING;
    case KILN_BOOL:
        return t->kind == COL_BOOL;
    default:
        return false;
    }
}

/* df with column i replaced by exprs[i] where given (aliased to its name). */
static kiln_df *replace_cols(kiln_df *df, const char *const *exprs)
{
    kiln_session *s = df->s;
    int n = df->p->ncols;
    kiln_col **cols = kiln_arena_alloc(s->a, sizeof *cols * (size_t)(n + 1));
    if (!cols) return nomem();
    for (int i = 0; i < n; i++) {
        const char *q = df_quote(s, df->p->cols[i].name);
        if (!q) return NULL;
        cols[i] = exprs[i] ? kiln_col_alias(kiln_expr(s, exprs[i]), df->p->cols[i].name)
                           : kiln_expr(s, q);
        if (!cols[i]) return NULL;
    }
    return kiln_df_select(df, cols, n);
}

/* The fill expression of column i by the literal lit. */
static const char *fill_expr(kiln_df *df, int i, const char *lit)
{
    kiln_session *s = df->s;
    const plan_col *c = &df->p->cols[i];
    const char *q = df_quote(s, c->name), *ty = df_type_sql(s, c->type);
    if (!q || !ty) return NULL;
    kiln_col *e = is_float(c->type)
                      ? df_colf(s,
                                "CASE WHEN %s IS NULL OR isnan(%s) THEN CAST(%s AS %s) ELSE %s END",
                                q, q, lit, ty, q)
                      : df_colf(s, "coalesce(%s, CAST(%s AS %s))", q, lit, ty);
    return e ? e->text : NULL;
}

KILN_API kiln_df *kiln_df_na_fill(kiln_df *df, const kiln_value *value, const char *const *subset,
                                  int n)
{
    if (!df) return NULL;
    if (!value || value->type == KILN_NULL) {
        kiln_set_error(KILN_EINVAL, "na.fill: the value must be an int, a double, a string or a "
                                    "boolean");
        return NULL;
    }
    const char *lit = literal(df->s, value);
    bool *in = lit ? chosen(df, subset, n) : NULL;
    const char **exprs = kiln_arena_alloc(df->s->a, sizeof *exprs * (size_t)(df->p->ncols + 1));
    if (!in || !exprs) return NULL;
    for (int i = 0; i < df->p->ncols; i++) {
        exprs[i] = NULL;
        if (in[i] && applies(value->type, df->p->cols[i].type) &&
            !(exprs[i] = fill_expr(df, i, lit)))
            return NULL;
    }
    return replace_cols(df, exprs);
}

KILN_API kiln_df *kiln_df_na_fill_map(kiln_df *df, const char *const *cols,
                                      const kiln_value *values, int n)
{
    if (!df || (n && (!cols || !values))) return NULL;
    const char **exprs = kiln_arena_alloc(df->s->a, sizeof *exprs * (size_t)(df->p->ncols + 1));
    if (!exprs) return nomem();
    for (int i = 0; i < df->p->ncols; i++) exprs[i] = NULL;
    for (int j = 0; j < n; j++) {
        int i = df_find_col(df, cols[j]);
        if (i < 0) return NULL;
        const col_type *t = df->p->cols[i].type;
        if (!applies(values[j].type, t)) {
            kiln_set_error(KILN_ESQL,
                           "[UNSUPPORTED_DATATYPE] na.fill: the value for column `%s` does not "
                           "fit its type %s",
                           cols[j], df_type_sql(df->s, t));
            return NULL;
        }
        const char *lit = literal(df->s, &values[j]);
        if (!lit || !(exprs[i] = fill_expr(df, i, lit))) return NULL;
    }
    return replace_cols(df, exprs);
}

KILN_API kiln_df *kiln_df_na_drop(kiln_df *df, const char *how, int thresh,
                                  const char *const *subset, int n)
{
    if (!df) return NULL;
    if (how && strcasecmp(how, "any") && strcasecmp(how, "all")) {
        kiln_set_error(KILN_EINVAL, "na.drop: how ('%s') should be 'any' or 'all'", how);
        return NULL;
    }
    bool *in = chosen(df, subset, n);
    if (!in) return NULL;
    kiln_session *s = df->s;
    kiln_buf b;
    kiln_buf_init(&b);
    int k = 0;
    for (int i = 0; i < df->p->ncols; i++) {
        if (!in[i]) continue;
        const char *q = df_quote(s, df->p->cols[i].name);
        if (!q) {
            kiln_buf_release(&b);
            return NULL;
        }
        char *term = NULL;
        if (asprintf(&term, "%s(CASE WHEN %s IS NOT NULL%s%s%s THEN 1 ELSE 0 END)", k ? " + " : "",
                     q, is_float(df->p->cols[i].type) ? " AND NOT isnan(" : "",
                     is_float(df->p->cols[i].type) ? q : "",
                     is_float(df->p->cols[i].type) ? ")" : "") < 0) {
            kiln_buf_release(&b);
            return nomem();
        }
        kiln_buf_append(&b, term, strlen(term));
        free(term);
        k++;
    }
    if (thresh < 0) thresh = how && strcasecmp(how, "all") == 0 ? 1 : k;
    if (k == 0) {
        kiln_buf_release(&b);
        /* Nothing to count: every row has at least 0 values. */
        return thresh <= 0 ? kiln_df_where(df, "true") : kiln_df_where(df, "false");
    }
    char cmp[32];
    snprintf(cmp, sizeof cmp, " >= %d", thresh);
    kiln_buf_append(&b, cmp, strlen(cmp) + 1);
    kiln_df *out = b.data ? kiln_df_where(df, (const char *)b.data) : nomem();
    kiln_buf_release(&b);
    return out;
}

KILN_API kiln_df *kiln_df_na_replace(kiln_df *df, const kiln_value *from, const kiln_value *to,
                                     int nvalues, const char *const *subset, int n)
{
    if (!df || nvalues < 1 || !from || !to) {
        if (df) kiln_set_error(KILN_EINVAL, "na.replace: no values to replace");
        return NULL;
    }
    kiln_session *s = df->s;
    /* Spark: the values to replace are all numbers, all strings or all
     * booleans, and the replacements of the same kind or null. */
    int kind = from[0].type == KILN_DOUBLE ? KILN_INT : from[0].type;
    for (int j = 0; j < nvalues; j++) {
        int fk = from[j].type == KILN_DOUBLE ? KILN_INT : from[j].type;
        int tk = to[j].type == KILN_DOUBLE ? KILN_INT : to[j].type;
        if (fk != kind || (tk != kind && tk != KILN_NULL) ||
            (kind != KILN_INT && kind != KILN_STR && kind != KILN_BOOL)) {
            kiln_set_error(KILN_EINVAL, "na.replace: the values to replace and their replacements "
                                        "must all be numbers, all strings or all booleans (a "
                                        "replacement may be null)");
            return NULL;
        }
    }
    bool *in = chosen(df, subset, n);
    const char **exprs = kiln_arena_alloc(s->a, sizeof *exprs * (size_t)(df->p->ncols + 1));
    if (!in || !exprs) return NULL;
    for (int i = 0; i < df->p->ncols; i++) {
        exprs[i] = NULL;
        const col_type *t = df->p->cols[i].type;
        if (!in[i] || !applies(from[0].type, t)) continue;
        const char *q = df_quote(s, df->p->cols[i].name), *ty = df_type_sql(s, t);
        kiln_buf b;
        kiln_buf_init(&b);
        kiln_buf_append(&b, "CASE", 4);
        for (int j = 0; j < nvalues; j++) {
            const char *fl = literal(s, &from[j]), *tl = literal(s, &to[j]);
            char *w = NULL;
            if (!q || !ty || !fl || !tl ||
                asprintf(&w, " WHEN %s = %s THEN CAST(%s AS %s)", q, fl, tl, ty) < 0) {
                kiln_buf_release(&b);
                return NULL;
            }
            kiln_buf_append(&b, w, strlen(w));
            free(w);
        }
        kiln_buf_append(&b, " ELSE ", 6);
        kiln_buf_append(&b, q, strlen(q));
        kiln_buf_append(&b, " END", 5);
        char *e = b.data ? kiln_arena_alloc(s->a, b.len) : NULL;
        if (e) memcpy(e, b.data, b.len);
        kiln_buf_release(&b);
        if (!(exprs[i] = e)) return nomem();
    }
    return replace_cols(df, exprs);
}

KILN_API kiln_df *kiln_df_drop_duplicates(kiln_df *df, const char *const *subset, int n)
{
    if (!df) return NULL;
    if (n == 0) return kiln_df_distinct(df);
    kiln_session *s = df->s;
    bool *key = chosen(df, subset, n);
    int ncols = df->p->ncols;
    kiln_col **keys = kiln_arena_alloc(s->a, sizeof *keys * (size_t)(ncols + 1));
    kiln_col **aggs = kiln_arena_alloc(s->a, sizeof *aggs * (size_t)(ncols + 1));
    kiln_col **order = kiln_arena_alloc(s->a, sizeof *order * (size_t)(ncols + 1));
    if (!key || !keys || !aggs || !order) return NULL;
    int nk = 0, na = 0;
    for (int i = 0; i < ncols; i++) {
        const char *name = df->p->cols[i].name, *q = df_quote(s, name);
        if (!q) return NULL;
        /* Every column's first value comes from the same row: the one the
         * aggregate saw first in the group. */
        if (key[i]) keys[nk++] = kiln_col_alias(kiln_expr(s, q), name);
        else aggs[na++] = kiln_col_alias(df_colf(s, "first(%s)", q), name);
        order[i] = kiln_expr(s, q);
    }
    kiln_df *g = kiln_grouped_agg(kiln_df_group_by(df, keys, nk), aggs, na);
    kiln_df *out = kiln_df_select(g, order, ncols);
    kiln_df_free(g);
    return out;
}
