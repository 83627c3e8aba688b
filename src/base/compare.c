/*
 * base/compare.c - the total order and equality over kiln values.
 *
 * Sorting, sort-based shuffle, range partitioning and grouping all rely on
 * this order being total and consistent with kiln_value_eq and with
 * kiln_value_hash: values compare first by type tag, then by content.
 * Doubles are ordered numerically with -0.0 equal to 0.0 and every NaN equal
 * to every other NaN and above +Infinity, so NaN keys group together.
 */
#include <string.h>

#include "base/base.h"

static inline int cmp_double(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0; /* includes -0.0 == 0.0 */
    /* At least one NaN. */
    int na = a != a, nb = b != b;
    return na - nb;
}

static inline int cmp_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    uint32_t n = an < bn ? an : bn;
    if (n > 0) {
        int c = memcmp(a, b, n);
        if (c != 0) return c < 0 ? -1 : 1;
    }
    return (an > bn) - (an < bn);
}

/* Compares a and b (both borrowed) in the total order documented in
 * value.h. Returns -1, 0 or 1. Values of an unknown type order by tag. */
int kiln_value_cmp(const kiln_value *a, const kiln_value *b)
{
    if (a->type != b->type) return a->type < b->type ? -1 : 1;
    switch (a->type) {
    case KILN_BOOL:
        return (int)a->u.b - (int)b->u.b;
    case KILN_INT:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case KILN_DOUBLE:
        return cmp_double(a->u.d, b->u.d);
    case KILN_STR:
    case KILN_BYTES:
        return cmp_bytes(a->u.bytes, a->len, b->u.bytes, b->len);
    case KILN_TUPLE:
    case KILN_LIST: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = kiln_value_cmp(&a->u.items[i], &b->u.items[i]);
            if (c != 0) return c;
        }
        return (a->len > b->len) - (a->len < b->len);
    }
    case KILN_VEC: {
        uint32_t n = a->len < b->len ? a->len : b->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = cmp_double(a->u.vec[i], b->u.vec[i]);
            if (c != 0) return c;
        }
        return (a->len > b->len) - (a->len < b->len);
    }
    default: /* KILN_NULL and unknown tags: no content */
        return 0;
    }
}

/* True when kiln_value_cmp(a, b) == 0, with a fast path for the common
 * case of two strings (grouping and hash-table probes). */
bool kiln_value_eq(const kiln_value *a, const kiln_value *b)
{
    if (a->type != b->type) return false;
    if (a->type == KILN_STR || a->type == KILN_BYTES)
        return a->len == b->len && (a->len == 0 || memcmp(a->u.bytes, b->u.bytes, a->len) == 0);
    if (a->type == KILN_INT) return a->u.i == b->u.i;
    return kiln_value_cmp(a, b) == 0;
}
