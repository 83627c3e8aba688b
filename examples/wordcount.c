/*
 * wordcount.c - the classic word count, written to files in the Hadoop layout.
 *
 *     wordcount [--master M] [--conf key=value]... INPUT... OUTPUT_DIR
 *
 * Reads every INPUT (a file, a directory, a glob, or a comma-separated list
 * of them; .gz, .bz2 and .zst are decompressed, and the members of .zip and
 * .tar archives are read as files), splits lines into tokens on runs of ASCII whitespace (case and
 * punctuation are kept, so "The", "the" and "the," are three words), counts
 * each token and writes one "word<TAB>count" line per distinct word to
 * OUTPUT_DIR/part-NNNNN, then OUTPUT_DIR/_SUCCESS. OUTPUT_DIR must not exist.
 * The lines come in no particular order: `cat OUTPUT_DIR/part-* | sort`.
 *
 * Example, from the repository root after `make`:
 *
 *     build/bin/wordcount --master 'local[2]' data/pride-and-prejudice.txt /tmp/wc
 *
 * The job is Spark's
 *     sc.textFile(in).flatMap(_.split("\\s+")).map((_, 1)).reduceByKey(_ + _)
 * built from kiln's built-in functions only. On success the program prints one
 * summary line to stderr; on failure, kiln's error message (such as "Input
 * path does not exist: /nosuch.txt") and exit status 1.
 */
#include <kiln.h>

#include <stdio.h>
#include <time.h>

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char usage_text[] =
    "wordcount [--master M] [--conf key=value]... INPUT... OUTPUT_DIR\n"
    "Counts the words (runs of non-whitespace) of every INPUT and writes\n"
    "word<TAB>count lines to OUTPUT_DIR/part-NNNNN, then OUTPUT_DIR/_SUCCESS.\n"
    "An INPUT is a file, a directory, a glob or a comma-separated list of them;\n"
    ".gz, .bz2 and .zst files are decompressed, and each regular member of a\n"
    ".zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.zst or .tar.xz is read as a file.\n"
    "OUTPUT_DIR must not exist.\n";

/* Prints what failed and kiln's message for it. */
static void report(const char *what, int rc)
{
    const char *msg = kiln_last_error();
    fprintf(stderr, "wordcount: %s: %s\n", what, *msg ? msg : kiln_strerror(rc));
}

int main(int argc, char **argv)
{
    kiln_context *ctx = NULL;
    int rc;

    /* kiln_init first: it removes --master and --conf from argv. */
    rc = kiln_init(&argc, &argv);
    if (rc != KILN_OK) {
        report("bad kiln option", rc);
        return 2;
    }
    /* --help, --version, and an error for any option but kiln's. */
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc < 3) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    const char *output_dir = argv[argc - 1];

    rc = kiln_context_new(NULL, &ctx);
    if (rc != KILN_OK) {
        report("cannot create a context", rc);
        return 1;
    }

    double start = now_seconds();

    /* One RDD of lines over all inputs. An input that names nothing makes
     * kiln_text_file return NULL ("Input path does not exist: ..."); the
     * union of a NULL is NULL, so the job below fails with that message. */
    kiln_rdd *lines = kiln_text_file(ctx, argv[1], 0);
    for (int i = 2; lines != NULL && i < argc - 1; i++)
        lines = kiln_rdd_union(lines, kiln_text_file(ctx, argv[i], 0));

    /* Transformations return NULL on error and pass a NULL input on, so the
     * chain is checked once, at the action; kiln_last_error() then holds the
     * first failure. */
    kiln_rdd *words = kiln_rdd_flat_map(lines, kiln_fn_split_whitespace, NULL, 0);
    kiln_rdd *ones = kiln_rdd_map(words, kiln_fn_pair_one, NULL, 0);          /* (word, 1) */
    kiln_rdd *counts = kiln_rdd_reduce_by_key(ones, kiln_fn_add, NULL, 0, 0); /* (word, n) */
    kiln_rdd *tsv = kiln_rdd_map(counts, kiln_fn_pair_to_tsv, NULL, 0);       /* "word\tn" */

    rc = kiln_rdd_save_as_text_file(tsv, output_dir);
    if (rc != KILN_OK) {
        report("word count failed", rc);
        kiln_context_free(ctx);
        return 1;
    }

    fprintf(stderr, "wordcount: wrote %s in %.2f s\n", output_dir, now_seconds() - start);
    kiln_context_free(ctx); /* also frees every RDD made from it */
    return 0;
}
