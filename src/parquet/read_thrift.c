/*
 * parquet/read_thrift.c - the Thrift compact protocol decoder of the
 * Parquet reader: varints, zigzag integers, field headers, lists and
 * skipping of fields kiln does not know, over untrusted bytes (every read
 * bounds-checked, nesting limited to PQ_TR_MAX_DEPTH).
 */
#include <string.h>

#include "parquet/pq_read_int.h"

/* Starts a cursor over p[0..n). */
void pq_tr_init(pq_tr *t, const uint8_t *p, size_t n)
{
    t->p = p;
    t->end = p + n;
    t->depth = 0;
    t->err = NULL;
}

/* Fails t with why (the first reason is kept). */
void pq_tr_fail(pq_tr *t, const char *why)
{
    if (!t->err) t->err = why;
    t->p = t->end;
}

static uint64_t varint(pq_tr *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) {
            pq_tr_fail(t, "truncated metadata");
            return 0;
        }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    pq_tr_fail(t, "bad varint in metadata");
    return 0;
}

/* A zigzag i64. */
int64_t pq_tr_i64(pq_tr *t)
{
    uint64_t v = varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A zigzag i32 (also used for i16 and enums). */
int32_t pq_tr_i32(pq_tr *t)
{
    int64_t v = pq_tr_i64(t);
    if (v < INT32_MIN || v > INT32_MAX) {
        pq_tr_fail(t, "32-bit integer out of range in metadata");
        return 0;
    }
    return (int32_t)v;
}

/* A bool field: the compact protocol's type code 1 is true, 2 false. */
bool pq_tr_bool(pq_tr *t, int type)
{
    if (type == PQ_TT_TRUE) return true;
    if (type != PQ_TT_FALSE) pq_tr_fail(t, "bad boolean in metadata");
    return false;
}

/* A length-prefixed binary pointing into the input. */
uint32_t pq_tr_binary(pq_tr *t, const uint8_t **p)
{
    uint64_t n = varint(t);
    *p = t->p;
    if (n > (uint64_t)(t->end - t->p)) {
        pq_tr_fail(t, "string or binary longer than the metadata");
        *p = NULL;
        return 0;
    }
    t->p += n;
    return (uint32_t)n;
}

/* The next field header: false at STOP. */
bool pq_tr_field(pq_tr *t, int16_t *last, int16_t *id, int *type)
{
    if (t->err || t->p >= t->end) {
        pq_tr_fail(t, "truncated metadata");
        return false;
    }
    uint8_t b = *t->p++;
    *type = b & 0x0f;
    if (*type == PQ_TT_STOP) return false;
    int delta = b >> 4;
    if (delta) {
        *id = (int16_t)(*last + delta);
    } else {
        int32_t v = pq_tr_i32(t);
        if (v < INT16_MIN || v > INT16_MAX) pq_tr_fail(t, "bad field id in metadata");
        *id = (int16_t)v;
    }
    *last = *id;
    return !t->err;
}

/* A list header: count checked against the bytes left. */
uint32_t pq_tr_list(pq_tr *t, int *elem_type)
{
    if (t->p >= t->end) {
        pq_tr_fail(t, "truncated metadata");
        return 0;
    }
    uint8_t b = *t->p++;
    *elem_type = b & 0x0f;
    uint64_t n = b >> 4;
    if (n == 15) n = varint(t);
    /* Every element takes at least one byte (bools too, in lists). */
    if (n > (uint64_t)(t->end - t->p)) {
        pq_tr_fail(t, "list longer than the metadata");
        return 0;
    }
    return (uint32_t)n;
}

/* Enters a struct: false past the depth limit. */
bool pq_tr_enter(pq_tr *t)
{
    if (++t->depth > PQ_TR_MAX_DEPTH) {
        pq_tr_fail(t, "metadata nested too deeply");
        return false;
    }
    return !t->err;
}

/* Leaves a struct. */
void pq_tr_leave(pq_tr *t)
{
    t->depth--;
}

/* Skips one value of type code type. */
void pq_tr_skip(pq_tr *t, int type)
{
    const uint8_t *p;
    int et, kt;
    switch (type) {
    case PQ_TT_TRUE:
    case PQ_TT_FALSE:
        return;
    case PQ_TT_BYTE:
        if (t->p >= t->end) pq_tr_fail(t, "truncated metadata");
        else t->p++;
        return;
    case PQ_TT_I16:
    case PQ_TT_I32:
    case PQ_TT_I64:
        (void)varint(t);
        return;
    case PQ_TT_DOUBLE:
        if (t->end - t->p < 8) pq_tr_fail(t, "truncated metadata");
        else t->p += 8;
        return;
    case PQ_TT_BINARY:
        (void)pq_tr_binary(t, &p);
        return;
    case PQ_TT_LIST:
    case PQ_TT_SET: {
        uint32_t n = pq_tr_list(t, &et);
        if (!pq_tr_enter(t)) return;
        for (uint32_t i = 0; i < n && !t->err; i++) {
            /* Bools inside lists take a byte each. */
            if (et == PQ_TT_TRUE || et == PQ_TT_FALSE) pq_tr_skip(t, PQ_TT_BYTE);
            else pq_tr_skip(t, et);
        }
        pq_tr_leave(t);
        return;
    }
    case PQ_TT_MAP: {
        uint64_t n = varint(t);
        if (n == 0) return;
        if (t->p >= t->end || n > (uint64_t)(t->end - t->p)) {
            pq_tr_fail(t, "map longer than the metadata");
            return;
        }
        uint8_t b = *t->p++;
        kt = b >> 4;
        et = b & 0x0f;
        if (!pq_tr_enter(t)) return;
        for (uint64_t i = 0; i < n && !t->err; i++) {
            pq_tr_skip(t, kt == PQ_TT_TRUE || kt == PQ_TT_FALSE ? PQ_TT_BYTE : kt);
            pq_tr_skip(t, et == PQ_TT_TRUE || et == PQ_TT_FALSE ? PQ_TT_BYTE : et);
        }
        pq_tr_leave(t);
        return;
    }
    case PQ_TT_STRUCT: {
        if (!pq_tr_enter(t)) return;
        int16_t last = 0, id;
        int ft;
        while (pq_tr_field(t, &last, &id, &ft)) pq_tr_skip(t, ft);
        pq_tr_leave(t);
        return;
    }
    default:
        pq_tr_fail(t, "bad type code in metadata");
    }
}
