/*
 * tests/unit/test_sql_fn_cast.c - casts (src/sql/fn_cast.c, fn_time.c):
 * numbers to text as Java prints them (Double.toString checked against
 * strtod round trips on random doubles and a table of Spark's outputs),
 * text to numbers, decimals, booleans, dates and timestamps (ANSI errors
 * with Spark's messages, try_cast and legacy NULLs), narrowing overflow,
 * HALF_UP decimal rounding, time zones, fn_can_cast and fn_common_type.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "kt_fn.h"
#include "sql/decimal.h"
#include "sql/fn_int.h"

#include <float.h>

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

static const char *double_text(double d)
{
    col_vec v = kf_vec(A, &col_type_f64, 1);
    COL_DATA(&v, double)[0] = d;
    kf_result r = kf_cast(A, &v, &col_type_string, true, false);
    assert_int_equal(r.rc, KILN_OK);
    return kf_str(&r.out, 0);
}

static void test_double_to_string(void **state)
{
    static const struct {
        double d;
        const char *s;
    } cases[] = {
        {1e10, "1.0E10"},
        {0.1, "0.1"},
        {1e-5, "1.0E-5"},
        {1.0, "1.0"},
        {-2.5, "-2.5"},
        {1234567.0, "1234567.0"},
        {1e7, "1.0E7"},
        {0.001, "0.001"},
        {0.0001, "1.0E-4"},
        {123.456, "123.456"},
        {NAN, "NaN"},
        {INFINITY, "Infinity"},
        {-INFINITY, "-Infinity"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {1.0 / 3, "0.3333333333333333"},
        {DBL_MAX, "1.7976931348623157E308"},
        {4.9e-324, "4.9E-324"},
        {100.0, "100.0"},
        {12345678.9, "1.23456789E7"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        assert_string_equal(double_text(cases[k].d), cases[k].s);
    /* random doubles read back to themselves, in Java's shape */
    uint64_t s = 17;
    for (int k = 0; k < 3000; k++) {
        uint64_t bits = kf_rand(&s);
        double d;
        memcpy(&d, &bits, 8);
        if (isnan(d) || isinf(d)) continue;
        const char *t = double_text(d);
        assert_true(strtod(t, NULL) == d);
        assert_non_null(strchr(t, '.'));
    }
    col_vec f = kf_vec(A, &col_type_f32, 2);
    COL_DATA(&f, float)[0] = 0.1f;
    COL_DATA(&f, float)[1] = 3.4028235e38f;
    kf_result r = kf_cast(A, &f, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "0.1");
    assert_string_equal(kf_str(&r.out, 1), "3.4028235E38");
}

static kf_result from_text(const char *s, const col_type *to, bool ansi, bool try_)
{
    col_vec v = kf_vec(A, &col_type_string, 1);
    kf_set_str(A, &v, 0, s);
    return kf_cast(A, &v, to, ansi, try_);
}

static void test_string_to_numbers(void **state)
{
    kf_result r = from_text(" 42 ", &col_type_i32, true, false);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 42);
    r = from_text("abc", &col_type_i32, true, false);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_string_equal(r.err,
                        "[CAST_INVALID_INPUT] The value 'abc' of the type \"STRING\" cannot be "
                        "cast to \"INT\" because it is malformed. Correct the value as per the "
                        "syntax, or change its target type. Use `try_cast` to tolerate malformed "
                        "input and return NULL instead. If necessary set "
                        "\"kiln.sql.ansi.enabled\" to \"false\" to bypass this error. SQLSTATE: "
                        "22018");
    r = from_text("abc", &col_type_i32, true, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_false(col_valid(&r.out, 0));
    r = from_text("abc", &col_type_i32, false, false);
    assert_false(col_valid(&r.out, 0));
    r = from_text("2147483648", &col_type_i32, false, false);
    assert_false(col_valid(&r.out, 0));
    r = from_text("-2147483648", &col_type_i32, true, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], INT32_MIN);
    r = from_text("1.9", &col_type_i32, false, false); /* legacy drops the fraction */
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 1);
    r = from_text("1.9", &col_type_i32, true, false);
    assert_int_equal(r.rc, KILN_ESQL);
    r = from_text("9223372036854775807", &col_type_i64, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], INT64_MAX);
    r = from_text("9223372036854775808", &col_type_i64, true, true);
    assert_false(col_valid(&r.out, 0));
    r = from_text("1e3", &col_type_f64, true, false);
    assert_true(COL_DATA(&r.out, double)[0] == 1000.0);
    r = from_text("-Infinity", &col_type_f64, true, false);
    assert_true(COL_DATA(&r.out, double)[0] == -INFINITY);
    r = from_text("NaN", &col_type_f64, true, false);
    assert_true(isnan(COL_DATA(&r.out, double)[0]));
    r = from_text("0x10", &col_type_f64, true, true);
    assert_false(col_valid(&r.out, 0));
    r = from_text(" yes ", &col_type_bool, true, false);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 1);
    r = from_text("maybe", &col_type_bool, true, true);
    assert_false(col_valid(&r.out, 0));
}

static void test_decimals(void **state)
{
    const col_type *d32 = col_type_decimal(A, 3, 2), *d52 = col_type_decimal(A, 5, 2);
    kf_result r = from_text("1.235", d32, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 124);
    r = from_text("-1.235", d32, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], -124);
    r = from_text("1.5e1", d52, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 1500);
    r = from_text("10.00", d32, true, false);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[NUMERIC_VALUE_OUT_OF_RANGE.WITH_SUGGESTION]"));
    r = from_text("10.00", d32, false, false);
    assert_false(col_valid(&r.out, 0));
    /* decimal to text keeps the scale */
    col_vec v = kf_vec(A, d52, 3);
    int64_t xs[] = {150, -5, 0};
    memcpy(v.data, xs, sizeof xs);
    r = kf_cast(A, &v, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "1.50");
    assert_string_equal(kf_str(&r.out, 1), "-0.05");
    assert_string_equal(kf_str(&r.out, 2), "0.00");
    /* legacy casts print as Java's BigDecimal.toString */
    const col_type *d3818 = col_type_decimal(A, 38, 18), *d108 = col_type_decimal(A, 10, 8);
    col_vec z = kf_vec(A, d3818, 1);
    r = kf_cast(A, &z, &col_type_string, false, false);
    assert_string_equal(kf_str(&r.out, 0), "0E-18");
    r = kf_cast(A, &z, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "0.000000000000000000");
    col_vec sm = kf_vec(A, d108, 2);
    COL_DATA(&sm, int64_t)[0] = -12;
    COL_DATA(&sm, int64_t)[1] = 123;
    r = kf_cast(A, &sm, &col_type_string, false, false);
    assert_string_equal(kf_str(&r.out, 0), "-1.2E-7");
    assert_string_equal(kf_str(&r.out, 1), "0.00000123");
    /* decimal -> decimal rounds HALF_UP; -> int truncates */
    r = kf_cast(A, &v, col_type_decimal(A, 4, 1), true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 15);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], -1);
    r = kf_cast(A, &v, &col_type_i32, true, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 1);
    assert_int_equal(COL_DATA(&r.out, int32_t)[1], 0);
    /* double -> decimal through the shortest text: 0.1 is exactly 0.10 */
    col_vec d = kf_vec(A, &col_type_f64, 2);
    COL_DATA(&d, double)[0] = 0.1;
    COL_DATA(&d, double)[1] = 2.675;
    r = kf_cast(A, &d, d52, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 10);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], 268);
    /* wide decimals: parse, print */
    const col_type *d3810 = col_type_decimal(A, 38, 10);
    r = from_text("-1234567890123456789012345678.0123456789", d3810, true, false);
    assert_int_equal(r.rc, KILN_OK);
    r = kf_cast(A, &r.out, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "-1234567890123456789012345678.0123456789");
    /* random round trips decimal -> string -> decimal */
    uint64_t s = 5;
    const col_type *d189 = col_type_decimal(A, 18, 9);
    col_vec w = kf_vec(A, d189, 500);
    int64_t *wd = w.data;
    for (uint32_t i = 0; i < 500; i++) {
        int64_t x = (int64_t)(kf_rand(&s) % 999999999999999999ULL);
        wd[i] = i % 2 ? x : -x;
    }
    kf_result t = kf_cast(A, &w, &col_type_string, true, false);
    kf_result back = kf_cast(A, &t.out, d189, true, false);
    assert_int_equal(back.rc, KILN_OK);
    assert_memory_equal(back.out.data, w.data, 500 * 8);
}

static void test_narrowing(void **state)
{
    col_vec v = kf_vec(A, &col_type_i32, 3);
    int32_t xs[] = {127, 128, -129};
    memcpy(v.data, xs, sizeof xs);
    kf_result r = kf_cast(A, &v, &col_type_i8, true, false);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_string_equal(r.err,
                        "[CAST_OVERFLOW] The value 128 of the type \"INT\" cannot be cast to "
                        "\"TINYINT\" due to an overflow. Use `try_cast` to tolerate overflow and "
                        "return NULL instead. If necessary set \"kiln.sql.ansi.enabled\" to "
                        "\"false\" to bypass this error. SQLSTATE: 22003");
    r = kf_cast(A, &v, &col_type_i8, false, false);
    assert_int_equal(COL_DATA(&r.out, int8_t)[1], -128);
    assert_int_equal(COL_DATA(&r.out, int8_t)[2], 127);
    r = kf_cast(A, &v, &col_type_i8, true, true);
    assert_true(col_valid(&r.out, 0));
    assert_false(col_valid(&r.out, 1));
    col_vec d = kf_vec(A, &col_type_f64, 4);
    double ds[] = {-1.9, 3e10, NAN, 2147483647.5};
    memcpy(d.data, ds, sizeof ds);
    r = kf_cast(A, &d, &col_type_i32, false, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], -1);
    assert_int_equal(COL_DATA(&r.out, int32_t)[1], INT32_MAX);
    assert_int_equal(COL_DATA(&r.out, int32_t)[2], 0);
    assert_int_equal(COL_DATA(&r.out, int32_t)[3], INT32_MAX);
    r = kf_cast(A, &d, &col_type_i32, true, true);
    assert_true(col_valid(&r.out, 0));
    assert_false(col_valid(&r.out, 1));
    assert_false(col_valid(&r.out, 2));
    assert_true(col_valid(&r.out, 3));
    r = kf_cast(A, &d, &col_type_bool, true, false);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 1);
    /* int -> decimal overflow */
    r = kf_cast(A, &v, col_type_decimal(A, 3, 1), true, true);
    assert_true(col_valid(&r.out, 0) == false);
}

static void test_dates_timestamps(void **state)
{
    static const struct {
        const char *s;
        const char *want; /* NULL: invalid */
    } dates[] = {
        {"2024-02-29", "2024-02-29"},
        {"2023-02-29", NULL},
        {"2024", "2024-01-01"},
        {"2024-3", "2024-03-01"},
        {"2024-3-7", "2024-03-07"},
        {" 1998-12-01 ", "1998-12-01"},
        {"2020-01-01T10:00", "2020-01-01"},
        {"2020-01-01 junk", "2020-01-01"},
        {"20-01-01", NULL},
        {"2020-13-01", NULL},
        {"", NULL},
        {"1582-10-10", "1582-10-10"},
    };
    for (size_t k = 0; k < sizeof dates / sizeof dates[0]; k++) {
        kf_result r = from_text(dates[k].s, &col_type_date, false, false);
        assert_int_equal(r.rc, KILN_OK);
        if (!dates[k].want) {
            if (col_valid(&r.out, 0)) fail_msg("%s parsed", dates[k].s);
            continue;
        }
        assert_true(col_valid(&r.out, 0));
        kf_result t = kf_cast(A, &r.out, &col_type_string, true, false);
        assert_string_equal(kf_str(&t.out, 0), dates[k].want);
    }
    static const struct {
        const char *s;
        int64_t us;
    } ts[] = {
        {"1970-01-01 00:00:01", 1000000}, {"1970-01-01T00:00:01.5", 1500000},
        {"1970-01-01 01:00:00+01:00", 0}, {"1970-01-01 00:00:00Z", 0},
        {"1970-01-02", 86400000000LL},    {"1969-12-31 23:59:59.999999", -1},
        {"1970-01-01 00:00:00 UTC", 0},   {"1970-01-01 00:00:00-0130", 5400000000LL},
    };
    for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
        kf_result r = from_text(ts[k].s, &col_type_timestamp, true, false);
        if (r.rc != KILN_OK) fail_msg("%s: %s", ts[k].s, r.err);
        assert_int_equal(COL_DATA(&r.out, int64_t)[0], ts[k].us);
    }
    col_vec t = kf_vec(A, &col_type_timestamp, 3);
    int64_t us[] = {1500000, -1, 1700000000123000LL};
    memcpy(t.data, us, sizeof us);
    kf_result r = kf_cast(A, &t, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "1970-01-01 00:00:01.5");
    assert_string_equal(kf_str(&r.out, 1), "1969-12-31 23:59:59.999999");
    assert_string_equal(kf_str(&r.out, 2), "2023-11-14 22:13:20.123");
    r = kf_cast(A, &t, &col_type_date, true, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[1], -1);
    r = kf_cast(A, &t, &col_type_i64, true, false);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], -1); /* floor of seconds */
    r = kf_cast(A, &t, &col_type_f64, true, false);
    assert_true(COL_DATA(&r.out, double)[0] == 1.5);
    /* a session zone: fixed offsets always; a named zone when tzdata is installed */
    kf_tz = "+05:30";
    r = kf_cast(A, &t, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "1970-01-01 05:30:01.5");
    kf_tz = "America/New_York";
    if (fn_tz_valid(kf_tz)) {
        r = kf_cast(A, &t, &col_type_string, true, false);
        assert_string_equal(kf_str(&r.out, 2), "2023-11-14 17:13:20.123");
        col_vec summer = kf_vec(A, &col_type_timestamp, 1);
        COL_DATA(&summer, int64_t)[0] = 1688212800000000LL; /* 2023-07-01 12:00 UTC */
        r = kf_cast(A, &summer, &col_type_string, true, false);
        assert_string_equal(kf_str(&r.out, 0), "2023-07-01 08:00:00");
        r = from_text("2023-07-01 08:00:00", &col_type_timestamp, true, false);
        assert_int_equal(COL_DATA(&r.out, int64_t)[0], 1688212800000000LL);
        col_vec d = kf_vec(A, &col_type_date, 1);
        COL_DATA(&d, int32_t)[0] = 19539; /* 2023-07-01 */
        r = kf_cast(A, &d, &col_type_timestamp, true, false);
        assert_int_equal(COL_DATA(&r.out, int64_t)[0], 1688184000000000LL);
    }
    kf_tz = "UTC";
    r = from_text("not a time", &col_type_timestamp, true, false);
    assert_int_equal(r.rc, KILN_ESQL);
}

static void test_other_casts(void **state)
{
    col_vec b = kf_vec(A, &col_type_bool, 2);
    COL_DATA(&b, uint8_t)[0] = 1;
    kf_null(A, &b, 1);
    kf_result r = kf_cast(A, &b, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "true");
    assert_false(col_valid(&r.out, 1));
    r = kf_cast(A, &b, &col_type_i32, true, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 1);
    col_vec s = kf_vec(A, &col_type_string, 1);
    kf_set_str(A, &s, 0, "bytes\xff");
    r = kf_cast(A, &s, &col_type_binary, true, false);
    assert_int_equal(COL_DATA(&r.out, col_str)[0].len, 6);
    col_vec iv = kf_vec(A, &col_type_interval_dt, 1);
    COL_DATA(&iv, int64_t)[0] = 90LL * 86400000000LL;
    r = kf_cast(A, &iv, &col_type_string, true, false);
    assert_string_equal(kf_str(&r.out, 0), "INTERVAL '90 00:00:00' DAY TO SECOND");
    /* cast as a function with a type name */
    col_vec args[2] = {s, kf_const_str(A, "int", 1)};
    kf_set_str(A, &args[0], 0, "17");
    r = kf_call(A, "try_cast", args, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 17);
}

static const char *type_text(const col_type *t)
{
    static char buf[128];
    if (!t) return "none";
    kiln_buf b;
    kiln_buf_init(&b);
    col_type_format(&b, t);
    snprintf(buf, sizeof buf, "%.*s", (int)b.len, (char *)b.data);
    kiln_buf_release(&b);
    return buf;
}

static void test_common_and_can_cast(void **state)
{
    const col_type *d152 = col_type_decimal(A, 15, 2);
    assert_string_equal(type_text(fn_common_type(A, &col_type_i8, &col_type_i64, true)), "bigint");
    assert_string_equal(type_text(fn_common_type(A, &col_type_i32, d152, true)), "decimal(15,2)");
    assert_string_equal(type_text(fn_common_type(A, &col_type_i64, d152, true)), "decimal(22,2)");
    assert_string_equal(type_text(fn_common_type(A, &col_type_f32, d152, true)), "double");
    assert_string_equal(type_text(fn_common_type(A, &col_type_date, &col_type_timestamp, true)),
                        "timestamp");
    assert_string_equal(type_text(fn_common_type(A, &col_type_null, &col_type_string, true)),
                        "string");
    assert_string_equal(type_text(fn_common_type(A, &col_type_string, &col_type_i32, true)),
                        "bigint");
    assert_string_equal(type_text(fn_common_type(A, &col_type_string, d152, true)), "double");
    assert_string_equal(type_text(fn_common_type(A, &col_type_string, &col_type_date, true)),
                        "date");
    assert_string_equal(type_text(fn_common_type(A, &col_type_string, &col_type_interval_dt, true)),
                        "none");
    assert_string_equal(type_text(fn_common_type(A, &col_type_string, &col_type_i32, false)),
                        "string");
    const col_type *ai = col_type_array(A, &col_type_i32, false);
    const col_type *al = col_type_array(A, &col_type_i64, true);
    assert_string_equal(type_text(fn_common_type(A, ai, al, true)), "array<bigint>");
    assert_true(fn_can_cast(&col_type_string, &col_type_i32, true));
    assert_true(fn_can_cast(&col_type_date, &col_type_timestamp, true));
    assert_false(fn_can_cast(&col_type_date, &col_type_i32, true));
    assert_true(fn_can_cast(&col_type_date, &col_type_i32, false));
    assert_false(fn_can_cast(&col_type_binary, &col_type_i32, true));
    assert_true(fn_can_cast(ai, al, true));
    assert_false(fn_can_cast(ai, &col_type_i32, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_to_string),
        cmocka_unit_test(test_string_to_numbers),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_narrowing),
        cmocka_unit_test(test_dates_timestamps),
        cmocka_unit_test(test_other_casts),
        cmocka_unit_test(test_common_and_can_cast),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
