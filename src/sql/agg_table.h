/*
 * sql/agg_table.h - hash aggregation: a linear-probing hash table of groups
 * (DuckDB's layout: 8-byte entries of a 16-bit hash salt and a 48-bit group
 * index; the keys kept column by column; every group's aggregate states in
 * one fixed-size row) that the GROUP BY operator feeds batch by batch.
 *
 * A batch goes through the table in three vectorised steps: hash the key
 * columns (vec_hash.h), probe the entries for the whole batch (new keys are
 * inserted, salt matches are collected), compare the candidates' keys
 * column by column; then each aggregate's update runs once over the batch
 * with the group index of every row. Grouping keys: null is a key value
 * (nulls group together), -0.0 groups with 0.0 and every NaN with NaN.
 *
 * Modes (the partial/final split of Spark's two-phase aggregate):
 *   AGG_COMPLETE  raw rows in (add_batch), results out;
 *   AGG_PARTIAL   raw rows in (add_batch), keys + state columns out;
 *   AGG_FINAL     state columns in (merge_batch), results out.
 * merge_batch also works in AGG_PARTIAL mode (combining partials).
 *
 * Memory: agg_table_bytes says how much the table holds (keys, states,
 * entries, state arena) so the caller can decide to flush or spill; with
 * no keys the table is a single group and never grows. In AGG_PARTIAL mode
 * a caller over budget may emit the result and agg_table_reset(), as
 * Spark's partial aggregate does. With agg_table_set_spill, the table
 * spills by itself: over the limit, its groups' partial states go to 16
 * temporary files by hash bits (encoded batches, col_batch_encode) and it
 * starts empty, its memory given back; agg_table_result then re-aggregates
 * one partition at a time, and a partition still over the limit spills
 * again by the next 4 hash bits (up to 5 levels, 2^20 partitions).
 *
 * Lifetimes: the table owns its arena; strings in result batches point into
 * it and stay valid until agg_table_reset or agg_table_free.
 */
#ifndef KILN_SQL_AGG_TABLE_H
#define KILN_SQL_AGG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column/column.h"
#include "sql/agg_fn.h"

#pragma GCC visibility push(hidden)

typedef enum agg_mode { AGG_COMPLETE, AGG_PARTIAL, AGG_FINAL } agg_mode;

typedef struct agg_table agg_table;

/* A table grouping by nkeys key columns of the given types (fixed-width
 * and string types) computing naggs bound aggregates (copied). ansi: sums
 * that overflow are errors. Returns an owned table or NULL (out of memory
 * or a nested key type, with kiln_last_error set). */
agg_table *agg_table_new(const col_type *const *key_types, int nkeys, const agg_bound *aggs,
                         int naggs, agg_mode mode, bool ansi);
void agg_table_free(agg_table *t);
/* Forgets every group (keeps the allocations for reuse). */
void agg_table_reset(agg_table *t);
/* Forgets every group and frees what they held (a partial aggregate
 * that flushed early starts small again). */
void agg_table_clear(agg_table *t);

/* Adds rows sel[0..count) (0..count when sel is NULL) of a batch: keys[0..
 * nkeys) its key vectors, args[j] the argument vectors of aggregate j (NULL
 * for count(*)). Borrows everything. Returns KILN_OK, KILN_ENOMEM or
 * KILN_ESQL (an aggregate's error, in kiln_last_error()). */
int agg_table_add_batch(agg_table *t, const col_vec *keys, const col_vec *const *args,
                        const uint32_t *sel, uint32_t count);
/* As agg_table_add_batch, but aggregate j sees only the rows where
 * filters[j] (a boolean vector over the batch's rows, or NULL for every
 * row; filters itself may be NULL) is true: FILTER (WHERE ...). Rows whose
 * filter is false or null still make their group. */
int agg_table_add_filtered(agg_table *t, const col_vec *keys, const col_vec *const *args,
                           const col_vec *const *filters, const uint32_t *sel, uint32_t count);
/* Merges a batch of partial results: states[j] the nstate state columns
 * of aggregate j as AGG_PARTIAL produced them. */
int agg_table_merge_batch(agg_table *t, const col_vec *keys, const col_vec *const *states,
                          const uint32_t *sel, uint32_t count);
/* The group index of rows sel[0..count) (inserting new keys) into gids;
 * new[k] (when new is not NULL) set when row k made its group. */
int agg_table_find_groups(agg_table *t, const col_vec *keys, const uint32_t *sel, uint32_t count,
                          uint32_t *gids, uint8_t *isnew);

/* Spill to temporary files in dir (unlinked at once) whenever the table
 * holds more than limit bytes after a batch. Not with DISTINCT aggregates
 * (KILN_EINVAL). Borrows dir for the call only. */
int agg_table_set_spill(agg_table *t, size_t limit, const char *dir);
/* Changes the limit of a spilling table (the operator's room in its task's
 * budget changes as other operators grow, exec_mem.h). */
void agg_table_set_spill_limit(agg_table *t, size_t limit);
/* Bytes written to spill files so far (by the partitions too), and bytes
 * the groups they hold took in memory (what spilling freed: Spark's
 * memoryBytesSpilled). */
size_t agg_table_spilled(const agg_table *t);
size_t agg_table_spilled_memory(const agg_table *t);

/* Groups so far. */
size_t agg_table_groups(const agg_table *t);
/* Bytes held by the table. */
size_t agg_table_bytes(const agg_table *t);
/* Types of the output columns (keys, then results or state columns):
 * returns the count and points *types at an array owned by the table. */
int agg_table_output_types(const agg_table *t, const col_type *const **types);

/* The next up to COL_VEC_SIZE groups from *cursor (start at 0) as a batch in
 * a: keys, then each aggregate's result (or its state columns in
 * AGG_PARTIAL mode). out->n == 0 when done. With no key columns there is
 * exactly one row, even without input. */
int agg_table_result(agg_table *t, size_t *cursor, kiln_arena *a, col_batch *out);

#pragma GCC visibility pop
#endif
