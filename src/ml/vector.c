/*
 * ml/vector.c - dense and sparse vectors as record values, and labeled
 * points.
 *
 * Dense: a KILN_VEC. Sparse: the 3-tuple (INT size, BYTES indices, VEC
 * values), indices int32 little-endian and strictly increasing. The index
 * bytes may sit at any alignment (a decoded record), so they are read with
 * memcpy, which compiles to a plain load.
 */
#include <string.h>

#include "ml/ml.h"

static inline int32_t index_at(const uint8_t *p, size_t i)
{
    int32_t x;
    memcpy(&x, p + 4 * i, sizeof x);
    return x; /* little-endian hosts only, as the value encoding */
}

bool kiln_ml_is_sparse(const kiln_value *v)
{
    if (v->type != KILN_TUPLE || v->len != 3) return false;
    const kiln_value *it = v->u.items;
    if (it[0].type != KILN_INT || it[1].type != KILN_BYTES || it[2].type != KILN_VEC) return false;
    if (it[0].u.i < 0 || it[0].u.i > INT32_MAX) return false;
    if (it[1].len != 4 * (size_t)it[2].len) return false;
    int32_t prev = -1;
    for (size_t i = 0; i < it[2].len; i++) {
        int32_t x = index_at(it[1].u.bytes, i);
        if (x <= prev || x >= it[0].u.i) return false;
        prev = x;
    }
    return true;
}

bool kiln_ml_is_vector(const kiln_value *v)
{
    return v->type == KILN_VEC || kiln_ml_is_sparse(v);
}

kiln_value kiln_ml_sparse_new(kiln_arena *a, int64_t size, const int32_t *indices,
                              const double *values, size_t nnz)
{
    if (size < 0 || size > INT32_MAX) {
        kiln_set_error(KILN_ERANGE, "sparse vector: size %lld out of range", (long long)size);
        return kiln_null();
    }
    for (size_t i = 0; i < nnz; i++)
        if (indices[i] < 0 || indices[i] >= size || (i > 0 && indices[i] <= indices[i - 1])) {
            kiln_set_error(KILN_EINVAL,
                           "sparse vector: index %d at position %zu is not increasing and "
                           "below the size %lld",
                           (int)indices[i], i, (long long)size);
            return kiln_null();
        }
    /* (The constructors are not handed NULL pointers for empty vectors.) */
    kiln_value parts[3] = {kiln_int(size), kiln_bytes_ref("", 0), kiln_vec_ref(NULL, 0)};
    if (nnz) {
        parts[1] = kiln_bytes_new(a, indices, 4 * nnz);
        parts[2] = kiln_vec_new(a, values, nnz);
        if (parts[1].type == KILN_NULL || parts[2].type == KILN_NULL) {
            kiln_set_error(KILN_ENOMEM, "out of memory");
            return kiln_null();
        }
    }
    kiln_value v = kiln_tuple_new(a, parts, 3);
    if (v.type == KILN_NULL) kiln_set_error(KILN_ENOMEM, "out of memory");
    return v;
}

int64_t kiln_ml_vector_size(const kiln_value *v)
{
    return v->type == KILN_VEC ? (int64_t)v->len : v->u.items[0].u.i;
}

size_t kiln_ml_vector_nnz(const kiln_value *v)
{
    return v->type == KILN_VEC ? v->len : v->u.items[2].len;
}

void kiln_ml_sparse_entry(const kiln_value *v, size_t i, int32_t *index, double *value)
{
    *index = index_at(v->u.items[1].u.bytes, i);
    *value = v->u.items[2].u.vec[i];
}

double kiln_ml_dot(const kiln_value *x, const double *w)
{
    double s = 0;
    if (x->type == KILN_VEC) {
        for (size_t i = 0; i < x->len; i++) s += x->u.vec[i] * w[i];
        return s;
    }
    const uint8_t *idx = x->u.items[1].u.bytes;
    const double *val = x->u.items[2].u.vec;
    for (size_t i = 0, n = x->u.items[2].len; i < n; i++) s += val[i] * w[index_at(idx, i)];
    return s;
}

void kiln_ml_axpy(double alpha, const kiln_value *x, double *y)
{
    if (x->type == KILN_VEC) {
        for (size_t i = 0; i < x->len; i++) y[i] += alpha * x->u.vec[i];
        return;
    }
    const uint8_t *idx = x->u.items[1].u.bytes;
    const double *val = x->u.items[2].u.vec;
    for (size_t i = 0, n = x->u.items[2].len; i < n; i++) y[index_at(idx, i)] += alpha * val[i];
}

void kiln_ml_to_dense(const kiln_value *x, double *out)
{
    if (x->type == KILN_VEC) {
        if (x->len) memcpy(out, x->u.vec, sizeof *out * x->len);
        return;
    }
    memset(out, 0, sizeof *out * (size_t)kiln_ml_vector_size(x));
    kiln_ml_axpy(1.0, x, out);
}

kiln_value kiln_ml_point(kiln_arena *a, double label, kiln_value features)
{
    return kiln_pair(a, kiln_double(label), features);
}

int kiln_ml_point_parts(const kiln_value *p, double *label, kiln_value *features)
{
    if (p->type != KILN_TUPLE || p->len != 2 ||
        (p->u.items[0].type != KILN_DOUBLE && p->u.items[0].type != KILN_INT) ||
        !(p->u.items[1].type == KILN_VEC || p->u.items[1].type == KILN_TUPLE))
        return kiln_set_error(KILN_ETYPE, "expected a labeled point (label, vector)");
    *label = p->u.items[0].type == KILN_DOUBLE ? p->u.items[0].u.d : (double)p->u.items[0].u.i;
    *features = p->u.items[1];
    return KILN_OK;
}
