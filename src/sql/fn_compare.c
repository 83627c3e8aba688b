/*
 * sql/fn_compare.c - comparisons and logic (Spark 4): = == <> != < <= > >=
 * <=> equal_null, and or not with three-valued logic, in, between, isnull,
 * isnotnull. Bind casts both sides to their common type, so kernels compare
 * equal types; they are stamped out per type (ints of every width, floats
 * with Spark's NaN order: NaN equals NaN and is above every other value,
 * decimals, strings in byte order, nested types row by row).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fn_int.h"

enum { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

/* Three-way comparisons by representation. */
#define C3_INT(x, y) (((x) > (y)) - ((x) < (y)))
static inline int c3_f64(double x, double y)
{
    bool xn = x != x, yn = y != y;
    if (xn || yn) return xn - yn;
    return (x > y) - (x < y);
}

int fn_cmp_rows(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    uint32_t ri = col_row(a, i), rj = col_row(b, j);
    switch (a->type->kind) {
    case COL_BOOL:
        return C3_INT(((const uint8_t *)a->data)[ri], ((const uint8_t *)b->data)[rj]);
    case COL_I8:
    case COL_I16:
    case COL_I32:
    case COL_I64:
    case COL_DATE:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_YM:
    case COL_INTERVAL_DT: {
        int64_t x = fn_int_get(a, i), y = fn_int_get(b, j);
        return C3_INT(x, y);
    }
    case COL_F32:
        return c3_f64(((const float *)a->data)[ri], ((const float *)b->data)[rj]);
    case COL_F64:
        return c3_f64(((const double *)a->data)[ri], ((const double *)b->data)[rj]);
    case COL_DECIMAL: {
        dec128 x = fn_dec_get(a, i), y = fn_dec_get(b, j);
        if (a->type->scale != b->type->scale) {
            dec128 t;
            if (a->type->scale < b->type->scale) {
                if (!dec_rescale(x, a->type->scale, b->type->scale, &t)) return x < 0 ? -1 : 1;
                x = t;
            } else {
                if (!dec_rescale(y, b->type->scale, a->type->scale, &t)) return y < 0 ? 1 : -1;
                y = t;
            }
        }
        return C3_INT(x, y);
    }
    case COL_STRING:
    case COL_BINARY: {
        int c = col_str_cmp(&((const col_str *)a->data)[ri], &((const col_str *)b->data)[rj]);
        return (c > 0) - (c < 0);
    }
    case COL_ARRAY:
    case COL_MAP: {
        uint32_t ab = a->offsets[ri], ae = a->offsets[ri + 1];
        uint32_t bb = b->offsets[rj], be = b->offsets[rj + 1];
        for (int ch = 0; ch < a->nchildren; ch++) {
            const col_vec *ac = &a->children[ch], *bc = &b->children[ch];
            for (uint32_t x = ab, y = bb; x < ae && y < be; x++, y++) {
                bool av = col_valid(ac, x), bv = col_valid(bc, y);
                if (!av || !bv) {
                    if (av != bv) return av ? 1 : -1; /* null first */
                    continue;
                }
                int c = fn_cmp_rows(ac, x, bc, y);
                if (c) return c;
            }
            if (ch == 0 && a->type->kind == COL_ARRAY) break;
        }
        uint32_t an = ae - ab, bn = be - bb;
        return C3_INT(an, bn);
    }
    case COL_STRUCT:
        for (int f = 0; f < a->nchildren; f++) {
            const col_vec *ac = &a->children[f], *bc = &b->children[f];
            bool av = col_valid(ac, ri), bv = col_valid(bc, rj);
            if (!av || !bv) {
                if (av != bv) return av ? 1 : -1;
                continue;
            }
            int c = fn_cmp_rows(ac, ri, bc, rj);
            if (c) return c;
        }
        return 0;
    default:
        return 0;
    }
}

/* A comparison kernel over typed arrays: R[i] = EXPR(x, y). */
#define CMP_KERNEL(NAME, T, EXPR)                                                                  \
    static int NAME(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,          \
                    const uint32_t *sel, uint32_t n, uint32_t count)                               \
    {                                                                                              \
        const col_vec *a = &args[0], *b = &args[1];                                                \
        const T *A = a->data;                                                                      \
        const T *B = b->data;                                                                      \
        uint8_t *R = out->data;                                                                    \
        if (!sel && !a->constant && !b->constant) {                                                \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                T x = A[i], y = B[i];                                                              \
                R[i] = (uint8_t)(EXPR);                                                            \
            }                                                                                      \
        } else if (!sel && b->constant && !a->constant) {                                          \
            T y = B[0];                                                                            \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                T x = A[i];                                                                        \
                R[i] = (uint8_t)(EXPR);                                                            \
            }                                                                                      \
        } else if (!sel && a->constant && !b->constant) {                                          \
            T x = A[0];                                                                            \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                T y = B[i];                                                                        \
                R[i] = (uint8_t)(EXPR);                                                            \
            }                                                                                      \
        } else {                                                                                   \
            FN_ROWS(sel, n, count, i, {                                                            \
                T x = A[col_row(a, i)], y = B[col_row(b, i)];                                      \
                R[i] = (uint8_t)(EXPR);                                                            \
            });                                                                                    \
        }                                                                                          \
        return KILN_OK;                                                                            \
    }

#define CMP_SET(S, T, EQ, LT)                                                                      \
    CMP_KERNEL(eq_##S, T, EQ(x, y))                                                                \
    CMP_KERNEL(ne_##S, T, !EQ(x, y))                                                               \
    CMP_KERNEL(lt_##S, T, LT(x, y))                                                                \
    CMP_KERNEL(le_##S, T, !LT(y, x))                                                               \
    CMP_KERNEL(gt_##S, T, LT(y, x))                                                                \
    CMP_KERNEL(ge_##S, T, !LT(x, y))

#define EQ_PLAIN(x, y) ((x) == (y))
#define LT_PLAIN(x, y) ((x) < (y))
#define EQ_FLT(x, y) ((x) == (y) || ((x) != (x) && (y) != (y)))
#define LT_FLT(x, y) ((x) < (y) || ((y) != (y) && (x) == (x)))

CMP_SET(u8, uint8_t, EQ_PLAIN, LT_PLAIN)
CMP_SET(i8, int8_t, EQ_PLAIN, LT_PLAIN)
CMP_SET(i16, int16_t, EQ_PLAIN, LT_PLAIN)
CMP_SET(i32, int32_t, EQ_PLAIN, LT_PLAIN)
CMP_SET(i64, int64_t, EQ_PLAIN, LT_PLAIN)
CMP_SET(i128, dec128, EQ_PLAIN, LT_PLAIN)
CMP_SET(f32, float, EQ_FLT, LT_FLT)
CMP_SET(f64, double, EQ_FLT, LT_FLT)

/* Strings and nested types: skip null rows (their bytes may be garbage). */
static int cmp_generic(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    int op = (int)(intptr_t)state;
    const col_vec *a = &args[0], *b = &args[1];
    uint8_t *R = out->data;
    bool str = a->type->kind == COL_STRING || a->type->kind == COL_BINARY;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(out, i)) continue;
        int r;
        if (str && op <= CMP_NE)
            r = col_str_eq(&((const col_str *)a->data)[col_row(a, i)],
                           &((const col_str *)b->data)[col_row(b, i)])
                    ? 0
                    : 1;
        else r = fn_cmp_rows(a, i, b, i);
        switch (op) {
        case CMP_EQ:
            R[i] = r == 0;
            break;
        case CMP_NE:
            R[i] = r != 0;
            break;
        case CMP_LT:
            R[i] = r < 0;
            break;
        case CMP_LE:
            R[i] = r <= 0;
            break;
        case CMP_GT:
            R[i] = r > 0;
            break;
        default:
            R[i] = r >= 0;
            break;
        }
    });
    return KILN_OK;
}

static fn_kernel cmp_kernel(int op, const col_type *t)
{
#define PICK(S)                                                                                    \
    {                                                                                              \
        static const fn_kernel ks[] = {eq_##S, ne_##S, lt_##S, le_##S, gt_##S, ge_##S};            \
        return ks[op];                                                                             \
    }
    switch (t->kind) {
    case COL_BOOL:
        PICK(u8)
    case COL_I8:
        PICK(i8)
    case COL_I16:
        PICK(i16)
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        PICK(i32)
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        PICK(i64)
    case COL_DECIMAL:
        if (col_decimal_is_wide(t)) PICK(i128)
        PICK(i64)
    case COL_F32:
        PICK(f32)
    case COL_F64:
        PICK(f64)
    default:
        return cmp_generic;
    }
#undef PICK
}

static bool comparable(const col_type *t)
{
    if (t->kind == COL_MAP) return false;
    if (t->kind == COL_ARRAY) return comparable(t->elem);
    if (t->kind == COL_STRUCT) {
        for (int f = 0; f < t->nfields; f++)
            if (!comparable(t->fields[f].type)) return false;
    }
    return true;
}

/* The common type of arguments from..nargs-1 (string promotion pairwise). */
static const col_type *common_of(fn_bind *b, int from)
{
    const col_type *t = b->args[from];
    for (int k = from + 1; k < b->nargs && t; k++) t = fn_binary_common(b, t, b->args[k]);
    return t;
}

static int fail_types(fn_bind *b)
{
    return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
                        "Cannot resolve the operation due to data type mismatch: the left and "
                        "right operands of the binary operator have incompatible types (\"%s\" "
                        "and \"%s\").",
                        fn_type_name(b->arena, b->args[0]),
                        fn_type_name(b->arena, b->args[b->nargs > 1 ? 1 : 0]));
}

static int bind_cmp(fn_bind *b, int op)
{
    const col_type *t = common_of(b, 0);
    if (!t || !comparable(t)) return fail_types(b);
    if (t->kind == COL_NULL) t = &col_type_bool;
    b->want[0] = b->want[1] = t;
    b->result = &col_type_bool;
    b->kernel = cmp_kernel(op, t);
    if (b->kernel == cmp_generic) b->state = (void *)(intptr_t)op;
    return KILN_OK;
}

static int bind_eq(fn_bind *b)
{
    return bind_cmp(b, CMP_EQ);
}
static int bind_ne(fn_bind *b)
{
    return bind_cmp(b, CMP_NE);
}
static int bind_lt(fn_bind *b)
{
    return bind_cmp(b, CMP_LT);
}
static int bind_le(fn_bind *b)
{
    return bind_cmp(b, CMP_LE);
}
static int bind_gt(fn_bind *b)
{
    return bind_cmp(b, CMP_GT);
}
static int bind_ge(fn_bind *b)
{
    return bind_cmp(b, CMP_GE);
}

/* <=>: equality where null equals null; the result is never null. */
typedef struct eqns_state {
    fn_kernel eq;
    void *eq_state;
} eqns_state;

static int eqns_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    const eqns_state *st = state;
    const col_vec *a = &args[0], *b = &args[1];
    uint8_t *R = out->data;
    if (!a->validity && !b->validity)
        return st->eq(c, st->eq_state, out, args, nargs, sel, n, count);
    /* Mark the rows with a null null for the equality kernel (strings must
     * not be read there), then decide them here. */
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(a, i) || !col_valid(b, i)) col_set_null(out, i);
    });
    int rc = st->eq(c, st->eq_state, out, args, nargs, sel, n, count);
    if (rc != KILN_OK) return rc;
    FN_ROWS(sel, n, count, i, {
        bool av = col_valid(a, i), bv = col_valid(b, i);
        if (!av || !bv) {
            R[i] = !av && !bv;
            col_set_valid(out, i);
        }
    });
    return KILN_OK;
}

static int bind_eqns(fn_bind *b)
{
    int rc = bind_cmp(b, CMP_EQ);
    if (rc != KILN_OK) return rc;
    eqns_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->eq = b->kernel;
    st->eq_state = b->state;
    b->state = st;
    b->kernel = eqns_kernel;
    b->nullable = false;
    return KILN_OK;
}

/* ---- Logic ---------------------------------------------------------------- */

static int and_or_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool is_and = state != NULL;
    const col_vec *a = &args[0], *b = &args[1];
    const uint8_t *A = a->data, *B = b->data;
    uint8_t *R = out->data;
    if (!sel && !a->validity && !b->validity && !a->constant && !b->constant) {
        if (is_and)
            for (uint32_t i = 0; i < n; i++) R[i] = A[i] & B[i];
        else
            for (uint32_t i = 0; i < n; i++) R[i] = A[i] | B[i];
        return KILN_OK;
    }
    FN_ROWS(sel, n, count, i, {
        bool av = col_valid(a, i), bv = col_valid(b, i);
        bool x = av && A[col_row(a, i)], y = bv && B[col_row(b, i)];
        if (is_and) {
            if ((av && !x) || (bv && !y)) {
                R[i] = 0;
            } else if (av && bv) {
                R[i] = 1;
            } else {
                R[i] = 0;
                col_set_null(out, i);
            }
        } else {
            if (x || y) {
                R[i] = 1;
            } else if (av && bv) {
                R[i] = 0;
            } else {
                R[i] = 0;
                col_set_null(out, i);
            }
        }
    });
    return KILN_OK;
}

static int bind_logic(fn_bind *b, bool is_and)
{
    for (int k = 0; k < b->nargs; k++) {
        int kind = b->args[k]->kind;
        if (kind != COL_BOOL && kind != COL_NULL && !(kind == COL_STRING && !b->ansi))
            return fn_bind_fail(b, k, "DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE",
                                "Cannot resolve the operation due to data type mismatch: the "
                                "binary operator requires the input type \"BOOLEAN\", not "
                                "\"%s\".",
                                fn_type_name(b->arena, b->args[k]));
        b->want[k] = &col_type_bool;
    }
    b->result = &col_type_bool;
    b->kernel = and_or_kernel;
    b->state = is_and ? (void *)1 : NULL;
    return KILN_OK;
}

static int bind_and(fn_bind *b)
{
    return bind_logic(b, true);
}
static int bind_or(fn_bind *b)
{
    return bind_logic(b, false);
}

static int not_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                      const uint32_t *sel, uint32_t n, uint32_t count)
{
    const uint8_t *A = args[0].data;
    uint8_t *R = out->data;
    FN_ROWS(sel, n, count, i, { R[i] = !A[col_row(&args[0], i)]; });
    return KILN_OK;
}

static int bind_not(fn_bind *b)
{
    int rc = bind_logic(b, false);
    b->kernel = not_kernel;
    b->state = NULL;
    return rc;
}

static int isnull_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count)
{
    bool want_null = state != NULL;
    uint8_t *R = out->data;
    FN_ROWS(sel, n, count, i, { R[i] = col_valid(&args[0], i) != want_null; });
    return KILN_OK;
}

static int bind_isnull(fn_bind *b)
{
    b->result = &col_type_bool;
    b->kernel = isnull_kernel;
    b->state = (void *)1;
    return KILN_OK;
}
static int bind_isnotnull(fn_bind *b)
{
    b->result = &col_type_bool;
    b->kernel = isnull_kernel;
    b->state = NULL;
    return KILN_OK;
}

/* ---- in, between ------------------------------------------------------------ */

/* x IN (v1, ...): true on a match; else null when x or any value is null;
 * else false. One pass over the rows per listed value. */
#define IN_LOOP(T, EQ)                                                                             \
    {                                                                                              \
        const T *X = x->data;                                                                      \
        for (int k = 1; k < nargs; k++) {                                                          \
            const col_vec *v = &args[k];                                                           \
            const T *V = v->data;                                                                  \
            if (v->constant) {                                                                     \
                if (!col_valid(v, 0)) {                                                            \
                    FN_ROWS(sel, n, count, i, { R[i] |= 2; });                                     \
                    continue;                                                                      \
                }                                                                                  \
                T y = V[0];                                                                        \
                FN_ROWS(sel, n, count, i, { R[i] |= EQ(X[col_row(x, i)], y); });                   \
            } else {                                                                               \
                FN_ROWS(sel, n, count, i, {                                                        \
                    if (!col_valid(v, i)) R[i] |= 2;                                               \
                    else if (col_valid(x, i)) R[i] |= EQ(X[col_row(x, i)], V[i]);                  \
                });                                                                                \
            }                                                                                      \
        }                                                                                          \
    }

static int in_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                     const uint32_t *sel, uint32_t n, uint32_t count)
{
    const col_vec *x = &args[0];
    uint8_t *R = out->data;
    FN_ROWS(sel, n, count, i, { R[i] = 0; });
    switch (x->type->kind) {
    case COL_BOOL:
        IN_LOOP(uint8_t, EQ_PLAIN) break;
    case COL_I8:
        IN_LOOP(int8_t, EQ_PLAIN) break;
    case COL_I16:
        IN_LOOP(int16_t, EQ_PLAIN) break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        IN_LOOP(int32_t, EQ_PLAIN) break;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        IN_LOOP(int64_t, EQ_PLAIN) break;
    case COL_F32:
        IN_LOOP(float, EQ_FLT) break;
    case COL_F64:
        IN_LOOP(double, EQ_FLT) break;
    case COL_DECIMAL:
        if (col_decimal_is_wide(x->type)) IN_LOOP(dec128, EQ_PLAIN)
        else IN_LOOP(int64_t, EQ_PLAIN)
        break;
    default:
        for (int k = 1; k < nargs; k++) {
            const col_vec *v = &args[k];
            FN_ROWS(sel, n, count, i, {
                if (!col_valid(v, i)) R[i] |= 2;
                else if (col_valid(x, i) && !(R[i] & 1)) R[i] |= fn_cmp_rows(x, i, v, i) == 0;
            });
        }
        break;
    }
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(x, i) || R[i] == 2) {
            R[i] = 0;
            col_set_null(out, i);
        } else {
            R[i] &= 1;
        }
    });
    return KILN_OK;
}

static int bind_in(fn_bind *b)
{
    const col_type *t = common_of(b, 0);
    if (!t || !comparable(t)) return fail_types(b);
    if (t->kind == COL_NULL) t = &col_type_bool;
    for (int k = 0; k < b->nargs; k++) b->want[k] = t;
    b->result = &col_type_bool;
    b->kernel = in_kernel;
    return KILN_OK;
}

static int between_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                          const uint32_t *sel, uint32_t n, uint32_t count)
{
    const col_vec *x = &args[0], *lo = &args[1], *hi = &args[2];
    uint8_t *R = out->data;
    bool fast = !x->validity && !lo->validity && !hi->validity;
#define BETWEEN(T, LT)                                                                             \
    {                                                                                              \
        const T *X = x->data, *L = lo->data, *H = hi->data;                                        \
        if (fast && !sel && !x->constant && lo->constant && hi->constant) {                        \
            T l = L[0], h = H[0];                                                                  \
            for (uint32_t i = 0; i < n; i++) R[i] = !LT(X[i], l) && !LT(h, X[i]);                  \
        } else {                                                                                   \
            FN_ROWS(sel, n, count, i, {                                                            \
                bool xv = col_valid(x, i), lv = col_valid(lo, i), hv = col_valid(hi, i);           \
                T v = X[col_row(x, i)];                                                            \
                int ge = xv && lv ? !LT(v, L[col_row(lo, i)]) : 2;                                 \
                int le = xv && hv ? !LT(H[col_row(hi, i)], v) : 2;                                 \
                if (ge == 0 || le == 0) {                                                          \
                    R[i] = 0;                                                                      \
                } else if (ge == 1 && le == 1) {                                                   \
                    R[i] = 1;                                                                      \
                } else {                                                                           \
                    R[i] = 0;                                                                      \
                    col_set_null(out, i);                                                          \
                }                                                                                  \
            });                                                                                    \
        }                                                                                          \
    }
    switch (x->type->kind) {
    case COL_I8:
        BETWEEN(int8_t, LT_PLAIN) break;
    case COL_I16:
        BETWEEN(int16_t, LT_PLAIN) break;
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        BETWEEN(int32_t, LT_PLAIN) break;
    case COL_I64:
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
    case COL_INTERVAL_DT:
        BETWEEN(int64_t, LT_PLAIN) break;
    case COL_F32:
        BETWEEN(float, LT_FLT) break;
    case COL_F64:
        BETWEEN(double, LT_FLT) break;
    case COL_DECIMAL:
        if (col_decimal_is_wide(x->type)) BETWEEN(dec128, LT_PLAIN)
        else BETWEEN(int64_t, LT_PLAIN)
        break;
    default:
        FN_ROWS(sel, n, count, i, {
            bool xv = col_valid(x, i), lv = col_valid(lo, i), hv = col_valid(hi, i);
            int ge = xv && lv ? fn_cmp_rows(x, i, lo, i) >= 0 : 2;
            int le = xv && hv ? fn_cmp_rows(x, i, hi, i) <= 0 : 2;
            if (ge == 0 || le == 0) {
                R[i] = 0;
            } else if (ge == 1 && le == 1) {
                R[i] = 1;
            } else {
                R[i] = 0;
                col_set_null(out, i);
            }
        });
    }
#undef BETWEEN
    return KILN_OK;
}

static int bind_between(fn_bind *b)
{
    int rc = bind_in(b);
    if (rc == KILN_OK) b->kernel = between_kernel;
    return rc;
}

const fn_def fn_defs_compare[] = {
    {"=", 2, 2, FN_NULL_IN_NULL_OUT, bind_eq},
    {"==", 2, 2, FN_NULL_IN_NULL_OUT, bind_eq},
    {"<>", 2, 2, FN_NULL_IN_NULL_OUT, bind_ne},
    {"!=", 2, 2, FN_NULL_IN_NULL_OUT, bind_ne},
    {"<", 2, 2, FN_NULL_IN_NULL_OUT, bind_lt},
    {"<=", 2, 2, FN_NULL_IN_NULL_OUT, bind_le},
    {">", 2, 2, FN_NULL_IN_NULL_OUT, bind_gt},
    {">=", 2, 2, FN_NULL_IN_NULL_OUT, bind_ge},
    {"<=>", 2, 2, 0, bind_eqns},
    {"equal_null", 2, 2, 0, bind_eqns},
    {"and", 2, 2, 0, bind_and},
    {"or", 2, 2, 0, bind_or},
    {"not", 1, 1, FN_NULL_IN_NULL_OUT, bind_not},
    {"!", 1, 1, FN_NULL_IN_NULL_OUT, bind_not},
    {"in", 2, -1, 0, bind_in},
    {"between", 3, 3, 0, bind_between},
    {"isnull", 1, 1, 0, bind_isnull},
    {"isnotnull", 1, 1, 0, bind_isnotnull},
    {NULL, 0, 0, 0, NULL},
};
