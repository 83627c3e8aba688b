/*
 * test_sql_distinct_agg.c - DISTINCT aggregates rewritten into two
 * aggregates (optimize_distinct.c, Spark's RewriteDistinctAggregates) end
 * to end through kiln_sql: count / sum / avg / min / max (DISTINCT x),
 * count(DISTINCT x, s), DISTINCT over expressions, doubles with -0.0 and
 * strings, FILTER on DISTINCT and non-distinct calls, mixed with count(*),
 * count, count_if, sum, min, max, bool_and, bool_or; global and grouped by
 * an int key skewed to one value (30 %), a unicode string key and both;
 * empty input; against sqlite3 on random rows with nulls in every column.
 * EXPLAIN shows two aggregates where the rule applies (a global
 * count(DISTINCT x) deduplicates in an exchange by x, so in more than one
 * task) and the old complete aggregate where it must not (two distinct
 * groups, a non-distinct stddev), whose answers are checked too. A spill
 * test: 4M (key, value) pairs under kiln.executor.memory=16m give the
 * same answer as without a budget and as a direct computation, and
 * spill. CMake runs it again under local-cluster[2,1,256]. The sqlite3
 * comparisons are skipped with a message without /usr/bin/sqlite3.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_rand.h"
#include "kt_rows.h"

#define NROWS 5000
#define NKEYS 60

static kiln_context *ctx;
static kiln_session *S;
static char dir[64], db[128];
static bool have_sqlite;
static uint64_t rng = 0xD157A6C7B00F1234ull;

static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static const char *const gs[] = {"a", "b", "é", "日本", "Zürich", "ß"};
static const char *const ss[] = {"x", "y", "é1", "é2", "日", "zz", "a b", "ß", "", "Ω"};

/* t(id, k, g, x, y, d, s): k skewed to 7 (30 %), key 99 one row; x in
 * 0..199 (many repeats); y in -1000..1000; d quarters with -0.0 and 0.0;
 * nulls in every column but id. */
static int write_rows(void)
{
    static const char *const cols[] = {"id INTEGER", "k INTEGER", "g TEXT", "x INTEGER",
                                       "y INTEGER",  "d REAL",    "s TEXT"};
    kt_table t;
    if (kt_table_open(&t, dir, "t", cols, 7)) return -1;
    for (int i = 0; i < NROWS; i++) {
        char id[16], k[16], x[16], y[16], d[16];
        const char *v[7] = {id, k, NULL, x, y, d, NULL};
        snprintf(id, sizeof id, "%d", i);
        if (i == 0) snprintf(k, sizeof k, "99");
        else if (rnd() % 20) snprintf(k, sizeof k, "%d", rnd() % 10 < 3 ? 7 : (int)(rnd() % NKEYS));
        else v[1] = NULL;
        if (rnd() % 12) v[2] = gs[rnd() % 6];
        if (rnd() % 10) snprintf(x, sizeof x, "%d", (int)(rnd() % 200));
        else v[3] = NULL;
        if (rnd() % 8) snprintf(y, sizeof y, "%d", (int)(rnd() % 2001) - 1000);
        else v[4] = NULL;
        uint64_t c = rnd() % 10;
        if (c == 0) snprintf(d, sizeof d, "-0.0");
        else if (c > 1) snprintf(d, sizeof d, "%.2f", (double)((int)(rnd() % 81) - 40) / 4.0);
        else v[5] = NULL;
        if (rnd() % 9) v[6] = ss[rnd() % 10];
        kt_table_row(&t, v);
    }
    return kt_table_close(&t);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-dagg-%d", (int)getpid());
    if (mkdir(dir, 0700) || write_rows()) return -1;
    char script[128], csv[128];
    snprintf(db, sizeof db, "%s/ref.db", dir);
    snprintf(script, sizeof script, "%s/t.sql", dir);
    snprintf(csv, sizeof csv, "%s/t.csv", dir);
    if (kt_sqlite_load(db, script, &have_sqlite) || kt_sql_open(&ctx, &S)) return -1;
    /* More shuffle partitions than some queries have keys: empty tasks. */
    kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", "3");
    const char *opts[] = {"nullValue", "\\N", NULL};
    return kt_csv_view(S, "t", csv, "id INT, k INT, g STRING, x INT, y BIGINT, d DOUBLE, s STRING",
                       opts);
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    kt_rm_rf(dir);
    return 0;
}

/* Whether q's plan was rewritten: a partial aggregate (twice for a global
 * one; grouped, the outer aggregate runs complete in the inner one's tasks,
 * which are exchanged by the group keys alone), where the old path has
 * only a complete aggregate keeping distinct sets over exchanged rows. */
static bool rewritten(const char *q)
{
    char *e = kt_sql_explain(S, q);
    const char *phys = strstr(e, "== Physical Plan ==");
    assert_non_null(phys);
    int partial = 0;
    for (const char *at = phys; (at = strstr(at, "HashAggregate(partial)")); at++) partial++;
    bool complete = strstr(phys, "HashAggregate(complete)") != NULL;
    if (!partial && !complete) fail_msg("%s: unexpected plan\n%s", q, e);
    free(e);
    return partial >= 1;
}

/* kq's rows (kiln) equal sq's (sqlite3); the plan was rewritten or not. */
static void check2(const char *kq, const char *sq, bool rewrite)
{
    if (rewritten(kq) != rewrite)
        fail_msg("%s: %s", kq, rewrite ? "not rewritten" : "rewritten unexpectedly");
    if (!have_sqlite) {
        printf("skipped (no /usr/bin/sqlite3): %s\n", kq);
        return;
    }
    kt_lines got = kt_df_lines(kiln_sql(S, kq), kq), want = kt_sqlite_lines(db, sq);
    kt_lines_same(&got, &want, kq);
}

static void check(const char *q, bool rewrite)
{
    check2(q, q, rewrite);
}

/* ---- Against sqlite3 ---------------------------------------------------------------------- */

/* The distinct calls of x, as both engines spell them (avg truncated to
 * millionths: both divide the same exact sum once). */
#define DX                                                                                         \
    "count(DISTINCT x), sum(DISTINCT x), CAST(avg(DISTINCT x) * 1000000 AS BIGINT), "              \
    "min(DISTINCT x), max(DISTINCT x)"

static const char *const groupings[] = {"", "k", "g", "k, g"};
static const char *const wheres[] = {"", "WHERE id < 0", "WHERE k = 7", "WHERE id % 97 = 0"};

static void distinct_only(void **state)
{
    (void)state;
    char q[1024];
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 4; i++) {
            const char *by = groupings[i];
            snprintf(q, sizeof q, "SELECT %s%s" DX " FROM t %s %s%s", by, *by ? ", " : "",
                     wheres[w], *by ? "GROUP BY " : "", by);
            check(q, true);
            /* doubles: -0.0 and 0.0 are one value */
            snprintf(q, sizeof q,
                     "SELECT %s%scount(DISTINCT d), CAST(sum(DISTINCT d) * 4 AS BIGINT), "
                     "CAST(min(DISTINCT d) * 4 AS BIGINT) FROM t %s %s%s",
                     by, *by ? ", " : "", wheres[w], *by ? "GROUP BY " : "", by);
            check(q, true);
            /* strings */
            snprintf(q, sizeof q, "SELECT %s%scount(DISTINCT s), max(DISTINCT s) FROM t %s %s%s",
                     by, *by ? ", " : "", wheres[w], *by ? "GROUP BY " : "", by);
            check(q, true);
        }
}

static void several_arguments_and_expressions(void **state)
{
    (void)state;
    char q[1024], sq[1024];
    for (int i = 0; i < 4; i++) {
        const char *by = groupings[i];
        const char *c = *by ? ", " : "", *gb = *by ? "GROUP BY " : "";
        /* count(DISTINCT x, s): rows whose arguments are all non-null;
         * sqlite3 takes one argument: x || '|' || s is null when either is */
        snprintf(q, sizeof q, "SELECT %s%scount(DISTINCT x, s) FROM t %s%s", by, c, gb, by);
        snprintf(sq, sizeof sq, "SELECT %s%scount(DISTINCT x || '|' || s) FROM t %s%s", by, c, gb,
                 by);
        check2(q, sq, true);
        snprintf(q, sizeof q, "SELECT %s%scount(DISTINCT x, s), count(DISTINCT s, x) FROM t %s%s",
                 by, c, gb, by);
        snprintf(sq, sizeof sq,
                 "SELECT %s%scount(DISTINCT x || '|' || s), count(DISTINCT x || '|' || s) FROM t "
                 "%s%s",
                 by, c, gb, by);
        check2(q, sq, true);
        /* expressions: the same expression in every call */
        snprintf(q, sizeof q,
                 "SELECT %s%scount(DISTINCT x %% 7), sum(DISTINCT x %% 7), max(DISTINCT x %% 7) "
                 "FROM t %s%s",
                 by, c, gb, by);
        check(q, true);
        snprintf(q, sizeof q,
                 "SELECT %s%scount(DISTINCT y * 2 + x) FROM t WHERE x IS NOT NULL %s%s", by, c, gb,
                 by);
        check(q, true);
    }
    /* HAVING and ORDER BY over distinct counts */
    check("SELECT k, count(DISTINCT x) AS c FROM t GROUP BY k HAVING count(DISTINCT x) > 40", true);
    check("SELECT g, count(DISTINCT s) FROM t GROUP BY g ORDER BY 2 DESC, 1 LIMIT 3", true);
    /* the rewritten aggregate inside a join and a subquery */
    check("SELECT a.k, a.c, b.n FROM (SELECT k, count(DISTINCT x) AS c FROM t GROUP BY k) a "
          "JOIN (SELECT k, count(*) AS n FROM t GROUP BY k) b ON a.k = b.k",
          true);
}

static void mixed_with_other_aggregates(void **state)
{
    (void)state;
    char q[1024], sq[1024];
    for (int w = 0; w < 4; w++)
        for (int i = 0; i < 4; i++) {
            const char *by = groupings[i];
            const char *c = *by ? ", " : "", *gb = *by ? "GROUP BY " : "";
            snprintf(q, sizeof q,
                     "SELECT %s%scount(DISTINCT x), count(*), count(y), sum(y), min(y), max(s), "
                     "sum(DISTINCT x), CAST(min(d) * 4 AS BIGINT), count(x, y) FROM t %s %s%s",
                     by, c, wheres[w], gb, by);
            snprintf(sq, sizeof sq,
                     "SELECT %s%scount(DISTINCT x), count(*), count(y), sum(y), min(y), max(s), "
                     "sum(DISTINCT x), CAST(min(d) * 4 AS BIGINT), count(x + y) FROM t %s %s%s",
                     by, c, wheres[w], gb, by);
            check2(q, sq, true);
            /* count_if, bool_or and bool_and (sqlite3: count, max and min) */
            snprintf(q, sizeof q,
                     "SELECT %s%sCAST(avg(DISTINCT y) * 1000000 AS BIGINT), count_if(y > 0), "
                     "bool_or(y > 900), "
                     "bool_and(y > -1000) FROM t %s %s%s",
                     by, c, wheres[w], gb, by);
            snprintf(sq, sizeof sq,
                     "SELECT %s%sCAST(avg(DISTINCT y) * 1000000 AS BIGINT), count(CASE WHEN y > 0 "
                     "THEN 1 END), "
                     "max(y > 900), min(y > -1000) FROM t %s %s%s",
                     by, c, wheres[w], gb, by);
            if (w == 0 || i == 0) check2(q, sq, true);
        }
}

static void filters(void **state)
{
    (void)state;
    char q[1024];
    for (int i = 0; i < 4; i++) {
        const char *by = groupings[i];
        const char *c = *by ? ", " : "", *gb = *by ? "GROUP BY " : "";
        snprintf(q, sizeof q,
                 "SELECT %s%scount(DISTINCT x) FILTER (WHERE y > 900), "
                 "sum(DISTINCT x) FILTER (WHERE s < 'y'), count(DISTINCT x), "
                 "count(*) FILTER (WHERE d > 0), sum(y) FILTER (WHERE x > 100) FROM t %s%s",
                 by, c, gb, by);
        check(q, true);
    }
}

/* The DataFrame API: groupBy(k).agg(countDistinct(x), sum(y)). */
static void dataframe(void **state)
{
    (void)state;
    kiln_df *t = kiln_sql(S, "SELECT * FROM t");
    assert_non_null(t);
    kiln_grouped *g = kiln_df_group_by(t, (kiln_col *[]){kiln_fn_col(S, "k")}, 1);
    kiln_df *df = kiln_grouped_agg(g,
                                   (kiln_col *[]){kiln_fn_count_distinct(kiln_fn_col(S, "x")),
                                                  kiln_fn_sum(kiln_fn_col(S, "y"))},
                                   2);
    kiln_df_free(t);
    assert_non_null(df);
    char *e = kiln_df_explain_string(df);
    assert_non_null(e);
    if (!strstr(e, "HashAggregate(partial) [k, x]")) fail_msg("not rewritten:\n%s", e);
    free(e);
    if (!have_sqlite) return;
    kt_lines got = kt_df_lines(df, "groupBy(k).agg(countDistinct(x), sum(y))"),
             want = kt_sqlite_lines(db, "SELECT k, count(DISTINCT x), sum(y) FROM t GROUP BY k");
    kt_lines_same(&got, &want, "groupBy(k).agg(countDistinct(x), sum(y))");
}

/* ---- Where the rule must not apply -------------------------------------------------------- */

static void left_alone(void **state)
{
    (void)state;
    /* two distinct groups */
    check("SELECT k, count(DISTINCT x), count(DISTINCT s) FROM t GROUP BY k", false);
    check("SELECT count(DISTINCT x), sum(DISTINCT y) FROM t", false);
    /* a non-distinct aggregate that cannot be combined */
    char *e = kt_sql_explain(S, "SELECT k, count(DISTINCT x), stddev(y), avg(y) FROM t GROUP BY k");
    if (!strstr(e, "HashAggregate(complete)")) fail_msg("rewritten:\n%s", e);
    free(e);
    /* no DISTINCT at all: one partial / final aggregate */
    e = kt_sql_explain(S, "SELECT k, count(x) FROM t GROUP BY k");
    if (strstr(e, "HashAggregate(partial) [k, x]")) fail_msg("rewritten:\n%s", e);
    free(e);
}

/* ---- EXPLAIN --------------------------------------------------------------------------------- */

static void plans(void **state)
{
    (void)state;
    /* A global count(DISTINCT x): deduplicated in an exchange by x (as many
     * tasks as shuffle partitions), then a partial count in each and one
     * final count. */
    char *e = kt_sql_explain(S, "SELECT count(DISTINCT x) FROM t");
    const char *want[] = {"HashAggregate(final) []",         "Exchange SinglePartition",
                          "HashAggregate(partial) []",       "HashAggregate(final) [x]",
                          "Exchange hashpartitioning(x, 3)", "HashAggregate(partial) [x]"};
    const char *at = strstr(e, "== Physical Plan ==");
    for (size_t i = 0; at && i < sizeof want / sizeof *want; i++) {
        const char *w = strstr(at, want[i]);
        if (!w) fail_msg("no '%s' (in order) in\n%s", want[i], e);
        at = w;
    }
    free(e);
    /* Grouped: one exchange, by k alone; the outer aggregate runs in the
     * inner one's tasks. */
    e = kt_sql_explain(S, "SELECT k, count(DISTINCT x), sum(y) FROM t GROUP BY k");
    const char *want2[] = {"HashAggregate(complete) [k]", "HashAggregate(final) [k, x]",
                           "Exchange hashpartitioning(k, 3)", "HashAggregate(partial) [k, x]"};
    at = strstr(e, "== Physical Plan ==");
    for (size_t i = 0; at && i < sizeof want2 / sizeof *want2; i++) {
        const char *w = strstr(at, want2[i]);
        if (!w) fail_msg("grouped: no '%s' (in order) in\n%s", want2[i], e);
        at = w;
    }
    if (strstr(e, "Exchange hashpartitioning(k, x")) fail_msg("grouped: exchanged twice\n%s", e);
    free(e);
}

/* ---- Spilling ------------------------------------------------------------------------------- */

/* 20,000 keys x 200 distinct values, each row twice (8M rows). */
#define SPILL_SQL                                                                                  \
    "SELECT count(*), sum(c), sum(sv), sum(k * c), sum(hash(k, c, sv)) FROM "                      \
    "(SELECT id % 20000 AS k, count(DISTINCT (id DIV 20000) % 200 * 7919 % 100003) AS c, "         \
    "sum(DISTINCT (id DIV 20000) % 200 * 7919 % 100003) AS sv FROM range(8000000) "                \
    "GROUP BY id % 20000)"

static int run_spill(const char *memory, int64_t *v, kiln_metrics *m)
{
    /* local[2] also under KT_MASTER: the budget and the metrics are the
     * driver's own executor's. */
    const char *kv[] = {"kiln.master", "local[2]", "kiln.executor.memory", memory, NULL};
    if (!memory) kv[2] = NULL;
    kiln_context *c;
    kiln_session *s;
    if (kt_sql_open_with(&c, &s, kv)) return -1;
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    int rc = kiln_df_collect(kiln_sql(s, SPILL_SQL), a, &rows);
    if (rc) fprintf(stderr, "spill query: %s\n", kiln_last_error());
    if (!rc && rows.len == 1)
        for (uint32_t i = 0; i < 5; i++) {
            const kiln_value *x = &rows.u.items[0].u.items[i];
            v[i] = x->type == KILN_INT ? x->u.i : INT64_MIN;
        }
    kiln_context_metrics(c, m);
    kiln_arena_free(a);
    kt_sql_close(c, s);
    return rc;
}

static void spills_under_a_small_budget(void **state)
{
    (void)state;
    int64_t big[5], small[5];
    kiln_metrics mb, ms;
    assert_int_equal(run_spill(NULL, big, &mb), 0);
    assert_int_equal(run_spill("16m", small, &ms), 0);
    printf("  no budget: spills %lld; 16m: spills %lld (%lld MB), peak %lld MB\n",
           (long long)mb.spill_count, (long long)ms.spill_count, (long long)(ms.spill_bytes >> 20),
           (long long)(ms.memory_peak >> 20));
    for (int i = 0; i < 5; i++) assert_int_equal(big[i], small[i]);
    /* Direct: every key has the values j * 7919 % 100003, j < 200 (distinct:
     * 100003 is prime). */
    int64_t sv = 0;
    for (int64_t j = 0; j < 200; j++) sv += j * 7919 % 100003;
    assert_int_equal(small[0], 20000);
    assert_int_equal(small[1], 20000 * 200);
    assert_int_equal(small[2], 20000 * sv);
    assert_int_equal(small[3], (int64_t)19999 * 20000 / 2 * 200);
    assert_true(ms.spill_count > 0);
    assert_true(ms.memory_peak <= ms.memory_budget);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(distinct_only),
        cmocka_unit_test(several_arguments_and_expressions),
        cmocka_unit_test(mixed_with_other_aggregates),
        cmocka_unit_test(filters),
        cmocka_unit_test(dataframe),
        cmocka_unit_test(left_alone),
        cmocka_unit_test(plans),
        cmocka_unit_test(spills_under_a_small_budget),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
