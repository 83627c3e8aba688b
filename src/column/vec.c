/*
 * column/vec.c - strings, vectors and batches (column.h): making them,
 * constants, flattening, gathering rows, and rows as kiln_values.
 */
#include <string.h>

#include "column/column.h"
#include "kiln/error.h"

bool col_str_copy(kiln_arena *a, const char *p, uint32_t len, col_str *out)
{
    if (len <= COL_STR_INLINE) {
        *out = col_str_view(p, len);
        return true;
    }
    char *q = kiln_arena_alloc(a, len);
    if (!q) return false;
    memcpy(q, p, len);
    *out = col_str_view(q, len);
    return true;
}

int col_str_cmp(const col_str *a, const col_str *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->prefix, b->prefix, n < 4 ? n : 4);
    if (c == 0 && n > 4) c = memcmp(col_str_data(a) + 4, col_str_data(b) + 4, n - 4);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

int col_vec_init(col_vec *v, kiln_arena *a, const col_type *t, uint32_t cap)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    size_t w = col_type_width(t);
    if (w) {
        v->data = kiln_arena_alloc(a, w * (cap ? cap : 1));
        if (!v->data) return KILN_ENOMEM;
        /* Rows never written (under a null struct, say) read as "". */
        if (t->kind == COL_STRING || t->kind == COL_BINARY) memset(v->data, 0, w * (cap ? cap : 1));
    }
    switch (t->kind) {
    case COL_ARRAY:
    case COL_MAP: {
        v->offsets = kiln_arena_alloc(a, sizeof(uint32_t) * ((size_t)cap + 1));
        if (!v->offsets) return KILN_ENOMEM;
        v->offsets[0] = 0;
        v->nchildren = t->kind == COL_ARRAY ? 1 : 2;
        v->children = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)v->nchildren);
        if (!v->children) return KILN_ENOMEM;
        int rc = col_vec_init(&v->children[0], a, t->elem, cap);
        if (!rc && t->kind == COL_MAP) rc = col_vec_init(&v->children[1], a, t->value, cap);
        /* Children get their bitmaps now, for their whole capacity: the
         * capacity is not kept, so a bitmap added on a row's first null
         * would be too short for the rows after it. */
        for (int i = 0; !rc && i < v->nchildren; i++)
            rc = col_vec_add_validity(&v->children[i], a, cap);
        return rc;
    }
    case COL_STRUCT:
        v->nchildren = t->nfields;
        v->children = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(t->nfields ? t->nfields : 1));
        if (!v->children) return KILN_ENOMEM;
        for (int i = 0; i < t->nfields; i++) {
            int rc = col_vec_init(&v->children[i], a, t->fields[i].type, cap);
            if (!rc) rc = col_vec_add_validity(&v->children[i], a, cap); /* as above */
            if (rc) return rc;
        }
        return KILN_OK;
    default:
        return KILN_OK;
    }
}

/* The capacity of a child vector, kept in a hidden word before its data
 * is not tracked: children grow by copying into a larger allocation. */
static int grow_child(col_vec *c, kiln_arena *a, uint32_t have, uint32_t cap)
{
    col_vec g;
    int rc = col_vec_init(&g, a, c->type, cap);
    if (rc) return rc;
    size_t w = col_type_width(c->type);
    if (w && have) memcpy(g.data, c->data, w * have);
    if ((rc = col_vec_add_validity(&g, a, cap))) return rc; /* (see col_vec_init) */
    if (c->validity) {
        memcpy(g.validity, c->validity, COL_VALIDITY_WORDS(have) * 8);
        /* bits past `have` in the last copied word came from c: mark valid */
        for (uint32_t i = have; i < (uint32_t)(COL_VALIDITY_WORDS(have) * 64) && i < cap; i++)
            col_set_valid(&g, i);
    }
    if (c->offsets && have) memcpy(g.offsets, c->offsets, sizeof(uint32_t) * ((size_t)have + 1));
    if (c->type->kind == COL_STRUCT) {
        for (int i = 0; i < c->nchildren; i++)
            g.children[i] = c->children[i], g.children[i].n = c->children[i].n;
        /* struct children must grow too */
        for (int i = 0; i < c->nchildren; i++)
            if ((rc = grow_child(&g.children[i], a, have, cap))) return rc;
    } else if (c->nchildren) {
        for (int i = 0; i < c->nchildren; i++) g.children[i] = c->children[i];
    }
    g.n = c->n;
    *c = g;
    return KILN_OK;
}

int col_vec_reserve_child(col_vec *v, kiln_arena *a, uint32_t cap)
{
    /* Children of arrays and maps are made with room for the parent's
     * capacity; a hidden capacity is not kept, so grow to cap whenever asked
     * for more than the children hold now. Callers ask with the total they
     * need; growth doubles. */
    for (int i = 0; i < v->nchildren; i++) {
        col_vec *c = &v->children[i];
        if (cap > c->n) {
            uint32_t want = cap < 2 * c->n ? 2 * c->n : cap;
            int rc = grow_child(c, a, c->n, want);
            if (rc) return rc;
        }
    }
    return KILN_OK;
}

int col_vec_add_validity(col_vec *v, kiln_arena *a, uint32_t cap)
{
    if (v->validity) return KILN_OK;
    size_t words = COL_VALIDITY_WORDS(cap ? cap : 1);
    v->validity = kiln_arena_alloc(a, words * 8);
    if (!v->validity) return KILN_ENOMEM;
    memset(v->validity, 0xff, words * 8);
    return KILN_OK;
}

int col_vec_constant(col_vec *v, kiln_arena *a, const col_type *t, const void *val, uint32_t n)
{
    int rc = col_vec_init(v, a, t, 1);
    if (rc) return rc;
    v->constant = true;
    v->n = n;
    if (!val) {
        if ((rc = col_vec_add_validity(v, a, 1))) return rc;
        col_set_null(v, 0);
        return KILN_OK;
    }
    size_t w = col_type_width(t);
    if (t->kind == COL_STRING || t->kind == COL_BINARY) {
        const col_str *s = val;
        if (!col_str_copy(a, col_str_data(s), s->len, (col_str *)v->data)) return KILN_ENOMEM;
    } else if (w) {
        memcpy(v->data, val, w);
    } else {
        return KILN_EINVAL; /* nested constants are built with col_vec_flatten */
    }
    return KILN_OK;
}

static int copy_nested(col_vec *dst, kiln_arena *a, uint32_t j, const col_vec *src, uint32_t i);

/* Makes row j of dst null (see column.h). */
int col_vec_set_null_row(col_vec *dst, kiln_arena *a, uint32_t j, uint32_t cap)
{
    int rc = col_vec_add_validity(dst, a, cap);
    if (rc) return rc;
    col_set_null(dst, j);
    if (dst->offsets) dst->offsets[j + 1] = dst->offsets[j];
    if (dst->type->kind == COL_STRUCT)
        for (int c = 0; c < dst->nchildren; c++) {
            if ((rc = col_vec_set_null_row(&dst->children[c], a, j, cap))) return rc;
            if (dst->children[c].n < j + 1) dst->children[c].n = j + 1;
        }
    return KILN_OK;
}

int col_vec_copy_row(col_vec *dst, kiln_arena *a, uint32_t j, const col_vec *src, uint32_t i)
{
    uint32_t r = col_row(src, i);
    if (!col_valid(src, r)) return col_vec_set_null_row(dst, a, j, j + 1 > dst->n ? j + 1 : dst->n);
    size_t w = col_type_width(src->type);
    if (w) {
        memcpy((char *)dst->data + w * j, (const char *)src->data + w * r, w);
        return KILN_OK;
    }
    return copy_nested(dst, a, j, src, r);
}

static int copy_nested(col_vec *dst, kiln_arena *a, uint32_t j, const col_vec *src, uint32_t r)
{
    int rc;
    switch (src->type->kind) {
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t b = src->offsets[r], e = src->offsets[r + 1];
        uint32_t at = dst->offsets[j];
        if ((rc = col_vec_reserve_child(dst, a, at + (e - b)))) return rc;
        for (int c = 0; c < src->nchildren; c++) {
            for (uint32_t k = b; k < e; k++)
                if ((rc = col_vec_copy_row(&dst->children[c], a, at + (k - b), &src->children[c],
                                           k)))
                    return rc;
            if (dst->children[c].n < at + (e - b)) dst->children[c].n = at + (e - b);
        }
        dst->offsets[j + 1] = at + (e - b);
        return KILN_OK;
    }
    case COL_STRUCT:
        for (int c = 0; c < src->nchildren; c++) {
            if ((rc = col_vec_copy_row(&dst->children[c], a, j, &src->children[c], r))) return rc;
            if (dst->children[c].n < j + 1) dst->children[c].n = j + 1;
        }
        return KILN_OK;
    default:
        return KILN_OK; /* COL_NULL: nothing stored */
    }
}

int col_vec_gather(col_vec *dst, kiln_arena *a, const col_vec *src, const uint32_t *sel, uint32_t n)
{
    int rc = col_vec_init(dst, a, src->type, n);
    if (rc) return rc;
    dst->n = n;
    bool nulls = src->validity != NULL;
    if (nulls && (rc = col_vec_add_validity(dst, a, n))) return rc;
    size_t w = col_type_width(src->type);
    if (w && !src->constant && src->type->kind != COL_NULL) {
        /* The common fixed-width case without per-row calls. */
        switch (w) {
        case 1:
            for (uint32_t k = 0; k < n; k++)
                ((uint8_t *)dst->data)[k] = ((const uint8_t *)src->data)[sel ? sel[k] : k];
            break;
        case 2:
            for (uint32_t k = 0; k < n; k++)
                ((uint16_t *)dst->data)[k] = ((const uint16_t *)src->data)[sel ? sel[k] : k];
            break;
        case 4:
            for (uint32_t k = 0; k < n; k++)
                ((uint32_t *)dst->data)[k] = ((const uint32_t *)src->data)[sel ? sel[k] : k];
            break;
        case 8:
            for (uint32_t k = 0; k < n; k++)
                ((uint64_t *)dst->data)[k] = ((const uint64_t *)src->data)[sel ? sel[k] : k];
            break;
        default:
            for (uint32_t k = 0; k < n; k++)
                memcpy((char *)dst->data + w * k, (const char *)src->data + w * (sel ? sel[k] : k),
                       w);
        }
        if (nulls)
            for (uint32_t k = 0; k < n; k++)
                if (!col_valid(src, sel ? sel[k] : k)) col_set_null(dst, k);
        return KILN_OK;
    }
    if (src->type->kind == COL_ARRAY || src->type->kind == COL_MAP) {
        /* Room for every element at once: a child's capacity is not kept,
         * so growing it row by row would copy it again for every row. */
        size_t total = 0;
        for (uint32_t k = 0; k < n; k++) {
            uint32_t r = col_row(src, sel ? sel[k] : k);
            if (col_valid(src, r)) total += src->offsets[r + 1] - src->offsets[r];
        }
        if (total > UINT32_MAX) return KILN_ENOMEM;
        if ((rc = col_vec_reserve_child(dst, a, (uint32_t)total))) return rc;
        for (int c = 0; c < dst->nchildren; c++) dst->children[c].n = (uint32_t)total;
    }
    for (uint32_t k = 0; k < n; k++)
        if ((rc = col_vec_copy_row(dst, a, k, src, sel ? sel[k] : k))) return rc;
    return KILN_OK;
}

int col_vec_flatten(col_vec *dst, kiln_arena *a, const col_vec *src_in)
{
    if (!src_in->constant) {
        *dst = *src_in;
        return KILN_OK;
    }
    /* dst may be src (flattened in place): read from a copy of the header. */
    const col_vec copy = *src_in, *src = &copy;
    int rc = col_vec_init(dst, a, src->type, src->n);
    if (rc) return rc;
    dst->n = src->n;
    if (src->validity && !col_valid(src, 0)) {
        if ((rc = col_vec_add_validity(dst, a, src->n))) return rc;
        memset(dst->validity, 0, COL_VALIDITY_WORDS(src->n) * 8);
        if (dst->offsets) memset(dst->offsets, 0, sizeof(uint32_t) * ((size_t)src->n + 1));
        return KILN_OK;
    }
    for (uint32_t k = 0; k < src->n; k++)
        if ((rc = col_vec_copy_row(dst, a, k, src, 0))) return rc;
    return KILN_OK;
}

/* Decimal unscaled value as a double. */
static double dec_to_double(__int128 u, int scale)
{
    double d = (double)u;
    for (int i = 0; i < scale; i++) d /= 10;
    return d;
}

int col_vec_get_value(const col_vec *v, uint32_t i, kiln_arena *a, kiln_value *out)
{
    uint32_t r = col_row(v, i);
    memset(out, 0, sizeof *out);
    if (!col_valid(v, r) || v->type->kind == COL_NULL) {
        out->type = KILN_NULL;
        return KILN_OK;
    }
    switch (v->type->kind) {
    case COL_BOOL:
        out->type = KILN_BOOL;
        out->u.b = COL_DATA(v, uint8_t)[r] != 0;
        return KILN_OK;
    case COL_I8:
        *out = kiln_int(COL_DATA(v, int8_t)[r]);
        return KILN_OK;
    case COL_I16:
        *out = kiln_int(COL_DATA(v, int16_t)[r]);
        return KILN_OK;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        *out = kiln_int(COL_DATA(v, int32_t)[r]);
        return KILN_OK;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        *out = kiln_int(COL_DATA(v, int64_t)[r]);
        return KILN_OK;
    case COL_F32:
        *out = kiln_double(COL_DATA(v, float)[r]);
        return KILN_OK;
    case COL_F64:
        *out = kiln_double(COL_DATA(v, double)[r]);
        return KILN_OK;
    case COL_DECIMAL: {
        __int128 u = col_decimal_is_wide(v->type) ? COL_DATA(v, __int128)[r]
                                                  : COL_DATA(v, int64_t)[r];
        if (v->type->scale == 0 && u >= INT64_MIN && u <= INT64_MAX) *out = kiln_int((int64_t)u);
        else *out = kiln_double(dec_to_double(u, v->type->scale));
        return KILN_OK;
    }
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &COL_DATA(v, col_str)[r];
        *out = v->type->kind == COL_STRING ? kiln_str_new(a, col_str_data(s), s->len)
                                           : kiln_bytes_new(a, col_str_data(s), s->len);
        return out->type == KILN_NULL ? KILN_ENOMEM : KILN_OK;
    }
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t b = v->offsets[r], e = v->offsets[r + 1];
        kiln_value *items = kiln_arena_alloc(a, sizeof *items * (e > b ? e - b : 1));
        if (!items) return KILN_ENOMEM;
        for (uint32_t k = b; k < e; k++) {
            int rc;
            if (v->type->kind == COL_ARRAY) {
                rc = col_vec_get_value(&v->children[0], k, a, &items[k - b]);
            } else {
                kiln_value kv[2];
                rc = col_vec_get_value(&v->children[0], k, a, &kv[0]);
                if (!rc) rc = col_vec_get_value(&v->children[1], k, a, &kv[1]);
                if (!rc) items[k - b] = kiln_tuple_new(a, kv, 2);
            }
            if (rc) return rc;
        }
        *out = kiln_list_new(a, items, e - b);
        return KILN_OK;
    }
    case COL_STRUCT: {
        int n = v->nchildren;
        kiln_value *items = kiln_arena_alloc(a, sizeof *items * (size_t)(n ? n : 1));
        if (!items) return KILN_ENOMEM;
        for (int k = 0; k < n; k++) {
            int rc = col_vec_get_value(&v->children[k], r, a, &items[k]);
            if (rc) return rc;
        }
        *out = kiln_tuple_new(a, items, (size_t)n);
        return KILN_OK;
    }
    default:
        return KILN_EINVAL;
    }
}

int col_batch_init(col_batch *b, kiln_arena *a, int ncols, const col_type *const *types,
                   uint32_t cap)
{
    memset(b, 0, sizeof *b);
    b->ncols = ncols;
    b->cols = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(ncols ? ncols : 1));
    if (!b->cols) return KILN_ENOMEM;
    for (int i = 0; i < ncols; i++) {
        int rc = col_vec_init(&b->cols[i], a, types[i], cap);
        if (rc) return rc;
    }
    return KILN_OK;
}

int col_batch_compact(col_batch *b, kiln_arena *a)
{
    if (!b->sel) return KILN_OK;
    col_vec *cols = kiln_arena_alloc(a, sizeof(col_vec) * (size_t)(b->ncols ? b->ncols : 1));
    if (!cols) return KILN_ENOMEM;
    for (int i = 0; i < b->ncols; i++) {
        int rc = col_vec_gather(&cols[i], a, &b->cols[i], b->sel, b->nsel);
        if (rc) return rc;
    }
    b->cols = cols;
    b->n = b->nsel;
    b->sel = NULL;
    b->nsel = 0;
    return KILN_OK;
}
