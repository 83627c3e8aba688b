/*
 * datasource/value.c - parsing and formatting of the values in text
 * formats, as Spark's CSV and JSON sources do it: integers as
 * Integer.parseInt, doubles as Double.parseDouble (with a fast path for
 * plain decimals), decimals rounded half-up, dates and timestamps in the
 * ISO forms of DateTimeUtils.stringToDate / stringToTimestamp; and on the
 * way out Java's Double.toString, decimals with their scale, ISO dates and
 * yyyy-MM-dd'T'HH:mm:ss.SSSXXX timestamps.
 *
 * Custom date patterns belong to the SQL layer's datetime formatter (above
 * this layer); here only the ISO defaults and the yyyy-MM-dd HH:mm:ss[.S..]
 * family are understood (ds_pattern_supported).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasource/ds_int.h"

/* Parses an optionally signed decimal int64 with no blanks (parseLong). */
bool ds_parse_i64(const char *p, size_t n, int64_t *out)
{
    if (n == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '-' || p[0] == '+') {
        neg = p[0] == '-';
        i = 1;
        if (n == 1) return false;
    }
    uint64_t v = 0;
    if (n - i <= 18) {
        /* At most 18 digits cannot overflow: no check per digit. */
        for (; i < n; i++) {
            unsigned d = (unsigned)(p[i] - '0');
            if (d > 9) return false;
            v = v * 10 + d;
        }
    }
    for (; i < n; i++) {
        unsigned d = (unsigned)(p[i] - '0');
        if (d > 9) return false;
        if (v > (UINT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1) return false;
        *out = (int64_t)(0 - v);
    } else {
        if (v > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v;
    }
    return true;
}

/* Number of digits of an integer literal, or -1. */
int ds_integer_digits(const char *p, size_t n)
{
    size_t i = (n > 0 && (p[0] == '-' || p[0] == '+')) ? 1 : 0;
    if (i == n) return -1;
    size_t start = i;
    for (; i < n; i++)
        if ((unsigned)(p[i] - '0') > 9) return -1;
    while (start < n - 1 && p[start] == '0') start++;
    return (int)(n - start);
}

/* Parses Java's Double.parseDouble syntax: blanks (<= ' ') around, sign,
 * NaN, Infinity, digits[.digits][e[+-]digits], suffix d/D/f/F. */
bool ds_parse_f64(const char *p, size_t n, double *out)
{
    if (n > 0 && ds_parse_f64_plain(p, n, out)) return true;
    return ds_parse_f64_general(p, n, out);
}

/* ds_parse_f64 without its fast path (the reference of the tests). */
bool ds_parse_f64_general(const char *p, size_t n, double *out)
{
    while (n > 0 && (unsigned char)p[0] <= ' ') p++, n--;
    while (n > 0 && (unsigned char)p[n - 1] <= ' ') n--;
    if (n == 0) return false;
    size_t i = 0;
    bool neg = false;
    if (p[0] == '-' || p[0] == '+') neg = p[i++] == '-';
    if (n - i == 3 && memcmp(p + i, "NaN", 3) == 0) {
        *out = NAN;
        return true;
    }
    if (n - i == 8 && memcmp(p + i, "Infinity", 8) == 0) {
        *out = neg ? -INFINITY : INFINITY;
        return true;
    }
    if (p[n - 1] == 'd' || p[n - 1] == 'D' || p[n - 1] == 'f' || p[n - 1] == 'F') n--;
    uint64_t m = 0;
    int digits = 0, frac = 0, exp = 0;
    bool any = false, exact = true;
    size_t s = i;
    for (; i < n && (unsigned)(p[i] - '0') <= 9; i++) {
        any = true;
        if (digits < 19) {
            m = m * 10 + (unsigned)(p[i] - '0');
            if (m) digits++;
        } else {
            exact = false;
        }
    }
    if (i < n && p[i] == '.') {
        i++;
        for (; i < n && (unsigned)(p[i] - '0') <= 9; i++) {
            any = true;
            if (digits < 19) {
                m = m * 10 + (unsigned)(p[i] - '0');
                if (m) digits++;
                frac++;
            } else {
                exact = false;
            }
        }
    }
    if (!any) return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (p[i] == '-' || p[i] == '+')) eneg = p[i++] == '-';
        if (i == n) return false;
        for (; i < n && (unsigned)(p[i] - '0') <= 9; i++)
            if (exp < 100000) exp = exp * 10 + (p[i] - '0');
        if (eneg) exp = -exp;
    }
    if (i != n) return false;
    int e10 = exp - frac;
    if (exact && m < (UINT64_C(1) << 53) && e10 >= -22 && e10 <= 22) {
        double d = (double)m;
        d = e10 < 0 ? d / pow10_f64[-e10] : d * pow10_f64[e10];
        *out = neg ? -d : d;
        return true;
    }
    /* Slow path: the syntax is checked above, strtod does the rounding. */
    char stack[128], *buf = n - s < sizeof stack ? stack : malloc(n - s + 1);
    if (!buf) return false;
    memcpy(buf, p + s, n - s);
    buf[n - s] = '\0';
    double d = strtod(buf, NULL);
    if (buf != stack) free(buf);
    *out = neg ? -d : d;
    return true;
}

/* "true" / "false" in any case. */
bool ds_parse_bool(const char *p, size_t n, bool *out)
{
    if (n == 4 && strncasecmp(p, "true", 4) == 0) *out = true;
    else if (n == 5 && strncasecmp(p, "false", 5) == 0) *out = false;
    else return false;
    return true;
}

static const __int128 I128_MAX = (__int128)(((unsigned __int128)1 << 127) - 1);

static __int128 pow10_i128(int k)
{
    __int128 r = 1;
    while (k-- > 0) r *= 10;
    return r;
}

/* The common decimal: [+-]digits[.digits] with at most 18 digits, in 64
 * bits. False for the general parser (same value when this succeeds). */
static inline bool decimal_plain(const char *p, size_t n, int precision, int scale, __int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (p[0] == '-' || p[0] == '+') neg = p[i++] == '-';
    if (n - i > 19 || scale > 18 || scale < 0) return false;
    size_t intd, nfrac;
    uint64_t m = ds_plain_digits(p, n, &i, &intd, &nfrac);
    int frac = (int)nfrac;
    if (i != n || intd + nfrac == 0 || intd + nfrac > 18) return false;
    if (frac > scale) {
        uint64_t q = pow10_u64[frac - scale], r = m % q;
        m /= q;
        if (r * 2 >= q) m++; /* half-up */
    } else if (frac < scale) {
        uint64_t q = pow10_u64[scale - frac];
        if (m > UINT64_MAX / q) return false;
        m *= q;
    }
    if (precision < 20 && m >= pow10_u64[precision]) return false;
    *out = neg ? -(__int128)m : (__int128)m;
    return true;
}

/* BigDecimal syntax, rounded half-up to scale, checked against precision. */
bool ds_parse_decimal(const char *p, size_t n, int precision, int scale, __int128 *out)
{
    if (n > 0 && decimal_plain(p, n, precision, scale, out)) return true;
    return ds_parse_decimal_general(p, n, precision, scale, out);
}

/* ds_parse_decimal without its fast path (the reference of the tests). */
bool ds_parse_decimal_general(const char *p, size_t n, int precision, int scale, __int128 *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (p[0] == '-' || p[0] == '+')) neg = p[i++] == '-';
    __int128 m = 0;
    int frac = 0, sig = 0, exp = 0;
    bool any = false, dropped_nonzero = false;
    int first_dropped = -1;
    bool point = false;
    for (; i < n; i++) {
        char c = p[i];
        if (c == '.' && !point) {
            point = true;
            continue;
        }
        if ((unsigned)(c - '0') > 9) break;
        any = true;
        if (sig < 38) {
            m = m * 10 + (c - '0');
            if (m) sig++;
            if (point) frac++;
        } else {
            /* Digits beyond 38 significant ones: only fraction digits can be rounded away. */
            if (!point) return false;
            if (first_dropped < 0) first_dropped = c - '0';
            else if (c != '0') dropped_nonzero = true;
        }
    }
    if (!any) return false;
    if (i < n && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (p[i] == '-' || p[i] == '+')) eneg = p[i++] == '-';
        if (i == n) return false;
        for (; i < n && (unsigned)(p[i] - '0') <= 9; i++)
            if (exp < 1000) exp = exp * 10 + (p[i] - '0');
        if (eneg) exp = -exp;
    }
    if (i != n) return false;
    (void)dropped_nonzero;
    int cur = frac - exp; /* value = m * 10^-cur */
    if (cur > scale) {
        int drop = cur - scale;
        if (drop > 38) {
            m = 0;
        } else {
            __int128 q = pow10_i128(drop);
            __int128 r = m % q;
            m /= q;
            if (r * 2 >= q) m++;
        }
    } else if (cur < scale) {
        int up = scale - cur;
        if (up > 38) return m == 0 ? (*out = 0, true) : false;
        __int128 q = pow10_i128(up);
        if (m > I128_MAX / q) return false;
        m *= q;
    } else if (first_dropped >= 5) {
        m++;
    }
    if (m >= pow10_i128(precision)) return false;
    *out = neg ? -m : m;
    return true;
}

/* ---- Dates ------------------------------------------------------------------------ */

/* Days from civil (Howard Hinnant's algorithm), proleptic Gregorian. */
int32_t ds_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

/* Civil date of days since 1970-01-01. */
void ds_civil_from_days(int32_t days, int64_t *y, int *m, int *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int64_t y, int m)
{
    static const int t[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : t[m - 1];
}

/* Reads 1..max digits at p[*i]; returns -1 if none. */
static int64_t digits(const char *p, size_t n, size_t *i, int min, int max)
{
    int64_t v = 0;
    int k = 0;
    while (*i < n && k < max && (unsigned)(p[*i] - '0') <= 9) {
        v = v * 10 + (p[*i] - '0');
        (*i)++;
        k++;
    }
    return k < min ? -1 : v;
}

/* Parses the date part at p[*i]: strict = yyyy-MM-dd exactly. */
static bool date_part(const char *p, size_t n, size_t *i, bool strict, int64_t *y, int *m, int *d)
{
    bool neg = false;
    if (!strict && *i < n && (p[*i] == '-' || p[*i] == '+')) neg = p[(*i)++] == '-';
    int64_t yy = digits(p, n, i, 4, strict ? 4 : 7);
    if (yy < 0) return false;
    int64_t mm = 1, dd = 1;
    if (*i < n && p[*i] == '-') {
        (*i)++;
        mm = digits(p, n, i, strict ? 2 : 1, 2);
        if (mm < 0) return false;
        if (*i < n && p[*i] == '-') {
            (*i)++;
            dd = digits(p, n, i, strict ? 2 : 1, 2);
            if (dd < 0) return false;
        } else if (strict) {
            return false;
        }
    } else if (strict) {
        return false;
    }
    if (mm < 1 || mm > 12 || dd < 1 || dd > mdays(neg ? -yy : yy, (int)mm)) return false;
    *y = neg ? -yy : yy;
    *m = (int)mm;
    *d = (int)dd;
    return true;
}

/* Two digits at p, or -1. */
static inline int two(const char *p)
{
    unsigned a = (unsigned)(p[0] - '0'), b = (unsigned)(p[1] - '0');
    return a > 9 || b > 9 ? -1 : (int)(a * 10 + b);
}

/* The days of yyyy-MM-dd at p (the '-'s checked by the caller), false if
 * a field is not digits or out of range. */
static inline bool ymd_plain(const char *p, int64_t *days)
{
    int y1 = two(p), y2 = two(p + 2), mo = two(p + 5), d = two(p + 8);
    if ((y1 | y2 | d) < 0 || mo < 1 || mo > 12 || d < 1) return false;
    int64_t y = y1 * 100 + y2;
    if (d > mdays(y, mo)) return false;
    *days = ds_days_from_civil(y, mo, d);
    return true;
}

/* stringToDate: trimmed, yyyy[-M[-d]] then nothing, or ' '/'T' and anything. */
bool ds_parse_date(const char *p, size_t n, bool strict, int32_t *days)
{
    int64_t d;
    if (n == 10 && p[4] == '-' && p[7] == '-' && ymd_plain(p, &d)) {
        *days = (int32_t)d;
        return true;
    }
    return ds_parse_date_general(p, n, strict, days);
}

/* ds_parse_date without its fast path (the reference of the tests). */
bool ds_parse_date_general(const char *p, size_t n, bool strict, int32_t *days)
{
    if (!strict) {
        while (n > 0 && (unsigned char)p[0] <= ' ') p++, n--;
        while (n > 0 && (unsigned char)p[n - 1] <= ' ') n--;
    }
    size_t i = 0;
    int64_t y;
    int m, d;
    if (!date_part(p, n, &i, strict, &y, &m, &d)) return false;
    if (i != n && (strict || (p[i] != ' ' && p[i] != 'T'))) return false;
    if (y > 5881580 || y < -5877641) return false;
    *days = ds_days_from_civil(y, m, d);
    return true;
}

/* A zone offset: Z, UTC, GMT, UT, with [+-]h[h][[:]mm[[:]ss]] after GMT/UTC or alone. */
static bool zone(const char *p, size_t n, int32_t *sec)
{
    if (n == 1 && (p[0] == 'Z' || p[0] == 'z')) return *sec = 0, true;
    size_t i = 0;
    if (n >= 3 && (strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)) i = 3;
    else if (n >= 2 && strncasecmp(p, "UT", 2) == 0) i = 2;
    if (i == n) return *sec = 0, true;
    if (p[i] != '+' && p[i] != '-') return false;
    bool neg = p[i++] == '-';
    int64_t h = digits(p, n, &i, 1, 2), mi = 0, s = 0;
    if (h < 0 || h > 18) return false;
    if (i < n) {
        if (p[i] == ':') i++;
        mi = digits(p, n, &i, 2, 2);
        if (mi < 0 || mi > 59) return false;
        if (i < n) {
            if (p[i] == ':') i++;
            s = digits(p, n, &i, 2, 2);
            if (s < 0 || s > 59) return false;
        }
    }
    if (i != n) return false;
    int32_t v = (int32_t)(h * 3600 + mi * 60 + s);
    *sec = neg ? -v : v;
    return true;
}

/* A session zone name as an offset. */
bool ds_parse_zone(const char *s, int32_t *sec)
{
    if (strcmp(s, "Etc/UTC") == 0 || strcmp(s, "Z") == 0) return *sec = 0, true;
    return zone(s, strlen(s), sec);
}

/* The common timestamp: yyyy-MM-dd[T ]HH:mm:ss[.f{1,9}] exactly, no zone.
 * False for the general parser (same value when this succeeds). The date's
 * days are kept in cache (may be NULL) for the next value of the same day. */
static inline bool timestamp_plain(const char *p, size_t n, bool ntz, int32_t tz_sec,
                                   ds_date_cache *cache, int64_t *us)
{
    if (n < 19 || n > 29 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != ' ') ||
        p[13] != ':' || p[16] != ':')
        return false;
    uint64_t w;
    uint16_t dd;
    memcpy(&w, p, 8);
    memcpy(&dd, p + 8, 2);
    int64_t days;
    if (cache && cache->valid && cache->ymd == w && cache->dd == dd) {
        days = cache->days;
    } else {
        if (!ymd_plain(p, &days)) return false;
        if (cache) *cache = (ds_date_cache){w, dd, true, days};
    }
    int hh = two(p + 11), mi = two(p + 14), ss = two(p + 17);
    if ((hh | mi | ss) < 0 || hh > 23 || mi > 59 || ss > 59) return false;
    int64_t frac = 0;
    if (n > 19) {
        if (p[19] != '.' || n == 20) return false;
        int k = 0;
        for (size_t i = 20; i < n; i++, k++) {
            unsigned dg = (unsigned)(p[i] - '0');
            if (dg > 9) return false;
            if (k < 6) frac = frac * 10 + dg;
        }
        static const int32_t scale[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
        frac *= scale[k < 6 ? k : 6];
    }
    int64_t sec = days * 86400 + hh * 3600 + mi * 60 + ss - (ntz ? 0 : tz_sec);
    *us = sec * 1000000 + frac;
    return true;
}

/* ds_parse_timestamp keeping the last date's days in cache (see ds_int.h). */
bool ds_parse_timestamp_cached(const char *p, size_t n, bool ntz, int32_t tz_sec,
                               ds_date_cache *cache, int64_t *us)
{
    if (timestamp_plain(p, n, ntz, tz_sec, cache, us)) return true;
    return ds_parse_timestamp_general(p, n, ntz, tz_sec, us);
}

/* stringToTimestamp: date [ T|' ' time ] [zone], time = H[H]:m[m][:s[s][.f{1,9}]]. */
bool ds_parse_timestamp(const char *p, size_t n, bool ntz, int32_t tz_sec, int64_t *us)
{
    if (timestamp_plain(p, n, ntz, tz_sec, NULL, us)) return true;
    return ds_parse_timestamp_general(p, n, ntz, tz_sec, us);
}

/* ds_parse_timestamp without its fast path (the reference of the tests). */
bool ds_parse_timestamp_general(const char *p, size_t n, bool ntz, int32_t tz_sec, int64_t *us)
{
    while (n > 0 && (unsigned char)p[0] <= ' ') p++, n--;
    while (n > 0 && (unsigned char)p[n - 1] <= ' ') n--;
    size_t i = 0;
    int64_t y;
    int m, d;
    if (!date_part(p, n, &i, false, &y, &m, &d)) return false;
    int64_t hh = 0, mi = 0, ss = 0, frac = 0;
    if (i < n && (p[i] == 'T' || p[i] == ' ')) {
        i++;
        hh = digits(p, n, &i, 1, 2);
        if (hh < 0 || hh > 23 || i >= n || p[i] != ':') return false;
        i++;
        mi = digits(p, n, &i, 1, 2);
        if (mi < 0 || mi > 59) return false;
        if (i < n && p[i] == ':') {
            i++;
            ss = digits(p, n, &i, 1, 2);
            if (ss < 0 || ss > 59) return false;
            if (i < n && p[i] == '.') {
                i++;
                int k = 0;
                while (i < n && (unsigned)(p[i] - '0') <= 9) {
                    if (k < 6) frac = frac * 10 + (p[i] - '0');
                    k++;
                    i++;
                }
                if (k == 0 || k > 9) return false;
                for (; k < 6; k++) frac *= 10;
            }
        }
    }
    int32_t off = tz_sec;
    if (i < n) {
        if (ntz) return false;
        if (!zone(p + i, n - i, &off)) return false;
    }
    if (y > 294000 || y < -290000) return false;
    int64_t days = ds_days_from_civil(y, m, d);
    int64_t sec = days * 86400 + hh * 3600 + mi * 60 + ss - (ntz ? 0 : off);
    *us = sec * 1000000 + frac;
    return true;
}

/* The patterns parsed and written here without the SQL layer's formatter. */
bool ds_pattern_supported(const char *pattern)
{
    static const char *const ok[] = {"yyyy-MM-dd",
                                     "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]",
                                     "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
                                     "yyyy-MM-dd'T'HH:mm:ss[.SSS]",
                                     "yyyy-MM-dd'T'HH:mm:ss",
                                     "yyyy-MM-dd HH:mm:ss",
                                     "yyyy-MM-dd HH:mm:ss.SSS",
                                     "yyyy-MM-dd HH:mm:ss.SSSSSS",
                                     "yyyy-MM-dd HH:mm:ssXXX",
                                     "yyyy-MM-dd'T'HH:mm:ssXXX",
                                     "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
                                     "yyyy-MM-dd'T'HH:mm:ss.SSSSSS"};
    if (pattern == NULL) return true;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(pattern, ok[i]) == 0) return true;
    return false;
}

/* ---- Formatting ----------------------------------------------------------------- */

/* Java's toString from the shortest round-trip digits: plain in
 * [1e-3, 1e7), else d.dddE[-]x; always a '.' and a digit after it. */
static int fmt_java(kiln_buf *b, double d, bool is_float)
{
    if (isnan(d)) return kiln_buf_append(b, "NaN", 3);
    if (isinf(d))
        return d > 0 ? kiln_buf_append(b, "Infinity", 8) : kiln_buf_append(b, "-Infinity", 9);
    if (d == 0) return signbit(d) ? kiln_buf_append(b, "-0.0", 4) : kiln_buf_append(b, "0.0", 3);
    char dig[24];
    int e10;
    int nd = dtoa_shortest(d, is_float, dig, &e10);
    bool neg = d < 0;
    char out[64];
    int o = 0;
    if (neg) out[o++] = '-';
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (e10 < 0) {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = -1; k > e10; k--) out[o++] = '0';
            for (int k = 0; k < nd; k++) out[o++] = dig[k];
        } else {
            for (int k = 0; k <= e10; k++) out[o++] = k < nd ? dig[k] : '0';
            out[o++] = '.';
            if (nd > e10 + 1)
                for (int k = e10 + 1; k < nd; k++) out[o++] = dig[k];
            else out[o++] = '0';
        }
    } else {
        out[o++] = dig[0];
        out[o++] = '.';
        if (nd > 1)
            for (int k = 1; k < nd; k++) out[o++] = dig[k];
        else out[o++] = '0';
        o += snprintf(out + o, sizeof out - (size_t)o, "E%d", e10);
    }
    return kiln_buf_append(b, out, (size_t)o);
}

/* Java's Double.toString. */
int ds_fmt_double(kiln_buf *b, double d)
{
    return fmt_java(b, d, false);
}

/* Java's Float.toString. */
int ds_fmt_float(kiln_buf *b, float f)
{
    return fmt_java(b, f, true);
}

/* A signed 128-bit integer in decimal. */
int ds_fmt_i128(kiln_buf *b, __int128 v)
{
    char t[48];
    int i = 48;
    unsigned __int128 u = v < 0 ? (unsigned __int128)0 - (unsigned __int128)v
                                : (unsigned __int128)v;
    do {
        t[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0) t[--i] = '-';
    return kiln_buf_append(b, t + i, (size_t)(48 - i));
}

/* Unscaled v with scale digits after the point (BigDecimal.toPlainString). */
int ds_fmt_decimal(kiln_buf *b, __int128 v, int scale)
{
    if (scale == 0) return ds_fmt_i128(b, v);
    char t[64];
    int i = 64;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    for (int k = 0; k < scale; k++) {
        t[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    }
    t[--i] = '.';
    do {
        t[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg) t[--i] = '-';
    return kiln_buf_append(b, t + i, (size_t)(64 - i));
}

static int put_year(char *o, int64_t y)
{
    if (y >= 0 && y <= 9999) return sprintf(o, "%04d", (int)y);
    return sprintf(o, "%+05lld", (long long)y);
}

/* yyyy-MM-dd. */
int ds_fmt_date(kiln_buf *b, int32_t days)
{
    int64_t y;
    int m, d;
    ds_civil_from_days(days, &y, &m, &d);
    char o[40];
    int k = put_year(o, y);
    k += sprintf(o + k, "-%02d-%02d", m, d);
    return kiln_buf_append(b, o, (size_t)k);
}

/* Spark's default yyyy-MM-dd'T'HH:mm:ss.SSSXXX (the fraction only when
 * non-zero, as [.SSS] prints it), or "yyyy-MM-dd HH:mm:ss" style
 * patterns: a ' ' instead of 'T', the fraction digits the pattern asks for,
 * XXX for the zone. */
int ds_fmt_timestamp(kiln_buf *b, int64_t us, bool ntz, int32_t tz_sec, const char *pattern)
{
    int64_t local = us + (ntz ? 0 : (int64_t)tz_sec * 1000000);
    int64_t sec = local >= 0 ? local / 1000000 : -((-local + 999999) / 1000000);
    int64_t frac = local - sec * 1000000;
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t sod = sec - days * 86400;
    int64_t y;
    int m, d;
    ds_civil_from_days((int32_t)days, &y, &m, &d);
    bool space = pattern && strstr(pattern, "dd HH") != NULL;
    int fdig = -1; /* -1: Spark's default [.SSS] for CSV: milliseconds when non-zero */
    bool zone_out = !ntz;
    if (pattern) {
        const char *dot = strstr(pattern, ".S");
        fdig = 0;
        if (dot)
            for (const char *q = dot + 1; *q == 'S'; q++) fdig++;
        zone_out = !ntz && strstr(pattern, "XXX") != NULL;
        if (strstr(pattern, "[.SSS]")) fdig = -1;
    }
    char o[80];
    int k = put_year(o, y);
    k += sprintf(o + k, "-%02d-%02d%c%02d:%02d:%02d", m, d, space ? ' ' : 'T', (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60));
    if (fdig == -1) {
        /* ".SSS" in Spark 3+'s default write format: always three digits. */
        k += sprintf(o + k, ".%03d", (int)(frac / 1000));
    } else if (fdig > 0) {
        char f[8];
        sprintf(f, "%06d", (int)frac);
        o[k++] = '.';
        for (int i = 0; i < fdig; i++) o[k++] = i < 6 ? f[i] : '0';
    }
    if (zone_out) {
        if (tz_sec == 0) {
            o[k++] = 'Z';
        } else {
            int32_t a = tz_sec < 0 ? -tz_sec : tz_sec;
            k += sprintf(o + k, "%c%02d:%02d", tz_sec < 0 ? '-' : '+', a / 3600, a / 60 % 60);
            if (a % 60) k += sprintf(o + k, ":%02d", a % 60);
        }
    }
    return kiln_buf_append(b, o, (size_t)k);
}
