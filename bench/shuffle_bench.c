/*
 * shuffle_bench.c - shuffle write and read throughput.
 *
 *     shuffle_bench [--master M] [--conf key=value]... RECORDS
 *
 * Shuffles RECORDS pairs (int key, 90-byte pseudo-random hex string) with
 * partition_by into as many partitions as the input has, then counts them.
 * The first job's map stage generates the records and writes the shuffle
 * (encode, lz4, checksum, files); a second job with the same RDD reuses the
 * map outputs and only reads them back (files, checksum, lz4, decode). Prints
 * the bytes of encoded records and MB/s per core for writing and reading
 * (read includes counting; write includes generating the records).
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

static int make_record(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    char text[90];
    uint64_t x = (uint64_t)in->u.i * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 90; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        text[i] = "0123456789abcdef"[x & 15];
    }
    kiln_arena *a = kiln_task_arena(t);
    *out = kiln_pair(a, *in, kiln_str_new(a, text, sizeof text));
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "shuffle_bench [--master M] [--conf k=v]... RECORDS\n"
        "Shuffle write and read throughput over RECORDS generated pairs.\n";
    if (kiln_init(&argc, &argv)) {
        fprintf(stderr, "shuffle_bench: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc != 2) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    int64_t n = strtoll(argv[1], NULL, 10);
    kiln_context *ctx;
    if (n < 1 || kiln_context_new(NULL, &ctx)) {
        fprintf(stderr, "shuffle_bench: %s\n",
                n < 1 ? "RECORDS must be positive" : kiln_last_error());
        return 1;
    }
    int cores = kiln_context_cores(ctx), parts = 4 * cores;
    kiln_rdd *recs = kiln_rdd_map(kiln_range(ctx, 0, n, 1, parts), make_record, NULL, 0);
    kiln_rdd *moved = kiln_rdd_partition_by(recs, parts, NULL, NULL, 0);
    int64_t count1 = 0, count2 = 0;
    double t0 = now();
    int rc = kiln_rdd_count(moved, &count1);
    double t1 = now();
    if (rc == KILN_OK) rc = kiln_rdd_count(moved, &count2);
    double t2 = now();
    if (rc || count1 != n || count2 != n) {
        fprintf(stderr, "shuffle_bench: %s\n", rc ? kiln_last_error() : "wrong count");
        kiln_context_free(ctx);
        return 1;
    }
    /* The encoded size of a typical record (keys near n / 2). */
    kiln_arena *a = kiln_arena_new();
    char text[90] = {0};
    kiln_value typical = kiln_pair(a, kiln_int(n / 2), kiln_str_new(a, text, sizeof text));
    kiln_buf enc;
    kiln_buf_init(&enc);
    kiln_value_encode(&enc, &typical);
    double mb = (double)n * (double)enc.len / 1e6;
    kiln_buf_release(&enc);
    kiln_arena_free(a);
    double write_s = (t1 - t0) - (t2 - t1); /* the first job also read everything */
    printf("%lld records (%.0f MB encoded), %d cores: write %.2f s = %.0f MB/s per core, "
           "read %.2f s = %.0f MB/s per core\n",
           (long long)n, mb, cores, write_s, mb / write_s / cores, t2 - t1, mb / (t2 - t1) / cores);
    kiln_context_free(ctx);
    return 0;
}
