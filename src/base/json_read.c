/*
 * base/json_read.c - a JSON reader for one document at a time (base/json.h),
 * made for event log lines (src/ui/replay.c) and whatever else reads JSON
 * it did not write. It never recurses: open arrays and objects are frames
 * on a stack of at most JSON_READ_MAX_DEPTH, so a line of a million '['
 * is an error, not a stack overflow. A container's items are gathered in a
 * growable array of the frame and copied into the arena when it closes.
 * Strings are checked for UTF-8 and their escapes decoded (\u surrogate
 * pairs joined; a lone surrogate becomes U+FFFD).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

typedef struct frame {
    json_node *node; /* the container being filled */
    size_t start;    /* its first item's place on the reader's item stack */
    const char *key; /* object: the key of the value being read */
} frame;

typedef struct reader {
    kiln_arena *a;
    const char *p;
    size_t n, at;
    char *err;
    size_t errsize;
    /* The items of every open container, innermost last (one malloc'd
     * stack for all, so a container costs no allocation until it closes
     * into the arena), and their keys. */
    json_node **items;
    const char **keys;
    size_t top, cap;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->err && r->errsize) snprintf(r->err, r->errsize, "byte %zu: %s", r->at, msg);
    return kiln_set_error(KILN_ECORRUPT, "byte %zu: %s", r->at, msg);
}

static void skip_ws(reader *r)
{
    while (r->at < r->n) {
        char c = r->p[r->at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        r->at++;
    }
}

static json_node *node_new(reader *r, json_type t)
{
    json_node *v = kiln_arena_alloc(r->a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = t;
    }
    return v;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

/* The string at r->at (its opening quote), decoded into the arena. */
static int read_string(reader *r, const char **out, size_t *outlen)
{
    size_t start = ++r->at, end = start;
    /* First pass: find the closing quote (decoding never grows the text). */
    for (;;) { /* the first quote not escaped: after an even run of backslashes */
        const char *q = memchr(r->p + end, '"', r->n - end);
        if (!q) return fail(r, "unterminated string");
        size_t pos = (size_t)(q - r->p), bs = 0;
        while (pos - bs > start && r->p[pos - 1 - bs] == '\\') bs++;
        end = pos;
        if (bs % 2 == 0) break;
        end++;
    }
    char *o = kiln_arena_alloc(r->a, end - start + 1);
    if (!o) return KILN_ENOMEM;
    size_t k = 0;
    while (r->at < end) {
        /* A run of plain ASCII goes over in one copy. */
        size_t run = r->at;
        while (run < end) {
            unsigned char b = (unsigned char)r->p[run];
            if (b < 0x20 || b >= 0x80 || b == '\\') break;
            run++;
        }
        if (run > r->at) {
            memcpy(o + k, r->p + r->at, run - r->at);
            k += run - r->at;
            r->at = run;
            if (run == end) break;
        }
        unsigned char c = (unsigned char)r->p[r->at];
        if (c < 0x20) return fail(r, "control character 0x%02x in a string", c);
        if (c != '\\') {
            size_t len = utf8_len((const unsigned char *)r->p + r->at, end - r->at);
            if (len == 0) return fail(r, "invalid UTF-8 in a string");
            memcpy(o + k, r->p + r->at, len);
            k += len;
            r->at += len;
            continue;
        }
        char e = r->p[r->at + 1];
        r->at += 2;
        switch (e) {
        case '"':
        case '\\':
        case '/':
            o[k++] = e;
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
            unsigned cp;
            if (r->at + 4 > end || hex4(r->p + r->at, &cp))
                return fail(r, "\\u needs four hex digits");
            r->at += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (r->at + 6 <= end && r->p[r->at] == '\\' && r->p[r->at + 1] == 'u' &&
                    !hex4(r->p + r->at + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    r->at += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            k += put_utf8(o + k, cp);
            break;
        }
        default:
            r->at -= 2;
            return fail(r, "bad escape in a string");
        }
    }
    o[k] = '\0';
    r->at = end + 1;
    *out = o;
    *outlen = k;
    return KILN_OK;
}

static int read_number(reader *r, json_node *v)
{
    size_t s = r->at, i = s;
    bool integral = true;
    if (i < r->n && r->p[i] == '-') i++;
    if (i >= r->n || r->p[i] < '0' || r->p[i] > '9') return fail(r, "expected a digit");
    if (r->p[i] == '0') i++;
    else
        while (i < r->n && r->p[i] >= '0' && r->p[i] <= '9') i++;
    if (i < r->n && r->p[i] == '.') {
        integral = false;
        i++;
        if (i >= r->n || r->p[i] < '0' || r->p[i] > '9') {
            r->at = i;
            return fail(r, "expected a digit after '.'");
        }
        while (i < r->n && r->p[i] >= '0' && r->p[i] <= '9') i++;
    }
    if (i < r->n && (r->p[i] == 'e' || r->p[i] == 'E')) {
        integral = false;
        i++;
        if (i < r->n && (r->p[i] == '+' || r->p[i] == '-')) i++;
        if (i >= r->n || r->p[i] < '0' || r->p[i] > '9') {
            r->at = i;
            return fail(r, "expected a digit in the exponent");
        }
        while (i < r->n && r->p[i] >= '0' && r->p[i] <= '9') i++;
    }
    size_t len = i - s;
    /* Integers of up to 18 digits (nearly every number of an event log)
     * need neither strtod nor strtoll. */
    if (integral && len <= 18 + (r->p[s] == '-')) {
        int64_t x = 0;
        for (size_t k = s + (r->p[s] == '-'); k < i; k++) x = x * 10 + (r->p[k] - '0');
        if (r->p[s] == '-') x = -x;
        v->is_int = true;
        v->i = x;
        v->num = (double)x;
        if (x == 0 && r->p[s] == '-') v->num = -0.0;
        r->at = i;
        return KILN_OK;
    }
    char tmp[64];
    char *buf = tmp;
    if (len >= sizeof tmp && !(buf = malloc(len + 1))) return KILN_ENOMEM;
    memcpy(buf, r->p + s, len);
    buf[len] = '\0';
    v->num = strtod(buf, NULL);
    if (integral) {
        errno = 0;
        long long x = strtoll(buf, NULL, 10);
        if (errno == 0) {
            v->is_int = true;
            v->i = x;
        }
    }
    if (buf != tmp) free(buf);
    r->at = i;
    return KILN_OK;
}

static int literal(reader *r, const char *word)
{
    size_t len = strlen(word);
    if (r->n - r->at < len || memcmp(r->p + r->at, word, len) != 0)
        return fail(r, "expected a value");
    r->at += len;
    return KILN_OK;
}

/* Moves frame f's items off the stack into its node (in the arena). */
static int close_frame(reader *r, frame *f)
{
    json_node *v = f->node;
    size_t n = r->top - f->start;
    v->n = n;
    if (n) {
        v->items = kiln_arena_alloc(r->a, n * sizeof *v->items);
        if (!v->items) return KILN_ENOMEM;
        memcpy(v->items, r->items + f->start, n * sizeof *v->items);
        if (v->type == JSON_OBJECT) {
            v->keys = kiln_arena_alloc(r->a, n * sizeof *v->keys);
            if (!v->keys) return KILN_ENOMEM;
            memcpy(v->keys, r->keys + f->start, n * sizeof *v->keys);
        }
    }
    r->top = f->start;
    return KILN_OK;
}

static int frame_add(reader *r, frame *f, json_node *v)
{
    if (r->top - f->start >= JSON_READ_MAX_ITEMS)
        return fail(r, "more than %u items", JSON_READ_MAX_ITEMS);
    if (r->top == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        json_node **items = realloc(r->items, cap * sizeof *items);
        if (!items) return KILN_ENOMEM;
        r->items = items;
        const char **keys = realloc(r->keys, cap * sizeof *keys);
        if (!keys) return KILN_ENOMEM;
        r->keys = keys;
        r->cap = cap;
    }
    r->keys[r->top] = f->key;
    r->items[r->top++] = v;
    return KILN_OK;
}

/* In an object, after '{' or ',': the key and its ':'. */
static int read_key(reader *r, frame *f)
{
    skip_ws(r);
    if (r->at >= r->n || r->p[r->at] != '"') return fail(r, "expected a string as object key");
    size_t len;
    int rc = read_string(r, &f->key, &len);
    if (rc) return rc;
    skip_ws(r);
    if (r->at >= r->n || r->p[r->at] != ':') return fail(r, "expected ':' after an object key");
    r->at++;
    return KILN_OK;
}

int json_doc_parse(kiln_arena *a, const char *p, size_t n, json_node **out, char *err, size_t size)
{
    reader r = {.a = a, .p = p, .n = n, .err = err, .errsize = size};
    frame stack[JSON_READ_MAX_DEPTH];
    int depth = 0, rc = KILN_OK;
    json_node *root = NULL;
    if (err && size) err[0] = '\0';
    for (;;) {
        /* Read one value: a scalar, or the opening of a container. */
        skip_ws(&r);
        if (r.at >= r.n) {
            rc = fail(&r, depth ? "unexpected end inside a container" : "expected a value");
            break;
        }
        char c = r.p[r.at];
        json_node *v = NULL;
        if (c == '{' || c == '[') {
            if (depth >= JSON_READ_MAX_DEPTH) {
                rc = fail(&r, "nested deeper than %d", JSON_READ_MAX_DEPTH);
                break;
            }
            json_node *cn = node_new(&r, c == '{' ? JSON_OBJECT : JSON_ARRAY);
            if (!cn) {
                rc = KILN_ENOMEM;
                break;
            }
            r.at++;
            stack[depth++] = (frame){.node = cn, .start = r.top};
            skip_ws(&r);
            char close = c == '{' ? '}' : ']';
            if (r.at < r.n && r.p[r.at] == close) {
                r.at++;
                if ((rc = close_frame(&r, &stack[--depth]))) break;
                v = cn;
            } else {
                if (c == '{' && (rc = read_key(&r, &stack[depth - 1]))) break;
                continue;
            }
        } else {
            v = node_new(&r, JSON_NULL);
            if (!v) {
                rc = KILN_ENOMEM;
                break;
            }
            if (c == '"') {
                v->type = JSON_STRING;
                rc = read_string(&r, &v->str, &v->len);
            } else if (c == 't') {
                v->type = JSON_BOOL;
                v->b = true;
                rc = literal(&r, "true");
            } else if (c == 'f') {
                v->type = JSON_BOOL;
                rc = literal(&r, "false");
            } else if (c == 'n') {
                rc = literal(&r, "null");
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                v->type = JSON_NUMBER;
                rc = read_number(&r, v);
            } else {
                rc = fail(&r, "expected a value");
            }
            if (rc) break;
        }
        /* v is complete: hand it to its container, closing those that end. */
        for (;;) {
            if (depth == 0) {
                root = v;
                break;
            }
            frame *f = &stack[depth - 1];
            if ((rc = frame_add(&r, f, v))) break;
            skip_ws(&r);
            char close = f->node->type == JSON_OBJECT ? '}' : ']';
            if (r.at < r.n && r.p[r.at] == ',') {
                r.at++;
                if (f->node->type == JSON_OBJECT) rc = read_key(&r, f);
                v = NULL;
                break;
            }
            if (r.at < r.n && r.p[r.at] == close) {
                r.at++;
                v = f->node;
                if ((rc = close_frame(&r, f))) break;
                depth--;
                continue;
            }
            rc = fail(&r,
                      r.at >= r.n ? "unexpected end inside a container" : "expected ',' or '%c'",
                      close);
            break;
        }
        if (rc || root) break;
    }
    free(r.items);
    free(r.keys);
    if (rc == KILN_OK) {
        skip_ws(&r);
        if (r.at != r.n) rc = fail(&r, "unexpected text after the value");
    }
    if (rc == KILN_ENOMEM) kiln_set_error(rc, "out of memory parsing JSON");
    *out = rc ? NULL : root;
    return rc;
}

const json_node *json_get(const json_node *o, const char *key)
{
    if (!o || o->type != JSON_OBJECT) return NULL;
    for (size_t i = o->n; i-- > 0;)
        if (o->keys[i][0] == key[0] && strcmp(o->keys[i], key) == 0) return o->items[i];
    return NULL;
}

int64_t json_get_int(const json_node *o, const char *key, int64_t dflt)
{
    const json_node *v = json_get(o, key);
    if (!v || v->type != JSON_NUMBER) return dflt;
    if (v->is_int) return v->i;
    if (!(v->num > -9.2e18 && v->num < 9.2e18)) return dflt;
    return (int64_t)v->num;
}

double json_get_num(const json_node *o, const char *key, double dflt)
{
    const json_node *v = json_get(o, key);
    return v && v->type == JSON_NUMBER ? v->num : dflt;
}

const char *json_get_str(const json_node *o, const char *key)
{
    const json_node *v = json_get(o, key);
    return v && v->type == JSON_STRING ? v->str : NULL;
}

bool json_get_bool(const json_node *o, const char *key, bool dflt)
{
    const json_node *v = json_get(o, key);
    return v && v->type == JSON_BOOL ? v->b : dflt;
}
