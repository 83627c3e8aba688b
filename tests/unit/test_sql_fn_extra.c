/*
 * test_sql_fn_extra.c - the functions of src/sql/fn_extra.c through their
 * bind and kernels, on random inputs with nulls against plain references:
 * levenshtein (a full-matrix edit distance over code points, unicode),
 * base64 / unbase64 (a bit-by-bit encoder, round trips), format_number
 * (integers and decimals: grouping and HALF_EVEN by hand), format_string
 * (C's printf where Java's Formatter agrees), make_timestamp (timegm), and
 * fixed cases: soundex, typeof, Java's HALF_UP %.Nf, errors.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kt_rand.h"
#include "kt_sqlfn.h"
#include "sql/decimal.h"

static const fn_def *const T[] = {fn_defs_extra, NULL};
static kiln_arena *A;

static uint64_t rng = 0x1234567887654321ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static col_vec kf_vec_i64(kiln_arena *a, uint32_t n)
{
    col_vec v;
    col_vec_init(&v, a, &col_type_i64, n);
    col_vec_add_validity(&v, a, n);
    v.n = n;
    return v;
}

static col_vec kf_const_f64(kiln_arena *a, double x)
{
    col_vec v;
    col_vec_constant(&v, a, &col_type_f64, &x, 1);
    return v;
}

static int setup(void **state)
{
    (void)state;
    A = kiln_arena_new();
    return A ? 0 : -1;
}
static int teardown(void **state)
{
    (void)state;
    kiln_arena_free(A);
    return 0;
}

/* Strings of random pieces (ASCII, 2- and 3-byte UTF-8), NULL sometimes. */
static const char *rand_str(char *buf, int max)
{
    static const char *const pieces[] = {"a", "b", "c", "é", "日", "k"};
    if (rnd() % 10 == 0) return NULL;
    int n = (int)(rnd() % (uint64_t)(max + 1));
    buf[0] = 0;
    for (int i = 0; i < n; i++) strcat(buf, pieces[rnd() % 6]);
    return buf;
}

static int cps(const char *s, uint32_t *out)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        int len = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
        uint32_t c = 0;
        for (int k = 0; k < len; k++) c = c << 8 | p[k];
        out[n++] = c;
        p += len;
    }
    return n;
}

static int ref_levenshtein(const char *x, const char *y)
{
    uint32_t a[64], b[64];
    int n = cps(x, a), m = cps(y, b);
    static int d[65][65];
    for (int i = 0; i <= n; i++) d[i][0] = i;
    for (int j = 0; j <= m; j++) d[0][j] = j;
    for (int i = 1; i <= n; i++)
        for (int j = 1; j <= m; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

static void levenshtein_matches_reference(void **state)
{
    (void)state;
    enum { N = 800 };
    static char bx[N][200], by[N][200];
    const char *xs[N], *ys[N];
    for (int i = 0; i < N; i++) {
        xs[i] = rand_str(bx[i], 12);
        ys[i] = rand_str(by[i], 12);
    }
    col_vec args[3] = {kt_strs(A, xs, N), kt_strs(A, ys, N), kt_const_i32(A, 4, N)};
    kt_res r = kt_call(A, T, "levenshtein", args, 2, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    kt_res rt = kt_call(A, T, "levenshtein", args, 3, NULL, N, "UTC", true);
    assert_int_equal(rt.rc, KILN_OK);
    for (int i = 0; i < N; i++) {
        if (!xs[i] || !ys[i]) {
            assert_false(col_valid(&r.out, (uint32_t)i));
            continue;
        }
        int want = ref_levenshtein(xs[i], ys[i]);
        assert_int_equal(COL_DATA(&r.out, int32_t)[i], want);
        assert_int_equal(COL_DATA(&rt.out, int32_t)[i], want > 4 ? -1 : want);
    }
}

static void ref_base64(const uint8_t *p, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t bits = n * 8, o = 0;
    for (size_t b = 0; b < bits; b += 6) {
        int v = 0;
        for (int k = 0; k < 6; k++) {
            size_t at = b + (size_t)k;
            int bit = at < bits ? (p[at / 8] >> (7 - at % 8)) & 1 : 0;
            v = v << 1 | bit;
        }
        out[o++] = al[v];
    }
    while (o % 4) out[o++] = '=';
    out[o] = 0;
}

static void base64_matches_reference_and_round_trips(void **state)
{
    (void)state;
    enum { N = 500 };
    col_vec in;
    col_vec_init(&in, A, &col_type_binary, N);
    col_vec_add_validity(&in, A, N);
    in.n = N;
    static uint8_t raw[N][48];
    static size_t len[N];
    for (int i = 0; i < N; i++) {
        len[i] = rnd() % 48;
        for (size_t k = 0; k < len[i]; k++) raw[i][k] = (uint8_t)rnd();
        col_str_copy(A, (const char *)raw[i], (uint32_t)len[i], &COL_DATA(&in, col_str)[i]);
        if (rnd() % 11 == 0) col_set_null(&in, (uint32_t)i);
    }
    kt_res r = kt_call(A, T, "base64", &in, 1, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    kt_res back = kt_call(A, T, "unbase64", &r.out, 1, NULL, N, "UTC", true);
    assert_int_equal(back.rc, KILN_OK);
    for (int i = 0; i < N; i++) {
        if (!col_valid(&in, (uint32_t)i)) {
            assert_false(col_valid(&r.out, (uint32_t)i));
            assert_false(col_valid(&back.out, (uint32_t)i));
            continue;
        }
        char want[80];
        ref_base64(raw[i], len[i], want);
        assert_string_equal(kt_out_str(A, &r.out, (uint32_t)i), want);
        const col_str *b = &COL_DATA(&back.out, col_str)[i];
        assert_int_equal(b->len, len[i]);
        if (len[i]) assert_memory_equal(col_str_data(b), raw[i], len[i]);
    }
    /* The MIME decoder skips what is not base64 and stops at '='. */
    const char *odd[] = {"U3Bh\ncms=", "U3Bh cmsg", "U3B=hcmsg"};
    col_vec o = kt_strs(A, odd, 3);
    kt_res d = kt_call(A, T, "unbase64", &o, 1, NULL, 3, "UTC", true);
    assert_string_equal(kt_out_str(A, &d.out, 0), "Spark");
    assert_string_equal(kt_out_str(A, &d.out, 1), "Spark ");
    assert_string_equal(kt_out_str(A, &d.out, 2), "Sp");
}

/* |v| grouped by thousands, with d zeros after the point. */
static void ref_group_int(char *out, int64_t v, int d)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llu",
             (unsigned long long)(v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v));
    size_t n = strlen(digits), o = 0;
    if (v < 0) out[o++] = '-';
    for (size_t k = 0; k < n; k++) {
        if (k && (n - k) % 3 == 0) out[o++] = ',';
        out[o++] = digits[k];
    }
    if (d) out[o++] = '.';
    for (int k = 0; k < d; k++) out[o++] = '0';
    out[o] = 0;
}

static void format_number_matches_reference(void **state)
{
    (void)state;
    enum { N = 600 };
    /* bigint */
    col_vec x = kf_vec_i64(A, N), d;
    col_vec_init(&d, A, &col_type_i32, N);
    d.n = N;
    for (int i = 0; i < N; i++) {
        int64_t v = (int64_t)rnd() >> (rnd() % 64);
        if (i == 0) v = INT64_MIN;
        if (i == 1) v = INT64_MAX;
        if (i == 2) v = 0;
        COL_DATA(&x, int64_t)[i] = v;
        COL_DATA(&d, int32_t)[i] = (int32_t)(rnd() % 5);
        if (rnd() % 13 == 0) col_set_null(&x, (uint32_t)i);
    }
    col_vec args[2] = {x, d};
    kt_res r = kt_call(A, T, "format_number", args, 2, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    for (int i = 0; i < N; i++) {
        if (!col_valid(&x, (uint32_t)i)) {
            assert_false(col_valid(&r.out, (uint32_t)i));
            continue;
        }
        char want[80];
        ref_group_int(want, COL_DATA(&x, int64_t)[i], COL_DATA(&d, int32_t)[i]);
        assert_string_equal(kt_out_str(A, &r.out, (uint32_t)i), want);
    }
    /* decimal(18,4) to 0..6 digits: HALF_EVEN by hand on the unscaled value. */
    const col_type *dt = col_type_decimal(A, 18, 4);
    col_vec y;
    col_vec_init(&y, A, dt, N);
    col_vec_add_validity(&y, A, N);
    y.n = N;
    for (int i = 0; i < N; i++) {
        int64_t v = (int64_t)(rnd() % 2000000001) - 1000000000;
        if (i % 5 == 0) v = v / 100 * 100 + 50; /* ties at 2 digits */
        COL_DATA(&y, int64_t)[i] = v;
        COL_DATA(&d, int32_t)[i] = (int32_t)(rnd() % 7);
    }
    col_vec args2[2] = {y, d};
    r = kt_call(A, T, "format_number", args2, 2, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    for (int i = 0; i < N; i++) {
        int64_t v = COL_DATA(&y, int64_t)[i];
        int dd = COL_DATA(&d, int32_t)[i];
        char want[80];
        if (dd >= 4) {
            int64_t a = v < 0 ? -v : v;
            char ip[40];
            ref_group_int(ip, a / 10000, 0);
            snprintf(want, sizeof want, "%s%s.%04lld%0*d", v < 0 ? "-" : "", ip,
                     (long long)(a % 10000), dd - 4, 0);
            if (dd == 4) want[strlen(want) - 1] = 0; /* "%0*d" with width 0 printed "0" */
        } else {
            int64_t p = 1;
            for (int k = dd; k < 4; k++) p *= 10;
            int64_t a = v < 0 ? -v : v, q = a / p, rem = a % p;
            if (2 * rem > p || (2 * rem == p && q % 2)) q++;
            int64_t sc = 1;
            for (int k = 0; k < dd; k++) sc *= 10;
            char ip[40];
            ref_group_int(ip, q / sc, 0);
            if (dd)
                snprintf(want, sizeof want, "%s%s.%0*lld", v < 0 ? "-" : "", ip, dd,
                         (long long)(q % sc));
            else snprintf(want, sizeof want, "%s%s", v < 0 ? "-" : "", ip);
        }
        assert_string_equal(kt_out_str(A, &r.out, (uint32_t)i), want);
    }
    /* Doubles: the exact binary value rounded HALF_EVEN (DecimalFormat). */
    static const struct {
        double v;
        int d;
        const char *want;
    } dbl[] = {{0.125, 2, "0.12"},     {0.375, 2, "0.38"},
               {0.135, 2, "0.14"},     {2.675, 2, "2.67"},
               {-0.001, 2, "-0.00"},   {1e6, 1, "1,000,000.0"},
               {-1234.5, 0, "-1,234"}, {1.0 / 0.0, 1, "\xe2\x88\x9e"},
               {0.0 / 0.0, 1, "NaN"},  {123456789.987, 3, "123,456,789.987"}};
    for (size_t k = 0; k < sizeof dbl / sizeof dbl[0]; k++) {
        col_vec a2[2] = {kf_const_f64(A, dbl[k].v), kt_const_i32(A, dbl[k].d, 1)};
        kt_res q = kt_call(A, T, "format_number", a2, 2, NULL, 1, "UTC", true);
        assert_int_equal(q.rc, KILN_OK);
        assert_string_equal(kt_out_str(A, &q.out, 0), dbl[k].want);
    }
}

static void format_string_matches_printf(void **state)
{
    (void)state;
    enum { N = 400 };
    static char bufs[N][64];
    const char *strs[N];
    col_vec iv = kf_vec_i64(A, N);
    for (int i = 0; i < N; i++) {
        strs[i] = rand_str(bufs[i], 5);
        if (strs[i]) /* ASCII only: C's width counts bytes */
            for (char *p = bufs[i]; *p; p++)
                if ((unsigned char)*p >= 0x80) *p = 'x';
        COL_DATA(&iv, int64_t)[i] = (int64_t)(rnd() % 200001) - 100000;
        if (rnd() % 9 == 0) col_set_null(&iv, (uint32_t)i);
    }
    col_vec sv = kt_strs(A, strs, N);
    static const char *const fmts[] = {"%d|%s",   "[%8d] [%-6s]", "%08d%s", "%+d %3s",
                                       "%x %.2s", "%,d",          "%-8d|",  "%o%%%s"};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        col_vec args[3] = {kt_const_str(A, fmts[f], N), iv, sv};
        bool is_const[3] = {true, false, false};
        kt_res r = kt_call(A, T, "format_string", args, 3, is_const, N, "UTC", true);
        assert_int_equal(r.rc, KILN_OK);
        for (int i = 0; i < N; i++) {
            int64_t v = COL_DATA(&iv, int64_t)[i];
            bool vn = !col_valid(&iv, (uint32_t)i);
            const char *s = strs[i] ? strs[i] : "null";
            char want[200], num[64];
            if (strstr(fmts[f], "%x") || strstr(fmts[f], "%o")) {
                if (vn) snprintf(num, sizeof num, "null");
                else
                    snprintf(num, sizeof num, strstr(fmts[f], "%x") ? "%llx" : "%llo",
                             (unsigned long long)v);
                snprintf(want, sizeof want, strstr(fmts[f], "%x") ? "%s %.2s" : "%s%%%s", num, s);
            } else if (strcmp(fmts[f], "%,d") == 0) {
                if (vn) snprintf(want, sizeof want, "null");
                else ref_group_int(want, v, 0);
            } else if (vn) {
                /* null through %d is "null" with the width, without zero padding */
                char spec[16];
                const char *pct = strchr(fmts[f], '%');
                size_t sl = strcspn(pct + 1, "d") + 2;
                snprintf(spec, sizeof spec, "%.*s", (int)sl, pct);
                char *z = strchr(spec, '0');
                if (z && z == spec + 1) memmove(z, z + 1, strlen(z));
                char *plus = strchr(spec, '+');
                if (plus) memmove(plus, plus + 1, strlen(plus));
                spec[strlen(spec) - 1] = 's';
                char tmpl[64];
                snprintf(tmpl, sizeof tmpl, "%.*s%s%s", (int)(pct - fmts[f]), fmts[f], spec,
                         pct + sl);
                snprintf(want, sizeof want, tmpl, "null", s);
            } else {
                char tmpl[64];
                const char *p = fmts[f];
                size_t o = 0;
                for (; *p; p++) { /* %d -> %lld for C */
                    if (*p == 'd' && p > fmts[f]) {
                        tmpl[o++] = 'l';
                        tmpl[o++] = 'l';
                    }
                    tmpl[o++] = *p;
                }
                tmpl[o] = 0;
                snprintf(want, sizeof want, tmpl, (long long)v, s);
            }
            assert_string_equal(kt_out_str(A, &r.out, (uint32_t)i), want);
        }
    }
    /* Java's floating forms (HALF_UP on the shortest decimal digits). */
    static const struct {
        const char *fmt;
        double v;
        const char *want;
    } fl[] = {{"%.2f", 0.125, "0.13"},
              {"%.2f", 2.675, "2.68"},
              {"%f", 1.0 / 3, "0.333333"},
              {"%.0f", 2.5, "3"},
              {"%e", 12345.678, "1.234568e+04"},
              {"%.3E", 0.000123, "1.230E-04"},
              {"%g", 0.0001, "0.000100000"},
              {"%g", 1234567.0, "1.23457e+06"},
              {"%,.1f", -1234567.25, "-1,234,567.3"},
              {"%f", 0.0 / 0.0, "NaN"},
              {"%08.2f", -1.5, "-0001.50"},
              {"%.1f", 0.05, "0.1"}};
    for (size_t k = 0; k < sizeof fl / sizeof fl[0]; k++) {
        col_vec a2[2] = {kt_const_str(A, fl[k].fmt, 1), kf_const_f64(A, fl[k].v)};
        kt_res q = kt_call(A, T, "printf", a2, 2, NULL, 1, "UTC", true);
        assert_int_equal(q.rc, KILN_OK);
        assert_string_equal(kt_out_str(A, &q.out, 0), fl[k].want);
    }
    /* Errors as Java's Formatter's. */
    col_vec e1[2] = {kt_const_str(A, "%d", 1), kf_const_f64(A, 1.5)};
    kt_res q = kt_call(A, T, "printf", e1, 2, NULL, 1, "UTC", true);
    assert_int_equal(q.rc, KILN_ESQL);
    assert_non_null(strstr(q.err, "IllegalFormatConversionException"));
    col_vec e2[1] = {kt_const_str(A, "%s %s", 1)};
    q = kt_call(A, T, "printf", e2, 1, NULL, 1, "UTC", true);
    assert_int_equal(q.rc, KILN_ESQL);
    assert_non_null(strstr(q.err, "MissingFormatArgumentException"));
}

static void soundex_and_typeof(void **state)
{
    (void)state;
    static const char *const in[] = {"Robert",  "Rupert",   "Rubin", "Ashcraft", "Tymczak",
                                     "Pfister", "Honeyman", "Lloyd", "",         "1abc",
                                     "a",       NULL,       "éa",    "Jackson"};
    static const char *const want[] = {"R163", "R163", "R150", "A261", "T522",   "P236", "H555",
                                       "L300", "",     "1abc", "A000", "<null>", "éa",   "J250"};
    enum { N = sizeof in / sizeof in[0] };
    col_vec v = kt_strs(A, in, N);
    kt_res r = kt_call(A, T, "soundex", &v, 1, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    for (int i = 0; i < (int)N; i++)
        assert_string_equal(kt_out_str(A, &r.out, (uint32_t)i), want[i]);
    const col_type *arr = col_type_array(A, &col_type_string, true);
    const col_type *types[] = {
        &col_type_i32,          &col_type_null,        col_type_decimal(A, 10, 2), arr,
        &col_type_interval_day, &col_type_interval_dt, &col_type_timestamp};
    const char *names[] = {"int",           "void",         "decimal(10,2)",
                           "array<string>", "interval day", "interval day to second",
                           "timestamp"};
    for (int k = 0; k < 7; k++) {
        col_vec x;
        col_vec_constant(&x, A, types[k], NULL, 2);
        kt_res t = kt_call(A, T, "typeof", &x, 1, NULL, 2, "UTC", true);
        assert_int_equal(t.rc, KILN_OK);
        assert_string_equal(kt_out_str(A, &t.out, 1), names[k]);
    }
}

static void make_timestamp_matches_timegm(void **state)
{
    (void)state;
    enum { N = 700 };
    col_vec f[6];
    const col_type *sec = col_type_decimal(A, 16, 6);
    for (int k = 0; k < 5; k++) {
        col_vec_init(&f[k], A, &col_type_i32, N);
        col_vec_add_validity(&f[k], A, N);
        f[k].n = N;
    }
    col_vec_init(&f[5], A, sec, N);
    col_vec_add_validity(&f[5], A, N);
    f[5].n = N;
    for (int i = 0; i < N; i++) {
        COL_DATA(&f[0], int32_t)[i] = 1900 + (int32_t)(rnd() % 250);
        COL_DATA(&f[1], int32_t)[i] = (int32_t)(rnd() % 14);     /* 0 and 13 invalid */
        COL_DATA(&f[2], int32_t)[i] = 1 + (int32_t)(rnd() % 31); /* may not exist */
        COL_DATA(&f[3], int32_t)[i] = (int32_t)(rnd() % 25);     /* 24 invalid */
        COL_DATA(&f[4], int32_t)[i] = (int32_t)(rnd() % 60);
        COL_DATA(&f[5], int64_t)[i] = (int64_t)(rnd() % 61000000); /* up to 60.999999 */
        if (rnd() % 17 == 0) col_set_null(&f[rnd() % 6], (uint32_t)i);
    }
    kt_res r = kt_call(A, T, "try_make_timestamp", f, 6, NULL, N, "UTC", true);
    assert_int_equal(r.rc, KILN_OK);
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int valid = 0;
    for (int i = 0; i < N; i++) {
        bool null = false;
        for (int k = 0; k < 6; k++) null |= !col_valid(&f[k], (uint32_t)i);
        int y = COL_DATA(&f[0], int32_t)[i], mo = COL_DATA(&f[1], int32_t)[i];
        int d = COL_DATA(&f[2], int32_t)[i], h = COL_DATA(&f[3], int32_t)[i];
        int mi = COL_DATA(&f[4], int32_t)[i];
        int64_t us = COL_DATA(&f[5], int64_t)[i];
        bool lp = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        bool ok = !null && mo >= 1 && mo <= 12 && d <= dim[mo - 1] + (mo == 2 && lp) && h < 24 &&
                  (us < 60000000 || us % 1000000 == 0);
        if (!ok) {
            assert_false(col_valid(&r.out, (uint32_t)i));
            continue;
        }
        valid++;
        struct tm tm = {0};
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        int64_t want = (int64_t)timegm(&tm) * 1000000 + us;
        assert_true(col_valid(&r.out, (uint32_t)i));
        assert_true(COL_DATA(&r.out, int64_t)[i] == want);
    }
    assert_true(valid > N / 3);
    /* ANSI make_timestamp: a bad field is an error. */
    col_vec one[6];
    int32_t bad[5] = {2019, 13, 1, 0, 0};
    int64_t zero = 0;
    for (int k = 0; k < 5; k++) col_vec_constant(&one[k], A, &col_type_i32, &bad[k], 1);
    col_vec_constant(&one[5], A, sec, &zero, 1);
    kt_res e = kt_call(A, T, "make_timestamp", one, 6, NULL, 1, "UTC", true);
    assert_int_equal(e.rc, KILN_ESQL);
    assert_non_null(strstr(e.err, "DATETIME_FIELD_OUT_OF_BOUNDS"));
    assert_non_null(strstr(e.err, "MonthOfYear"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(levenshtein_matches_reference),
        cmocka_unit_test(base64_matches_reference_and_round_trips),
        cmocka_unit_test(format_number_matches_reference),
        cmocka_unit_test(format_string_matches_printf),
        cmocka_unit_test(soundex_and_typeof),
        cmocka_unit_test(make_timestamp_matches_timegm),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
