/*
 * sql/sql_error.h - errors of SQL text and DataFrame operations, in Spark's
 * shape: an error class in brackets, a message, and for SQL text the line
 * and position with the statement and a caret under the offending token:
 *
 *   [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function
 *   parameter with name `nme` cannot be resolved. Did you mean one of the
 *   following? [`name`, `age`]. SQLSTATE: 42703; line 1 pos 7
 *   == SQL ==
 *   SELECT nme FROM people
 *   -------^^^
 *
 * The message goes to kiln_last_error() (kiln_set_error) and the function
 * returns the code, KILN_ESQL for anything the user wrote.
 */
#ifndef KILN_SQL_ERROR_H
#define KILN_SQL_ERROR_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/* A place in SQL text: byte offset, 1-based line, 0-based position in the
 * line (Spark's "line 1 pos 7"). */
typedef struct sql_pos {
    int offset; /* -1: no position (a DataFrame call) */
    int line;
    int col;
} sql_pos;

/* The position of byte offset in sql (line and column counted). */
sql_pos sql_pos_at(const char *sql, size_t offset);
#define SQL_NO_POS ((sql_pos){-1, 0, 0})

/* Sets the last error to "[cls] message" followed, when pos has an offset
 * and sql is given, by "; line L pos C", the statement and a caret line
 * (len carets, at least one); returns code. sqlstate may be NULL. */
int sql_error(int code, const char *sql, sql_pos pos, int len, const char *cls,
              const char *sqlstate, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* The edit distance (Levenshtein, case-insensitive) of a and b, for "did
 * you mean" suggestions. */
int sql_edit_distance(const char *a, const char *b);

#pragma GCC visibility pop
#endif
