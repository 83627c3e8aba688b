/*
 * tests/support/kt_rows.h - query rows as comparable text, for the SQL
 * tests that compare kiln's answers with sqlite3's: a growable list of
 * lines, sorted for an order-free comparison, and a value's text.
 */
#ifndef KT_ROWS_H
#define KT_ROWS_H

#include <stdbool.h>
#include <stdio.h>

#include "kiln.h"
#include "kiln/sql.h"

/* Lines (owned copies). Zero-initialise; kt_lines_free releases them. */
typedef struct kt_lines {
    char **s;
    int n, cap;
} kt_lines;

/* Appends a copy of line (fails the test when out of memory). */
void kt_lines_add(kt_lines *l, const char *line);
/* Sorts the lines (strcmp order). */
void kt_lines_sort(kt_lines *l);
void kt_lines_free(kt_lines *l);
/* Appends v as sqlite3 prints it: NULL, 1/0 for booleans, integers,
 * doubles with %.17g, strings as they are ("?" for other types). */
void kt_value_text(kiln_buf *b, const kiln_value *v);
/* The rows of df (collected; df is freed) as sorted "a|b|c" lines in
 * kt_value_text's spelling; fails the test naming what when df is NULL or
 * its job fails. */
kt_lines kt_df_lines(kiln_df *df, const char *what);
/* EXPLAIN's text for sql in session s (malloc'ed: free it); fails the test
 * when sql does not analyse. */
char *kt_sql_explain(kiln_session *s, const char *sql);
/* The rows sqlite3 gives for sql over database file db, in the same
 * spelling, sorted; fails the test when sqlite3 fails. */
kt_lines kt_sqlite_lines(const char *db, const char *sql);
/* A table of random rows written twice: dir/name.csv (a header, null as
 * \N: read it with nullValue \N; strings quoted, so an empty one is not
 * null) and dir/name.sql, a sqlite3 script for kt_sqlite_load. */
typedef struct kt_table {
    FILE *csv, *sql;
    int ncols;
    bool text[16];
    char name[64];
} kt_table;

/* Starts table name with columns cols[i] = "name TYPE" (sqlite3's types:
 * TEXT columns are strings). Returns 0 or -1. */
int kt_table_open(kt_table *t, const char *dir, const char *name, const char *const *cols,
                  int ncols);
/* Appends a row: v[i] the text of column i, NULL for null. */
void kt_table_row(kt_table *t, const char *const *v);
/* Ends the files. Returns 0 or -1. */
int kt_table_close(kt_table *t);
/* Runs the statements of file script into sqlite3 database file db when
 * /usr/bin/sqlite3 is there (*have says whether it is). Returns 0, or -1
 * when sqlite3 fails. */
int kt_sqlite_load(const char *db, const char *script, bool *have);
/* Registers CSV file path (a header line, DDL schema, reader options
 * kv[0] = kv[1], ...: a NULL-terminated list, or NULL) as s's temporary
 * view name. Returns 0 or -1. */
int kt_csv_view(kiln_session *s, const char *name, const char *path, const char *schema,
                const char *const *kv);
/* A context on $KT_MASTER (local[2] when unset) and a SQL session on it
 * (both owned by the caller; kt_sql_close frees them). Returns 0 or -1. */
int kt_sql_open(kiln_context **ctx, kiln_session **s);
/* As kt_sql_open, with the context's settings kv[0] = kv[1], ... too (a
 * NULL-terminated list of keys and values; NULL: none). */
int kt_sql_open_with(kiln_context **ctx, kiln_session **s, const char *const *kv);
void kt_sql_close(kiln_context *ctx, kiln_session *s);
/* kiln_sql(s, the printf-formatted text); fails the test naming the text
 * when it does not analyse or run. */
kiln_df *kt_sqlf(kiln_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The printf-formatted text in a buffer of the thread's, valid until the
 * next call. */
const char *kt_textf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Writes s escaped as Spark escapes partition directory names (control
 * characters, the quote, hash, percent, apostrophe, star, slash, colon,
 * equals, question mark, backslash, braces, brackets and caret as %XX:
 * the tests' own) into out (room for 3 x strlen(s) + 1). */
void kt_escape_path_name(const char *s, char *out);
/* Fails the test (naming what) unless got and want hold the same lines;
 * frees both. */
void kt_lines_same(kt_lines *got, kt_lines *want, const char *what);

#endif
