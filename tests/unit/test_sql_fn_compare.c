/*
 * tests/unit/test_sql_fn_compare.c - comparisons, logic, in, between
 * (src/sql/fn_compare.c), conditionals (fn_cond.c), collections
 * (fn_collection.c) and the registry (fn_registry.c): random vectors with
 * nulls (ints, doubles with NaN, strings with unicode and long values,
 * decimals across scales) against straightforward references, with and
 * without selections and constants; three-valued logic truth tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "kt_fn.h"

#define N 2500

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

static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">=", "<=>"};

/* Spark's order for doubles: NaN above everything, NaN = NaN. */
static int ref_cmp_d(double x, double y)
{
    if (isnan(x) || isnan(y)) return isnan(x) - isnan(y);
    return (x > y) - (x < y);
}

static bool ref_op(int op, int c)
{
    switch (op) {
    case 0:
    case 6:
        return c == 0;
    case 1:
        return c != 0;
    case 2:
        return c < 0;
    case 3:
        return c <= 0;
    case 4:
        return c > 0;
    default:
        return c >= 0;
    }
}

typedef int (*ref_cmp)(const col_vec *, uint32_t, const col_vec *, uint32_t);

static int cmp_i64(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    int64_t x = COL_DATA(a, int64_t)[col_row(a, i)], y = COL_DATA(b, int64_t)[col_row(b, j)];
    return (x > y) - (x < y);
}
static int cmp_f64(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    return ref_cmp_d(COL_DATA(a, double)[col_row(a, i)], COL_DATA(b, double)[col_row(b, j)]);
}
/* Byte order, then length: memcmp of the common prefix. */
static int cmp_str(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j)
{
    const col_str *x = &COL_DATA(a, col_str)[col_row(a, i)],
                  *y = &COL_DATA(b, col_str)[col_row(b, j)];
    uint32_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(col_str_data(x), col_str_data(y), m);
    if (c) return c > 0 ? 1 : -1;
    return (x->len > y->len) - (x->len < y->len);
}

static void check_ops(col_vec *args, ref_cmp ref, const uint32_t *sel, uint32_t count)
{
    uint32_t n = args[0].n;
    for (int op = 0; op < 7; op++) {
        kf_result r = kf_call_sel(A, ops[op], args, 2, true, sel, count);
        assert_int_equal(r.rc, KILN_OK);
        assert_int_equal(r.type->kind, COL_BOOL);
        for (uint32_t k = 0; k < (sel ? count : n); k++) {
            uint32_t i = sel ? sel[k] : k;
            bool av = col_valid(&args[0], i), bv = col_valid(&args[1], i);
            if (op == 6) {
                assert_true(col_valid(&r.out, i));
                bool want = (!av && !bv) || (av && bv && ref(&args[0], i, &args[1], i) == 0);
                assert_int_equal(COL_DATA(&r.out, uint8_t)[i], want);
                continue;
            }
            assert_int_equal(col_valid(&r.out, i), av && bv);
            if (av && bv)
                assert_int_equal(COL_DATA(&r.out, uint8_t)[i],
                                 ref_op(op, ref(&args[0], i, &args[1], i)));
        }
    }
}

static void test_compare_ints_doubles(void **state)
{
    uint64_t s = 3;
    col_vec a[2] = {kf_vec(A, &col_type_i64, N), kf_vec(A, &col_type_i64, N)};
    col_vec d[2] = {kf_vec(A, &col_type_f64, N), kf_vec(A, &col_type_f64, N)};
    static const double special[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e-300};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < N; i++) {
            uint64_t r = kf_rand(&s);
            COL_DATA(&a[k], int64_t)[i] = r % 3 ? (int64_t)(r % 20) - 10 : (int64_t)r;
            COL_DATA(&d[k], double)[i] = r % 5 == 0 ? special[(r >> 8) % 6] : (double)(r % 9) / 4;
            if ((r >> 20) % 6 == 0) {
                kf_null(A, &a[k], i);
                kf_null(A, &d[k], i);
            }
        }
    check_ops(a, cmp_i64, NULL, 0);
    check_ops(d, cmp_f64, NULL, 0);
    uint32_t sel[N], cnt = 0;
    for (uint32_t i = 0; i < N; i += 3) sel[cnt++] = i;
    check_ops(a, cmp_i64, sel, cnt);
    check_ops(d, cmp_f64, sel, cnt);
    /* constant right side */
    int64_t five = 5;
    col_vec c[2] = {a[0], kf_const(A, &col_type_i64, &five, N)};
    check_ops(c, cmp_i64, NULL, 0);
    /* int vs bigint vs double: common type */
    col_vec m[2] = {kf_vec(A, &col_type_i32, 3), kf_vec(A, &col_type_f64, 3)};
    int32_t xs[] = {1, 2, 3};
    double ys[] = {1.0, 1.5, NAN};
    memcpy(m[0].data, xs, sizeof xs);
    memcpy(m[1].data, ys, sizeof ys);
    kf_result r = kf_call(A, "<", m, 2, true);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 0);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[1], 0);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[2], 1);
}

static const char *const words[] = {"",
                                    "a",
                                    "ab",
                                    "abc",
                                    "abcdefghijkl",
                                    "abcdefghijklm",
                                    "abcdefghijklmn",
                                    "zürich",
                                    "zurich",
                                    "日本語のテキストです長い",
                                    "\xff\xfe",
                                    "A"};

static void test_compare_strings(void **state)
{
    uint64_t s = 11;
    col_vec a[2] = {kf_vec(A, &col_type_string, N), kf_vec(A, &col_type_string, N)};
    for (int k = 0; k < 2; k++)
        for (uint32_t i = 0; i < N; i++) {
            uint64_t r = kf_rand(&s);
            kf_set_str(A, &a[k], i, words[r % 12]);
            if ((r >> 20) % 7 == 0) kf_null(A, &a[k], i);
        }
    check_ops(a, cmp_str, NULL, 0);
    col_vec e[2] = {kf_vec(A, &col_type_string, 0), kf_vec(A, &col_type_string, 0)};
    kf_result r = kf_call(A, "=", e, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    /* string vs int: promoted to bigint (a bad string is an ANSI error) */
    col_vec m[2] = {kf_vec(A, &col_type_string, 2), kf_vec(A, &col_type_i32, 2)};
    kf_set_str(A, &m[0], 0, " 12 ");
    kf_set_str(A, &m[0], 1, "12");
    COL_DATA(&m[1], int32_t)[0] = 12;
    COL_DATA(&m[1], int32_t)[1] = 13;
    r = kf_call(A, "=", m, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 1);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[1], 0);
    kf_set_str(A, &m[0], 1, "x");
    r = kf_call(A, "=", m, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[CAST_INVALID_INPUT]"));
}

static void test_compare_decimals(void **state)
{
    const col_type *d52 = col_type_decimal(A, 5, 2), *d103 = col_type_decimal(A, 10, 3);
    col_vec a[2] = {kf_vec(A, d52, 3), kf_vec(A, d103, 3)};
    int64_t xs[] = {150, -1, 99999}, ys[] = {1500, -10, 999990};
    memcpy(a[0].data, xs, sizeof xs);
    memcpy(a[1].data, ys, sizeof ys);
    kf_result r = kf_call(A, "=", a, 2, true);
    for (int i = 0; i < 3; i++) assert_int_equal(COL_DATA(&r.out, uint8_t)[i], 1);
    col_vec w[2] = {kf_vec(A, col_type_decimal(A, 30, 0), 1), kf_vec(A, &col_type_i64, 1)};
    ((__int128 *)w[0].data)[0] = (__int128)INT64_MAX * 4;
    COL_DATA(&w[1], int64_t)[0] = INT64_MAX;
    r = kf_call(A, ">", w, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 1);
}

static void test_logic(void **state)
{
    /* rows: all 9 combinations of (true, false, null)^2 */
    col_vec a[2] = {kf_vec(A, &col_type_bool, 9), kf_vec(A, &col_type_bool, 9)};
    for (uint32_t i = 0; i < 9; i++) {
        int x = (int)(i / 3), y = (int)(i % 3); /* 0 true, 1 false, 2 null */
        COL_DATA(&a[0], uint8_t)[i] = x == 0;
        COL_DATA(&a[1], uint8_t)[i] = y == 0;
        if (x == 2) kf_null(A, &a[0], i);
        if (y == 2) kf_null(A, &a[1], i);
    }
    /* expected: 1 true, 0 false, 2 null */
    int and_want[] = {1, 0, 2, 0, 0, 0, 2, 0, 2};
    int or_want[] = {1, 1, 1, 1, 0, 2, 1, 2, 2};
    kf_result ra = kf_call(A, "and", a, 2, true), ro = kf_call(A, "OR", a, 2, true);
    for (uint32_t i = 0; i < 9; i++) {
        int ga = col_valid(&ra.out, i) ? COL_DATA(&ra.out, uint8_t)[i] : 2;
        int go = col_valid(&ro.out, i) ? COL_DATA(&ro.out, uint8_t)[i] : 2;
        assert_int_equal(ga, and_want[i]);
        assert_int_equal(go, or_want[i]);
    }
    kf_result rn = kf_call(A, "not", a, 1, true);
    assert_int_equal(COL_DATA(&rn.out, uint8_t)[3], 1);
    assert_false(col_valid(&rn.out, 6));
    kf_result ri = kf_call(A, "isnull", a, 1, true);
    assert_int_equal(COL_DATA(&ri.out, uint8_t)[6], 1);
    assert_int_equal(COL_DATA(&ri.out, uint8_t)[0], 0);
    assert_true(col_valid(&ri.out, 6));
}

static void test_in_between(void **state)
{
    col_vec x = kf_vec(A, &col_type_i32, 4);
    int32_t xs[] = {1, 2, 3, 0};
    memcpy(x.data, xs, sizeof xs);
    kf_null(A, &x, 3);
    int64_t one = 1;
    int32_t three = 3;
    col_vec args[3] = {x, kf_const(A, &col_type_i64, &one, 4), kf_const(A, &col_type_i32, NULL, 4)};
    kf_result r = kf_call(A, "in", args, 3, true); /* x in (1L, null) */
    assert_int_equal(r.rc, KILN_OK);
    assert_true(col_valid(&r.out, 0) && COL_DATA(&r.out, uint8_t)[0] == 1);
    assert_false(col_valid(&r.out, 1));
    assert_false(col_valid(&r.out, 3));
    args[2] = kf_const(A, &col_type_i32, &three, 4);
    r = kf_call(A, "in", args, 3, true); /* x in (1, 3) */
    assert_int_equal(COL_DATA(&r.out, uint8_t)[1], 0);
    assert_true(col_valid(&r.out, 1));
    assert_int_equal(COL_DATA(&r.out, uint8_t)[2], 1);
    /* between with a null bound: false when the other bound fails */
    int32_t two = 2;
    col_vec b[3] = {x, kf_const(A, &col_type_i32, NULL, 4), kf_const(A, &col_type_i32, &two, 4)};
    r = kf_call(A, "between", b, 3, true);
    assert_false(col_valid(&r.out, 0)); /* null and true */
    assert_true(col_valid(&r.out, 2));  /* null and false = false */
    assert_int_equal(COL_DATA(&r.out, uint8_t)[2], 0);
    col_vec c[3] = {x, kf_const(A, &col_type_i32, &two, 4), kf_const(A, &col_type_i32, &three, 4)};
    r = kf_call(A, "between", c, 3, true);
    int want[] = {0, 1, 1};
    for (int i = 0; i < 3; i++) assert_int_equal(COL_DATA(&r.out, uint8_t)[i], want[i]);
}

static void test_cond(void **state)
{
    col_vec a[3] = {kf_vec(A, &col_type_i32, 3), kf_vec(A, &col_type_i64, 3),
                    kf_vec(A, &col_type_i32, 3)};
    for (int i = 0; i < 3; i++) {
        COL_DATA(&a[0], int32_t)[i] = 10 + i;
        COL_DATA(&a[1], int64_t)[i] = 20 + i;
        COL_DATA(&a[2], int32_t)[i] = 30 + i;
    }
    kf_null(A, &a[0], 0);
    kf_null(A, &a[0], 2);
    kf_null(A, &a[1], 2);
    kf_null(A, &a[2], 2);
    kf_result r = kf_call(A, "coalesce", a, 3, true);
    assert_int_equal(r.type->kind, COL_I64);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 20);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], 11);
    assert_false(col_valid(&r.out, 2));
    r = kf_call(A, "nvl2", a, 3, true);
    assert_int_equal(COL_DATA(&r.out, int64_t)[0], 30);
    assert_int_equal(COL_DATA(&r.out, int64_t)[1], 21);
    /* if(c, 'yes', 'no') with strings */
    col_vec c[3] = {kf_vec(A, &col_type_bool, 3), kf_const_str(A, "yes", 3),
                    kf_const_str(A, "a longer string than twelve", 3)};
    COL_DATA(&c[0], uint8_t)[0] = 1;
    kf_null(A, &c[0], 2);
    r = kf_call(A, "if", c, 3, true);
    assert_string_equal(kf_str(&r.out, 0), "yes");
    assert_string_equal(kf_str(&r.out, 1), "a longer string than twelve");
    assert_string_equal(kf_str(&r.out, 2), "a longer string than twelve");
    /* nullif, isnan, nanvl */
    col_vec d[2] = {kf_vec(A, &col_type_f64, 2), kf_vec(A, &col_type_f64, 2)};
    COL_DATA(&d[0], double)[0] = NAN;
    COL_DATA(&d[0], double)[1] = 2;
    COL_DATA(&d[1], double)[0] = 7;
    COL_DATA(&d[1], double)[1] = 2;
    r = kf_call(A, "nullif", d, 2, true);
    assert_true(col_valid(&r.out, 0));
    assert_false(col_valid(&r.out, 1));
    r = kf_call(A, "nanvl", d, 2, true);
    assert_true(COL_DATA(&r.out, double)[0] == 7);
    r = kf_call(A, "isnan", d, 1, true);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[0], 1);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[1], 0);
}

/* An array<int> vector from rows of lengths (-1: null). */
static col_vec make_array(const int *lens, const int32_t *vals, int rows)
{
    const col_type *t = col_type_array(A, &col_type_i32, true);
    col_vec v;
    col_vec_init(&v, A, t, (uint32_t)rows);
    v.n = (uint32_t)rows;
    uint32_t total = 0;
    for (int i = 0; i < rows; i++) total += lens[i] > 0 ? (uint32_t)lens[i] : 0;
    col_vec_reserve_child(&v, A, total + 1);
    col_vec_add_validity(&v.children[0], A, total + 1);
    uint32_t at = 0;
    for (int i = 0; i < rows; i++) {
        if (lens[i] < 0) kf_null(A, &v, (uint32_t)i);
        for (int k = 0; k < lens[i]; k++, at++) {
            COL_DATA(&v.children[0], int32_t)[at] = vals[at];
            if (vals[at] == -999) col_set_null(&v.children[0], at);
        }
        v.offsets[i + 1] = at;
    }
    v.children[0].n = at;
    return v;
}

static void test_collections(void **state)
{
    int lens[] = {3, 0, -1, 2};
    int32_t vals[] = {3, -999, 1, 5, 5};
    col_vec arr = make_array(lens, vals, 4);
    kf_result r = kf_call(A, "size", &arr, 1, true);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 3);
    assert_int_equal(COL_DATA(&r.out, int32_t)[1], 0);
    assert_false(col_valid(&r.out, 2));
    r = kf_call(A, "size", &arr, 1, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[2], -1);
    int32_t five = 5, one = 1, four = 4, neg1 = -1;
    col_vec ac[2] = {arr, kf_const(A, &col_type_i32, &five, 4)};
    r = kf_call(A, "array_contains", ac, 2, true);
    assert_false(col_valid(&r.out, 0)); /* no 5, but a null element */
    assert_int_equal(COL_DATA(&r.out, uint8_t)[1], 0);
    assert_int_equal(COL_DATA(&r.out, uint8_t)[3], 1);
    col_vec ea[2] = {arr, kf_const(A, &col_type_i32, &one, 4)};
    r = kf_call(A, "element_at", ea, 2, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 3);
    assert_false(col_valid(&r.out, 1));
    ea[1] = kf_const(A, &col_type_i32, &neg1, 4);
    r = kf_call(A, "element_at", ea, 2, false);
    assert_int_equal(COL_DATA(&r.out, int32_t)[0], 1);
    assert_int_equal(COL_DATA(&r.out, int32_t)[3], 5);
    ea[1] = kf_const(A, &col_type_i32, &four, 4);
    r = kf_call(A, "element_at", ea, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_non_null(strstr(r.err, "[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index 4 is out of "
                                  "bounds. The array has 3 elements."));
    r = kf_call(A, "sort_array", &arr, 1, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_false(col_valid(&r.out.children[0], 0)); /* null first */
    assert_int_equal(COL_DATA(&r.out.children[0], int32_t)[1], 1);
    assert_int_equal(COL_DATA(&r.out.children[0], int32_t)[2], 3);
    r = kf_call(A, "array_distinct", &arr, 1, true);
    assert_int_equal(r.out.offsets[4] - r.out.offsets[3], 1);
    /* array(...) and struct(...) */
    col_vec parts[2] = {kf_vec(A, &col_type_i32, 2), kf_vec(A, &col_type_i64, 2)};
    COL_DATA(&parts[0], int32_t)[1] = 7;
    kf_null(A, &parts[1], 0);
    COL_DATA(&parts[1], int64_t)[1] = 8;
    r = kf_call(A, "array", parts, 2, true);
    assert_int_equal(r.rc, KILN_OK);
    assert_int_equal(r.out.offsets[2], 4);
    assert_false(col_valid(&r.out.children[0], 1));
    assert_int_equal(COL_DATA(&r.out.children[0], int64_t)[3], 8);
    r = kf_call(A, "struct", parts, 2, true);
    assert_int_equal(r.out.nchildren, 2);
    assert_string_equal(r.type->fields[1].name, "col2");
    assert_int_equal(COL_DATA(&r.out.children[0], int32_t)[1], 7);
}

static void test_registry(void **state)
{
    assert_non_null(fn_lookup("COALESCE"));
    assert_non_null(fn_lookup("<=>"));
    assert_null(fn_lookup("no_such_function"));
    const char *sug[4];
    int k = fn_suggest("coalese", sug, 4);
    assert_true(k >= 1);
    assert_string_equal(sug[0], "coalesce");
    k = fn_suggest("sqr", sug, 4);
    assert_true(k >= 1);
    /* bind errors name a class */
    col_vec a[2] = {kf_vec(A, &col_type_bool, 1), kf_vec(A, &col_type_i32, 1)};
    kf_result r = kf_call(A, "+", a, 2, true);
    assert_int_equal(r.rc, KILN_ESQL);
    assert_string_equal(r.cls, "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_ints_doubles), cmocka_unit_test(test_compare_strings),
        cmocka_unit_test(test_compare_decimals),     cmocka_unit_test(test_logic),
        cmocka_unit_test(test_in_between),           cmocka_unit_test(test_cond),
        cmocka_unit_test(test_collections),          cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
