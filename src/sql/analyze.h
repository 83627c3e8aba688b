/*
 * sql/analyze.h - the analyser: parsed SQL (ast.h) into logical plans
 * (plan.h) with every name resolved and every expression typed, as
 * Spark's Analyzer does. DataFrame calls use it too: their column
 * expressions are syntax trees resolved against the DataFrame's plan.
 *
 * Names resolve case-insensitively against the columns in scope (a FROM
 * clause's relations, qualified by their table name or alias); an unknown
 * name is Spark's UNRESOLVED_COLUMN.WITH_SUGGESTION error with the nearest
 * names and the position in the SQL text; a name two relations have is
 * AMBIGUOUS_REFERENCE.
 */
#ifndef KILN_SQL_ANALYZE_H
#define KILN_SQL_ANALYZE_H

#include "sql/ast.h"
#include "sql/plan.h"

#pragma GCC visibility push(hidden)

/* What the analyser asks of the session. */
typedef struct anz_catalog {
    void *arg;
    /* The plan of a temporary view or table (a borrowed plan that outlives
     * the query), or NULL when there is none. */
    const plan *(*lookup)(void *arg, const char *name);
    /* A scan of files (csv.`path`, a view USING csv): the schema given
     * (NULL: inferred from the files) and options; *out is made in a.
     * Returns KILN_OK or the error (message set, naming the path). */
    int (*file_scan)(void *arg, kiln_arena *a, const char *format, const char *paths, int nopts,
                     const char *const *keys, const char *const *values, const col_schema *schema,
                     plan **out);
    /* Runs p (an uncorrelated scalar subquery: one column) now: *out gets
     * its single value as a one-row vector in a (null when it has no
     * row); more than one row is Spark's SCALAR_SUBQUERY_TOO_MANY_ROWS. */
    int (*run_scalar)(void *arg, kiln_arena *a, const plan *p, col_vec *out);
    /* The session's native function (udf.h) called name (lower case), or
     * NULL (borrowed, valid during the analysis). */
    const struct udf_ref *(*function)(void *arg, const char *name);
} anz_catalog;

/* Columns of an enclosing query seen from a subquery are EX_COL nodes with
 * col = ANZ_OUTER + the column's index in that query's scope. */
#define ANZ_OUTER (1 << 24)

/* What a correlated subquery's analysis hands back: the conditions of its
 * WHERE that read outer columns (taken out of its plan), over its FROM
 * scope (inner columns) and ANZ_OUTER + i (outer column i); and the FROM
 * columns those conditions read, which the subquery's plan outputs after
 * its own columns (so a join can evaluate the conditions). */
typedef struct anz_corr {
    int n, cap;
    expr **conds;
    int nextra;
    int *extra; /* FROM-scope column of each extra output column */
} anz_corr;

typedef struct anz {
    kiln_arena *a;   /* plans and expressions */
    const char *sql; /* the text positions refer to (errors), or NULL */
    bool ansi;
    const char *tz;
    const anz_catalog *cat;
    int depth;         /* of nested queries */
    const plan *outer; /* the enclosing query's scope (in a subquery), or NULL */
    anz_corr *corr;    /* where a subquery's correlated conditions go, or NULL */
    /* CTEs in scope (innermost last). */
    int nctes;
    struct anz_cte {
        const char *name;
        plan *p;
    } * ctes;
} anz;

/* The plan of query q. */
int anz_query(anz *z, const ast_query *q, plan **out);
/* Expression e over the output columns of input (a DataFrame's select,
 * filter, withColumn...). Aggregate functions are refused here. */
int anz_expr(anz *z, const plan *input, const ast_expr *e, expr **out);
/* The column name Spark gives expression e when it has no alias:
 * a column's own name, else its SQL text as Spark prints it. */
const char *anz_expr_name(anz *z, const ast_expr *e);
/* A plan that keeps input's columns except those named in drop... helpers
 * for the DataFrame API live in dataframe.c. */

/* Type of a literal, for tests: parses l into a constant expression. */
int anz_literal(anz *z, const ast_literal *l, expr **out);

#pragma GCC visibility pop
#endif
