/*
 * tests/unit/test_ds_fastpath.c - the fast paths of CSV reading against
 * the general code they shortcut, on random inputs: ds_parse_f64 against
 * ds_parse_f64_general and strtod (bit for bit), ds_parse_decimal against
 * ds_parse_decimal_general, ds_parse_timestamp(_cached) against
 * ds_parse_timestamp_general, ds_parse_date against ds_parse_date_general,
 * and the SSE2 record tokenizer (csv_opts.fast)
 * against the general loop on random records cut at every byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/csv_int.h"

static rng gen;

static uint64_t rnd(void)
{
    return rng_next(&gen);
}

static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

static void digits(char *b, int *k, int n)
{
    for (int i = 0; i < n; i++) b[(*k)++] = (char)('0' + pick(10));
}

/* A random number-like text: signs, leading zeros, many digits, points,
 * exponents, blanks, suffixes, special words and stray characters. */
static int number_text(char *b)
{
    int k = 0;
    static const char *const special[] = {"NaN", "Infinity", "-Infinity", "+NaN", "Inf", "1e",
                                          ".",   "-",        "+",         "",     "e5",  "1..2"};
    if (pick(20) == 0) {
        const char *s = special[pick(12)];
        strcpy(b, s);
        return (int)strlen(s);
    }
    if (pick(15) == 0) b[k++] = ' ';
    int sg = pick(5);
    if (sg == 0) b[k++] = '-';
    else if (sg == 1) b[k++] = '+';
    if (pick(6) == 0)
        for (int z = pick(4); z >= 0; z--) b[k++] = '0';
    int big = pick(8) == 0;
    digits(b, &k, big ? pick(30) : pick(8));
    if (pick(3)) {
        b[k++] = '.';
        digits(b, &k, big ? pick(30) : pick(6));
    }
    if (pick(8) == 0) {
        b[k++] = pick(2) ? 'e' : 'E';
        if (pick(2)) b[k++] = pick(2) ? '-' : '+';
        digits(b, &k, pick(4));
    }
    if (pick(30) == 0) b[k++] = "dDfF"[pick(4)];
    if (pick(30) == 0) b[k++] = ' ';
    if (pick(25) == 0 && k > 0) b[pick(k)] = "x.-e,"[pick(5)];
    b[k] = '\0';
    return k;
}

static void test_f64(void **state)
{
    (void)state;
    char b[128];
    for (int i = 0; i < 400000; i++) {
        int n = number_text(b);
        double a = 0, g = 0;
        bool ra = ds_parse_f64(b, (size_t)n, &a), rg = ds_parse_f64_general(b, (size_t)n, &g);
        if (ra != rg || (ra && memcmp(&a, &g, sizeof a) != 0 && !(isnan(a) && isnan(g)))) {
            fprintf(stderr, "'%s': fast %d %.17g, general %d %.17g\n", b, ra, a, rg, g);
            fail();
        }
        /* Plain decimals: bit for bit what strtod gives. */
        if (ra && strspn(b, "-0123456789.") == (size_t)n) {
            double s = strtod(b, NULL);
            if (memcmp(&a, &s, sizeof a) != 0) {
                fprintf(stderr, "'%s': %.17g, strtod %.17g\n", b, a, s);
                fail();
            }
        }
    }
}

static void test_decimal(void **state)
{
    (void)state;
    char b[128];
    for (int i = 0; i < 400000; i++) {
        int n = number_text(b);
        int precision = 1 + pick(38);
        int scale = pick(precision + 1);
        if (pick(4) == 0) {
            precision = 15;
            scale = 2;
        }
        __int128 a = 0, g = 0;
        bool ra = ds_parse_decimal(b, (size_t)n, precision, scale, &a);
        bool rg = ds_parse_decimal_general(b, (size_t)n, precision, scale, &g);
        if (ra != rg || (ra && a != g)) {
            fprintf(stderr, "'%s' (%d,%d): fast %d %lld, general %d %lld\n", b, precision, scale,
                    ra, (long long)a, rg, (long long)g);
            fail();
        }
    }
}

/* A random timestamp-like text: valid and invalid fields, fractions of 0
 * to 10 digits, zones, blanks, stray characters. */
static int ts_text(char *b)
{
    static const char *const zones[] = {"Z", "+01:00", "-0530", "UTC", "GMT+2", "+1", "x"};
    int y = pick(10) == 0 ? pick(10000) : 1990 + pick(40);
    int mo = pick(14), d = pick(33), h = pick(26), mi = pick(62), s = pick(62);
    if (pick(2)) mo = 1 + pick(12), d = 1 + pick(28), h = pick(24), mi = pick(60), s = pick(60);
    int k = sprintf(b, "%s%04d-%02d-%02d%c%02d:%02d:%02d", pick(20) ? "" : " ", y, mo, d,
                    pick(4) ? 'T' : ' ', h, mi, s);
    if (pick(3)) {
        b[k++] = '.';
        digits(b, &k, pick(11));
    }
    if (pick(8) == 0) k += sprintf(b + k, "%s", zones[pick(7)]);
    if (pick(30) == 0) b[k++] = ' ';
    if (pick(30) == 0) b[pick(k)] = "x:-T9"[pick(5)];
    if (pick(40) == 0) k = pick(k + 1);
    b[k] = '\0';
    return k;
}

static void test_timestamp(void **state)
{
    (void)state;
    char b[128];
    ds_date_cache cache = {0};
    for (int i = 0; i < 400000; i++) {
        int n = ts_text(b);
        bool ntz = pick(4) == 0;
        int32_t tz = pick(3) ? 0 : 3600 * (pick(25) - 12);
        int64_t a = 0, c = 0, g = 0;
        bool ra = ds_parse_timestamp(b, (size_t)n, ntz, tz, &a);
        bool rc = ds_parse_timestamp_cached(b, (size_t)n, ntz, tz, &cache, &c);
        bool rg = ds_parse_timestamp_general(b, (size_t)n, ntz, tz, &g);
        if (ra != rg || rc != rg || (rg && (a != g || c != g))) {
            fprintf(stderr, "'%s': fast %d %lld, cached %d %lld, general %d %lld\n", b, ra,
                    (long long)a, rc, (long long)c, rg, (long long)g);
            fail();
        }
    }
}

static void test_date(void **state)
{
    (void)state;
    char b[128];
    for (int i = 0; i < 400000; i++) {
        int n = ts_text(b);
        if (pick(2) && n > 10) n = 10; /* mostly bare dates */
        b[n] = '\0';
        bool strict = pick(3) == 0;
        int32_t a = 0, g = 0;
        bool ra = ds_parse_date(b, (size_t)n, strict, &a);
        bool rg = ds_parse_date_general(b, (size_t)n, strict, &g);
        if (ra != rg || (rg && a != g)) {
            fprintf(stderr, "'%s' strict %d: fast %d %d, general %d %d\n", b, strict, ra, a, rg, g);
            fail();
        }
    }
}

/* Both tokenizers on text[0..n) with the same options. */
static void same_tokens(const csv_opts *c, const char *text, size_t n, bool eof)
{
    csv_opts slow = *c, fast = *c;
    slow.fast = false;
    fast.fast = true;
    csv_rec a = {0}, b = {0};
    int64_t ua = csv_tokenize(&fast, text, text + n, eof, &a);
    int64_t ub = csv_tokenize(&slow, text, text + n, eof, &b);
    bool ok = ua == ub;
    if (ok && ua > 0 && !b.skip) {
        ok = a.n == b.n && a.raw_len == b.raw_len && a.skip == b.skip;
        for (int i = 0; ok && i < a.n; i++)
            ok = a.f[i].off == b.f[i].off && a.f[i].len == b.f[i].len &&
                 a.f[i].flags == b.f[i].flags;
    }
    if (!ok) {
        fprintf(stderr, "record '%.*s' eof %d: fast %lld (%d fields), general %lld (%d)\n", (int)n,
                text, eof, (long long)ua, a.n, (long long)ub, b.n);
        fail();
    }
    csv_rec_release(&a);
    csv_rec_release(&b);
}

static void tokens_with(const char *const *kv, int nkv)
{
    ds_options *o = ds_options_new();
    for (int i = 0; i + 1 < nkv; i += 2) assert_int_equal(ds_options_set(o, kv[i], kv[i + 1]), 0);
    csv_opts c;
    assert_int_equal(csv_opts_parse(&c, o, false), 0);
    assert_true(c.fast);
    static const char alphabet[] = "aaaaaaaabbb0123456789,,,,,;\"\"\r\n\n \\\t#";
    char text[160];
    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)pick(120);
        for (size_t j = 0; j < n; j++) {
            text[j] = alphabet[pick((int)sizeof alphabet - 1)];
            if (pick(3)) text[j] = (char)('a' + pick(26)); /* mostly plain text */
        }
        same_tokens(&c, text, n, true);
        /* Every cut of the window, as the reader sees one being filled. */
        if (i % 8 == 0)
            for (size_t cut = 0; cut <= n; cut++) same_tokens(&c, text, cut, false);
    }
    ds_options_free(o);
}

static void test_tokenizer(void **state)
{
    (void)state;
    tokens_with(NULL, 0);
    const char *semi[] = {"sep", ";", "comment", "#"};
    tokens_with(semi, 4);
    const char *ls[] = {"lineSep", ";", "quote", "\\u0000"};
    tokens_with(ls, 4);
    const char *limits[] = {"maxColumns", "5", "maxCharsPerColumn", "7"};
    tokens_with(limits, 4);
}

int main(void)
{
    rng_seed(&gen, 0x2545f4914f6cdd1dull);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f64),       cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_timestamp), cmocka_unit_test(test_date),
        cmocka_unit_test(test_tokenizer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
