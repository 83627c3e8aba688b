/*
 * deploy/json.c - a JSON string escaper for the status document. Strings
 * in it come from workers (host names, work directories), so they may hold
 * anything: quotes, backslashes, control characters, bytes that are not
 * UTF-8. The output must stay valid JSON whatever they hold, so invalid
 * UTF-8 is replaced (U+FFFD) rather than copied.
 */
#include <stdio.h>
#include <string.h>

#include "deploy/deploy_int.h"

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
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    int rc = kiln_buf_append(b, "\"", 1);
    for (size_t i = 0; rc == KILN_OK && i < n;) {
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
