/*
 * base/encode.c - the compact binary encoding of values (shuffle files,
 * cached blocks, the wire). The byte layout is specified in
 * docs/formats/value.md; keep the two in step.
 *
 * The encoding is canonical: the decoder accepts exactly the byte strings
 * the encoder produces (minimal varints, known tags only), so decoding and
 * re-encoding any accepted input gives back the same bytes. The decoder
 * treats its input as hostile: it checks every length against the bytes
 * left before reading or allocating, and bounds nesting depth.
 */
#include <string.h>

#include "base/base.h"

#define TAG_TRUE (KILN_BOOL | 0x10)
#define VARINT_MAX 10

static inline size_t put_varint(uint8_t *p, uint64_t x)
{
    size_t n = 0;
    while (x >= 0x80) {
        p[n++] = (uint8_t)(x | 0x80);
        x >>= 7;
    }
    p[n++] = (uint8_t)x;
    return n;
}

static inline uint64_t zigzag(int64_t i)
{
    return ((uint64_t)i << 1) ^ (uint64_t)(i >> 63);
}

static inline int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static inline void put_le64(uint8_t *p, uint64_t x)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(x >> (8 * i));
}

static inline uint64_t get_le64(const uint8_t *p)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

static inline uint64_t double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static int encode_rec(kiln_buf *b, const kiln_value *v, int depth)
{
    /* Room for a tag, a varint and an 8-byte double; parts reserve their own. */
    if (kiln_buf_reserve(b, 1 + VARINT_MAX + 8) != KILN_OK) return KILN_ENOMEM;
    uint8_t *p = b->data + b->len;
    switch (v->type) {
    case KILN_NULL:
        p[0] = KILN_NULL;
        b->len += 1;
        return KILN_OK;
    case KILN_BOOL:
        p[0] = v->u.b ? TAG_TRUE : KILN_BOOL;
        b->len += 1;
        return KILN_OK;
    case KILN_INT:
        p[0] = KILN_INT;
        b->len += 1 + put_varint(p + 1, zigzag(v->u.i));
        return KILN_OK;
    case KILN_DOUBLE:
        p[0] = KILN_DOUBLE;
        put_le64(p + 1, double_bits(v->u.d));
        b->len += 9;
        return KILN_OK;
    case KILN_STR:
    case KILN_BYTES:
        p[0] = v->type;
        b->len += 1 + put_varint(p + 1, v->len);
        return kiln_buf_append(b, v->u.bytes, v->len);
    case KILN_VEC: {
        p[0] = KILN_VEC;
        b->len += 1 + put_varint(p + 1, v->len);
        if (kiln_buf_reserve(b, (size_t)v->len * 8) != KILN_OK) return KILN_ENOMEM;
        p = b->data + b->len;
        for (uint32_t i = 0; i < v->len; i++) put_le64(p + 8 * (size_t)i, double_bits(v->u.vec[i]));
        b->len += (size_t)v->len * 8;
        return KILN_OK;
    }
    case KILN_TUPLE:
    case KILN_LIST:
        if (depth >= KILN_VALUE_MAX_DEPTH)
            return kiln_set_error(KILN_EINVAL, "value encode: nesting deeper than %d",
                                  KILN_VALUE_MAX_DEPTH);
        p[0] = v->type;
        b->len += 1 + put_varint(p + 1, v->len);
        for (uint32_t i = 0; i < v->len; i++) {
            int rc = encode_rec(b, &v->u.items[i], depth + 1);
            if (rc != KILN_OK) return rc;
        }
        return KILN_OK;
    }
    return kiln_set_error(KILN_EINVAL, "value encode: bad type tag %u", v->type);
}

/* Appends the encoding of v (borrowed) to b. Returns KILN_OK, KILN_ENOMEM,
 * or KILN_EINVAL for a bad type tag or containers nested deeper than
 * KILN_VALUE_MAX_DEPTH; on error b holds what it held before the call. */
int kiln_value_encode(kiln_buf *b, const kiln_value *v)
{
    size_t len0 = b->len;
    int rc = encode_rec(b, v, 0);
    if (rc != KILN_OK) b->len = len0;
    if (rc == KILN_ENOMEM) return kiln_set_error(rc, "value encode: out of memory");
    return rc;
}

/* ---- Decoding ------------------------------------------------------------ */

typedef struct decoder {
    kiln_arena *a;
    const uint8_t *p; /* start of input, for offsets in messages */
    size_t n;
    size_t off;
} decoder;

static int corrupt(const decoder *d, size_t off, const char *what)
{
    return kiln_set_error(KILN_ECORRUPT, "value decode: %s at offset %zu of %zu", what, off, d->n);
}

/* Reads a minimal LEB128 varint of at most 10 bytes. */
static int get_varint(decoder *d, uint64_t *out)
{
    size_t start = d->off;
    uint64_t x = 0;
    for (int i = 0; i < VARINT_MAX; i++) {
        if (d->off >= d->n) return corrupt(d, start, "truncated varint");
        uint8_t c = d->p[d->off++];
        if (i == VARINT_MAX - 1 && c > 1) return corrupt(d, start, "varint overflows 64 bits");
        x |= (uint64_t)(c & 0x7f) << (7 * i);
        if (c < 0x80) {
            if (c == 0 && i > 0) return corrupt(d, start, "overlong varint");
            *out = x;
            return KILN_OK;
        }
    }
    return corrupt(d, start, "overlong varint");
}

/* Reads a count whose items take at least unit bytes each, so that it can
 * never promise more than the input holds. */
static int get_count(decoder *d, size_t unit, uint32_t *out)
{
    size_t start = d->off;
    uint64_t x;
    int rc = get_varint(d, &x);
    if (rc != KILN_OK) return rc;
    size_t left = d->n - d->off;
    if (x > UINT32_MAX || x > left / unit)
        return kiln_set_error(KILN_ECORRUPT,
                              "value decode: length %llu at offset %zu exceeds the %zu bytes "
                              "left",
                              (unsigned long long)x, start, left);
    *out = (uint32_t)x;
    return KILN_OK;
}

static int oom(void)
{
    return kiln_set_error(KILN_ENOMEM, "value decode: out of memory");
}

static int decode_rec(decoder *d, kiln_value *out, int depth)
{
    size_t at = d->off;
    if (at >= d->n) return corrupt(d, at, "truncated value");
    uint8_t tag = d->p[d->off++];
    uint32_t len;
    int rc;

    memset(out, 0, sizeof *out);
    switch (tag) {
    case KILN_NULL:
        return KILN_OK;
    case KILN_BOOL:
    case TAG_TRUE:
        out->type = KILN_BOOL;
        out->u.b = tag == TAG_TRUE;
        return KILN_OK;
    case KILN_INT: {
        uint64_t u;
        if ((rc = get_varint(d, &u)) != KILN_OK) return rc;
        out->type = KILN_INT;
        out->u.i = unzigzag(u);
        return KILN_OK;
    }
    case KILN_DOUBLE: {
        if (d->n - d->off < 8) return corrupt(d, at, "truncated double");
        uint64_t bits = get_le64(d->p + d->off);
        d->off += 8;
        out->type = KILN_DOUBLE;
        memcpy(&out->u.d, &bits, sizeof bits);
        return KILN_OK;
    }
    case KILN_STR:
    case KILN_BYTES: {
        if ((rc = get_count(d, 1, &len)) != KILN_OK) return rc;
        uint8_t *s = kiln_arena_alloc(d->a, len);
        if (s == NULL) return oom();
        if (len > 0) memcpy(s, d->p + d->off, len);
        d->off += len;
        out->type = tag;
        out->len = len;
        out->u.bytes = s;
        return KILN_OK;
    }
    case KILN_VEC: {
        if ((rc = get_count(d, 8, &len)) != KILN_OK) return rc;
        double *x = kiln_arena_alloc(d->a, (size_t)len * sizeof *x);
        if (x == NULL) return oom();
        for (uint32_t i = 0; i < len; i++) {
            uint64_t bits = get_le64(d->p + d->off + 8 * (size_t)i);
            memcpy(&x[i], &bits, sizeof bits);
        }
        d->off += (size_t)len * 8;
        out->type = KILN_VEC;
        out->len = len;
        out->u.vec = x;
        return KILN_OK;
    }
    case KILN_TUPLE:
    case KILN_LIST: {
        if (depth >= KILN_VALUE_MAX_DEPTH)
            return kiln_set_error(KILN_ECORRUPT,
                                  "value decode: nesting deeper than %d at "
                                  "offset %zu",
                                  KILN_VALUE_MAX_DEPTH, at);
        if ((rc = get_count(d, 1, &len)) != KILN_OK) return rc;
        kiln_value *items = kiln_arena_alloc(d->a, (size_t)len * sizeof *items);
        if (items == NULL) return oom();
        for (uint32_t i = 0; i < len; i++) {
            if ((rc = decode_rec(d, &items[i], depth + 1)) != KILN_OK) return rc;
        }
        out->type = tag;
        out->len = len;
        out->u.items = items;
        return KILN_OK;
    }
    }
    return kiln_set_error(KILN_ECORRUPT, "value decode: bad tag 0x%02x at offset %zu of %zu", tag,
                          at, d->n);
}

/* Decodes one value from p[0..n) (borrowed) into *out, copying every part
 * into a, and sets *used to the bytes consumed (the input may go on).
 * Returns KILN_OK, KILN_ECORRUPT (message gives the problem and offset) or
 * KILN_ENOMEM; never reads past p[n-1]. On error *out and *used are
 * unspecified and whatever was allocated stays in a until reset. */
int kiln_value_decode(kiln_arena *a, const uint8_t *p, size_t n, kiln_value *out, size_t *used)
{
    decoder d = {a, p, n, 0};
    int rc = decode_rec(&d, out, 0);
    if (rc == KILN_OK && used != NULL) *used = d.off;
    return rc;
}
