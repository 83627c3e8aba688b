/*
 * wordcount_top.c - the most frequent words of some texts, and how long it took.
 *
 *     wordcount_top [--master M] [--conf key=value]... [-n N] INPUT...
 *
 * Counts words as examples/wordcount.c does (tokens are runs of non-whitespace
 * bytes; case and punctuation are kept), then prints the N most frequent
 * (default 20) as "count<TAB>word" lines, most frequent first, and a last line
 * "D distinct words, W total words, T seconds", where T is the wall time of
 * the three jobs below (not of starting the context).
 *
 * This is what ./quickstart.sh runs:
 *
 *     build/bin/wordcount_top data/pride-and-prejudice.txt
 *     build/bin/wordcount_top --master 'local[2]' -n 5 book1.txt book2.txt.gz
 *
 * Jobs: the counts are cached, so the shuffle runs once and the three actions
 * (count, top, fold) read the cached partitions. The top N come from
 * kiln_rdd_top over (count, word) pairs: tuples compare item by item, so the
 * largest count wins and, among equal counts, the word that sorts last.
 */
#include <kiln.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints what failed and kiln's message for it. */
static void report(const char *what, int rc)
{
    const char *msg = kiln_last_error();
    fprintf(stderr, "wordcount_top: %s: %s\n", what, *msg ? msg : kiln_strerror(rc));
}

static const char usage_text[] =
    "wordcount_top [--master M] [--conf key=value]... [-n N] INPUT...\n"
    "Prints the N most frequent words (default 20) of the INPUTs as count<TAB>word\n"
    "lines, then the number of distinct and total words and the time taken.\n"
    "An INPUT is a file, a directory, a glob or a comma-separated list of them\n"
    "(compressed files and .zip / .tar archives included).\n";

static void usage(void)
{
    fprintf(stderr, "usage: %s", usage_text);
}

int main(int argc, char **argv)
{
    kiln_context *ctx = NULL;
    kiln_arena *arena = NULL;
    long n = 20;
    int status = 1;
    int rc;

    rc = kiln_init(&argc, &argv); /* first: removes --master and --conf */
    if (rc != KILN_OK) {
        report("bad kiln option", rc);
        return 2;
    }

    int done = kiln_args_check(argc, argv, usage_text, "-n=");
    if (done >= 0) return done;
    int opt;
    while ((opt = getopt(argc, argv, "n:")) != -1) {
        char *end;
        switch (opt) {
        case 'n':
            n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1) {
                fprintf(stderr, "wordcount_top: -n wants a positive number, not '%s'\n", optarg);
                return 2;
            }
            break;
        default:
            usage();
            return 2;
        }
    }
    if (optind >= argc) {
        usage();
        return 2;
    }

    rc = kiln_context_new(NULL, &ctx);
    if (rc != KILN_OK) {
        report("cannot create a context", rc);
        return 1;
    }
    arena = kiln_arena_new(); /* holds the values the actions return */
    if (arena == NULL) {
        fprintf(stderr, "wordcount_top: out of memory\n");
        goto done;
    }

    double start = now_seconds();

    /* A missing input gives NULL, and the union of a NULL is NULL. */
    kiln_rdd *lines = kiln_text_file(ctx, argv[optind], 0);
    for (int i = optind + 1; lines != NULL && i < argc; i++)
        lines = kiln_rdd_union(lines, kiln_text_file(ctx, argv[i], 0));
    /* A NULL anywhere in the chain surfaces as an error at the first action. */
    kiln_rdd *words = kiln_rdd_flat_map(lines, kiln_fn_split_whitespace, NULL, 0);
    kiln_rdd *ones = kiln_rdd_map(words, kiln_fn_pair_one, NULL, 0);
    kiln_rdd *counts = kiln_rdd_cache(kiln_rdd_reduce_by_key(ones, kiln_fn_add, NULL, 0, 0));

    /* Job 1: distinct words; it also fills the cache. */
    int64_t distinct;
    rc = kiln_rdd_count(counts, &distinct);
    if (rc != KILN_OK) {
        report("counting words failed", rc);
        goto done;
    }

    /* Job 2: the n largest (count, word) pairs, largest first. */
    kiln_value top;
    rc = kiln_rdd_top(kiln_rdd_map(counts, kiln_fn_swap, NULL, 0), (size_t)n, arena, &top);
    if (rc != KILN_OK) {
        report("finding the top words failed", rc);
        goto done;
    }

    /* Job 3: total words, the sum of the counts (0 for empty input). */
    kiln_value zero = kiln_int(0), total;
    rc = kiln_rdd_fold(kiln_rdd_values(counts), &zero, kiln_fn_add, NULL, 0, arena, &total);
    if (rc != KILN_OK) {
        report("summing the counts failed", rc);
        goto done;
    }

    double seconds = now_seconds() - start;

    for (uint32_t i = 0; i < top.len; i++) {
        const kiln_value *pair = &top.u.items[i]; /* (count, word) */
        const kiln_value *word = kiln_val(pair);
        printf("%" PRId64 "\t", kiln_key(pair)->u.i);
        fwrite(word->u.s, 1, word->len, stdout); /* not NUL-terminated */
        putchar('\n');
    }
    printf("%" PRId64 " distinct words, %" PRId64 " total words, %.3f seconds\n", distinct,
           total.u.i, seconds);
    status = 0;

done:
    kiln_arena_free(arena);
    kiln_context_free(ctx);
    return status;
}
