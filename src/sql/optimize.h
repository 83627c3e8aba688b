/*
 * sql/optimize.h - the rule-based optimiser over logical plans
 * (optimize.c): filter pushdown (into join sides, turning filtered cross
 * joins into equi-joins) and column pruning into scans.
 */
#ifndef KILN_SQL_OPTIMIZE_H
#define KILN_SQL_OPTIMIZE_H

#include "sql/plan.h"

#pragma GCC visibility push(hidden)

typedef struct opt {
    kiln_arena *a; /* the new nodes (the input plan is not changed) */
    bool ansi;
    const char *tz;
    int64_t broadcast_bytes;   /* kiln.sql.autoBroadcastJoinThreshold (-1: never) */
    const char *wgl_threshold; /* kiln.sql.optimizer.windowGroupLimitThreshold; NULL: 1000 */
} opt;

/* An optimised copy of p (sharing what did not change) in *out. */
int plan_optimize(opt *o, const plan *p, plan **out);
/* Spark's InferWindowGroupLimit (optimize_window.c): p with a
 * PLAN_WINDOW_LIMIT under every window whose filter limits a rank-like
 * function, in *out (sharing what did not change). */
int opt_window_limit(opt *o, plan *p, plan **out);
/* Column pruning (optimize.c's prune): p' reading only what is needed
 * (need[i]: p's output column i is read above), *map p's columns in p'
 * (-1: gone). */
typedef int (*opt_prune_fn)(opt *o, plan *p, const bool *need, plan **out, int **map);
/* Prunes window p (optimize_window.c): the child keeps the columns needed
 * above and those its keys, order and functions read; every function
 * stays. */
int opt_prune_window(opt *o, plan *p, const bool *need, plan **out, int **map, opt_prune_fn prune);

/* A shallow copy of p in a (its inputs array copied, the inputs shared). */
plan *opt_copy_node(kiln_arena *a, const plan *p);
/* p with every input rewritten by fn (p copied, its inputs array too,
 * when one changes; else p itself) in *out. */
int opt_map_inputs(opt *o, plan *p, int (*fn)(opt *, plan *, plan **), plan **out);
/* Grouped join sides reduced by the other side's keys (optimize_reduce.c):
 * the rewritten plan in *out. */
int opt_reduce_grouped(opt *o, plan *p, plan **out);
/* Spark's RewriteDistinctAggregates (optimize_distinct.c): every aggregate
 * whose DISTINCT calls share their arguments becomes an aggregate by its
 * keys and those arguments under one by its keys, in *out (sharing what
 * did not change). */
int opt_rewrite_distinct(opt *o, plan *p, plan **out);

#pragma GCC visibility pop
#endif
