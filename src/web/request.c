/*
 * web/request.c - the HTTP/1.x request head parser of src/web: request
 * line, percent-decoded path and query parameters, and the few headers the
 * server reads (Host, Authorization, Cookie, Connection, and those that
 * announce a body, which a GET-only server refuses). Strict limits, no
 * allocation, nothing read past the bytes given: it sees whatever a peer
 * sends (tests/fuzz/fuzz_web_request.c).
 */
#include <string.h>
#include <strings.h>

#include "web/web.h"

size_t web_head_length(const char *p, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (p[i] != '\n') continue;
        if (p[i - 1] == '\n') return i + 1;
        if (i >= 2 && p[i - 1] == '\r' && p[i - 2] == '\n') return i + 1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool web_percent_decode(const char *s, size_t n, bool plus, char *out)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n) return false;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return false;
            c = (char)(hi << 4 | lo);
            if (c == '\0') return false;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        } else if (c == '\0') {
            return false;
        }
        out[j++] = c;
    }
    out[j] = '\0';
    return true;
}

int web_percent_encode(kiln_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int rc;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            rc = kiln_buf_append(b, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = kiln_buf_append(b, e, 3);
        }
        if (rc != KILN_OK) return rc;
    }
    return KILN_OK;
}

bool web_token_equal(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    volatile unsigned char diff = na != nb;
    for (size_t i = 0; i < na; i++) diff |= (unsigned char)(a[i] ^ b[i < nb ? i : 0]);
    return diff == 0 && nb > 0;
}

/* A bump allocator over req->store. */
typedef struct store {
    char *p;
    size_t used, cap;
} store;

static char *store_take(store *s, size_t n)
{
    if (n > s->cap - s->used) return NULL;
    char *r = s->p + s->used;
    s->used += n;
    return r;
}

/* The line starting at p (length *len without CRLF/LF), or NULL at end. */
static const char *next_line(const char *p, const char *end, size_t *len)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL) return NULL;
    *len = (size_t)(nl - p);
    if (*len > 0 && p[*len - 1] == '\r') (*len)--;
    return nl + 1;
}

static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The query's name=value pairs, '&'-separated, each decoded ('+' a space). */
static int parse_query(web_request *req, store *st, const char *q, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && q[j] != '&') j++;
        if (j > i) {
            const char *eq = memchr(q + i, '=', j - i);
            size_t nlen = eq ? (size_t)(eq - (q + i)) : j - i;
            size_t vlen = eq ? (size_t)(q + j - eq - 1) : 0;
            if (req->nparams == WEB_MAX_PARAMS) return 431;
            char *name = store_take(st, nlen + 1), *value = store_take(st, vlen + 1);
            if (name == NULL || value == NULL) return 431;
            if (!web_percent_decode(q + i, nlen, true, name)) return 400;
            if (!web_percent_decode(eq ? eq + 1 : "", vlen, true, value)) return 400;
            req->params[req->nparams++] = (web_param){name, value};
        }
        i = j + 1;
    }
    return 0;
}

/* "GET /path?query HTTP/1.1". */
static int parse_request_line(web_request *req, store *st, const char *line, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)line[i] < 0x21 && line[i] != ' ') return 400;
    const char *sp1 = memchr(line, ' ', n);
    if (sp1 == NULL || sp1 == line) return 400;
    size_t mlen = (size_t)(sp1 - line);
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar(line[i])) return 400;
    if (mlen >= sizeof req->method) return 501;
    memcpy(req->method, line, mlen);
    req->method[mlen] = '\0';
    const char *t = sp1 + 1, *end = line + n;
    const char *sp2 = memchr(t, ' ', (size_t)(end - t));
    if (sp2 == NULL || sp2 == t) return 400;
    size_t tlen = (size_t)(sp2 - t);
    const char *ver = sp2 + 1;
    size_t vlen = (size_t)(end - ver);
    if (memchr(ver, ' ', vlen)) return 400;
    if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0)
        return vlen >= 5 && !memcmp(ver, "HTTP/", 5) ? 505 : 400;
    if (ver[7] != '0' && ver[7] != '1') return 505;
    req->http10 = ver[7] == '0';
    if (tlen > WEB_MAX_TARGET) return 414;
    if (t[0] != '/') return 400; /* origin-form only */
    const char *qm = memchr(t, '?', tlen);
    const char *hash = memchr(t, '#', tlen);
    if (hash) return 400;
    size_t plen = qm ? (size_t)(qm - t) : tlen;
    char *path = store_take(st, plen + 1);
    if (path == NULL) return 431;
    if (!web_percent_decode(t, plen, false, path)) return 400;
    req->path = path;
    size_t qlen = qm ? tlen - plen - 1 : 0;
    char *rq = store_take(st, qlen + 1);
    if (rq == NULL) return 431;
    memcpy(rq, qm ? qm + 1 : "", qlen);
    rq[qlen] = '\0';
    req->raw_query = rq;
    return parse_query(req, st, rq, qlen);
}

/* The header's value, trimmed, copied into the store. */
static const char *header_value(store *st, const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    char *out = store_take(st, n + 1);
    if (out == NULL) return NULL;
    memcpy(out, v, n);
    out[n] = '\0';
    return out;
}

static bool has_token(const char *list, const char *word)
{
    size_t wn = strlen(word);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if ((size_t)(t - p) == wn && strncasecmp(p, word, wn) == 0) return true;
        p = e;
    }
    return false;
}

static int parse_header(web_request *req, store *st, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL || colon == line) return 400;
    size_t nlen = (size_t)(colon - line);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar(line[i])) return 400; /* also refuses obs-fold and spaces before ':' */
    for (size_t i = nlen + 1; i < n; i++)
        if (((unsigned char)line[i] < 0x20 && line[i] != '\t') || line[i] == 0x7f) return 400;
    const char *v = colon + 1;
    size_t vn = n - nlen - 1;
#define IS(name) (nlen == sizeof name - 1 && strncasecmp(line, name, nlen) == 0)
    if (IS("host")) {
        if (req->host[0]) return 400; /* two Host headers (RFC 9112 3.2) */
        if ((req->host = header_value(st, v, vn)) == NULL) return 431;
    } else if (IS("authorization")) {
        const char *a = header_value(st, v, vn);
        if (a == NULL) return 431;
        if (strncasecmp(a, "bearer", 6) == 0 && (a[6] == ' ' || a[6] == '\t')) {
            a += 6;
            while (*a == ' ' || *a == '\t') a++;
            if (*a) req->bearer = a;
        }
    } else if (IS("cookie")) {
        if (req->cookie) return 400;
        if ((req->cookie = header_value(st, v, vn)) == NULL) return 431;
    } else if (IS("connection")) {
        const char *c = header_value(st, v, vn);
        if (c == NULL) return 431;
        if (has_token(c, "keep-alive")) req->keep_alive = true;
        if (has_token(c, "close")) req->keep_alive = false;
    } else if (IS("transfer-encoding")) {
        req->has_body = true; /* GET and HEAD must not have one (the server: 400) */
    } else if (IS("content-length")) {
        const char *c = header_value(st, v, vn);
        if (c == NULL) return 431;
        if (strcmp(c, "0") != 0) req->has_body = true;
    }
#undef IS
    return 0;
}

int web_request_parse(const char *p, size_t n, web_request *req)
{
    memset(req, 0, offsetof(web_request, store));
    req->host = "";
    req->raw_query = "";
    req->path = "/";
    if (n > WEB_MAX_REQUEST) return 431;
    store st = {req->store, 0, sizeof req->store};
    const char *end = p + n, *line = p;
    size_t len;
    const char *next = next_line(line, end, &len);
    /* A blank line or two before the request line is tolerated (RFC 9112 2.2). */
    for (int skip = 0; next && len == 0 && skip < 2; skip++)
        next = next_line(line = next, end, &len);
    if (next == NULL || len == 0) return 400;
    int rc = parse_request_line(req, &st, line, len);
    if (rc) return rc;
    size_t nheaders = 0;
    for (line = next; (next = next_line(line, end, &len)) != NULL; line = next) {
        if (len == 0) return 0;
        if (++nheaders > WEB_MAX_HEADERS) return 431;
        if ((rc = parse_header(req, &st, line, len)) != 0) return rc;
    }
    return 400; /* no blank line */
}

const char *web_param_get(const web_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0) return req->params[i].value;
    return NULL;
}

bool web_cookie_get(const web_request *req, const char *name, char *out, size_t size)
{
    if (req->cookie == NULL) return false;
    size_t nn = strlen(name);
    for (const char *c = req->cookie; *c;) {
        while (*c == ' ' || *c == ';') c++;
        const char *e = strchr(c, ';');
        if (e == NULL) e = c + strlen(c);
        if ((size_t)(e - c) > nn && strncmp(c, name, nn) == 0 && c[nn] == '=') {
            size_t vn = (size_t)(e - c) - nn - 1;
            if (vn >= size) return false;
            memcpy(out, c + nn + 1, vn);
            out[vn] = '\0';
            return true;
        }
        c = e;
    }
    return false;
}
