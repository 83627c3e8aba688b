/*
 * sql/decimal.h - fixed-point decimals as SQL stores them: an unscaled
 * integer (int64 for precision <= 18, __int128 above) and a scale. Helpers
 * for the functions and casts: powers of ten, precision checks, rescaling
 * with HALF_UP rounding, products and quotients through 256-bit
 * intermediates, Spark's result-type rules, and text in and out.
 */
#ifndef KILN_SQL_DECIMAL_H
#define KILN_SQL_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

typedef __int128 dec128;

#define DEC_MAX_PRECISION 38
#define DEC_MIN_ADJUSTED_SCALE 6 /* Spark's DecimalType.MINIMUM_ADJUSTED_SCALE */

/* 10^0 .. 10^38. */
extern const dec128 dec_pow10[39];

/* Whether |v| < 10^precision. */
static inline bool dec_fits(dec128 v, int precision)
{
    dec128 m = dec_pow10[precision];
    return v < m && v > -m;
}

/* v with scale from rescaled to scale to (HALF_UP when digits are dropped).
 * Returns false when the result does not fit in 128 bits. */
bool dec_rescale(dec128 v, int from, int to, dec128 *out);
/* a * b / 10^down, rounded HALF_UP, exact through 256 bits. Returns false
 * when the result does not fit in 128 bits. */
bool dec_mul_down(dec128 a, dec128 b, int down, dec128 *out);
/* a * 10^up / b, rounded HALF_UP (b != 0), exact through 256 bits. Returns
 * false when the result does not fit in 128 bits. */
bool dec_div_up(dec128 a, int up, dec128 b, dec128 *out);
/* a * 10^up mod b (b != 0), the sign of a (Java's remainder): false when
 * a * 10^up does not fit in 128 bits. */
bool dec_mod_up(dec128 a, int up, dec128 b, dec128 *out);

/* Spark's DecimalType.adjustPrecisionScale (allowPrecisionLoss): a type of
 * precision p > 38 becomes 38 digits, keeping the integer digits and at
 * least min(s, 6) fraction digits. */
void dec_adjust(int *p, int *s);

/* Parses text (surrounding whitespace allowed; sign, digits, point,
 * exponent as Java's BigDecimal) into an unscaled value of the given scale
 * (HALF_UP). Returns 0, -1 when malformed, -2 when it does not fit in
 * precision digits. */
int dec_parse(const char *s, size_t n, int precision, int scale, dec128 *out);
/* Writes v with scale digits after the point ("1.50", "-0.05", "12") to
 * buf (room for 42 bytes); returns the length (no NUL). */
int dec_format(char *buf, dec128 v, int scale);
/* The precision of an integral type's decimal form (tinyint 3, smallint 5,
 * int 10, bigint 20). */
int dec_digits_of_int_width(int bytes);

#pragma GCC visibility pop
#endif
