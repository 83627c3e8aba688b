/*
 * base/dtoa.c - the shortest decimal digits of a double or float that read
 * back as the same value, as Java's Double.toString / Float.toString need
 * them (at least two significant digits; the n-digit decimal nearest to
 * the value, for the smallest n that reads back). Used by the CSV/JSON
 * writers (datasource/value.c) and CAST(... AS STRING) in the SQL layer.
 *
 * The fast path does exact integer arithmetic in 128 bits: for n digits the
 * candidate is the value times 10^(n-1-E) rounded half-even (E its decimal
 * exponent), which reads back iff it lies in the value's rounding interval
 * (half an ulp each side; a quarter below a power of two; the bounds
 * only for an even mantissa, as strtod rounds ties to even).
 * It covers magnitudes about 1e-21 .. 1e37 (every fraction fits in 125
 * bits); other values take the reference path, which prints with
 * snprintf("%.*e") at growing precision until strtod reads it back. Both
 * give the same digits (tests/unit/test_dtoa.c compares them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

typedef unsigned __int128 u128;

/* Digits of the reference path: dig gets nd digits (no trailing zeros
 * beyond the first), *e10 the decimal exponent of the first. */
int dtoa_shortest_slow(double x, bool is_float, char *dig, int *e10)
{
    char tmp[40];
    int prec;
    for (prec = 2; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, x);
        if (is_float ? strtof(tmp, NULL) == (float)x : strtod(tmp, NULL) == x) break;
    }
    int nd = 0;
    const char *q = tmp;
    if (*q == '-') q++;
    for (; *q && *q != 'e'; q++)
        if (*q != '.') dig[nd++] = *q;
    *e10 = atoi(q + 1);
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    return nd;
}

const uint64_t pow10_u64[20] = {1ull,
                                10ull,
                                100ull,
                                1000ull,
                                10000ull,
                                100000ull,
                                1000000ull,
                                10000000ull,
                                100000000ull,
                                1000000000ull,
                                10000000000ull,
                                100000000000ull,
                                1000000000000ull,
                                10000000000000ull,
                                100000000000000ull,
                                1000000000000000ull,
                                10000000000000000ull,
                                100000000000000000ull,
                                1000000000000000000ull,
                                10000000000000000000ull};
const double pow10_f64[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                              1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                              1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static u128 pow10_u128(int k)
{
    return k < 20 ? (u128)pow10_u64[k] : (u128)pow10_u64[19] * pow10_u64[k - 19];
}

/* m * 2^e * 10^s as the fraction num / den (den = 2^sh * den10); false if
 * a part would not fit in 125 bits. */
typedef struct frac {
    u128 num, den, unit; /* unit: num / m, the scaled size of 1 in the mantissa */
    int sh;              /* den = den10 << sh */
    bool pow2;           /* den is a power of two */
} frac;

static bool make_frac(uint64_t m, int e, int s, frac *f)
{
    if (s > 38 || s < -38 || e > 120 || e < -124) return false;
    u128 n = 1, d = 1;
    if (s >= 0) n = pow10_u128(s);
    else d = pow10_u128(-s);
    if (e >= 0) {
        if (n >> (125 - e)) return false;
        n <<= e;
        f->sh = 0;
    } else {
        if (d >> (125 + e)) return false;
        f->sh = -e;
    }
    /* m < 2^54: the product must stay below 2^125. */
    if (n >> 71) return false;
    f->unit = n;
    f->num = n * m;
    f->pow2 = s >= 0;
    f->den = f->pow2 ? 0 : d << f->sh;
    if (!f->pow2 && (d << f->sh) >> f->sh != d) return false;
    if (!f->pow2 && (f->den >> 125)) return false;
    return true;
}

/* floor(num / den) and the remainder. */
static u128 frac_div(const frac *f, u128 *rem)
{
    if (f->pow2) {
        if (f->sh >= 128) {
            *rem = f->num;
            return 0;
        }
        *rem = f->num & (((u128)1 << f->sh) - 1);
        return f->num >> f->sh;
    }
    *rem = f->num % f->den;
    return f->num / f->den;
}

/* The n-digit candidate for exponent E (s = n - 1 - E): returns false if
 * it does not fit; else *d rounded half-even and whether it reads back. */
static bool candidate(uint64_t m, int e, bool lower_quarter, int n, int E, uint64_t *d, bool *ok)
{
    frac f;
    if (!make_frac(m, e, n - 1 - E, &f)) return false;
    u128 rem, q = frac_div(&f, &rem);
    /* Compare 2 * rem with den, all in units of 1/(4 den). */
    u128 den = f.pow2 ? (u128)1 << f.sh : f.den;
    if (f.pow2 && f.sh > 124) return false;
    u128 twice = rem * 2;
    if (twice > den || (twice == den && (q & 1))) q++;
    /* Distance of q from the value, times den: |q*den - num| vs the
     * half-ulp (unit / 2) above and unit / 2 or unit / 4 below. */
    u128 qd = q * den;
    bool above = qd >= f.num;
    u128 dist = above ? qd - f.num : f.num - qd;
    u128 lim = above || !lower_quarter ? dist * 2 : dist * 4;
    *ok = lim < f.unit || (lim == f.unit && (m & 1) == 0); /* ties read back as the even one */
    *d = (uint64_t)q;
    return true;
}

/* floor(log10(m * 2^e)) exactly, or INT32_MIN if out of range. */
static int dec_exp(uint64_t m, int e)
{
    double x = ldexp((double)m, e);
    int E = (int)floor(log10(x));
    for (int tries = 0; tries < 3; tries++) {
        frac f;
        if (!make_frac(m, e, -E, &f)) return INT32_MIN;
        u128 rem, q = frac_div(&f, &rem);
        if (q < 1) E--;
        else if (q >= 10) E++;
        else return E;
    }
    return INT32_MIN;
}

/* The mantissa m and exponent e (value m * 2^e) of IEEE bits b with mbits
 * mantissa and ebits exponent bits; lower_quarter: a power of two above the
 * smallest normal, whose lower neighbour is half as far as the upper. */
static void split(uint64_t b, int mbits, int ebits, uint64_t *m, int *e, bool *lower_quarter)
{
    int be = (int)(b >> mbits) & ((1 << ebits) - 1);
    int bias = (1 << (ebits - 1)) - 1 + mbits;
    *m = b & ((UINT64_C(1) << mbits) - 1);
    *lower_quarter = *m == 0 && be > 1;
    if (be == 0) {
        *e = 1 - bias;
    } else {
        *m |= UINT64_C(1) << mbits;
        *e = be - bias;
    }
}

/* The shortest digits (see the file comment): dig (>= 18 bytes) gets nd
 * digits without trailing zeros (at least one), *e10 the decimal exponent
 * of the first. x must be finite and non-zero; its sign is ignored; with
 * is_float, x is a float's value and float's rounding applies. Returns nd. */
int dtoa_shortest(double x, bool is_float, char *dig, int *e10)
{
    x = fabs(x);
    uint64_t m;
    int e;
    bool lower_quarter;
    if (is_float) {
        float f = (float)x;
        uint32_t b;
        memcpy(&b, &f, sizeof b);
        split(b, 23, 8, &m, &e, &lower_quarter);
    } else {
        uint64_t b;
        memcpy(&b, &x, sizeof b);
        split(b, 52, 11, &m, &e, &lower_quarter);
    }
    int E = dec_exp(m, e);
    if (E == INT32_MIN) return dtoa_shortest_slow(x, is_float, dig, e10);
    /* The smallest n in [2, 17] whose candidate reads back: reading back
     * is monotonic in n (the n+1-digit candidate is at least as close). */
    int lo = 2, hi = 17;
    uint64_t best = 0;
    int bestE = E;
    while (lo <= hi) {
        int n = (lo + hi) / 2;
        uint64_t d;
        bool ok;
        if (!candidate(m, e, lower_quarter, n, E, &d, &ok))
            return dtoa_shortest_slow(x, is_float, dig, e10);
        if (ok) {
            best = d;
            bestE = E;
            if (d == pow10_u64[n]) { /* rounded up to 10^n: one more digit of exponent */
                best = pow10_u64[n - 1];
                bestE = E + 1;
            }
            hi = n - 1;
        } else {
            lo = n + 1;
        }
    }
    if (best == 0) return dtoa_shortest_slow(x, is_float, dig, e10);
    char t[24];
    int k = 0;
    while (best) {
        t[k++] = (char)('0' + best % 10);
        best /= 10;
    }
    int nd = 0;
    while (k > 0) dig[nd++] = t[--k];
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    *e10 = bestE;
    return nd;
}
