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
    int64_t broadcast_bytes; /* kiln.sql.autoBroadcastJoinThreshold (-1: never) */
} opt;

/* An optimised copy of p (sharing what did not change) in *out. */
int plan_optimize(opt *o, const plan *p, plan **out);

/* A shallow copy of p in a (its inputs array copied, the inputs shared). */
plan *opt_copy_node(kiln_arena *a, const plan *p);
/* Grouped join sides reduced by the other side's keys (optimize_reduce.c):
 * the rewritten plan in *out. */
int opt_reduce_grouped(opt *o, plan *p, plan **out);

#pragma GCC visibility pop
#endif
