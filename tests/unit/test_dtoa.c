/*
 * tests/unit/test_dtoa.c - dtoa_shortest (the 128-bit fast path) against
 * dtoa_shortest_slow (snprintf at growing precision until strtod reads the
 * text back) on random doubles and floats: random bit patterns, short
 * decimals, averages, powers of two and their neighbours, subnormals and
 * the ends of the range; and a few fixed Java Double.toString digits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"

static rng gen;

static uint64_t next(void)
{
    return rng_next(&gen);
}

/* Both paths give the same digits and exponent for x. */
static void same(double x, bool is_float)
{
    if (!isfinite(x) || x == 0) return;
    if (is_float && (!isfinite((float)x) || (float)x == 0)) return;
    char a[24], b[24];
    int ea = 0, eb = 0;
    int na = dtoa_shortest(x, is_float, a, &ea);
    int nb = dtoa_shortest_slow(x, is_float, b, &eb);
    if (na != nb || ea != eb || memcmp(a, b, (size_t)na) != 0) {
        fprintf(stderr, "%s %.17g: fast %.*sE%d, slow %.*sE%d\n", is_float ? "float" : "double", x,
                na, a, ea, nb, b, eb);
        fail();
    }
}

static double from_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}

static void test_random_bits(void **state)
{
    (void)state;
    for (int i = 0; i < 100000; i++) {
        double d = from_bits(next());
        same(d, false);
        uint32_t fb = (uint32_t)next();
        float f;
        memcpy(&f, &fb, sizeof f);
        same(f, true);
    }
}

static void test_decimals(void **state)
{
    (void)state;
    static const double scale[] = {1, 10, 100, 1000, 1e4, 1e6, 1e9, 1e15, 1e17, 1e-3};
    for (int i = 0; i < 100000; i++) {
        double k = (double)(int64_t)(next() % 100000000) - 5e7;
        double d = k / scale[next() % 10];
        same(d, false);
        same((float)d, true);
        /* An average of a few short decimals: 16-17 digits. */
        double s = 0;
        int n = 1 + (int)(next() % 200);
        for (int j = 0; j < n; j++) s += (double)(next() % 5000) / 100;
        same(s / n, false);
        /* Near the plain/scientific switch and powers of ten. */
        double p = pow(10, (int)(next() % 60) - 30);
        same(p, false);
        same(nextafter(p, 0), false);
        same(nextafter(p, INFINITY), false);
    }
}

static void test_edges(void **state)
{
    (void)state;
    for (int e = -1074; e <= 1023; e++) {
        double p = ldexp(1, e);
        same(p, false);
        same(nextafter(p, 0), false);
        same(nextafter(p, INFINITY), false);
        same(3 * p, false);
    }
    for (int e = -149; e <= 127; e++) {
        float p = ldexpf(1, e);
        same(p, true);
        same(nextafterf(p, 0), true);
        same(nextafterf(p, INFINITY), true);
    }
    same(DBL_MAX, false);
    same(DBL_MIN, false);
    same(4.9e-324, false);
    same(FLT_MAX, true);
    same(1e-45f, true);
    /* Known Java outputs' digits. */
    char d[24];
    int e;
    int n = dtoa_shortest(0.1 + 0.2, false, d, &e);
    assert_int_equal(n, 17);
    assert_memory_equal(d, "30000000000000004", 17);
    assert_int_equal(e, -1);
    n = dtoa_shortest(100, false, d, &e);
    assert_int_equal(n, 1);
    assert_int_equal(e, 2);
    n = dtoa_shortest(2e-3, false, d, &e);
    assert_int_equal(n, 1);
    assert_int_equal(d[0], '2');
    assert_int_equal(e, -3);
    n = dtoa_shortest(9.999999999999999e22, false, d, &e);
    assert_int_equal(e, 23);
    n = dtoa_shortest(0.1f, true, d, &e);
    assert_int_equal(n, 1);
    assert_int_equal(e, -1);
}

int main(void)
{
    rng_seed(&gen, 0x9e3779b97f4a7c15ull);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_bits),
        cmocka_unit_test(test_decimals),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
