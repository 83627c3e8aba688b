/*
 * test_ml_split.c - kiln_ml_random_split and kiln_ml_kfold under local[1]
 * and local[2]: splits are disjoint and cover every record, keep each
 * partition's order, have sizes near their weights, repeat for the same seed
 * (under any master) and change with it, depend only on the partition's own
 * records, and kfold's test folds are random_split's equal-weight splits.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kiln/ml.h>
#include "base/base.h"
#include "kt.h"

#define MASTERS 2
static const char *const masters[MASTERS] = {"local[1]", "local[2]"};

#define N 20000
#define SLICES 7

/* Collects r; checks its ints are in [0, N) and ascending (a split keeps
 * the order of the ints 0..N-1); adds one to seen[x] for each x; returns
 * the count. */
static int64_t tally(kiln_rdd *r, kiln_arena *a, int *seen)
{
    kiln_value l = kt_collect(r, a);
    const kiln_value *v = kt_items(&l);
    for (uint32_t i = 0; i < l.len; i++) {
        KT_CHECK(v[i].type == KILN_INT && v[i].u.i >= 0 && v[i].u.i < N, "item %s", kt_fmt(&v[i]));
        KT_CHECK(i == 0 || v[i].u.i > v[i - 1].u.i, "order broken at %s", kt_fmt(&v[i]));
        seen[v[i].u.i]++;
    }
    return l.len;
}

/* Every one of the N records seen exactly `times` times. */
static void expect_cover(const int *seen, int times)
{
    for (int x = 0; x < N; x++)
        KT_CHECK(seen[x] == times, "record %d seen %d times, expected %d", x, seen[x], times);
}

/* A binomial count within 6 standard deviations of its mean. */
static void expect_near(int64_t got, double p, const char *what)
{
    double mean = N * p, sd = sqrt(N * p * (1 - p));
    KT_CHECK(fabs((double)got - mean) <= 6 * sd + 1e-9, "%s: %lld records, expected about %.0f",
             what, (long long)got, mean);
}

static void random_split_is_disjoint_and_covers(void **state)
{
    static const double w1[] = {0.6, 0.3, 0.1};
    static const double w2[] = {2, 0, 1, 1}; /* not normalised; an empty split */
    static const double w3[] = {5};
    const double *ws[] = {w1, w2, w3};
    const int ns[] = {3, 4, 1};
    int *seen = malloc(sizeof *seen * N);
    assert_non_null(seen);
    kiln_arena *a = kiln_arena_new();
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, N, 1, SLICES));
        for (int c = 0; c < 3; c++) {
            kt_set_case("random_split %s weights %d", masters[mi], c);
            double total = 0;
            for (int i = 0; i < ns[c]; i++) total += ws[c][i];
            kiln_rdd *out[4];
            KT_OK(kiln_ml_random_split(r, ws[c], ns[c], 42 + (uint64_t)c, out));
            memset(seen, 0, sizeof *seen * N);
            for (int i = 0; i < ns[c]; i++) {
                kt_case_detail("split %d", i);
                int64_t got = tally(out[i], a, seen);
                if (ws[c][i] == 0) KT_CHECK(got == 0, "a zero weight keeps %lld", (long long)got);
                else expect_near(got, ws[c][i] / total, "split size");
            }
            expect_cover(seen, 1);
            kiln_arena_reset(a);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(seen);
}

static void kfold_folds_are_disjoint_and_cover(void **state)
{
    enum { K = 5 };
    int *seen_test = malloc(sizeof *seen_test * N), *seen = malloc(sizeof *seen * N);
    assert_non_null(seen_test);
    assert_non_null(seen);
    kiln_arena *a = kiln_arena_new();
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, N, 1, SLICES));
        memset(seen_test, 0, sizeof *seen_test * N);
        for (int f = 0; f < K; f++) {
            kt_set_case("kfold %s fold %d of %d", masters[mi], f, K);
            kiln_rdd *train, *test;
            KT_OK(kiln_ml_kfold(r, K, f, 7, &train, &test));
            memset(seen, 0, sizeof *seen * N);
            int64_t nt = tally(test, a, seen);
            tally(train, a, seen);
            expect_cover(seen, 1); /* train and test: disjoint, all records */
            expect_near(nt, 1.0 / K, "test fold size");
            tally(test, a, seen_test);
            kiln_arena_reset(a);
        }
        kt_set_case("kfold %s all folds", masters[mi]);
        expect_cover(seen_test, 1); /* each record is in exactly one test fold */
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
    free(seen);
    free(seen_test);
}

/* The lists of the n splits of range(0, N) in SLICES slices. */
static void split_lists(const char *master, uint64_t seed, kiln_arena *a, kiln_value *lists)
{
    static const double w[] = {0.5, 0.25, 0.25};
    kiln_context *ctx = kt_context_new(master);
    kiln_rdd *out[3];
    KT_OK(kiln_ml_random_split(kt_rdd(kiln_range(ctx, 0, N, 1, SLICES)), w, 3, seed, out));
    for (int i = 0; i < 3; i++) lists[i] = kt_collect(out[i], a);
    kiln_context_free(ctx);
}

static void same_seed_same_split_under_any_master(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value first[3], again[3], other[3];
    kt_set_case("random_split repeat");
    split_lists("local[1]", 99, a, first);
    split_lists("local[2]", 99, a, again);
    for (int i = 0; i < 3; i++) kt_expect_list(&again[i], &first[i]);
    split_lists("local[2]", 100, a, other);
    bool differs = false;
    for (int i = 0; i < 3; i++) differs |= !kiln_value_eq(&other[i], &first[i]);
    KT_CHECK(differs, "another seed gives the same split");

    /* kfold repeats too, and its test fold and train differ by seed. */
    kiln_context *ctx = kt_context_new("local[2]");
    kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, N, 1, SLICES));
    kiln_rdd *tr1, *te1, *tr2, *te2, *tr3, *te3;
    KT_OK(kiln_ml_kfold(r, 3, 1, 5, &tr1, &te1));
    KT_OK(kiln_ml_kfold(r, 3, 1, 5, &tr2, &te2));
    KT_OK(kiln_ml_kfold(r, 3, 1, 6, &tr3, &te3));
    kiln_value l1 = kt_collect(te1, a), l2 = kt_collect(te2, a), l3 = kt_collect(te3, a);
    kt_expect_list(&l2, &l1);
    KT_CHECK(!kiln_value_eq(&l3, &l1), "another seed gives the same fold");
    l1 = kt_collect(tr1, a);
    l2 = kt_collect(tr2, a);
    kt_expect_list(&l2, &l1);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void kfold_test_folds_are_equal_weight_splits(void **state)
{
    /* k = 4: u * 4 and the bounds i / 4 are exact, so floor(u * k) == f and
     * u in [f/k, (f+1)/k) agree on every draw. */
    kiln_arena *a = kiln_arena_new();
    static const double w[] = {1, 1, 1, 1};
    for (int mi = 0; mi < MASTERS; mi++) {
        kiln_context *ctx = kt_context_new(masters[mi]);
        kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, N, 1, SLICES));
        kiln_rdd *split[4];
        KT_OK(kiln_ml_random_split(r, w, 4, 31, split));
        for (int f = 0; f < 4; f++) {
            kt_set_case("kfold vs random_split %s fold %d", masters[mi], f);
            kiln_rdd *train, *test;
            KT_OK(kiln_ml_kfold(r, 4, f, 31, &train, &test));
            kiln_value got = kt_collect(test, a), want = kt_collect(split[f], a);
            kt_expect_list(&got, &want);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

/* Ints of [lo, lo + n). */
static void fill_range(kiln_value *v, int64_t lo, size_t n)
{
    for (size_t i = 0; i < n; i++) v[i] = kiln_int(lo + (int64_t)i);
}

static void draws_depend_on_partition_and_position(void **state)
{
    /* Two RDDs of two slices of 500 share their first partition: its
     * records split alike. The second partition holds 1000.. so its
     * pattern (by position) can be compared with the first's: different
     * partitions draw different numbers. */
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("random_split per partition");
    kiln_value va[1000], vb[1000];
    fill_range(va, 0, 500);
    fill_range(va + 500, 1000, 500);
    fill_range(vb, 0, 500);
    fill_range(vb + 500, 5000, 500);
    static const double w[] = {0.5, 0.5};
    kiln_rdd *sa[2], *sb[2];
    KT_OK(kiln_ml_random_split(kt_rdd(kiln_parallelize(ctx, va, 1000, 2)), w, 2, 8, sa));
    KT_OK(kiln_ml_random_split(kt_rdd(kiln_parallelize(ctx, vb, 1000, 2)), w, 2, 8, sb));
    kiln_value la = kt_collect(sa[0], a), lb = kt_collect(sb[0], a);
    bool in_a[500] = {0}, in_b[500] = {0}, second[500] = {0};
    for (uint32_t i = 0; i < la.len; i++) {
        int64_t x = la.u.items[i].u.i;
        if (x < 500) in_a[x] = true;
        else second[x - 1000] = true;
    }
    for (uint32_t i = 0; i < lb.len; i++)
        if (lb.u.items[i].u.i < 500) in_b[lb.u.items[i].u.i] = true;
    KT_CHECK(memcmp(in_a, in_b, sizeof in_a) == 0, "the shared partition split differently");
    KT_CHECK(memcmp(in_a, second, sizeof in_a) != 0, "two partitions drew the same numbers");
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void splits_keep_records_whole(void **state)
{
    /* Labeled points come out as they went in, duplicates included. */
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("random_split labeled points");
    enum { M = 300 };
    kiln_value pts[M];
    for (int i = 0; i < M; i++) {
        double x[3] = {i % 7, -i, 0.5 * (i % 11)};
        pts[i] = kiln_ml_point(a, i % 2, kiln_vec_new(a, x, 3));
    }
    static const double w[] = {0.7, 0.3};
    kiln_rdd *out[2];
    KT_OK(kiln_ml_random_split(kt_rdd(kiln_parallelize(ctx, pts, M, 3)), w, 2, 1, out));
    kiln_value l0 = kt_collect(out[0], a), l1 = kt_collect(out[1], a);
    kiln_value all[M];
    KT_CHECK(l0.len + l1.len == M, "%u + %u records", l0.len, l1.len);
    memcpy(all, l0.u.items, sizeof *all * l0.len);
    memcpy(all + l0.len, l1.u.items, sizeof *all * l1.len);
    kiln_value got = kiln_list_ref(all, M), want = kiln_list_ref(pts, M);
    kt_expect_multiset(a, &got, &want);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void bad_arguments_are_refused(void **state)
{
    kiln_context *ctx = kt_context_new("local[1]");
    kt_set_case("split arguments");
    kiln_rdd *r = kt_rdd(kiln_range(ctx, 0, 10, 1, 2));
    kiln_rdd *out[3] = {NULL, NULL, NULL}, *train = NULL, *test = NULL;
    const double neg[] = {1, -1}, zero[] = {0, 0}, nan[] = {1, NAN}, ok[] = {1, 1};
    KT_RC(KILN_EINVAL, kiln_ml_random_split(r, neg, 2, 1, out));
    KT_CHECK(strstr(kiln_last_error(), "weight 1") != NULL, "message: %s", kiln_last_error());
    KT_RC(KILN_EINVAL, kiln_ml_random_split(r, zero, 2, 1, out));
    KT_RC(KILN_EINVAL, kiln_ml_random_split(r, nan, 2, 1, out));
    KT_RC(KILN_EINVAL, kiln_ml_random_split(r, ok, 0, 1, out));
    KT_RC(KILN_EINVAL, kiln_ml_random_split(NULL, ok, 2, 1, out));
    KT_CHECK(out[0] == NULL && out[1] == NULL, "outputs untouched");
    KT_RC(KILN_EINVAL, kiln_ml_kfold(r, 1, 0, 1, &train, &test));
    KT_RC(KILN_EINVAL, kiln_ml_kfold(r, 3, 3, 1, &train, &test));
    KT_RC(KILN_EINVAL, kiln_ml_kfold(r, 3, -1, 1, &train, &test));
    KT_RC(KILN_EINVAL, kiln_ml_kfold(NULL, 3, 0, 1, &train, &test));
    KT_CHECK(train == NULL && test == NULL, "outputs untouched");
    /* An empty input splits into empty RDDs. */
    kiln_rdd *empty = kt_rdd(kiln_parallelize(ctx, NULL, 0, 3));
    KT_OK(kiln_ml_random_split(empty, ok, 2, 1, out));
    KT_CHECK(kt_count(out[0]) == 0 && kt_count(out[1]) == 0, "empty splits");
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_split_is_disjoint_and_covers),
        cmocka_unit_test(kfold_folds_are_disjoint_and_cover),
        cmocka_unit_test(same_seed_same_split_under_any_master),
        cmocka_unit_test(kfold_test_folds_are_equal_weight_splits),
        cmocka_unit_test(draws_depend_on_partition_and_position),
        cmocka_unit_test(splits_keep_records_whole),
        cmocka_unit_test(bad_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
