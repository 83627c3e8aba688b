/*
 * sql/nested_key.h - an order-preserving ("memcomparable") byte encoding of
 * values of any type, nested ones (array, map, struct) included, that
 * decodes back into vectors. The operator cores keep nested and null-type
 * columns as these byte strings (OPS_P_NESTED in ops_int.h): memcmp of two
 * encodings orders the values as Spark orders them ascending (a null
 * element or field before any value, arrays element by element and then
 * by length, structs field by field, NaN after every other number, -0.0
 * equal to 0.0, ties kept apart only by their zeros' signs when not
 * normalising), equal values have equal normalised encodings (maps' entries are
 * sorted by key first, as Spark's MapSort does for grouping), and no
 * encoding is a prefix of another, so inverting every byte orders them
 * descending. Format: docs/formats/nested_key.md.
 */
#ifndef KILN_SQL_NESTED_KEY_H
#define KILN_SQL_NESTED_KEY_H

#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

/* Appends the encoding of row i of v (which must not be null; a constant
 * vector's row 0 for any i) to b; with norm, floating-point values are
 * normalised (-0.0 is 0.0) so that equal keys encode equally, else the
 * signs of zeros follow the value (-0.0 decodes back; map keys excepted).
 * Returns KILN_OK or KILN_ENOMEM. */
int nk_encode(kiln_buf *b, const col_vec *v, uint32_t i, bool norm);

/* Makes out (in a) a flat vector of type t with n rows: row k is null when
 * valid is not NULL and valid[k] is 0, else the value whose encoding is
 * vals[k] (borrowed; every byte is copied into a). The null type gives n
 * nulls. Returns KILN_OK, KILN_ENOMEM, or KILN_ECORRUPT when an encoding
 * is not one nk_encode makes for t. */
int nk_decode(const col_type *t, const col_str *vals, const uint8_t *valid, uint32_t n,
              kiln_arena *a, col_vec *out);

/* Whether Spark can order values of t (false when t is or holds a map). */
bool nk_orderable(const col_type *t);

#pragma GCC visibility pop
#endif
