/*
 * sql/fn_text_int.h - helpers shared by the string, regular-expression and
 * datetime function families (fn_string.c, fn_regex.c, fn_datetime.c):
 * the row loop over a selection, typed argument access, a bump writer for
 * output strings in the batch arena, UTF-8 stepping and bind shortcuts.
 * Private to src/sql.
 */
#ifndef KILN_SQL_FN_TEXT_INT_H
#define KILN_SQL_FN_TEXT_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kiln/error.h"
#include "sql/fn.h"

#pragma GCC visibility push(hidden)

/* Rows sel[0..count) (0..count when sel is NULL), as i. */
#define TX_ROWS(i)                                                                                 \
    for (uint32_t tx_k_ = 0, i = 0; tx_k_ < count && ((i = sel ? sel[tx_k_] : tx_k_), 1); tx_k_++)

#define TX_KERNEL_ARGS                                                                             \
    fn_ctx *c, void *state, col_vec *out, const col_vec *args, int nargs, const uint32_t *sel,     \
        uint32_t n, uint32_t count
#define TX_UNUSED_ARGS (void)c, (void)state, (void)nargs, (void)n

static inline const col_str *tx_str(const col_vec *v, uint32_t i)
{
    return &COL_DATA(v, col_str)[col_row(v, i)];
}
static inline int32_t tx_i32(const col_vec *v, uint32_t i)
{
    return COL_DATA(v, int32_t)[col_row(v, i)];
}
static inline int64_t tx_i64(const col_vec *v, uint32_t i)
{
    return COL_DATA(v, int64_t)[col_row(v, i)];
}
static inline double tx_f64(const col_vec *v, uint32_t i)
{
    return COL_DATA(v, double)[col_row(v, i)];
}
static inline bool tx_bool(const col_vec *v, uint32_t i)
{
    return COL_DATA(v, bool)[col_row(v, i)];
}

/* Output bytes: reserve room, write, then commit what was used. Chunks of
 * 64 KiB from the arena, so rows cost no allocation of their own. */
typedef struct tx_out {
    kiln_arena *a;
    char *p;
    size_t left;
} tx_out;

static inline char *tx_reserve(tx_out *o, size_t n)
{
    if (n > o->left) {
        size_t cap = n > 65536 ? n : 65536;
        char *p = (char *)kiln_arena_alloc(o->a, cap);
        if (!p) return NULL;
        o->p = p;
        o->left = cap;
    }
    return o->p;
}

/* Makes the string p[0..len) (p from tx_reserve) a result; returns it. */
static inline col_str tx_commit(tx_out *o, const char *p, size_t len)
{
    col_str s = col_str_view(p, (uint32_t)len);
    if (len > COL_STR_INLINE) {
        o->p += len;
        o->left -= len;
    }
    return s;
}

/* A copy of p[0..len) as a result string. */
static inline int tx_copy(tx_out *o, const char *p, size_t len, col_str *res)
{
    if (len <= COL_STR_INLINE) {
        *res = col_str_view(p, (uint32_t)len);
        return KILN_OK;
    }
    char *d = tx_reserve(o, len);
    if (!d) return KILN_ENOMEM;
    memcpy(d, p, len);
    *res = tx_commit(o, d, len);
    return KILN_OK;
}

/* ---- UTF-8 ------------------------------------------------------------------------------ */

/* Bytes of the character starting with lead byte b, as Spark counts them:
 * a continuation or invalid lead byte is a character of one byte. */
static inline int tx_u8len(unsigned char b)
{
    if (b < 0xC2) return 1;
    if (b < 0xE0) return 2;
    if (b < 0xF0) return 3;
    if (b < 0xF5) return 4;
    return 1;
}

/* Length of the character at p[0..end-p) (never past end). */
static inline size_t tx_charlen(const char *p, const char *end)
{
    size_t k = (size_t)tx_u8len((unsigned char)*p);
    size_t r = (size_t)(end - p);
    return k < r ? k : r;
}

/* Whether p[0..n) is all ASCII. */
static inline bool tx_ascii(const char *p, size_t n)
{
    size_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= (unsigned char)p[i];
    return (acc & UINT64_C(0x8080808080808080)) == 0;
}

/* Characters in p[0..n). */
static inline size_t tx_nchars(const char *p, size_t n)
{
    if (tx_ascii(p, n)) return n;
    size_t c = 0;
    const char *e = p + n;
    while (p < e) {
        p += tx_charlen(p, e);
        c++;
    }
    return c;
}

/* Byte offset of character k in p[0..n) (n when k is past the end). */
static inline size_t tx_char_off(const char *p, size_t n, size_t k)
{
    const char *q = p, *e = p + n;
    while (k > 0 && q < e) {
        q += tx_charlen(q, e);
        k--;
    }
    return (size_t)(q - p);
}

/* Decodes the code point at p (invalid bytes decode as themselves, one byte). */
static inline uint32_t tx_decode(const char *p, const char *end, size_t *len)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t k = tx_charlen(p, end);
    *len = k;
    if (k == 1) return u[0];
    if (k == 2) return (uint32_t)(u[0] & 0x1F) << 6 | (u[1] & 0x3F);
    if (k == 3) return (uint32_t)(u[0] & 0x0F) << 12 | (uint32_t)(u[1] & 0x3F) << 6 | (u[2] & 0x3F);
    return (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3F) << 12 |
           (uint32_t)(u[2] & 0x3F) << 6 | (u[3] & 0x3F);
}

/* Encodes code point cp at o; returns bytes written (1..4). */
static inline int tx_encode(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- Bind --------------------------------------------------------------------------------- */

/* Sets a bind error: class cls, message (formatted into b->arena), argument arg. */
static inline int tx_bind_err(fn_bind *b, const char *cls, int arg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tx_bind_err(fn_bind *b, const char *cls, int arg, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof tmp) n = sizeof tmp - 1;
    char *m = (char *)kiln_arena_alloc(b->arena, (size_t)n + 1);
    if (m) memcpy(m, tmp, (size_t)n + 1);
    b->err_cls = cls;
    b->err_msg = m ? m : "out of memory";
    b->err_arg = arg;
    return KILN_ESQL;
}

/* The constant string argument k, or NULL when it is not constant; *null
 * tells a constant NULL. */
static inline const col_str *tx_const_str(const fn_bind *b, int k, bool *null)
{
    const col_vec *v = b->consts[k];
    *null = false;
    if (!v) return NULL;
    if (!col_valid(v, 0)) {
        *null = true;
        return NULL;
    }
    if (v->type->kind != COL_STRING && v->type->kind != COL_BINARY) return NULL;
    return &COL_DATA(v, col_str)[0];
}

/* The constant integer argument k as int64 (any integral type); false when
 * not a non-null integral constant. */
static inline bool tx_const_int(const fn_bind *b, int k, int64_t *out)
{
    const col_vec *v = b->consts[k];
    if (!v || !col_valid(v, 0)) return false;
    switch (v->type->kind) {
    case COL_I8:
        *out = COL_DATA(v, int8_t)[0];
        return true;
    case COL_I16:
        *out = COL_DATA(v, int16_t)[0];
        return true;
    case COL_I32:
        *out = COL_DATA(v, int32_t)[0];
        return true;
    case COL_I64:
        *out = COL_DATA(v, int64_t)[0];
        return true;
    default:
        return false;
    }
}

/* Whether t is a string-like type an argument may be implicitly cast from
 * to string (strings, numbers, booleans, dates, timestamps, NULL). */
static inline bool tx_castable_to_string(const col_type *t)
{
    return t->kind != COL_ARRAY && t->kind != COL_MAP && t->kind != COL_STRUCT;
}

#pragma GCC visibility pop
#endif
