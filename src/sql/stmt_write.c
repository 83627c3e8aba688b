/*
 * sql/stmt_write.c - the statements that write: INSERT INTO|OVERWRITE
 * [TABLE] t [(cols)] query and CREATE [OR REPLACE] TABLE t USING fmt
 * OPTIONS (path '...', ...) AS query.
 *
 * INSERT takes the query's columns by position (or by the listed names,
 * the table's other columns getting NULL) cast to the table's types, as
 * Spark's store assignment does. A table made by CREATE TABLE ... AS (rows
 * in memory, PLAN_VALUES) gets the rows added (or replacing its rows); a
 * table or view USING csv / json / text gets them written into its path
 * (sql_write: append or overwrite). A cached table is uncached first.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/analyze_int.h"
#include "sql/df_int.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory in a SQL statement");
}

int sql_values_plan(kiln_session *s, const plan *q, const col_batch *keep, int nkeep,
                    sql_result *res, plan **out)
{
    plan *p = plan_new(s->a, PLAN_VALUES, NULL, 0, q->ncols);
    if (!p) return oom();
    memcpy(p->cols, q->cols, sizeof *p->cols * (size_t)q->ncols);
    for (int i = 0; i < q->ncols; i++) p->cols[i].qualifier = NULL;
    p->batches = kiln_arena_alloc(s->a, sizeof *p->batches * (size_t)(nkeep + res->nbatches + 1));
    if (!p->batches) return oom();
    if (nkeep) memcpy(p->batches, keep, sizeof *keep * (size_t)nkeep);
    p->nbatches = nkeep;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = KILN_OK;
    for (int i = 0; !rc && i < res->nbatches; i++) {
        if (!res->batches[i].n) continue;
        b.len = 0;
        rc = col_batch_encode(&b, &res->batches[i]);
        uint8_t *copy = rc ? NULL : kiln_arena_alloc(s->a, b.len);
        if (!rc && !copy) rc = oom();
        if (!rc) {
            memcpy(copy, b.data, b.len);
            rc = col_batch_decode(&p->batches[p->nbatches++], s->a, copy, b.len);
        }
    }
    kiln_buf_release(&b);
    if (!rc) *out = p;
    return rc;
}

int sql_using_options(kiln_session *s, const ast_stmt_create_table *c, const char **path,
                      const char ***keys, const char ***vals, int *n)
{
    *path = c->location;
    *n = 0;
    *keys = kiln_arena_alloc(s->a, sizeof **keys * (size_t)(c->noptions + 1));
    *vals = kiln_arena_alloc(s->a, sizeof **vals * (size_t)(c->noptions + 1));
    if (!*keys || !*vals) return oom();
    for (int i = 0; i < c->noptions; i++) {
        if (strcasecmp(c->options[i].key, "path") == 0) {
            *path = c->options[i].value;
            continue;
        }
        (*keys)[*n] = c->options[i].key;
        (*vals)[(*n)++] = c->options[i].value;
    }
    return KILN_OK;
}

static sql_view *find(kiln_session *s, const char *name)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) return &s->views[i];
    return NULL;
}

/* `a`, `b` of p's columns (in a). */
static const char *col_list(kiln_arena *a, const plan *p)
{
    kiln_buf b;
    kiln_buf_init(&b);
    for (int i = 0; i < p->ncols; i++) {
        if (i) kiln_buf_append(&b, ", ", 2);
        kiln_buf_append(&b, "`", 1);
        kiln_buf_append(&b, p->cols[i].name, strlen(p->cols[i].name));
        kiln_buf_append(&b, "`", 1);
    }
    kiln_buf_append(&b, "", 1);
    char *s = kiln_arena_alloc(a, b.len);
    if (s) memcpy(s, b.data, b.len);
    kiln_buf_release(&b);
    return s ? s : "";
}

/* The query q shaped as the table t's columns: by position, or by the
 * listed names (the others NULL), cast to t's types. */
static int shape(kiln_session *s, anz *z, const ast_stmt_insert *ins, const char *name,
                 const plan *t, plan *q, const char *const *stat, const bool *stat_null, plan **out)
{
    int nstat = 0;
    for (int i = 0; stat && i < t->ncols; i++) nstat += stat[i] || stat_null[i];
    int want = ins->ncols ? ins->ncols : t->ncols - nstat;
    if (q->ncols != want)
        return anz_error(z, ins->s.pos, 6, "INSERT_COLUMN_ARITY_MISMATCH", "21S01",
                         "Cannot write to `%s`, the reason is %s data columns:\nTable columns: "
                         "%s.\nData columns: %s.",
                         name, q->ncols < want ? "not enough" : "too many", col_list(s->a, t),
                         col_list(s->a, q));
    int *src = kiln_arena_alloc(s->a, sizeof *src * (size_t)(t->ncols + 1));
    if (!src) return oom();
    for (int i = 0, j = 0; i < t->ncols; i++)
        src[i] = ins->ncols || (stat && (stat[i] || stat_null[i])) ? -1 : j++;
    for (int j = 0; j < ins->ncols; j++) {
        int i = 0;
        while (i < t->ncols && strcasecmp(t->cols[i].name, ins->cols[j])) i++;
        if (i == t->ncols)
            return anz_error(z, ins->s.pos, 6, "UNRESOLVED_COLUMN.WITH_SUGGESTION", "42703",
                             "A column, variable, or function parameter with name `%s` cannot "
                             "be resolved. Did you mean one of the following? [%s].",
                             ins->cols[j], col_list(s->a, t));
        if (src[i] >= 0)
            return anz_error(z, ins->s.pos, 6, "COLUMN_ALREADY_EXISTS", "42711",
                             "The column `%s` already exists. Choose another name or rename "
                             "the existing column.",
                             ins->cols[j]);
        src[i] = j;
    }
    plan *p = plan_new(s->a, PLAN_PROJECT, &q, 1, t->ncols);
    if (!p || !(p->exprs = kiln_arena_alloc(s->a, sizeof *p->exprs * (size_t)(t->ncols + 1))))
        return oom();
    for (int i = 0; i < t->ncols; i++) {
        const col_type *ty = t->cols[i].type;
        col_str text = stat && stat[i] ? col_str_view(stat[i], (uint32_t)strlen(stat[i]))
                                       : col_str_view("", 0);
        expr *e = stat && stat[i] ? expr_lit(s->a, &col_type_string, &text, stat[i])
                  : src[i] < 0    ? expr_lit(s->a, ty, NULL, "NULL")
                                  : expr_col(s->a, src[i], q->cols[src[i]].type,
                                             q->cols[src[i]].nullable, q->cols[src[i]].name);
        if (e && !col_type_eq(e->type, ty)) e = expr_cast(s->a, e, ty, false, t->cols[i].name);
        if (!e) return oom();
        p->exprs[i] = e;
        p->cols[i] = (plan_col){t->cols[i].name, NULL, ty, true};
    }
    *out = p;
    return KILN_OK;
}

static int insert(kiln_session *s, const char *sql, const ast_stmt_insert *ins)
{
    const char *name = ins->table.parts[ins->table.n - 1];
    sql_view *v = find(s, name);
    if (!v)
        return kiln_set_error(KILN_ESQL,
                              "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found. "
                              "SQLSTATE: 42P01",
                              name);
    int rc;
    if (v->orig && (rc = sql_uncache_table(s, name))) return rc;
    v = find(s, name);
    const plan *t = v->p;
    anz z;
    sql_session_anz(s, s->a, sql, &z);
    if (t->kind != PLAN_VALUES && !(t->kind == PLAN_SCAN && !strchr(t->src.paths, ',')))
        return anz_error(&z, ins->s.pos, 6, "UNSUPPORTED_INSERT.NOT_ALLOWED", "42809",
                         "Can't insert into the target. `%s` is a view over a query: insert "
                         "into a table made by CREATE TABLE ... AS or a view USING a file "
                         "source.",
                         name);
    plan *q, *p = NULL;
    sql_write_part wp = {0};
    const char **stat = NULL;
    bool *stat_null = NULL;
    if ((rc = sql_insert_partitions(s, &z, ins, name, t, &wp, &stat, &stat_null))) return rc;
    if ((rc = anz_query(&z, ins->query, &q)) ||
        (rc = shape(s, &z, ins, name, t, q, stat, stat_null, &p)))
        return rc;
    if (t->kind == PLAN_SCAN) {
        rc = sql_write_partitioned(s, p, t->src.format,
                                   ins->overwrite ? SQL_SAVE_OVERWRITE : SQL_SAVE_APPEND,
                                   t->src.nopts, t->src.keys, t->src.values, t->src.paths, &wp);
        /* Partition directories made by this write become columns. */
        return rc ? rc : sql_table_refresh(s, name);
    }
    sql_result res;
    if ((rc = sql_session_collect(s, p, &res))) return rc;
    plan *values;
    rc = sql_values_plan(s, t, t->batches, ins->overwrite ? 0 : t->nbatches, &res, &values);
    sql_result_release(&res);
    if (rc) return rc;
    /* DataFrames of the table hold its old plan: they keep the old rows. */
    return sql_catalog_put(s, name, values, true, NULL);
}

/* CREATE TABLE t USING fmt OPTIONS (path ...) AS query: the rows written
 * to path, t a view over them. */
static int create_as(kiln_session *s, const char *sql, const ast_stmt_create_table *c)
{
    const char *name = c->name.parts[c->name.n - 1];
    anz z;
    sql_session_anz(s, s->a, sql, &z);
    if (find(s, name)) {
        if (c->if_not_exists) return KILN_OK;
        if (!c->or_replace)
            return anz_error(&z, c->s.pos, 6, "TABLE_OR_VIEW_ALREADY_EXISTS", "42P07",
                             "Cannot create table or view `%s` because it already exists.", name);
    }
    if (c->ncols)
        return anz_error(&z, c->s.pos, 6, "_LEGACY_ERROR_TEMP_0035", "42000",
                         "Operation not allowed: Schema may not be specified in a Create Table "
                         "As Select (CTAS) statement.");
    const char *path, **keys, **vals;
    int n;
    if (sql_using_options(s, c, &path, &keys, &vals, &n)) return oom();
    if (!path && !(path = sql_managed_path(s, name))) return oom();
    plan *q;
    int rc = anz_query(&z, c->query, &q);
    sql_write_part wp = {c->npartitioned_by, c->partitioned_by, 0, NULL};
    if (rc || (rc = sql_write_partitioned(s, q, c->using,
                                          c->or_replace ? SQL_SAVE_OVERWRITE : SQL_SAVE_ERROR, n,
                                          keys, vals, path, &wp)))
        return rc;
    /* The table's columns: the data columns, then the partition columns
     * in PARTITIONED BY order (Spark's). */
    col_schema schema = {0, kiln_arena_alloc(s->a, sizeof(col_field) * (size_t)(q->ncols + 1))};
    if (!schema.fields) return oom();
    for (int k = -1; k < c->npartitioned_by; k++)
        for (int i = 0; i < q->ncols; i++) {
            int at = -1;
            for (int j = 0; j < c->npartitioned_by; j++)
                if (strcasecmp(q->cols[i].name, c->partitioned_by[j]) == 0) at = j;
            if (at == k)
                schema.fields[schema.n++] = (col_field){q->cols[i].name, q->cols[i].type, true};
        }
    plan *scan;
    if ((rc = sql_file_scan(s, s->a, c->using, path, n, keys, vals, &schema, &scan))) return rc;
    if ((rc = sql_catalog_put(s, name, scan, true, NULL))) return rc;
    const char *given, **k2, **v2;
    int n2;
    if (sql_using_options(s, c, &given, &k2, &v2, &n2)) return oom();
    return sql_table_note(s, name, c, given == NULL);
}

int sql_stmt_write(kiln_session *s, const char *sql, const ast_stmt *st)
{
    if (st->kind == AST_STMT_INSERT) return insert(s, sql, (const ast_stmt_insert *)st);
    if (st->kind == AST_STMT_CREATE_TABLE && ((const ast_stmt_create_table *)st)->using &&
        ((const ast_stmt_create_table *)st)->query)
        return create_as(s, sql, (const ast_stmt_create_table *)st);
    return 1;
}
