/*
 * test_sql_dataset.c - datasets in the SQL layer (src/datasource/partition.c,
 * dataset.c, src/sql/scan_dataset.c): Hive-partitioned folders written by
 * the test (random rows with nulls, escaped and unicode partition values,
 * __HIVE_DEFAULT_PARTITION__) read through SQL and the DataFrame reader in
 * every format of FORMATS, compared with the test's own sums per
 * partition; inferred partition types; basePath; conflicting layouts;
 * pruned partitions never opened (a corrupt file there would fail the
 * query under FAILFAST); pushed filters in EXPLAIN; 10,000 small files
 * packed into tasks as Spark's FilePartition (the count computed here).
 * KT_MASTER runs it under another master (CMake reruns it under
 * local-cluster[2,1,256]).
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

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_rand.h"
#include "kt_rows.h"

/* Adding a format here runs every test over it. */
static const char *const FORMATS[] = {"csv", "json"};
#define NFORMATS (sizeof FORMATS / sizeof FORMATS[0])

static char dir[256];
static kiln_context *ctx;
static kiln_session *S;
static uint64_t rng = 0x51ED270B27AB1E5Dull;

/* Partition values: y (int), s (string: needs escaping, unicode, null). */
static const int YS[] = {2023, 2024, 2025};
static const char *const SS[] = {"a b", "x/y", "\xc3\xa9:1", NULL};
#define NY 3
#define NS 4
#define ROWS_PER 40

static struct cell {
    int n;
    bool has[ROWS_PER];
    int64_t v[ROWS_PER];
} cells[NY][NS];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-ds-%d", (int)getpid());
    mkdir(dir, 0777);
    ctx = kt_context_new("local[2]");
    return kiln_session_new(ctx, &S);
}

static int teardown(void **state)
{
    (void)state;
    kiln_session_free(S);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    return 0;
}

static void mkdirs(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0777);
            *p = '/';
        }
    mkdir(tmp, 0777);
}

static void mkparent(const char *file)
{
    char d[1024];
    snprintf(d, sizeof d, "%s", file);
    *strrchr(d, '/') = 0;
    mkdirs(d);
}

/* Writes rows as one file of fmt at path. */
static void write_rows(const char *fmt, const char *path, const bool *has, const int64_t *v, int n)
{
    char *buf = malloc(64 * (size_t)n + 16);
    size_t len = 0;
    bool csv = strcmp(fmt, "csv") == 0;
    if (csv) len += (size_t)sprintf(buf + len, "v\n");
    for (int i = 0; i < n; i++) {
        if (csv)
            len += has[i] ? (size_t)sprintf(buf + len, "%lld\n", (long long)v[i])
                          : (size_t)sprintf(buf + len, "\"\"\n");
        else
            len += has[i] ? (size_t)sprintf(buf + len, "{\"v\":%lld}\n", (long long)v[i])
                          : (size_t)sprintf(buf + len, "{\"v\":null}\n");
    }
    kt_write_file(path, buf, len);
    free(buf);
}

/* The dataset root/y=Y/s=S/part-00000.fmt (two files in some cells). */
static void make_dataset(const char *fmt, const char *root)
{
    kt_rm_rf(root);
    for (int y = 0; y < NY; y++)
        for (int s = 0; s < NS; s++) {
            struct cell *c = &cells[y][s];
            c->n = 1 + (int)(kt_rand(&rng) % ROWS_PER);
            for (int i = 0; i < c->n; i++) {
                c->has[i] = kt_rand(&rng) % 5 != 0;
                c->v[i] = (int64_t)(kt_rand(&rng) % 2001) - 1000;
            }
            char es[64], d[1024], f[1100];
            if (SS[s]) kt_escape_path_name(SS[s], es);
            else strcpy(es, "__HIVE_DEFAULT_PARTITION__");
            snprintf(d, sizeof d, "%s/y=%d/s=%s", root, YS[y], es);
            mkdirs(d);
            int half = c->n / 2;
            snprintf(f, sizeof f, "%s/part-00000.%s", d, fmt);
            write_rows(fmt, f, c->has, c->v, half);
            snprintf(f, sizeof f, "%s/part-00001.%s", d, fmt);
            write_rows(fmt, f, c->has + half, c->v + half, c->n - half);
        }
    /* Files Spark's listing hides. */
    char f[1024];
    snprintf(f, sizeof f, "%s/_SUCCESS", root);
    kt_write_file(f, "", 0);
    snprintf(f, sizeof f, "%s/.hidden.%s", root, fmt);
    kt_write_file(f, "garbage", 7);
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The rows of df as sorted lines "a|b|c" (nulls as "null"). */
static char *rows_of(kiln_df *df)
{
    assert_non_null(df);
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    int rc = kiln_df_collect(df, a, &out);
    if (rc) fail_msg("collect: %s", kiln_last_error());
    size_t n = out.len;
    char **lines = calloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        const kiln_value *r = &kt_items(&out)[i];
        char buf[512];
        size_t len = 0;
        for (size_t j = 0; j < r->len; j++) {
            const kiln_value *x = &r->u.items[j];
            if (j) buf[len++] = '|';
            if (x->type == KILN_NULL) len += (size_t)sprintf(buf + len, "null");
            else if (x->type == KILN_INT)
                len += (size_t)sprintf(buf + len, "%lld", (long long)x->u.i);
            else if (x->type == KILN_STR)
                len += (size_t)sprintf(buf + len, "%.*s", (int)x->len, x->u.s);
            else len += (size_t)sprintf(buf + len, "%g", x->u.d);
        }
        buf[len] = 0;
        lines[i] = strdup(buf);
    }
    qsort(lines, n, sizeof *lines, cmp_str);
    char *res = calloc(1, 64 * n + 8);
    for (size_t i = 0; i < n; i++) {
        strcat(res, lines[i]);
        strcat(res, "\n");
        free(lines[i]);
    }
    free(lines);
    kiln_arena_free(a);
    kiln_df_free(df);
    return res;
}

/* The reference: "y|s|count|sum" per kept cell, sorted. */
static char *reference(bool (*keep)(int y, int s))
{
    char *lines[NY * NS];
    int n = 0;
    for (int y = 0; y < NY; y++)
        for (int s = 0; s < NS; s++) {
            if (keep && !keep(y, s)) continue;
            const struct cell *c = &cells[y][s];
            int64_t sum = 0;
            int cnt = 0;
            for (int i = 0; i < c->n; i++)
                if (c->has[i]) sum += c->v[i], cnt++;
            char buf[256];
            if (cnt)
                snprintf(buf, sizeof buf, "%d|%s|%d|%lld", YS[y], SS[s] ? SS[s] : "null", c->n,
                         (long long)sum);
            else snprintf(buf, sizeof buf, "%d|%s|%d|null", YS[y], SS[s] ? SS[s] : "null", c->n);
            lines[n++] = strdup(buf);
        }
    qsort(lines, (size_t)n, sizeof *lines, cmp_str);
    char *res = calloc(1, 300 * (size_t)n + 8);
    for (int i = 0; i < n; i++) {
        strcat(res, lines[i]);
        strcat(res, "\n");
        free(lines[i]);
    }
    return res;
}

static char *sorted_rows(kiln_df *df)
{
    return rows_of(df);
}

#define sql(...) kt_sqlf(S, __VA_ARGS__)

static void expect(kiln_df *df, const char *want, const char *what)
{
    char *got = sorted_rows(df);
    if (strcmp(got, want)) fail_msg("%s:\n got:\n%s\n want:\n%s", what, got, want);
    free(got);
}

static const char *opts(const char *fmt)
{
    return strcmp(fmt, "csv") == 0 ? ", header 'true', inferSchema 'true'" : "";
}

static bool y2024(int y, int s)
{
    (void)s;
    return YS[y] == 2024;
}

static bool y_in(int y, int s)
{
    return YS[y] != 2025 && SS[s] != NULL;
}

static bool s_null(int y, int s)
{
    (void)y;
    return SS[s] == NULL;
}

static void test_discovery(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        char root[512];
        snprintf(root, sizeof root, "%s/t_%s", dir, fmt);
        make_dataset(fmt, root);
        kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW t USING %s OPTIONS (path '%s'%s)", fmt,
                         root, opts(fmt)));
        kiln_df *t = sql("SELECT * FROM t");
        char *schema = kiln_df_schema_string(t);
        kiln_df_free(t);
        /* Data columns first, then the partition columns in directory order. */
        assert_non_null(strstr(schema, "v"));
        const char *py = strstr(schema, "y: int"), *ps = strstr(schema, "s: string");
        if (!py || !ps || ps < py) fail_msg("schema %s", schema);
        free(schema);
        const char *agg = "SELECT y, s, count(*), sum(v) FROM t %s GROUP BY y, s";
        char q[512];
        snprintf(q, sizeof q, agg, "");
        char *want = reference(NULL);
        expect(sql("%s", q), want, "all partitions");
        free(want);
        snprintf(q, sizeof q, agg, "WHERE y = 2024");
        want = reference(y2024);
        expect(sql("%s", q), want, "y = 2024");
        free(want);
        snprintf(q, sizeof q, agg, "WHERE y IN (2023, 2024) AND s IS NOT NULL");
        want = reference(y_in);
        expect(sql("%s", q), want, "IN, IS NOT NULL");
        free(want);
        snprintf(q, sizeof q, agg, "WHERE s IS NULL");
        want = reference(s_null);
        expect(sql("%s", q), want, "IS NULL");
        free(want);
        /* The DataFrame reader: the same columns. */
        kiln_reader *r = kiln_reader_format(kiln_session_read(S), fmt);
        if (strcmp(fmt, "csv") == 0) {
            kiln_reader_option(r, "header", "true");
            kiln_reader_option(r, "inferSchema", "true");
        }
        kiln_df *df = kiln_reader_load(r, root);
        assert_non_null(df);
        int64_t n;
        assert_int_equal(kiln_df_count(df, &n), KILN_OK);
        int64_t total = 0;
        for (int y = 0; y < NY; y++)
            for (int s = 0; s < NS; s++) total += cells[y][s].n;
        assert_int_equal(n, total);
        kiln_df_free(df);
    }
}

static void test_pruning_never_opens(void **state)
{
    (void)state;
    for (size_t f = 0; f < NFORMATS; f++) {
        const char *fmt = FORMATS[f];
        char root[512], bad[1024];
        snprintf(root, sizeof root, "%s/p_%s", dir, fmt);
        make_dataset(fmt, root);
        /* A corrupt file in y=2025: read under FAILFAST it fails the query. */
        snprintf(bad, sizeof bad, "%s/y=2025/s=a b/part-00009.%s", root, fmt);
        kt_write_file(bad, "v\n{oops\n", 8);
        kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW p USING %s OPTIONS (path '%s', "
                         "schema 'v BIGINT', mode 'FAILFAST'%s)",
                         fmt, root, strcmp(fmt, "csv") == 0 ? ", header 'true'" : ""));
        kiln_df *all = sql("SELECT count(*), sum(v) FROM p");
        kiln_arena *a = kiln_arena_new();
        kiln_value out;
        assert_int_not_equal(kiln_df_collect(all, a, &out), KILN_OK);
        kiln_arena_free(a);
        kiln_df_free(all);
        char *want = reference(y2024);
        expect(sql("SELECT y, s, count(*), sum(v) FROM p WHERE y = 2024 GROUP BY y, s"), want,
               "pruned");
        free(want);
        want = reference(y_in);
        expect(sql("SELECT y, s, count(*), sum(v) FROM p WHERE y < 2025 AND s IS NOT NULL "
                   "GROUP BY y, s"),
               want, "pruned by a range");
        free(want);
        kiln_df *e = sql("SELECT * FROM p WHERE y = 2024 AND v > 3L");
        char *ex = kiln_df_explain_string(e);
        kiln_df_free(e);
        assert_non_null(ex);
        if (!strstr(ex, "PartitionFilters: [") || !strstr(ex, "PushedFilters: [GreaterThan(v,3)]"))
            fail_msg("explain: %s", ex);
        free(ex);
    }
}

static void test_base_path_and_conflicts(void **state)
{
    (void)state;
    char root[512], leaf[600];
    snprintf(root, sizeof root, "%s/b_csv", dir);
    make_dataset("csv", root);
    snprintf(leaf, sizeof leaf, "%s/y=2024", root);
    char *want = reference(y2024);
    /* The leaf alone: s is its only partition column. */
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW bl USING csv OPTIONS (path '%s', "
                     "header 'true', inferSchema 'true')",
                     leaf));
    kiln_df *t = sql("SELECT * FROM bl");
    char *schema = kiln_df_schema_string(t);
    kiln_df_free(t);
    if (strstr(schema, "y:") || !strstr(schema, "s: string")) fail_msg("leaf schema %s", schema);
    free(schema);
    /* With basePath the root's y too. */
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW bb USING csv OPTIONS (path '%s', "
                     "basePath '%s', header 'true', inferSchema 'true')",
                     leaf, root));
    expect(sql("SELECT y, s, count(*), sum(v) FROM bb GROUP BY y, s"), want, "basePath");
    free(want);
    /* A user schema naming a partition column gives its type. */
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW bu USING csv OPTIONS (path '%s', "
                     "header 'true', schema 'v BIGINT, y STRING')",
                     root));
    t = sql("SELECT * FROM bu");
    schema = kiln_df_schema_string(t);
    kiln_df_free(t);
    if (!strstr(schema, "y: string") || !strstr(schema, "v: bigint")) fail_msg("user %s", schema);
    free(schema);
    /* Conflicting layouts: Spark's errors. */
    char p[700];
    snprintf(p, sizeof p, "%s/c1/a=1/f.csv", dir);
    mkparent(p);
    kt_write_file(p, "1\n", 2);
    snprintf(p, sizeof p, "%s/c1/b=2/f.csv", dir);
    mkparent(p);
    kt_write_file(p, "1\n", 2);
    snprintf(p, sizeof p, "SELECT * FROM csv.`%s/c1`", dir);
    assert_null(kiln_sql(S, p));
    if (!strstr(kiln_last_error(), "Conflicting partition column names"))
        fail_msg("%s", kiln_last_error());
    snprintf(p, sizeof p, "%s/c2/a=1/f.csv", dir);
    mkparent(p);
    kt_write_file(p, "1\n", 2);
    snprintf(p, sizeof p, "%s/c2/x/f.csv", dir);
    mkparent(p);
    kt_write_file(p, "1\n", 2);
    snprintf(p, sizeof p, "SELECT * FROM csv.`%s/c2`", dir);
    assert_null(kiln_sql(S, p));
    if (!strstr(kiln_last_error(), "Conflicting directory structures"))
        fail_msg("%s", kiln_last_error());
}

static void test_small_files(void **state)
{
    (void)state;
    enum { NFILES = 10000 };
    char root[512];
    snprintf(root, sizeof root, "%s/small", dir);
    mkdir(root, 0777);
    int64_t sum = 0, bytes[NFILES];
    for (int i = 0; i < NFILES; i++) {
        char f[600], line[64];
        snprintf(f, sizeof f, "%s/f%05d.csv", root, i);
        int n = snprintf(line, sizeof line, "%d,%d\n", i, (i * 7) % 1000);
        kt_write_file(f, line, (size_t)n);
        bytes[i] = n;
        sum += (i * 7) % 1000;
    }
    /* Spark's packing: maxSplitBytes = min(128m, max(4m, total / 2)); next fit. */
    for (int variant = 0; variant < 2; variant++) {
        int64_t open = variant ? 1024 : 4 << 20, maxp = variant ? 64 << 10 : 128 << 20;
        int64_t total = 0;
        for (int i = 0; i < NFILES; i++) total += bytes[i] + open;
        int64_t split = total / 2 > open ? total / 2 : open;
        if (split > maxp) split = maxp;
        int tasks = 0;
        int64_t cur = 0;
        /* sizes descending: the 2-digit-prefixed lines are shortest last */
        int64_t *sz = malloc(sizeof *sz * NFILES);
        memcpy(sz, bytes, sizeof *sz * NFILES);
        for (int i = 0; i < NFILES; i++)
            for (int j = i; j > 0 && sz[j] > sz[j - 1]; j--) {
                int64_t t = sz[j];
                sz[j] = sz[j - 1];
                sz[j - 1] = t;
            }
        for (int i = 0; i < NFILES; i++) {
            if (i == 0 || cur + sz[i] > split) tasks++, cur = 0;
            cur += sz[i] + open;
        }
        free(sz);
        kiln_reader *r = kiln_reader_format(kiln_session_read(S), "csv");
        kiln_reader_schema(r, "k INT, v INT");
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)open);
        kiln_reader_option(r, "openCostInBytes", b);
        snprintf(b, sizeof b, "%lld", (long long)maxp);
        kiln_reader_option(r, "maxPartitionBytes", b);
        kiln_reader_option(r, "minPartitionNum", "2");
        kiln_df *df = kiln_reader_load(r, root);
        assert_non_null(df);
        kiln_rdd *rdd = kiln_df_to_rdd(df);
        assert_non_null(rdd);
        assert_int_equal(kiln_rdd_num_partitions(rdd), tasks);
        kiln_rdd_free(rdd);
        kiln_df_free(df);
        kt_report("%d small files: %d tasks (openCostInBytes %lld)", NFILES, tasks,
                  (long long)open);
    }
    kiln_df_free(sql("CREATE OR REPLACE TEMPORARY VIEW small USING csv OPTIONS (path '%s', "
                     "schema 'k INT, v INT')",
                     root));
    char want[64];
    snprintf(want, sizeof want, "%d|%lld|%lld\n", NFILES, (long long)NFILES * (NFILES - 1) / 2,
             (long long)sum);
    expect(sql("SELECT count(*), sum(k), sum(v) FROM small"), want, "10,000 files");
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_discovery),
        cmocka_unit_test(test_pruning_never_opens),
        cmocka_unit_test(test_base_path_and_conflicts),
        cmocka_unit_test(test_small_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
