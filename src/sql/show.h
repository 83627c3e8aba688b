/*
 * sql/show.h - DataFrame.show and SQL results as text.
 */
#ifndef KILN_SQL_SHOW_H
#define KILN_SQL_SHOW_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"
#include "sql/fn.h"

#pragma GCC visibility push(hidden)

/* Appends Spark's show() table of the first `limit` live rows of batches
 * rows[0..nbatches) with schema's column names to out; truncate is
 * show(truncate=...) (20 by default, 0 for whole left-aligned cells);
 * more adds "only showing top N rows". fc supplies the arena and the
 * session time zone for the string casts. */
int sql_show_format(kiln_buf *out, fn_ctx *fc, const col_schema *schema, const col_batch *rows,
                    int nbatches, int64_t limit, int truncate, bool more);

/* Appends the live rows of batches rows[0..nbatches) as spark-sql prints
 * them: cells separated by tabs, one line per row, null as NULL. */
int sql_format_tsv(kiln_buf *out, fn_ctx *fc, const col_batch *rows, int nbatches);

#pragma GCC visibility pop
#endif
