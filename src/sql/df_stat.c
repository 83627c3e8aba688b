/*
 * sql/df_stat.c - describe / summary, first / head, withColumns, sort and
 * toDF (include/kiln/sql.h).
 *
 * describe and summary compute one row of aggregates (each cast to a
 * string, as Spark's StatFunctions.summary does) and lay it out as
 * Spark's: a `summary` column naming the statistic and one string column
 * per described column. Unlike Spark, which plans this lazily, the
 * statistics are computed when the call is made.
 */
#define _GNU_SOURCE
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

/* The aggregate SQL of statistic st over the quoted column q of type t,
 * or NULL for an unknown statistic. */
static const char *stat_sql(const char *st, const char *q, const col_type *t, char *buf,
                            size_t size)
{
    bool num = col_type_is_numeric(t);
    if (strcasecmp(st, "count") == 0) snprintf(buf, size, "count(%s)", q);
    else if (strcasecmp(st, "count_distinct") == 0) snprintf(buf, size, "count(DISTINCT %s)", q);
    else if (strcasecmp(st, "mean") == 0)
        snprintf(buf, size, num ? "avg(%s)" : "avg(try_cast(%s AS DOUBLE))", q);
    else if (strcasecmp(st, "stddev") == 0)
        snprintf(buf, size, num ? "stddev_samp(%s)" : "stddev_samp(try_cast(%s AS DOUBLE))", q);
    else if (strcasecmp(st, "min") == 0) snprintf(buf, size, "min(%s)", q);
    else if (strcasecmp(st, "max") == 0) snprintf(buf, size, "max(%s)", q);
    else return NULL;
    return buf;
}

/* The statistics stats[0..nstats) of columns idx[0..ncols) of df. */
static kiln_df *summarize(kiln_df *df, const char *const *stats, int nstats, const int *idx,
                          int ncols)
{
    kiln_session *s = df->s;
    int nagg = nstats * ncols;
    kiln_col **aggs = kiln_arena_alloc(s->a, sizeof *aggs * (size_t)(nagg + 1));
    if (!aggs) return nomem();
    for (int k = 0; k < nstats; k++)
        for (int c = 0; c < ncols; c++) {
            const plan_col *pc = &df->p->cols[idx[c]];
            const char *q = df_quote(s, pc->name);
            char buf[1024];
            if (!q) return NULL;
            if (!stats[k] || !stat_sql(stats[k], q, pc->type, buf, sizeof buf)) {
                kiln_set_error(KILN_ESQL,
                               "[UNSUPPORTED_FEATURE] summary: '%s' is not a statistic kiln "
                               "computes (count, count_distinct, mean, stddev, min, max)",
                               stats[k] ? stats[k] : "(null)");
                return NULL;
            }
            char alias[32];
            snprintf(alias, sizeof alias, "s%d", k * ncols + c);
            aggs[k * ncols + c] = kiln_col_alias(df_colf(s, "CAST(%s AS STRING)", buf), alias);
        }
    kiln_df *g = kiln_grouped_agg(kiln_df_group_by(df, NULL, 0), aggs, nagg);
    if (!g) return NULL;
    sql_result r;
    int rc = sql_session_collect(s, g->p, &r);
    kiln_df_free(g);
    if (rc) return NULL;
    /* The result: a row per statistic, strings. */
    plan *p = plan_new(s->a, PLAN_VALUES, NULL, 0, ncols + 1);
    const col_type **types = kiln_arena_alloc(s->a, sizeof *types * (size_t)(ncols + 1));
    col_batch *b = kiln_arena_alloc(s->a, sizeof *b);
    if (!p || !types || !b) {
        sql_result_release(&r);
        return nomem();
    }
    p->cols[0] = (plan_col){"summary", NULL, &col_type_string, true};
    types[0] = &col_type_string;
    for (int c = 0; c < ncols; c++) {
        p->cols[c + 1] = (plan_col){df->p->cols[idx[c]].name, NULL, &col_type_string, true};
        types[c + 1] = &col_type_string;
    }
    rc = col_batch_init(b, s->a, ncols + 1, types, (uint32_t)(nstats ? nstats : 1));
    const col_batch *row = NULL;
    for (int i = 0; i < r.nbatches && !row; i++)
        if (r.batches[i].n) row = &r.batches[i];
    for (int c = 0; !rc && c <= ncols; c++) {
        col_vec *v = &b->cols[c];
        for (int k = 0; !rc && k < nstats; k++) {
            const char *txt = stats[k];
            uint32_t len = (uint32_t)strlen(txt);
            kiln_value x = kiln_null();
            if (c > 0 && row) {
                const col_vec *src = &row->cols[k * ncols + c - 1];
                uint32_t at = row->sel ? row->sel[0] : 0;
                rc = col_vec_get_value(src, at, s->a, &x);
                txt = x.type == KILN_STR ? x.u.s : NULL;
                len = x.len;
            } else if (c > 0) {
                txt = NULL;
            }
            if (!rc && !txt) {
                if (col_vec_add_validity(v, s->a, (uint32_t)nstats)) rc = KILN_ENOMEM;
                else col_set_null(v, (uint32_t)k);
            } else if (!rc && !col_str_copy(s->a, txt, len, &COL_DATA(v, col_str)[k])) {
                rc = KILN_ENOMEM;
            }
        }
        v->n = (uint32_t)nstats;
    }
    b->n = (uint32_t)nstats;
    sql_result_release(&r);
    if (rc) return nomem();
    p->batches = b;
    p->nbatches = 1;
    return df_new(s, p);
}

KILN_API kiln_df *kiln_df_describe(kiln_df *df, const char *const *cols, int n)
{
    if (!df || (n && !cols)) return NULL;
    static const char *const stats[] = {"count", "mean", "stddev", "min", "max"};
    int *idx = kiln_arena_alloc(df->s->a, sizeof *idx * (size_t)(df->p->ncols + n + 1));
    if (!idx) return nomem();
    int k = 0;
    if (n == 0) {
        for (int i = 0; i < df->p->ncols; i++)
            if (col_type_is_numeric(df->p->cols[i].type) || df->p->cols[i].type->kind == COL_STRING)
                idx[k++] = i;
    } else {
        for (int j = 0; j < n; j++)
            if ((idx[k++] = df_find_col(df, cols[j])) < 0) return NULL;
    }
    return summarize(df, stats, 5, idx, k);
}

KILN_API kiln_df *kiln_df_summary(kiln_df *df, const char *const *stats, int n)
{
    if (!df || (n && !stats)) return NULL;
    static const char *const deflt[] = {"count", "mean", "stddev", "min", "max"};
    int *idx = kiln_arena_alloc(df->s->a, sizeof *idx * (size_t)(df->p->ncols + 1));
    if (!idx) return nomem();
    int k = 0;
    for (int i = 0; i < df->p->ncols; i++)
        if (col_type_is_numeric(df->p->cols[i].type) || df->p->cols[i].type->kind == COL_STRING)
            idx[k++] = i;
    return n ? summarize(df, stats, n, idx, k) : summarize(df, deflt, 5, idx, k);
}

KILN_API int kiln_df_head(kiln_df *df, int64_t n, kiln_arena *a, kiln_value *out)
{
    return kiln_df_take(df, n, a, out);
}

KILN_API int kiln_df_first(kiln_df *df, kiln_arena *a, kiln_value *out)
{
    kiln_value rows;
    int rc = kiln_df_take(df, 1, a, &rows);
    if (rc) return rc;
    *out = rows.len ? rows.u.items[0] : kiln_null();
    return KILN_OK;
}

KILN_API kiln_df *kiln_df_sort(kiln_df *df, kiln_col *const *cols, int n)
{
    return kiln_df_order_by(df, cols, n);
}

KILN_API kiln_df *kiln_df_with_columns(kiln_df *df, const char *const *names, kiln_col *const *cols,
                                       int n)
{
    if (!df || (n && (!names || !cols))) return NULL;
    kiln_session *s = df->s;
    int ncols = df->p->ncols;
    kiln_col **sel = kiln_arena_alloc(s->a, sizeof *sel * (size_t)(ncols + n + 1));
    if (!sel) return nomem();
    for (int j = 0; j < n; j++) {
        if (!names[j] || !cols[j]) return NULL;
        for (int k = 0; k < j; k++)
            if (strcasecmp(names[k], names[j]) == 0) {
                kiln_set_error(KILN_ESQL,
                               "[COLUMN_ALREADY_EXISTS] The column `%s` already exists. Choose "
                               "another name or rename the existing column. SQLSTATE: 42711",
                               names[j]);
                return NULL;
            }
    }
    bool *used = kiln_arena_alloc(s->a, sizeof *used * (size_t)(n + 1));
    if (!used) return nomem();
    memset(used, 0, sizeof *used * (size_t)(n + 1));
    int k = 0;
    for (int i = 0; i < ncols; i++) {
        const char *name = df->p->cols[i].name;
        int j = 0;
        while (j < n && strcasecmp(names[j], name)) j++;
        if (j < n) {
            used[j] = true;
            sel[k++] = kiln_col_alias(cols[j], names[j]);
        } else {
            sel[k++] = kiln_expr(s, df_quote(s, name));
        }
    }
    for (int j = 0; j < n; j++)
        if (!used[j]) sel[k++] = kiln_col_alias(cols[j], names[j]);
    for (int i = 0; i < k; i++)
        if (!sel[i]) return NULL;
    return kiln_df_select(df, sel, k);
}

KILN_API kiln_df *kiln_df_to_df(kiln_df *df, const char *const *names, int n)
{
    if (!df || (n && !names)) return NULL;
    kiln_session *s = df->s;
    plan *in = df->p;
    if (n != in->ncols) {
        kiln_set_error(KILN_ESQL,
                       "[INVALID_COLUMN_NAMES] toDF: the number of columns doesn't match: %d old "
                       "columns, %d new names",
                       in->ncols, n);
        return NULL;
    }
    plan *p = plan_new(s->a, PLAN_PROJECT, &in, 1, n);
    if (!p || !(p->exprs = kiln_arena_alloc(s->a, sizeof *p->exprs * (size_t)(n + 1))))
        return nomem();
    for (int i = 0; i < n; i++) {
        if (!names[i]) return NULL;
        char *name = kiln_arena_alloc(s->a, strlen(names[i]) + 1);
        const plan_col *c = &in->cols[i];
        if (!name || !(p->exprs[i] = expr_col(s->a, i, c->type, c->nullable, c->name)))
            return nomem();
        p->cols[i] = (plan_col){strcpy(name, names[i]), NULL, c->type, c->nullable};
    }
    return df_new(s, p);
}
