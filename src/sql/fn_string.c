/*
 * sql/fn_string.c - SQL's string functions (fn_defs_string): case mapping,
 * trimming, lengths, substrings, concatenation, search, padding,
 * translate, LIKE / ILIKE, hex and digests, with Spark 4's semantics.
 * Strings are UTF-8 and lengths and positions count code points (a byte
 * that does not start a valid sequence counts as one, as in Spark's
 * UTF8String). Results that are part of an input (substring, trim) point
 * into it; others are written in the batch arena.
 */
#define _GNU_SOURCE
#include <locale.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <wctype.h>

#include "sql/fn_text_int.h"

#define MAX_RESULT_BYTES (INT32_C(1) << 30)

/* ---- Bind helpers ------------------------------------------------------------------------- */

static const char *ordinal(int k)
{
    static const char *const o[] = {"first", "second", "third", "fourth", "fifth"};
    return k < 5 ? o[k] : "next";
}

static const char *kind_name(const col_type *t)
{
    static const char *const names[] = {"VOID",
                                        "BOOLEAN",
                                        "TINYINT",
                                        "SMALLINT",
                                        "INT",
                                        "BIGINT",
                                        "FLOAT",
                                        "DOUBLE",
                                        "DECIMAL",
                                        "STRING",
                                        "BINARY",
                                        "DATE",
                                        "TIMESTAMP",
                                        "TIMESTAMP_NTZ",
                                        "INTERVAL YEAR TO MONTH",
                                        "INTERVAL DAY TO SECOND",
                                        "ARRAY",
                                        "MAP",
                                        "STRUCT"};
    return t->kind < COL_KIND_COUNT ? names[t->kind] : "?";
}

static int type_err(fn_bind *b, int k, const char *want)
{
    return tx_bind_err(b, "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE", k,
                       "The %s parameter requires the \"%s\" type, however it has the type "
                       "\"%s\".",
                       ordinal(k), want, kind_name(b->args[k]));
}

/* Argument k is cast to string (from any atomic type). */
static int want_str(fn_bind *b, int k)
{
    const col_type *t = b->args[k];
    if (!tx_castable_to_string(t)) return type_err(b, k, "STRING");
    b->want[k] = t->kind == COL_STRING ? NULL : &col_type_string;
    return KILN_OK;
}

/* Argument k is cast to an integer type it (from integers, strings, NULL). */
static int want_int(fn_bind *b, int k, const col_type *it)
{
    const col_type *t = b->args[k];
    if (!col_type_is_integral(t) && t->kind != COL_STRING && t->kind != COL_NULL)
        return type_err(b, k, it->kind == COL_I64 ? "BIGINT" : "INT");
    b->want[k] = t->kind == it->kind ? NULL : it;
    return KILN_OK;
}

static int want_strs(fn_bind *b, int from)
{
    for (int k = from; k < b->nargs; k++) {
        int rc = want_str(b, k);
        if (rc) return rc;
    }
    return KILN_OK;
}

/* ---- Case mapping ------------------------------------------------------------------------- */

static locale_t utf8_loc;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
    utf8_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (!utf8_loc) utf8_loc = newlocale(LC_CTYPE_MASK, "C.utf8", (locale_t)0);
}

/* Latin-1 when no UTF-8 locale exists. */
static uint32_t fallback_case(uint32_t cp, bool up)
{
    if (up && ((cp >= 'a' && cp <= 'z') || (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7)))
        return cp - 0x20;
    if (!up && ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)))
        return cp + 0x20;
    return cp;
}

static uint32_t cp_case(uint32_t cp, bool up)
{
    if (!utf8_loc) return fallback_case(cp, up);
    return (uint32_t)(up ? towupper_l((wint_t)cp, utf8_loc) : towlower_l((wint_t)cp, utf8_loc));
}

static bool cp_letter(uint32_t cp)
{
    if (cp < 0x80) return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    return utf8_loc ? iswalpha_l((wint_t)cp, utf8_loc) != 0 : cp >= 0xC0;
}

/* Maps s[0..n) to upper or lower case into o (room for 3n+4 bytes), with
 * Java's one-to-many special cases (ß -> SS, İ -> i̇, final sigma). */
static size_t map_case(const char *s, size_t n, char *o, bool up)
{
    if (tx_ascii(s, n)) {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)s[i];
            o[i] = (char)(up ? (ch >= 'a' && ch <= 'z' ? ch - 32 : ch)
                             : (ch >= 'A' && ch <= 'Z' ? ch + 32 : ch));
        }
        return n;
    }
    pthread_once(&utf8_once, utf8_init);
    const char *p = s, *e = s + n;
    char *w = o;
    uint32_t prev = 0;
    while (p < e) {
        size_t k;
        uint32_t cp = tx_decode(p, e, &k);
        if (k == 1 && (unsigned char)*p >= 0x80) { /* invalid byte: kept */
            *w++ = *p++;
            prev = 0;
            continue;
        }
        p += k;
        if (up && cp == 0xDF) {
            *w++ = 'S';
            *w++ = 'S';
        } else if (!up && cp == 0x130) {
            *w++ = 'i';
            w += tx_encode(w, 0x307);
        } else if (!up && cp == 0x3A3) {
            uint32_t next = 0;
            if (p < e) {
                size_t k2;
                next = tx_decode(p, e, &k2);
            }
            bool final = cp_letter(prev) && !cp_letter(next);
            w += tx_encode(w, final ? 0x3C2 : 0x3C3);
        } else {
            w += tx_encode(w, cp_case(cp, up));
        }
        prev = cp;
    }
    return (size_t)(w - o);
}

static int k_case(TX_KERNEL_ARGS, bool up)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        char *d = tx_reserve(&o, (size_t)s->len * 3 + 4);
        if (!d) return KILN_ENOMEM;
        size_t m = map_case(col_str_data(s), s->len, d, up);
        res[i] = tx_commit(&o, d, m);
    }
    return KILN_OK;
}

static int k_upper(TX_KERNEL_ARGS)
{
    return k_case(c, state, out, args, nargs, sel, n, count, true);
}

static int k_lower(TX_KERNEL_ARGS)
{
    return k_case(c, state, out, args, nargs, sel, n, count, false);
}

/* initcap: lower case everything, then title-case each character that
 * follows a space (Spark's toLowerCase().toTitleCase()). */
static int k_initcap(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    pthread_once(&utf8_once, utf8_init);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        size_t cap = (size_t)s->len * 3 + 4;
        char *d = tx_reserve(&o, cap * 2);
        if (!d) return KILN_ENOMEM;
        size_t m = map_case(col_str_data(s), s->len, d + cap, false);
        const char *p = d + cap, *e = p + m;
        char *w = d;
        bool start = true;
        while (p < e) {
            size_t k;
            uint32_t cp = tx_decode(p, e, &k);
            if (start && !(k == 1 && (unsigned char)*p >= 0x80)) {
                uint32_t t = cp < 0x80 ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp)
                                       : cp_case(cp, true);
                w += tx_encode(w, t);
            } else {
                memcpy(w, p, k);
                w += k;
            }
            start = cp == ' ';
            p += k;
        }
        res[i] = tx_commit(&o, d, (size_t)(w - d));
    }
    return KILN_OK;
}

static int bind_str1(fn_bind *b, fn_kernel k)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k;
    return KILN_OK;
}

static int bind_upper(fn_bind *b)
{
    return bind_str1(b, k_upper);
}
static int bind_lower(fn_bind *b)
{
    return bind_str1(b, k_lower);
}
static int bind_initcap(fn_bind *b)
{
    return bind_str1(b, k_initcap);
}

/* ---- Trim ------------------------------------------------------------------------------------ */

enum { TRIM_LEFT = 1, TRIM_RIGHT = 2, TRIM_BOTH = 3 };

/* Whether the character c[0..k) occurs in set[0..sn). */
static bool in_set(const char *set, size_t sn, const char *c, size_t k)
{
    const char *p = set, *e = set + sn;
    while (p < e) {
        size_t l = tx_charlen(p, e);
        if (l == k && memcmp(p, c, k) == 0) return true;
        p += l;
    }
    return false;
}

static col_str trim_one(const char *s, size_t len, const char *set, size_t sn, int how)
{
    size_t a = 0, z = len;
    if (!set) {
        if (how & TRIM_LEFT)
            while (a < z && s[a] == ' ') a++;
        if (how & TRIM_RIGHT)
            while (z > a && s[z - 1] == ' ') z--;
        return col_str_view(s + a, (uint32_t)(z - a));
    }
    if (how & TRIM_LEFT) {
        while (a < z) {
            size_t k = tx_charlen(s + a, s + z);
            if (!in_set(set, sn, s + a, k)) break;
            a += k;
        }
    }
    if (how & TRIM_RIGHT) {
        while (z > a) {
            size_t st = z - 1; /* back to the start of the last character */
            while (st > a && ((unsigned char)s[st] & 0xC0) == 0x80 && z - st < 4) st--;
            if (tx_charlen(s + st, s + z) != z - st) st = z - 1;
            if (!in_set(set, sn, s + st, z - st)) break;
            z = st;
        }
    }
    return col_str_view(s + a, (uint32_t)(z - a));
}

static int k_trim(TX_KERNEL_ARGS, int how)
{
    TX_UNUSED_ARGS;
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const char *set = NULL;
        size_t sn = 0;
        if (nargs > 1) {
            const col_str *t = tx_str(&args[1], i);
            set = col_str_data(t);
            sn = t->len;
        }
        res[i] = trim_one(col_str_data(s), s->len, set, sn, how);
    }
    return KILN_OK;
}

static int k_trim_both(TX_KERNEL_ARGS)
{
    return k_trim(c, state, out, args, nargs, sel, n, count, TRIM_BOTH);
}
static int k_trim_left(TX_KERNEL_ARGS)
{
    return k_trim(c, state, out, args, nargs, sel, n, count, TRIM_LEFT);
}
static int k_trim_right(TX_KERNEL_ARGS)
{
    return k_trim(c, state, out, args, nargs, sel, n, count, TRIM_RIGHT);
}

static int bind_trim_k(fn_bind *b, fn_kernel k)
{
    int rc = want_strs(b, 0);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k;
    return KILN_OK;
}
static int bind_trim(fn_bind *b)
{
    return bind_trim_k(b, k_trim_both);
}
static int bind_ltrim(fn_bind *b)
{
    return bind_trim_k(b, k_trim_left);
}
static int bind_rtrim(fn_bind *b)
{
    return bind_trim_k(b, k_trim_right);
}

/* ---- Lengths ----------------------------------------------------------------------------------
 */

static int k_char_length(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    bool bytes = args[0].type->kind == COL_BINARY;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        res[i] = (int32_t)(bytes ? s->len : tx_nchars(col_str_data(s), s->len));
    }
    return KILN_OK;
}

static int k_octet_length(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    res[i] = (int32_t)tx_str(&args[0], i)->len;
    return KILN_OK;
}

static int k_bit_length(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    res[i] = (int32_t)tx_str(&args[0], i)->len * 8;
    return KILN_OK;
}

static int bind_len_k(fn_bind *b, fn_kernel k)
{
    if (b->args[0]->kind != COL_BINARY) {
        int rc = want_str(b, 0);
        if (rc) return rc;
    }
    b->result = &col_type_i32;
    b->kernel = k;
    return KILN_OK;
}
static int bind_length(fn_bind *b)
{
    return bind_len_k(b, k_char_length);
}
static int bind_octet_length(fn_bind *b)
{
    return bind_len_k(b, k_octet_length);
}
static int bind_bit_length(fn_bind *b)
{
    return bind_len_k(b, k_bit_length);
}

/* ---- Substrings
 * ------------------------------------------------------------------------------------ */

/* Spark's UTF8String.substringSQL(pos, length) on characters (bytes when
 * bytes is set): returns the part of s it selects, pointing into s. */
static col_str substring_sql(const char *s, size_t len, int64_t pos, int64_t length, bool bytes)
{
    bool ascii = bytes || tx_ascii(s, len);
    int64_t nch = -1;
    int64_t start;
    if (pos > 0) {
        start = pos - 1;
    } else if (pos < 0) {
        nch = ascii ? (int64_t)len : (int64_t)tx_nchars(s, len);
        start = nch + pos;
    } else {
        start = 0;
    }
    int64_t end = start + length;
    if (end > INT32_MAX) end = INT32_MAX;
    if (end < INT32_MIN) end = INT32_MIN;
    if (start < 0) start = 0;
    if (start >= end) return col_str_view(s, 0);
    size_t a, z;
    if (ascii) {
        a = (size_t)start < len ? (size_t)start : len;
        z = (size_t)end < len ? (size_t)end : len;
    } else {
        a = tx_char_off(s, len, (size_t)start);
        z = a + tx_char_off(s + a, len - a, (size_t)(end - start));
    }
    return col_str_view(s + a, (uint32_t)(z - a));
}

static int k_substring(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    col_str *res = COL_DATA(out, col_str);
    bool bytes = args[0].type->kind == COL_BINARY;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        int64_t pos = tx_i32(&args[1], i);
        int64_t length = nargs > 2 ? tx_i32(&args[2], i) : INT32_MAX;
        res[i] = substring_sql(col_str_data(s), s->len, pos, length, bytes);
    }
    return KILN_OK;
}

static int bind_substring(fn_bind *b)
{
    int rc = b->args[0]->kind == COL_BINARY ? 0 : want_str(b, 0);
    if (!rc) rc = want_int(b, 1, &col_type_i32);
    if (!rc && b->nargs > 2) rc = want_int(b, 2, &col_type_i32);
    if (rc) return rc;
    b->result = b->args[0]->kind == COL_BINARY ? &col_type_binary : &col_type_string;
    b->kernel = k_substring;
    return KILN_OK;
}

static int k_left(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    col_str *res = COL_DATA(out, col_str);
    bool bytes = args[0].type->kind == COL_BINARY;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        int64_t l = tx_i32(&args[1], i);
        res[i] = l <= 0 ? col_str_view("", 0) : substring_sql(col_str_data(s), s->len, 1, l, bytes);
    }
    return KILN_OK;
}

static int k_right(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    col_str *res = COL_DATA(out, col_str);
    bool bytes = args[0].type->kind == COL_BINARY;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        int64_t l = tx_i32(&args[1], i);
        res[i] = l <= 0 ? col_str_view("", 0)
                        : substring_sql(col_str_data(s), s->len, -l, l, bytes);
    }
    return KILN_OK;
}

static int bind_lr(fn_bind *b, fn_kernel k)
{
    int rc = bind_substring(b);
    b->kernel = k;
    return rc;
}
static int bind_left(fn_bind *b)
{
    return bind_lr(b, k_left);
}
static int bind_right(fn_bind *b)
{
    return bind_lr(b, k_right);
}

/* ---- Concatenation
 * -------------------------------------------------------------------------------------- */

static int too_big(fn_ctx *c, size_t bytes)
{
    return fn_error(c, "COLLECTION_SIZE_LIMIT_EXCEEDED.FUNCTION", "54000",
                    "Can't create a string of %zu bytes, which exceeds the limit of %d bytes.",
                    bytes, (int)MAX_RESULT_BYTES);
}

static int k_concat(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        size_t total = 0;
        for (int k = 0; k < nargs; k++) total += tx_str(&args[k], i)->len;
        if (total > MAX_RESULT_BYTES) return too_big(c, total);
        char *d = tx_reserve(&o, total);
        if (!d && total) return KILN_ENOMEM;
        size_t w = 0;
        for (int k = 0; k < nargs; k++) {
            const col_str *s = tx_str(&args[k], i);
            memcpy(d + w, col_str_data(s), s->len);
            w += s->len;
        }
        res[i] = total ? tx_commit(&o, d, w) : col_str_view("", 0);
    }
    return KILN_OK;
}

static int bind_concat(fn_bind *b)
{
    bool bin = b->nargs > 0;
    for (int k = 0; k < b->nargs; k++) bin = bin && b->args[k]->kind == COL_BINARY;
    if (!bin) {
        int rc = want_strs(b, 0);
        if (rc) return rc;
    }
    b->result = bin ? &col_type_binary : &col_type_string;
    b->kernel = k_concat;
    return KILN_OK;
}

/* concat_ws: the separator's null makes null; other nulls (and null array
 * elements) are skipped; array<string> arguments contribute each element. */
static int k_concat_ws(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(&args[0], i)) {
            col_set_null(out, i);
            continue;
        }
        const col_str *sep = tx_str(&args[0], i);
        for (int pass = 0; pass < 2; pass++) {
            size_t total = 0, parts = 0;
            char *d = NULL;
            if (pass == 1) {
                d = tx_reserve(&o, res[i].len);
                if (!d && res[i].len) return KILN_ENOMEM;
            }
#define CWS_ADD(str)                                                                               \
    do {                                                                                           \
        const col_str *s_ = (str);                                                                 \
        if (parts++ > 0) {                                                                         \
            if (d) memcpy(d + total, col_str_data(sep), sep->len);                                 \
            total += sep->len;                                                                     \
        }                                                                                          \
        if (d) memcpy(d + total, col_str_data(s_), s_->len);                                       \
        total += s_->len;                                                                          \
    } while (0)
            for (int k = 1; k < nargs; k++) {
                const col_vec *v = &args[k];
                if (!col_valid(v, i)) continue;
                if (v->type->kind == COL_ARRAY) {
                    uint32_t r = col_row(v, i);
                    const col_vec *el = &v->children[0];
                    for (uint32_t e = v->offsets[r]; e < v->offsets[r + 1]; e++)
                        if (col_valid(el, e)) CWS_ADD(&COL_DATA(el, col_str)[e]);
                } else {
                    CWS_ADD(tx_str(v, i));
                }
            }
#undef CWS_ADD
            if (pass == 0) {
                if (total > MAX_RESULT_BYTES) return too_big(c, total);
                res[i].len = (uint32_t)total;
            } else {
                res[i] = total ? tx_commit(&o, d, total) : col_str_view("", 0);
            }
        }
    }
    return KILN_OK;
}

static int bind_concat_ws(fn_bind *b)
{
    int rc = want_str(b, 0);
    for (int k = 1; k < b->nargs && !rc; k++) {
        const col_type *t = b->args[k];
        if (t->kind == COL_ARRAY) {
            if (t->elem->kind != COL_STRING && t->elem->kind != COL_NULL)
                return type_err(b, k, "ARRAY<STRING>");
            if (t->elem->kind == COL_NULL)
                b->want[k] = col_type_array(b->arena, &col_type_string, true);
        } else {
            rc = want_str(b, k);
        }
    }
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_concat_ws;
    b->nullable = false;
    return KILN_OK;
}

/* ---- Search
 * ---------------------------------------------------------------------------------------------- */

/* 1-based character position of sub in s searching from character start
 * (0-based), 0 when absent; "" is found at start (Spark's indexOf + 1). */
static int32_t find_pos(const char *s, size_t len, const char *sub, size_t sl, size_t start)
{
    if (sl == 0) /* Spark's indexOf gives 0 for an empty substring, whatever start */
        return 1;
    size_t off = tx_char_off(s, len, start);
    if (off >= len) return 0;
    const char *h = memmem(s + off, len - off, sub, sl);
    if (!h) return 0;
    return (int32_t)(start + tx_nchars(s + off, (size_t)(h - s - off))) + 1;
}

static int k_instr(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i), *t = tx_str(&args[1], i);
        res[i] = find_pos(col_str_data(s), s->len, col_str_data(t), t->len, 0);
    }
    return KILN_OK;
}

static int bind_instr(fn_bind *b)
{
    int rc = want_strs(b, 0);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = k_instr;
    return KILN_OK;
}

/* locate(substr, str[, pos]): a null pos gives 0 (Hive), pos < 1 gives 0. */
static int k_locate(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    {
        if (nargs > 2 && !col_valid(&args[2], i)) {
            res[i] = 0;
            continue;
        }
        if (!col_valid(&args[0], i) || !col_valid(&args[1], i)) {
            col_set_null(out, i);
            continue;
        }
        int32_t pos = nargs > 2 ? tx_i32(&args[2], i) : 1;
        const col_str *t = tx_str(&args[0], i), *s = tx_str(&args[1], i);
        if (pos < 1) {
            res[i] = 0;
            continue;
        }
        res[i] = find_pos(col_str_data(s), s->len, col_str_data(t), t->len, (size_t)pos - 1);
    }
    return KILN_OK;
}

static int bind_locate(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (!rc) rc = want_str(b, 1);
    if (!rc && b->nargs > 2) rc = want_int(b, 2, &col_type_i32);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = k_locate;
    return KILN_OK;
}

enum { SW_STARTS, SW_ENDS, SW_CONTAINS };

static int k_sw(TX_KERNEL_ARGS, int how)
{
    TX_UNUSED_ARGS;
    bool *res = COL_DATA(out, bool);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i), *t = tx_str(&args[1], i);
        const char *sp = col_str_data(s), *tp = col_str_data(t);
        if (t->len > s->len) res[i] = false;
        else if (how == SW_STARTS) res[i] = memcmp(sp, tp, t->len) == 0;
        else if (how == SW_ENDS) res[i] = memcmp(sp + s->len - t->len, tp, t->len) == 0;
        else res[i] = t->len == 0 || memmem(sp, s->len, tp, t->len) != NULL;
    }
    return KILN_OK;
}
static int k_startswith(TX_KERNEL_ARGS)
{
    return k_sw(c, state, out, args, nargs, sel, n, count, SW_STARTS);
}
static int k_endswith(TX_KERNEL_ARGS)
{
    return k_sw(c, state, out, args, nargs, sel, n, count, SW_ENDS);
}
static int k_contains(TX_KERNEL_ARGS)
{
    return k_sw(c, state, out, args, nargs, sel, n, count, SW_CONTAINS);
}
static int bind_sw_k(fn_bind *b, fn_kernel k)
{
    bool bin = b->args[0]->kind == COL_BINARY && b->args[1]->kind == COL_BINARY;
    int rc = bin ? 0 : want_strs(b, 0);
    if (rc) return rc;
    b->result = &col_type_bool;
    b->kernel = k;
    return KILN_OK;
}
static int bind_startswith(fn_bind *b)
{
    return bind_sw_k(b, k_startswith);
}
static int bind_endswith(fn_bind *b)
{
    return bind_sw_k(b, k_endswith);
}
static int bind_contains(fn_bind *b)
{
    return bind_sw_k(b, k_contains);
}

/* ---- Padding and repetition
 * ---------------------------------------------------------------------------------- */

static int k_pad(TX_KERNEL_ARGS, bool left)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        int64_t len = tx_i32(&args[1], i);
        const char *pad = " ";
        size_t padn = 1;
        if (nargs > 2) {
            const col_str *p = tx_str(&args[2], i);
            pad = col_str_data(p);
            padn = p->len;
        }
        const char *sp = col_str_data(s);
        int64_t nch = (int64_t)tx_nchars(sp, s->len);
        int64_t spaces = len - nch;
        if (spaces <= 0 || padn == 0) {
            res[i] = substring_sql(sp, s->len, 1, len, false);
            continue;
        }
        size_t padch = tx_nchars(pad, padn);
        int64_t full = spaces / (int64_t)padch, rem = spaces % (int64_t)padch;
        size_t remb = tx_char_off(pad, padn, (size_t)rem);
        size_t total = (size_t)full * padn + remb + s->len;
        if (total > MAX_RESULT_BYTES) return too_big(c, total);
        char *d = tx_reserve(&o, total);
        if (!d) return KILN_ENOMEM;
        char *w = d;
        if (!left) {
            memcpy(w, sp, s->len);
            w += s->len;
        }
        for (int64_t k = 0; k < full; k++, w += padn) memcpy(w, pad, padn);
        memcpy(w, pad, remb);
        w += remb;
        if (left) {
            memcpy(w, sp, s->len);
            w += s->len;
        }
        res[i] = tx_commit(&o, d, (size_t)(w - d));
    }
    return KILN_OK;
}
static int k_lpad(TX_KERNEL_ARGS)
{
    return k_pad(c, state, out, args, nargs, sel, n, count, true);
}
static int k_rpad(TX_KERNEL_ARGS)
{
    return k_pad(c, state, out, args, nargs, sel, n, count, false);
}
static int bind_pad_k(fn_bind *b, fn_kernel k)
{
    int rc = want_str(b, 0);
    if (!rc) rc = want_int(b, 1, &col_type_i32);
    if (!rc && b->nargs > 2) rc = want_str(b, 2);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k;
    return KILN_OK;
}
static int bind_lpad(fn_bind *b)
{
    return bind_pad_k(b, k_lpad);
}
static int bind_rpad(fn_bind *b)
{
    return bind_pad_k(b, k_rpad);
}

static int k_repeat(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        int64_t times = tx_i32(&args[1], i);
        if (times <= 0 || s->len == 0) {
            res[i] = col_str_view("", 0);
            continue;
        }
        size_t total = (size_t)times * s->len;
        if (total > MAX_RESULT_BYTES) return too_big(c, total);
        char *d = tx_reserve(&o, total);
        if (!d) return KILN_ENOMEM;
        for (int64_t k = 0; k < times; k++) memcpy(d + (size_t)k * s->len, col_str_data(s), s->len);
        res[i] = tx_commit(&o, d, total);
    }
    return KILN_OK;
}
static int bind_repeat(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (!rc) rc = want_int(b, 1, &col_type_i32);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_repeat;
    return KILN_OK;
}

/* ---- Reverse, replace, translate
 * ------------------------------------------------------------------------- */

static int k_reverse(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const char *p = col_str_data(s), *e = p + s->len;
        char *d = tx_reserve(&o, s->len);
        if (!d && s->len) return KILN_ENOMEM;
        char *w = d + s->len;
        while (p < e) {
            size_t k = tx_charlen(p, e);
            w -= k;
            memcpy(w, p, k);
            p += k;
        }
        res[i] = s->len ? tx_commit(&o, d, s->len) : col_str_view("", 0);
    }
    return KILN_OK;
}
static int bind_reverse(fn_bind *b)
{
    return bind_str1(b, k_reverse);
}

static int k_replace(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i), *f = tx_str(&args[1], i);
        const char *sp = col_str_data(s), *fp = col_str_data(f);
        const char *rp = "";
        size_t rn = 0;
        if (nargs > 2) {
            const col_str *r = tx_str(&args[2], i);
            rp = col_str_data(r);
            rn = r->len;
        }
        if (f->len == 0 || f->len > s->len) {
            res[i] = *s;
            continue;
        }
        size_t hits = 0;
        for (const char *h = sp, *e = sp + s->len; (h = memmem(h, (size_t)(e - h), fp, f->len));
             h += f->len)
            hits++;
        if (hits == 0) {
            res[i] = *s;
            continue;
        }
        size_t total = s->len - hits * f->len + hits * rn;
        if (total > MAX_RESULT_BYTES) return too_big(c, total);
        char *d = tx_reserve(&o, total);
        if (!d && total) return KILN_ENOMEM;
        char *w = d;
        const char *q = sp, *e = sp + s->len;
        for (const char *h; (h = memmem(q, (size_t)(e - q), fp, f->len)); q = h + f->len) {
            memcpy(w, q, (size_t)(h - q));
            w += h - q;
            memcpy(w, rp, rn);
            w += rn;
        }
        memcpy(w, q, (size_t)(e - q));
        w += e - q;
        res[i] = total ? tx_commit(&o, d, total) : col_str_view("", 0);
    }
    return KILN_OK;
}
static int bind_replace(fn_bind *b)
{
    int rc = want_strs(b, 0);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_replace;
    return KILN_OK;
}

/* A translate map: from code point -> to code point or deletion; the first
 * occurrence of a character in from wins. */
typedef struct tr_entry {
    uint32_t from;
    int32_t to; /* -1: delete */
} tr_entry;

static size_t tr_build(const char *f, size_t fn, const char *t, size_t tn, tr_entry *m, size_t cap)
{
    size_t nm = 0;
    const char *fp = f, *fe = f + fn, *tp = t, *te = t + tn;
    while (fp < fe && nm < cap) {
        size_t k;
        uint32_t cp = tx_decode(fp, fe, &k);
        fp += k;
        int32_t to = -1;
        if (tp < te) {
            size_t k2;
            to = (int32_t)tx_decode(tp, te, &k2);
            tp += k2;
        }
        bool dup = false;
        for (size_t j = 0; j < nm && !dup; j++) dup = m[j].from == cp;
        if (!dup) m[nm++] = (tr_entry){cp, to};
    }
    return nm;
}

static int k_translate(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    tr_entry *map = NULL;
    size_t mapcap = 0;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i), *f = tx_str(&args[1], i), *t = tx_str(&args[2], i);
        if (f->len > mapcap) {
            mapcap = f->len < 256 ? 256 : f->len;
            map = kiln_arena_alloc(c->arena, sizeof(tr_entry) * mapcap);
            if (!map) return KILN_ENOMEM;
        }
        size_t nm = tr_build(col_str_data(f), f->len, col_str_data(t), t->len, map, mapcap);
        char *d = tx_reserve(&o, (size_t)s->len * 4);
        if (!d && s->len) return KILN_ENOMEM;
        char *w = d;
        const char *p = col_str_data(s), *e = p + s->len;
        while (p < e) {
            size_t k;
            uint32_t cp = tx_decode(p, e, &k);
            size_t j = 0;
            while (j < nm && map[j].from != cp) j++;
            if (j == nm) {
                memcpy(w, p, k);
                w += k;
            } else if (map[j].to >= 0) {
                w += tx_encode(w, (uint32_t)map[j].to);
            }
            p += k;
        }
        res[i] = tx_commit(&o, d, (size_t)(w - d));
    }
    return KILN_OK;
}
static int bind_translate(fn_bind *b)
{
    int rc = want_strs(b, 0);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_translate;
    return KILN_OK;
}

/* ---- ascii, chr
 * ---------------------------------------------------------------------------------------------- */

static int k_ascii(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    int32_t *res = COL_DATA(out, int32_t);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        size_t k;
        const char *p = col_str_data(s);
        res[i] = s->len ? (int32_t)tx_decode(p, p + s->len, &k) : 0;
    }
    return KILN_OK;
}
static int bind_ascii(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    b->result = &col_type_i32;
    b->kernel = k_ascii;
    return KILN_OK;
}

static int k_chr(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        int64_t v = tx_i64(&args[0], i);
        char buf[4];
        int len = v < 0 ? 0 : tx_encode(buf, (uint32_t)(v & 0xFF));
        res[i] = col_str_view(buf, (uint32_t)len);
    }
    return KILN_OK;
}
static int bind_chr(fn_bind *b)
{
    int rc = want_int(b, 0, &col_type_i64);
    if (rc) return rc;
    b->result = &col_type_string;
    b->kernel = k_chr;
    return KILN_OK;
}

/* ---- LIKE
 * -----------------------------------------------------------------------------------------------------
 */

/* A constant pattern without '_' reduced to a fast path: its literal
 * segments between runs of '%' (escapes removed), matched with memcmp at
 * an anchored end and memmem, leftmost first, in between. */
typedef struct like_state {
    int kind;        /* LK_* */
    const char *lit; /* the one segment of LK_EQ, LK_PREFIX, LK_SUFFIX, LK_CONTAINS */
    size_t litn;
    const char **seg; /* LK_SEGMENTS: nseg >= 2 segments, lead / trail '%' */
    size_t *segn;
    size_t nseg;
    bool lead, trail;
    const char *pat; /* general case */
    size_t patn;
    char esc[4];
    size_t escn;
    bool ci;
} like_state;

enum { LK_EQ, LK_PREFIX, LK_SUFFIX, LK_CONTAINS, LK_SEGMENTS, LK_ANY, LK_GENERAL };

/* Checks the escapes of p; returns NULL or the error class (and *bad). */
static const char *like_check(const char *p, size_t pn, const char *esc, size_t escn, size_t *bad)
{
    for (size_t i = 0; i < pn;) {
        size_t k = tx_charlen(p + i, p + pn);
        if (escn && k == escn && memcmp(p + i, esc, escn) == 0) {
            i += k;
            if (i >= pn) return "INVALID_FORMAT.ESC_AT_THE_END";
            size_t k2 = tx_charlen(p + i, p + pn);
            bool ok = (k2 == 1 && (p[i] == '_' || p[i] == '%')) ||
                      (k2 == escn && memcmp(p + i, esc, escn) == 0);
            if (!ok) {
                *bad = i;
                return "INVALID_FORMAT.ESC_IN_THE_MIDDLE";
            }
            k = k2;
        }
        i += k;
    }
    return NULL;
}

/* LIKE on s[0..sn) against pattern p[0..pn) with escape esc (valid
 * pattern): '_' matches one character, '%' any run. Backtracks only to the
 * last '%', so it runs in O(sn * pn) at worst. */
static bool like_match(const char *s, size_t sn, const char *p, size_t pn, const char *esc,
                       size_t escn)
{
    size_t si = 0, pi = 0, star_p = SIZE_MAX, star_s = 0;
    while (si < sn) {
        if (pi < pn) {
            size_t k = tx_charlen(p + pi, p + pn);
            if (escn && k == escn && memcmp(p + pi, esc, escn) == 0 && pi + k < pn) {
                size_t k2 = tx_charlen(p + pi + k, p + pn);
                if (si + k2 <= sn && memcmp(s + si, p + pi + k, k2) == 0) {
                    si += k2;
                    pi += k + k2;
                    continue;
                }
            } else if (k == 1 && p[pi] == '%') {
                star_p = ++pi;
                star_s = si;
                continue;
            } else if (k == 1 && p[pi] == '_') {
                si += tx_charlen(s + si, s + sn);
                pi++;
                continue;
            } else if (si + k <= sn && memcmp(s + si, p + pi, k) == 0) {
                si += k;
                pi += k;
                continue;
            }
        }
        if (star_p == SIZE_MAX) return false;
        star_s += tx_charlen(s + star_s, s + sn);
        si = star_s;
        pi = star_p;
    }
    while (pi < pn && p[pi] == '%') pi++;
    return pi == pn;
}

/* Reduces a checked constant pattern to a fast path where it has no '_':
 * its segments (escapes removed) go to a. */
static int like_prepare(kiln_arena *a, like_state *st, const char *p, size_t pn)
{
    st->kind = LK_GENERAL;
    char *lit = kiln_arena_alloc(a, pn + 1);
    const char **seg = kiln_arena_alloc(a, (pn / 2 + 2) * sizeof *seg);
    size_t *segn = kiln_arena_alloc(a, (pn / 2 + 2) * sizeof *segn);
    if (!lit || !seg || !segn) return KILN_ENOMEM;
    size_t ln = 0, nseg = 0, start = 0;
    bool in_seg = false;
    for (size_t i = 0; i < pn;) {
        size_t k = tx_charlen(p + i, p + pn);
        if (k == 1 && p[i] == '_') return KILN_OK;
        if (k == 1 && p[i] == '%') {
            if (i == 0) st->lead = true;
            if (in_seg) segn[nseg++] = ln - start;
            in_seg = false;
            i++;
            continue;
        }
        if (st->escn && k == st->escn && memcmp(p + i, st->esc, k) == 0) {
            i += k;
            k = tx_charlen(p + i, p + pn);
        }
        if (!in_seg) {
            seg[nseg] = lit + ln;
            start = ln;
            in_seg = true;
        }
        memcpy(lit + ln, p + i, k);
        ln += k;
        i += k;
    }
    if (in_seg) segn[nseg++] = ln - start;
    st->trail = pn > 0 && !in_seg;
    if (nseg == 0) {
        st->kind = pn ? LK_ANY : LK_EQ;
        st->lit = lit;
        st->litn = 0;
        return KILN_OK;
    }
    if (nseg == 1) {
        st->lit = seg[0];
        st->litn = segn[0];
        st->kind = st->lead && st->trail ? LK_CONTAINS
                   : st->lead            ? LK_SUFFIX
                   : st->trail           ? LK_PREFIX
                                         : LK_EQ;
        return KILN_OK;
    }
    st->seg = seg;
    st->segn = segn;
    st->nseg = nseg;
    st->kind = LK_SEGMENTS;
    return KILN_OK;
}

/* LK_SEGMENTS: the first segment at the start unless lead, the last at the
 * end unless trail, the others leftmost in between (greedy is exact when
 * the pattern has only '%'). */
static bool like_segments(const like_state *st, const char *s, size_t sn)
{
    size_t pos = 0, end = sn, first = 0, last = st->nseg;
    if (!st->lead) {
        if (sn < st->segn[0] || memcmp(s, st->seg[0], st->segn[0]) != 0) return false;
        pos = st->segn[0];
        first = 1;
    }
    if (!st->trail) {
        size_t n = st->segn[last - 1];
        if (end - pos < n || memcmp(s + end - n, st->seg[last - 1], n) != 0) return false;
        end -= n;
        last--;
    }
    for (size_t k = first; k < last; k++) {
        const char *m = memmem(s + pos, end - pos, st->seg[k], st->segn[k]);
        if (!m) return false;
        pos = (size_t)(m - s) + st->segn[k];
    }
    return true;
}

static bool like_fast(const like_state *st, const char *s, size_t sn)
{
    switch (st->kind) {
    case LK_EQ:
        return sn == st->litn && memcmp(s, st->lit, sn) == 0;
    case LK_PREFIX:
        return sn >= st->litn && memcmp(s, st->lit, st->litn) == 0;
    case LK_SUFFIX:
        return sn >= st->litn && memcmp(s + sn - st->litn, st->lit, st->litn) == 0;
    case LK_CONTAINS:
        return memmem(s, sn, st->lit, st->litn) != NULL;
    case LK_SEGMENTS:
        return like_segments(st, s, sn);
    case LK_ANY:
        return true;
    default:
        return like_match(s, sn, st->pat, st->patn, st->esc, st->escn);
    }
}

static int k_like(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    const like_state *st = state;
    bool *res = COL_DATA(out, bool);
    char *buf = NULL, *pbuf = NULL;
    size_t bufcap = 0, pbufcap = 0;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const char *sp = col_str_data(s);
        size_t sn = s->len;
        if (st->ci) {
            if (sn * 3 + 4 > bufcap) {
                bufcap = sn * 3 + 4 < 4096 ? 4096 : sn * 3 + 4;
                if (!(buf = kiln_arena_alloc(c->arena, bufcap))) return KILN_ENOMEM;
            }
            sn = map_case(sp, sn, buf, false);
            sp = buf;
        }
        if (st->kind != LK_GENERAL || st->pat) {
            res[i] = like_fast(st, sp, sn);
            continue;
        }
        /* A pattern that changes by row. */
        const col_str *pv = tx_str(&args[1], i);
        const char *pp = col_str_data(pv);
        size_t pn = pv->len, bad = 0;
        if (st->ci) {
            if (pn * 3 + 4 > pbufcap) {
                pbufcap = pn * 3 + 4 < 4096 ? 4096 : pn * 3 + 4;
                if (!(pbuf = kiln_arena_alloc(c->arena, pbufcap))) return KILN_ENOMEM;
            }
            pn = map_case(pp, pn, pbuf, false);
            pp = pbuf;
        }
        const char *cls = like_check(pp, pn, st->esc, st->escn, &bad);
        if (cls) return fn_error(c, cls, "42601", "The format is invalid: '%.*s'.", (int)pn, pp);
        res[i] = like_match(sp, sn, pp, pn, st->esc, st->escn);
    }
    return KILN_OK;
}

static int bind_like_ci(fn_bind *b, bool ci)
{
    int rc = want_str(b, 0);
    if (!rc) rc = want_str(b, 1);
    if (rc) return rc;
    like_state *st = kiln_arena_alloc(b->arena, sizeof *st);
    if (!st) return KILN_ENOMEM;
    memset(st, 0, sizeof *st);
    st->ci = ci;
    st->esc[0] = '\\';
    st->escn = 1;
    st->kind = LK_GENERAL;
    if (b->nargs > 2) {
        bool null;
        const col_str *e = tx_const_str(b, 2, &null);
        if (!e || null)
            return tx_bind_err(b, "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT", 2,
                               "The escape character of LIKE must be a constant string.");
        const char *ep = col_str_data(e);
        if (e->len == 0 || e->len > 4 || tx_charlen(ep, ep + e->len) != e->len)
            return tx_bind_err(b, "INVALID_ESCAPE_CHAR", 2,
                               "The escape character '%.*s' must be a single character.",
                               (int)e->len, ep);
        memcpy(st->esc, ep, e->len);
        st->escn = e->len;
    }
    bool null;
    const col_str *pat = tx_const_str(b, 1, &null);
    if (pat) {
        const char *pp = col_str_data(pat);
        size_t pn = pat->len, bad = 0;
        if (ci) {
            char *low = kiln_arena_alloc(b->arena, pn * 3 + 4);
            if (!low) return KILN_ENOMEM;
            pn = map_case(pp, pn, low, false);
            pp = low;
        } else {
            char *cp = kiln_arena_alloc(b->arena, pn + 1);
            if (!cp) return KILN_ENOMEM;
            memcpy(cp, pp, pn);
            pp = cp;
        }
        const char *cls = like_check(pp, pn, st->esc, st->escn, &bad);
        if (cls) {
            if (bad)
                return tx_bind_err(b, cls, 1,
                                   "The format is invalid: '%.*s'. The escape character is not "
                                   "allowed to precede '%.*s'.",
                                   (int)pn, pp, (int)tx_charlen(pp + bad, pp + pn), pp + bad);
            return tx_bind_err(b, cls, 1,
                               "The format is invalid: '%.*s'. The escape character is not "
                               "allowed to end with.",
                               (int)pn, pp);
        }
        st->pat = pp;
        st->patn = pn;
        int prc = like_prepare(b->arena, st, pp, pn);
        if (prc) return prc;
    }
    b->state = st;
    b->result = &col_type_bool;
    b->kernel = k_like;
    return KILN_OK;
}
static int bind_like(fn_bind *b)
{
    return bind_like_ci(b, false);
}
static int bind_ilike(fn_bind *b)
{
    return bind_like_ci(b, true);
}

/* ---- hex, unhex, digests
 * ------------------------------------------------------------------------------------------ */

static int k_hex(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    static const char digits[] = "0123456789ABCDEF";
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    bool num = args[0].type->kind == COL_I64;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        if (num) {
            uint64_t v = (uint64_t)tx_i64(&args[0], i);
            char buf[16];
            int k = 16;
            do {
                buf[--k] = digits[v & 15];
                v >>= 4;
            } while (v);
            res[i] = col_str_view(buf + k, (uint32_t)(16 - k));
            continue;
        }
        const col_str *s = tx_str(&args[0], i);
        const unsigned char *p = (const unsigned char *)col_str_data(s);
        char *d = tx_reserve(&o, (size_t)s->len * 2);
        if (!d && s->len) return KILN_ENOMEM;
        for (uint32_t k = 0; k < s->len; k++) {
            d[2 * k] = digits[p[k] >> 4];
            d[2 * k + 1] = digits[p[k] & 15];
        }
        res[i] = s->len ? tx_commit(&o, d, (size_t)s->len * 2) : col_str_view("", 0);
    }
    return KILN_OK;
}
static int bind_hex(fn_bind *b)
{
    const col_type *t = b->args[0];
    if (col_type_is_integral(t)) b->want[0] = t->kind == COL_I64 ? NULL : &col_type_i64;
    else if (t->kind != COL_BINARY && want_str(b, 0)) return KILN_ESQL;
    b->result = &col_type_string;
    b->kernel = k_hex;
    return KILN_OK;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int k_unhex(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const col_str *s = tx_str(&args[0], i);
        const char *p = col_str_data(s);
        size_t len = s->len, outn = (len + 1) / 2;
        char *d = tx_reserve(&o, outn);
        if (!d && outn) return KILN_ENOMEM;
        size_t j = 0, k = 0;
        bool bad = false;
        if (len % 2) { /* an odd count: a leading 0 is implied */
            int v = hexval(p[0]);
            bad = v < 0;
            d[j++] = (char)v;
            k = 1;
        }
        for (; k < len && !bad; k += 2) {
            int hi = hexval(p[k]), lo = hexval(p[k + 1]);
            bad = hi < 0 || lo < 0;
            if (!bad) d[j++] = (char)(hi << 4 | lo);
        }
        if (bad) col_set_null(out, i);
        else res[i] = outn ? tx_commit(&o, d, outn) : col_str_view("", 0);
    }
    return KILN_OK;
}
static int bind_unhex(fn_bind *b)
{
    int rc = want_str(b, 0);
    if (rc) return rc;
    b->result = &col_type_binary;
    b->kernel = k_unhex;
    b->nullable = true;
    return KILN_OK;
}

static int k_digest(TX_KERNEL_ARGS)
{
    TX_UNUSED_ARGS;
    tx_out o = {c->arena, NULL, 0};
    col_str *res = COL_DATA(out, col_str);
    const EVP_MD *fixed = state;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) return KILN_ENOMEM;
    int rc = KILN_OK;
    TX_ROWS(i)
    {
        if (!col_valid(out, i)) continue;
        const EVP_MD *alg = fixed;
        if (!alg) { /* sha2 with a bit length per row */
            int32_t bits = tx_i32(&args[1], i);
            alg = bits == 224                ? EVP_sha224()
                  : bits == 256 || bits == 0 ? EVP_sha256()
                  : bits == 384              ? EVP_sha384()
                  : bits == 512              ? EVP_sha512()
                                             : NULL;
            if (!alg) {
                col_set_null(out, i);
                continue;
            }
        }
        const col_str *s = tx_str(&args[0], i);
        unsigned char h[EVP_MAX_MD_SIZE];
        unsigned int hn = 0;
        if (EVP_DigestInit_ex(md, alg, NULL) != 1 ||
            EVP_DigestUpdate(md, col_str_data(s), s->len) != 1 ||
            EVP_DigestFinal_ex(md, h, &hn) != 1) {
            rc = KILN_ENOMEM;
            break;
        }
        char *d = tx_reserve(&o, (size_t)hn * 2);
        if (!d) {
            rc = KILN_ENOMEM;
            break;
        }
        for (unsigned k = 0; k < hn; k++) sprintf(d + 2 * k, "%02x", h[k]);
        res[i] = tx_commit(&o, d, (size_t)hn * 2);
    }
    EVP_MD_CTX_free(md);
    return rc;
}
static int bind_digest(fn_bind *b, const EVP_MD *alg)
{
    if (b->args[0]->kind != COL_BINARY) {
        if (!tx_castable_to_string(b->args[0])) return type_err(b, 0, "BINARY");
        b->want[0] = &col_type_binary;
    }
    b->state = (void *)alg;
    b->result = &col_type_string;
    b->kernel = k_digest;
    return KILN_OK;
}
static int bind_md5(fn_bind *b)
{
    return bind_digest(b, EVP_md5());
}
static int bind_sha1(fn_bind *b)
{
    return bind_digest(b, EVP_sha1());
}
static int bind_sha2(fn_bind *b)
{
    int rc = bind_digest(b, NULL);
    if (!rc) rc = want_int(b, 1, &col_type_i32);
    b->nullable = true;
    return rc;
}

/* ---- The table
 * ------------------------------------------------------------------------------------------------------
 */

#define NN FN_NULL_IN_NULL_OUT

const fn_def fn_defs_string[] = {
    {"lower", 1, 1, NN, bind_lower},
    {"lcase", 1, 1, NN, bind_lower},
    {"upper", 1, 1, NN, bind_upper},
    {"ucase", 1, 1, NN, bind_upper},
    {"initcap", 1, 1, NN, bind_initcap},
    {"trim", 1, 2, NN, bind_trim},
    {"btrim", 1, 2, NN, bind_trim},
    {"ltrim", 1, 2, NN, bind_ltrim},
    {"rtrim", 1, 2, NN, bind_rtrim},
    {"length", 1, 1, NN, bind_length},
    {"len", 1, 1, NN, bind_length},
    {"char_length", 1, 1, NN, bind_length},
    {"character_length", 1, 1, NN, bind_length},
    {"octet_length", 1, 1, NN, bind_octet_length},
    {"bit_length", 1, 1, NN, bind_bit_length},
    {"substring", 2, 3, NN, bind_substring},
    {"substr", 2, 3, NN, bind_substring},
    {"left", 2, 2, NN, bind_left},
    {"right", 2, 2, NN, bind_right},
    {"concat", 0, -1, NN, bind_concat},
    {"concat_ws", 1, -1, 0, bind_concat_ws},
    {"instr", 2, 2, NN, bind_instr},
    {"locate", 2, 3, 0, bind_locate},
    {"position", 2, 3, 0, bind_locate},
    {"startswith", 2, 2, NN, bind_startswith},
    {"endswith", 2, 2, NN, bind_endswith},
    {"contains", 2, 2, NN, bind_contains},
    {"lpad", 2, 3, NN, bind_lpad},
    {"rpad", 2, 3, NN, bind_rpad},
    {"repeat", 2, 2, NN, bind_repeat},
    {"reverse", 1, 1, NN, bind_reverse},
    {"replace", 2, 3, NN, bind_replace},
    {"translate", 3, 3, NN, bind_translate},
    {"ascii", 1, 1, NN, bind_ascii},
    {"chr", 1, 1, NN, bind_chr},
    {"char", 1, 1, NN, bind_chr},
    {"like", 2, 3, NN | FN_NEEDS_CONSTS, bind_like},
    {"ilike", 2, 3, NN | FN_NEEDS_CONSTS, bind_ilike},
    {"hex", 1, 1, NN, bind_hex},
    {"unhex", 1, 1, NN, bind_unhex},
    {"md5", 1, 1, NN, bind_md5},
    {"sha1", 1, 1, NN, bind_sha1},
    {"sha", 1, 1, NN, bind_sha1},
    {"sha2", 2, 2, NN, bind_sha2},
    {NULL, 0, 0, 0, NULL},
};
