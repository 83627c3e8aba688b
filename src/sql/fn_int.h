/*
 * sql/fn_int.h - private helpers shared by the function families
 * (fn_*.c): row loops over a selection, typed access, bind helpers and the
 * error messages of Spark's arithmetic.
 */
#ifndef KILN_SQL_FN_INT_H
#define KILN_SQL_FN_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "sql/decimal.h"
#include "sql/fn.h"

#pragma GCC visibility push(hidden)

/* Runs BODY with row index I over sel[0..count), or 0..n without sel. */
#define FN_ROWS(sel, n, count, I, ...)                                                             \
    do {                                                                                           \
        if (sel) {                                                                                 \
            for (uint32_t k_ = 0; k_ < (count); k_++) {                                            \
                uint32_t I = (sel)[k_];                                                            \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        } else {                                                                                   \
            for (uint32_t I = 0; I < (n); I++) {                                                   \
                __VA_ARGS__                                                                        \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* How a kernel reacts to overflow, division by zero or a bad value. */
enum { FN_ON_ERROR = 0, FN_ON_NULL = 1, FN_ON_WRAP = 2 };

/* The 128-bit unscaled value of row i of a decimal vector (either width). */
static inline dec128 fn_dec_get(const col_vec *v, uint32_t i)
{
    i = col_row(v, i);
    return col_decimal_is_wide(v->type) ? ((const dec128 *)v->data)[i]
                                        : (dec128)((const int64_t *)v->data)[i];
}
static inline void fn_dec_put(col_vec *v, uint32_t i, dec128 x)
{
    if (col_decimal_is_wide(v->type)) ((dec128 *)v->data)[i] = x;
    else ((int64_t *)v->data)[i] = (int64_t)x;
}
/* An integral row as int64 (any width, constants handled). */
static inline int64_t fn_int_get(const col_vec *v, uint32_t i)
{
    i = col_row(v, i);
    switch (v->type->kind) {
    case COL_I8:
        return ((const int8_t *)v->data)[i];
    case COL_I16:
        return ((const int16_t *)v->data)[i];
    case COL_I32:
    case COL_DATE:
    case COL_INTERVAL_YM:
        return ((const int32_t *)v->data)[i];
    case COL_BOOL:
        return ((const uint8_t *)v->data)[i];
    default:
        return ((const int64_t *)v->data)[i];
    }
}
/* A numeric row as double (decimal scaled). */
double fn_num_get_f64(const col_vec *v, uint32_t i);

/* The decimal type an integral type widens to (int: decimal(10,0)); t
 * itself when a decimal; NULL otherwise. */
const col_type *fn_decimal_of(kiln_arena *a, const col_type *t);
/* Spark's ANSI/legacy string promotion for a binary operator over x and y
 * (AnsiTypeCoercion.findWiderTypeForString): string with integral ->
 * bigint, with fractional or decimal -> double, with another atomic type ->
 * that type. NULL when neither is a string. */
const col_type *fn_string_promotion(const col_type *x, const col_type *y);
/* Common type for a binary operator: string promotion, then
 * fn_common_type. NULL when none. */
const col_type *fn_binary_common(fn_bind *b, const col_type *x, const col_type *y);
/* Sets b's error: DATATYPE_MISMATCH style, message made in b->arena. */
int fn_bind_fail(fn_bind *b, int arg, const char *cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Type name in Spark's SQL form, in a (for messages). */
const char *fn_type_name(kiln_arena *a, const col_type *t);
/* The arena copy of a formatted string. */
char *fn_strdup(kiln_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes rows of a string result: a copy of p[0..len) in c->arena. */
int fn_put_str(fn_ctx *c, col_vec *out, uint32_t i, const char *p, size_t len);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t fn_days_from_civil(int64_t y, unsigned m, unsigned d);
void fn_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* The offset in seconds of zone tz at UTC instant us (UTC, fixed offsets
 * and the system's TZif files); *ok false when tz is unknown. */
int32_t fn_tz_offset(const char *tz, int64_t us, bool *ok);
/* The UTC instant of local wall time local_us in tz. */
int64_t fn_tz_local_to_utc(const char *tz, int64_t local_us);
/* Parses a zone id ("Z", "UTC", "+01:00", "GMT+1", an IANA name):
 * true with a usable name for fn_tz_offset in out (static or in s). */
bool fn_tz_valid(const char *tz);

/* Formats a double / float as Java's Double.toString / Float.toString. */
int fn_format_double(char *buf, double d);
int fn_format_float(char *buf, float f);
/* "yyyy-MM-dd" of days; "yyyy-MM-dd HH:mm:ss[.ffffff]" of local µs. */
int fn_format_date(char *buf, int64_t days);
int fn_format_timestamp(char *buf, int64_t local_us);
/* Spark's display of a day-time interval of type t (its fields):
 * INTERVAL '3' DAY, INTERVAL '-1 02:03:04.5' DAY TO SECOND; buf has room
 * for 64 bytes. Returns the length. */
int fn_format_interval_dt(char *buf, int64_t us, const col_type *t);
/* Spark's stringToDate / stringToTimestamp. The timestamp parser returns
 * the UTC instant (ntz: the wall time) using tz when no zone is given. */
bool fn_parse_date(const char *s, size_t n, int32_t *out);
bool fn_parse_timestamp(const char *s, size_t n, const char *tz, bool ntz, int64_t *out);

/* Run-time errors in Spark's words. */
int fn_err_overflow(fn_ctx *c, const col_type *t, const char *try_fn);
int fn_err_div_zero(fn_ctx *c);

/* Three-valued comparison of rows of two vectors of the same type
 * (arrays, structs and every scalar type); both rows valid. */
int fn_cmp_rows(const col_vec *a, uint32_t i, const col_vec *b, uint32_t j);

/* Binds hash(...) (Murmur3, int) and xxhash64(...) (bigint) (fn_hash.c). */
int fn_bind_hash(fn_bind *b);
int fn_bind_xxhash64(fn_bind *b);

#pragma GCC visibility pop
#endif
