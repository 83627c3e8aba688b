/*
 * fetch_bench.c - shuffle fetch throughput between executors.
 *
 *     fetch_bench --master local-cluster[2,1,2048] [--conf key=value]... MB
 *
 * Shuffles about MB megabytes of incompressible records (64 KiB random
 * strings) with partition_by, then counts them twice: the first job writes
 * the map outputs on the executors, the second reuses them, so its reduce
 * tasks only fetch and read. Prints, for the second job, the bytes fetched
 * from the other executor's block server, the time tasks waited for them,
 * and the throughput that gives (from the engine's metrics), and the job's
 * wall time.
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

enum { RECORD = 64 * 1024 };

static int make_record(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    (void)env;
    kiln_arena *a = kiln_task_arena(t);
    char *text = kiln_arena_alloc(a, RECORD);
    if (!text) return KILN_ENOMEM;
    uint64_t x = (uint64_t)in->u.i * 0x9E3779B97F4A7C15ull + 1;
    for (int i = 0; i < RECORD; i += 8) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        for (int k = 0; k < 8; k++) text[i + k] = (char)(x >> (8 * k));
    }
    *out = kiln_pair(a, *in, kiln_str_new(a, text, RECORD));
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "fetch_bench [--master M] [--conf k=v]... MB\n"
        "Shuffle fetch throughput between executors (use a local-cluster master).\n";
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "fetch_bench: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int64_t mb = strtoll(argv[1], NULL, 10), n = mb * (1 << 20) / RECORD;
    kiln_context *ctx;
    if (n < 1 || kiln_context_new(NULL, &ctx)) {
        fprintf(stderr, "fetch_bench: %s\n", n < 1 ? "MB must be positive" : kiln_last_error());
        return 1;
    }
    int parts = 2 * kiln_context_cores(ctx);
    kiln_rdd *recs = kiln_rdd_map(kiln_range(ctx, 0, n, 1, parts), make_record, NULL, 0);
    kiln_rdd *moved = kiln_rdd_partition_by(recs, parts, NULL, NULL, 0);
    int64_t count1 = 0, count2 = 0;
    int rc = kiln_rdd_count(moved, &count1);
    kiln_metrics before, after;
    kiln_context_metrics(ctx, &before);
    double t0 = now();
    if (rc == KILN_OK) rc = kiln_rdd_count(moved, &count2);
    double t1 = now();
    kiln_context_metrics(ctx, &after);
    if (rc || count1 != n || count2 != n) {
        fprintf(stderr, "fetch_bench: %s\n", rc ? kiln_last_error() : "wrong count");
        kiln_context_free(ctx);
        return 1;
    }
    double bytes = (double)(after.remote_fetch_bytes - before.remote_fetch_bytes);
    double secs = (double)(after.remote_fetch_us - before.remote_fetch_us) / 1e6;
    printf("%lld records of %d KiB, %d partitions: fetched %.0f MB from the other executor in "
           "%.3f s of waiting = %.2f GB/s; read job %.2f s\n",
           (long long)n, RECORD / 1024, parts, bytes / 1e6, secs,
           secs > 0 ? bytes / secs / 1e9 : 0.0, t1 - t0);
    kiln_context_free(ctx);
    return 0;
}
