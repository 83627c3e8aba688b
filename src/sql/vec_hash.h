/*
 * sql/vec_hash.h - hashing the key columns of a batch into 64-bit hashes,
 * vectorised per type: the hash aggregation, hash join and distinct
 * operators probe their tables with these. Equal values of equal type
 * hash equally: integers of every width hash as their int64 value, floats
 * as doubles with -0.0 = 0.0 and every NaN equal, decimals as their
 * unscaled value, strings and binary by their bytes (XXH3), a null as a
 * constant. Hashes are the same in every process (no seed), so partitions
 * by hash bits agree across tasks.
 */
#ifndef KILN_SQL_VEC_HASH_H
#define KILN_SQL_VEC_HASH_H

#include <stdint.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

/* The hash of a null key value. */
#define VEC_HASH_NULL UINT64_C(0x9ae16a3b2f90404f)

/* Hashes rows sel[0..count) of v (rows 0..count when sel is NULL) into
 * h[0..count): h[k] is the hash of row sel[k]. Any type (nested types
 * take a slower row-by-row path). */
void vec_hash(const col_vec *v, const uint32_t *sel, uint32_t count, uint64_t *h);
/* Like vec_hash but combines each row's hash into h[k] (for the second and
 * later key columns). */
void vec_hash_combine(const col_vec *v, const uint32_t *sel, uint32_t count, uint64_t *h);
/* Hashes the nkeys key vectors of rows sel[0..count) into h[0..count). */
void vec_hash_keys(const col_vec *keys, int nkeys, const uint32_t *sel, uint32_t count,
                   uint64_t *h);
/* The hash of one 64-bit integer, as vec_hash computes it for integers. */
uint64_t vec_hash_i64(int64_t x);
/* The hash of bytes, as vec_hash computes it for strings. */
uint64_t vec_hash_bytes(const void *p, size_t n);

#pragma GCC visibility pop
#endif
