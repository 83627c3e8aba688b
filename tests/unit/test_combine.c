/*
 * test_combine.c - the map-side combine under pressure: more distinct keys
 * than the combine cache holds (so lines are evicted into the task's map),
 * skewed keys that stay cached, keys too long to inline and keys that are
 * not inlinable at all, checked against a sort-based sequential count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "kiln.h"

enum { N = 600000, SLICES = 3 };

static int cmp_values(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}

/* Makes N keys: 40% one hot key, the rest spread over ~230k distinct keys of
 * four kinds (short strings, ints, 40-byte strings, 2-tuples). */
static kiln_value *make_keys(kiln_arena *a)
{
    kiln_value *keys = malloc(sizeof *keys * N);
    assert_non_null(keys);
    rng g;
    rng_seed(&g, 20261121);
    for (size_t i = 0; i < N; i++) {
        uint64_t r = rng_next(&g);
        uint64_t id = (r >> 8) % 1000000;
        char buf[64];
        if (r % 10 < 4) {
            keys[i] = kiln_cstr(a, "the");
        } else if (r % 10 < 7) {
            snprintf(buf, sizeof buf, "w%llu", (unsigned long long)id);
            keys[i] = kiln_cstr(a, buf);
        } else if (r % 10 < 8) {
            keys[i] = kiln_int((int64_t)id - 100000);
        } else if (r % 10 < 9) {
            snprintf(buf, sizeof buf, "a-long-key-that-does-not-fit-inline-%llu",
                     (unsigned long long)id % 5000);
            keys[i] = kiln_cstr(a, buf);
        } else {
            kiln_value items[2] = {kiln_int((int64_t)(id % 3000)), kiln_cstr(a, "t")};
            keys[i] = kiln_tuple_new(a, items, 2);
        }
    }
    return keys;
}

/* The reference: sort the keys, count the runs. Returns a sorted list of
 * (key, count) pairs in vals, its length in *n. */
static kiln_value *reference_counts(kiln_arena *a, const kiln_value *keys, size_t *n)
{
    kiln_value *sorted = malloc(sizeof *sorted * N);
    kiln_value *out = malloc(sizeof *out * N);
    assert_non_null(sorted);
    assert_non_null(out);
    memcpy(sorted, keys, sizeof *sorted * N);
    qsort(sorted, N, sizeof *sorted, cmp_values);
    size_t m = 0;
    for (size_t i = 0; i < N;) {
        size_t j = i;
        while (j < N && kiln_value_eq(&sorted[j], &sorted[i])) j++;
        out[m++] = kiln_pair(a, sorted[i], kiln_int((int64_t)(j - i)));
        i = j;
    }
    free(sorted);
    *n = m;
    return out;
}

static void check_against_reference(const char *master, bool via_count_by_value)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value *keys = make_keys(a);
    size_t nref;
    kiln_value *ref = reference_counts(a, keys, &nref);
    assert_true(nref > 180000); /* more than the cache's 131072 lines */

    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", master);
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_rdd *r = kiln_parallelize(ctx, keys, N, SLICES);
    kiln_value got;
    if (via_count_by_value) {
        assert_int_equal(kiln_rdd_count_by_value(r, a, &got), KILN_OK);
    } else {
        kiln_rdd *ones = kiln_rdd_map(r, kiln_fn_pair_one, NULL, 0);
        kiln_rdd *counts = kiln_rdd_reduce_by_key(ones, kiln_fn_add, NULL, 0, 4);
        assert_int_equal(kiln_rdd_collect(counts, a, &got), KILN_OK);
        qsort((void *)got.u.items, got.len, sizeof(kiln_value), cmp_values);
    }
    assert_int_equal(got.len, nref);
    for (size_t i = 0; i < nref; i++) {
        if (!kiln_value_eq(&got.u.items[i], &ref[i])) {
            kiln_buf b;
            kiln_buf_init(&b);
            kiln_value_format(&b, &ref[i]);
            fail_msg("%s: mismatch at %zu, expected %.*s", master, i, (int)b.len, b.data);
        }
    }
    kiln_context_free(ctx);
    kiln_conf_free(conf);
    free(ref);
    free(keys);
    kiln_arena_free(a);
}

static void reduce_by_key_with_evictions_matches_reference_local1(void **state)
{
    check_against_reference("local[1]", false);
}

static void reduce_by_key_with_evictions_matches_reference_local2(void **state)
{
    check_against_reference("local[2]", false);
}

static void count_by_value_with_evictions_matches_reference(void **state)
{
    check_against_reference("local[2]", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reduce_by_key_with_evictions_matches_reference_local1),
        cmocka_unit_test(reduce_by_key_with_evictions_matches_reference_local2),
        cmocka_unit_test(count_by_value_with_evictions_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
