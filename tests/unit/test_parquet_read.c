/*
 * tests/unit/test_parquet_read.c - kiln's Parquet reader (src/parquet via
 * the datasource format "parquet"): the eight TPC-H SF 0.1 tables written
 * by DuckDB (zstd) read equal to the .tbl.gz files read by the CSV reader
 * with the same schema; row-group pruning by pushed filters; damaged files
 * (bad magic, truncated, lying footer length, flipped bytes) fail with an
 * error naming the file and never crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasource/ds_int.h"
#include "kt.h"
#include "kt_ds.h"
#include "parquet/parquet.h"

#define DATA "../shared/data/tpch-sf0.1"

static char *data_dir(void)
{
    /* Tests run in build/ or build/tests; the data sits beside the repo. */
    static const char *tries[] = {"../" DATA, "../../" DATA, DATA};
    for (int i = 0; i < 3; i++) {
        char p[512];
        snprintf(p, sizeof p, "%s/parquet/nation.parquet", tries[i]);
        if (access(p, R_OK) == 0) return strdup(tries[i]);
    }
    return NULL;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of t sorted (t is modified). */
static char **sorted_lines(char *t, size_t *n)
{
    size_t cap = 1024, k = 0;
    char **v = malloc(cap * sizeof *v);
    for (char *p = t; *p;) {
        char *e = strchr(p, '\n');
        if (e) *e = '\0';
        if (k == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[k++] = p;
        if (!e) break;
        p = e + 1;
    }
    qsort(v, k, sizeof *v, cmp_lines);
    *n = k;
    return v;
}

static void check_table(const char *dir, const char *name)
{
    char pq[512], tbl[512];
    snprintf(pq, sizeof pq, "%s/parquet/%s.parquet", dir, name);
    snprintf(tbl, sizeof tbl, "%s/tbl/%s.tbl.gz", dir, name);
    char *rows = NULL, *schema = NULL;
    if (kt_ds_read("parquet", pq, NULL, NULL, NULL, -1, &rows, &schema))
        fail_msg("%s: %s", pq, kiln_last_error());
    /* The schema as DDL, plus the empty field after the trailing '|'. */
    size_t sl = strlen(schema);
    char *ddl = malloc(sl + 32);
    for (size_t i = 0; i <= sl; i++) ddl[i] = schema[i] == ':' ? ' ' : schema[i];
    strcat(ddl, ",zz_trailing string");
    ds_options *o = kt_ds_opts("sep", "|", NULL);
    char *want = NULL;
    if (kt_ds_read("csv", tbl, o, ddl, NULL, -1, &want, NULL))
        fail_msg("%s: %s", tbl, kiln_last_error());
    ds_options_free(o);
    size_t na, nb;
    char **a = sorted_lines(rows, &na), **b = sorted_lines(want, &nb);
    assert_int_equal(na, nb);
    assert_true(na > 0);
    for (size_t i = 0; i < na; i++) {
        size_t lb = strlen(b[i]);
        assert_true(lb > 5 && strcmp(b[i] + lb - 5, "|NULL") == 0);
        b[i][lb - 5] = '\0';
        if (strcmp(a[i], b[i]) != 0)
            fail_msg("%s row %zu (%s):\n%s\n%s", name, i, schema, a[i], b[i]);
    }
    printf("%s: %zu rows equal (%s)\n", name, na, schema);
    free(a);
    free(b);
    free(rows);
    free(want);
    free(schema);
    free(ddl);
}

static void test_tpch(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (!dir) {
        printf("skipped: no %s (TPC-H SF 0.1 data)\n", DATA);
        return;
    }
    const char *t[] = {"region", "nation",   "supplier", "customer",
                       "part",   "partsupp", "orders",   "lineitem"};
    for (int i = 0; i < 8; i++) check_table(dir, t[i]);
    free(dir);
}

/* Reads path whole; returns the error code. */
static int read_all(const char *path)
{
    char *rows = NULL;
    int rc = kt_ds_read("parquet", path, NULL, NULL, NULL, -1, &rows, NULL);
    free(rows);
    return rc;
}

static void test_damaged(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (!dir) {
        printf("skipped: no %s\n", DATA);
        return;
    }
    char src[512];
    snprintf(src, sizeof src, "%s/parquet/nation.parquet", dir);
    size_t n;
    char *orig = kt_read_file(src, &n);
    char *tmp = kt_tmpdir_new();
    char *p = kt_path(tmp, "bad.parquet");
    char *buf = malloc(n);
    /* Bad magic. */
    memcpy(buf, orig, n);
    buf[n - 1] = 'X';
    kt_write_file(p, buf, n);
    assert_int_not_equal(read_all(p), 0);
    assert_non_null(strstr(kiln_last_error(), "bad.parquet"));
    assert_non_null(strstr(kiln_last_error(), "bad magic"));
    /* Truncated files of every length up to 64 bytes and some more. */
    for (size_t len = 0; len < n; len += len < 64 ? 1 : 97) {
        kt_write_file(p, orig, len);
        int rc = read_all(p);
        if (len > 0) assert_int_not_equal(rc, 0);
        if (rc) assert_non_null(strstr(kiln_last_error(), "bad.parquet"));
    }
    /* A lying footer length. */
    memcpy(buf, orig, n);
    buf[n - 8] = (char)0xff, buf[n - 7] = (char)0xff, buf[n - 6] = 0x7f;
    kt_write_file(p, buf, n);
    assert_int_not_equal(read_all(p), 0);
    assert_non_null(strstr(kiln_last_error(), "footer length"));
    /* Flipped bytes anywhere: an error or rows, never a crash. */
    srand(7);
    for (int k = 0; k < 400; k++) {
        memcpy(buf, orig, n);
        for (int j = 0; j < 3; j++) buf[(size_t)rand() % n] ^= (char)(1 + rand() % 255);
        kt_write_file(p, buf, n);
        if (read_all(p)) assert_non_null(strstr(kiln_last_error(), "bad.parquet"));
    }
    free(buf);
    free(orig);
    free(p);
    free(tmp);
    free(dir);
}

static void test_pruning(void **state)
{
    (void)state;
    char *dir = data_dir();
    if (!dir) {
        printf("skipped: no %s\n", DATA);
        return;
    }
    char src[512];
    snprintf(src, sizeof src, "%s/parquet/lineitem.parquet", dir);
    pq_file *f;
    assert_int_equal(pq_file_open(src, &f), 0);
    int ng = pq_file_num_row_groups(f);
    printf("lineitem: %d row groups\n", ng);
    /* l_orderkey ascends through the file: a filter on it keeps few groups. */
    pq_stats st;
    assert_int_equal(pq_rg_stats(f, ng - 1, "L_ORDERKEY", &col_type_i32, &st), 1);
    int32_t key = *(int32_t *)st.min + 1;
    pq_file_close(f);
    kiln_arena *a = kiln_arena_new();
    ds_options *o = kt_ds_opts(NULL);
    col_schema schema;
    assert_int_equal(ds_infer_schema("parquet", src, o, a, &schema), 0);
    int col = -1;
    for (int i = 0; i < schema.n; i++)
        if (strcmp(schema.fields[i].name, "l_orderkey") == 0) col = i;
    assert_true(col >= 0);
    ds_filter flt = {.col = col, .op = DS_F_GE};
    col_vec_init(&flt.values, a, &col_type_i32, 1);
    COL_DATA(&flt.values, int32_t)[0] = key;
    flt.values.n = 1;
    ds_split *sp;
    int ns;
    assert_int_equal(ds_plan_splits("parquet", src, o, 1, a, &sp, &ns), 0);
    int64_t rows[2] = {0, 0}, groups[2];
    for (int pass = 0; pass < 2; pass++) {
        int64_t before = pq_row_groups_read();
        for (int s = 0; s < ns; s++) {
            ds_reader *r;
            int proj = col;
            assert_int_equal(ds_reader_open_pushed("parquet", &sp[s], &schema, &proj, 1, &flt, pass,
                                                   o, &r),
                             0);
            kiln_arena *b = kiln_arena_new();
            col_batch bt;
            int rc;
            while ((rc = ds_reader_next(r, b, &bt)) == 1)
                for (uint32_t i = 0; i < bt.n; i++)
                    rows[pass] += COL_DATA(&bt.cols[0], int32_t)[i] >= key;
            assert_int_equal(rc, 0);
            kiln_arena_free(b);
            ds_reader_close(r);
        }
        groups[pass] = pq_row_groups_read() - before;
    }
    printf("pruning: %lld row groups without the filter, %lld with; %lld matching rows\n",
           (long long)groups[0], (long long)groups[1], (long long)rows[1]);
    assert_int_equal(groups[0], ng);
    assert_int_equal(groups[1], 1);
    assert_int_equal(rows[0], rows[1]);
    assert_true(rows[1] > 0);
    ds_options_free(o);
    kiln_arena_free(a);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tpch),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_pruning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
