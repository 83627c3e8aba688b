/*
 * parquet/parquet.h - the interface of src/parquet for its siblings (the
 * datasource layer): reading and writing Parquet files with kiln's own
 * code over column batches.
 */
#ifndef KILN_PARQUET_H
#define KILN_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

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
