/*
 * test_ops_persist.c - persist/cache/unpersist and multi-stage jobs, under
 * local[1], local[2] and local[8] and on every data shape of kt.h. A map
 * that counts its calls through an accumulator shows whether a partition was
 * recomputed: a cached RDD is computed once, a dropped cache is computed
 * again, and a shuffle whose output exists is not run a second time.
 */
#include "kt.h"
#include "kt_fns.h"

static int64_t acc_int(kiln_context *ctx, int64_t id)
{
    kiln_value v = kiln_accumulator_value(ctx, id);
    KT_CHECK(v.type == KILN_INT, "accumulator %lld is a %d, not an int", (long long)id, v.type);
    return v.u.i;
}

static int64_t new_counter(kiln_context *ctx, const char *name)
{
    int64_t id = kiln_accumulator_new(ctx, name, KILN_INT);
    KT_CHECK(id > 0, "kiln_accumulator_new failed: %s", kiln_last_error());
    return id;
}

/* ---- cache ------------------------------------------------------------------------------- */

static void cache_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    int64_t calls = new_counter(ctx, "map calls");
    int64_t n = (int64_t)d->n;
    kiln_value all = ref_list(a, d->v, d->n);
    kiln_rdd *m = kt_rdd(
        kiln_rdd_map(kt_parallelize(ctx, d), kt_count_map_fn, &calls, sizeof calls));
    KT_CHECK(kiln_rdd_cache(m) == m, "cache did not return its RDD");
    KT_CHECK(kiln_rdd_cached_partitions(m) == 0, "partitions cached before any action");

    KT_CHECK(kt_count(m) == n, "count differs");
    KT_CHECK(acc_int(ctx, calls) == n, "first action made %lld map calls, not %lld",
             (long long)acc_int(ctx, calls), (long long)n);
    KT_CHECK(kiln_rdd_cached_partitions(m) == d->slices, "%d of %d partitions cached",
             kiln_rdd_cached_partitions(m), d->slices);

    /* Later actions, on the RDD and on a child, read the cache. */
    kiln_value got = kt_collect(m, a);
    kt_expect_list(&got, &all);
    kiln_rdd *child = kt_rdd(kiln_rdd_map(m, kt_tag_fn, NULL, 0));
    KT_CHECK(kt_count(child) == n, "child count differs");
    KT_CHECK(acc_int(ctx, calls) == n, "cached partitions were recomputed (%lld calls)",
             (long long)acc_int(ctx, calls));

    /* Unpersist drops the blocks: the next action recomputes once. */
    KT_CHECK(kiln_rdd_unpersist(m) == m, "unpersist did not return its RDD");
    KT_CHECK(kiln_rdd_cached_partitions(m) == 0, "partitions still cached after unpersist");
    got = kt_collect(m, a);
    kt_expect_list(&got, &all);
    KT_CHECK(acc_int(ctx, calls) == 2 * n, "after unpersist: %lld calls, expected %lld",
             (long long)acc_int(ctx, calls), (long long)(2 * n));
    KT_CHECK(kiln_rdd_cached_partitions(m) == 0, "an unpersisted RDD was cached again");

    /* persist(MEMORY_ONLY) is cache again. */
    KT_CHECK(kiln_rdd_persist(m, KILN_MEMORY_ONLY) == m, "persist did not return its RDD");
    KT_CHECK(kt_count(m) == n, "count differs");
    got = kt_collect(m, a);
    kt_expect_list(&got, &all);
    KT_CHECK(acc_int(ctx, calls) == 3 * n, "persist again: %lld calls, expected %lld",
             (long long)acc_int(ctx, calls), (long long)(3 * n));
}

static void cached_rdd_is_computed_once_until_unpersisted(void **state)
{
    kt_run_cases("cache", false, cache_case);
}

static void cache_shuffled_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* A cached RDD on the far side of a shuffle. */
    int64_t calls = new_counter(ctx, "post-shuffle map calls");
    kiln_rdd *r = kt_rdd(kiln_rdd_reduce_by_key(kt_parallelize(ctx, d), kiln_fn_add, NULL, 0, 3));
    kiln_rdd *m = kiln_rdd_cache(kt_rdd(kiln_rdd_map(r, kt_count_map_fn, &calls, sizeof calls)));
    kiln_value want = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);
    kiln_value got = kt_collect(m, a);
    kt_expect_multiset(a, &got, &want);
    KT_CHECK(acc_int(ctx, calls) == (int64_t)want.len, "%lld calls for %u keys",
             (long long)acc_int(ctx, calls), want.len);
    KT_CHECK(kiln_rdd_cached_partitions(m) == 3, "%d partitions cached",
             kiln_rdd_cached_partitions(m));
    got = kt_collect(m, a);
    kt_expect_multiset(a, &got, &want);
    KT_CHECK(acc_int(ctx, calls) == (int64_t)want.len, "recomputed: %lld calls",
             (long long)acc_int(ctx, calls));
}

static void cached_rdd_after_a_shuffle_is_read_from_cache(void **state)
{
    kt_run_cases("cache after shuffle", true, cache_shuffled_case);
}

/* ---- Multi-stage jobs ------------------------------------------------------------------------ */

static void chain_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* count -> reduce_by_key -> sort_by_key -> join: three shuffles. */
    int64_t calls = new_counter(ctx, "pre-shuffle map calls");
    int64_t n = (int64_t)d->n;
    kt_data e;
    kt_gen(a, d->shape == KT_EMPTY ? KT_RANDOM : d->shape, true, 31, d->n / 3 + 1, &e);

    kiln_rdd *counted = kt_rdd(
        kiln_rdd_map(kt_parallelize(ctx, d), kt_count_map_fn, &calls, sizeof calls));
    kiln_rdd *sums = kt_rdd(kiln_rdd_reduce_by_key(counted, kiln_fn_add, NULL, 0, 3));
    kiln_rdd *sorted = kt_rdd(kiln_rdd_sort_by_key(sums, true, 4));
    kiln_rdd *joined = kt_rdd(kiln_rdd_join(sorted, kt_parallelize(ctx, &e), 2));

    kiln_value want_sums = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);
    kiln_value want = ref_join(a, want_sums.u.items, want_sums.len, e.v, e.n, REF_INNER);
    kiln_value got = kt_collect(joined, a);
    kt_expect_multiset(a, &got, &want);
    KT_CHECK(acc_int(ctx, calls) == n,
             "the first shuffle's map side ran %lld times for %lld records (not reused "
             "between the sort's sampling and the job?)",
             (long long)acc_int(ctx, calls), (long long)n);

    /* Second action on the same RDD: the same answer, and the map side of
     * the first shuffle is not run again (its output exists). */
    got = kt_collect(joined, a);
    kt_expect_multiset(a, &got, &want);
    KT_CHECK(kt_count(joined) == (int64_t)want.len, "count differs");
    KT_CHECK(acc_int(ctx, calls) == n, "shuffle output was not reused: %lld map calls",
             (long long)acc_int(ctx, calls));

    /* The middle of the chain is still right and globally sorted. */
    got = kt_collect(sorted, a);
    kiln_value want_sorted = ref_sorted_by_key(a, &want_sums, true);
    kt_expect_list(&got, &want_sorted);
    KT_CHECK(acc_int(ctx, calls) == n, "shuffle output was not reused: %lld map calls",
             (long long)acc_int(ctx, calls));
}

static void reduce_sort_join_chain_matches_reference_and_reuses_shuffles(void **state)
{
    kt_run_cases("reduce_by_key+sort_by_key+join", true, chain_case);
}

static int add_one_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    if (in->type != KILN_INT) return kiln_task_fail(t, "add_one_fn: not an int");
    *out = kiln_int(in->u.i + 1);
    return 0;
}

static int even_key_hash_fn(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    *keep = kiln_value_hash(kiln_key(in)) % 2 == 0;
    return 0;
}

static void diamond_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* One shuffle read by two branches that meet again in a join. */
    kiln_rdd *sums = kt_rdd(
        kiln_rdd_reduce_by_key(kt_parallelize(ctx, d), kiln_fn_add, NULL, 0, 4));
    kiln_rdd *left = kt_rdd(kiln_rdd_map_values(sums, add_one_fn, NULL, 0));
    kiln_rdd *right = kt_rdd(kiln_rdd_filter(sums, even_key_hash_fn, NULL, 0));
    kiln_rdd *joined = kt_rdd(kiln_rdd_join(left, right, 0));

    kiln_value s = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);
    kiln_value *l = ref_alloc(a, s.len), *r = ref_alloc(a, s.len);
    size_t nr = 0;
    for (uint32_t i = 0; i < s.len; i++) {
        const kiln_value *p = &s.u.items[i];
        l[i] = ref_pair(a, *kiln_key(p), kiln_int(kiln_val(p)->u.i + 1));
        if (kiln_value_hash(kiln_key(p)) % 2 == 0) r[nr++] = *p;
    }
    kiln_value want = ref_join(a, l, s.len, r, nr, REF_INNER);
    kiln_value got = kt_collect(joined, a);
    kt_expect_multiset(a, &got, &want);
    got = kt_collect(kt_rdd(kiln_rdd_union(left, right)), a);
    kiln_value *u = ref_alloc(a, s.len + nr);
    for (uint32_t i = 0; i < s.len; i++) u[i] = l[i];
    for (size_t i = 0; i < nr; i++) u[s.len + i] = r[i];
    kiln_value want_u = kiln_list_ref(u, s.len + nr);
    kt_expect_multiset(a, &got, &want_u);
}

static void two_branches_of_one_shuffle_join_correctly(void **state)
{
    kt_run_cases("diamond", true, diamond_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cached_rdd_is_computed_once_until_unpersisted),
        cmocka_unit_test(cached_rdd_after_a_shuffle_is_read_from_cache),
        cmocka_unit_test(reduce_sort_join_chain_matches_reference_and_reuses_shuffles),
        cmocka_unit_test(two_branches_of_one_shuffle_join_correctly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
