/*
 * sql/agg_fn.c - the aggregate functions (agg_fn.h): binds that choose the
 * state layout and loops by argument type, and the loops themselves, one
 * per (function, physical type), written once as macros over the rows of a
 * batch (no nulls / nulls, selection / none, constants).
 */
#include "sql/agg_fn.h"

#include <math.h>
#include <stdlib.h>
#include <strings.h>

#include "kiln.h"
#include "sql/ops_int.h"
#include "sql/vec_hash.h"

/* ---- Shared pieces ---------------------------------------------------------- */

#define ST(T, g) ((T *)(states + (size_t)(g)*stride))
#define CST(T, g) ((const T *)(states + (size_t)(g)*stride))

/* Runs BODY for every live, non-null row of v with i its data index and g
 * its group; k is the position in sel / gids. */
#define AGG_ROWS(v, ...)                                                                           \
    do {                                                                                           \
        const uint64_t *vb_ = (v)->validity;                                                       \
        bool cst_ = (v)->constant;                                                                 \
        if (cst_ && vb_ && !(vb_[0] & 1)) break;                                                   \
        if (cst_) vb_ = NULL;                                                                      \
        if (!vb_ && !sel && !cst_) {                                                               \
            if (gids) {                                                                            \
                for (uint32_t k = 0; k < count; k++) {                                             \
                    uint32_t i = k, g = gids[k];                                                   \
                    (void)i;                                                                       \
                    __VA_ARGS__                                                                    \
                }                                                                                  \
            } else {                                                                               \
                for (uint32_t k = 0; k < count; k++) {                                             \
                    uint32_t i = k, g = 0;                                                         \
                    (void)i, (void)g;                                                              \
                    __VA_ARGS__                                                                    \
                }                                                                                  \
            }                                                                                      \
        } else {                                                                                   \
            for (uint32_t k = 0; k < count; k++) {                                                 \
                uint32_t r_ = sel ? sel[k] : k;                                                    \
                if (vb_ && !(vb_[r_ >> 6] >> (r_ & 63) & 1)) continue;                             \
                uint32_t i = cst_ ? 0 : r_, g = gids ? gids[k] : 0;                                \
                (void)g, (void)i;                                                                  \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* Every live row (nulls included): r its row, i its data index. */
#define ALL_ROWS(v, ...)                                                                           \
    for (uint32_t k = 0; k < count; k++) {                                                         \
        uint32_t r = sel ? sel[k] : k;                                                             \
        uint32_t i = (v)->constant ? 0 : r, g = gids ? gids[k] : 0;                                \
        bool valid = col_valid((v), r);                                                            \
        (void)i;                                                                                   \
        __VA_ARGS__                                                                                \
    }

static __int128 pow10_128(int n)
{
    __int128 p = 1;
    for (int i = 0; i < n; i++) p *= 10;
    return p;
}

int agg_overflow_error(agg_ctx *c, const char *what)
{
    return kiln_set_error(KILN_ESQL,
                          "[ARITHMETIC_OVERFLOW] %s. Use 'try_sum' to tolerate overflow and return "
                          "NULL instead. If necessary set \"kiln.sql.ansi.enabled\" to \"false\" "
                          "to bypass this error. SQLSTATE: 22003%s%s",
                          what, c->expr ? " == SQL of: " : "", c->expr ? c->expr : "");
}

static int decimal_overflow_error(agg_ctx *c, const col_type *t)
{
    return kiln_set_error(
        KILN_ESQL,
        "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION] The aggregate cannot be represented as "
        "Decimal(%d, %d). If necessary set \"kiln.sql.ansi.enabled\" to \"false\" to bypass this "
        "error, and use `try_sum` to tolerate overflow and return NULL instead. SQLSTATE: "
        "22003%s%s",
        t->precision, t->scale, c->expr ? " == SQL of: " : "", c->expr ? c->expr : "");
}

int agg_output_init(col_vec *v, kiln_arena *a, const col_type *t, uint32_t count)
{
    int rc = ops_vec_make(v, a, t, count, true);
    if (rc) return rc;
    if (t->kind == COL_ARRAY) {
        v->offsets = kiln_arena_alloc(a, ((size_t)count + 1) * sizeof(uint32_t));
        v->children = kiln_arena_alloc(a, sizeof(col_vec));
        if (!v->offsets || !v->children) return KILN_ENOMEM;
        v->nchildren = 1;
        memset(v->children, 0, sizeof(col_vec));
        v->offsets[0] = 0;
    }
    return KILN_OK;
}

/* A value of any fixed-width or string type kept in a state; strings own a
 * buffer in the state arena that is reused when a later value fits. */
typedef struct cell {
    union {
        col_str s;
        __int128 i128;
        int64_t i64;
        int32_t i32;
        int16_t i16;
        int8_t i8;
        double f64;
        float f32;
        uint8_t raw[16];
    } v;
    char *buf;
    uint32_t cap;
    uint8_t set;    /* a value (or, for first/last, a null) was taken */
    uint8_t isnull; /* first/last: the value taken is null */
    uint8_t pad[2];
} cell;

static int cell_store(agg_ctx *c, int phys, cell *d, const void *src)
{
    if (phys != OPS_P_STR) {
        memcpy(d->v.raw, src, ops_phys_width(phys));
        return KILN_OK;
    }
    const col_str *s = src;
    if (s->len <= COL_STR_INLINE) {
        d->v.s = *s;
        return KILN_OK;
    }
    if (s->len > d->cap) {
        uint32_t cap = s->len < 32 ? 32 : s->len;
        d->buf = kiln_arena_alloc(c->arena, cap);
        if (!d->buf) return KILN_ENOMEM;
        d->cap = cap;
    }
    memcpy(d->buf, s->u.ptr, s->len);
    d->v.s = *s;
    d->v.s.u.ptr = d->buf;
    return KILN_OK;
}

/* <0, 0, >0 in Spark's SQL order (NaN largest, -0.0 = 0.0). */
static inline int cmp_f64(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0;
    bool an = a != a, bn = b != b;
    return an - bn;
}

static int cell_cmp_raw(int phys, const void *a, const void *b)
{
    switch (phys) {
    case OPS_P_I8:
        return (*(const int8_t *)a > *(const int8_t *)b) -
               (*(const int8_t *)a < *(const int8_t *)b);
    case OPS_P_I16:
        return (*(const int16_t *)a > *(const int16_t *)b) -
               (*(const int16_t *)a < *(const int16_t *)b);
    case OPS_P_I32:
        return (*(const int32_t *)a > *(const int32_t *)b) -
               (*(const int32_t *)a < *(const int32_t *)b);
    case OPS_P_I64:
        return (*(const int64_t *)a > *(const int64_t *)b) -
               (*(const int64_t *)a < *(const int64_t *)b);
    case OPS_P_I128: {
        __int128 x, y;
        memcpy(&x, a, 16);
        memcpy(&y, b, 16);
        return (x > y) - (x < y);
    }
    case OPS_P_F32:
        return cmp_f64(*(const float *)a, *(const float *)b);
    case OPS_P_F64:
        return cmp_f64(*(const double *)a, *(const double *)b);
    case OPS_P_STR:
        return ops_str_cmp(a, b);
    default:
        return 0;
    }
}

/* Writes a cell's value to row j of out (a fixed-width or string vector). */
static void cell_out(int phys, const cell *s, col_vec *out, uint32_t j)
{
    size_t w = ops_phys_width(phys);
    memcpy((uint8_t *)out->data + (size_t)j * w, s->v.raw, w);
}

static const uint8_t *vec_at(const col_vec *v, int phys, uint32_t i)
{
    return (const uint8_t *)v->data + (size_t)i * ops_phys_width(phys);
}

/* ---- count, count(*), count_if ------------------------------------------------ */

static int count_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                        const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                        uint32_t count)
{
    (void)c;
    if (b->nargs == 0) {
        if (!gids) *ST(int64_t, 0) += count;
        else
            for (uint32_t k = 0; k < count; k++) (*ST(int64_t, gids[k]))++;
        return KILN_OK;
    }
    if (b->nargs == 1) {
        AGG_ROWS(&args[0], (*ST(int64_t, g))++;);
        return KILN_OK;
    }
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        bool all = true;
        for (int a = 0; a < b->nargs && all; a++) all = col_valid(&args[a], r);
        if (all) (*ST(int64_t, gids ? gids[k] : 0))++;
    }
    return KILN_OK;
}

static int count_if_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                           const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                           uint32_t count)
{
    (void)c, (void)b;
    const uint8_t *d = args[0].data;
    AGG_ROWS(&args[0], *ST(int64_t, g) += d[i] != 0;);
    return KILN_OK;
}

static int count_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)c, (void)b;
    const int64_t *d = sc[0].data;
    AGG_ROWS(&sc[0], *ST(int64_t, g) += d[i];);
    return KILN_OK;
}

static int count_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                     uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    int64_t *o = out->data;
    for (uint32_t j = 0; j < count; j++) o[j] = *CST(int64_t, j);
    return KILN_OK;
}

/* ---- sum and avg of integers and floats ----------------------------------------- */

typedef struct sum_i {
    int64_t s;
    int64_t has; /* avg: the count */
} sum_i;
typedef struct sum_f {
    double s;
    int64_t has; /* avg: the count */
} sum_f;

#define SUM_INT_LOOP(T)                                                                            \
    do {                                                                                           \
        const T *d = args[0].data;                                                                 \
        if (!c->ansi) {                                                                            \
            AGG_ROWS(&args[0], {                                                                   \
                sum_i *s = ST(sum_i, g);                                                           \
                s->s = (int64_t)((uint64_t)s->s + (uint64_t)(int64_t)d[i]);                        \
                s->has++;                                                                          \
            });                                                                                    \
        } else {                                                                                   \
            bool ovf = false;                                                                      \
            AGG_ROWS(&args[0], {                                                                   \
                sum_i *s = ST(sum_i, g);                                                           \
                ovf |= __builtin_add_overflow(s->s, (int64_t)d[i], &s->s);                         \
                s->has++;                                                                          \
            });                                                                                    \
            if (ovf) return agg_overflow_error(c, "long overflow");                                \
        }                                                                                          \
    } while (0)

static int sum_int_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                          const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                          uint32_t count)
{
    switch (ops_phys(b->args[0])) {
    case OPS_P_I8:
        SUM_INT_LOOP(int8_t);
        break;
    case OPS_P_I16:
        SUM_INT_LOOP(int16_t);
        break;
    case OPS_P_I32:
        SUM_INT_LOOP(int32_t);
        break;
    default:
        SUM_INT_LOOP(int64_t);
        break;
    }
    return KILN_OK;
}

#define SUM_F_LOOP(T)                                                                              \
    do {                                                                                           \
        const T *d = args[0].data;                                                                 \
        AGG_ROWS(&args[0], {                                                                       \
            sum_f *s = ST(sum_f, g);                                                               \
            s->s += (double)d[i];                                                                  \
            s->has++;                                                                              \
        });                                                                                        \
    } while (0)

static int sum_f_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                        const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                        uint32_t count)
{
    (void)c;
    switch (ops_phys(b->args[0])) {
    case OPS_P_I8:
        SUM_F_LOOP(int8_t);
        break;
    case OPS_P_I16:
        SUM_F_LOOP(int16_t);
        break;
    case OPS_P_I32:
        SUM_F_LOOP(int32_t);
        break;
    case OPS_P_I64:
        SUM_F_LOOP(int64_t);
        break;
    case OPS_P_F32:
        SUM_F_LOOP(float);
        break;
    default:
        SUM_F_LOOP(double);
        break;
    }
    return KILN_OK;
}

/* Partial sum of ints: [bigint sum] (null when empty). */
static int sum_int_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                         const uint32_t *gids, const col_vec *sc, const uint32_t *sel,
                         uint32_t count)
{
    (void)b;
    const int64_t *d = sc[0].data;
    bool ovf = false;
    AGG_ROWS(&sc[0], {
        sum_i *s = ST(sum_i, g);
        if (c->ansi) ovf |= __builtin_add_overflow(s->s, d[i], &s->s);
        else s->s = (int64_t)((uint64_t)s->s + (uint64_t)d[i]);
        s->has = 1;
    });
    return ovf ? agg_overflow_error(c, "long overflow") : KILN_OK;
}

static int sum_int_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    int64_t *o = out->data;
    bool ym = b->result->kind == COL_INTERVAL_YM;
    for (uint32_t j = 0; j < count; j++) {
        const sum_i *s = CST(sum_i, j);
        if (!s->has) {
            col_set_null(out, j);
            continue;
        }
        if (ym) {
            if (s->s < INT32_MIN || s->s > INT32_MAX)
                return agg_overflow_error(c, "integer overflow");
            ((int32_t *)out->data)[j] = (int32_t)s->s;
        } else {
            o[j] = s->s;
        }
    }
    return KILN_OK;
}

static int sum_int_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                           uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const sum_i *s = CST(sum_i, j);
        if (!s->has) col_set_null(out, j);
        else ((int64_t *)out->data)[j] = s->s;
    }
    return KILN_OK;
}

static int sum_f_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)c, (void)b;
    const double *d = sc[0].data;
    AGG_ROWS(&sc[0], {
        sum_f *s = ST(sum_f, g);
        s->s += d[i];
        s->has = 1;
    });
    return KILN_OK;
}

static int sum_f_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                     uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    double *o = out->data;
    for (uint32_t j = 0; j < count; j++) {
        const sum_f *s = CST(sum_f, j);
        if (!s->has) col_set_null(out, j);
        else o[j] = s->s;
    }
    return KILN_OK;
}

/* avg of ints and floats: state sum_f (sum, count); partial [double, bigint]. */
static int avg_f_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)c, (void)b;
    const double *d = sc[0].data;
    const int64_t *n = sc[1].data;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        if (!col_valid(&sc[1], r)) continue;
        sum_f *s = ST(sum_f, gids ? gids[k] : 0);
        if (col_valid(&sc[0], r)) s->s += d[col_row(&sc[0], r)];
        s->has += n[col_row(&sc[1], r)];
    }
    return KILN_OK;
}

static int avg_f_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                     uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    double *o = out->data;
    for (uint32_t j = 0; j < count; j++) {
        const sum_f *s = CST(sum_f, j);
        if (!s->has) col_set_null(out, j);
        else o[j] = s->s / (double)s->has;
    }
    return KILN_OK;
}

static int avg_f_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                         uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const sum_f *s = CST(sum_f, j);
        ((double *)out[0].data)[j] = s->s;
        ((int64_t *)out[1].data)[j] = s->has;
    }
    return KILN_OK;
}

/* ---- sum and avg of decimals ---------------------------------------------------- */

typedef struct sum_d {
    __int128 s;
    int64_t n;   /* values added (avg's count; sum: non-zero = not empty) */
    uint8_t ovf; /* the sum left the result's precision (null, or an error under ANSI) */
    uint8_t pad[7];
} sum_d;

static inline __int128 i128_abs(__int128 x)
{
    return x < 0 ? -x : x;
}

#define SUM_DEC_LOOP(T)                                                                            \
    do {                                                                                           \
        const T *d = args[0].data;                                                                 \
        AGG_ROWS(&args[0], {                                                                       \
            sum_d *s = ST(sum_d, g);                                                               \
            s->s += d[i];                                                                          \
            s->n++;                                                                                \
            if (i128_abs(s->s) >= lim) s->ovf = 1, s->s = 0, bad = true;                           \
        });                                                                                        \
    } while (0)

/* The largest absolute sum the state may hold: the sum's precision. */
static __int128 sum_limit(const agg_bound *b)
{
    const col_type *st = b->state_types[0];
    return pow10_128(st->precision);
}

static int sum_dec_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                          const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                          uint32_t count)
{
    __int128 lim = sum_limit(b);
    bool bad = false;
    if (col_decimal_is_wide(b->args[0])) SUM_DEC_LOOP(__int128);
    else SUM_DEC_LOOP(int64_t);
    if (bad && c->ansi) return decimal_overflow_error(c, b->state_types[0]);
    return KILN_OK;
}

static inline __int128 dec_get(const col_vec *v, uint32_t i)
{
    if (col_decimal_is_wide(v->type)) return ((const __int128 *)v->data)[i];
    return ((const int64_t *)v->data)[i];
}

static inline void dec_put(col_vec *v, uint32_t j, __int128 x)
{
    if (col_decimal_is_wide(v->type)) ((__int128 *)v->data)[j] = x;
    else ((int64_t *)v->data)[j] = (int64_t)x;
}

/* Partial: sum [decimal(p+10, s) (null: overflow), bool empty];
 * avg [decimal(p+10, s) (null: overflow), bigint count]. */
static int sum_dec_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                         const uint32_t *gids, const col_vec *sc, const uint32_t *sel,
                         uint32_t count)
{
    __int128 lim = sum_limit(b);
    bool is_avg = b->def->name[0] == 'a', bad = false;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        if (!col_valid(&sc[1], r)) continue;
        int64_t n = is_avg ? ((const int64_t *)sc[1].data)[col_row(&sc[1], r)]
                           : !((const uint8_t *)sc[1].data)[col_row(&sc[1], r)];
        if (n == 0) continue;
        sum_d *s = ST(sum_d, gids ? gids[k] : 0);
        s->n += n;
        if (!col_valid(&sc[0], r)) {
            s->ovf = 1, bad = true;
            continue;
        }
        s->s += dec_get(&sc[0], col_row(&sc[0], r));
        if (i128_abs(s->s) >= lim) s->ovf = 1, s->s = 0, bad = true;
    }
    if (bad && c->ansi) return decimal_overflow_error(c, b->state_types[0]);
    return KILN_OK;
}

static int sum_dec_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    for (uint32_t j = 0; j < count; j++) {
        const sum_d *s = CST(sum_d, j);
        if (s->ovf && c->ansi) return decimal_overflow_error(c, b->result);
        if (!s->n || s->ovf) col_set_null(out, j);
        else dec_put(out, j, s->s);
    }
    return KILN_OK;
}

static int sum_dec_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                           uint32_t count, col_vec *out)
{
    (void)c;
    bool is_avg = b->def->name[0] == 'a';
    for (uint32_t j = 0; j < count; j++) {
        const sum_d *s = CST(sum_d, j);
        if (s->ovf) col_set_null(&out[0], j);
        else dec_put(&out[0], j, s->s);
        if (is_avg) ((int64_t *)out[1].data)[j] = s->n;
        else ((uint8_t *)out[1].data)[j] = s->n == 0;
    }
    return KILN_OK;
}

/* sum * 10^shift / n rounded half up, exactly (long division); false when
 * the quotient reaches 10^prec. */
static bool dec_avg(__int128 sum, int64_t n, int shift, int prec, __int128 *out)
{
    bool neg = sum < 0;
    unsigned __int128 a = (unsigned __int128)i128_abs(sum), d = (unsigned __int128)n;
    unsigned __int128 q = a / d, r = a % d;
    unsigned __int128 lim = (unsigned __int128)pow10_128(prec);
    for (int i = 0; i < shift; i++) {
        if (q >= lim) return false;
        q = q * 10 + (r * 10) / d;
        r = (r * 10) % d;
    }
    if (2 * r >= d) q++;
    if (q >= lim) return false;
    *out = neg ? -(__int128)q : (__int128)q;
    return true;
}

static int avg_dec_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    int shift = b->result->scale - b->args[0]->scale;
    for (uint32_t j = 0; j < count; j++) {
        const sum_d *s = CST(sum_d, j);
        __int128 q;
        if (s->ovf && c->ansi) return decimal_overflow_error(c, b->state_types[0]);
        if (!s->n || s->ovf) {
            col_set_null(out, j);
        } else if (!dec_avg(s->s, s->n, shift, b->result->precision, &q)) {
            if (c->ansi) return decimal_overflow_error(c, b->result);
            col_set_null(out, j);
        } else {
            dec_put(out, j, q);
        }
    }
    return KILN_OK;
}

/* ---- min, max ------------------------------------------------------------------------ */

/* Fixed-width min/max: the value then a flag (zeroed = none yet). */
#define MM_STATE(T)                                                                                \
    struct {                                                                                       \
        T v;                                                                                       \
        uint8_t has;                                                                               \
    }

#define MM_LOOP(T, BETTER)                                                                         \
    do {                                                                                           \
        typedef MM_STATE(T) mm;                                                                    \
        const T *d = src->data;                                                                    \
        AGG_ROWS(src, {                                                                            \
            mm *s = ST(mm, g);                                                                     \
            T x = d[i];                                                                            \
            if (!s->has || (BETTER)) s->v = x, s->has = 1;                                         \
        });                                                                                        \
    } while (0)

#define MM_NUM(T, IS_MAX)                                                                          \
    do {                                                                                           \
        if (IS_MAX) MM_LOOP(T, x > s->v);                                                          \
        else MM_LOOP(T, x < s->v);                                                                 \
    } while (0)

#define MM_FLT(T, IS_MAX)                                                                          \
    do {                                                                                           \
        if (IS_MAX) MM_LOOP(T, cmp_f64(x, s->v) > 0);                                              \
        else MM_LOOP(T, cmp_f64(x, s->v) < 0);                                                     \
    } while (0)

static int minmax_run(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *src, const uint32_t *sel, uint32_t count)
{
    bool is_max = b->def->name[1] == 'a';
    switch (ops_phys(b->args[0])) {
    case OPS_P_I8:
        MM_NUM(int8_t, is_max);
        break;
    case OPS_P_I16:
        MM_NUM(int16_t, is_max);
        break;
    case OPS_P_I32:
        MM_NUM(int32_t, is_max);
        break;
    case OPS_P_I64:
        MM_NUM(int64_t, is_max);
        break;
    case OPS_P_I128:
        MM_NUM(__int128, is_max);
        break;
    case OPS_P_F32:
        MM_FLT(float, is_max);
        break;
    case OPS_P_F64:
        MM_FLT(double, is_max);
        break;
    case OPS_P_STR: {
        const col_str *d = src->data;
        int want = is_max ? 1 : -1;
        AGG_ROWS(src, {
            cell *s = ST(cell, g);
            if (!s->set || ops_str_cmp(&d[i], &s->v.s) * want > 0) {
                if (cell_store(c, OPS_P_STR, s, &d[i])) return KILN_ENOMEM;
                s->set = 1;
            }
        });
        break;
    }
    default:
        return KILN_EINVAL;
    }
    return KILN_OK;
}

static int minmax_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                         const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                         uint32_t count)
{
    return minmax_run(c, b, states, stride, gids, &args[0], sel, count);
}

static int minmax_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                        const uint32_t *gids, const col_vec *sc, const uint32_t *sel,
                        uint32_t count)
{
    return minmax_run(c, b, states, stride, gids, &sc[0], sel, count);
}

static int minmax_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                      uint32_t count, col_vec *out)
{
    (void)c;
    int phys = ops_phys(b->args[0]);
    size_t w = ops_phys_width(phys);
    if (phys == OPS_P_STR) {
        for (uint32_t j = 0; j < count; j++) {
            const cell *s = CST(cell, j);
            if (!s->set) col_set_null(out, j);
            else ((col_str *)out->data)[j] = s->v.s;
        }
        return KILN_OK;
    }
    /* The value sits at offset 0 and the flag right after it (MM_STATE). */
    for (uint32_t j = 0; j < count; j++) {
        const uint8_t *s = states + (size_t)j * stride;
        if (!s[w]) col_set_null(out, j);
        else memcpy((uint8_t *)out->data + (size_t)j * w, s, w);
    }
    return KILN_OK;
}

/* ---- variance, stddev, corr ------------------------------------------------------- */

typedef struct moments {
    double n, mean, m2;
} moments;

#define VAR_LOOP(T)                                                                                \
    do {                                                                                           \
        const T *d = args[0].data;                                                                 \
        AGG_ROWS(&args[0], {                                                                       \
            moments *s = ST(moments, g);                                                           \
            double x = (double)d[i];                                                               \
            s->n += 1;                                                                             \
            double delta = x - s->mean;                                                            \
            s->mean += delta / s->n;                                                               \
            s->m2 += delta * (x - s->mean);                                                        \
        });                                                                                        \
    } while (0)

static int var_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                      uint32_t count)
{
    (void)c;
    switch (ops_phys(b->args[0])) {
    case OPS_P_I8:
        VAR_LOOP(int8_t);
        break;
    case OPS_P_I16:
        VAR_LOOP(int16_t);
        break;
    case OPS_P_I32:
        VAR_LOOP(int32_t);
        break;
    case OPS_P_I64:
        VAR_LOOP(int64_t);
        break;
    case OPS_P_F32:
        VAR_LOOP(float);
        break;
    default:
        VAR_LOOP(double);
        break;
    }
    return KILN_OK;
}

static int var_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                     const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)c, (void)b;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        double n2 = ((const double *)sc[0].data)[col_row(&sc[0], r)];
        if (!col_valid(&sc[0], r) || n2 == 0) continue;
        double mean2 = ((const double *)sc[1].data)[col_row(&sc[1], r)];
        double m22 = ((const double *)sc[2].data)[col_row(&sc[2], r)];
        moments *s = ST(moments, gids ? gids[k] : 0);
        double n = s->n + n2, delta = mean2 - s->mean;
        s->mean += delta * n2 / n;
        s->m2 += m22 + delta * delta * s->n * n2 / n;
        s->n = n;
    }
    return KILN_OK;
}

static int var_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const moments *s = CST(moments, j);
        ((double *)out[0].data)[j] = s->n;
        ((double *)out[1].data)[j] = s->mean;
        ((double *)out[2].data)[j] = s->m2;
    }
    return KILN_OK;
}

static int var_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                   uint32_t count, col_vec *out)
{
    (void)c;
    const char *nm = b->def->name;
    bool pop = strstr(nm, "pop") != NULL, sd = strncmp(nm, "std", 3) == 0;
    for (uint32_t j = 0; j < count; j++) {
        const moments *s = CST(moments, j);
        double v;
        if (s->n == 0 || (!pop && s->n == 1)) {
            col_set_null(out, j);
            continue;
        }
        v = pop ? s->m2 / s->n : s->m2 / (s->n - 1);
        ((double *)out->data)[j] = sd ? sqrt(v) : v;
    }
    return KILN_OK;
}

typedef struct corr_st {
    double n, xavg, yavg, ck, xmk, ymk;
} corr_st;

static int corr_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                       uint32_t count)
{
    (void)c, (void)b;
    const double *xd = args[0].data, *yd = args[1].data;
    ALL_ROWS(&args[0], {
        if (!valid || !col_valid(&args[1], r)) continue;
        double x = xd[i], y = yd[col_row(&args[1], r)];
        corr_st *s = ST(corr_st, g);
        s->n += 1;
        double dx = x - s->xavg, dy = y - s->yavg;
        s->xavg += dx / s->n;
        s->yavg += dy / s->n;
        s->ck += dx * (y - s->yavg);
        s->xmk += dx * (x - s->xavg);
        s->ymk += dy * (y - s->yavg);
    });
    return KILN_OK;
}

static int corr_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    (void)c, (void)b;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        double o[6];
        for (int f = 0; f < 6; f++) o[f] = ((const double *)sc[f].data)[col_row(&sc[f], r)];
        if (!col_valid(&sc[0], r) || o[0] == 0) continue;
        corr_st *s = ST(corr_st, gids ? gids[k] : 0);
        double n1 = s->n, n2 = o[0], n = n1 + n2;
        double dx = o[1] - s->xavg, dy = o[2] - s->yavg;
        double dxn = dx / n, dyn = dy / n;
        s->xavg += dxn * n2;
        s->yavg += dyn * n2;
        s->ck += o[3] + dx * dyn * n1 * n2;
        s->xmk += o[4] + dx * dxn * n1 * n2;
        s->ymk += o[5] + dy * dyn * n1 * n2;
        s->n = n;
    }
    return KILN_OK;
}

static int corr_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                        uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const double *s = (const double *)CST(corr_st, j);
        for (int f = 0; f < 6; f++) ((double *)out[f].data)[j] = s[f];
    }
    return KILN_OK;
}

static int corr_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                    uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const corr_st *s = CST(corr_st, j);
        /* Spark: null below two rows, else ck / sqrt(xmk * ymk) (NaN when a side is
         * constant). */
        if (s->n < 2) col_set_null(out, j);
        else ((double *)out->data)[j] = s->ck / sqrt(s->xmk * s->ymk);
    }
    return KILN_OK;
}

/* ---- first, last --------------------------------------------------------------------- */

static int firstlast_run(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                         const uint32_t *gids, const col_vec *v, const col_vec *set_col,
                         const uint32_t *sel, uint32_t count)
{
    bool last = b->def->name[0] == 'l';
    int phys = ops_phys(b->args[0]);
    ALL_ROWS(v, {
        if (set_col) { /* merging: rows whose partial took nothing are skipped */
            if (!col_valid(set_col, r) || !((const uint8_t *)set_col->data)[col_row(set_col, r)])
                continue;
        }
        if (!valid && b->ignore_nulls) continue;
        cell *s = ST(cell, g);
        if (s->set && !last) continue;
        s->set = 1;
        s->isnull = !valid;
        if (valid && cell_store(c, phys, s, vec_at(v, phys, i))) return KILN_ENOMEM;
    });
    return KILN_OK;
}

static int firstlast_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                            const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                            uint32_t count)
{
    return firstlast_run(c, b, states, stride, gids, &args[0], NULL, sel, count);
}

static int firstlast_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                           const uint32_t *gids, const col_vec *sc, const uint32_t *sel,
                           uint32_t count)
{
    /* A partial's null value with valueSet is a null it took: never ignored. */
    agg_bound bb = *b;
    bb.ignore_nulls = false;
    return firstlast_run(c, &bb, states, stride, gids, &sc[0], &sc[1], sel, count);
}

static int cell_result(const agg_bound *b, const uint8_t *states, size_t stride, uint32_t count,
                       col_vec *out)
{
    int phys = ops_phys(b->args[0]);
    for (uint32_t j = 0; j < count; j++) {
        const cell *s = CST(cell, j);
        if (!s->set || s->isnull) col_set_null(out, j);
        else cell_out(phys, s, out, j);
    }
    return KILN_OK;
}

static int firstlast_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                         uint32_t count, col_vec *out)
{
    (void)c;
    return cell_result(b, states, stride, count, out);
}

static int firstlast_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                             uint32_t count, col_vec *out)
{
    (void)c;
    cell_result(b, states, stride, count, &out[0]);
    for (uint32_t j = 0; j < count; j++) ((uint8_t *)out[1].data)[j] = CST(cell, j)->set;
    return KILN_OK;
}

/* ---- bool_and, bool_or ----------------------------------------------------------------- */

typedef struct bool_st {
    uint8_t has, v;
} bool_st;

static int bool_run(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                    const uint32_t *gids, const col_vec *v, const uint32_t *sel, uint32_t count)
{
    (void)c;
    const uint8_t *d = v->data;
    if (strcmp(b->def->name, "bool_and") == 0 || strcmp(b->def->name, "every") == 0) {
        AGG_ROWS(v, {
            bool_st *s = ST(bool_st, g);
            s->v = s->has ? (s->v && d[i]) : d[i] != 0;
            s->has = 1;
        });
    } else {
        AGG_ROWS(v, {
            bool_st *s = ST(bool_st, g);
            s->v = s->has ? (s->v || d[i]) : d[i] != 0;
            s->has = 1;
        });
    }
    return KILN_OK;
}

static int bool_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                       uint32_t count)
{
    return bool_run(c, b, states, stride, gids, &args[0], sel, count);
}

static int bool_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    return bool_run(c, b, states, stride, gids, &sc[0], sel, count);
}

static int bool_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                    uint32_t count, col_vec *out)
{
    (void)c, (void)b;
    for (uint32_t j = 0; j < count; j++) {
        const bool_st *s = CST(bool_st, j);
        if (!s->has) col_set_null(out, j);
        else ((uint8_t *)out->data)[j] = s->v;
    }
    return KILN_OK;
}

/* ---- max_by, min_by -------------------------------------------------------------------- */

typedef struct by_st {
    cell x;   /* set: a row was taken; isnull: its x is null */
    cell ord; /* the best ordering value so far */
} by_st;

static int by_run(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                  const uint32_t *gids, const col_vec *xv, const col_vec *ov, const uint32_t *sel,
                  uint32_t count)
{
    int want = b->def->name[1] == 'a' ? 1 : -1;
    int xp = ops_phys(b->args[0]), op = ops_phys(b->args[1]);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        if (!col_valid(ov, r)) continue;
        const uint8_t *o = vec_at(ov, op, col_row(ov, r));
        by_st *s = ST(by_st, gids ? gids[k] : 0);
        if (s->x.set && cell_cmp_raw(op, o, s->ord.v.raw) * want <= 0) continue;
        if (cell_store(c, op, &s->ord, o)) return KILN_ENOMEM;
        s->x.set = 1;
        s->x.isnull = !col_valid(xv, r);
        if (!s->x.isnull && cell_store(c, xp, &s->x, vec_at(xv, xp, col_row(xv, r))))
            return KILN_ENOMEM;
    }
    return KILN_OK;
}

static int by_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                     const uint32_t *gids, const col_vec *args, const uint32_t *sel, uint32_t count)
{
    return by_run(c, b, states, stride, gids, &args[0], &args[1], sel, count);
}

static int by_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                    const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    return by_run(c, b, states, stride, gids, &sc[0], &sc[1], sel, count);
}

static int by_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                  uint32_t count, col_vec *out)
{
    (void)c;
    return cell_result(b, states, stride, count, out);
}

static int by_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                      uint32_t count, col_vec *out)
{
    (void)c;
    cell_result(b, states, stride, count, &out[0]);
    int op = ops_phys(b->args[1]);
    for (uint32_t j = 0; j < count; j++) {
        const by_st *s = CST(by_st, j);
        if (!s->x.set) col_set_null(&out[1], j);
        else cell_out(op, &s->ord, &out[1], j);
    }
    return KILN_OK;
}

/* ---- collect_list, collect_set ------------------------------------------------------------ */

typedef struct coll_st {
    uint8_t *items; /* n values of the element's width, in the state arena */
    uint32_t n, cap;
    uint32_t *slots; /* collect_set: nslots entries, item index + 1 (0 empty) */
    uint32_t nslots;
    uint32_t pad;
} coll_st;

static uint64_t cell_hash(int phys, const void *p)
{
    col_vec v;
    memset(&v, 0, sizeof v);
    static const col_type *types[] = {NULL,          &col_type_i8,  &col_type_i16,
                                      &col_type_i32, &col_type_i64, NULL,
                                      &col_type_f32, &col_type_f64, &col_type_string};
    uint64_t h;
    if (phys == OPS_P_I128) {
        __int128 x;
        memcpy(&x, p, 16);
        return vec_hash_i64((int64_t)x) ^ vec_hash_i64((int64_t)(x >> 64));
    }
    v.type = types[phys];
    v.n = 1;
    v.data = (void *)p;
    vec_hash(&v, NULL, 1, &h);
    return h;
}

static bool cell_eq(int phys, const void *a, const void *b)
{
    if (phys == OPS_P_STR) return col_str_eq(a, b);
    if (phys == OPS_P_F64 || phys == OPS_P_F32) return cell_cmp_raw(phys, a, b) == 0;
    return memcmp(a, b, ops_phys_width(phys)) == 0;
}

static int set_grow(agg_ctx *c, coll_st *s, int phys, size_t w)
{
    uint32_t ns = s->nslots ? s->nslots * 2 : 8;
    uint32_t *slots = kiln_arena_alloc(c->arena, (size_t)ns * 4);
    if (!slots) return KILN_ENOMEM;
    memset(slots, 0, (size_t)ns * 4);
    for (uint32_t j = 0; j < s->n; j++) {
        uint64_t h = cell_hash(phys, s->items + j * w);
        uint32_t p = (uint32_t)h & (ns - 1);
        while (slots[p]) p = (p + 1) & (ns - 1);
        slots[p] = j + 1;
    }
    s->slots = slots;
    s->nslots = ns;
    return KILN_OK;
}

/* Adds the value at src to a list or set state. */
static int coll_add(agg_ctx *c, coll_st *s, int phys, bool is_set, const void *src)
{
    size_t w = ops_phys_width(phys);
    uint32_t *slot = NULL;
    if (is_set) {
        if (2 * (s->n + 1) > s->nslots && set_grow(c, s, phys, w)) return KILN_ENOMEM;
        uint64_t h = cell_hash(phys, src);
        uint32_t p = (uint32_t)h & (s->nslots - 1);
        while (s->slots[p]) {
            if (cell_eq(phys, s->items + (size_t)(s->slots[p] - 1) * w, src)) return KILN_OK;
            p = (p + 1) & (s->nslots - 1);
        }
        slot = &s->slots[p];
    }
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 4;
        uint8_t *items = kiln_arena_alloc(c->arena, (size_t)cap * w);
        if (!items) return KILN_ENOMEM;
        if (s->n) memcpy(items, s->items, (size_t)s->n * w);
        s->items = items;
        s->cap = cap;
    }
    uint8_t *dst = s->items + (size_t)s->n * w;
    memcpy(dst, src, w);
    if (phys == OPS_P_F64) *(double *)dst = ops_norm_f64(*(double *)dst);
    if (phys == OPS_P_STR && !ops_str_copy(c->arena, src, (col_str *)dst)) return KILN_ENOMEM;
    s->n++;
    if (slot) *slot = s->n;
    return KILN_OK;
}

static int coll_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                       const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                       uint32_t count)
{
    int phys = ops_phys(b->args[0]);
    bool is_set = b->def->name[8] == 's';
    AGG_ROWS(&args[0], {
        if (coll_add(c, ST(coll_st, g), phys, is_set, vec_at(&args[0], phys, i)))
            return KILN_ENOMEM;
    });
    return KILN_OK;
}

static int coll_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    int phys = ops_phys(b->args[0]);
    bool is_set = b->def->name[8] == 's';
    const col_vec *el = &sc[0].children[0];
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        if (!col_valid(&sc[0], r)) continue;
        uint32_t rr = col_row(&sc[0], r);
        coll_st *s = ST(coll_st, gids ? gids[k] : 0);
        for (uint32_t e = sc[0].offsets[rr]; e < sc[0].offsets[rr + 1]; e++)
            if (col_valid(el, e) && coll_add(c, s, phys, is_set, vec_at(el, phys, col_row(el, e))))
                return KILN_ENOMEM;
    }
    return KILN_OK;
}

static int coll_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                    uint32_t count, col_vec *out)
{
    int phys = ops_phys(b->args[0]);
    size_t w = ops_phys_width(phys);
    uint32_t total = 0;
    for (uint32_t j = 0; j < count; j++) total += CST(coll_st, j)->n;
    int rc = ops_vec_make(&out->children[0], c->out, b->args[0], total, false);
    if (rc) return rc;
    uint8_t *dst = out->children[0].data;
    uint32_t at = 0;
    for (uint32_t j = 0; j < count; j++) {
        const coll_st *s = CST(coll_st, j);
        if (s->n) memcpy(dst + (size_t)at * w, s->items, (size_t)s->n * w);
        at += s->n;
        out->offsets[j + 1] = at;
    }
    return KILN_OK;
}

/* ---- approx_count_distinct (HyperLogLog) ---------------------------------------------------- */

typedef struct hll_st {
    uint8_t *regs; /* 2^p registers, in the state arena, NULL until the first value */
} hll_st;

static int hll_alloc(agg_ctx *c, const agg_bound *b, hll_st *s)
{
    s->regs = kiln_arena_alloc(c->arena, (size_t)1 << b->hll_p);
    if (!s->regs) return KILN_ENOMEM;
    memset(s->regs, 0, (size_t)1 << b->hll_p);
    return KILN_OK;
}

static int hll_add(agg_ctx *c, const agg_bound *b, hll_st *s, uint64_t h)
{
    int p = b->hll_p;
    if (!s->regs && hll_alloc(c, b, s)) return KILN_ENOMEM;
    uint32_t idx = (uint32_t)(h >> (64 - p));
    uint64_t rest = (h << p) | ((uint64_t)1 << (p - 1)); /* a stop bit bounds the rank */
    uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
    if (rank > s->regs[idx]) s->regs[idx] = rank;
    return KILN_OK;
}

static int hll_update(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                      const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                      uint32_t count)
{
    uint64_t h[COL_VEC_SIZE];
    for (uint32_t off = 0; off < count; off += COL_VEC_SIZE) {
        uint32_t n = count - off < COL_VEC_SIZE ? count - off : COL_VEC_SIZE;
        uint32_t idx[COL_VEC_SIZE];
        for (uint32_t k = 0; k < n; k++) idx[k] = sel ? sel[off + k] : off + k;
        vec_hash(&args[0], idx, n, h);
        for (uint32_t k = 0; k < n; k++) {
            if (!col_valid(&args[0], idx[k])) continue;
            if (hll_add(c, b, ST(hll_st, gids ? gids[off + k] : 0), h[k])) return KILN_ENOMEM;
        }
    }
    return KILN_OK;
}

static int hll_merge(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                     const uint32_t *gids, const col_vec *sc, const uint32_t *sel, uint32_t count)
{
    size_t m = (size_t)1 << b->hll_p;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t r = sel ? sel[k] : k;
        if (!col_valid(&sc[0], r)) continue;
        const col_str *bs = &((const col_str *)sc[0].data)[col_row(&sc[0], r)];
        if (bs->len != m) continue;
        hll_st *s = ST(hll_st, gids ? gids[k] : 0);
        if (!s->regs && hll_alloc(c, b, s)) return KILN_ENOMEM;
        const uint8_t *o = (const uint8_t *)col_str_data(bs);
        for (size_t j = 0; j < m; j++)
            if (o[j] > s->regs[j]) s->regs[j] = o[j];
    }
    return KILN_OK;
}

static int64_t hll_estimate(int p, const uint8_t *regs)
{
    static const double threshold[] = {10,   20,   40,    80,    220,   400,    900,   1800,
                                       3100, 6500, 11500, 20000, 50000, 120000, 350000};
    if (!regs) return 0;
    size_t m = (size_t)1 << p;
    double sum = 0;
    size_t zeros = 0;
    for (size_t j = 0; j < m; j++) {
        sum += ldexp(1.0, -regs[j]);
        zeros += regs[j] == 0;
    }
    double alpha = 0.7213 / (1 + 1.079 / (double)m);
    double e = alpha * (double)m * (double)m / sum;
    if (zeros) {
        double lc = (double)m * log((double)m / (double)zeros);
        if (lc <= threshold[p - 4]) return llround(lc);
    }
    return llround(e);
}

static int hll_out(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                   uint32_t count, col_vec *out)
{
    (void)c;
    for (uint32_t j = 0; j < count; j++)
        ((int64_t *)out->data)[j] = hll_estimate(b->hll_p, CST(hll_st, j)->regs);
    return KILN_OK;
}

static int hll_partial(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                       uint32_t count, col_vec *out)
{
    uint32_t m = (uint32_t)1 << b->hll_p;
    for (uint32_t j = 0; j < count; j++) {
        const hll_st *s = CST(hll_st, j);
        char *p = kiln_arena_alloc(c->out, m);
        if (!p) return KILN_ENOMEM;
        if (s->regs) memcpy(p, s->regs, m);
        else memset(p, 0, m);
        ((col_str *)out->data)[j] = col_str_view(p, m);
    }
    return KILN_OK;
}

/* ---- Binds ------------------------------------------------------------------------------------
 */

static int bind_err(agg_bound *b, const char *msg)
{
    b->err_cls = "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE";
    b->err_msg = msg;
    return KILN_ESQL;
}

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Partial output = result: one state column of the result type. */
static void same_state(agg_bound *b, agg_out_fn fin)
{
    b->nstate = 1;
    b->state_types[0] = b->result;
    b->finalize = fin;
    b->partial = fin;
}

static int bind_count(agg_bound *b, kiln_arena *a)
{
    (void)a;
    b->result = &col_type_i64;
    b->state_size = 16;
    b->update = count_update;
    b->merge = count_merge;
    same_state(b, count_out);
    return KILN_OK;
}

static int bind_count_if(agg_bound *b, kiln_arena *a)
{
    if (b->args[0]->kind != COL_BOOL) return bind_err(b, "count_if needs a boolean argument");
    bind_count(b, a);
    b->update = count_if_update;
    return KILN_OK;
}

static bool is_intlike(const col_type *t)
{
    return col_type_is_integral(t);
}

static int bind_sum(agg_bound *b, kiln_arena *a)
{
    const col_type *t = b->args[0];
    if (t->kind == COL_NULL) t = b->args[0] = &col_type_f64;
    if (is_intlike(t) || t->kind == COL_INTERVAL_DT || t->kind == COL_INTERVAL_YM) {
        b->result = t->kind == COL_INTERVAL_DT || t->kind == COL_INTERVAL_YM ? t : &col_type_i64;
        b->state_size = 16;
        b->update = sum_int_update;
        b->merge = sum_int_merge;
        b->nstate = 1;
        b->state_types[0] = &col_type_i64;
        b->finalize = sum_int_out;
        b->partial = sum_int_partial;
        return KILN_OK;
    }
    if (t->kind == COL_F32 || t->kind == COL_F64) {
        b->result = &col_type_f64;
        b->state_size = 16;
        b->update = sum_f_update;
        b->merge = sum_f_merge;
        same_state(b, sum_f_out);
        return KILN_OK;
    }
    if (t->kind == COL_DECIMAL) {
        int p = t->precision + 10 > 38 ? 38 : t->precision + 10;
        b->result = col_type_decimal(a, p, t->scale);
        if (!b->result) return KILN_ENOMEM;
        b->state_size = sizeof(sum_d);
        b->update = sum_dec_update;
        b->merge = sum_dec_merge;
        b->finalize = sum_dec_out;
        b->partial = sum_dec_partial;
        b->nstate = 2;
        b->state_types[0] = b->result;
        b->state_types[1] = &col_type_bool;
        return KILN_OK;
    }
    return bind_err(b, "sum needs a numeric or interval argument");
}

static int bind_avg(agg_bound *b, kiln_arena *a)
{
    const col_type *t = b->args[0];
    if (t->kind == COL_NULL) t = b->args[0] = &col_type_f64;
    if (is_intlike(t) || t->kind == COL_F32 || t->kind == COL_F64) {
        b->result = &col_type_f64;
        b->state_size = 16;
        b->update = sum_f_update;
        b->merge = avg_f_merge;
        b->finalize = avg_f_out;
        b->partial = avg_f_partial;
        b->nstate = 2;
        b->state_types[0] = &col_type_f64;
        b->state_types[1] = &col_type_i64;
        return KILN_OK;
    }
    if (t->kind == COL_DECIMAL) {
        int ps = t->precision + 10 > 38 ? 38 : t->precision + 10;
        int pr = t->precision + 4 > 38 ? 38 : t->precision + 4;
        int sr = t->scale + 4 > 38 ? 38 : t->scale + 4;
        if (sr > pr) sr = pr;
        b->result = col_type_decimal(a, pr, sr);
        b->state_types[0] = col_type_decimal(a, ps, t->scale);
        if (!b->result || !b->state_types[0]) return KILN_ENOMEM;
        b->state_types[1] = &col_type_i64;
        b->nstate = 2;
        b->state_size = sizeof(sum_d);
        b->update = sum_dec_update;
        b->merge = sum_dec_merge;
        b->finalize = avg_dec_out;
        b->partial = sum_dec_partial;
        return KILN_OK;
    }
    return bind_err(b, "avg needs a numeric argument");
}

static int bind_minmax(agg_bound *b, kiln_arena *a)
{
    (void)a;
    int phys = ops_phys(b->args[0]);
    if (phys == OPS_P_NONE) return bind_err(b, "min/max of this type is not supported");
    b->result = b->args[0];
    b->state_size = phys == OPS_P_STR ? sizeof(cell) : round16(ops_phys_width(phys) + 1);
    if (phys == OPS_P_I128) b->state_size = 32;
    b->update = minmax_update;
    b->merge = minmax_merge;
    same_state(b, minmax_out);
    return KILN_OK;
}

static int bind_var(agg_bound *b, kiln_arena *a)
{
    (void)a;
    if (!col_type_is_numeric(b->args[0]) || b->args[0]->kind == COL_DECIMAL) {
        if (b->args[0]->kind != COL_DECIMAL && b->args[0]->kind != COL_NULL)
            return bind_err(b, "variance and stddev need a numeric argument");
        b->args[0] = &col_type_f64; /* the caller casts decimals and nulls to double */
    }
    b->result = &col_type_f64;
    b->state_size = round16(sizeof(moments));
    b->update = var_update;
    b->merge = var_merge;
    b->finalize = var_out;
    b->partial = var_partial;
    b->nstate = 3;
    for (int i = 0; i < 3; i++) b->state_types[i] = &col_type_f64;
    return KILN_OK;
}

static int bind_corr(agg_bound *b, kiln_arena *a)
{
    (void)a;
    for (int i = 0; i < 2; i++) {
        if (!col_type_is_numeric(b->args[i]) && b->args[i]->kind != COL_NULL)
            return bind_err(b, "corr needs numeric arguments");
        b->args[i] = &col_type_f64; /* the caller casts them to double */
    }
    b->result = &col_type_f64;
    b->state_size = sizeof(corr_st);
    b->update = corr_update;
    b->merge = corr_merge;
    b->finalize = corr_out;
    b->partial = corr_partial;
    b->nstate = 6;
    for (int i = 0; i < 6; i++) b->state_types[i] = &col_type_f64;
    return KILN_OK;
}

static int bind_firstlast(agg_bound *b, kiln_arena *a)
{
    (void)a;
    if (b->nargs == 2) {
        if (b->args[1]->kind != COL_BOOL)
            return bind_err(b, "the second argument of first/last must be a boolean constant");
        b->nargs = 1; /* the caller turns the constant into ignore_nulls */
    }
    if (ops_phys(b->args[0]) == OPS_P_NONE)
        return bind_err(b, "first/last of this type is not supported");
    b->result = b->args[0];
    b->state_size = sizeof(cell);
    b->update = firstlast_update;
    b->merge = firstlast_merge;
    b->finalize = firstlast_out;
    b->partial = firstlast_partial;
    b->nstate = 2;
    b->state_types[0] = b->result;
    b->state_types[1] = &col_type_bool;
    return KILN_OK;
}

static int bind_bool(agg_bound *b, kiln_arena *a)
{
    (void)a;
    if (b->args[0]->kind != COL_BOOL)
        return bind_err(b, "bool_and/bool_or need a boolean argument");
    b->result = &col_type_bool;
    b->state_size = 16;
    b->update = bool_update;
    b->merge = bool_merge;
    same_state(b, bool_out);
    return KILN_OK;
}

static int bind_by(agg_bound *b, kiln_arena *a)
{
    (void)a;
    if (ops_phys(b->args[0]) == OPS_P_NONE || ops_phys(b->args[1]) == OPS_P_NONE)
        return bind_err(b, "max_by/min_by of this type is not supported");
    b->result = b->args[0];
    b->state_size = sizeof(by_st);
    b->update = by_update;
    b->merge = by_merge;
    b->finalize = by_out;
    b->partial = by_partial;
    b->nstate = 2;
    b->state_types[0] = b->args[0];
    b->state_types[1] = b->args[1];
    return KILN_OK;
}

static int bind_collect(agg_bound *b, kiln_arena *a)
{
    if (ops_phys(b->args[0]) == OPS_P_NONE)
        return bind_err(b, "collect_list/collect_set of nested types is not supported yet");
    b->result = col_type_array(a, b->args[0], false);
    if (!b->result) return KILN_ENOMEM;
    b->state_size = sizeof(coll_st);
    b->update = coll_update;
    b->merge = coll_merge;
    same_state(b, coll_out);
    return KILN_OK;
}

static int bind_hll(agg_bound *b, kiln_arena *a)
{
    (void)a;
    double rsd = b->rsd > 0 ? b->rsd : 0.05;
    int p = (int)ceil(2.0 * log(1.106 / rsd) / log(2.0));
    if (p < 4) return bind_err(b, "approx_count_distinct: relativeSD is too large");
    if (p > 18) return bind_err(b, "approx_count_distinct: relativeSD is too small");
    b->hll_p = p;
    b->result = &col_type_i64;
    b->state_size = sizeof(hll_st) < 16 ? 16 : sizeof(hll_st);
    b->update = hll_update;
    b->merge = hll_merge;
    b->finalize = hll_out;
    b->partial = hll_partial;
    b->nstate = 1;
    b->state_types[0] = &col_type_binary;
    return KILN_OK;
}

static const agg_def agg_defs[] = {
    {"count", 0, -1, bind_count},
    {"count_if", 1, 1, bind_count_if},
    {"sum", 1, 1, bind_sum},
    {"avg", 1, 1, bind_avg},
    {"mean", 1, 1, bind_avg},
    {"min", 1, 1, bind_minmax},
    {"max", 1, 1, bind_minmax},
    {"stddev", 1, 1, bind_var},
    {"std", 1, 1, bind_var},
    {"stddev_samp", 1, 1, bind_var},
    {"stddev_pop", 1, 1, bind_var},
    {"variance", 1, 1, bind_var},
    {"var_samp", 1, 1, bind_var},
    {"var_pop", 1, 1, bind_var},
    {"corr", 2, 2, bind_corr},
    {"first", 1, 2, bind_firstlast},
    {"first_value", 1, 2, bind_firstlast},
    {"last", 1, 2, bind_firstlast},
    {"last_value", 1, 2, bind_firstlast},
    {"any_value", 1, 2, bind_firstlast},
    {"bool_and", 1, 1, bind_bool},
    {"every", 1, 1, bind_bool},
    {"bool_or", 1, 1, bind_bool},
    {"some", 1, 1, bind_bool},
    {"any", 1, 1, bind_bool},
    {"max_by", 2, 2, bind_by},
    {"min_by", 2, 2, bind_by},
    {"collect_list", 1, 1, bind_collect},
    {"array_agg", 1, 1, bind_collect},
    {"collect_set", 1, 1, bind_collect},
    {"approx_count_distinct", 1, 2, bind_hll},
    {"median", 1, 1, agg_bind_percentile},
    {"percentile", 2, 2, agg_bind_percentile},
    {"percentile_approx", 2, 3, agg_bind_percentile},
    {"approx_percentile", 2, 3, agg_bind_percentile},
    {NULL, 0, 0, NULL},
};

/* Aliases map to the canonical definition whose name the loops test. */
static const char *canonical(const char *name)
{
    static const char *const al[][2] = {
        {"mean", "avg"},          {"std", "stddev"},         {"first_value", "first"},
        {"last_value", "last"},   {"any_value", "first"},    {"every", "bool_and"},
        {"some", "bool_or"},      {"any", "bool_or"},        {"array_agg", "collect_list"},
        {"variance", "var_samp"}, {"stddev", "stddev_samp"},
    };
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++)
        if (strcasecmp(name, al[i][0]) == 0) return canonical(al[i][1]);
    return name;
}

const agg_def *agg_lookup(const char *name)
{
    for (const agg_def *d = agg_defs; d->name; d++)
        if (strcasecmp(d->name, name) == 0) return d;
    return NULL;
}

int agg_bind(agg_bound *out, kiln_arena *a, const char *name, const col_type *const *args,
             int nargs, bool distinct, bool ignore_nulls)
{
    memset(out, 0, sizeof *out);
    const agg_def *d = agg_lookup(canonical(name));
    if (!d) return KILN_ENOTFOUND;
    out->def = d;
    if (nargs < d->min_args || (d->max_args >= 0 && nargs > d->max_args) || nargs > AGG_MAX_ARGS) {
        out->err_cls = "WRONG_NUM_ARGS.WITHOUT_SUGGESTION";
        out->err_msg = "wrong number of arguments for this aggregate function";
        return KILN_ESQL;
    }
    out->nargs = nargs;
    for (int i = 0; i < nargs; i++) out->args[i] = args[i];
    out->distinct = distinct;
    out->ignore_nulls = ignore_nulls;
    int rc = d->bind(out, a);
    out->state_size = round16(out->state_size);
    return rc;
}

int agg_set_rsd(agg_bound *b, double rsd)
{
    b->rsd = rsd;
    return bind_hll(b, NULL);
}
