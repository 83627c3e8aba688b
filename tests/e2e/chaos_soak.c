/*
 * tests/e2e/chaos_soak.c - the driver of the chaos soak (tests/e2e/chaos.sh):
 * runs jobs in a loop on the cluster it is given (--master, or kiln submit's)
 * for KILN_CHAOS_SECONDS (120 by default) while chaos.sh kills executors,
 * and checks every result against the same job run in a second context in
 * local[2] (every round's data differ: seeded by the round):
 *
 *   word count   flat_map, reduce_by_key           (compared as multisets)
 *   groupByKey   group_by_key                      (groups' values sorted)
 *   sort         sort_by_key over distinct keys    (compared in order)
 *   join         join of two pair RDDs             (compared as multisets)
 *
 * Prints one line per 10 rounds and, at the end, "chaos: N jobs, 0 wrong,
 * rss first A KB last B KB" (the driver's resident memory after the first
 * and the last round). Exits 1 on the first wrong result or failed job
 * (printing it), 2 on bad usage. Built into build/tests/chaos_soak; not a
 * ctest (it runs for minutes).
 */
#include <kiln.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "chaos_soak [--master M] [--conf key=value]...\n"
    "Runs word count, groupByKey, sort and join jobs in a loop for KILN_CHAOS_SECONDS\n"
    "(default 120) and compares each result with local[2]'s. tests/e2e/chaos.sh\n"
    "runs it while killing executors.\n";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size of this process in KB. */
static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static int cmp_values(const void *a, const void *b)
{
    return kiln_value_cmp(a, b);
}

/* Sorts the list's items, and each item's value when it is a list (the
 * groups of group_by_key), so results compare whatever their order. */
static void canonical(kiln_value *list)
{
    kiln_value *items = (kiln_value *)list->u.items;
    for (uint32_t i = 0; i < list->len; i++) {
        if (!kiln_is_pair(&items[i])) continue;
        kiln_value *v = (kiln_value *)kiln_val(&items[i]);
        if (v->type == KILN_LIST) qsort((void *)v->u.items, v->len, sizeof(kiln_value), cmp_values);
    }
    qsort(items, list->len, sizeof(kiln_value), cmp_values);
}

/* The data are made by the tasks from (round seed, record index), so the
 * driver holds no copy of them: what it keeps from job to job is its own. */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static uint64_t seed_of(const void *env)
{
    uint64_t s;
    memcpy(&s, env, sizeof s);
    return s;
}

/* Record i -> 1 to 12 words from a small vocabulary. */
static int gen_words(kiln_task *t, const kiln_value *in, kiln_out *out, const void *env)
{
    static const char *const vocab[] = {"kiln",   "spark", "shuffle", "stage", "task",  "executor",
                                        "driver", "block", "lineage", "fault", "chaos", "soak"};
    uint64_t h = mix(seed_of(env) * 1000003u + (uint64_t)in->u.i);
    int words = 1 + (int)(h % 12);
    for (int w = 0; w < words; w++) {
        h = mix(h + (uint64_t)w);
        char word[48];
        int len = snprintf(word, sizeof word, "%s%u", vocab[h % 12], (unsigned)(h >> 8) % 50);
        kiln_value v = kiln_str_new(kiln_task_arena(t), word, (size_t)len);
        int rc = kiln_emit(out, &v);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* Record i -> (key, value): keys among env[1] (0: distinct keys). */
static int gen_pair(kiln_task *t, const kiln_value *in, kiln_value *out, const void *env)
{
    uint64_t e[2];
    memcpy(e, env, sizeof e);
    uint64_t h = mix(e[0] * 1000003u + (uint64_t)in->u.i);
    int64_t k = e[1] ? (int64_t)(h % e[1]) : (int64_t)(h % 1000000) * 100000 + in->u.i;
    *out = kiln_pair(kiln_task_arena(t), kiln_int(k), kiln_int((int64_t)(h >> 40) % 1000));
    return KILN_OK;
}

/* The RDDs of the round, given back after it (kiln_rdd_free, which also
 * drops their shuffles on every executor): a long-lived driver that frees
 * its graphs keeps a flat memory, and chaos.sh's bound checks it. */
static kiln_rdd *round_rdds[16];
static int nround_rdds;

static kiln_rdd *keep(kiln_rdd *r)
{
    if (r && nround_rdds < (int)(sizeof round_rdds / sizeof round_rdds[0]))
        round_rdds[nround_rdds++] = r;
    return r;
}

static void release_round(void)
{
    for (int i = 0; i < nround_rdds; i++) kiln_rdd_free(round_rdds[i]);
    nround_rdds = 0;
}

static kiln_rdd *pairs(kiln_context *ctx, uint64_t seed, int64_t n, uint64_t keys, int parts)
{
    uint64_t env[2] = {seed, keys};
    return keep(kiln_rdd_map(keep(kiln_range(ctx, 0, n, 1, parts)), gen_pair, env, sizeof env));
}

enum { WORDCOUNT, GROUP, SORT, JOIN, KINDS };
static const char *const kind_names[KINDS] = {"word count", "groupByKey", "sort", "join"};

/* Runs job `kind` of the round with this seed on ctx; the result goes
 * into a (in order for sort, canonical otherwise). */
static int run_job(kiln_context *ctx, int kind, unsigned seed, kiln_arena *a, kiln_value *out)
{
    uint64_t s = seed;
    kiln_rdd *r = NULL;
    switch (kind) {
    case WORDCOUNT: {
        kiln_rdd *words = keep(
            kiln_rdd_flat_map(keep(kiln_range(ctx, 0, 4000, 1, 6)), gen_words, &s, sizeof s));
        r = kiln_rdd_reduce_by_key(keep(kiln_rdd_map(words, kiln_fn_pair_one, NULL, 0)),
                                   kiln_fn_add, NULL, 0, 4);
        break;
    }
    case GROUP:
        r = kiln_rdd_group_by_key(pairs(ctx, s, 20000, 300, 6), 4);
        break;
    case SORT:
        r = kiln_rdd_sort_by_key(pairs(ctx, s, 20000, 0, 6), true, 4);
        break;
    default:
        r = kiln_rdd_join(pairs(ctx, s, 8000, 500, 5), pairs(ctx, s + 7, 3000, 500, 3), 4);
        break;
    }
    int rc = kiln_rdd_collect(keep(r), a, out);
    if (rc == KILN_OK && kind != SORT) canonical(out);
    release_round();
    return rc;
}

int main(int argc, char **argv)
{
    int rc = kiln_init(&argc, &argv);
    if (rc != KILN_OK) {
        fprintf(stderr, "chaos_soak: %s\n", kiln_last_error());
        return 2;
    }
    int done = kiln_args_check(argc, argv, usage_text, NULL);
    if (done >= 0) return done;
    const char *env = getenv("KILN_CHAOS_SECONDS");
    double seconds = env && *env ? atof(env) : 120;

    kiln_context *ctx = NULL, *local = NULL;
    if ((rc = kiln_context_new(NULL, &ctx)) != KILN_OK) {
        fprintf(stderr, "chaos_soak: cannot create the context: %s\n", kiln_last_error());
        return 1;
    }
    kiln_conf *lc = kiln_conf_new();
    kiln_conf_set(lc, "kiln.master", "local[2]");
    kiln_conf_set(lc, "kiln.ui.showConsoleProgress", "false");
    rc = kiln_context_new(lc, &local);
    kiln_conf_free(lc);
    if (rc != KILN_OK) {
        fprintf(stderr, "chaos_soak: cannot create the local context: %s\n", kiln_last_error());
        return 1;
    }

    double start = now(), end = start + seconds;
    long first_rss = 0;
    int jobs = 0;
    int status = 0;
    for (int round = 0; now() < end || round < KINDS; round++) {
        int kind = round % KINDS;
        unsigned seed = 1000u + (unsigned)round;
        kiln_arena *a = kiln_arena_new();
        kiln_value got, want;
        double t0 = now();
        rc = run_job(ctx, kind, seed, a, &got);
        double took = now() - t0;
        if (rc != KILN_OK) {
            fprintf(stderr, "chaos_soak: round %d (%s) failed after %.1f s: %s\n", round,
                    kind_names[kind], took, kiln_last_error());
            status = 1;
        } else if ((rc = run_job(local, kind, seed, a, &want)) != KILN_OK) {
            fprintf(stderr, "chaos_soak: round %d (%s): the local[2] reference failed: %s\n", round,
                    kind_names[kind], kiln_last_error());
            status = 1;
        } else if (got.len != want.len) {
            fprintf(stderr, "chaos_soak: round %d (%s): %u results, local[2] gave %u\n", round,
                    kind_names[kind], got.len, want.len);
            status = 1;
        } else {
            for (uint32_t i = 0; i < got.len && status == 0; i++)
                if (!kiln_value_eq(&got.u.items[i], &want.u.items[i])) {
                    fprintf(stderr,
                            "chaos_soak: round %d (%s): result %u differs from local[2]'s\n", round,
                            kind_names[kind], i);
                    status = 1;
                }
        }
        kiln_arena_free(a);
        if (status) break;
        jobs++;
        if (round == 0) first_rss = rss_kb();
        if (jobs % 10 == 0 || took > 5)
            printf("chaos: %.0f s: %d jobs, last %s %.2f s, rss %ld KB\n", now() - start, jobs,
                   kind_names[kind], took, rss_kb());
        fflush(stdout);
    }
    long last_rss = rss_kb();
    printf("chaos: %d jobs, %d wrong, rss first %ld KB last %ld KB, %.0f s\n", jobs, status,
           first_rss, last_rss, now() - start);
    kiln_context_free(local);
    kiln_context_free(ctx);
    return status;
}
