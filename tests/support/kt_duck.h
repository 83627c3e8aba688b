/*
 * kt_duck.h - DuckDB as the tests' second implementation of Parquet:
 * runs a query through node and tests/parquet/duck.mjs (fixed argv, no
 * shell) and returns its rows as text.
 */
#ifndef KT_DUCK_H
#define KT_DUCK_H

#include <stdbool.h>

/* Whether node and @duckdb/node-api are there; prints why not (once). */
bool kt_duck_available(void);
/* The rows of query (one line each, tab-separated values, NULL for null),
 * malloc'd; NULL when DuckDB failed (its message printed). */
char *kt_duck_query(const char *query);

#endif
