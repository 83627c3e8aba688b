/*
 * base/json.c - writing JSON into a kiln_buf (base/json.h): the string
 * escaper and a small writer that places the commas. Strings come from
 * anywhere (worker host names, application names, error messages,
 * configuration values), so they may hold anything: quotes, backslashes,
 * control characters, bytes that are not UTF-8. The output must stay valid
 * JSON whatever they hold, so invalid UTF-8 is replaced (U+FFFD) rather than
 * copied. The standalone master's status document (src/deploy), the UI's
 * REST API and event log (src/ui) write through here.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when the
 * bytes there are not one (overlong forms, surrogates and code points past
 * U+10FFFF included, as RFC 3629 requires). */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0; /* overlong */
        if (c == 0xED) hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90; /* overlong */
        if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

/* The escape for an ASCII byte, or NULL when it goes out as it is. */
static const char *ascii_escape(unsigned char c, char tmp[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    case '\b':
        return "\\b";
    case '\f':
        return "\\f";
    default:
        break;
    }
    if (c < 0x20 || c == 0x7F) { /* DEL too: harmless in JSON, confusing on a terminal */
        snprintf(tmp, 8, "\\u%04x", c);
        return tmp;
    }
    return NULL;
}

int json_put_str(kiln_buf *b, const char *s)
{
    return json_put_strn(b, s, strlen(s));
}

int json_put_strn(kiln_buf *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    int rc = kiln_buf_append(b, "\"", 1);
    for (size_t i = 0; rc == KILN_OK && i < n;) {
        /* A run of printable ASCII needing no escape goes in one append
         * (most of what an event log or the REST API writes). */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x7f && p[run] != '"' && p[run] != '\\') run++;
        if (run > i) {
            rc = kiln_buf_append(b, p + i, run - i);
            i = run;
            continue;
        }
        size_t len = utf8_seq_len(p + i, n - i);
        char tmp[8];
        const char *esc = len == 1 ? ascii_escape(p[i], tmp) : NULL;
        if (len == 0) {
            rc = kiln_buf_append(b, "\\ufffd", 6);
            len = 1; /* resynchronise on the next byte */
        } else if (esc != NULL) {
            rc = kiln_buf_append(b, esc, strlen(esc));
        } else {
            rc = kiln_buf_append(b, p + i, len);
        }
        i += len;
    }
    if (rc == KILN_OK) rc = kiln_buf_append(b, "\"", 1);
    return rc;
}

/* ---- The writer --------------------------------------------------------------------- */

void json_writer_init(json_writer *w, kiln_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->first[0] = true;
}

/* Before a value or a key: the comma that separates it from the one before. */
static void sep(json_writer *w)
{
    if (w->rc) return;
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) w->rc = kiln_buf_append(w->b, ",", 1);
    w->first[w->depth] = false;
}

static void raw(json_writer *w, const char *s, size_t n)
{
    if (w->rc == KILN_OK) w->rc = kiln_buf_append(w->b, s, n);
}

static void open_(json_writer *w, char c)
{
    sep(w);
    raw(w, &c, 1);
    if (w->depth + 1 >= JSON_MAX_DEPTH) {
        if (w->rc == KILN_OK) w->rc = KILN_ERANGE;
        return;
    }
    w->first[++w->depth] = true;
}

static void close_(json_writer *w, char c)
{
    if (w->depth > 0) w->depth--;
    raw(w, &c, 1);
}

void json_obj_begin(json_writer *w)
{
    open_(w, '{');
}
void json_obj_end(json_writer *w)
{
    close_(w, '}');
}
void json_arr_begin(json_writer *w)
{
    open_(w, '[');
}
void json_arr_end(json_writer *w)
{
    close_(w, ']');
}

void json_key(json_writer *w, const char *key)
{
    sep(w);
    if (w->rc == KILN_OK) w->rc = json_put_str(w->b, key);
    raw(w, ":", 1);
    w->after_key = true;
}

void json_str(json_writer *w, const char *s)
{
    if (!s) {
        json_null(w);
        return;
    }
    sep(w);
    if (w->rc == KILN_OK) w->rc = json_put_str(w->b, s);
}

void json_int(json_writer *w, int64_t v)
{
    sep(w);
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    raw(w, tmp, (size_t)n);
}

void json_double(json_writer *w, double v)
{
    if (!isfinite(v)) { /* JSON has no NaN or infinities */
        json_null(w);
        return;
    }
    sep(w);
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%.17g", v);
    /* The shortest of %.15g..%.17g that reads back as v. */
    for (int prec = 15; prec < 17; prec++) {
        char t2[32];
        int m = snprintf(t2, sizeof t2, "%.*g", prec, v);
        if (strtod(t2, NULL) == v) {
            memcpy(tmp, t2, (size_t)m + 1);
            n = m;
            break;
        }
    }
    raw(w, tmp, (size_t)n);
}

void json_bool(json_writer *w, bool v)
{
    sep(w);
    raw(w, v ? "true" : "false", v ? 4 : 5);
}

void json_null(json_writer *w)
{
    sep(w);
    raw(w, "null", 4);
}

void json_raw(json_writer *w, const char *text)
{
    sep(w);
    raw(w, text, strlen(text));
}

void json_write_node(json_writer *w, const json_node *v)
{
    switch (v ? v->type : JSON_NULL) {
    case JSON_NULL:
        json_null(w);
        return;
    case JSON_BOOL:
        json_bool(w, v->b);
        return;
    case JSON_NUMBER:
        if (v->is_int) json_int(w, v->i);
        else json_double(w, v->num);
        return;
    case JSON_STRING:
        sep(w);
        if (w->rc == KILN_OK) w->rc = json_put_strn(w->b, v->str, v->len);
        return;
    case JSON_ARRAY:
        json_arr_begin(w);
        for (size_t i = 0; i < v->n; i++) json_write_node(w, v->items[i]);
        json_arr_end(w);
        return;
    case JSON_OBJECT:
        json_obj_begin(w);
        for (size_t i = 0; i < v->n; i++) {
            json_key(w, v->keys[i]);
            json_write_node(w, v->items[i]);
        }
        json_obj_end(w);
        return;
    }
}

int json_writer_finish(const json_writer *w)
{
    return w->rc;
}
