/*
 * sql/exec_mem.h - a SQL operator's part of its task's memory budget
 * (kiln.executor.memory, kiln_task_memory_* in kiln.h).
 *
 * Every operator that holds rows (hash aggregation, sort, the hash join's
 * build side; window operators should do the same) keeps an exec_mem,
 * tells it after each batch how many bytes it holds (exec_mem_track), and
 * spills or flushes when that is more than exec_mem_track returns: the
 * operators of a task together may hold 3/4 of the task's share (the rest
 * is the shuffle writer's and the batches in flight); what one operator
 * may hold is that minus what the task's other operators hold, but at
 * least 1/8 of it, so two operators of one fragment (a join feeding an
 * aggregate) both make progress. Without a task (tests, the driver) there
 * is no limit unless exec_mem_set_limit gives one.
 *
 * Example (the aggregate operator):
 *     exec_mem_init(&s->mem, fc->task);
 *     ... after each batch:
 *     if (exec_mem_over(&s->mem, join_table_bytes(t))) spill, then
 *         exec_mem_track(&s->mem, what is left);
 *     ... on close: exec_mem_release(&s->mem);
 */
#ifndef KILN_SQL_EXEC_MEM_H
#define KILN_SQL_EXEC_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "kiln.h"

#pragma GCC visibility push(hidden)

typedef struct exec_mem {
    kiln_task *t;  /* NULL: no task */
    int64_t held;  /* bytes reserved in the task's account */
    int64_t limit; /* the operators' limit; INT64_MAX: none */
} exec_mem;

/* Starts with nothing held, the limit from t (borrowed, may be NULL). */
void exec_mem_init(exec_mem *m, kiln_task *t);
/* Sets the operators' limit (tests: a budget without a task). */
void exec_mem_set_limit(exec_mem *m, int64_t limit);
/* Accounts held bytes (replacing what was accounted before); returns the
 * bytes this operator may hold (INT64_MAX: no limit). */
int64_t exec_mem_track(exec_mem *m, int64_t held);
/* Accounts held bytes and says whether the operator should spill: whether
 * twice held is more than its room. Tables and stores grow by doubling
 * their capacity, so an operator that spills at half its room never holds
 * more than the room after the batch that made it grow. */
bool exec_mem_over(exec_mem *m, int64_t held);
/* Gives back everything accounted. */
void exec_mem_release(exec_mem *m);
/* Whether the limit is finite (spilling possible). */
bool exec_mem_bounded(const exec_mem *m);
/* Counts a spill of bytes in the task's metrics. */
void exec_mem_note_spill(exec_mem *m, int64_t bytes);
/* Counts bytes a spill wrote to disk in the task's disk_spilled. */
void exec_mem_note_spill_disk(exec_mem *m, int64_t bytes);
/* The directory where the task's spill files go ($TMPDIR or /tmp without
 * a task), into out[4096]. */
void exec_mem_spill_dir(const exec_mem *m, char *out);

#pragma GCC visibility pop
#endif
