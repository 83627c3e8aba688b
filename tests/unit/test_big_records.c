/*
 * test_big_records.c - records far larger than a shuffle block (issue 12,
 * defect 3): a 64 MiB key and an 8 MiB value among small records go
 * through reduce_by_key, group_by_key and repartition (local[2] and
 * local-cluster[2,1,512], where they are fetched between executors),
 * through a sort_by_key that spills under a 1 MiB budget, and through
 * cached partitions on disk (MEMORY_AND_DISK, DISK_ONLY; DISK_ONLY on
 * executors too) read back twice; a
 * record over the limit (lowered to 1 MiB for the test with
 * block_set_max_record, so that nothing of 1 GiB is allocated) fails the
 * job with a message naming its size and the limit, without any fetch
 * failure or recomputed map output.
 *
 * Records are made by a user function on the executors (a 64 MiB key could
 * not travel in a task's lineage), and what comes back to the driver is a
 * small summary of each record: hashes and lengths.
 *
 * And the blocks themselves: a big record gets a block of its own, blocks
 * over the old 4 MiB raw limit decode with every codec, a header whose raw
 * length its payload cannot decompress to is refused (checksum or not), and
 * block_check_record names the size and the limit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "kt.h"
#include "kt_fns.h"
#include "shuffle/block.h"

enum { N = 2000, GROUPS = 20, BIG_KEY_AT = 7, BIG_VALUE_AT = 13 };

typedef struct gen_env {
    int64_t key_len;   /* bytes of the big key */
    int64_t value_len; /* bytes of the big value */
    int64_t unique;    /* every key distinct (sorts); else GROUPS small keys */
} gen_env;

static const gen_env BIG = {64 << 20, 8 << 20, 0};

/* len pseudo-random bytes (xorshift: lz4 does not shrink them much). */
static kiln_value blob(kiln_arena *a, uint64_t seed, size_t len)
{
    char *p = kiln_arena_alloc(a, len);
    if (!p) return kiln_null();
    uint64_t x = seed * 0x9E3779B97F4A7C15u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (char)('a' + (x >> 32) % 26);
    }
    return kiln_str_ref(p, len);
}

/* Record i of the data set. */
static kiln_value record(kiln_arena *a, const gen_env *e, int64_t i)
{
    char key[32];
    if (e->unique) snprintf(key, sizeof key, "k%06lld", (long long)i);
    else snprintf(key, sizeof key, "k%02lld", (long long)(i % GROUPS));
    if (i == BIG_KEY_AT) return kiln_pair(a, blob(a, 1, (size_t)e->key_len), kiln_int(i));
    if (i == BIG_VALUE_AT)
        return kiln_pair(a, kiln_cstr(a, e->unique ? key : "bigvalue"),
                         blob(a, 2, (size_t)e->value_len));
    return kiln_pair(a, kiln_cstr(a, key), kiln_int(i));
}

static int gen_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    gen_env e;
    memcpy(&e, env, sizeof e);
    *out = record(kiln_task_arena(t), &e, in->u.i);
    return out->type == KILN_NULL ? kiln_task_fail(t, "out of memory") : KILN_OK;
}

/* What a value contributes to a summary: an int itself, else its hash. */
static int64_t part_of(const kiln_value *v)
{
    return v->type == KILN_INT ? v->u.i : (int64_t)(kiln_value_hash(v) >> 1);
}

/* (k, v) or (k, [v...]) -> (hash k, length of k, sum of parts of the
 * values, number of values, bytes of string values). */
static kiln_value summary(kiln_arena *a, const kiln_value *in)
{
    const kiln_value *k = kiln_key(in), *v = kiln_val(in);
    int64_t sum = 0, count = 0, bytes = 0;
    size_t n = v->type == KILN_LIST ? v->len : 1;
    for (size_t i = 0; i < n; i++) {
        const kiln_value *x = v->type == KILN_LIST ? &v->u.items[i] : v;
        sum += part_of(x);
        count++;
        if (x->type == KILN_STR) bytes += x->len;
    }
    kiln_value f[5] = {kiln_int((int64_t)(kiln_value_hash(k) >> 1)), kiln_int(k->len),
                       kiln_int(sum), kiln_int(count), kiln_int(bytes)};
    return kiln_tuple_new(a, f, 5);
}

static int summary_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    if (!kiln_is_pair(in)) return kiln_task_fail(t, "not a pair");
    *out = summary(kiln_task_arena(t), in);
    return KILN_OK;
}

static kiln_context *context(const char *master, const char *budget)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", master);
    kiln_conf_set(conf, "kiln.ui.showConsoleProgress", "false");
    if (budget) kiln_conf_set(conf, "kiln.executor.memory", budget);
    kiln_context *ctx;
    assert_int_equal(kiln_context_new(conf, &ctx), KILN_OK);
    kiln_conf_free(conf);
    return ctx;
}

static kiln_rdd *records(kiln_context *ctx, const gen_env *e)
{
    return kt_rdd(kiln_rdd_map(kiln_range(ctx, 0, N, 1, 4), gen_fn, e, sizeof *e));
}

/* The summaries of reduce_by_key(add) (grouped false) or group_by_key. */
static kiln_value expected_by_key(kiln_arena *a, const gen_env *e, bool grouped)
{
    kiln_value out[GROUPS + 2];
    size_t n = 0;
    for (int g = 0; g < GROUPS; g++) {
        kiln_value vals[N];
        size_t nv = 0;
        int64_t sum = 0;
        for (int64_t i = g; i < N; i += GROUPS)
            if (i != BIG_KEY_AT && i != BIG_VALUE_AT) vals[nv++] = kiln_int(i), sum += i;
        char key[16];
        snprintf(key, sizeof key, "k%02d", g);
        kiln_value v = grouped ? kiln_list_new(a, vals, nv) : kiln_int(sum);
        kiln_value pair = kiln_pair(a, kiln_cstr(a, key), v);
        out[n++] = summary(a, &pair);
    }
    for (int64_t i = 0; i < N; i++) {
        if (i != BIG_KEY_AT && i != BIG_VALUE_AT) continue;
        kiln_value r = record(a, e, i);
        kiln_value v = grouped ? kiln_list_new(a, kiln_val(&r), 1) : *kiln_val(&r);
        kiln_value pair = kiln_pair(a, *kiln_key(&r), v);
        out[n++] = summary(a, &pair);
    }
    return kiln_list_new(a, out, n);
}

static int cmp_keys(const void *x, const void *y)
{
    return kiln_value_cmp(kiln_key(x), kiln_key(y));
}

/* The summaries of every record, sorted by key when sorted. */
static kiln_value expected_records(kiln_arena *a, const gen_env *e, bool sorted)
{
    kiln_value *recs = malloc(sizeof *recs * N), *out = malloc(sizeof *out * N);
    for (int64_t i = 0; i < N; i++) recs[i] = record(a, e, i);
    if (sorted) qsort(recs, N, sizeof *recs, cmp_keys);
    for (size_t i = 0; i < N; i++) out[i] = summary(a, &recs[i]);
    kiln_value list = kiln_list_new(a, out, N);
    free(recs);
    free(out);
    return list;
}

static void by_key_on(const char *master)
{
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = context(master, NULL);
    kiln_rdd *reduced = kiln_rdd_reduce_by_key(records(ctx, &BIG), kt_add_fn, NULL, 0, 3);
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_map(reduced, summary_fn, NULL, 0)), a);
    kiln_value want = expected_by_key(a, &BIG, false);
    kt_expect_multiset(a, &got, &want);
    kiln_rdd *grouped = kiln_rdd_group_by_key(records(ctx, &BIG), 3);
    got = kt_collect(kt_rdd(kiln_rdd_map(grouped, summary_fn, NULL, 0)), a);
    want = expected_by_key(a, &BIG, true);
    kt_expect_multiset(a, &got, &want);
    /* repartition streams blocks through a shuffle_cursor. */
    kiln_rdd *moved = kiln_rdd_repartition(records(ctx, &BIG), 3);
    got = kt_collect(kt_rdd(kiln_rdd_map(moved, summary_fn, NULL, 0)), a);
    want = expected_records(a, &BIG, false);
    kt_expect_multiset(a, &got, &want);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_int_equal(m.failed_attempts, 0);
    assert_int_equal(m.lost_map_outputs, 0);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void shuffles_carry_big_keys_and_values(void **state)
{
    (void)state;
    by_key_on("local[2]");
}

static void executors_fetch_big_records_from_each_other(void **state)
{
    (void)state;
    by_key_on("local-cluster[2,1,512]");
}

static void a_spilling_sort_carries_big_records(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    kiln_context *ctx = context("local[2]", "1m");
    gen_env e = BIG;
    e.unique = 1;
    kiln_rdd *sorted = kiln_rdd_sort_by_key(records(ctx, &e), true, 3);
    kiln_value got = kt_collect(kt_rdd(kiln_rdd_map(sorted, summary_fn, NULL, 0)), a);
    kiln_value want = expected_records(a, &e, true);
    kt_expect_list(&got, &want);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_true(m.spill_count > 0);
    assert_int_equal(m.failed_attempts, 0);
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void cached_on_disk(kiln_storage_level level, const char *master)
{
    kiln_arena *a = kiln_arena_new();
    bool local = strcmp(master, "local[2]") == 0;
    kiln_context *ctx = context(master, local ? "1m" : NULL);
    gen_env e = BIG;
    e.unique = 1;
    kiln_rdd *r = kiln_rdd_persist(records(ctx, &e), level);
    assert_int_equal(kt_count(r), N);
    if (local) { /* a cluster's blocks are its executors' business */
        int parts = 0, on_disk = 0;
        int64_t mem = 0;
        kiln_rdd_storage(r, &parts, &mem, &on_disk);
        assert_int_equal(parts, 4);
        /* DISK_ONLY: every partition; MEMORY_AND_DISK: at least the big
         * ones, which do not fit in the storage half of a 1 MiB budget. */
        if (level == KILN_DISK_ONLY) assert_int_equal(on_disk, 4);
        else assert_true(on_disk >= 1);
    }
    kiln_value want = expected_records(a, &e, false);
    for (int round = 0; round < 2; round++) {
        kiln_value got = kt_collect(kt_rdd(kiln_rdd_map(r, summary_fn, NULL, 0)), a);
        kt_expect_list(&got, &want);
    }
    kiln_context_free(ctx);
    kiln_arena_free(a);
}

static void memory_and_disk_blocks_carry_big_records(void **state)
{
    (void)state;
    cached_on_disk(KILN_MEMORY_AND_DISK, "local[2]");
}

static void disk_only_blocks_carry_big_records(void **state)
{
    (void)state;
    cached_on_disk(KILN_DISK_ONLY, "local[2]");
}

static void executors_cache_big_records_on_disk(void **state)
{
    (void)state;
    cached_on_disk(KILN_DISK_ONLY, "local-cluster[2,1,512]");
}

/* Runs r's collect, which must fail naming the record and the limit. */
static void fails_over_the_limit(kiln_context *ctx, kiln_rdd *r, const char *what)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value out;
    int rc = kiln_rdd_collect(r, a, &out);
    const char *err = kiln_last_error();
    if (rc == KILN_OK) fail_msg("%s: a record over the limit went through", what);
    char want[128];
    snprintf(want, sizeof want, "bytes exceeds the limit of %d bytes (kiln's largest record)",
             1 << 20);
    if (!strstr(err, "record of ") || !strstr(err, want))
        fail_msg("%s: the error does not say \"record of N %s\": %s", what, want, err);
    print_message("%s: %s\n", what, err);
    if (strstr(err, "fetch")) fail_msg("%s: a fetch failure: %s", what, err);
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    assert_int_equal(m.lost_map_outputs, 0);
    kiln_arena_free(a);
}

static void a_record_over_the_limit_fails_the_task(void **state)
{
    (void)state;
    block_set_max_record(1 << 20);
    assert_int_equal(block_max_record(), 1 << 20);
    gen_env e = {100, 8 << 20, 1};
    kiln_context *ctx = context("local[2]", NULL);
    fails_over_the_limit(ctx, kiln_rdd_reduce_by_key(records(ctx, &e), kt_add_fn, NULL, 0, 3),
                         "reduce_by_key");
    fails_over_the_limit(ctx, kiln_rdd_persist(records(ctx, &e), KILN_DISK_ONLY), "DISK_ONLY");
    kiln_context_free(ctx);
    block_set_max_record(0);
    assert_int_equal(block_max_record(), KILN_MAX_RECORD);
}

static void put32(uint8_t *p, uint32_t x)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(x >> (8 * i));
}

/* Rewrites the block at p's raw length and recomputes its checksum. */
static void forge_raw_length(uint8_t *p, uint32_t rlen)
{
    put32(p + 12, rlen);
    size_t plen = block_framed_size(p) - BLOCK_HEADER;
    uint8_t *tmp = malloc(16 + plen);
    memcpy(tmp, p, 16);
    memcpy(tmp + 16, p + BLOCK_HEADER, plen);
    uint64_t h = XXH64(tmp, 16 + plen, 0);
    free(tmp);
    for (int i = 0; i < 8; i++) p[16 + i] = (uint8_t)(h >> (8 * i));
}

static void blocks_of_big_records(void **state)
{
    (void)state;
    kiln_arena *a = kiln_arena_new();
    kiln_buf raw, out, dec;
    kiln_buf_init(&raw);
    kiln_buf_init(&out);
    kiln_buf_init(&dec);
    /* Small records, then a big one: two blocks, the big one alone. */
    assert_int_equal(kiln_buf_append(&raw, "small records", 13), KILN_OK);
    size_t last = raw.len;
    kiln_value big = blob(a, 3, 5u << 20);
    assert_int_equal(kiln_buf_append(&raw, big.u.s, big.len), KILN_OK);
    for (int codec = CODEC_NONE; codec <= CODEC_ZSTD; codec++) {
        kiln_buf copy;
        kiln_buf_init(&copy);
        assert_int_equal(kiln_buf_append(&copy, raw.data, raw.len), KILN_OK);
        out.len = 0;
        assert_int_equal(block_encode_pending(codec, &copy, last, &out), KILN_OK);
        assert_int_equal(copy.len, 0);
        assert_int_equal(copy.cap, 0); /* a big record's buffer is not kept */
        size_t used, first;
        assert_int_equal(block_decode(out.data, out.len, &first, &dec), KILN_OK);
        assert_int_equal(dec.len, 13);
        assert_memory_equal(dec.data, "small records", 13);
        /* 5 MiB raw: over the 4 MiB readers used to refuse. */
        assert_int_equal(block_decode(out.data + first, out.len - first, &used, &dec), KILN_OK);
        assert_int_equal(first + used, out.len);
        assert_int_equal(dec.len, big.len);
        assert_memory_equal(dec.data, big.u.s, big.len);
        /* A checksummed header claiming 1 GiB its payload cannot hold. */
        forge_raw_length(out.data, (uint32_t)KILN_MAX_RECORD);
        assert_int_equal(block_decode(out.data, first, &used, &dec), KILN_ECORRUPT);
        assert_non_null(strstr(kiln_last_error(), "lengths do not match"));
        kiln_buf_release(&copy);
    }
    /* Small records alone stay one block. */
    raw.len = 13;
    out.len = 0;
    assert_int_equal(block_encode_pending(CODEC_LZ4, &raw, 0, &out), KILN_OK);
    assert_int_equal(block_framed_size(out.data), out.len);
    /* The limit, checked by every writer. */
    assert_int_equal(block_max_record(), KILN_MAX_RECORD);
    assert_int_equal(block_check_record(KILN_MAX_RECORD), KILN_OK);
    assert_int_equal(block_check_record(KILN_MAX_RECORD + 1), KILN_ERANGE);
    char want[160];
    snprintf(want, sizeof want,
             "record of %zu bytes exceeds the limit of %zu bytes (kiln's largest record)",
             (size_t)KILN_MAX_RECORD + 1, (size_t)KILN_MAX_RECORD);
    assert_string_equal(kiln_last_error(), want);
    kiln_buf_release(&raw);
    kiln_buf_release(&out);
    kiln_buf_release(&dec);
    kiln_arena_free(a);
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(blocks_of_big_records),
        cmocka_unit_test(shuffles_carry_big_keys_and_values),
        cmocka_unit_test(a_spilling_sort_carries_big_records),
        cmocka_unit_test(memory_and_disk_blocks_carry_big_records),
        cmocka_unit_test(disk_only_blocks_carry_big_records),
        cmocka_unit_test(executors_fetch_big_records_from_each_other),
        cmocka_unit_test(executors_cache_big_records_on_disk),
        cmocka_unit_test(a_record_over_the_limit_fails_the_task),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
