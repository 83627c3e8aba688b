/*
 * tests/unit/test_format.c - kiln_value_format: the text of each type in
 * Spark's toString style, and shortest round-trip doubles.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "value_gen.h"

/* Returns the formatted text of v in a static buffer (NUL-terminated). */
static const char *fmt(const kiln_value *v)
{
    static char out[512];
    kiln_buf b;
    kiln_buf_init(&b);
    assert_int_equal(kiln_value_format(&b, v), KILN_OK);
    assert_true(b.len < sizeof out);
    if (b.len > 0) memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    kiln_buf_release(&b);
    return out;
}

static const char *fmt_d(double d)
{
    kiln_value v = kiln_double(d);
    return fmt(&v);
}

static void test_scalars(void **state)
{
    kiln_value v = kiln_null();
    assert_string_equal(fmt(&v), "null");
    v = kiln_bool(true);
    assert_string_equal(fmt(&v), "true");
    v = kiln_bool(false);
    assert_string_equal(fmt(&v), "false");
    v = kiln_int(0);
    assert_string_equal(fmt(&v), "0");
    v = kiln_int(-42);
    assert_string_equal(fmt(&v), "-42");
    v = kiln_int(INT64_MIN);
    assert_string_equal(fmt(&v), "-9223372036854775808");
    v = kiln_int(INT64_MAX);
    assert_string_equal(fmt(&v), "9223372036854775807");
    v = kiln_str_ref("h\xc3\xa9llo, world", 13);
    assert_string_equal(fmt(&v), "h\xc3\xa9llo, world");
    v = kiln_str_ref("", 0);
    assert_string_equal(fmt(&v), "");
    v = kiln_bytes_ref("\x00\xff\x10\xab", 4);
    assert_string_equal(fmt(&v), "00ff10ab");
}

static void test_doubles(void **state)
{
    assert_string_equal(fmt_d(3), "3.0");
    assert_string_equal(fmt_d(-3), "-3.0");
    assert_string_equal(fmt_d(0.0), "0.0");
    assert_string_equal(fmt_d(-0.0), "-0.0");
    assert_string_equal(fmt_d(0.1), "0.1");
    assert_string_equal(fmt_d(2.5), "2.5");
    assert_string_equal(fmt_d(1.0 / 3), "0.3333333333333333");
    assert_string_equal(fmt_d(0.1 + 0.2), "0.30000000000000004");
    assert_string_equal(fmt_d(123456789), "123456789.0");
    assert_string_equal(fmt_d(9007199254740992.0), "9007199254740992.0");
    assert_string_equal(fmt_d(1e20), "1e+20");
    assert_string_equal(fmt_d(1.5e-7), "1.5e-07");
    assert_string_equal(fmt_d(1.7976931348623157e308), "1.7976931348623157e+308");
    assert_string_equal(fmt_d(4.9406564584124654e-324), "5e-324");
    assert_string_equal(fmt_d(-2.2250738585072014e-308), "-2.2250738585072014e-308");
    assert_string_equal(fmt_d(1e-320), "1e-320");
    assert_string_equal(fmt_d(NAN), "NaN");
    assert_string_equal(fmt_d(-NAN), "NaN");
    assert_string_equal(fmt_d(INFINITY), "Infinity");
    assert_string_equal(fmt_d(-INFINITY), "-Infinity");
}

/* Every finite double reads back exactly, has a '.' or an 'e', and uses no
 * more than 17 significant digits. */
static void test_doubles_round_trip(void **state)
{
    rng r;
    rng_seed(&r, 31);
    for (int i = 0; i < 100000; i++) {
        double d = gen_double(&r);
        if (!isfinite(d)) continue;
        const char *s = fmt_d(d);
        char *end;
        double back = strtod(s, &end);
        assert_int_equal(*end, '\0');
        if (memcmp(&back, &d, sizeof d) != 0)
            fail_msg("%.17g formatted as %s reads back as %.17g", d, s, back);
        assert_true(strchr(s, '.') != NULL || strchr(s, 'e') != NULL);
        int digits = 0;
        const char *p = s + (*s == '-');
        while (*p == '0' || *p == '.') p++;
        for (; *p && *p != 'e'; p++) digits += *p >= '0' && *p <= '9';
        if (digits > 18) /* 17 significant, plus a ".0" */
            fail_msg("%s has %d significant digits", s, digits);
    }
}

static void test_containers(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value p = kiln_pair(a, kiln_cstr(a, "word"), kiln_int(3));
    assert_string_equal(fmt(&p), "(word,3)");

    kiln_value items[3] = {kiln_int(1), kiln_double(2), kiln_null()};
    kiln_value l = kiln_list_ref(items, 3);
    assert_string_equal(fmt(&l), "[1, 2.0, null]");
    kiln_value t3 = kiln_tuple_ref(items, 3);
    assert_string_equal(fmt(&t3), "(1,2.0,null)");

    double x[3] = {1, -0.5, 1e-10};
    kiln_value v = kiln_vec_ref(x, 3);
    assert_string_equal(fmt(&v), "[1.0,-0.5,1e-10]");

    kiln_value nested_items[2] = {kiln_cstr(a, "k"), l};
    kiln_value nested = kiln_tuple_ref(nested_items, 2);
    kiln_value outer = kiln_list_ref(&nested, 1);
    assert_string_equal(fmt(&outer), "[(k,[1, 2.0, null])]");

    kiln_value et = kiln_tuple_ref(NULL, 0), el = kiln_list_ref(NULL, 0);
    kiln_value ev = kiln_vec_ref(NULL, 0);
    assert_string_equal(fmt(&et), "()");
    assert_string_equal(fmt(&el), "[]");
    assert_string_equal(fmt(&ev), "[]");
    kiln_arena_free(a);
}

/* Appends to what is there; a bad tag leaves the buffer as it was. */
static void test_append_and_error(void **state)
{
    kiln_buf b;
    kiln_buf_init(&b);
    kiln_value one = kiln_int(1), bad = kiln_null();
    bad.type = 200;
    kiln_value items[2] = {one, bad};
    kiln_value t = kiln_tuple_ref(items, 2);
    assert_int_equal(kiln_value_format(&b, &one), KILN_OK);
    assert_int_equal(kiln_value_format(&b, &one), KILN_OK);
    assert_int_equal(b.len, 2);
    assert_memory_equal(b.data, "11", 2);
    assert_int_equal(kiln_value_format(&b, &t), KILN_EINVAL);
    assert_int_equal(b.len, 2);
    kiln_buf_release(&b);
}

/* In a locale with a decimal comma the output still uses '.'. */
static void test_locale_independent(void **state)
{
    const char *names[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "C.UTF-8"};
    bool comma = false;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (setlocale(LC_NUMERIC, names[i]) != NULL) {
            comma = strcmp(localeconv()->decimal_point, ".") != 0;
            break;
        }
    }
    assert_string_equal(fmt_d(2.5), "2.5");
    assert_string_equal(fmt_d(0.1), "0.1");
    assert_string_equal(fmt_d(1.0 / 3), "0.3333333333333333");
    setlocale(LC_NUMERIC, "C");
    if (!comma) print_message("no decimal-comma locale installed; checked in C only\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_doubles),
        cmocka_unit_test(test_doubles_round_trip),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_append_and_error),
        cmocka_unit_test(test_locale_independent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
