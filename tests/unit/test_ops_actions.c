/*
 * test_ops_actions.c - the actions (count, first, take, reduce, fold,
 * aggregate, tree_aggregate, count_by_value, is_empty, foreach,
 * foreach_partition, sum, mean, stats) against the sequential reference,
 * under local[1], local[2] and local[8] and on every data shape of kt.h.
 * Numbers are checked against a two-pass long double reference with a
 * relative tolerance of 1e-9.
 */
#include <math.h>
#include <string.h>

#include "base/base.h"
#include "kt.h"
#include "kt_fns.h"

#define REL_TOL 1e-9L

static bool numeric_shape(int shape)
{
    return shape != KT_UNICODE && shape != KT_LONG_STRINGS && shape != KT_MIXED;
}

/* ---- count, first, take, is_empty --------------------------------------------------------- */

static int drop_first_half_fn(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    /* Keeps the values of the last partitions only (those >= env). */
    *keep = kiln_task_partition(t) >= *(const int *)env;
    return 0;
}

static void basic_actions_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    KT_CHECK(kt_count(x) == (int64_t)d->n, "count differs from %zu", d->n);

    bool empty = !d->n;
    KT_OK(kiln_rdd_is_empty(x, &empty));
    KT_CHECK(empty == (d->n == 0), "is_empty says %d for %zu values", empty, d->n);

    kiln_value got;
    if (d->n == 0) {
        KT_RC(KILN_EEMPTY, kiln_rdd_first(x, a, &got));
    } else {
        KT_OK(kiln_rdd_first(x, a, &got));
        kt_expect_value(&got, &d->v[0]);
    }

    size_t ks[] = {0, 1, 3, d->n, d->n + 5};
    for (size_t c = 0; c < sizeof ks / sizeof *ks; c++) {
        KT_OK(kiln_rdd_take(x, ks[c], a, &got));
        kiln_value want = ref_list(a, d->v, ks[c] < d->n ? ks[c] : d->n);
        kt_expect_list(&got, &want);
    }

    /* Only the later partitions keep values: first, take and is_empty must
     * look past the empty leading partitions. */
    int from = d->slices / 2;
    kiln_rdd *tail = kt_rdd(kiln_rdd_filter(x, drop_first_half_fn, &from, sizeof from));
    size_t lo, hi;
    ref_slice(d->n, d->slices, from, &lo, &hi);
    kiln_value tail_want = ref_list(a, d->v + lo, d->n - lo);
    KT_OK(kiln_rdd_take(tail, 2, a, &got));
    kiln_value two = tail_want;
    two.len = tail_want.len < 2 ? tail_want.len : 2;
    kt_expect_list(&got, &two);
    KT_OK(kiln_rdd_is_empty(tail, &empty));
    KT_CHECK(empty == (tail_want.len == 0), "is_empty of the tail says %d", empty);
    if (tail_want.len) {
        KT_OK(kiln_rdd_first(tail, a, &got));
        kt_expect_value(&got, &tail_want.u.items[0]);
    } else {
        KT_RC(KILN_EEMPTY, kiln_rdd_first(tail, a, &got));
    }
}

static void count_first_take_and_is_empty_follow_partition_order(void **state)
{
    kt_run_cases("count/first/take/is_empty", false, basic_actions_case);
}

/* ---- reduce, fold, aggregate, tree_aggregate ---------------------------------------------- */

static void reduce_fold_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value got;
    if (d->n == 0) {
        KT_RC(KILN_EEMPTY, kiln_rdd_reduce(x, kt_max_fn, NULL, 0, a, &got));
    } else {
        KT_OK(kiln_rdd_reduce(x, kt_max_fn, NULL, 0, a, &got));
        kt_expect_value(&got, &d->v[ref_max_index(d->v, d->n)]);
    }
    /* null is the smallest value, so the neutral zero of max. */
    kiln_value zero = kiln_null();
    KT_OK(kiln_rdd_fold(x, &zero, kt_max_fn, NULL, 0, a, &got));
    kt_expect_value(&got, d->n ? &d->v[ref_max_index(d->v, d->n)] : &zero);

    /* Sums of the int values of pairs built from the data. */
    kiln_rdd *nums = kt_rdd(kiln_rdd_values(kt_rdd(kiln_rdd_map(x, kt_tag_fn, NULL, 0))));
    int64_t sum = 0;
    for (size_t i = 0; i < d->n; i++) sum += (int64_t)(kiln_value_hash(&d->v[i]) % 97);
    kiln_value want_sum = kiln_int(sum);
    if (d->n) {
        KT_OK(kiln_rdd_reduce(nums, kiln_fn_add, NULL, 0, a, &got));
        kt_expect_value(&got, &want_sum);
    }
    zero = kiln_int(0);
    KT_OK(kiln_rdd_fold(nums, &zero, kt_add_fn, NULL, 0, a, &got));
    kt_expect_value(&got, &want_sum);
}

static void reduce_and_fold_combine_all_values(void **state)
{
    kt_run_cases("reduce/fold", false, reduce_fold_case);
}

static void aggregate_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value zero_items[2] = {kiln_int(0), kiln_int(0)};
    kiln_value zero = kiln_tuple_ref(zero_items, 2);
    kiln_value want = zero;
    for (size_t i = 0; i < d->n; i++) {
        kiln_value next;
        assert_int_equal(kt_hash_seq_logic(a, &want, &d->v[i], &next), 0);
        want = next;
    }
    kiln_value got;
    KT_OK(kiln_rdd_aggregate(x, &zero, kt_hash_seq_fn, kt_sum_count_comb_fn, NULL, 0, a, &got));
    kt_expect_value(&got, &want);
    for (int depth = 1; depth <= 3; depth++) {
        kt_case_detail("tree_aggregate depth %d", depth);
        KT_OK(kiln_rdd_tree_aggregate(x, &zero, kt_hash_seq_fn, kt_sum_count_comb_fn, NULL, 0,
                                      depth, a, &got));
        kt_expect_value(&got, &want);
    }
    kt_case_detail("tree_aggregate depth 0");
    KT_FAILS(kiln_rdd_tree_aggregate(x, &zero, kt_hash_seq_fn, kt_sum_count_comb_fn, NULL, 0, 0, a,
                                     &got));
}

static void aggregate_and_tree_aggregate_agree_with_sequential_fold(void **state)
{
    kt_run_cases("aggregate", false, aggregate_case);
}

static void tree_aggregate_over_many_partitions_matches_at_every_depth(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("tree_aggregate 5000 values in 64 partitions, master %s", kt_masters[m]);
        kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 5000, 1, 64));
        kiln_value zero_items[2] = {kiln_int(0), kiln_int(0)};
        kiln_value zero = kiln_tuple_ref(zero_items, 2);
        kiln_value want_items[2] = {kiln_int(4999 * 5000 / 2), kiln_int(5000)};
        kiln_value want = kiln_tuple_ref(want_items, 2);
        for (int depth = 1; depth <= 3; depth++) {
            kiln_value got;
            KT_OK(kiln_rdd_tree_aggregate(x, &zero, kt_sum_count_seq_fn, kt_sum_count_comb_fn, NULL,
                                          0, depth, a, &got));
            kt_expect_value(&got, &want);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* ---- count_by_value ------------------------------------------------------------------------ */

static void count_by_value_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_value got;
    KT_OK(kiln_rdd_count_by_value(kt_parallelize(ctx, d), a, &got));
    kiln_value want = ref_count_by_value(a, d->v, d->n);
    kt_expect_list(&got, &want); /* sorted by value */
}

static void count_by_value_counts_each_distinct_value_sorted(void **state)
{
    kt_run_cases("count_by_value", false, count_by_value_case);
}

/* ---- foreach, foreach_partition ------------------------------------------------------------- */

typedef struct foreach_env {
    int64_t count_id, hash_sum_id;
} foreach_env;

static int foreach_fn(kiln_task *t, const kiln_value *in, const void *env)
{
    const foreach_env *e = env;
    int rc = kiln_accumulator_add(t, e->count_id, kiln_int(1));
    if (rc == KILN_OK)
        rc = kiln_accumulator_add(t, e->hash_sum_id,
                                  kiln_int((int64_t)(kiln_value_hash(in) % 1000)));
    return rc;
}

typedef struct partition_env {
    int64_t records_id, index_sum_id, partitions_id, mismatch_id;
} partition_env;

static int foreach_partition_fn(kiln_task *t, int index, kiln_in *in, const void *env)
{
    const partition_env *e = env;
    const kiln_value *v;
    int64_t n = 0;
    int rc;
    while ((rc = kiln_in_next(in, &v)) == 1) n++;
    if (rc < 0) return rc;
    if ((rc = kiln_accumulator_add(t, e->records_id, kiln_int(n))) != KILN_OK ||
        (rc = kiln_accumulator_add(t, e->index_sum_id, kiln_int(index + 1))) != KILN_OK ||
        (rc = kiln_accumulator_add(t, e->partitions_id, kiln_int(1))) != KILN_OK)
        return rc;
    if (index != kiln_task_partition(t))
        return kiln_accumulator_add(t, e->mismatch_id, kiln_int(1));
    return 0;
}

static int64_t acc_int(kiln_context *ctx, int64_t id)
{
    kiln_value v = kiln_accumulator_value(ctx, id);
    KT_CHECK(v.type == KILN_INT, "accumulator %lld is a %d, not an int", (long long)id, v.type);
    return v.u.i;
}

static void foreach_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    foreach_env e = {kiln_accumulator_new(ctx, "records", KILN_INT),
                     kiln_accumulator_new(ctx, "hash sum", KILN_INT)};
    KT_CHECK(e.count_id > 0 && e.hash_sum_id > 0, "accumulator_new failed: %s", kiln_last_error());
    KT_OK(kiln_rdd_foreach(x, foreach_fn, &e, sizeof e));
    int64_t want_sum = 0;
    for (size_t i = 0; i < d->n; i++) want_sum += (int64_t)(kiln_value_hash(&d->v[i]) % 1000);
    KT_CHECK(acc_int(ctx, e.count_id) == (int64_t)d->n, "foreach saw %lld values, not %zu",
             (long long)acc_int(ctx, e.count_id), d->n);
    KT_CHECK(acc_int(ctx, e.hash_sum_id) == want_sum, "hash sum %lld, expected %lld",
             (long long)acc_int(ctx, e.hash_sum_id), (long long)want_sum);

    partition_env p = {kiln_accumulator_new(ctx, "p.records", KILN_INT),
                       kiln_accumulator_new(ctx, "p.index sum", KILN_INT),
                       kiln_accumulator_new(ctx, "p.partitions", KILN_INT),
                       kiln_accumulator_new(ctx, "p.mismatch", KILN_INT)};
    KT_OK(kiln_rdd_foreach_partition(x, foreach_partition_fn, &p, sizeof p));
    int64_t k = d->slices;
    KT_CHECK(acc_int(ctx, p.records_id) == (int64_t)d->n, "foreach_partition saw %lld values",
             (long long)acc_int(ctx, p.records_id));
    KT_CHECK(acc_int(ctx, p.partitions_id) == k, "foreach_partition ran %lld times, not %lld",
             (long long)acc_int(ctx, p.partitions_id), (long long)k);
    KT_CHECK(acc_int(ctx, p.index_sum_id) == k * (k + 1) / 2,
             "partition indexes do not cover 0..%lld once each", (long long)(k - 1));
    KT_CHECK(acc_int(ctx, p.mismatch_id) == 0, "index differs from kiln_task_partition");
}

static void foreach_and_foreach_partition_visit_every_value_once(void **state)
{
    kt_run_cases("foreach/foreach_partition", false, foreach_case);
}

/* ---- sum, mean, stats ------------------------------------------------------------------------ */

static void expect_stats(const kiln_stats *got, const ref_stats *want)
{
    KT_CHECK(got->count == want->count, "count %lld, expected %lld", (long long)got->count,
             (long long)want->count);
    if (want->count == 0) return;
    kt_expect_close(got->sum, want->sum, REL_TOL, 0, "sum");
    kt_expect_close(got->mean, want->mean, REL_TOL, 0, "mean");
    kt_expect_close(got->min, want->min, 0, 0, "min");
    kt_expect_close(got->max, want->max, 0, 0, "max");
    /* Variances are checked relative to the squared magnitude of the data too,
     * so that a zero variance needs no exact zero. */
    long double mag = fabsl(want->mean) + sqrtl(want->variance);
    long double abs_tol = 1e-15L * (mag * mag + 1);
    kt_expect_close(got->variance, want->variance, REL_TOL, abs_tol, "variance");
    kt_expect_close(got->stdev, sqrtl(want->variance), REL_TOL, sqrtl(abs_tol), "stdev");
    if (want->count > 1) {
        kt_expect_close(got->sample_variance, want->sample_variance, REL_TOL, abs_tol,
                        "sample_variance");
        kt_expect_close(got->sample_stdev, sqrtl(want->sample_variance), REL_TOL, sqrtl(abs_tol),
                        "sample_stdev");
    }
}

static void numeric_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_stats st;
    double sum, mean;
    if (!numeric_shape(d->shape) && d->n > 0) {
        KT_RC(KILN_ETYPE, kiln_rdd_stats(x, &st));
        KT_RC(KILN_ETYPE, kiln_rdd_sum(x, &sum));
        KT_RC(KILN_ETYPE, kiln_rdd_mean(x, &mean));
        return;
    }
    ref_stats want;
    assert_int_equal(ref_compute_stats(d->v, d->n, &want), 0);
    KT_OK(kiln_rdd_sum(x, &sum));
    kt_expect_close(sum, want.sum, REL_TOL, 0, "sum");
    KT_OK(kiln_rdd_mean(x, &mean));
    if (d->n == 0) KT_CHECK(isnan(mean), "mean of an empty RDD is %g, not NaN", mean);
    else kt_expect_close(mean, want.mean, REL_TOL, 0, "mean");
    KT_OK(kiln_rdd_stats(x, &st));
    expect_stats(&st, &want);
}

static void sum_mean_stats_match_two_pass_reference(void **state)
{
    kt_run_cases("sum/mean/stats", false, numeric_case);
}

/* Data for the double-valued cases, one kind per call. */
static void gen_numbers(kiln_arena *a, int kind, kt_data *d)
{
    rng r;
    rng_seed(&r, 0xD0B1E + (uint64_t)kind);
    size_t n = 2000;
    kiln_value *v = ref_alloc(a, n);
    for (size_t i = 0; i < n; i++) {
        double u = rng_double(&r);
        switch (kind) {
        case 0:
            v[i] = kiln_double(u * 2000 - 1000);
            break; /* doubles */
        case 1:
            v[i] = i % 2 ? kiln_int((int64_t)(u * 1e6)) : kiln_double(u);
            break; /* mixed */
        case 2:
            v[i] = kiln_double(1e6 + u);
            break; /* large offset */
        default:
            v[i] = kiln_double(u * 1e-6);
            break; /* tiny values */
        }
    }
    d->name = (const char *[]){"doubles", "ints and doubles", "offset 1e6", "tiny"}[kind];
    d->shape = KT_RANDOM;
    d->v = v;
    d->n = n;
    d->slices = 9;
}

static void stats_of_doubles_are_accurate_including_large_offsets(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (int kind = 0; kind < 4; kind++) {
            kt_data d;
            kiln_arena_reset(a);
            gen_numbers(a, kind, &d);
            kt_set_case("stats of %s, master %s", d.name, kt_masters[m]);
            numeric_case(ctx, &d, a);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(count_first_take_and_is_empty_follow_partition_order),
        cmocka_unit_test(reduce_and_fold_combine_all_values),
        cmocka_unit_test(aggregate_and_tree_aggregate_agree_with_sequential_fold),
        cmocka_unit_test(tree_aggregate_over_many_partitions_matches_at_every_depth),
        cmocka_unit_test(count_by_value_counts_each_distinct_value_sorted),
        cmocka_unit_test(foreach_and_foreach_partition_visit_every_value_once),
        cmocka_unit_test(sum_mean_stats_match_two_pass_reference),
        cmocka_unit_test(stats_of_doubles_are_accurate_including_large_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
