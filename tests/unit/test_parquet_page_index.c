/*
 * test_parquet_page_index.c - the Parquet page index (src/parquet/
 * write_page_index.c, read_page_index.c) and page pruning
 * (datasource/parquet_read.c, parquet/read_batch.c): files kiln writes with
 * small pages (sorted and unsorted data, nulls, all-null pages, empty and
 * long strings, skewed runs of one value; int, bigint, double, string,
 * date, decimal(10,2), timestamp, decimal(25,3)) read with random pushed
 * filters of every ds_filter op, one or two ANDed: the rows that pass the
 * filter (checked in the test) must equal those of a reference read with
 * page pruning off and no filter, filtered by the test, and over sorted
 * data fewer pages must be decoded. DuckDB reads the files (aggregates
 * equal), and SQL over a sorted dataset gives the same answers with
 * parquet.filter.columnindex.enabled on and off.
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
#include <unistd.h>

#include <cmocka.h>

#include "column/column.h"
#include "datasource/datasource.h"
#include "kiln.h"
#include "kt.h"
#include "kt_ds.h"
#include "kt_duck.h"
#include "kt_rand.h"
#include "kt_rows.h"
#include "parquet/parquet.h"

#define NCOLS 8
#define MAXROWS 8000

static char dir[256];
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static kiln_arena *A; /* the reference data */

static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static const char *const NAMES[NCOLS] = {"i", "b", "d", "s", "dt", "dec", "ts", "w"};

static const col_type *col_t(int c)
{
    switch (c) {
    case 0:
        return &col_type_i32;
    case 1:
        return &col_type_i64;
    case 2:
        return &col_type_f64;
    case 3:
        return &col_type_string;
    case 4:
        return &col_type_date;
    case 5:
        return col_type_decimal(A, 10, 2);
    case 6:
        return &col_type_timestamp;
    default:
        return col_type_decimal(A, 25, 3);
    }
}

/* ---- Writing ---------------------------------------------------------------------------- */

static int to_file(void *arg, const void *p, size_t n)
{
    return fwrite(p, 1, n, arg) == n ? KILN_OK : kiln_set_error(KILN_EIO, "short write");
}

/* Sets row r of v from key k (the columns are increasing functions of k). */
static void put(col_vec *v, int c, uint32_t r, int64_t k, kiln_arena *a)
{
    switch (c) {
    case 0:
        COL_DATA(v, int32_t)[r] = (int32_t)(k - 3000);
        break;
    case 1:
        COL_DATA(v, int64_t)[r] = k * 1000003;
        break;
    case 2:
        COL_DATA(v, double)[r] = (double)k * 0.5 - 100;
        break;
    case 3: {
        char b[128];
        int n = k % 13 == 0 ? 0 : snprintf(b, sizeof b, "%08lld", (long long)k);
        if (k % 5 == 1) /* longer than the 64 bytes a ColumnIndex keeps */
            n += snprintf(b + n, sizeof b - (size_t)n, "%070d", 7);
        assert_true(col_str_copy(a, b, (uint32_t)n, &COL_DATA(v, col_str)[r]));
        break;
    }
    case 4:
        COL_DATA(v, int32_t)[r] = (int32_t)(k / 4 - 400);
        break;
    case 5:
        COL_DATA(v, int64_t)[r] = k * 7 - 1000;
        break;
    case 6:
        COL_DATA(v, int64_t)[r] = (k - 100) * 3600000000LL;
        break;
    default:
        COL_DATA(v, __int128)[r] = (__int128)(k - 50) * 100000000000000000LL * 1000;
    }
}

/* Writes n rows to path: keys ascending (sorted) or random, with runs of
 * one key (skew), 10% nulls, and rows [n/6, n/6 + 4 pages) null in d and
 * s (all-null pages). */
static void write_file(const char *path, int n, bool sorted, int page_rows, int64_t base)
{
    kiln_arena *a = kiln_arena_new();
    col_schema s = {NCOLS, kiln_arena_alloc(A, sizeof(col_field) * NCOLS)};
    const col_type *types[NCOLS];
    for (int c = 0; c < NCOLS; c++) {
        types[c] = col_t(c);
        s.fields[c] = (col_field){NAMES[c], types[c], true};
    }
    pq_write_options o;
    pq_write_options_default(&o);
    o.page_rows = page_rows;
    o.block_size = 48 << 10;
    if (rnd() % 3 == 0) o.codec = 0;
    if (rnd() % 3 == 0) o.dictionary = false;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    pq_writer *w;
    assert_int_equal(pq_writer_new(&s, &o, to_file, f, &w), KILN_OK);
    int64_t k = base;
    for (int at = 0; at < n;) {
        uint32_t m = (uint32_t)(n - at < 1000 ? n - at : 1000);
        col_batch b;
        assert_int_equal(col_batch_init(&b, a, NCOLS, types, m), 0);
        for (int c = 0; c < NCOLS; c++) assert_int_equal(col_vec_add_validity(&b.cols[c], a, m), 0);
        for (uint32_t r = 0; r < m; r++) {
            int row = at + (int)r;
            if (sorted) k += rnd() % 10 == 0 ? 0 : (int64_t)(rnd() % 3);          /* runs: skew */
            else k = rnd() % 10 < 3 ? 777 : (int64_t)(rnd() % (uint64_t)(2 * n)); /* 30% one key */
            for (int c = 0; c < NCOLS; c++) {
                bool null = rnd() % 10 == 0 ||
                            ((c == 2 || c == 3) && row >= n / 6 && row < n / 6 + 4 * page_rows);
                put(&b.cols[c], c, r, k, a);
                if (null) col_set_null(&b.cols[c], r);
            }
        }
        b.n = m;
        assert_int_equal(pq_writer_write(w, &b), KILN_OK);
        kiln_arena_reset(a);
        at += (int)m;
    }
    assert_int_equal(pq_writer_finish(w), KILN_OK);
    pq_writer_free(w);
    assert_int_equal(fclose(f), 0);
    kiln_arena_free(a);
}

/* ---- Values and the reference filter ------------------------------------------------------ */

static int vcmp(const col_vec *x, uint32_t i, const col_vec *y, uint32_t j)
{
#define C3(T) (COL_DATA(x, T)[i] < COL_DATA(y, T)[j] ? -1 : COL_DATA(x, T)[i] > COL_DATA(y, T)[j])
    switch (x->type->kind) {
    case COL_I32:
    case COL_DATE:
        return C3(int32_t);
    case COL_F64:
        return C3(double);
    case COL_STRING: {
        const col_str *a = &COL_DATA(x, col_str)[i], *b = &COL_DATA(y, col_str)[j];
        size_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(col_str_data(a), col_str_data(b), n) : 0;
        return c ? (c < 0 ? -1 : 1) : (a->len > b->len) - (a->len < b->len);
    }
    case COL_DECIMAL:
        if (col_decimal_is_wide(x->type)) return C3(__int128);
        return C3(int64_t);
    default:
        return C3(int64_t);
    }
#undef C3
}

/* Whether row i of v passes f (SQL's semantics, written out here). */
static bool passes(const ds_filter *f, const col_vec *v, uint32_t i)
{
    const col_vec *l = &f->values;
    bool nv = !col_valid(v, i);
    switch (f->op) {
    case DS_F_IS_NULL:
        return nv;
    case DS_F_IS_NOT_NULL:
        return !nv;
    case DS_F_EQ_NULL_SAFE:
        if (!col_valid(l, 0) || nv) return !col_valid(l, 0) && nv;
        return vcmp(v, i, l, 0) == 0;
    case DS_F_IN:
        for (uint32_t k = 0; !nv && k < l->n; k++)
            if (col_valid(l, k) && vcmp(v, i, l, k) == 0) return true;
        return false;
    default: {
        if (nv || !col_valid(l, 0)) return false;
        int c = vcmp(v, i, l, 0);
        switch (f->op) {
        case DS_F_EQ:
            return c == 0;
        case DS_F_LT:
            return c < 0;
        case DS_F_LE:
            return c <= 0;
        case DS_F_GT:
            return c > 0;
        default:
            return c >= 0;
        }
    }
    }
}

/* Appends row i of the batch's columns as a text line. */
static void line(kiln_buf *b, col_vec *const *cols, uint32_t i)
{
    char t[96];
    for (int c = 0; c < NCOLS; c++) {
        const col_vec *v = cols[c];
        int n;
        if (!col_valid(v, i)) n = snprintf(t, sizeof t, "N");
        else if (c == 3) {
            const col_str *s = &COL_DATA(v, col_str)[i];
            assert_int_equal(kiln_buf_append(b, col_str_data(s), s->len), 0);
            n = 0;
        } else if (c == 0 || c == 4) n = snprintf(t, sizeof t, "%d", COL_DATA(v, int32_t)[i]);
        else if (c == 2) n = snprintf(t, sizeof t, "%.17g", COL_DATA(v, double)[i]);
        else if (c == 7) {
            __int128 w = COL_DATA(v, __int128)[i];
            n = snprintf(t, sizeof t, "%llx:%llx", (unsigned long long)(w >> 64),
                         (unsigned long long)w);
        } else n = snprintf(t, sizeof t, "%lld", (long long)COL_DATA(v, int64_t)[i]);
        assert_int_equal(kiln_buf_append(b, t, (size_t)n), 0);
        assert_int_equal(kiln_buf_append(b, c + 1 < NCOLS ? "|" : "\n", 1), 0);
    }
}

/* The reference: every row of path (pruning off, no filter), values copied. */
typedef struct table {
    col_vec cols[NCOLS];
    uint32_t n;
} table;

static void copy_row(col_vec *to, uint32_t r, const col_vec *from, uint32_t i)
{
    size_t w = col_type_width(from->type);
    if (!col_valid(from, i)) {
        col_set_null(to, r);
        return;
    }
    if (from->type->kind == COL_STRING) {
        const col_str *s = &COL_DATA(from, col_str)[i];
        assert_true(col_str_copy(A, col_str_data(s), s->len, &COL_DATA(to, col_str)[r]));
    } else {
        memcpy((char *)to->data + r * w, (const char *)from->data + i * w, w);
    }
}

/* Reads path with filters f[0..nf) and the page index on or off: the
 * rows passing every filter (as lines) and how many rows came out. */
static char *scan(const char *path, const ds_filter *f, int nf, bool pages, table *all,
                  int64_t *emitted)
{
    kiln_arena *a = kiln_arena_new();
    ds_options *o = kt_ds_opts("parquet.filter.columnindex.enabled", pages ? "true" : "false",
                               NULL);
    col_schema schema;
    assert_int_equal(ds_infer_schema("parquet", path, o, a, &schema), 0);
    assert_int_equal(schema.n, NCOLS);
    ds_split *sp;
    int ns;
    assert_int_equal(ds_plan_splits("parquet", path, o, 2, a, &sp, &ns), 0);
    kiln_buf out;
    kiln_buf_init(&out);
    *emitted = 0;
    for (int s = 0; s < ns; s++) {
        ds_reader *r;
        int rc = ds_reader_open_pushed("parquet", &sp[s], &schema, NULL, NCOLS, f, nf, o, &r);
        if (rc) fail_msg("open: %s", kiln_last_error());
        kiln_arena *b = kiln_arena_new();
        col_batch bt;
        while ((rc = ds_reader_next(r, b, &bt)) == 1) {
            col_vec *cols[NCOLS];
            for (int c = 0; c < NCOLS; c++) cols[c] = &bt.cols[c];
            *emitted += bt.n;
            for (uint32_t i = 0; i < bt.n; i++) {
                bool ok = true;
                for (int k = 0; k < nf && ok; k++) ok = passes(&f[k], cols[f[k].col], i);
                if (!ok) continue;
                line(&out, cols, i);
                if (all) {
                    assert_true(all->n < MAXROWS);
                    for (int c = 0; c < NCOLS; c++) copy_row(&all->cols[c], all->n, cols[c], i);
                    all->n++;
                }
            }
            kiln_arena_reset(b);
        }
        if (rc) fail_msg("read: %s", kiln_last_error());
        kiln_arena_free(b);
        ds_reader_close(r);
    }
    ds_options_free(o);
    kiln_arena_free(a);
    assert_int_equal(kiln_buf_append(&out, "", 1), 0);
    return (char *)out.data;
}

/* A random filter on a random column, literals taken from the data (a
 * null among them sometimes) or just past it. */
static void rand_filter(const table *t, ds_filter *f)
{
    memset(f, 0, sizeof *f);
    f->col = (int)(rnd() % NCOLS);
    f->op = (uint8_t)(rnd() % 9);
    uint32_t k = f->op == DS_F_IN ? 1 + (uint32_t)(rnd() % 4) : 1;
    if (f->op == DS_F_IS_NULL || f->op == DS_F_IS_NOT_NULL) k = 0;
    const col_vec *src = &t->cols[f->col];
    assert_int_equal(col_vec_init(&f->values, A, src->type, k ? k : 1), 0);
    assert_int_equal(col_vec_add_validity(&f->values, A, k ? k : 1), 0);
    for (uint32_t j = 0; j < k; j++) {
        uint32_t i = (uint32_t)(rnd() % t->n);
        if (rnd() % 6 == 0) i = t->n - 1 - (uint32_t)(rnd() % 3); /* near the end */
        copy_row(&f->values, j, src, i);
    }
    f->values.n = k;
}

/* ---- Tests ---------------------------------------------------------------------------------- */

static void check_file(const char *path, bool sorted, bool strict, int rounds)
{
    table all;
    memset(&all, 0, sizeof all);
    for (int c = 0; c < NCOLS; c++) {
        assert_int_equal(col_vec_init(&all.cols[c], A, col_t(c), MAXROWS), 0);
        assert_int_equal(col_vec_add_validity(&all.cols[c], A, MAXROWS), 0);
    }
    int64_t em;
    char *everything = scan(path, NULL, 0, false, &all, &em);
    free(everything);
    int fewer = 0, narrow = 0;
    for (int round = 0; round < rounds; round++) {
        ds_filter f[2];
        int nf = 1 + (int)(rnd() % 2);
        for (int k = 0; k < nf; k++) rand_filter(&all, &f[k]);
        if (sorted && round % 4 == 0) { /* a narrow range of a sorted column */
            uint32_t i = (uint32_t)(rnd() % all.n);
            int c = (int)(rnd() % NCOLS);
            while (!col_valid(&all.cols[c], i)) i = (i + 1) % all.n;
            uint32_t j = i + 40 < all.n ? i + 40 : i;
            while (!col_valid(&all.cols[c], j)) j--;
            for (int k = 0; k < 2; k++) {
                f[k].col = c;
                f[k].op = k ? DS_F_LE : DS_F_GE;
                assert_int_equal(col_vec_init(&f[k].values, A, col_t(c), 1), 0);
                assert_int_equal(col_vec_add_validity(&f[k].values, A, 1), 0);
                copy_row(&f[k].values, 0, &all.cols[c], k ? j : i);
                f[k].values.n = 1;
            }
            nf = 2;
        }
        int64_t em_off, em_on, p0 = pq_pages_read();
        char *want = scan(path, f, nf, false, NULL, &em_off);
        int64_t p1 = pq_pages_read();
        char *got = scan(path, f, nf, true, NULL, &em_on);
        int64_t p2 = pq_pages_read();
        if (strcmp(got, want))
            fail_msg("%s round %d: filter col %d op %d (n %u)%s: rows differ:\n got %zu bytes\n "
                     "want %zu bytes",
                     path, round, f[0].col, f[0].op, f[0].values.n, nf > 1 ? " and another" : "",
                     strlen(got), strlen(want));
        assert_true(em_on <= em_off);
        assert_true(p2 - p1 <= p1 - p0);
        fewer += p2 - p1 < p1 - p0;
        if (sorted && round % 4 == 0) {
            narrow++;
            if (strict && f[0].col != 3 && !(p2 - p1 < p1 - p0))
                fail_msg("%s: a narrow range of sorted column %s read %lld pages of %lld", path,
                         NAMES[f[0].col], (long long)(p2 - p1), (long long)(p1 - p0));
        }
        free(want);
        free(got);
    }
    printf("%s: %u rows, %d of %d filters read fewer pages (%d narrow ranges)\n", path, all.n,
           fewer, rounds, narrow);
    if (sorted && strict) assert_true(fewer > rounds / 4);
}

static void test_random_filters(void **state)
{
    (void)state;
    for (int v = 0; v < 6; v++) {
        char path[512];
        bool sorted = v % 2 == 0;
        int n = v < 2 ? 6000 : 500 + (int)(rnd() % 3000);
        int page_rows = v < 2 ? 100 : 20 + (int)(rnd() % 300);
        snprintf(path, sizeof path, "%s/f%d.parquet", dir, v);
        write_file(path, n, sorted, page_rows, (int64_t)(rnd() % 100));
        check_file(path, sorted, v < 2, 60);
    }
}

/* DuckDB reads kiln's files with the page index: equal aggregates. */
static void test_duckdb(void **state)
{
    (void)state;
    if (!kt_duck_available()) return;
    char path[512];
    snprintf(path, sizeof path, "%s/duck.parquet", dir);
    write_file(path, 5000, true, 64, 0);
    char *got = kt_duck_query(
        kt_textf("SELECT count(*), count(s), sum(i), sum(length(s)), count(d), max(b) FROM '%s'",
                 path));
    assert_non_null(got);
    /* The same from kiln's reader. */
    table all;
    memset(&all, 0, sizeof all);
    for (int c = 0; c < NCOLS; c++) {
        assert_int_equal(col_vec_init(&all.cols[c], A, col_t(c), MAXROWS), 0);
        assert_int_equal(col_vec_add_validity(&all.cols[c], A, MAXROWS), 0);
    }
    int64_t em;
    free(scan(path, NULL, 0, true, &all, &em));
    long long ns = 0, si = 0, ls = 0, nd = 0, mb = INT64_MIN;
    for (uint32_t i = 0; i < all.n; i++) {
        if (col_valid(&all.cols[0], i)) si += COL_DATA(&all.cols[0], int32_t)[i];
        if (col_valid(&all.cols[3], i)) {
            ns++;
            const col_str *s = &COL_DATA(&all.cols[3], col_str)[i];
            for (uint32_t k = 0; k < s->len; k++) ls += (col_str_data(s)[k] & 0xC0) != 0x80;
        }
        nd += col_valid(&all.cols[2], i);
        if (col_valid(&all.cols[1], i) && COL_DATA(&all.cols[1], int64_t)[i] > mb)
            mb = COL_DATA(&all.cols[1], int64_t)[i];
    }
    char want[256];
    snprintf(want, sizeof want, "%u\t%lld\t%lld\t%lld\t%lld\t%lld\n", all.n, ns, si, ls, nd, mb);
    assert_string_equal(got, want);
    free(got);
    /* And a filtered query over the sorted file. */
    got = kt_duck_query(kt_textf("SELECT count(*) FROM '%s' WHERE b BETWEEN 1000003 * 300 AND "
                                 "1000003 * 320",
                                 path));
    long long c = 0;
    for (uint32_t i = 0; i < all.n; i++) {
        int64_t b = COL_DATA(&all.cols[1], int64_t)[i];
        c += col_valid(&all.cols[1], i) && b >= 1000003LL * 300 && b <= 1000003LL * 320;
    }
    snprintf(want, sizeof want, "%lld\n", c);
    assert_string_equal(got, want);
    free(got);
}

/* SQL over a sorted dataset: the same answers with the page index on and off. */
static void test_sql(void **state)
{
    (void)state;
    char sub[512];
    snprintf(sub, sizeof sub, "%s/ds", dir);
    mkdir(sub, 0777);
    for (int i = 0; i < 2; i++) {
        char path[600];
        snprintf(path, sizeof path, "%s/part-%05d.parquet", sub, i);
        write_file(path, 4000, true, 50, i * 20000);
    }
    kiln_context *ctx;
    kiln_session *s;
    assert_int_equal(kt_sql_open(&ctx, &s), 0);
    const char *q[] = {
        "SELECT count(*), sum(i), min(s), max(dec) FROM parquet.`%s` WHERE b >= 1000003 * 500 "
        "AND b < 1000003 * 560",
        "SELECT count(*), max(ts) FROM parquet.`%s` WHERE dt = DATE'1970-01-01' OR dt IS NULL",
        "SELECT i, s, d FROM parquet.`%s` WHERE s > '00020100' AND s < '00020130' ORDER BY i, s",
        "SELECT count(*) FROM parquet.`%s` WHERE d IS NULL AND i IN (-2990, 1, 17000)",
        "SELECT count(*), sum(w) FROM parquet.`%s` WHERE ts <=> TIMESTAMP'1970-01-01 05:00:00' "
        "OR w > 12345678901234567890",
    };
    for (size_t k = 0; k < sizeof q / sizeof q[0]; k++) {
        char *res[2];
        for (int on = 0; on < 2; on++) {
            assert_int_equal(kiln_session_conf_set(s, "parquet.filter.columnindex.enabled",
                                                   on ? "true" : "false"),
                             0);
            int64_t p0 = pq_pages_read();
            kt_lines l = kt_df_lines(kt_sqlf(s, q[k], sub), q[k]);
            kiln_buf b;
            kiln_buf_init(&b);
            for (int i = 0; i < l.n; i++) {
                assert_int_equal(kiln_buf_append(&b, l.s[i], strlen(l.s[i])), 0);
                assert_int_equal(kiln_buf_append(&b, "\n", 2), 0);
            }
            res[on] = (char *)b.data;
            printf("query %zu, page index %s: %lld pages, %d rows\n", k, on ? "on" : "off",
                   (long long)(pq_pages_read() - p0), l.n);
            kt_lines_free(&l);
        }
        assert_non_null(res[0]);
        assert_string_equal(res[0], res[1]);
        free(res[0]);
        free(res[1]);
    }
    kt_sql_close(ctx, s);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-pidx-%d", (int)getpid());
    mkdir(dir, 0777);
    A = kiln_arena_new();
    return A ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    kiln_arena_free(A);
    if (!getenv("KEEP")) kt_rm_rf(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_filters),
        cmocka_unit_test(test_duckdb),
        cmocka_unit_test(test_sql),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
