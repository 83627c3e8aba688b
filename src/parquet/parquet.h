/*
 * parquet/parquet.h - kiln's Parquet reader as the datasource layer sees
 * it: open a file (its footer), get its schema in Spark's mapping, its row
 * groups and their statistics, and read the row groups chosen into
 * columnar batches (column.h) of up to COL_VEC_SIZE rows.
 *
 * Use: pq_file_open reads the footer (two ranged reads through io_file);
 * pq_file_schema gives the columns; pq_reader_open reads chosen row groups
 * for a requested schema (matched to the file's columns by name, case
 * insensitively, as Spark; a requested column the file lacks reads as
 * nulls). A pq_file and its readers are used by one thread at a time.
 *
 * Errors set kiln_last_error() and name the file, e.g.
 *   data.parquet: not a Parquet file (bad magic)
 *   data.parquet: column l_tax, row group 2, page at offset 4711: ...
 */
#ifndef KILN_PARQUET_H
#define KILN_PARQUET_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

typedef struct pq_file pq_file;

/* Opens path and decodes its footer (reads the last 64 KiB, and the rest
 * of a bigger footer in a second read). Returns KILN_OK and an owned file,
 * or KILN_ENOENT / KILN_EIO / KILN_ECORRUPT naming the path. */
int pq_file_open(const char *path, pq_file **out);
/* Closes f (NULL is ignored). Readers of f must be closed first. */
void pq_file_close(pq_file *f);
/* The path f was opened with (borrowed). */
const char *pq_file_path(const pq_file *f);

/* The file's columns as Spark maps them (top-level fields, every one
 * nullable, nested groups as array / map / struct), in a. Returns KILN_OK
 * or KILN_EINVAL naming the file and a column of a type kiln cannot read. */
int pq_file_schema(const pq_file *f, kiln_arena *a, col_schema *out);

/* Row groups. */
int pq_file_num_row_groups(const pq_file *f);
int64_t pq_file_num_rows(const pq_file *f);
int64_t pq_rg_num_rows(const pq_file *f, int rg);
/* The byte offset of row group rg's middle (first page of its first
 * column + half its compressed size): a byte split holding it reads it. */
int64_t pq_rg_midpoint(const pq_file *f, int rg);

/* Decoded statistics of one column of one row group. */
typedef struct pq_stats {
    bool has_null_count, has_min_max;
    int64_t null_count, num_values;
    /* min and max in the layout of a col_vec of the column's kiln type
     * (int32, int64, double, col_str pointing into the footer, __int128
     * for wide decimals, ...); valid while f is open. */
    _Alignas(16) unsigned char min[16];
    _Alignas(16) unsigned char max[16];
} pq_stats;

/* Statistics of top-level column name (any case) of the file in row
 * group rg, for a column of type t (the file's type for it). Returns 1
 * and *out, or 0 when the file has no usable statistics for it (a nested
 * or missing column, or min/max the spec calls unreliable: legacy min/max
 * of strings, decimals and unsigned ints, NaN bounds). */
int pq_rg_stats(const pq_file *f, int rg, const char *name, const col_type *t, pq_stats *out);

typedef struct pq_reader pq_reader;

/* Opens a reader of row groups rgs[0..nrg) (copied) of f (borrowed; must
 * outlive the reader) producing the columns of want (borrowed; must
 * outlive the reader): each matched by name to a file column, whose type
 * must equal the wanted one or widen to it (int -> bigint, float ->
 * double, ...). Returns KILN_OK and an owned reader, or KILN_EINVAL naming
 * the file and a column whose type does not match. */
int pq_reader_open(pq_file *f, const col_schema *want, const int *rgs, int nrg, pq_reader **out);
/* Fills out with the next up to COL_VEC_SIZE rows (vectors in a; strings
 * may point into the reader's page buffers). Returns 1 for a batch, 0 at
 * the end, or a negative error naming the file, column, row group and
 * page. The batch is valid until the next call on r or pq_reader_close. */
int pq_reader_next(pq_reader *r, kiln_arena *a, col_batch *out);
/* Row groups read so far by readers of this process (a test hook for
 * row-group pruning). */
int64_t pq_row_groups_read(void);
/* Frees r (NULL is ignored). */
void pq_reader_close(pq_reader *r);

#pragma GCC visibility pop
#endif
