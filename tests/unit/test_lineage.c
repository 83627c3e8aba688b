/*
 * test_lineage.c - the RDD graph as bytes (engine/lineage.c): graphs of
 * every kind of op are built in one context, encoded, decoded into a fresh
 * context (as an executor would), and must give the very same partitions,
 * shuffles and all (the fresh context runs the map stages itself from the
 * decoded graph), and every decoded RDD must equal its original field by
 * field: what every RDD has, its dependencies, and its op's typed state;
 * every op table of the build is sent at least once. Also: ids are kept; a
 * second message reuses what the first sent; damaged bytes are refused and
 * never run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_int.h"
#include "io/io.h"
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

/* The op tables of the build (the kiln_rdd_ops section), to check that
 * every op is sent. */
extern const rdd_ops __start_kiln_rdd_ops[] __attribute__((weak));
extern const rdd_ops __stop_kiln_rdd_ops[] __attribute__((weak));

/* Integers (and enums) equal, else a failure naming the case and field. */
#define SAME(got, want)                                                                            \
    KT_CHECK((got) == (want), "%s is %lld, want %lld", #got, (long long)(got), (long long)(want))

static void expect_same_value(const kiln_value *got, const kiln_value *want, const char *what)
{
    KT_CHECK(kiln_value_cmp(got, want) == 0, "%s: %s, want %s", what, kt_fmt(got), kt_fmt(want));
}

static void expect_same_fn(const void *got, const void *want, const char *what)
{
    KT_CHECK(got == want, "%s: function %p came back as %p", what, want, got);
}

/* The decoded op state of got equals want's, field by field. */
static void expect_same_state(const kiln_rdd *got, const kiln_rdd *want)
{
    SAME(got->ops->state, want->ops->state);
    if (want->ops->state == OPST_NONE) {
        KT_CHECK(!got->state, "an op without state came with some");
        return;
    }
    KT_CHECK(got->state && got->state != want->state, "no state of its own after the trip");
    switch (want->ops->state) {
    case OPST_NONE:
        break;
    case OPST_MAP:
        expect_same_fn((const void *)rdd_map_state(got)->fn, (const void *)rdd_map_state(want)->fn,
                       "map_state");
        break;
    case OPST_FLAT_MAP:
        expect_same_fn((const void *)rdd_flat_map_state(got)->fn,
                       (const void *)rdd_flat_map_state(want)->fn, "flat_map_state");
        break;
    case OPST_FILTER:
        expect_same_fn((const void *)rdd_filter_state(got)->fn,
                       (const void *)rdd_filter_state(want)->fn, "filter_state");
        break;
    case OPST_MAP_PARTITIONS:
        expect_same_fn((const void *)rdd_map_partitions_state(got)->fn,
                       (const void *)rdd_map_partitions_state(want)->fn, "map_partitions_state");
        break;
    case OPST_SAMPLE: {
        const sample_state *g = rdd_sample_state(got), *w = rdd_sample_state(want);
        SAME(g->with_replacement, w->with_replacement);
        KT_CHECK(memcmp(&g->fraction, &w->fraction, sizeof g->fraction) == 0,
                 "fraction %g, want %g", g->fraction, w->fraction);
        SAME(g->seed, w->seed);
        break;
    }
    case OPST_ZIP_INDEX:
        for (int p = 0; p <= want->nparts; p++)
            SAME(rdd_zip_index_state(got)->first[p], rdd_zip_index_state(want)->first[p]);
        break;
    case OPST_PARALLELIZE: {
        const parallelize_state *g = rdd_parallelize_state(got), *w = rdd_parallelize_state(want);
        SAME(g->n, w->n);
        for (size_t i = 0; i < w->n; i++) expect_same_value(&g->vals[i], &w->vals[i], "a value");
        break;
    }
    case OPST_RANGE: {
        const range_state *g = rdd_range_state(got), *w = rdd_range_state(want);
        SAME(g->start, w->start);
        SAME(g->step, w->step);
        SAME(g->count, w->count);
        break;
    }
    case OPST_TEXT_SOURCE: {
        const text_source_state *g = rdd_text_source_state(got), *w = rdd_text_source_state(want);
        SAME(g->n, w->n);
        for (size_t i = 0; i < w->n; i++) {
            const io_split *gs = &g->splits[i], *ws = &w->splits[i];
            KT_CHECK(strcmp(gs->path, ws->path) == 0, "split %zu: %s, want %s", i, gs->path,
                     ws->path);
            SAME(gs->start, ws->start);
            SAME(gs->length, ws->length);
            SAME(gs->whole, ws->whole);
        }
        break;
    }
    case OPST_SHUFFLED:
        SAME(rdd_shuffled_state(got)->kind, rdd_shuffled_state(want)->kind);
        break;
    }
}

static void expect_same_dep(const shuffle_dep *got, const shuffle_dep *want, const kiln_rdd *owner)
{
    SAME(got->id, want->id);
    SAME(got->parent->id, want->parent->id);
    SAME(got->nreduce, want->nreduce);
    SAME(got->part, want->part);
    expect_same_fn((const void *)got->pfn, (const void *)want->pfn, "partitioner");
    KT_CHECK(got->penv == (want->penv ? owner->env : NULL), "partitioner env");
    SAME(got->nbounds, want->bounds ? want->nbounds : 0);
    for (size_t i = 0; want->bounds && i < want->nbounds; i++)
        expect_same_value(&got->bounds[i], &want->bounds[i], "a range bound");
    SAME(got->descending, want->descending);
    SAME(got->has_agg, want->has_agg);
    expect_same_fn((const void *)got->agg.create, (const void *)want->agg.create, "create");
    expect_same_fn((const void *)got->agg.merge_value, (const void *)want->agg.merge_value,
                   "merge_value");
    expect_same_fn((const void *)got->agg.merge_comb, (const void *)want->agg.merge_comb,
                   "merge_combiners");
    SAME(got->agg.zero != NULL, want->agg.zero != NULL);
    if (want->agg.zero) expect_same_value(got->agg.zero, want->agg.zero, "the aggregator's zero");
    KT_CHECK(got->agg.env == (want->agg.env ? owner->env : NULL), "aggregator env");
}

/* Every RDD decoded into exec equals its original in ctx (the driver's ids
 * are its indices); each op table met is marked in seen. */
static void expect_same_graph(kiln_context *ctx, kiln_context *exec, bool *seen)
{
    const rdd_ops *lo = __start_kiln_rdd_ops;
    for (size_t i = 0; i < exec->nrdds; i++) {
        const kiln_rdd *got = exec->rdds[i];
        KT_CHECK(got->id >= 0 && (size_t)got->id < ctx->nrdds, "RDD id %d", got->id);
        const kiln_rdd *want = ctx->rdds[got->id];
        kt_case_detail("RDD %d (%s)", want->id, want->ops->name);
        KT_CHECK(got->ops == want->ops, "op %s, want %s", got->ops->name, want->ops->name);
        seen[want->ops - lo] = true;
        SAME(got->nparts, want->nparts);
        SAME(got->nparents, want->nparents);
        for (int p = 0; p < want->nparents; p++) SAME(got->parents[p]->id, want->parents[p]->id);
        SAME(got->env_len, want->env_len);
        KT_CHECK(!want->env_len || memcmp(got->env, want->env, want->env_len) == 0, "env");
        SAME(got->part, want->part);
        SAME(got->storage, want->storage);
        SAME(got->ndeps, want->ndeps);
        for (int d = 0; d < want->ndeps; d++) expect_same_dep(got->deps[d], want->deps[d], got);
        expect_same_state(got, want);
    }
}

/* Sends r into ctx2 (a fresh context), checks the decoded graph against
 * r's (marking the op tables met in seen), then collects every partition
 * of r and of its copy. */
static void expect_same_after_trip(kiln_rdd *r, kiln_context *ctx2, kiln_arena *a, bool *seen)
{
    kiln_rdd *copy = send(r, ctx2);
    expect_same_graph(r->ctx, ctx2, seen); /* before ctx2 makes RDDs of its own */
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

/* Emits the number of values in the partition. */
static int count_partition(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)t, (void)index, (void)env;
    const kiln_value *v;
    int64_t n = 0;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) n++;
    if (rc < 0) return rc;
    kiln_value c = kiln_int(n);
    return kiln_emit(out, &c);
}

/* v -> v, v */
static int twice(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    (void)t, (void)env;
    int rc = kiln_emit(out, in);
    return rc ? rc : kiln_emit(out, in);
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
    struct {
        const char *name;
        kiln_rdd *r;
    } cases[] = {
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
        {"partition_by (custom, env)",
         kiln_rdd_partition_by(ints_kv, 4, by_mod, &seven, sizeof seven)},
        {"repartition", kiln_rdd_repartition(nums, 7)},
        {"coalesce", kiln_rdd_coalesce(nums, 2, false)},
        {"union", kiln_rdd_union(nums, kiln_rdd_map(nums, times_three, &three, sizeof three))},
        {"cartesian", kiln_rdd_cartesian(kiln_range(ctx, 0, 5, 1, 2), kiln_range(ctx, 0, 3, 1, 2))},
        {"zip", kiln_rdd_zip(nums, kiln_rdd_map(nums, times_three, &three, sizeof three))},
        {"zip_partitions",
         kiln_rdd_zip_partitions(nums, kiln_rdd_map(nums, times_three, &three, sizeof three))},
        {"sample", kiln_rdd_sample(nums, false, 0.3, 42)},
        {"sample with replacement", kiln_rdd_sample(nums, true, 1.7, 7)},
        {"distinct", kiln_rdd_distinct(kt_parallelize(ctx, &d), 3)},
        {"map_partitions", kiln_rdd_map_partitions(nums, count_partition, &three, sizeof three)},
        {"glom", kiln_rdd_glom(nums)},
        {"keys, values", kiln_rdd_union(kiln_rdd_keys(ints_kv), kiln_rdd_values(ints_kv))},
        {"key_by", kiln_rdd_key_by(nums, times_three, &seven, sizeof seven)},
        {"map_values", kiln_rdd_map_values(ints_kv, times_three, &three, sizeof three)},
        {"flat_map_values", kiln_rdd_flat_map_values(ints_kv, twice, NULL, 0)},
        {"combine_by_key (create)", kiln_rdd_combine_by_key(ints_kv, kiln_fn_identity, kt_add_fn,
                                                            kt_add_fn, &three, sizeof three, 2)},
        {"fold_by_key", kiln_rdd_fold_by_key(ints_kv, &(kiln_value){.type = KILN_INT, .u.i = 5},
                                             kt_add_fn, NULL, 0, 3)},
        {"cogroup", kiln_rdd_cogroup(ints_kv, kv, 2)},
        {"left_outer_join", kiln_rdd_left_outer_join(ints_kv, kv, 2)},
        {"right_outer_join", kiln_rdd_right_outer_join(ints_kv, kv, 2)},
        {"full_outer_join", kiln_rdd_full_outer_join(ints_kv, kv, 2)},
        {"intersection", kiln_rdd_intersection(nums, kiln_range(ctx, 0, 500, 2, 3), 3)},
        {"subtract", kiln_rdd_subtract(nums, kiln_range(ctx, 0, 500, 2, 3), 0)},
        {"sort_by", kiln_rdd_sort_by(nums, times_three, &three, sizeof three, true, 3)},
        {"coalesce with shuffle", kiln_rdd_coalesce(nums, 3, true)},
    };
    const rdd_ops *lo = __start_kiln_rdd_ops, *hi = __stop_kiln_rdd_ops;
    assert_true(lo && hi > lo);
    bool *seen = calloc((size_t)(hi - lo), sizeof *seen);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_set_case("%s", cases[i].name);
        kt_rdd(cases[i].r);
        kiln_context *fresh = kt_context_new("local[2]");
        expect_same_after_trip(cases[i].r, fresh, a, seen);
        kiln_context_free(fresh);
    }
    /* Every op of the build went through (but the placeholder for RDDs not sent). */
    for (const rdd_ops *o = lo; o < hi; o++)
        if (!seen[o - lo] && strcmp(o->name, "(not sent)") != 0)
            fail_msg("op %s is not sent by any case", o->name);
    free(seen);
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
    assert_int_equal(exec->nrdds, 3);             /* only the filter is new */
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
    /* version 1, count 4, id 4, record length 4, op length 4, id length 1 (bytes) */
    b.data[1 + 4 + 4 + 4 + 4 + 1] ^= 0x55; /* a byte of the first RDD's op build id */
    kiln_context *exec = kt_context_new("local[1]");
    kiln_rdd *out = NULL;
    assert_int_not_equal(lineage_decode(exec, b.data, b.len, &out), KILN_OK);
    assert_non_null(strstr(kiln_last_error(), "build"));
    kiln_context_free(exec);
    kiln_buf_release(&b);
    kiln_context_free(ctx);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* r's lineage with the state field of its own record (the last: has state
 * u8, then u32 length and the bytes), which holds `now` (NULL: none),
 * replaced by `state` (NULL: none). */
static void encode_with_state(kiln_rdd *r, const kiln_buf *now, const kiln_buf *state,
                              kiln_buf *out)
{
    KT_OK(lineage_encode(r, out));
    size_t at = 1 + 4, rec = 0; /* version, count; then id, record length, record */
    for (uint32_t i = 0; i < get32(out->data + 1); i++) {
        rec = at + 4;
        at = rec + 4 + get32(out->data + rec);
    }
    assert_int_equal(at, out->len);
    size_t tail = now ? 1 + 4 + now->len : 1; /* what the record's state field takes now */
    size_t keep = out->len - tail;
    assert_int_equal(out->data[keep], now != NULL);
    if (now) {
        assert_int_equal(get32(out->data + keep + 1), now->len);
        assert_memory_equal(out->data + keep + 5, now->data, now->len);
    }
    uint32_t rec_len = get32(out->data + rec) - (uint32_t)tail;
    out->len = keep;
    uint8_t len[4], has = state != NULL;
    KT_OK(kiln_buf_append(out, &has, 1));
    if (state) {
        put32(len, (uint32_t)state->len);
        KT_OK(kiln_buf_append(out, len, 4));
        KT_OK(kiln_buf_append(out, state->data, state->len));
    }
    put32(out->data + rec, rec_len + (uint32_t)(out->len - keep));
}

/* A map whose record comes without its state (its function) is refused,
 * and so is a state for an op that keeps none; with the right state, the
 * rewritten bytes decode. */
static void state_must_match_the_op(void **state)
{
    kiln_context *ctx = kt_context_new("local[1]");
    kiln_rdd *nums = kt_rdd(kiln_range(ctx, 0, 10, 1, 2));
    kiln_rdd *m = kt_rdd(kiln_rdd_map(nums, kiln_fn_pair_one, NULL, 0));
    kiln_rdd *k = kt_rdd(kiln_rdd_keys(m));
    kiln_buf fn, b;
    kiln_buf_init(&fn);
    kiln_buf_init(&b);
    KT_OK(lineage_fn_encode(&fn, (const void *)kiln_fn_pair_one));
    struct {
        kiln_rdd *r;
        const kiln_buf *now, *state;
        const char *error; /* NULL: decodes */
    } cases[] = {
        {m, &fn, &fn, NULL},
        {m, &fn, NULL, "without its state"},
        {k, NULL, NULL, NULL},
        {k, NULL, &fn, "which keeps none"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_set_case("%s %s state", cases[i].r->ops->name, cases[i].state ? "with" : "without");
        b.len = 0;
        encode_with_state(cases[i].r, cases[i].now, cases[i].state, &b);
        kiln_context *exec = kt_context_new("local[1]");
        kiln_rdd *out = NULL;
        int rc = lineage_decode(exec, b.data, b.len, &out);
        if (!cases[i].error) KT_OK(rc);
        else
            KT_CHECK(rc != KILN_OK && strstr(kiln_last_error(), cases[i].error), "%s",
                     rc ? kiln_last_error() : "decoded");
        kiln_context_free(exec);
    }
    kiln_buf_release(&b);
    kiln_buf_release(&fn);
    kiln_context_free(ctx);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_op_survives_the_trip),
        cmocka_unit_test(a_second_message_reuses_what_was_sent),
        cmocka_unit_test(damaged_bytes_are_refused),
        cmocka_unit_test(state_must_match_the_op),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
