/*
 * tests/unit/test_parquet_handmade.c - Parquet files DuckDB does not write,
 * built byte by byte here by a minimal encoder (Thrift compact footer and
 * page headers, v1 data pages with RLE levels, PLAIN and
 * DELTA_BYTE_ARRAY values) with known values, read by kiln's reader:
 * INT96 timestamps as Spark writes them, DELTA_BYTE_ARRAY strings, legacy
 * 2-level lists (a primitive and a group element), a repeated field
 * outside any LIST, TIME (a clear error), and through SQL a column missing
 * in one of two files (nulls), mergeSchema over files with different
 * columns, and the error for incompatible types naming both files.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "parquet/parquet.h"
#include "parquet/pq_format_int.h"

static char *dir;

/* ---- A minimal encoder ------------------------------------------------------------- */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *s, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void byte(buf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}
static void uvar(buf *b, uint64_t v)
{
    while (v >= 0x80) {
        byte(b, (unsigned)(v & 0x7f) | 0x80);
        v >>= 7;
    }
    byte(b, (unsigned)v);
}
static void svar(buf *b, int64_t v)
{
    uvar(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
static void u32le(buf *b, uint32_t v)
{
    put(b, &v, 4);
}

/* Thrift compact: a field header (the last id is per struct). */
static void fld(buf *b, int *last, int id, int type)
{
    if (id > *last && id - *last <= 15) byte(b, (unsigned)((id - *last) << 4 | type));
    else {
        byte(b, (unsigned)type);
        svar(b, id);
    }
    *last = id;
}
static void fi32(buf *b, int *last, int id, int64_t v)
{
    fld(b, last, id, PQ_TT_I32);
    svar(b, v);
}
static void fi64(buf *b, int *last, int id, int64_t v)
{
    fld(b, last, id, PQ_TT_I64);
    svar(b, v);
}
static void fstr(buf *b, int *last, int id, const char *s)
{
    fld(b, last, id, PQ_TT_BINARY);
    uvar(b, strlen(s));
    put(b, s, strlen(s));
}
static void lhead(buf *b, int n, int type)
{
    if (n < 15) byte(b, (unsigned)(n << 4 | type));
    else {
        byte(b, 0xf0 | (unsigned)type);
        uvar(b, (uint64_t)n);
    }
}

/* A schema element: type -1 for a group. */
typedef struct elem {
    const char *name;
    int type, rep, nchildren, converted;
} elem;

/* A leaf column's one page: levels per entry and PLAIN (or DELTA_BYTE_ARRAY) values. */
typedef struct hcol {
    const char *path[4];
    int npath, type, max_def, max_rep, n;
    const uint8_t *def, *rep;
    buf vals;
    int enc;
} hcol;

static int bits(int v)
{
    int w = 0;
    while (v >> w) w++;
    return w;
}

/* Levels as RLE runs of one value each, after their 4-byte length. */
static void levels(buf *b, const uint8_t *lv, int n, int max)
{
    buf r = {0};
    int w = (bits(max) + 7) / 8;
    for (int i = 0; i < n; i++) {
        uvar(&r, 2);
        if (w) byte(&r, lv[i]);
    }
    u32le(b, (uint32_t)r.n);
    put(b, r.p, r.n);
    free(r.p);
}

/* DELTA_BINARY_PACKED of v[0..n): blocks of 128, 4 miniblocks of 32. */
static void delta(buf *b, const int64_t *v, int n)
{
    uvar(b, 128);
    uvar(b, 4);
    uvar(b, (uint64_t)n);
    svar(b, n ? v[0] : 0);
    for (int s = 1; s < n; s += 128) {
        int k = n - s < 128 ? n - s : 128;
        int64_t d[128], mn = INT64_MAX;
        for (int i = 0; i < k; i++) {
            d[i] = v[s + i] - v[s + i - 1];
            mn = d[i] < mn ? d[i] : mn;
        }
        uint64_t mx = 0;
        for (int i = 0; i < k; i++) mx |= (uint64_t)(d[i] - mn);
        int w = 0;
        while (w < 64 && (mx >> w)) w++;
        svar(b, mn);
        int minis = (k + 31) / 32;
        for (int m = 0; m < 4; m++) byte(b, m < minis ? (unsigned)w : 0);
        for (int m = 0; m < minis; m++) {
            uint8_t out[32 * 8] = {0};
            for (int i = 0; i < 32; i++) {
                uint64_t x = m * 32 + i < k ? (uint64_t)(d[m * 32 + i] - mn) : 0;
                for (int t = 0; t < w; t++)
                    if (x >> t & 1) out[(i * w + t) / 8] |= (uint8_t)(1 << ((i * w + t) % 8));
            }
            put(b, out, (size_t)(32 * w / 8));
        }
    }
}

/* Strings as DELTA_BYTE_ARRAY: prefix lengths, suffix lengths, suffixes. */
static void dba(buf *b, const char *const *s, int n)
{
    int64_t pre[64], suf[64];
    for (int i = 0; i < n; i++) {
        size_t p = 0;
        if (i)
            while (s[i][p] && s[i - 1][p] == s[i][p]) p++;
        pre[i] = (int64_t)p;
        suf[i] = (int64_t)(strlen(s[i]) - p);
    }
    delta(b, pre, n);
    delta(b, suf, n);
    for (int i = 0; i < n; i++) put(b, s[i] + pre[i], (size_t)suf[i]);
}

/* Writes a file of one row group: the columns' pages, then the footer. */
static void write_file(const char *path, const elem *es, int nes, hcol *cs, int ncs, int64_t rows)
{
    buf f = {0};
    put(&f, "PAR1", 4);
    int64_t off[16], size[16];
    for (int c = 0; c < ncs; c++) {
        hcol *h = &cs[c];
        buf page = {0};
        if (h->max_rep) levels(&page, h->rep, h->n, h->max_rep);
        if (h->max_def) levels(&page, h->def, h->n, h->max_def);
        put(&page, h->vals.p, h->vals.n);
        buf hd = {0};
        int last = 0;
        fi32(&hd, &last, 1, PQ_DATA_PAGE);
        fi32(&hd, &last, 2, (int64_t)page.n);
        fi32(&hd, &last, 3, (int64_t)page.n);
        fld(&hd, &last, 5, PQ_TT_STRUCT);
        int l2 = 0;
        fi32(&hd, &l2, 1, h->n);
        fi32(&hd, &l2, 2, h->enc);
        fi32(&hd, &l2, 3, PQ_RLE);
        fi32(&hd, &l2, 4, PQ_RLE);
        byte(&hd, 0);
        byte(&hd, 0);
        off[c] = (int64_t)f.n;
        size[c] = (int64_t)(hd.n + page.n);
        put(&f, hd.p, hd.n);
        put(&f, page.p, page.n);
        free(hd.p);
        free(page.p);
    }
    buf m = {0};
    int last = 0;
    fi32(&m, &last, 1, 1);
    fld(&m, &last, 2, PQ_TT_LIST);
    lhead(&m, nes, PQ_TT_STRUCT);
    for (int i = 0; i < nes; i++) {
        int l = 0;
        if (es[i].type >= 0) fi32(&m, &l, 1, es[i].type);
        if (i > 0) fi32(&m, &l, 3, es[i].rep);
        fstr(&m, &l, 4, es[i].name);
        if (es[i].nchildren) fi32(&m, &l, 5, es[i].nchildren);
        if (es[i].converted >= 0) fi32(&m, &l, 6, es[i].converted);
        byte(&m, 0);
    }
    fi64(&m, &last, 3, rows);
    fld(&m, &last, 4, PQ_TT_LIST);
    lhead(&m, 1, PQ_TT_STRUCT);
    int lr = 0;
    fld(&m, &lr, 1, PQ_TT_LIST);
    lhead(&m, ncs, PQ_TT_STRUCT);
    int64_t total = 0;
    for (int c = 0; c < ncs; c++) {
        int lc = 0;
        fi64(&m, &lc, 2, off[c]);
        fld(&m, &lc, 3, PQ_TT_STRUCT);
        int lm = 0;
        fi32(&m, &lm, 1, cs[c].type);
        fld(&m, &lm, 2, PQ_TT_LIST);
        lhead(&m, 1, PQ_TT_I32);
        svar(&m, cs[c].enc);
        fld(&m, &lm, 3, PQ_TT_LIST);
        lhead(&m, cs[c].npath, PQ_TT_BINARY);
        for (int k = 0; k < cs[c].npath; k++) {
            uvar(&m, strlen(cs[c].path[k]));
            put(&m, cs[c].path[k], strlen(cs[c].path[k]));
        }
        fi32(&m, &lm, 4, PQ_UNCOMPRESSED);
        fi64(&m, &lm, 5, cs[c].n);
        fi64(&m, &lm, 6, size[c]);
        fi64(&m, &lm, 7, size[c]);
        fi64(&m, &lm, 9, off[c]);
        byte(&m, 0);
        byte(&m, 0);
        total += size[c];
    }
    fi64(&m, &lr, 2, total);
    fi64(&m, &lr, 3, rows);
    byte(&m, 0);
    byte(&m, 0);
    put(&f, m.p, m.n);
    u32le(&f, (uint32_t)m.n);
    put(&f, "PAR1", 4);
    kt_write_file(path, f.p, f.n);
    free(m.p);
    free(f.p);
    for (int c = 0; c < ncs; c++) free(cs[c].vals.p);
}

static char *file_path(const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

/* All rows of path as text "a|b\n" (kt's value format), read by the reader. */
static char *read_text(const char *path, const char *want_type)
{
    pq_file *f;
    if (pq_file_open(path, &f)) fail_msg("%s", kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    if (pq_file_schema(f, a, &s)) fail_msg("%s", kiln_last_error());
    if (want_type) {
        kiln_buf tb;
        kiln_buf_init(&tb);
        for (int i = 0; i < s.n; i++) {
            if (i) kiln_buf_append(&tb, ",", 1);
            col_type_format(&tb, s.fields[i].type);
        }
        kiln_buf_append(&tb, "", 1);
        assert_string_equal((const char *)tb.data, want_type);
        kiln_buf_release(&tb);
    }
    int rg = 0;
    pq_reader *r;
    if (pq_reader_open(f, &s, &rg, 1, &r)) fail_msg("%s", kiln_last_error());
    kiln_buf out;
    kiln_buf_init(&out);
    col_batch b;
    int rc;
    while ((rc = pq_reader_next(r, a, &b)) == 1)
        for (uint32_t i = 0; i < b.n; i++) {
            for (int c = 0; c < b.ncols; c++) {
                kiln_value v;
                if (c) kiln_buf_append(&out, "|", 1);
                assert_int_equal(col_vec_get_value(&b.cols[c], i, a, &v), 0);
                kiln_value_format(&out, &v);
            }
            kiln_buf_append(&out, "\n", 1);
        }
    if (rc < 0) fail_msg("%s", kiln_last_error());
    kiln_buf_append(&out, "", 1);
    char *t = strdup((const char *)out.data);
    kiln_buf_release(&out);
    pq_reader_close(r);
    kiln_arena_free(a);
    pq_file_close(f);
    return t;
}

static void check(const char *got, const char *want)
{
    if (strcmp(got, want) != 0) fail_msg("got:\n%s\nwant:\n%s", got, want);
}

/* ---- Tests ------------------------------------------------------------------------ */

static void int96(buf *b, int32_t day, int64_t nanos)
{
    put(b, &nanos, 8);
    put(b, &day, 4);
}

static void test_int96(void **state)
{
    (void)state;
    char *p = file_path("int96.parquet");
    elem es[] = {{"spark_schema", -1, 0, 1, -1}, {"ts", PQ_INT96, PQ_OPTIONAL, 0, -1}};
    static const uint8_t def[] = {1, 1, 0, 1};
    hcol c = {{"ts"}, 1, PQ_INT96, 1, 0, 4, def, NULL, {0}, PQ_PLAIN};
    int96(&c.vals, 2440588, 0);                             /* 1970-01-01 */
    int96(&c.vals, 2440589, INT64_C(3600000000000) + 1500); /* +1 day 1 h 1.5 us */
    int96(&c.vals, 2440587, INT64_C(43200000000000));       /* 1969-12-31 12:00 */
    write_file(p, es, 2, &c, 1, 4);
    char *t = read_text(p, "timestamp");
    /* microseconds since the epoch (nanoseconds truncated) */
    check(t, "0\n90000000001\nnull\n-43200000000\n");
    free(t);
    free(p);
}

static void test_delta_byte_array(void **state)
{
    (void)state;
    char *p = file_path("dba.parquet");
    static const char *const s[] = {"apple",
                                    "applesauce",
                                    "apply",
                                    "",
                                    "banana long string here",
                                    "banana long string there",
                                    "\xc3\xa9t\xc3\xa9"};
    elem es[] = {{"schema", -1, 0, 1, -1}, {"s", PQ_BYTE_ARRAY, PQ_REQUIRED, 0, PQ_CT_UTF8}};
    hcol c = {{"s"}, 1, PQ_BYTE_ARRAY, 0, 0, 7, NULL, NULL, {0}, PQ_DELTA_BYTE_ARRAY};
    dba(&c.vals, s, 7);
    write_file(p, es, 2, &c, 1, 7);
    char *t = read_text(p, "string");
    check(t, "apple\napplesauce\napply\n\nbanana long string here\nbanana long string "
             "there\n\xc3\xa9t\xc3\xa9\n");
    free(t);
    free(p);
}

static void i32s(buf *b, const int32_t *v, int n)
{
    put(b, v, sizeof *v * (size_t)n);
}

static void test_two_level_lists(void **state)
{
    (void)state;
    char *p = file_path("twolevel.parquet");
    /* optional group a (LIST) { repeated int32 array; }
     * optional group pts (LIST) { repeated group array { required int32 x; optional int32 y; } } */
    elem es[] = {{"schema", -1, 0, 2, -1},
                 {"a", -1, PQ_OPTIONAL, 1, PQ_CT_LIST},
                 {"array", PQ_INT32, PQ_REPEATED, 0, -1},
                 {"pts", -1, PQ_OPTIONAL, 1, PQ_CT_LIST},
                 {"array", -1, PQ_REPEATED, 2, -1},
                 {"x", PQ_INT32, PQ_REQUIRED, 0, -1},
                 {"y", PQ_INT32, PQ_OPTIONAL, 0, -1}};
    /* rows: a = [1,2], [], NULL, [3]; pts = [(1,NULL)], NULL, [(2,3),(4,5)], [] */
    static const uint8_t ad[] = {2, 2, 1, 0, 2}, ar[] = {0, 1, 0, 0, 0};
    static const uint8_t xd[] = {2, 0, 2, 2, 1}, xr[] = {0, 0, 0, 1, 0};
    static const uint8_t yd[] = {2, 0, 3, 3, 1}, yr[] = {0, 0, 0, 1, 0};
    hcol cs[3] = {{{"a", "array"}, 2, PQ_INT32, 2, 1, 5, ad, ar, {0}, PQ_PLAIN},
                  {{"pts", "array", "x"}, 3, PQ_INT32, 2, 1, 5, xd, xr, {0}, PQ_PLAIN},
                  {{"pts", "array", "y"}, 3, PQ_INT32, 3, 1, 5, yd, yr, {0}, PQ_PLAIN}};
    i32s(&cs[0].vals, (const int32_t[]){1, 2, 3}, 3);
    i32s(&cs[1].vals, (const int32_t[]){1, 2, 4}, 3);
    i32s(&cs[2].vals, (const int32_t[]){3, 5}, 2);
    write_file(p, es, 7, cs, 3, 4);
    char *t = read_text(p, "array<int>,array<struct<x:int,y:int>>");
    check(t, "[1, 2]|[(1,null)]\n[]|null\nnull|[(2,3), (4,5)]\n[3]|[]\n");
    free(t);
    free(p);
}

static void test_repeated_outside_list(void **state)
{
    (void)state;
    char *p = file_path("repeated.parquet");
    /* repeated int32 nums; required group g { repeated binary names (UTF8); } */
    elem es[] = {{"schema", -1, 0, 2, -1},
                 {"nums", PQ_INT32, PQ_REPEATED, 0, -1},
                 {"g", -1, PQ_REQUIRED, 1, -1},
                 {"names", PQ_BYTE_ARRAY, PQ_REPEATED, 0, PQ_CT_UTF8}};
    /* rows: [5,6,7] {[a]}; [] {[]}; [8] {[bb, a long name here]} */
    static const uint8_t nd[] = {1, 1, 1, 0, 1}, nr[] = {0, 1, 1, 0, 0};
    static const uint8_t sd[] = {1, 0, 1, 1}, sr[] = {0, 0, 0, 1};
    hcol cs[2] = {{{"nums"}, 1, PQ_INT32, 1, 1, 5, nd, nr, {0}, PQ_PLAIN},
                  {{"g", "names"}, 2, PQ_BYTE_ARRAY, 1, 1, 4, sd, sr, {0}, PQ_PLAIN}};
    i32s(&cs[0].vals, (const int32_t[]){5, 6, 7, 8}, 4);
    const char *names[] = {"a", "bb", "a long name here"};
    for (int i = 0; i < 3; i++) {
        u32le(&cs[1].vals, (uint32_t)strlen(names[i]));
        put(&cs[1].vals, names[i], strlen(names[i]));
    }
    write_file(p, es, 4, cs, 2, 3);
    char *t = read_text(p, "array<int>,struct<names:array<string>>");
    check(t, "[5, 6, 7]|([a])\n[]|([])\n[8]|([bb, a long name here])\n");
    free(t);
    free(p);
}

static void test_time_refused(void **state)
{
    (void)state;
    char *p = file_path("time.parquet");
    elem es[] = {{"schema", -1, 0, 1, -1}, {"t", PQ_INT32, PQ_REQUIRED, 0, PQ_CT_TIME_MILLIS}};
    hcol c = {{"t"}, 1, PQ_INT32, 0, 0, 1, NULL, NULL, {0}, PQ_PLAIN};
    i32s(&c.vals, (const int32_t[]){1000}, 1);
    write_file(p, es, 2, &c, 1, 1);
    pq_file *f;
    assert_int_equal(pq_file_open(p, &f), 0);
    kiln_arena *a = kiln_arena_new();
    col_schema s;
    assert_int_equal(pq_file_schema(f, a, &s), KILN_EINVAL);
    const char *e = kiln_last_error();
    if (!strstr(e, p) || !strstr(e, "column t") || !strstr(e, "TIME"))
        fail_msg("unclear error: %s", e);
    kiln_arena_free(a);
    pq_file_close(f);
    free(p);
}

/* A file of int32 id and one more column (int32 or string) named col. */
static void two_cols(const char *path, const char *col, bool str, int base)
{
    elem es[] = {{"schema", -1, 0, 2, -1},
                 {"id", PQ_INT32, PQ_REQUIRED, 0, -1},
                 {col, str ? PQ_BYTE_ARRAY : PQ_INT32, PQ_OPTIONAL, 0, str ? PQ_CT_UTF8 : -1}};
    static const uint8_t def[] = {1, 0};
    hcol cs[2] = {{{"id"}, 1, PQ_INT32, 0, 0, 2, NULL, NULL, {0}, PQ_PLAIN},
                  {{col}, 1, str ? PQ_BYTE_ARRAY : PQ_INT32, 1, 0, 2, def, NULL, {0}, PQ_PLAIN}};
    i32s(&cs[0].vals, (const int32_t[]){base, base + 1}, 2);
    if (str) {
        u32le(&cs[1].vals, 2);
        put(&cs[1].vals, "hi", 2);
    } else {
        i32s(&cs[1].vals, (const int32_t[]){base * 10}, 1);
    }
    write_file(path, es, 3, cs, 2, 2);
}

static char *sql_rows(kiln_session *s, const char *q)
{
    kiln_df *df = kiln_sql(s, q);
    assert_non_null(df);
    char *t = kiln_df_show_string(df, 100, 0);
    if (!t) fail_msg("%s: %s", q, kiln_last_error());
    kiln_df_free(df);
    return t;
}

static void test_schemas_of_two_files(void **state)
{
    (void)state;
    char *d1 = file_path("merge"), *d2 = file_path("clash");
    char p[4200], q[8600];
    assert_int_equal(mkdir(d1, 0777), 0);
    assert_int_equal(mkdir(d2, 0777), 0);
    snprintf(p, sizeof p, "%s/a.parquet", d1);
    two_cols(p, "x", false, 1);
    snprintf(p, sizeof p, "%s/b.parquet", d1);
    two_cols(p, "y", true, 3);
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_session *s;
    assert_int_equal(kiln_session_new(ctx, &s), 0);
    /* The first file's schema: x is missing in b.parquet, read as nulls. */
    snprintf(q, sizeof q, "SELECT * FROM parquet.`%s` ORDER BY id", d1);
    char *t = sql_rows(s, q);
    check(t, "+---+----+\n|id |x   |\n+---+----+\n|1  |10  |\n|2  |NULL|\n|3  |NULL|\n|4  "
             "|NULL|\n+---+----+\n");
    free(t);
    snprintf(q, sizeof q,
             "CREATE OR REPLACE TEMPORARY VIEW m USING parquet OPTIONS (path '%s', mergeSchema "
             "'true')",
             d1);
    kiln_df_free(kiln_sql(s, q));
    t = sql_rows(s, "SELECT * FROM m ORDER BY id");
    check(t, "+---+----+----+\n|id |x   |y   |\n+---+----+----+\n|1  |10  |NULL|\n|2  |NULL|NULL|\n"
             "|3  |NULL|hi  |\n|4  |NULL|NULL|\n+---+----+----+\n");
    free(t);
    /* x is an int in one file and a string in the other. */
    char pa[4200], pb[4200];
    snprintf(pa, sizeof pa, "%s/a.parquet", d2);
    two_cols(pa, "x", false, 1);
    snprintf(pb, sizeof pb, "%s/b.parquet", d2);
    two_cols(pb, "x", true, 3);
    snprintf(q, sizeof q,
             "CREATE OR REPLACE TEMPORARY VIEW c USING parquet OPTIONS (path '%s', mergeSchema "
             "'true')",
             d2);
    kiln_df *df = kiln_sql(s, q);
    int64_t n;
    int rc = df ? kiln_df_count(df, &n) : -1;
    kiln_df_free(df);
    if (rc == 0) {
        df = kiln_sql(s, "SELECT * FROM c");
        rc = df ? kiln_df_count(df, &n) : -1;
        kiln_df_free(df);
    }
    assert_int_not_equal(rc, 0);
    const char *e = kiln_last_error();
    if (!strstr(e, pa) || !strstr(e, pb) || !strstr(e, "CANNOT_MERGE_SCHEMAS"))
        fail_msg("unclear error: %s", e);
    kiln_session_free(s);
    kiln_context_free(ctx);
    free(d1);
    free(d2);
}

/* The files live in a temporary directory removed at the end. */
static int group_setup(void **state)
{
    *state = dir = kt_tmpdir_new();
    return dir ? 0 : -1;
}

static int group_teardown(void **state)
{
    kt_rm_rf(*state);
    free(*state);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int96),           cmocka_unit_test(test_delta_byte_array),
        cmocka_unit_test(test_two_level_lists), cmocka_unit_test(test_repeated_outside_list),
        cmocka_unit_test(test_time_refused),    cmocka_unit_test(test_schemas_of_two_files),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
