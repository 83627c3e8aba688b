/*
 * ml/parse_number.c - the number parser of the text loaders (the hot loop
 * of loading CSV and LIBSVM) and their report of a bad line.
 *
 * Correct rounding without big-number arithmetic: most numbers in data
 * files have at most 19 significant digits and a small exponent. When the
 * digits, read as an integer m, are at most 2^53 and the power of ten is at
 * most 10^22, both m and the power are exact doubles, so one IEEE
 * multiplication or division rounds the exact value once, which is the
 * correctly rounded result (Clinger's fast path). A slightly larger power
 * still works when its excess can be moved into m exactly. Every other
 * number is handed to strtod (in the C locale) on a NUL-terminated copy.
 */
#define _GNU_SOURCE /* strtod_l, newlocale */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/parse.h"

/* The fast path relies on each operation rounding to double precision (not
 * to a wider format, as x87 arithmetic would). */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define FAST_PATH 1
#else
#define FAST_PATH 0
#endif

#define MAX_EXACT ((uint64_t)1 << 53) /* integers up to here are exact doubles */
#define MAX_DIGITS 19                 /* significant digits that fit a uint64 */
#define EXP_CAP 100000                /* far beyond any double: saturate here */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* strtod of p[0..n), which is known to be a whole decimal number. Returns
 * false only when out of memory for a very long number. */
static bool slow_path(const char *p, size_t n, double *out)
{
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    /* The user's program may have set a locale whose decimal point is not '.' */
    pthread_once(&c_locale_once, c_locale_init);
    *out = c_locale ? strtod_l(buf, NULL, c_locale) : strtod(buf, NULL);
    if (buf != small) free(buf);
    return true;
}

static inline bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10;
}

/* The length of the lower-case word w at s (ignoring case), or 0. */
static size_t word_at(const char *s, const char *end, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(end - s) < n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != w[i]) return 0; /* | 0x20 lowers ASCII letters only */
    return n;
}

const char *ml_parse_double(const char *p, const char *end, double *out)
{
    const char *s = p;
    bool neg = false;
    *out = 0;
    if (s < end && (*s == '+' || *s == '-')) neg = *s++ == '-';

    /* The value is m * 10^e10 while m holds every significant digit (at
     * most MAX_DIGITS of them; past that m wraps and is not used). The
     * loops are kept this plain because they are the hot path. */
    uint64_t m = 0;
    int64_t e10 = 0;
    const char *digits = s;
    while (s < end && *s == '0') s++;
    const char *sig = s;
    for (; s < end && is_digit(*s); s++) m = m * 10 + (uint64_t)(*s - '0');
    size_t nd = (size_t)(s - sig); /* significant digits so far */
    bool any = s > digits;
    if (s < end && *s == '.') {
        const char *f = s + 1, *frac = f;
        if (nd == 0) /* 0.000123: zeros before the first significant digit */
            while (f < end && *f == '0') f++;
        const char *fsig = f;
        for (; f < end && is_digit(*f); f++) m = m * 10 + (uint64_t)(*f - '0');
        nd += (size_t)(f - fsig);
        e10 = -(int64_t)(f - frac);
        /* "5." is a number, "." is not (strtod's rule). */
        if (any || f > frac) {
            s = f;
            any = true;
        }
    }
    if (!any) {
        size_t n;
        if ((n = word_at(s, end, "nan"))) {
            *out = neg ? -NAN : NAN;
            return s + n;
        }
        if ((n = word_at(s, end, "infinity")) || (n = word_at(s, end, "inf"))) {
            *out = neg ? -INFINITY : INFINITY;
            return s + n;
        }
        return p;
    }
    /* An exponent counts only with at least one digit: "1e" is "1" then "e". */
    if (s < end && (*s | 0x20) == 'e') {
        const char *x = s + 1;
        bool eneg = false;
        if (x < end && (*x == '+' || *x == '-')) eneg = *x++ == '-';
        if (x < end && is_digit(*x)) {
            int64_t ex = 0;
            for (; x < end && is_digit(*x); x++)
                if (ex < EXP_CAP) ex = ex * 10 + (*x - '0');
            e10 += eneg ? -ex : ex;
            s = x;
        }
    }

    double v;
    if (nd == 0) {
        v = 0;
    } else if (FAST_PATH && nd <= MAX_DIGITS && m <= MAX_EXACT && e10 >= -22 && e10 <= 22) {
        v = e10 < 0 ? (double)m / pow10_f64[-e10] : (double)m * pow10_f64[e10];
    } else if (FAST_PATH && nd <= MAX_DIGITS && e10 > 22 && e10 <= 22 + 15 &&
               m <= MAX_EXACT / pow10_u64[e10 - 22]) {
        /* 123e25 = 123000 * 1e22, both factors exact. */
        v = (double)(m * pow10_u64[e10 - 22]) * pow10_f64[22];
    } else {
        const char *from = p + (p < end && (*p == '+' || *p == '-'));
        if (!slow_path(from, (size_t)(s - from), &v)) return p;
    }
    *out = neg ? -v : v;
    return s;
}

int ml_line_fail(kiln_task *t, int64_t offset, int col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file = kiln_task_input_file(t);
    int64_t line = 0;
    if (!file) return kiln_task_fail(t, "input at byte %lld: %s", (long long)offset, msg);
    if (kiln_input_line_number(file, offset, &line) != KILN_OK)
        return kiln_task_fail(t, "%s: the line at byte %lld: %s", file, (long long)offset, msg);
    if (col > 0) return kiln_task_fail(t, "%s:%lld:%d: %s", file, (long long)line, col, msg);
    return kiln_task_fail(t, "%s:%lld: %s", file, (long long)line, msg);
}
