/*
 * tests/unit/test_sql_fn_arith.c - SQL arithmetic (src/sql/fn_arith.c) and
 * math functions (fn_math.c) through fn_lookup, bind and the kernels:
 * random integers with nulls against __int128 references (ANSI errors,
 * legacy wrapping, try_ NULLs, with and without a selection, constant
 * operands), result types of Spark's promotion and decimal rules, decimal
 * values against an independent reference, division by zero, dates and
 * intervals, rounding; and a micro-benchmark of bigint a + b.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <time.h>

#include "kt_fn.h"
#include "sql/decimal.h"

#define N 3000

static kiln_arena *A;

static int setup(void **state)
{
    A = kiln_arena_new();
    return 0;
}
static int teardown(void **state)
{
    kiln_arena_free(A);
    return 0;
}

/* Random bigints: mostly small, some near the limits so that + and *
 * overflow; every 7th row null. */
static col_vec rand_i64(uint64_t *s, uint32_t n, bool nulls)
{
    col_vec v = kf_vec(A, &col_type_i64, n);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = kf_rand(s);
        int64_t x;
        switch (r % 4) {
        case 0:
            x = (int64_t)(r >> 8) % 1000;
            break;
        case 1:
            x = (int64_t)r;
            break;
        case 2:
            x = (int64_t)(r >> 33) - (1LL << 30);
            break;
        default:
            x = (r & 16) ? INT64_MAX - (int64_t)(r % 3) : INT64_MIN + (int64_t)(r % 3);
        }
        COL_DATA(&v, int64_t)[i] = x;
        if (nulls && (r >> 40) % 7 == 0) kf_null(A, &v, i);
    }
    return v;
}

static void check_i64_op(const char *op, __int128 (*ref)(__int128, __int128))
{
    uint64_t s = 0x1234;
    col_vec args[2];
    args[0] = rand_i64(&s, N, true);
    args[1] = rand_i64(&s, N, true);
    /* legacy: wraps */
    kf_result r = kf_call(A, op, args, 2, false);
    assert_int_equal(r.rc, KILN_OK);
    assert_true(col_type_eq(r.type, &col_type_i64));
    bool any_ovf = false;
    for (uint32_t i = 0; i < N; i++) {
        bool valid = col_valid(&args[0], i) && col_valid(&args[1], i);
        assert_int_equal(col_valid(&r.out, i), valid);
        if (!valid) continue;
        __int128 e = ref(COL_DATA(&args[0], int64_t)[i], COL_DATA(&args[1], int64_t)[i]);
        if (e > INT64_MAX || e < INT64_MIN) any_ovf = true;
        assert_int_equal(COL_DATA(&r.out, int64_t)[i], (int64_t)(uint64_t)e);
    }
    assert_true(any_ovf);
    /* ANSI: the first overflowing valid row raises */
    r = kf_call(A, op, args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[ARITHMETIC_OVERFLOW] long overflow."));
    assert_non_null(strstr(r.err, "SQLSTATE: 22003"));
    /* try_: null there */
    char tname[32];
    snprintf(tname, sizeof tname, "try_%s",
             op[0] == '+'   ? "add"
             : op[0] == '-' ? "subtract"
                            : "multiply");
    r = kf_call(A, tname, args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    for (uint32_t i = 0; i < N; i++) {
        bool valid = col_valid(&args[0], i) && col_valid(&args[1], i);
        __int128 e = ref(COL_DATA(&args[0], int64_t)[i], COL_DATA(&args[1], int64_t)[i]);
        bool ovf = e > INT64_MAX || e < INT64_MIN;
        assert_int_equal(col_valid(&r.out, i), valid && !ovf);
        if (valid && !ovf) assert_int_equal(COL_DATA(&r.out, int64_t)[i], (int64_t)e);
    }
    /* Overflow only in rows outside the selection or under nulls: no error. */
    uint32_t sel[N], cnt = 0;
    for (uint32_t i = 0; i < N; i++) {
        bool valid = col_valid(&args[0], i) && col_valid(&args[1], i);
        __int128 e = ref(COL_DATA(&args[0], int64_t)[i], COL_DATA(&args[1], int64_t)[i]);
        if (!valid || (e <= INT64_MAX && e >= INT64_MIN)) sel[cnt++] = i;
    }
    r = kf_call_sel(A, op, args, 2, true, sel, cnt);
    assert_int_equal(r.rc, KILN_OK);
    for (uint32_t k = 0; k < cnt; k++) {
        uint32_t i = sel[k];
        if (col_valid(&r.out, i))
            assert_int_equal(COL_DATA(&r.out, int64_t)[i],
                             (int64_t)ref(COL_DATA(&args[0], int64_t)[i],
                                          COL_DATA(&args[1], int64_t)[i]));
    }
}

static __int128 r_add(__int128 a, __int128 b)
{
    return a + b;
}
static __int128 r_sub(__int128 a, __int128 b)
{
    return a - b;
}
static __int128 r_mul(__int128 a, __int128 b)
{
    return a * b;
}

static void test_bigint_add_sub_mul(void **state)
{
    check_i64_op("+", r_add);
    check_i64_op("-", r_sub);
    check_i64_op("*", r_mul);
}

/* A constant right operand (the fast path) gives the same as a flat one. */
static void test_constant_operand(void **state)
{
    uint64_t s = 99;
    col_vec x = kf_vec(A, &col_type_i32, N);
    for (uint32_t i = 0; i < N; i++)
        COL_DATA(&x, int32_t)[i] = (int32_t)(kf_rand(&s) % 2000001) - 1000000;
    int32_t k = 1000;
    col_vec args[2] = {x, kf_const(A, &col_type_i32, &k, N)};
    kf_result r = kf_call(A, "*", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(COL_DATA(&r.out, int32_t)[i], COL_DATA(&x, int32_t)[i] * 1000);
    /* int * int overflow message says integer */
    k = 100000;
    args[1] = kf_const(A, &col_type_i32, &k, N);
    COL_DATA(&x, int32_t)[5] = 1000000;
    r = kf_call(A, "*", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_string_equal(r.err,
                        "[ARITHMETIC_OVERFLOW] integer overflow. Use 'try_multiply' to tolerate "
                        "overflow and return NULL instead. If necessary set "
                        "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error. SQLSTATE: "
                        "22003");
}

static const col_type *bind_type(const char *fn, const col_type *x, const col_type *y)
{
    col_vec args[2] = {kf_vec(A, x, 1), kf_vec(A, y, 1)};
    kf_null(A, &args[0], 0); /* types only: no row is computed */
    kf_null(A, &args[1], 0);
    kf_result r = kf_call(A, fn, args, 2, true);
    if (r.rc != KILN_OK && getenv("KF_DEBUG"))
        fprintf(stderr, "%s: rc %d %s\n", fn, r.rc, r.err ? r.err : "");
    return r.rc == KILN_OK ? r.type : NULL;
}

static void expect_type(const char *fn, const col_type *x, const col_type *y, const char *want)
{
    const col_type *t = bind_type(fn, x, y);
    if (!t) fail_msg("%s: no type (want %s)", fn, want);
    kiln_buf b;
    kiln_buf_init(&b);
    col_type_format(&b, t);
    kiln_buf_append(&b, "", 1);
    if (strcmp((char *)b.data, want) != 0)
        fail_msg("%s: got %s, want %s", fn, (char *)b.data, want);
    kiln_buf_release(&b);
}

static void test_result_types(void **state)
{
    const col_type *d152 = col_type_decimal(A, 15, 2), *d132 = col_type_decimal(A, 13, 2);
    const col_type *d380 = col_type_decimal(A, 38, 0), *d3810 = col_type_decimal(A, 38, 10);
    expect_type("+", &col_type_i8, &col_type_i32, "int");
    expect_type("+", &col_type_i16, &col_type_i64, "bigint");
    expect_type("+", &col_type_i32, &col_type_f64, "double");
    expect_type("+", &col_type_i64, &col_type_f32, "float");
    expect_type("/", &col_type_i32, &col_type_i32, "double");
    expect_type("div", &col_type_i32, &col_type_i32, "bigint");
    expect_type("%", &col_type_i16, &col_type_i16, "smallint");
    expect_type("+", d152, d132, "decimal(16,2)");
    expect_type("-", d152, &col_type_i32, "decimal(16,2)");
    expect_type("*", d152, d132, "decimal(29,4)");
    expect_type("/", d152, d132, "decimal(31,16)"); /* s = max(6, 2+13+1) */
    expect_type("/", d380, d380, "decimal(38,6)");
    expect_type("*", d3810, d3810, "decimal(38,6)");
    expect_type("%", d152, d132, "decimal(13,2)");
    expect_type("+", d152, &col_type_f64, "double");
    expect_type("+", &col_type_string, &col_type_i32, "bigint");
    expect_type("+", &col_type_string, d152, "double");
    expect_type("+", &col_type_date, &col_type_i32, "date");
    expect_type("-", &col_type_date, &col_type_date, "interval day");
    expect_type("-", &col_type_timestamp, &col_type_timestamp, "interval day to second");
    expect_type("-", &col_type_date, &col_type_timestamp, "interval day to second");
    expect_type("+", &col_type_date, &col_type_interval_day, "date");
    expect_type("+", &col_type_date, &col_type_interval_dt, "timestamp");
    expect_type("+", &col_type_timestamp, &col_type_interval_ym, "timestamp");
    assert_null(bind_type("+", &col_type_bool, &col_type_i32));
    assert_null(bind_type("div", &col_type_f64, &col_type_i32));
}

/* Independent decimal reference: long multiplication / division on digit
 * strings would be slow; these use __int128 where the test keeps values
 * small enough, rounding half away from zero by hand. */
static __int128 ref_round_div(__int128 num, __int128 den)
{
    bool neg = (num < 0) != (den < 0);
    __int128 an = num < 0 ? -num : num, ad = den < 0 ? -den : den;
    __int128 q = an / ad, r = an % ad;
    if (2 * r >= ad) q++;
    return neg ? -q : q;
}

static void test_decimal_values(void **state)
{
    const col_type *d152 = col_type_decimal(A, 15, 2), *d52 = col_type_decimal(A, 5, 1);
    uint64_t s = 7;
    col_vec x = kf_vec(A, d152, N), y = kf_vec(A, d52, N);
    for (uint32_t i = 0; i < N; i++) {
        COL_DATA(&x, int64_t)[i] = (int64_t)(kf_rand(&s) % 2000000000000ULL) - 1000000000000LL;
        COL_DATA(&y, int64_t)[i] = (int64_t)(kf_rand(&s) % 19999) - 9999;
        if (i % 11 == 0) kf_null(A, &y, i);
        if (i % 13 == 0) COL_DATA(&y, int64_t)[i] = 0;
    }
    col_vec args[2] = {x, y};
    /* + : scale 2, y rescaled by 10 */
    kf_result r = kf_call(A, "+", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    for (uint32_t i = 0; i < N; i++) {
        if (!col_valid(&y, i)) continue;
        int64_t e = COL_DATA(&x, int64_t)[i] + COL_DATA(&y, int64_t)[i] * 10;
        assert_int_equal(COL_DATA(&r.out, int64_t)[i], e);
    }
    /* * : decimal(21,3) exact */
    r = kf_call(A, "*", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(r.type->precision, 21);
    assert_int_equal(r.type->scale, 3);
    for (uint32_t i = 0; i < N; i++)
        if (col_valid(&y, i))
            assert_true(((__int128 *)r.out.data)[i] ==
                        (__int128)COL_DATA(&x, int64_t)[i] * COL_DATA(&y, int64_t)[i]);
    /* * of a wide operand, exact: decimal(21,3) * decimal(5,1) = decimal(27,4) */
    col_vec wide[2] = {r.out, y};
    kf_result w = kf_call(A, "*", wide, 2, true);
    assert_int_equal(w.rc, KILN_OK);
    assert_int_equal(w.type->precision, 27);
    assert_int_equal(w.type->scale, 4);
    for (uint32_t i = 0; i < N; i++)
        if (col_valid(&y, i))
            assert_true(((__int128 *)w.out.data)[i] == (__int128)COL_DATA(&x, int64_t)[i] *
                                                           COL_DATA(&y, int64_t)[i] *
                                                           COL_DATA(&y, int64_t)[i]);
    /* - with the operands' scales the other way round: y * 10 - x */
    col_vec swapped[2] = {y, x};
    kf_result d = kf_call(A, "-", swapped, 2, true);
    assert_int_equal(d.rc, KILN_OK);
    for (uint32_t i = 0; i < N; i++)
        if (col_valid(&y, i))
            assert_int_equal(COL_DATA(&d.out, int64_t)[i],
                             COL_DATA(&y, int64_t)[i] * 10 - COL_DATA(&x, int64_t)[i]);
    /* / : decimal(15,2)/decimal(5,1): s = max(6, 2+5+1) = 8, p = 15-2+1+8 = 22 */
    r = kf_call(A, "/", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL); /* rows with y = 0 */
    assert_non_null(strstr(r.err, "[DIVIDE_BY_ZERO] Division by zero."));
    r = kf_call(A, "try_divide", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(r.type->precision, 22);
    assert_int_equal(r.type->scale, 8);
    for (uint32_t i = 0; i < N; i++) {
        if (!col_valid(&y, i) || COL_DATA(&y, int64_t)[i] == 0) {
            assert_false(col_valid(&r.out, i));
            continue;
        }
        /* x/100 / (y/10) at scale 8 = x * 10^7 / y */
        __int128 e = ref_round_div((__int128)COL_DATA(&x, int64_t)[i] * 10000000,
                                   COL_DATA(&y, int64_t)[i]);
        assert_true(((__int128 *)r.out.data)[i] == e);
    }
    /* legacy: division by zero is null */
    r = kf_call(A, "/", args, 2, false);
    assert_int_equal(r.rc, KILN_OK);
    assert_false(col_valid(&r.out, 13));
}

static void test_decimal_overflow(void **state)
{
    const col_type *d380 = col_type_decimal(A, 38, 0);
    col_vec x = kf_vec(A, d380, 2);
    ((__int128 *)x.data)[0] = dec_pow10[37] * 9;
    ((__int128 *)x.data)[1] = 5;
    col_vec args[2] = {x, x};
    kf_result r = kf_call(A, "+", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION]"));
    r = kf_call(A, "+", args, 2, false);
    assert_int_equal(r.rc, KILN_OK);
    assert_false(col_valid(&r.out, 0));
    assert_true(((__int128 *)r.out.data)[1] == 10);
    /* wide products: 9e37 * 9e37 overflows (error, or null), 5 * 5 does not */
    r = kf_call(A, "*", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION]"));
    r = kf_call(A, "*", args, 2, false);
    assert_int_equal(r.rc, KILN_OK);
    assert_false(col_valid(&r.out, 0));
    assert_true(((__int128 *)r.out.data)[1] == 25);
    /* a product beyond 128 bits rounds down to scale 6 exactly */
    const col_type *d3810 = col_type_decimal(A, 38, 10);
    col_vec z = kf_vec(A, d3810, 1);
    ((__int128 *)z.data)[0] = 1234567890123456789LL; /* 123456789.0123456789 */
    col_vec a2[2] = {z, z};
    r = kf_call(A, "*", a2, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    char buf[64];
    int n = dec_format(buf, ((__int128 *)r.out.data)[0], r.type->scale);
    buf[n] = 0;
    assert_string_equal(buf, "15241578753238836.750191"); /* python3 decimal, HALF_UP */
}

static void test_div_mod_pmod(void **state)
{
    int32_t xs[] = {7, -7, 7, -7, INT32_MIN, 5, 0};
    int32_t ys[] = {3, 3, -3, -3, -1, 0, 5};
    int n = 7;
    col_vec x = kf_vec(A, &col_type_i32, n), y = kf_vec(A, &col_type_i32, n);
    memcpy(x.data, xs, sizeof xs);
    memcpy(y.data, ys, sizeof ys);
    col_vec args[2] = {x, y};
    kf_result r = kf_call(A, "%", args, 2, false);
    assert_int_equal(r.rc, KILN_OK);
    int32_t mod_want[] = {1, -1, 1, -1, 0, 0, 0};
    for (int i = 0; i < n; i++)
        if (i != 5) assert_int_equal(COL_DATA(&r.out, int32_t)[i], mod_want[i]);
    assert_false(col_valid(&r.out, 5));
    r = kf_call(A, "pmod", args, 2, false);
    int32_t pmod_want[] = {1, 2, 1, -1, 0, 0, 0};
    for (int i = 0; i < n; i++)
        if (i != 5) assert_int_equal(COL_DATA(&r.out, int32_t)[i], pmod_want[i]);
    r = kf_call(A, "div", args, 2, false);
    int64_t div_want[] = {2, -2, -2, 2, 2147483648LL, 0, 0};
    for (int i = 0; i < n; i++)
        if (i != 5) assert_int_equal(COL_DATA(&r.out, int64_t)[i], div_want[i]);
    r = kf_call(A, "/", args, 2, false);
    assert_true(fabs(COL_DATA(&r.out, double)[0] - 7.0 / 3) < 1e-15);
    assert_false(col_valid(&r.out, 5));
    r = kf_call(A, "/", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "Use `try_divide` to tolerate divisor being 0"));
    /* double / 0.0 follows Spark (null / error), not IEEE */
    col_vec d = kf_vec(A, &col_type_f64, 1), z = kf_vec(A, &col_type_f64, 1);
    COL_DATA(&d, double)[0] = 1.0;
    col_vec a2[2] = {d, z};
    r = kf_call(A, "/", a2, 2, false);
    assert_false(col_valid(&r.out, 0));
    /* unary minus and abs of the minimum */
    col_vec m = kf_vec(A, &col_type_i32, 1);
    COL_DATA(&m, int32_t)[0] = INT32_MIN;
    r = kf_call(A, "-", &m, 1, true);
    assert_int_equal(r.rc, KILN_ESQL);
    r = kf_call(A, "abs", &m, 1, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], INT32_MIN);
    r = kf_call(A, "negative", &m, 1, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], INT32_MIN);
}

static void test_tinyint_overflow(void **state)
{
    col_vec x = kf_vec(A, &col_type_i8, 2);
    COL_DATA(&x, int8_t)[0] = 100;
    COL_DATA(&x, int8_t)[1] = -3;
    col_vec args[2] = {x, x};
    kf_result r = kf_call(A, "+", args, 2, false);
    assert_int_equal(COL_DATA(&r.out, int8_t)[0], (int8_t)200);
    assert_int_equal(COL_DATA(&r.out, int8_t)[1], -6);
    r = kf_call(A, "+", args, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
}

static void test_dates(void **state)
{
    /* date '1998-12-01' - interval '90' day = 1998-09-02 */
    int32_t d = 10561; /* 1998-12-01 */
    int64_t days90 = 90LL * 86400000000LL;
    col_vec args[2] = {kf_vec(A, &col_type_date, 1),
                       kf_const(A, &col_type_interval_day, &days90, 1)};
    COL_DATA(&args[0], int32_t)[0] = d;
    kf_result r = kf_call(A, "-", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(r.type->kind, COL_DATE);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], d - 90);
    /* date '1994-01-31' + interval '1' month = 1994-02-28 */
    int32_t jan31 = 8796; /* 1994-01-31 */
    int32_t one = 1;
    args[0] = kf_vec(A, &col_type_date, 1);
    COL_DATA(&args[0], int32_t)[0] = jan31;
    args[1] = kf_const(A, &col_type_interval_ym, &one, 1);
    r = kf_call(A, "+", args, 2, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], jan31 + 28);
    int32_t twelve = 12;
    args[1] = kf_const(A, &col_type_interval_ym, &twelve, 1);
    r = kf_call(A, "+", args, 2, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], jan31 + 365);
    /* date + int, int + date, date - date */
    int32_t five = 5;
    args[1] = kf_const(A, &col_type_i32, &five, 1);
    r = kf_call(A, "+", args, 2, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], jan31 + 5);
    col_vec sw[2] = {args[1], args[0]};
    r = kf_call(A, "+", sw, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], jan31 + 5);
    col_vec dd[2] = {args[0], kf_vec(A, &col_type_date, 1)};
    COL_DATA(&dd[1], int32_t)[0] = jan31 - 40;
    r = kf_call(A, "-", dd, 2, true);
    assert_int_equal(r.type->kind, COL_INTERVAL_DT); /* INTERVAL DAY, Spark 3.2+ */
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 40LL * 86400000000LL);
}

/* date - date and timestamp - timestamp on random values with nulls
 * against the plain differences; the intervals print as Spark's. */
static void test_datetime_differences(void **state)
{
    uint64_t seed = 77;
    col_vec d[2] = {kf_vec(A, &col_type_date, N), kf_vec(A, &col_type_date, N)};
    col_vec t[2] = {kf_vec(A, &col_type_timestamp, N), kf_vec(A, &col_type_timestamp, N)};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < N; i++) {
            COL_DATA(&d[k], int32_t)[i] = (int32_t)(kf_rand(&seed) % 200000) - 100000;
            COL_DATA(&t[k], int64_t)[i] = (int64_t)(kf_rand(&seed) % (1ULL << 60)) - (1LL << 59);
            if (kf_rand(&seed) % 7 == 0) kf_null(A, &d[k], i);
            if (kf_rand(&seed) % 7 == 0) kf_null(A, &t[k], i);
        }
    kf_result rd = kf_call(A, "-", d, 2, true), rt = kf_call(A, "-", t, 2, true);
    assert_int_equal(rd.rc, KILN_OK);
    assert_int_equal(rt.rc, KILN_OK);
    for (uint32_t i = 0; i < N; i++) {
        bool dn = !col_valid(&d[0], i) || !col_valid(&d[1], i);
        bool tn = !col_valid(&t[0], i) || !col_valid(&t[1], i);
        assert_int_equal(!col_valid(&rd.out, i), dn);
        assert_int_equal(!col_valid(&rt.out, i), tn);
        if (!dn)
            assert_true(COL_DATA(&rd.out, int64_t)[i] ==
                        ((int64_t)COL_DATA(&d[0], int32_t)[i] - COL_DATA(&d[1], int32_t)[i]) *
                            86400000000LL);
        if (!tn)
            assert_true(COL_DATA(&rt.out, int64_t)[i] ==
                        COL_DATA(&t[0], int64_t)[i] - COL_DATA(&t[1], int64_t)[i]);
    }
    /* Overflow: ANSI error, try_subtract null. */
    int64_t big = INT64_MAX, small = -1000000;
    col_vec o[2] = {kf_const(A, &col_type_timestamp, &big, 1),
                    kf_const(A, &col_type_timestamp, &small, 1)};
    assert_int_equal(kf_call(A, "-", o, 2, true).rc, KILN_ESQL);
    /* Display (CAST to string) by the type's fields. */
    static const struct {
        const col_type *t;
        int64_t us;
        const char *want;
    } shows[] = {
        {&col_type_interval_day, 3 * 86400000000LL, "INTERVAL '3' DAY"},
        {&col_type_interval_day, -40 * 86400000000LL, "INTERVAL '-40' DAY"},
        {&col_type_interval_dt, 93784500000LL, "INTERVAL '1 02:03:04.5' DAY TO SECOND"},
        {&col_type_interval_dt, -1000000, "INTERVAL '-0 00:00:01' DAY TO SECOND"},
        {NULL, 5400000000LL, "INTERVAL '90' MINUTE"},
        {NULL, 93784000000LL, "INTERVAL '26:03:04' HOUR TO SECOND"},
        {NULL, 1500000, "INTERVAL '1.5' SECOND"},
    };
    for (size_t k = 0; k < sizeof shows / sizeof shows[0]; k++) {
        const col_type *ty = shows[k].t;
        if (!ty)
            ty = k == 4   ? col_type_interval_dt_of(COL_DT_MINUTE, COL_DT_MINUTE)
                 : k == 5 ? col_type_interval_dt_of(COL_DT_HOUR, COL_DT_SECOND)
                          : col_type_interval_dt_of(COL_DT_SECOND, COL_DT_SECOND);
        col_vec v = kf_const(A, ty, &shows[k].us, 1);
        kf_result r = kf_cast(A, &v, &col_type_string, true, false);
        assert_int_equal(r.rc, KILN_OK);
        assert_string_equal(kf_str(&r.out, 0), shows[k].want);
    }
}

static void check_round(const char *fn, double x, int d, double want)
{
    col_vec args[2] = {kf_vec(A, &col_type_f64, 1), kf_const(A, &col_type_i32, &d, 1)};
    COL_DATA(&args[0], double)[0] = x;
    kf_result r = kf_call(A, fn, args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    if (COL_DATA(&r.out, double)[0] != want)
        fail_msg("%s(%.17g, %d) = %.17g, want %.17g", fn, x, d, COL_DATA(&r.out, double)[0], want);
}

static void test_round(void **state)
{
    check_round("round", 2.5, 0, 3.0);
    check_round("round", -2.5, 0, -3.0);
    check_round("bround", 2.5, 0, 2.0);
    check_round("bround", 3.5, 0, 4.0);
    check_round("round", 0.125, 2, 0.13);
    check_round("round", 1.005, 2, 1.01); /* Spark rounds the decimal text */
    check_round("round", 1234.5678, -2, 1200.0);
    check_round("round", 1250.0, -2, 1300.0);
    check_round("bround", 1250.0, -2, 1200.0);
    check_round("round", 1e300, 2, 1e300);
    /* decimal: round(1.235 as decimal(4,3), 2) = 1.24 as decimal(4,2) */
    const col_type *d43 = col_type_decimal(A, 4, 3);
    int two = 2;
    col_vec args[2] = {kf_vec(A, d43, 2), kf_const(A, &col_type_i32, &two, 2)};
    COL_DATA(&args[0], int64_t)[0] = 1235;
    COL_DATA(&args[0], int64_t)[1] = -1235;
    kf_result r = kf_call(A, "round", args, 2, true);
    assert_int_equal(r.type->precision, 4);
    assert_int_equal(r.type->scale, 2);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 124);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], -124);
    /* floor / ceil */
    col_vec f = kf_vec(A, &col_type_f64, 2);
    COL_DATA(&f, double)[0] = -1.5;
    COL_DATA(&f, double)[1] = 2.1;
    r = kf_call(A, "floor", &f, 1, true);
    assert_int_equal(r.type->kind, COL_I64);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], -2);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], 2);
    r = kf_call(A, "ceil", &f, 1, true);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], -1);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], 3);
    r = kf_call(A, "ceil", &args[0], 1, true);
    assert_int_equal(r.type->precision, 2);
    assert_int_equal(r.type->scale, 0);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 2);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], -1);
}

static void test_math(void **state)
{
    col_vec x = kf_vec(A, &col_type_f64, 4);
    double xs[] = {0.0, -1.0, 8.0, 1e-300};
    memcpy(x.data, xs, sizeof xs);
    kf_result r = kf_call(A, "ln", &x, 1, true);
    assert_false(col_valid(&r.out, 0));
    assert_false(col_valid(&r.out, 1));
    assert_true(COL_DATA(&r.out, double)[2] == log(8.0));
    col_vec two = kf_vec(A, &col_type_i32, 4);
    for (int i = 0; i < 4; i++) COL_DATA(&two, int32_t)[i] = 2;
    col_vec args[2] = {two, x};
    r = kf_call(A, "log", args, 2, true);
    assert_true(fabs(COL_DATA(&r.out, double)[2] - 3.0) < 1e-15);
    assert_false(col_valid(&r.out, 0));
    r = kf_call(A, "sqrt", &x, 1, true);
    assert_true(isnan(COL_DATA(&r.out, double)[1]));
    r = kf_call(A, "pow", args, 2, true);
    assert_true(COL_DATA(&r.out, double)[2] == 256.0);
    r = kf_call(A, "pi", NULL, 0, true);
    assert_int_equal(r.rc, KILN_OK);
    /* greatest / least skip nulls */
    col_vec g[3] = {kf_vec(A, &col_type_i32, 2), kf_vec(A, &col_type_i64, 2),
                    kf_vec(A, &col_type_i32, 2)};
    COL_DATA(&g[0], int32_t)[0] = 5;
    COL_DATA(&g[1], int64_t)[0] = 9;
    kf_null(A, &g[1], 1);
    kf_null(A, &g[0], 1);
    COL_DATA(&g[2], int32_t)[0] = 7;
    COL_DATA(&g[2], int32_t)[1] = -4;
    r = kf_call(A, "greatest", g, 3, true);
    assert_int_equal(r.type->kind, COL_I64);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 9);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], -4);
    r = kf_call(A, "least", g, 3, true);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 5);
    /* rand is reproducible per seed and in [0, 1) */
    int64_t seed = 42;
    col_vec sd = kf_const(A, &col_type_i64, &seed, 100);
    kf_result r1 = kf_call(A, "rand", &sd, 1, true), r2 = kf_call(A, "rand", &sd, 1, true);
    for (int i = 0; i < 100; i++) {
        assert_true(COL_DATA(&r1.out, double)[i] == COL_DATA(&r2.out, double)[i]);
        assert_true(COL_DATA(&r1.out, double)[i] >= 0 && COL_DATA(&r1.out, double)[i] < 1);
    }
}

/* Digit-array references for the 256-bit paths of decimal.c: schoolbook
 * multiplication and long division in base 10, HALF_UP by the first
 * dropped digit. Values are magnitudes below 10^37. */
typedef struct digits {
    int n; /* most significant first */
    unsigned char d[100];
} digits;

static digits to_digits(unsigned __int128 v)
{
    digits r;
    char tmp[64];
    int k = 0;
    do {
        tmp[k++] = (char)(v % 10);
        v /= 10;
    } while (v);
    r.n = k;
    for (int i = 0; i < k; i++) r.d[i] = (unsigned char)tmp[k - 1 - i];
    return r;
}

static digits mul_digits(const digits *a, const digits *b)
{
    int acc[200] = {0};
    for (int i = 0; i < a->n; i++)
        for (int j = 0; j < b->n; j++) acc[(a->n - 1 - i) + (b->n - 1 - j)] += a->d[i] * b->d[j];
    int n = a->n + b->n;
    for (int k = 0; k < n; k++) {
        acc[k + 1] += acc[k] / 10;
        acc[k] %= 10;
    }
    while (n > 1 && acc[n - 1] == 0) n--;
    digits r;
    r.n = n;
    for (int i = 0; i < n; i++) r.d[i] = (unsigned char)acc[n - 1 - i];
    return r;
}

/* Drops k digits HALF_UP; false when the result passes 128 bits. */
static bool round_digits(const digits *x, int k, unsigned __int128 *out)
{
    int keep = x->n - k;
    unsigned __int128 v = 0;
    for (int i = 0; i < keep; i++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, x->d[i], &v))
            return false;
    if (keep >= 0 && keep < x->n && x->d[keep] >= 5 && __builtin_add_overflow(v, 1, &v))
        return false;
    *out = v;
    return true;
}

static const char *fmt128(unsigned __int128 v)
{
    static char buf[4][48];
    static int w;
    char *b = buf[w++ & 3];
    int n = dec_format(b, (dec128)(v >> 127 ? 0 : v), 0);
    b[n] = 0;
    return b;
}

static void test_decimal_wide_reference(void **state)
{
    uint64_t s = 77;
    for (int it = 0; it < 3000; it++) {
        unsigned __int128 a = ((unsigned __int128)kf_rand(&s) << 64 | kf_rand(&s)) %
                              (unsigned __int128)dec_pow10[1 + kf_rand(&s) % 37];
        unsigned __int128 b = ((unsigned __int128)kf_rand(&s) << 64 | kf_rand(&s)) %
                              (unsigned __int128)dec_pow10[1 + kf_rand(&s) % 37];
        if (b == 0) b = 7;
        int down = (int)(kf_rand(&s) % 40);
        bool neg = kf_rand(&s) & 1;
        digits da = to_digits(a), db = to_digits(b), p = mul_digits(&da, &db);
        unsigned __int128 want = 0;
        bool want_ok = round_digits(&p, down, &want) && want < (unsigned __int128)1 << 127;
        dec128 got;
        bool ok = dec_mul_down(neg ? -(dec128)a : (dec128)a, (dec128)b, down, &got);
        if (ok != want_ok)
            fail_msg("it %d: a %s b %s down %d: ok %d want %d got %s want %s", it, fmt128(a),
                     fmt128(b), down, ok, want_ok, fmt128((unsigned __int128)got), fmt128(want));
        if (ok) assert_true(got == (neg ? -(dec128)want : (dec128)want));
        /* a * 10^up / b by long division over a's digits and up zeros */
        int up = (int)(kf_rand(&s) % 40);
        digits num = da;
        for (int k = 0; k < up; k++) num.d[num.n++] = 0;
        unsigned __int128 rem = 0, q = 0;
        bool q_ok = true;
        for (int i = 0; i < num.n; i++) {
            rem = rem * 10 + num.d[i];
            unsigned d = (unsigned)(rem / b);
            rem %= b;
            if (q > (((unsigned __int128)1 << 127) - 1 - d) / 10) q_ok = false;
            q = q * 10 + d;
        }
        if (2 * rem >= b) q++;
        ok = dec_div_up(neg ? -(dec128)a : (dec128)a, up, (dec128)b, &got);
        if (q_ok && q < (unsigned __int128)1 << 127) {
            assert_true(ok);
            assert_true(got == (neg ? -(dec128)q : (dec128)q));
        } else {
            assert_false(ok);
        }
    }
}

/* Spark's own examples: hash('Spark', array(123), 2) = -1321691492 and
 * xxhash64 of the same = 5602566077635097486; hash(1) = -559580957. */
static void test_hash(void **state)
{
    col_vec args[3];
    args[0] = kf_const_str(A, "Spark", 2);
    args[2] = kf_vec(A, &col_type_i32, 2);
    COL_DATA(&args[2], int32_t)[0] = 2;
    COL_DATA(&args[2], int32_t)[1] = 2;
    const col_type *t = col_type_array(A, &col_type_i32, false);
    col_vec_init(&args[1], A, t, 2);
    args[1].n = 2;
    col_vec_reserve_child(&args[1], A, 2);
    COL_DATA(&args[1].children[0], int32_t)[0] = 123;
    COL_DATA(&args[1].children[0], int32_t)[1] = 123;
    args[1].offsets[1] = 1;
    args[1].offsets[2] = 2;
    args[1].children[0].n = 2;
    kf_result r = kf_call(A, "hash", args, 3, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], -1321691492);
    assert_int_equal(COL_DATA(&r.out, int32_t)[1], -1321691492);
    r = kf_call(A, "xxhash64", args, 3, true);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 5602566077635097486LL);
    int32_t one = 1;
    col_vec o = kf_const(A, &col_type_i32, &one, 1);
    r = kf_call(A, "hash", &o, 1, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], -559580957);
    o = kf_const(A, &col_type_i32, NULL, 1);
    r = kf_call(A, "hash", &o, 1, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 42);
}

/* Rows per second of bigint a + b and a < b over 10M rows in batches of
 * 2048 (printed; asserted only to be positive). */
static void test_bench(void **state)
{
    uint32_t n = COL_VEC_SIZE;
    uint64_t s = 5;
    col_vec args[2] = {kf_vec(A, &col_type_i64, n), kf_vec(A, &col_type_i64, n)};
    for (uint32_t i = 0; i < n; i++) {
        COL_DATA(&args[0], int64_t)[i] = (int64_t)(kf_rand(&s) >> 2);
        COL_DATA(&args[1], int64_t)[i] = (int64_t)(kf_rand(&s) >> 2);
    }
    const char *ops[] = {"+", "<"};
    for (int o = 0; o < 2; o++) {
        fn_bind b;
        memset(&b, 0, sizeof b);
        b.arena = A;
        b.nargs = 2;
        b.ansi = true;
        b.args[0] = b.args[1] = &col_type_i64;
        const fn_def *d = fn_lookup(ops[o]);
        assert_int_equal(d->bind(&b), KILN_OK);
        col_vec out;
        col_vec_init(&out, A, b.result, n);
        col_vec_add_validity(&out, A, n);
        fn_ctx c = {.arena = A, .ansi = true, .tz = "UTC"};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        uint64_t rows = 0;
        while (rows < 10000000) {
            assert_int_equal(b.kernel(&c, b.state, &out, args, 2, NULL, n, n), KILN_OK);
            rows += n;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double sec = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("bench: bigint a %s b: %.0f M rows/s\n", ops[o], (double)rows / sec / 1e6);
        assert_true(sec > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bigint_add_sub_mul),
        cmocka_unit_test(test_constant_operand),
        cmocka_unit_test(test_result_types),
        cmocka_unit_test(test_decimal_values),
        cmocka_unit_test(test_decimal_overflow),
        cmocka_unit_test(test_div_mod_pmod),
        cmocka_unit_test(test_tinyint_overflow),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_datetime_differences),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_math),
        cmocka_unit_test(test_decimal_wide_reference),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_bench),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
