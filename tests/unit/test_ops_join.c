/*
 * test_ops_join.c - join, left/right/full outer joins and cogroup against the
 * sequential reference, under local[1], local[2] and local[8] and on every
 * data shape of kt.h as keys. The right side is a smaller draw of the same
 * shape (so keys match, with skew on both sides for the skewed shape); for
 * the empty shape it is random ints, so outer joins have one empty side.
 * Output order is unspecified: results are compared as multisets.
 */
#include "kt.h"

static const char *const kind_names[] = {"join", "left_outer_join", "right_outer_join",
                                         "full_outer_join"};

static kiln_rdd *join_of(enum ref_join_kind kind, kiln_rdd *x, kiln_rdd *y, int np)
{
    switch (kind) {
    case REF_INNER:
        return kiln_rdd_join(x, y, np);
    case REF_LEFT_OUTER:
        return kiln_rdd_left_outer_join(x, y, np);
    case REF_RIGHT_OUTER:
        return kiln_rdd_right_outer_join(x, y, np);
    case REF_FULL_OUTER:
        return kiln_rdd_full_outer_join(x, y, np);
    }
    return NULL;
}

static void right_side(kiln_arena *a, const kt_data *d, kt_data *e)
{
    /* Skewed: 40 records (about 34 on the hot key) give ~17,000 joined pairs. */
    size_t n = d->shape == KT_SKEWED ? 40 : d->n / 4 + 1;
    kt_gen(a, d->shape == KT_EMPTY ? KT_RANDOM : d->shape, true, 5151, n, e);
    e->slices = e->slices > 1 ? e->slices - 1 : 2;
}

static void join_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kt_data e;
    right_side(a, d, &e);
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    int larger = d->slices > e.slices ? d->slices : e.slices;
    for (int kind = REF_INNER; kind <= REF_FULL_OUTER; kind++) {
        kt_case_detail("%s", kind_names[kind]);
        kiln_rdd *j = kt_rdd(join_of(kind, x, y, 0));
        KT_CHECK(kiln_rdd_num_partitions(j) == larger, "%d partitions, expected %d",
                 kiln_rdd_num_partitions(j), larger);
        kiln_value got = kt_collect(j, a);
        kiln_value want = ref_join(a, d->v, d->n, e.v, e.n, kind);
        kt_expect_multiset(a, &got, &want);

        /* Swapped sides and an explicit partition count. */
        j = kt_rdd(join_of(kind, y, x, 5));
        KT_CHECK(kiln_rdd_num_partitions(j) == 5, "%d partitions, expected 5",
                 kiln_rdd_num_partitions(j));
        got = kt_collect(j, a);
        want = ref_join(a, e.v, e.n, d->v, d->n, kind);
        kt_expect_multiset(a, &got, &want);
    }
}

static void joins_match_keys_and_fill_missing_sides_with_null(void **state)
{
    kt_run_cases("joins", true, join_case);
}

static void co_partitioned_join_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* Both sides hash-partitioned the same way before the join. */
    kt_data e;
    right_side(a, d, &e);
    kiln_rdd *x = kt_rdd(kiln_rdd_partition_by(kt_parallelize(ctx, d), 4, NULL, NULL, 0));
    kiln_rdd *y = kt_rdd(kiln_rdd_partition_by(kt_parallelize(ctx, &e), 4, NULL, NULL, 0));
    for (int kind = REF_INNER; kind <= REF_FULL_OUTER; kind++) {
        kt_case_detail("%s", kind_names[kind]);
        kiln_value got = kt_collect(kt_rdd(join_of(kind, x, y, 4)), a);
        kiln_value want = ref_join(a, d->v, d->n, e.v, e.n, kind);
        kt_expect_multiset(a, &got, &want);
    }
}

static void joins_of_hash_partitioned_sides_match_reference(void **state)
{
    kt_run_cases("co-partitioned joins", true, co_partitioned_join_case);
}

static void cogroup_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kt_data e;
    right_side(a, d, &e);
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    kiln_rdd *c = kt_rdd(kiln_rdd_cogroup(x, y, 3));
    KT_CHECK(kiln_rdd_num_partitions(c) == 3, "%d partitions", kiln_rdd_num_partitions(c));
    kiln_value got = kt_collect(c, a);
    kiln_value want = ref_cogroup(a, d->v, d->n, e.v, e.n);
    kt_expect_canonical(a, &got, &want);

    got = kt_collect(kt_rdd(kiln_rdd_cogroup(y, x, 0)), a);
    want = ref_cogroup(a, e.v, e.n, d->v, d->n);
    kt_expect_canonical(a, &got, &want);
}

static void cogroup_lists_values_of_both_sides_for_every_key(void **state)
{
    kt_run_cases("cogroup", true, cogroup_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(joins_match_keys_and_fill_missing_sides_with_null),
        cmocka_unit_test(joins_of_hash_partitioned_sides_match_reference),
        cmocka_unit_test(cogroup_lists_values_of_both_sides_for_every_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
