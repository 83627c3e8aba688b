/*
 * sql/join_spill.h - the grace hash join: what the join operator
 * (exec_join.c) does when its build side outgrows its room in the task's
 * memory budget (exec_mem.h).
 *
 * Both sides are partitioned by 4 bits of their keys' hash (bits 24 + 4 *
 * level) into 16 runs each on disk (spill_run.h: LZ4 blocks of encoded
 * batches, the side's own columns; keys are evaluated again when read).
 * Rows that can match share a partition, so the join is the union of the
 * joins of the partitions, each a join operator of its own over two run
 * readers, one level down: a partition still too big spills again by the
 * next 4 bits. A partition that hashing cannot split (one key with most
 * rows: its build side no smaller than 3/4 of its parent's, or level 4)
 * is joined in chunks of its build side that fit: inner and right / full
 * joins are unions over the chunks (a build row meets every probe row in
 * its chunk's pass); the probe rows never matched (left / full / anti)
 * are what remains after an anti join with each chunk in turn, each pass
 * writing a new run, and semi rows come out of the pass where they first
 * match. Residual conditions apply in every pass.
 *
 * NOT IN (null-aware anti join): a build side with a null key makes the
 * result empty; otherwise (the build side is not empty, or it would not
 * have spilled) probe rows with a null key cannot survive and are dropped
 * before partitioning, so partitions are plain anti joins.
 */
#ifndef KILN_SQL_JOIN_SPILL_H
#define KILN_SQL_JOIN_SPILL_H

#include "sql/exec_int.h"
#include "sql/exec_mem.h"
#include "sql/join_table.h"

#pragma GCC visibility push(hidden)

typedef struct join_spill join_spill;

/* Starts spilling join p at level: writes the build rows t holds (then
 * empties nothing: the caller frees t) and the rest of right (read to its
 * end, not closed) to partition runs. mem is the join's account (borrowed
 * for the spill's life). Returns KILN_OK with *out owned, or an error. */
int join_spill_start(join_spill **out, fn_ctx *fc, const plan *p, int level, exec_mem *mem,
                     const join_table *t, op *right);
/* The join's next output batch (as op next: 1, 0, or an error); the first
 * call partitions left (read to its end, borrowed). */
int join_spill_next(join_spill *js, op *left, col_batch **out);
void join_spill_free(join_spill *js);

/* A join operator for a partition (exec_join.c): op_join at a level of
 * grace partitioning; nospill: its build side is a chunk that fits, built
 * whole. */
op *op_join_sub(fn_ctx *fc, op *left, op *right, const plan *p, int level, bool nospill);

#pragma GCC visibility pop
#endif
