/*
 * tests/unit/test_ds_csv.c - the CSV source (src/datasource): options and
 * modes on small files whose expected rows are written out by hand from
 * Spark's documented behaviour, schema inference, quoted newlines with and
 * without multiLine in the three modes, BOM, CRLF, ragged rows, enormous
 * fields, empty and header-only files, gzip input; and on random files:
 * every two-way split gives the rows of one split, the rows equal the
 * values the generator wrote (a reference), writer -> reader round trips,
 * and sqlite3's CSV import of the same file.
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
#include <unistd.h>
#include <zlib.h>

#include "datasource/ds_int.h"
#include "kt.h"
#include "kt_ds.h"

static char *dir;

static char *put(const char *name, const char *text, size_t n)
{
    char *p = kt_path(dir, name);
    kt_write_file(p, text, n);
    return p;
}

/* Reads text as name with options and ddl (NULL: inferred); returns rows or NULL. */
static char *rd(const char *text, const char *ddl, ds_options *o, char **schema)
{
    char *p = put("t.csv", text, strlen(text));
    char *rows = NULL;
    int rc = kt_ds_read("csv", p, o, ddl, NULL, 0, &rows, schema);
    if (rc) rows = NULL;
    free(p);
    return rows;
}

static void expect(const char *text, const char *ddl, ds_options *o, const char *want)
{
    char *got = rd(text, ddl, o, NULL);
    if (!got) fail_msg("read failed: %s", kiln_last_error());
    if (strcmp(got, want) != 0) fail_msg("input:\n%s\ngot:\n%s\nwant:\n%s", text, got, want);
    free(got);
}

static void test_basic(void **state)
{
    (void)state;
    ds_options *o = kt_ds_opts("header", "true", NULL);
    expect("a,b\n1,x\n2,\n,z\n", "a INT, b STRING", o, "1|x\n2|NULL\nNULL|z\n");
    ds_options_free(o);
    o = kt_ds_opts(NULL);
    /* Quotes, escapes, doubled quotes, separators inside quotes. */
    expect("\"a,b\",\"c\\\"d\",\"e\"\"f\"\n", "x STRING, y STRING, z STRING", o, "a,b|c\"d|e\"f\n");
    /* Blank lines skipped; a last line without a line end. */
    expect("1\n\n2\r\n\r\n3", "x INT", o, "1\n2\n3\n");
    /* CRLF and a BOM. */
    expect("\xEF\xBB\xBF"
           "1,a\r\n2,b\r\n",
           "x INT, y STRING", o, "1|a\n2|b\n");
    /* Empty file and header-only file. */
    expect("", "x INT", o, "");
    ds_options_free(o);
    o = kt_ds_opts("header", "true", NULL);
    expect("x,y\n", "x INT, y STRING", o, "");
    ds_options_free(o);
    /* Other separators, comments, nullValue, trimming. */
    o = kt_ds_opts("sep", "||", "comment", "#", "nullValue", "NA", "ignoreLeadingWhiteSpace",
                   "true", "ignoreTrailingWhiteSpace", "true", NULL);
    expect("#c\n 1 || NA||z\n2||  b  ||\n", "x INT, y STRING, z STRING", o, "1|NULL|z\n2|b|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("sep", "\\t", NULL);
    expect("1\t2.5\ttrue\n", "x BIGINT, y DOUBLE, z BOOLEAN", o, "1|2.5|true\n");
    ds_options_free(o);
    /* Empty fields as Spark's UnivocityParser: unquoted empty is null; a
     * quoted "" is emptyValue, then null when that equals nullValue (both
     * "" by default); another nullValue keeps the empty string, another
     * emptyValue replaces it. */
    static const char empties[] = "1,\"\",\n2,,\"\"\n";
    o = kt_ds_opts(NULL);
    expect(empties, "x INT, y STRING, z STRING", o, "1|NULL|NULL\n2|NULL|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("nullValue", "-", NULL);
    expect(empties, "x INT, y STRING, z STRING", o, "1||NULL\n2|NULL|\n");
    ds_options_free(o);
    o = kt_ds_opts("emptyValue", "E", NULL);
    expect(empties, "x INT, y STRING, z STRING", o, "1|E|NULL\n2|NULL|E\n");
    ds_options_free(o);
}

static void test_types(void **state)
{
    (void)state;
    ds_options *o = kt_ds_opts(NULL);
    expect("2020-01-02,2020-01-02T03:04:05.123Z,12.345,NaN,-Inf\n"
           "2021-2-3,2021-02-03 04:05:06,-0.5,1e10,Inf\n",
           "d DATE, t TIMESTAMP, m DECIMAL(5,2), f DOUBLE, g FLOAT", o,
           "18263|1577934245123000|12.35|NaN|-Infinity\n"
           "18661|1612325106000000|-0.5|10000000000.0|Infinity\n");
    ds_options_free(o);
}

static void test_infer(void **state)
{
    (void)state;
    ds_options *o = kt_ds_opts("header", "true", "inferSchema", "true", NULL);
    char *schema = NULL;
    char *rows = rd("i,l,dec,d,b,dt,ts,s,n,mix,a,a\n"
                    "1,10000000000,123456789012345678901,1.5,true,2020-01-01,"
                    "2020-01-01 10:00:00,x,,1,1,2\n"
                    "2,3,1,2,false,2020-01-02,2020-01-01T10:00:00Z,y,,2.5,2,3\n",
                    NULL, o, &schema);
    assert_non_null(rows);
    assert_string_equal(schema, "i:int,l:bigint,dec:decimal(21,0),d:double,b:boolean,dt:date,"
                                "ts:timestamp,s:string,n:string,mix:double,a10:int,a11:int");
    free(schema);
    free(rows);
    /* Merging: int + bool -> string, date + timestamp -> timestamp, int + bigint. */
    rows = rd("a,b,c\n1,2020-01-01,1\ntrue,2020-01-01 00:00:01,99999999999\n", NULL, o, &schema);
    assert_non_null(rows);
    assert_string_equal(schema, "a:string,b:timestamp,c:bigint");
    free(schema);
    free(rows);
    ds_options_free(o);
    /* Without inferSchema: strings, names _c0.. */
    o = kt_ds_opts(NULL);
    rows = rd("1,2\n3,4,5\n", NULL, o, &schema);
    assert_string_equal(schema, "_c0:string,_c1:string");
    free(schema);
    free(rows);
    ds_options_free(o);
}

/* Malformed records in the three modes. */
static void test_modes(void **state)
{
    (void)state;
    const char *text = "1,a\nx,b\n3\n4,d,e\n5,e\n";
    const char *ddl = "n INT, s STRING, _corrupt_record STRING";
    ds_options *o = kt_ds_opts(NULL);
    expect(text, ddl, o, "1|a|NULL\nNULL|b|x,b\n3|NULL|3\n4|d|4,d,e\n5|e|NULL\n");
    expect(text, "n INT, s STRING", o, "1|a\nNULL|b\n3|NULL\n4|d\n5|e\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "DROPMALFORMED", NULL);
    expect(text, ddl, o, "1|a|NULL\n5|e|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "failfast", NULL);
    assert_null(rd(text, ddl, o, NULL));
    const char *msg = kiln_last_error();
    assert_non_null(strstr(msg, "MALFORMED_RECORD_IN_PARSING"));
    assert_non_null(strstr(msg, "t.csv:2"));
    assert_non_null(strstr(msg, "\"n\""));
    assert_non_null(strstr(msg, "\"x\""));
    ds_options_free(o);
    /* Bad dates and numbers name the column. */
    o = kt_ds_opts("mode", "FAILFAST", "header", "true", NULL);
    assert_null(rd("d,v\n2020-01-01,1\n2020-13-01,2\n", "d DATE, v INT", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "t.csv:3"));
    assert_non_null(strstr(kiln_last_error(), "2020-13-01"));
    assert_null(rd("d,v\n2020-01-01,99999999999\n", "d DATE, v INT", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "\"v\""));
    ds_options_free(o);
    /* Bad options name the option. */
    o = kt_ds_opts("mode", "lenient", NULL);
    assert_null(rd("1\n", "x INT", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "mode"));
    ds_options_free(o);
    o = kt_ds_opts("encoding", "UTF-16", NULL);
    assert_null(rd("1\n", "x INT", o, NULL));
    assert_non_null(strstr(kiln_last_error(), "encoding"));
    ds_options_free(o);
}

/* A quoted newline: without multiLine Spark splits the record in two. */
static void test_quoted_newline(void **state)
{
    (void)state;
    const char *text = "1,\"a\nb\",x\n2,c,y\n";
    const char *ddl = "n INT, s STRING, t STRING, _corrupt_record STRING";
    ds_options *o = kt_ds_opts(NULL);
    expect(text, ddl, o, "1|a|NULL|1,\"a\nNULL|x|NULL|b\",x\n2|c|y|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "DROPMALFORMED", NULL);
    expect(text, ddl, o, "2|c|y|NULL\n");
    ds_options_free(o);
    o = kt_ds_opts("mode", "FAILFAST", NULL);
    assert_null(rd(text, ddl, o, NULL));
    assert_non_null(strstr(kiln_last_error(), "t.csv:1"));
    ds_options_free(o);
    const char *modes[] = {"PERMISSIVE", "DROPMALFORMED", "FAILFAST"};
    for (int m = 0; m < 3; m++) {
        o = kt_ds_opts("multiLine", "true", "mode", modes[m], NULL);
        expect(text, ddl, o, "1|a\nb|x|NULL\n2|c|y|NULL\n");
        expect("1,\"a\r\nb\"\r\n", "n INT, s STRING", o, "1|a\r\nb\n");
        ds_options_free(o);
    }
}

/* A 10 MB field, quoted and not. */
static void test_enormous_field(void **state)
{
    (void)state;
    size_t n = 10u << 20;
    char *text = malloc(2 * n + 64);
    size_t k = 0;
    text[k++] = '1';
    text[k++] = ',';
    memset(text + k, 'x', n);
    k += n;
    memcpy(text + k, "\n2,\"", 4);
    k += 4;
    memset(text + k, 'y', n);
    k += n;
    memcpy(text + k, "\"\n", 3);
    char *p = put("big.csv", text, strlen(text));
    ds_options *o = kt_ds_opts(NULL);
    char *rows;
    assert_int_equal(kt_ds_read("csv", p, o, "n INT, s STRING", NULL, 0, &rows, NULL), 0);
    assert_int_equal(strlen(rows), 2 * n + 6);
    assert_true(rows[2 + n - 1] == 'x' && rows[2 + n] == '\n' && rows[2 * n + 4] == 'y');
    free(rows);
    ds_options_free(o);
    /* maxCharsPerColumn stops it with an error naming the option. */
    o = kt_ds_opts("maxCharsPerColumn", "1000", NULL);
    assert_int_not_equal(kt_ds_read("csv", p, o, "n INT, s STRING", NULL, 0, &rows, NULL), 0);
    assert_non_null(strstr(kiln_last_error(), "maxCharsPerColumn"));
    ds_options_free(o);
    free(p);
    free(text);
}

/* ---- Random files ---------------------------------------------------------------- */

typedef struct gen {
    char *text, *want; /* the file; the rows the reader must give */
    size_t tl, wl;
} gen;

static void gadd(char **t, size_t *l, const char *p, size_t n)
{
    *t = realloc(*t, *l + n + 1);
    memcpy(*t + *l, p, n);
    *l += n;
    (*t)[*l] = '\0';
}

/* A random CSV of int, double, string columns; strings with commas, quotes
 * (escaped as \" or doubled when rfc), unicode; nulls as empty fields. */
static void gen_csv(gen *g, rng *r, int rows, bool rfc, bool crlf)
{
    static const char *const words[] = {"a", "héllo", "日本", "x,y", "q\"q", "", " sp ", "z"};
    memset(g, 0, sizeof *g);
    gadd(&g->text, &g->tl, "", 0);
    gadd(&g->want, &g->wl, "", 0);
    for (int i = 0; i < rows; i++) {
        char buf[64];
        int n;
        /* int */
        if (rng_next(r) % 8 == 0) {
            gadd(&g->want, &g->wl, "NULL|", 5);
        } else {
            long long v = (long long)(rng_next(r) % 2000001) - 1000000;
            n = snprintf(buf, sizeof buf, "%lld", v);
            gadd(&g->text, &g->tl, buf, (size_t)n);
            gadd(&g->want, &g->wl, buf, (size_t)n);
            gadd(&g->want, &g->wl, "|", 1);
        }
        gadd(&g->text, &g->tl, ",", 1);
        /* double with two decimals */
        if (rng_next(r) % 8 == 0) {
            gadd(&g->want, &g->wl, "NULL|", 5);
        } else {
            long long c = (long long)(rng_next(r) % 200001) - 100000;
            n = snprintf(buf, sizeof buf, "%lld.%02lld", c / 100, (c < 0 ? -c : c) % 100);
            if (c < 0 && c > -100) {
                n = snprintf(buf, sizeof buf, "-0.%02lld", -c);
            }
            gadd(&g->text, &g->tl, buf, (size_t)n);
            double d = strtod(buf, NULL);
            kiln_buf kb;
            kiln_buf_init(&kb);
            kiln_value kv = kiln_double(d);
            kiln_value_format(&kb, &kv);
            gadd(&g->want, &g->wl, (char *)kb.data, kb.len);
            kiln_buf_release(&kb);
            gadd(&g->want, &g->wl, "|", 1);
        }
        gadd(&g->text, &g->tl, ",", 1);
        /* string: 1-3 words, quoted when it must be (or at random) */
        char s[128] = "";
        int nw = 1 + (int)(rng_next(r) % 3);
        for (int w = 0; w < nw; w++) strcat(s, words[rng_next(r) % 8]);
        bool q = strpbrk(s, ",\"") != NULL || rng_next(r) % 4 == 0;
        if (s[0] == '\0' && !q) {
            gadd(&g->want, &g->wl, "NULL", 4);
        } else if (s[0] == '\0') {
            gadd(&g->want, &g->wl, "NULL", 4); /* "" is emptyValue = nullValue */
        } else {
            gadd(&g->want, &g->wl, s, strlen(s));
        }
        if (q) {
            gadd(&g->text, &g->tl, "\"", 1);
            for (char *c = s; *c; c++) {
                if (*c == '"') gadd(&g->text, &g->tl, rfc ? "\"" : "\\", 1);
                gadd(&g->text, &g->tl, c, 1);
            }
            gadd(&g->text, &g->tl, "\"", 1);
        } else {
            gadd(&g->text, &g->tl, s, strlen(s));
        }
        gadd(&g->text, &g->tl, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
        gadd(&g->want, &g->wl, "\n", 1);
    }
}

/* Every two-way split and random three-way splits give the generator's rows. */
static void test_split_property(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 42);
    const char *ddl = "i INT, d DOUBLE, s STRING";
    for (int iter = 0; iter < 6; iter++) {
        gen g;
        gen_csv(&g, &r, 5 + iter * 7, iter % 2 == 1, iter % 3 == 2);
        if (iter >= 4) { /* a BOM: the first record still starts at 0 */
            char *t = malloc(g.tl + 4);
            memcpy(t, "\xEF\xBB\xBF", 3);
            memcpy(t + 3, g.text, g.tl + 1);
            free(g.text);
            g.text = t;
            g.tl += 3;
        }
        char *p = put("split.csv", g.text, g.tl);
        ds_options *o = kt_ds_opts(iter % 2 ? "escape" : "quote", iter % 2 ? "\"" : "\"", NULL);
        char *rows;
        assert_int_equal(kt_ds_read("csv", p, o, ddl, NULL, 0, &rows, NULL), 0);
        if (strcmp(rows, g.want) != 0)
            fail_msg("file:\n%s\ngot:\n%s\nwant:\n%s", g.text, rows, g.want);
        free(rows);
        for (int64_t cut = 1; cut < (int64_t)g.tl; cut++) {
            assert_int_equal(kt_ds_read("csv", p, o, ddl, &cut, 1, &rows, NULL), 0);
            if (strcmp(rows, g.want) != 0)
                fail_msg("cut at %lld differs:\n%s", (long long)cut, rows);
            free(rows);
        }
        for (int k = 0; k < 20; k++) {
            int64_t c[3];
            for (int j = 0; j < 3; j++) c[j] = (int64_t)(rng_next(&r) % g.tl);
            for (int a = 0; a < 3; a++)
                for (int b = a + 1; b < 3; b++)
                    if (c[b] < c[a]) {
                        int64_t t = c[a];
                        c[a] = c[b];
                        c[b] = t;
                    }
            assert_int_equal(kt_ds_read("csv", p, o, ddl, c, 3, &rows, NULL), 0);
            assert_string_equal(rows, g.want);
            free(rows);
        }
        /* The planner's splits too. */
        assert_int_equal(kt_ds_read("csv", p, o, ddl, NULL, -1, &rows, NULL), 0);
        assert_string_equal(rows, g.want);
        free(rows);
        ds_options_free(o);
        free(p);
        free(g.text);
        free(g.want);
    }
}

/* A gzip file reads like the plain one. */
static void test_gzip(void **state)
{
    (void)state;
    rng r;
    rng_seed(&r, 7);
    gen g;
    gen_csv(&g, &r, 3000, false, false);
    char *p = kt_path(dir, "in.csv.gz");
    gzFile f = gzopen(p, "wb");
    gzwrite(f, g.text, (unsigned)g.tl);
    gzclose(f);
    ds_options *o = kt_ds_opts(NULL);
    char *rows;
    assert_int_equal(kt_ds_read("csv", p, o, "i INT, d DOUBLE, s STRING", NULL, -1, &rows, NULL),
                     0);
    assert_string_equal(rows, g.want);
    free(rows);
    ds_options_free(o);
    free(p);
    free(g.text);
    free(g.want);
}

/* sqlite3 imports the same RFC 4180 file: the same strings. */
static void test_vs_sqlite(void **state)
{
    (void)state;
    if (access("/usr/bin/sqlite3", X_OK) != 0) skip();
    rng r;
    rng_seed(&r, 99);
    gen g;
    gen_csv(&g, &r, 500, true, false);
    char *body = g.text;
    size_t hl = strlen("i,d,s\n");
    char *text = malloc(g.tl + hl + 1);
    memcpy(text, "i,d,s\n", hl);
    memcpy(text + hl, body, g.tl + 1);
    char *p = put("sq.csv", text, g.tl + hl);
    char cmd[1024];
    char *out = kt_path(dir, "sq.out");
    snprintf(cmd, sizeof cmd,
             "/usr/bin/sqlite3 :memory: -cmd '.import --csv %s t' "
             "-cmd '.mode list' -cmd \".separator | \\\\n\" "
             "\"select case when i='' then 'NULL' else i end, case when d='' then 'NULL' else d "
             "end, case when s='' then 'NULL' else s end from t\" > %s",
             p, out);
    assert_int_equal(system(cmd), 0);
    size_t n;
    char *want = kt_read_file(out, &n);
    ds_options *o = kt_ds_opts("header", "true", "escape", "\"", NULL);
    char *rows;
    assert_int_equal(kt_ds_read("csv", p, o, "i STRING, d STRING, s STRING", NULL, -1, &rows, NULL),
                     0);
    assert_string_equal(rows, want);
    free(rows);
    free(want);
    ds_options_free(o);
    free(out);
    free(p);
    free(text);
    free(g.text);
    free(g.want);
}

/* ---- Writer ------------------------------------------------------------------------- */

static void test_fmt(void **state)
{
    (void)state;
    struct {
        double d;
        const char *s;
    } cases[] = {{1e10, "1.0E10"},
                 {100, "100.0"},
                 {0.001, "0.001"},
                 {1e-4, "1.0E-4"},
                 {12345678, "1.2345678E7"},
                 {-0.0, "-0.0"},
                 {0.1, "0.1"},
                 {1.0 / 3, "0.3333333333333333"},
                 {1e7, "1.0E7"},
                 {9999999, "9999999.0"},
                 {NAN, "NaN"},
                 {-INFINITY, "-Infinity"},
                 {123.456, "123.456"},
                 {5e-324, "4.9E-324"},
                 {1.7976931348623157e308, "1.7976931348623157E308"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_buf b;
        kiln_buf_init(&b);
        ds_fmt_double(&b, cases[i].d);
        kiln_buf_append(&b, "", 1);
        assert_string_equal((char *)b.data, cases[i].s);
        kiln_buf_release(&b);
    }
    kiln_buf b;
    kiln_buf_init(&b);
    ds_fmt_timestamp(&b, 1577934245123000, false, 0, NULL);
    ds_fmt_decimal(&b, -5, 2);
    ds_fmt_date(&b, -1);
    kiln_buf_append(&b, "", 1);
    assert_string_equal((char *)b.data, "2020-01-02T03:04:05.123Z-0.051969-12-31");
    kiln_buf_release(&b);
}

/* Random batches written and read back give the same values. */
static void test_roundtrip(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    size_t pos;
    const char *ddl = "i INT, l BIGINT, d DOUBLE, m DECIMAL(12,3), s STRING, b BOOLEAN, "
                      "dt DATE, ts TIMESTAMP";
    assert_int_equal(col_schema_parse_ddl(a, ddl, strlen(ddl), &s, &pos), 0);
    static const char *const strs[] = {"plain",  "with,comma",    "q\"uote", "new\nline",
                                       "日本語", "back\\slash\\", " lead",   "trail ",
                                       "",       "\\\"",          "cr\r\nlf"};
    const double dbl[] = {0, -0.0, 1e10, 1e-5, 0.1, 123.456, -1.5e300, NAN, INFINITY, 3.0};
    for (int comp = 0; comp < 3; comp++) {
        rng r;
        rng_seed(&r, 5 + comp);
        char *out = kt_path(dir, comp == 0 ? "out" : comp == 1 ? "outgz" : "outzst");
        io_output_job *job;
        assert_int_equal(io_output_job_begin(out, &job), 0);
        ds_options *o = kt_ds_opts("header", "true", "nullValue", "\\N", "compression",
                                   comp == 0   ? "none"
                                   : comp == 1 ? "gzip"
                                               : "zstd",
                                   "ignoreLeadingWhiteSpace", "false", "ignoreTrailingWhiteSpace",
                                   "false", "multiLine", "true", NULL);
        char *want = NULL;
        size_t wl = 0;
        for (int part = 0; part < 2; part++) {
            ds_writer *w;
            assert_int_equal(ds_writer_open("csv", job, part, 0, "u", &s, o, &w), 0);
            for (int bi = 0; bi < 3; bi++) {
                col_batch b;
                const col_type *types[8];
                for (int j = 0; j < 8; j++) types[j] = s.fields[j].type;
                uint32_t n = 1 + (uint32_t)(rng_next(&r) % 300);
                assert_int_equal(col_batch_init(&b, a, 8, types, n), 0);
                b.n = n;
                for (int j = 0; j < 8; j++) {
                    col_vec *v = &b.cols[j];
                    v->n = n;
                    col_vec_add_validity(v, a, n);
                    for (uint32_t i = 0; i < n; i++) {
                        uint64_t x = rng_next(&r);
                        switch (j) {
                        case 0:
                            COL_DATA(v, int32_t)[i] = (int32_t)x;
                            break;
                        case 1:
                            COL_DATA(v, int64_t)[i] = (int64_t)x;
                            break;
                        case 2:
                            COL_DATA(v, double)[i] = dbl[x % 10] * (x % 7 ? 1 : 1.25);
                            break;
                        case 3:
                            COL_DATA(v, int64_t)[i] = (int64_t)(x % 2000000000000) - 999999999999;
                            break;
                        case 4: {
                            const char *t = strs[x % 11];
                            col_str_copy(a, t, (uint32_t)strlen(t), &COL_DATA(v, col_str)[i]);
                            break;
                        }
                        case 5:
                            COL_DATA(v, bool)[i] = x & 1;
                            break;
                        case 6:
                            COL_DATA(v, int32_t)[i] = (int32_t)(x % 200000) - 100000;
                            break;
                        case 7: /* the default format keeps milliseconds */
                            COL_DATA(v, int64_t)
                            [i] = ((int64_t)(x % 8000000000000000) - 4000000000000000) / 1000 *
                                  1000;
                            break;
                        }
                        if ((x >> 40) % 9 == 0) col_set_null(v, i);
                    }
                }
                kt_ds_batch_text(&b, &want, &wl);
                assert_int_equal(ds_writer_write(w, &b), 0);
            }
            assert_int_equal(ds_writer_commit(w), 0);
        }
        assert_int_equal(io_output_job_commit(job, 2), 0);
        char *rows;
        assert_int_equal(kt_ds_read("csv", out, o, ddl, NULL, -1, &rows, NULL), 0);
        if (strcmp(rows, want) != 0) {
            size_t k = 0;
            while (rows[k] == want[k]) k++;
            fail_msg("round trip differs at %zu: got '%.80s' want '%.80s'", k, rows + k, want + k);
        }
        free(rows);
        free(want);
        ds_options_free(o);
        free(out);
    }
    kiln_arena_free(a);
}

/* Projected columns (any order, none at all) and the corrupt-record column. */
static void test_projection(void **state)
{
    (void)state;
    const char *text = "1,a,2020-01-01\nx,b,2020-01-02\n3,c,bad\n";
    char *p = put("proj.csv", text, strlen(text));
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    size_t pos;
    const char *ddl = "n INT, _corrupt_record STRING, s STRING, d DATE";
    assert_int_equal(col_schema_parse_ddl(a, ddl, strlen(ddl), &s, &pos), 0);
    ds_options *o = kt_ds_opts(NULL);
    ds_split sp = {p, 0, (int64_t)strlen(text)};
    const int projs[][3] = {{2, 1, 0}, {3, 0, 0}};
    const int nproj[] = {3, 1, 0};
    const char *want[] = {"a|NULL|1\nb|x,b,2020-01-02|NULL\nc|NULL|3\n",
                          /* d not read: not malformed */ "18262\n18263\nNULL\n", "\n\n\n"};
    for (int k = 0; k < 3; k++) {
        ds_reader *r;
        assert_int_equal(ds_reader_open("csv", &sp, &s, k < 2 ? projs[k] : projs[0], nproj[k], o,
                                        &r),
                         0);
        col_batch b;
        char *t = NULL;
        size_t tl = 0;
        kiln_arena *ba = kiln_arena_new();
        while (ds_reader_next(r, ba, &b) == 1) {
            assert_int_equal(b.ncols, nproj[k]);
            if (nproj[k] == 0) {
                for (uint32_t i = 0; i < b.n; i++) kt_ds_text_add(&t, &tl, "\n", 1);
            } else {
                kt_ds_batch_text(&b, &t, &tl);
            }
        }
        assert_string_equal(t, want[k]);
        free(t);
        kiln_arena_free(ba);
        ds_reader_close(r);
    }
    ds_options_free(o);
    kiln_arena_free(a);
    free(p);
}

/* The worked example of src/datasource/README.md. */
static void test_readme_example(void **state)
{
    (void)state;
    const char *text = "name,age\nann,31\nbob,x\ncy,7\n";
    char *p = put("people.csv", text, strlen(text));
    ds_options *o = kt_ds_opts("header", "true", "inferSchema", "true", NULL);
    char *rows, *schema;
    int64_t cut = 16;
    assert_int_equal(kt_ds_read("csv", p, o, NULL, &cut, 1, &rows, &schema), 0);
    assert_string_equal(schema, "name:string,age:string");
    free(rows);
    free(schema);
    const char *ddl = "name STRING, age INT, _corrupt_record STRING";
    assert_int_equal(kt_ds_read("csv", p, o, ddl, &cut, 1, &rows, NULL), 0);
    assert_string_equal(rows, "ann|31|NULL\nbob|NULL|bob,x\ncy|7|NULL\n");
    free(rows);
    ds_options_set(o, "mode", "FAILFAST");
    assert_int_not_equal(kt_ds_read("csv", p, o, ddl, &cut, 1, &rows, NULL), 0);
    assert_non_null(
        strstr(kiln_last_error(), "people.csv:3: column \"age\": cannot parse as int \"x\""));
    ds_options_free(o);
    free(p);
}

int main(void)
{
    dir = kt_tmpdir_new();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),          cmocka_unit_test(test_types),
        cmocka_unit_test(test_infer),          cmocka_unit_test(test_modes),
        cmocka_unit_test(test_quoted_newline), cmocka_unit_test(test_enormous_field),
        cmocka_unit_test(test_split_property), cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_vs_sqlite),      cmocka_unit_test(test_fmt),
        cmocka_unit_test(test_roundtrip),      cmocka_unit_test(test_readme_example),
        cmocka_unit_test(test_projection),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    kt_rm_rf(dir);
    free(dir);
    return rc;
}
