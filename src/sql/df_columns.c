/*
 * sql/df_columns.c - a DataFrame's rows as whole columns and back
 * (include/kiln/sql.h): kiln_df_collect_columns (toPandas) and
 * kiln_session_create_data_frame_columns (createDataFrame of a pandas
 * DataFrame), so that a binding copies buffers instead of looping over
 * rows.
 *
 * Collecting runs the plan, then copies each vector of each result batch
 * into one contiguous buffer per column (validity as one byte a row,
 * strings as offsets + bytes); other types go row by row as kiln_values.
 * Creating cuts the columns into batches of COL_VEC_SIZE rows (string
 * vectors are views into the caller's bytes), encodes each batch, and
 * parallelizes the encodings: a PLAN_RDD over that RDD is the DataFrame's
 * plan, as for createDataFrame of an RDD (df_rdd.c).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/df_int.h"

/* The public struct and the arena owning everything it points at. */
typedef struct owned_columns {
    kiln_columns pub;
    kiln_arena *a;
} owned_columns;

static int kind_of(const col_type *t)
{
    switch (t->kind) {
    case COL_NULL:
        return KILN_COLUMN_NULL;
    case COL_BOOL:
        return KILN_COLUMN_BOOL;
    case COL_I8:
        return KILN_COLUMN_INT8;
    case COL_I16:
        return KILN_COLUMN_INT16;
    case COL_I32:
        return KILN_COLUMN_INT32;
    case COL_I64:
        return KILN_COLUMN_INT64;
    case COL_F32:
        return KILN_COLUMN_FLOAT;
    case COL_F64:
        return KILN_COLUMN_DOUBLE;
    case COL_DATE:
        return KILN_COLUMN_DATE;
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        return KILN_COLUMN_TIMESTAMP;
    case COL_STRING:
        return KILN_COLUMN_STRING;
    case COL_BINARY:
        return KILN_COLUMN_BINARY;
    default:
        return KILN_COLUMN_VALUES;
    }
}

/* Bytes a value of a fixed-width kind takes (0 for the others). */
static size_t kind_width(int kind)
{
    static const size_t w[] = {
        [KILN_COLUMN_BOOL] = 1,   [KILN_COLUMN_INT8] = 1,   [KILN_COLUMN_INT16] = 2,
        [KILN_COLUMN_INT32] = 4,  [KILN_COLUMN_INT64] = 8,  [KILN_COLUMN_FLOAT] = 4,
        [KILN_COLUMN_DOUBLE] = 8, [KILN_COLUMN_DATE] = 4,   [KILN_COLUMN_TIMESTAMP] = 8,
        [KILN_COLUMN_STRING] = 0, [KILN_COLUMN_BINARY] = 0, [KILN_COLUMN_NULL] = 0,
    };
    return kind > 0 && kind <= KILN_COLUMN_NULL ? w[kind] : 0;
}

static char *arena_strdup(kiln_arena *a, const char *s, size_t n)
{
    char *p = kiln_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Fills column c (kind, name and type set) from vector number ci of r's
 * batches; n rows in all. */
static int fill_column(kiln_arena *a, const sql_result *r, int ci, int64_t n, kiln_column *c)
{
    size_t w = kind_width(c->kind);
    bool strings = c->kind == KILN_COLUMN_STRING || c->kind == KILN_COLUMN_BINARY;
    int64_t total = 0;
    if (strings) {
        for (int b = 0; b < r->nbatches; b++) {
            const col_batch *x = &r->batches[b];
            const col_vec *v = &x->cols[ci];
            for (uint32_t k = 0, live = col_batch_live(x); k < live; k++) {
                uint32_t i = x->sel ? x->sel[k] : k;
                if (col_valid(v, i)) total += COL_DATA(v, col_str)[col_row(v, i)].len;
            }
        }
        c->offsets = kiln_arena_alloc(a, sizeof(int64_t) * (size_t)(n + 1));
        c->bytes = kiln_arena_alloc(a, (size_t)total);
        if (!c->offsets || !c->bytes) return KILN_ENOMEM;
        c->offsets[0] = 0;
    } else if (w) {
        if (!(c->data = kiln_arena_alloc(a, w * (size_t)n))) return KILN_ENOMEM;
    } else if (c->kind == KILN_COLUMN_VALUES) {
        if (!(c->values = kiln_arena_alloc(a, sizeof(kiln_value) * (size_t)n))) return KILN_ENOMEM;
    }
    int64_t row = 0, at = 0;
    for (int b = 0; b < r->nbatches; b++) {
        const col_batch *x = &r->batches[b];
        const col_vec *v = &x->cols[ci];
        for (uint32_t k = 0, live = col_batch_live(x); k < live; k++, row++) {
            uint32_t i = x->sel ? x->sel[k] : k;
            bool ok = c->kind != KILN_COLUMN_NULL && col_valid(v, i);
            if (!ok && !c->valid) {
                /* The first null: every row so far was valid. */
                if (!(c->valid = kiln_arena_alloc(a, (size_t)n))) return KILN_ENOMEM;
                memset(c->valid, 1, (size_t)row);
            }
            if (c->valid) c->valid[row] = ok;
            if (c->kind == KILN_COLUMN_VALUES) {
                int rc = col_vec_get_value(v, i, a, &c->values[row]);
                if (rc) return rc;
            } else if (strings) {
                if (ok) {
                    const col_str *s = &COL_DATA(v, col_str)[col_row(v, i)];
                    memcpy(c->bytes + at, col_str_data(s), s->len);
                    at += s->len;
                }
                c->offsets[row + 1] = at;
            } else if (w) {
                uint8_t *dst = (uint8_t *)c->data + (size_t)row * w;
                if (!ok) memset(dst, 0, w);
                else if (c->kind == KILN_COLUMN_BOOL)
                    *dst = COL_DATA(v, uint8_t)[col_row(v, i)] != 0;
                else memcpy(dst, (const uint8_t *)v->data + (size_t)col_row(v, i) * w, w);
            }
        }
    }
    return KILN_OK;
}

KILN_API void kiln_columns_free(kiln_columns *c)
{
    if (!c) return;
    owned_columns *o = (owned_columns *)c;
    kiln_arena_free(o->a);
    free(o);
}

KILN_API int kiln_df_collect_columns(kiln_df *df, kiln_columns **out)
{
    if (!out) return kiln_set_error(KILN_EINVAL, "kiln_df_collect_columns: NULL argument");
    *out = NULL;
    if (!df)
        return kiln_last_error()[0] ? KILN_ESQL : kiln_set_error(KILN_EINVAL, "NULL DataFrame");
    sql_result r;
    int rc = sql_session_collect(df->s, df->p, &r);
    if (rc) return rc;
    owned_columns *o = calloc(1, sizeof *o);
    kiln_arena *a = o ? (o->a = kiln_arena_new()) : NULL;
    kiln_buf tb;
    kiln_buf_init(&tb);
    int64_t n = 0;
    for (int b = 0; b < r.nbatches; b++) n += col_batch_live(&r.batches[b]);
    if (!o || !a) rc = KILN_ENOMEM;
    kiln_column *cols = rc ? NULL : kiln_arena_alloc(a, sizeof *cols * (size_t)(r.ncols + 1));
    if (!rc && !cols) rc = KILN_ENOMEM;
    for (int c = 0; !rc && c < r.ncols; c++) {
        memset(&cols[c], 0, sizeof cols[c]);
        tb.len = 0;
        if (col_type_format(&tb, r.cols[c].type)) {
            rc = KILN_ENOMEM;
            break;
        }
        cols[c].name = arena_strdup(a, r.cols[c].name, strlen(r.cols[c].name));
        cols[c].type = arena_strdup(a, (const char *)tb.data, tb.len);
        cols[c].kind = kind_of(r.cols[c].type);
        if (!cols[c].name || !cols[c].type) rc = KILN_ENOMEM;
        else rc = fill_column(a, &r, c, n, &cols[c]);
    }
    kiln_buf_release(&tb);
    int ncols = r.ncols;
    sql_result_release(&r);
    if (rc) {
        if (o) kiln_columns_free(&o->pub);
        return rc == KILN_ENOMEM ? kiln_set_error(rc, "toPandas: out of memory") : rc;
    }
    o->pub = (kiln_columns){ncols, n, cols};
    *out = &o->pub;
    return KILN_OK;
}

/* ---- createDataFrame of columns ------------------------------------------------------ */

/* Batch rows [lo, lo + m) of cols (types ts) into b, vectors in a. */
static int make_batch(kiln_arena *a, const kiln_column *cols, const col_type *const *ts, int ncols,
                      int64_t lo, uint32_t m, col_batch *b)
{
    b->ncols = ncols;
    b->n = m;
    b->sel = NULL;
    b->nsel = 0;
    if (!(b->cols = kiln_arena_alloc(a, sizeof *b->cols * (size_t)(ncols + 1)))) return KILN_ENOMEM;
    for (int c = 0; c < ncols; c++) {
        const kiln_column *k = &cols[c];
        col_vec *v = &b->cols[c];
        if (col_vec_init(v, a, ts[c], m)) return KILN_ENOMEM;
        v->n = m;
        size_t w = kind_width(k->kind);
        if (k->kind == KILN_COLUMN_STRING || k->kind == KILN_COLUMN_BINARY) {
            col_str *s = COL_DATA(v, col_str);
            for (uint32_t i = 0; i < m; i++) {
                int64_t from = k->offsets[lo + i], to = k->offsets[lo + i + 1];
                s[i] = col_str_view(k->bytes + from, (uint32_t)(to - from));
            }
        } else if (k->kind == KILN_COLUMN_BOOL) {
            for (uint32_t i = 0; i < m; i++)
                COL_DATA(v, uint8_t)[i] = ((const uint8_t *)k->data)[lo + i] != 0;
        } else {
            memcpy(v->data, (const uint8_t *)k->data + (size_t)lo * w, (size_t)m * w);
        }
        if (k->valid && memchr(k->valid + lo, 0, m)) {
            if (col_vec_add_validity(v, a, m)) return KILN_ENOMEM;
            for (uint32_t i = 0; i < m; i++)
                if (!k->valid[lo + i]) col_set_null(v, i);
        }
    }
    return KILN_OK;
}

static kiln_df *bad_column(const kiln_column *c, const char *why)
{
    kiln_set_error(KILN_ESQL, "[UNSUPPORTED_DATATYPE] createDataFrame: column `%s` (%s): %s",
                   c->name ? c->name : "?", c->type ? c->type : "no type", why);
    return NULL;
}

KILN_API kiln_df *kiln_session_create_data_frame_columns(kiln_session *s, const kiln_column *cols,
                                                         int ncols, int64_t nrows)
{
    if (!s || (ncols && !cols) || ncols < 0 || nrows < 0) {
        kiln_set_error(KILN_EINVAL, "kiln_session_create_data_frame_columns: bad argument");
        return NULL;
    }
    const col_type **ts = kiln_arena_alloc(s->a, sizeof *ts * (size_t)(ncols + 1));
    plan *p = plan_new(s->a, PLAN_RDD, NULL, 0, ncols);
    if (!ts || !p) {
        kiln_set_error(KILN_ENOMEM, "createDataFrame: out of memory");
        return NULL;
    }
    for (int c = 0; c < ncols; c++) {
        const kiln_column *k = &cols[c];
        size_t at;
        if (!k->name || !k->type ||
            col_type_parse(s->a, k->type, strlen(k->type), &ts[c], &at) != KILN_OK)
            return bad_column(k, "not a type name");
        if (kind_of(ts[c]) != k->kind || k->kind == KILN_COLUMN_VALUES ||
            k->kind == KILN_COLUMN_NULL)
            return bad_column(k, "the type does not match the column's layout, or is not taken");
        bool strings = k->kind == KILN_COLUMN_STRING || k->kind == KILN_COLUMN_BINARY;
        if (nrows && (strings ? !k->offsets || (!k->bytes && k->offsets[nrows]) : !k->data))
            return bad_column(k, "no buffer");
        p->cols[c] = (plan_col){arena_strdup(s->a, k->name, strlen(k->name)), NULL, ts[c], true};
        if (!p->cols[c].name) return bad_column(k, "out of memory");
    }
    int64_t nb = (nrows + COL_VEC_SIZE - 1) / COL_VEC_SIZE;
    kiln_value *vals = calloc((size_t)(nb ? nb : 1), sizeof *vals);
    kiln_arena *keep = kiln_arena_new(), *ba = kiln_arena_new();
    kiln_buf buf;
    kiln_buf_init(&buf);
    int rc = vals && keep && ba ? KILN_OK : KILN_ENOMEM;
    for (int64_t i = 0; !rc && i < nb; i++) {
        int64_t lo = i * COL_VEC_SIZE;
        uint32_t m = (uint32_t)(nrows - lo < COL_VEC_SIZE ? nrows - lo : COL_VEC_SIZE);
        col_batch b;
        kiln_arena_reset(ba);
        buf.len = 0;
        rc = make_batch(ba, cols, ts, ncols, lo, m, &b);
        if (!rc) rc = col_batch_encode(&buf, &b);
        if (!rc) {
            vals[i] = kiln_bytes_new(keep, buf.data, buf.len);
            if (vals[i].type == KILN_NULL) rc = KILN_ENOMEM;
        }
    }
    kiln_rdd *r = NULL;
    if (!rc) {
        int slices = kiln_context_default_parallelism(s->ctx);
        if (slices > nb) slices = nb > 0 ? (int)nb : 1;
        r = kiln_parallelize(s->ctx, vals, (size_t)nb, slices);
        if (!r) rc = KILN_ESQL;
    }
    kiln_buf_release(&buf);
    kiln_arena_free(ba);
    kiln_arena_free(keep);
    free(vals);
    if (rc) {
        if (rc == KILN_ENOMEM) kiln_set_error(rc, "createDataFrame: out of memory");
        return NULL;
    }
    p->rdd = r;
    /* The session owns the RDD (a nameless catalog entry frees it). */
    char name[32];
    snprintf(name, sizeof name, "__rdd_%d", kiln_rdd_id(r));
    pthread_mutex_lock(&s->lock);
    rc = sql_catalog_put(s, name, p, true, r);
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        kiln_rdd_free(r);
        return NULL;
    }
    return df_new(s, p);
}
