/*
 * kiln/udf.h - the C ABI of native, vectorised scalar functions (UDFs)
 * that kiln loads from shared libraries at run time.
 *
 * A library exports one descriptor (a `KILN_UDF_EXPORT const kiln_udf`)
 * per function;
 * SQL names it as 'path/libx.so:symbol':
 *
 *   CREATE TEMPORARY FUNCTION haversine AS '/opt/udf/libgeo.so:geo_haversine';
 *   SELECT haversine(lat1, lon1, lat2, lon2) FROM trips;
 *
 * (or kiln_session_register_udf in kiln/sql.h). Plans carry the function
 * as (name, library path, symbol); every process that runs a task
 * (driver, executor threads, local-cluster and cluster executors) loads
 * the library once (dlopen, RTLD_NOW | RTLD_LOCAL) and calls the
 * descriptor's `invoke` once per batch on whole column vectors.
 *
 * This header is the whole contract: a UDF library includes it and links
 * nothing of kiln. It only grows: new fields go at the end of the structs
 * and abi_version says which ones a library fills.
 *
 * Vectors (kiln_udf_vector) are laid out as in the Arrow C Data Interface
 * (the values of a row contiguous, nulls in a separate bitmap):
 *   - validity: bit i of byte i/8 (least significant bit first) set = row
 *     i is valid; NULL on an argument = no row is null. A result always has
 *     one, every bit set on entry: clear the bits of null rows;
 *   - fixed-width values in a plain C array of `length` values: BOOL as one
 *     byte 0/1 (not a bitmap, unlike Arrow), INT8..INT64 as intN_t, FLOAT32
 *     and FLOAT64 as float / double, DATE as int32 days since 1970-01-01,
 *     TIMESTAMP as int64 microseconds since 1970-01-01 00:00 UTC;
 *   - STRING (UTF-8) and BINARY as Arrow's "utf8" / "binary": int32
 *     offsets[length + 1] and the bytes of row i at data[offsets[i] ..
 *     offsets[i + 1]). A result's offsets are allocated by kiln; its bytes
 *     come from call->reserve.
 * The values of a null row are unspecified (read them never, write them
 * anything). Arguments are read-only and valid during the call only.
 *
 * Threads: invoke runs concurrently in several threads of a process, each
 * with its own kiln_udf_call; it must be thread-safe and keep no state
 * between calls other than what it guards itself.
 */
#ifndef KILN_UDF_H
#define KILN_UDF_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_UDF_ABI_VERSION 1

/* Marks a descriptor exported from the library (needed when it is built
 * with -fvisibility=hidden): KILN_UDF_EXPORT const kiln_udf my_fn = {...}; */
#if defined(__GNUC__) || defined(__clang__)
#define KILN_UDF_EXPORT __attribute__((visibility("default")))
#else
#define KILN_UDF_EXPORT
#endif
#define KILN_UDF_MAX_ARGS 16

/* The types a UDF sees (SQL names: boolean, tinyint, smallint, int, bigint,
 * float, double, string, binary, date, timestamp). Other SQL types (decimal,
 * timestamp_ntz, intervals, nested types) are not passed: cast them. */
typedef enum kiln_udf_type {
    KILN_UDF_BOOL = 1,
    KILN_UDF_INT8 = 2,
    KILN_UDF_INT16 = 3,
    KILN_UDF_INT32 = 4,
    KILN_UDF_INT64 = 5,
    KILN_UDF_FLOAT32 = 6,
    KILN_UDF_FLOAT64 = 7,
    KILN_UDF_STRING = 8,
    KILN_UDF_BINARY = 9,
    KILN_UDF_DATE = 10,
    KILN_UDF_TIMESTAMP = 11,
} kiln_udf_type;

/* kiln_udf.flags. */
enum {
    /* The result is null where any argument is null (PostgreSQL's STRICT):
     * kiln marks those rows null after invoke, whatever it wrote there.
     * Without it invoke decides about nulls itself. */
    KILN_UDF_NULL_IN_NULL_OUT = 1,
    /* Not a function of its arguments alone (random, clock): never
     * evaluated once for constant arguments. */
    KILN_UDF_NONDETERMINISTIC = 2,
};

/* One column of `length` rows (see the layout above). */
typedef struct kiln_udf_vector {
    int32_t type;      /* kiln_udf_type */
    int32_t reserved;  /* 0 */
    int64_t length;    /* rows */
    uint8_t *validity; /* LSB-first bitmap; NULL (arguments only): no nulls */
    void *values;      /* fixed width: length values; strings: NULL */
    int32_t *offsets;  /* strings: length + 1 offsets into data, offsets[0] = 0 */
    char *data;        /* strings: the bytes */
} kiln_udf_vector;

/* What invoke gets: its arguments, its result and a place for an error. */
typedef struct kiln_udf_call kiln_udf_call;
struct kiln_udf_call {
    int64_t length;              /* rows in every argument and the result */
    int32_t nargs;               /* arguments, after binding */
    const kiln_udf_vector *args; /* nargs vectors, types as bound */
    kiln_udf_vector *result;     /* validity all set; values (fixed width) or
                                    offsets (strings) allocated, length rows */
    /* String results: makes result->data hold at least `bytes` bytes
     * (keeping what is written there) and returns it, also in
     * result->data; NULL when out of memory. Call it before writing bytes
     * and again to grow (amortise: ask for double). */
    char *(*reserve)(kiln_udf_call *call, int64_t bytes);
    char *error;       /* on failure, write a message here ... */
    size_t error_size; /* ... of at most error_size bytes with its NUL */
    const void *user;  /* kiln_udf.user */
    void *internal;    /* kiln's, do not touch */
};

/* What bind gets and fills in, when a function decides its types from its
 * arguments (a variadic or overloaded function). */
typedef struct kiln_udf_bind {
    int32_t nargs;            /* arguments as written in SQL */
    const int32_t *arg_types; /* their kiln_udf_type, or 0 for a type a UDF
                                 cannot take (decimal, ...: ask for a cast) */
    int32_t *want_types;      /* in: arg_types; out: the type to cast each to */
    int32_t result_type;      /* out */
    char *error;              /* on failure: a message here ... */
    size_t error_size;        /* ... of at most error_size bytes with its NUL */
    const void *user;         /* kiln_udf.user */
} kiln_udf_bind;

/* The descriptor a library exports (`const kiln_udf my_fn = {...};`). */
typedef struct kiln_udf {
    uint32_t abi_version; /* KILN_UDF_ABI_VERSION */
    uint32_t flags;       /* KILN_UDF_NULL_IN_NULL_OUT, KILN_UDF_NONDETERMINISTIC */
    /* Fixed signature (when bind is NULL): nargs arguments, each cast to
     * arg_types[i] with SQL's implicit casts (ANSI rules: an int passes to
     * a double argument, a string to an int argument does not), and
     * result_type. */
    int32_t nargs;
    int32_t arg_types[KILN_UDF_MAX_ARGS];
    int32_t result_type;
    /* Or, when set, the types are bound per call site: returns 0, or
     * nonzero with a message in b->error (a DATATYPE_MISMATCH error at the
     * call's position). Called at analysis and again in each process that
     * runs the plan: it must be deterministic. */
    int (*bind)(kiln_udf_bind *b);
    /* Computes call->length rows: returns 0, or nonzero with a message in
     * call->error (the task fails with FAILED_EXECUTE_UDF naming the
     * function). */
    int (*invoke)(kiln_udf_call *call);
    const void *user; /* handed to bind and invoke */
} kiln_udf;

/* Bit i of an LSB-first validity bitmap (NULL: valid). */
static inline int kiln_udf_valid(const uint8_t *validity, int64_t i)
{
    return !validity || (validity[i >> 3] >> (i & 7) & 1);
}
/* Marks row i of a result null. */
static inline void kiln_udf_set_null(kiln_udf_vector *v, int64_t i)
{
    v->validity[i >> 3] &= (uint8_t) ~(1u << (i & 7));
}

#ifdef __cplusplus
}
#endif
#endif
