/*
 * test_map_partitions_stream.c - map_partitions hands what its function
 * emits on as it goes: 256 MiB emitted into a shuffle under
 * kiln.executor.memory=16m completes with the right records, within the
 * budget, spilling, and with the process's tracked memory far below the
 * output (the whole output was held before); chunks of every size (values
 * of 2 MiB, many small ones, empty partitions) in order against a
 * sequential reference, through nested map_partitions and zip (coroutines
 * interleaved); what the function keeps in the task arena lives across its
 * emits; a consumer that stops early (take) ends the function quietly,
 * one that ignores kiln_emit's refusal included; a failure after chunks
 * were handed on fails the job with the function's message. Local[2] and
 * local-cluster[2,1,256].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kiln.h"
#include "kt.h"

enum { VALUE_BYTES = 16 << 10, PER_PART = 8192 }; /* 128 MiB a partition */

static const char *const masters[] = {"local[2]", "local-cluster[2,1,256]"};

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

/* The byte k of record i's value: noise, so that compression does not
 * shrink what the shuffle writer holds. */
static uint8_t byte_of(int64_t i, size_t k)
{
    uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15ull + (uint64_t)k * 0xBF58476D1CE4E5B9ull;
    x ^= x >> 31;
    x *= 0x94D049BB133111EBull;
    return (uint8_t)(x >> 56);
}

/* Partition p's seed s -> PER_PART records (i, 16 KiB of byte_of(i, k)). */
static int big_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)index;
    (void)env;
    const kiln_value *v;
    uint8_t *buf = malloc(VALUE_BYTES);
    if (!buf) return kiln_task_fail(t, "out of memory");
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) {
        for (int64_t j = 0; j < PER_PART; j++) {
            int64_t i = v->u.i * PER_PART + j;
            for (size_t k = 0; k < VALUE_BYTES; k++) buf[k] = byte_of(i, k);
            kiln_value rec = kiln_pair(kiln_task_arena(t), kiln_int(i),
                                       kiln_bytes_ref(buf, VALUE_BYTES));
            if ((rc = kiln_emit(out, &rec))) break;
        }
        if (rc) break;
    }
    free(buf);
    return rc < 0 ? rc : 0;
}

/* (i, bytes) -> 1 when the bytes are record i's, else 0 (and the sum
 * checks every record arrived intact). */
static int check_fn(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t;
    (void)env;
    int64_t i = in->u.items[0].u.i;
    const kiln_value *b = &in->u.items[1];
    bool ok = b->type == KILN_BYTES && b->len == VALUE_BYTES;
    for (size_t k = 0; ok && k < VALUE_BYTES; k += 61) ok = b->u.bytes[k] == byte_of(i, k);
    *out = kiln_int(ok ? i + 1 : 0);
    return 0;
}

static void big_output_into_a_shuffle_stays_in_budget(void **state)
{
    (void)state;
    for (size_t m = 0; m < sizeof masters / sizeof *masters; m++) {
        kiln_context *ctx = context(masters[m], "16m");
        kiln_value seeds[2] = {kiln_int(0), kiln_int(1)};
        kiln_rdd *src = kiln_parallelize(ctx, seeds, 2, 2);
        kiln_rdd *mp = kiln_rdd_map_partitions(src, big_fn, NULL, 0);
        kiln_rdd *sh = kiln_rdd_partition_by(mp, 16, NULL, NULL, 0);
        kiln_rdd *ck = kiln_rdd_map(sh, check_fn, NULL, 0);
        double sum = 0;
        assert_int_equal(kiln_rdd_sum(ck, &sum), KILN_OK);
        int64_t n = 2 * PER_PART;
        /* Every record once and intact: the sum of i + 1 over 0..n-1. */
        assert_true(sum == (double)(n * (n + 1) / 2));
        kiln_metrics met;
        kiln_context_metrics(ctx, &met);
        printf("  %s: peak %lld MB of %lld, spills %lld, tracked peak %lld MB\n", masters[m],
               (long long)met.memory_peak >> 20, (long long)met.memory_budget >> 20,
               (long long)met.spill_count, (long long)met.tracked_peak >> 20);
        assert_true(met.memory_peak <= met.memory_budget);
        if (m == 0) {
            /* Locally the tasks run in this process: its tracked memory
             * stays far below the 256 MiB emitted. */
            assert_true(met.spill_count > 0);
            assert_true(met.tracked_peak < (128ll << 20));
        }
        kiln_rdd_free(ck);
        kiln_rdd_free(sh);
        kiln_rdd_free(mp);
        kiln_rdd_free(src);
        kiln_context_free(ctx);
    }
}

/* ---- Chunks in order ---------------------------------------------------------- */

/* Each input x (an int) -> x % 7 records (x, k, x*k bytes of 'a'+k), one of
 * 2 MiB when x % 50 == 0; the function's own counter lives in the task
 * arena and is emitted last. */
static int fan_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)env;
    int64_t *count = kiln_arena_alloc(kiln_task_arena(t), sizeof *count);
    if (!count) return kiln_task_fail(t, "out of memory");
    *count = 0;
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0) {
        int64_t x = v->u.i;
        int64_t copies = x % 50 == 0 ? 1 : x % 7;
        for (int64_t k = 0; k < copies; k++) {
            size_t len = x % 50 == 0 ? (2u << 20) : (size_t)(x * k % 300);
            char *s = kiln_arena_alloc(kiln_task_arena(t), len ? len : 1);
            if (!s) return kiln_task_fail(t, "out of memory");
            memset(s, 'a' + (int)k, len);
            kiln_value items[3] = {kiln_int(x), kiln_int(k), kiln_str_ref(s, len)};
            kiln_value rec = kiln_tuple_ref(items, 3);
            if ((rc = kiln_emit(out, &rec))) return rc;
            (*count)++;
        }
    }
    if (rc < 0) return rc;
    kiln_value end = kiln_pair(kiln_task_arena(t), kiln_int(-1 - index), kiln_int(*count));
    return kiln_emit(out, &end);
}

/* Appends to want what fan_fn emits for partition p of xs. */
static size_t fan_reference(kiln_arena *a, const int64_t *xs, size_t n, int p, kiln_value *want)
{
    size_t k = 0;
    int64_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t x = xs[i];
        int64_t copies = x % 50 == 0 ? 1 : x % 7;
        for (int64_t c = 0; c < copies; c++) {
            size_t len = x % 50 == 0 ? (2u << 20) : (size_t)(x * c % 300);
            char *s = kiln_arena_alloc(a, len ? len : 1);
            memset(s, 'a' + (int)c, len);
            kiln_value items[3] = {kiln_int(x), kiln_int(c), kiln_str_ref(s, len)};
            want[k++] = kiln_tuple_new(a, items, 3);
            count++;
        }
    }
    want[k++] = kiln_pair(a, kiln_int(-1 - p), kiln_int(count));
    return k;
}

/* Passes its input on, one value at a time (a map_partitions reading one). */
static int pass_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)t;
    (void)index;
    (void)env;
    const kiln_value *v;
    int rc;
    while ((rc = kiln_in_next(in, &v)) > 0)
        if ((rc = kiln_emit(out, v))) return rc;
    return rc;
}

/* fan_fn over n ints of xs in slices partitions, alone, nested and zipped,
 * against fan_reference. */
static void fan_case(kiln_context *ctx, const int64_t *xs, size_t n, int slices)
{
    kiln_arena *a = kiln_arena_new();
    kiln_value *vals = malloc(sizeof *vals * (n ? n : 1));
    for (size_t i = 0; i < n; i++) vals[i] = kiln_int(xs[i]);
    kiln_rdd *src = kiln_parallelize(ctx, vals, n, slices);
    kiln_value *want = malloc(sizeof *want * (7 * n + (size_t)slices));
    size_t k = 0;
    for (int p = 0; p < slices; p++) {
        size_t lo = (size_t)p * n / (size_t)slices, hi = (size_t)(p + 1) * n / (size_t)slices;
        k += fan_reference(a, xs + lo, hi - lo, p, want + k);
    }
    kiln_value wl = kiln_list_ref(want, k);
    kiln_rdd *fan = kiln_rdd_map_partitions(src, fan_fn, NULL, 0);
    kiln_value got;
    assert_int_equal(kiln_rdd_collect(fan, a, &got), KILN_OK);
    kt_expect_list(&got, &wl);
    /* Nested: a map_partitions reading one. */
    kiln_rdd *nested = kiln_rdd_map_partitions(fan, pass_fn, NULL, 0);
    assert_int_equal(kiln_rdd_collect(nested, a, &got), KILN_OK);
    kt_expect_list(&got, &wl);
    /* Two flowing partitions read in lockstep. */
    kiln_rdd *zipped = kiln_rdd_zip(fan, nested);
    assert_int_equal(kiln_rdd_collect(zipped, a, &got), KILN_OK);
    assert_int_equal(got.len, k);
    for (size_t i = 0; i < k; i++) {
        kt_expect_value(&got.u.items[i].u.items[0], &want[i]);
        kt_expect_value(&got.u.items[i].u.items[1], &want[i]);
    }
    kiln_rdd_free(zipped);
    kiln_rdd_free(nested);
    kiln_rdd_free(fan);
    kiln_rdd_free(src);
    free(want);
    free(vals);
    kiln_arena_free(a);
}

static void chunks_arrive_in_order(void **state)
{
    (void)state;
    enum { N = 3000 };
    static int64_t xs[N];
    uint64_t seed = 12345;
    for (size_t i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        xs[i] = (int64_t)((seed >> 33) % 1000);
    }
    for (size_t m = 0; m < sizeof masters / sizeof *masters; m++) {
        kiln_context *ctx = context(masters[m], NULL);
        fan_case(ctx, xs, N, 5);
        fan_case(ctx, xs, N, 1);
        fan_case(ctx, xs, 3, 6); /* empty partitions */
        fan_case(ctx, xs, 0, 2);
        kiln_context_free(ctx);
    }
}

/* ---- Stopping early, failing late --------------------------------------------- */

/* Emits 0, 1, 2, ... up to 10 million; with env "ignore" it goes on after
 * kiln_emit refuses; with "fail" it fails after 100,000. */
static int count_fn(kiln_task *t, int index, kiln_in *in, kiln_out *out, const void *env)
{
    (void)in;
    const char *mode = env;
    for (int64_t i = 0; i < 10000000; i++) {
        if (!strcmp(mode, "fail") && i == 100000)
            return kiln_task_fail(t, "count_fn gave up at %lld in partition %d", (long long)i,
                                  index);
        kiln_value v = kiln_int(i);
        int rc = kiln_emit(out, &v);
        if (rc && strcmp(mode, "ignore")) return kiln_task_fail(t, "stopped at %lld", (long long)i);
    }
    return 0;
}

static void take_stops_the_function(void **state)
{
    (void)state;
    const char *modes[] = {"stop", "ignore"};
    for (size_t m = 0; m < sizeof masters / sizeof *masters; m++) {
        kiln_context *ctx = context(masters[m], NULL);
        kiln_arena *a = kiln_arena_new();
        kiln_value one = kiln_int(0);
        kiln_rdd *src = kiln_parallelize(ctx, &one, 1, 1);
        for (size_t i = 0; i < 2; i++) {
            kiln_rdd *r = kiln_rdd_map_partitions(src, count_fn, modes[i], strlen(modes[i]) + 1);
            kiln_value got;
            assert_int_equal(kiln_rdd_take(r, 5, a, &got), KILN_OK);
            assert_int_equal(got.len, 5);
            for (int64_t k = 0; k < 5; k++) assert_int_equal(got.u.items[k].u.i, k);
            kiln_rdd_free(r);
        }
        /* A failure after chunks went on fails the job, with its message. */
        kiln_rdd *r = kiln_rdd_map_partitions(src, count_fn, "fail", 5);
        int64_t n;
        assert_int_not_equal(kiln_rdd_count(r, &n), KILN_OK);
        assert_non_null(strstr(kiln_last_error(), "count_fn gave up at 100000 in partition 0"));
        kiln_rdd_free(r);
        kiln_rdd_free(src);
        kiln_arena_free(a);
        kiln_context_free(ctx);
    }
}

int main(int argc, char **argv)
{
    kt_init(&argc, &argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(big_output_into_a_shuffle_stays_in_budget),
        cmocka_unit_test(chunks_arrive_in_order),
        cmocka_unit_test(take_stops_the_function),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
