/*
 * test_ops_setops.c - distinct, intersection, subtract and cartesian against
 * the sequential reference, under local[1], local[2] and local[8] and on
 * every data shape of kt.h. Their output order is unspecified: results are
 * compared as multisets.
 */
#include "kt.h"

/* The second operand: the same shape (so that values are shared) drawn with
 * another seed; for the empty shape, random ints. */
static void other_operand(kiln_arena *a, const kt_data *d, size_t n, kt_data *e)
{
    kt_gen(a, d->shape == KT_EMPTY ? KT_RANDOM : d->shape, false, 4242, n, e);
}

static void distinct_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value want = ref_distinct(a, d->v, d->n);

    kiln_rdd *r = kt_rdd(kiln_rdd_distinct(x, 3));
    KT_CHECK(kiln_rdd_num_partitions(r) == 3, "distinct(3) has %d partitions",
             kiln_rdd_num_partitions(r));
    kiln_value got = kt_collect(r, a);
    kt_expect_multiset(a, &got, &want);

    /* 0: the parent's partition count; and more partitions than values. */
    got = kt_collect(kt_rdd(kiln_rdd_distinct(x, 0)), a);
    kt_expect_multiset(a, &got, &want);
    got = kt_collect(kt_rdd(kiln_rdd_distinct(x, 40)), a);
    kt_expect_multiset(a, &got, &want);
    KT_CHECK(kt_count(kt_rdd(kiln_rdd_distinct(x, 2))) == (int64_t)want.len,
             "count of distinct differs from %u", want.len);
}

static void distinct_keeps_one_copy_of_each_value(void **state)
{
    kt_run_cases("distinct", false, distinct_case);
}

static void distinct_of_pairs_compares_whole_tuples(void **state)
{
    /* Pairs with equal keys but different values are distinct. */
    kt_run_cases("distinct pairs", true, distinct_case);
}

static void intersection_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kt_data e;
    other_operand(a, d, 0, &e);
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    kiln_rdd *r = kt_rdd(kiln_rdd_intersection(x, y, 4));
    KT_CHECK(kiln_rdd_num_partitions(r) == 4, "intersection(4) has %d partitions",
             kiln_rdd_num_partitions(r));
    kiln_value got = kt_collect(r, a);
    kiln_value want = ref_intersection(a, d->v, d->n, e.v, e.n);
    kt_expect_multiset(a, &got, &want);

    /* The other way round gives the same set. */
    got = kt_collect(kt_rdd(kiln_rdd_intersection(y, x, 0)), a);
    kt_expect_multiset(a, &got, &want);

    /* With itself: its distinct values. */
    got = kt_collect(kt_rdd(kiln_rdd_intersection(x, x, 0)), a);
    want = ref_distinct(a, d->v, d->n);
    kt_expect_multiset(a, &got, &want);
}

static void intersection_keeps_distinct_values_present_in_both(void **state)
{
    kt_run_cases("intersection", false, intersection_case);
}

static void subtract_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kt_data e;
    other_operand(a, d, d->n / 3 + 1, &e);
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    kiln_rdd *r = kt_rdd(kiln_rdd_subtract(x, y, 5));
    KT_CHECK(kiln_rdd_num_partitions(r) == 5, "subtract(5) has %d partitions",
             kiln_rdd_num_partitions(r));
    kiln_value got = kt_collect(r, a);
    kiln_value want = ref_subtract(a, d->v, d->n, e.v, e.n);
    kt_expect_multiset(a, &got, &want);

    got = kt_collect(kt_rdd(kiln_rdd_subtract(y, x, 0)), a);
    want = ref_subtract(a, e.v, e.n, d->v, d->n);
    kt_expect_multiset(a, &got, &want);

    /* Minus itself: nothing. Minus an empty RDD: everything, duplicates kept. */
    KT_CHECK(kt_count(kt_rdd(kiln_rdd_subtract(x, x, 0))) == 0, "x - x is not empty");
    kiln_rdd *empty = kt_rdd(kiln_parallelize(ctx, d->v, 0, 2));
    got = kt_collect(kt_rdd(kiln_rdd_subtract(x, empty, 0)), a);
    want = ref_list(a, d->v, d->n);
    kt_expect_multiset(a, &got, &want);
}

static void subtract_removes_values_of_b_and_keeps_duplicates_of_a(void **state)
{
    kt_run_cases("subtract", false, subtract_case);
}

static void cartesian_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* Keep the product small: at most 30000 x 3 or 1000 x 25 pairs (45 for
     * long strings). */
    kt_data e;
    size_t ne = d->shape == KT_LONG_STRINGS ? 5 : d->shape == KT_LARGE ? 3 : 25;
    other_operand(a, d, ne, &e);
    e.slices = 3;
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    kiln_rdd *r = kt_rdd(kiln_rdd_cartesian(x, y));
    KT_CHECK(kt_count(r) == (int64_t)(d->n * e.n), "count is not %zu x %zu", d->n, e.n);
    kiln_value got = kt_collect(r, a);
    kiln_value want = ref_cartesian(a, d->v, d->n, e.v, e.n);
    kt_expect_multiset(a, &got, &want);

    got = kt_collect(kt_rdd(kiln_rdd_cartesian(y, x)), a);
    want = ref_cartesian(a, e.v, e.n, d->v, d->n);
    kt_expect_multiset(a, &got, &want);
}

static void cartesian_pairs_every_value_of_a_with_every_value_of_b(void **state)
{
    kt_run_cases("cartesian", false, cartesian_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distinct_keeps_one_copy_of_each_value),
        cmocka_unit_test(distinct_of_pairs_compares_whole_tuples),
        cmocka_unit_test(intersection_keeps_distinct_values_present_in_both),
        cmocka_unit_test(subtract_removes_values_of_b_and_keeps_duplicates_of_a),
        cmocka_unit_test(cartesian_pairs_every_value_of_a_with_every_value_of_b),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
