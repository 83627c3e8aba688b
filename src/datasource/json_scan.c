/*
 * datasource/json_scan.c - a JSON parser of one value into a small DOM in
 * an arena, with the leniencies of Jackson as Spark configures it:
 * comments, unquoted field names, single quotes (on by default), numeric
 * leading zeros, backslash before any character, NaN/Infinity (on by
 * default), unescaped control characters. Depth is limited to
 * JSON_MAX_DEPTH. Also the JSON text writer of values and strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasource/json_int.h"

typedef struct jp {
    const json_opts *o;
    const char *p, *end, *start;
    kiln_arena *a;
    int depth;
} jp;

static int err(jp *s, const char *what)
{
    return kiln_set_error(KILN_ECORRUPT, "malformed JSON at byte %zu: %s",
                          (size_t)(s->p - s->start), what);
}

static int skip_ws(jp *s)
{
    for (;;) {
        while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
            s->p++;
        if (s->o->allow_comments && s->p + 1 < s->end && s->p[0] == '/') {
            if (s->p[1] == '/') {
                while (s->p < s->end && *s->p != '\n') s->p++;
                continue;
            }
            if (s->p[1] == '*') {
                const char *q = s->p + 2;
                while (q + 1 < s->end && !(q[0] == '*' && q[1] == '/')) q++;
                if (q + 1 >= s->end) return err(s, "unterminated comment");
                s->p = q + 2;
                continue;
            }
        }
        if (s->o->allow_comments && s->p < s->end && *s->p == '#') {
            while (s->p < s->end && *s->p != '\n') s->p++;
            continue;
        }
        return KILN_OK;
    }
}

static int put_utf8(char *o, uint32_t c)
{
    if (c < 0x80) {
        o[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        o[0] = (char)(0xC0 | c >> 6);
        o[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        o[0] = (char)(0xE0 | c >> 12);
        o[1] = (char)(0x80 | (c >> 6 & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | c >> 18);
    o[1] = (char)(0x80 | (c >> 12 & 0x3F));
    o[2] = (char)(0x80 | (c >> 6 & 0x3F));
    o[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

static int hex4(const char *p, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *v = x;
    return 0;
}

/* A string literal quoted by q at s->p. */
static int parse_string(jp *s, char q, const char **out, uint32_t *len)
{
    const char *b = ++s->p;
    bool esc = false;
    const char *e = b;
    while (e < s->end && *e != q) {
        if (*e == '\\') {
            esc = true;
            e++;
        } else if ((unsigned char)*e < 0x20 && !s->o->allow_control_chars) {
            s->p = e;
            return err(s, "unescaped control character in a string");
        }
        e++;
    }
    if (e >= s->end) return err(s, "unterminated string");
    if (!esc) {
        *out = b;
        *len = (uint32_t)(e - b);
        s->p = e + 1;
        return KILN_OK;
    }
    char *o = kiln_arena_alloc(s->a, (size_t)(e - b) + 1);
    if (!o) return KILN_ENOMEM;
    size_t k = 0;
    for (const char *c = b; c < e; c++) {
        if (*c != '\\') {
            o[k++] = *c;
            continue;
        }
        c++;
        switch (*c) {
        case '"':
            o[k++] = '"';
            break;
        case '\\':
            o[k++] = '\\';
            break;
        case '/':
            o[k++] = '/';
            break;
        case 'b':
            o[k++] = '\b';
            break;
        case 'f':
            o[k++] = '\f';
            break;
        case 'n':
            o[k++] = '\n';
            break;
        case 'r':
            o[k++] = '\r';
            break;
        case 't':
            o[k++] = '\t';
            break;
        case 'u': {
            uint32_t u;
            if (e - c < 5 || hex4(c + 1, &u)) {
                s->p = c;
                return err(s, "bad \\u escape");
            }
            c += 4;
            if (u >= 0xD800 && u < 0xDC00 && e - c >= 7 && c[1] == '\\' && c[2] == 'u') {
                uint32_t lo;
                if (!hex4(c + 3, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    c += 6;
                }
            }
            if (u >= 0xD800 && u < 0xE000) u = 0xFFFD;
            /* 4 bytes at most, and the escape took 6 source bytes. */
            k += (size_t)put_utf8(o + k, u);
            break;
        }
        default:
            if (*c == '\'' || s->o->allow_backslash_any) {
                o[k++] = *c;
                break;
            }
            s->p = c;
            return err(s, "unrecognized character escape");
        }
    }
    *out = o;
    *len = (uint32_t)k;
    s->p = e + 1;
    return KILN_OK;
}

static bool word(jp *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, w, n) == 0) {
        s->p += n;
        return true;
    }
    return false;
}

static int parse_number(jp *s, json_val *v)
{
    const char *b = s->p, *q = s->p;
    if (q < s->end && (*q == '-' || *q == '+')) {
        if (*q == '+' && !s->o->allow_non_numeric) return err(s, "unexpected '+'");
        q++;
    }
    if (s->o->allow_non_numeric) {
        s->p = q;
        if (word(s, "Infinity") || word(s, "INF")) {
            v->kind = J_FLOAT;
            v->s = b;
            v->n = (uint32_t)(s->p - b);
            return KILN_OK;
        }
        s->p = b;
    }
    const char *ds = q;
    while (q < s->end && (unsigned)(*q - '0') <= 9) q++;
    if (q == ds) return err(s, "unexpected character");
    if (q - ds > 1 && *ds == '0' && !s->o->allow_leading_zeros)
        return err(s, "leading zeros are not allowed");
    bool fl = false;
    if (q < s->end && *q == '.') {
        fl = true;
        q++;
        const char *f = q;
        while (q < s->end && (unsigned)(*q - '0') <= 9) q++;
        if (q == f) {
            s->p = q;
            return err(s, "a digit must follow the decimal point");
        }
    }
    if (q < s->end && (*q == 'e' || *q == 'E')) {
        fl = true;
        q++;
        if (q < s->end && (*q == '+' || *q == '-')) q++;
        const char *f = q;
        while (q < s->end && (unsigned)(*q - '0') <= 9) q++;
        if (q == f) {
            s->p = q;
            return err(s, "a digit must follow the exponent");
        }
    }
    v->kind = fl ? J_FLOAT : J_INT;
    v->s = b;
    v->n = (uint32_t)(q - b);
    s->p = q;
    return KILN_OK;
}

static int value(jp *s, json_val *v);

static int parse_array(jp *s, json_val *v)
{
    s->p++;
    uint32_t n = 0, cap = 4;
    json_val *items = kiln_arena_alloc(s->a, cap * sizeof *items);
    if (!items) return KILN_ENOMEM;
    int rc;
    if ((rc = skip_ws(s))) return rc;
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            if (n == cap) {
                json_val *t = kiln_arena_alloc(s->a, 2 * cap * sizeof *t);
                if (!t) return KILN_ENOMEM;
                memcpy(t, items, cap * sizeof *t);
                items = t;
                cap *= 2;
            }
            if ((rc = value(s, &items[n]))) return rc;
            n++;
            if ((rc = skip_ws(s))) return rc;
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                break;
            }
            return err(s, "expected ',' or ']'");
        }
    }
    v->kind = J_ARR;
    v->n = n;
    v->items = items;
    return KILN_OK;
}

static int parse_object(jp *s, json_val *v)
{
    s->p++;
    uint32_t n = 0, cap = 8;
    json_val *items = kiln_arena_alloc(s->a, cap * sizeof *items);
    const char **keys = kiln_arena_alloc(s->a, cap * sizeof *keys);
    uint32_t *klen = kiln_arena_alloc(s->a, cap * sizeof *klen);
    if (!items || !keys || !klen) return KILN_ENOMEM;
    int rc;
    if ((rc = skip_ws(s))) return rc;
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            if (n == cap) {
                json_val *t = kiln_arena_alloc(s->a, 2 * cap * sizeof *t);
                const char **k = kiln_arena_alloc(s->a, 2 * cap * sizeof *k);
                uint32_t *l = kiln_arena_alloc(s->a, 2 * cap * sizeof *l);
                if (!t || !k || !l) return KILN_ENOMEM;
                memcpy(t, items, cap * sizeof *t);
                memcpy(k, keys, cap * sizeof *k);
                memcpy(l, klen, cap * sizeof *l);
                items = t;
                keys = k;
                klen = l;
                cap *= 2;
            }
            if ((rc = skip_ws(s))) return rc;
            if (s->p >= s->end) return err(s, "unexpected end in an object");
            char c = *s->p;
            if (c == '"' || (c == '\'' && s->o->allow_single_quotes)) {
                if ((rc = parse_string(s, c, &keys[n], &klen[n]))) return rc;
            } else if (s->o->allow_unquoted_names &&
                       (c == '_' || c == '$' || ((c | 32) >= 'a' && (c | 32) <= 'z'))) {
                const char *b = s->p;
                while (s->p < s->end && (*s->p == '_' || *s->p == '$' ||
                                         ((*s->p | 32) >= 'a' && (*s->p | 32) <= 'z') ||
                                         (unsigned)(*s->p - '0') <= 9))
                    s->p++;
                keys[n] = b;
                klen[n] = (uint32_t)(s->p - b);
            } else {
                return err(s, "expected a field name");
            }
            if ((rc = skip_ws(s))) return rc;
            if (s->p >= s->end || *s->p != ':') return err(s, "expected ':'");
            s->p++;
            if ((rc = value(s, &items[n]))) return rc;
            n++;
            if ((rc = skip_ws(s))) return rc;
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                continue;
            }
            if (s->p < s->end && *s->p == '}') {
                s->p++;
                break;
            }
            return err(s, "expected ',' or '}'");
        }
    }
    v->kind = J_OBJ;
    v->n = n;
    v->items = items;
    v->keys = keys;
    v->klen = klen;
    return KILN_OK;
}

static int value(jp *s, json_val *v)
{
    int rc;
    memset(v, 0, sizeof *v);
    if ((rc = skip_ws(s))) return rc;
    if (s->p >= s->end) return err(s, "unexpected end of input");
    if (++s->depth > JSON_MAX_DEPTH) return err(s, "nested too deeply");
    char c = *s->p;
    if (c == '{') rc = parse_object(s, v);
    else if (c == '[') rc = parse_array(s, v);
    else if (c == '"' || (c == '\'' && s->o->allow_single_quotes)) {
        v->kind = J_STR;
        rc = parse_string(s, c, &v->s, &v->n);
    } else if (word(s, "true")) {
        v->kind = J_BOOL;
        v->b = true;
    } else if (word(s, "false")) {
        v->kind = J_BOOL;
    } else if (word(s, "null")) {
        v->kind = J_NULL;
    } else if (s->o->allow_non_numeric && word(s, "NaN")) {
        v->kind = J_FLOAT;
        v->s = "NaN";
        v->n = 3;
    } else {
        rc = parse_number(s, v);
    }
    s->depth--;
    return rc;
}

/* Parses one value (see json_int.h). */
int json_parse(const json_opts *j, const char *p, size_t n, kiln_arena *a, json_val *out,
               size_t *used)
{
    jp s = {j, p, p + n, p, a, 0};
    int rc = value(&s, out);
    if (rc) return rc;
    if ((rc = skip_ws(&s))) return rc;
    *used = (size_t)(s.p - p);
    return KILN_OK;
}

/* Appends a JSON string literal as Jackson writes it. */
int json_put_string(kiln_buf *b, const char *s, size_t n)
{
    if (kiln_buf_reserve(b, n + 2)) return KILN_ENOMEM;
    if (kiln_buf_append(b, "\"", 1)) return KILN_ENOMEM;
    size_t from = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (kiln_buf_append(b, s + from, i - from)) return KILN_ENOMEM;
        char e[8];
        int k;
        switch (c) {
        case '"':
            k = snprintf(e, sizeof e, "\\\"");
            break;
        case '\\':
            k = snprintf(e, sizeof e, "\\\\");
            break;
        case '\n':
            k = snprintf(e, sizeof e, "\\n");
            break;
        case '\r':
            k = snprintf(e, sizeof e, "\\r");
            break;
        case '\t':
            k = snprintf(e, sizeof e, "\\t");
            break;
        case '\b':
            k = snprintf(e, sizeof e, "\\b");
            break;
        case '\f':
            k = snprintf(e, sizeof e, "\\f");
            break;
        default:
            k = snprintf(e, sizeof e, "\\u%04X", c);
            break;
        }
        if (kiln_buf_append(b, e, (size_t)k)) return KILN_ENOMEM;
        from = i + 1;
    }
    if (kiln_buf_append(b, s + from, n - from) || kiln_buf_append(b, "\"", 1)) return KILN_ENOMEM;
    return KILN_OK;
}

/* Appends v as compact JSON. */
int json_serialize(kiln_buf *b, const json_val *v)
{
    int rc = KILN_OK;
    switch (v->kind) {
    case J_NULL:
        return kiln_buf_append(b, "null", 4);
    case J_BOOL:
        return v->b ? kiln_buf_append(b, "true", 4) : kiln_buf_append(b, "false", 5);
    case J_INT:
    case J_FLOAT:
        return kiln_buf_append(b, v->s, v->n);
    case J_STR:
        return json_put_string(b, v->s, v->n);
    case J_ARR:
        rc = kiln_buf_append(b, "[", 1);
        for (uint32_t i = 0; i < v->n && !rc; i++) {
            if (i) rc = kiln_buf_append(b, ",", 1);
            if (!rc) rc = json_serialize(b, &v->items[i]);
        }
        return rc ? rc : kiln_buf_append(b, "]", 1);
    default:
        rc = kiln_buf_append(b, "{", 1);
        for (uint32_t i = 0; i < v->n && !rc; i++) {
            if (i) rc = kiln_buf_append(b, ",", 1);
            if (!rc) rc = json_put_string(b, v->keys[i], v->klen[i]);
            if (!rc) rc = kiln_buf_append(b, ":", 1);
            if (!rc) rc = json_serialize(b, &v->items[i]);
        }
        return rc ? rc : kiln_buf_append(b, "}", 1);
    }
}
