/*
 * test_lineage.c - the RDD graph as bytes (engine/lineage.c): graphs of
 * every kind of op are built in one context, encoded, decoded into a fresh
 * context (as an executor would), and must give the very same partitions,
 * shuffles and all (the fresh context runs the map stages itself from the
 * decoded graph). Also: ids are kept; a second message reuses what the
 * first sent; damaged bytes are refused and never run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "kt.h"
#include "kt_fns.h"

/* Decodes r's lineage into exec; returns the copy. */
static kiln_rdd *send(kiln_rdd *r, kiln_context *exec)
{
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(lineage_encode(r, &b));
    kiln_rdd *copy = NULL;
    KT_OK(lineage_decode(exec, b.data, b.len, &copy));
    kiln_buf_release(&b);
    return copy;
}

/* Collects every partition of r and of its copy through bytes, in ctx2. */
static void expect_same_after_trip(kiln_rdd *r, kiln_context *ctx2, kiln_arena *a)
{
    kiln_rdd *copy = send(r, ctx2);
    assert_int_equal(copy->id, r->id);
    assert_int_equal(kiln_rdd_num_partitions(copy), kiln_rdd_num_partitions(r));
    kiln_value want = kt_collect(kiln_rdd_glom(r), a);
    kiln_value got = kt_collect(kiln_rdd_glom(copy), a);
    kt_expect_list(&got, &want);
}

static int times_three(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    int64_t k;
    memcpy(&k, env, sizeof k);
    *out = kiln_int(in->u.i * k);
    return KILN_OK;
}

static int odd(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    (void)t, (void)env;
    *keep = in->u.i % 2 != 0;
    return KILN_OK;
}

static int by_mod(const kiln_value *key, int n, const void *env)
{
    int64_t m;
    memcpy(&m, env, sizeof m);
    return (int)((uint64_t)key->u.i % (uint64_t)m % (uint64_t)n);
}

static void every_op_survives_the_trip(void **state)
{
    char *dir = kt_tmpdir_new();
    char *file = kt_path(dir, "lines.txt");
    const char text[] = "a b c\nd e\n\nf g h i\nj\n";
    kt_write_file(file, text, sizeof text - 1);
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]");
    kt_data d, pairs;
    kt_gen(a, 0, false, 1, 200, &d);
    kt_gen(a, 0, true, 2, 300, &pairs);
    int64_t three = 3, seven = 7;
    kiln_rdd *nums = kt_rdd(kiln_range(ctx, 0, 1000, 3, 5));
    kiln_rdd *lines = kt_rdd(kiln_text_file(ctx, file, 3));
    kiln_rdd *kv = kt_parallelize(ctx, &pairs);
    kiln_rdd *ints_kv = kt_rdd(kiln_rdd_map(nums, kiln_fn_pair_one, NULL, 0));
    struct { const char *name; kiln_rdd *r; } cases[] = {
        {"parallelize", kt_parallelize(ctx, &d)},
        {"range + map with env", kiln_rdd_map(nums, times_three, &three, sizeof three)},
        {"filter + zip_with_index", kiln_rdd_zip_with_index(kiln_rdd_filter(nums, odd, NULL, 0))},
        {"text_file + flat_map", kiln_rdd_flat_map(lines, kiln_fn_split_whitespace, NULL, 0)},
        {"text_file_with_offsets", kiln_text_file_with_offsets(ctx, file, 2)},
        {"whole_text_files", kiln_whole_text_files(ctx, dir, 0)},
        {"reduce_by_key", kiln_rdd_reduce_by_key(kv, kt_add_fn, NULL, 0, 3)},
        {"aggregate_by_key (zero)",
         kiln_rdd_aggregate_by_key(ints_kv, &(kiln_value){.type = KILN_INT}, kt_add_fn, kt_add_fn,
                                   NULL, 0, 4)},
        {"group_by_key", kiln_rdd_group_by_key(kv, 2)},
        {"sort_by_key", kiln_rdd_sort_by_key(kv, false, 3)},
        {"join", kiln_rdd_join(ints_kv, kiln_rdd_map(nums, kiln_fn_pair_one, NULL, 0), 3)},
        {"partition_by (custom, env)", kiln_rdd_partition_by(ints_kv, 4, by_mod, &seven, sizeof seven)},
        {"repartition", kiln_rdd_repartition(nums, 7)},
        {"coalesce", kiln_rdd_coalesce(nums, 2, false)},
        {"union", kiln_rdd_union(nums, kiln_rdd_map(nums, times_three, &three, sizeof three))},
        {"cartesian", kiln_rdd_cartesian(kiln_range(ctx, 0, 5, 1, 2), kiln_range(ctx, 0, 3, 1, 2))},
        {"zip", kiln_rdd_zip(nums, kiln_rdd_map(nums, times_three, &three, sizeof three))},
        {"sample", kiln_rdd_sample(nums, false, 0.3, 42)},
        {"distinct", kiln_rdd_distinct(kt_parallelize(ctx, &d), 3)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_set_case("%s", cases[i].name);
        kt_rdd(cases[i].r);
        kiln_context *fresh = kt_context_new("local[2]");
        expect_same_after_trip(cases[i].r, fresh, a);
        kiln_context_free(fresh);
    }
    kiln_context_free(ctx);
    kiln_arena_free(a);
    kt_rm_rf(dir);
    free(file);
    free(dir);
}

static void a_second_message_reuses_what_was_sent(void **state)
{
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = kt_context_new("local[2]"), *exec = kt_context_new("local[2]");
    int64_t three = 3;
    kiln_rdd *base = kt_rdd(kiln_range(ctx, 0, 100, 1, 4));
    kiln_rdd *m = kt_rdd(kiln_rdd_map(base, times_three, &three, sizeof three));
    kiln_rdd *m_copy = send(m, exec);
    assert_int_equal(exec->nrdds, 2);
    kiln_rdd *f = kt_rdd(kiln_rdd_filter(m, odd, NULL, 0));
    kiln_rdd *f_copy = send(f, exec);
    assert_int_equal(exec->nrdds, 3); /* only the filter is new */
    assert_ptr_equal(f_copy->parents[0], m_copy); /* the same object: its cache stays valid */
    kiln_value want = kt_collect(kiln_rdd_glom(f), a), got = kt_collect(kiln_rdd_glom(f_copy), a);
    kt_expect_list(&got, &want);
    kiln_context_free(exec);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void damaged_bytes_are_refused(void **state)
{
    kiln_context *ctx = kt_context_new("local[1]");
    int64_t three = 3;
    kiln_rdd *r = kt_rdd(kiln_rdd_reduce_by_key(
        kiln_rdd_map(kiln_rdd_map(kiln_range(ctx, 0, 50, 1, 3), times_three, &three, sizeof three),
                     kiln_fn_pair_one, NULL, 0),
        kt_add_fn, NULL, 0, 2));
    kiln_buf b;
    kiln_buf_init(&b);
    KT_OK(lineage_encode(r, &b));
    /* Every truncation is refused. */
    for (size_t n = 0; n < b.len; n++) {
        kiln_context *exec = kt_context_new("local[1]");
        kiln_rdd *out = NULL;
        if (lineage_decode(exec, b.data, n, &out) == KILN_OK)
            fail_msg("a lineage cut to %zu of %zu bytes decoded", n, b.len);
        kiln_context_free(exec);
    }
    /* A function of another build is refused by name. */
    /* version 1, count 4, id 4, record length 4, op length 4, id length 1 */
    b.data[1 + 4 + 4 + 4 + 4 + 1] ^= 0x55; /* a byte of the first RDD's op build id */
    kiln_context *exec = kt_context_new("local[1]");
    kiln_rdd *out = NULL;
    assert_int_not_equal(lineage_decode(exec, b.data, b.len, &out), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "build"));
    kiln_context_free(exec);
    kiln_buf_release(&b);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_survives_the_trip),
        cmocka_unit_test(a_second_message_reuses_what_was_sent),
        cmocka_unit_test(damaged_bytes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
