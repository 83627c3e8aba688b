/*
 * test_ops_keyvalue.c - the by-key shuffles (group_by_key, reduce_by_key,
 * aggregate_by_key, fold_by_key, combine_by_key) and the by-key actions
 * (count_by_key, lookup) against the sequential reference, under local[1],
 * local[2] and local[8] and on every data shape of kt.h as keys (the values
 * are ints). Output order is unspecified: results are compared as multisets,
 * with the value lists of groups sorted first.
 */
#include <string.h>

#include "kt.h"
#include "kt_fns.h"

/* ---- User functions ---------------------------------------------------------------- */

/* Ints: (x + y) mod m, with m (an int64_t) in env; associative and commutative. */
static int64_t mod(int64_t x, int64_t m)
{
    return ((x % m) + m) % m;
}

#define ADD_MOD_M 1009

static int add_mod_logic(kiln_arena *a, const kiln_value *x, const kiln_value *y, kiln_value *out)
{
    *out = kiln_int(mod(x->u.i + y->u.i, ADD_MOD_M));
    return x->type == KILN_INT && y->type == KILN_INT ? 0 : KILN_ETYPE;
}

static int add_mod_fn(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
                      const void *env)
{
    int64_t m = *(const int64_t *)env;
    if (x->type != KILN_INT || y->type != KILN_INT)
        return kiln_task_fail(t, "add_mod_fn: not ints");
    *out = kiln_int(mod(x->u.i + y->u.i, m));
    return 0;
}

/* combine_by_key into lists: create v -> [v]; merge_value(c, v) -> c ++ [v];
 * merge_combiners(c, d) -> c ++ d. */
static int list_of_logic(kiln_arena *a, const kiln_value *v, kiln_value *out)
{
    *out = kiln_list_new(a, v, 1);
    return out->type == KILN_LIST ? 0 : KILN_ENOMEM;
}

static int list_append_logic(kiln_arena *a, const kiln_value *c, const kiln_value *v,
                             kiln_value *out)
{
    if (c->type != KILN_LIST) return KILN_ETYPE;
    kiln_value *items = kiln_arena_alloc(a, (c->len + 1) * sizeof *items);
    if (!items) return KILN_ENOMEM;
    if (c->len) memcpy(items, c->u.items, c->len * sizeof *items);
    items[c->len] = *v;
    *out = kiln_list_ref(items, c->len + 1);
    return 0;
}

static int list_concat_logic(kiln_arena *a, const kiln_value *c, const kiln_value *d,
                             kiln_value *out)
{
    if (c->type != KILN_LIST || d->type != KILN_LIST) return KILN_ETYPE;
    kiln_value *items = kiln_arena_alloc(a, (c->len + d->len + 1) * sizeof *items);
    if (!items) return KILN_ENOMEM;
    if (c->len) memcpy(items, c->u.items, c->len * sizeof *items);
    if (d->len) memcpy(items + c->len, d->u.items, d->len * sizeof *items);
    *out = kiln_list_ref(items, c->len + d->len);
    return 0;
}

static int list_of_fn(kiln_task *t, const kiln_value *v, kiln_value *out, const void *env)
{
    return list_of_logic(kiln_task_arena(t), v, out);
}

static int list_append_fn(kiln_task *t, const kiln_value *c, const kiln_value *v, kiln_value *out,
                          const void *env)
{
    int rc = list_append_logic(kiln_task_arena(t), c, v, out);
    return rc == KILN_ETYPE ? kiln_task_fail(t, "list_append_fn: combiner is not a list") : rc;
}

static int list_concat_fn(kiln_task *t, const kiln_value *c, const kiln_value *d, kiln_value *out,
                          const void *env)
{
    int rc = list_concat_logic(kiln_task_arena(t), c, d, out);
    return rc == KILN_ETYPE ? kiln_task_fail(t, "list_concat_fn: combiner is not a list") : rc;
}

/* (k, v) -> (v mod 10, k): the shapes' values (long strings, tuples, ...)
 * become the values, under a few small int keys. */
static int mod_swap_logic(kiln_arena *a, const kiln_value *in, kiln_value *out)
{
    if (!kiln_is_pair(in) || kiln_val(in)->type != KILN_INT) return KILN_ETYPE;
    *out = kiln_pair(a, kiln_int(mod(kiln_val(in)->u.i, 10)), *kiln_key(in));
    return out->type == KILN_TUPLE ? 0 : KILN_ENOMEM;
}

static int mod_swap_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    int rc = mod_swap_logic(kiln_task_arena(t), in, out);
    return rc == KILN_ETYPE ? kiln_task_fail(t, "mod_swap_fn: not an (x, int) pair") : rc;
}

/* The reference input for an RDD mapped with mod_swap_fn. */
static kiln_value *mod_swapped(kiln_arena *a, const kt_data *d)
{
    kiln_value *s = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) assert_int_equal(mod_swap_logic(a, &d->v[i], &s[i]), 0);
    return s;
}

/* The partition count a by-key operation must have: num_partitions, or the
 * parent's when 0. */
static void expect_partitions(kiln_rdd *r, int num_partitions, const kt_data *d)
{
    int want = num_partitions ? num_partitions : d->slices;
    KT_CHECK(kiln_rdd_num_partitions(r) == want, "%d partitions, expected %d",
             kiln_rdd_num_partitions(r), want);
}

/* ---- group_by_key ---------------------------------------------------------------------- */

static void group_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value want = ref_group_by_key(a, d->v, d->n);
    for (int np = 0; np <= 3; np += 3) {
        kiln_rdd *g = kt_rdd(kiln_rdd_group_by_key(x, np));
        expect_partitions(g, np, d);
        kiln_value got = kt_collect(g, a);
        kt_expect_canonical(a, &got, &want);
    }
}

static void group_by_key_gathers_all_values_of_each_key(void **state)
{
    kt_run_cases("group_by_key", true, group_by_key_case);
}

static void group_by_key_swapped_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_rdd(kiln_rdd_map(kt_parallelize(ctx, d), mod_swap_fn, NULL, 0));
    kiln_value want = ref_group_by_key(a, mod_swapped(a, d), d->n);
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_group_by_key(x, 4)), a);
    kt_expect_canonical(a, &got, &want);
}

static void group_by_key_groups_shape_values_under_small_int_keys(void **state)
{
    kt_run_cases("group_by_key swapped", true, group_by_key_swapped_case);
}

/* ---- reduce_by_key --------------------------------------------------------------------- */

static void reduce_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value want = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);

    kiln_rdd *r = kt_rdd(kiln_rdd_reduce_by_key(x, kiln_fn_add, NULL, 0, 4));
    expect_partitions(r, 4, d);
    kiln_value got = kt_collect(r, a);
    kt_expect_multiset(a, &got, &want);

    r = kt_rdd(kiln_rdd_reduce_by_key(x, kt_add_fn, NULL, 0, 0));
    expect_partitions(r, 0, d);
    got = kt_collect(r, a);
    kt_expect_multiset(a, &got, &want);

    /* A user function with env: sums mod 1009 (a lone value is left as is). */
    int64_t m = ADD_MOD_M;
    got = kt_collect(kt_rdd(kiln_rdd_reduce_by_key(x, add_mod_fn, &m, sizeof m, 2)), a);
    want = ref_reduce_by_key(a, d->v, d->n, add_mod_logic);
    kt_expect_multiset(a, &got, &want);
}

static void reduce_by_key_sums_values_of_each_key(void **state)
{
    kt_run_cases("reduce_by_key", true, reduce_by_key_case);
}

static void reduce_by_key_max_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_rdd(kiln_rdd_map(kt_parallelize(ctx, d), mod_swap_fn, NULL, 0));
    kiln_value want = ref_reduce_by_key(a, mod_swapped(a, d), d->n, kt_max_logic);
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_reduce_by_key(x, kt_max_fn, NULL, 0, 3)), a);
    kt_expect_multiset(a, &got, &want);
}

static void reduce_by_key_with_max_keeps_largest_value_in_total_order(void **state)
{
    kt_run_cases("reduce_by_key max", true, reduce_by_key_max_case);
}

/* ---- aggregate_by_key, fold_by_key, combine_by_key ----------------------------------- */

static void aggregate_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value zero_items[2] = {kiln_int(0), kiln_int(0)};
    kiln_value zero = kiln_tuple_ref(zero_items, 2);
    kiln_value want = ref_aggregate_by_key(a, d->v, d->n, &zero, kt_sum_count_seq_logic);

    kiln_rdd *r = kt_rdd(
        kiln_rdd_aggregate_by_key(x, &zero, kt_sum_count_seq_fn, kt_sum_count_comb_fn, NULL, 0, 3));
    /* The zero was deep-copied: changing ours now must not matter. */
    zero_items[0] = kiln_int(1000000);
    zero_items[1] = kiln_str_ref("not a number", 12);
    expect_partitions(r, 3, d);
    kiln_value got = kt_collect(r, a);
    kt_expect_multiset(a, &got, &want);
}

static void aggregate_by_key_computes_sum_and_count_per_key(void **state)
{
    kt_run_cases("aggregate_by_key", true, aggregate_by_key_case);
}

static void fold_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value zero = kiln_int(0);
    kiln_value want = ref_aggregate_by_key(a, d->v, d->n, &zero, kt_add_logic);
    kiln_rdd *r = kt_rdd(kiln_rdd_fold_by_key(x, &zero, kiln_fn_add, NULL, 0, 6));
    expect_partitions(r, 6, d);
    kiln_value got = kt_collect(r, a);
    kt_expect_multiset(a, &got, &want);

    /* max is idempotent, so the answer is max(500, values) however many
     * times the engine folds the zero in: proves the zero is used. */
    zero = kiln_int(500);
    want = ref_aggregate_by_key(a, d->v, d->n, &zero, kt_max_logic);
    got = kt_collect(kt_rdd(kiln_rdd_fold_by_key(x, &zero, kt_max_fn, NULL, 0, 0)), a);
    kt_expect_multiset(a, &got, &want);
}

static void fold_by_key_folds_values_of_each_key_from_zero(void **state)
{
    kt_run_cases("fold_by_key", true, fold_by_key_case);
}

static void combine_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value want = ref_combine_by_key(a, d->v, d->n, list_of_logic, list_append_logic);
    kiln_rdd *r = kt_rdd(
        kiln_rdd_combine_by_key(x, list_of_fn, list_append_fn, list_concat_fn, NULL, 0, 2));
    expect_partitions(r, 2, d);
    kiln_value got = kt_collect(r, a);
    kt_expect_canonical(a, &got, &want);
}

static void combine_by_key_builds_combiners_of_another_type(void **state)
{
    kt_run_cases("combine_by_key", true, combine_by_key_case);
}

/* ---- Actions: count_by_key, lookup ------------------------------------------------------ */

static void count_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_value got;
    KT_OK(kiln_rdd_count_by_key(kt_parallelize(ctx, d), a, &got));
    kiln_value want = ref_count_by_key(a, d->v, d->n);
    kt_expect_list(&got, &want); /* sorted by key, so exact */
}

static void count_by_key_counts_records_per_key_sorted_by_key(void **state)
{
    kt_run_cases("count_by_key", true, count_by_key_case);
}

static void lookup_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_rdd *hashed = kt_rdd(kiln_rdd_partition_by(x, 5, NULL, NULL, 0));
    kiln_rdd *reduced = kt_rdd(kiln_rdd_reduce_by_key(x, kiln_fn_add, NULL, 0, 3));
    kiln_value sums = ref_reduce_by_key(a, d->v, d->n, kt_add_logic);

    /* Keys to look up: the first, the last, the most frequent, and absent ones. */
    kiln_value keys[6];
    size_t nkeys = 0;
    if (d->n) {
        keys[nkeys++] = *kiln_key(&d->v[0]);
        keys[nkeys++] = *kiln_key(&d->v[d->n - 1]);
        kiln_value counts = ref_count_by_key(a, d->v, d->n);
        size_t best = 0;
        for (uint32_t i = 1; i < counts.len; i++)
            if (kiln_val(&counts.u.items[i])->u.i > kiln_val(&counts.u.items[best])->u.i) best = i;
        keys[nkeys++] = *kiln_key(&counts.u.items[best]);
    }
    keys[nkeys++] = kiln_str_ref("no such key \xc2\xa7", 14);
    keys[nkeys++] = kiln_int(-123456789);
    kiln_value none[1] = {kiln_int(5)};
    keys[nkeys++] = kiln_tuple_ref(none, 1);

    for (size_t k = 0; k < nkeys; k++) {
        kiln_value want = ref_lookup(a, d->v, d->n, &keys[k]);
        kiln_value got;
        KT_OK(kiln_rdd_lookup(x, &keys[k], a, &got));
        kt_expect_multiset(a, &got, &want);
        KT_OK(kiln_rdd_lookup(hashed, &keys[k], a, &got));
        kt_expect_multiset(a, &got, &want);
        want = ref_lookup(a, sums.u.items, sums.len, &keys[k]);
        KT_OK(kiln_rdd_lookup(reduced, &keys[k], a, &got));
        kt_expect_list(&got, &want);
    }
}

static void lookup_returns_values_of_key_on_plain_and_partitioned_rdds(void **state)
{
    kt_run_cases("lookup", true, lookup_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_by_key_gathers_all_values_of_each_key),
        cmocka_unit_test(group_by_key_groups_shape_values_under_small_int_keys),
        cmocka_unit_test(reduce_by_key_sums_values_of_each_key),
        cmocka_unit_test(reduce_by_key_with_max_keeps_largest_value_in_total_order),
        cmocka_unit_test(aggregate_by_key_computes_sum_and_count_per_key),
        cmocka_unit_test(fold_by_key_folds_values_of_each_key_from_zero),
        cmocka_unit_test(combine_by_key_builds_combiners_of_another_type),
        cmocka_unit_test(count_by_key_counts_records_per_key_sorted_by_key),
        cmocka_unit_test(lookup_returns_values_of_key_on_plain_and_partitioned_rdds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
