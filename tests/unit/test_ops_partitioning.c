/*
 * test_ops_partitioning.c - partition_by (hash and user partitioners),
 * repartition and coalesce against the sequential reference, under
 * local[1], local[2] and local[8] and on every data shape of kt.h. Where a
 * record must land is checked through glom.
 */
#include "kt.h"
#include "kt_fns.h"

/* int keys -> (key + offset) mod n; any other key -> (type tag + offset) mod n,
 * with the offset (an int) in env. Differs from hash partitioning, so a
 * result placed by hash would fail the check. */
static int user_partition(const kiln_value *key, int n, int offset)
{
    int64_t base = key->type == KILN_INT ? key->u.i : (int64_t)key->type;
    return (int)(((base % n) + offset % n + 2 * (int64_t)n) % n); /* no overflow */
}

static int user_partitioner(const kiln_value *key, int num_partitions, const void *env)
{
    return user_partition(key, num_partitions, *(const int *)env);
}

/* Flattens a glom result into the list of all its values. */
static kiln_value flatten(kiln_arena *a, const kiln_value *glom)
{
    size_t n = 0;
    for (uint32_t i = 0; i < glom->len; i++) n += glom->u.items[i].len;
    kiln_value *all = ref_alloc(a, n);
    size_t k = 0;
    for (uint32_t i = 0; i < glom->len; i++)
        for (uint32_t j = 0; j < glom->u.items[i].len; j++) all[k++] = glom->u.items[i].u.items[j];
    return kiln_list_ref(all, n);
}

/* Checks that every pair of partition i of the glom satisfies where(key) == i. */
static void expect_placement(const kiln_value *glom, int n,
                             int (*where)(const kiln_value *, int, const void *), const void *env)
{
    KT_CHECK(glom->type == KILN_LIST && glom->len == (uint32_t)n,
             "glom has %u partitions, expected %d", glom->len, n);
    for (int i = 0; i < n; i++) {
        const kiln_value *part = &glom->u.items[i];
        KT_CHECK(part->type == KILN_LIST, "partition %d is not a list", i);
        for (uint32_t j = 0; j < part->len; j++) {
            const kiln_value *key = kiln_key(&part->u.items[j]);
            int want = where(key, n, env);
            KT_CHECK(want == i, "key %s is in partition %d, expected %d", kt_fmt(key), i, want);
        }
    }
}

static int hash_where(const kiln_value *key, int n, const void *env)
{
    return (int)(kiln_value_hash(key) % (uint64_t)n);
}

/* ---- partition_by --------------------------------------------------------------------- */

static void partition_by_hash_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    static const int counts[] = {1, 5, 13};
    for (size_t c = 0; c < 3; c++) {
        int n = counts[c];
        kiln_rdd *p = kt_rdd(kiln_rdd_partition_by(x, n, NULL, NULL, 0));
        KT_CHECK(kiln_rdd_num_partitions(p) == n, "%d partitions, expected %d",
                 kiln_rdd_num_partitions(p), n);
        kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(p)), a);
        expect_placement(&glom, n, hash_where, NULL);
        kiln_value got = flatten(a, &glom);
        kt_expect_multiset(a, &got, &all);
    }
}

static void partition_by_hash_puts_each_key_in_hash_mod_n(void **state)
{
    kt_run_cases("partition_by hash", true, partition_by_hash_case);
}

static int user_where(const kiln_value *key, int n, const void *env)
{
    return user_partition(key, n, *(const int *)env);
}

static void partition_by_user_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    int offset = 3;
    kiln_rdd *p = kt_rdd(kiln_rdd_partition_by(x, 4, user_partitioner, &offset, sizeof offset));
    KT_CHECK(kiln_rdd_num_partitions(p) == 4, "%d partitions", kiln_rdd_num_partitions(p));
    kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(p)), a);
    expect_placement(&glom, 4, user_where, &offset);
    kiln_value got = flatten(a, &glom);
    kiln_value all = ref_list(a, d->v, d->n);
    kt_expect_multiset(a, &got, &all);
}

static void partition_by_user_partitioner_places_keys_where_it_says(void **state)
{
    kt_run_cases("partition_by user", true, partition_by_user_case);
}

static void partitioned_then_reduced_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* A by-key operation over an RDD already partitioned the same way. */
    kiln_rdd *p = kt_rdd(kiln_rdd_partition_by(kt_parallelize(ctx, d), 4, NULL, NULL, 0));
    kiln_rdd *r = kt_rdd(kiln_rdd_reduce_by_key(p, kiln_fn_add, NULL, 0, 4));
    kiln_value want = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);
    kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(r)), a);
    expect_placement(&glom, 4, hash_where, NULL);
    kiln_value got = flatten(a, &glom);
    kt_expect_multiset(a, &got, &want);
    kiln_value grouped = kt_collect(kt_rdd(kiln_rdd_group_by_key(p, 0)), a);
    want = ref_group_by_key(a, d->v, d->n);
    kt_expect_canonical(a, &grouped, &want);
}

static void reduce_by_key_after_partition_by_keeps_hash_placement(void **state)
{
    kt_run_cases("partition_by + reduce_by_key", true, partitioned_then_reduced_case);
}

/* ---- repartition, coalesce -------------------------------------------------------------- */

static void repartition_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    static const int counts[] = {1, 3, 12};
    for (size_t c = 0; c < 3; c++) {
        int n = counts[c];
        kiln_rdd *r = kt_rdd(kiln_rdd_repartition(x, n));
        KT_CHECK(kiln_rdd_num_partitions(r) == n, "%d partitions, expected %d",
                 kiln_rdd_num_partitions(r), n);
        KT_CHECK(kt_count(r) == (int64_t)d->n, "count changed");
        kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(r)), a);
        KT_CHECK(glom.len == (uint32_t)n, "glom has %u partitions", glom.len);
        /* Evenly: spreading each parent partition round-robin keeps every
         * partition within (parent partitions) of the fair share. */
        size_t fair = (d->n + (size_t)n - 1) / (size_t)n;
        for (uint32_t i = 0; i < glom.len; i++)
            KT_CHECK(glom.u.items[i].len <= fair + (size_t)d->slices,
                     "partition %u holds %u of %zu values over %d partitions", i,
                     glom.u.items[i].len, d->n, n);
        kiln_value got = flatten(a, &glom);
        kt_expect_multiset(a, &got, &all);
    }
}

static void repartition_keeps_every_value_and_spreads_evenly(void **state)
{
    kt_run_cases("repartition", false, repartition_case);
}

static void coalesce_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    int targets[3] = {1, 2, d->slices + 3};
    for (size_t c = 0; c < 3; c++) {
        /* Without a shuffle: neighbours merge, so the order is kept, and the
         * count never grows. */
        int want_np = targets[c] < d->slices ? targets[c] : d->slices;
        kiln_rdd *r = kt_rdd(kiln_rdd_coalesce(x, targets[c], false));
        KT_CHECK(kiln_rdd_num_partitions(r) == want_np, "coalesce(%d) has %d partitions",
                 targets[c], kiln_rdd_num_partitions(r));
        kiln_value got = kt_collect(r, a);
        kt_expect_list(&got, &all);
        kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(r)), a);
        KT_CHECK(glom.len == (uint32_t)want_np, "glom has %u partitions", glom.len);
        got = flatten(a, &glom);
        kt_expect_list(&got, &all);

        /* With a shuffle: exactly the requested count, possibly more. */
        r = kt_rdd(kiln_rdd_coalesce(x, targets[c], true));
        KT_CHECK(kiln_rdd_num_partitions(r) == targets[c],
                 "coalesce(%d, shuffle) has %d partitions", targets[c], kiln_rdd_num_partitions(r));
        got = kt_collect(r, a);
        kt_expect_multiset(a, &got, &all);
    }
}

static void coalesce_merges_neighbours_or_shuffles_when_asked(void **state)
{
    kt_run_cases("coalesce", false, coalesce_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(partition_by_hash_puts_each_key_in_hash_mod_n),
        cmocka_unit_test(partition_by_user_partitioner_places_keys_where_it_says),
        cmocka_unit_test(reduce_by_key_after_partition_by_keeps_hash_placement),
        cmocka_unit_test(repartition_keeps_every_value_and_spreads_evenly),
        cmocka_unit_test(coalesce_merges_neighbours_or_shuffles_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
