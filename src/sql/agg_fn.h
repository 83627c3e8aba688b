/*
 * sql/agg_fn.h - aggregate functions of SQL: the registry the analyser
 * looks names up in (like fn.h's scalar registry) and the vectorised state
 * operations the hash aggregation (agg_table.h) runs on whole batches.
 *
 * Each group's states live in one fixed-size row of the table: aggregate j
 * owns bytes [offset_j, offset_j + state_size) of it, and every state is
 * valid when all its bytes are zero (the table zeroes new rows; there is no
 * separate init). Variable-size states (collect_list, collect_set, string
 * min/max) keep their parts in an arena owned by the table (agg_ctx.arena)
 * and point at them from the fixed row.
 *
 * The operations work on whole batches: update(states, gids, args, sel,
 * count) adds rows sel[k] of the argument vectors to the group gids[k]
 * (gids NULL: every row to the single state at states, the global
 * aggregate); merge does the same with the state columns a partial
 * aggregate produced (the partial/final split across a shuffle); the state
 * columns of a group come out of partial, the result out of finalize.
 * Each (function, argument type) has its own loop: no call per row.
 *
 * Nulls: every function skips null arguments except count(*), first/last
 * without ignoreNulls and collect's none. A group that saw no value gives
 * null (sum, avg, min, max, ...) or 0 (count, count_if, approx_count_distinct).
 */
#ifndef KILN_SQL_AGG_FN_H
#define KILN_SQL_AGG_FN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

#define AGG_MAX_ARGS 4
#define AGG_MAX_STATE_COLS 6

/* Run-time settings and state memory of the aggregates of one table. */
typedef struct agg_ctx {
    kiln_arena *arena; /* variable-size state parts; lives as long as the states */
    kiln_arena *out;   /* output vectors' parts (finalize, partial): collect's elements */
    bool ansi;         /* overflow is an error (else null) */
    const char *expr;  /* SQL text of the aggregate call, for errors (may be NULL) */
} agg_ctx;

typedef struct agg_bound agg_bound;

/* rows: states of group g at states + g * stride (gids NULL: the single
 * state at states). Returns KILN_OK, KILN_ENOMEM, or KILN_ESQL with the
 * message in kiln_last_error() ([ARITHMETIC_OVERFLOW] ...). */
typedef int (*agg_update_fn)(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                             const uint32_t *gids, const col_vec *args, const uint32_t *sel,
                             uint32_t count);
/* Merges rows sel[k] of the partial state columns into group gids[k]. */
typedef int (*agg_merge_fn)(agg_ctx *c, const agg_bound *b, uint8_t *states, size_t stride,
                            const uint32_t *gids, const col_vec *state_cols, const uint32_t *sel,
                            uint32_t count);
/* Writes count consecutive groups' results (finalize) or state columns
 * (partial) into rows 0..count of out, made by the caller with
 * agg_output_init; strings may point into c->arena. */
typedef int (*agg_out_fn)(agg_ctx *c, const agg_bound *b, const uint8_t *states, size_t stride,
                          uint32_t count, col_vec *out);

/* One aggregate call bound to its argument types. */
struct agg_bound {
    const struct agg_def *def;
    int nargs;
    /* Argument types; bind may replace one by the type the caller must cast
     * that argument to (variance and corr take doubles, sum(NULL) a double). */
    const col_type *args[AGG_MAX_ARGS];
    bool distinct;     /* count(DISTINCT x): the table feeds update each (group, value) once */
    bool ignore_nulls; /* first/last(x, true), first(x) IGNORE NULLS */
    double rsd;        /* approx_count_distinct's relative standard deviation */
    /* Filled in by bind: */
    const col_type *result;
    int nstate;
    const col_type *state_types[AGG_MAX_STATE_COLS];
    size_t state_size; /* bytes in the group row, multiple of 8 */
    agg_update_fn update;
    agg_merge_fn merge;
    agg_out_fn finalize;
    agg_out_fn partial;
    int hll_p; /* approx_count_distinct: log2 of the registers */
    /* On an error: Spark's class and a message (static or in the arena). */
    const char *err_cls;
    const char *err_msg;
};

typedef struct agg_def {
    const char *name; /* lower case */
    int min_args, max_args;
    /* Fills b's result, states and functions from b->args (types made in
     * a); KILN_OK or KILN_ESQL with err_cls/err_msg set. */
    int (*bind)(agg_bound *b, kiln_arena *a);
} agg_def;

/* Every aggregate function by lower-case name ("count", "sum", "avg",
 * "mean", "min", "max", "stddev", ..., "count_if", "max_by"); NULL when
 * unknown. count(*) is "count" with no argument. */
const agg_def *agg_lookup(const char *name);

/* Binds function name to nargs argument types: fills out (zeroed first,
 * then def, args, distinct and ignore_nulls set from the parameters).
 * Returns KILN_OK, KILN_ENOTFOUND for an unknown name, or KILN_ESQL with
 * out->err_cls / out->err_msg (wrong argument count or types). */
int agg_bind(agg_bound *out, kiln_arena *a, const char *name, const col_type *const *args,
             int nargs, bool distinct, bool ignore_nulls);

/* approx_count_distinct(x, rsd): sets the relative standard deviation
 * (the constant second argument) of a bound call. KILN_OK or KILN_ESQL. */
int agg_set_rsd(agg_bound *b, double rsd);

/* Binds median, percentile and percentile_approx (agg_fn_pct.c). */
int agg_bind_percentile(agg_bound *b, kiln_arena *a);

/* Makes v a vector for count output rows of type t in a: flat, validity
 * bitmap with every row valid (arrays: offsets only; finalize makes the
 * elements in c->out). */
int agg_output_init(col_vec *v, kiln_arena *a, const col_type *t, uint32_t count);

/* Sets kiln_last_error() to "[ARITHMETIC_OVERFLOW] ..." for an aggregate
 * and returns KILN_ESQL. */
int agg_overflow_error(agg_ctx *c, const char *what);

#pragma GCC visibility pop
#endif
