/*
 * deploy/http.c - the request side of the master's HTTP status listener:
 * the bearer token and a minimal, defensive HTTP/1.x request parser.
 *
 * The listener answers one request per connection (GET /json) and closes
 * it, so the parser only needs the request line and the Authorization
 * header. The caller has already bounded the request (HTTP_MAX_REQUEST
 * bytes, a deadline); this file never reads past n and never allocates.
 *
 * The token is HMAC-SHA256(secret, "kiln-status") in hex, not the secret
 * itself: a status page is often fetched over plain HTTP, and a token seen on
 * the wire opens only the status page, never a cluster connection.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "deploy/deploy_int.h"

#define TOKEN_LABEL "kiln-status"

int deploy_http_token(const uint8_t *secret, size_t len, char out[HTTP_TOKEN_HEX + 1])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    if (HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)TOKEN_LABEL,
             strlen(TOKEN_LABEL), mac, &maclen) == NULL ||
        maclen != HTTP_TOKEN_HEX / 2)
        return kiln_set_error(KILN_EIO, "computing the HTTP status token failed (OpenSSL HMAC)");
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < maclen; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[HTTP_TOKEN_HEX] = '\0';
    OPENSSL_cleanse(mac, sizeof mac);
    return KILN_OK;
}

/* The line starting at p (length *len without its CRLF or LF), or NULL when
 * no line ends before end. */
static const char *next_line(const char *p, const char *end, size_t *len)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL) return NULL;
    *len = (size_t)(nl - p);
    if (*len > 0 && p[*len - 1] == '\r') (*len)--;
    return nl + 1;
}

/* Copies the next space-separated word of line[0..n) at *off into out. */
static bool take_word(const char *line, size_t n, size_t *off, char *out, size_t size)
{
    size_t start = *off, i = start;
    while (i < n && line[i] != ' ') i++;
    if (i == start || i - start >= size) return false;
    memcpy(out, line + start, i - start);
    out[i - start] = '\0';
    *off = i < n ? i + 1 : i;
    return true;
}

/* "GET /json HTTP/1.1": three words, printable ASCII only. */
static bool parse_request_line(const char *line, size_t n, http_request *req)
{
    for (size_t i = 0; i < n; i++)
        if (!isprint((unsigned char)line[i])) return false;
    char version[16];
    size_t off = 0;
    if (!take_word(line, n, &off, req->method, sizeof req->method)) return false;
    if (!take_word(line, n, &off, req->path, sizeof req->path)) return false;
    if (!take_word(line, n, &off, version, sizeof version) || off != n) return false;
    return strncmp(version, "HTTP/1.", 7) == 0;
}

/* True when the header line is "Authorization: Bearer <token>" (any case
 * of the scheme, spaces or tabs around the token). The
 * comparison of the token runs in constant time over its length. */
static bool header_authorizes(const char *line, size_t n, const char *token)
{
    static const char name[] = "authorization:";
    size_t nl = sizeof name - 1;
    if (n < nl || strncasecmp(line, name, nl) != 0) return false;
    size_t i = nl;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    /* The scheme is case-insensitive (RFC 7235 2.1); one or more spaces or
     * tabs separate it from the token. */
    if (n - i < 7 || strncasecmp(line + i, "bearer", 6) != 0) return false;
    i += 6;
    if (line[i] != ' ' && line[i] != '\t') return false;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    while (n > i && (line[n - 1] == ' ' || line[n - 1] == '\t')) n--;
    size_t tlen = strlen(token);
    return n - i == tlen && CRYPTO_memcmp(line + i, token, tlen) == 0;
}

int http_handle_request(const char *p, size_t n, const char *token, http_request *req)
{
    memset(req, 0, sizeof *req);
    const char *end = p + n, *line = p;
    size_t len;
    const char *next = next_line(line, end, &len);
    if (next == NULL || !parse_request_line(line, len, req)) return 400;
    bool ended = false;
    for (line = next; (next = next_line(line, end, &len)) != NULL; line = next) {
        if (len == 0) {
            ended = true;
            break;
        }
        if (header_authorizes(line, len, token)) req->authorized = true;
    }
    if (!ended) return 400;
    if (!req->authorized) return 401;
    if (strcmp(req->path, "/json") != 0 && strcmp(req->path, "/json/") != 0) return 404;
    if (strcmp(req->method, "GET") != 0) return 405;
    return 200;
}

const char *http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Internal Server Error";
    }
}

int http_response_head(int status, size_t body_len, char *out, size_t cap)
{
    int n = snprintf(out, cap,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Connection: close\r\n\r\n",
                     status, http_reason(status),
                     status == 200 ? "application/json" : "text/plain; charset=utf-8", body_len,
                     status == 401 ? "WWW-Authenticate: Bearer realm=\"kiln\"\r\n" : "");
    return n < 0 || (size_t)n >= cap ? -1 : n;
}
