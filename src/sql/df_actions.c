/*
 * sql/df_actions.c - grouped aggregation, caching and the actions of the
 * DataFrame API (include/kiln/sql.h): count, collect, take, show,
 * printSchema, explain, and the columns' names and types.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/df_int.h"
#include "sql/show.h"

static void *nomem(void)
{
    kiln_set_error(KILN_ENOMEM, "out of memory in the DataFrame API");
    return NULL;
}

/* ---- Grouping ---------------------------------------------------------------- */

KILN_API kiln_grouped *kiln_df_group_by(kiln_df *df, kiln_col *const *cols, int n)
{
    if (!df || (n && !cols)) return NULL;
    kiln_grouped *g = calloc(1, sizeof *g);
    if (!g) return nomem();
    g->df = df_new(df->s, df->p);
    g->keys = kiln_arena_alloc(df->s->a, sizeof *g->keys * (size_t)(n ? n : 1));
    if (!g->df || !g->keys) {
        kiln_df_free(g->df);
        free(g);
        return nomem();
    }
    for (int i = 0; i < n; i++) {
        if (!cols[i]) {
            kiln_df_free(g->df);
            free(g);
            return NULL;
        }
        g->keys[i] = cols[i];
    }
    g->nkeys = n;
    return g;
}

static void grouped_free(kiln_grouped *g)
{
    if (g) {
        kiln_df_free(g->df);
        free(g);
    }
}

/* The aggregate of g's keys and aggs (frees g). */
KILN_API kiln_df *kiln_grouped_agg(kiln_grouped *g, kiln_col *const *aggs, int n)
{
    if (!g) return NULL;
    kiln_df *df = g->df;
    kiln_session *s = df->s;
    kiln_df *out = NULL;
    agg_collect col = {0};
    int total = g->nkeys + n;
    expr **sel = kiln_arena_alloc(s->a, sizeof *sel * (size_t)(total + 1));
    const char **names = kiln_arena_alloc(s->a, sizeof *names * (size_t)(total + 1));
    ast_expr **asts = kiln_arena_alloc(s->a, sizeof *asts * (size_t)(total + 1));
    col.keys = kiln_arena_alloc(s->a, sizeof *col.keys * (size_t)(g->nkeys + 1));
    if (!sel || !names || !asts || !col.keys) {
        nomem();
        goto done;
    }
    anz z;
    binder kb = {df->p, NULL, "groupBy"};
    for (int i = 0; i < g->nkeys; i++) {
        kiln_col *c = g->keys[i];
        if (sql_parse_expr(s->a, c->text, &asts[i])) goto done;
        sql_session_anz(s, s->a, c->text, &z);
        if (anz_bind(&z, &kb, asts[i], &col.keys[i])) goto done;
        sel[i] = col.keys[i];
        names[i] = c->alias ? c->alias : anz_expr_name(&z, asts[i]);
    }
    col.nkeys = g->nkeys;
    binder ab = {df->p, &col, "agg"};
    for (int i = 0; i < n; i++) {
        kiln_col *c = aggs ? aggs[i] : NULL;
        if (!c) goto done;
        ast_expr *e;
        if (sql_parse_expr(s->a, c->text, &e)) goto done;
        sql_session_anz(s, s->a, c->text, &z);
        if (anz_bind(&z, &ab, e, &sel[g->nkeys + i])) goto done;
        names[g->nkeys + i] = c->alias ? c->alias : anz_expr_name(&z, e);
        asts[g->nkeys + i] = e;
    }
    plan *in = df->p;
    plan *a = plan_new(s->a, PLAN_AGG, &in, 1, col.nkeys + col.naggs);
    if (!a) {
        nomem();
        goto done;
    }
    a->nkeys = col.nkeys;
    a->keys = col.keys;
    a->naggs = col.naggs;
    a->aggs = col.aggs;
    for (int k = 0; k < col.nkeys; k++)
        a->cols[k] = (plan_col){names[k], NULL, col.keys[k]->type, col.keys[k]->nullable};
    for (int k = 0; k < col.naggs; k++)
        a->cols[col.nkeys + k] = (plan_col){"agg", NULL, col.aggs[k].type, true};
    plan *p = plan_new(s->a, PLAN_PROJECT, &a, 1, total);
    if (!p || !(p->exprs = kiln_arena_alloc(s->a, sizeof *p->exprs * (size_t)(total + 1)))) {
        nomem();
        goto done;
    }
    for (int i = 0; i < total; i++) {
        sql_session_anz(s, s->a, i < g->nkeys ? g->keys[i]->text : aggs[i - g->nkeys]->text, &z);
        if (anz_over_agg(&z, &col, sel[i], &p->exprs[i], asts[i])) goto done;
        p->cols[i] = (plan_col){names[i], NULL, p->exprs[i]->type, p->exprs[i]->nullable};
    }
    out = df_new(s, p);
done:
    grouped_free(g);
    return out;
}

KILN_API kiln_df *kiln_grouped_count(kiln_grouped *g)
{
    if (!g) return NULL;
    kiln_col *c = kiln_col_alias(kiln_expr(g->df->s, "count(*)"), "count");
    return kiln_grouped_agg(g, &c, 1);
}

/* fn(c) AS "fn(c)" for the named columns, or every numeric one. */
static kiln_df *agg_each(kiln_grouped *g, const char *fn, const char *const *cols, int n)
{
    if (!g) return NULL;
    kiln_session *s = g->df->s;
    const plan *p = g->df->p;
    int cap = n ? n : p->ncols;
    kiln_col **aggs = kiln_arena_alloc(s->a, sizeof *aggs * (size_t)(cap + 1));
    if (!aggs) {
        grouped_free(g);
        return nomem();
    }
    int k = 0;
    for (int i = 0; i < (n ? n : p->ncols); i++) {
        const char *name = n ? cols[i] : p->cols[i].name;
        if (!n && !col_type_is_numeric(p->cols[i].type)) continue;
        if (!name) {
            grouped_free(g);
            return NULL;
        }
        char alias[512];
        snprintf(alias, sizeof alias, "%s(%s)", fn, name);
        kiln_col *c = kiln_fn_col(s, name);
        kiln_col *a = kiln_fn(fn, &c, 1);
        aggs[k++] = kiln_col_alias(a, alias);
    }
    return kiln_grouped_agg(g, aggs, k);
}

KILN_API kiln_df *kiln_grouped_sum(kiln_grouped *g, const char *const *cols, int n)
{
    return agg_each(g, "sum", cols, n);
}
KILN_API kiln_df *kiln_grouped_avg(kiln_grouped *g, const char *const *cols, int n)
{
    return agg_each(g, "avg", cols, n);
}
KILN_API kiln_df *kiln_grouped_min(kiln_grouped *g, const char *const *cols, int n)
{
    return agg_each(g, "min", cols, n);
}
KILN_API kiln_df *kiln_grouped_max(kiln_grouped *g, const char *const *cols, int n)
{
    return agg_each(g, "max", cols, n);
}

/* ---- Caching ---------------------------------------------------------------------- */

KILN_API kiln_df *kiln_df_cache(kiln_df *df)
{
    /* Spark's Dataset.cache(): memory, then disk under pressure. */
    return kiln_df_persist(df, KILN_MEMORY_AND_DISK);
}

/* ---- Actions ------------------------------------------------------------------------ */

static int collect(kiln_df *df, const plan *p, sql_result *r)
{
    if (!df)
        return kiln_last_error()[0] ? KILN_ESQL : kiln_set_error(KILN_EINVAL, "NULL DataFrame");
    return sql_session_collect_as(df->s, p, df->sql, r);
}

KILN_API int kiln_df_count(kiln_df *df, int64_t *out)
{
    if (!df || !out) return kiln_set_error(KILN_EINVAL, "kiln_df_count: NULL argument");
    kiln_grouped *g = kiln_df_group_by(df, NULL, 0);
    kiln_df *c = kiln_grouped_count(g);
    if (!c) return KILN_ESQL;
    sql_result r;
    int rc = collect(c, c->p, &r);
    kiln_df_free(c);
    if (rc) return rc;
    kiln_value v = {0};
    if (r.nbatches && r.batches[0].n) col_vec_get_value(&r.batches[0].cols[0], 0, r.a, &v);
    *out = v.u.i;
    sql_result_release(&r);
    return KILN_OK;
}

static int rows_to_list(const sql_result *r, int64_t limit, kiln_arena *a, kiln_value *out)
{
    int64_t n = r->rows < limit ? r->rows : limit;
    kiln_value *rows = kiln_arena_alloc(a, sizeof *rows * (size_t)(n ? n : 1));
    kiln_value *items = kiln_arena_alloc(a, sizeof *items *
                                                (size_t)((n ? n : 1) * (r->ncols ? r->ncols : 1)));
    if (!rows || !items) return KILN_ENOMEM;
    int64_t k = 0;
    for (int b = 0; b < r->nbatches && k < n; b++) {
        const col_batch *x = &r->batches[b];
        for (uint32_t i = 0; i < x->n && k < n; i++, k++) {
            kiln_value *it = items + k * r->ncols;
            for (int c = 0; c < r->ncols; c++) {
                int rc = col_vec_get_value(&x->cols[c], i, a, &it[c]);
                if (rc) return rc;
            }
            rows[k] = kiln_tuple_new(a, it, (size_t)r->ncols);
        }
    }
    *out = kiln_list_new(a, rows, (size_t)k);
    return KILN_OK;
}

KILN_API int kiln_df_collect(kiln_df *df, kiln_arena *a, kiln_value *out)
{
    if (!a || !out) return kiln_set_error(KILN_EINVAL, "kiln_df_collect: NULL argument");
    sql_result r;
    int rc = collect(df, df ? df->p : NULL, &r);
    if (rc) return rc;
    rc = rows_to_list(&r, INT64_MAX, a, out);
    sql_result_release(&r);
    return rc;
}

KILN_API int kiln_df_take(kiln_df *df, int64_t n, kiln_arena *a, kiln_value *out)
{
    kiln_df *l = kiln_df_limit(df, n);
    if (!l) return KILN_ESQL;
    int rc = kiln_df_collect(l, a, out);
    kiln_df_free(l);
    return rc;
}

KILN_API char *kiln_df_show_string(kiln_df *df, int n, int truncate)
{
    if (!df) return NULL;
    /* One row more than shown says whether to add "only showing...". */
    kiln_df *l = kiln_df_limit(df, (int64_t)n + 1);
    if (!l) return NULL;
    sql_result r;
    int rc = collect(l, l->p, &r);
    kiln_df_free(l);
    if (rc) return NULL;
    kiln_arena *a = kiln_arena_new();
    fn_ctx fc;
    sql_session_fn_ctx(df->s, a, &fc);
    col_schema schema = {r.ncols, kiln_arena_alloc(a, sizeof(col_field) * (size_t)(r.ncols + 1))};
    kiln_buf b;
    kiln_buf_init(&b);
    if (!schema.fields) {
        rc = KILN_ENOMEM;
    } else {
        for (int i = 0; i < r.ncols; i++)
            schema.fields[i] = (col_field){r.cols[i].name, r.cols[i].type, true};
        rc = sql_show_format(&b, &fc, &schema, r.batches, r.nbatches, n, truncate, r.rows > n);
    }
    free(fc.error);
    kiln_arena_free(a);
    sql_result_release(&r);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    if (rc) {
        kiln_buf_release(&b);
        return NULL;
    }
    return (char *)b.data;
}

KILN_API int kiln_df_show(kiln_df *df, int n, int truncate)
{
    char *s = kiln_df_show_string(df, n, truncate);
    if (!s) return KILN_ESQL;
    fputs(s, stdout);
    free(s);
    return KILN_OK;
}

KILN_API char *kiln_df_schema_string(kiln_df *df)
{
    if (!df) return NULL;
    col_schema s = {df->p->ncols, calloc((size_t)(df->p->ncols + 1), sizeof(col_field))};
    if (!s.fields) return nomem();
    for (int i = 0; i < df->p->ncols; i++)
        s.fields[i] = (col_field){df->p->cols[i].name, df->p->cols[i].type,
                                  df->p->cols[i].nullable};
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = col_schema_format_tree(&b, &s);
    free(s.fields);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    if (rc) {
        kiln_buf_release(&b);
        return nomem();
    }
    return (char *)b.data;
}

KILN_API int kiln_df_print_schema(kiln_df *df)
{
    char *s = kiln_df_schema_string(df);
    if (!s) return KILN_ESQL;
    fputs(s, stdout);
    free(s);
    return KILN_OK;
}

KILN_API char *kiln_df_explain_string(kiln_df *df)
{
    if (!df) return NULL;
    kiln_arena *a = kiln_arena_new();
    plan *o;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = a ? sql_session_plan(df->s, a, df->p, &o) : KILN_ENOMEM;
    if (!rc) {
        sql_settings set = df->s->set;
        rc = sql_explain_all(&b, &set, df->p, o);
        if (!rc) rc = kiln_buf_append(&b, "", 1);
    }
    kiln_arena_free(a);
    if (rc) {
        kiln_buf_release(&b);
        return NULL;
    }
    return (char *)b.data;
}

KILN_API int kiln_df_num_columns(const kiln_df *df)
{
    return df ? df->p->ncols : 0;
}

KILN_API const char *kiln_df_column_name(const kiln_df *df, int i)
{
    return df && i >= 0 && i < df->p->ncols ? df->p->cols[i].name : NULL;
}

KILN_API const char *kiln_df_column_type(kiln_df *df, int i)
{
    if (!df || i < 0 || i >= df->p->ncols) return NULL;
    if (!df->type_names && !(df->type_names = calloc((size_t)df->p->ncols, sizeof(char *))))
        return nomem();
    if (!df->type_names[i]) {
        kiln_buf b;
        kiln_buf_init(&b);
        if (col_type_format(&b, df->p->cols[i].type) || kiln_buf_append(&b, "", 1)) {
            kiln_buf_release(&b);
            return nomem();
        }
        df->type_names[i] = (char *)b.data;
    }
    return df->type_names[i];
}
