/*
 * fuzz_sql_parse.c - libFuzzer target for the SQL parser (src/sql/ast.h):
 * the input as SQL statements (sql_parse) and as one expression
 * (sql_parse_expr, sql_parse_named_expr), each into an arena. A parse either fails with
 * KILN_ESQL and a Spark-shaped message, or gives a tree that prints
 * (ast_format) and whose positions lie inside the text. Crashes, leaks,
 * stack overflows and out-of-bounds reads are findings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sql/ast.h"

static void check_expr(const ast_expr *e, size_t n)
{
    if (e->pos < 0 || e->len < 0 || (size_t)e->pos + (size_t)e->len > n) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *sql = malloc(size + 1);
    if (!sql) return 0;
    memcpy(sql, data, size);
    sql[size] = 0;
    size_t n = strlen(sql);
    kiln_arena *a = kiln_arena_new();
    if (!a) {
        free(sql);
        return 0;
    }
    kiln_buf b;
    kiln_buf_init(&b);
    ast_stmt **stmts;
    int count;
    int rc = sql_parse(a, sql, &stmts, &count);
    if (rc == KILN_OK) {
        for (int i = 0; i < count; i++) {
            if (stmts[i]->pos < 0 || (size_t)stmts[i]->pos + (size_t)stmts[i]->len > n) abort();
            if (ast_format(&b, stmts[i]) != KILN_OK) abort();
        }
    } else if (rc != KILN_ESQL || kiln_last_error()[0] != '[') {
        abort();
    }
    ast_expr *e;
    rc = sql_parse_expr(a, sql, &e);
    if (rc == KILN_OK) {
        check_expr(e, n);
        b.len = 0;
        if (ast_format_expr(&b, e) != KILN_OK) abort();
    } else if (rc != KILN_ESQL) {
        abort();
    }
    const char *alias;
    rc = sql_parse_named_expr(a, sql, &e, &alias);
    if (rc == KILN_OK) check_expr(e, n);
    else if (rc != KILN_ESQL) abort();
    kiln_buf_release(&b);
    kiln_arena_free(a);
    free(sql);
    return 0;
}
