/*
 * column/column.h - the columnar data of DataFrames and SQL: types, typed
 * vectors with validity bitmaps, 16-byte strings with an inline prefix, and
 * batches of vectors with an optional selection. Everything above (the
 * data sources, the SQL engine) reads and writes data in these shapes; the
 * wire form of a batch (shuffle, cache, broadcast) is col_batch_encode.
 *
 * Layout (compatible with the Arrow C Data Interface where Arrow has the
 * same layout, so batches can be exported without copying fixed-width data):
 *   - validity: a bitmap, bit i of word i/64 set = row i is not null;
 *     NULL means no row is null;
 *   - fixed-width values in a plain C array (bool as one byte 0/1);
 *   - decimal(p<=18) as int64 unscaled, decimal(p>18) as __int128 unscaled;
 *   - date as int32 days since 1970-01-01; timestamp and timestamp_ntz as
 *     int64 microseconds since 1970-01-01 00:00 (UTC for timestamp);
 *   - string and binary as col_str (DuckDB's and Velox's string view: length,
 *     4-byte prefix, then the rest inline up to 12 bytes or a pointer);
 *   - array and map: n+1 uint32 offsets into child vectors (map: keys and
 *     values); struct: one child vector per field, n rows each.
 *
 * Lifetimes: a batch's vectors and their buffers live in the arena the batch
 * was made with (col_batch_new), or in memory the maker documents as
 * outliving the batch (a reader's input buffer). Nothing here is freed one
 * by one: the owner resets or frees the arena.
 */
#ifndef KILN_COLUMN_H
#define KILN_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kiln/value.h"

#pragma GCC visibility push(hidden)

#define COL_VEC_SIZE 2048 /* rows in a full batch */

/* ---- Types ---------------------------------------------------------------- */

typedef enum col_kind {
    COL_NULL, /* the type of a bare NULL literal (Spark's VOID) */
    COL_BOOL,
    COL_I8,
    COL_I16,
    COL_I32,
    COL_I64,
    COL_F32,
    COL_F64,
    COL_DECIMAL, /* precision 1..38, scale 0..precision */
    COL_STRING,
    COL_BINARY,
    COL_DATE,
    COL_TIMESTAMP,
    COL_TIMESTAMP_NTZ,
    COL_INTERVAL_YM, /* int32 months (ANSI year-month interval) */
    COL_INTERVAL_DT, /* int64 microseconds (ANSI day-time interval) */
    COL_ARRAY,
    COL_MAP,
    COL_STRUCT,
    COL_KIND_COUNT
} col_kind;

typedef struct col_type col_type;
typedef struct col_field {
    const char *name;
    const col_type *type;
    bool nullable;
} col_field;

struct col_type {
    uint8_t kind;          /* col_kind */
    uint8_t precision;     /* decimal */
    uint8_t scale;         /* decimal */
    bool contains_null;    /* array elements / map values may be null */
    const col_type *elem;  /* array element, map key */
    const col_type *value; /* map value */
    int nfields;           /* struct */
    const col_field *fields;
};

/* The primitive types (static, never freed). */
extern const col_type col_type_null, col_type_bool, col_type_i8, col_type_i16, col_type_i32,
    col_type_i64, col_type_f32, col_type_f64, col_type_string, col_type_binary, col_type_date,
    col_type_timestamp, col_type_timestamp_ntz, col_type_interval_ym, col_type_interval_dt;

/* Day-time interval fields (Spark's DayTimeIntervalType(start, end)): they
 * only shape a type's name and how values print; every day-time interval
 * is int64 microseconds and col_type_eq ignores the fields. */
enum { COL_DT_DAY, COL_DT_HOUR, COL_DT_MINUTE, COL_DT_SECOND };
extern const col_type col_type_interval_day; /* INTERVAL DAY (DATE - DATE) */
/* The static day-time interval type of fields start..end (NULL when not
 * COL_DT_DAY <= start <= end <= COL_DT_SECOND). */
const col_type *col_type_interval_dt_of(int start, int end);
static inline int col_dt_start(const col_type *t)
{
    return t->precision;
}
static inline int col_dt_end(const col_type *t)
{
    return 3 - t->scale;
}

/* Types with parameters, made in a (NULL when out of memory or, for
 * decimals, when precision is not 1..38 or scale not 0..precision). */
const col_type *col_type_decimal(kiln_arena *a, int precision, int scale);
const col_type *col_type_array(kiln_arena *a, const col_type *elem, bool contains_null);
const col_type *col_type_map(kiln_arena *a, const col_type *key, const col_type *value,
                             bool value_contains_null);
/* Copies fields (names too) into a. */
const col_type *col_type_struct(kiln_arena *a, const col_field *fields, int n);
/* A deep copy of t into a (static primitives are returned as they are). */
const col_type *col_type_copy(kiln_arena *a, const col_type *t);

bool col_type_eq(const col_type *a, const col_type *b);
/* Bytes per value in a vector's data array (col_str for strings; 0 for
 * nested types and NULL, whose data pointer is unused). */
size_t col_type_width(const col_type *t);
bool col_type_is_integral(const col_type *t); /* i8..i64 */
bool col_type_is_numeric(const col_type *t);  /* integral, float, double, decimal */
static inline bool col_decimal_is_wide(const col_type *t)
{
    return t->kind == COL_DECIMAL && t->precision > 18;
}
/* Spark's SQL name: "int", "bigint", "decimal(15,2)", "array<string>",
 * "struct<a:int,b:string>", "map<string,int>". Appends to b (no NUL). */
int col_type_format(kiln_buf *b, const col_type *t);
/* Parses a SQL type name ("int", "INTEGER", "decimal(15, 2)", "varchar(25)"
 * as string, "array<int>", "struct<a: int>", ...) into *out (parameters
 * allocated in a). Returns KILN_OK or KILN_EINVAL with *err_pos the byte
 * offset in s where it went wrong. */
int col_type_parse(kiln_arena *a, const char *s, size_t len, const col_type **out, size_t *err_pos);

/* ---- Strings ---------------------------------------------------------------- */

#define COL_STR_INLINE 12
/* A string or binary value: len bytes, the first 4 always in prefix; when
 * len <= 12 the rest follows inline, else ptr points at all len bytes
 * (prefix included). Two strings are equal iff their first 8 bytes
 * (len + prefix) are equal and then their bytes. */
typedef struct col_str {
    uint32_t len;
    char prefix[4];
    union {
        char inl[8];
        const char *ptr;
    } u;
} col_str;

static inline const char *col_str_data(const col_str *s)
{
    return s->len <= COL_STR_INLINE ? s->prefix : s->u.ptr;
}
/* A view of p[0..len) that points at p when it does not fit inline: p must
 * outlive the view. */
static inline col_str col_str_view(const char *p, uint32_t len)
{
    col_str s;
    memset(&s, 0, sizeof s);
    s.len = len;
    if (len <= COL_STR_INLINE) {
        memcpy(s.prefix, p, len);
    } else {
        memcpy(s.prefix, p, 4);
        s.u.ptr = p;
    }
    return s;
}
/* A copy of p[0..len) whose bytes live in a (inline ones need no memory);
 * returns false when out of memory. */
bool col_str_copy(kiln_arena *a, const char *p, uint32_t len, col_str *out);
static inline bool col_str_eq(const col_str *a, const col_str *b)
{
    if (memcmp(a, b, 8) != 0) return false;
    if (a->len <= COL_STR_INLINE) return memcmp(a->u.inl, b->u.inl, 8) == 0;
    return memcmp(a->u.ptr + 4, b->u.ptr + 4, a->len - 4) == 0;
}
/* Unsigned byte order, then length (Spark's binary string order). */
int col_str_cmp(const col_str *a, const col_str *b);

/* ---- Vectors ---------------------------------------------------------------- */

typedef struct col_vec col_vec;
struct col_vec {
    const col_type *type;
    uint32_t n;         /* rows */
    uint64_t *validity; /* NULL: no nulls; else bit i set = row i valid */
    void *data;         /* n values of col_type_width(type) bytes (or 1 if constant) */
    bool constant;      /* every row is row 0 (data and validity hold one row) */
    /* array and map: offsets[n+1] into children; struct: nchildren fields */
    uint32_t *offsets;
    int nchildren;
    col_vec *children; /* array: [elements]; map: [keys, values]; struct: fields */
};

static inline bool col_valid(const col_vec *v, uint32_t i)
{
    if (v->constant) i = 0;
    return !v->validity || (v->validity[i >> 6] >> (i & 63) & 1);
}
static inline void col_set_null(col_vec *v, uint32_t i)
{
    v->validity[i >> 6] &= ~(UINT64_C(1) << (i & 63));
}
static inline void col_set_valid(col_vec *v, uint32_t i)
{
    v->validity[i >> 6] |= UINT64_C(1) << (i & 63);
}
#define COL_VALIDITY_WORDS(n) (((size_t)(n) + 63) / 64)

/* Typed access to row i (no constant handling: use col_row for that). */
#define COL_DATA(v, T) ((T *)(v)->data)
static inline uint32_t col_row(const col_vec *v, uint32_t i)
{
    return v->constant ? 0 : i;
}

/* Makes v a vector of type t with room for cap rows, data allocated in a
 * (uninitialised), no validity bitmap, n = 0; nested types get their
 * children made with room for cap rows each (arrays and maps grow theirs
 * with col_vec_reserve_child). Returns KILN_OK or KILN_ENOMEM. */
int col_vec_init(col_vec *v, kiln_arena *a, const col_type *t, uint32_t cap);
/* Adds a validity bitmap with every one of cap rows valid (does nothing
 * when v has one). */
int col_vec_add_validity(col_vec *v, kiln_arena *a, uint32_t cap);
/* Makes v a constant vector holding one value (copied; strings' bytes too)
 * or a null (val == NULL), reporting n rows. */
int col_vec_constant(col_vec *v, kiln_arena *a, const col_type *t, const void *val, uint32_t n);
/* Makes dst a flat (non-constant) vector with src's rows, in a; dst may
 * be src (flattened in place). */
int col_vec_flatten(col_vec *dst, kiln_arena *a, const col_vec *src);
/* Copies row i of src to row j of dst (same type; dst has room and, when
 * src has nulls, a validity bitmap). Strings' bytes are not copied: dst
 * points where src did. Nested children are appended. */
int col_vec_copy_row(col_vec *dst, kiln_arena *a, uint32_t j, const col_vec *src, uint32_t i);
/* Makes row j of v null, adding a validity bitmap for cap rows when v has
 * none. A struct's fields get a null row j too, so that an array or map
 * among them (at any depth) has its offsets[j + 1] set: the next row
 * written there starts where this one ended. */
int col_vec_set_null_row(col_vec *v, kiln_arena *a, uint32_t j, uint32_t cap);
/* dst gets rows sel[0..n) of src, in that order (a gather), in a. */
int col_vec_gather(col_vec *dst, kiln_arena *a, const col_vec *src, const uint32_t *sel,
                   uint32_t n);
/* Ensures an array/map vector's children have room for cap rows. */
int col_vec_reserve_child(col_vec *v, kiln_arena *a, uint32_t cap);

/* Row i as a kiln_value (for collect, RDD conversion and tests): ints of
 * every width, dates and timestamps as int64; float and double as double;
 * decimals as double when scale > 0 and int64 otherwise (a decimal beyond
 * 2^63 as double); strings as strings, binary as bytes; arrays as lists;
 * structs as tuples; maps as lists of 2-tuples. Parts are allocated in a. */
int col_vec_get_value(const col_vec *v, uint32_t i, kiln_arena *a, kiln_value *out);

/* ---- Batches ------------------------------------------------------------------- */

typedef struct col_batch {
    int ncols;
    uint32_t n;    /* rows held in each vector */
    col_vec *cols; /* ncols vectors */
    uint32_t *sel; /* NULL: all n rows are live; else nsel ascending row indices */
    uint32_t nsel;
} col_batch;

/* Rows live in b. */
static inline uint32_t col_batch_live(const col_batch *b)
{
    return b->sel ? b->nsel : b->n;
}
/* Makes b a batch of ncols vectors of the given types with room for cap
 * rows each (col_vec_init), n = 0, no selection. */
int col_batch_init(col_batch *b, kiln_arena *a, int ncols, const col_type *const *types,
                   uint32_t cap);
/* Replaces b by a batch without selection holding only its live rows. */
int col_batch_compact(col_batch *b, kiln_arena *a);

/* ---- Schemas ---------------------------------------------------------------------- */

/* Named, typed columns, e.g. a DataFrame's schema or a reader's output. */
typedef struct col_schema {
    int n;
    col_field *fields;
} col_schema;

/* A copy of s (names and types) in a. */
int col_schema_copy(kiln_arena *a, const col_schema *s, col_schema *out);
/* Spark's printSchema tree:
 *   root
 *    |-- name: string (nullable = true)
 */
int col_schema_format_tree(kiln_buf *b, const col_schema *s);
/* "a INT, b STRING" style DDL (Spark's StructType.toDDL): parsed into out.
 * Returns KILN_OK, or KILN_EINVAL with *err_pos set. */
int col_schema_parse_ddl(kiln_arena *a, const char *s, size_t len, col_schema *out,
                         size_t *err_pos);

/* ---- Wire form ------------------------------------------------------------------------ */

/* Appends b's live rows in the batch wire format (docs/formats/batch.md):
 * self-describing (types included), little-endian, buffers 16-byte aligned
 * relative to the start of the encoding, strings as offsets + bytes. */
int col_batch_encode(kiln_buf *out, const col_batch *b);
/* Decodes a batch from p[0..n) into b, vectors in a. Fixed-width buffers
 * point into p when p is 16-byte aligned (p must then outlive b), strings
 * are views into p. Returns KILN_OK, KILN_ENOMEM or KILN_ECORRUPT (never
 * reads outside p[0..n)). */
int col_batch_decode(col_batch *b, kiln_arena *a, const uint8_t *p, size_t n);
/* As col_batch_decode, but b gets only columns pick[0..npick) of the
 * encoded batch, in that order; the others are skipped without being
 * looked at beyond their lengths (a scan of a cached table reading the
 * columns a query needs). KILN_ECORRUPT also when a pick is out of range. */
int col_batch_decode_cols(col_batch *b, kiln_arena *a, const uint8_t *p, size_t n, const int *pick,
                          int npick);

#pragma GCC visibility pop
#endif
