/*
 * test_sql_udf.c - native UDFs (include/kiln/udf.h) end to end through
 * kiln_sql: the test library tests/support/udf_test.c (built as a MODULE,
 * its path in KILN_TEST_UDF) over a random CSV with nulls, unicode and
 * empty strings, against sequential loops over the rows the test wrote:
 * a numeric function (haversine), string functions (strict and not), a
 * variadic one with a bind callback, calls under a filter's selection,
 * with constant arguments, grouped by, through the DataFrame API; errors:
 * a failing function (task failure naming it), wrong argument types and
 * counts at bind (with the SQL position), a missing library or symbol, a
 * wrong ABI version, built-in names; CREATE OR REPLACE / IF NOT EXISTS,
 * DROP, SHOW FUNCTIONS. KT_MASTER runs it under another master (CMake
 * reruns it under local-cluster[2,1,256], where executor processes load
 * the library themselves).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt_rand.h"
#include "kt_rows.h"
#include "sql/session_int.h"
#include "udf_test_ref.h"

#define NROWS 3000

static struct row {
    bool has_pt, has_s;
    double lat1, lon1, lat2, lon2;
    char s[32];
} rows[NROWS];
static char path[256], empty_path[256];
static kiln_context *ctx;
static kiln_session *S;

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}
static double unif(double lo, double hi)
{
    return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0;
}

static const char *const words[] = {"", "a", "héllo", "日本語", "abc def", "x😀y", "Zürich"};

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/kiln-test-udf-%d.csv", (int)getpid());
    snprintf(empty_path, sizeof empty_path, "/tmp/kiln-test-udf-empty-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "id,lat1,lon1,lat2,lon2,s\n");
    for (int i = 0; i < NROWS; i++) {
        struct row *r = &rows[i];
        r->has_pt = rnd() % 8 != 0;
        r->has_s = rnd() % 6 != 0;
        r->lat1 = unif(-90, 90);
        r->lon1 = unif(-180, 180);
        r->lat2 = i % 10 == 0 ? r->lat1 : unif(-90, 90); /* some zero distances */
        r->lon2 = i % 10 == 0 ? r->lon1 : unif(-180, 180);
        snprintf(r->s, sizeof r->s, "%s%s", words[rnd() % 7], rnd() % 3 ? "" : "-long-tail-x");
        fprintf(f, "%d,", i);
        if (r->has_pt) fprintf(f, "%.17g,%.17g,%.17g,%.17g,", r->lat1, r->lon1, r->lat2, r->lon2);
        else fprintf(f, ",,,,");
        /* kiln's CSV reader reads "" as null (Spark reads an empty
         * string): the test counts an empty string as null. */
        if (!r->s[0]) r->has_s = false;
        if (r->has_s) fprintf(f, "\"%s\"\n", r->s);
        else fprintf(f, "\n");
    }
    fclose(f);
    if (!(f = fopen(empty_path, "w"))) return -1;
    fprintf(f, "id,lat1,lon1,lat2,lon2,s\n");
    fclose(f);
    if (kt_sql_open(&ctx, &S)) return -1;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW pts (id INT, lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, "
             "lon2 DOUBLE, s STRING) USING csv OPTIONS (path '%s', header 'true')",
             path);
    if (!kiln_sql(S, sql)) return -1;
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW nothing (id INT, lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, "
             "lon2 DOUBLE, s STRING) USING csv OPTIONS (path '%s', header 'true')",
             empty_path);
    if (!kiln_sql(S, sql)) return -1;
    static const char *const fns[] = {"haversine", "udf_haversine", "rev",     "udf_reverse",
                                      "len_or",    "udf_len_or",    "sum_all", "udf_sum_all",
                                      "fail_neg",  "udf_fail_neg"};
    for (int i = 0; i < 10; i += 2) {
        snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION %s AS '%s:%s'", fns[i], KILN_TEST_UDF,
                 fns[i + 1]);
        if (!kiln_sql(S, sql)) {
            fprintf(stderr, "%s\n", kiln_last_error());
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    unlink(path);
    unlink(empty_path);
    return 0;
}

/* Collects a query's rows (sorted by the query) into *out; fails the test
 * with the error when it fails. */
static const kiln_value *query(kiln_arena *a, const char *sql, uint32_t *n)
{
    kiln_df *df = kiln_sql(S, sql);
    if (!df) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_value list;
    if (kiln_df_collect(df, a, &list) != KILN_OK) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_df_free(df);
    *n = list.len;
    return list.u.items;
}

/* The error of a statement (analysis or run), as a string. */
static const char *error_of(const char *sql)
{
    kiln_df *df = kiln_sql(S, sql);
    if (df) {
        kiln_arena *a = kiln_arena_new();
        kiln_value list;
        int rc = kiln_df_collect(df, a, &list);
        kiln_arena_free(a);
        kiln_df_free(df);
        if (rc == KILN_OK) fail_msg("no error from %s", sql);
    }
    return kiln_last_error();
}

static void assert_has(const char *msg, const char *part)
{
    if (!strstr(msg, part)) fail_msg("'%s' not in: %s", part, msg);
}

static void test_haversine(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    uint32_t n;
    const kiln_value *v = query(a,
                                "SELECT id, haversine(lat1, lon1, lat2, lon2) FROM pts ORDER BY id",
                                &n);
    assert_int_equal(n, NROWS);
    for (uint32_t i = 0; i < n; i++) {
        const kiln_value *t = v[i].u.items;
        assert_int_equal(t[0].u.i, i);
        const struct row *r = &rows[i];
        if (!r->has_pt) {
            assert_int_equal(t[1].type, KILN_NULL);
            continue;
        }
        assert_int_equal(t[1].type, KILN_DOUBLE);
        double want = udf_ref_haversine(r->lat1, r->lon1, r->lat2, r->lon2);
        if (fabs(t[1].u.d - want) > 1e-9 * (1 + want))
            fail_msg("row %u: %.17g, want %.17g", i, t[1].u.d, want);
    }
    /* Under a filter (the call sees a selection of rows: only those with
     * id % 3 = 0 AND a distance), constant integer arguments cast to
     * double, and a distance of zero. */
    v = query(a,
              "SELECT id, haversine(0, 0, lat2, lon2) AS d FROM pts WHERE id % 3 = 0 AND "
              "haversine(lat1, lon1, lat2, lon2) > 5000 ORDER BY id",
              &n);
    uint32_t k = 0;
    for (int i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        if (i % 3 || !r->has_pt || !(udf_ref_haversine(r->lat1, r->lon1, r->lat2, r->lon2) > 5000))
            continue;
        assert_true(k < n);
        const kiln_value *t = v[k++].u.items;
        assert_int_equal(t[0].u.i, i);
        double want = udf_ref_haversine(0, 0, r->lat2, r->lon2);
        assert_true(fabs(t[1].u.d - want) <= 1e-9 * (1 + want));
    }
    assert_int_equal(k, n);
    /* All arguments constant: evaluated once; a null constant: null. */
    v = query(a, "SELECT haversine(0, 0, 0, 90), haversine(0, 0, NULL, 1) FROM pts LIMIT 1", &n);
    assert_int_equal(n, 1);
    assert_true(fabs(v[0].u.items[0].u.d - udf_ref_haversine(0, 0, 0, 90)) < 1e-9);
    assert_int_equal(v[0].u.items[1].type, KILN_NULL);
    /* Empty input. */
    v = query(a, "SELECT haversine(lat1, lon1, lat2, lon2) FROM nothing", &n);
    assert_int_equal(n, 0);
    kiln_arena_free(a);
}

/* Code points of s reversed (the reference of udf_reverse). */
static void reverse_ref(const char *s, char *out)
{
    size_t n = strlen(s), w = n;
    out[n] = 0;
    for (size_t k = 0; k < n;) {
        unsigned char b = (unsigned char)s[k];
        size_t m = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        w -= m;
        memcpy(out + w, s + k, m);
        k += m;
    }
}

static int cp_len(const char *s)
{
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void test_strings(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    uint32_t n;
    const kiln_value *v = query(
        a, "SELECT id, rev(s), len_or(s), rev(rev(s)) = s FROM pts WHERE id % 2 = 1 ORDER BY id",
        &n);
    assert_int_equal(n, NROWS / 2);
    for (uint32_t k = 0; k < n; k++) {
        const kiln_value *t = v[k].u.items;
        int i = 2 * (int)k + 1;
        assert_int_equal(t[0].u.i, i);
        const struct row *r = &rows[i];
        if (!r->has_s) {
            assert_int_equal(t[1].type, KILN_NULL);
            assert_int_equal(t[2].u.i, -1); /* not strict: the UDF decides */
            assert_int_equal(t[3].type, KILN_NULL);
            continue;
        }
        char want[64];
        reverse_ref(r->s, want);
        assert_int_equal(t[1].type, KILN_STR);
        assert_int_equal(t[1].len, strlen(want));
        assert_memory_equal(t[1].u.s, want, t[1].len);
        assert_int_equal(t[2].u.i, cp_len(r->s));
        assert_true(t[3].u.b);
    }
    /* Grouped by a UDF's result (the same call in SELECT and GROUP BY is
     * one expression; the plan crosses a shuffle). */
    v = query(a, "SELECT len_or(s) AS n, count(*) FROM pts GROUP BY len_or(s) ORDER BY n", &n);
    int64_t counts[64] = {0}, seen = 0;
    for (int i = 0; i < NROWS; i++) counts[rows[i].has_s ? cp_len(rows[i].s) + 1 : 0]++;
    for (uint32_t k = 0; k < n; k++) {
        const kiln_value *t = v[k].u.items;
        assert_int_equal(t[1].u.i, counts[t[0].u.i + 1]);
        seen += t[1].u.i;
    }
    assert_int_equal(seen, NROWS);
    kiln_arena_free(a);
}

static void test_bind_callback(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    uint32_t n;
    /* int, double and a null int: all cast to double by bind; null only
     * when every argument is null (the UDF decides: not strict). */
    const kiln_value *v = query(
        a, "SELECT id, sum_all(id, lat1, CAST(NULL AS INT)), sum_all(lat2) FROM pts ORDER BY id",
        &n);
    assert_int_equal(n, NROWS);
    for (uint32_t i = 0; i < n; i++) {
        const kiln_value *t = v[i].u.items;
        const struct row *r = &rows[i];
        double want = (double)i + (r->has_pt ? r->lat1 : 0);
        assert_true(fabs(t[1].u.d - want) < 1e-9 * (1 + fabs(want)));
        if (r->has_pt) assert_true(t[2].u.d == r->lat2);
        else assert_int_equal(t[2].type, KILN_NULL);
    }
    kiln_arena_free(a);
}

static void test_dataframe_api(void **state)
{
    (void)state;
    assert_int_equal(kiln_session_register_udf(S, "Dist", KILN_TEST_UDF, "udf_haversine"), KILN_OK);
    kiln_df *t = kiln_session_table(S, "pts");
    kiln_col *args[] = {kiln_fn_col(S, "lat1"), kiln_fn_col(S, "lon1"), kiln_fn_col(S, "lat2"),
                        kiln_fn_col(S, "lon2")};
    kiln_col *cols[] = {kiln_fn_col(S, "id"), kiln_fn("dist", args, 4)};
    kiln_df *d = kiln_df_select(t, cols, 2);
    assert_non_null(d);
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    assert_int_equal(kiln_df_collect(d, a, &list), KILN_OK);
    assert_int_equal(list.len, NROWS);
    for (uint32_t k = 0; k < list.len; k++) {
        const kiln_value *x = list.u.items[k].u.items;
        const struct row *r = &rows[x[0].u.i];
        if (!r->has_pt) assert_int_equal(x[1].type, KILN_NULL);
        else
            assert_true(fabs(x[1].u.d - udf_ref_haversine(r->lat1, r->lon1, r->lat2, r->lon2)) <
                        1e-6);
    }
    kiln_arena_free(a);
    kiln_df_free(d);
    kiln_df_free(t);
}

static void test_run_error(void **state)
{
    (void)state;
    const char *m = error_of("SELECT fail_neg(lat1) FROM pts");
    assert_has(m, "FAILED_EXECUTE_UDF");
    assert_has(m, "`fail_neg`");
    assert_has(m, "negative input");
    /* No negative input: no error. */
    kiln_arena *a = kiln_arena_new();
    uint32_t n;
    const kiln_value *v = query(a, "SELECT id, fail_neg(lat1) FROM pts WHERE lat1 >= 0 ORDER BY id",
                                &n);
    uint32_t k = 0;
    for (int i = 0; i < NROWS; i++) {
        if (!rows[i].has_pt || rows[i].lat1 < 0) continue;
        assert_true(k < n);
        assert_int_equal(v[k].u.items[0].u.i, i);
        assert_true(v[k++].u.items[1].u.d == sqrt(rows[i].lat1));
    }
    assert_int_equal(k, n);
    kiln_arena_free(a);
}

static void test_bind_errors(void **state)
{
    (void)state;
    const char *m = error_of("SELECT id,\n  haversine(s, lon1, lat2, lon2) FROM pts");
    assert_has(m, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE");
    assert_has(m, "first parameter requires the \"DOUBLE\" type");
    assert_has(m, "\"s\" has the type \"STRING\"");
    assert_has(m, "line 2 pos 2");
    m = error_of("SELECT haversine(lat1, lon1) FROM pts");
    assert_has(m, "WRONG_NUM_ARGS");
    assert_has(m, "pos 7");
    m = error_of("SELECT sum_all(s) FROM pts");
    assert_has(m, "argument 1 is not a number");
    m = error_of("SELECT rev(id) FROM pts");
    assert_has(m, "UNEXPECTED_INPUT_TYPE");
}

static void test_catalog(void **state)
{
    (void)state;
    char sql[1024];
    const char *m = error_of("CREATE TEMPORARY FUNCTION f AS '/nonexistent/libx.so:f'");
    assert_has(m, "CANNOT_LOAD_FUNCTION_CLASS");
    assert_has(m, "/nonexistent/libx.so");
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION f AS '%s:no_such_symbol'", KILN_TEST_UDF);
    m = error_of(sql);
    assert_has(m, "no_such_symbol");
    assert_has(m, KILN_TEST_UDF);
    /* A library that is not a shared object: dlerror() says why. */
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION f AS '%s:f'", path);
    m = error_of(sql);
    assert_has(m, "CANNOT_LOAD_FUNCTION_CLASS");
    assert_has(m, path);
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION f AS '%s:udf_bad_abi'", KILN_TEST_UDF);
    assert_has(error_of(sql), "ABI version");
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION upper AS '%s:udf_reverse'", KILN_TEST_UDF);
    assert_has(error_of(sql), "built-in");
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION rev AS '%s:udf_reverse'", KILN_TEST_UDF);
    assert_has(error_of(sql), "ROUTINE_ALREADY_EXISTS");
    snprintf(sql, sizeof sql, "CREATE TEMPORARY FUNCTION IF NOT EXISTS rev AS '%s:udf_len_or'",
             KILN_TEST_UDF);
    assert_non_null(kiln_sql(S, sql));
    /* The symbol defaults to the function's name. */
    snprintf(sql, sizeof sql, "CREATE FUNCTION udf_len_or AS '%s'", KILN_TEST_UDF);
    assert_non_null(kiln_sql(S, sql));
    kiln_arena *a = kiln_arena_new();
    uint32_t n;
    const kiln_value *v = query(a, "SELECT rev('abc'), udf_len_or('abc')", &n);
    assert_memory_equal(v[0].u.items[0].u.s, "cba", 3);
    assert_int_equal(v[0].u.items[1].u.i, 3);
    snprintf(sql, sizeof sql, "CREATE OR REPLACE TEMPORARY FUNCTION rev AS '%s:udf_len_or'",
             KILN_TEST_UDF);
    assert_non_null(kiln_sql(S, sql));
    v = query(a, "SELECT rev('abc')", &n);
    assert_int_equal(v[0].u.items[0].u.i, 3);
    kiln_arena_free(a);
    assert_non_null(kiln_sql(S, "DROP TEMPORARY FUNCTION udf_len_or"));
    assert_has(error_of("SELECT udf_len_or('x')"), "UNRESOLVED_ROUTINE");
    assert_has(error_of("DROP FUNCTION udf_len_or"), "ROUTINE_NOT_FOUND");
    assert_non_null(kiln_sql(S, "DROP FUNCTION IF EXISTS udf_len_or"));
}

static int collect_show(void *arg, const char *stmt, size_t len, const sql_outcome *o,
                        double seconds)
{
    (void)stmt, (void)len, (void)seconds;
    char *out = arg;
    out[0] = 0;
    for (int b = 0; b < o->rows.nbatches; b++)
        for (uint32_t i = 0; i < o->rows.batches[b].n; i++) {
            const col_str *s = &COL_DATA(&o->rows.batches[b].cols[0], col_str)[i];
            strncat(out, col_str_data(s), s->len);
            strcat(out, ",");
        }
    return 0;
}

static void test_show_functions(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(sql_session_run(S, "SHOW FUNCTIONS", collect_show, out), KILN_OK);
    assert_string_equal(out, "dist,fail_neg,haversine,len_or,rev,sum_all,");
    assert_int_equal(sql_session_run(S, "SHOW FUNCTIONS LIKE 'h*|REV'", collect_show, out),
                     KILN_OK);
    assert_string_equal(out, "haversine,rev,");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_haversine),     cmocka_unit_test(test_strings),
        cmocka_unit_test(test_bind_callback), cmocka_unit_test(test_dataframe_api),
        cmocka_unit_test(test_run_error),     cmocka_unit_test(test_bind_errors),
        cmocka_unit_test(test_catalog),       cmocka_unit_test(test_show_functions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
