/*
 * net/fields.h - payload codecs generated from one field table per message,
 * over the sticky wire_writer / wire_reader (base/wire.c), for the files that
 * define messages (src/deploy/messages.c, app_messages.c;
 * src/cluster/cluster_msg.c). A message's fields are listed once, in
 * order, and its writer, its reader, its writer-side limit checks and its
 * smallest encoding all come from that list, so a field cannot be written
 * one way and read another. Meaning (a port in range, an id usable as a
 * directory name) is the message file's own check, run after the layout.
 *
 * A table is a macro of X(KIND, member, "name", limit, sub) lines:
 *
 *   KIND    the struct member              on the wire
 *   U8      uint8_t (or an enum)           u8
 *   U32     uint32_t                       u32 LE
 *   I32     int32_t                        u32 LE, two's complement
 *   U64     uint64_t                       u64 LE
 *   STR     char m[N]                      u32 length, bytes: at most N - 1, no NUL
 *   HEX64   char m[65]                     raw[64]: 64 characters (a sha256 in hex)
 *   BYTES   const uint8_t *m, size_t m_len u32 length, at most limit bytes; borrowed
 *                                          from the payload when read
 *   OWNED   char *m, size_t m_len          the same, read into a malloc'd,
 *                                          NUL-terminated copy the struct owns
 *   STRBUF  const char *m                  as STR (NULL written as ""); read into
 *                                          the buffer the reader is given
 *   STRUCT  a struct                       the fields of its own table (sub: its codec)
 *   LIST    T *m, uint32_t nm              u32 count n (at most limit, 0: any), then
 *                                          n elements of the codec sub (calloc'd
 *                                          when read; the struct owns them)
 *
 * The name is the field's name in docs/formats/protocol.md and in the
 * reader's messages ("REGISTER_WORKER from worker w: field 'cores' at byte
 * 4: truncated"); unused limits are 0 and unused subs _. NET_CODEC(codec,
 * type, TABLE) then defines, static in the including file:
 *
 *   codec_check(const type *s)   KILN_EINVAL when a value could not be read
 *                                back (a string too long for its array, a
 *                                HEX64 that is not 64 characters, bytes or a
 *                                list over their limit), naming the field;
 *   codec_put(wire_writer *, const type *)
 *   codec_get(wire_reader *, type *, char *strbuf, size_t strsize)
 *                                reads the fields in order; a LIST's count is
 *                                refused (KILN_ECORRUPT) when over its limit
 *                                or when that many elements cannot fit in the
 *                                bytes left (codec_MIN each), before anything
 *                                is allocated; on failure what was allocated
 *                                is left in *s for the caller to release;
 *   codec_write(kiln_buf *, const type *)   codec_check, then codec_put;
 *   codec_MIN                    the bytes of the smallest encoding.
 */
#ifndef KILN_NET_FIELDS_H
#define KILN_NET_FIELDS_H

#include <stdlib.h>
#include <string.h>

#include "base/fault.h"
#include "net/net.h"

/* ---- Writing ------------------------------------------------------------------------ */

#define NET_PUT_U8(m, name, lim, sub) wire_put_u8(w, (uint8_t)s->m);
#define NET_PUT_U32(m, name, lim, sub) wire_put_u32(w, s->m);
#define NET_PUT_I32(m, name, lim, sub) wire_put_u32(w, (uint32_t)s->m);
#define NET_PUT_U64(m, name, lim, sub) wire_put_u64(w, s->m);
#define NET_PUT_STR(m, name, lim, sub) wire_put_str(w, s->m);
#define NET_PUT_HEX64(m, name, lim, sub) wire_put_raw(w, s->m, 64);
#define NET_PUT_BYTES(m, name, lim, sub) wire_put_bytes(w, s->m, s->m##_len);
#define NET_PUT_OWNED(m, name, lim, sub) wire_put_bytes(w, s->m ? s->m : "", s->m##_len);
#define NET_PUT_STRBUF(m, name, lim, sub) wire_put_str(w, s->m ? s->m : "");
#define NET_PUT_STRUCT(m, name, lim, sub) sub##_put(w, &s->m);
#define NET_PUT_LIST(m, name, lim, sub)                                                            \
    wire_put_u32(w, s->n##m);                                                                      \
    for (uint32_t i_ = 0; i_ < s->n##m; i_++) sub##_put(w, &s->m[i_]);
#define NET_FIELD_PUT(kind, m, name, lim, sub) NET_PUT_##kind(m, name, lim, sub)

/* ---- Reading ------------------------------------------------------------------------ */

/* A 64-character field as a NUL-terminated string (zeros when truncated). */
static inline void net_fields_get_hex64(wire_reader *r, char *out, const char *field)
{
    const uint8_t *p = wire_get_raw(r, 64, field);
    if (p) memcpy(out, p, 64);
    else memset(out, 0, 64);
    out[64] = '\0';
}

/* Bytes copied into a malloc'd, NUL-terminated buffer (*out, *len). */
static inline void net_fields_get_owned(wire_reader *r, size_t max, char **out, size_t *len,
                                        const char *field)
{
    size_t n;
    const uint8_t *p = wire_get_bytes(r, max, &n, field);
    if (!p) return;
    if (fault_hit(FAULT_ALLOC) || !(*out = malloc(n + 1))) {
        r->err = kiln_set_error(KILN_ENOMEM, "%s: out of memory for field '%s' (%zu bytes)",
                                r->what ? r->what : "message", field, n);
        return;
    }
    memcpy(*out, p, n);
    (*out)[n] = '\0';
    *len = n;
}

/* A list's count n (elements of at least min bytes, at most max of them,
 * 0: any), checked against the bytes left before anything is allocated;
 * then *items holds n zeroed elements of size bytes. False on failure. */
static inline bool net_fields_get_list(wire_reader *r, uint32_t max, size_t min, size_t size,
                                       void **items, uint32_t *count, const char *field)
{
    uint32_t n = wire_get_u32(r, field);
    if (r->err != KILN_OK) return false;
    size_t left = r->len - r->off;
    const char *what = r->what ? r->what : "message";
    if (max && n > max) {
        r->err = kiln_set_error(KILN_ECORRUPT, "%s: field %s %u is over %u", what, field, n, max);
        return false;
    }
    if (n > left / (min ? min : 1)) {
        r->err = kiln_set_error(KILN_ECORRUPT, "%s: field %s %u does not fit in %zu bytes", what,
                                field, n, left);
        return false;
    }
    if (n && (fault_hit(FAULT_ALLOC) || !(*items = calloc(n, size)))) {
        r->err = kiln_set_error(KILN_ENOMEM, "%s: out of memory for %u of field %s", what, n,
                                field);
        return false;
    }
    *count = n;
    return true;
}

#define NET_GET_U8(m, name, lim, sub) s->m = wire_get_u8(r, name);
#define NET_GET_U32(m, name, lim, sub) s->m = wire_get_u32(r, name);
#define NET_GET_I32(m, name, lim, sub) s->m = (int32_t)wire_get_u32(r, name);
#define NET_GET_U64(m, name, lim, sub) s->m = wire_get_u64(r, name);
#define NET_GET_STR(m, name, lim, sub) wire_get_str(r, s->m, sizeof s->m, name);
#define NET_GET_HEX64(m, name, lim, sub) net_fields_get_hex64(r, s->m, name);
#define NET_GET_BYTES(m, name, lim, sub) s->m = wire_get_bytes(r, lim, &s->m##_len, name);
#define NET_GET_OWNED(m, name, lim, sub) net_fields_get_owned(r, lim, &s->m, &s->m##_len, name);
#define NET_GET_STRBUF(m, name, lim, sub)                                                          \
    wire_get_str(r, strbuf, strsize, name);                                                        \
    s->m = strbuf;
#define NET_GET_STRUCT(m, name, lim, sub) sub##_get(r, &s->m, strbuf, strsize);
#define NET_GET_LIST(m, name, lim, sub)                                                            \
    {                                                                                              \
        void *items_ = NULL;                                                                       \
        uint32_t count_ = 0;                                                                       \
        if (net_fields_get_list(r, lim, sub##_MIN, sizeof *s->m, &items_, &count_, name)) {        \
            s->m = items_;                                                                         \
            s->n##m = count_;                                                                      \
            for (uint32_t i_ = 0; i_ < count_ && r->err == KILN_OK; i_++)                          \
                sub##_get(r, &s->m[i_], strbuf, strsize);                                          \
        }                                                                                          \
    }
#define NET_FIELD_GET(kind, m, name, lim, sub) NET_GET_##kind(m, name, lim, sub)

/* ---- Checking what is written --------------------------------------------------------- */

static inline int net_fields_check_str(const char *s, size_t size, const char *field)
{
    if (strnlen(s, size) < size) return KILN_OK;
    return kiln_set_error(KILN_EINVAL, "field %s is longer than %zu bytes", field, size - 1);
}

static inline int net_fields_check_len(size_t n, size_t max, const char *field)
{
    if (n <= max) return KILN_OK;
    return kiln_set_error(KILN_EINVAL, "field %s of %zu is over its limit of %zu", field, n, max);
}

#define NET_CHECK_U8(m, name, lim, sub)
#define NET_CHECK_U32(m, name, lim, sub)
#define NET_CHECK_I32(m, name, lim, sub)
#define NET_CHECK_U64(m, name, lim, sub)
#define NET_CHECK_STR(m, name, lim, sub)                                                           \
    if (rc == KILN_OK) rc = net_fields_check_str(s->m, sizeof s->m, name);
#define NET_CHECK_HEX64(m, name, lim, sub)                                                         \
    if (rc == KILN_OK && strnlen(s->m, 65) != 64)                                                  \
        rc = kiln_set_error(KILN_EINVAL, "field %s is not 64 characters", name);
#define NET_CHECK_BYTES(m, name, lim, sub)                                                         \
    if (rc == KILN_OK) rc = net_fields_check_len(s->m##_len, lim, name);
#define NET_CHECK_OWNED(m, name, lim, sub) NET_CHECK_BYTES(m, name, lim, sub)
#define NET_CHECK_STRBUF(m, name, lim, sub)
#define NET_CHECK_STRUCT(m, name, lim, sub)                                                        \
    if (rc == KILN_OK) rc = sub##_check(&s->m);
#define NET_CHECK_LIST(m, name, lim, sub)                                                          \
    if (rc == KILN_OK && (lim) > 0) rc = net_fields_check_len(s->n##m, lim, name);                 \
    for (uint32_t i_ = 0; rc == KILN_OK && i_ < s->n##m; i_++) rc = sub##_check(&s->m[i_]);
#define NET_FIELD_CHECK(kind, m, name, lim, sub) NET_CHECK_##kind(m, name, lim, sub)

/* ---- Smallest encoding ------------------------------------------------------------------ */

#define NET_MIN_U8(sub) 1
#define NET_MIN_U32(sub) 4
#define NET_MIN_I32(sub) 4
#define NET_MIN_U64(sub) 8
#define NET_MIN_STR(sub) 4
#define NET_MIN_HEX64(sub) 64
#define NET_MIN_BYTES(sub) 4
#define NET_MIN_OWNED(sub) 4
#define NET_MIN_STRBUF(sub) 4
#define NET_MIN_STRUCT(sub) sub##_MIN
#define NET_MIN_LIST(sub) 4
#define NET_FIELD_MIN(kind, m, name, lim, sub) +NET_MIN_##kind(sub)

/* ---- The codec ------------------------------------------------------------------------- */

#define NET_CODEC(codec, type, TABLE)                                                              \
    enum { codec##_MIN = 0 TABLE(NET_FIELD_MIN) };                                                 \
    __attribute__((unused)) static int codec##_check(const type *s)                                \
    {                                                                                              \
        int rc = KILN_OK;                                                                          \
        TABLE(NET_FIELD_CHECK)                                                                     \
        return rc;                                                                                 \
    }                                                                                              \
    __attribute__((unused)) static void codec##_put(wire_writer *w, const type *s)                 \
    {                                                                                              \
        TABLE(NET_FIELD_PUT)                                                                       \
    }                                                                                              \
    __attribute__((unused)) static void codec##_get(wire_reader *r, type *s, char *strbuf,         \
                                                    size_t strsize)                                \
    {                                                                                              \
        TABLE(NET_FIELD_GET)                                                                       \
    }                                                                                              \
    __attribute__((unused)) static int codec##_write(kiln_buf *b, const type *s)                   \
    {                                                                                              \
        int rc = codec##_check(s);                                                                 \
        if (rc != KILN_OK) return rc;                                                              \
        wire_writer w;                                                                             \
        wire_writer_init(&w, b);                                                                   \
        codec##_put(&w, s);                                                                        \
        return wire_writer_finish(&w);                                                             \
    }

#endif
