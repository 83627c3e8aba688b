/*
 * test_ops_sample.c - kiln_rdd_sample with and without replacement:
 * determinism (same seed and partitions give the same sample under local[1],
 * local[2] and local[8]), the edge fractions, sizes within six standard
 * deviations of the expected count, and independence between partitions.
 * The bounds are loose enough that a correct sampler never fails them on
 * these fixed seeds, and tight enough to catch a biased or repeated one.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kt.h"

#define N 20000
#define SLICES 8

/* Deep-copies a list into a so it survives its context. */
static kiln_value keep(kiln_arena *a, const kiln_value *v)
{
    kiln_value out;
    KT_OK(kiln_value_copy(a, v, &out));
    return out;
}

static void sample_is_deterministic_for_a_seed_across_masters(void **state)
{
    kiln_arena *a = kiln_arena_new(), *first = kiln_arena_new();
    for (int with = 0; with <= 1; with++) {
        kiln_value reference = kiln_null(), other = kiln_null();
        for (int m = 0; m < KT_MASTER_COUNT; m++) {
            kt_set_case("sample(with_replacement=%d) determinism, master %s", with, kt_masters[m]);
            kiln_context *ctx = kt_context_new(kt_masters[m]);
            kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, 5000, 1, 7));
            kiln_rdd *s = kt_rdd(kiln_rdd_sample(x, with, 0.3, 12345));
            kiln_value got = kt_collect(s, a);
            /* The same RDD twice, and a new RDD with the same seed. */
            kiln_value again = kt_collect(s, a);
            kt_expect_list(&again, &got);
            again = kt_collect(kt_rdd(kiln_rdd_sample(x, with, 0.3, 12345)), a);
            kt_expect_list(&again, &got);
            kiln_value diff = kt_collect(kt_rdd(kiln_rdd_sample(x, with, 0.3, 54321)), a);
            if (m == 0) {
                reference = keep(first, &got);
                other = keep(first, &diff);
                KT_CHECK(got.len > 0, "an empty sample of 5000 values");
                bool same = diff.len == got.len;
                for (uint32_t i = 0; same && i < got.len; i++)
                    same = kiln_value_eq(&diff.u.items[i], &got.u.items[i]);
                KT_CHECK(!same, "seeds 12345 and 54321 gave the same sample");
            } else {
                kt_expect_list(&got, &reference); /* same as under local[1] */
                kt_expect_list(&diff, &other);
            }
            kiln_context_free(ctx);
        }
        kiln_arena_reset(first);
    }
    kiln_arena_free(first);
    kiln_arena_free(a);
}

static void edge_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value all = ref_list(a, d->v, d->n);
    KT_CHECK(kt_count(kt_rdd(kiln_rdd_sample(x, false, 0.0, 7))) == 0,
             "fraction 0 without replacement kept values");
    KT_CHECK(kt_count(kt_rdd(kiln_rdd_sample(x, true, 0.0, 7))) == 0,
             "fraction 0 with replacement kept values");
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_sample(x, false, 1.0, 7)), a);
    kt_expect_list(&got, &all);

    /* Any sample holds values of the input only; without replacement, each
     * at most as often as in the input. */
    kiln_rdd *half = kt_rdd(kiln_rdd_sample(x, false, 0.5, 99));
    KT_CHECK(kiln_rdd_num_partitions(half) == d->slices, "sample changed the partition count");
    got = kt_collect(half, a);
    KT_CHECK(ref_is_sub_multiset(a, got.u.items, got.len, d->v, d->n),
             "a sample without replacement is not a sub-multiset of its input");
    got = kt_collect(kt_rdd(kiln_rdd_sample(x, true, 1.5, 99)), a);
    kiln_value distinct_input = ref_distinct(a, d->v, d->n);
    kiln_value distinct_got = ref_distinct(a, got.u.items, got.len);
    KT_CHECK(ref_is_sub_multiset(a, distinct_got.u.items, distinct_got.len, distinct_input.u.items,
                                 distinct_input.len),
             "a sample with replacement holds a value that is not in its input");
}

static void sample_fraction_zero_is_empty_and_one_keeps_everything(void **state)
{
    kt_run_cases("sample edges", false, edge_case);
}

/* Checks the size, the values and the per-partition sizes of one sample of
 * 0..N-1 in SLICES slices. */
static void check_sample(kiln_context *ctx, kiln_arena *a, bool with, double f, uint64_t seed)
{
    kt_case_detail("with_replacement=%d fraction=%g seed=%llu", with, f, (unsigned long long)seed);
    kiln_rdd *x = kt_rdd(kiln_range(ctx, 0, N, 1, SLICES));
    kiln_rdd *s = kt_rdd(kiln_rdd_sample(x, with, f, seed));
    kiln_value glom = kt_collect(kt_rdd(kiln_rdd_glom(s)), a);
    KT_CHECK(glom.len == SLICES, "%u partitions", glom.len);

    /* Poisson(f) per value has variance f; Bernoulli(f) has f (1 - f). */
    double var1 = with ? f : f * (1 - f);
    double per_part = (double)N / SLICES;
    long double sum = 0;
    int64_t total = 0;
    uint8_t *seen = calloc(N, 1);
    assert_non_null(seen);
    int64_t repeats = 0;
    for (int p = 0; p < SLICES; p++) {
        const kiln_value *part = &glom.u.items[p];
        double dev = fabs((double)part->len - per_part * f);
        KT_CHECK(dev <= 6 * sqrt(per_part * var1) + 1, "partition %d sampled %u of %.0f", p,
                 part->len, per_part);
        for (uint32_t j = 0; j < part->len; j++) {
            const kiln_value *v = &part->u.items[j];
            KT_CHECK(v->type == KILN_INT && v->u.i >= p * (int64_t)per_part &&
                         v->u.i < (p + 1) * (int64_t)per_part,
                     "partition %d holds %s, not one of its own values", p, kt_fmt(v));
            if (seen[v->u.i]++) repeats++;
            sum += (long double)v->u.i;
            total++;
        }
    }
    double dev = fabs((double)total - N * f);
    KT_CHECK(dev <= 6 * sqrt(N * var1), "sampled %lld values, expected %.0f +- %.0f",
             (long long)total, N * f, 6 * sqrt(N * var1));
    if (!with)
        KT_CHECK(repeats == 0, "a sample without replacement repeated %lld values",
                 (long long)repeats);
    else if (f >= 1)
        KT_CHECK(repeats > 0, "a sample with replacement at fraction %g repeated nothing", f);
    /* Unbiased: the mean of the sampled values is near the middle. */
    double mean = (double)(sum / total);
    double sd_mean = N / sqrt(12.0 * (double)total);
    KT_CHECK(fabs(mean - (N - 1) / 2.0) <= 6 * sd_mean, "mean of the sample %.1f, expected %.1f",
             mean, (N - 1) / 2.0);

    /* Partitions draw independently: the offsets sampled in partition 0 and
     * in partition 1 are not the same set. */
    const kiln_value *p0 = &glom.u.items[0], *p1 = &glom.u.items[1];
    bool same = p0->len == p1->len;
    for (uint32_t j = 0; same && j < p0->len; j++)
        same = p1->u.items[j].u.i - (int64_t)per_part == p0->u.items[j].u.i;
    KT_CHECK(!same, "partitions 0 and 1 sampled the same positions: a shared seed?");
    free(seen);
}

static void sample_sizes_are_within_six_standard_deviations(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("sample statistics, master %s", kt_masters[m]);
        check_sample(ctx, a, false, 0.3, 1);
        check_sample(ctx, a, false, 0.01, 2);
        check_sample(ctx, a, false, 0.9, 3);
        check_sample(ctx, a, true, 0.5, 4);
        check_sample(ctx, a, true, 2.0, 5);
        kiln_arena_reset(a);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sample_is_deterministic_for_a_seed_across_masters),
        cmocka_unit_test(sample_fraction_zero_is_empty_and_one_keeps_everything),
        cmocka_unit_test(sample_sizes_are_within_six_standard_deviations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
