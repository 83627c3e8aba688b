/*
 * sql/op.h - physical operators: the run-time state of a plan fragment
 * inside one task, pulling batches from their children.
 *
 * Every operator has the same three functions over batches (PostgreSQL's
 * executor nodes, Volcano's iterators, at batch granularity): next hands
 * out the next batch, close frees what the operator holds. A batch handed
 * out is valid until the next call of next on the same operator; its
 * buffers live in the operator's arena, which the operator resets before
 * producing the next one, so a chain of streaming operators holds one
 * batch each however large the input.
 *
 * Plans (read-only, shippable) are separate from operators (run-time
 * state): the same plan is opened once per task.
 */
#ifndef KILN_SQL_OP_H
#define KILN_SQL_OP_H

#include <time.h>

#include "column/column.h"
#include "sql/expr.h"

#pragma GCC visibility push(hidden)

typedef struct op op;
typedef struct op_ops {
    const char *name;
    /* Returns 1 with *out set (at least one live row), 0 at the end, or a
     * negative error (the message in kiln_last_error()). */
    int (*next)(op *o, col_batch **out);
    void (*close)(op *o);
} op_ops;

/* What every operator starts with. */
struct op {
    const op_ops *ops;
    fn_ctx *fc;        /* the task's evaluation settings (borrowed) */
    kiln_arena *arena; /* this operator's batch arena (owned) */
    col_batch out;     /* the batch handed out last */
    int64_t rows_out;  /* rows handed out (metrics) */
    /* The plan node's metrics (plan.h's acc: rows out, then the time of
     * its own, in ns, children's left out), added to the task's
     * accumulators when the operator closes; 0: not measured. */
    int64_t acc;
    int64_t self_ns;
};

static inline int64_t op_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A measured operator's time is what its next calls took less what the
 * measured operators below it took meanwhile (fc->op_child_ns, saved and
 * restored around the call, so every level sees only its own children). */
static inline int op_next(op *o, col_batch **out)
{
    int rc;
    if (!o->acc) {
        rc = o->ops->next(o, out);
    } else {
        int64_t outer = o->fc->op_child_ns, t0 = op_clock_ns();
        o->fc->op_child_ns = 0;
        rc = o->ops->next(o, out);
        int64_t took = op_clock_ns() - t0;
        o->self_ns += took - o->fc->op_child_ns;
        o->fc->op_child_ns = outer + took;
    }
    if (rc == 1) o->rows_out += col_batch_live(*out);
    return rc;
}
/* A kernel's failure rc: moves its message (fc->error) to the thread's
 * last error; returns rc. */
int op_error(fn_ctx *fc, int rc);
/* Closes o and its children (a measured one adds its metrics to its
 * task's accumulators first); NULL is ignored. */
void op_close(op *o);
/* Allocates an operator of size bytes (at least sizeof(op)) with an arena;
 * NULL when out of memory. */
op *op_alloc(size_t size, const op_ops *ops, fn_ctx *fc);
/* Frees what op_alloc made (for close functions, after their children). */
void op_free(op *o);

/* Streaming operators. Each takes ownership of its child. */

/* Batches given by the caller (borrowed, valid while the operator lives). */
op *op_batches(fn_ctx *fc, const col_batch *batches, int n);
/* The rows of child where pred is true. */
op *op_filter(fn_ctx *fc, op *child, const expr *pred);
/* Each of n expressions evaluated over child's batches (borrowed). */
op *op_project(fn_ctx *fc, op *child, expr *const *exprs, int n);
/* At most limit rows after skipping offset rows. */
op *op_limit(fn_ctx *fc, op *child, int64_t offset, int64_t limit);
/* The batches of each child in turn (UNION ALL); children have equal
 * column types. Takes ownership of the array's operators. */
op *op_union(fn_ctx *fc, op **children, int n);

/* Runs o to its end, appending every live row to *rows as kiln_values
 * (tuples, one item per column), in a (for tests and collect). */
int op_drain_values(op *o, kiln_arena *a, kiln_value **rows, size_t *n);

#pragma GCC visibility pop
#endif
