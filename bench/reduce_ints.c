/*
 * reduce_ints.c - reduce_by_key over generated integer pairs.
 *
 *     reduce_ints [--master M] [--conf key=value]... PAIRS KEYS
 *     reduce_ints --master 'local[2]' 50000000 5000000
 *
 * Makes PAIRS pairs (k, 1) with k = a fixed hash of the row number modulo
 * KEYS (every key about equally common), sums them with reduce_by_key and
 * checks the result: KEYS keys (or fewer when PAIRS is small) whose counts
 * add up to PAIRS. Prints the time, the memory budget, the peak of accounted
 * memory and the spills, so runs with a small kiln.executor.memory show the
 * cost of spilling.
 */
#include <kiln.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

static int pair_of_row(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    uint64_t keys;
    memcpy(&keys, env, sizeof keys);
    uint64_t x = (uint64_t)in->u.i * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    *out = kiln_pair(kiln_task_arena(t), kiln_int((int64_t)(x % keys)), kiln_int(1));
    return 0;
}

static int count_of(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    *out = *kiln_val(in);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "reduce_ints [--master M] [--conf k=v]... PAIRS KEYS\n"
        "reduce_by_key over PAIRS generated (key, 1) pairs with KEYS keys.\n";
    int rc = kiln_init(&argc, &argv);
    if (rc) {
        fprintf(stderr, "reduce_ints: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc != 3) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int64_t pairs = strtoll(argv[1], NULL, 10);
    uint64_t keys = strtoull(argv[2], NULL, 10);
    if (pairs < 1 || keys < 1) {
        fprintf(stderr, "reduce_ints: PAIRS and KEYS must be positive\n");
        return 2;
    }
    kiln_context *ctx;
    if (kiln_context_new(NULL, &ctx)) {
        fprintf(stderr, "reduce_ints: %s\n", kiln_last_error());
        return 1;
    }
    double start = now();
    int parts = 2 * kiln_context_default_parallelism(ctx) * 4;
    kiln_rdd *rows = kiln_range(ctx, 0, pairs, 1, parts);
    kiln_rdd *kv = kiln_rdd_map(rows, pair_of_row, &keys, sizeof keys);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(kv, kiln_fn_add, NULL, 0, parts);
    kiln_stats st;
    rc = kiln_rdd_stats(kiln_rdd_map(sums, count_of, NULL, 0), &st);
    if (rc) {
        fprintf(stderr, "reduce_ints: %s\n", kiln_last_error());
        kiln_context_free(ctx);
        return 1;
    }
    double secs = now() - start;
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    bool ok = (int64_t)st.sum == pairs && (uint64_t)st.count <= keys;
    printf("%" PRId64 " pairs, %" PRId64 " keys, counts sum to %.0f: %s\n", pairs, st.count, st.sum,
           ok ? "ok" : "WRONG");
    fprintf(stderr,
            "reduce_ints: %.2f s (budget %lld MiB, peak accounted %lld MiB, peak in arenas and "
            "buffers %lld MiB, %lld spills of %lld MiB)\n",
            secs, (long long)(m.memory_budget >> 20), (long long)(m.memory_peak >> 20),
            (long long)(m.tracked_peak >> 20), (long long)m.spill_count,
            (long long)(m.spill_bytes >> 20));
    kiln_context_free(ctx);
    return ok ? 0 : 1;
}
