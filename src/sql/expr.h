/*
 * sql/expr.h - bound expressions and their vectorised evaluation.
 *
 * The analyser turns SQL and DataFrame expressions into this tree: every
 * node typed, column references resolved to an input column index,
 * functions bound (fn.h) with their implicit casts made explicit as CAST
 * nodes. Evaluation is interpreted and vectorised (Photon's choice over
 * code generation): expr_eval computes a whole vector per node for the live
 * rows of a batch, so the per-row work is the kernels' tight loops and the
 * tree is walked once per batch, not per row.
 *
 * AND, OR and CASE narrow the rows their later operands see (a row where
 * the left side of AND is false never evaluates the right side), as Spark
 * evaluates them row by row: `x <> 0 AND 10 / x > 1` raises no division by
 * zero under ANSI mode.
 *
 * Trees are read-only once bound and may be evaluated by several threads
 * at once, each with its own fn_ctx. They hold no pointers that cannot be
 * rebuilt: expr_encode writes the tree (function names, types, literal
 * values) and expr_decode binds it again in another process.
 */
#ifndef KILN_SQL_EXPR_H
#define KILN_SQL_EXPR_H

#include "base/wire.h"
#include "column/column.h"
#include "sql/fn.h"

#pragma GCC visibility push(hidden)

typedef enum expr_kind {
    EX_COL,  /* input column `col` */
    EX_LIT,  /* the constant `lit` (a one-row vector; null when not valid) */
    EX_CALL, /* scalar function `fn` over args (bound) */
    EX_CAST, /* args[0] cast to type (try_: null instead of an error) */
    EX_AND,  /* args[0] AND args[1], three-valued */
    EX_OR,
    EX_CASE,     /* args: when1, then1, when2, then2, ..., [else] (has_else) */
    EX_IS_NULL,  /* args[0] IS NULL */
    EX_NOT_NULL, /* args[0] IS NOT NULL */
} expr_kind;

typedef struct expr expr;
struct expr {
    uint8_t kind;
    bool nullable;
    bool try_;     /* EX_CAST: TRY_CAST */
    bool has_else; /* EX_CASE */
    const col_type *type;
    int col;          /* EX_COL */
    col_vec lit;      /* EX_LIT */
    const fn_def *fn; /* EX_CALL */
    fn_kernel kernel; /* EX_CALL: from bind */
    void *state;      /* EX_CALL: from bind */
    int nargs;
    expr **args;
    const char *text; /* how the user wrote it (errors, column names) */
};

/* Constructors, in a. expr_call binds fn to its arguments' types, inserting
 * the casts bind asks for; on failure it returns NULL with the reason in
 * kiln_last_error() (the caller adds the SQL position). */
expr *expr_col(kiln_arena *a, int col, const col_type *t, bool nullable, const char *text);
expr *expr_lit(kiln_arena *a, const col_type *t, const void *val, const char *text);
expr *expr_call(kiln_arena *a, const char *name, expr **args, int nargs, bool ansi, const char *tz,
                const char *text);
expr *expr_cast(kiln_arena *a, expr *e, const col_type *to, bool try_, const char *text);
expr *expr_node(kiln_arena *a, expr_kind kind, const col_type *t, expr **args, int nargs,
                const char *text);

/* Evaluates e over the live rows of in into *out (a vector of in->n rows,
 * meaningful at the live rows; buffers in c->arena). Returns KILN_OK or the
 * error of a kernel (c->error holds the message). */
int expr_eval(const expr *e, fn_ctx *c, const col_batch *in, col_vec *out);
/* Evaluates a boolean predicate and narrows the selection of b to the rows
 * where it is true (null counts as false). */
int expr_filter(const expr *e, fn_ctx *c, col_batch *b);
/* Whether e is a constant (no column, nothing nondeterministic). */
bool expr_is_const(const expr *e);
/* Folds e to a literal when it is constant (constant folding), in a. */
int expr_fold(kiln_arena *a, fn_ctx *c, expr **e);

/* e with every column index moved by delta, in a (NULL when out of memory). */
expr *expr_shift(kiln_arena *a, const expr *e, int delta);
/* e with every column index i replaced by map[i] (map NULL: i + delta). */
expr *expr_remap(kiln_arena *a, const expr *e, const int *map, int delta);
/* Appends the conjuncts of e (its AND tree) to *list (*n used, *cap room;
 * the array grows in a). Returns KILN_OK or KILN_ENOMEM. */
int expr_conjuncts(kiln_arena *a, expr *e, expr ***list, int *n, int *cap);
/* The AND of list[0..n), in a; NULL when n is 0 or out of memory. */
expr *expr_and(kiln_arena *a, expr **list, int n);

/* The tree as bytes (plans travel to executors) and back, bound again
 * with the session's settings. */
void expr_encode(wire_writer *w, const expr *e);
int expr_decode(wire_reader *r, kiln_arena *a, bool ansi, const char *tz, expr **out);
/* Types as bytes (the batch wire form's descriptor). */
void col_type_put(wire_writer *w, const col_type *t);
const col_type *col_type_get(wire_reader *r, kiln_arena *a);

#pragma GCC visibility pop
#endif
