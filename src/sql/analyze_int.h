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
    /* Grouping sets (analyze_grouping.c): 1 + the grouping id's column in
     * the Expand below the aggregate (0: none), and the number of keys
     * nulled by the sets (the first ones; nullable in the output). */
    int gid;
    int nnullkeys;
} agg_collect;

/* GROUP BY's grouping sets: masks over the first n keys. */
typedef struct anz_gsets {
    int nsets;
    uint64_t *sets;
    int n;
    int base; /* the input's columns */
    bool dup; /* a set listed twice: each copy is its own group */
} anz_gsets;

/* Correlated scalar subqueries met while binding a WHERE clause or a
 * select list: each is left-joined to the FROM plan (its columns appended after base + added
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
    const plan *in;        /* columns in scope: in's output */
    agg_collect *aggs;     /* NULL: aggregate functions are refused */
    const char *clause;    /* "WHERE", "SELECT"... for errors */
    sq_pending *pend;      /* NULL: correlated scalar subqueries are refused */
    win_collect *wins;     /* NULL: window functions are refused */
    const ast_expr *where; /* WHERE: the whole condition (INVALID_WHERE_CONDITION) */
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
/* KILN_OK when ORDER BY item it, of type t, can be ordered, else Spark's
 * INVALID_ORDERING_TYPE error at it (analyze_order.c). */
int anz_check_orderable(anz *z, const ast_sort_item *it, const col_type *t);
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

/* Whether e has an aggregate call outside window functions. */
bool anz_has_agg(const ast_expr *e);

/* ---- GROUP BY ALL and grouping sets (analyze_grouping.c) ---- */

/* Whether s's GROUP BY has ROLLUP, CUBE or GROUPING SETS. */
bool anz_has_grouping_sets(const ast_select *s);
/* g's keys for GROUP BY ALL or grouping sets over from (gs: the sets,
 * nsets 0 for GROUP BY ALL). */
int anz_group_keys(anz *z, const ast_select *s, plan *from, agg_collect *g, anz_gsets *gs);
/* Puts the Expand of gs under aggregate agg (made with g's keys) and
 * points its keys at the Expand's columns. */
int anz_grouping_expand(anz *z, const anz_gsets *gs, const agg_collect *g, plan *agg);
/* grouping(x) and grouping_id(...) (name) in an aggregating SELECT. */
int anz_bind_grouping(anz *z, const binder *b, const ast_func *f, const char *name, expr **out);

/* INTERSECT ALL (intersect) or EXCEPT ALL of l and r (same column types),
 * analyze_setop.c. */
int anz_setop_all(anz *z, bool intersect, plan *l, plan *r, plan **out);

/* Join j of l and r (type jt) by its USING columns or, NATURAL, the
 * columns both name (analyze_using.c). */
int anz_join_using(anz *z, const ast_rel_join *j, plan *l, plan *r, plan_join jt, plan **out);

/* x [NOT] IN (subquery) outside WHERE's conjuncts (uncorrelated: the
 * subquery runs now), analyze_insub.c. */
int anz_in_subquery(anz *z, const binder *b, const ast_in *x, expr **out);

/* ---- Generators (analyze_generate.c) ---- */

/* Whether name is a generator (explode, posexplode, inline, their _outer
 * forms): *fn its gen_fn, *outer whether it is an outer one (either NULL). */
bool anz_gen_lookup(const char *name, int *fn, bool *outer);
/* A Generate node over in for generator call f (outer when outer or an
 * _outer name): in's columns then the generated ones, named names[nnames]
 * (0: Spark's col, key, value, pos, fields) and qualified by qual. */
int anz_generate(anz *z, plan *in, const ast_func *f, bool outer, const char *qual,
                 const char *const *names, int nnames, plan **out);
/* s's LATERAL VIEWs applied to *from in turn. */
int anz_lateral_views(anz *z, const ast_select *s, plan **from);
/* When e is a generator call: *gen its Generate node over in (its one
 * column named alias when given) and returns 1; 0 when e is not one;
 * negative on errors. */
int anz_gen_item(anz *z, plan *in, const ast_expr *e, const char *alias, plan **gen);
/* The generator of s's SELECT list over from: *gen its node and *item its
 * index, or NULL and -1 when there is none (more than one is an error). */
int anz_select_generator(anz *z, const ast_select *s, plan *from, bool aggregating, plan **gen,
                         int *item);
/* The error for generator call f met while binding (nested in an
 * expression or outside a SELECT list). */
int anz_gen_misplaced(anz *z, const binder *b, const ast_func *f);

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
