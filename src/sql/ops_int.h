/*
 * sql/ops_int.h - private helpers shared by the physical operator cores
 * (vec_hash.c, agg_fn.c, agg_table.c, join_table.c, sort.c): the physical
 * storage class of a type, growable column stores that copy rows out of
 * batches (strings' bytes into an arena the store's owner keeps), and the
 * normalisation of floating-point keys (-0.0 is 0.0, every NaN is one NaN).
 */
#ifndef KILN_SQL_OPS_INT_H
#define KILN_SQL_OPS_INT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "column/column.h"

#pragma GCC visibility push(hidden)

/* How a type's values are stored, compared and hashed. */
enum {
    OPS_P_NONE, /* null type, nested types: not supported by the fixed paths */
    OPS_P_I8,   /* bool, tinyint */
    OPS_P_I16,
    OPS_P_I32,  /* int, date, interval year-month */
    OPS_P_I64,  /* bigint, timestamps, interval day-time, decimal(p<=18) */
    OPS_P_I128, /* decimal(p>18) */
    OPS_P_F32,
    OPS_P_F64,
    OPS_P_STR, /* string, binary */
    /* Stores only (ops_store_init; ops_phys never returns it): nested types
     * and the null type, each value a col_str holding its nested_key.h
     * encoding (bytes in the owner's arena), which orders and compares like
     * a string; gathers decode it back. */
    OPS_P_NESTED,
};

int ops_phys(const col_type *t);
size_t ops_phys_width(int phys);

/* -0.0 -> 0.0, any NaN -> the canonical NaN (Spark's NormalizeFloatingNumbers). */
static inline double ops_norm_f64(double d)
{
    if (d != d) return NAN;
    return d == 0.0 ? 0.0 : d;
}
static inline float ops_norm_f32(float d)
{
    if (d != d) return NAN;
    return d == 0.0f ? 0.0f : d;
}

/* Byte order then length (col_str_cmp, kept here so the cores need only
 * the header's inline functions). */
int ops_str_cmp(const col_str *a, const col_str *b);
/* A copy of s whose bytes (when not inline) live in a; false when out of memory. */
bool ops_str_copy(kiln_arena *a, const col_str *s, col_str *out);

/* A growable column: n values of one type, fixed width, a validity byte
 * per row (NULL until the first null), strings' bytes copied into the
 * owner's arena. Data and validity are malloc'ed (ops_store_release).
 * Nested and null-type columns are OPS_P_NESTED stores of encodings. */
typedef struct ops_store {
    const col_type *type;
    int phys;
    size_t width;
    uint8_t *data;
    uint8_t *valid; /* NULL: every row valid; else 1 = valid */
    size_t n, cap;
} ops_store;

void ops_store_init(ops_store *s, const col_type *t);
void ops_store_release(ops_store *s);
int ops_store_reserve(ops_store *s, size_t cap);
/* Appends rows sel[0..count) (0..count when sel is NULL) of v (flattening
 * constants, normalising floats when norm is set); string bytes are copied
 * into a. Returns KILN_OK or KILN_ENOMEM. */
int ops_store_append(ops_store *s, kiln_arena *a, const col_vec *v, const uint32_t *sel,
                     uint32_t count, bool norm);
static inline bool ops_store_valid(const ops_store *s, size_t i)
{
    return !s->valid || s->valid[i];
}
/* Whether s holds strings or nested encodings (col_str values compared
 * by bytes then length). */
static inline bool ops_store_bytes_like(const ops_store *s)
{
    return s->phys >= OPS_P_STR;
}
/* Bytes held by the store. */
static inline size_t ops_store_bytes(const ops_store *s)
{
    return s->cap * (s->width + (s->valid ? 1 : 0));
}
/* Makes out (fresh, in a) hold rows rows[0..n) of s (rows NULL: start..start+n);
 * a row index of UINT32_MAX gives null. Strings point into the store's arena. */
int ops_store_gather(const ops_store *s, kiln_arena *a, const uint32_t *rows, size_t start,
                     uint32_t n, col_vec *out);

/* match[k] stays set only when row rows[k] of v equals row srows[k] of s
 * (floats normalised; two nulls are equal when null_eq, else never);
 * n <= COL_VEC_SIZE. */
void ops_store_match(const ops_store *s, const col_vec *v, const uint32_t *rows,
                     const uint32_t *srows, uint32_t n, uint8_t *match, bool null_eq);

/* Gives s a validity byte per row of its capacity, every row valid. */
int ops_store_add_validity(ops_store *s);

/* The OPS_P_NESTED cases of ops_store_append, ops_store_gather and
 * ops_store_match (ops_nested.c), same contracts; a store matched against
 * must have been appended to with norm. */
int ops_nested_append(ops_store *s, kiln_arena *a, const col_vec *v, const uint32_t *sel,
                      uint32_t count, bool norm);
int ops_nested_gather(const ops_store *s, kiln_arena *a, const uint32_t *rows, size_t start,
                      uint32_t n, col_vec *out);
void ops_nested_match(const ops_store *s, const col_vec *v, const uint32_t *rows,
                      const uint32_t *srows, uint32_t n, uint8_t *match, bool null_eq);

/* A flat vector of type t with room for n rows and (when nulls) a validity
 * bitmap with every row valid, in a. */
int ops_vec_make(col_vec *v, kiln_arena *a, const col_type *t, uint32_t n, bool nulls);

#pragma GCC visibility pop
#endif
