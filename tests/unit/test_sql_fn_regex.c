/*
 * tests/unit/test_sql_fn_regex.c - the regular-expression functions of SQL
 * (fn_defs_regex) against Spark's documented examples and Java's
 * semantics (empty matches, split limits, $n references, lookbehind),
 * invalid patterns at bind, and the match limit stopping catastrophic
 * backtracking quickly with an error that names the pattern.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "kt_sqlfn.h"

static const fn_def *const tables[] = {fn_defs_regex, NULL};

/* name(s, pattern[, third]) on one row; third "i:N" is an int. Returns the
 * rendered result: strings as is, arrays as [a|b], errors as their class. */
static const char *run(kiln_arena *a, const char *name, const char *s, const char *p,
                       const char *third, bool constant)
{
    col_vec args[3];
    bool isc[3] = {constant, constant, true};
    const char *sv[1] = {s}, *pv[1] = {p};
    args[0] = kt_strs(a, sv, 1);
    args[1] = constant ? kt_const_str(a, p, 1) : kt_strs(a, pv, 1);
    int nargs = 2;
    if (third) {
        args[2] = third[0] == 'i' && third[1] == ':' ? kt_const_i32(a, atoi(third + 2), 1)
                                                     : kt_const_str(a, third, 1);
        nargs = 3;
    }
    kt_res r = kt_call(a, tables, name, args, nargs, isc, 1, "UTC", true);
    char *buf = kiln_arena_alloc(a, 4096);
    if (r.rc) {
        const char *e = r.cls ? r.cls : r.err ? r.err + 1 : "<error>";
        snprintf(buf, 4096, "%.*s", (int)strcspn(e, "]"), e);
        return buf;
    }
    if (!col_valid(&r.out, 0)) return "<null>";
    switch (r.type->kind) {
    case COL_BOOL:
        return COL_DATA(&r.out, bool)[0] ? "true" : "false";
    case COL_I32:
        snprintf(buf, 4096, "%d", COL_DATA(&r.out, int32_t)[0]);
        return buf;
    case COL_ARRAY: {
        strcpy(buf, "[");
        for (uint32_t e = r.out.offsets[0]; e < r.out.offsets[1]; e++) {
            if (e > r.out.offsets[0]) strcat(buf, "|");
            strcat(buf, kt_out_str(a, &r.out.children[0], e));
        }
        strcat(buf, "]");
        return buf;
    }
    default:
        return kt_out_str(a, &r.out, 0);
    }
}

static void check(const char *name, const char *s, const char *p, const char *third,
                  const char *want)
{
    for (int constant = 1; constant >= 0; constant--) {
        kiln_arena *a = kiln_arena_new();
        const char *got = run(a, name, s, p, third, constant);
        if (strcmp(got, want) != 0)
            fail_msg("%s('%s', '%s', %s) [%s] = '%s', want '%s'", name, s, p, third ? third : "-",
                     constant ? "const" : "flat", got, want);
        kiln_arena_free(a);
    }
}

static void test_spark_examples(void **state)
{
    (void)state;
    check("rlike", "%SystemDrive%\\Users\\John", "%SystemDrive%\\\\Users.*", 0, "true");
    check("regexp_like", "abc", "^b", 0, "false");
    check("regexp", "abc", "b", 0, "true");
    check("regexp_extract", "100-200", "(\\d+)-(\\d+)", "i:1", "100");
    check("regexp_extract", "100-200", "(\\d+)-(\\d+)", "i:2", "200");
    check("regexp_extract", "100-200", "(\\d+)-(\\d+)", 0, "100");
    check("regexp_extract", "foo", "(\\d+)", "i:1", "");
    check("regexp_extract", "a", "(x)?a", "i:1", "");
    check("regexp_extract", "100-200", "(\\d+)-(\\d+)", "i:3",
          "INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX");
    check("regexp_extract_all", "100-200, 300-400", "(\\d+)-(\\d+)", "i:1", "[100|300]");
    check("regexp_extract_all", "100-200, 300-400", "(\\d+)-(\\d+)", "i:2", "[200|400]");
    check("regexp_replace", "100-200", "(\\d+)", "num", "num-num");
    check("regexp_replace", "100-200", "(\\d+)-(\\d+)", "$2-$1", "200-100");
    check("regexp_replace", "abc", "", "-", "-a-b-c-");
    check("regexp_replace", "baaa", "a*", "-", "-b--");
    check("regexp_replace", "a.b", "\\.", "\\$", "a$b");
    check("regexp_replace", "ab", "(a)", "$2", "INVALID_PARAMETER_VALUE.PATTERN");
    check("regexp_count", "Steven Jones and Stephen Smith are the best players", "Ste(v|ph)en", 0,
          "2");
    check("regexp_count", "abcdefghijklmnopqrstuvwxyz", "[a-z]{3}", 0, "8");
    check("regexp_instr", "user@spark.apache.org", "@[^.]*", 0, "5");
    check("regexp_substr", "Steven Jones and Stephen Smith are the best players", "Jo", 0, "Jo");
    check("regexp_substr", "abc", "x", 0, "<null>");
    check("split", "oneAtwoBthreeC", "[ABC]", 0, "[one|two|three|]");
    check("split", "oneAtwoBthreeC", "[ABC]", "i:-1", "[one|two|three|]");
    check("split", "oneAtwoBthreeC", "[ABC]", "i:2", "[one|twoBthreeC]");
    check("split", "abc", "", 0, "[a|b|c]");
    check("split", "abc", "", "i:2", "[a|bc]");
    check("split", "", ",", 0, "[]");
    check("split", "a,b,,", ",", 0, "[a|b||]");
    check("split", ",a", ",", 0, "[|a]");
    check("split", "xyz", ",", 0, "[xyz]");
    check("split", "日本😀語", "😀", 0, "[日本|語]");
    /* Lookbehind, named groups, Java classes. */
    check("regexp_extract", "GET /images/logo.gif HTTP/1.0", "(?<=GET )(\\S+)", "i:1",
          "/images/logo.gif");
    check("regexp_replace", "2020-01-02", "(?<y>\\d+)-(?<m>\\d+)-(?<d>\\d+)", "${d}/${m}/${y}",
          "02/01/2020");
    check("rlike", "abc", "^\\p{Alpha}+$", 0, "true");
    check("rlike", "ab1", "^[\\p{Alpha}]+$", 0, "false");
    check("rlike", "é", "^\\p{L}$", 0, "true");
    check("rlike", "é", "^\\u00e9$", 0, "true");
    check("rlike", "a\nb", "a.b", 0, "false");
    /* Invalid UTF-8 in the value never matches a character and never crashes. */
    check("rlike",
          "a\xff"
          "b",
          "a.b", 0, "false");
    check("regexp_extract",
          "\xff"
          "12",
          "(\\d+)", "i:1", "12");
    check("rlike", "abc", "(", 0, "INVALID_PARAMETER_VALUE.PATTERN");
    check("regexp_extract", "x", "(", "i:1", "INVALID_PARAMETER_VALUE.PATTERN");
}

/* (a|aa)+$ and (a+)+b on 30 a's backtrack exponentially: the match limit
 * must stop them within a second, with an error naming the pattern. */
static void test_hostile(void **state)
{
    (void)state;
    const char *pats[] = {"(a|aa)+$", "(a+)+b", "(a*)*b", "^(\\w+\\s?)*$"};
    char s[64];
    memset(s, 'a', 30);
    memcpy(s + 30, "!b", 3); /* a 'b' and an end exist, so no quick "cannot match" */
    int limited = 0;
    for (int k = 0; k < 4; k++) {
        kiln_arena *a = kiln_arena_new();
        col_vec args[2];
        const char *sv[1] = {s};
        args[0] = kt_strs(a, sv, 1);
        args[1] = kt_const_str(a, pats[k], 1);
        bool isc[2] = {false, true};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        kt_res r = kt_call(a, tables, "rlike", args, 2, isc, 1, "UTC", true);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (r.rc == 0) { /* PCRE2's own optimisations may answer quickly: correctly */
            assert_false(COL_DATA(&r.out, bool)[0]);
        } else {
            assert_int_equal(r.rc, KILN_ESQL);
            assert_non_null(strstr(r.err, "REGEX_MATCH_LIMIT_EXCEEDED"));
            assert_non_null(strstr(r.err, pats[k]));
            limited++;
        }
        assert_true(secs < 2.0);
        kiln_arena_free(a);
    }
    assert_true(limited >= 2);
}

/* Many rows with per-row patterns (the non-constant path) against the
 * constant path. */
static void test_per_row_patterns(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    enum { N = 300 };
    const char *s[N], *p[N];
    static const char *const pats[] = {"a+", "b", "(c)", "[0-9]+", "^x", NULL};
    char *buf = kiln_arena_alloc(a, N * 16);
    srand(3);
    for (int i = 0; i < N; i++) {
        char *q = buf + i * 16;
        for (int k = 0; k < 10; k++) q[k] = "abcx0123"[rand() % 8];
        q[10] = 0;
        s[i] = i % 13 ? q : NULL;
        p[i] = pats[rand() % 6];
    }
    col_vec args[2] = {kt_strs(a, s, N), kt_strs(a, p, N)};
    kt_res r = kt_call(a, tables, "regexp_count", args, 2, NULL, N, "UTC", true);
    assert_int_equal(r.rc, 0);
    for (int i = 0; i < N; i++) {
        if (!s[i] || !p[i]) {
            assert_false(col_valid(&r.out, i));
            continue;
        }
        kiln_arena *b = kiln_arena_new();
        const char *want = run(b, "regexp_count", s[i], p[i], NULL, true);
        char got[16];
        snprintf(got, sizeof got, "%d", COL_DATA(&r.out, int32_t)[i]);
        assert_string_equal(got, want);
        kiln_arena_free(b);
    }
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spark_examples),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_per_row_patterns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
