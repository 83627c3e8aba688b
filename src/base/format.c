/*
 * base/format.c - kiln_value_format, the human-readable form of a value used
 * by collect-and-print, saveAsTextFile and error messages. It follows the
 * toString output of Spark's Scala/Java objects, so that text output of
 * kiln jobs can be compared with Spark's: "(word,3)", "[1, 2]", "3.0".
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

/* Writes the shortest of %.15g, %.16g, %.17g that reads back as exactly d
 * (%.17g always does), with '.' as the decimal point whatever the locale and
 * ".0" added to integral values as Java prints them. Returns the length. */
static size_t format_double(char *out, size_t cap, double d)
{
    if (isnan(d)) return (size_t)snprintf(out, cap, "NaN");
    if (isinf(d)) return (size_t)snprintf(out, cap, d > 0 ? "Infinity" : "-Infinity");

    /* 15 digits always survive a trip through a normal double, so %.15g is
     * the shortest form whenever it round-trips; subnormals carry fewer
     * digits and search from 1 ("5e-324"). */
    int n = 0;
    for (int prec = fabs(d) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
        n = snprintf(out, cap, "%.*g", prec, d);
        if (prec == 17 || strtod(out, NULL) == d) break;
    }
    bool has_point = false;
    for (int i = 0; i < n; i++) {
        char c = out[i];
        if (c == 'e') {
            has_point = true;
        } else if (!(c >= '0' && c <= '9') && c != '-' && c != '+') {
            out[i] = '.'; /* the locale's decimal point */
            has_point = true;
        }
    }
    if (!has_point && (size_t)n + 2 < cap) {
        out[n++] = '.';
        out[n++] = '0';
        out[n] = '\0';
    }
    return (size_t)n;
}

static int put(kiln_buf *b, const char *s, size_t n)
{
    return kiln_buf_append(b, s, n);
}

static int format_rec(kiln_buf *b, const kiln_value *v)
{
    char tmp[40];
    int rc;

    switch (v->type) {
    case KILN_NULL:
        return put(b, "null", 4);
    case KILN_BOOL:
        return v->u.b ? put(b, "true", 4) : put(b, "false", 5);
    case KILN_INT:
        return put(b, tmp, (size_t)snprintf(tmp, sizeof tmp, "%" PRId64, v->u.i));
    case KILN_DOUBLE:
        return put(b, tmp, format_double(tmp, sizeof tmp, v->u.d));
    case KILN_STR:
        return put(b, v->u.s, v->len);
    case KILN_BYTES: {
        static const char hex[] = "0123456789abcdef";
        if ((rc = kiln_buf_reserve(b, (size_t)v->len * 2)) != KILN_OK) return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            b->data[b->len++] = (uint8_t)hex[v->u.bytes[i] >> 4];
            b->data[b->len++] = (uint8_t)hex[v->u.bytes[i] & 15];
        }
        return KILN_OK;
    }
    case KILN_TUPLE:
    case KILN_LIST: {
        bool tuple = v->type == KILN_TUPLE;
        if ((rc = put(b, tuple ? "(" : "[", 1)) != KILN_OK) return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if (i > 0 && (rc = put(b, tuple ? "," : ", ", tuple ? 1 : 2)) != KILN_OK) return rc;
            if ((rc = format_rec(b, &v->u.items[i])) != KILN_OK) return rc;
        }
        return put(b, tuple ? ")" : "]", 1);
    }
    case KILN_VEC:
        if ((rc = put(b, "[", 1)) != KILN_OK) return rc;
        for (uint32_t i = 0; i < v->len; i++) {
            if (i > 0 && (rc = put(b, ",", 1)) != KILN_OK) return rc;
            if ((rc = put(b, tmp, format_double(tmp, sizeof tmp, v->u.vec[i]))) != KILN_OK)
                return rc;
        }
        return put(b, "]", 1);
    }
    return kiln_set_error(KILN_EINVAL, "value format: bad type tag %u", v->type);
}

/* Appends the text form of v (borrowed) to b, without a NUL. Returns KILN_OK,
 * KILN_ENOMEM, or KILN_EINVAL for a bad type tag; on error b holds what it
 * held before the call. */
int kiln_value_format(kiln_buf *b, const kiln_value *v)
{
    size_t len0 = b->len;
    int rc = format_rec(b, v);
    if (rc != KILN_OK) b->len = len0;
    return rc;
}
