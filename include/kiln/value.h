/*
 * kiln/value.h - dynamic record values, arenas and their binary encoding.
 *
 * Every RDD record is a kiln_value: a 16-byte tagged value whose
 * variable-size parts (string bytes, tuple items, vector elements) live in a
 * kiln_arena. Values are immutable once built; copying the struct is a
 * shallow copy that stays valid as long as the arena that owns the parts.
 */
#ifndef KILN_VALUE_H
#define KILN_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The order of the tags is the order of types in the total order. */
typedef enum kiln_type {
    KILN_NULL = 0,
    KILN_BOOL = 1,
    KILN_INT = 2,    /* int64 */
    KILN_DOUBLE = 3, /* float64 */
    KILN_STR = 4,    /* bytes, by convention UTF-8; not NUL-terminated */
    KILN_BYTES = 5,
    KILN_TUPLE = 6, /* fixed-size heterogeneous; key-value pairs are 2-tuples */
    KILN_LIST = 7,
    KILN_VEC = 8, /* dense float64 vector */
} kiln_type;

typedef struct kiln_value kiln_value;
struct kiln_value {
    uint8_t type; /* a kiln_type */
    uint8_t pad[3];
    uint32_t len; /* STR/BYTES: bytes; TUPLE/LIST: items; VEC: elements */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s;
        const uint8_t *bytes;
        const kiln_value *items;
        const double *vec;
    } u;
};

/* Constructors that need no arena. */
static inline kiln_value kiln_null(void)
{
    kiln_value v = {0};
    return v;
}
static inline kiln_value kiln_bool(bool b)
{
    kiln_value v = {0};
    v.type = KILN_BOOL;
    v.u.b = b;
    return v;
}
static inline kiln_value kiln_int(int64_t i)
{
    kiln_value v = {0};
    v.type = KILN_INT;
    v.u.i = i;
    return v;
}
static inline kiln_value kiln_double(double d)
{
    kiln_value v = {0};
    v.type = KILN_DOUBLE;
    v.u.d = d;
    return v;
}
/* Borrows s: the value points at s, which must outlive it. */
static inline kiln_value kiln_str_ref(const char *s, size_t len)
{
    kiln_value v = {0};
    v.type = KILN_STR;
    v.len = (uint32_t)len;
    v.u.s = s;
    return v;
}
static inline kiln_value kiln_bytes_ref(const void *p, size_t len)
{
    kiln_value v = {0};
    v.type = KILN_BYTES;
    v.len = (uint32_t)len;
    v.u.bytes = (const uint8_t *)p;
    return v;
}
/* Borrows items / elements. */
static inline kiln_value kiln_tuple_ref(const kiln_value *items, size_t n)
{
    kiln_value v = {0};
    v.type = KILN_TUPLE;
    v.len = (uint32_t)n;
    v.u.items = items;
    return v;
}
static inline kiln_value kiln_list_ref(const kiln_value *items, size_t n)
{
    kiln_value v = {0};
    v.type = KILN_LIST;
    v.len = (uint32_t)n;
    v.u.items = items;
    return v;
}
static inline kiln_value kiln_vec_ref(const double *x, size_t n)
{
    kiln_value v = {0};
    v.type = KILN_VEC;
    v.len = (uint32_t)n;
    v.u.vec = x;
    return v;
}

/* ---- Arenas ---------------------------------------------------------- */

/* A bump allocator freed all at once. Not thread-safe: one owner at a time. */
typedef struct kiln_arena kiln_arena;

/* Returns an owned arena, or NULL when out of memory. */
KILN_API kiln_arena *kiln_arena_new(void);
/* Frees the arena and everything allocated from it. NULL is ignored. */
KILN_API void kiln_arena_free(kiln_arena *a);
/* Forgets every allocation but keeps the first block for reuse. */
KILN_API void kiln_arena_reset(kiln_arena *a);
/* Returns 16-byte aligned memory valid until reset/free, or NULL. */
KILN_API void *kiln_arena_alloc(kiln_arena *a, size_t n);
/* Bytes currently held from the system by the arena. */
KILN_API size_t kiln_arena_bytes(const kiln_arena *a);

/* Constructors that copy into an arena; on allocation failure they return a
 * NULL value and the caller reports KILN_ENOMEM. */
KILN_API kiln_value kiln_str_new(kiln_arena *a, const char *s, size_t len);
KILN_API kiln_value kiln_cstr(kiln_arena *a, const char *s); /* strlen(s) bytes */
KILN_API kiln_value kiln_bytes_new(kiln_arena *a, const void *p, size_t len);
/* A 2-tuple (key, value), copies the two structs (shallow). */
KILN_API kiln_value kiln_pair(kiln_arena *a, kiln_value k, kiln_value v);
/* An n-tuple / list / vector copying the n items (shallow for values). */
KILN_API kiln_value kiln_tuple_new(kiln_arena *a, const kiln_value *items, size_t n);
KILN_API kiln_value kiln_list_new(kiln_arena *a, const kiln_value *items, size_t n);
KILN_API kiln_value kiln_vec_new(kiln_arena *a, const double *x, size_t n);
/* Deep copy of v: every part reachable from the result lives in a. */
KILN_API int kiln_value_copy(kiln_arena *a, const kiln_value *v, kiln_value *out);

/* Accessors for the common pair shape; undefined unless v is a tuple of >= 2. */
static inline const kiln_value *kiln_key(const kiln_value *v)
{
    return &v->u.items[0];
}
static inline const kiln_value *kiln_val(const kiln_value *v)
{
    return &v->u.items[1];
}
static inline bool kiln_is_pair(const kiln_value *v)
{
    return v->type == KILN_TUPLE && v->len == 2;
}

/* ---- Order, equality, hashing ------------------------------------------ */

/* Total order over all values: first by type tag, then by content (ints and
 * doubles numerically, NaN after every other double; strings and bytes by
 * unsigned bytes then length; tuples, lists and vectors lexicographically,
 * then by length). Returns <0, 0, >0. */
KILN_API int kiln_value_cmp(const kiln_value *a, const kiln_value *b);
KILN_API bool kiln_value_eq(const kiln_value *a, const kiln_value *b);
/* A 64-bit hash identical in every process, run and machine (no seed).
 * Equal values hash equally. -0.0 and 0.0 compare and hash equal. */
KILN_API uint64_t kiln_value_hash(const kiln_value *v);

/* ---- Encoding ----------------------------------------------------------- */

/* A growable byte buffer (malloc-backed, caller-owned struct). */
typedef struct kiln_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} kiln_buf;
KILN_API void kiln_buf_init(kiln_buf *b);
KILN_API void kiln_buf_release(kiln_buf *b);
KILN_API int kiln_buf_reserve(kiln_buf *b, size_t extra);
KILN_API int kiln_buf_append(kiln_buf *b, const void *p, size_t n);

/* Tuples and lists nest at most this deep in an encoded value. */
#define KILN_VALUE_MAX_DEPTH 64

/* Appends the compact binary encoding of v (format in docs/formats/value.md).
 * Returns KILN_OK, KILN_ENOMEM, or KILN_EINVAL when v nests deeper than
 * KILN_VALUE_MAX_DEPTH or has a bad type tag. */
KILN_API int kiln_value_encode(kiln_buf *b, const kiln_value *v);
/* Decodes one value from p[0..n) into out, parts allocated in a (strings may
 * be copied). Sets *used to the bytes consumed. Returns KILN_OK, KILN_ENOMEM,
 * or KILN_ECORRUPT for malformed or truncated input (never reads past n). */
KILN_API int kiln_value_decode(kiln_arena *a, const uint8_t *p, size_t n, kiln_value *out,
                               size_t *used);

/* Appends a human-readable form to b (no NUL), in Spark's toString style:
 * strings as their bytes, tuples as (a,b), lists as [a, b], vectors as
 * [1.0,2.0], bytes as hex, null as null, doubles in shortest round-trip form
 * (always with a '.', 'e', "NaN" or "Infinity"). */
KILN_API int kiln_value_format(kiln_buf *b, const kiln_value *v);

#ifdef __cplusplus
}
#endif
#endif
