/*
 * tests/unit/value_gen.h - random kiln values for the base-layer unit tests.
 *
 * Everything is drawn from the caller's rng, so a fixed seed gives the same
 * values on every run. Header-only (static inline) so each test that needs it
 * just includes it.
 */
#ifndef KILN_TEST_VALUE_GEN_H
#define KILN_TEST_VALUE_GEN_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* A few interesting doubles: signed zeros, NaNs with different payloads,
 * infinities, extremes, subnormals. */
static inline double gen_double(rng *r)
{
    static const double special[] = {0.0,
                                     -0.0,
                                     1.0,
                                     -1.0,
                                     0.1,
                                     1e300,
                                     -1e-300,
                                     4.9406564584124654e-324,
                                     1.7976931348623157e308,
                                     INFINITY,
                                     -INFINITY};
    uint64_t bits;
    double d;
    switch (rng_next(r) % 6) {
    case 0:
        return special[rng_next(r) % (sizeof special / sizeof special[0])];
    case 1: /* a NaN with a random payload and sign */
        bits = 0x7ff0000000000001ULL | (rng_next(r) & 0x800fffffffffffffULL);
        memcpy(&d, &bits, sizeof d);
        return d;
    case 2: /* any bit pattern */
        bits = rng_next(r);
        memcpy(&d, &bits, sizeof d);
        return d;
    case 3:
        return (double)((int64_t)(rng_next(r) % 21) - 10);
    default:
        return (rng_double(r) - 0.5) * pow(10, (double)(rng_next(r) % 40) - 20);
    }
}

static inline int64_t gen_int(rng *r)
{
    switch (rng_next(r) % 4) {
    case 0:
        return (int64_t)(rng_next(r) % 7) - 3;
    case 1:
        return rng_next(r) % 2 ? INT64_MAX : INT64_MIN;
    case 2:
        return (int64_t)rng_next(r);
    default:
        return (int64_t)(rng_next(r) % 100000) - 50000;
    }
}

/* Random UTF-8 text (ASCII, 2-, 3- and 4-byte sequences) of up to max bytes
 * into buf; returns its length. Small alphabets make ties and shared
 * prefixes common, which is what order tests need. */
static inline size_t gen_text(rng *r, char *buf, size_t max)
{
    static const char *const pieces[] = {"a",
                                         "b",
                                         "z",
                                         " ",
                                         "\xc3\xa9" /* é */,
                                         "\xe6\x97\xa5" /* 日 */,
                                         "\xf0\x9f\x98\x80" /* 😀 */,
                                         "\x00",
                                         "~"};
    static const size_t piece_len[] = {1, 1, 1, 1, 2, 3, 4, 1, 1};
    size_t want = rng_next(r) % 4 == 0 ? 0 : rng_next(r) % (max + 1);
    size_t n = 0;
    for (;;) {
        size_t i = rng_next(r) % 9;
        if (n + piece_len[i] > want) return n;
        memcpy(buf + n, pieces[i], piece_len[i]);
        n += piece_len[i];
    }
}

/* A random value of nesting depth at most depth, built in a. Never NULL
 * parts unless len is 0. Aborts the test on allocation failure. */
static inline kiln_value gen_value(rng *r, kiln_arena *a, int depth)
{
    char text[64];
    kiln_value v = kiln_null();
    unsigned kinds = depth > 0 ? 9 : 6;
    unsigned t = (unsigned)(rng_next(r) % kinds);
    switch (t) {
    case 0:
        return rng_next(r) % 3 ? kiln_int(gen_int(r)) : kiln_null();
    case 1:
        return kiln_bool(rng_next(r) & 1);
    case 2:
        return kiln_int(gen_int(r));
    case 3:
        return kiln_double(gen_double(r));
    case 4:
        v = kiln_str_new(a, text, gen_text(r, text, sizeof text));
        break;
    case 5: {
        size_t n = rng_next(r) % 12;
        for (size_t i = 0; i < n; i++) text[i] = (char)(rng_next(r) % 3);
        v = kiln_bytes_new(a, text, n);
        break;
    }
    case 6:
    case 7: {
        size_t n = rng_next(r) % 5;
        kiln_value items[5];
        for (size_t i = 0; i < n; i++) items[i] = gen_value(r, a, depth - 1);
        v = t == 6 ? kiln_tuple_new(a, items, n) : kiln_list_new(a, items, n);
        break;
    }
    default: {
        size_t n = rng_next(r) % 6;
        double x[6];
        for (size_t i = 0; i < n; i++) x[i] = gen_double(r);
        v = kiln_vec_new(a, x, n);
        break;
    }
    }
    if (v.type == KILN_NULL) abort();
    return v;
}

#endif
