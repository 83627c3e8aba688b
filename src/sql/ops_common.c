/*
 * sql/ops_common.c - the helpers of ops_int.h: physical storage classes,
 * growable column stores and vector construction for the operator cores.
 */
#include <stdlib.h>

#include "kiln.h"
#include "sql/ops_int.h"

int ops_phys(const col_type *t)
{
    switch (t->kind) {
    case COL_BOOL:
    case COL_I8:
        return OPS_P_I8;
    case COL_I16:
        return OPS_P_I16;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        return OPS_P_I32;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        return OPS_P_I64;
    case COL_DECIMAL:
        return t->precision > 18 ? OPS_P_I128 : OPS_P_I64;
    case COL_F32:
        return OPS_P_F32;
    case COL_F64:
        return OPS_P_F64;
    case COL_STRING:
    case COL_BINARY:
        return OPS_P_STR;
    default:
        return OPS_P_NONE;
    }
}

size_t ops_phys_width(int phys)
{
    static const size_t w[] = {0, 1, 2, 4, 8, 16, 4, 8, sizeof(col_str), sizeof(col_str)};
    return w[phys];
}

int ops_str_cmp(const col_str *a, const col_str *b)
{
    uint32_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(col_str_data(a), col_str_data(b), n);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

bool ops_str_copy(kiln_arena *a, const col_str *s, col_str *out)
{
    *out = *s;
    if (s->len <= COL_STR_INLINE) return true;
    char *p = kiln_arena_alloc(a, s->len);
    if (!p) return false;
    memcpy(p, s->u.ptr, s->len);
    out->u.ptr = p;
    return true;
}

void ops_store_init(ops_store *s, const col_type *t)
{
    memset(s, 0, sizeof *s);
    s->type = t;
    s->phys = ops_phys(t);
    if (s->phys == OPS_P_NONE) s->phys = OPS_P_NESTED;
    s->width = ops_phys_width(s->phys);
}

void ops_store_release(ops_store *s)
{
    free(s->data);
    free(s->valid);
    s->data = s->valid = NULL;
    s->n = s->cap = 0;
}

int ops_store_reserve(ops_store *s, size_t cap)
{
    if (cap <= s->cap) return KILN_OK;
    size_t nc = s->cap ? s->cap : 1024;
    while (nc < cap) nc *= 2;
    uint8_t *d = realloc(s->data, nc * s->width);
    if (!d) return KILN_ENOMEM;
    s->data = d;
    if (s->valid) {
        uint8_t *v = realloc(s->valid, nc);
        if (!v) return KILN_ENOMEM;
        s->valid = v;
    }
    s->cap = nc;
    return KILN_OK;
}

int ops_store_add_validity(ops_store *s)
{
    s->valid = malloc(s->cap ? s->cap : 1);
    if (!s->valid) return KILN_ENOMEM;
    memset(s->valid, 1, s->cap);
    return KILN_OK;
}

int ops_store_append(ops_store *s, kiln_arena *a, const col_vec *v, const uint32_t *sel,
                     uint32_t count, bool norm)
{
    int rc = ops_store_reserve(s, s->n + count);
    if (rc) return rc;
    if (s->phys == OPS_P_NESTED) return ops_nested_append(s, a, v, sel, count, norm);
    size_t w = s->width;
    uint8_t *dst = s->data + s->n * w;
    const uint8_t *src = v->data;
    bool has_nulls = v->validity != NULL;
    if (has_nulls && !s->valid && (rc = ops_store_add_validity(s))) return rc;
    if (v->constant) {
        for (uint32_t k = 0; k < count; k++) memcpy(dst + k * w, src, w);
    } else if (!sel) {
        memcpy(dst, src, (size_t)count * w);
    } else {
        switch (w) {
        case 1:
            for (uint32_t k = 0; k < count; k++) dst[k] = src[sel[k]];
            break;
        case 2:
            for (uint32_t k = 0; k < count; k++)
                ((uint16_t *)dst)[k] = ((const uint16_t *)src)[sel[k]];
            break;
        case 4:
            for (uint32_t k = 0; k < count; k++)
                ((uint32_t *)dst)[k] = ((const uint32_t *)src)[sel[k]];
            break;
        case 8:
            for (uint32_t k = 0; k < count; k++)
                ((uint64_t *)dst)[k] = ((const uint64_t *)src)[sel[k]];
            break;
        default:
            for (uint32_t k = 0; k < count; k++) memcpy(dst + k * w, src + (size_t)sel[k] * w, w);
        }
    }
    if (s->valid) {
        uint8_t *vd = s->valid + s->n;
        if (!has_nulls) {
            memset(vd, 1, count);
        } else {
            for (uint32_t k = 0; k < count; k++) {
                uint32_t i = sel ? sel[k] : k;
                vd[k] = col_valid(v, i);
                if (!vd[k]) memset(dst + k * w, 0, w);
            }
        }
    }
    if (norm && s->phys == OPS_P_F64) {
        double *d = (double *)dst;
        for (uint32_t k = 0; k < count; k++) d[k] = ops_norm_f64(d[k]);
    } else if (norm && s->phys == OPS_P_F32) {
        float *d = (float *)dst;
        for (uint32_t k = 0; k < count; k++) d[k] = ops_norm_f32(d[k]);
    } else if (s->phys == OPS_P_STR) {
        col_str *d = (col_str *)dst;
        for (uint32_t k = 0; k < count; k++)
            if (d[k].len > COL_STR_INLINE && !ops_str_copy(a, &d[k], &d[k])) return KILN_ENOMEM;
    }
    s->n += count;
    return KILN_OK;
}

int ops_vec_make(col_vec *v, kiln_arena *a, const col_type *t, uint32_t n, bool nulls)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    v->n = n;
    size_t w = col_type_width(t);
    if (w) {
        v->data = kiln_arena_alloc(a, (size_t)(n ? n : 1) * w);
        if (!v->data) return KILN_ENOMEM;
    }
    if (nulls) {
        size_t words = COL_VALIDITY_WORDS(n ? n : 1);
        v->validity = kiln_arena_alloc(a, words * 8);
        if (!v->validity) return KILN_ENOMEM;
        memset(v->validity, 0xff, words * 8);
    }
    return KILN_OK;
}

int ops_store_gather(const ops_store *s, kiln_arena *a, const uint32_t *rows, size_t start,
                     uint32_t n, col_vec *out)
{
    bool nulls = s->valid != NULL;
    if (rows && !nulls)
        for (uint32_t k = 0; k < n && !nulls; k++) nulls = rows[k] == UINT32_MAX;
    if (s->phys == OPS_P_NESTED) return ops_nested_gather(s, a, rows, start, n, out);
    int rc = ops_vec_make(out, a, s->type, n, nulls);
    if (rc) return rc;
    size_t w = s->width;
    uint8_t *dst = out->data;
    if (!rows) {
        memcpy(dst, s->data + start * w, (size_t)n * w);
        if (s->valid)
            for (uint32_t k = 0; k < n; k++)
                if (!s->valid[start + k]) col_set_null(out, k);
        return KILN_OK;
    }
    switch (w) {
    case 8:
        for (uint32_t k = 0; k < n; k++)
            ((uint64_t *)dst)[k] = rows[k] == UINT32_MAX ? 0 : ((uint64_t *)s->data)[rows[k]];
        break;
    case 4:
        for (uint32_t k = 0; k < n; k++)
            ((uint32_t *)dst)[k] = rows[k] == UINT32_MAX ? 0 : ((uint32_t *)s->data)[rows[k]];
        break;
    default:
        for (uint32_t k = 0; k < n; k++) {
            if (rows[k] == UINT32_MAX) memset(dst + k * w, 0, w);
            else memcpy(dst + k * w, s->data + (size_t)rows[k] * w, w);
        }
    }
    if (nulls)
        for (uint32_t k = 0; k < n; k++)
            if (rows[k] == UINT32_MAX || (s->valid && !s->valid[rows[k]])) col_set_null(out, k);
    return KILN_OK;
}

#define MATCH_LOOP(T, EQ)                                                                          \
    do {                                                                                           \
        const T *vd = v->data, *sd = (const T *)s->data;                                           \
        for (uint32_t k = 0; k < n; k++) {                                                         \
            T x = vd[cst ? 0 : rows[k]], y = sd[srows[k]];                                         \
            out[k] &= (EQ);                                                                        \
        }                                                                                          \
    } while (0)

void ops_store_match(const ops_store *s, const col_vec *v, const uint32_t *rows,
                     const uint32_t *srows, uint32_t n, uint8_t *match, bool null_eq)
{
    if (s->phys == OPS_P_NESTED) {
        ops_nested_match(s, v, rows, srows, n, match, null_eq);
        return;
    }
    bool cst = v->constant, nulls = v->validity || s->valid;
    uint8_t tmp[COL_VEC_SIZE];
    uint8_t *out = match;
    if (nulls) {
        out = tmp;
        memset(tmp, 1, n);
    }
    switch (s->phys) {
    case OPS_P_I8:
        MATCH_LOOP(int8_t, x == y);
        break;
    case OPS_P_I16:
        MATCH_LOOP(int16_t, x == y);
        break;
    case OPS_P_I32:
        MATCH_LOOP(int32_t, x == y);
        break;
    case OPS_P_I64:
        MATCH_LOOP(int64_t, x == y);
        break;
    case OPS_P_I128:
        MATCH_LOOP(__int128, x == y);
        break;
    case OPS_P_F32:
        MATCH_LOOP(float, ops_norm_f32(x) == y || (x != x && y != y));
        break;
    case OPS_P_F64:
        MATCH_LOOP(double, ops_norm_f64(x) == y || (x != x && y != y));
        break;
    case OPS_P_STR:
        MATCH_LOOP(col_str, col_str_eq(&x, &y));
        break;
    default:
        memset(match, 0, n);
        return;
    }
    if (!nulls) return;
    for (uint32_t k = 0; k < n; k++) {
        bool a = col_valid(v, rows[k]), b = ops_store_valid(s, srows[k]);
        match[k] &= a && b ? tmp[k] : (!a && !b && null_eq);
    }
}
