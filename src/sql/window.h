/*
 * sql/window.h - the vectorised core of SQL window functions (Spark 4
 * semantics), independent of plans: the window operator hands over every
 * row of its input, already sorted by (partition keys, order keys), as a
 * sequence of batches, and gets back one output vector per function and
 * batch. Partition boundaries and peer groups (rows equal on every order
 * key) are found by comparing adjacent rows (null-safe, NaN = NaN,
 * -0.0 = 0.0, as Spark's EqualNullSafe).
 *
 * Functions: row_number, rank, dense_rank, percent_rank, cume_dist,
 * ntile(n), lag/lead(x[, offset[, default]]) [ignore nulls], and over a
 * frame first/last(x) [ignore nulls], nth_value(x, n) [ignore nulls],
 * count(*), count(x), sum, avg, min, max, var_samp/var_pop,
 * stddev_samp/stddev_pop. Frames: ROWS or RANGE BETWEEN (UNBOUNDED
 * PRECEDING | n PRECEDING | CURRENT ROW | n FOLLOWING | UNBOUNDED FOLLOWING)
 * AND (...); RANGE with an offset needs exactly one order key of a numeric,
 * date, timestamp or interval type. A zero frame (WIN_FRAME_DEFAULT) is
 * Spark's default: RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW with
 * an ORDER BY, the whole partition without.
 *
 * Cost: O(rows) per function for every frame shape (running aggregates,
 * add/subtract for exact sliding sums and counts, a two-stack queue for
 * min/max and floating sums, prefix counts for ignore-nulls offsets), no
 * work per row and frame row.
 */
#ifndef KILN_SQL_WINDOW_H
#define KILN_SQL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

typedef enum win_fn {
    WIN_ROW_NUMBER,   /* int */
    WIN_RANK,         /* int */
    WIN_DENSE_RANK,   /* int */
    WIN_PERCENT_RANK, /* double: (rank - 1) / (rows - 1), 0 for one row */
    WIN_CUME_DIST,    /* double: rows up to the last peer / rows */
    WIN_NTILE,        /* int; n = buckets (> 0) */
    WIN_LAG,          /* arg's type; n = offset (may be 0 or negative), def/def_col */
    WIN_LEAD,
    WIN_FIRST,     /* first / first_value over the frame */
    WIN_LAST,      /* last / last_value */
    WIN_NTH_VALUE, /* n >= 1 */
    WIN_COUNT,     /* bigint; arg -1 = count(*) */
    WIN_SUM,       /* integral -> bigint, float/double -> double, decimal(p,s) -> (p+10,s) */
    WIN_AVG,       /* double, decimal(p,s) -> decimal(p+4,s+4) (bounded at 38) */
    WIN_MIN,       /* arg's type (any primitive, strings too) */
    WIN_MAX,
    WIN_VAR_SAMP, /* double (stddev and variance: null for fewer than 2 rows) */
    WIN_VAR_POP,
    WIN_STDDEV_SAMP,
    WIN_STDDEV_POP,
} win_fn;

/* An order key: a column of the input, its direction and where nulls go
 * (Spark: ASC NULLS FIRST and DESC NULLS LAST by default). The library
 * trusts the input to be sorted this way. */
typedef struct win_order {
    int col;
    bool desc;
    bool nulls_first;
} win_order;

typedef enum win_frame_unit { WIN_FRAME_DEFAULT, WIN_ROWS, WIN_RANGE } win_frame_unit;

typedef enum win_bound_kind {
    WIN_UNBOUNDED_PRECEDING,
    WIN_PRECEDING,
    WIN_CURRENT_ROW,
    WIN_FOLLOWING,
    WIN_UNBOUNDED_FOLLOWING,
} win_bound_kind;

/* A frame bound. ROWS: offset rows (>= 0). RANGE: the distance in the
 * order key's domain, either value (a one-row vector: the key's type, an
 * integral type, a decimal of at most the key's scale, a day count for a
 * date key, an interval_dt for a timestamp key) or, when value is NULL,
 * offset in the key's units (days, microseconds, the decimal's unscaled
 * units). Offsets must not be negative. */
typedef struct win_bound {
    win_bound_kind kind;
    int64_t offset;
    const col_vec *value;
} win_bound;

typedef struct win_frame {
    win_frame_unit unit;
    win_bound start, end;
} win_frame;

/* One window function. Ranking functions and lag/lead ignore frame (Spark
 * fixes their frames). */
typedef struct win_spec {
    win_fn fn;
    int arg;            /* input column, -1 when none (count(*), ranking) */
    int64_t n;          /* ntile buckets, lag/lead offset (default 1), nth_value's n */
    int def_col;        /* lag/lead default: a column of the input (evaluated on the
                         * current row, cast to arg's type by the caller), or -1 */
    const col_vec *def; /* or a one-row vector of arg's type; NULL and -1: null */
    bool ignore_nulls;  /* first, last, nth_value, lag, lead */
    win_frame frame;
} win_spec;

/* The rows of one task's window operator and how they are sorted. Every
 * batch has the same columns; a batch's selection is honoured (only live
 * rows count). */
typedef struct win_input {
    const col_batch *batches;
    int nbatches;
    const int *part_cols; /* partition keys */
    int npart;
    const win_order *order; /* order keys, as sorted */
    int norder;
    bool ansi; /* spark.sql.ansi.enabled: sum overflow is an error, not null/wrap */
} win_input;

/* The result type of spec over arguments of type arg (NULL when spec has no
 * argument), in a (decimals), or NULL (with kiln_last_error set) when the
 * function does not take that type. */
const col_type *win_result_type(kiln_arena *a, const win_spec *spec, const col_type *arg);

/* Computes nspecs window functions over in's rows. out must have room for
 * nspecs pointers: out[s] is set to an array of in->nbatches vectors (in a),
 * out[s][b] having batches[b].n rows of win_result_type, aligned with the
 * batch's rows (a selected-out row is null), so it can be added to the
 * batch as a column. Output strings point at the input's bytes (the input
 * must outlive them). Scratch memory is taken from a private arena and
 * freed before returning. Returns KILN_OK, KILN_ENOMEM, KILN_EINVAL for a
 * malformed spec (message in kiln_last_error) or KILN_ESQL for a run-time
 * error of the query (ANSI overflow of sum/avg), in Spark's shape. */
int win_compute(kiln_arena *a, const win_input *in, const win_spec *specs, int nspecs,
                col_vec **out);

#pragma GCC visibility pop
#endif
