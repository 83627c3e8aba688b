/*
 * python/src/py_wire_ref.c - kiln's value encoding (docs/formats/value.md)
 * decoded into kiln values whose strings and bytes point into the input:
 * what a task thread does with a worker process's output batches
 * (py_worker.c). No Python here, so the decoder is fuzzed on its own
 * (tests/fuzz/fuzz_py_wire.c).
 */
#include <string.h>

#include "py_wire_ref.h"

int pyk_get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t c = *(*p)++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int decode_ref(kiln_arena *a, const uint8_t **p, const uint8_t *end, kiln_value *out,
                      int depth)
{
    if (*p >= end || depth > KILN_VALUE_MAX_DEPTH) return KILN_ECORRUPT;
    uint8_t tag = *(*p)++;
    uint64_t n;
    switch (tag) {
    case 0x00:
        *out = kiln_null();
        return 0;
    case 0x01:
    case 0x11:
        *out = kiln_bool(tag == 0x11);
        return 0;
    case KILN_INT:
        if (pyk_get_varint(p, end, &n)) return KILN_ECORRUPT;
        *out = kiln_int((int64_t)(n >> 1) ^ -(int64_t)(n & 1));
        return 0;
    case KILN_DOUBLE: {
        if (end - *p < 8) return KILN_ECORRUPT;
        double d;
        memcpy(&d, *p, 8);
        *p += 8;
        *out = kiln_double(d);
        return 0;
    }
    case KILN_STR:
    case KILN_BYTES:
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p) || n > UINT32_MAX)
            return KILN_ECORRUPT;
        *out = tag == KILN_STR ? kiln_str_ref((const char *)*p, (size_t)n)
                               : kiln_bytes_ref(*p, (size_t)n);
        *p += n;
        return 0;
    case KILN_TUPLE:
    case KILN_LIST: {
        /* A top-level tuple is nested 1 deep: at most KILN_VALUE_MAX_DEPTH. */
        if (depth + 1 > KILN_VALUE_MAX_DEPTH) return KILN_ECORRUPT;
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p) || n > UINT32_MAX)
            return KILN_ECORRUPT;
        kiln_value *items = n ? kiln_arena_alloc(a, sizeof(kiln_value) * (size_t)n) : NULL;
        if (n && !items) return KILN_ENOMEM;
        for (uint64_t i = 0; i < n; i++) {
            int rc = decode_ref(a, p, end, &items[i], depth + 1);
            if (rc) return rc;
        }
        *out = tag == KILN_TUPLE ? kiln_tuple_ref(items, (size_t)n)
                                 : kiln_list_ref(items, (size_t)n);
        return 0;
    }
    case KILN_VEC: {
        if (pyk_get_varint(p, end, &n) || n > (uint64_t)(end - *p) / 8 || n > UINT32_MAX)
            return KILN_ECORRUPT;
        *out = kiln_vec_new(a, (const double *)*p, (size_t)n); /* aligned copy */
        *p += n * 8;
        return n && !out->u.vec ? KILN_ENOMEM : 0;
    }
    }
    return KILN_ECORRUPT;
}

int pyk_decode_ref(kiln_arena *a, const uint8_t **p, const uint8_t *end, kiln_value *out)
{
    return decode_ref(a, p, end, out, 0);
}
