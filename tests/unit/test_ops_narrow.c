/*
 * test_ops_narrow.c - the RDD sources and narrow transformations (parallelize,
 * range, glom, map, flat_map, filter, map_partitions, map_values,
 * flat_map_values, keys, values, key_by, the built-in functions, union, zip,
 * zip_with_index) against the sequential reference, under local[1], local[2]
 * and local[8] and on every data shape of kt.h. Narrow transformations keep the partition order
 * of their parent, so results are compared in order.
 */
#include <string.h>

#include "kt.h"
#include "kt_fns.h"

/* ---- User functions ------------------------------------------------------------
 * Each is a thin wrapper over a pure "logic" function that the reference
 * also calls, so the test checks the operator, not the function. */

/* x -> hash(x) % 5 */
static int bucket_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = kiln_int((int64_t)(kiln_value_hash(in) % 5));
    return 0;
}

/* x -> (x, 0), (x, 1), ... hash(x) % 3 pairs (so zero, one or two). */
static int fan_out_fn(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    uint64_t copies = kiln_value_hash(in) % 3;
    for (uint64_t j = 0; j < copies; j++) {
        kiln_value p = kiln_pair(kiln_task_arena(t), *in, kiln_int((int64_t)j));
        if (p.type != KILN_TUPLE) return KILN_ENOMEM;
        int rc = kiln_emit(out, &p);
        if (rc != KILN_OK) return rc;
    }
    return 0;
}

static kiln_value ref_fan_out(kiln_arena *a, const kiln_value *v, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += kiln_value_hash(&v[i]) % 3;
    kiln_value *out = ref_alloc(a, total);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (uint64_t j = 0; j < kiln_value_hash(&v[i]) % 3; j++)
            out[k++] = ref_pair(a, v[i], kiln_int((int64_t)j));
    return kiln_list_ref(out, total);
}

/* keep x unless hash(x) % 3 == 0 */
static bool keep_logic(const kiln_value *x)
{
    return kiln_value_hash(x) % 3 != 0;
}

static int keep_fn(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    *keep = keep_logic(in);
    return 0;
}

static int keep_none_fn(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    *keep = false;
    return 0;
}

typedef struct affine {
    int64_t mul, add;
} affine;

/* int v -> v * mul + add (env: an affine) */
static int affine_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    const affine *f = env;
    if (in->type != KILN_INT) return kiln_task_fail(t, "affine_fn: not an int");
    *out = kiln_int(in->u.i * f->mul + f->add);
    return 0;
}

/* int v -> v, v + 1, ... (|v| % 3 values) */
static int spread_fn(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    if (in->type != KILN_INT) return kiln_task_fail(t, "spread_fn: not an int");
    int64_t copies = (in->u.i < 0 ? -in->u.i : in->u.i) % 3;
    for (int64_t j = 0; j < copies; j++) {
        kiln_value x = kiln_int(in->u.i + j);
        int rc = kiln_emit(out, &x);
        if (rc != KILN_OK) return rc;
    }
    return 0;
}

/* Emits (index, x) for every x of the partition, then ("end", partition, count). */
static int tag_partition_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    kiln_arena *a = kiln_task_arena(t);
    const kiln_value *v;
    int64_t count = 0;
    int rc;
    while ((rc = kiln_in_next(in, &v)) == 1) {
        kiln_value p = kiln_pair(a, kiln_int(index), *v);
        if (p.type != KILN_TUPLE) return KILN_ENOMEM;
        if ((rc = kiln_emit(out, &p)) != KILN_OK) return rc;
        count++;
    }
    if (rc < 0) return rc;
    kiln_value end[3] = {kiln_str_ref("end", 3), kiln_int(kiln_task_partition(t)), kiln_int(count)};
    kiln_value e = kiln_tuple_new(a, end, 3);
    if (e.type != KILN_TUPLE) return KILN_ENOMEM;
    return kiln_emit(out, &e);
}

/* ---- parallelize, glom, range ------------------------------------------------------ */

static void parallelize_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_parallelize(ctx, d);
    KT_CHECK(kiln_rdd_num_partitions(r) == d->slices, "got %d partitions",
             kiln_rdd_num_partitions(r));
    KT_CHECK(kiln_rdd_context(r) == ctx, "kiln_rdd_context is not the creating context");
    kiln_rdd *other = kt_parallelize(ctx, d);
    KT_CHECK(kiln_rdd_id(other) != kiln_rdd_id(r), "two RDDs share the id %d", kiln_rdd_id(r));
    KT_CHECK(kt_count(r) == (int64_t)d->n, "count differs from %zu", d->n);
    kiln_value got = kt_collect(r, a);
    kiln_value want = ref_list(a, d->v, d->n);
    kt_expect_list(&got, &want);
    /* A second action on the same RDD gives the same answer. */
    kiln_value again = kt_collect(r, a);
    kt_expect_list(&again, &want);
}

static void parallelize_then_collect_preserves_order(void **state)
{
    kt_run_cases("parallelize+collect", false, parallelize_case);
}

static void parallelize_copies_input_values(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kiln_arena *a = kiln_arena_new();
        kt_set_case("parallelize copies, master %s", kt_masters[m]);
        char text[] = "original";
        kiln_value in[2] = {kiln_str_ref(text, strlen(text)), kiln_int(5)};
        kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, in, 2, 2));
        memcpy(text, "CHANGED!", 8); /* the RDD must hold its own copy */
        in[1] = kiln_int(6);
        kiln_value got = kt_collect(r, a);
        kiln_value want_items[2] = {kiln_str_ref("original", 8), kiln_int(5)};
        kiln_value want = kiln_list_ref(want_items, 2);
        kt_expect_list(&got, &want);
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
}

static void parallelize_with_zero_slices_uses_default_parallelism(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kiln_arena *a = kiln_arena_new();
        kt_set_case("parallelize 0 slices, master %s", kt_masters[m]);
        kt_data d;
        kt_gen(a, KT_RANDOM, false, 7, 50, &d);
        kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, d.v, d.n, 0));
        int dp = kiln_context_default_parallelism(ctx);
        KT_CHECK(dp >= 1, "default parallelism %d", dp);
        KT_CHECK(kiln_rdd_num_partitions(r) == dp, "%d partitions, default parallelism %d",
                 kiln_rdd_num_partitions(r), dp);
        kiln_value got = kt_collect(r, a);
        kiln_value want = ref_list(a, d.v, d.n);
        kt_expect_list(&got, &want);
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
}

static void glom_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *g = kt_rdd(kiln_rdd_glom(kt_parallelize(ctx, d)));
    KT_CHECK(kiln_rdd_num_partitions(g) == d->slices, "glom changed the partition count");
    kiln_value got = kt_collect(g, a);
    kiln_value want = ref_glom(a, d->v, d->n, d->slices);
    kt_expect_list(&got, &want);
}

static void glom_follows_spark_slice_boundaries(void **state)
{
    kt_run_cases("glom", false, glom_case);
}

typedef struct range_case {
    int64_t start, end, step;
    int slices;
} range_case;

static const range_case range_cases[] = {
    {0, 10, 1, 3},
    {0, 10, 3, 4},
    {10, -5, -4, 3},
    {5, 0, 1, 2},
    {-3, -3, 1, 1},
    {0, 1000, 7, 7},
    {100, 0, -1, 8},
    {0, 5, 1, 16},
    {-20, 20, 5, 1},
    {INT64_MAX - 5, INT64_MAX, 2, 2},
    {INT64_MIN + 5, INT64_MIN, -2, 3},
};

static void range_matches_arithmetic_sequence(void **state)
{
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        for (size_t c = 0; c < sizeof range_cases / sizeof *range_cases; c++) {
            const range_case *rc = &range_cases[c];
            kiln_arena_reset(a);
            kt_set_case("range(%lld, %lld, %lld, %d), master %s", (long long)rc->start,
                        (long long)rc->end, (long long)rc->step, rc->slices, kt_masters[m]);
            /* The expected sequence, computed without overflow. */
            size_t n = 0, cap = 2048;
            kiln_value *want = ref_alloc(a, cap);
            for (__int128 x = rc->start; rc->step > 0 ? x < rc->end : x > rc->end; x += rc->step) {
                assert_true(n < cap);
                want[n++] = kiln_int((int64_t)x);
            }
            kiln_rdd *r = kt_rdd(kiln_range(ctx, rc->start, rc->end, rc->step, rc->slices));
            KT_CHECK(kiln_rdd_num_partitions(r) == rc->slices, "%d partitions",
                     kiln_rdd_num_partitions(r));
            KT_CHECK(kt_count(r) == (int64_t)n, "count differs from %zu", n);
            kiln_value got = kt_collect(r, a);
            kiln_value wl = kiln_list_ref(want, n);
            kt_expect_list(&got, &wl);
        }
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

static void range_with_zero_step_is_an_error(void **state)
{
    kiln_context *ctx = kt_context_new("local[2]");
    kt_set_case("range step 0");
    kiln_rdd *r = kiln_range(ctx, 0, 10, 0, 2);
    int64_t n = 0;
    KT_CHECK(r == NULL || kiln_rdd_count(r, &n) != KILN_OK,
             "range with step 0 gave an RDD that counted %lld values", (long long)n);
    kiln_context_free(ctx);
}

/* ---- map, flat_map, filter, map_partitions -------------------------------------------- */

static void map_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_rdd(kiln_rdd_map(kt_parallelize(ctx, d), kt_tag_fn, NULL, 0));
    KT_CHECK(kiln_rdd_num_partitions(r) == d->slices, "map changed the partition count");
    kiln_value *want = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) assert_int_equal(kt_tag_logic(a, &d->v[i], &want[i]), 0);
    kiln_value wl = kiln_list_ref(want, d->n);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
}

static void map_applies_function_to_every_value_in_order(void **state)
{
    kt_run_cases("map", false, map_case);
}

static void map_env_is_copied_when_transformation_is_made(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kiln_arena *a = kiln_arena_new();
        kt_set_case("map env copy, master %s", kt_masters[m]);
        kt_data d;
        kt_gen(a, KT_RANDOM, false, 3, 0, &d);
        affine f = {3, -7};
        kiln_rdd *r = kt_rdd(kiln_rdd_map(kt_parallelize(ctx, &d), affine_fn, &f, sizeof f));
        f.mul = 0; /* must not affect r */
        f.add = 0;
        kiln_value *want = ref_alloc(a, d.n);
        for (size_t i = 0; i < d.n; i++) want[i] = kiln_int(d.v[i].u.i * 3 - 7);
        kiln_value wl = kiln_list_ref(want, d.n);
        kiln_value got = kt_collect(r, a);
        kt_expect_list(&got, &wl);
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
}

static void flat_map_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_rdd(kiln_rdd_flat_map(kt_parallelize(ctx, d), fan_out_fn, NULL, 0));
    kiln_value got = kt_collect(r, a);
    kiln_value want = ref_fan_out(a, d->v, d->n);
    kt_expect_list(&got, &want);
}

static void flat_map_emits_zero_one_or_many_values_in_order(void **state)
{
    kt_run_cases("flat_map", false, flat_map_case);
}

static void flat_map_with_split_whitespace_matches_ascii_word_split(void **state)
{
    static const char *const lines[] = {
        "  hello world\t\tfoo\n",
        "",
        "   ",
        "a",
        "\xe4\xb8\xad\xe6\x96\x87 \xc3\xa9\vx", /* multi-byte words, a vertical tab */
        "\r\nx\fy  z",
        "trailing ",
        "\xc2\xa0nbsp-is-not-ascii-space\xc2\xa0",
    };
    size_t n = sizeof lines / sizeof *lines;
    kiln_arena *a = kiln_arena_new();
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kt_set_case("flat_map split_whitespace, master %s", kt_masters[m]);
        kiln_value in[8];
        for (size_t i = 0; i < n; i++) in[i] = kiln_str_ref(lines[i], strlen(lines[i]));
        kiln_rdd *r = kt_rdd(kiln_parallelize(ctx, in, n, 3));
        r = kt_rdd(kiln_rdd_flat_map(r, kiln_fn_split_whitespace, NULL, 0));
        kiln_value *want = ref_alloc(a, 64);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            kiln_value words = ref_split_whitespace(a, &in[i]);
            for (uint32_t j = 0; j < words.len; j++) want[k++] = words.u.items[j];
        }
        kiln_value wl = kiln_list_ref(want, k);
        kiln_value got = kt_collect(r, a);
        kt_expect_list(&got, &wl);
        kiln_context_free(ctx);
    }
    kiln_arena_free(a);
}

static void filter_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *p = kt_parallelize(ctx, d);
    kiln_rdd *r = kt_rdd(kiln_rdd_filter(p, keep_fn, NULL, 0));
    KT_CHECK(kiln_rdd_num_partitions(r) == d->slices, "filter changed the partition count");
    kiln_value *want = ref_alloc(a, d->n);
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++)
        if (keep_logic(&d->v[i])) want[k++] = d->v[i];
    kiln_value wl = kiln_list_ref(want, k);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
    KT_CHECK(kt_count(kt_rdd(kiln_rdd_filter(p, keep_none_fn, NULL, 0))) == 0,
             "a filter keeping nothing counted values");
}

static void filter_keeps_matching_values_in_order(void **state)
{
    kt_run_cases("filter", false, filter_case);
}

static void map_partitions_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_rdd(
        kiln_rdd_map_partitions(kt_parallelize(ctx, d), tag_partition_fn, NULL, 0));
    KT_CHECK(kiln_rdd_num_partitions(r) == d->slices, "map_partitions changed the count");
    kiln_value *want = ref_alloc(a, d->n + (size_t)d->slices);
    size_t k = 0;
    for (int i = 0; i < d->slices; i++) {
        size_t lo, hi;
        ref_slice(d->n, d->slices, i, &lo, &hi);
        for (size_t j = lo; j < hi; j++) want[k++] = ref_pair(a, kiln_int(i), d->v[j]);
        kiln_value end[3] = {kiln_str_ref("end", 3), kiln_int(i), kiln_int((int64_t)(hi - lo))};
        want[k++] = ref_tuple(a, end, 3);
    }
    kiln_value wl = kiln_list_ref(want, k);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
}

static void map_partitions_sees_each_whole_partition_with_its_index(void **state)
{
    kt_run_cases("map_partitions", false, map_partitions_case);
}

/* ---- Pair projections ------------------------------------------------------------------ */

static void map_values_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    affine f = {2, 1};
    kiln_rdd *r = kt_rdd(kiln_rdd_map_values(kt_parallelize(ctx, d), affine_fn, &f, sizeof f));
    kiln_value *want = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++)
        want[i] = ref_pair(a, *kiln_key(&d->v[i]), kiln_int(kiln_val(&d->v[i])->u.i * 2 + 1));
    kiln_value wl = kiln_list_ref(want, d->n);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
}

static void map_values_transforms_values_and_keeps_keys(void **state)
{
    kt_run_cases("map_values", true, map_values_case);
}

static void flat_map_values_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_rdd(kiln_rdd_flat_map_values(kt_parallelize(ctx, d), spread_fn, NULL, 0));
    kiln_value *want = ref_alloc(a, 2 * d->n);
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        int64_t v = kiln_val(&d->v[i])->u.i;
        for (int64_t j = 0; j < (v < 0 ? -v : v) % 3; j++)
            want[k++] = ref_pair(a, *kiln_key(&d->v[i]), kiln_int(v + j));
    }
    kiln_value wl = kiln_list_ref(want, k);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
}

static void flat_map_values_pairs_each_emitted_value_with_its_key(void **state)
{
    kt_run_cases("flat_map_values", true, flat_map_values_case);
}

static void keys_values_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *p = kt_parallelize(ctx, d);
    kiln_value *wk = ref_alloc(a, d->n), *wv = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) {
        wk[i] = *kiln_key(&d->v[i]);
        wv[i] = *kiln_val(&d->v[i]);
    }
    kiln_value want_keys = kiln_list_ref(wk, d->n), want_values = kiln_list_ref(wv, d->n);
    kiln_value got_keys = kt_collect(kt_rdd(kiln_rdd_keys(p)), a);
    kt_expect_list(&got_keys, &want_keys);
    kiln_value got_values = kt_collect(kt_rdd(kiln_rdd_values(p)), a);
    kt_expect_list(&got_values, &want_values);
}

static void keys_and_values_project_pairs_in_order(void **state)
{
    kt_run_cases("keys/values", true, keys_values_case);
}

static void key_by_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *r = kt_rdd(kiln_rdd_key_by(kt_parallelize(ctx, d), bucket_fn, NULL, 0));
    kiln_value *want = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++)
        want[i] = ref_pair(a, kiln_int((int64_t)(kiln_value_hash(&d->v[i]) % 5)), d->v[i]);
    kiln_value wl = kiln_list_ref(want, d->n);
    kiln_value got = kt_collect(r, a);
    kt_expect_list(&got, &wl);
}

static void key_by_pairs_function_result_with_value(void **state)
{
    kt_run_cases("key_by", false, key_by_case);
}

/* ---- Built-in functions ---------------------------------------------------------------------- */

static void builtins_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_value *ones = ref_alloc(a, d->n), *swapped = ref_alloc(a, d->n);
    kiln_value *tsv = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) {
        ones[i] = ref_pair(a, d->v[i], kiln_int(1));
        swapped[i] = ref_pair(a, *kiln_val(&ones[i]), *kiln_key(&ones[i]));
        kiln_value k = ref_format(a, &d->v[i]);
        size_t len = k.len + 2;
        char *s = kiln_arena_alloc(a, len + 1);
        assert_non_null(s);
        memcpy(s, k.u.s, k.len);
        memcpy(s + k.len, "\t1", 2);
        tsv[i] = kiln_str_ref(s, len);
    }
    kiln_rdd *pairs = kt_rdd(kiln_rdd_map(x, kiln_fn_pair_one, NULL, 0));
    kiln_value got = kt_collect(pairs, a);
    kiln_value want = kiln_list_ref(ones, d->n);
    kt_expect_list(&got, &want);
    got = kt_collect(kt_rdd(kiln_rdd_map(pairs, kiln_fn_swap, NULL, 0)), a);
    want = kiln_list_ref(swapped, d->n);
    kt_expect_list(&got, &want);
    got = kt_collect(kt_rdd(kiln_rdd_map(x, kiln_fn_identity, NULL, 0)), a);
    want = ref_list(a, d->v, d->n);
    kt_expect_list(&got, &want);
    got = kt_collect(kt_rdd(kiln_rdd_map(pairs, kiln_fn_pair_to_tsv, NULL, 0)), a);
    want = kiln_list_ref(tsv, d->n);
    kt_expect_list(&got, &want);
}

static void builtin_pair_one_swap_identity_and_tsv_build_expected_values(void **state)
{
    kt_run_cases("builtins", false, builtins_case);
}

/* ---- union, zip, zip_with_index ---------------------------------------------------------- */

static void union_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kt_data e;
    kt_gen(a, d->shape == KT_EMPTY ? KT_RANDOM : d->shape, false, 77, 0, &e);
    e.slices = e.slices > 2 ? e.slices - 1 : 3; /* a different partition count */
    kiln_rdd *x = kt_parallelize(ctx, d), *y = kt_parallelize(ctx, &e);
    kiln_rdd *u = kt_rdd(kiln_rdd_union(x, y));
    KT_CHECK(kiln_rdd_num_partitions(u) == d->slices + e.slices, "union has %d partitions",
             kiln_rdd_num_partitions(u));
    kiln_value *want = ref_alloc(a, d->n + e.n);
    memcpy(want, d->v, d->n * sizeof *want);
    memcpy(want + d->n, e.v, e.n * sizeof *want);
    kiln_value wl = kiln_list_ref(want, d->n + e.n);
    kiln_value got = kt_collect(u, a);
    kt_expect_list(&got, &wl);

    /* A union of an RDD with itself holds every value twice. */
    kiln_value self = kt_collect(kt_rdd(kiln_rdd_union(x, x)), a);
    kiln_value *twice = ref_alloc(a, 2 * d->n);
    memcpy(twice, d->v, d->n * sizeof *twice);
    memcpy(twice + d->n, d->v, d->n * sizeof *twice);
    kiln_value tl = kiln_list_ref(twice, 2 * d->n);
    kt_expect_list(&self, &tl);
}

static void union_concatenates_partitions_in_order(void **state)
{
    kt_run_cases("union", false, union_case);
}

static void zip_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* With a map of itself: (x, tag(x)). */
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_rdd *y = kt_rdd(kiln_rdd_map(x, kt_tag_fn, NULL, 0));
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_zip(x, y)), a);
    kiln_value *want = ref_alloc(a, d->n);
    for (size_t i = 0; i < d->n; i++) {
        kiln_value t;
        assert_int_equal(kt_tag_logic(a, &d->v[i], &t), 0);
        want[i] = ref_pair(a, d->v[i], t);
    }
    kiln_value wl = kiln_list_ref(want, d->n);
    kt_expect_list(&got, &wl);

    /* With an independent RDD of the same size and slicing. */
    kt_data e;
    kt_gen(a, d->shape, false, 99, d->n, &e);
    e.slices = d->slices;
    kiln_rdd *z = kt_rdd(kiln_rdd_zip(kt_parallelize(ctx, &e), x));
    KT_CHECK(kiln_rdd_num_partitions(z) == d->slices, "zip has %d partitions",
             kiln_rdd_num_partitions(z));
    got = kt_collect(z, a);
    for (size_t i = 0; i < d->n; i++) want[i] = ref_pair(a, e.v[i], d->v[i]);
    kt_expect_list(&got, &wl);
}

static void zip_pairs_values_at_the_same_position(void **state)
{
    kt_run_cases("zip", false, zip_case);
}

static void zip_partitions_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    /* With a map of itself: partition i is x's partition i, then y's. */
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_rdd *y = kt_rdd(kiln_rdd_map(x, kt_tag_fn, NULL, 0));
    kiln_rdd *z = kt_rdd(kiln_rdd_zip_partitions(x, y));
    KT_CHECK(kiln_rdd_num_partitions(z) == d->slices, "zip_partitions has %d partitions",
             kiln_rdd_num_partitions(z));
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_glom(z)), a);
    kiln_value xs = kt_collect(kt_rdd(kiln_rdd_glom(x)), a);
    kiln_value ys = kt_collect(kt_rdd(kiln_rdd_glom(y)), a);
    KT_CHECK(got.len == xs.len && xs.len == ys.len, "partition lists of %u, %u, %u", got.len,
             xs.len, ys.len);
    kiln_value *want = ref_alloc(a, xs.len);
    for (uint32_t p = 0; p < xs.len; p++) {
        const kiln_value *xp = &xs.u.items[p], *yp = &ys.u.items[p];
        kiln_value *both = ref_alloc(a, xp->len + yp->len);
        memcpy(both, xp->u.items, xp->len * sizeof *both);
        memcpy(both + xp->len, yp->u.items, yp->len * sizeof *both);
        want[p] = kiln_list_ref(both, xp->len + yp->len);
    }
    kiln_value wl = kiln_list_ref(want, xs.len);
    kt_expect_list(&got, &wl);
    /* A different partition count is refused. */
    kiln_rdd *other = kt_rdd(kiln_range(ctx, 0, 10, 1, d->slices + 1));
    KT_CHECK(kiln_rdd_zip_partitions(x, other) == NULL, "zip_partitions of %d and %d partitions",
             d->slices, d->slices + 1);
}

static void zip_partitions_concatenates_aligned_partitions(void **state)
{
    kt_run_cases("zip_partitions", false, zip_partitions_case);
}

static void zip_of_rdds_with_different_sizes_fails_the_action(void **state)
{
    for (int m = 0; m < KT_MASTER_COUNT; m++) {
        kiln_context *ctx = kt_context_new(kt_masters[m]);
        kiln_arena *a = kiln_arena_new();
        kt_set_case("zip mismatch, master %s", kt_masters[m]);
        kiln_rdd *ten = kt_rdd(kiln_range(ctx, 0, 10, 1, 3));
        kiln_rdd *eleven = kt_rdd(kiln_range(ctx, 0, 11, 1, 3));
        kiln_value out;
        /* Same partition count, a different number of values in one partition. */
        kiln_rdd *z = kiln_rdd_zip(ten, eleven);
        KT_CHECK(z != NULL, "zip with equal partition counts returned NULL");
        KT_FAILS(kiln_rdd_collect(z, a, &out));
        /* A different partition count: refused at once or by the action. */
        kiln_rdd *four = kt_rdd(kiln_range(ctx, 0, 10, 1, 4));
        kiln_rdd *z2 = kiln_rdd_zip(ten, four);
        KT_CHECK(z2 == NULL || kiln_rdd_collect(z2, a, &out) != KILN_OK,
                 "zip of 3 and 4 partitions succeeded");
        /* The context still works after the failed jobs. */
        KT_CHECK(kt_count(ten) == 10, "count after failed zip");
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
}

static void zip_with_index_case(kiln_context *ctx, const kt_data *d, kiln_arena *a)
{
    kiln_rdd *x = kt_parallelize(ctx, d);
    kiln_rdd *z = kt_rdd(kiln_rdd_zip_with_index(x));
    KT_CHECK(kiln_rdd_num_partitions(z) == d->slices, "zip_with_index changed the count");
    kiln_value got = kt_collect(z, a);
    kiln_value want = ref_zip_with_index(a, d->v, d->n);
    kt_expect_list(&got, &want);

    /* Over a union (partitions of different parents and sizes) and a filter. */
    kiln_rdd *f = kt_rdd(kiln_rdd_filter(x, keep_fn, NULL, 0));
    kiln_rdd *u = kt_rdd(kiln_rdd_union(f, x));
    got = kt_collect(kt_rdd(kiln_rdd_zip_with_index(u)), a);
    kiln_value *all = ref_alloc(a, 2 * d->n);
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++)
        if (keep_logic(&d->v[i])) all[k++] = d->v[i];
    memcpy(all + k, d->v, d->n * sizeof *all);
    want = ref_zip_with_index(a, all, k + d->n);
    kt_expect_list(&got, &want);
}

static void zip_with_index_numbers_values_in_partition_order(void **state)
{
    kt_run_cases("zip_with_index", false, zip_with_index_case);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parallelize_then_collect_preserves_order),
        cmocka_unit_test(parallelize_copies_input_values),
        cmocka_unit_test(parallelize_with_zero_slices_uses_default_parallelism),
        cmocka_unit_test(glom_follows_spark_slice_boundaries),
        cmocka_unit_test(range_matches_arithmetic_sequence),
        cmocka_unit_test(range_with_zero_step_is_an_error),
        cmocka_unit_test(map_applies_function_to_every_value_in_order),
        cmocka_unit_test(map_env_is_copied_when_transformation_is_made),
        cmocka_unit_test(flat_map_emits_zero_one_or_many_values_in_order),
        cmocka_unit_test(flat_map_with_split_whitespace_matches_ascii_word_split),
        cmocka_unit_test(filter_keeps_matching_values_in_order),
        cmocka_unit_test(map_partitions_sees_each_whole_partition_with_its_index),
        cmocka_unit_test(map_values_transforms_values_and_keeps_keys),
        cmocka_unit_test(flat_map_values_pairs_each_emitted_value_with_its_key),
        cmocka_unit_test(keys_and_values_project_pairs_in_order),
        cmocka_unit_test(key_by_pairs_function_result_with_value),
        cmocka_unit_test(builtin_pair_one_swap_identity_and_tsv_build_expected_values),
        cmocka_unit_test(union_concatenates_partitions_in_order),
        cmocka_unit_test(zip_pairs_values_at_the_same_position),
        cmocka_unit_test(zip_of_rdds_with_different_sizes_fails_the_action),
        cmocka_unit_test(zip_partitions_concatenates_aligned_partitions),
        cmocka_unit_test(zip_with_index_numbers_values_in_partition_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
