/*
 * tests/unit/test_sql_fn_string.c - the string functions of SQL
 * (fn_defs_string) against Spark's documented examples, unicode (2- to
 * 4-byte UTF-8) and invalid UTF-8, each case run with flat and constant
 * arguments; substring and case mapping against straightforward
 * references on random strings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>

#include "kt_rand.h"
#include "kt_sqlfn.h"

static const fn_def *const tables[] = {fn_defs_string, NULL};

/* Arguments: "i:5" an int, "l:5" a bigint, NULL a null string, else a string. */
static col_vec arg_vec(kiln_arena *a, const char *s, bool constant)
{
    if (s && (s[0] == 'i' || s[0] == 'l') && s[1] == ':') {
        int64_t x = strtoll(s + 2, NULL, 10);
        const col_type *t = s[0] == 'i' ? &col_type_i32 : &col_type_i64;
        if (constant)
            return t == &col_type_i32 ? kt_const_i32(a, (int32_t)x, 1) : kt_const_i64(a, x, t, 1);
        col_vec v;
        col_vec_init(&v, a, t, 1);
        v.n = 1;
        if (t == &col_type_i32) COL_DATA(&v, int32_t)[0] = (int32_t)x;
        else COL_DATA(&v, int64_t)[0] = x;
        return v;
    }
    if (constant) return kt_const_str(a, s, 1);
    const char *arr[1] = {s};
    return kt_strs(a, arr, 1);
}

static const char *render(kiln_arena *a, const kt_res *r)
{
    static char buf[256];
    if (r->rc && r->cls) return r->cls;
    if (r->rc && r->err && r->err[0] == '[') { /* "[CLASS] message" */
        snprintf(buf, sizeof buf, "%.*s", (int)strcspn(r->err + 1, "]"), r->err + 1);
        return buf;
    }
    if (r->rc) return "<error>";
    if (!col_valid(&r->out, 0)) return "<null>";
    switch (r->type->kind) {
    case COL_BOOL:
        return COL_DATA(&r->out, bool)[0] ? "true" : "false";
    case COL_I32:
        snprintf(buf, sizeof buf, "%d", COL_DATA(&r->out, int32_t)[0]);
        return buf;
    default:
        return kt_out_str(a, &r->out, 0);
    }
}

/* Calls name(args...) flat, then with constant arguments, and checks both. */
static void check(const char *name, int nargs, const char *a0, const char *a1, const char *a2,
                  const char *want)
{
    const char *av[3] = {a0, a1, a2};
    for (int constant = 0; constant < 2; constant++) {
        kiln_arena *a = kiln_arena_new();
        col_vec args[3];
        bool isc[3];
        for (int k = 0; k < nargs; k++) {
            bool cst = constant || (k == 2 && strstr(name, "like")); /* escape: constant */
            args[k] = arg_vec(a, av[k], cst);
            isc[k] = cst;
        }
        kt_res r = kt_call(a, tables, name, args, nargs, isc, 1, "UTC", true);
        const char *got = render(a, &r);
        if (strcmp(got, want) != 0)
            fail_msg("%s(%s, %s, %s) [%s] = '%s' (%s), want '%s'", name, a0 ? a0 : "NULL",
                     a1 ? a1 : "-", a2 ? a2 : "-", constant ? "const" : "flat", got,
                     r.err ? r.err : "", want);
        kiln_arena_free(a);
    }
}

static void test_spark_examples(void **state)
{
    (void)state;
    check("upper", 1, "SparkSql", 0, 0, "SPARKSQL");
    check("lower", 1, "SparkSql", 0, 0, "sparksql");
    check("initcap", 1, "sPark sql", 0, 0, "Spark Sql");
    check("trim", 1, "    SparkSQL   ", 0, 0, "SparkSQL");
    check("trim", 2, "SSparkSQLS", "SL", 0, "parkSQ");
    check("ltrim", 2, "SSparkSQLS", "SL", 0, "parkSQLS");
    check("rtrim", 2, "SSparkSQLS", "SL", 0, "SSparkSQ");
    check("ltrim", 1, "    SparkSQL   ", 0, 0, "SparkSQL   ");
    check("rtrim", 1, "    SparkSQL   ", 0, 0, "    SparkSQL");
    check("trim", 1, "\tx ", 0, 0, "\tx");
    check("length", 1, "Spark SQL ", 0, 0, "10");
    check("char_length", 1, "Spark SQL ", 0, 0, "10");
    check("octet_length", 1, "Spark SQL", 0, 0, "9");
    check("bit_length", 1, "Spark SQL", 0, 0, "72");
    check("substring", 2, "Spark SQL", "i:5", 0, "k SQL");
    check("substring", 2, "Spark SQL", "i:-3", 0, "SQL");
    check("substring", 3, "Spark SQL", "i:5", "i:1", "k");
    check("substr", 3, "Spark SQL", "i:0", "i:2", "Sp");
    check("substr", 3, "Spark SQL", "i:-3", "i:2", "SQ");
    check("substr", 3, "abc", "i:-5", "i:3", "a");
    check("substr", 3, "abc", "i:2", "i:-1", "");
    check("substr", 3, "abc", "i:10", "i:1", "");
    check("left", 2, "Spark SQL", "i:3", 0, "Spa");
    check("left", 2, "Spark SQL", "i:-1", 0, "");
    check("right", 2, "Spark SQL", "i:3", 0, "SQL");
    check("right", 2, "Spark SQL", "i:0", 0, "");
    check("concat", 2, "Spark", "SQL", 0, "SparkSQL");
    check("concat", 2, "Spark", NULL, 0, "<null>");
    check("concat_ws", 3, " ", "Spark", "SQL", "Spark SQL");
    check("concat_ws", 1, "s", 0, 0, "");
    check("concat_ws", 3, "/", "foo", NULL, "foo");
    check("concat_ws", 2, NULL, "a", 0, "<null>");
    check("instr", 2, "SparkSQL", "SQL", 0, "6");
    check("instr", 2, "SparkSQL", "", 0, "1");
    check("instr", 2, "SparkSQL", "x", 0, "0");
    check("locate", 2, "bar", "foobarbar", 0, "4");
    check("locate", 3, "bar", "foobarbar", "i:5", "7");
    check("locate", 3, "bar", "foobarbar", "i:0", "0");
    check("position", 2, "bar", "foobarbar", 0, "4");
    check("lpad", 3, "hi", "i:5", "??", "???hi");
    check("lpad", 3, "hi", "i:1", "??", "h");
    check("lpad", 2, "hi", "i:5", 0, "   hi");
    check("lpad", 3, "hi", "i:5", "", "hi");
    check("lpad", 3, "hi", "i:-1", "?", "");
    check("rpad", 3, "hi", "i:5", "??", "hi???");
    check("rpad", 3, "hi", "i:1", "??", "h");
    check("rpad", 2, "hi", "i:5", 0, "hi   ");
    check("repeat", 2, "123", "i:2", 0, "123123");
    check("repeat", 2, "123", "i:-2", 0, "");
    check("reverse", 1, "Spark SQL", 0, 0, "LQS krapS");
    check("replace", 3, "ABCabc", "abc", "DEF", "ABCDEF");
    check("replace", 2, "ABCabc", "abc", 0, "ABC");
    check("replace", 3, "ABC", "", "x", "ABC");
    check("translate", 3, "AaBbCc", "abc", "123", "A1B2C3");
    check("translate", 3, "AaBbCc", "abc", "1", "A1BC");
    check("ascii", 1, "222", 0, 0, "50");
    check("ascii", 1, "", 0, 0, "0");
    check("chr", 1, "l:65", 0, 0, "A");
    check("chr", 1, "l:321", 0, 0, "A");
    check("chr", 1, "l:-1", 0, 0, "");
    check("startswith", 2, "Spark SQL", "Spark", 0, "true");
    check("startswith", 2, "Spark SQL", "SQL", 0, "false");
    check("endswith", 2, "Spark SQL", "SQL", 0, "true");
    check("contains", 2, "Spark SQL", "Spark", 0, "true");
    check("contains", 2, "Spark SQL", "", 0, "true");
    check("like", 2, "Spark", "_park", 0, "true");
    check("like", 2, "%SystemDrive%\\Users\\John", "\\%SystemDrive\\%\\\\Users%", 0, "true");
    check("like", 2, "abc", "a%c", 0, "true");
    check("like", 2, "abc", "a%b", 0, "false");
    check("like", 2, "", "", 0, "true");
    check("like", 2, "", "%", 0, "true");
    check("like", 2, "aXbXc", "%b_c", 0, "true");
    check("like", 3, "a/b", "a//b", "/", "true");
    check("like", 3, "a_b", "a/_b", "/", "true");
    check("like", 3, "axb", "a/_b", "/", "false");
    check("like", 3, "a/bc", "a//b%", "/", "true");
    check("like", 2, "ab", "a\\b", 0, "INVALID_FORMAT.ESC_IN_THE_MIDDLE");
    check("ilike", 2, "Spark", "_Park", 0, "true");
    check("ilike", 2, "ÀB", "àb", 0, "true");
    check("hex", 1, "l:17", 0, 0, "11");
    check("hex", 1, "Spark SQL", 0, 0, "537061726B2053514C");
    check("unhex", 1, "537061726B2053514C", 0, 0, "Spark SQL");
    check("unhex", 1, "A", 0, 0, "\n");
    check("unhex", 1, "zz", 0, 0, "<null>");
    check("md5", 1, "Spark", 0, 0, "8cde774d6f7333752ed72cacddb05126");
    check("sha1", 1, "Spark", 0, 0, "85f5955f4b27a9a4c2aab6ffe5d7189fc298b92c");
    check("sha2", 2, "Spark", "i:256", 0,
          "529bc3b07127ecb7e53a4dcf1991d9152c24537d919178022b2c42657f79a26b");
    check("sha2", 2, "Spark", "i:7", 0, "<null>");
}

static void test_unicode(void **state)
{
    (void)state;
    check("upper", 1, "straße", 0, 0, "STRASSE");
    check("lower", 1, "ÀÉÎ", 0, 0, "àéî");
    check("upper", 1, "привет", 0, 0, "ПРИВЕТ");
    check("lower", 1, "ΟΔΟΣ ΣΑ", 0, 0, "οδος σα");
    check("upper", 1, "𐐨x", 0, 0, "𐐀X");
    check("initcap", 1, "émile zola", 0, 0, "Émile Zola");
    check("length", 1, "😀a", 0, 0, "2");
    check("octet_length", 1, "😀a", 0, 0, "5");
    check("substring", 3, "a😀b", "i:2", "i:1", "😀");
    check("substring", 2, "héllo wörld 😀😀", "i:-2", 0, "😀😀");
    check("reverse", 1, "a😀bé", 0, 0, "éb😀a");
    check("instr", 2, "日本語テキスト", "テ", 0, "4");
    check("locate", 3, "é", "éaéa", "i:2", "3");
    check("lpad", 3, "é", "i:4", "日本", "日本日é");
    check("translate", 3, "añb😀", "ñ😀", "n", "anb");
    check("ascii", 1, "😀", 0, 0, "128512");
    check("chr", 1, "l:233", 0, 0, "é");
    check("like", 2, "日本語", "_本_", 0, "true");
    check("trim", 2, "😀x😀", "😀", 0, "x");
    /* Invalid UTF-8: bytes that start no character count as one each. */
    check("length", 1, "\xff\xfe", 0, 0, "2");
    check("upper", 1,
          "\xff"
          "a",
          0, 0,
          "\xff"
          "A");
    check("reverse", 1, "a\xff", 0, 0,
          "\xff"
          "a");
    check("length", 1, "\xe6\x97", 0, 0, "1");
    check("substring", 3, "\xf0\x9f", "i:1", "i:5", "\xf0\x9f");
}

/* Reference substring: code points in an array, Spark's rules spelled out. */
static void ref_substr(const uint32_t *cp, int n, int64_t pos, int64_t len, int *a, int *z)
{
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? n + pos : 0;
    int64_t end = start + len;
    if (start < 0) start = 0;
    if (end > n) end = n;
    if (start >= end) {
        *a = *z = 0;
        return;
    }
    *a = (int)start;
    *z = (int)end;
    (void)cp;
}

/* The reference LIKE: '_' one byte (the strings are ASCII), '%' any run,
 * "\\x" the literal x, tried every way. */
static bool ref_like(const char *s, const char *p)
{
    if (!*p) return !*s;
    if (*p == '%') return ref_like(s, p + 1) || (*s && ref_like(s + 1, p));
    if (!*s) return false;
    if (*p == '\\') return *s == p[1] && ref_like(s + 1, p + 2);
    return (*p == '_' || *p == *s) && ref_like(s + 1, p + 1);
}

/* LIKE on random strings and patterns of 'a', 'b', '%', '_' and escaped
 * '%' against the reference: the constant pattern's segment search and
 * the general matcher alike. */
static void test_random_like(void **state)
{
    (void)state;
    uint64_t seed = 0x1d2c3b4a5968;
    static const char *const ptoks[] = {"a", "b", "%", "%", "ab", "_", "\\%"};
    for (int round = 0; round < 3000; round++) {
        char str[16], pat[32];
        int sn = (int)(kt_rand(&seed) % 10), pn = 0;
        for (int i = 0; i < sn; i++) str[i] = "ab%"[kt_rand(&seed) % 3];
        str[sn] = 0;
        int np = (int)(kt_rand(&seed) % 6);
        for (int i = 0; i < np; i++) {
            const char *t = ptoks[kt_rand(&seed) % (round % 2 ? 5 : 7)];
            size_t tn = strlen(t);
            memcpy(pat + pn, t, tn);
            pn += (int)tn;
        }
        pat[pn] = 0;
        check("like", 2, str, pat, 0, ref_like(str, pat) ? "true" : "false");
    }
}

static void test_random_substring(void **state)
{
    (void)state;
    static const char *const pieces[] = {"a", "Z", " ", "é", "日", "😀", "ß"};
    static const uint32_t cps[] = {'a', 'Z', ' ', 0xE9, 0x65E5, 0x1F600, 0xDF};
    srand(7);
    kiln_arena *a = kiln_arena_new();
    enum { N = 500 };
    const char *strs[N];
    uint32_t cp[N][40];
    int ncp[N];
    for (int i = 0; i < N; i++) {
        char buf[200] = "";
        ncp[i] = rand() % 30;
        for (int k = 0; k < ncp[i]; k++) {
            int p = rand() % 7;
            strcat(buf, pieces[p]);
            cp[i][k] = cps[p];
        }
        strs[i] = i % 17 == 0 ? NULL : strcpy(kiln_arena_alloc(a, strlen(buf) + 1), buf);
    }
    col_vec args[3];
    args[0] = kt_strs(a, strs, N);
    col_vec_init(&args[1], a, &col_type_i32, N);
    col_vec_init(&args[2], a, &col_type_i32, N);
    args[1].n = args[2].n = N;
    for (int i = 0; i < N; i++) {
        COL_DATA(&args[1], int32_t)[i] = rand() % 70 - 35;
        COL_DATA(&args[2], int32_t)[i] = rand() % 50 - 10;
    }
    kt_res r = kt_call(a, tables, "substring", args, 3, NULL, N, "UTC", true);
    assert_int_equal(r.rc, 0);
    for (int i = 0; i < N; i++) {
        if (!strs[i]) {
            assert_false(col_valid(&r.out, i));
            continue;
        }
        int x, z;
        ref_substr(cp[i], ncp[i], COL_DATA(&args[1], int32_t)[i], COL_DATA(&args[2], int32_t)[i],
                   &x, &z);
        char want[200] = "";
        for (int k = x; k < z; k++)
            for (int p = 0; p < 7; p++)
                if (cps[p] == cp[i][k]) strcat(want, pieces[p]);
        assert_string_equal(kt_out_str(a, &r.out, i), want);
    }
    /* upper/lower of ASCII against toupper/tolower. */
    r = kt_call(a, tables, "upper", args, 1, NULL, N, "UTC", true);
    kt_res l = kt_call(a, tables, "lower", args, 1, NULL, N, "UTC", true);
    for (int i = 0; i < N; i++) {
        if (!strs[i]) continue;
        char u[200], w[200];
        size_t k = 0, j = 0;
        const char *s = strs[i];
        for (; *s; s++) {
            if (*s == 'a' || *s == 'Z' || *s == ' ') {
                u[k++] = (char)(*s == 'a' ? 'A' : *s);
                w[j++] = (char)(*s == 'Z' ? 'z' : *s);
            } else if (!strncmp(s, "é", 2)) {
                memcpy(u + k, "É", 2), k += 2, memcpy(w + j, "é", 2), j += 2, s++;
            } else if (!strncmp(s, "ß", 2)) {
                memcpy(u + k, "SS", 2), k += 2, memcpy(w + j, "ß", 2), j += 2, s++;
            } else {
                size_t n = (unsigned char)*s >= 0xF0 ? 4 : 3;
                memcpy(u + k, s, n), k += n, memcpy(w + j, s, n), j += n, s += n - 1;
            }
        }
        u[k] = w[j] = 0;
        assert_string_equal(kt_out_str(a, &r.out, i), u);
        assert_string_equal(kt_out_str(a, &l.out, i), w);
    }
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spark_examples),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_random_substring),
        cmocka_unit_test(test_random_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
