/*
 * sql/decimal.c - fixed-point decimal helpers (decimal.h): rescaling with
 * HALF_UP rounding, 256-bit products and quotients, Spark's precision
 * rules, parsing and formatting.
 */
#include "sql/decimal.h"

#include <string.h>

typedef unsigned __int128 u128;

const dec128 dec_pow10[39] = {
    1,
    10,
    100,
    1000,
    10000,
    100000,
    1000000,
    10000000,
    100000000,
    1000000000,
    10000000000LL,
    100000000000LL,
    1000000000000LL,
    10000000000000LL,
    100000000000000LL,
    1000000000000000LL,
    10000000000000000LL,
    100000000000000000LL,
    1000000000000000000LL,
    (dec128)1000000000000000000LL * 10,
    (dec128)1000000000000000000LL * 100,
    (dec128)1000000000000000000LL * 1000,
    (dec128)1000000000000000000LL * 10000,
    (dec128)1000000000000000000LL * 100000,
    (dec128)1000000000000000000LL * 1000000,
    (dec128)1000000000000000000LL * 10000000,
    (dec128)1000000000000000000LL * 100000000,
    (dec128)1000000000000000000LL * 1000000000,
    (dec128)1000000000000000000LL * 10000000000LL,
    (dec128)1000000000000000000LL * 100000000000LL,
    (dec128)1000000000000000000LL * 1000000000000LL,
    (dec128)1000000000000000000LL * 10000000000000LL,
    (dec128)1000000000000000000LL * 100000000000000LL,
    (dec128)1000000000000000000LL * 1000000000000000LL,
    (dec128)1000000000000000000LL * 10000000000000000LL,
    (dec128)1000000000000000000LL * 100000000000000000LL,
    (dec128)1000000000000000000LL * 1000000000000000000LL,
    (dec128)1000000000000000000LL * 1000000000000000000LL * 10,
    (dec128)1000000000000000000LL * 1000000000000000000LL * 100,
};

static u128 uabs(dec128 v)
{
    return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

/* A 256-bit unsigned magnitude, little-endian 64-bit limbs. */
typedef struct u256 {
    uint64_t w[4];
} u256;

static u256 u256_mul(u128 a, u128 b)
{
    uint64_t a0 = (uint64_t)a, a1 = (uint64_t)(a >> 64), b0 = (uint64_t)b, b1 = (uint64_t)(b >> 64);
    u128 p00 = (u128)a0 * b0, p01 = (u128)a0 * b1, p10 = (u128)a1 * b0, p11 = (u128)a1 * b1;
    u256 r;
    r.w[0] = (uint64_t)p00;
    u128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    r.w[1] = (uint64_t)mid;
    u128 hi = (mid >> 64) + (p01 >> 64) + (p10 >> 64) + (uint64_t)p11;
    r.w[2] = (uint64_t)hi;
    r.w[3] = (uint64_t)((hi >> 64) + (p11 >> 64));
    return r;
}

/* x *= m (m < 2^64); false on overflow past 256 bits. */
static bool u256_mul64(u256 *x, uint64_t m)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 t = (u128)x->w[i] * m + carry;
        x->w[i] = (uint64_t)t;
        carry = t >> 64;
    }
    return carry == 0;
}

/* x /= d (d < 2^64), returning the remainder. */
static uint64_t u256_div64(u256 *x, uint64_t d)
{
    u128 r = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = (r << 64) | x->w[i];
        x->w[i] = (uint64_t)(cur / d);
        r = cur % d;
    }
    return (uint64_t)r;
}

/* Whether x fits in a signed 128-bit magnitude (< 2^127). */
static bool u256_to_mag(const u256 *x, u128 *out)
{
    if (x->w[2] || x->w[3] || (x->w[1] >> 63)) return false;
    *out = ((u128)x->w[1] << 64) | x->w[0];
    return true;
}

/* x /= 10^k with HALF_UP on the magnitude. */
static void u256_div_pow10_round(u256 *x, int k)
{
    if (k <= 0) return;
    int rest = k - 1;
    while (rest > 0) {
        int step = rest > 19 ? 19 : rest;
        u256_div64(x, (uint64_t)dec_pow10[step]);
        rest -= step;
    }
    uint64_t digit = u256_div64(x, 10);
    if (digit >= 5) {
        for (int i = 0; i < 4 && ++x->w[i] == 0; i++)
            ;
    }
}

static bool finish(bool neg, u128 mag, dec128 *out)
{
    if (mag >> 127) return false;
    *out = neg ? -(dec128)mag : (dec128)mag;
    return true;
}

bool dec_rescale(dec128 v, int from, int to, dec128 *out)
{
    if (to >= from) {
        if (to - from > 38) return v == 0 ? (*out = 0, true) : false;
        return !__builtin_mul_overflow(v, dec_pow10[to - from], out);
    }
    int d = from - to;
    if (d > 38) {
        *out = 0;
        return true;
    }
    u128 m = uabs(v), p = (u128)dec_pow10[d];
    u128 q = m / p, r = m % p;
    if (r >= p - r) q++;
    return finish(v < 0, q, out);
}

bool dec_mul_down(dec128 a, dec128 b, int down, dec128 *out)
{
    bool neg = (a < 0) != (b < 0);
    u256 x = u256_mul(uabs(a), uabs(b));
    u256_div_pow10_round(&x, down);
    u128 mag;
    if (!u256_to_mag(&x, &mag)) return false;
    return finish(neg, mag, out);
}

/* q = x / d, r = x % d for a 256-bit x and a 128-bit d (restoring
 * division, bit by bit: the slow path of quotients beyond 128 bits). */
static void u256_divmod128(const u256 *x, u128 d, u256 *q, u128 *r)
{
    memset(q, 0, sizeof *q);
    u128 rem = 0;
    for (int bit = 255; bit >= 0; bit--) {
        bool top = rem >> 127;
        rem = (rem << 1) | ((x->w[bit / 64] >> (bit % 64)) & 1);
        if (top || rem >= d) {
            rem -= d;
            q->w[bit / 64] |= UINT64_C(1) << (bit % 64);
        }
    }
    *r = rem;
}

/* |a| * 10^up as 256 bits; false on overflow. */
static bool scaled_mag(dec128 a, int up, u256 *x)
{
    u128 m = uabs(a);
    x->w[0] = (uint64_t)m;
    x->w[1] = (uint64_t)(m >> 64);
    x->w[2] = x->w[3] = 0;
    while (up > 0) {
        int step = up > 19 ? 19 : up;
        if (!u256_mul64(x, (uint64_t)dec_pow10[step])) return false;
        up -= step;
    }
    return true;
}

bool dec_div_up(dec128 a, int up, dec128 b, dec128 *out)
{
    bool neg = (a < 0) != (b < 0);
    dec128 n;
    if (up <= 38 && !__builtin_mul_overflow(a, dec_pow10[up], &n)) {
        u128 nm = uabs(n), d = uabs(b);
        u128 q = nm / d, r = nm % d;
        if (r >= d - r) q++;
        return finish(neg, q, out);
    }
    u256 x, q;
    if (!scaled_mag(a, up, &x)) return false;
    u128 d = uabs(b), r;
    u256_divmod128(&x, d, &q, &r);
    if (r >= d - r) {
        for (int i = 0; i < 4 && ++q.w[i] == 0; i++)
            ;
    }
    u128 mag;
    if (!u256_to_mag(&q, &mag)) return false;
    return finish(neg, mag, out);
}

bool dec_mod_up(dec128 a, int up, dec128 b, dec128 *out)
{
    u256 x, q;
    if (!scaled_mag(a, up, &x)) return false;
    u128 r;
    u256_divmod128(&x, uabs(b), &q, &r);
    return finish(a < 0, r, out);
}

void dec_adjust(int *p, int *s)
{
    if (*p <= DEC_MAX_PRECISION) return;
    int int_digits = *p - *s;
    int min_scale = *s < DEC_MIN_ADJUSTED_SCALE ? *s : DEC_MIN_ADJUSTED_SCALE;
    int adj = DEC_MAX_PRECISION - int_digits;
    *s = adj > min_scale ? adj : min_scale;
    *p = DEC_MAX_PRECISION;
}

int dec_digits_of_int_width(int bytes)
{
    switch (bytes) {
    case 1:
        return 3;
    case 2:
        return 5;
    case 4:
        return 10;
    default:
        return 20;
    }
}

int dec_parse(const char *s, size_t n, int precision, int scale, dec128 *out)
{
    size_t i = 0;
    while (i < n && (unsigned char)s[i] <= ' ') i++;
    while (n > i && (unsigned char)s[n - 1] <= ' ') n--;
    bool neg = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
    /* Significant digits (leading zeros dropped) and where the point is. */
    char dig[80];
    int nd = 0, frac = 0, seen = 0;
    long extra = 0; /* integer digits beyond dig[] (only when > 80) */
    bool point = false;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch >= '0' && ch <= '9') {
            seen++;
            if (point) frac++;
            if (nd == 0 && ch == '0') continue;
            if (nd < (int)sizeof dig) dig[nd++] = ch;
            else if (!point) extra++;
            else frac--; /* a dropped fraction digit beyond 80 significant ones */
        } else if (ch == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!seen) return -1;
    long e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= n) return -1;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e < 100000) e = e * 10 + (s[i] - '0');
        }
        if (eneg) e = -e;
    }
    if (i != n) return -1;
    /* value = dig * 10^(e + extra - frac); unscaled = dig * 10^k */
    long k = e + extra - frac + scale;
    long keep = nd + (k < 0 ? k : 0); /* digits kept before rounding */
    if (nd == 0) {
        *out = 0;
        return 0;
    }
    if (keep + (k > 0 ? k : 0) > precision && keep > 0) return -2;
    u128 m = 0;
    for (long j = 0; j < keep; j++) m = m * 10 + (u128)(dig[j] - '0');
    if (k < 0 && keep >= 0 && keep < nd && dig[keep] >= '5') m++;
    if (k > 0) m *= (u128)dec_pow10[k];
    dec128 v = (dec128)m;
    if (!dec_fits(v, precision)) return -2;
    *out = neg ? -v : v;
    return 0;
}

int dec_format(char *buf, dec128 v, int scale)
{
    char tmp[48];
    int n = 0;
    u128 m = uabs(v);
    do {
        tmp[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (n <= scale) tmp[n++] = '0';
    int o = 0;
    if (v < 0) buf[o++] = '-';
    for (int j = n - 1; j >= 0; j--) {
        buf[o++] = tmp[j];
        if (j == scale && scale > 0) buf[o++] = '.';
    }
    return o;
}
