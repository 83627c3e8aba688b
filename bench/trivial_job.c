/*
 * trivial_job.c - the smallest complete kiln program, for start-to-exit latency.
 *
 *     trivial_job [--master M] [--conf key=value]...
 *
 * Creates a context, parallelizes the ints 0..999, counts them with one job,
 * checks that the count is 1000, frees everything and exits 0 (1 on any
 * failure). It prints nothing on success, so what a timer sees is the fixed
 * cost of a kiln program: process start, context and executor threads, one
 * job through the scheduler, and shutdown. bench/run-trivial.sh times it.
 */
#include <kiln.h>

#include <inttypes.h>
#include <stdio.h>

#define N 1000

static void report(const char *what, int rc)
{
    const char *msg = kiln_last_error();
    fprintf(stderr, "trivial_job: %s: %s\n", what, *msg ? msg : kiln_strerror(rc));
}

int main(int argc, char **argv)
{
    kiln_context *ctx = NULL;
    int rc;

    rc = kiln_init(&argc, &argv); /* first: removes --master and --conf */
    if (rc != KILN_OK) {
        report("bad kiln option", rc);
        return 2;
    }
    static const char usage_text[] =
        "trivial_job [--master M] [--conf key=value]...\n"
        "Counts 1000 ints in one job and exits: the fixed cost of a kiln program.\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc != 1) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    rc = kiln_context_new(NULL, &ctx);
    if (rc != KILN_OK) {
        report("cannot create a context", rc);
        return 1;
    }

    kiln_value values[N];
    for (int i = 0; i < N; i++) values[i] = kiln_int(i);

    int64_t count = 0;
    rc = kiln_rdd_count(kiln_parallelize(ctx, values, N, 0), &count); /* copies values */
    if (rc != KILN_OK) {
        report("the job failed", rc);
        kiln_context_free(ctx);
        return 1;
    }
    kiln_context_free(ctx);

    if (count != N) {
        fprintf(stderr, "trivial_job: counted %" PRId64 " values, expected %d\n", count, N);
        return 1;
    }
    return 0;
}
