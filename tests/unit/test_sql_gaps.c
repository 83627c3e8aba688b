/*
 * test_sql_gaps.c - SQL end to end through kiln_sql against sqlite3 on a
 * random CSV (nulls, skewed keys, unicode, several partitions, empty
 * input): aggregate FILTER (WHERE ...) clauses (grouped, global, DISTINCT,
 * count(*)), correlated scalar subqueries in the SELECT list and in WHERE
 * (count over no matching rows is 0), and DATE - DATE as an INTERVAL DAY
 * against julianday. KT_MASTER runs it under another master (CMake reruns
 * it under local-cluster[2,1,256]).
 */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "kiln.h"
#include "kiln/sql.h"
#include "kt.h"
#include "kt_rand.h"
#include "kt_rows.h"

#define NROWS 3000

static kiln_context *ctx;
static kiln_session *S;
static char dir[] = "/tmp/kiln_sqlgaps_XXXXXX";
static char csv[256];

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir)) return -1;
    snprintf(csv, sizeof csv, "%s/t.csv", dir);
    FILE *f = fopen(csv, "w");
    if (!f) return -1;
    static const char *const words[] = {"apple", "Ωmega", "avocado", "日本", "b", "ab"};
    for (int i = 0; i < NROWS; i++) {
        int k = rnd() % 100 < 40 ? 3 : (int)(rnd() % 29);
        fprintf(f, "%d,", i);
        if (rnd() % 13) fprintf(f, "%d", k);
        fprintf(f, ",");
        if (rnd() % 9) fprintf(f, "%lld", (long long)(rnd() % 2001) - 1000);
        fprintf(f, ",");
        if (rnd() % 6) fprintf(f, "%s", words[rnd() % 6]);
        int y = 2000 + (int)(rnd() % 30), m = 1 + (int)(rnd() % 12), d = 1 + (int)(rnd() % 28);
        fprintf(f, ",%04d-%02d-%02d,%04d-%02d-%02d\n", y, m, d, 2010, 1 + (int)(rnd() % 12),
                1 + (int)(rnd() % 28));
    }
    fclose(f);
    ctx = kt_context_new("local[2]");
    if (kiln_session_new(ctx, &S)) return -1;
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TEMPORARY VIEW t (id INT, k INT, v INT, s STRING, d1 DATE, d2 DATE) USING "
             "csv OPTIONS (path '%s')",
             csv);
    kiln_df *df = kiln_sql(S, sql);
    if (!df) return -1;
    kiln_df_free(df);
    /* Three partitions of the same rows, for the shuffles. */
    df = kiln_sql(S, "CREATE TEMPORARY VIEW t3 AS SELECT /*+ REPARTITION(3) */ * FROM t");
    if (df) kiln_df_free(df);
    else if (!(df = kiln_sql(S, "CREATE TEMPORARY VIEW t3 AS SELECT * FROM t"))) return -1;
    else kiln_df_free(df);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kiln_session_free(S);
    kiln_context_free(ctx);
    kt_rm_rf(dir);
    return 0;
}

/* kiln's rows of sql as lines of tab-separated values (NUL-terminated,
 * malloc'd). */
static char *kiln_rows(const char *sql)
{
    kiln_df *df = kiln_sql(S, sql);
    if (!df) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_arena *a = kiln_arena_new();
    kiln_value rows;
    if (kiln_df_collect(df, a, &rows)) fail_msg("%s: %s", sql, kiln_last_error());
    kiln_buf b;
    kiln_buf_init(&b);
    for (uint32_t i = 0; i < rows.len; i++) {
        const kiln_value *r = &rows.u.items[i];
        for (uint32_t c = 0; c < r->len; c++) {
            if (c) kiln_buf_append(&b, "\t", 1);
            kt_value_text(&b, &r->u.items[c]);
        }
        kiln_buf_append(&b, "\n", 1);
    }
    kiln_buf_append(&b, "", 1);
    kiln_arena_free(a);
    kiln_df_free(df);
    return (char *)b.data;
}

/* sqlite3's rows of sql over the same CSV (tab-separated, NULL for null,
 * doubles printed by the query itself). */
static char *sqlite_rows(const char *sql)
{
    char qf[300], of[300], cmd[1024];
    snprintf(qf, sizeof qf, "%s/q.sql", dir);
    snprintf(of, sizeof of, "%s/out.txt", dir);
    FILE *f = fopen(qf, "w");
    assert_non_null(f);
    fprintf(f,
            "CREATE TABLE t(id INTEGER, k INTEGER, v INTEGER, s TEXT, d1 TEXT, d2 TEXT);\n"
            ".mode csv\n.import %s t\n"
            "UPDATE t SET k = NULL WHERE k = '';\nUPDATE t SET v = NULL WHERE v = '';\n"
            "UPDATE t SET s = NULL WHERE s = '';\n"
            ".mode list\n.separator \"\\t\"\n.nullvalue NULL\n%s;\n",
            csv, sql);
    fclose(f);
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 < %s > %s", qf, of);
    assert_int_equal(system(cmd), 0);
    f = fopen(of, "r");
    assert_non_null(f);
    kiln_buf b;
    kiln_buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) kiln_buf_append(&b, chunk, n);
    fclose(f);
    kiln_buf_append(&b, "", 1);
    return (char *)b.data;
}

/* Field by field: equal text, or numbers within 1e-9 relative. */
static void same_rows(const char *what, char *got, char *want)
{
    char *gs, *ws;
    char *gl = strtok_r(got, "\n", &gs), *wl = strtok_r(want, "\n", &ws);
    int line = 0;
    for (; gl && wl; gl = strtok_r(NULL, "\n", &gs), wl = strtok_r(NULL, "\n", &ws), line++) {
        if (strcmp(gl, wl) == 0) continue;
        char *gf = gl, *wf = wl;
        for (;;) {
            char *gt = strchr(gf, '\t'), *wt = strchr(wf, '\t');
            if (gt) *gt = 0;
            if (wt) *wt = 0;
            if (strcmp(gf, wf) != 0) {
                char *e1, *e2;
                double x = strtod(gf, &e1), y = strtod(wf, &e2);
                if (*e1 || *e2 || e1 == gf || fabs(x - y) > 1e-9 * fmax(1, fabs(y)))
                    fail_msg("%s: line %d: got '%s', want '%s'", what, line, gf, wf);
            }
            if (!gt || !wt) {
                if (gt || wt) fail_msg("%s: line %d: field counts differ", what, line);
                break;
            }
            gf = gt + 1;
            wf = wt + 1;
        }
    }
    if (gl || wl) fail_msg("%s: row counts differ at line %d", what, line);
}

static void check(const char *kiln_sql_text, const char *sqlite_sql)
{
    if (access("/usr/bin/sqlite3", X_OK) != 0) {
        printf("skipped: /usr/bin/sqlite3 is missing\n");
        skip();
    }
    char *g = kiln_rows(kiln_sql_text), *w = sqlite_rows(sqlite_sql ? sqlite_sql : kiln_sql_text);
    same_rows(kiln_sql_text, g, w);
    free(g);
    free(w);
}

static void filter_clauses_match_sqlite(void **state)
{
    (void)state;
    static const char *const views[] = {"t", "t3"};
    for (int i = 0; i < 2; i++) {
        char q[1024], r[1024];
        snprintf(q, sizeof q,
                 "SELECT k, count(*) FILTER (WHERE v > 0), count(v) FILTER (WHERE s LIKE 'a%%'), "
                 "sum(v) FILTER (WHERE s IS NULL OR k = 3), count(DISTINCT v) FILTER (WHERE v %% 3 "
                 "= 0), min(s) FILTER (WHERE v < 0), count(*) FROM %s GROUP BY k ORDER BY k",
                 views[i]);
        snprintf(r, sizeof r, "%s", q);
        memcpy(strstr(r, " FROM t") + 7, " ", (size_t)i); /* t3 -> t */
        check(q, r);
        snprintf(q, sizeof q,
                 "SELECT count(*) FILTER (WHERE v IS NULL), sum(v) FILTER (WHERE v < 0), "
                 "avg(v) FILTER (WHERE k <> 3), count(DISTINCT k) FILTER (WHERE v > 500), "
                 "max(v) FILTER (WHERE NULL) FROM %s",
                 views[i]);
        snprintf(r, sizeof r,
                 "SELECT count(*) FILTER (WHERE v IS NULL), sum(v) FILTER (WHERE v < 0), "
                 "avg(v) FILTER (WHERE k <> 3), count(DISTINCT k) FILTER (WHERE v > 500), "
                 "max(v) FILTER (WHERE NULL) FROM t");
        check(q, r);
    }
    /* Empty input: one row, counts 0. */
    check("SELECT count(*) FILTER (WHERE v > 0), sum(v) FILTER (WHERE true) FROM t WHERE id < 0",
          NULL);
    check("SELECT k, count(*) FILTER (WHERE v > 0) FROM t WHERE id < 0 GROUP BY k", NULL);
}

static void correlated_scalar_subqueries_match_sqlite(void **state)
{
    (void)state;
    check("SELECT id, (SELECT count(*) FROM t x WHERE x.k = o.k AND x.v > 900), "
          "(SELECT max(x.v) FROM t x WHERE x.k = o.k AND x.s = 'b'), "
          "(SELECT count(x.v) + 1 FROM t x WHERE x.v = o.v) FROM t o WHERE id % 7 = 0 ORDER BY id",
          NULL);
    check("SELECT id FROM t o WHERE (SELECT count(*) FROM t x WHERE x.v = o.v AND x.id <> 0) = 1 "
          "ORDER BY id",
          NULL);
    check("SELECT id, (SELECT count(*) FROM t x WHERE x.v = o.id) FROM t o WHERE id < 300 "
          "ORDER BY id",
          NULL);
}

static void date_differences_match_julianday(void **state)
{
    (void)state;
    /* INTERVAL DAY values collect as microseconds. */
    check("SELECT id, d2 - d1, d1 - d1 FROM t WHERE id % 5 = 0 ORDER BY id",
          "SELECT id, CAST(julianday(d2) - julianday(d1) AS INTEGER) * 86400000000, 0 FROM t "
          "WHERE id % 5 = 0 ORDER BY id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_clauses_match_sqlite),
        cmocka_unit_test(correlated_scalar_subqueries_match_sqlite),
        cmocka_unit_test(date_differences_match_julianday),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
