/*
 * sql/sort.h - ORDER BY and ORDER BY ... LIMIT n over batches: rows are
 * copied into column stores and their sort keys normalised into byte
 * strings that compare with memcmp (DuckDB's key normalisation: a null byte
 * per key placing nulls first or last, integers big-endian with the sign
 * bit flipped, floats by the IEEE trick with -0.0 = 0.0 and NaN largest,
 * strings as a 12-byte prefix and a length byte, descending keys inverted,
 * the input row number last so equal keys keep input order). The keys are
 * sorted with an MSD radix sort; rows whose string prefixes tie are
 * re-sorted comparing the full strings. Output batches gather every column
 * in sorted order.
 *
 * Column types: fixed-width and string/binary (nested columns are not
 * supported yet). Memory: sql_sorter_bytes reports what is held; with
 * sql_sorter_set_spill, a sorter over its limit writes its rows as a sorted
 * run (encoded batches, col_batch_encode) to a temporary file and starts
 * empty, and the output is a k-way merge of the runs.
 */
#ifndef KILN_SQL_SORT_H
#define KILN_SQL_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

typedef struct sort_key {
    int col;          /* column of the input batches */
    bool desc;        /* descending */
    bool nulls_first; /* Spark: true for ASC, false for DESC by default */
} sort_key;

typedef struct sql_sorter sql_sorter;

/* A sql_sorter of batches with ncols columns of the given types by nkeys keys
 * (both copied). Returns an owned sql_sorter or NULL (out of memory, or a
 * nested type, with kiln_last_error set). */
sql_sorter *sql_sorter_new(const col_type *const *types, int ncols, const sort_key *keys,
                           int nkeys);
/* A sql_sorter that keeps only the first limit rows in order (top-N): memory
 * stays O(limit), rows that cannot make it are skipped early. */
sql_sorter *sql_topn_new(size_t limit, const col_type *const *types, int ncols,
                         const sort_key *keys, int nkeys);
void sql_sorter_free(sql_sorter *s);
/* Adds b's live rows (copied). */
int sql_sorter_add_batch(sql_sorter *s, const col_batch *b);
/* Sorts what was added; then sql_sorter_next_batch. */
int sql_sorter_finish(sql_sorter *s);
/* The next up to COL_VEC_SIZE sorted rows as a batch in a (strings point
 * into the sql_sorter, valid until sql_sorter_free); out->n == 0 at the end. */
int sql_sorter_next_batch(sql_sorter *s, kiln_arena *a, col_batch *out);
/* External sort: over limit bytes, sorted runs go to temporary files in
 * dir (unlinked at once). Not for top-N sorters (KILN_EINVAL). */
int sql_sorter_set_spill(sql_sorter *s, size_t limit, const char *dir);
/* Changes the limit of a spilling sorter (its room in the task's budget,
 * exec_mem.h). */
void sql_sorter_set_spill_limit(sql_sorter *s, size_t limit);
/* Bytes written to run files so far, and bytes the rows they hold took
 * in memory (what spilling freed: Spark's memoryBytesSpilled). */
size_t sql_sorter_spilled(const sql_sorter *s);
size_t sql_sorter_spilled_memory(const sql_sorter *s);
/* Rows held and bytes held. */
size_t sql_sorter_rows(const sql_sorter *s);
size_t sql_sorter_bytes(const sql_sorter *s);

#pragma GCC visibility pop
#endif
