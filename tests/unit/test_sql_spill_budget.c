/*
 * tests/unit/test_sql_spill_budget.c - SQL under a small memory budget
 * (kiln.executor.memory=64m, local[2]): a GROUP BY with 10M groups and a
 * join whose build side is several times the budget give the same answers
 * as without a budget (the default 1g, where nothing spills) and as a
 * direct computation, spill (kiln_metrics.spill_count), and keep the
 * accounted memory within the budget (memory_peak).
 *
 * `test_sql_spill_budget --query group|join [--memory 64m]` runs one query
 * once and prints its result and seconds (for /usr/bin/time in
 * docs/benchmarks.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"

/* 10M rows into 10M groups (id * 7 % 10M is a permutation), in scrambled order. */
#define GROUP_SQL                                                                                  \
    "SELECT count(*), sum(c), sum(k), sum(hash(k, c)) FROM "                                       \
    "(SELECT id * 7 % 10000000 AS k, count(*) AS c FROM range(10000000) GROUP BY id * 7 % "        \
    "10000000)"
/* A build side of 6M rows (about 7x the budget in the hash table), 4M probe
 * rows, every second one matching. */
#define JOIN_SQL                                                                                   \
    "SELECT count(*), sum(r.w), sum(l.id), sum(hash(l.id, r.w, r.s)) FROM range(4000000) l JOIN "  \
    "(SELECT id AS k, id * 3 AS w, cast(id AS string) AS s FROM range(6000000)) r "                \
    "ON l.id * 2 = r.k"

typedef struct outcome {
    int64_t v[5];
    int nv;
    kiln_metrics m;
    double secs;
} outcome;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run_query(const char *memory, const char *sql, outcome *out)
{
    kiln_conf *conf = kiln_conf_new();
    kiln_conf_set(conf, "kiln.master", "local[2]");
    if (memory) kiln_conf_set(conf, "kiln.executor.memory", memory);
    kiln_context *ctx = NULL;
    int rc = kiln_context_new(conf, &ctx);
    kiln_conf_free(conf);
    if (rc) return rc;
    kiln_session *s = NULL;
    rc = kiln_session_new(ctx, &s);
    kiln_arena *a = kiln_arena_new();
    memset(out, 0, sizeof *out);
    double t0 = now();
    kiln_value rows;
    if (!rc) rc = kiln_df_collect(kiln_sql(s, sql), a, &rows);
    out->secs = now() - t0;
    if (!rc && rows.len == 1) {
        const kiln_value *row = &rows.u.items[0];
        out->nv = (int)row->len;
        for (uint32_t i = 0; i < row->len && i < 5; i++)
            out->v[i] = row->u.items[i].type == KILN_INT ? row->u.items[i].u.i : INT64_MIN;
    } else if (!rc) {
        rc = KILN_ECORRUPT;
    }
    if (rc) fprintf(stderr, "query failed: %s\n", kiln_last_error());
    kiln_context_metrics(ctx, &out->m);
    kiln_arena_free(a);
    kiln_session_free(s);
    kiln_context_free(ctx);
    return rc;
}

static void compare(const char *sql, const int64_t *expect, int nexpect)
{
    outcome big, small;
    assert_int_equal(run_query(NULL, sql, &big), KILN_OK);
    assert_int_equal(run_query("64m", sql, &small), KILN_OK);
    printf("  1g: %.1f s, spills %lld (%lld MB), peak %lld MB\n", big.secs,
           (long long)big.m.spill_count, (long long)(big.m.spill_bytes >> 20),
           (long long)(big.m.memory_peak >> 20));
    printf("  64m: %.1f s, spills %lld (%lld MB), peak %lld MB\n", small.secs,
           (long long)small.m.spill_count, (long long)(small.m.spill_bytes >> 20),
           (long long)(small.m.memory_peak >> 20));
    assert_int_equal(big.nv, small.nv);
    for (int i = 0; i < big.nv; i++) assert_int_equal(big.v[i], small.v[i]);
    for (int i = 0; i < nexpect; i++) assert_int_equal(small.v[i], expect[i]);
    assert_true(small.m.spill_count > 0);
    assert_true(small.m.memory_peak <= small.m.memory_budget);
}

static void group_by_ten_million_groups(void **state)
{
    (void)state;
    /* count, sum(c), sum(k) computed directly. */
    int64_t sumk = (int64_t)9999999 * 10000000 / 2;
    const int64_t expect[] = {10000000, 10000000, sumk};
    compare(GROUP_SQL, expect, 3);
}

static void join_build_side_over_the_budget(void **state)
{
    (void)state;
    /* l.id in [0, 3M) match r.k = 2 l.id < 6M: 3M rows, w = 6 l.id. */
    int64_t n = 3000000, sum_id = n * (n - 1) / 2;
    const int64_t expect[] = {n, 6 * sum_id, sum_id};
    compare(JOIN_SQL, expect, 3);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "--query") == 0) {
        const char *sql = strcmp(argv[2], "join") == 0 ? JOIN_SQL : GROUP_SQL;
        const char *mem = argc >= 5 && strcmp(argv[3], "--memory") == 0 ? argv[4] : NULL;
        outcome o;
        int rc = run_query(mem, sql, &o);
        if (rc) return 1;
        for (int i = 0; i < o.nv; i++) printf("%lld ", (long long)o.v[i]);
        printf("\n%.2f s, %lld spills, %lld MB spilled, accounted peak %lld MB\n", o.secs,
               (long long)o.m.spill_count, (long long)(o.m.spill_bytes >> 20),
               (long long)(o.m.memory_peak >> 20));
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(group_by_ten_million_groups),
        cmocka_unit_test(join_build_side_over_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
