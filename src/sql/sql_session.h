/*
 * sql/sql_session.h - a SQL session (Spark's SparkSession): settings,
 * the catalog of temporary views and functions, and running statements.
 * The public DataFrame API (include/kiln/sql.h) and `kiln sql` use it.
 */
#ifndef KILN_SQL_SESSION_H
#define KILN_SQL_SESSION_H

#include "kiln.h"
#include "sql/exec.h"

#pragma GCC visibility push(hidden)

typedef struct kiln_session kiln_session;

/* Adds the kiln.sql.* settings to the known configuration keys (once per
 * process; before contexts are made, so their values are checked). */
void sql_conf_register(void);

/* Makes a session over ctx (borrowed; it must outlive the session).
 * Settings start from ctx's configuration (kiln.sql.*). */
int sql_session_new(kiln_context *ctx, kiln_session **out);
void sql_session_free(kiln_session *s);
/* SET key=value: checks known keys' values (errors name the key). */
int sql_session_set(kiln_session *s, const char *key, const char *value);
/* The value of a setting or NULL. */
const char *sql_session_get(kiln_session *s, const char *key);

/* What running a statement gave: rows for a query or a command that
 * answers with rows (SHOW TABLES, DESCRIBE, EXPLAIN, SET), none for DDL. */
typedef struct sql_outcome {
    bool has_rows;
    sql_result rows; /* when has_rows; released by the callback's caller */
} sql_outcome;

/* Called for each statement's outcome in order; returning nonzero stops. */
typedef int (*sql_outcome_fn)(void *arg, const char *stmt, size_t stmt_len, const sql_outcome *o,
                              double seconds);

/* Parses text (one or more statements separated by ';') and runs them in
 * order, stopping at the first error (returned; message in
 * kiln_last_error(), with the SQL position for analysis errors). */
int sql_session_run(kiln_session *s, const char *text, sql_outcome_fn fn, void *arg);

/* The evaluation settings of the session (for formatting results). */
void sql_session_fn_ctx(kiln_session *s, kiln_arena *a, fn_ctx *out);

#pragma GCC visibility pop
#endif
