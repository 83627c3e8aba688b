/*
 * sql/fn_math.c - mathematical functions (Spark 4): round bround (HALF_UP
 * and HALF_EVEN, decimals keep a decimal type), floor ceil, the double
 * functions (sqrt exp ln log log10 log2 log(b, x) pow cbrt signum and the
 * trigonometric ones; logarithms of non-positive numbers are NULL),
 * greatest least (NULLs skipped), rand randn, mod, e, pi.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/fn_int.h"

/* ---- Double functions ----------------------------------------------------- */

enum {
    M_SQRT,
    M_EXP,
    M_LN,
    M_LOG10,
    M_LOG2,
    M_SIN,
    M_COS,
    M_TAN,
    M_ASIN,
    M_ACOS,
    M_ATAN,
    M_DEGREES,
    M_RADIANS,
    M_SIGNUM,
    M_CBRT,
    M_EXPM1,
    M_LOG1P,
    M_SINH,
    M_COSH,
    M_TANH,
    M_COT,
    M_POW,
    M_ATAN2,
    M_LOGB,
    M_HYPOT
};

#define UNARY_F64(NAME, EXPR)                                                                      \
    static int NAME(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,          \
                    const uint32_t *sel, uint32_t n, uint32_t count)                               \
    {                                                                                              \
        const double *A = args[0].data;                                                            \
        double *R = out->data;                                                                     \
        if (!sel && !args[0].constant) {                                                           \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                double x = A[i];                                                                   \
                R[i] = (EXPR);                                                                     \
            }                                                                                      \
        } else {                                                                                   \
            FN_ROWS(sel, n, count, i, {                                                            \
                double x = A[col_row(&args[0], i)];                                                \
                R[i] = (EXPR);                                                                     \
            });                                                                                    \
        }                                                                                          \
        return KILN_OK;                                                                            \
    }

UNARY_F64(k_sqrt, sqrt(x))
UNARY_F64(k_exp, exp(x))
UNARY_F64(k_sin, sin(x))
UNARY_F64(k_cos, cos(x))
UNARY_F64(k_tan, tan(x))
UNARY_F64(k_asin, asin(x))
UNARY_F64(k_acos, acos(x))
UNARY_F64(k_atan, atan(x))
UNARY_F64(k_degrees, x *(180.0 / M_PI))
UNARY_F64(k_radians, x / 180.0 * M_PI)
UNARY_F64(k_signum, x > 0 ? 1.0 : x < 0 ? -1.0 : x)
UNARY_F64(k_cbrt, cbrt(x))
UNARY_F64(k_expm1, expm1(x))
UNARY_F64(k_sinh, sinh(x))
UNARY_F64(k_cosh, cosh(x))
UNARY_F64(k_tanh, tanh(x))
UNARY_F64(k_cot, 1.0 / tan(x))

/* Logarithms: NULL at or below the domain's bound (Spark's Logarithm). */
#define LOG_KERNEL(NAME, EXPR, BOUND)                                                              \
    static int NAME(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,          \
                    const uint32_t *sel, uint32_t n, uint32_t count)                               \
    {                                                                                              \
        const double *A = args[0].data;                                                            \
        double *R = out->data;                                                                     \
        FN_ROWS(sel, n, count, i, {                                                                \
            double x = A[col_row(&args[0], i)];                                                    \
            if (x <= (BOUND)) {                                                                    \
                col_set_null(out, i);                                                              \
                R[i] = 0;                                                                          \
            } else {                                                                               \
                R[i] = (EXPR);                                                                     \
            }                                                                                      \
        });                                                                                        \
        return KILN_OK;                                                                            \
    }
LOG_KERNEL(k_ln, log(x), 0.0)
LOG_KERNEL(k_log10, log10(x), 0.0)
LOG_KERNEL(k_log2, log2(x), 0.0)
LOG_KERNEL(k_log1p, log1p(x), -1.0)

#define BINARY_F64(NAME, EXPR)                                                                     \
    static int NAME(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,          \
                    const uint32_t *sel, uint32_t n, uint32_t count)                               \
    {                                                                                              \
        const double *A = args[0].data, *B = args[1].data;                                         \
        double *R = out->data;                                                                     \
        FN_ROWS(sel, n, count, i, {                                                                \
            double x = A[col_row(&args[0], i)], y = B[col_row(&args[1], i)];                       \
            R[i] = (EXPR);                                                                         \
        });                                                                                        \
        return KILN_OK;                                                                            \
    }
BINARY_F64(k_pow, pow(x, y))
BINARY_F64(k_atan2, atan2(x + 0.0, y + 0.0))
BINARY_F64(k_hypot, hypot(x, y))

/* log(base, x): NULL when either is not positive. */
static int k_logb(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                  const uint32_t *sel, uint32_t n, uint32_t count)
{
    const double *A = args[0].data, *B = args[1].data;
    double *R = out->data;
    FN_ROWS(sel, n, count, i, {
        double b = A[col_row(&args[0], i)], x = B[col_row(&args[1], i)];
        if (b <= 0 || x <= 0) {
            col_set_null(out, i);
            R[i] = 0;
        } else {
            R[i] = log(x) / log(b);
        }
    });
    return KILN_OK;
}

static const fn_kernel unary_kernels[] = {
    [M_SQRT] = k_sqrt,       [M_EXP] = k_exp,       [M_LN] = k_ln,       [M_LOG10] = k_log10,
    [M_LOG2] = k_log2,       [M_SIN] = k_sin,       [M_COS] = k_cos,     [M_TAN] = k_tan,
    [M_ASIN] = k_asin,       [M_ACOS] = k_acos,     [M_ATAN] = k_atan,   [M_DEGREES] = k_degrees,
    [M_RADIANS] = k_radians, [M_SIGNUM] = k_signum, [M_CBRT] = k_cbrt,   [M_EXPM1] = k_expm1,
    [M_LOG1P] = k_log1p,     [M_SINH] = k_sinh,     [M_COSH] = k_cosh,   [M_TANH] = k_tanh,
    [M_COT] = k_cot,         [M_POW] = k_pow,       [M_ATAN2] = k_atan2, [M_LOGB] = k_logb,
    [M_HYPOT] = k_hypot,
};

static int bind_double_fn(fn_bind *b, int which)
{
    for (int k = 0; k < b->nargs; k++) {
        const col_type *t = b->args[k];
        if (!col_type_is_numeric(t) && t->kind != COL_NULL && t->kind != COL_STRING)
            return fn_bind_fail(b, k, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                                "Cannot resolve the function due to data type mismatch: the "
                                "parameter %d requires the \"DOUBLE\" type, however it has the "
                                "type \"%s\".",
                                k + 1, fn_type_name(b->arena, t));
        b->want[k] = &col_type_f64;
    }
    b->result = &col_type_f64;
    b->kernel = unary_kernels[which];
    b->nullable = which == M_LN || which == M_LOG10 || which == M_LOG2 || which == M_LOG1P ||
                  which == M_LOGB;
    return KILN_OK;
}

#define DBL_BIND(NAME, WHICH)                                                                      \
    static int NAME(fn_bind *b)                                                                    \
    {                                                                                              \
        return bind_double_fn(b, WHICH);                                                           \
    }
DBL_BIND(bind_sqrt, M_SQRT)
DBL_BIND(bind_exp, M_EXP)
DBL_BIND(bind_ln, M_LN)
DBL_BIND(bind_log10, M_LOG10)
DBL_BIND(bind_log2, M_LOG2)
DBL_BIND(bind_sin, M_SIN)
DBL_BIND(bind_cos, M_COS)
DBL_BIND(bind_tan, M_TAN)
DBL_BIND(bind_asin, M_ASIN)
DBL_BIND(bind_acos, M_ACOS)
DBL_BIND(bind_atan, M_ATAN)
DBL_BIND(bind_degrees, M_DEGREES)
DBL_BIND(bind_radians, M_RADIANS)
DBL_BIND(bind_cbrt, M_CBRT)
DBL_BIND(bind_expm1, M_EXPM1)
DBL_BIND(bind_log1p, M_LOG1P)
DBL_BIND(bind_sinh, M_SINH)
DBL_BIND(bind_cosh, M_COSH)
DBL_BIND(bind_tanh, M_TANH)
DBL_BIND(bind_cot, M_COT)
DBL_BIND(bind_pow, M_POW)
DBL_BIND(bind_atan2, M_ATAN2)
DBL_BIND(bind_hypot, M_HYPOT)

/* log(x) is ln; log(base, x). */
static int bind_log(fn_bind *b)
{
    return bind_double_fn(b, b->nargs == 1 ? M_LN : M_LOGB);
}

/* signum keeps Spark's double result for every numeric input. */
static int bind_signum(fn_bind *b)
{
    return bind_double_fn(b, M_SIGNUM);
}

/* ---- Constants ----------------------------------------------------------------- */

static int k_const(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                   const uint32_t *sel, uint32_t n, uint32_t count)
{
    double v = *(const double *)state;
    double *R = out->data;
    FN_ROWS(sel, n, count, i, { R[i] = v; });
    return KILN_OK;
}

static const double const_e = M_E, const_pi = M_PI;
static int bind_e(fn_bind *b)
{
    b->result = &col_type_f64;
    b->kernel = k_const;
    b->state = (void *)&const_e;
    return KILN_OK;
}
static int bind_pi(fn_bind *b)
{
    b->result = &col_type_f64;
    b->kernel = k_const;
    b->state = (void *)&const_pi;
    return KILN_OK;
}

/* ---- round, bround, floor, ceil --------------------------------------------------- */

typedef struct round_state {
    int scale;    /* digits to keep (negative: tens, hundreds...) */
    bool even;    /* HALF_EVEN (bround) */
    int in_scale; /* decimal input */
    int mode;     /* FN_ON_ERROR or FN_ON_NULL for decimals */
    int rp;       /* result precision (decimals) */
    int rs;
    int kind; /* input kind */
    int dir;  /* floor -1 / ceil +1 / round 0 */
} round_state;

/* v (scale from) to scale to (to < from) by the mode of st. */
static bool round_down(const round_state *st, dec128 v, int from, int to, dec128 *out)
{
    int d = from - to;
    if (d <= 0) return dec_rescale(v, from, to, out);
    if (d > 38) {
        *out = 0;
        return true;
    }
    dec128 p = dec_pow10[d];
    dec128 q = v / p, r = v % p;
    if (st->dir) {
        if (r != 0 && ((st->dir > 0) == (r > 0))) q += st->dir;
    } else {
        unsigned __int128 ar = r < 0 ? (unsigned __int128)-r : (unsigned __int128)r;
        unsigned __int128 half = (unsigned __int128)p - ar;
        bool up = ar > half || (ar == half && (!st->even || (q & 1)));
        if (up) q += v < 0 ? -1 : 1;
    }
    *out = q;
    return true;
}

/* Spark rounds doubles through their shortest decimal text (BigDecimal of
 * Double.toString). */
static double round_double(const round_state *st, double x)
{
    if (isnan(x) || isinf(x)) return x;
    if (st->scale >= 0 && fabs(x) >= 4503599627370496.0) return x;
    if (st->scale > 22 || fabs(x) >= 1e16) return x;
    char buf[64];
    int len = fn_format_double(buf, x);
    dec128 v;
    if (dec_parse(buf, (size_t)len, 38, 22, &v) != 0) return x;
    dec128 q;
    round_down(st, v, 22, st->scale, &q);
    if (st->scale >= 0) {
        len = dec_format(buf, q, st->scale);
        buf[len] = 0;
        return strtod(buf, NULL);
    }
    return (double)q * pow(10, -st->scale);
}

static int round_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    const round_state *st = state;
    const col_vec *a = &args[0];
    switch (st->kind) {
    case COL_F64:
    case COL_F32:
        FN_ROWS(sel, n, count, i, {
            double x = fn_num_get_f64(a, i);
            double r = round_double(st, x);
            if (st->kind == COL_F32) COL_DATA(out, float)[i] = (float)r;
            else COL_DATA(out, double)[i] = r;
        });
        break;
    case COL_DECIMAL:
        FN_ROWS(sel, n, count, i, {
            if (!col_valid(out, i)) continue;
            dec128 v = fn_dec_get(a, i), q;
            bool ok = round_down(st, v, st->in_scale, st->scale, &q);
            if (ok && st->scale < 0) ok = dec_rescale(q, st->scale, 0, &q);
            else if (ok && st->scale > st->rs) ok = dec_rescale(q, st->scale, st->rs, &q);
            if (!ok || !dec_fits(q, st->rp)) {
                if (st->mode == FN_ON_ERROR)
                    return fn_error(c, "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION", "22003",
                                    "The result cannot be represented as Decimal(%d, %d). If "
                                    "necessary set \"kiln.sql.ansi.enabled\" to \"false\" to "
                                    "bypass this error, and return NULL instead.",
                                    st->rp, st->rs);
                col_set_null(out, i);
                continue;
            }
            fn_dec_put(out, i, q);
        });
        break;
    default: /* integral: only negative scales change them */
        FN_ROWS(sel, n, count, i, {
            int64_t v = fn_int_get(a, i);
            dec128 q = v;
            if (st->scale < 0) {
                round_down(st, v, 0, st->scale, &q);
                dec_rescale(q, st->scale, 0, &q);
            }
            int64_t r = (int64_t)q;
            switch (out->type->kind) {
            case COL_I8:
                COL_DATA(out, int8_t)[i] = (int8_t)r;
                break;
            case COL_I16:
                COL_DATA(out, int16_t)[i] = (int16_t)r;
                break;
            case COL_I32:
                COL_DATA(out, int32_t)[i] = (int32_t)r;
                break;
            default:
                COL_DATA(out, int64_t)[i] = r;
            }
        });
    }
    return KILN_OK;
}

static int bind_round_as(fn_bind *b, bool even)
{
    int scale = 0;
    if (b->nargs == 2) {
        const col_vec *k = b->consts[1];
        if (!k || !col_type_is_integral(b->args[1]))
            return fn_bind_fail(b, 1, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
                                "Cannot resolve the function due to data type mismatch: the "
                                "input scale should be a foldable \"INT\" expression.");
        scale = col_valid(k, 0) ? (int)fn_int_get(k, 0) : 0;
        b->want[1] = NULL;
    }
    const col_type *t = b->args[0];
    if (t->kind == COL_STRING || t->kind == COL_NULL) t = &col_type_f64;
    if (!col_type_is_numeric(t))
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the "
                            "parameter 1 requires the \"NUMERIC\" type, however it has the type "
                            "\"%s\".",
                            fn_type_name(b->arena, t));
    round_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->scale = scale;
    st->even = even;
    st->kind = t->kind;
    st->mode = b->ansi ? FN_ON_ERROR : FN_ON_NULL;
    b->want[0] = t;
    b->result = t;
    if (t->kind == COL_DECIMAL) {
        int p = t->precision, s = t->scale, ip = p - s + 1;
        st->in_scale = s;
        if (scale < 0) {
            st->rp = ip > -scale + 1 ? ip : -scale + 1;
            if (st->rp > 38) st->rp = 38;
            st->rs = 0;
        } else {
            st->rs = s < scale ? s : scale;
            st->rp = ip + st->rs > 38 ? 38 : ip + st->rs;
            if (scale > s) st->scale = s; /* nothing to round */
        }
        b->result = col_type_decimal(b->arena, st->rp, st->rs);
        if (!b->result) return KILN_ENOMEM;
    }
    b->state = st;
    b->kernel = round_kernel;
    return KILN_OK;
}

static int bind_round(fn_bind *b)
{
    return bind_round_as(b, false);
}
static int bind_bround(fn_bind *b)
{
    return bind_round_as(b, true);
}

/* floor / ceil: doubles -> bigint, integrals -> bigint, decimal(p, s) ->
 * decimal(p - s + 1, 0). */
static int floor_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                        const uint32_t *sel, uint32_t n, uint32_t count)
{
    const round_state *st = state;
    const col_vec *a = &args[0];
    if (st->kind == COL_F64 || st->kind == COL_F32) {
        int64_t *R = out->data;
        FN_ROWS(sel, n, count, i, {
            double x = fn_num_get_f64(a, i);
            double f = st->dir < 0 ? floor(x) : ceil(x);
            R[i] = f != f                        ? 0
                   : f >= 9.2233720368547758e18  ? INT64_MAX
                   : f <= -9.2233720368547758e18 ? INT64_MIN
                                                 : (int64_t)f;
        });
    } else if (st->kind == COL_DECIMAL) {
        FN_ROWS(sel, n, count, i, {
            dec128 q;
            round_down(st, fn_dec_get(a, i), st->in_scale, 0, &q);
            fn_dec_put(out, i, q);
        });
    } else {
        int64_t *R = out->data;
        FN_ROWS(sel, n, count, i, { R[i] = fn_int_get(a, i); });
    }
    return KILN_OK;
}

static int bind_floor_ceil(fn_bind *b, int dir)
{
    if (b->nargs == 2)
        return bind_round_as(b, false) == KILN_OK ? (((round_state *)b->state)->dir = dir, KILN_OK)
                                                  : KILN_ESQL;
    const col_type *t = b->args[0];
    if (t->kind == COL_STRING || t->kind == COL_NULL) t = &col_type_f64;
    if (!col_type_is_numeric(t))
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the function due to data type mismatch: the "
                            "parameter 1 requires the \"NUMERIC\" type, however it has the type "
                            "\"%s\".",
                            fn_type_name(b->arena, t));
    round_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->dir = dir;
    st->kind = t->kind;
    b->want[0] = t;
    if (t->kind == COL_DECIMAL) {
        st->in_scale = t->scale;
        int p = t->precision - t->scale + 1;
        b->result = t->scale == 0 ? t : col_type_decimal(b->arena, p > 38 ? 38 : p, 0);
    } else {
        b->result = &col_type_i64;
    }
    b->state = st;
    b->kernel = floor_kernel;
    return KILN_OK;
}
static int bind_floor(fn_bind *b)
{
    return bind_floor_ceil(b, -1);
}
static int bind_ceil(fn_bind *b)
{
    return bind_floor_ceil(b, 1);
}

/* ---- greatest, least ------------------------------------------------------------------ */

static int greatest_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                           const uint32_t *sel, uint32_t n, uint32_t count)
{
    int sign = state ? 1 : -1;
    size_t w = col_type_width(out->type);
    FN_ROWS(sel, n, count, i, {
        int best = -1;
        for (int k = 0; k < nargs; k++) {
            if (!col_valid(&args[k], i)) continue;
            if (best < 0 || sign * fn_cmp_rows(&args[k], i, &args[best], i) > 0) best = k;
        }
        if (best < 0) {
            col_set_null(out, i);
        } else {
            memcpy((char *)out->data + w * i,
                   (const char *)args[best].data + w * col_row(&args[best], i), w);
        }
    });
    return KILN_OK;
}

static int bind_greatest_as(fn_bind *b, bool greatest)
{
    const col_type *t = b->args[0];
    for (int k = 1; k < b->nargs && t; k++) t = fn_common_type(b->arena, t, b->args[k], b->ansi);
    if (!t || t->kind == COL_ARRAY || t->kind == COL_MAP || t->kind == COL_STRUCT)
        return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.DATA_DIFF_TYPES",
                            "Cannot resolve the function due to data type mismatch: input to "
                            "the function should all be the same type.");
    if (t->kind == COL_NULL) t = &col_type_i32;
    for (int k = 0; k < b->nargs; k++) b->want[k] = t;
    b->result = t;
    b->kernel = greatest_kernel;
    b->state = greatest ? (void *)1 : NULL;
    b->nullable = true;
    return KILN_OK;
}
static int bind_greatest(fn_bind *b)
{
    return bind_greatest_as(b, true);
}
static int bind_least(fn_bind *b)
{
    return bind_greatest_as(b, false);
}

/* ---- rand, randn ------------------------------------------------------------------------ */

typedef struct rand_state {
    uint64_t s;
    bool normal;
} rand_state;

static uint64_t next64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The sequence continues across batches of the bound plan: one bound plan
 * per task (state is not shared between threads). */
static int rand_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    rand_state *st = state;
    double *R = out->data;
    FN_ROWS(sel, n, count, i, {
        double u = (double)(next64(&st->s) >> 11) * 0x1.0p-53;
        if (st->normal) {
            double v = (double)(next64(&st->s) >> 11) * 0x1.0p-53;
            u = sqrt(-2.0 * log(u > 0 ? u : 0x1.0p-53)) * cos(2 * M_PI * v);
        }
        R[i] = u;
    });
    return KILN_OK;
}

static int bind_rand_as(fn_bind *b, bool normal)
{
    rand_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->normal = normal;
    st->s = 0x5eed;
    if (b->nargs == 1) {
        const col_vec *k = b->consts[0];
        if (!k || !(col_type_is_integral(b->args[0]) || b->args[0]->kind == COL_NULL))
            return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT",
                                "the seed of rand must be a constant integer");
        st->s = col_valid(k, 0) && b->args[0]->kind != COL_NULL ? (uint64_t)fn_int_get(k, 0) : 0;
        b->want[0] = NULL;
    }
    b->result = &col_type_f64;
    b->state = st;
    b->kernel = rand_kernel;
    b->nullable = false;
    return KILN_OK;
}
static int bind_rand(fn_bind *b)
{
    return bind_rand_as(b, false);
}
static int bind_randn(fn_bind *b)
{
    return bind_rand_as(b, true);
}

/* mod(a, b) is a % b. */
static int bind_mod_fn(fn_bind *b)
{
    const fn_def *d = fn_lookup("%");
    return d ? d->bind(b) : KILN_EINVAL;
}

const fn_def fn_defs_math[] = {
    {"round", 1, 2, FN_NULL_IN_NULL_OUT, bind_round},
    {"bround", 1, 2, FN_NULL_IN_NULL_OUT, bind_bround},
    {"floor", 1, 2, FN_NULL_IN_NULL_OUT, bind_floor},
    {"ceil", 1, 2, FN_NULL_IN_NULL_OUT, bind_ceil},
    {"ceiling", 1, 2, FN_NULL_IN_NULL_OUT, bind_ceil},
    {"sqrt", 1, 1, FN_NULL_IN_NULL_OUT, bind_sqrt},
    {"exp", 1, 1, FN_NULL_IN_NULL_OUT, bind_exp},
    {"expm1", 1, 1, FN_NULL_IN_NULL_OUT, bind_expm1},
    {"ln", 1, 1, FN_NULL_IN_NULL_OUT, bind_ln},
    {"log", 1, 2, FN_NULL_IN_NULL_OUT, bind_log},
    {"log10", 1, 1, FN_NULL_IN_NULL_OUT, bind_log10},
    {"log2", 1, 1, FN_NULL_IN_NULL_OUT, bind_log2},
    {"log1p", 1, 1, FN_NULL_IN_NULL_OUT, bind_log1p},
    {"pow", 2, 2, FN_NULL_IN_NULL_OUT, bind_pow},
    {"power", 2, 2, FN_NULL_IN_NULL_OUT, bind_pow},
    {"hypot", 2, 2, FN_NULL_IN_NULL_OUT, bind_hypot},
    {"cbrt", 1, 1, FN_NULL_IN_NULL_OUT, bind_cbrt},
    {"signum", 1, 1, FN_NULL_IN_NULL_OUT, bind_signum},
    {"sign", 1, 1, FN_NULL_IN_NULL_OUT, bind_signum},
    {"sin", 1, 1, FN_NULL_IN_NULL_OUT, bind_sin},
    {"cos", 1, 1, FN_NULL_IN_NULL_OUT, bind_cos},
    {"tan", 1, 1, FN_NULL_IN_NULL_OUT, bind_tan},
    {"cot", 1, 1, FN_NULL_IN_NULL_OUT, bind_cot},
    {"asin", 1, 1, FN_NULL_IN_NULL_OUT, bind_asin},
    {"acos", 1, 1, FN_NULL_IN_NULL_OUT, bind_acos},
    {"atan", 1, 1, FN_NULL_IN_NULL_OUT, bind_atan},
    {"atan2", 2, 2, FN_NULL_IN_NULL_OUT, bind_atan2},
    {"sinh", 1, 1, FN_NULL_IN_NULL_OUT, bind_sinh},
    {"cosh", 1, 1, FN_NULL_IN_NULL_OUT, bind_cosh},
    {"tanh", 1, 1, FN_NULL_IN_NULL_OUT, bind_tanh},
    {"degrees", 1, 1, FN_NULL_IN_NULL_OUT, bind_degrees},
    {"radians", 1, 1, FN_NULL_IN_NULL_OUT, bind_radians},
    {"greatest", 2, -1, 0, bind_greatest},
    {"least", 2, -1, 0, bind_least},
    {"rand", 0, 1, FN_NONDETERMINISTIC | FN_NEEDS_CONSTS, bind_rand},
    {"random", 0, 1, FN_NONDETERMINISTIC | FN_NEEDS_CONSTS, bind_rand},
    {"randn", 0, 1, FN_NONDETERMINISTIC | FN_NEEDS_CONSTS, bind_randn},
    {"mod", 2, 2, FN_NULL_IN_NULL_OUT, bind_mod_fn},
    {"hash", 0, -1, 0, fn_bind_hash},
    {"xxhash64", 0, -1, 0, fn_bind_xxhash64},
    {"e", 0, 0, 0, bind_e},
    {"pi", 0, 0, 0, bind_pi},
    {NULL, 0, 0, 0, NULL},
};
