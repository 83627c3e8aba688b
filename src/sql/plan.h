/*
 * sql/plan.h - logical plans: what a DataFrame or a SQL query computes,
 * resolved and typed.
 *
 * SQL text (through the parser and the analyser) and the DataFrame API
 * build the same trees. Every node lists its output columns (name, the
 * table or alias that qualifies it, type, nullability); expressions in a
 * node refer to its input's columns by index (EX_COL), the input being the
 * child's output (for a join: the left child's columns, then the right's).
 * Nodes are immutable once made and live in an arena owned by the
 * session's plan cache or by the DataFrames sharing them (refcounted).
 *
 * The optimiser rewrites trees (plan_optimize) and the executor cuts them
 * into stages at exchanges (sql/exec.h).
 */
#ifndef KILN_SQL_PLAN_H
#define KILN_SQL_PLAN_H

#include "kiln.h"
#include "sql/expr.h"

#pragma GCC visibility push(hidden)

typedef enum plan_kind {
    PLAN_SCAN,    /* a file source: format, paths, options, schema */
    PLAN_VALUES,  /* rows held by the plan (VALUES, createDataFrame) */
    PLAN_RANGE,   /* spark.range: id bigint */
    PLAN_RDD,     /* batches of an RDD (a cached DataFrame) */
    PLAN_PROJECT, /* exprs[ncols] over the child */
    PLAN_FILTER,  /* rows where pred is true */
    PLAN_AGG,     /* group by keys, aggregates: output keys then aggregates */
    PLAN_JOIN,
    PLAN_SORT,
    PLAN_LIMIT,
    PLAN_UNION,    /* UNION ALL of children (same types, by position) */
    PLAN_EXPLODE,  /* the child's columns and the elements of gen */
    PLAN_WINDOW,   /* the child's columns and window functions */
    PLAN_DISTINCT, /* distinct rows (becomes an aggregate by every column) */
    /* the child's rows a window's rank-like function may keep (wgl_*) */
    PLAN_WINDOW_LIMIT,
    /* Leaves of the fragments tasks run (sql/exec.h): */
    PLAN_INPUT,     /* batches of the task's input (side: -1 all, else that side's) */
    PLAN_BROADCAST, /* batches of broadcast `bcast` */
} plan_kind;

typedef enum plan_agg_mode {
    PAGG_COMPLETE, /* input rows to results */
    PAGG_PARTIAL,  /* input rows to partial states (before an exchange) */
    PAGG_FINAL,    /* partial states to results */
} plan_agg_mode;

typedef enum plan_join {
    PJ_INNER,
    PJ_LEFT,
    PJ_RIGHT,
    PJ_FULL,
    PJ_SEMI,
    PJ_ANTI,
    PJ_CROSS,
} plan_join;

/* An output column. */
typedef struct plan_col {
    const char *name;
    const char *qualifier; /* table name or alias, NULL when none */
    const col_type *type;
    bool nullable;
} plan_col;

/* An aggregate call of PLAN_AGG (the aggregate functions are in agg_fn.h). */
typedef struct plan_agg {
    const char *fn; /* lower case: "sum", "count", ... */
    int nargs;      /* 0 for count(*) */
    expr **args;    /* over the child's columns */
    bool distinct;
    expr *filter; /* FILTER (WHERE ...) or NULL */
    const col_type *type;
} plan_agg;

/* A sort key of PLAN_SORT (and of window orders). */
typedef struct plan_order {
    expr *e;
    bool desc;
    bool nulls_first; /* Spark: first for ascending, last for descending by default */
} plan_order;

/* A window function of PLAN_WINDOW (analyze_window.c builds them, exec_window.c runs
 * them). Its arguments are columns of the child or constants; frames as in
 * sql/window.h (unit 0 is Spark's default frame). */
typedef struct plan_win {
    const char *fn; /* lower case: "row_number", "lag", "sum", "median", ... */
    int8_t core;    /* its win_fn in the core (sql/window.h), or -1: an aggregate of agg_fn.h */
    int nargs;
    expr **args;                /* EX_COL of the child or EX_LIT (lag's default, percentile's p) */
    int64_t n;                  /* ntile's buckets, lag/lead's offset, nth_value's n */
    bool ignore_nulls;          /* first, last, nth_value, lag, lead */
    uint8_t unit;               /* win_frame_unit */
    uint8_t start, end;         /* win_bound_kind */
    int64_t start_off, end_off; /* ROWS offsets */
    expr *start_val, *end_val;  /* RANGE offsets (literals), or NULL */
    const col_type *type;
} plan_win;

/* A conjunct of the filter above a PLAN_SCAN pushed into it (scan_dataset.c):
 * column op literal(s), as datasource.h's ds_filter. */
typedef struct plan_pushed {
    int col;          /* in src.schema */
    uint8_t op;       /* ds_filter_op */
    int nvals;        /* literals of the column's type (IN: several; IS [NOT] NULL: none) */
    expr **vals;      /* EX_LIT */
    const char *text; /* the conjunct as written (EXPLAIN) */
} plan_pushed;

/* A source of PLAN_SCAN. */
typedef struct plan_source {
    const char *format; /* "csv", "json", "text", ... */
    const char *paths;  /* comma-separated paths, globs or directories */
    int nopts;
    const char **keys, **values; /* reader options */
    col_schema schema;           /* the file's full schema */
    const char *base;            /* partitioned: the base path (ds_dataset), else NULL */
    int npart;                   /* schema's last npart columns are partition columns */
    int npushed;
    plan_pushed *pushed; /* conjuncts of the filter above, also kept there */
} plan_source;

typedef struct plan plan;
struct plan {
    uint8_t kind;
    int ncols;
    plan_col *cols;
    int nin;
    plan **in;
    /* PLAN_PROJECT: exprs[ncols]; PLAN_EXPLODE: exprs[0] the generator's
     * argument; PLAN_WINDOW: see win */
    expr **exprs;
    /* PLAN_FILTER: the predicate; PLAN_JOIN: the residual condition (NULL
     * when none) */
    expr *pred;
    /* PLAN_AGG */
    int nkeys;
    expr **keys; /* also PLAN_JOIN: left keys (over the left child) */
    int naggs;
    plan_agg *aggs;
    /* PLAN_JOIN */
    plan_join join;
    expr **rkeys; /* right keys (over the right child) */
    bool *null_safe;
    bool null_aware; /* NOT IN: a null on either side keeps no row */
    /* PLAN_SORT (PLAN_WINDOW: its order keys; keys: its partition keys) */
    int norder;
    plan_order *order;
    /* PLAN_LIMIT */
    int64_t offset, limit;
    /* PLAN_SCAN */
    plan_source src;
    int *proj; /* columns of src.schema read, ncols of them; PLAN_RDD and
                * PLAN_INPUT: columns of the batches read (NULL: all) */
    /* PLAN_VALUES */
    int nbatches;
    col_batch *batches;
    /* PLAN_RANGE */
    int64_t start, end, step;
    int slices;
    /* PLAN_RDD */
    kiln_rdd *rdd;
    int64_t row_width; /* estimated bytes of a whole cached row (all columns) */
    /* PLAN_EXPLODE: gen is a gen_fn (sql/generate.h) or GEN_REPLICATE
     * (exprs[0] a count: each row that many times, no generated column) */
    bool outer;
    uint8_t gen;
    /* PLAN_AGG */
    uint8_t agg_mode; /* plan_agg_mode */
    /* Exchanged by its first hash_keys keys only (0: all of them), so that
     * an aggregate above by those keys runs in place (the inner aggregate
     * of a rewritten DISTINCT, optimize_distinct.c). Driver-side only. */
    int hash_keys;
    /* PLAN_INPUT */
    int side;
    /* PLAN_BROADCAST */
    int64_t bcast;
    /* PLAN_JOIN: which input is built into the hash table (1 right, 0 left) */
    int build;
    /* PLAN_WINDOW: its functions, output after the child's columns */
    int nwin;
    plan_win *win;
    /* PLAN_WINDOW_LIMIT (Spark's WindowGroupLimit, exec_window_limit.c):
     * keys, order and limit as a window's and a LIMIT's; wgl_fn the win_fn
     * (row_number, rank or dense_rank) whose value must be <= limit;
     * wgl_mode 0 logical, 1 partial (before the exchange), 2 final */
    uint8_t wgl_fn, wgl_mode;
    /* Fragments the executor runs (exec_graph.c): the first of the
     * accumulators the node's operator adds its metrics to (rows out, its
     * own time in ns; 0: none), and its node in the query's plan graph
     * (1-based; 0: none). Only acc travels with the fragment. */
    int64_t acc;
    int gid;
};

/* Makes a node of kind with n inputs and room for ncols output columns,
 * in a (zeroed otherwise). */
plan *plan_new(kiln_arena *a, plan_kind kind, plan **in, int nin, int ncols);
/* The estimated size in bytes of p's output, as Spark's statistics
 * without cost-based optimisation estimate it (plan_stats.c): files' and
 * cached data's sizes scaled by the width of the columns read, filters
 * and sorts as their input, aggregates without keys one row, joins the
 * product of their inputs (semi and anti joins their left input).
 * INT64_MAX when unknown. Driver-side (reads files' sizes and the cache). */
int64_t plan_est_bytes(const plan *p);
/* As plan_est_bytes, but an equi-join is as big as its larger input in
 * rows (a foreign-key join), not the product: a guess, for choosing what
 * to measure at run time. */
int64_t plan_est_bytes_fk(const plan *p);
/* Whether p's size is hard to guess from its inputs': it has a semi or
 * anti join (an IN or EXISTS subquery) or a filter over an aggregate
 * (HAVING), which often keep few rows. */
bool plan_size_uncertain(const plan *p);
/* Whether the executor should run p first and measure it, to broadcast it
 * when it comes out below limit (kiln.sql.autoBroadcastJoinThreshold):
 * plan_size_uncertain with a foreign-key guess (plan_est_bytes_fk) within
 * 16 times the limit, or a plan with filters whose guess scaled by the
 * filters' guessed selectivity (an equality with a constant keeps 1/10,
 * a range 1/3, ...) is within 4 times it. */
bool plan_worth_measuring(const plan *p, int64_t limit);
/* plan_est_bytes_fk scaled by the guessed selectivity of p's filters. */
int64_t plan_est_bytes_guess(const plan *p);
/* The estimated in-memory bytes of a row of cols (strings counted as 20). */
int64_t plan_row_width(const plan_col *cols, int ncols);

/* Appends p's line of EXPLAIN (its kind, or name when not NULL, details
 * and columns, then a newline) to b; plan_explain_indent appends the
 * prefix of a line at depth. */
int plan_explain_line(kiln_buf *b, const plan *p, const char *name);
int plan_explain_indent(kiln_buf *b, int depth);
/* Appends an indented tree of p (EXPLAIN's logical plan) to b. */
int plan_explain(kiln_buf *b, const plan *p);
/* Appends PLAN_WINDOW p's functions and specification to b (EXPLAIN;
 * plan_window.c). */
int plan_explain_window(kiln_buf *b, const plan *p);
/* The same for PLAN_WINDOW_LIMIT: `[keys], [order], row_number(), k[, Partial|Final]`. */
int plan_explain_window_limit(kiln_buf *b, const plan *p);
/* A plan fragment as bytes (sql/plan_wire.c) and back; expressions are
 * bound again with ansi and tz where it is decoded. */
void plan_encode(wire_writer *w, const plan *p);
int plan_decode(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, plan **out);

#pragma GCC visibility pop
#endif
