/*
 * base/value.c - building values in an arena, deep copies, and kiln_buf.
 *
 * The inline constructors in include/kiln/value.h borrow their parts; the
 * functions here copy the parts into an arena so that the value lives as
 * long as the arena. kiln_buf is the malloc-backed byte buffer that the
 * encoder and formatter append to.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "base/fault.h"

/* Copies n bytes of p into a; NULL when out of memory or too long. */
static void *arena_dup(kiln_arena *a, const void *p, size_t n)
{
    void *q = kiln_arena_alloc(a, n);
    if (q != NULL && n > 0) memcpy(q, p, n);
    return q;
}

/* Builds a value of type t with len parts of size each copied from p, or
 * returns a NULL value (out of memory, or more than UINT32_MAX parts). */
static kiln_value make(kiln_arena *a, uint8_t t, const void *p, size_t len, size_t size)
{
    kiln_value v = {0};
    if (len > UINT32_MAX) return v;
    const void *q = arena_dup(a, p, len * size);
    if (q == NULL) return v;
    v.type = t;
    v.len = (uint32_t)len;
    v.u.bytes = q;
    return v;
}

/* Copies len bytes of s (borrowed) into a. Returns the string, or a NULL value
 * when out of memory or len > UINT32_MAX. */
kiln_value kiln_str_new(kiln_arena *a, const char *s, size_t len)
{
    return make(a, KILN_STR, s, len, 1);
}

/* Copies the NUL-terminated s (borrowed, not its NUL) into a. */
kiln_value kiln_cstr(kiln_arena *a, const char *s)
{
    return make(a, KILN_STR, s, strlen(s), 1);
}

/* Copies len bytes of p (borrowed) into a as a bytes value. */
kiln_value kiln_bytes_new(kiln_arena *a, const void *p, size_t len)
{
    return make(a, KILN_BYTES, p, len, 1);
}

/* Returns the 2-tuple (k, v); the structs are copied into a, their parts are
 * shared with k and v. */
kiln_value kiln_pair(kiln_arena *a, kiln_value k, kiln_value v)
{
    kiln_value out = {0};
    kiln_value *items = kiln_arena_alloc(a, 2 * sizeof *items);
    if (items == NULL) return out;
    items[0] = k;
    items[1] = v;
    out.type = KILN_TUPLE;
    out.len = 2;
    out.u.items = items;
    return out;
}

/* Copies the n item structs (borrowed) into a; parts are shared. */
kiln_value kiln_tuple_new(kiln_arena *a, const kiln_value *items, size_t n)
{
    return make(a, KILN_TUPLE, items, n, sizeof *items);
}

/* Copies the n item structs (borrowed) into a as a list; parts are shared. */
kiln_value kiln_list_new(kiln_arena *a, const kiln_value *items, size_t n)
{
    return make(a, KILN_LIST, items, n, sizeof *items);
}

/* Copies the n doubles of x (borrowed) into a. */
kiln_value kiln_vec_new(kiln_arena *a, const double *x, size_t n)
{
    return make(a, KILN_VEC, x, n, sizeof *x);
}

static int copy_into(kiln_arena *a, const kiln_value *v, kiln_value *out)
{
    *out = *v;
    switch (v->type) {
    case KILN_NULL:
    case KILN_BOOL:
    case KILN_INT:
    case KILN_DOUBLE:
        return KILN_OK;
    case KILN_STR:
    case KILN_BYTES:
        out->u.bytes = arena_dup(a, v->u.bytes, v->len);
        return out->u.bytes != NULL ? KILN_OK : KILN_ENOMEM;
    case KILN_VEC:
        out->u.vec = arena_dup(a, v->u.vec, (size_t)v->len * sizeof(double));
        return out->u.vec != NULL ? KILN_OK : KILN_ENOMEM;
    case KILN_TUPLE:
    case KILN_LIST: {
        kiln_value *items = kiln_arena_alloc(a, (size_t)v->len * sizeof *items);
        if (items == NULL) return KILN_ENOMEM;
        for (uint32_t i = 0; i < v->len; i++) {
            int rc = copy_into(a, &v->u.items[i], &items[i]);
            if (rc != KILN_OK) return rc;
        }
        out->u.items = items;
        return KILN_OK;
    }
    }
    return KILN_EINVAL;
}

/* Deep-copies v (borrowed) into a: no part of *out points outside a.
 * Returns KILN_OK, KILN_ENOMEM, or KILN_EINVAL for a bad type tag; on error
 * *out is undefined (what was allocated stays in a until reset). */
int kiln_value_copy(kiln_arena *a, const kiln_value *v, kiln_value *out)
{
    int rc = copy_into(a, v, out);
    if (rc == KILN_ENOMEM) return kiln_set_error(rc, "value copy: out of memory");
    if (rc == KILN_EINVAL) return kiln_set_error(rc, "value copy: bad type tag");
    return rc;
}

/* ---- kiln_buf ---------------------------------------------------------- */

/* Initialises an empty buffer; no memory is allocated until the first append. */
void kiln_buf_init(kiln_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

/* Frees the buffer's memory and leaves it empty and reusable. */
void kiln_buf_release(kiln_buf *b)
{
    mem_stats_add(-(int64_t)b->cap);
    free(b->data);
    kiln_buf_init(b);
}

/* Makes room for extra more bytes (capacity grows geometrically).
 * Returns KILN_OK or KILN_ENOMEM (the buffer is unchanged). */
int kiln_buf_reserve(kiln_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return KILN_OK;
    if (extra > SIZE_MAX - b->len) return kiln_set_error(KILN_ENOMEM, "buffer: size overflow");
    size_t need = b->len + extra;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = fault_hit(FAULT_ALLOC) ? NULL : realloc(b->data, cap);
    if (p == NULL)
        return kiln_set_error(KILN_ENOMEM, "buffer: out of memory growing to %zu bytes", cap);
    mem_stats_add((int64_t)(cap - b->cap));
    b->data = p;
    b->cap = cap;
    return KILN_OK;
}

int buf_appendf(kiln_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return kiln_set_error(KILN_EINVAL, "buffer: bad format '%s'", fmt);
    int rc = kiln_buf_reserve(b, (size_t)n + 1);
    if (rc != KILN_OK) return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KILN_OK;
}

/* Appends n bytes of p (borrowed). Returns KILN_OK or KILN_ENOMEM. */
int kiln_buf_append(kiln_buf *b, const void *p, size_t n)
{
    int rc = kiln_buf_reserve(b, n);
    if (rc != KILN_OK) return rc;
    if (n > 0) memcpy(b->data + b->len, p, n);
    b->len += n;
    return KILN_OK;
}
