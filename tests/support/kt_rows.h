/*
 * tests/support/kt_rows.h - query rows as comparable text, for the SQL
 * tests that compare kiln's answers with sqlite3's: a growable list of
 * lines, sorted for an order-free comparison, and a value's text.
 */
#ifndef KT_ROWS_H
#define KT_ROWS_H

#include "kiln.h"

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

struct kiln_df;
/* The rows of df (collected, then freed) as sorted lines of values joined
 * by '|' (kt_value_text); fails the test naming what when df is NULL or
 * the query fails. */
kt_lines kt_df_lines(struct kiln_df *df, const char *what);
/* The rows of sql run by /usr/bin/sqlite3 on database db (a scratch file
 * in dir holds the query), as sorted lines in the same form. */
kt_lines kt_sqlite_lines(const char *db, const char *dir, const char *sql);
/* Fails the test (naming what) unless got and want hold the same lines;
 * frees both. */
void kt_lines_same(kt_lines *got, kt_lines *want, const char *what);

#endif
