/*
 * terasort.c - sorts teragen's records by their 10-byte key with kiln.
 *
 *     terasort [--master M] [--conf key=value]... INPUT OUTPUT_DIR
 *
 * Reads the lines of INPUT (a file, directory or glob), sorts them by their
 * first 10 bytes with sort_by (range partitioning from a sample of the keys,
 * then a sort of each partition that spills sorted runs when the partition
 * does not fit in the task's share of kiln.executor.memory), and writes them
 * in the Hadoop layout (OUTPUT_DIR/part-00000, ..., _SUCCESS): concatenated
 * in part order they are sorted in byte order. Prints the time and the
 * memory/spill figures to stderr.
 */
#include <kiln.h>

#include <stdio.h>
#include <time.h>

#include "bench_clock.h"

/* A line's key: its first 10 bytes (the whole line if shorter). */
static int line_key(kiln_task *t, const kiln_value *line, kiln_value *out, const void *env)
{
    if (line->type != KILN_STR) return kiln_task_fail(t, "terasort: a record is not a string");
    *out = kiln_str_ref(line->u.s, line->len < 10 ? line->len : 10);
    return 0;
}

int main(int argc, char **argv)
{
    static const char usage_text[] =
        "terasort [--master M] [--conf key=value]... INPUT OUTPUT_DIR\n"
        "Sorts teragen's records by their 10-byte key into OUTPUT_DIR.\n";
    int rc = kiln_init(&argc, &argv);
    int done = rc == KILN_OK ? kiln_args_check(argc, argv, usage_text, NULL) : -1;
    if (done >= 0) return done;
    if (rc != KILN_OK || argc != 3) {
        if (rc) fprintf(stderr, "terasort: %s\n", kiln_last_error());
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    kiln_context *ctx;
    if ((rc = kiln_context_new(NULL, &ctx)) != KILN_OK) {
        fprintf(stderr, "terasort: %s\n", kiln_last_error());
        return 1;
    }
    double start = now();
    kiln_rdd *lines = kiln_text_file(ctx, argv[1], 0);
    kiln_rdd *sorted = kiln_rdd_sort_by(lines, line_key, NULL, 0, true, 0);
    rc = kiln_rdd_save_as_text_file(sorted, argv[2]);
    if (rc != KILN_OK) {
        fprintf(stderr, "terasort: %s\n", kiln_last_error());
        kiln_context_free(ctx);
        return 1;
    }
    kiln_metrics m;
    kiln_context_metrics(ctx, &m);
    fprintf(stderr,
            "terasort: sorted %s into %s in %.2f s (budget %lld MiB, peak accounted %lld MiB, "
            "%lld spills of %lld MiB)\n",
            argv[1], argv[2], now() - start, (long long)(m.memory_budget >> 20),
            (long long)(m.memory_peak >> 20), (long long)m.spill_count,
            (long long)(m.spill_bytes >> 20));
    kiln_context_free(ctx);
    return 0;
}
