/*
 * tests/unit/test_rng.c - the portable generator: pinned output for fixed
 * seeds (so every machine samples the same records), uniform doubles, and
 * Poisson deviates with the right mean, variance and shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "base/base.h"

/* Expected streams computed with an independent Python transcription of
 * splitmix64 + xoshiro256** (whose splitmix64(0) gives the published
 * 0xe220a8397b1dcdaf). */
static void test_pinned_stream(void **state)
{
    static const uint64_t seed42[5] = {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL,
                                       0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL,
                                       0xfde6dc7fe2ec5e64ULL};
    static const uint64_t seed0[3] = {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
                                      0x1a5f849d4933e6e0ULL};
    rng r;
    rng_seed(&r, 42);
    for (int i = 0; i < 5; i++) assert_true(rng_next(&r) == seed42[i]);
    rng_seed(&r, 0);
    for (int i = 0; i < 3; i++) assert_true(rng_next(&r) == seed0[i]);
}

static void test_determinism(void **state)
{
    rng a, b, c;
    rng_seed(&a, 12345);
    rng_seed(&b, 12345);
    rng_seed(&c, 12346);
    int same_as_c = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = rng_next(&a);
        assert_true(x == rng_next(&b));
        same_as_c += x == rng_next(&c);
    }
    assert_int_equal(same_as_c, 0);
    for (int i = 0; i < 10000; i++) {
        double lambda = (double)(i % 100) * 0.7;
        assert_int_equal(rng_poisson(&a, lambda), rng_poisson(&b, lambda));
        assert_true(rng_double(&a) == rng_double(&b));
    }
}

static void test_uniform_double(void **state)
{
    rng r;
    rng_seed(&r, 7);
    enum { N = 1000000 };
    double sum = 0, lo = 1, hi = 0;
    int buckets[10] = {0};
    for (int i = 0; i < N; i++) {
        double u = rng_double(&r);
        assert_true(u >= 0 && u < 1);
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        buckets[(int)(u * 10)]++;
    }
    assert_true(fabs(sum / N - 0.5) < 0.002);
    assert_true(lo < 1e-5 && hi > 1 - 1e-5);
    for (int i = 0; i < 10; i++) assert_true(abs(buckets[i] - N / 10) < 1500);
}

/* Mean and variance of n draws lie within 5 standard errors of lambda. */
static void check_poisson(uint64_t seed, double lambda, int n)
{
    rng r;
    rng_seed(&r, seed);
    double sum = 0, sumsq = 0;
    for (int i = 0; i < n; i++) {
        int64_t k = rng_poisson(&r, lambda);
        assert_true(k >= 0);
        sum += (double)k;
        sumsq += (double)k * (double)k;
    }
    double mean = sum / n, var = sumsq / n - mean * mean;
    double se_mean = sqrt(lambda / n);
    /* Var of the sample variance of a Poisson is about (lambda + 2 lambda^2) / n. */
    double se_var = sqrt((lambda + 2 * lambda * lambda) / n);
    if (fabs(mean - lambda) > 5 * se_mean) fail_msg("lambda %g: mean %g", lambda, mean);
    if (fabs(var - lambda) > 5 * se_var) fail_msg("lambda %g: variance %g", lambda, var);
}

static void test_poisson_moments(void **state)
{
    check_poisson(1, 0.5, 200000);
    check_poisson(2, 5, 200000);
    check_poisson(3, 29.9, 100000); /* last Knuth */
    check_poisson(4, 30, 100000);   /* first PTRS */
    check_poisson(5, 50, 200000);
    check_poisson(6, 1000, 100000);
    check_poisson(7, 1e7, 20000);
}

/* The shape, not just the moments: a chi-square test of the histogram of
 * 200000 draws at lambda = 50 (PTRS) and lambda = 5 (Knuth). */
static void check_shape(double lambda, int lo, int hi)
{
    enum { N = 200000 };
    static int count[200];
    rng r;
    rng_seed(&r, 8);
    for (int k = 0; k < 200; k++) count[k] = 0;
    for (int i = 0; i < N; i++) {
        int64_t k = rng_poisson(&r, lambda);
        if (k < 200) count[k]++;
    }
    double chi2 = 0;
    for (int k = lo; k <= hi; k++) {
        double p = exp(-lambda + k * log(lambda) - lgamma(k + 1.0));
        double e = p * N;
        chi2 += (count[k] - e) * (count[k] - e) / e;
    }
    /* About hi - lo + 1 degrees of freedom; a wrong shape gives thousands. */
    if (chi2 > 2.5 * (hi - lo + 1))
        fail_msg("lambda %g: chi-square %g over %d bins", lambda, chi2, hi - lo + 1);
}

static void test_poisson_shape(void **state)
{
    check_shape(50, 30, 72);
    check_shape(5, 0, 13);
}

static void test_poisson_edges(void **state)
{
    rng r;
    rng_seed(&r, 9);
    assert_int_equal(rng_poisson(&r, 0), 0);
    assert_int_equal(rng_poisson(&r, -3), 0);
    assert_int_equal(rng_poisson(&r, NAN), 0);
    int64_t big = rng_poisson(&r, 1e16);
    assert_true(fabs((double)big - 1e16) < 1e9); /* sd is 1e8 */
    assert_true(rng_poisson(&r, INFINITY) > 0);
    int nonzero = 0;
    for (int i = 0; i < 1000; i++) nonzero += rng_poisson(&r, 1e-9) != 0;
    assert_true(nonzero <= 1);
}

static void test_now_seconds(void **state)
{
    double t0 = now_seconds();
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double t1 = now_seconds();
    assert_true(t1 - t0 >= 0.019);
    assert_true(t1 - t0 < 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_stream),  cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_uniform_double), cmocka_unit_test(test_poisson_moments),
        cmocka_unit_test(test_poisson_shape),  cmocka_unit_test(test_poisson_edges),
        cmocka_unit_test(test_now_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
