/*
 * sql/df_rdd.c - DataFrames to and from RDDs (include/kiln/sql.h): df.rdd
 * (kiln_df_to_rdd) and spark.createDataFrame(rdd, schema)
 * (kiln_session_create_data_frame).
 *
 * df.rdd runs the plan as an RDD of batches (sql_exec_rdd) and flat-maps
 * each batch to its rows, tuples of values as collect gives them. The
 * other way, each task converts its partition's tuples to batches of the
 * schema's types, checking every value (type, range, nullability) and
 * failing with the partition, row and column of the first bad one; a
 * PLAN_RDD over that RDD is the DataFrame's plan.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/df_int.h"

static void *nomem(void)
{
    kiln_set_error(KILN_ENOMEM, "out of memory converting between DataFrames and RDDs");
    return NULL;
}

/* ---- df.rdd ------------------------------------------------------------------------ */

/* A batch value to its rows (kiln_flat_map_fn). */
static int batch_rows(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    (void)env;
    kiln_arena *ta = kiln_task_arena(t);
    const uint8_t *p;
    size_t n;
    col_batch b;
    int rc = df_batch_bytes(in, &p, &n);
    if (!rc) rc = col_batch_decode(&b, ta, p, n);
    if (rc) return kiln_task_fail(t, "df.rdd: a damaged batch (%s)", kiln_last_error());
    uint32_t live = col_batch_live(&b);
    kiln_value *items = kiln_arena_alloc(ta, sizeof *items * (size_t)live * (size_t)(b.ncols + 1));
    if (!items) return kiln_task_fail(t, "df.rdd: out of memory");
    for (uint32_t k = 0; k < live; k++) {
        uint32_t i = b.sel ? b.sel[k] : k;
        kiln_value *it = items + (size_t)k * (size_t)(b.ncols + 1);
        for (int c = 0; c < b.ncols; c++)
            if ((rc = col_vec_get_value(&b.cols[c], i, ta, &it[c])))
                return kiln_task_fail(t, "df.rdd: out of memory");
        kiln_value row = kiln_tuple_new(ta, it, (size_t)b.ncols);
        if ((rc = kiln_emit(out, &row))) return rc;
    }
    return KILN_OK;
}

KILN_API kiln_rdd *kiln_df_to_rdd(kiln_df *df)
{
    if (!df) return NULL;
    kiln_session *s = df->s;
    kiln_arena *a = kiln_arena_new();
    if (!a) return nomem();
    plan *p;
    kiln_rdd *r = NULL;
    int rc = sql_session_plan(s, a, df->p, &p);
    if (!rc) {
        sql_settings set = s->set;
        rc = sql_exec_rdd(s->ctx, &set, p, &r);
    }
    kiln_arena_free(a);
    if (rc) return NULL;
    kiln_rdd *rows = kiln_rdd_flat_map(r, batch_rows, NULL, 0);
    kiln_rdd_free(r); /* rows keeps its parent */
    return rows;
}

/* ---- createDataFrame ---------------------------------------------------------------- */

static const char *value_kind(const kiln_value *v)
{
    static const char *const names[] = {"null",  "boolean", "int",  "double", "string",
                                        "bytes", "tuple",   "list", "vector"};
    return v->type < sizeof names / sizeof names[0] ? names[v->type] : "value";
}

/* Whether type t (or its elements) is one createDataFrame fills. */
static bool fillable(const col_type *t, bool nested)
{
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64:
    case COL_F32:
    case COL_F64:
    case COL_DECIMAL:
    case COL_STRING:
    case COL_BINARY:
    case COL_DATE:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        return true;
    case COL_ARRAY:
        return !nested && fillable(t->elem, true);
    default:
        return false;
    }
}

/* Where a conversion is, for messages. */
typedef struct where {
    kiln_task *t;
    int part;
    int64_t row; /* 1-based in the partition */
    const col_field *f;
} where;

static int bad(const where *w, const kiln_value *v, const char *why)
{
    kiln_buf b;
    kiln_buf_init(&b);
    int rc = col_type_format(&b, w->f->type);
    if (!rc) rc = kiln_buf_append(&b, "", 1);
    for (size_t i = 0; !rc && i < b.len; i++)
        if (b.data[i] >= 'a' && b.data[i] <= 'z') b.data[i] = (uint8_t)(b.data[i] - 32);
    kiln_buf vb;
    kiln_buf_init(&vb);
    if (v && v->type != KILN_TUPLE && v->type != KILN_LIST && v->type != KILN_VEC)
        kiln_value_format(&vb, v);
    kiln_buf_append(&vb, "", 1);
    kiln_task_fail(w->t,
                   "[FIELD_DATA_TYPE_UNACCEPTABLE] createDataFrame: partition %d, row %lld, column "
                   "`%s` (%s) cannot accept %s%s%s%s%s",
                   w->part, (long long)w->row, w->f->name, rc ? "?" : (const char *)b.data,
                   v ? "the " : "", v ? value_kind(v) : "", v && vb.len > 1 ? " " : "",
                   v && vb.len > 1 ? (const char *)vb.data : "", why);
    kiln_buf_release(&b);
    kiln_buf_release(&vb);
    return KILN_EUSER;
}

static int set_null(col_vec *v, kiln_arena *a, uint32_t row, uint32_t cap)
{
    if (col_vec_add_validity(v, a, cap)) return KILN_ENOMEM;
    col_set_null(v, row);
    return KILN_OK;
}

/* An int in [lo, hi] from v. */
static int get_int(const where *w, const kiln_value *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (v->type != KILN_INT) return bad(w, v, "");
    if (v->u.i < lo || v->u.i > hi) return bad(w, v, ": out of the type's range");
    *out = v->u.i;
    return KILN_OK;
}

/* Row `row` of the non-nested vector vec (capacity cap) from x. */
static int set_scalar(const where *w, col_vec *vec, kiln_arena *a, uint32_t row, uint32_t cap,
                      const kiln_value *x, bool nullable)
{
    const col_type *t = vec->type;
    if (x->type == KILN_NULL) {
        if (!nullable) return bad(w, NULL, "a null: the column is not nullable");
        return set_null(vec, a, row, cap);
    }
    int64_t i = 0;
    int rc = KILN_OK;
    switch (t->kind) {
    case COL_BOOL:
        if (x->type != KILN_BOOL) return bad(w, x, "");
        COL_DATA(vec, bool)[row] = x->u.b;
        return KILN_OK;
    case COL_I8:
        if (!(rc = get_int(w, x, INT8_MIN, INT8_MAX, &i))) COL_DATA(vec, int8_t)[row] = (int8_t)i;
        return rc;
    case COL_I16:
        if (!(rc = get_int(w, x, INT16_MIN, INT16_MAX, &i)))
            COL_DATA(vec, int16_t)[row] = (int16_t)i;
        return rc;
    case COL_I32:
    case COL_DATE:
        if (!(rc = get_int(w, x, INT32_MIN, INT32_MAX, &i)))
            COL_DATA(vec, int32_t)[row] = (int32_t)i;
        return rc;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        if (!(rc = get_int(w, x, INT64_MIN, INT64_MAX, &i))) COL_DATA(vec, int64_t)[row] = i;
        return rc;
    case COL_F32:
    case COL_F64: {
        if (x->type != KILN_DOUBLE && x->type != KILN_INT) return bad(w, x, "");
        double d = x->type == KILN_INT ? (double)x->u.i : x->u.d;
        if (t->kind == COL_F32) COL_DATA(vec, float)[row] = (float)d;
        else COL_DATA(vec, double)[row] = d;
        return KILN_OK;
    }
    case COL_DECIMAL: {
        if (x->type != KILN_DOUBLE && x->type != KILN_INT) return bad(w, x, "");
        long double d = x->type == KILN_INT ? (long double)x->u.i : (long double)x->u.d;
        for (int k = 0; k < t->scale; k++) d *= 10;
        d = roundl(d);
        long double lim = 1;
        for (int k = 0; k < t->precision; k++) lim *= 10;
        if (!(fabsl(d) < lim)) return bad(w, x, ": it does not fit the precision");
        if (col_decimal_is_wide(t)) COL_DATA(vec, __int128)[row] = (__int128)d;
        else COL_DATA(vec, int64_t)[row] = (int64_t)d;
        return KILN_OK;
    }
    case COL_STRING:
    case COL_BINARY:
        if (x->type != KILN_STR && !(t->kind == COL_BINARY && x->type == KILN_BYTES))
            return bad(w, x, "");
        return col_str_copy(a, x->u.s, x->len, &COL_DATA(vec, col_str)[row]) ? KILN_OK
                                                                             : KILN_ENOMEM;
    default:
        return bad(w, x, ": the type is not supported by createDataFrame");
    }
}

/* Growing children of the array columns: their capacity. */
typedef struct builder {
    kiln_arena *a;
    col_batch b;
    uint32_t *child_cap; /* per column: the element vector's capacity (arrays) */
} builder;

static int grow_elems(col_vec *child, kiln_arena *a, uint32_t have, uint32_t *cap, uint32_t need)
{
    if (need <= *cap) return KILN_OK;
    uint32_t want = *cap * 2 > need ? *cap * 2 : need;
    col_vec g;
    int rc = col_vec_init(&g, a, child->type, want);
    if (rc) return rc;
    size_t wd = col_type_width(child->type);
    if (have) memcpy(g.data, child->data, wd * have);
    if (child->validity) {
        if ((rc = col_vec_add_validity(&g, a, want))) return rc;
        memcpy(g.validity, child->validity, COL_VALIDITY_WORDS(have) * 8);
    }
    g.n = child->n;
    *child = g;
    *cap = want;
    return KILN_OK;
}

static int set_value(const where *w, builder *bd, int c, uint32_t row, const kiln_value *x)
{
    col_vec *vec = &bd->b.cols[c];
    if (vec->type->kind != COL_ARRAY)
        return set_scalar(w, vec, bd->a, row, COL_VEC_SIZE, x, w->f->nullable);
    uint32_t at = vec->offsets[row];
    if (x->type == KILN_NULL) {
        vec->offsets[row + 1] = at;
        if (!w->f->nullable) return bad(w, NULL, "a null: the column is not nullable");
        return set_null(vec, bd->a, row, COL_VEC_SIZE);
    }
    if (x->type != KILN_LIST && !(x->type == KILN_VEC && (vec->type->elem->kind == COL_F64 ||
                                                          vec->type->elem->kind == COL_F32)))
        return bad(w, x, "");
    col_vec *child = &vec->children[0];
    int rc = grow_elems(child, bd->a, at, &bd->child_cap[c], at + x->len);
    for (uint32_t k = 0; !rc && k < x->len; k++) {
        kiln_value e = x->type == KILN_VEC ? kiln_double(x->u.vec[k]) : x->u.items[k];
        rc = set_scalar(w, child, bd->a, at + k, bd->child_cap[c], &e, vec->type->contains_null);
    }
    if (rc) return rc;
    child->n = at + x->len;
    vec->offsets[row + 1] = at + x->len;
    return KILN_OK;
}

static int builder_reset(builder *bd, const col_schema *sc)
{
    kiln_arena_reset(bd->a);
    const col_type **types = kiln_arena_alloc(bd->a, sizeof *types * (size_t)(sc->n + 1));
    bd->child_cap = kiln_arena_alloc(bd->a, sizeof *bd->child_cap * (size_t)(sc->n + 1));
    if (!types || !bd->child_cap) return KILN_ENOMEM;
    for (int i = 0; i < sc->n; i++) {
        types[i] = sc->fields[i].type;
        bd->child_cap[i] = COL_VEC_SIZE;
    }
    int rc = col_batch_init(&bd->b, bd->a, sc->n, types, COL_VEC_SIZE);
    for (int i = 0; !rc && i < sc->n; i++) bd->b.cols[i].n = 0;
    return rc;
}

static int flush(kiln_task *t, kiln_out *out, builder *bd, uint32_t n, kiln_buf *buf)
{
    bd->b.n = n;
    for (int c = 0; c < bd->b.ncols; c++) bd->b.cols[c].n = n;
    buf->len = 0;
    int rc = col_batch_encode(buf, &bd->b);
    if (rc) return rc;
    (void)t;
    kiln_value v = kiln_bytes_ref(buf->data, buf->len); /* kiln_emit copies it */
    return kiln_emit(out, &v);
}

/* A partition of tuples to batches of the schema (kiln_partitions_fn);
 * env: the schema's DDL, NUL-terminated. */
static int rows_to_batches(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    const char *ddl = env;
    builder bd = {kiln_arena_new(), {0}, NULL};
    kiln_arena *sa = kiln_arena_new();
    kiln_buf buf;
    kiln_buf_init(&buf);
    col_schema sc;
    size_t err;
    int rc = bd.a && sa ? col_schema_parse_ddl(sa, ddl, strlen(ddl), &sc, &err) : KILN_ENOMEM;
    if (!rc) rc = builder_reset(&bd, &sc);
    uint32_t n = 0;
    where w = {t, index, 0, NULL};
    const kiln_value *v;
    while (!rc && (rc = kiln_in_next(in, &v)) > 0) {
        rc = KILN_OK;
        w.row++;
        const kiln_value *items = v;
        uint32_t len = 1;
        if (v->type == KILN_TUPLE) {
            items = v->u.items;
            len = v->len;
        }
        if ((int)len != sc.n) {
            w.f = &sc.fields[0];
            rc = kiln_task_fail(t,
                                "[AXIS_LENGTH_MISMATCH] createDataFrame: partition %d, row %lld "
                                "has %u values for %d columns",
                                index, (long long)w.row, len, sc.n);
            break;
        }
        for (int c = 0; !rc && c < sc.n; c++) {
            w.f = &sc.fields[c];
            rc = set_value(&w, &bd, c, n, &items[c]);
        }
        if (!rc && ++n == COL_VEC_SIZE) {
            if (!(rc = flush(t, out, &bd, n, &buf))) rc = builder_reset(&bd, &sc);
            n = 0;
        }
    }
    if (!rc && n) rc = flush(t, out, &bd, n, &buf);
    if (rc == KILN_ENOMEM) rc = kiln_task_fail(t, "createDataFrame: out of memory");
    kiln_buf_release(&buf);
    kiln_arena_free(bd.a);
    kiln_arena_free(sa);
    return rc;
}

KILN_API kiln_df *kiln_session_create_data_frame(kiln_session *s, kiln_rdd *rdd, const char *schema)
{
    if (!s || !rdd || !schema) {
        if (!*kiln_last_error())
            kiln_set_error(KILN_EINVAL, "kiln_session_create_data_frame: NULL argument");
        return NULL;
    }
    col_schema sc;
    size_t at = 0;
    if (col_schema_parse_ddl(s->a, schema, strlen(schema), &sc, &at)) {
        kiln_set_error(KILN_ESQL,
                       "[PARSE_SYNTAX_ERROR] createDataFrame: cannot parse the schema \"%s\" at "
                       "position %zu. SQLSTATE: 42601",
                       schema, at);
        return NULL;
    }
    for (int i = 0; i < sc.n; i++)
        if (!fillable(sc.fields[i].type, false)) {
            kiln_set_error(KILN_ESQL,
                           "[UNSUPPORTED_DATATYPE] createDataFrame: column `%s`: only boolean, "
                           "numeric, string, binary, date and timestamp columns and arrays of "
                           "them are supported",
                           sc.fields[i].name);
            return NULL;
        }
    kiln_rdd *r = kiln_rdd_map_partitions(rdd, rows_to_batches, schema, strlen(schema) + 1);
    if (!r) return NULL;
    plan *p = plan_new(s->a, PLAN_RDD, NULL, 0, sc.n);
    if (!p) {
        kiln_rdd_free(r);
        return nomem();
    }
    for (int i = 0; i < sc.n; i++)
        p->cols[i] = (plan_col){sc.fields[i].name, NULL, sc.fields[i].type, sc.fields[i].nullable};
    p->rdd = r;
    /* The session owns the RDD (a nameless catalog entry frees it). */
    char name[32];
    snprintf(name, sizeof name, "__rdd_%d", kiln_rdd_id(r));
    pthread_mutex_lock(&s->lock);
    int rc = sql_catalog_put(s, name, p, true, r);
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        kiln_rdd_free(r);
        return NULL;
    }
    return df_new(s, p);
}
