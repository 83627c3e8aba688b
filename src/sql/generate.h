/*
 * sql/generate.h - the vectorised core of Spark's generators: explode,
 * posexplode, explode_outer, posexplode_outer (arrays and maps) and inline
 * (arrays of structs). An iterator walks one input batch and fills output
 * batches of at most COL_VEC_SIZE rows: the chosen input columns repeated
 * (gathered) for each element, then [pos], then the element (array), key
 * and value (map), or the struct's fields (inline). A null or empty
 * collection gives no row, or with outer one row whose generated columns
 * are null. The plan code (the Generate operator) calls gen_next until it
 * reports no more rows, then starts the next input batch.
 */
#ifndef KILN_SQL_GENERATE_H
#define KILN_SQL_GENERATE_H

#include <stdbool.h>
#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

typedef enum gen_fn {
    GEN_EXPLODE,    /* array -> col; map -> key, value */
    GEN_POSEXPLODE, /* pos (int, from 0), then as explode */
    GEN_INLINE,     /* array<struct> -> one column per field */
    GEN_REPLICATE,  /* a count n -> the row n times (plans only: exec_generate.c) */
} gen_fn;

typedef struct gen_iter {
    gen_fn fn;
    bool outer;
    const col_batch *in; /* borrowed until the iterator is done with it */
    int col;             /* the collection column */
    const int *keep;     /* input columns repeated in the output (borrowed) */
    int nkeep;
    uint32_t live; /* next live row (index into the selection) */
    uint32_t elem; /* next element of that row */
} gen_iter;

/* The output types for a collection column of type t: keep's types, then
 * the generated ones, into types (room for nkeep + 3 + fields); returns
 * their number, or -1 (kiln_last_error set) when fn does not take t. */
int gen_output_types(gen_fn fn, const col_type *t, const col_type *const *keep_types, int nkeep,
                     const col_type **types);

/* Starts iterating over in's live rows (in, keep borrowed). */
void gen_start(gen_iter *it, gen_fn fn, bool outer, const col_batch *in, int col, const int *keep,
               int nkeep);

/* Fills out (vectors made in a; strings and nested values point at the
 * input's bytes) with the next rows, at most COL_VEC_SIZE. out->n == 0
 * means the batch is done. Returns KILN_OK, KILN_ENOMEM or KILN_EINVAL. */
int gen_next(gen_iter *it, kiln_arena *a, col_batch *out);

#pragma GCC visibility pop
#endif
