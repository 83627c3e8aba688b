/*
 * test_ops_sort.c - sort_by_key, sort_by and the ordered actions (take_ordered,
 * top, min, max) against the sequential reference, under local[1], local[2]
 * and local[8] and on every data shape of kt.h (whose mixed shape sorts
 * values of every type by the total order of kiln_value_cmp). Sorted output
 * is compared in order: collect reads the partitions in order, so a
 * correctly range-partitioned sort is globally sorted.
 */
#include "kt.h"
#include "kt_fns.h"

/* x -> hash(x) % 50: a sort key with many ties. */
static int bucket_logic(const kiln_value *x)
{
    return (int)(kiln_value_hash(x) % 50);
}

static int bucket_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = kiln_int(bucket_logic(in));
    return 0;
}

/* The keys of a list of pairs, as a list. */
static kiln_value keys_of(kiln_arena *a, const kiln_value *pairs)
{
    kiln_value *k = ref_alloc(a, pairs->len);
    for (uint32_t i = 0; i < pairs->len; i++) {
        KT_CHECK(kiln_is_pair(&pairs->u.items[i]), "item %u is not a pair: %s", i,
                 kt_fmt(&pairs->u.items[i]));
        k[i] = *kiln_key(&pairs->u.items[i]);
    }
    return kiln_list_ref(k, pairs->len);
}

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

/* ---- sort_by_key ------------------------------------------------------------------------- */

static void sort_by_key_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    static const int counts[] = {0, 1, 3};
    for (int asc = 1; asc >= 0; asc--) {
        kiln_value want = ref_sorted_by_key(a, &all, asc);
        kiln_value want_keys = keys_of(a, &want);
        for (size_t c = 0; c < 3; c++) {
            int asked = counts[c] ? counts[c] : d->slices;
            kiln_rdd *s = kt_rdd(kiln_rdd_sort_by_key(x, asc, counts[c]));
            int np = kiln_rdd_num_partitions(s);
            KT_CHECK(np >= 1 && np <= asked, "sort_by_key(%d) has %d partitions", counts[c], np);
            kiln_value got = kt_collect(s, a);
            kiln_value got_keys = keys_of(a, &got);
            kt_expect_list(&got_keys, &want_keys); /* globally sorted */
            kt_expect_multiset(a, &got, &all);     /* the same records */

            /* Partition by partition: the concatenation in partition order is
             * sorted, and ranges do not overlap. */
            kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(s)), a);
            KT_CHECK(glom.len == (uint32_t)np, "glom has %u partitions, not %d", glom.len, np);
            kiln_value flat = flatten(a, &glom);
            kiln_value flat_keys = keys_of(a, &flat);
            kt_expect_list(&flat_keys, &want_keys);
            if ((d->shape == KT_RANDOM || d->shape == KT_LARGE) && np == 3) {
                /* Range partitioning by a sample: no partition is empty or
                 * holds most of 400 distinct, uniform keys. */
                for (uint32_t i = 0; i < glom.len; i++)
                    KT_CHECK(glom.u.items[i].len > 0 && glom.u.items[i].len < 6 * d->n / 10,
                             "partition %u of 3 holds %u of %zu records", i, glom.u.items[i].len,
                             d->n);
            }
        }
    }
}

static void sort_by_key_is_globally_sorted_across_partitions(void **state)
{
    kt_run_cases("sort_by_key", true, sort_by_key_case);
}

/* ---- sort_by ------------------------------------------------------------------------------ */

static void sort_by_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    for (int asc = 1; asc >= 0; asc--) {
        /* By a key with ties: the keys come out sorted, the values are the same. */
        kiln_rdd *s = kt_rdd(kiln_rdd_sort_by(x, bucket_fn, NULL, 0, asc, 4));
        kiln_value got = kt_collect(s, a);
        kt_expect_multiset(a, &got, &all);
        for (uint32_t i = 1; i < got.len; i++) {
            int prev = bucket_logic(&got.u.items[i - 1]), cur = bucket_logic(&got.u.items[i]);
            KT_CHECK(asc ? prev <= cur : prev >= cur, "sort keys out of order at %u: %d, %d", i,
                     prev, cur);
        }
        /* By the value itself: exactly the sorted values. */
        got = kt_collect(kt_rdd(kiln_rdd_sort_by(x, kiln_fn_identity, NULL, 0, asc, 0)), a);
        kiln_value want = ref_sorted(a, &all, asc);
        kt_expect_list(&got, &want);
    }
}

static void sort_by_orders_values_by_the_key_function(void **state)
{
    kt_run_cases("sort_by", false, sort_by_case);
}

/* ---- take_ordered, top, min, max ----------------------------------------------------------- */

static void ordered_actions_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    size_t ks[] = {0, 1, 5, d->n, d->n + 3};
    for (size_t c = 0; c < sizeof ks / sizeof *ks; c++) {
        kiln_value got, want;
        KT_OK(kiln_rdd_take_ordered(x, ks[c], a, &got));
        want = ref_take_ordered(a, d->v, d->n, ks[c]);
        kt_expect_list(&got, &want);
        KT_OK(kiln_rdd_top(x, ks[c], a, &got));
        want = ref_top(a, d->v, d->n, ks[c]);
        kt_expect_list(&got, &want);
    }
    kiln_value got;
    if (d->n == 0) {
        KT_RC(KILN_EEMPTY, kiln_rdd_min(x, a, &got));
        KT_RC(KILN_EEMPTY, kiln_rdd_max(x, a, &got));
    } else {
        KT_OK(kiln_rdd_min(x, a, &got));
        kt_expect_value(&got, &d->v[ref_min_index(d->v, d->n)]);
        KT_OK(kiln_rdd_max(x, a, &got));
        kt_expect_value(&got, &d->v[ref_max_index(d->v, d->n)]);
    }
}

static void take_ordered_top_min_max_follow_the_total_order(void **state)
{
    kt_run_cases("take_ordered/top/min/max", false, ordered_actions_case);
}

static void take_ordered_and_top_compare_pairs_lexicographically(void **state)
{
    kt_run_cases("take_ordered/top/min/max pairs", true, ordered_actions_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sort_by_key_is_globally_sorted_across_partitions),
        cmocka_unit_test(sort_by_orders_values_by_the_key_function),
        cmocka_unit_test(take_ordered_top_min_max_follow_the_total_order),
        cmocka_unit_test(take_ordered_and_top_compare_pairs_lexicographically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
