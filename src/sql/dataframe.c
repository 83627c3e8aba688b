/*
 * sql/dataframe.c - the DataFrame API's sessions, readers and
 * transformations (include/kiln/sql.h): each call analyses its columns
 * against the DataFrame's plan and returns a DataFrame over a new plan.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/df_int.h"

static void *nomem(void)
{
    kiln_set_error(KILN_ENOMEM, "out of memory in the DataFrame API");
    return NULL;
}

kiln_df *df_new(kiln_session *s, plan *p)
{
    if (!p) return NULL;
    kiln_df *df = calloc(1, sizeof *df);
    if (!df) return nomem();
    df->s = s;
    df->p = p;
    pthread_mutex_lock(&s->dfs_lock);
    df->next = s->dfs;
    if (s->dfs) s->dfs->prev = df;
    s->dfs = df;
    pthread_mutex_unlock(&s->dfs_lock);
    return df;
}

void df_release(kiln_df *df)
{
    if (df->type_names)
        for (int i = 0; i < df->p->ncols; i++) free(df->type_names[i]);
    free(df->type_names);
    free(df);
}

KILN_API void kiln_df_free(kiln_df *df)
{
    if (!df) return;
    kiln_session *s = df->s;
    pthread_mutex_lock(&s->dfs_lock);
    if (df->prev) df->prev->next = df->next;
    else s->dfs = df->next;
    if (df->next) df->next->prev = df->prev;
    pthread_mutex_unlock(&s->dfs_lock);
    df_release(df);
}

/* ---- Sessions ----------------------------------------------------------------- */

KILN_API int kiln_session_new(kiln_context *ctx, kiln_session **out)
{
    if (!ctx || !out) return kiln_set_error(KILN_EINVAL, "kiln_session_new: NULL argument");
    return sql_session_new(ctx, out);
}

KILN_API void kiln_session_free(kiln_session *s)
{
    sql_session_free(s);
}

KILN_API int kiln_session_conf_set(kiln_session *s, const char *key, const char *value)
{
    if (!s || !key || !value)
        return kiln_set_error(KILN_EINVAL, "kiln_session_conf_set: NULL argument");
    return sql_session_set(s, key, value);
}

KILN_API const char *kiln_session_conf_get(kiln_session *s, const char *key)
{
    return s && key ? sql_session_get(s, key) : NULL;
}

KILN_API kiln_df *kiln_sql(kiln_session *s, const char *text)
{
    if (!s || !text) {
        kiln_set_error(KILN_EINVAL, "kiln_sql: NULL argument");
        return NULL;
    }
    /* A single query becomes a lazy DataFrame; anything else runs now. */
    char *copy = kiln_arena_alloc(s->a, strlen(text) + 1);
    if (!copy) return nomem();
    strcpy(copy, text);
    ast_stmt **stmts;
    int n;
    if (sql_parse(s->a, copy, &stmts, &n)) return NULL;
    if (n == 1 && stmts[0]->kind == AST_STMT_QUERY) {
        anz z;
        sql_session_anz(s, s->a, copy, &z);
        plan *p;
        if (anz_query(&z, ((ast_stmt_query *)stmts[0])->query, &p)) return NULL;
        kiln_df *df = df_new(s, p);
        if (df) df->sql = copy;
        return df;
    }
    /* Commands run now; their DataFrame is empty (their rows are for
     * kiln sql and SHOW-like uses of sql_session_run). */
    if (sql_session_run(s, copy, NULL, NULL)) return NULL;
    plan *empty = plan_new(s->a, PLAN_VALUES, NULL, 0, 0);
    return empty ? df_new(s, empty) : nomem();
}

KILN_API kiln_df *kiln_session_table(kiln_session *s, const char *name)
{
    if (!s || !name) return NULL;
    const plan *p = sql_catalog_lookup(s, name);
    if (!p) {
        kiln_set_error(KILN_ESQL,
                       "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found.", name);
        return NULL;
    }
    return df_new(s, (plan *)p);
}

KILN_API kiln_df *kiln_session_range(kiln_session *s, int64_t start, int64_t end, int64_t step,
                                     int num_partitions)
{
    if (!s) return NULL;
    if (step == 0) {
        kiln_set_error(KILN_EINVAL, "range: step cannot be 0");
        return NULL;
    }
    plan *p = plan_new(s->a, PLAN_RANGE, NULL, 0, 1);
    if (!p) return nomem();
    p->start = start;
    p->end = end;
    p->step = step;
    p->slices = num_partitions;
    p->cols[0] = (plan_col){"id", NULL, &col_type_i64, false};
    return df_new(s, p);
}

/* ---- Readers ---------------------------------------------------------------------- */

KILN_API kiln_reader *kiln_session_read(kiln_session *s)
{
    if (!s) return NULL;
    kiln_reader *r = calloc(1, sizeof *r);
    if (!r) return nomem();
    r->s = s;
    return r;
}

static void reader_free(kiln_reader *r)
{
    if (!r) return;
    for (int i = 0; i < r->nopts; i++) {
        free(r->keys[i]);
        free(r->values[i]);
    }
    free(r->keys);
    free(r->values);
    free(r->format);
    free((char *)r->schema);
    free(r);
}

KILN_API kiln_reader *kiln_reader_format(kiln_reader *r, const char *format)
{
    if (!r || !format) return r;
    free(r->format);
    r->format = strdup(format);
    return r;
}

KILN_API kiln_reader *kiln_reader_option(kiln_reader *r, const char *key, const char *value)
{
    if (!r || !key || !value) return r;
    char **k = realloc(r->keys, sizeof *k * (size_t)(r->nopts + 1));
    if (k) r->keys = k;
    char **v = realloc(r->values, sizeof *v * (size_t)(r->nopts + 1));
    if (v) r->values = v;
    if (!k || !v) {
        reader_free(r);
        return nomem();
    }
    r->keys[r->nopts] = strdup(key);
    r->values[r->nopts] = strdup(value);
    r->nopts++;
    return r;
}

KILN_API kiln_reader *kiln_reader_schema(kiln_reader *r, const char *ddl)
{
    if (!r || !ddl) return r;
    free((char *)r->schema);
    r->schema = strdup(ddl);
    return r;
}

KILN_API kiln_df *kiln_reader_load(kiln_reader *r, const char *path)
{
    if (!r) return NULL;
    kiln_session *s = r->s;
    kiln_df *df = NULL;
    col_schema schema, *given = NULL;
    if (!path) {
        kiln_set_error(KILN_EINVAL, "load: no path");
        goto done;
    }
    if (r->schema) {
        size_t at;
        if (col_schema_parse_ddl(s->a, r->schema, strlen(r->schema), &schema, &at)) {
            kiln_set_error(KILN_ESQL,
                           "[PARSE_SYNTAX_ERROR] Syntax error in the schema \"%s\" at position "
                           "%zu.",
                           r->schema, at);
            goto done;
        }
        given = &schema;
    }
    plan *p;
    if (sql_file_scan(s, s->a, r->format ? r->format : "csv", path, r->nopts,
                      (const char *const *)r->keys, (const char *const *)r->values, given, &p))
        goto done;
    df = df_new(s, p);
done:
    reader_free(r);
    return df;
}

KILN_API kiln_df *kiln_reader_csv(kiln_reader *r, const char *path)
{
    return kiln_reader_load(kiln_reader_format(r, "csv"), path);
}
KILN_API kiln_df *kiln_reader_json(kiln_reader *r, const char *path)
{
    return kiln_reader_load(kiln_reader_format(r, "json"), path);
}
KILN_API kiln_df *kiln_reader_text(kiln_reader *r, const char *path)
{
    return kiln_reader_load(kiln_reader_format(r, "text"), path);
}

/* ---- Binding columns ----------------------------------------------------------------- */

/* Parses c's text into an AST in the session's arena (positions index it). */
static int col_ast(kiln_col *c, ast_expr **out)
{
    return sql_parse_expr(c->s->a, c->text, out);
}

/* c over df's columns: its bound expression and output name. */
static int bind_col(kiln_df *df, kiln_col *c, binder *b, expr **out, const char **name,
                    ast_expr **ast)
{
    ast_expr *e;
    int rc = col_ast(c, &e);
    if (rc) return rc;
    anz z;
    sql_session_anz(df->s, df->s->a, c->text, &z);
    if ((rc = anz_bind(&z, b, e, out))) return rc;
    if (name) *name = c->alias ? c->alias : anz_expr_name(&z, e);
    if (ast) *ast = e;
    return KILN_OK;
}

static plan *project_plan(kiln_session *s, plan *in, expr **es, const char **names, int n)
{
    plan *p = plan_new(s->a, PLAN_PROJECT, &in, 1, n);
    if (!p || !(p->exprs = kiln_arena_alloc(s->a, sizeof *p->exprs * (size_t)(n ? n : 1))))
        return nomem();
    for (int i = 0; i < n; i++) {
        p->exprs[i] = es[i];
        const char *qual = NULL;
        if (es[i]->kind == EX_COL && es[i]->col >= 0 &&
            strcmp(names[i], in->cols[es[i]->col].name) == 0)
            qual = in->cols[es[i]->col].qualifier;
        p->cols[i] = (plan_col){names[i], qual, es[i]->type, es[i]->nullable};
    }
    return p;
}

/* Every column of in as it is (names kept). */
static int all_cols(kiln_session *s, const plan *in, expr ***es, const char ***names, int extra)
{
    int n = in->ncols;
    *es = kiln_arena_alloc(s->a, sizeof **es * (size_t)(n + extra + 1));
    *names = kiln_arena_alloc(s->a, sizeof **names * (size_t)(n + extra + 1));
    if (!*es || !*names) return KILN_ENOMEM;
    for (int i = 0; i < n; i++) {
        (*es)[i] = expr_col(s->a, i, in->cols[i].type, in->cols[i].nullable, in->cols[i].name);
        (*names)[i] = in->cols[i].name;
        if (!(*es)[i]) return KILN_ENOMEM;
    }
    return KILN_OK;
}

KILN_API kiln_df *kiln_df_select(kiln_df *df, kiln_col *const *cols, int n)
{
    if (!df || (n && !cols)) return NULL;
    kiln_session *s = df->s;
    /* A generator (explode(...)) among the columns: a Generate node under
     * the projection, which keeps df's columns first. */
    plan *gen = NULL;
    int gen_at = -1;
    for (int i = 0; i < n; i++) {
        ast_expr *e;
        if (!cols[i] || col_ast(cols[i], &e)) return NULL;
        anz z;
        sql_session_anz(s, s->a, cols[i]->text, &z);
        plan *g;
        int rc = anz_gen_item(&z, df->p, e, cols[i]->alias, &g);
        if (rc < 0) return NULL;
        if (rc == 1 && gen_at >= 0) {
            kiln_set_error(KILN_ESQL, "[UNSUPPORTED_GENERATOR.MULTI_GENERATOR] The generator is "
                                      "not supported: only one generator allowed per select");
            return NULL;
        }
        if (rc == 1) {
            gen = g;
            gen_at = i;
        }
    }
    int cap = n + (gen ? gen->ncols : df->p->ncols);
    expr **es = kiln_arena_alloc(s->a, sizeof *es * (size_t)(cap + 1));
    const char **names = kiln_arena_alloc(s->a, sizeof *names * (size_t)(cap + 1));
    if (!es || !names) return nomem();
    int k = 0;
    binder b = {df->p, NULL, "select", NULL, df_window_collect(s)};
    if (!b.wins) return NULL;
    for (int i = 0; i < n; i++) {
        if (!cols[i]) return NULL;
        if (i == gen_at) {
            for (int c = df->p->ncols; c < gen->ncols; c++) {
                const plan_col *pc = &gen->cols[c];
                if (!(es[k] = expr_col(s->a, c, pc->type, pc->nullable, pc->name))) return nomem();
                names[k++] = pc->name;
            }
            continue;
        }
        const char *t = cols[i]->text;
        size_t tl = strlen(t);
        if (strcmp(t, "*") == 0 || (tl > 2 && strcmp(t + tl - 2, ".*") == 0)) {
            const char *q = strcmp(t, "*") == 0 ? NULL : t;
            int added = 0;
            for (int c = 0; c < df->p->ncols; c++) {
                const plan_col *pc = &df->p->cols[c];
                if (q && !(pc->qualifier && strlen(pc->qualifier) == tl - 2 &&
                           strncasecmp(pc->qualifier, q, tl - 2) == 0))
                    continue;
                if (k == cap) break;
                es[k] = expr_col(s->a, c, pc->type, pc->nullable, pc->name);
                names[k++] = pc->name;
                added++;
            }
            if (q && !added) {
                kiln_set_error(KILN_ESQL,
                               "[CANNOT_RESOLVE_STAR_EXPAND] Cannot resolve %s given input "
                               "columns.",
                               t);
                return NULL;
            }
            continue;
        }
        if (k == cap) return nomem();
        if (bind_col(df, cols[i], &b, &es[k], &names[k], NULL)) return NULL;
        k++;
    }
    plan *in = gen ? gen : df->p;
    if (df_window_place(s, b.wins, &in, es, k)) return NULL;
    return df_new(s, project_plan(s, in, es, names, k));
}

KILN_API kiln_df *kiln_df_select_expr(kiln_df *df, const char *const *exprs, int n)
{
    if (!df || (n && !exprs)) return NULL;
    kiln_col **cols = kiln_arena_alloc(df->s->a, sizeof *cols * (size_t)(n ? n : 1));
    if (!cols) return nomem();
    for (int i = 0; i < n; i++) {
        /* "expr AS name" is parsed by the analyser's select item rules:
         * split a trailing alias here. */
        const char *t = exprs[i];
        if (!t) return NULL;
        const char *as = NULL;
        for (const char *p = t; (p = strcasestr(p, " as ")) != NULL; p += 4) as = p;
        if (as && !strpbrk(as + 4, " ()'\"")) {
            char *e = kiln_arena_alloc(df->s->a, (size_t)(as - t) + 1);
            if (!e) return nomem();
            memcpy(e, t, (size_t)(as - t));
            e[as - t] = 0;
            cols[i] = kiln_col_alias(kiln_expr(df->s, e), as + 4);
        } else {
            cols[i] = kiln_expr(df->s, t);
        }
        if (!cols[i]) return NULL;
    }
    return kiln_df_select(df, cols, n);
}

static kiln_df *filter_with(kiln_df *df, kiln_col *cond)
{
    if (!df || !cond) return NULL;
    binder b = {df->p, NULL, "filter"};
    expr *e;
    ast_expr *ast;
    if (bind_col(df, cond, &b, &e, NULL, &ast)) return NULL;
    anz z;
    sql_session_anz(df->s, df->s->a, cond->text, &z);
    if (anz_condition(&z, e, ast, "filter", &e)) return NULL;
    plan *in = df->p;
    plan *f = plan_new(df->s->a, PLAN_FILTER, &in, 1, in->ncols);
    if (!f) return nomem();
    memcpy(f->cols, in->cols, sizeof *f->cols * (size_t)in->ncols);
    f->pred = e;
    return df_new(df->s, f);
}

KILN_API kiln_df *kiln_df_filter(kiln_df *df, kiln_col *cond)
{
    return filter_with(df, cond);
}

KILN_API kiln_df *kiln_df_where(kiln_df *df, const char *sql_condition)
{
    return df ? filter_with(df, kiln_expr(df->s, sql_condition)) : NULL;
}

KILN_API kiln_df *kiln_df_with_column(kiln_df *df, const char *name, kiln_col *c)
{
    if (!df || !name || !c) return NULL;
    kiln_session *s = df->s;
    expr **es;
    const char **names;
    if (all_cols(s, df->p, &es, &names, 1)) return nomem();
    binder b = {df->p, NULL, "withColumn", NULL, df_window_collect(s)};
    expr *e;
    plan *in = df->p;
    if (!b.wins || bind_col(df, c, &b, &e, NULL, NULL) || df_window_place(s, b.wins, &in, &e, 1))
        return NULL;
    char *n = kiln_arena_alloc(s->a, strlen(name) + 1);
    if (!n) return nomem();
    strcpy(n, name);
    int k = df->p->ncols;
    for (int i = 0; i < df->p->ncols; i++)
        if (strcasecmp(df->p->cols[i].name, name) == 0) {
            es[i] = e;
            names[i] = n;
            return df_new(s, project_plan(s, in, es, names, k));
        }
    es[k] = e;
    names[k] = n;
    return df_new(s, project_plan(s, in, es, names, k + 1));
}

KILN_API kiln_df *kiln_df_with_column_renamed(kiln_df *df, const char *from, const char *to)
{
    if (!df || !from || !to) return NULL;
    kiln_session *s = df->s;
    expr **es;
    const char **names;
    if (all_cols(s, df->p, &es, &names, 0)) return nomem();
    char *n = kiln_arena_alloc(s->a, strlen(to) + 1);
    if (!n) return nomem();
    strcpy(n, to);
    for (int i = 0; i < df->p->ncols; i++)
        if (strcasecmp(names[i], from) == 0) names[i] = n;
    /* Spark: renaming a column that does not exist is a no-op. */
    return df_new(s, project_plan(s, df->p, es, names, df->p->ncols));
}

KILN_API kiln_df *kiln_df_drop(kiln_df *df, const char *const *drop, int n)
{
    if (!df || (n && !drop)) return NULL;
    kiln_session *s = df->s;
    expr **es;
    const char **names;
    if (all_cols(s, df->p, &es, &names, 0)) return nomem();
    int k = 0;
    for (int i = 0; i < df->p->ncols; i++) {
        bool gone = false;
        for (int j = 0; j < n && !gone; j++)
            gone = drop[j] && strcasecmp(df->p->cols[i].name, drop[j]) == 0;
        if (!gone) {
            es[k] = es[i];
            names[k++] = names[i];
        }
    }
    return df_new(s, project_plan(s, df->p, es, names, k));
}

KILN_API kiln_df *kiln_df_alias(kiln_df *df, const char *name)
{
    if (!df || !name) return NULL;
    kiln_session *s = df->s;
    plan *q = kiln_arena_alloc(s->a, sizeof *q);
    plan_col *cols = kiln_arena_alloc(s->a, sizeof *cols * (size_t)(df->p->ncols + 1));
    char *n = kiln_arena_alloc(s->a, strlen(name) + 1);
    if (!q || !cols || !n) return nomem();
    strcpy(n, name);
    *q = *df->p;
    memcpy(cols, df->p->cols, sizeof *cols * (size_t)df->p->ncols);
    for (int i = 0; i < df->p->ncols; i++) cols[i].qualifier = n;
    q->cols = cols;
    return df_new(s, q);
}

static plan *same_cols(kiln_session *s, plan_kind kind, plan *in)
{
    plan *p = plan_new(s->a, kind, &in, 1, in->ncols);
    if (!p) return nomem();
    memcpy(p->cols, in->cols, sizeof *p->cols * (size_t)in->ncols);
    return p;
}

KILN_API kiln_df *kiln_df_limit(kiln_df *df, int64_t n)
{
    if (!df) return NULL;
    if (n < 0) {
        kiln_set_error(KILN_ESQL, "[INVALID_LIMIT_LIKE_EXPRESSION.IS_NEGATIVE] The limit "
                                  "expression must be equal to or greater than 0.");
        return NULL;
    }
    plan *p = same_cols(df->s, PLAN_LIMIT, df->p);
    if (!p) return NULL;
    p->limit = n;
    return df_new(df->s, p);
}

KILN_API kiln_df *kiln_df_distinct(kiln_df *df)
{
    return df ? df_new(df->s, same_cols(df->s, PLAN_DISTINCT, df->p)) : NULL;
}

KILN_API kiln_df *kiln_df_order_by(kiln_df *df, kiln_col *const *cols, int n)
{
    if (!df || (n && !cols)) return NULL;
    kiln_session *s = df->s;
    plan *p = same_cols(s, PLAN_SORT, df->p);
    if (!p || !(p->order = kiln_arena_alloc(s->a, sizeof *p->order * (size_t)(n ? n : 1))))
        return nomem();
    binder b = {df->p, NULL, "orderBy"};
    for (int i = 0; i < n; i++) {
        if (!cols[i]) return NULL;
        expr *e;
        if (bind_col(df, cols[i], &b, &e, NULL, NULL)) return NULL;
        int o = cols[i]->order;
        bool desc = o == COL_ORDER_DESC || o == COL_ORDER_DESC_NULLS_FIRST;
        bool nulls_first = o == COL_ORDER_DESC_NULLS_FIRST ||
                           (!desc && o != COL_ORDER_ASC_NULLS_LAST);
        p->order[i] = (plan_order){e, desc, nulls_first};
    }
    p->norder = n;
    return df_new(s, p);
}

/* A plan of p's columns cast to types (by position). */
static plan *cast_cols(kiln_session *s, plan *p, const col_type *const *types)
{
    expr **es;
    const char **names;
    if (all_cols(s, p, &es, &names, 0)) return nomem();
    bool same = true;
    for (int i = 0; i < p->ncols; i++) {
        if (col_type_eq(p->cols[i].type, types[i])) continue;
        same = false;
        if (!(es[i] = expr_cast(s->a, es[i], types[i], false, names[i]))) return nomem();
    }
    return same ? p : project_plan(s, p, es, names, p->ncols);
}

KILN_API kiln_df *kiln_df_union(kiln_df *a, kiln_df *b)
{
    if (!a || !b) return NULL;
    kiln_session *s = a->s;
    if (a->p->ncols != b->p->ncols) {
        kiln_set_error(KILN_ESQL,
                       "[NUM_COLUMNS_MISMATCH] UNION can only be performed on inputs with the "
                       "same number of columns, but the first input has %d columns and the "
                       "second input has %d columns.",
                       a->p->ncols, b->p->ncols);
        return NULL;
    }
    const col_type **types = kiln_arena_alloc(s->a, sizeof *types * (size_t)(a->p->ncols + 1));
    if (!types) return nomem();
    for (int i = 0; i < a->p->ncols; i++) {
        const col_type *x = a->p->cols[i].type, *y = b->p->cols[i].type;
        types[i] = x->kind == COL_NULL   ? y
                   : y->kind == COL_NULL ? x
                                         : fn_common_type(s->a, x, y, s->set.ansi);
        if (!types[i]) {
            kiln_set_error(KILN_ESQL,
                           "[INCOMPATIBLE_COLUMN_TYPE] UNION can only be performed on inputs "
                           "with compatible column types: column %d (%s) differs.",
                           i + 1, a->p->cols[i].name);
            return NULL;
        }
    }
    plan *in[2] = {cast_cols(s, a->p, types), cast_cols(s, b->p, types)};
    if (!in[0] || !in[1]) return NULL;
    plan *u = plan_new(s->a, PLAN_UNION, in, 2, a->p->ncols);
    if (!u) return nomem();
    for (int i = 0; i < a->p->ncols; i++) {
        u->cols[i] = a->p->cols[i];
        u->cols[i].type = types[i];
        u->cols[i].nullable = a->p->cols[i].nullable || b->p->cols[i].nullable;
    }
    return df_new(s, u);
}

KILN_API kiln_df *kiln_df_union_by_name(kiln_df *a, kiln_df *b)
{
    if (!a || !b) return NULL;
    kiln_session *s = a->s;
    if (a->p->ncols != b->p->ncols) {
        kiln_set_error(KILN_ESQL, "[NUM_COLUMNS_MISMATCH] unionByName needs the same columns "
                                  "on both sides.");
        return NULL;
    }
    expr **es = kiln_arena_alloc(s->a, sizeof *es * (size_t)(a->p->ncols + 1));
    const char **names = kiln_arena_alloc(s->a, sizeof *names * (size_t)(a->p->ncols + 1));
    if (!es || !names) return nomem();
    for (int i = 0; i < a->p->ncols; i++) {
        int j = -1;
        for (int k = 0; k < b->p->ncols && j < 0; k++)
            if (strcasecmp(a->p->cols[i].name, b->p->cols[k].name) == 0) j = k;
        if (j < 0) {
            kiln_set_error(KILN_ESQL,
                           "[UNRESOLVED_COLUMN] unionByName: the second DataFrame has no "
                           "column `%s`.",
                           a->p->cols[i].name);
            return NULL;
        }
        const plan_col *c = &b->p->cols[j];
        es[i] = expr_col(s->a, j, c->type, c->nullable, c->name);
        names[i] = a->p->cols[i].name;
        if (!es[i]) return nomem();
    }
    kiln_df *reordered = df_new(s, project_plan(s, b->p, es, names, a->p->ncols));
    kiln_df *u = kiln_df_union(a, reordered);
    kiln_df_free(reordered);
    return u;
}

static plan_join join_kind(const char *how, bool *ok)
{
    static const struct {
        const char *name;
        plan_join t;
    } kinds[] = {
        {"inner", PJ_INNER}, {"cross", PJ_CROSS},      {"outer", PJ_FULL},
        {"full", PJ_FULL},   {"fullouter", PJ_FULL},   {"full_outer", PJ_FULL},
        {"left", PJ_LEFT},   {"leftouter", PJ_LEFT},   {"left_outer", PJ_LEFT},
        {"right", PJ_RIGHT}, {"rightouter", PJ_RIGHT}, {"right_outer", PJ_RIGHT},
        {"semi", PJ_SEMI},   {"leftsemi", PJ_SEMI},    {"left_semi", PJ_SEMI},
        {"anti", PJ_ANTI},   {"leftanti", PJ_ANTI},    {"left_anti", PJ_ANTI},
    };
    *ok = true;
    if (!how) return PJ_INNER;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcasecmp(how, kinds[i].name) == 0) return kinds[i].t;
    *ok = false;
    return PJ_INNER;
}

KILN_API kiln_df *kiln_df_join_on(kiln_df *df, kiln_df *other, kiln_col *cond, const char *how)
{
    if (!df || !other) return NULL;
    bool ok;
    plan_join jt = join_kind(how, &ok);
    if (!ok) {
        kiln_set_error(KILN_ESQL,
                       "[UNSUPPORTED_JOIN_TYPE] Unsupported join type '%s'. Supported join "
                       "types include: 'inner', 'outer', 'full', 'fullouter', 'full_outer', "
                       "'leftouter', 'left', 'left_outer', 'rightouter', 'right', "
                       "'right_outer', 'leftsemi', 'left_semi', 'semi', 'leftanti', "
                       "'left_anti', 'anti', 'cross'.",
                       how);
        return NULL;
    }
    kiln_session *s = df->s;
    anz z;
    sql_session_anz(s, s->a, NULL, &z);
    plan *j = anz_join_node(&z, df->p, other->p, jt);
    if (!j) return NULL;
    expr *e = NULL;
    if (cond) {
        /* The condition sees both sides' columns. */
        plan *scope = anz_join_node(&z, df->p, other->p, PJ_INNER);
        binder b = {scope, NULL, "join"};
        ast_expr *ast;
        if (!scope || bind_col(df, cond, &b, &e, NULL, &ast)) return NULL;
        sql_session_anz(s, s->a, cond->text, &z);
        if (anz_condition(&z, e, ast, "join", &e)) return NULL;
    }
    if (anz_join_keys(&z, j, e)) return NULL;
    return df_new(s, j);
}

KILN_API kiln_df *kiln_df_join(kiln_df *df, kiln_df *other, const char *const *on, int n,
                               const char *how)
{
    if (!df || !other || (n && !on)) return NULL;
    if (n == 0) return kiln_df_join_on(df, other, NULL, how ? how : "cross");
    kiln_session *s = df->s;
    /* on = [a, b]: l.a = r.a AND ...; the output has each key once. */
    kiln_df *l = kiln_df_alias(df, "__l"), *r = kiln_df_alias(other, "__r");
    kiln_buf cond;
    kiln_buf_init(&cond);
    for (int i = 0; i < n; i++) {
        if (i) kiln_buf_append(&cond, " AND ", 5);
        char buf[512];
        int k = snprintf(buf, sizeof buf, "`__l`.`%s` = `__r`.`%s`", on[i], on[i]);
        kiln_buf_append(&cond, buf, (size_t)k);
    }
    kiln_buf_append(&cond, "", 1);
    kiln_df *j = kiln_df_join_on(l, r, kiln_expr(s, (char *)cond.data), how);
    kiln_buf_release(&cond);
    bool ok;
    plan_join jt = join_kind(how, &ok);
    kiln_df *out = NULL;
    if (j && (jt == PJ_SEMI || jt == PJ_ANTI)) {
        out = kiln_df_alias(j, "__j");
    } else if (j) {
        /* Keys first (from the left, or the right for a right join, or
         * coalesced for a full join), then the others of each side. */
        int nl = df->p->ncols, nr = other->p->ncols;
        expr **es = kiln_arena_alloc(s->a, sizeof *es * (size_t)(nl + nr + 1));
        const char **names = kiln_arena_alloc(s->a, sizeof *names * (size_t)(nl + nr + 1));
        int k = 0;
        if (!es || !names) goto fail;
        for (int i = 0; i < n; i++) {
            int li = -1, ri = -1;
            for (int c = 0; c < nl && li < 0; c++)
                if (strcasecmp(df->p->cols[c].name, on[i]) == 0) li = c;
            for (int c = 0; c < nr && ri < 0; c++)
                if (strcasecmp(other->p->cols[c].name, on[i]) == 0) ri = c;
            const plan_col *lc = &j->p->cols[li], *rc = &j->p->cols[nl + ri];
            expr *le = expr_col(s->a, li, lc->type, lc->nullable, lc->name);
            expr *re = expr_col(s->a, nl + ri, rc->type, rc->nullable, rc->name);
            if (jt == PJ_RIGHT) es[k] = re;
            else if (jt == PJ_FULL) {
                expr *args[2] = {le, re};
                es[k] = expr_call(s->a, "coalesce", args, 2, s->set.ansi, s->set.tz, on[i]);
            } else es[k] = le;
            if (!es[k]) goto fail;
            names[k++] = lc->name;
        }
        for (int c = 0; c < nl + nr; c++) {
            const plan_col *pc = &j->p->cols[c];
            bool key = false;
            for (int i = 0; i < n && !key; i++) key = strcasecmp(pc->name, on[i]) == 0;
            if (key) continue;
            es[k] = expr_col(s->a, c, pc->type, pc->nullable, pc->name);
            names[k++] = pc->name;
        }
        plan *p = project_plan(s, j->p, es, names, k);
        if (p)
            for (int c = 0; c < k; c++) p->cols[c].qualifier = NULL;
        out = df_new(s, p);
    }
fail:
    kiln_df_free(l);
    kiln_df_free(r);
    kiln_df_free(j);
    return out;
}

KILN_API int kiln_df_create_or_replace_temp_view(kiln_df *df, const char *name)
{
    if (!df || !name) return kiln_set_error(KILN_EINVAL, "createOrReplaceTempView: NULL argument");
    return sql_catalog_put(df->s, name, df->p, true, NULL);
}
