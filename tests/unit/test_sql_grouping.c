/*
 * test_sql_grouping.c - the query features of analyze_grouping.c,
 * analyze_setop.c, analyze_using.c and analyze_generate.c end to end
 * through kiln_sql: ROLLUP, CUBE, GROUPING SETS with grouping() and
 * grouping_id(), GROUP BY ALL, INTERSECT / EXCEPT [ALL] and UNION with
 * nulls, NATURAL JOIN and USING, and the generators (explode, posexplode,
 * their outer forms, inline, LATERAL VIEW, the DataFrame API).
 *
 * References: sqlite3 on the same rows (grouping sets written out as the
 * UNION ALL of plain GROUP BYs, INTERSECT / EXCEPT ALL with row_number()
 * per duplicate, USING joins with explicit columns), and plain loops over
 * the rows the test wrote (word count, posexplode_outer, maps). The data
 * are random with nulls, skewed keys and multi-byte strings; every query
 * also runs on empty tables. KT_MASTER runs it under another master (CMake
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

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    return kt_rand(&rng);
}

/* ---- Data ------------------------------------------------------------------------- */

#define NT 2500
#define NSET 300
#define NLINES 400

static const char *const words[] = {"a", "b", "é", "日本", "the", "Zürich", "x y"};
static const char *const avals[] = {"a", "b", "é", "日本語", "ß"};

/* lines(id, line): the words of each line (NULL line: nwords -1). */
static struct line {
    int nwords;
    int w[12]; /* index into words (the last one is never used: it has a space) */
} lines[NLINES];

/* j(id, m map<string,int>): the map of each row (n -1: null). */
static struct jrow {
    int n;
    int v[4];
} jrows[100];

static FILE *sqlf;

static void sql_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("NULL", f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* Writes table name (a STRING, b INT, c INT, v BIGINT) with n rows to a
 * CSV for kiln and INSERTs for sqlite; skewed: half the rows have a = 'a'. */
static void write_t(const char *name, int n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(sqlf, "CREATE TABLE %s(a TEXT, b INTEGER, c INTEGER, v INTEGER);\n", name);
    for (int i = 0; i < n; i++) {
        const char *a = rnd() % 10 == 0 ? NULL : rnd() % 2 ? "a" : avals[rnd() % 5];
        bool bn = rnd() % 7 == 0, vn = rnd() % 9 == 0;
        int b = (int)(rnd() % 5), c = (int)(rnd() % 3);
        long long v = (long long)(rnd() % 2000001) - 1000000;
        fprintf(f, "%s,", a ? a : "");
        if (!bn) fprintf(f, "%d", b);
        fprintf(f, ",%d,", c);
        if (!vn) fprintf(f, "%lld", v);
        fputc('\n', f);
        fprintf(sqlf, "INSERT INTO %s VALUES(", name);
        sql_str(sqlf, a);
        if (bn) fprintf(sqlf, ",NULL");
        else fprintf(sqlf, ",%d", b);
        fprintf(sqlf, ",%d,", c);
        if (vn) fprintf(sqlf, "NULL);\n");
        else fprintf(sqlf, "%lld);\n", v);
    }
    fclose(f);
}

/* (x INT, y STRING) with many duplicates and nulls; r2 (y, z, x) for
 * natural joins. */
static void write_set(const char *name, int n, bool r2)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.csv", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    if (r2) fprintf(sqlf, "CREATE TABLE %s(y TEXT, z INTEGER, x INTEGER);\n", name);
    else fprintf(sqlf, "CREATE TABLE %s(x INTEGER, y TEXT);\n", name);
    for (int i = 0; i < n; i++) {
        bool xn = rnd() % 8 == 0;
        int x = (int)(rnd() % 12);
        const char *y = rnd() % 6 == 0 ? NULL : avals[rnd() % 3];
        int z = (int)(rnd() % 100);
        char xs[16] = "";
        if (!xn) snprintf(xs, sizeof xs, "%d", x);
        if (r2) fprintf(f, "%s,%d,%s\n", y ? y : "", z, xs);
        else fprintf(f, "%s,%s\n", xs, y ? y : "");
        fprintf(sqlf, "INSERT INTO %s VALUES(", name);
        if (r2) {
            sql_str(sqlf, y);
            fprintf(sqlf, ",%d,%s);\n", z, xn ? "NULL" : xs);
        } else {
            fprintf(sqlf, "%s,", xn ? "NULL" : xs);
            sql_str(sqlf, y);
            fprintf(sqlf, ");\n");
        }
    }
    fclose(f);
}

static void view(const char *name, const char *schema, const char *format)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s.%s", dir, name, format);
    kiln_reader *r = kiln_session_read(S);
    r = kiln_reader_schema(r, schema);
    kiln_df *df = strcmp(format, "csv") == 0 ? kiln_reader_csv(r, p) : kiln_reader_json(r, p);
    if (!df) fail_msg("load %s: %s", name, kiln_last_error());
    assert_int_equal(kiln_df_create_or_replace_temp_view(df, name), KILN_OK);
}

static void write_lines(void)
{
    char p[256];
    snprintf(p, sizeof p, "%s/lines.csv", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < NLINES; i++) {
        struct line *l = &lines[i];
        l->nwords = rnd() % 15 == 0 ? -1 : 1 + (int)(rnd() % 12);
        fprintf(f, "%d,", i);
        for (int k = 0; k < l->nwords; k++) {
            /* skewed: "the" a third of the time; sometimes an empty word
             * (two spaces in a row) */
            l->w[k] = rnd() % 3 == 0 ? 4 : (int)(rnd() % 6);
            if (rnd() % 20 == 0) l->w[k] = -1;
            fprintf(f, "%s%s", k ? " " : "", l->w[k] < 0 ? "" : words[l->w[k]]);
        }
        if (l->nwords > 0 && l->w[0] < 0 && l->nwords == 1) l->w[0] = 4, fprintf(f, "the");
        fputc('\n', f);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/j.json", dir);
    f = fopen(p, "w");
    assert_non_null(f);
    for (int i = 0; i < 100; i++) {
        struct jrow *j = &jrows[i];
        j->n = rnd() % 10 == 0 ? -1 : (int)(rnd() % 4);
        if (j->n < 0) {
            fprintf(f, "{\"id\": %d, \"m\": null}\n", i);
            continue;
        }
        fprintf(f, "{\"id\": %d, \"m\": {", i);
        for (int k = 0; k < j->n; k++) {
            j->v[k] = (int)(rnd() % 1000);
            fprintf(f, "%s\"k%d\": %d", k ? ", " : "", k, j->v[k]);
        }
        fprintf(f, "}}\n");
    }
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/kiln-test-grp-%d", (int)getpid());
    if (mkdir(dir, 0700)) return -1;
    char p[256];
    snprintf(p, sizeof p, "%s/load.sql", dir);
    sqlf = fopen(p, "w");
    if (!sqlf) return -1;
    fprintf(sqlf, "BEGIN;\n");
    write_t("t", NT);
    write_t("e", 0);
    write_set("l", NSET, false);
    write_set("r", NSET, false);
    write_set("r2", NSET / 2, true);
    write_set("le", 0, false);
    fprintf(sqlf, "COMMIT;\n");
    fclose(sqlf);
    write_lines();
    snprintf(db, sizeof db, "%s/ref.db", dir);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "/usr/bin/sqlite3 %s < %s/load.sql", db, dir);
    if (access("/usr/bin/sqlite3", X_OK) != 0 || system(cmd) != 0) return -1;

    if (kt_sql_open(&ctx, &S)) return -1;
    view("t", "a STRING, b INT, c INT, v BIGINT", "csv");
    view("e", "a STRING, b INT, c INT, v BIGINT", "csv");
    view("l", "x INT, y STRING", "csv");
    view("r", "x INT, y STRING", "csv");
    view("le", "x INT, y STRING", "csv");
    view("r2", "y STRING, z INT, x INT", "csv");
    view("lines", "id INT, line STRING", "csv");
    view("j", "id INT, m MAP<STRING, INT>", "json");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    kt_sql_close(ctx, S);
    kt_rm_rf(dir);
    return 0;
}

/* ---- Running and comparing ----------------------------------------------------------- */

/* The rows of df as sorted "a|b|c" lines (NULL for nulls); frees df. */
static kt_lines kiln_rows(const char *sql)
{
    return kt_df_lines(kiln_sql(S, sql), sql);
}

/* kiln's query against sqlite's, with $ replaced by table in both. */
static void check(const char *kq, const char *sq, const char *table)
{
    char k[4096], s[4096];
    const char *src[2] = {kq, sq};
    char *dst[2] = {k, s};
    for (int i = 0; i < 2; i++) {
        char *o = dst[i];
        for (const char *p = src[i]; *p; p++) {
            if (*p == '$') {
                strcpy(o, table);
                o += strlen(table);
            } else {
                *o++ = *p;
            }
        }
        *o = 0;
    }
    kt_lines got = kiln_rows(k), want = kt_sqlite_lines(db, s);
    kt_lines_same(&got, &want, k);
}

/* ---- Grouping sets ------------------------------------------------------------------- */

static void rollup_cube_sets(void **state)
{
    (void)state;
    static const char *const tables[] = {"t", "e"};
    for (int i = 0; i < 2; i++) {
        const char *T = tables[i];
        check("SELECT a, b, sum(v), count(*), count(v), grouping(a), grouping(b), grouping_id() "
              "FROM $ GROUP BY ROLLUP(a, b)",
              "SELECT a, b, sum(v), count(*), count(v), 0, 0, 0 FROM $ GROUP BY a, b UNION ALL "
              "SELECT a, NULL, sum(v), count(*), count(v), 0, 1, 1 FROM $ GROUP BY a UNION ALL "
              "SELECT NULL, NULL, sum(v), count(*), count(v), 1, 1, 3 FROM $ HAVING count(*) > 0",
              T);
        check("SELECT a, c, max(v), min(b), grouping_id(a, c) FROM $ GROUP BY CUBE(a, c)",
              "SELECT a, c, max(v), min(b), 0 FROM $ GROUP BY a, c UNION ALL "
              "SELECT a, NULL, max(v), min(b), 1 FROM $ GROUP BY a UNION ALL "
              "SELECT NULL, c, max(v), min(b), 2 FROM $ GROUP BY c UNION ALL "
              "SELECT NULL, NULL, max(v), min(b), 3 FROM $ HAVING count(*) > 0",
              T);
        check("SELECT a, b, c, count(*), sum(v) FROM $ GROUP BY GROUPING SETS ((a, c), (b), ())",
              "SELECT a, NULL, c, count(*), sum(v) FROM $ GROUP BY a, c UNION ALL "
              "SELECT NULL, b, NULL, count(*), sum(v) FROM $ GROUP BY b UNION ALL "
              "SELECT NULL, NULL, NULL, count(*), sum(v) FROM $ HAVING count(*) > 0",
              T);
        /* a plain key crossed with a rollup; a key expression; duplicate sets */
        check("SELECT b, c + 1, count(v), grouping(c + 1) FROM $ GROUP BY b, ROLLUP(c + 1)",
              "SELECT b, c + 1, count(v), 0 FROM $ GROUP BY b, c + 1 UNION ALL "
              "SELECT b, NULL, count(v), 1 FROM $ GROUP BY b",
              T);
        check("SELECT c, sum(v) FROM $ GROUP BY GROUPING SETS ((c), (c))",
              "SELECT c, sum(v) FROM $ GROUP BY c UNION ALL SELECT c, sum(v) FROM $ GROUP BY c", T);
        /* HAVING and ORDER BY over grouping() */
        check("SELECT a, sum(v) FROM $ GROUP BY ROLLUP(a) HAVING grouping(a) = 1 OR count(*) > 300 "
              "ORDER BY grouping(a), a",
              "SELECT a, sum(v) FROM $ GROUP BY a HAVING count(*) > 300 UNION ALL "
              "SELECT NULL, sum(v) FROM $ HAVING count(*) > 0",
              T);
        /* GROUP BY ALL: the items without aggregates */
        check("SELECT a, c * 2, sum(v), count(*) FROM $ GROUP BY ALL",
              "SELECT a, c * 2, sum(v), count(*) FROM $ GROUP BY a, c * 2", T);
    }
    /* one shuffle partition, and more partitions than groups */
    static const char *const parts[] = {"1", "13"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", parts[i]),
                         KILN_OK);
        check("SELECT a, c, sum(v), grouping_id() FROM $ GROUP BY CUBE(a, c)",
              "SELECT a, c, sum(v), 0 FROM $ GROUP BY a, c UNION ALL "
              "SELECT a, NULL, sum(v), 1 FROM $ GROUP BY a UNION ALL "
              "SELECT NULL, c, sum(v), 2 FROM $ GROUP BY c UNION ALL "
              "SELECT NULL, NULL, sum(v), 3 FROM $",
              "t");
        check("SELECT x, y FROM $ EXCEPT ALL SELECT x, y FROM r",
              "SELECT x, y FROM (SELECT x, y, row_number() OVER (PARTITION BY x, y) FROM $ EXCEPT "
              "SELECT x, y, row_number() OVER (PARTITION BY x, y) FROM r)",
              "l");
    }
    kiln_session_conf_set(S, "kiln.sql.shuffle.partitions", "4");
    check("SELECT count(*), sum(v) FROM $ GROUP BY ALL", "SELECT count(*), sum(v) FROM $", "t");
    check("SELECT count(*), sum(v) FROM $ GROUP BY ALL", "SELECT count(*), sum(v) FROM $", "e");
}

/* ---- Set operations --------------------------------------------------------------------- */

static void set_operations(void **state)
{
    (void)state;
    const char *pairs[][2] = {{"l", "r"}, {"l", "le"}, {"le", "r"}, {"l", "l"}};
    for (int i = 0; i < 4; i++) {
        char k[1024], s[1024];
        const char *L = pairs[i][0], *R = pairs[i][1];
        static const char *const ops[] = {"INTERSECT", "EXCEPT"};
        for (int o = 0; o < 2; o++) {
            snprintf(k, sizeof k, "SELECT x, y FROM %s %s ALL SELECT x, y FROM %s", L, ops[o], R);
            snprintf(s, sizeof s,
                     "SELECT x, y FROM (SELECT x, y, row_number() OVER (PARTITION BY x, y) FROM "
                     "%s %s SELECT x, y, row_number() OVER (PARTITION BY x, y) FROM %s)",
                     L, ops[o], R);
            check(k, s, "");
            snprintf(k, sizeof k, "SELECT x, y FROM %s %s SELECT x, y FROM %s", L, ops[o], R);
            check(k, k, "");
            snprintf(k, sizeof k, "SELECT y FROM %s %s DISTINCT SELECT y FROM %s", L, ops[o], R);
            snprintf(s, sizeof s, "SELECT y FROM %s %s SELECT y FROM %s", L, ops[o], R);
            check(k, s, "");
        }
        snprintf(k, sizeof k, "SELECT x, y FROM %s UNION SELECT x, y FROM %s", L, R);
        check(k, k, "");
    }
    /* a chain, and a column of a wider type on one side */
    check(
        "SELECT x FROM l EXCEPT ALL SELECT x FROM r INTERSECT ALL SELECT CAST(x AS BIGINT) FROM l",
        "SELECT x FROM (SELECT x, row_number() OVER (PARTITION BY x) FROM l EXCEPT SELECT x, rn "
        "FROM (SELECT x, row_number() OVER (PARTITION BY x) AS rn FROM (SELECT x FROM (SELECT "
        "x, row_number() OVER (PARTITION BY x) FROM r INTERSECT SELECT x, row_number() OVER "
        "(PARTITION BY x) FROM l))))",
        "");
}

/* ---- Joins -------------------------------------------------------------------------------- */

static void natural_and_using(void **state)
{
    (void)state;
    check("SELECT * FROM l NATURAL JOIN r2",
          "SELECT l.x, l.y, r2.z FROM l JOIN r2 ON l.x = r2.x AND l.y = r2.y", "");
    check("SELECT * FROM l NATURAL LEFT JOIN r2",
          "SELECT l.x, l.y, r2.z FROM l LEFT JOIN r2 ON l.x = r2.x AND l.y = r2.y", "");
    check("SELECT * FROM l JOIN r2 USING (x)",
          "SELECT l.x, l.y, r2.y, r2.z FROM l JOIN r2 ON l.x = r2.x", "");
    check("SELECT * FROM l LEFT JOIN r2 USING (x)",
          "SELECT l.x, l.y, r2.y, r2.z FROM l LEFT JOIN r2 ON l.x = r2.x", "");
    check("SELECT * FROM l RIGHT JOIN r2 USING (x)",
          "SELECT r2.x, l.y, r2.y, r2.z FROM l RIGHT JOIN r2 ON l.x = r2.x", "");
    check("SELECT * FROM l FULL JOIN r2 USING (x)",
          "SELECT coalesce(l.x, r2.x), l.y, r2.y, r2.z FROM l FULL JOIN r2 ON l.x = r2.x", "");
    check("SELECT * FROM r2 FULL OUTER JOIN l USING (y, x)",
          "SELECT coalesce(r2.y, l.y), coalesce(r2.x, l.x), r2.z FROM r2 FULL JOIN l "
          "ON l.x = r2.x AND l.y = r2.y",
          "");
    check("SELECT * FROM l LEFT ANTI JOIN r2 USING (x)",
          "SELECT x, y FROM l WHERE x IS NULL OR x NOT IN (SELECT x FROM r2 WHERE x IS NOT NULL)",
          "");
    check("SELECT * FROM l NATURAL JOIN le", "SELECT * FROM le", "");
    /* the left side's key keeps its qualifier */
    check("SELECT l.x, z FROM l JOIN r2 USING (x) WHERE z > 50",
          "SELECT l.x, z FROM l JOIN r2 ON l.x = r2.x WHERE z > 50", "");
}

/* Correlated NOT IN and LIKE ANY / ALL (with NOT), against sqlite (GLOB:
 * case-sensitive as Spark's LIKE). */
static void not_in_and_like_quantifiers(void **state)
{
    (void)state;
    check("SELECT x, y FROM l WHERE x NOT IN (SELECT z - 40 FROM r2 WHERE r2.y = l.y)",
          "SELECT x, y FROM l WHERE x NOT IN (SELECT z - 40 FROM r2 WHERE r2.y = l.y)", "");
    check("SELECT x, y FROM l WHERE y NOT IN (SELECT y FROM r2 WHERE r2.x = l.x) AND x > 2",
          "SELECT x, y FROM l WHERE y NOT IN (SELECT y FROM r2 WHERE r2.x = l.x) AND x > 2", "");
    /* IN (subquery) outside WHERE's conjuncts: three-valued, an empty subquery is false */
    check("SELECT x, y, x IN (SELECT z - 40 FROM r2), y NOT IN (SELECT y FROM r2 WHERE z > 50), "
          "x IN (SELECT x FROM le), y IN (SELECT y FROM r WHERE y IS NOT NULL) FROM l",
          "SELECT x, y, x IN (SELECT z - 40 FROM r2), y NOT IN (SELECT y FROM r2 WHERE z > 50), "
          "x IN (SELECT x FROM le), y IN (SELECT y FROM r WHERE y IS NOT NULL) FROM l",
          "");
    check("SELECT x, y FROM l WHERE x > 8 OR y NOT IN (SELECT y FROM r2)",
          "SELECT x, y FROM l WHERE x > 8 OR y NOT IN (SELECT y FROM r2)", "");
    check("SELECT a, a LIKE ANY ('a%', '%é'), a LIKE ALL ('%', '日%'), a NOT LIKE ANY ('b', 'ß'), "
          "a NOT LIKE ALL ('a', '_') FROM $",
          "SELECT a, a GLOB 'a*' OR a GLOB '*é', a GLOB '*' AND a GLOB '日*', "
          "NOT a GLOB 'b' OR NOT a GLOB 'ß', NOT a GLOB 'a' AND NOT a GLOB '?' FROM $",
          "t");
}

/* ---- Generators ----------------------------------------------------------------------------- */

/* The words of the lines (empty words included), with their counts. */
static kt_lines word_counts(void)
{
    static int counts[8]; /* words[0..5], then "" */
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < NLINES; i++)
        for (int k = 0; k < lines[i].nwords; k++) counts[lines[i].w[k] < 0 ? 7 : lines[i].w[k]]++;
    kt_lines out = {0};
    char b[64];
    for (int w = 0; w < 8; w++) {
        if (!counts[w] || w == 6) continue;
        snprintf(b, sizeof b, "%s|%d", w == 7 ? "" : words[w], counts[w]);
        kt_lines_add(&out, b);
    }
    kt_lines_sort(&out);
    return out;
}

static void word_count(void **state)
{
    (void)state;
    kt_lines got = kiln_rows("SELECT w, count(*) FROM lines LATERAL VIEW explode(split(line, ' ')) "
                             "AS w GROUP BY w"),
             want = word_counts();
    kt_lines_same(&got, &want, "lateral view word count");
    got = kiln_rows("SELECT word, count(*) FROM (SELECT explode(split(line, ' ')) AS word FROM "
                    "lines) GROUP BY word");
    want = word_counts();
    kt_lines_same(&got, &want, "select-list word count");
    /* The DataFrame API: select(explode(split(line, " ")).alias("word")). */
    kiln_df *df = kiln_session_table(S, "lines");
    kiln_col *c = kiln_col_alias(kiln_fn_explode(kiln_fn_split(kiln_fn_col(S, "line"), " ")),
                                 "word");
    kiln_df *words_df = kiln_df_select(df, &c, 1);
    assert_string_equal(kiln_df_column_name(words_df, 0), "word");
    kiln_col *k = kiln_fn_col(S, "word");
    got = kt_df_lines(kiln_grouped_count(kiln_df_group_by(words_df, &k, 1)), "df word count");
    want = word_counts();
    kt_lines_same(&got, &want, "DataFrame word count");
    kiln_df_free(words_df);
    kiln_df_free(df);
}

/* posexplode_outer: id, pos, word, with one null row for a null line. */
static void posexplode_outer_rows(void **state)
{
    (void)state;
    kt_lines want = {0};
    char b[128];
    for (int i = 0; i < NLINES; i++) {
        if (lines[i].nwords < 0) {
            snprintf(b, sizeof b, "%d|NULL|NULL", i);
            kt_lines_add(&want, b);
        }
        for (int k = 0; k < lines[i].nwords; k++) {
            snprintf(b, sizeof b, "%d|%d|%s", i, k, lines[i].w[k] < 0 ? "" : words[lines[i].w[k]]);
            kt_lines_add(&want, b);
        }
    }
    kt_lines_sort(&want);
    kt_lines w2 = {0};
    for (int i = 0; i < want.n; i++) kt_lines_add(&w2, want.s[i]);
    kt_lines w3 = {0};
    for (int i = 0; i < want.n; i++) kt_lines_add(&w3, want.s[i]);
    kt_lines got = kiln_rows("SELECT id, posexplode_outer(split(line, ' ')) FROM lines");
    kt_lines_same(&got, &want, "posexplode_outer");
    got = kiln_rows("SELECT id, p, w FROM lines LATERAL VIEW OUTER posexplode(split(line, ' ')) "
                    "x AS p, w");
    kt_lines_same(&got, &w2, "lateral view outer posexplode");
    kiln_df *df = kiln_session_table(S, "lines");
    kiln_col *cols[2] = {kiln_fn_col(S, "id"),
                         kiln_fn_posexplode_outer(kiln_fn_split(kiln_fn_col(S, "line"), " "))};
    kiln_df *x = kiln_df_select(df, cols, 2);
    assert_int_equal(kiln_df_num_columns(x), 3);
    assert_string_equal(kiln_df_column_name(x, 1), "pos");
    assert_string_equal(kiln_df_column_name(x, 2), "col");
    got = kt_df_lines(x, "df posexplode_outer");
    kt_lines_same(&got, &w3, "DataFrame posexplode_outer");
    /* explode (not outer) drops null lines; explode_outer keeps them */
    int64_t n = 0, n_outer = 0, want_n = 0, want_outer = 0;
    for (int i = 0; i < NLINES; i++) {
        want_n += lines[i].nwords > 0 ? lines[i].nwords : 0;
        want_outer += lines[i].nwords > 0 ? lines[i].nwords : 1;
    }
    kiln_col *e1 = kiln_fn_explode(kiln_fn_split(kiln_fn_col(S, "line"), " "));
    kiln_col *e2 = kiln_fn_explode_outer(kiln_fn_split(kiln_fn_col(S, "line"), " "));
    kiln_df *d1 = kiln_df_select(df, &e1, 1), *d2 = kiln_df_select(df, &e2, 1);
    assert_int_equal(kiln_df_count(d1, &n), KILN_OK);
    assert_int_equal(kiln_df_count(d2, &n_outer), KILN_OK);
    assert_int_equal(n, want_n);
    assert_int_equal(n_outer, want_outer);
    kiln_df_free(d1);
    kiln_df_free(d2);
    kiln_df_free(df);
}

static void maps_and_inline(void **state)
{
    (void)state;
    kt_lines want = {0}, want_outer = {0};
    char b[128];
    for (int i = 0; i < 100; i++) {
        if (jrows[i].n <= 0) {
            snprintf(b, sizeof b, "%d|NULL|NULL", i);
            kt_lines_add(&want_outer, b);
        }
        for (int k = 0; k < jrows[i].n; k++) {
            snprintf(b, sizeof b, "%d|k%d|%d", i, k, jrows[i].v[k]);
            kt_lines_add(&want, b);
            kt_lines_add(&want_outer, b);
        }
    }
    kt_lines_sort(&want);
    kt_lines_sort(&want_outer);
    kt_lines got = kiln_rows("SELECT id, explode(m) FROM j");
    kt_lines_same(&got, &want, "explode of a map");
    got = kiln_rows("SELECT id, mk, mv FROM j LATERAL VIEW OUTER explode(m) AS mk, mv");
    kt_lines_same(&got, &want_outer, "lateral view outer explode of a map");
    /* inline over arrays of structs, against a union in sqlite */
    check("SELECT inline(array(struct(b, a), struct(c, 'z'))) FROM $",
          "SELECT b, a FROM $ UNION ALL SELECT c, 'z' FROM $", "t");
    check("SELECT a, x FROM $ LATERAL VIEW explode(array(b, c)) tt AS x WHERE x > 1",
          "SELECT a, b FROM $ WHERE b > 1 UNION ALL SELECT a, c FROM $ WHERE c > 1", "t");
    check("SELECT a, x FROM $ LATERAL VIEW explode(array(b, c)) tt AS x", "SELECT 1 WHERE 0", "e");
    check("SELECT a, explode(array(b, c)) FROM $ ORDER BY col DESC, a",
          "SELECT a, b FROM $ UNION ALL SELECT a, c FROM $", "t");
    /* the plan shows the generator */
    kiln_df *df = kiln_sql(S, "SELECT explode(array(1, 2))");
    char *ex = kiln_df_explain_string(df);
    assert_non_null(ex);
    if (!strstr(ex, "Generate explode(")) fail_msg("EXPLAIN: %s", ex);
    free(ex);
    kiln_df_free(df);
}

/* ---- Errors ------------------------------------------------------------------------------ */

static void errors_name_positions(void **state)
{
    (void)state;
    static const struct {
        const char *sql, *cls, *pos;
    } cases[] = {
        {"SELECT explode(array(1)), explode(array(2))", "UNSUPPORTED_GENERATOR.MULTI_GENERATOR",
         "pos 26"},
        {"SELECT upper(explode(array('a')))", "UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS",
         "pos 13"},
        {"SELECT a FROM t WHERE explode(array(b)) = 1", "UNSUPPORTED_GENERATOR.OUTSIDE_SELECT",
         "pos 22"},
        {"SELECT explode(1)", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", "pos 7"},
        {"SELECT posexplode(array(1)) AS p", "UDTF_ALIAS_NUMBER_MISMATCH", "pos 7"},
        {"SELECT a, explode(array(b)), count(*) FROM t GROUP BY a", "UNSUPPORTED_FEATURE",
         "pos 10"},
        {"SELECT a, grouping(a) FROM t GROUP BY a", "UNSUPPORTED_GROUPING_EXPRESSION", "pos 10"},
        {"SELECT a, grouping(v) FROM t GROUP BY ROLLUP(a)", "GROUPING_COLUMN_MISMATCH", "pos 19"},
        {"SELECT * FROM l JOIN r2 USING (q)", "UNRESOLVED_USING_COLUMN_FOR_JOIN", "line 1"},
        {"SELECT x FROM l INTERSECT ALL SELECT x, y FROM r", "NUM_COLUMNS_MISMATCH", "pos 0"},
        {"SELECT a FROM t LATERAL VIEW upper(a) x AS y", "UNSUPPORTED_GENERATOR", "pos 29"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kiln_df *df = kiln_sql(S, cases[i].sql);
        if (df) fail_msg("%s: no error", cases[i].sql);
        const char *m = kiln_last_error();
        char cls[128];
        snprintf(cls, sizeof cls, "[%s]", cases[i].cls);
        if (!strstr(m, cls) || !strstr(m, cases[i].pos))
            fail_msg("%s: got %s, expected %s at %s", cases[i].sql, m, cls, cases[i].pos);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rollup_cube_sets),
        cmocka_unit_test(set_operations),
        cmocka_unit_test(natural_and_using),
        cmocka_unit_test(word_count),
        cmocka_unit_test(posexplode_outer_rows),
        cmocka_unit_test(maps_and_inline),
        cmocka_unit_test(not_in_and_like_quantifiers),
        cmocka_unit_test(errors_name_positions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
