/*
 * test_sql_exchange.c - exchanges left out where rows are hashed by the
 * right keys already (src/sql/exec_part.c): aggregates, DISTINCT and
 * windows over a shuffled join's or an aggregate's output, joins of
 * aggregates (both sides in place), a join with one side in place and the
 * other exchanged by the keys at the same positions, and the cases that
 * must still exchange (a full outer join's output, keys of other types,
 * groups by fewer columns than the input is hashed by); and grouped join
 * sides reduced by a semi join with the other side's small key source;
 * filtered sides measured first, predicates implied by ORs across a join
 * pushed into its sides.
 *
 * Reference: sqlite3 on the same rows (random, with null and skewed keys,
 * and empty tables). Broadcast joins are off so that every join shuffles;
 * EXPLAIN's physical plan is checked for the exchanges that remain. Runs
 * with 3 shuffle partitions; KT_MASTER runs it under another master (CMake
 * reruns it under local-cluster).
 */
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

static kiln_context *ctx;
static kiln_session *S;
static char dir[64];
static char db[128];
static FILE *sqlf;
static uint64_t rng = 0x51ed2701a3c4b5d6ull;

/* Writes name (k INT, j INT, v BIGINT, s STRING) with n rows: k skewed
 * (a third of the rows 0) and null in one row of 11, j in 0..3, v null in
 * one row of 9; kb a BIGINT copy of k. */
static void write_table(const char *name, int n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(sqlf, "CREATE TABLE %s(k INTEGER, j INTEGER, v INTEGER, s TEXT, kb INTEGER);\n", name);
    static const char *const strs[] = {"a", "é", "日本", "zz"};
    for (int i = 0; i < n; i++) {
        bool kn = kt_rand(&rng) % 11 == 0, vn = kt_rand(&rng) % 9 == 0;
        int k = kt_rand(&rng) % 3 == 0 ? 0 : (int)(kt_rand(&rng) % 40);
        int j = (int)(kt_rand(&rng) % 4);
        long long v = (long long)(kt_rand(&rng) % 20001) - 10000;
        const char *s = strs[kt_rand(&rng) % 4];
        char ks[16] = "", vs[24] = "";
        if (!kn) snprintf(ks, sizeof ks, "%d", k);
        if (!vn) snprintf(vs, sizeof vs, "%lld", v);
        fprintf(f, "%s,%d,%s,%s,%s\n", ks, j, vs, s, ks);
        fprintf(sqlf, "INSERT INTO %s VALUES(%s,%d,%s,'%s',%s);\n", name, kn ? "NULL" : ks, j,
                vn ? "NULL" : vs, s, kn ? "NULL" : ks);
    }
    fclose(f);
}

static void view(const char *name)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    kiln_reader *r = kiln_reader_schema(kiln_session_read(S),
                                        "k INT, j INT, v BIGINT, s STRING, kb BIGINT");
    kiln_df *df = kiln_reader_csv(r, p);
    if (!df) fail_msg("load %s: %s", name, kiln_last_error());
    assert_int_equal(kiln_df_create_or_replace_temp_view(df, name), KILN_OK);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-exch-%d", (int)getpid());
    if (mkdir(dir, 0700)) return -1;
    char p[256];
    snprintf(p, sizeof p, "%s/load.sql", dir);
    if (!(sqlf = fopen(p, "w"))) return -1;
    fprintf(sqlf, "BEGIN;\n");
    write_table("a", 3000);
    write_table("b", 1200);
    write_table("e", 0);
    fprintf(sqlf, "COMMIT;\n");
    fclose(sqlf);
    snprintf(db, sizeof db, "%s/ref.db", dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 %s < %s/load.sql", db, dir);
    if (access("/usr/bin/sqlite3", X_OK) != 0 || system(cmd) != 0) return -1;
    /* Freed memory kept (kiln.executor.memory.retain): the same answers. */
    static const char *const kv[] = {"kiln.executor.memory.retain", "64m", NULL};
    if (kt_sql_open_with(&ctx, &S, kv) ||
        kiln_session_conf_set(S, "kiln.sql.autoBroadcastJoinThreshold", "-1") ||
        kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", "3"))
        return -1;
    view("a");
    view("b");
    view("e");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    kt_rm_rf(dir);
    return 0;
}

/* The number of times needle occurs in the physical plan of sql. */
static int plan_count(const char *sql, const char *needle)
{
    char *text = kt_sql_explain(S, sql);
    const char *phys = strstr(text, "== Physical Plan ==");
    assert_non_null(phys);
    int n = 0;
    for (const char *p = phys; (p = strstr(p, needle)); p += strlen(needle)) n++;
    if (getenv("KT_DEBUG")) fprintf(stderr, "%s\n", phys);
    free(text);
    return n;
}

/* sql with $A, $B as the tables a and b, into q (room for 1024 bytes). */
static void on_ab(const char *sql, char *q)
{
    char *o = q;
    for (const char *p = sql; *p && o < q + 1023; p++) {
        if (*p == '$') *o++ = *++p == 'A' ? 'a' : 'b';
        else *o++ = *p;
    }
    *o = 0;
}

/* kiln's answer to sql (with $A, $B for the two tables) against sqlite's,
 * on the random tables and with each of them empty, and the number of
 * hash exchanges in kiln's plan of the first (-1: not checked). */
static void check(const char *sql, int exchanges)
{
    static const char *const pairs[][2] = {{"a", "b"}, {"e", "b"}, {"a", "e"}};
    for (size_t t = 0; t < 3; t++) {
        char q[4096], *o = q;
        for (const char *p = sql; *p; p++) {
            if (*p == '$' && (p[1] == 'A' || p[1] == 'B')) {
                const char *name = pairs[t][p[1] == 'B'];
                o += sprintf(o, "%s", name);
                p++;
            } else {
                *o++ = *p;
            }
        }
        *o = 0;
        kt_lines got = kt_df_lines(kiln_sql(S, q), q), want = kt_sqlite_lines(db, q);
        kt_lines_same(&got, &want, q);
        if (t == 0 && exchanges >= 0) {
            int n = plan_count(q, "Exchange hashpartitioning");
            if (n != exchanges) fail_msg("%s: %d hash exchanges, expected %d", q, n, exchanges);
        }
    }
}

/* An aggregate or DISTINCT over a join by its key runs in the join's
 * tasks; over a full outer join, or by other columns, it exchanges. */
static void aggregates_over_joins(void **state)
{
    (void)state;
    check("SELECT x.k, count(*), sum(y.v) FROM $A x JOIN $B y ON x.k = y.k GROUP BY x.k", 2);
    check("SELECT y.k, count(*), sum(x.v) FROM $A x JOIN $B y ON x.k = y.k GROUP BY y.k", 2);
    check("SELECT x.k, count(y.v), min(y.s) FROM $A x LEFT JOIN $B y ON x.k = y.k GROUP BY x.k", 2);
    check("SELECT y.k, count(x.v) FROM $A x RIGHT JOIN $B y ON x.k = y.k GROUP BY y.k", 2);
    check("SELECT x.k, count(*) FROM $A x FULL JOIN $B y ON x.k = y.k GROUP BY x.k", 3);
    check("SELECT x.k, x.j, count(*) FROM $A x JOIN $B y ON x.k = y.k AND x.j = y.j "
          "GROUP BY x.k, x.j",
          2);
    check("SELECT x.j, count(*) FROM $A x JOIN $B y ON x.k = y.k GROUP BY x.j", 3);
    check("SELECT x.k, y.j, count(*) FROM $A x JOIN $B y ON x.k = y.k GROUP BY x.k, y.j", 2);
    check("SELECT DISTINCT x.k, y.j FROM $A x JOIN $B y ON x.k = y.k", 2);
    check("SELECT x.k, count(*) FROM $A x WHERE EXISTS (SELECT 1 FROM $B y WHERE y.k = x.k) "
          "GROUP BY x.k",
          2);
    check("SELECT x.k, count(*) FROM $A x WHERE NOT EXISTS (SELECT 1 FROM $B y WHERE y.k = x.k) "
          "GROUP BY x.k",
          2);
}

/* Joins of aggregates by their keys read both sides where they are; one
 * side in place on some of the keys has the other exchanged by those. */
static void joins_over_aggregates(void **state)
{
    (void)state;
    const char *both = "SELECT p.k, p.c, q.t FROM (SELECT k, count(*) c FROM $A GROUP BY k) p "
                       "JOIN (SELECT k, sum(v) t FROM $B GROUP BY k) q ON p.k = q.k";
    check(both, 2);
    check("SELECT p.k, p.c, q.t FROM (SELECT k, count(*) c FROM $A GROUP BY k) p "
          "FULL JOIN (SELECT k, sum(v) t FROM $B GROUP BY k) q ON p.k = q.k",
          2);
    /* The left in place on k; the right exchanged by its k only. */
    check("SELECT p.k, p.c, y.j, y.v FROM (SELECT k, max(j) m, count(*) c FROM $A GROUP BY k) p "
          "JOIN $B y ON p.k = y.k AND p.m = y.j",
          2);
    check("SELECT p.k, p.c, y.v FROM (SELECT k, count(*) c FROM $A GROUP BY k) p "
          "LEFT JOIN $B y ON p.k = y.k",
          2);
    check("SELECT y.k, y.v, p.c FROM $B y LEFT JOIN (SELECT k, count(*) c FROM $A GROUP BY k) p "
          "ON y.k = p.k",
          2);
    /* A key of another type (the BIGINT copy): both sides exchanged. */
    check("SELECT p.k, y.v FROM (SELECT k, count(*) c FROM $A GROUP BY k) p "
          "JOIN $B y ON p.k = y.kb",
          3);
    /* Grouped by (k, j), joined on k: not hashed by k alone, exchanged. */
    check("SELECT p.k, p.j, y.v FROM (SELECT k, j, count(*) c FROM $A GROUP BY k, j) p "
          "JOIN $B y ON p.k = y.k",
          3);
    check("SELECT x.k, count(*) FROM $A x WHERE x.k IN (SELECT k FROM $B GROUP BY k) "
          "GROUP BY x.k",
          -1);
}

/* Aggregates and windows over aggregates: in place when the input's hash
 * columns are among their keys. */
static void over_aggregates(void **state)
{
    (void)state;
    check("SELECT k, count(*) FROM (SELECT k, j, count(*) c FROM $A GROUP BY k, j) GROUP BY k", 2);
    check("SELECT k, j, sum(c) FROM (SELECT k, j, count(*) c FROM $A GROUP BY k, j) "
          "GROUP BY j, k",
          1);
    check("SELECT k, m, rank() OVER (PARTITION BY k, m ORDER BY c) FROM "
          "(SELECT k, max(j) m, count(*) c FROM $A GROUP BY k)",
          1);
    check("SELECT k, c, rank() OVER (PARTITION BY k ORDER BY c) FROM "
          "(SELECT k, count(*) c FROM $A GROUP BY k)",
          1);
    check("SELECT k, j, c, rank() OVER (PARTITION BY k ORDER BY c, j) FROM "
          "(SELECT k, j, count(*) c FROM $A GROUP BY k, j)",
          2);
}

/* A join with a grouped side whose key values come from a small source on
 * the other side: the aggregate's input is semi-joined with that source
 * first (optimize_reduce.c). With broadcasts on (a limit between the two
 * tables' sizes); the reduced plans have their semi join. */
static void grouped_sides_reduced(void **state)
{
    (void)state;
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.autoBroadcastJoinThreshold", "5000"),
                     KILN_OK);
    static const char *const queries[] = {
        "SELECT y.k, y.v FROM $B y WHERE y.j = 1 AND y.v > "
        "(SELECT avg(x.v) FROM $A x WHERE x.k = y.k)",
        "SELECT y.k, y.s, g.c, g.t FROM $B y JOIN (SELECT k, count(*) c, sum(v) t FROM $A "
        "GROUP BY k) g ON y.k = g.k WHERE y.j = 2",
        "SELECT y.k, y.v FROM $B y WHERE y.j = 0 AND y.k IN "
        "(SELECT k FROM $A GROUP BY k HAVING count(*) > 60)",
        "SELECT y.k, y.j, g.c FROM $B y LEFT JOIN (SELECT k, j, count(*) c FROM $A GROUP BY k, j) "
        "g ON y.k = g.k AND y.j = g.j WHERE y.v > 5000",
        "SELECT y.k, g.m FROM (SELECT * FROM $B WHERE j = 3) y JOIN "
        "(SELECT x.k, max(x.v) m FROM $A x JOIN $B z ON x.k = z.k GROUP BY x.k) g ON y.k = g.k",
    };
    for (size_t i = 0; i < sizeof queries / sizeof queries[0]; i++) {
        check(queries[i], -1);
        char q[1024];
        on_ab(queries[i], q);
        if (plan_count(q, "LeftSemi") < 1) fail_msg("%s: not reduced", q);
    }
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.autoBroadcastJoinThreshold", "-1"),
                     KILN_OK);
}

/* Sides made small by their filters are measured first (and broadcast
 * when they come out small); an OR across both sides of a join gives each
 * side the OR of its own conditions (Spark's PushExtraPredicateThroughJoin);
 * small filtered tables join first. Answers against sqlite's. */
static void filtered_sides_and_implied_predicates(void **state)
{
    (void)state;
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.autoBroadcastJoinThreshold", "8000"),
                     KILN_OK);
    /* Each query's answer, and how often the needle is in its plan: a
     * side measured first; one implied filter on each side, besides the
     * join's own condition. */
    static const struct {
        const char *sql, *needle;
        int n;
    } cases[] = {
        {"SELECT x.k, x.v, y.s FROM $A x JOIN $B y ON x.k = y.k WHERE y.j = 1 AND y.v > 9000",
         "the right side is measured first", 1},
        {"SELECT x.k, y.v, y.s, y.j, y.kb FROM $A x LEFT JOIN (SELECT * FROM $B WHERE v < -9500) "
         "y ON x.k = y.k",
         "the right side is measured first", 1},
        {"SELECT x.k, x.j, y.s FROM $A x JOIN $B y ON x.k = y.k "
         "WHERE (x.j = 1 AND y.s = 'a') OR (x.j = 2 AND y.s = 'zz')",
         "Filter or", 2},
        {"SELECT x.k, y.j FROM $A x JOIN $B y ON x.k = y.k "
         "WHERE (x.v > 100 AND y.v < 0) OR (x.v < -100 AND y.j = 3)",
         "Filter or", 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check(cases[i].sql, -1);
        char q[1024];
        on_ab(cases[i].sql, q);
        int n = plan_count(q, cases[i].needle);
        if (n != cases[i].n)
            fail_msg("%s: '%s' %d times, expected %d", q, cases[i].needle, n, cases[i].n);
    }
    /* Not implied where a disjunct says nothing about a side. */
    if (plan_count("SELECT x.k FROM a x JOIN b y ON x.k = y.k WHERE x.j = 1 OR y.j = 2",
                   "Filter or") != 0)
        fail_msg("a side was filtered by a condition it does not imply");
    check("SELECT x.k FROM $A x JOIN $B y ON x.k = y.k WHERE x.j = 1 OR y.j = 2", -1);
    check("SELECT count(*), sum(x.v) FROM $A x, $B y, $B z "
          "WHERE x.k = y.k AND y.j = z.j AND z.v > 9900 AND z.s = 'a'",
          -1);
    assert_int_equal(kiln_session_conf_set(S, "kiln.sql.autoBroadcastJoinThreshold", "-1"),
                     KILN_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aggregates_over_joins),
        cmocka_unit_test(joins_over_aggregates),
        cmocka_unit_test(over_aggregates),
        cmocka_unit_test(grouped_sides_reduced),
        cmocka_unit_test(filtered_sides_and_implied_predicates),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
