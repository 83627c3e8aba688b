/*
 * base/wire.c - the fields messages are made of: little-endian integers,
 * fixed-size byte strings and u32-length-prefixed bytes and strings.
 *
 * Both sides are "sticky": the first failure is kept and every later call
 * does nothing, so a message is written or read as a straight run of calls
 * and checked once at the end, and no code path can forget a check in the
 * middle. The reader never reads past its payload: every length is compared
 * with the bytes left before it is used.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "base/wire.h"

/* ---- Writer ----------------------------------------------------------------------- */

void wire_writer_init(wire_writer *w, kiln_buf *buf)
{
    w->buf = buf;
    w->err = KILN_OK;
}

void wire_put_raw(wire_writer *w, const void *p, size_t n)
{
    if (w->err == KILN_OK && n > 0) w->err = kiln_buf_append(w->buf, p, n);
}

static void put_le(wire_writer *w, uint64_t x, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++) b[i] = (uint8_t)(x >> (8 * i));
    wire_put_raw(w, b, (size_t)bytes);
}

void wire_put_u8(wire_writer *w, uint8_t x)
{
    put_le(w, x, 1);
}
void wire_put_u32(wire_writer *w, uint32_t x)
{
    put_le(w, x, 4);
}
void wire_put_u64(wire_writer *w, uint64_t x)
{
    put_le(w, x, 8);
}

void wire_put_bytes(wire_writer *w, const void *p, size_t n)
{
    if (w->err == KILN_OK && n > UINT32_MAX)
        w->err = kiln_set_error(KILN_EINVAL, "a field of %zu bytes is too long for a message", n);
    wire_put_u32(w, (uint32_t)n);
    wire_put_raw(w, p, n);
}

void wire_put_str(wire_writer *w, const char *s)
{
    wire_put_bytes(w, s, strlen(s));
}

int wire_writer_finish(const wire_writer *w)
{
    return w->err;
}

/* ---- Reader ------------------------------------------------------------------------- */

void wire_reader_init(wire_reader *r, const void *p, size_t len, const char *what)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->what = what;
    r->err = KILN_OK;
}

/* Records the first failure of r ("what: field 'f' at byte N: detail");
 * later failures keep the first message. */
static void reader_fail(wire_reader *r, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void reader_fail(wire_reader *r, const char *field, const char *fmt, ...)
{
    if (r->err != KILN_OK) return;
    char detail[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    r->err = kiln_set_error(KILN_ECORRUPT, "%s: field '%s' at byte %zu: %s",
                            r->what ? r->what : "message", field, r->off, detail);
}

/* Returns a pointer to the next n bytes and moves past them, or NULL. */
static const uint8_t *take(wire_reader *r, size_t n, const char *field)
{
    if (r->err != KILN_OK) return NULL;
    if (n > r->len - r->off) {
        reader_fail(r, field, "truncated (needs %zu bytes, %zu left)", n, r->len - r->off);
        return NULL;
    }
    /* A zero-length field still gets a non-NULL pointer, also when the
     * payload itself is empty (p NULL): NULL means failure. */
    static const uint8_t empty[1];
    const uint8_t *p = n == 0 ? empty : r->p + r->off;
    r->off += n;
    return p;
}

static uint64_t get_le(wire_reader *r, int bytes, const char *field)
{
    const uint8_t *p = take(r, (size_t)bytes, field);
    uint64_t x = 0;
    if (p != NULL)
        for (int i = 0; i < bytes; i++) x |= (uint64_t)p[i] << (8 * i);
    return x;
}

uint8_t wire_get_u8(wire_reader *r, const char *field)
{
    return (uint8_t)get_le(r, 1, field);
}
uint32_t wire_get_u32(wire_reader *r, const char *field)
{
    return (uint32_t)get_le(r, 4, field);
}
uint64_t wire_get_u64(wire_reader *r, const char *field)
{
    return get_le(r, 8, field);
}

const uint8_t *wire_get_raw(wire_reader *r, size_t n, const char *field)
{
    return take(r, n, field);
}

const uint8_t *wire_get_bytes(wire_reader *r, size_t max, size_t *n, const char *field)
{
    *n = 0;
    uint32_t len = wire_get_u32(r, field);
    if (r->err != KILN_OK) return NULL;
    if (len > max) {
        r->off -= 4; /* name the length field's own offset */
        reader_fail(r, field, "length %u exceeds the limit of %zu bytes", len, max);
        return NULL;
    }
    const uint8_t *p = take(r, len, field);
    if (p != NULL) *n = len;
    return p;
}

size_t wire_get_str(wire_reader *r, char *out, size_t size, const char *field)
{
    size_t n;
    if (size == 0) { /* no room even for the NUL: our bug, reported as a failed read */
        reader_fail(r, field, "no room for the string");
        return 0;
    }
    out[0] = '\0';
    const uint8_t *p = wire_get_bytes(r, size - 1, &n, field);
    if (p == NULL) return 0;
    if (memchr(p, '\0', n) != NULL) {
        r->off -= n + 4;
        reader_fail(r, field, "string of %zu bytes holds a NUL byte", n);
        return 0;
    }
    memcpy(out, p, n);
    out[n] = '\0';
    return n;
}

int wire_reader_end(wire_reader *r)
{
    if (r->err == KILN_OK && r->off != r->len)
        reader_fail(r, "end", "%zu unexpected bytes after the last field (of %zu)", r->len - r->off,
                    r->len);
    return r->err;
}
