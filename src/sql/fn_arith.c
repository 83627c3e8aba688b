/*
 * sql/fn_arith.c - arithmetic operators and functions (Spark 4): + - * /
 * % div pmod, unary minus, positive, abs, the try_ variants, and date,
 * timestamp and interval arithmetic. Kernels are tight loops stamped out
 * per operand type by macros, with paths for no selection and constant
 * operands; overflow is detected with __builtin_*_overflow and handled in
 * a second pass only when some row overflowed (ANSI error, NULL for the
 * try_ functions, Java's wrapping otherwise).
 */
#include <math.h>
#include <string.h>

#include "sql/fn_int.h"

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_PMOD, OP_IDIV };

typedef struct arith_state {
    int op;
    int mode;           /* FN_ON_ERROR / NULL / WRAP */
    const char *try_fn; /* named in overflow messages */
    int s1, s2, rs, rp; /* decimals: operand scales, result scale and precision */
    int64_t m1, m2;     /* decimal addition: 10^(rs - s1), 10^(rs - s2) */
    bool *hit;          /* set when a kernel met an overflow (NULL: not asked) */
    const col_type *rtype;
} arith_state;

static const char *const try_names[] = {"try_add", "try_subtract", "try_multiply", "try_divide",
                                        "try_mod", "try_mod",      "try_divide"};

static int err_dec_range(fn_ctx *c, int p, int s)
{
    return fn_error(c, "NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION", "22003",
                    "The result cannot be represented as Decimal(%d, %d). If necessary set "
                    "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error, and return "
                    "NULL instead.",
                    p, s);
}

/* The handling of rows that overflowed or divided by zero: BODY recomputes
 * one row setting bad / zero. */
#define FIX_PASS(...)                                                                              \
    FN_ROWS(sel, n, count, i, {                                                                    \
        if (!col_valid(out, i)) continue;                                                          \
        bool bad = false, zero = false;                                                            \
        __VA_ARGS__ if (zero)                                                                      \
        {                                                                                          \
            if (st->mode == FN_ON_ERROR) return fn_err_div_zero(c);                                \
            col_set_null(out, i);                                                                  \
        }                                                                                          \
        else if (bad)                                                                              \
        {                                                                                          \
            if (st->mode == FN_ON_ERROR) return fn_err_overflow(c, st->rtype, st->try_fn);         \
            if (st->mode == FN_ON_NULL) col_set_null(out, i);                                      \
        }                                                                                          \
    })

/* A binary kernel over typed arrays; EXPR reads x and y, writes *r and may
 * set bad (overflow) or zero (division by zero). */
#define BIN_KERNEL(NAME, TA, TB, TR, EXPR)                                                         \
    static int NAME(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,          \
                    const uint32_t *sel, uint32_t n, uint32_t count)                               \
    {                                                                                              \
        const arith_state *st = state;                                                             \
        const col_vec *a = &args[0], *b = &args[1];                                                \
        const TA *A = a->data;                                                                     \
        const TB *B = b->data;                                                                     \
        TR *R = out->data;                                                                         \
        bool bad = false, zero = false;                                                            \
        if (!sel && !a->constant && !b->constant) {                                                \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                TA x = A[i];                                                                       \
                TB y = B[i];                                                                       \
                TR *r = &R[i];                                                                     \
                EXPR                                                                               \
            }                                                                                      \
        } else if (!sel && b->constant && !a->constant) {                                          \
            TB y = B[0];                                                                           \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                TA x = A[i];                                                                       \
                TR *r = &R[i];                                                                     \
                EXPR                                                                               \
            }                                                                                      \
        } else if (!sel && a->constant && !b->constant) {                                          \
            TA x = A[0];                                                                           \
            for (uint32_t i = 0; i < n; i++) {                                                     \
                TB y = B[i];                                                                       \
                TR *r = &R[i];                                                                     \
                EXPR                                                                               \
            }                                                                                      \
        } else {                                                                                   \
            FN_ROWS(sel, n, count, i, {                                                            \
                TA x = A[col_row(a, i)];                                                           \
                TB y = B[col_row(b, i)];                                                           \
                TR *r = &R[i];                                                                     \
                EXPR                                                                               \
            });                                                                                    \
        }                                                                                          \
        if ((bad || zero) && st->hit) *st->hit = true;                                             \
        if (bad || zero) {                                                                         \
            FIX_PASS({                                                                             \
                TA x = A[col_row(a, i)];                                                           \
                TB y = B[col_row(b, i)];                                                           \
                TR tmp_;                                                                           \
                TR *r = &tmp_;                                                                     \
                EXPR R[i] = tmp_;                                                                  \
            });                                                                                    \
        }                                                                                          \
        (void)st;                                                                                  \
        (void)c;                                                                                   \
        return KILN_OK;                                                                            \
    }

#define E_ADD bad |= __builtin_add_overflow(x, y, r);
#define E_SUB bad |= __builtin_sub_overflow(x, y, r);
#define E_MUL bad |= __builtin_mul_overflow(x, y, r);
#define E_MOD                                                                                      \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else if (y == -1) {                                                                          \
        *r = 0;                                                                                    \
    } else {                                                                                       \
        *r = x % y;                                                                                \
    }
#define E_PMOD                                                                                     \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else if (y == -1) {                                                                          \
        *r = 0;                                                                                    \
    } else {                                                                                       \
        __typeof__(x) m_ = x % y;                                                                  \
        *r = m_ < 0 ? (m_ + y) % y : m_;                                                           \
    }
#define E_IDIV                                                                                     \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else if (y == -1) {                                                                          \
        bad |= __builtin_sub_overflow((__typeof__(x))0, x, r);                                     \
    } else {                                                                                       \
        *r = x / y;                                                                                \
    }
#define E_FADD *r = x + y;
#define E_FSUB *r = x - y;
#define E_FMUL *r = x * y;
#define E_FDIV                                                                                     \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else {                                                                                       \
        *r = x / y;                                                                                \
    }
#define E_FMOD                                                                                     \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else {                                                                                       \
        *r = fmod(x, y);                                                                           \
    }
#define E_FPMOD                                                                                    \
    if (y == 0) {                                                                                  \
        zero = true;                                                                               \
        *r = 0;                                                                                    \
    } else {                                                                                       \
        __typeof__(*r) m_ = fmod(x, y);                                                            \
        *r = m_ < 0 ? fmod(m_ + y, y) : m_;                                                        \
    }

#define INT_KERNELS(T, S)                                                                          \
    BIN_KERNEL(add_##S, T, T, T, E_ADD)                                                            \
    BIN_KERNEL(sub_##S, T, T, T, E_SUB)                                                            \
    BIN_KERNEL(mul_##S, T, T, T, E_MUL)                                                            \
    BIN_KERNEL(mod_##S, T, T, T, E_MOD)                                                            \
    BIN_KERNEL(pmod_##S, T, T, T, E_PMOD)
INT_KERNELS(int8_t, i8)
INT_KERNELS(int16_t, i16)
INT_KERNELS(int32_t, i32)
INT_KERNELS(int64_t, i64)
BIN_KERNEL(idiv_i64, int64_t, int64_t, int64_t, E_IDIV)

#define FLT_KERNELS(T, S)                                                                          \
    BIN_KERNEL(add_##S, T, T, T, E_FADD)                                                           \
    BIN_KERNEL(sub_##S, T, T, T, E_FSUB)                                                           \
    BIN_KERNEL(mul_##S, T, T, T, E_FMUL)                                                           \
    BIN_KERNEL(div_##S, T, T, T, E_FDIV)                                                           \
    BIN_KERNEL(mod_##S, T, T, T, E_FMOD)                                                           \
    BIN_KERNEL(pmod_##S, T, T, T, E_FPMOD)
FLT_KERNELS(float, f32)
FLT_KERNELS(double, f64)

/* Decimal fast paths: equal scales, 64-bit operands. */
#define D64_LIMIT ((int64_t)dec_pow10[st->rp])
BIN_KERNEL(dadd_64, int64_t, int64_t, int64_t,
           bad |= __builtin_add_overflow(x, y, r) || *r >= D64_LIMIT || *r <= -D64_LIMIT;)
BIN_KERNEL(dsub_64, int64_t, int64_t, int64_t,
           bad |= __builtin_sub_overflow(x, y, r) || *r >= D64_LIMIT || *r <= -D64_LIMIT;)
BIN_KERNEL(dadd_64_128, int64_t, int64_t, dec128, *r = (dec128)x + y;)
BIN_KERNEL(dsub_64_128, int64_t, int64_t, dec128, *r = (dec128)x - y;)
BIN_KERNEL(dmul_64_128, int64_t, int64_t, dec128, *r = (dec128)x * y; bad |= !dec_fits(*r, st->rp);)
BIN_KERNEL(dmul_64, int64_t, int64_t, int64_t,
           bad |= __builtin_mul_overflow(x, y, r) || *r >= D64_LIMIT || *r <= -D64_LIMIT;)
/* Addition and subtraction of 64-bit operands of different scales: each
 * scaled up to the result's (it cannot overflow 128 bits). */
#define E_DADDSC(OP, CAST)                                                                         \
    dec128 t_ = (dec128)x * st->m1 OP(dec128)                                                      \
    y * st->m2;                                                                                    \
    bad |= !dec_fits(t_, st->rp);                                                                  \
    *r = (CAST)t_;
BIN_KERNEL(dadd_sc_64, int64_t, int64_t, int64_t, E_DADDSC(+, int64_t))
BIN_KERNEL(dsub_sc_64, int64_t, int64_t, int64_t, E_DADDSC(-, int64_t))
BIN_KERNEL(dadd_sc_128, int64_t, int64_t, dec128, E_DADDSC(+, dec128))
BIN_KERNEL(dsub_sc_128, int64_t, int64_t, dec128, E_DADDSC(-, dec128))
/* Multiplication with a wide operand and no rounding (the result's scale
 * is the operands' sum): exact in 128 bits unless it overflows. */
#define E_DMUL128 bad |= __builtin_mul_overflow((dec128)x, (dec128)y, r) || !dec_fits(*r, st->rp);
BIN_KERNEL(dmul_w_64, dec128, int64_t, dec128, E_DMUL128)
BIN_KERNEL(dmul_64_w, int64_t, dec128, dec128, E_DMUL128)
BIN_KERNEL(dmul_w_w, dec128, dec128, dec128, E_DMUL128)

/* One decimal row: the exact result rounded to the result scale; false on
 * overflow, *zero on division by zero. */
static bool dec_op(const arith_state *st, dec128 x, dec128 y, dec128 *r, bool *zero)
{
    int s = st->s1 > st->s2 ? st->s1 : st->s2;
    dec128 t, xa, ya;
    switch (st->op) {
    case OP_ADD:
    case OP_SUB:
        if (!dec_rescale(x, st->s1, s, &xa) || !dec_rescale(y, st->s2, s, &ya)) return false;
        if (st->op == OP_ADD ? __builtin_add_overflow(xa, ya, &t)
                             : __builtin_sub_overflow(xa, ya, &t))
            return false;
        if (s != st->rs && !dec_rescale(t, s, st->rs, &t)) return false;
        break;
    case OP_MUL:
        if (!dec_mul_down(x, y, st->s1 + st->s2 - st->rs, &t)) return false;
        break;
    case OP_DIV: {
        if (y == 0) {
            *zero = true;
            return true;
        }
        int up = st->rs - st->s1 + st->s2;
        if (up >= 0) {
            if (!dec_div_up(x, up, y, &t)) return false;
        } else {
            dec128 yy;
            if (!dec_rescale(y, 0, -up, &yy) || !dec_div_up(x, 0, yy, &t)) return false;
        }
        break;
    }
    case OP_MOD:
    case OP_PMOD:
    case OP_IDIV:
        if (y == 0) {
            *zero = true;
            return true;
        }
        if (!dec_rescale(x, st->s1, s, &xa) || !dec_rescale(y, st->s2, s, &ya)) return false;
        if (st->op == OP_IDIV) {
            t = xa / ya;
            if (t > INT64_MAX || t < INT64_MIN) {
                if (st->mode == FN_ON_ERROR || st->mode == FN_ON_NULL) return false;
                t = (int64_t)(uint64_t)(unsigned __int128)t;
            }
            *r = t;
            return true;
        }
        t = xa % ya;
        if (st->op == OP_PMOD && t < 0) t = (t + ya) % ya;
        if (s != st->rs && !dec_rescale(t, s, st->rs, &t)) return false;
        break;
    default:
        return false;
    }
    if (!dec_fits(t, st->rp)) return false;
    *r = t;
    return true;
}

/* The general decimal kernel (any widths and scales). */
static int dec_generic(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    const arith_state *st = state;
    bool idiv = st->op == OP_IDIV;
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(out, i)) continue;
        dec128 r = 0;
        bool zero = false;
        bool ok = dec_op(st, fn_dec_get(&args[0], i), fn_dec_get(&args[1], i), &r, &zero);
        if (zero) {
            if (st->mode == FN_ON_ERROR) return fn_err_div_zero(c);
            col_set_null(out, i);
        } else if (!ok) {
            if (st->mode == FN_ON_ERROR) {
                if (idiv) return fn_err_overflow(c, &col_type_i64, st->try_fn);
                return err_dec_range(c, st->rp, st->rs);
            }
            col_set_null(out, i);
        } else if (idiv) {
            COL_DATA(out, int64_t)[i] = (int64_t)r;
        } else {
            fn_dec_put(out, i, r);
        }
    });
    return KILN_OK;
}

/* Fast decimal kernels reach here on overflow only through FIX_PASS, which
 * reports integer overflow; decimals say NUMERIC_VALUE_OUT_OF_RANGE. Wrap
 * them: on a reported overflow rerun the generic kernel. */
static int dec_fast(fn_kernel k, fn_ctx *c, void *state, col_vec *out, const col_vec *args,
                    int nargs, const uint32_t *sel, uint32_t n, uint32_t count)
{
    const arith_state *st = state;
    arith_state quiet = *st;
    bool hit = false;
    quiet.mode = FN_ON_NULL;
    quiet.hit = &hit;
    int rc = k(c, &quiet, out, args, nargs, sel, n, count);
    if (rc != KILN_OK) return rc;
    if (st->mode == FN_ON_ERROR && hit) {
        /* rows made null by the fast pass were overflows: redo them for the message */
        FN_ROWS(sel, n, count, i, {
            if (!col_valid(out, i) && col_valid(&args[0], i) && col_valid(&args[1], i)) {
                dec128 r;
                bool zero = false;
                if (!dec_op(st, fn_dec_get(&args[0], i), fn_dec_get(&args[1], i), &r, &zero))
                    return err_dec_range(c, st->rp, st->rs);
            }
        });
    }
    return KILN_OK;
}
#define DEC_FAST_WRAP(K)                                                                           \
    static int K##_k(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,         \
                     const uint32_t *sel, uint32_t n, uint32_t count)                              \
    {                                                                                              \
        return dec_fast(K, c, state, out, args, nargs, sel, n, count);                             \
    }
DEC_FAST_WRAP(dadd_64)
DEC_FAST_WRAP(dsub_64)
DEC_FAST_WRAP(dmul_64)
DEC_FAST_WRAP(dmul_64_128)
DEC_FAST_WRAP(dadd_sc_64)
DEC_FAST_WRAP(dsub_sc_64)
DEC_FAST_WRAP(dadd_sc_128)
DEC_FAST_WRAP(dsub_sc_128)
DEC_FAST_WRAP(dmul_w_64)
DEC_FAST_WRAP(dmul_64_w)
DEC_FAST_WRAP(dmul_w_w)

/* ---- Dates, timestamps and intervals ------------------------------------ */

enum {
    DT_DATE_INT,
    DT_DATE_DATE,
    DT_TS_DT,
    DT_TS_YM,
    DT_DATE_YM,
    DT_DATE_DAYS,
    DT_IV_IV,
    DT_TS_TS
};

typedef struct dt_state {
    int kind;
    int sign;     /* +1 / -1 */
    bool swapped; /* the datetime is the second argument */
    int mode;
    const char *tz;
} dt_state;

static int64_t days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* Adds months to a date, clamping the day to the month's last (Spark's
 * DateTimeUtils.dateAddMonths). */
static int64_t add_months_days(int64_t days, int64_t months)
{
    int64_t y;
    unsigned m, d;
    fn_civil_from_days(days, &y, &m, &d);
    int64_t total = y * 12 + (m - 1) + months;
    int64_t ny = total >= 0 ? total / 12 : -((-total + 11) / 12);
    unsigned nm = (unsigned)(total - ny * 12) + 1;
    int64_t dim = days_in_month(ny, nm);
    return fn_days_from_civil(ny, nm, d > dim ? (unsigned)dim : d);
}

static int dt_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                     const uint32_t *sel, uint32_t n, uint32_t count)
{
    const dt_state *st = state;
    const col_vec *dv = &args[st->swapped ? 1 : 0], *ov = &args[st->swapped ? 0 : 1];
    FN_ROWS(sel, n, count, i, {
        if (!col_valid(out, i)) continue;
        int64_t d = fn_int_get(dv, i), o = fn_int_get(ov, i), r = 0;
        bool bad = false;
        switch (st->kind) {
        case DT_DATE_INT:
            bad = __builtin_add_overflow(d, st->sign * o, &r) || r > INT32_MAX || r < INT32_MIN;
            COL_DATA(out, int32_t)[i] = (int32_t)r;
            break;
        case DT_DATE_DATE: /* INTERVAL DAY: cannot overflow (int32 days) */
            COL_DATA(out, int64_t)[i] = (d - o) * 86400000000LL;
            break;
        case DT_TS_TS:
            bad = __builtin_sub_overflow(d, o, &r);
            COL_DATA(out, int64_t)[i] = r;
            break;
        case DT_DATE_DAYS:
            COL_DATA(out, int32_t)[i] = (int32_t)(d + st->sign * (o / 86400000000LL));
            break;
        case DT_DATE_YM:
            COL_DATA(out, int32_t)[i] = (int32_t)add_months_days(d, st->sign * o);
            break;
        case DT_TS_DT:
            bad = __builtin_add_overflow(d, st->sign * o, &r);
            COL_DATA(out, int64_t)[i] = r;
            break;
        case DT_TS_YM: {
            /* months move the local date; the time of day stays */
            bool ok;
            int64_t off = (int64_t)fn_tz_offset(st->tz, d, &ok) * 1000000;
            int64_t local = d + off;
            int64_t day = local >= 0 ? local / 86400000000LL
                                     : -((-local + 86399999999LL) / 86400000000LL);
            int64_t tod = local - day * 86400000000LL;
            int64_t nd = add_months_days(day, st->sign * o);
            COL_DATA(out, int64_t)[i] = fn_tz_local_to_utc(st->tz, nd * 86400000000LL + tod);
            break;
        }
        case DT_IV_IV:
            if (out->type->kind == COL_INTERVAL_YM) {
                bad = __builtin_add_overflow(d, st->sign * o, &r) || r > INT32_MAX || r < INT32_MIN;
                COL_DATA(out, int32_t)[i] = (int32_t)r;
            } else {
                bad = __builtin_add_overflow(d, st->sign * o, &r);
                COL_DATA(out, int64_t)[i] = r;
            }
            break;
        }
        if (bad) {
            if (st->mode == FN_ON_ERROR)
                return fn_error(c, "DATETIME_OVERFLOW", "22008", "Datetime operation overflow.");
            col_set_null(out, i);
        }
    });
    return KILN_OK;
}

/* ---- Binding --------------------------------------------------------------- */

static int mode_of(const fn_bind *b, bool try_)
{
    return try_ ? FN_ON_NULL : b->ansi ? FN_ON_ERROR : FN_ON_WRAP;
}

static bool is_dt(const col_type *t)
{
    return t->kind == COL_DATE || t->kind == COL_TIMESTAMP || t->kind == COL_TIMESTAMP_NTZ ||
           t->kind == COL_INTERVAL_YM || t->kind == COL_INTERVAL_DT;
}

static int bind_datetime(fn_bind *b, int op, bool try_)
{
    const col_type *x = b->args[0], *y = b->args[1];
    dt_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->mode = try_ ? FN_ON_NULL : FN_ON_ERROR;
    st->sign = op == OP_SUB ? -1 : 1;
    st->tz = b->tz ? b->tz : "UTC";
    if (op == OP_ADD && !is_dt(x) && is_dt(y)) {
        st->swapped = true;
        const col_type *t = x;
        x = y;
        y = t;
    } else if (op == OP_ADD && (x->kind == COL_INTERVAL_YM || x->kind == COL_INTERVAL_DT) &&
               (y->kind == COL_DATE || y->kind == COL_TIMESTAMP || y->kind == COL_TIMESTAMP_NTZ)) {
        st->swapped = true;
        const col_type *t = x;
        x = y;
        y = t;
    }
    int di = st->swapped ? 1 : 0, oi = 1 - di;
    if (op != OP_ADD && op != OP_SUB) goto bad;
    if (x->kind == COL_DATE && (col_type_is_integral(y) || y->kind == COL_STRING) &&
        y->kind != COL_I64) {
        st->kind = DT_DATE_INT;
        b->want[oi] = &col_type_i32;
        b->result = &col_type_date;
    } else if (x->kind == COL_DATE && y->kind == COL_DATE && op == OP_SUB) {
        st->kind = DT_DATE_DATE; /* Spark's SubtractDates: INTERVAL DAY */
        b->result = &col_type_interval_day;
    } else if (op == OP_SUB &&
               (x->kind == COL_TIMESTAMP || x->kind == COL_TIMESTAMP_NTZ || x->kind == COL_DATE) &&
               (y->kind == COL_TIMESTAMP || y->kind == COL_TIMESTAMP_NTZ || y->kind == COL_DATE)) {
        /* Spark's SubtractTimestamps: INTERVAL DAY TO SECOND, a date (or a
         * timestamp_ntz beside a timestamp) cast to the other side's type. */
        const col_type *w = x->kind == COL_TIMESTAMP || y->kind == COL_TIMESTAMP
                                ? &col_type_timestamp
                                : &col_type_timestamp_ntz;
        st->kind = DT_TS_TS;
        b->want[0] = w;
        b->want[1] = w;
        b->result = &col_type_interval_dt;
    } else if (x->kind == COL_DATE && y->kind == COL_INTERVAL_YM) {
        st->kind = DT_DATE_YM;
        b->result = &col_type_date;
    } else if (x->kind == COL_DATE && y->kind == COL_INTERVAL_DT) {
        /* An INTERVAL DAY keeps a date (Spark's DateAdd of its days);
         * otherwise the date becomes a timestamp. */
        if (col_dt_start(y) == COL_DT_DAY && col_dt_end(y) == COL_DT_DAY) {
            st->kind = DT_DATE_DAYS;
            b->result = &col_type_date;
        } else {
            st->kind = DT_TS_DT;
            b->want[di] = &col_type_timestamp;
            b->result = &col_type_timestamp;
        }
    } else if ((x->kind == COL_TIMESTAMP || x->kind == COL_TIMESTAMP_NTZ) &&
               (y->kind == COL_INTERVAL_DT || y->kind == COL_INTERVAL_YM)) {
        st->kind = y->kind == COL_INTERVAL_DT ? DT_TS_DT : DT_TS_YM;
        if (x->kind == COL_TIMESTAMP_NTZ) st->tz = "UTC";
        b->result = x;
    } else if ((x->kind == COL_INTERVAL_DT || x->kind == COL_INTERVAL_YM) && y->kind == x->kind) {
        st->kind = DT_IV_IV;
        b->result = x;
    } else {
        goto bad;
    }
    if (st->swapped && op == OP_SUB) goto bad;
    b->state = st;
    b->kernel = dt_kernel;
    b->nullable = true;
    return KILN_OK;
bad:
    return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
                        "Cannot resolve the operation due to data type mismatch: the left and "
                        "right operands of the binary operator have incompatible types (\"%s\" "
                        "and \"%s\").",
                        fn_type_name(b->arena, b->args[0]), fn_type_name(b->arena, b->args[1]));
}

static fn_kernel int_kernel(int op, int kind)
{
#define PICK(S)                                                                                    \
    switch (op) {                                                                                  \
    case OP_ADD:                                                                                   \
        return add_##S;                                                                            \
    case OP_SUB:                                                                                   \
        return sub_##S;                                                                            \
    case OP_MUL:                                                                                   \
        return mul_##S;                                                                            \
    case OP_MOD:                                                                                   \
        return mod_##S;                                                                            \
    case OP_PMOD:                                                                                  \
        return pmod_##S;                                                                           \
    default:                                                                                       \
        return NULL;                                                                               \
    }
    switch (kind) {
    case COL_I8:
        PICK(i8)
    case COL_I16:
        PICK(i16)
    case COL_I32:
        PICK(i32)
    case COL_I64:
        PICK(i64)
    }
    return NULL;
#undef PICK
}

static fn_kernel flt_kernel(int op, int kind)
{
#define PICK(S)                                                                                    \
    switch (op) {                                                                                  \
    case OP_ADD:                                                                                   \
        return add_##S;                                                                            \
    case OP_SUB:                                                                                   \
        return sub_##S;                                                                            \
    case OP_MUL:                                                                                   \
        return mul_##S;                                                                            \
    case OP_DIV:                                                                                   \
        return div_##S;                                                                            \
    case OP_MOD:                                                                                   \
        return mod_##S;                                                                            \
    case OP_PMOD:                                                                                  \
        return pmod_##S;                                                                           \
    default:                                                                                       \
        return NULL;                                                                               \
    }
    if (kind == COL_F32) PICK(f32)
    PICK(f64)
#undef PICK
}

static int bind_decimal(fn_bind *b, arith_state *st, const col_type *x, const col_type *y)
{
    int p1 = x->precision, s1 = x->scale, p2 = y->precision, s2 = y->scale;
    int p, s;
    switch (st->op) {
    case OP_ADD:
    case OP_SUB:
        s = s1 > s2 ? s1 : s2;
        p = (p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2) + s + 1;
        break;
    case OP_MUL:
        p = p1 + p2 + 1;
        s = s1 + s2;
        break;
    case OP_DIV:
        s = s1 + p2 + 1 > DEC_MIN_ADJUSTED_SCALE ? s1 + p2 + 1 : DEC_MIN_ADJUSTED_SCALE;
        p = p1 - s1 + s2 + s;
        break;
    default: /* % pmod div */
        s = s1 > s2 ? s1 : s2;
        p = (p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2) + s;
        break;
    }
    dec_adjust(&p, &s);
    st->s1 = s1;
    st->s2 = s2;
    st->rs = s;
    st->rp = p;
    if (st->mode == FN_ON_WRAP) st->mode = FN_ON_NULL; /* decimal overflow is NULL outside ANSI */
    b->want[0] = x;
    b->want[1] = y;
    if (st->op == OP_IDIV) {
        if (!b->ansi) st->mode = FN_ON_WRAP; /* legacy: the long wraps */
        b->result = &col_type_i64;
        b->kernel = dec_generic;
        return KILN_OK;
    }
    b->result = col_type_decimal(b->arena, p, s);
    if (!b->result) return KILN_ENOMEM;
    st->rtype = b->result;
    b->kernel = dec_generic;
    bool narrow = p1 <= 18 && p2 <= 18;
    if (narrow && s1 == s2 && s == s1 && (st->op == OP_ADD || st->op == OP_SUB))
        b->kernel = p <= 18 ? (st->op == OP_ADD ? dadd_64_k : dsub_64_k)
                            : (st->op == OP_ADD ? dadd_64_128 : dsub_64_128);
    else if (narrow && (st->op == OP_ADD || st->op == OP_SUB) && s == (s1 > s2 ? s1 : s2)) {
        st->m1 = (int64_t)dec_pow10[s - s1];
        st->m2 = (int64_t)dec_pow10[s - s2];
        if (st->op == OP_ADD) b->kernel = p <= 18 ? dadd_sc_64_k : dadd_sc_128_k;
        else b->kernel = p <= 18 ? dsub_sc_64_k : dsub_sc_128_k;
    } else if (narrow && st->op == OP_MUL && s == s1 + s2)
        b->kernel = p <= 18 ? dmul_64_k : dmul_64_128_k;
    else if (st->op == OP_MUL && s == s1 + s2 && p > 18)
        b->kernel = p1 > 18 && p2 > 18 ? dmul_w_w_k : p1 > 18 ? dmul_w_64_k : dmul_64_w_k;
    return KILN_OK;
}

static int bind_arith(fn_bind *b, int op, bool try_)
{
    const col_type *x = b->args[0], *y = b->args[1];
    arith_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->op = op;
    st->mode = mode_of(b, try_);
    st->try_fn = try_names[op];
    b->state = st;
    b->nullable = op >= OP_DIV || try_ || !b->ansi;
    if (is_dt(x) || is_dt(y)) return bind_datetime(b, op, try_);
    if (x->kind == COL_NULL && y->kind == COL_NULL) x = y = &col_type_f64;
    const col_type *t = fn_binary_common(b, x, y);
    if (!t || !(col_type_is_numeric(t) || t->kind == COL_NULL))
        return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES",
                            "Cannot resolve the operation due to data type mismatch: the left "
                            "and right operands of the binary operator have incompatible types "
                            "(\"%s\" and \"%s\").",
                            fn_type_name(b->arena, x), fn_type_name(b->arena, y));
    if (x->kind == COL_NULL) x = t;
    if (y->kind == COL_NULL) y = t;
    if (x->kind == COL_STRING) x = t;
    if (y->kind == COL_STRING) y = t;
    if (t->kind == COL_DECIMAL) {
        const col_type *dx = fn_decimal_of(b->arena, x), *dy = fn_decimal_of(b->arena, y);
        if (!dx || !dy) return KILN_ENOMEM;
        return bind_decimal(b, st, dx, dy);
    }
    if (op == OP_DIV && col_type_is_integral(t)) t = &col_type_f64; /* Spark's / is fractional */
    if (op == OP_IDIV) {
        b->want[0] = b->want[1] = &col_type_i64;
        b->result = st->rtype = &col_type_i64;
        b->kernel = idiv_i64;
        if (t->kind == COL_F32 || t->kind == COL_F64)
            return fn_bind_fail(b, -1, "DATATYPE_MISMATCH.BINARY_OP_WRONG_TYPE",
                                "Cannot resolve the operation due to data type mismatch: the "
                                "binary operator requires the input type (\"BIGINT\" or "
                                "\"DECIMAL\"), not \"%s\".",
                                fn_type_name(b->arena, t));
        return KILN_OK;
    }
    b->want[0] = b->want[1] = t;
    b->result = st->rtype = t;
    b->kernel = col_type_is_integral(t) ? int_kernel(op, t->kind) : flt_kernel(op, t->kind);
    return b->kernel ? KILN_OK : KILN_EINVAL;
}

static int bind_add(fn_bind *b)
{
    return bind_arith(b, OP_ADD, false);
}
static int bind_mul(fn_bind *b)
{
    return bind_arith(b, OP_MUL, false);
}
static int bind_div(fn_bind *b)
{
    return bind_arith(b, OP_DIV, false);
}
static int bind_mod(fn_bind *b)
{
    return bind_arith(b, OP_MOD, false);
}
static int bind_pmod(fn_bind *b)
{
    return bind_arith(b, OP_PMOD, false);
}
static int bind_idiv(fn_bind *b)
{
    return bind_arith(b, OP_IDIV, false);
}
static int bind_try_add(fn_bind *b)
{
    return bind_arith(b, OP_ADD, true);
}
static int bind_try_sub(fn_bind *b)
{
    return bind_arith(b, OP_SUB, true);
}
static int bind_try_mul(fn_bind *b)
{
    return bind_arith(b, OP_MUL, true);
}
static int bind_try_div(fn_bind *b)
{
    return bind_arith(b, OP_DIV, true);
}
static int bind_try_mod(fn_bind *b)
{
    return bind_arith(b, OP_MOD, true);
}

/* ---- Unary ------------------------------------------------------------------- */

typedef struct un_state {
    int mode;
    bool abs;
    const col_type *t;
} un_state;

#define NEG_LOOP(T)                                                                                \
    {                                                                                              \
        const T *A = a->data;                                                                      \
        T *R = out->data;                                                                          \
        FN_ROWS(sel, n, count, i, {                                                                \
            T x = A[col_row(a, i)];                                                                \
            if (st->abs && x >= 0) {                                                               \
                R[i] = x;                                                                          \
            } else if (__builtin_sub_overflow((T)0, x, &R[i]) && col_valid(out, i)) {              \
                if (st->mode == FN_ON_ERROR)                                                       \
                    return fn_err_overflow(c, st->t, st->abs ? "try_abs" : "try_negative");        \
                if (st->mode == FN_ON_NULL) col_set_null(out, i);                                  \
            }                                                                                      \
        });                                                                                        \
    }

static int neg_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                      const uint32_t *sel, uint32_t n, uint32_t count)
{
    const un_state *st = state;
    const col_vec *a = &args[0];
    switch (st->t->kind) {
    case COL_I8:
        NEG_LOOP(int8_t)
        break;
    case COL_I16:
        NEG_LOOP(int16_t)
        break;
    case COL_I32:
    case COL_INTERVAL_YM:
        NEG_LOOP(int32_t)
        break;
    case COL_I64:
    case COL_INTERVAL_DT:
        NEG_LOOP(int64_t)
        break;
    case COL_F32: {
        const float *A = a->data;
        float *R = out->data;
        FN_ROWS(sel, n, count, i,
                { R[i] = st->abs ? fabsf(A[col_row(a, i)]) : -A[col_row(a, i)]; });
        break;
    }
    case COL_F64: {
        const double *A = a->data;
        double *R = out->data;
        FN_ROWS(sel, n, count, i, { R[i] = st->abs ? fabs(A[col_row(a, i)]) : -A[col_row(a, i)]; });
        break;
    }
    case COL_DECIMAL:
        FN_ROWS(sel, n, count, i, {
            dec128 x = fn_dec_get(a, i);
            fn_dec_put(out, i, st->abs && x >= 0 ? x : -x);
        });
        break;
    }
    return KILN_OK;
}

static int bind_unary(fn_bind *b, bool abs_)
{
    const col_type *t = b->args[0];
    if (t->kind == COL_STRING || t->kind == COL_NULL) t = &col_type_f64;
    if (!col_type_is_numeric(t) && t->kind != COL_INTERVAL_YM && t->kind != COL_INTERVAL_DT)
        return fn_bind_fail(b, 0, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
                            "Cannot resolve the operation due to data type mismatch: the "
                            "parameter requires the \"NUMERIC\" or \"INTERVAL\" type, however "
                            "it has the type \"%s\".",
                            fn_type_name(b->arena, t));
    un_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    st->mode = b->ansi ? FN_ON_ERROR : FN_ON_WRAP;
    st->abs = abs_;
    st->t = t;
    b->want[0] = t;
    b->result = t;
    b->state = st;
    b->kernel = neg_kernel;
    return KILN_OK;
}

static int bind_negative(fn_bind *b)
{
    return bind_unary(b, false);
}
static int bind_abs(fn_bind *b)
{
    return bind_unary(b, true);
}
/* "-" is both subtraction and unary minus. */
static int bind_minus(fn_bind *b)
{
    return b->nargs == 1 ? bind_unary(b, false) : bind_arith(b, OP_SUB, false);
}

static int copy_kernel(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                       const uint32_t *sel, uint32_t n, uint32_t count)
{
    size_t w = col_type_width(out->type);
    const char *A = args[0].data;
    char *R = out->data;
    FN_ROWS(sel, n, count, i, { memcpy(R + i * w, A + col_row(&args[0], i) * w, w); });
    return KILN_OK;
}

static int bind_positive(fn_bind *b)
{
    int rc = bind_unary(b, false);
    if (rc == KILN_OK) b->kernel = copy_kernel;
    return rc;
}
static int bind_plus(fn_bind *b)
{
    return b->nargs == 1 ? bind_positive(b) : bind_add(b);
}

const fn_def fn_defs_arith[] = {
    {"+", 1, 2, FN_NULL_IN_NULL_OUT, bind_plus},
    {"-", 1, 2, FN_NULL_IN_NULL_OUT, bind_minus},
    {"*", 2, 2, FN_NULL_IN_NULL_OUT, bind_mul},
    {"/", 2, 2, FN_NULL_IN_NULL_OUT, bind_div},
    {"%", 2, 2, FN_NULL_IN_NULL_OUT, bind_mod},
    {"div", 2, 2, FN_NULL_IN_NULL_OUT, bind_idiv},
    {"pmod", 2, 2, FN_NULL_IN_NULL_OUT, bind_pmod},
    {"negative", 1, 1, FN_NULL_IN_NULL_OUT, bind_negative},
    {"positive", 1, 1, FN_NULL_IN_NULL_OUT, bind_positive},
    {"abs", 1, 1, FN_NULL_IN_NULL_OUT, bind_abs},
    {"try_add", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_add},
    {"try_subtract", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_sub},
    {"try_multiply", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_mul},
    {"try_divide", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_div},
    {"try_mod", 2, 2, FN_NULL_IN_NULL_OUT, bind_try_mod},
    {NULL, 0, 0, 0, NULL},
};
