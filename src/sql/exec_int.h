/*
 * sql/exec_int.h - what the files of the executor share (exec_task.c,
 * exec_open.c, exec_input.c, exec.c).
 */
#ifndef KILN_SQL_EXEC_INT_H
#define KILN_SQL_EXEC_INT_H

#include "sql/exec.h"

#pragma GCC visibility push(hidden)

/* How a join runs (exec.c): a side broadcast (the left one by swapping
 * the sides), or both exchanged by their keys, after measuring a side
 * worth measuring (plan_worth_measuring: of uncertain size, or filtered
 * to a guessed size near the threshold) to broadcast it if it is small. */
enum {
    JS_SHUFFLE = 0,
    JS_MEASURE_RIGHT = 1,
    JS_MEASURE_LEFT = 2,
    JS_BROADCAST_RIGHT = 4,
    JS_BROADCAST_LEFT = 8,
};
/* The strategy of join p with broadcast limit limit (-1: never). */
int exec_join_strategy(const plan *p, int64_t limit);

/* How a stage's output rows are spread over its partitions
 * (exec_part.c): nparts > 1 partitions by the hash of columns cols[a]
 * (ncols of them, in that order; an inner join's rows are hashed alike by
 * its left and its right keys: nalt 2 alternatives); nparts 0: unknown. */
#define EXEC_PART_MAX 8
typedef struct exec_part {
    int nparts, nalt, ncols;
    int cols[2][EXEC_PART_MAX];
} exec_part;
/* The spread an exchange by keys into nparts partitions makes (unknown
 * unless every key is a plain column). */
void exec_part_keys(exec_part *out, expr *const *keys, int nkeys, int nparts);
/* in's spread after projection proj (lost unless its columns are kept as
 * plain columns). */
void exec_part_project(exec_part *out, const exec_part *in, const plan *proj);
/* in's spread with every column moved off to the right (a join's right
 * side in its output). */
void exec_part_shift(exec_part *out, const exec_part *in, int off);
/* Whether an aggregate by keys over input spread as in runs where it is
 * (every row of a group in one partition: in hashed by plain key columns);
 * *out gets its output's spread then, or the one after the aggregate's
 * exchange into nparts partitions. */
bool exec_part_agg(const exec_part *in, expr *const *keys, int nkeys, int nparts, exec_part *out);
/* *out: rows hashed by the first n output columns into nparts partitions
 * (none for more than EXEC_PART_MAX columns or fewer than 2 partitions). */
void exec_part_first(exec_part *out, int n, int nparts);
/* How many of aggregate p's keys (the first ones) its exchange hashes by
 * (plan.h's hash_keys; all of them by default). */
int exec_agg_hash_keys(const plan *p);
/* What join p over sides spread as l and r needs: a side already hashed by
 * (some of) its keys stays where it is, the other is exchanged by its keys
 * at the same positions idx[0..nidx) (or both by all keys, idx the
 * identity); *out gets the join's output spread. */
typedef struct exec_join_parts {
    bool exchange[2]; /* left, right */
    int idx[EXEC_PART_MAX], nidx;
} exec_join_parts;
void exec_part_join(const exec_part *l, const exec_part *r, const plan *p, int nparts,
                    exec_join_parts *jp, exec_part *out);

/* The task's input, shared by the leaves that read it: batches (bytes
 * values), (partition, batch) pairs, or (partition, (side, batch)) pairs of
 * a join's shuffle, whose sides are read one after the other (what arrives
 * for the other side meanwhile is kept). */
typedef struct exec_input exec_input;
exec_input *exec_input_new(kiln_in *in);
void exec_input_free(exec_input *x);

/* Leaves over the task's input: side's batches (-1: all), with only the
 * columns proj[0..nproj) of each when proj is not NULL (borrowed). */
op *op_input(fn_ctx *fc, exec_input *x, int side, const int *proj, int nproj);
/* The batches of broadcast id (a list of batches as bytes values), with
 * only columns proj[0..nproj) when proj is not NULL. */
op *op_broadcast(fn_ctx *fc, kiln_task *t, int64_t id, const int *proj, int nproj);
/* Rows of the ranges the input values hold ((start, end) pairs). */
op *op_range(fn_ctx *fc, kiln_in *in, int64_t step);
/* Rows of the file splits the input values hold ((path, start, length)),
 * read as scan p says (borrowed). */
op *op_scan(fn_ctx *fc, kiln_in *in, const plan *p);

/* Hash aggregation of p (complete, partial or final by p->agg_mode); its
 * aggregates are bound in plan_arena (which outlives the operator). */
op *op_agg(fn_ctx *fc, op *child, const plan *p, kiln_arena *plan_arena);
/* Sorting by p's keys (a top-N when p->limit > 0). */
op *op_sort(fn_ctx *fc, op *child, const plan *p);
/* PLAN_EXPLODE: the child's rows with a generator's rows (exec_generate.c). */
op *op_generate(fn_ctx *fc, op *child, const plan *p);
/* Window functions of p over child's rows (exec_window.c). */
op *op_window(fn_ctx *fc, op *child, const plan *p);
/* The rows of child that window limit p keeps (exec_window_limit.c). */
op *op_window_limit(fn_ctx *fc, op *child, const plan *p);
/* Join p of left (probed) and right (built). */
op *op_join(fn_ctx *fc, op *left, op *right, const plan *p);
/* Binds p's aggregates (PLAN_AGG) to their argument types into out[naggs]. */
struct agg_bound;
int exec_bind_aggs(kiln_arena *a, const plan *p, struct agg_bound *out);

/* "Exchange hashpartitioning(k1, k2, N)" or "Exchange SinglePartition"
 * (no keys), appended to b (exec_explain.c). */
int exec_explain_exchange(kiln_buf *b, expr *const *keys, int nkeys, int nparts);

/* ---- The plan as it runs (exec_graph.c) ------------------------------------------------ *
 * Nodes are numbered from 1 (a plan's gid); every function does nothing
 * for a NULL graph (nobody listens). */
typedef struct exec_graph exec_graph;
/* A graph whose metrics are accumulators of ctx; NULL when out of memory. */
exec_graph *exec_graph_new(kiln_context *ctx);
void exec_graph_free(exec_graph *g);
/* Gives fragment node p a graph node named name (NULL: Spark's name for
 * its kind) with its EXPLAIN line and two metrics, rows out and its own
 * time (p->acc), unless it has one (p->gid). */
int exec_graph_node(exec_graph *g, plan *p, const char *name);
/* exec_graph_node for every node of fragment frag, each linked to the
 * node above it (an input leaf to the node its gid names). */
int exec_graph_fragment(exec_graph *g, plan *frag);
/* A node between fragments (Exchange, BroadcastExchange, ...) above node
 * child, whose metrics *acc (rows and bytes a fragment emits) the writing
 * fragment's tasks add to; returns its gid (0 without a graph) or an
 * error. */
int exec_graph_output(exec_graph *g, const char *name, const char *desc, int child, int64_t *acc);
/* Node child's output goes to node parent. */
void exec_graph_link(exec_graph *g, int child, int parent);
/* Names node gid (and describes it) name. */
int exec_graph_rename(exec_graph *g, int gid, const char *name);
/* The tree under node root as SparkPlanInfo JSON (json) and as an
 * indented EXPLAIN-like text (text), both NUL-terminated. */
int exec_graph_describe(exec_graph *g, int root, kiln_buf *json, kiln_buf *text);

#pragma GCC visibility pop
#endif
