/*
 * parquet/parquet.h - kiln's Parquet reader and writer as the datasource
 * layer sees them. Reading: open a file (its footer), get its schema in Spark's mapping, its row
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
 *
 * Writing: pq_writer_new over a sink (an io_task_output or a buffer), then
 * pq_writer_write per batch and pq_writer_finish (the "Writing" section).
 */
#ifndef KILN_PARQUET_H
#define KILN_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
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
/* Bytes read from f's file so far: footer, page indexes, column chunks. */
int64_t pq_file_bytes_read(const pq_file *f);
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

/* ---- Page index (read_page_index.c) ---- */

/* The data pages of top-level column name (any case, of type t) in row
 * group rg by the file's page index (read and cached at first use).
 * Returns their count, 0 when the file has no page index usable for it
 * (none written, a nested or missing column, another type), or a
 * negative error naming the file, column and row group (a damaged index). */
int pq_page_count(pq_file *f, int rg, const char *name, const col_type *t);
/* Page `page` of that column: its statistics as pq_rg_stats gives them
 * (num_values is its row count; an all-null page has null_count =
 * num_values) and its rows [*first, *end) in the row group. Returns 1, or
 * 0 when there is no such page. */
int pq_page_stats(pq_file *f, int rg, const char *name, const col_type *t, int page, pq_stats *out,
                  int64_t *first, int64_t *end);

/* Rows [start, end) of a row group. */
typedef struct pq_row_range {
    int64_t start, end;
} pq_row_range;

typedef struct pq_reader pq_reader;

/* Opens a reader of row groups rgs[0..nrg) (copied) of f (borrowed; must
 * outlive the reader) producing the columns of want (borrowed; must
 * outlive the reader): each matched by name to a file column, whose type
 * must equal the wanted one or widen to it (int -> bigint, float ->
 * double, ...). Returns KILN_OK and an owned reader, or KILN_EINVAL naming
 * the file and a column whose type does not match. */
int pq_reader_open(pq_file *f, const col_schema *want, const int *rgs, int nrg, pq_reader **out);
/* pq_reader_open reading of row group rgs[i] only rows in its ranges:
 * nranges[i] of them (ascending, disjoint, within the group) taken in
 * order from ranges (all copied); nranges[i] < 0 reads all its rows.
 * Only the data pages (OffsetIndex) overlapping the ranges are read and
 * decoded; the rows of a page outside them are skipped in every column
 * alike. When a projected column is nested or lacks an OffsetIndex, the
 * whole group is read (more rows than asked: the caller's filter stays). */
int pq_reader_open_ranges(pq_file *f, const col_schema *want, const int *rgs, int nrg,
                          const pq_row_range *ranges, const int *nranges, pq_reader **out);
/* Fills out with the next up to COL_VEC_SIZE rows (vectors in a; strings
 * may point into the reader's page buffers). Returns 1 for a batch, 0 at
 * the end, or a negative error naming the file, column, row group and
 * page. The batch is valid until the next call on r or pq_reader_close. */
int pq_reader_next(pq_reader *r, kiln_arena *a, col_batch *out);
/* Row groups read so far by readers of this process (a test hook for
 * row-group pruning). */
int64_t pq_row_groups_read(void);
/* Data pages decoded so far by readers of this process (a test hook for
 * page pruning). */
int64_t pq_pages_read(void);
/* Frees r (NULL is ignored). */
void pq_reader_close(pq_reader *r);

/* ---- Writing (write.c, write_encode.c, thrift_write.c) ---------------------------- */

/* How timestamps (with local time zone) are stored: Spark's
 * spark.sql.parquet.outputTimestampType. TIMESTAMP_NTZ is always INT64
 * micros, as Spark writes it. */
typedef enum pq_ts_type { PQ_TS_MICROS, PQ_TS_MILLIS, PQ_TS_INT96 } pq_ts_type;

/* A writer's settings (parquet-mr's names in comments). */
typedef struct pq_write_options {
    int codec;              /* enum pq_codec (compression), default snappy */
    int level;              /* codec level, 0: the codec's default */
    int64_t page_size;      /* parquet.page.size: a data page's target bytes (1 MiB) */
    int64_t dict_page_size; /* parquet.dictionary.page.size: dictionary limit (1 MiB) */
    int64_t block_size;     /* parquet.block.size: a row group's target bytes (128 MiB) */
    int64_t page_rows;      /* parquet.page.row.count.limit: rows a page at most (20000) */
    bool dictionary;        /* parquet.enable.dictionary (true) */
    int ts_type;            /* pq_ts_type (micros) */
} pq_write_options;

/* Sets o to the defaults above. */
void pq_write_options_default(pq_write_options *o);

/* Where a writer's bytes go, in order (a task's part file): returns
 * KILN_OK or an error (kiln_last_error set). */
typedef int (*pq_sink)(void *arg, const void *p, size_t n);

typedef struct pq_writer pq_writer;

/* Fails with Spark's error when schema holds a type Parquet cannot hold
 * (intervals, NULL type): KILN_ESQL naming the column; else KILN_OK. */
int pq_check_schema(const col_schema *schema);

/* A writer of one Parquet file of schema (borrowed, must outlive it) with
 * the options o (copied), writing through sink(arg, ...). Nothing is
 * written before the first flush (row group or close). Returns KILN_OK
 * and *out (owned: pq_writer_close or pq_writer_free), KILN_ENOMEM, or
 * pq_check_schema's error. */
int pq_writer_new(const col_schema *schema, const pq_write_options *o, pq_sink sink, void *arg,
                  pq_writer **out);
/* Appends b's live rows (columns as the schema; b borrowed). Row groups
 * reaching block_size are written out. Returns KILN_OK or an error. */
int pq_writer_write(pq_writer *w, const col_batch *b);
/* Writes what is buffered and the footer (a file with no row group when
 * nothing was written). Does not free w. Returns KILN_OK or an error. */
int pq_writer_finish(pq_writer *w);
/* Frees w (NULL allowed). */
void pq_writer_free(pq_writer *w);
/* The most bytes w has held so far (encoded pages, dictionaries, page
 * buffers): for tests and the README's memory bound. */
size_t pq_writer_peak_bytes(const pq_writer *w);

/* The codec (enum pq_codec) of Spark's `compression` option value name:
 * none, uncompressed, snappy, gzip, zstd, lz4, lz4_raw (any case).
 * Returns KILN_OK or KILN_EINVAL naming the value and the codecs. */
int pq_write_codec(const char *name, int *codec);

/* The Spark-style file name extension of codec: ".snappy.parquet",
 * ".gz.parquet", ".zstd.parquet", ".lz4raw.parquet", ".parquet". */
const char *pq_codec_file_ext(int codec);

#pragma GCC visibility pop
#endif
