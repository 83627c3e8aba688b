/*
 * test_parquet_write.c - kiln's Parquet writer (src/parquet/write*.c)
 * against DuckDB: random batches of every type kiln writes (nulls none,
 * some, all; empty strings, unicode, NaN, -0.0, infinities, min/max ints,
 * decimals of each width, dates before 1970, timestamps; arrays, maps and
 * structs nested with nulls at each level and empty arrays; selections
 * and constant vectors) are written with each codec and page / row group
 * sizes small enough to make many of both, read back by DuckDB
 * (tests/parquet/duck.mjs) and compared, row by row, with the text the
 * test expects. parquet_metadata() and parquet_schema() check row
 * groups, codecs, encodings (dictionary and its fallback), statistics
 * and logical types. A property test runs random schemas over many seeds.
 * Skips (printing why) when node or DuckDB's package is absent.
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "column/column.h"
#include "kiln.h"
#include "kt.h"
#include "kt_duck.h"
#include "kt_rand.h"
#include "parquet/parquet.h"

enum { CODEC_NONE = 0, CODEC_SNAPPY = 1, CODEC_GZIP = 2, CODEC_ZSTD = 6, CODEC_LZ4_RAW = 7 };

static char *dir;
static uint64_t rng = 0x2545F4914F6CDD1Dull;
static int fileno_;

static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

/* ---- Growable text ------------------------------------------------------------------ */

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void tput(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = 0;
}

static void tprintf(text *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tput(t, buf, (size_t)n);
}

/* ---- Random vectors ----------------------------------------------------------------- */

static const char *const pieces[] = {"a", "é", "日本", "\"", "\\", " ", "x/y", "Z9", "ß", "😀"};

static void rand_str(kiln_arena *a, col_str *out, bool binary)
{
    char buf[64];
    size_t n = 0;
    int np = (int)(rnd() % 5);
    for (int p = 0; p < np; p++) {
        if (binary) {
            buf[n++] = (char)(rnd() & 0xff);
            continue;
        }
        const char *s = pieces[rnd() % 10];
        memcpy(buf + n, s, strlen(s));
        n += strlen(s);
    }
    if (rnd() % 50 == 0) /* long enough not to be inline, and a dictionary of many */
        n += (size_t)snprintf(buf + n, sizeof buf - n, "long-%llu", (unsigned long long)rnd());
    assert_true(col_str_copy(a, buf, (uint32_t)n, out));
}

static __int128 pow10_i128(int p)
{
    __int128 x = 1;
    for (int i = 0; i < p; i++) x *= 10;
    return x;
}

static void gen(col_vec *v, kiln_arena *a, const col_type *t, uint32_t n, int nullpct);

static void *arr(kiln_arena *a, size_t n, size_t w)
{
    void *p = kiln_arena_alloc(a, n * w + 16);
    assert_non_null(p);
    return p;
}

/* Values of a scalar vector. */
static void gen_values(col_vec *v, kiln_arena *a, const col_type *t, uint32_t n)
{
    v->data = arr(a, n, col_type_width(t) ? col_type_width(t) : 1);
    for (uint32_t i = 0; i < n; i++) {
        bool edge = rnd() % 8 == 0;
        uint64_t r = rnd();
        switch (t->kind) {
        case COL_BOOL:
            ((bool *)v->data)[i] = r & 1;
            break;
        case COL_I8:
            ((int8_t *)v->data)[i] = edge ? (r & 1 ? INT8_MIN : INT8_MAX) : (int8_t)r;
            break;
        case COL_I16:
            ((int16_t *)v->data)[i] = edge ? (r & 1 ? INT16_MIN : INT16_MAX) : (int16_t)r;
            break;
        case COL_I32:
            ((int32_t *)v->data)[i] = edge ? (r & 1 ? INT32_MIN : INT32_MAX)
                                           : (int32_t)(r % 2000) - 1000;
            break;
        case COL_I64:
            ((int64_t *)v->data)[i] = edge ? (r & 1 ? INT64_MIN : INT64_MAX) : (int64_t)r;
            break;
        case COL_DATE:
            ((int32_t *)v->data)[i] = (int32_t)(r % 400000) - 200000;
            break;
        case COL_TIMESTAMP:
        case COL_TIMESTAMP_NTZ:
            ((int64_t *)v->data)[i] = (int64_t)(r % 20000000000000000ull) - 10000000000000000ll;
            break;
        case COL_F32:
        case COL_F64: {
            static const double edges[] = {NAN, -0.0, 0.0, INFINITY, -INFINITY, 1e-310, -1.5};
            double d = edge ? edges[r % 7] : ((double)(int64_t)(r >> 11) / 1e6);
            if (t->kind == COL_F32) ((float *)v->data)[i] = (float)d;
            else ((double *)v->data)[i] = d;
            break;
        }
        case COL_DECIMAL: {
            __int128 lim = pow10_i128(t->precision) - 1;
            __int128 x = edge ? (r & 1 ? lim : -lim)
                              : ((__int128)(int64_t)r * (int64_t)rnd()) % (lim + 1);
            if (col_decimal_is_wide(t)) ((__int128 *)v->data)[i] = x;
            else ((int64_t *)v->data)[i] = (int64_t)x;
            break;
        }
        case COL_STRING:
        case COL_BINARY:
            rand_str(a, &((col_str *)v->data)[i], t->kind == COL_BINARY);
            break;
        default:
            fail_msg("type %d", t->kind);
        }
    }
}

static void gen(col_vec *v, kiln_arena *a, const col_type *t, uint32_t n, int nullpct)
{
    memset(v, 0, sizeof *v);
    v->type = t;
    v->n = n;
    if (nullpct) {
        v->validity = arr(a, COL_VALIDITY_WORDS(n) + 1, 8);
        memset(v->validity, 0xff, (COL_VALIDITY_WORDS(n) + 1) * 8);
        for (uint32_t i = 0; i < n; i++)
            if ((int)(rnd() % 100) < nullpct) col_set_null(v, i);
    }
    switch (t->kind) {
    case COL_ARRAY:
    case COL_MAP: {
        v->offsets = arr(a, n + 1, 4);
        v->offsets[0] = 0;
        for (uint32_t i = 0; i < n; i++)
            v->offsets[i + 1] = v->offsets[i] + (col_valid(v, i) ? (uint32_t)(rnd() % 4) : 0);
        uint32_t total = v->offsets[n];
        v->nchildren = t->kind == COL_MAP ? 2 : 1;
        v->children = arr(a, 2, sizeof *v->children);
        gen(&v->children[0], a, t->elem, total, t->kind == COL_ARRAY && t->contains_null ? 15 : 0);
        if (t->kind == COL_MAP) {
            gen(&v->children[1], a, t->value, total, t->contains_null ? 15 : 0);
            /* unique keys in each map */
            col_vec *k = &v->children[0];
            for (uint32_t i = 0; i < n; i++)
                for (uint32_t j = v->offsets[i]; j < v->offsets[i + 1]; j++) {
                    uint32_t pos = j - v->offsets[i];
                    if (t->elem->kind == COL_I32) {
                        ((int32_t *)k->data)[j] = (int32_t)(pos * 1000 + rnd() % 1000);
                    } else {
                        char kb[32];
                        int kn = snprintf(kb, sizeof kb, "k%u%s", pos, pieces[rnd() % 10]);
                        assert_true(col_str_copy(a, kb, (uint32_t)kn, &((col_str *)k->data)[j]));
                    }
                }
        }
        return;
    }
    case COL_STRUCT:
        v->nchildren = t->nfields;
        v->children = arr(a, (size_t)t->nfields, sizeof *v->children);
        for (int f = 0; f < t->nfields; f++)
            gen(&v->children[f], a, t->fields[f].type, n, t->fields[f].nullable ? 15 : 0);
        return;
    default:
        gen_values(v, a, t, n);
    }
}

/* ---- The text expected of DuckDB ------------------------------------------------------ */

static void json_esc(text *t, const char *p, size_t n)
{
    tput(t, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            tput(t, e, 2);
        } else if (c < 0x20) {
            tprintf(t, "\\u%04x", c);
        } else {
            tput(t, (const char *)&c, 1);
        }
    }
    tput(t, "\"", 1);
}

static void fmt_decimal(text *t, __int128 v, int precision, int scale)
{
    char d[64];
    int n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        d[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u || n <= scale);
    if (neg) tput(t, "-", 1);
    if (scale == precision) { /* DuckDB prints no integer digit: ".5" */
        n = scale;
        tput(t, ".", 1);
    }
    for (int i = n - 1; i >= 0; i--) {
        tput(t, &d[i], 1);
        if (i == scale && scale > 0) tput(t, ".", 1);
    }
}

static void fmt_json(text *t, const col_vec *v, uint32_t i);

static int64_t ival(const col_vec *v, uint32_t r)
{
    switch (v->type->kind) {
    case COL_BOOL:
        return ((const bool *)v->data)[r];
    case COL_I8:
        return ((const int8_t *)v->data)[r];
    case COL_I16:
        return ((const int16_t *)v->data)[r];
    case COL_I32:
    case COL_DATE:
        return ((const int32_t *)v->data)[r];
    default:
        return ((const int64_t *)v->data)[r];
    }
}

/* The top-level text of row i of v as the query of `expr` prints it. */
static void fmt_top(text *t, const col_vec *v, uint32_t i, int ts_type)
{
    if (!col_valid(v, i)) {
        tput(t, "NULL", 4);
        return;
    }
    uint32_t r = col_row(v, i);
    const col_type *ty = v->type;
    switch (ty->kind) {
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ: {
        int64_t us = ival(v, r);
        if (ty->kind == COL_TIMESTAMP && ts_type == PQ_TS_MILLIS)
            us = (us / 1000 - (us % 1000 < 0)) * 1000;
        tprintf(t, "%lld", (long long)us);
        return;
    }
    case COL_F32:
    case COL_F64: {
        double d = ty->kind == COL_F32 ? ((const float *)v->data)[r] : ((const double *)v->data)[r];
        if (isnan(d)) tput(t, "nan", 3);
        else tprintf(t, "%.17g", d);
        return;
    }
    case COL_DECIMAL:
        fmt_decimal(t,
                    col_decimal_is_wide(ty) ? ((const __int128 *)v->data)[r]
                                            : ((const int64_t *)v->data)[r],
                    ty->precision, ty->scale);
        return;
    case COL_STRING:
    case COL_BINARY: {
        const col_str *s = &((const col_str *)v->data)[r];
        const unsigned char *p = (const unsigned char *)col_str_data(s);
        for (uint32_t k = 0; k < s->len; k++) tprintf(t, "%02X", p[k]);
        return;
    }
    default: /* booleans, ints and dates (days) print as in JSON */
        fmt_json(t, v, i);
    }
}

/* DuckDB's to_json of row i (nested types of bool, ints and strings). */
static void fmt_json(text *t, const col_vec *v, uint32_t i)
{
    if (!col_valid(v, i)) {
        tput(t, "null", 4);
        return;
    }
    uint32_t r = col_row(v, i);
    const col_type *ty = v->type;
    switch (ty->kind) {
    case COL_BOOL:
        tprintf(t, "%s", ival(v, r) ? "true" : "false");
        return;
    case COL_STRING: {
        const col_str *s = &((const col_str *)v->data)[r];
        json_esc(t, col_str_data(s), s->len);
        return;
    }
    case COL_ARRAY:
        tput(t, "[", 1);
        for (uint32_t k = v->offsets[r]; k < v->offsets[r + 1]; k++) {
            if (k > v->offsets[r]) tput(t, ",", 1);
            fmt_json(t, &v->children[0], k);
        }
        tput(t, "]", 1);
        return;
    case COL_MAP:
        tput(t, "{", 1);
        for (uint32_t k = v->offsets[r]; k < v->offsets[r + 1]; k++) {
            if (k > v->offsets[r]) tput(t, ",", 1);
            const col_vec *kv = &v->children[0];
            if (kv->type->kind == COL_STRING) {
                fmt_json(t, kv, k);
            } else {
                tput(t, "\"", 1);
                fmt_json(t, kv, k);
                tput(t, "\"", 1);
            }
            tput(t, ":", 1);
            fmt_json(t, &v->children[1], k);
        }
        tput(t, "}", 1);
        return;
    case COL_STRUCT:
        tput(t, "{", 1);
        for (int f = 0; f < ty->nfields; f++) {
            if (f) tput(t, ",", 1);
            json_esc(t, ty->fields[f].name, strlen(ty->fields[f].name));
            tput(t, ":", 1);
            fmt_json(t, &v->children[f], r);
        }
        tput(t, "}", 1);
        return;
    default:
        tprintf(t, "%lld", (long long)ival(v, r));
    }
}

/* The DuckDB expression giving column name of type ty as fmt_top prints it. */
static void duck_expr(text *q, const char *name, const col_type *ty)
{
    char c[160];
    snprintf(c, sizeof c, "\"%s\"", name);
    switch (ty->kind) {
    case COL_F32:
    case COL_F64:
        tprintf(q, "CASE WHEN isnan(%s) THEN 'nan' ELSE printf('%%.17g', %s::DOUBLE) END", c, c);
        return;
    case COL_STRING:
    case COL_BINARY:
        tprintf(q, "hex(%s)", c);
        return;
    case COL_DATE:
        tprintf(q, "CAST(%s - DATE '1970-01-01' AS VARCHAR)", c);
        return;
    case COL_TIMESTAMP:
    case COL_TIMESTAMP_NTZ:
        tprintf(q, "CAST(epoch_us(%s) AS VARCHAR)", c);
        return;
    case COL_ARRAY:
    case COL_MAP:
    case COL_STRUCT:
        tprintf(q, "CAST(to_json(%s) AS VARCHAR)", c);
        return;
    default:
        tprintf(q, "CAST(%s AS VARCHAR)", c);
    }
}

/* ---- Writing and comparing --------------------------------------------------------- */

static int to_file(void *arg, const void *p, size_t n)
{
    return fwrite(p, 1, n, arg) == n ? KILN_OK : kiln_set_error(KILN_EIO, "short write");
}

typedef struct job {
    const col_schema *schema;
    pq_write_options o;
    text expect;
    char path[512];
    pq_writer *w;
    FILE *f;
} job;

static void job_start(job *j, const col_schema *s, const pq_write_options *o)
{
    memset(j, 0, sizeof *j);
    j->schema = s;
    j->o = *o;
    snprintf(j->path, sizeof j->path, "%s/f%d.parquet", dir, fileno_++);
    j->f = fopen(j->path, "wb");
    assert_non_null(j->f);
    assert_int_equal(pq_writer_new(s, o, to_file, j->f, &j->w), KILN_OK);
}

/* Writes b and notes its live rows' expected text. */
static void job_write(job *j, const col_batch *b)
{
    assert_int_equal(pq_writer_write(j->w, b), KILN_OK);
    uint32_t live = col_batch_live(b);
    for (uint32_t x = 0; x < live; x++) {
        uint32_t i = b->sel ? b->sel[x] : x;
        for (int c = 0; c < b->ncols; c++) {
            if (c) tput(&j->expect, "\t", 1);
            fmt_top(&j->expect, &b->cols[c], i, j->o.ts_type);
        }
        tput(&j->expect, "\n", 1);
    }
}

static void job_finish(job *j)
{
    assert_int_equal(pq_writer_finish(j->w), KILN_OK);
    pq_writer_free(j->w);
    assert_int_equal(fclose(j->f), 0);
}

/* DuckDB's rows of the file, ordered by the first column. */
static char *duck_rows(const char *path, const col_schema *s)
{
    text q = {0};
    tput(&q, "SELECT ", 7);
    for (int c = 0; c < s->n; c++) {
        if (c) tput(&q, ", ", 2);
        duck_expr(&q, s->fields[c].name, s->fields[c].type);
    }
    tprintf(&q, " FROM read_parquet('%s') ORDER BY \"%s\"", path, s->fields[0].name);
    char *out = kt_duck_query(q.p);
    free(q.p);
    return out;
}

static void compare(const char *what, const char *got, const char *want)
{
    if (got && strcmp(got, want) == 0) return;
    if (!got) fail_msg("%s: DuckDB could not read the file", what);
    const char *g = got, *w = want;
    int line = 1;
    while (*g && *g == *w) {
        if (*g == '\n') line++;
        g++, w++;
    }
    const char *gl = g, *wl = w;
    while (gl > got && gl[-1] != '\n') gl--;
    while (wl > want && wl[-1] != '\n') wl--;
    fail_msg("%s: row %d differs\n got: %.400s\nwant: %.400s", what, line, gl, wl);
}

static void job_check(job *j, const char *what)
{
    job_finish(j);
    char *got = duck_rows(j->path, j->schema);
    compare(what, got, j->expect.p ? j->expect.p : "");
    free(got);
    free(j->expect.p);
}

/* A batch of schema s with n rows; column 0 is the BIGINT key from *k. */
static void make_batch(col_batch *b, kiln_arena *a, const col_schema *s, uint32_t n, int64_t *k,
                       const int *nullpct)
{
    b->ncols = s->n;
    b->n = n;
    b->sel = NULL;
    b->nsel = 0;
    b->cols = arr(a, (size_t)s->n, sizeof *b->cols);
    for (int c = 0; c < s->n; c++) {
        if (c == 0) {
            gen(&b->cols[0], a, s->fields[0].type, n, 0);
            for (uint32_t i = 0; i < n; i++) ((int64_t *)b->cols[0].data)[i] = (*k)++;
            continue;
        }
        gen(&b->cols[c], a, s->fields[c].type, n, s->fields[c].nullable ? nullpct[c] : 0);
    }
}

static const col_type *T(kiln_arena *a, const char *ddl)
{
    const col_type *t;
    size_t pos;
    assert_int_equal(col_type_parse(a, ddl, strlen(ddl), &t, &pos), KILN_OK);
    return t;
}

static col_schema schema_of(kiln_arena *a, const char *const *defs, int n)
{
    col_schema s = {n, arr(a, (size_t)n, sizeof(col_field))};
    for (int i = 0; i < n; i++) {
        const char *sp = strrchr(defs[i], ' '); /* names may hold blanks */
        char *name = kiln_arena_alloc(a, (size_t)(sp - defs[i]) + 1);
        memcpy(name, defs[i], (size_t)(sp - defs[i]));
        name[sp - defs[i]] = 0;
        s.fields[i] = (col_field){name, T(a, sp + 1), i != 0};
    }
    return s;
}

static int setup(void **state)
{
    (void)state;
    dir = kt_tmpdir_new();
    return dir ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kt_rm_rf(dir);
    free(dir);
    return 0;
}

/* ---- Tests ---------------------------------------------------------------------------- */

static const char *const flat_defs[] = {"k bigint",
                                        "b boolean",
                                        "i8 tinyint",
                                        "i16 smallint",
                                        "i32 int",
                                        "i64 bigint",
                                        "f32 float",
                                        "f64 double",
                                        "d5 decimal(5,2)",
                                        "d18 decimal(18,4)",
                                        "d38 decimal(38,10)",
                                        "d20 decimal(20,0)",
                                        "s string",
                                        "bin binary",
                                        "dt date",
                                        "ts timestamp",
                                        "ntz timestamp_ntz",
                                        "allnull string",
                                        "nonull int",
                                        "naïve col string"};
#define NFLAT ((int)(sizeof flat_defs / sizeof flat_defs[0]))

/* Writes 4 batches (one with a selection, one with a constant column) of
 * the flat schema with options o and compares with DuckDB. */
static void flat_round_trip(const pq_write_options *o, const char *what, uint32_t rows)
{
    kiln_arena *a = kiln_arena_new();
    col_schema s = schema_of(a, flat_defs, NFLAT);
    int nullpct[NFLAT];
    for (int c = 0; c < NFLAT; c++) nullpct[c] = 10;
    nullpct[17] = 100;
    nullpct[18] = 0;
    job j;
    job_start(&j, &s, o);
    int64_t k = 0;
    for (int bi = 0; bi < 4; bi++) {
        col_batch b;
        make_batch(&b, a, &s, rows, &k, nullpct);
        if (bi == 1) { /* a selection of every third row */
            b.sel = arr(a, rows, 4);
            b.nsel = 0;
            for (uint32_t i = 0; i < rows; i += 3) b.sel[b.nsel++] = i;
        }
        if (bi == 2) { /* constant columns: a string and a null */
            const char *cs = "constant é";
            col_str cv = col_str_view(cs, (uint32_t)strlen(cs));
            assert_int_equal(col_vec_constant(&b.cols[12], a, s.fields[12].type, &cv, rows),
                             KILN_OK);
            assert_int_equal(col_vec_constant(&b.cols[5], a, s.fields[5].type, NULL, rows),
                             KILN_OK);
        }
        job_write(&j, &b);
    }
    job_check(&j, what);
    kiln_arena_free(a);
}

static void test_flat_codecs(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    static const struct {
        int codec;
        const char *name;
    } codecs[] = {{CODEC_NONE, "none"},
                  {CODEC_SNAPPY, "snappy"},
                  {CODEC_GZIP, "gzip"},
                  {CODEC_ZSTD, "zstd"},
                  {CODEC_LZ4_RAW, "lz4_raw"}};
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        pq_write_options o;
        pq_write_options_default(&o);
        o.codec = codecs[i].codec;
        flat_round_trip(&o, codecs[i].name, 2048);
    }
}

static void test_flat_small_pages(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    pq_write_options o;
    pq_write_options_default(&o);
    o.page_size = 2048;
    o.block_size = 48 << 10;
    o.page_rows = 300;
    o.dict_page_size = 512; /* the dictionaries fall back to PLAIN */
    flat_round_trip(&o, "small pages", 2048);
    o.dictionary = false;
    flat_round_trip(&o, "no dictionary", 1000);
    /* The last file has many row groups and pages. */
    char q[1024];
    snprintf(q, sizeof q,
             "SELECT count(DISTINCT row_group_id) > 3, max(row_group_num_rows) < 4000 FROM "
             "parquet_metadata('%s/f%d.parquet')",
             dir, fileno_ - 1);
    char *got = kt_duck_query(q);
    compare("row groups", got, "true\ttrue\n");
    free(got);
}

static void test_timestamp_types(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    static const char *const expect[] = {"INT64\tTIMESTAMP_MICROS\n", "INT64\tTIMESTAMP_MILLIS\n",
                                         "INT96\tNULL\n"};
    int types[] = {PQ_TS_MICROS, PQ_TS_MILLIS, PQ_TS_INT96};
    for (int i = 0; i < 3; i++) {
        pq_write_options o;
        pq_write_options_default(&o);
        o.ts_type = types[i];
        flat_round_trip(&o, "timestamps", 700);
        char q[1024];
        snprintf(q, sizeof q,
                 "SELECT type, converted_type FROM parquet_schema('%s/f%d.parquet') WHERE name = "
                 "'ts'",
                 dir, fileno_ - 1);
        char *got = kt_duck_query(q);
        compare("timestamp type", got, expect[i]);
        free(got);
    }
}

static const char *const nested_defs[] = {
    "k bigint",
    "ai array<int>",
    "aas array<array<string>>",
    "msi map<string,int>",
    "mia map<int,array<boolean>>",
    "st struct<a:int,b:string,c:array<bigint>>",
    "sst struct<x:struct<y:boolean,z:array<struct<p:int,q:string>>>,w:smallint>",
    "aos array<struct<x:int,y:string>>",
    "mm map<string,map<string,bigint>>",
};

static void test_nested(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    int n = (int)(sizeof nested_defs / sizeof nested_defs[0]);
    for (int round = 0; round < 3; round++) {
        kiln_arena *a = kiln_arena_new();
        col_schema s = schema_of(a, nested_defs, n);
        int nullpct[16];
        for (int c = 0; c < n; c++) nullpct[c] = round == 2 ? 100 : round * 20;
        pq_write_options o;
        pq_write_options_default(&o);
        if (round == 1) {
            o.page_size = 1024;
            o.block_size = 16 << 10;
        }
        job j;
        job_start(&j, &s, &o);
        int64_t k = 0;
        for (int bi = 0; bi < 3; bi++) {
            col_batch b;
            make_batch(&b, a, &s, 1500, &k, nullpct);
            job_write(&j, &b);
        }
        job_check(&j, "nested");
        kiln_arena_free(a);
    }
}

/* Statistics, encodings, codecs and logical types as parquet_metadata and
 * parquet_schema show them. */
static void test_metadata(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    kiln_arena *a = kiln_arena_new();
    static const char *const defs[] = {"k bigint",    "i int",    "few string",
                                       "many string", "d double", "dec decimal(20,2)",
                                       "t tinyint"};
    col_schema s = schema_of(a, defs, 7);
    pq_write_options o;
    pq_write_options_default(&o);
    o.dict_page_size = 2048; /* "many" falls back to PLAIN after some pages */
    o.page_rows = 100;
    job j;
    job_start(&j, &s, &o);
    int64_t k = 0;
    int nullpct[7] = {0, 0, 0, 0, 0, 0, 0};
    col_batch b;
    make_batch(&b, a, &s, 1000, &k, nullpct);
    col_vec *i = &b.cols[1];
    assert_int_equal(col_vec_add_validity(i, a, 1000), KILN_OK);
    for (uint32_t r = 0; r < 1000; r++) {
        ((int32_t *)i->data)[r] = (int32_t)r + 1;
        if (r % 10 == 0) col_set_null(i, r);
        char buf[32];
        int n = snprintf(buf, sizeof buf, "v%c", 'a' + (int)(r % 26));
        assert_true(col_str_copy(a, buf, (uint32_t)n, &((col_str *)b.cols[2].data)[r]));
        n = snprintf(buf, sizeof buf, "many-%08u", r / 4);
        assert_true(col_str_copy(a, buf, (uint32_t)n, &((col_str *)b.cols[3].data)[r]));
        ((double *)b.cols[4].data)[r] = r % 3 == 0 ? NAN : r % 3 == 1 ? -0.0 : 5.5;
        ((__int128 *)b.cols[5].data)[r] = (__int128)r * 100 - 50000;
        ((int8_t *)b.cols[6].data)[r] = (int8_t)(r % 200 - 100);
    }
    job_write(&j, &b);
    job_check(&j, "metadata rows");
    char q[1024];
    snprintf(q, sizeof q,
             "SELECT path_in_schema, compression, encodings, stats_min_value, stats_max_value, "
             "stats_null_count, num_values FROM parquet_metadata('%s') ORDER BY column_id",
             j.path);
    char *got = kt_duck_query(q);
    compare("metadata", got,
            "k\tSNAPPY\tPLAIN\t0\t999\t0\t1000\n"
            "i\tSNAPPY\tPLAIN, RLE\t2\t1000\t100\t1000\n"
            "few\tSNAPPY\tPLAIN, RLE, RLE_DICTIONARY\tva\tvz\t0\t1000\n"
            "many\tSNAPPY\tPLAIN, RLE, RLE_DICTIONARY\tmany-00000000\tmany-00000249\t0\t1000\n"
            "d\tSNAPPY\tPLAIN, RLE, RLE_DICTIONARY\t-0.0\t5.5\t0\t1000\n"
            "dec\tSNAPPY\tPLAIN, RLE\t-500.00\t499.00\t0\t1000\n"
            "t\tSNAPPY\tPLAIN, RLE\t-100\t99\t0\t1000\n" /* 100 values a page: PLAIN */);
    free(got);
    snprintf(q, sizeof q,
             "SELECT name, type, repetition_type, converted_type, scale, precision FROM "
             "parquet_schema('%s')",
             j.path);
    got = kt_duck_query(q);
    compare("schema", got,
            "spark_schema\tNULL\tNULL\tNULL\tNULL\tNULL\n"
            "k\tINT64\tREQUIRED\tNULL\tNULL\tNULL\n"
            "i\tINT32\tOPTIONAL\tNULL\tNULL\tNULL\n"
            "few\tBYTE_ARRAY\tOPTIONAL\tUTF8\tNULL\tNULL\n"
            "many\tBYTE_ARRAY\tOPTIONAL\tUTF8\tNULL\tNULL\n"
            "d\tDOUBLE\tOPTIONAL\tNULL\tNULL\tNULL\n"
            "dec\tFIXED_LEN_BYTE_ARRAY\tOPTIONAL\tDECIMAL\t2\t20\n"
            "t\tINT32\tOPTIONAL\tINT_8\tNULL\tNULL\n");
    free(got);
    snprintf(q, sizeof q,
             "SELECT created_by, num_row_groups, format_version FROM parquet_file_metadata('%s')",
             j.path);
    got = kt_duck_query(q);
    compare("file", got, "kiln version " KILN_VERSION "\t1\t1\n");
    free(got);
    snprintf(q, sizeof q,
             "SELECT decode(value) FROM parquet_kv_metadata('%s') WHERE decode(key) = "
             "'org.apache.spark.sql.parquet.row.metadata'",
             j.path);
    got = kt_duck_query(q);
    compare("spark schema", got,
            "{\"type\":\"struct\",\"fields\":[{\"name\":\"k\",\"type\":\"long\",\"nullable\":"
            "false,\"metadata\":{}},{\"name\":\"i\",\"type\":\"integer\",\"nullable\":true,"
            "\"metadata\":{}},{\"name\":\"few\",\"type\":\"string\",\"nullable\":true,\"metadata\":"
            "{}},{\"name\":\"many\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},{"
            "\"name\":\"d\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},{\"name\":"
            "\"dec\",\"type\":\"decimal(20,2)\",\"nullable\":true,\"metadata\":{}},{\"name\":"
            "\"t\",\"type\":\"byte\",\"nullable\":true,\"metadata\":{}}]}\n");
    free(got);
    kiln_arena_free(a);
}

static void test_empty_file(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    kiln_arena *a = kiln_arena_new();
    col_schema s = schema_of(a, nested_defs, 4);
    pq_write_options o;
    pq_write_options_default(&o);
    job j;
    job_start(&j, &s, &o);
    job_check(&j, "empty");
    char q[1024];
    snprintf(q, sizeof q, "SELECT count(*) FROM parquet_schema('%s')", j.path);
    char *got = kt_duck_query(q);
    compare("empty schema", got, "14\n");
    free(got);
    kiln_arena_free(a);
}

static void test_refuses_intervals(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    static const char *const defs[] = {"k bigint", "iv struct<x:interval year to month>"};
    col_field f[2] = {{"k", &col_type_i64, false}, {"iv", &col_type_interval_dt, true}};
    col_schema s = {2, f};
    assert_int_equal(pq_check_schema(&s), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE"));
    assert_non_null(strstr(kiln_last_error(), "`iv`"));
    (void)defs;
    /* a null in a REQUIRED column is refused, not written */
    col_schema s2 = {1, f};
    pq_write_options o;
    pq_write_options_default(&o);
    FILE *out = fopen("/dev/null", "wb");
    pq_writer *w;
    assert_int_equal(pq_writer_new(&s2, &o, to_file, out, &w), KILN_OK);
    int64_t k = 0;
    int nullpct[1] = {0};
    col_batch b;
    make_batch(&b, a, &s2, 10, &k, nullpct);
    assert_int_equal(col_vec_add_validity(&b.cols[0], a, 10), KILN_OK);
    col_set_null(&b.cols[0], 3);
    assert_int_equal(pq_writer_write(w, &b), KILN_EINVAL);
    assert_non_null(strstr(kiln_last_error(), "`k`"));
    assert_int_not_equal(pq_writer_finish(w), KILN_OK);
    pq_writer_free(w);
    fclose(out);
    kiln_arena_free(a);
}

/* Memory stays bounded by the row group size, not the data written. */
static void test_memory_bound(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    static const char *const defs[] = {"k bigint", "s string", "d double"};
    col_schema s = schema_of(a, defs, 3);
    pq_write_options o;
    pq_write_options_default(&o);
    o.block_size = 1 << 20;
    FILE *f = fopen("/dev/null", "wb");
    pq_writer *w;
    assert_int_equal(pq_writer_new(&s, &o, to_file, f, &w), KILN_OK);
    int64_t k = 0;
    int nullpct[3] = {0, 5, 5};
    for (int i = 0; i < 200; i++) { /* ~ 10 MB of values */
        kiln_arena_reset(a);
        col_batch b;
        s = schema_of(a, defs, 3);
        make_batch(&b, a, &s, 2048, &k, nullpct);
        assert_int_equal(pq_writer_write(w, &b), KILN_OK);
    }
    assert_int_equal(pq_writer_finish(w), KILN_OK);
    size_t peak = pq_writer_peak_bytes(w);
    printf("peak writer memory %zu bytes (block size %lld)\n", peak, (long long)o.block_size);
    assert_true(peak < 8u << 20);
    pq_writer_free(w);
    fclose(f);
    kiln_arena_free(a);
}

/* ---- Property test: random schemas ----------------------------------------------------- */

static const col_type *rand_type(kiln_arena *a, int depth, bool nested_ok)
{
    int r = (int)(rnd() % (depth < 3 && nested_ok ? 10 : 6));
    static const col_type *const leaf_nested[] = {&col_type_bool, &col_type_i32, &col_type_i64,
                                                  &col_type_string, &col_type_i16};
    if (r < 6) {
        if (depth > 0) return leaf_nested[rnd() % 5];
        static const char *const flat[] = {"boolean",       "tinyint",      "int",
                                           "bigint",        "double",       "float",
                                           "string",        "binary",       "date",
                                           "timestamp",     "decimal(9,3)", "decimal(17,17)",
                                           "decimal(37,5)", "timestamp_ntz"};
        return T(a, flat[rnd() % 14]);
    }
    if (r < 7) return col_type_array(a, rand_type(a, depth + 1, true), rnd() & 1);
    if (r < 8) {
        const col_type *key = rnd() & 1 ? &col_type_string : &col_type_i32;
        return col_type_map(a, key, rand_type(a, depth + 1, true), rnd() & 1);
    }
    int nf = 1 + (int)(rnd() % 3);
    col_field f[3];
    static const char *const names[] = {"a", "b", "c"};
    for (int i = 0; i < nf; i++)
        f[i] = (col_field){names[i], rand_type(a, depth + 1, true), rnd() % 3 != 0};
    return col_type_struct(a, f, nf);
}

static void test_random_schemas(void **state)
{
    (void)state;
    if (!kt_duck_available()) skip();
    static const int codecs[] = {CODEC_NONE, CODEC_SNAPPY, CODEC_GZIP, CODEC_ZSTD, CODEC_LZ4_RAW};
    for (int seed = 1; seed <= 40; seed++) {
        rng = 0x9E3779B97F4A7C15ull * (uint64_t)seed;
        kiln_arena *a = kiln_arena_new();
        int n = 2 + (int)(rnd() % 6);
        col_schema s = {n, arr(a, (size_t)n, sizeof(col_field))};
        s.fields[0] = (col_field){"k", &col_type_i64, false};
        int nullpct[8] = {0};
        for (int c = 1; c < n; c++) {
            char *name = kiln_arena_alloc(a, 16);
            snprintf(name, 16, "c%d", c % 100);
            s.fields[c] = (col_field){name, rand_type(a, 0, true), rnd() % 4 != 0};
            nullpct[c] = (int)(rnd() % 4) * 33;
        }
        pq_write_options o;
        pq_write_options_default(&o);
        o.codec = codecs[rnd() % 5];
        o.dictionary = rnd() % 3 != 0;
        if (rnd() & 1) o.page_size = 512 + (int64_t)(rnd() % 4096);
        if (rnd() & 1) o.block_size = 4096 + (int64_t)(rnd() % 65536);
        if (rnd() & 1) o.dict_page_size = 256 + (int64_t)(rnd() % 2048);
        if (rnd() & 1) o.page_rows = 1 + (int64_t)(rnd() % 500);
        o.ts_type = (int)(rnd() % 3);
        job j;
        job_start(&j, &s, &o);
        int64_t k = 0;
        int nb = (int)(rnd() % 4);
        for (int bi = 0; bi < nb; bi++) {
            col_batch b;
            make_batch(&b, a, &s, 1 + (uint32_t)(rnd() % 2048), &k, nullpct);
            job_write(&j, &b);
        }
        char what[64];
        snprintf(what, sizeof what, "seed %d", seed);
        job_check(&j, what);
        kiln_arena_free(a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flat_codecs),       cmocka_unit_test(test_flat_small_pages),
        cmocka_unit_test(test_timestamp_types),   cmocka_unit_test(test_nested),
        cmocka_unit_test(test_metadata),          cmocka_unit_test(test_empty_file),
        cmocka_unit_test(test_refuses_intervals), cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_random_schemas),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
