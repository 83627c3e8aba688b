/*
 * sql/fn_time.c - the calendar and time-zone helpers of the function
 * families (fn_int.h): proleptic Gregorian days, zone offsets (UTC, fixed
 * offsets and the system's TZif files under /usr/share/zoneinfo, parsed
 * once per zone and cached), Spark's date and timestamp text forms, and
 * Java's Double.toString.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/base.h"
#include "sql/fn_int.h"

#define US_PER_DAY 86400000000LL

int64_t fn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void fn_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* ---- Zones ---------------------------------------------------------------- */

typedef struct tz_info {
    char name[64];
    int64_t *when; /* transition instants (seconds, UTC) */
    int32_t *off;  /* offset in force from when[k] */
    int n;
    int32_t before; /* offset before the first transition */
    bool ok;
} tz_info;

#define TZ_CACHE 32
static tz_info tz_cache[TZ_CACHE];
static int tz_cached;
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* A fixed offset: "+hh", "+hh:mm", "+hhmm", "+hh:mm:ss", after an optional
 * "UTC"/"GMT"/"UT" prefix; "Z", "UTC", "GMT" alone are 0. */
static bool fixed_offset(const char *s, size_t n, int32_t *off)
{
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *off = 0;
        return true;
    }
    static const char *const pre[] = {"UTC", "GMT", "UT", "Etc/UTC", "Etc/GMT"};
    for (size_t k = 0; k < sizeof pre / sizeof pre[0]; k++) {
        size_t l = strlen(pre[k]);
        if (n >= l && strncasecmp(s, pre[k], l) == 0 && (n == l || s[l] == '+' || s[l] == '-')) {
            if (n == l) {
                *off = 0;
                return true;
            }
            if (k == 4) return false; /* Etc/GMT+h has the opposite sign: use its TZif file */
            s += l;
            n -= l;
            break;
        }
    }
    if (n < 2 || (s[0] != '+' && s[0] != '-')) return false;
    int sign = s[0] == '-' ? -1 : 1;
    int parts[3] = {0, 0, 0}, np = 0, digits = 0;
    for (size_t i = 1; i < n; i++) {
        if (isdigit((unsigned char)s[i])) {
            if (np > 2) return false;
            parts[np] = parts[np] * 10 + (s[i] - '0');
            if (++digits == 2 && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
                np++; /* "+0130" */
                digits = 0;
            }
        } else if (s[i] == ':' && digits > 0) {
            np++;
            digits = 0;
        } else {
            return false;
        }
    }
    if (parts[0] > 18 || parts[1] > 59 || parts[2] > 59) return false;
    *off = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    return true;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool load_tzif(tz_info *z, const char *name)
{
    if (strstr(name, "..") || name[0] == '/') return false;
    char path[160];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    unsigned char *buf = malloc(1 << 20);
    size_t len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    bool ok = false;
    if (len < 44 || memcmp(buf, "TZif", 4) != 0) goto out;
    /* Skip the version-1 block to the 64-bit one (version >= 2). */
    const unsigned char *h = buf;
    uint32_t cnt[6];
    for (int k = 0; k < 6; k++) cnt[k] = be32(h + 20 + 4 * k);
    int tsize = 4;
    size_t pos = 44;
    if (buf[4] >= '2') {
        pos += cnt[3] * 4 + cnt[3] + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
        if (pos + 44 > len) goto out;
        h = buf + pos;
        for (int k = 0; k < 6; k++) cnt[k] = be32(h + 20 + 4 * k);
        pos += 44;
        tsize = 8;
    }
    uint32_t timecnt = cnt[3], typecnt = cnt[4];
    if (typecnt == 0 || pos + timecnt * (tsize + 1) + typecnt * 6 > len) goto out;
    const unsigned char *times = buf + pos, *idx = times + timecnt * tsize, *types = idx + timecnt;
    z->when = malloc(sizeof *z->when * (timecnt + 1));
    z->off = malloc(sizeof *z->off * (timecnt + 1));
    if (!z->when || !z->off) goto out;
    for (uint32_t k = 0; k < timecnt; k++) {
        int64_t t = tsize == 8
                        ? (int64_t)((uint64_t)be32(times + 8 * k) << 32 | be32(times + 8 * k + 4))
                        : (int32_t)be32(times + 4 * k);
        unsigned ti = idx[k] < typecnt ? idx[k] : 0;
        z->when[k] = t;
        z->off[k] = (int32_t)be32(types + 6 * ti);
    }
    z->n = (int)timecnt;
    /* Before the first transition: the first non-DST type. */
    z->before = (int32_t)be32(types);
    for (uint32_t k = 0; k < typecnt; k++)
        if (!types[6 * k + 4]) {
            z->before = (int32_t)be32(types + 6 * k);
            break;
        }
    ok = true;
out:
    free(buf);
    return ok;
}

static const tz_info *tz_get(const char *name)
{
    pthread_mutex_lock(&tz_lock);
    const tz_info *r = NULL;
    for (int k = 0; k < tz_cached; k++)
        if (strcmp(tz_cache[k].name, name) == 0) {
            r = &tz_cache[k];
            break;
        }
    if (!r && tz_cached < TZ_CACHE && strlen(name) < sizeof tz_cache[0].name) {
        tz_info *z = &tz_cache[tz_cached];
        memset(z, 0, sizeof *z);
        strcpy(z->name, name);
        z->ok = load_tzif(z, name);
        tz_cached++;
        r = z;
    }
    pthread_mutex_unlock(&tz_lock);
    return r && r->ok ? r : NULL;
}

int32_t fn_tz_offset(const char *tz, int64_t us, bool *ok)
{
    *ok = true;
    if (!tz || !tz[0] || strcmp(tz, "UTC") == 0) return 0;
    int32_t off;
    if (fixed_offset(tz, strlen(tz), &off)) return off;
    const tz_info *z = tz_get(tz);
    if (!z) {
        *ok = false;
        return 0;
    }
    int64_t s = floor_div(us, 1000000);
    if (z->n == 0 || s < z->when[0]) return z->before;
    int lo = 0, hi = z->n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if (z->when[mid] <= s) lo = mid;
        else hi = mid - 1;
    }
    return z->off[lo];
}

bool fn_tz_valid(const char *tz)
{
    bool ok;
    fn_tz_offset(tz, 0, &ok);
    return ok;
}

int64_t fn_tz_local_to_utc(const char *tz, int64_t local_us)
{
    bool ok;
    int64_t o1 = fn_tz_offset(tz, local_us, &ok) * 1000000LL;
    int64_t u = local_us - o1;
    int64_t o2 = fn_tz_offset(tz, u, &ok) * 1000000LL;
    if (o2 == o1) return u;
    int64_t u2 = local_us - o2;
    /* A gap: the later offset; an overlap: the earlier instant. */
    return fn_tz_offset(tz, u2, &ok) * 1000000LL == o2 ? (u < u2 ? u : u2) : u;
}

/* ---- Text forms ------------------------------------------------------------- */

static int put_year(char *buf, int64_t y)
{
    if (y >= 0 && y <= 9999) return sprintf(buf, "%04d", (int)y);
    if (y > 9999) return sprintf(buf, "+%lld", (long long)y);
    return sprintf(buf, "-%04lld", (long long)-y);
}

int fn_format_date(char *buf, int64_t days)
{
    int64_t y;
    unsigned m, d;
    fn_civil_from_days(days, &y, &m, &d);
    int o = put_year(buf, y);
    return o + sprintf(buf + o, "-%02u-%02u", m, d);
}

int fn_format_timestamp(char *buf, int64_t local_us)
{
    int64_t day = floor_div(local_us, US_PER_DAY);
    int64_t tod = local_us - day * US_PER_DAY;
    int o = fn_format_date(buf, day);
    int64_t s = tod / 1000000, frac = tod % 1000000;
    o += sprintf(buf + o, " %02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (frac) {
        o += sprintf(buf + o, ".%06d", (int)frac);
        while (buf[o - 1] == '0') o--;
    }
    buf[o] = 0;
    return o;
}

/* Java's decimal form of digits (significant, no dot) times 10^(e10). */
static int java_form(char *buf, bool neg, const char *digits, int nd, int exp10)
{
    /* value = 0.d1d2... * 10^(exp10+1) i.e. d1.d2... * 10^exp10 */
    int o = 0;
    if (neg) buf[o++] = '-';
    if (exp10 >= -3 && exp10 < 7) {
        if (exp10 < 0) {
            buf[o++] = '0';
            buf[o++] = '.';
            for (int k = -1; k > exp10; k--) buf[o++] = '0';
            memcpy(buf + o, digits, (size_t)nd);
            o += nd;
        } else {
            for (int k = 0; k <= exp10; k++) buf[o++] = k < nd ? digits[k] : '0';
            buf[o++] = '.';
            if (nd > exp10 + 1) {
                memcpy(buf + o, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
                o += nd - exp10 - 1;
            } else {
                buf[o++] = '0';
            }
        }
    } else {
        buf[o++] = digits[0];
        buf[o++] = '.';
        if (nd > 1) {
            memcpy(buf + o, digits + 1, (size_t)(nd - 1));
            o += nd - 1;
        } else {
            buf[o++] = '0';
        }
        o += sprintf(buf + o, "E%d", exp10);
    }
    buf[o] = 0;
    return o;
}

int fn_format_double(char *buf, double d)
{
    if (isnan(d)) return sprintf(buf, "NaN");
    if (isinf(d)) return sprintf(buf, d > 0 ? "Infinity" : "-Infinity");
    if (d == 0) return sprintf(buf, signbit(d) ? "-0.0" : "0.0");
    char digits[24];
    int e;
    int nd = dtoa_shortest(d, false, digits, &e);
    return java_form(buf, d < 0, digits, nd, e);
}

int fn_format_float(char *buf, float f)
{
    if (isnan(f)) return sprintf(buf, "NaN");
    if (isinf(f)) return sprintf(buf, f > 0 ? "Infinity" : "-Infinity");
    if (f == 0) return sprintf(buf, signbit(f) ? "-0.0" : "0.0");
    char digits[24];
    int e;
    int nd = dtoa_shortest((double)f, true, digits, &e);
    return java_form(buf, f < 0, digits, nd, e);
}

/* ---- Parsing ----------------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
    while (*n && (unsigned char)(*s)[0] <= ' ') {
        (*s)++;
        (*n)--;
    }
    while (*n && (unsigned char)(*s)[*n - 1] <= ' ') (*n)--;
}

/* Reads 1..max digits; returns how many. */
static int digits(const char *s, size_t n, size_t *i, int max, int64_t *v)
{
    int k = 0;
    *v = 0;
    while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
        *v = *v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k;
}

/* The date part "[+-]yyyy[-m[m][-d[d]]]": *i after it. */
static bool date_part(const char *s, size_t n, size_t *i, int64_t *days)
{
    int sign = 1;
    if (*i < n && (s[*i] == '-' || s[*i] == '+')) sign = s[(*i)++] == '-' ? -1 : 1;
    int64_t y, m = 1, d = 1;
    int k = digits(s, n, i, 7, &y);
    if (k < 4) return false;
    if (*i < n && s[*i] == '-') {
        (*i)++;
        if (digits(s, n, i, 2, &m) < 1) return false;
        if (*i < n && s[*i] == '-') {
            (*i)++;
            if (digits(s, n, i, 2, &d) < 1) return false;
        }
    }
    y *= sign;
    if (m < 1 || m > 12 || d < 1) return false;
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int dim = dm[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    if (d > dim) return false;
    *days = fn_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

bool fn_parse_date(const char *s, size_t n, int32_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t days;
    if (!date_part(s, n, &i, &days)) return false;
    if (i < n && s[i] != ' ' && s[i] != 'T') return false;
    if (days > INT32_MAX || days < INT32_MIN) return false;
    *out = (int32_t)days;
    return true;
}

bool fn_parse_timestamp(const char *s, size_t n, const char *tz, bool ntz, int64_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    int64_t days, h = 0, mi = 0, sec = 0, frac = 0;
    if (!date_part(s, n, &i, &days)) return false;
    if (i < n && (s[i] == ' ' || s[i] == 'T')) {
        i++;
        if (i < n && isdigit((unsigned char)s[i])) {
            if (digits(s, n, &i, 2, &h) < 1 || i >= n || s[i] != ':') return false;
            i++;
            if (digits(s, n, &i, 2, &mi) < 1) return false;
            if (i < n && s[i] == ':') {
                i++;
                if (digits(s, n, &i, 2, &sec) < 1) return false;
                if (i < n && s[i] == '.') {
                    i++;
                    int k = 0;
                    while (i < n && isdigit((unsigned char)s[i])) {
                        if (k < 6) {
                            frac = frac * 10 + (s[i] - '0');
                            k++;
                        }
                        i++;
                    }
                    for (; k < 6; k++) frac *= 10;
                }
            }
            if (h > 23 || mi > 59 || sec > 59) return false;
        }
    }
    int64_t local = days * US_PER_DAY + ((h * 60 + mi) * 60 + sec) * 1000000 + frac;
    while (i < n && s[i] == ' ') i++;
    if (i < n) {
        char zone[64];
        size_t zl = n - i;
        if (zl >= sizeof zone) return false;
        memcpy(zone, s + i, zl);
        zone[zl] = 0;
        int32_t off;
        if (ntz) {
            *out = local;
            return fixed_offset(zone, zl, &off) || fn_tz_valid(zone);
        }
        if (fixed_offset(zone, zl, &off)) {
            *out = local - (int64_t)off * 1000000;
            return true;
        }
        if (!fn_tz_valid(zone)) return false;
        *out = fn_tz_local_to_utc(zone, local);
        return true;
    }
    *out = ntz ? local : fn_tz_local_to_utc(tz, local);
    return true;
}
