/*
 * tests/unit/test_ds_json.c - the JSON source (src/datasource): schema
 * inference against Spark's documented rules (long + double -> double,
 * conflicts -> string, objects -> structs with sorted fields, arrays of the
 * merged element type, all-null -> string or dropped, the corrupt-record
 * column added), nested values, the three modes, Jackson's leniency
 * options, multiLine files, every two-way split of random JSON Lines files
 * equal to one split, and the writer (Spark's text for each type, nested)
 * read back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/ds_int.h"
#include "kt.h"
#include "kt_ds.h"

static char *dir;

static char *rd(const char *text, const char *ddl, ds_options *o, char **schema)
{
    char *p = kt_path(dir, "t.json");
    kt_write_file(p, text, strlen(text));
    char *rows = NULL;
    if (kt_ds_read("json", p, o, ddl, NULL, 0, &rows, schema)) rows = NULL;
    free(p);
    return rows;
}

static void expect(const char *text, const char *ddl, ds_options *o, const char *want_schema,
                   const char *want)
{
    char *schema = NULL;
    char *got = rd(text, ddl, o, &schema);
    if (!got) fail_msg("read failed: %s", kiln_last_error());
    if (want_schema && strcmp(schema, want_schema) != 0)
        fail_msg("schema\n%s\nwant\n%s", schema, want_schema);
    if (strcmp(got, want) != 0) fail_msg("input:\n%s\ngot:\n%s\nwant:\n%s", text, got, want);
    free(got);
    free(schema);
}

static void test_infer(void **state)
{
    (void)state;
    ds_options *o = kt_ds_opts(NULL);
    expect("{\"b\":\"x\",\"a\":1}\n"
           "{\"a\":2.5,\"c\":[1,2]}\n"
           "\n"
           "{\"a\":null,\"d\":{\"y\":1,\"x\":\"s\"},\"e\":null,\"f\":1}\n"
           "{\"f\":\"s\",\"g\":123456789012345678901,\"h\":[],\"i\":true}\n",
           NULL, o,
           "a:double,b:string,c:array<bigint>,d:struct<x:string,y:bigint>,e:string,f:string,"
           "g:decimal(21,0),h:array<string>,i:boolean",
           "1.0|x|NULL|NULL|NULL|NULL|NULL|NULL|NULL\n"
           "2.5|NULL|[1, 2]|NULL|NULL|NULL|NULL|NULL|NULL\n"
           "NULL|NULL|NULL|(s,1)|NULL|1|NULL|NULL|NULL\n"
           "NULL|NULL|NULL|NULL|NULL|s|1.2345678901234568e+20|[]|true\n");
    /* A top-level array gives a row per object; a struct merges field by field. */
    expect("[{\"s\":{\"a\":1}},{\"s\":{\"b\":[{\"z\":null}]}}]\n", NULL, o,
           "s:struct<a:bigint,b:array<struct<z:string>>>", "(1,null)\n(null,[(null)])\n");
    ds_options_free(o);
    o = kt_ds_opts("dropFieldIfAllNull", "true", "prefersDecimal", "true", NULL);
    expect("{\"a\":null,\"b\":1.25,\"c\":[],\"d\":{\"x\":null}}\n{\"a\":null,\"b\":10.5}\n", NULL,
           o, "b:decimal(4,2)", "1.25\n10.5\n");
    ds_options_free(o);
    o = kt_ds_opts("primitivesAsString", "true", NULL);
    expect("{\"a\":1,\"b\":true,\"c\":[1.5]}\n", NULL, o, "a:string,b:string,c:array<string>",
           "1|true|[1.5]\n");
    ds_options_free(o);
}

static void test_types(void **state)
{
    (void)state;
    ds_options *o = kt_ds_opts(NULL);
    expect("{\"i\":1,\"d\":\"2020-01-02\",\"t\":\"2020-01-02T03:04:05Z\",\"m\":{\"k\":1},"
           "\"s\":{\"x\":[1]},\"f\":\"NaN\",\"n\":12.5}\n"
           "{\"i\":-2147483648,\"t\":1,\"m\":{},\"s\":[1],\"f\":1}\n",
           "i INT, d DATE, t TIMESTAMP, m MAP<STRING,INT>, s STRING, f DOUBLE, n DECIMAL(4,1)", o,
           NULL,
           "1|18263|1577934245000000|[(k,1)]|{\"x\":[1]}|NaN|12.5\n"
           "-2147483648|NULL|1000000|[]|[1]|1.0|NULL\n");
    ds_options_free(o);
}

static void test_modes(void **state)
{
    (void)state;
    const char *text = "{\"a\":1}\n{\"a\":\n{\"a\":\"x\",\"b\":\"y\"}\n{\"a\":2,\"b\":\"z\"}\n5\n";
    ds_options *o = kt_ds_opts(NULL);
    /* Inference adds the corrupt-record column when it met a malformed record. */
    expect(text, NULL, o, "_corrupt_record:string,a:string,b:string",
           "NULL|1|NULL\n{\"a\":|NULL|NULL\nNULL|x|y\nNULL|2|z\n5|NULL|NULL\n");
    expect(text, "a BIGINT, b STRING, _corrupt_record STRING", o, NULL,
           "1|NULL|NULL\nNULL|NULL|{\"a\":\nNULL|y|{\"a\":\"x\",\"b\":\"y\"}\n2|z|NULL\n"
           "NULL|NULL|5\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "DROPMALFORMED", NULL);
    expect(text, "a BIGINT, b STRING", o, NULL, "1|NULL\n2|z\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "FAILFAST", NULL);
    assert_null(rd(text, "a BIGINT, b STRING", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "t.json:2"));
    assert_null(rd("{\"a\":1}\n{\"a\":\"x\"}\n", "a BIGINT", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "t.json:2"));
    assert_non_null(strstr(kiln_last_error(), "\"a\""));
    ds_options_free(o);
}

static void test_leniency(void **state)
{
    (void)state;
    const char *ddl = "a BIGINT, b STRING";
    ds_options *o = kt_ds_opts(NULL);
    expect("{'a':1,'b':'q\\'s'}\n", ddl, o, NULL, "1|q's\n");
    expect("{\"a\":01}\n", ddl, o, NULL, "NULL|NULL\n"); /* malformed: null row */
    expect("{\"b\":\"\\u00e9\\ud83d\\ude00\\n\"}\n", ddl, o, NULL, "NULL|é😀\n\n");
    ds_options_free(o);
    o = kt_ds_opts("allowComments", "true", "allowUnquotedFieldNames", "true",
                   "allowNumericLeadingZeros", "true", "allowBackslashEscapingAnyCharacter", "true",
                   "allowSingleQuotes", "false", NULL);
    expect("{/*c*/a:007, b:\"\\q\"} // end\n{\"b\":'x'}\n", ddl, o, NULL, "7|q\nNULL|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("multiLine", "true", NULL);
    expect("[\n {\"a\": 1,\n  \"b\": \"x\"},\n {\"a\": 2}\n]\n", ddl, o, NULL, "1|x\n2|NULL\n");
    expect("{\"a\": 3,\n \"b\": \"line\\nbreak\"}", ddl, o, NULL, "3|line\nbreak\n");
    ds_options_free(o);
}

/* Random JSON Lines: every split gives the same rows, equal to the values written. */
static void test_split_property(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 3);
    static const char *const strs[] = {"a", "é", "q\\\"q", "x y", "", "日本", "{}", "[1"};
    static const char *const vals[] = {"a", "é", "q\"q", "x y", "", "日本", "{}", "[1"};
    for (int iter = 0; iter < 5; iter++) {
        char *text = NULL, *want = NULL;
        size_t tl = 0, wl = 0;
        FILE *ft = open_memstream(&text, &tl), *fw = open_memstream(&want, &wl);
        int rows = 3 + iter * 9;
        for (int i = 0; i < rows; i++) {
            long long x = (long long)(rng_next(&r) % 100000) - 50000;
            int s = (int)(rng_next(&r) % 8);
            bool has_x = rng_next(&r) % 5 != 0;
            fprintf(ft, "{%s\"s\":\"%s\",\"arr\":[%lld,null]}\n", has_x ? "\"x\": " : "", strs[s],
                    x);
            if (has_x) fprintf(ft, "%s", "");
            fprintf(fw, "%s|%s|[%lld, null]\n", "NULL", vals[s], x);
            (void)has_x;
        }
        fclose(ft);
        fclose(fw);
        /* "x": with nothing after it is malformed: rewrite without it. */
        char *clean = malloc(tl + 1);
        size_t k = 0;
        for (size_t i = 0; i < tl; i++) {
            if (strncmp(text + i, "\"x\": ", 5) == 0) {
                i += 4;
                continue;
            }
            clean[k++] = text[i];
        }
        clean[k] = '\0';
        char *p = kt_path(dir, "split.json");
        kt_write_file(p, clean, k);
        ds_options *o = kt_ds_opts(NULL);
        const char *ddl = "x BIGINT, s STRING, arr ARRAY<BIGINT>";
        char *got;
        assert_int_equal(kt_ds_read("json", p, o, ddl, NULL, 0, &got, NULL), 0);
        if (strcmp(got, want) != 0) fail_msg("got\n%s\nwant\n%s", got, want);
        free(got);
        for (int64_t cut = 1; cut < (int64_t)k; cut++) {
            assert_int_equal(kt_ds_read("json", p, o, ddl, &cut, 1, &got, NULL), 0);
            assert_string_equal(got, want);
            free(got);
        }
        ds_options_free(o);
        free(p);
        free(clean);
        free(text);
        free(want);
    }
}

/* The writer's text for every type, nested; then read back. */
static void test_writer(void **state)
{
    (void)state;
    const char *in = "{\"i\":1,\"d\":1.0E10,\"s\":\"a\\\"b\\n\\u0001é\",\"b\":true,"
                     "\"dt\":\"2020-01-02\",\"ts\":\"2020-01-02T03:04:05.5+01:00\","
                     "\"m\":12.30,\"arr\":[1,null,3],\"st\":{\"x\":1,\"y\":[\"q\"]},"
                     "\"mp\":{\"k\":2.5}}\n"
                     "{\"i\":null,\"d\":\"NaN\",\"arr\":[]}\n";
    const char *ddl = "i INT, d DOUBLE, s STRING, b BOOLEAN, dt DATE, ts TIMESTAMP, "
                      "m DECIMAL(5,2), arr ARRAY<INT>, st STRUCT<x: BIGINT, y: ARRAY<STRING>>, "
                      "mp MAP<STRING, DOUBLE>";
    const char *want =
        "{\"i\":1,\"d\":1.0E10,\"s\":\"a\\\"b\\n\\u0001é\",\"b\":true,\"dt\":\"2020-01-02\","
        "\"ts\":\"2020-01-02T02:04:05.500Z\",\"m\":12.30,\"arr\":[1,null,3],"
        "\"st\":{\"x\":1,\"y\":[\"q\"]},\"mp\":{\"k\":2.5}}\n"
        "{\"d\":\"NaN\",\"arr\":[]}\n";
    char *p = kt_path(dir, "w.json");
    kt_write_file(p, in, strlen(in));
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    size_t pos;
    assert_int_equal(col_schema_parse_ddl(a, ddl, strlen(ddl), &s, &pos), 0);
    ds_options *o = kt_ds_opts(NULL);
    ds_split sp = {p, 0, -1};
    ds_reader *r;
    assert_int_equal(ds_reader_open("json", &sp, &s, NULL, s.n, o, &r), 0);
    col_batch b;
    assert_int_equal(ds_reader_next(r, a, &b), 1);
    char *out = kt_path(dir, "wout");
    io_output_job *job;
    assert_int_equal(io_output_job_begin(out, &job), 0);
    ds_writer *w;
    assert_int_equal(ds_writer_open("json", job, 0, 0, "abc", &s, o, &w), 0);
    assert_int_equal(ds_writer_write(w, &b), 0);
    assert_int_equal(ds_writer_commit(w), 0);
    assert_int_equal(io_output_job_commit(job, 1), 0);
    ds_reader_close(r);
    char *part = kt_path(out, "part-00000-abc-c000.json");
    size_t n;
    char *got = kt_read_file(part, &n);
    assert_non_null(got);
    assert_string_equal(got, want);
    /* Read back: the same rows. */
    char *rows1, *rows2;
    assert_int_equal(kt_ds_read("json", p, o, ddl, NULL, 0, &rows1, NULL), 0);
    assert_int_equal(kt_ds_read("json", part, o, ddl, NULL, 0, &rows2, NULL), 0);
    assert_string_equal(rows1, rows2);
    free(rows1);
    free(rows2);
    free(got);
    free(part);
    free(out);
    ds_options_free(o);
    kiln_arena_free(a);
    free(p);
}

int main(void)
{
    dir = kt_tmpdir_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_infer),          cmocka_unit_test(test_types),
        cmocka_unit_test(test_modes),          cmocka_unit_test(test_leniency),
        cmocka_unit_test(test_split_property), cmocka_unit_test(test_writer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kt_rm_rf(dir);
    free(dir);
    return rc;
}
