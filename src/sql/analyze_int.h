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

/* Window calls met while binding a SELECT (analyze_window.c). */
typedef struct win_collect win_collect;

/* What expressions are bound against. */
typedef struct binder {
    const plan *in;     /* columns in scope: in's output */
    agg_collect *aggs;  /* NULL: aggregate functions are refused */
    const char *clause; /* "WHERE", "SELECT"... for errors */
    sq_pending *pend;   /* NULL: correlated scalar subqueries are refused */
    win_collect *wins;  /* NULL: window functions are refused */
} binder;

/* A window call met while binding is an EX_COL with col = ANZ_WINDOW + its
 * index in the binder's win_collect, until anz_window_plan places it. */
#define ANZ_WINDOW (1 << 22)

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
/* Structural equality of bound expressions. */
bool expr_equal(const expr *a, const expr *b);
/* An error at the position of e (a node of z->sql). */
int anz_error(anz *z, int pos, int len, const char *cls, const char *state, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* The SQL text of node e (its span in z->sql, in z's arena), or "?". */
const char *anz_text_of(anz *z, const ast_expr *e);
/* Copy of s in z's arena. */
char *anz_strdup(anz *z, const char *s);
/* A boolean condition: e cast to boolean when it is not one (errors name
 * the clause). */
int anz_condition(anz *z, expr *e, const ast_expr *src, const char *clause, expr **out);

/* ---- Window functions (analyze_window.c) ---- */

/* A collector of window calls, in z's arena; named: the SELECT's WINDOW
 * clause (may be NULL). NULL when out of memory. */
win_collect *anz_window_new(anz *z, const ast_named_window *named, int nnamed);
/* Window calls collected so far. */
int anz_window_count(const win_collect *w);
/* Whether name is a function that exists only as a window function
 * (row_number, rank, lag, ...). */
bool anz_is_window_fn(const char *name);
/* Binds call f (lower-case name) with its OVER clause (or a window-only
 * function without one: an error) into b->wins; *out references it. */
int anz_bind_window(anz *z, const binder *b, const ast_func *f, const char *name, expr **out);
/* The column name Spark gives window call f: `sum(v) OVER (PARTITION BY k
 * ORDER BY o ASC NULLS FIRST RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
 * ROW)`, its frame spelled out (defaults too); in z's arena. */
const char *anz_window_name(anz *z, const ast_func *f);
/* Places the collected window calls over *top: a projection computing
 * what they read, then one PLAN_WINDOW per distinct (partition, order);
 * *top becomes the last. g: the SELECT's aggregate when the window calls
 * were bound over an aggregating scope (their expressions move over it),
 * else NULL. The n expressions es (over the old *top and window
 * references) are rewritten over the new *top. */
int anz_window_plan(anz *z, win_collect *w, const agg_collect *g, plan **top, expr **es, int n);

#pragma GCC visibility pop
#endif
