/*
 * parquet/thrift_write.c - the Thrift compact protocol encoder of kiln's
 * Parquet writer: field headers with id deltas, zigzag varints, binaries,
 * lists and nested structs, enough for parquet.thrift's FileMetaData and
 * PageHeader.
 */
#include <string.h>

#include "parquet/pq_format_int.h"
#include "parquet/pq_write_int.h"

static void put(pq_tw *t, const void *p, size_t n)
{
    if (!t->err && kiln_buf_append(t->out, p, n)) t->err = KILN_ENOMEM;
}

static void varint(pq_tw *t, uint64_t v)
{
    if (!t->err && pq_put_varint(t->out, v)) t->err = KILN_ENOMEM;
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void header(pq_tw *t, int id, int type)
{
    int delta = id - t->last[t->depth];
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)(delta << 4 | type);
        put(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        put(t, &b, 1);
        varint(t, zigzag(id));
    }
    t->last[t->depth] = (int16_t)id;
}

/* Starts encoding into out (see pq_write_int.h). */
void pq_tw_init(pq_tw *t, kiln_buf *out)
{
    memset(t, 0, sizeof *t);
    t->out = out;
}

/* An i32 field. */
void pq_tw_i32(pq_tw *t, int id, int32_t v)
{
    header(t, id, PQ_TT_I32);
    varint(t, zigzag(v));
}

/* An i64 field. */
void pq_tw_i64(pq_tw *t, int id, int64_t v)
{
    header(t, id, PQ_TT_I64);
    varint(t, zigzag(v));
}

/* A byte (i8) field. */
void pq_tw_byte(pq_tw *t, int id, int8_t v)
{
    header(t, id, PQ_TT_BYTE);
    put(t, &v, 1);
}

/* A bool field: the value is in the header's type. */
void pq_tw_bool(pq_tw *t, int id, bool v)
{
    header(t, id, v ? PQ_TT_TRUE : PQ_TT_FALSE);
}

/* A binary field. */
void pq_tw_bin(pq_tw *t, int id, const void *p, size_t n)
{
    header(t, id, PQ_TT_BINARY);
    varint(t, n);
    put(t, p, n);
}

/* A string field (NUL-terminated s). */
void pq_tw_str(pq_tw *t, int id, const char *s)
{
    pq_tw_bin(t, id, s, strlen(s));
}

/* Opens a struct: a field when id > 0, else a list element or the top. */
void pq_tw_begin(pq_tw *t, int id)
{
    if (id > 0) header(t, id, PQ_TT_STRUCT);
    if (t->depth + 1 >= PQ_TW_DEPTH) {
        t->err = KILN_EINVAL;
        return;
    }
    t->last[++t->depth] = 0;
}

/* Closes the innermost struct (its STOP byte). */
void pq_tw_end(pq_tw *t)
{
    uint8_t stop = PQ_TT_STOP;
    put(t, &stop, 1);
    if (t->depth > 0) t->depth--;
}

/* A list field's header. */
void pq_tw_list(pq_tw *t, int id, int elem_type, uint32_t n)
{
    header(t, id, PQ_TT_LIST);
    if (n < 15) {
        uint8_t b = (uint8_t)(n << 4 | (uint32_t)elem_type);
        put(t, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xf0 | elem_type);
        put(t, &b, 1);
        varint(t, n);
    }
}

/* An i32 list element. */
void pq_tw_elem_i32(pq_tw *t, int32_t v)
{
    varint(t, zigzag(v));
}

/* A string list element. */
void pq_tw_elem_str(pq_tw *t, const char *s, size_t n)
{
    varint(t, n);
    put(t, s, n);
}

/* An i64 list element. */
void pq_tw_elem_i64(pq_tw *t, int64_t v)
{
    varint(t, zigzag(v));
}

/* A bool list element: a byte, 1 true and 2 false (as Thrift writes it). */
void pq_tw_elem_bool(pq_tw *t, bool v)
{
    uint8_t b = v ? PQ_TT_TRUE : PQ_TT_FALSE;
    put(t, &b, 1);
}

/* A struct field already encoded (its fields and STOP). */
void pq_tw_raw_struct(pq_tw *t, int id, const void *p, size_t n)
{
    header(t, id, PQ_TT_STRUCT);
    put(t, p, n);
}
