/*
 * sql/session.c - SQL sessions (sql_session.h): settings, the catalog of
 * temporary views, and statements: queries, EXPLAIN, CREATE VIEW (also
 * USING a file source), CREATE TABLE ... AS, DROP, DESCRIBE, SHOW TABLES,
 * SET and RESET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>

#include "base/base.h"
#include "datasource/datasource.h"
#include "sql/analyze_int.h"
#include "sql/df_int.h"
#include "sql/optimize.h"
#include "sql/scan_int.h"
#include "sql/session_int.h"
#include "sql/sql_error.h"

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "out of memory in a SQL session");
}

static int64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int sql_session_new(kiln_context *ctx, kiln_session **out)
{
    sql_conf_register();
    kiln_session *s = calloc(1, sizeof *s);
    if (!s || !(s->a = kiln_arena_new())) {
        free(s);
        return oom();
    }
    s->ctx = ctx;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->dfs_lock, NULL);
    s->set.ansi = true;
    snprintf(s->set.tz, sizeof s->set.tz, "UTC");
    s->set.shuffle_partitions = kiln_context_cores(ctx);
    s->set.broadcast_bytes = 10 << 20;
    s->set.execution = -1;
    static const char *const keys[] = {"kiln.sql.ansi.enabled", "kiln.sql.session.timeZone",
                                       "kiln.sql.shuffle.partitions",
                                       "kiln.sql.autoBroadcastJoinThreshold"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = kiln_context_conf(ctx, keys[i]);
        if (v && sql_session_set(s, keys[i], v) != KILN_OK) {
            sql_session_free(s);
            return KILN_ECONF;
        }
    }
    *out = s;
    return KILN_OK;
}

void sql_session_free(kiln_session *s)
{
    if (!s) return;
    for (int i = 0; i < s->nviews; i++)
        if (s->views[i].rdd) kiln_rdd_free(s->views[i].rdd);
    free(s->views);
    for (int i = 0; i < s->nconf; i++) {
        free(s->conf[i].key);
        free(s->conf[i].value);
    }
    free(s->conf);
    sql_udf_free(s);
    for (struct kiln_df *d = s->dfs, *n; d; d = n) {
        n = d->next;
        df_release(d);
    }
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->dfs_lock);
    kiln_arena_free(s->a);
    free(s);
}

/* A Spark key (spark.sql.x) means the kiln one (kiln.sql.x). */
static const char *canonical(const char *key, char *buf, size_t size)
{
    if (strncmp(key, "spark.", 6) == 0) {
        snprintf(buf, size, "kiln.%s", key + 6);
        return buf;
    }
    return key;
}

int sql_session_set(kiln_session *s, const char *key, const char *value)
{
    char kb[256];
    key = canonical(key, kb, sizeof kb);
    if (strcmp(key, "kiln.sql.ansi.enabled") == 0) {
        if (parse_bool(value, &s->set.ansi))
            return kiln_set_error(KILN_ECONF, "kiln.sql.ansi.enabled: '%s' is not a boolean",
                                  value);
    } else if (strcmp(key, "kiln.sql.session.timeZone") == 0) {
        if (!*value || strlen(value) >= sizeof s->set.tz)
            return kiln_set_error(KILN_ECONF, "kiln.sql.session.timeZone: '%s' is not a zone",
                                  value);
        snprintf(s->set.tz, sizeof s->set.tz, "%s", value);
    } else if (strcmp(key, "kiln.sql.shuffle.partitions") == 0) {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || n < 1 || n > (1 << 20))
            return kiln_set_error(KILN_ECONF,
                                  "kiln.sql.shuffle.partitions: '%s' is not a positive count",
                                  value);
        s->set.shuffle_partitions = (int)n;
    } else if (strcmp(key, "kiln.sql.autoBroadcastJoinThreshold") == 0) {
        int64_t n;
        if (strcmp(value, "-1") == 0) n = -1;
        else if (parse_size(value, &n))
            return kiln_set_error(KILN_ECONF,
                                  "kiln.sql.autoBroadcastJoinThreshold: '%s' is not a size "
                                  "(bytes, 10m, 1g) or -1",
                                  value);
        s->set.broadcast_bytes = n;
    } else if (strcmp(key, "kiln.sql.files.maxPartitionBytes") == 0 ||
               strcmp(key, "kiln.sql.files.openCostInBytes") == 0) {
        int64_t n;
        if (parse_size(value, &n) || n < 0)
            return kiln_set_error(KILN_ECONF, "%s: '%s' is not a size (bytes, 4m, 1g)", key, value);
        if (key[15] == 'm') s->set.files_max_bytes = n > 0 ? n : 1;
        else s->set.files_open_cost = n + 1;
    } else if (strcmp(key, "kiln.sql.files.minPartitionNum") == 0) {
        char *end;
        long n = strtol(value, &end, 10);
        if (*end || n < 1 || n > (1 << 30))
            return kiln_set_error(KILN_ECONF,
                                  "kiln.sql.files.minPartitionNum: '%s' is not a positive count",
                                  value);
        s->set.files_min_parts = (int)n;
    }
    for (int i = 0; i < s->nconf; i++)
        if (strcmp(s->conf[i].key, key) == 0) {
            char *v = strdup(value);
            if (!v) return oom();
            free(s->conf[i].value);
            s->conf[i].value = v;
            return KILN_OK;
        }
    void *g = realloc(s->conf, sizeof *s->conf * (size_t)(s->nconf + 1));
    if (!g) return oom();
    s->conf = g;
    s->conf[s->nconf].key = strdup(key);
    s->conf[s->nconf].value = strdup(value);
    if (!s->conf[s->nconf].key || !s->conf[s->nconf].value) return oom();
    s->nconf++;
    return KILN_OK;
}

const char *sql_session_get(kiln_session *s, const char *key)
{
    char kb[256];
    key = canonical(key, kb, sizeof kb);
    for (int i = 0; i < s->nconf; i++)
        if (strcmp(s->conf[i].key, key) == 0) return s->conf[i].value;
    return kiln_context_conf(s->ctx, key);
}

void sql_session_fn_ctx(kiln_session *s, kiln_arena *a, fn_ctx *out)
{
    memset(out, 0, sizeof *out);
    out->arena = a;
    out->ansi = s->set.ansi;
    out->tz = s->set.tz;
    out->now_us = now_us();
}

/* ---- Catalog ------------------------------------------------------------------ */

const plan *sql_catalog_lookup(kiln_session *s, const char *name)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) return s->views[i].p;
    return NULL;
}

static const plan *lookup_cb(void *arg, const char *name)
{
    return sql_catalog_lookup(arg, name);
}

int sql_catalog_put(kiln_session *s, const char *name, plan *p, bool replace, kiln_rdd *rdd)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) {
            if (!replace)
                return kiln_set_error(KILN_ESQL,
                                      "[TEMP_TABLE_OR_VIEW_ALREADY_EXISTS] Cannot create the "
                                      "temporary view `%s` because it already exists. Choose a "
                                      "different name, drop or replace the existing view, or "
                                      "add the IF NOT EXISTS clause to tolerate pre-existing "
                                      "views. SQLSTATE: 42P07",
                                      name);
            if (s->views[i].rdd) kiln_rdd_free(s->views[i].rdd);
            s->views[i] = (sql_view){s->views[i].name, p, rdd, NULL, KILN_STORAGE_NONE};
            return KILN_OK;
        }
    void *g = realloc(s->views, sizeof *s->views * (size_t)(s->nviews + 1));
    char *n = kiln_arena_alloc(s->a, strlen(name) + 1);
    if (!g || !n) return oom();
    strcpy(n, name);
    s->views = g;
    s->views[s->nviews++] = (sql_view){n, p, rdd, NULL, KILN_STORAGE_NONE};
    return KILN_OK;
}

static int drop_view(kiln_session *s, const char *name, bool if_exists)
{
    for (int i = 0; i < s->nviews; i++)
        if (strcasecmp(s->views[i].name, name) == 0) {
            if (s->views[i].rdd) kiln_rdd_free(s->views[i].rdd);
            memmove(&s->views[i], &s->views[i + 1], sizeof *s->views * (size_t)(s->nviews - i - 1));
            s->nviews--;
            return KILN_OK;
        }
    if (if_exists) return KILN_OK;
    return kiln_set_error(KILN_ESQL,
                          "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot be found.",
                          name);
}

int sql_file_scan(kiln_session *s, kiln_arena *a, const char *format, const char *paths, int nopts,
                  const char *const *keys, const char *const *values, const col_schema *schema,
                  plan **out)
{
    if (strcasecmp(format, "csv") && strcasecmp(format, "json") && strcasecmp(format, "text") &&
        strcasecmp(format, "parquet"))
        return kiln_set_error(KILN_ESQL,
                              "[UNSUPPORTED_DATASOURCE_FOR_DIRECT_QUERY] Unsupported data source "
                              "type for direct query on files: %s",
                              format);
    if (strcasecmp(format, "parquet") == 0) {
        int rc = sql_parquet_read_options(s, a, &nopts, &keys, &values);
        if (rc) return rc;
    }
    ds_options *o = ds_options_new();
    if (!o) return oom();
    int rc = KILN_OK;
    for (int i = 0; !rc && i < nopts; i++) rc = ds_options_set(o, keys[i], values[i]);
    const char *infer = s ? sql_session_get(s,
                                            "kiln.sql.sources.partitionColumnTypeInference.enabled")
                          : NULL;
    if (!rc && infer && !ds_options_get(o, "partitionColumnTypeInference"))
        rc = ds_options_set(o, "partitionColumnTypeInference", infer);
    col_schema inferred;
    char fmt[16];
    snprintf(fmt, sizeof fmt, "%s", format);
    for (char *p = fmt; *p; p++) *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    const char *base = NULL;
    int npart = 0, *pos = NULL;
    if (!rc) {
        /* The files' data columns (given or inferred), then the partition
         * columns their directories name. */
        rc = scan_dataset_schema(a, fmt, paths, o, schema, &inferred, &base, &npart, &pos);
        schema = &inferred;
    }
    ds_options_free(o);
    if (rc) return rc;
    int nshown = 0;
    for (int i = 0; i < schema->n; i++) nshown += !pos || pos[i] >= 0;
    plan *p = plan_new(a, PLAN_SCAN, NULL, 0, nshown);
    if (!p) return oom();
    p->src.format = kiln_arena_alloc(a, strlen(fmt) + 1);
    p->src.paths = kiln_arena_alloc(a, strlen(paths) + 1);
    p->src.keys = kiln_arena_alloc(a, sizeof(char *) * (size_t)(nopts ? nopts : 1));
    p->src.values = kiln_arena_alloc(a, sizeof(char *) * (size_t)(nopts ? nopts : 1));
    p->proj = kiln_arena_alloc(a, sizeof(int) * (size_t)(schema->n ? schema->n : 1));
    if (!p->src.format || !p->src.paths || !p->src.keys || !p->src.values || !p->proj ||
        col_schema_copy(a, schema, &p->src.schema))
        return oom();
    strcpy((char *)p->src.format, fmt);
    strcpy((char *)p->src.paths, paths);
    for (int i = 0; i < nopts; i++) {
        char *k = kiln_arena_alloc(a, strlen(keys[i]) + 1);
        char *v = kiln_arena_alloc(a, strlen(values[i]) + 1);
        if (!k || !v) return oom();
        p->src.keys[i] = strcpy(k, keys[i]);
        p->src.values[i] = strcpy(v, values[i]);
    }
    p->src.nopts = nopts;
    p->src.base = base;
    p->src.npart = npart;
    /* Output columns in Spark's order (pos: a data column named as a
     * partition column stays where the data has it). */
    for (int i = 0; i < schema->n; i++) {
        int at = pos ? pos[i] : i;
        if (at < 0) continue;
        p->cols[at] = (plan_col){p->src.schema.fields[i].name, NULL, p->src.schema.fields[i].type,
                                 true};
        p->proj[at] = i;
    }
    *out = p;
    return KILN_OK;
}

static int file_scan_cb(void *arg, kiln_arena *a, const char *format, const char *paths, int nopts,
                        const char *const *keys, const char *const *values,
                        const col_schema *schema, plan **out)
{
    return sql_file_scan(arg, a, format, paths, nopts, keys, values, schema, out);
}

/* The value outlives the result it came from: v's types become t's (the
 * result's live in its arena, released after) and strings' bytes, also
 * inside arrays, maps and structs, are copied into a. */
static int own_value(col_vec *v, const col_type *t, kiln_arena *a, uint32_t n)
{
    v->type = t;
    if (t->kind == COL_STRING || t->kind == COL_BINARY) {
        col_str *x = v->data;
        for (uint32_t i = 0; i < n; i++)
            if (col_valid(v, i) && !col_str_copy(a, col_str_data(&x[i]), x[i].len, &x[i]))
                return KILN_ENOMEM;
        return KILN_OK;
    }
    int rc = KILN_OK;
    if (t->kind == COL_ARRAY || t->kind == COL_MAP) {
        uint32_t m = n ? v->offsets[n] : 0;
        rc = own_value(&v->children[0], t->elem, a, m);
        if (!rc && t->kind == COL_MAP) rc = own_value(&v->children[1], t->value, a, m);
    } else if (t->kind == COL_STRUCT) {
        for (int i = 0; !rc && i < t->nfields; i++)
            rc = own_value(&v->children[i], t->fields[i].type, a, n);
    }
    return rc;
}

static int run_scalar_cb(void *arg, kiln_arena *a, const plan *p, col_vec *out)
{
    kiln_session *s = arg;
    sql_result r;
    int rc = sql_session_collect(s, p, &r);
    if (rc) return rc;
    if (r.rows > 1) {
        sql_result_release(&r);
        return kiln_set_error(KILN_ESQL,
                              "[SCALAR_SUBQUERY_TOO_MANY_ROWS] More than one row returned by a "
                              "subquery used as an expression. SQLSTATE: 21000");
    }
    const col_batch *b = NULL;
    for (int i = 0; i < r.nbatches && !b; i++)
        if (r.batches[i].n) b = &r.batches[i];
    if (!b) {
        rc = col_vec_constant(out, a, p->cols[0].type, NULL, 1);
    } else {
        uint32_t zero = 0;
        rc = col_vec_gather(out, a, &b->cols[0], &zero, 1);
        /* The result's type lives in its arena, released below: the plan's
         * (the same type) lives as long as the query. */
        if (!rc) rc = own_value(out, p->cols[0].type, a, 1);
    }
    sql_result_release(&r);
    return rc;
}

void sql_session_anz(kiln_session *s, kiln_arena *a, const char *sql, anz *z)
{
    static const anz_catalog cat_ops = {NULL, lookup_cb, file_scan_cb, run_scalar_cb,
                                        sql_udf_lookup};
    memset(z, 0, sizeof *z);
    z->a = a;
    z->sql = sql;
    z->ansi = s->set.ansi;
    z->tz = s->set.tz;
    s->cat = cat_ops;
    s->cat.arg = s;
    z->cat = &s->cat;
}

int sql_session_plan(kiln_session *s, kiln_arena *a, const plan *logical, plan **out)
{
    opt o = {a, s->set.ansi, s->set.tz, s->set.broadcast_bytes,
             sql_session_get(s, "kiln.sql.optimizer.windowGroupLimitThreshold")};
    return plan_optimize(&o, logical, out);
}

int sql_session_collect(kiln_session *s, const plan *logical, sql_result *out)
{
    return sql_session_collect_as(s, logical, NULL, out);
}

int64_t sql_session_execution_start(kiln_session *s, const sql_settings *set, const plan *p,
                                    const char *desc)
{
    if (!kiln_context_observed(s->ctx)) return -1;
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = sql_exec_explain(&b, set, p);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    int64_t id = kiln_sql_execution_start(s->ctx, desc ? desc : "DataFrame",
                                          rc ? "" : (const char *)b.data);
    kiln_buf_release(&b);
    return id;
}

int sql_session_collect_as(kiln_session *s, const plan *logical, const char *desc, sql_result *out)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return oom();
    plan *p;
    int rc = sql_session_plan(s, a, logical, &p);
    if (!rc) {
        sql_settings set = s->set;
        set.now_us = now_us();
        int64_t id = sql_session_execution_start(s, &set, p, desc);
        set.execution = id;
        rc = sql_exec_collect(s->ctx, &set, p, out);
        kiln_sql_execution_end(s->ctx, id, rc ? kiln_last_error() : NULL);
    }
    kiln_arena_free(a);
    return rc;
}

/* ---- Results of commands --------------------------------------------------------- */

/* A result of string columns built row by row. */
typedef struct rows {
    kiln_arena *a;
    int ncols;
    const char *const *names;
    int n, cap;
    const char **cells;
} rows;

static int rows_add(rows *r, const char *const *cells)
{
    if (r->n == r->cap) {
        int cap = r->cap ? r->cap * 2 : 16;
        const char **g = kiln_arena_alloc(r->a, sizeof *g * (size_t)cap * (size_t)r->ncols);
        if (!g) return oom();
        if (r->n) memcpy(g, r->cells, sizeof *g * (size_t)r->n * (size_t)r->ncols);
        r->cells = g;
        r->cap = cap;
    }
    for (int c = 0; c < r->ncols; c++) {
        const char *v = cells[c];
        char *copy = NULL;
        if (v && !(copy = kiln_arena_alloc(r->a, strlen(v) + 1))) return oom();
        r->cells[r->n * r->ncols + c] = v ? strcpy(copy, v) : NULL;
    }
    r->n++;
    return KILN_OK;
}

static int rows_result(rows *r, sql_result *out)
{
    memset(out, 0, sizeof *out);
    out->a = r->a;
    out->ncols = r->ncols;
    out->cols = kiln_arena_alloc(r->a, sizeof *out->cols * (size_t)r->ncols);
    out->batches = kiln_arena_alloc(r->a, sizeof *out->batches);
    const col_type **types = kiln_arena_alloc(r->a, sizeof *types * (size_t)r->ncols);
    if (!out->cols || !out->batches || !types) return oom();
    for (int c = 0; c < r->ncols; c++) {
        out->cols[c] = (plan_col){r->names[c], NULL, &col_type_string, true};
        types[c] = &col_type_string;
    }
    if (col_batch_init(out->batches, r->a, r->ncols, types, (uint32_t)(r->n ? r->n : 1)))
        return oom();
    for (int c = 0; c < r->ncols; c++) {
        col_vec *v = &out->batches->cols[c];
        for (int i = 0; i < r->n; i++) {
            const char *cell = r->cells[i * r->ncols + c];
            if (!cell) {
                if (col_vec_add_validity(v, r->a, (uint32_t)r->n)) return oom();
                col_set_null(v, (uint32_t)i);
            } else if (!col_str_copy(r->a, cell, (uint32_t)strlen(cell),
                                     &COL_DATA(v, col_str)[i])) {
                return oom();
            }
        }
        v->n = (uint32_t)r->n;
    }
    out->batches->n = (uint32_t)r->n;
    out->nbatches = r->n ? 1 : 0;
    out->rows = r->n;
    return KILN_OK;
}

static int type_name(kiln_arena *a, const col_type *t, const char **out)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = col_type_format(&b, t);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    char *s = rc ? NULL : kiln_arena_alloc(a, b.len);
    if (s) memcpy(s, b.data, b.len);
    kiln_buf_release(&b);
    *out = s;
    return s ? KILN_OK : oom();
}

static int describe_plan(const plan *p, const char **extra, int nextra, sql_result *out)
{
    static const char *const names[] = {"col_name", "data_type", "comment"};
    rows r = {kiln_arena_new(), 3, names, 0, 0, NULL};
    if (!r.a) return oom();
    int rc = KILN_OK;
    for (int i = 0; !rc && i < p->ncols; i++) {
        const char *t;
        rc = type_name(r.a, p->cols[i].type, &t);
        const char *cells[3] = {p->cols[i].name, t, NULL};
        if (!rc) rc = rows_add(&r, cells);
    }
    for (int i = 0; !rc && i < nextra; i++) rc = rows_add(&r, extra + 3 * i);
    if (!rc) rc = rows_result(&r, out);
    if (rc) kiln_arena_free(r.a);
    return rc;
}

/* ---- Statements -------------------------------------------------------------------- */

static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The options of CREATE ... USING fmt OPTIONS (...) / LOCATION, and its
 * path. */
static int using_scan(kiln_session *s, anz *z, const ast_stmt_create_table *c, plan **out)
{
    const char *path, **keys, **vals;
    int n;
    if (sql_using_options(s, c, &path, &keys, &vals, &n)) return oom();
    if (!path && !c->is_view && !(path = sql_managed_path(s, c->name.parts[c->name.n - 1])))
        return oom();
    if (!path)
        return anz_error(z, c->s.pos, 6, "INVALID_OPTIONS", "42K06",
                         "a view USING %s needs OPTIONS (path '...') or LOCATION", c->using);
    struct stat st;
    if (c->ncols && !c->is_view && stat(path, &st) != 0 && mkdir(path, 0777) != 0)
        return kiln_set_error(KILN_EIO, "cannot create the table's location %s: %s", path,
                              strerror(errno));
    col_schema given, *schema = NULL;
    if (c->ncols) {
        given.n = c->ncols;
        given.fields = kiln_arena_alloc(s->a, sizeof *given.fields * (size_t)c->ncols);
        if (!given.fields) return oom();
        for (int i = 0; i < c->ncols; i++) {
            const col_type *t;
            size_t at;
            if (col_type_parse(s->a, c->cols[i].type.text, strlen(c->cols[i].type.text), &t, &at))
                return anz_error(z, c->cols[i].type.pos, c->cols[i].type.len,
                                 "UNSUPPORTED_DATATYPE", "0A000", "Unsupported data type \"%s\".",
                                 c->cols[i].type.text);
            given.fields[i] = (col_field){c->cols[i].name, t, !c->cols[i].not_null};
        }
        /* Partition columns last, in PARTITIONED BY order (Spark's). */
        for (int k = 0; k < c->npartitioned_by; k++)
            for (int i = 0; i < given.n - 1; i++)
                if (strcasecmp(given.fields[i].name, c->partitioned_by[k]) == 0) {
                    col_field f = given.fields[i];
                    memmove(&given.fields[i], &given.fields[i + 1],
                            sizeof f * (size_t)(given.n - 1 - i));
                    given.fields[given.n - 1] = f;
                    break;
                }
        schema = &given;
    }
    int rc = sql_file_scan(s, s->a, c->using, path, n, keys, vals, schema, out);
    if (rc) return anz_error(z, c->s.pos, 6, "PATH_NOT_FOUND", "42K03", "%s", kiln_last_error());
    return KILN_OK;
}

static int run_stmt(kiln_session *s, const char *sql, const ast_stmt *st, kiln_arena *a,
                    sql_outcome *o)
{
    anz z;
    int rc;
    memset(o, 0, sizeof *o);
    if (sql_udf_handles(st)) return sql_udf_stmt(s, st, o);
    switch (st->kind) {
    case AST_STMT_QUERY: {
        plan *p;
        sql_session_anz(s, a, sql, &z);
        if ((rc = anz_query(&z, ((const ast_stmt_query *)st)->query, &p))) return rc;
        if ((rc = sql_session_collect_as(s, p, sql, &o->rows))) return rc;
        o->has_rows = true;
        return KILN_OK;
    }
    case AST_STMT_EXPLAIN: {
        const ast_stmt_explain *e = (const ast_stmt_explain *)st;
        if (e->stmt->kind != AST_STMT_QUERY)
            return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] EXPLAIN of a command");
        plan *p, *opt_p;
        sql_session_anz(s, a, sql, &z);
        if ((rc = anz_query(&z, ((const ast_stmt_query *)e->stmt)->query, &p)) ||
            (rc = sql_session_plan(s, a, p, &opt_p)))
            return rc;
        kiln_buf b;
        kiln_buf_init(&b);
        rc = sql_explain_all(&b, &s->set, p, opt_p);
        kiln_buf_append(&b, "", 1);
        static const char *const names[] = {"plan"};
        rows r = {kiln_arena_new(), 1, names, 0, 0, NULL};
        const char *cell = (const char *)b.data;
        if (!rc && r.a) rc = rows_add(&r, &cell);
        kiln_buf_release(&b);
        if (!r.a) return oom();
        if (!rc) rc = rows_result(&r, &o->rows);
        if (rc) {
            kiln_arena_free(r.a);
            return rc;
        }
        o->has_rows = true;
        return KILN_OK;
    }
    case AST_STMT_CREATE_VIEW: {
        const ast_stmt_create_view *c = (const ast_stmt_create_view *)st;
        plan *p;
        /* The view's plan lives as long as the session. */
        sql_session_anz(s, s->a, sql, &z);
        if ((rc = anz_query(&z, c->query, &p))) return rc;
        if (c->ncols) {
            if (c->ncols != p->ncols)
                return anz_error(&z, c->s.pos, 6, "CREATE_VIEW_COLUMN_ARITY_MISMATCH", "21S01",
                                 "Cannot create view `%s`: it names %d columns for %d.",
                                 c->name.parts[c->name.n - 1], c->ncols, p->ncols);
            plan *q = kiln_arena_alloc(s->a, sizeof *q);
            plan_col *cols = kiln_arena_alloc(s->a, sizeof *cols * (size_t)p->ncols);
            if (!q || !cols) return oom();
            *q = *p;
            memcpy(cols, p->cols, sizeof *cols * (size_t)p->ncols);
            for (int i = 0; i < c->ncols; i++) cols[i].name = c->cols[i].name;
            q->cols = cols;
            p = q;
        }
        if (c->if_not_exists && sql_catalog_lookup(s, c->name.parts[c->name.n - 1])) return KILN_OK;
        return sql_catalog_put(s, c->name.parts[c->name.n - 1], p, c->or_replace, NULL);
    }
    case AST_STMT_CREATE_TABLE: {
        const ast_stmt_create_table *c = (const ast_stmt_create_table *)st;
        const char *name = c->name.parts[c->name.n - 1];
        if (c->using && c->query) return sql_stmt_write(s, sql, st);
        sql_session_anz(s, s->a, sql, &z);
        plan *p;
        if (c->using && !c->query) {
            if ((rc = using_scan(s, &z, c, &p))) return rc;
        } else if (c->query) {
            /* CREATE TABLE ... AS: the rows, computed now, kept in memory. */
            plan *q;
            sql_result res;
            if ((rc = anz_query(&z, c->query, &q)) || (rc = sql_session_collect(s, q, &res)))
                return rc;
            rc = sql_values_plan(s, q, NULL, 0, &res, &p);
            sql_result_release(&res);
            if (rc) return rc;
        } else {
            return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] CREATE TABLE needs USING "
                                             "a file source or AS a query");
        }
        if (c->if_not_exists && sql_catalog_lookup(s, name)) return KILN_OK;
        if ((rc = sql_catalog_put(s, name, p, c->or_replace || c->is_view, NULL))) return rc;
        if (!c->using || c->is_view) return KILN_OK;
        const char *path, **keys, **vals;
        int n;
        if (sql_using_options(s, c, &path, &keys, &vals, &n)) return oom();
        return sql_table_note(s, name, c, path == NULL);
    }
    case AST_STMT_DROP: {
        const ast_stmt_drop *d = (const ast_stmt_drop *)st;
        if (d->what != OBJ_TABLE && d->what != OBJ_VIEW)
            return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] DROP of this object");
        if (d->what == OBJ_TABLE && (rc = sql_table_drop_files(s, d->name.parts[d->name.n - 1])))
            return rc;
        return drop_view(s, d->name.parts[d->name.n - 1], d->if_exists);
    }
    case AST_STMT_DESCRIBE: {
        const ast_stmt_describe *d = (const ast_stmt_describe *)st;
        const plan *p = NULL;
        plan *q;
        if (d->what == OBJ_QUERY) {
            sql_session_anz(s, a, sql, &z);
            if ((rc = anz_query(&z, d->query, &q))) return rc;
            p = q;
        } else if (d->what == OBJ_TABLE) {
            const char *name = d->name.parts[d->name.n - 1];
            if (!(p = sql_catalog_lookup(s, name)))
                return kiln_set_error(KILN_ESQL,
                                      "[TABLE_OR_VIEW_NOT_FOUND] The table or view `%s` cannot "
                                      "be found.",
                                      name);
        } else {
            return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] DESCRIBE FUNCTION");
        }
        const char **extra = NULL;
        int nextra = 0;
        if (d->what == OBJ_TABLE && (rc = sql_table_describe(s, d->name.parts[d->name.n - 1], p,
                                                             d->extended, a, &extra, &nextra)))
            return rc;
        if ((rc = describe_plan(p, extra, nextra, &o->rows))) return rc;
        o->has_rows = true;
        return KILN_OK;
    }
    case AST_STMT_SHOW: {
        const ast_stmt_show *sh = (const ast_stmt_show *)st;
        if (sh->what != SHOW_TABLES && sh->what != SHOW_VIEWS)
            return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] this SHOW command");
        static const char *const names[] = {"namespace", "tableName", "isTemporary"};
        rows r = {kiln_arena_new(), 3, names, 0, 0, NULL};
        if (!r.a) return oom();
        rc = KILN_OK;
        for (int i = 0; !rc && i < s->nviews; i++) {
            const char *cells[3] = {"", s->views[i].name, "true"};
            rc = rows_add(&r, cells);
        }
        if (!rc) rc = rows_result(&r, &o->rows);
        if (rc) {
            kiln_arena_free(r.a);
            return rc;
        }
        o->has_rows = true;
        return KILN_OK;
    }
    case AST_STMT_SET: {
        const ast_stmt_set *x = (const ast_stmt_set *)st;
        if (x->key && x->value) return sql_session_set(s, x->key, x->value);
        static const char *const names[] = {"key", "value"};
        rows r = {kiln_arena_new(), 2, names, 0, 0, NULL};
        if (!r.a) return oom();
        rc = KILN_OK;
        if (x->key) {
            const char *v = sql_session_get(s, x->key);
            const char *cells[2] = {x->key, v ? v : "<undefined>"};
            rc = rows_add(&r, cells);
        } else {
            for (int i = 0; !rc && i < s->nconf; i++) {
                const char *cells[2] = {s->conf[i].key, s->conf[i].value};
                rc = rows_add(&r, cells);
            }
        }
        if (!rc) rc = rows_result(&r, &o->rows);
        if (rc) {
            kiln_arena_free(r.a);
            return rc;
        }
        o->has_rows = true;
        return KILN_OK;
    }
    default:
        if ((rc = sql_stmt_write(s, sql, st)) != 1 || (rc = sql_stmt_cache(s, sql, st)) != 1 ||
            (rc = sql_stmt_table(s, sql, st)) != 1)
            return rc;
        return kiln_set_error(KILN_ESQL, "[UNSUPPORTED_FEATURE] this statement is not "
                                         "supported yet");
    }
}

int sql_session_run(kiln_session *s, const char *text, sql_outcome_fn fn, void *arg)
{
    kiln_arena *a = kiln_arena_new();
    if (!a) return oom();
    ast_stmt **stmts;
    int n;
    int rc = sql_parse(a, text, &stmts, &n);
    /* Plans a statement keeps (views, tables, cached tables) hold names of
     * its tree: those statements are parsed again into the session's arena. */
    bool keeps = false;
    for (int i = 0; !rc && i < n; i++)
        keeps |= stmts[i]->kind == AST_STMT_CREATE_VIEW ||
                 stmts[i]->kind == AST_STMT_CREATE_TABLE || stmts[i]->kind == AST_STMT_CACHE ||
                 stmts[i]->kind == AST_STMT_INSERT;
    if (!rc && keeps) {
        char *copy = kiln_arena_alloc(s->a, strlen(text) + 1);
        if (!copy) rc = oom();
        else rc = sql_parse(s->a, text = strcpy(copy, text), &stmts, &n);
    }
    for (int i = 0; !rc && i < n; i++) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        sql_outcome o;
        pthread_mutex_lock(&s->lock);
        rc = run_stmt(s, text, stmts[i], a, &o);
        pthread_mutex_unlock(&s->lock);
        if (rc) break;
        if (fn) rc = fn(arg, text + stmts[i]->pos, (size_t)stmts[i]->len, &o, since(&t0));
        if (o.has_rows) sql_result_release(&o.rows);
    }
    kiln_arena_free(a);
    return rc;
}
