/*
 * fetch_retry_bench.c - the price of shuffle fetch retries.
 *
 *     KILN_FAULTS=net_reset:p=0.05 \
 *         fetch_retry_bench --master 'local-cluster[2,1,1024]' PAIRS PARTITIONS
 *
 * Sums PAIRS pairs (x mod 100003, x) by key over PARTITIONS map and
 * PARTITIONS reduce partitions (PARTITIONS^2 shuffle segments, most fetched
 * from another executor), and checks the total. Run it with and without
 * KILN_FAULTS (every executor resets that share of its block server's
 * fetch connections, base/fault.h) to see what the retries cost. Prints the
 * wall time and, from the engine's metrics, the bytes fetched from other
 * executors, the time tasks waited for them (retries included), the
 * fetches retried and the failed task attempts (a fetch
 * failure, which recomputes a map output, is one).
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>

#include "bench_clock.h"

enum { KEYS = 100003 };

static int key_of(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(in->u.i % KEYS), kiln_int(in->u.i));
    return 0;
}

static int add(kiln_task *t, const kiln_value *x, const kiln_value *y, kiln_value *out,
               const void *env)
{
    (void)t, (void)env;
    *out = kiln_int(x->u.i + y->u.i);
    return 0;
}

static int sum_values(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)t, (void)env;
    *out = kiln_int(kiln_val(in)->u.i);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "fetch_retry_bench [--master M] [--conf k=v]... PAIRS PARTITIONS\n"
        "A shuffle of PARTITIONS x PARTITIONS segments, timed (set KILN_FAULTS to reset\n"
        "some of the executors' fetch connections).\n";
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "fetch_retry_bench: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc != 3) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int64_t n = strtoll(argv[1], NULL, 10), parts = strtoll(argv[2], NULL, 10);
    kiln_context *ctx;
    if (n < 1 || parts < 1 || parts > 100000 || kiln_context_new(NULL, &ctx)) {
        fprintf(stderr, "fetch_retry_bench: %s\n",
                n < 1 || parts < 1 || parts > 100000 ? "PAIRS and PARTITIONS must be positive"
                                                     : kiln_last_error());
        return 1;
    }
    double t0 = now();
    kiln_rdd *pairs = kiln_rdd_map(kiln_range(ctx, 0, n, 1, (int)parts), key_of, NULL, 0);
    kiln_rdd *sums = kiln_rdd_reduce_by_key(pairs, add, NULL, 0, (int)parts);
    kiln_value total = kiln_int(0);
    kiln_arena *a = kiln_arena_new();
    int rc = a ? kiln_rdd_reduce(kiln_rdd_map(sums, sum_values, NULL, 0), add, NULL, 0, a, &total)
               : KILN_ENOMEM;
    kiln_arena_free(a);
    double t1 = now();
    if (rc || total.u.i != n * (n - 1) / 2) {
        fprintf(stderr, "fetch_retry_bench: %s\n", rc ? kiln_last_error() : "wrong total");
        kiln_context_free(ctx);
        return 1;
    }
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    printf("%.3f s: %lld pairs, %lld x %lld segments; %.1f MB fetched from other executors, "
           "%.3f s waited for them, %lld fetches retried, %lld failed attempts\n",
           t1 - t0, (long long)n, (long long)parts, (long long)parts,
           (double)m.remote_fetch_bytes / 1e6, (double)m.remote_fetch_us / 1e6,
           (long long)m.remote_fetch_retries, (long long)m.failed_attempts);
    kiln_context_free(ctx);
    return 0;
}
