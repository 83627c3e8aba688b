/*
 * sql/fn.h - scalar functions and operators of SQL: the registry the
 * analyser looks names up in, and the vectorised kernels the expression
 * evaluator calls on whole vectors.
 *
 * A function is found by name (case-insensitive) in the registry. The
 * analyser calls its bind with the argument types (and the values of
 * constant arguments); bind says which types the arguments must be cast to
 * (Spark's implicit coercion for that function), the result type, and may
 * prepare state (a compiled regular expression, a parsed datetime pattern).
 * Plans hold only the function's name and its bound argument types, never
 * a pointer: an executor binds again from the same inputs and gets the same
 * result (bind must be deterministic).
 *
 * Kernels compute a whole vector: out has room for n rows and a validity
 * bitmap with every row valid; the kernel writes rows sel[0..count) (all
 * rows 0..n when sel is NULL) and leaves the others alone. Arguments may be
 * constant vectors (col_row). With FN_NULL_IN_NULL_OUT, the evaluator has
 * already marked null every row where an argument is null and the kernel
 * may skip those rows (col_valid(out, i) false) or compute garbage there.
 */
#ifndef KILN_SQL_FN_H
#define KILN_SQL_FN_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"
#include "kiln.h"

#pragma GCC visibility push(hidden)

#define FN_MAX_ARGS 64

/* Per-evaluation settings and scratch, shared by every kernel of a plan
 * fragment running in one task. */
typedef struct fn_ctx {
    kiln_arena *arena; /* output strings and scratch, valid for the batch */
    bool ansi;         /* kiln.sql.ansi.enabled (default true) */
    const char *tz;    /* kiln.sql.session.timeZone, an IANA name ("UTC") */
    int64_t now_us;    /* current_timestamp() of the query (fixed per query) */
    const char *expr;  /* SQL text of the expression being evaluated (errors) */
    char *error;       /* set by fn_error (malloc) */
    int error_code;
    kiln_task *task; /* the task running the operators (memory budget, exec_mem.h); may be NULL */
    int64_t op_child_ns; /* op.h: time the timed operators below the one running took */
} fn_ctx;

/* Records a run-time error of the expression being evaluated (ANSI
 * overflow, invalid cast, division by zero...) in Spark's shape, e.g.
 * fn_error(c, "DIVIDE_BY_ZERO", "22012", "Division by zero. Use `try_divide`
 * to tolerate divisor being 0 and return NULL instead.") gives
 * "[DIVIDE_BY_ZERO] Division by zero. ... SQLSTATE: 22012 == SQL of: <expr>".
 * Returns KILN_ESQL for the kernel to return. */
int fn_error(fn_ctx *c, const char *cls, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

typedef int (*fn_kernel)(fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs,
                         const uint32_t *sel, uint32_t n, uint32_t count);

/* What bind gets and fills in. */
typedef struct fn_bind {
    kiln_arena *arena; /* for state and types: lives as long as the bound plan */
    int nargs;
    const col_type *args[FN_MAX_ARGS];  /* argument types as written */
    const col_vec *consts[FN_MAX_ARGS]; /* constant arguments' values (1 row), else NULL */
    bool ansi;
    const char *tz;
    /* Filled in by bind: */
    const col_type *want[FN_MAX_ARGS]; /* the type each argument is cast to (NULL: as is) */
    const col_type *result;
    void *state;      /* passed to the kernel; allocated in arena (or NULL) */
    fn_kernel kernel; /* may differ by argument types */
    bool nullable;    /* result can be null where no argument is */
    /* On an error: a message (static or in arena), Spark's class and the
     * argument it is about (-1: the call). */
    const char *err_cls;
    const char *err_msg;
    int err_arg;
} fn_bind;

enum {
    FN_NULL_IN_NULL_OUT = 1, /* null when any argument is null */
    FN_NONDETERMINISTIC = 2, /* rand(), current_timestamp: never constant-folded */
    FN_NEEDS_CONSTS = 4,     /* some arguments must be constants (say so in bind) */
};

typedef struct fn_def {
    const char *name;       /* lower case */
    int min_args, max_args; /* max -1: any number */
    unsigned flags;
    /* Returns KILN_OK with b->result, b->kernel (and want/state) set, or
     * KILN_ESQL with b->err_cls and b->err_msg set. */
    int (*bind)(fn_bind *b);
} fn_def;

/* Every scalar function, operator and cast, by lower-case name (operators
 * by symbol: "+", "=", "<=>", "and", "not", "cast", "try_cast", ...).
 * NULL when unknown. */
const fn_def *fn_lookup(const char *name);
/* The nearest known names to name (for "did you mean"), up to max. */
int fn_suggest(const char *name, const char **out, int max);

/* Tables of definitions, one per family (fn_*.c); fn_lookup searches them
 * all. Each ends with an entry whose name is NULL. */
extern const fn_def fn_defs_arith[];      /* + - * / % div, unary -, abs, ... */
extern const fn_def fn_defs_compare[];    /* = <> < <= > >= <=>, and or not, in, between */
extern const fn_def fn_defs_cast[];       /* cast, try_cast */
extern const fn_def fn_defs_math[];       /* round floor ceil sqrt exp log pow ... */
extern const fn_def fn_defs_cond[];       /* coalesce nvl nullif if isnull isnotnull isnan nanvl */
extern const fn_def fn_defs_string[];     /* lower upper trim length substring concat ... like */
extern const fn_def fn_defs_regex[];      /* rlike regexp_extract regexp_replace split */
extern const fn_def fn_defs_datetime[];   /* to_date to_timestamp date_format year ... */
extern const fn_def fn_defs_collection[]; /* size array_contains element_at array ... */
extern const fn_def fn_defs_extra[];      /* typeof format_number format_string base64 ... */

/* Casting one vector (the evaluator's CAST and implicit coercions):
 * rows sel[0..count) of in to type to, into out (room for n rows, a
 * validity bitmap). ANSI: an invalid or overflowing value is an error
 * (CAST_INVALID_INPUT, CAST_OVERFLOW) unless try is set, which gives null. */
int fn_cast_vec(fn_ctx *c, const col_vec *in, col_vec *out, const col_type *to, bool try_,
                const uint32_t *sel, uint32_t n, uint32_t count);
/* Whether a cast from one type to another is allowed (Spark's Cast.canCast
 * under ANSI when ansi is set, canCast otherwise). */
bool fn_can_cast(const col_type *from, const col_type *to, bool ansi);
/* Spark's implicit widening for two types (TypeCoercion.findWiderTypeForTwo
 * / findTightestCommonType, ANSI's rules when ansi): the common type, or
 * NULL when none. Types may be made in a (decimals). */
const col_type *fn_common_type(kiln_arena *a, const col_type *x, const col_type *y, bool ansi);

#pragma GCC visibility pop
#endif
