/*
 * pi.c - estimates pi by throwing points at a square, as Spark's SparkPi.
 *
 *     pi [--master M] [--conf key=value]... [SLICES]
 *
 * Draws n = 100000 * SLICES points (SLICES defaults to 2, and is also the
 * number of partitions) uniformly in the square [-1, 1) x [-1, 1) and counts
 * those inside the unit circle: that fraction tends to pi/4. Prints
 * "Pi is roughly 3.14...".
 *
 *     build/bin/pi
 *     build/bin/pi --master 'local[4]' 100
 *
 * Point i comes from a hash of i (splitmix64), not from a random generator
 * with state, so the answer depends only on SLICES: the same for any master,
 * any number of threads and any retried task. This is how to write random
 * user functions that stay deterministic.
 */
#include <kiln.h>

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* The splitmix64 finaliser: consecutive inputs give unrelated-looking outputs. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Maps 64 random bits to a double uniform in [-1, 1), from the top 53 bits. */
static double uniform_pm1(uint64_t bits)
{
    return (double)(bits >> 11) * 0x1.0p-52 - 1.0;
}

/* The user function, a kiln_filter_fn: keeps index i when point i is inside
 * the unit circle. Borrows in; needs no env. */
static int in_circle(kiln_task *t, const kiln_value *in, bool *keep, const void *env)
{
    (void)env;
    if (in->type != KILN_INT)
        return kiln_task_fail(t, "in_circle: expected an int, got a value of type %d", in->type);
    uint64_t i = (uint64_t)in->u.i;
    double x = uniform_pm1(splitmix64(2 * i));
    double y = uniform_pm1(splitmix64(2 * i + 1));
    *keep = x * x + y * y <= 1.0;
    return 0;
}

static void report(const char *what, int rc)
{
    const char *msg = kiln_last_error();
    fprintf(stderr, "pi: %s: %s\n", what, *msg ? msg : kiln_strerror(rc));
}

int main(int argc, char **argv)
{
    kiln_context *ctx = NULL;
    long slices = 2;
    int rc;

    rc = kiln_init(&argc, &argv); /* first: removes --master and --conf */
    if (rc != KILN_OK) {
        report("bad kiln option", rc);
        return 2;
    }
    static const char usage_text[] =
        "pi [--master M] [--conf key=value]... [SLICES]\n"
        "Estimates pi from 100,000 x SLICES points (default 2 slices).\n";
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    if (argc > 2) {
        fprintf(stderr, "usage: %s", usage_text);
        return 2;
    }
    if (argc == 2) {
        char *end;
        slices = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || slices < 1 || slices > INT_MAX) {
            fprintf(stderr, "pi: SLICES must be a positive number, not '%s'\n", argv[1]);
            return 2;
        }
    }
    int64_t n = 100000 * (int64_t)slices;

    rc = kiln_context_new(NULL, &ctx);
    if (rc != KILN_OK) {
        report("cannot create a context", rc);
        return 1;
    }

    /* The indices 0..n-1 in SLICES partitions, kept when their point is inside. */
    kiln_rdd *inside = kiln_rdd_filter(kiln_range(ctx, 0, n, 1, (int)slices), in_circle, NULL, 0);
    int64_t count;
    rc = kiln_rdd_count(inside, &count);
    if (rc != KILN_OK) {
        report("the job failed", rc);
        kiln_context_free(ctx);
        return 1;
    }

    printf("Pi is roughly %.6f (%" PRId64 " of %" PRId64 " points inside)\n",
           4.0 * (double)count / (double)n, count, n);
    kiln_context_free(ctx);
    return 0;
}
