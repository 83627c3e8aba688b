/*
 * test_spill.c - jobs under a tiny memory budget (kiln.executor.memory=1m):
 * sort_by_key (ascending and descending) of 200,000 records spills sorted
 * runs and shuffle output, and still equals a stable reference sort exactly
 * (equal keys in input order); the same job under the default budget does not
 * spill and gives the same answer; spill files are gone after success and
 * after a failed job.
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

#include "base/base.h"
#include "kiln.h"
#include "kt.h"

enum { N = 200000 };

typedef struct item {
    kiln_value v;
    size_t idx;
} item;

static bool g_desc;

static int cmp_items(const void *a, const void *b)
{
    const item *x = a, *y = b;
    int c = kiln_value_cmp(kiln_key(&x->v), kiln_key(&y->v));
    if (g_desc) c = -c;
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* (key, index): keys are short strings from a small alphabet, so many tie. */
static kiln_value *make_pairs(kiln_arena *a)
{
    rng g;
    rng_seed(&g, 99);
    kiln_value *v = malloc(sizeof *v * N);
    for (size_t i = 0; i < N; i++) {
        char key[8];
        int len = 1 + (int)(rng_next(&g) % 4);
        for (int k = 0; k < len; k++) key[k] = (char)('a' + rng_next(&g) % 6);
        v[i] = kiln_pair(a, kiln_str_new(a, key, (size_t)len), kiln_int((int64_t)i));
    }
    return v;
}

static int entries(const char *dir)
{
    return kt_count_entries(dir, "");
}

static kiln_context *context(const char *budget, const char *dir)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", "local[2]");
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    kiln_conf_set(conf, "kiln.local.dir", dir);
    if (budget) kiln_conf_set(conf, "kiln.executor.memory", budget);
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

static void sort_matches_stable_reference(const char *budget, bool descending, bool expect_spill)
{
    char dir[] = "/tmp/kiln-test-spill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    kiln_arena *a = kiln_arena_new();
    kiln_value *pairs = make_pairs(a);
    item *ref = malloc(sizeof *ref * N);
    for (size_t i = 0; i < N; i++) ref[i] = (item){pairs[i], i};
    g_desc = descending;
    qsort(ref, N, sizeof *ref, cmp_items);

    int64_t tracked_before, peak;
    mem_stats_read(&tracked_before, &peak);
    tracked_before -= (int64_t)kiln_arena_bytes(a); /* results go into a */
    kiln_context *ctx = context(budget, dir);
    kiln_rdd *sorted = kiln_rdd_sort_by_key(kiln_parallelize(ctx, pairs, N, 5), !descending, 4);
    kiln_value got;
    assert_int_equal(kiln_rdd_collect(sorted, a, &got), KILN_OK);
    assert_int_equal(got.len, N);
    for (size_t i = 0; i < N; i++)
        if (!kiln_value_eq(&got.u.items[i], &ref[i].v))
            fail_msg("budget %s: record %zu differs from the stable reference", budget, i);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    if (expect_spill) {
        assert_true(m.spill_count > 0);
        assert_true(m.spill_bytes > 0);
        assert_int_equal(m.memory_budget, 1 << 20);
        /* 1m leaves each sort too little to read all its runs at once, so
         * some were merged in groups first: stability survived that too. */
        assert_true(m.merge_passes > 0);
    } else {
        assert_int_equal(m.spill_count, 0);
    }
    assert_true(m.tracked_peak > 0);
    kiln_context_free(ctx);
    /* Every arena and buffer the job used was given back. */
    int64_t tracked_after;
    mem_stats_read(&tracked_after, &peak);
    assert_int_equal(tracked_after - (int64_t)kiln_arena_bytes(a), tracked_before);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
    free(ref);
    free(pairs);
    kiln_arena_free(a);
}

static void sort_ascending_under_1m_spills_and_matches(void **state)
{
    sort_matches_stable_reference("1m", false, true);
}

static void sort_descending_under_1m_spills_and_matches(void **state)
{
    sort_matches_stable_reference("1m", true, true);
}

static void sort_under_default_budget_does_not_spill(void **state)
{
    sort_matches_stable_reference(NULL, false, false);
}

/* Fails on the last record of partition 3 (after the sort has spilled). */
static int fail_late(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    *keep = true;
    if (kiln_val(in)->u.i == N - 1) return kiln_task_fail(t, "failing on purpose");
    return 0;
}

static void spill_files_are_removed_after_a_failed_job(void **state)
{
    char dir[] = "/tmp/kiln-test-spill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    kiln_arena *a = kiln_arena_new();
    kiln_value *pairs = make_pairs(a);
    kiln_context *ctx = context("1m", dir);
    kiln_rdd *sorted = kiln_rdd_sort_by_key(kiln_parallelize(ctx, pairs, N, 5), true, 4);
    kiln_value got;
    assert_int_not_equal(kiln_rdd_collect(kiln_rdd_filter(sorted, fail_late, NULL, 0), a, &got),
                         KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "failing on purpose"));
    /* Only the committed shuffle files of the context remain: no spill file. */
    char app[512];
    assert_true(kt_find_entry(dir, "kiln-", app, sizeof app));
    assert_int_equal(kt_count_entries(app, "spill_"), 0);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_true(m.spill_count > 0);
    kiln_context_free(ctx);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
    free(pairs);
    kiln_arena_free(a);
}

/* ---- aggregation past the budget ------------------------------------------ */

enum { AGG_N = 400000 };

static void reduce_by_key_under_1m_spills_and_matches(void **state)
{
    char dir[] = "/tmp/kiln-test-spill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    kiln_arena *a = kiln_arena_new();
    kiln_value *pairs = malloc(sizeof *pairs * AGG_N);
    int64_t *expect = calloc(300000, sizeof *expect);
    bool *occurs = calloc(300000, sizeof *occurs);
    rng g;
    rng_seed(&g, 5);
    for (size_t i = 0; i < AGG_N; i++) {
        int64_t k = (int64_t)(rng_next(&g) % 300000);
        int64_t v = (int64_t)(rng_next(&g) % 1000);
        expect[k] += v;
        occurs[k] = true;
        pairs[i] = kiln_pair(a, kiln_int(k), kiln_int(v));
    }
    kiln_context *ctx = context("1m", dir);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(kiln_parallelize(ctx, pairs, AGG_N, 4), kiln_fn_add,
                                            NULL, 0, 3);
    kiln_value got;
    assert_int_equal(kiln_rdd_collect(sums, a, &got), KILN_OK);
    size_t distinct = 0;
    for (size_t k = 0; k < 300000; k++) distinct += occurs[k];
    bool *seen = calloc(300000, sizeof *seen);
    for (uint32_t i = 0; i < got.len; i++) {
        int64_t k = kiln_key(&got.u.items[i])->u.i;
        assert_true(occurs[k]);
        assert_false(seen[k]); /* each key exactly once */
        seen[k] = true;
        assert_int_equal(kiln_val(&got.u.items[i])->u.i, expect[k]);
    }
    assert_int_equal(got.len, distinct);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_true(m.spill_count > 0);
    kiln_context_free(ctx);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
    free(seen);
    free(occurs);
    free(expect);
    free(pairs);
    kiln_arena_free(a);
}

/* One key holds 150,000 of the values: its list must come out whole and in
 * input order, beside 50,000 other keys, under a 1 MiB budget. */
static void group_by_key_with_a_huge_key_under_1m(void **state)
{
    enum { HOT = 150000, OTHER = 50000, TOTAL = HOT + OTHER };
    char dir[] = "/tmp/kiln-test-spill-XXXXXX";
    assert_non_null(mkdtemp(dir));
    kiln_arena *a = kiln_arena_new();
    kiln_value *pairs = malloc(sizeof *pairs * TOTAL);
    for (size_t i = 0; i < TOTAL; i++) {
        bool hot = i % 4 != 3; /* 3 of 4 records belong to the hot key */
        int64_t k = hot ? -1 : (int64_t)i;
        pairs[i] = kiln_pair(a, kiln_int(k), kiln_int((int64_t)i));
    }
    kiln_context *ctx = context("1m", dir);
    kiln_rdd *groups = kiln_rdd_group_by_key(kiln_parallelize(ctx, pairs, TOTAL, 4), 2);
    kiln_value got;
    assert_int_equal(kiln_rdd_collect(groups, a, &got), KILN_OK);
    assert_int_equal(got.len, 1 + OTHER);
    for (uint32_t i = 0; i < got.len; i++) {
        const kiln_value *g = &got.u.items[i];
        const kiln_value *l = kiln_val(g);
        if (kiln_key(g)->u.i == -1) {
            assert_int_equal(l->len, HOT);
            int64_t prev = -1;
            for (uint32_t j = 0; j < l->len; j++) { /* input order, only hot rows */
                assert_true(l->u.items[j].u.i > prev);
                assert_int_not_equal(l->u.items[j].u.i % 4, 3);
                prev = l->u.items[j].u.i;
            }
        } else {
            assert_int_equal(l->len, 1);
            assert_int_equal(l->u.items[0].u.i, kiln_key(g)->u.i);
        }
    }
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_true(m.spill_count > 0);
    kiln_context_free(ctx);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
    free(pairs);
    kiln_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_ascending_under_1m_spills_and_matches),
        cmocka_unit_test(sort_descending_under_1m_spills_and_matches),
        cmocka_unit_test(sort_under_default_budget_does_not_spill),
        cmocka_unit_test(spill_files_are_removed_after_a_failed_job),
        cmocka_unit_test(reduce_by_key_under_1m_spills_and_matches),
        cmocka_unit_test(group_by_key_with_a_huge_key_under_1m),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
