/*
 * test_sql_dataframe.c - the DataFrame API (include/kiln/sql.h) on a random
 * CSV file with nulls, against plain loops over the rows the test wrote:
 * select, filter, withColumn, groupBy().agg / count, orderBy, limit, join
 * on a column list, union, distinct, count, collect, show, printSchema,
 * temp views with spark.sql, cache, and errors (an unknown column, a NULL
 * argument carried through a chain). KT_MASTER runs it under another
 * master (CMake reruns it under local-cluster).
 */
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

#define NROWS 5000
#define NKEYS 37

/* The rows written: k (int, 0..36, never null), v (bigint or null), s. */
static struct row {
    int k;
    bool has_v;
    int64_t v;
    char s[16];
} rows[NROWS];
static char path[256];
static kiln_context *ctx;
static kiln_session *S;

static uint64_t rng = 0x2545F4914F6CDD1Dull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "/tmp/kiln-test-df-%d.csv", (int)getpid());
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "k,v,s\n");
    for (int i = 0; i < NROWS; i++) {
        struct row *r = &rows[i];
        r->k = (int)(rnd() % 100 < 30 ? 7 : rnd() % NKEYS); /* skewed */
        r->has_v = rnd() % 10 != 0;
        r->v = (int64_t)(rnd() % 100000) - 50000;
        snprintf(r->s, sizeof r->s, "%s%d", rnd() % 2 ? "é" : "s", (int)(rnd() % 50));
        if (r->has_v) fprintf(f, "%d,%lld,%s\n", r->k, (long long)r->v, r->s);
        else fprintf(f, "%d,,%s\n", r->k, r->s);
    }
    fclose(f);
    kiln_conf *conf = kiln_conf_new();
    const char *m = getenv("KT_MASTER");
    kiln_conf_set(conf, "kiln.master", m ? m : "local[2]");
    int rc = kiln_context_new(conf, &ctx);
    kiln_conf_free(conf);
    if (rc) return -1;
    return kiln_session_new(ctx, &S);
}

static int teardown(void **state)
{
    (void)state;
    kiln_session_free(S);
    kiln_context_free(ctx);
    unlink(path);
    return 0;
}

static kiln_df *load(void)
{
    kiln_reader *r = kiln_session_read(S);
    r = kiln_reader_option(r, "header", "true");
    r = kiln_reader_option(r, "inferSchema", "true");
    kiln_df *df = kiln_reader_csv(r, path);
    if (!df) fail_msg("load: %s", kiln_last_error());
    return df;
}

static kiln_col *C(const char *name)
{
    return kiln_fn_col(S, name);
}

static void read_infers_schema_and_counts(void **state)
{
    (void)state;
    kiln_df *df = load();
    char *schema = kiln_df_schema_string(df);
    assert_string_equal(schema, "root\n"
                                " |-- k: int (nullable = true)\n"
                                " |-- v: int (nullable = true)\n"
                                " |-- s: string (nullable = true)\n");
    free(schema);
    int64_t n;
    assert_int_equal(kiln_df_count(df, &n), KILN_OK);
    assert_int_equal(n, NROWS);
    kiln_df_free(df);
}

/* sum(v), count(*), count(v), max(s) per k where v > -20000, against loops. */
static void group_by_matches_a_reference(void **state)
{
    (void)state;
    kiln_df *df = load();
    kiln_df *f = kiln_df_filter(df, kiln_col_op(C("v"), ">", kiln_lit_int(S, -20000)));
    kiln_col *aggs[] = {kiln_col_alias(kiln_fn_sum(C("v")), "total"),
                        kiln_col_alias(kiln_fn_count(C("*")), "n"), kiln_fn_count(C("v")),
                        kiln_fn_max(C("s"))};
    kiln_df *g = kiln_grouped_agg(kiln_df_group_by(f, (kiln_col *[]){C("k")}, 1), aggs, 4);
    kiln_df *o = kiln_df_order_by(g, (kiln_col *[]){kiln_col_asc(C("k"))}, 1);
    if (!o) fail_msg("%s", kiln_last_error());
    assert_string_equal(kiln_df_column_name(o, 1), "total");
    assert_string_equal(kiln_df_column_name(o, 3), "count(v)");
    assert_string_equal(kiln_df_column_type(o, 1), "bigint");
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    assert_int_equal(kiln_df_collect(o, a, &list), KILN_OK);
    int64_t sum[NKEYS] = {0}, cnt[NKEYS] = {0};
    const char *mx[NKEYS] = {0};
    for (int i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        if (!r->has_v || r->v <= -20000) continue;
        sum[r->k] += r->v;
        cnt[r->k]++;
        if (!mx[r->k] || strcmp(r->s, mx[r->k]) > 0) mx[r->k] = r->s;
    }
    int k = 0;
    for (int key = 0; key < NKEYS; key++) {
        if (!cnt[key]) continue;
        assert_true(k < (int)list.len);
        const kiln_value *t = &list.u.items[k++];
        assert_int_equal(t->u.items[0].u.i, key);
        assert_int_equal(t->u.items[1].u.i, sum[key]);
        assert_int_equal(t->u.items[2].u.i, cnt[key]);
        assert_int_equal(t->u.items[3].u.i, cnt[key]);
        assert_int_equal(t->u.items[4].len, strlen(mx[key]));
        assert_memory_equal(t->u.items[4].u.s, mx[key], strlen(mx[key]));
    }
    assert_int_equal(k, (int)list.len);
    kiln_arena_free(a);
    kiln_df_free(f);
    kiln_df_free(g);
    kiln_df_free(o);
    kiln_df_free(df);
}

/* withColumn, join on k with a per-key table, union, distinct, limit. */
static void join_union_distinct(void **state)
{
    (void)state;
    kiln_df *df = load();
    kiln_df *w = kiln_df_with_column(df, "v2", kiln_col_op(C("v"), "*", kiln_lit_int(S, 2)));
    kiln_df *keys = kiln_sql(S, "SELECT id AS k, id * 10 AS tag FROM range(0, 20)");
    assert_non_null(keys);
    kiln_df *j = kiln_df_join(w, keys, (const char *[]){"k"}, 1, "inner");
    assert_non_null(j);
    assert_int_equal(kiln_df_num_columns(j), 5);
    assert_string_equal(kiln_df_column_name(j, 0), "k");
    /* sum(v2 + tag) over the joined rows, against loops. */
    kiln_df *s = kiln_grouped_agg(kiln_df_group_by(j, NULL, 0),
                                  (kiln_col *[]){kiln_fn_sum(kiln_col_op(C("v2"), "+", C("tag"))),
                                                 kiln_fn_count(C("*"))},
                                  2);
    kiln_arena *a = kiln_arena_new();
    kiln_value list;
    assert_int_equal(kiln_df_collect(s, a, &list), KILN_OK);
    int64_t want = 0, n = 0;
    for (int i = 0; i < NROWS; i++)
        if (rows[i].k < 20) {
            n++;
            if (rows[i].has_v) want += rows[i].v * 2 + rows[i].k * 10;
        }
    assert_int_equal(list.len, 1);
    assert_int_equal(list.u.items[0].u.items[0].u.i, want);
    assert_int_equal(list.u.items[0].u.items[1].u.i, n);
    /* union twice, distinct keys, limit. */
    kiln_df *ks = kiln_df_select(df, (kiln_col *[]){C("k")}, 1);
    kiln_df *u = kiln_df_union(ks, ks);
    int64_t c;
    assert_int_equal(kiln_df_count(u, &c), KILN_OK);
    assert_int_equal(c, 2 * NROWS);
    kiln_df *d = kiln_df_distinct(u);
    assert_int_equal(kiln_df_count(d, &c), KILN_OK);
    bool seen[NKEYS] = {0};
    int distinct = 0;
    for (int i = 0; i < NROWS; i++) {
        distinct += !seen[rows[i].k];
        seen[rows[i].k] = true;
    }
    assert_int_equal(c, distinct);
    kiln_df *l = kiln_df_limit(d, 5);
    assert_int_equal(kiln_df_count(l, &c), KILN_OK);
    assert_int_equal(c, 5);
    kiln_arena_free(a);
    kiln_df *all[] = {w, keys, j, s, ks, u, d, l, df};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) kiln_df_free(all[i]);
}

static void views_sql_show_and_cache(void **state)
{
    (void)state;
    kiln_df *df = load();
    assert_int_equal(kiln_df_create_or_replace_temp_view(df, "t"), KILN_OK);
    kiln_df *q = kiln_sql(S, "SELECT k, count(*) AS n FROM t WHERE k IN (1, 2) GROUP BY k "
                             "ORDER BY k");
    assert_non_null(q);
    char *text = kiln_df_show_string(q, 20, 20);
    assert_non_null(text);
    int n1 = 0, n2 = 0;
    for (int i = 0; i < NROWS; i++) {
        n1 += rows[i].k == 1;
        n2 += rows[i].k == 2;
    }
    char want[256];
    snprintf(want, sizeof want,
             "+---+---+\n|  k|  n|\n+---+---+\n|  1|%3d|\n|  2|%3d|\n+---+---+\n", n1, n2);
    assert_string_equal(text, want);
    free(text);
    /* cache: the same answers, twice, from the kept batches. */
    kiln_df *c = kiln_df_cache(kiln_df_where(df, "v IS NULL"));
    assert_non_null(c);
    int64_t a, b;
    assert_int_equal(kiln_df_count(c, &a), KILN_OK);
    assert_int_equal(kiln_df_count(c, &b), KILN_OK);
    int nulls = 0;
    for (int i = 0; i < NROWS; i++) nulls += !rows[i].has_v;
    assert_int_equal(a, nulls);
    assert_int_equal(b, nulls);
    kiln_df_free(c);
    kiln_df_free(q);
    kiln_df_free(df);
}

static void errors_name_the_column(void **state)
{
    (void)state;
    kiln_df *df = load();
    kiln_df *bad = kiln_df_select(df, (kiln_col *[]){C("kk")}, 1);
    assert_null(bad);
    assert_non_null(strstr(kiln_last_error(), "UNRESOLVED_COLUMN"));
    assert_non_null(strstr(kiln_last_error(), "`k`"));
    /* A NULL in a chain keeps the first error. */
    kiln_df *chain = kiln_df_limit(kiln_df_filter(bad, C("k")), 3);
    assert_null(chain);
    assert_non_null(strstr(kiln_last_error(), "UNRESOLVED_COLUMN"));
    /* A filter that is not boolean. */
    assert_null(kiln_df_filter(df, C("s")));
    assert_non_null(strstr(kiln_last_error(), "FILTER_NOT_BOOLEAN"));
    kiln_df_free(df);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(read_infers_schema_and_counts),
        cmocka_unit_test(group_by_matches_a_reference),
        cmocka_unit_test(join_union_distinct),
        cmocka_unit_test(views_sql_show_and_cache),
        cmocka_unit_test(errors_name_the_column),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
