/*
 * sql/analyze_int.h - what the analyser's files share (analyze_expr.c,
 * analyze_query.c).
 */
#ifndef KILN_SQL_ANALYZE_INT_H
#define KILN_SQL_ANALYZE_INT_H

#include "sql/agg_fn.h"
#include "sql/analyze.h"

#pragma GCC visibility push(hidden)

/* Aggregates met while binding the expressions of an aggregating SELECT:
 * each becomes an output column of the aggregate after its keys. */
typedef struct agg_collect {
    int nkeys;
    expr **keys; /* over the input */
    int naggs, cap;
    plan_agg *aggs;
    int nwin; /* window calls met (refused for now) */
} agg_collect;

/* Correlated scalar subqueries met while binding a WHERE clause: each is
 * left-joined to the FROM plan (its columns appended after base + added
 * earlier ones) once the clause is bound. */
typedef struct sq_pending {
    int base;  /* the FROM plan's columns */
    int added; /* columns the joins so far append */
    int n, cap;
    struct sq_join {
        plan *sub;
        expr *cond; /* over FROM ++ earlier subqueries ++ this one's output */
    } * j;
} sq_pending;

/* What expressions are bound against. */
typedef struct binder {
    const plan *in;        /* columns in scope: in's output */
    agg_collect *aggs;     /* NULL: aggregate functions are refused */
    const char *clause;    /* "WHERE", "SELECT"... for errors */
    sq_pending *pend;      /* NULL: correlated scalar subqueries are refused */
    const ast_expr *where; /* WHERE: the whole condition (INVALID_WHERE_CONDITION) */
} binder;

/* Analyses subquery q with outer as the enclosing scope: *sub its plan
 * (correlated conditions taken out, into corr, and the columns they read
 * added to its output after its own). */
int anz_subquery(anz *z, const ast_query *q, const plan *outer, plan **sub, anz_corr *corr);
/* The AND of corr's conditions over (outer's nouter columns ++ the
 * subquery's output, whose first nvisible columns are its own), or NULL
 * when there are none (*out NULL, KILN_OK). */
int anz_corr_cond(anz *z, const anz_corr *corr, int nouter, int nvisible, expr **out);

/* Binds e; aggregate calls become references (EX_COL with col = -1 - i)
 * to b->aggs->aggs[i]. */
int anz_bind(anz *z, const binder *b, const ast_expr *e, expr **out);
/* Over an aggregate's output: keys' subtrees become their key column,
 * aggregate references their column; a column of the input left outside
 * both is MISSING_AGGREGATION. */
int anz_over_agg(anz *z, const agg_collect *g, expr *e, expr **out, const ast_expr *where);
/* A join of l and r (their columns, nullable as the join type makes them;
 * semi and anti joins l's only), without conditions yet (anz_join_keys). */
plan *anz_join_node(anz *z, plan *l, plan *r, plan_join jt);
/* Splits cond (over j's output: the left child's columns, then the
 * right's) into j's equi-join keys and its residual condition; a cross
 * join with a condition becomes an inner one. */
int anz_join_keys(anz *z, plan *j, expr *cond);
/* Correlated scalar subqueries (analyze_scalar_sq.c). Records sub (its
 * value in column 0) to be left-joined by cond after p's earlier ones and
 * makes *out the value's reference; when sub aggregates to a non-null
 * value on empty input (count(*): 0), outer rows that match no group get
 * that value instead of null, as Spark's. text names the expression. */
int anz_scalar_sq_join(anz *z, sq_pending *p, const char *text, plan *sub, expr *cond, expr **out);
/* Left-joins pend's subqueries to *from, in order. */
int anz_scalar_sq_apply(anz *z, plan **from, const sq_pending *pend);
/* Structural equality of bound expressions. */
bool expr_equal(const expr *a, const expr *b);
/* An error at the position of e (a node of z->sql). */
int anz_error(anz *z, int pos, int len, const char *cls, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Copy of s in z's arena. */
char *anz_strdup(anz *z, const char *s);
/* A boolean condition: e cast to boolean when it is not one (errors name
 * the clause). */
int anz_condition(anz *z, expr *e, const ast_expr *src, const char *clause, expr **out);

#pragma GCC visibility pop
#endif
