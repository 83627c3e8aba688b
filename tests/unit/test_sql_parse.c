/*
 * tests/unit/test_sql_parse.c - the SQL parser (src/sql/ast.h), data-driven:
 * tests/sql/parse/ holds files of records of SQL text and the expected canonical
 * S-expression (or, in errors.txt, pieces of the expected error message):
 *
 *   # a comment
 *   SELECT a FROM t        (one or more lines of SQL)
 *   => (select (col a) (from (table t)))
 *                          (a blank line ends the record)
 *
 * expr.txt is parsed with sql_parse_expr, the others with sql_parse (several
 * statements print joined by " ; "). Then the 22 TPC-H queries, nesting far
 * beyond the depth limit, positions, names and type text.
 *
 * `test_sql_parse --print FILE` prints each record with what the parser
 * gives now, for writing new records (review them before pasting).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/base.h"
#include "sql/ast.h"

#define DATA_DIR KILN_SOURCE_DIR "/tests/sql/parse/"

/* Parses sql (as one expression when expr) and returns the canonical text
 * or "ERROR: message", malloc'd. */
static char *run(const char *sql, bool expr)
{
    kiln_arena *a = kiln_arena_new();
    kiln_buf b;
    kiln_buf_init(&b);
    int rc;
    if (expr) {
        ast_expr *e;
        rc = sql_parse_expr(a, sql, &e);
        if (rc == KILN_OK) assert_int_equal(ast_format_expr(&b, e), KILN_OK);
    } else {
        ast_stmt **s;
        int n;
        rc = sql_parse(a, sql, &s, &n);
        for (int i = 0; rc == KILN_OK && i < n; i++) {
            if (i) kiln_buf_append(&b, " ; ", 3);
            assert_int_equal(ast_format(&b, s[i]), KILN_OK);
        }
    }
    char *out;
    if (rc != KILN_OK) {
        assert_int_equal(rc, KILN_ESQL);
        out = malloc(strlen(kiln_last_error()) + 8);
        sprintf(out, "ERROR: %s", kiln_last_error());
    } else {
        out = malloc(b.len + 1);
        if (b.len) memcpy(out, b.data, b.len);
        out[b.len] = 0;
    }
    kiln_buf_release(&b);
    kiln_arena_free(a);
    return out;
}

typedef struct record {
    int line;
    char sql[8192];
    char expected[16][1024]; /* one per => line */
    int nexpected;
} record;

/* Reads the next record of f into r; false at the end. */
static bool next_record(FILE *f, int *lineno, record *r)
{
    char line[8192];
    r->sql[0] = 0;
    r->nexpected = 0;
    r->line = 0;
    while (fgets(line, sizeof line, f)) {
        (*lineno)++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        if (!r->line && (line[0] == '#' || n == 0)) continue;
        if (n == 0) break;
        if (!r->line) r->line = *lineno;
        if (strncmp(line, "=> ", 3) == 0 || strcmp(line, "=>") == 0) {
            assert_true(r->nexpected < 16);
            const char *e = n > 3 ? line + 3 : "";
            size_t el = strlen(e);
            assert_true(el < sizeof r->expected[0]);
            memcpy(r->expected[r->nexpected++], e, el + 1);
        } else {
            if (r->sql[0]) strcat(r->sql, "\n");
            assert_true(strlen(r->sql) + n + 2 < sizeof r->sql);
            strcat(r->sql, line);
        }
    }
    return r->line != 0;
}

/* Runs every record of the file name; errors: expected lines are pieces of
 * the error message. Returns the number of records. */
static int run_file(const char *name, bool expr, bool errors)
{
    char path[512];
    snprintf(path, sizeof path, DATA_DIR "%s", name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    record *r = malloc(sizeof *r);
    int lineno = 0, count = 0, failures = 0;
    while (next_record(f, &lineno, r)) {
        count++;
        if (!r->nexpected) fail_msg("%s:%d: a record without =>", name, r->line);
        char *got = run(r->sql, expr);
        if (errors) {
            bool ok = strncmp(got, "ERROR: ", 7) == 0;
            for (int i = 0; ok && i < r->nexpected; i++) ok = strstr(got, r->expected[i]) != NULL;
            if (!ok) {
                failures++;
                fprintf(stderr, "%s:%d: %s\n  expected an error with:", name, r->line, r->sql);
                for (int i = 0; i < r->nexpected; i++) fprintf(stderr, " [%s]", r->expected[i]);
                fprintf(stderr, "\n  got: %s\n", got);
            }
        } else if (strcmp(got, r->expected[0]) != 0) {
            failures++;
            fprintf(stderr, "%s:%d: %s\n  expected: %s\n  got:      %s\n", name, r->line, r->sql,
                    r->expected[0], got);
        }
        free(got);
    }
    free(r);
    fclose(f);
    if (failures) fail_msg("%s: %d of %d records failed", name, failures, count);
    return count;
}

static void test_expressions(void **state)
{
    (void)state;
    assert_true(run_file("expr.txt", true, false) >= 80);
}

static void test_queries(void **state)
{
    (void)state;
    assert_true(run_file("query.txt", false, false) >= 40);
}

static void test_statements(void **state)
{
    (void)state;
    assert_true(run_file("stmt.txt", false, false) >= 30);
}

static void test_errors(void **state)
{
    (void)state;
    assert_true(run_file("errors.txt", false, true) >= 15);
}

/* The data-driven comparison is strict: a wrong expectation fails. */
static void test_mismatch_is_caught(void **state)
{
    (void)state;
    char *got = run("SELECT 1 + 2 * 3", false);
    assert_string_equal(got, "(select (+ (int 1) (* (int 2) (int 3))))");
    assert_string_not_equal(got, "(select (* (+ (int 1) (int 2)) (int 3)))");
    free(got);
}

static void test_tpch(void **state)
{
    (void)state;
    const char *dirs[] = {KILN_SOURCE_DIR "/../shared/bench/tpch/queries",
                          "/work/shared/bench/tpch/queries"};
    const char *dir = NULL;
    struct stat st;
    for (size_t i = 0; i < 2 && !dir; i++)
        if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode)) dir = dirs[i];
    if (!dir) {
        printf("test_tpch: skipped: no TPC-H queries at %s\n", dirs[0]);
        skip();
    }
    for (int q = 1; q <= 22; q++) {
        char path[600];
        snprintf(path, sizeof path, "%s/q%02d.sql", dir, q);
        FILE *f = fopen(path, "r");
        if (!f) fail_msg("cannot open %s", path);
        char *sql = calloc(1, 1 << 16);
        size_t n = fread(sql, 1, (1 << 16) - 1, f);
        fclose(f);
        sql[n] = 0;
        char *got = run(sql, false);
        if (strncmp(got, "ERROR", 5) == 0) fail_msg("q%02d: %s", q, got);
        /* Every query selects something from somewhere. */
        assert_non_null(strstr(got, "(from"));
        free(got);
        free(sql);
    }
}

/* prefix, head n times, mid, tail m times (malloc'd). */
static char *repeat(const char *prefix, const char *head, int n, const char *mid, const char *tail,
                    int m)
{
    size_t pl = strlen(prefix), hl = strlen(head), tl = strlen(tail), ml = strlen(mid);
    char *s = malloc(pl + hl * (size_t)n + ml + tl * (size_t)m + 1);
    char *p = s;
    memcpy(p, prefix, pl);
    p += pl;
    for (int i = 0; i < n; i++, p += hl) memcpy(p, head, hl);
    memcpy(p, mid, ml);
    p += ml;
    for (int i = 0; i < m; i++, p += tl) memcpy(p, tail, tl);
    *p = 0;
    return s;
}

static void expect_too_complex(char *sql)
{
    char *got = run(sql, false);
    if (!strstr(got, "[FAILED_TO_PARSE_TOO_COMPLEX]")) fail_msg("%.200s", got);
    assert_non_null(strstr(got, "SQLSTATE: 54001"));
    free(got);
    free(sql);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    expect_too_complex(repeat("", "(", 100000, "SELECT 1", ")", 100000));
    expect_too_complex(repeat("SELECT ", "(", 100000, "1", ")", 100000));
    expect_too_complex(repeat("SELECT ", "- ", 100000, "1", "", 0));
    expect_too_complex(repeat("SELECT ", "~", 100000, "1", "", 0));
    expect_too_complex(repeat("SELECT 1 WHERE ", "NOT ", 100000, "x", "", 0));
    expect_too_complex(repeat("SELECT * FROM ", "(", 100000, "t", ")", 100000));
    expect_too_complex(repeat("SELECT ", "f(", 100000, "1", ")", 100000));
    expect_too_complex(repeat("", "SELECT * FROM (", 2000, "SELECT 1", ")", 2000));
    expect_too_complex(repeat("", "EXPLAIN ", 2000, "SELECT 1", "", 0));
    expect_too_complex(repeat("SELECT ", "a[", 100000, "1", "]", 100000));
    expect_too_complex(repeat("SELECT ", "CASE WHEN ", 100000, "1", " THEN 1 END", 100000));
    expect_too_complex(repeat("SELECT ", "substring(", 100000, "x", ", 1)", 100000));
    expect_too_complex(repeat("SELECT ", "trim(", 100000, "x", ")", 100000));
    expect_too_complex(repeat("SELECT ", "position(", 100000, "x", " IN y)", 100000));
    /* Calls that look like special forms are parsed once, not again and
     * again (2^n): 25 levels of each take no time. */
    char *calls = repeat("SELECT ", "substring(trim(position(", 25, "x", ", 1), 2), 3)", 25);
    char *out = run(calls, false);
    assert_int_equal(strncmp(out, "(select (call substring (call trim (call position", 49), 0);
    free(out);
    free(calls);
    /* Long chains make deep trees too: a + b + ..., joins, set operations. */
    expect_too_complex(repeat("SELECT 1", " + 1", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT 1 WHERE a", " OR a", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT a", "[0]", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT a", "::int", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT f(a)", ".b", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT * FROM t", " JOIN t", 100000, "", "", 0));
    expect_too_complex(repeat("SELECT 1", " UNION SELECT 1", 100000, "", "", 0));
    /* Within the limits it parses, and prints. */
    char *chain = repeat("SELECT 1 WHERE a = 0", " OR a = 1", SQL_MAX_HEIGHT / 2 - 10, "", "", 0);
    char *text = run(chain, false);
    assert_int_equal(strncmp(text, "(select (int 1) (where (or (or", 30), 0);
    free(text);
    free(chain);
    char *sql = repeat("SELECT ", "(", 300, "1", ")", 300);
    char *got = run(sql, false);
    assert_string_equal(got, "(select (int 1))");
    free(got);
    free(sql);
}

static void test_positions(void **state)
{
    (void)state;
    const char *sql = "SELECT sum(x) AS s,\n  a.b + 1, `we``ird` FROM t\nWHERE  x > 0";
    kiln_arena *a = kiln_arena_new();
    ast_stmt **s;
    int n;
    assert_int_equal(sql_parse(a, sql, &s, &n), KILN_OK);
    assert_int_equal(n, 1);
    assert_int_equal(s[0]->kind, AST_STMT_QUERY);
    assert_int_equal(s[0]->pos, 0);
    assert_int_equal(s[0]->len, (int)strlen(sql));
    ast_query *q = ((ast_stmt_query *)s[0])->query;
    ast_select *sel = q->body;
    assert_int_equal(sel->kind, AST_SELECT);
    assert_int_equal(sel->nitems, 3);
    ast_expr *e = sel->items[0].expr;
    assert_int_equal(e->kind, AST_FUNC);
    assert_int_equal(e->pos, 7);
    assert_int_equal(e->len, 6); /* sum(x) */
    assert_string_equal(sel->items[0].alias, "s");
    e = sel->items[1].expr;
    assert_int_equal(e->kind, AST_BINARY);
    assert_memory_equal(sql + e->pos, "a.b + 1", 7);
    assert_int_equal(e->len, 7);
    ast_column *c = (ast_column *)((ast_binary *)e)->left;
    assert_int_equal(c->name.n, 2);
    assert_string_equal(c->name.parts[0], "a");
    assert_string_equal(c->name.parts[1], "b");
    c = (ast_column *)sel->items[2].expr;
    assert_string_equal(c->name.parts[0], "we`ird");
    assert_int_equal(c->e.len, 9);
    assert_int_equal(sel->from[0]->pos, (int)(strstr(sql, "t\n") - sql));
    assert_int_equal(sel->where->pos, (int)(strstr(sql, "x > 0") - sql));
    assert_int_equal(sel->where->len, 5);

    /* Type text for col_type_parse. */
    const char
        *t2 = "CAST(x AS decimal(15, 2)) + CAST(y AS array<struct<a:int,b:map<string,int>>>)";
    ast_expr *x;
    assert_int_equal(sql_parse_expr(a, t2, &x), KILN_OK);
    ast_cast *c1 = (ast_cast *)((ast_binary *)x)->left;
    ast_cast *c2 = (ast_cast *)((ast_binary *)x)->right;
    assert_string_equal(c1->type.text, "decimal(15, 2)");
    assert_int_equal(c1->type.pos, 10);
    assert_int_equal(c1->type.len, 14);
    assert_string_equal(c2->type.text, "array<struct<a:int,b:map<string,int>>>");
    assert_memory_equal(t2 + c2->type.pos, c2->type.text, (size_t)c2->type.len);
    assert_int_equal(x->len, (int)strlen(t2));
    /* selectExpr strings: an expression and an alias. */
    const char *alias;
    assert_int_equal(sql_parse_named_expr(a, "sum(x) * 2 AS `Total`", &x, &alias), KILN_OK);
    assert_string_equal(alias, "Total");
    assert_int_equal(x->kind, AST_BINARY);
    assert_int_equal(x->len, 10);
    assert_int_equal(sql_parse_named_expr(a, "a b", &x, &alias), KILN_OK);
    assert_string_equal(alias, "b");
    assert_int_equal(sql_parse_named_expr(a, "a", &x, &alias), KILN_OK);
    assert_null(alias);
    assert_int_equal(sql_parse_expr(a, "a AS b", &x), KILN_ESQL);
    assert_non_null(strstr(kiln_last_error(), "Syntax error at or near 'AS'"));
    assert_int_equal(sql_parse_named_expr(a, "a AS b c", &x, &alias), KILN_ESQL);
    /* Unquoted names keep their case. */
    assert_int_equal(sql_parse_expr(a, "Foo.BAR", &x), KILN_OK);
    assert_string_equal(((ast_column *)x)->name.parts[1], "BAR");
    kiln_arena_free(a);
}

static void test_error_position(void **state)
{
    (void)state;
    char *got = run("SELECT a,\n  b FROM FROM t", false);
    assert_string_equal(got, "ERROR: [PARSE_SYNTAX_ERROR] Syntax error at or near 'FROM'. "
                             "SQLSTATE: 42601; line 2 pos 9\n"
                             "== SQL ==\n"
                             "SELECT a,\n"
                             "  b FROM FROM t\n"
                             "---------^^^^");
    free(got);
}

/* --print FILE: the records of FILE with what the parser gives now. */
static int print_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, DATA_DIR "%s", name);
    FILE *f = fopen(path, "r");
    if (!f) return 1;
    bool expr = strcmp(name, "expr.txt") == 0;
    record *r = malloc(sizeof *r);
    int lineno = 0;
    while (next_record(f, &lineno, r)) {
        char *got = run(r->sql, expr);
        printf("%s\n=> %s\n\n", r->sql, got);
        free(got);
    }
    free(r);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--print") == 0) return print_file(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expressions),        cmocka_unit_test(test_queries),
        cmocka_unit_test(test_statements),         cmocka_unit_test(test_errors),
        cmocka_unit_test(test_mismatch_is_caught), cmocka_unit_test(test_tpch),
        cmocka_unit_test(test_deep_nesting),       cmocka_unit_test(test_positions),
        cmocka_unit_test(test_error_position),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
